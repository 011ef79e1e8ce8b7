//! The training job end to end: read, label, split, fit the spec, featurize, cross-validate,
//! fit, evaluate on the holdout, check for leakage, and assemble the artifact.

use crate::assemble::{
    assemble, featurize_with_events, fit_events, AssemblyInputs, EventColumns, Lives,
    PointInTimeReport,
};
use crate::bins::{choose_bins, BinsOptions};
use crate::error::{Result, TrainError};
use crate::explain::{RowExplainer, RowExplanation, RowValues};
use crate::featurize::{fit_spec, unseen_values, Matrix};
use crate::fit::{
    fit_after_search, fit_logistic, search_penalty, CvFolds, FitOptions, Standardizer,
};
use crate::infer::{infer_spec, InferOptions};
use crate::load::{read_table, ReadOptions, Table};
use crate::table::{flat_labels, OneClass};
use leadscore_core::artifact::{
    format_version_for, ColumnFill, LeakageFlag, ModelArtifact, Provenance, ReplayReport,
    ScoreHistogram,
};
use leadscore_core::curve::{check_cutoffs, CurveKind, OperatingCurve, CHECKED_TARGETS};
/// The model's own cutoffs judged on fresh data ([`FileEvaluation::model_cutoffs`]).
pub use leadscore_core::curve::{CutoffCheck, CutoffVerdict};
use leadscore_core::fitted::{FittedSpec, FittedTransform, UnseenValues};
use leadscore_core::gates::{GateHoldout, Gates, HoldoutLead};
use leadscore_core::metrics::{evaluate, roc_auc, Evaluation};
use leadscore_core::model::{FeatureWeight, LinearModel, Scorer};
use leadscore_core::rng::SeededRng;
use leadscore_core::spec::{Bins, FeatureSpec, PointInTimeSettings, TransformKind};
use std::path::PathBuf;

/// Most points kept on the stored operating curve.
pub use leadscore_core::gates::CURVE_POINTS;
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

/// The timestamp columns of a leads table whose dates lie after the moments its examples are
/// scored at (`as_of`, one per example). The table holds each lead as it was exported, later:
/// a "last contacted" date there is often after the example's moment, which a model cannot
/// know then (the featurizers read such a date as missing:
/// [`leadscore_core::fitted::after_scoring`]). When that is so in more than 1% of the examples,
/// the column is a snapshot of the end and leaks what happened after the moment (the leads
/// who were contacted later converted), so it is left out of the model with a warning; under
/// 1%, those dates read as missing, with a warning that counts them.
fn snapshot_dates(
    mut spec: FeatureSpec,
    table: &Table,
    as_of: &[i64],
    warnings: &mut Vec<String>,
) -> Result<FeatureSpec> {
    let (missing, order) = (spec.missing_tokens.clone(), spec.date_order);
    let n = as_of.len();
    for c in spec
        .columns
        .iter_mut()
        .filter(|c| c.transform == TransformKind::Timestamp)
    {
        let dates = crate::featurize::date_values(table, &c.name, &missing, order)?;
        let later = dates
            .iter()
            .zip(as_of)
            .filter(|(t, a)| t.is_some_and(|t| leadscore_core::fitted::after_scoring(t, **a)))
            .count();
        if later == 0 {
            continue;
        }
        let pct = 100.0 * later as f64 / n as f64;
        let share = format!(
            "in {later} of the {n} examples ({}) its date lies after the example's scoring \
             time",
            if pct < 0.1 {
                "under 0.1%".to_string()
            } else {
                format!("{pct:.1}%")
            }
        );
        if later * 100 > n {
            c.transform = TransformKind::Ignore;
            warnings.push(format!(
                "column `{}` left out: {share}, where it reads as missing (not known then). A \
                 value the leads table holds as exported, later (a \"last contacted\" date), \
                 would leak what happened after the moment (the leads contacted later are the \
                 ones that went on to convert); a date planned ahead (a trial's end) is known \
                 early but reads as missing until it passes. Export the value as it stood at \
                 each moment, or keep the column out of the spec",
                c.name
            ));
        } else {
            warnings.push(format!(
                "column `{}`: {share}; those dates read as missing (not known then), as the \
                 server reads such a date",
                c.name
            ));
        }
    }
    Ok(spec)
}

/// A flat file's "now" is its latest date ([`fit_spec`]): when one timestamp column's dates
/// run more than a day past every other's (a next follow-up, planned ahead), that "now" lies
/// after the export, every date is measured from it, and a lead scored at the export time
/// reads that column's later dates as missing (not known then). Said, naming the column.
fn dates_ahead(spec: &FeatureSpec, table: &Table) -> Result<Option<String>> {
    let mut latest: Vec<(&str, i64)> = Vec::new();
    for c in spec
        .feature_columns()
        .filter(|c| c.transform == TransformKind::Timestamp)
    {
        let dates =
            crate::featurize::date_values(table, &c.name, &spec.missing_tokens, spec.date_order)?;
        if let Some(t) = dates.into_iter().flatten().max() {
            latest.push((&c.name, t));
        }
    }
    latest.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    let [(ahead, last), (_, next), ..] = latest[..] else {
        return Ok(None);
    };
    if !leadscore_core::fitted::known_later(last, next) {
        return Ok(None);
    }
    Ok(Some(format!(
        "column `{ahead}` has dates up to {} days after every other date column's latest ({}): \
         the file's \"now\" is taken as its latest date, {}. If they are planned ahead (a \
         next follow-up), every date is measured from that later \"now\", and a lead scored at \
         the export time reads the column's later dates as missing (not known then): pass \
         --as-of with the export time, or leave the column out of the spec",
        (last - next) / 86_400,
        crate::explain::rfc3339(next),
        crate::explain::rfc3339(last)
    )))
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
    /// A flat file's "now" (its export time, Unix seconds): dates are measured from it, and
    /// one more than five minutes after it reads as missing. `None`: the latest date of the training
    /// rows ([`fit_spec`]).
    pub as_of: Option<i64>,
    /// A spec file; inferred from the data when absent.
    pub spec: Option<PathBuf>,
    /// Label column (overrides the spec's).
    pub label: Option<String>,
    /// Positive label values (override the spec's).
    pub positive: Vec<String>,
    /// Negative label values (override the spec's; see [`FeatureSpec::negative`]).
    pub negative: Vec<String>,
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
    /// At most this many landmark examples; beyond it, each is kept with one seeded probability.
    pub max_examples: usize,
    /// How the bins of `bins = "auto"` columns are chosen.
    pub bins: BinsOptions,
    /// How many searched pairs (overrides the spec's `[pairs] count`; `Fixed(0)` turns pairs
    /// off, the spec's named ones too; `None`: the spec's, by default `auto`).
    pub pairs: Option<leadscore_core::pairs::PairCount>,
}

/// Default of [`TrainConfig::max_examples`].
pub const DEFAULT_MAX_EXAMPLES: usize = 600_000;

pub use leadscore_core::spec::check_landmarks;

impl TrainConfig {
    /// Defaults for a file.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            as_of: None,
            spec: None,
            label: None,
            positive: Vec::new(),
            negative: Vec::new(),
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
            bins: BinsOptions::default(),
            pairs: None,
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
    /// Holdout scores (for `--holdout-out`): one per holdout example, or for age-aware models
    /// one per replayed moment of each holdout lead (lead by lead, in time order).
    pub holdout_rows: Vec<HoldoutRow>,
    /// Wall time per stage, seconds (read, assemble, featurize, cross-validate, fit, evaluate).
    pub timings: Vec<(&'static str, f64)>,
}

/// One holdout score as `train --holdout-out` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutRow {
    /// The lead id (the spec's id column), or the 1-based data row when there is none.
    pub id: String,
    /// The moment it was scored as of (Unix seconds), when the model has lead times.
    pub as_of: Option<i64>,
    /// The lead's age at `as_of` in days, when the leads have a creation time.
    pub age_days: Option<f64>,
    /// The score.
    pub score: f64,
    /// Converted (within the horizon after `as_of`, for point-in-time models).
    pub label: bool,
    /// Its split into fit and engagement, key factors and gates.
    pub explanation: RowExplanation,
}

pub use crate::explain::HOLDOUT_FACTORS;

