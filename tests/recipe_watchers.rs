//! DataWatch, ChildrenWatch and PatientChildrenWatch against a real server: kazoo's scenarios
//! (test_watchers.py), plus what kazoo gets wrong: no duplicate calls, the server-side watch removed on
//! stop, no call after stop returns, reconnects and expiry for real (a proxy, a second connection).
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zkrs::recipe::{ChildrenWatch, ChildrenWatchOptions, DataWatch, PatientChildrenWatch};
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

type Calls = Arc<Mutex<Vec<(Option<Vec<u8>>, Option<EventType>)>>>;

/// A DataWatch recording every call; it goes on while `go_on` is true.
fn record_data(zk: &Client, path: &str) -> (DataWatch, Calls) {
    let calls: Calls = Arc::default();
    let c = calls.clone();
    let w = DataWatch::new(zk, path, move |data, stat, ev| {
        assert_eq!(data.is_some(), stat.is_some());
        c.lock().unwrap().push((data.map(<[u8]>::to_vec), ev.map(|e| e.event_type)));
        true
    })
    .unwrap();
    (w, calls)
}

fn datas(calls: &Calls) -> Vec<Option<Vec<u8>>> {
    calls.lock().unwrap().iter().map(|(d, _)| d.clone()).collect()
}

fn wait_len<T>(what: &str, v: &Arc<Mutex<Vec<T>>>, n: usize) {
    eventually(what, || v.lock().unwrap().len() >= n);
}

const QUIET: Duration = Duration::from_millis(300);

/// A chrooted client through a TCP proxy, to cut its connection for real.
struct Proxied {
    proxy: Proxy,
    zk: Client,
    root: String,
}

fn proxied(name: &str) -> Proxied {
    let root = unique(name);
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = Duration::from_secs(6);
    let zk = connect_with(cfg);
    Proxied { proxy, zk, root }
}

fn expire(zk: &Client) {
    let (id, password) = zk.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    eventually("a new session", || zk.session_id() != id && zk.state() == State::Connected);
}

fn server_watches(zk: &Client) -> String {
    zk.command("wchp").unwrap()
}

#[test]
fn data_watch_follows_absence_creation_changes_and_deletion() {
    let zk = chrooted("dwfollow");
    let (w, calls) = record_data(&zk, "/n");
    // kazoo: called before the constructor returns, with None for a missing node and no event.
    assert_eq!(calls.lock().unwrap().clone(), vec![(None, None)]);
    zk.create("/n", b"a", &CreateOptions::default()).unwrap();
    wait_len("created", &calls, 2);
    zk.set_data("/n", b"b", -1).unwrap();
    wait_len("changed", &calls, 3);
    zk.delete("/n", -1).unwrap();
    wait_len("deleted", &calls, 4);
    zk.create("/n", b"c", &CreateOptions::default()).unwrap();
    wait_len("re-created", &calls, 5);
    std::thread::sleep(QUIET);
    let got = calls.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![
            (None, None),
            (Some(b"a".to_vec()), Some(EventType::NodeCreated)),
            (Some(b"b".to_vec()), Some(EventType::NodeDataChanged)),
            (None, Some(EventType::NodeDeleted)),
            (Some(b"c".to_vec()), Some(EventType::NodeCreated)),
        ]
    );
    assert!(!w.is_stopped());
    zk.close().unwrap();
    assert!(w.is_stopped(), "closing the client ends the watch");
}

#[test]
fn data_watch_sees_the_final_state_of_a_burst_without_duplicates() {
    let zk = chrooted("dwburst");
    zk.create("/n", b"0", &CreateOptions::default()).unwrap();
    let versions = Arc::new(Mutex::new(Vec::new()));
    let v = versions.clone();
    let _w = DataWatch::new(&zk, "/n", move |_, stat, _| {
        v.lock().unwrap().push(stat.unwrap().version);
        true
    })
    .unwrap();
    for i in 1..=50 {
        zk.set_data_async("/n", format!("{i}").as_bytes(), -1, |r| assert!(r.is_ok())).unwrap();
    }
    eventually("last version seen", || versions.lock().unwrap().last() == Some(&50));
    std::thread::sleep(QUIET);
    let seen = versions.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "every call shows a newer state: {seen:?}");
    zk.close().unwrap();
}

#[test]
fn returning_false_stops_and_removes_the_watch_from_the_server() {
    let root = unique("dwfalse");
    let zk = connect();
    zk.ensure_path(&root).unwrap();
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    let w = DataWatch::new(&zk, &root, move |_, _, _| {
        *c.lock().unwrap() += 1;
        false
    })
    .unwrap();
    assert_eq!(*calls.lock().unwrap(), 1);
    eventually("stopped", || w.is_stopped());
    eventually("the server forgot the watch", || !server_watches(&zk).contains(&root));
    zk.set_data(&root, b"x", -1).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(*calls.lock().unwrap(), 1);
    zk.delete(&root, -1).unwrap();
    zk.close().unwrap();
}

