//! The shared state: the model in force (swapped atomically, read without a lock), the
//! configuration and the metrics.
//!
//! A [`Serving`] is immutable: the artifact, the cutoff computed from the target precision, and
//! the tier cutoffs. Reload and `PUT /v1/cutoff` build a new one completely (load, validate,
//! compute cutoffs) and only then swap it in, so a request sees either the old model or the new
//! one, never a mix, and a failed reload leaves the old one serving.

use crate::config::{Config, ModelSource};
use crate::drift::{DriftCounters, DriftReport, DriftSettings};
use crate::error::{Error, Result};
use crate::lead::Val;
use crate::lead::{ColumnIndex, Lead};
use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::{cutoff_for_precision, OperatingCurve, OperatingPoint};
use leadscore_core::explain::{
    contributions, factor_groups, percentile_of, strongest_into, write_row, FactorGroup, Part,
};
use leadscore_core::fitted::{FittedTransform, LeadEvent};
use leadscore_core::gates::{GateSpec, Gates};
use leadscore_core::model::Scorer;
use leadscore_core::registry::Registry;
use leadscore_core::tiers::{tier_of, Tiers};
use leadscore_core::value::FieldValue;
use serde::Serialize;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

/// Size and modification time of a file, to notice that it was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub len: u64,
    /// Last modification, where the platform reports it.
    pub modified: Option<SystemTime>,
}

impl FileStamp {
    /// The stamp of `path` itself (a symbolic link is not followed), or `None` if it cannot
    /// be read.
    pub fn of(path: &Path) -> Option<Self> {
        std::fs::symlink_metadata(path).ok().map(|m| Self {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// The file a model was read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFile {
    /// The file read.
    pub path: PathBuf,
    /// Its name (in a registry: what `CURRENT` named).
    pub file_name: String,
    /// The registry folder, when serving from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<PathBuf>,
    /// The file's stamp just before it was read.
    #[serde(skip)]
    pub stamp: Option<FileStamp>,
}

impl ModelFile {
    /// What the registry watcher compares: the file name and its stamp.
    pub fn observation(&self) -> (String, Option<FileStamp>) {
        (self.file_name.clone(), self.stamp)
    }
}

/// The file `source` points at now: the file itself, or the one the registry's `CURRENT`
/// names. An error names the pointer when it cannot be resolved. `--model` must name the file
/// itself, not a symbolic link (refused here with a hint; see [`load_serving`]).
pub fn resolve(source: &ModelSource) -> Result<ModelFile> {
    let (path, registry) = match source {
        ModelSource::File(p) => {
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::Model(leadscore_core::Error::Artifact {
                    origin: p.display().to_string(),
                    message: "is a symbolic link; refused: --model must name the model file \
                              itself (for example --model \"$(readlink -f PATH)\")"
                        .into(),
                }));
            }
            (p.clone(), None)
        }
        ModelSource::Registry(dir) => {
            let registry = Registry::open(dir).map_err(Error::Model)?;
            let path = registry.current_path().map_err(Error::Model)?;
            // A model file deleted or moved under CURRENT was reported as the file alone ("No
            // such file or directory"), which did not say where the name came from.
            if std::fs::symlink_metadata(&path)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
            {
                return Err(Error::Model(leadscore_core::Error::Artifact {
                    origin: registry.pointer_path().display().to_string(),
                    message: format!(
                        "names {}, which is not in the folder (deleted or moved): point CURRENT \
                         at a model that is (`leadscore-train promote`)",
                        path.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    ),
                }));
            }
            (path, Some(dir.clone()))
        }
    };
    Ok(ModelFile {
        file_name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        stamp: FileStamp::of(&path),
        path,
        registry,
    })
}

/// A precision target and the confidence of its lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct CutoffTarget {
    /// Target precision, in (0, 1).
    pub target_precision: f64,
    /// Confidence level, in (0, 1).
    pub confidence: f64,
}

