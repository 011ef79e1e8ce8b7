//! `leadscore-train funnel`: funnel metrics by source (or any lead column) and period, from
//! the outputs of `score` or the server's decision log, and an outcomes table.
//!
//! Per lead: it entered the funnel when it was created (`as_of` minus `age_days` in `score`
//! outputs of age-aware models), else when it was first scored; it became an MQL at the first
//! `as_of` that made it one. Its group is the `--by` column: one of the score files' own
//! columns (`tier`, `model_id`: the value when it first became an MQL, else when first
//! scored) or, with `--leads`, a column of the leads file. The metrics themselves are
//! `leadscore_core::funnel`'s.

use crate::featurize::timestamp_values;
use crate::load::{column, read_table, read_table_rows, ReadOptions, Table};
use crate::monitor::{log_files, read_decisions, read_outcomes};
use crate::table::text_values;
use anyhow::{bail, Context, Result};
use leadscore_core::funnel::{funnel, Funnel, FunnelRow, FunnelSettings, LeadRecord, Period};
use leadscore_core::spec::OutcomeSpec;
use leadscore_core::value::{default_missing_tokens, parse_number, DateOrder};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What to compute the funnel from.
#[derive(Debug, Clone)]
pub struct FunnelOptions {
    /// Outputs of `leadscore-train score` (CSV or Parquet), in any order.
    pub scores: Vec<PathBuf>,
    /// The server's decision log (a file, or the folder of `decisions*.jsonl`).
    pub decision_log: Option<PathBuf>,
    /// The outcomes table: lead id, optionally `converted` and `converted_at`.
    pub outcomes: PathBuf,
    /// The `converted` values that mean converted; empty: the default ones (1, true, yes, y).
    pub positive: Vec<String>,
    /// A leads file, for grouping by one of its columns.
    pub leads: Option<PathBuf>,
    /// The lead id column of every file.
    pub id: String,
    /// The column to group by.
    pub by: Option<String>,
    /// Weeks or months.
    pub period: Period,
    /// Days after becoming an MQL within which a conversion counts.
    pub horizon_days: f64,
    /// "Now", Unix seconds.
    pub now: i64,
    /// The precision promised for the MQLs.
    pub target_precision: Option<f64>,
    /// Confidence of the lower bounds.
    pub confidence: f64,
}

/// What is known of one lead so far.
#[derive(Default)]
struct Seen {
    entered: Option<i64>,
    first_scored: i64,
    mql_at: Option<i64>,
    /// The group from a score file, and the time it was read at (MQL rows win).
    group: Option<(bool, i64, String)>,
}

