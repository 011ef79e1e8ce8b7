//! `bins = "auto"`: how many quantile bins the numeric columns get beside their linear term,
//! chosen by cross-validation on the training split.
//!
//! Bins let a linear model bend (a threshold, a plateau), at one feature per bin and column:
//! on a wide table of short integer codes they mostly fit noise. So the number is one of a few
//! candidates ([`DEFAULT_CANDIDATES`], the same for every `auto` column; a column with fewer
//! distinct values gets fewer bins), each cross-validated on the training split:
//!
//! - every candidate on the same folds, at its own best penalty; the fewest bins whose pooled
//!   out-of-fold log loss is within one standard error of the lowest win (the error of the
//!   paired difference, per lead: [`crate::fit::simplest_within_one_se`]), so more bins must
//!   beat fewer by more than noise;
//! - a candidate's features are the ones without bins plus its bin columns appended (the order
//!   of the columns changes nothing in the fit); the bin edges are the training split's
//!   quantiles, as the final model's, like every other fitted state (medians, levels).
//!
//! The cost stays a small multiple of one penalty search:
//!
//! - candidates go from fewest bins up and stop at the first that does no better than the one
//!   before it;
//! - the first candidate searches the whole penalty grid ([`crate::fit::search_penalty`],
//!   widened at an edge); each next one only the best candidate's penalty and its two
//!   neighbours (widened the same way when its best is at their edge), each fold warm-started
//!   from the fit without bins at that penalty;
//! - a candidate whose bins are those of the one before (columns with few distinct values) is
//!   not fitted again;
//! - on more than [`DEFAULT_MAX_SEARCH_ROWS`] training examples the candidates are compared on a
//!   seeded sample of them (whole leads), and the chosen one's penalty is then searched on all.
//!
//! Then spikes: a value holding a bin's share of the rows (0 hours worked, exactly 40) takes
//! several quantiles, so fewer bins are made than asked, and shares its bin with neighbours
//! that may convert quite differently. The chosen number (the fewest tried when none was
//! chosen) is cross-validated again as `bins = "N with spikes"` (each spike a bin of its own,
//! [`crate::featurize`]), at the chosen candidate's penalty and its neighbours, and kept only if
//! it beats the chosen candidate by more than one standard error. When no column's edges change
//! it is not fitted.
//!
//! The chosen candidate's penalty search is the model's (the report shows its grid).
//!
//! The holdout is never seen: the caller passes the training split only.

use crate::error::Result;
use crate::featurize::{bin_columns, bin_edges, Matrix};
use crate::fit::{search_penalty, simplest_within_one_se, CvFolds, FitOptions, PenaltyOutcome};
use leadscore_core::artifact::{BinsCandidate, BinsSearch, PenaltyScore, SkipReason, SkippedBins};
use leadscore_core::rng::SeededRng;
use leadscore_core::spec::Bins;

/// Bins tried per `auto` column by default (0 = the linear term alone).
pub const DEFAULT_CANDIDATES: [usize; 4] = [0, 4, 8, 16];

/// Above this many training examples the candidates are compared on a sample this large.
pub const DEFAULT_MAX_SEARCH_ROWS: usize = 50_000;

/// How the bins are searched.
#[derive(Debug, Clone, PartialEq)]
pub struct BinsOptions {
    /// Bins per column to try (0 or 1 = none).
    pub candidates: Vec<usize>,
    /// Compare the candidates on at most about this many training examples.
    pub max_rows: usize,
}

impl Default for BinsOptions {
    fn default() -> Self {
        Self {
            candidates: DEFAULT_CANDIDATES.to_vec(),
            max_rows: DEFAULT_MAX_SEARCH_ROWS,
        }
    }
}

