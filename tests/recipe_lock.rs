//! Lock, ReadLock and WriteLock against a real server: kazoo's test_lock.py scenarios, then faults
//! (expired holder sessions, connections cut during acquire, many threads under dropped connections).
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkrs::recipe::lock::{Lock, LockKind};
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

const SHORT: Duration = Duration::from_millis(300);

fn proxied_client(proxy: &Proxy) -> Client {
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    connect_with(cfg)
}

fn new_proxy() -> Proxy {
    Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap()
}

/// Waits until the lock's contenders are `want` (their identifiers, in order).
fn contenders_become(lock: &Lock, want: &[&str]) {
    eventually(&format!("contenders {want:?}"), || lock.contenders().unwrap() == want);
}

#[test]
fn one_holder_is_the_only_contender() {
    let zk = connect();
    let path = unique("lock-one");
    let a = Lock::new(&zk, &path, "A").unwrap();
    assert!(a.acquire(true, None, true).unwrap());
    assert!(a.is_acquired());
    let node = a.node().unwrap();
    assert!(node.len() == 32 + "__lock__".len() + 10 && node[32..].starts_with("__lock__"), "{node}");
    let observer = Lock::new(&zk, &path, "B").unwrap();
    assert_eq!(observer.contenders().unwrap(), vec!["A"]);
    assert_eq!(zk.get_data(&format!("{path}/{node}"), None).unwrap().0, b"A");
    assert!(a.release().unwrap());
    assert!(!a.is_acquired());
    assert!(!a.release().unwrap(), "a second release has nothing to release");
    assert!(observer.contenders().unwrap().is_empty());
}

#[test]
fn waiters_get_the_lock_in_queue_order() {
    let zk = connect();
    let path = unique("lock-order");
    let holder = Lock::new(&zk, &path, "test").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    let (tx, rx) = channel();
    let mut threads = Vec::new();
    let mut expected = vec!["test".to_string()];
    for i in 0..5 {
        let name = format!("w{i}");
        let lock = Lock::new(&zk, &path, &name).unwrap();
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || {
            assert!(lock.acquire(true, Some(WAIT), true).unwrap());
            tx.send(lock.identifier().to_string()).unwrap();
            // Hold until the test has looked at the queue.
            std::thread::sleep(Duration::from_millis(50));
            assert!(lock.release().unwrap());
        }));
        // One at a time, so the queue order is known.
        expected.push(name);
        let want: Vec<&str> = expected.iter().map(String::as_str).collect();
        contenders_become(&holder, &want);
    }
    assert!(holder.release().unwrap());
    let got: Vec<String> = (0..5).map(|_| rx.recv_timeout(WAIT).unwrap()).collect();
    assert_eq!(got, expected[1..]);
    for t in threads {
        t.join().unwrap();
    }
    assert!(holder.contenders().unwrap().is_empty());
}

#[test]
fn non_blocking_acquire_of_a_held_lock_fails_and_leaves_no_contender() {
    let zk = connect();
    let path = unique("lock-nb");
    let a = Lock::new(&zk, &path, "a").unwrap();
    assert!(a.acquire(false, None, true).unwrap());
    let b = Lock::new(&zk, &path, "b").unwrap();
    assert!(!b.acquire(false, None, true).unwrap());
    assert!(!b.is_acquired());
    assert_eq!(zk.get_children(&path, None).unwrap().0.len(), 1);
    assert_eq!(b.contenders().unwrap(), vec!["a"]);
    a.release().unwrap();
    assert!(b.acquire(false, None, true).unwrap());
    b.release().unwrap();
}

#[test]
fn cancel_ends_a_blocked_acquire_and_removes_its_contender() {
    let zk = connect();
    let zk2 = connect();
    let path = unique("lock-cancel");
    let one = Lock::new(&zk, &path, "one").unwrap();
    assert!(one.acquire(true, None, true).unwrap());
    let two = Arc::new(Lock::new(&zk2, &path, "two").unwrap());
    let t2 = two.clone();
    let waiter = std::thread::spawn(move || t2.acquire(true, None, true));
    contenders_become(&one, &["one", "two"]);
    two.cancel();
    assert!(matches!(waiter.join().unwrap(), Err(Error::Cancelled(_))));
    assert!(!two.is_acquired());
    assert_eq!(one.contenders().unwrap(), vec!["one"]);
    // A cancel affects only the acquire in progress.
    one.release().unwrap();
    assert!(two.acquire(true, Some(WAIT), true).unwrap());
    two.release().unwrap();
}

