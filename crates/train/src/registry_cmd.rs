//! The registry commands (DESIGN.md section 7): `train --registry` adds a model, `promote`
//! moves the champion pointer only when the challenger is not worse than the champion on the
//! same fresh labelled data (unless forced), `models` lists what a registry holds.
//!
//! The rules live here, where tests reach them; the binary parses flags, prints and sets the
//! exit code. The folder layout, the atomic pointer and the promotion log are
//! [`leadscore_core::registry`]'s.
//!
//! ```no_run
//! use leadscore_core::registry::Registry;
//! use leadscore_train::pipeline::FreshData;
//! use leadscore_train::registry_cmd::{promote, Decision, PromoteOptions};
//! let registry = Registry::open("models/registry")?;
//! let options = PromoteOptions::new("a1153bfcd20e7a87", FreshData::new("fresh-leads.csv"));
//! let promotion = promote(&registry, &options)?;
//! if let Decision::Refused { reason } = &promotion.decision {
//!     leadscore_core::stderr_line!("not promoted: {reason}");
//! }
//! # Ok::<(), leadscore_train::error::TrainError>(())
//! ```

use crate::error::{Result, TrainError};
use crate::pipeline::{label_rules, score_labelled, FileEvaluation, FreshData, LabelledSet};
use leadscore_core::artifact::{ModelArtifact, DEFAULT_MAX_BYTES};
use leadscore_core::metrics::metric_text;
use leadscore_core::registry::{
    file_name_for, PromotionMetrics, PromotionRecord, Registry, CURRENT,
};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A model's metrics on its own training holdout, as the promotion log records them.
fn holdout_metrics(artifact: &ModelArtifact) -> PromotionMetrics {
    let e = &artifact.evaluation;
    PromotionMetrics {
        model_id: artifact.model_id.clone(),
        examples: e.n,
        converted: e.positives,
        roc_auc: e.roc_auc,
        pr_auc: e.pr_auc,
        log_loss: e.log_loss,
    }
}

fn fresh_metrics(e: &FileEvaluation) -> PromotionMetrics {
    PromotionMetrics {
        model_id: e.model_id.clone(),
        examples: e.evaluation.n,
        converted: e.evaluation.positives,
        roc_auc: e.evaluation.roc_auc,
        pr_auc: e.evaluation.pr_auc,
        log_loss: e.evaluation.log_loss,
    }
}

/// What adding a trained model to a registry did.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// Where the model was written (`DIR/<model_id>.json`).
    pub path: PathBuf,
    /// Its file name in the registry.
    pub file_name: String,
    /// It became `CURRENT`: the registry held no model before.
    pub became_current: bool,
    /// The champion's file name, when there is one (and the new model did not become it).
    pub champion: Option<String>,
    /// Why the pointer could not be read, when it is bad (the model is added, the pointer left
    /// alone).
    pub pointer_problem: Option<String>,
}

/// Writes `artifact` into the registry as `<model_id>.json` (atomically). The first model of
/// an empty registry becomes `CURRENT` (recorded in the promotion log); later ones do not:
/// they wait for `promote`.
pub fn add_trained(registry: &Registry, artifact: &ModelArtifact) -> Result<Added> {
    let _lock = lock(registry)?;
    let had_models = !registry.list()?.is_empty();
    let pointer = registry.champion_name();
    let path = registry.add(artifact)?;
    let file_name = file_name_for(&artifact.model_id);
    let mut added = Added {
        path,
        file_name: file_name.clone(),
        became_current: false,
        champion: None,
        pointer_problem: None,
    };
    match pointer {
        Ok(None) if !had_models => {
            registry.record_promotion(&PromotionRecord {
                time: now(),
                from: None,
                to: file_name.clone(),
                promoted: true,
                forced: false,
                reason: "the first model of an empty registry becomes CURRENT (metrics: its \
                         training holdout; there is no champion to compare with)"
                    .into(),
                data: artifact
                    .provenance
                    .inputs
                    .iter()
                    .map(|i| i.path.clone())
                    .collect(),
                max_auc_drop: 0.0,
                max_log_loss_rise: 0.0,
                champion: None,
                challenger: Some(holdout_metrics(artifact)),
            })?;
            registry.set_current(&file_name)?;
            added.became_current = true;
        }
        Ok(champion) => added.champion = champion,
        Err(e) => added.pointer_problem = Some(e.to_string()),
    }
    Ok(added)
}

