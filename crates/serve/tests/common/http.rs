//! The tests' HTTP client: ureq, keeping connections alive between requests, every status
//! returned as it came (a 4xx is an answer to check, not an error). Raw sockets stay only in the
//! tests that need them (drain, slowloris, idle sockets). The root package's tests include this
//! file too (`tests/common/mod.rs`), so there is one client.

use std::net::SocketAddr;
use std::time::Duration;

/// A client for one server.
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

impl Http {
    /// For the server at `addr`; a request waits at most `timeout` for its whole answer.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        Self {
            agent,
            base: format!("http://{addr}"),
        }
    }

    /// `method path` with an optional JSON body and extra headers: (status, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let fail = |e: ureq::Error| -> ! { panic!("{method} {url}: {e}") };
        let answer = match method {
            "GET" | "DELETE" | "HEAD" => {
                let mut r = match method {
                    "GET" => self.agent.get(&url),
                    "DELETE" => self.agent.delete(&url),
                    _ => self.agent.head(&url),
                };
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                r.call()
            }
            _ => {
                let mut r = match method {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    "PATCH" => self.agent.patch(&url),
                    other => panic!("method {other} is not supported by the test client"),
                };
                for (k, v) in headers {
                    r = r.header(*k, *v);
                }
                match body {
                    Some(b) => r.header("content-type", "application/json").send(b),
                    None => r.send_empty(),
                }
            }
        };
        let mut answer = answer.unwrap_or_else(|e| fail(e));
        let status = answer.status().as_u16();
        let text = answer
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap_or_else(|e| fail(e));
        (status, text)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, None, &[])
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &str) -> (u16, String) {
        self.request("POST", path, Some(body), &[])
    }
}
