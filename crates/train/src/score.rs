//! `leadscore-train score`: a model's scores for a whole leads file at one moment, with the
//! server's features, cutoff, tiers, gates and key factors; and the crossings against an
//! earlier run (leads that became MQL, stopped being MQL, or changed tier).
//!
//! Every lead goes through `leadscore_core::batch::LeadScorer`, the per-lead path the server
//! runs (`featurize_values_noting_unseen`, the same scorer, gates and factor texts), fed with the
//! file's cells as text, so a lead scored here and posted to the server at the same `as_of`
//! gets the same score, decision and reasons. Leads are taken in chunks of [`CHUNK_LEADS`]:
//! each chunk's values are read out of the table, scored, and written to the output before the
//! next, so memory holds the input tables, the events (16 bytes each) and one chunk.
//!
//! What differs from the server, on purpose:
//! - a lead created after `as_of` is skipped and counted (it did not exist then), where the
//!   server refuses it;
//! - events after `as_of` are left out and counted (a file re-scored as of an earlier moment
//!   holds the later events too), where the server refuses a request that sends one.

use crate::assemble::{group_by_lead, lead_index, read_events, EventColumns, LeadEvents};
use crate::error::{Result, TrainError};
use crate::explain::{factors_json, rfc3339, RowFactor, RowValues};
use crate::featurize::timestamp_values;
use crate::load::{column, read_table, ReadOptions, Table};
use crate::table::text_values;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::batch::LeadScorer;
use leadscore_core::fitted::{FittedTransform, LeadEvent};
use leadscore_core::tiers::Tiers;
use leadscore_core::value::parse_number;
use polars::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Leads scored and written per chunk.
pub const CHUNK_LEADS: usize = 65_536;

/// What `score` is asked to do.
#[derive(Debug, Clone)]
pub struct ScoreJob {
    /// The leads file (CSV or Parquet).
    pub leads: PathBuf,
    /// The lead id column (default: the model's, for point-in-time models).
    pub id: Option<String>,
    /// The events file, for models with event features.
    pub events: Option<PathBuf>,
    /// An outcomes table: leads that converted at or before `as_of` are skipped.
    pub outcomes: Option<PathBuf>,
    /// The moment every lead is scored as of, Unix seconds.
    pub as_of: i64,
    /// The MQL cutoff's precision target and confidence, as the server takes them.
    pub target_precision: f64,
    /// See [`ScoreJob::target_precision`].
    pub confidence: f64,
    /// Tiers (the server's `--tiers`).
    pub tiers: Tiers,
    /// The server's `--gates` file, when it serves with gates other than the model's: leads
    /// are held back by them and the cutoff and tiers are read on the model's holdout curve
    /// rebuilt with them, as the server does (`None`: the model's own gates).
    pub gates: Option<PathBuf>,
    /// Positive and negative key factors per lead.
    pub factors: usize,
    /// CSV delimiter of the input files (detected when `None`).
    pub delimiter: Option<u8>,
    /// Leads scored and written per chunk ([`CHUNK_LEADS`] by default).
    pub chunk_leads: usize,
    /// Keep the ids of the leads skipped as converted ([`ScoreSummary::converted_ids`]):
    /// only a run that notifies needs them.
    pub keep_converted_ids: bool,
}

/// The lead id column: `--id`, else the one a point-in-time model was trained with.
pub fn id_column(artifact: &ModelArtifact, job: &ScoreJob) -> Result<String> {
    job.id
        .clone()
        .or_else(|| artifact.assembly.as_ref().map(|a| a.id.clone()))
        .ok_or_else(|| {
            TrainError::Config(format!(
                "model {} was trained on a flat file, whose artifact does not name the lead id column: pass --id COLUMN",
                artifact.model_id
            ))
        })
}

/// One scored lead, as a row of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredLead {
    /// The lead id.
    pub id: String,
    /// Probability of converting within the model's horizon.
    pub score: f64,
    /// At or above the cutoff, and no gate holds it back.
    pub mql: bool,
    /// Its tier (a lead held back by a gate gets the rest tier).
    pub tier: Option<String>,
    /// Log-odds.
    pub log_odds: f64,
    /// The average training example's log-odds.
    pub baseline: f64,
    /// The fit part of the log-odds against the baseline.
    pub fit: f64,
    /// The engagement part.
    pub engagement: f64,
    /// Fit percentile among training examples.
    pub fit_percentile: Option<f64>,
    /// Engagement percentile among training examples.
    pub engagement_percentile: Option<f64>,
    /// Days since creation (age-aware models).
    pub age_days: Option<f64>,
    /// Its creation time, Unix seconds (age-aware models).
    pub created_at: Option<i64>,
    /// The gates that hold it back, `;`-separated.
    pub held_back: String,
    /// Columns whose value training did not see (scored as missing, `other` or the nearest
    /// training value), `;`-separated.
    pub unseen: String,
    /// Key factors: a JSON array of `{"field", "factor", "part", "contribution"}`.
    pub factors: String,
}

