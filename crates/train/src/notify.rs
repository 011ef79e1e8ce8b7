//! The handoff webhook of `score --notify`: each new MQL is POSTed as JSON, signed with
//! HMAC-SHA256 over the body, with an idempotency key; failures are retried with exponential
//! backoff within a bounded total time, and what could not be delivered goes to a dead-letter
//! file that the next run delivers first.
//!
//! Delivery is at least once: the whole queue (what the dead-letter file held, then this run's
//! new MQLs) is written to the dead-letter file before the first attempt, and rewritten with
//! what is left after the last, so a run killed half-way leaves every undelivered notification
//! on disk. A receiver may see a notification twice (a timeout after it answered, a redelivery);
//! the `Idempotency-Key` header tells the copies apart.
//!
//! Headers sent with each POST:
//! - `Content-Type: application/json`
//! - `Idempotency-Key: <lead id>:<as_of>:<model id>`
//! - `X-Leadscore-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`

use crate::error::{Result, TrainError};
use crate::score::Crossing;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The header holding the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Leadscore-Signature";
/// The header holding the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// HMAC-SHA256 of `message` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `sha256=<hex>`, the signature header's value for `body`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mac = hmac_sha256(secret, body);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in mac {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// One notification: its key and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `<lead id>:<as_of>:<model id>`.
    pub key: String,
    /// The lead and the model: one pending notification per pair (a run that stopped before
    /// its scores were published leaves its new MQLs queued; the next run finds the same
    /// crossings at a later `as_of` and must not send them again under another key).
    pub lead_model: (String, String),
    /// The JSON body, exactly as sent (and signed).
    pub body: String,
    /// Read from the dead-letter file (left by an earlier run).
    pub earlier: bool,
    /// Attempts made in earlier runs.
    pub attempts_before: u32,
    /// The last error of earlier runs.
    pub last_error: Option<String>,
    /// The receiver refused it (3xx or 4xx) in an earlier run.
    pub refused_before: bool,
}

/// The notification of a lead that became an MQL.
pub fn new_mql(model_id: &str, as_of: &str, c: &Crossing) -> Notification {
    let key = format!("{}:{as_of}:{model_id}", c.now.id);
    let factors: serde_json::Value =
        serde_json::from_str(&c.now.factors).unwrap_or(serde_json::Value::Array(Vec::new()));
    let body = serde_json::json!({
        "event": "mql",
        "idempotency_key": key,
        "lead_id": c.now.id,
        "as_of": as_of,
        "model_id": model_id,
        "score": c.now.score,
        "tier": c.now.tier,
        "factors": factors,
        "previous": c.before.as_ref().map(|b| serde_json::json!({
            "as_of": b.as_of,
            "score": b.score,
            "mql": b.mql,
            "tier": b.tier,
        })),
    });
    Notification {
        key,
        lead_model: (c.now.id.clone(), model_id.to_string()),
        body: body.to_string(),
        earlier: false,
        attempts_before: 0,
        last_error: None,
        refused_before: false,
    }
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The receiver (`http://...`; `https://` needs the `https` build feature).
    pub url: String,
    /// The HMAC key.
    pub secret: Vec<u8>,
    /// Attempts per notification in this run.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; doubled after each (at most a minute).
    pub first_backoff: Duration,
    /// The longest one attempt may take (connect, send, answer).
    pub attempt_timeout: Duration,
    /// The longest the whole delivery may take; what is left then goes to the dead letters.
    pub deadline: Duration,
    /// The dead-letter file (JSON lines).
    pub dead_letter: PathBuf,
}

