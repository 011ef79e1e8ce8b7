//! Connections: the HTTP/1.1 server under the router, kept usable when clients hold connections
//! without using them.
//!
//! - **Header-read timeout** (`--header-read-timeout-ms`): a request's head must arrive within
//!   it, counted from its first byte; a client sending one byte a second is closed.
//! - **Idle timeout** (`--idle-timeout-ms`): a connection with no request in progress (before
//!   its first byte, or between keep-alive requests) is closed after it.
//! - **Write timeout** (`--write-timeout-ms`): writing an answer may make no progress for at
//!   most this long (a client that sends requests but never reads the answers); then the
//!   connection is closed. A slow reader that keeps reading is never cut off.
//! - **Connection cap** (`--max-connections`, lowered to what the open-files limit leaves room
//!   for): at the cap, a new connection closes the connection idle the longest (no request in
//!   progress, counting one whose head is still arriving); if every connection is busy with a
//!   request, the new one is closed at once. Idle sockets can therefore never lock out a new
//!   client, and the server never runs out of file descriptors for them.
//! - **Low-level errors in the envelope**: hyper answers a request it cannot parse itself (400
//!   bad request line or header, 414 URI too long, 431 headers too large) with an empty body;
//!   [`Io`] replaces that answer with the same status carrying the JSON error envelope.
//! - **Graceful shutdown**: [`serve`] stops accepting when told, then lets each connection
//!   finish the request in progress and close.
//!
//! The routes get each request with its connection's local address ([`LocalAddr`]; the admin
//! check compares the `Host` port with it), to keep as a request extension where needed.

use crate::config::Config;
use crate::error::{ErrorBody, ErrorEnvelope};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::Response;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The address a request's connection was accepted on (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddr(pub SocketAddr);

/// File descriptors kept free for everything but client connections (model and registry
/// reads, the decision log, the runtime), when the open-files limit lowers the cap.
const RESERVED_FDS: usize = 32;

/// The connection settings of a [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time for a request's head, from its first byte.
    pub header_read_timeout: Duration,
    /// Time without a request in progress.
    pub idle_timeout: Duration,
    /// Time a write may wait for the client to read.
    pub write_timeout: Duration,
    /// Most open connections.
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, the cap lowered to what `open_files` (the soft limit on open file
    /// descriptors, if known) leaves room for after [`RESERVED_FDS`].
    pub fn new(config: &Config, open_files: Option<u64>) -> Self {
        let room = open_files.map_or(usize::MAX, |n| {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            n.saturating_sub(RESERVED_FDS.min(n / 2)).max(1)
        });
        Self {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            write_timeout: config.write_timeout,
            max_connections: config.max_connections.min(room),
        }
    }
}

/// The soft limit on open file descriptors of this process (`/proc/self/limits`; `None` where
/// there is no such file or no limit).
pub fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------------
// One connection's state

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No request in progress since this instant.
    Idle(Instant),
    /// A request's head started arriving at this instant.
    Head(Instant),
    /// This many requests in progress (handler running or answer being written).
    Busy(usize),
    /// Closed to make room for a new connection.
    Evicted,
}

/// One open connection, shared by its task, its I/O wrapper, its requests and the registry.
struct Conn {
    phase: Mutex<Phase>,
    /// Since when a write has been waiting for the client to read (`None`: not waiting).
    write_stalled: Mutex<Option<Instant>>,
    /// Whether hyper holds output not yet handed to the socket: from a write until the flush
    /// that ends it. A request ends when hyper has taken its answer's body, which can be megabytes
    /// before the client has read them; until they are out, the connection is not idle (an
    /// idle timeout or an eviction then would cut the answer short behind a clean close).
    writing: std::sync::atomic::AtomicBool,
    /// Wakes the connection's task: its deadline changed, or it was evicted.
    wake: Notify,
}

