//! The fitted linear model: weights per named feature, the score, and per-lead key factors.

use serde::{Deserialize, Serialize};

/// One feature's weight with what an analyst needs to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureWeight {
    /// Readable feature name (`Lead Source = Reference`).
    pub name: String,
    /// The input column it comes from.
    pub column: String,
    /// Training-split mean (for standardization).
    pub mean: f64,
    /// Training-split standard deviation (1 when the feature was constant).
    pub std: f64,
    /// Weight on the standardized feature (log-odds per standard deviation).
    pub weight: f64,
    /// Odds ratio per unit of the raw feature (for an indicator: active vs not), `exp(weight / std)`.
    /// Infinite when that overflows (a strong weight on a feature whose unit is many standard
    /// deviations, such as an amount in millions): JSON has no infinity, so the file holds
    /// `null`, read back as infinity.
    #[serde(deserialize_with = "odds_ratio_from_json")]
    pub odds_ratio: f64,
    /// Share of training leads where the feature is non-zero.
    pub active_share: f64,
}

/// Reads an odds ratio: a number, or `null` for one that overflowed to infinity (serde_json
/// writes non-finite numbers as `null`).
fn odds_ratio_from_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}

/// Key factors as (feature index, contribution) pairs, strongest first.
pub type IndexedFactors = Vec<(usize, f64)>;

/// A logistic model on standardized features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// Log-odds of a lead whose every feature is at its training mean.
    pub intercept: f64,
    /// One entry per feature, in the fitted spec's output order.
    pub features: Vec<FeatureWeight>,
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// One feature's share of a lead's log-odds relative to an average lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Readable feature name.
    pub feature: String,
    /// Contribution to the log-odds, `weight * (x - mean) / std`.
    pub contribution: f64,
}

impl LinearModel {
    /// Log-odds of conversion for a feature vector (length = number of features).
    pub fn log_odds(&self, x: &[f64]) -> f64 {
        self.intercept
            + self
                .features
                .iter()
                .zip(x)
                .map(|(f, v)| f.weight * (v - f.mean) / f.std)
                .sum::<f64>()
    }

    /// Probability of conversion.
    pub fn score(&self, x: &[f64]) -> f64 {
        sigmoid(self.log_odds(x))
    }

    /// The `top` largest positive and `top` largest negative contributions, strongest first
    /// (positives then negatives). Contributions are relative to an average training lead.
    pub fn factors(&self, x: &[f64], top: usize) -> (Vec<Factor>, Vec<Factor>) {
        let (positive, negative) = self.factor_indices(x, top);
        let make = |(i, c): (usize, f64)| Factor {
            feature: self.features[i].name.clone(),
            contribution: c,
        };
        (
            positive.into_iter().map(make).collect(),
            negative.into_iter().map(make).collect(),
        )
    }

    /// [`LinearModel::factors`] as (feature index, contribution) pairs, without naming them.
    /// Ties keep the lower feature index first.
    pub fn factor_indices(&self, x: &[f64], top: usize) -> (IndexedFactors, IndexedFactors) {
        // Room for what can be kept, whatever `top` a caller asks for.
        let room = top.min(x.len()) + 1;
        let mut positive: Vec<(usize, f64)> = Vec::with_capacity(room);
        let mut negative: Vec<(usize, f64)> = Vec::with_capacity(room);
        if top == 0 {
            return (positive, negative);
        }
        for (i, (f, v)) in self.features.iter().zip(x).enumerate() {
            let c = f.weight * (v - f.mean) / f.std;
            if c > 1e-12 {
                keep_top(&mut positive, top, (i, c), |a, b| a > b);
            } else if c < -1e-12 {
                keep_top(&mut negative, top, (i, c), |a, b| a < b);
            }
        }
        (positive, negative)
    }
}

/// A [`LinearModel`] prepared for scoring many leads: the standardization folded into the
/// weights (`coef = weight / std`, one constant term), so a score is one dot product with no
/// division, and the key factors are found without allocating.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    baseline: f64,
    offset: f64,
    coef: Vec<f64>,
    mean: Vec<f64>,
}

impl Scorer {
    /// Folds the model's standardization into its weights.
    pub fn new(model: &LinearModel) -> Self {
        let coef: Vec<f64> = model.features.iter().map(|f| f.weight / f.std).collect();
        let mean: Vec<f64> = model.features.iter().map(|f| f.mean).collect();
        let offset = model.intercept - coef.iter().zip(&mean).map(|(c, m)| c * m).sum::<f64>();
        Self {
            baseline: model.intercept,
            offset,
            coef,
            mean,
        }
    }

    /// Log-odds of a lead whose every feature is at its training mean (the model's intercept).
    pub fn baseline(&self) -> f64 {
        self.baseline
    }

    /// Number of features.
    pub fn width(&self) -> usize {
        self.coef.len()
    }

    /// Log-odds of conversion; equals [`LinearModel::log_odds`] up to rounding.
    pub fn log_odds(&self, x: &[f64]) -> f64 {
        // Eight running sums, so the dot product pipelines (and vectorizes: four lanes of two)
        // instead of waiting on one chain of dependent additions.
        let n = self.coef.len().min(x.len());
        let (coef, x) = (&self.coef[..n], &x[..n]);
        let mut acc = [0.0f64; 8];
        let mut chunks_c = coef.chunks_exact(8);
        let mut chunks_x = x.chunks_exact(8);
        for (c, v) in (&mut chunks_c).zip(&mut chunks_x) {
            for k in 0..8 {
                acc[k] += c[k] * v[k];
            }
        }
        let tail: f64 = chunks_c
            .remainder()
            .iter()
            .zip(chunks_x.remainder())
            .map(|(c, v)| c * v)
            .sum();
        // Summed lane by lane, in the order the vector code keeps them (no shuffles).
        let lanes = [
            (acc[0] + acc[4]) + (acc[2] + acc[6]),
            (acc[1] + acc[5]) + (acc[3] + acc[7]),
        ];
        self.offset + (lanes[0] + lanes[1]) + tail
    }

