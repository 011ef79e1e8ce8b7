//! The pair search: which interaction terms a model gets, and how many.
//!
//! After the main-effects model is fitted (penalty chosen by cross-validation), training ranks
//! every pair of pairable columns (numeric, categorical, boolean, email, job title) the way
//! EBM's FAST does: from the main model's residuals `r = y - p` and weights `w = p (1 - p)` on
//! the training split, each column is coarsened to a few cells ([`fit_side`]), and each pair
//! scores the log-likelihood a piecewise-constant term on its grid of cells would add, beyond
//! what its two columns' own cells add and what noise alone would add:
//!
//! `S(cells) = sum over cells of (R_c^2 - V_c) / (W_c + lambda)`, with `R_c`, `W_c` the sums
//! of `r` and `w` in a cell and `V_c` the sum over leads of the square of a lead's own `r` sum
//! in the cell (what `R_c^2` is on average without an effect, also when a lead has several
//! landmark examples, so each term is 0 on average without one), and
//! `gain = (S(a x b) - S(a) - S(b) + S(all)) / 2`.
//!
//! A column whose cells split the training examples exactly as an earlier column's do (a
//! monotone copy: a charge billed at a fixed rate per minute beside the minutes) is left out:
//! each of its pairs would repeat one of the earlier column's under another name, and copies of
//! one interaction would fill the best `K` (the provenance lists it under `duplicates`).
//!
//! One pass over the rows per pair. Then the best `K` pairs become one-hot cell features
//! ([`leadscore_core::pairs::FittedPair`]), `K` chosen by cross-validation among the spec's
//! candidates (0, 4, 8, 16, 32 by default) at the chosen penalty, on the same folds, each fit
//! warm-started from the one before. The cross-validation is nested: each fold ranks the pairs
//! again on the residuals of its own main model on its own rows (ranked on all rows, pairs that
//! fit the held-out folds' noise make every count look better than it is). When the largest
//! candidate wins, half as many again are tried once. Large training splits are searched on a
//! seeded sample of their leads. The final model is refitted with the chosen pairs.

use crate::error::{Result, TrainError};
use crate::featurize::Matrix;
use crate::fit::{
    each_fold, fit_logistic, fit_widths, fold_assignment, simplest_within_one_se, FitOptions,
    FitResult, Standardizer, WideFit,
};
use leadscore_core::artifact::{penalty_text, SolverReport};
use leadscore_core::fitted::{signed_log1p, FittedSpec, FittedTransform};
use leadscore_core::metrics::{log_loss, roc_auc};
use leadscore_core::model::sigmoid;
use leadscore_core::pairs::{
    bin_labels, column_offsets, CellRule, CellsCompared, FittedPair, PairCandidate, PairCount,
    PairPenalty, PairSearch, PairSide, PairSpec, RankedPair, MAX_PAIRS,
};
use leadscore_core::rng::SeededRng;

/// A numeric column is cut into at most this many quantile bins (plus `missing`). Few and
/// coarse cells over many pairs did best on X Education (3 bins and 2 values: cross-validated
/// log loss 0.3721 with 32 pairs, against 0.3772 at best with 5 and 5).
pub const NUMERIC_CELLS: usize = 3;
/// The finer cut the pair search compares when the coarse one keeps pairs (a threshold near
/// the top of a column falls inside a third): on a telecom churn table cross-validated log
/// loss 0.2251 against 0.2349 with 3; on X Education 0.3742 against 0.3724, so 3 stays.
pub const FINER_NUMERIC_CELLS: usize = 5;
/// An indicator column keeps at most this many of its values as cells of their own (plus
/// `(other)`).
pub const LEVEL_CELLS: usize = 2;
/// The search (ranking and cross-validation) runs on at most about this many training examples:
/// beyond, on a seeded sample of the training leads. 50,000, as the bins search: at 100,000 the
/// search took 27 s of a 175 s training run on 200,000 demo leads (480,000 landmark examples),
/// and 50,000 examples still measure a pair's cells on thousands of examples each.
pub const MAX_SEARCH_ROWS: usize = 50_000;
/// Grid steps the penalty with the pairs goes at most on either side of the one chosen without
/// them (as many as the penalty grid widens at most by default, `--grid-extensions`).
pub const PENALTY_STEPS: usize = leadscore_core::artifact::MAX_GRID_EXTENSIONS;
/// A cell gets its own value (of a column) or feature (of a pair) only with at least this many
/// training examples, and at least one in [`MIN_CELL_SHARE_INV`] of them.
pub const MIN_CELL_ROWS: usize = 20;
/// See [`MIN_CELL_ROWS`].
pub const MIN_CELL_SHARE_INV: usize = 500;
/// Ranked pairs kept in the artifact (the chosen ones are always among them).
pub const RANKED_KEPT: usize = 20;
/// The ridge in the gain's denominators (in units of `p (1 - p)`: a few examples).
pub const LAMBDA: f64 = 1.0;

/// One coarsened column: its side of a pair, and the cell of every training example.
struct Coarse {
    side: PairSide,
    cells: Vec<u8>,
}

/// The features of column `c` (at `offset`) of row `i` of `m`, into `slot`.
fn gather(m: &Matrix, offset: usize, i: usize, slot: &mut [f64]) {
    for (k, v) in slot.iter_mut().enumerate() {
        *v = m.data[(offset + k) * m.rows + i];
    }
}

/// The raw value behind a (possibly log1p'd) feature value, snapped to a short decimal when
/// that is exactly the value the feature came from (so an edge reads `3`, not
/// `3.0000000000000004`, and a lead with 3 sits on the side the label says).
fn raw_edge(v: f64, log1p: bool) -> f64 {
    if !log1p {
        return v;
    }
    let r = v.signum() * v.abs().exp_m1();
    for digits in [0, 1, 2, 3, 6] {
        let scale = 10f64.powi(digits);
        let s = (r * scale).round() / scale;
        if signed_log1p(s) == v {
            return s;
        }
    }
    r
}

