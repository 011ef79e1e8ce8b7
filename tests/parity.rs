//! The two featurizers agree: every row of a real file, featurized by the polars pipeline
//! (`leadscore-train`) and per lead (`leadscore-core`, the path the server uses), gives the same
//! features within 1e-9, and the same score.

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_train::featurize::featurize_table;
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use std::path::Path;

fn assert_parity(artifact: &ModelArtifact, data: &Path) {
    let read = ReadOptions {
        missing_tokens: artifact.spec.missing_tokens.clone(),
        ..ReadOptions::default()
    };
    let table = read_table(data, &read).unwrap();
    let matrix = featurize_table(&artifact.spec, &table, None).unwrap();
    let leads = common::csv_rows(data);
    assert_eq!(leads.len(), matrix.rows, "both readers see every row");
    let names = artifact.spec.features();
    for (i, lead) in leads.iter().enumerate() {
        let per_lead = artifact.spec.featurize(lead, None).unwrap();
        let vectorized = matrix.row(i);
        for (j, (a, b)) in per_lead.iter().zip(&vectorized).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9,
                "row {} feature `{}`: per lead {a}, polars {b}",
                i + 1,
                names[j].name
            );
        }
        let (s1, s2) = (
            artifact.model.score(&per_lead),
            artifact.model.score(&vectorized),
        );
        assert!((s1 - s2).abs() <= 1e-9, "row {}: score {s1} vs {s2}", i + 1);
    }
}

#[test]
fn x_education_every_row_agrees() {
    let mut config = TrainConfig::new(common::x_education());
    config.label = Some("Converted".into());
    config.id = Some("Prospect ID".into());
    config.exclude = common::X_EDUCATION_EXCLUDED
        .iter()
        .map(|s| s.to_string())
        .collect();
    let outcome = train(&config).unwrap();
    assert_parity(&outcome.artifact, &common::x_education());
}

#[test]
fn demo_data_every_row_agrees_with_the_committed_model() {
    // Timestamps, email domains and job titles: the transforms X Education does not have.
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    assert_parity(&artifact, &common::repo("data/demo-leads.csv"));
}
