//! The analyst notebook (`notebooks/feature_weights.ipynb`) runs top to bottom with
//! `jupyter nbconvert --execute` on the committed demo model (age-aware: a handoff curve, a
//! scored file of replayed moments) and on a model trained on the X Education export (flat: a
//! per-example curve), on a model with a multi-select column (artifact format 8), on a model
//! whose pair search chose the penalty again (no engagement part) and on a model of one
//! engagement column (no fit part), with no cell failing. Its Python reimplementation of the MQL cutoff is held
//! to `leadscore_core::curve::cutoff_for_precision`: the cutoffs Rust computes for the same
//! artifact go to the notebook in a JSON file (`LEADSCORE_RUST_CUTOFFS`), and the notebook asserts
//! its own agree.
//!
//! Needs a Python with the packages of `tests/requirements.txt`, named by `LEADSCORE_PYTHON`;
//! `bash tests/run.sh` creates that virtual environment and exports the variable.

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::{cutoff_for_precision, CurveKind, CutoffError, DEFAULT_MIN_SUPPORT};
use leadscore_train::pipeline::{train, TrainConfig, CURVE_POINTS};
use leadscore_train::report::holdout_csv;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const NOTEBOOK: &str = "notebooks/feature_weights.ipynb";

/// The confidence the server uses by default (`--confidence`).
const CONFIDENCE: f64 = 0.95;

/// The notebook's default target precision (`LEADSCORE_TARGET_PRECISION`, unset by the test).
const TARGET_PRECISION: f64 = 0.5;

/// The Python of the test virtual environment; a clear failure when it is not set up.
fn python() -> PathBuf {
    match std::env::var_os("LEADSCORE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "LEADSCORE_PYTHON is not set: the notebook test needs the Python test environment. \
             Run `bash tests/run.sh` (it creates the virtual environment from tests/requirements.txt \
             and exports LEADSCORE_PYTHON), or create it by hand and point LEADSCORE_PYTHON at its python"
        ),
    }
}

/// The cutoffs leadscore-core sets on `artifact`'s curve for targets 0.05 to 0.95 in steps of 0.05,
/// at the server's default confidence and support, as the notebook reads them.
fn rust_cutoffs(artifact: &ModelArtifact) -> Value {
    let cutoffs: Vec<Value> = (1..=19)
        .map(|k| {
            let target = f64::from(k) / 20.0;
            match cutoff_for_precision(&artifact.curve, target, CONFIDENCE) {
                Ok(point) => json!({
                    "target": target, "confidence": CONFIDENCE, "attainable": true, "point": point,
                }),
                Err(CutoffError::Unattainable {
                    best_threshold,
                    best_precision,
                    best_precision_lower_bound,
                    best_recall,
                    ..
                }) => {
                    // The reported best point, with its counts read back from the curve.
                    let best = artifact.curve.at_threshold(best_threshold, CONFIDENCE);
                    assert_eq!(best.threshold, best_threshold);
                    assert_eq!(best.precision_lower_bound, best_precision_lower_bound);
                    assert_eq!((best.precision, best.recall), (best_precision, best_recall));
                    json!({
                        "target": target, "confidence": CONFIDENCE, "attainable": false, "point": best,
                    })
                }
                Err(other) => panic!("target {target}: {other}"),
            }
        })
        .collect();
    for attainable in [true, false] {
        assert!(
            cutoffs.iter().any(|c| c["attainable"] == attainable),
            "no target with attainable = {attainable}: that branch would go untested"
        );
    }
    json!({
        "model_id": artifact.model_id,
        "min_support": DEFAULT_MIN_SUPPORT,
        "curve_points": CURVE_POINTS,
        "cutoffs": cutoffs,
    })
}

