//! A report export's footer in the events or outcomes file of three-table training is left
//! out and said, as in the leads file: the model's warnings name each file's footer (it was
//! dropped without a word), and the model is the one the files without footers train.

use leadscore_train::pipeline::{train, TrainConfig};
use std::path::{Path, PathBuf};

const FOOTER: &str = "\n\"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\"\n\
                      \"Confidential Information - Do Not Distribute\"\n";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
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
    let without = train(&config(
        repo("data/demo/events.csv"),
        repo("data/demo/outcomes.csv"),
    ))
    .unwrap()
    .artifact;
    assert_eq!(with.model, without.model);
    assert_eq!(with.evaluation, without.evaluation);
}
