//! The operating curve (tp/fp at every score threshold) and the choice of the MQL cutoff:
//! the loosest threshold whose precision is still statistically at or above a target.

use serde::{Deserialize, Serialize};

use crate::metrics::{check_probabilities, class_counts, cumulative_by_threshold, MetricsError};

/// Fewest selected leads a threshold needs before its precision is tested; thinner ones are skipped.
pub const DEFAULT_MIN_SUPPORT: u64 = 30;

/// Why no MQL cutoff could be chosen; each variant carries the numbers that explain it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CutoffError {
    /// The target precision must be a probability strictly between 0 and 1.
    #[error("target precision {} must lie strictly between 0 and 1", trim(*.target, 4))]
    InvalidTarget {
        /// The rejected target.
        target: f64,
    },
    /// The confidence level must be at least 0.5 and below 1: below 0.5 the "lower" bound lies
    /// above the observed precision, so it would promise more than the holdout shows.
    #[error(
        "confidence {} must be at least 0.5 and below 1 (below 0.5 the lower bound lies above the observed precision)",
        trim(*.confidence, 4)
    )]
    InvalidConfidence {
        /// The rejected confidence.
        confidence: f64,
    },
    /// An empty curve offers no threshold to choose.
    #[error("the operating curve has no points")]
    EmptyCurve,
    /// The curve breaks its invariants (e.g. after deserializing), so its numbers cannot be trusted.
    #[error("invalid operating curve: {0}")]
    InvalidCurve(#[from] MetricsError),
    /// No tested threshold reaches the target; reports the best the model does support.
    #[error(
        "target precision {} is not attainable at {}% confidence: the best this model supports is a precision of {:.2} (lower bound {:.2}) at recall {:.2} (cutoff {:.3}){}{}",
        trim(*.target, 4), trim(*.confidence * 100.0, 2), .best_precision, .best_precision_lower_bound, .best_recall, .best_threshold,
        stopped_text(.stopped_at), thin_text(.target, .thin)
    )]
    Unattainable {
        /// The requested precision.
        target: f64,
        /// The requested confidence level.
        confidence: f64,
        /// Highest Wilson lower bound on precision among the candidate points.
        best_precision_lower_bound: f64,
        /// Observed precision at that point.
        best_precision: f64,
        /// Recall at that point.
        best_recall: f64,
        /// Threshold of that point.
        best_threshold: f64,
        /// Set when that best point's bound does reach the target, but testing stopped before
        /// it: the threshold and lower bound of the first tested one (strictest first, with
        /// enough leads) that fell below the target. Fixed-sequence testing accepts nothing
        /// past the first failure, which is what keeps the promise at its confidence.
        stopped_at: Option<(f64, f64)>,
        /// Set when the holdout is too small for the target at all: its converted leads, all
        /// its leads, and the fewest leads a tested cutoff selects. A cutoff of that many leads cannot reach
        /// the target with so few converted among them, however good the model.
        /// (Boxed: the error stays small where it is passed around.)
        thin: Option<Box<(u64, u64, u64)>>,
    },
}

/// The end of [`CutoffError::Unattainable`]'s message when the holdout has too few converted
/// leads for any tested cutoff to reach the target.
fn thin_text(target: &f64, thin: &Option<Box<(u64, u64, u64)>>) -> String {
    match thin.as_deref() {
        None => String::new(),
        // Not even one cutoff is tested: the best point quoted above had too few leads to
        // bound, whatever its bound reads.
        Some((_, total, min_support)) if total < min_support => format!(
            "; there are only {total} leads here and a cutoff is tested only when it selects at \
             least {min_support} (fewer are too few to bound), so no cutoff is tested at all: a \
             larger holdout or more data would let one be"
        ),
        // A labelled file in which nobody converted (`evaluate`, `report --data`).
        Some((0, _, _)) => format!(
            "; none of these leads converted, so no cutoff reaches {}",
            trim(*target, 4)
        ),
        Some((positives, _, min_support)) => format!(
            "; only {positives} of these leads converted and a cutoff is tested only when it \
             selects at least {min_support} (fewer are too few to bound), so no cutoff can \
             reach {} here, however good the model: a larger holdout or more data would let \
             one reach it",
            trim(*target, 4)
        ),
    }
}

/// The end of [`CutoffError::Unattainable`]'s message when testing stopped before a threshold
/// whose bound reaches the target (otherwise the best point and the target contradict each
/// other on their face).
fn stopped_text(stopped_at: &Option<(f64, f64)>) -> String {
    match stopped_at {
        None => String::new(),
        Some((threshold, bound)) => format!(
            "; cutoffs are tested strictest first and testing stops at the first that falls \
             short, cutoff {threshold:.3} (lower bound {bound:.2}), so the looser cutoff above \
             is never reached (more holdout leads tighten the bounds at the strict end)"
        ),
    }
}

/// Formats `x` with at least `decimals` decimals' worth of precision and no trailing zeros, for
/// readable messages: more decimals when fewer would change the value (a target of 0.9999999
/// is not "1"), the shortest exact form in scientific notation when even 17 do not suffice
/// (`5e-324`).
fn trim(x: f64, decimals: usize) -> String {
    // A number of 16 digits or more before the point: its digits say nothing (`1e308`, not
    // 309 digits in a message).
    if x.is_finite() && x.abs() >= 1e15 {
        return format!("{x:e}");
    }
    let close = |s: &str| {
        s.parse::<f64>()
            .is_ok_and(|y| (y - x).abs() <= 1e-12 * x.abs().max(1.0) && (y == 0.0) == (x == 0.0))
    };
    for d in decimals..=17 {
        let s = format!("{x:.d$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if close(&s) {
            return s;
        }
    }
    format!("{x:e}")
}

/// Counts at one score threshold: leads with score >= `threshold` split by outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Score threshold (an MQL has score >= threshold).
    pub threshold: f64,
    /// Converted leads with score >= threshold.
    pub tp: u64,
    /// Unconverted leads with score >= threshold.
    pub fp: u64,
}

/// Exact tp/fp counts at a set of thresholds, strictly descending; everything needed to pick a cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingCurve {
    /// Converted leads in the evaluation set.
    pub positives: u64,
    /// All leads in the evaluation set.
    pub total: u64,
    /// Points with strictly descending thresholds (strictest first).
    pub points: Vec<CurvePoint>,
    /// What one unit of the counts is (absent in artifacts written before handoff curves).
    #[serde(default, skip_serializing_if = "CurveKind::is_per_example")]
    pub kind: CurveKind,
}

