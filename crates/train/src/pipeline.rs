//! The training job end to end: read, label, split, fit the spec, featurize, cross-validate,
//! fit, evaluate on the holdout, check for leakage, and assemble the artifact.

use crate::assemble::{
    assemble, featurize_with_events, fit_events, AssemblyInputs, EventColumns, PointInTimeReport,
};
use crate::error::{Result, TrainError};
use crate::featurize::{fit_spec, timestamp_values, Matrix};
use crate::fit::{fit_logistic, fit_with_cv, FitOptions, Standardizer};
use crate::infer::{infer_spec, InferOptions};
use crate::load::{read_table, ReadOptions, Table};
use crate::table::labels;
use leadscore_core::artifact::{
    ColumnFill, LeakageFlag, ModelArtifact, Provenance, ScoreHistogram, FORMAT_VERSION,
};
use leadscore_core::curve::OperatingCurve;
use leadscore_core::fitted::FittedSpec;
use leadscore_core::metrics::{evaluate, roc_auc, Evaluation};
use leadscore_core::model::{FeatureWeight, LinearModel};
use leadscore_core::rng::SeededRng;
use leadscore_core::spec::{FeatureSpec, PointInTimeSettings, TransformKind};
use std::path::PathBuf;

/// Most points kept on the stored operating curve.
pub const CURVE_POINTS: usize = 2000;
/// Bins of the stored reference score histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// How the holdout is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitKind {
    /// Stratified random (seeded).
    Random,
    /// The newest leads by `as_of` (train on the past, evaluate on the future).
    Time,
}

/// Holds out the newest `holdout` share of leads by `as_of` (ties by row).
pub fn time_split(as_of: &[i64], holdout: f64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..as_of.len()).collect();
    order.sort_by_key(|&i| (as_of[i], i));
    let k = as_of.len() - (as_of.len() as f64 * holdout).round() as usize;
    let mut train = order[..k].to_vec();
    let mut test = order[k..].to_vec();
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Everything `train` needs.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The leads file (CSV or Parquet) with the label as a column.
    pub data: PathBuf,
    /// A spec file; inferred from the data when absent.
    pub spec: Option<PathBuf>,
    /// Label column (overrides the spec's).
    pub label: Option<String>,
    /// Positive label values (override the spec's).
    pub positive: Vec<String>,
    /// Id column (overrides the spec's).
    pub id: Option<String>,
    /// Columns to leave out.
    pub exclude: Vec<String>,
    /// How to read the file.
    pub read: ReadOptions,
    /// Engagement events file (`lead_id`, `event_type`, `occurred_at`).
    pub events: Option<PathBuf>,
    /// Outcomes file (`lead_id`, optional `converted`, optional `converted_at`).
    pub outcomes: Option<PathBuf>,
    /// How the holdout is drawn.
    pub split: SplitKind,
    /// Share of rows held out for evaluation.
    pub holdout: f64,
    /// Seed of the split and the folds.
    pub seed: u64,
    /// Fit options.
    pub fit: FitOptions,
    /// Keep a model whose final fit did not converge (with a warning) instead of failing.
    pub allow_unconverged: bool,
    /// A column whose own holdout ROC AUC reaches this is flagged as likely leakage.
    pub leakage_auc: f64,
    /// Landmark ages in days (overrides the spec's `[time] landmarks_days`); each lead yields
    /// one example per landmark. Checked by [`check_landmarks`].
    pub landmarks_days: Option<Vec<f64>>,
    /// Train even though conversions carry no time (a label column, or an outcomes table
    /// without `converted_at`) while events or landmarks place leads in time; the report
    /// prints the risk.
    pub allow_untimed_conversions: bool,
    /// At most this many landmark examples; beyond it, examples are sampled per lead (seeded).
    pub max_examples: usize,
}

/// Default of [`TrainConfig::max_examples`].
pub const DEFAULT_MAX_EXAMPLES: usize = 600_000;

/// Checks landmark ages: finite, non-negative, at most 3650 days, and strictly increasing.
pub fn check_landmarks(days: &[f64]) -> std::result::Result<(), String> {
    if days.is_empty() {
        return Err("at least one landmark age is needed".into());
    }
    for (i, d) in days.iter().enumerate() {
        if !d.is_finite() || *d < 0.0 || *d > 3650.0 {
            return Err(format!(
                "landmark age {d} must be a number of days between 0 and 3650"
            ));
        }
        if i > 0 && *d <= days[i - 1] {
            return Err(format!(
                "landmark ages must be strictly increasing: {} comes after {}",
                d,
                days[i - 1]
            ));
        }
    }
    Ok(())
}

