//! The error type of `leadscore-serve`.
//!
//! One enum for the crate: start-up failures (a bad artifact, an unattainable target) and every
//! HTTP error. Each variant knows its HTTP status and a stable machine-readable `code`; over HTTP
//! it becomes the one envelope `{"error": {"code", "message", "path"}}`. A 500 never echoes
//! internal text to the caller (it is logged to stderr instead).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leadscore_core::curve::CutoffError;
use serde::Serialize;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `leadscore-serve`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line or environment setting that does not validate.
    #[error("configuration: {0}")]
    Config(String),
    /// The model file could not be loaded or is inconsistent (also a failed reload).
    #[error("{0}")]
    Model(leadscore_core::Error),
    /// A reload that failed; the previous model keeps serving.
    #[error("reload of {file} failed, still serving model {serving}: {reason}")]
    ReloadFailed {
        /// The model id still in force.
        serving: String,
        /// The file the reload tried to read (the registry's `CURRENT` if it could not be
        /// resolved).
        file: String,
        /// Why the new one was refused.
        reason: String,
    },
    /// No cutoff meets the target (or the target/confidence is out of range).
    #[error(transparent)]
    Cutoff(#[from] CutoffError),
    /// The body is not JSON (or JSON too deep, or a number out of range).
    #[error("malformed JSON: {0}")]
    InvalidJson(String),
    /// A request field with the wrong type or value; `path` is the JSON path.
    #[error("{path}: {message}")]
    InvalidField {
        /// JSON path of the field (`leads[3].company_size`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A query-string parameter that does not validate.
    #[error("query parameter `{name}`: {message}")]
    InvalidQuery {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A batch with no leads.
    #[error("the batch has no leads")]
    EmptyBatch,
    /// A batch over `--max-batch`.
    #[error("the batch has {leads} leads; the limit is {limit}")]
    BatchTooLarge {
        /// Leads sent.
        leads: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A body over `--max-body-bytes`.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body could not be read.
    #[error("could not read the request body: {0}")]
    BodyRead(String),
    /// The body is not declared as JSON.
    #[error("expected `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// The body is compressed (or otherwise encoded): only plain JSON is read.
    #[error("the body has `Content-Encoding: {0}`; send it uncompressed (no Content-Encoding, or `identity`)")]
    UnsupportedEncoding(String),
    /// No Authorization bearer token.
    #[error("this endpoint needs `Authorization: Bearer <token>`")]
    Unauthorized,
    /// A token that does not match, or admin calls that are switched off.
    #[error("{0}")]
    Forbidden(String),
    /// Unknown route.
    #[error("no route for {method} {path}")]
    NotFound {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
    },
    /// Known route, wrong method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
    },
    /// The request took longer than `--request-timeout-ms`.
    #[error("the request did not finish within {ms} ms")]
    Timeout {
        /// The configured timeout.
        ms: u64,
    },
    /// The request's body was still arriving at `--request-timeout-ms`: the client's delay, not
    /// the server's (408, and the connection is closed).
    #[error("the request body did not arrive within {ms} ms")]
    BodyTimeout {
        /// The configured timeout.
        ms: u64,
    },
    /// A request head that parses but cannot be answered (two `Host` headers, which RFC 9112
    /// answers with 400): the HTTP layer's `bad_request`.
    #[error("{0}")]
    BadRequest(String),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A bug: the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Config(_) | Self::Model(_) | Self::ReloadFailed { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Cutoff(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InvalidJson(_) | Self::BodyRead(_) | Self::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidField { .. } | Self::InvalidQuery { .. } | Self::EmptyBatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::BatchTooLarge { .. } | Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::UnsupportedEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Timeout { .. } | Self::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, machine-readable code for the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Config(_) => "invalid_config",
            Self::Model(_) => "model_load_failed",
            Self::ReloadFailed { .. } => "reload_failed",
            Self::Cutoff(CutoffError::Unattainable { .. }) => "unattainable_target",
            Self::Cutoff(_) => "invalid_target",
            Self::InvalidJson(_) => "invalid_json",
            Self::BodyRead(_) => "invalid_body",
            Self::BadRequest(_) => "bad_request",
            Self::InvalidField { .. } => "invalid_field",
            Self::InvalidQuery { .. } => "invalid_query",
            Self::EmptyBatch => "empty_batch",
            Self::BatchTooLarge { .. } => "batch_too_large",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::UnsupportedEncoding(_) => "unsupported_encoding",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Timeout { .. } => "timeout",
            Self::BodyTimeout { .. } => "body_timeout",
            Self::ShuttingDown => "shutting_down",
            Self::Internal(_) => "internal",
        }
    }

    /// The JSON path the error is about, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidField { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The envelope sent to the caller. The values a message echoes from the request (a bad
    /// value, a key) are cut where it is written ([`shorten`]: the first [`ECHO_CHARS`]
    /// characters and the whole value's size); a message made of several is cut again past
    /// [`MAX_MESSAGE_BYTES`], saying the message's size, so that no echo a writer forgot sends
    /// a 10 MB value back. A path is cut as a value.
    pub fn envelope(&self) -> ErrorEnvelope {
        let message = match self {
            Self::InvalidField { message, .. } => cut_message(message, MAX_MESSAGE_BYTES),
            Self::InvalidJson(_) | Self::InvalidQuery { .. } | Self::UnsupportedEncoding(_) => {
                cut_message(&self.to_string(), MAX_MESSAGE_BYTES)
            }
            // The message of a 500 is generic on purpose (see `Display` of `Internal`).
            other => other.to_string(),
        };
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_string(),
                message,
                path: self.path().map(shorten),
            },
        }
    }
}

