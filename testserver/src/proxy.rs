//! A TCP proxy that forwards to a server and can cut, refuse or black-hole connections on demand.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// State shared by the proxy handle, its accept loop and its forwarding threads.
struct Shared {
    target: Mutex<SocketAddr>,
    connections: Mutex<Vec<(u64, TcpStream, TcpStream)>>,
    next_id: AtomicU64,
    refuse: AtomicBool,
    blackhole: AtomicBool,
    stopped: AtomicBool,
}

impl Shared {
    fn forget(&self, id: u64) {
        self.connections.lock().expect("lock").retain(|(i, _, _)| *i != id);
    }
}

/// Forwards loopback connections to a target server.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// A proxy on `127.0.0.1:<free port>` forwarding to `target`.
    pub fn start(target: SocketAddr) -> io::Result<Proxy> {
        Self::start_on("127.0.0.1:0".parse().expect("valid address"), target)
    }

    /// A proxy listening on `listen` (a loopback address, e.g. `[::1]:0`) forwarding to `target`.
    pub fn start_on(listen: SocketAddr, target: SocketAddr) -> io::Result<Proxy> {
        if !listen.ip().is_loopback() || !target.ip().is_loopback() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "the proxy only uses loopback addresses"));
        }
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            target: Mutex::new(target),
            connections: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            refuse: AtomicBool::new(false),
            blackhole: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        let s = shared.clone();
        thread::Builder::new().name("zkrs-proxy".into()).spawn(move || accept_loop(listener, s))?;
        Ok(Proxy { addr, shared })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT` (or `[::1]:PORT`).
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// Closes every current connection on both sides; new ones are still accepted.
    pub fn drop_connections(&self) {
        let conns = std::mem::take(&mut *self.shared.connections.lock().expect("lock"));
        for (_, a, b) in conns {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }

    /// While on, bytes are swallowed in both directions (a hung network).
    pub fn set_blackhole(&self, on: bool) {
        self.shared.blackhole.store(on, Ordering::SeqCst);
    }

    /// While on, new connections are closed at once.
    pub fn set_refuse(&self, on: bool) {
        self.shared.refuse.store(on, Ordering::SeqCst);
    }

    pub fn set_target(&self, target: SocketAddr) {
        *self.shared.target.lock().expect("lock") = target;
    }

    pub fn connection_count(&self) -> usize {
        self.shared.connections.lock().expect("lock").len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        self.drop_connections();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = conn else { continue };
        if shared.refuse.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let target = *shared.target.lock().expect("lock");
        let Ok(server) = TcpStream::connect(target) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (client.try_clone(), server.try_clone(), client.try_clone(), server.try_clone())
        else {
            continue;
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        shared.connections.lock().expect("lock").push((id, c3, s3));
        let sh = shared.clone();
        let _ = thread::Builder::new().name("zkrs-proxy-up".into()).spawn(move || pump(id, client, server, sh));
        let sh = shared.clone();
        let _ = thread::Builder::new().name("zkrs-proxy-down".into()).spawn(move || pump(id, s2, c2, sh));
    }
}

/// Copies `from` to `to` until either side closes; then closes both.
fn pump(id: u64, mut from: TcpStream, mut to: TcpStream, shared: Arc<Shared>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if shared.blackhole.load(Ordering::SeqCst) {
                    continue;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
    shared.forget(id);
}
