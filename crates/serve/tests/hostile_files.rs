//! Hostile files in a registry, on the real binary: `CURRENT` a symbolic link to a file
//! outside the folder (its content must not reach the reload's 422 body, `/v1/model` or
//! stderr), `CURRENT` naming a FIFO (the reload answers at once and SIGTERM still finishes).

mod common;

use common::server::Server;
use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::{file_name_for, Registry};
use std::ffi::OsStr;
use std::process::Command;
use std::time::{Duration, Instant};

const SECRET: &str = "root:SECRET-HASH-0xC0FFEE:19000:0:99999:7:::\ndaemon:*:19000::::::\n";

/// The binary with `args` (the model source) and a target, on a free port.
fn start(args: &[&OsStr]) -> Server {
    let mut all = args.to_vec();
    all.extend(["--target-precision", "0.5"].map(OsStr::new));
    Server::start(common::SERVE_BIN, all)
}

/// One request by the tests' HTTP client, with the time it took.
fn call(server: &Server, method: &str, path: &str) -> (u16, String, Duration) {
    let start = Instant::now();
    let (status, body) = common::http::Http::new(server.addr, Duration::from_secs(20)).request(
        method,
        path,
        None,
        &[],
    );
    (status, body, start.elapsed())
}

#[cfg(unix)]
#[test]
fn a_linked_or_fifo_current_is_refused_promptly_and_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    std::fs::write(&secret, SECRET).unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let artifact = ModelArtifact::load(common::demo_model()).unwrap();
    registry.add(&artifact).unwrap();
    registry
        .set_current(&file_name_for(&artifact.model_id))
        .unwrap();
    let mut server = start(&[
        "--registry".as_ref(),
        dir.path().as_os_str(),
        "--registry-poll-ms".as_ref(),
        "50".as_ref(),
    ]);
    let pointer = registry.pointer_path();

    // CURRENT becomes a symbolic link to the secret: the watcher and an admin reload refuse it.
    std::fs::remove_file(&pointer).unwrap();
    std::os::unix::fs::symlink(&secret, &pointer).unwrap();
    std::thread::sleep(Duration::from_millis(300)); // a few polls of the watcher
    let (status, body, took) = call(&server, "POST", "/v1/admin/reload");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("symbolic link"), "{body}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (status, model, _) = call(&server, "GET", "/v1/model");
    assert_eq!(status, 200);
    assert!(model.contains("symbolic link"), "{model}");
    for text in [&body, &model] {
        assert!(
            !text.contains("SECRET") && !text.contains("daemon"),
            "{text}"
        );
    }

    // CURRENT names a FIFO: refused at once; the watcher keeps going; admin calls still work.
    let fifo = dir.path().join("fifo.json");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::remove_file(&pointer).unwrap();
    std::fs::write(&pointer, "fifo.json\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (status, body, took) = call(&server, "POST", "/v1/admin/reload");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("FIFO"), "{body}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (status, _, _) = call(&server, "GET", "/readyz");
    assert_eq!(status, 200);

    // SIGTERM finishes promptly (nothing is stuck on the FIFO).
    server.terminate_within(Duration::from_secs(10));
    let stderr = server.stderr();
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(
        !stderr.contains("SECRET") && !stderr.contains("daemon"),
        "{stderr}"
    );
}
