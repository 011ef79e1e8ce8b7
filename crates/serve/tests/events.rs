//! Scoring with engagement events on the committed demo model (trained on leads, events and
//! outcomes): events count, recency counts, the future is ignored, unknown types are refused.

mod common;

use common::{json_request, send};
use leadscore_serve::{App, Config};
use serde_json::json;

fn state() -> std::sync::Arc<App> {
    App::new(Config::new(common::repo("models/demo.json"), 0.5))
        .expect("the committed demo model serves")
}

fn lead_with(events: serde_json::Value) -> String {
    json!({
        "lead_id": "X1",
        "created_at": "2025-06-01 10:00:00",
        "email": "dana.lee@acme-corp.com",
        "job_title": "Marketing Manager",
        "company_size": 250,
        "industry": "Software",
        "country": "United States",
        "lead_source": "Organic Search",
        "events": events
    })
    .to_string()
}

async fn score(state: &std::sync::Arc<App>, events: serde_json::Value) -> f64 {
    let reply = send(
        state,
        json_request(
            "POST",
            "/v1/score?factors=0&as_of=2025-06-08T10:00:00Z",
            lead_with(events),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["score"].as_f64().unwrap()
}

#[tokio::test]
async fn recent_demo_request_scores_higher_and_future_events_are_ignored() {
    let s = state();
    let none = score(&s, json!([])).await;
    let recent = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": "2025-06-07T10:00:00Z"}]),
    )
    .await;
    let old = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": "2025-02-07T10:00:00Z"}]),
    )
    .await;
    assert!(
        recent > old + 0.05 && recent > none,
        "recent {recent}, old {old}, none {none}"
    );
    // Within the one-day slack after as_of: accepted, but it cannot count.
    let future = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": "2025-06-08T20:00:00Z"}]),
    )
    .await;
    assert!(
        (future - none).abs() < 1e-12,
        "an event after as_of changed the score: {future} vs {none}"
    );
}

#[tokio::test]
async fn unknown_event_type_is_a_422_with_its_path() {
    let s = state();
    let body = json!({"leads": [
        {"job_title": "CEO"},
        {"job_title": "CEO", "events": [
            {"event_type": "page_view", "occurred_at": "2025-06-01T10:00:00Z"},
            {"event_type": "dmeo_request", "occurred_at": "2025-06-01T10:00:00Z"}
        ]}
    ]});
    let reply = send(
        &s,
        json_request(
            "POST",
            "/v1/score?as_of=2025-06-08T10:00:00Z",
            body.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    let e = reply.json();
    assert_eq!(e["error"]["code"], "invalid_field");
    assert_eq!(e["error"]["path"], "leads[1].events[1].event_type");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("demo_request"),
        "{e}"
    );
}
