//! `leadscore-train evaluate`: a model's metrics on labeled data it has never seen.

use super::emit;
use super::input::FreshArgs;
use clap::Args;
use leadscore_core::artifact::ModelArtifact;
use leadscore_train::pipeline::{evaluate_fresh, FreshData};
use leadscore_train::{registry_cmd, report};
use std::path::PathBuf;

#[derive(Args)]
pub struct EvaluateArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    fresh: FreshArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `evaluate` with its options checked.
pub struct Evaluate {
    model: PathBuf,
    fresh: FreshData,
    json: bool,
}

/// Checks the fresh data's flags (the delimiter).
impl TryFrom<EvaluateArgs> for Evaluate {
    type Error = anyhow::Error;

    fn try_from(a: EvaluateArgs) -> anyhow::Result<Self> {
        Ok(Self {
            model: a.model,
            fresh: a.fresh.try_into()?,
            json: a.json,
        })
    }
}

/// Prints the metrics as text (with the precision targets) or JSON.
pub fn run(e: Evaluate) -> anyhow::Result<()> {
    let artifact = ModelArtifact::load(&e.model)?;
    let result = evaluate_fresh(&artifact, &e.fresh)?;
    if e.json {
        emit(serde_json::to_string(&result)? + "\n")?;
    } else {
        emit(format!("model {} on ", result.model_id))?;
        emit(registry_cmd::fresh_data_text(&result))?;
        emit(report::unseen_text(&result.unseen))?;
        emit(report::metrics_text(
            &result.evaluation,
            artifact.provenance.unit(),
        ))?;
        // An age-aware model's promise is judged on the handoff curve of these leads.
        emit(report::targets_text(
            result.handoff_curve.as_ref().unwrap_or(&result.curve),
        ))?;
        emit(report::model_cutoffs_text(&result.model_cutoffs))?;
    }
    Ok(())
}
