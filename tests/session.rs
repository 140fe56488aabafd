//! Connection loss, reconnection, session expiry, queues, close and dispatch — all for real: connections
//! are cut by a TCP proxy and sessions expired on the server.
mod common;

use common::*;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zkrs::error::codes;
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

struct Proxied {
    proxy: Proxy,
    zk: Client,
    root: String,
}

/// A client that talks to the shared server through a proxy, chrooted to a fresh node.
fn proxied(name: &str, configure: impl FnOnce(&mut Config)) -> Proxied {
    let root = unique(name);
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = Duration::from_secs(6);
    configure(&mut cfg);
    let zk = connect_with(cfg);
    Proxied { proxy, zk, root }
}

fn cut(p: &Proxied) {
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    eventually("client notices the cut", || p.zk.state() == State::Connecting);
}

fn heal(p: &Proxied) {
    p.proxy.set_refuse(false);
    eventually("client reconnected", || p.zk.state() == State::Connected);
}

#[test]
fn requests_queued_while_disconnected_complete_after_reconnect() {
    let p = proxied("queued", |_| {});
    let zk = &p.zk;
    zk.create("/n", b"v", &CreateOptions::default()).unwrap();
    let session = zk.session_id();
    cut(&p);
    assert_eq!(zk.kazoo_state(), KazooState::Suspended);
    let (tx, rx) = channel();
    for i in 0..20 {
        let tx = tx.clone();
        zk.set_data_async("/n", format!("{i}").as_bytes(), -1, move |r| tx.send((i, r.map(|s| s.version))).unwrap())
            .unwrap();
    }
    let zk2 = zk.clone();
    let sync_call = std::thread::spawn(move || zk2.get_data("/n", None).map(|(d, _)| d));
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "nothing can complete while the connection is down");
    heal(&p);
    for i in 0..20 {
        let (n, version) = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(n, i);
        assert_eq!(version.unwrap(), i + 1);
    }
    assert!(sync_call.join().unwrap().is_ok());
    assert_eq!(zk.session_id(), session, "the same session was re-attached");
    zk.close().unwrap();
}

#[test]
fn ephemerals_and_watches_survive_a_reconnect_and_missed_events_fire() {
    let p = proxied("survive", |_| {});
    let zk = &p.zk;
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    zk.create("/w", b"", &CreateOptions::default()).unwrap();
    let (w, rx) = watcher();
    zk.get_data("/w", Some(w)).unwrap();
    let (ptx, prx) = channel();
    zk.add_watch("/", AddWatchMode::PersistentRecursive, move |e| drop(ptx.send(e))).unwrap();
    let states = record_states(zk);
    cut(&p);
    let admin = connect();
    admin.set_data(&format!("{}/w", p.root), b"changed while away", -1).unwrap();
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    heal(&p);
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        WatchedEvent { event_type: EventType::NodeDataChanged, path: "/w".into() }
    );
    assert_eq!(
        prx.recv_timeout(WAIT).unwrap(),
        WatchedEvent { event_type: EventType::NodeDataChanged, path: "/w".into() }
    );
    // The persistent watch is still armed after the reconnect.
    admin.create(&format!("{}/after", p.root), b"", &CreateOptions::default()).unwrap();
    assert_eq!(
        prx.recv_timeout(WAIT).unwrap(),
        WatchedEvent { event_type: EventType::NodeCreated, path: "/after".into() }
    );
    assert!(admin.exists(&format!("{}/e", p.root), None).unwrap().is_some());
    eventually("listener saw SUSPENDED then CONNECTED", || states.lock().unwrap().len() >= 2);
    let kazoo: Vec<_> = states.lock().unwrap().iter().filter(|e| e.kazoo_changed()).map(|e| e.kazoo_state).collect();
    assert_eq!(kazoo, vec![KazooState::Suspended, KazooState::Connected]);
    admin.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn session_expiry_fails_pending_requests_notifies_and_starts_a_new_session() {
    let p = proxied("expiry", |_| {});
    let zk = &p.zk;
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    let (w, watch_rx) = watcher();
    zk.get_data("/e", Some(w)).unwrap();
    let states = record_states(zk);
    let (old_id, password) = zk.client_id();
    cut(&p);
    let (tx, rx) = channel();
    for _ in 0..5 {
        let tx = tx.clone();
        zk.get_data_async("/e", None, move |r| tx.send(r.map(|_| ())).unwrap()).unwrap();
    }
    expire_session(&server().connect_string(), old_id, &password).unwrap();
    p.proxy.set_refuse(false);
    for _ in 0..5 {
        assert_eq!(rx.recv_timeout(WAIT).unwrap().unwrap_err(), Error::SessionExpired);
    }
    assert_eq!(watch_rx.recv_timeout(WAIT).unwrap().event_type, EventType::SessionExpired);
    eventually("a new session", || zk.state() == State::Connected);
    assert_ne!(zk.session_id(), old_id);
    assert!(zk.exists("/e", None).unwrap().is_none(), "the old session's ephemeral is gone");
    eventually("all transitions seen", || states.lock().unwrap().iter().filter(|e| e.kazoo_changed()).count() >= 3);
    let kazoo: Vec<_> = states
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.kazoo_changed())
        .map(|e| (e.previous_kazoo_state, e.kazoo_state))
        .collect();
    assert_eq!(
        kazoo,
        vec![
            (KazooState::Connected, KazooState::Suspended),
            (KazooState::Suspended, KazooState::Lost),
            (KazooState::Lost, KazooState::Connected)
        ]
    );
    assert!(states.lock().unwrap().iter().any(|e| e.state == State::Expired));
    zk.close().unwrap();
}

