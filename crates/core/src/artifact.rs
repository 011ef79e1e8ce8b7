//! The model artifact: one JSON document with everything needed to score and to explain.
//!
//! An envelope (`format_version`, `model_id`, creation time) around the payload (provenance,
//! fitted spec, weights, evaluation, operating curve). `model_id` is a content hash, so an edited
//! or damaged file is caught on load; the format version is checked before anything else so an
//! artifact from another version gets a precise error. Writes are atomic (temp file + rename).

use crate::curve::OperatingCurve;
use crate::error::{Error, Result};
use crate::explain::ExplainSummary;
use crate::files::{read_limited_text, Symlinks};
use crate::fitted::FittedSpec;
use crate::gates::{GateHoldout, GateSpec};
use crate::metrics::Evaluation;
use crate::model::LinearModel;
use crate::spec::PointInTimeSettings;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Version of the artifact format; bumped on any change to its structure. Version 3 added
/// landmark training: the `lead_age` transform, per-landmark counts, the handoff curve (in
/// `curve`) beside the per-example one (`example_curve`), and the replay's counts. Version 4
/// added gates (`gates`, with `curve` computed on the gated holdout, and `gate_holdout` to
/// recompute it for other gates), each column's part (fit or engagement) and the `explain`
/// section (per-field importance and shape, fit and engagement percentiles, the grid).
/// Version 5 added each numeric column's training `range` (a value outside it is scored as
/// the nearest end; artifacts without it score numbers unclamped, as they were trained).
/// Version 6 added each timestamp column's `max_days_since` (an older date is scored as that
/// many days; artifacts without it score dates unclamped). Version 7 added an email column's
/// `domain_lists` and `free_webmail_domains` ([`crate::value::EmailRules`]; artifacts without
/// them class domains by the first lists), so a build that reads only version 6 refuses a
/// model whose domains it would class otherwise. Version 8 added the `multi_select` transform;
/// a model without one is written as version 7 ([`format_version_for`]), so builds that read
/// only up to 7 keep loading every model that uses nothing newer. Version 9 added `sum_of`
/// columns ([`crate::fitted::FittedColumn::sum_of`]), which a build that reads only up to 8
/// would score as always missing. Version 10 added the event features' training maxima
/// ([`crate::fitted::FittedEvents::max`]), which a build that reads only up to 9 would ignore,
/// extrapolating a burst of events without end. Version 11 holds each event type's days since
/// the last event to its training maximum too ([`crate::fitted::FittedEvents::days_since_held`]),
/// which a build that reads only up to 10 would extrapolate.
pub const FORMAT_VERSION: u32 = 11;

/// The format a model with this spec is written in: the oldest that holds everything it uses
/// (11 with days since the last event held, 10 with event maxima, 9 with a `sum_of` column, 8
/// with a `multi_select` column, else 7).
pub fn format_version_for(spec: &crate::fitted::FittedSpec) -> u32 {
    if spec.events.as_ref().is_some_and(|e| e.days_since_held) {
        FORMAT_VERSION
    } else if spec.events.as_ref().is_some_and(|e| !e.max.is_empty()) {
        10
    } else if spec.columns.iter().any(|c| !c.sum_of.is_empty()) {
        9
    } else if spec.columns.iter().any(|c| {
        matches!(
            c.transform,
            crate::fitted::FittedTransform::MultiSelect { .. }
        )
    }) {
        8
    } else {
        7
    }
}

/// A model file refused before it was read (a link, a FIFO, over the size limit) says it was
/// a model artifact.
fn refused_model(e: Error) -> Error {
    match e {
        Error::File { path, message } => Error::Artifact {
            origin: path,
            message,
        },
        other => other,
    }
}

/// Versions this build reads: version 2 artifacts (one snapshot per lead) load and serve as
/// one-landmark models; versions 2 and 3 have no gates and no `explain` section (no
/// percentiles, no shape charts); versions before 5 have no numeric ranges, before 6 no
/// timestamp limit (no clamp), before 7 the first domain lists.
pub const READABLE_FORMAT_VERSIONS: [u32; 10] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// The largest artifact read by default (256 MiB; `leadscore-serve --max-model-bytes` sets
/// the server's limit). The demo model is about 1 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// What is wrong with a JSON document, without quoting it: serde_json's messages can carry
/// the offending text (`invalid type: string "..."`, `unknown variant ...`).
fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("at line {} column {}", e.line(), e.column());
    match e.classify() {
        Category::Syntax => format!("not valid JSON (syntax error {at})"),
        Category::Eof => format!("not valid JSON (it ends early, {at})"),
        Category::Io => "could not be read".into(),
        Category::Data => {
            let text = e.to_string();
            // `missing field `curve`` names one of our fields, not the file's text.
            match text
                .strip_prefix("missing field `")
                .and_then(|r| r.split_once('`'))
            {
                Some((field, _))
                    if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    format!("not a leadscore model: the field `{field}` is missing ({at})")
                }
                _ => format!(
                    "not a leadscore model: a value has the wrong type or is out of range {at}"
                ),
            }
        }
    }
}

