//! The scored-lead log: with `--decision-log DIR`, every decision (time, lead id, model id,
//! route, `as_of`, score, cutoff, MQL flag, tier) is appended to `DIR/decisions.jsonl`, one JSON
//! object a line, so a data team can later join decisions with outcomes
//! (`leadscore-train monitor`).
//!
//! The scoring path never touches the disk: it hands one small message per request (the model
//! in force, and per lead its id, score and MQL flag) to a dedicated writer thread through an
//! in-memory queue, and the writer formats the lines. The queue is bounded by the number of
//! decisions waiting ([`QUEUE_LEADS`]); when the writer falls that far behind, new decisions are
//! dropped and counted (`leadscore_decision_log_dropped_total`, one warning) instead of
//! stalling scoring. On graceful shutdown [`DecisionWriter::finish`] closes the queue; the
//! writer writes everything accepted, flushes and fsyncs before the process exits.
//!
//! Written lines are synced to disk (fdatasync) at most [`SYNC_EVERY`] (1 s) after they were
//! written, so a crash of the machine loses at most about a second of decisions; a killed
//! process (`kill -9`) loses only what was still queued.
//!
//! Lead ids are written exactly as the request sent them ([`crate::lead::LeadId`]): a string
//! as that string, a number as its JSON text (`9007199254740993`, `123`), so the log joins with
//! the outcomes on the same digits.
//!
//! When a file grows past `--decision-log-max-bytes`, it is renamed `decisions.<n>.jsonl`
//! (`n` = 1, 2, ...) and a new `decisions.jsonl` is started; the oldest rotated files beyond
//! `--decision-log-keep` are deleted. A write that fails (disk
//! full, read-only or missing folder) never stops the server: the decisions in it are counted
//! as lost, the error is counted by kind (`leadscore_decision_log_errors_total{kind}`) and
//! logged once per kind with its reason, and the writer tries again with the next decisions.

pub use crate::config::DecisionLogConfig;
use crate::lead::LeadId;
use arc_swap::ArcSwapOption;
use serde::ser::{Serialize, Serializer};
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The file being written; rotated files are `decisions.<n>.jsonl`.
pub const FILE_NAME: &str = "decisions.jsonl";

/// Most decisions waiting for the writer; beyond, new ones are dropped (and counted).
pub const QUEUE_LEADS: u64 = 100_000;

/// Bytes formatted before they are written out.
const CHUNK_BYTES: usize = 64 * 1024;

/// With nothing new to write, how long the writer waits before checking again.
const IDLE: Duration = Duration::from_millis(200);

/// Lines written are synced to disk (fdatasync) at most this long after they were written,
/// so a crash of the machine loses at most about this much of the log. (A killed process
/// loses only what was still queued: written lines are in the kernel's cache.)
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The score of one lead, as sent to the writer.
#[derive(Debug, Clone)]
pub struct LeadDecision {
    /// The request's lead id field as sent, or missing.
    pub lead_id: LeadId,
    /// The score.
    pub score: f64,
    /// Whether it reached the cutoff.
    pub mql: bool,
}

/// What a decision line says about the model that made it: its id, its cutoff and the tier of
/// a score. The model in force (`state::Serving`) implements it; each queued request keeps one,
/// so the writer thread formats the lines (and looks up the tiers) off the scoring path.
pub trait ModelInForce: std::fmt::Debug + Send + Sync {
    /// The model's id.
    fn model_id(&self) -> &str;
    /// The MQL cutoff in force.
    fn cutoff(&self) -> f64;
    /// The tier of `score`, if tiers are configured.
    fn tier(&self, score: f64) -> Option<&str>;
}

/// The decisions of one request.
#[derive(Debug)]
pub struct Decisions {
    /// When, in Unix milliseconds.
    pub at_ms: i64,
    /// The route (`/v1/score`, `/invocations`).
    pub route: &'static str,
    /// The request's "now", in Unix seconds.
    pub as_of: i64,
    /// The model, cutoff and tiers in force.
    pub serving: Arc<dyn ModelInForce>,
    /// One per lead, in request order.
    pub leads: Vec<LeadDecision>,
}

