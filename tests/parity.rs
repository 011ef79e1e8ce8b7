//! The two featurizers agree: every lead of a real file, featurized by the polars pipeline
//! (`leadscore-train`) and per lead (`leadscore-core`, the path the server uses), gives the same
//! features within 1e-9, and the same score. The per-lead side reads the files with an
//! independent CSV parser and computes `as_of` itself. The flat models are trained with pairs
//! (interaction terms over numeric, categorical, boolean, email and job-title columns), so
//! their cell features are compared too. A generated file covers the multi-select transform,
//! which neither real file has, and the demo file rewritten with Unix milliseconds a timestamp
//! column of them.

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::{FittedTransform, LeadEvent};
use leadscore_core::pairs::PairCount;
use leadscore_core::value::parse_timestamp;
use leadscore_train::assemble::featurize_with_events;
use leadscore_train::featurize::{featurize_table, unseen_values};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use std::path::Path;

fn assert_rows_agree(artifact: &ModelArtifact, row: usize, per_lead: &[f64], vectorized: &[f64]) {
    let names = artifact.spec.features();
    for (j, (a, b)) in per_lead.iter().zip(vectorized).enumerate() {
        assert!(
            (a - b).abs() <= 1e-9,
            "lead {row} feature `{}`: per lead {a}, polars {b}",
            names[j].name
        );
    }
    let (s1, s2) = (
        artifact.model.score(per_lead),
        artifact.model.score(vectorized),
    );
    assert!((s1 - s2).abs() <= 1e-9, "lead {row}: score {s1} vs {s2}");
}

/// Asserts that every row of `data` agrees both ways; returns how many rows have a number
/// outside its column's training range (scored as the nearest training value by both sides).
fn assert_flat_parity(artifact: &ModelArtifact, data: &Path) -> u64 {
    let read = ReadOptions {
        missing_tokens: artifact.spec.missing_tokens.clone(),
        ..ReadOptions::default()
    };
    let table = read_table(data, &read).unwrap();
    let matrix = featurize_table(&artifact.spec, &table, None).unwrap();
    let leads = common::csv_rows(data);
    assert_eq!(leads.len(), matrix.rows, "both readers see every row");
    for (i, lead) in leads.iter().enumerate() {
        let per_lead = artifact.spec.featurize(lead, None).unwrap();
        assert_rows_agree(artifact, i + 1, &per_lead, &matrix.row(i));
    }
    let rows: Vec<usize> = (0..matrix.rows).collect();
    unseen_values(&artifact.spec, &table, &rows, None)
        .unwrap()
        .iter()
        .filter(|u| u.scored_as == FittedTransform::NEAREST)
        .map(|u| u.leads)
        .sum()
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
    config.pairs = Some(PairCount::Fixed(8));
    let outcome = train(&config).unwrap();
    assert_eq!(outcome.artifact.spec.pairs.len(), 8);
    let outside = assert_flat_parity(&outcome.artifact, &common::x_education());
    // Holdout leads beyond the training split's range: the clamp is compared too.
    assert!(outside > 0, "no number outside the training range");
}

#[test]
fn flat_demo_every_row_agrees() {
    // Timestamps, email domains and job titles: the transforms X Education does not have.
    let mut config = TrainConfig::new(common::repo("data/demo-leads.csv"));
    // The demo spec with pairs over every kind of column: email class, job-title seniority, a
    // log1p number with missing values, a boolean, categories (named), and the best two others.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.toml");
    let text = std::fs::read_to_string(common::repo("data/demo-spec.toml")).unwrap();
    std::fs::write(
        &spec,
        format!(
            "{text}\n[pairs]\ncount = 2\ninclude = [[\"email\", \"job_title\"], \
             [\"company_size\", \"webinar_attended\"], [\"industry\", \"pricing_page_visits\"]]\n"
        ),
    )
    .unwrap();
    config.spec = Some(spec);
    let outcome = train(&config).unwrap();
    assert!(outcome.artifact.spec.pairs.len() >= 3);
    assert_flat_parity(&outcome.artifact, &common::repo("data/demo-leads.csv"));
}

