//! `leadscore-train monitor`: how the MQL cutoff did on the leads whose outcome is now known,
//! against what the model promised.
//!
//! Reads the server's decision log (`decisions.jsonl` and its rotated `decisions.<n>.jsonl`, or
//! one file) and an outcomes table (lead id, optionally `converted` and `converted_at`, as in
//! training; a lead missing from it did not convert). Per lead, one decision counts: the first
//! that made it an MQL (the handoff to sales, as the cutoff's promise is stated), else its first
//! decision (a lead never handed over). Its outcome is known once the horizon after the
//! decision's `as_of` has passed: positive when it converted within the horizon, negative
//! otherwise. Until then it is pending, even if it has already converted (counting a cohort's
//! early conversions before its other leads are known would overstate precision). Leads that
//! converted before `as_of` are left out, as in training. For each cutoff in the log, the realized precision of the MQLs (with its
//! one-sided Wilson lower bound), recall and MQL rate are set beside the model's holdout
//! operating point at that cutoff.

use crate::featurize::{column_date_order, level_values};
use crate::load::{read_table_rows, ReadOptions};
use crate::table::monitor_labels;
use anyhow::{bail, Context, Result};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::curve::{wilson_lower_bound, OperatingPoint};
use leadscore_core::spec::{OutcomeSpec, TimeSpec};
use leadscore_core::value::{number_to_level, parse_timestamp, DateOrder, SECONDS_PER_DAY};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// What to monitor.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// The model artifact (its id selects the decisions; its curve holds the promises).
    pub model: PathBuf,
    /// A decision log file, or the folder of `decisions*.jsonl`.
    pub log: PathBuf,
    /// The outcomes table (CSV or Parquet).
    pub outcomes: PathBuf,
    /// The outcomes' `converted` values that mean converted; empty: the model's.
    pub positive: Vec<String>,
    /// Days after `as_of` a conversion counts; default: the model's training horizon.
    pub horizon_days: Option<f64>,
    /// "Now" for deciding whether the horizon has passed, Unix seconds; default: the clock.
    pub now: Option<i64>,
    /// Include the decisions of every model (promises only for `model`'s).
    pub all_models: bool,
    /// Confidence of the precision lower bounds.
    pub confidence: f64,
    /// The server's `--gates` file, when it replaced the model's gates: the promises are then
    /// read on the curve the server computed with them.
    pub gates: Option<PathBuf>,
}

/// One decision read from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The lead id (`None` when the request carried none).
    pub lead_id: Option<String>,
    /// The model that scored it.
    pub model_id: String,
    /// The request's "now", Unix seconds.
    pub as_of: i64,
    /// The score.
    pub score: f64,
    /// The cutoff in force.
    pub cutoff: f64,
    /// Whether the lead was an MQL.
    pub mql: bool,
}

#[derive(serde::Deserialize)]
struct RawDecision {
    /// Kept as JSON text: a numeric id is compared digit for digit (as a number it would pass
    /// through f64 and lose digits past 2^53).
    lead_id: Option<Box<serde_json::value::RawValue>>,
    model_id: String,
    as_of: String,
    score: f64,
    cutoff: f64,
    mql: bool,
}

