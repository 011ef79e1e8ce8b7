//! `leadscore-serve`: the HTTP scoring service of leadscore.
//!
//! It loads a model artifact written by `leadscore-train` (through `leadscore-core`, no polars or
//! linfa), sets the MQL cutoff from a target precision on the model's holdout operating curve,
//! and scores leads over HTTP: `POST /v1/score`, the MLflow protocol at `POST /invocations`,
//! model and cutoff inspection, admin cutoff changes and reloads, health and Prometheus metrics.
//!
//! The modules form layers, lowest first; each uses only modules of the layers before its own
//! (so there are no import cycles; `tests/layers.rs` checks both against this list):
//!
//! 1. [`error`], [`json_text`], [`buffers`]: the one error enum and its JSON envelope; JSON
//!    strings and numbers written by hand (and where a string needs escaping, which the
//!    request reader uses too); answer buffers reused per thread;
//! 2. [`config`]: command line and environment into a checked [`Config`], with the settings
//!    types the others read (tiers, from `leadscore-core`; drift; the decision log);
//! 3. [`conn`]: the connections under the router (hyper's HTTP/1 with a header-read and an
//!    idle timeout, the connection cap, hyper's own parse errors in the envelope, the drain);
//! 4. [`http`], [`lead`]: the HTTP plumbing every route shares (extractors, JSON responses, the
//!    blocking pool, the clock); request leads, type-checked with JSON paths;
//! 5. [`drift`], [`decisions`]: live scores and field fill rates against the artifact's
//!    reference (PSI); with `--decision-log`, the scored-lead log (a writer thread, JSON lines);
//! 6. [`metrics`]: the Prometheus counters (the decision log's queue lives beside them);
//! 7. [`state`]: the model in force ([`App`], swapped atomically), its cutoffs and tiers, scoring;
//! 8. [`scoring`], [`json_out`], [`ui`], [`watch`]: scoring a request and recording it
//!    (metrics, drift, decision log); the `/v1/score` answer written as bytes; the model page at
//!    `GET /` (the report's charts, a live cutoff control); background tasks (with
//!    `--registry`, following its `CURRENT` pointer; the drift check);
//! 9. [`mlflow`]: the MLflow scoring protocol (`POST /invocations`, `GET /ping`, `/health`,
//!    `/version`);
//! 10. [`api`]: the routes with their handlers and middleware ([`app`]).
//!
//! ```no_run
//! use leadscore_serve::{app, App, Config};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let state = App::new(Config::new("models/demo.json", 0.5))?; // fails on an unattainable target
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! // `leadscore_serve::serve(state, listener)` adds the connection limits, signals and drain.
//! axum::serve(listener, app(state)).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod buffers;
pub mod config;
pub mod conn;
pub mod decisions;
pub mod drift;
pub mod error;
pub mod http;
pub mod json_out;
pub mod json_text;
pub mod lead;
pub mod metrics;
pub mod mlflow;
pub mod scoring;
pub mod state;
pub mod ui;
pub mod watch;

pub use api::app;
pub use config::{Args, Config, ModelSource};
pub use error::{Error, Result};
pub use state::App;

use std::sync::Arc;

/// SIGTERM, listened for from the moment this is called (so a signal that arrives before the
/// shutdown future is first polled is not lost, nor the process killed by its default action).
#[cfg(unix)]
type Terminate = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Terminate = ();

/// Waits for SIGTERM or Ctrl-C, then marks the app as draining.
async fn shutdown_signal(app: Arc<App>, stop_accepting: Arc<tokio::sync::Notify>, term: Terminate) {
    a_signal(term).await;
    // Drain first: stop accepting (new connections are refused), keep serving the open ones for
    // a moment with `Connection: close` on every answer (and 503 from /readyz), so keep-alive
    // clients move off after their answer instead of losing a request they already sent on a
    // connection the shutdown would close under them.
    let drain = (app.config.shutdown_grace / 4).min(std::time::Duration::from_secs(1));
    leadscore_core::stderr_line!(
        "leadscore-serve: shutting down: answering with `Connection: close` for {drain:?}, then finishing requests in flight"
    );
    app.start_draining();
    stop_accepting.notify_one();
    tokio::time::sleep(drain).await;
}

