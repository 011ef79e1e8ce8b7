//! `leadscore-train score` on the committed demo model and data, checked the way it is used:
//!
//! - every demo lead that exists at the moment scored gets, from the file, what the real server
//!   answers for it at that moment with the events known then: the same score (1e-12), MQL
//!   decision, tier, gates, log-odds split, percentiles and factors (texts exactly);
//! - two runs a week apart with `--previous` write the crossings beside the output, both
//!   ways (leads that became MQL and leads that stopped being MQL), and the crossings file is
//!   exactly what the two outputs say, computed here independently; Parquet in and out too;
//! - a bad cell fails the run naming the file, row and column, and writes nothing;
//! - a header-only events file scores every lead without events.

mod common;

use common::lives::{read_lives, rfc3339, serve, timestamp, Client};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DAY: i64 = 86_400;
const AS_OF: &str = "2025-11-24T00:00:00Z";

fn model() -> PathBuf {
    common::repo("models/demo.json")
}

/// Runs `leadscore-train score` on the demo leads and events; returns (success, stdout, stderr).
fn score(as_of: &str, out: &Path, extra: &[&str]) -> (bool, String, String) {
    score_with_events(Path::new("data/demo/events.csv"), as_of, out, extra)
}

/// [`score`] with another events file.
fn score_with_events(
    events: &Path,
    as_of: &str,
    out: &Path,
    extra: &[&str],
) -> (bool, String, String) {
    let output = Command::new(common::train_binary())
        .arg("score")
        .arg("--model")
        .arg(model())
        .args(["--data", "data/demo/leads.csv", "--events"])
        .arg(events)
        .args(["--as-of", as_of, "--target-precision", "0.5", "--out"])
        .arg(out)
        .args(extra)
        .current_dir(common::repo("."))
        .output()
        .expect("run leadscore-train score");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn by_id(path: &Path) -> HashMap<String, HashMap<String, String>> {
    common::csv_rows(path)
        .into_iter()
        .map(|r| (r["lead_id"].clone(), r))
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// The demo leads' ids, in file order, and their lives (creation, events) from the demo tables.
fn demo_lives() -> (Vec<String>, common::lives::Lives) {
    let ids: Vec<String> = common::csv_rows(&common::repo("data/demo/leads.csv"))
        .into_iter()
        .map(|r| r["lead_id"].clone())
        .collect();
    let lives = read_lives(&ids);
    (ids, lives)
}

/// The server's answers for `batch` at `as_of`, in order (one `/v1/score` batch request).
fn served(client: &mut Client, batch: &[&common::lives::Life], as_of: i64) -> Vec<Value> {
    let body = format!(
        "{{\"leads\":[{}]}}",
        batch
            .iter()
            .map(|l| l.body(as_of))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (status, text) = client.post(&format!("/v1/score?as_of={}", rfc3339(as_of)), &body);
    assert_eq!(status, 200, "{text}");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    match v["leads"].take() {
        Value::Array(leads) => leads,
        other => panic!("no leads in {other}"),
    }
}

#[test]
fn every_demo_lead_scores_as_the_server_scores_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    // Chunks of 1,000 leads: the file crosses four chunk boundaries.
    let (ok, stdout, stderr) = score(AS_OF, &out, &["--chunk-leads", "1000"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("leads scored as of"), "{stdout}");
    assert!(
        !stderr.contains("scoring:"),
        "no progress bar when stderr is not a terminal"
    );
    let rows = by_id(&out);

    let as_of = timestamp(AS_OF, "as_of");
    let (ids, lives) = demo_lives();
    let existing: Vec<_> = lives.lives.iter().filter(|l| l.created <= as_of).collect();
    assert_eq!(
        rows.len(),
        existing.len(),
        "one row per lead created by as_of"
    );
    assert!(
        stdout.contains(&format!(
            "skipped {} leads created after",
            ids.len() - existing.len()
        )),
        "{stdout}"
    );

    let server = serve(&common::serve_binary(), &model(), 0.5);
    let mut client = Client::new(server.addr);
    let (mut mqls, mut held, mut checked) = (0, 0, 0);
    for batch in existing.chunks(100) {
        for (life, served) in batch.iter().zip(served(&mut client, batch, as_of)) {
            let row = &rows[&life.id];
            let id = &life.id;
            let num = |k: &str| row[k].parse::<f64>().unwrap_or(f64::NAN);
            let score = served["score"].as_f64().unwrap();
            assert!(
                close(num("score"), score, 1e-12),
                "{id}: file {} server {score}",
                row["score"]
            );
            assert!(close(
                num("log_odds"),
                served["log_odds"].as_f64().unwrap(),
                1e-9
            ));
            assert_eq!(
                row["mql"],
                served["mql"].as_bool().unwrap().to_string(),
                "{id}"
            );
            assert_eq!(row["tier"], served["tier"].as_str().unwrap_or(""), "{id}");
            assert_eq!(row["as_of"], AS_OF);
            for (k, part) in [("fit", "fit"), ("engagement", "engagement")] {
                assert!(
                    close(num(k), served[part]["log_odds"].as_f64().unwrap(), 1e-6),
                    "{id} {k}"
                );
                let pct = served[part]["percentile"].as_f64().unwrap();
                assert!(
                    close(num(&format!("{k}_percentile")), pct, 0.05 + 1e-9),
                    "{id} {k}%"
                );
            }
            assert!(close(
                num("baseline"),
                served["baseline_log_odds"].as_f64().unwrap(),
                1e-6
            ));
            let age = served["lead_age"]["days"].as_f64().unwrap();
            assert!(close(num("age_days"), age, 1e-4), "{id} age");
            let gates: Vec<&str> = served["held_back_by"]
                .as_array()
                .map(|a| a.iter().map(|g| g.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(row["held_back"], gates.join(";"), "{id}");
            // Factors: the server's positive then negative ones, in order.
            let file: Vec<Value> = serde_json::from_str(&row["factors"]).unwrap();
            let served_factors: Vec<&Value> = ["positive", "negative"]
                .iter()
                .flat_map(|s| served["factors"][s].as_array().unwrap())
                .collect();
            assert_eq!(file.len(), served_factors.len(), "{id}");
            for (f, s) in file.iter().zip(served_factors) {
                for k in ["field", "factor", "part"] {
                    assert_eq!(f[k], s[k], "{id} {k}");
                }
                assert!(close(
                    f["contribution"].as_f64().unwrap(),
                    s["contribution"].as_f64().unwrap(),
                    1e-6
                ));
            }
            mqls += usize::from(row["mql"] == "true");
            held += usize::from(!gates.is_empty());
            checked += 1;
        }
    }
    assert_eq!(checked, existing.len());
    // The comparison covered both decisions and the gate.
    assert!(mqls > 20 && mqls < checked / 2, "{mqls} MQLs of {checked}");
    assert!(held > 20, "{held} leads held back by the gate");
}

/// The crossings two outputs imply, computed here from the files alone.
fn expected_crossings(
    before: &HashMap<String, HashMap<String, String>>,
    now: &HashMap<String, HashMap<String, String>>,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (id, row) in now {
        let was = before.get(id).is_some_and(|b| b["mql"] == "true");
        let is = row["mql"] == "true";
        let change = match (was, is) {
            (false, true) => "became_mql",
            (true, false) => "left_mql",
            _ if before.get(id).is_some_and(|b| b["tier"] != row["tier"]) => "tier_changed",
            _ => continue,
        };
        out.insert(id.clone(), change.to_string());
    }
    out
}

#[test]
fn a_week_later_the_crossings_go_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("monday.csv");
    let second = dir.path().join("next-monday.csv");
    assert!(score(AS_OF, &first, &[]).0);
    let later = rfc3339(timestamp(AS_OF, "as_of") + 7 * DAY);
    let (ok, stdout, stderr) = score(&later, &second, &["--previous", first.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let crossings_path = dir.path().join("next-monday.crossings.csv");
    assert!(
        stdout.contains(crossings_path.to_str().unwrap()),
        "{stdout}"
    );

    let (before, now) = (by_id(&first), by_id(&second));
    let expected = expected_crossings(&before, &now);
    let got: HashMap<String, HashMap<String, String>> = by_id(&crossings_path);
    assert_eq!(got.len(), expected.len());
    for (id, change) in &expected {
        let row = &got[id];
        assert_eq!(&row["change"], change, "{id}");
        assert_eq!(row["score"], now[id]["score"]);
        assert_eq!(row["as_of"], later);
        match before.get(id) {
            Some(b) => {
                assert_eq!(row["previous_score"], b["score"]);
                assert_eq!(row["previous_as_of"], AS_OF);
                assert_eq!(row["previous_tier"], b["tier"]);
            }
            None => assert_eq!(row["previous_as_of"], "", "{id} is new"),
        }
    }
    let count = |c: &str| expected.values().filter(|v| *v == c).count();
    assert!(count("became_mql") > 0, "no lead became an MQL: {stdout}");
    assert!(
        count("left_mql") > 0,
        "no lead stopped being an MQL: {stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{} became MQL, {} stopped being MQL, {} changed tier",
            count("became_mql"),
            count("left_mql"),
            count("tier_changed")
        )),
        "{stdout}"
    );

    assert!(!stdout.contains("WARNING"), "{stdout}");

    // A previous run with none of these ids (ids written another way): said, not silent.
    let other_ids = dir.path().join("other-ids.csv");
    std::fs::write(
        &other_ids,
        std::fs::read_to_string(&first).unwrap().replace("L0", "X0"),
    )
    .unwrap();
    let (ok, stdout, stderr) = score(
        &later,
        &dir.path().join("other.csv"),
        &["--previous", other_ids.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "WARNING: none of the {} leads scored is in {} (its {} leads have other `lead_id` \
             values",
            now.len(),
            other_ids.display(),
            before.len()
        )),
        "{stdout}"
    );

    // The crossings file would land on an input (here the previous run itself): refused
    // before anything is read, the input untouched.
    let previous = dir.path().join("again.crossings.csv");
    std::fs::copy(&first, &previous).unwrap();
    let (ok, _, stderr) = score(
        &later,
        &dir.path().join("again.csv"),
        &["--previous", previous.to_str().unwrap()],
    );
    assert!(!ok && stderr.contains("the crossings file"), "{stderr}");
    assert_eq!(
        std::fs::read(&previous).unwrap(),
        std::fs::read(&first).unwrap()
    );
}

#[test]
fn parquet_out_and_previous_give_the_same_crossings() {
    let dir = tempfile::tempdir().unwrap();
    let later = rfc3339(timestamp(AS_OF, "as_of") + 7 * DAY);
    let (csv1, csv2) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    let (pq1, pq2) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    assert!(score(AS_OF, &csv1, &[]).0);
    assert!(score(AS_OF, &pq1, &[]).0);
    let csv = score(&later, &csv2, &["--previous", csv1.to_str().unwrap()]);
    let pq = score(&later, &pq2, &["--previous", pq1.to_str().unwrap()]);
    assert!(pq.0, "{}", pq.2);
    // The same counts; the Parquet file holds the same leads.
    let tail = |s: &str| {
        s.lines()
            .find(|l| l.contains("became MQL"))
            .map(str::to_string)
    };
    assert_eq!(
        tail(&csv.1).map(|l| l.split(": ").nth(1).map(str::to_string)),
        tail(&pq.1).map(|l| l.split(": ").nth(1).map(str::to_string))
    );
    use leadscore_train::load::{read_table, ReadOptions};
    let t = read_table(&pq2, &ReadOptions::default()).unwrap();
    assert_eq!(t.df.height(), by_id(&csv2).len());
    let c = read_table(
        &dir.path().join("b.crossings.parquet"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        c.df.height(),
        by_id(&dir.path().join("b.crossings.csv")).len()
    );
}

#[test]
fn a_bad_cell_names_its_row_and_column_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let leads = std::fs::read_to_string(common::repo("data/demo/leads.csv")).unwrap();
    let mut lines: Vec<String> = leads.lines().map(str::to_string).collect();
    // Row 1,503 of the data (in the second chunk of 1,000): a company size in words.
    let cells: Vec<&str> = lines[1503].split(',').collect();
    let mut cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    cells[4] = "ten".into();
    lines[1503] = cells.join(",");
    let bad = dir.path().join("leads.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.csv");
    let output = Command::new(common::train_binary())
        .arg("score")
        .arg("--model")
        .arg(model())
        .arg("--data")
        .arg(&bad)
        .args(["--events", "data/demo/events.csv", "--as-of", AS_OF])
        .args([
            "--target-precision",
            "0.5",
            "--chunk-leads",
            "1000",
            "--out",
        ])
        .arg(&out)
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("row 1503,")
            && stderr.contains("company_size")
            && stderr.contains("\"ten\"")
            && stderr.contains("leads.csv"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed run leaves no output");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "and no temp file"
    );
}

/// A header-only events file (a nightly export of a day without events) scores every lead as
/// having no events, as a file whose every event lies after `as_of` does, and the summary says
/// the file was empty (it used to fail the whole run: "a header but no data rows").
#[test]
fn a_header_only_events_file_scores_every_lead_without_events() {
    let dir = tempfile::tempdir().unwrap();
    let header = "lead_id,event_type,occurred_at\n";
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, header).unwrap();
    let later = dir.path().join("later.csv");
    std::fs::write(
        &later,
        format!("{header}L000001,pricing_page,2030-01-01 00:00:00\n"),
    )
    .unwrap();
    let (ok, stdout, stderr) = score_with_events(&empty, AS_OF, &dir.path().join("a.csv"), &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "events: none in {} (no rows): every lead scored without events",
            empty.display()
        )),
        "{stdout}"
    );
    let (ok, stdout_later, stderr) =
        score_with_events(&later, AS_OF, &dir.path().join("b.csv"), &[]);
    assert!(ok, "{stderr}");
    assert!(stdout_later.contains("events: 1 after"), "{stdout_later}");
    let (a, b) = (
        by_id(&dir.path().join("a.csv")),
        by_id(&dir.path().join("b.csv")),
    );
    assert!(a.len() > 4_000, "{}", a.len());
    assert_eq!(a, b);
}