/// A cutoff as the API reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutoffReport {
    /// Score threshold: a lead is an MQL when its score is at or above it.
    pub threshold: f64,
    /// The target precision.
    pub target_precision: f64,
    /// Confidence of the lower bound.
    pub confidence: f64,
    /// Holdout precision at the threshold.
    pub precision: f64,
    /// Lower confidence bound on that precision.
    pub precision_lower_bound: f64,
    /// Holdout recall at the threshold.
    pub recall: f64,
    /// Share of holdout leads at or above the threshold.
    pub mql_rate: f64,
}

impl CutoffReport {
    /// From the requested target and the chosen operating point.
    pub fn new(target: CutoffTarget, op: &OperatingPoint) -> Self {
        Self {
            threshold: op.threshold,
            target_precision: target.target_precision,
            confidence: target.confidence,
            precision: op.precision,
            precision_lower_bound: op.precision_lower_bound,
            recall: op.recall,
            mql_rate: op.mql_rate,
        }
    }
}

/// One tier in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierCutoff {
    /// Tier name.
    pub name: String,
    /// Its target precision.
    pub target_precision: f64,
    /// Its cutoff, or `None` when the model cannot reach the target (the tier is never given).
    pub cutoff: Option<CutoffReport>,
}

/// The model in force with its cutoffs; immutable, swapped as a whole.
#[derive(Debug)]
pub struct Serving {
    /// The loaded, validated artifact.
    pub artifact: Arc<ModelArtifact>,
    /// The file it was read from.
    pub file: Arc<ModelFile>,
    /// The target the cutoff was computed for.
    pub target: CutoffTarget,
    /// The MQL cutoff in force.
    pub cutoff: CutoffReport,
    /// Tier cutoffs, strictest first.
    pub tiers: Vec<TierCutoff>,
    /// The name given to leads below every tier.
    pub rest_tier: Option<String>,
    /// The model's columns, to place request fields.
    pub columns: ColumnIndex,
    /// The model prepared for scoring.
    pub scorer: Scorer,
    /// Live drift counters of this model (kept across cutoff changes and reloads of the same
    /// model, new for a new model).
    pub drift: Arc<DriftCounters>,
    /// The spec column of the lead age (age-aware models).
    pub age_column: Option<usize>,
    /// The operating curve the cutoff and tiers are chosen on: the artifact's, or rebuilt
    /// from its holdout when the configuration's gates replace the model's.
    pub curve: Arc<OperatingCurve>,
    /// The gates in force.
    pub gates: Gates,
    /// Whether they come from the configuration rather than the model.
    pub gates_from_config: bool,
    /// The model's fields and event types, for key factors and the fit/engagement split.
    pub groups: Vec<FactorGroup>,
    /// The parts of every `/v1/score` answer that depend only on this model and cutoff.
    pub answer: crate::json_text::Prerendered,
}

