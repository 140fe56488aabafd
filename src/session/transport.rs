//! The byte stream under a session. Plain TCP today; TLS slots in here without touching the session logic.

use crate::hosts::HostPort;
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
}

/// Opens a TCP connection with `timeout` for the connect and for each blocking read and write after it.
pub(crate) fn connect(_host: &HostPort, addr: SocketAddr, timeout: Duration) -> io::Result<Box<dyn Transport>> {
    let timeout = timeout.max(Duration::from_millis(1));
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    Ok(Box::new(Plain(s)))
}
