//! The request timeout: a batch that cannot be parsed and scored within `--request-timeout-ms`
//! is answered with the 503 `timeout` envelope (scoring runs on the blocking pool, so the
//! timeout can answer while it works); nothing else fails and the server keeps serving.

mod common;

use common::{demo_lead, get, json_request, send, state_with};
use serde_json::{json, Value};
use std::time::Duration;

fn big_batch(n: usize) -> String {
    let leads: Vec<Value> = (0..n)
        .map(|i| {
            let mut lead = demo_lead();
            lead["lead_id"] = json!(format!("L{i}"));
            lead["company_size"] = json!(i % 5000);
            lead
        })
        .collect();
    json!({ "leads": leads }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_time_limit_gets_503_timeout() {
    let state = state_with(|c| c.request_timeout = Duration::from_millis(1));
    let body = big_batch(10_000);
    for _ in 0..3 {
        let r = send(&state, json_request("POST", "/v1/score", body.clone())).await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (503, "timeout"),
            "{}",
            r.text
        );
        assert!(r.content_type.starts_with("application/json"));
        assert!(r.text.contains("did not finish within 1 ms"), "{}", r.text);
    }
    // The MLflow route times out too, in MLflow's error shape.
    let records =
        json!({ "dataframe_records": (0..10_000).map(|_| demo_lead()).collect::<Vec<_>>() });
    let r = send(
        &state,
        json_request("POST", "/invocations", records.to_string()),
    )
    .await;
    assert_eq!(r.status.as_u16(), 503, "{}", r.text);
    assert!(r.json()["error_code"].is_string(), "{}", r.text);
    // Quick calls still answer, and no other 5xx was recorded.
    assert_eq!(send(&state, get("/healthz")).await.status.as_u16(), 200);
    let metrics = send(&state, get("/metrics")).await.text;
    let five_xx: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("leadscore_http_requests_total") && l.contains("status=\"5"))
        .collect();
    assert!(
        five_xx.iter().all(|l| l.contains("status=\"503\"")),
        "{five_xx:?}"
    );

    // The abandoned work finishes in the background but records nothing: those leads were
    // never answered (a client retrying them would count, drift and log each one twice). A
    // batch through another server of the same process waits for the big-body slots behind
    // them (on two cores, one slot: after all of them).
    let after = state_with(|c| c.request_timeout = Duration::from_secs(120));
    let r = send(&after, json_request("POST", "/v1/score", big_batch(2_000))).await;
    assert_eq!(r.status.as_u16(), 200);
    let metrics = send(&state, get("/metrics")).await.text;
    let scored = metrics
        .lines()
        .find(|l| l.starts_with("leadscore_leads_scored_total"))
        .unwrap_or_else(|| panic!("no leads_scored_total: {metrics}"));
    assert!(scored.ends_with(" 0"), "{scored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_finishes_with_a_generous_limit() {
    let state = state_with(|c| c.request_timeout = Duration::from_secs(120));
    let r = send(&state, json_request("POST", "/v1/score", big_batch(10_000))).await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "{}",
        &r.text[..r.text.len().min(500)]
    );
    assert_eq!(r.json()["leads"].as_array().unwrap().len(), 10_000);
}