#[test]
fn acquiring_a_held_lock_again_is_an_error_not_a_hang() {
    let zk = connect();
    let lock = Lock::new(&zk, &unique("lock-reentry"), "x").unwrap();
    assert!(lock.acquire(false, None, true).unwrap());
    let started = Instant::now();
    assert!(matches!(lock.acquire(true, None, true), Err(Error::BadArguments(_))));
    assert!(matches!(lock.acquire(false, None, true), Err(Error::BadArguments(_))));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(lock.is_acquired());
    assert!(lock.release().unwrap());
    assert!(!lock.is_acquired());
    // Re-acquire after release.
    assert!(lock.acquire(true, Some(WAIT), true).unwrap());
    assert!(lock.release().unwrap());
}

#[test]
fn of_many_non_blocking_attempts_exactly_one_wins() {
    let zk = connect();
    let path = unique("lock-many-nb");
    let locks: Vec<Arc<Lock>> = (0..20).map(|i| Arc::new(Lock::new(&zk, &path, &format!("{i}")).unwrap())).collect();
    let barrier = Arc::new(std::sync::Barrier::new(20));
    let threads: Vec<_> = locks
        .iter()
        .cloned()
        .map(|l| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                l.acquire(false, None, true).unwrap()
            })
        })
        .collect();
    let won = threads.into_iter().map(|t| t.join().unwrap()).filter(|w| *w).count();
    assert_eq!(won, 1);
    assert_eq!(zk.get_children(&path, None).unwrap().0.len(), 1, "losers leave no contender");
}

/// Counts holders: fails the test if two are ever inside at once.
#[derive(Default)]
struct Exclusion {
    inside: AtomicI32,
    max_seen: AtomicI32,
    entries: AtomicUsize,
}

