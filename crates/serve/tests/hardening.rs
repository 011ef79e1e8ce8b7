//! Smaller hardening, through the router: confidence in [0.5, 1) everywhere a cutoff is chosen;
//! long bad values are not echoed back whole; nesting past 128 is refused even where the value
//! would be ignored; an encoded body gets 415; a target that rounds to 1 is written out in full;
//! a good reload clears `last_reload_error` whichever path made it (admin here and the registry
//! watcher; SIGHUP in `hostile_clients.rs`).

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_lead, demo_model, demo_model_copy, get, json_request, send, state_with, TARGET};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::{file_name_for, Registry};
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn confidence_must_be_at_least_one_half_and_below_one() {
    let state = state_with(|_| {});
    let before = state.current().cutoff.threshold;
    for bad in [0.01, 0.4999, 1.0, 1.5] {
        let r = send(
            &state,
            json_request(
                "PUT",
                "/v1/cutoff",
                json!({"target_precision": 0.5, "confidence": bad}).to_string(),
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.json()["error"]["path"], "confidence", "{}", r.text);
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains("at least 0.5 and below 1"), "{message}");
        let r = send(
            &state,
            get(&format!("/v1/cutoff?target_precision=0.5&confidence={bad}")),
        )
        .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.code(), "invalid_query", "{}", r.text);
        assert!(r.text.contains("at least 0.5 and below 1"), "{}", r.text);
        // Also when only the confidence is given.
        let r = send(&state, get(&format!("/v1/cutoff?confidence={bad}"))).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    assert_eq!(state.current().cutoff.threshold, before);
    // 0.5 itself is fine.
    let r = send(
        &state,
        get("/v1/cutoff?target_precision=0.5&confidence=0.5"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // And the app refuses to start below it (the binary's flag: `hostile_clients.rs`).
    let mut config = Config::new(demo_model(), TARGET);
    config.confidence = 0.01;
    let e = App::new(config).unwrap_err().to_string();
    assert!(e.contains("at least 0.5 and below 1"), "{e}");
}

#[tokio::test]
async fn a_target_that_rounds_to_one_is_written_in_full() {
    let state = state_with(|_| {});
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": 0.9999999}"#),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "unattainable_target");
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("target precision 0.9999999 is not attainable"),
        "{message}"
    );
}

#[tokio::test]
async fn long_bad_values_are_not_echoed_whole() {
    let state = state_with(|c| c.max_body_bytes = 64 * 1024 * 1024);
    let huge = "9".repeat(1_000_000) + "x";
    let mut lead = demo_lead();
    lead["company_size"] = json!(huge);
    let r = send(
        &state,
        json_request("POST", "/v1/score", json!({ "leads": [lead] }).to_string()),
    )
    .await;
    assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.json()["error"]["path"], "leads[0].company_size");
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(r.text.len() < 400, "{} bytes sent back", r.text.len());
    assert!(
        message.contains("999") && message.ends_with(" bytes)"),
        "{message}"
    );
    // A long key in a bad position: the path is cut too.
    let key = "k".repeat(100_000);
    let r = send(
        &state,
        json_request("POST", "/v1/score", format!(r#"{{"{key}": {{}}}}"#)),
    )
    .await;
    assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(300)]);
    assert!(r.text.len() < 600, "{} bytes sent back", r.text.len());
    // A long timestamp.
    let mut lead = demo_lead();
    lead["created_at"] = json!("2".repeat(500_000));
    let r = send(&state, json_request("POST", "/v1/score", lead.to_string())).await;
    assert_eq!(r.status, 422, "{}", &r.text[..r.text.len().min(300)]);
    // The value cut to 200 characters with its own size, beside the forms a time may take.
    assert!(r.text.len() < 600, "{}", &r.text[..r.text.len().min(900)]);
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("... (500000 bytes)"), "{message}");
}

