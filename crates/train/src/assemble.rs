//! Point in time: turns a leads table, an events table and an outcomes table into training
//! examples that a model could have seen at scoring time, and aggregates the events with
//! polars' lazy engine.
//!
//! Each lead is scored as of `as_of` (an `as_of` column, or `created_at + observation_days`).
//! Events after `as_of` are dropped. The label is "converted within `horizon_days` after
//! `as_of`". Leads whose horizon has not elapsed by the end of the data are censored, and
//! leads that converted before `as_of` are left out; the report counts each group.

use crate::error::{Result, TrainError};
use crate::featurize::{level_values, timestamp_values, Matrix};
use crate::load::{column, read_table, ReadOptions, Table};
use crate::table::labels;
pub use leadscore_core::artifact::PointInTimeReport;
use leadscore_core::fitted::{FittedEvents, DAYS_SINCE_CAP};
use leadscore_core::spec::{EventSpec, FeatureSpec, OutcomeSpec};
use leadscore_core::value::SECONDS_PER_DAY;
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Training examples assembled point in time.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The used leads (rows of the leads file, in file order).
    pub table: Table,
    /// Row numbers (0-based, in the leads file) of the used leads, for error messages.
    pub source_rows: Vec<usize>,
    /// Converted within the horizon.
    pub labels: Vec<bool>,
    /// Each used lead's scoring moment, Unix seconds.
    pub as_of: Vec<i64>,
    /// The events of the used leads (all of them: the featurizer drops those after as_of).
    pub events: Option<EventColumns>,
    /// Counts for the report.
    pub report: PointInTimeReport,
    /// Fingerprint of the outcomes file, if one was read.
    pub outcomes_fingerprint: Option<leadscore_core::artifact::InputFingerprint>,
}

/// An events table reduced to what the features need, one entry per event.
#[derive(Debug, Clone, Default)]
pub struct EventColumns {
    /// Row of the lead in the assembled table.
    pub lead: Vec<u32>,
    /// The event type, as an index into `type_names`.
    pub event_type: Vec<u32>,
    /// Distinct event types as written.
    pub type_names: Vec<String>,
    /// When it happened, Unix seconds.
    pub occurred_at: Vec<i64>,
    /// The events file, for messages.
    pub path: String,
    /// Its fingerprint.
    pub fingerprint: Option<leadscore_core::artifact::InputFingerprint>,
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Lead id -> row, rejecting missing and duplicate ids with the row named.
fn lead_index(table: &Table, id: &str, missing: &[String]) -> Result<HashMap<String, usize>> {
    let ids = level_values(table, id, missing)?;
    let mut index = HashMap::with_capacity(ids.len());
    for (row, v) in ids.into_iter().enumerate() {
        let Some(v) = v else {
            return Err(TrainError::Cell {
                path: table.path.clone(),
                row: row + 1,
                column: id.to_string(),
                message: "the lead id is missing".into(),
            });
        };
        if let Some(first) = index.insert(v.clone(), row) {
            return Err(TrainError::Cell {
                path: table.path.clone(),
                row: row + 1,
                column: id.to_string(),
                message: format!("lead id {v:?} appears again (first at row {})", first + 1),
            });
        }
    }
    Ok(index)
}

/// Inputs of the point-in-time assembly.
pub struct AssemblyInputs<'a> {
    /// The leads table (already read).
    pub leads: &'a Table,
    /// The spec (lead id column, label, time, events, outcomes settings).
    pub spec: &'a FeatureSpec,
    /// The events file, if any.
    pub events: Option<&'a Path>,
    /// The outcomes file, if any (else the label is a column of the leads table).
    pub outcomes: Option<&'a Path>,
    /// How to read CSV files.
    pub read: &'a ReadOptions,
}

