//! An integer past 2^53 sent as a JSON number (an 18-digit owner id in a pandas int64 column,
//! as MLflow's client and `requests` send one) is read as its digits, as training and the
//! Python package read it: a categorical column finds the level training read, on
//! `/v1/score` and `/invocations`, single and batch, and the factor names the lead's own id.
//! As a float it lost its last digits: every such lead scored `(other)` and its factor showed
//! `1.2345678901234571e17`, a value the lead never sent.

mod common;

use common::{json_request, send};
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::fmt::Write;
use std::sync::Arc;

/// Three owners with 18-digit ids, one of whom converts far more often.
const OWNERS: [u64; 3] = [
    123_456_789_012_345_719,
    123_456_789_012_345_721,
    987_654_321_098_765_433,
];

const SPEC: &str = r#"format_version = 1
label = "converted"
id = "lead_id"

[[columns]]
name = "owner_id"
transform = "categorical"
min_count = 5

[[columns]]
name = "visits"
transform = "numeric"
bins = 0
"#;

fn app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead_id,owner_id,visits,converted\n");
    for i in 0..600u64 {
        let owner = OWNERS[(i % 3) as usize];
        let visits = (i * 7) % 13;
        let converted = if owner == OWNERS[0] {
            i % 5 != 0
        } else {
            i % 5 == 0
        };
        let _ = writeln!(csv, "L{i},{owner},{visits},{}", u8::from(converted));
    }
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, csv).unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let mut c = leadscore_train::pipeline::TrainConfig::new(&data);
    c.spec = Some(spec);
    let model = dir.path().join("model.json");
    leadscore_train::pipeline::train(&c)
        .expect("train")
        .artifact
        .write_atomic(&model)
        .unwrap();
    let app = App::new(Config::new(&model, 0.4)).expect("start the app");
    (dir, app)
}

fn owner_factor(scored: &Value) -> String {
    ["positive", "negative"]
        .iter()
        .flat_map(|k| scored["factors"][k].as_array().cloned().unwrap_or_default())
        .find(|f| f["field"] == "owner_id")
        .map(|f| f["factor"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no owner_id factor: {scored}"))
}

#[tokio::test]
async fn an_18_digit_integer_finds_its_level() {
    let (_dir, app) = app();
    let post = |path: &'static str, body: Value| {
        let app = app.clone();
        async move {
            let r = send(&app, json_request("POST", path, body.to_string())).await;
            assert_eq!(r.status.as_u16(), 200, "{path} {body}: {}", r.text);
            r.json()
        }
    };
    let path = "/v1/score?factors=10";
    let as_text = post(
        path,
        json!({"owner_id": OWNERS[0].to_string(), "visits": 3}),
    )
    .await;
    let as_number = post(path, json!({"owner_id": OWNERS[0], "visits": 3})).await;
    assert_eq!(as_number["score"], as_text["score"], "{as_number}");
    assert_eq!(owner_factor(&as_number), owner_factor(&as_text));
    assert_eq!(
        owner_factor(&as_number),
        "owner_id = \"123456789012345719\""
    );
    // The owners whose ids a float cannot tell apart (…719 and …721 are one f64) score apart.
    let other = post(path, json!({"owner_id": OWNERS[1], "visits": 3})).await;
    assert!(
        as_number["score"].as_f64().unwrap() > other["score"].as_f64().unwrap() + 0.2,
        "{as_number} {other}"
    );
    // A batch, and MLflow's dataframe_split as its client writes an int64 column.
    let batch = post(
        path,
        json!({"leads": [{"owner_id": OWNERS[0], "visits": 3}, {"owner_id": OWNERS[1], "visits": 3}]}),
    )
    .await;
    assert_eq!(batch["leads"][0]["score"], as_text["score"], "{batch}");
    assert_eq!(batch["leads"][1]["score"], other["score"], "{batch}");
    let mlflow = post(
        "/invocations",
        json!({"dataframe_split": {"columns": ["owner_id", "visits"],
                                   "data": [[OWNERS[0], 3], [OWNERS[1], 3]]}}),
    )
    .await;
    assert_eq!(mlflow["predictions"][0], as_text["score"], "{mlflow}");
    assert_eq!(mlflow["predictions"][1], other["score"], "{mlflow}");
}
