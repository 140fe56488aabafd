//! zkrs and kazoo share a Queue and a LockingQueue: what one puts, the other takes, in priority order,
//! and a LockingQueue entry locked by one is skipped by the other.
mod common;

use common::kazoo::Kazoo;
use common::*;
use std::time::Duration;
use zkrs::recipe::queue::{LockingQueue, Queue};

const NOW: Option<Duration> = Some(Duration::ZERO);
const SHORT: Option<Duration> = Some(Duration::from_secs(1));

/// (priority, value) in the order they are put; served: a b c d e.
const MIXED: [(u32, &str); 5] = [(50, "c"), (1, "a"), (50, "d"), (10, "b"), (999, "e")];

fn kazoo() -> Kazoo {
    let py = Kazoo::start("queue_peer", &hosts(), &[]);
    py.expect("READY", WAIT);
    py
}

fn ask(py: &mut Kazoo, line: &str, want: &str) {
    py.say(line);
    py.expect(want, WAIT);
}

#[test]
fn queue_filled_by_kazoo_is_drained_by_zkrs_in_priority_order() {
    let path = unique("iq-k2z");
    let mut py = kazoo();
    for (p, v) in MIXED {
        ask(&mut py, &format!("put plain {path} {p} {v}"), "OK");
    }
    let zk = connect();
    let q = Queue::new(&zk, &path).unwrap();
    assert_eq!(q.len().unwrap(), 5);
    for want in ["a", "b", "c", "d", "e"] {
        assert_eq!(q.get(NOW).unwrap().as_deref(), Some(want.as_bytes()));
    }
    assert_eq!(q.get(NOW).unwrap(), None);
    ask(&mut py, &format!("len plain {path}"), "0");
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn queue_filled_by_zkrs_is_drained_by_kazoo_in_priority_order() {
    let path = unique("iq-z2k");
    let zk = connect();
    let q = Queue::new(&zk, &path).unwrap();
    for (p, v) in MIXED {
        q.put(v.as_bytes(), p).unwrap();
    }
    let mut py = kazoo();
    ask(&mut py, &format!("len plain {path}"), "5");
    for want in ["a", "b", "c", "d", "e", "NONE"] {
        ask(&mut py, &format!("get plain {path}"), want);
    }
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn locking_queue_filled_by_kazoo_is_drained_by_zkrs_in_priority_order() {
    let path = unique("ilq-k2z");
    let mut py = kazoo();
    for (p, v) in MIXED {
        ask(&mut py, &format!("put locking {path} {p} {v}"), "OK");
    }
    ask(&mut py, &format!("putall {path} 20 b2 b3"), "OK");
    let zk = connect();
    let q = LockingQueue::new(&zk, &path).unwrap();
    assert_eq!(q.len().unwrap(), 7);
    for want in ["a", "b", "b2", "b3", "c", "d", "e"] {
        assert_eq!(q.get(SHORT).unwrap().as_deref(), Some(want.as_bytes()));
        assert!(q.consume().unwrap());
    }
    ask(&mut py, &format!("len locking {path}"), "0");
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn locking_queue_filled_by_zkrs_is_drained_by_kazoo_in_priority_order() {
    let path = unique("ilq-z2k");
    let zk = connect();
    let q = LockingQueue::new(&zk, &path).unwrap();
    for (p, v) in MIXED {
        q.put(v.as_bytes(), p).unwrap();
    }
    q.put_all(&[b"b2".as_slice(), b"b3"], 20).unwrap();
    let mut py = kazoo();
    for want in ["a", "b", "b2", "b3", "c", "d", "e"] {
        ask(&mut py, &format!("get locking {path}"), want);
        ask(&mut py, &format!("consume {path}"), "True");
    }
    ask(&mut py, &format!("get locking {path}"), "NONE");
    assert_eq!(q.len().unwrap(), 0);
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn locking_queue_entries_locked_by_one_side_are_skipped_by_the_other() {
    let path = unique("ilq-locks");
    let zk = connect();
    let q = LockingQueue::new(&zk, &path).unwrap();
    q.put_all(&[b"first".as_slice(), b"second", b"third"], 100).unwrap();
    let mut py = kazoo();
    // kazoo holds "first": zkrs gets "second".
    ask(&mut py, &format!("get locking {path}"), "first");
    assert_eq!(q.get(SHORT).unwrap().as_deref(), Some(b"second".as_slice()));
    // zkrs holds "second": kazoo, done with "first", gets "third" next.
    ask(&mut py, &format!("consume {path}"), "True");
    ask(&mut py, &format!("get locking {path}"), "third");
    ask(&mut py, &format!("release {path}"), "True");
    // zkrs hands "second" back; kazoo gets it, zkrs then gets "third".
    assert!(q.release().unwrap());
    ask(&mut py, &format!("get locking {path}"), "second");
    assert_eq!(q.get(SHORT).unwrap().as_deref(), Some(b"third".as_slice()));
    assert!(q.consume().unwrap());
    ask(&mut py, &format!("consume {path}"), "True");
    assert_eq!(q.len().unwrap(), 0);
    py.finish(WAIT);
    zk.close().unwrap();
}
