//! `leadscore-train monitor` on a hand-made decision log and outcomes table, with the realized
//! precision, recall and MQL rate computed by hand.

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::wilson_lower_bound;
use leadscore_train::monitor::{monitor, render_text, MonitorOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn demo_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json")
}

fn line(id: Value, model: &str, as_of: &str, cutoff: f64, mql: bool) -> String {
    json!({"time": "2026-01-01T00:00:00.000Z", "lead_id": id, "model_id": model,
           "route": "/v1/score", "as_of": as_of, "score": if mql { 0.9 } else { 0.01 },
           "cutoff": cutoff, "mql": mql, "tier": null})
    .to_string()
        + "\n"
}

/// A log folder with a rotated file and the current one, and the outcomes; returns the
/// folder, the model id and the two cutoffs used.
fn fixture(dir: &Path) -> (String, f64, f64) {
    let artifact = ModelArtifact::load(&demo_model()).unwrap();
    let m = artifact.model_id.clone();
    let points = &artifact.curve.points;
    let (c1, c2) = (points[points.len() / 3].threshold, points[1].threshold);
    let june = "2025-06-01T00:00:00.000Z";
    // Oldest decisions first: decisions.1.jsonl, then decisions.jsonl.
    let rotated = [
        line(json!("A1"), &m, june, c1, true), // converted day 9: tp
        line(json!("A2"), &m, june, c1, true), // converted day 19: tp
        line(json!("A3"), &m, june, c1, true), // converted day 61, after the horizon: fp
        line(json!("A4"), &m, june, c1, true), // never converted: fp
        line(json!("A5"), &m, june, c1, true), // converted before as_of: left out
    ]
    .concat();
    let current = [
        line(json!("B1"), &m, june, c1, false), // converted day 4: fn
        line(json!(7), &m, june, c1, false),    // never converted: tn (numeric id)
        line(json!("B3"), &m, "2025-12-20T00:00:00Z", c1, false), // horizon not over: pending
        // Converted 3 days later, but its horizon runs until after `now`: pending, as B3 (an
        // early conversion is not counted before the rest of its cohort is known).
        line(json!("A6"), &m, "2025-12-25T00:00:00Z", c1, true),
        line(json!("A1"), &m, june, c1, false), // a repeat: the first decision counts
        line(Value::Null, &m, june, c1, true),  // no lead id
        line(json!("X1"), "someothermodel", june, c1, true), // another model
        line(json!("C1"), &m, june, c2, true),  // another cutoff: tp
        // Not an MQL at first, handed over a month later: that handoff counts (converted 9
        // days after it: tp; from its first decision the conversion is past the horizon).
        line(json!("D1"), &m, june, c1, false),
        line(json!("D1"), &m, "2025-07-01T00:00:00Z", c1, true),
    ]
    .concat();
    std::fs::write(dir.join("decisions.1.jsonl"), rotated).unwrap();
    std::fs::write(dir.join("decisions.jsonl"), current).unwrap();
    std::fs::write(
        dir.join("outcomes.csv"),
        "lead_id,converted_at\nA1,2025-06-10 00:00:00\nA2,2025-06-20 00:00:00\nA3,2025-08-01 00:00:00\nA5,2025-05-01\nB1,2025-06-05\nA6,2025-12-28\nC1,2025-06-02\nX1,2025-06-02\nD1,2025-07-10\n",
    )
    .unwrap();
    (m, c1, c2)
}

fn options(dir: &Path) -> MonitorOptions {
    MonitorOptions {
        model: demo_model(),
        log: dir.to_path_buf(),
        outcomes: dir.join("outcomes.csv"),
        positive: Vec::new(),
        horizon_days: Some(30.0),
        now: leadscore_core::value::parse_timestamp("2025-12-31T00:00:00Z"),
        all_models: false,
        confidence: 0.95,
        gates: None,
    }
}

