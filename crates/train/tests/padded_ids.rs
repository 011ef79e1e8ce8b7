//! Lead ids padded with spaces in one table (a spreadsheet's `"L000002 "`) join the leads as
//! they are: an outcomes table so padded had matched no lead (every lead counted as not
//! converted, `evaluate` refused the file), an events table so padded lost every event (a
//! warning, then a model judged without engagement). So do whole-number ids written `2.0` (as
//! pandas writes an id column with a gap) beside the leads file's `2`. Checked through
//! `evaluate` and `score` against the same tables as the demo writes them.

mod cli_run;

use cli_run::run_ok;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `path`'s CSV with its first column's cells padded (`before` and `after` each id).
fn padded(path: &Path, before: &str, after: &str) -> String {
    renamed(path, |id| format!("\"{before}{id}{after}\""))
}

/// `path`'s CSV with each cell of its first column (the lead id) replaced by `rename` of it.
fn renamed(path: &Path, rename: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for l in lines {
        let (id, rest) = l.split_once(',').unwrap();
        out += &format!("{},{rest}\n", rename(id));
    }
    out
}

fn evaluate(dir: &Path, events: &str, outcomes: &str) -> Value {
    evaluate_leads(dir, &repo().join("data/demo/leads.csv"), events, outcomes)
}

fn evaluate_leads(dir: &Path, leads: &Path, events: &str, outcomes: &str) -> Value {
    let r = repo();
    let out = run_ok(
        dir,
        &[
            "evaluate",
            "--model",
            r.join("models/demo.json").to_str().unwrap(),
            "--data",
            leads.to_str().unwrap(),
            "--events",
            events,
            "--outcomes",
            outcomes,
            "--json",
        ],
    );
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
fn ids_padded_with_spaces_join_as_written_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = repo();
    let events = r.join("data/demo/events.csv");
    let outcomes = r.join("data/demo/outcomes.csv");
    std::fs::write(d.join("events.csv"), padded(&events, " ", "")).unwrap();
    std::fs::write(d.join("outcomes.csv"), padded(&outcomes, "", "  ")).unwrap();

    let clean = evaluate(d, events.to_str().unwrap(), outcomes.to_str().unwrap());
    let both = evaluate(d, "events.csv", "outcomes.csv");
    for key in ["rows", "evaluation", "model_cutoffs", "point_in_time"] {
        assert_eq!(both[key], clean[key], "{key}");
    }
    assert!(clean["evaluation"]["positives"].as_u64().unwrap() > 0);

    // Whole-number ids, as pandas writes them in a column with a gap (`2.0`) in the events
    // and padded with trailing zeros in the outcomes: the leads file's `2`.
    let number = |id: &str| id.trim_start_matches(['L', '0']).to_string();
    let leads = r.join("data/demo/leads.csv");
    std::fs::write(d.join("n_leads.csv"), renamed(&leads, number)).unwrap();
    std::fs::write(
        d.join("n_events.csv"),
        renamed(&events, |id| format!("{}.0", number(id))),
    )
    .unwrap();
    std::fs::write(
        d.join("n_outcomes.csv"),
        renamed(&outcomes, |id| format!("\" {}.00\"", number(id))),
    )
    .unwrap();
    let numbered = evaluate_leads(d, &d.join("n_leads.csv"), "n_events.csv", "n_outcomes.csv");
    for key in ["rows", "evaluation", "model_cutoffs", "point_in_time"] {
        assert_eq!(numbered[key], clean[key], "{key}");
    }

    // `score --outcomes` skips the same converted leads and finds the same events.
    let leads = r.join("data/demo/leads.csv");
    score(d, [&leads, &events, &outcomes], &["--out", "clean.csv"]);
    let clean = std::fs::read_to_string(d.join("clean.csv")).unwrap();
    score(
        d,
        [&leads, &d.join("events.csv"), &d.join("outcomes.csv")],
        &["--out", "padded.csv"],
    );
    let written = std::fs::read_to_string(d.join("padded.csv")).unwrap();
    assert!(clean.lines().count() > 100, "{clean}");
    assert_eq!(written, clean);

    // The next night's run, its leads file writing the ids padded, against this one: the same
    // leads, nothing crossed (every MQL was new before ids were compared so).
    std::fs::write(d.join("leads.csv"), padded(&leads, " ", " ")).unwrap();
    let said = score(
        d,
        [&d.join("leads.csv"), &events, &outcomes],
        &["--previous", "clean.csv", "--out", "next.csv"],
    );
    let crossings = std::fs::read_to_string(d.join("next.crossings.csv")).unwrap();
    assert_eq!(crossings.lines().count(), 1, "{said}\n{crossings}");
    assert!(!said.contains("WARNING"), "{said}");
}

/// `score` of the demo model on `[leads, events, outcomes]` as of 2025-06-01, with `more`
/// options (`--out` among them); its standard output.
fn score(dir: &Path, [leads, events, outcomes]: [&Path; 3], more: &[&str]) -> String {
    let model = repo().join("models/demo.json");
    let mut args = vec![
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        leads.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "--outcomes",
        outcomes.to_str().unwrap(),
        "--as-of",
        "2025-06-01",
        "--target-precision",
        "0.5",
    ];
    args.extend_from_slice(more);
    run_ok(dir, &args)
}