impl Serving {
    /// Computes the cutoff (an unattainable target is an error) and the tiers. `gates`
    /// replaces the model's gates (the curve is then rebuilt from the model's holdout); a gate
    /// naming a field or class the model does not have is an error naming it.
    pub fn new(
        artifact: Arc<ModelArtifact>,
        file: Arc<ModelFile>,
        target: CutoffTarget,
        tiers: &Tiers,
        gates: Option<&[GateSpec]>,
    ) -> Result<Self> {
        let (gate_specs, gates_from_config) = match gates {
            Some(g) if g != artifact.gates.as_slice() => (g, true),
            _ => (artifact.gates.as_slice(), false),
        };
        let compiled = Gates::for_spec(gate_specs, &artifact.spec).map_err(|e| {
            Error::Config(format!(
                "gates{}: {e}",
                if gates_from_config {
                    " (--gates)"
                } else {
                    " of the model"
                }
            ))
        })?;
        // The curve rebuilt on the model's holdout with the configured gates (as `monitor
        // --gates` reads the promise), or the model's own.
        let curve = Arc::new(
            leadscore_core::gates::curve_with_gates(&artifact, gate_specs)
                .map_err(|e| Error::Config(format!("--gates: {e}")))?,
        );
        let op = cutoff_for_precision(&curve, target.target_precision, target.confidence)?;
        let tier_cutoffs = tiers
            .cutoffs(&curve, target.confidence)
            .into_iter()
            .map(|t| {
                let tier_target = CutoffTarget {
                    target_precision: t.target_precision,
                    confidence: target.confidence,
                };
                TierCutoff {
                    cutoff: t.point.map(|op| CutoffReport::new(tier_target, &op)),
                    name: t.name,
                    target_precision: t.target_precision,
                }
            })
            .collect();
        let cutoff = CutoffReport::new(target, &op);
        let groups = factor_groups(&artifact.spec);
        let scorer = Scorer::new(&artifact.model);
        Ok(Self {
            answer: crate::json_text::Prerendered {
                head: answer_head(&artifact.model_id, &cutoff),
                factor_heads: groups
                    .iter()
                    .map(|g| crate::json_text::factor_head(&g.name))
                    .collect(),
                baseline: crate::json_text::Repeat::of(scorer.baseline()),
            },
            cutoff,
            groups,
            columns: ColumnIndex::for_artifact(&artifact),
            scorer,
            drift: Arc::new(DriftCounters::new(&artifact)),
            age_column: artifact
                .spec
                .columns
                .iter()
                .position(|c| matches!(c.transform, FittedTransform::LeadAge { .. })),
            gates: compiled,
            gates_from_config,
            curve,
            artifact,
            file,
            target,
            tiers: tier_cutoffs,
            rest_tier: tiers.rest.clone(),
        })
    }

    /// Drift of this model's live leads against its artifact's reference.
    pub fn drift_report(&self, settings: &DriftSettings) -> DriftReport {
        self.drift.report(&self.artifact, settings)
    }

    /// The tier of a score: the first (strictest) tier whose cutoff it reaches, else the rest
    /// ([`tier_of`]).
    pub fn tier(&self, score: f64) -> Option<&str> {
        tier_of(
            self.tiers
                .iter()
                .map(|t| (t.name.as_str(), t.cutoff.as_ref().map(|c| c.threshold))),
            self.rest_tier.as_deref(),
            score,
        )
    }