/// A lead scored below the cutoff, converted, then scored as an MQL after converting: its
/// decision before converting counts (a miss), not the MQL after it (which dropped the lead
/// as converted before the decision: recall read 1.000 with half the conversions missed).
/// Decisions count by time, not by their place in the file.
#[test]
fn an_mql_after_the_conversion_does_not_hide_the_miss_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let artifact = ModelArtifact::load(&demo_model()).unwrap();
    let m = artifact.model_id.clone();
    let c = artifact.curve.points[artifact.curve.points.len() / 3].threshold;
    let log = [
        // In the file before the decision it follows (a log merged from two servers).
        line(json!("E1"), &m, "2025-06-21T00:00:00Z", c, true),
        line(json!("E1"), &m, "2025-06-01T00:00:00Z", c, false),
        line(json!("F1"), &m, "2025-06-01T00:00:00Z", c, true),
    ]
    .concat();
    std::fs::write(d.join("decisions.jsonl"), log).unwrap();
    std::fs::write(
        d.join("outcomes.csv"),
        "lead_id,converted_at\nE1,2025-06-11\nF1,2025-06-05\n",
    )
    .unwrap();
    let r = monitor(&options(d)).unwrap();
    let row = &r.cutoffs[0];
    assert_eq!(
        (row.tp, row.fp, row.fn_, row.converted_before),
        (1, 0, 1, 0),
        "{row:?}"
    );
    assert_eq!(row.recall, Some(0.5));
}

/// An outcomes export that writes its dates with the year last, month first or day first, is
/// read in the order its values decide (a day above 12): the same report as the ISO file.
#[test]
fn outcomes_with_the_year_last_read_in_their_order() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let iso = render_text(&monitor(&options(dir.path())).unwrap());
    let outcomes = dir.path().join("outcomes.csv");
    for text in [
        "lead_id,converted_at\nA1,6/10/2025 12:00 AM\nA2,6/20/2025\nA3,8/1/2025\nA5,5/1/2025\nB1,6/5/2025\nA6,12/28/2025\nC1,6/2/2025\nX1,6/2/2025\nD1,7/10/2025\n",
        "lead_id,converted_at\nA1,10.06.2025 00:00\nA2,20.06.2025\nA3,01.08.2025\nA5,01.05.2025\nB1,05.06.2025\nA6,28.12.2025\nC1,02.06.2025\nX1,02.06.2025\nD1,10.07.2025\n",
    ] {
        std::fs::write(&outcomes, text).unwrap();
        assert_eq!(render_text(&monitor(&options(dir.path())).unwrap()), iso);
    }
}

#[test]
fn realized_precision_and_recall_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (model_id, c1, c2) = fixture(dir.path());
    let r = monitor(&options(dir.path())).unwrap();
    assert_eq!(r.model_id, model_id);
    assert_eq!(r.files.len(), 2);
    assert!(r.files[0].ends_with("decisions.1.jsonl"));
    assert_eq!(r.decisions, 15);
    assert_eq!((r.other_models, r.without_lead_id, r.repeats), (1, 1, 2));
    assert_eq!(r.cutoffs.len(), 2);
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    assert_eq!(row.leads, 10);
    assert_eq!(
        (row.known, row.pending, row.converted_before),
        (7, 2, 1),
        "{row:?}"
    );
    assert_eq!((row.tp, row.fp, row.fn_), (3, 2, 1));
    assert_eq!(row.precision, Some(3.0 / 5.0));
    let lb = row.precision_lower_bound.unwrap();
    assert_eq!(lb, wilson_lower_bound(3, 5, 0.95));
    assert_eq!(row.recall, Some(0.75));
    assert_eq!(row.mql_rate, Some(5.0 / 7.0));
    let artifact = ModelArtifact::load(&demo_model()).unwrap();
    let op = artifact.curve.at_threshold(c1, 0.95);
    let promised = row.promised.as_ref().unwrap();
    assert_eq!(promised.precision, op.precision);
    assert_eq!(promised.precision_lower_bound, op.precision_lower_bound);
    assert_eq!(promised.recall, op.recall);
    // Below only beyond chance: the realized precision's upper bound under the promise.
    let upper = 1.0 - wilson_lower_bound(2, 5, 0.95);
    assert_eq!(row.below_promise, upper < op.precision_lower_bound);
    assert!(!row.below_promise, "3 of 5 is no broken promise of {op:?}");
    let other = r.cutoffs.iter().find(|c| c.cutoff == c2).unwrap();
    assert_eq!((other.leads, other.tp, other.fp), (1, 1, 0));
    assert_eq!(other.recall, Some(1.0));

    let text = render_text(&r);
    let realized = format!(
        "realized: precision 0.600 (95% lower bound {:.3}) on 5 MQLs",
        wilson_lower_bound(3, 5, 0.95)
    );
    assert!(text.contains(&realized), "{text}");
    assert!(text.contains("promised: precision"));

    // Every model: the other model's lead counts, without a promise.
    let mut o = options(dir.path());
    o.all_models = true;
    let r = monitor(&o).unwrap();
    let x = r
        .cutoffs
        .iter()
        .find(|c| c.model_id == "someothermodel")
        .unwrap();
    assert_eq!((x.tp, x.promised.is_none()), (1, true));

    // Only the current file: A1's decision there (not an MQL) is its only one.
    let mut o = options(dir.path());
    o.log = dir.path().join("decisions.jsonl");
    let r = monitor(&o).unwrap();
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    assert_eq!((row.tp, row.fp, row.fn_), (1, 0, 2));
}