/// Builds the point-in-time training examples.
pub fn assemble(inputs: &AssemblyInputs<'_>) -> Result<Assembled> {
    let spec = inputs.spec;
    let leads = inputs.leads;
    let missing = &spec.missing_tokens;
    let time = spec.time.clone().unwrap_or_default();
    let id = spec.id.clone().unwrap_or_else(|| "lead_id".to_string());
    let index = lead_index(leads, &id, missing)?;
    let n = leads.df.height();

    // as_of per lead.
    let created = timestamp_values(leads, &time.created_at, missing)?;
    let (as_of, as_of_rule): (Vec<Option<i64>>, String) = match &time.as_of {
        Some(col) => (
            timestamp_values(leads, col, missing)?,
            format!("the `{col}` column"),
        ),
        None => (
            created
                .iter()
                .map(|c| c.map(|t| t + (time.observation_days * SECONDS_PER_DAY) as i64))
                .collect(),
            format!("`{}` + {} days", time.created_at, time.observation_days),
        ),
    };
    if let Some(row) = as_of.iter().position(Option::is_none) {
        return Err(TrainError::Cell {
            path: leads.path.clone(),
            row: row + 1,
            column: time.as_of.clone().unwrap_or(time.created_at.clone()),
            message: "missing: every lead needs a time to be scored as of".into(),
        });
    }
    let as_of: Vec<i64> = as_of.into_iter().flatten().collect();

    // Events (read once; filtered to known leads).
    let events = match inputs.events {
        Some(path) => Some(read_events(
            path,
            &spec.events.clone().unwrap_or_default(),
            &index,
            inputs.read,
            missing,
        )?),
        None => None,
    };

    // Outcomes: per lead, converted and when.
    let mut report = PointInTimeReport {
        as_of_rule,
        horizon_days: time.horizon_days,
        leads: n as u64,
        ..PointInTimeReport::default()
    };
    let mut end = created.iter().flatten().copied().max().unwrap_or(i64::MIN);
    if let Some(ev) = &events {
        end = end.max(ev.0.occurred_at.iter().copied().max().unwrap_or(i64::MIN));
        report.events = ev.0.fingerprint.as_ref().map_or(0, |f| f.rows);
        report.events_unknown_lead = ev.1;
    }
    let mut outcomes_fingerprint = None;
    let outcome_of: Vec<Option<Option<i64>>> = match inputs.outcomes {
        Some(path) => {
            let (per_lead, unknown, latest, fingerprint) = read_outcomes(
                path,
                spec.outcomes.as_ref().cloned().unwrap_or_default(),
                &spec.positive,
                &index,
                n,
                inputs.read,
                missing,
            )?;
            report.outcomes_unknown_lead = unknown;
            outcomes_fingerprint = Some(fingerprint);
            end = end.max(latest);
            per_lead
        }
        None => {
            let label = spec.label.clone().ok_or_else(|| {
                TrainError::Config(
                    "no outcomes table and no label column: pass --outcomes or --label".into(),
                )
            })?;
            labels(leads, &label, &spec.positive)?
                .into_iter()
                .map(|y| if y { Some(None) } else { None })
                .collect()
        }
    };
    report.end_of_data = rfc3339(end);
    let horizon = (time.horizon_days * SECONDS_PER_DAY) as i64;
    let timed_outcomes = inputs.outcomes.is_some();

    let mut keep = Vec::new();
    let mut y = Vec::new();
    for row in 0..n {
        let a = as_of[row];
        match outcome_of[row] {
            Some(Some(at)) if at <= a => {
                report.converted_before_as_of += 1;
                continue;
            }
            _ => {}
        }
        if timed_outcomes && a + horizon > end {
            report.censored += 1;
            continue;
        }
        let positive = match outcome_of[row] {
            Some(Some(at)) => at <= a + horizon,
            Some(None) => true,
            None => false,
        };
        keep.push(row);
        y.push(positive);
    }
    report.used = keep.len() as u64;
    report.positives = y.iter().filter(|v| **v).count() as u64;

    let idx = IdxCa::from_vec("rows".into(), keep.iter().map(|&r| r as IdxSize).collect());
    let df = leads.df.take(&idx).map_err(|e| TrainError::Read {
        path: leads.path.clone(),
        message: e.to_string(),
    })?;
    let mut new_row = vec![u32::MAX; n];
    for (k, &r) in keep.iter().enumerate() {
        new_row[r] = k as u32;
    }
    let as_of_kept: Vec<i64> = keep.iter().map(|&r| as_of[r]).collect();
    let events = events.map(|(mut ev, _)| {
        let mut out = EventColumns {
            path: ev.path.clone(),
            fingerprint: ev.fingerprint.take(),
            type_names: std::mem::take(&mut ev.type_names),
            ..EventColumns::default()
        };
        for i in 0..ev.lead.len() {
            let k = new_row[ev.lead[i] as usize];
            if k == u32::MAX {
                continue;
            }
            if ev.occurred_at[i] <= as_of_kept[k as usize] {
                report.events_used += 1;
            } else {
                report.events_after_as_of += 1;
            }
            out.lead.push(k);
            out.event_type.push(ev.event_type[i]);
            out.occurred_at.push(ev.occurred_at[i]);
        }
        out
    });
    Ok(Assembled {
        table: Table {
            df,
            path: leads.path.clone(),
            fingerprint: leads.fingerprint.clone(),
        },
        source_rows: keep,
        labels: y,
        as_of: as_of_kept,
        events,
        report,
        outcomes_fingerprint,
    })
}

