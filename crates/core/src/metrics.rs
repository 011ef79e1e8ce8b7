//! Offline evaluation metrics for lead scores: ranking quality, probability quality,
//! calibration and lift, computed from predicted conversion probabilities and outcomes.

use serde::{Deserialize, Serialize};

/// Why a metric or operating curve could not be computed; each variant carries the offending numbers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Scores and labels must pair up one to one.
    #[error("scores and labels differ in length: {scores} scores vs {labels} labels")]
    LengthMismatch {
        /// Number of scores given.
        scores: usize,
        /// Number of labels given.
        labels: usize,
    },
    /// No leads were given, so every metric would be 0/0.
    #[error("no scored leads were given")]
    Empty,
    /// A score is NaN or infinite, which cannot be ranked or treated as a probability.
    #[error("score at index {index} is not a finite number ({value})")]
    NonFiniteScore {
        /// Position of the bad score in the input.
        index: usize,
        /// The bad score itself.
        value: f64,
    },
    /// A score lies outside [0, 1] where a probability is required.
    #[error("score at index {index} is {value}, outside the probability range [0, 1]")]
    ScoreOutOfRange {
        /// Position of the bad score in the input.
        index: usize,
        /// The bad score itself.
        value: f64,
    },
    /// The metric needs both converted and unconverted leads.
    #[error(
        "both classes are needed, but there are {positives} positives and {negatives} negatives"
    )]
    SingleClass {
        /// Number of converted leads.
        positives: u64,
        /// Number of unconverted leads.
        negatives: u64,
    },
    /// The metric needs at least one converted lead.
    #[error("at least one positive is needed, but all {n} leads are negatives")]
    NoPositives {
        /// Number of leads given (all negative).
        n: u64,
    },
    /// Calibration needs at least one bin.
    #[error("the number of calibration bins must be at least 1, got {n_bins}")]
    InvalidBinCount {
        /// The requested number of bins.
        n_bins: usize,
    },
    /// An operating curve must keep at least one point.
    #[error("max_points must be at least 1, got {max_points}")]
    InvalidMaxPoints {
        /// The requested maximum number of points.
        max_points: usize,
    },
    /// An operating curve without points cannot describe any cutoff.
    #[error("the operating curve has no points")]
    EmptyCurve,
    /// A curve cannot have more positives than leads.
    #[error("the curve claims {positives} positives out of only {total} leads")]
    CurvePositivesExceedTotal {
        /// Positives recorded on the curve.
        positives: u64,
        /// Total leads recorded on the curve.
        total: u64,
    },
    /// Curve thresholds are scores, so they must be probabilities.
    #[error("curve point {index}: threshold {threshold} is outside [0, 1]")]
    CurveThresholdOutOfRange {
        /// Index of the bad point.
        index: usize,
        /// Its threshold.
        threshold: f64,
    },
    /// Curve points must be ordered strictly from strictest to loosest threshold.
    #[error(
        "curve point {index}: threshold {threshold} is not below the previous threshold {previous}"
    )]
    CurveThresholdNotDescending {
        /// Index of the bad point.
        index: usize,
        /// Its threshold.
        threshold: f64,
        /// Threshold of the point before it.
        previous: f64,
    },
    /// Loosening the threshold can only add leads, so tp and fp must not decrease.
    #[error(
        "curve point {index}: counts (tp {tp}, fp {fp}) decrease from the previous point (tp {previous_tp}, fp {previous_fp})"
    )]
    CurveCountsDecrease {
        /// Index of the bad point.
        index: usize,
        /// Its true positives.
        tp: u64,
        /// Its false positives.
        fp: u64,
        /// True positives of the point before it.
        previous_tp: u64,
        /// False positives of the point before it.
        previous_fp: u64,
    },
    /// A point cannot select more positives than exist.
    #[error("curve point {index}: tp {tp} exceeds the curve's {positives} positives")]
    CurveTpExceedsPositives {
        /// Index of the bad point.
        index: usize,
        /// Its true positives.
        tp: u64,
        /// Positives recorded on the curve.
        positives: u64,
    },
    /// A point cannot select more negatives than exist (so tp + fp cannot exceed the total).
    #[error("curve point {index}: fp {fp} exceeds the curve's {negatives} negatives")]
    CurveFpExceedsNegatives {
        /// Index of the bad point.
        index: usize,
        /// Its false positives.
        fp: u64,
        /// Negatives recorded on the curve (total - positives).
        negatives: u64,
    },
}

