//! The HTTP plumbing every route shares: extractors (JSON body, query parameters, bearer
//! tokens), JSON responses, the blocking pool and the clock. It knows the configuration (through
//! [`HasConfig`]) but not the model in force, so every module above it (`state`, the routes)
//! can use it.

use crate::config::Config;
use crate::error::{Error, Result};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leadscore_core::value::parse_timestamp;
use serde_json::Value;
use std::collections::HashMap;
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
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses a JSON body (400 `invalid_json` when it is not JSON).
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::InvalidJson(e.to_string()))
}

impl<S: HasConfig + Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        if !is_json(req.headers()) {
            return Err(Error::UnsupportedMediaType);
        }
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::BodyTooLarge {
                        limit: state.config().max_body_bytes,
                    }
                } else {
                    Error::BodyRead(r.body_text())
                }
            })
    }
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
/// even when the request timeout has already answered.
pub async fn parse_and_score<T: Send + 'static>(
    len: usize,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if len <= INLINE_BODY_BYTES {
        return work();
    }
    let slot = big_bodies()
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("big-body slots: {e}")))?;
    blocking(move || {
        let _slot = slot;
        work()
    })
    .await
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
    let mut response = Body::from(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Query-string parameters as text; each handler checks the ones it reads.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|e| Error::InvalidQuery {
                name: "query".into(),
                message: e.body_text(),
            })
    }
}

impl Params {
    /// `?name=` parsed as a `T`, if given (400 `invalid_query` naming `expected` otherwise).
    pub fn number<T: std::str::FromStr>(&self, name: &str, expected: &str) -> Result<Option<T>> {
        self.0
            .get(name)
            .map(|v| {
                v.trim().parse::<T>().map_err(|_| Error::InvalidQuery {
                    name: name.into(),
                    message: format!("expected {expected}, found {v:?}"),
                })
            })
            .transpose()
    }

    /// `?factors=N` (default [`DEFAULT_FACTORS`]).
    pub fn factors(&self) -> Result<usize> {
        Ok(self
            .number::<usize>("factors", "a whole number")?
            .unwrap_or(DEFAULT_FACTORS))
    }

    /// `?as_of=RFC3339` (default: now), in Unix seconds.
    pub fn as_of(&self) -> Result<i64> {
        match self.0.get("as_of") {
            None => Ok(now()),
            Some(text) => match parse_timestamp(text) {
                Some(t) if t >= 0 => Ok(t),
                _ => Err(Error::InvalidQuery {
                    name: "as_of".into(),
                    message: format!("expected an RFC 3339 time after 1970, found {text:?}"),
                }),
            },
        }
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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

/// Passes with the admin token; with none configured, only when the server binds loopback.
pub struct AdminAuth;

impl<S: HasConfig + Send + Sync> FromRequestParts<S> for AdminAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let config = state.config();
        match &config.admin_token {
            None if config.admin_open() => Ok(AdminAuth),
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

    #[test]
    fn tokens_compare_fully() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
        assert!(!same_token("abcd", "abc"));
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
