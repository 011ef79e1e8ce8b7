//! The numbers behind each chart and table, derived from an artifact (or a labeled file's
//! evaluation) with core's metrics and cutoff rule; no drawing here.

use crate::ReportError;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::{
    cutoff_for_precision, CutoffCheck, CutoffError, OperatingCurve, OperatingPoint,
};
use leadscore_core::fitted::UnseenValues;
use leadscore_core::metrics::Evaluation;

/// The leads a report describes: the model's holdout (stored in the artifact) or a labeled
/// file scored by the model (`leadscore-train report --data`).
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationSet {
    /// What the set is, for people (`holdout (stratified random, 20%, seed 7)`).
    pub name: String,
    /// Metrics, calibration bins and lift by decile on the set.
    pub evaluation: Evaluation,
    /// The operating curve on the set, one count per example (exact counts at up to a few
    /// thousand thresholds): what the ROC, precision-recall and score charts draw.
    pub curve: OperatingCurve,
    /// Age-aware models: the handoff curve of the set's leads replayed through their lives,
    /// the one a cutoff's precision is promised on (see `OperatingCurve::handoff`).
    pub handoff: Option<OperatingCurve>,
    /// The curve the ROC and precision-recall charts draw when `curve` is gated: a flat model
    /// with gates, whose held-back leads are never MQLs, so `curve` stops short of (1, 1) and
    /// is not the curve the ROC AUC and average precision measure. The same holdout without
    /// gates. `None`: they draw `curve`.
    pub drawn: Option<OperatingCurve>,
    /// A labeled file: per boolean, categorical or numeric field, the leads whose value
    /// training did not see (scored as missing, `other` or the nearest training value). `None` for the holdout (not counted).
    pub unseen: Option<Vec<UnseenValues>>,
    /// A labeled file: the model's own cutoffs (chosen on its holdout, as a server chooses
    /// them) judged on the file (`leadscore_core::curve::check_cutoffs`); empty when the
    /// holdout reaches none of the targets. `None` for the holdout, where they were chosen.
    pub model_cutoffs: Option<Vec<CutoffCheck>>,
}

impl EvaluationSet {
    /// The holdout the artifact was evaluated on.
    pub fn holdout(artifact: &ModelArtifact) -> Self {
        let (curve, handoff) = match &artifact.example_curve {
            Some(per_example) => (per_example.clone(), Some(artifact.curve.clone())),
            None => (artifact.curve.clone(), None),
        };
        // A flat model's curve counts its gates; the ROC and precision-recall charts draw
        // the holdout without them, the curve their AUC measures.
        let drawn = match (&artifact.example_curve, &artifact.gate_holdout) {
            (None, Some(h)) if !artifact.gates.is_empty() => h
                .curve(
                    &leadscore_core::gates::Gates::default(),
                    leadscore_core::gates::CURVE_POINTS,
                )
                .ok(),
            _ => None,
        };
        Self {
            name: format!("holdout ({})", artifact.provenance.split),
            evaluation: artifact.evaluation.clone(),
            curve,
            handoff,
            drawn,
            unseen: None,
            model_cutoffs: None,
        }
    }

    /// The curve the ROC and precision-recall charts draw and mark a cutoff on: [`Self::drawn`]
    /// when the set has one, else the per-example curve.
    pub fn charted(&self) -> &OperatingCurve {
        self.drawn.as_ref().unwrap_or(&self.curve)
    }

    /// The curve cutoffs and their precision are judged on: the handoff curve when the set
    /// has one, else the per-example curve.
    pub fn decision_curve(&self) -> &OperatingCurve {
        self.handoff.as_ref().unwrap_or(&self.curve)
    }
}

/// Tiers are `leadscore-core`'s (the server parses and applies the same ones); re-exported
/// here under the names report users know.
pub use leadscore_core::tiers::{TierTarget, Tiers};

