//! The MQL promise, replayed through time through the real server.
//!
//! `leadscore-serve --target-precision 0.5` sets its MQL cutoff so that the Wilson lower bound
//! (95%) of the holdout precision meets the target: "of the leads we hand to sales, at least half
//! convert". A CRM asks for a score at any moment of a lead's life, so this test asks the same
//! way: every holdout lead of the model is replayed day by day, `as_of` = `created_at` + d days
//! (exact seconds) for d = 0..=90, through the real binary over HTTP, with the lead's fields and
//! the events it had by then.
//!
//! - Eligible on day d: not converted at or before `as_of`, and `as_of` + horizon <= the end of
//!   the data (otherwise the outcome is not known yet: censored).
//! - Label on day d: converted in (`as_of`, `as_of` + horizon].
//! - First crossing: each lead is handed to sales on the first eligible day it is an MQL; a true
//!   positive if it converts within the horizon after that moment.
//!
//! Asserted: precision at first crossing >= the target (the cutoff's holdout lower bound is
//! reported beside it), and realized precision >= 0.40 at every age with at least 50 MQLs.
//!
//! `?as_of=` is one per request and every lead has its own `created_at`, so each (lead, day) is
//! one request (a single-lead body), all on one keep-alive connection: a batch would score all
//! its leads at one moment, i.e. most of them at the wrong age.
//!
//! Environment (bench/age_promise.sh uses these to replay a freshly trained model):
//! `LEADSCORE_REPLAY_MODEL` (default models/demo.json), `LEADSCORE_REPLAY_HOLDOUT` (default
//! models/demo.holdout.csv; the distinct ids of its `lead_id` column), `LEADSCORE_REPLAY_TARGET`
//! (default 0.5), `LEADSCORE_REPLAY_OUT` (write the markdown report there too). The three tables
//! are always data/demo/{leads,events,outcomes}.csv.

mod common;

use common::lives::{
    converts_within, eligible, holdout_ids, read_lives, rfc3339, serve, Client, Lives,
};

use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

const DAY: i64 = 86_400;
/// Ages replayed: 0..=MAX_AGE days after `created_at`.
const MAX_AGE: i64 = 90;
/// Ages always shown in the table.
const SHOWN_AGES: [i64; 8] = [0, 1, 3, 7, 14, 30, 60, 90];
/// An age with at least this many MQLs must reach [`MIN_AGE_PRECISION`].
const MIN_MQLS_CHECKED: usize = 50;
const MIN_AGE_PRECISION: f64 = 0.40;
/// Fewer first crossings than this and the replay proves nothing (the server's cutoff skips
/// thresholds selecting fewer than 30 holdout leads for the same reason).
const MIN_CROSSINGS: usize = 30;

// ---------------------------------------------------------------------------------------------
// Settings and the model

struct Settings {
    model: PathBuf,
    holdout: PathBuf,
    target: f64,
    out: Option<PathBuf>,
}

impl Settings {
    /// Defaults, overridden by `LEADSCORE_REPLAY_*` (relative paths are under the repository).
    fn from_env() -> Self {
        let path = |var: &str, default: &str| {
            common::repo(&std::env::var(var).unwrap_or_else(|_| default.to_string()))
        };
        let target = std::env::var("LEADSCORE_REPLAY_TARGET").map_or(0.5, |t| {
            t.trim()
                .parse()
                .unwrap_or_else(|_| panic!("LEADSCORE_REPLAY_TARGET: not a number: {t:?}"))
        });
        Settings {
            model: path("LEADSCORE_REPLAY_MODEL", "models/demo.json"),
            holdout: path("LEADSCORE_REPLAY_HOLDOUT", "models/demo.holdout.csv"),
            target,
            out: std::env::var_os("LEADSCORE_REPLAY_OUT")
                .map(|p| common::repo(&p.to_string_lossy())),
        }
    }
}

/// What the replay needs from the artifact, read as plain JSON (lenient to fields added later).
struct Model {
    id: String,
    /// `assembly.time.horizon_days` in seconds.
    horizon: i64,
}