impl Conn {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Idle(Instant::now())),
            write_stalled: Mutex::new(None),
            writing: std::sync::atomic::AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, update: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        let (before, after) = (*phase, update(*phase));
        *phase = after;
        drop(phase);
        // The deadline moved earlier (a head started) or appeared (the last request ended).
        if matches!(
            (before, after),
            (Phase::Idle(_), Phase::Head(_)) | (Phase::Busy(_), Phase::Idle(_))
        ) {
            self.wake.notify_one();
        }
    }

    /// Bytes arrived: with no request in progress, a head has started.
    fn bytes_read(&self) {
        if matches!(self.phase(), Phase::Idle(_)) {
            self.set(|p| match p {
                Phase::Idle(_) => Phase::Head(Instant::now()),
                other => other,
            });
        }
    }

    fn request_started(&self) {
        self.set(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            Phase::Evicted => Phase::Evicted,
            _ => Phase::Busy(1),
        });
    }

    fn request_ended(&self) {
        self.set(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            Phase::Busy(_) => Phase::Idle(Instant::now()),
            other => other,
        });
    }

    /// A write to the client was attempted: `ready` when it made progress, otherwise it waits
    /// for the client to read.
    fn wrote(&self, ready: bool) {
        let mut stalled = self.write_stalled.lock().unwrap_or_else(|e| e.into_inner());
        match (*stalled, ready) {
            (Some(_), true) => *stalled = None,
            (None, false) => {
                *stalled = Some(Instant::now());
                drop(stalled);
                // A deadline appeared.
                self.wake.notify_one();
            }
            _ => {}
        }
    }

    /// Output was handed to the socket wrapper: not idle until it is flushed.
    fn writing(&self) {
        self.writing.store(true, Ordering::Relaxed);
    }

    /// hyper's output is all in the socket: a connection with no request in progress is idle
    /// from now on (not from when its last answer's body was taken).
    fn flushed(&self) {
        if self.writing.swap(false, Ordering::Relaxed) {
            let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner());
            if let Phase::Idle(since) = &mut *phase {
                *since = Instant::now();
                drop(phase);
                self.wake.notify_one();
            }
        }
    }

    /// When the connection must close if nothing changes (`None`: busy, its writes moving).
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let writing = self.writing.load(Ordering::Relaxed);
        let phase = match self.phase() {
            // An answer still going out: only the write timeout applies.
            Phase::Idle(_) if writing => None,
            Phase::Idle(since) => Some(since + limits.idle_timeout),
            Phase::Head(since) => Some(since + limits.header_read_timeout),
            Phase::Busy(_) => None,
            Phase::Evicted => Some(Instant::now()),
        };
        let stalled = self
            .write_stalled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|since| since + limits.write_timeout);
        match (phase, stalled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Since when the connection has had no request in progress (`None`: busy, an answer still
    /// going out, or evicted).
    fn idle_since(&self) -> Option<Instant> {
        if self.writing.load(Ordering::Relaxed) {
            return None;
        }
        match self.phase() {
            Phase::Idle(t) | Phase::Head(t) => Some(t),
            Phase::Busy(_) | Phase::Evicted => None,
        }
    }
}

/// How long a connection is spared from eviction after it was accepted or last answered.
const EVICT_GRACE: Duration = Duration::from_millis(250);

/// The open connections, to close the idlest one at the cap.
#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
}