/// What `promote` is asked to do.
#[derive(Debug, Clone)]
pub struct PromoteOptions {
    /// The challenger: a model id or file name in the registry, or the path of an artifact
    /// (copied into the registry when it is promoted).
    pub challenger: String,
    /// The fresh labelled data both models are evaluated on.
    pub fresh: FreshData,
    /// The challenger may have a ROC AUC at most this much below the champion's.
    pub max_auc_drop: f64,
    /// The challenger may have a log loss at most this much above the champion's.
    pub max_log_loss_rise: f64,
    /// Promote even when the challenger is worse or the champion cannot be compared.
    pub force: bool,
}

impl PromoteOptions {
    /// No margins, not forced.
    pub fn new(challenger: impl Into<String>, fresh: FreshData) -> Self {
        Self {
            challenger: challenger.into(),
            fresh,
            max_auc_drop: 0.0,
            max_log_loss_rise: 0.0,
            force: false,
        }
    }
}

/// The outcome of `promote`.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// `CURRENT` now names the challenger.
    Promoted {
        /// With `--force`: the reason it would otherwise have been refused.
        forced_over: Option<String>,
    },
    /// `CURRENT` is unchanged.
    Refused {
        /// Which metric, by how much, against which margin (or why no comparison was possible).
        reason: String,
    },
    /// The challenger already is the champion; nothing was done.
    AlreadyCurrent,
}

/// A model taking part in a promotion.
#[derive(Debug, Clone)]
pub struct Contender {
    /// Its file name in the registry (`<model_id>.json` for a model copied in).
    pub file_name: String,
    /// The artifact.
    pub artifact: ModelArtifact,
    /// Its metrics on the fresh data, when it could be evaluated.
    pub fresh: Option<FileEvaluation>,
}

/// What `promote` found and did.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// The challenger.
    pub challenger: Contender,
    /// The champion (`None`: the registry had no `CURRENT`, or it was unusable and forced over).
    pub champion: Option<Contender>,
    /// Why the champion could not be compared on the fresh data, when it could not.
    pub champion_problem: Option<String>,
    /// The file `CURRENT` named before (even one that could not be loaded).
    pub previous: Option<String>,
    /// The fresh data files.
    pub data: Vec<String>,
    /// The decision.
    pub decision: Decision,
    /// Why, in words (also in the promotion log).
    pub reason: String,
}

/// The challenger, found by model id, registry file name, or path.
fn resolve_challenger(registry: &Registry, arg: &str) -> Result<(String, ModelArtifact, bool)> {
    let plain = !arg.contains(['/', '\\']);
    if plain {
        for name in [file_name_for(arg), arg.to_string()] {
            let path = registry.dir().join(&name);
            if name != CURRENT && !name.starts_with('.') && path.is_file() {
                return Ok((name.clone(), registry.load(&name, DEFAULT_MAX_BYTES)?, true));
            }
        }
    }
    let path = Path::new(arg);
    if path.is_file() {
        let artifact = ModelArtifact::load(path)?;
        let in_folder = match (path.canonicalize(), registry.dir().canonicalize()) {
            (Ok(p), Ok(dir)) => p.parent() == Some(dir.as_path()),
            _ => false,
        };
        if in_folder {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok((name, artifact, true));
        }
        // The content hash names the file: the same model may already be in the registry. A
        // file of that name that does not load as this model (truncated, damaged) is not it:
        // it is written again. Taken as present, CURRENT was pointed at a file no server could
        // load, and promote said it was promoted.
        let name = file_name_for(&artifact.model_id);
        let present = registry.dir().join(&name).is_file()
            && registry
                .load(&name, DEFAULT_MAX_BYTES)
                .is_ok_and(|held| held.model_id == artifact.model_id);
        return Ok((name, artifact, present));
    }
    // There, but not a file a model is read from (a FIFO, a folder): said as it is.
    let candidates = [
        Some(registry.dir().join(file_name_for(arg))).filter(|_| plain),
        Some(registry.dir().join(arg)).filter(|_| plain),
        Some(path.to_path_buf()),
    ];
    for p in candidates.into_iter().flatten() {
        if let Ok(meta) = std::fs::metadata(&p) {
            if !meta.is_file() {
                let kind = if meta.is_dir() {
                    "a folder"
                } else {
                    "not a regular file (a FIFO, a socket or a device)"
                };
                return Err(TrainError::Config(format!(
                    "the challenger {} is {kind}: give a model file",
                    p.display()
                )));
            }
        }
    }
    let held: Vec<String> = registry.list()?.into_iter().map(|(n, _)| n).collect();
    Err(TrainError::Config(format!(
        "no model `{arg}` in the registry {} (it holds {}) and no file of that name",
        registry.dir().display(),
        if held.is_empty() {
            "no models".to_string()
        } else {
            held.join(", ")
        }
    )))
}