/// Error kinds counted separately.
pub const ERROR_KINDS: [&str; 5] = [
    "storage_full",
    "read_only",
    "permission_denied",
    "not_a_directory",
    "other",
];

fn error_kind(e: &std::io::Error) -> usize {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull => 0,
        K::ReadOnlyFilesystem => 1,
        K::PermissionDenied => 2,
        K::NotADirectory => 3,
        _ => 4,
    }
}

/// Checks at start-up that the log can be what it must: `dir` a folder (or not there yet: the
/// writer creates it) and its `decisions.jsonl`, if it exists, something a write cannot block
/// on ([`unusable_log_file`]). A FIFO there would block the writer (and the shutdown that
/// waits for it) as soon as nobody reads it. Such mistakes are refused before the server
/// listens, as a bad `--model` is.
pub fn check_paths(dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(format!(
                "--decision-log {}: not a folder (the log is written to {FILE_NAME} inside it)",
                dir.display()
            ))
        }
        // Not there: the folder is created at the first write, unless it or a folder above
        // it is a link to nothing (missing, or a loop), which no folder can be created through.
        Err(_) => {
            if let Some(link) = dir.ancestors().find(|a| {
                !a.as_os_str().is_empty()
                    && std::fs::symlink_metadata(a).is_ok_and(|m| m.file_type().is_symlink())
                    && std::fs::metadata(a).is_err()
            }) {
                return Err(format!(
                    "--decision-log {}: {} is a symbolic link to {}, which leads nowhere (a \
                     missing folder, or a loop of links): create that folder, or name another",
                    dir.display(),
                    link.display(),
                    std::fs::read_link(link)
                        .map_or_else(|_| "?".into(), |t| t.display().to_string())
                ));
            }
        }
        _ => {}
    }
    unusable_log_file(&dir.join(FILE_NAME)).map_or(Ok(()), |e| Err(e.to_string()))
}

/// An error when `path` (followed if a link) is a folder, a FIFO or a socket: no log, or one
/// whose writes block while nobody reads. A regular file, a device (`/dev/null`) or nothing
/// there yet is `None`.
fn unusable_log_file(path: &Path) -> Option<std::io::Error> {
    let kind = std::fs::metadata(path).ok()?.file_type();
    #[cfg(unix)]
    let blocking = {
        use std::os::unix::fs::FileTypeExt;
        kind.is_fifo() || kind.is_socket()
    };
    #[cfg(not(unix))]
    let blocking = false;
    let what = if kind.is_dir() {
        "a folder"
    } else if blocking {
        "a FIFO or socket (a write there blocks while nobody reads it)"
    } else {
        return None;
    };
    Some(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a file the decision log can be written to",
            path.display()
        ),
    ))
}

/// The lock file a server holds in its decision log's folder while it writes there.
pub const LOCK_NAME: &str = ".lock";

/// Takes the folder's lock ([`LOCK_NAME`], the operating system's advisory lock, held until
/// the writer ends): two servers writing one folder would each number their rotated files
/// from the same start and rename over each other's, losing decisions while both count none
/// lost. So a folder another running server holds is refused at start-up. A folder that cannot
/// be created or written yet is not refused here (as before the lock: the writer reports it,
/// counting what it loses); `None` then.
fn lock_folder(dir: &Path) -> std::io::Result<Option<File>> {
    if std::fs::create_dir_all(dir).is_err() {
        return Ok(None);
    }
    let path = dir.join(LOCK_NAME);
    let file = match leadscore_core::files::open_regular_append(&path) {
        Ok((file, _)) => file,
        Err(leadscore_core::Error::Io { .. }) => return Ok(None),
        // A link, a FIFO or a folder planted under the lock's name.
        Err(leadscore_core::Error::File { message, .. }) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "--decision-log {}: its lock file {} {message}",
                    dir.display(),
                    path.display()
                ),
            ))
        }
        Err(e) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                e.to_string(),
            ))
        }
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!(
                "--decision-log {}: another running leadscore-serve writes its decision log in \
                 this folder (it holds {}); two servers in one folder would rename their \
                 rotated files over each other's: give each server its own folder",
                dir.display(),
                path.display()
            ),
        )),
        // A file system without locks: served unlocked.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

