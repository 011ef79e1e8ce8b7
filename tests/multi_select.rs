//! Multi-select columns (`Pricing;Webinars`, a CRM's multi-select picklist or multiple-checkbox
//! property), as a data team meets them: `leadscore-train init` infers the column (and leaves
//! a free-text column that holds `;` out), `leadscore-train train` fits one feature per
//! frequent option, and the real `leadscore-serve` scores a lead whose value is text or a JSON
//! array the same, names the lead's own value in its factor (and the option it could not
//! weigh), holds it back by a gate on one option, and refuses a nested array naming the field;
//! the Python package takes lists of options (and a pyarrow list column) as the server takes
//! arrays, and MLflow's own scoring client sends them to `/invocations` from a DataFrame of
//! lists (`tests/python_multi_select.py`).
//! The spec's `separator` is checked, and a model without a multi-select column stays in the
//! format builds before it read.

mod common;

use common::server::Server;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::FittedTransform;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn run(bin: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(bin).args(args).output().expect("run");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `leadscore-train init` on `data` (label `converted`) writing `spec`; the spec's text.
fn init_cli(data: &Path, spec: &Path) -> String {
    let (ok, out) = run(
        &common::train_binary(),
        &[
            "init",
            "--data",
            p(data),
            "--label",
            "converted",
            "--out",
            p(spec),
        ],
    );
    assert!(ok, "{out}");
    std::fs::read_to_string(spec).unwrap()
}

/// `leadscore-train train` on `data` with `spec`, writing `model`.
fn train_cli(data: &Path, spec: &Path, model: &Path) -> (bool, String) {
    run(
        &common::train_binary(),
        &[
            "train",
            "--data",
            p(data),
            "--spec",
            p(spec),
            "--out",
            p(model),
        ],
    )
}

/// A spec for the generated leads with `interests` as `transform` plus `extra` lines, and a
/// gate `extra_top` above the columns.
fn spec(interests: &str, extra_top: &str) -> String {
    format!(
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n{extra_top}\n\
         [[columns]]\nname = \"interests\"\n{interests}\n\n\
         [[columns]]\nname = \"source\"\ntransform = \"categorical\"\n\n\
         [[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n"
    )
}

#[test]
fn init_infers_the_column_and_the_model_weighs_each_option() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::write_multi_select_leads(dir.path());
    let spec_path = dir.path().join("spec.toml");
    let text = init_cli(&data, &spec_path);
    let block = |name: &str| -> String {
        let at = text
            .find(&format!("name = \"{name}\""))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        text[at..].split("[[columns]]").next().unwrap().to_string()
    };
    assert!(
        block("interests").contains("transform = \"multi_select\"")
            && block("interests").contains("separator = \";\""),
        "{text}"
    );
    // Free text holding `;` ("called 12; follow up on day 22") is not a list of options.
    assert!(block("notes").contains("transform = \"ignore\""), "{text}");

    let model = dir.path().join("model.json");
    let (ok, out) = train_cli(&data, &spec_path, &model);
    assert!(ok, "{out}");
    let artifact = ModelArtifact::load(&model).unwrap();
    assert_eq!(
        artifact.format_version, 8,
        "a multi-select model is format 8"
    );
    let column = artifact
        .spec
        .columns
        .iter()
        .find(|c| c.name == "interests")
        .unwrap();
    let FittedTransform::MultiSelect { separator, options } = &column.transform else {
        panic!("interests is {:?}", column.transform)
    };
    assert_eq!(separator, ";");
    // Every option kept, the rare one (3 rows) not: it is scored as `other`.
    let mut sorted = options.clone();
    sorted.sort();
    let mut want = common::INTERESTS.to_vec();
    want.sort_unstable();
    assert_eq!(sorted, want);
    let weight = |name: &str| {
        artifact
            .model
            .features
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no feature {name}"))
            .weight
    };
    // The generated signal: Pricing and API docs raise conversion, Careers lowers it.
    assert!(weight("interests includes Pricing") > 0.3);
    assert!(weight("interests includes API docs") > 0.05);
    assert!(weight("interests includes Careers") < -0.05);
    weight("interests includes (other)");
    weight("interests is missing");
}