/// The events of `rows` (table rows; events keep their table row numbers).
fn select_events(mut ev: EventColumns, rows: &[usize]) -> EventColumns {
    let mut keep = vec![false; rows.iter().max().map_or(0, |m| m + 1)];
    for &r in rows {
        keep[r] = true;
    }
    let mut k = 0;
    for i in 0..ev.lead.len() {
        if keep.get(ev.lead[i] as usize).copied().unwrap_or(false) {
            ev.lead[k] = ev.lead[i];
            ev.event_type[k] = ev.event_type[i];
            ev.occurred_at[k] = ev.occurred_at[i];
            k += 1;
        }
    }
    ev.lead.truncate(k);
    ev.event_type.truncate(k);
    ev.occurred_at.truncate(k);
    ev
}

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

/// The spec file of `config`, parsed; `None` without one.
pub fn spec_file(config: &TrainConfig) -> Result<Option<FeatureSpec>> {
    let Some(path) = &config.spec else {
        return Ok(None);
    };
    let text = crate::load::read_input_text(path)?;
    Ok(Some(FeatureSpec::from_toml(
        &text,
        &path.display().to_string(),
    )?))
}

/// Resolves the spec: the file's (`file`, from [`spec_file`]; validated) or one inferred from the
/// data, with the command line's label, positive values, id and exclusions applied; with what
/// inferring it found worth a warning (nothing for a spec file).
pub fn resolve_spec(
    config: &TrainConfig,
    file: Option<FeatureSpec>,
    table: &Table,
) -> Result<(FeatureSpec, Vec<String>)> {
    let mut warnings = Vec::new();
    let mut spec = match file {
        Some(spec) => spec,
        None => {
            let inferred = infer_spec(
                table,
                &InferOptions {
                    label: config.label.clone(),
                    positive: config.positive.clone(),
                    negative: config.negative.clone(),
                    id: config.id.clone(),
                    exclude: config.exclude.clone(),
                    missing_tokens: config.read.missing_tokens.clone(),
                },
            )?;
            warnings = inferred.warnings;
            inferred.spec
        }
    };
    if config.label.is_some() {
        spec.label = config.label.clone();
    }
    if !config.positive.is_empty() {
        spec.positive = config.positive.clone();
    }
    if !config.negative.is_empty() {
        spec.negative = config.negative.clone();
    }
    if config.id.is_some() {
        spec.id = config.id.clone();
    }
    let three_tables = config.events.is_some() || config.outcomes.is_some();
    if let Some(days) = &config.landmarks_days {
        if !three_tables {
            return Err(TrainError::Config(
                "--landmarks needs lead times: give --events or --outcomes (leads are scored \
                 at created_at + each landmark)"
                    .into(),
            ));
        }
        check_landmarks(days).map_err(|e| TrainError::Config(format!("--landmarks: {e}")))?;
        let time = spec.time.get_or_insert_with(Default::default);
        time.landmarks_days = Some(days.clone());
        time.observation_days = None;
    }
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
    // With several landmarks, lead age (from the creation time) is a feature of its own;
    // the creation column as a plain timestamp would only repeat it.
    let age_column = spec
        .time
        .as_ref()
        .filter(|t| three_tables && t.age_aware())
        .map(|t| t.created_at.clone());
    for c in &mut spec.columns {
        if Some(&c.name) == label.as_ref()
            || Some(&c.name) == spec.id.as_ref()
            || Some(&c.name) == age_column.as_ref()
            || config.exclude.contains(&c.name)
        {
            *c = leadscore_core::spec::ColumnSpec::new(c.name.clone(), TransformKind::Ignore);
        }
    }
    crate::load::check_roles(table, label.as_deref(), spec.id.as_deref(), &config.exclude)?;
    let origin = config
        .spec
        .as_ref()
        .map_or("(inferred)".into(), |p| p.display().to_string());
    spec.validate(&origin)?;
    spec.check_names(&origin)?;
    Ok((spec, warnings))
}

/// The names the lead id column may have, before the spec is resolved: `--id`, the spec file's
/// `id`, and `lead_id`, the default of three-table training. Names the file lacks are ignored by
/// the reader.
fn id_columns(config: &TrainConfig, file: Option<&FeatureSpec>) -> Vec<String> {
    config
        .id
        .iter()
        .chain(file.and_then(|s| s.id.as_ref()))
        .cloned()
        .chain(std::iter::once("lead_id".to_string()))
        .collect()
}

/// Trains a model from a flat table. Nothing is written: the caller writes the artifact.
pub fn train(config: &TrainConfig) -> Result<TrainOutcome> {
    // The examples table of a three-table run and the leads-file row of each example: a cell
    // error names the row of the file, as `score` and `evaluate` do.
    let mut origin: Option<(String, Vec<usize>)> = None;
    train_examples(config, &mut origin).map_err(|e| match &origin {
        Some((path, rows)) => in_source_rows(e, path, rows),
        None => e,
    })
}

