//! `/v1/score` request bodies: arbitrary bytes through the request parser
//! (`lead::parse_score_body`, with the committed demo model's columns) and, when they parse,
//! through scoring and the whole handler body (`api::score_body`). Must return Ok or Err, never
//! panic; a score must be a probability.

#![no_main]

use leadscore_serve::{App, Config};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

/// The demo model, loaded once (cutoff at precision 0.5, default limits).
fn app() -> &'static Arc<App> {
    static APP: OnceLock<Arc<App>> = OnceLock::new();
    APP.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/demo.json");
        App::new(Config::new(path, 0.5)).expect("models/demo.json loads with target 0.5")
    })
}

/// 2025-07-01T00:00:00Z, after the demo data; and 1970, before every timestamp.
const AS_OF: [i64; 2] = [1_751_328_000, 0];

fuzz_target!(|data: &[u8]| {
    let app = app();
    let serving = app.current();
    match leadscore_serve::lead::parse_score_body(data, &serving.columns, app.config.max_batch) {
        Ok(body) => {
            assert!(body.leads.len() <= app.config.max_batch);
            assert!(body.batch || body.leads.len() == 1);
            for as_of in AS_OF {
                // Each lead's factors are given to the callback as it is scored (the scores
                // returned carry none).
                let mut with_factors = 0;
                let scored = serving.score_each(&body.leads, as_of, 3, |_, s, inputs| {
                    // The factor texts read the lead's values, one per model column.
                    assert_eq!(inputs.values.len(), serving.artifact.spec.columns.len());
                    let f = s.factors.as_ref().expect("factors were asked for");
                    assert!(f.positive.len() <= 3 && f.negative.len() <= 3);
                    for c in f.positive.iter().chain(&f.negative) {
                        assert!(c.contribution.is_finite());
                    }
                    with_factors += 1;
                });
                match scored {
                    Ok(scores) => {
                        assert_eq!(scores.len(), body.leads.len());
                        assert_eq!(with_factors, scores.len());
                        for s in &scores {
                            assert!((0.0..=1.0).contains(&s.score), "score {}", s.score);
                            // A gate holds a lead back whatever its score.
                            assert_eq!(
                                s.mql,
                                s.held_back_by.is_empty() && s.score >= serving.cutoff.threshold
                            );
                        }
                    }
                    Err(e) => drop(e.to_string()),
                }
            }
        }
        Err(e) => drop(e.to_string()),
    }
    // The handler's whole body path: parse, score, record metrics and drift, serialize.
    match leadscore_serve::api::score_body(app, data, AS_OF[0], 0) {
        Ok(out) => {
            serde_json::from_slice::<serde_json::Value>(&out).expect("the response is JSON");
        }
        Err(e) => drop(e.to_string()),
    }
});
