//! Barrier and DoubleBarrier against a real server: kazoo's test_barrier.py scenarios, and waits that
//! end on a timeout, on close and on session loss.
mod common;

use common::*;
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkrs::recipe::barrier::{Barrier, DoubleBarrier};
use zkrs::{Client, Config, CreateOptions, Error};
use zkrs_testserver::{expire_session, Proxy};

/// A client through a proxy (so its connection can be cut and its session expired for real).
fn proxied_client(root: &str) -> (Proxy, Client) {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = Duration::from_secs(4);
    (proxy, connect_with(cfg))
}

/// Expires `zk`'s session on the server while its connection is cut.
fn expire(proxy: &Proxy, zk: &Client) {
    let (id, password) = zk.client_id();
    proxy.set_refuse(true);
    proxy.drop_connections();
    expire_session(&server().connect_string(), id, &password).unwrap();
    proxy.set_refuse(false);
}

#[test]
fn waiting_on_a_barrier_that_is_not_there_returns_at_once() {
    let zk = chrooted("barrier-none");
    let b = Barrier::new(&zk, "/some/path").unwrap();
    assert!(b.wait(None).unwrap());
    zk.close().unwrap();
}

#[test]
fn a_barrier_in_place_holds_until_removed() {
    let zk = chrooted("barrier-exists");
    let b = Barrier::new(&zk, "/some/path").unwrap();
    b.create().unwrap();
    b.create().unwrap();
    assert!(!b.wait(Some(Duration::ZERO)).unwrap());
    let started = Instant::now();
    assert!(!b.wait(Some(Duration::from_millis(300))).unwrap());
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(b.remove().unwrap());
    assert!(b.wait(None).unwrap());
    zk.close().unwrap();
}

#[test]
fn removing_a_barrier_that_is_not_there_says_so() {
    let zk = chrooted("barrier-remove");
    let b = Barrier::new(&zk, "/some/path").unwrap();
    assert!(!b.remove().unwrap());
    assert!(matches!(Barrier::new(&zk, "no-slash"), Err(Error::InvalidPath { .. })));
    zk.close().unwrap();
}

#[test]
fn waiters_are_released_by_another_client_even_after_a_data_change() {
    let root = unique("barrier-release");
    let other = connect();
    other.ensure_path(&root).unwrap();
    let zk = connect_to(&format!("{}{root}", hosts()));
    Barrier::new(&zk, "/gate").unwrap().create().unwrap();
    let (tx, rx) = channel();
    for _ in 0..3 {
        let (zk, tx) = (zk.clone(), tx.clone());
        std::thread::spawn(move || tx.send(Barrier::new(&zk, "/gate").unwrap().wait(None)).unwrap());
    }
    std::thread::sleep(Duration::from_millis(200));
    // kazoo's waiter loses its one-shot watch to this change and then hangs; ours set a new one.
    other.set_data(&format!("{root}/gate"), b"changed", -1).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err(), "nobody passes while the barrier is in place");
    assert!(Barrier::new(&other, &format!("{root}/gate")).unwrap().remove().unwrap());
    for _ in 0..3 {
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), Ok(true));
    }
    other.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn close_ends_a_blocked_barrier_wait() {
    let zk = chrooted("barrier-close");
    let b = Barrier::new(&zk, "/gate").unwrap();
    b.create().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || tx.send(b.wait(None)).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    zk.close().unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::Closed));
    assert_eq!(Barrier::new(&zk, "/gate").unwrap().wait(None), Err(Error::Closed));
}

#[test]
fn session_loss_ends_a_blocked_barrier_wait() {
    let root = unique("barrier-expire");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    let (proxy, zk) = proxied_client(&root);
    let b = Barrier::new(&zk, "/gate").unwrap();
    b.create().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || tx.send(b.wait(Some(Duration::from_secs(60)))).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    expire(&proxy, &zk);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::SessionExpired));
    zk.close().unwrap();
}

