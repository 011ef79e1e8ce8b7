//! Point in time: turns a leads table, an events table and an outcomes table into training
//! examples that a model could have seen at scoring time, and aggregates the events with
//! polars' lazy engine.
//!
//! Each lead is scored at several moments of its life, its landmarks: `created_at` plus each
//! landmark age (`[time] landmarks_days`; `observation_days` is the one-landmark case; an
//! `as_of` column scores each lead once). Every landmark yields one example: events after its
//! `as_of` are dropped, and its label is "converted within `horizon_days` after `as_of`".
//! Examples whose horizon has not elapsed by the end of the data are censored, and a lead that
//! converted at or before an `as_of` contributes no example from then on; the report counts
//! each group per landmark. [`Lives`] keeps what is needed to build examples at any other
//! moment (the replay of holdout leads through their lives).

use crate::error::{Result, TrainError};
use crate::featurize::{event_time_values, level_values, timestamp_values, Matrix};
use crate::load::{column, read_table_rows, ReadOptions, Table};
use crate::table::labels;
pub use leadscore_core::artifact::{LandmarkCounts, PointInTimeReport};
use leadscore_core::fitted::{
    days_since, distinct_days, FittedEvents, UnseenValues, DAYS_SINCE_CAP, UNSEEN_SHOWN,
};
use leadscore_core::rng::SeededRng;
use leadscore_core::spec::{EventSpec, FeatureSpec, OutcomeSpec};
use leadscore_core::value::{shorten, SECONDS_PER_DAY};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Training examples assembled point in time: one row per (lead, moment).
#[derive(Debug, Clone)]
pub struct Assembled {
    /// One row per example: the lead's row of the leads file (repeated for each landmark).
    pub table: Table,
    /// Row numbers (0-based, in the leads file) of each example's lead: the lead's identity
    /// for splits, folds and messages.
    pub source_rows: Vec<usize>,
    /// Converted within the horizon after the example's `as_of`.
    pub labels: Vec<bool>,
    /// Each example's scoring moment, Unix seconds.
    pub as_of: Vec<i64>,
    /// The events of each example known at its `as_of` (`lead` is the example row).
    pub events: Option<EventColumns>,
    /// Counts for the report.
    pub report: PointInTimeReport,
    /// Fingerprint of the outcomes file, if one was read.
    pub outcomes_fingerprint: Option<leadscore_core::artifact::InputFingerprint>,
    /// Every lead's creation, outcome and events, to build examples at other moments.
    pub lives: Lives,
    /// What reading the events and outcomes files needs said ([`Table::note`]: a footer left
    /// out, a file read as Windows-1252, columns left out), for the run's warnings.
    pub notes: Vec<String>,
}

/// An events table reduced to what the features need, one entry per event.
#[derive(Debug, Clone, Default)]
pub struct EventColumns {
    /// Row of the example (or lead) the event belongs to.
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

/// Whether a lead can be scored at a moment, and its label there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Scorable; converted within the horizon after the moment or not.
    Labelled(bool),
    /// The horizon after the moment is not over by the end of the data.
    Censored,
    /// The lead converted at or before the moment: nothing left to predict.
    AlreadyConverted,
}

/// Every lead of the leads table with what is known of its life: creation, conversion and
/// events (sorted by time), and the data's end. Builds examples at any moments.
#[derive(Debug, Clone)]
pub struct Lives {
    /// The leads table as read.
    pub leads: Table,
    /// Creation time per lead row (`None` when the table has no such value).
    pub created: Vec<Option<i64>>,
    /// Per lead row: `Some(Some(t))` converted at t, `Some(None)` converted at an unknown time,
    /// `None` not converted.
    pub outcome: Vec<Option<Option<i64>>>,
    /// The end of the data (latest timestamp in any table), Unix seconds.
    pub end: i64,
    /// The conversion horizon, seconds.
    pub horizon: i64,
    /// Whether censoring applies (outcomes come from an outcomes table).
    pub censors: bool,
    /// Landmark ages in days (empty with an `as_of` column).
    pub landmarks_days: Vec<f64>,
    /// Events by lead row: lead `r`'s are `event_type[offsets[r]..offsets[r + 1]]`, by time.
    pub events: Option<LeadEvents>,
}

/// Events grouped by lead row and sorted by time within each lead.
#[derive(Debug, Clone, Default)]
pub struct LeadEvents {
    /// Lead `r`'s events are at `offsets[r]..offsets[r + 1]`.
    pub offsets: Vec<usize>,
    /// The event type, as an index into `type_names`.
    pub event_type: Vec<u32>,
    /// When it happened, Unix seconds.
    pub occurred_at: Vec<i64>,
    /// Distinct event types as written.
    pub type_names: Vec<String>,
    /// The events file, for messages.
    pub path: String,
    /// Its fingerprint.
    pub fingerprint: Option<leadscore_core::artifact::InputFingerprint>,
}

impl LeadEvents {
    /// The times of lead row `r`'s events, ascending.
    pub fn times(&self, r: usize) -> &[i64] {
        &self.occurred_at[self.offsets[r]..self.offsets[r + 1]]
    }
}

impl Lives {
    /// Whether lead row `r` can be scored at `as_of`, and its label there.
    pub fn moment(&self, r: usize, as_of: i64) -> Moment {
        let outcome = self.outcome[r];
        if let Some(Some(at)) = outcome {
            if at <= as_of {
                return Moment::AlreadyConverted;
            }
        }
        if self.censors && as_of.saturating_add(self.horizon) > self.end {
            return Moment::Censored;
        }
        Moment::Labelled(match outcome {
            Some(Some(at)) => at <= as_of.saturating_add(self.horizon),
            Some(None) => true,
            None => false,
        })
    }

    /// The moments of lead row `r`'s life at which the replay scores it: its creation, each
    /// landmark and each of its events up to the last landmark, as an integration that
    /// re-scores a lead on every new event would; only moments where it can be labelled, in
    /// time order, with their labels. With landmarks that start after day 0, the time before
    /// the first is replayed too (its age scored as the first landmark's): the server scores a
    /// lead then, and the cutoff's promise must hold for what it hands over then.
    pub fn replay_moments(&self, r: usize) -> Vec<(i64, bool)> {
        let Some(created) = self.created[r] else {
            return Vec::new();
        };
        let at = |days: f64| created + (days * SECONDS_PER_DAY) as i64;
        let Some(last) = self.landmarks_days.last().map(|d| at(*d)) else {
            return Vec::new();
        };
        let mut times: Vec<i64> = self.landmarks_days.iter().map(|d| at(*d)).collect();
        times.push(created);
        if let Some(ev) = &self.events {
            times.extend(
                ev.times(r)
                    .iter()
                    .copied()
                    .filter(|t| (created..=last).contains(t)),
            );
        }
        times.sort_unstable();
        times.dedup();
        times
            .into_iter()
            .filter_map(|t| match self.moment(r, t) {
                Moment::Labelled(y) => Some((t, y)),
                _ => None,
            })
            .collect()
    }