/// What a report shows and marks.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// The MQL target precision whose cutoff the charts mark (chosen on the holdout curve, as
    /// the server does).
    pub target_precision: f64,
    /// Confidence of the precision lower bound.
    pub confidence: f64,
    /// Tiers for the "by tier" chart (default: [`Tiers::standard`], the server's).
    pub tiers: Tiers,
    /// Rows of the "what a target precision costs" table.
    pub targets: Vec<f64>,
    /// How many of the strongest weights the weights chart draws (the table lists them all).
    pub top_weights: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            target_precision: 0.5,
            confidence: 0.95,
            tiers: Tiers::standard(),
            targets: (6..=19).map(|k| f64::from(k) / 20.0).collect(),
            top_weights: 25,
        }
    }
}

impl ReportOptions {
    /// Checks the numbers once, at the edge.
    pub fn validate(&self) -> Result<(), ReportError> {
        let in_unit = |x: f64| x > 0.0 && x < 1.0;
        if !in_unit(self.target_precision) {
            return Err(ReportError::Option(format!(
                "target precision {} must lie strictly between 0 and 1",
                self.target_precision
            )));
        }
        // As the server and `score` check it: below 0.5 the "lower" bound lies above the
        // observed precision.
        if let Err(e) = leadscore_core::curve::check_confidence(self.confidence) {
            return Err(ReportError::Option(e.to_string()));
        }
        if let Some(t) = self.targets.iter().find(|t| !in_unit(**t)) {
            return Err(ReportError::Option(format!(
                "table target {t} must lie strictly between 0 and 1"
            )));
        }
        if self.top_weights == 0 {
            return Err(ReportError::Option(
                "the weights chart needs at least one weight".into(),
            ));
        }
        Ok(())
    }
}

/// The cutoff the charts mark: chosen on the artifact's holdout curve for the target, and what
/// it gives on the evaluation set.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkedCutoff {
    /// The cutoff as the server would set it (on the holdout curve).
    pub chosen: OperatingPoint,
    /// The same threshold on the evaluation set (equal to `chosen` for the holdout).
    pub on_set: OperatingPoint,
}

/// The cutoff for `options.target_precision`, or why there is none.
pub fn marked_cutoff(
    artifact: &ModelArtifact,
    set: &EvaluationSet,
    options: &ReportOptions,
) -> Result<MarkedCutoff, CutoffError> {
    let chosen = cutoff_for_precision(
        &artifact.curve,
        options.target_precision,
        options.confidence,
    )?;
    let on_set = set
        .decision_curve()
        .at_threshold(chosen.threshold, options.confidence);
    Ok(MarkedCutoff { chosen, on_set })
}

/// One row of the "what a target precision costs" table.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    /// The target precision.
    pub target: f64,
    /// The cutoff and what it gives, or why the target cannot be met.
    pub cutoff: Result<OperatingPoint, CutoffError>,
}

/// The cutoff for each target on `curve`.
pub fn target_rows(curve: &OperatingCurve, targets: &[f64], confidence: f64) -> Vec<TargetRow> {
    targets
        .iter()
        .map(|&target| TargetRow {
            target,
            cutoff: cutoff_for_precision(curve, target, confidence),
        })
        .collect()
}

/// One tier on the evaluation set.
#[derive(Debug, Clone, PartialEq)]
pub struct TierRow {
    /// Tier name.
    pub name: String,
    /// Its target precision (`None` for the rest).
    pub target: Option<f64>,
    /// Lowest score in the tier: its cutoff (`None` for the rest; also `None` with
    /// `unattainable` when the target cannot be met).
    pub threshold: Option<f64>,
    /// The target cannot be met, so the tier is never given.
    pub unattainable: bool,
    /// Leads of the set in the tier.
    pub leads: u64,
    /// Of those, converted.
    pub converted: u64,
    /// `leads` / all leads of the set.
    pub share_of_leads: f64,
    /// `converted` / `leads` (0 for an empty tier).
    pub conversion_rate: f64,
    /// Conversion rate over the set's base rate.
    pub lift: f64,
}

