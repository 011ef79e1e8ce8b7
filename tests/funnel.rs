//! `leadscore-train funnel` on the demo: `score` run at the start of four months, then the
//! funnel by lead source and month, every number checked against a computation here that reads
//! the same files with its own CSV parser (and none of the funnel code); then `report --funnel`
//! draws it, well-formed, with both charts and one table row per funnel row.

mod common;

use common::lives::timestamp;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

const DAY: i64 = 86_400;
const RUNS: [&str; 4] = ["2025-03-01", "2025-05-01", "2025-07-01", "2025-09-01"];
const NOW: &str = "2025-12-31T00:00:00Z";
const HORIZON_DAYS: i64 = 90;

fn train(args: &[&str]) -> String {
    let o = Command::new(common::train_binary())
        .args(args)
        .current_dir(common::repo("."))
        .output()
        .expect("run leadscore-train");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn score_runs(dir: &Path) -> Vec<PathBuf> {
    RUNS.iter()
        .map(|day| {
            let out = dir.join(format!("scores-{day}.csv"));
            train(&[
                "score",
                "--model",
                "models/demo.json",
                "--data",
                "data/demo/leads.csv",
                "--events",
                "data/demo/events.csv",
                "--as-of",
                day,
                "--target-precision",
                "0.5",
                "--factors",
                "0",
                "--out",
                out.to_str().unwrap(),
            ]);
            out
        })
        .collect()
}

/// Month of Unix time `t`, `YYYY-MM`.
fn month(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m")
        .to_string()
}

#[derive(Default, Debug, PartialEq)]
struct Expected {
    leads: u64,
    mqls: u64,
    known: u64,
    known_converted: u64,
    converted: u64,
    before: u64,
    days: Vec<f64>,
}

/// The funnel's rows computed from the files alone: (group, period) -> counts.
fn independent(runs: &[PathBuf]) -> BTreeMap<(String, String), Expected> {
    // Per lead: entered (created = as_of - age), first MQL moment.
    let mut entered: HashMap<String, i64> = HashMap::new();
    let mut mql_at: HashMap<String, i64> = HashMap::new();
    for run in runs {
        for row in common::csv_rows(run) {
            let id = row["lead_id"].clone();
            let as_of = timestamp(&row["as_of"], "as_of");
            let created = timestamp(&row["created_at"], "created_at");
            let e = entered.entry(id.clone()).or_insert(created);
            *e = (*e).min(created);
            if row["mql"] == "true" {
                let m = mql_at.entry(id).or_insert(as_of);
                *m = (*m).min(as_of);
            }
        }
    }
    let source: HashMap<String, String> = common::csv_rows(&common::repo("data/demo/leads.csv"))
        .into_iter()
        .map(|r| (r["lead_id"].clone(), r["lead_source"].clone()))
        .collect();
    let mut converted_at: HashMap<String, i64> = HashMap::new();
    for r in common::csv_rows(&common::repo("data/demo/outcomes.csv")) {
        let t = timestamp(&r["converted_at"], "converted_at");
        let c = converted_at.entry(r["lead_id"].clone()).or_insert(t);
        *c = (*c).min(t);
    }
    let now = timestamp(NOW, "now");
    let mut out: BTreeMap<(String, String), Expected> = BTreeMap::new();
    for (id, created) in &entered {
        let group = source[id].clone();
        for period in [month(*created), "all".to_string()] {
            let e = out.entry((group.clone(), period)).or_default();
            e.leads += 1;
            let Some(&at) = mql_at.get(id) else { continue };
            e.mqls += 1;
            let conv = converted_at.get(id).copied();
            if conv.is_some_and(|c| c < at) {
                e.before += 1;
                continue;
            }
            let within = conv.filter(|c| *c <= at + HORIZON_DAYS * DAY);
            if let Some(c) = within {
                e.converted += 1;
                e.days.push((c - at) as f64 / DAY as f64);
            }
            if at + HORIZON_DAYS * DAY <= now {
                e.known += 1;
                e.known_converted += u64::from(within.is_some());
            }
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    })
}

#[test]
fn the_funnel_by_source_and_month_matches_an_independent_count() {
    let dir = tempfile::tempdir().unwrap();
    let runs = score_runs(dir.path());
    let mut args = vec!["funnel", "--scores"];
    args.extend(runs.iter().map(|p| p.to_str().unwrap()));
    args.extend([
        "--outcomes",
        "data/demo/outcomes.csv",
        "--leads",
        "data/demo/leads.csv",
        "--by",
        "lead_source",
        "--period",
        "month",
        "--target-precision",
        "0.5",
        "--now",
        NOW,
        "--json",
    ]);
    let json = train(&args);
    let f: Value = serde_json::from_str(&json).unwrap();
    let rows = f["rows"].as_array().unwrap();
    let expected = independent(&runs);
    let mut checked = 0;
    let mut with_known = 0;
    for r in rows {
        let key = (
            r["group"].as_str().unwrap().to_string(),
            r["period"].as_str().unwrap().to_string(),
        );
        let e = &expected[&key];
        let n = |k: &str| r[k].as_u64().unwrap();
        assert_eq!(n("leads"), e.leads, "{key:?} leads");
        assert_eq!(n("mqls"), e.mqls, "{key:?} mqls");
        assert_eq!(n("mqls_known"), e.known, "{key:?} known");
        assert_eq!(n("mqls_known_converted"), e.known_converted, "{key:?}");
        assert_eq!(n("mqls_converted"), e.converted, "{key:?} converted");
        assert_eq!(n("converted_before_mql"), e.before, "{key:?} before");
        assert_eq!(
            n("mqls_pending"),
            e.mqls - e.before - e.known,
            "{key:?} pending"
        );
        let rate = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        assert_eq!(r["mql_rate"].as_f64(), rate(e.mqls, e.leads), "{key:?}");
        assert_eq!(
            r["realized_precision"].as_f64(),
            rate(e.known_converted, e.known),
            "{key:?}"
        );
        assert_eq!(
            r["mql_conversion_rate"].as_f64(),
            rate(e.converted, e.mqls - e.before),
            "{key:?}"
        );
        let m = r["median_days_to_conversion"].as_f64();
        let want = median(e.days.clone());
        assert!(
            m.zip(want)
                .map_or(m.is_none() && want.is_none(), |(a, b)| (a - b).abs() < 1e-9),
            "{key:?}: median {m:?} vs {want:?}"
        );
        checked += 1;
        with_known += usize::from(e.known > 0);
    }
    assert_eq!(
        checked,
        expected.len(),
        "one row per group and month, and a total per group"
    );
    assert!(with_known > 20, "the horizon has passed for most rows");
    let total = &f["total"];
    let leads: u64 = expected
        .iter()
        .filter(|(k, _)| k.1 == "all")
        .map(|(_, e)| e.leads)
        .sum();
    assert_eq!(total["leads"].as_u64(), Some(leads));

    // The table prints the same rows.
    args.pop();
    let table = train(&args);
    assert!(
        table.starts_with("funnel by lead_source and month"),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.contains("  2025-")).count() + 1,
        rows.iter().filter(|r| r["period"] != "all").count() + 1
    );

    // And the report draws it.
    let funnel_json = dir.path().join("funnel.json");
    std::fs::write(&funnel_json, &json).unwrap();
    let report = dir.path().join("report.html");
    train(&[
        "report",
        "--model",
        "models/demo.json",
        "--out",
        report.to_str().unwrap(),
        "--funnel",
        funnel_json.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&report).unwrap();
    for id in [
        "id=\"funnel\"",
        "id=\"chart-funnel-precision\"",
        "id=\"chart-funnel-mql-rate\"",
        "id=\"table-funnel\"",
    ] {
        assert!(html.contains(id), "{id}");
    }
    let table = &html[html.find("id=\"table-funnel\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(
        table.matches("<tr>").count(),
        1 + rows.len() + 1,
        "head, rows, total"
    );
    let mut reader = quick_xml::Reader::from_str(&html);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the report is not well-formed: {e}"),
        }
    }
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("scores.csv");
    std::fs::write(&bad, "lead_id,as_of,mql\nL1,2025-01-01T00:00:00Z,maybe\n").unwrap();
    let o = Command::new(common::train_binary())
        .args(["funnel", "--scores"])
        .arg(&bad)
        .args(["--outcomes", "data/demo/outcomes.csv"])
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr.contains("row 1") && stderr.contains("`mql`") && stderr.contains("maybe"),
        "{stderr}"
    );
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "lead_id,as_of,mql\nL000001,2025-01-01T00:00:00Z,true\n",
    )
    .unwrap();
    let o = Command::new(common::train_binary())
        .args(["funnel", "--scores"])
        .arg(&good)
        .args([
            "--outcomes",
            "data/demo/outcomes.csv",
            "--by",
            "lead_source",
        ])
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --leads FILE"));
    // Outcomes whose ids join none of the scored leads, or without conversion times, are
    // counted as they are and said to be; a `converted` column of Won/Lost takes --positive.
    let funnel_out = |outcomes: &str, extra: &[&str]| {
        let path = dir.path().join("o.csv");
        std::fs::write(&path, outcomes).unwrap();
        let o = Command::new(common::train_binary())
            .args(["funnel", "--scores"])
            .arg(&good)
            .arg("--outcomes")
            .arg(&path)
            .args(["--now", "2025-12-31T00:00:00Z"])
            .args(extra)
            .current_dir(common::repo("."))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = funnel_out("lead_id,converted_at\n1,2025-01-05\n", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("none of them is among the scored leads"),
        "{out}"
    );
    let (code, out, err) = funnel_out("lead_id\nL000001\n", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 without a conversion time"), "{out}");
    let won = "lead_id,converted,converted_at\nL000001,Won,2025-01-05\nL000002,Lost,\n";
    let (code, _, err) = funnel_out(won, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--positive"), "{err}");
    let (code, out, err) = funnel_out(won, &["--positive", "Won"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("(1 converted leads)"), "{out}");
    // A crossings file (beside a score output, so in the same glob) is not a run.
    let crossings = dir.path().join("good.crossings.csv");
    std::fs::write(
        &crossings,
        "lead_id,change,previous_as_of,previous_score,previous_mql,previous_tier,as_of,score,mql,tier\n\
         L000001,became_mql,2024-12-25T00:00:00Z,0.1,false,D,2025-01-01T00:00:00Z,0.6,true,B\n",
    )
    .unwrap();
    let o = Command::new(common::train_binary())
        .args(["funnel", "--scores"])
        .arg(&good)
        .arg(&crossings)
        .args(["--outcomes", "data/demo/outcomes.csv"])
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("good.crossings.csv") && stderr.contains("a crossings file"),
        "{stderr}"
    );
    // A lead on two rows of the leads file: the same group is one lead, two groups are
    // ambiguous and named (not the last row winning).
    let leads = dir.path().join("leads.csv");
    let run = |leads_text: &str| {
        std::fs::write(&leads, leads_text).unwrap();
        Command::new(common::train_binary())
            .args(["funnel", "--scores"])
            .arg(&good)
            .args(["--outcomes", "data/demo/outcomes.csv", "--leads"])
            .arg(&leads)
            .args(["--by", "lead_source", "--now", NOW, "--json"])
            .current_dir(common::repo("."))
            .output()
            .unwrap()
    };
    let o = run("lead_id,lead_source\nL000001,Webinar\n L000001 ,Webinar\n");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let f: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        f["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["group"] == "Webinar"),
        "{f}"
    );
    let o = run("lead_id,lead_source\nL000001,Webinar\nL000001 ,Paid Search\n");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("leads.csv: row 2")
            && stderr.contains("also on row 1")
            && stderr.contains("\"Webinar\"")
            && stderr.contains("\"Paid Search\"")
            && stderr.contains("ambiguous"),
        "{stderr}"
    );
}

#[test]
fn from_a_decision_log_by_week() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.jsonl");
    let line = |id: &str, as_of: &str, mql: bool| {
        format!(
            "{{\"lead_id\":\"{id}\",\"model_id\":\"m\",\"as_of\":\"{as_of}\",\"score\":0.5,\"cutoff\":0.4,\"mql\":{mql}}}\n"
        )
    };
    // A: an MQL on Tuesday 2025-03-04 that converts 10 days later; B: scored twice, an MQL the
    // second time (2025-03-12), never converts; C: never an MQL; D: no lead id (left out).
    let text = [
        line("A", "2025-03-04T10:00:00Z", true),
        line("B", "2025-03-05T10:00:00Z", false),
        line("C", "2025-03-06T10:00:00Z", false),
        line("B", "2025-03-12T10:00:00Z", true),
        "{\"lead_id\":null,\"model_id\":\"m\",\"as_of\":\"2025-03-06T10:00:00Z\",\"score\":0.9,\"cutoff\":0.4,\"mql\":true}\n".to_string(),
    ]
    .concat();
    std::fs::write(&log, text).unwrap();
    let outcomes = dir.path().join("outcomes.csv");
    std::fs::write(&outcomes, "lead_id,converted_at\nA,2025-03-14T10:00:00Z\n").unwrap();
    let json = train(&[
        "funnel",
        "--decision-log",
        log.to_str().unwrap(),
        "--outcomes",
        outcomes.to_str().unwrap(),
        "--period",
        "week",
        "--horizon-days",
        "30",
        "--now",
        "2025-06-01",
        "--json",
    ]);
    let f: Value = serde_json::from_str(&json).unwrap();
    let rows = f["rows"].as_array().unwrap();
    // One group; every lead entered in the week of Monday 2025-03-03 (B's first decision).
    assert_eq!(rows.len(), 2, "{json}");
    assert_eq!(rows[0]["period"], "2025-03-03");
    let t = &f["total"];
    assert_eq!(t["leads"], 3);
    assert_eq!(t["mqls"], 2);
    assert_eq!(t["mqls_known"], 2);
    assert_eq!(t["mqls_converted"], 1);
    assert_eq!(t["realized_precision"], 0.5);
    assert_eq!(t["median_days_to_conversion"], 10.0);
    assert!(f["sources"][0]
        .as_str()
        .unwrap()
        .contains("1 without a lead id left out"));
}
