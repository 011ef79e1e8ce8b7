//! `evaluate` judges the model's own cutoffs on fresh data: for each target, the cutoff a
//! server started with `--target-precision` uses (chosen on the model's holdout) selects
//! exactly the fresh leads `score` hands over at it, and the verdict follows the bounds; on a
//! file whose outcomes went the other way, or in which nobody converted, the promise is
//! reported broken.

mod cli_run;

mod survey;

use cli_run::run_ok;
use serde_json::Value;
use std::path::Path;

fn evaluate_json(dir: &Path, data: &str) -> Value {
    let out = run_ok(
        dir,
        &["evaluate", "--model", "m.json", "--data", data, "--json"],
    );
    serde_json::from_str(out.trim()).expect("evaluate --json is one JSON object")
}

/// `evaluate --json`'s judgement of the model's cutoff at target 0.5 is `below`.
fn assert_below_at_half(v: &Value) {
    let checks = v["model_cutoffs"].as_array().expect("model_cutoffs");
    assert!(
        checks
            .iter()
            .any(|c| c["verdict"] == "below" && c["target"].as_f64() == Some(0.5)),
        "{v}"
    );
}

/// Each fresh lead's score by `score` (the nightly job's path, as the server scores).
fn scores(dir: &Path, data: &str) -> Vec<(String, f64)> {
    run_ok(
        dir,
        &[
            "score",
            "--model",
            "m.json",
            "--data",
            data,
            "--id",
            "lead_id",
            "--as-of",
            "2026-01-01",
            "--target-precision",
            "0.5",
            "--factors",
            "0",
            "--out",
            "scores.csv",
        ],
    );
    let text = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, score) = (col("lead_id"), col("score"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[id].to_string(), cells[score].parse().unwrap())
        })
        .collect()
}

#[test]
fn evaluate_judges_the_models_own_cutoffs_on_fresh_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("train.csv"), survey::csv(&survey::training())).unwrap();
    let fresh = survey::fresh();
    std::fs::write(d.join("fresh.csv"), survey::csv(&fresh)).unwrap();
    run_ok(
        d,
        &[
            "train",
            "--data",
            "train.csv",
            "--label",
            "converted",
            "--id",
            "lead_id",
            "--folds",
            "3",
            "--grid-size",
            "3",
            "--no-report",
            "--out",
            "m.json",
        ],
    );
    let v = evaluate_json(d, "fresh.csv");
    let checks = v["model_cutoffs"].as_array().expect("model_cutoffs");
    assert!(!checks.is_empty(), "{v}");
    let converted: std::collections::HashMap<&str, bool> =
        fresh.iter().map(|r| (r.id.as_str(), r.converted)).collect();
    let scored = scores(d, "fresh.csv");
    assert_eq!(scored.len(), fresh.len());
    for c in checks {
        let cutoff = c["promised"]["threshold"].as_f64().unwrap();
        // The leads `score` hands over at this cutoff, and how many of them converted.
        let (mut tp, mut fp) = (0u64, 0u64);
        for (id, s) in &scored {
            if *s >= cutoff {
                if converted[id.as_str()] {
                    tp += 1;
                } else {
                    fp += 1;
                }
            }
        }
        assert_eq!(c["here"]["threshold"].as_f64(), Some(cutoff), "{c}");
        assert_eq!(c["here"]["tp"].as_u64(), Some(tp), "{c}");
        assert_eq!(c["here"]["fp"].as_u64(), Some(fp), "{c}");
        let positives = converted.values().filter(|c| **c).count() as u64;
        assert_eq!(c["converted"].as_u64(), Some(positives), "{c}");
        let recall = c["here"]["recall"]
            .as_f64()
            .expect("a recall where some converted");
        assert!((recall - tp as f64 / positives as f64).abs() < 1e-12, "{c}");
        let target = c["target"].as_f64().unwrap();
        let lower = c["here"]["precision_lower_bound"].as_f64().unwrap();
        let upper = c["precision_upper_bound"].as_f64().unwrap();
        let expected = if tp + fp == 0 {
            "no_mqls"
        } else if lower >= target {
            "holds"
        } else if upper < target {
            "below"
        } else {
            "within_chance"
        };
        assert_eq!(c["verdict"], expected, "{c}");
        assert!(lower <= upper, "{c}");
    }

    // The same leads with their outcomes the other way round: the leads the model ranks
    // highest now convert least, and its cutoffs' promises are broken beyond chance.
    let flipped: Vec<survey::Row> = survey::fresh()
        .into_iter()
        .map(|mut r| {
            r.converted = !r.converted;
            r
        })
        .collect();
    std::fs::write(d.join("flipped.csv"), survey::csv(&flipped)).unwrap();
    let v = evaluate_json(d, "flipped.csv");
    assert_below_at_half(&v);
    let text = run_ok(
        d,
        &["evaluate", "--model", "m.json", "--data", "flipped.csv"],
    );
    assert!(
        text.contains("the model's own cutoffs on this data"),
        "{text}"
    );
    assert!(text.contains("BELOW the target"), "{text}");

    // A month in which nobody converted: no ranking to judge (ROC AUC, PR AUC and lift are
    // left out, and said to be), but every MQL the cutoffs handed over was a miss, which is
    // what sales lived through: the promise is broken, not the evaluation refused.
    let nobody: Vec<survey::Row> = survey::fresh()
        .into_iter()
        .map(|mut r| {
            r.converted = false;
            r
        })
        .collect();
    std::fs::write(d.join("nobody.csv"), survey::csv(&nobody)).unwrap();
    let v = evaluate_json(d, "nobody.csv");
    assert_eq!(v["evaluation"]["positives"], 0, "{v}");
    assert!(v["evaluation"]["roc_auc"].is_null(), "{v}");
    assert!(v["evaluation"]["pr_auc"].is_null(), "{v}");
    assert_eq!(v["evaluation"]["lift"], serde_json::json!([]), "{v}");
    assert!(v["evaluation"]["brier"].as_f64().unwrap() > 0.0, "{v}");
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("0 of them converted")),
        "{v}"
    );
    let checks = v["model_cutoffs"].as_array().unwrap();
    assert!(!checks.is_empty(), "{v}");
    for c in checks {
        assert_eq!(c["here"]["tp"], 0, "{c}");
        // Recall is 0 of 0 here: undefined, not 0.
        assert_eq!(c["converted"], 0, "{c}");
        assert!(c["here"]["recall"].is_null(), "{c}");
        assert_ne!(c["verdict"], "holds", "{c}");
    }
    assert_below_at_half(&v);
    let text = run_ok(
        d,
        &["evaluate", "--model", "m.json", "--data", "nobody.csv"],
    );
    assert!(
        text.contains("ROC AUC undefined (one class)") && text.contains("BELOW the target"),
        "{text}"
    );
    // The HTML report of such a file says the same rather than failing.
    run_ok(
        d,
        &[
            "report",
            "--model",
            "m.json",
            "--data",
            "nobody.csv",
            "--out",
            "nobody.html",
        ],
    );
    let html = std::fs::read_to_string(d.join("nobody.html")).unwrap();
    assert!(html.contains("undefined (one class)"), "report");
    let table = &html[html
        .find("id=\"table-model-cutoffs\"")
        .expect("model cutoffs")..];
    assert!(table.contains("BELOW the target"), "report");
}

