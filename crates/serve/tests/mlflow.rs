//! MLflow's scoring protocol as MLflow's own client and server speak it: `/ping`, `/health`
//! and `/version`; `NaN` and infinities read as missing; `inputs` and `instances` in MLflow's
//! shapes; unknown columns of any type ignored; 415 for a body not declared JSON; the batch
//! limit checked while the body is read; error messages cut, never blank; and, on the real
//! binary, a small call answered before large bodies in flight, whose parsing stays small.
//! (`tests/mlflow_client.rs` at the workspace root runs MLflow's real client against the real
//! server.)

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_lead, get, json_request, send, state_with};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const AS_OF: &str = "as_of=2025-07-01T00:00:00Z";

fn invocations(body: impl Into<Body>) -> Request<Body> {
    json_request("POST", &format!("/invocations?{AS_OF}"), body)
}

/// `/v1/score`'s scores for `leads` at [`AS_OF`].
async fn scores(state: &std::sync::Arc<leadscore_serve::App>, leads: &[Value]) -> Value {
    let r = send(
        state,
        json_request(
            "POST",
            &format!("/v1/score?{AS_OF}&factors=0"),
            json!({ "leads": leads }).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    r.json()["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["score"].clone())
        .collect()
}

#[tokio::test]
async fn ping_health_and_version_answer_as_mlflow_does() {
    let state = state_with(|_| {});
    for path in ["/ping", "/health"] {
        let r = send(&state, get(path)).await;
        assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "\n"), "{path}");
        assert_eq!(r.content_type, "application/json", "{path}");
    }
    let r = send(&state, get("/version")).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.text, env!("CARGO_PKG_VERSION"));
    // Counted under their own routes.
    let metrics = send(&state, get("/metrics")).await.text;
    for route in ["/ping", "/health", "/version"] {
        let line = format!("leadscore_http_requests_total{{route=\"{route}\",status=\"200\"}} 1");
        assert!(metrics.contains(&line), "no {line} in\n{metrics}");
    }
}

#[tokio::test]
async fn missing_values_and_every_input_shape_score_as_on_v1_score() {
    let state = state_with(|_| {});
    // The lead as /v1/score takes it, with its missing values as null.
    let mut missing = demo_lead();
    missing["company_size"] = Value::Null;
    missing["industry"] = Value::Null;
    let leads = vec![demo_lead(), missing];
    let want = scores(&state, &leads).await;
    let columns: Vec<String> = demo_lead().as_object().unwrap().keys().cloned().collect();
    let rows: Vec<Vec<Value>> = leads
        .iter()
        .map(|l| columns.iter().map(|c| l[c].clone()).collect())
        .collect();
    // pandas' `to_dict(orient="split")` through Python's json: NaN for a missing value.
    let split = json!({"dataframe_split": {"index": [0, 1], "columns": columns, "data": rows}})
        .to_string()
        .replace("null", "NaN");
    assert!(split.contains("NaN"));
    let records_with_nan = json!({ "dataframe_records": leads })
        .to_string()
        .replacen("null", "NaN", 1)
        .replacen("null", "Infinity", 1);
    // A list of dicts, as MLflow's client sends it (`inputs`), with unknown columns of every
    // type; and the same under `instances` and as columns.
    let mut odd = leads.clone();
    for lead in &mut odd {
        lead["notes"] = json!({"nested": [1, {"a": null}]});
        lead["tags"] = json!(["x", 2]);
        lead["score_hint"] = json!(-1.5);
    }
    let inputs = json!({ "inputs": odd, "params": {"anything": true} }).to_string();
    let instances = json!({ "instances": odd }).to_string();
    let mut by_column = serde_json::Map::new();
    for c in &columns {
        by_column.insert(c.clone(), leads.iter().map(|l| l[c].clone()).collect());
    }
    by_column.insert("notes".into(), json!({"not": "an array"}));
    let columnar = json!({ "inputs": by_column }).to_string();
    for body in [split, records_with_nan, inputs, instances, columnar] {
        let r = send(&state, invocations(body.clone())).await;
        assert_eq!(r.status.as_u16(), 200, "{body}: {}", r.text);
        assert_eq!(r.json()["predictions"], want, "{body}");
    }
}