/// Counters of the decision log (rendered in `/metrics`).
#[derive(Debug, Default)]
pub struct DecisionStats {
    /// Decisions written to the file.
    pub written: AtomicU64,
    /// Decisions not queued: the writer was too far behind, or the log was closed.
    pub dropped: AtomicU64,
    /// Decisions lost to write errors.
    pub lost: AtomicU64,
    /// Write errors by [`ERROR_KINDS`].
    pub errors: [AtomicU64; ERROR_KINDS.len()],
    /// Decisions waiting for the writer.
    pub queued: AtomicU64,
    /// Rotations done.
    pub rotations: AtomicU64,
    /// Decisions synced to disk (fdatasync) after they were written.
    pub synced: AtomicU64,
    /// Rotated files deleted to keep `--decision-log-keep`.
    pub deleted: AtomicU64,
}

/// The scoring side of the log: a no-op until [`DecisionLog::start`].
#[derive(Debug, Default)]
pub struct DecisionLog {
    sink: ArcSwapOption<Sender<Decisions>>,
    /// The counters.
    pub stats: Arc<DecisionStats>,
    warned_full: AtomicBool,
    started: AtomicBool,
}

impl DecisionLog {
    /// Whether decisions are being logged.
    pub fn is_on(&self) -> bool {
        self.sink.load().is_some()
    }

