//! The shape search: bins of their own for the few `bins = "auto"` columns whose effect bends.
//!
//! The bins search ([`crate::bins`]) gives every `auto` column with many distinct values the
//! same number of bins, or none. On a wide table that is all or nothing: 85 coded columns with
//! 4 bins each fit noise, so none get bins, and the one code that matters (a policy level of 6
//! out of 0 to 9, where buyers concentrate) stays a straight line. Trees and EBM find such
//! steps by themselves; here the residuals say where they are:
//!
//! - the columns searched are the `auto` numeric columns still without bins after the bins
//!   search (it chose none, or they have fewer distinct values than it bins), with at least 3
//!   distinct values in the training split;
//! - each is cut into bins: a bin per value seen [`VALUE_BIN_MIN_COUNT`]+ times when it has
//!   fewer than [`BINS_MIN_DISTINCT`] distinct values (`bins = "values"`: quantiles would merge a
//!   short code's steps by mass), else [`SHAPE_BINS`] quantile bins; and scored
//!   from the fitted model's residuals `r = y - p` and weights `w = p (1 - p)` on the training
//!   split, as the pair search scores a pair (EBM's FAST): the log-likelihood a
//!   piecewise-constant term on its bins would add beyond the model, less what noise alone
//!   would add (`S(bins) - S(all)`, see [`crate::pairs`]), so a column with no bend scores
//!   about 0;
//! - the best `K` of those that gain get their bins, `K` chosen among [`COUNTS`] by
//!   cross-validation at the chosen penalty, on the same folds, nested as the pair search's
//!   (each fold ranks the columns again on its own model's residuals on its own rows), the
//!   fewest columns within one standard error of the lowest log loss;
//! - the chosen columns get those bins in the resolved spec, and the model is
//!   featurized, its penalty searched and fitted again. Large training splits are ranked and
//!   cross-validated on a seeded sample of their leads ([`crate::pairs::MAX_SEARCH_ROWS`]).
//!
//! A column's bins are ordinary numeric bins: the artifact, the server and the factors treat
//! them as bins the spec fixed, and the factors still sum exactly to the log-odds.

use crate::bins::AutoColumn;
use crate::error::Result;
use crate::featurize::{bin_columns, Matrix};
use crate::fit::{
    each_fold, fit_logistic, fit_widths, fold_assignment, simplest_within_one_se, FitOptions,
    FitResult, Standardizer,
};
use crate::pairs::{search_rows, SearchRows, Sums, RANKED_KEPT};
use crate::pipeline::BINS_MIN_DISTINCT;
use leadscore_core::artifact::{RankedShape, ShapeCandidate, ShapeSearch};
use leadscore_core::metrics::{log_loss, roc_auc};
use leadscore_core::spec::{Bins, VALUE_BIN_MIN_COUNT};

/// Quantile bins a column chosen by the shape search gets (one per value for a code with
/// fewer): the middle of the bins search's candidates.
pub const SHAPE_BINS: usize = 8;
/// The numbers of columns cross-validated.
pub const COUNTS: [usize; 6] = [0, 1, 2, 4, 8, 16];
/// A column needs this many distinct training values to be searched (a 0/1 column's bins are
/// its linear term).
pub const MIN_DISTINCT: usize = 3;

/// A searched column: how many bins it has, and the bin of each search row (the bins' edges
/// are fitted on the whole training split, as the final model's).
struct Candidate {
    name: String,
    /// How its bins are cut: [`SHAPE_BINS`] quantile bins, or a bin per common value.
    cut: Bins,
    bins: usize,
    /// The bin of each search row.
    cells: Vec<u16>,
}

impl Candidate {
    /// `table_rows`: the search rows' rows in the table `values` come from.
    fn new(
        name: &str,
        values: &[Option<f64>],
        train_rows: &[usize],
        table_rows: &[usize],
    ) -> Option<Self> {
        let distinct = distinct_values(
            train_rows.iter().filter_map(|&i| values[i]),
            BINS_MIN_DISTINCT,
        );
        if distinct < MIN_DISTINCT {
            return None;
        }
        let cut = if distinct < BINS_MIN_DISTINCT {
            Bins::Values
        } else {
            Bins::Fixed(SHAPE_BINS)
        };
        let block = bin_columns(values, train_rows, cut, table_rows);
        if block.cols < 2 || block.cols > usize::from(u16::MAX) {
            return None;
        }
        let mut cells = vec![0u16; block.rows];
        for j in 0..block.cols {
            for (c, v) in cells.iter_mut().zip(block.col(j)) {
                if *v != 0.0 {
                    *c = j as u16;
                }
            }
        }
        Some(Self {
            name: name.to_string(),
            cut,
            bins: block.cols,
            cells,
        })
    }