#[test]
fn a_barrier_wait_inside_a_callback_is_refused() {
    let zk = chrooted("barrier-callback");
    let b = Barrier::new(&zk, "/gate").unwrap();
    b.create().unwrap();
    let (tx, rx) = channel();
    let inner = zk.clone();
    zk.exists_async("/gate", None, move |_| {
        tx.send(Barrier::new(&inner, "/gate").unwrap().wait(None)).unwrap();
    })
    .unwrap();
    assert!(matches!(rx.recv_timeout(WAIT).unwrap(), Err(Error::WouldDeadlock(_))));
    zk.close().unwrap();
}

#[test]
fn a_double_barrier_of_one() {
    let zk = chrooted("dbarrier-one");
    let b = DoubleBarrier::new(&zk, "/some/path", 1, None).unwrap();
    assert!(!b.participating());
    b.enter(None).unwrap();
    assert!(b.participating());
    let (data, _) = zk.get_data(&b.create_path(), None).unwrap();
    assert_eq!(String::from_utf8(data).unwrap(), format!("{}-{}", hostname(), std::process::id()));
    assert!(zk.exists("/some/path/ready", None).unwrap().is_some());
    b.leave(None).unwrap();
    assert!(!b.participating());
    assert_eq!(zk.get_children("/some/path", None).unwrap().0, Vec::<String>::new());
    assert!(matches!(DoubleBarrier::new(&zk, "/x", 0, None), Err(Error::BadArguments(_))));
    zk.close().unwrap();
}

fn hostname() -> String {
    String::from_utf8(std::process::Command::new("hostname").output().unwrap().stdout).unwrap().trim().to_string()
}

/// Members enter in threads; each reports when its enter returned and when its leave returned.
#[test]
fn three_members_enter_together_and_leave_together() {
    let zk = chrooted("dbarrier-three");
    let members: Vec<Arc<DoubleBarrier>> =
        (0..3).map(|i| Arc::new(DoubleBarrier::new(&zk, "/some/path", 3, Some(&format!("m{i}"))).unwrap())).collect();
    let (entered_tx, entered) = channel();
    let (go_tx, go) = channel::<()>();
    let go = Arc::new(std::sync::Mutex::new(go));
    let (left_tx, left) = channel();
    let mut threads = Vec::new();
    for (i, m) in members.iter().take(2).enumerate() {
        let (m, entered_tx, left_tx, go) = (m.clone(), entered_tx.clone(), left_tx.clone(), go.clone());
        threads.push(std::thread::spawn(move || {
            m.enter(Some(WAIT)).unwrap();
            entered_tx.send(i).unwrap();
            go.lock().unwrap().recv().unwrap();
            m.leave(Some(WAIT)).unwrap();
            left_tx.send(i).unwrap();
        }));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(entered.try_recv().is_err(), "two of three cannot enter");
    assert!(!members[0].participating() && !members[1].participating());
    members[2].enter(Some(WAIT)).unwrap();
    let mut got = vec![entered.recv_timeout(WAIT).unwrap(), entered.recv_timeout(WAIT).unwrap()];
    got.sort();
    assert_eq!(got, vec![0, 1]);
    assert!(members.iter().all(|m| m.participating()));
    // Two leave; they stay blocked while the third is still in.
    go_tx.send(()).unwrap();
    go_tx.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(left.try_recv().is_err(), "nobody leaves before all have left");
    members[2].leave(Some(WAIT)).unwrap();
    left.recv_timeout(WAIT).unwrap();
    left.recv_timeout(WAIT).unwrap();
    for t in threads {
        t.join().unwrap();
    }
    assert!(members.iter().all(|m| !m.participating()));
    assert_eq!(zk.get_children("/some/path", None).unwrap().0, Vec::<String>::new());
    zk.close().unwrap();
}

#[test]
fn two_members_on_two_clients() {
    let root = unique("dbarrier-two");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    let a = connect_to(&format!("{}{root}", hosts()));
    let b = connect_to(&format!("{}{root}", hosts()));
    let (tx, rx) = channel();
    let t = std::thread::spawn(move || {
        let m = DoubleBarrier::new(&b, "/work", 2, Some("b")).unwrap();
        m.enter(Some(WAIT)).unwrap();
        tx.send("b in").unwrap();
        m.leave(Some(WAIT)).unwrap();
        tx.send("b out").unwrap();
        b.close().unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(rx.try_recv().is_err());
    let m = DoubleBarrier::new(&a, "/work", 2, Some("a")).unwrap();
    m.enter(Some(WAIT)).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "b in");
    m.leave(Some(WAIT)).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), "b out");
    t.join().unwrap();
    a.close().unwrap();
}

