//! `leadscore-train report` and the report `train` writes beside each model, through the
//! binary: what is written where, what it says, and how bad input fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary from the repository root; asserts it did not panic.
fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run leadscore-train");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const CHART_IDS: [&str; 8] = [
    "chart-importance",
    "chart-shapes",
    "chart-roc",
    "chart-pr",
    "chart-calibration",
    "chart-lift-decile",
    "chart-lift-tier",
    "chart-score-distribution",
];

fn assert_report(path: &Path) -> String {
    let html = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in CHART_IDS {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    html
}

#[test]
fn report_on_the_committed_demo_model() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports/demo.html");
    let o = run(&[
        "report",
        "--model",
        "models/demo.json",
        "--target-precision",
        "0.6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let model: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/demo.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let id = model["model_id"].as_str().unwrap();
    assert!(stdout.contains("wrote ") && stdout.contains(id), "{stdout}");
    let html = assert_report(&out);
    assert!(html.contains("target precision of 0.6 at 95% confidence"));
}

#[test]
fn report_refuses_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r.html");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &[
                "report",
                "--model",
                "models/demo.json",
                "--out",
                out,
                "--target-precision",
                "1.5",
            ],
            1,
            "target precision 1.5",
        ),
        (
            &[
                "report",
                "--model",
                "models/demo.json",
                "--out",
                out,
                "--tiers",
                "A=0.5,B=0.8",
            ],
            1,
            "targets must decrease",
        ),
        (
            &["report", "--model", "models/nope.json", "--out", out],
            1,
            "models/nope.json",
        ),
        (
            &[
                "report",
                "--model",
                "models/demo.json",
                "--out",
                out,
                "--events",
                "data/demo/events.csv",
            ],
            2,
            "data",
        ),
        (&["report", "--model", "models/demo.json"], 2, "--out"),
    ];
    for (args, code, needle) in cases {
        let o = run(args);
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert!(!Path::new(out).exists(), "nothing written on failure");
}

#[test]
fn train_writes_the_report_beside_the_model_and_report_draws_it_on_labeled_data() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    let model = model.to_str().unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--data",
            "data/demo-leads.csv",
            "--spec",
            "data/demo-spec.toml",
            "--grid-size",
            "2",
            "--folds",
            "2",
            "--out",
            model,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = train(&[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let beside = tmp.path().join("m.report.html");
    assert!(
        text(&o.stdout).contains(&format!("wrote {} (its report)", beside.display())),
        "{}",
        text(&o.stdout)
    );
    let html = assert_report(&beside);
    assert!(html.contains("on the holdout"));

    // On a labeled file: the charts describe the file.
    let on_file = tmp.path().join("on-file.html");
    let o = run(&[
        "report",
        "--model",
        model,
        "--data",
        "data/demo-leads.csv",
        "--out",
        on_file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let html = assert_report(&on_file);
    assert!(
        html.contains("labeled data data/demo-leads.csv"),
        "names the file"
    );
    assert!(html.contains("the same cutoff gives"));

    // --no-report writes the model only.
    std::fs::remove_file(&beside).unwrap();
    let o = train(&["--no-report"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(Path::new(model).exists());
    assert!(!beside.exists(), "--no-report");
}