/// Executes the notebook into `dir` with `inputs` (None: its defaults, the committed demo model)
/// and the Rust cutoffs for `artifact`; checks it drew `charts` charts; returns the executed
/// notebook's printed text.
fn execute(
    python: &Path,
    dir: &Path,
    inputs: Option<(&Path, &Path)>,
    artifact: &ModelArtifact,
    charts: usize,
) -> String {
    let cutoffs = dir.join("rust-cutoffs.json");
    std::fs::write(
        &cutoffs,
        serde_json::to_string_pretty(&rust_cutoffs(artifact)).unwrap(),
    )
    .unwrap();
    let mut command = Command::new(python);
    command
        .args([
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
        ])
        .arg("--ExecutePreprocessor.timeout=600")
        .arg("--output-dir")
        .arg(dir)
        .arg(common::repo(NOTEBOOK))
        .env("LEADSCORE_RUST_CUTOFFS", &cutoffs)
        .env("MPLBACKEND", "Agg")
        .env_remove("LEADSCORE_TARGET_PRECISION")
        .env_remove("LEADSCORE_CONFIDENCE");
    match inputs {
        Some((model, scored)) => command
            .env("LEADSCORE_MODEL", model)
            .env("LEADSCORE_SCORED", scored),
        None => command
            .env_remove("LEADSCORE_MODEL")
            .env_remove("LEADSCORE_SCORED"),
    };
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (LEADSCORE_PYTHON): {e}", python.display()));
    // A failing cell stops nbconvert, which prints the cell and its traceback on stderr.
    assert!(
        output.status.success(),
        "jupyter nbconvert --execute {NOTEBOOK} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let executed = dir.join("feature_weights.ipynb");
    let notebook: Value = serde_json::from_str(&std::fs::read_to_string(&executed).unwrap())
        .expect("the executed notebook is JSON");
    let errors = error_outputs(&notebook);
    assert!(errors.is_empty(), "cells failed:\n{}", errors.join("\n"));

    let code_cells: Vec<&Value> = cells(&notebook)
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .collect();
    assert!(code_cells.len() >= 10, "{} code cells", code_cells.len());
    for (i, cell) in code_cells.iter().enumerate() {
        assert!(
            cell["execution_count"].is_u64(),
            "code cell {i} was not executed"
        );
    }
    let images = code_cells
        .iter()
        .flat_map(|c| outputs(c))
        .filter(|o| o["data"]["image/png"].is_string())
        .count();
    assert_eq!(
        images, charts,
        "the notebook drew {images} charts, expected {charts}"
    );
    code_cells
        .iter()
        .flat_map(|c| outputs(c))
        .filter(|o| o["output_type"] == "stream")
        .map(|o| text(&o["text"]))
        .collect()
}

fn cells(notebook: &Value) -> &[Value] {
    notebook["cells"].as_array().map_or(&[], Vec::as_slice)
}

fn outputs(cell: &Value) -> &[Value] {
    cell["outputs"].as_array().map_or(&[], Vec::as_slice)
}

/// A notebook text field: a string or a list of lines.
fn text(field: &Value) -> String {
    match field {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Every error output of the notebook, as `ename: evalue` and the traceback.
fn error_outputs(notebook: &Value) -> Vec<String> {
    cells(notebook)
        .iter()
        .flat_map(outputs)
        .filter(|o| o["output_type"] == "error")
        .map(|o| {
            format!(
                "{}: {}\n{}",
                text(&o["ename"]),
                text(&o["evalue"]),
                text(&o["traceback"])
            )
        })
        .collect()
}

/// What every run must print: its inputs checked, and the cutoffs compared with Rust's.
fn assert_checks_ran(printed: &str, model_id: &str) {
    for expected in [
        "the scored file is this model's holdout",
        "factors name model features",
        "the cutoff rule (the leadscore package, the server's code) gives the answers the Rust unit tests pin down (cutoffs and handoff curves)",
        "the deciles equal the artifact's lift table",
        "cutoffs from the raw leads agree for all 14 targets",
        &format!("cutoffs match leadscore-core's cutoff_for_precision for all 19 targets of model {model_id}"),
    ] {
        assert_printed(printed, expected);
    }
}

fn assert_printed(printed: &str, expected: &str) {
    assert!(
        printed.contains(expected),
        "missing {expected:?} in:\n{printed}"
    );
}

#[test]
fn notebook_runs_on_the_committed_demo_model() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    assert_eq!(
        artifact.curve.kind,
        CurveKind::Handoff,
        "the demo model is age-aware: this test covers the notebook's handoff path"
    );
    let replay = artifact
        .replay
        .as_ref()
        .expect("an age-aware model has a replay");
    let examples = artifact
        .example_curve
        .as_ref()
        .expect("and a per-example curve");
    // Six charts: the promise over a lead's life is drawn for an age-aware model.
    let printed = execute(&python, dir.path(), None, &artifact, 6);
    assert_checks_ran(&printed, &artifact.model_id);
    assert_printed(&printed, "models/demo.json");
    assert_printed(
        &printed,
        &format!(
            "the scored file is this model's holdout: its {} replayed moments of {} leads rebuild the handoff curve exactly ({} points)",
            replay.moments,
            replay.leads,
            artifact.curve.points.len()
        ),
    );
    assert_printed(
        &printed,
        &format!(
            "and its {} landmark moments are the holdout examples: they rebuild the per-example curve exactly ({} points)",
            artifact.evaluation.n,
            examples.points.len()
        ),
    );
    assert_printed(
        &printed,
        "1. cutoffs from the raw leads agree for all 14 targets (each lead counted at the first moment its score reaches the threshold)",
    );
    // The promise at the default target: the handovers at first crossing the notebook counts
    // from the replayed rows are the handoff curve's point at leadscore-core's cutoff.
    let op = cutoff_for_precision(&artifact.curve, TARGET_PRECISION, CONFIDENCE).unwrap();
    assert_printed(
        &printed,
        &format!(
            "at first crossing: {} of {} leads handed over converted within the horizon after it: precision {:.3} (lower bound {:.3}) against the target {TARGET_PRECISION} (kept on this holdout)",
            op.tp,
            op.tp + op.fp,
            op.precision,
            op.precision_lower_bound
        ),
    );
    assert_printed(
        &printed,
        "lead ages whose handovers fall short of the target on the holdout: ",
    );
}

#[test]
fn notebook_runs_on_an_x_education_model() {
    let python = python(); // before a minute of training
    let dir = tempfile::tempdir().unwrap();
    // One level renamed to hold a pair of `$` (CRM text such as `$10K-$50K` has them): a
    // relabel, the same model, but matplotlib read such labels as math and the notebook
    // stopped at the field shapes.
    let leads = dir.path().join("Leads.csv");
    let text = std::fs::read_to_string(common::x_education()).unwrap();
    assert!(text.contains(",Google,"));
    std::fs::write(&leads, text.replace(",Google,", ",Google $\\frac{1}{$,")).unwrap();
    let mut config = TrainConfig::new(leads);
    config.label = Some("Converted".into());
    config.id = Some("Prospect ID".into());
    config.exclude = common::X_EDUCATION_EXCLUDED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let outcome = train(&config).unwrap();
    let model = dir.path().join("x-education.json");
    let scored = dir.path().join("x-education.holdout.csv");
    outcome.artifact.write_atomic(&model).unwrap();
    std::fs::write(&scored, holdout_csv(&outcome)).unwrap();

    let artifact = &outcome.artifact;
    assert_eq!(artifact.curve.kind, CurveKind::PerExample, "a flat model");
    let printed = execute(&python, dir.path(), Some((&model, &scored)), artifact, 5);
    assert_checks_ran(&printed, &artifact.model_id);
    assert_printed(&printed, "id column `Prospect ID`");
    assert_printed(
        &printed,
        &format!(
            "the scored file is this model's holdout: {} curve points rebuilt exactly",
            artifact.curve.points.len()
        ),
    );
    let op = cutoff_for_precision(&artifact.curve, TARGET_PRECISION, CONFIDENCE).unwrap();
    assert_printed(
        &printed,
        &format!(
            "on the holdout {} of {} do (precision {:.3}, lower bound {:.3})",
            op.tp,
            op.tp + op.fp,
            op.precision,
            op.precision_lower_bound
        ),
    );
}

#[test]
fn notebook_runs_on_a_multi_select_model() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    // A format 8 artifact: a multi-select column (`Pricing;Webinars`) with one feature per
    // option, drawn as bars like a category.
    let data = common::write_multi_select_leads(dir.path());
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\n\
         [[columns]]\nname = \"interests\"\ntransform = \"multi_select\"\n\n\
         [[columns]]\nname = \"source\"\ntransform = \"categorical\"\n\n\
         [[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n",
    )
    .unwrap();
    let mut config = TrainConfig::new(data);
    config.spec = Some(spec);
    let outcome = train(&config).unwrap();
    let artifact = &outcome.artifact;
    assert_eq!(artifact.format_version, 8, "a multi-select model");
    let model = dir.path().join("multi-select.json");
    let scored = dir.path().join("multi-select.holdout.csv");
    artifact.write_atomic(&model).unwrap();
    std::fs::write(&scored, holdout_csv(&outcome)).unwrap();
    let printed = execute(&python, dir.path(), Some((&model, &scored)), artifact, 5);
    assert_checks_ran(&printed, &artifact.model_id);
    assert_printed(&printed, "format 8  curve: per example");
}