/// One equal-width score bin of a reliability diagram, comparing predicted and observed conversion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Inclusive lower edge of the bin.
    pub lower: f64,
    /// Exclusive upper edge of the bin (inclusive for the last bin, so 1.0 is counted).
    pub upper: f64,
    /// Number of leads whose score falls in the bin.
    pub count: u64,
    /// Mean predicted probability of those leads.
    pub mean_score: f64,
    /// Fraction of those leads that converted.
    pub observed_rate: f64,
}

/// One score-ranked group (decile) of leads, showing how much better than average it converts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiftBin {
    /// Group number, 1 = highest scores.
    pub decile: u32,
    /// Number of leads in the group.
    pub count: u64,
    /// Number of converted leads in the group.
    pub positives: u64,
    /// Lowest score in the group.
    pub min_score: f64,
    /// Highest score in the group.
    pub max_score: f64,
    /// Fraction of the group that converted.
    pub conversion_rate: f64,
    /// Conversion rate divided by the overall base rate.
    pub lift: f64,
    /// Share of all positives found in groups 1..=this one.
    pub cumulative_capture: f64,
}

/// The full offline evaluation of a scored, labeled set of leads, ready to serialize into a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Number of leads evaluated.
    pub n: u64,
    /// Number of converted leads.
    pub positives: u64,
    /// Fraction of leads that converted.
    pub base_rate: f64,
    /// Area under the ROC curve (ranking quality); `None` when the leads are of one class
    /// (nobody converted, or everybody did), where no ranking can be judged.
    pub roc_auc: Option<f64>,
    /// Average precision (ranking quality focused on the top); `None` when nobody converted.
    pub pr_auc: Option<f64>,
    /// Mean log loss (probability quality).
    pub log_loss: f64,
    /// Brier score (probability quality).
    pub brier: f64,
    /// Ten equal-width calibration bins (empty bins omitted).
    pub calibration: Vec<CalibrationBin>,
    /// Lift by score decile; empty when nobody converted (a lift divides by the base rate).
    pub lift: Vec<LiftBin>,
}

/// `v` to `decimals` places, or what stands in for a metric the leads' single class leaves
/// out ([`Evaluation::roc_auc`], [`Evaluation::pr_auc`]).
pub fn metric_text(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(
        || "undefined (one class)".into(),
        |v| format!("{v:.decimals$}"),
    )
}

/// Clip applied to probabilities in `log_loss` so that certain-but-wrong predictions stay finite.
const LOG_LOSS_EPS: f64 = 1e-15;

/// Checks that the inputs pair up, are non-empty and finite.
pub(crate) fn check_inputs(scores: &[f64], labels: &[bool]) -> Result<(), MetricsError> {
    if scores.len() != labels.len() {
        return Err(MetricsError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(MetricsError::NonFiniteScore { index, value });
    }
    Ok(())
}

/// Checks the inputs as `check_inputs` does and additionally that every score is in [0, 1].
pub(crate) fn check_probabilities(scores: &[f64], labels: &[bool]) -> Result<(), MetricsError> {
    check_inputs(scores, labels)?;
    if let Some((index, &value)) = scores
        .iter()
        .enumerate()
        .find(|(_, s)| !(0.0..=1.0).contains(*s))
    {
        return Err(MetricsError::ScoreOutOfRange { index, value });
    }
    Ok(())
}

/// Counts (positives, negatives).
pub(crate) fn class_counts(labels: &[bool]) -> (u64, u64) {
    let positives = labels.iter().filter(|&&l| l).count() as u64;
    (positives, labels.len() as u64 - positives)
}

/// Indices of `scores` ordered by score descending, ties kept in original index order.
pub(crate) fn order_descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // `+ 0.0` maps -0.0 to 0.0 so the two zeros tie; sort_by is stable, so ties keep index order.
    order.sort_by(|&a, &b| (scores[b] + 0.0).total_cmp(&(scores[a] + 0.0)));
    order
}