    /// Scores parsed leads (placed in this model's column order: parse them with
    /// [`Serving::columns`]); `factors` = how many positive and negative factors per lead.
    /// `each(i, score, inputs)` is called as soon as lead `i` is scored, with its factors and
    /// the values and events scoring read (what its factor texts read too): the answer
    /// writes each lead while what its factor texts read is still fresh (the per-thread memos
    /// of the email class, seniority and timestamps in `leadscore_core::value`). The scores
    /// returned carry no factors: their lists are reused from lead to lead (an allocation each
    /// per lead cost ~5% of a batch's CPU).
    pub fn score_each<'s, 'l>(
        &'s self,
        leads: &'l [Lead<'l>],
        as_of: i64,
        factors: usize,
        mut each: impl FnMut(usize, &LeadScore<'s>, &LeadInputs<'l>),
    ) -> Result<Vec<LeadScore<'s>>> {
        // The thread's buffers, put back whatever the outcome.
        let mut scratch = SCRATCH.try_with(RefCell::take).unwrap_or_default();
        let mut lent = scratch.lend();
        let scored = self.score_with(leads, as_of, factors, &mut each, &mut scratch, &mut lent);
        scratch.keep(lent);
        let _ = SCRATCH.try_with(|s| s.replace(scratch));
        scored
    }

    fn score_with<'s, 'l>(
        &'s self,
        leads: &'l [Lead<'l>],
        as_of: i64,
        factors: usize,
        each: &mut impl FnMut(usize, &LeadScore<'s>, &LeadInputs<'l>),
        scratch: &mut Scratch,
        lent: &mut Lent<'s, 'l>,
    ) -> Result<Vec<LeadScore<'s>>> {
        let Lent {
            inputs,
            lists: factor_lists,
        } = lent;
        let spec = &self.artifact.spec;
        let model = &self.artifact.model;
        let Scratch {
            x,
            contrib,
            held,
            positive,
            negative,
            unseen,
            ..
        } = scratch;
        x.clear();
        x.resize(spec.width(), 0.0);
        let mut out = Vec::with_capacity(leads.len());
        for (i, lead) in leads.iter().enumerate() {
            lead.check(spec, as_of)?;
            self.lead_inputs(lead, inputs);
            let (values, events) = (&inputs.values, &inputs.events);
            // A value training did not see (`3` in a yes/no column, a new level, a number
            // outside the training range) is scored as missing, `other` or the nearest
            // training value and noted, never refused.
            spec.featurize_values_noting_unseen(values, events, Some(as_of), x, unseen)
                .map_err(|e| match e {
                    leadscore_core::Error::Feature { column, problem } if !column.is_empty() => {
                        Error::InvalidField {
                            path: lead.path.field(&column),
                            message: problem,
                        }
                    }
                    other => Error::Internal(other.to_string()),
                })?;
            let log_odds = self.scorer.log_odds(x);
            if !log_odds.is_finite() {
                // Only a huge number can do this; name the column whose contribution overflowed.
                let column = x
                    .iter()
                    .enumerate()
                    .find(|(i, v)| !self.scorer.contribution(*i, **v).is_finite())
                    .map(|(i, _)| model.features[i].column.clone());
                return Err(Error::InvalidField {
                    path: column.map_or_else(|| lead.path.root(), |c| lead.path.field(&c)),
                    message: "the value is too large for this model to score".into(),
                });
            }
            let score = leadscore_core::model::sigmoid(log_odds);
            let lead_age = self.lead_age(values, as_of);
            let split = contributions(&self.scorer, &self.groups, x, contrib);
            self.gates.held_back(values, held);
            let held_back_by: Vec<&str> = held.iter().map(|g| self.gates.name(*g)).collect();
            let explain = self.artifact.explain.as_ref();
            let part = |log_odds: f64, pct: Option<&Vec<f64>>| PartScore {
                log_odds,
                percentile: pct.and_then(|p| percentile_of(p, log_odds)),
            };
            let factors = (factors > 0).then(|| {
                strongest_into(contrib, factors, positive, negative);
                let mut lists = std::mem::take(factor_lists);
                for (ranked, into) in [
                    (&*positive, &mut lists.positive),
                    (&*negative, &mut lists.negative),
                ] {
                    into.clear();
                    into.extend(ranked.iter().map(|&(g, contribution)| {
                        let group = &self.groups[g];
                        FactorRef {
                            field: &group.name,
                            group: g,
                            part: group.part,
                            contribution,
                        }
                    }));
                }
                lists
            });
            let eligible = held_back_by.is_empty();
            out.push(LeadScore {
                score,
                mql: eligible && score >= self.cutoff.threshold,
                tier: if eligible {
                    self.tier(score)
                } else {
                    self.rest_tier.as_deref()
                },
                log_odds,
                baseline_log_odds: split.baseline,
                fit: part(split.fit, explain.map(|e| &e.fit_percentiles)),
                engagement: part(split.engagement, explain.map(|e| &e.engagement_percentiles)),
                held_back_by,
                lead_age,
                factors,
                unseen: unseen.clone(),
            });
            if let Some(scored) = out.last_mut() {
                each(i, scored, inputs);
                // The next lead reuses the lists (a lead's factors are only `each`'s).
                if let Some(lists) = scored.factors.take() {
                    *factor_lists = lists;
                }
            }
        }
        Ok(out)
    }

    /// A parsed lead's values in the spec's column order and, for models with event features,
    /// its events (otherwise they are validated, in `Lead`, and ignored): what the featurizer
    /// and the factor texts read.
    pub fn lead_inputs<'l>(&self, lead: &'l Lead<'_>, inputs: &mut LeadInputs<'l>) {
        let LeadInputs { values, events } = inputs;
        values.clear();
        values.extend(lead.values.iter().map(Val::as_field));
        events.clear();
        if self.artifact.spec.events.is_some() {
            events.extend(lead.events.iter().map(|e| LeadEvent {
                event_type: &e.event_type,
                occurred_at: e.occurred_at,
            }));
        }
    }

    /// Writes the text of a lead's factor (`job_title = "VP Marketing" (vp)`) from the lead's
    /// [`Serving::lead_inputs`]: the answer writes it straight into the response body.
    pub fn write_factor_text(
        &self,
        out: &mut impl std::fmt::Write,
        factor: &FactorRef<'_>,
        values: &[FieldValue<'_>],
        events: &[LeadEvent<'_>],
        as_of: i64,
    ) {
        let spec = &self.artifact.spec;
        write_row(
            out,
            spec,
            &self.groups[factor.group],
            values,
            events,
            Some(as_of),
        );
    }

    /// The lead's age as an age-aware model saw it (`None` for other models). Called after
    /// the lead was featurized, so its creation time is known to be present and valid.
    fn lead_age(&self, values: &[FieldValue<'_>], as_of: i64) -> Option<LeadAge> {
        let i = self.age_column?;
        let FittedTransform::LeadAge {
            landmarks_days: landmarks,
        } = &self.artifact.spec.columns[i].transform
        else {
            return None;
        };
        let created =
            leadscore_core::value::field_time(*values.get(i)?, self.artifact.spec.date_order)?;
        let (scored_as, clamped) = leadscore_core::fitted::lead_age(created, as_of, landmarks)?;
        Some(LeadAge {
            days: leadscore_core::fitted::age_days(created, as_of),
            scored_as_days: scored_as,
            outside_landmarks: clamped,
        })
    }
}

/// A lead's age at the moment of scoring, for age-aware models (trained on several landmarks).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LeadAge {
    /// Days from `created_at` to the moment of scoring.
    pub days: f64,
    /// The age the model scored it at: `days`, clamped to the landmark range.
    pub scored_as_days: f64,
    /// Whether the lead is older than the last landmark (or younger than the first) and was
    /// scored at that landmark instead: the model learned nothing about older leads.
    pub outside_landmarks: bool,
}

/// One field's or event type's share of a lead's log-odds relative to an average training lead.
/// Its text, named by the lead's own value (`job_title = "VP Marketing" (vp)`,
/// `demo_request: 1 in the last 7 days, last 1 day ago`; see `leadscore_core::explain`), is
/// written when the answer is ([`Serving::write_factor_text`]), not kept here.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorRef<'a> {
    /// The input column or event type.
    pub field: &'a str,
    /// Its factor group (an index into the serving model's groups).
    pub group: usize,
    /// `fit` or `engagement`.
    pub part: Part,
    /// Contribution to the log-odds: the sum of `weight * (x - mean) / std` over the field's
    /// features.
    pub contribution: f64,
}