/// The log files under `path`, oldest first: `decisions.1.jsonl`, `decisions.2.jsonl`, ...,
/// then `decisions.jsonl`; or `path` itself when it is a file.
pub fn log_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the decision log {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(path)
        .with_context(|| format!("cannot list the decision log folder {}", path.display()))?
    {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let order = if name == "decisions.jsonl" {
            Some(u64::MAX)
        } else {
            leadscore_core::files::decision_log_rotation(&name)
        };
        if let Some(order) = order {
            files.push((order, entry.path()));
        }
    }
    if files.is_empty() {
        bail!(
            "{} holds no decision log (decisions.jsonl or decisions.<n>.jsonl)",
            path.display()
        );
    }
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Reads every decision in `files`, in order; a bad line is an error naming file and line.
pub fn read_decisions(files: &[PathBuf]) -> Result<Vec<Decision>> {
    let mut out = Vec::new();
    for file in files {
        let f = crate::load::open_input(file)
            .with_context(|| format!("cannot open the decision log {}", file.display()))?;
        let mut reader = BufReader::new(f);
        let mut bytes = Vec::new();
        for i in 0.. {
            let at = || format!("{}:{}", file.display(), i + 1);
            bytes.clear();
            let n = reader
                .read_until(b'\n', &mut bytes)
                .with_context(|| format!("{}: cannot read", at()))?;
            if n == 0 {
                break;
            }
            // The last line without its line end: a log still being written, or cut by a crash
            // (the server cuts such a line when it starts again), possibly inside a character.
            // Left out, said so, when it is cut short; a bad line anywhere else, or a whole one
            // that is not a decision, is an error.
            let unterminated = bytes.last() != Some(&b'\n');
            // NUL bytes in the last line: what a crash can leave at the end of a file being
            // appended to (the size grew, the data never reached the disk), from a page
            // boundary, usually inside a line.
            if unterminated && bytes.contains(&0) {
                leadscore_core::stderr_line!(
                    "WARNING: {}: the last line has NUL bytes and no line end (a crash while \
                     the file was written): left out",
                    at()
                );
                break;
            }
            let cut = |why: &str| {
                leadscore_core::stderr_line!(
                    "WARNING: {}: the last line has no line end and {why} (a log being \
                     written, or cut by a crash): left out",
                    at()
                );
            };
            let line = match std::str::from_utf8(&bytes) {
                Ok(line) => line,
                Err(e) if unterminated && e.error_len().is_none() => {
                    cut("ends inside a character");
                    break;
                }
                Err(_) => anyhow::bail!("{}: not UTF-8 text", at()),
            };
            if line.trim().is_empty() {
                continue;
            }
            let raw: RawDecision = match serde_json::from_str(line) {
                Ok(raw) => raw,
                Err(e) if unterminated && e.is_eof() => {
                    cut("is not a whole decision");
                    break;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e))
                        .with_context(|| format!("{}: not a decision log line", at()));
                }
            };
            let as_of = parse_timestamp(&raw.as_of)
                .with_context(|| format!("{}: as_of {:?} is not a time", at(), raw.as_of))?;
            let lead_id = match raw.lead_id.as_deref().map(|r| r.get().trim()) {
                None | Some("null") => None,
                Some(text) => Some(lead_id_text(text).with_context(|| {
                    format!("{}: lead_id {text} is not a string or number", at())
                })?),
            };
            out.push(Decision {
                lead_id,
                model_id: raw.model_id,
                as_of,
                score: raw.score,
                cutoff: raw.cutoff,
                mql: raw.mql,
            });
        }
    }
    Ok(out)
}

/// A lead id as the join compares it ([`join_key`]): a JSON string's content, a number's
/// digits as written (a number with an exponent, `1e3`, as its value), `true`/`false`.
fn lead_id_text(json: &str) -> Result<String> {
    match serde_json::from_str::<serde_json::Value>(json)? {
        serde_json::Value::String(s) => Ok(join_key(s)),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        serde_json::Value::Number(_) if !json.bytes().any(|b| matches!(b, b'e' | b'E')) => {
            Ok(join_key(json.to_string()))
        }
        serde_json::Value::Number(n) => {
            Ok(n.as_f64().map_or_else(|| n.to_string(), number_to_level))
        }
        _ => bail!("not a string or number"),
    }
}

/// Of two conversion times of one lead, the one that counts: the earliest known, whatever the
/// rows' order (an unknown time only when neither is known), as training reads the same table.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// An id as the join compares it, on both sides (the log and the outcomes):
/// [`crate::assemble::id_key`], owned.
pub fn join_key(id: String) -> String {
    match crate::assemble::id_key(&id) {
        k if k.len() == id.len() => id,
        k => k.to_string(),
    }
}

/// Per lead id: `Some(converted_at)` when it converted (`None` inside when the time is
/// unknown; the earliest conversion counts). Leads absent did not convert. Conversion times
/// with the year last are read in the order their values decide, else in `date_order`.
pub fn read_outcomes(
    path: &Path,
    spec: &OutcomeSpec,
    positive: &[String],
    date_order: DateOrder,
) -> Result<HashMap<String, Option<i64>>> {
    let missing = leadscore_core::value::default_missing_tokens();
    // The id column as text: the decision log holds ids as the client sent them, so `00123` or
    // a 20-digit id must reach the join unchanged.
    let read = ReadOptions {
        text_columns: vec![spec.lead_id.clone()],
        ..ReadOptions::default()
    };
    // A header without rows is a period without conversions (a closed-deals export of a
    // quiet month): every lead counts as not converted, as when it is missing from the file.
    let mut table = read_table_rows(path, &read, true)?;
    crate::load::warn_of(&table);
    crate::load::names_in_any_case(
        &mut table,
        &[&spec.lead_id, &spec.converted, &spec.converted_at],
    )?;
    let ids = level_values(&table, &spec.lead_id, &missing)?;
    let has = |c: &str| table.df.column(c).is_ok();
    let converted = if has(&spec.converted) {
        monitor_labels(&table, &spec.converted, positive)?
    } else {
        vec![true; ids.len()] // a closed-deals export lists converted leads only
    };
    let at = if has(&spec.converted_at) {
        let order = column_date_order(&table, &spec.converted_at, &missing, date_order)?;
        crate::featurize::timestamp_values(&table, &spec.converted_at, &missing, order)?
    } else {
        vec![None; ids.len()]
    };
    let mut out: HashMap<String, Option<i64>> = HashMap::new();
    for (row, id) in ids.into_iter().enumerate() {
        let Some(id) = id else {
            bail!(
                "{}: row {}: the lead id ({}) is missing",
                path.display(),
                row + 1,
                spec.lead_id
            );
        };
        if !converted[row] {
            continue;
        }
        let entry = out
            .entry(crate::assemble::id_key(&id).to_string())
            .or_insert(at[row]);
        *entry = earliest(*entry, at[row]);
    }
    Ok(out)
}