fn train_examples(
    config: &TrainConfig,
    origin: &mut Option<(String, Vec<usize>)>,
) -> Result<TrainOutcome> {
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
    // The lead id as written (`000123`, which a number would make `123`): it names the lead in
    // the holdout file, and joins the leads to their events and outcomes, which read ids as text.
    let file_spec = spec_file(config)?;
    read.text_columns
        .extend(id_columns(config, file_spec.as_ref()));
    let table = read_table(&config.data, &read)?;
    lap("read", &mut timings);
    let (spec, mut spec_warnings) = resolve_spec(config, file_spec, &table)?;
    // Before any search reads the columns (a list read as numbers fails at its first row).
    crate::featurize::check_spec_list_columns(&table, &spec)?;
    spec_warnings.extend(table.note.clone());
    if spec.missing_tokens != read.missing_tokens {
        read.missing_tokens = spec.missing_tokens.clone();
    }
    read.date_order = spec.date_order;
    // A file written with decimal commas is read again that way: `1.234` is then text (one
    // thousand two hundred thirty-four, as `numeric_values` reads it), not 1.234.
    let table = if spec.decimal_comma && !read.decimal_comma {
        read.decimal_comma = true;
        read_table(&config.data, &read)?
    } else {
        table
    };
    let table = with_spec_sums(table, &spec)?;
    let three_tables = config.events.is_some() || config.outcomes.is_some();
    let mut outcomes_fingerprint = None;
    // The rows with an outcome, when a flat file has rows without one (see `flat_labels`).
    let mut labelled_rows: Option<Vec<usize>> = None;
    let (table, y, as_of, events, point_in_time, lives, groups) = if three_tables {
        let a = assemble(&AssemblyInputs {
            leads: &table,
            spec: &spec,
            events: config.events.as_deref(),
            outcomes: config.outcomes.as_deref(),
            read: &read,
            allow_untimed_conversions: config.allow_untimed_conversions,
            max_examples: config.max_examples,
            seed: config.seed,
            fresh: false,
        })?;
        outcomes_fingerprint = a.outcomes_fingerprint;
        spec_warnings.extend(a.notes.iter().cloned());
        // A fifth of the events or more naming no lead is most likely a join that failed for
        // some ids (written differently: `001` beside `1`), not leads missing from an export;
        // as for the outcome rows below (a third of the events lost so was silent).
        let r = &a.report;
        if r.events > 0 && r.events_unknown_lead * 5 >= r.events {
            spec_warnings.push(format!(
                "{} of the {} events name a lead id that is not in {}: check that both files \
                 write the ids alike (the events of those leads are not used)",
                r.events_unknown_lead, r.events, table.path
            ));
        }
        // Outcome rows naming no lead: conversions lost to a join that failed, which turns
        // converted leads into negatives without another sign.
        let outcome_rows = outcomes_fingerprint.as_ref().map_or(0, |f| f.rows);
        if r.outcomes_unknown_lead > 0 && r.outcomes_unknown_lead * 5 >= outcome_rows {
            spec_warnings.push(format!(
                "{} of the {} outcome rows name a lead id that is not in {}: check that both \
                 files write the ids alike (those conversions are not counted, so their leads \
                 are negatives)",
                r.outcomes_unknown_lead, outcome_rows, table.path
            ));
        }
        if r.repeated_events * 100 >= r.events.max(1) {
            spec_warnings.push(format!(
                "{} of the {} events repeat another of the same lead exactly (type and time): \
                 each is counted; if the export repeats rows, remove the repeats",
                r.repeated_events, r.events
            ));
        }
        if let Some(first) = &r.first_future_time {
            spec_warnings.push(format!(
                "{} in the tables more than a day after this training run (first: {first}): \
                 a placeholder rather than a time, so it does not set the end of the data \
                 (which decides the examples whose horizon is not over yet)",
                if r.future_times == 1 {
                    "1 time lies".to_string()
                } else {
                    format!("{} times lie", r.future_times)
                }
            ));
        }
        *origin = Some((a.table.path.clone(), a.source_rows.clone()));
        (
            a.table,
            a.labels,
            Some(a.as_of),
            a.events,
            Some(a.report),
            Some(a.lives),
            Some(a.source_rows),
        )
    } else {
        let label = spec.label.clone().unwrap_or_default();
        let flat = flat_labels(
            &table,
            &label,
            &spec.positive,
            &spec.negative,
            OneClass::Refused,
        )?;
        spec_warnings.extend(flat.warning);
        labelled_rows = flat.labelled;
        let y = flat.y;
        if let Some(id) = &spec.id {
            spec_warnings.extend(repeated_ids(&table, id)?);
        }
        (table, y, None, None, None, None, None)
    };
    // Examples at moments before the leads table was exported: a date of that table after an
    // example's moment was not known then.
    let spec = match &as_of {
        Some(a) => snapshot_dates(spec, &table, a, &mut spec_warnings)?,
        None if config.as_of.is_none() => {
            spec_warnings.extend(dates_ahead(&spec, &table)?);
            spec
        }
        None => spec,
    };
    lap("assemble", &mut timings);
    let label = spec
        .label
        .clone()
        .unwrap_or_else(|| "converted (outcomes table)".into());
    let horizon = spec.time.as_ref().map_or(0, |t| {
        (t.horizon_days * leadscore_core::value::SECONDS_PER_DAY) as i64
    });
    let split = match &labelled_rows {
        None => split_examples(
            config.split,
            &y,
            groups.as_deref(),
            as_of.as_deref(),
            horizon,
            config.holdout,
            config.seed,
        )?,
        // A flat file (no groups, no moments) with rows without an outcome: split the others.
        Some(keep) => {
            let y_kept: Vec<bool> = keep.iter().map(|&i| y[i]).collect();
            let s = split_examples(
                config.split,
                &y_kept,
                None,
                None,
                horizon,
                config.holdout,
                config.seed,
            )?;
            ExampleSplit {
                train: s.train.iter().map(|&k| keep[k]).collect(),
                test: s.test.iter().map(|&k| keep[k]).collect(),
                gap_dropped: s.gap_dropped,
            }
        }
    };
    let examples = labelled_rows.as_ref().map_or(y.len(), Vec::len);
    let (train_rows, test_rows) = (split.train, split.test);
    let y_train: Vec<bool> = train_rows.iter().map(|&i| y[i]).collect();
    let y_test: Vec<bool> = test_rows.iter().map(|&i| y[i]).collect();
    if y_test.iter().all(|v| *v)
        || y_test.iter().all(|v| !*v)
        || y_train.iter().filter(|v| **v).count() < 2
    {
        let converted = |rows: &[bool]| rows.iter().filter(|v| **v).count();
        let all = converted(&y);
        let message = if all < 3 || all + 3 > y.len() {
            format!(
                "too few leads of one class to split into training and holdout ({examples} examples, {all} converted)"
            )
        } else {
            // Enough of both classes, but the split left one side without one: say which, and
            // what would help (a time split puts the latest examples in the holdout: outcomes
            // known only for older leads leave it with none).
            let hint = match config.split {
                SplitKind::Time => {
                    "; the time split holds out the latest examples and leaves out of training \
                     those whose horizon reaches them: a short history, or outcomes recorded \
                     only for older leads, leaves a side with no conversion. Use --split \
                     random, or a longer export"
                }
                SplitKind::Random => "",
            };
            let gap = if split.gap_dropped > 0 {
                format!(
                    " ({} left out of training: their horizon reaches past the earliest \
                     holdout moment)",
                    split.gap_dropped
                )
            } else {
                String::new()
            };
            format!(
                "the split left a side without both classes: training has {} converted of \
                 {}{gap}, the holdout {} of {} ({examples} examples, {all} converted){hint}",
                converted(&y_train),
                y_train.len(),
                converted(&y_test),
                y_test.len()
            )
        };
        return Err(TrainError::Column {
            path: table.path.clone(),
            column: label,
            message,
        });
    }
    for c in spec.feature_columns() {
        crate::load::column(&table, &c.name)?;
    }
    let mut fit_options = config.fit.clone();
    fit_options.seed = config.seed;
    let train_groups: Option<Vec<usize>> = groups
        .as_ref()
        .map(|g| train_rows.iter().map(|&i| g[i]).collect());
    let cv = CvFolds::new(&y_train, train_groups.as_deref(), &fit_options)?;
    // Numeric columns with `bins = "auto"`: featurized first without bins, to compare the
    // candidates on the training split (see `crate::bins`); the spec then gets the number chosen.
    let auto: Vec<String> = spec
        .feature_columns()
        .filter(|c| c.transform == TransformKind::Numeric && c.bins == Some(Bins::Auto))
        .map(|c| c.name.clone())
        .collect();
    let featurize_spec = |spec: &FeatureSpec| -> Result<(FittedSpec, Matrix, Matrix)> {
        let mut fitted = fit_spec(spec, &table, &train_rows, config.as_of, as_of.as_deref())?;
        if let (Some(ev), Some(a)) = (&events, &as_of) {
            fitted.events = Some(fit_events(
                &spec.events.clone().unwrap_or_default(),
                ev,
                a,
                &train_rows,
            ));
        }
        let mut all = featurize_with_events(&fitted, &table, as_of.as_deref(), events.as_ref())?;
        // The event counts' training maxima, then every example held to them (the training
        // ones are by construction): a burst past what training saw is scored as the most it
        // saw, here as per lead.
        let offset = fitted.columns_width();
        if let Some(fe) = fitted.events.as_mut() {
            fe.max = crate::assemble::event_maxima(fe, &all, offset, &train_rows);
            fe.days_since_held = true;
            crate::assemble::clamp_events(fe, &mut all, offset);
        }
        let x_train = all.select_rows(&train_rows);
        let x_test = all.select_rows(&test_rows);
        Ok((fitted, x_train, x_test))
    };
    let mut spec = spec;
    let (mut fitted, mut x_train, mut x_test) = featurize_spec(&with_auto_bins(&spec, 0))?;
    if let (Some(ev), Some(fe)) = (&events, &fitted.events) {
        spec_warnings.extend(crate::assemble::event_type_warnings(
            &spec.events.clone().unwrap_or_default(),
            ev,
            fe,
        ));
    }
    lap("featurize", &mut timings);
    let mut bins_choice = None;
    // The `auto` columns' values; those with few distinct values are left to the shape search
    // (the bins search's counts would give them a bin per value or nothing).
    let mut auto_columns: Vec<crate::bins::AutoColumn> = Vec::with_capacity(auto.len());
    for name in &auto {
        auto_columns.push((
            name.clone(),
            crate::featurize::numeric_values(
                &table,
                name,
                &spec.missing_tokens,
                spec.decimal_comma,
            )?,
        ));
    }
    let (many, few): (Vec<&crate::bins::AutoColumn>, Vec<&crate::bins::AutoColumn>) =
        auto_columns.iter().partition(|(_, v)| {
            crate::shapes::distinct_values(
                train_rows.iter().filter_map(|&i| v[i]),
                BINS_MIN_DISTINCT,
            ) >= BINS_MIN_DISTINCT
        });
    let unbinned: Vec<String> = if many.is_empty() {
        auto.clone()
    } else {
        let columns: Vec<crate::bins::AutoColumn> = many.iter().map(|c| (*c).clone()).collect();
        let choice = choose_bins(
            &columns,
            &train_rows,
            &x_train,
            &y_train,
            train_groups.as_deref(),
            &cv,
            &fit_options,
            &config.bins,
        )?;
        drop(columns);
        let chosen = choice.search.chosen;
        spec = with_auto_bins(
            &set_bins(
                &spec,
                many.iter().map(|(n, _)| n.as_str()),
                if choice.search.chosen_spikes {
                    Bins::Spikes(chosen)
                } else {
                    Bins::Fixed(chosen)
                },
            ),
            0,
        );
        let mut choice = choice;
        if choice.search.chosen > 0 {
            let started = std::time::Instant::now();
            let (f, x, t) = featurize_spec(&spec)?;
            (fitted, x_test) = (f, t);
            let x0 = std::mem::replace(&mut x_train, x);
            // The search's fits warm-start the final fit: their weights go to the final
            // layout's positions (left where they were, a bin's weight sat on another column,
            // and a level no training lead has kept a weight it never lost).
            if let Some(p) = choice.penalty.as_mut() {
                match crate::bins::search_to_final(&x0, &x_train) {
                    Some(to) => p.permute(&to),
                    None => p.fits.clear(),
                }
            }
            drop(x0);
            if let Some(t) = timings.iter_mut().find(|t| t.0 == "featurize") {
                t.1 += started.elapsed().as_secs_f64();
            }
        }
        bins_choice = Some(choice);
        if chosen > 0 {
            few.iter().map(|(n, _)| n.clone()).collect()
        } else {
            auto.clone()
        }
    };
    spec = with_auto_bins(&spec, 0);
    let bins_seconds = bins_choice.as_ref().map_or(0.0, |c| c.seconds);
    let (penalty, bins_unconverged) = match bins_choice.as_mut() {
        Some(c) if c.penalty.is_some() => (c.penalty.take(), c.unconverged),
        Some(c) => (None, c.unconverged),
        None => (None, 0),
    };
    let penalty = match penalty {
        Some(p) => p,
        None => search_penalty(
            &x_train,
            &y_train,
            &cv,
            &fit_options.alphas,
            None,
            &fit_options,
        )?,
    };
    let mut fit = fit_after_search(&x_train, &y_train, penalty, &fit_options)?;
    if bins_choice
        .as_ref()
        .is_some_and(|c| c.search.rows < y_train.len() as u64)
    {
        fit.unconverged_cv_fits += bins_unconverged;
        fit.cv_seconds += bins_seconds;
    } else if bins_choice.is_some() {
        // The chosen candidate's search is part of the bins search: count it once.
        fit.unconverged_cv_fits = bins_unconverged;
        fit.cv_seconds = bins_seconds;
    }
    // Bins of their own for the unbinned `auto` columns whose residuals bend.
    let shape_columns: Vec<crate::bins::AutoColumn> = auto_columns
        .into_iter()
        .filter(|(n, _)| unbinned.contains(n))
        .collect();
    let shapes = if shape_columns.is_empty() {
        None
    } else {
        crate::shapes::search_shapes(
            &shape_columns,
            &train_rows,
            &x_train,
            &y_train,
            train_groups.as_deref(),
            &fit,
            &fit_options,
        )?
    };
    drop(shape_columns);
    let mut shapes_seconds = shapes.as_ref().map_or(0.0, |s| s.seconds);
    if let Some(chosen) = shapes.as_ref().map(|s| &s.chosen).filter(|c| !c.is_empty()) {
        let started = std::time::Instant::now();
        for (name, cut) in chosen {
            spec = set_bins(&spec, std::iter::once(name.as_str()), *cut);
        }
        (fitted, x_train, x_test) = featurize_spec(&spec)?;
        let before = fit;
        // The whole penalty grid again, on the same folds (`cv`'s: the same labels, leads and
        // seed).
        fit = crate::fit::fit_with_cv_grouped(
            &x_train,
            &y_train,
            train_groups.as_deref(),
            &fit_options,
        )?;
        fit.unconverged_cv_fits += before.unconverged_cv_fits;
        shapes_seconds += started.elapsed().as_secs_f64() - fit.fit_seconds;
        fit.cv_seconds = before.cv_seconds;
    }
    // The holdout rows' events, for their factors (the rest are not needed again).
    let test_events = events.map(|ev| select_events(ev, &test_rows));
    let pairs = crate::pairs::search_and_add(
        &crate::pairs::settings(spec.pairs.as_ref(), config.pairs),
        &mut fitted,
        &mut x_train,
        &mut x_test,
        &y_train,
        train_groups.as_deref(),
        &mut fit,
        &fit_options,
    )?;
    lap("cross-validate + fit", &mut timings);
    timings.pop();
    timings.push(("cross-validate", fit.cv_seconds));
    if shapes.is_some() {
        timings.push(("shapes", shapes_seconds));
    }
    if let Some(p) = &pairs {
        timings.push(("pairs", p.seconds));
    }
    timings.push(("fit", fit.fit_seconds));
    let mut warnings = spec_warnings;
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
    if let Some(r) = &point_in_time {
        if r.untimed_conversions > 0 {
            warnings.push(format!(
                "{} conversions have no time and were accepted with --allow-untimed-conversions: \
                 a lead's label may count a conversion that had already happened when it was \
                 scored, so the holdout metrics and the cutoff's precision may be optimistic",
                r.untimed_conversions
            ));
        }
        if r.sampled_out > 0 {
            warnings.push(format!(
                "{} of {} landmark examples were left out to stay within --max-examples {} \
                 (a seeded sample, the same share at every landmark)",
                r.sampled_out,
                r.sampled_out + r.used,
                config.max_examples
            ));
        }
    }
    if split.gap_dropped > 0 {
        warnings.push(format!(
            "--split time: {} training examples were left out because their horizon reaches \
             past the earliest holdout moment (the gap between training and holdout)",
            split.gap_dropped
        ));
    }
    let model = linear_model(
        &fitted,
        &fit.standardizer,
        &fit.logit.weights,
        fit.logit.intercept,
        &x_train,
    );
    // Scored as served (see `Scorer::score`): the curve's thresholds are served scores.
    let scorer = Scorer::new(&model);
    let scores: Vec<f64> = (0..x_test.rows)
        .map(|i| scorer.score(&x_test.row(i)))
        .collect();
    let ids: Option<Vec<Option<String>>> = match &spec.id {
        Some(c) => {
            let source = lives.as_ref().map_or(&table, |l| &l.leads);
            Some(
                crate::table::text_values(crate::load::column(source, c)?).map_err(|e| {
                    TrainError::Column {
                        path: source.path.clone(),
                        column: c.clone(),
                        message: e.to_string(),
                    }
                })?,
            )
        }
        None => None,
    };
    // The lead (row of the leads file) behind example i.
    let lead_of = |i: usize| groups.as_ref().map_or(i, |g| g[i]);
    let id_of = |lead: usize| {
        ids.as_ref()
            .and_then(|v| v[lead].clone())
            .unwrap_or_else(|| (lead + 1).to_string())
    };
    let evaluation = evaluate(&scores, &y_test)?;
    let example_curve = OperatingCurve::from_scores(&scores, &y_test, CURVE_POINTS)?;
    let gates = Gates::for_spec(&spec.gates, &fitted)
        .map_err(|e| TrainError::Config(format!("[[gates]] in the spec: {e}")))?;
    let summary = crate::explain::summarize(&fitted, &model, &x_train, &x_test, &y_test);
    let explainer = RowExplainer::new(&fitted, &model, &summary, &gates);
    let age_aware = fitted
        .columns
        .iter()
        .any(|c| matches!(c.transform, FittedTransform::LeadAge { .. }));
    let (gate_holdout, example_curve, mut replay, holdout_rows): (_, _, _, Vec<HoldoutRow>) =
        match (&lives, age_aware) {
            (Some(lives), true) => {
                let mut holdout_leads: Vec<usize> = test_rows.iter().map(|&i| lead_of(i)).collect();
                holdout_leads.dedup();
                let r = replay_holdout(
                    lives,
                    &fitted,
                    &model,
                    &explainer,
                    &holdout_leads,
                    config.seed,
                )?;
                let rows = r
                    .scores
                    .into_iter()
                    .map(|m| HoldoutRow {
                        id: id_of(m.lead),
                        as_of: Some(m.as_of),
                        age_days: lives.created[m.lead]
                            .map(|c| leadscore_core::fitted::days_since(c, m.as_of)),
                        score: m.score,
                        label: m.label,
                        explanation: m.explanation,
                    })
                    .collect();
                (r.gate_holdout, Some(example_curve), Some(r.report), rows)
            }
            _ => {
                let values = RowValues::read(&fitted, &table, &test_rows, test_events.as_ref())?;
                let mut gate_leads = Vec::with_capacity(test_rows.len());
                let rows = test_rows
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| {
                        let x = x_test.row(k);
                        let lead = lead_of(i);
                        let at = as_of.as_ref().map(|a| a[i]);
                        gate_leads.push(explainer.holdout_lead(
                            &values,
                            k,
                            &[(scores[k], y_test[k])],
                        ));
                        HoldoutRow {
                            id: id_of(lead),
                            as_of: at,
                            age_days: match (&lives, &as_of) {
                                (Some(l), Some(a)) => l.created[lead]
                                    .map(|c| leadscore_core::fitted::days_since(c, a[i])),
                                _ => None,
                            },
                            score: scores[k],
                            label: y_test[k],
                            explanation: explainer.explain(&values, k, &x, at),
                        }
                    })
                    .collect();
                let holdout = GateHoldout {
                    kind: CurveKind::PerExample,
                    leads: gate_leads,
                };
                (holdout, None, None, rows)
            }
        };
    let curve = gate_holdout.curve(&gates, CURVE_POINTS)?;
    let mut summary = summary;
    summary.examples = crate::explain::examples(&holdout_rows, &curve);
    if let Some(r) = replay.as_mut() {
        r.converted_at_first_crossing = curve.points.last().map_or(0, |p| p.tp);
    }
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
        let what = if l.column.starts_with("events: ") {
            format!("event type `{}`", l.column.trim_start_matches("events: "))
        } else {
            format!("column `{}`", l.column)
        };
        warnings.push(format!(
            "{what} looks like leakage: on its own it reaches a holdout ROC AUC of {:.3} (>= {}); \
             if it is recorded after the outcome is known (by sales, after contact), exclude it \
             (--exclude for a column; leave the event type out of the events file or list the \
             others in [events] types)",
            l.roc_auc, config.leakage_auc
        ));
    }
    // Leakage no single column shows (two dates whose gap is the outcome: activity that goes
    // on after the sale) still shows in the whole: no lead export ranks its conversions
    // almost perfectly from what was known before them.
    // (A holdout always holds both classes: the split refuses one that does not.)
    if let Some(holdout_auc) = evaluation
        .roc_auc
        .filter(|auc| *auc >= NEAR_PERFECT_AUC && evaluation.n >= 100)
    {
        warnings.push(format!(
            "the holdout ROC AUC is {:.3}: almost perfect, which lead data before the outcome \
             does not give; look for fields recorded after the outcome, alone or together (a \
             last-activity date beside a creation date, an owner or stage set by sales): the \
             strongest weights (`inspect`) name them",
            holdout_auc
        ));
    }
    lap("evaluate", &mut timings);
    let date_range = date_range(&spec, &table)?;
    let reference_fill = fill_rates(&fitted, &table, &train_rows)?;
    // A column no training row fills (a spec written by hand, or an export whose column went
    // blank) trains into features that carry nothing: said, as `init` would have left it out.
    for f in reference_fill.iter().filter(|f| f.filled_share == 0.0) {
        warnings.push(format!(
            "column `{}` is empty in every training row (missing, or a missing token): its \
             features carry nothing the model can use; check the export, or set transform = \
             \"ignore\" in the spec",
            leadscore_core::value::escape_controls(&f.column)
        ));
    }
    let mut inputs = vec![table.fingerprint.clone()];
    if let Some(fp) = lives
        .as_ref()
        .and_then(|l| l.events.as_ref())
        .and_then(|e| e.fingerprint.clone())
    {
        inputs.push(fp);
    }
    inputs.extend(outcomes_fingerprint);
    let unit = if groups.is_some() { "leads" } else { "rows" };
    let split = match config.split {
        SplitKind::Random => format!(
            "stratified random by lead, {:.0}% of {unit} held out, seed {}",
            config.holdout * 100.0,
            config.seed
        ),
        SplitKind::Time => format!(
            "by time: the newest {:.0}% of {unit} held out{}",
            config.holdout * 100.0,
            if groups.is_some() {
                ", no training example's horizon reaching past the earliest holdout moment"
            } else {
                ""
            }
        ),
    };
    let count_positives = |rows: &[usize]| rows.iter().filter(|&&i| y[i]).count() as u64;
    let provenance = Provenance {
        inputs,
        label,
        positive_values: spec.positive.clone(),
        negative_values: spec.negative.clone(),
        rows: examples as u64,
        train_rows: train_rows.len() as u64,
        train_positives: count_positives(&train_rows),
        holdout_rows: test_rows.len() as u64,
        holdout_positives: count_positives(&test_rows),
        split,
        date_range,
        penalty: fit.penalty,
        bins: bins_choice.map(|c| c.search),
        solver: fit.solver,
        point_in_time,
        warnings,
        pairs: pairs.map(|p| p.search),
        shapes: shapes.map(|s| s.search),
    };
    let mut settings = spec.point_in_time_settings();
    settings.allow_untimed_conversions = config.allow_untimed_conversions;
    let mut artifact = ModelArtifact {
        format_version: format_version_for(&fitted),
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
        assembly: three_tables.then_some(settings),
        reference_fill,
        example_curve,
        replay,
        gates: spec.gates.clone(),
        gate_holdout: Some(gate_holdout),
        explain: Some(summary),
    };
    artifact.seal();
    Ok(TrainOutcome {
        artifact,
        spec,
        holdout_rows,
        timings,
    })
}

