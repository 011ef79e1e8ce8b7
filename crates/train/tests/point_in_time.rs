//! Point-in-time rules on a small hand-made export whose every count is known.

use leadscore_core::spec::FeatureSpec;
use leadscore_core::value::parse_timestamp;
use leadscore_train::assemble::{assemble, AssemblyInputs};
use leadscore_train::load::{read_table, ReadOptions};

const SPEC: &str = r#"
format_version = 1
id = "lead_id"
[time]
observation_days = 7
horizon_days = 90
[events]
[[columns]]
name = "title"
transform = "job_title"
"#;

// as_of = created_at + 7 days. The data ends 2025-12-20 (the latest event).
const LEADS: &str = "lead_id,created_at,title
L1,2025-01-01 00:00:00,CEO
L2,2025-01-01 00:00:00,VP Sales
L3,2025-01-01 00:00:00,Engineer
L4,2025-01-02 00:00:00,Director
L5,2025-12-01 00:00:00,Student
L6,2025-03-01T10:00:00Z,Manager
";
// L1 converts inside the horizon; L2 before its as_of; L4 after its horizon; L5 is too recent
// (censored); L6 converts inside; L9 is not a lead.
const CLOSED_DEALS: &str = "lead_id,converted_at
L1,2025-02-01 00:00:00
L2,2025-01-05 00:00:00
L4,2025-06-01 00:00:00
L6,2025-04-01 00:00:00
L9,2025-04-01 00:00:00
";
const EVENTS: &str = "lead_id,event_type,occurred_at
L1,demo_request,2025-01-03 00:00:00
L1,demo_request,2025-01-20 00:00:00
L3,page_view,2025-01-02 00:00:00
L3,unsubscribe,2025-01-09 00:00:00
L6,page_view,2025-03-02 00:00:00
L7,page_view,2025-03-02 00:00:00
L5,page_view,2025-12-20 00:00:00
";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The three tables assembled with [`SPEC`].
fn assemble_three(
    leads: &std::path::Path,
    outcomes: &std::path::Path,
    events: &std::path::Path,
) -> leadscore_train::assemble::Assembled {
    let read = ReadOptions::default();
    let leads = read_table(leads, &read).unwrap();
    let spec = FeatureSpec::from_toml(SPEC, "spec.toml").unwrap();
    assemble(&AssemblyInputs {
        events: Some(events),
        outcomes: Some(outcomes),
        ..AssemblyInputs::new(&leads, &spec, &read)
    })
    .unwrap()
}

#[test]
fn closed_deals_export_censoring_and_early_converters() {
    let dir = tempfile::tempdir().unwrap();
    let leads_path = write(&dir, "leads.csv", LEADS);
    let outcomes = write(&dir, "outcomes.csv", CLOSED_DEALS);
    let events = write(&dir, "events.csv", EVENTS);
    let a = assemble_three(&leads_path, &outcomes, &events);
    let r = &a.report;
    assert_eq!(r.end_of_data, "2025-12-20T00:00:00Z");
    assert_eq!(
        (r.leads, r.used, r.censored, r.converted_before_as_of),
        (6, 4, 1, 1)
    );
    assert_eq!(r.outcomes_unknown_lead, 1, "L9");
    // Used, in file order: L1 (positive), L3, L4 (converted after the horizon), L6 (positive).
    assert_eq!(a.source_rows, vec![0, 2, 3, 5]);
    assert_eq!(a.labels, vec![true, false, false, true]);
    assert_eq!(a.as_of[0], parse_timestamp("2025-01-08").unwrap());
    assert_eq!(a.as_of[3], parse_timestamp("2025-03-08 10:00:00").unwrap());
    // Events: L1's second demo request and L3's unsubscribe come after as_of.
    assert_eq!(r.events, 7);
    assert_eq!(r.events_used, 3);
    assert_eq!(r.events_after_as_of, 2);
    assert_eq!(r.events_unknown_lead, 1, "L7");
    assert_eq!(r.repeated_events, 0);
}

