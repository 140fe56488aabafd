//! A TCP proxy that tests can use to cut, black-hole or refuse a client's connections.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(10);

/// A TCP proxy listening on a free loopback port and forwarding every connection to a target address
/// (typically a [`ZkServer`](crate::ZkServer)'s port), with switches that simulate network failures:
///
/// * [`drop_connections`](Self::drop_connections) closes every current connection, both sides;
/// * [`set_blackhole`](Self::set_blackhole) stops forwarding (nothing is lost: bytes wait in the socket
///   buffers and flow again when it is switched off), like a hung network;
/// * [`set_refuse`](Self::set_refuse) resets new connections at once, like a server that is down.
///
/// Dropping the proxy closes the listener and every connection.
#[derive(Debug)]
pub struct Proxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    blackhole: AtomicBool,
    refuse: AtomicBool,
    shutdown: AtomicBool,
}

#[derive(Debug)]
struct State {
    target: SocketAddr,
    next_id: u64,
    conns: HashMap<u64, Conn>,
}

#[derive(Debug)]
struct Conn {
    client: TcpStream,
    upstream: Option<TcpStream>,
    closed: Arc<AtomicBool>,
}

impl Conn {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        if let Some(u) = &self.upstream {
            let _ = u.shutdown(Shutdown::Both);
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn close(&self, id: u64) {
        if let Some(c) = self.state().conns.remove(&id) {
            c.close();
        }
    }

    /// Waits while the black hole is on; false once the connection is closed.
    fn wait_open(&self, closed: &AtomicBool) -> bool {
        while self.blackhole.load(Ordering::SeqCst) && !closed.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
        }
        !closed.load(Ordering::SeqCst)
    }
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:<free port>` forwarding to `target`.
    pub fn start(target: SocketAddr) -> io::Result<Proxy> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), target)
    }

    /// Starts a proxy listening on `listen` (port 0 picks a free port; use a loopback address such as
    /// `[::1]:0`) forwarding to `target`.
    pub fn start_on(listen: SocketAddr, target: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State { target, next_id: 0, conns: HashMap::new() }),
            blackhole: AtomicBool::new(false),
            refuse: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
        });
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name(format!("zkrs-proxy-{}", addr.port()))
            .spawn(move || accept_loop(listener, s))?;
        Ok(Proxy { shared, addr, acceptor: Some(acceptor) })
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `"127.0.0.1:PORT"` (or `"[::1]:PORT"` for a proxy listening on `::1`).
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// Closes every current connection, both towards the client and towards the target; new connections are
    /// still accepted (unless [`set_refuse`](Self::set_refuse) is on).
    pub fn drop_connections(&self) {
        let conns: Vec<Conn> = self.shared.state().conns.drain().map(|(_, c)| c).collect();
        for c in conns {
            c.close();
        }
    }

    /// While on, nothing is forwarded in either direction, on current and new connections: new connections
    /// are accepted but not connected to the target until it is switched off. Bytes are not dropped, only
    /// held up, and neither side sees the other close.
    pub fn set_blackhole(&self, on: bool) {
        self.shared.blackhole.store(on, Ordering::SeqCst);
    }

    /// While on, new connections are accepted and reset at once (current ones are not touched).
    pub fn set_refuse(&self, on: bool) {
        self.shared.refuse.store(on, Ordering::SeqCst);
    }

    /// Forwards new connections to `target` from now on (current ones keep theirs).
    pub fn set_target(&self, target: SocketAddr) {
        self.shared.state().target = target;
    }

    /// The number of open client connections.
    pub fn connection_count(&self) -> usize {
        self.shared.state().conns.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the acceptor up.
        let _ = TcpStream::connect_timeout(&wake_addr(self.addr), Duration::from_secs(1));
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
        self.drop_connections();
    }
}

/// Where to connect to reach a listener bound to `addr` (an unspecified address means loopback).
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut a = addr;
    if a.ip().is_unspecified() {
        a.set_ip(if a.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    a
}

/// Makes closing `s` send a reset instead of a FIN.
fn set_linger_zero(s: &TcpStream) {
    let l = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket descriptor and a correctly sized `linger` value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.shutdown.load(Ordering::SeqCst) {
            return;
        }
        let client = match accepted {
            Ok((c, _)) => c,
            Err(_) => {
                std::thread::sleep(POLL);
                continue;
            }
        };
        if shared.refuse.load(Ordering::SeqCst) {
            set_linger_zero(&client);
            drop(client);
            continue;
        }
        let _ = client.set_nodelay(true);
        let Ok(registered) = client.try_clone() else { continue };
        let closed = Arc::new(AtomicBool::new(false));
        let (id, target) = {
            let mut st = shared.state();
            let id = st.next_id;
            st.next_id += 1;
            st.conns.insert(id, Conn { client: registered, upstream: None, closed: closed.clone() });
            (id, st.target)
        };
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("zkrs-proxy-conn-{id}"))
            .spawn(move || serve(s, id, client, target, closed));
        if spawned.is_err() {
            shared.close(id);
        }
    }
}

/// Connects one client to the target and pumps bytes both ways until either side closes.
fn serve(shared: Arc<Shared>, id: u64, client: TcpStream, target: SocketAddr, closed: Arc<AtomicBool>) {
    if !shared.wait_open(&closed) {
        return;
    }
    let upstream = match TcpStream::connect_timeout(&target, CONNECT_TIMEOUT) {
        Ok(u) => u,
        Err(_) => {
            set_linger_zero(&client);
            shared.close(id);
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (Ok(up_reader), Ok(client_writer)) = (upstream.try_clone(), client.try_clone()) else {
        shared.close(id);
        return;
    };
    {
        let mut st = shared.state();
        match st.conns.get_mut(&id) {
            Some(c) => c.upstream = upstream.try_clone().ok(),
            None => {
                // Dropped while connecting.
                let _ = upstream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
    let (s2, c2) = (shared.clone(), closed.clone());
    let back = std::thread::Builder::new().name(format!("zkrs-proxy-back-{id}")).spawn(move || {
        pump(&s2, up_reader, client_writer, &c2);
        s2.close(id);
    });
    if back.is_err() {
        shared.close(id);
        return;
    }
    pump(&shared, client, upstream, &closed);
    shared.close(id);
}

fn pump(shared: &Shared, mut from: TcpStream, mut to: TcpStream, closed: &AtomicBool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if !shared.wait_open(closed) {
            return;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        // A read that was under way when the black hole opened is held, not forwarded.
        if !shared.wait_open(closed) {
            return;
        }
        if to.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}
