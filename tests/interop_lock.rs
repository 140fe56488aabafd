//! zkrs and kazoo (a real kazoo 2.11 process, tests/kazoo/*.py) on the same lock, election and
//! semaphore: they exclude each other, elect one leader, and share one lease limit.
mod common;

use common::kazoo::Kazoo;
use common::*;
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::Duration;
use zkrs::recipe::election::Election;
use zkrs::recipe::lock::Lock;
use zkrs::recipe::semaphore::Semaphore;
use zkrs::*;

const QUIET: Duration = Duration::from_millis(300);

fn kazoo(script: &str, args: &[&str]) -> Kazoo {
    let py = Kazoo::start(script, &hosts(), args);
    py.expect("READY", WAIT);
    py
}

#[test]
fn a_zkrs_lock_and_a_kazoo_lock_exclude_each_other() {
    let zk = connect();
    let path = unique("interop-lock");
    let ours = Lock::new(&zk, &path, "zkrs").unwrap();
    let mut py = kazoo("lock", &["lock", &path, "kazoo"]);

    assert!(ours.acquire(true, None, true).unwrap());
    py.say("try");
    py.expect("BUSY", WAIT);
    py.say("contenders");
    py.expect("zkrs", WAIT);
    // kazoo queues behind us and gets the lock when we release.
    py.say("acquire");
    assert_eq!(py.next_line(QUIET), None, "kazoo must wait while zkrs holds the lock");
    eventually("kazoo queued", || ours.contenders().unwrap() == ["zkrs", "kazoo"]);
    assert!(ours.release().unwrap());
    py.expect("ACQUIRED", WAIT);

    // Now we queue behind kazoo.
    assert!(!ours.acquire(false, None, true).unwrap());
    let ours = Arc::new(ours);
    let o = ours.clone();
    let waiting = std::thread::spawn(move || o.acquire(true, Some(WAIT), true));
    eventually("zkrs queued", || ours.contenders().unwrap() == ["kazoo", "zkrs"]);
    assert!(!waiting.is_finished());
    py.say("release");
    py.expect("RELEASED", WAIT);
    assert!(waiting.join().unwrap().unwrap());
    py.say("try");
    py.expect("BUSY", WAIT);
    ours.release().unwrap();
    py.finish(WAIT);
}

#[test]
fn read_and_write_locks_follow_the_same_rules_across_both() {
    let zk = connect();
    let path = unique("interop-rw");
    let mut py_reader = kazoo("lock", &["read", &path, "kazoo-reader"]);
    py_reader.say("try");
    py_reader.expect("ACQUIRED", WAIT);
    let reader = Lock::read_lock(&zk, &path, "zkrs-reader").unwrap();
    assert!(reader.acquire(false, None, true).unwrap(), "readers share");
    let writer = Lock::write_lock(&zk, &path, "zkrs-writer").unwrap();
    assert!(!writer.acquire(false, None, true).unwrap(), "a kazoo reader blocks a zkrs writer");
    reader.release().unwrap();
    py_reader.say("release");
    py_reader.expect("RELEASED", WAIT);
    assert!(writer.acquire(false, None, true).unwrap());
    let mut py_writer = kazoo("lock", &["write", &path, "kazoo-writer"]);
    py_writer.say("try");
    py_writer.expect("BUSY", WAIT);
    py_reader.say("try");
    py_reader.expect("BUSY", WAIT);
    writer.release().unwrap();
    py_writer.say("try");
    py_writer.expect("ACQUIRED", WAIT);
    assert!(!reader.acquire(false, None, true).unwrap(), "a kazoo writer blocks a zkrs reader");
    py_writer.say("release");
    py_writer.expect("RELEASED", WAIT);
    py_reader.finish(WAIT);
    py_writer.finish(WAIT);
}

