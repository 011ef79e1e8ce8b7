//! Training's side of the explanations: the artifact's `explain` section (each field's
//! importance and shape, the fit and engagement percentiles, the holdout's fit x engagement
//! grid), the explained holdout rows, and the holdout as gates need it.
//!
//! The factors themselves come from `leadscore_core::explain`, the code the server runs: this
//! module only reads each holdout row's own values back out of the polars table so the factors
//! can name them.

use crate::assemble::EventColumns;
use crate::error::{Result, TrainError};
use crate::featurize::{timestamp_values, Matrix};
use crate::load::{column, Table};
use crate::table::text_values;
use leadscore_core::curve::OperatingCurve;
use leadscore_core::explain::{
    contributions, describe_row, factor_groups, percentile_of, percentiles, shape, strongest,
    ExplainSummary, ExplainedLead, FactorGroup, GroupSummary, Part, PartsGrid, Source, Split,
};
use leadscore_core::fitted::{FittedSpec, FittedTransform, LeadEvent};
use leadscore_core::gates::{gate_key, ColumnKind, Gates, HoldoutLead};
use leadscore_core::model::{LinearModel, Scorer};
use leadscore_core::value::FieldValue;

/// How many positive and negative factors each holdout row keeps.
pub const HOLDOUT_FACTORS: usize = 3;

/// The `explain` section: contributions of every training example (importance, percentiles),
/// shapes, and the grid of the holdout examples `x_test` with labels `y_test`.
pub fn summarize(
    spec: &FittedSpec,
    model: &LinearModel,
    x_train: &Matrix,
    x_test: &Matrix,
    y_test: &[bool],
) -> ExplainSummary {
    let scorer = Scorer::new(model);
    let groups = factor_groups(spec);
    let parts = |x: &Matrix, importance: Option<&mut Vec<f64>>| -> (Vec<f64>, Vec<f64>) {
        let n = x.rows;
        let (mut fit, mut engagement) = (vec![0.0; n], vec![0.0; n]);
        let mut per_row = vec![0.0; n];
        let mut imp = Vec::with_capacity(groups.len());
        for g in &groups {
            per_row.fill(0.0);
            for j in g.start..g.end {
                for (acc, v) in per_row.iter_mut().zip(x.col(j)) {
                    *acc += scorer.contribution(j, *v);
                }
            }
            let target = match g.part {
                Part::Fit => &mut fit,
                Part::Engagement => &mut engagement,
            };
            for (t, c) in target.iter_mut().zip(&per_row) {
                *t += c;
            }
            imp.push(per_row.iter().map(|c| c.abs()).sum::<f64>() / n.max(1) as f64);
        }
        if let Some(out) = importance {
            *out = imp;
        }
        (fit, engagement)
    };
    let mut importance = Vec::new();
    let (mut fit, mut engagement) = parts(x_train, Some(&mut importance));
    let fit_percentiles = percentiles(&mut fit);
    let engagement_percentiles = percentiles(&mut engagement);
    let (fit_test, engagement_test) = parts(x_test, None);
    let grid = PartsGrid::new(
        &fit_percentiles,
        &engagement_percentiles,
        fit_test
            .iter()
            .zip(&engagement_test)
            .zip(y_test)
            .map(|((f, e), y)| (*f, *e, *y)),
    );
    let summaries = groups
        .iter()
        .zip(importance)
        .map(|(g, importance)| GroupSummary {
            name: g.name.clone(),
            part: g.part,
            importance,
            shape: shape(spec, &scorer, g, &numeric_values(spec, g, x_train)),
        })
        .collect();
    ExplainSummary {
        groups: summaries,
        fit_percentiles,
        engagement_percentiles,
        grid,
        examples: Vec::new(),
    }
}

/// The raw training values of a numeric column (missing ones left out), read back from its
/// features: the value feature, undone from log1p.
fn numeric_values(spec: &FittedSpec, g: &FactorGroup, x: &Matrix) -> Vec<f64> {
    let Source::Column(i) = g.source else {
        return Vec::new();
    };
    let FittedTransform::Numeric {
        log1p,
        missing_indicator,
        ..
    } = &spec.columns[i].transform
    else {
        return Vec::new();
    };
    let values = x.col(g.start);
    let missing = missing_indicator.then(|| x.col(g.start + 1));
    values
        .iter()
        .enumerate()
        .filter(|(r, _)| missing.is_none_or(|m| m[*r] == 0.0))
        .map(|(_, v)| {
            if *log1p {
                v.signum() * v.abs().exp_m1()
            } else {
                *v
            }
        })
        .collect()
}

