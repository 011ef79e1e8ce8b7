//! Landmark training: one example per lead and landmark, counted per landmark by hand; splits
//! and folds that never put a lead on both sides; the time split's gap; conversions without a
//! time; an event type that leaks.

use leadscore_core::spec::FeatureSpec;
use leadscore_core::value::parse_timestamp;
use leadscore_train::assemble::{assemble, Assembled, AssemblyInputs};
use leadscore_train::fit::grouped_folds;
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{split_examples, train, SplitKind, TrainConfig};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const SPEC: &str = r#"
format_version = 1
id = "lead_id"
[time]
landmarks_days = [0, 7, 30]
horizon_days = 90
[events]
[[columns]]
name = "title"
transform = "job_title"
"#;

// The data ends 2025-12-20 (the latest event).
const LEADS: &str = "lead_id,created_at,title
L1,2025-01-01 00:00:00,CEO
L2,2025-01-01 00:00:00,VP Sales
L3,2025-01-01 00:00:00,Engineer
L4,2025-01-02 00:00:00,Director
L5,2025-12-01 00:00:00,Student
L6,2025-03-01T10:00:00Z,Manager
";
// L1 converts on day 31; L2 on day 4; L4 on day 150 (after every landmark's horizon); L5 is
// too recent (every landmark censored); L6 converts on day 30.6.
const CLOSED_DEALS: &str = "lead_id,converted_at
L1,2025-02-01 00:00:00
L2,2025-01-05 00:00:00
L4,2025-06-01 00:00:00
L6,2025-04-01 00:00:00
";
const EVENTS: &str = "lead_id,event_type,occurred_at
L1,demo_request,2025-01-20 00:00:00
L1,demo_request,2025-01-03 00:00:00
L3,page_view,2025-01-02 00:00:00
L3,unsubscribe,2025-01-09 00:00:00
L6,page_view,2025-03-02 00:00:00
L5,page_view,2025-12-20 00:00:00
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The small tables above assembled with `spec`.
fn assemble_small(spec: &str) -> Assembled {
    let dir = tempfile::tempdir().unwrap();
    let read = ReadOptions::default();
    let leads = read_table(&write(dir.path(), "leads.csv", LEADS), &read).unwrap();
    let spec = FeatureSpec::from_toml(spec, "spec.toml").unwrap();
    let (events, outcomes) = (
        write(dir.path(), "events.csv", EVENTS),
        write(dir.path(), "outcomes.csv", CLOSED_DEALS),
    );
    assemble(&AssemblyInputs {
        events: Some(&events),
        outcomes: Some(&outcomes),
        ..AssemblyInputs::new(&leads, &spec, &read)
    })
    .unwrap()
}

#[test]
fn every_landmark_yields_an_example_until_the_lead_converts_or_its_horizon_is_not_over() {
    let a = assemble_small(SPEC);
    let r = &a.report;
    let per: Vec<(f64, u64, u64, u64, u64)> = r
        .landmarks
        .iter()
        .map(|l| {
            (
                l.age_days,
                l.used,
                l.positives,
                l.censored,
                l.converted_before_as_of,
            )
        })
        .collect();
    assert_eq!(
        per,
        vec![
            (0.0, 5, 3, 1, 0),  // L1 L2 L6 convert within 90 days; L5 censored
            (7.0, 4, 2, 1, 1),  // L2 converted on day 4
            (30.0, 4, 2, 1, 1), // L6 converts 14 hours after its day-30 landmark
        ]
    );
    assert_eq!((r.used, r.used_leads, r.positives), (13, 5, 7));
    // Examples in lead order, landmarks in order within a lead; as_of = created + age.
    assert_eq!(a.source_rows, vec![0, 0, 0, 1, 2, 2, 2, 3, 3, 3, 5, 5, 5]);
    let day = 86_400;
    let l6 = parse_timestamp("2025-03-01T10:00:00Z").unwrap();
    assert_eq!(&a.as_of[10..], &[l6, l6 + 7 * day, l6 + 30 * day]);
    // Each example sees only the events known at its as_of.
    let ev = a.events.as_ref().unwrap();
    let mut known = vec![0; a.labels.len()];
    for &k in &ev.lead {
        known[k as usize] += 1;
    }
    assert_eq!(known, vec![0, 1, 2, 0, 0, 1, 2, 0, 0, 0, 0, 1, 1]);
    // The replay of L1: each landmark and each event within the landmark range, in time order.
    let t = |s: &str| parse_timestamp(s).unwrap();
    assert_eq!(
        a.lives.replay_moments(0),
        vec![
            (t("2025-01-01"), true),
            (t("2025-01-03"), true),
            (t("2025-01-08"), true),
            (t("2025-01-20"), true),
            (t("2025-01-31"), true),
        ]
    );
    // L2 converted on day 4: its life as a lead ends there; L5's horizon is never over.
    assert_eq!(a.lives.replay_moments(1), vec![(t("2025-01-01"), true)]);
    assert!(a.lives.replay_moments(4).is_empty());
}