impl TrainConfig {
    /// Defaults for a file.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            spec: None,
            label: None,
            positive: Vec::new(),
            id: None,
            exclude: Vec::new(),
            read: ReadOptions::default(),
            events: None,
            outcomes: None,
            split: SplitKind::Random,
            holdout: 0.2,
            seed: 7,
            fit: FitOptions::default(),
            allow_unconverged: false,
            leakage_auc: 0.85,
            landmarks_days: None,
            allow_untimed_conversions: false,
            max_examples: DEFAULT_MAX_EXAMPLES,
        }
    }
}

/// A trained model with the figures behind it.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The sealed artifact (not yet written).
    pub artifact: ModelArtifact,
    /// The spec that was used (inferred or loaded), for the report.
    pub spec: FeatureSpec,
    /// Holdout rows and their scores, for reports.
    pub holdout_scores: Vec<f64>,
    /// Holdout labels.
    pub holdout_labels: Vec<bool>,
    /// Holdout leads, in holdout order: id, as_of and key factors (for `--holdout-out`).
    pub holdout_rows: Vec<HoldoutRow>,
    /// Wall time per stage, seconds (read, assemble, featurize, cross-validate, fit, evaluate).
    pub timings: Vec<(&'static str, f64)>,
}

/// One holdout lead as `train --holdout-out` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutRow {
    /// The lead id (the spec's id column), or the 1-based data row when there is none.
    pub id: String,
    /// The moment it was scored as of (Unix seconds), when the model has lead times.
    pub as_of: Option<i64>,
    /// Up to three positive and three negative contributions: (feature index, log-odds).
    pub factors: Vec<(usize, f64)>,
}

/// How many positive and negative factors each holdout row keeps.
pub const HOLDOUT_FACTORS: usize = 3;