impl Exclusion {
    fn enter(&self) {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_seen.fetch_max(now, Ordering::SeqCst);
        self.entries.fetch_add(1, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn many_threads_are_mutually_excluded() {
    let zk = connect();
    let path = unique("lock-many");
    let ex = Arc::new(Exclusion::default());
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let lock = Lock::new(&zk, &path, &format!("{i}")).unwrap();
            let ex = ex.clone();
            std::thread::spawn(move || {
                assert!(lock.acquire(true, Some(WAIT * 2), true).unwrap());
                ex.enter();
                std::thread::sleep(Duration::from_millis(2));
                ex.leave();
                assert!(lock.release().unwrap());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ex.entries.load(Ordering::SeqCst), 20);
    assert_eq!(ex.max_seen.load(Ordering::SeqCst), 1);
}

#[test]
fn a_persistent_contender_outlives_its_session() {
    let zk = connect();
    let path = unique("lock-persistent");
    let lock = Lock::new(&zk, &path, "p").unwrap();
    assert!(lock.acquire(true, None, false).unwrap());
    let node = format!("{path}/{}", lock.node().unwrap());
    zk.close().unwrap();
    let other = connect();
    assert!(other.exists(&node, None).unwrap().is_some(), "the contender survives the closed session");
    let blocked = Lock::new(&other, &path, "q").unwrap();
    assert!(!blocked.acquire(false, None, true).unwrap());
    other.delete(&node, -1).unwrap();
    assert!(blocked.acquire(false, None, true).unwrap());
    blocked.release().unwrap();
}

#[test]
fn a_timed_out_acquire_fails_in_time_and_leaves_no_contender() {
    let zk = connect();
    let path = unique("lock-timeout");
    let holder = Lock::new(&zk, &path, "holder").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    let waiter = Lock::new(&zk, &path, "waiter").unwrap();
    let started = Instant::now();
    assert!(matches!(waiter.acquire(true, Some(SHORT), true), Err(Error::Timeout(_))));
    let took = started.elapsed();
    assert!(took >= SHORT && took < SHORT + Duration::from_secs(3), "{took:?}");
    assert_eq!(holder.contenders().unwrap(), vec!["holder"]);
    holder.release().unwrap();
}

#[test]
fn readers_share_and_writers_exclude() {
    let zk = connect();
    let path = unique("lock-rw");
    let r1 = Lock::read_lock(&zk, &path, "r1").unwrap();
    let r2 = Lock::read_lock(&zk, &path, "r2").unwrap();
    assert!(r1.acquire(false, None, true).unwrap());
    assert!(r2.acquire(false, None, true).unwrap());
    assert!(r1.node().unwrap().contains("__rlock__"));
    assert!(matches!(r1.acquire(false, None, true), Err(Error::BadArguments(_))), "not re-entrant");
    let w = Lock::write_lock(&zk, &path, "w").unwrap();
    assert!(!w.acquire(false, None, true).unwrap());
    // An exclusive Lock is not blocked by readers (kazoo: it looks at __lock__ nodes only).
    let plain = Lock::new(&zk, &path, "plain").unwrap();
    assert!(plain.acquire(false, None, true).unwrap());
    plain.release().unwrap();
    r1.release().unwrap();
    r2.release().unwrap();
    assert!(w.acquire(false, None, true).unwrap());
    let r3 = Lock::read_lock(&zk, &path, "r3").unwrap();
    assert!(!r3.acquire(false, None, true).unwrap());
    w.release().unwrap();
    assert!(zk.get_children(&path, None).unwrap().0.is_empty());
}

#[test]
fn a_queued_reader_and_writer_acquire_in_order() {
    let zk = connect();
    let path = unique("lock-rw-order");
    let w1 = Lock::write_lock(&zk, &path, "w1").unwrap();
    assert!(w1.acquire(true, None, true).unwrap());
    let (tx, rx) = channel();
    let spawn = |lock: Lock, tx: std::sync::mpsc::Sender<String>| {
        std::thread::spawn(move || {
            assert!(lock.acquire(true, Some(WAIT), true).unwrap());
            tx.send(lock.identifier().to_string()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            lock.release().unwrap();
        })
    };
    let reader = spawn(Lock::read_lock(&zk, &path, "reader").unwrap(), tx.clone());
    contenders_become(&w1, &["w1", "reader"]);
    let writer = spawn(Lock::write_lock(&zk, &path, "writer").unwrap(), tx);
    contenders_become(&w1, &["w1", "reader", "writer"]);
    w1.release().unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "reader");
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "writer");
    reader.join().unwrap();
    writer.join().unwrap();
}

#[test]
fn foreign_children_are_ignored_and_extra_patterns_are_honoured() {
    let zk = connect();
    let path = unique("lock-foreign");
    zk.ensure_path(&path).unwrap();
    zk.create(&format!("{path}/unrelated"), b"", &CreateOptions::default()).unwrap();
    let curator = zk
        .create(&format!("{path}/_c_5d2e-lock-"), b"curator", &CreateOptions::mode(CreateMode::EphemeralSequential))
        .unwrap()
        .path;
    let plain = Lock::new(&zk, &path, "plain").unwrap();
    assert!(plain.acquire(false, None, true).unwrap(), "neither child is a kazoo contender");
    assert_eq!(plain.contenders().unwrap(), vec!["plain"]);
    plain.release().unwrap();
    let aware = Lock::with_options(&zk, &path, "aware", LockKind::Exclusive, &["-lock-"]).unwrap();
    assert_eq!(aware.contenders().unwrap(), vec!["curator"]);
    assert!(!aware.acquire(false, None, true).unwrap(), "the Curator contender came first");
    zk.delete(&curator, -1).unwrap();
    assert!(aware.acquire(false, None, true).unwrap());
    aware.release().unwrap();
    assert!(Lock::with_options(&zk, &path, "x", LockKind::Exclusive, &[""]).is_err());
}

#[test]
fn a_deleted_lock_node_is_created_again() {
    let zk = connect();
    let path = unique("lock-parent");
    let lock = Lock::new(&zk, &path, "x").unwrap();
    assert!(lock.acquire(true, None, true).unwrap());
    lock.release().unwrap();
    zk.delete(&path, -1).unwrap();
    assert!(lock.acquire(true, Some(WAIT), true).unwrap());
    lock.release().unwrap();
    assert!(matches!(Lock::new(&zk, "no-slash", "x"), Err(Error::InvalidPath { .. })));
}

#[test]
fn the_holder_is_told_when_its_node_is_deleted() {
    let zk = connect();
    let path = unique("lock-stolen");
    let lock = Lock::new(&zk, &path, "x").unwrap();
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    lock.set_lost_listener(Some(Arc::new(move || tx.lock().unwrap().send(()).unwrap())));
    assert!(lock.acquire(true, None, true).unwrap());
    zk.delete(&format!("{path}/{}", lock.node().unwrap()), -1).unwrap();
    rx.recv_timeout(WAIT).unwrap();
    assert!(!lock.is_acquired());
    assert!(!lock.release().unwrap(), "the lock was lost before the release");
    assert!(rx.try_recv().is_err(), "told once");
}

#[test]
fn an_expired_holder_loses_the_lock_to_the_waiter_and_is_told() {
    let proxy = new_proxy();
    let holder_zk = proxied_client(&proxy);
    let zk = connect();
    let path = unique("lock-expire");
    let holder = Lock::new(&holder_zk, &path, "holder").unwrap();
    let lost = Arc::new(AtomicBool::new(false));
    let l = lost.clone();
    holder.set_lost_listener(Some(Arc::new(move || l.store(true, Ordering::SeqCst))));
    assert!(holder.acquire(true, None, true).unwrap());
    let waiter = Arc::new(Lock::new(&zk, &path, "waiter").unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, Some(WAIT), true));
    contenders_become(&holder, &["holder", "waiter"]);
    // Cut the holder off and expire its session on the server.
    proxy.set_refuse(true);
    proxy.drop_connections();
    let (id, password) = holder_zk.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    assert!(waiting.join().unwrap().unwrap(), "the waiter takes over");
    assert!(waiter.is_acquired());
    proxy.set_refuse(false);
    eventually("the old holder is told", || lost.load(Ordering::SeqCst));
    assert!(!holder.is_acquired());
    assert!(!holder.release().unwrap());
    assert_eq!(waiter.contenders().unwrap(), vec!["waiter"]);
    waiter.release().unwrap();
}

#[test]
fn an_acquire_whose_session_expires_fails_and_leaves_nothing() {
    let proxy = new_proxy();
    let waiter_zk = proxied_client(&proxy);
    let zk = connect();
    let path = unique("lock-expire-waiter");
    let holder = Lock::new(&zk, &path, "holder").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    let waiter = Arc::new(Lock::new(&waiter_zk, &path, "waiter").unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, None, true));
    contenders_become(&holder, &["holder", "waiter"]);
    proxy.set_refuse(true);
    proxy.drop_connections();
    let (id, password) = waiter_zk.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    proxy.set_refuse(false);
    assert_eq!(waiting.join().unwrap(), Err(Error::SessionExpired));
    assert_eq!(holder.contenders().unwrap(), vec!["holder"]);
    holder.release().unwrap();
}

#[test]
fn close_ends_a_blocked_acquire() {
    let zk = connect();
    let other = connect();
    let path = unique("lock-close");
    let holder = Lock::new(&zk, &path, "holder").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    let waiter = Arc::new(Lock::new(&other, &path, "waiter").unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, None, true));
    contenders_become(&holder, &["holder", "waiter"]);
    other.close().unwrap();
    assert!(matches!(waiting.join().unwrap(), Err(Error::Closed | Error::Closing)));
    contenders_become(&holder, &["holder"]);
    holder.release().unwrap();
}