/// An outcomes file with a header and no rows (a closed-deals export of a month without
/// deals): nothing converted, every known MQL a false positive; not an error.
#[test]
fn an_outcomes_file_without_rows_is_no_conversions() {
    let dir = tempfile::tempdir().unwrap();
    let (_, c1, _) = fixture(dir.path());
    std::fs::write(dir.path().join("outcomes.csv"), "lead_id,converted_at\n").unwrap();
    let r = monitor(&options(dir.path())).unwrap();
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    assert_eq!(
        (row.tp, row.fn_, row.converted_before),
        (0, 0, 0),
        "{row:?}"
    );
    assert!(row.fp > 0, "{row:?}");
    assert_eq!(row.precision, Some(0.0));
}

/// Outcomes whose `converted` column spells conversions otherwise (`Won`/`Lost`) are read with
/// `--positive`; conversions without a time are counted as in time, and said to be.
#[test]
fn won_lost_outcomes_and_untimed_conversions() {
    let dir = tempfile::tempdir().unwrap();
    let (_, c1, _) = fixture(dir.path());
    let timed = monitor(&options(dir.path())).unwrap();
    assert_eq!(timed.converted_untimed, 0);
    // The fixture's outcomes with a `converted` column of Won (and a Lost lead).
    let text = std::fs::read_to_string(dir.path().join("outcomes.csv")).unwrap();
    let mut lines = text.lines();
    let mut won = format!("{},converted\n", lines.next().unwrap());
    for l in lines {
        won.push_str(&format!("{l},Won\n"));
    }
    won.push_str("A4,2025-06-03,Lost\n");
    std::fs::write(dir.path().join("outcomes.csv"), &won).unwrap();
    let e = monitor(&options(dir.path())).unwrap_err().to_string();
    assert!(e.contains("--positive"), "{e}");
    let o = MonitorOptions {
        positive: vec!["Won".into()],
        ..options(dir.path())
    };
    let r = monitor(&o).unwrap();
    assert_eq!(r.cutoffs, timed.cutoffs);
    // Without times: A3 (converted after the horizon) and A5 (before its decision) count as
    // converted in time, and the text says how many have no time.
    let untimed: String = text
        .lines()
        .map(|l| format!("{}\n", l.split(',').next().unwrap()))
        .collect();
    std::fs::write(dir.path().join("outcomes.csv"), untimed).unwrap();
    let r = monitor(&options(dir.path())).unwrap();
    assert_eq!(r.converted_untimed, 9);
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    assert_eq!(row.converted_before, 0, "{row:?}");
    let text = render_text(&r);
    assert!(
        text.contains("9 converted leads of the outcomes have no conversion time"),
        "{text}"
    );
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
        .arg("monitor")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_prints_json_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let d = dir.path().display().to_string();
    let model = demo_model().display().to_string();
    let outcomes = format!("{d}/outcomes.csv");
    let base = [
        "--model",
        &model,
        "--log",
        &d,
        "--outcomes",
        &outcomes,
        "--horizon-days",
        "30",
        "--now",
        "2025-12-31T00:00:00Z",
    ];
    let out = cli(&[&base[..], &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cutoffs"].as_array().unwrap().len(), 2);
    assert_eq!(v["repeats"], 2);

    let out = cli(&base);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("outcome known for 7"));

    // The last line cut short (a log being written, a crash): left out with a warning, the
    // rest reported.
    let whole = std::fs::read_to_string(dir.path().join("decisions.jsonl")).unwrap();
    let cut = whole.trim_end_matches('\n');
    std::fs::write(dir.path().join("decisions.jsonl"), &cut[..cut.len() - 20]).unwrap();
    let out = cli(&base);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("the last line has no line end"), "{err}");
    // Cut inside a character (a lead id with `ë` cut between its two bytes): the same.
    let mut bytes = whole.trim_end_matches('\n').as_bytes().to_vec();
    bytes.extend_from_slice("\n{\"lead_id\":\"Zoë".as_bytes());
    bytes.pop();
    std::fs::write(dir.path().join("decisions.jsonl"), &bytes).unwrap();
    let out = cli(&base);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("ends inside a character"), "{err}");
    // A whole last line that is not a decision is still an error, line end or not.
    let mut bad = whole.trim_end_matches('\n').to_string();
    bad.push_str("\n{\"lead_id\": \"oops\"}");
    std::fs::write(dir.path().join("decisions.jsonl"), &bad).unwrap();
    let out = cli(&base);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a decision log line"));
    std::fs::write(dir.path().join("decisions.jsonl"), &whole).unwrap();

    // A bad line: the error names the file and the line.
    let mut text = std::fs::read_to_string(dir.path().join("decisions.jsonl")).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "{\"lead_id\": \"oops\"\n");
    std::fs::write(dir.path().join("decisions.jsonl"), text).unwrap();
    let out = cli(&base);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("decisions.jsonl:2: not a decision log line"),
        "{err}"
    );

    // A folder without a log.
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().display().to_string();
    let out = cli(&["--model", &model, "--log", &e, "--outcomes", &outcomes]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no decision log"));
}

