//! Totals of a family of columns (`sum_of`), as a data team meets them: `leadscore-train init`
//! finds the family (`emails_jan_opened`, `emails_feb_opened`, `emails_mar_opened`) and adds
//! `emails_opened`; `train` fits it; the real `leadscore-serve` lists only the columns a client
//! sends (`GET /v1/model`'s `columns`, the total under `totals` with its parts), adds up the
//! lead's parts, names the lead's own total in its factor, ignores a field of the total's name
//! (a client cannot override it) and refuses a lead that sends nothing but that field; the
//! Python package and MLflow's own scoring client give the server's scores
//! (`tests/python_totals.py`).

mod common;

use common::server::Server;
use common::{p, run_ok as run};
use leadscore_core::artifact::ModelArtifact;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PARTS: [&str; 3] = [
    "emails_jan_opened",
    "emails_feb_opened",
    "emails_mar_opened",
];

/// 1,500 leads whose conversion turns on the emails opened over three months together (a
/// threshold on the total, stronger for referrals), with a few parts missing. Deterministic.
fn write_leads(dir: &Path) -> PathBuf {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut csv = format!("lead_id,source,{},converted\n", PARTS.join(","));
    for i in 0..1500 {
        let source = ["Web", "Referral", "Event", "Ads"][next(4) as usize];
        let parts: Vec<u64> = (0..3).map(|_| next(12)).collect();
        let total: u64 = parts.iter().sum();
        let base = if total >= 20 { 70 } else { 15 } + if source == "Referral" { 15 } else { 0 };
        let converted = next(100) < base;
        let cells: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(k, v)| {
                if (i + k) % 97 == 0 {
                    String::new()
                } else {
                    v.to_string()
                }
            })
            .collect();
        csv.push_str(&format!(
            "L{i},{source},{},{}\n",
            cells.join(","),
            u8::from(converted)
        ));
    }
    let path = dir.join("leads.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// The model: `init` then `train` by the real CLI, once per test binary.
fn model() -> &'static Path {
    static MODEL: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let data = write_leads(dir.path());
            let spec = dir.path().join("spec.toml");
            let bin = common::train_binary();
            run(
                &bin,
                &[
                    "init",
                    "--data",
                    p(&data),
                    "--label",
                    "converted",
                    "--out",
                    p(&spec),
                ],
            );
            let text = std::fs::read_to_string(&spec).unwrap();
            assert!(
                text.contains("name = \"emails_opened\"")
                    && text.contains(
                        "sum_of = [\"emails_jan_opened\", \"emails_feb_opened\", \"emails_mar_opened\"]"
                    ),
                "{text}"
            );
            let model = dir.path().join("model.json");
            run(
                &bin,
                &[
                    "train",
                    "--data",
                    p(&data),
                    "--spec",
                    p(&spec),
                    "--out",
                    p(&model),
                ],
            );
            (dir, model)
        })
        .1
}

fn post(server: &Server, path: &str, body: &Value) -> (u16, Value) {
    let (status, text) =
        common::http::Http::new(server.addr, Duration::from_secs(30)).post(path, &body.to_string());
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}")),
    )
}

fn factor(v: &Value, field: &str) -> Option<String> {
    ["positive", "negative"]
        .iter()
        .flat_map(|k| v["factors"][k].as_array().cloned().unwrap_or_default())
        .find(|f| f["field"] == field)
        .map(|f| f["factor"].as_str().unwrap().to_string())
}