/// A night that scores no lead (an as-of before the first lead) writes a header only; the
/// next night takes it as its previous run (every MQL is new) and the funnel reads it as a
/// run of no leads: one quiet night does not break the chain.
#[test]
fn a_run_of_no_leads_is_an_earlier_run_and_a_funnel_source() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.csv");
    let (ok, _, stderr) = score("2020-01-01T00:00:00Z", &empty, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(common::csv_rows(&empty).len(), 0);
    let next = dir.path().join("next.csv");
    let previous = empty.to_str().unwrap();
    let (ok, stdout, stderr) = score(AS_OF, &next, &["--previous", previous]);
    assert!(ok, "{stderr}");
    let mqls = by_id(&next).values().filter(|r| r["mql"] == "true").count();
    assert!(
        stdout.contains(&format!("{mqls} became MQL")),
        "{mqls} MQLs:\n{stdout}\n{stderr}"
    );
    let output = Command::new(common::train_binary())
        .args(["funnel", "--scores"])
        .args([&empty, &next])
        .args([
            "--outcomes",
            "data/demo/outcomes.csv",
            "--now",
            "2025-12-31",
        ])
        .current_dir(common::repo("."))
        .output()
        .expect("run leadscore-train funnel");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("(0 leads)")
            || stderr.contains("(0 leads)"),
        "{stderr}"
    );
}