/// One lead's (or example's) moments for [`OperatingCurve::from_lives`].
#[derive(Debug, Clone, Copy)]
pub struct Life<'a> {
    /// (score, converts within the horizon after this moment), in time order.
    pub moments: &'a [(f64, bool)],
    /// Whether the lead converts at all (counts in `positives`); `None` = whether any moment's
    /// label is true.
    pub converts: Option<bool>,
    /// False when a gate holds the lead back: it is never selected.
    pub eligible: bool,
}

/// What an operating curve counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveKind {
    /// Each scored example once: selected when its score reaches the threshold, a true
    /// positive when its label is "converted".
    #[default]
    PerExample,
    /// Each lead once, replayed through its life: selected at the first moment its score
    /// reaches the threshold (the handoff to sales), a true positive when it converts within
    /// the horizon after that moment. `positives` counts leads that convert within the
    /// horizon after at least one of their moments. A lower threshold hands a lead over
    /// earlier, so `tp` may fall as the threshold falls; `tp + fp` and `fp` never do.
    Handoff,
}

impl CurveKind {
    fn is_per_example(&self) -> bool {
        *self == Self::PerExample
    }
}

/// What the model does at one cutoff: counts, precision with its lower bound, recall and MQL volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// Threshold of the curve point these numbers describe.
    pub threshold: f64,
    /// Converted leads selected.
    pub tp: u64,
    /// Unconverted leads selected.
    pub fp: u64,
    /// tp / (tp + fp), or 0 when nobody is selected.
    pub precision: f64,
    /// One-sided Wilson lower confidence bound on precision at `confidence`.
    pub precision_lower_bound: f64,
    /// tp / positives, or 0 when there are no positives.
    pub recall: f64,
    /// (tp + fp) / total: share of leads that become MQLs.
    pub mql_rate: f64,
    /// Confidence level used for `precision_lower_bound`.
    pub confidence: f64,
}

impl OperatingCurve {
    /// Builds the curve from scored, labeled leads; at most `max_points` points are kept
    /// (if there are more distinct scores, keep thresholds at evenly spaced ranks, always keeping the
    /// lowest threshold, so that tp/fp at each kept threshold stay exact).
    pub fn from_scores(
        scores: &[f64],
        labels: &[bool],
        max_points: usize,
    ) -> Result<Self, MetricsError> {
        if max_points == 0 {
            return Err(MetricsError::InvalidMaxPoints { max_points });
        }
        check_probabilities(scores, labels)?;
        let (positives, _) = class_counts(labels);
        let all = cumulative_by_threshold(scores, labels);
        let m = all.len();
        let to_point = |&(threshold, tp, fp): &(f64, u64, u64)| CurvePoint { threshold, tp, fp };
        let points = if m <= max_points {
            all.iter().map(to_point).collect()
        } else {
            // Keep ranks ceil(k*m/max) - 1 for k = 1..=max: strictly increasing (m > max), last is m-1.
            let (m128, k_max) = (m as u128, max_points as u128);
            (1..=k_max)
                .filter_map(|k| {
                    let idx = (k * m128).div_ceil(k_max) - 1;
                    all.get(usize::try_from(idx).ok()?).map(to_point)
                })
                .collect()
        };
        Ok(Self {
            positives,
            total: labels.len() as u64,
            points,
            kind: CurveKind::PerExample,
        })
    }

    /// The handoff curve (see [`CurveKind::Handoff`]) of leads replayed through their lives:
    /// `lives[i]` is lead i's (score, label) at each moment it was scored, in time order, the
    /// label saying whether it converts within the horizon after that moment. At threshold t a
    /// lead is selected at its first moment with score >= t. At most `max_points` thresholds
    /// are kept, each with exact counts.
    pub fn handoff(lives: &[Vec<(f64, bool)>], max_points: usize) -> Result<Self, MetricsError> {
        Self::from_lives(
            lives.iter().map(|l| Life {
                moments: l,
                converts: None,
                eligible: true,
            }),
            CurveKind::Handoff,
            max_points,
        )
    }