/// A seeded stream of uniforms in [0, 1) (the same LCG as `common::write_multi_select_leads`).
fn uniforms(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    }
}

/// Trains `spec` on `csv` in `dir` and writes the model and its scored holdout there.
fn train_table(
    dir: &Path,
    name: &str,
    csv: &str,
    spec: &str,
) -> (leadscore_train::pipeline::TrainOutcome, PathBuf, PathBuf) {
    let data = dir.join(format!("{name}.csv"));
    std::fs::write(&data, csv).unwrap();
    let spec_path = dir.join(format!("{name}.toml"));
    std::fs::write(&spec_path, spec).unwrap();
    let mut config = TrainConfig::new(data);
    config.spec = Some(spec_path);
    let outcome = train(&config).unwrap();
    let model = dir.join(format!("{name}.json"));
    let scored = dir.join(format!("{name}.holdout.csv"));
    outcome.artifact.write_atomic(&model).unwrap();
    std::fs::write(&scored, holdout_csv(&outcome)).unwrap();
    (outcome, model, scored)
}

/// A model of profile fields whose signal is all in a pair (conversion when plan and region
/// agree, an exclusive or): the pair search chooses the penalty again (a weaker one), and the
/// model has no engagement part. The notebook gives the penalty the model is fitted at (it
/// printed the one chosen without the pairs) and shows fit alone (it drew engagement bands,
/// every lead "on a band edge").
#[test]
fn notebook_runs_on_a_model_refitted_with_pairs_and_without_engagement() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let mut next = uniforms(0x2545_f491_4f6c_dd1d);
    let mut csv = String::from("lead_id,plan,region,usage,converted\n");
    for i in 0..1500 {
        let (p, r) = (next() < 0.5, next() < 0.5);
        let usage = (0..4).map(|_| next()).sum::<f64>() - 2.0;
        let converted = next() < if p == r { 0.8 } else { 0.2 };
        csv.push_str(&format!(
            "L{i},{},{},{usage:.3},{}\n",
            if p { "p" } else { "q" },
            if r { "r" } else { "s" },
            u8::from(converted)
        ));
    }
    let (outcome, model, scored) = train_table(
        dir.path(),
        "xor",
        &csv,
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\n\
         [[columns]]\nname = \"plan\"\ntransform = \"categorical\"\n\n\
         [[columns]]\nname = \"region\"\ntransform = \"categorical\"\n\n\
         [[columns]]\nname = \"usage\"\ntransform = \"numeric\"\n",
    );
    let artifact = &outcome.artifact;
    let first = artifact.provenance.penalty.alpha;
    let refit = artifact
        .provenance
        .pairs
        .as_ref()
        .and_then(|p| p.refit_alpha)
        .expect("the pair search chose another penalty: the case this test is about");
    let printed = execute(&python, dir.path(), Some((&model, &scored)), artifact, 5);
    assert_checks_ran(&printed, &artifact.model_id);
    assert_printed(
        &printed,
        &format!(
            "penalty alpha {}, chosen again with the pairs by 5-fold CV (alpha {} without them)",
            python_g4(refit),
            python_g4(first)
        ),
    );
    assert_printed(
        &printed,
        "this model has no engagement part (0 in every row)",
    );
    assert_printed(
        &printed,
        "holdout leads of the scored file, by their fit (0 on a band edge",
    );
    assert_printed(
        &printed,
        "conversion rate (examples) by fit band (best at the top)",
    );
}

