//! Event types written as numbers, as Marketo's activity log writes them (`activityTypeId`: 1
//! a web page visit, 2 a form fill, 10 an email open, 11 an email click). Training reads such a
//! column as its digits, so the model's types are `1`, `2`, `10`, `11`. Every caller then sends
//! a type the way its own data holds it, and gets the score `leadscore-train score` gives the
//! same tables: the real server with the ids as JSON numbers or as strings, and the Python
//! package with an integer column, a float column (pandas' way with an integer column beside a
//! gap elsewhere) or lists of events with numbers (`tests/python_type_ids.py`). Before, the
//! server refused a JSON number (422), and the package read a float column's `2.0` as a type
//! training never saw.

mod common;

use common::server::Server;
use common::{p, run_ok as run};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const AS_OF: &str = "2025-09-01T00:00:00Z";
const SPEC: &str = r#"
format_version = 1
id = "leadId"
[time]
created_at = "createdAt"
horizon_days = 60
[events]
lead_id = "leadId"
event_type = "activityTypeId"
occurred_at = "activityDate"
[outcomes]
lead_id = "leadId"
[[columns]]
name = "source"
transform = "categorical"
"#;

/// 800 leads from 2025-01-01 on, with Marketo-shaped activities (types 1, 2, 10, 11 by number)
/// over their first weeks; a lead converts mostly after form fills and clicks. Deterministic.
fn write_tables(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let day = 86_400_i64;
    let start = 1_735_689_600_i64; // 2025-01-01T00:00:00Z
    let mut leads = String::from("leadId,createdAt,source\n");
    let mut events = String::from("marketoGUID,leadId,activityDate,activityTypeId\n");
    let mut outcomes = String::from("leadId,converted_at\n");
    let mut guid = 0;
    for i in 0..800_i64 {
        let created = start + i * day / 4 + next(3_600) as i64;
        let source = ["Web", "Referral", "Event", "Ads"][next(4) as usize];
        leads.push_str(&format!(
            "{i},{},{source}\n",
            leadscore_core::value::rfc3339(created)
        ));
        let mut strength = 0;
        for _ in 0..next(9) {
            let kind = [1, 1, 1, 10, 10, 11, 2][next(7) as usize];
            strength += match kind {
                2 => 3,
                11 => 2,
                _ => 0,
            };
            let at = created + next(40 * day as u64) as i64;
            guid += 1;
            events.push_str(&format!(
                "{guid},{i},{},{kind}\n",
                leadscore_core::value::rfc3339(at)
            ));
        }
        if next(100) < 8 + 12 * strength.min(6) {
            let won = created + (20 + next(30) as i64) * day;
            outcomes.push_str(&format!("{i},{}\n", leadscore_core::value::rfc3339(won)));
        }
    }
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    (
        write("leads.csv", &leads),
        write("activities.csv", &events),
        write("opportunities.csv", &outcomes),
    )
}

struct Trained {
    _dir: tempfile::TempDir,
    model: PathBuf,
    leads: PathBuf,
    events: PathBuf,
    /// `leadscore-train score`'s score of each lead created by [`AS_OF`], by lead id.
    scored: HashMap<String, f64>,
}

/// The model, by the real CLI, and `score` on the same tables at [`AS_OF`].
fn trained() -> &'static Trained {
    static T: std::sync::OnceLock<Trained> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (leads, events, outcomes) = write_tables(dir.path());
        let spec = dir.path().join("spec.toml");
        std::fs::write(&spec, SPEC).unwrap();
        let bin = common::train_binary();
        let model = dir.path().join("model.json");
        let args = [
            "train",
            "--data",
            p(&leads),
            "--events",
            p(&events),
            "--outcomes",
            p(&outcomes),
            "--spec",
            p(&spec),
            "--out",
            p(&model),
        ];
        run(&bin, &args);
        let artifact = std::fs::read_to_string(&model).unwrap();
        for kind in ["\"2\"", "\"11\""] {
            assert!(
                artifact.contains(kind),
                "the type {kind} is not in the model"
            );
        }
        let out = dir.path().join("scores.csv");
        run(
            &bin,
            &[
                "score",
                "--model",
                p(&model),
                "--data",
                p(&leads),
                "--events",
                p(&events),
                "--as-of",
                AS_OF,
                "--target-precision",
                "0.5",
                "--out",
                p(&out),
            ],
        );
        let scored: HashMap<String, f64> = common::csv_rows(&out)
            .into_iter()
            .map(|r| (r["leadId"].clone(), r["score"].parse().unwrap()))
            .collect();
        assert!(scored.len() > 700, "{} leads scored", scored.len());
        // The same ids written as floats (`2.0`, pandas' way with an integer column beside a
        // gap): `score` reads them as the types `2`, and training on them makes the same
        // model (the same types and weights; another model id, which hashes the files).
        let floats = dir.path().join("activities_float.csv");
        let text = std::fs::read_to_string(&events).unwrap();
        let written: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("{l}\n")
                } else {
                    format!("{l}.0\n")
                }
            })
            .collect();
        std::fs::write(&floats, written).unwrap();
        let again = dir.path().join("scores_float.csv");
        let mut args = vec!["score", "--model", p(&model), "--data", p(&leads)];
        args.extend(["--events", p(&floats), "--as-of", AS_OF, "--out", p(&again)]);
        args.extend(["--target-precision", "0.5"]);
        run(&bin, &args);
        for row in common::csv_rows(&again) {
            assert_eq!(row["score"].parse::<f64>().unwrap(), scored[&row["leadId"]]);
        }
        let refit = dir.path().join("model_float.json");
        let mut args = vec!["train", "--data", p(&leads), "--events", p(&floats)];
        args.extend([
            "--outcomes",
            p(&outcomes),
            "--spec",
            p(&spec),
            "--out",
            p(&refit),
        ]);
        run(&bin, &args);
        let weights = |path: &Path| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            (v["spec"]["events"].clone(), v["model"].clone())
        };
        assert_eq!(weights(&refit), weights(&model));
        Trained {
            _dir: dir,
            model,
            leads,
            events,
            scored,
        }
    })
}