#[test]
fn a_double_barrier_under_an_ephemeral_parent_cannot_be_entered() {
    let zk = chrooted("dbarrier-ephemeral");
    let b = DoubleBarrier::new(&zk, "/some/path", 1, None).unwrap();
    zk.create("/some", b"", &CreateOptions::ephemeral()).unwrap();
    assert!(matches!(b.enter(Some(WAIT)), Err(Error::NoChildrenForEphemerals(_))));
    assert!(!b.participating());
    zk.close().unwrap();
}

#[test]
fn an_existing_member_node_is_reused() {
    let zk = chrooted("dbarrier-reuse");
    let b = DoubleBarrier::new(&zk, "/some", 1, None).unwrap();
    zk.ensure_path("/some").unwrap();
    zk.create(&b.create_path(), b"", &CreateOptions::ephemeral()).unwrap();
    b.enter(Some(WAIT)).unwrap();
    assert!(b.participating());
    b.leave(Some(WAIT)).unwrap();
    assert!(zk.exists(&b.create_path(), None).unwrap().is_none());
    zk.close().unwrap();
}

#[test]
fn an_enter_that_times_out_leaves_no_member_behind() {
    let zk = chrooted("dbarrier-timeout");
    let b = DoubleBarrier::new(&zk, "/some", 2, None).unwrap();
    let started = Instant::now();
    assert!(matches!(b.enter(Some(Duration::from_millis(300))), Err(Error::Timeout(_))));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!b.participating());
    assert_eq!(zk.get_children("/some", None).unwrap().0, Vec::<String>::new());
    zk.close().unwrap();
}

#[test]
fn close_ends_a_blocked_enter() {
    let zk = chrooted("dbarrier-close");
    let b = Arc::new(DoubleBarrier::new(&zk, "/some", 2, None).unwrap());
    let (tx, rx) = channel();
    let m = b.clone();
    std::thread::spawn(move || tx.send(m.enter(None)).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    zk.close().unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::Closed));
    assert!(!b.participating());
}

#[test]
fn session_loss_ends_a_blocked_enter_and_leave() {
    let root = unique("dbarrier-expire");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let (proxy, zk) = proxied_client(&root);
    let b = Arc::new(DoubleBarrier::new(&zk, "/some", 2, None).unwrap());
    let (tx, rx) = channel();
    let m = b.clone();
    std::thread::spawn(move || tx.send(m.enter(Some(Duration::from_secs(60)))).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    expire(&proxy, &zk);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::SessionExpired));
    assert!(!b.participating());

    // A leave blocked on another member (the lowest waits for the highest) ends the same way.
    let (proxy2, zk2) = proxied_client(&root);
    let mine = Arc::new(DoubleBarrier::new(&zk, "/leave", 2, None).unwrap());
    let theirs = Arc::new(DoubleBarrier::new(&zk2, "/leave", 2, None).unwrap());
    let t2 = theirs.clone();
    let t = std::thread::spawn(move || t2.enter(Some(WAIT)));
    eventually("a new session", || zk.state() == zkrs::State::Connected);
    mine.enter(Some(WAIT)).unwrap();
    t.join().unwrap().unwrap();
    // The member whose node sorts lower waits in leave for the other.
    let (waiter, its_proxy, its_client) =
        if mine.node_name() < theirs.node_name() { (mine, &proxy, &zk) } else { (theirs, &proxy2, &zk2) };
    let (tx, rx) = channel();
    let w = waiter.clone();
    std::thread::spawn(move || tx.send(w.leave(Some(Duration::from_secs(60)))).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "the lowest waits for the other member");
    expire(its_proxy, its_client);
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Err(Error::SessionExpired));
    assert!(!waiter.participating());
    zk2.close().unwrap();
    zk.close().unwrap();
    admin.close().unwrap();
}