/// The key factors of one lead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Factors<'a> {
    /// Strongest positive contributions to the log-odds first.
    pub positive: Vec<FactorRef<'a>>,
    /// Strongest negative contributions first.
    pub negative: Vec<FactorRef<'a>>,
}

/// One part (fit or engagement) of a lead's log-odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PartScore {
    /// Its contribution to the log-odds against the average training lead.
    pub log_odds: f64,
    /// Where that falls among training examples, 0 to 100 (absent for models trained before
    /// format 4).
    pub percentile: Option<f64>,
}

/// `"model_id":...,"cutoff":{...}`: how every `/v1/score` answer starts, byte for byte what
/// serde's derive of [`CutoffReport`] writes (`json_out`'s tests compare the answers).
fn answer_head(model_id: &str, cutoff: &CutoffReport) -> Vec<u8> {
    use crate::json_text::{number, string};
    let mut out = b"\"model_id\":".to_vec();
    string(&mut out, model_id);
    out.extend_from_slice(b",\"cutoff\":");
    // The report's fields in its declaration order.
    let fields = [
        ("threshold", cutoff.threshold),
        ("target_precision", cutoff.target_precision),
        ("confidence", cutoff.confidence),
        ("precision", cutoff.precision),
        ("precision_lower_bound", cutoff.precision_lower_bound),
        ("recall", cutoff.recall),
        ("mql_rate", cutoff.mql_rate),
    ];
    for (i, (key, x)) in fields.into_iter().enumerate() {
        out.push(if i == 0 { b'{' } else { b',' });
        string(&mut out, key);
        out.push(b':');
        number(&mut out, x);
    }
    out.push(b'}');
    out
}