    /// Whether the log was started (its metrics are then shown).
    pub fn was_started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// Queues the decisions `make` builds (called only when the log is on). Never blocks:
    /// when the writer is [`QUEUE_LEADS`] behind, the decisions are dropped and counted.
    pub fn record(&self, leads: usize, make: impl FnOnce() -> Decisions) {
        let guard = self.sink.load();
        let Some(sender) = guard.as_ref() else {
            if self.was_started() {
                self.stats
                    .dropped
                    .fetch_add(leads as u64, Ordering::Relaxed);
            }
            return;
        };
        let n = leads as u64;
        let queued = self.stats.queued.fetch_add(n, Ordering::Relaxed);
        if queued + n > QUEUE_LEADS {
            self.stats.queued.fetch_sub(n, Ordering::Relaxed);
            self.stats.dropped.fetch_add(n, Ordering::Relaxed);
            if !self.warned_full.swap(true, Ordering::Relaxed) {
                leadscore_core::stderr_line!(
                    "leadscore-serve: warning: decision log: the writer is {QUEUE_LEADS} decisions behind; dropping new decisions until it catches up (counted in leadscore_decision_log_dropped_total)"
                );
            }
            return;
        }
        if sender.send(make()).is_err() {
            self.stats.queued.fetch_sub(n, Ordering::Relaxed);
            self.stats.dropped.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Starts the writer thread on `config`; decisions are logged from now on. Opening the
    /// file is the writer's job: a folder that cannot be written is reported, not fatal.
    ///
    /// A folder whose log another running server writes is refused ([`lock_folder`]).
    pub fn start(&self, config: &DecisionLogConfig) -> std::io::Result<DecisionWriter> {
        let lock = lock_folder(&config.dir)?;
        let (tx, rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let mut writer = Writer::new(config.clone(), self.stats.clone());
        writer._lock = lock;
        let thread = std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || {
                writer.run(&rx);
                let _ = done_tx.send(());
            })?;
        self.sink.store(Some(Arc::new(tx)));
        self.started.store(true, Ordering::Relaxed);
        Ok(DecisionWriter {
            thread,
            done: done_rx,
            path: config.dir.join(FILE_NAME),
        })
    }

    /// Appends the log's metrics (when it was started) to the Prometheus text.
    pub fn write_metrics(&self, s: &mut String) -> std::fmt::Result {
        if !self.was_started() {
            return Ok(());
        }
        let st = &self.stats;
        let counter = |s: &mut String, name: &str, help: &str, v: u64| {
            writeln!(s, "# HELP {name} {help}")?;
            writeln!(s, "# TYPE {name} counter")?;
            writeln!(s, "{name} {v}")
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            s,
            "leadscore_decision_log_written_total",
            "Decisions written to the decision log.",
            load(&st.written),
        )?;
        counter(
            s,
            "leadscore_decision_log_dropped_total",
            "Decisions not logged because the writer was too far behind (or the log was closed).",
            load(&st.dropped),
        )?;
        counter(
            s,
            "leadscore_decision_log_lost_total",
            "Decisions not logged because of write errors.",
            load(&st.lost),
        )?;
        counter(
            s,
            "leadscore_decision_log_synced_total",
            "Decisions written and synced to disk (at most a second after they are written).",
            load(&st.synced),
        )?;
        counter(
            s,
            "leadscore_decision_log_rotations_total",
            "Decision log files rotated.",
            load(&st.rotations),
        )?;
        counter(
            s,
            "leadscore_decision_log_deleted_files_total",
            "Rotated decision log files deleted to keep --decision-log-keep.",
            load(&st.deleted),
        )?;
        writeln!(
            s,
            "# HELP leadscore_decision_log_errors_total Decision log write errors by kind."
        )?;
        writeln!(s, "# TYPE leadscore_decision_log_errors_total counter")?;
        for (kind, count) in ERROR_KINDS.iter().zip(&st.errors) {
            writeln!(
                s,
                "leadscore_decision_log_errors_total{{kind=\"{kind}\"}} {}",
                load(count)
            )?;
        }
        writeln!(
            s,
            "# HELP leadscore_decision_log_queued Decisions waiting for the writer."
        )?;
        writeln!(s, "# TYPE leadscore_decision_log_queued gauge")?;
        writeln!(s, "leadscore_decision_log_queued {}", load(&st.queued))
    }
}

/// The writer thread, to stop at shutdown.
#[derive(Debug)]
pub struct DecisionWriter {
    thread: std::thread::JoinHandle<()>,
    done: Receiver<()>,
    path: PathBuf,
}

impl DecisionWriter {
    /// Closes the queue (later decisions are dropped and counted), then waits up to `limit`
    /// for the writer to write what it accepted, flush and fsync. Returns whether it finished.
    pub fn finish(self, log: &DecisionLog, limit: Duration) -> bool {
        log.sink.store(None);
        match self.done.recv_timeout(limit) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = self.thread.join();
                let st = &log.stats;
                leadscore_core::stderr_line!(
                    "leadscore-serve: decision log: {} decisions written and flushed to {}; {} dropped, {} lost to write errors",
                    st.written.load(Ordering::Relaxed),
                    self.path.display(),
                    st.dropped.load(Ordering::Relaxed),
                    st.lost.load(Ordering::Relaxed),
                );
                true
            }
            Err(RecvTimeoutError::Timeout) => {
                leadscore_core::stderr_line!(
                    "leadscore-serve: decision log: still writing after {limit:?}; {} decisions may be lost",
                    log.stats.queued.load(Ordering::Relaxed)
                );
                false
            }
        }
    }
}

/// The writer thread's state.
struct Writer {
    config: DecisionLogConfig,
    stats: Arc<DecisionStats>,
    file: Option<File>,
    /// Bytes in the current file.
    size: u64,
    /// Formatted lines not yet written, and how many.
    pending: Vec<u8>,
    pending_lines: u64,
    /// The number the next rotated file gets (found when the file is first opened).
    next_rotation: Option<u64>,
    warned: [bool; ERROR_KINDS.len()],
    failing: bool,
    line: Vec<u8>,
    /// Decisions written but not yet synced, and when the first of them was written.
    unsynced_lines: u64,
    unsynced_since: Option<Instant>,
    /// The folder's lock ([`lock_folder`]), released when the writer ends.
    _lock: Option<File>,
    /// Whether the rotation numbers ran out was said.
    warned_exhausted: bool,
}

