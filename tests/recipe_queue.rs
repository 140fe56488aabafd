//! Queue and LockingQueue against a real server: kazoo's test_queue.py scenarios, plus what kazoo does
//! not do (a blocked get ended by close and by session loss, watches that do not pile up, the znode
//! layout kazoo expects).
mod common;

use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkrs::recipe::queue::{LockingQueue, Queue, DEFAULT_PRIORITY};
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

const P: u32 = DEFAULT_PRIORITY;
const SHORT: Option<Duration> = Some(Duration::from_millis(100));
const LONG: Option<Duration> = Some(Duration::from_secs(10));

fn got(v: &[u8]) -> Option<Vec<u8>> {
    Some(v.to_vec())
}

// ---- Queue ----------------------------------------------------------------------------------------

#[test]
fn queue_refuses_a_priority_beyond_three_digits() {
    let zk = connect();
    let q = Queue::new(&zk, &unique("q-valid")).unwrap();
    assert!(matches!(q.put(b"one", 1000), Err(Error::BadArguments(_))));
    assert!(matches!(q.put(b"one", 100000), Err(Error::BadArguments(_))));
    assert!(matches!(q.put_all(&[b"one"], 1000), Err(Error::BadArguments(_))));
    assert!(matches!(Queue::new(&zk, "no-slash"), Err(Error::InvalidPath { .. })));
    assert_eq!(q.len().unwrap(), 0, "nothing was put");
    zk.close().unwrap();
}

#[test]
fn queue_empty() {
    let zk = connect();
    let q = Queue::new(&zk, &unique("q-empty")).unwrap();
    assert_eq!(q.len().unwrap(), 0);
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), None);
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn queue_serves_in_insertion_order() {
    let zk = connect();
    let q = Queue::new(&zk, &unique("q-fifo")).unwrap();
    q.put(b"one", P).unwrap();
    q.put(b"two", P).unwrap();
    q.put(b"three", P).unwrap();
    assert_eq!(q.len().unwrap(), 3);
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"one"));
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"two"));
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"three"));
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn queue_serves_by_priority() {
    let zk = connect();
    let q = Queue::new(&zk, &unique("q-prio")).unwrap();
    q.put(b"four", 101).unwrap();
    q.put(b"one", 0).unwrap();
    q.put(b"two", 0).unwrap();
    q.put(b"three", 10).unwrap();
    for want in ["one", "two", "three", "four"] {
        assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(want.as_bytes()));
    }
    zk.close().unwrap();
}

#[test]
fn queue_nodes_are_named_like_kazoo() {
    let zk = connect();
    let path = unique("q-layout");
    let q = Queue::new(&zk, &path).unwrap();
    q.put(b"a", 7).unwrap();
    q.put_all(&[b"b".as_slice(), b"c"], 999).unwrap();
    let (mut children, _) = zk.get_children(&path, None).unwrap();
    children.sort();
    assert_eq!(children.len(), 3);
    assert!(children[0].starts_with("entry-007-") && children[0].len() == "entry-007-".len() + 10, "{children:?}");
    assert!(children[1].starts_with("entry-999-") && children[2].starts_with("entry-999-"), "{children:?}");
    assert_eq!(zk.get_data(&format!("{path}/{}", children[0]), None).unwrap().0, b"a");
    zk.close().unwrap();
}

#[test]
fn queue_get_waits_for_a_put_and_times_out_otherwise() {
    let zk = connect();
    let path = unique("q-block");
    let q = Queue::new(&zk, &path).unwrap();
    let started = Instant::now();
    assert_eq!(q.get(Some(Duration::from_millis(300))).unwrap(), None);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let other = connect();
    let producer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        Queue::new(&other, &path).unwrap().put(b"late", P).unwrap();
        other
    });
    assert_eq!(q.get(LONG).unwrap(), got(b"late"));
    producer.join().unwrap().close().unwrap();
    zk.close().unwrap();
}

#[test]
fn queue_each_entry_goes_to_one_consumer() {
    let path = unique("q-many");
    let zk = connect();
    let q = Queue::new(&zk, &path).unwrap();
    let values: Vec<Vec<u8>> = (0..40).map(|i| format!("v{i}").into_bytes()).collect();
    q.put_all(&values, P).unwrap();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let c = connect();
                let q = Queue::new(&c, &path).unwrap();
                let mut mine = Vec::new();
                while let Some(v) = q.get(Some(Duration::ZERO)).unwrap() {
                    mine.push(v);
                }
                c.close().unwrap();
                mine
            })
        })
        .collect();
    let mut all: Vec<Vec<u8>> = consumers.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort();
    let mut want = values.clone();
    want.sort();
    assert_eq!(all, want, "every entry exactly once");
    zk.close().unwrap();
}