/// For each distinct score (descending): (threshold, tp, fp) counting leads with score >= threshold.
/// Inputs must already have passed `check_inputs`.
pub(crate) fn cumulative_by_threshold(scores: &[f64], labels: &[bool]) -> Vec<(f64, u64, u64)> {
    let mut out: Vec<(f64, u64, u64)> = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    for i in order_descending(scores) {
        let s = scores[i] + 0.0;
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        match out.last_mut() {
            Some(last) if last.0 == s => {
                last.1 = tp;
                last.2 = fp;
            }
            _ => out.push((s, tp, fp)),
        }
    }
    out
}

/// Area under the ROC curve via Mann-Whitney U, ties counted as 1/2; measures ranking quality.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_inputs(scores, labels)?;
    let (positives, negatives) = class_counts(labels);
    if positives == 0 || negatives == 0 {
        return Err(MetricsError::SingleClass {
            positives,
            negatives,
        });
    }
    // Twice the U statistic, kept in integers: each positive in a tie group beats every negative
    // with a lower score (2 each) and ties with each negative in its group (1 each).
    let mut twice_u: u128 = 0;
    let (mut prev_tp, mut prev_fp) = (0u64, 0u64);
    for (_, tp, fp) in cumulative_by_threshold(scores, labels) {
        let pos_g = u128::from(tp - prev_tp);
        let neg_g = u128::from(fp - prev_fp);
        let neg_below = u128::from(negatives - fp);
        twice_u += pos_g * (2 * neg_below + neg_g);
        (prev_tp, prev_fp) = (tp, fp);
    }
    Ok(twice_u as f64 / (2.0 * positives as f64 * negatives as f64))
}

/// Average precision as scikit-learn's `average_precision_score` defines it; summarizes the PR curve.
pub fn pr_auc(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_inputs(scores, labels)?;
    let (positives, _) = class_counts(labels);
    if positives == 0 {
        return Err(MetricsError::NoPositives {
            n: labels.len() as u64,
        });
    }
    let mut ap = 0.0;
    let mut prev_tp = 0u64;
    for (_, tp, fp) in cumulative_by_threshold(scores, labels) {
        if tp > prev_tp {
            let recall_step = (tp - prev_tp) as f64 / positives as f64;
            ap += recall_step * (tp as f64 / (tp + fp) as f64);
        }
        prev_tp = tp;
    }
    Ok(ap)
}

/// Mean binary cross-entropy with probabilities clipped to [1e-15, 1-1e-15]; rewards honest probabilities.
pub fn log_loss(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_probabilities(scores, labels)?;
    let total: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| example_log_loss(s, y))
        .sum();
    Ok(total / scores.len() as f64)
}

/// One example's log loss (`log_loss` is their mean), with the same clip.
pub fn example_log_loss(score: f64, label: bool) -> f64 {
    let p = score.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
    if label {
        -p.ln()
    } else {
        -(1.0 - p).ln()
    }
}

/// Mean squared difference between probability and outcome; a bounded probability-quality score.
pub fn brier(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    check_probabilities(scores, labels)?;
    let total: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| {
            let d = s - if y { 1.0 } else { 0.0 };
            d * d
        })
        .sum();
    Ok(total / scores.len() as f64)
}

/// Index of the equal-width bin holding `s`, consistent with the edges `i / n_bins` reported.
fn bin_index(s: f64, n_bins: usize) -> usize {
    let n = n_bins as f64;
    let last = n_bins - 1;
    let mut i = ((s * n).floor() as usize).min(last);
    // Correct floating-point rounding so the bin's reported [lower, upper) really contains s.
    if i > 0 && s < i as f64 / n {
        i -= 1;
    } else if i < last && s >= (i + 1) as f64 / n {
        i += 1;
    }
    i
}