/// A training input file and its fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFingerprint {
    /// The path as given.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Rows read.
    pub rows: u64,
}

/// How the penalty was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PenaltySearch {
    /// Folds of the cross-validation.
    pub folds: usize,
    /// The L2 penalties tried (linfa's alpha = 1 / C of scikit-learn), with mean CV log loss.
    pub grid: Vec<PenaltyScore>,
    /// The chosen alpha.
    pub alpha: f64,
    /// Penalties added beyond the first grid, in the order tried: while the best sat on an
    /// edge of the grid, one more a decade further out on that side (at most
    /// [`MAX_GRID_EXTENSIONS`]). Empty when the best was inside the grid (and in artifacts
    /// written before the grid widened itself; never written when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<f64>,
    /// The best penalty still sits on an edge of the grid after the last extension: a
    /// stronger (or weaker) one might do better still.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_edge: bool,
}

/// At most this many decades are added to either end of the penalty grid by default.
pub const MAX_GRID_EXTENSIONS: usize = 3;

/// A penalty (alpha, or C = 1/alpha) as the tables and the report print it: 4 decimals from
/// 0.01 up (and what rounds to it: the grid's 1e-2 is 0.009999999999999995), 3 significant
/// digits below (`1.39e-4`), so a weak penalty a widened grid reached is not printed as
/// `0.0000` beside its neighbours.
pub fn penalty_text(alpha: f64) -> String {
    let a = alpha.abs();
    if a >= 0.009_995 || a == 0.0 || !a.is_finite() {
        format!("{alpha:.4}")
    } else {
        format!("{alpha:.2e}")
    }
}

impl PenaltySearch {
    /// Which edge of the grid the chosen penalty sits on: `Some(true)` for the strongest
    /// (largest alpha), `Some(false)` for the weakest, `None` inside (or a one-value grid).
    pub fn chosen_edge(&self) -> Option<bool> {
        if self.grid.len() < 2 {
            return None;
        }
        let strongest = self.grid.iter().map(|g| g.alpha).fold(f64::MIN, f64::max);
        let weakest = self.grid.iter().map(|g| g.alpha).fold(f64::MAX, f64::min);
        if self.alpha == strongest {
            Some(true)
        } else if self.alpha == weakest {
            Some(false)
        } else {
            None
        }
    }
}

/// How many quantile bins the numeric columns with `bins = "auto"` got: each candidate
/// cross-validated on the training split (the same folds as the penalty search, each at its own
/// best penalty), the fewest bins within one standard error of the lowest pooled out-of-fold
/// log loss kept; then the chosen number with spikes in bins of their own (`"N with spikes"`),
/// kept only if it beats plain quantiles by more than one standard error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinsSearch {
    /// The columns the choice applies to (`bins = "auto"` in the spec).
    pub columns: Vec<String>,
    /// Training examples the candidates were compared on (all of the training split, or a
    /// seeded sample of it on large data).
    pub rows: u64,
    /// The candidates, fewest bins first.
    pub candidates: Vec<BinsCandidate>,
    /// Candidates not fitted, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedBins>,
    /// The number of bins chosen (0 = the linear term alone).
    pub chosen: usize,
    /// The chosen bins keep spikes apart (`bins = "N with spikes"`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chosen_spikes: bool,
}

impl BinsSearch {
    /// Whether `c` is the candidate chosen.
    pub fn is_chosen(&self, c: &BinsCandidate) -> bool {
        c.bins == self.chosen && c.spikes == self.chosen_spikes
    }

    /// Whether the search compared spikes apart (artifacts written before it did not).
    pub fn spikes_compared(&self) -> bool {
        self.candidates.iter().any(|c| c.spikes) || self.skipped.iter().any(|k| k.spikes)
    }

    /// The choice as the spec writes it: `16`, `16 with spikes` (`none` for 0).
    pub fn chosen_label(&self) -> String {
        if self.chosen == 0 {
            "none".into()
        } else {
            bins_label(self.chosen, self.chosen_spikes)
        }
    }
}

/// A bins candidate in words: `16` or `16 with spikes`.
pub fn bins_label(bins: usize, spikes: bool) -> String {
    if spikes {
        format!("{bins} with spikes")
    } else {
        bins.to_string()
    }
}

/// The shape search: the `bins = "auto"` columns still without bins after the bins search
/// (the search chose none, or they have fewer distinct values than it bins) are ranked by what
/// bins of their own would add to the model's fit on its training residuals, and the best few
/// get them, how many chosen by cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeSearch {
    /// Quantile bins a chosen column with 10 or more distinct values gets.
    pub bins: usize,
    /// A chosen column with fewer distinct values gets a bin per value with at least this many
    /// training examples (`bins = "values"`).
    #[serde(default)]
    pub value_min_count: usize,
    /// The columns searched.
    pub columns: Vec<String>,
    /// Training examples the ranking and the cross-validation used.
    pub rows: u64,
    /// The best-ranked columns, best first (at most 20, and every chosen one).
    pub ranked: Vec<RankedShape>,
    /// The numbers of columns compared, with their cross-validation scores.
    pub candidates: Vec<ShapeCandidate>,
    /// The penalty the candidates were compared at (the one the penalty search chose).
    pub alpha: f64,
    /// Cross-validation folds (those of the penalty search).
    pub folds: usize,
    /// The columns that got bins, in rank order.
    pub chosen: Vec<String>,
}

