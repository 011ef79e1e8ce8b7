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

/// The size of one answer to `GET /v1/model`.
fn model_answer_bytes(addr: SocketAddr) -> usize {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /v1/model HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    answer.len()
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
    // its writes stall.
    let per_answer = model_answer_bytes(addr);
    let requests = (64 << 20) / per_answer + 1;
    let mut greedy = TcpStream::connect(addr).unwrap();
    let mut reader = greedy.try_clone().unwrap();
    let pipelined = "GET /v1/model HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".repeat(requests);
    let sender = std::thread::spawn(move || {
        let _ = greedy.write_all(pipelined.as_bytes());
    });

    // Past the write timeout (and then some), the client starts reading: what the server had
    // written before it gave up arrives, then the end of the connection (EOF or a reset),
    // well before all the answers it asked for. Without the timeout the server goes on
    // answering as soon as the client reads, and the connection stays open.
    std::thread::sleep(Duration::from_secs(3));
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
