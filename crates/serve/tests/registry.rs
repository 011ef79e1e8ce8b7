//! Serving from a registry folder (`--registry`): start on the model `CURRENT` names, follow the
//! pointer (watcher, admin reload), and keep serving when the new target is broken.

mod common;

use common::{demo_lead, demo_model, get, json_request, send, TARGET};
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::{file_name_for, Registry};
use leadscore_serve::{App, Config};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A registry with two valid models (the demo model and a re-sealed copy with another id),
/// `CURRENT` on the first. Returns the folder, the registry and both ids.
fn registry() -> (tempfile::TempDir, Registry, [String; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let a = ModelArtifact::load(demo_model()).unwrap();
    let mut b = a.clone();
    b.created_at = "2030-01-01T00:00:00Z".into();
    b.seal();
    assert_ne!(a.model_id, b.model_id);
    registry.add(&a).unwrap();
    registry.add(&b).unwrap();
    registry.set_current(&file_name_for(&a.model_id)).unwrap();
    (dir, registry, [a.model_id, b.model_id])
}

fn app_on(registry: &Registry, poll_ms: u64) -> Arc<App> {
    let mut config = Config::registry(registry.dir(), TARGET);
    config.registry_poll = Duration::from_millis(poll_ms);
    App::new(config).expect("start on the registry")
}

async fn model(state: &Arc<App>) -> Value {
    send(state, get("/v1/model")).await.json()
}

async fn score_model_id(state: &Arc<App>) -> String {
    let r = send(
        state,
        json_request("POST", "/v1/score", demo_lead().to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["model_id"].as_str().unwrap().to_string()
}

/// Polls `/v1/model` until `done` holds (at most 10 s).
async fn wait_for(state: &Arc<App>, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let m = model(state).await;
        if done(&m) {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}; /v1/model: {}",
            m["file"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn starts_on_the_model_current_names_and_reports_the_file() {
    let (dir, registry, [a, _]) = registry();
    let state = app_on(&registry, 2000);
    let m = model(&state).await;
    assert_eq!(m["model_id"], a.as_str());
    assert_eq!(m["file"]["file_name"], file_name_for(&a));
    assert_eq!(
        m["file"]["registry"].as_str().unwrap(),
        dir.path().display().to_string()
    );
    assert!(m["last_reload_error"].is_null(), "{m}");
    assert_eq!(score_model_id(&state).await, a);
}

#[test]
fn start_up_refuses_a_registry_without_a_usable_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let err = App::new(Config::registry(dir.path(), TARGET))
        .unwrap_err()
        .to_string();
    assert!(err.contains("CURRENT"), "no pointer: {err}");
    std::fs::write(registry.pointer_path(), "../demo.json\n").unwrap();
    let err = App::new(Config::registry(dir.path(), TARGET))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CURRENT") && err.contains("path separator"),
        "{err}"
    );
    // CURRENT naming a model file that was deleted: said so, naming CURRENT.
    std::fs::write(registry.pointer_path(), "0123456789abcdef.json\n").unwrap();
    let err = App::new(Config::registry(dir.path(), TARGET))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CURRENT")
            && err.contains("0123456789abcdef.json, which is not in the folder"),
        "{err}"
    );
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let err = App::new(Config::registry(&file, TARGET))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a directory"), "{err}");
}

#[tokio::test]
async fn admin_reload_re_resolves_the_pointer() {
    let (_dir, registry, [a, b]) = registry();
    let state = app_on(&registry, 60_000); // no watcher running in this test
    registry.set_current(&file_name_for(&b)).unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["model_id"], b.as_str());
    assert_eq!(r.json()["previous_model_id"], a.as_str());
    assert_eq!(r.json()["file"]["file_name"], file_name_for(&b));
    assert_eq!(score_model_id(&state).await, b);
    // A pointer that went missing: refused, naming CURRENT; the model keeps serving.
    std::fs::remove_file(registry.pointer_path()).unwrap();
    let r = send(&state, json_request("POST", "/v1/admin/reload", "")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (422, "reload_failed")
    );
    assert!(
        r.text.contains("CURRENT") && r.text.contains(&b),
        "{}",
        r.text
    );
    assert_eq!(score_model_id(&state).await, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_follows_current_and_keeps_serving_when_the_target_is_corrupt() {
    let (dir, registry, [a, b]) = registry();
    let state = app_on(&registry, 50);
    let watcher = leadscore_serve::watch::watch_registry(state.clone()).expect("a registry");
    assert_eq!(score_model_id(&state).await, a);

    // (b) The pointer moves to the second model: served within a bounded wait.
    registry.set_current(&file_name_for(&b)).unwrap();
    let m = wait_for(&state, "model b", |m| m["model_id"] == b.as_str()).await;
    assert_eq!(m["file"]["file_name"], file_name_for(&b));
    assert_eq!(score_model_id(&state).await, b);

    // (c) The pointer moves to a corrupt file: the old model keeps serving, the failure is
    // reported (in /v1/model and the metrics) naming the file.
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"format_version\": 2, \"trunc",
    )
    .unwrap();
    registry.set_current("broken.json").unwrap();
    let m = wait_for(&state, "the failed reload", |m| {
        !m["last_reload_error"].is_null()
    })
    .await;
    let failure = &m["last_reload_error"];
    assert_eq!(m["model_id"], b.as_str(), "{m}");
    assert_eq!(failure["trigger"], "registry");
    assert!(
        failure["file"].as_str().unwrap().ends_with("broken.json"),
        "{failure}"
    );
    assert!(
        failure["reason"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{failure}"
    );
    assert_eq!(score_model_id(&state).await, b);
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(
        metrics.contains("leadscore_reloads_total{outcome=\"failed\"} 1"),
        "not retried while nothing changes: {metrics}"
    );
    // Still not retried a few polls later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(
        metrics.contains("leadscore_reloads_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );

    // A bad pointer (a path) is refused the same way: counted and shown, once; the model
    // keeps serving.
    std::fs::write(registry.pointer_path(), "../elsewhere.json\n").unwrap();
    let m = wait_for(&state, "the bad pointer", |m| {
        m["last_reload_error"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("CURRENT"))
    })
    .await;
    assert!(
        m["last_reload_error"]["reason"]
            .as_str()
            .unwrap()
            .contains("plain file name"),
        "{m}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(score_model_id(&state).await, b);
    let metrics = send(&state, get("/metrics")).await.text;
    assert!(
        metrics.contains("leadscore_reloads_total{outcome=\"failed\"} 2"),
        "{metrics}"
    );

    // The pointer names the model in force again: nothing to load, and the error no longer
    // applies (it stayed, since the watcher had last seen that very name).
    registry.set_current(&file_name_for(&b)).unwrap();
    wait_for(&state, "the error cleared", |m| {
        m["last_reload_error"].is_null()
    })
    .await;
    std::fs::write(registry.pointer_path(), "../elsewhere.json\n").unwrap();
    wait_for(&state, "the bad pointer again", |m| {
        !m["last_reload_error"].is_null()
    })
    .await;

    // Back to the first model: served again, and the error is cleared.
    registry.set_current(&file_name_for(&a)).unwrap();
    let m = wait_for(&state, "model a", |m| m["model_id"] == a.as_str()).await;
    assert!(m["last_reload_error"].is_null(), "{m}");

    // The file CURRENT names is replaced in place (same name, new content): reloaded too.
    let b_artifact = ModelArtifact::load(&dir.path().join(file_name_for(&b))).unwrap();
    b_artifact
        .write_atomic(&dir.path().join(file_name_for(&a)))
        .unwrap();
    wait_for(&state, "the replaced file", |m| m["model_id"] == b.as_str()).await;

    // The watcher stops when the server drains.
    state.start_draining();
    tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .expect("watcher stops after draining")
        .unwrap();
}

/// Recognisable content outside the registry, as a secret file would be.
const SECRET: &str = "root:SECRET-HASH-0xC0FFEE:19000:0:99999:7:::\ndaemon:*:19000::::::\n";

/// A reload through the admin call: status, body, and the time it took.
async fn reload(state: &Arc<App>) -> (u16, String, Duration) {
    let start = Instant::now();
    let r = send(state, json_request("POST", "/v1/admin/reload", "")).await;
    (r.status.as_u16(), r.text, start.elapsed())
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_registry_files_are_refused_promptly_without_quoting_them() {
    let (dir, registry, [a, b]) = registry();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, SECRET).unwrap();
    let model_len = std::fs::metadata(dir.path().join(file_name_for(&a)))
        .unwrap()
        .len();
    let mut config = Config::registry(registry.dir(), TARGET);
    config.registry_poll = Duration::from_secs(60);
    config.max_model_bytes = model_len + 100;
    let state = App::new(config).unwrap();
    let pointer = registry.pointer_path();
    let set_pointer = |how: &dyn Fn(&std::path::Path)| {
        let _ = std::fs::remove_file(&pointer);
        how(&pointer);
    };
    let refused = |status: u16, body: &str, took: Duration, expect: &str| {
        assert_eq!(status, 422, "{body}");
        assert!(body.contains(expect), "expected {expect:?} in {body}");
        assert!(
            !body.contains("SECRET") && !body.contains("daemon"),
            "{body}"
        );
        assert!(body.contains(&a), "names the model still serving: {body}");
        assert!(took < Duration::from_secs(2), "took {took:?}");
    };

    // (1) CURRENT is a symbolic link to a file outside the folder.
    set_pointer(&|p| std::os::unix::fs::symlink(&secret, p).unwrap());
    let (status, body, took) = reload(&state).await;
    refused(status, &body, took, "symbolic link");
    let m = model(&state).await.to_string();
    assert!(m.contains("symbolic link") && !m.contains("SECRET"), "{m}");

    // (2) CURRENT is a copy of that file (several lines): not quoted either.
    set_pointer(&|p| {
        std::fs::copy(&secret, p).unwrap();
    });
    let (status, body, took) = reload(&state).await;
    refused(status, &body, took, "plain file name");

    // (3) The model CURRENT names is a link to the secret, or to /dev/zero.
    for (name, target) in [
        ("evil.json", secret.as_path()),
        ("zero.json", "/dev/zero".as_ref()),
    ] {
        std::os::unix::fs::symlink(target, dir.path().join(name)).unwrap();
        set_pointer(&|p| std::fs::write(p, format!("{name}\n")).unwrap());
        let (status, body, took) = reload(&state).await;
        refused(status, &body, took, "symbolic link");
    }

    // (4) CURRENT names a FIFO: refused at once, the writer lock is free again.
    let fifo = dir.path().join("fifo.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    set_pointer(&|p| std::fs::write(p, "fifo.json\n").unwrap());
    let (status, body, took) = reload(&state).await;
    refused(status, &body, took, "FIFO");
    // CURRENT itself a FIFO.
    set_pointer(&|p| {
        assert!(std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success())
    });
    let (status, body, took) = reload(&state).await;
    refused(status, &body, took, "FIFO");
    let r = send(
        &state,
        json_request("PUT", "/v1/cutoff", r#"{"target_precision": 0.6}"#),
    )
    .await;
    assert_eq!(r.status, 200, "admin calls still work: {}", r.text);

    // (5) A model over --max-model-bytes (sparse: nothing is written or read).
    let big = std::fs::File::create(dir.path().join("big.json")).unwrap();
    big.set_len(model_len + 101).unwrap();
    set_pointer(&|p| std::fs::write(p, "big.json\n").unwrap());
    let (status, body, took) = reload(&state).await;
    refused(
        status,
        &body,
        took,
        &format!("over the limit of {} bytes", model_len + 100),
    );

    // (6) A 50 MB CURRENT: refused by its size, naming the 4 KiB limit.
    set_pointer(&|p| {
        std::fs::File::create(p)
            .unwrap()
            .set_len(50_000_000)
            .unwrap()
    });
    let (status, body, took) = reload(&state).await;
    refused(status, &body, took, "4096 bytes (4 KiB)");

    // Still serving the first model; a good pointer reloads and clears the error.
    assert_eq!(score_model_id(&state).await, a);
    set_pointer(&|p| std::fs::write(p, format!("{}\n", file_name_for(&b))).unwrap());
    let (status, body, _) = reload(&state).await;
    assert_eq!(status, 200, "{body}");
    assert!(model(&state).await["last_reload_error"].is_null());
}

#[cfg(unix)]
#[tokio::test]
async fn a_model_file_that_is_a_symbolic_link_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, SECRET).unwrap();
    let link = outside.path().join("model.json");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let err = App::new(Config::new(&link, TARGET))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("symbolic link") && err.contains("readlink -f"),
        "{err}"
    );
    assert!(!err.contains("SECRET"), "{err}");
    // Even to a good model: --model names the file itself.
    let good = outside.path().join("good.json");
    std::os::unix::fs::symlink(demo_model(), &good).unwrap();
    assert!(App::new(Config::new(&good, TARGET)).is_err());

    // A model file replaced by a link after start-up: the reload is refused.
    let (_dir, path) = common::demo_model_copy();
    let state = App::new(Config::new(&path, TARGET)).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&secret, &path).unwrap();
    let (status, body, _) = reload(&state).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("symbolic link") && !body.contains("SECRET"),
        "{body}"
    );
}

/// A model file of 1 GiB (sparse: nothing is written or read) with the default
/// `--max-model-bytes`: refused by its size at start-up and on a reload, before a byte is read
/// (it used to be read whole).
#[tokio::test]
async fn a_model_over_the_default_size_limit_is_refused_unread() {
    let huge = |path: &std::path::Path| {
        let file = std::fs::File::create(path).unwrap();
        file.set_len(1 << 30).unwrap();
    };
    let refused = |text: &str| {
        assert!(
            text.contains("1073741824 bytes (1024 MiB), over the limit of 268435456 bytes"),
            "{text}"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    huge(&big);
    let err = App::new(Config::new(&big, TARGET)).unwrap_err().to_string();
    refused(&err);

    let (_dir, path) = common::demo_model_copy();
    let state = App::new(Config::new(&path, TARGET)).unwrap();
    huge(&path);
    let (status, body, _) = reload(&state).await;
    assert_eq!(status, 422, "{body}");
    refused(&body);
}