/// What scoring a request works in, kept per thread from request to request (allocating them
/// for each request cost ~3% of a single-lead request): the features, the per-field
/// contributions, the gates that hold the lead back, the strongest factors of each sign and
/// the columns whose value training did not see.
#[derive(Default)]
struct Scratch {
    x: Vec<f64>,
    contrib: Vec<f64>,
    held: Vec<usize>,
    positive: Vec<(usize, f64)>,
    negative: Vec<(usize, f64)>,
    unseen: Vec<usize>,
    /// Empty between requests: only their allocations are kept ([`Scratch::lend`]).
    values: Vec<FieldValue<'static>>,
    events: Vec<LeadEvent<'static>>,
    positive_refs: Vec<FactorRef<'static>>,
    negative_refs: Vec<FactorRef<'static>>,
}

/// The buffers of borrowed values a request works in, lent by [`Scratch`] for its lifetimes.
struct Lent<'s, 'l> {
    inputs: LeadInputs<'l>,
    lists: Factors<'s>,
}

impl Scratch {
    /// The kept buffers, empty, for one request.
    fn lend<'s, 'l>(&mut self) -> Lent<'s, 'l> {
        Lent {
            inputs: LeadInputs {
                values: recycle(std::mem::take(&mut self.values)),
                events: recycle(std::mem::take(&mut self.events)),
            },
            lists: Factors {
                positive: recycle(std::mem::take(&mut self.positive_refs)),
                negative: recycle(std::mem::take(&mut self.negative_refs)),
            },
        }
    }

    /// Keeps the allocations of what [`Scratch::lend`] lent.
    fn keep(&mut self, lent: Lent<'_, '_>) {
        self.values = recycle(lent.inputs.values);
        self.events = recycle(lent.inputs.events);
        self.positive_refs = recycle(lent.lists.positive);
        self.negative_refs = recycle(lent.lists.negative);
    }
}

/// `v`'s allocation as an empty vector of another item type of the same size and alignment
/// (here: the same type with other lifetimes, so that buffers of borrowed values outlive the
/// request that borrowed them). Collecting a vector's own `into_iter` reuses its buffer (the
/// standard library's in-place collection); were it ever not to, this would only allocate.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// One lead's inputs, as the featurizer read them and its factor texts read them again: its
/// values in the spec's column order and its events ([`Serving::lead_inputs`]).
#[derive(Default)]
pub struct LeadInputs<'l> {
    pub values: Vec<FieldValue<'l>>,
    pub events: Vec<LeadEvent<'l>>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The score of one lead (written as JSON by `crate::json_out`, with its factor texts).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScore<'a> {
    /// Probability of conversion.
    pub score: f64,
    /// Whether the score is at or above the cutoff in force and no gate holds the lead back.
    pub mql: bool,
    /// The tier, if tiers are configured (a lead held back by a gate gets the rest tier).
    pub tier: Option<&'a str>,
    /// The score's log-odds: `baseline_log_odds + fit.log_odds + engagement.log_odds`.
    pub log_odds: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Who the lead is: the profile fields' share of the log-odds.
    pub fit: PartScore,
    /// What the lead did: events, behaviour columns and lead age.
    pub engagement: PartScore,
    /// Names of the gates that keep the lead from being an MQL whatever its score.
    pub held_back_by: Vec<&'a str>,
    /// Age-aware models: the lead's age and the age it was scored at.
    pub lead_age: Option<LeadAge>,
    /// Key factors (absent when `?factors=0`).
    pub factors: Option<Factors<'a>>,
    /// Columns (spec indices) whose value training did not see, scored as missing, `other` or
    /// the nearest training value:
    /// counted per column in `/metrics`, not part of the answer.
    pub unseen: Vec<usize>,
}

