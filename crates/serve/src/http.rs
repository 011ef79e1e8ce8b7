//! The HTTP plumbing every route shares: extractors (JSON body, query parameters, bearer
//! tokens), JSON responses, the blocking pool and the clock. It knows the configuration (through
//! [`HasConfig`]) but not the model in force, so every module above it (`state`, the routes)
//! can use it.

use crate::config::Config;
use crate::error::{Error, Result};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use leadscore_core::value::parse_timestamp;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The handlers' state as the extractors see it: the checked configuration (body limit,
/// tokens, bind address).
pub trait HasConfig {
    /// The configuration in force.
    fn config(&self) -> &Config;
}

impl<T: HasConfig + ?Sized> HasConfig for Arc<T> {
    fn config(&self) -> &Config {
        (**self).config()
    }
}

/// Default number of positive and of negative factors per lead.
pub const DEFAULT_FACTORS: usize = 3;

/// A JSON request body, parsed into a [`Value`]; rejections are envelope errors (415, 413, 400).
pub struct JsonBody(pub Value);

/// A request body checked to be declared JSON and within the size limit (415, 413), not yet
/// parsed: scoring parses it off the async workers (see [`parse_json`]).
pub struct JsonBytes(pub Bytes);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // Compared ignoring ASCII case, without a lower-cased copy (this runs on every request).
    let mime = ct.split(';').next().unwrap_or("").trim().as_bytes();
    let starts = |p: &[u8]| mime.len() >= p.len() && mime[..p.len()].eq_ignore_ascii_case(p);
    let ends =
        |p: &[u8]| mime.len() >= p.len() && mime[mime.len() - p.len()..].eq_ignore_ascii_case(p);
    mime.eq_ignore_ascii_case(b"application/json") || (starts(b"application/") && ends(b"+json"))
}

/// The body's `Content-Encoding`, unless absent or `identity`: the server reads plain JSON only
/// (a gzip body used to be read as bytes and refused as malformed JSON, a misleading 400).
fn content_encoding(headers: &HeaderMap) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|e| e.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        .collect();
    (!values.is_empty()).then(|| crate::error::shorten(&values.join(", ")))
}

/// Parses a JSON body (400 `invalid_json` when it is not JSON).
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::InvalidJson(e.to_string()))
}

impl<S: HasConfig + Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        JsonBytes::check(req.headers())?;
        JsonBytes::read(req.into_body(), state).await
    }
}

impl JsonBytes {
    /// The checks of the headers, before the body is read: `Content-Type` JSON, no
    /// `Content-Encoding`.
    pub fn check(headers: &HeaderMap) -> Result<()> {
        if !is_json(headers) {
            return Err(Error::UnsupportedMediaType);
        }
        if let Some(encoding) = content_encoding(headers) {
            return Err(Error::UnsupportedEncoding(encoding));
        }
        Ok(())
    }

    /// The body, read within the configured limit ([`JsonBytes::check`] first). Read here
    /// rather than by axum's `Bytes` extractor, which looks the limit up in the request's
    /// extensions (one map insert and one lookup a request, for a number the config holds).
    pub async fn read<S: HasConfig>(body: axum::body::Body, state: &S) -> Result<Self> {
        read_body(body, state.config().max_body_bytes)
            .await
            .map(JsonBytes)
    }
}

