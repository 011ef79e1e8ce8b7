//! `leadscore-train promote`: make a registry model CURRENT if it is not worse than the
//! champion on the same fresh labeled data (the rules are [`registry_cmd::promote`]'s).

use super::emit;
use super::input::FreshArgs;
use anyhow::{bail, Context};
use clap::Args;
use leadscore_core::registry::Registry;
use leadscore_train::registry_cmd::{self, Decision, PromoteOptions};
use std::path::PathBuf;

#[derive(Args)]
pub struct PromoteArgs {
    /// The registry folder.
    #[arg(long)]
    registry: PathBuf,
    /// The challenger: a model id or file name in the registry, or an artifact's path (copied
    /// into the registry if promoted).
    #[arg(long)]
    model: String,
    #[command(flatten)]
    fresh: FreshArgs,
    /// Largest ROC AUC drop from the champion's that still counts as "not worse".
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    max_auc_drop: f64,
    /// Largest log loss rise over the champion's that still counts as "not worse".
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    max_log_loss_rise: f64,
    /// Promote even if the challenger is worse, or the champion cannot be compared (a bad
    /// CURRENT); the promotion log records that it was forced.
    #[arg(long)]
    force: bool,
}

/// `promote` with its options checked.
pub struct Promote {
    registry: PathBuf,
    options: PromoteOptions,
}

/// Checks the fresh data's flags (the delimiter).
impl TryFrom<PromoteArgs> for Promote {
    type Error = anyhow::Error;

    fn try_from(a: PromoteArgs) -> anyhow::Result<Self> {
        Ok(Self {
            registry: a.registry,
            options: PromoteOptions {
                challenger: a.model,
                fresh: a.fresh.try_into()?,
                max_auc_drop: a.max_auc_drop,
                max_log_loss_rise: a.max_log_loss_rise,
                force: a.force,
            },
        })
    }
}

/// Prints the comparison and the decision; a refusal is an error (exit 1).
pub fn run(p: Promote) -> anyhow::Result<()> {
    let registry = Registry::open(&p.registry)
        .with_context(|| format!("opening the model registry {}", p.registry.display()))?;
    let p = registry_cmd::promote(&registry, &p.options)?;
    let from = p.previous.as_deref().unwrap_or("nothing");
    match &p.decision {
        Decision::AlreadyCurrent => {
            emit(format!(
                "{} already is CURRENT in {}; nothing to do\n",
                p.challenger.file_name,
                registry.dir().display()
            ))?;
        }
        Decision::Promoted { forced_over } => {
            emit(registry_cmd::comparison_text(&p))?;
            match forced_over {
                None => emit(format!(
                    "promoted: CURRENT now names {} (was {from}): {}\n",
                    p.challenger.file_name, p.reason
                ))?,
                Some(why) => emit(format!(
                    "promoted WITH --force: CURRENT now names {} (was {from}), although {why}\n",
                    p.challenger.file_name
                ))?,
            }
        }
        Decision::Refused { reason } => {
            emit(registry_cmd::comparison_text(&p))?;
            bail!(
                "model {} not promoted: {reason}. CURRENT still names {from} (--force promotes anyway; recorded in {})",
                p.challenger.artifact.model_id,
                registry.dir().join(leadscore_core::registry::PROMOTIONS).display()
            );
        }
    }
    Ok(())
}