/// Equal-width reliability bins over [0, 1] (last bin includes 1.0, empty bins omitted); shows calibration.
pub fn calibration_bins(
    scores: &[f64],
    labels: &[bool],
    n_bins: usize,
) -> Result<Vec<CalibrationBin>, MetricsError> {
    if n_bins == 0 {
        return Err(MetricsError::InvalidBinCount { n_bins });
    }
    check_probabilities(scores, labels)?;
    // (count, score sum, positives) per bin; only touched bins are materialised.
    let mut acc: std::collections::BTreeMap<usize, (u64, f64, u64)> = Default::default();
    for (&s, &y) in scores.iter().zip(labels) {
        let e = acc.entry(bin_index(s, n_bins)).or_insert((0, 0.0, 0));
        e.0 += 1;
        e.1 += s;
        e.2 += u64::from(y);
    }
    let n = n_bins as f64;
    Ok(acc
        .into_iter()
        .map(|(i, (count, sum, pos))| CalibrationBin {
            lower: i as f64 / n,
            upper: (i + 1) as f64 / n,
            count,
            mean_score: sum / count as f64,
            observed_rate: pos as f64 / count as f64,
        })
        .collect())
}

/// Splits leads ranked by score into 10 near-equal groups (first groups larger) and reports their lift.
pub fn lift_by_decile(scores: &[f64], labels: &[bool]) -> Result<Vec<LiftBin>, MetricsError> {
    check_inputs(scores, labels)?;
    let (positives, _) = class_counts(labels);
    if positives == 0 {
        return Err(MetricsError::NoPositives {
            n: labels.len() as u64,
        });
    }
    let n = scores.len();
    let base_rate = positives as f64 / n as f64;
    let groups = n.min(10);
    let (size, extra) = (n / groups, n % groups);
    let order = order_descending(scores);
    let mut bins = Vec::with_capacity(groups);
    let mut start = 0usize;
    let mut cum_pos = 0u64;
    for g in 0..groups {
        let len = size + usize::from(g < extra);
        let members = &order[start..start + len];
        start += len;
        let pos = members.iter().filter(|&&i| labels[i]).count() as u64;
        cum_pos += pos;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &i in members {
            lo = lo.min(scores[i] + 0.0);
            hi = hi.max(scores[i] + 0.0);
        }
        let rate = pos as f64 / len as f64;
        bins.push(LiftBin {
            decile: g as u32 + 1,
            count: len as u64,
            positives: pos,
            min_score: lo,
            max_score: hi,
            conversion_rate: rate,
            lift: rate / base_rate,
            cumulative_capture: cum_pos as f64 / positives as f64,
        });
    }
    Ok(bins)
}