/// A metric difference, readable at any size (`0.0123`, `3.2e-5`).
/// [`delta`] of `new - old`, empty when either is undefined (data of one class).
fn metric_delta(new: Option<f64>, old: Option<f64>) -> String {
    new.zip(old).map_or_else(String::new, |(n, o)| delta(n - o))
}

fn delta(x: f64) -> String {
    if x == 0.0 || x.abs() >= 1e-3 {
        format!("{x:+.4}")
    } else {
        format!("{x:+.1e}")
    }
}

/// A difference compared with a margin in a refusal, with digits enough to tell the two apart
/// (`0.00067` allowed, a rise printed `6.7e-4` read as equal: `6.730e-4`).
fn beyond(x: f64) -> String {
    if x.abs() >= 1e-3 {
        format!("{x:.6}")
    } else {
        format!("{x:.3e}")
    }
}

/// A margin as given (`0`, `0.005`).
fn margin(x: f64) -> String {
    format!("{x}")
}

/// Compares the challenger with the champion on the same examples: the reasons it is worse
/// beyond the margins (empty: not worse).
fn worse_by(
    champion: &FileEvaluation,
    challenger: &FileEvaluation,
    options: &PromoteOptions,
) -> Vec<String> {
    let (c, n) = (&champion.evaluation, &challenger.evaluation);
    let mut reasons = Vec::new();
    // Both have both classes (`require_both_classes`), so both have a ROC AUC.
    if let (Some(c_auc), Some(n_auc)) = (c.roc_auc, n.roc_auc) {
        let auc_drop = c_auc - n_auc;
        if auc_drop > options.max_auc_drop {
            reasons.push(format!(
                "its ROC AUC {:.4} is {} below the champion's {:.4} (at most {} allowed by \
             --max-auc-drop)",
                n_auc,
                beyond(auc_drop),
                c_auc,
                margin(options.max_auc_drop)
            ));
        }
    }
    let loss_rise = n.log_loss - c.log_loss;
    if loss_rise > options.max_log_loss_rise {
        reasons.push(format!(
            "its log loss {:.4} is {} above the champion's {:.4} (at most {} allowed by \
             --max-log-loss-rise)",
            n.log_loss,
            beyond(loss_rise),
            c.log_loss,
            margin(options.max_log_loss_rise)
        ));
    }
    reasons
}

/// Evaluates a model on the fresh data by its own label rules, reusing `shared` (the
/// challenger's examples) when the rules are the same; says where the examples differ.
fn evaluate_contender(
    artifact: &ModelArtifact,
    fresh: &FreshData,
    shared: &(crate::pipeline::LabelRules, LabelledSet),
) -> std::result::Result<FileEvaluation, String> {
    let rules = label_rules(artifact, fresh).map_err(|e| e.to_string())?;
    if rules == shared.0 {
        return score_labelled(artifact, &shared.1).map_err(|e| e.to_string());
    }
    let own = LabelledSet::load(&rules, fresh).map_err(|e| e.to_string())?;
    own.require_both_classes().map_err(|e| e.to_string())?;
    if let Some(diff) = shared.1.difference(&own) {
        return Err(format!(
            "it builds its examples from the fresh data with other rules than the challenger \
             (label, horizon or as_of settings), and {diff}: the two cannot be compared on \
             the same holdout"
        ));
    }
    score_labelled(artifact, &own).map_err(|e| e.to_string())
}