#[test]
fn the_server_lists_inputs_adds_up_the_parts_and_ignores_a_sent_total() {
    let model = model();
    let artifact = ModelArtifact::load(model).unwrap();
    assert_eq!(
        artifact.format_version, 9,
        "a model with a total is format 9"
    );
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(model), "--target-precision", "0.5"],
    );
    let http = || common::http::Http::new(server.addr, Duration::from_secs(30));

    // What a client sends: the parts, never the total; the total with its parts.
    let (status, text) = http().get("/v1/model");
    assert_eq!(status, 200, "{text}");
    let described: Value = serde_json::from_str(&text).unwrap();
    let mut want_columns = vec!["source"];
    want_columns.extend(PARTS);
    let mut columns: Vec<&str> = described["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    columns.sort_unstable();
    want_columns.sort_unstable();
    assert_eq!(columns, want_columns, "{}", described["columns"]);
    assert_eq!(
        described["totals"],
        json!([{"name": "emails_opened", "sum_of": PARTS}])
    );

    let path = "/v1/score?factors=20&as_of=2026-01-01T00:00:00Z";
    let lead = json!({"lead_id": "L1", "source": "Referral", "emails_jan_opened": 9,
                      "emails_feb_opened": "8", "emails_mar_opened": 7});
    let (status, heavy) = post(&server, path, &lead);
    assert_eq!(status, 200, "{heavy}");
    // The factor names the lead's own total.
    assert_eq!(
        factor(&heavy, "emails_opened").as_deref(),
        Some("emails_opened = 24"),
        "{heavy}"
    );
    let light = json!({"lead_id": "L2", "source": "Referral", "emails_jan_opened": 1,
                       "emails_feb_opened": 2, "emails_mar_opened": 1});
    let (_, light) = post(&server, path, &light);
    assert!(
        heavy["score"].as_f64().unwrap() > light["score"].as_f64().unwrap() + 0.2,
        "the total decides: {heavy} {light}"
    );

    // A field of the total's name is not read: the parts decide, whatever it says.
    let mut overridden = lead.clone();
    overridden["emails_opened"] = json!(0);
    let (status, same) = post(&server, path, &overridden);
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["score"], heavy["score"]);
    assert_eq!(
        factor(&same, "emails_opened").as_deref(),
        Some("emails_opened = 24")
    );
    // A part missing makes the total missing, and the factor says so.
    let mut gap = lead.clone();
    gap["emails_mar_opened"] = Value::Null;
    let (_, gap) = post(&server, path, &gap);
    let said = factor(&gap, "emails_opened").unwrap_or_default();
    assert!(said.contains("missing"), "{gap}");

    // Parts each a finite number whose total is not (1e308 twice): refused, naming the part
    // that took it there, rather than a factor saying the total is missing when every part was
    // sent; `leadscore-train score` refuses such a row alike, naming its row and part.
    let huge = json!({"lead_id": "L3", "source": "Web", "emails_jan_opened": 1e308,
                      "emails_feb_opened": "1e308", "emails_mar_opened": 1});
    let (status, refused) = post(&server, path, &huge);
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["path"], "emails_feb_opened", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the total `emails_opened`") && message.contains("beyond the largest"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    let leads = dir.path().join("huge.csv");
    std::fs::write(
        &leads,
        format!(
            "lead_id,source,{}\nL1,Web,1,2,3\nL2,Web,1e308,1e308,1\n",
            PARTS.join(",")
        ),
    )
    .unwrap();
    let out = Command::new(common::train_binary())
        .args(["score", "--model", p(model), "--data", p(&leads)])
        .args(["--id", "lead_id", "--target-precision", "0.5", "--out"])
        .arg(dir.path().join("scores.csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("row 2")
            && stderr.contains("emails_feb_opened")
            && stderr.contains("beyond the largest"),
        "{stderr}"
    );
    assert!(!dir.path().join("scores.csv").exists());

    // A lead of the total alone sends nothing the model reads: refused, and the columns the
    // error lists are the ones to send.
    let (status, refused) = post(&server, path, &json!({"emails_opened": 24}));
    assert_eq!(status, 422, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("none of the columns sent (`emails_opened`)")
            && message.contains("`emails_jan_opened`")
            && !message.contains("`emails_opened`,"),
        "{message}"
    );
}

#[test]
fn the_python_package_and_mlflow_client_send_the_parts() {
    let model = model();
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(model), "--target-precision", "0.5"],
    );
    let stdout = common::python_with_model(
        "tests/python_totals.py",
        model,
        server.addr,
        "python totals: ok",
    );
    println!("{stdout}");
}