/// One ranked column of the shape search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedShape {
    /// The column.
    pub name: String,
    /// Gain on the training residuals of the model without its bins: the log-likelihood a
    /// piecewise-constant term on the bins would add, less what noise alone would add.
    pub gain: f64,
    /// Its bins.
    pub cells: usize,
    /// Whether they are a bin per common value (a short code), not quantile bins.
    #[serde(default)]
    pub by_value: bool,
}

/// One candidate number of columns of the shape search, cross-validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapeCandidate {
    /// Columns given bins (the best `columns` of the ranking).
    pub columns: usize,
    /// Features of the model.
    pub features: usize,
    /// Pooled out-of-fold log loss.
    pub cv_log_loss: f64,
    /// Pooled out-of-fold ROC AUC.
    pub cv_roc_auc: f64,
}

/// A candidate of the bins search that was not fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedBins {
    /// Quantile bins per column.
    pub bins: usize,
    /// The candidate with spikes in bins of their own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spikes: bool,
    /// Why.
    pub reason: SkipReason,
}

/// Why a bins candidate was not fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A smaller candidate did no better than the one before it: more bins are not tried.
    NoGain,
    /// The rarer class would have had fewer than 10 examples per feature of the model. Only
    /// in artifacts written before the candidates' number of features was left to the
    /// cross-validation (with the one-standard-error rule): read, no longer written.
    TooFewExamples,
    /// Its bins are those of the candidate before (columns with few distinct values); for the
    /// candidate with spikes apart, those of plain quantiles (no column has a spike that plain
    /// quantiles merge with other values).
    SameBins,
}

impl SkipReason {
    /// In words, for reports.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::NoGain => "fewer bins did as well",
            SkipReason::TooFewExamples => "too few examples of the rarer class per feature",
            SkipReason::SameBins => "the same bins as the candidate before",
        }
    }
}

impl SkippedBins {
    /// Why, in words, for reports.
    pub fn label(&self) -> &'static str {
        match (self.spikes, self.reason) {
            (true, SkipReason::SameBins) => {
                "the same bins as plain quantiles (no column has a spike they merge with other \
                 values)"
            }
            (_, reason) => reason.label(),
        }
    }
}

/// One candidate of the bins search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinsCandidate {
    /// Quantile bins per column (0 = none; a column with fewer distinct values gets fewer).
    pub bins: usize,
    /// With spikes in bins of their own (`bins = "N with spikes"`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spikes: bool,
    /// Features of the model with these bins.
    pub features: usize,
    /// The penalty that did best for this candidate.
    pub alpha: f64,
    /// Pooled out-of-fold log loss at that penalty.
    pub cv_log_loss: f64,
    /// Pooled out-of-fold ROC AUC at that penalty.
    pub cv_roc_auc: f64,
}

/// One grid point of the penalty search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PenaltyScore {
    /// L2 penalty.
    pub alpha: f64,
    /// Mean out-of-fold log loss.
    pub cv_log_loss: f64,
    /// Mean out-of-fold ROC AUC.
    pub cv_roc_auc: f64,
}

/// What the solver reported for the final fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverReport {
    /// L-BFGS (linfa-logistic).
    pub solver: String,
    /// Iteration limit.
    pub max_iterations: u64,
    /// Gradient-norm tolerance (on the summed objective).
    pub gradient_tolerance: f64,
    /// Gradient norm of the objective at the solution, computed after the fit.
    pub gradient_norm: f64,
    /// Whether the gradient norm is within tolerance.
    pub converged: bool,
}

/// What the point-in-time assembly did, for the report and the artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PointInTimeReport {
    /// How `as_of` was set.
    pub as_of_rule: String,
    /// Conversion horizon in days.
    pub horizon_days: f64,
    /// The end of the data (latest timestamp seen), RFC 3339.
    pub end_of_data: String,
    /// Leads in the leads table.
    pub leads: u64,
    /// Leads whose horizon had not elapsed by the end of the data (left out).
    pub censored: u64,
    /// Leads that converted at or before `as_of` (left out).
    pub converted_before_as_of: u64,
    /// Leads used for training and evaluation.
    pub used: u64,
    /// Of those, converted within the horizon.
    pub positives: u64,
    /// Outcome rows whose lead id is not in the leads table.
    pub outcomes_unknown_lead: u64,
    /// Rows in the events table.
    pub events: u64,
    /// Events of used leads at or before their `as_of` (the ones featurized).
    pub events_used: u64,
    /// Events of used leads after their `as_of` (dropped: not known at scoring time).
    pub events_after_as_of: u64,
    /// Events whose lead id is not in the leads table.
    pub events_unknown_lead: u64,
    /// Distinct leads with at least one example (with one landmark, equal to `used`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub used_leads: u64,
    /// Examples left out to keep within the example budget (seeded sample).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sampled_out: u64,
    /// Converted leads whose conversion has no time (accepted only by an explicit flag).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub untimed_conversions: u64,
    /// Times in the tables more than a day after training ran (placeholders such as
    /// `9999-12-31`): left out of the end of the data.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub future_times: u64,
    /// The first of them: `FILE: column TIME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_future_time: Option<String>,
    /// Events that repeat another of the same lead exactly (type and time): counted each time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeated_events: u64,
    /// Counts per landmark (models trained on several landmarks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub landmarks: Vec<LandmarkCounts>,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// What happened to the examples of one landmark age.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LandmarkCounts {
    /// Days after creation.
    pub age_days: f64,
    /// Examples used (train + holdout).
    pub used: u64,
    /// Of those, converted within the horizon.
    pub positives: u64,
    /// Left out: the horizon after this landmark is not over by the end of the data.
    pub censored: u64,
    /// Left out: the lead had converted at or before this landmark.
    pub converted_before_as_of: u64,
    /// Left out by the example budget's sample.
    pub sampled_out: u64,
}

