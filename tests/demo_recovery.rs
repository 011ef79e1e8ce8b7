//! A model trained on the demo generator recovers the ground truth's strongest signals.

use leadscore_core::model::LinearModel;
use leadscore_train::demo::{generate, write_csv, DemoConfig};
use leadscore_train::pipeline::{train, TrainConfig};

/// Effect of a feature on the log-odds per unit (for an indicator: active vs not).
fn raw(model: &LinearModel, name: &str) -> f64 {
    let f = model
        .features
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no feature `{name}`"));
    f.weight / f.std
}

#[test]
fn strongest_ground_truth_signals_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo.csv");
    let leads = generate(&DemoConfig {
        leads: 20_000,
        seed: 11,
        ..DemoConfig::default()
    });
    let mut buf = Vec::new();
    write_csv(&leads, &mut buf).unwrap();
    std::fs::write(&data, buf).unwrap();
    let mut config = TrainConfig::new(&data);
    config.spec =
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo-spec.toml"));
    // Pairs are searched as by default: the ground truth is additive, so cross-validation has
    // to leave them out (a pair kept by chance would take over part of its columns' effects).
    let outcome = train(&config).unwrap();
    let m = &outcome.artifact.model;
    assert!(
        outcome.artifact.spec.pairs.is_empty(),
        "pairs kept on additive data: {:?}",
        outcome.artifact.provenance.pairs
    );
    // And it stopped at the first count that did no better than none: the larger ones were
    // never fitted.
    let search = outcome.artifact.provenance.pairs.as_ref().unwrap();
    assert!(
        search.candidates.len() == 2 && !search.not_tried.is_empty(),
        "{search:#?}"
    );
    assert!(
        outcome.artifact.evaluation.roc_auc.unwrap() > 0.78,
        "{}",
        outcome.artifact.evaluation.roc_auc.unwrap()
    );
    // Ground truth (see leadscore_train::demo::GROUND_TRUTH), each against its baseline level.
    let seniority = |s: &str| {
        raw(m, &format!("job_title seniority: {s}")) - raw(m, "job_title seniority: individual")
    };
    let domain = |d: &str| raw(m, &format!("email domain: {d}")) - raw(m, "email domain: business");
    let source =
        |s: &str| raw(m, &format!("lead_source = {s}")) - raw(m, "lead_source = Organic Search");
    assert!(
        domain("competitor") < -1.5,
        "competitor {}",
        domain("competitor")
    );
    assert!(
        seniority("student") < -1.0,
        "student {}",
        seniority("student")
    );
    assert!(
        seniority("c-level") > 1.2,
        "c-level {}",
        seniority("c-level")
    );
    assert!(seniority("vp") > 1.0, "vp {}", seniority("vp"));
    assert!(
        domain("education") < -0.8,
        "education {}",
        domain("education")
    );
    assert!(
        source("Demo Request Form") > 1.0,
        "demo request {}",
        source("Demo Request Form")
    );
    assert!(
        domain("free webmail") < -0.6,
        "free webmail {}",
        domain("free webmail")
    );
    assert!(
        seniority("director") > 0.6,
        "director {}",
        seniority("director")
    );
    // Ordered as the ground truth orders them, within seniority.
    assert!(seniority("c-level") > seniority("vp") && seniority("vp") > seniority("director"));
    assert!(seniority("director") > seniority("manager"));
}