/// Each lead's events known at [`AS_OF`], with the type as `kind` makes it.
fn bodies(t: &Trained, kind: impl Fn(&str) -> Value) -> Vec<(String, Value)> {
    let as_of = leadscore_core::value::parse_timestamp(AS_OF).unwrap();
    let mut by_lead: HashMap<String, Vec<Value>> = HashMap::new();
    for row in common::csv_rows(&t.events) {
        let at = leadscore_core::value::parse_timestamp(&row["activityDate"]).unwrap();
        if at <= as_of {
            by_lead
                .entry(row["leadId"].clone())
                .or_default()
                .push(json!({"event_type": kind(&row["activityTypeId"]), "occurred_at": row["activityDate"]}));
        }
    }
    common::csv_rows(&t.leads)
        .into_iter()
        .filter(|r| t.scored.contains_key(&r["leadId"]))
        .map(|r| {
            let id = r["leadId"].clone();
            let events = by_lead.remove(&id).unwrap_or_default();
            let body =
                json!({"createdAt": r["createdAt"], "source": r["source"], "events": events});
            (id, body)
        })
        .collect()
}

#[test]
fn type_ids_sent_as_numbers_or_text_score_as_the_cli_scores_them() {
    let t = trained();
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(&t.model), "--target-precision", "0.5"],
    );
    let http = common::http::Http::new(server.addr, std::time::Duration::from_secs(60));
    let post = |path: &str, body: &Value| -> (u16, Value) {
        let (status, text) = http.post(path, &body.to_string());
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    };
    let as_numbers = bodies(t, |k| json!(k.parse::<u64>().unwrap()));
    let as_text = bodies(t, |k| json!(k));
    for (what, leads) in [("numbers", &as_numbers), ("text", &as_text)] {
        for chunk in leads.chunks(100) {
            let body = json!({"leads": chunk.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>()});
            let (status, answer) = post(&format!("/v1/score?as_of={AS_OF}"), &body);
            assert_eq!(status, 200, "{what}: {answer}");
            for ((id, _), got) in chunk.iter().zip(answer["leads"].as_array().unwrap()) {
                let want = t.scored[id];
                let score = got["score"].as_f64().unwrap();
                assert!(
                    (score - want).abs() < 1e-12,
                    "{what}: lead {id}: {score} against {want}"
                );
            }
        }
    }
    // One lead with events of the form-fill type scores above the same lead without them:
    // the numbers reached the model's per-type features, not only the active days.
    let lead = |events: Value| json!({"createdAt": "2025-08-20T00:00:00Z", "source": "Web", "events": events});
    let fills = json!([{"event_type": 2, "occurred_at": "2025-08-25T00:00:00Z"},
                       {"event_type": "2.0", "occurred_at": "2025-08-26T00:00:00Z"}]);
    let views = json!([{"event_type": 1, "occurred_at": "2025-08-25T00:00:00Z"},
                       {"event_type": 1, "occurred_at": "2025-08-26T00:00:00Z"}]);
    let path = format!("/v1/score?as_of={AS_OF}&factors=10");
    let (_, filled) = post(&path, &lead(fills));
    let (_, viewed) = post(&path, &lead(views));
    assert!(
        filled["score"].as_f64().unwrap() > viewed["score"].as_f64().unwrap(),
        "{filled}\n{viewed}"
    );
    assert!(
        !filled.to_string().contains("unseen"),
        "a type id scored as unseen: {filled}"
    );
    // The reason counts both form fills, the text `2.0` among them, as the score did.
    let texts: Vec<&str> = ["positive", "negative"]
        .iter()
        .flat_map(|side| filled["factors"][side].as_array().unwrap())
        .filter_map(|f| f["factor"].as_str())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("2: 2 in the last 7 days")),
        "{texts:?}"
    );
}

#[test]
fn the_python_package_reads_type_ids_as_training_does() {
    let t = trained();
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(&t.model), "--target-precision", "0.5"],
    );
    let stdout = common::python_with_model(
        "tests/python_type_ids.py",
        &t.model,
        server.addr,
        "python type ids: ok",
    );
    println!("{stdout}");
}