#[test]
fn a_full_queue_fails_fast() {
    let p = proxied("qfull", |c| c.max_queued_requests = 3);
    let zk = &p.zk;
    cut(&p);
    for _ in 0..3 {
        zk.exists_async("/", None, |_| {}).unwrap();
    }
    assert_eq!(zk.exists_async("/", None, |_| {}).unwrap_err().code(), codes::QUEUE_FULL);
    heal(&p);
    zk.close().unwrap();
}

#[test]
fn a_session_can_be_resumed_from_its_client_id() {
    let zk = chrooted("resume");
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    let (id, pw) = zk.client_id();
    let mut cfg = Config::new(&format!("{}{}", hosts(), zk.chroot()));
    cfg.client_id = Some((id, pw));
    let again = connect_with(cfg);
    assert_eq!(again.session_id(), id);
    assert_eq!(again.get_ephemerals("/").unwrap(), vec!["/e".to_string()]);
    again.close().unwrap();
    // Closing the resumed session closed the session for both.
    drop(zk);
}

#[test]
fn set_hosts_moves_the_next_connection() {
    let p = proxied("sethosts", |_| {});
    let zk = &p.zk;
    let other = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    zk.set_hosts(&format!("{}{}", other.connect_string(), p.root)).unwrap();
    assert_eq!(zk.set_hosts(&other.connect_string()).unwrap_err().code(), codes::BAD_ARGUMENTS);
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    eventually("reconnected through the new host", || {
        zk.state() == State::Connected && zk.current_server() == Some(other.connect_string())
    });
    zk.exists("/", None).unwrap();
    zk.close().unwrap();
}

#[test]
fn close_completes_every_pending_callback_exactly_once() {
    let p = proxied("closepending", |_| {});
    let zk = p.zk.clone();
    cut(&p);
    let calls = Arc::new(Mutex::new(Vec::new()));
    for i in 0..50 {
        let c = calls.clone();
        zk.exists_async("/", None, move |r| c.lock().unwrap().push((i, r.err().map(|e| e.code())))).unwrap();
    }
    zk.close().unwrap();
    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 50);
    assert!(calls.iter().enumerate().all(|(i, (n, code))| *n == i && *code == Some(codes::CLOSING)));
}

#[test]
fn close_from_inside_a_callback() {
    let zk = chrooted("closecb");
    let (tx, rx) = channel();
    let zk2 = zk.clone();
    let later = Arc::new(Mutex::new(0));
    let l = later.clone();
    zk.exists_async("/", None, move |_| {
        tx.send(zk2.close()).unwrap();
    })
    .unwrap();
    // Queued behind the closing callback: still answered exactly once before close returned.
    zk.exists_async("/", None, move |_| *l.lock().unwrap() += 1).unwrap();
    assert!(rx.recv_timeout(WAIT).unwrap().is_ok());
    assert_eq!(*later.lock().unwrap(), 1);
    assert_eq!(zk.state(), State::Closed);
}