/// [`Registry::lock`], saying on stderr when it waits.
fn lock(registry: &Registry) -> Result<std::fs::File> {
    registry
        .lock(|lock| {
            leadscore_core::stderr_line!(
                "waiting for another promote or train --registry on {} to finish (it holds {})",
                registry.dir().display(),
                lock.display()
            )
        })
        .map_err(TrainError::Core)
}

/// Logs a refusal before the comparison (`from` the champion `to` the challenger, not
/// promoted, no metrics) and gives back `error`, saying beside it when the log could not take
/// the refusal.
fn log_refusal(
    registry: &Registry,
    options: &PromoteOptions,
    (from, to): (Option<String>, String),
    reason: &str,
    error: TrainError,
) -> TrainError {
    let logged = registry.record_promotion(&PromotionRecord {
        time: now(),
        from,
        to,
        promoted: false,
        forced: false,
        reason: reason.to_string(),
        data: options.fresh.files(),
        max_auc_drop: options.max_auc_drop,
        max_log_loss_rise: options.max_log_loss_rise,
        champion: None,
        challenger: None,
    });
    match logged {
        Ok(()) => error,
        Err(e) => TrainError::Config(format!(
            "{error} (the refusal is not in {}: {e})",
            leadscore_core::registry::PROMOTIONS
        )),
    }
}