/// Scores `lead` on the server; the status and the body.
fn score(server: &Server, lead: &Value) -> (u16, Value) {
    let (status, body) = common::http::Http::new(server.addr, Duration::from_secs(30)).post(
        "/v1/score?factors=10&as_of=2026-01-01T00:00:00Z",
        &lead.to_string(),
    );
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}")),
    )
}

fn factor(v: &Value, field: &str) -> String {
    ["positive", "negative"]
        .iter()
        .flat_map(|k| v["factors"][k].as_array().cloned().unwrap_or_default())
        .find(|f| f["field"] == field)
        .map(|f| f["factor"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The model the server tests use: `interests` multi-select, a gate on one of its options;
/// trained once per test binary by the real `leadscore-train`.
fn gated_model() -> &'static Path {
    static MODEL: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    &MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let data = common::write_multi_select_leads(dir.path());
            let spec_path = dir.path().join("spec.toml");
            std::fs::write(
                &spec_path,
                spec(
                    "transform = \"multi_select\"",
                    "[[gates]]\nname = \"job seekers are not leads\"\n\
                     never_mql_when = { interests = [\"careers\"] }\n",
                ),
            )
            .unwrap();
            let model = dir.path().join("model.json");
            let (ok, out) = train_cli(&data, &spec_path, &model);
            assert!(ok, "{out}");
            (dir, model)
        })
        .1
}

#[test]
fn the_server_reads_text_and_arrays_alike_names_the_lead_value_and_gates_on_an_option() {
    let model = gated_model();
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(model), "--target-precision", "0.45"],
    );
    let lead = |interests: Value| json!({"lead_id": "L1", "interests": interests, "source": "Web", "visits": 3});

    let (status, text) = score(&server, &lead(json!("Pricing; API docs")));
    assert_eq!(status, 200, "{text}");
    let (_, reordered) = score(&server, &lead(json!("API docs;Pricing;")));
    let (_, array) = score(&server, &lead(json!(["Pricing", "API docs"])));
    for other in [&reordered, &array] {
        assert_eq!(other["score"], text["score"], "{other}");
    }
    assert!(
        text["score"].as_f64().unwrap()
            > score(&server, &lead(json!("Webinars"))).1["score"]
                .as_f64()
                .unwrap()
    );
    // The factor names the lead's own value, never an option it does not have.
    assert_eq!(
        factor(&text, "interests"),
        "interests = \"Pricing; API docs\""
    );
    assert_eq!(
        factor(&array, "interests"),
        "interests = \"Pricing;API docs\""
    );

    // An option training did not keep: scored as other, and said so.
    let (_, rare) = score(&server, &lead(json!("Pricing;Partner program")));
    assert_eq!(
        factor(&rare, "interests"),
        "interests = \"Pricing;Partner program\": \"Partner program\" rare or not seen in \
         training, scored as other"
    );
    // No option at all is missing, whichever way it is written.
    let (_, none) = score(&server, &lead(json!(";")));
    let (_, empty) = score(&server, &lead(json!([])));
    let (_, null) = score(&server, &lead(Value::Null));
    assert_eq!(none["score"], null["score"]);
    assert_eq!(empty["score"], null["score"]);
    assert!(
        factor(&none, "interests").ends_with("no option selected, scored as missing"),
        "{none}"
    );

    // The gate matches one option among several, in any case.
    let (_, careers) = score(&server, &lead(json!("Pricing;Careers")));
    assert_eq!(careers["mql"], json!(false), "{careers}");
    assert_eq!(
        careers["held_back_by"],
        json!(["job seekers are not leads"]),
        "{careers}"
    );
    assert!(text.get("held_back_by").is_none(), "{text}");

    // Arrays only where a column takes several options; nested values never.
    let (status, nested) = score(&server, &lead(json!([["Pricing"]])));
    assert_eq!(status, 422, "{nested}");
    assert_eq!(nested["error"]["path"], "interests");
    assert!(
        nested["error"]["message"]
            .as_str()
            .unwrap()
            .contains("an array of options"),
        "{nested}"
    );
    let mut categorical = lead(json!("Pricing"));
    categorical["source"] = json!(["Web"]);
    let (status, refused) = score(&server, &categorical);
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["path"], "source");
}

