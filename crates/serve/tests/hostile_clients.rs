//! Hostile clients against the real binary, over raw sockets (the attacks are below HTTP
//! clients' reach): idle and slow sockets beyond the process's file-descriptor limit cannot
//! starve `/healthz`, and the server closes them after its header-read and idle timeouts; admin
//! calls without a token are refused for a foreign `Host` (DNS rebinding) or `Origin`
//! (cross-site), and a loopback server answers no route under a foreign `Host`; requests hyper cannot parse get the JSON envelope; SIGHUP clears a reload
//! failure once a reload succeeds; `--confidence` below 0.5 stops the start; a body dribbled in
//! pieces (sized or chunked) is read whole, and one past `--max-body-bytes` is refused; one
//! still arriving at `--request-timeout-ms` gets 408 and the connection closed.

mod common;

use common::server::Server;
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary on the demo model (or `model`) with `extra` flags, started through `wrap` (see
/// [`Server::start_wrapped`]), on a free port.
fn start_wrapped(wrap: &[&str], model: &Path, extra: &[&str]) -> Server {
    let mut args: Vec<&OsStr> = vec!["--model".as_ref(), model.as_os_str()];
    args.extend(["--target-precision", "0.5"].map(OsStr::new));
    args.extend(extra.iter().map(OsStr::new));
    Server::start_wrapped(wrap, common::SERVE_BIN, args)
}

fn start(extra: &[&str]) -> Server {
    start_wrapped(&[], common::demo_model(), extra)
}

/// An answer read off a raw socket.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.head, self.body))
    }
}

/// Reads one answer (head, then `content-length` bytes of body) from `stream`.
fn read_answer(stream: &mut TcpStream) -> std::io::Result<Answer> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Answer {
        status,
        head,
        body: String::from_utf8_lossy(&buf[head_end..]).into_owned(),
    })
}

/// Sends raw bytes on a new connection and reads the answer.
fn exchange(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(raw).expect("send");
    read_answer(&mut stream).expect("an answer")
}

/// A request with `headers` (each `Name: value`) and an optional JSON body.
fn request(addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &str) -> Answer {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for h in headers {
        raw.push_str(h);
        raw.push_str("\r\n");
    }
    if !body.is_empty() || method != "GET" {
        raw.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    exchange(addr, raw.as_bytes())
}

/// Whether the server has closed `stream` (EOF or reset) within `limit`; false when it is still
/// open then.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => panic!("unexpected data"),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true, // reset
    }
}

/// `prlimit --nofile=N:N` where util-linux has it, else `ulimit -n` in a shell.
fn with_open_files_limit(n: u32) -> Vec<String> {
    let prlimit = Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if prlimit {
        vec!["prlimit".into(), format!("--nofile={n}:{n}"), "--".into()]
    } else {
        // `sh -c 'ulimit -n N && exec "$0" "$@"' BIN ARGS...`
        vec![
            "sh".into(),
            "-c".into(),
            format!("ulimit -n {n} && exec \"$0\" \"$@\""),
        ]
    }
}

