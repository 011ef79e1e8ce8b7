//! `leadscore-train score --notify`: the handoff webhook against local receivers that fail
//! their first attempts, are down, are slow, or refuse with a 4xx. On the demo data, a week
//! apart (`--previous`), so the new MQLs are real crossings:
//!
//! - every new MQL reaches a flaky receiver at least once, signed (HMAC-SHA256 of the body with
//!   the secret) and keyed, and nothing is left in the dead letters;
//! - with the receiver down, every new MQL is in the dead-letter file, the run says so and
//!   exits 1, and the next run with the same dead-letter file delivers them all;
//! - a slow receiver does not hold the run past its deadline, and what timed out is kept;
//! - a 4xx is not retried, and is kept with the receiver's answer.

mod common;

use common::lives::{rfc3339, timestamp};
use leadscore_train::notify::hmac_sha256;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AS_OF: &str = "2025-11-24T00:00:00Z";
const SECRET: &str = "s3cret-for-tests";

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Received {
    key: String,
    signature: String,
    body: String,
}

/// A local HTTP/1.1 receiver: `answer(n)` (n = 0-based attempt number over the whole run)
/// says how to answer: (status, delay before answering).
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(answer: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/mql", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), Arc::new(answer));
        let count = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, answer, count) = (log.clone(), answer.clone(), count.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &log, &*answer, &count);
                });
            }
        });
        Receiver { url, seen }
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve_one(
    stream: TcpStream,
    log: &Mutex<Vec<Received>>,
    answer: &dyn Fn(usize) -> (u16, Duration),
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut headers: HashMap<String, String> = HashMap::new();
    let mut line = String::new();
    reader.read_line(&mut line)?; // request line
    assert!(line.starts_with("POST /hooks/mql "), "{line:?}");
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let n = count.fetch_add(1, Ordering::SeqCst);
    log.lock().unwrap().push(Received {
        key: headers.get("idempotency-key").cloned().unwrap_or_default(),
        signature: headers
            .get("x-leadscore-signature")
            .cloned()
            .unwrap_or_default(),
        body: String::from_utf8(body).unwrap(),
    });
    let (status, delay) = answer(n);
    std::thread::sleep(delay);
    let text = format!("answer {n}");
    // A 429 asks for an hour's pause.
    let pause = if status == 429 {
        "retry-after: 3600\r\n"
    } else {
        ""
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\n{pause}content-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

fn score(as_of: &str, out: &Path, extra: &[&str]) -> Output {
    Command::new(common::train_binary())
        .arg("score")
        .arg("--model")
        .arg(common::repo("models/demo.json"))
        .args([
            "--data",
            "data/demo/leads.csv",
            "--events",
            "data/demo/events.csv",
        ])
        .args(["--as-of", as_of, "--target-precision", "0.5", "--out"])
        .arg(out)
        .args(extra)
        .env("LEADSCORE_WEBHOOK_SECRET", SECRET)
        .current_dir(common::repo("."))
        .output()
        .expect("run leadscore-train score")
}

/// A week apart: the first run's output, the later as_of, and the new MQLs' keys the crossings
/// file of a plain (un-notified) second run lists.
struct Week {
    dir: tempfile::TempDir,
    previous: PathBuf,
    later: String,
    expected: HashSet<String>,
}

fn week() -> Week {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("monday.csv");
    assert!(score(AS_OF, &previous, &[]).status.success());
    let later = rfc3339(timestamp(AS_OF, "as_of") + 7 * 86_400);
    let plain = dir.path().join("plain.csv");
    let o = score(&later, &plain, &["--previous", previous.to_str().unwrap()]);
    assert!(o.status.success());
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(common::repo("models/demo.json")).unwrap())
            .unwrap();
    let model_id = model["model_id"].as_str().unwrap().to_string();
    let expected: HashSet<String> = common::csv_rows(&dir.path().join("plain.crossings.csv"))
        .into_iter()
        .filter(|r| r["change"] == "became_mql")
        .map(|r| format!("{}:{later}:{model_id}", r["lead_id"]))
        .collect();
    assert!(expected.len() > 10, "{} new MQLs", expected.len());
    Week {
        dir,
        previous,
        later,
        expected,
    }
}

impl Week {
    fn run(&self, name: &str, url: &str, extra: &[&str]) -> Output {
        self.run_at(&self.later, name, url, extra)
    }

    fn run_at(&self, as_of: &str, name: &str, url: &str, extra: &[&str]) -> Output {
        let out = self.dir.path().join(name);
        let mut args = vec![
            "--previous",
            self.previous.to_str().unwrap(),
            "--notify",
            url,
        ];
        args.extend(extra);
        score(as_of, &out, &args)
    }

    /// The default dead-letter file: one per folder, whatever the output's name.
    fn dead_letter(&self) -> PathBuf {
        self.dir.path().join("dead-letter.jsonl")
    }
}

fn dead_keys(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["idempotency_key"].as_str().unwrap().to_string()
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_flaky_receiver_gets_every_new_mql_signed_and_keyed() {
    let w = week();
    // The first three attempts fail (503), every later one succeeds.
    let r = Receiver::start(|n| (if n < 3 { 503 } else { 200 }, Duration::ZERO));
    let o = w.run("flaky.csv", &r.url, &["--notify-backoff-ms", "10"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let seen = r.seen();
    let keys: HashSet<String> = seen.iter().map(|s| s.key.clone()).collect();
    assert_eq!(keys, w.expected, "every new MQL, and only those");
    assert_eq!(seen.len(), w.expected.len() + 3, "three retries");
    for s in &seen {
        let want = format!(
            "sha256={}",
            hex(&hmac_sha256(SECRET.as_bytes(), s.body.as_bytes()))
        );
        assert_eq!(s.signature, want, "{}", s.key);
        let v: Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(v["idempotency_key"], s.key.as_str());
        assert_eq!(v["as_of"], w.later.as_str());
        assert!(v["score"].as_f64().unwrap() > 0.0);
        assert!(v["factors"].is_array());
        assert!(s.key.starts_with(v["lead_id"].as_str().unwrap()));
    }
    assert!(
        stdout.contains(&format!(
            "{} of {} delivered",
            w.expected.len(),
            w.expected.len()
        )),
        "{stdout}"
    );
    assert!(!w.dead_letter().exists());
}

#[test]
fn a_down_receiver_leaves_every_new_mql_for_the_next_run() {
    let w = week();
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = format!("http://127.0.0.1:{port}/hooks/mql");
    let dead = w.dir.path().join("dead.jsonl");
    let dead_arg = [
        "--dead-letter",
        dead.to_str().unwrap(),
        "--notify-backoff-ms",
        "5",
    ];
    let o = w.run(
        "down.csv",
        &down,
        &[&["--notify-attempts", "2"][..], &dead_arg].concat(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("were not delivered") && stderr.contains("dead.jsonl"),
        "{stderr}"
    );
    assert!(
        w.dir.path().join("down.csv").exists(),
        "the scores are written"
    );
    let kept: HashSet<String> = dead_keys(&dead).into_iter().collect();
    assert_eq!(kept, w.expected);

    // The next night, receiver up, same dead-letter file, against the same previous run (the
    // failed night's scores are as good as lost): the same leads cross again, under a new
    // as_of. Each is delivered once, under the key it was first queued with; the file goes.
    let next = rfc3339(timestamp(&w.later, "later") + 86_400);
    let r = Receiver::start(|_| (200, Duration::ZERO));
    let o = w.run_at(&next, "up.csv", &r.url, &dead_arg);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let keys: Vec<String> = r.seen().into_iter().map(|s| s.key).collect();
    let leads: Vec<&str> = keys.iter().map(|k| k.split(':').next().unwrap()).collect();
    assert_eq!(
        leads.iter().collect::<HashSet<_>>().len(),
        leads.len(),
        "no lead twice: {keys:?}"
    );
    // Every kept one, as kept, but those whose lead is no longer an MQL that night (dropped,
    // not posted as news).
    let plain = w.dir.path().join("next-plain.csv");
    assert!(score(&next, &plain, &[]).status.success());
    let still_mql: HashSet<String> = common::csv_rows(&plain)
        .into_iter()
        .filter(|r| r["mql"] == "true")
        .map(|r| r["lead_id"].clone())
        .collect();
    let (due, dropped): (HashSet<String>, HashSet<String>) = w
        .expected
        .iter()
        .cloned()
        .partition(|k| still_mql.contains(k.split(':').next().unwrap()));
    let delivered: HashSet<String> = keys.iter().cloned().collect();
    assert!(delivered.is_superset(&due), "every kept one, as kept");
    assert!(delivered.is_disjoint(&dropped), "none no longer an MQL");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains(&format!("({} from earlier runs)", due.len())),
        "{stdout}"
    );
    if !dropped.is_empty() {
        assert!(
            stdout.contains(&format!("dropped {} notification(s)", dropped.len())),
            "{stdout}"
        );
    }
    assert!(!dead.exists());
}

#[test]
fn a_slow_receiver_does_not_hold_the_run_past_its_deadline() {
    let w = week();
    let r = Receiver::start(|_| (200, Duration::from_secs(5)));
    let started = Instant::now();
    let o = w.run(
        "slow.csv",
        &r.url,
        &[
            "--notify-timeout-secs",
            "0.2",
            "--notify-deadline-secs",
            "1",
            "--notify-backoff-ms",
            "10",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    // Generous: the bound is the deadline (1 s) plus one attempt and the scoring itself.
    assert!(started.elapsed() < Duration::from_secs(60));
    let kept = dead_keys(&w.dead_letter());
    assert_eq!(kept.into_iter().collect::<HashSet<_>>(), w.expected);
    // About five attempts fit in a second of 0.2 s timeouts; nowhere near one per new MQL.
    assert!(
        r.seen().len() < w.expected.len(),
        "{} attempts",
        r.seen().len()
    );
}

/// An attempt started before the deadline gets only the time left, not its whole timeout (a
/// receiver that never answers held the run a whole attempt timeout past the deadline).
#[test]
fn no_attempt_outlasts_the_deadline() {
    let w = week();
    let r = Receiver::start(|_| (200, Duration::from_secs(120)));
    let started = Instant::now();
    let o = w.run(
        "silent.csv",
        &r.url,
        &["--notify-timeout-secs", "60", "--notify-deadline-secs", "1"],
    );
    assert_eq!(o.status.code(), Some(1));
    // The deadline is 1 s and an attempt 60 s: well under the attempt's timeout (scoring
    // included, on a loaded machine).
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.seen().len(), 1);
    let kept = dead_keys(&w.dead_letter());
    assert_eq!(kept.into_iter().collect::<HashSet<_>>(), w.expected);
}

/// A receiver that asks (429 + Retry-After: 3600) for a pause past the deadline gets no more
/// POSTs this run, for this lead or the others: everything is kept for the next run, and the
/// error says why and names the URL.
#[test]
fn a_receiver_asking_for_a_pause_past_the_deadline_gets_no_more_posts() {
    let w = week();
    let r = Receiver::start(|_| (429, Duration::ZERO));
    let o = w.run("paused.csv", &r.url, &["--notify-backoff-ms", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(r.seen().len(), 1, "one POST, then the pause is honoured");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&r.url) && err.contains("delivery stopped: the receiver asked to wait"),
        "{err}"
    );
    let kept = dead_keys(&w.dead_letter());
    assert_eq!(kept.into_iter().collect::<HashSet<_>>(), w.expected);
    let text = std::fs::read_to_string(w.dead_letter()).unwrap();
    let untried = text
        .lines()
        .filter(|l| l.contains("not attempted: the receiver asked to wait"))
        .count();
    assert_eq!(untried, w.expected.len() - 1, "{text}");
}

#[test]
fn a_4xx_is_kept_with_the_answer_and_not_retried() {
    let w = week();
    let r = Receiver::start(|_| (422, Duration::ZERO));
    let o = w.run("refused.csv", &r.url, &["--notify-backoff-ms", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains(&format!("({} refused by the receiver;", w.expected.len())));
    assert_eq!(r.seen().len(), w.expected.len(), "one attempt each");
    let text = std::fs::read_to_string(w.dead_letter()).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first["last_error"]
        .as_str()
        .unwrap()
        .starts_with("HTTP 422: answer"));
    assert_eq!(first["attempts"], 1);

    // A day later, the receiver up: an earlier notification of a lead that is no longer an
    // MQL that day is dropped, not posted as news (the others go out).
    let next_day = rfc3339(timestamp(&w.later, "later") + 86_400);
    let plain = w.dir.path().join("next-plain.csv");
    assert!(score(&next_day, &plain, &[]).status.success());
    let mql_now: HashMap<String, bool> = common::csv_rows(&plain)
        .into_iter()
        .map(|r| (r["lead_id"].clone(), r["mql"] == "true"))
        .collect();
    let refused_leads: Vec<String> = dead_keys(&w.dead_letter())
        .iter()
        .map(|k| k.split(':').next().unwrap().to_string())
        .collect();
    let gone: HashSet<&String> = refused_leads
        .iter()
        .filter(|l| mql_now.get(*l) == Some(&false))
        .collect();
    assert!(!gone.is_empty(), "no refused lead left MQL the next day");
    let ok = Receiver::start(|_| (200, Duration::ZERO));
    let o = w.run_at(&next_day, "next.csv", &ok.url, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains(&format!("dropped {} notification(s)", gone.len())),
        "{stdout}"
    );
    for r in ok.seen() {
        let lead = r.key.split(':').next().unwrap().to_string();
        assert!(
            !gone.contains(&lead),
            "{lead} posted although no longer an MQL"
        );
    }
}

/// A lead an earlier run queued (the receiver refused it) that has converted since is not
/// posted as a new MQL by the next run with `--outcomes` (that run skips it as converted): its
/// notification is dropped, as one of a lead no longer an MQL is.
#[test]
fn a_queued_lead_that_converted_since_is_dropped_not_posted() {
    let w = week();
    let r = Receiver::start(|_| (422, Duration::ZERO));
    let o = w.run("refused.csv", &r.url, &["--notify-backoff-ms", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let converted: String = dead_keys(&w.dead_letter())
        .first()
        .and_then(|k| k.split(':').next())
        .expect("a refused notification")
        .to_string();
    let later = timestamp(&w.later, "later");
    let outcomes = w.dir.path().join("outcomes.csv");
    std::fs::write(
        &outcomes,
        format!(
            "lead_id,converted_at\n{converted},{}\n",
            rfc3339(later + 3600)
        ),
    )
    .unwrap();
    let ok = Receiver::start(|_| (200, Duration::ZERO));
    let o = w.run_at(
        &rfc3339(later + 86_400),
        "next.csv",
        &ok.url,
        &["--outcomes", outcomes.to_str().unwrap()],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("dropped"), "{stdout}");
    assert!(!ok.seen().is_empty(), "the others go out");
    for r in ok.seen() {
        assert!(
            !r.key.starts_with(&format!("{converted}:")),
            "{converted} posted as a new MQL although it converted"
        );
    }
}