/// Coarsens column `index` of `fitted` from its training features in `m` (training rows): a
/// numeric column into quantile bins (+ missing), an indicator column into its most frequent
/// values (+ `(other)`). `None` when the column has fewer than two non-empty cells or cannot
/// be paired.
fn fit_side(
    fitted: &FittedSpec,
    index: usize,
    offset: usize,
    m: &Matrix,
    min_cell: usize,
    numeric_cells: usize,
) -> Option<Coarse> {
    let col = &fitted.columns[index];
    let width = col.transform.width();
    let names = col.transform.feature_names(&col.name);
    let label = |k: usize| -> String {
        names[k]
            .strip_prefix(col.name.as_str())
            .unwrap_or(&names[k])
            .trim_start()
            .to_string()
    };
    let (cells, rule) = match &col.transform {
        FittedTransform::Numeric {
            missing_indicator,
            log1p,
            ..
        } => {
            let values = m.col(offset);
            let missing = missing_indicator.then(|| m.col(offset + 1));
            let mut present: Vec<f64> = values
                .iter()
                .enumerate()
                .filter(|(r, _)| missing.is_none_or(|x| x[*r] == 0.0))
                .map(|(_, v)| *v)
                .collect();
            present.sort_by(f64::total_cmp);
            let n = present.len();
            let mut edges: Vec<f64> = if n == 0 {
                Vec::new()
            } else {
                (1..numeric_cells)
                    .map(|k| present[(k * n) / numeric_cells])
                    .filter(|e| *e > present[0])
                    .map(|v| raw_edge(v, *log1p))
                    .collect()
            };
            edges.dedup();
            edges.retain(|e| e.is_finite());
            let mut cells = if edges.is_empty() {
                vec!["(any value)".to_string()]
            } else {
                bin_labels(&edges)
            };
            if *missing_indicator {
                cells.push("is missing".into());
            }
            (cells, CellRule::Bins { edges })
        }
        FittedTransform::Boolean { missing_indicator } => {
            let mut cells = vec!["= yes".to_string(), "= no".to_string()];
            let mut of_feature = vec![0];
            if *missing_indicator {
                cells.push("is missing".into());
                of_feature.push(2);
            }
            (
                cells,
                CellRule::Indicators {
                    of_feature,
                    otherwise: 1,
                },
            )
        }
        FittedTransform::Categorical { .. }
        | FittedTransform::Email(_)
        | FittedTransform::JobTitle => {
            let counts: Vec<usize> = (0..width)
                .map(|k| m.col(offset + k).iter().filter(|v| **v != 0.0).count())
                .collect();
            // The categorical `(other)` feature always goes to the shared other cell.
            let other_feature = match &col.transform {
                FittedTransform::Categorical { levels } => Some(levels.len()),
                _ => None,
            };
            let mut order: Vec<usize> = (0..width)
                .filter(|k| Some(*k) != other_feature && counts[*k] >= min_cell)
                .collect();
            order.sort_by(|a, b| counts[*b].cmp(&counts[*a]).then(a.cmp(b)));
            order.truncate(LEVEL_CELLS);
            order.sort_unstable();
            let mut cells: Vec<String> = order.iter().map(|k| label(*k)).collect();
            let other = cells.len();
            let rest = (0..width).any(|k| !order.contains(&k) && counts[k] > 0);
            if rest {
                cells.push("= (other)".into());
            }
            let top = cells.len().saturating_sub(1);
            let of_feature = (0..width)
                .map(|k| order.iter().position(|o| *o == k).unwrap_or(other))
                .map(|c| c.min(top))
                .collect();
            (
                cells,
                CellRule::Indicators {
                    of_feature,
                    otherwise: other.min(top),
                },
            )
        }
        // Several options at once: no single cell per lead.
        FittedTransform::Timestamp { .. }
        | FittedTransform::LeadAge { .. }
        | FittedTransform::MultiSelect { .. } => return None,
    };
    if cells.len() > usize::from(u8::MAX) || cells.is_empty() {
        return None;
    }
    let side = PairSide {
        column: col.name.clone(),
        index,
        cells,
        rule,
    };
    let mut slot = vec![0.0; width];
    let mut out = Vec::with_capacity(m.rows);
    let mut used = vec![0usize; side.cells.len()];
    for i in 0..m.rows {
        gather(m, offset, i, &mut slot);
        let c = side.cell(&col.transform, &slot)?;
        used[c] += 1;
        out.push(c as u8);
    }
    (used.iter().filter(|n| **n > 0).count() >= 2).then_some(Coarse { side, cells: out })
}

/// `sum over cells of (R^2 - V) / (W + lambda)`: `V` is what `R^2` is on average without an
/// effect (see [`pair_gain`]).
pub(crate) fn score(r: &[f64], w: &[f64], v: &[f64]) -> f64 {
    r.iter()
        .zip(w)
        .zip(v)
        .filter(|((_, w), _)| **w > 0.0)
        .map(|((r, w), v)| (r * r - v) / (w + LAMBDA))
        .sum()
}

/// The examples the search runs on, in runs of one group (lead) each.
pub(crate) struct SearchRows {
    /// Training rows, the rows of a group next to each other.
    pub(crate) rows: Vec<usize>,
    /// `rows[runs[k]..runs[k + 1]]` is one group.
    pub(crate) runs: Vec<usize>,
}

impl SearchRows {
    pub(crate) fn new(mut rows: Vec<usize>, groups: Option<&[usize]>) -> Self {
        match groups {
            Some(g) => {
                rows.sort_by_key(|&i| (g[i], i));
                let mut runs = vec![0];
                for k in 1..rows.len() {
                    if g[rows[k]] != g[rows[k - 1]] {
                        runs.push(k);
                    }
                }
                runs.push(rows.len());
                Self { rows, runs }
            }
            None => Self {
                runs: (0..=rows.len()).collect(),
                rows,
            },
        }
    }
}

/// Per-cell sums of one partition: residuals `r`, weights `w`, and `v`, the sum over groups of
/// the square of a group's residual sum in the cell (the cell sum's variance without an
/// effect, robust to a lead's examples sharing their residuals; with one example per lead it
/// is the sum of `r^2`, on average `w`).
pub(crate) struct Sums {
    r: Vec<f64>,
    w: Vec<f64>,
    v: Vec<f64>,
    /// The current group's residual sum per cell, and the cells it touched.
    open: Vec<f64>,
    touched: Vec<usize>,
}

impl Sums {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            r: vec![0.0; n],
            w: vec![0.0; n],
            v: vec![0.0; n],
            open: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, c: usize, r: f64, w: f64) {
        if self.open[c] == 0.0 && !self.touched.contains(&c) {
            self.touched.push(c);
        }
        self.open[c] += r;
        self.r[c] += r;
        self.w[c] += w;
    }

    pub(crate) fn close_group(&mut self) {
        for c in self.touched.drain(..) {
            self.v[c] += self.open[c] * self.open[c];
            self.open[c] = 0.0;
        }
    }

    pub(crate) fn score(&self) -> f64 {
        score(&self.r, &self.w, &self.v)
    }
}

