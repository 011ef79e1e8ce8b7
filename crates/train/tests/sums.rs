//! Families of columns that differ in one word (minutes of use by the day, the evening and the
//! night): `init` adds their total as a `sum_of` column, and when the outcome turns on the
//! total (heavy users off plan leave, whatever the period), that column lifts the holdout ROC AUC over the
//! same model without it; the served (per-lead) scores equal training's holdout scores and the
//! factors name each lead's own total.

use leadscore_core::explain::{describe_row, factor_groups};
use leadscore_core::model::{sigmoid, Scorer};
use leadscore_core::rng::SeededRng;
use leadscore_core::value::FieldValue;
use leadscore_train::infer::{infer_spec, render_toml, InferOptions};
use leadscore_train::load::{read_table, ReadOptions};
use leadscore_train::pipeline::{train, TrainConfig};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// 4,000 customers, minutes of use in three periods (0 to 100 each) and whether they are on a
/// plan; churn turns on the total over 190 minutes without a plan (heavy users off plan
/// leave), which no one period shows, nor a pair of a period and the plan.
fn usage(dir: &Path) -> PathBuf {
    let mut rng = SeededRng::new(11);
    let mut csv =
        String::from("id,use_day_minutes,use_eve_minutes,use_night_minutes,plan,churned\n");
    for i in 0..4000 {
        let m: Vec<f64> = (0..3)
            .map(|_| (rng.uniform() * 1000.0).round() / 10.0)
            .collect();
        let plan = rng.bernoulli(0.5);
        let total: f64 = m.iter().sum();
        let z = if total > 190.0 && !plan { 1.5 } else { -2.5 };
        let y = rng.bernoulli(sigmoid(z));
        let _ = writeln!(
            csv,
            "C{i},{},{},{},{},{}",
            m[0],
            m[1],
            m[2],
            if plan { "yes" } else { "no" },
            u8::from(y)
        );
    }
    let path = dir.join("usage.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn the_total_of_a_family_of_columns_is_found_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = usage(dir.path());
    let table = read_table(&data, &ReadOptions::default()).unwrap();
    let inferred = infer_spec(
        &table,
        &InferOptions {
            label: Some("churned".into()),
            id: Some("id".into()),
            ..InferOptions::default()
        },
    )
    .unwrap();
    let sum = inferred
        .spec
        .columns
        .iter()
        .find(|c| !c.sum_of.is_empty())
        .expect("init adds the family's total");
    assert_eq!(sum.name, "use_minutes");
    assert_eq!(
        sum.sum_of,
        ["use_day_minutes", "use_eve_minutes", "use_night_minutes"]
    );
    let with = dir.path().join("with.toml");
    std::fs::write(&with, render_toml(&inferred)).unwrap();
    let mut without_spec = inferred.clone();
    let k = without_spec
        .spec
        .columns
        .iter()
        .position(|c| !c.sum_of.is_empty())
        .unwrap();
    without_spec.spec.columns.remove(k);
    without_spec.reasons.remove(k);
    let without = dir.path().join("without.toml");
    std::fs::write(&without, render_toml(&without_spec)).unwrap();

    let run = |spec: &Path| {
        let mut c = TrainConfig::new(&data);
        c.spec = Some(spec.to_path_buf());
        train(&c).unwrap()
    };
    let a = run(&with);
    let b = run(&without);
    let (auc_a, auc_b) = (
        a.artifact.evaluation.roc_auc.unwrap(),
        b.artifact.evaluation.roc_auc.unwrap(),
    );
    assert!(
        auc_a > auc_b + 0.01,
        "the total lifts the holdout ROC AUC: {auc_a} with, {auc_b} without"
    );
    let (ll_a, ll_b) = (
        a.artifact.evaluation.log_loss,
        b.artifact.evaluation.log_loss,
    );
    assert!(ll_a < ll_b - 0.01, "log loss {ll_a} with, {ll_b} without");
    // The total is paired with the plan.
    assert!(
        a.artifact
            .spec
            .pairs
            .iter()
            .any(|p| [&p.a.column, &p.b.column]
                == [&"use_minutes".to_string(), &"plan".to_string()]
                || [&p.a.column, &p.b.column] == [&"plan".to_string(), &"use_minutes".to_string()]),
        "{:?}",
        a.artifact
            .spec
            .pairs
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
    );
    assert_eq!(a.artifact.format_version, 9);

    // Served per lead (the parts only, as a client sends them): training's holdout scores,
    // and the total's factor names the lead's own sum.
    let spec = &a.artifact.spec;
    let scorer = Scorer::new(&a.artifact.model);
    let groups = factor_groups(spec);
    let group = groups.iter().find(|g| g.name == "use_minutes").unwrap();
    let rows = std::fs::read_to_string(&data).unwrap();
    let mut lines = rows.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let leads: HashMap<String, HashMap<String, String>> = lines
        .map(|l| {
            let lead: HashMap<String, String> = header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (lead["id"].clone(), lead)
        })
        .collect();
    let mut checked = 0;
    for row in a.holdout_rows.iter().take(200) {
        let lead = &leads[&row.id];
        let x = spec.featurize(lead, None).unwrap();
        assert!((scorer.score(&x) - row.score).abs() < 1e-12, "{}", row.id);
        let values: Vec<FieldValue<'_>> = spec
            .columns
            .iter()
            .map(|c| {
                lead.get(&c.name)
                    .map_or(FieldValue::Missing, |v| FieldValue::Text(v))
            })
            .collect();
        let total: f64 = ["use_day_minutes", "use_eve_minutes", "use_night_minutes"]
            .iter()
            .map(|p| lead[*p].parse::<f64>().unwrap())
            .fold(0.0, |s, x| s + x);
        let text = describe_row(spec, group, &values, &[], None);
        assert!(
            text.starts_with("use_minutes = ")
                && text.contains(&leadscore_core::explain::fmt_number(total)),
            "{text} (total {total})"
        );
        checked += 1;
    }
    assert_eq!(checked, 200);
}