/// Decides whether the challenger replaces the champion, and moves `CURRENT` if so.
///
/// Both models are evaluated on the same fresh labelled examples. The challenger is promoted
/// when its ROC AUC is at most `max_auc_drop` below the champion's and its log loss at most
/// `max_log_loss_rise` above; with `force`, also when it is worse or the champion cannot be
/// compared (a bad pointer, a champion that cannot score the data). A challenger that cannot
/// score the fresh data is an error, forced or not. Every decision is appended to
/// `promotions.jsonl` before the pointer moves.
pub fn promote(registry: &Registry, options: &PromoteOptions) -> Result<Promotion> {
    for (flag, v) in [
        ("--max-auc-drop", options.max_auc_drop),
        ("--max-log-loss-rise", options.max_log_loss_rise),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(TrainError::Config(format!(
                "{flag} must be a number >= 0, got {v}"
            )));
        }
    }
    let (file_name, artifact, in_registry) = match resolve_challenger(registry, &options.challenger)
    {
        Ok(resolved) => resolved,
        // A challenger that cannot be loaded (truncated, not a file) is refused before any
        // comparison: a decision too, logged as the others are.
        Err(e) => {
            // A lock that cannot be taken leaves the refusal out of the log: said beside the
            // refusal, which stays the error.
            let _lock = match lock(registry) {
                Ok(l) => l,
                Err(le) => {
                    return Err(TrainError::Config(format!(
                        "{e} (the refusal is not in {}: {le})",
                        leadscore_core::registry::PROMOTIONS
                    )))
                }
            };
            let reason = format!("the challenger cannot be loaded: {e}");
            let from = registry.champion_name().ok().flatten();
            return Err(log_refusal(
                registry,
                options,
                (from, options.challenger.clone()),
                &reason,
                e,
            ));
        }
    };
    let _lock = lock(registry)?;

    // The champion: what CURRENT names. A bad pointer or champion blocks promotion unless forced.
    let mut pointer_problem = None;
    let pointer = registry.champion_name();
    let previous = pointer.as_ref().ok().cloned().flatten();
    let champion = match pointer {
        // No CURRENT: a new registry, or a pointer deleted. The log says which: a champion it
        // records is still the one to beat (deleting CURRENT must not let any model in).
        Ok(None) => {
            match registry.promotions() {
                Ok(log) => {
                    if let Some(last) = log.iter().rev().find(|r| r.promoted) {
                        pointer_problem = Some(format!(
                            "CURRENT is missing, but {} records {} as the champion (promoted \
                             {}): restore CURRENT (a file holding `{}`)",
                            leadscore_core::registry::PROMOTIONS,
                            last.to,
                            last.time,
                            last.to
                        ));
                    }
                }
                Err(e) => {
                    pointer_problem = Some(format!(
                        "CURRENT is missing and the promotion log cannot be read to tell \
                         whether there was a champion: {e}"
                    ));
                }
            }
            None
        }
        Ok(Some(name)) => match registry.load(&name, DEFAULT_MAX_BYTES) {
            Ok(a) => Some((name, a)),
            Err(e) => {
                pointer_problem = Some(format!(
                    "the champion {name} that CURRENT names cannot be loaded: {e}"
                ));
                None
            }
        },
        Err(e) => {
            pointer_problem = Some(format!("the registry pointer is unusable: {e}"));
            None
        }
    };
    let data = options.fresh.files();
    // A refusal before the comparison is a decision too: logged, then the error.
    let refuse = |reason: String| -> TrainError {
        let from_to = (previous.clone(), file_name.clone());
        log_refusal(
            registry,
            options,
            from_to,
            &reason,
            TrainError::Config(reason.clone()),
        )
    };
    if let Some(problem) = &pointer_problem {
        if !options.force {
            return Err(refuse(format!(
                "{problem}; repair it, or pass --force to point CURRENT at the challenger"
            )));
        }
    }
    if let Some((name, champ)) = &champion {
        if *name == file_name || champ.model_id == artifact.model_id {
            return Ok(Promotion {
                challenger: Contender {
                    file_name,
                    artifact,
                    fresh: None,
                },
                champion: Some(Contender {
                    file_name: name.clone(),
                    artifact: champ.clone(),
                    fresh: None,
                }),
                champion_problem: None,
                previous,
                data,
                decision: Decision::AlreadyCurrent,
                reason: format!("{name} already is CURRENT"),
            });
        }
    }

    // The challenger must score the fresh data, forced or not.
    let challenger_context = |e: TrainError| {
        refuse(format!(
            "the challenger {} cannot be evaluated on the fresh data: {e}",
            artifact.model_id
        ))
    };
    let rules = label_rules(&artifact, &options.fresh).map_err(challenger_context)?;
    let set = LabelledSet::load(&rules, &options.fresh).map_err(challenger_context)?;
    set.require_both_classes().map_err(|e| {
        refuse(format!(
            "model {} cannot be compared with the champion on the fresh data: {e} (`evaluate` \
             shows what each model's cutoffs delivered there)",
            artifact.model_id
        ))
    })?;
    // Fresh means neither model saw it: a challenger scored on its own training files looks
    // better than it is (one trained on the "fresh" tables was promoted at +0.014 ROC AUC and
    // was worse than the champion on data neither saw), a champion on its own favours it.
    let fresh_files: Vec<&leadscore_core::artifact::InputFingerprint> =
        std::iter::once(&set.table.fingerprint)
            .chain(set.events.as_ref().and_then(|e| e.fingerprint.as_ref()))
            .collect();
    let trained_on = |a: &ModelArtifact| {
        fresh_files
            .iter()
            .find(|f| a.provenance.inputs.iter().any(|i| i.sha256 == f.sha256))
            .map(|f| f.path.clone())
    };
    let seen = trained_on(&artifact)
        .map(|path| ("challenger", artifact.model_id.clone(), path))
        .or_else(|| {
            champion
                .as_ref()
                .and_then(|(_, c)| trained_on(c).map(|path| ("champion", c.model_id.clone(), path)))
        });
    if let Some((which, id, path)) = seen {
        return Err(refuse(format!(
            "the fresh data {path} is a file the {which} {id} was trained on (the same SHA-256): \
             its metrics there are not fresh; compare the models on data neither saw"
        )));
    }
    let challenger_eval = score_labelled(&artifact, &set).map_err(challenger_context)?;
    let shared = (rules, set);

    let mut champion_problem = pointer_problem;
    let champion = champion.map(|(name, champ)| {
        let fresh = match evaluate_contender(&champ, &options.fresh, &shared) {
            Ok(e) => Some(e),
            Err(e) => {
                champion_problem = Some(format!(
                    "the champion {} cannot be compared on the fresh data: {e}",
                    champ.model_id
                ));
                None
            }
        };
        Contender {
            file_name: name,
            artifact: champ,
            fresh,
        }
    });

    let mut blockers = Vec::new();
    if let Some(problem) = &champion_problem {
        blockers.push(problem.clone());
    }
    if let Some(champ_eval) = champion.as_ref().and_then(|c| c.fresh.as_ref()) {
        blockers.extend(worse_by(champ_eval, &challenger_eval, options));
    }
    let (decision, reason) = match (blockers.is_empty(), options.force) {
        (true, _) => {
            let reason = match champion.as_ref().and_then(|c| c.fresh.as_ref()) {
                Some(c) => format!(
                    "not worse than the champion on the same fresh data: ROC AUC {} (a drop of \
                     at most {} allowed), log loss {} (a rise of at most {} allowed)",
                    metric_delta(challenger_eval.evaluation.roc_auc, c.evaluation.roc_auc),
                    margin(options.max_auc_drop),
                    delta(challenger_eval.evaluation.log_loss - c.evaluation.log_loss),
                    margin(options.max_log_loss_rise)
                ),
                None => "there is no champion: the challenger becomes CURRENT".to_string(),
            };
            (Decision::Promoted { forced_over: None }, reason)
        }
        (false, true) => {
            let why = blockers.join("; ");
            (
                Decision::Promoted {
                    forced_over: Some(why.clone()),
                },
                format!("forced with --force, although {why}"),
            )
        }
        (false, false) => {
            let why = blockers.join("; ");
            (
                Decision::Refused {
                    reason: why.clone(),
                },
                why,
            )
        }
    };

    let promoted = matches!(decision, Decision::Promoted { .. });
    if promoted && !in_registry {
        // The model file first: CURRENT must never name a file that is not there.
        registry.add(&artifact)?;
    }
    registry.record_promotion(&PromotionRecord {
        time: now(),
        from: previous.clone(),
        to: file_name.clone(),
        promoted,
        forced: matches!(
            decision,
            Decision::Promoted {
                forced_over: Some(_)
            }
        ),
        reason: reason.clone(),
        data: data.clone(),
        max_auc_drop: options.max_auc_drop,
        max_log_loss_rise: options.max_log_loss_rise,
        champion: champion
            .as_ref()
            .and_then(|c| c.fresh.as_ref())
            .map(fresh_metrics),
        challenger: Some(fresh_metrics(&challenger_eval)),
    })?;
    if promoted {
        registry.set_current(&file_name)?;
    }
    Ok(Promotion {
        challenger: Contender {
            file_name,
            artifact,
            fresh: Some(challenger_eval),
        },
        champion,
        champion_problem,
        previous,
        data,
        decision,
        reason,
    })
}

