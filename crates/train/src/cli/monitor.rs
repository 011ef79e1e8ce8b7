//! `leadscore-train monitor`: realized precision and recall of the served cutoff, from the
//! server's decision log and the outcomes known since.

use super::emit;
use anyhow::Context;
use clap::Args;
use leadscore_train::monitor::{monitor, render_text, MonitorOptions};
use std::path::PathBuf;

#[derive(Args)]
pub struct MonitorArgs {
    /// The model artifact whose decisions to check.
    #[arg(long)]
    model: PathBuf,
    /// The decision log: a decisions.jsonl file, or the folder with it and its rotated files.
    #[arg(long)]
    log: PathBuf,
    /// Outcomes (CSV or Parquet): lead id, optionally converted (1/0) and converted_at; a lead
    /// missing from it did not convert.
    #[arg(long)]
    outcomes: PathBuf,
    /// The outcomes' `converted` values that mean converted, when they are not the model's
    /// (`Won` beside `Lost`); repeat for several. Default: the model's positive values.
    #[arg(long = "positive")]
    positive: Vec<String>,
    /// Days after a decision's as_of within which a conversion counts (default: the model's
    /// training horizon, else 90).
    #[arg(long)]
    horizon_days: Option<f64>,
    /// "Now" for deciding whether a lead's horizon has passed (RFC 3339; default: the clock).
    #[arg(long)]
    now: Option<String>,
    /// Include decisions of every model in the log (promises only for --model's).
    #[arg(long)]
    all_models: bool,
    /// Confidence of the precision lower bounds (0.5 to below 1).
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// The server's --gates file, when it served with gates other than the model's: the
    /// promises are then read on the curve it computed with them.
    #[arg(long)]
    gates: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `monitor` with its options checked.
pub struct Monitor {
    options: MonitorOptions,
    json: bool,
}

/// Parses `--now` into Unix seconds.
impl TryFrom<MonitorArgs> for Monitor {
    type Error = anyhow::Error;

    fn try_from(a: MonitorArgs) -> anyhow::Result<Self> {
        let now = match &a.now {
            None => None,
            Some(t) => Some(
                leadscore_core::value::parse_timestamp(t)
                    .with_context(|| format!("--now {t:?} is not a time"))?,
            ),
        };
        Ok(Self {
            options: MonitorOptions {
                model: a.model,
                log: a.log,
                outcomes: a.outcomes,
                positive: a.positive,
                horizon_days: a.horizon_days,
                now,
                all_models: a.all_models,
                confidence: a.confidence,
                gates: a.gates,
            },
            json: a.json,
        })
    }
}

/// Prints the report as text or JSON.
pub fn run(m: Monitor) -> anyhow::Result<()> {
    let report = monitor(&m.options)?;
    if m.json {
        emit(serde_json::to_string(&report)? + "\n")?;
    } else {
        emit(render_text(&report))?;
    }
    Ok(())
}
