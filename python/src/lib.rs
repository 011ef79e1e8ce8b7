//! `leadscore._leadscore`: the Python extension module. The Python package (`leadscore/`)
//! turns DataFrames into columns of cells and calls [`Model::score_columns`], which decides
//! each lead with `leadscore_core::batch::LeadScorer`, the per-lead path of the server and of
//! `leadscore-train score`, with the GIL released. Errors are `ValueError`s (bad input: the
//! position of the lead, the column, what is wrong) or `OSError`s (the model file); nothing
//! panics across the boundary (a panic would surface as pyo3's `PanicException`).

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::batch::{LeadScorer, FUTURE_SLACK_SECONDS};
use leadscore_core::curve::{
    cutoff_for_precision, cutoff_for_precision_with_support, CurveKind, CurvePoint, CutoffError,
    OperatingCurve, OperatingPoint,
};
use leadscore_core::fitted::LeadEvent;
use leadscore_core::tiers::Tiers;
use leadscore_core::value::FieldValue;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::sync::Arc;

/// One cell as Python holds it (`None` and float NaN are missing).
#[derive(FromPyObject)]
enum Cell {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cell {
    /// The cell with an integer past 2^53 written as its digits ([`Cell::value`]).
    fn exact(self) -> Self {
        match self {
            Self::Int(i) if i.unsigned_abs() > 1 << 53 => Self::Text(i.to_string()),
            other => other,
        }
    }

    fn value(&self) -> FieldValue<'_> {
        match self {
            Self::Bool(b) => FieldValue::Bool(*b),
            // Exact below 2^53; a larger integer (an 18-digit owner id) as its digits, which a
            // categorical column matches as the level training read (as a float it lost its
            // last digits and scored `(other)`) and a numeric column reads as the number.
            // ([`Cell::exact`] made every larger one text before this reads it.)
            Self::Int(i) => FieldValue::Number(*i as f64),
            Self::Float(x) if x.is_nan() => FieldValue::Missing,
            Self::Float(x) => FieldValue::Number(*x),
            Self::Text(s) => FieldValue::Text(s),
        }
    }
}

/// A loaded model artifact.
#[pyclass(module = "leadscore._leadscore", frozen)]
struct Model {
    artifact: Arc<ModelArtifact>,
}

/// A bad lead: (position, column, message), formatted by the Python side with the index label.
/// The column and the message are cut as the server cuts what it echoes (the first 200
/// characters and `... (N bytes)`): a 1 MB value is not repeated back whole.
fn bad_lead(position: usize, column: &str, message: &str) -> PyErr {
    use leadscore_core::value::shorten;
    PyValueError::new_err((
        position,
        shorten(column).into_owned(),
        shorten(message).into_owned(),
    ))
}

/// A bad event: ("event", position in the events lists, message), formatted by the Python side
/// with where the event came from (a row of the events table, or a lead's `events` list).
fn bad_event(k: usize, message: String) -> PyErr {
    PyValueError::new_err(("event", k, message))
}

/// One lead's decision, owned, to hand back to Python once the GIL is held again.
struct Row {
    score: f64,
    log_odds: f64,
    mql: bool,
    tier: Option<String>,
    baseline: f64,
    fit: f64,
    engagement: f64,
    fit_percentile: Option<f64>,
    engagement_percentile: Option<f64>,
    held_back: Vec<String>,
    unseen: Vec<String>,
    age: Option<(f64, f64)>,
    factors: Vec<(String, String, &'static str, f64)>,
}

#[pymethods]
impl Model {
    /// Loads the artifact at `path` (validated as the server validates it).
    #[new]
    fn new(path: &str) -> PyResult<Self> {
        let artifact = ModelArtifact::load(std::path::Path::new(path))
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        Ok(Self {
            artifact: Arc::new(artifact),
        })
    }

    /// The model's id.
    #[getter]
    fn model_id(&self) -> String {
        self.artifact.model_id.clone()
    }

    /// The model's columns, in the order `score_columns` takes them (the totals among them
    /// too: see `totals`).
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.artifact
            .spec
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The totals (`sum_of` columns) among `columns`, each with the names of its parts:
    /// computed from the parts, never read from a lead (`score_columns` ignores their cells).
    #[getter]
    fn totals(&self) -> Vec<(String, Vec<String>)> {
        self.artifact
            .spec
            .totals()
            .map(|(c, parts)| {
                (
                    c.name.clone(),
                    parts.into_iter().map(str::to_string).collect(),
                )
            })
            .collect()
    }

