//! The `leadscore-serve` binary: parse flags, load and check the model, bind, serve.

use anyhow::Context;
use clap::Parser;
use leadscore_serve::{App, Args, Config, ModelSource};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            leadscore_core::stderr_line!("leadscore-serve: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let config = Config::try_from(Args::parse())?;
    let bind = config.bind;
    // Everything is checked before binding: a bad artifact or target never listens.
    let app = App::new(config).context("cannot start")?;
    let serving = app.current();
    let c = &serving.cutoff;
    leadscore_core::stderr_line!(
        "leadscore-serve: model {} from {} ({} features); MQL cutoff {:.4} for precision >= {} at {}% confidence: expected precision {:.3} (lower bound {:.3}), recall {:.3}, MQL rate {:.3}",
        serving.artifact.model_id,
        serving.file.path.display(),
        serving.artifact.model.features.len(),
        c.threshold,
        c.target_precision,
        c.confidence * 100.0,
        c.precision,
        c.precision_lower_bound,
        c.recall,
        c.mql_rate
    );
    for t in serving.tiers.iter().filter(|t| t.cutoff.is_none()) {
        leadscore_core::stderr_line!(
            "leadscore-serve: warning: tier {} (precision {}) is not attainable with this model; it will not be given",
            t.name, t.target_precision
        );
    }
    if let ModelSource::Registry(dir) = &app.config.source {
        leadscore_core::stderr_line!(
            "leadscore-serve: following {} (checked every {:?})",
            dir.join(leadscore_core::registry::CURRENT).display(),
            app.config.registry_poll
        );
    }
    // Big batches are scored on the blocking pool; more threads than cores only adds switching
    // (the batch benchmark grew it to 20+ threads on one core), so cap it.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(cores.max(2) * 2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        // `serve` prints the address once its signal handlers are in place.
        leadscore_serve::serve(app, listener)
            .await
            .context("server error")
    })
}
