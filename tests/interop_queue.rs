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

// ---- leases --------------------------------------------------------------------------------------------

mod lease {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};
    use zkrs::recipe::lease::{MultiNonBlockingLease, NonBlockingLease};

    fn kazoo() -> Kazoo {
        let py = Kazoo::start("lease_peer", &hosts(), &[]);
        py.expect("READY", WAIT);
        py
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn zkrs_lease(zk: &zkrs::Client, path: &str, secs: u64, id: &str, now: u64) -> bool {
        NonBlockingLease::with_clock(zk, path, Duration::from_secs(secs), Some(id), &|| at(now)).unwrap().obtained()
    }

    #[test]
    fn a_lease_held_by_kazoo_is_refused_to_zkrs_and_the_reverse() {
        let path = unique("ilease");
        let zk = connect();
        let mut py = kazoo();
        ask(&mut py, &format!("lease {path} 10 kazoo.host 1000"), "OBTAINED");
        assert!(!zkrs_lease(&zk, &path, 10, "zkrs.host", 1005), "kazoo holds it until 1010");
        assert!(zkrs_lease(&zk, &path, 10, "zkrs.host", 1011), "kazoo's time is over");
        ask(&mut py, &format!("lease {path} 10 kazoo.host 1015"), "REFUSED");
        assert!(zkrs_lease(&zk, &path, 10, "zkrs.host", 1018), "zkrs renews its own");
        ask(&mut py, &format!("lease {path} 10 kazoo.host 1025"), "REFUSED");
        ask(&mut py, &format!("lease {path} 10 kazoo.host 1029"), "OBTAINED");
        // The same identifier renews across the two libraries.
        assert!(zkrs_lease(&zk, &path, 10, "kazoo.host", 1030));
        ask(&mut py, &format!("lease {path} 10 zkrs.host 1035"), "REFUSED");
        py.finish(WAIT);
        zk.close().unwrap();
    }

    #[test]
    fn real_clocks_agree_on_utc() {
        let path = unique("ilease-real");
        let zk = connect();
        let mut py = kazoo();
        ask(&mut py, &format!("lease {path} 60 kazoo.host real"), "OBTAINED");
        assert!(!NonBlockingLease::new(&zk, &path, Duration::from_secs(60), Some("zkrs.host")).unwrap().obtained());
        let other = unique("ilease-real2");
        assert!(NonBlockingLease::new(&zk, &other, Duration::from_secs(60), Some("zkrs.host")).unwrap().obtained());
        ask(&mut py, &format!("lease {other} 60 kazoo.host real"), "REFUSED");
        py.finish(WAIT);
        zk.close().unwrap();
    }

    #[test]
    fn multi_leases_are_shared_between_kazoo_and_zkrs() {
        let path = unique("imlease");
        let zk = connect();
        let mut py = kazoo();
        ask(&mut py, &format!("multi 2 {path} 10 kazoo.a 1000"), "OBTAINED");
        let b = MultiNonBlockingLease::with_clock(&zk, 2, &path, Duration::from_secs(10), Some("zkrs.b"), &|| at(1002))
            .unwrap();
        assert_eq!(b.lease_path(), Some(format!("{path}/1").as_str()), "kazoo holds {path}/0");
        ask(&mut py, &format!("multi 2 {path} 10 kazoo.c 1004"), "REFUSED");
        let c = MultiNonBlockingLease::with_clock(&zk, 2, &path, Duration::from_secs(10), Some("zkrs.c"), &|| at(1011))
            .unwrap();
        assert_eq!(c.lease_path(), Some(format!("{path}/0").as_str()), "kazoo.a's time is over");
        py.finish(WAIT);
        zk.close().unwrap();
    }
}