#[test]
fn stop_waits_for_a_running_call_and_no_call_follows() {
    let zk = chrooted("dwstop");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let inside = Arc::new(AtomicBool::new(false));
    let after_stop = Arc::new(AtomicBool::new(false));
    let (i, a) = (inside.clone(), after_stop.clone());
    let w = DataWatch::new(&zk, "/n", move |data, _, _| {
        assert!(!a.load(Ordering::SeqCst), "called after stop returned");
        if data == Some(b"slow") {
            i.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
        }
        true
    })
    .unwrap();
    zk.set_data("/n", b"slow", -1).unwrap();
    eventually("the slow call started", || inside.load(Ordering::SeqCst));
    w.stop();
    after_stop.store(true, Ordering::SeqCst);
    zk.set_data("/n", b"more", -1).unwrap();
    std::thread::sleep(QUIET);
    // A second handle (clone) reports the same watch.
    assert!(w.clone().is_stopped());
    zk.close().unwrap();
}

#[test]
fn stop_from_inside_the_function_makes_that_call_the_last() {
    let zk = chrooted("dwstopin");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let handle: Arc<Mutex<Option<DataWatch>>> = Arc::default();
    let calls = Arc::new(Mutex::new(0));
    let (h, c) = (handle.clone(), calls.clone());
    let w = DataWatch::new(&zk, "/n", move |data, _, _| {
        *c.lock().unwrap() += 1;
        if data == Some(b"stop") {
            h.lock().unwrap().as_ref().unwrap().stop();
        }
        true
    })
    .unwrap();
    *handle.lock().unwrap() = Some(w.clone());
    zk.set_data("/n", b"stop", -1).unwrap();
    eventually("stopped", || w.is_stopped());
    zk.set_data("/n", b"after", -1).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(*calls.lock().unwrap(), 2);
    zk.close().unwrap();
}

#[test]
fn the_function_is_released_after_its_last_call() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let zk = chrooted("dwdrop");
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Flag(dropped.clone());
    let w = DataWatch::new(&zk, "/n", move |_, _, _| {
        let _keep = &flag;
        true
    })
    .unwrap();
    assert!(!dropped.load(Ordering::SeqCst));
    w.stop();
    assert!(dropped.load(Ordering::SeqCst), "stop drops the function before it returns");
    let flag2 = Flag(Arc::new(AtomicBool::new(false)));
    let dropped2 = flag2.0.clone();
    let _w2 = DataWatch::new(&zk, "/m", move |_, _, _| {
        let _keep = &flag2;
        true
    })
    .unwrap();
    zk.close().unwrap();
    assert!(dropped2.load(Ordering::SeqCst), "close ends every watch");
}

#[test]
fn data_watch_reads_again_after_a_reconnect() {
    let p = proxied("dwreconnect");
    p.zk.create("/n", b"before", &CreateOptions::default()).unwrap();
    let (_w, calls) = record_data(&p.zk, "/n");
    let admin = connect();
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    eventually("disconnected", || p.zk.state() == State::Connecting);
    // Changed while the client is away: the persistent watch cannot tell, the re-read does.
    admin.set_data(&format!("{}/n", p.root), b"while away", -1).unwrap();
    p.proxy.set_refuse(false);
    wait_len("the change made while away", &calls, 2);
    std::thread::sleep(QUIET);
    assert_eq!(datas(&calls), vec![Some(b"before".to_vec()), Some(b"while away".to_vec())]);
    // And the watch still works on the new connection.
    admin.set_data(&format!("{}/n", p.root), b"after", -1).unwrap();
    wait_len("a change after the reconnect", &calls, 3);
    admin.close().unwrap();
    p.zk.close().unwrap();
}

#[test]
fn data_watch_goes_on_in_a_new_session() {
    let zk = chrooted("dwexpire");
    zk.create("/n", b"1", &CreateOptions::default()).unwrap();
    let (_w, calls) = record_data(&zk, "/n");
    expire(&zk);
    zk.set_data("/n", b"2", -1).unwrap();
    eventually("change in the new session", || datas(&calls).last() == Some(&Some(b"2".to_vec())));
    std::thread::sleep(QUIET);
    assert_eq!(datas(&calls), vec![Some(b"1".to_vec()), Some(b"2".to_vec())], "no duplicate calls");
    zk.close().unwrap();
}

#[test]
fn data_watch_first_call_comes_with_dispatch_in_poll_mode() {
    let mut cfg = Config::new(&hosts());
    cfg.dispatch = DispatchMode::Poll;
    let zk = connect_with(cfg);
    while zk.dispatch(Duration::from_millis(50)).unwrap() > 0 {}
    let root = unique("dwpoll");
    zk.create(&root, b"x", &CreateOptions::default()).unwrap();
    let (_w, calls) = record_data(&zk, &root);
    assert!(calls.lock().unwrap().is_empty(), "callbacks run only inside dispatch");
    for _ in 0..50 {
        zk.dispatch(Duration::from_millis(100)).unwrap();
        if !calls.lock().unwrap().is_empty() {
            break;
        }
    }
    assert_eq!(datas(&calls), vec![Some(b"x".to_vec())]);
    zk.delete(&root, -1).unwrap();
    zk.close().unwrap();
}

