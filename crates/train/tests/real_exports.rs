//! Shapes of real exports that used to fail, found by running `train`, `evaluate` and `score`
//! over several hundred public tables: an amount in millions (its odds ratio per unit overflows
//! and the model written could not be read back), a label spelled in mixed case and blank
//! lines after the last record.

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::model::sigmoid;
use leadscore_core::rng::SeededRng;
use leadscore_train::pipeline::{train, TrainConfig};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// 3,000 customers: `balance` in millions (0 to 0.003) drives the label strongly, `age` is
/// noise. `label(y)` spells the outcome.
fn customers(dir: &Path, name: &str, label: impl Fn(usize, bool) -> String) -> PathBuf {
    let mut rng = SeededRng::new(17);
    let mut csv = String::from("id,balance,age,default\n");
    for i in 0..3000 {
        let balance = rng.uniform() * 0.003;
        let age = 20.0 + (rng.uniform() * 50.0).floor();
        let y = rng.bernoulli(sigmoid(-4.0 + 4000.0 * balance));
        let _ = writeln!(csv, "C{i},{balance:.7},{age},{}", label(i, y));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

fn config(data: &Path) -> TrainConfig {
    let mut c = TrainConfig::new(data);
    c.label = Some("default".into());
    c.positive = vec!["yes".into()];
    c.id = Some("id".into());
    c
}

#[test]
fn an_amount_in_millions_gives_a_model_that_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = customers(dir.path(), "c.csv", |_, y| {
        (if y { "yes" } else { "no" }).into()
    });
    let out = train(&config(&data)).unwrap();
    let a = &out.artifact;
    assert!(a.evaluation.roc_auc > 0.8, "{}", a.evaluation.roc_auc);
    // A unit of `balance` is hundreds of its standard deviations: its odds ratio per unit is
    // beyond f64, written as null and read back as infinity.
    let balance = a
        .model
        .features
        .iter()
        .find(|f| f.name == "balance")
        .unwrap();
    assert!(balance.odds_ratio.is_infinite(), "{balance:?}");
    let path = dir.path().join("m.json");
    a.write_atomic(&path).unwrap();
    let back = ModelArtifact::load(&path).unwrap();
    assert_eq!(back.model_id, a.model_id);
    assert_eq!(back.model.features, a.model.features);
}

#[test]
fn a_label_in_mixed_case_and_blank_lines_at_the_end_train_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let plain = customers(dir.path(), "plain.csv", |_, y| {
        (if y { "yes" } else { "no" }).into()
    });
    let spellings = [["Yes", "No"], ["YES", "NO"], ["yes", "no"]];
    let mixed = customers(dir.path(), "mixed.csv", |i, y| {
        spellings[i % 3][usize::from(!y)].into()
    });
    // The same file with blank lines after the last record, as editors and exports leave them.
    let blank = dir.path().join("blank.csv");
    let mut text = std::fs::read_to_string(&plain).unwrap();
    text.push_str("\n\n");
    std::fs::write(&blank, text).unwrap();

    let base = train(&config(&plain)).unwrap().artifact;
    for data in [&mixed, &blank] {
        let a = train(&config(data)).unwrap().artifact;
        assert_eq!(
            a.provenance.train_rows, base.provenance.train_rows,
            "{data:?}"
        );
        assert_eq!(a.evaluation.roc_auc, base.evaluation.roc_auc, "{data:?}");
    }
}

#[test]
fn repeated_ids_in_a_flat_file_are_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Rows 3000 and 3001 repeat the ids of rows 1 and 2 (a join that doubled some leads).
    let data = customers(dir.path(), "dup.csv", |_, y| {
        (if y { "yes" } else { "no" }).into()
    });
    let mut text = std::fs::read_to_string(&data).unwrap();
    let copies: Vec<String> = text.lines().skip(1).take(2).map(str::to_string).collect();
    for line in copies {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&data, text).unwrap();
    let a = train(&config(&data)).unwrap().artifact;
    let w: Vec<&String> = a
        .provenance
        .warnings
        .iter()
        .filter(|w| w.contains("repeat an id"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", a.provenance.warnings);
    assert!(
        w[0].starts_with("2 rows repeat an id (first: row 3001, id \"C0\", seen at row 1)"),
        "{}",
        w[0]
    );
    let clean = customers(dir.path(), "clean.csv", |_, y| {
        (if y { "yes" } else { "no" }).into()
    });
    let b = train(&config(&clean)).unwrap().artifact;
    assert!(b
        .provenance
        .warnings
        .iter()
        .all(|w| !w.contains("repeat an id")));
}
