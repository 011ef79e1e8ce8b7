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
use leadscore_core::fitted::{
    bin_index, days_since, encode_age, lead_age, signed_log1p, FittedColumn, FittedSpec,
    FittedTransform,
};
use leadscore_core::spec::{FeatureSpec, TransformKind, DEFAULT_MAX_LEVELS, DEFAULT_MIN_COUNT};
use leadscore_core::value::{
    email_class, month_and_weekday, parse_bool, parse_number, parse_timestamp, seniority,
    EmailClass, Seniority,
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

/// Parses every cell of a text column with `parse` (`None` from it = not parseable, an error
/// naming the row; `Some(None)` = a value that counts as missing); nulls and missing tokens
/// are missing. Reads polars' string array directly, without a `String` per cell.
fn parse_cells<T>(
    table: &Table,
    name: &str,
    missing: &[String],
    expected: &str,
    parse: impl Fn(&str) -> Option<Option<T>>,
) -> Result<Vec<Option<T>>> {
    let s = column(table, name)?;
    s.str()
        .map_err(polars_err(table, name))?
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(t) if missing.iter().any(|m| m == t) => Ok(None),
            Some(t) => parse(t).ok_or_else(|| {
                cell_err(table, name, i, format!("expected {expected}, found {t:?}"))
            }),
        })
        .collect()
}

/// A numeric column: `None` for missing (null, missing token, NaN, infinity).
pub fn numeric_values(table: &Table, name: &str, missing: &[String]) -> Result<Vec<Option<f64>>> {
    let s = column(table, name)?;
    let pe = polars_err(table, name);
    match s.dtype() {
        DataType::String => parse_cells(table, name, missing, "a number", |t| {
            parse_number(t).map(|x| Some(x).filter(|x| x.is_finite()))
        }),
        dt if dt.is_primitive_numeric() => Ok(s
            .cast(&DataType::Float64)
            .map_err(&pe)?
            .f64()
            .map_err(&pe)?
            .iter()
            .map(|v| v.filter(|x| x.is_finite()))
            .collect()),
        DataType::Null => Ok(vec![None; s.len()]),
        other => Err(col_err(
            table,
            name,
            format!("is {other}, not numbers; give it another transform in the spec"),
        )),
    }
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

/// A boolean column: `None` for missing; a value that is not yes/no-like is an error naming the row.
pub fn bool_values(table: &Table, name: &str, missing: &[String]) -> Result<Vec<Option<bool>>> {
    let s = column(table, name)?;
    if let DataType::Boolean = s.dtype() {
        return Ok(s.bool().map_err(polars_err(table, name))?.iter().collect());
    }
    let numeric = s.dtype().is_primitive_numeric();
    level_values(table, name, missing)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(t) => match parse_bool(&t) {
                Some(b) if !numeric || t == "0" || t == "1" => Ok(Some(b)),
                _ => Err(cell_err(
                    table,
                    name,
                    i,
                    format!("expected yes/no, true/false, y/n or 1/0, found {t:?}"),
                )),
            },
        })
        .collect()
}

/// A timestamp column in Unix seconds: strings in the common export forms, or polars
/// Datetime/Date columns (from Parquet).
pub fn timestamp_values(table: &Table, name: &str, missing: &[String]) -> Result<Vec<Option<i64>>> {
    let s = column(table, name)?;
    let pe = polars_err(table, name);
    match s.dtype() {
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
                .map(|v| v.map(|x| x.div_euclid(per_second)))
                .collect())
        }
        DataType::Date => Ok(s
            .cast(&DataType::Int32)
            .map_err(&pe)?
            .i32()
            .map_err(&pe)?
            .iter()
            .map(|v| v.map(|d| i64::from(d) * 86_400))
            .collect()),
        DataType::Null => Ok(vec![None; s.len()]),
        DataType::String => parse_cells(
            table,
            name,
            missing,
            "a timestamp (ISO 8601 or YYYY-MM-DD HH:MM:SS)",
            |t| parse_timestamp(t).map(Some),
        ),
        other => Err(col_err(table, name, format!("is {other}, not timestamps"))),
    }
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

