//! The proxy against plain echo servers: forwarding, drop, black hole, refuse, retargeting.
mod common;

use common::eventually;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;
use zkrs_testserver::Proxy;

const WAIT: Duration = Duration::from_secs(5);

/// An echo server that prefixes every chunk it sends back with `tag`.
fn echo_server(tag: &'static [u8]) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let mut out = tag.to_vec();
                            out.extend_from_slice(&buf[..n]);
                            if c.write_all(&out).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

fn client(p: &Proxy) -> TcpStream {
    let c = TcpStream::connect(p.connect_string()).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    c
}

/// Sends `msg` and reads exactly `expect.len()` bytes back.
fn roundtrip(c: &mut TcpStream, msg: &[u8], expect: &[u8]) {
    c.write_all(msg).unwrap();
    read_exactly(c, expect);
}

fn read_exactly(c: &mut TcpStream, expect: &[u8]) {
    let mut got = vec![0u8; expect.len()];
    c.read_exact(&mut got).unwrap();
    assert_eq!(got, expect);
}

/// True if nothing arrives within `d`.
fn silent_for(c: &mut TcpStream, d: Duration) -> bool {
    c.set_read_timeout(Some(d)).unwrap();
    let mut b = [0u8; 16];
    let r = c.read(&mut b);
    c.set_read_timeout(Some(WAIT)).unwrap();
    matches!(r, Err(ref e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
}

/// True if the connection is closed (end of file or reset) within `WAIT`.
fn is_closed(c: &mut TcpStream) -> bool {
    let mut b = [0u8; 16];
    matches!(c.read(&mut b), Ok(0) | Err(_))
}

#[test]
fn forwards_and_counts() {
    let p = Proxy::start(echo_server(b"A:")).unwrap();
    assert_eq!(p.connect_string(), format!("127.0.0.1:{}", p.port()));
    let mut a = client(&p);
    let mut b = client(&p);
    roundtrip(&mut a, b"hello", b"A:hello");
    roundtrip(&mut b, b"world", b"A:world");
    assert_eq!(p.connection_count(), 2);
    drop(a);
    eventually("closed connection forgotten", WAIT, || p.connection_count() == 1);
    let big = vec![7u8; 1 << 20];
    let mut expect = Vec::new();
    b.write_all(&big).unwrap();
    // Echoed in chunks, each tagged: just count the payload bytes.
    let mut got = 0;
    let mut buf = vec![0u8; 65536];
    while got < big.len() {
        let n = b.read(&mut buf).unwrap();
        assert!(n > 0);
        got += buf[..n].iter().filter(|&&x| x == 7).count();
        expect.push(n);
    }
    assert_eq!(got, big.len());
}

#[test]
fn drop_connections_closes_both_sides_and_keeps_accepting() {
    let p = Proxy::start(echo_server(b"")).unwrap();
    let mut a = client(&p);
    let mut b = client(&p);
    roundtrip(&mut a, b"1", b"1");
    roundtrip(&mut b, b"2", b"2");
    p.drop_connections();
    assert!(is_closed(&mut a));
    assert!(is_closed(&mut b));
    assert_eq!(p.connection_count(), 0);
    let mut c = client(&p);
    roundtrip(&mut c, b"3", b"3");
    assert_eq!(p.connection_count(), 1);
}

#[test]
fn blackhole_holds_bytes_without_losing_them() {
    let p = Proxy::start(echo_server(b"")).unwrap();
    let mut a = client(&p);
    roundtrip(&mut a, b"before", b"before");
    p.set_blackhole(true);
    a.write_all(b"held").unwrap();
    assert!(silent_for(&mut a, Duration::from_millis(400)), "nothing is forwarded");
    // New connections are accepted but get nothing either.
    let mut b = client(&p);
    b.write_all(b"new").unwrap();
    assert!(silent_for(&mut b, Duration::from_millis(300)));
    assert_eq!(p.connection_count(), 2);
    // A black-holed connection can still be dropped.
    let mut c = client(&p);
    eventually("third connection registered", WAIT, || p.connection_count() == 3);
    p.set_blackhole(false);
    read_exactly(&mut a, b"held");
    read_exactly(&mut b, b"new");
    roundtrip(&mut a, b"after", b"after");
    roundtrip(&mut c, b"c", b"c");
    p.set_blackhole(true);
    p.drop_connections();
    assert!(is_closed(&mut c));
}

#[test]
fn refuse_resets_new_connections_only() {
    let p = Proxy::start(echo_server(b"")).unwrap();
    let mut old = client(&p);
    // connect() returns once the kernel has queued the connection; wait until the proxy has taken it.
    eventually("accepted", WAIT, || p.connection_count() == 1);
    p.set_refuse(true);
    for _ in 0..3 {
        // The reset may come before connect() even returns.
        if let Ok(mut c) = TcpStream::connect(p.connect_string()) {
            c.set_read_timeout(Some(WAIT)).unwrap();
            let _ = c.write_all(b"x");
            assert!(is_closed(&mut c), "refused");
        }
    }
    roundtrip(&mut old, b"still", b"still");
    assert_eq!(p.connection_count(), 1);
    p.set_refuse(false);
    let mut c = client(&p);
    roundtrip(&mut c, b"ok", b"ok");
}

#[test]
fn set_target_moves_new_connections() {
    let p = Proxy::start(echo_server(b"A:")).unwrap();
    let mut a = client(&p);
    roundtrip(&mut a, b"x", b"A:x");
    p.set_target(echo_server(b"B:"));
    let mut b = client(&p);
    roundtrip(&mut b, b"y", b"B:y");
    roundtrip(&mut a, b"z", b"A:z");
}

#[test]
fn unreachable_target_closes_the_client() {
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let p = Proxy::start(dead).unwrap();
    let mut c = client(&p);
    assert!(is_closed(&mut c));
    eventually("forgotten", WAIT, || p.connection_count() == 0);
}

#[test]
fn ipv6_loopback_listener() {
    let Ok(probe) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    drop(probe);
    let p = Proxy::start_on("[::1]:0".parse().unwrap(), echo_server(b"6:")).unwrap();
    assert_eq!(p.connect_string(), format!("[::1]:{}", p.port()));
    let mut c = client(&p);
    roundtrip(&mut c, b"v6", b"6:v6");
}

#[test]
fn drop_closes_everything() {
    let p = Proxy::start(echo_server(b"")).unwrap();
    let addr = p.connect_string();
    let mut a = client(&p);
    roundtrip(&mut a, b"1", b"1");
    drop(p);
    assert!(is_closed(&mut a));
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed");
}