    /// The curve of leads (or examples) some of which are held back by gates: an ineligible
    /// one counts in `total` and, if it converts, in `positives` (gates cost recall) but is
    /// never selected. With one moment per life this is the per-example curve.
    pub fn from_lives<'a>(
        lives: impl Iterator<Item = Life<'a>>,
        kind: CurveKind,
        max_points: usize,
    ) -> Result<Self, MetricsError> {
        if max_points == 0 {
            return Err(MetricsError::InvalidMaxPoints { max_points });
        }
        // Per lead, its running-maximum records s_1 < s_2 < ... < s_top: for t in
        // (s_{k-1}, s_k] the first moment reaching t is record k's. Sweeping t downwards, at
        // s_k the lead's label becomes record k's (and at s_top it is selected).
        let mut steps: Vec<(f64, i64, i64)> = Vec::new(); // (threshold, d_selected, d_tp)
        let (mut total, mut positives) = (0u64, 0u64);
        let mut scores: Vec<f64> = Vec::new();
        let mut labels: Vec<bool> = Vec::new();
        let mut records: Vec<(f64, bool)> = Vec::new();
        for life in lives {
            if life.moments.is_empty() {
                continue;
            }
            scores.clear();
            labels.clear();
            scores.extend(life.moments.iter().map(|m| m.0));
            labels.extend(life.moments.iter().map(|m| m.1));
            check_probabilities(&scores, &labels)?;
            total += 1;
            positives += u64::from(life.converts.unwrap_or(labels.iter().any(|y| *y)));
            if !life.eligible {
                continue;
            }
            records.clear();
            for &(s, y) in life.moments {
                if records.last().is_none_or(|r| s > r.0) {
                    records.push((s, y));
                }
            }
            let top = records.len() - 1;
            for (k, &(s, y)) in records.iter().enumerate() {
                let later = if k < top {
                    i64::from(records[k + 1].1)
                } else {
                    0
                };
                steps.push((s, i64::from(k == top), i64::from(y) - later));
            }
        }
        steps.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut all: Vec<CurvePoint> = Vec::new();
        let (mut selected, mut tp) = (0i64, 0i64);
        let mut i = 0;
        while i < steps.len() {
            let t = steps[i].0;
            while i < steps.len() && steps[i].0 == t {
                selected += steps[i].1;
                tp += steps[i].2;
                i += 1;
            }
            all.push(CurvePoint {
                threshold: t,
                tp: tp as u64,
                fp: (selected - tp) as u64,
            });
        }
        let m = all.len();
        let points = if m <= max_points {
            all
        } else {
            let (m128, k_max) = (m as u128, max_points as u128);
            (1..=k_max)
                .filter_map(|k| {
                    let idx = (k * m128).div_ceil(k_max) - 1;
                    all.get(usize::try_from(idx).ok()?).cloned()
                })
                .collect()
        };
        if points.is_empty() {
            // Every lead held back: one point that selects nobody.
            return Ok(Self {
                positives,
                total,
                points: vec![CurvePoint {
                    threshold: 1.0,
                    tp: 0,
                    fp: 0,
                }],
                kind,
            });
        }
        Ok(Self {
            positives,
            total,
            points,
            kind,
        })
    }

    /// Checks invariants after deserializing: thresholds strictly descending and in [0,1], tp/fp non-decreasing, tp <= positives, tp+fp <= total; error says which point is wrong.
    pub fn validate(&self) -> Result<(), MetricsError> {
        if self.points.is_empty() {
            return Err(MetricsError::EmptyCurve);
        }
        if self.positives > self.total {
            return Err(MetricsError::CurvePositivesExceedTotal {
                positives: self.positives,
                total: self.total,
            });
        }
        let negatives = self.total - self.positives;
        let mut prev: Option<&CurvePoint> = None;
        for (index, p) in self.points.iter().enumerate() {
            if !(0.0..=1.0).contains(&p.threshold) {
                return Err(MetricsError::CurveThresholdOutOfRange {
                    index,
                    threshold: p.threshold,
                });
            }
            if let Some(q) = prev {
                if p.threshold >= q.threshold {
                    return Err(MetricsError::CurveThresholdNotDescending {
                        index,
                        threshold: p.threshold,
                        previous: q.threshold,
                    });
                }
                let decreases = match self.kind {
                    CurveKind::PerExample => p.tp < q.tp || p.fp < q.fp,
                    CurveKind::Handoff => p.tp + p.fp < q.tp + q.fp || p.fp < q.fp,
                };
                if decreases {
                    return Err(MetricsError::CurveCountsDecrease {
                        index,
                        tp: p.tp,
                        fp: p.fp,
                        previous_tp: q.tp,
                        previous_fp: q.fp,
                    });
                }
            }
            if p.tp > self.positives {
                return Err(MetricsError::CurveTpExceedsPositives {
                    index,
                    tp: p.tp,
                    positives: self.positives,
                });
            }
            // With tp <= positives this also guarantees tp + fp <= total. (On a handoff
            // curve a lead converting later than the horizon after its handoff is a false
            // positive although it counts among the positives.)
            let fp_limit = match self.kind {
                CurveKind::PerExample => negatives,
                CurveKind::Handoff => self.total - p.tp.min(self.total),
            };
            if p.fp > fp_limit {
                return Err(MetricsError::CurveFpExceedsNegatives {
                    index,
                    fp: p.fp,
                    negatives: fp_limit,
                });
            }
            prev = Some(p);
        }
        Ok(())
    }

    /// The operating point at cutoff `threshold`: the loosest curve point whose threshold is >= it,
    /// i.e. exactly the leads with score >= `threshold` on a full curve (a threshold above every point selects nobody).
    #[must_use]
    pub fn at_threshold(&self, threshold: f64, confidence: f64) -> OperatingPoint {
        match self.points.iter().rev().find(|p| p.threshold >= threshold) {
            Some(p) => self.point(p, confidence),
            None => self.point(
                &CurvePoint {
                    threshold,
                    tp: 0,
                    fp: 0,
                },
                confidence,
            ),
        }
    }

    /// Derives precision, its lower bound, recall and MQL rate for one curve point.
    fn point(&self, p: &CurvePoint, confidence: f64) -> OperatingPoint {
        let selected = p.tp.saturating_add(p.fp);
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        OperatingPoint {
            threshold: p.threshold,
            tp: p.tp,
            fp: p.fp,
            precision: ratio(p.tp, selected),
            precision_lower_bound: wilson_lower_bound(p.tp, selected, confidence),
            recall: ratio(p.tp, self.positives),
            mql_rate: ratio(selected, self.total),
            confidence,
        }
    }
}

/// Complementary error function to ~1e-15 relative accuracy (series below 1, continued fraction above).
fn erfc(x: f64) -> f64 {
    const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.0 {
        // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)); all terms positive.
        let x2 = x * x;
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= 2.0 * x2 / (2 * n + 1) as f64;
            sum += term;
            if term <= sum * 1e-17 {
                break;
            }
        }
        return 1.0 - 2.0 * FRAC_1_SQRT_PI * (-x2).exp() * sum;
    }
    if x > 27.0 {
        return 0.0; // below the smallest subnormal
    }
    // At most ~190 terms for x >= 1. erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by modified Lentz.
    const TINY: f64 = 1e-300;
    let mut f = x;
    let (mut c, mut d) = (x, 0.0);
    for i in 1..500 {
        let a = i as f64 / 2.0;
        d = x + a * d;
        if d == 0.0 {
            d = TINY;
        }
        c = x + a / c;
        if c == 0.0 {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    FRAC_1_SQRT_PI * (-x * x).exp() / f
}

/// Standard normal quantile Phi^{-1}(p) (Acklam + one Halley step; ~1e-15), for confidence-bound z values.
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // 1 - p is exact here; refining in the lower tail keeps erfc's relative accuracy.
        return -normal_quantile(1.0 - p);
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    let x = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step on Phi(x) - p, with Phi(x) = erfc(-x/sqrt 2)/2.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    let refined = x - u / (1.0 + x * u / 2.0);
    if refined.is_finite() {
        refined
    } else {
        x
    }
}

/// One-sided Wilson score lower bound on a proportion at `confidence` (0 when trials = 0 or confidence is not in (0,1)).
#[must_use]
pub fn wilson_lower_bound(successes: u64, trials: u64, confidence: f64) -> f64 {
    if trials == 0 || confidence.is_nan() || confidence <= 0.0 || confidence >= 1.0 {
        return 0.0;
    }
    let n = trials as f64;
    let p_hat = successes.min(trials) as f64 / n;
    let z = normal_quantile(confidence);
    let z2 = z * z;
    let centre = p_hat + z2 / (2.0 * n);
    let margin = z * (p_hat * (1.0 - p_hat) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).clamp(0.0, 1.0)
}