    /// The one-hot bins of the search rows `rows`.
    fn block(&self, rows: &[usize]) -> Matrix {
        let mut m = Matrix::zeros(rows.len(), self.bins);
        for (k, &i) in rows.iter().enumerate() {
            m.data[usize::from(self.cells[i]) * rows.len() + k] = 1.0;
        }
        m
    }

    /// The gain of this column's bins on the search rows `rows` (see the module doc).
    fn gain(&self, rows: &SearchRows, resid: &[f64], weight: &[f64]) -> f64 {
        let (mut by, mut all) = (Sums::new(self.bins), Sums::new(1));
        for run in rows.runs.windows(2) {
            for &i in &rows.rows[run[0]..run[1]] {
                by.add(usize::from(self.cells[i]), resid[i], weight[i]);
                all.add(0, resid[i], weight[i]);
            }
            by.close_group();
            all.close_group();
        }
        (by.score() - all.score()) / 2.0
    }
}

/// How many distinct numbers `values` hold, counting up to `cap`.
pub(crate) fn distinct_values(values: impl Iterator<Item = f64>, cap: usize) -> usize {
    let mut seen: Vec<u64> = Vec::with_capacity(cap);
    for v in values {
        let bits = v.to_bits();
        if !seen.contains(&bits) {
            seen.push(bits);
            if seen.len() >= cap {
                break;
            }
        }
    }
    seen.len()
}

/// The candidates by gain, best first: (gain, index).
fn rank(
    candidates: &[Candidate],
    rows: &SearchRows,
    resid: &[f64],
    weight: &[f64],
) -> Vec<(f64, usize)> {
    let mut ranked: Vec<(f64, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(k, c)| (c.gain(rows, resid, weight), k))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
}

/// Residuals `y - p` and weights `p (1 - p)` of the predictions `p`.
fn residuals(p: &[f64], y: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let resid = p
        .iter()
        .zip(y)
        .map(|(p, y)| f64::from(u8::from(*y)) - p)
        .collect();
    let weight = p.iter().map(|p| p * (1.0 - p)).collect();
    (resid, weight)
}

/// What the search did.
#[derive(Debug, Clone)]
pub struct ShapesOutcome {
    /// The provenance entry.
    pub search: ShapeSearch,
    /// The columns that get bins, in rank order, and how their bins are cut.
    pub chosen: Vec<(String, Bins)>,
    /// Wall time of the ranking and the cross-validation, seconds.
    pub seconds: f64,
}