/// `spec` with `bins` fixed on the numeric columns `names`.
pub fn set_bins<'a>(
    spec: &FeatureSpec,
    names: impl Iterator<Item = &'a str>,
    bins: Bins,
) -> FeatureSpec {
    let mut spec = spec.clone();
    for name in names {
        if let Some(c) = spec.columns.iter_mut().find(|c| c.name == name) {
            c.bins = Some(bins);
        }
    }
    spec
}

/// A flat file's ids that repeat: each row is its own example there, so copies of one lead can
/// land on both sides of the holdout (and `score` refuses the file). A warning, not an error:
/// training on such a file is still possible.
fn repeated_ids(table: &Table, id: &str) -> Result<Option<String>> {
    let values = crate::table::text_values(crate::load::column(table, id)?).map_err(|e| {
        TrainError::Column {
            path: table.path.clone(),
            column: id.to_string(),
            message: e.to_string(),
        }
    })?;
    let mut first: std::collections::HashMap<&str, usize> = Default::default();
    let mut repeats = 0usize;
    let mut example: Option<(usize, &str, usize)> = None;
    for (row, v) in values.iter().enumerate() {
        let Some(v) = v.as_deref() else { continue };
        match first.get(v) {
            Some(&at) => {
                repeats += 1;
                example.get_or_insert((row, v, at));
            }
            None => {
                first.insert(v, row);
            }
        }
    }
    Ok(example.map(|(row, v, at)| {
        format!(
            "{repeats} rows repeat an id (first: row {}, id {v:?}, seen at row {}): each row is \
             its own example here, so copies of one lead can sit on both sides of the holdout \
             and flatter its figures; `score` refuses such a file",
            row + 1,
            at + 1
        )
    }))
}