thread_local! {
    /// Whether the request body's next frame had not arrived when [`read_body`] last polled it
    /// on this thread. [`poll_noting_body`] clears it, polls a request's answer and reads it:
    /// one poll runs on one thread, so the flag then says whether that answer is waiting for
    /// its client (a late body is 408, a slow answer 503). Only answers not ready at their first
    /// poll are polled so: a request whose body came with its head pays nothing, where a flag
    /// shared with the request would cost an allocation each.
    static BODY_WAITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Polls `answer` once; when it is not ready, also whether it is waiting for more of the
/// request body ([`read_body`]) rather than for work of the server's.
pub fn poll_noting_body<F: std::future::Future + ?Sized>(
    answer: std::pin::Pin<&mut F>,
    cx: &mut std::task::Context<'_>,
) -> (std::task::Poll<F::Output>, bool) {
    BODY_WAITING.set(false);
    let polled = answer.poll(cx);
    let waiting = polled.is_pending() && BODY_WAITING.get();
    (polled, waiting)
}

/// The whole body, refused once it passes `limit` bytes (or once its declared length does). A
/// body that arrives in one frame (a single lead, mostly) is kept as that frame, without the
/// buffer list (an allocation a request) and the copy that `http_body_util`'s `collect` makes.
async fn read_body(mut body: axum::body::Body, limit: usize) -> Result<Bytes> {
    let too_large = Error::BodyTooLarge { limit };
    let read_error = |e: axum::Error| {
        Error::BodyRead(format!(
            "{e} (a malformed chunked encoding, or the connection ended before the body did)"
        ))
    };
    if http_body::Body::size_hint(&body).lower() > limit as u64 {
        return Err(too_large);
    }
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(frame) = next_frame(&mut body).await {
        let Ok(data) = frame.map_err(read_error)?.into_data() else {
            continue; // trailers
        };
        let len = first.as_ref().map_or(0, Bytes::len) + joined.len() + data.len();
        if len > limit {
            return Err(too_large);
        }
        if first.is_none() && joined.is_empty() {
            first = Some(data);
        } else {
            // A second frame: the body is joined from here on.
            if let Some(earlier) = first.take() {
                joined.extend_from_slice(&earlier);
            }
            joined.extend_from_slice(&data);
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

/// The body's next frame; one not there yet says so (see `BODY_WAITING`). A body that came
/// with its head (a single lead, mostly) never is.
fn next_frame(
    body: &mut Body,
) -> impl std::future::Future<
    Output = Option<std::result::Result<http_body::Frame<Bytes>, axum::Error>>,
> + '_ {
    std::future::poll_fn(move |cx| {
        let frame = http_body::Body::poll_frame(std::pin::Pin::new(&mut *body), cx);
        if frame.is_pending() {
            BODY_WAITING.set(true);
        }
        frame
    })
}

impl<S: HasConfig + Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Bodies up to this size are parsed and scored on the async worker that read them (a few
/// microseconds to a fraction of a millisecond); bigger batches go to the blocking pool so they
/// never stall other connections, and the request timeout can answer while they run.
pub const INLINE_BODY_BYTES: usize = 32 * 1024;

/// How many bodies over [`INLINE_BODY_BYTES`] are parsed and scored at once (see
/// [`parse_and_score`]): one less than the cores (at least one), so a core stays free for the
/// async workers and the small requests they answer inline.
pub fn big_body_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

fn big_bodies() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(big_body_slots()))
}

/// Parses and scores one request body of `len` bytes with `work`: inline when the body is
/// small ([`INLINE_BODY_BYTES`]); otherwise on the blocking pool, at most [`big_body_slots`] at
/// a time (the others wait their turn without holding a thread), so many large bodies cannot
/// crowd out small requests or pile up parses in memory. The slot is held until the work ends,
/// even when the request timeout has already answered. Work on the blocking pool that outlives
/// its request (answered 503 by the request timeout meanwhile) records nothing: see
/// [`answer_still_wanted`].
pub async fn parse_and_score<T: Send + 'static>(
    len: usize,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if len <= INLINE_BODY_BYTES {
        return work();
    }
    // Boxed: the slot's and the blocking task's futures would otherwise be part of every
    // request's future, inline bodies' too.
    Box::pin(async move {
        let abandoned = Arc::new(AtomicBool::new(false));
        // Dropped with the request's future: when the timeout answered, the work's outcome
        // is nobody's.
        let _abandon = Abandon(abandoned.clone());
        let slot = big_bodies()
            .acquire()
            .await
            .map_err(|e| Error::Internal(format!("big-body slots: {e}")))?;
        blocking(move || {
            let _slot = slot;
            ABANDONED.with(|c| *c.borrow_mut() = Some(abandoned));
            let result = work();
            ABANDONED.with(|c| *c.borrow_mut() = None);
            result
        })
        .await
    })
    .await
}

thread_local! {
    /// Whether the request whose work this blocking-pool thread is running has been dropped.
    static ABANDONED: std::cell::RefCell<Option<Arc<AtomicBool>>> = const { std::cell::RefCell::new(None) };
}

/// Marks a request's work abandoned when its future is dropped (after the work, harmless).
struct Abandon(Arc<AtomicBool>);

impl Drop for Abandon {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Called by the scoring work once its leads are scored, before it records them (metrics,
/// drift, decision log): whether the request still waits for this answer. Inline work always
/// is (its request is polled only to run it); work on the blocking pool is, unless the request
/// timeout already answered 503 and dropped the request, whose leads then count nowhere (a
/// client retrying them would log each decision twice). The check and the timeout do not lock
/// each other: a timeout that fires in the instant between this check and the answer can still
/// answer 503 for leads just recorded.
pub fn answer_still_wanted() -> bool {
    ABANDONED.with(|c| {
        c.borrow()
            .as_ref()
            .is_none_or(|abandoned| !abandoned.load(Ordering::Acquire))
    })
}

/// Runs blocking work (parsing and scoring a batch) on tokio's blocking pool, so big batches do
/// not stall the async workers and the request timeout can answer while they run.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("scoring task: {e}")))?
}

/// A serialized JSON body as a response.
pub fn json_response(body: Vec<u8>) -> Response {
    let mut response = Body::from(crate::buffers::body(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Query-string parameters as text (percent-decoded, `+` as space; a repeated name keeps its
/// last value); each handler checks the ones it reads. Kept as the request's URI (a shared
/// buffer, not copied) and decoded when a handler asks for a name: a request carries a handful
/// at most, and this runs on every scoring request.
pub struct Params(axum::http::Uri);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        Ok(Params::of(parts))
    }
}

impl Params {
    /// The request's query parameters (what the extractor gives).
    pub fn of(parts: &Parts) -> Self {
        Params(parts.uri.clone())
    }

    /// The value of `?name=`, if given (the last one when repeated), read as
    /// `application/x-www-form-urlencoded`: `+` is a space and `%XX` a byte. A name or value
    /// with neither is compared and returned as it stands; only the others go through the
    /// decoder (which cost ~2.5k instructions a scoring request for the whole query, asked
    /// twice).
    pub fn get(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let [value] = self.get_each([name]);
        value
    }

    /// [`Params::get`] of each of `names`, in one pass over the query.
    pub fn get_each<const N: usize>(
        &self,
        names: [&str; N],
    ) -> [Option<std::borrow::Cow<'_, str>>; N] {
        match self.get_each_checked(names, false) {
            Ok(each) => each,
            Err(_) => unreachable!("nothing is refused unchecked"),
        }
    }

    /// [`Params::get_each`], refusing in the same pass what [`Params::only`] refuses (a
    /// parameter none of `names`, or one given twice): the scoring routes' reading of their
    /// query, one loop over it.
    pub fn get_only<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<[Option<std::borrow::Cow<'_, str>>; N]> {
        self.get_each_checked(names, true)
    }

    fn get_each_checked<const N: usize>(
        &self,
        names: [&str; N],
        check: bool,
    ) -> Result<[Option<std::borrow::Cow<'_, str>>; N]> {
        let mut found: [Option<(usize, usize, Option<usize>)>; N] = [None; N];
        let Some(query) = self.0.query() else {
            return Ok([const { None }; N]);
        };
        // Byte loops, not `str::split`: a query is a few dozen bytes, and the string searcher's
        // set-up cost more than the search.
        let plain = |s: &[u8]| !s.iter().any(|&b| b == b'%' || b == b'+');
        let mut start = 0;
        for pair in query.as_bytes().split(|&b| b == b'&') {
            let at = start;
            start += pair.len() + 1;
            if pair.is_empty() {
                continue;
            }
            let eq = pair.iter().position(|&b| b == b'=');
            let key = &pair[..eq.unwrap_or(pair.len())];
            let decoded = (!plain(key)).then(|| form_urlencoded::parse(pair).next());
            let mut known = false;
            for (name, slot) in names.iter().zip(&mut found) {
                let hit = match &decoded {
                    None => key == name.as_bytes(),
                    Some(d) => d.as_ref().is_some_and(|(k, _)| k == name),
                };
                if hit {
                    if check && slot.is_some() {
                        return Err(Params::refusal(&names, key, &decoded, true));
                    }
                    *slot = Some((at, pair.len(), eq));
                    known = true;
                }
            }
            if check && !known {
                let underscore = match &decoded {
                    None => key == b"_",
                    Some(d) => d.as_ref().is_some_and(|(k, _)| k == "_"),
                };
                if !underscore {
                    return Err(Params::refusal(&names, key, &decoded, false));
                }
            }
        }
        Ok(found.map(|f| {
            let (at, len, eq) = f?;
            // `&` and `=` are ASCII, so these are char boundaries.
            let pair = &query[at..at + len];
            let value = eq.map_or("", |eq| &pair[eq + 1..]);
            if plain(value.as_bytes()) {
                Some(std::borrow::Cow::Borrowed(value))
            } else {
                form_urlencoded::parse(pair.as_bytes())
                    .next()
                    .map(|(_, v)| std::borrow::Cow::Owned(v.into_owned()))
            }
        }))
    }

    /// The 422 [`Params::get_only`] gives for `key` (its bytes, or the decoder's reading).
    fn refusal(
        names: &[&str],
        key: &[u8],
        decoded: &Option<Option<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)>>,
        twice: bool,
    ) -> Error {
        let name: String = match decoded {
            None => String::from_utf8_lossy(key).into_owned(),
            Some(d) => d.as_ref().map_or_else(String::new, |(k, _)| k.to_string()),
        };
        Error::InvalidQuery {
            name: crate::error::shorten(&name),
            message: if twice {
                "is given twice: give it once".to_string()
            } else {
                format!(
                    "is not a parameter of this endpoint, which takes {}",
                    names.join(" and ")
                )
            },
        }
    }

    /// 422 `invalid_query` naming the first parameter that is none of `names` or is given
    /// twice: a misspelt `?asof=` would score at now, `?target_precison=` answer the cutoff in
    /// force, `PUT /v1/cutoff?confidence=0.99` keep the confidence in force, and of
    /// `?as_of=A&as_of=B` one would be used in silence (as a misspelt key of `PUT /v1/cutoff`'s
    /// body is refused). `_` is let through anywhere: the cache-buster of browser libraries
    /// (`?_=1733443200000`).
    pub fn only(&self, names: &[&str]) -> Result<()> {
        let Some(query) = self.0.query() else {
            return Ok(());
        };
        // Byte loops and plain keys compared as they stand, as in `get_each`: this runs on
        // every scoring request with a query, and the decoder over the whole query cost more
        // than the rest of the check.
        let plain = |s: &[u8]| !s.iter().any(|&b| b == b'%' || b == b'+');
        let mut seen = 0u64;
        for pair in query.as_bytes().split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let key_bytes = &pair[..pair.iter().position(|&b| b == b'=').unwrap_or(pair.len())];
            let decoded: std::borrow::Cow<'_, str> = if plain(key_bytes) {
                // The query is text and `&`, `=` are ASCII: the key is text too.
                std::borrow::Cow::Borrowed(std::str::from_utf8(key_bytes).unwrap_or_default())
            } else {
                form_urlencoded::parse(pair)
                    .next()
                    .map_or(std::borrow::Cow::Borrowed(""), |(k, _)| {
                        std::borrow::Cow::Owned(k.into_owned())
                    })
            };
            let key = decoded.as_ref();
            if key == "_" {
                continue;
            }
            let message = match names.iter().position(|n| *n == key) {
                Some(i) if i < 64 && seen & (1 << i) == 0 => {
                    seen |= 1 << i;
                    continue;
                }
                Some(_) => "is given twice: give it once".to_string(),
                None if names.is_empty() => {
                    "is not a parameter of this endpoint, which takes none".to_string()
                }
                None => format!(
                    "is not a parameter of this endpoint, which takes {}",
                    names.join(" and ")
                ),
            };
            return Err(Error::InvalidQuery {
                name: crate::error::shorten(key),
                message,
            });
        }
        Ok(())
    }

    /// `?name=` parsed as a `T`, if given (400 `invalid_query` naming `expected` otherwise).
    pub fn number<T: std::str::FromStr>(&self, name: &str, expected: &str) -> Result<Option<T>> {
        number_of(name, self.get(name).as_deref(), expected)
    }

    /// `?factors=N` (default [`DEFAULT_FACTORS`]) and `?as_of=` ([`Params::as_of`]) in one
    /// pass over the query, factors' error first.
    pub fn factors_and_as_of(&self) -> Result<(usize, i64)> {
        let [factors, as_of] = self.get_only(["factors", "as_of"])?;
        let factors = number_of::<usize>("factors", factors.as_deref(), "a whole number")?;
        Ok((
            factors.unwrap_or(DEFAULT_FACTORS),
            as_of_of(as_of.as_deref())?,
        ))
    }

    /// `?as_of=RFC3339` (default: now), in Unix seconds; no other parameter.
    pub fn as_of(&self) -> Result<i64> {
        let [as_of] = self.get_only(["as_of"])?;
        as_of_of(as_of.as_deref())
    }
}

/// A query value parsed as a `T`, if given (400 `invalid_query` naming `expected` otherwise).
fn number_of<T: std::str::FromStr>(
    name: &str,
    value: Option<&str>,
    expected: &str,
) -> Result<Option<T>> {
    value
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| Error::InvalidQuery {
                name: name.into(),
                message: format!("expected {expected}, found {:?}", crate::error::shorten(v)),
            })
        })
        .transpose()
}