/// Tiers as the server assigns them (cutoffs chosen on the holdout curve; a lead gets the
/// strictest tier it reaches), counted on the evaluation set.
pub fn tier_rows(
    model_curve: &OperatingCurve,
    set: &EvaluationSet,
    tiers: &Tiers,
    confidence: f64,
) -> Vec<TierRow> {
    let curve = &set.curve;
    let base_rate = ratio(curve.positives, curve.total);
    // (leads, converted) at or above a tier boundary.
    let above = |threshold: f64| {
        let p = curve.at_threshold(threshold, confidence);
        (p.tp + p.fp, p.tp)
    };
    let row = |name: &str, target, threshold, unattainable, leads: u64, converted: u64| {
        let rate = ratio(converted, leads);
        TierRow {
            name: name.to_string(),
            target,
            threshold,
            unattainable,
            leads,
            converted,
            share_of_leads: ratio(leads, curve.total),
            conversion_rate: rate,
            lift: if base_rate > 0.0 {
                rate / base_rate
            } else {
                0.0
            },
        }
    };
    let mut rows = Vec::new();
    let mut upper: Option<f64> = None;
    let mut previous = (0u64, 0u64);
    for t in tiers.cutoffs(model_curve, confidence) {
        match t.point {
            Some(op) => {
                // A looser tier never starts above a stricter one.
                let threshold = upper.map_or(op.threshold, |u: f64| u.min(op.threshold));
                upper = Some(threshold);
                let now = above(threshold);
                rows.push(row(
                    &t.name,
                    Some(t.target_precision),
                    Some(threshold),
                    false,
                    now.0.saturating_sub(previous.0),
                    now.1.saturating_sub(previous.1),
                ));
                previous = now;
            }
            None => rows.push(row(&t.name, Some(t.target_precision), None, true, 0, 0)),
        }
    }
    if let Some(rest) = &tiers.rest {
        rows.push(row(
            rest,
            None,
            None,
            false,
            curve.total.saturating_sub(previous.0),
            curve.positives.saturating_sub(previous.1),
        ));
    }
    rows
}

/// Scores of converted and unconverted leads in equal-width bins over [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ClassHistogram {
    /// Bin edges, `bins + 1` of them, from 0 to 1.
    pub edges: Vec<f64>,
    /// Converted leads per bin.
    pub converted: Vec<u64>,
    /// Unconverted leads per bin.
    pub not_converted: Vec<u64>,
}

/// The score distribution by outcome, read off the operating curve: the leads at or above each
/// bin edge are the counts of the loosest curve point at or above it. Exact when the curve
/// keeps every distinct score (up to its point limit); beyond that a lead can land one bin low
/// when its score lies between an edge and the next kept threshold.
pub fn class_histogram(curve: &OperatingCurve, bins: usize) -> ClassHistogram {
    let bins = bins.max(1);
    let edges: Vec<f64> = (0..=bins).map(|k| k as f64 / bins as f64).collect();
    // (tp, fp) at or above each lower edge; above the last edge (1.0) only scores of exactly 1,
    // which belong to the last bin, so the top bin counts everything from its lower edge.
    let at_or_above: Vec<(u64, u64)> = edges[..bins]
        .iter()
        .map(|&e| {
            let p = curve.at_threshold(e, 0.95);
            (p.tp, p.fp)
        })
        .chain(std::iter::once((0, 0)))
        .collect();
    let mut converted = Vec::with_capacity(bins);
    let mut not_converted = Vec::with_capacity(bins);
    for k in 0..bins {
        converted.push(at_or_above[k].0.saturating_sub(at_or_above[k + 1].0));
        not_converted.push(at_or_above[k].1.saturating_sub(at_or_above[k + 1].1));
    }
    ClassHistogram {
        edges,
        converted,
        not_converted,
    }
}