/// Placeholder times (`9999-12-31` on a deal still open, an event in 2099, an outcome row of
/// another lead in 2099) do not set the end of the data: with them it was decades ahead,
/// nothing was censored, and L5's horizon counted as over. Counted, the first named.
/// A `converted` column holding only the positive value is a closed-deals export too.
#[test]
fn placeholder_times_and_other_leads_do_not_move_the_end_of_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let leads_path = write(&dir, "leads.csv", LEADS);
    let outcomes = write(
        &dir,
        "outcomes.csv",
        "lead_id,converted,converted_at
L1,1,2025-02-01 00:00:00
L2,1,2025-01-05 00:00:00
L4,1,2025-06-01 00:00:00
L6,1,2025-04-01 00:00:00
L9,1,2099-04-01 00:00:00
L3,1,9999-12-31 00:00:00
",
    );
    let events = write(
        &dir,
        "events.csv",
        &format!(
            "{EVENTS}L3,page_view,2099-01-01 00:00:00\nL8,page_view,2098-01-01 00:00:00\n\
             L1,demo_request,2025-01-03 00:00:00\n"
        ),
    );
    let a = assemble_three(&leads_path, &outcomes, &events);
    let r = &a.report;
    assert_eq!(r.end_of_data, "2025-12-20T00:00:00Z");
    assert_eq!((r.used, r.censored), (4, 1), "L5 stays censored");
    // L3's 2099 event and 9999 conversion, L9's 2099 outcome row (L8's event is not read:
    // not a lead).
    assert_eq!(r.future_times, 3);
    let first = r.first_future_time.as_deref().unwrap();
    assert!(
        first.contains("events.csv: occurred_at 2099-01-01T00:00:00Z"),
        "{first}"
    );
    // L1's demo request of 2025-01-03 twice: counted for a warning.
    assert_eq!(r.repeated_events, 1);
    // L3 converted in 9999: not within 90 days of its as_of.
    assert_eq!(a.labels, vec![true, false, false, true]);
}

#[test]
fn outcomes_with_a_converted_column_and_no_times() {
    let dir = tempfile::tempdir().unwrap();
    let leads_path = write(&dir, "leads.csv", LEADS);
    let outcomes = write(
        &dir,
        "outcomes.csv",
        "lead_id,converted\nL1,yes\nL2,no\nL3,yes\n",
    );
    let read = ReadOptions::default();
    let leads = read_table(&leads_path, &read).unwrap();
    let spec = FeatureSpec::from_toml(SPEC, "spec.toml").unwrap();
    let a = assemble(&AssemblyInputs {
        events: None,
        outcomes: Some(&outcomes),
        ..AssemblyInputs::new(&leads, &spec, &read)
    })
    .unwrap();
    // No conversion times: nobody converted before as_of; the data ends at the last creation
    // (2025-12-01), so leads created after 2025-08-26 are censored (L5).
    assert_eq!((a.report.used, a.report.censored), (5, 1));
    assert_eq!(a.labels, vec![true, false, true, false, false]);
}

#[test]
fn bad_times_and_duplicate_ids_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let read = ReadOptions::default();
    let spec = FeatureSpec::from_toml(SPEC, "spec.toml").unwrap();
    let outcomes = write(&dir, "outcomes.csv", CLOSED_DEALS);
    let run = |leads_text: &str, events_text: &str| {
        let leads = read_table(&write(&dir, "l.csv", leads_text), &read).unwrap();
        let events = write(&dir, "e.csv", events_text);
        assemble(&AssemblyInputs {
            events: Some(&events),
            outcomes: Some(&outcomes),
            ..AssemblyInputs::new(&leads, &spec, &read)
        })
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let e = run(&LEADS.replace("2025-01-02 00:00:00", "02/01/2025"), EVENTS);
    assert!(
        e.contains("l.csv") && e.contains("row 4") && e.contains("`created_at`"),
        "{e}"
    );
    let e = run(
        LEADS,
        &EVENTS.replace("2025-01-09 00:00:00", "last tuesday"),
    );
    assert!(
        e.contains("e.csv") && e.contains("row 4") && e.contains("`occurred_at`"),
        "{e}"
    );
    let e = run(&LEADS.replace("L3,", "L1,"), EVENTS);
    assert!(e.contains("row 3") && e.contains("appears again"), "{e}");
}
