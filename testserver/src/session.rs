//! Real session expiry: a second connection attaches to the session and closes it on the server.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

fn read_frame(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = i32::from_be_bytes(len);
    if !(0..=1 << 20).contains(&len) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad frame length {len}")));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

fn write_frame(s: &mut TcpStream, body: &[u8]) -> io::Result<()> {
    let mut f = (body.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    s.write_all(&f)
}

/// Expires the session `session_id` for real: attaches a second connection to it with its password,
/// then sends closeSession, so the server ends the session (and drops the owner's connection).
/// `connect_string` may list several hosts; the first one is used.
pub fn expire_session(connect_string: &str, session_id: i64, password: &[u8]) -> io::Result<()> {
    let first = connect_string.split('/').next().unwrap_or("").split(',').next().unwrap_or("");
    let addr = first
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{first} resolves to nothing")))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = Vec::new();
    req.extend_from_slice(&0i32.to_be_bytes()); // protocol version
    req.extend_from_slice(&0i64.to_be_bytes()); // last zxid seen
    req.extend_from_slice(&10_000i32.to_be_bytes()); // timeout
    req.extend_from_slice(&session_id.to_be_bytes());
    req.extend_from_slice(&(password.len() as i32).to_be_bytes());
    req.extend_from_slice(password);
    req.push(0); // read-only
    write_frame(&mut s, &req)?;
    let resp = read_frame(&mut s)?;
    if resp.len() < 16 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "short ConnectResponse"));
    }
    let timeout = i32::from_be_bytes([resp[4], resp[5], resp[6], resp[7]]);
    let got_id = i64::from_be_bytes(resp[8..16].try_into().expect("8 bytes"));
    if timeout <= 0 || got_id != session_id {
        // Already expired: nothing left to do.
        return Ok(());
    }
    let mut close = Vec::new();
    close.extend_from_slice(&1i32.to_be_bytes()); // xid
    close.extend_from_slice(&(-11i32).to_be_bytes()); // closeSession
    write_frame(&mut s, &close)?;
    match read_frame(&mut s) {
        Ok(_) => Ok(()),
        // The server may drop the connection right after closing the session.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(()),
        Err(e) => Err(e),
    }
}
