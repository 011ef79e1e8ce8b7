//! Point in time on the demo export: no feature can see the future, and the model uses recency.

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::LeadEvent;
use leadscore_train::assemble::featurize_with_events;
use std::collections::HashMap;
use std::io::Write;

/// Adding events dated after `as_of` to the input changes no feature.
#[test]
fn events_after_as_of_change_no_feature() {
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    let original = common::repo("data/demo/events.csv");
    let base = common::demo_assembled(&original);
    let leads = common::csv_rows(&common::repo("data/demo/leads.csv"));
    // Each lead's latest example: an event after it is after every moment the lead is scored.
    let mut latest: HashMap<&str, i64> = HashMap::new();
    for (&row, &t) in base.source_rows.iter().zip(&base.as_of) {
        let e = latest.entry(leads[row]["lead_id"].as_str()).or_insert(t);
        *e = (*e).max(t);
    }
    let mut as_of_of: Vec<(&str, i64)> = latest.into_iter().collect();
    as_of_of.sort_unstable();
    // The same file plus, for every used lead, strong signals dated after its latest as_of.
    let dir = tempfile::tempdir().unwrap();
    let extended = dir.path().join("events.csv");
    let mut f = std::fs::File::create(&extended).unwrap();
    f.write_all(&std::fs::read(&original).unwrap()).unwrap();
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    for (id, as_of) in &as_of_of {
        for (ty, delay) in [
            ("demo_request", 1),
            ("trial_signup", 3600),
            ("unsubscribe", 86_400 * 30),
        ] {
            writeln!(f, "{id},{ty},{}", fmt(as_of + delay)).unwrap();
        }
    }
    drop(f);
    let with_future = common::demo_assembled(&extended);
    assert_eq!(base.source_rows, with_future.source_rows);
    assert!(with_future.report.events_after_as_of > base.report.events_after_as_of);
    let featurize = |a: &leadscore_train::assemble::Assembled| {
        featurize_with_events(&artifact.spec, &a.table, Some(&a.as_of), a.events.as_ref()).unwrap()
    };
    assert_eq!(featurize(&base).data, featurize(&with_future).data);
}

/// A demo request yesterday outranks the same lead's demo request 120 days ago.
#[test]
fn recent_demo_request_ranks_above_an_old_one() {
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    let lead: HashMap<String, String> = [
        ("lead_id", "X1"),
        ("created_at", "2025-06-01 10:00:00"),
        ("email", "dana.lee@acme-corp.com"),
        ("job_title", "Marketing Manager"),
        ("company_size", "250"),
        ("industry", "Software"),
        ("country", "United States"),
        ("lead_source", "Organic Search"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let as_of = leadscore_core::value::parse_timestamp("2025-06-08 10:00:00").unwrap();
    let score = |days_ago: i64| {
        let events = [
            LeadEvent {
                event_type: "page_view",
                occurred_at: as_of - 3 * 86_400,
            },
            LeadEvent {
                event_type: "demo_request",
                occurred_at: as_of - days_ago * 86_400,
            },
        ];
        let mut x = vec![0.0; artifact.spec.width()];
        artifact
            .spec
            .featurize_with_events_into(&lead, &events, Some(as_of), &mut x)
            .unwrap();
        artifact.model.score(&x)
    };
    let (recent, old) = (score(1), score(120));
    assert!(
        recent > old + 0.05,
        "demo request yesterday {recent:.3} vs 120 days ago {old:.3}"
    );
}

/// `evaluate` on a leads file alone cannot place an events model's features in time: it refuses
/// rather than report metrics computed on zeros.
#[test]
fn evaluate_refuses_an_events_model_without_its_events() {
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    let e = leadscore_train::pipeline::evaluate_file(
        &artifact,
        &common::repo("data/demo/leads.csv"),
        None,
        &[],
        &leadscore_train::load::ReadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trained with engagement events"), "{e}");
}