/// `as_of`'s value in Unix seconds (now when not given).
fn as_of_of(value: Option<&str>) -> Result<i64> {
    match value {
        None => Ok(now_for_scoring()),
        Some(text) => match leadscore_core::value::parse_as_of(text) {
            Some(t) => Ok(t),
            None => {
                // `+02:00` sent unescaped arrives as ` 02:00`: say why.
                let plus = text
                    .rfind(' ')
                    .map(|i| format!("{}+{}", &text[..i], &text[i + 1..]))
                    .filter(|t| parse_timestamp(t).is_some());
                let hint = if plus.is_some() {
                    " (a `+` in a query string reads as a space: write it %2B)"
                } else {
                    ""
                };
                Err(Error::InvalidQuery {
                    name: "as_of".into(),
                    message: format!(
                        "expected {}, found {:?}{hint}",
                        leadscore_core::value::AS_OF_FORMS,
                        crate::error::shorten(text)
                    ),
                })
            }
        },
    }
}

/// The scoring time of a request without `as_of`: now, a fraction of a second rounded up, as
/// an event's time is. Read down, an event sent with the request that happened earlier in the
/// same second (`10:00:00.542Z`, as JavaScript's `toISOString` writes it, scored at
/// `10:00:00.900`) would read as after the scoring time and not count: the demo request that
/// triggered the call. Nothing can have happened after now, so rounding up lets nothing in
/// early.
pub fn now_for_scoring() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    secs.saturating_add(i64::from(d.subsec_nanos() > 0))
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares without an early exit on the first differing byte.
fn same_token(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0 && a.len() == b.len()
}