impl Writer {
    fn new(config: DecisionLogConfig, stats: Arc<DecisionStats>) -> Self {
        Self {
            config,
            stats,
            file: None,
            size: 0,
            pending: Vec::with_capacity(CHUNK_BYTES * 2),
            pending_lines: 0,
            next_rotation: None,
            warned: [false; ERROR_KINDS.len()],
            failing: false,
            line: Vec::with_capacity(256),
            unsynced_lines: 0,
            unsynced_since: None,
            _lock: None,
            warned_exhausted: false,
        }
    }

    fn path(&self) -> PathBuf {
        self.config.dir.join(FILE_NAME)
    }

    fn run(&mut self, rx: &Receiver<Decisions>) {
        // Open early to learn the file's size (rotation); a failure is reported at the first
        // write, with the decisions it loses.
        let _ = self.open();
        loop {
            // Wake up in time to sync what was written within SYNC_EVERY.
            let wait = self
                .unsynced_since
                .map_or(IDLE, |t| SYNC_EVERY.saturating_sub(t.elapsed()).min(IDLE));
            match rx.recv_timeout(wait) {
                Ok(batch) => {
                    self.add(&batch);
                    // Take what else is waiting, then write it out in one go.
                    while self.pending.len() < CHUNK_BYTES {
                        match rx.try_recv() {
                            Ok(batch) => self.add(&batch),
                            Err(_) => break,
                        }
                    }
                    self.write_out();
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self
                .unsynced_since
                .is_some_and(|t| t.elapsed() >= SYNC_EVERY)
            {
                self.sync();
            }
        }
        self.write_out();
        self.sync();
    }

    /// Syncs the written lines to disk (data only: the size change is part of it).
    fn sync(&mut self) {
        self.unsynced_since = None;
        let Some(file) = &self.file else {
            return;
        };
        match file.sync_data() {
            Ok(()) => self.synced(),
            Err(e) => self.fail(&e, "fsync"),
        }
    }

    fn synced(&mut self) {
        self.stats
            .synced
            .fetch_add(self.unsynced_lines, Ordering::Relaxed);
        self.unsynced_lines = 0;
        self.unsynced_since = None;
    }

    /// Formats one request's decisions into `pending`, rotating between lines as needed.
    fn add(&mut self, batch: &Decisions) {
        let n = batch.leads.len() as u64;
        let time = rfc3339_millis(batch.at_ms);
        let as_of = rfc3339_millis(batch.as_of.saturating_mul(1000));
        let serving = &batch.serving;
        let (model_id, cutoff) = (serving.model_id(), serving.cutoff());
        let mut line = std::mem::take(&mut self.line);
        for lead in &batch.leads {
            line.clear();
            let record = Line {
                time: &time,
                lead_id: IdRef(&lead.lead_id),
                model_id,
                route: batch.route,
                as_of: &as_of,
                score: lead.score,
                cutoff,
                mql: lead.mql,
                tier: serving.tier(lead.score),
            };
            // Plain strings and finite numbers into memory: serializing cannot fail.
            let _ = serde_json::to_writer(&mut line, &record);
            line.push(b'\n');
            let used = self.size + self.pending.len() as u64;
            if used > 0 && used + line.len() as u64 > self.config.max_bytes {
                self.write_out();
                self.rotate();
            }
            self.pending.extend_from_slice(&line);
            self.pending_lines += 1;
        }
        self.line = line;
        self.stats.queued.fetch_sub(n, Ordering::Relaxed);
    }

    /// Writes `pending` to the file (opening it if needed). On failure, the lines that reached
    /// the file whole are counted written and the rest lost: the line cut short is trimmed when
    /// the file is reopened ([`trim_partial_line`]), so the file holds exactly the lines
    /// counted written (a full disk takes part of a batch, not all of it).
    fn write_out(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut done = 0usize;
        let result = self.open().and_then(|file| {
            while done < pending.len() {
                match file.write(&pending[done..]) {
                    Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                    Ok(n) => done += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        self.pending = pending;
        let whole = match &result {
            Ok(()) => self.pending_lines,
            Err(_) => self.pending[..done].iter().filter(|b| **b == b'\n').count() as u64,
        };
        if whole > 0 {
            self.stats.written.fetch_add(whole, Ordering::Relaxed);
            self.unsynced_lines += whole;
            self.unsynced_since.get_or_insert_with(Instant::now);
        }
        match result {
            Ok(()) => {
                self.size += self.pending.len() as u64;
                if self.failing {
                    self.failing = false;
                    leadscore_core::stderr_line!(
                        "leadscore-serve: decision log: writing to {} again",
                        self.path().display()
                    );
                }
            }
            Err(e) => {
                self.stats
                    .lost
                    .fetch_add(self.pending_lines - whole, Ordering::Relaxed);
                self.fail(&e, "write");
                // Reopen (and trim a partial line) on the next write.
                self.file = None;
            }
        }
        self.pending.clear();
        self.pending_lines = 0;
    }

    fn fail(&mut self, e: &std::io::Error, what: &str) {
        let kind = error_kind(e);
        self.stats.errors[kind].fetch_add(1, Ordering::Relaxed);
        self.failing = true;
        if !self.warned[kind] {
            self.warned[kind] = true;
            leadscore_core::stderr_line!(
                "leadscore-serve: warning: decision log: cannot {what} {}: {e}; decisions are being lost (still serving; further {} errors are only counted in leadscore_decision_log_errors_total)",
                self.path().display(),
                ERROR_KINDS[kind]
            );
        }
    }

    /// The open file, opening (and creating the folder) when needed.
    fn open(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            std::fs::create_dir_all(&self.config.dir).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    // A file where the folder should be (counted as not_a_directory).
                    std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        format!("{} is a file, not a folder", self.config.dir.display()),
                    )
                } else {
                    e
                }
            })?;
            if self.next_rotation.is_none() {
                self.next_rotation = Some(last_rotation(&self.config.dir)? + 1);
                self.prune();
            }
            // Checked again at every open: the file may have been replaced since start-up.
            if let Some(e) = unusable_log_file(&self.path()) {
                return Err(e);
            }
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .read(true)
                .open(self.path())?;
            self.size = trim_partial_line(&mut file)?;
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("decision log file not open"))
    }

    /// Closes the current file (fsynced) and renames it `decisions.<n>.jsonl`, then deletes
    /// the oldest rotated files beyond `--decision-log-keep`.
    fn rotate(&mut self) {
        // Past the highest number a rotated file may have (only a file planted there leads
        // here): no rotation; the file grows past its limit, nothing is lost, said once.
        if self.next_rotation.unwrap_or(1) > leadscore_core::files::MAX_DECISION_LOG_ROTATION {
            if !self.warned_exhausted {
                self.warned_exhausted = true;
                leadscore_core::stderr_line!(
                    "leadscore-serve: warning: decision log: {} holds decisions.{}.jsonl, the \
                     highest number a rotated file may have: {} is no longer rotated and grows \
                     past --decision-log-max-bytes (remove or rename that file)",
                    self.config.dir.display(),
                    leadscore_core::files::MAX_DECISION_LOG_ROTATION,
                    self.path().display()
                );
            }
            return;
        }
        let Some(file) = self.file.take() else {
            return;
        };
        let result = file.sync_all().and_then(|()| {
            drop(file);
            self.synced();
            let n = self.next_rotation.unwrap_or(1);
            let target = self.config.dir.join(format!("decisions.{n}.jsonl"));
            std::fs::rename(self.path(), &target)?;
            self.next_rotation = Some(n + 1);
            Ok(())
        });
        match result {
            Ok(()) => {
                self.size = 0;
                self.stats.rotations.fetch_add(1, Ordering::Relaxed);
                self.prune();
            }
            Err(e) => self.fail(&e, "rotate"),
        }
    }

    /// Deletes the oldest `decisions.<n>.jsonl` files so that at most `keep` remain.
    fn prune(&mut self) {
        let mut rotated = match std::fs::read_dir(&self.config.dir) {
            Ok(entries) => entries
                .filter_map(|e| {
                    let name = e.ok()?.file_name();
                    rotation_number(&name.to_string_lossy())
                })
                .collect::<Vec<u64>>(),
            Err(e) => return self.fail(&e, "list"),
        };
        let keep = usize::try_from(self.config.keep).unwrap_or(usize::MAX);
        if rotated.len() <= keep {
            return;
        }
        rotated.sort_unstable();
        let excess = rotated.len() - keep;
        for n in &rotated[..excess] {
            let path = self.config.dir.join(format!("decisions.{n}.jsonl"));
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    self.stats.deleted.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => self.fail(&e, "delete an old file next to"),
            }
        }
    }
}