/// Ids join digit for digit: the server logs an id as the client sent it, so a 64-bit number
/// past 2^53, a 20-digit number and a zero-padded string must meet the outcomes file's spelling
/// (read as text), not a rounded f64 that would merge two leads or lose a conversion.
#[test]
fn ids_join_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = ModelArtifact::load(&demo_model()).unwrap();
    let m = artifact.model_id.clone();
    let c = artifact.curve.points[1].threshold;
    let june = "2025-06-01T00:00:00.000Z";
    let raw = |id: &str, mql: bool| {
        line(json!("PLACEHOLDER"), &m, june, c, mql).replace("\"PLACEHOLDER\"", id)
    };
    let log = [
        raw("9007199254740993", true),        // converted: tp
        raw("9007199254740992", true),        // a different lead, never converted: fp
        raw("12345678901234567890123", true), // converted: tp
        raw("\"00123\"", true),               // converted: tp
        raw("123", false),                    // a different lead, never converted: tn
        raw("77.0", true),                    // the same lead as 77: tp
    ]
    .concat();
    std::fs::write(dir.path().join("decisions.jsonl"), log).unwrap();
    std::fs::write(
        dir.path().join("outcomes.csv"),
        "lead_id,converted_at\n9007199254740993,2025-06-10\n12345678901234567890123,2025-06-11\n00123,2025-06-12\n77,2025-06-13\n",
    )
    .unwrap();
    let r = monitor(&options(dir.path())).unwrap();
    let row = r.cutoffs.iter().find(|x| x.cutoff == c).unwrap();
    assert_eq!(row.leads, 6, "{row:?}");
    assert_eq!((row.tp, row.fp, row.fn_), (4, 1, 0), "{row:?}");
}