/// Holdout numbers at a cutoff, as promised by the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Promise {
    /// Holdout precision.
    pub precision: f64,
    /// Its lower bound.
    pub precision_lower_bound: f64,
    /// Holdout recall.
    pub recall: f64,
    /// Holdout MQL rate.
    pub mql_rate: f64,
}

impl From<&OperatingPoint> for Promise {
    fn from(op: &OperatingPoint) -> Self {
        Self {
            precision: op.precision,
            precision_lower_bound: op.precision_lower_bound,
            recall: op.recall,
            mql_rate: op.mql_rate,
        }
    }
}

/// Realized numbers for one model and cutoff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutoffRow {
    /// The model.
    pub model_id: String,
    /// The cutoff in force.
    pub cutoff: f64,
    /// Leads decided at this cutoff (first decision per lead).
    pub leads: u64,
    /// Of them, leads whose outcome is known.
    pub known: u64,
    /// Leads whose horizon has not passed and that have not converted yet.
    pub pending: u64,
    /// Leads that had converted before the decision (left out).
    pub converted_before: u64,
    /// Known MQLs that converted.
    pub tp: u64,
    /// Known MQLs that did not.
    pub fp: u64,
    /// Known non-MQLs that converted (`fn` in JSON).
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// tp / (tp + fp), when there are known MQLs.
    pub precision: Option<f64>,
    /// One-sided Wilson lower bound of the precision.
    pub precision_lower_bound: Option<f64>,
    /// tp / (tp + fn), when some known lead converted.
    pub recall: Option<f64>,
    /// Known MQLs / known leads.
    pub mql_rate: Option<f64>,
    /// The model's holdout numbers at this cutoff (only for the monitored model).
    pub promised: Option<Promise>,
    /// The realized precision is below the promised lower bound beyond chance: its one-sided
    /// upper bound (at the same confidence) is below it.
    pub below_promise: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorReport {
    /// The monitored model.
    pub model_id: String,
    /// The log files read.
    pub files: Vec<String>,
    /// Decision lines read.
    pub decisions: u64,
    /// Lines of other models (skipped without `--all-models`).
    pub other_models: u64,
    /// Lines without a lead id (cannot be joined).
    pub without_lead_id: u64,
    /// Later decisions of a lead already counted.
    pub repeats: u64,
    /// Leads the outcomes file lists as converted.
    pub converted_leads: u64,
    /// Of them, leads with a decision counted here (the others were not scored, or their ids
    /// are spelled otherwise in the log: none at all usually means the latter).
    pub converted_joined: u64,
    /// Of them, leads without a conversion time (no `converted_at`): each counts as converted
    /// within the horizon of its decision, and never as converted before it.
    pub converted_untimed: u64,
    /// The horizon, in days.
    pub horizon_days: f64,
    /// "Now", RFC 3339.
    pub now: String,
    /// Confidence of the bounds.
    pub confidence: f64,
    /// Per model and cutoff.
    pub cutoffs: Vec<CutoffRow>,
}