/// A leads file with an `as_of` column the model does not read: scored at `--as-of` all the
/// same, and said so (the Python package reads such a column as each lead's moment).
#[test]
fn an_unread_as_of_column_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo("data/demo/leads.csv")).unwrap();
    let mut lines = text.lines();
    let mut with = format!("{},as_of\n", lines.next().unwrap());
    for line in lines.take(50) {
        with.push_str(&format!("{line},2025-01-01\n"));
    }
    let leads = dir.path().join("leads.csv");
    std::fs::write(&leads, with).unwrap();
    let output = Command::new(common::train_binary())
        .args(["score", "--model"])
        .arg(model())
        .arg("--data")
        .arg(&leads)
        .args([
            "--events",
            "data/demo/events.csv",
            "--as-of",
            AS_OF,
            "--target-precision",
            "0.5",
            "--out",
        ])
        .arg(dir.path().join("s.csv"))
        .current_dir(common::repo("."))
        .output()
        .expect("run leadscore-train score");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("WARNING: the leads file's `as_of` column is not read"),
        "{stdout}"
    );
}

/// Event types the model never saw feed no per-type feature (only the distinct active days,
/// which count every event), are named in the summary and in the leads' `unseen` column, and
/// the real server scores those leads the same with the same events (it counts them too).
#[test]
fn event_types_the_model_never_saw_are_named_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = std::fs::read_to_string(common::repo("data/demo/events.csv")).unwrap();
    // A type of 5,000 bytes is named cut, as `evaluate` and the server cut a long value.
    let long = "fax_sent".repeat(625);
    for (lead, ty) in [
        ("L000001", "chatbot_open"),
        ("L000002", "chatbot_open"),
        ("L000003", "chatbot_open"),
        ("L000001", long.as_str()),
    ] {
        events += &format!("{lead},{ty},2025-01-05 10:00:00\n");
    }
    // One after AS_OF is left out, and so not counted among the types never seen (it was).
    events += "L000004,chatbot_open,2025-12-20 10:00:00\n";
    let with = dir.path().join("events.csv");
    std::fs::write(&with, events).unwrap();
    let (plain, extra) = (dir.path().join("plain.csv"), dir.path().join("extra.csv"));
    let (ok, _, stderr) = score(AS_OF, &plain, &[]);
    assert!(ok, "{stderr}");
    let output = Command::new(common::train_binary())
        .arg("score")
        .arg("--model")
        .arg(model())
        .args(["--data", "data/demo/leads.csv", "--events"])
        .arg(&with)
        .args(["--as-of", AS_OF, "--target-precision", "0.5", "--out"])
        .arg(&extra)
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(
            "events: 4 of 2 type(s) this model does not know (not in training, or past \
             the 1000 most frequent it keeps), counted only as active days"
        ) && text.contains("\"chatbot_open\" (3), \"fax_sentfax_sent")
            && text.contains("... (5000 bytes)\" (1)")
            && !text.contains(&long[..1000]),
        "{text}"
    );
    // The other leads score as without the extra events.
    let (a, b) = (by_id(&plain), by_id(&extra));
    assert_eq!(a.len(), b.len());
    for (id, row) in &a {
        if !["L000001", "L000002", "L000003"].contains(&id.as_str()) {
            assert_eq!(row["score"], b[id]["score"], "{id}");
            assert_eq!(b[id]["unseen"], row["unseen"], "{id}");
        } else {
            assert!(
                b[id]["unseen"].split(';').any(|u| u == "events.event_type"),
                "{id}: {:?}",
                b[id]["unseen"]
            );
        }
    }
    // The server, given the same events, answers the same scores and does not refuse them.
    let ids: Vec<String> = ["L000001", "L000002", "L000003"].map(String::from).to_vec();
    let lives = read_lives(&ids);
    let as_of = timestamp(AS_OF, "as_of");
    let server = serve(&common::serve_binary(), &model(), 0.5);
    let mut client = Client::new(server.addr);
    for life in &lives.lives {
        let mut lead: Value = serde_json::from_str(&life.body(as_of)).unwrap();
        let odd =
            |ty: &str| serde_json::json!({"event_type": ty, "occurred_at": "2025-01-05T10:00:00Z"});
        let events = lead["events"].as_array_mut().expect("events");
        events.push(odd("chatbot_open"));
        if life.id == "L000001" {
            events.push(odd("fax_sent"));
        }
        let (status, text) = client.post(
            &format!("/v1/score?factors=0&as_of={}", rfc3339(as_of)),
            &lead.to_string(),
        );
        assert_eq!(status, 200, "{text}");
        let served: Value = serde_json::from_str(&text).unwrap();
        let file: f64 = b[&life.id]["score"].parse().unwrap();
        assert!(
            close(file, served["score"].as_f64().unwrap(), 1e-12),
            "{}: file {file}, server {}",
            life.id,
            served["score"]
        );
    }
    let (_, metrics) = client.get("/metrics");
    assert!(
        metrics.contains("leadscore_unseen_values_total{column=\"events.event_type\"} 3\n"),
        "{metrics}"
    );
}

