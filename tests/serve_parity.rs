//! Serving parity on real data: every X Education lead, sent as JSON (CSV cells as strings)
//! through the router, scores what the training pipeline's artifact scores for that lead, and
//! what the polars featurizer's row of that lead scores; a holdout lead is served, bit for bit,
//! the score training chose the cutoff on, so the MQLs served are the ones the curve counted.
//! The model has pairs (interaction terms), so their cell features are part of both.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use leadscore_core::pairs::PairCount;
use leadscore_serve::{app, App, Config};
use leadscore_train::featurize::featurize_table;
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_x_education_lead_scores_as_in_training() {
    let mut c = TrainConfig::new(common::x_education());
    c.label = Some("Converted".into());
    c.id = Some("Prospect ID".into());
    c.exclude = common::X_EDUCATION_EXCLUDED
        .iter()
        .map(|s| s.to_string())
        .collect();
    c.pairs = Some(PairCount::Fixed(8));
    let outcome = train(&c).expect("train");
    let artifact = outcome.artifact;
    // The holdout scores the cutoff was chosen on, by lead id.
    let holdout: std::collections::HashMap<String, f64> = outcome
        .holdout_rows
        .iter()
        .map(|h| (h.id.clone(), h.score))
        .collect();
    assert!(holdout.len() > 1000);
    assert_eq!(artifact.spec.pairs.len(), 8);
    // The training pipeline's own features of every lead (the polars path).
    let read = ReadOptions {
        missing_tokens: artifact.spec.missing_tokens.clone(),
        ..ReadOptions::default()
    };
    let table = read_table(&common::x_education(), &read).unwrap();
    let matrix = featurize_table(&artifact.spec, &table, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    artifact.write_atomic(&path).unwrap();
    let mut config = Config::new(&path, 0.7);
    config.max_body_bytes = 64 << 20;
    let state = App::new(config).expect("serve the model");

    let threshold = {
        let req = Request::builder()
            .uri("/v1/cutoff")
            .body(Body::empty())
            .unwrap();
        let response = app(state.clone()).oneshot(req).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["cutoff"]["threshold"].as_f64().expect("a cutoff")
    };
    let rows = common::csv_rows(&common::x_education());
    assert_eq!(rows.len(), 9240);
    let mut checked = 0;
    // Holdout leads: served MQLs, and those the curve counted (holdout score >= cutoff).
    let (mut served_mqls, mut curve_mqls, mut at_cutoff) = (0, 0, 0);
    for (k, chunk) in rows.chunks(1000).enumerate() {
        let leads: Vec<Value> = chunk.iter().map(|r| json!(r)).collect();
        let body = json!({ "leads": leads }).to_string();
        let req = Request::builder()
            .method("POST")
            .uri("/v1/score?factors=0")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app(state.clone()).oneshot(req).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, StatusCode::OK, "{v}");
        let scores = v["leads"].as_array().unwrap();
        assert_eq!(scores.len(), chunk.len());
        for (r, (row, got)) in chunk.iter().zip(scores).enumerate() {
            let x = artifact.spec.featurize(row, None).unwrap();
            let want = artifact.model.score(&x);
            let polars = artifact.model.score(&matrix.row(k * 1000 + r));
            let got = got["score"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 && (got - polars).abs() <= 1e-9,
                "lead {}: served {got}, per lead {want}, polars {polars}",
                row["Prospect ID"]
            );
            // A holdout lead is served the very score the cutoff was chosen on (not one a bit
            // off: a lead whose holdout score is the cutoff would drop out of the MQLs).
            if let Some(h) = holdout.get(row["Prospect ID"].as_str()) {
                assert_eq!(
                    got.to_bits(),
                    h.to_bits(),
                    "lead {}: served {got}, holdout {h}",
                    row["Prospect ID"]
                );
                served_mqls += usize::from(scores[r]["mql"] == json!(true));
                curve_mqls += usize::from(*h >= threshold);
                at_cutoff += usize::from(*h == threshold);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 9240);
    assert_eq!(served_mqls, curve_mqls);
    // The cutoff is a holdout lead's score: that lead is an MQL when served.
    assert!(
        at_cutoff >= 1,
        "no holdout lead scores the cutoff {threshold}"
    );
}