/// Runs the monitor.
pub fn monitor(o: &MonitorOptions) -> Result<MonitorReport> {
    // As the server's: below 0.5 a "lower bound" lies above the precision.
    if !(o.confidence >= 0.5 && o.confidence < 1.0) {
        bail!(
            "--confidence {} must be at least 0.5 and below 1 (0.95: a 95% lower bound)",
            o.confidence
        );
    }
    let artifact = ModelArtifact::load(&o.model)?;
    let horizon_days = o.horizon_days.unwrap_or_else(|| {
        artifact
            .assembly
            .as_ref()
            .map_or_else(|| TimeSpec::default().horizon_days, |a| a.time.horizon_days)
    });
    if !(horizon_days.is_finite() && horizon_days > 0.0) {
        bail!("--horizon-days {horizon_days} must be a positive number of days");
    }
    let horizon = (horizon_days * SECONDS_PER_DAY).round() as i64;
    if horizon < 1 {
        bail!("--horizon-days {horizon_days} is less than a second");
    }
    // The curve the promises are read on: the server's, with its `--gates` if it had them.
    let curve = match &o.gates {
        None => artifact.curve.clone(),
        Some(path) => {
            let gates = leadscore_core::gates::read_gates_file(path, "--gates")
                .map_err(anyhow::Error::msg)?;
            leadscore_core::gates::curve_with_gates(&artifact, &gates)
                .map_err(|e| anyhow::anyhow!("--gates {}: {e}", path.display()))?
        }
    };
    let now = o.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let spec = artifact
        .assembly
        .as_ref()
        .and_then(|a| a.outcomes.clone())
        .unwrap_or_default();
    let files = log_files(&o.log)?;
    let decisions = read_decisions(&files)?;
    // Keyed by `id_key`, as the log's ids are (two ids that differ only in trailing zeros are
    // one lead: the earliest known conversion counts).
    let positive = if o.positive.is_empty() {
        &artifact.provenance.positive_values
    } else {
        &o.positive
    };
    let outcomes = read_outcomes(&o.outcomes, &spec, positive, artifact.spec.date_order)?;

    let mut report = MonitorReport {
        model_id: artifact.model_id.clone(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
        decisions: decisions.len() as u64,
        other_models: 0,
        without_lead_id: 0,
        repeats: 0,
        converted_leads: outcomes.len() as u64,
        converted_untimed: outcomes.values().filter(|t| t.is_none()).count() as u64,
        converted_joined: 0,
        horizon_days,
        now: chrono::DateTime::from_timestamp(now, 0)
            .map_or_else(|| now.to_string(), |t| t.to_rfc3339()),
        confidence: o.confidence,
        cutoffs: Vec::new(),
    };
    // Per lead, the decision that counts: of those made before it converted, its first MQL
    // (the handoff), else its first, by time (not by line: logs merged from several servers
    // are not in time order); a decision after its conversion only when there is no other
    // (it then counts as converted before the decision). Taking the first MQL even when it
    // came after the conversion dropped the lead's earlier decision, a miss: recall read
    // 1.000 where half the conversions were missed.
    let rank = |i: usize| {
        let d = &decisions[i];
        let converted = d.lead_id.as_deref().and_then(|id| outcomes.get(id));
        let after = matches!(converted, Some(Some(t)) if *t <= d.as_of);
        (after, !d.mql, d.as_of, i)
    };
    let mut chosen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, d) in decisions.iter().enumerate() {
        if !o.all_models && d.model_id != artifact.model_id {
            report.other_models += 1;
            continue;
        }
        let Some(id) = d.lead_id.as_deref() else {
            report.without_lead_id += 1;
            continue;
        };
        match chosen.entry((d.model_id.as_str(), id)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                report.repeats += 1;
                if rank(i) < rank(*e.get()) {
                    e.insert(i);
                }
            }
        }
    }
    let mut counted: Vec<usize> = chosen.into_values().collect();
    counted.sort_unstable();
    let joined: std::collections::HashSet<&str> = counted
        .iter()
        .filter_map(|&i| decisions[i].lead_id.as_deref())
        .filter(|id| outcomes.contains_key(*id))
        .collect();
    report.converted_joined = joined.len() as u64;
    // The cutoff's bits keep equal cutoffs together.
    let mut rows: BTreeMap<(String, u64), CutoffRow> = BTreeMap::new();
    for d in counted.into_iter().map(|i| &decisions[i]) {
        let id = d.lead_id.as_deref().unwrap_or_default();
        let row = rows
            .entry((d.model_id.clone(), d.cutoff.to_bits()))
            .or_insert_with(|| CutoffRow {
                model_id: d.model_id.clone(),
                cutoff: d.cutoff,
                leads: 0,
                known: 0,
                pending: 0,
                converted_before: 0,
                tp: 0,
                fp: 0,
                fn_: 0,
                precision: None,
                precision_lower_bound: None,
                recall: None,
                mql_rate: None,
                promised: None,
                below_promise: false,
            });
        row.leads += 1;
        let converted = match outcomes.get(id) {
            Some(Some(t)) if *t <= d.as_of => {
                row.converted_before += 1;
                continue;
            }
            // Known only once the horizon has passed, converted or not: counting the early
            // conversions of a cohort whose horizon still runs, and not its other leads, would
            // overstate precision.
            _ if d.as_of.saturating_add(horizon) > now => {
                row.pending += 1;
                continue;
            }
            Some(Some(t)) => *t <= d.as_of.saturating_add(horizon),
            // Converted at an unknown time: counted as converted.
            Some(None) => true,
            None => false,
        };
        row.known += 1;
        match (d.mql, converted) {
            (true, true) => row.tp += 1,
            (true, false) => row.fp += 1,
            (false, true) => row.fn_ += 1,
            (false, false) => {}
        }
    }
    for (_, mut row) in rows {
        let mqls = row.tp + row.fp;
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        row.precision = ratio(row.tp, mqls);
        row.precision_lower_bound =
            (mqls > 0).then(|| wilson_lower_bound(row.tp, mqls, o.confidence));
        row.recall = ratio(row.tp, row.tp + row.fn_);
        row.mql_rate = ratio(mqls, row.known);
        if row.model_id == artifact.model_id {
            let promise = Promise::from(&curve.at_threshold(row.cutoff, o.confidence));
            // Below beyond chance: the realized precision's upper bound under the promised
            // lower bound, as `funnel` judges a broken promise. Compared as it was (the
            // precision itself), a model delivering exactly its holdout precision was warned
            // about one run in two at 10 MQLs.
            let upper = 1.0 - wilson_lower_bound(row.fp, mqls, o.confidence);
            row.below_promise = mqls > 0 && upper < promise.precision_lower_bound;
            row.promised = Some(promise);
        }
        report.cutoffs.push(row);
    }
    Ok(report)
}

