//! Times of the tables around the leads written as Unix seconds or milliseconds, as event and
//! warehouse exports write them (Mixpanel's `time`, a `converted_at` in milliseconds): the
//! demo export with its leads' `created_at` in seconds, its events in seconds and its outcomes
//! in milliseconds trains the same model as the export written as dates. A column of numbers
//! that are not such times is refused naming it.

use leadscore_core::value::parse_timestamp;
use leadscore_train::pipeline::{train, TrainConfig};
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The first `n` lines of a committed demo table, with column `time` (by position) rewritten by
/// `rewrite` (its text, and its Unix seconds).
fn table(name: &str, n: usize, time: usize, rewrite: impl Fn(&str, i64) -> String) -> String {
    let text = std::fs::read_to_string(repo(&format!("data/demo/{name}"))).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().take(n).enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 {
            let t = &cells[time];
            cells[time] = rewrite(t, parse_timestamp(t).unwrap());
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

fn train_tables(dir: &Path, leads: &str, events: &str, outcomes: &str) -> Result<Vec<f64>, String> {
    for (name, text) in [
        ("leads.csv", leads),
        ("events.csv", events),
        ("outcomes.csv", outcomes),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let mut c = TrainConfig::new(dir.join("leads.csv"));
    c.events = Some(dir.join("events.csv"));
    c.outcomes = Some(dir.join("outcomes.csv"));
    c.spec = Some(repo("data/demo/spec.toml"));
    let out = train(&c).map_err(|e| e.to_string())?;
    let mut weights: Vec<f64> = out
        .artifact
        .model
        .features
        .iter()
        .map(|w| w.weight)
        .collect();
    weights.push(out.artifact.model.intercept);
    Ok(weights)
}

#[test]
fn unix_seconds_and_milliseconds_train_as_the_dates_they_are() {
    // Every event and outcome of the first 1,500 leads (the files are sorted by lead).
    let keep = |name: &str| {
        let text = std::fs::read_to_string(repo(&format!("data/demo/{name}"))).unwrap();
        text.lines()
            .skip(1)
            .take_while(|l| &l.as_bytes()[1..7] <= b"001500".as_slice())
            .count()
            + 1
    };
    let (n_events, n_outcomes) = (keep("events.csv"), keep("outcomes.csv"));
    let as_written = |t: &str, _| t.to_string();
    let dir = tempfile::tempdir().unwrap();
    let dates = train_tables(
        dir.path(),
        &table("leads.csv", 1501, 1, as_written),
        &table("events.csv", n_events, 2, as_written),
        &table("outcomes.csv", n_outcomes, 1, as_written),
    )
    .unwrap();
    let seconds = |_: &str, s: i64| s.to_string();
    let millis = |_: &str, s: i64| (s * 1000 + 250).to_string();
    let epoch = train_tables(
        dir.path(),
        &table("leads.csv", 1501, 1, seconds),
        &table("events.csv", n_events, 2, seconds),
        &table("outcomes.csv", n_outcomes, 1, millis),
    )
    .unwrap();
    assert_eq!(dates, epoch);

    // `score` reads them as training does: the same scores for the tables as dates and as
    // Unix times (a model trained on either).
    let score = |leads: &str, events: &str, outcomes: &str| -> Vec<String> {
        let d = dir.path();
        for (name, text) in [("l.csv", leads), ("e.csv", events), ("o.csv", outcomes)] {
            std::fs::write(d.join(name), text).unwrap();
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadscore-train"))
            .current_dir(d)
            .args([
                "score",
                "--model",
                "m.json",
                "--data",
                "l.csv",
                "--events",
                "e.csv",
                "--outcomes",
                "o.csv",
                "--as-of",
                "2025-04-01",
                "--target-precision",
                "0.3",
                "--out",
                "s.csv",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Each lead's id and score.
        std::fs::read_to_string(d.join("s.csv"))
            .unwrap()
            .lines()
            .map(|l| {
                l.split(',')
                    .take(4)
                    .filter(|c| !c.contains('T'))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    let mut c = TrainConfig::new(dir.path().join("leads.csv"));
    c.events = Some(dir.path().join("events.csv"));
    c.outcomes = Some(dir.path().join("outcomes.csv"));
    c.spec = Some(repo("data/demo/spec.toml"));
    train(&c)
        .unwrap()
        .artifact
        .write_atomic(&dir.path().join("m.json"))
        .unwrap();
    let as_dates = score(
        &table("leads.csv", 1501, 1, as_written),
        &table("events.csv", n_events, 2, as_written),
        &table("outcomes.csv", n_outcomes, 1, as_written),
    );
    let as_unix = score(
        &table("leads.csv", 1501, 1, millis),
        &table("events.csv", n_events, 2, seconds),
        &table("outcomes.csv", n_outcomes, 1, millis),
    );
    assert!(as_dates.len() > 100);
    assert_eq!(as_dates, as_unix);

    // Numbers that are not times (days, a count) are refused naming the column.
    let err = train_tables(
        dir.path(),
        &table("leads.csv", 1501, 1, as_written),
        &table("events.csv", n_events, 2, |_, s| (s / 86_400).to_string()),
        &table("outcomes.csv", n_outcomes, 1, as_written),
    )
    .unwrap_err();
    assert!(
        err.contains("occurred_at") && err.contains("holds numbers, not times"),
        "{err}"
    );
}
