//! Fitting: standardization, L2-penalized logistic regression with linfa-logistic, the penalty
//! chosen by stratified k-fold cross-validation, and checks that linfa does not do itself.
//!
//! Traps handled here (measured, see DESIGN.md section 2): linfa calls the *majority* class
//! "positive", so signs are flipped when "converted" is the minority; unstandardized data can
//! silently yield all-zero weights, so features are standardized and the result checked;
//! linfa does not report convergence, so the gradient of its objective is computed after the
//! fit and its largest component compared with the tolerance (the stopping rule the solver
//! uses, scikit-learn's: see `vendor/linfa-logistic`'s `gradient_max_abs`).

use crate::error::{Result, TrainError};
use crate::featurize::Matrix;
use leadscore_core::artifact::{PenaltyScore, PenaltySearch, SolverReport, MAX_GRID_EXTENSIONS};
use leadscore_core::metrics::{example_log_loss, log_loss, roc_auc};
use leadscore_core::model::sigmoid;
use leadscore_core::rng::SeededRng;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ShapeBuilder};

/// Options of the fit.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Cross-validation folds.
    pub folds: usize,
    /// L2 penalties to try (linfa's alpha = 1 / C of scikit-learn), any order.
    pub alphas: Vec<f64>,
    /// L-BFGS iteration limit.
    pub max_iterations: u64,
    /// Gradient tolerance per training row (linfa's objective is a sum over rows): the fit stops
    /// when no component of the mean gradient exceeds it, scikit-learn's lbfgs rule.
    pub tolerance_per_row: f64,
    /// Seed for the folds.
    pub seed: u64,
    /// Worker threads for the folds.
    pub threads: usize,
    /// While the best penalty sits on an edge of the grid, widen it on that side by one
    /// decade, at most this many times (0 = keep the grid as given).
    pub max_grid_extensions: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            folds: 5,
            alphas: log_grid(1e-3, 1e2, 8)
                .into_iter()
                .map(|c| 1.0 / c)
                .collect(),
            max_iterations: 1000,
            tolerance_per_row: 1e-4,
            seed: 7,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_grid_extensions: MAX_GRID_EXTENSIONS,
        }
    }
}

/// `n` values evenly spaced in log scale from `lo` to `hi`.
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

/// An indicator (0/1) column is divided by its standard deviation to this power rather than by
/// its standard deviation before the fit. With the L2 penalty on standardized weights, dividing
/// by the full standard deviation `sqrt(p (1 - p))` penalizes a rare level's effect on the
/// log-odds by `p (1 - p)`, almost nothing, so a level seen in a few leads keeps nearly its raw
/// effect; the square root puts back part of the shrinkage rare levels need (X Education,
/// 5-fold CV log loss on the training split: 0.3856 at 1 and 0.3851 at 0.5 without pairs,
/// 0.3753 and 0.3724 with them). Weights are reported per standard deviation again
/// ([`Standardizer::to_plain`]), so the artifact reads as before.
pub const INDICATOR_SCALE_POWER: f64 = 0.5;

/// Means and scales of each column on the rows a model is fitted on: the standard deviation,
/// or for an indicator column its power [`INDICATOR_SCALE_POWER`].
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub means: Vec<f64>,
    /// Column scales (1 for a constant column).
    pub stds: Vec<f64>,
}

impl Standardizer {
    /// Fits on all rows of `m`.
    pub fn fit(m: &Matrix) -> Self {
        Self::fit_with_power(m, INDICATOR_SCALE_POWER)
    }

    /// Means and plain standard deviations of all rows of `m` (every column divided by its
    /// standard deviation).
    pub fn plain(m: &Matrix) -> Self {
        Self::fit_with_power(m, 1.0)
    }

    fn fit_with_power(m: &Matrix, power: f64) -> Self {
        let n = m.rows.max(1) as f64;
        let mut means = Vec::with_capacity(m.cols);
        let mut stds = Vec::with_capacity(m.cols);
        for j in 0..m.cols {
            let c = m.col(j);
            let mean = c.iter().sum::<f64>() / n;
            let var = c.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            let sd = var.sqrt();
            means.push(mean);
            stds.push(if sd <= 1e-12 {
                1.0
            } else if power != 1.0 && c.iter().all(|x| *x == 0.0 || *x == 1.0) {
                sd.powf(power)
            } else {
                sd
            });
        }
        Self { means, stds }
    }

    /// `weights` on this standardizer's scales as weights per plain standard deviation of the
    /// same rows `m` (the same model): the plain standardizer and the converted weights.
    pub fn to_plain(&self, m: &Matrix, weights: &[f64]) -> (Standardizer, Vec<f64>) {
        let plain = Self::plain(m);
        let weights = weights
            .iter()
            .zip(plain.stds.iter().zip(&self.stds))
            .map(|(w, (sd, scale))| if sd == scale { *w } else { w * sd / scale })
            .collect();
        (plain, weights)
    }

    /// The standardized matrix, column-major, as linfa takes it.
    pub fn apply(&self, m: &Matrix) -> Array2<f64> {
        let mut data = Vec::with_capacity(m.rows * m.cols);
        for j in 0..m.cols {
            let (mu, sd) = (self.means[j], self.stds[j]);
            data.extend(m.col(j).iter().map(|x| (x - mu) / sd));
        }
        Array2::from_shape_vec((m.rows, m.cols).f(), data)
            .unwrap_or_else(|_| Array2::zeros((m.rows, m.cols)))
    }
}

/// A fitted model on standardized features, oriented so that it predicts "converted".
#[derive(Debug, Clone)]
pub struct Logit {
    /// Intercept (log-odds at the mean lead).
    pub intercept: f64,
    /// Weights on standardized features.
    pub weights: Vec<f64>,
    /// linfa's parameters in its own orientation, for warm starts.
    linfa_params: Array1<f64>,
    /// Largest component (absolute value) of the objective's gradient at the solution.
    pub gradient_norm: f64,
    /// The tolerance it was compared with.
    pub tolerance: f64,
}

impl Logit {
    /// Whether the solver reached the gradient tolerance.
    pub fn converged(&self) -> bool {
        self.gradient_norm <= self.tolerance
    }

    /// Probabilities of conversion for standardized rows.
    pub fn predict(&self, x: &Array2<f64>) -> Vec<f64> {
        let w = Array1::from(self.weights.clone());
        x.dot(&w)
            .iter()
            .map(|z| sigmoid(z + self.intercept))
            .collect()
    }