#[test]
fn a_connection_cut_during_acquire_leaves_no_orphan_and_no_second_holder() {
    let proxy = new_proxy();
    let waiter_zk = proxied_client(&proxy);
    let zk = connect();
    let path = unique("lock-cut");
    let holder = Lock::new(&zk, &path, "holder").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    // A timed acquire while the server is unreachable returns in time.
    proxy.set_refuse(true);
    proxy.drop_connections();
    let waiter = Arc::new(Lock::new(&waiter_zk, &path, "waiter").unwrap());
    let started = Instant::now();
    assert!(matches!(waiter.acquire(true, Some(SHORT), true), Err(Error::Timeout(_))));
    assert!(started.elapsed() < SHORT + Duration::from_secs(2));
    proxy.set_refuse(false);
    // Cut again and again while the waiter waits and creates.
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, Some(WAIT * 2), true));
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(60));
        proxy.drop_connections();
        let names = zk.get_children(&path, None).unwrap().0;
        assert!(names.len() <= 2, "never more than one contender per lock object: {names:?}");
    }
    contenders_become(&holder, &["holder", "waiter"]);
    assert!(!waiting.is_finished());
    holder.release().unwrap();
    assert!(waiting.join().unwrap().unwrap());
    assert_eq!(holder.contenders().unwrap(), vec!["waiter"]);
    // A timed-out attempt during a cut removes its contender once the connection is back.
    let late = Lock::new(&waiter_zk, &path, "late").unwrap();
    let late_thread = std::thread::spawn(move || late.acquire(true, Some(Duration::from_millis(1500)), true));
    contenders_become(&holder, &["waiter", "late"]);
    proxy.set_refuse(true);
    proxy.drop_connections();
    assert!(matches!(late_thread.join().unwrap(), Err(Error::Timeout(_))));
    proxy.set_refuse(false);
    contenders_become(&holder, &["waiter"]);
    waiter.release().unwrap();
}