/// Computes every metric above in one pass over the inputs, for a model evaluation report.
/// Leads of one class are evaluated too (a month in which nobody converted still shows how
/// well calibrated the scores were): the metrics that need both classes are left out
/// (`roc_auc`, and with no converter `pr_auc` and the lift).
pub fn evaluate(scores: &[f64], labels: &[bool]) -> Result<Evaluation, MetricsError> {
    check_probabilities(scores, labels)?;
    let (positives, negatives) = class_counts(labels);
    let n = labels.len() as u64;
    let both = positives > 0 && negatives > 0;
    Ok(Evaluation {
        n,
        positives,
        base_rate: positives as f64 / n as f64,
        roc_auc: both.then(|| roc_auc(scores, labels)).transpose()?,
        pr_auc: (positives > 0)
            .then(|| pr_auc(scores, labels))
            .transpose()?,
        log_loss: log_loss(scores, labels)?,
        brier: brier(scores, labels)?,
        calibration: calibration_bins(scores, labels, 10)?,
        lift: if positives > 0 {
            lift_by_decile(scores, labels)?
        } else {
            Vec::new()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn input_errors() {
        assert_eq!(
            roc_auc(&[0.1], &[true, false]),
            Err(MetricsError::LengthMismatch {
                scores: 1,
                labels: 2
            })
        );
        assert_eq!(roc_auc(&[], &[]), Err(MetricsError::Empty));
        let e = roc_auc(&[0.1, f64::NAN, 0.3], &[true, false, true]).unwrap_err();
        assert!(matches!(e, MetricsError::NonFiniteScore { index: 1, .. }));
        assert!(e.to_string().contains("index 1"), "{e}");
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[true, true]),
            Err(MetricsError::SingleClass {
                positives: 2,
                negatives: 0
            })
        );
        assert_eq!(
            pr_auc(&[0.1, 0.2], &[false, false]),
            Err(MetricsError::NoPositives { n: 2 })
        );
        assert_eq!(
            log_loss(&[0.5, 1.5], &[true, false]),
            Err(MetricsError::ScoreOutOfRange {
                index: 1,
                value: 1.5
            })
        );
        assert_eq!(
            calibration_bins(&[0.5], &[true], 0),
            Err(MetricsError::InvalidBinCount { n_bins: 0 })
        );
        assert!(lift_by_decile(&[0.5], &[false]).is_err());
        assert!(brier(&[f64::INFINITY], &[true]).is_err());
    }

    #[test]
    fn roc_auc_hand_computed() {
        // Positives 0.8, 0.4; negatives 0.6, 0.4, 0.2.
        // Pairs: 0.8 beats all 3 (3); 0.4 beats 0.2 (1), ties 0.4 (0.5), loses to 0.6. U = 4.5 / 6.
        let s = [0.8, 0.6, 0.4, 0.4, 0.2];
        let y = [true, false, true, false, false];
        assert!(close(roc_auc(&s, &y).unwrap(), 0.75));
        // Perfect and reversed rankings.
        assert!(close(roc_auc(&[0.9, 0.1], &[true, false]).unwrap(), 1.0));
        assert!(close(roc_auc(&[0.9, 0.1], &[false, true]).unwrap(), 0.0));
        // All tied: 0.5.
        assert!(close(
            roc_auc(&[0.3; 4], &[true, false, true, false]).unwrap(),
            0.5
        ));
    }

    #[test]
    fn pr_auc_hand_computed() {
        // sklearn example: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] -> 0.8333...
        let s = [0.1, 0.4, 0.35, 0.8];
        let y = [false, false, true, true];
        assert!(close(pr_auc(&s, &y).unwrap(), 5.0 / 6.0));
        // Ties grouped: s=[0.5,0.5,0.2], y=[1,0,1]: threshold 0.5 -> R=.5,P=.5; 0.2 -> R=1,P=2/3.
        // AP = 0.5*0.5 + 0.5*2/3 = 7/12.
        let s = [0.5, 0.5, 0.2];
        let y = [true, false, true];
        assert!(close(pr_auc(&s, &y).unwrap(), 7.0 / 12.0));
        // All positives: precision 1 everywhere.
        assert!(close(pr_auc(&[0.2, 0.9], &[true, true]).unwrap(), 1.0));
    }

    #[test]
    fn log_loss_and_brier_hand_computed() {
        let s = [0.9, 0.2, 0.6];
        let y = [true, false, false];
        let expected = -((0.9f64).ln() + (0.8f64).ln() + (0.4f64).ln()) / 3.0;
        assert!(close(log_loss(&s, &y).unwrap(), expected));
        let expected_brier = (0.01 + 0.04 + 0.36) / 3.0;
        assert!(close(brier(&s, &y).unwrap(), expected_brier));
        // Clipping keeps certain-but-wrong finite: -ln(1e-15).
        let ll = log_loss(&[0.0], &[true]).unwrap();
        assert!((ll - 34.538776394910684).abs() < 1e-9, "{ll}");
        assert!(log_loss(&[1.0], &[false]).unwrap().is_finite());
    }

    #[test]
    fn calibration_bins_hand_computed() {
        let s = [0.05, 0.15, 0.12, 0.5, 1.0, 0.95, 0.1];
        let y = [false, true, false, true, true, false, false];
        let bins = calibration_bins(&s, &y, 10).unwrap();
        // Bins used: 0 (0.05), 1 (0.15, 0.12, 0.1), 5 (0.5), 9 (1.0, 0.95).
        assert_eq!(bins.len(), 4);
        assert!(close(bins[0].lower, 0.0) && close(bins[0].upper, 0.1));
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[1].count, 3);
        assert!(close(bins[1].lower, 0.1));
        assert!(close(bins[1].mean_score, (0.15 + 0.12 + 0.1) / 3.0));
        assert!(close(bins[1].observed_rate, 1.0 / 3.0));
        assert!(close(bins[2].lower, 0.5) && bins[2].count == 1);
        assert!(close(bins[3].upper, 1.0));
        assert_eq!(bins[3].count, 2);
        assert!(close(bins[3].observed_rate, 0.5));
        // Every boundary value lands in the bin whose reported edges contain it.
        for k in 0..=100 {
            let v = k as f64 / 100.0;
            let b = &calibration_bins(&[v], &[true], 7).unwrap()[0];
            assert!(b.lower <= v && (v < b.upper || (b.upper == 1.0 && v == 1.0)));
        }
        // One bin holds everything.
        let one = calibration_bins(&s, &y, 1).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].count, 7);
    }

    #[test]
    fn lift_hand_computed() {
        // 12 rows -> groups of 2,2,1,...,1 (first two get the extras).
        let s: Vec<f64> = (0..12).map(|i| 1.0 - i as f64 / 12.0).collect();
        let y: Vec<bool> = (0..12).map(|i| i < 3 || i == 7).collect(); // 4 positives
        let bins = lift_by_decile(&s, &y).unwrap();
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 12);
        assert_eq!((bins[0].count, bins[1].count, bins[2].count), (2, 2, 1));
        assert_eq!(bins[0].decile, 1);
        assert_eq!(bins[0].positives, 2);
        assert!(close(bins[0].conversion_rate, 1.0));
        assert!(close(bins[0].lift, 3.0)); // base rate 1/3
        assert!(close(bins[0].max_score, 1.0));
        assert!(close(bins[0].min_score, 1.0 - 1.0 / 12.0));
        assert_eq!(bins[1].positives, 1);
        assert!(close(bins[1].lift, 1.5));
        assert!(close(bins[1].cumulative_capture, 0.75));
        // Row 7 is in group index 5 (rows 0-1, 2-3, 4, 5, 6, 7).
        assert_eq!(bins[5].positives, 1);
        assert!(close(bins[5].cumulative_capture, 1.0));
        assert!(close(bins[9].cumulative_capture, 1.0));
        // Fewer than 10 rows: one group per row, ties ordered by original index.
        let bins = lift_by_decile(&[0.5, 0.5, 0.9], &[false, true, false]).unwrap();
        assert_eq!(bins.len(), 3);
        assert_eq!(
            bins.iter().map(|b| b.positives).collect::<Vec<_>>(),
            vec![0, 0, 1]
        );
    }

    #[test]
    fn evaluate_bundles_everything() {
        let s = [0.8, 0.6, 0.4, 0.4, 0.2];
        let y = [true, false, true, false, false];
        let e = evaluate(&s, &y).unwrap();
        assert_eq!((e.n, e.positives), (5, 2));
        assert!(close(e.base_rate, 0.4));
        assert!(close(e.roc_auc.unwrap(), 0.75));
        assert_eq!(e.lift.len(), 5);
        assert_eq!(e.calibration.iter().map(|b| b.count).sum::<u64>(), 5);
        assert!(close(e.pr_auc.unwrap(), pr_auc(&s, &y).unwrap()));
    }

    #[test]
    fn one_class_leaves_out_what_needs_both() {
        let s = [0.8, 0.3];
        let none = evaluate(&s, &[false, false]).unwrap();
        assert_eq!((none.roc_auc, none.pr_auc, none.positives), (None, None, 0));
        assert!(none.lift.is_empty());
        assert!(close(none.brier, (0.64 + 0.09) / 2.0));
        assert_eq!(none.calibration.len(), 2);
        let all = evaluate(&s, &[true, true]).unwrap();
        assert_eq!((all.roc_auc, all.pr_auc), (None, Some(1.0)));
        assert_eq!(all.lift.len(), 2);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        let s = [-0.0, 0.0];
        assert!(close(roc_auc(&s, &[true, false]).unwrap(), 0.5));
        assert!(close(roc_auc(&s, &[false, true]).unwrap(), 0.5));
    }
}
