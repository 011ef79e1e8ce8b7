//! The background watchers over the app: [`watch_registry`] follows a registry and
//! [`watch_drift`] checks drift on an interval.
//!
//! Following a registry: a background task checks the registry's `CURRENT` pointer (and the
//! file it names) every `--registry-poll-ms` and, when either changed, reloads through
//! [`App::reload`], the same path as `POST /v1/admin/reload` and SIGHUP.
//!
//! A change is the file name in `CURRENT` or the size or modification time of the file it
//! names. A failed reload keeps the old model serving, is logged on stderr naming the file, and
//! is not retried until the pointer or the file changes again. A pointer that cannot be read
//! (missing, empty, a path) is logged, counted and recorded as a failed reload once per
//! distinct problem; the model in force stays.

use crate::config::ModelSource;
use crate::drift::DriftAlarm;
use crate::state::{resolve, App, FileStamp};
use leadscore_core::registry::CURRENT;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// What the watcher compares between two checks.
type Observation = (String, Option<FileStamp>);

/// Starts the watcher when the app serves from a registry (`None` otherwise). It stops when
/// the app starts draining.
pub fn watch_registry(app: Arc<App>) -> Option<JoinHandle<()>> {
    let ModelSource::Registry(dir) = &app.config.source else {
        return None;
    };
    let pointer = dir.join(CURRENT).display().to_string();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(app.config.registry_poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate
        let mut last_seen: Observation = app.current().file.observation();
        let mut last_problem: Option<String> = None;
        while !app.is_draining() {
            tick.tick().await;
            if app.is_draining() {
                break;
            }
            let source = app.config.source.clone();
            let observed = match tokio::task::spawn_blocking(move || resolve(&source)).await {
                Ok(Ok(file)) => file.observation(),
                Ok(Err(e)) => {
                    let problem = e.to_string();
                    if last_problem.as_deref() != Some(problem.as_str()) {
                        leadscore_core::stderr_line!(
                            "leadscore-serve: registry: {problem}; still serving model {}",
                            app.current().artifact.model_id
                        );
                        // A failed reload like any other: counted, and shown until the pointer
                        // names a model that loads (or the one in force) again.
                        app.record_reload_failure("registry", &pointer, &problem);
                        last_problem = Some(problem);
                    }
                    // Whatever the pointer names next is a change, even the model in force
                    // (which clears the failure below).
                    last_seen = (String::new(), None);
                    continue;
                }
                Err(e) => {
                    leadscore_core::stderr_line!(
                        "leadscore-serve: registry: watcher task failed: {e}"
                    );
                    continue;
                }
            };
            last_problem = None;
            if observed == last_seen {
                continue;
            }
            last_seen = observed.clone();
            // An admin reload or SIGHUP may already have loaded this very file, or the pointer
            // moved back to it after naming a bad one: nothing to load, and an earlier failure
            // no longer applies.
            if observed == app.current().file.observation() {
                app.clear_reload_error();
                continue;
            }
            // The outcome is logged (and a failure recorded) by `reload`.
            let _ = app.reload("registry").await;
        }
    }))
}

/// Starts the background drift check: every `check_interval`, the report of the model in
/// force; crossings of the threshold are logged on stderr. Stops when the app starts draining.
pub fn watch_drift(app: Arc<App>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(app.config.drift.check_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate
        let mut alarm = DriftAlarm::default();
        while !app.is_draining() {
            tick.tick().await;
            for line in alarm.check(&app.current().drift_report(&app.config.drift)) {
                leadscore_core::stderr_line!("{line}");
            }
        }
    })
}