/// Passes when no scoring token is configured or the request carries it (401 none, 403 wrong).
pub struct ScoreAuth;

impl<S: HasConfig + Send + Sync> FromRequestParts<S> for ScoreAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        ScoreAuth::check(parts, state)
    }
}

impl ScoreAuth {
    /// What the extractor checks: the bearer token, when one is configured.
    pub fn check<S: HasConfig>(parts: &Parts, state: &S) -> Result<Self> {
        let Some(expected) = &state.config().score_token else {
            return Ok(ScoreAuth);
        };
        match bearer(parts) {
            None => Err(Error::Unauthorized),
            Some(t) if same_token(t, expected) => Ok(ScoreAuth),
            Some(_) => Err(Error::Forbidden("the bearer token is not valid".into())),
        }
    }
}

/// Passes with the admin token; with none configured, only when the server binds loopback and
/// the request is addressed to loopback by a loopback page, if any ([`from_this_machine`]).
pub struct AdminAuth;

/// The names a request to this machine's loopback interface carries in `Host` and `Origin`.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `host[:port]` split, the host as written (`[::1]:8080` keeps its brackets; names compare in
/// any case, [`is_loopback_name`]); `None` when the port is not a number.
fn host_and_port(authority: &str) -> Option<(&[u8], Option<u16>)> {
    let (host, port) = split_host(authority.as_bytes());
    let port = match port {
        Some(p) => Some(std::str::from_utf8(p).ok()?.parse::<u16>().ok()?),
        None => None,
    };
    Some((host, port))
}