/// What a review found `monitor` got wrong, each against its hand-made expectation: an
/// outcomes column of one class (every lead converted, or none: a quiet month's `0`s) is a
/// period, not an error; ids join the same whichever side writes `77.0` or `1.50`; duplicate
/// outcome rows give one answer in any order (the earliest known time); a log ending in NUL
/// bytes (a crash) loses only that tail; the server's `--gates` give the promise it made.
#[test]
fn one_class_outcomes_ids_duplicates_nul_tails_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let (_, c1, _) = fixture(dir.path());
    let outcomes = dir.path().join("outcomes.csv");
    let ids = ["A1", "A2", "A3", "A4", "B1", "D1"];
    // Every listed lead converted (at a known time), or none.
    let rows = |value: &str| -> String {
        ids.iter()
            .map(|id| format!("{id},{value},2025-06-02\n"))
            .collect()
    };
    std::fs::write(
        &outcomes,
        format!("lead_id,converted,converted_at\n{}", rows("1")),
    )
    .unwrap();
    let r = monitor(&options(dir.path())).unwrap();
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    // A1..A4, MQLs, converted on day 1: tp; A5, an MQL not listed: fp; B1, not an MQL: fn;
    // D1, not an MQL on its first day, converted the next, handed over after: its decision
    // before the conversion counts, a miss (fn), not the handoff after it.
    assert_eq!((row.tp, row.fp, row.fn_), (4, 1, 2), "{row:?}");
    assert_eq!(row.converted_before, 0);
    assert_eq!((r.converted_leads, r.converted_joined), (6, 6));
    std::fs::write(
        &outcomes,
        format!("lead_id,converted,converted_at\n{}", rows("0")),
    )
    .unwrap();
    let r = monitor(&options(dir.path())).unwrap();
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    assert_eq!((row.tp, row.fn_, r.converted_leads), (0, 0, 0), "{row:?}");
    assert!(row.fp > 0);
    // A single class that is neither a converted value nor a spelling of not converted is
    // still an error (it could mean either).
    std::fs::write(
        &outcomes,
        format!("lead_id,converted,converted_at\n{}", rows("Won")),
    )
    .unwrap();
    let e = monitor(&options(dir.path())).unwrap_err();
    assert!(
        format!("{e:#}")
            .contains("every labelled row is \"Won\", which is neither a converted value"),
        "{e:#}"
    );

    // Ids: the log writes what the client sent, the outcomes what the CRM exported.
    let artifact = ModelArtifact::load(&demo_model()).unwrap();
    let m = artifact.model_id.clone();
    let june = "2025-06-01T00:00:00.000Z";
    let raw = |id: &str| line(json!("P"), &m, june, c1, true).replace("\"P\"", id);
    let log = dir.path().join("ids");
    std::fs::create_dir(&log).unwrap();
    std::fs::write(
        log.join("decisions.jsonl"),
        [raw("1.50"), raw("77"), raw("\"88.0\""), raw("\"00123\"")].concat(),
    )
    .unwrap();
    std::fs::write(
        &outcomes,
        "lead_id,converted_at\n1.50,2025-06-10\n77.0,2025-06-10\n88,2025-06-10\n123,2025-06-10\n",
    )
    .unwrap();
    let mut o = options(dir.path());
    o.log = log.clone();
    let r = monitor(&o).unwrap();
    let row = &r.cutoffs[0];
    assert_eq!((row.tp, row.fp), (3, 1), "{row:?}");
    assert_eq!((r.converted_leads, r.converted_joined), (4, 3));

    // Duplicate outcome rows of one lead, a blank time and a time before the decision: the
    // known time counts, in either order.
    for text in [
        "lead_id,converted,converted_at\n77,1,\n77,1,2025-05-01\n",
        "lead_id,converted,converted_at\n77,1,2025-05-01\n77,1,\n",
    ] {
        std::fs::write(&outcomes, text).unwrap();
        let r = monitor(&o).unwrap();
        assert_eq!(r.cutoffs[0].converted_before, 1, "{text}");
    }
    // The converted column named in another case, as a CRM exports it: read (it was left
    // unread, and every listed lead counted converted).
    std::fs::write(
        &outcomes,
        "Lead_ID,Converted,Converted_At\n77,0,\n1.5,0,\n88,1,2025-06-10\n00123,1,2025-06-10\n",
    )
    .unwrap();
    let r = monitor(&o).unwrap();
    // 00123 joins the log's "00123": the id column is read as text under its other name too.
    assert_eq!((r.converted_leads, r.converted_joined), (2, 2), "{r:?}");
    // No converted lead joins: said.
    std::fs::write(&outcomes, "lead_id,converted_at\nx77,2025-06-10\n").unwrap();
    let text = render_text(&monitor(&o).unwrap());
    assert!(
        text.contains("1 converted lead, 0 of them") && text.contains("warning: no converted lead"),
        "{text}"
    );

    // A log ending in NUL bytes, from a line's start or (a crash pads from a page boundary)
    // inside a line: the whole lines before are read.
    let whole = std::fs::read(log.join("decisions.jsonl")).unwrap();
    for cut in [whole.len(), whole.len() - 20] {
        let mut bytes = whole[..cut].to_vec();
        bytes.extend([0u8; 300]);
        std::fs::write(log.join("decisions.jsonl"), bytes).unwrap();
        let want = if cut == whole.len() { 4 } else { 3 };
        assert_eq!(monitor(&o).unwrap().decisions, want, "{cut}");
    }
    std::fs::write(log.join("decisions.jsonl"), &whole).unwrap();

    // Bounds the server keeps: a confidence below 0.5, a horizon under a second.
    let mut bad = options(dir.path());
    bad.confidence = 0.3;
    assert!(format!("{:#}", monitor(&bad).unwrap_err()).contains("--confidence 0.3"));
    let mut bad = options(dir.path());
    bad.horizon_days = Some(1e-9);
    assert!(format!("{:#}", monitor(&bad).unwrap_err()).contains("less than a second"));

    // The server's --gates (here none in place of the model's): the promise on its curve.
    fixture(dir.path());
    let gates = dir.path().join("gates.toml");
    std::fs::write(&gates, "").unwrap();
    let mut o = options(dir.path());
    o.gates = Some(gates);
    let r = monitor(&o).unwrap();
    let row = r.cutoffs.iter().find(|c| c.cutoff == c1).unwrap();
    let ungated = leadscore_core::gates::curve_with_gates(&artifact, &[]).unwrap();
    let want = ungated.at_threshold(c1, 0.95);
    let promised = row.promised.as_ref().unwrap();
    assert_eq!(promised.precision, want.precision);
    assert_eq!(promised.recall, want.recall);
    assert!(!artifact.gates.is_empty());
    let own = artifact.curve.at_threshold(c1, 0.95);
    assert_ne!(
        (promised.precision, promised.recall),
        (own.precision, own.recall)
    );
}

/// `read_outcomes` keys ids by `id_key` (`9.0` is `9`, leading zeros stay), and every reader
/// of its map looks its own side's ids up by the same key (`score`, `funnel`, `monitor`): a
/// first version normalised the outcomes only, and `9.0` in both files of a `score
/// --outcomes` run stopped matching (`crates/train/tests/padded_ids.rs` runs `score` and
/// `evaluate` on such files).
#[test]
fn outcome_ids_are_keyed_as_every_join_compares_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outcomes.csv");
    std::fs::write(
        &path,
        "lead_id,converted_at\n9.0,2025-06-10\n007,2025-06-11\n",
    )
    .unwrap();
    let o = leadscore_train::monitor::read_outcomes(
        &path,
        &Default::default(),
        &leadscore_core::value::default_positive_values(),
        Default::default(),
    )
    .unwrap();
    let mut ids: Vec<&String> = o.keys().collect();
    ids.sort();
    assert_eq!(ids, ["007", "9"]);
    assert_eq!(leadscore_train::assemble::id_key(" 9.0 "), "9");
}