#[test]
fn idle_and_slow_sockets_beyond_the_fd_limit_do_not_starve_healthz() {
    let wrap = with_open_files_limit(64);
    let wrap: Vec<&str> = wrap.iter().map(String::as_str).collect();
    // Default --max-connections (1024): the server lowers it to what 64 descriptors allow.
    let server = start_wrapped(
        &wrap,
        common::demo_model(),
        &[
            "--header-read-timeout-ms",
            "1500",
            "--idle-timeout-ms",
            "4000",
        ],
    );
    let addr = server.addr;
    let start = Instant::now();
    while !server.stderr().contains("serving at most 32 connections") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the cap was not lowered to the fd limit: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // More sockets than the server has descriptors: 100 that connect and send nothing, and a
    // slowloris sending one header byte every 300 ms for as long as the server lets it.
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr).expect("connect (the kernel queues it)"))
        .collect();
    let slowloris = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let start = Instant::now();
        for b in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if s.write_all(&[*b]).is_err() {
                return Some(start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(30) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        None
    });
    std::thread::sleep(Duration::from_millis(300));
    // A fresh client is answered while all of them are open: at the cap, the server closes the
    // connection idle the longest to make room. (Generous bound: it is immediate.)
    let start = Instant::now();
    let mut fresh = TcpStream::connect(addr).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let answer = read_answer(&mut fresh).expect("/healthz answered while attacked");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(start.elapsed() < Duration::from_secs(8));
    // Once that answer is out, the connection is idle; while the others stay open, a few more
    // fresh clients are served too.
    for _ in 0..5 {
        let a = request(addr, "GET", "/healthz", &["Host: 127.0.0.1"], "");
        assert_eq!(a.status, 200, "{a:?}");
    }
    // The slowloris never finishes its head: the header-read timeout (1.5 s from its first
    // byte) closes it, or it was closed earlier to make room.
    let slow = slowloris.join().unwrap();
    assert!(slow.is_some(), "the slowloris was never closed");
    // Every idle socket is closed by the server (to make room, or at the idle timeout).
    let mut idle = idle;
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(15)),
            "idle socket {i} still open"
        );
    }
    let a = request(addr, "GET", "/healthz", &["Host: 127.0.0.1"], "");
    assert_eq!(a.status, 200);
}

#[test]
fn the_server_closes_slow_heads_and_idle_connections_after_their_timeouts() {
    let server = start(&[
        "--header-read-timeout-ms",
        "1000",
        "--idle-timeout-ms",
        "4000",
    ]);
    let addr = server.addr;
    // A head sent a byte every 200 ms: closed after the header-read timeout, well before it
    // could finish, and well before the idle timeout.
    let mut slow = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    let mut closed_after = None;
    for b in b"GET /healthz HTTP/1.1\r\nX-Padding: ".iter().cycle() {
        if slow.write_all(&[*b]).is_err() || closed_within(&mut slow, Duration::from_millis(200)) {
            closed_after = Some(start.elapsed());
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "slow head still open"
        );
    }
    let closed_after = closed_after.unwrap();
    assert!(
        closed_after >= Duration::from_millis(900),
        "closed before the header-read timeout: {closed_after:?}"
    );
    // A connection that sends nothing: still open after twice the header-read timeout (the
    // header clock starts at the first byte), closed after the idle timeout.
    let mut idle = TcpStream::connect(addr).unwrap();
    assert!(!closed_within(&mut idle, Duration::from_millis(2000)));
    assert!(closed_within(&mut idle, Duration::from_secs(10)));
    // A keep-alive connection after an answer: the same.
    let mut keep = TcpStream::connect(addr).unwrap();
    keep.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    keep.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut keep).unwrap().status, 200);
    assert!(!closed_within(&mut keep, Duration::from_millis(2000)));
    assert!(closed_within(&mut keep, Duration::from_secs(10)));
}

