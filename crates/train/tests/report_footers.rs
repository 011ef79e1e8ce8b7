//! A report export's footer in the events or outcomes file of three-table training is left
//! out and said, as in the leads file: the model's warnings name each file's footer (it was
//! dropped without a word), and the model is the one the files without footers train. So are
//! a report's title lines above the header, in every table (they failed the file as ragged,
//! or, padded to the table's width as a spreadsheet saves them, became its header).

use leadscore_train::pipeline::{train, TrainConfig};
use std::path::{Path, PathBuf};

const FOOTER: &str = "\n\"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\"\n\
                      \"Confidential Information - Do Not Distribute\"\n";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// `with` is the model the demo files as committed train.
fn assert_same_as_the_plain_files(with: &leadscore_core::artifact::ModelArtifact) {
    let without = train(&config(
        repo("data/demo/events.csv"),
        repo("data/demo/outcomes.csv"),
    ))
    .unwrap()
    .artifact;
    assert_eq!(with.model, without.model);
    assert_eq!(with.evaluation, without.evaluation);
}

fn config(events: PathBuf, outcomes: PathBuf) -> TrainConfig {
    let mut c = TrainConfig::new(repo("data/demo/leads.csv"));
    c.spec = Some(repo("data/demo/spec.toml"));
    c.events = Some(events);
    c.outcomes = Some(outcomes);
    c
}

#[test]
fn footers_of_the_events_and_outcomes_files_are_named_in_the_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |name: &str| {
        let text = std::fs::read_to_string(repo(&format!("data/demo/{name}"))).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{text}{FOOTER}")).unwrap();
        path
    };
    let (events, outcomes) = (copy("events.csv"), copy("outcomes.csv"));
    let with = train(&config(events, outcomes)).unwrap().artifact;
    let warnings = with.provenance.warnings.join("\n");
    for name in ["events.csv", "outcomes.csv"] {
        assert!(
            warnings.contains(&format!("{name}: left out the last 2 lines after row")),
            "{name}: {warnings}"
        );
    }
    assert_same_as_the_plain_files(&with);
}

#[test]
fn title_lines_above_the_header_are_left_out_in_every_table() {
    let dir = tempfile::tempdir().unwrap();
    // A spreadsheet's title padded to the table's width, a quoted one with an empty line, and
    // one in Windows-1252 (`ü`) above UTF-8-free rows, with a footer below.
    let titled = |name: &str, title: &dyn Fn(usize) -> Vec<u8>| {
        let text = std::fs::read_to_string(repo(&format!("data/demo/{name}"))).unwrap();
        let width = text.lines().next().unwrap().split(',').count();
        let mut bytes = title(width);
        bytes.extend_from_slice(text.as_bytes());
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let leads = titled("leads.csv", &|w| {
        format!(
            "Leads Report{}\nGenerated 2025-12-01 by Ana{}\n{}\n",
            ",".repeat(w - 1),
            ",".repeat(w - 1),
            ",".repeat(w - 1)
        )
        .into_bytes()
    });
    let events = titled("events.csv", &|_| b"\"Engagement events\"\n\n".to_vec());
    let outcomes = titled("outcomes.csv", &|_| {
        b"Conversions \xfcber alle Leads\n".to_vec()
    });
    let mut c = config(events, outcomes.clone());
    c.data = leads;
    let with = train(&c).unwrap().artifact;
    let warnings = with.provenance.warnings.join("\n");
    for (name, lines, title) in [
        ("leads.csv", "3 lines", "Leads Report"),
        ("events.csv", "2 lines", "Engagement events"),
        ("outcomes.csv", "line", "Conversions über alle Leads"),
    ] {
        let said = format!(
            "{name}: left out the first {lines} above the header (a report's title, such as \
             {title:?}), not data"
        );
        assert!(warnings.contains(&said), "{said}: {warnings}");
    }
    // The title's `ü` is the only byte that is not UTF-8: the rows are read as written.
    assert!(!warnings.contains("is not UTF-8"), "{warnings}");
    assert_same_as_the_plain_files(&with);
}
