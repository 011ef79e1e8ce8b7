//! Reasons and gates as a salesperson meets them: through the real server, on the committed
//! demo model and its holdout leads, and on an X Education model with pairs.
//!
//! - Every holdout lead, at its first, middle and last replayed moment: its factors (all of
//!   them, `?factors=100`) name only values the lead has (each checked against the lead's row
//!   of `data/demo/leads.csv` and its events known at that moment), each field appears once,
//!   the factors sum to `fit + engagement`, and `baseline + fit + engagement` is the log-odds.
//! - The README's example leads get the reasons the README promises.
//! - A model with pairs (X Education, 8 interaction terms), on every lead: each pair is one
//!   factor named `A x B` whose text names the lead's own values of both columns, its part is
//!   fit only when both columns are, and the factors still sum exactly.
//! - With the demo spec's gate ("students and competitors are not eligible"): no such lead is
//!   an MQL, and the served cutoff equals a brute-force computation of the fixed-sequence rule
//!   over the gated holdout lives read from `models/demo.holdout.csv`; with `--gates` naming an
//!   empty file the served cutoff equals the brute-force ungated one.

mod common;

use common::lives::{holdout_ids, read_lives, rfc3339, serve, serve_with, timestamp, Client, Life};
use leadscore_core::fitted::FittedTransform;
use leadscore_core::value::{email_class, EmailClass};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const DAY: i64 = 86_400;
const GATE: &str = "students and competitors are not eligible";

fn model() -> std::path::PathBuf {
    common::repo("models/demo.json")
}

/// The holdout file's rows per lead: (as_of, score, label), in file (time) order.
/// (as_of, score, label) of each replayed moment of a lead.
type Moments = HashMap<String, Vec<(i64, f64, bool)>>;

fn holdout_moments() -> (Vec<String>, Moments) {
    let path = common::repo("models/demo.holdout.csv");
    let mut by_lead: HashMap<String, Vec<(i64, f64, bool)>> = HashMap::new();
    for row in common::csv_rows(&path) {
        by_lead.entry(row["lead_id"].clone()).or_default().push((
            timestamp(&row["as_of"], "holdout as_of"),
            row["score"].parse().expect("score"),
            row["label"] == "1",
        ));
    }
    (holdout_ids(&path), by_lead)
}

fn days_text(d: f64) -> String {
    let d = d.floor() as i64;
    match d {
        0 => "less than a day".into(),
        1 => "1 day".into(),
        d => format!("{d} days"),
    }
}