/// The report for people.
pub fn render_text(r: &MonitorReport) -> String {
    let mut s = String::new();
    let pct = r.confidence * 100.0;
    let _ = writeln!(
        s,
        "model {}: {} decisions in {} file(s); horizon {} days, now {}",
        r.model_id,
        r.decisions,
        r.files.len(),
        r.horizon_days,
        r.now
    );
    let _ = writeln!(
        s,
        "skipped: {} of other models, {} without a lead id, {} repeated decisions of a lead (its first MQL before converting counts, else its first)",
        r.other_models, r.without_lead_id, r.repeats
    );
    let _ = writeln!(
        s,
        "outcomes: {} converted lead{}, {} of them among the leads counted",
        r.converted_leads,
        if r.converted_leads == 1 { "" } else { "s" },
        r.converted_joined
    );
    if r.converted_untimed > 0 {
        let _ = writeln!(
            s,
            "warning: {} converted lead{} of the outcomes have no conversion time (no \
             `converted_at`): each counts as converted within the horizon of its decision, and \
             none as converted before it; give converted_at to judge the horizon",
            r.converted_untimed,
            if r.converted_untimed == 1 { "" } else { "s" }
        );
    }
    if r.cutoffs.is_empty() {
        let _ = writeln!(s, "no decisions of this model with a lead id");
    } else if r.converted_leads > 0 && r.converted_joined == 0 {
        let _ = writeln!(
            s,
            "warning: no converted lead of the outcomes has a decision here: are the ids spelled \
             as the clients sent them (case, prefixes, the outcomes' id column)?"
        );
    }
    let f = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    for row in &r.cutoffs {
        let _ = writeln!(
            s,
            "\nmodel {} at cutoff {:.4}: {} leads; outcome known for {} ({} pending, {} converted before the decision, left out)",
            row.model_id, row.cutoff, row.leads, row.known, row.pending, row.converted_before
        );
        let _ = writeln!(
            s,
            "  realized: precision {} ({pct}% lower bound {}) on {} MQLs ({} converted), recall {}, MQL rate {}",
            f(row.precision),
            f(row.precision_lower_bound),
            row.tp + row.fp,
            row.tp,
            f(row.recall),
            f(row.mql_rate)
        );
        if let Some(p) = &row.promised {
            let _ = writeln!(
                s,
                "  promised: precision {:.3} ({pct}% lower bound {:.3}), recall {:.3}, MQL rate {:.3} (holdout)",
                p.precision, p.precision_lower_bound, p.recall, p.mql_rate
            );
            if row.below_promise {
                let _ = writeln!(
                    s,
                    "  warning: the realized precision is below the promised lower bound \
                     beyond chance (its upper bound is below it too)"
                );
            }
        }
    }
    s
}