/// How the holdout leads were replayed through their lives to build the handoff curve.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// Holdout leads replayed (a seeded sample when the holdout is larger than the cap).
    pub leads: u64,
    /// Holdout leads not replayed (over the cap).
    pub leads_not_replayed: u64,
    /// Moments scored: each landmark and each event within the landmark range, where the
    /// lead could be labelled (not converted yet, horizon over by the end of the data).
    pub moments: u64,
    /// At the loosest threshold (every lead handed over at its first moment), the leads that
    /// converted within the horizon after it.
    pub converted_at_first_crossing: u64,
}

/// Where the model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Input files.
    pub inputs: Vec<InputFingerprint>,
    /// Label column and the values taken as positive.
    pub label: String,
    /// Values counted as "converted".
    pub positive_values: Vec<String>,
    /// Values counted as "not converted" when the label names them (the others are leads
    /// without an outcome yet); empty: every value that is not positive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub negative_values: Vec<String>,
    /// Rows used (train + holdout).
    pub rows: u64,
    /// Rows in the training split.
    pub train_rows: u64,
    /// Converted rows in the training split.
    pub train_positives: u64,
    /// Rows in the holdout.
    pub holdout_rows: u64,
    /// Converted rows in the holdout.
    pub holdout_positives: u64,
    /// How the holdout was drawn (`stratified random, 20%, seed 7`).
    pub split: String,
    /// Earliest and latest timestamp seen in the data, if any (RFC 3339).
    pub date_range: Option<(String, String)>,
    /// The penalty search.
    pub penalty: PenaltySearch,
    /// How many quantile bins the `bins = "auto"` columns got, and the evidence (absent when
    /// the spec fixed every column's bins, and in artifacts written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<BinsSearch>,
    /// Which `bins = "auto"` columns left without bins got bins of their own, ranked on the
    /// residuals, and the evidence (absent when no column was searched, and in artifacts
    /// written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shapes: Option<ShapeSearch>,
    /// The final fit's solver report.
    pub solver: SolverReport,
    /// Point-in-time assembly counts (three-table training), if used.
    pub point_in_time: Option<PointInTimeReport>,
    /// Warnings raised during training (leakage, convergence, dropped columns).
    pub warnings: Vec<String>,
    /// How the interaction terms were chosen: the ranking, the candidates and their
    /// cross-validation scores (absent when pairs were off, and in artifacts written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<crate::pairs::PairSearch>,
}

impl Provenance {
    /// The penalty the model was fitted at: the one cross-validation chose again with the
    /// pairs when it chose another ([`crate::pairs::PairSearch::refit_alpha`]), else the
    /// penalty search's.
    pub fn fitted_alpha(&self) -> f64 {
        self.pairs
            .as_ref()
            .and_then(|p| p.refit_alpha)
            .unwrap_or(self.penalty.alpha)
    }

    /// What the row counts count: `examples` for a model trained on several landmarks (one
    /// example per lead and landmark), else `leads`.
    pub fn unit(&self) -> &'static str {
        match &self.point_in_time {
            Some(t) if !t.landmarks.is_empty() => "examples",
            _ => "leads",
        }
    }
}

/// A column whose single-feature holdout AUC is suspiciously high.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakageFlag {
    /// The input column.
    pub column: String,
    /// ROC AUC of a model on that column alone, on the holdout.
    pub roc_auc: f64,
}

/// Score histogram of the holdout, the reference for drift checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// Counts in equal-width bins over [0, 1].
    pub counts: Vec<u64>,
}

/// Training fill rate of one input column (share of training leads where the field is present,
/// not missing after the missing tokens), the reference for drift checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnFill {
    /// The input column.
    pub column: String,
    /// Share of training leads with a value, in [0, 1].
    pub filled_share: f64,
}