/// `host[:port]` as bytes, surrounding ASCII whitespace off: the host, and the port's text when
/// there is one (a `:` inside `[...]` is part of an IPv6 host).
fn split_host(authority: &[u8]) -> (&[u8], Option<&[u8]>) {
    let a = authority.trim_ascii();
    match a.iter().rposition(|b| *b == b':') {
        Some(i) if !a[i..].contains(&b']') => (&a[..i], Some(&a[i + 1..])),
        _ => (a, None),
    }
}

/// Whether `host` (from [`split_host`]) is one of [`LOOPBACK_HOSTS`], in any case.
fn is_loopback_name(host: &[u8]) -> bool {
    LOOPBACK_HOSTS
        .iter()
        .any(|h| h.as_bytes().eq_ignore_ascii_case(host))
}

/// For a server that binds loopback, on every route: whether `Host` names this machine's
/// loopback interface (`localhost`, `127.0.0.1`, `[::1]`, any port) or one of `allowed` (a
/// reverse proxy's name). Only a program on this machine can connect, but a web page in its
/// browser can make the browser connect under the page's own name (DNS rebinding: the name
/// resolved to 127.0.0.1), and read the answers as its own: the model's weights, file paths,
/// metrics. A request without `Host` (no browser sends one) passes. Err: why not, for the 403.
pub fn host_allowed(
    host: Option<&HeaderValue>,
    allowed: &[String],
) -> std::result::Result<(), String> {
    let Some(host) = host else {
        return Ok(());
    };
    // On the bytes, port aside (any port): this runs for every request.
    let (name, _) = split_host(host.as_bytes());
    let ok = is_loopback_name(name)
        || allowed
            .iter()
            .any(|a| a.as_bytes().eq_ignore_ascii_case(name));
    if ok {
        return Ok(());
    }
    let shown = crate::error::shorten(&String::from_utf8_lossy(host.as_bytes()));
    Err(format!(
        "the Host header `{shown}` is not localhost, 127.0.0.1 or [::1]{}: this server listens \
         on loopback, and a request under another name can come from a web page (DNS \
         rebinding); a reverse proxy that forwards another name needs --allowed-host NAME",
        if allowed.is_empty() {
            String::new()
        } else {
            format!(" or one of --allowed-host ({})", allowed.join(", "))
        }
    ))
}