/// The highest `n` of the `decisions.<n>.jsonl` files in `dir` (0 when none).
fn last_rotation(dir: &Path) -> std::io::Result<u64> {
    let mut last = 0;
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(n) = rotation_number(&name.to_string_lossy()) {
            last = last.max(n);
        }
    }
    Ok(last)
}

/// `n` of a `decisions.<n>.jsonl` file name
/// ([`leadscore_core::files::decision_log_rotation`]: bounded, so the next never overflows).
pub fn rotation_number(name: &str) -> Option<u64> {
    leadscore_core::files::decision_log_rotation(name)
}

/// After a failed write, the file may end in part of a line: cut it back to the last complete
/// line. Returns the file's size.
fn trim_partial_line(file: &mut File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut end = len;
    let mut buf = [0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
            }
            return Ok(keep);
        }
        end = start;
    }
    file.set_len(0)?;
    Ok(0)
}

/// One line of the log.
#[derive(serde::Serialize)]
struct Line<'a> {
    time: &'a str,
    lead_id: IdRef<'a>,
    model_id: &'a str,
    route: &'a str,
    as_of: &'a str,
    score: f64,
    cutoff: f64,
    mql: bool,
    tier: Option<&'a str>,
}

/// A lead id as the request sent it (string, number or boolean), or null. A number is
/// written as the JSON text the request had (`9007199254740993`, `123`), not re-formatted.
struct IdRef<'a>(&'a LeadId);

