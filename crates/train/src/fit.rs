//! Fitting: standardization, L2-penalized logistic regression with linfa-logistic, the penalty
//! chosen by stratified k-fold cross-validation, and checks that linfa does not do itself.
//!
//! Traps handled here (measured, see DESIGN.md section 2): linfa calls the *majority* class
//! "positive", so signs are flipped when "converted" is the minority; unstandardized data can
//! silently yield all-zero weights, so features are standardized and the result checked;
//! linfa does not report convergence, so the gradient norm of its objective is computed after
//! the fit and compared with the tolerance.

use crate::error::{Result, TrainError};
use crate::featurize::Matrix;
use leadscore_core::artifact::{PenaltyScore, PenaltySearch, SolverReport};
use leadscore_core::metrics::{log_loss, roc_auc};
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
    /// Gradient tolerance per training row (linfa's objective is a sum over rows).
    pub tolerance_per_row: f64,
    /// Seed for the folds.
    pub seed: u64,
    /// Worker threads for the folds.
    pub threads: usize,
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

/// Means and standard deviations of each column on the rows a model is fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Column means.
    pub means: Vec<f64>,
    /// Column standard deviations (1 for a constant column).
    pub stds: Vec<f64>,
}

impl Standardizer {
    /// Fits on all rows of `m`.
    pub fn fit(m: &Matrix) -> Self {
        let n = m.rows.max(1) as f64;
        let mut means = Vec::with_capacity(m.cols);
        let mut stds = Vec::with_capacity(m.cols);
        for j in 0..m.cols {
            let c = m.col(j);
            let mean = c.iter().sum::<f64>() / n;
            let var = c.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            let sd = var.sqrt();
            means.push(mean);
            stds.push(if sd > 1e-12 { sd } else { 1.0 });
        }
        Self { means, stds }
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
    /// Gradient norm of the objective at the solution.
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
        .max_iterations(options.max_iterations);
    if let Some(init) = init {
        params = params.initial_params(init.linfa_params.clone());
    }
    let fitted = params
        .fit(&dataset)
        .map_err(|e| TrainError::Fit(format!("linfa-logistic: {e}")))?;
    // linfa's "positive" class is the more frequent label; flip to "converted".
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let weights: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
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

/// L2 norm of the gradient of sum(log-loss) + alpha/2 |w|^2 (intercept unpenalized), the
/// objective linfa minimizes.
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
    (gw.iter().map(|g| g * g).sum::<f64>() + gb * gb).sqrt()
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

/// One fold's out-of-fold predictions at one penalty: (grid index, (row, score) pairs,
/// unconverged fits of the fold, counted on its last entry).
type FoldPredictions = (usize, Vec<(usize, f64)>, usize);

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
    let positives = y.iter().filter(|v| **v).count();
    if positives == 0 || positives == y.len() {
        return Err(TrainError::Fit(
            "the training split has only one class".into(),
        ));
    }
    let folds = options
        .folds
        .clamp(2, positives.min(y.len() - positives).max(2));
    let mut alphas = options.alphas.clone();
    alphas.sort_by(|a, b| b.total_cmp(a)); // strongest penalty first: warm starts move outward
    if alphas.is_empty() || alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
        return Err(TrainError::Config(
            "penalty grid must be positive, finite numbers".into(),
        ));
    }
    let cv_start = std::time::Instant::now();
    let assignment = match groups {
        Some(g) => grouped_folds(y, g, folds, options.seed),
        None => stratified_folds(y, folds, options.seed),
    };
    // out_of_fold[a][i]: prediction for row i by the model of its fold at alpha a.
    let mut out_of_fold = vec![vec![f64::NAN; y.len()]; alphas.len()];
    let mut unconverged = 0usize;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Vec<FoldPredictions>>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..options.threads.clamp(1, folds))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let f = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if f >= folds {
                            break;
                        }
                        let fit_rows: Vec<usize> =
                            (0..y.len()).filter(|&i| assignment[i] != f).collect();
                        let val_rows: Vec<usize> =
                            (0..y.len()).filter(|&i| assignment[i] == f).collect();
                        let fit_m = train.select_rows(&fit_rows);
                        let std = Standardizer::fit(&fit_m);
                        let xf = std.apply(&fit_m);
                        drop(fit_m); // keep one copy of the fold at a time (memory at 1M rows)
                        let xv = std.apply(&train.select_rows(&val_rows));
                        let yf: Vec<bool> = fit_rows.iter().map(|&i| y[i]).collect();
                        let mut prev: Option<Logit> = None;
                        let mut unconverged = 0;
                        for (a, &alpha) in alphas.iter().enumerate() {
                            let logit = fit_logistic(&xf, &yf, alpha, options, prev.as_ref())?;
                            if !logit.converged() {
                                unconverged += 1;
                            }
                            let preds = logit.predict(&xv);
                            done.push((a, val_rows.iter().copied().zip(preds).collect(), 0));
                            prev = Some(logit);
                        }
                        if let Some(last) = done.last_mut() {
                            last.2 = unconverged;
                        }
                    }
                    Ok(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(TrainError::Fit("a cross-validation worker panicked".into()))
                })
            })
            .collect()
    });
    for r in results {
        for (a, preds, unc) in r? {
            unconverged += unc;
            for (i, p) in preds {
                out_of_fold[a][i] = p;
            }
        }
    }
    let mut grid = Vec::with_capacity(alphas.len());
    for (a, &alpha) in alphas.iter().enumerate() {
        grid.push(PenaltyScore {
            alpha,
            cv_log_loss: log_loss(&out_of_fold[a], y)?,
            cv_roc_auc: roc_auc(&out_of_fold[a], y)?,
        });
    }
    let best = grid
        .iter()
        .min_by(|a, b| a.cv_log_loss.total_cmp(&b.cv_log_loss))
        .map(|g| g.alpha)
        .unwrap_or(1.0);
    let cv_seconds = cv_start.elapsed().as_secs_f64();
    let fit_start = std::time::Instant::now();
    let standardizer = Standardizer::fit(train);
    let x = standardizer.apply(train);
    let logit = fit_logistic(&x, y, best, options, None)?;
    if logit.weights.iter().all(|w| w.abs() < 1e-12) {
        return Err(TrainError::Fit(
            "every weight is zero: the solver did not move from its start (is every feature constant?)".into(),
        ));
    }
    let train_auc = roc_auc(&logit.predict(&x), y)?;
    if train_auc <= 0.5 {
        return Err(TrainError::Fit(format!(
            "training ROC AUC is {train_auc:.3}, no better than chance: the fit failed silently"
        )));
    }
    let solver = SolverReport {
        solver: "L-BFGS (linfa-logistic 0.8)".into(),
        max_iterations: options.max_iterations,
        gradient_tolerance: logit.tolerance,
        gradient_norm: logit.gradient_norm,
        converged: logit.converged(),
    };
    Ok(FitResult {
        logit,
        standardizer,
        penalty: PenaltySearch {
            folds,
            grid,
            alpha: best,
        },
        solver,
        unconverged_cv_fits: unconverged,
        cv_seconds,
        fit_seconds: fit_start.elapsed().as_secs_f64(),
    })
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