/// Computes the funnel.
pub fn compute(o: &FunnelOptions) -> Result<Funnel> {
    if o.scores.is_empty() == o.decision_log.is_none() {
        bail!("give either --scores (outputs of `score`) or --decision-log, not both or neither");
    }
    if !(o.horizon_days.is_finite() && o.horizon_days > 0.0) {
        bail!(
            "--horizon-days {} must be a positive number",
            o.horizon_days
        );
    }
    if let Some(p) = o.target_precision {
        if !(p > 0.0 && p < 1.0) {
            bail!("--target-precision {p} must lie strictly between 0 and 1");
        }
    }
    leadscore_core::curve::check_confidence(o.confidence)
        .map_err(|e| anyhow::anyhow!("--confidence: {e}"))?;
    let missing = default_missing_tokens();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut sources = Vec::new();
    for path in &o.scores {
        let read = ReadOptions {
            infer_types: false,
            text_columns: vec![o.id.clone()],
            ..ReadOptions::default()
        };
        // A run that scored no lead (a quiet night, an as-of before the first lead) wrote a
        // header only: none of its leads, not an error that stops the funnel.
        let t = read_table_rows(path, &read, true)?;
        crate::score::check_not_cut_short(path, &t)?;
        crate::load::warn_of(&t);
        let rows = read_scores(&t, o, &missing, &mut seen)?;
        sources.push(format!("{} ({rows} leads)", t.path));
    }
    if let Some(log) = &o.decision_log {
        let files = log_files(log)?;
        let decisions = read_decisions(&files)?;
        let mut without_id = 0u64;
        for d in &decisions {
            let Some(id) = &d.lead_id else {
                without_id += 1;
                continue;
            };
            note(&mut seen, id, d.as_of, None, d.mql, None);
        }
        sources.push(format!(
            "{} ({} decisions{})",
            log.display(),
            decisions.len(),
            if without_id > 0 {
                format!(", {without_id} without a lead id left out")
            } else {
                String::new()
            }
        ));
    }
    // The group from the leads file.
    let lead_groups: Option<HashMap<String, String>> = match (&o.leads, &o.by) {
        (Some(path), Some(by)) => {
            let read = ReadOptions {
                text_columns: vec![o.id.clone()],
                ..ReadOptions::default()
            };
            let t = read_table(path, &read)?;
            crate::load::warn_of(&t);
            let ids = texts(&t, &o.id)?;
            let values = texts(&t, by)?;
            sources.push(format!("{} (column `{by}`)", t.path));
            // A lead on two rows is one lead (a repeated export row): refused only when the
            // rows put it in different groups, which no order of the rows can settle.
            let mut groups: HashMap<String, (usize, String)> = HashMap::new();
            for (row, (id, v)) in ids.into_iter().zip(values).enumerate() {
                let Some(id) = id else { continue };
                let group = v.unwrap_or_else(missing_group);
                let key = crate::assemble::id_key(&id).to_string();
                match groups.get(&key) {
                    Some((first, g)) if *g != group => bail!(
                        "{}: row {}: lead id {} is also on row {} (ids compared without \
                         the whitespace around them and a decimal's trailing zeros), with \
                         `{by}` {} there and {} here: which group the lead is in \
                         is ambiguous",
                        t.path,
                        row + 1,
                        leadscore_core::explain::Quoted(&id),
                        first + 1,
                        leadscore_core::explain::Quoted(g),
                        leadscore_core::explain::Quoted(&group)
                    ),
                    Some(_) => {}
                    None => {
                        groups.insert(key, (row, group));
                    }
                }
            }
            Some(groups.into_iter().map(|(k, (_, g))| (k, g)).collect())
        }
        (Some(_), None) => bail!("--leads is only read for --by COLUMN"),
        _ => None,
    };
    if let Some(by) = &o.by {
        let from_scores = seen.values().any(|s| s.group.is_some());
        if lead_groups.is_none() && !from_scores {
            bail!(
                "--by {by}: the score files have no column `{by}` (they have `tier` and \
                 `model_id`); pass --leads FILE to group by a lead column"
            );
        }
    }
    let spec = OutcomeSpec {
        lead_id: o.id.clone(),
        ..OutcomeSpec::default()
    };
    let positive = if o.positive.is_empty() {
        leadscore_core::value::default_positive_values()
    } else {
        o.positive.clone()
    };
    let outcomes = read_outcomes(&o.outcomes, &spec, &positive, DateOrder::Iso)?;
    // What could make the counts silently wrong is said where the outcomes are named: ids
    // that join none of the scored leads (spelled otherwise), and conversions without a time
    // (counted as converted within the horizon of any MQL).
    let joined = outcomes.keys().filter(|id| seen.contains_key(*id)).count();
    let untimed = outcomes.values().filter(|t| t.is_none()).count();
    let mut outcome_notes = vec![format!("{} converted leads", outcomes.len())];
    if !outcomes.is_empty() && joined == 0 {
        outcome_notes.push(
            "WARNING: none of them is among the scored leads: are the ids spelled as in the \
             scores (case, prefixes, the id column)?"
                .to_string(),
        );
    }
    if untimed > 0 {
        outcome_notes.push(format!(
            "WARNING: {untimed} without a conversion time (no `converted_at`), each counted as \
             converted within the horizon, and never as converted before it became an MQL"
        ));
    }
    sources.push(format!(
        "{} ({})",
        o.outcomes.display(),
        outcome_notes.join("; ")
    ));
    let mut ids: Vec<&String> = seen.keys().collect();
    ids.sort();
    let records: Vec<LeadRecord> = ids
        .into_iter()
        .map(|id| {
            let s = &seen[id];
            let group = match (&o.by, &lead_groups) {
                (None, _) => "all".to_string(),
                (Some(_), Some(g)) => g.get(id).cloned().unwrap_or_else(missing_group),
                (Some(_), None) => s
                    .group
                    .as_ref()
                    .map(|g| g.2.clone())
                    .unwrap_or_else(missing_group),
            };
            LeadRecord {
                group,
                entered: s.entered.unwrap_or(s.first_scored),
                mql_at: s.mql_at,
                converted: outcomes.get(id).copied(),
            }
        })
        .collect();
    let settings = FunnelSettings {
        by: o.by.clone(),
        period: o.period,
        horizon_days: o.horizon_days,
        now: crate::explain::rfc3339(o.now),
        target_precision: o.target_precision,
        confidence: o.confidence,
    };
    Ok(funnel(&records, settings, o.now, sources))
}