/// What a run did, for the summary line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreSummary {
    /// Rows of the leads file.
    pub rows: usize,
    /// Leads scored.
    pub scored: usize,
    /// Of them, MQLs.
    pub mqls: usize,
    /// Leads per tier, in tier order (the rest last).
    pub per_tier: Vec<(String, usize)>,
    /// Leads created after `as_of`, not scored.
    pub not_yet_created: usize,
    /// Leads that had converted by `as_of` (with `outcomes`), not scored.
    pub already_converted: usize,
    /// Their ids (and those converted at an unknown time), with
    /// [`ScoreJob::keep_converted_ids`]: a notification of an earlier run for one of them is
    /// dropped, not sent as a new MQL.
    pub converted_ids: Vec<String>,
    /// Leads the outcomes table lists as converted without a time, not scored.
    pub converted_untimed: usize,
    /// Rows of the events file (`None` without one).
    pub events_rows: Option<u64>,
    /// Events after `as_of`, left out.
    pub later_events: u64,
    /// Events of leads not in the leads file.
    pub unknown_events: u64,
    /// Event types training never saw, with their number of events (most first): they feed no
    /// per-type feature and count only toward the distinct active days, as in the server and
    /// the Python package (a lead's `unseen` then names `events.event_type`).
    pub unknown_types: Vec<(String, u64)>,
    /// Leads with at least one value training did not see.
    pub with_unseen: usize,
    /// The MQL cutoff used.
    pub threshold: f64,
    /// How the leads file was read, when that needs a word (not UTF-8, read as Windows-1252).
    pub read_note: Option<String>,
    /// The leads file has an `as_of` column the model does not read: every lead is scored at
    /// the run's `--as-of` all the same (the Python package reads such a column as each lead's
    /// moment; the server refuses it).
    pub unread_as_of: bool,
}

