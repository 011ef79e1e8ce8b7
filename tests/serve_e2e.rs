//! End to end: the real `leadscore-serve` binary on a free loopback port, called over HTTP with
//! a tiny HTTP/1.1 client: scoring, reload under load (no request may fail), SIGTERM shutdown,
//! and start-up refusals.

mod common;

use leadscore_train::pipeline::{train, TrainConfig};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Builds the binary with the same cargo and finds it beside the test executable.
fn binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-p", "leadscore-serve"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p leadscore-serve failed");
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).expect(".../debug");
    let bin = dir.join(format!("leadscore-serve{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not found", bin.display());
    bin
}

/// Trains a demo model with `seed` into `path`.
fn demo_model(seed: u64, path: &Path) {
    let mut c = TrainConfig::new(common::repo("data/demo-leads.csv"));
    c.spec = Some(common::repo("data/demo-spec.toml"));
    c.seed = seed;
    train(&c)
        .expect("train")
        .artifact
        .write_atomic(path)
        .unwrap();
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(bin: &Path, model: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(bin)
            .args(["--model"])
            .arg(model)
            .args(["--target-precision", "0.5", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start server");
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
        Server { child, addr }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
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

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("header end");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, body.to_string())
}

fn lead() -> String {
    json!({
        "created_at": "2025-01-01 09:20:07", "email": "ana@acme.io", "job_title": "VP Marketing",
        "company_size": 250, "industry": "Software", "country": "Germany",
        "lead_source": "Referral", "pricing_page_visits": 4, "webinar_attended": "yes"
    })
    .to_string()
}

#[test]
fn serves_reloads_under_load_and_shuts_down_cleanly() {
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let (a, b, live) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("live.json"),
    );
    demo_model(7, &a);
    demo_model(8, &b);
    std::fs::copy(&a, &live).unwrap();
    let ids: Vec<String> = [&a, &b]
        .iter()
        .map(|p| {
            leadscore_core::artifact::ModelArtifact::load(p)
                .unwrap()
                .model_id
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    let mut server = Server::start(&bin, &live, &[]);
    let addr = server.addr;

    let (status, body) = http(addr, "POST", "/v1/score", Some(&lead()));
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(
        v["score"].is_number() && v["factors"]["positive"].is_array(),
        "{v}"
    );
    assert_eq!(v["model_id"], ids[0]);
    assert_eq!(http(addr, "GET", "/healthz", None).0, 200);

    // Load: 4 clients x 100 requests while the model file flips and is reloaded 20 times
    // (admin calls and SIGHUP).
    let clients: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..100 {
                    let (status, body) = http(addr, "POST", "/v1/score?factors=1", Some(&lead()));
                    assert_eq!(status, 200, "{body}");
                    let v: Value = serde_json::from_str(&body).unwrap();
                    seen.push(v["model_id"].as_str().unwrap().to_string());
                }
                seen
            })
        })
        .collect();
    for i in 0..20 {
        let next = if i % 2 == 0 { &b } else { &a };
        let tmp = dir.path().join("live.json.tmp");
        std::fs::copy(next, &tmp).unwrap();
        std::fs::rename(&tmp, &live).unwrap();
        if i % 4 == 3 {
            server.signal("HUP");
            std::thread::sleep(Duration::from_millis(50));
        } else {
            let (status, body) = http(addr, "POST", "/v1/admin/reload", None);
            assert_eq!(status, 200, "{body}");
        }
    }
    let mut seen: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(seen.len(), 400, "every request answered");
    seen.sort();
    seen.dedup();
    assert!(seen.iter().all(|id| ids.contains(id)), "{seen:?}");

    // A broken file is refused and the model keeps serving.
    std::fs::write(&live, "not a model").unwrap();
    let (status, body) = http(addr, "POST", "/v1/admin/reload", None);
    assert_eq!(status, 422, "{body}");
    assert_eq!(http(addr, "POST", "/v1/score", Some(&lead())).0, 200);
    let (_, metrics) = http(addr, "GET", "/metrics", None);
    assert!(
        metrics.contains("leadscore_leads_scored_total 402"),
        "{metrics}"
    );

    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn start_up_refuses_an_unattainable_target_or_a_bad_model() {
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    demo_model(7, &model);
    let out = Command::new(&bin)
        .arg("--model")
        .arg(&model)
        .args(["--target-precision", "0.99", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("not attainable")
            && err.contains("best this model supports")
            && err.contains("recall"),
        "{err}"
    );
    std::fs::write(&model, "{}").unwrap();
    let out = Command::new(&bin)
        .arg("--model")
        .arg(&model)
        .env("LEADSCORE_TARGET_PRECISION", "0.5")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("format_version"), "{err}");
}
