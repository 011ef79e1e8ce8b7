//! Hostile files in a registry, on the real binary: `CURRENT` a symbolic link to a file
//! outside the folder (its content must not reach the reload's 422 body, `/v1/model` or
//! stderr), `CURRENT` naming a FIFO (the reload answers at once and SIGTERM still finishes).

mod common;

use leadscore_core::artifact::ModelArtifact;
use leadscore_core::registry::{file_name_for, Registry};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "root:SECRET-HASH-0xC0FFEE:19000:0:99999:7:::\ndaemon:*:19000::::::\n";

struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(args: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore-serve"))
            .args(args)
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let stderr = Arc::new(Mutex::new(String::new()));
        let reader = {
            let (pipe, stderr) = (child.stderr.take().unwrap(), stderr.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    eprintln!("{line}");
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            })
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server {
            child,
            addr,
            stderr,
            reader: Some(reader),
        }
    }

    /// One request by the tests' HTTP client, with the time it took.
    fn call(&self, method: &str, path: &str) -> (u16, String, Duration) {
        let start = Instant::now();
        let (status, body) = common::http::Http::new(self.addr, Duration::from_secs(20)).request(
            method,
            path,
            None,
            &[],
        );
        (status, body, start.elapsed())
    }

    /// SIGTERM; the exit must come within `limit`.
    fn terminate_within(&mut self, limit: Duration) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                break;
            }
            assert!(start.elapsed() < limit, "no exit {limit:?} after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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
    let mut server = Server::start(&[
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
    let (status, body, took) = server.call("POST", "/v1/admin/reload");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("symbolic link"), "{body}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (status, model, _) = server.call("GET", "/v1/model");
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
    let (status, body, took) = server.call("POST", "/v1/admin/reload");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("FIFO"), "{body}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (status, _, _) = server.call("GET", "/readyz");
    assert_eq!(status, 200);

    // SIGTERM finishes promptly (nothing is stuck on the FIFO).
    server.terminate_within(Duration::from_secs(10));
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(
        !stderr.contains("SECRET") && !stderr.contains("daemon"),
        "{stderr}"
    );
}