fn missing_group() -> String {
    "(missing)".to_string()
}

/// A column's cells as text.
fn texts(t: &Table, name: &str) -> Result<Vec<Option<String>>> {
    text_values(column(t, name)?).with_context(|| format!("{}: column `{name}`", t.path))
}

/// Records one scoring of lead `id`.
fn note(
    seen: &mut HashMap<String, Seen>,
    id: &str,
    as_of: i64,
    created: Option<i64>,
    mql: bool,
    group: Option<String>,
) {
    let s = seen
        .entry(crate::assemble::id_key(id).to_string())
        .or_insert_with(|| Seen {
            first_scored: as_of,
            ..Seen::default()
        });
    s.first_scored = s.first_scored.min(as_of);
    if let Some(c) = created {
        s.entered = Some(s.entered.map_or(c, |e| e.min(c)));
    }
    if mql {
        s.mql_at = Some(s.mql_at.map_or(as_of, |m| m.min(as_of)));
    }
    if let Some(g) = group {
        // The group when the lead first became an MQL, else when it was first scored.
        let better = match &s.group {
            None => true,
            Some((was_mql, at, _)) => (mql && !was_mql) || (mql == *was_mql && as_of < *at),
        };
        if better {
            s.group = Some((mql, as_of, g));
        }
    }
}

/// Reads one `score` output into `seen`; returns its rows.
fn read_scores(
    t: &Table,
    o: &FunnelOptions,
    missing: &[String],
    seen: &mut HashMap<String, Seen>,
) -> Result<usize> {
    // A crossings file (`score --previous` writes NAME.crossings.EXT beside its output, in the
    // same folder, so a glob of the folder picks it up) has the columns too, for the leads
    // that changed only: read as a run, it would count them twice at its as_of.
    if t.df.column("change").is_ok() && t.df.column("previous_score").is_ok() {
        anyhow::bail!(
            "{}: a crossings file (written by score --previous beside its output), not an \
             output of score: give the scores files only (NAME.csv, not NAME.crossings.csv)",
            t.path
        );
    }
    let ids = texts(t, &o.id)?;
    let as_of = timestamp_values(t, "as_of", missing, DateOrder::Iso)?;
    let mql = texts(t, "mql")?;
    let has = |c: &str| t.df.column(c).is_ok();
    // The exact creation time (`created_at`), else `as_of - age_days` (outputs without it).
    let created_at = if has("created_at") {
        Some(timestamp_values(t, "created_at", missing, DateOrder::Iso)?)
    } else {
        None
    };
    let age = if created_at.is_none() && has("age_days") {
        Some(texts(t, "age_days")?)
    } else {
        None
    };
    let group = match &o.by {
        Some(by) if has(by) && o.leads.is_none() => Some(texts(t, by)?),
        _ => None,
    };
    let cell = |row: usize, c: &str, what: &str| {
        anyhow::anyhow!("{}: row {}, column `{c}`: {what}", t.path, row + 1)
    };
    for row in 0..ids.len() {
        let id = ids[row]
            .as_deref()
            .ok_or_else(|| cell(row, &o.id, "the lead id is missing"))?;
        let at = as_of[row].ok_or_else(|| cell(row, "as_of", "missing"))?;
        let is_mql =
            crate::score::parse_mql(mql[row].as_deref()).map_err(|m| cell(row, "mql", &m))?;
        let created = match age.as_ref().and_then(|a| a[row].as_deref()) {
            None => created_at.as_ref().and_then(|c| c[row]),
            Some(text) => {
                let days = parse_number(text)
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .ok_or_else(|| {
                        cell(
                            row,
                            "age_days",
                            &format!(
                                "not an age in days: {}",
                                leadscore_core::explain::Quoted(text)
                            ),
                        )
                    })?;
                Some(at - (days * 86_400.0).round() as i64)
            }
        };
        let g = group
            .as_ref()
            .map(|g| g[row].clone().unwrap_or_else(missing_group));
        note(seen, id, at, created, is_mql, g);
    }
    Ok(ids.len())
}

