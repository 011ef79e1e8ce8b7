//! The vectorized featurizer: fits a [`FeatureSpec`] on the training rows and encodes whole
//! polars columns into a column-major design matrix.
//!
//! This is the second implementation of the feature definition (the first, per lead, is
//! [`leadscore_core::fitted::FittedSpec::featurize_into`]). It works a column at a time over
//! polars arrays and classifies each distinct string once; the two share only the value-level
//! parsers in [`leadscore_core::value`]. The parity tests hold them to 1e-9 on real data.

use crate::error::{Result, TrainError};
use crate::load::{column, Table};
use crate::table::text_values;
use leadscore_core::explain::{fmt_exact, written_date_text};
use leadscore_core::fitted::{
    after_scoring, bin_index, days_since, encode_age, is_no_date, is_numeric_token, is_unset_time,
    lead_age, numeric_missing_tokens, outside, past_max_days, scored_days, signed_log1p,
    FittedColumn, FittedSpec, FittedTransform, UnseenValues, UNSEEN_SHOWN,
};
use leadscore_core::spec::{
    Bins, ColumnSpec, FeatureSpec, TransformKind, DEFAULT_MAX_LEVELS, DEFAULT_MIN_COUNT,
    DEFAULT_SEPARATOR, VALUE_BIN_MIN_COUNT,
};
use leadscore_core::value::{
    bool_of, email_class, for_each_selection, is_no_value, month_and_weekday, options_in,
    parse_event_time_as, parse_number_as, parse_timestamp, parse_timestamp_as, selections,
    seniority, shorten, DateOrder, DateOrderEvidence, EmailClass, EpochUnit, FieldValue, Seniority,
};
use polars::prelude::*;
use std::collections::HashMap;

/// A dense design matrix stored column by column (what linfa fits fastest).
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (leads).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
    /// Column `j` is `data[j * rows..(j + 1) * rows]`.
    pub data: Vec<f64>,
}

impl Matrix {
    /// An all-zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Column `j`.
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    /// Column `j`, mutable.
    pub fn col_mut(&mut self, j: usize) -> &mut [f64] {
        &mut self.data[j * self.rows..(j + 1) * self.rows]
    }

    /// Row `i` as a vector (for per-lead comparisons and scoring).
    pub fn row(&self, i: usize) -> Vec<f64> {
        (0..self.cols)
            .map(|j| self.data[j * self.rows + i])
            .collect()
    }

    /// This matrix with the columns of `other` (same rows) appended after its own.
    pub fn with_columns(mut self, other: &Matrix) -> Matrix {
        debug_assert_eq!(self.rows, other.rows);
        self.data.extend_from_slice(&other.data);
        self.cols += other.cols;
        self
    }

    /// The first `cols` columns.
    pub fn prefix(&self, cols: usize) -> Matrix {
        Matrix {
            rows: self.rows,
            cols,
            data: self.data[..self.rows * cols].to_vec(),
        }
    }

    /// The rows at `idx`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut out = Matrix::zeros(idx.len(), self.cols);
        for j in 0..self.cols {
            let src = self.col(j);
            for (dst, &i) in out.col_mut(j).iter_mut().zip(idx) {
                *dst = src[i];
            }
        }
        out
    }
}

fn col_err(table: &Table, column: &str, message: impl Into<String>) -> TrainError {
    TrainError::Column {
        path: table.path.clone(),
        column: column.to_string(),
        message: message.into(),
    }
}

fn cell_err(table: &Table, column: &str, row: usize, message: impl Into<String>) -> TrainError {
    TrainError::Cell {
        path: table.path.clone(),
        row: row + 1,
        column: column.to_string(),
        message: message.into(),
    }
}

fn polars_err<'a>(table: &'a Table, column: &str) -> impl Fn(PolarsError) -> TrainError + 'a {
    let column = column.to_string();
    move |e| col_err(table, &column, e.to_string())
}

/// Parses every cell of a text column with `parse` (`Err(what)` from it = not parseable, an
/// error naming the row: `expected {what}, found "..."`; `Ok(None)` = a value that counts as
/// missing); nulls and missing tokens are missing. Reads polars' string array directly,
/// without a `String` per cell.
fn parse_cells<T, E: std::fmt::Display>(
    table: &Table,
    name: &str,
    missing: &[String],
    parse: impl Fn(&str) -> std::result::Result<Option<T>, E>,
) -> Result<Vec<Option<T>>> {
    let s = column(table, name)?;
    s.str()
        .map_err(polars_err(table, name))?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(t) if missing.iter().any(|m| m == t) => Ok(None),
            Some(t) => parse(t).map_err(|expected| {
                cell_err(
                    table,
                    name,
                    i,
                    format!(
                        "expected {expected}, found {}",
                        leadscore_core::explain::Quoted(t)
                    ),
                )
            }),
        })
        .collect()
}

/// A numeric column: `None` for missing (null, missing token, a number whose CSV text is a
/// missing token (`-1`: [`numeric_missing_tokens`]), a placeholder for no value that is no
/// number (`n/a`, `unknown`, `-`: [`is_no_value`]), and a Parquet float's NaN, as pandas
/// writes a missing float; in text, `NaN` or `inf` is an error naming the row, and so is a
/// Parquet float's infinity). Text cells are
/// read as the spec reads numbers (`decimal_comma`: `12,5`; see
/// [`leadscore_core::value::parse_number_as`]).
pub fn numeric_values(
    table: &Table,
    name: &str,
    missing: &[String],
    decimal_comma: bool,
) -> Result<Vec<Option<f64>>> {
    let s = column(table, name)?;
    let pe = polars_err(table, name);
    // A number whose CSV text is a missing token (`-1`) is missing, as the server reads a number
    // sent as a number (`FittedSpec::normalize`) and text that reads as one (`-1.0`).
    let tokens = numeric_missing_tokens(missing);
    match s.dtype() {
        // `NaN` or `inf` written as text is refused as the server and `score` refuse it (a
        // missing value is an empty cell or a missing token), so a file that trains also scores.
        DataType::String => parse_cells(table, name, missing, |t| {
            match parse_number_as(t, decimal_comma) {
                Some(x) if x.is_finite() && is_numeric_token(&tokens, x) => Ok(None),
                Some(x) if x.is_finite() => Ok(Some(x)),
                Some(_) => Err("a finite number"),
                // A placeholder for no value (`n/a`, `unknown`, `-`) that the spec's missing
                // tokens do not list: missing, as the server reads it (a later export may
                // write one where training's file left the cell empty).
                None if is_no_value(t) => Ok(None),
                None => Err("a number"),
            }
        }),
        // Numbers: in a Parquet file, and in a CSV read before the spec's tokens were known
        // (the reader nulls tokens as text, but training reads the file with the default
        // tokens, then learns the spec's).
        dt if dt.is_primitive_numeric() => {
            let values = crate::table::float_values(s).map_err(&pe)?;
            // An infinity is no measurement: refused as `inf` written as text is. A NaN is how
            // pandas writes a missing float: missing.
            if let Some((row, x)) = values
                .iter()
                .enumerate()
                .find_map(|(i, v)| v.filter(|x| x.is_infinite()).map(|x| (i, x)))
            {
                return Err(cell_err(
                    table,
                    name,
                    row,
                    format!("expected a finite number, found {x}"),
                ));
            }
            Ok(values
                .into_iter()
                .map(|v| v.filter(|x| x.is_finite() && !is_numeric_token(&tokens, *x)))
                .collect())
        }
        DataType::Null => Ok(vec![None; s.len()]),
        other => Err(col_err(
            table,
            name,
            format!("is {other}, not numbers; give it another transform in the spec"),
        )),
    }
}

/// The levels (options) a categorical or multi_select column keeps: those with at least the
/// spec's `min_count` training rows, most frequent first (ties by name), at most `max_levels`.
fn frequent_levels(counts: HashMap<&str, usize>, c: &ColumnSpec) -> Vec<String> {
    let min_count = c.min_count.unwrap_or(DEFAULT_MIN_COUNT).max(1);
    let mut levels: Vec<(&str, usize)> = counts
        .into_iter()
        .filter(|(_, n)| *n >= min_count)
        .collect();
    levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    levels.truncate(c.max_levels.unwrap_or(DEFAULT_MAX_LEVELS));
    levels.into_iter().map(|(l, _)| l.to_string()).collect()
}

/// A multi_select column's values ([`level_values`]). A Parquet list column is read as its
/// items joined with [`DEFAULT_SEPARATOR`], so a spec or model that splits at another separator
/// is refused for it, naming the column (its items would be read as one option).
pub(crate) fn option_values(
    table: &Table,
    name: &str,
    missing: &[String],
    separator: &str,
) -> Result<Vec<Option<String>>> {
    if separator != DEFAULT_SEPARATOR && table.list_columns.iter().any(|c| c == name) {
        return Err(col_err(
            table,
            name,
            format!(
                "is a list column, read as its items joined with `{DEFAULT_SEPARATOR}`, but the \
                 separator here is `{separator}`: leave the separator at its default for it"
            ),
        ));
    }
    level_values(table, name, missing)
}

/// A text column (numbers and booleans rendered as levels): `None` for missing.
pub fn level_values(table: &Table, name: &str, missing: &[String]) -> Result<Vec<Option<String>>> {
    let s = column(table, name)?;
    let mut v = text_values(s).map_err(polars_err(table, name))?;
    for x in &mut v {
        if x.as_ref().is_some_and(|t| missing.iter().any(|m| m == t)) {
            *x = None;
        }
    }
    Ok(v)
}