#[test]
fn poll_dispatch_runs_callbacks_on_the_callers_thread() {
    let mut cfg = Config::new(&hosts());
    cfg.dispatch = DispatchMode::Poll;
    let zk = Client::new(cfg).unwrap();
    zk.start(WAIT).unwrap();
    let fd = zk.event_fd().expect("an eventfd in poll mode");
    let ran_on = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..3 {
        let r = ran_on.clone();
        zk.exists_async("/", None, move |_| r.lock().unwrap().push(std::thread::current().id())).unwrap();
    }
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let n = unsafe { libc::poll(&mut pfd, 1, 10_000) };
    assert_eq!(n, 1, "the eventfd became readable");
    std::thread::sleep(Duration::from_millis(100));
    assert!(ran_on.lock().unwrap().is_empty(), "nothing runs outside dispatch");
    let mut served = 0;
    while served < 3 {
        served += zk.dispatch(WAIT).unwrap();
    }
    let me = std::thread::current().id();
    assert!(ran_on.lock().unwrap().iter().all(|t| *t == me));
    assert_eq!(ran_on.lock().unwrap().len(), 3);
    zk.close().unwrap();
    assert_eq!(zk.dispatch(Duration::ZERO).unwrap_err(), Error::Closed);
}

#[test]
fn state_listeners_see_the_first_connection_and_close() {
    let zk = Client::new(Config::new(&hosts())).unwrap();
    let states = record_states(&zk);
    zk.start(WAIT).unwrap();
    zk.close().unwrap();
    let seen: Vec<_> = states.lock().unwrap().iter().map(|e| (e.state, e.kazoo_state)).collect();
    assert_eq!(seen, vec![(State::Connected, KazooState::Connected), (State::Closed, KazooState::Lost)]);
}

/// Runs poll-mode callbacks until `done` holds (or `WAIT` passes).
fn dispatch_until(zk: &Client, what: &str, done: impl Fn() -> bool) {
    eventually(what, || {
        zk.dispatch(Duration::from_millis(20)).unwrap();
        done()
    });
}

#[test]
fn a_listener_added_after_start_hears_only_later_changes() {
    // Poll mode keeps the CONNECTED of start queued until `dispatch`, so a late listener is
    // registered while that event still waits: exactly the case where it must not be called.
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    cfg.dispatch = DispatchMode::Poll;
    let zk = Client::new(cfg).unwrap();
    let early = record_states(&zk);
    zk.start(WAIT).unwrap();
    let late = record_states(&zk);
    dispatch_until(&zk, "the CONNECTED of start is dispatched", || !early.lock().unwrap().is_empty());
    while zk.dispatch(Duration::from_millis(100)).unwrap() > 0 {}
    let kazoo = |s: &Arc<Mutex<Vec<StateEvent>>>| -> Vec<_> {
        s.lock().unwrap().iter().map(|e| (e.kazoo_state, e.previous_kazoo_state)).collect()
    };
    assert_eq!(kazoo(&early), vec![(KazooState::Connected, KazooState::Lost)]);
    assert_eq!(kazoo(&late), vec![], "a listener added after start is not told of that start");

    let p = Proxied { proxy, zk, root: String::new() };
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    dispatch_until(&p.zk, "the late listener hears of the cut", || !late.lock().unwrap().is_empty());
    heal(&p);
    dispatch_until(&p.zk, "the late listener hears of the reconnect", || late.lock().unwrap().len() >= 2);
    let expected = vec![(KazooState::Suspended, KazooState::Connected), (KazooState::Connected, KazooState::Suspended)];
    assert_eq!(kazoo(&late), expected);
    assert_eq!(kazoo(&early)[1..], expected[..]);
    p.zk.close().unwrap();
}

#[test]
fn start_times_out_without_a_server_and_keeps_trying() {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    proxy.set_refuse(true);
    let zk = Client::new(Config::new(&proxy.connect_string())).unwrap();
    assert_eq!(zk.start(Duration::from_millis(500)).unwrap_err().code(), codes::TIMEOUT);
    proxy.set_refuse(false);
    zk.start(WAIT).unwrap();
    zk.close().unwrap();
}

#[test]
fn requests_made_before_start_are_sent_after_it_or_answered_by_close() {
    let zk = Client::new(Config::new(&hosts())).unwrap();
    let (tx, rx) = channel();
    zk.exists_async("/", None, move |r| tx.send(r.map(|s| s.is_some())).unwrap()).unwrap();
    zk.start(WAIT).unwrap();
    assert!(rx.recv_timeout(WAIT).unwrap().unwrap());
    zk.close().unwrap();

    let zk = Client::new(Config::new(&hosts())).unwrap();
    let (tx, rx) = channel();
    zk.exists_async("/", None, move |r| tx.send(r).unwrap()).unwrap();
    zk.close().unwrap();
    assert_eq!(rx.try_recv().unwrap().unwrap_err(), Error::Closing);
}