/// How much of a long message or path made from the request the envelope keeps (core's rule,
/// which the explanations' echoed values follow too).
pub use leadscore_core::value::ECHO_CHARS;

/// The longest error message sent whole; a message made of the request's values, each cut to
/// [`ECHO_CHARS`] characters, stays under it.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// `message` when it is at most `max` bytes, else its first `max` bytes (at a character's
/// start) and `… (message cut: N bytes in all)`: the envelope's and MLflow's last guard.
pub fn cut_message(message: &str, max: usize) -> String {
    if message.len() <= max {
        return message.to_string();
    }
    let mut end = max;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… (message cut: {} bytes in all)",
        &message[..end],
        message.len()
    )
}

/// `text` when it is short (up to `ECHO_CHARS` + 56 bytes), else its first [`ECHO_CHARS`]
/// characters and `... (N bytes)` ([`leadscore_core::value::shorten`]).
pub fn shorten(text: &str) -> String {
    leadscore_core::value::shorten(text).into_owned()
}

/// The JSON error envelope every error response uses.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of [`ErrorEnvelope`].
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code (`invalid_field`).
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// JSON path of the offending field, when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<String>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            leadscore_core::stderr_line!("leadscore-serve: internal error: {detail}");
        }
        let status = self.status();
        let body = serde_json::to_vec(&self.envelope()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match self {
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The rest of the body may still come (or was never read: one over the limit):
            // the connection cannot serve another request, and the client is told so.
            Self::BodyTimeout { .. } | Self::BodyTooLarge { .. } => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_detail() {
        let e = Error::Internal("secret stack trace".into());
        let env = e.envelope();
        assert_eq!(env.error.code, "internal");
        assert!(!env.error.message.contains("secret"));
    }

    #[test]
    fn long_echoes_are_cut() {
        let value = "x".repeat(10_000_000);
        let e = Error::InvalidField {
            path: format!("leads[0].{}", "k".repeat(5000)),
            message: format!("expected a number, found {value:?}"),
        };
        let env = e.envelope();
        assert!(env
            .error
            .message
            .starts_with("expected a number, found \"xxx"));
        // A value a message forgot to cut: the message is cut, and says its own size.
        assert!(
            env.error
                .message
                .ends_with("… (message cut: 10000027 bytes in all)"),
            "{}",
            &env.error.message[4000..]
        );
        assert!(env.error.message.len() < MAX_MESSAGE_BYTES + 64);
        // Values cut where the message is written keep their own sizes, whatever the
        // message's length: the size said is the value's.
        let names: Vec<String> = (0..3)
            .map(|i| format!("`{}`", shorten(&i.to_string().repeat(1000))))
            .collect();
        let e = Error::InvalidField {
            path: "$".into(),
            message: format!(
                "none of the columns sent ({}) is one the model reads",
                names.join(", ")
            ),
        };
        let message = e.envelope().error.message;
        assert_eq!(message.matches("... (1000 bytes)`").count(), 3, "{message}");
        assert!(message.ends_with("is one the model reads"), "{message}");
        let path = env.error.path.unwrap();
        assert!(path.starts_with("leads[0].kkk") && path.ends_with("... (5009 bytes)"));
        // Short ones, and multi-byte text, are kept whole or cut on a character boundary.
        assert_eq!(shorten("short"), "short");
        assert!(shorten(&"é".repeat(300)).starts_with(&"é".repeat(200)));
    }

    #[test]
    fn field_errors_carry_their_path() {
        let e = Error::InvalidField {
            path: "leads[3].company_size".into(),
            message: "expected a number".into(),
        };
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let json = serde_json::to_value(e.envelope()).unwrap();
        assert_eq!(json["error"]["path"], "leads[3].company_size");
    }
}