impl Webhook {
    /// Takes the dead-letter file's lock (`NAME.lock` beside it, the operating system's
    /// advisory lock, held until the returned file is dropped), waiting, and saying so on
    /// stderr, while another run holds it. A run reads the dead letters, adds its own, delivers
    /// and writes back what is left: two runs doing so at once (two segments' jobs writing into
    /// one folder, a night's run still delivering when the next starts) each wrote back their
    /// own list, and the other's notifications were lost while its run said they were kept.
    pub fn lock_dead_letters(&self) -> Result<std::fs::File> {
        let mut name = self.dead_letter.as_os_str().to_os_string();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
        }
        let file = leadscore_core::files::lock_file(&path, |lock| {
            leadscore_core::stderr_line!(
                "waiting for another score --notify on {} to finish (it holds {})",
                self.dead_letter.display(),
                lock.display()
            )
        })?;
        Ok(file)
    }

    /// Checks the URL's scheme (an `https://` URL in a build without TLS is refused here, not
    /// at the first attempt).
    pub fn check(&self) -> Result<()> {
        let lower = self.url.to_ascii_lowercase();
        if lower.starts_with("https://") && !cfg!(feature = "https") {
            return Err(TrainError::Config(format!(
                "--notify {}: this build has no TLS; build leadscore-train with `--features \
                 https`, or post to an http:// address (a TLS-terminating proxy on the same \
                 host)",
                self.url
            )));
        }
        if !lower.starts_with("http://") && !lower.starts_with("https://") {
            return Err(TrainError::Config(format!(
                "--notify {}: expected an http:// or https:// URL",
                self.url
            )));
        }
        if self.secret.is_empty() {
            return Err(TrainError::Config(
                "--notify: the signing secret is empty".into(),
            ));
        }
        if self.max_attempts == 0 {
            return Err(TrainError::Config(
                "--notify-attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// A notification that was not delivered, as a line of the dead-letter file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DeadLetter {
    idempotency_key: String,
    /// The body as sent (a JSON string, so the signature can be recomputed byte for byte).
    body: String,
    attempts: u32,
    last_error: String,
    /// The receiver refused it with a 3xx or 4xx.
    #[serde(default)]
    refused: bool,
}

/// What a delivery did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryReport {
    /// Notifications delivered (2xx).
    pub delivered: usize,
    /// Of them, ones that came from the dead-letter file.
    pub redelivered: usize,
    /// Left in the dead-letter file.
    pub dead: usize,
    /// Refused by the receiver with a 3xx or 4xx (kept in the dead letters, not retried this
    /// run).
    pub refused: usize,
    /// POSTs made.
    pub attempts: usize,
    /// The last error of an undelivered notification (the receiver's answer or the transport's
    /// error), for the closing message.
    pub last_error: Option<String>,
    /// Why delivery stopped before the queue's end: the receiver asked (Retry-After) to wait
    /// past the deadline; the rest was not attempted.
    pub halted: Option<String>,
}

/// An I/O error on `path`, named.
fn io_error(path: &Path, e: &std::io::Error) -> TrainError {
    TrainError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads the dead-letter file (absent: none).
pub fn read_dead_letters(path: &Path) -> Result<Vec<Notification>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = crate::load::read_input_text(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let bad = |message: String| TrainError::Read {
                path: path.display().to_string(),
                message: format!(
                    "line {}: {message}; the file holds the notifications not yet delivered: \
                     mend or delete that line (its other lines are still needed) and run again",
                    i + 1
                ),
            };
            let d: DeadLetter = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            let body: serde_json::Value = serde_json::from_str(&d.body)
                .map_err(|e| bad(format!("the body is not JSON: {e}")))?;
            let field = |k: &str| body[k].as_str().map(str::to_string);
            let (Some(lead), Some(model)) = (field("lead_id"), field("model_id")) else {
                return Err(bad("the body has no lead_id or model_id".into()));
            };
            let last_error = match d.last_error.strip_prefix("pending: ") {
                Some("not attempted yet") => None,
                Some(e) => Some(e.to_string()),
                None => Some(d.last_error),
            };
            Ok(Notification {
                key: d.idempotency_key,
                lead_model: (lead, model),
                body: d.body,
                earlier: true,
                attempts_before: d.attempts,
                last_error,
                refused_before: d.refused,
            })
        })
        .collect()
}

/// One dead letter: the notification, its attempts so far, its last error, refused or not.
type Kept = (Notification, u32, String, bool);

/// Writes the dead letters (atomically; an empty list removes the file).
fn write_dead_letters(path: &Path, list: &[Kept]) -> Result<()> {
    if list.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(TrainError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            _ => Ok(()),
        };
    }
    let mut text = String::new();
    for (n, attempts, error, refused) in list {
        let line = DeadLetter {
            idempotency_key: n.key.clone(),
            body: n.body.clone(),
            attempts: *attempts,
            last_error: error.clone(),
            refused: *refused,
        };
        text.push_str(&serde_json::to_string(&line).unwrap_or_default());
        text.push('\n');
    }
    leadscore_core::artifact::write_atomic(path, text.as_bytes()).map_err(TrainError::Core)
}

