//! Nothing fails later for a value training did not see, over HTTP: the coded survey whose
//! questions were answered only 0 or 1 in training scores leads with 3 in them on `/v1/score`
//! and `/invocations`, single and batch: a model trained now (the questions are numbers; 3 is
//! above every training value, so it is scored as 1, counted and said) and a model trained before (its artifact has them boolean: 3 is scored as missing, the factor says
//! so, `/metrics` counts it). A wrong JSON type is still refused with its path.

mod common;
#[path = "../../train/tests/survey/mod.rs"]
mod survey;

use common::{get, json_request, send, Reply};
use leadscore_serve::{App, Config};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The survey models, trained once per test binary: `inferred` with the spec inferred from the
/// data (as `init` does now), `old` with the 0/1 questions boolean (as `init` did before).
struct Models {
    _dir: tempfile::TempDir,
    inferred: PathBuf,
    old: PathBuf,
}

fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("train.csv");
        std::fs::write(&data, survey::csv(&survey::training())).unwrap();
        let old_spec = dir.path().join("old.toml");
        std::fs::write(&old_spec, survey::old_spec()).unwrap();
        let train = |spec: Option<&Path>, out: &str| {
            let mut c = leadscore_train::pipeline::TrainConfig::new(&data);
            c.label = Some("converted".into());
            c.id = Some("lead_id".into());
            c.spec = spec.map(Path::to_path_buf);
            let path = dir.path().join(out);
            leadscore_train::pipeline::train(&c)
                .expect("train the survey model")
                .artifact
                .write_atomic(&path)
                .unwrap();
            path
        };
        let inferred = train(None, "inferred.json");
        let old = train(Some(&old_spec), "old.json");
        Models {
            _dir: dir,
            inferred,
            old,
        }
    })
}

fn app(model: &Path) -> Arc<App> {
    App::new(Config::new(model, 0.4)).expect("start the app")
}

/// A survey row as a request lead: answers as JSON numbers, region and consent as strings.
fn lead(r: &survey::Row) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("lead_id".into(), json!(r.id));
    for (c, v) in survey::CODED.iter().zip(&r.coded) {
        m.insert(c.to_string(), json!(v));
    }
    for (c, v) in survey::ZERO_ONE.iter().zip(&r.zero_one) {
        m.insert(c.to_string(), json!(v));
    }
    m.insert("region".into(), json!(r.region));
    m.insert("consent".into(), json!(r.consent));
    Value::Object(m)
}

/// A fresh lead with 3 in every 0/1 question, a new region and consent "3".
fn lead_with_3() -> Value {
    let mut l = lead(&survey::fresh()[0]);
    for c in survey::ZERO_ONE {
        l[c] = json!(survey::LATER);
    }
    l["region"] = json!(survey::NEW_REGION);
    l["consent"] = json!("3");
    l
}

async fn post(state: &Arc<App>, path: &str, body: &Value) -> Reply {
    send(state, json_request("POST", path, body.to_string())).await
}

/// `/v1/score` of one lead, which must answer 200.
async fn score_one(state: &Arc<App>, lead: &Value) -> Value {
    let r = post(state, "/v1/score?factors=50", lead).await;
    assert_eq!(r.status.as_u16(), 200, "{lead}: {}", r.text);
    r.json()
}