/// The event types that training never saw (`FittedEvents::knows`), with their number of
/// events (`counts`, by type id), most first (ties by name); types without events left out.
fn unknown_types(type_names: &[String], counts: &[u64]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = type_names
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(name, n)| (name.clone(), *n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Scores every lead of `job.leads` with `artifact`, handing each chunk of scored leads to
/// `sink` in file order; `progress` is told the leads done so far and the total.
pub fn score_file(
    artifact: &ModelArtifact,
    job: &ScoreJob,
    mut sink: impl FnMut(&[ScoredLead]) -> Result<()>,
    mut progress: impl FnMut(usize, usize),
) -> Result<ScoreSummary> {
    let spec = &artifact.spec;
    let id_column = id_column(artifact, job)?;
    if spec.events.is_some() && job.events.is_none() {
        return Err(TrainError::Config(format!(
            "model {} has engagement features: pass --events FILE",
            artifact.model_id
        )));
    }
    let read = ReadOptions {
        delimiter: job.delimiter,
        missing_tokens: spec.missing_tokens.clone(),
        // The cells as the file writes them, as a client would send them to the server.
        infer_types: false,
        date_order: spec.date_order,
        ..ReadOptions::default()
    };
    let leads = read_table(&job.leads, &read)?;
    // Every column the model reads (a `sum_of` column is added up from its parts).
    for c in spec.columns.iter().filter(|c| c.sum_of.is_empty()) {
        column(&leads, &c.name)?;
    }
    let index = lead_index(&leads, &id_column, &spec.missing_tokens)?;
    let ids = text_values(column(&leads, &id_column)?).map_err(|e| TrainError::Column {
        path: leads.path.clone(),
        column: id_column.clone(),
        message: e.to_string(),
    })?;
    let n = leads.df.height();

    // Events known at as_of, grouped by lead row.
    let mut summary = ScoreSummary {
        rows: n,
        read_note: leads.note.clone(),
        unread_as_of: leads.df.column("as_of").is_ok()
            && !spec.columns.iter().any(|c| c.name == "as_of"),
        ..ScoreSummary::default()
    };
    let events = match (&job.events, &spec.events) {
        (Some(path), Some(fitted)) => {
            let columns = artifact
                .assembly
                .as_ref()
                .and_then(|a| a.events.clone())
                .unwrap_or_default();
            let (ev, unknown, note) =
                read_events(path, &columns, &index, &read, &spec.missing_tokens, true)?;
            // The events file's note (a footer left out, read as Windows-1252) beside the
            // leads file's.
            summary.read_note = match (summary.read_note.take(), note) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
            summary.unknown_events = unknown;
            summary.events_rows = ev.fingerprint.as_ref().map(|f| f.rows);
            let (grouped, later) = known_by(ev, n, job.as_of);
            summary.later_events = later;
            let unknown: Vec<bool> = grouped
                .type_names
                .iter()
                .map(|t| !fitted.knows(t))
                .collect();
            Some((grouped, unknown))
        }
        _ => None,
    };
    // Events of a type training never saw, by type, over the leads scored (not those after
    // as_of, nor those of leads skipped): what their `unseen` says.
    let mut unknown_counts = vec![0u64; events.as_ref().map_or(0, |(g, _)| g.type_names.len())];

    // The age column decides which leads existed at as_of.
    let created: Option<Vec<Option<i64>>> = spec
        .columns
        .iter()
        .find(|c| matches!(c.transform, FittedTransform::LeadAge { .. }))
        .map(|c| timestamp_values(&leads, &c.name, &spec.missing_tokens, spec.date_order))
        .transpose()?;

    // Leads that had converted by as_of: nothing left to hand over.
    let converted_by: Option<HashMap<String, Option<i64>>> = match &job.outcomes {
        Some(path) => {
            // The outcomes table's columns as the model was trained with one, else the
            // defaults with the leads' id column.
            let columns = artifact
                .assembly
                .as_ref()
                .and_then(|a| a.outcomes.clone())
                .unwrap_or_else(|| leadscore_core::spec::OutcomeSpec {
                    lead_id: id_column.clone(),
                    ..Default::default()
                });
            Some(
                crate::monitor::read_outcomes(
                    path,
                    &columns,
                    &artifact.provenance.positive_values,
                    spec.date_order,
                )
                .map_err(|e| TrainError::Config(format!("{e:#}")))?,
            )
        }
        None => None,
    };

    let gates = match &job.gates {
        Some(path) => Some(
            leadscore_core::gates::read_gates_file(path, "--gates").map_err(TrainError::Config)?,
        ),
        None => None,
    };
    let mut decide = LeadScorer::with_gates(
        artifact,
        job.target_precision,
        job.confidence,
        &job.tiers,
        gates.as_deref(),
    )
    .map_err(|e| match &job.gates {
        Some(path) => TrainError::Config(format!("--gates {}: {e}", path.display())),
        None => TrainError::Config(e),
    })?;
    summary.threshold = decide.threshold;
    let mut tier_counts: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(job.chunk_leads.max(1).min(n));
    let mut start = 0;
    while start < n {
        let len = job.chunk_leads.max(1).min(n - start);
        let chunk = Table {
            df: leads.df.slice(start as i64, len),
            path: leads.path.clone(),
            fingerprint: leads.fingerprint.clone(),
            note: None,
            delimiter: leads.delimiter,
            list_columns: leads.list_columns.clone(),
            sums: leads.sums.clone(),
        };
        let rows: Vec<usize> = (0..len).collect();
        let chunk_events = events.as_ref().map(|(e, _)| chunk_events(e, start, len));
        let values = RowValues::read(spec, &chunk, &rows, chunk_events.as_ref())
            .map_err(|e| e.with_cell_row(None, |row| row + start))?;
        out.clear();
        for r in 0..len {
            let row = start + r;
            if let Some(created) = &created {
                if created[row].is_some_and(|t| t > job.as_of) {
                    summary.not_yet_created += 1;
                    continue;
                }
            }
            if let (Some(c), Some(id)) = (&converted_by, &ids[row]) {
                let skipped = match c.get(crate::assemble::id_key(id)) {
                    Some(Some(t)) if *t <= job.as_of => {
                        summary.already_converted += 1;
                        true
                    }
                    // Converted, the table does not say when: nothing is left to hand over
                    // now (a table without times cannot re-score the past).
                    Some(None) => {
                        summary.converted_untimed += 1;
                        true
                    }
                    _ => false,
                };
                if skipped {
                    if job.keep_converted_ids {
                        summary.converted_ids.push(id.clone());
                    }
                    continue;
                }
            }
            let fields = values.row(r);
            let lead_events: Vec<LeadEvent<'_>> = values.events(r);
            let d = decide
                .decide(&fields, &lead_events, job.as_of, job.factors)
                .map_err(|e| TrainError::Cell {
                    path: leads.path.clone(),
                    row: row + 1,
                    column: e.column,
                    message: e.message,
                })?;
            summary.scored += 1;
            if let Some((g, unknown)) = &events {
                for &k in &g.event_type[g.offsets[row]..g.offsets[row + 1]] {
                    unknown_counts[k as usize] += u64::from(unknown[k as usize]);
                }
            }
            summary.mqls += usize::from(d.mql);
            summary.with_unseen += usize::from(!d.unseen.is_empty());
            if let Some(t) = &d.tier {
                *tier_counts.entry(t.clone()).or_default() += 1;
            }
            let factors: Vec<RowFactor> = d
                .factors
                .into_iter()
                .map(|f| RowFactor {
                    field: f.field,
                    factor: f.factor,
                    part: f.part,
                    contribution: f.contribution,
                })
                .collect();
            out.push(ScoredLead {
                id: ids[row].clone().unwrap_or_default(),
                score: d.score,
                mql: d.mql,
                tier: d.tier,
                log_odds: d.log_odds,
                baseline: d.baseline,
                fit: d.fit,
                engagement: d.engagement,
                fit_percentile: d.fit_percentile,
                engagement_percentile: d.engagement_percentile,
                age_days: created
                    .as_ref()
                    .and_then(|c| c[row])
                    .map(|t| (job.as_of - t) as f64 / 86_400.0),
                created_at: created.as_ref().and_then(|c| c[row]),
                held_back: d.held_back.join(";"),
                unseen: d
                    .unseen
                    .iter()
                    .map(|&i| spec.unseen_name(i))
                    .collect::<Vec<_>>()
                    .join(";"),
                factors: factors_json(&factors),
            });
        }
        sink(&out)?;
        start += len;
        progress(start, n);
    }
    if let Some((g, _)) = &events {
        summary.unknown_types = unknown_types(&g.type_names, &unknown_counts);
    }
    let (tiers, rest) = decide.tiers();
    summary.per_tier = tiers
        .iter()
        .map(|(name, _)| name.clone())
        .chain(rest.map(str::to_string))
        .map(|name| {
            let k = tier_counts.get(&name).copied().unwrap_or(0);
            (name, k)
        })
        .collect();
    Ok(summary)
}

/// Events known at `as_of` (of `ev`, keyed by row of a leads table of `n` rows), grouped by
/// lead with the assembly's grouping; and how many came after `as_of`.
fn known_by(mut ev: EventColumns, n: usize, as_of: i64) -> (LeadEvents, u64) {
    let before = ev.lead.len();
    let keep: Vec<bool> = ev.occurred_at.iter().map(|t| *t <= as_of).collect();
    let mut k = keep.iter();
    ev.lead.retain(|_| *k.next().unwrap_or(&false));
    let mut k = keep.iter();
    ev.event_type.retain(|_| *k.next().unwrap_or(&false));
    ev.occurred_at.retain(|t| *t <= as_of);
    let later = (before - ev.lead.len()) as u64;
    (group_by_lead(ev, n), later)
}

/// The events of lead rows `start..start + len`, keyed by row within the chunk.
fn chunk_events(g: &LeadEvents, start: usize, len: usize) -> EventColumns {
    let (a, b) = (g.offsets[start], g.offsets[start + len]);
    let mut lead = Vec::with_capacity(b - a);
    for r in 0..len {
        let k = g.offsets[start + r + 1] - g.offsets[start + r];
        lead.extend(std::iter::repeat_n(r as u32, k));
    }
    EventColumns {
        lead,
        event_type: g.event_type[a..b].to_vec(),
        type_names: g.type_names.clone(),
        occurred_at: g.occurred_at[a..b].to_vec(),
        path: g.path.clone(),
        fingerprint: None,
    }
}

/// Output formats, by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`
    Csv,
    /// `.parquet`
    Parquet,
}

impl Format {
    /// The format of `path` by its extension; anything but `.csv` or `.parquet` is an error.
    pub fn of(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("parquet") | Some("pq") => Ok(Self::Parquet),
            _ => Err(TrainError::Config(format!(
                "{}: the output's extension must be .csv or .parquet",
                path.display()
            ))),
        }
    }
}