/// The MQL cutoff for `target` precision at `confidence`, skipping thresholds with fewer than [`DEFAULT_MIN_SUPPORT`] leads.
pub fn cutoff_for_precision(
    curve: &OperatingCurve,
    target: f64,
    confidence: f64,
) -> Result<OperatingPoint, CutoffError> {
    cutoff_for_precision_with_support(curve, target, confidence, DEFAULT_MIN_SUPPORT)
}

/// Checks a confidence level for a precision lower bound: at least 0.5 and below 1 (below 0.5
/// the Wilson "lower" bound lies above the observed precision).
pub fn check_confidence(confidence: f64) -> Result<(), CutoffError> {
    if (0.5..1.0).contains(&confidence) {
        Ok(())
    } else {
        Err(CutoffError::InvalidConfidence { confidence })
    }
}

/// The MQL cutoff by fixed-sequence testing: the loosest threshold reached, strictest first, while every tested Wilson bound stays >= `target`.
pub fn cutoff_for_precision_with_support(
    curve: &OperatingCurve,
    target: f64,
    confidence: f64,
    min_support: u64,
) -> Result<OperatingPoint, CutoffError> {
    if !(target > 0.0 && target < 1.0) {
        return Err(CutoffError::InvalidTarget { target });
    }
    check_confidence(confidence)?;
    if curve.points.is_empty() {
        return Err(CutoffError::EmptyCurve);
    }
    curve.validate()?;

    let supported = |p: &&CurvePoint| p.tp.saturating_add(p.fp) >= min_support;
    let mut accepted: Option<OperatingPoint> = None;
    let mut failed: Option<(f64, f64)> = None;
    for p in curve.points.iter().filter(supported) {
        let op = curve.point(p, confidence);
        if op.precision_lower_bound < target {
            failed = Some((op.threshold, op.precision_lower_bound));
            break;
        }
        accepted = Some(op);
    }
    if let Some(op) = accepted {
        return Ok(op);
    }

    // Report the best-supported point: highest lower bound (ties go to the looser, higher-recall one).
    let candidates: Vec<&CurvePoint> = if curve.points.iter().any(|p| supported(&p)) {
        curve.points.iter().filter(supported).collect()
    } else {
        curve.points.iter().collect()
    };
    let mut best: Option<OperatingPoint> = None;
    for p in candidates {
        let op = curve.point(p, confidence);
        if best
            .as_ref()
            .is_none_or(|b| op.precision_lower_bound >= b.precision_lower_bound)
        {
            best = Some(op);
        }
    }
    let best = best.ok_or(CutoffError::EmptyCurve)?;
    Err(CutoffError::Unattainable {
        target,
        confidence,
        best_precision_lower_bound: best.precision_lower_bound,
        best_precision: best.precision,
        best_recall: best.recall,
        best_threshold: best.threshold,
        stopped_at: failed.filter(|_| best.precision_lower_bound >= target),
        thin: (curve.total < min_support || (curve.positives as f64) < target * min_support as f64)
            .then(|| Box::new((curve.positives, curve.total, min_support))),
    })
}

/// Cutoffs for named tiers (e.g. A >= 0.8, B >= 0.6) with default support; `None` when a tier's target is unattainable or invalid.
#[must_use]
pub fn tier_cutoffs(
    curve: &OperatingCurve,
    targets: &[(String, f64)],
    confidence: f64,
) -> Vec<(String, Option<OperatingPoint>)> {
    targets
        .iter()
        .map(|(name, target)| {
            (
                name.clone(),
                cutoff_for_precision(curve, *target, confidence).ok(),
            )
        })
        .collect()
}

/// The target precisions whose cutoffs `evaluate` and the report judge on fresh data
/// ([`check_cutoffs`]) and show the cost of.
pub const CHECKED_TARGETS: [f64; 6] = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

/// One of a model's own cutoffs judged on fresh data ([`check_cutoffs`]). In JSON, `here`'s
/// `recall` is `null` when nobody converted in this data (0 of 0), and `converted` counts those
/// who did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "CutoffCheckJson")]
pub struct CutoffCheck {
    /// The target precision the cutoff was chosen for.
    pub target: f64,
    /// What the model's holdout promised at it (its threshold is the cutoff).
    pub promised: OperatingPoint,
    /// The same cutoff on this data (its `threshold` is the cutoff too).
    pub here: OperatingPoint,
    /// The one-sided upper confidence bound on `here.precision` (1 when nobody is selected).
    pub precision_upper_bound: f64,
    /// `holds` (the lower bound here reaches the target), `below` (even the upper bound is
    /// under it: the promise is broken beyond chance), `within_chance` (between the two: the
    /// precision here is within chance of the target, above or under it) or `no_mqls` (the
    /// cutoff selects nobody here).
    pub verdict: CutoffVerdict,
    /// The converted leads (examples, on a per-example curve) in this data: `here.recall`'s
    /// denominator; with none, that recall is undefined (`here.recall` holds 0).
    pub converted: u64,
}

/// [`CutoffCheck`] as JSON: the same fields, with `here.recall` undefined (`null`) when nobody
/// converted.
#[derive(Serialize)]
struct CutoffCheckJson {
    target: f64,
    promised: OperatingPoint,
    here: PointJson,
    precision_upper_bound: f64,
    verdict: CutoffVerdict,
    converted: u64,
}

/// An [`OperatingPoint`] whose recall may be undefined; its fields in the same order.
#[derive(Serialize)]
struct PointJson {
    threshold: f64,
    tp: u64,
    fp: u64,
    precision: f64,
    precision_lower_bound: f64,
    recall: Option<f64>,
    mql_rate: f64,
    confidence: f64,
}

impl From<CutoffCheck> for CutoffCheckJson {
    fn from(c: CutoffCheck) -> Self {
        let h = c.here;
        Self {
            target: c.target,
            promised: c.promised,
            here: PointJson {
                threshold: h.threshold,
                tp: h.tp,
                fp: h.fp,
                precision: h.precision,
                precision_lower_bound: h.precision_lower_bound,
                recall: (c.converted > 0).then_some(h.recall),
                mql_rate: h.mql_rate,
                confidence: h.confidence,
            },
            precision_upper_bound: c.precision_upper_bound,
            verdict: c.verdict,
            converted: c.converted,
        }
    }
}

/// How a cutoff's promise fared on fresh data (see [`CutoffCheck::verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CutoffVerdict {
    Holds,
    WithinChance,
    Below,
    NoMqls,
}