/// Reads the events file: the events keyed by lead row (with the file's fingerprint) and the
/// count of events whose lead id is not in the leads table. Streams over polars' string arrays (no per-cell `String`), so 30 million events stay
/// at 16 bytes each.
fn read_events(
    path: &Path,
    spec: &EventSpec,
    index: &HashMap<String, usize>,
    read: &ReadOptions,
    missing: &[String],
) -> Result<(EventColumns, u64)> {
    let table = read_table(path, read)?;
    let times = timestamp_values(&table, &spec.occurred_at, missing)?;
    let as_text = |name: &str| -> Result<StringChunked> {
        let s = column(&table, name)?;
        let s = s.cast(&DataType::String).map_err(|e| TrainError::Column {
            path: table.path.clone(),
            column: name.to_string(),
            message: e.to_string(),
        })?;
        Ok(s.str()
            .cloned()
            .unwrap_or_else(|_| StringChunked::full_null("".into(), s.len())))
    };
    let ids = as_text(&spec.lead_id)?;
    let types = as_text(&spec.event_type)?;
    let n = times.len();
    let mut out = EventColumns {
        path: table.path.clone(),
        lead: Vec::with_capacity(n),
        event_type: Vec::with_capacity(n),
        occurred_at: Vec::with_capacity(n),
        ..EventColumns::default()
    };
    let mut type_ids: HashMap<String, u32> = HashMap::new();
    let mut unknown = 0u64;
    let is_missing = |v: Option<&str>| v.is_none_or(|t| missing.iter().any(|m| m == t));
    for (row, ((id, ty), t)) in ids.iter().zip(types.iter()).zip(times).enumerate() {
        let cell = |column: &str, what: &str| TrainError::Cell {
            path: table.path.clone(),
            row: row + 1,
            column: column.to_string(),
            message: format!("the {what} is missing"),
        };
        if is_missing(id) {
            return Err(cell(&spec.lead_id, "lead id"));
        }
        if is_missing(ty) {
            return Err(cell(&spec.event_type, "event type"));
        }
        let t = t.ok_or_else(|| cell(&spec.occurred_at, "event time"))?;
        let (Some(id), Some(ty)) = (id, ty) else {
            continue;
        };
        match index.get(id) {
            Some(&lead) => {
                let next = type_ids.len() as u32;
                let k = match type_ids.get(ty) {
                    Some(k) => *k,
                    None => {
                        type_ids.insert(ty.to_string(), next);
                        out.type_names.push(ty.to_string());
                        next
                    }
                };
                out.lead.push(lead as u32);
                out.event_type.push(k);
                out.occurred_at.push(t);
            }
            None => unknown += 1,
        }
    }
    out.fingerprint = Some(table.fingerprint);
    Ok((out, unknown))
}