/// For admin calls without a token: whether the request was addressed to this machine's
/// loopback interface, by name (`Host`: `localhost`, `127.0.0.1` or `[::1]`, with the port the
/// connection came in on when it names one), and, when a browser says which page sent it
/// (`Origin`), by a page served from loopback too. A web page elsewhere can make a browser
/// call loopback (DNS rebinding: its own name resolved to 127.0.0.1, so `Host` is its name;
/// a plain cross-site form or `fetch`: its `Origin`), so the bind address alone does not say
/// that the caller is on this machine. Err: why not, for the 403.
pub fn from_this_machine(parts: &Parts) -> std::result::Result<(), String> {
    let shown = |v: &HeaderValue| crate::error::shorten(&String::from_utf8_lossy(v.as_bytes()));
    // A browser always sends `Host`; a request without one (HTTP/1.0 tools, router tests) is
    // judged by its target's authority, if any, and its `Origin`.
    let authority = parts
        .uri
        .authority()
        .and_then(|a| HeaderValue::from_str(a.as_str()).ok());
    let host = parts.headers.get(header::HOST).or(authority.as_ref());
    let port = parts
        .extensions
        .get::<crate::conn::LocalAddr>()
        .map(|a| a.0.port());
    let host_ok = |host: &HeaderValue| {
        host.to_str()
            .ok()
            .and_then(host_and_port)
            .is_some_and(|(name, p)| {
                is_loopback_name(name) && (p.is_none() || port.is_none() || p == port)
            })
    };
    if let Some(host) = host.filter(|h| !host_ok(h)) {
        return Err(format!(
            "the Host header `{}` is not localhost, 127.0.0.1 or [::1]{} (a web page elsewhere \
             could be calling through DNS rebinding)",
            shown(host),
            port.map_or_else(String::new, |p| format!(" with port {p}"))
        ));
    }
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin_ok = origin
            .to_str()
            .ok()
            .and_then(|o| {
                o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
            })
            .filter(|rest| !rest.contains('/'))
            .and_then(host_and_port)
            .is_some_and(|(name, _)| is_loopback_name(name));
        if !origin_ok {
            return Err(format!(
                "the Origin header `{}` is not a page on localhost, 127.0.0.1 or [::1] (a web \
                 page on another site cannot make admin calls)",
                shown(origin)
            ));
        }
    }
    Ok(())
}