#[test]
fn queue_recreates_its_node_when_it_vanished() {
    let zk = connect();
    let path = unique("q-vanish");
    let q = Queue::new(&zk, &path).unwrap();
    q.put(b"x", P).unwrap();
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"x"));
    zk.delete(&path, -1).unwrap();
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), None);
    zk.delete(&path, -1).unwrap();
    q.put(b"y", P).unwrap();
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"y"));
    zk.close().unwrap();
}

#[test]
fn queue_gets_that_time_out_keep_one_watch() {
    let zk = connect();
    let q = Queue::new(&zk, &unique("q-watch")).unwrap();
    for _ in 0..50 {
        assert_eq!(q.get(Some(Duration::from_millis(2))).unwrap(), None);
        assert!(q.pending_watches() <= 1, "{} watches after repeated gets", q.pending_watches());
    }
    assert_eq!(q.pending_watches(), 1, "the listing keeps one watch armed");
    q.put(b"x", P).unwrap();
    eventually("the watch fired", || q.pending_watches() == 0);
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), got(b"x"));
    zk.close().unwrap();
    assert_eq!(q.pending_watches(), 0);
}

#[test]
fn queue_get_blocked_forever_returns_on_close() {
    let zk = connect();
    let q = Arc::new(Queue::new(&zk, &unique("q-close")).unwrap());
    let q2 = q.clone();
    let blocked = std::thread::spawn(move || q2.get(None));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!blocked.is_finished());
    zk.close().unwrap();
    assert_eq!(blocked.join().unwrap(), Err(Error::Closed));
    assert_eq!(q.get(None), Err(Error::Closed));
}

struct Proxied {
    proxy: Proxy,
    zk: Client,
}

fn proxied() -> Proxied {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    let zk = connect_with(cfg);
    Proxied { proxy, zk }
}

/// Expires the session of `p` for real, while its connection is cut.
fn expire(p: &Proxied) {
    let (id, password) = p.zk.client_id();
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    expire_session(&server().connect_string(), id, &password).unwrap();
    p.proxy.set_refuse(false);
}

#[test]
fn queue_get_blocked_forever_returns_on_session_loss() {
    let p = proxied();
    let q = Arc::new(Queue::new(&p.zk, &unique("q-expire")).unwrap());
    let q2 = q.clone();
    let blocked = std::thread::spawn(move || q2.get(None));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!blocked.is_finished());
    expire(&p);
    assert_eq!(blocked.join().unwrap(), Err(Error::SessionExpired));
    eventually("a new session", || p.zk.state() == State::Connected);
    q.put(b"after", P).unwrap();
    assert_eq!(q.get(LONG).unwrap(), got(b"after"), "the queue works in the new session");
    p.zk.close().unwrap();
}

// ---- LockingQueue ------------------------------------------------------------------------------------

#[test]
fn locking_queue_refuses_a_priority_beyond_three_digits() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-valid")).unwrap();
    assert!(matches!(q.put(b"one", 1000), Err(Error::BadArguments(_))));
    assert!(matches!(q.put_all(&[b"one"], 100000), Err(Error::BadArguments(_))));
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_empty() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-empty")).unwrap();
    assert_eq!(q.len().unwrap(), 0);
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), None);
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_get_consume_holds_lock() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-basic")).unwrap();
    q.put(b"one", P).unwrap();
    q.put_all(&[b"two".as_slice(), b"three"], P).unwrap();
    assert_eq!(q.len().unwrap(), 3);
    assert!(!q.consume().unwrap());
    assert!(!q.holds_lock().unwrap());
    assert_eq!(q.get(SHORT).unwrap(), got(b"one"));
    assert!(q.holds_lock().unwrap());
    assert_eq!(q.get(SHORT).unwrap(), got(b"one"), "without consuming, the same entry again");
    assert!(q.consume().unwrap());
    assert!(!q.holds_lock().unwrap());
    for want in ["two", "three"] {
        assert_eq!(q.get(SHORT).unwrap(), got(want.as_bytes()));
        assert!(q.holds_lock().unwrap());
        assert!(q.consume().unwrap());
        assert!(!q.holds_lock().unwrap());
    }
    assert!(!q.consume().unwrap());
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_release_hands_the_entry_back() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-release")).unwrap();
    q.put(b"one", P).unwrap();
    assert_eq!(q.get(SHORT).unwrap(), got(b"one"));
    assert!(q.holds_lock().unwrap());
    assert!(q.release().unwrap());
    assert!(!q.holds_lock().unwrap());
    assert_eq!(q.get(SHORT).unwrap(), got(b"one"));
    assert!(q.consume().unwrap());
    assert!(!q.release().unwrap());
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_serves_by_priority() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-prio")).unwrap();
    q.put(b"four", 101).unwrap();
    q.put(b"one", 0).unwrap();
    q.put(b"two", 0).unwrap();
    q.put(b"three", 10).unwrap();
    for want in ["one", "two", "three", "four"] {
        assert_eq!(q.get(SHORT).unwrap(), got(want.as_bytes()));
        assert!(q.consume().unwrap());
    }
    zk.close().unwrap();
}