/// The whole artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelArtifact {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Content hash (see [`ModelArtifact::compute_id`]).
    pub model_id: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Version of leadscore that wrote it.
    pub leadscore_version: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// The fitted feature spec.
    pub spec: FittedSpec,
    /// Weights and intercept.
    pub model: LinearModel,
    /// Holdout metrics.
    pub evaluation: Evaluation,
    /// Columns flagged as likely leakage.
    pub leakage: Vec<LeakageFlag>,
    /// The operating curve the MQL cutoff is chosen on. Age-aware models: the **handoff**
    /// curve: holdout leads replayed through their lives, each selected at the first moment its
    /// score reaches the threshold and counted as converted if it converts within the horizon
    /// after that moment. Other models: one holdout example per lead.
    pub curve: OperatingCurve,
    /// Holdout score histogram, for drift checks.
    pub reference_scores: ScoreHistogram,
    /// How the labelled examples were assembled point in time (models trained with events or an
    /// outcomes table), so fresh data can be assembled the same way to evaluate the model.
    /// Absent for flat-file models and for artifacts written before it was kept; never written
    /// when absent, so the content hash of older artifacts is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<PointInTimeSettings>,
    /// Training fill rate of each input column, in the spec's column order, for drift checks.
    /// Empty for artifacts written before it was kept; never written when empty, so the content
    /// hash of older artifacts is unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_fill: Vec<ColumnFill>,
    /// Age-aware models: the per-example holdout curve (every landmark example of the holdout
    /// leads counted separately), kept for comparison; the cutoff is never chosen on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_curve: Option<OperatingCurve>,
    /// Age-aware models: how the handoff curve was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayReport>,
    /// The gates of the spec: `curve` (and so the cutoff) counts the leads they hold back as
    /// never selected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateSpec>,
    /// The holdout as gates need it, to rebuild `curve` for other gates (a server's override)
    /// and to count what each gate holds back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_holdout: Option<GateHoldout>,
    /// Per-field importance and shape, fit and engagement percentiles, the fit x engagement
    /// grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<ExplainSummary>,
}