/// A boolean column read with core's [`bool_of`], so it reads each cell as the per-lead
/// featurizer does.
#[derive(Debug, Clone, PartialEq)]
pub struct BoolColumn {
    /// `None` for missing, and for a value that is not yes or no (scored as missing).
    pub values: Vec<Option<bool>>,
    /// The rows (0-based) whose value is not yes or no, with the value as the file has it:
    /// values training did not see when they are outside the training rows.
    pub not_boolean: Vec<(usize, String)>,
}

/// A boolean column: true/false (a Boolean column, from Parquet), yes/no-like text, or the
/// numbers 0 and 1. Any other value is noted in [`BoolColumn::not_boolean`], never an error.
pub fn bool_values(table: &Table, name: &str, missing: &[String]) -> Result<BoolColumn> {
    let s = column(table, name)?;
    if let DataType::Boolean = s.dtype() {
        return Ok(BoolColumn {
            values: s.bool().map_err(polars_err(table, name))?.iter().collect(),
            not_boolean: Vec::new(),
        });
    }
    let mut not_boolean = Vec::new();
    let values = level_values(table, name, missing)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let t = v?;
            let b = bool_of(FieldValue::Text(&t));
            if b.is_none() {
                not_boolean.push((i, t));
            }
            b
        })
        .collect();
    Ok(BoolColumn {
        values,
        not_boolean,
    })
}

/// A column of times in Unix seconds: strings in the common export forms (dates with the year
/// last in `order`; see [`leadscore_core::value::parse_timestamp_as`]), polars Datetime/Date
/// columns (from Parquet), or numbers (or digits) that are all Unix seconds, all
/// milliseconds or all a spreadsheet's serial dates ([`epoch_seconds`]), as event, warehouse
/// and CRM API exports and spreadsheets saved as CSV write them. A
/// `timestamp` feature column, a lead's `created_at` or `as_of`, an outcome's `converted_at`;
/// the server reads a request's field alike ([`leadscore_core::value::field_time`]).
pub fn timestamp_values(
    table: &Table,
    name: &str,
    missing: &[String],
    order: DateOrder,
) -> Result<Vec<Option<i64>>> {
    times(table, name, missing, order, false, false)
}

/// [`timestamp_values`] for a date feature column (a `timestamp` transform): text an export
/// writes for "no date" (`n/a`, `-`, `Never`, `00/00/0000`:
/// [`leadscore_core::value::is_date_placeholder`]) is missing, listed as a missing token or
/// not, as the per-lead featurizer reads it ([`leadscore_core::fitted::is_no_date`]).
pub fn date_values(
    table: &Table,
    name: &str,
    missing: &[String],
    order: DateOrder,
) -> Result<Vec<Option<i64>>> {
    times(table, name, missing, order, false, true)
}

/// [`timestamp_values`] for the times of events: a fraction of a second rounds a time up (see
/// [`leadscore_core::value::parse_event_time_as`]), as the server reads an event's time.
pub fn event_time_values(
    table: &Table,
    name: &str,
    missing: &[String],
    order: DateOrder,
) -> Result<Vec<Option<i64>>> {
    times(table, name, missing, order, true, false)
}

/// A numeric column as Unix seconds (rounded up with `round_up`, else down), when every value
/// is a time from 2000 to 2100 in one unit ([`epoch_unit`]), or there is none (no conversion
/// yet: no times); `None` otherwise.
fn epoch_seconds(values: &[Option<f64>], round_up: bool) -> Option<Vec<Option<i64>>> {
    let unit = epoch_unit(values.iter().flatten().copied())?;
    Some(
        values
            .iter()
            .map(|v| {
                v.map(|x| {
                    let t = unit.seconds(x);
                    (if round_up { t.ceil() } else { t.floor() }) as i64
                })
            })
            .collect(),
    )
}

/// The unit of numbers that are all times from 2000 to 2100 in it
/// ([`leadscore_core::value::EpochUnit`]: Unix seconds, milliseconds, or a spreadsheet's
/// serial days); `None` when they are not (seconds when there is none, a unit of no use). The
/// units never overlap, and no count, amount or id column of an export falls wholly in one by
/// chance often enough to matter (it is read so only where a time is expected).
pub fn epoch_unit(values: impl Iterator<Item = f64> + Clone) -> Option<EpochUnit> {
    EpochUnit::ALL
        .into_iter()
        .find(|u| values.clone().all(|x| u.reads(x)))
}

/// The error of a column of numbers (`values`) where times are expected that are not Unix
/// times. When most are times in one unit, the first row that is not is named, with its value
/// (a placeholder such as `1`, a spreadsheet's 1900-01-01, among serial dates).
fn not_epoch(table: &Table, name: &str, values: &[Option<f64>]) -> TrainError {
    let total = values.iter().flatten().count();
    let in_unit = |u: EpochUnit| values.iter().flatten().filter(|x| u.reads(**x)).count();
    if let Some(unit) = EpochUnit::ALL
        .into_iter()
        .filter(|u| 2 * in_unit(*u) > total)
        .max_by_key(|u| in_unit(*u))
    {
        if let Some((row, x)) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.filter(|x| !unit.reads(*x)).map(|x| (i, x)))
        {
            return cell_err(
                table,
                name,
                row,
                format!(
                    "expected a time as the column's other rows hold ({} from 2000 to 2100), \
                     found {} (a placeholder for no date? leave the cell empty, or list the \
                     value in the spec's missing_tokens)",
                    unit.name(),
                    leadscore_core::explain::fmt_exact(x)
                ),
            );
        }
    }
    col_err(
        table,
        name,
        "holds numbers, not times: Unix seconds or milliseconds would all lie between 2000 and \
         2100 (946684800 to 4102444800 seconds), a spreadsheet's serial dates between 36526 and \
         73051; write the times as dates (ISO 8601) or as such a count"
            .to_string(),
    )
}

fn times(
    table: &Table,
    name: &str,
    missing: &[String],
    order: DateOrder,
    round_up: bool,
    placeholders: bool,
) -> Result<Vec<Option<i64>>> {
    let s = column(table, name)?;
    let pe = polars_err(table, name);
    match s.dtype() {
        // 32-bit floats hold 7 digits: a time in seconds would be off by up to a minute.
        DataType::Float32 => Err(col_err(
            table,
            name,
            "holds 32-bit floats, too coarse for Unix times (off by up to a minute): write them \
             as integers or dates",
        )),
        t if t.is_primitive_numeric() => {
            // Unix time 0 (an export's unset date), a number that is a missing token and a
            // Parquet float's NaN are missing, as in a numeric column and as the server reads
            // them (`leadscore_core::value::is_zero_time_text`).
            let tokens = numeric_missing_tokens(missing);
            let numbers: Vec<Option<f64>> = s
                .cast(&DataType::Float64)
                .map_err(&pe)?
                .f64()
                .map_err(&pe)?
                .iter()
                .map(|v| {
                    v.filter(|x| !x.is_nan() && !is_unset_time(FieldValue::Number(*x), &tokens))
                })
                .collect();
            epoch_seconds(&numbers, round_up).ok_or_else(|| not_epoch(table, name, &numbers))
        }
        DataType::Datetime(unit, _) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            Ok(s.cast(&DataType::Int64)
                .map_err(&pe)?
                .i64()
                .map_err(&pe)?
                .iter()
                .map(|v| {
                    v.map(|x| {
                        let up = round_up && x.rem_euclid(per_second) != 0;
                        x.div_euclid(per_second) + i64::from(up)
                    })
                })
                .collect())
        }
        // A date without a time: an event's is known from the day's last second (see
        // `parse_event_time_as`), another time's (a creation, a date field) from midnight.
        DataType::Date => Ok(s
            .cast(&DataType::Int32)
            .map_err(&pe)?
            .i32()
            .map_err(&pe)?
            .iter()
            .map(|v| v.map(|d| i64::from(d) * 86_400 + if round_up { 86_399 } else { 0 }))
            .collect()),
        DataType::Null => Ok(vec![None; s.len()]),
        DataType::String => {
            let expected = if order.is_iso() {
                "a timestamp (ISO 8601, YYYY-MM-DD HH:MM:SS or Nov 24, 2023; 12/31/2023 or \
                 31/12/2023 with date_order = \"mdy\" or \"dmy\" in the spec), or Unix seconds \
                 or milliseconds or spreadsheet serial dates from 2000 to 2100 in every row"
                    .to_string()
            } else {
                format!(
                    "{}, or Unix seconds or milliseconds or spreadsheet serial dates from 2000 \
                     to 2100 in every row",
                    order.expected()
                )
            };
            let parse = if round_up {
                parse_event_time_as
            } else {
                parse_timestamp_as
            };
            // The zero time (`0`, `0.0` as pandas writes it beside a missing value,
            // `0000-00-00`) and a number that is a missing token: missing, as in the numeric
            // branch and as the server reads them.
            let tokens = numeric_missing_tokens(missing);
            let token = |t: &str| {
                if placeholders {
                    is_no_date(FieldValue::Text(t), &tokens)
                } else {
                    is_unset_time(FieldValue::Text(t), &tokens)
                }
            };
            let dates = || {
                parse_cells(table, name, missing, |t| {
                    if token(t) {
                        return Ok(None);
                    }
                    parse(t, order).map(Some).ok_or(&expected)
                })
            };
            // Unix times read as text (an events file is read without type inference, `score`
            // reads every file so): plain numbers in every cell (`1738220429`, or
            // `1738220429.0` as pandas writes a column of them with a missing value), in the
            // range.
            let numbers = parse_cells(
                table,
                name,
                missing,
                // The zero time (MySQL's zero date among seconds too): an unset date.
                |t| {
                    if token(t) {
                        return Ok(None);
                    }
                    leadscore_core::value::unix_number_text(t).map(Some).ok_or(
                        "a Unix time or a spreadsheet serial date, as the rows before it hold \
                         (a column holds one form of time)",
                    )
                },
            );
            match numbers {
                Ok(numbers) => {
                    if let Some(times) = epoch_seconds(&numbers, round_up) {
                        return Ok(times);
                    }
                    // Digits that are not Unix times may still be dates (`20250304`).
                    dates().map_err(|_| not_epoch(table, name, &numbers))
                }
                // Neither reading takes every cell. The one that failed later is the column's
                // form, and its failure the row that breaks it: a date among Unix times
                // (`2024-10-17` at row 1,234), not row 1's time, which the date reader refuses.
                Err(at_a_date) => dates().map_err(|at_a_number| {
                    let row = |e: &TrainError| match e {
                        TrainError::Cell { row, .. } => *row,
                        _ => 0,
                    };
                    if row(&at_a_date) > row(&at_a_number) {
                        at_a_date
                    } else {
                        at_a_number
                    }
                }),
            }
        }
        other => Err(col_err(table, name, format!("is {other}, not timestamps"))),
    }
}