/// Fits the spec's learned state on the rows `train` of `table`.
pub fn fit_spec(spec: &FeatureSpec, table: &Table, train: &[usize]) -> Result<FittedSpec> {
    let missing = &spec.missing_tokens;
    // The "now" of a flat export: the latest timestamp in the training rows.
    let mut reference_time: Option<i64> = None;
    for c in spec
        .feature_columns()
        .filter(|c| c.transform == TransformKind::Timestamp)
    {
        let ts = timestamp_values(table, &c.name, missing)?;
        let latest = train.iter().filter_map(|&i| ts[i]).max();
        reference_time = reference_time.max(latest);
    }
    let mut columns = Vec::new();
    for c in spec.feature_columns() {
        let transform = match c.transform {
            TransformKind::Numeric => {
                let v = numeric_values(table, &c.name, missing)?;
                let mut present: Vec<f64> = train.iter().filter_map(|&i| v[i]).collect();
                let missing_indicator = present.len() < train.len();
                let med = median(&mut present); // sorts `present`
                FittedTransform::Numeric {
                    median: med,
                    missing_indicator,
                    log1p: c.log1p.unwrap_or(false),
                    bin_edges: quantile_edges(&present, c.bins.unwrap_or(0)),
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
                let min_count = c.min_count.unwrap_or(DEFAULT_MIN_COUNT).max(1);
                let mut levels: Vec<(&str, usize)> = counts
                    .into_iter()
                    .filter(|(_, n)| *n >= min_count)
                    .collect();
                levels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                levels.truncate(c.max_levels.unwrap_or(DEFAULT_MAX_LEVELS));
                FittedTransform::Categorical {
                    levels: levels.into_iter().map(|(l, _)| l.to_string()).collect(),
                }
            }
            TransformKind::Boolean => {
                let v = bool_values(table, &c.name, missing)?;
                FittedTransform::Boolean {
                    missing_indicator: train.iter().any(|&i| v[i].is_none()),
                }
            }
            TransformKind::Email => FittedTransform::Email {
                competitor_domains: spec.competitor_domains.clone(),
            },
            TransformKind::JobTitle => FittedTransform::JobTitle,
            TransformKind::Timestamp => {
                let ts = timestamp_values(table, &c.name, missing)?;
                let mut days: Vec<f64> = train
                    .iter()
                    .filter_map(|&i| ts[i])
                    .map(|t| days_since(t, reference_time.unwrap_or(t)))
                    .collect();
                let missing_indicator = days.len() < train.len();
                FittedTransform::Timestamp {
                    median_days_since: median(&mut days),
                    missing_indicator,
                }
            }
            TransformKind::Ignore => continue,
        };
        columns.push(FittedColumn {
            name: c.name.clone(),
            transform,
            part: c.part.unwrap_or_default(),
        });
    }
    // Several landmarks: lead age at each example's as_of is a feature (from `created_at`).
    if let Some(time) = spec.time.as_ref().filter(|t| t.age_aware()) {
        columns.push(FittedColumn {
            name: time.created_at.clone(),
            transform: FittedTransform::LeadAge {
                landmarks_days: time.landmarks(),
            },
            part: Default::default(),
        });
    }
    Ok(FittedSpec {
        missing_tokens: spec.missing_tokens.clone(),
        reference_time,
        columns,
        events: None,
        pairs: Vec::new(),
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
    let n = table.df.height();
    let mut m = Matrix::zeros(n, fitted.width());
    let missing = &fitted.missing_tokens;
    let as_of_row = |i: usize| as_of.map(|a| a[i]).or(fitted.reference_time);
    let mut j = 0;
    for c in &fitted.columns {
        let name = c.name.as_str();
        match &c.transform {
            FittedTransform::Numeric {
                median,
                missing_indicator,
                log1p,
                bin_edges,
            } => {
                let v = numeric_values(table, name, missing)?;
                let value_col = j;
                let ind_col = j + 1;
                let bins_col = j + 1 + usize::from(*missing_indicator);
                for (i, x) in v.iter().enumerate() {
                    let x_imp = x.unwrap_or(*median);
                    m.data[value_col * n + i] = if *log1p { signed_log1p(x_imp) } else { x_imp };
                    if *missing_indicator && x.is_none() {
                        m.data[ind_col * n + i] = 1.0;
                    }
                    if !bin_edges.is_empty() {
                        m.data[(bins_col + bin_index(x_imp, bin_edges)) * n + i] = 1.0;
                    }
                }
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
                        Some(l) => index.get(l.as_str()).copied().unwrap_or(levels.len()),
                    };
                    m.data[(j + k) * n + i] = 1.0;
                }
            }
            FittedTransform::Boolean { missing_indicator } => {
                for (i, b) in bool_values(table, name, missing)?.iter().enumerate() {
                    if *b == Some(true) {
                        m.data[j * n + i] = 1.0;
                    }
                    if *missing_indicator && b.is_none() {
                        m.data[(j + 1) * n + i] = 1.0;
                    }
                }
            }
            FittedTransform::Email { competitor_domains } => {
                let values = string_values(table, name, missing)?;
                let mut classes: HashMap<&str, usize> = HashMap::new();
                for (i, v) in values.iter().enumerate() {
                    let k = match v {
                        None => EmailClass::ALL.len(),
                        Some(e) => *classes
                            .entry(e.as_str())
                            .or_insert_with(|| email_class(e, competitor_domains).index()),
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
            } => {
                let base = j + 1 + usize::from(*missing_indicator);
                for (i, t) in timestamp_values(table, name, missing)?.iter().enumerate() {
                    match t {
                        None => {
                            m.data[j * n + i] = *median_days_since;
                            if *missing_indicator {
                                m.data[(j + 1) * n + i] = 1.0;
                            }
                        }
                        Some(t) => {
                            let as_of = as_of_row(i).ok_or_else(|| {
                                col_err(table, name, "no as_of time to compute days since")
                            })?;
                            m.data[j * n + i] = days_since(*t, as_of);
                            let (month, weekday) = month_and_weekday(*t);
                            m.data[(base + month) * n + i] = 1.0;
                            m.data[(base + 12 + weekday) * n + i] = 1.0;
                        }
                    }
                }
            }
            FittedTransform::LeadAge { landmarks_days } => {
                let width = c.transform.width();
                let mut slot = vec![0.0; width];
                for (i, t) in timestamp_values(table, name, missing)?.iter().enumerate() {
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

    #[test]
    fn quantile_edges_are_distinct_and_above_min() {
        let v: Vec<f64> = vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 9.0];
        assert_eq!(quantile_edges(&v, 5), vec![1.0, 3.0, 5.0]);
        assert!(quantile_edges(&[2.0; 10], 5).is_empty());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }
}