#[test]
fn locking_queue_nodes_are_named_like_kazoo() {
    let zk = connect();
    let path = unique("lq-layout");
    let q = LockingQueue::new(&zk, &path).unwrap();
    q.put(b"a", 5).unwrap();
    let (entries, _) = zk.get_children(&format!("{path}/entries"), None).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].starts_with("entry-005-") && entries[0].len() == "entry-005-".len() + 10, "{entries:?}");
    assert_eq!(q.get(SHORT).unwrap(), got(b"a"));
    let lock = format!("{path}/taken/{}", entries[0]);
    let (data, stat) = zk.get_data(&lock, None).unwrap();
    assert_eq!(data, q.id().as_bytes());
    assert_eq!(q.id().len(), 32);
    assert_eq!(stat.ephemeral_owner, zk.session_id(), "the lock is ephemeral");
    assert!(q.consume().unwrap());
    assert!(zk.exists(&lock, None).unwrap().is_none());
    assert!(zk.get_children(&format!("{path}/entries"), None).unwrap().0.is_empty());
    zk.close().unwrap();
}

#[test]
fn locking_queue_put_all_is_all_or_nothing() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-putall")).unwrap();
    let huge = vec![0u8; 2 << 20];
    let err = q.put_all(&[b"small".to_vec(), huge], P).unwrap_err();
    assert_eq!(err.code(), error::codes::DATA_TOO_LARGE, "{err}");
    assert_eq!(q.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_an_entry_goes_to_one_of_concurrent_gets() {
    let path = unique("lq-concurrent");
    let zk = connect();
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let zk = zk.clone();
            let path = path.clone();
            std::thread::spawn(move || {
                LockingQueue::new(&zk, &path).unwrap().get(Some(Duration::from_secs(1))).unwrap()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    LockingQueue::new(&zk, &path).unwrap().put(b"one", P).unwrap();
    let results: Vec<_> = getters.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.as_deref() == Some(b"one".as_slice())).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| r.is_none()).count(), 2, "{results:?}");
    zk.close().unwrap();
}

#[test]
fn locking_queue_skips_a_taken_entry_for_the_next() {
    let zk = connect();
    let path = unique("lq-skip");
    let a = LockingQueue::new(&zk, &path).unwrap();
    let b = LockingQueue::new(&zk, &path).unwrap();
    a.put_all(&[b"first".as_slice(), b"second"], P).unwrap();
    assert_eq!(a.get(SHORT).unwrap(), got(b"first"));
    assert_eq!(b.get(Some(Duration::ZERO)).unwrap(), got(b"second"));
    assert!(b.release().unwrap());
    assert!(a.consume().unwrap());
    assert_eq!(b.get(Some(Duration::ZERO)).unwrap(), got(b"second"));
    zk.close().unwrap();
}