/// Stratified random split: returns (train rows, holdout rows), each sorted.
pub fn stratified_split(y: &[bool], holdout: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = SeededRng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [true, false] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        let k = (idx.len() as f64 * holdout).round() as usize;
        test.extend_from_slice(&idx[..k]);
        train.extend_from_slice(&idx[k..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Resolves the spec: the file's (validated) or one inferred from the data, with the command
/// line's label, positive values, id and exclusions applied.
pub fn resolve_spec(config: &TrainConfig, table: &Table) -> Result<FeatureSpec> {
    let mut spec = match &config.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| TrainError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            FeatureSpec::from_toml(&text, &path.display().to_string())?
        }
        None => {
            infer_spec(
                table,
                &InferOptions {
                    label: config.label.clone(),
                    positive: config.positive.clone(),
                    id: config.id.clone(),
                    exclude: config.exclude.clone(),
                    missing_tokens: config.read.missing_tokens.clone(),
                },
            )?
            .spec
        }
    };
    if config.label.is_some() {
        spec.label = config.label.clone();
    }
    if !config.positive.is_empty() {
        spec.positive = config.positive.clone();
    }
    if config.id.is_some() {
        spec.id = config.id.clone();
    }
    let three_tables = config.events.is_some() || config.outcomes.is_some();
    if three_tables {
        spec.id.get_or_insert_with(|| "lead_id".into());
        spec.time.get_or_insert_with(Default::default);
        if config.events.is_some() {
            spec.events.get_or_insert_with(Default::default);
        }
        if config.outcomes.is_some() {
            spec.outcomes.get_or_insert_with(Default::default);
            spec.label = None;
        }
    }
    let label =
        match (&spec.label, config.outcomes.is_some()) {
            (Some(l), _) => Some(l.clone()),
            (None, true) => None,
            (None, false) => return Err(TrainError::Config(
                "no label column: pass --label COLUMN, set `label` in the spec, or give --outcomes"
                    .into(),
            )),
        };
    for c in &mut spec.columns {
        if Some(&c.name) == label.as_ref()
            || Some(&c.name) == spec.id.as_ref()
            || config.exclude.contains(&c.name)
        {
            *c = leadscore_core::spec::ColumnSpec::new(c.name.clone(), TransformKind::Ignore);
        }
    }
    for name in config
        .exclude
        .iter()
        .chain(label.iter())
        .chain(spec.id.iter())
    {
        crate::load::column(table, name)?;
    }
    spec.validate(
        &config
            .spec
            .as_ref()
            .map_or("(inferred)".into(), |p| p.display().to_string()),
    )?;
    Ok(spec)
}

/// Trains a model from a flat table. Nothing is written: the caller writes the artifact.
pub fn train(config: &TrainConfig) -> Result<TrainOutcome> {
    if !(config.holdout > 0.0 && config.holdout < 1.0) {
        return Err(TrainError::Config(format!(
            "--holdout must be in (0, 1), got {}",
            config.holdout
        )));
    }
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, f64)>| {
        timings.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let mut read = config.read.clone();
    let table = read_table(&config.data, &read)?;
    lap("read", &mut timings);
    let spec = resolve_spec(config, &table)?;
    if spec.missing_tokens != read.missing_tokens {
        read.missing_tokens = spec.missing_tokens.clone();
    }
    let three_tables = config.events.is_some() || config.outcomes.is_some();
    let mut outcomes_fingerprint = None;
    let (table, y, as_of, events, point_in_time) = if three_tables {
        let a = assemble(&AssemblyInputs {
            leads: &table,
            spec: &spec,
            events: config.events.as_deref(),
            outcomes: config.outcomes.as_deref(),
            read: &read,
        })?;
        outcomes_fingerprint = a.outcomes_fingerprint;
        (a.table, a.labels, Some(a.as_of), a.events, Some(a.report))
    } else {
        let label = spec.label.clone().unwrap_or_default();
        let y = labels(&table, &label, &spec.positive)?;
        (table, y, None, None, None)
    };
    lap("assemble", &mut timings);
    let label = spec
        .label
        .clone()
        .unwrap_or_else(|| "converted (outcomes table)".into());
    let (train_rows, test_rows) = match (config.split, &as_of) {
        (SplitKind::Random, _) => stratified_split(&y, config.holdout, config.seed),
        (SplitKind::Time, Some(a)) => time_split(a, config.holdout),
        (SplitKind::Time, None) => {
            return Err(TrainError::Config(
                "--split time needs lead times: give --events or --outcomes (leads scored as of created_at + observation window)".into(),
            ))
        }
    };
    let y_train: Vec<bool> = train_rows.iter().map(|&i| y[i]).collect();
    let y_test: Vec<bool> = test_rows.iter().map(|&i| y[i]).collect();
    if y_test.iter().all(|v| *v)
        || y_test.iter().all(|v| !*v)
        || y_train.iter().filter(|v| **v).count() < 2
    {
        return Err(TrainError::Column {
            path: table.path.clone(),
            column: label,
            message: format!(
                "too few leads of one class to split into training and holdout ({} leads, {} converted)",
                y.len(),
                y.iter().filter(|v| **v).count()
            ),
        });
    }
    for c in spec.feature_columns() {
        crate::load::column(&table, &c.name)?;
    }
    let mut fitted = fit_spec(&spec, &table, &train_rows)?;
    if let (Some(ev), Some(a)) = (&events, &as_of) {
        fitted.events = Some(fit_events(
            &spec.events.clone().unwrap_or_default(),
            ev,
            a,
            &train_rows,
        ));
    }
    let all = featurize_with_events(&fitted, &table, as_of.as_deref(), events.as_ref())?;
    let x_train = all.select_rows(&train_rows);
    let x_test = all.select_rows(&test_rows);
    drop(all);
    lap("featurize", &mut timings);
    let mut fit_options = config.fit.clone();
    fit_options.seed = config.seed;
    let fit = fit_with_cv(&x_train, &y_train, &fit_options)?;
    lap("cross-validate + fit", &mut timings);
    timings.pop();
    timings.push(("cross-validate", fit.cv_seconds));
    timings.push(("fit", fit.fit_seconds));
    let mut warnings = Vec::new();
    if !fit.solver.converged {
        let msg = format!(
            "the final fit did not converge: gradient norm {:.3e} > tolerance {:.3e} after at most {} iterations",
            fit.solver.gradient_norm, fit.solver.gradient_tolerance, fit.solver.max_iterations
        );
        if !config.allow_unconverged {
            return Err(TrainError::Fit(format!(
                "{msg}; raise --max-iterations, or pass --allow-unconverged to keep it anyway"
            )));
        }
        warnings.push(msg);
    }
    if fit.unconverged_cv_fits > 0 {
        warnings.push(format!(
            "{} cross-validation fits did not reach the gradient tolerance",
            fit.unconverged_cv_fits
        ));
    }
    let model = linear_model(
        &fitted,
        &fit.standardizer,
        &fit.logit.weights,
        fit.logit.intercept,
        &x_train,
    );
    let scores: Vec<f64> = (0..x_test.rows)
        .map(|i| model.score(&x_test.row(i)))
        .collect();
    let ids: Option<Vec<Option<String>>> = match &spec.id {
        Some(c) => Some(
            crate::table::text_values(crate::load::column(&table, c)?).map_err(|e| {
                TrainError::Column {
                    path: table.path.clone(),
                    column: c.clone(),
                    message: e.to_string(),
                }
            })?,
        ),
        None => None,
    };
    let holdout_rows = test_rows
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let x = x_test.row(k);
            let (pos, neg) = model.factor_indices(&x, HOLDOUT_FACTORS);
            HoldoutRow {
                id: ids
                    .as_ref()
                    .and_then(|v| v[i].clone())
                    .unwrap_or_else(|| (i + 1).to_string()),
                as_of: as_of.as_ref().map(|a| a[i]),
                factors: pos.into_iter().chain(neg).collect(),
            }
        })
        .collect();
    let evaluation = evaluate(&scores, &y_test)?;
    let curve = OperatingCurve::from_scores(&scores, &y_test, CURVE_POINTS)?;
    let leakage = leakage_check(
        &fitted,
        &x_train,
        &y_train,
        &x_test,
        &y_test,
        config.leakage_auc,
        &fit_options,
    )?;
    for l in &leakage {
        warnings.push(format!(
            "column `{}` looks like leakage: on its own it reaches a holdout ROC AUC of {:.3} (>= {}); \
             if it is filled in after the outcome is known (by sales, after contact), exclude it with --exclude",
            l.column, l.roc_auc, config.leakage_auc
        ));
    }
    lap("evaluate", &mut timings);
    let date_range = date_range(&spec, &table)?;
    let reference_fill = fill_rates(&fitted, &table, &train_rows)?;
    let mut inputs = vec![table.fingerprint.clone()];
    if let Some(fp) = events.as_ref().and_then(|e| e.fingerprint.clone()) {
        inputs.push(fp);
    }
    inputs.extend(outcomes_fingerprint);
    let split = match config.split {
        SplitKind::Random => format!(
            "stratified random, {:.0}% holdout, seed {}",
            config.holdout * 100.0,
            config.seed
        ),
        SplitKind::Time => format!(
            "by time: the newest {:.0}% of leads by as_of held out",
            config.holdout * 100.0
        ),
    };
    let provenance = Provenance {
        inputs,
        label,
        positive_values: spec.positive.clone(),
        rows: y.len() as u64,
        train_rows: train_rows.len() as u64,
        train_positives: y_train.iter().filter(|v| **v).count() as u64,
        holdout_rows: test_rows.len() as u64,
        holdout_positives: y_test.iter().filter(|v| **v).count() as u64,
        split,
        date_range,
        penalty: fit.penalty,
        solver: fit.solver,
        point_in_time,
        warnings,
    };
    let mut artifact = ModelArtifact {
        format_version: FORMAT_VERSION,
        model_id: String::new(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        leadscore_version: env!("CARGO_PKG_VERSION").to_string(),
        provenance,
        spec: fitted,
        model,
        evaluation,
        leakage,
        curve,
        reference_scores: histogram(&scores),
        assembly: three_tables.then(|| spec.point_in_time_settings()),
        reference_fill,
    };
    artifact.seal();
    Ok(TrainOutcome {
        artifact,
        spec,
        holdout_scores: scores,
        holdout_labels: y_test,
        holdout_rows,
        timings,
    })
}