    /// Per input column (the order of `columns`), the separator of a multi-select column, whose
    /// cell may be a list of options (joined with it), `None` for the others.
    #[getter]
    fn separators(&self) -> Vec<Option<String>> {
        self.artifact
            .spec
            .columns
            .iter()
            .map(|c| match &c.transform {
                leadscore_core::fitted::FittedTransform::MultiSelect { separator, .. } => {
                    Some(separator.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// The lead id column a point-in-time model was trained with.
    #[getter]
    fn id_column(&self) -> Option<String> {
        self.artifact.assembly.as_ref().map(|a| a.id.clone())
    }

    /// The events table's (lead id, event type, time) columns, for models with event features.
    #[getter]
    fn event_columns(&self) -> Option<(String, String, String)> {
        self.artifact.spec.events.as_ref()?;
        let e = self
            .artifact
            .assembly
            .as_ref()
            .and_then(|a| a.events.clone())
            .unwrap_or_default();
        Some((e.lead_id, e.event_type, e.occurred_at))
    }

    /// Unix seconds of times written as text, read as leadscore reads them (`None` where a
    /// text is no time): `"as_of"` as the server's `?as_of=` (the year-first forms, from
    /// 1970); `"event"` as the server's `events[].occurred_at` (the same forms, a fraction of a
    /// second rounded up); `"event_table"` as `leadscore-train score` reads an events table
    /// (also the model's `date_order`, rounded up); `"as_of_table"` as training reads a leads
    /// table's `as_of` column (the model's `date_order` too, from 1970). pandas read `05/11/2024` month first
    /// whatever the model's order, and took `now` or `2025` for times.
    fn parse_times(&self, texts: Vec<String>, kind: &str) -> PyResult<Vec<Option<i64>>> {
        use leadscore_core::value::{parse_event_time, parse_event_time_as, parse_timestamp_as};
        let order = self.artifact.spec.date_order;
        let parse: &dyn Fn(&str) -> Option<i64> = match kind {
            "as_of" => &leadscore_core::value::parse_as_of,
            "as_of_table" => &move |t| parse_timestamp_as(t, order).filter(|t| *t >= 0),
            "event" => &parse_event_time,
            "event_table" => &move |t| parse_event_time_as(t, order),
            other => {
                return Err(PyValueError::new_err(format!(
                    "no such kind of time: {other:?}"
                )))
            }
        };
        Ok(texts.iter().map(|t| parse(t)).collect())
    }

    /// Every feature: (name, column, weight per standard deviation, odds ratio per unit,
    /// training mean, standard deviation, share of training leads where it is active).
    fn weights(&self) -> Vec<(String, String, f64, f64, f64, f64, f64)> {
        self.artifact
            .model
            .features
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.column.clone(),
                    f.weight,
                    f.odds_ratio,
                    f.mean,
                    f.std,
                    f.active_share,
                )
            })
            .collect()
    }

    /// The holdout operating curve: (threshold, tp, fp), strictest first, with the totals.
    fn curve(&self) -> (Vec<(f64, u64, u64)>, u64, u64) {
        let c = &self.artifact.curve;
        (
            c.points.iter().map(|p| (p.threshold, p.tp, p.fp)).collect(),
            c.positives,
            c.total,
        )
    }

    /// The MQL cutoff for a target precision, as the server computes it: (threshold,
    /// precision, its lower bound, recall, MQL rate). An unattainable target is a ValueError
    /// that says what the model can reach.
    fn cutoff(
        &self,
        target_precision: f64,
        confidence: f64,
    ) -> PyResult<(f64, f64, f64, f64, f64)> {
        let op = cutoff_for_precision(&self.artifact.curve, target_precision, confidence)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok((
            op.threshold,
            op.precision,
            op.precision_lower_bound,
            op.recall,
            op.mql_rate,
        ))
    }

    /// Decides every lead. `columns[c][i]` is lead i's cell of input column c (the order of
    /// `columns`); `events` = (lead position, event type, Unix seconds) per event; `as_of` per
    /// lead, Unix seconds. Returns a dict of lists.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (columns, events, as_of, target_precision, confidence, tiers, factors))]
    fn score_columns<'py>(
        &self,
        py: Python<'py>,
        columns: Vec<Vec<Option<Cell>>>,
        events: Option<(Vec<usize>, Vec<String>, Vec<i64>)>,
        as_of: Vec<i64>,
        target_precision: f64,
        confidence: f64,
        tiers: &str,
        factors: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let spec = &self.artifact.spec;
        if columns.len() != spec.columns.len() {
            return Err(PyValueError::new_err(format!(
                "{} columns given, the model takes {}",
                columns.len(),
                spec.columns.len()
            )));
        }
        let n = as_of.len();
        if let Some(c) = columns.iter().position(|c| c.len() != n) {
            return Err(PyValueError::new_err(format!(
                "column `{}` has {} cells for {n} leads",
                spec.columns[c].name,
                columns[c].len()
            )));
        }
        let tiers = parse_tiers(tiers)?;
        let columns: Vec<Vec<Option<Cell>>> = columns
            .into_iter()
            .map(|c| c.into_iter().map(|x| x.map(Cell::exact)).collect())
            .collect();
        let artifact = self.artifact.clone();
        let rows: Result<Vec<Row>, PyErr> = py.allow_threads(|| {
            let mut decide = LeadScorer::new(&artifact, target_precision, confidence, &tiers)
                .map_err(PyValueError::new_err)?;
            // Events by lead, checked as the server checks them.
            let mut by_lead: Vec<Vec<(usize, i64)>> = vec![Vec::new(); n];
            if let Some((lead, types, at)) = &events {
                if lead.len() != types.len() || lead.len() != at.len() {
                    return Err(PyValueError::new_err(
                        "events: lead, type and time lists differ in length",
                    ));
                }
                for (k, (&l, &t)) in lead.iter().zip(at.iter()).enumerate() {
                    let Some(list) = by_lead.get_mut(l) else {
                        return Err(PyValueError::new_err(format!(
                            "events row {k}: lead position {l} is not among the {n} leads"
                        )));
                    };
                    // Before 1970 is a time like any other (training and `score` count such
                    // an event): only more than a day after the scoring time is refused.
                    if leadscore_core::fitted::known_later(t, as_of[l]) {
                        return Err(bad_event(
                            k,
                            format!(
                                "occurred_at {} is out of range: it must lie no later than \
                                 one day after the scoring time {}",
                                leadscore_core::value::rfc3339(t),
                                leadscore_core::value::rfc3339(as_of[l])
                            ),
                        ));
                    }
                    list.push((k, t));
                }
            }
            let types: &[String] = events.as_ref().map_or(&[], |e| &e.1);
            let mut out = Vec::with_capacity(n);
            let mut values: Vec<FieldValue<'_>> = Vec::with_capacity(spec.columns.len());
            for i in 0..n {
                values.clear();
                values.extend(
                    columns
                        .iter()
                        .map(|c| c[i].as_ref().map_or(FieldValue::Missing, Cell::value)),
                );
                let lead_events: Vec<LeadEvent<'_>> = by_lead[i]
                    .iter()
                    .map(|&(k, t)| LeadEvent {
                        event_type: &types[k],
                        occurred_at: t,
                    })
                    .collect();
                let d = decide
                    .decide(&values, &lead_events, as_of[i], factors)
                    .map_err(|e| bad_lead(i, &e.column, &e.message))?;
                out.push(Row {
                    score: d.score,
                    log_odds: d.log_odds,
                    mql: d.mql,
                    tier: d.tier,
                    baseline: d.baseline,
                    fit: d.fit,
                    engagement: d.engagement,
                    fit_percentile: d.fit_percentile,
                    engagement_percentile: d.engagement_percentile,
                    held_back: d.held_back,
                    age: d.age,
                    unseen: d
                        .unseen
                        .iter()
                        .map(|&c| spec.unseen_name(c).to_string())
                        .collect(),
                    factors: d
                        .factors
                        .into_iter()
                        .map(|f| (f.field, f.factor, f.part.label(), f.contribution))
                        .collect(),
                });
            }
            Ok(out)
        });
        let rows = rows?;
        let out = PyDict::new(py);
        out.set_item("score", rows.iter().map(|r| r.score).collect::<Vec<_>>())?;
        out.set_item("mql", rows.iter().map(|r| r.mql).collect::<Vec<_>>())?;
        out.set_item(
            "tier",
            rows.iter().map(|r| r.tier.clone()).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "log_odds",
            rows.iter().map(|r| r.log_odds).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "baseline",
            rows.iter().map(|r| r.baseline).collect::<Vec<_>>(),
        )?;
        out.set_item("fit", rows.iter().map(|r| r.fit).collect::<Vec<_>>())?;
        out.set_item(
            "engagement",
            rows.iter().map(|r| r.engagement).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "fit_percentile",
            rows.iter().map(|r| r.fit_percentile).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "engagement_percentile",
            rows.iter()
                .map(|r| r.engagement_percentile)
                .collect::<Vec<_>>(),
        )?;
        out.set_item(
            "age_days",
            rows.iter().map(|r| r.age.map(|a| a.0)).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "scored_as_days",
            rows.iter().map(|r| r.age.map(|a| a.1)).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "held_back",
            rows.iter().map(|r| r.held_back.clone()).collect::<Vec<_>>(),
        )?;
        out.set_item(
            "unseen",
            rows.iter().map(|r| r.unseen.clone()).collect::<Vec<_>>(),
        )?;
        // Six dicts a lead: their keys interned, and a field's or a part's name one string
        // shared by every dict naming it (a new string per key and value made 1,000,000 leads
        // take gigabytes), each lead's Rust text freed as its dicts are made.
        let keys = [
            pyo3::intern!(py, "field"),
            pyo3::intern!(py, "factor"),
            pyo3::intern!(py, "part"),
            pyo3::intern!(py, "contribution"),
        ];
        let mut names: std::collections::HashMap<String, Bound<'py, PyString>> =
            std::collections::HashMap::new();
        let mut shared = |text: &str| {
            names
                .entry(text.to_string())
                .or_insert_with(|| PyString::new(py, text))
                .clone()
        };
        let factors = PyList::empty(py);
        for r in rows {
            let list = PyList::empty(py);
            for (field, factor, part, contribution) in r.factors {
                let f = PyDict::new(py);
                f.set_item(keys[0], shared(&field))?;
                f.set_item(keys[1], factor)?;
                f.set_item(keys[2], shared(part))?;
                f.set_item(keys[3], contribution)?;
                list.append(f)?;
            }
            factors.append(list)?;
        }
        out.set_item("factors", factors)?;
        Ok(out)
    }
}

/// An operating point as Python gets it: (threshold, tp, fp, precision, lower bound, recall,
/// MQL rate).
type Point = (f64, u64, u64, f64, f64, f64, f64);

fn point(op: &OperatingPoint) -> Point {
    (
        op.threshold,
        op.tp,
        op.fp,
        op.precision,
        op.precision_lower_bound,
        op.recall,
        op.mql_rate,
    )
}

/// A curve from Python's pieces, checked as the server checks a deserialized one.
fn curve_of(
    points: Vec<(f64, u64, u64)>,
    positives: u64,
    total: u64,
    kind: &str,
) -> PyResult<OperatingCurve> {
    let kind = match kind {
        "per_example" => CurveKind::PerExample,
        "handoff" => CurveKind::Handoff,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown curve kind {other:?} (per_example or handoff)"
            )))
        }
    };
    let curve = OperatingCurve {
        positives,
        total,
        points: points
            .into_iter()
            .map(|(threshold, tp, fp)| CurvePoint { threshold, tp, fp })
            .collect(),
        kind,
    };
    curve
        .validate()
        .map_err(|e| PyValueError::new_err(format!("invalid operating curve: {e}")))?;
    Ok(curve)
}

