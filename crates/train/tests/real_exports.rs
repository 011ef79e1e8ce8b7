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
    assert!(
        a.evaluation.roc_auc.unwrap() > 0.8,
        "{}",
        a.evaluation.roc_auc.unwrap()
    );
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
        assert_eq!(
            a.evaluation.roc_auc.unwrap(),
            base.evaluation.roc_auc.unwrap(),
            "{data:?}"
        );
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

/// A CRM export whose dates carry the month's name: `Created Date` as a report writes it
/// (`Nov 24, 2023 10:00 AM`) and `Last Email` as a mail header (`Fri, 24 Nov 2023 10:00:00
/// +0000`). `init` reads both as dates (they were free text) and the model trained on them
/// scores each lead from that text as the server reads it, the same features as training.
#[test]
fn dates_with_the_month_name_are_dates_from_init_to_the_served_features() {
    use leadscore_core::fitted::FittedTransform;
    use leadscore_core::spec::TransformKind;
    use leadscore_train::infer::{infer_spec, InferOptions};
    use leadscore_train::load::{read_table, ReadOptions};

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SeededRng::new(5);
    let mut csv = String::from("id,Created Date,Last Email,converted\n");
    let now = 1_700_000_000_i64;
    let (mut rows, mut moments) = (Vec::new(), Vec::new());
    for i in 0..1500 {
        let age_days = (rng.uniform() * 300.0).floor() as i64;
        let created = now - age_days * 86_400 - (rng.uniform() * 40_000.0) as i64;
        let last = created + (rng.uniform() * 20.0 * 86_400.0) as i64;
        let y = rng.bernoulli(sigmoid(1.0 - age_days as f64 / 60.0));
        let (y1, m1, d1) = civil(created);
        let (h, min) = (
            created.rem_euclid(86_400) / 3600,
            created.rem_euclid(3600) / 60,
        );
        let (half, h12) = (if h < 12 { "AM" } else { "PM" }, (h + 11) % 12 + 1);
        let created_text = format!("{} {d1}, {y1} {h12}:{min:02} {half}", MONTHS[m1 - 1]);
        let (y2, m2, d2) = civil(last);
        let secs = last.rem_euclid(86_400);
        let last_text = format!(
            "{}, {d2:02} {} {y2} {:02}:{:02}:{:02} +0000",
            DAYS[last.div_euclid(86_400).rem_euclid(7) as usize],
            MONTHS[m2 - 1],
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        let _ = writeln!(
            csv,
            "L{i},\"{created_text}\",\"{last_text}\",{}",
            if y { "yes" } else { "no" }
        );
        rows.push((created_text, last_text));
        moments.push((created, last));
    }
    let data = dir.path().join("crm.csv");
    std::fs::write(&data, csv).unwrap();
    let table = read_table(&data, &ReadOptions::default()).unwrap();
    let inferred = infer_spec(
        &table,
        &InferOptions {
            label: Some("converted".into()),
            id: Some("id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap();
    for name in ["Created Date", "Last Email"] {
        let c = inferred
            .spec
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap();
        assert_eq!(
            c.transform,
            TransformKind::Timestamp,
            "{name}: {:?}",
            inferred.reasons
        );
    }
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, toml::to_string(&inferred.spec).unwrap()).unwrap();
    let mut c = config(&data);
    c.label = Some("converted".into());
    c.spec = Some(spec_path);
    let out = train(&c).unwrap();
    let a = &out.artifact;
    assert!(
        a.spec
            .columns
            .iter()
            .any(|c| matches!(c.transform, FittedTransform::Timestamp { .. })),
        "{:?}",
        a.spec.columns
    );
    // Recency drives the label: the model finds it (a date read as text would not).
    assert!(
        a.evaluation.roc_auc.unwrap() > 0.75,
        "{}",
        a.evaluation.roc_auc.unwrap()
    );
    // Each lead's text featurized as the server does reads as the same moment written in
    // ISO 8601 (a date it could not read would be an error naming the column).
    for ((created, last), (c_at, l_at)) in rows.iter().zip(&moments).take(200) {
        let iso = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
        let named: std::collections::HashMap<String, String> = [
            ("Created Date".to_string(), created.clone()),
            ("Last Email".to_string(), last.clone()),
        ]
        .into();
        let written: std::collections::HashMap<String, String> = [
            ("Created Date".to_string(), iso(*c_at - *c_at % 60)),
            ("Last Email".to_string(), iso(*l_at)),
        ]
        .into();
        assert_eq!(
            a.spec.featurize(&named, Some(now)).unwrap(),
            a.spec.featurize(&written, Some(now)).unwrap(),
            "{created} / {last}"
        );
    }

    /// (year, month, day) of Unix seconds.
    fn civil(t: i64) -> (i64, usize, i64) {
        let d = chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
        use chrono::Datelike;
        (i64::from(d.year()), d.month() as usize, i64::from(d.day()))
    }
}