/// Builds the named weights from a fit on standardized features.
pub fn linear_model(
    fitted: &FittedSpec,
    std: &Standardizer,
    weights: &[f64],
    intercept: f64,
    x_train: &Matrix,
) -> LinearModel {
    let features = fitted
        .features()
        .into_iter()
        .enumerate()
        .map(|(j, info)| {
            let active = x_train.col(j).iter().filter(|v| **v != 0.0).count();
            FeatureWeight {
                name: info.name,
                column: info.column,
                mean: std.means[j],
                std: std.stds[j],
                weight: weights[j],
                odds_ratio: (weights[j] / std.stds[j]).exp(),
                active_share: active as f64 / x_train.rows.max(1) as f64,
            }
        })
        .collect();
    LinearModel {
        intercept,
        features,
    }
}

fn histogram(scores: &[f64]) -> ScoreHistogram {
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    for s in scores {
        let b = ((s * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        counts[b] += 1;
    }
    ScoreHistogram { counts }
}

/// The share of `rows` where each of the model's input columns has a value: not null, not one
/// of the missing tokens, and (for numbers) finite, as serving reads a field. The reference of
/// the server's fill-rate drift check.
pub fn fill_rates(fitted: &FittedSpec, table: &Table, rows: &[usize]) -> Result<Vec<ColumnFill>> {
    use polars::prelude::DataType;
    fitted
        .columns
        .iter()
        .map(|c| {
            let s = crate::load::column(table, &c.name)?;
            let err = |e: polars::prelude::PolarsError| TrainError::Column {
                path: table.path.clone(),
                column: c.name.clone(),
                message: e.to_string(),
            };
            let filled: Vec<bool> = match s.dtype() {
                DataType::String => s
                    .str()
                    .map_err(err)?
                    .iter()
                    .map(|v| v.is_some_and(|t| !fitted.is_missing_token(t)))
                    .collect(),
                DataType::Float32 | DataType::Float64 => s
                    .cast(&DataType::Float64)
                    .map_err(err)?
                    .f64()
                    .map_err(err)?
                    .iter()
                    .map(|v| v.is_some_and(f64::is_finite))
                    .collect(),
                _ => s.is_not_null().iter().map(|v| v == Some(true)).collect(),
            };
            let count = rows
                .iter()
                .filter(|&&i| filled.get(i).copied().unwrap_or(false))
                .count();
            Ok(ColumnFill {
                column: c.name.clone(),
                filled_share: count as f64 / rows.len().max(1) as f64,
            })
        })
        .collect()
}

fn date_range(spec: &FeatureSpec, table: &Table) -> Result<Option<(String, String)>> {
    let mut range: Option<(i64, i64)> = None;
    for c in spec
        .feature_columns()
        .filter(|c| c.transform == TransformKind::Timestamp)
    {
        for t in timestamp_values(table, &c.name, &spec.missing_tokens)?
            .into_iter()
            .flatten()
        {
            range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
    }
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    Ok(range.map(|(a, b)| (fmt(a), fmt(b))))
}

/// Single-column check: a model on each input column alone, fitted on (a sample of) the
/// training split and scored on the holdout; a column that alone reaches `threshold` ROC AUC is
/// flagged (a field filled in after the outcome, such as X Education's `Tags`).
pub fn leakage_check(
    fitted: &FittedSpec,
    x_train: &Matrix,
    y_train: &[bool],
    x_test: &Matrix,
    y_test: &[bool],
    threshold: f64,
    options: &FitOptions,
) -> Result<Vec<LeakageFlag>> {
    const MAX_ROWS: usize = 50_000;
    let sample: Vec<usize> = if x_train.rows > MAX_ROWS {
        let mut idx: Vec<usize> = (0..x_train.rows).collect();
        SeededRng::new(options.seed).shuffle(&mut idx);
        idx.truncate(MAX_ROWS);
        idx.sort_unstable();
        idx
    } else {
        (0..x_train.rows).collect()
    };
    let y_sample: Vec<bool> = sample.iter().map(|&i| y_train[i]).collect();
    let mut flags = Vec::new();
    let mut offset = 0;
    for c in &fitted.columns {
        let width = c.transform.width();
        let cols: Vec<usize> = (offset..offset + width).collect();
        offset += width;
        // Only this column's features, and only the sampled rows.
        let sub = |m: &Matrix, rows: Option<&[usize]>| {
            let n = rows.map_or(m.rows, <[usize]>::len);
            let mut out = Matrix::zeros(n, cols.len());
            for (k, &j) in cols.iter().enumerate() {
                let src = m.col(j);
                match rows {
                    Some(r) => {
                        for (dst, &i) in out.col_mut(k).iter_mut().zip(r) {
                            *dst = src[i];
                        }
                    }
                    None => out.col_mut(k).copy_from_slice(src),
                }
            }
            out
        };
        let tr = sub(x_train, Some(&sample));
        let std = Standardizer::fit(&tr);
        let logit = fit_logistic(&std.apply(&tr), &y_sample, 1.0, options, None)?;
        let preds = logit.predict(&std.apply(&sub(x_test, None)));
        let auc = roc_auc(&preds, y_test)?;
        if auc >= threshold {
            flags.push(LeakageFlag {
                column: c.name.clone(),
                roc_auc: auc,
            });
        }
    }
    flags.sort_by(|a, b| b.roc_auc.total_cmp(&a.roc_auc));
    Ok(flags)
}

/// A model's metrics on fresh labelled data (`leadscore-train evaluate`, `promote`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileEvaluation {
    /// The model's id.
    pub model_id: String,
    /// The leads file.
    pub data: String,
    /// The events file, when the examples were assembled point in time with events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<String>,
    /// The outcomes file, when the labels came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<String>,
    /// Labelled leads scored.
    pub rows: u64,
    /// What the point-in-time assembly did (models trained with events or outcomes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time: Option<PointInTimeReport>,
    /// Metrics on this data.
    pub evaluation: Evaluation,
    /// The operating curve on this data.
    pub curve: OperatingCurve,
}

/// Fresh labelled data to evaluate models on: a leads file and, for models trained point in
/// time, the events and outcomes tables.
#[derive(Debug, Clone, Default)]
pub struct FreshData {
    /// The leads file (with the label column for flat-file models).
    pub leads: PathBuf,
    /// The events file (required by models with event features).
    pub events: Option<PathBuf>,
    /// The outcomes file (required by models trained with one).
    pub outcomes: Option<PathBuf>,
    /// Label column of the leads file (default: the model's).
    pub label: Option<String>,
    /// Values meaning "converted" (default: the model's).
    pub positive: Vec<String>,
    /// How to read the files (the model's missing tokens replace these).
    pub read: ReadOptions,
}

impl FreshData {
    /// A leads file alone, read with the default options.
    pub fn new(leads: impl Into<PathBuf>) -> Self {
        Self {
            leads: leads.into(),
            ..Self::default()
        }
    }

    /// The files given, leads first (for reports and the promotion log).
    pub fn files(&self) -> Vec<String> {
        std::iter::once(&self.leads)
            .chain(&self.events)
            .chain(&self.outcomes)
            .map(|p| p.display().to_string())
            .collect()
    }
}

/// How fresh data becomes a model's labelled examples. Two models with equal rules are scored
/// on the same examples, so the data is read and assembled once for both.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelRules {
    /// A flat leads file with the label as a column; every row is an example.
    Flat {
        /// The label column.
        label: String,
        /// Values meaning "converted".
        positive: Vec<String>,
        /// Cell values read as missing.
        missing_tokens: Vec<String>,
    },
    /// Leads, events and outcomes assembled point in time as the model was trained.
    PointInTime {
        /// The model's settings (with the command line's label overrides applied).
        settings: Box<PointInTimeSettings>,
        /// Cell values read as missing.
        missing_tokens: Vec<String>,
    },
}

/// The rules by which `artifact` turns `fresh` into labelled examples, checking that the files
/// given are the ones the model needs (events for event features, outcomes when it was
/// trained with an outcomes table; none besides the leads for a flat-file model).
pub fn label_rules(artifact: &ModelArtifact, fresh: &FreshData) -> Result<LabelRules> {
    let id = &artifact.model_id;
    let missing_tokens = artifact.spec.missing_tokens.clone();
    let Some(settings) = &artifact.assembly else {
        if artifact.spec.events.is_some() {
            // Its event features need each lead's events and as_of, and the artifact does not
            // say how they were assembled: zeros would read as "an event just now" rather
            // than "never", and the metrics would be silently wrong.
            return Err(TrainError::Config(format!(
                "model {id} was trained with engagement events, but its artifact predates the \
                 stored point-in-time settings ([time], [events], [outcomes]), so its examples \
                 cannot be rebuilt from fresh data; retrain it with this version to evaluate it"
            )));
        }
        if fresh.events.is_some() || fresh.outcomes.is_some() {
            return Err(TrainError::Config(format!(
                "model {id} was trained on a flat leads file (label column `{}`); evaluate it \
                 on a labelled leads file alone, without --events or --outcomes",
                artifact.provenance.label
            )));
        }
        return Ok(LabelRules::Flat {
            label: fresh
                .label
                .clone()
                .unwrap_or_else(|| artifact.provenance.label.clone()),
            positive: if fresh.positive.is_empty() {
                artifact.provenance.positive_values.clone()
            } else {
                fresh.positive.clone()
            },
            missing_tokens,
        });
    };
    let mut settings = settings.clone();
    if artifact.spec.events.is_some() && fresh.events.is_none() {
        let columns = settings.events.clone().unwrap_or_default();
        return Err(TrainError::Config(format!(
            "model {id} was trained with engagement events: pass --events FILE (columns `{}`, \
             `{}`, `{}`) so each lead's events can be placed in time",
            columns.lead_id, columns.event_type, columns.occurred_at
        )));
    }
    match (&settings.outcomes, &fresh.outcomes) {
        (Some(o), None) => {
            return Err(TrainError::Config(format!(
                "model {id} was trained with an outcomes table: pass --outcomes FILE (columns \
                 `{}`, optional `{}` and `{}`; leads absent from it are negatives)",
                o.lead_id, o.converted, o.converted_at
            )))
        }
        (None, Some(_)) => {
            return Err(TrainError::Config(format!(
                "model {id} takes its label from the leads column `{}`, not from an outcomes \
                 table: leave out --outcomes",
                settings.label.as_deref().unwrap_or_default()
            )))
        }
        _ => {}
    }
    if let Some(label) = &fresh.label {
        if settings.outcomes.is_some() {
            return Err(TrainError::Config(format!(
                "--label does not apply: model {id} takes its labels from the outcomes table"
            )));
        }
        settings.label = Some(label.clone());
    }
    if !fresh.positive.is_empty() {
        settings.positive = fresh.positive.clone();
    }
    Ok(LabelRules::PointInTime {
        settings: Box::new(settings),
        missing_tokens,
    })
}

/// Labelled examples built from fresh data, ready to be scored by any model whose columns the
/// leads file holds.
#[derive(Debug, Clone)]
pub struct LabelledSet {
    /// The leads of the examples (rows of the leads file that were kept, in file order).
    pub table: Table,
    /// Row (0-based) in the leads file of each example.
    pub source_rows: Vec<usize>,
    /// Converted (within the horizon, for point-in-time rules).
    pub labels: Vec<bool>,
    /// Each example's scoring moment (point-in-time rules only).
    pub as_of: Option<Vec<i64>>,
    /// The events of the examples' leads (when an events file was given).
    pub events: Option<EventColumns>,
    /// What the assembly did (point-in-time rules only).
    pub point_in_time: Option<PointInTimeReport>,
    /// The events file read, for reports.
    pub events_path: Option<String>,
    /// The outcomes file read, for reports.
    pub outcomes_path: Option<String>,
}

impl LabelledSet {
    /// Reads `fresh` and builds its labelled examples by `rules` (the point-in-time assembly
    /// of training for [`LabelRules::PointInTime`]). Both classes must be present.
    pub fn load(rules: &LabelRules, fresh: &FreshData) -> Result<Self> {
        let mut read = fresh.read.clone();
        let set = match rules {
            LabelRules::Flat {
                label,
                positive,
                missing_tokens,
            } => {
                read.missing_tokens = missing_tokens.clone();
                let table = read_table(&fresh.leads, &read)?;
                let labels = labels(&table, label, positive)?;
                Self {
                    source_rows: (0..labels.len()).collect(),
                    table,
                    labels,
                    as_of: None,
                    events: None,
                    point_in_time: None,
                    events_path: None,
                    outcomes_path: None,
                }
            }
            LabelRules::PointInTime {
                settings,
                missing_tokens,
            } => {
                read.missing_tokens = missing_tokens.clone();
                let leads = read_table(&fresh.leads, &read)?;
                let spec = settings.assembly_spec(missing_tokens);
                let a = assemble(&AssemblyInputs {
                    leads: &leads,
                    spec: &spec,
                    events: fresh.events.as_deref(),
                    outcomes: fresh.outcomes.as_deref(),
                    read: &read,
                })?;
                Self {
                    table: a.table,
                    source_rows: a.source_rows,
                    labels: a.labels,
                    as_of: Some(a.as_of),
                    events_path: a.events.as_ref().map(|e| e.path.clone()),
                    events: a.events,
                    point_in_time: Some(a.report),
                    outcomes_path: a.outcomes_fingerprint.map(|f| f.path),
                }
            }
        };
        let positives = set.labels.iter().filter(|v| **v).count();
        if positives == 0 || positives == set.labels.len() {
            let why = match &set.point_in_time {
                Some(r) => format!(
                    " (of {} leads, {} were censored because their {}-day horizon is not over \
                     by the end of the data, {}, and {} converted before as_of)",
                    r.leads, r.censored, r.horizon_days, r.end_of_data, r.converted_before_as_of
                ),
                None => String::new(),
            };
            return Err(TrainError::Read {
                path: set.table.path.clone(),
                message: format!(
                    "the fresh data has {} labelled leads, {positives} of them converted: \
                     evaluation needs converted and unconverted leads{why}",
                    set.labels.len()
                ),
            });
        }
        Ok(set)
    }

    /// Where two sets' examples differ (leads, labels or scoring moments), or `None` when they
    /// are the same examples.
    pub fn difference(&self, other: &Self) -> Option<String> {
        if self.source_rows != other.source_rows {
            return Some(format!(
                "they select different leads ({} vs {} labelled leads)",
                self.source_rows.len(),
                other.source_rows.len()
            ));
        }
        if let Some(k) = (0..self.labels.len()).find(|&k| self.labels[k] != other.labels[k]) {
            return Some(format!(
                "they label leads differently (first at row {} of {}; {} vs {} converted)",
                self.source_rows[k] + 1,
                self.table.path,
                self.labels.iter().filter(|v| **v).count(),
                other.labels.iter().filter(|v| **v).count()
            ));
        }
        if self.as_of != other.as_of {
            return Some("they score leads as of different moments".into());
        }
        None
    }
}

/// Scores a labelled set with `artifact`: every column of its spec must be in the leads file.
pub fn score_labelled(artifact: &ModelArtifact, set: &LabelledSet) -> Result<FileEvaluation> {
    if artifact.spec.events.is_some() && (set.events.is_none() || set.as_of.is_none()) {
        return Err(TrainError::Config(format!(
            "model {} was trained with engagement events; these examples have no events \
             placed in time (pass --events)",
            artifact.model_id
        )));
    }
    for c in &artifact.spec.columns {
        crate::load::column(&set.table, &c.name)?;
    }
    let x = featurize_with_events(
        &artifact.spec,
        &set.table,
        set.as_of.as_deref(),
        set.events.as_ref(),
    )?;
    let scores: Vec<f64> = (0..x.rows)
        .map(|i| artifact.model.score(&x.row(i)))
        .collect();
    Ok(FileEvaluation {
        model_id: artifact.model_id.clone(),
        data: set.table.path.clone(),
        events: set.events_path.clone(),
        outcomes: set.outcomes_path.clone(),
        rows: set.labels.len() as u64,
        point_in_time: set.point_in_time.clone(),
        evaluation: evaluate(&scores, &set.labels)?,
        curve: OperatingCurve::from_scores(&scores, &set.labels, CURVE_POINTS)?,
    })
}

/// Evaluates `artifact` on fresh labelled data it has never seen, assembled as it was trained.
pub fn evaluate_fresh(artifact: &ModelArtifact, fresh: &FreshData) -> Result<FileEvaluation> {
    let rules = label_rules(artifact, fresh)?;
    let set = LabelledSet::load(&rules, fresh)?;
    score_labelled(artifact, &set)
}

/// Evaluates `artifact` on a labelled leads file alone (flat-file models).
pub fn evaluate_file(
    artifact: &ModelArtifact,
    data: &std::path::Path,
    label: Option<&str>,
    positive: &[String],
    read: &ReadOptions,
) -> Result<FileEvaluation> {
    evaluate_fresh(
        artifact,
        &FreshData {
            leads: data.to_path_buf(),
            events: None,
            outcomes: None,
            label: label.map(str::to_string),
            positive: positive.to_vec(),
            read: read.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_split_holds_out_the_newest() {
        let as_of = [50, 10, 40, 30, 20, 60, 70, 0, 90, 80];
        let (train, test) = time_split(&as_of, 0.3);
        assert_eq!(test, vec![6, 8, 9]);
        let newest_train = train.iter().map(|&i| as_of[i]).max().unwrap();
        assert!(test.iter().all(|&i| as_of[i] > newest_train));
        assert_eq!(train.len() + test.len(), as_of.len());
    }

    #[test]
    fn stratified_split_keeps_the_class_balance() {
        let y: Vec<bool> = (0..1000).map(|i| i % 5 == 0).collect();
        let (train, test) = stratified_split(&y, 0.2, 7);
        assert_eq!(test.len(), 200);
        assert_eq!(test.iter().filter(|&&i| y[i]).count(), 40);
        assert_eq!(train.len(), 800);
        assert_eq!(stratified_split(&y, 0.2, 7), (train, test), "seeded");
    }
}