/// Landmarks that start after day 0: the replay still starts at creation (the server scores a
/// lead then, its age scored as the first landmark's), with the events before the first
/// landmark, so the cutoff's promise covers what is handed over in the first day too.
#[test]
fn the_replay_starts_at_creation_when_the_landmarks_start_later() {
    let a = assemble_small(&SPEC.replace("[0, 7, 30]", "[3, 7, 30]"));
    let t = |s: &str| parse_timestamp(s).unwrap();
    // L1: created 01-01, an event on 01-03 (before the first landmark, 01-04), landmarks
    // 01-04, 01-08 and 01-31, an event on 01-20.
    assert_eq!(
        a.lives.replay_moments(0),
        vec![
            (t("2025-01-01"), true),
            (t("2025-01-03"), true),
            (t("2025-01-04"), true),
            (t("2025-01-08"), true),
            (t("2025-01-20"), true),
            (t("2025-01-31"), true),
        ]
    );
    // L2 converted on day 4, after its first landmark (day 3): its creation and day 3.
    assert_eq!(
        a.lives.replay_moments(1),
        vec![(t("2025-01-01"), true), (t("2025-01-04"), true)]
    );
}

/// The committed demo tables, assembled with the demo spec (eight landmarks).
fn demo() -> Assembled {
    let read = ReadOptions::default();
    let leads = read_table(&repo("data/demo/leads.csv"), &read).unwrap();
    let spec = FeatureSpec::from_toml(
        &std::fs::read_to_string(repo("data/demo/spec.toml")).unwrap(),
        "spec.toml",
    )
    .unwrap();
    let (events, outcomes) = (repo("data/demo/events.csv"), repo("data/demo/outcomes.csv"));
    assemble(&AssemblyInputs {
        events: Some(&events),
        outcomes: Some(&outcomes),
        ..AssemblyInputs::new(&leads, &spec, &read)
    })
    .unwrap()
}

#[test]
fn splits_and_folds_keep_every_lead_on_one_side() {
    let a = demo();
    assert!(a.report.used > 3 * a.report.used_leads, "{:?}", a.report);
    let leads_of =
        |rows: &[usize]| -> HashSet<usize> { rows.iter().map(|&i| a.source_rows[i]).collect() };
    for kind in [SplitKind::Random, SplitKind::Time] {
        let s = split_examples(
            kind,
            &a.labels,
            Some(&a.source_rows),
            Some(&a.as_of),
            90 * 86_400,
            0.2,
            7,
        )
        .unwrap();
        let (train, test) = (leads_of(&s.train), leads_of(&s.test));
        assert!(
            train.is_disjoint(&test),
            "{kind:?}: a lead on both sides of the holdout"
        );
        // Every example of a holdout lead is in the holdout.
        let test_examples = a.source_rows.iter().filter(|r| test.contains(r)).count();
        assert_eq!(test_examples, s.test.len(), "{kind:?}");
    }
    let folds = grouped_folds(&a.labels, &a.source_rows, 5, 7);
    let mut fold_of: HashMap<usize, usize> = HashMap::new();
    for (i, f) in folds.iter().enumerate() {
        let first = *fold_of.entry(a.source_rows[i]).or_insert(*f);
        assert_eq!(first, *f, "lead row {} in two folds", a.source_rows[i]);
    }
    let sizes: Vec<usize> = (0..5)
        .map(|f| folds.iter().filter(|x| **x == f).count())
        .collect();
    assert!(sizes.iter().all(|s| *s > a.labels.len() / 8), "{sizes:?}");
}