#[test]
fn a_kazoo_election_and_a_zkrs_election_elect_one_leader() {
    let zk = connect();
    let path = unique("interop-election");
    let mut py = kazoo("election", &[&path, "kazoo"]);
    py.say("run");
    py.expect("LEADER", WAIT);

    let ours = Arc::new(Election::new(&zk, &path, "zkrs").unwrap());
    let (tx, led) = channel();
    let (stop_tx, stop) = channel::<()>();
    let o = ours.clone();
    let candidate = std::thread::spawn(move || {
        o.run(None, || {
            tx.send(()).unwrap();
            stop.recv().unwrap();
        })
    });
    eventually("both candidates", || ours.contenders().unwrap() == ["kazoo", "zkrs"]);
    py.say("contenders");
    py.expect("kazoo,zkrs", WAIT);
    assert!(led.recv_timeout(QUIET).is_err(), "zkrs must not lead while kazoo does");

    py.say("stop");
    py.expect("DONE", WAIT);
    led.recv_timeout(WAIT).unwrap();
    assert!(ours.is_leader());
    // kazoo runs again and waits behind the zkrs leader.
    py.say("run");
    assert_eq!(py.next_line(QUIET), None, "kazoo must not lead while zkrs does");
    eventually("kazoo queued again", || ours.contenders().unwrap() == ["zkrs", "kazoo"]);
    stop_tx.send(()).unwrap();
    candidate.join().unwrap().unwrap();
    py.expect("LEADER", WAIT);
    py.say("stop");
    py.expect("DONE", WAIT);
    py.finish(WAIT);
}

#[test]
fn a_semaphores_limit_holds_across_zkrs_and_kazoo() {
    let zk = connect();
    let path = unique("interop-sem");
    let mut py1 = kazoo("lock", &["semaphore", &path, "kazoo-1", "2"]);
    py1.say("try");
    py1.expect("ACQUIRED", WAIT);
    assert_eq!(zk.get_data(&path, None).unwrap().0, b"2", "kazoo stored the limit");
    let ours = Semaphore::new(&zk, &path, "zkrs-1", 2).unwrap();
    assert!(ours.acquire(true, Some(WAIT)).unwrap());
    // Both leases are taken: neither side gets a third.
    let third = Semaphore::new(&zk, &path, "zkrs-2", 2).unwrap();
    assert!(!third.acquire(false, None).unwrap());
    let mut py2 = kazoo("lock", &["semaphore", &path, "kazoo-2", "2"]);
    py2.say("try");
    py2.expect("BUSY", WAIT);
    py2.say("contenders");
    py2.expect("kazoo-1,zkrs-1", WAIT);
    // A zkrs waiter gets the lease kazoo gives back.
    let third = Arc::new(third);
    let t = third.clone();
    let waiting = std::thread::spawn(move || t.acquire(true, Some(WAIT)));
    std::thread::sleep(QUIET);
    assert!(!waiting.is_finished());
    py1.say("release");
    py1.expect("RELEASED", WAIT);
    assert!(waiting.join().unwrap().unwrap());
    py2.say("try");
    py2.expect("BUSY", WAIT);
    ours.release().unwrap();
    py2.say("try");
    py2.expect("ACQUIRED", WAIT);
    py2.say("release");
    py2.expect("RELEASED", WAIT);
    third.release().unwrap();

    // A different limit is refused on both sides.
    let greedy = Semaphore::new(&zk, &path, "zkrs-greedy", 3).unwrap();
    assert!(matches!(greedy.acquire(true, Some(WAIT)), Err(Error::BadArguments(_))));
    let other = unique("interop-sem-zkrs-first");
    let first = Semaphore::new(&zk, &other, "zkrs", 1).unwrap();
    assert!(first.acquire(true, None).unwrap());
    let mut py3 = kazoo("lock", &["semaphore", &other, "kazoo", "5"]);
    py3.say("try");
    let said = py3.next_line(WAIT).unwrap();
    assert!(said.starts_with("ERROR ValueError Inconsistent max leases"), "kazoo said {said:?}");
    first.release().unwrap();
    py1.finish(WAIT);
    py2.finish(WAIT);
    py3.finish(WAIT);
}