#[test]
fn children_watch_needs_the_node_and_ends_with_it() {
    let zk = chrooted("cwnode");
    let called = Arc::new(AtomicBool::new(false));
    let c = called.clone();
    let r = ChildrenWatch::new(&zk, "/missing", ChildrenWatchOptions::default(), move |_, _| {
        c.store(true, Ordering::SeqCst);
        true
    });
    assert_eq!(r.err().unwrap().code(), error::codes::NO_NODE);
    assert!(!called.load(Ordering::SeqCst));

    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let w = ChildrenWatch::new(&zk, "/p", ChildrenWatchOptions::default(), move |children, ev| {
        assert!(ev.is_none(), "no events without send_event");
        let mut c = children.to_vec();
        c.sort();
        s.lock().unwrap().push(c);
        true
    })
    .unwrap();
    zk.create("/p/fred", b"", &CreateOptions::default()).unwrap();
    wait_len("fred", &seen, 2);
    zk.set_data("/p", b"data changes are not child changes", -1).unwrap();
    zk.delete("/p/fred", -1).unwrap();
    wait_len("fred gone", &seen, 3);
    zk.delete("/p", -1).unwrap();
    eventually("deleting the node stops the watch", || w.is_stopped());
    let empty: Vec<String> = Vec::new();
    assert_eq!(seen.lock().unwrap().clone(), vec![empty.clone(), vec!["fred".to_string()], empty]);
    zk.close().unwrap();
}

#[test]
fn children_watch_with_events() {
    let zk = chrooted("cwevent");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    let opts = ChildrenWatchOptions { send_event: true, ..Default::default() };
    let w = ChildrenWatch::new(&zk, "/p", opts, move |children, ev| {
        e.lock().unwrap().push((children.len(), ev.map(|e| e.event_type)));
        children.len() < 2
    })
    .unwrap();
    zk.create("/p/a", b"", &CreateOptions::default()).unwrap();
    wait_len("a", &events, 2);
    zk.create("/p/b", b"", &CreateOptions::default()).unwrap();
    eventually("returning false stops", || w.is_stopped());
    zk.create("/p/c", b"", &CreateOptions::default()).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(
        events.lock().unwrap().clone(),
        vec![(0, None), (1, Some(EventType::NodeChildrenChanged)), (2, Some(EventType::NodeChildrenChanged))]
    );
    zk.close().unwrap();
}

#[test]
fn children_watch_across_session_expiry() {
    let zk = chrooted("cwexpire");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let _w = ChildrenWatch::new(&zk, "/p", ChildrenWatchOptions::default(), move |children, _| {
        s.lock().unwrap().push(children.len());
        true
    })
    .unwrap();
    let strict = Arc::new(Mutex::new(Vec::new()));
    let s2 = strict.clone();
    let opts = ChildrenWatchOptions { allow_session_lost: false, ..Default::default() };
    let w_strict = ChildrenWatch::new(&zk, "/p", opts, move |children, _| {
        s2.lock().unwrap().push(children.len());
        true
    })
    .unwrap();
    expire(&zk);
    eventually("without allow_session_lost the watch stops", || w_strict.is_stopped());
    zk.create("/p/new", b"", &CreateOptions::default()).unwrap();
    wait_len("the new child", &seen, 2);
    std::thread::sleep(QUIET);
    assert_eq!(seen.lock().unwrap().clone(), vec![0, 1], "no call for the unchanged list after expiry");
    assert_eq!(strict.lock().unwrap().clone(), vec![0]);
    zk.close().unwrap();
}

#[test]
fn patient_children_watch_waits_for_calm() {
    let zk = chrooted("patient");
    let missing = PatientChildrenWatch::new(&zk, "/missing", Duration::from_millis(100));
    assert_eq!(missing.start(Some(WAIT)).unwrap_err().code(), error::codes::NO_NODE);

    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let watch = PatientChildrenWatch::new(&zk, "/p", Duration::from_millis(400));
    let zk2 = zk.clone();
    let churn = std::thread::spawn(move || {
        for name in ["a", "b"] {
            std::thread::sleep(Duration::from_millis(150));
            zk2.create(&format!("/p/{name}"), b"", &CreateOptions::default()).unwrap();
        }
    });
    let started = std::time::Instant::now();
    let (mut children, changed) = watch.start(Some(WAIT)).unwrap();
    churn.join().unwrap();
    children.sort();
    assert_eq!(children, vec!["a", "b"], "changes inside the boundary postpone the result");
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert!(!changed.has_changed());
    zk.create("/p/c", b"", &CreateOptions::default()).unwrap();
    assert_eq!(changed.wait(Some(WAIT)).unwrap().event_type, EventType::NodeChildrenChanged);
    let quick = PatientChildrenWatch::new(&zk, "/p", Duration::from_secs(5));
    assert_eq!(quick.start(Some(Duration::from_millis(200))).unwrap_err().code(), error::codes::TIMEOUT);
    zk.close().unwrap();
}
