//! `POST /v1/score` is answered without the router (`api::Routes`, `api::score_direct`): the
//! real server takes that path, `oneshot` on `app(state)` takes the router's. Every request
//! here is sent both ways and must get the same status, content type and body, byte for byte:
//! answers with factors, batches, and each error the route's layers and extractors give
//! (auth, query, content type and encoding, body limit, JSON, fields). The request metrics of
//! the direct path count the same route and statuses.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::server::Server;
use common::{demo_model, send, state_with, SERVE_BIN, TARGET};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One request: extra query, headers and body.
struct Case {
    name: &'static str,
    query: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn case(name: &'static str, query: &'static str, content_type: &str, body: &[u8]) -> Case {
    Case {
        name,
        query,
        headers: vec![("content-type", content_type.to_string())],
        body: body.to_vec(),
    }
}

/// Sends `case` over a fresh connection (the exact bytes, `Connection: close`): status,
/// content type and body.
fn raw(addr: SocketAddr, c: &Case) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!(
        "POST /v1/score{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        c.query,
        c.body.len()
    );
    for (k, v) in &c.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    // A body the server refuses early may meet a closed socket: the answer is what counts.
    let _ = stream.write_all(&c.body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

/// The same request through the router.
fn routed(state: &std::sync::Arc<leadscore_serve::App>, c: &Case) -> (u16, String, String) {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/v1/score{}", c.query));
    for (k, v) in &c.headers {
        request = request.header(*k, v);
    }
    let request = request.body(Body::from(c.body.clone())).expect("request");
    let reply = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(send(state, request));
    (reply.status.as_u16(), reply.content_type, reply.text)
}

fn lead(extra: &str) -> String {
    let mut lead = common::demo_lead();
    if let Some((k, v)) = extra.split_once('=') {
        lead[k] = serde_json::from_str(v).expect("a JSON value");
    }
    lead.to_string()
}

const AS_OF: &str = "?as_of=2025-03-01T00:00:00Z";

/// The real server on the demo model at the tests' target, with `extra` flags.
fn start(extra: &[&str]) -> Server {
    let model = demo_model().to_str().expect("utf-8 path").to_string();
    let target = TARGET.to_string();
    let mut args = vec![
        "--model",
        model.as_str(),
        "--target-precision",
        target.as_str(),
    ];
    args.extend_from_slice(extra);
    Server::start(SERVE_BIN, args)
}

#[test]
fn the_direct_route_answers_as_the_router_does() {
    let limit = 4096;
    let server = start(&["--max-body-bytes", &limit.to_string()]);
    let state = state_with(|c| c.max_body_bytes = limit);
    let json = "application/json";
    let one = lead("");
    let batch = format!(
        "{{\"leads\":[{},{}]}}",
        lead(""),
        lead("job_title=\"Student\"")
    );
    let mut gzip = case("gzip", AS_OF, json, one.as_bytes());
    gzip.headers.push(("content-encoding", "gzip".into()));
    let cases = [
        case("one lead", AS_OF, json, one.as_bytes()),
        case("a batch", AS_OF, json, batch.as_bytes()),
        case(
            "no factors",
            "?as_of=2025-03-01T00:00:00Z&factors=0",
            json,
            one.as_bytes(),
        ),
        case(
            "5 factors",
            "?as_of=2025-03-01T00:00:00Z&factors=5",
            json,
            one.as_bytes(),
        ),
        case(
            "+json type",
            AS_OF,
            "application/vnd.x+json; charset=utf-8",
            one.as_bytes(),
        ),
        case("bad factors", "?factors=many", json, one.as_bytes()),
        case("bad as_of", "?as_of=yesterday", json, one.as_bytes()),
        case("text/plain", AS_OF, "text/plain", one.as_bytes()),
        gzip,
        case("too large", AS_OF, json, &vec![b' '; limit + 1]),
        case("not JSON", AS_OF, json, b"{\"email\": "),
        case("empty", AS_OF, json, b""),
        case("not an object", AS_OF, json, b"[1, 2]"),
        case(
            "unknown field",
            AS_OF,
            json,
            lead("shoe_size=44").as_bytes(),
        ),
        case(
            "wrong type",
            AS_OF,
            json,
            lead("company_size=[1]").as_bytes(),
        ),
        case(
            "future lead",
            AS_OF,
            json,
            lead("created_at=\"2030-01-01\"").as_bytes(),
        ),
        case("bad UTF-8", AS_OF, json, b"{\"email\": \"\xff\"}"),
    ];
    let mut statuses = std::collections::BTreeMap::new();
    for c in &cases {
        let direct = raw(server.addr, c);
        let router = routed(&state, c);
        assert_eq!(
            direct, router,
            "{}: direct (left) and router (right)",
            c.name
        );
        *statuses.entry(direct.0).or_insert(0) += 1;
    }
    // The cases reach every kind of answer.
    for status in [200, 400, 413, 415, 422] {
        assert!(
            statuses.contains_key(&status),
            "no {status} among {statuses:?}"
        );
    }
    // The direct path counts its requests under the route, as the router's layer does.
    let metrics = common::http::Http::new(server.addr, Duration::from_secs(10))
        .get("/metrics")
        .1;
    for (status, n) in &statuses {
        let line =
            format!("leadscore_http_requests_total{{route=\"/v1/score\",status=\"{status}\"}} {n}");
        assert!(metrics.contains(&line), "{line} not in\n{metrics}");
    }
}

#[test]
fn auth_on_the_direct_route_is_the_routers() {
    let server = start(&["--score-token", "s3cret-token"]);
    let state = state_with(|c| c.score_token = Some("s3cret-token".into()));
    let body = lead("");
    let with = |auth: Option<&str>| {
        let mut c = case("auth", AS_OF, "application/json", body.as_bytes());
        if let Some(a) = auth {
            c.headers.push(("authorization", a.to_string()));
        }
        c
    };
    let mut seen = Vec::new();
    for auth in [
        None,
        Some("Bearer nope"),
        Some("Basic czNjcmV0"),
        Some("Bearer s3cret-token"),
    ] {
        let c = with(auth);
        let direct = raw(server.addr, &c);
        assert_eq!(direct, routed(&state, &c), "{auth:?}");
        seen.push(direct.0);
    }
    assert_eq!(seen, [401, 403, 401, 200]);
}