/// Checks one factor against what the lead has at `as_of`; returns a description of the
/// mismatch.
fn factor_matches(
    life: &Life,
    field: &str,
    factor: &str,
    as_of: i64,
    windows: &[i64],
) -> Result<(), String> {
    let cell = |c: &str| {
        life.fields
            .get(c)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let fail = |why: &str| Err(format!("{field}: {factor:?} {why}"));
    let known: Vec<&(String, i64)> = life.event_list.iter().filter(|e| e.1 <= as_of).collect();
    match field {
        "email" => {
            let v = cell("email");
            if v.is_empty() {
                return if factor == "email missing" {
                    Ok(())
                } else {
                    fail("but the email is missing")
                };
            }
            let domain = v
                .rsplit_once('@')
                .map(|d| d.1.to_lowercase())
                .unwrap_or_default();
            if factor.starts_with(&format!("email: {domain} (")) {
                Ok(())
            } else {
                fail(&format!("but the email is {v}"))
            }
        }
        "job_title" => {
            let v = cell("job_title");
            let want = if v.is_empty() {
                "job_title missing".to_string()
            } else {
                format!("job_title = {v:?} (")
            };
            if factor.starts_with(&want) {
                Ok(())
            } else {
                fail(&format!("but the title is {v:?}"))
            }
        }
        "company_size" => {
            let v = cell("company_size");
            let want = if v.is_empty() {
                "company_size missing".to_string()
            } else {
                let x: f64 = v.parse().expect("a number");
                format!(
                    "company_size = {}",
                    if x.fract() == 0.0 {
                        format!("{}", x as i64)
                    } else {
                        v.clone()
                    }
                )
            };
            if factor == want {
                Ok(())
            } else {
                fail(&format!("but company_size is {v:?}"))
            }
        }
        "industry" | "country" | "lead_source" => {
            let v = cell(field);
            let want = if v.is_empty() {
                format!("{field} missing")
            } else {
                format!("{field} = {v:?}")
            };
            if factor.starts_with(&want) {
                Ok(())
            } else {
                fail(&format!("but the value is {v:?}"))
            }
        }
        "created_at" => {
            let age = (as_of - life.created) as f64 / DAY as f64;
            let mut want = format!("lead age: {}", days_text(age));
            if age > 90.0 {
                // Past the last landmark by less than a day: whole days alone would read 90.
                if age < 91.0 {
                    want = "lead age: over 90 days".into();
                }
                want.push_str(" (scored as 90 days)");
            }
            if factor == want {
                Ok(())
            } else {
                fail(&format!("but the lead is {age:.2} days old"))
            }
        }
        "active days" => {
            let days: HashSet<i64> = known.iter().map(|e| e.1.div_euclid(DAY)).collect();
            let want = match days.len() {
                0 => "no activity yet".to_string(),
                1 => "active on 1 day".to_string(),
                n => format!("active on {n} distinct days"),
            };
            if factor == want {
                Ok(())
            } else {
                fail(&format!("but it was active on {} days", days.len()))
            }
        }
        t => {
            let ages: Vec<f64> = known
                .iter()
                .filter(|e| e.0 == t)
                .map(|e| (as_of - e.1) as f64 / DAY as f64)
                .collect();
            if ages.is_empty() {
                return if factor == format!("{t}: none") {
                    Ok(())
                } else {
                    fail("but the lead has no such event yet")
                };
            }
            if !factor.starts_with(&format!("{t}: ")) {
                return fail("does not start with the event type");
            }
            let last = ages.iter().copied().fold(f64::INFINITY, f64::min);
            let days = last.floor();
            let mut last_text = if last < 1.0 {
                "last less than a day ago".to_string()
            } else if last > days && windows.iter().any(|w| *w as f64 == days) {
                // Just past a window's edge: outside it, so "over" that many days.
                format!("last over {} ago", days_text(last))
            } else {
                format!("last {} ago", days_text(last))
            };
            if last > 365.0 {
                last_text.push_str(" (scored as 365 days)");
            }
            if !factor.ends_with(&last_text) {
                return fail(&format!("but the last one was {last:.2} days ago"));
            }
            if let Some(w) = windows
                .iter()
                .copied()
                .find(|w| ages.iter().any(|a| *a <= *w as f64))
            {
                let c = ages.iter().filter(|a| **a <= w as f64).count();
                let unit = if w == 1 { "day" } else { "days" };
                if !factor.contains(&format!("{c} in the last {w} {unit}")) {
                    return fail(&format!("but there were {c} in the last {w} days"));
                }
            }
            Ok(())
        }
    }
}

fn score(client: &mut Client, life: &Life, as_of: i64) -> Value {
    let (status, body) = client.post(
        &format!("/v1/score?factors=100&as_of={}", rfc3339(as_of)),
        &life.body(as_of),
    );
    assert_eq!(status, 200, "{}: {body}", life.id);
    serde_json::from_str(&body).unwrap()
}

fn windows() -> Vec<i64> {
    let a: Value = serde_json::from_str(&std::fs::read_to_string(model()).unwrap()).unwrap();
    let mut w: Vec<i64> = a["spec"]["events"]["windows_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    w.sort_unstable();
    w
}

#[test]
fn every_holdout_lead_gets_factors_it_has_that_sum_exactly() {
    let (ids, moments) = holdout_moments();
    let lives = read_lives(&ids);
    let server = serve(&common::serve_binary(), &model(), 0.5);
    let mut client = Client::new(server.addr);
    let windows = windows();
    let (mut checked, mut factors_seen) = (0, 0);
    for life in &lives.lives {
        let m = &moments[&life.id];
        for &k in &[0, m.len() / 2, m.len() - 1] {
            let (as_of, holdout_score, _) = m[k];
            let v = score(&mut client, life, as_of);
            let s = v["score"].as_f64().unwrap();
            // Bit for bit: the committed holdout file was written by the scorer the server
            // uses (an older build's differed in the last bits, and a lead scoring exactly the
            // cutoff in the file could be served one bit lower, not an MQL).
            assert_eq!(
                s.to_bits(),
                holdout_score.to_bits(),
                "{} at {as_of}: served {s}, holdout file {holdout_score}",
                life.id
            );
            let (z, b) = (
                v["log_odds"].as_f64().unwrap(),
                v["baseline_log_odds"].as_f64().unwrap(),
            );
            let (fit, eng) = (
                v["fit"]["log_odds"].as_f64().unwrap(),
                v["engagement"]["log_odds"].as_f64().unwrap(),
            );
            assert!(
                (b + fit + eng - z).abs() < 1e-9,
                "{}: baseline + fit + engagement != log-odds",
                life.id
            );
            assert!((1.0 / (1.0 + (-z).exp()) - s).abs() < 1e-12);
            for p in ["fit", "engagement"] {
                let pct = v[p]["percentile"].as_f64().unwrap();
                assert!((0.0..=100.0).contains(&pct), "{p} percentile {pct}");
            }
            let all: Vec<&Value> = v["factors"]["positive"]
                .as_array()
                .unwrap()
                .iter()
                .chain(v["factors"]["negative"].as_array().unwrap())
                .collect();
            let (mut sum_fit, mut sum_eng) = (0.0, 0.0);
            let mut fields = HashSet::new();
            for f in &all {
                let field = f["field"].as_str().unwrap();
                assert!(
                    fields.insert(field.to_string()),
                    "{}: field {field} appears twice",
                    life.id
                );
                let c = f["contribution"].as_f64().unwrap();
                match f["part"].as_str().unwrap() {
                    "fit" => sum_fit += c,
                    "engagement" => sum_eng += c,
                    other => panic!("part {other}"),
                }
                if let Err(e) =
                    factor_matches(life, field, f["factor"].as_str().unwrap(), as_of, &windows)
                {
                    panic!("lead {} at {}: {e}", life.id, rfc3339(as_of));
                }
                factors_seen += 1;
            }
            // Contributions within 1e-9 of zero are left out of the list.
            assert!(
                (sum_fit - fit).abs() < 1e-7 && (sum_eng - eng).abs() < 1e-7,
                "{}: factors sum to {sum_fit} + {sum_eng}, parts are {fit} + {eng}",
                life.id
            );
            checked += 1;
        }
    }
    eprintln!(
        "{checked} moments of {} holdout leads, {factors_seen} factors checked",
        lives.lives.len()
    );
    assert!(checked >= 3 * 700, "{checked} moments");
}

#[test]
fn a_gate_naming_an_unknown_field_or_class_stops_the_server_naming_it() {
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    for (text, named) in [
        (
            "[[gates]]\nname = \"g\"\nnever_mql_when = { emial_class = [\"competitor\"] }\n",
            "`emial_class`",
        ),
        (
            "[[gates]]\nname = \"g\"\nnever_mql_when = { email_class = [\"student\"] }\n",
            "\"student\" is not an email class",
        ),
        (
            "[[gates]]\nname = \"g\"\nnever_mql_when = { company_size = [\"10\"] }\n",
            "gates compare categories",
        ),
    ] {
        let file = dir.path().join("gates.toml");
        std::fs::write(&file, text).unwrap();
        let out = std::process::Command::new(&bin)
            .arg("--model")
            .arg(model())
            .args([
                "--target-precision",
                "0.5",
                "--bind",
                "127.0.0.1:0",
                "--gates",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(named) && stderr.contains("gate \"g\""),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn the_holdout_file_splits_every_score_and_lists_the_servers_top_factors() {
    let path = common::repo("models/demo.holdout.csv");
    let rows = common::csv_rows(&path);
    for row in &rows {
        let s: f64 = row["score"].parse().unwrap();
        let parts: f64 = ["baseline", "fit", "engagement"]
            .iter()
            .map(|c| row[*c].parse::<f64>().unwrap())
            .sum();
        // Log-odds are written to six decimals.
        assert!((parts - (s / (1.0 - s)).ln()).abs() < 5e-6, "{row:?}");
    }
    let (ids, moments) = holdout_moments();
    let lives = read_lives(&ids[..40]);
    let server = serve(&common::serve_binary(), &model(), 0.5);
    let mut client = Client::new(server.addr);
    let by_moment: HashMap<(String, String), &HashMap<String, String>> = rows
        .iter()
        .map(|r| ((r["lead_id"].clone(), r["as_of"].clone()), r))
        .collect();
    for life in &lives.lives {
        let (as_of, _, _) = moments[&life.id][0];
        let (status, body) = client.post(
            &format!("/v1/score?as_of={}", rfc3339(as_of)),
            &life.body(as_of),
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let served: Vec<(String, f64)> = v["factors"]["positive"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["factors"]["negative"].as_array().unwrap())
            .map(|f| {
                (
                    f["factor"].as_str().unwrap().to_string(),
                    f["contribution"].as_f64().unwrap(),
                )
            })
            .collect();
        let row = by_moment[&(life.id.clone(), rfc3339(as_of))];
        let written: Vec<Value> = serde_json::from_str(&row["factors"]).unwrap();
        assert_eq!(served.len(), written.len(), "{}", life.id);
        for ((factor, c), w) in served.iter().zip(&written) {
            assert_eq!(factor, w["factor"].as_str().unwrap(), "{}", life.id);
            assert!((c - w["contribution"].as_f64().unwrap()).abs() < 1e-6);
        }
        let held = if row["held_back"].is_empty() {
            Value::Null
        } else {
            serde_json::json!([row["held_back"]])
        };
        assert_eq!(v.get("held_back_by").cloned().unwrap_or(Value::Null), held);
    }
}

#[test]
fn the_readme_example_leads_get_reasons_they_have() {
    let server = serve(&common::serve_binary(), &model(), 0.5);
    let mut client = Client::new(server.addr);
    let mut ask = |as_of: &str, body: &str| -> Value {
        let (status, text) = client.post(&format!("/v1/score?factors=100&as_of={as_of}"), body);
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    };
    let find = |v: &Value, field: &str| -> (String, f64) {
        v["factors"]["positive"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["factors"]["negative"].as_array().unwrap())
            .find(|f| f["field"] == field)
            .map(|f| {
                (
                    f["factor"].as_str().unwrap().to_string(),
                    f["contribution"].as_f64().unwrap(),
                )
            })
            .unwrap_or_else(|| panic!("no {field} factor in {v}"))
    };
    // A VP who requested a demo yesterday: the demo request is a reason for, named as it was.
    let vp = ask(
        "2025-06-08T10:00:00Z",
        r#"{"email": "ana@acme.io", "job_title": "VP Marketing", "company_size": 250,
        "industry": "Software", "country": "Germany", "lead_source": "Referral", "created_at": "2025-06-01T09:30:00Z",
        "events": [{"event_type": "demo_request", "occurred_at": "2025-06-07T15:00:00Z"},
                   {"event_type": "pricing_page_visit", "occurred_at": "2025-06-05T11:00:00Z"}]}"#,
    );
    let (demo, c) = find(&vp, "demo_request");
    assert!(
        c > 0.0 && demo == "demo_request: 1 in the last 7 days, last less than a day ago",
        "{demo} {c}"
    );
    let (title, c) = find(&vp, "job_title");
    assert!(
        c > 0.0 && title == "job_title = \"VP Marketing\" (vp)",
        "{title}"
    );
    assert_eq!(find(&vp, "email").0, "email: acme.io (business)");
    assert!(vp["mql"].as_bool().unwrap() && vp.get("held_back_by").is_none());
    // A CEO with no email: c-level for, "email missing" (never "business").
    let ceo = ask(
        "2025-07-01T00:00:00Z",
        r#"{"job_title": "CEO", "created_at": "2025-06-30"}"#,
    );
    let (title, c) = find(&ceo, "job_title");
    assert!(
        c > 0.0 && title == "job_title = \"CEO\" (c-level)",
        "{title} {c}"
    );
    assert_eq!(find(&ceo, "email").0, "email missing");
    // A Sales Director with a gmail address: one email factor, the lead's own domain.
    let sd = ask(
        "2025-07-01T00:00:00Z",
        r#"{"job_title": "Sales Director", "email": "sam@gmail.com", "created_at": "2025-06-29"}"#,
    );
    let emails: Vec<&Value> = sd["factors"]["positive"]
        .as_array()
        .unwrap()
        .iter()
        .chain(sd["factors"]["negative"].as_array().unwrap())
        .filter(|f| f["field"] == "email")
        .collect();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["factor"], "email: gmail.com (free webmail)");
    // A student at a university: held back by the gate whatever the score.
    let st = ask(
        "2025-07-01T00:00:00Z",
        r#"{"job_title": "Student", "email": "kid@mit.edu", "created_at": "2025-06-29",
        "events": [{"event_type": "demo_request", "occurred_at": "2025-06-30T15:00:00Z"}]}"#,
    );
    assert_eq!(st["held_back_by"], serde_json::json!([GATE]));
    assert!(!st["mql"].as_bool().unwrap());
}

/// The fixed-sequence cutoff computed by brute force over holdout lives: every distinct score
/// of an eligible lead is a candidate threshold, strictest first; at each, a lead is handed
/// over at its first moment reaching it and counts as converted by that moment's label.
/// Returns the loosest accepted threshold as the score at which it selects (the lowest score of
/// a first-reaching moment: thresholds between two such scores select the same leads), and how
/// many distinct such scores there are (the points a curve needs to be exact).
fn brute_force_cutoff(lives: &[(Vec<(f64, bool)>, bool)], target: f64) -> (f64, usize) {
    let mut thresholds: Vec<f64> = lives
        .iter()
        .filter(|l| l.1)
        .flat_map(|l| l.0.iter().map(|m| m.0))
        .collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let first_reaching = |t: f64| {
        lives
            .iter()
            .filter(|l| l.1)
            .filter_map(move |(moments, _)| moments.iter().find(|m| m.0 >= t))
    };
    let mut accepted = None;
    for &t in &thresholds {
        let (mut tp, mut n) = (0u64, 0u64);
        for m in first_reaching(t) {
            n += 1;
            tp += u64::from(m.1);
        }
        if n < 30 {
            continue;
        }
        if leadscore_core::curve::wilson_lower_bound(tp, n, 0.95) < target {
            break;
        }
        accepted = Some(t);
    }
    let t = accepted.expect("the target is attainable");
    let selecting = first_reaching(t).map(|m| m.0).fold(f64::INFINITY, f64::min);
    // Distinct running-maximum scores of eligible lives: where the selection changes.
    let mut records: Vec<f64> = Vec::new();
    for (moments, eligible) in lives {
        if !eligible {
            continue;
        }
        let mut top = f64::NEG_INFINITY;
        for m in moments {
            if m.0 > top {
                top = m.0;
                records.push(top);
            }
        }
    }
    records.sort_by(f64::total_cmp);
    records.dedup();
    (selecting, records.len())
}

#[test]
fn gates_hold_leads_back_and_the_served_cutoff_is_the_brute_force_gated_one() {
    let (ids, moments) = holdout_moments();
    let lives = read_lives(&ids);
    // The email column's rules as the model holds them (its competitor domains, its lists).
    let artifact = leadscore_core::artifact::ModelArtifact::load(&model()).unwrap();
    let rules = artifact
        .spec
        .columns
        .iter()
        .find_map(|c| match &c.transform {
            FittedTransform::Email(rules) => Some(rules.clone()),
            _ => None,
        })
        .expect("the demo model has an email column");
    assert_eq!(rules.competitor_domains, ["rivalsoft.com"]);
    let gated = |life: &Life| {
        let e = life.fields.get("email").map(String::as_str).unwrap_or("");
        !e.is_empty()
            && matches!(
                email_class(e, &rules),
                EmailClass::Education | EmailClass::Competitor
            )
    };
    let held: Vec<&Life> = lives.lives.iter().filter(|l| gated(l)).collect();
    assert!(
        held.len() >= 20,
        "the demo holdout has {} students and competitors",
        held.len()
    );
    let table = |with_gates: bool| -> Vec<(Vec<(f64, bool)>, bool)> {
        lives
            .lives
            .iter()
            .map(|l| {
                (
                    moments[&l.id].iter().map(|m| (m.1, m.2)).collect(),
                    !(with_gates && gated(l)),
                )
            })
            .collect()
    };
    let bin = common::serve_binary();
    let dir = tempfile::tempdir().unwrap();
    let no_gates = dir.path().join("no-gates.toml");
    std::fs::write(&no_gates, "# no gates\n").unwrap();
    for (with_gates, extra) in [
        (true, vec![]),
        (false, vec!["--gates", no_gates.to_str().unwrap()]),
    ] {
        let server = serve_with(&bin, &model(), 0.5, &extra);
        let mut client = Client::new(server.addr);
        let (expected, candidates) = brute_force_cutoff(&table(with_gates), 0.5);
        assert!(
            candidates <= leadscore_core::gates::CURVE_POINTS,
            "{candidates} thresholds: the stored curve would be thinned"
        );
        let v = score(
            &mut client,
            &lives.lives[0],
            moments[&lives.lives[0].id][0].0,
        );
        let served = v["cutoff"]["threshold"].as_f64().unwrap();
        assert_eq!(
            served, expected,
            "gates {with_gates}: served cutoff {served}, brute force {expected}"
        );
        eprintln!("gates {with_gates}: cutoff {served} ({candidates} candidate thresholds)");
        // Held-back leads at their best moment: never an MQL with the gate, named; scored alike.
        for life in &held {
            let best = moments[&life.id]
                .iter()
                .copied()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            let v = score(&mut client, life, best.0);
            if with_gates {
                assert!(!v["mql"].as_bool().unwrap(), "{} is an MQL", life.id);
                assert_eq!(v["held_back_by"], serde_json::json!([GATE]), "{}", life.id);
            } else {
                assert!(v.get("held_back_by").is_none());
                assert_eq!(
                    v["mql"].as_bool().unwrap(),
                    v["score"].as_f64().unwrap() >= served
                );
            }
        }
    }
}

/// The lead's own value of `column` as a pair factor must name it: `column missing`,
/// `column = "level"` (a category), `column = 412 (...)` (a number, compared as a number), or
/// `column = yes` / `= no` (a boolean).
fn side_names_value(
    factor: &str,
    column: &str,
    transform: &leadscore_core::fitted::FittedTransform,
    raw: &str,
) -> bool {
    use leadscore_core::fitted::FittedTransform as T;
    let raw = raw.trim();
    if raw.is_empty() || raw == "Select" {
        return factor.contains(&format!("{column} missing"));
    }
    match transform {
        T::Numeric { .. } => factor
            .split(&format!("{column} = "))
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
            .zip(raw.parse::<f64>().ok())
            .is_some_and(|(a, b)| (a - b).abs() < 1e-3 * b.abs().max(1.0)),
        T::Boolean { .. } => {
            let yes = matches!(
                raw.to_ascii_lowercase().as_str(),
                "yes" | "true" | "y" | "1"
            );
            factor.contains(&format!("{column} = {}", if yes { "yes" } else { "no" }))
        }
        _ => factor.contains(&format!("{column} = {raw:?}")),
    }
}

/// A model with pairs, through the real server, on every X Education lead: each pair is one
/// factor (`A x B`) whose text names the lead's own values of both columns, it counts toward
/// fit only when both columns are fit, and the factors still sum exactly to the parts.
#[test]
fn pairs_are_one_factor_each_named_by_the_leads_values_and_sums_stay_exact() {
    use leadscore_core::pairs::PairCount;
    use leadscore_train::pipeline::{train, TrainConfig};
    let mut c = TrainConfig::new(common::x_education());
    c.label = Some("Converted".into());
    c.id = Some("Prospect ID".into());
    c.exclude = common::X_EDUCATION_EXCLUDED
        .iter()
        .map(|s| s.to_string())
        .collect();
    c.pairs = Some(PairCount::Fixed(8));
    let artifact = train(&c).expect("train").artifact;
    assert_eq!(artifact.spec.pairs.len(), 8);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    artifact.write_atomic(&path).unwrap();
    let server = serve(&common::serve_binary(), &path, 0.7);
    let mut client = Client::new(server.addr);
    let spec = &artifact.spec;
    let pairs: HashMap<String, &leadscore_core::pairs::FittedPair> =
        spec.pairs.iter().map(|p| (p.name(), p)).collect();
    let rows = common::csv_rows(&common::x_education());
    let (mut checked, mut pair_factors) = (0, 0);
    let mut seen = HashSet::new();
    for chunk in rows.chunks(500) {
        let leads: Vec<Value> = chunk.iter().map(|r| serde_json::json!(r)).collect();
        let (status, body) = client.post(
            "/v1/score?factors=100",
            &serde_json::json!({ "leads": leads }).to_string(),
        );
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        for (row, s) in chunk.iter().zip(v["leads"].as_array().unwrap()) {
            let id = &row["Prospect ID"];
            let z = s["log_odds"].as_f64().unwrap();
            let b = s["baseline_log_odds"].as_f64().unwrap();
            let (fit, eng) = (
                s["fit"]["log_odds"].as_f64().unwrap(),
                s["engagement"]["log_odds"].as_f64().unwrap(),
            );
            assert!(
                (b + fit + eng - z).abs() < 1e-9,
                "{id}: parts do not add up"
            );
            let (mut sum_fit, mut sum_eng) = (0.0, 0.0);
            let mut fields = HashSet::new();
            for f in s["factors"]["positive"]
                .as_array()
                .unwrap()
                .iter()
                .chain(s["factors"]["negative"].as_array().unwrap())
            {
                let field = f["field"].as_str().unwrap();
                let text = f["factor"].as_str().unwrap();
                let part = f["part"].as_str().unwrap();
                assert!(fields.insert(field), "{id}: {field} twice");
                let c = f["contribution"].as_f64().unwrap();
                match part {
                    "fit" => sum_fit += c,
                    _ => sum_eng += c,
                }
                let Some(p) = pairs.get(field) else { continue };
                seen.insert(field.to_string());
                pair_factors += 1;
                let (ca, cb) = (&spec.columns[p.a.index], &spec.columns[p.b.index]);
                // A value may hold " & " itself (`Flexibility & Convenience`): split where the
                // second column's name starts.
                let at = text
                    .rfind(&format!(" & {}", cb.name))
                    .unwrap_or_else(|| panic!("{id}: pair factor {text:?} has no `& {}`", cb.name));
                let (left, right) = (&text[..at], &text[at + 3..]);
                assert!(
                    left.starts_with(ca.name.as_str())
                        && side_names_value(left, &ca.name, &ca.transform, &row[&ca.name]),
                    "{id}: {field}: {left:?} does not name {:?}",
                    row[&ca.name]
                );
                assert!(
                    right.starts_with(cb.name.as_str())
                        && side_names_value(right, &cb.name, &cb.transform, &row[&cb.name]),
                    "{id}: {field}: {right:?} does not name {:?}",
                    row[&cb.name]
                );
                let both_fit = ca.part.is_fit() && cb.part.is_fit();
                assert_eq!(part, if both_fit { "fit" } else { "engagement" }, "{field}");
            }
            assert!(
                (sum_fit - fit).abs() < 1e-7 && (sum_eng - eng).abs() < 1e-7,
                "{id}: factors sum to {sum_fit} + {sum_eng}, parts are {fit} + {eng}"
            );
            checked += 1;
        }
    }
    eprintln!("{checked} X Education leads, {pair_factors} pair factors checked");
    assert_eq!(checked, 9240);
    assert_eq!(seen.len(), pairs.len(), "every pair is some lead's factor");
}