/// SIGTERM (through `term`, registered beforehand) or Ctrl-C.
async fn a_signal(#[allow(unused_variables)] term: Terminate) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match term {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
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

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, each connection under the limits of
/// [`conn`]; requests in flight get `config.shutdown_grace` to finish, then the decision log (if
/// on) is written out and fsynced.
/// SIGHUP reloads the model; with a registry, a change of its `CURRENT` pointer does too
/// ([`watch::watch_registry`]); [`watch::watch_drift`] logs drift.
///
/// Prints `leadscore-serve: listening on http://ADDR` on stdout once the signal handlers are in
/// place (a SIGHUP or SIGTERM sent as soon as that line appears is handled, never fatal).
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    #[cfg(unix)]
    reload_on_sighup(app.clone())?;
    #[cfg(unix)]
    let term: Terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(not(unix))]
    let term: Terminate = ();
    // Before listening: a log folder another server holds stops the start.
    let decision_writer = match &app.config.decision_log {
        Some(config) => Some(app.metrics.decisions.start(config)?),
        None => None,
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout();
        writeln!(
            out,
            "leadscore-serve: listening on http://{}",
            listener.local_addr()?
        )?;
        out.flush()?;
    }
    let _watcher = watch::watch_registry(app.clone());
    let _drift = watch::watch_drift(app.clone());
    let grace = app.config.shutdown_grace;
    let notify = Arc::new(tokio::sync::Notify::new());
    let stop_accepting = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let (app, notify, stop) = (app.clone(), notify.clone(), stop_accepting.clone());
        async move {
            shutdown_signal(app, stop, term).await;
            notify.notify_one();
        }
    };
    let limits = conn::Limits::new(&app.config, conn::open_files_limit());
    if limits.max_connections < app.config.max_connections {
        leadscore_core::stderr_line!(
            "leadscore-serve: serving at most {} connections (--max-connections {} is more than the open-files limit leaves room for)",
            limits.max_connections, app.config.max_connections
        );
    }
    let server = conn::serve(
        listener,
        {
            let routes = api::Routes::new(app.clone());
            Arc::new(move |req, local| routes.call(req, local))
        },
        limits,
        stop_accepting,
        signal,
    );
    let result = tokio::select! {
        result = server => result,
        () = async { notify.notified().await; tokio::time::sleep(grace).await } => {
            leadscore_core::stderr_line!("leadscore-serve: requests still running after {grace:?}; exiting");
            Ok(())
        }
    };
    // Every request has finished (or the grace is over): write out the decision log, for up
    // to DECISION_LOG_FLUSH_LIMIT; a second SIGTERM or Ctrl-C meanwhile exits at once (a disk
    // that stalls must not hold an operator's restart).
    if let Some(writer) = decision_writer {
        #[cfg(unix)]
        let again: Terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        #[cfg(not(unix))]
        let again: Terminate = ();
        let finishing = {
            let app = app.clone();
            tokio::task::spawn_blocking(move || {
                writer.finish(&app.metrics.decisions, DECISION_LOG_FLUSH_LIMIT)
            })
        };
        tokio::select! {
            _ = finishing => {}
            () = a_signal(again) => {
                leadscore_core::stderr_line!(
                    "leadscore-serve: second signal while writing out the decision log: exiting now; {} decisions still queued are lost",
                    app.metrics.decisions.stats.queued.load(std::sync::atomic::Ordering::Relaxed)
                );
                std::process::exit(1);
            }
        }
    }
    result
}

/// At shutdown, the longest wait for the decision log to be written out and fsynced.
const DECISION_LOG_FLUSH_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);
