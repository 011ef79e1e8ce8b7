//! Scoring with engagement events on the committed demo model (trained on leads, events and
//! outcomes at several landmark ages): events count, recency counts, the future is ignored,
//! types the model never saw count as active days (and are counted), and the lead's age comes
//! from its `created_at`.

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
    // A fraction of a second after as_of is after it too (it was counted: both rounded down).
    for late in [
        "2025-06-08T10:00:00.900Z",
        "2025-06-08T10:00:00.001Z",
        "2025-06-08T12:00:00.5+02:00",
    ] {
        let fraction = score(
            &s,
            json!([{"event_type": "demo_request", "occurred_at": late}]),
        )
        .await;
        assert!(
            (fraction - none).abs() < 1e-12,
            "{late} counted: {fraction} vs {none}"
        );
    }
    let on_time = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": "2025-06-08T10:00:00.000Z"}]),
    )
    .await;
    assert!(on_time > none, "an event at as_of counts");
}

/// An event's time may be Unix seconds or milliseconds (a CRM's API gives times so), as a
/// number or digits: the score is the ISO time's, and a millisecond after `as_of` is after it.
#[tokio::test]
async fn unix_times_of_events_score_as_their_iso_time() {
    let s = state();
    let none = score(&s, json!([])).await;
    let iso = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": "2025-06-07T10:00:00Z"}]),
    )
    .await;
    assert!(iso > none);
    for t in [
        json!(1_749_290_400),
        json!("1749290400"),
        json!(1_749_290_400_000_i64),
        json!(1_749_290_399.5),
    ] {
        let got = score(
            &s,
            json!([{"event_type": "demo_request", "occurred_at": t}]),
        )
        .await;
        assert_eq!(got, iso, "occurred_at {t}");
    }
    let late = score(
        &s,
        json!([{"event_type": "demo_request", "occurred_at": 1_749_376_800_001_i64}]),
    )
    .await;
    assert_eq!(late, none, "a millisecond after as_of counted");
    let reply = send(
        &s,
        json_request(
            "POST",
            "/v1/score?factors=0&as_of=2025-06-08T10:00:00Z",
            lead_with(json!([{"event_type": "demo_request", "occurred_at": 20_250_607}])),
        ),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(
        reply.json()["error"]["path"],
        "events[0].occurred_at",
        "{}",
        reply.text
    );
    assert!(
        reply
            .text
            .contains("Unix seconds or milliseconds from 2000 to 2100"),
        "{}",
        reply.text
    );
    // The zero time is an unset date: an event without its time, refused as missing.
    for zero in [json!(0), json!("0.0"), json!("0000-00-00 00:00:00")] {
        let reply = send(
            &s,
            json_request(
                "POST",
                "/v1/score?factors=0&as_of=2025-06-08T10:00:00Z",
                lead_with(json!([{"event_type": "demo_request", "occurred_at": zero}])),
            ),
        )
        .await;
        assert_eq!(reply.status, 422, "{zero}: {}", reply.text);
        let e = reply.json();
        assert_eq!(e["error"]["path"], "events[0].occurred_at", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("missing"),
            "{e}"
        );
    }
}

