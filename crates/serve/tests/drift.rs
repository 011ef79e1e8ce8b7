//! Drift through the router: leads like the training data keep the PSIs small; leads with a
//! field missing, or a mix of high scorers, push them past the threshold, and `/v1/model` and
//! `/metrics` show it. An artifact without training fill rates reports fill drift as
//! unavailable.

mod common;
// The demo CSV reader the benches share (core's `benches/common`).
#[path = "../../core/benches/common/mod.rs"]
mod csv;

use common::{
    demo_lead, drift_column as column, get, json_request, repo, send, state_with, TARGET,
};
use csv::split_csv;
use leadscore_core::artifact::ModelArtifact;
use leadscore_serve::{App, Config};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

const AS_OF: &str = "2026-01-01T00:00:00Z";

/// The demo leads as request leads (empty cells left out, the label dropped), in file order.
fn training_like_leads() -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(repo("data/demo-leads.csv")).expect("demo data");
    let mut lines = text.lines();
    let header = split_csv(lines.next().expect("header"));
    lines
        .map(|line| {
            header
                .iter()
                .zip(split_csv(line))
                .filter(|(name, value)| *name != "converted" && !value.is_empty())
                .map(|(name, value)| (name.clone(), Value::String(value)))
                .collect()
        })
        .collect()
}