/// The order the dates of a text column are written in, when they decide it (a day above 12;
/// see [`DateOrderEvidence`]): for files read without a model or spec to say (the outcomes
/// `monitor` and `funnel` read). `fallback` otherwise, ISO text included.
pub fn column_date_order(
    table: &Table,
    name: &str,
    missing: &[String],
    fallback: DateOrder,
) -> Result<DateOrder> {
    if column(table, name)?.dtype() != &DataType::String {
        return Ok(fallback);
    }
    let values = level_values(table, name, missing)?;
    let not_iso = values
        .iter()
        .flatten()
        .filter(|t| parse_timestamp(t).is_none());
    Ok(DateOrderEvidence::of(not_iso.map(String::as_str))
        .decided()
        .unwrap_or(fallback))
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Inner quantile bin edges (sorted input): distinct, strictly above the minimum.
fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    if bins < 2 || sorted.is_empty() {
        return Vec::new();
    }
    let n = sorted.len();
    let mut edges: Vec<f64> = (1..bins)
        .map(|k| sorted[((k * n) / bins).min(n - 1)])
        .filter(|e| *e > sorted[0])
        .collect();
    edges.dedup();
    edges
}

/// Inner edges of `bins = "values"` (sorted input): every value above the minimum with at least
/// [`VALUE_BIN_MIN_COUNT`] examples starts a bin.
fn value_edges(sorted: &[f64]) -> Vec<f64> {
    let mut edges = Vec::new();
    let mut k = 0;
    while k < sorted.len() {
        let run = sorted[k..].iter().take_while(|x| **x == sorted[k]).count();
        if k > 0 && run >= VALUE_BIN_MIN_COUNT {
            edges.push(sorted[k]);
        }
        k += run;
    }
    edges
}

/// Inner edges of `bins = "N with spikes"` (sorted input): a value that holds at least a bin's
/// share of the rows (`n / bins`, a spike) gets a bin of its own, from it to the next value
/// above it; the other rows are cut at their own quantiles into the bins left (N less the
/// spikes, and no more than give each [`VALUE_BIN_MIN_COUNT`] rows; a spike between them
/// splits one in two, so N in all, or a few more). With no spike these are the quantile edges.
fn spike_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    if bins < 2 || sorted.is_empty() {
        return Vec::new();
    }
    let n = sorted.len();
    let mut edges = Vec::new();
    // The edges a spike's own bin needs (its value and the next one above): never merged away.
    let mut kept = Vec::new();
    let mut rest = Vec::with_capacity(n);
    let mut spikes = 0;
    let mut k = 0;
    while k < n {
        let run = sorted[k..].iter().take_while(|x| **x == sorted[k]).count();
        if run * bins >= n {
            spikes += 1;
            edges.push(sorted[k]);
            kept.push(sorted[k]);
            if let Some(next) = sorted.get(k + run) {
                edges.push(*next);
                kept.push(*next);
            }
        } else {
            rest.extend_from_slice(&sorted[k..k + run]);
        }
        k += run;
    }
    if spikes == 0 {
        return quantile_edges(sorted, bins);
    }
    let m = rest.len();
    let left = bins
        .saturating_sub(spikes)
        .min(m / VALUE_BIN_MIN_COUNT)
        .max(1);
    if m > 0 {
        edges.extend((1..left).map(|k| rest[((k * m) / left).min(m - 1)]));
    }
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    edges.retain(|e| *e > sorted[0]);
    merge_thin_bins(sorted, &mut edges, &kept);
    edges
}

/// Removes edges until every bin holds at least [`VALUE_BIN_MIN_COUNT`] of the `sorted`
/// values, except where both of a bin's edges are in `kept` (a spike's own bin, or the rows
/// between two spikes): a quantile edge of the other rows can land just after a spike's bin
/// and leave a bin of a few rows between them, which is noise to fit. A thin bin's upper edge
/// goes first (it joins the bin above), else its lower one.
fn merge_thin_bins(sorted: &[f64], edges: &mut Vec<f64>, kept: &[f64]) {
    let count = |lo: Option<f64>, hi: Option<f64>| {
        let from = lo.map_or(0, |e| sorted.partition_point(|x| *x < e));
        let to = hi.map_or(sorted.len(), |e| sorted.partition_point(|x| *x < e));
        to - from
    };
    let free = |e: f64| !kept.contains(&e);
    let mut i = 0;
    // Bin i lies between edges[i - 1] (none for the first) and edges[i] (none for the last).
    while i <= edges.len() {
        let lo = i.checked_sub(1).map(|j| edges[j]);
        let hi = edges.get(i).copied();
        if count(lo, hi) >= VALUE_BIN_MIN_COUNT {
            i += 1;
            continue;
        }
        match (hi.filter(|e| free(*e)), lo.filter(|e| free(*e))) {
            (Some(_), _) => {
                edges.remove(i);
            }
            (None, Some(_)) => {
                edges.remove(i - 1);
                i -= 1;
            }
            (None, None) => i += 1,
        }
    }
}

/// Inner bin edges of `bins` on a column's present training values (sorted): none for 0, 1 or
/// `auto` (resolved by training before any fit).
fn edges_of(sorted: &[f64], bins: Bins) -> Vec<f64> {
    match bins {
        Bins::Fixed(b) => quantile_edges(sorted, b),
        Bins::Spikes(b) => spike_edges(sorted, b),
        Bins::Values => value_edges(sorted),
        Bins::Auto => Vec::new(),
    }
}

/// Fits a numeric column's transform on the rows `train` of its values `v`: the median of the
/// present values (imputed for missing ones), a missing indicator when training had gaps, and
/// the edges of its `bins` ([`edges_of`]: distinct, above the minimum) and the range of the
/// present values (a value outside it is scored as the nearest end).
fn fit_numeric(v: &[Option<f64>], train: &[usize], log1p: bool, bins: Bins) -> FittedTransform {
    let mut present: Vec<f64> = train.iter().filter_map(|&i| v[i]).collect();
    let missing_indicator = present.len() < train.len();
    let med = median(&mut present); // sorts `present`
    FittedTransform::Numeric {
        median: med,
        missing_indicator,
        log1p,
        bin_edges: edges_of(&present, bins),
        range: present
            .first()
            .zip(present.last())
            .map(|(lo, hi)| [*lo, *hi]),
    }
}

/// Writes a numeric column's features (value, missing indicator, one-hot bin) for every row of
/// `v` into the columns `j..` of `m`. `t` must be [`FittedTransform::Numeric`].
fn write_numeric(v: &[Option<f64>], t: &FittedTransform, m: &mut Matrix, j: usize) {
    let FittedTransform::Numeric {
        median,
        missing_indicator,
        log1p,
        bin_edges,
        ..
    } = t
    else {
        return;
    };
    let n = m.rows;
    let ind_col = j + 1;
    let bins_col = j + 1 + usize::from(*missing_indicator);
    for (i, x) in v.iter().enumerate() {
        // Outside the training range, the nearest training value (as `encode_column` scores it).
        let x_imp = t.scored_number(x.unwrap_or(*median));
        m.data[j * n + i] = if *log1p { signed_log1p(x_imp) } else { x_imp };
        if *missing_indicator && x.is_none() {
            m.data[ind_col * n + i] = 1.0;
        }
        if !bin_edges.is_empty() {
            m.data[(bins_col + bin_index(x_imp, bin_edges)) * n + i] = 1.0;
        }
    }
}

/// The inner bin edges `bins` give a numeric column fitted on the rows `train` of its values.
pub fn bin_edges(v: &[Option<f64>], train: &[usize], bins: Bins) -> Vec<f64> {
    let mut present: Vec<f64> = train.iter().filter_map(|&i| v[i]).collect();
    present.sort_by(f64::total_cmp);
    edges_of(&present, bins)
}

