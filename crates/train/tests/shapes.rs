//! The shape search on a wide table of short codes (`init` leaves codes with 3 to 9 distinct
//! values to it): the one code whose effect is a step is ranked first and gets bins of its own,
//! which lift the holdout ROC AUC over the same model with straight lines only; the served
//! (per-lead) scores equal training's holdout scores; the factors still sum exactly to the
//! log-odds; on a table whose codes act in straight lines no column
//! gets bins.

use leadscore_core::explain::{contributions, factor_groups};
use leadscore_core::fitted::FittedTransform;
use leadscore_core::model::{sigmoid, Scorer};
use leadscore_core::rng::SeededRng;
use leadscore_core::spec::{Bins, FeatureSpec};
use leadscore_train::infer::{infer_spec, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

const CODES: usize = 24;

/// 4,000 respondents, `CODES` answer codes 0-6 each. With `step`, code `q07` matters only at 4
/// (a policy level where buyers concentrate); `q01` and `q02` act in straight lines; the rest
/// are noise.
fn codes(dir: &Path, step: bool) -> PathBuf {
    let mut rng = SeededRng::new(if step { 5 } else { 6 });
    let mut csv = String::from("id");
    for k in 1..=CODES {
        let _ = write!(csv, ",q{k:02}");
    }
    csv.push_str(",converted\n");
    for i in 0..4000 {
        let q: Vec<usize> = (0..CODES).map(|_| rng.below(7)).collect();
        let mut z = -1.6 + 0.25 * q[0] as f64 - 0.2 * q[1] as f64;
        if step && q[6] == 4 {
            z += 2.0;
        }
        let y = rng.bernoulli(sigmoid(z));
        let _ = write!(csv, "R{i}");
        for v in &q {
            let _ = write!(csv, ",{v}");
        }
        let _ = writeln!(csv, ",{}", u8::from(y));
    }
    let path = dir.join(if step { "step.csv" } else { "lines.csv" });
    std::fs::write(&path, csv).unwrap();
    path
}

fn config(data: &Path, spec: Option<&Path>) -> TrainConfig {
    let mut c = TrainConfig::new(data);
    c.label = Some("converted".into());
    c.id = Some("id".into());
    c.spec = spec.map(Path::to_path_buf);
    c
}

/// The spec `init` infers, every code left to training (`auto`), or with `bins` fixed.
fn spec(data: &Path, dir: &Path, bins: Option<usize>) -> PathBuf {
    let table = read_table(data, &ReadOptions::default()).unwrap();
    let mut spec: FeatureSpec = infer_spec(
        &table,
        &InferOptions {
            label: Some("converted".into()),
            id: Some("id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap()
    .spec;
    for c in spec.columns.iter_mut().filter(|c| c.name.starts_with('q')) {
        assert_eq!(
            c.bins,
            Some(Bins::Auto),
            "{}: 7 codes are left to training",
            c.name
        );
        if let Some(b) = bins {
            c.bins = Some(Bins::Fixed(b));
        }
    }
    let path = dir.join(format!("spec-{bins:?}.toml"));
    std::fs::write(&path, toml::to_string(&spec).unwrap()).unwrap();
    path
}

fn has_bins(a: &leadscore_core::artifact::ModelArtifact, name: &str) -> bool {
    a.spec.columns.iter().any(|c| {
        c.name == name
            && matches!(&c.transform, FittedTransform::Numeric { bin_edges, .. } if !bin_edges.is_empty())
    })
}

#[test]
fn the_code_with_a_step_gets_bins_that_lift_the_holdout_and_factors_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let data = codes(dir.path(), true);
    let auto = train(&config(&data, Some(&spec(&data, dir.path(), None)))).unwrap();
    let a = &auto.artifact;
    // 7 codes: not the bins search's (10 distinct values or more), the shape search's.
    assert!(a.provenance.bins.is_none(), "{:?}", a.provenance.bins);
    let s = a
        .provenance
        .shapes
        .as_ref()
        .expect("the codes are searched");
    assert_eq!(s.columns.len(), CODES);
    assert_eq!(s.ranked[0].name, "q07", "{:#?}", s.ranked);
    assert!(
        s.ranked[0].gain > 5.0 * s.ranked[1].gain.max(1.0),
        "{:#?}",
        s.ranked
    );
    assert_eq!(s.chosen, ["q07"], "{s:#?}");
    assert_eq!(s.candidates[0].columns, 0);
    let chosen = s.candidates.iter().find(|c| c.columns == 1).unwrap();
    assert!(
        chosen.cv_roc_auc > s.candidates[0].cv_roc_auc + 0.02,
        "{s:#?}"
    );
    // The chosen column's bins are in the model (one per code); no other column has any.
    assert!(has_bins(a, "q07"));
    assert!(!has_bins(a, "q01") && !has_bins(a, "q12"));
    assert_eq!(a.model.features.len(), chosen.features);

    // Parity: every holdout score training computed (the polars pipeline) is the score of the
    // lead featurized one at a time from its CSV text (the server's path), bins included.
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let by_id: HashMap<&str, HashMap<String, String>> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let row = header
                .iter()
                .zip(&cells)
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (cells[0], row)
        })
        .collect();
    let scorer = Scorer::new(&a.model);
    let mut x = vec![0.0; a.spec.width()];
    assert!(auto.holdout_rows.len() > 700);
    for h in &auto.holdout_rows {
        a.spec
            .featurize_into(&by_id[h.id.as_str()], None, &mut x)
            .unwrap();
        let served = sigmoid(scorer.log_odds(&x));
        assert!(
            (served - h.score).abs() < 1e-9,
            "{}: trained {} served {served}",
            h.id,
            h.score
        );
    }

    // The same model with straight lines only.
    let lines = train(&config(&data, Some(&spec(&data, dir.path(), Some(0))))).unwrap();
    assert!(lines.artifact.provenance.shapes.is_none());
    let (with, without) = (
        a.evaluation.roc_auc.unwrap(),
        lines.artifact.evaluation.roc_auc.unwrap(),
    );
    eprintln!("step code: holdout ROC AUC {with:.4} with the shape search, {without:.4} without");
    assert!(
        with > without + 0.02,
        "holdout ROC AUC with shapes {with:.4}, lines only {without:.4}"
    );

    // The factors of a lead at the step still sum exactly to its log-odds.
    let groups = factor_groups(&a.spec);
    let mut lead: HashMap<String, String> = (1..=CODES)
        .map(|k| (format!("q{k:02}"), "2".to_string()))
        .collect();
    lead.insert("q07".into(), "4".into());
    a.spec.featurize_into(&lead, None, &mut x).unwrap();
    let mut parts = Vec::new();
    let split = contributions(&scorer, &groups, &x, &mut parts);
    let sum: f64 = scorer.baseline() + parts.iter().sum::<f64>();
    assert!(
        (sum - scorer.log_odds(&x)).abs() < 1e-9,
        "{sum} vs {}",
        scorer.log_odds(&x)
    );
    assert!((split.log_odds() - scorer.log_odds(&x)).abs() < 1e-9);
    let q07 = groups.iter().position(|g| g.name == "q07").unwrap();
    lead.insert("q07".into(), "3".into());
    let mut x3 = vec![0.0; a.spec.width()];
    a.spec.featurize_into(&lead, None, &mut x3).unwrap();
    let mut parts3 = Vec::new();
    contributions(&scorer, &groups, &x3, &mut parts3);
    assert!(
        parts[q07] > parts3[q07] + 1.0,
        "code 4 lifts the odds, 3 does not: {} vs {}",
        parts[q07],
        parts3[q07]
    );
}

#[test]
fn codes_that_act_in_straight_lines_get_no_bins() {
    let dir = tempfile::tempdir().unwrap();
    let data = codes(dir.path(), false);
    let a = train(&config(&data, None)).unwrap().artifact;
    let s = a
        .provenance
        .shapes
        .as_ref()
        .expect("the codes are searched");
    assert!(s.chosen.is_empty(), "bins on codes without a bend: {s:#?}");
    assert!((1..=CODES).all(|k| !has_bins(&a, &format!("q{k:02}"))));
}
