//! MLflow's scoring protocol as MLflow's own client and server speak it: `/ping`, `/health`
//! and `/version`; `NaN` and infinities read as missing; `inputs` and `instances` in MLflow's
//! shapes; unknown columns of any type ignored; 415 for a body not declared JSON; the batch
//! limit checked while the body is read; error messages cut, never blank; and a small call
//! answered while large bodies are being scored. (`tests/mlflow_client.rs` at the workspace root
//! runs MLflow's real client against the real server.)

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

/// `n` records of about 1.5 KB each.
fn large_body(n: usize) -> String {
    let mut lead = demo_lead();
    lead["notes"] = json!("n".repeat(1400));
    json!({ "dataframe_records": vec![lead; n] }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_call_is_answered_while_large_bodies_are_scored() {
    let state = state_with(|c| {
        c.request_timeout = Duration::from_secs(300);
        c.max_body_bytes = 64 << 20;
    });
    let body = large_body(10_000);
    assert!(body.len() > 14 << 20, "{}", body.len());
    let large: Vec<_> = (0..8)
        .map(|_| {
            let (state, body) = (state.clone(), body.clone());
            tokio::spawn(async move { send(&state, invocations(body)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let small = json!({"dataframe_records": [demo_lead()]}).to_string();
    let start = Instant::now();
    let r = send(&state, invocations(small)).await;
    let waited = start.elapsed();
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let in_flight = large.iter().filter(|h| !h.is_finished()).count();
    assert!(
        waited < Duration::from_secs(2),
        "a one-lead call waited {waited:?} behind large bodies"
    );
    assert!(
        in_flight > 0,
        "every large body had finished before the small call was answered: the test proves nothing"
    );
    for h in large {
        let r = h.await.unwrap();
        assert_eq!(
            r.status.as_u16(),
            200,
            "{}",
            &r.text[..r.text.len().min(300)]
        );
    }
}