    /// A warm start for a model with `extra` more features after these (their weights 0).
    pub fn with_more_features(&self, extra: usize) -> Logit {
        let mut params = self.linfa_params.to_vec();
        let intercept = params.pop().unwrap_or(0.0);
        params.extend(std::iter::repeat_n(0.0, extra));
        params.push(intercept);
        let mut weights = self.weights.clone();
        weights.extend(std::iter::repeat_n(0.0, extra));
        Logit {
            weights,
            linfa_params: Array1::from(params),
            ..self.clone()
        }
    }
}

impl Logit {
    /// This fit with its features moved: feature `i` to position `to[i]` (a permutation of the
    /// positions), to warm-start a fit on the same columns in another order.
    pub fn permuted(&self, to: &[usize]) -> Logit {
        let n = self.weights.len();
        debug_assert_eq!(to.len(), n);
        let mut weights = vec![0.0; n];
        let mut params = self.linfa_params.to_vec();
        for (i, &j) in to.iter().enumerate() {
            weights[j] = self.weights[i];
            params[j] = self.linfa_params[i];
        }
        Logit {
            weights,
            linfa_params: Array1::from(params),
            ..self.clone()
        }
    }

    /// This fit with `extra` more features of weight zero appended (after the existing ones),
    /// to warm-start a fit on the same rows with columns added at the end.
    pub fn padded(&self, extra: usize) -> Logit {
        let n = self.linfa_params.len();
        let mut p = self.linfa_params.to_vec();
        let intercept = p.pop().unwrap_or(0.0);
        p.resize(n - 1 + extra, 0.0);
        p.push(intercept);
        let mut weights = self.weights.clone();
        weights.resize(weights.len() + extra, 0.0);
        Logit {
            intercept: self.intercept,
            weights,
            linfa_params: Array1::from(p),
            gradient_norm: f64::NAN,
            tolerance: self.tolerance,
        }
    }
}

/// Fits one L2-penalized logistic regression on standardized `x` (warm-started from `init`).
pub fn fit_logistic(
    x: &Array2<f64>,
    y: &[bool],
    alpha: f64,
    options: &FitOptions,
    init: Option<&Logit>,
) -> Result<Logit> {
    let tolerance = (options.tolerance_per_row * x.nrows() as f64).max(1e-8);
    let targets = Array1::from(y.to_vec());
    let dataset = DatasetBase::new(x.view(), targets);
    let mut params = LogisticRegression::default()
        .alpha(alpha)
        .gradient_tolerance(tolerance)
        .gradient_max_abs(true)
        .max_iterations(options.max_iterations);
    if let Some(init) = init {
        params = params.initial_params(init.linfa_params.clone());
    }
    let fitted = params
        .fit(&dataset)
        .map_err(|e| TrainError::Fit(format!("linfa-logistic: {e}")))?;
    // linfa's "positive" class is the more frequent label; flip to "converted".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    // `+ 0.0` makes a flipped zero (a column no training row has) 0, not -0 (`-0.0000`).
    let weights: Vec<f64> = fitted.params().iter().map(|w| sign * w + 0.0).collect();
    let intercept = sign * fitted.intercept();
    let mut linfa_params = fitted.params().to_vec();
    linfa_params.push(fitted.intercept());
    let gradient_norm = objective_gradient_norm(x, y, &weights, intercept, alpha);
    Ok(Logit {
        intercept,
        weights,
        linfa_params: Array1::from(linfa_params),
        gradient_norm,
        tolerance,
    })
}

/// Largest absolute component (max-abs norm) of the gradient of sum(log-loss) + alpha/2 |w|^2
/// (intercept unpenalized), the objective linfa minimizes: what its stopping rule tests.
pub fn objective_gradient_norm(x: &Array2<f64>, y: &[bool], w: &[f64], b: f64, alpha: f64) -> f64 {
    let wv = Array1::from(w.to_vec());
    let residual: Array1<f64> = x
        .dot(&wv)
        .iter()
        .zip(y)
        .map(|(z, &t)| sigmoid(z + b) - f64::from(u8::from(t)))
        .collect();
    let gw = x.t().dot(&residual) + &(&wv * alpha);
    let gb = residual.sum();
    gw.iter().fold(gb.abs(), |m, g| m.max(g.abs()))
}

/// Stratified fold assignment: fold index per row, each class spread evenly.
pub fn stratified_folds(y: &[bool], folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = SeededRng::new(seed ^ 0xF01D);
    let mut assignment = vec![0; y.len()];
    for class in [true, false] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rng.shuffle(&mut idx);
        for (k, i) in idx.into_iter().enumerate() {
            assignment[i] = k % folds;
        }
    }
    assignment
}

/// Fold assignment that keeps groups whole: every row of a group (a lead's landmark
/// examples) lands in the same fold; groups are stratified by whether any of their rows is
/// positive. `groups[i]` is row i's group id.
pub fn grouped_folds(y: &[bool], groups: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let mut any_positive: std::collections::HashMap<usize, bool> = Default::default();
    for (&g, &label) in groups.iter().zip(y) {
        *any_positive.entry(g).or_default() |= label;
    }
    let mut ids: Vec<usize> = any_positive.keys().copied().collect();
    ids.sort_unstable();
    let group_labels: Vec<bool> = ids.iter().map(|g| any_positive[g]).collect();
    let by_group = stratified_folds(&group_labels, folds, seed);
    let fold_of: std::collections::HashMap<usize, usize> = ids.into_iter().zip(by_group).collect();
    groups.iter().map(|g| fold_of[g]).collect()
}

/// Result of the whole fit.
#[derive(Debug, Clone)]
pub struct FitResult {
    /// The final model, on the training split.
    pub logit: Logit,
    /// Standardization of the training split.
    pub standardizer: Standardizer,
    /// The penalty search.
    pub penalty: PenaltySearch,
    /// Solver report of the final fit.
    pub solver: SolverReport,
    /// CV fits that did not converge (fold, alpha).
    pub unconverged_cv_fits: usize,
    /// Wall time of the cross-validation, seconds.
    pub cv_seconds: f64,
    /// Wall time of the final fit, seconds.
    pub fit_seconds: f64,
}

/// The cross-validation folds of a training split: one fold index per row.
#[derive(Debug, Clone, PartialEq)]
pub struct CvFolds {
    /// Number of folds (`options.folds`, at least 2, at most the rarer class's count).
    pub folds: usize,
    /// Fold of each row.
    pub assignment: Vec<usize>,
}

impl CvFolds {
    /// Stratified folds, or with `groups` (`groups[i]` is row i's group: a lead, whose
    /// landmark examples must never sit on both sides of a fold) folds that keep groups whole.
    /// Fails when `y` has one class only.
    pub fn new(y: &[bool], groups: Option<&[usize]>, options: &FitOptions) -> Result<Self> {
        let positives = y.iter().filter(|v| **v).count();
        if positives == 0 || positives == y.len() {
            return Err(TrainError::Fit(
                "the training split has only one class".into(),
            ));
        }
        let folds = options
            .folds
            .clamp(2, positives.min(y.len() - positives).max(2));
        let assignment = fold_assignment(y, groups, folds, options.seed);
        Ok(Self { folds, assignment })
    }
}