/// The one-hot bin features of a numeric column with `bins` fitted on the rows `train` of its
/// values `v`, for the rows `rows`: the same columns [`fit_spec`] and [`featurize_table`] give
/// the column with those `bins` (without its value and missing indicator). No columns when the
/// training values allow no edge.
pub fn bin_columns(v: &[Option<f64>], train: &[usize], bins: Bins, rows: &[usize]) -> Matrix {
    let t = fit_numeric(v, train, false, bins);
    let width = t.width();
    let mut m = Matrix::zeros(rows.len(), width);
    let values: Vec<Option<f64>> = rows.iter().map(|&i| v[i]).collect();
    write_numeric(&values, &t, &mut m, 0);
    let leading = match &t {
        FittedTransform::Numeric {
            missing_indicator, ..
        } => 1 + usize::from(*missing_indicator),
        _ => width,
    };
    Matrix {
        rows: rows.len(),
        cols: width - leading,
        data: m.data.split_off(leading * rows.len()),
    }
}

/// The values of a `sum_of` column: per row, the numbers of `parts` (as [`numeric_values`]
/// reads each) added up in the order listed, `None` when any part is missing; an error naming
/// the row and the part when finite parts add up beyond the largest float. The server adds the
/// same numbers in the same order ([`leadscore_core::fitted::FittedSpec::sum_value`]) and
/// refuses such a lead alike.
pub fn sum_values(
    table: &Table,
    total: &str,
    parts: &[&str],
    missing: &[String],
    decimal_comma: bool,
) -> Result<Vec<Option<f64>>> {
    let mut sums: Vec<Option<f64>> = vec![Some(0.0); table.df.height()];
    for part in parts {
        let v = numeric_values(table, part, missing, decimal_comma)?;
        for (row, (s, x)) in sums.iter_mut().zip(v).enumerate() {
            *s = match (*s, x) {
                (Some(s), Some(x)) if !(s + x).is_finite() => {
                    // Finite parts whose sum is not (`1e308 + 1e308`): refused, naming the part
                    // that took it there, as the server and `score` refuse such a lead
                    // (`FittedSpec::add_parts`), rather than a total read as missing.
                    return Err(cell_err(
                        table,
                        part,
                        row,
                        leadscore_core::fitted::total_overflow_problem(
                            total,
                            parts.iter().copied(),
                        ),
                    ));
                }
                (Some(s), Some(x)) => Some(s + x),
                _ => None,
            };
        }
    }
    Ok(sums)
}

/// `table` with a column of values for each `(name, parts)` sum ([`sum_values`]), replacing
/// a column of that name (the file's own, when it has one, is checked by the caller), and
/// noted in [`Table::sums`].
pub fn add_sums<'s>(
    table: &Table,
    sums: impl IntoIterator<Item = (&'s str, Vec<&'s str>)>,
    missing: &[String],
    decimal_comma: bool,
) -> Result<Table> {
    let mut out = table.clone();
    for (name, parts) in sums {
        out.sums.push((
            name.to_string(),
            parts.iter().map(|p| p.to_string()).collect(),
        ));
        let v = sum_values(table, name, &parts, missing, decimal_comma)?;
        let series = Series::new(name.into(), v);
        out.df
            .with_column(series.into_column())
            .map_err(|e| TrainError::Column {
                path: table.path.clone(),
                column: name.to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(out)
}

/// `table` with the `sum_of` columns of a fitted spec added ([`add_sums`]), replacing any of
/// those names the file has (its own column, which the model never reads); the table itself
/// when the spec has none or they were added already ([`Table::sums`]: a table featurized,
/// counted and explained is summed once).
pub fn with_sums<'t>(table: &'t Table, fitted: &FittedSpec) -> Result<std::borrow::Cow<'t, Table>> {
    let sums: Vec<(&str, Vec<&str>)> = fitted
        .columns
        .iter()
        .filter(|c| !c.sum_of.is_empty())
        .map(|c| {
            let parts: Vec<&str> = c
                .sum_of
                .iter()
                .filter_map(|&k| fitted.columns.get(k).map(|p| p.name.as_str()))
                .collect();
            (c.name.as_str(), parts)
        })
        .filter(|(name, parts)| {
            !table
                .sums
                .iter()
                .any(|(n, p)| n == name && p.iter().map(String::as_str).eq(parts.iter().copied()))
        })
        .collect();
    if sums.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(table));
    }
    add_sums(table, sums, &fitted.missing_tokens, fitted.decimal_comma).map(std::borrow::Cow::Owned)
}

/// Refuses a Parquet list column ([`Table::list_columns`]) that a column of the spec reads
/// other than as multi_select: its joined items (`Pricing;Webinars`) would be one level, a
/// number that fails at the first row of several items, or an address.
pub fn check_spec_list_columns(table: &Table, spec: &FeatureSpec) -> Result<()> {
    check_list_columns(
        table,
        spec.feature_columns()
            .map(|c| (c.name.as_str(), c.transform == TransformKind::MultiSelect)),
    )
}

/// [`check_spec_list_columns`] for a fitted spec (a model scoring a file).
pub fn check_fitted_list_columns(table: &Table, fitted: &FittedSpec) -> Result<()> {
    check_list_columns(
        table,
        fitted.columns.iter().map(|c| {
            (
                c.name.as_str(),
                matches!(c.transform, FittedTransform::MultiSelect { .. }),
            )
        }),
    )
}

/// The columns (name, read as multi_select) of which none may be a list column otherwise.
fn check_list_columns<'a>(
    table: &Table,
    columns: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<()> {
    for (name, multi_select) in columns {
        if !multi_select && table.list_columns.iter().any(|c| c == name) {
            return Err(col_err(
                table,
                name,
                "is a list column: only a multi_select column reads lists (each item an \
                 option); make it multi_select in the spec, or ignore it",
            ));
        }
    }
    Ok(())
}

/// Fits the spec's learned state on the rows `train` of `table`. Every numeric column's
/// `bins` must be a number (training resolves `"auto"` before it calls this). `now`: the
/// export time of a flat file (`train --as-of`), from which dates are measured; default the
/// latest timestamp of the training rows. `as_of`: per row of `table`, the moment it is scored
/// at (examples assembled from three tables), from which its dates are measured instead.
pub fn fit_spec(
    spec: &FeatureSpec,
    table: &Table,
    train: &[usize],
    now: Option<i64>,
    as_of: Option<&[i64]>,
) -> Result<FittedSpec> {
    check_spec_list_columns(table, spec)?;
    let missing = &spec.missing_tokens;
    // The "now" of a flat export: `now`, else the latest timestamp in the training rows.
    let mut reference_time: Option<i64> = now;
    for c in spec
        .feature_columns()
        .filter(|c| now.is_none() && c.transform == TransformKind::Timestamp)
    {
        let ts = date_values(table, &c.name, missing, spec.date_order)?;
        let latest = train.iter().filter_map(|&i| ts[i]).max();
        reference_time = reference_time.max(latest);
    }
    let mut columns = Vec::new();
    for c in spec.feature_columns() {
        let transform = match c.transform {
            TransformKind::Numeric => {
                let log1p = c.log1p.unwrap_or(false);
                match c.bins {
                    Some(Bins::Auto) => {
                        return Err(col_err(
                            table,
                            &c.name,
                            "bins = \"auto\" is chosen by training (pipeline::train); \
                             give a number of bins (or \"values\") to fit the spec on its own",
                        ))
                    }
                    bins => {
                        let v = numeric_values(table, &c.name, missing, spec.decimal_comma)?;
                        fit_numeric(&v, train, log1p, bins.unwrap_or(Bins::Fixed(0)))
                    }
                }
            }
            TransformKind::Categorical => {
                let v = level_values(table, &c.name, missing)?;
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for &i in train {
                    if let Some(l) = &v[i] {
                        *counts.entry(l.as_str()).or_default() += 1;
                    }
                }
                FittedTransform::Categorical {
                    levels: frequent_levels(counts, c),
                }
            }
            TransformKind::MultiSelect => {
                // An option's count is the training rows including it (once per row).
                let separator = c.separator();
                let v = option_values(table, &c.name, missing, separator)?;
                let mut counts: HashMap<&str, usize> = HashMap::new();
                let mut row: Vec<&str> = Vec::new();
                for &i in train {
                    if let Some(t) = &v[i] {
                        row.clear();
                        row.extend(options_in(t, separator));
                        row.sort_unstable();
                        row.dedup();
                        for o in &row {
                            *counts.entry(o).or_default() += 1;
                        }
                    }
                }
                FittedTransform::MultiSelect {
                    separator: separator.to_string(),
                    options: frequent_levels(counts, c),
                }
            }
            TransformKind::Boolean => {
                let v = bool_values(table, &c.name, missing)?;
                // The spec says yes/no: a training row that is neither is a spec to fix (the
                // column is categorical or numeric), said here rather than scored as missing.
                // Rows outside training (the holdout) may hold anything.
                let mut in_train = vec![false; v.values.len()];
                for &i in train {
                    in_train[i] = true;
                }
                if let Some((row, t)) = v.not_boolean.iter().find(|(i, _)| in_train[*i]) {
                    return Err(cell_err(
                        table,
                        &c.name,
                        *row,
                        format!(
                            "the spec makes this column boolean, but this training row holds \
                             {}, not yes/no, true/false, y/n or 1/0; make the column \
                             categorical or numeric in the spec",
                            leadscore_core::explain::Quoted(t)
                        ),
                    ));
                }
                FittedTransform::Boolean {
                    missing_indicator: train.iter().any(|&i| v.values[i].is_none()),
                }
            }
            TransformKind::Email => FittedTransform::Email(spec.email_rules()),
            TransformKind::JobTitle => FittedTransform::JobTitle,
            TransformKind::Timestamp => {
                let ts = date_values(table, &c.name, missing, spec.date_order)?;
                // Each example's days since at the moment it is scored at, as the featurizers
                // count them: its row's `as_of` (examples of three tables), else the reference
                // time. A date after that moment is missing (not known then). Measured from
                // the reference time instead, the days of examples scored at their creation
                // plus a landmark (later than the column's latest date) all lay past the
                // maximum: training's own values were clamped to one number, their weight 0,
                // and counted as unseen when scored.
                let at = |i: usize| as_of.and_then(|a| a.get(i).copied()).or(reference_time);
                let mut days: Vec<f64> = train
                    .iter()
                    .filter_map(|&i| ts[i].map(|t| (t, at(i))))
                    .filter(|(t, r)| r.is_none_or(|r| !after_scoring(*t, r)))
                    .map(|(t, r)| days_since(t, r.unwrap_or(t)))
                    .collect();
                let missing_indicator = days.len() < train.len();
                // No training value is older than this at its own moment.
                let max_days_since = days.iter().copied().reduce(f64::max);
                FittedTransform::Timestamp {
                    median_days_since: median(&mut days),
                    missing_indicator,
                    max_days_since,
                }
            }
            TransformKind::Ignore => continue,
        };
        columns.push(FittedColumn {
            name: c.name.clone(),
            transform,
            part: c.part.unwrap_or_default(),
            sum_of: Vec::new(),
        });
    }
    // `sum_of` columns: their parts by position among the fitted columns.
    for c in spec.columns.iter().filter(|c| !c.sum_of.is_empty()) {
        let parts: Vec<usize> = c
            .sum_of
            .iter()
            .filter_map(|p| columns.iter().position(|f| &f.name == p))
            .collect();
        if let Some(f) = columns.iter_mut().find(|f| f.name == c.name) {
            f.sum_of = parts;
        }
    }
    // Several landmarks: lead age at each example's as_of is a feature (from `created_at`).
    if let Some(time) = spec.time.as_ref().filter(|t| t.age_aware()) {
        columns.push(FittedColumn {
            name: time.created_at.clone(),
            transform: FittedTransform::LeadAge {
                landmarks_days: time.landmarks(),
            },
            part: Default::default(),
            sum_of: Vec::new(),
        });
    }
    Ok(FittedSpec {
        missing_tokens: spec.missing_tokens.clone(),
        reference_time,
        columns,
        events: None,
        pairs: Vec::new(),
        decimal_comma: spec.decimal_comma,
        date_order: spec.date_order,
        missing_lengths: Default::default(),
    })
}