/// A bad value answers 400 in MLflow's shape (422 on `/v1/score`), and `/metrics` counts the
/// 400 the client got, not the 422 it was before the shape.
#[tokio::test]
async fn a_bad_value_is_counted_as_the_400_the_client_gets() {
    let state = state_with(|_| {});
    let mut lead = demo_lead();
    lead["company_size"] = json!("lots");
    let r = send(
        &state,
        invocations(json!({ "dataframe_records": [lead] }).to_string()),
    )
    .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert_eq!(r.json()["error_code"], "BAD_REQUEST");
    let metrics = send(&state, get("/metrics")).await.text;
    let line = "leadscore_http_requests_total{route=\"/invocations\",status=\"400\"} 1";
    assert!(metrics.contains(line), "no {line} in\n{metrics}");
    assert!(
        !metrics
            .lines()
            .any(|l| l.contains("route=\"/invocations\",status=\"422\"") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

/// A misspelt `?as_of=` is refused in MLflow's shape, naming it (it was scored at now).
#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_naming_it() {
    let state = state_with(|_| {});
    let body = json!({ "dataframe_records": [demo_lead()] }).to_string();
    let r = send(
        &state,
        json_request("POST", "/invocations?asof=2025-07-01T00:00:00Z", body),
    )
    .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert_eq!(r.json()["error_code"], "BAD_REQUEST");
    assert!(
        r.text.contains("`asof`") && r.text.contains("takes as_of"),
        "{}",
        r.text
    );
    // An `as_of` column: refused, not ignored (the MLflow flavor reads it as each lead's
    // moment; this endpoint scores every row at the request's).
    for body in [
        json!({"dataframe_split": {"columns": ["job_title", "as_of"], "data": [["CEO", "2025-01-01"]]}}),
        json!({"dataframe_records": [{"job_title": "CEO", "as_of": "2025-01-01"}]}),
        json!({"inputs": {"job_title": ["CEO"], "as_of": ["2025-01-01"]}}),
    ] {
        let r = send(&state, invocations(body.to_string())).await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
        assert!(
            r.text.contains("as_of") && r.text.contains("?as_of="),
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn a_body_not_declared_json_gets_415_in_mlflows_shape() {
    let state = state_with(|_| {});
    let body = json!({"dataframe_records": [demo_lead()]}).to_string();
    for content_type in [Some("text/csv"), Some("text/plain"), None] {
        let mut request = Request::builder().method("POST").uri("/invocations");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let r = send(&state, request.body(Body::from(body.clone())).unwrap()).await;
        assert_eq!(r.status.as_u16(), 415, "{content_type:?}: {}", r.text);
        let v = r.json();
        assert_eq!(v["error_code"], "BAD_REQUEST");
        assert!(
            v["message"].as_str().unwrap().contains("application/json"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_while_it_is_read() {
    let state = state_with(|c| c.max_batch = 3);
    // Rows past the limit are counted, not read as leads: the fourth would be refused as a lead
    // (an object in a model column), yet the answer is the batch limit.
    let mut bad = demo_lead();
    bad["company_size"] = json!({"not": "a number"});
    let leads = vec![demo_lead(), demo_lead(), demo_lead(), bad];
    let columns: Vec<String> = demo_lead().as_object().unwrap().keys().cloned().collect();
    let rows: Vec<Vec<Value>> = leads
        .iter()
        .map(|l| columns.iter().map(|c| l[c].clone()).collect())
        .collect();
    for body in [
        json!({ "dataframe_records": leads }),
        json!({ "inputs": leads }),
        json!({"dataframe_split": {"columns": columns, "data": rows}}),
    ] {
        let r = send(&state, invocations(body.to_string())).await;
        assert_eq!(r.status.as_u16(), 413, "{body}: {}", r.text);
        let v = r.json();
        assert_eq!(v["error_code"], "RESOURCE_EXHAUSTED");
        assert_eq!(
            v["message"], "the batch has 4 leads; the limit is 3",
            "{body}"
        );
    }
    let r = send(
        &state,
        invocations(json!({ "dataframe_records": vec![demo_lead(); 3] }).to_string()),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
}

#[tokio::test]
async fn error_messages_over_a_mebibyte_are_cut_not_blank() {
    let state = state_with(|_| {});
    let mut lead = demo_lead();
    // A value echoed in the error: 2 MiB of it.
    lead["created_at"] = json!("x".repeat(2 << 20));
    let r = send(
        &state,
        invocations(json!({ "dataframe_records": [lead] }).to_string()),
    )
    .await;
    assert_eq!(
        r.status.as_u16(),
        400,
        "{}",
        &r.text[..r.text.len().min(300)]
    );
    let v = r.json();
    let message = v["message"].as_str().unwrap();
    assert!(
        message.starts_with("dataframe_records[0].created_at"),
        "{message}"
    );
    assert!(message.len() < 2048, "{} bytes", message.len());
    // Cut where the value is echoed (`... (N bytes)`), or where the message is (`... bytes in all)`).
    assert!(message.contains(" bytes"), "{message}");
}

/// `n` records of about 1.6 KB each, as a wide DataFrame sends them: the demo lead's columns and
/// 150 small numeric columns the model does not read.
#[cfg(target_os = "linux")]
fn large_body(n: usize) -> String {
    let mut lead = demo_lead();
    for i in 0..150 {
        lead[format!("x{i}")] = json!(i % 10);
    }
    json!({ "dataframe_records": vec![lead; n] }).to_string()
}

/// The peak resident set of process `pid` (`VmHWM` in `/proc/PID/status`), in bytes.
#[cfg(target_os = "linux")]
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"));
    kib * 1024
}

/// Bytes sent to the local TCP port `port` that its process has not read yet: what waits in
/// its connections' receive queues and in their peers' send queues (`/proc/net/tcp`, `tcp6`).
#[cfg(target_os = "linux")]
fn unread_bytes(port: u16) -> u64 {
    let port = format!("{port:04X}");
    let mut unread = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st tx_queue:rx_queue ...
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(queues)) = (f.get(1), f.get(2), f.get(4)) else {
                continue;
            };
            let (tx, rx) = queues.split_once(':').unwrap_or(("0", "0"));
            let hex = |v: &str| u64::from_str_radix(v, 16).unwrap_or(0);
            if local.ends_with(&format!(":{port}")) {
                unread += hex(rx);
            } else if remote.ends_with(&format!(":{port}")) {
                unread += hex(tx);
            }
        }
    }
    unread
}

/// Eight bodies of about 16 MB in flight on the real binary (its blocking pool has twice as
/// many threads as cores, as in production): a one-lead call sent once the server has read all
/// eight is answered before almost any of them, and the server's peak memory stays far below
/// what eight bodies parsed into JSON trees took. Neither check is a timing: the first is the
/// order of the answers (a small call queued behind the large ones on a blocking pool of four
/// threads on two cores is answered after at least five of them: four run, four wait ahead of
/// it), the second the kernel's high-water mark of the process (about 1.1 GiB with trees, about
/// 210 MiB when parsed as read, in a debug build). The wait of the small call is printed, not
/// checked.
#[cfg(target_os = "linux")]
#[test]
fn large_bodies_neither_hold_up_a_small_call_nor_pile_up_in_memory() {
    use common::server::Server;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mut args = vec![
        std::ffi::OsStr::new("--model"),
        common::demo_model().as_ref(),
    ];
    args.extend(
        [
            "--target-precision",
            "0.5",
            "--max-body-bytes",
            "67108864",
            "--request-timeout-ms",
            "600000",
        ]
        .map(std::ffi::OsStr::new),
    );
    let server = Server::start(common::SERVE_BIN, args);
    let addr = server.addr;
    let body = Arc::new(large_body(10_000));
    assert!(body.len() > 14 << 20, "{}", body.len());
    let pid = server.child.id();
    let answered = Arc::new(AtomicUsize::new(0));
    let (sent, all_sent) = std::sync::mpsc::channel();
    let large: Vec<_> = (0..8)
        .map(|_| {
            let (body, answered, sent) = (body.clone(), answered.clone(), sent.clone());
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                stream
                    .set_read_timeout(Some(Duration::from_secs(600)))
                    .unwrap();
                write!(
                    stream,
                    "POST /invocations?{AS_OF} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .unwrap();
                stream.write_all(body.as_bytes()).unwrap();
                sent.send(()).unwrap();
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).expect("read the answer");
                answered.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&answer[..answer.len().min(300)]);
                head.into_owned()
            })
        })
        .collect();
    for _ in 0..8 {
        all_sent.recv().expect("a large body sent");
    }
    // Every byte of the eight bodies is in the server; then a moment for each request to be
    // handed to its parser.
    let start = Instant::now();
    while unread_bytes(addr.port()) > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the server left {} bytes unread",
            unread_bytes(addr.port())
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    let small = json!({"dataframe_records": [demo_lead()]}).to_string();
    let start = Instant::now();
    let (status, text) = common::http::Http::new(addr, Duration::from_secs(600))
        .post(&format!("/invocations?{AS_OF}"), &small);
    let waited = start.elapsed();
    let answered_before = answered.load(Ordering::SeqCst);
    assert_eq!(status, 200, "{text}");
    for h in large {
        let head = h.join().unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    let peak = peak_rss(pid);
    eprintln!(
        "a one-lead call was answered in {waited:?}, after {answered_before} of the 8 large \
         bodies; the server's peak RSS: {} MiB",
        peak >> 20
    );
    let mut problems = Vec::new();
    if answered_before > 2 {
        problems.push(format!(
            "the one-lead call was answered only after {answered_before} of the 8 large bodies \
             (queued behind them; it waited {waited:?})"
        ));
    }
    if peak >= 600 << 20 {
        problems.push(format!(
            "the server peaked at {} MiB with 8 large bodies in flight",
            peak >> 20
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("; "));
}