/// The queue of a run: the dead letters of earlier runs the receiver did not refuse, then
/// `fresh`, then the ones it refused (retried last, so they never hold up a new MQL). A lead
/// already queued is not queued again, whichever model made its crossing (lead ids compared as
/// every join compares them, [`crate::assemble::id_key`]: `7` and `7.0` are one lead): a night
/// whose notifications were left pending, then a new model promoted, would otherwise tell a
/// rep twice about one lead, under two keys no receiver could match. An earlier run's
/// notification of a lead this
/// run scored and did not make an MQL (`no_longer_mql`: its score fell, a gate), or skipped as
/// converted since, is dropped, not sent: a rep would be told "new MQL" about a lead that is
/// not one. Returns the queue and
/// how many were dropped.
pub fn queue(
    hook: &Webhook,
    fresh: Vec<Notification>,
    no_longer_mql: impl Fn(&str) -> bool,
) -> Result<(Vec<Notification>, usize)> {
    let (earlier, dropped): (Vec<_>, Vec<_>) = read_dead_letters(&hook.dead_letter)?
        .into_iter()
        .partition(|n| !no_longer_mql(&n.lead_model.0));
    let (refused, carried): (Vec<_>, Vec<_>) = earlier.into_iter().partition(|n| n.refused_before);
    let mut seen = std::collections::HashSet::new();
    let queue = carried
        .into_iter()
        .chain(fresh)
        .chain(refused)
        .filter(|n| seen.insert(crate::assemble::id_key(&n.lead_model.0).to_string()))
        .collect();
    Ok((queue, dropped.len()))
}

/// Writes `queue` to the dead-letter file as pending, before any attempt.
pub fn save_pending(hook: &Webhook, queue: &[Notification]) -> Result<()> {
    let pending: Vec<Kept> = queue
        .iter()
        .map(|n| {
            let error = match &n.last_error {
                Some(e) => format!("pending: {e}"),
                None => "pending: not attempted yet".into(),
            };
            (n.clone(), n.attempts_before, error, n.refused_before)
        })
        .collect();
    write_dead_letters(&hook.dead_letter, &pending)
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    /// Worth retrying (transport error, timeout, 5xx, 408, 425, 429); the receiver's
    /// Retry-After ([`retry_after`]).
    Retry(String, Option<Duration>),
    /// The receiver refused it (4xx) or sent it elsewhere (3xx): retrying would not help.
    Refused(String),
}

/// Delivers `queue` (see [`queue`]), then leaves in the dead-letter file exactly what was not
/// delivered.
pub fn deliver(hook: &Webhook, queue: Vec<Notification>) -> Result<DeliveryReport> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(hook.attempt_timeout))
        // A POST is not re-sent elsewhere: a redirect is the receiver's answer.
        .max_redirects(0)
        .build()
        .into();
    let start = Instant::now();
    let mut report = DeliveryReport::default();
    let mut dead: Vec<Kept> = Vec::new();
    for n in queue {
        let mut attempts = n.attempts_before;
        let mut last = match (&report.halted, &n.last_error) {
            (Some(why), _) => format!("not attempted: {why}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "not attempted: the delivery deadline had passed".into(),
        };
        let mut delivered = false;
        let mut refused = n.refused_before;
        for attempt in 0..hook.max_attempts {
            // No attempt outlasts the deadline: each gets the time left, at most its own.
            let left = hook.deadline.saturating_sub(start.elapsed());
            if left.is_zero() || report.halted.is_some() {
                break;
            }
            attempts += 1;
            report.attempts += 1;
            match post(&agent, hook, &n, hook.attempt_timeout.min(left)) {
                Attempt::Delivered => {
                    delivered = true;
                    break;
                }
                Attempt::Refused(why) => {
                    last = why;
                    refused = true;
                    break;
                }
                Attempt::Retry(why, after) => {
                    refused = false;
                    last = why;
                    let left = hook.deadline.saturating_sub(start.elapsed());
                    // The receiver asked to wait past the deadline (a 429 or 503 with
                    // Retry-After): nothing more is posted this run, to it or for other leads.
                    if after.is_some_and(|a| a >= left) {
                        report.halted = Some(format!(
                            "the receiver asked to wait (Retry-After) past the delivery \
                             deadline ({last})"
                        ));
                        break;
                    }
                    if attempt + 1 == hook.max_attempts {
                        break;
                    }
                    let backoff = hook
                        .first_backoff
                        .saturating_mul(1 << attempt.min(16))
                        .min(MAX_BACKOFF);
                    let wait = wait_before_retry(backoff, after);
                    if wait >= left {
                        break;
                    }
                    std::thread::sleep(wait);
                }
            }
        }
        if delivered {
            report.delivered += 1;
            report.redelivered += usize::from(n.earlier);
        } else {
            report.refused += usize::from(refused);
            report.last_error = Some(last.clone());
            dead.push((n, attempts, last, refused));
        }
    }
    report.dead = dead.len();
    write_dead_letters(&hook.dead_letter, &dead)?;
    Ok(report)
}