#[test]
fn the_separator_is_checked_and_models_without_the_transform_stay_format_7() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::write_multi_select_leads(dir.path());
    let train = |spec_text: String| -> (bool, String, Option<ModelArtifact>) {
        let spec_path = dir.path().join("spec.toml");
        std::fs::write(&spec_path, spec_text).unwrap();
        let model = dir.path().join("model.json");
        let _ = std::fs::remove_file(&model);
        let (ok, out) = train_cli(&data, &spec_path, &model);
        (ok, out, ok.then(|| ModelArtifact::load(&model).unwrap()))
    };
    for (interests, want) in [
        (
            "transform = \"categorical\"\nseparator = \";\"",
            "column `interests`: option `separator` does not apply to transform `categorical`",
        ),
        (
            "transform = \"multi_select\"\nseparator = \" \"",
            "column `interests`: separator \" \" must be 1 to 4 characters",
        ),
    ] {
        let (ok, out, _) = train(spec(interests, ""));
        assert!(!ok && out.contains(want), "{interests}: {out}");
    }
    // `|` splits nothing here: each whole value is one option (the combinations as levels).
    let (ok, out, piped) = train(spec("transform = \"multi_select\"\nseparator = \"|\"", ""));
    assert!(ok, "{out}");
    let piped = piped.unwrap();
    assert!(piped
        .model
        .features
        .iter()
        .any(|f| f.name == "interests includes Pricing; Webinars"
            || f.name == "interests includes Pricing;Webinars"));
    let (ok, out, categorical) = train(spec("transform = \"categorical\"", ""));
    assert!(ok, "{out}");
    assert_eq!(categorical.unwrap().format_version, 7);
}

#[test]
fn the_python_package_takes_lists_of_options_as_the_server_takes_arrays() {
    let model = gated_model();
    let server = Server::start(
        common::serve_binary(),
        ["--model", p(model), "--target-precision", "0.45"],
    );
    let stdout = common::python_with_model(
        "tests/python_multi_select.py",
        model,
        server.addr,
        "python multi-select: ok",
    );
    println!("{stdout}");
}

#[test]
fn single_levels_holding_a_semicolon_stay_categorical_and_a_damaged_model_is_refused() {
    // Levels that hold `;` but never recombine (`Media; Entertainment`) are one level each.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lead_id,industry,converted\n");
    for i in 0..400 {
        let industry = [
            "Media; Entertainment",
            "Partner; Reseller",
            "Software",
            "Retail",
        ][i % 4];
        csv.push_str(&format!("L{i},{industry},{}\n", u8::from(i % 3 == 0)));
    }
    let data = dir.path().join("crm.csv");
    std::fs::write(&data, csv).unwrap();
    let spec_path = dir.path().join("spec.toml");
    let text = init_cli(&data, &spec_path);
    assert!(
        text.contains("name = \"industry\"\ntransform = \"categorical\""),
        "{text}"
    );

    // A hand-edited multi-select model: a repeated option (the two featurizers would pick
    // different copies), an option holding the separator, a format before 8.
    let good = std::fs::read_to_string(gated_model()).unwrap();
    let artifact: ModelArtifact = serde_json::from_str(&good).unwrap();
    artifact.validate().unwrap();
    let edit = |f: &dyn Fn(&mut Vec<String>)| {
        let mut a = artifact.clone();
        for c in &mut a.spec.columns {
            if let FittedTransform::MultiSelect { options, .. } = &mut c.transform {
                f(options);
            }
        }
        // The weights named as the edited spec names them (as a hand edit would).
        let names = a.spec.features();
        for (w, n) in a.model.features.iter_mut().zip(&names) {
            w.name.clone_from(&n.name);
        }
        a.validate().unwrap_err()
    };
    let e = edit(&|o| o[1] = o[0].clone());
    assert!(e.contains("is listed twice"), "{e}");
    let e = edit(&|o| o[1] = "Pricing;API docs".into());
    assert!(e.contains("holds the separator"), "{e}");
    let mut old = artifact.clone();
    old.format_version = 7;
    let e = old.validate().unwrap_err();
    assert!(e.contains("needs format_version 8"), "{e}");
}
