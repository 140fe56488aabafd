//! A hand-written ZooKeeper wire client, independent of the crate under test: just enough jute to open,
//! ping and resume sessions, and to create nodes.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A raw session: the connection and what the server answered to the ConnectRequest.
pub struct RawSession {
    pub stream: TcpStream,
    pub timeout: i32,
    pub session_id: i64,
    pub password: Vec<u8>,
}

fn put_i32(b: &mut Vec<u8>, v: i32) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_i64(b: &mut Vec<u8>, v: i64) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_buf(b: &mut Vec<u8>, v: &[u8]) {
    put_i32(b, v.len() as i32);
    b.extend_from_slice(v);
}

pub fn send(s: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let mut frame = Vec::new();
    put_buf(&mut frame, body);
    s.write_all(&frame)
}

pub fn recv(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

pub fn get_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

pub fn get_i64(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// Sends a ConnectRequest (session 0 = a new session) and reads the ConnectResponse.
pub fn connect(addr: &str, session_id: i64, password: &[u8], timeout_ms: i32) -> io::Result<RawSession> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = Vec::new();
    put_i32(&mut req, 0); // protocolVersion
    put_i64(&mut req, 0); // lastZxidSeen
    put_i32(&mut req, timeout_ms);
    put_i64(&mut req, session_id);
    put_buf(&mut req, password);
    req.push(0); // readOnly
    send(&mut s, &req)?;
    let resp = recv(&mut s)?;
    let timeout = get_i32(&resp, 4);
    let id = get_i64(&resp, 8);
    let plen = get_i32(&resp, 16) as usize;
    let password = resp[20..20 + plen].to_vec();
    Ok(RawSession { stream: s, timeout, session_id: id, password })
}

/// Sends a request and returns the reply's error code and body (skipping watch notifications and pings).
pub fn call(s: &mut RawSession, xid: i32, op: i32, body: &[u8]) -> io::Result<(i32, Vec<u8>)> {
    let mut req = Vec::new();
    put_i32(&mut req, xid);
    put_i32(&mut req, op);
    req.extend_from_slice(body);
    send(&mut s.stream, &req)?;
    loop {
        let reply = recv(&mut s.stream)?;
        if get_i32(&reply, 0) == xid {
            return Ok((get_i32(&reply, 12), reply[16..].to_vec()));
        }
    }
}

/// A ping (xid -2, op 11); Ok if the server answered.
pub fn ping(s: &mut RawSession) -> io::Result<()> {
    call(s, -2, 11, &[]).map(|_| ())
}

/// Creates `path` (op 1, or op 21 with a TTL) with an open ACL; returns the server's error code.
pub fn create(s: &mut RawSession, xid: i32, path: &str, flags: i32, ttl: Option<i64>) -> io::Result<i32> {
    let mut b = Vec::new();
    put_buf(&mut b, path.as_bytes());
    put_buf(&mut b, b"data");
    put_i32(&mut b, 1); // one ACL
    put_i32(&mut b, 31); // ALL
    put_buf(&mut b, b"world");
    put_buf(&mut b, b"anyone");
    put_i32(&mut b, flags);
    let op = match ttl {
        Some(ttl) => {
            put_i64(&mut b, ttl);
            21
        }
        None => 1,
    };
    call(s, xid, op, &b).map(|(err, _)| err)
}

/// True once the server has closed the connection (end of file or reset) within `timeout`.
pub fn closed_by_server(s: &mut RawSession, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    s.stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline {
        match s.stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

/// Polls `f` every 50 ms until it is true; panics after `timeout`.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}