/// The output columns, in order (the first is named by the model's id column).
pub const SCORE_COLUMNS: [&str; 17] = [
    "lead_id",
    "as_of",
    "model_id",
    "score",
    "mql",
    "tier",
    "log_odds",
    "baseline",
    "fit",
    "engagement",
    "fit_percentile",
    "engagement_percentile",
    "age_days",
    "created_at",
    "held_back",
    "unseen",
    "factors",
];

/// Scored leads as a data frame (`id` names the first column).
pub fn frame(id: &str, as_of: &str, model_id: &str, leads: &[ScoredLead]) -> Result<DataFrame> {
    let n = leads.len();
    let s = |name: &str, v: Vec<Option<String>>| Column::new(name.into(), v);
    let f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    let texts = |get: fn(&ScoredLead) -> &str| -> Vec<Option<String>> {
        leads
            .iter()
            .map(|l| Some(get(l)).filter(|t| !t.is_empty()).map(str::to_string))
            .collect()
    };
    let nums = |get: fn(&ScoredLead) -> Option<f64>| -> Vec<Option<f64>> {
        leads.iter().map(get).collect()
    };
    DataFrame::new(
        n,
        vec![
            s(id, leads.iter().map(|l| Some(l.id.clone())).collect()),
            s("as_of", vec![Some(as_of.to_string()); n]),
            s("model_id", vec![Some(model_id.to_string()); n]),
            f("score", nums(|l| Some(l.score))),
            Column::new(
                "mql".into(),
                leads.iter().map(|l| l.mql).collect::<Vec<_>>(),
            ),
            s("tier", leads.iter().map(|l| l.tier.clone()).collect()),
            f("log_odds", nums(|l| Some(l.log_odds))),
            f("baseline", nums(|l| Some(round6(l.baseline)))),
            f("fit", nums(|l| Some(round6(l.fit)))),
            f("engagement", nums(|l| Some(round6(l.engagement)))),
            f("fit_percentile", nums(|l| l.fit_percentile.map(round1))),
            f(
                "engagement_percentile",
                nums(|l| l.engagement_percentile.map(round1)),
            ),
            f(
                "age_days",
                nums(|l| l.age_days.map(|a| (a * 1e4).round() / 1e4)),
            ),
            s(
                "created_at",
                leads.iter().map(|l| l.created_at.map(rfc3339)).collect(),
            ),
            s("held_back", texts(|l| &l.held_back)),
            s("unseen", texts(|l| &l.unseen)),
            s("factors", texts(|l| &l.factors)),
        ],
    )
    .map_err(|e| TrainError::Config(format!("building the output: {e}")))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Writes frames one after another to a CSV or Parquet file.
pub enum FrameWriter<W: Write> {
    /// CSV: the header with the first frame.
    Csv(polars::io::csv::write::BatchedWriter<W>),
    /// Parquet: one row group per frame.
    Parquet(Box<polars::io::parquet::write::BatchedWriter<W>>),
}

impl<W: Write> FrameWriter<W> {
    /// A writer of frames shaped like `schema`.
    pub fn new(format: Format, w: W, schema: &Schema) -> PolarsResult<Self> {
        Ok(match format {
            Format::Csv => Self::Csv(CsvWriter::new(w).batched(schema)?),
            Format::Parquet => Self::Parquet(Box::new(ParquetWriter::new(w).batched(schema)?)),
        })
    }

    /// Appends `df`.
    pub fn write(&mut self, df: &mut DataFrame) -> PolarsResult<()> {
        match self {
            Self::Csv(w) => w.write_batch(df),
            Self::Parquet(w) => {
                df.align_chunks_par();
                w.write_batch(df)
            }
        }
    }

    /// Ends the file (Parquet's footer).
    pub fn finish(&mut self) -> PolarsResult<()> {
        match self {
            Self::Csv(w) => w.finish(),
            Self::Parquet(w) => w.finish().map(|_| ()),
        }
    }
}

/// A lead's decision in an earlier run, as `--previous` reads it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// When it was scored (as written).
    pub as_of: String,
    /// Its score.
    pub score: f64,
    /// Whether it was an MQL.
    pub mql: bool,
    /// Its tier.
    pub tier: Option<String>,
}