/// Checks a curve's invariants (`OperatingCurve::validate`); a ValueError says which fails.
#[pyfunction]
fn validate_curve(
    points: Vec<(f64, u64, u64)>,
    positives: u64,
    total: u64,
    kind: &str,
) -> PyResult<()> {
    curve_of(points, positives, total, kind).map(|_| ())
}

/// The server's cutoff rule on any curve (`cutoff_for_precision_with_support`): (True, the
/// cutoff's point), or (False, the best-supported point) when the target is not attainable.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn cutoff_for_curve(
    points: Vec<(f64, u64, u64)>,
    positives: u64,
    total: u64,
    kind: &str,
    target: f64,
    confidence: f64,
    min_support: u64,
) -> PyResult<(bool, Point)> {
    let curve = curve_of(points, positives, total, kind)?;
    match cutoff_for_precision_with_support(&curve, target, confidence, min_support) {
        Ok(op) => Ok((true, point(&op))),
        Err(CutoffError::Unattainable { best_threshold, .. }) => Ok((
            false,
            point(&curve.at_threshold(best_threshold, confidence)),
        )),
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// The curve's point at a threshold (`OperatingCurve::at_threshold`).
#[pyfunction]
fn at_threshold(
    points: Vec<(f64, u64, u64)>,
    positives: u64,
    total: u64,
    kind: &str,
    threshold: f64,
    confidence: f64,
) -> PyResult<Point> {
    Ok(point(
        &curve_of(points, positives, total, kind)?.at_threshold(threshold, confidence),
    ))
}

/// A tiers specification (`--tiers`), or a ValueError saying what is wrong.
fn parse_tiers(tiers: &str) -> PyResult<Tiers> {
    Tiers::parse(tiers)
        .map_err(|e| PyValueError::new_err(format!("tiers `{}`: {}", e.text, e.problem)))
}

/// Whether a time's text is the zero time an export writes for an unset date (`0`, `0.0`,
/// `0000-00-00 00:00:00`), as training and the server read it: missing.
#[pyfunction]
fn is_zero_time(text: &str) -> bool {
    leadscore_core::value::is_zero_time_text(text)
}

/// Unix seconds of numbers that are all times from 2000 to 2100 in one unit (Unix seconds,
/// milliseconds, or a spreadsheet's serial days), read down (or up, `up`: an event's time) to
/// the second, as training reads a column of them; `None` when no one unit reads them all.
#[pyfunction]
fn epoch_seconds(values: Vec<f64>, up: bool) -> Option<Vec<i64>> {
    use leadscore_core::value::EpochUnit;
    let unit = EpochUnit::ALL
        .into_iter()
        .find(|u| values.iter().all(|x| u.reads(*x)))?;
    Some(
        values
            .iter()
            .map(|x| {
                let t = unit.seconds(*x);
                (if up { t.ceil() } else { t.floor() }) as i64
            })
            .collect(),
    )
}

/// Unix seconds of one number as the server reads it (`?as_of=`, an event's `occurred_at`):
/// Unix seconds, milliseconds, or a spreadsheet's serial date, from 2000 to 2100, read down
/// (or up, `up`) to the second; `None` for any other number.
#[pyfunction]
fn unix_time(x: f64, up: bool) -> Option<i64> {
    if up {
        leadscore_core::value::unix_event_time_of(x)
    } else {
        leadscore_core::value::unix_time_of(x)
    }
}

/// Float32 values (each given as the f64 it widens to) read as the decimals they hold
/// (`leadscore_core::value::f32_as_written`), as `leadscore-train` reads a Parquet Float32
/// column: 23395.38 stored as a float32 is 23395.38, not 23395.380859375.
#[pyfunction]
fn f32_decimals(values: Vec<f64>) -> Vec<f64> {
    values
        .into_iter()
        .map(|x| leadscore_core::value::f32_as_written(x as f32))
        .collect()
}

/// Checks a tiers specification (`--tiers`); a ValueError says what is wrong.
#[pyfunction]
fn check_tiers(tiers: &str) -> PyResult<()> {
    parse_tiers(tiers).map(|_| ())
}

/// The one-sided Wilson lower bound on a proportion (`leadscore_core::curve`).
#[pyfunction]
fn wilson_lower_bound(successes: u64, trials: u64, confidence: f64) -> f64 {
    leadscore_core::curve::wilson_lower_bound(successes, trials, confidence)
}

/// The extension module.
#[pymodule]
fn _leadscore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(validate_curve, m)?)?;
    m.add_function(wrap_pyfunction!(cutoff_for_curve, m)?)?;
    m.add_function(wrap_pyfunction!(at_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(wilson_lower_bound, m)?)?;
    m.add_function(wrap_pyfunction!(check_tiers, m)?)?;
    m.add_function(wrap_pyfunction!(is_zero_time, m)?)?;
    m.add_function(wrap_pyfunction!(epoch_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(unix_time, m)?)?;
    m.add_function(wrap_pyfunction!(f32_decimals, m)?)?;
    m.add(
        "DEFAULT_MIN_SUPPORT",
        leadscore_core::curve::DEFAULT_MIN_SUPPORT,
    )?;
    m.add("FUTURE_SLACK_SECONDS", FUTURE_SLACK_SECONDS)?;
    Ok(())
}