/// How fresh data became labelled examples, for `evaluate` and `promote`: the files, and for
/// point-in-time rules the counts (with events and outcomes of lead ids the leads file does not
/// hold, the sign of tables from different exports).
pub fn fresh_data_text(e: &FileEvaluation) -> String {
    let files: Vec<&str> = std::iter::once(&e.data)
        .chain(&e.events)
        .chain(&e.outcomes)
        .map(String::as_str)
        .collect();
    let mut out = format!("fresh data: {}\n", files.join(" + "));
    for w in &e.warnings {
        let _ = writeln!(out, "  WARNING: {w}");
    }
    if let Some(t) = &e.point_in_time {
        let _ = writeln!(
            out,
            "  point in time: as of {}, converted within {} days after; data ends {}\n  leads {}: \
             labelled {}{} ({} converted), censored (horizon not over) {}, converted before as_of {}",
            t.as_of_rule,
            t.horizon_days,
            t.end_of_data,
            t.leads,
            t.used,
            // With several landmarks the counts are of examples (a lead at one landmark).
            if t.landmarks.is_empty() {
                ""
            } else {
                " examples"
            },
            t.positives,
            t.censored,
            t.converted_before_as_of
        );
        if t.events_unknown_lead > 0 || t.outcomes_unknown_lead > 0 {
            let _ = writeln!(
                out,
                "  WARNING: {} events and {} outcomes name lead ids that are not in {} (tables \
                 from different exports?)",
                t.events_unknown_lead, t.outcomes_unknown_lead, e.data
            );
        }
    }
    out
}

