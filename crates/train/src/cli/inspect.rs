//! `leadscore-train inspect`: a model's headline metrics and weights.

use super::emit;
use clap::Args;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::metrics::metric_text;
use leadscore_train::report;
use std::path::PathBuf;

#[derive(Args)]
pub struct InspectArgs {
    /// The model artifact.
    #[arg(long)]
    model: PathBuf,
    /// Show only the strongest N weights.
    #[arg(long)]
    limit: Option<usize>,
}

/// Prints the training provenance, the holdout metrics, the weights and the warnings.
pub fn run(a: InspectArgs) -> anyhow::Result<()> {
    let artifact = ModelArtifact::load(&a.model)?;
    let p = &artifact.provenance;
    emit(
        format!(
            "model {}  created {}  trained on {} {} ({} converted)",
            artifact.model_id,
            artifact.created_at,
            p.train_rows,
            p.unit(),
            p.train_positives
        ) + "\n",
    )?;
    let e = &artifact.evaluation;
    emit(
        format!(
            "holdout ({} {}): ROC AUC {}  PR AUC {}  log loss {:.4}  Brier {:.4}",
            e.n,
            p.unit(),
            metric_text(e.roc_auc, 4),
            metric_text(e.pr_auc, 4),
            e.log_loss,
            e.brier
        ) + "\n",
    )?;
    if let Some(r) = &artifact.replay {
        emit(format!(
            "cutoffs on the handoff curve: {} holdout leads replayed through their lives ({} moments)\n",
            r.leads, r.moments
        ))?;
    }
    emit(report::fields_text(&artifact, a.limit))?;
    emit(report::weights_text(&artifact, a.limit))?;
    for w in &p.warnings {
        emit(format!("WARNING: {w}") + "\n")?;
    }
    Ok(())
}
