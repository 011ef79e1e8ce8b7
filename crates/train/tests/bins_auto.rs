//! `bins = "auto"` on a wide coded table (`demo-data --survey`: 85 columns of answer codes 0-9,
//! 4,600 respondents, the label driven roughly linearly by six of them): the cross-validated
//! choice gives the columns no or few bins, and the model it makes beats the one with 10 fixed
//! bins per column on the holdout. A spec that fixes the bins is honoured as written.

use leadscore_core::spec::{Bins, FeatureSpec};
use leadscore_train::demo::{survey_column, write_survey_csv, SurveyConfig};
use leadscore_train::infer::{infer_spec, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig, TrainOutcome};
use std::path::Path;

fn survey(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("survey.csv");
    let file = std::fs::File::create(&path).unwrap();
    write_survey_csv(&SurveyConfig::default(), file).unwrap();
    path
}

fn config(data: &Path, spec: Option<&Path>) -> TrainConfig {
    let mut c = TrainConfig::new(data);
    c.label = Some("converted".into());
    c.id = Some("respondent_id".into());
    c.spec = spec.map(Path::to_path_buf);
    c
}

/// The spec `init` infers, with every answer column's bins fixed at `bins`.
fn fixed_spec(data: &Path, dir: &Path, bins: usize) -> std::path::PathBuf {
    let table = read_table(data, &ReadOptions::default()).unwrap();
    let mut spec: FeatureSpec = infer_spec(
        &table,
        &InferOptions {
            label: Some("converted".into()),
            id: Some("respondent_id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap()
    .spec;
    for c in &mut spec.columns {
        if c.name.starts_with('q') {
            // 10 distinct values: training chooses; fewer (a code nobody answered): none.
            assert!(
                matches!(c.bins, Some(Bins::Auto | Bins::Fixed(0))),
                "{}: {:?}",
                c.name,
                c.bins
            );
            c.bins = Some(Bins::Fixed(bins));
        }
    }
    let path = dir.join(format!("spec-{bins}.toml"));
    std::fs::write(&path, toml::to_string(&spec).unwrap()).unwrap();
    path
}

fn auc(o: &TrainOutcome) -> f64 {
    o.artifact.evaluation.roc_auc.unwrap()
}

#[test]
fn auto_bins_leave_a_wide_coded_table_with_few_bins_and_beat_ten_fixed_bins() {
    let dir = tempfile::tempdir().unwrap();
    let data = survey(dir.path());

    let auto = train(&config(&data, None)).unwrap();
    let search = auto
        .artifact
        .provenance
        .bins
        .clone()
        .expect("the inferred spec leaves the bins to training");
    // Every answer column with all ten codes is left to training.
    assert!(search.columns.len() >= 80, "{:?}", search.columns);
    assert!(search.columns.iter().all(|c| c.starts_with('q')));
    assert_eq!(search.columns[0], survey_column(1));
    assert!(
        search.chosen <= 4,
        "chose {} bins per column: {search:?}",
        search.chosen
    );
    // The evidence: candidate 0 was tried, and the chosen one has the lowest CV log loss.
    assert_eq!(search.candidates[0].bins, 0);
    let best = search
        .candidates
        .iter()
        .min_by(|a, b| a.cv_log_loss.total_cmp(&b.cv_log_loss))
        .unwrap();
    assert!(search.is_chosen(best), "{search:?}");
    assert_eq!(search.rows, auto.artifact.provenance.train_rows);
    // No pair either: the label is additive in six codes, and pairs ranked on the training
    // labels must not pass cross-validation on those same labels (each fold ranks its own).
    assert!(
        auto.artifact.spec.pairs.is_empty(),
        "pairs kept on a table without interactions: {:?}",
        auto.artifact.provenance.pairs
    );
    // The final model has the features of the chosen candidate.
    let chosen = search
        .candidates
        .iter()
        .find(|c| search.is_chosen(c))
        .unwrap();
    assert_eq!(auto.artifact.model.features.len(), chosen.features);
    assert_eq!(
        auto.artifact.provenance.penalty.alpha, chosen.alpha,
        "the penalty is the one the chosen candidate did best at"
    );

    let fixed = train(&config(&data, Some(&fixed_spec(&data, dir.path(), 10)))).unwrap();
    assert!(
        fixed.artifact.provenance.bins.is_none(),
        "fixed bins are not searched"
    );
    assert!(
        fixed.artifact.model.features.len() >= 8 * 85,
        "10 fixed bins on codes 0-9 make ~10 features a column: {}",
        fixed.artifact.model.features.len()
    );
    assert!(
        auc(&auto) > auc(&fixed),
        "holdout ROC AUC with auto bins {:.4} <= with 10 fixed bins {:.4}",
        auc(&auto),
        auc(&fixed)
    );
}

/// The bins search appends the bin columns after the others and the final model puts each
/// column's bins after it; the search's fits warm-start the final fit. Left in the search's
/// order, the warm start put a bin's weight on another feature, and a level no training lead
/// has (`(other)`, `is missing`: a column of zeros, whose weight only the penalty moves) kept
/// it: +1.6 on `region = (other)` here, scoring every lead with a region training never saw.
#[test]
fn features_no_training_lead_has_keep_a_zero_weight_after_the_bins_search() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/binned_visits.csv");
    let mut c = TrainConfig::new(&data);
    c.label = Some("converted".into());
    c.id = Some("id".into());
    let o = train(&c).unwrap();
    let search = o
        .artifact
        .provenance
        .bins
        .as_ref()
        .expect("visits gets bins = auto");
    assert!(search.chosen > 0, "{search:?}");
    let never: Vec<_> = o
        .artifact
        .model
        .features
        .iter()
        .filter(|f| f.active_share == 0.0)
        .collect();
    assert!(never.len() >= 4, "(other) and missing of source and region");
    for f in never {
        assert!(
            f.weight == 0.0 && f.weight.is_sign_positive(),
            "{}: weight {} with no training lead",
            f.name,
            f.weight
        );
    }
}