/// A few holdout rows worth reading in the report: the highest and lowest scores, the one
/// nearest the cutoff for precision 0.5 (or the median score), and the first a gate held back.
pub fn examples(
    rows: &[crate::pipeline::HoldoutRow],
    curve: &OperatingCurve,
) -> Vec<ExplainedLead> {
    if rows.is_empty() {
        return Vec::new();
    }
    let by_score = |a: &&crate::pipeline::HoldoutRow, b: &&crate::pipeline::HoldoutRow| {
        a.score.total_cmp(&b.score)
    };
    let eligible: Vec<&crate::pipeline::HoldoutRow> = rows
        .iter()
        .filter(|r| r.explanation.held_back.is_empty())
        .collect();
    let pool = if eligible.is_empty() {
        rows.iter().collect()
    } else {
        eligible
    };
    let mut picked: Vec<(&str, &crate::pipeline::HoldoutRow)> = Vec::new();
    if let Some(r) = pool.iter().copied().max_by(by_score) {
        picked.push(("highest score", r));
    }
    let cutoff = leadscore_core::curve::cutoff_for_precision(curve, 0.5, 0.95)
        .map(|p| p.threshold)
        .ok();
    let mut sorted = pool.clone();
    sorted.sort_by(by_score);
    let near = match cutoff {
        Some(t) => sorted
            .iter()
            .copied()
            .min_by(|a, b| (a.score - t).abs().total_cmp(&(b.score - t).abs()))
            .map(|r| ("nearest the cutoff for precision 0.5", r)),
        None => sorted
            .get(sorted.len() / 2)
            .copied()
            .map(|r| ("median score", r)),
    };
    picked.extend(near);
    if let Some(r) = pool.iter().copied().min_by(by_score) {
        picked.push(("lowest score", r));
    }
    if let Some(r) = rows.iter().find(|r| !r.explanation.held_back.is_empty()) {
        picked.push(("held back by a gate", r));
    }
    picked
        .into_iter()
        .map(|(why, r)| {
            let e = &r.explanation;
            ExplainedLead {
                why: why.into(),
                id: r.id.clone(),
                as_of: r.as_of,
                score: r.score,
                converted: r.label,
                split: e.split,
                fit_percentile: e.fit_percentile,
                engagement_percentile: e.engagement_percentile,
                held_back: e.held_back.clone(),
                factors: e
                    .factors
                    .iter()
                    .map(|f| (f.field.clone(), f.factor.clone(), f.part, f.contribution))
                    .collect(),
            }
        })
        .collect()
}