/// A hash of the partition `cells` makes of the rows, whatever its cells are called: the cells
/// relabelled in the order they first appear, hashed as they go (no copy of the column).
fn partition_hash(cells: &[u8]) -> u64 {
    let mut label = [u16::MAX; 256];
    let mut next = 0u16;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    for &c in cells {
        let l = &mut label[usize::from(c)];
        if *l == u16::MAX {
            *l = next;
            next += 1;
        }
        h = (h ^ u64::from(*l)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Whether `a` and `b` split the rows the same way: a one-to-one map between their cells.
fn same_partition(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut ab, mut ba) = ([u16::MAX; 256], [u16::MAX; 256]);
    a.iter().zip(b).all(|(&x, &y)| {
        let (fx, fy) = (&mut ab[usize::from(x)], &mut ba[usize::from(y)]);
        if *fx == u16::MAX && *fy == u16::MAX {
            *fx = u16::from(y);
            *fy = u16::from(x);
        }
        *fx == u16::from(y) && *fy == u16::from(x)
    })
}

/// The gain of the pair of coarsened columns `a` and `b` on the search rows (see the module
/// doc).
fn pair_gain(a: &Coarse, b: &Coarse, rows: &SearchRows, resid: &[f64], weight: &[f64]) -> f64 {
    let (na, nb) = (a.side.cells.len(), b.side.cells.len());
    let (mut ab, mut sa, mut sb, mut all) = (
        Sums::new(na * nb),
        Sums::new(na),
        Sums::new(nb),
        Sums::new(1),
    );
    for run in rows.runs.windows(2) {
        for &i in &rows.rows[run[0]..run[1]] {
            let (ca, cb) = (usize::from(a.cells[i]), usize::from(b.cells[i]));
            let (r, w) = (resid[i], weight[i]);
            ab.add(ca * nb + cb, r, w);
            sa.add(ca, r, w);
            sb.add(cb, r, w);
            all.add(0, r, w);
        }
        for s in [&mut ab, &mut sa, &mut sb, &mut all] {
            s.close_group();
        }
    }
    (ab.score() - sa.score() - sb.score() + all.score()) / 2.0
}

/// The pairs `candidates` of coarsened columns ranked by their gain on the residuals `resid`
/// and weights `weight` (indexed by training row) of the search rows `rows`, best first, as
/// pairs with a feature for each cell that has `min_cell` training examples (in parallel over
/// pairs on `threads` threads).
fn rank(
    candidates: &[(usize, usize)],
    coarse: &[Option<Coarse>],
    rows: &SearchRows,
    resid: &[f64],
    weight: &[f64],
    min_cell: usize,
    threads: usize,
) -> Result<Vec<(f64, FittedPair)>> {
    let threads = threads.clamp(1, candidates.len().max(1));
    let chunk = candidates.len().div_ceil(threads).max(1);
    let gains: Vec<f64> = if threads == 1 {
        candidates
            .iter()
            .map(|&(i, j)| match (&coarse[i], &coarse[j]) {
                (Some(a), Some(b)) => pair_gain(a, b, rows, resid, weight),
                _ => f64::NEG_INFINITY,
            })
            .collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = candidates
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|&(i, j)| match (&coarse[i], &coarse[j]) {
                                (Some(a), Some(b)) => pair_gain(a, b, rows, resid, weight),
                                _ => f64::NEG_INFINITY,
                            })
                            .collect::<Vec<f64>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    if gains.len() != candidates.len() {
        return Err(TrainError::Fit("a pair-ranking worker panicked".into()));
    }
    let mut ranked: Vec<(f64, FittedPair)> = candidates
        .iter()
        .zip(&gains)
        .filter_map(|(&(i, j), &g)| {
            let pair = make_pair(coarse[i].as_ref()?, coarse[j].as_ref()?, min_cell)?;
            g.is_finite().then_some((g, pair))
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.name().cmp(&b.1.name()))
    });
    Ok(ranked)
}

/// The pair of two coarsened columns, with a feature for each cell that has at least
/// `min_cell` training examples; `None` when no cell has.
fn make_pair(a: &Coarse, b: &Coarse, min_cell: usize) -> Option<FittedPair> {
    let nb = b.side.cells.len();
    let mut counts = vec![0usize; a.side.cells.len() * nb];
    for (ca, cb) in a.cells.iter().zip(&b.cells) {
        counts[usize::from(*ca) * nb + usize::from(*cb)] += 1;
    }
    let cells: Vec<(usize, usize)> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n >= min_cell)
        .map(|(c, _)| (c / nb, c % nb))
        .collect();
    (!cells.is_empty()).then(|| FittedPair {
        a: a.side.clone(),
        b: b.side.clone(),
        cells,
    })
}

/// The features of `pairs` for rows `rows` of `m` (whose column features follow `fitted`'s
/// columns), written column by column into `out` (rows.len() rows), through
/// [`FittedPair::encode`]: the function the server calls per lead.
fn encode_rows(
    fitted: &FittedSpec,
    pairs: &[FittedPair],
    m: &Matrix,
    rows: &[usize],
    out: &mut [f64],
) -> Result<()> {
    let offsets = column_offsets(fitted);
    let n = rows.len();
    let mut at = 0;
    for p in pairs {
        let (ta, tb) = (
            &fitted.columns[p.a.index].transform,
            &fitted.columns[p.b.index].transform,
        );
        let (mut sa, mut sb) = (vec![0.0; ta.width()], vec![0.0; tb.width()]);
        let mut slot = vec![0.0; p.width()];
        for (r, &i) in rows.iter().enumerate() {
            gather(m, offsets[p.a.index], i, &mut sa);
            gather(m, offsets[p.b.index], i, &mut sb);
            slot.fill(0.0);
            p.encode((ta, &sa), (tb, &sb), &mut slot).ok_or_else(|| {
                TrainError::Fit(format!(
                    "pair `{}` does not fit its columns' features",
                    p.name()
                ))
            })?;
            for (k, v) in slot.iter().enumerate() {
                if *v != 0.0 {
                    out[(at + k) * n + r] = *v;
                }
            }
        }
        at += p.width();
    }
    Ok(())
}

/// Fills the pair features of a design matrix whose other features are in place: `m` has
/// [`FittedSpec::width`] columns, the pairs' last.
pub fn fill_pairs(fitted: &FittedSpec, m: &mut Matrix) -> Result<()> {
    let w = fitted.pairs_width();
    if w == 0 {
        return Ok(());
    }
    let start = (m.cols - w) * m.rows;
    let rows: Vec<usize> = (0..m.rows).collect();
    let mut out = vec![0.0; w * m.rows];
    encode_rows(fitted, &fitted.pairs, m, &rows, &mut out)?;
    m.data[start..].copy_from_slice(&out);
    Ok(())
}

/// Appends the pair features of `pairs` to `m` (whose columns are `fitted`'s without pairs).
fn append_pairs(fitted: &FittedSpec, pairs: &[FittedPair], m: &mut Matrix) -> Result<()> {
    let w: usize = pairs.iter().map(FittedPair::width).sum();
    let rows: Vec<usize> = (0..m.rows).collect();
    let mut out = vec![0.0; w * m.rows];
    encode_rows(fitted, pairs, m, &rows, &mut out)?;
    m.data.extend_from_slice(&out);
    m.cols += w;
    Ok(())
}

/// Training rows the search uses: all of them, or beyond [`MAX_SEARCH_ROWS`] a seeded sample
/// of whole groups (leads).
pub(crate) fn search_rows(n: usize, groups: Option<&[usize]>, seed: u64) -> Vec<usize> {
    if n <= MAX_SEARCH_ROWS {
        return (0..n).collect();
    }
    let share = MAX_SEARCH_ROWS as f64 / n as f64;
    let mut rng = SeededRng::new(seed ^ 0x9A1E);
    match groups {
        Some(g) => {
            let mut keep: std::collections::HashMap<usize, bool> = Default::default();
            let mut ids: Vec<usize> = g.to_vec();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                keep.insert(id, rng.bernoulli(share));
            }
            (0..n).filter(|&i| keep[&g[i]]).collect()
        }
        None => (0..n).filter(|_| rng.bernoulli(share)).collect(),
    }
}