/// The application: configuration, the model in force, metrics.
pub struct App {
    /// The checked configuration.
    pub config: Config,
    current: ArcSwap<Serving>,
    /// Serializes writers (reload, cutoff changes); readers never take it.
    writer: tokio::sync::Mutex<()>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    draining: AtomicBool,
    /// Why the last reload failed, until one succeeds.
    last_reload_error: std::sync::Mutex<Option<ReloadError>>,
}

/// A failed reload, as `/v1/model` reports it until a reload succeeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReloadError {
    /// What asked for the reload (`admin`, `SIGHUP`, `registry`).
    pub trigger: String,
    /// The file the reload tried to read.
    pub file: String,
    /// Why it was refused.
    pub reason: String,
    /// When, in Unix seconds.
    pub at: i64,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("model_id", &self.current().artifact.model_id)
            .finish_non_exhaustive()
    }
}

/// Shared state of every handler.
pub type AppState = Arc<App>;

/// What the request extractors read: the configuration.
impl crate::http::HasConfig for App {
    fn config(&self) -> &Config {
        &self.config
    }
}

/// What the decision log writes of the model that scored a lead.
impl crate::decisions::ModelInForce for Serving {
    fn model_id(&self) -> &str {
        &self.artifact.model_id
    }

    fn cutoff(&self) -> f64 {
        self.cutoff.threshold
    }

    fn tier(&self, score: f64) -> Option<&str> {
        Serving::tier(self, score)
    }
}

/// Resolves the model source, loads and validates the artifact and computes its cutoffs
/// (blocking, but never for long: the file is read only when it is a regular file of at most
/// `--max-model-bytes`, never through a symbolic link, never a FIFO). On failure, also returns
/// the file it tried (or the registry pointer); the error names the file and the problem,
/// never the file's content.
pub fn load_serving(
    config: &Config,
    target: CutoffTarget,
) -> std::result::Result<Serving, (String, Error)> {
    let file = resolve(&config.source).map_err(|e| {
        let what = match &config.source {
            ModelSource::File(p) => p.clone(),
            ModelSource::Registry(dir) => dir.join(leadscore_core::registry::CURRENT),
        };
        (what.display().to_string(), e)
    })?;
    let shown = file.path.display().to_string();
    let artifact = ModelArtifact::load_no_follow(&file.path, config.max_model_bytes)
        .map_err(|e| (shown.clone(), Error::Model(e)))?;
    Serving::new(
        Arc::new(artifact),
        Arc::new(file),
        target,
        &config.tiers,
        config.gates.as_deref(),
    )
    .map_err(|e| (shown, e))
}

impl App {
    /// Loads the model and computes the cutoff; fails before anything listens.
    pub fn new(config: Config) -> Result<Arc<Self>> {
        if let Some(log) = &config.decision_log {
            crate::decisions::check_paths(&log.dir).map_err(Error::Config)?;
        }
        let target = CutoffTarget {
            target_precision: config.target_precision,
            confidence: config.confidence,
        };
        let serving = load_serving(&config, target).map_err(|(_, e)| e)?;
        let app = Self {
            current: ArcSwap::from_pointee(serving),
            writer: tokio::sync::Mutex::new(()),
            metrics: Metrics::default(),
            draining: AtomicBool::new(false),
            last_reload_error: std::sync::Mutex::new(None),
            config,
        };
        let serving = app.current();
        app.metrics
            .set_model(&serving.artifact.model_id, serving.cutoff.threshold);
        Ok(Arc::new(app))
    }

    /// The model in force (a cheap pointer copy, no lock).
    pub fn current(&self) -> Arc<Serving> {
        self.current.load_full()
    }