/// The fold of each row: stratified, or with `groups` (row i's lead) keeping each group whole.
pub fn fold_assignment(
    y: &[bool],
    groups: Option<&[usize]>,
    folds: usize,
    seed: u64,
) -> Vec<usize> {
    match groups {
        Some(g) => grouped_folds(y, g, folds, seed),
        None => stratified_folds(y, folds, seed),
    }
}

/// Runs `work(f, fit_rows, val_rows)` for every fold `f` of `assignment` (`folds` folds; a
/// fold's rows are those assigned to it, the fit rows all others), folds in parallel on up to
/// `threads` threads, and returns the results in fold order. A worker that panics is an error
/// naming `what` (`"pair cross-validation"`).
pub fn each_fold<T: Send>(
    assignment: &[usize],
    folds: usize,
    threads: usize,
    what: &str,
    work: impl Fn(usize, Vec<usize>, Vec<usize>) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Vec<(usize, T)>>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.clamp(1, folds.max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let f = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if f >= folds {
                            break;
                        }
                        let fit_rows: Vec<usize> = (0..assignment.len())
                            .filter(|&i| assignment[i] != f)
                            .collect();
                        let val_rows: Vec<usize> = (0..assignment.len())
                            .filter(|&i| assignment[i] == f)
                            .collect();
                        done.push((f, work(f, fit_rows, val_rows)?));
                    }
                    Ok(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(TrainError::Fit(format!("a {what} worker panicked"))))
            })
            .collect()
    });
    let mut by_fold: Vec<Option<T>> = (0..folds).map(|_| None).collect();
    for r in results {
        for (f, t) in r? {
            by_fold[f] = Some(t);
        }
    }
    by_fold
        .into_iter()
        .map(|t| t.ok_or_else(|| TrainError::Fit(format!("a {what} fold was not run"))))
        .collect()
}

/// A fit and the number of leading columns it was fitted on.
pub type WideFit = (Logit, usize);

/// A fold's models on the first `w` columns of its rows `fm` (labels `yf`) for each `w` of
/// `widths` (ascending, none below `prev`'s width), at `alpha`, in order, each warm-started from the one before (the
/// first from `prev`), and their predictions for its held-out rows `vm`. A width equal to the
/// last fit's reuses that fit. Returns the predictions per width and the last fit with its
/// width: the nested searches' (pairs, shapes) models with more and more of their terms.
pub fn fit_widths(
    fm: &Matrix,
    vm: &Matrix,
    yf: &[bool],
    widths: &[usize],
    alpha: f64,
    options: &FitOptions,
    mut prev: WideFit,
) -> Result<(Vec<Vec<f64>>, WideFit)> {
    let std = Standardizer::fit(fm);
    let mut preds = Vec::with_capacity(widths.len());
    for &w in widths {
        let sub = Standardizer {
            means: std.means[..w].to_vec(),
            stds: std.stds[..w].to_vec(),
        };
        if w < prev.1 {
            return Err(TrainError::Fit(format!(
                "a nested model of {w} features after one of {}: the widths must grow",
                prev.1
            )));
        }
        if w != prev.1 {
            let xf = sub.apply(&fm.prefix(w));
            let init = prev.0.with_more_features(w - prev.1);
            prev = (fit_logistic(&xf, yf, alpha, options, Some(&init))?, w);
        }
        preds.push(prev.0.predict(&sub.apply(&vm.prefix(w))));
    }
    Ok((preds, prev))
}

/// Out-of-fold predictions along a path of penalties.
struct CvPath {
    /// `oof[a][i]`: prediction for row i by the model of its fold at the path's penalty a.
    oof: Vec<Vec<f64>>,
    /// Fits that did not reach the tolerance.
    unconverged: usize,
    /// `fits[a][f]`: fold f's fit at the path's penalty a.
    fits: Vec<Vec<Logit>>,
}

/// One fold's part of a [`CvPath`]: per penalty its (row, score) pairs and its fit, and the
/// unconverged fits.
type FoldPath = (Vec<(Vec<(usize, f64)>, Logit)>, usize);

/// Cross-validates the penalties `alphas` in the order given, each fold warm-started along
/// them (the first from `warm[fold]` when given), folds in parallel.
fn cv_path(
    x: &Matrix,
    y: &[bool],
    cv: &CvFolds,
    alphas: &[f64],
    warm: Option<&[Logit]>,
    options: &FitOptions,
) -> Result<CvPath> {
    let folds = cv.folds;
    let assignment = &cv.assignment;
    if alphas.is_empty() {
        return Err(TrainError::Config("the penalty grid is empty".into()));
    }
    let per_fold: Vec<FoldPath> = each_fold(
        assignment,
        folds,
        options.threads,
        "cross-validation",
        |f, fit_rows, val_rows| {
            let fit_m = x.select_rows(&fit_rows);
            let std = Standardizer::fit(&fit_m);
            let xf = std.apply(&fit_m);
            drop(fit_m); // keep one copy of the fold at a time (memory at 1M rows)
            let xv = std.apply(&x.select_rows(&val_rows));
            let yf: Vec<bool> = fit_rows.iter().map(|&i| y[i]).collect();
            let mut prev: Option<&Logit> = warm.and_then(|w| w.get(f));
            let mut unconverged = 0;
            let mut by_alpha: Vec<(Vec<(usize, f64)>, Logit)> = Vec::with_capacity(alphas.len());
            for &alpha in alphas {
                let logit = fit_logistic(&xf, &yf, alpha, options, prev)?;
                if !logit.converged() {
                    unconverged += 1;
                }
                let preds = logit.predict(&xv);
                by_alpha.push((val_rows.iter().copied().zip(preds).collect(), logit));
                prev = by_alpha.last().map(|b| &b.1);
            }
            Ok((by_alpha, unconverged))
        },
    )?;
    let mut oof = vec![vec![f64::NAN; y.len()]; alphas.len()];
    let mut unconverged = 0;
    let mut by_fold: Vec<Vec<Logit>> = Vec::with_capacity(folds);
    for (by_alpha, unc) in per_fold {
        unconverged += unc;
        let mut fits = Vec::with_capacity(by_alpha.len());
        for (a, (preds, logit)) in by_alpha.into_iter().enumerate() {
            for (i, p) in preds {
                oof[a][i] = p;
            }
            fits.push(logit);
        }
        by_fold.push(fits);
    }
    let fits = (0..alphas.len())
        .map(|a| by_fold.iter().map(|f| f[a].clone()).collect())
        .collect();
    Ok(CvPath {
        oof,
        unconverged,
        fits,
    })
}