/// An earlier output of `score`: its decisions by lead id, and what it was run with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    /// The decisions, by lead id.
    pub decisions: HashMap<String, Decision>,
    /// The models that scored it, each with its number of leads (most first; empty for an
    /// output without a `model_id` column).
    pub models: Vec<(String, usize)>,
    /// The latest `as_of` of its rows (Unix seconds).
    pub latest_as_of: Option<i64>,
    /// The tiers it gave, sorted.
    pub tiers: Vec<String>,
}

/// Refuses a scores file (an output of `score`) cut short: one that does not end with a line
/// end and whose last `factors` cell is no JSON (`score` writes a line end after every row, and
/// `factors` last, so an interrupted copy or a full disk leaves the last row's JSON open). Read
/// as complete, the leads after the cut were missing from the earlier run, and every MQL among
/// them counted as new (and was notified as news). A file cut at a line end is a file of fewer
/// rows: nothing in it says otherwise.
pub fn check_not_cut_short(path: &Path, table: &Table) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(factors) = column(table, "factors") else {
        return Ok(());
    };
    let last_byte = (|| -> std::io::Result<Option<u8>> {
        let mut f = std::fs::File::open(path)?;
        if f.seek(SeekFrom::End(0))? == 0 {
            return Ok(None);
        }
        f.seek(SeekFrom::End(-1))?;
        let mut b = [0u8; 1];
        f.read_exact(&mut b)?;
        Ok(Some(b[0]))
    })();
    if matches!(last_byte, Ok(Some(b'\n')) | Ok(None)) {
        return Ok(());
    }
    let cells = text_values(factors).map_err(|e| TrainError::Column {
        path: table.path.clone(),
        column: "factors".into(),
        message: e.to_string(),
    })?;
    let rows = cells.len();
    match cells.last() {
        Some(Some(last)) if serde_json::from_str::<serde_json::Value>(last).is_err() => {
            Err(TrainError::Config(format!(
                "{}: row {rows} ends inside its `factors` cell, with no line end after it: the \
                 file was cut short (an interrupted copy, a full disk?), and the leads after \
                 it would read as absent from that run; give the complete scores file",
                table.path
            )))
        }
        _ => Ok(()),
    }
}