#[test]
fn with_outcomes_the_leads_converted_by_as_of_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (all, open) = (dir.path().join("all.csv"), dir.path().join("open.csv"));
    assert!(score(AS_OF, &all, &[]).0);
    let (ok, stdout, stderr) = score(AS_OF, &open, &["--outcomes", "data/demo/outcomes.csv"]);
    assert!(ok, "{stderr}");
    let as_of = timestamp(AS_OF, "as_of");
    let converted: std::collections::HashSet<String> =
        common::csv_rows(&common::repo("data/demo/outcomes.csv"))
            .into_iter()
            .filter(|r| timestamp(&r["converted_at"], "converted_at") <= as_of)
            .map(|r| r["lead_id"].clone())
            .collect();
    let (all, open) = (by_id(&all), by_id(&open));
    let expected: Vec<&String> = all.keys().filter(|id| !converted.contains(*id)).collect();
    assert_eq!(open.len(), expected.len());
    assert!(
        expected.iter().all(|id| open[*id] == all[*id]),
        "the same rows otherwise"
    );
    assert!(
        stdout.contains(&format!(
            "skipped {} leads that had converted by",
            all.len() - open.len()
        )),
        "{stdout}"
    );
}

/// A server run with `--gates` (other gates than the model's) holds leads back by them and
/// computes its cutoff and tiers with them; `score --gates` with the same file decides every
/// lead as it does (without the flag, the nightly file made MQLs of leads the server held back,
/// and notified them).
#[test]
fn score_with_the_servers_gates_decides_as_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let gates = dir.path().join("gates.toml");
    std::fs::write(
        &gates,
        "[[gates]]\nname = \"no paid social\"\nnever_mql_when = { lead_source = [\"paid social\"] }\n\
         [[gates]]\nname = \"missing industry\"\nnever_mql_when = { industry = [\"(missing)\"] }\n",
    )
    .unwrap();
    let out = dir.path().join("scores.csv");
    let g = gates.to_str().unwrap();
    let (ok, stdout, stderr) = score(AS_OF, &out, &["--gates", g]);
    assert!(ok, "{stderr}");
    let rows = by_id(&out);
    let as_of = timestamp(AS_OF, "as_of");
    let (_, lives) = demo_lives();
    let existing: Vec<_> = lives.lives.iter().filter(|l| l.created <= as_of).collect();
    let server = common::lives::serve_with(&common::serve_binary(), &model(), 0.5, &["--gates", g]);
    let mut client = Client::new(server.addr);
    let (status, cutoff) = client.get("/v1/cutoff");
    assert_eq!(status, 200, "{cutoff}");
    let threshold = serde_json::from_str::<Value>(&cutoff).unwrap()["cutoff"]["threshold"]
        .as_f64()
        .unwrap();
    assert!(
        stdout.contains(&format!("at cutoff {threshold:.4}")),
        "the server's cutoff {threshold} in {stdout}"
    );
    let (mut held, mut checked) = (0, 0);
    for batch in existing.chunks(200).take(5) {
        for (life, served) in batch.iter().zip(served(&mut client, batch, as_of)) {
            let row = &rows[&life.id];
            let id = &life.id;
            assert_eq!(
                row["mql"],
                served["mql"].as_bool().unwrap().to_string(),
                "{id}"
            );
            assert_eq!(row["tier"], served["tier"].as_str().unwrap_or(""), "{id}");
            let by: Vec<&str> = served["held_back_by"]
                .as_array()
                .map(|a| a.iter().map(|g| g.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(row["held_back"], by.join(";"), "{id}");
            held += usize::from(!by.is_empty());
            checked += 1;
        }
    }
    assert!(
        held > 50,
        "{held} of {checked} leads held back by the file's gates"
    );
}

/// A leads file cut short (most of the earlier run's leads missing) is warned about: the
/// earlier MQLs it lacks are in no crossing, and come back as new the next night.
#[test]
fn a_leads_file_cut_short_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let (week1, week2) = (dir.path().join("w1.csv"), dir.path().join("w2.csv"));
    assert!(score(AS_OF, &week1, &[]).0);
    let text = std::fs::read_to_string(common::repo("data/demo/leads.csv")).unwrap();
    let cut: String = text.lines().take(1_000).map(|l| format!("{l}\n")).collect();
    let partial = dir.path().join("partial-leads.csv");
    std::fs::write(&partial, cut).unwrap();
    let later = rfc3339(timestamp(AS_OF, "as_of") + 7 * DAY);
    let output = Command::new(common::train_binary())
        .arg("score")
        .arg("--model")
        .arg(model())
        .arg("--data")
        .arg(&partial)
        .args(["--events", "data/demo/events.csv", "--as-of", &later])
        .args(["--target-precision", "0.5", "--out"])
        .arg(&week2)
        .arg("--previous")
        .arg(&week1)
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("WARNING: only ") && stdout.contains("a leads file cut short"),
        "{stdout}"
    );
}