/// `a / b`, or 0 when `b` is 0.
pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::curve::OperatingCurve;

    fn curve() -> OperatingCurve {
        // 10 leads, 4 converted.
        let scores = [0.97, 0.9, 0.8, 0.72, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
        let labels = [
            true, true, false, true, false, true, false, false, false, false,
        ];
        OperatingCurve::from_scores(&scores, &labels, 100).unwrap()
    }

    fn set(curve: OperatingCurve) -> EvaluationSet {
        let scores = [0.97, 0.9, 0.8, 0.72, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
        let labels = [
            true, true, false, true, false, true, false, false, false, false,
        ];
        EvaluationSet {
            name: "test".into(),
            evaluation: leadscore_core::metrics::evaluate(&scores, &labels).unwrap(),
            curve,
            handoff: None,
            drawn: None,
            unseen: None,
            model_cutoffs: None,
        }
    }

    #[test]
    fn histogram_counts_every_lead_once_in_its_bin() {
        let h = class_histogram(&curve(), 10);
        assert_eq!(h.edges.len(), 11);
        assert_eq!(h.converted.iter().sum::<u64>(), 4);
        assert_eq!(h.not_converted.iter().sum::<u64>(), 6);
        // 0.97 and 0.9 in the top bin, 0.8 (unconverted) in [0.8, 0.9).
        assert_eq!((h.converted[9], h.not_converted[9]), (2, 0));
        assert_eq!((h.converted[8], h.not_converted[8]), (0, 1));
        assert_eq!((h.converted[7], h.not_converted[7]), (1, 0));
        assert_eq!((h.converted[1], h.not_converted[1]), (0, 1));
        assert_eq!((h.converted[0], h.not_converted[0]), (0, 0));
    }

    #[test]
    fn tiers_partition_the_leads() {
        let c = curve();
        let s = set(c.clone());
        let tiers = Tiers::parse("A=0.3,B=0.2,C").unwrap();
        // Few leads: thresholds with support under 30 are skipped, so every target fails.
        let rows = tier_rows(&c, &s, &tiers, 0.95);
        assert!(rows[0].unattainable && rows[1].unattainable);
        assert_eq!(rows[2].name, "C");
        assert_eq!((rows[2].leads, rows[2].converted), (10, 4));
        assert!((rows[2].lift - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tiers_on_a_big_curve_sum_to_the_total() {
        // 400 leads, conversion rising with the score.
        let scores: Vec<f64> = (0..400).map(|i| f64::from(i) / 400.0).collect();
        let labels: Vec<bool> = (0..400).map(|i| (i * 7919) % 400 < i).collect();
        let c = OperatingCurve::from_scores(&scores, &labels, 2000).unwrap();
        let ev = leadscore_core::metrics::evaluate(&scores, &labels).unwrap();
        let s = EvaluationSet {
            name: "x".into(),
            evaluation: ev,
            curve: c.clone(),
            handoff: None,
            drawn: None,
            unseen: None,
            model_cutoffs: None,
        };
        let rows = tier_rows(&c, &s, &Tiers::standard(), 0.95);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.iter().map(|r| r.leads).sum::<u64>(), 400);
        assert_eq!(rows.iter().map(|r| r.converted).sum::<u64>(), c.positives);
        let a = &rows[0];
        assert!(!a.unattainable);
        let op = cutoff_for_precision(&c, 0.8, 0.95).unwrap();
        assert_eq!(a.leads, op.tp + op.fp);
        assert!(a.conversion_rate >= 0.8 - 1e-12);
    }

    #[test]
    fn report_tiers_are_the_servers() {
        // The syntax and its checks are core's (tested there); the report's default is the
        // server's default, and a bad text keeps its message through `ReportError`.
        assert_eq!(
            ReportOptions::default().tiers,
            Tiers::parse("A=0.8,B=0.6,C=0.4,D").unwrap()
        );
        let e = ReportError::from(Tiers::parse("A=x").unwrap_err()).to_string();
        assert!(e.contains("A=x") && e.contains("not a number"), "{e}");
        let e = Tiers::parse("A=0.5,B=0.8").unwrap_err().to_string();
        assert!(e.contains("targets must decrease"), "{e}");
    }

    #[test]
    fn options_are_checked() {
        assert!(ReportOptions::default().validate().is_ok());
        let bad = ReportOptions {
            confidence: 1.0,
            ..ReportOptions::default()
        };
        assert!(bad.validate().is_err());
        // Below 0.5 as the server refuses it: the "lower" bound would lie above the precision.
        for (confidence, ok) in [(0.3, false), (0.4999, false), (0.5, true), (0.99, true)] {
            let o = ReportOptions {
                confidence,
                ..ReportOptions::default()
            };
            assert_eq!(o.validate().is_ok(), ok, "{confidence}");
        }
        assert_eq!(ReportOptions::default().targets.len(), 14);
    }
}
