//! The real `leadscore-serve` binary for the end-to-end tests: started on a free loopback port,
//! its stderr captured (and echoed through the test harness, shown with `--nocapture` or on
//! failure), its address read from the line it prints once it listens, killed when the test
//! ends (pass or fail). The root package's tests include this file too (`tests/common/mod.rs`),
//! so there is one such server.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Server {
    /// `bin` with `args`, on a free loopback port.
    pub fn start<I, S>(bin: impl AsRef<OsStr>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Self::start_wrapped(&[], bin, args)
    }

    /// `bin` with `args`, run through `wrap` (a command and its arguments that run the binary:
    /// `prlimit --nofile=64:64 --`; empty for none), with `--bind 127.0.0.1:0` added.
    pub fn start_wrapped<I, S>(wrap: &[&str], bin: impl AsRef<OsStr>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut child = spawn(wrap, bin, args);
        let stderr = Arc::new(Mutex::new(String::new()));
        let reader = {
            let (pipe, stderr) = (child.stderr.take().expect("stderr piped"), stderr.clone());
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
        // The first line on stdout: `... listening on http://ADDR`.
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout piped"))
            .read_line(&mut line)
            .expect("read the server's stdout");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.parse().ok());
        let Some(addr) = addr else {
            // Say why: the server's whole stderr, once it has stopped.
            let _ = child.kill();
            let status = child.wait();
            let _ = reader.join();
            panic!(
                "no address in {line:?} (did the server start? {status:?}); stderr:\n{}",
                stderr.lock().unwrap()
            );
        };
        Server {
            child,
            addr,
            stderr,
            reader: Some(reader),
        }
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends the signal `name` (`HUP`, `TERM`, `KILL`...).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{name}");
    }

    /// SIGTERM, then waits (at most 30 s) for a successful exit.
    pub fn stop(&mut self) {
        self.terminate_within(Duration::from_secs(30));
    }

    /// The value of a `/metrics` line (the exact name with its labels), if there is one.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let (_, text) = super::http::Http::new(self.addr, Duration::from_secs(30)).get("/metrics");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Polls `/metrics` until `name` is `value`; fails after `limit`.
    pub fn wait_metric(&self, name: &str, value: f64, limit: Duration) {
        let start = Instant::now();
        while self.metric(name) != Some(value) {
            assert!(
                start.elapsed() < limit,
                "{name} = {:?} after {limit:?}, expected {value}",
                self.metric(name)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits at most `limit` for the server to exit; then for its stderr to be read to the end.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                start.elapsed() < limit,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        self.join_reader();
        status
    }

    /// SIGTERM; the server must exit successfully within `limit`.
    pub fn terminate_within(&mut self, limit: Duration) {
        self.signal("TERM");
        let status = self.wait(limit);
        assert!(status.success(), "exit status {status}");
    }

    /// Lets the stderr reader reach the end of the (closed) pipe.
    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
    }
}

/// Runs `bin` with `args` and `--bind 127.0.0.1:0` when the start must fail: its output,
/// after it exits (a server that accepted the arguments would listen forever: it is stopped
/// after 20 s, and its output says it listened).
#[allow(dead_code)] // not every test binary that includes this module refuses a start
pub fn refused_start<I, S>(bin: impl AsRef<OsStr>, args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = spawn(&[], bin, args);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

/// `bin` with `args` and `--bind 127.0.0.1:0`, run through `wrap` (empty for none), its
/// output piped.
fn spawn<I, S>(wrap: &[&str], bin: impl AsRef<OsStr>, args: I) -> std::process::Child
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    command
        .args(args)
        .args(["--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server")
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
