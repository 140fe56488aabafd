//! Test support for zkrs: real ZooKeeper servers (Debian's `zookeeper` package) on loopback ports in
//! temporary directories — standalone or as an ensemble — plus the tools fault tests need: stopping,
//! restarting and pausing servers, a TCP proxy that cuts connections, and real session expiry.
//!
//! Only loopback addresses are ever used.

mod proxy;
mod server;
mod session;

pub use proxy::Proxy;
pub use server::{Ensemble, ServerOptions, ZkServer};
pub use session::expire_session;

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Sends a four-letter-word command to `addr` (`host:port`) and returns the reply.
pub fn four_letter(addr: &str, cmd: &str, timeout: Duration) -> std::io::Result<String> {
    let sock = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("{addr} resolves to nothing")))?;
    let mut s = TcpStream::connect_timeout(&sock, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(cmd.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}