impl ModelArtifact {
    /// The content hash: SHA-256 of the JSON with `model_id` empty, first 16 hex digits.
    pub fn compute_id(&self) -> String {
        let mut copy = self.clone();
        copy.model_id.clear();
        let bytes = serde_json::to_vec(&copy).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Sets `model_id` from the content.
    pub fn seal(&mut self) {
        self.model_id = self.compute_id();
    }

    /// Parses and checks an artifact; `origin` names the file in errors. Errors never quote the
    /// text (the file may not be a model at all): a syntax or type error gives its line and
    /// column, a field the format needs is named.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let err = |message: String| Error::Artifact {
            origin: origin.to_string(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(json_problem(&e)))?;
        match value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if READABLE_FORMAT_VERSIONS.iter().any(|r| u64::from(*r) == v) => {}
            Some(v) => {
                let readable = READABLE_FORMAT_VERSIONS
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                // A plausible version is named; any other number is file content, not shown.
                return Err(err(if v <= 1000 {
                    format!("format_version {v} is not supported (this build reads {readable})")
                } else {
                    format!(
                        "format_version is not a supported version (this build reads {readable})"
                    )
                }));
            }
            None => {
                return Err(err(
                    "no numeric `format_version`: not a leadscore model".into()
                ))
            }
        }
        drop(value);
        // Typed from the text (not the tree) so a type error has a line and column.
        let artifact: ModelArtifact =
            serde_json::from_str(text).map_err(|e| err(json_problem(&e)))?;
        artifact.validate().map_err(|m| err(bounded_problem(&m)))?;
        Ok(artifact)
    }

    /// Reads and checks an artifact file the user named: a symbolic link is followed, but only
    /// to a regular file of at most [`DEFAULT_MAX_BYTES`] (never a FIFO or a device).
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            read_limited_text(path, DEFAULT_MAX_BYTES, Symlinks::Follow).map_err(refused_model)?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Reads and checks an artifact file as the server and the registry do: a regular file of
    /// at most `max_bytes`, never through a symbolic link (see [`crate::files`]).
    pub fn load_no_follow(path: &Path, max_bytes: u64) -> Result<Self> {
        let text = read_limited_text(path, max_bytes, Symlinks::Refuse).map_err(refused_model)?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Consistency checks: the weights match the spec, numbers are finite, the curve is sound,
    /// and the content matches `model_id`.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let names = self.spec.features();
        if names.len() != self.model.features.len() {
            return Err(format!(
                "the spec makes {} features but the model has {} weights",
                names.len(),
                self.model.features.len()
            ));
        }
        for (i, (n, w)) in names.iter().zip(&self.model.features).enumerate() {
            // Artifacts written before edges kept every digit hold names with three decimals,
            // and before a level `(other)` was quoted, names without the quotes.
            if !crate::fitted::same_feature_name(&n.name, &w.name) {
                return Err(format!(
                    "feature {i} is `{}` in the spec but `{}` in the weights",
                    n.name, w.name
                ));
            }
            if !(w.weight.is_finite() && w.mean.is_finite() && w.std.is_finite() && w.std > 0.0) {
                return Err(format!(
                    "feature `{}` has a non-finite weight or mean, or a std that is not a \
                     positive number",
                    w.name
                ));
            }
        }
        crate::pairs::check(&self.spec)?;
        for c in &self.spec.columns {
            let part_ok = |k: &usize| {
                *k < self.spec.columns.len()
                    && self.spec.columns[*k].sum_of.is_empty()
                    && matches!(
                        self.spec.columns[*k].transform,
                        crate::fitted::FittedTransform::Numeric { .. }
                    )
            };
            if c.sum_of.is_empty() {
                continue;
            }
            if c.sum_of.len() < 2
                || !c.sum_of.iter().all(part_ok)
                || !matches!(c.transform, crate::fitted::FittedTransform::Numeric { .. })
            {
                return Err(format!(
                    "column `{}`: `sum_of` must name two or more numeric columns of the spec",
                    c.name
                ));
            }
            if self.format_version < 9 {
                return Err(format!(
                    "column `{}`: a sum_of column needs format_version 9, the file says {}",
                    c.name, self.format_version
                ));
            }
        }
        if let Some(ev) = &self.spec.events {
            if !ev.max.is_empty() {
                if ev.max.len() != ev.width() {
                    return Err(format!(
                        "events: `max` has {} values for {} event features",
                        ev.max.len(),
                        ev.width()
                    ));
                }
                if ev.max.iter().any(|m| !m.is_finite() || *m < 0.0) {
                    return Err("events: `max` must hold finite numbers of at least 0".into());
                }
                if self.format_version < 10 {
                    return Err(format!(
                        "events: `max` needs format_version 10, the file says {}",
                        self.format_version
                    ));
                }
            }
            if ev.days_since_held {
                if ev.max.is_empty() {
                    return Err("events: `days_since_held` needs `max`".into());
                }
                if self.format_version < 11 {
                    return Err(format!(
                        "events: `days_since_held` needs format_version 11, the file says {}",
                        self.format_version
                    ));
                }
            }
        }
        for c in &self.spec.columns {
            if let crate::fitted::FittedTransform::Email(rules) = &c.transform {
                rules
                    .check()
                    .map_err(|e| format!("column `{}`: {e}", c.name))?;
            }
            // Levels and options as training writes them: each once (the two featurizers would
            // pick different copies of a repeated one), an option trimmed, not empty and
            // without the separator (it could never match).
            let levels = match &c.transform {
                crate::fitted::FittedTransform::Categorical { levels } => Some(levels),
                crate::fitted::FittedTransform::MultiSelect { separator, options } => {
                    crate::spec::check_separator(separator)
                        .map_err(|e| format!("column `{}`: {e}", c.name))?;
                    if self.format_version < 8 {
                        return Err(format!(
                            "column `{}`: a multi_select column needs format_version 8, the \
                             file says {}",
                            c.name, self.format_version
                        ));
                    }
                    if let Some(o) = options.iter().find(|o| {
                        o.is_empty() || o.trim() != o.as_str() || o.contains(separator.as_str())
                    }) {
                        return Err(format!(
                            "column `{}`: option {o:?} is empty, has spaces around it or holds \
                             the separator {separator:?}",
                            c.name
                        ));
                    }
                    Some(options)
                }
                _ => None,
            };
            if let Some(levels) = levels {
                let mut seen = std::collections::HashSet::new();
                if let Some(l) = levels.iter().find(|l| !seen.insert(l.as_str())) {
                    return Err(format!("column `{}`: {l:?} is listed twice", c.name));
                }
            }
        }
        if !self.model.intercept.is_finite() {
            return Err("the intercept is not finite".into());
        }
        self.curve
            .validate()
            .map_err(|e| format!("operating curve: {e}"))?;
        if let Some(c) = &self.example_curve {
            c.validate()
                .map_err(|e| format!("per-example operating curve: {e}"))?;
        }
        for c in &self.spec.columns {
            if let crate::fitted::FittedTransform::Numeric {
                range: Some([lo, hi]),
                median,
                ..
            } = &c.transform
            {
                if !(lo.is_finite() && hi.is_finite() && lo <= hi && median.is_finite()) {
                    return Err(format!(
                        "column `{}`: the training range [{lo}, {hi}] is not two finite numbers in \
                         order, or the median {median} is not finite",
                        c.name
                    ));
                }
            }
            if let crate::fitted::FittedTransform::LeadAge { landmarks_days } = &c.transform {
                crate::spec::check_landmarks(landmarks_days)
                    .map_err(|e| format!("column `{}`: {e}", c.name))?;
                if landmarks_days.len() < 2 {
                    return Err(format!(
                        "column `{}`: lead age needs at least two landmarks",
                        c.name
                    ));
                }
            }
        }
        crate::gates::Gates::for_spec(&self.gates, &self.spec)
            .map_err(|e| format!("gates: {e}"))?;
        if let Some(h) = &self.gate_holdout {
            if let Some(bad) = h
                .leads
                .iter()
                .position(|l| l.values.len() != self.spec.columns.len() || l.records.is_empty())
            {
                return Err(format!(
                    "gate_holdout: lead {bad} has {} values for {} columns, or no score",
                    h.leads[bad].values.len(),
                    self.spec.columns.len()
                ));
            }
        }
        if let Some(e) = &self.explain {
            let groups = crate::explain::factor_groups(&self.spec);
            if e.groups.len() != groups.len() {
                return Err(format!(
                    "explain: {} field summaries for {} fields",
                    e.groups.len(),
                    groups.len()
                ));
            }
        }
        let id = self.compute_id();
        if id != self.model_id {
            return Err(format!(
                "content does not match model_id {} (computed {id}): the file was edited or damaged",
                crate::explain::Quoted(&self.model_id)
            ));
        }
        Ok(())
    }

    /// Writes the artifact atomically: a temp file in the same folder, synced, then renamed
    /// over `path`, so a crash never leaves a half-written model where a good one was.
    /// The text is read back first as a loader would: a model that would not load is an error
    /// here, and nothing is written.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let origin = path.display().to_string();
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Artifact {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        if let Err(e) = Self::from_json(&json, &origin) {
            return Err(Error::Artifact {
                origin,
                message: format!("not written: the model would not load back ({e})"),
            });
        }
        write_atomic(path, json.as_bytes())
    }
}

