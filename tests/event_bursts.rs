//! A burst of events past anything training saw (a looping form, a bot): the event counts are
//! held to their training maxima (format 10; 11 holds days since the last event too), so one lead's 500 page views in a minute score
//! as 3,000 do, as the most training saw, through the real server; the factor says so and
//! `/metrics` counts the lead under `events.count`. (Numeric columns have been clamped to their
//! training range since format 5; counts of events were extrapolated without end.)

mod common;

use common::server::Server;
use leadscore_core::artifact::ModelArtifact;
use leadscore_train::pipeline::{train, TrainConfig};
use serde_json::{json, Value};
use std::fmt::Write;
use std::time::Duration;

/// 600 leads, each with 0 to 5 page views on its first day; more views, more conversions.
fn trained(dir: &std::path::Path) -> ModelArtifact {
    let (mut leads, mut events, mut outcomes) = (
        String::from("lead_id,created_at,title\n"),
        String::from("lead_id,event_type,occurred_at\n"),
        String::from("lead_id,converted_at\n"),
    );
    let titles = [
        "CEO",
        "Engineer",
        "Marketing Manager",
        "Director",
        "Analyst",
    ];
    for i in 0..600u32 {
        let (day, month) = (1 + i % 28, 1 + (i / 28) % 6);
        let id = format!("L{i:04}");
        let _ = writeln!(
            leads,
            "{id},2025-{month:02}-{day:02} 09:00:00,{}",
            titles[(i % 5) as usize]
        );
        let views = (i * 7919) % 6;
        for v in 0..views {
            let _ = writeln!(events, "{id},page_view,2025-{month:02}-{day:02} 1{v}:00:00");
        }
        // Converted 20 days in, likelier with more views.
        if (i * 104_729) % 7 < views + 1 {
            let (m, d) = if day + 20 > 28 {
                (month + 1, day - 8)
            } else {
                (month, day + 20)
            };
            let _ = writeln!(outcomes, "{id},2025-{m:02}-{d:02} 09:00:00");
        }
    }
    // The data runs to the end of the year: every lead's horizon is over.
    let _ = writeln!(events, "L0001,newsletter,2025-12-31 00:00:00");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let spec = write(
        "spec.toml",
        "format_version = 1\nid = \"lead_id\"\n[time]\nobservation_days = 1\n[events]\n\
         [[columns]]\nname = \"title\"\ntransform = \"job_title\"\n",
    );
    let mut c = TrainConfig::new(write("leads.csv", &leads));
    c.spec = Some(spec);
    c.events = Some(write("events.csv", &events));
    c.outcomes = Some(write("outcomes.csv", &outcomes));
    c.fit.folds = 3;
    train(&c).unwrap().artifact
}

#[test]
fn a_burst_of_events_scores_as_the_most_training_saw() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = trained(dir.path());
    assert_eq!(
        artifact.format_version, 11,
        "a model with event maxima, days since held"
    );
    let events = artifact.spec.events.as_ref().unwrap();
    assert_eq!(events.max.len(), events.width());
    let k = events.types.iter().position(|t| t == "page_view").unwrap();
    // The widest window's count: at most 5 page views a lead in training.
    let widest = events.type_features(k).start + events.windows_days.len() - 1;
    assert_eq!(events.max[widest], 5f64.ln_1p());
    let path = dir.path().join("model.json");
    artifact.write_atomic(&path).unwrap();

    let server = Server::start(
        common::serve_binary(),
        [
            "--model",
            path.to_str().unwrap(),
            "--target-precision",
            "0.3",
        ],
    );
    let post = |views: usize| -> Value {
        let events: Vec<Value> = (0..views)
            .map(|v| {
                json!({"event_type": "page_view",
                       "occurred_at": format!("2026-01-01T09:00:{:02}Z", v % 60)})
            })
            .collect();
        let lead = json!({"lead_id": "B", "title": "Analyst", "events": events});
        let (status, body) = common::http::Http::new(server.addr, Duration::from_secs(30)).post(
            "/v1/score?factors=10&as_of=2026-01-01T10:00:00Z",
            &lead.to_string(),
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let factor = |v: &Value| -> String {
        ["positive", "negative"]
            .iter()
            .flat_map(|k| v["factors"][k].as_array().cloned().unwrap_or_default())
            .find(|f| f["field"] == "page_view")
            .map(|f| f["factor"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (one, burst, more) = (post(1), post(500), post(3000));
    // 500 and 3,000 page views within a minute (the last at 09:00:59 either way) are each the
    // most training saw: the same score.
    assert_eq!(burst["score"], more["score"], "{burst}\n{more}");
    assert!(
        factor(&burst).starts_with("page_view: 500 in the last")
            && factor(&burst)
                .ends_with("(more than any training lead: scored as the most training saw)"),
        "{burst}"
    );
    // One, fewer than training saw, is scored as it is and said plainly.
    assert!(
        factor(&one).starts_with("page_view: 1 in the last")
            && !factor(&one).contains("more than any training lead"),
        "{one}"
    );
    assert!(one["score"].as_f64() < burst["score"].as_f64());
    let (status, metrics) =
        common::http::Http::new(server.addr, Duration::from_secs(30)).get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("leadscore_unseen_values_total{column=\"events.count\"} 2\n"),
        "{metrics}"
    );
}