/// The pair settings in force: the spec's `[pairs]` (default: searched, count by
/// cross-validation) with the command line's count over it; a count of 0 there turns every
/// pair off, the spec's named ones too.
pub fn settings(spec: Option<&PairSpec>, count: Option<PairCount>) -> PairSpec {
    let mut s = spec.cloned().unwrap_or_default();
    match count {
        Some(PairCount::Fixed(0)) => {
            s.count = PairCount::Fixed(0);
            s.include.clear();
        }
        Some(c) => s.count = c,
        None => {}
    }
    s
}

/// The pair search as `train` prints it: the best-ranked pairs (those kept marked) and the
/// candidates' cross-validation scores.
pub fn pairs_text(a: &leadscore_core::artifact::ModelArtifact) -> String {
    use std::fmt::Write;
    let Some(p) = &a.provenance.pairs else {
        return String::new();
    };
    let kept: Vec<String> = a.spec.pairs.iter().map(FittedPair::name).collect();
    let mut out = if p.ranked.is_empty() && p.named.is_empty() {
        // Nothing ranked: why, rather than a heading over an empty list (as the report says).
        let n = p.columns.len();
        format!(
            "  pairs (count {}): none: the search had {n} field{} to pair{}\n",
            p.count,
            if n == 1 { "" } else { "s" },
            if n < 2 {
                ""
            } else {
                ", and no pair gained on the training split"
            }
        )
    } else {
        format!(
            "  pairs (count {}): ranked by gain on the residuals of the model without them ({} {}):\n",
            p.count,
            p.rows,
            a.provenance.unit()
        )
    };
    for r in p.ranked.iter().take(10) {
        let _ = writeln!(
            out,
            "    {:>8.2}  {:>3} cells  {}{}",
            r.gain,
            r.cells,
            r.name,
            if kept.contains(&r.name) {
                "  <- kept"
            } else {
                ""
            }
        );
    }
    for n in &p.named {
        let _ = writeln!(out, "    named in the spec: {n}  <- kept");
    }
    for [copy, of] in &p.duplicates {
        let _ = writeln!(
            out,
            "    not paired: {copy} (a copy of {of}: the same cells on every training example)"
        );
    }
    if !p.candidates.is_empty() {
        let _ = writeln!(
            out,
            "    how many, by {}-fold CV at alpha {} (each fold ranks the pairs on its own rows; \
             pooled out-of-fold; fewest first, stopping at the first that does no better; the fewest within one standard error of the lowest log loss):",
            p.folds,
            penalty_text(p.alpha)
        );
        for c in &p.candidates {
            let _ = writeln!(
                out,
                "      {:>2} pairs  {:>4} features  log loss {:.4}  ROC AUC {:.4}{}",
                c.pairs,
                c.features,
                c.cv_log_loss,
                c.cv_roc_auc,
                match (c.pairs == p.chosen, p.extended.contains(&c.pairs)) {
                    (true, true) => "  <- chosen (beyond the candidates)",
                    (true, false) => "  <- chosen",
                    (false, true) => "  (beyond the candidates)",
                    (false, false) => "",
                }
            );
        }
        if let Some(other) = &p.cells_compared {
            let _ = writeln!(
                out,
                "    numeric columns cut into {} cells for the pairs; with {} cells the same search \
                 kept {} pairs, log loss {:.4}, ROC AUC {:.4} (the finer cut must beat the \
                 coarser by more than one standard error)",
                p.numeric_cells.unwrap_or(NUMERIC_CELLS),
                other.numeric_cells,
                other.pairs,
                other.cv_log_loss,
                other.cv_roc_auc
            );
        }
        if !p.not_tried.is_empty() {
            let tried = p.candidates.last().map_or(0, |c| c.pairs);
            let _ = writeln!(
                out,
                "      not tried: {} ({tried} pairs did no better than fewer)",
                p.not_tried
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !p.penalties.is_empty() {
            let _ = writeln!(
                out,
                "    the penalty again with the pairs, by the same folds (the one above stays unless \
                 another beats it by more than one standard error):"
            );
            let fitted_at = p.refit_alpha.unwrap_or(p.alpha);
            for q in &p.penalties {
                let _ = writeln!(
                    out,
                    "      alpha {:>9}  log loss {:.4}  ROC AUC {:.4}{}",
                    penalty_text(q.alpha),
                    q.cv_log_loss,
                    q.cv_roc_auc,
                    if q.alpha == fitted_at {
                        "  <- chosen"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    out
}

/// What the search did, for the artifact and the report.
#[derive(Debug, Clone)]
pub struct PairsOutcome {
    /// The provenance entry.
    pub search: PairSearch,
    /// Wall time of the ranking and the cross-validation, seconds (the refit with the chosen
    /// pairs is counted in the final fit's time).
    pub seconds: f64,
}

/// Ranks the pairs, chooses how many to keep and refits: on return `fitted` has its pairs,
/// `x_train` and `x_test` their features, and `fit` the model with them. `None` (nothing
/// changed) when the settings ask for no pair.
///
/// The search runs with numeric columns cut into [`NUMERIC_CELLS`] cells; when it keeps pairs
/// and chooses their number by cross-validation, it runs again with [`FINER_NUMERIC_CELLS`],
/// and the finer cut wins only when its pooled out-of-fold log loss beats the coarser one's by
/// more than one standard error (paired, per lead): a threshold near the top or bottom of a
/// column (the heaviest tenth of users) falls inside a third. The pairs the spec names keep
/// [`NUMERIC_CELLS`] either way.
#[allow(clippy::too_many_arguments)]
pub fn search_and_add(
    settings: &PairSpec,
    fitted: &mut FittedSpec,
    x_train: &mut Matrix,
    x_test: &mut Matrix,
    y: &[bool],
    groups: Option<&[usize]>,
    fit: &mut FitResult,
    options: &FitOptions,
) -> Result<Option<PairsOutcome>> {
    let start = std::time::Instant::now();
    let run = |cells: usize| {
        search(
            settings, &*fitted, &*x_train, y, groups, &*fit, options, cells,
        )
    };
    let Some(mut best) = run(NUMERIC_CELLS)? else {
        return Ok(None);
    };
    if best.search.chosen > 0 && best.oof.is_some() {
        if let Some(finer) = run(FINER_NUMERIC_CELLS)? {
            let finer_wins = match (&best.oof, &finer.oof) {
                (Some(coarse), Some(fine)) if finer.search.chosen > 0 => {
                    simplest_within_one_se(&[&coarse.0, &fine.0], &coarse.1, &coarse.2) == 1
                }
                _ => false,
            };
            let (mut winner, loser) = if finer_wins {
                (finer, best)
            } else {
                (best, finer)
            };
            // Only a search that chose its count by cross-validation has scores to show (the
            // finer one may have too few pairs that gain to compare counts).
            winner.search.cells_compared = loser.chosen_score().map(|c| CellsCompared {
                numeric_cells: loser.search.numeric_cells.unwrap_or(NUMERIC_CELLS),
                pairs: loser.search.chosen,
                cv_log_loss: c.cv_log_loss,
                cv_roc_auc: c.cv_roc_auc,
            });
            best = winner;
        }
    }
    if best.search.chosen > 0 && !best.pools.is_empty() {
        // The penalty again, with the pairs: the one chosen without them was chosen for
        // another model (on a telecom churn table alpha 72 with its 8 pairs cross-validates at
        // a log loss of 0.2251, alpha 13.9 at 0.2040).
        if let Some((base_oof, y_rows, units)) = &best.oof {
            let nested = Nested {
                fitted: &*fitted,
                named: &best.kept[..best.named],
                candidates: &[],
                coarse: &[],
                min_cell: 0,
                groups,
                pool_k: 0,
            };
            let (tried, pick) = penalty_with_pairs(
                &nested,
                x_train,
                y,
                &best.rows,
                best.search.chosen,
                &best.pools,
                fit,
                options,
                (base_oof, y_rows, units),
            )?;
            best.search.penalties = tried
                .iter()
                .map(|(alpha, p)| {
                    Ok(PairPenalty {
                        alpha: *alpha,
                        cv_log_loss: log_loss(p, y_rows)?,
                        cv_roc_auc: roc_auc(p, y_rows)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            best.search.refit_alpha = (pick > 0).then(|| tried[pick].0);
        }
    }
    // The search's time, without the refit: that one is the final fit's (`fit.fit_seconds`).
    let seconds = start.elapsed().as_secs_f64();
    if !best.kept.is_empty() {
        let alpha = best.search.refit_alpha.unwrap_or(fit.penalty.alpha);
        refit(fitted, best.kept, x_train, x_test, y, fit, options, alpha)?;
    }
    Ok(Some(PairsOutcome {
        search: best.search,
        seconds,
    }))
}

/// One pair search's outcome, before the refit.
struct Searched {
    search: PairSearch,
    /// The pairs kept: the named ones, then the best-ranked chosen.
    kept: Vec<FittedPair>,
    /// When the count was chosen by cross-validation: the chosen count's out-of-fold
    /// predictions on the search rows, their labels and their leads.
    oof: Option<(Vec<f64>, Vec<bool>, Vec<usize>)>,
    /// The training rows searched.
    rows: Vec<usize>,
    /// Each fold's pool of pairs (empty when the count was not cross-validated).
    pools: Vec<FoldPool>,
    /// How many of `kept` the spec names.
    named: usize,
}

impl Searched {
    /// The cross-validation scores of the count chosen.
    fn chosen_score(&self) -> Option<&PairCandidate> {
        self.search
            .candidates
            .iter()
            .find(|c| c.pairs == self.search.chosen)
    }
}

/// Ranks the pairs with numeric columns cut into `numeric_cells` quantile cells and chooses how
/// many to keep; `None` when the settings ask for no pair.
#[allow(clippy::too_many_arguments)]
fn search(
    settings: &PairSpec,
    fitted: &FittedSpec,
    x_train: &Matrix,
    y: &[bool],
    groups: Option<&[usize]>,
    fit: &FitResult,
    options: &FitOptions,
    numeric_cells: usize,
) -> Result<Option<Searched>> {
    if !settings.searches() && settings.include.is_empty() {
        return Ok(None);
    }
    let n = x_train.rows;
    let main_cols = x_train.cols;
    let min_cell = MIN_CELL_ROWS.max(n / MIN_CELL_SHARE_INV);
    let offsets = column_offsets(fitted);
    let index_of = |name: &str| fitted.columns.iter().position(|c| c.name == name);
    // Coarsen every column the search pairs, and those the named pairs use.
    // The searched columns cut into `numeric_cells`; the named pairs' columns always into
    // NUMERIC_CELLS (the spec's pairs are the same whichever cut the search compares).
    let mut coarse: Vec<Option<Coarse>> = (0..fitted.columns.len()).map(|_| None).collect();
    let mut named_sides: Vec<Option<Coarse>> = (0..fitted.columns.len()).map(|_| None).collect();
    let mut searched: Vec<usize> = Vec::new();
    for (i, c) in fitted.columns.iter().enumerate() {
        if settings
            .include
            .iter()
            .any(|[a, b]| *a == c.name || *b == c.name)
        {
            named_sides[i] = fit_side(fitted, i, offsets[i], x_train, min_cell, NUMERIC_CELLS);
        }
        if settings.searches() && !settings.exclude.contains(&c.name) {
            coarse[i] = fit_side(fitted, i, offsets[i], x_train, min_cell, numeric_cells);
            if coarse[i].is_some() {
                searched.push(i);
            }
        }
    }
    // A column whose cells split the training examples exactly as an earlier one's do (a
    // monotone copy of it) would only repeat that column's pairs under another name, taking
    // places among the best K: left out of the search.
    let mut duplicates: Vec<[String; 2]> = Vec::new();
    let mut kept_by_hash: std::collections::HashMap<u64, Vec<usize>> = Default::default();
    searched.retain(|&i| {
        let Some(c) = &coarse[i] else {
            return false;
        };
        let same = kept_by_hash.entry(partition_hash(&c.cells)).or_default();
        let copy_of = same.iter().copied().find(|&k| {
            coarse[k]
                .as_ref()
                .is_some_and(|o| same_partition(&o.cells, &c.cells))
        });
        match copy_of {
            Some(k) => {
                let name = |k: usize| fitted.columns[k].name.clone();
                duplicates.push([name(i), name(k)]);
                false
            }
            None => {
                same.push(i);
                true
            }
        }
    });
    drop(kept_by_hash);
    let mut named: Vec<FittedPair> = Vec::new();
    for [a, b] in &settings.include {
        let (Some(i), Some(j)) = (index_of(a), index_of(b)) else {
            return Err(TrainError::Config(format!(
                "[pairs] include: `{a}` x `{b}`: a column is not a feature of the model"
            )));
        };
        let pair = match (&named_sides[i], &named_sides[j]) {
            (Some(ca), Some(cb)) => make_pair(ca, cb, min_cell),
            _ => None,
        };
        named.push(pair.ok_or_else(|| {
            TrainError::Config(format!(
                "[pairs] include: `{a}` x `{b}`: one of the columns has a single value in the \
                 training split (or no cell has {min_cell} examples), so the pair has nothing \
                 to add"
            ))
        })?);
    }
    let is_named = |i: usize, j: usize| {
        named
            .iter()
            .any(|p| (p.a.index, p.b.index) == (i, j) || (p.a.index, p.b.index) == (j, i))
    };
    // Residuals and weights of the main model on the training split.
    let mut z = vec![fit.logit.intercept; n];
    for j in 0..main_cols {
        let (w, mu, sd) = (
            fit.logit.weights[j],
            fit.standardizer.means[j],
            fit.standardizer.stds[j],
        );
        if w != 0.0 {
            for (zi, x) in z.iter_mut().zip(x_train.col(j)) {
                *zi += w * (x - mu) / sd;
            }
        }
    }
    let p: Vec<f64> = z.into_iter().map(sigmoid).collect();
    let resid: Vec<f64> = p
        .iter()
        .zip(y)
        .map(|(p, y)| f64::from(u8::from(*y)) - p)
        .collect();
    let weight: Vec<f64> = p.iter().map(|p| p * (1.0 - p)).collect();
    let rows = search_rows(n, groups, options.seed);
    let grouped = SearchRows::new(rows.clone(), groups);
    // Rank every pair of searched columns (in parallel over pairs).
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (k, &i) in searched.iter().enumerate() {
        for &j in &searched[k + 1..] {
            if !is_named(i, j) {
                candidates.push((i, j));
            }
        }
    }
    let ranked = rank(
        &candidates,
        &coarse,
        &grouped,
        &resid,
        &weight,
        min_cell,
        options.threads,
    )?;
    // Only pairs that gain more than noise are candidates.
    let useful = ranked.iter().take_while(|(g, _)| *g > 0.0).count();
    let counts: Vec<usize> = match settings.count {
        PairCount::Auto => {
            let mut c: Vec<usize> = settings
                .candidates
                .iter()
                .map(|k| (*k).min(useful))
                .collect();
            c.sort_unstable();
            c.dedup();
            c
        }
        PairCount::Fixed(k) => vec![k.min(useful)],
    };
    let max_k = counts.iter().copied().max().unwrap_or(0);
    // The count tried beyond the largest candidate if that one wins: half as many again
    // (within MAX_PAIRS and the pairs that gain more than noise), one step only, so the cost
    // stays one more cross-validation, warm-started.
    let beyond: Vec<usize> = if matches!(settings.count, PairCount::Auto) && counts.len() > 1 {
        Some(MAX_PAIRS.min(useful).min(max_k + max_k.div_ceil(2)))
            .filter(|&k| k > max_k)
            .into_iter()
            .collect()
    } else {
        Vec::new()
    };
    let mut pool: Vec<FittedPair> = named.clone();
    let pool_k = beyond.iter().copied().fold(max_k, usize::max);
    pool.extend(ranked.iter().take(pool_k).map(|(_, p)| p.clone()));
    let width_of = |k: usize| -> usize {
        main_cols
            + pool[..named.len() + k]
                .iter()
                .map(FittedPair::width)
                .sum::<usize>()
    };
    let mut scored: Vec<PairCandidate> = Vec::new();
    let mut extended = Vec::new();
    let mut not_tried = Vec::new();
    let mut chosen_oof = None;
    let mut fold_pools = Vec::new();
    let chosen = if counts.len() > 1 {
        let y_rows: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
        let nested = Nested {
            fitted,
            named: &named,
            candidates: &candidates,
            coarse: &coarse,
            min_cell,
            groups,
            pool_k,
        };
        let candidate = |k: usize, preds: &[f64]| -> Result<PairCandidate> {
            Ok(PairCandidate {
                pairs: k,
                features: width_of(k),
                cv_log_loss: log_loss(preds, &y_rows)?,
                cv_roc_auc: roc_auc(preds, &y_rows)?,
            })
        };
        let best = |scored: &[PairCandidate]| -> usize {
            scored
                .iter()
                .min_by(|a, b| a.cv_log_loss.total_cmp(&b.cv_log_loss))
                .map_or(0, |c| c.pairs)
        };
        // The counts in order, fewest first, each on all folds before the next: the search
        // stops at the first count that does no better than the best before it (more pairs
        // would then only be kept if they beat it by more than noise, which the rule below
        // asks anyway), and goes beyond the largest candidate when that one does best. The
        // first call ranks each fold's pairs; the next ones reuse the folds' rankings and
        // warm-start from their last fits.
        let first = counts.len().min(2);
        let (oof, mut last, pools) = cross_validate(
            &nested,
            x_train,
            y,
            &rows,
            &counts[..first],
            None,
            fit,
            options,
            fit.penalty.alpha,
        )?;
        for (&k, preds) in counts.iter().zip(&oof) {
            scored.push(candidate(k, preds)?);
        }
        let mut all_oof = oof;
        let rest = counts[first..].iter().map(|&k| (k, false));
        for (k, is_beyond) in rest.chain(beyond.iter().map(|&k| (k, true))) {
            let latest = scored.last().map_or(0, |c| c.pairs);
            if best(&scored) != latest {
                not_tried.push(k);
                continue;
            }
            let (oof, fold_last, _) = cross_validate(
                &nested,
                x_train,
                y,
                &rows,
                &[k],
                Some((&pools, &last)),
                fit,
                options,
                fit.penalty.alpha,
            )?;
            last = fold_last;
            scored.push(candidate(k, &oof[0])?);
            all_oof.extend(oof);
            if is_beyond {
                extended.push(k);
            }
        }
        // The count beyond the candidates is only a candidate when the largest one won.
        not_tried.retain(|k| !beyond.contains(k));
        // The fewest pairs within one standard error of the lowest log loss (the error of the
        // paired difference, per lead): more pairs must beat fewer by more than noise.
        let units: Vec<usize> = rows.iter().map(|&i| groups.map_or(i, |g| g[i])).collect();
        let k = simplest_within_one_se(&all_oof, &y_rows, &units);
        chosen_oof = Some((all_oof.swap_remove(k), y_rows, units));
        fold_pools = pools;
        scored[k].pairs
    } else {
        max_k
    };
    let kept: Vec<FittedPair> = pool[..named.len() + chosen].to_vec();
    let mut ranked_out: Vec<RankedPair> = ranked
        .iter()
        .take(RANKED_KEPT.max(chosen))
        .map(|(g, p)| RankedPair {
            name: p.name(),
            gain: *g,
            cells: p.a.cells.len() * p.b.cells.len(),
        })
        .collect();
    ranked_out.truncate(RANKED_KEPT.max(chosen));
    let search = PairSearch {
        count: settings.count.to_string(),
        columns: searched
            .iter()
            .map(|&i| fitted.columns[i].name.clone())
            .collect(),
        rows: rows.len() as u64,
        ranked: ranked_out,
        candidates: scored,
        alpha: fit.penalty.alpha,
        folds: fit.penalty.folds,
        extended,
        not_tried,
        chosen,
        named: named.iter().map(FittedPair::name).collect(),
        duplicates,
        numeric_cells: Some(numeric_cells),
        cells_compared: None,
        penalties: Vec::new(),
        refit_alpha: None,
    };
    Ok(Some(Searched {
        search,
        kept,
        oof: chosen_oof,
        rows,
        pools: fold_pools,
        named: named.len(),
    }))
}

/// The penalty cross-validated again for the model with `chosen` pairs, on the rows, folds and
/// pools of the count search (each fold's own ranked pairs; `nested` needs only the spec, the
/// named pairs and the groups), each fold warm-started from the model without pairs: one grid
/// step stronger and weaker than the penalty chosen without them (`base` is its out-of-fold
/// predictions, their labels and their leads), then on in a direction while it keeps
/// lowering the log loss, at most [`PENALTY_STEPS`] steps. Returns the penalties tried with
/// their predictions (the first chosen without pairs, then from the strongest to the weakest)
/// and the index of the one to fit: the first within one standard error of the lowest log
/// loss, so the penalty chosen without pairs stays unless another beats it by more than noise.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn penalty_with_pairs(
    nested: &Nested,
    x_train: &Matrix,
    y: &[bool],
    rows: &[usize],
    chosen: usize,
    pools: &[FoldPool],
    fit: &FitResult,
    options: &FitOptions,
    (base_oof, y_rows, units): (&[f64], &[bool], &[usize]),
) -> Result<(Vec<(f64, Vec<f64>)>, usize)> {
    let mains: Vec<WideFit> = pools
        .iter()
        .map(|_| (fit.logit.clone(), x_train.cols))
        .collect();
    let at = |alpha: f64| -> Result<Vec<f64>> {
        let (mut oof, _, _) = cross_validate(
            nested,
            x_train,
            y,
            rows,
            &[chosen],
            Some((pools, &mains)),
            fit,
            options,
            alpha,
        )?;
        Ok(oof.swap_remove(0))
    };
    let base = fit.penalty.alpha;
    let ratio = grid_ratio(&options.alphas);
    let base_loss = log_loss(base_oof, y_rows)?;
    let mut tried: Vec<(f64, Vec<f64>)> = vec![(base, base_oof.to_vec())];
    for step in [ratio, 1.0 / ratio] {
        let (mut alpha, mut best) = (base, base_loss);
        for _ in 0..PENALTY_STEPS {
            alpha *= step;
            let p = at(alpha)?;
            let loss = log_loss(&p, y_rows)?;
            tried.push((alpha, p));
            if loss >= best {
                break;
            }
            best = loss;
        }
    }
    tried[1..].sort_by(|a, b| b.0.total_cmp(&a.0));
    let oofs: Vec<&[f64]> = tried.iter().map(|t| t.1.as_slice()).collect();
    let pick = simplest_within_one_se(&oofs, y_rows, units);
    Ok((tried, pick))
}

/// The ratio between neighbouring penalties of a log-spaced grid (10^(5/7) for the default 8
/// over five decades; a decade when the grid has one penalty).
fn grid_ratio(alphas: &[f64]) -> f64 {
    let (lo, hi) = alphas.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), a| {
        (lo.min(*a), hi.max(*a))
    });
    if alphas.len() < 2 || lo <= 0.0 || hi <= lo {
        10.0
    } else {
        (hi / lo).powf(1.0 / (alphas.len() - 1) as f64)
    }
}

/// What each fold of the pair cross-validation ranks the pairs with.
struct Nested<'a> {
    fitted: &'a FittedSpec,
    /// Pairs the spec names (first in every pool).
    named: &'a [FittedPair],
    /// The pairs ranked.
    candidates: &'a [(usize, usize)],
    /// The coarsened columns (cells fitted on the whole training split: no label involved).
    coarse: &'a [Option<Coarse>],
    min_cell: usize,
    groups: Option<&'a [usize]>,
    /// Ranked pairs each fold keeps for its models.
    pool_k: usize,
}

/// One fold's pool of pairs (named first, then its best-ranked) and its models' fits.
type FoldPool = Vec<FittedPair>;

/// Out-of-fold predictions on `rows` of models with the named pairs and the best `counts[k]`
/// ranked ones, at the chosen penalty, on the folds of the penalty search. Each fold ranks the
/// pairs itself, on the residuals of its own main model on its own rows (ranking on all rows,
/// the held-out fold's residuals too, would choose pairs for the noise the fold is scored on
/// and flatter the larger counts), unless `reuse` gives each fold's pool and last fit from an
/// earlier call. Each fold's fits go in order, warm-started from the one before. Returns the
/// predictions per count, each fold's last fit (with its width) and each fold's pool.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn cross_validate(
    nested: &Nested,
    x_train: &Matrix,
    y: &[bool],
    rows: &[usize],
    counts: &[usize],
    reuse: Option<(&[FoldPool], &[WideFit])>,
    fit: &FitResult,
    options: &FitOptions,
    alpha: f64,
) -> Result<(Vec<Vec<f64>>, Vec<WideFit>, Vec<FoldPool>)> {
    let m = x_train.select_rows(rows);
    let y_rows: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let folds = fit.penalty.folds;
    let groups: Option<Vec<usize>> = nested.groups.map(|g| rows.iter().map(|&i| g[i]).collect());
    let assignment = fold_assignment(&y_rows, groups.as_deref(), folds, options.seed);
    let main_cols = x_train.cols;
    let n = x_train.rows;
    let per_fold = each_fold(
        &assignment,
        folds,
        options.threads,
        "pair cross-validation",
        |f, fit_rows, val_rows| {
            let yf: Vec<bool> = fit_rows.iter().map(|&i| y_rows[i]).collect();
            let mut fm = m.select_rows(&fit_rows);
            let mut vm = m.select_rows(&val_rows);
            let (pool, prev) = match reuse {
                Some((pools, last)) => (pools[f].clone(), last[f].clone()),
                None => {
                    // The fold's main model, and the pairs ranked on its residuals.
                    let std = Standardizer::fit(&fm);
                    let xf = std.apply(&fm);
                    let main = fit_logistic(&xf, &yf, alpha, options, Some(&fit.logit))?;
                    let p = main.predict(&xf);
                    drop(xf);
                    let (mut resid, mut weight) = (vec![0.0; n], vec![0.0; n]);
                    for ((&i, p), &t) in fit_rows.iter().zip(&p).zip(&yf) {
                        resid[rows[i]] = f64::from(u8::from(t)) - p;
                        weight[rows[i]] = p * (1.0 - p);
                    }
                    let search =
                        SearchRows::new(fit_rows.iter().map(|&i| rows[i]).collect(), nested.groups);
                    let ranked = rank(
                        nested.candidates,
                        nested.coarse,
                        &search,
                        &resid,
                        &weight,
                        nested.min_cell,
                        1,
                    )?;
                    let mut pool = nested.named.to_vec();
                    pool.extend(
                        ranked
                            .into_iter()
                            .take_while(|(g, _)| *g > 0.0)
                            .take(nested.pool_k)
                            .map(|(_, p)| p),
                    );
                    (pool, (main, main_cols))
                }
            };
            append_pairs(nested.fitted, &pool, &mut fm)?;
            append_pairs(nested.fitted, &pool, &mut vm)?;
            let widths: Vec<usize> = counts
                .iter()
                .map(|&k| {
                    let upto = (nested.named.len() + k).min(pool.len());
                    main_cols + pool[..upto].iter().map(FittedPair::width).sum::<usize>()
                })
                .collect();
            let (preds, last) = fit_widths(&fm, &vm, &yf, &widths, alpha, options, prev)?;
            Ok((val_rows, preds, last, pool))
        },
    )?;
    let mut oof = vec![vec![f64::NAN; m.rows]; counts.len()];
    let mut last = Vec::with_capacity(folds);
    let mut pools: Vec<FoldPool> = Vec::with_capacity(folds);
    for (val_rows, preds, fold_last, pool) in per_fold {
        for (k, p) in preds.into_iter().enumerate() {
            for (&i, p) in val_rows.iter().zip(p) {
                oof[k][i] = p;
            }
        }
        last.push(fold_last);
        pools.push(pool);
    }
    Ok((oof, last, pools))
}

/// Adds `pairs` to the model: their features to both matrices, and the final fit at `alpha`
/// (the penalty chosen with them), warm-started from the model without them.
#[allow(clippy::too_many_arguments)]
fn refit(
    fitted: &mut FittedSpec,
    pairs: Vec<FittedPair>,
    x_train: &mut Matrix,
    x_test: &mut Matrix,
    y: &[bool],
    fit: &mut FitResult,
    options: &FitOptions,
    alpha: f64,
) -> Result<()> {
    let start = std::time::Instant::now();
    let main_cols = x_train.cols;
    append_pairs(fitted, &pairs, x_train)?;
    append_pairs(fitted, &pairs, x_test)?;
    fitted.pairs = pairs;
    let extra = x_train.cols - main_cols;
    let pair_part = Matrix {
        rows: x_train.rows,
        cols: extra,
        data: x_train.data[main_cols * x_train.rows..].to_vec(),
    };
    let pair_std = Standardizer::fit(&pair_part);
    drop(pair_part);
    let mut standardizer = fit.standardizer.clone();
    standardizer.means.extend(pair_std.means);
    standardizer.stds.extend(pair_std.stds);
    let x = standardizer.apply(x_train);
    let logit = fit_logistic(
        &x,
        y,
        alpha,
        options,
        Some(&fit.logit.with_more_features(extra)),
    )?;
    fit.solver = SolverReport {
        gradient_tolerance: logit.tolerance,
        gradient_norm: logit.gradient_norm,
        converged: logit.converged(),
        ..fit.solver.clone()
    };
    fit.logit = logit;
    fit.standardizer = standardizer;
    fit.fit_seconds += start.elapsed().as_secs_f64();
    Ok(())
}

#[cfg(test)]
mod tests {
    /// With fewer than two fields the search ranks nothing: `train` says why instead of
    /// printing the ranking's heading over nothing.
    #[test]
    fn a_search_with_one_field_says_there_are_no_pairs() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let mut a = leadscore_core::artifact::ModelArtifact::load(&path).unwrap();
        let p = a.provenance.pairs.as_mut().unwrap();
        p.columns.truncate(1);
        p.ranked.clear();
        p.candidates.clear();
        p.not_tried.clear();
        p.chosen = 0;
        a.spec.pairs.clear();
        let text = super::pairs_text(&a);
        assert_eq!(
            text,
            format!(
                "  pairs (count {}): none: the search had 1 field to pair\n",
                a.provenance.pairs.as_ref().unwrap().count
            )
        );
        let p = a.provenance.pairs.as_mut().unwrap();
        p.columns = vec!["a".into(), "b".into()];
        assert!(super::pairs_text(&a)
            .contains("none: the search had 2 fields to pair, and no pair gained"));
    }

    use super::*;

    #[test]
    fn the_grid_ratio_is_the_step_between_neighbours() {
        let grid = crate::fit::FitOptions::default().alphas;
        let r = grid_ratio(&grid);
        assert!((r - 10f64.powf(5.0 / 7.0)).abs() < 1e-9, "{r} {grid:?}");
        // Any order, and a grid of one penalty steps a decade.
        let mut reversed = grid.clone();
        reversed.reverse();
        assert!((grid_ratio(&reversed) - r).abs() < 1e-12);
        assert_eq!(grid_ratio(&[3.0]), 10.0);
        assert_eq!(grid_ratio(&[]), 10.0);
    }

    #[test]
    fn partitions_match_whatever_their_cells_are_called() {
        let a = [0u8, 1, 2, 1, 0, 3];
        let renamed = [2u8, 0, 1, 0, 2, 3];
        let merged = [0u8, 1, 1, 1, 0, 3];
        let split = [0u8, 1, 2, 4, 0, 3];
        assert!(same_partition(&a, &renamed));
        assert_eq!(partition_hash(&a), partition_hash(&renamed));
        // One cell of `merged` is two of `a`, and `split` cuts one of `a` in two: not copies,
        // whichever side is compared first.
        assert!(!same_partition(&a, &merged) && !same_partition(&merged, &a));
        assert!(!same_partition(&a, &split) && !same_partition(&split, &a));
        assert_ne!(partition_hash(&a), partition_hash(&merged));
        assert!(!same_partition(&a, &a[..5]));
    }

    #[test]
    fn edges_snap_to_the_values_they_came_from() {
        for raw in [3.0, 2.33, 0.5, 1234.0, -2.0] {
            assert_eq!(raw_edge(signed_log1p(raw), true), raw);
        }
        assert_eq!(raw_edge(2.5, false), 2.5);
    }

    #[test]
    fn gain_is_about_zero_without_interaction_and_large_with_one() {
        // Two binary columns; the residual depends on a XOR b in one case only.
        let n = 4000;
        let mut rng = SeededRng::new(3);
        let side = |name: &str, cells: &[u8]| Coarse {
            side: PairSide {
                column: name.into(),
                index: 0,
                cells: vec!["= yes".into(), "= no".into()],
                rule: CellRule::Indicators {
                    of_feature: vec![0],
                    otherwise: 1,
                },
            },
            cells: cells.to_vec(),
        };
        let a: Vec<u8> = (0..n).map(|_| u8::from(rng.bernoulli(0.5))).collect();
        let b: Vec<u8> = (0..n).map(|_| u8::from(rng.bernoulli(0.5))).collect();
        let weight = vec![0.25; n];
        let noise: Vec<f64> = (0..n)
            .map(|_| f64::from(u8::from(rng.bernoulli(0.5))) - 0.5)
            .collect();
        let xor: Vec<f64> = (0..n)
            .map(|i| {
                let p = if a[i] == b[i] { 0.3 } else { 0.7 };
                f64::from(u8::from(rng.bernoulli(p))) - 0.5
            })
            .collect();
        let rows = SearchRows::new((0..n).collect(), None);
        let (ca, cb) = (side("a", &a), side("b", &b));
        let none = pair_gain(&ca, &cb, &rows, &noise, &weight);
        let some = pair_gain(&ca, &cb, &rows, &xor, &weight);
        assert!(none.abs() < 5.0, "{none}");
        assert!(some > 50.0, "{some}");
        // Each lead's row repeated 8 times (landmark examples of one lead): counted per lead,
        // noise still gains about nothing, the interaction about what it did.
        let rep = |v: &[u8]| -> Vec<u8> { v.iter().flat_map(|x| [*x; 8]).collect() };
        let repf = |v: &[f64]| -> Vec<f64> { v.iter().flat_map(|x| [*x; 8]).collect() };
        let (ca8, cb8) = (side("a", &rep(&a)), side("b", &rep(&b)));
        let groups: Vec<usize> = (0..8 * n).map(|i| i / 8).collect();
        let rows8 = SearchRows::new((0..8 * n).collect(), Some(&groups));
        let none8 = pair_gain(&ca8, &cb8, &rows8, &repf(&noise), &repf(&weight));
        let some8 = pair_gain(&ca8, &cb8, &rows8, &repf(&xor), &repf(&weight));
        assert!(none8.abs() < 5.0, "{none8}");
        assert!(some8 > 50.0, "{some8}");
        // Counted per example instead, the repeated noise would look like an effect.
        let flat = SearchRows::new((0..8 * n).collect(), None);
        assert!(
            pair_gain(&ca8, &cb8, &flat, &repf(&noise), &repf(&weight)).abs() > 4.0 * none.abs()
        );
    }
}