#[test]
fn at_the_cap_with_every_connection_busy_a_new_one_is_closed_at_once() {
    // One connection allowed; a slow upload keeps it busy (its request is in progress).
    let server = start(&["--max-connections", "1", "--request-timeout-ms", "20000"]);
    let addr = server.addr;
    let mut busy = TcpStream::connect(addr).unwrap();
    busy.write_all(
        b"POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut turned_away = TcpStream::connect(addr).unwrap();
    let _ = turned_away.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert!(
        closed_within(&mut turned_away, Duration::from_secs(10)),
        "a connection beyond the cap was kept waiting"
    );
    // The busy one is untouched: finishing its body gets its answer.
    busy.write_all(&[b' '; 99]).unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let a = read_answer(&mut busy).unwrap();
    assert_eq!(a.status, 400, "{a:?}"); // `{` and spaces: not JSON, but answered
}

#[test]
fn admin_without_a_token_refuses_foreign_hosts_and_origins() {
    let server = start(&[]);
    let addr = server.addr;
    let port = addr.port();
    let threshold = |server: &Server| {
        let a = request(
            server.addr,
            "GET",
            "/v1/cutoff",
            &[&format!("Host: 127.0.0.1:{port}")],
            "",
        );
        a.json()["cutoff"]["threshold"].as_f64().unwrap()
    };
    let before = threshold(&server);
    // DNS rebinding: a page on rebind.evil.example resolved its name to 127.0.0.1.
    let a = request(
        addr,
        "PUT",
        "/v1/cutoff",
        &[
            "Host: rebind.evil.example",
            "Origin: http://rebind.evil.example",
        ],
        r#"{"target_precision":5e-324}"#,
    );
    assert_eq!(a.status, 403, "{a:?}");
    let e = a.json();
    assert_eq!(e["error"]["code"], "forbidden");
    let message = e["error"]["message"].as_str().unwrap();
    // Refused before the admin check: no route answers a foreign name on a loopback server.
    assert!(
        message.contains("Host header `rebind.evil.example`") && message.contains("DNS rebinding"),
        "{message}"
    );
    assert_eq!(threshold(&server), before, "the cutoff must not change");
    // The right name on another port is not this server either.
    let a = request(
        addr,
        "PUT",
        "/v1/cutoff",
        &[&format!("Host: localhost:{}", port.wrapping_add(1))],
        r#"{"target_precision":0.6}"#,
    );
    assert_eq!(a.status, 403, "{a:?}");
    // A cross-site form or fetch: loopback Host, foreign Origin, no body.
    let a = request(
        addr,
        "POST",
        "/v1/admin/reload",
        &[
            &format!("Host: 127.0.0.1:{port}"),
            "Origin: https://evil.example",
        ],
        "",
    );
    assert_eq!(a.status, 403, "{a:?}");
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Origin header `https://evil.example`"),
        "{a:?}"
    );
    // From this machine: loopback Host (any of the names), loopback or no Origin.
    let a = request(
        addr,
        "PUT",
        "/v1/cutoff",
        &[&format!("Host: localhost:{port}")],
        r#"{"target_precision":0.6}"#,
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_ne!(threshold(&server), before);
    let a = request(
        addr,
        "POST",
        "/v1/admin/reload",
        &[
            &format!("Host: 127.0.0.1:{port}"),
            &format!("Origin: http://127.0.0.1:{port}"),
        ],
        "",
    );
    assert_eq!(a.status, 200, "{a:?}");
    let a = request(
        addr,
        "POST",
        "/v1/admin/reload",
        &[&format!("Host: [::1]:{port}")],
        "",
    );
    assert_eq!(a.status, 200, "{a:?}");
}

#[test]
fn a_loopback_server_answers_no_route_under_a_foreign_host() {
    // A page on rebind.evil.example, its name resolved to 127.0.0.1, must not read the model
    // (weights, file paths), the metrics or scores, with or without a scoring token.
    let server = start(&["--score-token", "s3cret"]);
    let addr = server.addr;
    let port = addr.port();
    let lead = r#"{"job_title":"CEO","created_at":"2025-01-01T00:00:00Z"}"#;
    let routes: [(&str, &str, &str); 6] = [
        ("GET", "/v1/model", ""),
        ("GET", "/metrics", ""),
        ("GET", "/", ""),
        ("GET", "/healthz", ""),
        ("GET", "/no/such/route", ""),
        ("POST", "/v1/score", lead),
    ];
    for (method, path, body) in routes {
        for host in [
            "rebind.evil.example".to_string(),
            format!("rebind.evil.example:{port}"),
            "127.0.0.1.evil.example".to_string(),
        ] {
            let a = request(
                addr,
                method,
                path,
                &[&format!("Host: {host}"), "Content-Type: application/json"],
                body,
            );
            assert_eq!(a.status, 403, "{method} {path} as {host}: {a:?}");
            let e = a.json();
            assert_eq!(e["error"]["code"], "forbidden");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("--allowed-host"),
                "{a:?}"
            );
        }
        // Under a loopback name (any port, any case), or without Host (not a browser): served.
        for host in [
            format!("Host: 127.0.0.1:{port}"),
            "Host: LOCALHOST".to_string(),
            format!("Host: [::1]:{port}"),
        ] {
            let a = request(
                addr,
                method,
                path,
                &[
                    &host,
                    "Content-Type: application/json",
                    "Authorization: Bearer s3cret",
                ],
                body,
            );
            assert_ne!(a.status, 403, "{method} {path} as {host}: {a:?}");
        }
    }
    let a = exchange(addr, b"GET /v1/model HTTP/1.0\r\n\r\n");
    assert_eq!(a.status, 200, "{a:?}");
    // Two Host headers, the loopback one first or last: 400 (RFC 9112), never served.
    for hosts in [
        ["Host: 127.0.0.1", "Host: rebind.evil.example"],
        ["Host: rebind.evil.example", "Host: 127.0.0.1"],
    ] {
        let a = request(addr, "GET", "/v1/model", &hosts, "");
        assert_eq!(a.status, 400, "{hosts:?}: {a:?}");
        assert_eq!(a.json()["error"]["code"], "bad_request", "{a:?}");
        assert!(a.body.contains("more than one Host header"), "{a:?}");
        assert!(
            a.head.to_ascii_lowercase().contains("connection: close"),
            "{a:?}"
        );
    }
    drop(server);

    // A reverse proxy on this machine that forwards its own name: --allowed-host.
    let server = start(&["--allowed-host", "Leads.Example.com"]);
    let a = request(
        server.addr,
        "GET",
        "/v1/model",
        &["Host: leads.example.com:443"],
        "",
    );
    assert_eq!(a.status, 200, "{a:?}");
    let a = request(
        server.addr,
        "GET",
        "/v1/model",
        &["Host: other.example.com"],
        "",
    );
    assert_eq!(a.status, 403, "{a:?}");
    assert!(a.body.contains("leads.example.com"), "{a:?}");
}

