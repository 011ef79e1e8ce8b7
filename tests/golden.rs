//! Committed artifacts still load, validate and score as they did when they were written.
//! A change to the artifact format or to what a feature means breaks these tests: bump
//! `FORMAT_VERSION` and regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`.
//!
//! - `models/demo.json`: the committed demo model (the current format, trained on landmarks:
//!   lead age is a feature), scored at several ages of each lead;
//! - `tests/golden/demo-v4.json`: the demo model as format 4 wrote it (the committed model
//!   until 2026-12-06; written before numeric columns kept their training range, so it scores
//!   numbers unclamped, as it was trained);
//! - `tests/golden/demo-v2.json`: the demo model as format 2 wrote it (one snapshot per lead,
//!   created_at + 7 days), which must keep loading and serving as a one-landmark model.

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::{FittedTransform, LeadEvent};
use leadscore_core::value::parse_timestamp;
use std::collections::HashMap;

/// Loads `model`, checks its id and a lossless round trip through our types.
fn load(model: &str) -> ModelArtifact {
    let text = std::fs::read_to_string(common::repo(model)).unwrap();
    let artifact = ModelArtifact::from_json(&text, model).unwrap();
    assert_eq!(artifact.model_id, artifact.compute_id());
    let reserialized = serde_json::to_string_pretty(&artifact).unwrap();
    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b: serde_json::Value = serde_json::from_str(&reserialized).unwrap();
    assert_eq!(a, b, "{model}: a round trip changed the document");
    artifact
}

/// Scores of the first 50 demo leads, lead i at `created_at + ages[i % ages.len()]` days.
fn demo_scores(artifact: &ModelArtifact, ages: &[i64]) -> Vec<f64> {
    let leads = common::csv_rows(&common::repo("data/demo/leads.csv"));
    let events = common::events_by_lead(&common::repo("data/demo/events.csv"));
    let none = Vec::new();
    leads
        .iter()
        .take(50)
        .enumerate()
        .map(|(i, l)| {
            let age = ages[i % ages.len()];
            let as_of = parse_timestamp(&l["created_at"]).unwrap() + age * 86_400;
            let ev: Vec<LeadEvent<'_>> = events
                .get(&l["lead_id"])
                .unwrap_or(&none)
                .iter()
                .map(|(t, at)| LeadEvent {
                    event_type: t,
                    occurred_at: *at,
                })
                .collect();
            let mut x = vec![0.0; artifact.spec.width()];
            artifact
                .spec
                .featurize_with_events_into(l, &ev, Some(as_of), &mut x)
                .unwrap();
            artifact.model.score(&x)
        })
        .collect()
}

/// Compares `scores` with the recorded ones (rewritten with `UPDATE_GOLDEN=1`).
fn check_golden(golden: &str, scores: &[f64]) {
    let golden = common::repo(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, serde_json::to_string_pretty(scores).unwrap()).unwrap();
    }
    let expected: Vec<f64> =
        serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
    assert_eq!(expected.len(), scores.len());
    for (i, (e, s)) in expected.iter().zip(scores).enumerate() {
        assert!(
            (e - s).abs() < 1e-12,
            "lead {}: recorded {e}, now {s}",
            i + 1
        );
    }
}

fn is_age(t: &FittedTransform) -> bool {
    matches!(t, FittedTransform::LeadAge { .. })
}

#[test]
fn committed_demo_model_loads_and_scores_as_recorded() {
    let artifact = load("models/demo.json");
    // The format training writes for a model like it (no multi-select column: 7).
    assert_eq!(
        artifact.format_version,
        leadscore_core::artifact::format_version_for(&artifact.spec)
    );
    // Ranges and date caps: a number outside what training saw is clamped to it.
    assert!(artifact
        .spec
        .columns
        .iter()
        .any(|c| matches!(c.transform, FittedTransform::Numeric { range: Some(_), .. })));
    assert!(artifact.spec.columns.iter().any(|c| is_age(&c.transform)));
    assert!(artifact.example_curve.is_some() && artifact.replay.is_some());
    let scores = demo_scores(&artifact, &[0, 2, 7, 45, 120]);
    check_golden("tests/golden/demo-scores.json", &scores);
}

#[test]
fn a_format_4_artifact_still_loads_and_scores_as_recorded() {
    let artifact = load("tests/golden/demo-v4.json");
    assert_eq!(artifact.format_version, 4);
    // No ranges: a number outside what training saw is scored as it was in format 4.
    assert!(artifact
        .spec
        .columns
        .iter()
        .all(|c| !matches!(c.transform, FittedTransform::Numeric { range: Some(_), .. })));
    assert!(artifact.spec.columns.iter().any(|c| is_age(&c.transform)));
    assert!(artifact.example_curve.is_some() && artifact.replay.is_some());
    // Ages on, between and past the landmarks.
    let scores = demo_scores(&artifact, &[0, 2, 7, 45, 120]);
    check_golden("tests/golden/demo-v4-scores.json", &scores);
}

#[test]
fn a_format_2_artifact_still_loads_scores_and_serves_as_a_one_landmark_model() {
    let artifact = load("tests/golden/demo-v2.json");
    assert_eq!(artifact.format_version, 2);
    assert!(!artifact.spec.columns.iter().any(|c| is_age(&c.transform)));
    assert_eq!(artifact.assembly.as_ref().unwrap().time.landmarks(), [7.0]);
    let scores = demo_scores(&artifact, &[7]);
    check_golden("tests/golden/demo-v2-scores.json", &scores);

    // Served: no creation time needed, no lead age in the answer, same score as in process.
    let leads = common::csv_rows(&common::repo("data/demo/leads.csv"));
    let lead: HashMap<&str, &str> = leads[0]
        .iter()
        .filter(|(k, v)| k.as_str() != "created_at" && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, body) = rt.block_on(async {
        use tower::ServiceExt;
        let state = leadscore_serve::App::new(leadscore_serve::Config::new(
            common::repo("tests/golden/demo-v2.json"),
            0.5,
        ))
        .expect("a format 2 artifact serves");
        let as_of = parse_timestamp(&leads[0]["created_at"]).unwrap() + 7 * 86_400;
        let as_of = chrono::DateTime::from_timestamp(as_of, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let request = axum::http::Request::builder()
            .method("POST")
            .uri(format!("/v1/score?factors=0&as_of={as_of}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                serde_json::to_string(&lead).unwrap(),
            ))
            .unwrap();
        let response = leadscore_serve::app(state).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    });
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v.get("lead_age").is_none(), "{v}");
    // The request carries no events: compare with the in-process score without events.
    let mut x = vec![0.0; artifact.spec.width()];
    let as_of = parse_timestamp(&leads[0]["created_at"]).unwrap() + 7 * 86_400;
    artifact
        .spec
        .featurize_with_events_into(&leads[0], &[], Some(as_of), &mut x)
        .unwrap();
    let expected = artifact.model.score(&x);
    assert!(
        (v["score"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{v} vs {expected}"
    );
}
