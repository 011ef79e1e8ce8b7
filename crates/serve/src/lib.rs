//! `leadscore-serve`: the HTTP scoring service of leadscore.
//!
//! It loads a model artifact written by `leadscore-train` (through `leadscore-core`, no polars or
//! linfa), sets the MQL cutoff from a target precision on the model's holdout operating curve,
//! and scores leads over HTTP: `POST /v1/score`, the MLflow protocol at `POST /invocations`,
//! model and cutoff inspection, admin cutoff changes and reloads, health and Prometheus metrics.
//!
//! - [`config`]: command line and environment into a checked [`Config`];
//! - [`state`]: the model in force ([`App`], swapped atomically) and scoring;
//! - [`lead`]: request leads, type-checked with JSON paths;
//! - [`api`]: routes, extractors and middleware; [`mlflow`]: `/invocations`;
//! - [`metrics`]: the Prometheus text; [`error`]: the one error enum and its JSON envelope;
//! - [`watch`]: with `--registry`, follows the registry's `CURRENT` pointer;
//! - [`ui`]: the model page at `GET /`, the report's charts and a live cutoff control.
//!
//! ```no_run
//! use leadscore_serve::{app, App, Config};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let state = App::new(Config::new("models/demo.json", 0.5))?; // fails on an unattainable target
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app(state)).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod config;
pub mod error;
pub mod lead;
pub mod metrics;
pub mod mlflow;
pub mod state;
pub mod ui;
pub mod watch;

pub use api::app;
pub use config::{Args, Config, ModelSource};
pub use error::{Error, Result};
pub use state::App;

use std::sync::Arc;

/// Waits for SIGTERM or Ctrl-C, then marks the app as draining.
async fn shutdown_signal(app: Arc<App>) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    eprintln!("leadscore-serve: shutting down, finishing requests in flight");
    app.start_draining();
}

/// Reloads the model on every SIGHUP (a failed reload keeps the old model and is logged).
#[cfg(unix)]
fn reload_on_sighup(app: Arc<App>) -> std::io::Result<()> {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            // `reload` logs the outcome.
            let _ = app.reload("SIGHUP").await;
        }
    });
    Ok(())
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C; requests in flight get
/// `config.shutdown_grace` to finish. SIGHUP reloads the model; with a registry, a change of its
/// `CURRENT` pointer does too ([`watch::watch_registry`]).
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    #[cfg(unix)]
    reload_on_sighup(app.clone())?;
    let _watcher = watch::watch_registry(app.clone());
    let grace = app.config.shutdown_grace;
    let notify = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let (app, notify) = (app.clone(), notify.clone());
        async move {
            shutdown_signal(app).await;
            notify.notify_one();
        }
    };
    let server = axum::serve(listener, api::app(app)).with_graceful_shutdown(signal);
    tokio::select! {
        result = std::future::IntoFuture::into_future(server) => result,
        () = async { notify.notified().await; tokio::time::sleep(grace).await } => {
            eprintln!("leadscore-serve: requests still running after {grace:?}; exiting");
            Ok(())
        }
    }
}