/// One POST of `n`, within `timeout`.
fn post(agent: &ureq::Agent, hook: &Webhook, n: &Notification, timeout: Duration) -> Attempt {
    let sent = agent
        .post(&hook.url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .header("content-type", "application/json")
        .header(IDEMPOTENCY_HEADER, &n.key)
        .header(SIGNATURE_HEADER, signature(&hook.secret, n.body.as_bytes()))
        .send(n.body.as_bytes());
    let mut answer = match sent {
        Ok(a) => a,
        Err(e) => return Attempt::Retry(format!("{e}"), None),
    };
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, std::time::SystemTime::now()));
    // The first 4 KiB of the answer (a longer one is cut there, not dropped), its first 200
    // characters kept.
    let mut head = Vec::with_capacity(4096);
    let _ = std::io::Read::read_to_end(
        &mut std::io::Read::take(answer.body_mut().as_reader(), 4096),
        &mut head,
    );
    let excerpt: String = String::from_utf8_lossy(&head).chars().take(200).collect();
    let why = format!("HTTP {status}: {}", excerpt.trim());
    match status {
        200..=299 => Attempt::Delivered,
        408 | 425 | 429 => Attempt::Retry(why, retry_after),
        // A redirect or a refusal: the same POST would get the same answer.
        300..=499 => Attempt::Refused(why),
        _ => Attempt::Retry(why, retry_after),
    }
}

/// How long to wait before the next attempt: the backoff, or longer when the receiver asked
/// (`Retry-After`), never shorter: a `Retry-After: 0` or a date already past (a receiver whose
/// clock is behind) does not turn the backoff into attempts back to back.
fn wait_before_retry(backoff: Duration, asked: Option<Duration>) -> Duration {
    asked.map_or(backoff, |a| a.max(backoff))
}

