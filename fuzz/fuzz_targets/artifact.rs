//! Model artifacts: arbitrary bytes through `ModelArtifact::from_json` (the loader the server
//! and the trainer use) and, since random edits almost never keep the content hash
//! (`model_id`), also through serde + `seal` + `validate`, so mutated specs, weights and
//! curves reach the featurizer, the scorer and the cutoff search. Loading must return Ok or
//! Err, never panic; a loaded artifact must featurize and score a default lead without
//! panicking.

#![no_main]

use leadscore_core::artifact::{ModelArtifact, FORMAT_VERSION};
use leadscore_core::curve::{cutoff_for_precision, tier_cutoffs};
use leadscore_core::fitted::LeadEvent;
use leadscore_core::model::Scorer;
use leadscore_serve::config::Tiers;
use leadscore_serve::state::{CutoffTarget, ModelFile, Serving};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ModelArtifact::from_json(text, "fuzz") {
        Ok(artifact) => exercise(artifact),
        Err(e) => drop(e.to_string()),
    }
    if let Ok(mut artifact) = serde_json::from_str::<ModelArtifact>(text) {
        // As if it were a current file: serde alone does not check the version.
        artifact.format_version = FORMAT_VERSION;
        artifact.seal();
        if artifact.validate().is_ok() {
            // A sealed artifact must load through the real loader too.
            let json = serde_json::to_string(&artifact).expect("serializes");
            let reloaded = ModelArtifact::from_json(&json, "fuzz (sealed)");
            assert!(reloaded.is_ok(), "sealed artifact refused: {reloaded:?}");
            exercise(artifact);
        }
    }
});

/// What serving does with a loaded artifact, on a lead with no fields (every value missing)
/// and on one with typical values.
fn exercise(artifact: ModelArtifact) {
    let spec = &artifact.spec;
    let scorer = Scorer::new(&artifact.model);
    let empty: HashMap<String, String> = HashMap::new();
    let typical: HashMap<String, String> = spec
        .columns
        .iter()
        .map(|c| (c.name.clone(), "1".to_string()))
        .collect();
    let events = [LeadEvent {
        event_type: "page_view",
        occurred_at: 1_750_000_000,
    }];
    let mut x = vec![0.0; spec.width()];
    for as_of in [None, Some(1_751_328_000), Some(0)] {
        for lead in [&empty, &typical] {
            if spec
                .featurize_with_events_into(lead, &events, as_of, &mut x)
                .is_ok()
            {
                let log_odds = scorer.log_odds(&x);
                let score = leadscore_core::model::sigmoid(log_odds);
                assert!(log_odds.is_nan() || (0.0..=1.0).contains(&score));
                let _ = artifact.model.factors(&x, 3);
                let (mut positive, mut negative) = (Vec::new(), Vec::new());
                scorer.factors_into(&x, 3, &mut positive, &mut negative);
            }
        }
    }
    for target in [0.05, 0.5, 0.9] {
        if let Ok(op) = cutoff_for_precision(&artifact.curve, target, 0.95) {
            assert!(op.precision_lower_bound >= target);
        }
    }
    let _ = tier_cutoffs(
        &artifact.curve,
        &[("A".into(), 0.8), ("B".into(), 0.3)],
        0.9,
    );
    let _ = artifact.spec.features();

    // The server's own path: build a Serving (fails cleanly on an unattainable target), parse
    // a request against its columns and score it.
    let file = ModelFile {
        path: "fuzz.json".into(),
        file_name: "fuzz.json".into(),
        registry: None,
        stamp: None,
    };
    let target = CutoffTarget {
        target_precision: 0.3,
        confidence: 0.9,
    };
    let Ok(serving) = Serving::new(
        Arc::new(artifact),
        Arc::new(file),
        target,
        &Tiers::default(),
        None,
    ) else {
        return;
    };
    for body in [
        &b"{}"[..],
        br#"{"leads": [{}, {"email": "a@b.co", "company_size": 12}]}"#,
    ] {
        if let Ok(parsed) = leadscore_serve::lead::parse_score_body(body, &serving.columns, 10) {
            let _ = serving.score_each(&parsed.leads, 1_751_328_000, 3, |_, _, _| {});
        }
    }
}