/// Writes `bytes` to `path` atomically (temp file beside it, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Writes `path` atomically with `write` (into a temp file beside it, then fsync and rename):
/// a reader sees the old file or the whole new one, and a failed `write` leaves no file.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    remove_stale_temps(&dir, &file_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself on disk before the next write (a file written after this one
        // must not survive a power loss that this one does not).
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Removes the temp files [`write_atomic_with`] left for `file_name` in `dir` when a process
/// writing it was killed (SIGTERM, Ctrl-C or kill -9 during a long `score`): `.NAME.PID.tmp`
/// whose process is gone (no `/proc/PID`; where there is no `/proc`, none is removed). A temp
/// file of a process still running, another writer's, is left alone.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    let proc_fs = Path::new("/proc/self");
    if !proc_fs.exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{file_name}.");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A consistency problem of an artifact as its error says it: on one line (a control
/// character in a name or `model_id` the file holds, a line break, is shown escaped, so the
/// file cannot write log lines of its own) and at most [`MAX_PROBLEM_BYTES`] (a 100 KB name is
/// not echoed whole to a reload's caller, the log and `/v1/model`).
fn bounded_problem(message: &str) -> String {
    let one_line = crate::value::escape_controls(message);
    // Room for the note: at most MAX_PROBLEM_BYTES in all.
    let room = MAX_PROBLEM_BYTES - 64;
    if one_line.len() <= room {
        return one_line.into_owned();
    }
    let mut end = room;
    while !one_line.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… (message cut: {} bytes in all)",
        &one_line[..end],
        message.len()
    )
}