/// An `auto` column takes part in the bins search with at least this many distinct training
/// values (the shape search takes the others).
pub const BINS_MIN_DISTINCT: usize = 10;

/// `spec` with every numeric column's `bins = "auto"` set to `bins`.
pub fn with_auto_bins(spec: &FeatureSpec, bins: usize) -> FeatureSpec {
    let mut spec = spec.clone();
    for c in &mut spec.columns {
        if c.bins == Some(Bins::Auto) {
            c.bins = Some(Bins::Fixed(bins));
        }
    }
    spec
}

/// Training and holdout examples.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleSplit {
    /// Training example rows, ascending.
    pub train: Vec<usize>,
    /// Holdout example rows, ascending.
    pub test: Vec<usize>,
    /// Training examples left out by the time split's gap.
    pub gap_dropped: u64,
}

/// Splits examples into training and holdout. With `groups` (the lead of each example), whole
/// leads go to one side: a random split stratifies leads by whether any of their examples
/// converted; a time split holds out the leads first scored latest and leaves a gap: a
/// training example whose horizon (`as_of + horizon`) reaches past the earliest holdout moment
/// is left out, so no training label was decided by what happened during the holdout period.
pub fn split_examples(
    kind: SplitKind,
    y: &[bool],
    groups: Option<&[usize]>,
    as_of: Option<&[i64]>,
    horizon: i64,
    holdout: f64,
    seed: u64,
) -> Result<ExampleSplit> {
    let Some(groups) = groups else {
        let (train, test) = match (kind, as_of) {
            (SplitKind::Random, _) => stratified_split(y, holdout, seed),
            (SplitKind::Time, Some(a)) => time_split(a, holdout),
            (SplitKind::Time, None) => return Err(no_lead_times()),
        };
        return Ok(ExampleSplit {
            train,
            test,
            gap_dropped: 0,
        });
    };
    // One entry per lead: its examples' rows, whether any converted, its first moment.
    let mut index: std::collections::HashMap<usize, usize> = Default::default();
    let mut leads: Vec<(Vec<usize>, bool, i64)> = Vec::new();
    for (i, &g) in groups.iter().enumerate() {
        let k = *index.entry(g).or_insert_with(|| {
            leads.push((Vec::new(), false, i64::MAX));
            leads.len() - 1
        });
        leads[k].0.push(i);
        leads[k].1 |= y[i];
        leads[k].2 = leads[k].2.min(as_of.map_or(0, |a| a[i]));
    }
    let (train_leads, test_leads) = match kind {
        SplitKind::Random => {
            let labels: Vec<bool> = leads.iter().map(|l| l.1).collect();
            stratified_split(&labels, holdout, seed)
        }
        SplitKind::Time => {
            if as_of.is_none() {
                return Err(no_lead_times());
            }
            let first: Vec<i64> = leads.iter().map(|l| l.2).collect();
            time_split(&first, holdout)
        }
    };
    let mut test: Vec<usize> = test_leads
        .iter()
        .flat_map(|&k| leads[k].0.clone())
        .collect();
    test.sort_unstable();
    let mut train: Vec<usize> = train_leads
        .iter()
        .flat_map(|&k| leads[k].0.clone())
        .collect();
    train.sort_unstable();
    let mut gap_dropped = 0;
    if let (SplitKind::Time, Some(a)) = (kind, as_of) {
        let earliest = test.iter().map(|&i| a[i]).min().unwrap_or(i64::MAX);
        let before = train.len();
        train.retain(|&i| a[i].saturating_add(horizon) <= earliest);
        gap_dropped = (before - train.len()) as u64;
    }
    Ok(ExampleSplit {
        train,
        test,
        gap_dropped,
    })
}