/// Reads the outcomes: per lead row `Some(converted_at)` if converted (`Some(None)` when the
/// time is unknown), `None` otherwise; plus unknown ids and the latest time seen.
#[allow(clippy::type_complexity)]
fn read_outcomes(
    path: &Path,
    spec: OutcomeSpec,
    positive: &[String],
    index: &HashMap<String, usize>,
    n: usize,
    read: &ReadOptions,
    missing: &[String],
) -> Result<(
    Vec<Option<Option<i64>>>,
    u64,
    i64,
    leadscore_core::artifact::InputFingerprint,
)> {
    let table = read_table(path, read)?;
    let ids = level_values(&table, &spec.lead_id, missing)?;
    let has = |c: &str| table.df.column(c).is_ok();
    let converted: Vec<bool> = if has(&spec.converted) {
        labels(&table, &spec.converted, positive)?
    } else {
        vec![true; ids.len()] // a closed-deals export lists converted leads only
    };
    let at: Vec<Option<i64>> = if has(&spec.converted_at) {
        timestamp_values(&table, &spec.converted_at, missing)?
    } else {
        vec![None; ids.len()]
    };
    let mut per_lead: Vec<Option<Option<i64>>> = vec![None; n];
    let mut unknown = 0u64;
    let mut latest = i64::MIN;
    for (row, id) in ids.into_iter().enumerate() {
        let id = id.ok_or_else(|| TrainError::Cell {
            path: table.path.clone(),
            row: row + 1,
            column: spec.lead_id.clone(),
            message: "the lead id is missing".into(),
        })?;
        if let Some(t) = at[row] {
            latest = latest.max(t);
        }
        if !converted[row] {
            continue;
        }
        match index.get(&id) {
            // The earliest conversion of a lead counts.
            Some(&lead) => {
                per_lead[lead] = Some(match (per_lead[lead], at[row]) {
                    (Some(Some(a)), Some(b)) => Some(a.min(b)),
                    (Some(prev), None) => prev,
                    (_, t) => t,
                })
            }
            None => unknown += 1,
        }
    }
    Ok((per_lead, unknown, latest, table.fingerprint))
}

/// Chooses the event types that get features: the spec's list, or the most frequent types
/// among the training leads' events known at their `as_of`.
pub fn fit_events(
    spec: &EventSpec,
    events: &EventColumns,
    as_of: &[i64],
    train_rows: &[usize],
) -> FittedEvents {
    let types = if spec.types.is_empty() {
        let mut in_train = vec![false; as_of.len()];
        for &r in train_rows {
            in_train[r] = true;
        }
        let mut counts = vec![0usize; events.type_names.len()];
        for i in 0..events.lead.len() {
            let lead = events.lead[i] as usize;
            if in_train[lead] && events.occurred_at[i] <= as_of[lead] {
                counts[events.event_type[i] as usize] += 1;
            }
        }
        let mut v: Vec<(&str, usize)> = events
            .type_names
            .iter()
            .map(String::as_str)
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(spec.max_types);
        let mut t: Vec<String> = v.into_iter().map(|(t, _)| t.to_string()).collect();
        t.sort();
        t
    } else {
        spec.types.clone()
    };
    let mut other_types: Vec<String> = events
        .type_names
        .iter()
        .filter(|t| !types.contains(t))
        .cloned()
        .collect();
    other_types.sort();
    FittedEvents {
        types,
        windows_days: spec.windows_days.clone(),
        half_life_days: spec.half_life_days,
        other_types,
    }
}