fn metric(text: &str, column: &str) -> Option<u64> {
    let prefix = format!("leadscore_unseen_values_total{{column=\"{column}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

/// Every factor of a scored lead, by field.
fn factor(scored: &Value, field: &str) -> Option<String> {
    ["positive", "negative"]
        .iter()
        .flat_map(|k| scored["factors"][k].as_array().cloned().unwrap_or_default())
        .find(|f| f["field"] == field)
        .map(|f| f["factor"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_survey_scores_3_in_questions_trained_on_0_and_1() {
    let state = app(&models().inferred);
    let fresh = survey::fresh();
    let leads: Vec<Value> = fresh.iter().map(lead).collect();
    // Single: 3 as a number and as text.
    let mut as_text = lead_with_3();
    as_text["q07"] = json!("3");
    let a = score_one(&state, &lead_with_3()).await;
    let b = score_one(&state, &as_text).await;
    assert_eq!(a["score"], b["score"]);
    // A number, above every training value: scored as the largest (1), and the factor says so.
    let mut one = lead_with_3();
    one["q07"] = json!(1);
    let one = score_one(&state, &one).await;
    assert_eq!(one["score"], a["score"]);
    let said = factor(&a, "q07").expect("a q07 factor");
    assert_eq!(said, "q07 = 3: above every training value, scored as 1");
    assert_eq!(
        factor(&b, "q07").as_deref(),
        Some("q07 = 3: above every training value, scored as 1")
    );
    assert_eq!(factor(&one, "q07").unwrap(), "q07 = 1");
    // Batch: the whole fresh export.
    let r = post(&state, "/v1/score?factors=0", &json!({ "leads": leads })).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let scores: Vec<Value> = r.json()["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["score"].clone())
        .collect();
    assert_eq!(scores.len(), 400);
    // /invocations, records and split, single and batch: the same scores.
    let r = post(
        &state,
        "/invocations",
        &json!({ "dataframe_records": leads }),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.json()["predictions"], json!(scores));
    let r = post(
        &state,
        "/invocations",
        &json!({ "dataframe_records": [lead_with_3()] }),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.json()["predictions"], json!([a["score"]]));
    // Counted: consent, region and the numeric questions.
    let metrics = send(&state, get("/metrics")).await.text;
    let consent_3 = fresh.iter().filter(|r| r.consent == "3").count() as u64;
    let new_region = fresh
        .iter()
        .filter(|r| r.region == survey::NEW_REGION)
        .count() as u64;
    // Four singles (two /v1/score with 3, one with 1, one /invocations) and the batch twice.
    assert_eq!(
        metric(&metrics, "consent"),
        Some(4 + 2 * consent_3),
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "region"), Some(4 + 2 * new_region));
    // q07: 3 in `a`, `b` and the /invocations single (not in `one`), and the fresh export twice.
    let q07_fresh = fresh
        .iter()
        .filter(|r| r.zero_one[0] == survey::LATER)
        .count() as u64;
    assert_eq!(
        metric(&metrics, "q07"),
        Some(3 + 2 * q07_fresh),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_model_trained_with_0_1_booleans_scores_3_as_missing_and_says_so() {
    let state = app(&models().old);
    let artifact = state.current().artifact.clone();
    assert_eq!(
        artifact.format_version,
        leadscore_core::artifact::format_version_for(&artifact.spec)
    );
    let l3 = lead_with_3();
    let with_3 = score_one(&state, &l3).await;
    let mut missing = l3.clone();
    for c in survey::ZERO_ONE.iter().chain(&["consent"]) {
        missing[c] = Value::Null;
    }
    let mut as_text = l3.clone();
    for c in survey::ZERO_ONE {
        as_text[c] = json!("3");
    }
    // Scored as missing: the same score as the lead with those fields left out.
    assert_eq!(with_3["score"], score_one(&state, &missing).await["score"]);
    assert_eq!(with_3["score"], score_one(&state, &as_text).await["score"]);
    // The factor names the value as sent and what it was scored as, never a yes or no.
    let said = factor(&with_3, "q07").expect("a q07 factor");
    assert!(
        said.starts_with("q07 = 3: not seen in training, scored as missing"),
        "{said}"
    );
    let said = factor(&score_one(&state, &as_text).await, "q07").unwrap();
    assert!(
        said.starts_with("q07 = \"3\": not seen in training, scored as missing"),
        "{said}"
    );
    if let Some(said) = factor(&with_3, "region") {
        assert_eq!(
            said,
            "region = \"atlantis\": rare or not seen in training, scored as other"
        );
    }
    // A long value is echoed cut, like every other echoed value.
    let mut long = l3.clone();
    long["q08"] = json!("x".repeat(10_000));
    let said = factor(&score_one(&state, &long).await, "q08").unwrap();
    assert!(said.len() < 300, "{said}");
    assert!(
        said.contains("... (10000 bytes): not seen in training"),
        "{said}"
    );

    // Batch on both routes, single on /invocations.
    let fresh = survey::fresh();
    let leads: Vec<Value> = fresh.iter().map(lead).collect();
    let r = post(&state, "/v1/score?factors=1", &json!({ "leads": leads })).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let scores: Vec<Value> = r.json()["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["score"].clone())
        .collect();
    let columns: Vec<String> = leads[0].as_object().unwrap().keys().cloned().collect();
    let rows: Vec<Vec<Value>> = leads
        .iter()
        .map(|l| columns.iter().map(|c| l[c].clone()).collect())
        .collect();
    let r = post(
        &state,
        "/invocations",
        &json!({"dataframe_split": {"columns": columns, "data": rows}}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.json()["predictions"], json!(scores));
    let r = post(&state, "/invocations", &json!({ "inputs": [l3.clone()] })).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.json()["predictions"], json!([with_3["score"]]));

    // /metrics: leads with 3 in each question, per column.
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(metrics.contains(
        "# HELP leadscore_unseen_values_total Leads scored by the model in force with a value \
         training did not see, by column (scored as missing, other, or for a number outside \
         the training range the nearest training value, for a date further back than training's the most days training saw and for one after the scoring time missing, not refused; events.event_type: an event of a type training never saw, counted only as an active \
         day; events.count: event counts, or days since a type's last event, past the most \
         training saw, scored as that).\n\
         # TYPE leadscore_unseen_values_total counter\n"
    ));
    // Leads sent above with 3 (or, for q08 once, a long text) in every question: `l3`,
    // `as_text` twice, `long`, the /invocations single; and the fresh export twice.
    for (j, c) in survey::ZERO_ONE.iter().enumerate() {
        let in_fresh = fresh
            .iter()
            .filter(|r| r.zero_one[j] == survey::LATER)
            .count() as u64;
        assert_eq!(
            metric(&metrics, c),
            Some(5 + 2 * in_fresh),
            "{c}\n{metrics}"
        );
    }
    // The drift report on /v1/model names them too.
    let model = send(&state, get("/v1/model")).await.json();
    let unseen = model["drift"]["unseen"].as_array().unwrap();
    assert!(unseen
        .iter()
        .any(|u| u["column"] == "q07" && u["scored_as"] == "missing"));
    assert!(unseen
        .iter()
        .any(|u| u["column"] == "region" && u["scored_as"] == "other"));
}

#[tokio::test]
async fn a_wrong_json_type_is_still_refused_with_its_path() {
    let state = app(&models().old);
    for (body, path) in [
        (json!({"q07": {"a": 1}}), "q07"),
        (json!({"q07": [3]}), "q07"),
        (
            json!({"leads": [{}, {"region": {"x": 1}}]}),
            "leads[1].region",
        ),
        (json!({"leads": [{"consent": [true]}]}), "leads[0].consent"),
    ] {
        let r = post(&state, "/v1/score", &body).await;
        assert_eq!(r.status.as_u16(), 422, "{body}: {}", r.text);
        assert_eq!(r.json()["error"]["path"], path, "{body}");
    }
    // A number column still wants a number.
    let r = post(&state, "/v1/score", &json!({"q01": "many"})).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    assert_eq!(r.json()["error"]["path"], "q01");
    // MLflow's shape: 400 naming the path.
    let r = post(
        &state,
        "/invocations",
        &json!({"dataframe_records": [{}, {"q07": {"a": 1}}]}),
    )
    .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("dataframe_records[1].q07"),
        "{}",
        r.text
    );
    // Nothing was counted as unseen.
    let metrics = send(&state, get("/metrics")).await.text;
    assert_eq!(metric(&metrics, "q07"), Some(0), "{metrics}");
}

/// A placeholder for no value in a number column (`n/a`, `unknown`, `-`, `#N/A`), which the
/// model's missing tokens do not list, is scored as missing, on `/v1/score` and
/// `/invocations` alike: the same score as `null`, the factor says `missing`, and it is not
/// counted as unseen (it is no value, as an empty cell is none).
#[tokio::test]
async fn a_placeholder_in_a_number_field_scores_as_missing() {
    let state = app(&models().inferred);
    let base = lead(&survey::fresh()[1]);
    let mut missing = base.clone();
    missing["q01"] = Value::Null;
    let expected = score_one(&state, &missing).await;
    for placeholder in ["n/a", "unknown", " Unknown ", "-", "#N/A", "?", "(not set)"] {
        let mut l = base.clone();
        l["q01"] = json!(placeholder);
        let scored = score_one(&state, &l).await;
        assert_eq!(scored["score"], expected["score"], "{placeholder:?}");
        assert_eq!(scored["factors"], expected["factors"], "{placeholder:?}");
        if let Some(f) = factor(&scored, "q01") {
            assert_eq!(f, "q01 missing", "{placeholder:?}");
        }
        let r = post(&state, "/invocations", &json!({"dataframe_records": [l]})).await;
        assert_eq!(r.status.as_u16(), 200, "{placeholder:?}: {}", r.text);
    }
    let metrics = send(&state, get("/metrics")).await.text;
    assert_eq!(metric(&metrics, "q01"), Some(0), "{metrics}");
}