fn no_lead_times() -> TrainError {
    TrainError::Config(
        "--split time needs lead times: give --events or --outcomes (leads scored as of created_at + each landmark)".into(),
    )
}

/// Most holdout leads replayed through their lives for the handoff curve; a larger holdout is
/// sampled (seeded). 20,000 leads bound a precision near 0.5 within about +-0.01.
pub const REPLAY_MAX_LEADS: usize = 20_000;
/// Moments featurized at once during the replay (bounds its memory).
const REPLAY_CHUNK: usize = 100_000;

/// One replayed score of a holdout lead.
#[derive(Debug, Clone)]
pub struct ReplayedScore {
    /// Row of the lead in the leads file.
    pub lead: usize,
    /// The moment scored, Unix seconds.
    pub as_of: i64,
    /// The score.
    pub score: f64,
    /// Converted within the horizon after `as_of`.
    pub label: bool,
    /// Its split, key factors and gates.
    pub explanation: RowExplanation,
}

/// The holdout replayed through time.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Every replayed score, lead by lead, in time order.
    pub scores: Vec<ReplayedScore>,
    /// The replayed leads as gates need them (one per lead, in `scores` order).
    pub gate_holdout: GateHoldout,
    /// Counts for the artifact (`converted_at_first_crossing` is filled in by the caller from
    /// the gated curve).
    pub report: ReplayReport,
}

