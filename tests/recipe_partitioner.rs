//! SetPartitioner against a real server: kazoo's test_partitioner.py scenarios (parties of one, two and
//! three, expansion, members leaving, more members than items, session failure, connection loss), a
//! custom partition function, the znode layout, and bad input.
mod common;

use common::*;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zkrs::recipe::partitioner::{round_robin, PartitionState, PartitionerOptions, SetPartitioner};
use zkrs::{Client, Config, Error};
use zkrs_testserver::{expire_session, Proxy};

/// The calls a partition function saw: (identifier, members, items).
type Calls = Arc<Mutex<Vec<(String, Vec<String>, Vec<String>)>>>;

const BOUNDARY: Duration = Duration::from_millis(200);

fn options(identifier: &str) -> PartitionerOptions {
    PartitionerOptions {
        identifier: Some(identifier.to_string()),
        time_boundary: BOUNDARY,
        max_reaction_time: Duration::from_millis(200),
        ..PartitionerOptions::default()
    }
}

const ITEMS: [&str; 3] = ["0", "1", "2"];

fn member(zk: &Client, path: &str, identifier: &str, items: &[&str]) -> SetPartitioner {
    SetPartitioner::new(zk, path, items, options(identifier)).unwrap()
}

/// Brings every member to ACQUIRED with the same view of the party: a member that acquired before
/// the last one joined is asked to release, as kazoo's users do; then a calm time boundary must
/// pass with everyone still ACQUIRED.
fn wait_all(ps: &[&SetPartitioner], want: PartitionState) {
    assert_eq!(want, PartitionState::Acquired);
    let end = std::time::Instant::now() + WAIT;
    loop {
        for p in ps {
            match p.state() {
                PartitionState::Release => p.release_set().unwrap(),
                PartitionState::Allocating => drop(p.wait_for_acquire(Some(Duration::from_millis(100)))),
                PartitionState::Acquired => {}
                PartitionState::Failure => panic!("{} failed", p.identifier()),
            }
        }
        if ps.iter().all(|p| p.acquired()) {
            std::thread::sleep(BOUNDARY);
            if ps.iter().all(|p| p.acquired()) {
                return;
            }
        }
        assert!(std::time::Instant::now() < end, "the members did not all acquire");
    }
}

fn state_becomes(p: &SetPartitioner, want: PartitionState) {
    eventually(&format!("{} in {want:?}", p.identifier()), || p.state() == want);
}

