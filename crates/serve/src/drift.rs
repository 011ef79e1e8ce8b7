//! Drift: the live score distribution and the fill rate of each input field, compared with the
//! reference the artifact keeps (the holdout score histogram and the training fill rates) by
//! the population stability index (PSI).
//!
//! Counting is lock-free: one atomic add per scored lead (its score bin), one per missing
//! field and one per value training did not see (`leadscore_unseen_values_total`; a lead's
//! events of types training never saw count once, as `events.event_type`). The
//! counters belong to the model: a new model starts from zero, a cutoff change or a reload of
//! the same model keeps them. [`DriftCounters::report`] computes the PSIs on demand
//! (`/v1/model`, `/metrics`); `watch::watch_drift` checks them on an interval and logs a warning when
//! a PSI crosses the threshold (once per crossing, and once when it falls back).
//!
//! PSI = sum over bins of (a - e) * ln(a / e), with a and e the live and reference shares, each
//! at least [`EPSILON`] so an empty bin stays finite. Common reading: below 0.1 stable, 0.1 to
//! 0.25 a moderate shift, above 0.25 a major one. A field's fill rate is compared over two bins,
//! filled and missing.

pub use crate::config::DriftSettings;
use crate::lead::Lead;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::fitted::FittedSpec;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Smallest share used in the PSI, so an empty bin gives a large but finite term.
pub const EPSILON: f64 = 1e-4;

/// Bins of the live score histogram when the artifact keeps none (equal width over [0, 1]).
const DEFAULT_BINS: usize = 20;

