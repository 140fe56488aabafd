//! Four-letter-word commands (`ruok`, `srvr`, `envi`, `isro`, ...) over a short-lived connection, with TLS
//! when the client uses it.

use crate::hosts::HostPort;
use crate::tls::TlsContext;
use std::io::{Read, Write};
use std::net::ToSocketAddrs;
use std::time::Duration;

/// Sends `cmd` to `host` and returns the whole reply (the server closes the connection after it).
pub(crate) fn command_to(
    host: &HostPort,
    cmd: &str,
    timeout: Duration,
    tls: Option<&TlsContext>,
) -> std::io::Result<String> {
    let addrs: Vec<_> = (host.host.as_str(), host.port).to_socket_addrs()?.collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} resolves to nothing"));
    for addr in addrs {
        match crate::session::transport::connect(host, addr, timeout, tls) {
            Ok(mut s) => {
                s.write_all(cmd.as_bytes())?;
                let mut out = Vec::new();
                s.take(16 * 1024 * 1024).read_to_end(&mut out)?;
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            Err(e) => last = std::io::Error::other(e.to_string()),
        }
    }
    Err(last)
}