/// An earlier output of `score`, by lead id.
pub fn read_previous(path: &Path, id: &str) -> Result<Previous> {
    let read = ReadOptions {
        infer_types: false,
        missing_tokens: vec![String::new()],
        ..ReadOptions::default()
    };
    // An earlier run that scored no lead wrote a header only: an earlier run of no leads
    // (every MQL now is new), not an error that breaks the nightly chain.
    let table = crate::load::read_table_rows(path, &read, true)?;
    check_not_cut_short(path, &table)?;
    crate::load::warn_of(&table);
    // A crossings file (written beside the output, last, so `ls -t | head -1` picks it) holds
    // only the leads that changed: read as the earlier run, every MQL that did not change would
    // read as new, and be notified as news.
    if table.df.column("change").is_ok() && table.df.column("previous_score").is_ok() {
        return Err(TrainError::Config(format!(
            "--previous {}: a crossings file (written by score --previous beside its output), \
             not an output of score: give the earlier run's scores file (NAME.csv, not \
             NAME.crossings.csv)",
            table.path
        )));
    }
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        text_values(column(&table, name)?).map_err(|e| TrainError::Column {
            path: table.path.clone(),
            column: name.to_string(),
            message: e.to_string(),
        })
    };
    let (ids, as_of, scores, mql, tier) = (
        text(id)?,
        text("as_of")?,
        text("score")?,
        text("mql")?,
        text("tier")?,
    );
    // Outputs have always had it; a file without is compared without the check.
    let model_ids = match table.df.column("model_id") {
        Ok(_) => Some(text("model_id")?),
        Err(_) => None,
    };
    let cell = |row: usize, column: &str, message: String| TrainError::Cell {
        path: table.path.clone(),
        row: row + 1,
        column: column.to_string(),
        message,
    };
    let found = |v: &Option<String>| cell_text(v.as_deref());
    let mut out = Previous {
        decisions: HashMap::with_capacity(ids.len()),
        ..Previous::default()
    };
    let mut models: HashMap<String, usize> = HashMap::new();
    let mut tiers = std::collections::BTreeSet::new();
    for row in 0..ids.len() {
        let lead = ids[row]
            .clone()
            .ok_or_else(|| cell(row, id, "the lead id is missing".into()))?;
        let score = scores[row]
            .as_deref()
            .and_then(parse_number)
            .filter(|s| (0.0..=1.0).contains(s))
            .ok_or_else(|| {
                cell(
                    row,
                    "score",
                    format!("expected a score in [0, 1], found {}", found(&scores[row])),
                )
            })?;
        let is_mql = parse_mql(mql[row].as_deref()).map_err(|m| cell(row, "mql", m))?;
        let at = as_of[row]
            .as_deref()
            .and_then(leadscore_core::value::parse_timestamp)
            .ok_or_else(|| {
                cell(
                    row,
                    "as_of",
                    format!(
                        "expected the time the run scored as of, found {}",
                        found(&as_of[row])
                    ),
                )
            })?;
        out.latest_as_of = Some(out.latest_as_of.map_or(at, |l| l.max(at)));
        if let Some(m) = model_ids.as_ref().and_then(|m| m[row].clone()) {
            *models.entry(m).or_default() += 1;
        }
        if let Some(t) = &tier[row] {
            tiers.insert(t.clone());
        }
        let decision = Decision {
            as_of: as_of[row].clone().unwrap_or_default(),
            score,
            mql: is_mql,
            tier: tier[row].clone(),
        };
        // Keyed as every join compares ids ([`crate::assemble::id_key`]): this run's leads
        // are looked up so, however either file writes them (`7.0`, `" 7"`).
        let key = crate::assemble::id_key(&lead).to_string();
        if out.decisions.insert(key, decision).is_some() {
            return Err(cell(
                row,
                id,
                format!(
                    "lead id {} appears again",
                    leadscore_core::explain::Quoted(&lead)
                ),
            ));
        }
    }
    out.models = models.into_iter().collect();
    out.models
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.tiers = tiers.into_iter().collect();
    Ok(out)
}

