//! A client that sends requests and never reads the answers, against the real binary: the
//! write timeout (`--write-timeout-ms`) closes its connection once writing has made no
//! progress for that long, so the connection slot it held serves other clients again. Without
//! it, such a client holds a busy connection forever, and at the connection cap every new
//! client is refused.

mod common;

use common::server::Server;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// `GET /healthz` on a new connection: `true` when answered 200 within `wait`.
fn healthz(addr: SocketAddr, wait: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, wait) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(wait));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

/// Whether the kernel still has the server's end of the loopback connection between
/// `server_port` and `client_port` (`/proc/net/tcp`: local and remote `address:port` in hex).
fn server_end_open(server_port: u16, client_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    let (local, remote) = (format!(":{server_port:04X}"), format!(":{client_port:04X}"));
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        matches!(
            (fields.next(), fields.next()),
            (Some(l), Some(r)) if l.ends_with(&local) && r.ends_with(&remote)
        )
    })
}

/// A request for a large answer: a batch of 10,000 leads with every factor (all fields
/// missing: the answer is the same whatever the model).
fn big_request() -> Vec<u8> {
    let body = format!("{{\"leads\": [{}{{}}]}}", "{},".repeat(9_999));
    let mut request = format!(
        "POST /v1/score?factors=100 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body.as_bytes());
    request
}

/// The size of the answer to [`big_request`] (`None` when the connection was refused: at a
/// cap of one connection, while the server still holds the one before, a new connection is
/// accepted and closed without a byte, or reset).
fn big_answer_bytes(addr: SocketAddr) -> Option<usize> {
    let mut s = TcpStream::connect(addr).ok()?;
    let mut request = big_request();
    let at = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    request.splice(at..at, b"\r\nconnection: close".iter().copied());
    s.write_all(&request).ok()?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).ok()?;
    if answer.is_empty() {
        return None;
    }
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..200.min(answer.len())])
    );
    Some(answer.len())
}

#[test]
fn a_client_that_never_reads_is_closed_after_the_write_timeout() {
    let model = common::demo_model().as_os_str();
    let args = [
        "--model".as_ref(),
        model,
        "--target-precision".as_ref(),
        "0.5".as_ref(),
        "--write-timeout-ms".as_ref(),
        "1000".as_ref(),
    ];
    let server = Server::start(common::SERVE_BIN, args);
    let addr = server.addr;
    assert!(healthz(addr, Duration::from_secs(5)), "the server answers");

    // Enough pipelined requests that their answers overflow both sockets' buffers (the kernel
    // buffers a few MiB on loopback), sent from a thread: the server stops reading them once
    // its writes stall. Each answer is written in one piece, so the buffers fill at once.
    let per_answer = big_answer_bytes(addr).expect("the size of an answer");
    let requests = (64 << 20) / per_answer + 1;
    let mut greedy = TcpStream::connect(addr).unwrap();
    let mut reader = greedy.try_clone().unwrap();
    let pipelined = big_request().repeat(requests);
    let sender = std::thread::spawn(move || {
        let _ = greedy.write_all(&pipelined);
    });

    // The server closes the connection once its writes have stalled for the write timeout:
    // its end of the connection leaves the kernel's table (how fast the buffers fill depends
    // on the machine's load, so this waits for the close rather than for a fixed time).
    // Without the timeout it stays forever.
    let client_port = reader.local_addr().unwrap().port();
    let start = std::time::Instant::now();
    while server_end_open(addr.port(), client_port) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server still holds the connection of a client that never reads after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("closed by the server after {:?}", start.elapsed());

    // Reading now gets what the server had written before it gave up, then the end (EOF or a
    // reset), well before all the answers asked for.
    reader
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = loop {
        match reader.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false, // timed out: still open
        }
    };
    eprintln!("{received} bytes of {} asked for", requests * per_answer);
    assert!(ended, "the connection is still open after {received} bytes");
    assert!(
        received < requests * per_answer,
        "every answer was written ({received} bytes)"
    );
    sender.join().unwrap();
    assert!(
        healthz(addr, Duration::from_secs(5)),
        "the server still answers"
    );
}

/// A client reading a large answer slowly, but steadily, gets all of it: hyper takes the
/// answer's body at once and writes it out over seconds, and the connection is neither idle
/// (`--idle-timeout-ms`) nor evictable (a new connection at `--max-connections`) until the
/// last byte is out. Both cut such an answer short behind a clean close before.
#[test]
fn a_slow_reader_gets_the_whole_answer_past_the_idle_timeout_and_the_cap() {
    let model = common::demo_model().as_os_str();
    let args = [
        "--model".as_ref(),
        model,
        "--target-precision".as_ref(),
        "0.5".as_ref(),
        "--idle-timeout-ms".as_ref(),
        "500".as_ref(),
        "--max-connections".as_ref(),
        "1".as_ref(),
    ];
    let server = Server::start(common::SERVE_BIN, args);
    let addr = server.addr;
    // With one connection allowed, each call waits until the server has closed the one
    // before (a new connection at the cap is closed at once while the other is busy or just
    // answered).
    let one_at_a_time = |what: &str, ok: &dyn Fn() -> bool| {
        let start = std::time::Instant::now();
        while !ok() {
            assert!(start.elapsed() < Duration::from_secs(30), "{what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    one_at_a_time("the server answers", &|| {
        healthz(addr, Duration::from_secs(5))
    });
    let size = std::cell::Cell::new(0);
    one_at_a_time("the size of the answer", &|| {
        big_answer_bytes(addr).inspect(|n| size.set(*n)).is_some()
    });
    let size = size.get();
    // About three seconds for the whole answer: six idle timeouts.
    let chunk = size / 60 + 1;
    let mut buf = vec![0u8; chunk];
    let start = std::time::Instant::now();
    let received = loop {
        let mut slow = TcpStream::connect(addr).unwrap();
        let mut request = big_request();
        let at = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        request.splice(at..at, b"\r\nconnection: close".iter().copied());
        slow.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (mut received, mut reads) = (0usize, 0usize);
        // A refused connection fails the write or the first read: tried again below.
        let _ = slow.write_all(&request);
        loop {
            match slow.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => received += n,
                // Refused at the cap (the measuring connection not closed yet): no byte came.
                Err(_) if received == 0 => break,
                Err(e) => panic!("after {received} bytes: {e}"),
            }
            reads += 1;
            if reads == 20 {
                // A new client at the cap: it may be refused, but it must not evict an answer
                // going out.
                let _ = healthz(addr, Duration::from_secs(2));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if received > 0 || start.elapsed() > Duration::from_secs(30) {
            break received;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(received, size, "the answer was cut short");
    one_at_a_time("the server answers after", &|| {
        healthz(addr, Duration::from_secs(5))
    });
}
