//! `leadscore-train funnel`: leads, MQLs and how the MQLs converted, by a lead column and
//! period, from `score` outputs or the server's decision log and an outcomes table.

use super::emit;
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use leadscore_core::funnel::Period;
use leadscore_train::funnel::{compute, text, FunnelOptions};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum PeriodArg {
    Week,
    Month,
}

#[derive(Args)]
pub struct FunnelArgs {
    /// Outputs of `leadscore-train score` (CSV or Parquet), e.g. every nightly run.
    #[arg(long, num_args = 1.., conflicts_with = "decision_log")]
    scores: Vec<PathBuf>,
    /// The server's decision log: a decisions.jsonl file, or the folder with it and its
    /// rotated files.
    #[arg(long)]
    decision_log: Option<PathBuf>,
    /// Outcomes (CSV or Parquet): lead id, optionally converted (1/0) and converted_at; a lead
    /// missing from it did not convert.
    #[arg(long)]
    outcomes: PathBuf,
    /// The outcomes' `converted` values that mean converted, when they are not the model's
    /// (`Won` beside `Lost`); repeat for several. Default: 1, true, yes, y.
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// Group by this column: `tier` or `model_id` of the score files, or with --leads any lead
    /// column (e.g. lead_source). Default: all leads in one group.
    #[arg(long)]
    by: Option<String>,
    /// A leads file holding the --by column.
    #[arg(long)]
    leads: Option<PathBuf>,
    /// The lead id column of every file.
    #[arg(long, default_value = "lead_id")]
    id: String,
    /// Rows per week (named by its Monday) or per month.
    #[arg(long, value_enum, default_value = "month")]
    period: PeriodArg,
    /// Days after becoming an MQL within which a conversion counts.
    #[arg(long, default_value_t = 90.0)]
    horizon_days: f64,
    /// "Now" for deciding whether an MQL's horizon has passed (RFC 3339; default: the clock).
    #[arg(long)]
    now: Option<String>,
    /// The precision promised for the MQLs: rows whose realized precision is below it are
    /// marked.
    #[arg(long)]
    target_precision: Option<f64>,
    /// Confidence of the precision lower bounds.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Print one JSON object instead of the table (the input of `report --funnel`).
    #[arg(long)]
    json: bool,
}

/// `funnel` with its options checked.
pub struct FunnelJob {
    options: FunnelOptions,
    json: bool,
}

/// Parses `--now`; the rest is checked by the library before any file is read.
impl TryFrom<FunnelArgs> for FunnelJob {
    type Error = anyhow::Error;

    fn try_from(a: FunnelArgs) -> anyhow::Result<Self> {
        let now = match &a.now {
            None => chrono::Utc::now().timestamp(),
            Some(t) => leadscore_core::value::parse_timestamp(t)
                .with_context(|| format!("--now {t:?} is not a time"))?,
        };
        if a.scores.is_empty() && a.decision_log.is_none() {
            bail!("give --scores FILE... (outputs of `score`) or --decision-log DIR");
        }
        Ok(Self {
            options: FunnelOptions {
                scores: a.scores,
                decision_log: a.decision_log,
                outcomes: a.outcomes,
                positive: a.positive,
                leads: a.leads,
                id: a.id,
                by: a.by,
                period: match a.period {
                    PeriodArg::Week => Period::Week,
                    PeriodArg::Month => Period::Month,
                },
                horizon_days: a.horizon_days,
                now,
                target_precision: a.target_precision,
                confidence: a.confidence,
            },
            json: a.json,
        })
    }
}

/// Prints the table, or the JSON object.
pub fn run(job: FunnelJob) -> anyhow::Result<()> {
    let f = compute(&job.options)?;
    if job.json {
        emit(serde_json::to_string_pretty(&f)? + "\n")?;
    } else {
        emit(text(&f))?;
    }
    Ok(())
}
