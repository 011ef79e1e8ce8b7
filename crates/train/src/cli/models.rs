//! `leadscore-train models`: list a registry's models and which is CURRENT.

use super::emit;
use anyhow::Context;
use clap::Args;
use leadscore_core::registry::Registry;
use leadscore_train::registry_cmd;
use std::path::PathBuf;

#[derive(Args)]
pub struct ModelsArgs {
    /// The registry folder.
    #[arg(long)]
    registry: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Prints the listing (text or JSON), then its warnings to stderr.
pub fn run(a: ModelsArgs) -> anyhow::Result<()> {
    let registry = Registry::open(&a.registry)
        .with_context(|| format!("opening the model registry {}", a.registry.display()))?;
    let listing = registry_cmd::list_models(&registry)?;
    if a.json {
        emit(serde_json::to_string(&listing)? + "\n")?;
    } else {
        emit(registry_cmd::listing_text(&listing))?;
    }
    for w in &listing.warnings {
        leadscore_core::stderr_line!("WARNING: {}", leadscore_train::report::terminal_safe(w));
    }
    Ok(())
}