async fn score(state: &Arc<App>, leads: Vec<Value>) {
    let reply = send(
        state,
        json_request(
            "POST",
            &format!("/v1/score?factors=0&as_of={AS_OF}"),
            json!({ "leads": leads }).to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

async fn drift(state: &Arc<App>) -> Value {
    let reply = send(state, get("/v1/model")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["drift"].clone()
}

async fn metrics(state: &Arc<App>) -> String {
    let reply = send(state, get("/metrics")).await;
    assert_eq!(reply.status, 200);
    reply.text
}

/// The value of one gauge line (`name` with its labels) in the exposition.
fn gauge(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn training_like_leads_stay_stable_and_need_a_minimum_sample() {
    let state = state_with(|_| {});
    let before = drift(&state).await;
    assert_eq!(before["status"], "insufficient_data", "{before}");
    assert_eq!(before["leads"], 0);
    assert_eq!(before["min_leads"], 500);
    assert_eq!(before["threshold"], 0.2);
    assert!(before["score_psi"].is_null());
    assert!(column(&before, "company_size")["psi"].is_null());
    let text = metrics(&state).await;
    assert_eq!(gauge(&text, "leadscore_drift_leads"), Some(0.0));
    assert_eq!(gauge(&text, "leadscore_drift_score_psi"), None);

    let leads: Vec<Value> = training_like_leads()
        .into_iter()
        .take(2000)
        .map(Value::Object)
        .collect();
    score(&state, leads).await;
    let d = drift(&state).await;
    assert_eq!(d["leads"], 2000, "{d}");
    assert_eq!(d["status"], "ok", "{d}");
    let score_psi = d["score_psi"].as_f64().expect("score psi");
    assert!(score_psi < 0.1, "scores like the holdout's: {d}");
    for c in d["fill"].as_array().expect("fill") {
        let psi = c["psi"].as_f64().expect("fill psi");
        assert!(psi < 0.1, "fill like training: {c}");
    }
    let size = column(&d, "company_size");
    let (live, reference) = (
        size["live_fill"].as_f64().unwrap(),
        size["reference_fill"].as_f64().unwrap(),
    );
    assert!(reference > 0.9 && reference < 0.97, "{size}");
    assert!((live - reference).abs() < 0.03, "{size}");

    let text = metrics(&state).await;
    assert_eq!(gauge(&text, "leadscore_drift_leads"), Some(2000.0));
    assert_eq!(gauge(&text, "leadscore_drift_score_psi"), Some(score_psi));
    assert!(
        gauge(&text, "leadscore_drift_fill_psi{column=\"company_size\"}").is_some_and(|p| p < 0.1)
    );

    // A cutoff change keeps the model, so it keeps the sample.
    let reply = send(
        &state,
        json_request(
            "PUT",
            "/v1/cutoff",
            json!({"target_precision": 0.6}).to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(drift(&state).await["leads"], 2000);
}

#[tokio::test]
async fn a_field_gone_missing_is_fill_drift() {
    let state = state_with(|_| {});
    let leads: Vec<Value> = training_like_leads()
        .into_iter()
        .take(1000)
        .map(|mut lead| {
            // Half absent, half sent as a missing token: both count as missing.
            if lead["lead_id"]
                .as_str()
                .is_some_and(|id| id.ends_with(['0', '2', '4', '6', '8']))
            {
                lead.remove("company_size");
            } else {
                lead.insert("company_size".into(), json!("N/A"));
            }
            Value::Object(lead)
        })
        .collect();
    score(&state, leads).await;
    let d = drift(&state).await;
    assert_eq!(d["status"], "warn", "{d}");
    let size = column(&d, "company_size");
    assert_eq!(size["live_fill"], 0.0, "{size}");
    assert!(size["psi"].as_f64().unwrap() > 0.2, "{size}");
    assert!(column(&d, "job_title")["psi"].as_f64().unwrap() < 0.1);
    assert!(d["drifted"]
        .as_array()
        .unwrap()
        .contains(&json!("company_size")));
    let text = metrics(&state).await;
    assert!(
        gauge(&text, "leadscore_drift_fill_psi{column=\"company_size\"}").is_some_and(|p| p > 0.2),
        "{text}"
    );
}

#[tokio::test]
async fn a_mix_of_high_scorers_is_score_drift() {
    let state = state_with(|_| {});
    score(&state, vec![demo_lead(); 600]).await;
    let d = drift(&state).await;
    assert_eq!(d["status"], "warn", "{d}");
    assert!(d["score_psi"].as_f64().unwrap() > 0.25, "{d}");
    assert!(d["drifted"].as_array().unwrap().contains(&json!("score")));
    let text = metrics(&state).await;
    assert!(gauge(&text, "leadscore_drift_score_psi").is_some_and(|p| p > 0.25));
}

/// The demo model as written before training fill rates were kept: no `reference_fill`,
/// sealed again (so another `model_id`), in its own folder.
fn model_without_fill_rates() -> (tempfile::TempDir, PathBuf) {
    let mut artifact = ModelArtifact::load(common::demo_model()).expect("the demo model loads");
    assert!(
        !artifact.reference_fill.is_empty(),
        "training keeps fill rates"
    );
    artifact.reference_fill.clear();
    artifact.seal();
    let text = serde_json::to_string(&artifact).expect("serialize");
    assert!(
        !text.contains("reference_fill"),
        "an empty reference is not written"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.json");
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

#[tokio::test]
async fn a_new_model_starts_a_new_sample() {
    let (_dir, path) = common::demo_model_copy();
    let state = App::new(Config::new(&path, TARGET)).expect("start");
    score(&state, vec![demo_lead(); 600]).await;
    assert_eq!(drift(&state).await["leads"], 600);
    // A reload of the same model keeps the sample.
    let reply = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(drift(&state).await["leads"], 600);
    // Another model starts from zero.
    let (_old_dir, old) = model_without_fill_rates();
    std::fs::copy(&old, &path).expect("swap the model");
    let reply = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let d = drift(&state).await;
    assert_eq!(d["leads"], 0, "{d}");
    assert_ne!(d["model_id"], json!(null));
}

#[tokio::test]
async fn an_artifact_without_fill_rates_reports_fill_drift_unavailable() {
    let (_dir, old) = model_without_fill_rates();
    let state = App::new(Config::new(&old, TARGET)).expect("start");
    score(&state, vec![demo_lead(); 600]).await;
    let d = drift(&state).await;
    assert!(d["fill"].is_null(), "{d}");
    assert!(
        d["notes"]
            .to_string()
            .contains("fill-rate drift is unavailable"),
        "{d}"
    );
    assert!(d["score_psi"].as_f64().is_some_and(|p| p > 0.25), "{d}");
    assert_eq!(d["status"], "warn");
    let text = metrics(&state).await;
    assert!(gauge(&text, "leadscore_drift_score_psi").is_some());
    assert!(!text.contains("leadscore_drift_fill_psi{"));
}