/// A model of one yes/no behaviour column: no fit part. The notebook shows engagement alone.
#[test]
fn notebook_runs_on_a_model_without_fit() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let mut next = uniforms(0x9e37_79b9_7f4a_7c15);
    let mut csv = String::from("lead_id,webinar,converted\n");
    for i in 0..1000 {
        let webinar = next() < 0.4;
        let converted = next() < if webinar { 0.7 } else { 0.3 };
        csv.push_str(&format!(
            "L{i},{},{}\n",
            if webinar { "yes" } else { "no" },
            u8::from(converted)
        ));
    }
    let (outcome, model, scored) = train_table(
        dir.path(),
        "webinar",
        &csv,
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n\n\
         [[columns]]\nname = \"webinar\"\ntransform = \"boolean\"\npart = \"engagement\"\n",
    );
    let artifact = &outcome.artifact;
    let printed = execute(&python, dir.path(), Some((&model, &scored)), artifact, 5);
    assert_checks_ran(&printed, &artifact.model_id);
    assert_printed(&printed, "this model has no fit part (0 in every row)");
    assert_printed(
        &printed,
        "conversion rate (examples) by engagement band (best at the top)",
    );
    // The explained leads' log-odds, baseline + engagement.
    let splits: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("  log-odds "))
        .collect();
    assert_eq!(splits.len(), 3, "{printed}");
    assert!(
        splits
            .iter()
            .all(|l| l.contains(" + engagement ") && !l.contains(" fit ")),
        "{splits:#?}"
    );
}

/// `v` as Python's `f"{v:.4g}"` writes a penalty of 1e-4 to 1e4: 4 significant digits,
/// trailing zeros dropped.
fn python_g4(v: f64) -> String {
    assert!((1e-4..1e4).contains(&v), "{v}");
    let decimals = usize::try_from(3 - v.log10().floor() as i64).unwrap_or(0);
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The notebook is committed without outputs (no stale charts, small diffs); needs no Python.
#[test]
fn committed_notebook_has_no_outputs() {
    let notebook: Value =
        serde_json::from_str(&std::fs::read_to_string(common::repo(NOTEBOOK)).unwrap()).unwrap();
    assert_eq!(notebook["nbformat"], 4);
    for (i, cell) in cells(&notebook).iter().enumerate() {
        if cell["cell_type"] == "code" {
            assert!(outputs(cell).is_empty(), "cell {i} has outputs: clear them");
            assert!(
                cell["execution_count"].is_null(),
                "cell {i} has an execution count: clear outputs"
            );
        }
    }
}