/// Replays holdout leads through their lives (scored at each landmark and after each of their
/// events, as an integration that re-scores on every new event would); the handoff curve the
/// cutoff is chosen on is built from the result (see [`OperatingCurve::handoff`]).
pub fn replay_holdout(
    lives: &Lives,
    fitted: &FittedSpec,
    model: &LinearModel,
    explainer: &RowExplainer<'_>,
    holdout_leads: &[usize],
    seed: u64,
) -> Result<Replay> {
    let mut leads = holdout_leads.to_vec();
    let mut not_replayed = 0;
    if leads.len() > REPLAY_MAX_LEADS {
        SeededRng::new(seed ^ 0x004E_91A7).shuffle(&mut leads);
        not_replayed = (leads.len() - REPLAY_MAX_LEADS) as u64;
        leads.truncate(REPLAY_MAX_LEADS);
        leads.sort_unstable();
    }
    let mut scores: Vec<ReplayedScore> = Vec::new();
    let mut gate_leads: Vec<HoldoutLead> = Vec::new();
    let (mut rows, mut times, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    // A chunk always holds whole leads (it is flushed between leads).
    let mut flush = |rows: &mut Vec<usize>,
                     times: &mut Vec<i64>,
                     labels: &mut Vec<bool>,
                     out: &mut Vec<ReplayedScore>|
     -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (table, events) = lives.examples(rows, times)?;
        let x = featurize_with_events(fitted, &table, Some(times), events.as_ref())?;
        let scorer = Scorer::new(model);
        let all: Vec<usize> = (0..rows.len()).collect();
        let values = RowValues::read(fitted, &table, &all, events.as_ref())?;
        let mut start = 0;
        for k in 0..x.rows {
            let v = x.row(k);
            out.push(ReplayedScore {
                lead: rows[k],
                as_of: times[k],
                score: scorer.score(&v),
                label: labels[k],
                explanation: explainer.explain(&values, k, &v, Some(times[k])),
            });
            if k + 1 == x.rows || rows[k + 1] != rows[k] {
                let life: Vec<(f64, bool)> = out[out.len() - (k + 1 - start)..]
                    .iter()
                    .map(|s| (s.score, s.label))
                    .collect();
                gate_leads.push(explainer.holdout_lead(&values, start, &life));
                start = k + 1;
            }
        }
        rows.clear();
        times.clear();
        labels.clear();
        Ok(())
    };
    for &lead in &leads {
        for (t, y) in lives.replay_moments(lead) {
            rows.push(lead);
            times.push(t);
            labels.push(y);
        }
        if rows.len() >= REPLAY_CHUNK {
            flush(&mut rows, &mut times, &mut labels, &mut scores)?;
        }
    }
    flush(&mut rows, &mut times, &mut labels, &mut scores)?;
    let report = ReplayReport {
        leads: gate_leads.len() as u64,
        leads_not_replayed: not_replayed,
        moments: scores.len() as u64,
        converted_at_first_crossing: 0,
    };
    Ok(Replay {
        scores,
        gate_holdout: GateHoldout {
            kind: CurveKind::Handoff,
            leads: gate_leads,
        },
        report,
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
    // Indicators were fitted on their own scale (see `fit::INDICATOR_SCALE_POWER`): the same
    // model per plain standard deviation.
    let (std, weights) = std.to_plain(x_train, weights);
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

/// The share of `rows` where each of the model's input columns has a value the model reads
/// (not null, not a missing token, not a number the featurizer reads as missing:
/// [`FittedSpec::reads_as_missing`], the server's live count too). The reference of the
/// server's fill-rate drift check.
pub fn fill_rates(fitted: &FittedSpec, table: &Table, rows: &[usize]) -> Result<Vec<ColumnFill>> {
    use leadscore_core::value::FieldValue;
    use polars::prelude::DataType;
    fitted
        .columns
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let s = crate::load::column(table, &c.name)?;
            let err = |e: polars::prelude::PolarsError| TrainError::Column {
                path: table.path.clone(),
                column: c.name.clone(),
                message: e.to_string(),
            };
            let filled = |v: FieldValue<'_>| !fitted.reads_as_missing(ci, v);
            let filled: Vec<bool> = match s.dtype() {
                DataType::String => s
                    .str()
                    .map_err(err)?
                    .iter()
                    .map(|v| v.is_some_and(|t| filled(FieldValue::Text(t))))
                    .collect(),
                DataType::Boolean => s
                    .bool()
                    .map_err(err)?
                    .iter()
                    .map(|v| v.is_some_and(|b| filled(FieldValue::Bool(b))))
                    .collect(),
                dt if dt.is_primitive_numeric() => s
                    .cast(&DataType::Float64)
                    .map_err(err)?
                    .f64()
                    .map_err(err)?
                    .iter()
                    .map(|v| v.is_some_and(|x| filled(FieldValue::Number(x))))
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
        for t in
            crate::featurize::date_values(table, &c.name, &spec.missing_tokens, spec.date_order)?
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

/// A holdout ROC AUC from which training warns that the model is too good to be honest: a
/// leak no single column shows (see where it is used).
pub const NEAR_PERFECT_AUC: f64 = 0.98;

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
    // Each input column's features, then each event type's (an event type logged by sales
    // after contact leaks like a column filled in after the outcome).
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut offset = 0;
    for c in &fitted.columns {
        let width = c.transform.width();
        if !matches!(c.transform, FittedTransform::LeadAge { .. }) {
            groups.push((c.name.clone(), (offset..offset + width).collect()));
        }
        offset += width;
    }
    if let Some(ev) = &fitted.events {
        let per = ev.per_type();
        for (k, t) in ev.types.iter().enumerate() {
            let start = offset + k * per;
            groups.push((format!("events: {t}"), (start..start + per).collect()));
        }
    }
    for (name, cols) in &groups {
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
                column: name.clone(),
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
    /// The operating curve on this data, per example.
    pub curve: OperatingCurve,
    /// Age-aware models: the handoff curve of these leads replayed through their lives (see
    /// [`OperatingCurve::handoff`]), the one the cutoff's promise is judged on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_curve: Option<OperatingCurve>,
    /// A flat model with gates: the curve on this data without them (`curve` counts the leads
    /// a gate holds back as never MQLs, so it stops short of every converter), the one its
    /// ROC AUC measures and the report's charts draw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ungated_curve: Option<OperatingCurve>,
    /// Per boolean, categorical or numeric column, the leads whose value training did not see
    /// (scored as missing, `other` or the nearest training value, never an error); only
    /// columns with some.
    pub unseen: Vec<UnseenValues>,
    /// The model's own cutoffs judged on this data: for each report target its training
    /// curve reaches, the cutoff a server started with `--target-precision` at that target
    /// uses (chosen on the model's holdout, 95% confidence, the model's gates) and what it
    /// delivers here, on the curve the promise is judged on (the handoff curve for age-aware
    /// models), with every distinct score kept.
    pub model_cutoffs: Vec<CutoffCheck>,
    /// How the leads file was read, when that needs a word (not UTF-8, read as Windows-1252),
    /// and what was done with the rows of a flat file that have no label: left out, or counted
    /// as not converted (see [`crate::table::flat_labels`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
    /// Values meaning "not converted" (default: the model's).
    pub negative: Vec<String>,
    /// How to read the files (the model's missing tokens replace these).
    pub read: ReadOptions,
    /// A flat file's own export time (Unix seconds), from which a flat-file model measures
    /// its dates (default: the model's training data end); not for point-in-time models.
    pub as_of: Option<i64>,
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
        /// Values meaning "not converted" (empty: every other value).
        negative: Vec<String>,
        /// Cell values read as missing.
        missing_tokens: Vec<String>,
        /// The leads file writes numbers with a decimal comma (the model's spec says so).
        decimal_comma: bool,
    },
    /// Leads, events and outcomes assembled point in time as the model was trained.
    PointInTime {
        /// The model's settings (with the command line's label overrides applied).
        settings: Box<PointInTimeSettings>,
        /// Cell values read as missing.
        missing_tokens: Vec<String>,
        /// The leads file writes numbers with a decimal comma (the model's spec says so).
        decimal_comma: bool,
        /// How the files write dates with the year last (the model's spec says so).
        date_order: leadscore_core::value::DateOrder,
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
            // The model's negative values go with its positive ones.
            negative: match (fresh.negative.is_empty(), fresh.positive.is_empty()) {
                (false, _) => fresh.negative.clone(),
                (true, true) => artifact.provenance.negative_values.clone(),
                (true, false) => Vec::new(),
            },
            missing_tokens,
            decimal_comma: artifact.spec.decimal_comma,
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
        decimal_comma: artifact.spec.decimal_comma,
        date_order: artifact.spec.date_order,
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
    /// The leads' lives (point-in-time rules only), to replay them through time.
    pub lives: Option<Lives>,
    /// How the leads file was read, when that needs a word, and what was done with the rows
    /// of a flat file that have no label (see [`FileEvaluation::warnings`]).
    pub warnings: Vec<String>,
    /// A flat file's export time ([`FreshData::as_of`]).
    pub now: Option<i64>,
}

impl LabelledSet {
    /// Reads `fresh` and builds its labelled examples by `rules` (the point-in-time assembly
    /// of training for [`LabelRules::PointInTime`]). Both classes must be present.
    pub fn load(rules: &LabelRules, fresh: &FreshData) -> Result<Self> {
        let mut read = fresh.read.clone();
        let mut set = match rules {
            LabelRules::Flat {
                label,
                positive,
                negative,
                missing_tokens,
                decimal_comma,
            } => {
                read.missing_tokens = missing_tokens.clone();
                read.decimal_comma = *decimal_comma;
                let table = read_table(&fresh.leads, &read)?;
                // Fresh outcomes of one class are a result to judge the model on.
                let flat = flat_labels(&table, label, positive, negative, OneClass::Either)?;
                let warnings: Vec<String> =
                    table.note.iter().chain(&flat.warning).cloned().collect();
                // The leads without an outcome yet are not examples: only the others are kept.
                let (table, source_rows, labels) = match flat.labelled {
                    None => (table, (0..flat.y.len()).collect(), flat.y),
                    Some(rows) => {
                        let idx = polars::prelude::IdxCa::from_vec(
                            "rows".into(),
                            rows.iter()
                                .map(|&r| r as polars::prelude::IdxSize)
                                .collect(),
                        );
                        let df = table.df.take(&idx).map_err(|e| TrainError::Read {
                            path: table.path.clone(),
                            message: e.to_string(),
                        })?;
                        let labels = rows.iter().map(|&r| flat.y[r]).collect();
                        (Table { df, ..table }, rows, labels)
                    }
                };
                Self {
                    warnings,
                    now: fresh.as_of,
                    lives: None,
                    source_rows,
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
                decimal_comma,
                date_order,
            } => {
                if fresh.as_of.is_some() {
                    return Err(TrainError::Config(
                        "--as-of is a flat file's export time; a model trained point in time \
                         scores each example at its own moment"
                            .into(),
                    ));
                }
                read.missing_tokens = missing_tokens.clone();
                read.decimal_comma = *decimal_comma;
                read.text_columns.push(settings.id.clone());
                let leads = read_table(&fresh.leads, &read)?;
                let spec = FeatureSpec {
                    date_order: *date_order,
                    ..settings.assembly_spec(missing_tokens)
                };
                let a = assemble(&AssemblyInputs {
                    events: fresh.events.as_deref(),
                    outcomes: fresh.outcomes.as_deref(),
                    allow_untimed_conversions: settings.allow_untimed_conversions,
                    fresh: true,
                    ..AssemblyInputs::new(&leads, &spec, &read)
                })?;
                Self {
                    warnings: leads.note.iter().chain(&a.notes).cloned().collect(),
                    now: None,
                    lives: Some(a.lives),
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
        if set.labels.is_empty() {
            return Err(TrainError::Read {
                path: set.table.path.clone(),
                message: format!(
                    "{}: evaluation needs labelled leads",
                    set.one_class().unwrap_or_default()
                ),
            });
        }
        if let Some(one) = set.one_class() {
            set.warnings.push(format!(
                "{one}: ROC AUC{} cannot be measured here; the calibration, and the model's \
                 own cutoffs (what their MQLs delivered), can",
                if set.labels.iter().any(|v| *v) {
                    ""
                } else {
                    ", PR AUC and lift"
                }
            ));
        }
        Ok(set)
    }

    /// What makes the examples one class (nobody converted, or everybody did), with the
    /// point-in-time assembly's counts; `None` when they hold both.
    fn one_class(&self) -> Option<String> {
        let positives = self.labels.iter().filter(|v| **v).count();
        if positives != 0 && positives != self.labels.len() {
            return None;
        }
        let n = self.labels.len();
        let plural =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        // A point-in-time set counts examples (a lead at each landmark of its life).
        let what = match &self.point_in_time {
            Some(r) => format!(
                "{} of {}, {positives} of them converted ({} censored because the {}-day \
                 horizon is not over by the end of the data, {}; {} converted before as_of)",
                plural(n, "labelled example", "labelled examples"),
                plural(r.leads as usize, "lead", "leads"),
                r.censored,
                r.horizon_days,
                r.end_of_data,
                r.converted_before_as_of
            ),
            None => format!(
                "{}, {positives} of them converted",
                plural(n, "labelled lead", "labelled leads")
            ),
        };
        Some(format!("the fresh data has {what}"))
    }

    /// Refuses examples of one class, which cannot compare two models' rankings.
    pub fn require_both_classes(&self) -> Result<()> {
        match self.one_class() {
            Some(one) => {
                // Nobody converted in a point-in-time set: the conversions come from the
                // outcomes file (empty, of other leads, or later than every horizon), so the
                // message names it rather than the leads file.
                let path = match (&self.outcomes_path, self.labels.iter().any(|v| *v)) {
                    (Some(outcomes), false) if self.point_in_time.is_some() => outcomes.clone(),
                    _ => self.table.path.clone(),
                };
                Err(TrainError::Read {
                    path,
                    message: format!(
                        "{one}: comparing models needs converted and unconverted leads"
                    ),
                })
            }
            None => Ok(()),
        }
    }

    /// Where two sets' examples differ (leads, labels or scoring moments), or `None` when they
    /// are the same examples.
    pub fn difference(&self, other: &Self) -> Option<String> {
        if self.source_rows != other.source_rows {
            return Some(format!(
                "they select different examples ({} vs {} labelled examples)",
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

/// A cell error of the examples table `path` (one row per labelled row, or per landmark
/// example) with the row of the file it came from, `source_rows[row]`, as `score` names it.
fn in_source_rows(e: TrainError, path: &str, source_rows: &[usize]) -> TrainError {
    e.with_cell_row(Some(path), |row| {
        row.checked_sub(1)
            .and_then(|r| source_rows.get(r))
            .map_or(row, |r| r + 1)
    })
}

/// The training table with the spec's `sum_of` columns added up from their parts
/// ([`crate::featurize::add_sums`]), so every search and fit reads them as numeric columns. A
/// file that has a column of such a name is refused: which one the model reads would be a
/// guess.
fn with_spec_sums(table: Table, spec: &FeatureSpec) -> Result<Table> {
    let sums: Vec<(&str, Vec<&str>)> = spec
        .columns
        .iter()
        .filter(|c| !c.sum_of.is_empty())
        .map(|c| {
            (
                c.name.as_str(),
                c.sum_of.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    if sums.is_empty() {
        return Ok(table);
    }
    for (name, parts) in &sums {
        if table.df.column(name).is_ok() {
            return Err(TrainError::Column {
                path: table.path.clone(),
                column: name.to_string(),
                message: format!(
                    "the spec adds this column up from {} (`sum_of`), but the file has a \
                     column of that name: rename the spec's column",
                    parts.join(" + ")
                ),
            });
        }
    }
    crate::featurize::add_sums(&table, sums, &spec.missing_tokens, spec.decimal_comma)
}

/// Scores a labelled set with `artifact`: every column of its spec must be in the leads file.
pub fn score_labelled(artifact: &ModelArtifact, set: &LabelledSet) -> Result<FileEvaluation> {
    // A flat file is scored as of the training data's end (its "now"), as its holdout was, or
    // as of its own export time (`--as-of`): a date after it reads as missing (not known
    // then). Said when it matters.
    let mut warnings = set.warnings.clone();
    // The model's `sum_of` columns, added up from their parts as training did.
    let summed = crate::featurize::with_sums(&set.table, &artifact.spec)?;
    let table: &Table = &summed;
    let at_now;
    let artifact = match (&set.as_of, set.now) {
        (None, Some(now)) => {
            let mut a = artifact.clone();
            a.spec.reference_time = Some(now);
            at_now = a;
            &at_now
        }
        _ => artifact,
    };
    if let (None, Some(reference)) = (&set.as_of, artifact.spec.reference_time) {
        let (later, rows) = dates_after(&artifact.spec, table, reference)?;
        if later * 100 > rows && set.now.is_some() {
            warnings.push(format!(
                "{later} of the {rows} rows of {} have a date after --as-of \
                 ({}), the time the file is scored as of: those dates read as missing (not \
                 known then), and the metrics judge the model on less than the file holds",
                set.table.path,
                crate::explain::rfc3339(reference)
            ));
        } else if later * 100 > rows {
            warnings.push(format!(
                "{later} of the {rows} rows of {} have a date after the model's \
                 training data ends ({}): a later export? This model scores a flat file as of \
                 that end, so those dates read as missing (not known then), and the metrics \
                 judge the model on less than the file holds (--as-of gives the file's own \
                 export time)",
                set.table.path,
                crate::explain::rfc3339(reference)
            ));
        }
    }
    if artifact.spec.events.is_some() && (set.events.is_none() || set.as_of.is_none()) {
        return Err(TrainError::Config(format!(
            "model {} was trained with engagement events; these examples have no events \
             placed in time (pass --events)",
            artifact.model_id
        )));
    }
    for c in &artifact.spec.columns {
        crate::load::column(table, &c.name)?;
    }
    let (x, above) = crate::assemble::featurize_noting_above(
        &artifact.spec,
        table,
        set.as_of.as_deref(),
        set.events.as_ref(),
    )
    .map_err(|e| in_source_rows(e, &table.path, &set.source_rows))?;
    let scorer = Scorer::new(&artifact.model);
    let scores: Vec<f64> = (0..x.rows).map(|i| scorer.score(&x.row(i))).collect();
    // Values training did not see, counted once per lead (its first example).
    let mut counted = std::collections::HashSet::new();
    let first_examples: Vec<usize> = (0..set.source_rows.len())
        .filter(|&k| counted.insert(set.source_rows[k]))
        .collect();
    let mut unseen = unseen_values(&artifact.spec, table, &first_examples, set.as_of.as_deref())
        .map_err(|e| in_source_rows(e, &table.path, &set.source_rows))?;
    if let (Some(fitted), Some(events), Some(as_of)) =
        (&artifact.spec.events, &set.events, &set.as_of)
    {
        unseen.extend(crate::assemble::unseen_event_types(
            fitted,
            events,
            as_of,
            &set.source_rows,
        ));
        unseen.extend(crate::assemble::events_above(
            fitted,
            &above,
            &set.source_rows,
        ));
    }
    let age_aware = artifact
        .spec
        .columns
        .iter()
        .any(|c| matches!(c.transform, FittedTransform::LeadAge { .. }));
    // The artifact's gates hold leads back here as they do when serving.
    let gates = Gates::for_spec(&artifact.gates, &artifact.spec)
        .map_err(|e| TrainError::Config(format!("model {}: gates: {e}", artifact.model_id)))?;
    let summary = artifact.explain.clone().unwrap_or_default();
    let explainer = RowExplainer::new(&artifact.spec, &artifact.model, &summary, &gates);
    // Each curve twice: kept to CURVE_POINTS for the report, and whole for the model's
    // cutoffs (a cutoff between two kept points would select fewer leads than it does).
    let (handoff_curve, curve, whole) = match (&set.lives, age_aware) {
        (Some(lives), true) => {
            let mut leads = set.source_rows.clone();
            leads.dedup();
            let r = replay_holdout(
                lives,
                &artifact.spec,
                &artifact.model,
                &explainer,
                &leads,
                7,
            )?;
            (
                Some(r.gate_holdout.curve(&gates, CURVE_POINTS)?),
                OperatingCurve::from_scores(&scores, &set.labels, CURVE_POINTS)?,
                r.gate_holdout.curve(&gates, usize::MAX)?,
            )
        }
        _ => {
            let all: Vec<usize> = (0..x.rows).collect();
            let values = RowValues::read(&artifact.spec, table, &all, set.events.as_ref())?;
            let holdout = GateHoldout {
                kind: CurveKind::PerExample,
                leads: all
                    .iter()
                    .map(|&k| explainer.holdout_lead(&values, k, &[(scores[k], set.labels[k])]))
                    .collect(),
            };
            (
                None,
                holdout.curve(&gates, CURVE_POINTS)?,
                holdout.curve(&gates, usize::MAX)?,
            )
        }
    };
    let ungated_curve = (handoff_curve.is_none() && !gates.is_empty())
        .then(|| OperatingCurve::from_scores(&scores, &set.labels, CURVE_POINTS))
        .transpose()?;
    Ok(FileEvaluation {
        handoff_curve,
        ungated_curve,
        model_id: artifact.model_id.clone(),
        data: set.table.path.clone(),
        events: set.events_path.clone(),
        outcomes: set.outcomes_path.clone(),
        rows: set.labels.len() as u64,
        point_in_time: set.point_in_time.clone(),
        evaluation: evaluate(&scores, &set.labels)?,
        curve,
        unseen,
        model_cutoffs: check_cutoffs(&artifact.curve, &whole, &CHECKED_TARGETS),
        warnings,
    })
}

/// How many rows of `table` have a date of `spec`'s timestamp columns after `reference`
/// ([`leadscore_core::fitted::after_scoring`]), and the rows.
fn dates_after(spec: &FittedSpec, table: &Table, reference: i64) -> Result<(usize, usize)> {
    let rows = table.df.height();
    let mut later = vec![false; rows];
    for c in &spec.columns {
        if matches!(c.transform, FittedTransform::Timestamp { .. }) {
            let dates = crate::featurize::date_values(
                table,
                &c.name,
                &spec.missing_tokens,
                spec.date_order,
            )?;
            for (l, t) in later.iter_mut().zip(dates) {
                *l |= t.is_some_and(|t| leadscore_core::fitted::after_scoring(t, reference));
            }
        }
    }
    Ok((later.iter().filter(|l| **l).count(), rows))
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
            negative: Vec::new(),
            read: read.clone(),
            as_of: None,
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