/// The wait a `Retry-After` value asks for at `now`: whole seconds (one too large for a
/// number is a wait without end) or an HTTP date (RFC 9110; a date passed is no wait).
/// `None` when it is neither.
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let at = std::time::UNIX_EPOCH
        .checked_add(Duration::from_secs(u64::try_from(at.timestamp()).ok()?))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("99999999999999999999", now),
            Some(Duration::MAX)
        );
        // 2023-11-14T22:13:20Z is 1_700_000_000.
        assert_eq!(
            retry_after("Tue, 14 Nov 2023 22:15:00 GMT", now),
            Some(Duration::from_secs(100))
        );
        assert_eq!(
            retry_after("Mon, 13 Nov 2023 22:15:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("soon", now), None);
        // Longer than the backoff when asked; never shorter.
        let second = Duration::from_secs(1);
        assert_eq!(wait_before_retry(second, None), second);
        assert_eq!(wait_before_retry(second, Some(Duration::ZERO)), second);
        assert_eq!(
            wait_before_retry(second, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn note(lead: &str, as_of: &str) -> Notification {
        note_of("m1", lead, as_of)
    }

    fn note_of(model: &str, lead: &str, as_of: &str) -> Notification {
        let key = format!("{lead}:{as_of}:{model}");
        Notification {
            body: serde_json::json!({"lead_id": lead, "model_id": model, "idempotency_key": key})
                .to_string(),
            key,
            lead_model: (lead.into(), model.into()),
            earlier: false,
            attempts_before: 0,
            last_error: None,
            refused_before: false,
        }
    }

    /// A webhook to nowhere, keeping its dead letters in `dead_letter`.
    fn test_hook(dead_letter: PathBuf) -> Webhook {
        Webhook {
            url: "http://127.0.0.1:9/".into(),
            secret: b"s".to_vec(),
            max_attempts: 1,
            first_backoff: Duration::from_millis(1),
            attempt_timeout: Duration::from_secs(1),
            deadline: Duration::from_secs(1),
            dead_letter,
        }
    }

    /// One run at a time holds the dead letters: another run's lock waits until it is let go.
    #[test]
    fn the_dead_letters_are_held_by_one_run_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let hook = test_hook(dir.path().join("nightly/dead-letter.jsonl"));
        let held = hook.lock_dead_letters().unwrap();
        let lock = dir.path().join("nightly/dead-letter.jsonl.lock");
        let other = std::fs::OpenOptions::new()
            .append(true)
            .open(&lock)
            .unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        other.try_lock().unwrap();
    }

    #[test]
    fn the_queue_carries_old_letters_first_refused_last_one_per_lead() {
        let dir = tempfile::tempdir().unwrap();
        let hook = test_hook(dir.path().join("dead-letter.jsonl"));
        let (a, b) = (note("A", "d1"), note("B", "d1"));
        let kept = vec![
            (a.clone(), 2, "HTTP 422: no".to_string(), true),
            (
                b.clone(),
                1,
                "pending: connection refused".to_string(),
                false,
            ),
        ];
        write_dead_letters(&hook.dead_letter, &kept).unwrap();
        // Today's run finds B again (a later as_of) and C.
        let (q, dropped) = queue(&hook, vec![note("B", "d2"), note("C", "d2")], |_| false).unwrap();
        assert_eq!(dropped, 0);
        let keys: Vec<&str> = q.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["B:d1:m1", "C:d2:m1", "A:d1:m1"]);
        assert!(q[0].earlier && !q[1].earlier && q[2].refused_before);
        assert_eq!(q[0].last_error.as_deref(), Some("connection refused"));
        assert_eq!(q[2].last_error.as_deref(), Some("HTTP 422: no"));
        // Saved as pending, read back the same.
        save_pending(&hook, &q).unwrap();
        let (again, _) = queue(&hook, Vec::new(), |_| false).unwrap();
        assert_eq!(again.len(), 3);
        assert_eq!(again[2].attempts_before, 2);
        assert_eq!(again[2].last_error.as_deref(), Some("HTTP 422: no"));
        // A lead this run scored below the cutoff: its earlier notification is dropped.
        let (q, dropped) = queue(&hook, Vec::new(), |lead| lead == "A").unwrap();
        assert_eq!(dropped, 1);
        let keys: Vec<&str> = q.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["B:d1:m1", "C:d2:m1"]);
        // Ids as another export writes them (padded, `7.0` for `7`) are the same leads.
        let (q, _) = queue(&hook, vec![note(" C ", "d3"), note("7.0", "d3")], |_| false).unwrap();
        let keys: Vec<&str> = q.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["B:d1:m1", "C:d2:m1", "7.0:d3:m1", "A:d1:m1"]);
        save_pending(&hook, &q).unwrap();
        let (q, dropped) = queue(&hook, vec![note("7", "d4")], |lead| {
            crate::assemble::id_key(lead) == "A"
        })
        .unwrap();
        assert_eq!(dropped, 1);
        let keys: Vec<&str> = q.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["B:d1:m1", "C:d2:m1", "7.0:d3:m1"]);
        // A new model promoted since: a lead still pending crosses again under it, and is sent
        // once, under its first key (two keys could not be matched by the receiver).
        save_pending(&hook, &q).unwrap();
        let (q, _) = queue(
            &hook,
            vec![note_of("m2", "B", "d5"), note_of("m2", "D", "d5")],
            |_| false,
        )
        .unwrap();
        let keys: Vec<&str> = q.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["B:d1:m1", "C:d2:m1", "7.0:d3:m1", "D:d5:m2"]);
    }

    #[test]
    fn an_https_url_needs_the_feature_and_a_secret_is_required() {
        let hook = |url: &str, secret: &[u8]| Webhook {
            url: url.into(),
            secret: secret.to_vec(),
            max_attempts: 3,
            first_backoff: Duration::from_millis(1),
            attempt_timeout: Duration::from_secs(1),
            deadline: Duration::from_secs(1),
            dead_letter: PathBuf::from("x.jsonl"),
        };
        assert!(hook("http://127.0.0.1:9/x", b"s").check().is_ok());
        assert_eq!(
            hook("https://example.com/x", b"s").check().is_ok(),
            cfg!(feature = "https")
        );
        assert!(hook("ftp://example.com", b"s").check().is_err());
        assert!(hook("http://127.0.0.1:9/x", b"").check().is_err());
    }
}