impl CutoffVerdict {
    /// The verdict in words, for the text report.
    pub fn words(self) -> &'static str {
        match self {
            Self::Holds => "holds",
            Self::WithinChance => "within chance of the target",
            Self::Below => "BELOW the target",
            Self::NoMqls => "no MQLs here",
        }
    }
}

/// The model's cutoff for each of `targets` that `model_curve` (its holdout's, the one a
/// server chooses its cutoff on) reaches, judged on `here`, a curve of fresh data with every
/// distinct score (so a cutoff selects exactly the leads whose score reaches it).
pub fn check_cutoffs(
    model_curve: &OperatingCurve,
    here: &OperatingCurve,
    targets: &[f64],
) -> Vec<CutoffCheck> {
    const CONFIDENCE: f64 = 0.95;
    targets
        .iter()
        .filter_map(|&target| {
            let promised = cutoff_for_precision(model_curve, target, CONFIDENCE).ok()?;
            let mut at = here.at_threshold(promised.threshold, CONFIDENCE);
            // `at_threshold` names the curve point it read (the lowest score here at or above
            // the cutoff, or 1 when none is): the cutoff is what was applied.
            at.threshold = promised.threshold;
            let selected = at.tp + at.fp;
            let upper = if selected == 0 {
                1.0
            } else {
                1.0 - wilson_lower_bound(at.fp, selected, CONFIDENCE)
            };
            let verdict = if selected == 0 {
                CutoffVerdict::NoMqls
            } else if at.precision_lower_bound >= target {
                CutoffVerdict::Holds
            } else if upper < target {
                CutoffVerdict::Below
            } else {
                CutoffVerdict::WithinChance
            };
            Some(CutoffCheck {
                target,
                promised,
                here: at,
                precision_upper_bound: upper,
                verdict,
                converted: here.positives,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const Z95: f64 = 1.644_853_626_951_472_2;

    fn pt(threshold: f64, tp: u64, fp: u64) -> CurvePoint {
        CurvePoint { threshold, tp, fp }
    }

    /// Wilson lower bound written out directly from the textbook formula.
    fn wilson_formula(s: f64, n: f64, z: f64) -> f64 {
        let p = s / n;
        (p + z * z / (2.0 * n) - z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt())
            / (1.0 + z * z / n)
    }

    /// Hand-made curve: 200 positives of 1000 leads.
    fn hand_curve() -> OperatingCurve {
        OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 200,
            total: 1000,
            points: vec![
                pt(0.9, 45, 0),   // p 1.000, lb 0.9433
                pt(0.8, 90, 5),   // p 0.947, lb 0.8958
                pt(0.7, 140, 20), // p 0.875, lb 0.8257
                pt(0.6, 170, 60), // p 0.739
                pt(0.1, 200, 800),
            ],
        }
    }

    /// Tiny deterministic LCG for test randomness.
    struct Lcg(u64);
    impl Lcg {
        fn next_u32(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }
        fn unit(&mut self) -> f64 {
            f64::from(self.next_u32()) / f64::from(u32::MAX)
        }
    }

    #[test]
    fn erfc_known_values() {
        // Reference values from Python's math.erfc.
        let cases = [
            (0.0, 1.0),
            (0.3, 0.6713732405408726),
            (0.5, 0.4795001221869535),
            (0.9, 0.20309178757716786),
            (1.2, 0.08968602177036465),
            (1.7, 0.016209541409225436),
            (2.5, 0.0004069520174449589),
            (4.5, 1.9661604415428873e-10),
            (6.0, 2.1519736712498916e-17),
            (1.0, 0.15729920705028513),
            (1.5, 0.033894853524689274),
            (1.99, 0.004888586800383003),
            (2.0, 0.004677734981047265),
            (3.0, 2.2090496998585438e-05),
            (5.0, 1.5374597944280351e-12),
            (-1.0, 1.842700792949715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-14,
                "erfc({x}) = {got}, want {want}"
            );
        }
        assert_eq!(erfc(30.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn normal_quantile_known_values() {
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((normal_quantile(0.95) - 1.6448536269514722).abs() < 1e-14);
        assert!((normal_quantile(0.025) + 1.959963984540054).abs() < 1e-14);
        assert_eq!(normal_quantile(0.5), 0.0);
        // Tail value (Python statistics.NormalDist().inv_cdf(1e-10) = -6.361340902404056).
        assert!((normal_quantile(1e-10) + 6.361340902404056).abs() < 1e-12);
        assert!((normal_quantile(0.99) - 2.3263478740408408).abs() < 1e-14);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn wilson_known_values() {
        let got = wilson_lower_bound(8, 10, 0.95);
        assert!((got - wilson_formula(8.0, 10.0, Z95)).abs() < 1e-12);
        // Hand arithmetic: (0.8 + 0.135277 - 1.644854 * 0.150877) / 1.270554 = 0.540793...
        assert!((got - 0.540793).abs() < 1e-6, "{got}");
        // All successes: 1 / (1 + z^2/n).
        assert!((wilson_lower_bound(45, 45, 0.95) - 1.0 / (1.0 + Z95 * Z95 / 45.0)).abs() < 1e-12);
        assert_eq!(wilson_lower_bound(0, 0, 0.95), 0.0);
        assert_eq!(wilson_lower_bound(0, 10, 0.95), 0.0);
        assert_eq!(wilson_lower_bound(3, 10, f64::NAN), 0.0);
        assert_eq!(wilson_lower_bound(3, 10, 1.0), 0.0);
        // More evidence at the same proportion gives a tighter (higher) bound.
        let mut prev = 0.0;
        for n in [10u64, 20, 50, 100, 1000, 100_000] {
            let lb = wilson_lower_bound(n * 8 / 10, n, 0.95);
            assert!(lb > prev && lb < 0.8, "n={n} lb={lb}");
            prev = lb;
        }
        // Higher confidence gives a lower bound.
        assert!(wilson_lower_bound(8, 10, 0.99) < wilson_lower_bound(8, 10, 0.95));
    }

    #[test]
    fn from_scores_counts_and_subsampling() {
        let s = [0.9, 0.8, 0.8, 0.5, 0.2];
        let y = [true, false, true, true, false];
        let c = OperatingCurve::from_scores(&s, &y, 100).unwrap();
        assert_eq!((c.positives, c.total), (3, 5));
        assert_eq!(
            c.points,
            vec![pt(0.9, 1, 0), pt(0.8, 2, 1), pt(0.5, 3, 1), pt(0.2, 3, 2)]
        );
        c.validate().unwrap();
        // 4 distinct -> 2 points: ranks ceil(1*4/2)-1 = 1 and 3 (lowest kept).
        let c2 = OperatingCurve::from_scores(&s, &y, 2).unwrap();
        assert_eq!(c2.points, vec![pt(0.8, 2, 1), pt(0.2, 3, 2)]);
        let c1 = OperatingCurve::from_scores(&s, &y, 1).unwrap();
        assert_eq!(c1.points, vec![pt(0.2, 3, 2)]);
        assert_eq!(
            OperatingCurve::from_scores(&s, &y, 0),
            Err(MetricsError::InvalidMaxPoints { max_points: 0 })
        );
        assert!(OperatingCurve::from_scores(&[0.5, f64::NAN], &[true, false], 5).is_err());
        assert!(OperatingCurve::from_scores(&[], &[], 5).is_err());
        assert!(OperatingCurve::from_scores(&[0.5], &[true, false], 5).is_err());
        // Single class is allowed; the curve is still valid.
        let neg = OperatingCurve::from_scores(&[0.3, 0.4], &[false, false], 5).unwrap();
        neg.validate().unwrap();
        assert!(cutoff_for_precision_with_support(&neg, 0.5, 0.95, 0).is_err());
    }

    #[test]
    fn validate_reports_the_bad_point() {
        let mut c = hand_curve();
        c.validate().unwrap();
        c.points[2].threshold = 0.85;
        assert!(matches!(
            c.validate(),
            Err(MetricsError::CurveThresholdNotDescending { index: 2, .. })
        ));
        let mut c = hand_curve();
        c.points[3].tp = 100;
        assert!(matches!(
            c.validate(),
            Err(MetricsError::CurveCountsDecrease { index: 3, .. })
        ));
        let mut c = hand_curve();
        c.points[4].tp = 201;
        assert!(matches!(
            c.validate(),
            Err(MetricsError::CurveTpExceedsPositives { index: 4, .. })
        ));
        let mut c = hand_curve();
        c.points[4].fp = 801;
        assert!(matches!(
            c.validate(),
            Err(MetricsError::CurveFpExceedsNegatives { index: 4, .. })
        ));
        let mut c = hand_curve();
        c.points[0].threshold = f64::NAN;
        assert!(matches!(
            c.validate(),
            Err(MetricsError::CurveThresholdOutOfRange { index: 0, .. })
        ));
        let mut c = hand_curve();
        c.total = 100;
        assert!(c.validate().is_err());
        c.points.clear();
        assert_eq!(c.validate(), Err(MetricsError::EmptyCurve));
        // A corrupt curve is refused by the cutoff search.
        let mut c = hand_curve();
        c.points[1].fp = 10_000;
        assert!(matches!(
            cutoff_for_precision(&c, 0.8, 0.95),
            Err(CutoffError::InvalidCurve(_))
        ));
    }

    #[test]
    fn at_threshold_semantics() {
        let c = hand_curve();
        let op = c.at_threshold(0.7, 0.95);
        assert_eq!((op.threshold, op.tp, op.fp), (0.7, 140, 20));
        assert!((op.precision - 0.875).abs() < 1e-12);
        assert!((op.recall - 0.7).abs() < 1e-12);
        assert!((op.mql_rate - 0.16).abs() < 1e-12);
        assert!((op.precision_lower_bound - wilson_formula(140.0, 160.0, Z95)).abs() < 1e-12);
        // Between points: leads with score >= 0.75 are those at the 0.8 point.
        let op = c.at_threshold(0.75, 0.95);
        assert_eq!((op.threshold, op.tp, op.fp), (0.8, 90, 5));
        // Above every point: nobody.
        let op = c.at_threshold(0.95, 0.95);
        assert_eq!((op.tp, op.fp, op.precision, op.mql_rate), (0, 0, 0.0, 0.0));
        // Below every point: the loosest point.
        assert_eq!(c.at_threshold(0.0, 0.95).tp, 200);
    }

    #[test]
    fn hand_made_curve_known_answers() {
        let c = hand_curve();
        // lbs: 0.9433, 0.8958, 0.8257, ~0.69, ~0.18.
        let op = cutoff_for_precision(&c, 0.8, 0.95).unwrap();
        assert_eq!((op.threshold, op.tp, op.fp), (0.7, 140, 20));
        assert!((op.precision_lower_bound - 0.8257).abs() < 1e-4);
        let op = cutoff_for_precision(&c, 0.85, 0.95).unwrap();
        assert_eq!(op.threshold, 0.8);
        let op = cutoff_for_precision(&c, 0.94, 0.95).unwrap();
        assert_eq!(op.threshold, 0.9);
        let op = cutoff_for_precision(&c, 0.1, 0.95).unwrap();
        assert_eq!(op.threshold, 0.1);
    }

    /// When the strict end falls short and a looser cutoff would pass, the error says why
    /// nothing was accepted instead of quoting a best bound above the target unexplained.
    #[test]
    fn a_stop_at_the_strict_end_is_explained() {
        let c = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 200,
            total: 1000,
            points: vec![
                pt(0.9, 16, 14),  // p 0.533, lb ~0.37: falls short of 0.5
                pt(0.8, 120, 30), // p 0.800, lb ~0.74: would pass
                pt(0.1, 200, 800),
            ],
        };
        let err = cutoff_for_precision(&c, 0.5, 0.95).unwrap_err();
        let CutoffError::Unattainable {
            best_threshold,
            best_precision_lower_bound,
            stopped_at,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*best_threshold, 0.8);
        assert!(*best_precision_lower_bound > 0.5);
        let (at, bound) = stopped_at.expect("stopped early");
        assert_eq!(at, 0.9);
        assert!(bound < 0.5);
        let msg = err.to_string();
        assert!(
            msg.contains(
                "testing stops at the first that falls short, cutoff 0.900 (lower bound 0.3"
            ),
            "{msg}"
        );
        // A target nothing reaches says nothing of the kind.
        let CutoffError::Unattainable { stopped_at, .. } =
            cutoff_for_precision(&c, 0.9, 0.95).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(stopped_at, None);
    }

    #[test]
    fn a_holdout_too_small_for_the_target_says_so() {
        // 11 converted among 60: the top 10 all converted, but a tested cutoff selects 30+
        // leads, of which at most 11 converted (0.37 < 0.5).
        let c = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 11,
            total: 60,
            points: vec![pt(0.9, 10, 0), pt(0.5, 11, 20), pt(0.1, 11, 49)],
        };
        let msg = cutoff_for_precision(&c, 0.5, 0.95).unwrap_err().to_string();
        assert!(
            msg.contains("only 11 of these leads converted") && msg.contains("at least 30"),
            "{msg}"
        );
        // Nobody converted (a labelled file of one class): said so, no advice about size.
        let none = OperatingCurve {
            positives: 0,
            points: vec![pt(0.9, 0, 10), pt(0.5, 0, 30), pt(0.1, 0, 60)],
            ..c
        };
        let msg = cutoff_for_precision(&none, 0.5, 0.95)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("none of these leads converted") && !msg.contains("larger"),
            "{msg}"
        );
        // A holdout with enough converted leads does not say it.
        let msg = cutoff_for_precision(&hand_curve(), 0.99, 0.95)
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("leads converted"), "{msg}");
    }

    #[test]
    fn unattainable_target_reports_best() {
        let c = hand_curve();
        let err = cutoff_for_precision(&c, 0.95, 0.95).unwrap_err();
        match &err {
            CutoffError::Unattainable {
                best_precision,
                best_precision_lower_bound,
                best_recall,
                best_threshold,
                ..
            } => {
                assert_eq!(*best_precision, 1.0);
                assert!((best_precision_lower_bound - 0.9433).abs() < 1e-4);
                assert!((best_recall - 0.225).abs() < 1e-12);
                assert_eq!(*best_threshold, 0.9);
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert_eq!(
            msg,
            "target precision 0.95 is not attainable at 95% confidence: the best this model \
             supports is a precision of 1.00 (lower bound 0.94) at recall 0.23 (cutoff 0.900)"
        );
        // A target or confidence that rounds to another number is written out in full: 0.9999999
        // is not "1", 5e-324 is not "0", a 99.99999% confidence is not "100%".
        let msg = cutoff_for_precision(&c, 0.9999999, 0.9999999)
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("target precision 0.9999999 is not attainable at 99.99999% confidence"),
            "{msg}"
        );
        assert_eq!(trim(5e-324, 4), "5e-324");
        assert_eq!(trim(0.95 * 100.0, 2), "95");
        assert_eq!(trim(0.999 * 100.0, 2), "99.9");
        assert_eq!(trim(0.5, 4), "0.5");
        assert_eq!(trim(1e308, 4), "1e308");
        assert_eq!(
            CutoffError::InvalidTarget { target: 1e308 }.to_string(),
            "target precision 1e308 must lie strictly between 0 and 1"
        );
        // A second curve where the best precision is not 1.
        let c2 = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 50,
            total: 100,
            points: vec![pt(0.9, 40, 4), pt(0.5, 50, 50)],
        };
        let msg = cutoff_for_precision(&c2, 0.95, 0.95)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("precision of 0.91"), "{msg}");
        assert!(msg.contains("at 95% confidence"), "{msg}");
    }

    #[test]
    fn invalid_inputs() {
        let c = hand_curve();
        for t in [0.0, 1.0, -0.2, 1.5, f64::NAN] {
            assert!(matches!(
                cutoff_for_precision(&c, t, 0.95),
                Err(CutoffError::InvalidTarget { .. })
            ));
        }
        // Below 0.5 the Wilson "lower" bound lies above the observed precision (0.01 made a
        // 0.43 precision look like a 0.50 lower bound): refused, as 1 and above are.
        for conf in [0.0, 1.0, f64::NAN, 2.0, 0.01, 0.4999] {
            assert!(matches!(
                cutoff_for_precision(&c, 0.8, conf),
                Err(CutoffError::InvalidConfidence { .. })
            ));
        }
        assert!(cutoff_for_precision(&c, 0.5, 0.5).is_ok());
        let empty = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 0,
            total: 0,
            points: vec![],
        };
        assert_eq!(
            cutoff_for_precision(&empty, 0.8, 0.95),
            Err(CutoffError::EmptyCurve)
        );
    }

    #[test]
    fn thin_leading_points_are_skipped() {
        let c = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 150,
            total: 400,
            points: vec![
                pt(0.99, 1, 1),
                pt(0.95, 5, 3),
                pt(0.9, 100, 3),
                pt(0.5, 150, 250),
            ],
        };
        // With support 30 the first two (2 and 8 leads) are not tested; 0.9 passes.
        let op = cutoff_for_precision(&c, 0.9, 0.95).unwrap();
        assert_eq!((op.threshold, op.tp), (0.9, 100));
        // Testing everything, the 1-of-2 point fails first.
        assert!(matches!(
            cutoff_for_precision_with_support(&c, 0.9, 0.95, 0),
            Err(CutoffError::Unattainable { .. })
        ));
        // No point has enough support: error, best chosen among all points.
        let thin = OperatingCurve {
            kind: CurveKind::PerExample,
            positives: 10,
            total: 20,
            points: vec![pt(0.9, 5, 0), pt(0.5, 10, 10)],
        };
        match cutoff_for_precision(&thin, 0.5, 0.95) {
            Err(e @ CutoffError::Unattainable { best_threshold, .. }) => {
                assert_eq!(best_threshold, 0.9);
                // The best point's bound may read above the target: the message says why
                // nothing was tested.
                let m = e.to_string();
                assert!(
                    m.contains("only 20 leads") && m.contains("no cutoff is tested at all"),
                    "{m}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn lower_target_never_raises_cutoff_and_bound_holds() {
        let mut rng = Lcg(7);
        for _ in 0..20 {
            let n = 500;
            let scores: Vec<f64> = (0..n)
                .map(|_| (rng.unit() * 100.0).round() / 100.0)
                .collect();
            let labels: Vec<bool> = scores.iter().map(|&s| rng.unit() < s).collect();
            let c = OperatingCurve::from_scores(&scores, &labels, 1000).unwrap();
            let mut prev: Option<f64> = None;
            for k in (1..100).rev() {
                let target = k as f64 / 100.0;
                match cutoff_for_precision(&c, target, 0.95) {
                    Ok(op) => {
                        assert!(op.precision_lower_bound >= target);
                        assert!(op.tp + op.fp >= DEFAULT_MIN_SUPPORT);
                        if let Some(p) = prev {
                            assert!(op.threshold <= p, "target {target}: {} > {p}", op.threshold);
                        }
                        prev = Some(op.threshold);
                    }
                    Err(CutoffError::Unattainable {
                        best_precision_lower_bound,
                        ..
                    }) => {
                        // Once attainable, every lower target stays attainable.
                        assert!(
                            prev.is_none(),
                            "target {target} unattainable after a higher one"
                        );
                        assert!((0.0..=1.0).contains(&best_precision_lower_bound));
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }

    /// Brute force straight from the definition, counting from the raw leads at each kept threshold.
    fn brute_force(
        thresholds: &[f64],
        scores: &[f64],
        labels: &[bool],
        target: f64,
        z: f64,
        min_support: u64,
    ) -> Option<(f64, u64, u64)> {
        let mut answer = None;
        for &t in thresholds {
            let tp = scores
                .iter()
                .zip(labels)
                .filter(|(s, l)| **s >= t && **l)
                .count() as u64;
            let fp = scores
                .iter()
                .zip(labels)
                .filter(|(s, l)| **s >= t && !**l)
                .count() as u64;
            if tp + fp < min_support {
                continue;
            }
            let lb = wilson_formula(tp as f64, (tp + fp) as f64, z);
            if lb < target {
                break;
            }
            answer = Some((t, tp, fp));
        }
        answer
    }

    #[test]
    fn matches_brute_force_on_random_curves() {
        let mut rng = Lcg(12345);
        let (mut found, mut unattainable) = (0, 0);
        for case in 0..300 {
            let n = 20 + (rng.next_u32() % 400) as usize;
            let grid = 1 + rng.next_u32() % 200;
            let skew = 0.5 + rng.unit() * 3.0;
            let scores: Vec<f64> = (0..n)
                .map(|_| (rng.unit() * f64::from(grid)).round() / f64::from(grid))
                .collect();
            let labels: Vec<bool> = scores
                .iter()
                .map(|&s| rng.unit() < s.powf(1.0 / skew))
                .collect();
            let max_points = 1 + (rng.next_u32() % 60) as usize;
            let min_support = u64::from(rng.next_u32() % 40);
            let target = 0.05 + rng.unit() * 0.9;
            let confidence = [0.8, 0.9, 0.95, 0.99][(rng.next_u32() % 4) as usize];
            let z = normal_quantile(confidence);

            let c = OperatingCurve::from_scores(&scores, &labels, max_points).unwrap();
            c.validate().unwrap();
            assert!(c.points.len() <= max_points);
            let min_score = scores.iter().cloned().fold(f64::INFINITY, f64::min);
            assert_eq!(c.points.last().unwrap().threshold, min_score);
            let thresholds: Vec<f64> = c.points.iter().map(|p| p.threshold).collect();
            let want = brute_force(&thresholds, &scores, &labels, target, z, min_support);
            let got = cutoff_for_precision_with_support(&c, target, confidence, min_support);
            match (want, got) {
                (Some((t, tp, fp)), Ok(op)) => {
                    assert_eq!((op.threshold, op.tp, op.fp), (t, tp, fp), "case {case}");
                    found += 1;
                }
                (None, Err(CutoffError::Unattainable { .. })) => unattainable += 1,
                (w, g) => panic!("case {case}: brute force {w:?}, got {g:?}"),
            }
        }
        // Both outcomes must be exercised for the comparison to mean anything.
        assert!(
            found > 50 && unattainable > 10,
            "{found} found, {unattainable} unattainable"
        );
    }

    #[test]
    fn tiers() {
        let c = hand_curve();
        let tiers = vec![
            ("A".to_string(), 0.92),
            ("B".to_string(), 0.85),
            ("C".to_string(), 0.8),
            ("Z".to_string(), 0.99),
        ];
        let out = tier_cutoffs(&c, &tiers, 0.95);
        let got: Vec<(String, Option<f64>)> = out
            .into_iter()
            .map(|(name, op)| (name, op.map(|o| o.threshold)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A".to_string(), Some(0.9)),
                ("B".to_string(), Some(0.8)),
                ("C".to_string(), Some(0.7)),
                ("Z".to_string(), None),
            ]
        );
    }

    #[test]
    fn handoff_selects_each_lead_at_its_first_crossing() {
        // Lead a: scores 0.2 (label true), 0.6 (label true), 0.9 (label false: it converts
        // too late after that moment? no: labels fall as moments get earlier, so here
        // the earliest is false) -- written as the replay produces them, in time order.
        let a = vec![(0.2, false), (0.6, true), (0.4, true), (0.9, true)];
        // Lead b never converts; its score peaks at 0.7.
        let b = vec![(0.7, false), (0.3, false)];
        // Lead c converts; it is handed over late if at all.
        let c = vec![(0.1, false), (0.5, true)];
        let curve = OperatingCurve::handoff(&[a, b, c, vec![]], 100).unwrap();
        assert_eq!(curve.kind, CurveKind::Handoff);
        assert_eq!((curve.total, curve.positives), (3, 2));
        let at = |t: f64| {
            let p = curve.at_threshold(t, 0.95);
            (p.tp, p.fp)
        };
        assert_eq!(at(0.9), (1, 0)); // a at its 0.9 moment
        assert_eq!(at(0.7), (1, 1)); // + b
        assert_eq!(at(0.6), (1, 1)); // a now crosses at 0.6 (true)
        assert_eq!(at(0.5), (2, 1)); // + c at 0.5 (true)
        assert_eq!(at(0.2), (1, 2)); // a crosses at its first moment (false)
        assert_eq!(at(0.1), (0, 3)); // c too
        curve.validate().unwrap();
        // Brute force: the first moment reaching t, for every t on the curve.
        let lives = [
            vec![(0.2, false), (0.6, true), (0.4, true), (0.9, true)],
            vec![(0.7, false), (0.3, false)],
            vec![(0.1, false), (0.5, true)],
        ];
        for p in &curve.points {
            let (mut tp, mut fp) = (0, 0);
            for life in &lives {
                if let Some(m) = life.iter().find(|m| m.0 >= p.threshold) {
                    if m.1 {
                        tp += 1
                    } else {
                        fp += 1
                    }
                }
            }
            assert_eq!((p.tp, p.fp), (tp, fp), "at {}", p.threshold);
        }
    }

    #[test]
    fn handoff_curve_validation_allows_tp_to_fall_but_not_selections() {
        let mut c = OperatingCurve {
            kind: CurveKind::Handoff,
            positives: 2,
            total: 3,
            points: vec![pt(0.9, 1, 0), pt(0.5, 0, 2)],
        };
        c.validate().unwrap();
        c.kind = CurveKind::PerExample;
        assert!(c.validate().is_err());
        c.kind = CurveKind::Handoff;
        c.points = vec![pt(0.9, 1, 1), pt(0.5, 1, 0)];
        assert!(c.validate().is_err());
    }
}
