//! Four-letter-word commands (`ruok`, `srvr`, `envi`, `isro`, ...) over a short-lived connection.

use crate::hosts::HostPort;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Sends `cmd` to `host` and returns the whole reply (the server closes the connection after it).
pub(crate) fn command_to(host: &HostPort, cmd: &str, timeout: Duration) -> std::io::Result<String> {
    let addrs: Vec<_> = (host.host.as_str(), host.port).to_socket_addrs()?.collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} resolves to nothing"));
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(mut s) => {
                s.set_read_timeout(Some(timeout))?;
                s.set_write_timeout(Some(timeout))?;
                s.write_all(cmd.as_bytes())?;
                let mut out = Vec::new();
                s.take(16 * 1024 * 1024).read_to_end(&mut out)?;
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