/// An event type the model never saw is no reason to refuse a lead (as a categorical column's
/// new level is not): it feeds no per-type feature and counts only as an active day, as in
/// training, `evaluate` and `leadscore-train score`; `/metrics` and the drift report count the
/// leads that sent one, under `events.event_type`. Single and batch, through the bytes reader
/// and serde's (an escaped key).
#[tokio::test]
async fn an_event_type_the_model_never_saw_is_scored_as_an_active_day_and_counted() {
    let s = state();
    let page_view = json!({"event_type": "page_view", "occurred_at": "2025-06-01T10:00:00Z"});
    let odd = |day: &str| json!({"event_type": "dmeo_request", "occurred_at": format!("2025-06-0{day}T11:00:00Z")});
    // Same day as the page view: no new active day, so the score is the page view's alone.
    let alone = score(&s, json!([page_view])).await;
    let same_day = score(&s, json!([page_view, odd("1")])).await;
    assert_eq!(same_day, alone);
    // Another day: one more active day, and nothing else.
    let other_day = score(&s, json!([page_view, odd("3")])).await;
    assert_ne!(other_day, alone, "a second active day counts");
    // The same lead with the odd event as an escaped key goes through serde's reader.
    let escaped = r#"{"created_at": "2025-06-01 10:00:00", "email": "dana.lee@acme-corp.com", "job_title": "Marketing Manager", "company_size": 250, "industry": "Software", "country": "United States", "lead_source": "Organic Search", "events": [{"event_type": "page_view", "occurred_at": "2025-06-01T10:00:00Z"}, {"event_\u0074ype": "dmeo_request", "occurred_at": "2025-06-03T11:00:00Z"}]}"#;
    let reply = send(
        &s,
        json_request(
            "POST",
            "/v1/score?factors=0&as_of=2025-06-08T10:00:00Z",
            escaped.to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["score"].as_f64().unwrap(), other_day);

    // A batch: the lead with the odd type and one without are both scored.
    let body = json!({"leads": [
        {"job_title": "CEO", "created_at": "2025-06-01 10:00:00"},
        {"job_title": "CEO", "created_at": "2025-06-01 10:00:00", "events": [page_view, odd("1")]}
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
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["leads"].as_array().unwrap().len(), 2);

    // Counted: the single leads with it (same day, other day, escaped) and the batch's one.
    let metrics = send(&s, common::get("/metrics")).await.text;
    assert!(
        metrics.contains("leadscore_unseen_values_total{column=\"events.event_type\"} 4\n"),
        "{metrics}"
    );
    let model = send(&s, common::get("/v1/model")).await.json();
    let unseen = model["drift"]["unseen"].as_array().unwrap();
    let events = unseen
        .iter()
        .find(|u| u["column"] == "events.event_type")
        .expect("the event types' entry");
    assert_eq!(events["scored_as"], "active days only");
    assert_eq!(events["leads"], 4);
}

/// Scores one lead (fields as given) at `as_of`; the reply.
async fn score_at(
    state: &std::sync::Arc<App>,
    lead: serde_json::Value,
    as_of: &str,
) -> common::Reply {
    send(
        state,
        json_request(
            "POST",
            &format!("/v1/score?factors=0&as_of={as_of}"),
            lead.to_string(),
        ),
    )
    .await
}

#[tokio::test]
async fn lead_age_comes_from_created_at_and_is_required() {
    let s = state();
    let lead = |created: Option<&str>| {
        let mut v =
            json!({"job_title": "VP Marketing", "email": "ana@acme.io", "company_size": 250});
        if let Some(c) = created {
            v["created_at"] = json!(c);
        }
        v
    };
    // Missing (the zero time too: an unset date), or after the scoring time: 422 naming the
    // field.
    let mut zero = lead(None);
    zero["created_at"] = json!(0);
    for (body, why) in [
        (lead(None), "missing"),
        (zero, "missing"),
        (lead(Some("0.0")), "missing"),
        (lead(Some("0000-00-00 00:00:00")), "missing"),
        (lead(Some("2025-07-01 00:00:00")), "after the scoring time"),
        (lead(Some("yesterday")), "a timestamp"),
    ] {
        let r = score_at(&s, body, "2025-06-08T10:00:00Z").await;
        assert_eq!(r.status, 422, "{}", r.text);
        let e = r.json();
        assert_eq!(e["error"]["path"], "created_at", "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    let batch = json!({"leads": [lead(Some("2025-06-01 10:00:00")), lead(None)]});
    let r = send(
        &s,
        json_request(
            "POST",
            "/v1/score?as_of=2025-06-08T10:00:00Z",
            batch.to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["error"]["path"], "leads[1].created_at");

    // Created seconds after the scoring time (a CRM's clock ahead of ours): age 0, up to five
    // minutes; later, refused.
    let r = score_at(
        &s,
        lead(Some("2025-06-08 10:00:03")),
        "2025-06-08T10:00:00Z",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["lead_age"]["days"], 0.0, "{}", r.text);
    let r = score_at(
        &s,
        lead(Some("2025-06-08 10:05:00")),
        "2025-06-08T10:00:00Z",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = score_at(
        &s,
        lead(Some("2025-06-08 10:05:01")),
        "2025-06-08T10:00:00Z",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // The age the model saw is in the response.
    let r = score_at(
        &s,
        lead(Some("2025-06-01 10:00:00")),
        "2025-06-08T10:00:00Z",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert!(
        (v["lead_age"]["days"].as_f64().unwrap() - 7.0).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["lead_age"]["scored_as_days"], v["lead_age"]["days"]);
    assert_eq!(v["lead_age"]["outside_landmarks"], false);

    // Created and scored within one second (a CRM scoring a lead on arrival): age 0, whichever
    // fraction is larger, as both read down to the second; so is a lead created up to five
    // minutes after the scoring time (clock skew); past them it did not exist then.
    for (created, as_of, status) in [
        ("2025-06-08T10:00:00.123Z", "2025-06-08T10:00:00.456Z", 200),
        ("2025-06-08T10:00:00.900Z", "2025-06-08T10:00:00.100Z", 200),
        ("2025-06-08T10:00:01Z", "2025-06-08T10:00:00.900Z", 200),
        ("2025-06-08T10:05:00Z", "2025-06-08T10:00:00.900Z", 200),
        ("2025-06-08T10:05:01Z", "2025-06-08T10:00:00.900Z", 422),
    ] {
        let r = score_at(&s, lead(Some(created)), as_of).await;
        assert_eq!(r.status, status, "{created} at {as_of}: {}", r.text);
        if status == 200 {
            assert_eq!(r.json()["lead_age"]["days"], 0.0, "{}", r.text);
        }
    }

    // MLflow's protocol follows the same rule.
    let body = json!({"dataframe_split": {"columns": ["job_title", "company_size"], "data": [["CEO", 40]]}});
    let r = send(&s, json_request("POST", "/invocations", body.to_string())).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("created_at"), "{}", r.text);
}

#[tokio::test]
async fn a_lead_older_than_the_last_landmark_is_scored_at_it_and_stale_leads_score_lower() {
    let s = state();
    let lead = json!({"job_title": "VP Marketing", "email": "ana@acme.io", "company_size": 250,
                      "created_at": "2025-01-01 00:00:00"});
    // 0, 30, 60, 90 and 200 days after 2025-01-01.
    let dates = [
        "2025-01-01",
        "2025-01-31",
        "2025-03-02",
        "2025-04-01",
        "2025-07-20",
    ];
    let mut scores = Vec::new();
    for (days, date) in [0, 30, 60, 90, 200].into_iter().zip(dates) {
        let r = score_at(&s, lead.clone(), &format!("{date}T00:00:00Z")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        if days == 200 {
            assert_eq!(v["lead_age"]["outside_landmarks"], true, "{v}");
            assert_eq!(v["lead_age"]["scored_as_days"], 90.0, "{v}");
            assert!((v["lead_age"]["days"].as_f64().unwrap() - 200.0).abs() < 1e-9);
        }
        scores.push(v["score"].as_f64().unwrap());
    }
    // Without events, a lead older than the last landmark scores exactly as at the last one.
    assert!((scores[4] - scores[3]).abs() < 1e-12, "{scores:?}");
    // The same profile with no activity is a worse bet at 60 days than on its first day.
    assert!(scores[2] < scores[0], "{scores:?}");
}
