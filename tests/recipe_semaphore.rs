//! Semaphore against a real server: kazoo's TestSemaphore scenarios, then faults (expired sessions,
//! many threads in several clients while connections drop).
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkrs::recipe::semaphore::Semaphore;
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

fn new_proxy() -> Proxy {
    Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap()
}

fn proxied_client(proxy: &Proxy) -> Client {
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    connect_with(cfg)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn basic_acquire_and_release_use_kazoos_nodes() {
    let zk = connect();
    let path = unique("sem-basic");
    let sem = Semaphore::new(&zk, &path, "fred", 1).unwrap();
    assert!(sem.acquire(true, None).unwrap());
    assert!(sem.is_acquired());
    assert_eq!(zk.get_data(&path, None).unwrap().0, b"1", "the limit is the node's data");
    let leases = zk.get_children(&path, None).unwrap().0;
    assert_eq!(leases.len(), 1);
    assert!(leases[0].len() == 32 && leases[0].bytes().all(|b| b.is_ascii_hexdigit()), "{leases:?}");
    assert_eq!(zk.get_data(&format!("{path}/{}", leases[0]), None).unwrap().0, b"fred");
    assert!(zk.exists(&format!("{path}-__lock__"), None).unwrap().is_some(), "the lock is a sibling");
    assert!(zk.get_children(&format!("{path}-__lock__"), None).unwrap().0.is_empty(), "and released");
    assert!(sem.release().unwrap());
    assert!(!sem.is_acquired());
    assert!(zk.get_children(&path, None).unwrap().0.is_empty());
    assert!(Semaphore::new(&zk, &path, "x", 0).is_err());
}

#[test]
fn one_lease_makes_the_second_wait_for_the_first() {
    let zk = connect();
    let path = unique("sem-one");
    let first = Semaphore::new(&zk, &path, "first", 1).unwrap();
    assert!(first.acquire(true, None).unwrap());
    let second = Arc::new(Semaphore::new(&connect(), &path, "second", 1).unwrap());
    let s = second.clone();
    let waiting = std::thread::spawn(move || s.acquire(true, Some(WAIT)));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiting.is_finished());
    assert_eq!(first.lease_holders().unwrap(), vec!["first"]);
    first.release().unwrap();
    assert!(waiting.join().unwrap().unwrap());
    assert_eq!(first.lease_holders().unwrap(), vec!["second"]);
    second.release().unwrap();
}

#[test]
fn non_blocking_acquires_respect_the_limit() {
    let zk = connect();
    let path = unique("sem-nb");
    let sem1 = Semaphore::new(&zk, &path, "sem1", 2).unwrap();
    let sem2 = Semaphore::new(&zk, &path, "sem2", 2).unwrap();
    let sem3 = Semaphore::new(&zk, &path, "sem3", 2).unwrap();
    assert!(sem1.acquire(false, None).unwrap());
    assert!(sem2.acquire(false, None).unwrap());
    assert!(!sem3.acquire(false, None).unwrap());
    assert_eq!(sorted(sem3.lease_holders().unwrap()), vec!["sem1", "sem2"]);
    assert!(!sem3.release().unwrap(), "a failed acquire has nothing to release");
    sem2.release().unwrap();
    assert!(sem3.acquire(false, None).unwrap());
    assert_eq!(sorted(sem1.lease_holders().unwrap()), vec!["sem1", "sem3"]);
    sem1.release().unwrap();
    sem3.release().unwrap();
}

#[test]
fn holders_are_visible_to_other_objects_and_acquire_is_idempotent() {
    let zk = connect();
    let path = unique("sem-holders");
    let sem = Semaphore::new(&zk, &path, "fred", 1).unwrap();
    let other = Semaphore::new(&zk, &path, "other", 1).unwrap();
    assert!(other.lease_holders().unwrap().is_empty());
    assert!(sem.acquire(true, None).unwrap());
    assert!(sem.acquire(true, None).unwrap(), "acquiring again while holding is a no-op (kazoo)");
    assert_eq!(other.lease_holders().unwrap(), vec!["fred"]);
    assert!(sem.release().unwrap());
    assert!(!sem.release().unwrap());
    // Re-acquire after release.
    assert!(sem.acquire(true, Some(WAIT)).unwrap());
    sem.release().unwrap();
}

#[test]
fn cancel_ends_a_blocked_acquire_and_a_later_one_works() {
    let zk = connect();
    let path = unique("sem-cancel");
    let holder = Semaphore::new(&zk, &path, "holder", 1).unwrap();
    assert!(holder.acquire(true, None).unwrap());
    let waiter = Arc::new(Semaphore::new(&zk, &path, "waiter", 1).unwrap());
    waiter.cancel(); // before any acquire: affects nothing
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, None));
    std::thread::sleep(Duration::from_millis(200));
    waiter.cancel();
    assert!(matches!(waiting.join().unwrap(), Err(Error::Cancelled(_))));
    assert_eq!(holder.lease_holders().unwrap(), vec!["holder"]);
    assert!(zk.get_children(&format!("{path}-__lock__"), None).unwrap().0.is_empty(), "its lock contender is gone");
    holder.release().unwrap();
    assert!(waiter.acquire(true, Some(WAIT)).unwrap());
    waiter.release().unwrap();
}