/// Encodes the lead fields of every row of `table` with the fitted spec, each row as of
/// `as_of[row]` (default: the spec's reference time). The event features, if the spec has them,
/// are left for [`crate::assemble::event_features`] to fill.
pub fn featurize_table(
    fitted: &FittedSpec,
    table: &Table,
    as_of: Option<&[i64]>,
) -> Result<Matrix> {
    let table = &*with_sums(table, fitted)?;
    check_fitted_list_columns(table, fitted)?;
    let n = table.df.height();
    let mut m = Matrix::zeros(n, fitted.width());
    let missing = &fitted.missing_tokens;
    let as_of_row = |i: usize| as_of.map(|a| a[i]).or(fitted.reference_time);
    let mut j = 0;
    for c in &fitted.columns {
        let name = c.name.as_str();
        match &c.transform {
            FittedTransform::Numeric { .. } => {
                write_numeric(
                    &numeric_values(table, name, missing, fitted.decimal_comma)?,
                    &c.transform,
                    &mut m,
                    j,
                );
            }
            FittedTransform::Categorical { levels } => {
                let index: HashMap<&str, usize> = levels
                    .iter()
                    .enumerate()
                    .map(|(k, l)| (l.as_str(), k))
                    .collect();
                for (i, v) in level_values(table, name, missing)?.iter().enumerate() {
                    let k = match v {
                        None => levels.len() + 1,
                        // The text, else the level of a whole number written as a float
                        // (`3.0` for training's `3`), as the per-lead featurizer finds it.
                        Some(l) => leadscore_core::fitted::find_level(l, |t| index.get(t).copied())
                            .unwrap_or(levels.len()),
                    };
                    m.data[(j + k) * n + i] = 1.0;
                }
            }
            FittedTransform::MultiSelect { separator, options } => {
                let index: HashMap<&str, usize> = options
                    .iter()
                    .enumerate()
                    .map(|(k, o)| (o.as_str(), k))
                    .collect();
                for (i, v) in option_values(table, name, missing, separator)?
                    .iter()
                    .enumerate()
                {
                    let value = v.as_deref().map_or(FieldValue::Missing, FieldValue::Text);
                    let selected = for_each_selection(value, separator, |o| {
                        let k = index.get(o).copied().unwrap_or(options.len());
                        m.data[(j + k) * n + i] = 1.0;
                    });
                    if selected == 0 {
                        m.data[(j + options.len() + 1) * n + i] = 1.0;
                    }
                }
            }
            FittedTransform::Boolean { missing_indicator } => {
                // A value that is not yes or no (never in training) is scored as missing.
                for (i, b) in bool_values(table, name, missing)?.values.iter().enumerate() {
                    if *b == Some(true) {
                        m.data[j * n + i] = 1.0;
                    }
                    if *missing_indicator && b.is_none() {
                        m.data[(j + 1) * n + i] = 1.0;
                    }
                }
            }
            FittedTransform::Email(rules) => {
                let values = string_values(table, name, missing)?;
                let mut classes: HashMap<&str, usize> = HashMap::new();
                for (i, v) in values.iter().enumerate() {
                    let k = match v {
                        None => EmailClass::ALL.len(),
                        Some(e) => *classes
                            .entry(e.as_str())
                            .or_insert_with(|| email_class(e, rules).index()),
                    };
                    m.data[(j + k) * n + i] = 1.0;
                }
            }
            FittedTransform::JobTitle => {
                let values = string_values(table, name, missing)?;
                let mut classes: HashMap<&str, usize> = HashMap::new();
                for (i, v) in values.iter().enumerate() {
                    let k = match v {
                        None => Seniority::ALL.len(),
                        Some(t) => *classes
                            .entry(t.as_str())
                            .or_insert_with(|| seniority(t).index()),
                    };
                    m.data[(j + k) * n + i] = 1.0;
                }
            }
            FittedTransform::Timestamp {
                median_days_since,
                missing_indicator,
                max_days_since,
            } => {
                let base = j + 1 + usize::from(*missing_indicator);
                for (i, t) in date_values(table, name, missing, fitted.date_order)?
                    .iter()
                    .enumerate()
                {
                    // A date after the row's scoring time was not known then: missing, as core
                    // reads it (`after_scoring`).
                    let as_of = match t {
                        Some(_) => Some(as_of_row(i).ok_or_else(|| {
                            col_err(table, name, "no as_of time to compute days since")
                        })?),
                        None => None,
                    };
                    match t.zip(as_of).filter(|(t, a)| !after_scoring(*t, *a)) {
                        None => {
                            m.data[j * n + i] = *median_days_since;
                            if *missing_indicator {
                                m.data[(j + 1) * n + i] = 1.0;
                            }
                        }
                        Some((t, as_of)) => {
                            m.data[j * n + i] = scored_days(days_since(t, as_of), *max_days_since);
                            let (month, weekday) = month_and_weekday(t);
                            m.data[(base + month) * n + i] = 1.0;
                            m.data[(base + 12 + weekday) * n + i] = 1.0;
                        }
                    }
                }
            }
            FittedTransform::LeadAge { landmarks_days } => {
                let width = c.transform.width();
                let mut slot = vec![0.0; width];
                for (i, t) in timestamp_values(table, name, missing, fitted.date_order)?
                    .iter()
                    .enumerate()
                {
                    let cell = |message: String| TrainError::Cell {
                        path: table.path.clone(),
                        row: i + 1,
                        column: name.to_string(),
                        message,
                    };
                    let t = t.ok_or_else(|| {
                        cell(
                            "missing: lead age is a feature, so every lead needs its creation time"
                                .into(),
                        )
                    })?;
                    let as_of = as_of_row(i)
                        .ok_or_else(|| cell("no as_of time to compute the lead's age".into()))?;
                    let (age, _) = lead_age(t, as_of, landmarks_days).ok_or_else(|| {
                        cell("the lead was created after its scoring time".into())
                    })?;
                    slot.fill(0.0);
                    encode_age(age, landmarks_days, &mut slot);
                    for (k, v) in slot.iter().enumerate() {
                        m.data[(j + k) * n + i] = *v;
                    }
                }
            }
        }
        j += c.transform.width();
    }
    crate::pairs::fill_pairs(fitted, &mut m)?;
    Ok(m)
}