impl Registry {
    fn add(self: &Arc<Self>, conn: Arc<Conn>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, conn);
        Registered {
            registry: self.clone(),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection idle the longest, among those idle for at least [`EVICT_GRACE`]
    /// (a connection just accepted has not had the time to send its request: under a burst of
    /// connections it would otherwise be evicted before its first read); false when none is.
    fn evict_idlest(&self) -> bool {
        self.evict_idle_for(EVICT_GRACE)
    }

    /// [`Registry::evict_idlest`] with another grace.
    fn evict_idle_for(&self, grace: Duration) -> bool {
        let conns = self.lock();
        let now = Instant::now();
        let idlest = conns
            .values()
            .filter_map(|c| c.idle_since().map(|t| (t, c)))
            .filter(|(t, _)| now.saturating_duration_since(*t) >= grace)
            .min_by_key(|(t, _)| *t);
        match idlest {
            Some((_, conn)) => {
                conn.set(|_| Phase::Evicted);
                conn.wake.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when its task ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

// ---------------------------------------------------------------------------------------------
// The server loop

/// What answers each request of a connection: the server's routes, passed in as a function
/// (the connections sit below the routes and their handlers).
pub type Routes =
    Arc<dyn Fn(Request, LocalAddr) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// Serves `routes` on `listener` until `shutdown` completes: each connection with the
/// [`Limits`]; the listener is closed (new connections refused) as soon as `stop_accepting` is
/// notified. After `shutdown`, connections finish the request in progress and close; returns
/// when all are closed.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    limits: Limits,
    stop_accepting: Arc<Notify>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let mut listener = Some(listener);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let registry = Arc::new(Registry::default());
    // Connections hold `closed_rx` clones: `closed_tx.closed()` is when all have ended.
    let (closed_tx, closed_rx) = watch::channel(());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = async {
            match &listener {
                Some(l) => l.accept().await,
                None => std::future::pending().await,
            }
        };
        let stream = tokio::select! {
            accepted = accepted => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors and the like: make room, back off a moment.
                    registry.evict_idlest();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = stop_accepting.notified() => {
                listener = None;
                continue;
            }
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let task = ConnTask {
            routes: routes.clone(),
            limits,
            local,
            registry: registry.clone(),
            shutdown: shutdown_rx.clone(),
            _closed: closed_rx.clone(),
        };
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(task.run(stream, permit));
            }
            // At the cap: close the idlest connection and take its slot when it is free.
            Err(_) if registry.evict_idlest() => {
                let slots = slots.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(permit)) =
                        tokio::time::timeout(Duration::from_secs(1), slots.acquire_owned()).await
                    {
                        task.run(stream, permit).await;
                    }
                });
            }
            // Every connection is busy with a request: this one is closed at once.
            Err(_) => drop(stream),
        }
    }
    drop(listener);
    drop(closed_rx);
    let _ = shutdown_tx.send(true);
    closed_tx.closed().await;
    Ok(())
}

/// What one connection's task needs.
struct ConnTask {
    routes: Routes,
    limits: Limits,
    local: SocketAddr,
    registry: Arc<Registry>,
    shutdown: watch::Receiver<bool>,
    _closed: watch::Receiver<()>,
}