#[test]
fn a_different_stored_limit_is_refused_unless_it_is_not_a_number() {
    let zk = connect();
    let path = unique("sem-limit");
    let one = Semaphore::new(&zk, &path, "one", 1).unwrap();
    assert!(one.acquire(true, None).unwrap());
    let two = Semaphore::new(&zk, &path, "two", 2).unwrap();
    assert!(matches!(two.acquire(true, Some(WAIT)), Err(Error::BadArguments(_))));
    one.release().unwrap();

    let other = unique("sem-other-data");
    zk.create(&other, b"a$", &CreateOptions::default()).unwrap();
    let a = Semaphore::new(&zk, &other, "a", 1).unwrap();
    let b = Semaphore::new(&zk, &other, "b", 2).unwrap();
    assert!(a.acquire(true, None).unwrap());
    assert!(b.acquire(true, Some(WAIT)).unwrap(), "data that is not a number is not checked");
    a.release().unwrap();
    b.release().unwrap();
}

#[test]
fn a_timed_out_acquire_fails_in_time_and_leaves_nothing() {
    let zk = connect();
    let path = unique("sem-timeout");
    let holder = Semaphore::new(&zk, &path, "holder", 1).unwrap();
    assert!(holder.acquire(true, None).unwrap());
    let waiter = Semaphore::new(&zk, &path, "waiter", 1).unwrap();
    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    assert!(matches!(waiter.acquire(true, Some(timeout)), Err(Error::Timeout(_))));
    assert!(started.elapsed() >= timeout && started.elapsed() < timeout + Duration::from_secs(3));
    assert_eq!(holder.lease_holders().unwrap(), vec!["holder"]);
    assert!(zk.get_children(&format!("{path}-__lock__"), None).unwrap().0.is_empty());
    holder.release().unwrap();
}

#[test]
fn session_loss_ends_a_waiter_and_frees_a_holders_lease() {
    let proxy = new_proxy();
    let lossy = proxied_client(&proxy);
    let zk = connect();
    let path = unique("sem-expire");
    // A waiter whose session expires gets SESSION_EXPIRED, not a hang.
    let holder = Semaphore::new(&zk, &path, "holder", 1).unwrap();
    assert!(holder.acquire(true, None).unwrap());
    let waiter = Arc::new(Semaphore::new(&lossy, &path, "waiter", 1).unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, None));
    std::thread::sleep(Duration::from_millis(200));
    proxy.set_refuse(true);
    proxy.drop_connections();
    let (id, password) = lossy.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    proxy.set_refuse(false);
    assert_eq!(waiting.join().unwrap(), Err(Error::SessionExpired));
    eventually("the new session is up", || lossy.state() == State::Connected);
    // In the new session it holds a lease once the holder is gone; then it loses it by expiry.
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, Some(WAIT)));
    std::thread::sleep(Duration::from_millis(100));
    holder.release().unwrap();
    assert!(waiting.join().unwrap().unwrap());
    let lost = Arc::new(AtomicBool::new(false));
    let l = lost.clone();
    waiter.set_lost_listener(Some(Arc::new(move || l.store(true, Ordering::SeqCst))));
    proxy.set_refuse(true);
    proxy.drop_connections();
    let (id, password) = lossy.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    assert!(holder.acquire(true, Some(WAIT)).unwrap(), "the expired lease is free again");
    proxy.set_refuse(false);
    eventually("the old holder is told", || lost.load(Ordering::SeqCst));
    assert!(!waiter.is_acquired());
    assert_eq!(holder.lease_holders().unwrap(), vec!["holder"]);
    holder.release().unwrap();
}

#[test]
fn twenty_threads_in_four_clients_never_exceed_the_limit_while_connections_drop() {
    const MAX: u32 = 3;
    let proxies: Vec<Proxy> = (0..4).map(|_| new_proxy()).collect();
    let clients: Vec<Client> = proxies.iter().map(proxied_client).collect();
    let path = unique("sem-hammer");
    let inside = Arc::new(AtomicI32::new(0));
    let max_seen = Arc::new(AtomicI32::new(0));
    let entries = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let sem = Semaphore::new(&clients[i % 4], &path, &format!("t{i}"), MAX).unwrap();
            let (inside, max_seen, entries) = (inside.clone(), max_seen.clone(), entries.clone());
            std::thread::spawn(move || {
                for _ in 0..5 {
                    match sem.acquire(true, Some(WAIT * 2)) {
                        Ok(true) => {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            max_seen.fetch_max(now, Ordering::SeqCst);
                            entries.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(5));
                            inside.fetch_sub(1, Ordering::SeqCst);
                            sem.release().unwrap();
                        }
                        Ok(false) => panic!("a blocking acquire returned false"),
                        Err(Error::Timeout(_)) => {}
                        Err(e) => panic!("unexpected error {e}"),
                    }
                }
            })
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
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
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let _proxies = cutter.join().unwrap();
    assert!(max_seen.load(Ordering::SeqCst) <= MAX as i32, "more holders than leases");
    let entered = entries.load(Ordering::SeqCst);
    assert!(entered >= 50, "only {entered} of 100 acquires succeeded");
    let admin = connect();
    eventually("no lease left", || admin.get_children(&path, None).unwrap().0.is_empty());
    eventually("no lock contender left", || {
        admin.get_children(&format!("{path}-__lock__"), None).unwrap().0.is_empty()
    });
}

#[test]
fn close_ends_a_blocked_acquire_with_closed() {
    let zk = connect();
    let other = connect();
    let path = unique("sem-close");
    let holder = Semaphore::new(&zk, &path, "holder", 1).unwrap();
    assert!(holder.acquire(true, None).unwrap());
    let waiter = Arc::new(Semaphore::new(&other, &path, "waiter", 1).unwrap());
    let w = waiter.clone();
    let waiting = std::thread::spawn(move || w.acquire(true, None));
    std::thread::sleep(Duration::from_millis(200));
    other.close().unwrap();
    // Closing is the caller's doing, not a lost session: kazoo's state is LOST, the error says Closed.
    assert!(matches!(waiting.join().unwrap(), Err(Error::Closed | Error::Closing)));
    holder.release().unwrap();
}