impl Serialize for IdRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            LeadId::Missing => s.serialize_none(),
            LeadId::Text(t) => s.serialize_str(t),
            LeadId::Number(text) => match serde_json::value::RawValue::from_string(text.clone()) {
                Ok(raw) => raw.serialize(s),
                // Checked when parsed; never a non-number here.
                Err(_) => s.serialize_none(),
            },
            LeadId::Bool(b) => s.serialize_bool(*b),
        }
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `2025-06-08T10:00:00.123Z` (UTC) from Unix milliseconds.
pub fn rfc3339_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let ((year, month, day), (hh, mm, ss)) = leadscore_core::civil::civil_from_unix(secs);
    format!("{year:04}-{month:02}-{day:02}T{hh:02}:{mm:02}:{ss:02}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_749_376_800_123),
            "2025-06-08T10:00:00.123Z"
        );
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            leadscore_core::value::parse_timestamp("2024-12-31T23:59:59Z").map(|t| t * 1000),
            Some(1_735_689_599_000)
        );
        assert_eq!(
            rfc3339_millis(1_735_689_599_000),
            "2024-12-31T23:59:59.000Z"
        );
    }

    #[test]
    fn rotation_numbers() {
        assert_eq!(rotation_number("decisions.12.jsonl"), Some(12));
        assert_eq!(rotation_number("decisions.jsonl"), None);
        assert_eq!(rotation_number("decisions.x.jsonl"), None);
        // A number no server wrote (the next would overflow) or a sign: not the log's.
        assert_eq!(
            rotation_number("decisions.18446744073709551615.jsonl"),
            None
        );
        assert_eq!(rotation_number("decisions.+3.jsonl"), None);
        assert_eq!(rotation_number("decisions.0.jsonl"), None);
    }

    #[test]
    fn trims_a_partial_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        let mut f = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        assert_eq!(trim_partial_line(&mut f).unwrap(), 8);
        f.write_all(b"{\"c\":2}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"c\":2}\n"
        );
    }

    #[derive(Debug)]
    struct Model;

    impl ModelInForce for Model {
        fn model_id(&self) -> &str {
            "m1"
        }
        fn cutoff(&self) -> f64 {
            0.5
        }
        fn tier(&self, _: f64) -> Option<&str> {
            None
        }
    }

    fn decisions(ids: Vec<LeadId>) -> Decisions {
        Decisions {
            at_ms: 0,
            route: "/v1/score",
            as_of: 0,
            serving: Arc::new(Model),
            leads: ids
                .into_iter()
                .map(|lead_id| LeadDecision {
                    lead_id,
                    score: 0.25,
                    mql: false,
                })
                .collect(),
        }
    }

    #[test]
    fn ids_are_written_as_sent_and_synced_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let log = DecisionLog::default();
        let writer = log.start(&DecisionLogConfig::new(dir.path())).unwrap();
        let ids = vec![
            LeadId::Number("9007199254740993".into()),
            LeadId::Number("123".into()),
            LeadId::Text("L-\"7\"".into()),
            LeadId::Bool(false),
            LeadId::Missing,
        ];
        log.record(ids.len(), || decisions(ids.clone()));
        let start = std::time::Instant::now();
        while log.stats.synced.load(Ordering::Relaxed) < 5 {
            assert!(
                start.elapsed() < Duration::from_millis(1500),
                "not synced within 1.5 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let ids: Vec<&str> = text
            .lines()
            .map(|l| {
                let rest = &l[l.find("\"lead_id\":").unwrap() + 10..];
                &rest[..rest.find(",\"model_id\"").unwrap()]
            })
            .collect();
        assert_eq!(
            ids,
            [
                "9007199254740993",
                "123",
                "\"L-\\\"7\\\"\"",
                "false",
                "null"
            ]
        );
        assert!(writer.finish(&log, Duration::from_secs(5)));
    }

    /// 30 decisions logged in `dir` with 400-byte files and 2 rotated files kept, the log
    /// finished.
    fn thirty_decisions(dir: &Path) -> DecisionLog {
        let log = DecisionLog::default();
        let config = DecisionLogConfig {
            max_bytes: 400,
            keep: 2,
            ..DecisionLogConfig::new(dir)
        };
        let writer = log.start(&config).unwrap();
        for i in 0..30 {
            log.record(1, || decisions(vec![LeadId::Number(i.to_string())]));
        }
        assert!(writer.finish(&log, Duration::from_secs(5)));
        log
    }

    #[test]
    fn rotation_stops_at_the_highest_number_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let max = leadscore_core::files::MAX_DECISION_LOG_ROTATION;
        std::fs::write(dir.path().join(format!("decisions.{max}.jsonl")), "{}\n").unwrap();
        // A number no server writes is not the log's (the next one overflowed).
        std::fs::write(dir.path().join(format!("decisions.{}.jsonl", u64::MAX)), "").unwrap();
        let log = thirty_decisions(dir.path());
        assert_eq!(log.stats.rotations.load(Ordering::Relaxed), 0);
        assert_eq!(log.stats.written.load(Ordering::Relaxed), 30);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(text.lines().count(), 30);
    }

    #[test]
    fn rotation_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        // Left from an earlier run with a larger --decision-log-keep.
        for n in 1..=4 {
            std::fs::write(dir.path().join(format!("decisions.{n}.jsonl")), "{}\n").unwrap();
        }
        let log = thirty_decisions(dir.path());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != LOCK_NAME)
            .collect();
        names.sort_by_key(|n| rotation_number(n).unwrap_or(u64::MAX));
        let rotations = log.stats.rotations.load(Ordering::Relaxed);
        assert!(rotations >= 3, "{rotations}");
        let last = 4 + rotations;
        assert_eq!(
            names,
            [
                format!("decisions.{}.jsonl", last - 1),
                format!("decisions.{last}.jsonl"),
                FILE_NAME.to_string()
            ]
        );
        assert_eq!(log.stats.deleted.load(Ordering::Relaxed), rotations + 2);
    }
}