/// How long an artifact's consistency problem may be ([`bounded_problem`]).
const MAX_PROBLEM_BYTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// A widened grid's weakest penalties keep their digits (`0.0000` for each of 1e-4, 5e-5
    /// and 1e-5 told them apart from nothing, nor from each other); the usual ones print as
    /// before.
    #[test]
    fn weak_penalties_print_with_their_digits() {
        assert_eq!(penalty_text(193.069_772_888_324_85), "193.0698");
        assert_eq!(penalty_text(0.051_794_746_792_312_12), "0.0518");
        assert_eq!(penalty_text(0.01), "0.0100");
        assert_eq!(penalty_text(0.009_999_999_999_999_995), "0.0100");
        assert_eq!(penalty_text(0.005_179_474_679), "5.18e-3");
        assert_eq!(penalty_text(1.389_495_494_373_136_6e-4), "1.39e-4");
        assert_eq!(penalty_text(5.179e-5), "5.18e-5");
        assert_eq!(penalty_text(1e-5), "1.00e-5");
        assert_eq!(penalty_text(0.0), "0.0000");
    }

    /// A file's own text in a consistency error is bounded and on one line: a `model_id` of
    /// 100 KB with a line break (or a feature name so) was echoed whole, raw, to a reload's
    /// caller, the log and `/v1/model`.
    #[test]
    fn a_consistency_error_does_not_echo_the_file_whole() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let text = std::fs::read_to_string(demo).unwrap();
        let error_of = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            edit(&mut v);
            let e = ModelArtifact::from_json(&v.to_string(), "m.json")
                .unwrap_err()
                .to_string();
            assert!(
                e.len() < 1_500 && !e.contains('\n'),
                "{}",
                &e[..e.len().min(300)]
            );
            e
        };
        let e = error_of(&|v| {
            v["model_id"] = serde_json::json!(format!("KEY\n{}", "A".repeat(100_000)));
        });
        assert!(e.contains("does not match model_id"), "{}", &e[..300]);
        error_of(&|v| {
            v["model"]["features"][1]["name"] =
                serde_json::json!(format!("x\n{}", "B".repeat(20_000)));
        });
        assert!(bounded_problem("a\nb").contains("a\\nb"));
        assert!(bounded_problem(&"x".repeat(5_000)).len() <= MAX_PROBLEM_BYTES);
    }

    /// A temp file left by a writer that was killed is removed by the next write of the same
    /// file; one of a process still running is left to it.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_killed_writers_temp_file_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("scores.csv");
        // PIDs above the kernel's limit (4194304 at most) never run.
        let stale = dir.path().join(".scores.csv.4194305.tmp");
        let running = dir.path().join(format!(
            ".scores.csv.{}.tmp",
            std::os::unix::process::parent_id()
        ));
        let other = dir.path().join(".other.csv.4194305.tmp");
        for p in [&stale, &running, &other] {
            std::fs::write(p, "partial").unwrap();
        }
        write_atomic(&out, b"whole").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"whole");
        assert!(!stale.exists(), "the dead writer's temp file is gone");
        assert!(running.exists(), "a running process's temp file is kept");
        assert!(other.exists(), "another file's temp file is kept");
    }

    #[test]
    fn an_odds_ratio_that_overflows_is_written_and_read_back() {
        // A strong weight on a feature with a tiny standard deviation (an amount in millions):
        // exp(weight / std) is infinite, which JSON writes as null.
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let mut a = ModelArtifact::load(&demo).unwrap();
        let f = &mut a.model.features[0];
        f.std = 0.0116;
        f.weight = 65.0;
        f.odds_ratio = (f.weight / f.std).exp();
        assert!(f.odds_ratio.is_infinite());
        a.seal();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        a.write_atomic(&path).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"odds_ratio\": null"));
        let back = ModelArtifact::load(&path).unwrap();
        assert_eq!(back.model.features[0].odds_ratio, f64::INFINITY);
        assert_eq!(back.model_id, a.model_id);

        // A model that would not load back is not written, and a good file stays.
        let mut broken = a.clone();
        broken.model.intercept = f64::NAN;
        let e = broken.write_atomic(&path).unwrap_err().to_string();
        assert!(e.contains("not written") && e.contains("m.json"), "{e}");
        assert_eq!(ModelArtifact::load(&path).unwrap().model_id, a.model_id);
    }

    #[test]
    fn an_artifact_with_edges_named_to_three_decimals_still_loads() {
        // Before edges were named with every digit, `0.000123` was stored as `0`: such an
        // artifact loads, and its bins are named today with their digits.
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json");
        let mut a = ModelArtifact::load(&demo).unwrap();
        let (i, edges) = a
            .spec
            .columns
            .iter_mut()
            .find_map(|c| match &mut c.transform {
                crate::fitted::FittedTransform::Numeric { bin_edges, .. }
                    if bin_edges.len() > 2 =>
                {
                    Some((c.name.clone(), bin_edges))
                }
                _ => None,
            })
            .expect("a binned column");
        let n = edges.len();
        *edges = (1..=n).map(|k| k as f64 * 1.23e-4).collect();
        let today: Vec<String> = a.spec.features().into_iter().map(|f| f.name).collect();
        let named = |n: &str| n.starts_with(&format!("{i} "));
        assert!(
            today
                .iter()
                .any(|n| named(n) && n.contains("in [0.000123, 0.000246)")),
            "{today:?}"
        );
        for (f, name) in a.model.features.iter_mut().zip(&today) {
            f.name = name.replace("0.000123", "0").replace("0.000246", "0");
        }
        assert!(a
            .model
            .features
            .iter()
            .any(|f| f.name.contains("in [0, 0)")));
        a.seal();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        a.write_atomic(&path).unwrap();
        let back = ModelArtifact::load(&path).unwrap();
        let names: Vec<String> = back.spec.features().into_iter().map(|f| f.name).collect();
        assert_eq!(names, today);
        // Another name is still refused.
        let mut wrong = a.clone();
        wrong.model.features[0].name = "something else".into();
        wrong.seal();
        assert!(wrong.validate().unwrap_err().contains("something else"));
    }

    #[test]
    fn errors_never_quote_the_file() {
        let demo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/demo.json"),
        )
        .unwrap();
        let mut wrong_type: serde_json::Value = serde_json::from_str(&demo).unwrap();
        wrong_type["provenance"]["label"] = serde_json::json!(["SECRET-1"]);
        wrong_type["created_at"] = serde_json::json!({"k": "SECRET-2"});
        let mut missing = wrong_type.clone();
        missing.as_object_mut().unwrap().remove("curve");
        missing["created_at"] = serde_json::json!("2025-01-01T00:00:00Z");
        missing["provenance"]["label"] = serde_json::json!("y");
        for (text, expect) in [
            ("SECRET-3 is not JSON".to_string(), "not valid JSON"),
            (
                "{\"format_version\": 4, \"x\": \"SECRET-4".into(),
                "ends early",
            ),
            (
                "{\"format_version\": 123456789}".into(),
                "not a supported version",
            ),
            (
                "{\"format_version\": 12}".into(),
                "format_version 12 is not supported",
            ),
            (wrong_type.to_string(), "wrong type"),
            (missing.to_string(), "the field `curve` is missing"),
        ] {
            let e = ModelArtifact::from_json(&text, "m.json")
                .unwrap_err()
                .to_string();
            assert!(e.contains(expect) && e.contains("m.json"), "{e}");
            assert!(!e.contains("SECRET") && !e.contains("123456789"), "{e}");
        }
        assert!(ModelArtifact::from_json(&demo, "demo.json").is_ok());
    }
}