/// The choice and what it cost.
/// Where each column of the bins search's matrix went in the final one: the search appends the
/// bin columns after the model without bins (`x0`), the final layout puts each column's bins
/// after it. `x0`'s columns keep their order in `x`, and the others are the bins in the
/// search's order, so one pass matching `x0`'s columns in order finds them (two equal columns
/// may trade places, which leaves a fit's objective as it was). `None` when `x` is not such a
/// layout (the caller then starts the final fit cold).
pub fn search_to_final(x0: &Matrix, x: &Matrix) -> Option<Vec<usize>> {
    if x0.rows != x.rows || x0.cols > x.cols {
        return None;
    }
    let mut to = Vec::with_capacity(x.cols);
    let mut appended = Vec::with_capacity(x.cols - x0.cols);
    for j in 0..x.cols {
        if to.len() < x0.cols && x0.col(to.len()) == x.col(j) {
            to.push(j);
        } else {
            appended.push(j);
        }
    }
    if to.len() != x0.cols {
        return None;
    }
    to.extend(appended);
    Some(to)
}

#[derive(Debug, Clone)]
pub struct BinsChoice {
    /// What the artifact keeps: the candidates with their evidence and the one chosen.
    pub search: BinsSearch,
    /// The chosen candidate's penalty search, when the candidates were compared on the whole
    /// training split (so it is the final model's; its features differ from the final
    /// layout only in column order: see [`search_to_final`]). `None` after a sample: search
    /// the penalty again.
    pub penalty: Option<PenaltyOutcome>,
    /// Cross-validation fits of all candidates that did not reach the tolerance.
    pub unconverged: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// An `auto` column: its name and its values on every row of the table.
pub type AutoColumn = (String, Vec<Option<f64>>);

/// Chooses the bins of the `auto` columns. `x0` is the training split's features with no bins
/// on those columns, `y` its labels, `groups` its leads (for grouped folds), `cv` its folds;
/// `train_rows` are its rows in the table the columns' values come from (the bin edges are
/// fitted on them).
#[allow(clippy::too_many_arguments)]
pub fn choose_bins(
    columns: &[AutoColumn],
    train_rows: &[usize],
    x0: &Matrix,
    y: &[bool],
    groups: Option<&[usize]>,
    cv: &CvFolds,
    options: &FitOptions,
    bins: &BinsOptions,
) -> Result<BinsChoice> {
    let start = std::time::Instant::now();
    // The rows compared on: all, or a seeded sample of whole leads.
    let sample = if y.len() > bins.max_rows.max(1) {
        Some(sample_rows(y.len(), groups, bins.max_rows, options.seed))
    } else {
        None
    };
    let sampled = sample.as_ref().and_then(|s| {
        let ys: Vec<bool> = s.iter().map(|&i| y[i]).collect();
        let gs: Option<Vec<usize>> = groups.map(|g| s.iter().map(|&i| g[i]).collect());
        let cvs = CvFolds::new(&ys, gs.as_deref(), options).ok()?;
        Some((s.clone(), ys, cvs))
    });
    let (positions, y_s, cv_s): (Vec<usize>, Vec<bool>, CvFolds) = match sampled {
        Some(s) => s,
        None => ((0..y.len()).collect(), y.to_vec(), cv.clone()),
    };
    let on_sample = positions.len() < y.len();
    let x0_s = if on_sample {
        x0.select_rows(&positions)
    } else {
        x0.clone()
    };
    let table_rows: Vec<usize> = positions.iter().map(|&i| train_rows[i]).collect();
    // The unit of the one-standard-error rule: a lead (its landmark examples are one draw).
    let units: Vec<usize> = match groups {
        Some(g) => positions.iter().map(|&i| g[i]).collect(),
        None => positions.clone(),
    };

    let mut candidates: Vec<usize> = bins
        .candidates
        .iter()
        .map(|&b| if b < 2 { 0 } else { b })
        .collect();
    candidates.sort_unstable();
    candidates.dedup();

    let mut tried: Vec<(BinsCandidate, PenaltyOutcome)> = Vec::new();
    let mut skipped = Vec::new();
    let mut unconverged = 0;
    let mut previous_blocks: Option<Vec<Matrix>> = None;
    // The candidate without bins: its fits warm-start the others (its columns come first in
    // theirs).
    let mut base: Option<PenaltyOutcome> = None;
    let mut best: Option<usize> = None;
    // Cross-validates the model with `blocks` appended at `alphas`, each fold warm-started from
    // the fit without bins at the strongest of them.
    let mut fit = |blocks: &[Matrix],
                   alphas: &[f64],
                   base: Option<&PenaltyOutcome>|
     -> Result<(usize, PenaltyOutcome, PenaltyScore)> {
        let extra: usize = blocks.iter().map(|m| m.cols).sum();
        let mut x = x0_s.clone();
        for block in blocks {
            x = x.with_columns(block);
        }
        let warm: Option<Vec<crate::fit::Logit>> = base.and_then(|base| {
            let strongest = alphas.iter().copied().fold(f64::MIN, f64::max);
            let a = base.search.grid.iter().position(|g| g.alpha == strongest)?;
            Some(base.fits[a].iter().map(|l| l.padded(extra)).collect())
        });
        let outcome = search_penalty(&x, &y_s, &cv_s, alphas, warm.as_deref(), options)?;
        unconverged += outcome.unconverged;
        let point = outcome.best().cloned().ok_or_else(|| {
            crate::error::TrainError::Fit("the penalty search chose nothing".into())
        })?;
        Ok((x.cols, outcome, point))
    };
    let blocks_of = |bins: Bins| -> Vec<Matrix> {
        columns
            .iter()
            .map(|(_, v)| bin_columns(v, train_rows, bins, &table_rows))
            .collect()
    };
    for (k, &b) in candidates.iter().enumerate() {
        let blocks = blocks_of(Bins::Fixed(b));
        if previous_blocks.as_ref() == Some(&blocks) {
            skipped.push(SkippedBins {
                bins: b,
                spikes: false,
                reason: SkipReason::SameBins,
            });
            continue;
        }
        // The first candidate searches the whole grid; the next ones the best one's penalty
        // and its neighbours (widened at an edge).
        let alphas = match best {
            None => options.alphas.clone(),
            Some(i) => tried[i].1.around_best(),
        };
        let (features, outcome, point) = fit(&blocks, &alphas, base.as_ref())?;
        let candidate = BinsCandidate {
            bins: b,
            spikes: false,
            features,
            alpha: point.alpha,
            cv_log_loss: point.cv_log_loss,
            cv_roc_auc: point.cv_roc_auc,
        };
        let improved = best.is_none_or(|i| candidate.cv_log_loss < tried[i].0.cv_log_loss);
        if b == 0 {
            base = Some(outcome.clone());
        }
        tried.push((candidate, outcome));
        previous_blocks = Some(blocks);
        if improved {
            best = Some(tried.len() - 1);
        } else {
            // More bins did not help: larger candidates are not tried.
            skipped.extend(candidates[k + 1..].iter().map(|&bins| SkippedBins {
                bins,
                spikes: false,
                reason: SkipReason::NoGain,
            }));
            break;
        }
    }
    drop(previous_blocks);
    // The fewest bins within one standard error of the lowest log loss (the error of the
    // paired difference, per lead): more bins must beat fewer by more than noise.
    let oofs: Vec<&[f64]> = tried.iter().map(|(_, o)| o.oof.as_slice()).collect();
    let mut chosen = if oofs.is_empty() {
        0
    } else {
        simplest_within_one_se(&oofs, &y_s, &units)
    };
    // Then the same number of bins with spikes in bins of their own (the fewest bins tried when
    // none were chosen): kept only if it beats plain quantiles by more than one standard error.
    let spiky_bins = match tried.get(chosen) {
        Some((c, _)) if c.bins > 0 => Some(c.bins),
        Some(_) => tried.iter().map(|(c, _)| c.bins).find(|&b| b > 0),
        None => None,
    };
    let mut chosen_spikes = false;
    if let Some(b) = spiky_bins {
        let spiky = columns.iter().any(|(_, v)| {
            bin_edges(v, train_rows, Bins::Spikes(b)) != bin_edges(v, train_rows, Bins::Fixed(b))
        });
        if spiky {
            let alphas = tried[chosen].1.around_best();
            let (features, outcome, point) =
                fit(&blocks_of(Bins::Spikes(b)), &alphas, base.as_ref())?;
            let wins = simplest_within_one_se(
                &[tried[chosen].1.oof.as_slice(), outcome.oof.as_slice()],
                &y_s,
                &units,
            ) == 1;
            tried.push((
                BinsCandidate {
                    bins: b,
                    spikes: true,
                    features,
                    alpha: point.alpha,
                    cv_log_loss: point.cv_log_loss,
                    cv_roc_auc: point.cv_roc_auc,
                },
                outcome,
            ));
            if wins {
                chosen = tried.len() - 1;
                chosen_spikes = true;
            }
        } else {
            skipped.push(SkippedBins {
                bins: b,
                spikes: true,
                reason: SkipReason::SameBins,
            });
        }
    }
    let chosen_bins = tried.get(chosen).map_or(0, |(c, _)| c.bins);
    let penalty = if on_sample {
        None
    } else {
        tried.get(chosen).map(|(_, o)| o.clone())
    };
    Ok(BinsChoice {
        search: BinsSearch {
            columns: columns.iter().map(|(n, _)| n.clone()).collect(),
            rows: positions.len() as u64,
            candidates: tried.into_iter().map(|(c, _)| c).collect(),
            skipped,
            chosen: chosen_bins,
            chosen_spikes,
        },
        penalty,
        unconverged,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// About `max_rows` of `n` training rows, sorted: each group (lead) kept whole with one seeded
/// probability.
fn sample_rows(n: usize, groups: Option<&[usize]>, max_rows: usize, seed: u64) -> Vec<usize> {
    let p = max_rows as f64 / n as f64;
    let mut rng = SeededRng::new(seed ^ 0xB1A5);
    match groups {
        None => (0..n).filter(|_| rng.uniform() < p).collect(),
        Some(g) => {
            let mut keep: std::collections::HashMap<usize, bool> = Default::default();
            let mut ids: Vec<usize> = g.to_vec();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                keep.insert(id, rng.uniform() < p);
            }
            (0..n).filter(|&i| keep[&g[i]]).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::model::sigmoid;

    /// [`choose_bins`] on every row of `x0`, default fit options, ungrouped folds.
    fn choose(columns: &[AutoColumn], x0: &Matrix, y: &[bool], bins: &BinsOptions) -> BinsChoice {
        let options = FitOptions::default();
        let cv = CvFolds::new(y, None, &options).unwrap();
        let rows: Vec<usize> = (0..y.len()).collect();
        choose_bins(columns, &rows, x0, y, None, &cv, &options, bins).unwrap()
    }

    /// One numeric column whose effect is a bump (converting in the middle of its range), which
    /// its linear term cannot bend to, and one noise column.
    fn bump(n: usize, seed: u64) -> (Vec<AutoColumn>, Matrix, Vec<bool>) {
        let mut rng = SeededRng::new(seed);
        let v: Vec<Option<f64>> = (0..n)
            .map(|_| Some((rng.uniform() * 100.0).floor()))
            .collect();
        let mut x0 = Matrix::zeros(n, 2);
        let mut y = Vec::with_capacity(n);
        for (i, x) in v.iter().enumerate() {
            let x = x.unwrap_or(0.0);
            x0.data[i] = x;
            x0.data[n + i] = rng.normal();
            let inside = (35.0..65.0).contains(&x);
            y.push(rng.bernoulli(sigmoid(if inside { 1.5 } else { -1.5 })));
        }
        (vec![("x".into(), v)], x0, y)
    }

    #[test]
    fn bins_are_chosen_where_the_shape_bends_with_the_evidence() {
        let (columns, x0, y) = bump(3000, 11);
        let choice = choose(&columns, &x0, &y, &BinsOptions::default());
        let s = &choice.search;
        assert!(s.chosen >= 4, "{s:?}");
        assert_eq!(s.candidates[0].bins, 0);
        assert_eq!(s.candidates[0].features, 2);
        let chosen = s.candidates.iter().find(|c| c.bins == s.chosen).unwrap();
        assert!(
            chosen.cv_log_loss < s.candidates[0].cv_log_loss - 0.02,
            "bins fit the bump better: {s:?}"
        );
        assert!(
            chosen.cv_roc_auc > s.candidates[0].cv_roc_auc + 0.05,
            "{s:?}"
        );
        assert_eq!(s.rows, 3000);
        // Every candidate is accounted for: tried or skipped with a reason; and the chosen
        // number with spikes apart, skipped here (100 values, none holds an eighth).
        assert_eq!(
            s.candidates.len() + s.skipped.len(),
            DEFAULT_CANDIDATES.len() + 1
        );
        assert!(!s.chosen_spikes && s.candidates.iter().all(|c| !c.spikes));
        assert!(
            s.skipped
                .iter()
                .any(|k| k.spikes && k.reason == SkipReason::SameBins && k.bins == s.chosen),
            "{s:?}"
        );
        // The chosen candidate's penalty search comes back for the final fit.
        let p = choice.penalty.as_ref().unwrap();
        assert_eq!(p.search.alpha, chosen.alpha);
    }

    #[test]
    fn large_data_is_compared_on_a_sample_and_its_penalty_searched_again() {
        let (columns, x0, y) = bump(3000, 12);
        let bins = BinsOptions {
            max_rows: 1000,
            ..BinsOptions::default()
        };
        let choice = choose(&columns, &x0, &y, &bins);
        assert!(
            (800..1200).contains(&choice.search.rows),
            "{:?}",
            choice.search
        );
        assert!(choice.penalty.is_none());
        assert!(choice.search.chosen >= 4, "{:?}", choice.search);
    }

    /// `k` numeric columns 0..100 and a rare outcome: the first column's effect is a narrow
    /// step (its top eighth converts far more), the others are noise.
    fn rare_step(n: usize, k: usize, seed: u64) -> (Vec<AutoColumn>, Matrix, Vec<bool>) {
        let mut rng = SeededRng::new(seed);
        let mut columns: Vec<AutoColumn> = (0..k)
            .map(|c| (format!("x{c}"), Vec::with_capacity(n)))
            .collect();
        let mut x0 = Matrix::zeros(n, k);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            for (c, (_, v)) in columns.iter_mut().enumerate() {
                let x = (rng.uniform() * 100.0).floor();
                v.push(Some(x));
                x0.data[c * n + i] = x;
            }
            let top = columns[0].1[i].unwrap_or(0.0) >= 87.5;
            y.push(rng.bernoulli(sigmoid(if top { 0.0 } else { -3.5 })));
        }
        (columns, x0, y)
    }

    #[test]
    fn as_many_bins_as_the_evidence_supports_however_rare_the_outcome() {
        // About 250 converted of 3000 and 12 columns: 16 bins make a 200-feature model, 1.3
        // converted examples per feature. A rule of thumb on that ratio used to stop the
        // search at 4 bins, which cannot isolate the top eighth; cross-validation says more.
        let (columns, x0, y) = rare_step(3000, 12, 5);
        let positives = y.iter().filter(|v| **v).count();
        assert!((150..400).contains(&positives), "{positives}");
        let choice = choose(&columns, &x0, &y, &BinsOptions::default());
        let s = &choice.search;
        assert!(s.chosen >= 8, "{s:?}");
        assert!(
            s.skipped
                .iter()
                .all(|k| k.reason != SkipReason::TooFewExamples),
            "{s:?}"
        );
        let four = s.candidates.iter().find(|c| c.bins == 4).unwrap();
        let chosen = s.candidates.iter().find(|c| c.bins == s.chosen).unwrap();
        assert!(chosen.cv_log_loss < four.cv_log_loss, "{s:?}");
    }

    /// Hours worked: 30% at 0, 35% at exactly 40, the rest spread over 1 to 80. Those at 0
    /// and at 40 convert differently from everyone around them.
    fn hours(n: usize, seed: u64) -> (Vec<AutoColumn>, Matrix, Vec<bool>) {
        let mut rng = SeededRng::new(seed);
        let v: Vec<Option<f64>> = (0..n)
            .map(|_| {
                let u = rng.uniform();
                Some(if u < 0.3 {
                    0.0
                } else if u < 0.65 {
                    40.0
                } else {
                    let h = 1.0 + (rng.uniform() * 79.0).floor();
                    if h == 40.0 {
                        41.0
                    } else {
                        h
                    }
                })
            })
            .collect();
        let mut x0 = Matrix::zeros(n, 1);
        let y = v
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let x = x.unwrap_or(0.0);
                x0.data[i] = x;
                let logit = match x {
                    0.0 => -0.5,
                    40.0 => 1.5,
                    _ => -1.5,
                };
                rng.bernoulli(sigmoid(logit))
            })
            .collect();
        (vec![("hours".into(), v)], x0, y)
    }

    #[test]
    fn spikes_get_bins_of_their_own_when_that_beats_plain_quantiles() {
        // Plain quantiles put 0 with 1 to ~17 and 40 with 41 to ~52 (and 8 asked bins become
        // 4); bins of their own for the two spikes fit both, and cross-validation says so.
        let (columns, x0, y) = hours(4000, 3);
        let s = choose(&columns, &x0, &y, &BinsOptions::default()).search;
        assert!(s.chosen >= 4 && s.chosen_spikes, "{s:?}");
        let plain = s
            .candidates
            .iter()
            .find(|c| c.bins == s.chosen && !c.spikes)
            .unwrap();
        let spiky = s.candidates.iter().find(|c| s.is_chosen(c)).unwrap();
        assert!(spiky.spikes && spiky.features > plain.features, "{s:?}");
        assert!(spiky.cv_log_loss < plain.cv_log_loss - 0.005, "{s:?}");
        assert_eq!(s.chosen_label(), format!("{} with spikes", s.chosen));
    }

    #[test]
    fn more_bins_must_beat_fewer_by_more_than_noise() {
        // Straight lines only: any bins fit noise. Whatever candidate happens to have the
        // lowest pooled log loss, the fewest within one standard error of it is chosen.
        let mut rng = SeededRng::new(9);
        let n = 2000;
        let v: Vec<Option<f64>> = (0..n)
            .map(|_| Some((rng.uniform() * 100.0).floor()))
            .collect();
        let mut x0 = Matrix::zeros(n, 1);
        let y: Vec<bool> = v
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let x = x.unwrap_or(0.0);
                x0.data[i] = x;
                rng.bernoulli(sigmoid((x - 50.0) / 25.0))
            })
            .collect();
        let choice = choose(&[("x".into(), v)], &x0, &y, &BinsOptions::default());
        assert_eq!(choice.search.chosen, 0, "{:?}", choice.search);
        // The penalty search returned is the chosen candidate's.
        let p = choice.penalty.as_ref().unwrap();
        assert_eq!(p.search.alpha, choice.search.candidates[0].alpha);
    }

    #[test]
    fn samples_keep_groups_whole() {
        let groups: Vec<usize> = (0..10_000).map(|i| i / 4).collect();
        let s = sample_rows(groups.len(), Some(&groups), 2_000, 7);
        assert!((1_600..2_400).contains(&s.len()), "{}", s.len());
        for &i in &s {
            let g = groups[i];
            assert!((4 * g..4 * g + 4).all(|r| s.contains(&r)), "lead {g} split");
        }
        let flat = sample_rows(10_000, None, 2_000, 7);
        assert!((1_600..2_400).contains(&flat.len()));
        assert!(flat.windows(2).all(|w| w[0] < w[1]));
    }
}
