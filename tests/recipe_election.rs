//! Election against a real server: kazoo's test_election.py scenario, leadership ending by return and
//! by panic, cancel, timeout, and a leader told it lost its session.
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;
use zkrs::recipe::election::Election;
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

/// A candidate on its own thread: reports when it leads, leads until told to stop (or to panic).
struct Candidate {
    election: Arc<Election>,
    stop: Sender<bool>,
    thread: std::thread::JoinHandle<Result<()>>,
}

fn candidate(zk: &Client, path: &str, name: &str, elected: &Sender<String>) -> Candidate {
    let election = Arc::new(Election::new(zk, path, name).unwrap());
    let (stop, stop_rx): (Sender<bool>, Receiver<bool>) = channel();
    let (e, elected, name) = (election.clone(), elected.clone(), name.to_string());
    let thread = std::thread::spawn(move || {
        e.run(None, || {
            assert!(e.is_leader());
            elected.send(name).unwrap();
            if stop_rx.recv().unwrap() {
                panic!("leader fails on purpose");
            }
        })
    });
    Candidate { election, stop, thread }
}

#[test]
fn one_leader_at_a_time_in_queue_order() {
    let zk = connect();
    let path = unique("election");
    let (tx, elected) = channel();
    let first = candidate(&zk, &path, "c1", &tx);
    assert_eq!(elected.recv_timeout(WAIT).unwrap(), "c1");
    let second = candidate(&connect(), &path, "c2", &tx);
    let observer = Election::new(&zk, &path, "observer").unwrap();
    eventually("c2 queued", || observer.contenders().unwrap() == ["c1", "c2"]);
    let third = candidate(&zk, &path, "c3", &tx);
    eventually("c3 queued", || observer.contenders().unwrap() == ["c1", "c2", "c3"]);
    assert!(elected.recv_timeout(Duration::from_millis(200)).is_err(), "only one leader");
    assert!(!observer.is_leader());

    // A cancelled candidate is never elected.
    second.election.cancel();
    assert!(matches!(second.thread.join().unwrap(), Err(Error::Cancelled(_))));
    assert_eq!(observer.contenders().unwrap(), vec!["c1", "c3"]);

    // The leader returns: the next is elected; the first queues again.
    first.stop.send(false).unwrap();
    first.thread.join().unwrap().unwrap();
    assert_eq!(elected.recv_timeout(WAIT).unwrap(), "c3");
    let again = candidate(&zk, &path, "c1", &tx);
    eventually("c1 queued again", || observer.contenders().unwrap() == ["c3", "c1"]);

    // A leader that panics gives up leadership too.
    third.stop.send(true).unwrap();
    assert!(third.thread.join().is_err(), "the panic reaches run's caller");
    assert_eq!(elected.recv_timeout(WAIT).unwrap(), "c1");
    again.stop.send(false).unwrap();
    again.thread.join().unwrap().unwrap();
    assert!(observer.contenders().unwrap().is_empty());
}

#[test]
fn run_returns_a_value_and_times_out() {
    let zk = connect();
    let path = unique("election-value");
    let e = Election::new(&zk, &path, "me").unwrap();
    assert_eq!(e.run(None, || 42).unwrap(), 42);
    assert!(!e.is_leader(), "leadership ends with the function");
    let holder = &Election::new(&zk, &path, "holder").unwrap();
    let (tx, rx) = channel::<()>();
    let (go_tx, go) = channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            holder
                .run(None, || {
                    go_tx.send(()).unwrap();
                    rx.recv().unwrap()
                })
                .unwrap()
        });
        go.recv_timeout(WAIT).unwrap();
        assert!(matches!(e.run(Some(Duration::from_millis(300)), || ()), Err(Error::Timeout(_))));
        assert_eq!(e.contenders().unwrap(), vec!["holder"], "the timed-out candidate left");
        tx.send(()).unwrap();
    });
}

#[test]
fn a_leader_is_told_when_its_session_expires_and_another_is_elected() {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    let lossy = connect_with(cfg);
    let zk = connect();
    let path = unique("election-expire");
    let leader = Election::new(&lossy, &path, "old").unwrap();
    let lost = Arc::new(AtomicBool::new(false));
    let l = lost.clone();
    leader.set_lost_listener(Some(Arc::new(move || l.store(true, Ordering::SeqCst))));
    let (tx, elected) = channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            leader
                .run(None, || {
                    tx.send("old".to_string()).unwrap();
                    // Lead until told leadership is gone.
                    while leader.is_leader() {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                })
                .unwrap()
        });
        assert_eq!(elected.recv_timeout(WAIT).unwrap(), "old");
        let next = candidate(&zk, &path, "new", &tx);
        eventually("queued", || next.election.contenders().unwrap() == ["old", "new"]);
        proxy.set_refuse(true);
        proxy.drop_connections();
        let (id, password) = lossy.client_id();
        expire_session(&server().connect_string(), id, &password).unwrap();
        assert_eq!(elected.recv_timeout(WAIT).unwrap(), "new");
        proxy.set_refuse(false);
        eventually("the old leader is told", || lost.load(Ordering::SeqCst));
        next.stop.send(false).unwrap();
        next.thread.join().unwrap().unwrap();
    });
}