/// Fills the event features of `m` (columns from `offset`) with polars' lazy engine: one
/// group-by over (lead, type) for windowed and decayed counts and the latest event, one over
/// lead for distinct active days. Events after each lead's `as_of` are filtered out first.
pub fn event_features(
    fitted: &FittedEvents,
    events: &EventColumns,
    as_of: &[i64],
    m: &mut Matrix,
    offset: usize,
) -> Result<()> {
    let n = m.rows;
    let per = fitted.per_type();
    let nw = fitted.windows_days.len();
    // Leads with no event of a type: never, days since = cap.
    for k in 0..fitted.types.len() {
        m.col_mut(offset + k * per + nw + 1).fill(DAYS_SINCE_CAP);
        m.col_mut(offset + k * per + nw + 2).fill(1.0);
    }
    // Event type id -> feature block (-1: a type without features).
    let block: Vec<i32> = events
        .type_names
        .iter()
        .map(|t| {
            fitted
                .types
                .iter()
                .position(|f| f == t)
                .map_or(-1, |k| k as i32)
        })
        .collect();
    let len = events.lead.len();
    let mut age = Vec::with_capacity(len);
    let mut decay = Vec::with_capacity(len);
    let mut day = Vec::with_capacity(len);
    let mut ty = Vec::with_capacity(len);
    for i in 0..len {
        let a = (as_of[events.lead[i] as usize] - events.occurred_at[i]) as f64 / SECONDS_PER_DAY;
        age.push(a);
        decay.push(fitted.decay(a));
        day.push(events.occurred_at[i].div_euclid(86_400));
        ty.push(block[events.event_type[i] as usize]);
    }
    let perr = |e: PolarsError| TrainError::Read {
        path: events.path.clone(),
        message: format!("aggregating events: {e}"),
    };
    let df = DataFrame::new(
        len,
        vec![
            Column::new("lead".into(), &events.lead),
            Column::new("type".into(), ty),
            Column::new("age".into(), age),
            Column::new("decay".into(), decay),
            Column::new("day".into(), day),
        ],
    )
    .map_err(perr)?;
    let known = df.lazy().filter(col("age").gt_eq(lit(0.0)));
    let mut aggs: Vec<Expr> = fitted
        .windows_days
        .iter()
        .enumerate()
        .map(|(i, w)| {
            col("age")
                .lt_eq(lit(f64::from(*w)))
                .cast(DataType::Float64)
                .sum()
                .alias(format!("w{i}"))
        })
        .collect();
    aggs.push(col("decay").sum().alias("decayed"));
    aggs.push(col("age").min().alias("last"));
    let by_type = known
        .clone()
        .filter(col("type").gt_eq(lit(0)))
        .group_by([col("lead"), col("type")])
        .agg(aggs)
        .collect()
        .map_err(perr)?;
    let get_f64 = |df: &DataFrame, name: &str| -> Result<Vec<f64>> {
        Ok(df
            .column(name)
            .and_then(|c| c.cast(&DataType::Float64))
            .map_err(perr)?
            .f64()
            .map_err(perr)?
            .into_no_null_iter()
            .collect())
    };
    let leads = get_f64(&by_type, "lead")?;
    let types = get_f64(&by_type, "type")?;
    let mut window_counts = Vec::with_capacity(nw);
    for i in 0..nw {
        window_counts.push(get_f64(&by_type, &format!("w{i}"))?);
    }
    let decayed = get_f64(&by_type, "decayed")?;
    let last = get_f64(&by_type, "last")?;
    for r in 0..leads.len() {
        let (lead, k) = (leads[r] as usize, types[r] as usize);
        let base = offset + k * per;
        for (i, counts) in window_counts.iter().enumerate() {
            m.data[(base + i) * n + lead] = counts[r].ln_1p();
        }
        m.data[(base + nw) * n + lead] = decayed[r].ln_1p();
        m.data[(base + nw + 1) * n + lead] = last[r].min(DAYS_SINCE_CAP);
        m.data[(base + nw + 2) * n + lead] = 0.0;
    }
    let days = known
        .group_by([col("lead")])
        .agg([col("day").n_unique().alias("days")])
        .collect()
        .map_err(perr)?;
    let leads = get_f64(&days, "lead")?;
    let counts = get_f64(&days, "days")?;
    let j = offset + fitted.types.len() * per;
    for (l, c) in leads.iter().zip(counts) {
        m.data[j * n + *l as usize] = c.ln_1p();
    }
    Ok(())
}

/// Features of leads: their fields, each as of its own `as_of` (default: the spec's reference
/// time), then their events (when the spec has event features).
pub fn featurize_with_events(
    fitted: &leadscore_core::fitted::FittedSpec,
    table: &Table,
    as_of: Option<&[i64]>,
    events: Option<&EventColumns>,
) -> Result<Matrix> {
    let mut m = crate::featurize::featurize_table(fitted, table, as_of)?;
    if let (Some(fe), Some(ev), Some(a)) = (&fitted.events, events, as_of) {
        event_features(fe, ev, a, &mut m, fitted.columns_width())?;
    }
    Ok(m)
}