#[test]
fn requests_hyper_cannot_parse_get_the_json_envelope() {
    let server = start(&[]);
    let addr = server.addr;
    let check = |what: &str, raw: &[u8], status: u16, code: &str| {
        let a = exchange(addr, raw);
        assert_eq!(a.status, status, "{what}: {a:?}");
        assert!(
            a.head
                .to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{what}: {a:?}"
        );
        assert_eq!(a.json()["error"]["code"], code, "{what}: {a:?}");
        assert!(!a.json()["error"]["message"].as_str().unwrap().is_empty());
    };
    check("a bad request line", b"GARBAGE\r\n\r\n", 400, "bad_request");
    check(
        "a bad header",
        b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
        400,
        "bad_request",
    );
    let long = format!(
        "GET /healthz?{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "a".repeat(70_000)
    );
    check("a URI of 70 kB", long.as_bytes(), 414, "uri_too_long");
    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..150 {
        many.push_str(&format!("X-H{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    check("150 headers", many.as_bytes(), 431, "headers_too_large");
    // The server is fine afterwards.
    assert_eq!(request(addr, "GET", "/healthz", &[], "").status, 200);
}

#[test]
fn a_good_sighup_reload_clears_the_last_reload_error() {
    let (_dir, model) = common::demo_model_copy();
    let good = std::fs::read(&model).unwrap();
    let server = start_wrapped(&[], &model, &[]);
    let addr = server.addr;
    let last_error =
        || request(addr, "GET", "/v1/model", &[], "").json()["last_reload_error"].clone();
    let wait = |what: &str, done: &dyn Fn(&Value) -> bool| {
        let start = Instant::now();
        loop {
            let e = last_error();
            if done(&e) {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{what}: {e}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    std::fs::write(&model, b"{ not a model").unwrap();
    server.signal("HUP");
    wait("a failed reload is reported", &|e| e["trigger"] == "SIGHUP");
    std::fs::write(&model, &good).unwrap();
    server.signal("HUP");
    wait("a good reload clears it", &Value::is_null);
    assert!(
        server.stderr().contains("SIGHUP: reloaded model"),
        "{}",
        server.stderr()
    );
}

#[test]
fn a_confidence_below_one_half_stops_the_start() {
    for bad in ["0.01", "0.4999", "1"] {
        let out = common::server::refused_start(
            common::SERVE_BIN,
            [
                "--model".as_ref(),
                common::demo_model().as_os_str(),
                "--target-precision".as_ref(),
                "0.5".as_ref(),
                "--confidence".as_ref(),
                OsStr::new(bad),
            ] as [&OsStr; 6],
        );
        assert_eq!(out.status.code(), Some(1), "--confidence {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--confidence") && stderr.contains("at least 0.5 and below 1"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "it must not listen");
    }
}

/// Writes `pieces` on a new connection with a pause after each (so the server reads them as
/// separate body frames), then reads the answer.
fn dribble(addr: SocketAddr, pieces: &[&[u8]]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    for p in pieces {
        stream.write_all(p).expect("send");
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }
    read_answer(&mut stream).expect("an answer")
}

/// A body that arrives in pieces, declared by its length or sent chunked, is read whole (the
/// server keeps a one-frame body as it came and joins the others); one whose pieces pass
/// `--max-body-bytes`, or whose declared length does, is refused with 413, never cut short.
#[test]
fn a_body_sent_in_pieces_is_read_whole_and_one_past_the_limit_is_refused() {
    let server = start(&["--max-body-bytes", "400"]);
    let addr = server.addr;
    let lead = r#"{"email":"ana@acme.io","job_title":"VP Marketing","company_size":250,"industry":"Software","country":"Germany","lead_source":"Referral","created_at":"2025-06-01T09:30:00Z"}"#;
    let path = "/v1/score?as_of=2025-06-08T10:00:00Z";
    let whole = request(addr, "POST", path, &[], lead);
    assert_eq!(whole.status, 200, "{}", whole.body);
    let (a, rest) = lead.as_bytes().split_at(40);
    let (b, c) = rest.split_at(70);

    let head = format!(
        "POST {path} HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        lead.len()
    );
    let sized = dribble(addr, &[head.as_bytes(), a, b, c]);
    assert_eq!(sized.status, 200, "{}", sized.body);
    assert_eq!(sized.json(), whole.json());

    let chunk = |p: &[u8]| {
        [
            format!("{:x}\r\n", p.len()).into_bytes(),
            p.to_vec(),
            b"\r\n".to_vec(),
        ]
        .concat()
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let (ca, cb, cc) = (chunk(a), chunk(b), chunk(c));
    let chunked = dribble(addr, &[head.as_bytes(), &ca, &cb, &cc, b"0\r\n\r\n"]);
    assert_eq!(chunked.status, 200, "{}", chunked.body);
    assert_eq!(chunked.json(), whole.json());

    // 3 x 180 bytes chunked: past 400 only at the third piece.
    let big = chunk(&[b' '; 180]);
    let over = dribble(addr, &[head.as_bytes(), &big, &big, &big, b"0\r\n\r\n"]);
    assert_eq!(over.status, 413, "{}", over.body);
    assert_eq!(
        over.json()["error"]["code"],
        "body_too_large",
        "{}",
        over.body
    );
    // Declared too long: refused before the body is read.
    let head = format!(
        "POST {path} HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 401\r\n\r\n"
    );
    let declared = dribble(addr, &[head.as_bytes()]);
    assert_eq!(declared.status, 413, "{}", declared.body);
    // On a keep-alive connection too, the answer says the connection closes (its body was
    // never read, so it cannot carry another request).
    let head = format!(
        "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 401\r\n\r\n"
    );
    let kept = dribble(addr, &[head.as_bytes()]);
    assert_eq!(kept.status, 413, "{}", kept.body);
    assert!(
        kept.head
            .to_ascii_lowercase()
            .contains("\r\nconnection: close"),
        "{}",
        kept.head
    );
}

/// A body still arriving at `--request-timeout-ms` is the client's delay: 408 `body_timeout`,
/// on time, with the connection closed (the rest of the body may still come), whether it
/// stopped short of its declared length, stopped between chunks or drips a few bytes at a
/// time; `/invocations` says so in MLflow's shape. A request whose body came whole is not
/// affected, and `/metrics` counts the 408s, no 5xx.
#[test]
fn a_body_still_arriving_at_the_time_limit_gets_408_and_the_connection_closed() {
    let server = start(&["--request-timeout-ms", "400"]);
    let addr = server.addr;
    let lead = r#"{"email":"ana@acme.io","job_title":"VP Marketing","company_size":250,"industry":"Software","country":"Germany","lead_source":"Referral","created_at":"2025-06-01T09:30:00Z"}"#;
    let path = "/v1/score?as_of=2025-06-08T10:00:00Z";
    // Keep-alive heads: the server, not the client, closes the connection.
    let sized = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            lead.len()
        )
    };
    // Sends `head`, then `pieces` one every `every`, and reads the answer (which may come while
    // pieces are still being sent: a refused write ends the sending).
    let late = |head: String, pieces: &[&[u8]], every: Duration| -> (Answer, Duration, bool) {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        let sent = Instant::now();
        stream.write_all(head.as_bytes()).expect("send the head");
        let writer = stream.try_clone().unwrap();
        let pieces: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        let dripping = std::thread::spawn(move || {
            let mut writer = writer;
            for p in pieces {
                if writer.write_all(&p).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        });
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let answer = read_answer(&mut stream).expect("an answer");
        let took = sent.elapsed();
        let closed = closed_within(&mut stream, Duration::from_secs(5));
        dripping.join().unwrap();
        (answer, took, closed)
    };
    let check = |(answer, took, closed): (Answer, Duration, bool), what: &str| {
        assert_eq!(
            answer.status, 408,
            "{what}: {}\n{}",
            answer.head, answer.body
        );
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(10),
            "{what}: answered after {took:?}"
        );
        assert!(
            answer
                .head
                .to_ascii_lowercase()
                .contains("connection: close"),
            "{what}: {}",
            answer.head
        );
        assert!(closed, "{what}: the connection stayed open");
        assert!(
            answer.body.contains("did not arrive within 400 ms"),
            "{what}: {}",
            answer.body
        );
        answer
    };

    // Stopped short of its declared length.
    let short = check(
        late(sized(path), &[&lead.as_bytes()[..40]], Duration::ZERO),
        "short",
    );
    assert_eq!(
        short.json()["error"]["code"],
        "body_timeout",
        "{}",
        short.body
    );
    // Chunked, stopped between chunks.
    let chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let first = [b"28\r\n", &lead.as_bytes()[..40], b"\r\n"].concat();
    let between = check(late(chunked, &[&first], Duration::ZERO), "chunked");
    assert_eq!(between.json()["error"]["code"], "body_timeout");
    // Dripped: 8 bytes every 100 ms, still arriving at the limit.
    let drips: Vec<&[u8]> = lead.as_bytes().chunks(8).collect();
    let dripped = check(
        late(sized(path), &drips, Duration::from_millis(100)),
        "dripped",
    );
    assert_eq!(dripped.json()["error"]["code"], "body_timeout");
    // MLflow's route, in MLflow's shape.
    let records = format!(r#"{{"dataframe_records":[{lead}]}}"#);
    let head = format!(
        "POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        records.len()
    );
    let mlflow = check(
        late(head, &[&records.as_bytes()[..30]], Duration::ZERO),
        "mlflow",
    );
    assert_eq!(
        mlflow.json()["error_code"],
        "BAD_REQUEST",
        "{}",
        mlflow.body
    );

    // A whole body is answered as before, and only 408s were counted.
    let whole = request(addr, "POST", path, &["Host: 127.0.0.1"], lead);
    assert_eq!(whole.status, 200, "{}", whole.body);
    let metrics = request(addr, "GET", "/metrics", &["Host: 127.0.0.1"], "").body;
    let count = |route: &str, status: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| {
                l.starts_with("leadscore_http_requests_total{")
                    && l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status=\"{status}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert_eq!(count("/v1/score", "408"), 3.0, "{metrics}");
    assert_eq!(count("/invocations", "408"), 1.0, "{metrics}");
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("leadscore_http_requests_total{")
                && l.contains("status=\"5")
                && !l.ends_with(" 0")),
        "{metrics}"
    );
}