#[test]
fn the_time_split_leaves_a_gap_no_training_horizon_reaches_into_the_holdout() {
    let a = demo();
    let horizon = 90 * 86_400;
    let s = split_examples(
        SplitKind::Time,
        &a.labels,
        Some(&a.source_rows),
        Some(&a.as_of),
        horizon,
        0.2,
        7,
    )
    .unwrap();
    let earliest_holdout = s.test.iter().map(|&i| a.as_of[i]).min().unwrap();
    let latest_training_horizon = s.train.iter().map(|&i| a.as_of[i] + horizon).max().unwrap();
    assert!(
        latest_training_horizon <= earliest_holdout,
        "a training label was decided after the holdout began"
    );
    assert!(s.gap_dropped > 0, "the demo needs a gap");
    assert_eq!(
        s.train.len() + s.test.len() + s.gap_dropped as usize,
        a.labels.len()
    );
}

#[test]
fn conversions_without_a_time_need_an_explicit_flag_with_events_or_landmarks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let leads = write(d, "leads.csv", LEADS);
    let events = write(d, "events.csv", EVENTS);
    let untimed = write(
        d,
        "outcomes.csv",
        "lead_id,converted\nL1,yes\nL2,no\nL3,yes\nL4,no\nL6,yes\n",
    );
    let spec = write(d, "spec.toml", SPEC);
    let config = |events: Option<&Path>, allow: bool| {
        let mut c = TrainConfig::new(&leads);
        c.spec = Some(spec.clone());
        c.events = events.map(Path::to_path_buf);
        c.outcomes = Some(untimed.clone());
        c.allow_untimed_conversions = allow;
        c
    };
    for events in [Some(events.as_path()), None] {
        let e = train(&config(events, false)).unwrap_err().to_string();
        assert!(
            e.contains("3 conversions have no time")
                && e.contains("outcomes.csv")
                && e.contains("--allow-untimed-conversions"),
            "{e}"
        );
    }
    // A label column with events is the same hole.
    let flat = write(
        d,
        "flat.csv",
        "lead_id,created_at,title,won\nL1,2025-01-01 00:00:00,CEO,1\nL2,2025-01-02 00:00:00,VP,0\n",
    );
    let mut c = TrainConfig::new(&flat);
    c.label = Some("won".into());
    c.events = Some(events.clone());
    let e = train(&c).unwrap_err().to_string();
    assert!(
        e.contains("the label column `won`") && e.contains("--allow-untimed-conversions"),
        "{e}"
    );
    // With the flag, the assembly accepts it and the report says what it risks.
    let read = ReadOptions::default();
    let table = read_table(&leads, &read).unwrap();
    let parsed = FeatureSpec::from_toml(SPEC, "spec.toml").unwrap();
    let a = assemble(&AssemblyInputs {
        events: Some(&events),
        outcomes: Some(&untimed),
        allow_untimed_conversions: true,
        ..AssemblyInputs::new(&table, &parsed, &read)
    })
    .unwrap();
    assert_eq!(a.report.untimed_conversions, 3);
}