/// Ranks the `columns` (their values on every row of the table; `train_rows` are the training
/// split's rows in it, in the order of `x_train`'s rows) on the residuals of `fit`, the model
/// on `x_train`, and chooses how many get bins. `None` when no column can have bins. Both run
/// on the search rows: all training examples, or a seeded sample of whole leads beyond
/// [`crate::pairs::MAX_SEARCH_ROWS`].
#[allow(clippy::too_many_arguments)]
pub fn search_shapes(
    columns: &[AutoColumn],
    train_rows: &[usize],
    x_train: &Matrix,
    y: &[bool],
    groups: Option<&[usize]>,
    fit: &FitResult,
    options: &FitOptions,
) -> Result<Option<ShapesOutcome>> {
    let start = std::time::Instant::now();
    let n = x_train.rows;
    // The search rows (indices of `x_train`'s rows), their rows in the table, their leads.
    let rows = search_rows(n, groups, options.seed);
    let table_rows: Vec<usize> = rows.iter().map(|&i| train_rows[i]).collect();
    let groups_s: Option<Vec<usize>> = groups.map(|g| rows.iter().map(|&i| g[i]).collect());
    let groups_s = groups_s.as_deref();
    let candidates: Vec<Candidate> = columns
        .iter()
        .filter_map(|(name, v)| Candidate::new(name, v, train_rows, &table_rows))
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    // The model's residuals on the search rows.
    let m = x_train.select_rows(&rows);
    let y_rows: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let x = fit.standardizer.apply(&m);
    let (resid, weight) = residuals(&fit.logit.predict(&x), &y_rows);
    drop(x);
    let all_rows: Vec<usize> = (0..rows.len()).collect();
    let ranked = rank(
        &candidates,
        &SearchRows::new(all_rows, groups_s),
        &resid,
        &weight,
    );
    let useful = ranked.iter().take_while(|(g, _)| *g > 0.0).count();
    let mut counts: Vec<usize> = COUNTS.iter().map(|&k| k.min(useful)).collect();
    counts.dedup();
    let mut scored: Vec<ShapeCandidate> = Vec::new();
    let chosen = if counts.len() > 1 {
        let oof = cross_validate(&candidates, &m, &y_rows, groups_s, &counts, fit, options)?;
        for (&k, preds) in counts.iter().zip(&oof) {
            scored.push(ShapeCandidate {
                columns: k,
                features: x_train.cols
                    + ranked[..k]
                        .iter()
                        .map(|&(_, c)| candidates[c].bins)
                        .sum::<usize>(),
                cv_log_loss: log_loss(preds, &y_rows)?,
                cv_roc_auc: roc_auc(preds, &y_rows)?,
            });
        }
        let units: Vec<usize> = (0..rows.len())
            .map(|k| groups_s.map_or(k, |g| g[k]))
            .collect();
        counts[simplest_within_one_se(&oof, &y_rows, &units)]
    } else {
        0
    };
    let chosen_columns: Vec<(String, Bins)> = ranked[..chosen]
        .iter()
        .map(|&(_, c)| (candidates[c].name.clone(), candidates[c].cut))
        .collect();
    let search = ShapeSearch {
        bins: SHAPE_BINS,
        value_min_count: VALUE_BIN_MIN_COUNT,
        columns: candidates.iter().map(|c| c.name.clone()).collect(),
        rows: rows.len() as u64,
        ranked: ranked
            .iter()
            .take(RANKED_KEPT.max(chosen))
            .map(|&(gain, c)| RankedShape {
                name: candidates[c].name.clone(),
                gain,
                cells: candidates[c].bins,
                by_value: candidates[c].cut == Bins::Values,
            })
            .collect(),
        candidates: scored,
        alpha: fit.penalty.alpha,
        folds: fit.penalty.folds,
        chosen: chosen_columns.iter().map(|(n, _)| n.clone()).collect(),
    };
    Ok(Some(ShapesOutcome {
        search,
        chosen: chosen_columns,
        seconds: start.elapsed().as_secs_f64(),
    }))
}