impl<S: HasConfig + Send + Sync> FromRequestParts<S> for AdminAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let config = state.config();
        match &config.admin_token {
            None if config.admin_open() => match from_this_machine(parts) {
                Ok(()) => Ok(AdminAuth),
                Err(why) => Err(Error::Forbidden(format!(
                    "admin calls without --admin-token are allowed only from this machine: {why}; \
                     set --admin-token to call from elsewhere"
                ))),
            },
            None => Err(Error::Forbidden(
                "admin calls are disabled: the server binds a non-loopback address and no --admin-token is set".into(),
            )),
            Some(expected) => match bearer(parts) {
                None => Err(Error::Unauthorized),
                Some(t) if same_token(t, expected) => Ok(AdminAuth),
                Some(_) => Err(Error::Forbidden("the bearer token is not valid".into())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `as_of` whose zone's `+` arrived as a space (sent unescaped) says so.
    #[test]
    fn an_unescaped_plus_in_as_of_gets_a_hint() {
        let message = |v: &str| match as_of_of(Some(v)) {
            Err(Error::InvalidQuery { message, .. }) => message,
            other => panic!("{v}: {other:?}"),
        };
        assert!(message("2025-06-08T12:00:00 02:00").contains("write it %2B"));
        assert!(!message("yesterday").contains("%2B"));
        assert_eq!(
            as_of_of(Some("2025-06-08T12:00:00+02:00")).unwrap(),
            as_of_of(Some("2025-06-08T10:00:00Z")).unwrap()
        );
    }

    #[test]
    fn query_params_read_as_the_form_decoder_reads_them() {
        // What `Params::get` did before its fast path: the whole query through the decoder.
        let reference = |query: &str, name: &str| -> Option<String> {
            form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == name)
                .last()
                .map(|(_, v)| v.into_owned())
        };
        let pieces = [
            "as_of",
            "factors",
            "a",
            "=",
            "&",
            "&&",
            "+",
            "%",
            "%2",
            "%3D",
            "%26",
            "%61s_of",
            "as%5Fof",
            "2025-03-28T15:03:43Z",
            "2025-03-28T15%3A03%3A43Z",
            "3",
            "+3",
            "%FF",
            "é",
            "x=y",
            "",
        ];
        let mut rng = leadscore_core::rng::SeededRng::new(5);
        let mut checked = 0;
        for _ in 0..20_000 {
            let mut query = String::new();
            for _ in 0..rng.below(8) {
                query.push_str(pieces[rng.below(pieces.len())]);
            }
            let params = Params(format!("/v1/score?{query}").parse().unwrap_or_default());
            let Some(parsed) = params.0.query() else {
                continue;
            };
            let names = ["as_of", "factors", "a", "x"];
            let each = params.get_each(names);
            for (name, one_pass) in names.into_iter().zip(each) {
                let expected = reference(parsed, name);
                assert_eq!(
                    params.get(name).map(|v| v.into_owned()),
                    expected,
                    "{query:?} {name}"
                );
                assert_eq!(
                    one_pass.map(|v| v.into_owned()),
                    expected,
                    "{query:?} {name}"
                );
            }
            // `only` without the decoder's pass over every key: the first key (decoded) that
            // is none of the names, or one given twice, as the decoder reads the keys.
            let allowed = ["as_of", "factors"];
            let mut seen = Vec::new();
            let expected_refusal = form_urlencoded::parse(parsed.as_bytes())
                .map(|(k, _)| k.into_owned())
                .find(|k| {
                    if k == "_" {
                        return false;
                    }
                    let bad = !allowed.contains(&k.as_str()) || seen.contains(k);
                    seen.push(k.clone());
                    bad
                });
            let refused = match params.only(&allowed) {
                Ok(()) => None,
                Err(Error::InvalidQuery { name, .. }) => Some(name),
                Err(e) => panic!("{query:?}: {e}"),
            };
            let expected_refusal =
                expected_refusal.map(|k| k.chars().take(100).collect::<String>());
            assert_eq!(refused, expected_refusal, "{query:?}");
            // The scoring routes' one pass refuses the same.
            let one_pass = match params.get_only(allowed) {
                Ok(_) => None,
                Err(Error::InvalidQuery { name, .. }) => Some(name),
                Err(e) => panic!("{query:?}: {e}"),
            };
            assert_eq!(one_pass, expected_refusal, "{query:?}");
            checked += 1;
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn tokens_compare_fully() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("abcd", "abc"));
    }

    #[test]
    fn admin_without_a_token_is_for_loopback_hosts_and_origins_only() {
        let parts = |headers: &[(&str, &str)], port: Option<u16>| {
            let mut r = axum::http::Request::builder().uri("/v1/cutoff");
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            let (mut parts, ()) = r.body(()).unwrap().into_parts();
            if let Some(p) = port {
                parts
                    .extensions
                    .insert(crate::conn::LocalAddr(([127, 0, 0, 1], p).into()));
            }
            parts
        };
        let ok = |h: &[(&str, &str)], port| from_this_machine(&parts(h, port)).is_ok();
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert!(ok(&[("host", host)], Some(8080)), "{host}");
        }
        for origin in [
            "http://localhost:3000",
            "http://127.0.0.1:8080",
            "https://[::1]",
        ] {
            assert!(
                ok(
                    &[("host", "localhost:8080"), ("origin", origin)],
                    Some(8080)
                ),
                "{origin}"
            );
        }
        // Without a known port (a router test), any port of a loopback name.
        assert!(ok(&[("host", "localhost:1")], None));
        let refused = |h: &[(&str, &str)]| from_this_machine(&parts(h, Some(8080))).unwrap_err();
        // No Host (not a browser): judged by the Origin alone.
        assert!(ok(&[], Some(8080)));
        assert!(refused(&[("origin", "http://evil.example")]).contains("Origin header"));
        for host in [
            "rebind.evil.example",
            "rebind.evil.example:8080",
            "localhost:9090",
            "127.0.0.2:8080",
            "localhost.evil.example",
            "localhost:x",
            "[::1]:80:80",
        ] {
            let why = refused(&[("host", host)]);
            assert!(why.contains("Host header") && why.contains(host), "{why}");
        }
        for origin in [
            "http://rebind.evil.example",
            "null",
            "http://localhost.evil.example",
            "http://localhost@evil.example",
            "file://",
            "http://localhost:8080/path",
        ] {
            let why = refused(&[("host", "localhost:8080"), ("origin", origin)]);
            assert!(why.contains("Origin header"), "{origin}: {why}");
        }
    }

    #[test]
    fn encoded_bodies_are_named() {
        let mut h = HeaderMap::new();
        assert_eq!(content_encoding(&h), None);
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert_eq!(content_encoding(&h), None);
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(content_encoding(&h).as_deref(), Some("gzip"));
        h.append(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(content_encoding(&h).as_deref(), Some("gzip, br"));
    }

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.api+json"),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&h));
    }
}
