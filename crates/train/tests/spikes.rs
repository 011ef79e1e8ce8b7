//! Spikes through the whole job: a column where 30% of the leads hold 0 and 35% exactly 40
//! (hours worked), and those two values convert unlike their neighbours. The bins search keeps
//! the spikes in bins of their own (`bins = "N with spikes"` in the resolved spec), the server's
//! per-lead path scores as training did, a lead's factor names the bin it is in, and the spec
//! the run resolved reproduces the same edges when trained again.

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

/// 4,000 leads: `hours` (0 for 30%, 40 for 35%, else 1 to 80) and `tenure` (noise).
fn hours_csv(dir: &Path) -> PathBuf {
    let mut rng = SeededRng::new(21);
    let mut csv = String::from("id,hours,tenure,converted\n");
    for i in 0..4000 {
        let u = rng.uniform();
        let hours = if u < 0.3 {
            0.0
        } else if u < 0.65 {
            40.0
        } else {
            let h = 1.0 + (rng.uniform() * 79.0).floor();
            if h == 40.0 {
                41.0
            } else {
                h
            }
        };
        let logit = match hours {
            0.0 => -0.5,
            40.0 => 1.5,
            _ => -1.5,
        };
        let tenure = (rng.uniform() * 200.0).floor();
        let y = rng.bernoulli(sigmoid(logit));
        let _ = writeln!(csv, "L{i},{hours},{tenure},{}", u8::from(y));
    }
    let path = dir.join("hours.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn config(data: &Path, spec: &Path) -> TrainConfig {
    let mut c = TrainConfig::new(data);
    c.label = Some("converted".into());
    c.id = Some("id".into());
    c.spec = Some(spec.to_path_buf());
    c
}

fn edges(a: &leadscore_core::artifact::ModelArtifact, name: &str) -> Vec<f64> {
    a.spec
        .columns
        .iter()
        .find_map(|c| match &c.transform {
            FittedTransform::Numeric { bin_edges, .. } if c.name == name => Some(bin_edges.clone()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn spikes_keep_bins_of_their_own_from_training_to_the_served_factor() {
    let dir = tempfile::tempdir().unwrap();
    let data = hours_csv(dir.path());
    let table = read_table(&data, &ReadOptions::default()).unwrap();
    let spec: FeatureSpec = infer_spec(
        &table,
        &InferOptions {
            label: Some("converted".into()),
            id: Some("id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap()
    .spec;
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, toml::to_string(&spec).unwrap()).unwrap();
    let out = train(&config(&data, &spec_path)).unwrap();
    let a = &out.artifact;
    let search = a
        .provenance
        .bins
        .as_ref()
        .expect("hours is left to training");
    assert!(search.chosen_spikes && search.chosen >= 4, "{search:#?}");
    let hours_spec = out.spec.columns.iter().find(|c| c.name == "hours").unwrap();
    assert_eq!(hours_spec.bins, Some(Bins::Spikes(search.chosen)));

    // 0 and 40 each alone in a bin: the first edge is the smallest value above 0, and 40's
    // bin ends at the next value above 40 that training saw (41).
    let e = edges(a, "hours");
    assert_eq!(e[0], 1.0, "{e:?}");
    let at_40 = e.iter().position(|x| *x == 40.0).expect("an edge at 40");
    assert_eq!(e.get(at_40 + 1), Some(&41.0), "{e:?}");

    // What `train` prints and the report's model card say so, the spikes candidate beside
    // the plain one.
    let text = leadscore_train::report::bins_text(search, 5, "leads", true);
    let label = format!("{} with spikes", search.chosen);
    assert!(
        text.lines()
            .any(|l| l.contains(&label) && l.ends_with("<- chosen")),
        "{text}"
    );
    let page = leadscore_report::html::report_html(a, None, &Default::default()).unwrap();
    assert!(
        page.contains(&format!("{label} per column")) && page.contains(&format!("{label} bins:")),
        "the model card names the choice"
    );

    // Parity: every holdout score training computed is the score of the lead featurized one
    // at a time from its CSV text (the server's path).
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: HashMap<&str, HashMap<String, String>> = lines
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
    assert!(out.holdout_rows.len() > 700);
    for h in &out.holdout_rows {
        a.spec
            .featurize_into(&rows[h.id.as_str()], None, &mut x)
            .unwrap();
        let served = sigmoid(scorer.log_odds(&x));
        assert!((served - h.score).abs() < 1e-9, "{}", h.id);
    }

    // The hours factor of a lead at 40 is its spike's, well above a lead at 41's; the factors
    // still sum exactly to the log-odds.
    let groups = factor_groups(&a.spec);
    let g = groups.iter().position(|g| g.name == "hours").unwrap();
    let factor = |hours: &str| {
        let lead: HashMap<String, String> = [("hours", hours), ("tenure", "100")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut x = vec![0.0; a.spec.width()];
        a.spec.featurize_into(&lead, None, &mut x).unwrap();
        let mut parts = Vec::new();
        let split = contributions(&scorer, &groups, &x, &mut parts);
        let sum = scorer.baseline() + parts.iter().sum::<f64>();
        assert!((sum - scorer.log_odds(&x)).abs() < 1e-9);
        assert!((split.log_odds() - scorer.log_odds(&x)).abs() < 1e-9);
        parts[g]
    };
    let (at_40, at_41) = (factor("40"), factor("41"));
    assert!(at_40 > at_41 + 1.5, "40: {at_40}, 41: {at_41}");

    // The resolved spec, written and trained again, gives the same edges and features (its
    // penalty is searched on the whole grid this time, so the weights may differ a little).
    let resolved = dir.path().join("resolved.toml");
    let text = toml::to_string(&out.spec).unwrap();
    assert!(
        text.contains(&format!("bins = \"{} with spikes\"", search.chosen)),
        "{text}"
    );
    std::fs::write(&resolved, text).unwrap();
    let again = train(&config(&data, &resolved)).unwrap();
    assert!(again.artifact.provenance.bins.is_none());
    assert_eq!(edges(&again.artifact, "hours"), e);
    let names = |a: &leadscore_core::artifact::ModelArtifact| -> Vec<String> {
        a.model.features.iter().map(|f| f.name.clone()).collect()
    };
    assert_eq!(names(&again.artifact), names(a));
}