    fn install(&self, mut serving: Serving) -> Arc<Serving> {
        let previous = self.current();
        if previous.artifact.model_id == serving.artifact.model_id {
            // The same model: its drift sample carries on.
            serving.drift = previous.drift.clone();
        }
        let serving = Arc::new(serving);
        self.current.store(serving.clone());
        self.metrics
            .set_model(&serving.artifact.model_id, serving.cutoff.threshold);
        serving
    }

    /// Reloads the model with the target in force: the same file, or in a registry the file
    /// `CURRENT` names now. On failure the old model keeps serving and the error
    /// ([`Error::ReloadFailed`]) names the file and the model still in force. Every reload
    /// (admin call, SIGHUP, registry watcher) goes through here and logs its outcome on stderr.
    pub async fn reload(self: &Arc<Self>, trigger: &str) -> Result<Arc<Serving>> {
        let _guard = self.writer.lock().await;
        let previous = self.current();
        let target = previous.target;
        let app = self.clone();
        let result = tokio::task::spawn_blocking(move || load_serving(&app.config, target))
            .await
            .map_err(|e| Error::Internal(format!("reload task: {e}")))?;
        match result {
            Ok(serving) => {
                self.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
                self.clear_reload_error();
                let serving = self.install(serving);
                leadscore_core::stderr_line!(
                    "leadscore-serve: {trigger}: reloaded model {} from {} (was {} from {})",
                    serving.artifact.model_id,
                    serving.file.path.display(),
                    previous.artifact.model_id,
                    previous.file.path.display()
                );
                Ok(serving)
            }
            Err((file, e)) => {
                let serving = previous.artifact.model_id.clone();
                let reason = e.to_string();
                leadscore_core::stderr_line!(
                    "leadscore-serve: {trigger}: reload of {file} failed, still serving model {serving}: {reason}"
                );
                self.record_reload_failure(trigger, &file, &reason);
                Err(Error::ReloadFailed {
                    serving,
                    file,
                    reason,
                })
            }
        }
    }

    /// Counts a failed reload and keeps it as the last one (`/v1/model`'s
    /// `last_reload_error`): a file that did not load, or a registry pointer that cannot be
    /// read.
    pub fn record_reload_failure(&self, trigger: &str, file: &str, reason: &str) {
        self.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_reload_error.lock() {
            *last = Some(ReloadError {
                trigger: trigger.to_string(),
                file: file.to_string(),
                reason: reason.to_string(),
                at: leadscore_core::value::unix_now(),
            });
        }
    }

    /// Why the last reload failed, if no reload succeeded since.
    pub fn last_reload_error(&self) -> Option<ReloadError> {
        self.last_reload_error.lock().ok().and_then(|l| l.clone())
    }

    /// Forgets the last failed reload: the source names the model in force again (a registry
    /// pointer moved back to it after naming a bad file), so no reload is needed and the failure
    /// no longer describes what the server would load.
    pub fn clear_reload_error(&self) {
        if let Ok(mut last) = self.last_reload_error.lock() {
            *last = None;
        }
    }

    /// Changes the cutoff in force (same model).
    pub async fn set_cutoff(&self, target: CutoffTarget) -> Result<Arc<Serving>> {
        let _guard = self.writer.lock().await;
        let current = self.current();
        let serving = Serving::new(
            current.artifact.clone(),
            current.file.clone(),
            target,
            &self.config.tiers,
            self.config.gates.as_deref(),
        )?;
        Ok(self.install(serving))
    }

    /// Marks the server as shutting down (`/readyz` answers 503 from then on).
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycled_buffers_keep_their_allocation() {
        let text = String::from("Retail");
        let mut values: Vec<FieldValue<'_>> = Vec::with_capacity(32);
        values.push(FieldValue::Text(&text));
        let kept: Vec<FieldValue<'static>> = recycle(values);
        assert!(kept.is_empty());
        assert!(kept.capacity() >= 32, "{}", kept.capacity());
        let again: Vec<FieldValue<'_>> = recycle(kept);
        assert!(again.is_empty() && again.capacity() >= 32);
    }
}