#[test]
fn locking_queue_get_waits_for_a_release() {
    let zk = connect();
    let path = unique("lq-wait-release");
    let a = LockingQueue::new(&zk, &path).unwrap();
    a.put(b"only", P).unwrap();
    assert_eq!(a.get(SHORT).unwrap(), got(b"only"));
    let other = connect();
    let waiter = std::thread::spawn(move || {
        let b = LockingQueue::new(&other, &path).unwrap();
        let r = b.get(LONG).unwrap();
        let consumed = b.consume().unwrap();
        other.close().unwrap();
        (r, consumed)
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished());
    assert!(a.release().unwrap());
    assert_eq!(waiter.join().unwrap(), (got(b"only"), true));
    assert_eq!(a.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn locking_queue_gets_that_time_out_keep_one_watch_per_node() {
    let zk = connect();
    let q = LockingQueue::new(&zk, &unique("lq-watch")).unwrap();
    for _ in 0..50 {
        assert_eq!(q.get(Some(Duration::from_millis(2))).unwrap(), None);
        assert!(q.pending_watches() <= 2, "{} watches after repeated gets", q.pending_watches());
    }
    assert_eq!(q.pending_watches(), 2, "one on entries, one on taken");
    zk.close().unwrap();
    assert_eq!(q.pending_watches(), 0, "close ended them");
}

#[test]
fn locking_queue_get_blocked_forever_returns_on_close() {
    let zk = connect();
    let q = Arc::new(LockingQueue::new(&zk, &unique("lq-close")).unwrap());
    let q2 = q.clone();
    let blocked = std::thread::spawn(move || q2.get(None));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!blocked.is_finished());
    zk.close().unwrap();
    assert_eq!(blocked.join().unwrap(), Err(Error::Closed));
}

#[test]
fn locking_queue_session_loss_frees_the_entry_and_ends_a_blocked_get() {
    let p = proxied();
    let path = unique("lq-expire");
    let q = Arc::new(LockingQueue::new(&p.zk, &path).unwrap());
    q.put(b"held", P).unwrap();
    assert_eq!(q.get(SHORT).unwrap(), got(b"held"));
    let other_queue = Arc::new(LockingQueue::new(&p.zk, &path).unwrap());
    let oq = other_queue.clone();
    let blocked = std::thread::spawn(move || oq.get(None));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!blocked.is_finished());
    expire(&p);
    assert_eq!(blocked.join().unwrap(), Err(Error::SessionExpired));
    eventually("a new session", || p.zk.state() == State::Connected);
    assert!(!q.holds_lock().unwrap(), "the lock ended with the session");
    let zk = connect();
    let rescuer = LockingQueue::new(&zk, &path).unwrap();
    assert_eq!(rescuer.get(LONG).unwrap(), got(b"held"), "another consumer gets the entry");
    assert!(!q.consume().unwrap(), "the first holder cannot consume it any more");
    assert!(rescuer.consume().unwrap());
    assert_eq!(rescuer.len().unwrap(), 0);
    zk.close().unwrap();
    p.zk.close().unwrap();
}

#[test]
fn a_get_that_would_wait_inside_a_callback_is_refused() {
    let zk = connect();
    let q = Arc::new(Queue::new(&zk, &unique("q-in-callback")).unwrap());
    let lq = Arc::new(LockingQueue::new(&zk, &unique("lq-in-callback")).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let (q2, lq2) = (q.clone(), lq.clone());
    zk.exists_async("/", None, move |_| {
        let waits = (q2.get(Some(Duration::from_secs(5))), lq2.get(None));
        let zero = (q2.get(Some(Duration::ZERO)), lq2.get(Some(Duration::ZERO)));
        tx.send((waits, zero)).unwrap();
    })
    .unwrap();
    let ((qw, lqw), (qz, lqz)) = rx.recv_timeout(WAIT).unwrap();
    assert!(matches!(qw, Err(Error::WouldDeadlock(_))), "{qw:?}");
    assert!(matches!(lqw, Err(Error::WouldDeadlock(_))), "{lqw:?}");
    assert_eq!((qz, lqz), (Ok(None), Ok(None)), "a zero timeout only looks");
    zk.close().unwrap();
}

#[test]
fn a_get_returns_on_time_while_the_connection_is_down() {
    let p = proxied();
    let path = unique("q-cut");
    let q = Queue::new(&p.zk, &path).unwrap();
    let lq = LockingQueue::new(&p.zk, &format!("{path}-locking")).unwrap();
    assert_eq!(q.get(Some(Duration::ZERO)).unwrap(), None);
    assert_eq!(lq.get(Some(Duration::ZERO)).unwrap(), None);
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    eventually("the client noticed", || p.zk.state() == State::Connecting);
    let started = Instant::now();
    assert_eq!(q.get(Some(Duration::from_millis(200))).unwrap(), None);
    assert_eq!(lq.get(Some(Duration::from_millis(200))).unwrap(), None);
    assert!(started.elapsed() < Duration::from_secs(4), "waited {:?} for a connection", started.elapsed());
    p.proxy.set_refuse(false);
    eventually("reconnected", || p.zk.state() == State::Connected);
    q.put(b"back", P).unwrap();
    assert_eq!(q.get(LONG).unwrap(), got(b"back"));
    p.zk.close().unwrap();
}