    /// The examples at (lead row, moment) pairs: the leads' rows of the leads table (repeated
    /// as needed) and, for each, its events known at that moment.
    pub fn examples(&self, rows: &[usize], as_of: &[i64]) -> Result<(Table, Option<EventColumns>)> {
        let idx = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let df = self.leads.df.take(&idx).map_err(|e| TrainError::Read {
            path: self.leads.path.clone(),
            message: e.to_string(),
        })?;
        let events = self.events.as_ref().map(|ev| {
            let mut out = EventColumns {
                path: ev.path.clone(),
                fingerprint: ev.fingerprint.clone(),
                type_names: ev.type_names.clone(),
                ..EventColumns::default()
            };
            for (k, (&r, &a)) in rows.iter().zip(as_of).enumerate() {
                let (lo, hi) = (ev.offsets[r], ev.offsets[r + 1]);
                // Sorted by time: the events known at `a` are a prefix.
                let known = ev.occurred_at[lo..hi].partition_point(|t| *t <= a);
                for i in lo..lo + known {
                    out.lead.push(k as u32);
                    out.event_type.push(ev.event_type[i]);
                    out.occurred_at.push(ev.occurred_at[i]);
                }
            }
            out
        });
        Ok((
            Table {
                df,
                path: self.leads.path.clone(),
                fingerprint: self.leads.fingerprint.clone(),
                note: None,
                delimiter: self.leads.delimiter,
                list_columns: self.leads.list_columns.clone(),
                sums: self.leads.sums.clone(),
            },
            events,
        ))
    }
}

/// A lead id as every join between tables compares it (leads with events and outcomes, in
/// training, `evaluate`, `score`, `funnel` and `monitor`, on both sides): without the
/// whitespace around it, which is never part of an id (a cell padded by a spreadsheet,
/// `"L001 "`; an outcomes table so padded had matched no lead, every lead counted as not
/// converted), and a decimal number without the trailing zeros after its point (`77.0` is
/// `77`, `1.50` is `1.5`: what pandas writes for an id column with a gap, or a client sending
/// the number), digit for digit (no rounding through a float). Otherwise as written: `00123`
/// is not `123`, and `L001` is not `l001` (Salesforce ids differ by case alone).
pub fn id_key(id: &str) -> &str {
    let t = id.trim();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let Some((whole, fraction)) = unsigned.split_once('.') else {
        return t;
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return t;
    }
    let kept = fraction.trim_end_matches('0');
    let end = t.len() - fraction.len() + kept.len() - usize::from(kept.is_empty());
    &t[..end]
}