#[test]
fn twenty_threads_in_four_clients_never_share_the_lock_while_connections_drop() {
    let proxies: Vec<Proxy> = (0..4).map(|_| new_proxy()).collect();
    let clients: Vec<Client> = proxies.iter().map(proxied_client).collect();
    let path = unique("lock-hammer");
    let ex = Arc::new(Exclusion::default());
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let lock = Lock::new(&clients[i % 4], &path, &format!("t{i}")).unwrap();
            let ex = ex.clone();
            std::thread::spawn(move || {
                let mut acquired = 0;
                for _ in 0..6 {
                    match lock.acquire(true, Some(WAIT * 2), true) {
                        Ok(true) => {
                            ex.enter();
                            std::thread::sleep(Duration::from_millis(3));
                            ex.leave();
                            lock.release().unwrap();
                            acquired += 1;
                        }
                        Ok(false) => panic!("a blocking acquire returned false"),
                        // Connection loss surfaces as a retried step, never as an error here; only
                        // timeouts under heavy cutting are acceptable.
                        Err(Error::Timeout(_)) => {}
                        Err(e) => panic!("unexpected error {e}"),
                    }
                }
                acquired
            })
        })
        .collect();
    let s = stop.clone();
    let cutter = std::thread::spawn(move || {
        let mut n = 0;
        while !s.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(150));
            proxies[n % 4].drop_connections();
            n += 1;
        }
        proxies
    });
    let acquired: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    stop.store(true, Ordering::SeqCst);
    let _proxies = cutter.join().unwrap();
    assert_eq!(ex.max_seen.load(Ordering::SeqCst), 1, "two holders at once");
    assert!(acquired >= 60, "only {acquired} of 120 acquires succeeded");
    let admin = connect();
    eventually("no contender left", || admin.get_children(&path, None).unwrap().0.is_empty());
}

#[test]
fn dropping_a_held_lock_releases_it_persistent_contenders_too() {
    let zk = connect();
    let path = unique("lock-drop");
    let waiter = Lock::new(&zk, &path, "waiter").unwrap();
    for ephemeral in [true, false] {
        let lock = Lock::new(&zk, &path, "dropped").unwrap();
        assert!(lock.acquire(true, None, ephemeral).unwrap());
        drop(lock);
        assert!(waiter.acquire(true, Some(WAIT), true).unwrap(), "ephemeral={ephemeral}");
        waiter.release().unwrap();
    }
    assert!(zk.get_children(&path, None).unwrap().0.is_empty());
}

#[test]
fn in_poll_mode_a_waiter_is_served_by_a_dispatching_thread_and_callbacks_cannot_block_on_it() {
    let mut cfg = Config::new(&hosts());
    cfg.dispatch = DispatchMode::Poll;
    let polled = connect_with(cfg);
    let zk = connect();
    let path = unique("lock-poll");
    let stop = Arc::new(AtomicBool::new(false));
    let (p, s) = (polled.clone(), stop.clone());
    let dispatcher = std::thread::spawn(move || {
        while !s.load(Ordering::SeqCst) {
            let _ = p.dispatch(Duration::from_millis(20));
        }
    });
    let holder = Lock::new(&zk, &path, "holder").unwrap();
    assert!(holder.acquire(true, None, true).unwrap());
    let waiter = Arc::new(Lock::new(&polled, &path, "waiter").unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, Some(WAIT), true));
    contenders_become(&holder, &["holder", "waiter"]);
    holder.release().unwrap();
    assert!(waiting.join().unwrap().unwrap());
    waiter.release().unwrap();

    // A blocking acquire inside a callback of its own client is refused, not a hang.
    let (tx, rx) = channel();
    let inner = Lock::new(&polled, &path, "inner").unwrap();
    polled
        .exists_async(&path, None, move |_| {
            let r = inner.acquire(true, Some(WAIT), true);
            tx.send(r).unwrap();
        })
        .unwrap();
    assert!(matches!(rx.recv_timeout(WAIT).unwrap(), Err(Error::WouldDeadlock(_))));
    stop.store(true, Ordering::SeqCst);
    dispatcher.join().unwrap();
}
