//! Serving parity on real data: every X Education lead, sent as JSON (CSV cells as strings)
//! through the router, scores what the training pipeline's artifact scores for that lead.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use leadscore_serve::{app, App, Config};
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
    let artifact = train(&c).expect("train").artifact;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    artifact.write_atomic(&path).unwrap();
    let mut config = Config::new(&path, 0.7);
    config.max_body_bytes = 64 << 20;
    let state = App::new(config).expect("serve the model");

    let rows = common::csv_rows(&common::x_education());
    assert_eq!(rows.len(), 9240);
    let mut checked = 0;
    for chunk in rows.chunks(1000) {
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
        for (row, got) in chunk.iter().zip(scores) {
            let x = artifact.spec.featurize(row, None).unwrap();
            let want = artifact.model.score(&x);
            let got = got["score"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9,
                "lead {}: served {got}, training {want}",
                row["Prospect ID"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 9240);
}