/// Per boolean, categorical or numeric column of `fitted`, the leads among `rows` of `table`
/// whose value training did not see ([`FittedTransform::is_unseen`]: a yes/no column's value
/// that is neither, scored as missing; a level not kept at fit time, scored as `other`; a
/// number outside the training range, scored as the nearest training value). Only columns
/// with such values, in spec order. Each row counts once: pass one row per lead.
pub fn unseen_values(
    fitted: &FittedSpec,
    table: &Table,
    rows: &[usize],
    as_of: Option<&[i64]>,
) -> Result<Vec<UnseenValues>> {
    let table = &*with_sums(table, fitted)?;
    let missing = &fitted.missing_tokens;
    let mut out = Vec::new();
    for c in &fitted.columns {
        let Some(mut scored_as) = c.transform.unseen_scored_as() else {
            continue;
        };
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut leads = 0;
        // A timestamp column's dates after the scoring time, scored as missing: an entry of
        // their own.
        let mut later: Option<(HashMap<String, u64>, u64)> = None;
        match &c.transform {
            FittedTransform::Boolean { .. } => {
                let v = bool_values(table, &c.name, missing)?;
                let mut wanted = vec![false; v.values.len()];
                for &r in rows {
                    if let Some(w) = wanted.get_mut(r) {
                        *w = true;
                    }
                }
                for (r, t) in v.not_boolean {
                    if wanted[r] {
                        leads += 1;
                        *counts.entry(t).or_default() += 1;
                    }
                }
            }
            FittedTransform::Categorical { .. } => {
                let v = level_values(table, &c.name, missing)?;
                for &r in rows {
                    if let Some(Some(l)) = v.get(r) {
                        if c.transform.is_unseen(FieldValue::Text(l)) {
                            leads += 1;
                            *counts.entry(l.clone()).or_default() += 1;
                        }
                    }
                }
            }
            FittedTransform::MultiSelect { separator, options } => {
                // A lead once, each option it includes that training did not keep once.
                let v = option_values(table, &c.name, missing, separator)?;
                for &r in rows {
                    if let Some(Some(t)) = v.get(r) {
                        let unseen: Vec<String> = selections(FieldValue::Text(t), separator)
                            .into_iter()
                            .filter(|o| !options.contains(o))
                            .collect();
                        if !unseen.is_empty() {
                            leads += 1;
                        }
                        for o in unseen {
                            *counts.entry(o).or_default() += 1;
                        }
                    }
                }
            }
            FittedTransform::Numeric { range, .. } => {
                // Numbers, each in full (`1e20`, `50.0004`, as the factor text
                // shows a value outside the range), so distinct values read as distinct.
                let v = numeric_values(table, &c.name, missing, fitted.decimal_comma)?;
                for &r in rows {
                    if let Some(Some(x)) = v.get(r) {
                        if outside(*x, *range) {
                            leads += 1;
                            *counts.entry(fmt_exact(*x)).or_default() += 1;
                        }
                    }
                }
            }
            FittedTransform::Timestamp { max_days_since, .. } => {
                // Each date at its row's scoring time (default: the reference time), as the
                // rows are featurized.
                scored_as = FittedTransform::NEAREST;
                let v = date_values(table, &c.name, missing, fitted.date_order)?;
                // Each date as the file wrote its day (`1999-01-01` of
                // `1999-01-01T01:00:00+02:00`, not the UTC day), as its factor shows it.
                let written = written_texts(table, &c.name)?;
                let date_text = |r: usize, t: i64| {
                    let text = written.as_ref().and_then(|w| w[r].as_deref()).unwrap_or("");
                    written_date_text(text, t)
                };
                let (mut after, mut after_leads) = (HashMap::new(), 0u64);
                for &r in rows {
                    let Some(Some(t)) = v.get(r) else {
                        continue;
                    };
                    let at = as_of.and_then(|a| a.get(r).copied());
                    let Some(at) = at.or(fitted.reference_time) else {
                        continue;
                    };
                    if after_scoring(*t, at) {
                        after_leads += 1;
                        *after.entry(date_text(r, *t)).or_default() += 1;
                    } else if past_max_days(days_since(*t, at), *max_days_since) {
                        leads += 1;
                        *counts.entry(date_text(r, *t)).or_default() += 1;
                    }
                }
                later = (after_leads > 0).then_some((after, after_leads));
            }
            _ => continue,
        }
        out.extend(unseen_entry(&c.name, scored_as, counts, leads));
        if let Some((after, n)) = later {
            out.extend(unseen_entry(
                &c.name,
                FittedTransform::LATER_SCORED_AS,
                after,
                n,
            ));
        }
    }
    Ok(out)
}

/// A column's cells as the file wrote them, when it is text (a CSV's); `None` for a typed
/// column (Parquet dates, numbers), which has no text.
pub(crate) fn written_texts(table: &Table, name: &str) -> Result<Option<Vec<Option<String>>>> {
    let col = column(table, name)?;
    match col.dtype() {
        DataType::String => Ok(Some(text_values(col).map_err(polars_err(table, name))?)),
        _ => Ok(None),
    }
}

/// One column's [`UnseenValues`]: its most common values first; `None` without any.
fn unseen_entry(
    column: &str,
    scored_as: &str,
    counts: HashMap<String, u64>,
    leads: u64,
) -> Option<UnseenValues> {
    if leads == 0 {
        return None;
    }
    let mut shown: Vec<(String, u64)> = counts.into_iter().collect();
    let distinct = shown.len() as u64;
    shown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    shown.truncate(UNSEEN_SHOWN);
    Some(UnseenValues {
        column: column.to_string(),
        scored_as: scored_as.to_string(),
        leads,
        distinct,
        values: shown.iter().map(|(t, _)| shorten(t).into_owned()).collect(),
    })
}