/// The `mql` cell of a `score` output: true/false (any case) or 1/0.
pub fn parse_mql(text: Option<&str>) -> std::result::Result<bool, String> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        _ => Err(format!("expected true or false, found {}", cell_text(text))),
    }
}

/// A cell read as text, for a message: quoted as the file has it, or `nothing` when empty.
fn cell_text(text: Option<&str>) -> String {
    use leadscore_core::value::{echo, FieldValue};
    echo(text.map_or(FieldValue::Missing, FieldValue::Text))
}

/// How a lead's decision changed between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not an MQL before (or not scored), an MQL now.
    BecameMql,
    /// An MQL before, not now (a lower score, decay, a gate).
    LeftMql,
    /// The same MQL decision, another tier.
    TierChanged,
}

impl Change {
    /// As written in the crossings file.
    pub fn label(self) -> &'static str {
        match self {
            Self::BecameMql => "became_mql",
            Self::LeftMql => "left_mql",
            Self::TierChanged => "tier_changed",
        }
    }

    /// The change from `before` (`None`: the lead was not in the earlier run) to `now`.
    pub fn between(before: Option<&Decision>, now: &ScoredLead) -> Option<Self> {
        let was = before.is_some_and(|b| b.mql);
        match (was, now.mql) {
            (false, true) => Some(Self::BecameMql),
            (true, false) => Some(Self::LeftMql),
            // Both runs gave tiers (a run without tiers changes no lead's tier).
            _ => match (before.and_then(|b| b.tier.as_ref()), &now.tier) {
                (Some(b), Some(n)) if b != n => Some(Self::TierChanged),
                _ => None,
            },
        }
    }
}

/// One lead whose decision changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    /// What changed.
    pub change: Change,
    /// The lead now.
    pub now: ScoredLead,
    /// The lead in the earlier run (`None`: it was not in it).
    pub before: Option<Decision>,
}

/// The crossings of a chunk of scored leads against the earlier run.
pub fn crossings(previous: &HashMap<String, Decision>, leads: &[ScoredLead]) -> Vec<Crossing> {
    leads
        .iter()
        .filter_map(|l| {
            let before = previous.get(crate::assemble::id_key(&l.id));
            Change::between(before, l).map(|change| Crossing {
                change,
                now: l.clone(),
                before: before.cloned(),
            })
        })
        .collect()
}