/// Out-of-fold predictions on the search rows `m` (labels `y`, leads `groups`) of the model
/// with the bins of its best `counts[k]` columns, at the chosen penalty, on folds drawn as the
/// penalty search's. Each fold ranks the columns itself, on the residuals of its own model on
/// its own rows (ranked on all rows, the held-out fold's noise would choose columns and flatter
/// the larger counts); each fold's fits go in order, warm-started from the one before.
#[allow(clippy::too_many_arguments)]
fn cross_validate(
    candidates: &[Candidate],
    m: &Matrix,
    y_rows: &[bool],
    groups: Option<&[usize]>,
    counts: &[usize],
    fit: &FitResult,
    options: &FitOptions,
) -> Result<Vec<Vec<f64>>> {
    let folds = fit.penalty.folds;
    let assignment = fold_assignment(y_rows, groups, folds, options.seed);
    let alpha = fit.penalty.alpha;
    let main_cols = m.cols;
    let n = m.rows;
    let max_k = counts.iter().copied().max().unwrap_or(0);
    let per_fold = each_fold(
        &assignment,
        folds,
        options.threads,
        "shape cross-validation",
        |_, fit_rows, val_rows| {
            let yf: Vec<bool> = fit_rows.iter().map(|&i| y_rows[i]).collect();
            let mut fm = m.select_rows(&fit_rows);
            let mut vm = m.select_rows(&val_rows);
            // The fold's model, and the columns ranked on its residuals.
            let std = Standardizer::fit(&fm);
            let xf = std.apply(&fm);
            let main = fit_logistic(&xf, &yf, alpha, options, Some(&fit.logit))?;
            let (r, w) = residuals(&main.predict(&xf), &yf);
            drop(xf);
            let (mut resid, mut weight) = (vec![0.0; n], vec![0.0; n]);
            for (k, &i) in fit_rows.iter().enumerate() {
                resid[i] = r[k];
                weight[i] = w[k];
            }
            let search = SearchRows::new(fit_rows.clone(), groups);
            let pool: Vec<usize> = rank(candidates, &search, &resid, &weight)
                .into_iter()
                .take_while(|(g, _)| *g > 0.0)
                .take(max_k)
                .map(|(_, c)| c)
                .collect();
            for &c in &pool {
                fm = fm.with_columns(&candidates[c].block(&fit_rows));
                vm = vm.with_columns(&candidates[c].block(&val_rows));
            }
            let widths: Vec<usize> = counts
                .iter()
                .map(|&k| {
                    main_cols
                        + pool[..k.min(pool.len())]
                            .iter()
                            .map(|&c| candidates[c].bins)
                            .sum::<usize>()
                })
                .collect();
            let (preds, _) = fit_widths(&fm, &vm, &yf, &widths, alpha, options, (main, main_cols))?;
            Ok((val_rows, preds))
        },
    )?;
    let mut oof = vec![vec![f64::NAN; m.rows]; counts.len()];
    for (val_rows, preds) in per_fold {
        for (k, p) in preds.into_iter().enumerate() {
            for (&i, p) in val_rows.iter().zip(p) {
                oof[k][i] = p;
            }
        }
    }
    Ok(oof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit_with_cv_grouped;
    use leadscore_core::model::sigmoid;
    use leadscore_core::rng::SeededRng;

    /// Leads scored at three moments each (landmark examples share the lead's codes and label
    /// odds): `step` converts at code 4 only, `line` in a straight line, `noise` not at all.
    #[test]
    fn landmark_examples_are_ranked_and_folded_by_lead() {
        let (leads, per) = (1500, 3);
        let mut rng = SeededRng::new(21);
        let n = leads * per;
        let mut step: Vec<Option<f64>> = Vec::with_capacity(n);
        let mut line = Vec::with_capacity(n);
        let mut noise = Vec::with_capacity(n);
        let (mut y, mut groups) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for lead in 0..leads {
            let (s, l, z) = (
                rng.below(7) as f64,
                rng.below(7) as f64,
                rng.below(7) as f64,
            );
            for _ in 0..per {
                step.push(Some(s));
                line.push(Some(l));
                noise.push(Some(z));
                let logit = -1.5 + 0.3 * l + if s == 4.0 { 2.0 } else { 0.0 };
                y.push(rng.bernoulli(sigmoid(logit)));
                groups.push(lead);
            }
        }
        let mut x = Matrix::zeros(n, 3);
        for (j, v) in [&step, &line, &noise].into_iter().enumerate() {
            for (dst, src) in x.col_mut(j).iter_mut().zip(v.iter()) {
                *dst = src.unwrap_or(0.0);
            }
        }
        let options = FitOptions::default();
        let fit = fit_with_cv_grouped(&x, &y, Some(&groups), &options).unwrap();
        let columns: Vec<AutoColumn> = vec![
            ("noise".into(), noise),
            ("step".into(), step),
            ("line".into(), line),
        ];
        let rows: Vec<usize> = (0..n).collect();
        let out = search_shapes(&columns, &rows, &x, &y, Some(&groups), &fit, &options)
            .unwrap()
            .unwrap();
        let s = &out.search;
        assert_eq!(s.rows, n as u64);
        assert_eq!(s.columns, ["noise", "step", "line"]);
        assert_eq!(s.ranked[0].name, "step", "{s:#?}");
        // 7 codes: a bin per value.
        assert_eq!(out.chosen, [("step".to_string(), Bins::Values)], "{s:#?}");
        assert!(s.ranked[0].by_value && s.ranked[0].cells == 7, "{s:#?}");
        assert_eq!(s.candidates[0].columns, 0);
        assert_eq!(s.candidates[1].features, 3 + s.ranked[0].cells);
        assert!(
            s.candidates[1].cv_log_loss < s.candidates[0].cv_log_loss - 0.01,
            "{s:#?}"
        );
    }

    #[test]
    fn a_column_with_fewer_than_three_values_is_not_searched() {
        let n = 400;
        let v: Vec<Option<f64>> = (0..n).map(|i| Some((i % 2) as f64)).collect();
        let y: Vec<bool> = (0..n).map(|i| (i % 2 == 0) ^ (i % 5 == 0)).collect();
        let mut x = Matrix::zeros(n, 1);
        for (dst, src) in x.col_mut(0).iter_mut().zip(&v) {
            *dst = src.unwrap_or(0.0);
        }
        let options = FitOptions::default();
        let fit = fit_with_cv_grouped(&x, &y, None, &options).unwrap();
        let rows: Vec<usize> = (0..n).collect();
        let out =
            search_shapes(&[("flag".into(), v)], &rows, &x, &y, None, &fit, &options).unwrap();
        assert!(out.is_none());
    }
}