fn items(p: &SetPartitioner) -> Vec<String> {
    p.acquired_items()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The lock holders' identifiers per item, read from the server (`<path>/locks/<item>` contenders).
fn holders(zk: &Client, path: &str, item: &str) -> Vec<String> {
    zkrs::recipe::lock::Lock::new(zk, &format!("{path}/locks/{item}"), "").unwrap().contenders().unwrap()
}

#[test]
fn a_party_of_one_gets_everything_on_kazoos_layout() {
    let zk = connect();
    let path = unique("part-one");
    let p = member(&zk, &path, "solo", &ITEMS);
    assert_eq!(p.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert!(p.acquired());
    assert_eq!(items(&p), strings(&ITEMS));
    let (party, _) = zk.get_children(&format!("{path}/party"), None).unwrap();
    assert_eq!(party.len(), 1);
    let (uuid, id) = party[0].split_once('-').unwrap();
    assert_eq!((uuid.len(), id), (32, "solo"), "a shallow party member <uuid>-<identifier>");
    for item in ITEMS {
        assert_eq!(holders(&zk, &path, item), vec!["solo"]);
    }
    p.finish().unwrap();
    assert!(p.failed());
    assert!(items(&p).is_empty());
    assert!(zk.get_children(&format!("{path}/party"), None).unwrap().0.is_empty(), "left the party");
    for item in ITEMS {
        assert!(holders(&zk, &path, item).is_empty(), "lock {item} released");
    }
    // FAILURE is final.
    p.release_set().unwrap();
    assert!(p.failed());
}

#[test]
fn a_party_of_two_splits_round_robin_and_the_survivor_takes_over() {
    let zk = connect();
    let path = unique("part-two");
    let a = member(&zk, &path, "0", &ITEMS);
    let b = member(&zk, &path, "1", &ITEMS);
    wait_all(&[&a, &b], PartitionState::Acquired);
    assert_eq!(items(&a), strings(&["0", "2"]));
    assert_eq!(items(&b), strings(&["1"]));
    a.finish().unwrap();
    state_becomes(&b, PartitionState::Release);
    assert_eq!(items(&b), strings(&["1"]), "still held until released");
    b.release_set().unwrap();
    assert!(items(&b).is_empty());
    assert_eq!(b.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert_eq!(items(&b), strings(&ITEMS));
}

#[test]
fn a_new_member_makes_everyone_release_and_reallocate() {
    let zk = connect();
    let path = unique("part-expand");
    let a = member(&zk, &path, "0", &ITEMS);
    let b = member(&zk, &path, "1", &ITEMS);
    wait_all(&[&a, &b], PartitionState::Acquired);
    assert_eq!((items(&a), items(&b)), (strings(&["0", "2"]), strings(&["1"])));
    let (_, seen) = a.state_and_id();
    let c = member(&zk, &path, "2", &ITEMS);
    assert_eq!(a.wait_for_change(seen, Some(WAIT)).unwrap().0, PartitionState::Release);
    state_becomes(&b, PartitionState::Release);
    // The newcomer waits: item 2 is still locked by a.
    assert!(matches!(c.wait_for_acquire(Some(Duration::from_millis(600))).unwrap_err(), Error::Timeout(_)));
    a.release_set().unwrap();
    b.release_set().unwrap();
    wait_all(&[&a, &b, &c], PartitionState::Acquired);
    assert_eq!((items(&a), items(&b), items(&c)), (strings(&["0"]), strings(&["1"]), strings(&["2"])));
    assert_eq!(holders(&zk, &path, "2"), vec!["2"]);
}

#[test]
fn more_members_than_items_leaves_some_with_nothing() {
    let zk = connect();
    let path = unique("part-more");
    let a = member(&zk, &path, "0", &["0"]);
    let b = member(&zk, &path, "1", &["0"]);
    wait_all(&[&a, &b], PartitionState::Acquired);
    assert_eq!((items(&a), items(&b)), (strings(&["0"]), vec![]));
}

#[test]
fn members_on_separate_clients_get_a_disjoint_complete_split_and_a_dropped_one_leaves() {
    let path = unique("part-clients");
    let all: Vec<String> = (0..7).map(|i| format!("q{i}")).collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let clients: Vec<Client> = (0..3).map(|_| connect()).collect();
    let ps: Vec<SetPartitioner> =
        clients.iter().enumerate().map(|(i, zk)| member(zk, &path, &format!("m{i}"), &refs)).collect();
    wait_all(&ps.iter().collect::<Vec<_>>(), PartitionState::Acquired);
    let mut union = BTreeSet::new();
    for p in &ps {
        for item in items(p) {
            assert!(union.insert(item.clone()), "{item} given twice");
        }
    }
    assert_eq!(union.into_iter().collect::<Vec<_>>(), {
        let mut s = all.clone();
        s.sort();
        s
    });
    let members = strings(&["m0", "m1", "m2"]);
    for (i, p) in ps.iter().enumerate() {
        assert_eq!(items(p), round_robin(&format!("m{i}"), &members, &all));
    }
    // Dropping a member releases its locks and leaves; the others re-split between two.
    let mut ps = ps;
    drop(ps.remove(2));
    for p in &ps {
        state_becomes(p, PartitionState::Release);
        p.release_set().unwrap();
    }
    wait_all(&ps.iter().collect::<Vec<_>>(), PartitionState::Acquired);
    let two = strings(&["m0", "m1"]);
    assert_eq!(items(&ps[0]), round_robin("m0", &two, &all));
    assert_eq!(items(&ps[1]), round_robin("m1", &two, &all));
}

#[test]
fn a_custom_partition_function_decides_the_share() {
    let zk = connect();
    let path = unique("part-custom");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let custom = |calls: Calls| {
        Arc::new(move |me: &str, members: &[String], items: &[String]| {
            calls.lock().unwrap().push((me.to_string(), members.to_vec(), items.to_vec()));
            // The first member (by identifier) takes everything but "b".
            if me == members[0] {
                items.iter().filter(|i| *i != "b").cloned().collect()
            } else {
                vec!["b".to_string()]
            }
        }) as zkrs::recipe::partitioner::PartitionFn
    };
    let opts = |id: &str| PartitionerOptions { partition_fn: Some(custom(calls.clone())), ..options(id) };
    let x = SetPartitioner::new(&zk, &path, &["c", "a", "b", "a"], opts("x")).unwrap();
    let y = SetPartitioner::new(&zk, &path, &["c", "a", "b", "a"], opts("y")).unwrap();
    wait_all(&[&x, &y], PartitionState::Acquired);
    assert_eq!(items(&x), strings(&["c", "a"]));
    assert_eq!(items(&y), strings(&["b"]));
    let calls = calls.lock().unwrap();
    let last_x = calls.iter().rev().find(|c| c.0 == "x").unwrap();
    assert_eq!(last_x.1, strings(&["x", "y"]), "members sorted");
    assert_eq!(last_x.2, strings(&["c", "a", "b"]), "items as given, duplicates removed");
}

fn proxied_client(proxy: &Proxy) -> Client {
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    connect_with(cfg)
}

fn new_proxy() -> Proxy {
    Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap()
}

#[test]
fn session_expiry_fails_the_partitioner_and_frees_its_items() {
    let proxy = new_proxy();
    let doomed_zk = proxied_client(&proxy);
    let zk = connect();
    let path = unique("part-expire");
    let doomed = member(&doomed_zk, &path, "0", &ITEMS);
    let other = member(&zk, &path, "1", &ITEMS);
    wait_all(&[&doomed, &other], PartitionState::Acquired);
    proxy.set_refuse(true);
    proxy.drop_connections();
    let (id, password) = doomed_zk.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    state_becomes(&other, PartitionState::Release);
    other.release_set().unwrap();
    assert_eq!(other.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert_eq!(items(&other), strings(&ITEMS));
    proxy.set_refuse(false);
    state_becomes(&doomed, PartitionState::Failure);
    assert_eq!(doomed.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Failure);
    assert!(items(&doomed).is_empty());
    doomed.release_set().unwrap();
    assert!(doomed.failed(), "FAILURE is final");
}

#[test]
fn a_connection_loss_asks_for_a_release_and_the_same_split_comes_back() {
    let proxy = new_proxy();
    let zk = proxied_client(&proxy);
    let path = unique("part-connloss");
    let a = member(&zk, &path, "0", &ITEMS);
    let b = member(&zk, &path, "1", &ITEMS);
    wait_all(&[&a, &b], PartitionState::Acquired);
    proxy.drop_connections();
    state_becomes(&a, PartitionState::Release);
    state_becomes(&b, PartitionState::Release);
    eventually("reconnected", || zk.kazoo_state() == zkrs::KazooState::Connected);
    a.release_set().unwrap();
    b.release_set().unwrap();
    wait_all(&[&a, &b], PartitionState::Acquired);
    assert_eq!((items(&a), items(&b)), (strings(&["0", "2"]), strings(&["1"])));
    // And it still reacts to the party after the reconnection.
    let c = member(&zk, &path, "2", &ITEMS);
    state_becomes(&a, PartitionState::Release);
    state_becomes(&b, PartitionState::Release);
    a.release_set().unwrap();
    b.release_set().unwrap();
    wait_all(&[&a, &b, &c], PartitionState::Acquired);
    assert_eq!((items(&a), items(&b), items(&c)), (strings(&["0"]), strings(&["1"]), strings(&["2"])));
}

#[test]
fn closing_the_client_fails_a_waiting_partitioner() {
    let zk = connect();
    let path = unique("part-close");
    let slow = PartitionerOptions { time_boundary: Duration::from_secs(30), ..options("slow") };
    let p = Arc::new(SetPartitioner::new(&zk, &path, &ITEMS, slow).unwrap());
    assert!(matches!(p.wait_for_acquire(Some(Duration::from_millis(300))).unwrap_err(), Error::Timeout(_)));
    assert!(p.allocating());
    let waiter = p.clone();
    let t = std::thread::spawn(move || waiter.wait_for_acquire(None));
    std::thread::sleep(Duration::from_millis(100));
    zk.close().unwrap();
    assert_eq!(t.join().unwrap().unwrap(), PartitionState::Failure);
}

#[test]
fn bad_input_is_refused() {
    let zk = connect();
    let path = unique("part-bad");
    let bad = |p: &str, items: &[&str], id: &str| SetPartitioner::new(&zk, p, items, options(id)).err().unwrap();
    assert!(matches!(bad("no-slash", &ITEMS, "a"), Error::InvalidPath { .. }));
    assert!(matches!(bad(&path, &["ok", "a/b"], "a"), Error::InvalidPath { .. }));
    assert!(matches!(bad(&path, &[""], "a"), Error::InvalidPath { .. }));
    assert!(matches!(bad(&path, &[".."], "a"), Error::InvalidPath { .. }));
    assert!(matches!(bad(&path, &ITEMS, "a/b"), Error::InvalidPath { .. }));
    // A default identifier is <host>-<pid>.
    let p = SetPartitioner::new(&zk, &path, &ITEMS, PartitionerOptions { identifier: None, ..options("") }).unwrap();
    assert!(p.identifier().ends_with(&format!("-{}", std::process::id())), "{}", p.identifier());
    assert_eq!(p.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    zk.close().unwrap();
    assert!(SetPartitioner::new(&zk, &path, &ITEMS, options("late")).is_err());
}

#[test]
fn dropping_leaves_at_once_and_ends_the_partition_function() {
    let zk = connect();
    let path = unique("part-drop");
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let func: zkrs::recipe::partitioner::PartitionFn = Arc::new(move |me, members, items| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        round_robin(me, members, items)
    });
    let p = SetPartitioner::new(&zk, &path, &ITEMS, PartitionerOptions { partition_fn: Some(func), ..options("d") })
        .unwrap();
    assert_eq!(p.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    drop(p);
    assert!(zk.get_children(&format!("{path}/party"), None).unwrap().0.is_empty(), "left before drop returned");
    for item in ITEMS {
        assert!(holders(&zk, &path, item).is_empty(), "lock {item} released before drop returned");
    }
    let after_drop = calls.load(std::sync::atomic::Ordering::SeqCst);
    // A party change would make a live member partition again.
    let other = member(&zk, &path, "e", &ITEMS);
    assert_eq!(other.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert_eq!(items(&other), strings(&ITEMS));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), after_drop, "no call after drop");
}

#[test]
fn waiting_inside_a_callback_of_the_client_is_refused() {
    let zk = connect();
    let path = unique("part-callback");
    let p = Arc::new(member(&zk, &path, "cb", &ITEMS));
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = p.clone();
    zk.get_data_async("/", None, move |_| {
        let _ = tx.send((inner.wait_for_acquire(Some(WAIT)).err(), inner.wait_for_change(0, Some(WAIT)).err()));
    })
    .unwrap();
    let (acquire, change) = rx.recv_timeout(WAIT).unwrap();
    assert!(matches!(acquire, Some(Error::WouldDeadlock(_))), "{acquire:?}");
    assert!(matches!(change, Some(Error::WouldDeadlock(_))), "{change:?}");
    assert_eq!(p.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
}