impl ConnTask {
    async fn run(mut self, stream: TcpStream, _permit: OwnedSemaphorePermit) {
        let conn = Arc::new(Conn::new());
        let _registered = self.registry.add(conn.clone());
        let service = Service {
            routes: self.routes.clone(),
            conn: conn.clone(),
            local: LocalAddr(self.local),
        };
        let io = hyper_util::rt::TokioIo::new(Io {
            inner: stream,
            conn: conn.clone(),
            pending: Vec::new(),
            pending_at: 0,
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.header_read_timeout(None::<Duration>);
        let mut http = pin!(builder.serve_connection(io, service));
        let mut timer = pin!(tokio::time::sleep(self.limits.idle_timeout));
        let mut shutting_down = *self.shutdown.borrow();
        if shutting_down {
            http.as_mut().graceful_shutdown();
        }
        loop {
            let deadline = conn.deadline(&self.limits);
            if let Some(at) = deadline {
                if at <= Instant::now() {
                    // Out of time with no request in progress (or evicted): close.
                    break;
                }
                if timer.deadline() != at {
                    timer.as_mut().reset(at);
                }
            }
            tokio::select! {
                _ = http.as_mut() => break,
                () = &mut timer, if deadline.is_some() => {}
                () = conn.wake.notified() => {}
                changed = self.shutdown.changed(), if !shutting_down => {
                    shutting_down = true;
                    if changed.is_ok() {
                        http.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The routes as hyper's service, marking each request's start and end on its connection.
#[derive(Clone)]
struct Service {
    routes: Routes,
    conn: Arc<Conn>,
    local: LocalAddr,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Service {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        self.conn.request_started();
        let guard = InProgress(self.conn.clone());
        let req: Request = req.map(Body::new);
        let response = (self.routes)(req, self.local);
        Box::pin(async move {
            let response = response.await;
            // The request is in progress until its answer is written (the body dropped).
            Ok(response.map(|body| {
                Body::new(Guarded {
                    body,
                    _guard: guard,
                })
            }))
        })
    }
}

/// Ends a request on its connection when dropped.
struct InProgress(Arc<Conn>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// A response body that keeps its request in progress until it is dropped.
struct Guarded {
    body: Body,
    _guard: InProgress,
}

impl HttpBody for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

// ---------------------------------------------------------------------------------------------
// The socket

/// The client socket: reads mark a request's head as started; hyper's own bodiless answers to
/// requests it could not parse are replaced with the same status and the JSON envelope.
struct Io {
    inner: TcpStream,
    conn: Arc<Conn>,
    /// A replacement answer still to be written, from `pending_at`.
    pending: Vec<u8>,
    pending_at: usize,
}

impl Io {
    /// Notes on the connection whether a write made progress (see [`Conn::wrote`]).
    fn track<T>(&self, poll: Poll<T>) -> Poll<T> {
        self.conn.wrote(poll.is_ready());
        poll
    }

    /// Writes what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_at < self.pending.len() {
            let written =
                Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_at..]);
            let n = ready!(self.track(written))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending_at += n;
        }
        self.pending.clear();
        self.pending_at = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut self.inner).poll_read(cx, buf));
        if result.is_ok() && buf.filled().len() > before {
            self.conn.bytes_read();
        }
        Poll::Ready(result)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.conn.writing();
        ready!(self.poll_pending(cx))?;
        if let Some(answer) = enveloped_parse_error(buf) {
            self.pending = answer;
            return Poll::Ready(Ok(buf.len()));
        }
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.track(written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.conn.writing();
        ready!(self.poll_pending(cx))?;
        if let [only] = bufs {
            if let Some(answer) = enveloped_parse_error(only) {
                self.pending = answer;
                return Poll::Ready(Ok(only.len()));
            }
        }
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.track(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        let flushed = ready!(Pin::new(&mut self.inner).poll_flush(cx));
        if flushed.is_ok() {
            self.conn.flushed();
        }
        Poll::Ready(flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// When `head` is hyper's own answer to a request it could not parse (status 400, 414 or
/// 431, `content-length: 0`, no content type: the router's errors always have a JSON body),
/// the same answer with the JSON error envelope and `connection: close` (hyper closes the
/// connection after it).
fn enveloped_parse_error(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > 512 || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let (status_line, headers) = text.split_once("\r\n")?;
    let status = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let (code, message) = match status {
        "400" => (
            "bad_request",
            "the request line or a header is malformed (not HTTP/1.1)",
        ),
        "414" => (
            "uri_too_long",
            "the request target (path and query) is too long",
        ),
        "431" => (
            "headers_too_large",
            "the request headers are too large or too many",
        ),
        _ => return None,
    };
    let lines: Vec<&str> = headers.split("\r\n").filter(|l| !l.is_empty()).collect();
    let bodiless = lines
        .iter()
        .any(|l| l.eq_ignore_ascii_case("content-length: 0"));
    let only_known = lines.iter().all(|l| {
        let name = l.split(':').next().unwrap_or("").to_ascii_lowercase();
        matches!(name.as_str(), "content-length" | "date" | "connection")
    });
    if !bodiless || !only_known {
        return None;
    }
    let body = serde_json::to_vec(&ErrorEnvelope {
        error: ErrorBody {
            code: code.into(),
            message: message.into(),
            path: None,
        },
    })
    .ok()?;
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for line in lines
        .iter()
        .filter(|l| l.to_ascii_lowercase().starts_with("date:"))
    {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_parse_errors_get_the_envelope() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sat, 01 Jan 2000 00:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(enveloped_parse_error(head).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\ncontent-type: application/json\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        assert!(head.contains("\r\ndate: Sat, 01 Jan 2000 00:00:00 GMT"));
        let envelope: ErrorEnvelope = serde_json::from_str(body).unwrap();
        assert_eq!(envelope.error.code, "headers_too_large");
        // The router's own answers are left alone: they have a content type, or another status.
        for head in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert_eq!(enveloped_parse_error(head), None);
        }
    }

    #[test]
    fn the_cap_leaves_room_under_the_open_files_limit() {
        let config = Config::new("m.json", 0.5);
        assert_eq!(Limits::new(&config, None).max_connections, 1024);
        assert_eq!(Limits::new(&config, Some(1_048_576)).max_connections, 1024);
        assert_eq!(Limits::new(&config, Some(1024)).max_connections, 992);
        assert_eq!(Limits::new(&config, Some(64)).max_connections, 32);
        assert_eq!(Limits::new(&config, Some(10)).max_connections, 5);
    }

    #[test]
    fn deadlines_follow_the_request_cycle() {
        let limits = Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_connections: 4,
        };
        let conn = Conn::new();
        let idle = conn.deadline(&limits).unwrap();
        assert!(idle > Instant::now() + Duration::from_secs(50));
        // The first byte of a head: the (shorter) header deadline, and the task is woken.
        conn.bytes_read();
        let head = conn.deadline(&limits).unwrap();
        assert!(head < idle && head > Instant::now() + Duration::from_secs(5));
        conn.bytes_read();
        assert_eq!(
            conn.deadline(&limits),
            Some(head),
            "more bytes do not extend it"
        );
        conn.request_started();
        assert_eq!(conn.deadline(&limits), None, "no deadline while busy");
        conn.bytes_read(); // the body
        assert_eq!(conn.deadline(&limits), None);
        // The answer's write waits for the client to read: the write deadline, until a write
        // makes progress again.
        conn.wrote(true);
        assert_eq!(conn.deadline(&limits), None);
        conn.wrote(false);
        let stalled = conn.deadline(&limits).unwrap();
        assert!(stalled > Instant::now() + Duration::from_secs(25));
        conn.wrote(false);
        assert_eq!(
            conn.deadline(&limits),
            Some(stalled),
            "still the first stall"
        );
        conn.wrote(true);
        assert_eq!(conn.deadline(&limits), None, "progress clears it");
        // The body was taken but hyper is still writing it out: not idle, not evictable.
        conn.writing();
        conn.request_ended();
        assert_eq!(
            conn.deadline(&limits),
            None,
            "an answer going out is not idle"
        );
        assert_eq!(conn.idle_since(), None);
        conn.wrote(false);
        assert!(
            conn.deadline(&limits).unwrap() < Instant::now() + Duration::from_secs(31),
            "a stalled answer has the write deadline"
        );
        conn.wrote(true);
        let before = Instant::now();
        conn.flushed();
        assert!(conn.idle_since().unwrap() >= before, "idle from the flush");
        assert!(conn.deadline(&limits).unwrap() > head, "idle again");
        // The registry evicts the idlest of the idle ones, never a busy one.
        let registry = Arc::new(Registry::default());
        let (busy, idle) = (Arc::new(Conn::new()), Arc::new(Conn::new()));
        busy.request_started();
        let _a = registry.add(busy.clone());
        let _b = registry.add(idle.clone());
        assert!(
            !registry.evict_idlest(),
            "a connection just accepted is spared"
        );
        assert!(registry.evict_idle_for(Duration::ZERO));
        assert!(matches!(idle.phase(), Phase::Evicted));
        assert!(matches!(busy.phase(), Phase::Busy(1)));
        assert!(
            !registry.evict_idle_for(Duration::ZERO),
            "only a busy connection is left"
        );
    }
}