#[test]
fn sum_columns_every_row_agrees() {
    // A `sum_of` column the file does not have (company size, with missing values, plus
    // pricing-page visits), binned and paired: added up by polars in training and per lead
    // when serving, the same bits; its factor names the lead's own sum.
    let data = common::repo("data/demo-leads.csv");
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.toml");
    let text = std::fs::read_to_string(common::repo("data/demo-spec.toml")).unwrap();
    let with_sum = format!(
        "{text}\n[[columns]]\nname = \"size_and_visits\"\ntransform = \"numeric\"\nbins = 4\n\
         sum_of = [\"company_size\", \"pricing_page_visits\"]\n\n[pairs]\ncount = 0\n\
         include = [[\"size_and_visits\", \"industry\"]]\n"
    );
    std::fs::write(&spec, &with_sum).unwrap();
    let mut config = TrainConfig::new(&data);
    config.spec = Some(spec.clone());
    let outcome = train(&config).unwrap();
    let artifact = &outcome.artifact;
    assert_eq!(
        artifact.format_version, 9,
        "a model with a sum column is format 9"
    );
    let k = artifact
        .spec
        .columns
        .iter()
        .position(|c| c.name == "size_and_visits")
        .unwrap();
    let parts: Vec<&str> = artifact.spec.columns[k]
        .sum_of
        .iter()
        .map(|&i| artifact.spec.columns[i].name.as_str())
        .collect();
    assert_eq!(parts, ["company_size", "pricing_page_visits"]);
    assert_eq!(artifact.spec.pairs.len(), 1);
    assert_flat_parity(artifact, &data);
    // The factor names the lead's sum (row 1: 1984 employees and 1 visit), or says it is
    // missing when a part is (row 2 has no company size).
    let leads = common::csv_rows(&data);
    let groups = leadscore_core::explain::factor_groups(&artifact.spec);
    let group = groups.iter().find(|g| g.name == "size_and_visits").unwrap();
    let said = |lead: &std::collections::HashMap<String, String>| {
        let values: Vec<leadscore_core::value::FieldValue<'_>> = artifact
            .spec
            .columns
            .iter()
            .map(|c| {
                lead.get(&c.name)
                    .map_or(leadscore_core::value::FieldValue::Missing, |v| {
                        leadscore_core::value::FieldValue::Text(v)
                    })
            })
            .collect();
        leadscore_core::explain::describe_row(&artifact.spec, group, &values, &[], None)
    };
    assert_eq!(said(&leads[0]), "size_and_visits = 1985");
    assert!(said(&leads[1]).contains("missing"), "{}", said(&leads[1]));
    // An artifact that says an older format is refused: a build that reads only up to 8
    // would score the column as always missing.
    let mut json: serde_json::Value = serde_json::to_value(artifact).unwrap();
    json["format_version"] = 8.into();
    let e = ModelArtifact::from_json(&json.to_string(), "m.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs format_version 9"), "{e}");
    // A file that has a column of the sum's name: which one to read would be a guess.
    let csv = std::fs::read_to_string(&data).unwrap();
    let mut lines = csv.lines();
    let mut clash = format!("{},size_and_visits\n", lines.next().unwrap());
    for l in lines {
        clash.push_str(&format!("{l},1\n"));
    }
    let clash_path = dir.path().join("clash.csv");
    std::fs::write(&clash_path, clash).unwrap();
    let mut config = TrainConfig::new(&clash_path);
    config.spec = Some(spec);
    let e = train(&config).err().unwrap().to_string();
    assert!(
        e.contains("size_and_visits") && e.contains("the file has a column of that name"),
        "{e}"
    );
}