/// An earlier MQL that converted since is skipped by this run, so it is in no crossing: the
/// summary says how many of the earlier run's MQLs this run did not score, and why.
#[test]
fn earlier_mqls_converted_since_are_counted_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (week1, week2) = (dir.path().join("w1.csv"), dir.path().join("w2.csv"));
    let outcomes = ["--outcomes", "data/demo/outcomes.csv"];
    assert!(score(AS_OF, &week1, &outcomes).0);
    let from = timestamp(AS_OF, "as_of");
    let later = rfc3339(from + 7 * DAY);
    let w1 = week1.to_str().unwrap();
    let (ok, stdout, stderr) = score(
        &later,
        &week2,
        &[&outcomes[..], &["--previous", w1]].concat(),
    );
    assert!(ok, "{stderr}");
    let converted_since: std::collections::HashSet<String> =
        common::csv_rows(&common::repo("data/demo/outcomes.csv"))
            .into_iter()
            .filter(|r| {
                let at = timestamp(&r["converted_at"], "converted_at");
                at > from && at <= from + 7 * DAY
            })
            .map(|r| r["lead_id"].clone())
            .collect();
    let first = by_id(&week1);
    let mqls = first.values().filter(|r| r["mql"] == "true").count();
    let gone = first
        .iter()
        .filter(|(id, r)| r["mql"] == "true" && converted_since.contains(*id))
        .count();
    assert!(gone > 0, "the demo has MQLs that convert within the week");
    assert!(
        stdout.contains(&format!(
            "{gone} of its {mqls} MQLs not scored in this run: {gone} converted since (skipped), \
             0 not in data/demo/leads.csv"
        )),
        "{stdout}"
    );
}

