//! Expiring a session for real, from a second connection.

use crate::util::resolve;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(10);
const UNREACHABLE_FOR: Duration = Duration::from_secs(5);
const TAKEN_BACK_FOR: Duration = Duration::from_secs(15);
const CLOSE_SESSION: i32 = -11;
const CLOSE_XID: i32 = 1;

/// Expires a session on the server for real: opens a second connection with the same session id and
/// password, which takes the session over (the server drops the owner's connection), then closes the
/// session from there, as kazoo's and Curator's harnesses do. The owner learns of it on its next connection
/// (its session is gone: `SESSION_EXPIRED`), and the session's ephemeral nodes are deleted.
///
/// `connect_string` is a ZooKeeper host list (`"127.0.0.1:2181,127.0.0.1:2182/chroot"`); the chroot is
/// ignored and the hosts are tried in order. The owner may reconnect and take the session back before the
/// close goes through, so the takeover is retried for up to 15 s; it helps to cut the owner's connection
/// first (see [`Proxy`](crate::Proxy)). Hosts that cannot be reached are retried for 5 s.
///
/// Fails with [`io::ErrorKind::NotFound`] if the server says no such session exists on the first try
/// (already expired, or a wrong password), or with the connection error if no host can be reached.
///
/// Wire format (all integers big-endian, each message framed by a 4-byte length): `ConnectRequest {int
/// protocolVersion=0, long lastZxidSeen=0, int timeOut, long sessionId, buffer passwd, bool readOnly}`, answered
/// by `ConnectResponse {int protocolVersion, int timeOut, long sessionId, buffer passwd, bool readOnly}`; then
/// `RequestHeader {int xid=1, int type=-11}` (closeSession), answered by `ReplyHeader {int xid, long zxid, int
/// err}`.
pub fn expire_session(connect_string: &str, session_id: i64, password: &[u8]) -> io::Result<()> {
    let hosts: Vec<&str> =
        connect_string.split('/').next().unwrap_or("").split(',').map(str::trim).filter(|h| !h.is_empty()).collect();
    if hosts.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("no host in {connect_string:?}")));
    }
    let start = Instant::now();
    let mut tried_close = false;
    let mut reached = false;
    let mut last_err = None;
    let mut attempt = 0u32;
    // Up to 15 s while the owner keeps taking the session back; up to 5 s while no host can be reached.
    while start.elapsed() < UNREACHABLE_FOR || (reached && start.elapsed() < TAKEN_BACK_FOR) {
        for host in &hosts {
            let outcome = expire_once(host, session_id, password);
            reached |= outcome.is_ok();
            match outcome {
                Ok(Outcome::Closed) => return Ok(()),
                Ok(Outcome::NoSuchSession) if tried_close => return Ok(()),
                Ok(Outcome::NoSuchSession) => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("session 0x{session_id:x} does not exist on {host} (expired, or wrong password)"),
                    ))
                }
                Ok(Outcome::TakenBack) => tried_close = true,
                Err(e) => last_err = Some(io::Error::new(e.kind(), format!("{host}: {e}"))),
            }
        }
        attempt += 1;
        std::thread::sleep(Duration::from_millis(50 * u64::from(attempt.min(10))));
    }
    Err(last_err.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::TimedOut, format!("session 0x{session_id:x} kept being taken back by its owner"))
    }))
}

enum Outcome {
    /// The server acknowledged closeSession.
    Closed,
    /// The server answered the ConnectRequest with a zero timeout: no such session.
    NoSuchSession,
    /// The connection was dropped before the close was acknowledged (the owner took the session back).
    TakenBack,
}

fn expire_once(host: &str, session_id: i64, password: &[u8]) -> io::Result<Outcome> {
    let addr = hostport(host);
    let mut last_err = None;
    let mut stream = None;
    for sa in resolve(&addr)? {
        match TcpStream::connect_timeout(&sa, IO_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let Some(mut s) = stream else {
        return Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address")));
    };
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;

    let mut req = Vec::with_capacity(48 + password.len());
    req.extend_from_slice(&0i32.to_be_bytes()); // protocolVersion
    req.extend_from_slice(&0i64.to_be_bytes()); // lastZxidSeen
    req.extend_from_slice(&30_000i32.to_be_bytes()); // timeOut
    req.extend_from_slice(&session_id.to_be_bytes());
    req.extend_from_slice(&(password.len() as i32).to_be_bytes());
    req.extend_from_slice(password);
    req.push(0); // readOnly = false
    write_frame(&mut s, &req)?;

    let resp = match read_frame(&mut s) {
        Ok(r) => r,
        // A server that will not take the session (for example a read-only member) just hangs up.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "the server closed the connection"))
        }
        Err(e) => return Err(e),
    };
    let mut r = Reader(&resp);
    let _protocol_version = r.i32()?;
    let timeout = r.i32()?;
    let _id = r.i64()?;
    if timeout <= 0 {
        return Ok(Outcome::NoSuchSession);
    }

    let mut close = Vec::with_capacity(8);
    close.extend_from_slice(&CLOSE_XID.to_be_bytes());
    close.extend_from_slice(&CLOSE_SESSION.to_be_bytes());
    if write_frame(&mut s, &close).is_err() {
        return Ok(Outcome::TakenBack);
    }
    loop {
        let frame = match read_frame(&mut s) {
            Ok(f) => f,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Err(e),
            Err(_) => return Ok(Outcome::TakenBack),
        };
        let mut r = Reader(&frame);
        let xid = r.i32()?;
        let _zxid = r.i64()?;
        let err = r.i32()?;
        if xid == CLOSE_XID {
            return if err == 0 {
                Ok(Outcome::Closed)
            } else {
                Err(io::Error::other(format!("closeSession failed with error {err}")))
            };
        }
    }
}

/// `host` with ZooKeeper's default port when it has none.
fn hostport(host: &str) -> String {
    let has_port = match host.rfind(']') {
        Some(end) => host[end..].contains(':'),
        None => host.matches(':').count() == 1,
    };
    if has_port {
        host.to_owned()
    } else if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:2181")
    } else {
        format!("{host}:2181")
    }
}

fn write_frame(s: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4 + body.len());
    buf.extend_from_slice(&(body.len() as i32).to_be_bytes());
    buf.extend_from_slice(body);
    s.write_all(&buf)
}

fn read_frame(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = i32::from_be_bytes(len);
    if !(0..=16 << 20).contains(&len) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad frame length {len}")));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        if self.0.len() < N {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "short message"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("length checked"))
    }

    fn i32(&mut self) -> io::Result<i32> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    fn i64(&mut self) -> io::Result<i64> {
        self.take::<8>().map(i64::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::hostport;

    #[test]
    fn default_port() {
        assert_eq!(hostport("127.0.0.1:2182"), "127.0.0.1:2182");
        assert_eq!(hostport("127.0.0.1"), "127.0.0.1:2181");
        assert_eq!(hostport("[::1]:2182"), "[::1]:2182");
        assert_eq!(hostport("[::1]"), "[::1]:2181");
        assert_eq!(hostport("::1"), "[::1]:2181");
        assert_eq!(hostport("localhost"), "localhost:2181");
    }
}