/// The side-by-side table `promote` prints: both models on the fresh data.
pub fn comparison_text(p: &Promotion) -> String {
    let mut out = match &p.challenger.fresh {
        Some(e) => fresh_data_text(e),
        None => format!("fresh data: {}\n", p.data.join(" + ")),
    };
    let champion = p.champion.as_ref();
    let ce = champion.and_then(|c| c.fresh.as_ref());
    let ne = p.challenger.fresh.as_ref();
    let cell = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "  {:<10}  {:<20}  {:<20}  difference",
        "", "champion (CURRENT)", "challenger"
    );
    let _ = writeln!(
        out,
        "  {:<10}  {:<20}  {:<20}",
        "model",
        cell(champion.map(|c| c.artifact.model_id.clone())),
        p.challenger.artifact.model_id
    );
    let _ = writeln!(
        out,
        "  {:<10}  {:<20}  {:<20}",
        "created",
        cell(champion.map(|c| c.artifact.created_at.clone())),
        p.challenger.artifact.created_at
    );
    type Metric = fn(&FileEvaluation) -> Option<f64>;
    let metrics: [(&str, Metric); 3] = [
        ("ROC AUC", |e| e.evaluation.roc_auc),
        ("log loss", |e| Some(e.evaluation.log_loss)),
        ("PR AUC", |e| e.evaluation.pr_auc),
    ];
    for (name, f) in metrics {
        let diff = match (ce, ne) {
            (Some(c), Some(n)) => metric_delta(f(n), f(c)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<10}  {:<20}  {:<20}  {diff}",
            name,
            cell(ce.map(|e| metric_text(f(e), 4))),
            cell(ne.map(|e| metric_text(f(e), 4)))
        );
    }
    for (name, f) in [
        (
            p.challenger.artifact.provenance.unit(),
            (|e: &FileEvaluation| e.evaluation.n) as fn(&FileEvaluation) -> u64,
        ),
        ("converted", |e| e.evaluation.positives),
    ] {
        let _ = writeln!(
            out,
            "  {:<10}  {:<20}  {:<20}",
            name,
            cell(ce.map(|e| f(e).to_string())),
            cell(ne.map(|e| f(e).to_string()))
        );
    }
    if champion.is_none() {
        out.push_str("  (no champion: the registry has no CURRENT model)\n");
    }
    out.lines()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect()
}

/// One model of a registry, as `models` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelRow {
    /// File name in the registry.
    pub file: String,
    /// Whether `CURRENT` names it.
    pub current: bool,
    /// The model id (`None` when the file cannot be loaded).
    pub model_id: Option<String>,
    /// Creation time, RFC 3339.
    pub created_at: Option<String>,
    /// Leads in its training split.
    pub train_rows: Option<u64>,
    /// Leads in its training holdout.
    pub holdout_rows: Option<u64>,
    /// ROC AUC on its own training holdout.
    pub holdout_roc_auc: Option<f64>,
    /// Log loss on its own training holdout.
    pub holdout_log_loss: Option<f64>,
    /// How the holdout was drawn.
    pub split: Option<String>,
    /// Why the file cannot be loaded, when it cannot.
    pub error: Option<String>,
}

/// What `models` prints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listing {
    /// The registry folder.
    pub registry: String,
    /// The file `CURRENT` names (`None`: no pointer, or a bad one: see `warnings`).
    pub current: Option<String>,
    /// The models, oldest first (files that cannot be loaded last).
    pub models: Vec<ModelRow>,
    /// Problems worth a look: a bad pointer, unreadable files, a log that disagrees with it.
    pub warnings: Vec<String>,
}