#[test]
fn multi_select_every_row_agrees() {
    // Several options in one value (`Pricing; Webinars;`), in any order, with a rare option
    // (`other`) and values that select none (`;`): inferred as multi_select, then both sides.
    let dir = tempfile::tempdir().unwrap();
    let data = common::write_multi_select_leads(dir.path());
    let mut config = TrainConfig::new(&data);
    config.label = Some("converted".into());
    config.id = Some("lead_id".into());
    let outcome = train(&config).unwrap();
    let multi = outcome
        .artifact
        .spec
        .columns
        .iter()
        .find(|c| matches!(c.transform, FittedTransform::MultiSelect { .. }));
    assert_eq!(multi.map(|c| c.name.as_str()), Some("interests"));
    assert_flat_parity(&outcome.artifact, &data);
}

#[test]
fn unix_time_columns_every_row_agrees_and_train_as_their_dates() {
    // The flat demo file with `created_at` written as Unix milliseconds, as a CRM's API
    // exports `createdate`: `init` makes it a timestamp column (not an identifier), training
    // gives the weights the dates as text give, and both featurizers read the digits alike.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo("data/demo-leads.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("lead_id,created_at,"));
    let mut unix = format!("{header}\n");
    for line in lines {
        let (id, rest) = line.split_once(',').unwrap();
        let (created, rest) = rest.split_once(',').unwrap();
        let t = parse_timestamp(created).unwrap();
        unix.push_str(&format!("{id},{}{:03},{rest}\n", t, t.rem_euclid(997)));
    }
    let data = dir.path().join("unix-leads.csv");
    std::fs::write(&data, unix).unwrap();

    let table = read_table(&data, &ReadOptions::default()).unwrap();
    let inferred = leadscore_train::infer::infer_spec(
        &table,
        &leadscore_train::infer::InferOptions {
            label: Some("converted".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let created = inferred
        .spec
        .columns
        .iter()
        .position(|c| c.name == "created_at");
    let created = created.expect("created_at in the inferred spec");
    assert_eq!(
        inferred.spec.columns[created].transform,
        leadscore_core::spec::TransformKind::Timestamp,
        "{}",
        inferred.reasons[created]
    );
    assert!(
        inferred.reasons[created].contains("Unix milliseconds (2025-01-01 to "),
        "{}",
        inferred.reasons[created]
    );

    let trained = |path: &Path| {
        let mut config = TrainConfig::new(path);
        config.spec = Some(common::repo("data/demo-spec.toml"));
        train(&config).unwrap().artifact
    };
    let (as_text, as_unix) = (
        trained(&common::repo("data/demo-leads.csv")),
        trained(&data),
    );
    assert_eq!(as_text.model.features.len(), as_unix.model.features.len());
    for (a, b) in as_text.model.features.iter().zip(&as_unix.model.features) {
        assert_eq!(a.name, b.name);
        assert!(
            (a.weight - b.weight).abs() <= 1e-9,
            "{}: {} vs {}",
            a.name,
            a.weight,
            b.weight
        );
    }
    assert_flat_parity(&as_unix, &data);

    // The same file writing `0` for every ninth lead's time (an unset date): missing in both
    // featurizers alike, without a `0` missing token.
    let zeros: String = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| match (i, line.split_once(',')) {
            (i, Some((id, rest))) if i > 0 && i % 9 == 0 => {
                format!("{id},0,{}\n", rest.split_once(',').unwrap().1)
            }
            _ => format!("{line}\n"),
        })
        .collect();
    let data = dir.path().join("unix-zeros.csv");
    std::fs::write(&data, zeros).unwrap();
    let with_zeros = trained(&data);
    assert!(with_zeros.spec.missing_tokens.iter().all(|t| t != "0"));
    let created = with_zeros
        .spec
        .columns
        .iter()
        .find(|c| c.name == "created_at");
    assert!(
        matches!(
            created.map(|c| &c.transform),
            Some(FittedTransform::Timestamp {
                missing_indicator: true,
                ..
            })
        ),
        "{created:?}"
    );
    assert_flat_parity(&with_zeros, &data);
}

#[test]
fn demo_events_every_landmark_example_agrees_with_the_committed_model() {
    let artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    let assembled = common::demo_assembled(&common::repo("data/demo/events.csv"));
    let held = events_parity(&artifact, &assembled);
    assert!(held.rows.is_empty(), "a model without maxima holds nothing");
}

/// The committed model with event maxima (format 10) set at half of what its examples reach,
/// days since the last event held too (format 11): the examples past them held to them alike
/// by the polars path and per lead.
#[test]
fn event_counts_past_the_training_maxima_are_held_alike_on_both_paths() {
    let mut artifact = ModelArtifact::load(&common::repo("models/demo.json")).unwrap();
    let assembled = common::demo_assembled(&common::repo("data/demo/events.csv"));
    let offset = artifact.spec.columns_width();
    let matrix = featurize_with_events(
        &artifact.spec,
        &assembled.table,
        Some(&assembled.as_of),
        assembled.events.as_ref(),
    )
    .unwrap();
    let rows: Vec<usize> = (0..matrix.rows).collect();
    let events = artifact.spec.events.as_mut().unwrap();
    events.max = leadscore_train::assemble::event_maxima(events, &matrix, offset, &rows)
        .iter()
        .map(|m| m / 2.0)
        .collect();
    // Days since each type's last event held too (format 11), at half the longest too.
    events.days_since_held = true;
    artifact.format_version = 11;
    artifact.model_id = artifact.compute_id();
    artifact.validate().unwrap();
    let mut ten = artifact.clone();
    ten.format_version = 10;
    ten.model_id = ten.compute_id();
    let e = ten.validate().unwrap_err();
    assert!(e.contains("needs format_version 11"), "{e}");
    // An older format with maxima is refused: a build that reads only up to 9 would ignore
    // them.
    let mut old = artifact.clone();
    old.format_version = 9;
    old.model_id = old.compute_id();
    let e = old.validate().unwrap_err();
    assert!(e.contains("needs format_version 10"), "{e}");
    let held = events_parity(&artifact, &assembled);
    assert!(
        held.rows.len() > matrix.rows / 20,
        "{} of {} examples held",
        held.rows.len(),
        matrix.rows
    );
}

/// Every landmark example of the demo tables (`assembled`): the polars path's features against
/// the per-lead path's, bit for bit; the examples the polars path held to the event maxima.
fn events_parity(
    artifact: &ModelArtifact,
    assembled: &leadscore_train::assemble::Assembled,
) -> leadscore_train::assemble::EventsAbove {
    assert!(
        artifact.spec.events.is_some(),
        "the demo model has event features"
    );
    let events_path = common::repo("data/demo/events.csv");
    let (matrix, held) = leadscore_train::assemble::featurize_noting_above(
        &artifact.spec,
        &assembled.table,
        Some(&assembled.as_of),
        assembled.events.as_ref(),
    )
    .unwrap();
    let leads = common::csv_rows(&common::repo("data/demo/leads.csv"));
    let events = common::events_by_lead(&events_path);
    let no_events = Vec::new();
    // One example per lead and landmark (data/demo/spec.toml), lead age a feature.
    assert!(assembled.source_rows.len() > 20_000);
    const LANDMARKS: [i64; 8] = [0, 1, 3, 7, 14, 30, 60, 90];
    for (k, &row) in assembled.source_rows.iter().enumerate() {
        let lead = &leads[row];
        // as_of checked here, independently: created_at + one of the landmark ages.
        let as_of = assembled.as_of[k];
        let age = as_of - parse_timestamp(&lead["created_at"]).unwrap();
        assert!(
            LANDMARKS.iter().any(|d| d * 86_400 == age),
            "example {k}: as_of is {age} s after created_at"
        );
        let lead_events: Vec<LeadEvent<'_>> = events
            .get(&lead["lead_id"])
            .unwrap_or(&no_events)
            .iter()
            .map(|(t, at)| LeadEvent {
                event_type: t,
                occurred_at: *at,
            })
            .collect();
        let mut per_lead = vec![0.0; artifact.spec.width()];
        artifact
            .spec
            .featurize_with_events_into(lead, &lead_events, Some(as_of), &mut per_lead)
            .unwrap();
        assert_rows_agree(artifact, row + 1, &per_lead, &matrix.row(k));
    }
    held
}