#[test]
fn timeouts_hold_while_the_connection_is_down() {
    let root = unique("barrier-suspended");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let (proxy, zk) = proxied_client(&root);
    let b = Barrier::new(&zk, "/gate").unwrap();
    b.create().unwrap();
    // This member gets its node in, then the connection goes while it waits for a second member.
    let m = Arc::new(DoubleBarrier::new(&zk, "/double", 2, None).unwrap());
    let (etx, erx) = channel();
    let m2 = m.clone();
    std::thread::spawn(move || etx.send(m2.enter(Some(Duration::from_millis(1500)))).unwrap());
    let double = format!("{root}/double");
    eventually("the member node is in", || admin.get_children(&double, None).is_ok_and(|(c, _)| c.len() == 1));
    proxy.set_refuse(true);
    proxy.drop_connections();
    eventually("the client notices the cut", || zk.state() == zkrs::State::Connecting);
    let started = Instant::now();
    assert!(!b.wait(Some(Duration::from_millis(300))).unwrap());
    assert!(started.elapsed() < Duration::from_secs(3), "the wait's timeout held: {:?}", started.elapsed());
    assert!(matches!(erx.recv_timeout(Duration::from_secs(5)).unwrap(), Err(Error::Timeout(_))));
    assert!(!m.participating());
    assert_eq!(admin.get_children(&double, None).unwrap().0.len(), 1, "the session lives, so does the node");
    // Back within the session: the node of the failed enter is removed, and a wait sees a removal.
    proxy.set_refuse(false);
    let (tx, rx) = channel();
    std::thread::spawn(move || tx.send(b.wait(Some(WAIT))).unwrap());
    eventually("reconnected", || zk.state() == zkrs::State::Connected);
    eventually("no member left behind", || admin.get_children(&double, None).unwrap().0.is_empty());
    admin.delete(&format!("{root}/gate"), -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Ok(true));
    zk.close().unwrap();
    admin.close().unwrap();
}

#[test]
fn in_poll_mode_a_wait_ends_while_another_thread_dispatches() {
    let root = unique("barrier-poll");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", hosts()));
    cfg.dispatch = zkrs::DispatchMode::Poll;
    let zk = connect_with(cfg);
    let dispatcher = zk.clone();
    let pump = std::thread::spawn(move || while dispatcher.dispatch(Duration::from_millis(50)).is_ok() {});
    let b = Barrier::new(&zk, "/gate").unwrap();
    b.create().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || tx.send(b.wait(Some(WAIT))).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    admin.delete(&format!("{root}/gate"), -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), Ok(true));
    zk.close().unwrap();
    pump.join().unwrap();
    admin.close().unwrap();
}

/// The first member in may leave (deleting `ready`) before the others have looked at `ready` again
/// after its creation woke them: they are in all the same (kazoo's would wait until their timeout).
#[test]
fn members_that_leave_at_once_do_not_lock_out_the_others() {
    let zk = chrooted("dbarrier-rush");
    for round in 0..5 {
        let path = format!("/rush{round}");
        let threads: Vec<_> = (0..3)
            .map(|i| {
                let m = DoubleBarrier::new(&zk, &path, 3, Some(&format!("m{i}"))).unwrap();
                std::thread::spawn(move || {
                    m.enter(Some(WAIT)).unwrap();
                    m.leave(Some(WAIT)).unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().expect("every member entered and left");
        }
    }
    zk.close().unwrap();
}
