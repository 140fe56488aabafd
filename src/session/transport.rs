//! The byte stream under a session: plain TCP, or TLS over it (see [`crate::tls`]). The session logic
//! sees only this trait.

use crate::error::{Error, Result};
use crate::hosts::HostPort;
use crate::tls::TlsContext;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// A connected stream the I/O thread reads and writes. It starts blocking (for the handshake, with
/// timeouts) and is switched to non-blocking for the session.
pub(crate) trait Transport: Read + Write + Send {
    /// The socket to poll.
    fn fd(&self) -> RawFd;
    fn set_nonblocking(&mut self) -> io::Result<()>;
    /// Whether decrypted bytes wait inside the transport, invisible to poll.
    fn has_buffered_input(&self) -> bool {
        false
    }
    /// Whether the last read could not go on until the socket takes a write (TLS): wait for POLLOUT,
    /// then read again.
    fn read_wants_write(&self) -> bool {
        false
    }
    /// The socket, if a caller may write whole request frames to it directly (plain TCP only: TLS
    /// records are the transport's business).
    fn direct_fd(&self) -> Option<RawFd> {
        None
    }
}

struct Plain(TcpStream);

impl Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Plain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Plain {
    fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
    fn set_nonblocking(&mut self) -> io::Result<()> {
        self.0.set_nonblocking(true)
    }
    fn direct_fd(&self) -> Option<RawFd> {
        Some(self.0.as_raw_fd())
    }
}

/// Opens a TCP connection with `timeout` for the connect and for each blocking read and write after it,
/// and runs the TLS handshake on it when `tls` is given. Network failures are `ConnectionLoss`; TLS
/// failures are the TLS errors, which say why.
pub(crate) fn connect(
    host: &HostPort,
    addr: SocketAddr,
    timeout: Duration,
    tls: Option<&TlsContext>,
) -> Result<Box<dyn Transport>> {
    let timeout = timeout.max(Duration::from_millis(1));
    let io = |e: io::Error| Error::ConnectionLoss(format!("cannot connect to {host} ({addr}): {e}"));
    let s = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    s.set_nodelay(true).map_err(io)?;
    s.set_read_timeout(Some(timeout)).map_err(io)?;
    s.set_write_timeout(Some(timeout)).map_err(io)?;
    match tls {
        Some(tls) => Ok(Box::new(tls.connect(host, s)?)),
        None => Ok(Box::new(Plain(s))),
    }
}
