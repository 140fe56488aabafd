//! `request_timeout`: a request made while the client is disconnected waits for a connection that long
//! at most, then fails with ConnectionLoss; requests that make it onto a connection are not affected.
//! The servers are cut off by a proxy in front of the real test server.
mod common;

use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkrs::error::codes;
use zkrs::*;
use zkrs_testserver::Proxy;

/// Far below the session timeout, so that an expiry seen by a test is the request's, not the session's.
const SESSION: Duration = Duration::from_secs(10);

/// A client connected through a fresh proxy, with fast reconnects and `settings` on top.
fn client_behind_proxy(settings: &[(&str, &str)]) -> (Client, Proxy) {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = SESSION;
    cfg.set("retry.max_delay_ms", "100").unwrap();
    for (k, v) in settings {
        cfg.set(k, v).unwrap();
    }
    (connect_with(cfg), proxy)
}

/// The server becomes unreachable: the connection is cut and new ones are reset at once.
fn cut_off(zk: &Client, proxy: &Proxy) {
    proxy.set_refuse(true);
    proxy.drop_connections();
    eventually("the client saw the connection drop", || zk.state() == State::Connecting);
}

/// Runs a sync `exists("/")` on another thread; the result and how long it took, or a panic if it did
/// not return within `limit` (it must never block for good).
fn timed_sync_exists(zk: &Client, limit: Duration) -> (Result<Option<Stat>>, Duration) {
    let (tx, rx) = channel();
    let zk = zk.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        let r = zk.exists("/", None);
        let _ = tx.send((r, start.elapsed()));
    });
    rx.recv_timeout(limit).expect("the sync call is still blocked")
}

#[test]
fn a_sync_call_fails_with_connection_loss_after_request_timeout_while_servers_are_down() {
    let (zk, proxy) = client_behind_proxy(&[("request_timeout_ms", "1000")]);
    cut_off(&zk, &proxy);
    let (r, took) = timed_sync_exists(&zk, Duration::from_secs(20));
    let e = r.expect_err("no server, yet the call succeeded");
    assert_eq!(e.code(), codes::CONNECTION_LOSS, "{e}");
    assert!(took >= Duration::from_millis(1000), "failed after {took:?}, before the request timeout");
    assert!(took < Duration::from_secs(7), "failed only after {took:?}");
    // Still only waiting for a server: it comes back, the session with it.
    proxy.set_refuse(false);
    eventually("the client reconnected", || zk.state() == State::Connected);
    assert!(zk.exists("/", None).unwrap().is_some());
    zk.close().unwrap();
}

#[test]
fn an_async_callback_runs_once_with_connection_loss_while_connects_hang() {
    // A black hole: connection attempts are accepted and then hang until the connect timeout, the
    // expiry is checked between attempts.
    let (zk, proxy) = client_behind_proxy(&[("request_timeout_ms", "1000"), ("connect_timeout_ms", "300")]);
    proxy.set_blackhole(true);
    proxy.drop_connections();
    eventually("the client saw the connection drop", || zk.state() == State::Connecting);
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    let counted = calls.clone();
    let start = Instant::now();
    zk.exists_async("/", None, move |r| {
        counted.fetch_add(1, Ordering::SeqCst);
        let _ = tx.send((r.map(|_| ()), start.elapsed()));
    })
    .unwrap();
    let (r, took) = rx.recv_timeout(Duration::from_secs(20)).expect("the callback never ran");
    assert_eq!(r.unwrap_err().code(), codes::CONNECTION_LOSS);
    assert!(took >= Duration::from_millis(1000), "failed after {took:?}, before the request timeout");
    assert!(took < Duration::from_secs(7), "failed only after {took:?}");
    proxy.set_blackhole(false);
    eventually("the client reconnected", || zk.state() == State::Connected);
    zk.exists("/", None).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the callback ran more than once");
    zk.close().unwrap();
}

#[test]
fn expired_requests_fail_in_order_and_younger_ones_survive_the_reconnect() {
    let (zk, proxy) = client_behind_proxy(&[("request_timeout_ms", "3000")]);
    cut_off(&zk, &proxy);
    let order = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = channel();
    let submit = |i: usize| {
        let (order, tx) = (order.clone(), tx.clone());
        zk.exists_async("/", None, move |r| {
            order.lock().unwrap().push((i, r.as_ref().err().map(Error::code)));
            let _ = tx.send(());
        })
        .unwrap();
    };
    (0..3).for_each(submit);
    std::thread::sleep(Duration::from_millis(1500));
    (3..6).for_each(submit);
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(20)).expect("the old requests did not expire");
    }
    // The young ones have more than a second left: the server comes back in time for them.
    proxy.set_refuse(false);
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(20)).expect("the young requests never completed");
    }
    let loss = Some(codes::CONNECTION_LOSS);
    let want = vec![(0, loss), (1, loss), (2, loss), (3, None), (4, None), (5, None)];
    assert_eq!(*order.lock().unwrap(), want);
    zk.close().unwrap();
}

#[test]
fn with_request_timeout_zero_a_request_waits_out_the_outage() {
    let (zk, proxy) = client_behind_proxy(&[("request_timeout_ms", "0")]);
    cut_off(&zk, &proxy);
    let outage = Duration::from_millis(2000);
    let proxy = Arc::new(proxy);
    let p = proxy.clone();
    let restore = std::thread::spawn(move || {
        std::thread::sleep(outage);
        p.set_refuse(false);
    });
    let (r, took) = timed_sync_exists(&zk, Duration::from_secs(20));
    assert!(r.unwrap().is_some());
    assert!(took >= outage - Duration::from_millis(100), "answered after {took:?}, during the outage");
    restore.join().unwrap();
    zk.close().unwrap();
}

#[test]
fn by_default_a_request_outlives_an_outage_shorter_than_the_session_timeout() {
    let (zk, proxy) = client_behind_proxy(&[]);
    let session = zk.session_id();
    cut_off(&zk, &proxy);
    let proxy = Arc::new(proxy);
    let p = proxy.clone();
    let restore = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        p.set_refuse(false);
    });
    let (r, _) = timed_sync_exists(&zk, Duration::from_secs(20));
    assert!(r.unwrap().is_some());
    assert_eq!(zk.session_id(), session);
    restore.join().unwrap();
    zk.close().unwrap();
}