/// The crossings file's frame.
pub fn crossings_frame(id: &str, as_of: &str, list: &[Crossing]) -> Result<DataFrame> {
    let s = |name: &str, v: Vec<Option<String>>| Column::new(name.into(), v);
    let f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    DataFrame::new(
        list.len(),
        vec![
            s(id, list.iter().map(|c| Some(c.now.id.clone())).collect()),
            s(
                "change",
                list.iter()
                    .map(|c| Some(c.change.label().to_string()))
                    .collect(),
            ),
            s(
                "previous_as_of",
                list.iter()
                    .map(|c| c.before.as_ref().map(|b| b.as_of.clone()))
                    .collect(),
            ),
            f(
                "previous_score",
                list.iter()
                    .map(|c| c.before.as_ref().map(|b| b.score))
                    .collect(),
            ),
            Column::new(
                "previous_mql".into(),
                list.iter()
                    .map(|c| c.before.as_ref().map(|b| b.mql))
                    .collect::<Vec<_>>(),
            ),
            s(
                "previous_tier",
                list.iter()
                    .map(|c| c.before.as_ref().and_then(|b| b.tier.clone()))
                    .collect(),
            ),
            s("as_of", vec![Some(as_of.to_string()); list.len()]),
            f("score", list.iter().map(|c| Some(c.now.score)).collect()),
            Column::new(
                "mql".into(),
                list.iter().map(|c| c.now.mql).collect::<Vec<_>>(),
            ),
            s("tier", list.iter().map(|c| c.now.tier.clone()).collect()),
        ],
    )
    .map_err(|e| TrainError::Config(format!("building the crossings: {e}")))
}

/// Where the crossings of `out` go: beside it, `NAME.crossings.EXT`.
pub fn crossings_path(out: &Path) -> PathBuf {
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    beside(out, &format!("crossings.{ext}"))
}

/// `NAME.<suffix>` in the folder of `out` (whose name is `NAME.EXT`).
pub fn beside(out: &Path, suffix: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(mql: bool, tier: Option<&str>) -> ScoredLead {
        ScoredLead {
            id: "L1".into(),
            score: 0.5,
            mql,
            tier: tier.map(str::to_string),
            log_odds: 0.0,
            baseline: 0.0,
            fit: 0.0,
            engagement: 0.0,
            fit_percentile: None,
            engagement_percentile: None,
            age_days: None,
            created_at: None,
            held_back: String::new(),
            unseen: String::new(),
            factors: "[]".into(),
        }
    }

    fn before(mql: bool, tier: Option<&str>) -> Decision {
        Decision {
            as_of: "2025-01-01T00:00:00Z".into(),
            score: 0.4,
            mql,
            tier: tier.map(str::to_string),
        }
    }

    #[test]
    fn changes_between_runs() {
        let b = |m, t| Some(before(m, t));
        let c = Change::between;
        assert_eq!(c(None, &lead(true, Some("A"))), Some(Change::BecameMql));
        assert_eq!(c(None, &lead(false, Some("C"))), None, "new and not an MQL");
        assert_eq!(
            c(b(false, Some("C")).as_ref(), &lead(true, Some("B"))),
            Some(Change::BecameMql)
        );
        assert_eq!(
            c(b(true, Some("B")).as_ref(), &lead(false, Some("C"))),
            Some(Change::LeftMql)
        );
        assert_eq!(
            c(b(true, Some("B")).as_ref(), &lead(true, Some("A"))),
            Some(Change::TierChanged)
        );
        assert_eq!(c(b(true, Some("A")).as_ref(), &lead(true, Some("A"))), None);
    }

    #[test]
    fn crossings_sit_beside_the_output() {
        assert_eq!(
            crossings_path(Path::new("out/scores.parquet")),
            Path::new("out/scores.crossings.parquet")
        );
        assert_eq!(
            crossings_path(Path::new("s.csv")),
            Path::new("s.crossings.csv")
        );
    }

    #[test]
    fn events_are_grouped_by_lead_and_later_ones_left_out() {
        let ev = EventColumns {
            lead: vec![2, 0, 2, 1, 0],
            event_type: vec![0, 1, 0, 1, 0],
            type_names: vec!["a".into(), "b".into()],
            occurred_at: vec![10, 20, 30, 99, 5],
            path: "e.csv".into(),
            fingerprint: None,
        };
        let (g, later) = known_by(ev, 3, 50);
        assert_eq!(later, 1);
        assert_eq!(g.offsets, vec![0, 2, 2, 4]);
        assert_eq!(g.occurred_at, vec![5, 20, 10, 30], "by lead, in time order");
        let c = chunk_events(&g, 1, 2);
        assert_eq!(c.lead, vec![1, 1]);
        assert_eq!(c.occurred_at, vec![10, 30]);
    }
}