/// What `--previous` is checked for: a run scored after `--as-of` is refused before anything
/// is scored; a run by another model, or with tiers this run does not give, is compared with a
/// WARNING; a run without tiers changes no lead's tier; a bad cell of it is named as the file
/// has it.
#[test]
fn the_previous_run_is_checked_before_it_is_compared() {
    let dir = tempfile::tempdir().unwrap();
    let later = rfc3339(timestamp(AS_OF, "as_of") + 7 * DAY);
    let (week1, week2) = (dir.path().join("w1.csv"), dir.path().join("w2.csv"));
    assert!(score(&later, &week2, &[]).0);
    // The later run as the previous of the earlier one: refused, nothing written.
    let out = dir.path().join("out.csv");
    let (ok, _, err) = score(AS_OF, &out, &["--previous", week2.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("after --as-of") && err.contains("must be an earlier one"),
        "{err}"
    );
    assert!(!out.exists());

    // Another model's run: compared, with a warning naming both models.
    assert!(score(AS_OF, &week1, &[]).0);
    let text = std::fs::read_to_string(&week1).unwrap();
    let model_id = by_id(&week1).values().next().unwrap()["model_id"].clone();
    let other = dir.path().join("other.csv");
    std::fs::write(&other, text.replace(&model_id, "ffffffffffffffff")).unwrap();
    let (ok, stdout, err) = score(&later, &out, &["--previous", other.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("WARNING:")
            && stdout.contains("ffffffffffffffff")
            && stdout.contains(&model_id),
        "{stdout}"
    );

    // This run without tiers: no lead changes tier (the previous had them).
    let (ok, stdout, err) = score(
        &later,
        &out,
        &["--previous", week1.to_str().unwrap(), "--tiers", ""],
    );
    assert!(ok, "{err}");
    assert!(stdout.contains(", 0 changed tier"), "{stdout}");
    assert!(!stdout.contains("WARNING"), "{stdout}");

    // The crossings file beside an output (written last: `ls -t | head -1` picks it) as the
    // previous run: refused (its unchanged MQLs would all read as new, and be notified).
    let crossings = dir.path().join("out.crossings.csv");
    assert!(crossings.exists());
    let (ok, _, err) = score(
        &later,
        &dir.path().join("again.csv"),
        &["--previous", crossings.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("a crossings file"), "{err}");

    // A copy cut short inside a row's factors (an interrupted copy): refused, where it read
    // as an earlier run of fewer leads and every MQL after the cut counted as new. The same
    // file given to `funnel` is refused too.
    let cut_at = text.match_indices('\n').nth(11).unwrap().0
        + text[text.match_indices('\n').nth(11).unwrap().0..]
            .find("\"[")
            .unwrap()
        + 30;
    let cut = dir.path().join("cut.csv");
    std::fs::write(&cut, &text[..cut_at]).unwrap();
    let (ok, _, err) = score(
        &later,
        &dir.path().join("again.csv"),
        &["--previous", cut.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("row 12") && err.contains("cut short"), "{err}");
    let output = Command::new(common::train_binary())
        .args(["funnel", "--scores"])
        .arg(&cut)
        .args(["--outcomes", "data/demo/outcomes.csv"])
        .current_dir(common::repo("."))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && err.contains("cut short"),
        "{err}"
    );
    // Cut at a line end, it is a file of fewer rows, read as one.
    let whole_rows = &text[..=text.match_indices('\n').nth(11).unwrap().0];
    std::fs::write(&cut, whole_rows).unwrap();
    let (ok, _, err) = score(
        &later,
        &dir.path().join("again.csv"),
        &["--previous", cut.to_str().unwrap()],
    );
    assert!(ok, "{err}");

    // A bad cell is quoted as the file has it.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let mql = header.iter().position(|h| *h == "mql").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[mql] = "maybe".into();
    lines[3] = cells.join(",");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let (ok, _, err) = score(&later, &out, &["--previous", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("row 3") && err.contains("`mql`") && err.contains("found \"maybe\""),
        "{err}"
    );
    assert!(!err.contains("Some("), "{err}");
}