/// A path under the repository root.
fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn a_three_table_model_is_judged_on_outcomes_in_which_nobody_converted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, leads, events) = (
        repo("models/demo.json"),
        repo("data/demo/leads.csv"),
        repo("data/demo/events.csv"),
    );
    let evaluate = |outcomes: &str| -> Value {
        let out = run_ok(
            d,
            &[
                "evaluate",
                "--model",
                model.to_str().unwrap(),
                "--data",
                leads.to_str().unwrap(),
                "--events",
                events.to_str().unwrap(),
                "--outcomes",
                outcomes,
                "--json",
            ],
        );
        serde_json::from_str(out.trim()).unwrap()
    };
    let ids: Vec<String> = std::fs::read_to_string(&leads)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    // A closed-deals export of a quiet period (a header, no rows), and one that lists every
    // lead as not converted.
    std::fs::write(d.join("none.csv"), "lead_id,converted_at\n").unwrap();
    let zeros: String = ids.iter().map(|id| format!("{id},0,\n")).collect();
    std::fs::write(
        d.join("zeros.csv"),
        format!("lead_id,converted,converted_at\n{zeros}"),
    )
    .unwrap();
    for outcomes in ["none.csv", "zeros.csv"] {
        let v = evaluate(outcomes);
        assert_eq!(v["evaluation"]["positives"], 0, "{outcomes}");
        assert!(v["evaluation"]["roc_auc"].is_null(), "{outcomes}");
        let checks = v["model_cutoffs"].as_array().unwrap();
        assert!(
            checks.iter().all(|c| c["here"]["tp"] == 0)
                && checks.iter().any(|c| c["verdict"] == "below"),
            "{outcomes}: {v}"
        );
    }
    // The real outcomes with `converted` spelled two ways (`1`, `yes`): one class, read as
    // converted (it was once refused as two positive values).
    let real = std::fs::read_to_string(repo("data/demo/outcomes.csv")).unwrap();
    let mixed: String = real
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i % 2 == 0 { "1" } else { "yes" }))
        .collect();
    std::fs::write(
        d.join("mixed.csv"),
        format!("lead_id,converted_at,converted\n{mixed}"),
    )
    .unwrap();
    let v = evaluate("mixed.csv");
    assert!(v["evaluation"]["roc_auc"].as_f64().unwrap() > 0.8, "{v}");
}