fn read_model(path: &Path) -> Model {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read the model {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("the model is JSON");
    let days = v["assembly"]["time"]["horizon_days"]
        .as_f64()
        .unwrap_or(90.0);
    Model {
        id: v["model_id"].as_str().expect("model_id").to_string(),
        horizon: (days * DAY as f64) as i64, // as training computes it
    }
}

// ---------------------------------------------------------------------------------------------
// The replay

/// One eligible (lead, day): the server's MQL flag and whether the lead converts within the
/// horizon after that moment.
#[derive(Clone, Copy)]
struct Verdict {
    lead: usize,
    mql: bool,
    converts: bool,
}

/// The cutoff in force, as the server reports it.
struct Cutoff {
    json: Value,
}

impl Cutoff {
    fn get(&self, key: &str) -> f64 {
        self.json[key]
            .as_f64()
            .unwrap_or_else(|| panic!("cutoff.{key} in {}", self.json))
    }
}

/// Asks the server for every eligible (lead, day); `days[d]` holds day d's verdicts.
fn replay(client: &mut Client, model: &Model, lives: &Lives) -> (Vec<Vec<Verdict>>, Cutoff, usize) {
    let mut days = Vec::new();
    let mut cutoff: Option<Value> = None;
    let mut requests = 0;
    for d in 0..=MAX_AGE {
        let mut verdicts = Vec::new();
        for (i, life) in lives.lives.iter().enumerate() {
            let as_of = life.created + d * DAY;
            if !eligible(life, as_of, model.horizon, lives.end) {
                continue;
            }
            let path = format!("/v1/score?as_of={}&factors=0", rfc3339(as_of));
            let (status, body) = client.post(&path, &life.body(as_of));
            requests += 1;
            assert_eq!(status, 200, "lead {} at day {d}: {body}", life.id);
            let v: Value = serde_json::from_str(&body).expect("a JSON answer");
            assert_eq!(
                v["model_id"].as_str(),
                Some(model.id.as_str()),
                "the server serves the model under test"
            );
            match &cutoff {
                None => cutoff = Some(v["cutoff"].clone()),
                Some(c) => assert_eq!(c, &v["cutoff"], "the cutoff changed during the replay"),
            }
            assert!(v["score"].is_number(), "no score in {v}");
            let mql = v["mql"]
                .as_bool()
                .unwrap_or_else(|| panic!("no mql in {v}"));
            verdicts.push(Verdict {
                lead: i,
                mql,
                converts: converts_within(life, as_of, model.horizon),
            });
        }
        days.push(verdicts);
    }
    let json = cutoff.expect("at least one lead eligible on some day");
    (days, Cutoff { json }, requests)
}

/// Counts over the eligible leads of one age.
#[derive(Default, Clone, Copy)]
struct AgeRow {
    eligible: usize,
    converting: usize,
    mqls: usize,
    converted_mqls: usize,
}

impl AgeRow {
    fn precision(&self) -> f64 {
        ratio(self.converted_mqls, self.mqls)
    }
}

fn per_age(days: &[Vec<Verdict>]) -> Vec<AgeRow> {
    days.iter()
        .map(|verdicts| {
            let mut row = AgeRow::default();
            for v in verdicts {
                row.eligible += 1;
                row.converting += usize::from(v.converts);
                row.mqls += usize::from(v.mql);
                row.converted_mqls += usize::from(v.mql && v.converts);
            }
            row
        })
        .collect()
}

/// Each lead handed to sales on the first eligible day it is an MQL: (day, true positive).
fn first_crossings(days: &[Vec<Verdict>]) -> HashMap<usize, (usize, bool)> {
    let mut crossed = HashMap::new();
    for (d, verdicts) in days.iter().enumerate() {
        for v in verdicts.iter().filter(|v| v.mql) {
            crossed.entry(v.lead).or_insert((d, v.converts));
        }
    }
    crossed
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// Two-sided 95% Wilson interval of `k` successes in `n`.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (z, n, p) = (1.959_964, n as f64, k as f64 / n as f64);
    let centre = p + z * z / (2.0 * n);
    let margin = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z * z / n;
    ((centre - margin) / denom, (centre + margin) / denom)
}

/// `ages` (sorted) as day ranges, with the lowest precision among them: "days 20-90 (71 ages;
/// lowest 0.042, day 84)", or "no age".
fn failing_ages(rows: &[AgeRow], ages: &[usize]) -> String {
    let Some(worst) = ages
        .iter()
        .copied()
        .min_by(|&a, &b| rows[a].precision().total_cmp(&rows[b].precision()))
    else {
        return "no age".into();
    };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &d in ages {
        match ranges.last_mut() {
            Some(last) if last.1 + 1 == d => last.1 = d,
            _ => ranges.push((d, d)),
        }
    }
    let ranges: Vec<String> = ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    format!(
        "days {} ({} ages; lowest {:.3} on {} MQLs, day {worst})",
        ranges.join(", "),
        ages.len(),
        rows[worst].precision(),
        rows[worst].mqls,
    )
}

// ---------------------------------------------------------------------------------------------
// The test

#[test]
fn the_mql_precision_promise_holds_at_every_age_of_a_lead() {
    let started = Instant::now();
    let settings = Settings::from_env();
    let model = read_model(&settings.model);
    let ids = holdout_ids(&settings.holdout);
    let lives = read_lives(&ids);
    assert!(
        !lives.lives.is_empty(),
        "no holdout leads in {}",
        settings.holdout.display()
    );
    let read_time = started.elapsed();

    let server = serve(&common::serve_binary(), &settings.model, settings.target);
    let mut client = Client::new(server.addr);
    let replay_started = Instant::now();
    let (days, cutoff, requests) = replay(&mut client, &model, &lives);
    let replay_time = replay_started.elapsed();
    drop(server);

    let rows = per_age(&days);
    let crossings = first_crossings(&days);
    let crossed = crossings.len();
    let crossed_converted = crossings.values().filter(|c| c.1).count();
    let first_precision = ratio(crossed_converted, crossed);
    let (lower_bound, holdout_precision) =
        (cutoff.get("precision_lower_bound"), cutoff.get("precision"));
    let failing: Vec<usize> = (0..rows.len())
        .filter(|&d| rows[d].mqls >= MIN_MQLS_CHECKED && rows[d].precision() < MIN_AGE_PRECISION)
        .collect();

    // The report.
    let mut md = String::new();
    let w = &mut md;
    writeln!(
        w,
        "Replay of {} holdout leads ({}) of model {} ({}) through leadscore-serve: each lead scored \
         at created_at + d days, d = 0..={MAX_AGE}, with the events it had by then; horizon {} days; \
         data ends {}; {requests} requests.\n",
        lives.lives.len(),
        settings.holdout.display(),
        model.id,
        settings.model.display(),
        model.horizon as f64 / DAY as f64,
        rfc3339(lives.end),
    )
    .unwrap();
    writeln!(
        w,
        "Cutoff in force: score >= {:.4} for target precision {} at {}% confidence; on the holdout: \
         precision {:.3}, 95% lower bound {:.3}, recall {:.3}, MQL rate {:.3}.\n",
        cutoff.get("threshold"),
        cutoff.get("target_precision"),
        cutoff.get("confidence") * 100.0,
        holdout_precision,
        lower_bound,
        cutoff.get("recall"),
        cutoff.get("mql_rate"),
    )
    .unwrap();
    writeln!(
        w,
        "| age (days) | eligible | converting within {h:.0} d | MQLs | converted MQLs | precision | 95% interval | checked (>= {MIN_MQLS_CHECKED} MQLs: >= {MIN_AGE_PRECISION:.2}) |",
        h = model.horizon as f64 / DAY as f64,
    )
    .unwrap();
    writeln!(w, "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |").unwrap();
    for (d, row) in rows.iter().enumerate() {
        if !SHOWN_AGES.contains(&(d as i64)) {
            continue;
        }
        let (lo, hi) = wilson(row.converted_mqls, row.mqls);
        let checked = match (row.mqls >= MIN_MQLS_CHECKED, failing.contains(&d)) {
            (false, _) => "no (too few MQLs)",
            (true, false) => "pass",
            (true, true) => "**FAIL**",
        };
        writeln!(
            w,
            "| {d} | {} | {} ({:.1}%) | {} | {} | {:.3} | {:.3} to {:.3} | {checked} |",
            row.eligible,
            row.converting,
            100.0 * ratio(row.converting, row.eligible),
            row.mqls,
            row.converted_mqls,
            row.precision(),
            lo,
            hi,
        )
        .unwrap();
    }
    let checked_ages = rows.iter().filter(|r| r.mqls >= MIN_MQLS_CHECKED).count();
    writeln!(
        w,
        "\nAges checked (>= {MIN_MQLS_CHECKED} MQLs): {checked_ages} of {}; precision below {MIN_AGE_PRECISION:.2} at {}.\n",
        rows.len(),
        failing_ages(&rows, &failing),
    )
    .unwrap();
    let (lo, hi) = wilson(crossed_converted, crossed);
    writeln!(
        w,
        "First crossing: {crossed} of {} leads handed to sales (on their first eligible day as an MQL), \
         {crossed_converted} converted within the horizon after: **precision {first_precision:.3}** \
         (95% interval {lo:.3} to {hi:.3}) against the target {} (the cutoff's holdout lower bound \
         {lower_bound:.3}, holdout precision {holdout_precision:.3}).",
        lives.lives.len(),
        settings.target,
    )
    .unwrap();
    let mut by_age = [0usize; 5];
    for &(d, _) in crossings.values() {
        by_age[match d {
            0 => 0,
            1..=6 => 1,
            7 => 2,
            8..=30 => 3,
            _ => 4,
        }] += 1;
    }
    writeln!(
        w,
        "Crossing ages: day 0: {}, days 1-6: {}, day 7: {}, days 8-30: {}, days 31-90: {}.",
        by_age[0], by_age[1], by_age[2], by_age[3], by_age[4]
    )
    .unwrap();
    println!("\n{md}");
    println!(
        "read the tables in {:.1} s; replayed {requests} requests in {:.1} s ({:.0} requests/s)",
        read_time.as_secs_f64(),
        replay_time.as_secs_f64(),
        requests as f64 / replay_time.as_secs_f64()
    );
    if let Some(out) = &settings.out {
        std::fs::write(out, &md).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    }

    // Not trivially passing: the replay has enough crossings to judge.
    assert!(
        crossed >= MIN_CROSSINGS,
        "only {crossed} leads ever became MQLs: too few to judge the promise"
    );
    let mut broken = Vec::new();
    if first_precision < settings.target {
        broken.push(format!(
            "precision at first crossing {first_precision:.3} ({crossed_converted} of {crossed}) is below \
             the target {} (the server promised a lower bound of {lower_bound:.3} on its holdout)",
            settings.target
        ));
    }
    if !failing.is_empty() {
        broken.push(format!(
            "realized precision is below {MIN_AGE_PRECISION:.2} at ages with >= {MIN_MQLS_CHECKED} MQLs: {}",
            failing_ages(&rows, &failing)
        ));
    }
    assert!(
        broken.is_empty(),
        "the promise is broken:\n  {}",
        broken.join("\n  ")
    );
}