/// An event type logged by sales just before a deal closes leaks the label: the leakage check
/// flags it by name, as it flags a column.
#[test]
fn an_event_type_that_alone_predicts_the_outcome_is_flagged_as_leakage() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mut leads, mut events, mut outcomes) = (
        String::from("lead_id,created_at,title\n"),
        String::from("lead_id,event_type,occurred_at\n"),
        String::from("lead_id,converted_at\n"),
    );
    let titles = [
        "CEO",
        "Engineer",
        "Marketing Manager",
        "Director",
        "Analyst",
    ];
    for i in 0..600u32 {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 6;
        let id = format!("L{i:04}");
        let _ = std::fmt::Write::write_fmt(
            &mut leads,
            format_args!(
                "{id},2025-{month:02}-{day:02} 09:00:00,{}\n",
                titles[(i % 5) as usize]
            ),
        );
        // Everyone browses; a third convert 20 days in, after sales logged a contract.
        let _ = std::fmt::Write::write_fmt(
            &mut events,
            format_args!("{id},page_view,2025-{month:02}-{day:02} 10:00:00\n"),
        );
        if (i * 7919) % 3 == 0 {
            let _ = std::fmt::Write::write_fmt(
                &mut events,
                format_args!("{id},contract_sent,2025-{month:02}-{day:02} 12:00:00\n"),
            );
            let (m, dd) = if day + 20 > 28 {
                (month + 1, day + 20 - 28)
            } else {
                (month, day + 20)
            };
            let _ = std::fmt::Write::write_fmt(
                &mut outcomes,
                format_args!("{id},2025-{m:02}-{dd:02} 09:00:00\n"),
            );
        }
    }
    let _ = std::fmt::Write::write_str(&mut events, "L0001,page_view,2025-12-31 00:00:00\n");
    let spec = write(
        d,
        "spec.toml",
        "format_version = 1\nid = \"lead_id\"\n[time]\nobservation_days = 1\n[events]\n\
         [[columns]]\nname = \"title\"\ntransform = \"job_title\"\n",
    );
    let mut c = TrainConfig::new(write(d, "leads.csv", &leads));
    c.spec = Some(spec);
    c.events = Some(write(d, "events.csv", &events));
    c.outcomes = Some(write(d, "outcomes.csv", &outcomes));
    c.fit.folds = 3;
    c.fit.alphas = vec![1.0];
    let outcome = train(&c).unwrap();
    let flags: Vec<&str> = outcome
        .artifact
        .leakage
        .iter()
        .map(|l| l.column.as_str())
        .collect();
    assert_eq!(
        flags,
        ["events: contract_sent"],
        "{:?}",
        outcome.artifact.leakage
    );
    assert!(
        outcome
            .artifact
            .provenance
            .warnings
            .iter()
            .any(|w| w.contains("event type `contract_sent` looks like leakage")),
        "{:?}",
        outcome.artifact.provenance.warnings
    );
}

/// Outcomes recorded only up to a date (an export of conversions that stopped early) leave
/// the time split's holdout, the latest examples, with no conversion: the error says which
/// side lacks one and what would help, where it said "too few leads of one class" of a table
/// with hundreds of conversions.
#[test]
fn a_time_split_without_conversions_in_the_holdout_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("data/demo/outcomes.csv")).unwrap();
    let mut lines = text.lines();
    let mut early = format!("{}\n", lines.next().unwrap());
    for l in lines.filter(|l| l.split(',').nth(1).is_some_and(|t| t < "2025-05-01")) {
        early.push_str(l);
        early.push('\n');
    }
    let outcomes = dir.path().join("outcomes.csv");
    std::fs::write(&outcomes, early).unwrap();
    let mut c = TrainConfig::new(repo("data/demo/leads.csv"));
    c.spec = Some(repo("data/demo/spec.toml"));
    c.events = Some(repo("data/demo/events.csv"));
    c.outcomes = Some(outcomes);
    c.split = SplitKind::Time;
    let e = train(&c).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("the split left a side without both classes")
            && e.contains("the holdout 0 of")
            && e.contains("--split random"),
        "{e}"
    );
}