/// Text values of a column that must hold strings (emails, job titles).
fn string_values(table: &Table, name: &str, missing: &[String]) -> Result<Vec<Option<String>>> {
    let s = column(table, name)?;
    match s.dtype() {
        DataType::String | DataType::Null => level_values(table, name, missing),
        other => Err(col_err(table, name, format!("is {other}, expected text"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix times where a table's time is expected: seconds or milliseconds by range, an empty
    /// numeric column as no times, 32-bit floats and other numbers refused naming the column.
    #[test]
    fn unix_times_of_a_table() {
        use polars::prelude::{DataFrame, NamedFrom, Series};
        let table = |s: Series| crate::load::Table {
            df: DataFrame::new(s.len(), vec![s.into()]).unwrap(),
            path: "t.csv".into(),
            fingerprint: leadscore_core::artifact::InputFingerprint {
                path: "t.csv".into(),
                sha256: String::new(),
                bytes: 0,
                rows: 0,
            },
            note: None,
            delimiter: Some(b','),
            list_columns: Vec::new(),
            sums: Vec::new(),
        };
        let read = |t: &crate::load::Table| timestamp_values(t, "t", &[], DateOrder::Iso);
        // A date feature column reads text for "no date" as missing; a lead's creation time
        // (or an event's) does not.
        let placeholders = table(Series::new(
            "t".into(),
            &["2025-01-01", "n/a", "Never", " - "],
        ));
        assert_eq!(
            date_values(&placeholders, "t", &[], DateOrder::Iso).unwrap(),
            [Some(1_735_689_600), None, None, None]
        );
        assert!(read(&placeholders).is_err());
        let s = 1_735_723_207_i64;
        let secs = table(Series::new("t".into(), &[Some(s), None]));
        assert_eq!(read(&secs).unwrap(), [Some(s), None]);
        let ms = table(Series::new("t".into(), &[s * 1000 + 999]));
        assert_eq!(read(&ms).unwrap(), [Some(s)]);
        let up = event_time_values(&ms, "t", &[], DateOrder::Iso).unwrap();
        assert_eq!(up, [Some(s + 1)]);
        // A spreadsheet's serial dates, as numbers or as text: as the server reads each.
        let serial = [45_658.388_97, 45_659.0];
        let want: Vec<Option<i64>> = serial
            .iter()
            .map(|x| leadscore_core::value::unix_time_of(*x))
            .collect();
        assert_eq!(want[0], Some(s));
        let days = table(Series::new("t".into(), &serial));
        assert_eq!(read(&days).unwrap(), want);
        let text = table(Series::new("t".into(), &["45658.38897", "45659"]));
        assert_eq!(read(&text).unwrap(), want);
        // A placeholder for no value is missing, listed as a missing token or not; a word
        // that is no number is an error naming its row.
        let placeholders = table(Series::new("t".into(), &["12", "n/a", " - ", "Unknown"]));
        assert_eq!(
            numeric_values(&placeholders, "t", &[], false).unwrap(),
            [Some(12.0), None, None, None]
        );
        let word = table(Series::new("t".into(), &["12", "ten"]));
        let e = numeric_values(&word, "t", &[], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("\"ten\""), "{e}");
        // A 100 KB cell that is no number is quoted cut, as every echo is, naming its row.
        let long = "9".repeat(100_000);
        let bad = table(Series::new("t".into(), &["12", long.as_str()]));
        let e = numeric_values(&bad, "t", &[], false)
            .unwrap_err()
            .to_string();
        assert!(
            e.len() < 500 && e.contains("row 2") && e.ends_with("(100000 bytes)"),
            "{}",
            &e[..e.len().min(500)]
        );
        // A date among Unix times is named at its row (row 1's time is no error), and a number
        // among dates at its own.
        let mixed = table(Series::new(
            "t".into(),
            &[
                "1735723207",
                "1735723208",
                "2025-01-01T09:20:09Z",
                "1735723210",
            ],
        ));
        let e = read(&mixed).unwrap_err().to_string();
        assert!(
            e.contains("row 3") && e.contains("as the rows before it hold"),
            "{e}"
        );
        let mixed = table(Series::new(
            "t".into(),
            &["2025-01-01T09:20:07Z", "1735723208", "2025-01-01T09:20:09Z"],
        ));
        let e = read(&mixed).unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("\"1735723208\""), "{e}");
        // Serial dates with a placeholder (`1`, 1900-01-01 as a spreadsheet counts): its row
        // and value are named, as numbers and as text.
        for placeholder in [
            table(Series::new(
                "t".into(),
                &[45_658.5, 45_659.0, 1.0, 45_660.0],
            )),
            table(Series::new("t".into(), &["45658.5", "45659", "1", "45660"])),
        ] {
            let e = read(&placeholder).unwrap_err().to_string();
            assert!(
                e.contains("row 3") && e.contains("found 1 (a placeholder") && e.contains("serial"),
                "{e}"
            );
        }
        let empty = table(Series::new("t".into(), &[None::<f64>, None]));
        assert_eq!(read(&empty).unwrap(), [None, None]);
        let f32s = table(Series::new("t".into(), &[s as f32]));
        assert!(read(&f32s)
            .unwrap_err()
            .to_string()
            .contains("32-bit floats"));
        // Unix time 0 (an unset date), a number that is a missing token and a float's NaN:
        // missing, `0` without a token too.
        let zero = table(Series::new(
            "t".into(),
            &[Some(s as f64), Some(0.0), Some(f64::NAN), Some(-1.0)],
        ));
        let tokens = ["".to_string(), "-1".to_string()];
        assert_eq!(
            timestamp_values(&zero, "t", &tokens, DateOrder::Iso).unwrap(),
            [Some(s), None, None, None]
        );
        assert!(read(&zero).is_err(), "-1 is no time without the token");
        let zero = table(Series::new("t".into(), &[Some(s as f64), Some(0.0)]));
        assert_eq!(read(&zero).unwrap(), [Some(s), None]);
        let zero = table(Series::new(
            "t".into(),
            &["2025-01-01", "0", "0000-00-00 00:00:00 UTC"],
        ));
        let seconds = table(Series::new(
            "t".into(),
            &[s.to_string(), "0000-00-00".into(), "0".into()],
        ));
        assert_eq!(read(&seconds).unwrap(), [Some(s), None, None]);
        assert_eq!(
            read(&zero).unwrap(),
            [
                leadscore_core::value::parse_timestamp("2025-01-01"),
                None,
                None
            ]
        );
        // Text as pandas writes a column of seconds with a missing value (`1738220429.0`),
        // as `score` reads every file: the numbers it shows.
        let text = table(Series::new(
            "t".into(),
            &[Some(format!("{s}.0")), None, Some(format!("{s}.7"))],
        ));
        assert_eq!(read(&text).unwrap(), [Some(s), None, Some(s)]);
        let up = event_time_values(&text, "t", &[], DateOrder::Iso).unwrap();
        assert_eq!(up, [Some(s), None, Some(s + 1)]);
        // `0.0` as text (Unix time 0): missing, among numbers and among dates.
        let zeros = table(Series::new("t".into(), &[format!("{s}.0"), "0.0".into()]));
        assert_eq!(
            timestamp_values(&zeros, "t", &tokens, DateOrder::Iso).unwrap(),
            [Some(s), None]
        );
        let dated = table(Series::new("t".into(), &["2025-01-01", "0.0"]));
        let day = leadscore_core::value::parse_timestamp("2025-01-01");
        assert_eq!(
            timestamp_values(&dated, "t", &tokens, DateOrder::Iso).unwrap(),
            [day, None]
        );
        let days = table(Series::new("t".into(), &[s / 86_400]));
        assert!(read(&days)
            .unwrap_err()
            .to_string()
            .contains("holds numbers, not times"));
    }

    /// An event's time with a fraction of a second rounds up (never known before it happened),
    /// as the server reads it; other times round down.
    #[test]
    fn event_times_round_a_fraction_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(
            &path,
            "at\n2025-06-08T10:00:00.900Z\n2025-06-08T10:00:00Z\n2025-06-08T10:00:00.000Z\n",
        )
        .unwrap();
        let table = crate::load::read_table(&path, &Default::default()).unwrap();
        let base = parse_timestamp("2025-06-08T10:00:00Z").unwrap();
        let events = event_time_values(&table, "at", &[], DateOrder::Iso).unwrap();
        assert_eq!(events, [Some(base + 1), Some(base), Some(base)]);
        let times = timestamp_values(&table, "at", &[], DateOrder::Iso).unwrap();
        assert_eq!(times, [Some(base), Some(base), Some(base)]);
    }

    #[test]
    fn quantile_edges_are_distinct_and_above_min() {
        let v: Vec<f64> = vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 9.0];
        assert_eq!(quantile_edges(&v, 5), vec![1.0, 3.0, 5.0]);
        assert!(quantile_edges(&[2.0; 10], 5).is_empty());
    }

    /// `count` copies of each value, sorted.
    fn runs(values: &[(f64, usize)]) -> Vec<f64> {
        values
            .iter()
            .flat_map(|&(x, n)| std::iter::repeat_n(x, n))
            .collect()
    }

    #[test]
    fn spikes_get_bins_of_their_own_and_the_rest_keeps_its_quantiles() {
        // Hours worked: 300 at 0, 340 at exactly 40, the other 360 at 1 to 18 and 59 to 76.
        let mut v = runs(&[(0.0, 300), (40.0, 340)]);
        v.extend((0..360).map(|k| {
            let k = k / 10;
            if k < 18 {
                1.0 + k as f64
            } else {
                41.0 + k as f64
            }
        }));
        v.sort_by(f64::total_cmp);
        // Plain quantiles: 8 bins asked, 3 edges left (0 and 40 swallow the rest).
        assert_eq!(quantile_edges(&v, 8), vec![8.0, 40.0, 64.0]);
        let e = spike_edges(&v, 8);
        // 0 alone (the first edge is the next value, 1), 40 alone (from 40 to 59, the next
        // value above it), the 360 others cut into 6 by their own quantiles.
        assert!(e.windows(2).all(|w| w[0] < w[1]), "{e:?}");
        assert_eq!(e[0], 1.0, "{e:?}");
        let at_40 = e.iter().position(|x| *x == 40.0).expect("an edge at 40");
        assert_eq!(e[at_40 + 1], 59.0, "{e:?}");
        assert_eq!(bin_index(0.0, &e), 0);
        assert_eq!(bin_index(40.0, &e), at_40 + 1);
        assert!(e.len() >= 7 && e.len() <= 9, "{e:?}");
        // Below a bin's share nothing is a spike: the quantile edges.
        let w: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(spike_edges(&w, 8), quantile_edges(&w, 8));
        // One value everywhere: no edge; one spike at the top.
        assert!(spike_edges(&[3.0; 20], 4).is_empty());
        let top = runs(&[(1.0, 30), (2.0, 30), (3.0, 30), (9.0, 210)]);
        assert_eq!(spike_edges(&top, 4), vec![2.0, 3.0, 9.0]);
        // A dominant spike: the 10 other rows are one bin, not 7 bins of a row or two.
        let mut lone: Vec<f64> = (1..=10).map(f64::from).collect();
        lone.extend(std::iter::repeat_n(20.0, 90));
        assert_eq!(spike_edges(&lone, 8), vec![20.0]);
        assert_eq!(edges_of(&v, Bins::Fixed(8)), quantile_edges(&v, 8));
        assert!(edges_of(&v, Bins::Auto).is_empty());
        // 40% at 0, 30% at exactly 40, the rest from 0.1 to 80 in steps of 0.1: a quantile
        // edge of the rest landed just above 40's bin and left a bin of a few rows (40.2 to
        // 40.7); every bin now holds 20 rows or more.
        let mut h = runs(&[(0.0, 800), (40.0, 600)]);
        let mut rng = leadscore_core::rng::SeededRng::new(3);
        h.extend((0..600).map(|_| (1.0 + (rng.uniform() * 799.0).floor()) / 10.0));
        h.sort_by(f64::total_cmp);
        for b in [4, 6, 8, 16] {
            let e = spike_edges(&h, b);
            let at_40 = e.iter().position(|x| *x == 40.0).expect("40's own bin");
            let mut counts = vec![0usize; e.len() + 1];
            for x in &h {
                counts[bin_index(*x, &e)] += 1;
            }
            assert!(counts[at_40 + 1] == 600, "{b}: {e:?} {counts:?}");
            assert!(
                counts.iter().all(|c| *c >= VALUE_BIN_MIN_COUNT),
                "{b}: {e:?} {counts:?}"
            );
        }
    }

    #[test]
    fn value_edges_start_a_bin_at_every_common_value_above_the_minimum() {
        // 0 x 30, 4 x 1, 5 x 25, 6 x 40, 7 x 19, 8 x 20 (sorted).
        let mut v = Vec::new();
        for (x, n) in [
            (0.0, 30),
            (4.0, 1),
            (5.0, 25),
            (6.0, 40),
            (7.0, 19),
            (8.0, 20),
        ] {
            v.extend(std::iter::repeat_n(x, n));
        }
        // 4 (1 example) shares 0's bin, 7 (19) shares 6's; 5, 6 and 8 start their own.
        assert_eq!(value_edges(&v), vec![5.0, 6.0, 8.0]);
        assert!(value_edges(&[3.0; 50]).is_empty());
        let t = fit_numeric(
            &v.iter().map(|x| Some(*x)).collect::<Vec<_>>(),
            &(0..v.len()).collect::<Vec<_>>(),
            false,
            Bins::Values,
        );
        let FittedTransform::Numeric { bin_edges, .. } = &t else {
            panic!("{t:?}")
        };
        assert_eq!(bin_edges, &[5.0, 6.0, 8.0]);
        assert_eq!(bin_index(4.0, bin_edges), 0);
        assert_eq!(bin_index(7.0, bin_edges), 2);
    }

    /// Examples scored at their own moments (three tables: creation plus a landmark), all
    /// later than the date column's latest date: each one's days since are counted at its
    /// moment in the fit as in the featurizer, so no training row is held to the maximum or
    /// counted as unseen, and the days keep their spread. (Measured from the column's latest
    /// date, every training row lay past the maximum and was clamped to one number.)
    #[test]
    fn dates_are_fitted_at_each_examples_moment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut csv = String::from("signup\n");
        let day = 86_400_i64;
        let start = 1_672_531_200_i64; // 2023-01-01
        for k in 0..20 {
            csv += &format!("{}\n", leadscore_core::value::rfc3339(start + k * day));
        }
        std::fs::write(&path, csv).unwrap();
        let table = crate::load::read_table(&path, &Default::default()).unwrap();
        let spec = FeatureSpec::from_toml(
            "format_version = 1\n[[columns]]\nname = \"signup\"\ntransform = \"timestamp\"\n",
            "test",
        )
        .unwrap();
        // Each example scored 600 + 2k days after its signup: days since run 600..=638.
        let as_of: Vec<i64> = (0..20)
            .map(|k| start + k * day + (600 + 2 * k) * day)
            .collect();
        let train: Vec<usize> = (0..20).collect();
        let fitted = fit_spec(&spec, &table, &train, None, Some(&as_of)).unwrap();
        let FittedTransform::Timestamp {
            max_days_since,
            median_days_since,
            missing_indicator,
        } = &fitted.columns[0].transform
        else {
            panic!("{:?}", fitted.columns[0].transform)
        };
        assert_eq!(*max_days_since, Some(638.0));
        assert!(!missing_indicator);
        assert!(
            (600.0..=638.0).contains(median_days_since),
            "{median_days_since}"
        );
        let m = featurize_table(&fitted, &table, Some(&as_of)).unwrap();
        let days: Vec<f64> = (0..20).map(|r| m.row(r)[0]).collect();
        let spread = days.iter().copied().fold(f64::MIN, f64::max)
            - days.iter().copied().fold(f64::MAX, f64::min);
        assert_eq!(spread, 38.0, "{days:?}");
        let unseen = unseen_values(&fitted, &table, &train, Some(&as_of)).unwrap();
        assert!(unseen.is_empty(), "{unseen:?}");
    }

    /// `evaluate`'s unseen dates are the days the file wrote (`1999-01-01` of
    /// `1999-01-01T01:00:00+02:00`), as the factors show them, not the UTC day.
    #[test]
    fn unseen_dates_are_the_days_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "d\n2024-05-01\n2024-06-01\n2024-07-01\n1999-01-01T01:00:00+02:00\n",
        )
        .unwrap();
        let table = crate::load::read_table(&path, &Default::default()).unwrap();
        let spec = FeatureSpec::from_toml(
            "format_version = 1\n[[columns]]\nname = \"d\"\ntransform = \"timestamp\"\n",
            "test",
        )
        .unwrap();
        let fitted = fit_spec(&spec, &table, &[0, 1, 2], None, None).unwrap();
        let unseen = unseen_values(&fitted, &table, &[0, 1, 2, 3], None).unwrap();
        assert_eq!(unseen.len(), 1, "{unseen:?}");
        assert_eq!(unseen[0].values, ["1999-01-01"]);
    }

    /// Rows 0..8 train (q only 0/1, c only a/b), rows 8.. hold values training never saw.
    fn survey() -> (tempfile::TempDir, Table, FeatureSpec) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let csv = "q,w,c\n0,no,a\n1,yes,b\n0,no,a\n1,yes,b\n0,no,a\n1,no,b\n,yes,a\n1,no,b\n\
                   3,maybe,z\n3,2,e\u{301}\n7,yes,\n1.0,0,b\n";
        std::fs::write(&path, csv).unwrap();
        let table = crate::load::read_table(&path, &Default::default()).unwrap();
        let spec = FeatureSpec::from_toml(
            "format_version = 1\n\
             [[columns]]\nname = \"q\"\ntransform = \"boolean\"\n\
             [[columns]]\nname = \"w\"\ntransform = \"boolean\"\n\
             [[columns]]\nname = \"c\"\ntransform = \"categorical\"\nmin_count = 1\n",
            "test",
        )
        .unwrap();
        (dir, table, spec)
    }

    #[test]
    fn values_training_did_not_see_are_scored_like_the_per_lead_featurizer() {
        let (_dir, table, spec) = survey();
        let train: Vec<usize> = (0..8).collect();
        let fitted = fit_spec(&spec, &table, &train, None, None).unwrap();
        let m = featurize_table(&fitted, &table, None).unwrap();
        // The per-lead featurizer, on the same cells as text, agrees row by row.
        let cells: Vec<Vec<Option<String>>> = ["q", "w", "c"]
            .iter()
            .map(|c| text_values(column(&table, c).unwrap()).unwrap())
            .collect();
        for r in 0..table.df.height() {
            let lead: HashMap<String, String> = ["q", "w", "c"]
                .iter()
                .zip(&cells)
                .filter_map(|(c, v)| Some((c.to_string(), v[r].clone()?)))
                .collect();
            assert_eq!(m.row(r), fitted.featurize(&lead, None).unwrap(), "row {r}");
        }
        // q has a missing training value (indicator), w none: 3 and "maybe" are scored as
        // missing; 1.0 reads as yes.
        assert_eq!(&m.row(8)[..4], &[0.0, 1.0, 0.0, 0.0]);
        assert_eq!(&m.row(11)[..2], &[1.0, 0.0]);
        let unseen = unseen_values(&fitted, &table, &(0..12).collect::<Vec<_>>(), None).unwrap();
        let by: HashMap<&str, &UnseenValues> =
            unseen.iter().map(|u| (u.column.as_str(), u)).collect();
        assert_eq!(by["q"].leads, 3);
        assert_eq!(by["q"].distinct, 2);
        // The values as the file has them; quoted for people, what cannot be seen escaped.
        assert_eq!(by["q"].values, ["3", "7"]);
        assert_eq!(by["q"].shown(), ["\"3\"", "\"7\""]);
        assert_eq!(by["q"].scored_as, "missing");
        assert_eq!((by["w"].leads, by["w"].distinct), (2, 2), "{:?}", by["w"]);
        assert_eq!((by["c"].leads, by["c"].scored_as.as_str()), (2, "other"));
        assert_eq!(by["c"].values, ["e\u{301}", "z"]);
        assert_eq!(by["c"].shown(), ["\"e\\u{301}\"", "\"z\""]);
        // Counted over the rows asked for only.
        assert!(unseen_values(&fitted, &table, &train, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_training_row_that_is_not_yes_or_no_is_a_spec_error() {
        let (_dir, table, spec) = survey();
        let e = fit_spec(&spec, &table, &[0, 1, 2, 9], None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 10") && e.contains("`q`") && e.contains("\"3\""),
            "{e}"
        );
        assert!(e.contains("categorical or numeric"), "{e}");
    }

    #[test]
    fn bin_columns_are_the_bins_featurize_table_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut text = String::from("visits,other\n");
        for i in 0..60 {
            let cell = if i % 7 == 3 {
                String::new()
            } else {
                ((i * 37) % 23).to_string()
            };
            text.push_str(&format!("{cell},{}\n", i % 2));
        }
        std::fs::write(&path, text).unwrap();
        let table = crate::load::read_table(&path, &Default::default()).unwrap();
        let mut spec = FeatureSpec::from_toml(
            "format_version = 1\n[[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n\
             log1p = true\nbins = 5\n[[columns]]\nname = \"other\"\ntransform = \"numeric\"\n",
            "t.toml",
        )
        .unwrap();
        let train: Vec<usize> = (0..60).filter(|i| i % 5 != 0).collect();
        let fitted = fit_spec(&spec, &table, &train, None, None).unwrap();
        let m = featurize_table(&fitted, &table, None).unwrap();
        let values = numeric_values(&table, "visits", &spec.missing_tokens, false).unwrap();
        let rows: Vec<usize> = (0..60).rev().collect();
        let bins = bin_columns(&values, &train, Bins::Fixed(5), &rows);
        // value, missing indicator, then the bins.
        assert_eq!(bins.cols, fitted.columns[0].transform.width() - 2);
        assert_eq!(bins.cols, 5);
        for k in 0..bins.cols {
            for (r, &i) in rows.iter().enumerate() {
                assert_eq!(bins.col(k)[r], m.col(2 + k)[i], "bin {k}, row {i}");
            }
        }
        // `auto` is resolved by training, never fitted as it stands.
        spec.columns[0].bins = Some(Bins::Auto);
        let e = fit_spec(&spec, &table, &train, None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("visits") && e.contains("auto"), "{e}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}