    /// Probability of conversion: the score the server, `score` and the Python package give a
    /// lead. Training scores its holdout (the curve the cutoff is chosen on) and `evaluate`
    /// scores fresh data through this too, so a lead whose holdout score is the cutoff is
    /// served that very number, not one differing in the last bit (which would leave it out).
    pub fn score(&self, x: &[f64]) -> f64 {
        sigmoid(self.log_odds(x))
    }

    /// Contribution of feature `i` to the log-odds, relative to an average training lead.
    pub fn contribution(&self, i: usize, x: f64) -> f64 {
        self.coef[i] * (x - self.mean[i])
    }

    /// The summed [`Scorer::contribution`] of features `range` (a factor group's features);
    /// `x` is the whole feature vector.
    pub fn contribution_of(&self, range: std::ops::Range<usize>, x: &[f64]) -> f64 {
        let end = range.end.min(self.coef.len()).min(x.len());
        let start = range.start.min(end);
        let (coef, mean, x) = (
            &self.coef[start..end],
            &self.mean[start..end],
            &x[start..end],
        );
        coef.iter()
            .zip(mean)
            .zip(x)
            .map(|((c, m), v)| c * (v - m))
            .sum()
    }

    /// [`LinearModel::factor_indices`] into caller-owned buffers (cleared first).
    pub fn factors_into(
        &self,
        x: &[f64],
        top: usize,
        positive: &mut Vec<(usize, f64)>,
        negative: &mut Vec<(usize, f64)>,
    ) {
        positive.clear();
        negative.clear();
        if top == 0 {
            return;
        }
        for (i, ((c, m), v)) in self.coef.iter().zip(&self.mean).zip(x).enumerate() {
            let c = c * (v - m);
            if c > 1e-12 {
                keep_top(positive, top, (i, c), |a, b| a > b);
            } else if c < -1e-12 {
                keep_top(negative, top, (i, c), |a, b| a < b);
            }
        }
    }
}

/// Inserts `item` into `list` (kept sorted strongest first by `stronger`, at most `top` long;
/// an item as strong as one already kept goes after it). Also ranks factor groups
/// ([`crate::explain::strongest`]).
pub(crate) fn keep_top(
    list: &mut Vec<(usize, f64)>,
    top: usize,
    item: (usize, f64),
    stronger: impl Fn(f64, f64) -> bool,
) {
    if list.len() == top && !stronger(item.1, list[top - 1].1) {
        return;
    }
    let at = list
        .iter()
        .position(|e| stronger(item.1, e.1))
        .unwrap_or(list.len());
    list.insert(at, item);
    list.truncate(top);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(name: &str, mean: f64, std: f64, weight: f64) -> FeatureWeight {
        FeatureWeight {
            name: name.into(),
            column: name.into(),
            mean,
            std,
            weight,
            odds_ratio: (weight / std).exp(),
            active_share: 0.5,
        }
    }

    #[test]
    fn score_and_factors() {
        let m = LinearModel {
            intercept: -0.5,
            features: vec![
                fw("a", 0.5, 0.5, 1.0),
                fw("b", 2.0, 1.0, -0.25),
                fw("c", 0.0, 1.0, 0.0),
            ],
        };
        let x = [1.0, 4.0, 3.0];
        let z = -0.5 + 1.0 * (1.0 - 0.5) / 0.5 - 0.25 * 2.0;
        assert!((m.log_odds(&x) - z).abs() < 1e-15);
        assert!((m.score(&x) - 1.0 / (1.0 + (-z).exp())).abs() < 1e-15);
        let (pos, neg) = m.factors(&x, 5);
        assert_eq!(pos.len(), 1);
        assert_eq!(pos[0].feature, "a");
        assert_eq!(neg[0].feature, "b");
        assert!((neg[0].contribution + 0.5).abs() < 1e-15);
    }

    #[test]
    fn scorer_matches_the_model() {
        let m = LinearModel {
            intercept: 0.3,
            features: vec![
                fw("a", 0.25, 0.5, 1.5),
                fw("b", 2.0, 3.0, -0.75),
                fw("c", 0.1, 1.0, 0.5),
                fw("d", 0.9, 0.2, -0.1),
            ],
        };
        let scorer = Scorer::new(&m);
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        for x in [
            [1.0, 4.0, 3.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [0.25, 2.0, 0.1, 0.9],
        ] {
            assert!((scorer.log_odds(&x) - m.log_odds(&x)).abs() < 1e-12);
            for top in [0, 1, 2, 5] {
                scorer.factors_into(&x, top, &mut pos, &mut neg);
                let (p, n) = m.factor_indices(&x, top);
                assert_eq!(pos.len(), p.len());
                assert_eq!(neg.len(), n.len());
                for (a, b) in pos.iter().zip(&p).chain(neg.iter().zip(&n)) {
                    assert_eq!(a.0, b.0);
                    assert!((a.1 - b.1).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn sigmoid_is_stable() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
    }
}
