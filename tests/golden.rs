//! The committed demo artifact still loads, validates and scores as it did when it was written.
//! A change to the artifact format or to what a feature means breaks this test: bump
//! `FORMAT_VERSION` and regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`.

mod common;

use leadscore_core::artifact::{ModelArtifact, FORMAT_VERSION};
use leadscore_core::fitted::LeadEvent;
use leadscore_core::value::parse_timestamp;

const GOLDEN: &str = "tests/golden/demo-scores.json";

#[test]
fn committed_demo_model_loads_and_scores_as_recorded() {
    let path = common::repo("models/demo.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let artifact = ModelArtifact::from_json(&text, "models/demo.json").unwrap();
    assert_eq!(artifact.format_version, FORMAT_VERSION);
    assert_eq!(artifact.model_id, artifact.compute_id());
    // Nothing is lost on a round trip through our types.
    let reserialized = serde_json::to_string_pretty(&artifact).unwrap();
    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b: serde_json::Value = serde_json::from_str(&reserialized).unwrap();
    assert_eq!(a, b);

    let leads = common::csv_rows(&common::repo("data/demo/leads.csv"));
    let events = common::events_by_lead(&common::repo("data/demo/events.csv"));
    let none = Vec::new();
    let scores: Vec<f64> = leads
        .iter()
        .take(50)
        .map(|l| {
            let as_of = parse_timestamp(&l["created_at"]).unwrap() + 7 * 86_400;
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
        .collect();
    let golden = common::repo(GOLDEN);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, serde_json::to_string_pretty(&scores).unwrap()).unwrap();
    }
    let expected: Vec<f64> =
        serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
    assert_eq!(expected.len(), scores.len());
    for (i, (e, s)) in expected.iter().zip(&scores).enumerate() {
        assert!(
            (e - s).abs() < 1e-12,
            "lead {}: recorded {e}, now {s}",
            i + 1
        );
    }
}