#[test]
fn pings_keep_an_idle_session_alive() {
    let p = proxied("idle", |c| c.session_timeout = Duration::from_millis(2000));
    let states = record_states(&p.zk);
    let session = p.zk.session_id();
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(p.zk.state(), State::Connected);
    assert_eq!(p.zk.session_id(), session);
    let seen = states.lock().unwrap().clone();
    assert!(seen.iter().all(|e| e.state == State::Connected), "the connection dropped while idle: {seen:?}");
    p.zk.close().unwrap();
}

#[test]
fn a_silent_connection_is_declared_dead_and_replaced() {
    let p = proxied("silent", |c| c.session_timeout = Duration::from_millis(3000));
    let zk = &p.zk;
    let negotiated = zk.negotiated_timeout_ms() as u64;
    p.proxy.set_blackhole(true);
    let cut_at = std::time::Instant::now();
    eventually("the silent connection is dropped", || zk.state() == State::Connecting);
    let noticed = cut_at.elapsed();
    assert!(noticed >= Duration::from_millis(negotiated / 3), "dropped too early: {noticed:?}");
    assert!(noticed <= Duration::from_millis(negotiated + 1000), "dropped too late: {noticed:?}");
    p.proxy.set_blackhole(false);
    p.proxy.drop_connections();
    eventually("connected again", || zk.state() == State::Connected);
    zk.exists("/", None).unwrap();
    zk.close().unwrap();
}

#[test]
fn then_after_close_is_refused_and_never_runs() {
    let zk = connect();
    let f = zk.future(|cb| zk.exists_async("/", None, cb)).unwrap();
    f.wait(WAIT).unwrap();
    zk.close().unwrap();
    let ran = Arc::new(Mutex::new(false));
    let r = ran.clone();
    assert_eq!(f.then(move |_| *r.lock().unwrap() = true).unwrap_err().code(), codes::CLOSED);
    std::thread::sleep(Duration::from_millis(100));
    assert!(!*ran.lock().unwrap(), "a callback ran after close returned");
}

/// Sync calls written by their own threads (while the I/O thread is idle) and async pipelines written
/// by the I/O thread share one socket: every reply reaches its caller, in each thread's order.
#[test]
fn sync_calls_from_many_threads_mixed_with_a_pipeline_keep_their_order() {
    let zk = Arc::new(chrooted("mixed-sync"));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let zk = zk.clone();
            std::thread::spawn(move || {
                let path = format!("/t{t}");
                zk.create(&path, b"0", &CreateOptions::default()).unwrap();
                let (tx, rx) = channel();
                for i in 1..=200u32 {
                    // an async write the I/O thread sends, then a sync read of it this thread may send
                    let tx = tx.clone();
                    zk.set_data_async(&path, i.to_string().as_bytes(), -1, move |r| tx.send(r.is_ok()).unwrap())
                        .unwrap();
                    let (data, _) = zk.get_data(&path, None).unwrap();
                    assert_eq!(data, i.to_string().into_bytes(), "thread {t} read its own write {i}");
                    zk.set_data(&path, b"sync", -1).unwrap();
                }
                drop(tx);
                assert!(rx.iter().take(200).all(|ok| ok));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Sync callers that were writing to the socket themselves when it is cut get CONNECTION_LOSS (or
/// succeed), never a hang, and the session carries on after the reconnection.
#[test]
fn sync_calls_across_a_cut_fail_or_succeed_and_the_session_goes_on() {
    let p = proxied("sync-cut", |_| {});
    p.zk.create("/n", b"x", &CreateOptions::default()).unwrap();
    let zk = p.zk.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let reader = std::thread::spawn(move || {
        let mut ok = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            match zk.get_data("/n", None) {
                Ok((d, _)) => {
                    assert_eq!(d, b"x");
                    ok += 1;
                }
                Err(Error::ConnectionLoss(_)) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        ok
    });
    eventually("reads going on", || p.zk.get_data("/n", None).is_ok());
    cut(&p);
    heal(&p);
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(p.zk.get_data("/n", None).unwrap().0, b"x");
}
