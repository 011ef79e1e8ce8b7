//! End to end: the real `leadscore-serve` binary on a free loopback port, called over HTTP with
//! a tiny HTTP/1.1 client: scoring, reload under load (no request may fail), SIGTERM shutdown
//! (a request in flight finishes, new connections are refused), following a registry's
//! `CURRENT` pointer, and start-up refusals.

mod common;

use common::server::Server;
use leadscore_train::pipeline::{train, TrainConfig};
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Trains a demo model with `seed` into `path`.
fn demo_model(seed: u64, path: &Path) {
    let mut c = TrainConfig::new(common::repo("data/demo-leads.csv"));
    c.spec = Some(common::repo("data/demo-spec.toml"));
    c.seed = seed;
    train(&c)
        .expect("train")
        .artifact
        .write_atomic(path)
        .unwrap();
}

/// The binary on `model` with `extra` flags.
fn start(bin: &Path, model: &Path, extra: &[&str]) -> Server {
    let mut args: Vec<&OsStr> = vec!["--model".as_ref(), model.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    launch(bin, &args)
}

/// The binary with `args` plus a target, on a free loopback port.
fn launch(bin: &Path, args: &[&OsStr]) -> Server {
    let mut all = args.to_vec();
    all.extend(["--target-precision", "0.5"].map(OsStr::new));
    Server::start(bin, all)
}

/// One request by the tests' HTTP client; returns the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    common::http::Http::new(addr, Duration::from_secs(30)).request(method, path, body, &[])
}

fn lead() -> String {
    json!({
        "created_at": "2025-01-01 09:20:07", "email": "ana@acme.io", "job_title": "VP Marketing",
        "company_size": 250, "industry": "Software", "country": "Germany",
        "lead_source": "Referral", "pricing_page_visits": 4, "webinar_attended": "yes"
    })
    .to_string()
}

#[test]
fn serves_reloads_under_load_and_shuts_down_cleanly() {
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    let (a, b, live) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("live.json"),
    );
    demo_model(7, &a);
    demo_model(8, &b);
    std::fs::copy(&a, &live).unwrap();
    let ids: Vec<String> = [&a, &b]
        .iter()
        .map(|p| {
            leadscore_core::artifact::ModelArtifact::load(p)
                .unwrap()
                .model_id
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    let mut server = start(&bin, &live, &[]);
    let addr = server.addr;

    let (status, body) = http(addr, "POST", "/v1/score", Some(&lead()));
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["score"].is_number() && v["factors"]["positive"].is_array(),
        "{v}"
    );
    assert_eq!(v["model_id"], ids[0]);
    assert_eq!(http(addr, "GET", "/healthz", None).0, 200);

    // Load: 4 clients x 100 requests while the model file flips and is reloaded 20 times
    // (admin calls and SIGHUP).
    let clients: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..100 {
                    let (status, body) = http(addr, "POST", "/v1/score?factors=1", Some(&lead()));
                    assert_eq!(status, 200, "{body}");
                    let v: Value = serde_json::from_str(&body).unwrap();
                    seen.push(v["model_id"].as_str().unwrap().to_string());
                }
                seen
            })
        })
        .collect();
    for i in 0..20 {
        let next = if i % 2 == 0 { &b } else { &a };
        let tmp = dir.path().join("live.json.tmp");
        std::fs::copy(next, &tmp).unwrap();
        std::fs::rename(&tmp, &live).unwrap();
        if i % 4 == 3 {
            server.signal("HUP");
            std::thread::sleep(Duration::from_millis(50));
        } else {
            let (status, body) = http(addr, "POST", "/v1/admin/reload", None);
            assert_eq!(status, 200, "{body}");
        }
    }
    let mut seen: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(seen.len(), 400, "every request answered");
    seen.sort();
    seen.dedup();
    assert!(seen.iter().all(|id| ids.contains(id)), "{seen:?}");

    // A broken file is refused and the model keeps serving.
    std::fs::write(&live, "not a model").unwrap();
    let (status, body) = http(addr, "POST", "/v1/admin/reload", None);
    assert_eq!(status, 422, "{body}");
    assert_eq!(http(addr, "POST", "/v1/score", Some(&lead())).0, 200);
    let (_, metrics) = http(addr, "GET", "/metrics", None);
    assert!(
        metrics.contains("leadscore_leads_scored_total 402"),
        "{metrics}"
    );

    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn start_up_refuses_an_unattainable_target_or_a_bad_model() {
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    demo_model(7, &model);
    let out = Command::new(&bin)
        .arg("--model")
        .arg(&model)
        .args(["--target-precision", "0.99", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not attainable")
            && err.contains("best this model supports")
            && err.contains("recall"),
        "{err}"
    );
    std::fs::write(&model, "{}").unwrap();
    let out = Command::new(&bin)
        .arg("--model")
        .arg(&model)
        .env("LEADSCORE_TARGET_PRECISION", "0.5")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("format_version"), "{err}");
}