/// Key factors as a JSON array of `{"field", "factor", "part", "contribution"}` (contributions
/// to six decimals), as the holdout file and `score` write them.
pub fn factors_json(factors: &[RowFactor]) -> String {
    let list: Vec<serde_json::Value> = factors
        .iter()
        .map(|f| {
            serde_json::json!({
                "field": f.field,
                "factor": f.factor,
                "part": f.part.label(),
                "contribution": (f.contribution * 1e6).round() / 1e6,
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}

/// One key factor of a holdout row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowFactor {
    /// The input column or event type.
    pub field: String,
    /// Named by the lead's own value.
    pub factor: String,
    /// Fit or engagement.
    pub part: Part,
    /// Contribution to the log-odds against the average training lead.
    pub contribution: f64,
}

/// A holdout row's explanation: the split of its log-odds, its percentiles, its key factors
/// and the gates that hold it back.
#[derive(Debug, Clone, PartialEq)]
pub struct RowExplanation {
    /// Baseline, fit and engagement.
    pub split: Split,
    /// Fit percentile among training examples.
    pub fit_percentile: Option<f64>,
    /// Engagement percentile among training examples.
    pub engagement_percentile: Option<f64>,
    /// Up to [`HOLDOUT_FACTORS`] positive, then negative factors.
    pub factors: Vec<RowFactor>,
    /// Names of the gates that hold the lead back.
    pub held_back: Vec<String>,
}

/// Explains rows of an example table: reads each row's values and events back so that factors
/// name them, and computes gates and the holdout's gate keys.
pub struct RowExplainer<'a> {
    spec: &'a FittedSpec,
    scorer: Scorer,
    groups: Vec<FactorGroup>,
    summary: &'a ExplainSummary,
    gates: &'a Gates,
    kinds: Vec<ColumnKind>,
}

/// One column's values for some rows: numeric columns as the numbers training read (a
/// decimal comma already applied), the others as text.
enum ColumnValues {
    Text(Vec<Option<String>>),
    Numbers(Vec<Option<f64>>),
}

/// The values of the spec's columns for some rows of a table, and their events.
pub struct RowValues {
    /// `values[c]`: column c (spec order), one value per row.
    values: Vec<ColumnValues>,
    /// Per row, its events as (type index into `type_names`, time).
    events: Vec<Vec<(u32, i64)>>,
    type_names: Vec<String>,
}

impl RowValues {
    /// Reads the spec's columns of `table` at `rows` (row k of the result is `rows[k]` of
    /// the table) and groups `events` (whose `lead` is a table row) the same way.
    pub fn read(
        spec: &FittedSpec,
        table: &Table,
        rows: &[usize],
        events: Option<&EventColumns>,
    ) -> Result<Self> {
        crate::featurize::check_fitted_list_columns(table, spec)?;
        let mut values = Vec::with_capacity(spec.columns.len());
        for c in &spec.columns {
            let text = |v: Vec<Option<String>>| {
                ColumnValues::Text(rows.iter().map(|&r| v.get(r).cloned().flatten()).collect())
            };
            // A `sum_of` column is not a field of the lead: the per-lead path adds up its
            // parts ([`FittedSpec::field_value`]).
            if !c.sum_of.is_empty() {
                values.push(ColumnValues::Numbers(vec![None; rows.len()]));
                continue;
            }
            values.push(match &c.transform {
                // A date as the file wrote it (the text the server would be sent: its factor
                // shows `2024-07-01` of `2024-07-01T01:00:00+02:00`, not the UTC day), read
                // by the same parser; a typed date column (Parquet) as RFC 3339.
                FittedTransform::Timestamp { .. } | FittedTransform::LeadAge { .. } => {
                    // Unix seconds or milliseconds too, written as RFC 3339.
                    let read = if matches!(c.transform, FittedTransform::Timestamp { .. }) {
                        crate::featurize::date_values
                    } else {
                        timestamp_values
                    };
                    let times = read(table, &c.name, &spec.missing_tokens, spec.date_order)?;
                    let written = crate::featurize::written_texts(table, &c.name)?;
                    text(
                        times
                            .into_iter()
                            .enumerate()
                            .map(|(r, t)| {
                                // Text the server reads as a date (not Unix seconds).
                                let as_written =
                                    written.as_ref().and_then(|w| w[r].clone()).filter(|w| {
                                        leadscore_core::value::parse_timestamp_as(
                                            w,
                                            spec.date_order,
                                        )
                                        .is_some()
                                    });
                                t.map(|t| as_written.unwrap_or_else(|| rfc3339(t)))
                            })
                            .collect(),
                    )
                }
                // Numbers as training reads them: a number polars parsed with a decimal comma
                // must not be written back as `1.234` and read again with one (as 1234).
                FittedTransform::Numeric { .. } => {
                    let v = crate::featurize::numeric_values(
                        table,
                        &c.name,
                        &spec.missing_tokens,
                        spec.decimal_comma,
                    )?;
                    ColumnValues::Numbers(
                        rows.iter().map(|&r| v.get(r).copied().flatten()).collect(),
                    )
                }
                // A list column's items joined as training joins them (refused for another
                // separator, which would read them as one option).
                FittedTransform::MultiSelect { separator, .. } => {
                    text(crate::featurize::option_values(
                        table,
                        &c.name,
                        &spec.missing_tokens,
                        separator,
                    )?)
                }
                _ => {
                    text(
                        text_values(column(table, &c.name)?).map_err(|e| TrainError::Column {
                            path: table.path.clone(),
                            column: c.name.clone(),
                            message: e.to_string(),
                        })?,
                    )
                }
            });
        }
        let mut position = vec![usize::MAX; table.df.height()];
        for (k, &r) in rows.iter().enumerate() {
            if let Some(p) = position.get_mut(r) {
                *p = k;
            }
        }
        let mut per_row: Vec<Vec<(u32, i64)>> = vec![Vec::new(); rows.len()];
        let mut type_names = Vec::new();
        if let Some(ev) = events {
            for ((r, t), at) in ev.lead.iter().zip(&ev.event_type).zip(&ev.occurred_at) {
                if let Some(row) = position.get(*r as usize).and_then(|k| per_row.get_mut(*k)) {
                    row.push((*t, *at));
                }
            }
            type_names = ev.type_names.clone();
        }
        Ok(Self {
            values,
            events: per_row,
            type_names,
        })
    }

    /// Row `r`'s values in the spec's column order.
    pub fn row(&self, r: usize) -> Vec<FieldValue<'_>> {
        self.values
            .iter()
            .map(|c| match c {
                ColumnValues::Text(v) => v
                    .get(r)
                    .and_then(|v| v.as_deref())
                    .map_or(FieldValue::Missing, FieldValue::Text),
                ColumnValues::Numbers(v) => v
                    .get(r)
                    .copied()
                    .flatten()
                    .map_or(FieldValue::Missing, FieldValue::Number),
            })
            .collect()
    }

    /// Row `r`'s events.
    pub fn events(&self, r: usize) -> Vec<LeadEvent<'_>> {
        self.events
            .get(r)
            .map(|evs| {
                evs.iter()
                    .map(|(t, at)| LeadEvent {
                        event_type: self.type_names.get(*t as usize).map_or("", String::as_str),
                        occurred_at: *at,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Unix seconds as RFC 3339 in UTC, to the second (empty when out of range).
pub use leadscore_core::value::rfc3339;

impl<'a> RowExplainer<'a> {
    /// For a model, its summary and its gates.
    pub fn new(
        spec: &'a FittedSpec,
        model: &LinearModel,
        summary: &'a ExplainSummary,
        gates: &'a Gates,
    ) -> Self {
        Self {
            spec,
            scorer: Scorer::new(model),
            groups: factor_groups(spec),
            summary,
            gates,
            kinds: spec
                .columns
                .iter()
                .map(|c| ColumnKind::of(&c.transform))
                .collect(),
        }
    }

    /// Explains row `r` of `values` (featurized as `x`) scored as of `as_of`, with
    /// [`HOLDOUT_FACTORS`] factors of each sign.
    pub fn explain(
        &self,
        values: &RowValues,
        r: usize,
        x: &[f64],
        as_of: Option<i64>,
    ) -> RowExplanation {
        self.explain_top(values, r, x, as_of, HOLDOUT_FACTORS)
    }

    /// [`RowExplainer::explain`] with up to `top` factors of each sign (0: none).
    pub fn explain_top(
        &self,
        values: &RowValues,
        r: usize,
        x: &[f64],
        as_of: Option<i64>,
        top: usize,
    ) -> RowExplanation {
        let row = values.row(r);
        let events = values.events(r);
        let mut c = Vec::with_capacity(self.groups.len());
        let split = contributions(&self.scorer, &self.groups, x, &mut c);
        let (pos, neg) = if top == 0 {
            (Vec::new(), Vec::new())
        } else {
            strongest(&c, top)
        };
        let factors = pos
            .into_iter()
            .chain(neg)
            .map(|(g, contribution)| {
                let group = &self.groups[g];
                RowFactor {
                    field: group.name.clone(),
                    factor: describe_row(self.spec, group, &row, &events, as_of),
                    part: group.part,
                    contribution,
                }
            })
            .collect();
        let mut held = Vec::new();
        self.gates.held_back(&row, &mut held);
        RowExplanation {
            split,
            fit_percentile: percentile_of(&self.summary.fit_percentiles, split.fit),
            engagement_percentile: percentile_of(
                &self.summary.engagement_percentiles,
                split.engagement,
            ),
            factors,
            held_back: held
                .iter()
                .map(|g| self.gates.name(*g).to_string())
                .collect(),
        }
    }

    /// What the holdout keeps of row `r` for gates, with its life's moments.
    pub fn holdout_lead(&self, values: &RowValues, r: usize, life: &[(f64, bool)]) -> HoldoutLead {
        let row = values.row(r);
        HoldoutLead {
            values: row
                .iter()
                .zip(&self.kinds)
                .map(|(v, k)| gate_key(k, self.spec.normalize(*v)))
                .collect(),
            records: leadscore_core::gates::records(life),
            converts: life.iter().any(|m| m.1),
        }
    }
}