/// The size a cut echo ends with is the echoed value's, never the message's: an unknown
/// column's name, an unknown query parameter's and a path that has no route are cut to 200
/// characters with their own sizes.
#[tokio::test]
async fn cut_echoes_say_their_own_size() {
    let state = state_with(|_| {});
    let key = "k".repeat(1000);
    let r = send(
        &state,
        json_request("POST", "/v1/score", format!(r#"{{"{key}": 1}}"#)),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("... (1000 bytes)`"), "{message}");
    assert!(message.contains("is one the model reads"), "{message}");
    let name = "q".repeat(1000);
    let r = send(
        &state,
        json_request("POST", &format!("/v1/score?{name}=1"), "{}"),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let message = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("... (1000 bytes)"), "{message}");
    let path = format!("/{}", "a".repeat(60_000));
    let r = send(&state, json_request("GET", &path, "")).await;
    assert_eq!(r.status, 404, "{}", &r.text[..r.text.len().min(300)]);
    assert!(r.text.len() < 400, "{}", &r.text[..r.text.len().min(900)]);
    assert!(r.text.contains("... (60001 bytes)"), "{}", r.text);
}

#[tokio::test]
async fn nesting_past_128_is_refused_where_the_value_is_ignored() {
    let state = state_with(|_| {});
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let lead = demo_lead().to_string();
    let events_lead = {
        let mut l = demo_lead();
        l["events"] = json!([{"event_type": "demo_request", "occurred_at": "2024-12-31T00:00:00Z", "note": "DEEP"}]);
        l.to_string()
    };
    let cases = [
        (
            "after leads",
            format!(r#"{{"leads": [{lead}], "extra": DEEP}}"#),
        ),
        (
            "an unknown lead field",
            lead.replacen('{', r#"{"extra": DEEP, "#, 1),
        ),
        ("an unknown event field", events_lead),
        ("the root", "DEEP".to_string()),
    ];
    for (what, body) in cases {
        // 120 deep: within the limit (the request is otherwise checked as before).
        let r = send(
            &state,
            json_request(
                "POST",
                "/v1/score",
                body.replace("\"DEEP\"", &deep(120))
                    .replace("DEEP", &deep(120)),
            ),
        )
        .await;
        assert_ne!(r.code(), "invalid_json", "{what}, 120 deep: {}", r.text);
        for n in [129, 100_000] {
            let r = send(
                &state,
                json_request(
                    "POST",
                    "/v1/score",
                    body.replace("\"DEEP\"", &deep(n)).replace("DEEP", &deep(n)),
                ),
            )
            .await;
            assert_eq!(
                (r.status.as_u16(), r.code().as_str()),
                (400, "invalid_json"),
                "{what}, {n} deep: {}",
                r.text
            );
        }
    }
    // Over the batch limit, the rest is counted with the same check.
    let state = state_with(|c| c.max_batch = 1);
    let body = format!(r#"{{"leads": [{lead}, {}]}}"#, deep(1000));
    let r = send(&state, json_request("POST", "/v1/score", body)).await;
    assert_eq!(r.code(), "invalid_json", "{}", r.text);
}

#[tokio::test]
async fn an_encoded_body_gets_415() {
    let state = state_with(|_| {});
    for encoding in ["gzip", "br", "deflate, gzip"] {
        let request = Request::builder()
            .method("POST")
            .uri("/v1/score")
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(Body::from(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))
            .unwrap();
        let r = send(&state, request).await;
        assert_eq!(r.status, 415, "{encoding}: {}", r.text);
        assert_eq!(r.code(), "unsupported_encoding");
        assert!(r.text.contains(encoding), "{}", r.text);
    }
    // `identity` is no encoding.
    let request = Request::builder()
        .method("POST")
        .uri("/v1/score")
        .header("content-type", "application/json")
        .header("content-encoding", "identity")
        .body(Body::from(demo_lead().to_string()))
        .unwrap();
    assert_eq!(send(&state, request).await.status, 200);
}

async fn last_reload_error(state: &Arc<App>) -> Value {
    send(state, get("/v1/model")).await.json()["last_reload_error"].clone()
}

#[tokio::test]
async fn a_good_admin_reload_clears_the_last_reload_error() {
    let (_dir, path) = demo_model_copy();
    let state = state_with(|c| c.source = leadscore_serve::ModelSource::File(path.clone()));
    std::fs::write(&path, "{ not a model").unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(r.status, 422);
    assert_eq!(last_reload_error(&state).await["trigger"], "admin reload");
    std::fs::copy(demo_model(), &path).unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(last_reload_error(&state).await.is_null());
}

/// Polls until `done` holds for `last_reload_error` (at most 10 s).
async fn wait_for_error(state: &Arc<App>, what: &str, done: impl Fn(&Value) -> bool) {
    let start = Instant::now();
    loop {
        let e = last_reload_error(state).await;
        if done(&e) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: {e}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_registry_watcher_clears_the_last_reload_error() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let a = ModelArtifact::load(demo_model()).unwrap();
    let mut b = a.clone();
    b.created_at = "2030-01-01T00:00:00Z".into();
    b.seal();
    registry.add(&a).unwrap();
    registry.add(&b).unwrap();
    registry.set_current(&file_name_for(&a.model_id)).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ not a model").unwrap();
    let mut config = Config::registry(dir.path(), TARGET);
    config.registry_poll = Duration::from_millis(30);
    let state = App::new(config).unwrap();
    let _watcher = leadscore_serve::watch::watch_registry(state.clone());
    // To a broken file and back to the model in force: nothing to reload, and the failure no
    // longer applies (it used to stay).
    registry.set_current("broken.json").unwrap();
    wait_for_error(&state, "the failure", |e| e["trigger"] == "registry").await;
    registry.set_current(&file_name_for(&a.model_id)).unwrap();
    wait_for_error(&state, "cleared on the way back", Value::is_null).await;
    // To a broken file, then on to another good model: cleared by that reload.
    registry.set_current("broken.json").unwrap();
    wait_for_error(&state, "the failure again", |e| e["trigger"] == "registry").await;
    registry.set_current(&file_name_for(&b.model_id)).unwrap();
    wait_for_error(&state, "cleared by the good reload", Value::is_null).await;
    assert_eq!(state.current().artifact.model_id, b.model_id);
}