/// Waits (at most 10 s) until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn served_model_id(addr: SocketAddr) -> String {
    let (status, body) = http(addr, "POST", "/v1/score", Some(&lead()));
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["model_id"].as_str().unwrap().to_string()
}

#[test]
fn follows_the_registry_pointer_and_keeps_serving_when_it_points_at_a_corrupt_file() {
    use leadscore_core::artifact::ModelArtifact;
    use leadscore_core::registry::{file_name_for, Registry};
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    let trained = dir.path().join("trained.json");
    demo_model(7, &trained);
    let a = ModelArtifact::load(&trained).unwrap();
    let mut b = a.clone();
    b.created_at = "2030-01-01T00:00:00Z".into();
    b.seal();
    let reg_dir = dir.path().join("models");
    std::fs::create_dir(&reg_dir).unwrap();
    let registry = Registry::open(&reg_dir).unwrap();
    registry.add(&a).unwrap();
    registry.add(&b).unwrap();
    registry.set_current(&file_name_for(&a.model_id)).unwrap();

    let mut server = launch(
        &bin,
        &[
            "--registry".as_ref(),
            reg_dir.as_os_str(),
            "--registry-poll-ms".as_ref(),
            "50".as_ref(),
        ],
    );
    let addr = server.addr;
    assert_eq!(served_model_id(addr), a.model_id);
    let (_, model) = http(addr, "GET", "/v1/model", None);
    let model: Value = serde_json::from_str(&model).unwrap();
    assert_eq!(model["file"]["file_name"], file_name_for(&a.model_id));

    // The pointer moves: the new model serves within a bounded wait.
    registry.set_current(&file_name_for(&b.model_id)).unwrap();
    wait_until("the pointer change", || served_model_id(addr) == b.model_id);

    // The pointer moves to a corrupt file: the old model keeps serving, stderr says why and
    // names the file.
    std::fs::write(reg_dir.join("broken.json"), "{\"format_version\": 2,").unwrap();
    registry.set_current("broken.json").unwrap();
    wait_until("the failed reload on stderr", || {
        server
            .stderr()
            .lines()
            .any(|l| l.contains("reload of") && l.contains("broken.json") && l.contains("failed"))
    });
    assert!(
        server
            .stderr()
            .contains(&format!("still serving model {}", b.model_id)),
        "{}",
        server.stderr()
    );
    assert_eq!(served_model_id(addr), b.model_id);

    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
}

/// Whether a new connection to `addr` is turned away: refused, reset before any answer (it
/// was in the backlog when the listener closed), or answered 503. `None` while the server
/// still answers normally (the signal not handled yet).
fn turned_away(addr: SocketAddr) -> Option<String> {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return Some("refused".into());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let sent = write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut raw = Vec::new();
    match (sent, stream.read_to_end(&mut raw)) {
        (Err(e), _) | (Ok(()), Err(e)) => Some(format!("reset: {e}")),
        (Ok(()), Ok(_)) if raw.is_empty() => Some("closed without an answer".into()),
        (Ok(()), Ok(_)) => {
            let text = String::from_utf8_lossy(&raw);
            text.starts_with("HTTP/1.1 503")
                .then(|| text.lines().next().unwrap_or("").to_string())
        }
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_and_turns_new_connections_away() {
    const LEADS: usize = 50_000;
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    demo_model(7, &model);
    let mut server = start(
        &bin,
        &model,
        &[
            "--max-batch",
            "50000",
            "--max-body-bytes",
            "100000000",
            "--request-timeout-ms",
            "120000",
            "--shutdown-grace-ms",
            "60000",
        ],
    );
    let addr = server.addr;
    let one: Value = serde_json::from_str(&lead()).unwrap();
    let body = json!({ "leads": vec![one; LEADS] }).to_string();

    // Headers and the first half of the body: the request is in flight.
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "POST /v1/score?factors=1 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    stream.write_all(&body.as_bytes()[..half]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let terminated = Instant::now();
    server.signal("TERM");
    // New connections are turned away (after the signal is handled; bounded wait).
    let mut how = None;
    wait_until("new connections to be turned away", || {
        how = turned_away(addr);
        how.is_some()
    });
    eprintln!("new connection after SIGTERM: {}", how.unwrap());
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );

    // The rest of the body; the whole answer arrives.
    stream.write_all(&body.as_bytes()[half..]).unwrap();
    stream.flush().unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8_lossy(&raw);
    let (head, response) = text.split_once("\r\n\r\n").expect("header end");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let v: Value = serde_json::from_str(response).expect("a complete JSON body");
    let leads = v["leads"].as_array().unwrap();
    assert_eq!(leads.len(), LEADS);
    assert!(leads.iter().all(|l| l["score"].is_number()));

    let status = server.wait(Duration::from_secs(60));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        terminated.elapsed() < Duration::from_secs(60),
        "exited within the grace period"
    );
    assert!(
        !server.stderr().contains("still running after"),
        "the request finished before the grace period ran out"
    );
}