/// Lead id -> row, rejecting missing and duplicate ids with the row named; keyed by
/// [`id_key`].
pub(crate) fn lead_index(
    table: &Table,
    id: &str,
    missing: &[String],
) -> Result<HashMap<String, usize>> {
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
        if let Some(first) = index.insert(id_key(&v).to_string(), row) {
            let key = id_key(&v);
            let how = if key == v {
                String::new()
            } else {
                format!(
                    " as {}: ids are compared without the whitespace around them and a \
                     decimal's trailing zeros, as the tables of one export may write them",
                    leadscore_core::explain::Quoted(key)
                )
            };
            return Err(TrainError::Cell {
                path: table.path.clone(),
                row: row + 1,
                column: id.to_string(),
                message: format!(
                    "lead id {} appears again (first at row {}){how}",
                    leadscore_core::explain::Quoted(&v),
                    first + 1
                ),
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
    /// Accept conversions without a time although events or landmarks place leads in time.
    pub allow_untimed_conversions: bool,
    /// At most this many examples; beyond it, examples are sampled (seeded, same share at
    /// every landmark).
    pub max_examples: usize,
    /// Seed of that sample.
    pub seed: u64,
    /// Outcomes a model is judged on (`evaluate`), not trained on: an outcomes table in
    /// which nobody converted (a header without rows, a `converted` column of not-converted
    /// values only) is read as it is, not refused.
    pub fresh: bool,
}

impl<'a> AssemblyInputs<'a> {
    /// Inputs with the defaults: no untimed conversions, the default example budget, seed 7.
    pub fn new(leads: &'a Table, spec: &'a FeatureSpec, read: &'a ReadOptions) -> Self {
        Self {
            leads,
            spec,
            events: None,
            outcomes: None,
            read,
            allow_untimed_conversions: false,
            max_examples: crate::pipeline::DEFAULT_MAX_EXAMPLES,
            seed: 7,
            fresh: false,
        }
    }
}

/// Builds the point-in-time training examples.
pub fn assemble(inputs: &AssemblyInputs<'_>) -> Result<Assembled> {
    let spec = inputs.spec;
    let leads = inputs.leads;
    // Every table's dates are read in the spec's order.
    let read = &ReadOptions {
        date_order: spec.date_order,
        ..inputs.read.clone()
    };
    let missing = &spec.missing_tokens;
    let time = spec.time.clone().unwrap_or_default();
    time.check().map_err(TrainError::Config)?;
    let id = spec.id.clone().unwrap_or_else(|| "lead_id".to_string());
    let index = lead_index(leads, &id, missing)?;
    let n = leads.df.height();
    let landmarks = time.landmarks();

    // The moments each lead is scored at: created_at + each landmark, or an as_of column.
    let created = timestamp_values(leads, &time.created_at, missing, spec.date_order)?;
    let as_of_column = match &time.as_of {
        Some(col) => Some(timestamp_values(leads, col, missing, spec.date_order)?),
        None => None,
    };
    let as_of_rule = match &time.as_of {
        Some(col) => format!("the `{col}` column"),
        None if landmarks.len() == 1 => {
            format!("`{}` + {} days", time.created_at, landmarks[0])
        }
        None => format!(
            "`{}` + each landmark ({} days)",
            time.created_at,
            landmarks
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let needed = as_of_column.as_ref().unwrap_or(&created);
    if let Some(row) = needed.iter().position(Option::is_none) {
        return Err(TrainError::Cell {
            path: leads.path.clone(),
            row: row + 1,
            column: time.as_of.clone().unwrap_or(time.created_at.clone()),
            message: "missing: every lead needs a time to be scored as of".into(),
        });
    }

    // Events (read once; filtered to known leads), grouped by lead and sorted by time.
    let mut notes = Vec::new();
    let events = match inputs.events {
        Some(path) => {
            let (events, unknown, note) = read_events(
                path,
                &spec.events.clone().unwrap_or_default(),
                &index,
                read,
                missing,
                false,
            )?;
            notes.extend(note);
            Some((events, unknown))
        }
        None => None,
    };

    // Outcomes: per lead, converted and when.
    let mut report = PointInTimeReport {
        as_of_rule,
        horizon_days: time.horizon_days,
        leads: n as u64,
        ..PointInTimeReport::default()
    };
    // The end of the data: the latest time in the tables, of known leads, but never one more
    // than a day after training runs: a `2099-01-01` or `9999-12-31` placeholder would set
    // the end decades ahead and label every example as if its horizon were over (no
    // censoring). Such times are counted (and the first named) for a warning.
    let limit = leadscore_core::value::unix_now().saturating_add(SECONDS_PER_DAY as i64);
    let mut future = FutureTimes::default();
    // Each table's latest time, but for a few isolated far ahead of the rest ([`last_time`]),
    // found in the same pass that counts the placeholders.
    let mut ends: Vec<(String, i64)> = Vec::new();
    let mut strays: Vec<String> = Vec::new();
    let mut table_end = |(path, column): (&str, &str),
                         times: &mut dyn Iterator<Item = i64>,
                         rows: usize| {
        let admitted = times.filter(|&t| future.admit(t, limit, || format!("{path}: {column}")));
        let (last, stray) = last_time(admitted, rows);
        let name = format!("{path} (`{column}`)");
        if let Some((k, first)) = stray {
            strays.push(format!(
                "{name}: {k} time(s) more than {STRAY_GAP_DAYS} days after all its others (the \
                 first {}, the rest end {})",
                leadscore_core::value::rfc3339(first),
                last.map_or_else(String::new, leadscore_core::value::rfc3339)
            ));
        }
        if let Some(t) = last {
            ends.push((name, t));
        }
    };
    table_end(
        (&leads.path, &time.created_at),
        &mut created.iter().flatten().copied(),
        created.len(),
    );
    if let Some(ev) = &events {
        let column = spec.events.clone().unwrap_or_default().occurred_at;
        table_end(
            (&ev.0.path, &column),
            &mut ev.0.occurred_at.iter().copied(),
            ev.0.occurred_at.len(),
        );
        report.events = ev.0.fingerprint.as_ref().map_or(0, |f| f.rows);
        report.events_unknown_lead = ev.1;
    }
    let mut outcomes_fingerprint = None;
    let (outcome, untimed_source): (Vec<Option<Option<i64>>>, String) = match inputs.outcomes {
        Some(path) => {
            let o = read_outcomes(
                path,
                spec.outcomes.as_ref().cloned().unwrap_or_default(),
                &spec.positive,
                &index,
                read,
                missing,
                inputs.fresh,
            )?;
            report.outcomes_unknown_lead = o.unknown;
            // Every row's time, of any lead (the export reaches that far, also when these
            // leads are a part of it), placeholders aside.
            let column = spec.outcomes.clone().unwrap_or_default().converted_at;
            table_end(
                (&o.fingerprint.path, &column),
                &mut o.times.iter().copied(),
                o.times.len(),
            );
            let why = match o.first_untimed_row {
                Some(row) => format!(
                    "{}: row {row} (and every converted row without a `{}` value)",
                    o.fingerprint.path,
                    spec.outcomes
                        .as_ref()
                        .cloned()
                        .unwrap_or_default()
                        .converted_at
                ),
                None => String::new(),
            };
            outcomes_fingerprint = Some(o.fingerprint);
            notes.extend(o.note);
            (o.per_lead, why)
        }
        None => {
            let label = spec.label.clone().ok_or_else(|| {
                TrainError::Config(
                    "no outcomes table and no label column: pass --outcomes or --label".into(),
                )
            })?;
            (
                labels(leads, &label, &spec.positive)?
                    .into_iter()
                    .map(|y| if y { Some(None) } else { None })
                    .collect(),
                format!("the label column `{label}` of {}", leads.path),
            )
        }
    };
    // The end of the data: the latest of the tables' ends. A time far ahead of the rest of its
    // table (one event typed `2026-11-30` in a 2025 export) does not set it: it set the end
    // eleven months ahead, and no example was censored.
    let end = ends.iter().map(|(_, t)| *t).max().unwrap_or(i64::MIN);
    if !strays.is_empty() {
        notes.push(format!(
            "times far ahead of the rest of their table do not set the end of the data ({}): \
             a time typed wrong, or a date planned ahead? They would end the data later than the \
             tables reach and label examples as not converted whose horizon no table covers",
            strays.join("; ")
        ));
    }
    notes.extend(table_ends_note(&ends));
    report.end_of_data = leadscore_core::value::rfc3339(end);
    // Conversions dated before the lead was created: such a lead gives no example (it had
    // converted at its first moment), silently a positive fewer. A date order or a time zone
    // mixed up between the tables does that to many; said with the first.
    let early: Vec<usize> = (0..n)
        .filter(|&i| matches!((outcome[i], created[i]), (Some(Some(t)), Some(c)) if t < c))
        .collect();
    if let Some(&first) = early.first() {
        notes.push(format!(
            "{} lead(s) of {} converted before they were created (the first, {}: created {}, \
             converted {}): they give no example. A date order or a time zone read \
             differently in the two tables?",
            early.len(),
            leads.path,
            index
                .iter()
                .find(|(_, &i)| i == first)
                .map_or("?", |(id, _)| id.as_str()),
            created[first].map_or_else(String::new, leadscore_core::value::rfc3339),
            match outcome[first] {
                Some(Some(t)) => leadscore_core::value::rfc3339(t),
                _ => String::new(),
            }
        ));
    }
    report.future_times = future.count;
    report.first_future_time = future.first;

    // A conversion without a time cannot be placed before or after a moment of scoring: with
    // events or several landmarks, the label may count a conversion that already happened
    // (leakage), so it takes an explicit flag.
    let untimed = outcome.iter().filter(|o| matches!(o, Some(None))).count() as u64;
    report.untimed_conversions = untimed;
    if untimed > 0 && (events.is_some() || landmarks.len() > 1) && !inputs.allow_untimed_conversions
    {
        return Err(TrainError::Config(format!(
            "{untimed} conversions have no time ({untimed_source}), so they cannot be placed \
             before or after the moment a lead is scored; with {} a lead's label could count a \
             conversion that had already happened when it was scored (leakage). Give an \
             outcomes table with `converted_at`, or pass --allow-untimed-conversions to accept \
             the risk (the report will say so)",
            if events.is_some() {
                "engagement events"
            } else {
                "several landmarks"
            }
        )));
    }

    let lives = Lives {
        leads: leads.clone(),
        created: created.clone(),
        outcome,
        end,
        horizon: (time.horizon_days * SECONDS_PER_DAY) as i64,
        censors: inputs.outcomes.is_some(),
        landmarks_days: landmarks.clone(),
        events: events.map(|(ev, _)| group_by_lead(ev, n)),
    };
    // Events that repeat another of the same lead exactly (type and time): an export that
    // repeats rows inflates every count; counted for a warning (kept: two of a kind in one
    // second can be real).
    if let Some(ev) = &lives.events {
        report.repeated_events = (0..n)
            .map(|r| {
                let (lo, hi) = (ev.offsets[r], ev.offsets[r + 1]);
                (lo + 1..hi)
                    .filter(|&i| {
                        ev.occurred_at[i] == ev.occurred_at[i - 1]
                            && ev.event_type[i] == ev.event_type[i - 1]
                    })
                    .count() as u64
            })
            .sum();
    }

    // Candidate examples: (lead row, landmark index, as_of), in lead order.
    let mut counts: Vec<LandmarkCounts> = match &as_of_column {
        Some(_) => vec![LandmarkCounts::default()],
        None => landmarks
            .iter()
            .map(|d| LandmarkCounts {
                age_days: *d,
                ..LandmarkCounts::default()
            })
            .collect(),
    };
    let mut candidates: Vec<(usize, usize, i64, bool)> = Vec::new();
    for row in 0..n {
        let moments: Vec<i64> = match &as_of_column {
            Some(a) => vec![a[row].unwrap_or_default()],
            None => {
                let c = created[row].unwrap_or_default();
                landmarks
                    .iter()
                    .map(|d| c + (d * SECONDS_PER_DAY) as i64)
                    .collect()
            }
        };
        for (k, a) in moments.into_iter().enumerate() {
            match lives.moment(row, a) {
                Moment::AlreadyConverted => counts[k].converted_before_as_of += 1,
                Moment::Censored => counts[k].censored += 1,
                Moment::Labelled(y) => candidates.push((row, k, a, y)),
            }
        }
    }
    // Over budget: keep each example with the same probability (seeded), so every landmark
    // keeps its share and no reweighting is needed.
    if candidates.len() > inputs.max_examples {
        let p = inputs.max_examples as f64 / candidates.len() as f64;
        let mut rng = SeededRng::new(inputs.seed ^ 0x1A4D_3A4B);
        candidates.retain(|&(_, k, _, _)| {
            let keep = rng.uniform() < p;
            if !keep {
                counts[k].sampled_out += 1;
            }
            keep
        });
    }
    let mut rows = Vec::with_capacity(candidates.len());
    let mut as_of = Vec::with_capacity(candidates.len());
    let mut y = Vec::with_capacity(candidates.len());
    for &(row, k, a, label) in &candidates {
        counts[k].used += 1;
        counts[k].positives += u64::from(label);
        rows.push(row);
        as_of.push(a);
        y.push(label);
    }
    drop(candidates);
    report.used = y.len() as u64;
    report.positives = y.iter().filter(|v| **v).count() as u64;
    report.censored = counts.iter().map(|c| c.censored).sum();
    report.converted_before_as_of = counts.iter().map(|c| c.converted_before_as_of).sum();
    report.sampled_out = counts.iter().map(|c| c.sampled_out).sum();
    report.used_leads = {
        let mut distinct = rows.clone();
        distinct.dedup();
        distinct.len() as u64
    };
    if counts.len() > 1 {
        report.landmarks = counts;
    }
    if let Some(ev) = &lives.events {
        // Events of used leads known at (at least) their latest example, and those after it.
        let mut latest = vec![i64::MIN; n];
        for (&r, &a) in rows.iter().zip(&as_of) {
            latest[r] = latest[r].max(a);
        }
        for (r, &l) in latest.iter().enumerate() {
            if l == i64::MIN {
                continue;
            }
            let times = ev.times(r);
            let known = times.partition_point(|t| *t <= l) as u64;
            report.events_used += known;
            report.events_after_as_of += times.len() as u64 - known;
        }
    }
    let (table, events) = lives.examples(&rows, &as_of)?;
    Ok(Assembled {
        table,
        source_rows: rows,
        labels: y,
        as_of,
        events,
        report,
        outcomes_fingerprint,
        lives,
        notes,
    })
}

/// Groups events (keyed by lead row) by lead, each lead's sorted by time.
pub(crate) fn group_by_lead(ev: EventColumns, leads: usize) -> LeadEvents {
    let mut offsets = vec![0usize; leads + 1];
    for &l in &ev.lead {
        offsets[l as usize + 1] += 1;
    }
    for r in 0..leads {
        offsets[r + 1] += offsets[r];
    }
    let mut next = offsets.clone();
    let len = ev.lead.len();
    let mut event_type = vec![0u32; len];
    let mut occurred_at = vec![0i64; len];
    for i in 0..len {
        let r = ev.lead[i] as usize;
        event_type[next[r]] = ev.event_type[i];
        occurred_at[next[r]] = ev.occurred_at[i];
        next[r] += 1;
    }
    drop(next);
    let mut pairs: Vec<(i64, u32)> = Vec::new();
    for r in 0..leads {
        let (lo, hi) = (offsets[r], offsets[r + 1]);
        if occurred_at[lo..hi].windows(2).all(|w| w[0] <= w[1]) {
            continue;
        }
        pairs.clear();
        pairs.extend((lo..hi).map(|i| (occurred_at[i], event_type[i])));
        pairs.sort_unstable();
        for (k, (t, ty)) in pairs.iter().enumerate() {
            occurred_at[lo + k] = *t;
            event_type[lo + k] = *ty;
        }
    }
    LeadEvents {
        offsets,
        event_type,
        occurred_at,
        type_names: ev.type_names,
        path: ev.path,
        fingerprint: ev.fingerprint,
    }
}

/// Reads the events file: the events keyed by lead row (with the file's fingerprint), the
/// count of events whose lead id is not in the leads table, and the file's [`Table::note`]. Streams over polars' string arrays (no per-cell `String`), so 30 million events stay
/// at 16 bytes each.
pub(crate) fn read_events(
    path: &Path,
    spec: &EventSpec,
    index: &HashMap<String, usize>,
    read: &ReadOptions,
    missing: &[String],
    empty_ok: bool,
) -> Result<(EventColumns, u64, Option<String>)> {
    // A fixed schema, every column text: the three columns are parsed here (ids and type names
    // as text, times by the timestamp parser), so inferring types from the whole file (~17% of
    // the read at 30 M events) would be wasted.
    let read = ReadOptions {
        infer_types: false,
        ..read.clone()
    };
    // A header without rows: no events when `empty_ok` (`score`: a nightly export of a quiet
    // day); an error when the events teach or judge a model (training on none would drop
    // every event feature, and a champion judged without its events loses to a challenger).
    let table = read_table_rows(path, &read, empty_ok)?;
    // An event's fraction of a second rounds its time up: never known before it happened.
    let times = event_time_values(&table, &spec.occurred_at, missing, read.date_order)?;
    // A typed column (Parquet) as the leads and outcomes tables read one: a float id 2.0 as
    // `2`, as `text_values` gives it there (a plain cast wrote `2.0`, and no event joined).
    let as_text = |name: &str| -> Result<StringChunked> {
        let s = column(&table, name)?;
        if let Ok(text) = s.str() {
            return Ok(text.clone());
        }
        let values = crate::table::text_values(s).map_err(|e| TrainError::Column {
            path: table.path.clone(),
            column: name.to_string(),
            message: e.to_string(),
        })?;
        Ok(StringChunked::from_iter_options(
            name.into(),
            values.into_iter(),
        ))
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
        // A type id written as a float (`10.0`: pandas writes an integer column so beside a
        // gap) is the type `10`, as a Parquet float column of it and a client's JSON `10` are.
        let ty = leadscore_core::value::float_written_integer(ty).unwrap_or(ty);
        match index.get(id_key(id)) {
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
    Ok((out, unknown, table.note))
}

/// What the outcomes table says per lead.
struct Outcomes {
    /// Per lead row: `Some(converted_at)` if converted (`Some(None)` when the time is unknown),
    /// `None` otherwise.
    per_lead: Vec<Option<Option<i64>>>,
    /// Outcome rows whose lead id is not in the leads table.
    unknown: u64,
    /// Every row's time (any lead, converted or not): how far the export reaches.
    times: Vec<i64>,
    /// First (1-based) converted row without a time.
    first_untimed_row: Option<usize>,
    fingerprint: leadscore_core::artifact::InputFingerprint,
    /// The file's [`Table::note`].
    note: Option<String>,
}

/// Times more than a day after training runs: left out of the end of the data, counted.
#[derive(Default)]
struct FutureTimes {
    count: u64,
    /// The first: where (`FILE: column`) and when, RFC 3339.
    first: Option<String>,
}

impl FutureTimes {
    /// Whether `t` may set the end of the data: not past `limit` (else counted, the first
    /// named by `place`).
    fn admit(&mut self, t: i64, limit: i64, place: impl FnOnce() -> String) -> bool {
        if t <= limit {
            return true;
        }
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(format!("{} {}", place(), leadscore_core::value::rfc3339(t)));
        }
        false
    }
}

/// How far (in days) a table's latest times may lie after all its others before they count as
/// strays ([`last_time`]), and one table's end past all the others' before training says so.
const STRAY_GAP_DAYS: i64 = 30;

/// The latest of `times` (of a table of `rows` rows) but for strays: of 100 times or more,
/// its few latest (at most one in 1,000 rows, at least one) when more than
/// [`STRAY_GAP_DAYS`] lie between them and the rest (a time typed a year ahead). Returns the
/// latest kept and, when some were left out, how many and the latest of them. One pass,
/// holding only the latest few.
fn last_time(times: impl Iterator<Item = i64>, rows: usize) -> (Option<i64>, Option<(usize, i64)>) {
    let k = (rows / 1_000).max(1);
    // The k + 1 latest (a heap of them, its least on top), then latest first.
    let mut heap = std::collections::BinaryHeap::with_capacity(k + 2);
    let mut n = 0usize;
    for t in times {
        n += 1;
        if heap.len() <= k {
            heap.push(std::cmp::Reverse(t));
        } else if heap.peek().is_some_and(|least| t > least.0) {
            heap.pop();
            heap.push(std::cmp::Reverse(t));
        }
    }
    let mut top: Vec<i64> = heap.into_iter().map(|r| r.0).collect();
    top.sort_unstable_by(|a, b| b.cmp(a));
    // Under 100 times, none is far from "the rest": a small outcomes table's conversions may
    // lie months apart.
    if n < 100 {
        return (top.first().copied(), None);
    }
    let gap = STRAY_GAP_DAYS * 86_400;
    // The last wide gap among them: everything before it is a stray.
    let cut = (0..top.len().saturating_sub(1))
        .rev()
        .find(|&j| top[j] - top[j + 1] > gap);
    match cut {
        Some(j) if top.len() > j + 1 => (Some(top[j + 1]), Some((j + 1, top[0]))),
        _ => (top.first().copied(), None),
    }
}

/// Reads the outcomes table.
fn read_outcomes(
    path: &Path,
    spec: OutcomeSpec,
    positive: &[String],
    index: &HashMap<String, usize>,
    read: &ReadOptions,
    missing: &[String],
    fresh: bool,
) -> Result<Outcomes> {
    // One row of the leads file per id (`lead_index` refuses a missing or repeated one).
    let n = index.len();
    // The ids as written, as the leads' and the events' are read.
    let read = ReadOptions {
        text_columns: vec![spec.lead_id.clone()],
        ..read.clone()
    };
    // Fresh outcomes of a period in which nobody converted: a closed-deals export of no rows.
    let mut table = read_table_rows(path, &read, fresh)?;
    crate::load::names_in_any_case(
        &mut table,
        &[&spec.lead_id, &spec.converted, &spec.converted_at],
    )?;
    let ids = level_values(&table, &spec.lead_id, missing)?;
    let has = |c: &str| table.df.column(c).is_ok();
    let converted: Vec<bool> = if has(&spec.converted) {
        if fresh {
            crate::table::monitor_labels(&table, &spec.converted, positive)?
        } else {
            crate::table::outcome_labels(&table, &spec.converted, positive)?
        }
    } else {
        vec![true; ids.len()] // a closed-deals export lists converted leads only
    };
    let at: Vec<Option<i64>> = if has(&spec.converted_at) {
        timestamp_values(&table, &spec.converted_at, missing, read.date_order)?
    } else {
        vec![None; ids.len()]
    };
    let mut per_lead: Vec<Option<Option<i64>>> = vec![None; n];
    let mut unknown = 0u64;
    let mut first_untimed_row = None;
    let mut times = Vec::new();
    for (row, id) in ids.into_iter().enumerate() {
        let id = id.ok_or_else(|| TrainError::Cell {
            path: table.path.clone(),
            row: row + 1,
            column: spec.lead_id.clone(),
            message: "the lead id is missing".into(),
        })?;
        if let Some(t) = at[row] {
            times.push(t);
        }
        if !converted[row] {
            continue;
        }
        match index.get(id_key(&id)) {
            // The earliest conversion of a lead counts.
            Some(&lead) => {
                if at[row].is_none() {
                    first_untimed_row.get_or_insert(row + 1);
                }
                per_lead[lead] = Some(match (per_lead[lead], at[row]) {
                    (Some(Some(a)), Some(b)) => Some(a.min(b)),
                    (Some(prev), None) => prev,
                    (_, t) => t,
                })
            }
            None => unknown += 1,
        }
    }
    Ok(Outcomes {
        per_lead,
        unknown,
        times,
        first_untimed_row,
        fingerprint: table.fingerprint,
        note: table.note,
    })
}

/// At most this many event types without features are kept in a model (the most frequent).
pub const MAX_OTHER_TYPES: usize = 1000;

/// An event type name longer than this is not kept in a model as a known type, nor given
/// features.
pub const MAX_OTHER_TYPE_BYTES: usize = 256;

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
            // A name past MAX_OTHER_TYPE_BYTES is no category (a value in the wrong column, a
            // 1 GB cell): no features, as it is not kept among the other types either.
            .filter(|(t, c)| *c > 0 && t.len() <= MAX_OTHER_TYPE_BYTES)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(spec.max_types);
        let mut t: Vec<String> = v.into_iter().map(|(t, _)| t.to_string()).collect();
        t.sort();
        t
    } else {
        spec.types.clone()
    };
    // The other types the events had, remembered so that serving does not count them as
    // types training never saw: the most frequent [`MAX_OTHER_TYPES`] of sensible length (a
    // table of 200,000 junk types, or one 64 MB name, made a model file of that size). One
    // left out is counted as unseen when served, which only a report shows.
    let mut all_counts = vec![0usize; events.type_names.len()];
    for &t in &events.event_type {
        all_counts[t as usize] += 1;
    }
    let mut others: Vec<(&String, usize)> = events
        .type_names
        .iter()
        .zip(all_counts)
        .filter(|(t, _)| !types.contains(t) && t.len() <= MAX_OTHER_TYPE_BYTES)
        .collect();
    others.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    others.truncate(MAX_OTHER_TYPES);
    let mut other_types: Vec<String> = others.into_iter().map(|(t, _)| t.clone()).collect();
    other_types.sort();
    FittedEvents {
        types,
        windows_days: spec.windows_days.clone(),
        half_life_days: spec.half_life_days,
        other_types,
        index: Default::default(),
        max: Vec::new(),
        days_since_held: false,
    }
}

/// What a data team should hear of the event types `fitted` chose from `events`: a type the
/// spec lists that no event has (a misspelled name trains features that carry nothing), and
/// a type given features beside another that differs from it only in case or the spaces
/// around it (`Demo_Request` beside `demo_request`: types are compared exactly, so the
/// export's events of one type are split between two, or left to the active days).
pub fn event_type_warnings(
    spec: &EventSpec,
    events: &EventColumns,
    fitted: &FittedEvents,
) -> Vec<String> {
    let mut counts = vec![0u64; events.type_names.len()];
    for &t in &events.event_type {
        counts[t as usize] += 1;
    }
    let folded = |t: &str| t.trim().to_lowercase();
    // The types with events, by their folded name: the most frequent spelling first.
    let mut by_folded: HashMap<String, Vec<(&str, u64)>> = HashMap::new();
    for (name, &n) in events.type_names.iter().zip(&counts) {
        if n > 0 {
            by_folded.entry(folded(name)).or_default().push((name, n));
        }
    }
    for v in by_folded.values_mut() {
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    }
    let shown = |t: &str| format!("{:?}", leadscore_core::value::shorten(t));
    let mut out = Vec::new();
    for t in &spec.types {
        let has = events
            .type_names
            .iter()
            .zip(&counts)
            .any(|(name, &n)| n > 0 && name == t);
        if has {
            continue;
        }
        let like: Vec<String> = by_folded
            .get(&folded(t))
            .map(|v| v.iter().take(3).map(|(name, _)| shown(name)).collect())
            .unwrap_or_default();
        out.push(format!(
            "event type {} listed in [events] types has no event in {}: its features carry \
             nothing{}",
            shown(t),
            events.path,
            if like.is_empty() {
                "; check its spelling (types are compared exactly)".to_string()
            } else {
                format!(
                    "; the file has {} (types are compared exactly: list it as written)",
                    like.join(", ")
                )
            }
        ));
    }
    let mut warned = std::collections::HashSet::new();
    for t in &fitted.types {
        let Some(same) = by_folded.get(&folded(t)) else {
            continue;
        };
        if same.len() < 2 || !warned.insert(folded(t)) {
            continue;
        }
        let listed: Vec<String> = same
            .iter()
            .take(4)
            .map(|(name, n)| format!("{} ({n})", shown(name)))
            .collect();
        out.push(format!(
            "event types {} in {} differ only in case or spaces: the model weighs them as \
             different types (types are compared exactly); write them alike in the export",
            listed.join(", "),
            events.path
        ));
    }
    out
}

/// Fills the event features of `m` (columns from `offset`) in one pass over the events, with
/// the same rules as the per-lead path (`FittedEvents::encode`): events after the example's
/// `as_of` are skipped; counts and decayed counts are summed, then log1p'd; days since the last
/// event is a running minimum (capped, `never` when there was none); distinct active days count
/// every known event, of any type, per example.
pub fn event_features(
    fitted: &FittedEvents,
    events: &EventColumns,
    as_of: &[i64],
    m: &mut Matrix,
    offset: usize,
) -> Result<EventsAbove> {
    let n = m.rows;
    let per = fitted.per_type();
    let nw = fitted.windows_days.len();
    let n_types = fitted.types.len();
    for c in offset..offset + fitted.width() {
        m.col_mut(c).fill(0.0);
    }
    // Event type id -> feature block (None: a type without features).
    let block: Vec<Option<usize>> = events
        .type_names
        .iter()
        .map(|t| fitted.types.iter().position(|f| f == t))
        .collect();
    let windows: Vec<f64> = fitted.windows_days.iter().map(|w| f64::from(*w)).collect();
    // Days since each example's latest event of each type (infinite: none known).
    let mut last = vec![f64::INFINITY; n_types * n];
    // Known events per example, for the distinct days: counted first, then bucketed (CSR).
    let mut starts = vec![0usize; n + 1];
    for (i, &lead) in events.lead.iter().enumerate() {
        let lead = lead as usize;
        let t = events.occurred_at[i];
        if t > as_of[lead] {
            continue;
        }
        starts[lead + 1] += 1;
        let Some(k) = block[events.event_type[i] as usize] else {
            continue;
        };
        let age = days_since(t, as_of[lead]);
        let base = offset + k * per;
        for (w, window) in windows.iter().enumerate() {
            if age <= *window {
                m.data[(base + w) * n + lead] += 1.0;
            }
        }
        m.data[(base + nw) * n + lead] += fitted.decay(age);
        let l = &mut last[k * n + lead];
        *l = l.min(age);
    }
    for k in 0..n_types {
        let base = offset + k * per;
        for c in base..=base + nw {
            for v in m.col_mut(c) {
                // ln(1 + 0) is exactly 0, as in the per-lead path.
                if *v != 0.0 {
                    *v = v.ln_1p();
                }
            }
        }
        for (r, l) in last[k * n..(k + 1) * n].iter().enumerate() {
            m.data[(base + nw + 1) * n + r] = l.min(DAYS_SINCE_CAP);
            m.data[(base + nw + 2) * n + r] = f64::from(u8::from(l.is_infinite()));
        }
    }
    for r in 0..n {
        starts[r + 1] += starts[r];
    }
    let mut fill = starts.clone();
    let mut days = vec![0i64; starts[n]];
    for (i, &lead) in events.lead.iter().enumerate() {
        let lead = lead as usize;
        let t = events.occurred_at[i];
        if t <= as_of[lead] {
            days[fill[lead]] = t.div_euclid(86_400);
            fill[lead] += 1;
        }
    }
    let j = offset + n_types * per;
    for r in 0..n {
        let distinct = distinct_days(&mut days[starts[r]..starts[r + 1]]);
        m.data[j * n + r] = (distinct as f64).ln_1p();
    }
    Ok(clamp_events(fitted, m, offset))
}

/// The examples whose event counts went past the training maxima ([`FittedEvents::max`]) and
/// were scored as them, as the per-lead path does ([`FittedEvents::encode_noting`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsAbove {
    /// The rows (examples), in order.
    pub rows: Vec<usize>,
    /// Which: the positions in the model's event types, and its number of types for the
    /// distinct active days.
    pub blocks: Vec<usize>,
}

/// Holds the event counts of `m` (columns from `offset`) to `fitted`'s training maxima.
pub fn clamp_events(fitted: &FittedEvents, m: &mut Matrix, offset: usize) -> EventsAbove {
    let mut above = EventsAbove::default();
    if fitted.max.is_empty() {
        return above;
    }
    let (n, per) = (m.rows, fitted.per_type());
    let mut row_above = vec![false; n];
    let mut block_above = vec![false; fitted.types.len() + 1];
    for (f, &max) in fitted.max.iter().enumerate() {
        if !fitted.is_held(f) {
            continue;
        }
        // Days since the last event are held for examples with one; `never` keeps the cap
        // (its flag is the feature after), as per lead.
        let never: Vec<bool> = if fitted.is_days_since(f) {
            m.col(offset + f + 1).iter().map(|v| *v == 1.0).collect()
        } else {
            Vec::new()
        };
        for (r, v) in m.col_mut(offset + f).iter_mut().enumerate() {
            if *v > max && !never.get(r).copied().unwrap_or(false) {
                *v = max;
                row_above[r] = true;
                block_above[(f / per).min(fitted.types.len())] = true;
            }
        }
    }
    above.rows = (0..n).filter(|&r| row_above[r]).collect();
    above.blocks = (0..block_above.len()).filter(|&b| block_above[b]).collect();
    above
}

/// The training maxima of the event features of `m` (columns from `offset`) over `rows` (the
/// training examples): [`FittedEvents::max`].
/// A type's days since its last event is the longest over the examples that had one (`never`
/// ones are at the cap, and are not held), the cap when none had.
pub fn event_maxima(fitted: &FittedEvents, m: &Matrix, offset: usize, rows: &[usize]) -> Vec<f64> {
    (0..fitted.width())
        .map(|f| {
            let c = m.col(offset + f);
            if fitted.is_days_since(f) {
                let never = m.col(offset + f + 1);
                rows.iter()
                    .filter(|&&r| never[r] != 1.0)
                    .map(|&r| c[r])
                    .reduce(f64::max)
                    .unwrap_or(leadscore_core::fitted::DAYS_SINCE_CAP)
            } else {
                rows.iter().map(|&r| c[r]).fold(0.0, f64::max)
            }
        })
        .collect()
}

/// Features of leads: their fields, each as of its own `as_of` (default: the spec's reference
/// time), then their events (when the spec has event features).
pub fn featurize_with_events(
    fitted: &leadscore_core::fitted::FittedSpec,
    table: &Table,
    as_of: Option<&[i64]>,
    events: Option<&EventColumns>,
) -> Result<Matrix> {
    Ok(featurize_noting_above(fitted, table, as_of, events)?.0)
}

/// [`featurize_with_events`], and the examples whose event counts were held to the training
/// maxima.
pub fn featurize_noting_above(
    fitted: &leadscore_core::fitted::FittedSpec,
    table: &Table,
    as_of: Option<&[i64]>,
    events: Option<&EventColumns>,
) -> Result<(Matrix, EventsAbove)> {
    let mut m = crate::featurize::featurize_table(fitted, table, as_of)?;
    let mut above = EventsAbove::default();
    if let (Some(fe), Some(ev), Some(a)) = (&fitted.events, events, as_of) {
        above = event_features(fe, ev, a, &mut m, fitted.columns_width())?;
    }
    Ok((m, above))
}

/// The events of a labelled set whose type training never saw ([`FittedEvents::knows`]),
/// counted as [`crate::featurize::unseen_values`] counts a column's values: once per lead (a
/// lead of the leads file, `source_rows[example]`), when one of its examples knew such an
/// event at its `as_of`; scored as an active day only ([`FittedEvents::encode`]). `None` when
/// there is none.
pub fn unseen_event_types(
    fitted: &FittedEvents,
    events: &EventColumns,
    as_of: &[i64],
    source_rows: &[usize],
) -> Option<UnseenValues> {
    let unknown: Vec<bool> = events.type_names.iter().map(|t| !fitted.knows(t)).collect();
    if !unknown.contains(&true) {
        return None;
    }
    // (lead, type) pairs, each once.
    let mut seen = std::collections::HashSet::new();
    for (i, &example) in events.lead.iter().enumerate() {
        let (example, ty) = (example as usize, events.event_type[i] as usize);
        if unknown[ty]
            && as_of
                .get(example)
                .is_some_and(|a| events.occurred_at[i] <= *a)
        {
            if let Some(&lead) = source_rows.get(example) {
                seen.insert((lead, ty));
            }
        }
    }
    if seen.is_empty() {
        return None;
    }
    let leads: std::collections::HashSet<usize> = seen.iter().map(|(l, _)| *l).collect();
    let mut per_type: HashMap<usize, u64> = HashMap::new();
    for (_, ty) in &seen {
        *per_type.entry(*ty).or_default() += 1;
    }
    let mut shown: Vec<(&str, u64)> = per_type
        .into_iter()
        .map(|(ty, n)| (events.type_names[ty].as_str(), n))
        .collect();
    let distinct = shown.len() as u64;
    shown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    shown.truncate(UNSEEN_SHOWN);
    Some(UnseenValues {
        column: FittedEvents::UNSEEN_FIELD.into(),
        scored_as: FittedEvents::UNSEEN_SCORED_AS.into(),
        leads: leads.len() as u64,
        distinct,
        values: shown.iter().map(|(t, _)| shorten(t).into_owned()).collect(),
    })
}

/// The leads of a labelled set whose event counts were held to the training maxima
/// ([`EventsAbove`]), counted as [`unseen_event_types`] counts types: once per lead, the event
/// types (or `active days`) named. `None` when there is none.
pub fn events_above(
    fitted: &FittedEvents,
    above: &EventsAbove,
    source_rows: &[usize],
) -> Option<UnseenValues> {
    if above.rows.is_empty() {
        return None;
    }
    let leads: std::collections::HashSet<usize> = above
        .rows
        .iter()
        .filter_map(|&r| source_rows.get(r).copied())
        .collect();
    let names: Vec<String> = above
        .blocks
        .iter()
        .map(|&b| {
            fitted
                .types
                .get(b)
                .map_or("active days".to_string(), |t| shorten(t).into_owned())
        })
        .collect();
    Some(UnseenValues {
        column: FittedEvents::ABOVE_FIELD.into(),
        scored_as: FittedEvents::ABOVE_SCORED_AS.into(),
        leads: leads.len() as u64,
        distinct: names.len() as u64,
        values: names.into_iter().take(UNSEEN_SHOWN).collect(),
    })
}

/// One table running weeks past all the others (a leads table pulled later), or one ending
/// weeks before the rest (an outcomes export that stopped early, while the leads and events go
/// on): the examples in between are labeled from tables that do not reach them. Said, with
/// each table's end (`ends`: each table's name and end).
fn table_ends_note(ends: &[(String, i64)]) -> Option<String> {
    let mut by_end: Vec<&(String, i64)> = ends.iter().collect();
    by_end.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
    let each = || -> String {
        ends.iter()
            .map(|(name, t)| format!("{name} {}", leadscore_core::value::rfc3339(*t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gap = STRAY_GAP_DAYS * 86_400;
    let [(latest, last), (_, next), ..] = by_end[..] else {
        return None;
    };
    let (earliest, first) = by_end[by_end.len() - 1];
    if last - next > gap {
        Some(format!(
            "{latest} runs {} days past every other table ({}): were they exported at different \
             times? An example whose horizon reaches past the others' ends is labeled from what \
             they hold (a conversion they do not reach counts as none); export the tables \
             together",
            (last - next) / 86_400,
            each()
        ))
    } else if last - first > gap {
        Some(format!(
            "{earliest} ends {} days before the other tables ({}): exported earlier, or an export \
             that stopped early? An example whose horizon reaches past its end is labeled from \
             what it holds (an event or conversion it does not reach counts as none); export the \
             tables together",
            (last - first) / 86_400,
            each()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::fitted::LeadEvent;

    /// The outcomes table at `path` read with the default spec for the leads of `index`.
    fn outcomes_of(path: &Path, index: &HashMap<String, usize>) -> Result<Outcomes> {
        read_outcomes(
            path,
            OutcomeSpec::default(),
            &leadscore_core::value::default_positive_values(),
            index,
            &ReadOptions::default(),
            &[String::new()],
            false,
        )
    }

    /// A time typed a year ahead of the rest of its table does not end the data; the latest
    /// times of a table that runs on steadily do, and so does a table of one time.
    #[test]
    fn a_stray_time_far_ahead_of_its_table_does_not_end_the_data() {
        let day = 86_400;
        let mut times: Vec<i64> = (0..5_000).map(|i| i * 3_600).collect();
        let last = times[times.len() - 1];
        assert_eq!(
            last_time(times.iter().copied(), times.len()),
            (Some(last), None)
        );
        times.push(last + 334 * day);
        assert_eq!(
            last_time(times.iter().copied(), times.len()),
            (Some(last), Some((1, last + 334 * day)))
        );
        // Two strays of 5,001 times: more than one in 1,000 would be data, not strays; five of
        // 5,000 are strays too.
        times.push(last + 200 * day);
        assert_eq!(
            last_time(times.iter().copied(), times.len()),
            (Some(last), Some((2, last + 334 * day)))
        );
        let few: Vec<i64> = vec![0, 100 * day];
        assert_eq!(last_time(few.into_iter(), 2), (Some(100 * day), None));
        assert_eq!(last_time(std::iter::once(7), 1), (Some(7), None));
        assert_eq!(last_time(std::iter::empty(), 0), (None, None));
        // Weeks between steady times at the end (a quiet month) and many after it: kept.
        let mut steady: Vec<i64> = (0..5_000).map(|i| i * 3_600).collect();
        steady.extend((0..100).map(|i| last + 60 * day + i * 3_600));
        assert_eq!(
            last_time(steady.iter().copied(), steady.len()),
            (Some(last + 60 * day + 99 * 3_600), None)
        );
    }

    /// A table that runs weeks past the others, or ends weeks before them, is named with each
    /// table's end; tables ending within 30 days of each other are not.
    #[test]
    fn tables_ending_apart_are_named() {
        let day = 86_400;
        let t0 = 1_750_000_000;
        let ends = |e: [i64; 3]| -> Vec<(String, i64)> {
            ["leads", "events", "outcomes"]
                .iter()
                .zip(e)
                .map(|(n, d)| (format!("the {n} table"), t0 + d * day))
                .collect()
        };
        assert_eq!(table_ends_note(&ends([0, -3, -20])), None);
        let later = table_ends_note(&ends([60, 0, -5])).unwrap();
        assert!(
            later.starts_with("the leads table runs 60 days past every other table"),
            "{later}"
        );
        // Leads and events go on; the outcomes stop four months earlier.
        let early = table_ends_note(&ends([0, -1, -120])).unwrap();
        assert!(
            early.starts_with("the outcomes table ends 120 days before the other tables"),
            "{early}"
        );
        assert!(early.contains("the events table 2025-"), "{early}");
        assert_eq!(table_ends_note(&ends([0, 0, 0])[..1]), None);
    }

    /// An outcomes table whose columns differ from the spec's names only in case (`Lead_ID`,
    /// `Converted`, as a CRM exports them) is read by them: a lead marked 0 did not convert
    /// (the `Converted` column was not read, and every listed lead counted converted).
    #[test]
    fn outcome_columns_are_found_in_any_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.csv");
        std::fs::write(
            &path,
            "Lead_ID,Converted,Converted_At\n0001,1,2025-01-02\n0002,0,\n0003,1,\n",
        )
        .unwrap();
        // Zero-padded ids: the id column is read as text under its other-case name too.
        let index: HashMap<String, usize> = [("0001", 0), ("0002", 1), ("0003", 2)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        let Ok(o) = outcomes_of(&path, &index) else {
            panic!("the outcomes were not read");
        };
        let day = leadscore_core::value::parse_timestamp("2025-01-02").unwrap();
        assert_eq!(o.per_lead, [Some(Some(day)), None, Some(None)]);
        assert_eq!(o.unknown, 0);
    }

    /// Two columns differing from `converted` only in case, none named exactly: which one is
    /// meant is not guessed, and neither is left unread (every listed lead then counted
    /// converted); the error names both.
    #[test]
    fn two_outcome_columns_differing_only_in_case_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.csv");
        std::fs::write(
            &path,
            "lead_id,Converted,CONVERTED
1,0,1
2,0,0
",
        )
        .unwrap();
        let index: HashMap<String, usize> = [("1".to_string(), 0), ("2".to_string(), 1)].into();
        let Err(err) = outcomes_of(&path, &index) else {
            panic!("two `converted` columns were read");
        };
        let err = err.to_string();
        assert!(err.contains("outcomes.csv: column `converted`"), "{err}");
        assert!(err.contains("`Converted` and `CONVERTED`"), "{err}");
    }

    /// A model keeps at most [`MAX_OTHER_TYPES`] types without features, the most frequent,
    /// and none of an absurd length.
    #[test]
    fn types_without_features_are_bounded() {
        let n = MAX_OTHER_TYPES + 500;
        let mut type_names: Vec<String> = (0..n).map(|k| format!("junk_{k:05}")).collect();
        type_names.push("x".repeat(MAX_OTHER_TYPE_BYTES + 1));
        // Type k occurs k % 7 + 1 times, the long one 100 times; all dated after as_of.
        let mut event_type = Vec::new();
        for k in 0..=n {
            let times = if k == n { 100 } else { k % 7 + 1 };
            event_type.extend(std::iter::repeat_n(k as u32, times));
        }
        let events = EventColumns {
            lead: vec![0; event_type.len()],
            occurred_at: vec![1_000; event_type.len()],
            event_type,
            type_names,
            path: "events.csv".into(),
            fingerprint: None,
        };
        let fitted = fit_events(&EventSpec::default(), &events, &[0], &[0]);
        assert!(fitted.types.is_empty());
        assert_eq!(fitted.other_types.len(), MAX_OTHER_TYPES);
        assert!(fitted
            .other_types
            .iter()
            .all(|t| t.len() <= MAX_OTHER_TYPE_BYTES));
        // The most frequent kept: every type seen 7 times is there.
        assert!(fitted.other_types.contains(&"junk_00006".to_string()));
        // Known at as_of, the long one gets no features either (a 1 GB one made a model of
        // that size, and an index of 27 GB).
        let known = EventColumns {
            occurred_at: vec![0; events.event_type.len()],
            ..events
        };
        let fitted = fit_events(&EventSpec::default(), &known, &[0], &[0]);
        assert!(!fitted.types.is_empty());
        assert!(fitted.types.iter().all(|t| t.len() <= MAX_OTHER_TYPE_BYTES));
    }

    /// A listed type no event has is named with the file's spelling of it; types given
    /// features beside another spelled alike but for case are named with their counts.
    #[test]
    fn event_types_listed_wrong_or_split_by_case_are_warned_about() {
        let type_names: Vec<String> = ["Form Success", "demo_request", "Demo_Request ", "visit"]
            .map(String::from)
            .to_vec();
        let event_type = vec![0, 0, 1, 1, 1, 2, 3, 3];
        let events = EventColumns {
            lead: vec![0; event_type.len()],
            occurred_at: vec![0; event_type.len()],
            event_type,
            type_names,
            path: "events.csv".into(),
            fingerprint: None,
        };
        let spec = EventSpec {
            types: vec!["Form success".into(), "Pricing".into(), "visit".into()],
            ..EventSpec::default()
        };
        let fitted = fit_events(&spec, &events, &[0], &[0]);
        let w = event_type_warnings(&spec, &events, &fitted);
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(
            w[0].starts_with("event type \"Form success\" listed in [events] types has no event")
                && w[0].contains("the file has \"Form Success\""),
            "{}",
            w[0]
        );
        assert!(w[1].contains("\"Pricing\"") && w[1].contains("check its spelling"));
        // Chosen by frequency, `demo_request` gets features; its other spelling is named.
        let fitted = fit_events(&EventSpec::default(), &events, &[0], &[0]);
        let w = event_type_warnings(&EventSpec::default(), &events, &fitted);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(
            w[0].contains("\"demo_request\" (3), \"Demo_Request \" (1)")
                && w[0].contains("differ only in case or spaces"),
            "{}",
            w[0]
        );
    }

    /// The one-pass aggregation against the per-lead path, on the cases that differ between
    /// them if either is wrong: an event exactly at `as_of` (known), one a second later
    /// (unknown), a type without features (counted only in active days), two events on one
    /// day, a lead with no events, a lead whose events are all in its future, and events out of
    /// lead order.
    #[test]
    fn one_pass_matches_the_per_lead_path() {
        let fitted = FittedEvents {
            types: vec!["demo".into(), "visit".into()],
            windows_days: vec![7, 30],
            half_life_days: 14.0,
            other_types: vec!["webinar".into()],
            index: Default::default(),
            max: Vec::new(),
            days_since_held: false,
        };
        let day = 86_400;
        let as_of = vec![100 * day, 50 * day + 3_600, 10 * day, 80 * day];
        let type_names: Vec<String> = vec!["visit".into(), "webinar".into(), "demo".into()];
        // (lead, type index, time)
        let rows: Vec<(u32, u32, i64)> = vec![
            (0, 0, 99 * day),
            (1, 2, 50 * day + 3_600),
            (0, 2, 40 * day),
            (1, 1, 49 * day),
            (0, 0, 99 * day + 60),
            (1, 2, 50 * day + 3_601),
            (3, 0, 81 * day),
            (0, 1, 100 * day),
            (1, 0, -5 * day - 1),
        ];
        let events = EventColumns {
            lead: rows.iter().map(|r| r.0).collect(),
            event_type: rows.iter().map(|r| r.1).collect(),
            type_names: type_names.clone(),
            occurred_at: rows.iter().map(|r| r.2).collect(),
            path: "events.csv".into(),
            fingerprint: None,
        };
        let width = fitted.width();
        let offset = 2;
        let mut m = Matrix::zeros(as_of.len(), offset + width);
        event_features(&fitted, &events, &as_of, &mut m, offset).expect("aggregate");
        for (lead, at) in as_of.iter().enumerate() {
            let own: Vec<LeadEvent<'_>> = rows
                .iter()
                .filter(|r| r.0 as usize == lead)
                .map(|r| LeadEvent {
                    event_type: &type_names[r.1 as usize],
                    occurred_at: r.2,
                })
                .collect();
            let mut want = vec![0.0; width];
            fitted.encode(&own, *at, &mut want);
            let got: Vec<f64> = (0..width).map(|k| m.col(offset + k)[lead]).collect();
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-12,
                    "lead {lead}, feature {k}: {g} vs {w}"
                );
            }
        }
        // Lead 0 has 4 known events on 3 distinct days (99, 40, 100).
        assert_eq!(m.col(offset + width - 1)[0], 3f64.ln_1p());
        // Lead 2 has none: every type `never`, no active day.
        assert_eq!(m.col(offset + width - 1)[2], 0.0);
        assert_eq!(m.col(offset + fitted.per_type() - 1)[2], 1.0);
    }
}