/// Lists the models of a registry with their metrics and which is `CURRENT`.
pub fn list_models(registry: &Registry) -> Result<Listing> {
    let mut warnings = Vec::new();
    let current = match registry.champion_name() {
        Ok(c) => c,
        Err(e) => {
            warnings.push(format!("CURRENT is unusable: {e}"));
            None
        }
    };
    let mut models: Vec<ModelRow> = registry
        .list()?
        .into_iter()
        .map(
            |(file, is_current)| match registry.load(&file, DEFAULT_MAX_BYTES) {
                Ok(a) => ModelRow {
                    file,
                    current: is_current,
                    model_id: Some(a.model_id.clone()),
                    created_at: Some(a.created_at.clone()),
                    train_rows: Some(a.provenance.train_rows),
                    holdout_rows: Some(a.provenance.holdout_rows),
                    holdout_roc_auc: a.evaluation.roc_auc,
                    holdout_log_loss: Some(a.evaluation.log_loss),
                    split: Some(a.provenance.split.clone()),
                    error: None,
                },
                Err(e) => {
                    warnings.push(format!("{file} cannot be loaded: {e}"));
                    ModelRow {
                        file,
                        current: is_current,
                        model_id: None,
                        created_at: None,
                        train_rows: None,
                        holdout_rows: None,
                        holdout_roc_auc: None,
                        holdout_log_loss: None,
                        split: None,
                        error: Some(e.to_string()),
                    }
                }
            },
        )
        .collect();
    models.sort_by(|a, b| {
        (a.created_at.is_none(), &a.created_at, &a.file).cmp(&(
            b.created_at.is_none(),
            &b.created_at,
            &b.file,
        ))
    });
    for name in registry.not_model_files()? {
        warnings.push(format!(
            "{name} is not a regular file (a symbolic link, a folder or a special file): \
             not listed, and never loaded as a model"
        ));
    }
    if let Some(name) = &current {
        if !models.iter().any(|m| &m.file == name) {
            warnings.push(format!(
                "CURRENT names {name}, which is not a model file in the registry"
            ));
        }
    }
    match registry.log_disagreement() {
        Ok(Some(w)) => warnings.push(w),
        Ok(None) => {}
        Err(e) => warnings.push(format!("the promotion log cannot be read: {e}")),
    }
    Ok(Listing {
        registry: registry.dir().display().to_string(),
        current,
        models,
        warnings,
    })
}

/// The table `models` prints.
pub fn listing_text(l: &Listing) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "registry {}: {} model{}, CURRENT {}",
        l.registry,
        l.models.len(),
        if l.models.len() == 1 { "" } else { "s" },
        l.current.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        out,
        "     {:<16}  {:<20}  {:>14}  {:>13}  {:>8}  file",
        "model", "created", "train examples", "holdout AUC", "log loss"
    );
    for m in &l.models {
        let marker = if m.current { "  * " } else { "    " };
        match &m.model_id {
            Some(id) => {
                let file = if *id == m.file.trim_end_matches(".json") {
                    String::new()
                } else {
                    m.file.clone()
                };
                let line = format!(
                    "{marker} {:<16}  {:<20}  {:>14}  {:>13.4}  {:>8.4}  {file}",
                    id,
                    m.created_at.as_deref().unwrap_or_default(),
                    m.train_rows.unwrap_or_default(),
                    m.holdout_roc_auc.unwrap_or(f64::NAN),
                    m.holdout_log_loss.unwrap_or(f64::NAN),
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
            None => {
                let _ = writeln!(out, "{marker} {:<16}  (cannot be loaded)  {}", "?", m.file);
            }
        }
    }
    if !l.models.is_empty() {
        out.push_str(
            "  (the model marked * is CURRENT; holdout metrics are each model's own training \
             holdout: compare two models on the same fresh data with `evaluate` or `promote`)\n",
        );
    }
    out
}