/// The funnel as a table for the terminal.
pub fn text(f: &Funnel) -> String {
    let s = &f.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "funnel by {} and {}: MQL outcomes within {} days, as of {}{}",
        s.by.as_deref().unwrap_or("(all leads)"),
        s.period.name(),
        s.horizon_days,
        s.now,
        s.target_precision
            .map(|p| format!("; promised precision {p}"))
            .unwrap_or_default()
    );
    for src in &f.sources {
        let _ = writeln!(out, "  from {src}");
    }
    let pct = |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("{:.1}%", 100.0 * v));
    let width = f
        .rows
        .iter()
        .map(|r| r.group.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:<width$}  {:<10}  {:>7}  {:>6}  {:>8}  {:>9}  {:>9}  {:>7}  {:>15}  {:>7}",
        "group",
        "period",
        "leads",
        "MQLs",
        "MQL rate",
        "converted",
        "MQL->conv",
        "known",
        "precision (low)",
        "median d"
    );
    let line = |out: &mut String, r: &FunnelRow| {
        let precision = match (r.realized_precision, r.precision_lower_bound) {
            (Some(p), Some(lo)) => format!(
                "{:.1}% ({:.1}%){}",
                100.0 * p,
                100.0 * lo,
                if r.below_promise { " !" } else { "" }
            ),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:>7}  {:>6}  {:>8}  {:>9}  {:>9}  {:>7}  {:>15}  {:>7}",
            r.group,
            r.period,
            r.leads,
            r.mqls,
            pct(r.mql_rate),
            r.mqls_converted,
            pct(r.mql_conversion_rate),
            r.mqls_known,
            precision,
            r.median_days_to_conversion
                .map_or_else(|| "-".into(), |d| format!("{d:.1}"))
        );
    };
    for r in &f.rows {
        line(&mut out, r);
    }
    // With one group, its `all` row is the total.
    if s.by.is_some() {
        line(&mut out, &f.total);
    }
    let _ = writeln!(
        out,
        "converted: MQLs converted within the horizon; known: MQLs whose horizon has passed, on \
         which the precision (and its {:.0}% lower bound) is measured; median d: days from MQL \
         to conversion",
        100.0 * s.confidence
    );
    if f.total.converted_before_mql > 0 {
        let _ = writeln!(
            out,
            "{} MQLs had converted before they became MQLs (left out of the outcomes)",
            f.total.converted_before_mql
        );
    }
    if f.rows.iter().chain([&f.total]).any(|r| r.below_promise) {
        let _ = writeln!(
            out,
            "! realized precision below the promised {} (its {:.0}% upper bound is below it)",
            s.target_precision.unwrap_or_default(),
            100.0 * s.confidence
        );
    }
    out
}