/// PSI between two distributions given as shares over the same bins.
pub fn psi(actual: &[f64], expected: &[f64]) -> f64 {
    actual
        .iter()
        .zip(expected)
        .map(|(&a, &e)| {
            let (a, e) = (a.max(EPSILON), e.max(EPSILON));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// PSI between two histograms of counts over the same bins; `None` when either is empty or
/// they have a different number of bins.
pub fn psi_counts(actual: &[u64], expected: &[u64]) -> Option<f64> {
    let shares = |c: &[u64]| {
        let total: u64 = c.iter().sum();
        (total > 0).then(|| {
            c.iter()
                .map(|&n| n as f64 / total as f64)
                .collect::<Vec<_>>()
        })
    };
    if actual.len() != expected.len() {
        return None;
    }
    Some(psi(&shares(actual)?, &shares(expected)?))
}

/// PSI of a fill rate: two bins, filled and missing.
pub fn fill_psi(live: f64, reference: f64) -> f64 {
    psi(&[live, 1.0 - live], &[reference, 1.0 - reference])
}

/// The live counters of one model.
#[derive(Debug)]
pub struct DriftCounters {
    /// Leads by score bin (equal width over [0, 1]); their sum is the leads counted.
    bins: Box<[AtomicU64]>,
    /// Leads with the field missing, by column of the spec.
    missing: Box<[AtomicU64]>,
    /// Leads with a value training did not see, by column of the spec (boolean, categorical
    /// and numeric columns; scored as missing, `other` or the nearest training value), then, for a model with events,
    /// leads with an event of a type training never saw (`FittedSpec::unseen_field`).
    unseen: Box<[AtomicU64]>,
}

impl DriftCounters {
    /// Zeroed counters for `artifact`: as many score bins as its reference histogram, one
    /// missing counter per input column.
    pub fn new(artifact: &ModelArtifact) -> Self {
        let bins = match artifact.reference_scores.counts.len() {
            0 => DEFAULT_BINS,
            n => n,
        };
        Self {
            bins: (0..bins).map(|_| AtomicU64::new(0)).collect(),
            missing: (0..artifact.spec.columns.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            unseen: (0..artifact.spec.unseen_slots())
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Counts scored leads (`leads[i]` scored `scored[i]`: its score and the columns whose
    /// value training did not see): one add per lead for its score bin, one per field the model
    /// reads as missing ([`FittedSpec::reads_as_missing`]), one per unseen value.
    pub fn record<'u>(
        &self,
        spec: &FittedSpec,
        leads: &[Lead<'_>],
        scored: impl IntoIterator<Item = (f64, &'u [usize])>,
    ) {
        let n = self.bins.len();
        for (lead, (score, unseen)) in leads.iter().zip(scored) {
            for &c in unseen {
                if let Some(counter) = self.unseen.get(c) {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
            for (c, counter) in self.missing.iter().enumerate().take(lead.values.len()) {
                // A `sum_of` column is not in the request: its value is its parts' sum.
                let value = spec.field_value(c, |k| {
                    lead.values
                        .get(k)
                        .map_or(leadscore_core::value::FieldValue::Missing, |v| v.as_field())
                });
                if spec.reads_as_missing(c, value) {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Bins after the missing counts: a reader never sees more leads than missing.
            let bin = ((score * n as f64) as usize).min(n - 1);
            self.bins[bin].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The PSIs against `artifact`'s reference (the artifact these counters were made for).
    pub fn report(&self, artifact: &ModelArtifact, settings: &DriftSettings) -> DriftReport {
        let live: Vec<u64> = self
            .bins
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let leads: u64 = live.iter().sum();
        let enough = leads >= settings.min_leads;
        let mut notes = Vec::new();
        if !enough {
            notes.push(format!(
                "{leads} leads scored by this model, fewer than the {} needed to report drift",
                settings.min_leads
            ));
        }
        let score_psi = if enough {
            let psi = psi_counts(&live, &artifact.reference_scores.counts);
            if psi.is_none() {
                notes.push("the artifact has no reference score histogram".into());
            }
            psi
        } else {
            None
        };
        let fill = if artifact.reference_fill.is_empty() {
            notes.push(
                "the artifact has no training fill rates (written before they were kept): \
                 fill-rate drift is unavailable"
                    .into(),
            );
            None
        } else {
            Some(
                artifact
                    .reference_fill
                    .iter()
                    .filter_map(|r| {
                        let i = artifact
                            .spec
                            .columns
                            .iter()
                            .position(|c| c.name == r.column)?;
                        let missing = self.missing.get(i)?.load(Ordering::Relaxed).min(leads);
                        let live_fill = (leads > 0).then(|| 1.0 - missing as f64 / leads as f64);
                        Some(ColumnDrift {
                            column: r.column.clone(),
                            reference_fill: r.filled_share,
                            live_fill,
                            psi: live_fill
                                .filter(|_| enough)
                                .map(|l| fill_psi(l, r.filled_share)),
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let mut drifted = Vec::new();
        if score_psi.is_some_and(|p| p > settings.psi_threshold) {
            drifted.push("score".to_string());
        }
        for c in fill.iter().flatten() {
            if c.psi.is_some_and(|p| p > settings.psi_threshold) {
                drifted.push(c.column.clone());
            }
        }
        // Every column that can have unseen values, counted or not (a counter starts at 0).
        let unseen = self
            .unseen
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let (column, scored_as) = artifact.spec.unseen_field(i)?;
                Some(UnseenCount {
                    column: column.to_string(),
                    scored_as,
                    leads: n.load(Ordering::Relaxed),
                })
            })
            .collect();
        let status = if !enough {
            "insufficient_data"
        } else if drifted.is_empty() {
            "ok"
        } else {
            "warn"
        };
        DriftReport {
            model_id: artifact.model_id.clone(),
            status,
            leads,
            min_leads: settings.min_leads,
            threshold: settings.psi_threshold,
            score_psi,
            fill,
            drifted,
            notes,
            unseen,
        }
    }
}

/// Leads scored by the model in force with a value of one column that training did not see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnseenCount {
    /// The input column (boolean, categorical or numeric), or `events.event_type`.
    pub column: String,
    /// What such a value was scored as: `missing` (a yes/no column), `other` (categorical),
    /// `nearest training value` (a number outside the training range) or `active days only`
    /// (an event type).
    pub scored_as: &'static str,
    /// Leads with such a value since the model was loaded.
    pub leads: u64,
}

/// One input column's fill rate, live against training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDrift {
    /// The input column.
    pub column: String,
    /// Share of training leads with the field filled.
    pub reference_fill: f64,
    /// Share of leads scored by this model with the field filled (`None` before any lead).
    pub live_fill: Option<f64>,
    /// PSI of filled/missing (`None` below the minimum sample).
    pub psi: Option<f64>,
}

/// Drift of the model in force, as `/v1/model` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// The model the counters belong to.
    pub model_id: String,
    /// `insufficient_data` (below `min_leads`), `ok`, or `warn` (a PSI above the threshold).
    pub status: &'static str,
    /// Leads scored by this model since it was loaded.
    pub leads: u64,
    /// Leads needed before PSIs are reported.
    pub min_leads: u64,
    /// The PSI threshold.
    pub threshold: f64,
    /// PSI of the live score histogram against the holdout's.
    pub score_psi: Option<f64>,
    /// Fill rate per input column (`None` when the artifact keeps no training fill rates).
    pub fill: Option<Vec<ColumnDrift>>,
    /// What is above the threshold: `score` and column names.
    pub drifted: Vec<String>,
    /// Why something is not reported.
    pub notes: Vec<String>,
    /// Per boolean, categorical or numeric column, the leads with a value training did not see
    /// (a yes/no column's `3`, a new level, a number outside the training range), scored as
    /// missing, `other` or the nearest training value instead of refused;
    /// for a model with events, `events.event_type`: the leads with an event of a type
    /// training never saw, scored as an active day only.
    pub unseen: Vec<UnseenCount>,
}

/// A Prometheus label value, escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl DriftReport {
    /// Appends the drift gauges to a Prometheus text exposition. PSIs not available (below
    /// the minimum sample, no reference) are left out.
    pub fn write_prometheus(&self, s: &mut String) {
        let _ = self.write_to(s);
    }

    fn write_to(&self, s: &mut String) -> std::fmt::Result {
        writeln!(
            s,
            "# HELP leadscore_drift_leads Leads scored by the model in force since it was loaded (the drift sample)."
        )?;
        writeln!(s, "# TYPE leadscore_drift_leads gauge")?;
        writeln!(s, "leadscore_drift_leads {}", self.leads)?;
        writeln!(
            s,
            "# HELP leadscore_drift_score_psi PSI of live scores against the holdout score histogram."
        )?;
        writeln!(s, "# TYPE leadscore_drift_score_psi gauge")?;
        if let Some(p) = self.score_psi {
            writeln!(s, "leadscore_drift_score_psi {p}")?;
        }
        writeln!(
            s,
            "# HELP leadscore_drift_fill_psi PSI of each input field's live fill rate against training."
        )?;
        writeln!(s, "# TYPE leadscore_drift_fill_psi gauge")?;
        for c in self.fill.iter().flatten() {
            if let Some(p) = c.psi {
                writeln!(
                    s,
                    "leadscore_drift_fill_psi{{column=\"{}\"}} {p}",
                    label(&c.column)
                )?;
            }
        }
        writeln!(
            s,
            "# HELP leadscore_unseen_values_total Leads scored by the model in force with a value training did not see, by column (scored as missing, other, or for a number outside the training range the nearest training value, for a date further back than training's the most days training saw and for one after the scoring time missing, not refused; events.event_type: an event of a type training never saw, counted only as an active day; events.count: event counts, or days since a type's last event, past the most training saw, scored as that)."
        )?;
        writeln!(s, "# TYPE leadscore_unseen_values_total counter")?;
        for u in &self.unseen {
            writeln!(
                s,
                "leadscore_unseen_values_total{{column=\"{}\"}} {}",
                label(&u.column),
                u.leads
            )?;
        }
        Ok(())
    }
}

/// Remembers what is above the threshold, to log each crossing once.
#[derive(Debug, Default)]
pub struct DriftAlarm {
    model_id: String,
    above: BTreeSet<String>,
}

impl DriftAlarm {
    /// The log lines for `report`: one per PSI that rose above the threshold since the last
    /// check, one per PSI that fell back. A new model starts with nothing above.
    pub fn check(&mut self, report: &DriftReport) -> Vec<String> {
        if report.model_id != self.model_id {
            self.model_id.clone_from(&report.model_id);
            self.above.clear();
        }
        let mut lines = Vec::new();
        let mut measured: Vec<(String, String, f64)> = Vec::new();
        // Keyed apart: a column may be named `score`, and its fill rate is not the score
        // distribution (one key hid the other's warning).
        if let Some(p) = report.score_psi {
            measured.push(("distribution".into(), "score distribution".into(), p));
        }
        for c in report.fill.iter().flatten() {
            if let Some(p) = c.psi {
                measured.push((
                    format!("column {}", c.column),
                    // A name with a line break or a control character escaped, so that a log
                    // line stays one line.
                    format!(
                        "fill rate of `{}` ({:.3} live, {:.3} in training)",
                        leadscore_core::value::escape_controls(&c.column),
                        c.live_fill.unwrap_or(0.0),
                        c.reference_fill
                    ),
                    p,
                ));
            }
        }
        for (key, what, p) in measured {
            let above = p > report.threshold;
            if above && self.above.insert(key.clone()) {
                lines.push(format!(
                    "leadscore-serve: drift: warning: model {}: {what}: PSI {p:.3} > {} over {} leads",
                    report.model_id, report.threshold, report.leads
                ));
            } else if !above && self.above.remove(&key) {
                lines.push(format!(
                    "leadscore-serve: drift: model {}: {what}: PSI {p:.3} back within {} over {} leads",
                    report.model_id, report.threshold, report.leads
                ));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn psi_by_hand() {
        // (0.5-0.25) ln 2 + (0.5-0.75) ln(2/3)
        let expected = 0.25 * 2f64.ln() - 0.25 * (2.0f64 / 3.0).ln();
        assert!(close(psi(&[0.5, 0.5], &[0.25, 0.75]), expected));
        assert!(close(expected, 0.274_653_072_167_027_45));
        assert!(close(psi(&[0.3, 0.7], &[0.3, 0.7]), 0.0));
        // Symmetric in its two arguments.
        assert!(close(psi(&[0.25, 0.75], &[0.5, 0.5]), expected));
    }

    #[test]
    fn empty_bins_use_epsilon() {
        // (1 - 0.5) ln(1/0.5) + (1e-4 - 0.5) ln(1e-4/0.5)
        let expected = 0.5 * 2f64.ln() + (1e-4 - 0.5) * (1e-4f64 / 0.5).ln();
        let got = psi(&[1.0, 0.0], &[0.5, 0.5]);
        assert!(close(got, expected), "{got} vs {expected}");
        assert!(got.is_finite() && got > 4.0);
    }

    #[test]
    fn counts_and_fill() {
        assert!(close(
            psi_counts(&[2, 2], &[100, 300]).unwrap(),
            psi(&[0.5, 0.5], &[0.25, 0.75])
        ));
        assert_eq!(psi_counts(&[0, 0], &[1, 1]), None);
        assert_eq!(psi_counts(&[1, 1], &[0, 0]), None);
        assert_eq!(psi_counts(&[1, 1], &[1, 1, 1]), None);
        // Filled 0.5 live vs 0.25 in training: the same two bins as above.
        assert!(close(fill_psi(0.5, 0.25), psi(&[0.5, 0.5], &[0.25, 0.75])));
        // 0.9 live vs 0.94 reference: 0.04 ln(0.94/0.9) + 0.04 ln(0.1/0.06), hand-computed.
        let expected = -0.04 * (0.9f64 / 0.94).ln() + 0.04 * (0.1f64 / 0.06).ln();
        assert!(close(fill_psi(0.9, 0.94), expected));
        assert!(close(expected, 0.022_172_429_428_229_18));
    }

    fn report(model: &str, score_psi: Option<f64>, fill: Option<f64>) -> DriftReport {
        DriftReport {
            model_id: model.into(),
            status: "ok",
            leads: 1000,
            min_leads: 500,
            threshold: 0.2,
            score_psi,
            fill: Some(vec![ColumnDrift {
                column: "company_size".into(),
                reference_fill: 0.94,
                live_fill: Some(0.5),
                psi: fill,
            }]),
            drifted: Vec::new(),
            notes: Vec::new(),
            unseen: vec![UnseenCount {
                column: "q\"7".into(),
                scored_as: "missing",
                leads: 3,
            }],
        }
    }

    #[test]
    fn alarm_logs_each_crossing_once() {
        let mut alarm = DriftAlarm::default();
        assert!(alarm
            .check(&report("m1", Some(0.05), Some(0.01)))
            .is_empty());
        let lines = alarm.check(&report("m1", Some(0.3), Some(0.01)));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("warning") && lines[0].contains("score distribution"));
        assert!(alarm.check(&report("m1", Some(0.4), Some(0.01))).is_empty());
        let lines = alarm.check(&report("m1", Some(0.4), Some(0.9)));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("`company_size`"));
        let lines = alarm.check(&report("m1", Some(0.1), Some(0.9)));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("back within"));
        // Not reported (below the minimum sample): no change.
        assert!(alarm.check(&report("m1", None, None)).is_empty());
        // A new model starts afresh.
        assert_eq!(alarm.check(&report("m2", Some(0.5), Some(0.9))).len(), 2);
        // A column named `score` (a line break in another's name) drifts beside the score
        // distribution: a warning each, on one line each.
        let mut r = report("m3", Some(0.5), Some(0.9));
        let fill = r.fill.as_mut().unwrap();
        fill[0].column = "score".into();
        let mut other = fill[0].clone();
        other.column = "new\nline".into();
        fill.push(other);
        let lines = alarm.check(&r);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[1].contains("fill rate of `score`"), "{lines:?}");
        assert!(lines[2].contains("fill rate of `new\\nline`"), "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains('\n')));
        // Only control characters are escaped: a quote stays as written.
        let mut r = report("m4", None, Some(0.9));
        r.fill.as_mut().unwrap()[0].column = "Lead's \"source\"".into();
        let lines = alarm.check(&r);
        assert!(lines[0].contains("`Lead's \"source\"`"), "{lines:?}");
    }

    #[test]
    fn prometheus_gauges() {
        let mut s = String::new();
        report("m1", Some(0.25), Some(0.5)).write_prometheus(&mut s);
        assert!(s.contains("leadscore_drift_leads 1000\n"));
        assert!(s.contains("leadscore_drift_score_psi 0.25\n"));
        assert!(s.contains("leadscore_drift_fill_psi{column=\"company_size\"} 0.5\n"));
        assert!(s.contains("# TYPE leadscore_unseen_values_total counter\n"));
        assert!(s.contains("leadscore_unseen_values_total{column=\"q\\\"7\"} 3\n"));
        let mut s = String::new();
        report("m1", None, None).write_prometheus(&mut s);
        assert!(!s.contains("\nleadscore_drift_score_psi "));
        assert!(!s.contains("leadscore_drift_fill_psi{"));
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
