//! Fill-rate drift counts a field as the model reads it, in training and in the server alike:
//! an export that writes `-1` for an unset number and `0` for an unset date (with both among
//! the spec's missing tokens), or a multi-select cell holding only separators, has no value
//! there. Training's reference fill and the server's live fill both leave such fields out,
//! whether a request sends them as JSON numbers or as text (`0.0` too, as pandas writes an
//! unset date's `0` beside a missing value), so leads like the training data show no drift.

mod common;

use common::{drift_column as column, get, json_request, send};
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;

const SPEC: &str = r#"
format_version = 1
label = "converted"
id = "lead_id"
missing_tokens = ["", "NA", "-1", "0"]

[[columns]]
name = "lead_id"
transform = "ignore"

[[columns]]
name = "revenue"
transform = "numeric"
bins = 0

[[columns]]
name = "last_contacted"
transform = "timestamp"

[[columns]]
name = "interests"
transform = "multi_select"
separator = ";"
"#;

const ROWS: usize = 2000;

/// Row `i`: revenue unset (`-1`) in 2 of 5 rows, last contact unset (`0`) in 3 of 10, no
/// interest selected (`;`) in 1 of 4; conversion driven by revenue.
fn row(i: usize) -> (i64, i64, &'static str) {
    let revenue = if i % 5 < 2 {
        -1
    } else {
        1_000 + (i as i64 * 7919) % 90_000
    };
    let contacted = if i % 10 < 3 {
        0
    } else {
        1_735_689_600 + (i as i64 * 3_600)
    };
    let interests = match i % 4 {
        0 => ";",
        1 => "pricing;demo",
        2 => "demo",
        _ => "webinar",
    };
    (revenue, contacted, interests)
}

fn csv() -> String {
    let mut text = String::from("lead_id,revenue,last_contacted,interests,converted\n");
    for i in 0..ROWS {
        let (revenue, contacted, interests) = row(i);
        let converted = u8::from(revenue > 45_000 || (revenue < 0 && i % 3 == 0));
        text += &format!("L{i},{revenue},{contacted},{interests},{converted}\n");
    }
    text
}

#[tokio::test]
async fn unset_numbers_dates_and_selections_are_missing_in_both_fill_rates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, csv()).unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let mut config = leadscore_train::pipeline::TrainConfig::new(&data);
    config.spec = Some(spec);
    let model = dir.path().join("model.json");
    let trained = leadscore_train::pipeline::train(&config).expect("train");
    trained.artifact.write_atomic(&model).unwrap();

    // Training's reference: the shares of rows with a value (the training split is a sample
    // of the rows, so close to the file's shares, nowhere near 1).
    let reference = |name: &str| {
        trained
            .artifact
            .reference_fill
            .iter()
            .find(|c| c.column == name)
            .unwrap_or_else(|| panic!("no reference fill for {name}"))
            .filled_share
    };
    for (name, share) in [
        ("revenue", 0.6),
        ("last_contacted", 0.7),
        ("interests", 0.75),
    ] {
        let r = reference(name);
        assert!((r - share).abs() < 0.05, "{name}: reference fill {r}");
    }

    // Leads like the training rows, the unset values sent as numbers and as text by turns.
    let state: Arc<App> = App::new(Config::new(&model, 0.5)).expect("start");
    let leads: Vec<Value> = (0..ROWS)
        .map(|i| {
            let (revenue, contacted, interests) = row(i);
            let as_text = i % 2 == 0;
            let revenue = match (revenue, as_text) {
                (-1, true) => json!("-1"),
                (x, _) => json!(x),
            };
            let contacted = match (contacted, as_text) {
                (0, true) => json!("0.0"),
                (0, false) => json!(0),
                (t, _) => json!(t.to_string()),
            };
            json!({"lead_id": format!("L{i}"), "revenue": revenue,
                   "last_contacted": contacted, "interests": interests})
        })
        .collect();
    let reply = send(
        &state,
        json_request(
            "POST",
            "/v1/score?factors=0&as_of=2026-01-01T00:00:00Z",
            json!({ "leads": leads }).to_string(),
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = send(&state, get("/v1/model")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let drift = reply.json()["drift"].clone();
    for (name, share) in [
        ("revenue", 0.6),
        ("last_contacted", 0.7),
        ("interests", 0.75),
    ] {
        let c = column(&drift, name);
        let live = c["live_fill"].as_f64().expect("live fill");
        assert!((live - share).abs() < 1e-9, "{name}: {c}");
        let psi = c["psi"].as_f64().expect("psi");
        assert!(psi < 0.05, "{name} fills as in training: {c}");
    }
    assert_eq!(drift["status"], "ok", "{drift}");
}
