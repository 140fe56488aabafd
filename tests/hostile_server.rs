//! A fake server that sends malformed bytes: the client drops the connection with a clear error,
//! never panics, never allocates what a hostile length asks for, and keeps serving its callers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::channel;
use std::thread;
use std::time::Duration;
use zkrs::error::codes;
use zkrs::{Client, Config, Error, State};

/// Reads the client's ConnectRequest and answers with a valid ConnectResponse.
fn handshake(s: &mut TcpStream) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).unwrap();
    let mut resp = Vec::new();
    resp.extend_from_slice(&0i32.to_be_bytes()); // protocol version
    resp.extend_from_slice(&6000i32.to_be_bytes()); // timeout
    resp.extend_from_slice(&0x1234i64.to_be_bytes()); // session id
    resp.extend_from_slice(&16i32.to_be_bytes());
    resp.extend_from_slice(&[7u8; 16]);
    resp.push(0);
    s.write_all(&(resp.len() as i32).to_be_bytes()).unwrap();
    s.write_all(&resp).unwrap();
}

/// Reads one request frame and returns its xid.
fn read_request(s: &mut TcpStream) -> i32 {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).unwrap();
    i32::from_be_bytes([body[0], body[1], body[2], body[3]])
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

fn reply_header(xid: i32, err: i32) -> Vec<u8> {
    let mut h = xid.to_be_bytes().to_vec();
    h.extend_from_slice(&1i64.to_be_bytes());
    h.extend_from_slice(&err.to_be_bytes());
    h
}

/// Runs `misbehave` on each accepted connection after the handshake and one request.
fn with_fake_server(misbehave: fn(i32) -> Vec<u8>) -> Error {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming().take(3) {
            let Ok(mut s) = conn else { return };
            handshake(&mut s);
            let xid = read_request(&mut s);
            let _ = s.write_all(&misbehave(xid));
            thread::sleep(Duration::from_millis(300));
        }
    });
    let mut cfg = Config::new(&addr.to_string());
    cfg.session_timeout = Duration::from_secs(6);
    let zk = Client::new(cfg).unwrap();
    zk.start(Duration::from_secs(5)).unwrap();
    let (tx, rx) = channel();
    zk.get_data_async("/x", None, move |r| tx.send(r).unwrap()).unwrap();
    let err = rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap_err();
    assert_ne!(zk.state(), State::Closed);
    zk.close().unwrap();
    err
}

fn assert_connection_error(e: Error, mentions: &str) {
    assert_eq!(e.code(), codes::CONNECTION_LOSS, "{e}");
    assert!(e.to_string().contains(mentions), "{e} does not mention {mentions}");
}

#[test]
fn negative_frame_length() {
    assert_connection_error(with_fake_server(|_| (-5i32).to_be_bytes().to_vec()), "length -5");
}

#[test]
fn frame_larger_than_jute_maxbuffer() {
    assert_connection_error(with_fake_server(|_| 0x7fff_fff0i32.to_be_bytes().to_vec()), "malformed frame");
}

#[test]
fn frame_shorter_than_a_reply_header() {
    assert_connection_error(with_fake_server(|_| frame(&[1, 2, 3])), "malformed frame");
}

#[test]
fn unknown_xid() {
    assert_connection_error(with_fake_server(|xid| frame(&reply_header(xid + 1000, 0))), "out of order");
}

#[test]
fn truncated_record_in_a_reply_fails_that_request_only() {
    // A getData reply that claims a 1 GiB buffer inside a small frame: framing is intact, so only the
    // request fails, without allocating what the length asks for.
    let e = with_fake_server(|xid| {
        let mut b = reply_header(xid, 0);
        b.extend_from_slice(&(1i32 << 30).to_be_bytes());
        b.extend_from_slice(b"tiny");
        frame(&b)
    });
    assert_eq!(e.code(), codes::MARSHALLING_ERROR, "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn garbage_notification() {
    assert_connection_error(
        with_fake_server(|_| {
            let mut b = reply_header(-1, 0);
            b.extend_from_slice(&[0xff; 7]);
            frame(&b)
        }),
        "malformed reply",
    );
}

#[test]
fn server_closes_mid_frame() {
    assert_connection_error(with_fake_server(|_| 100i32.to_be_bytes().to_vec()), "closed");
}