/// The outcome of [`search_penalty`].
#[derive(Debug, Clone)]
pub struct PenaltyOutcome {
    /// The grid, strongest penalty first, with the chosen one and any extensions.
    pub search: PenaltySearch,
    /// CV fits that did not converge.
    pub unconverged: usize,
    /// `fits[a][f]`: fold f's fit at `search.grid[a]` (to warm-start another search on the
    /// same rows and folds, see [`Logit::padded`]).
    pub fits: Vec<Vec<Logit>>,
    /// The pooled out-of-fold predictions at the chosen penalty, one per row searched on (to
    /// compare this search's model with another's on the same rows and folds, see
    /// [`simplest_within_one_se`]).
    pub oof: Vec<f64>,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl PenaltyOutcome {
    /// The grid point chosen.
    pub fn best(&self) -> Option<&PenaltyScore> {
        self.search
            .grid
            .iter()
            .find(|g| g.alpha == self.search.alpha)
    }

    /// Where the final fit on all training rows starts: the folds' fits at the chosen penalty,
    /// averaged (each fold saw all but one k-th of those rows, so their mean is close to the
    /// final solution). `None` when there are none or they disagree on linfa's orientation
    /// (which class it calls positive), which only a near 50/50 split can do.
    pub fn warm_start(&self) -> Option<Logit> {
        let k = self
            .search
            .grid
            .iter()
            .position(|g| g.alpha == self.search.alpha)?;
        let fits = self.fits.get(k)?;
        let first = fits.first()?;
        let flipped = |l: &Logit| {
            l.weights
                .first()
                .zip(l.linfa_params.first())
                .is_some_and(|(w, p)| w != p)
        };
        if fits.iter().any(|l| {
            l.linfa_params.len() != first.linfa_params.len() || flipped(l) != flipped(first)
        }) {
            return None;
        }
        let n = fits.len() as f64;
        let mut linfa_params = Array1::zeros(first.linfa_params.len());
        let mut weights = vec![0.0; first.weights.len()];
        let mut intercept = 0.0;
        for l in fits {
            linfa_params += &l.linfa_params;
            for (w, v) in weights.iter_mut().zip(&l.weights) {
                *w += v;
            }
            intercept += l.intercept;
        }
        linfa_params /= n;
        weights.iter_mut().for_each(|w| *w /= n);
        Some(Logit {
            intercept: intercept / n,
            weights,
            linfa_params,
            gradient_norm: f64::NAN,
            tolerance: first.tolerance,
        })
    }

    /// This search with every fit's features moved as [`Logit::permuted`] moves them: the
    /// same search, on the same columns in another order.
    pub fn permute(&mut self, to: &[usize]) {
        for fits in &mut self.fits {
            for l in fits.iter_mut() {
                *l = l.permuted(to);
            }
        }
    }

    /// The chosen penalty and its neighbours on the grid (strongest first): where another
    /// search on similar features starts.
    pub fn around_best(&self) -> Vec<f64> {
        let grid = &self.search.grid;
        let k = grid
            .iter()
            .position(|g| g.alpha == self.search.alpha)
            .unwrap_or(0);
        grid[k.saturating_sub(1)..(k + 2).min(grid.len())]
            .iter()
            .map(|g| g.alpha)
            .collect()
    }
}

/// Index of the lowest log loss; ties go to the earlier entry (the stronger penalty).
fn best_index(grid: &[PenaltyScore]) -> usize {
    let mut best = 0;
    for (k, g) in grid.iter().enumerate() {
        if g.cv_log_loss < grid[best].cv_log_loss {
            best = k;
        }
    }
    best
}

/// Chooses the penalty by k-fold CV on `x` (pooled out-of-fold log loss) over `alphas`,
/// warm-started from the strongest penalty outward. While the best sits on an edge of the
/// grid, the next penalty of the configured grid (`options.alphas`) on that side is tried
/// when `alphas` is part of it; past the configured grid's end, the grid is widened on that
/// side by one decade, at most `options.max_grid_extensions` times. `warm` warm-starts each
/// fold's first fit.
pub fn search_penalty(
    x: &Matrix,
    y: &[bool],
    cv: &CvFolds,
    alphas: &[f64],
    warm: Option<&[Logit]>,
    options: &FitOptions,
) -> Result<PenaltyOutcome> {
    let start = std::time::Instant::now();
    let mut alphas = alphas.to_vec();
    if alphas.is_empty() || alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
        return Err(TrainError::Config(
            "penalty grid must be positive, finite numbers".into(),
        ));
    }
    alphas.sort_by(|a, b| b.total_cmp(a)); // strongest penalty first: warm starts move outward
    alphas.dedup();
    let score = |oof: &[f64], alpha: f64| -> Result<PenaltyScore> {
        Ok(PenaltyScore {
            alpha,
            cv_log_loss: log_loss(oof, y)?,
            cv_roc_auc: roc_auc(oof, y)?,
        })
    };
    let path = cv_path(x, y, cv, &alphas, warm, options)?;
    let mut unconverged = path.unconverged;
    let mut grid = alphas
        .iter()
        .zip(&path.oof)
        .map(|(&a, oof)| score(oof, a))
        .collect::<Result<Vec<_>>>()?;
    let mut oofs = path.oof;
    let mut fits = path.fits;
    let mut extended = Vec::new();
    let mut at_edge = false;
    while grid.len() >= 2 {
        let best = best_index(&grid);
        let stronger = if best == 0 {
            true
        } else if best == grid.len() - 1 {
            false
        } else {
            break;
        };
        // A search on part of the configured grid (the neighbours of another search's best)
        // goes on along the configured grid first: its next penalty on that side. Only past
        // the configured grid's end is it widened, a decade at a time (an extension).
        let edge = if stronger {
            grid[0].alpha
        } else {
            grid[grid.len() - 1].alpha
        };
        let beyond = options.alphas.iter().copied();
        let on_grid = if stronger {
            beyond.filter(|a| *a > edge).reduce(f64::min)
        } else {
            beyond.filter(|a| *a < edge).reduce(f64::max)
        };
        let alpha = match on_grid {
            Some(a) => a,
            None if extended.len() >= options.max_grid_extensions => {
                at_edge = true;
                break;
            }
            None if stronger => edge * 10.0,
            None => edge / 10.0,
        };
        let from = if stronger {
            &fits[0]
        } else {
            &fits[fits.len() - 1]
        };
        let mut more = cv_path(x, y, cv, &[alpha], Some(from), options)?;
        unconverged += more.unconverged;
        let point = score(&more.oof[0], alpha)?;
        let fit = more.fits.pop().unwrap_or_default();
        let oof = more.oof.pop().unwrap_or_default();
        if on_grid.is_none() {
            extended.push(alpha);
        }
        if stronger {
            grid.insert(0, point);
            fits.insert(0, fit);
            oofs.insert(0, oof);
        } else {
            grid.push(point);
            fits.push(fit);
            oofs.push(oof);
        }
    }
    let best = best_index(&grid);
    let alpha = grid[best].alpha;
    let oof = oofs.swap_remove(best);
    Ok(PenaltyOutcome {
        search: PenaltySearch {
            folds: cv.folds,
            grid,
            alpha,
            extended,
            at_edge,
        },
        unconverged,
        fits,
        oof,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The final fit's error when no weight moved.
const ALL_ZERO: &str =
    "every weight is zero: the solver did not move from its start (is every feature constant?)";

/// The final fit at `alpha` on all of `train`, with the checks linfa does not make.
pub fn fit_final(
    train: &Matrix,
    y: &[bool],
    alpha: f64,
    options: &FitOptions,
    init: Option<&Logit>,
) -> Result<(Logit, Standardizer, SolverReport)> {
    let standardizer = Standardizer::fit(train);
    let x = standardizer.apply(train);
    let logit = fit_logistic(&x, y, alpha, options, init)?;
    if logit.weights.iter().all(|w| w.abs() < 1e-12) {
        return Err(TrainError::Fit(ALL_ZERO.into()));
    }
    let train_auc = roc_auc(&logit.predict(&x), y)?;
    if train_auc <= 0.5 {
        return Err(TrainError::Fit(format!(
            "training ROC AUC is {train_auc:.3}, no better than chance: the fit failed silently"
        )));
    }
    let solver = SolverReport {
        solver: "L-BFGS (linfa-logistic 0.8; stops on the largest gradient component)".into(),
        max_iterations: options.max_iterations,
        gradient_tolerance: logit.tolerance,
        gradient_norm: logit.gradient_norm,
        converged: logit.converged(),
    };
    Ok((logit, standardizer, solver))
}

/// Chooses the penalty by k-fold CV (pooled out-of-fold log loss), then fits on all of `train`.
pub fn fit_with_cv(train: &Matrix, y: &[bool], options: &FitOptions) -> Result<FitResult> {
    fit_with_cv_grouped(train, y, None, options)
}

/// [`fit_with_cv`] with folds that keep each group of rows whole (`groups[i]` is row i's
/// group: a lead, whose landmark examples must never sit on both sides of a fold).
pub fn fit_with_cv_grouped(
    train: &Matrix,
    y: &[bool],
    groups: Option<&[usize]>,
    options: &FitOptions,
) -> Result<FitResult> {
    let cv = CvFolds::new(y, groups, options)?;
    let penalty = search_penalty(train, y, &cv, &options.alphas, None, options)?;
    fit_after_search(train, y, penalty, options)
}

/// The final fit at the penalty a finished search chose.
pub fn fit_after_search(
    train: &Matrix,
    y: &[bool],
    penalty: PenaltyOutcome,
    options: &FitOptions,
) -> Result<FitResult> {
    let fit_start = std::time::Instant::now();
    let alpha = penalty.search.alpha;
    if let Some(message) = no_better_than_chance(&penalty.search, y) {
        return Err(TrainError::Fit(message));
    }
    // Warm-started from the folds' solutions at that penalty: the same optimum, reached in
    // fewer iterations (the convergence check below is the same either way).
    let init = penalty.warm_start();
    let (logit, standardizer, solver) = match fit_final(train, y, alpha, options, init.as_ref()) {
        // No weight moved because cross-validation chose the strongest penalty it tried: the
        // features do not predict the label (a coin-flip label), which is what to say.
        Err(TrainError::Fit(m)) if m == ALL_ZERO && chosen_auc(&penalty.search).1 => {
            return Err(TrainError::Fit(chance_message(
                &penalty.search,
                "every weight is zero",
            )));
        }
        other => other?,
    };
    Ok(FitResult {
        logit,
        standardizer,
        penalty: penalty.search,
        solver,
        unconverged_cv_fits: penalty.unconverged,
        cv_seconds: penalty.seconds,
        fit_seconds: fit_start.elapsed().as_secs_f64(),
    })
}

/// Why the chosen penalty's model predicts no better than chance, if it does not: its pooled
/// out-of-fold ROC AUC is at most 0.5, or cross-validation chose the strongest penalty it tried
/// (the constant model, as near as the grid goes) and the AUC is within two standard errors of
/// 0.5 (its standard error when the features carry nothing: sqrt((n1 + n0 + 1) / (12 n1 n0))).
/// The final fit would still move its weights by a hair (1e-5 at alpha 1e6), so "every weight is
/// zero" cannot be the test: a coin-flip label would give a model that ranks leads by noise.
fn no_better_than_chance(search: &PenaltySearch, y: &[bool]) -> Option<String> {
    let (auc, strongest) = chosen_auc(search);
    let n1 = y.iter().filter(|v| **v).count() as f64;
    let n0 = y.len() as f64 - n1;
    let se = ((n1 + n0 + 1.0) / (12.0 * n1 * n0)).sqrt();
    let chance = auc.is_nan() || auc <= 0.5 || (strongest && auc < 0.5 + 2.0 * se);
    chance.then(|| {
        chance_message(
            search,
            &format!(
                "within noise of chance (two standard errors: {:.3})",
                2.0 * se
            ),
        )
    })
}

/// The chosen penalty's pooled out-of-fold ROC AUC, and whether it is the strongest tried.
fn chosen_auc(search: &PenaltySearch) -> (f64, bool) {
    let auc = search
        .grid
        .iter()
        .find(|g| g.alpha == search.alpha)
        .map_or(f64::NAN, |g| g.cv_roc_auc);
    (auc, search.grid.iter().all(|g| g.alpha <= search.alpha))
}

/// The error of a fit whose features do not predict the label.
fn chance_message(search: &PenaltySearch, what: &str) -> String {
    let alpha = search.alpha;
    let (auc, strongest) = chosen_auc(search);
    format!(
        "no feature predicts the label: cross-validation chose {} (alpha {alpha:.3e}, C = \
         {:.3e}) and its out-of-fold ROC AUC is {auc:.3}: {what}. Check the label column and \
         --positive; a model of these features would rank leads by noise",
        if strongest {
            "the strongest penalty it tried"
        } else {
            "a penalty"
        },
        1.0 / alpha
    )
}

/// Index of the simplest of `candidates` (ordered from simplest to most complex, each the
/// out-of-fold probabilities of the same rows) whose pooled log loss is within one standard
/// error of the lowest: the "one standard error" rule, with the error of the *paired* difference
/// to the best (each row is scored by both), summed per unit first (`units[i]`: row i's lead,
/// so a lead's several landmark examples count as one draw). A more complex model has to beat a
/// simpler one by more than noise to be chosen: on data with no such structure a lowest loss
/// by chance would otherwise keep terms that fit nothing.
pub fn simplest_within_one_se<P: AsRef<[f64]>>(
    candidates: &[P],
    y: &[bool],
    units: &[usize],
) -> usize {
    let losses: Vec<Vec<f64>> = candidates
        .iter()
        .map(|p| {
            p.as_ref()
                .iter()
                .zip(y)
                .map(|(&s, &t)| example_log_loss(s, t))
                .collect()
        })
        .collect();
    let mean = |l: &Vec<f64>| l.iter().sum::<f64>() / l.len().max(1) as f64;
    let Some(best) =
        (0..losses.len()).min_by(|&a, &b| mean(&losses[a]).total_cmp(&mean(&losses[b])))
    else {
        return 0;
    };
    let n = y.len() as f64;
    for (k, l) in losses.iter().enumerate().take(best) {
        let mut per_unit: std::collections::BTreeMap<usize, f64> = Default::default();
        for ((&a, &b), &u) in l.iter().zip(&losses[best]).zip(units) {
            *per_unit.entry(u).or_default() += a - b;
        }
        let m = per_unit.len() as f64;
        if m < 2.0 {
            continue;
        }
        let total: f64 = per_unit.values().sum();
        let centre = total / m;
        let var_total =
            m / (m - 1.0) * per_unit.values().map(|d| (d - centre).powi(2)).sum::<f64>();
        let se = var_total.sqrt() / n;
        if total / n <= se {
            return k;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::model::{FeatureWeight, LinearModel};

    /// A small problem where "converted" is the minority class (the linfa sign trap).
    fn synthetic(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = SeededRng::new(seed);
        let mut m = Matrix::zeros(n, 3);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let a = rng.normal() * 3.0 + 10.0;
            let b = f64::from(u8::from(rng.bernoulli(0.3)));
            let c = rng.normal();
            m.data[i] = a;
            m.data[n + i] = b;
            m.data[2 * n + i] = c;
            let z = -2.5 + 0.6 * (a - 10.0) + 1.5 * b;
            y.push(rng.bernoulli(sigmoid(z)));
        }
        (m, y)
    }

    /// linfa-logistic (patched) stores the columns of a column-major matrix that mostly hold
    /// one value as that value plus the rows that differ; a row-major copy of the same matrix
    /// takes the dense products. Both must reach the same fit: one-hot columns (standardized, so
    /// their common value is not 0), a mostly-zero count, a dense column, a constant column.
    #[test]
    fn sparse_columns_fit_as_the_dense_products() {
        let n = 3000;
        let mut rng = SeededRng::new(11);
        let mut m = Matrix::zeros(n, 5);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let level = rng.below(10);
            let count = if rng.bernoulli(0.1) {
                rng.below(5) as f64 + 1.0
            } else {
                0.0
            };
            let dense = rng.normal();
            m.data[i] = f64::from(u8::from(level == 0));
            m.data[n + i] = f64::from(u8::from(level == 1 || level == 2));
            m.data[2 * n + i] = count;
            m.data[3 * n + i] = dense;
            m.data[4 * n + i] = 2.0;
            let z = -1.0 + 1.2 * m.data[i] - 0.8 * m.data[n + i] + 0.4 * count + 0.7 * dense;
            y.push(rng.bernoulli(sigmoid(z)));
        }
        let s = Standardizer::fit(&m);
        let x = s.apply(&m);
        assert!(
            x.t().is_standard_layout(),
            "the sparse path needs a column-major matrix"
        );
        let row_major = x.as_standard_layout().to_owned();
        let options = FitOptions {
            tolerance_per_row: 1e-10,
            ..FitOptions::default()
        };
        let a = fit_logistic(&x, &y, 1.0, &options, None).expect("sparse");
        let b = fit_logistic(&row_major, &y, 1.0, &options, None).expect("dense");
        assert!(a.weights[0] > 0.5 && a.weights[1] < -0.2, "{:?}", a.weights);
        for (wa, wb) in a.weights.iter().zip(&b.weights) {
            assert!((wa - wb).abs() < 1e-6, "{:?} vs {:?}", a.weights, b.weights);
        }
        assert!((a.intercept - b.intercept).abs() < 1e-6);
    }

    /// The stopping rule (linfa-logistic patch `gradient_max_abs`): the fit stops once no
    /// component of the summed gradient exceeds the tolerance, which the L2 rule (argmin's)
    /// only reaches later; both end at the same optimum within the looser rule's distance.
    #[test]
    fn the_fit_stops_on_the_largest_gradient_component() {
        let n = 4000;
        let mut rng = SeededRng::new(3);
        let width = 40;
        let mut m = Matrix::zeros(n, width);
        let mut y = Vec::with_capacity(n);
        // Correlated columns (a shared factor plus a little noise each): an ill-conditioned
        // problem, so the solver takes many iterations and the two rules part.
        for i in 0..n {
            let shared = rng.normal();
            let mut z = -1.0;
            for j in 0..width {
                let v = shared + 0.05 * rng.normal();
                m.data[j * n + i] = v;
                z += v * (j as f64 - 20.0) / 10.0;
            }
            y.push(rng.bernoulli(sigmoid(z)));
        }
        let x = Standardizer::fit(&m).apply(&m);
        let targets = Array1::from(y.clone());
        let tolerance = 1e-4 * n as f64;
        let fit = |max_abs: bool| {
            let fitted = LogisticRegression::default()
                .alpha(1e-3)
                .gradient_tolerance(tolerance)
                .gradient_max_abs(max_abs)
                .max_iterations(1000)
                .fit(&DatasetBase::new(x.view(), targets.clone()))
                .expect("fit");
            let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
            let w: Vec<f64> = fitted.params().iter().map(|v| sign * v).collect();
            let b = sign * fitted.intercept();
            (w, b)
        };
        let l2_norm = |w: &[f64], b: f64| {
            let wv = Array1::from(w.to_vec());
            let r: Array1<f64> = x
                .dot(&wv)
                .iter()
                .zip(&y)
                .map(|(z, &t)| sigmoid(z + b) - f64::from(u8::from(t)))
                .collect();
            let g = x.t().dot(&r) + &(&wv * 1e-3);
            (g.iter().map(|v| v * v).sum::<f64>() + r.sum().powi(2)).sqrt()
        };
        let (w_max, b_max) = fit(true);
        let (w_l2, b_l2) = fit(false);
        assert!(objective_gradient_norm(&x, &y, &w_max, b_max, 1e-3) <= tolerance);
        assert!(l2_norm(&w_l2, b_l2) <= tolerance);
        // The looser rule stops no later, and lands next to the stricter one's solution.
        assert!(l2_norm(&w_max, b_max) > l2_norm(&w_l2, b_l2));
        for (a, b) in w_max.iter().zip(&w_l2) {
            assert!((a - b).abs() < 1e-2, "{w_max:?} vs {w_l2:?}");
        }
    }

    #[test]
    fn one_se_rule_keeps_the_simpler_model_unless_the_gain_beats_noise() {
        let mut rng = SeededRng::new(3);
        let n = 4000;
        let truth: Vec<f64> = (0..n).map(|_| sigmoid(rng.normal())).collect();
        let y: Vec<bool> = truth.iter().map(|p| rng.bernoulli(*p)).collect();
        let units: Vec<usize> = (0..n).collect();
        // Candidate 0: the truth blurred; 1: the same with a tiny random wobble (lower loss
        // by chance on some seeds, never by more than noise); 2: the truth itself.
        let blurred: Vec<f64> = truth.iter().map(|p| 0.5 + 0.6 * (p - 0.5)).collect();
        let wobble: Vec<f64> = blurred
            .iter()
            .map(|p| (p + 0.002 * rng.normal()).clamp(0.01, 0.99))
            .collect();
        assert_eq!(
            simplest_within_one_se(&[blurred.clone(), wobble.clone()], &y, &units),
            0
        );
        assert_eq!(
            simplest_within_one_se(&[blurred, wobble, truth.clone()], &y, &units),
            2,
            "a clearly better model is chosen"
        );
        // Rows of one unit count as one draw: 4000 copies of one lead prove nothing.
        let one_lead = vec![0; n];
        let flipped: Vec<f64> = truth.iter().map(|p| 1.0 - p).collect();
        assert_eq!(
            simplest_within_one_se(&[flipped, truth], &y, &one_lead),
            1,
            "with fewer than two units the lowest loss stands"
        );
    }

    #[test]
    fn core_scores_equal_linfa_predict_probabilities() {
        let (m, y) = synthetic(2000, 1);
        assert!(
            y.iter().filter(|v| **v).count() < 1000,
            "converted must be the minority"
        );
        let std = Standardizer::fit(&m);
        let x = std.apply(&m);
        let options = FitOptions::default();
        let logit = fit_logistic(&x, &y, 1.0, &options, None).unwrap();
        assert!(
            logit.weights[0] > 0.0 && logit.weights[1] > 0.0,
            "{:?}",
            logit.weights
        );
        // The same fit through linfa directly.
        let fitted = LogisticRegression::default()
            .alpha(1.0)
            .gradient_tolerance(logit.tolerance)
            .gradient_max_abs(true)
            .max_iterations(options.max_iterations)
            .fit(&DatasetBase::new(x.view(), Array1::from(y.clone())))
            .unwrap();
        let linfa_p = fitted.predict_probabilities(&x);
        let positive_is_converted = fitted.labels().pos.class;
        let model = LinearModel {
            intercept: logit.intercept,
            features: (0..3)
                .map(|j| FeatureWeight {
                    name: format!("f{j}"),
                    column: format!("f{j}"),
                    mean: std.means[j],
                    std: std.stds[j],
                    weight: logit.weights[j],
                    odds_ratio: 1.0,
                    active_share: 1.0,
                })
                .collect(),
        };
        for i in 0..m.rows {
            let ours = model.score(&m.row(i));
            let theirs = if positive_is_converted {
                linfa_p[i]
            } else {
                1.0 - linfa_p[i]
            };
            assert!((ours - theirs).abs() < 1e-9, "row {i}: {ours} vs {theirs}");
        }
    }

    /// The final fit starts from the folds' mean solution at the chosen penalty and ends where
    /// a cold start ends (within the solver's tolerance).
    #[test]
    fn the_final_fit_starts_from_the_folds_and_ends_where_a_cold_one_does() {
        let (m, y) = synthetic(3000, 4);
        let options = FitOptions::default();
        let cv = CvFolds::new(&y, None, &options).unwrap();
        let penalty = search_penalty(&m, &y, &cv, &options.alphas, None, &options).unwrap();
        let init = penalty.warm_start().expect("the folds agree");
        let k = penalty
            .search
            .grid
            .iter()
            .position(|g| g.alpha == penalty.search.alpha)
            .unwrap();
        let folds = &penalty.fits[k];
        let mean0 = folds.iter().map(|l| l.weights[0]).sum::<f64>() / folds.len() as f64;
        assert!((init.weights[0] - mean0).abs() < 1e-12);
        let (warm, _, solver) =
            fit_final(&m, &y, penalty.search.alpha, &options, Some(&init)).unwrap();
        let (cold, _, _) = fit_final(&m, &y, penalty.search.alpha, &options, None).unwrap();
        assert!(solver.converged, "{solver:?}");
        for (a, b) in warm.weights.iter().zip(&cold.weights) {
            assert!(
                (a - b).abs() < 1e-2,
                "{:?} vs {:?}",
                warm.weights,
                cold.weights
            );
        }
        assert!((warm.intercept - cold.intercept).abs() < 1e-2);
    }

    #[test]
    fn cv_recovers_signal_and_reports_convergence() {
        let (m, y) = synthetic(3000, 2);
        let r = fit_with_cv(&m, &y, &FitOptions::default()).unwrap();
        assert!(r.solver.converged, "{:?}", r.solver);
        assert!(
            r.logit.weights[0] > 0.5 && r.logit.weights[1] > 0.3,
            "{:?}",
            r.logit.weights
        );
        assert!(
            r.logit.weights[2].abs() < 0.15,
            "noise weight {:?}",
            r.logit.weights
        );
        assert_eq!(r.penalty.grid.len(), 8);
        assert!(r.penalty.grid.iter().all(|g| g.cv_roc_auc > 0.7));
    }

    /// Options with a grid of `n` values of C from `c_lo` to `c_hi`.
    fn grid(c_lo: f64, c_hi: f64, n: usize) -> FitOptions {
        FitOptions {
            alphas: log_grid(c_lo, c_hi, n)
                .into_iter()
                .map(|c| 1.0 / c)
                .collect(),
            ..FitOptions::default()
        }
    }

    #[test]
    fn the_grid_widens_toward_weaker_penalties_when_the_weakest_wins() {
        // A strong signal and a grid of far too strong penalties (C from 1e-6 to 1e-5).
        let (m, y) = synthetic(3000, 4);
        let r = fit_with_cv(&m, &y, &grid(1e-6, 1e-5, 3)).unwrap();
        let p = &r.penalty;
        assert_eq!(p.extended.len(), MAX_GRID_EXTENSIONS, "{p:?}");
        assert_eq!(p.grid.len(), 3 + MAX_GRID_EXTENSIONS);
        // Each extension a decade weaker than the one before, the grid still strongest first.
        for (k, a) in p.extended.iter().enumerate() {
            let expected = 1e5 / 10f64.powi(k as i32 + 1);
            assert!((a / expected - 1.0).abs() < 1e-9, "{a} vs {expected}");
        }
        assert!(p.grid.windows(2).all(|w| w[0].alpha > w[1].alpha));
        assert_eq!(p.alpha, p.extended[MAX_GRID_EXTENSIONS - 1]);
        assert!(p.at_edge, "still the weakest after three decades: {p:?}");
        assert_eq!(p.chosen_edge(), Some(false));
        // Widened, the CV log loss is better than on the first grid.
        let first: Vec<&PenaltyScore> = p
            .grid
            .iter()
            .filter(|g| !p.extended.contains(&g.alpha))
            .collect();
        let best_first = first.iter().map(|g| g.cv_log_loss).fold(f64::MAX, f64::min);
        let best = p
            .grid
            .iter()
            .map(|g| g.cv_log_loss)
            .fold(f64::MAX, f64::min);
        assert!(best < best_first, "{best} vs {best_first}");
    }

    /// 400 rows of 30 standard normal columns and a label unrelated to them (30% positive).
    fn noise() -> (Matrix, Vec<bool>) {
        let mut rng = SeededRng::new(5);
        let (n, k) = (400, 30);
        let mut m = Matrix::zeros(n, k);
        for v in &mut m.data {
            *v = rng.normal();
        }
        let y: Vec<bool> = (0..n).map(|_| rng.bernoulli(0.3)).collect();
        (m, y)
    }

    #[test]
    fn the_grid_widens_toward_stronger_penalties_and_stops_inside() {
        // Pure noise: the strongest penalty wins, and a decade stronger is no worse.
        let (m, y) = noise();
        let options = grid(1.0, 100.0, 3);
        let cv = CvFolds::new(&y, None, &options).unwrap();
        let p = &search_penalty(&m, &y, &cv, &options.alphas, None, &options)
            .unwrap()
            .search;
        // No model comes of it: the fit says the features do not predict the label.
        let e = fit_with_cv(&m, &y, &options).unwrap_err().to_string();
        assert!(e.contains("no feature predicts the label"), "{e}");
        assert!(!p.extended.is_empty(), "{p:?}");
        assert!(p.extended.iter().all(|a| *a > 1.0), "stronger: {p:?}");
        assert!(p.extended.len() <= MAX_GRID_EXTENSIONS);
        assert!(p.grid.windows(2).all(|w| w[0].alpha > w[1].alpha));
        if !p.at_edge {
            assert_eq!(p.chosen_edge(), None, "{p:?}");
        }
    }

    /// A search on the neighbours of another's best (how the bins search tries its next
    /// candidates) goes on along the configured grid before it widens past it: at the
    /// sub-grid's strong edge it tries the configured grid's next penalty, not one a decade
    /// beyond, and that is no extension of the grid.
    #[test]
    fn a_search_on_part_of_the_grid_goes_on_along_it_before_widening() {
        // Pure noise: the strongest penalty tried wins.
        let (m, y) = noise();
        let options = grid(1e-3, 100.0, 6);
        let cv = CvFolds::new(&y, None, &options).unwrap();
        let (strongest, sub) = (options.alphas[0], &options.alphas[2..4]);
        let p = &search_penalty(&m, &y, &cv, sub, None, &options)
            .unwrap()
            .search;
        let tried: Vec<f64> = p.grid.iter().map(|g| g.alpha).collect();
        // Every configured penalty stronger than the sub-grid is tried before any decade.
        assert!(tried.contains(&options.alphas[1]), "{tried:?}");
        assert!(tried.contains(&strongest), "{tried:?}");
        assert!(
            p.extended.iter().all(|a| *a > strongest),
            "an extension inside the configured grid: {p:?}"
        );
        assert!(p.grid.windows(2).all(|w| w[0].alpha > w[1].alpha));
    }

    #[test]
    fn no_widening_when_the_best_is_inside_or_widening_is_off() {
        let (m, y) = synthetic(3000, 2);
        let r = fit_with_cv(&m, &y, &FitOptions::default()).unwrap();
        if r.penalty.chosen_edge().is_none() {
            assert!(r.penalty.extended.is_empty() && !r.penalty.at_edge);
        }
        let off = FitOptions {
            max_grid_extensions: 0,
            ..grid(1e-6, 1e-5, 3)
        };
        let r = fit_with_cv(&m, &y, &off).unwrap();
        assert!(r.penalty.extended.is_empty());
        assert_eq!(r.penalty.grid.len(), 3);
        assert!(r.penalty.at_edge, "the report says the best is on the edge");
        // One value: nothing to widen.
        let r = fit_with_cv(&m, &y, &grid(1.0, 1.0, 1)).unwrap();
        assert!(r.penalty.extended.is_empty() && !r.penalty.at_edge);
    }

    #[test]
    fn a_padded_fit_starts_where_the_narrower_one_ended() {
        let (m, y) = synthetic(1000, 6);
        let x = Standardizer::fit(&m).apply(&m);
        let options = FitOptions::default();
        let logit = fit_logistic(&x, &y, 1.0, &options, None).unwrap();
        let padded = logit.padded(2);
        assert_eq!(padded.weights.len(), 5);
        assert_eq!(&padded.weights[..3], &logit.weights[..]);
        assert_eq!(padded.linfa_params.len(), 6);
        assert_eq!(padded.linfa_params[5], logit.linfa_params[3]);
        // Two constant-zero columns more: the warm start is already the solution.
        let mut wide = Matrix::zeros(m.rows, 5);
        wide.data[..m.data.len()].copy_from_slice(&m.data);
        let xw = Standardizer::fit(&wide).apply(&wide);
        let refit = fit_logistic(&xw, &y, 1.0, &options, Some(&padded)).unwrap();
        for (a, b) in refit.weights.iter().zip(&logit.weights) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn too_few_iterations_is_reported_as_not_converged() {
        let (m, y) = synthetic(2000, 3);
        let std = Standardizer::fit(&m);
        let x = std.apply(&m);
        let options = FitOptions {
            max_iterations: 1,
            tolerance_per_row: 1e-9,
            ..FitOptions::default()
        };
        let logit = fit_logistic(&x, &y, 1e-3, &options, None).unwrap();
        assert!(!logit.converged(), "gradient norm {}", logit.gradient_norm);
    }

    #[test]
    fn folds_are_stratified() {
        let y: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let f = stratified_folds(&y, 5, 1);
        for k in 0..5 {
            assert_eq!((0..100).filter(|&i| f[i] == k && y[i]).count(), 5);
        }
    }
}
