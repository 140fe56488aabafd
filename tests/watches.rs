//! One-shot and persistent watches: each registration answered exactly once, with the right type and path.
mod common;

use common::*;
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zkrs::error::codes;
use zkrs::*;

fn ev(t: EventType, p: &str) -> WatchedEvent {
    WatchedEvent { event_type: t, path: p.into() }
}

const QUIET: Duration = Duration::from_millis(300);

#[test]
fn data_watch_fires_once_on_change_and_on_delete() {
    let zk = chrooted("wdata");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let (w, rx) = watcher();
    zk.get_data("/n", Some(w)).unwrap();
    zk.set_data("/n", b"1", -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/n"));
    zk.set_data("/n", b"2", -1).unwrap();
    assert!(rx.recv_timeout(QUIET).is_err(), "one-shot watch fired twice");
    let (w, rx) = watcher();
    zk.get_data("/n", Some(w)).unwrap();
    zk.delete("/n", -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDeleted, "/n"));
    zk.close().unwrap();
}

#[test]
fn exists_watch_fires_on_creation() {
    let zk = chrooted("wexists");
    let (w, rx) = watcher();
    assert_eq!(zk.exists("/later", Some(w)).unwrap(), None);
    zk.create("/later", b"", &CreateOptions::default()).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeCreated, "/later"));
    zk.close().unwrap();
}

#[test]
fn child_watch_fires_on_child_change_and_parent_delete() {
    let zk = chrooted("wchild");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let (w, rx) = watcher();
    zk.get_children("/p", Some(w)).unwrap();
    zk.set_data("/p", b"data changes do not trigger child watches", -1).unwrap();
    zk.create("/p/c", b"", &CreateOptions::default()).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeChildrenChanged, "/p"));
    assert!(rx.recv_timeout(QUIET).is_err());
    zk.delete("/p/c", -1).unwrap();
    let (w, rx) = watcher();
    zk.get_children("/p", Some(w)).unwrap();
    zk.delete("/p", -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDeleted, "/p"));
    zk.close().unwrap();
}

#[test]
fn a_watch_on_a_failed_read_is_released_not_called() {
    let zk = chrooted("wfail");
    struct Flag(Arc<Mutex<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = true;
        }
    }
    let dropped = Arc::new(Mutex::new(false));
    let flag = Flag(dropped.clone());
    let (tx, rx) = channel::<WatchedEvent>();
    let w: Watcher = Box::new(move |e| {
        let _keep = &flag;
        tx.send(e).unwrap();
    });
    assert_eq!(zk.get_data("/missing", Some(w)).unwrap_err().code(), codes::NO_NODE);
    eventually("watcher released", || *dropped.lock().unwrap());
    zk.create("/missing", b"", &CreateOptions::default()).unwrap();
    assert!(rx.recv_timeout(QUIET).is_err());
    zk.close().unwrap();
}

#[test]
fn persistent_watch_sees_every_event_until_removed() {
    let zk = chrooted("wpersist");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let (tx, rx) = channel();
    let id = zk.add_watch("/p", AddWatchMode::Persistent, move |e| drop(tx.send(e))).unwrap();
    zk.set_data("/p", b"1", -1).unwrap();
    zk.set_data("/p", b"2", -1).unwrap();
    zk.create("/p/c", b"", &CreateOptions::default()).unwrap();
    zk.set_data("/p/c", b"not seen: not recursive", -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/p"));
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/p"));
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeChildrenChanged, "/p"));
    assert!(rx.recv_timeout(QUIET).is_err());
    zk.check_watches("/p", WatcherType::Persistent).unwrap();
    zk.remove_watch(id).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::PersistentWatchRemoved, "/p"));
    zk.set_data("/p", b"3", -1).unwrap();
    assert!(rx.recv_timeout(QUIET).is_err());
    assert_eq!(zk.remove_watch(id).unwrap_err().code(), codes::NO_WATCHER);
    zk.close().unwrap();
}

#[test]
fn persistent_recursive_watch_sees_descendants() {
    let zk = chrooted("wrec");
    zk.create("/r", b"", &CreateOptions::default()).unwrap();
    let (tx, rx) = channel();
    zk.add_watch("/r", AddWatchMode::PersistentRecursive, move |e| drop(tx.send(e))).unwrap();
    zk.create("/r/a", b"", &CreateOptions::default()).unwrap();
    zk.create("/r/a/b", b"", &CreateOptions::default()).unwrap();
    zk.set_data("/r/a/b", b"x", -1).unwrap();
    zk.delete("/r/a/b", -1).unwrap();
    let want = [
        ev(EventType::NodeCreated, "/r/a"),
        ev(EventType::NodeCreated, "/r/a/b"),
        ev(EventType::NodeDataChanged, "/r/a/b"),
        ev(EventType::NodeDeleted, "/r/a/b"),
    ];
    for w in want {
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), w);
    }
    zk.remove_watches("/r", WatcherType::PersistentRecursive, false).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::PersistentWatchRemoved, "/r"));
    zk.create("/r/z", b"", &CreateOptions::default()).unwrap();
    assert!(rx.recv_timeout(QUIET).is_err());
    zk.close().unwrap();
}

#[test]
fn remove_watches_answers_each_watcher_with_a_removal_event() {
    let zk = chrooted("wremove");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let (w1, rx1) = watcher();
    let (w2, rx2) = watcher();
    zk.get_data("/n", Some(w1)).unwrap();
    zk.get_children("/n", Some(w2)).unwrap();
    assert_eq!(zk.remove_watches("/other", WatcherType::Any, false).unwrap_err().code(), codes::NO_WATCHER);
    zk.remove_watches("/n", WatcherType::Data, false).unwrap();
    assert_eq!(rx1.recv_timeout(WAIT).unwrap(), ev(EventType::DataWatchRemoved, "/n"));
    zk.remove_watches("/n", WatcherType::Children, true).unwrap();
    assert_eq!(rx2.recv_timeout(WAIT).unwrap(), ev(EventType::ChildWatchRemoved, "/n"));
    zk.set_data("/n", b"x", -1).unwrap();
    assert!(rx1.recv_timeout(QUIET).is_err());
    assert_eq!(zk.check_watches("/n", WatcherType::Any).unwrap_err().code(), codes::NO_WATCHER);
    zk.close().unwrap();
}

#[test]
fn close_ends_every_watch_with_a_terminal_event() {
    let zk = chrooted("wclose");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let (w, rx) = watcher();
    zk.get_data("/n", Some(w)).unwrap();
    let (tx, prx) = channel();
    zk.add_watch("/n", AddWatchMode::Persistent, move |e| drop(tx.send(e))).unwrap();
    zk.close().unwrap();
    // Delivered before close returned.
    assert_eq!(rx.try_recv().unwrap(), ev(EventType::ClientClosed, "/n"));
    assert_eq!(prx.try_recv().unwrap(), ev(EventType::ClientClosed, "/n"));
}

#[test]
fn watch_events_arrive_before_the_reply_that_caused_them() {
    let zk = chrooted("worder");
    zk.create("/n", b"", &CreateOptions::default()).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l1 = log.clone();
    zk.get_data("/n", Some(Box::new(move |_| l1.lock().unwrap().push("event")))).unwrap();
    let (tx, rx) = channel();
    let l2 = log.clone();
    zk.set_data_async("/n", b"x", -1, move |_| {
        l2.lock().unwrap().push("reply");
        tx.send(()).unwrap();
    })
    .unwrap();
    rx.recv_timeout(WAIT).unwrap();
    assert_eq!(*log.lock().unwrap(), vec!["event", "reply"]);
    zk.close().unwrap();
}

/// The server's list of watched paths (`wchp`), to see what it still watches for this client.
fn server_watches(zk: &Client) -> String {
    zk.command("wchp").unwrap()
}

#[test]
fn removing_a_persistent_watch_removes_it_on_the_server_too() {
    let root = unique("wrmserver");
    let zk = connect();
    zk.ensure_path(&format!("{root}/p")).unwrap();
    let (alone, mixed) = (format!("{root}/p"), format!("{root}/m"));
    zk.ensure_path(&mixed).unwrap();
    let a = zk.add_watch(&alone, AddWatchMode::PersistentRecursive, |_| {}).unwrap();
    let m = zk.add_watch(&mixed, AddWatchMode::Persistent, |_| {}).unwrap();
    let (w, rx) = watcher();
    zk.get_data(&mixed, Some(w)).unwrap();
    assert!(server_watches(&zk).contains(&alone));
    zk.remove_watch(a).unwrap();
    eventually("the server forgot the recursive watch", || !server_watches(&zk).contains(&alone));
    // Another watch of this client on the path: that one must keep working on the server.
    zk.remove_watch(m).unwrap();
    zk.set_data(&mixed, b"x", -1).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, &mixed));
    zk.delete_recursive(&root).unwrap();
    zk.close().unwrap();
}

#[test]
fn persistent_watches_survive_one_shot_watches_on_the_same_path() {
    let zk = chrooted("wmixed");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    zk.create("/q/c", b"", &CreateOptions::default().with_makepath()).unwrap();
    let (tx, persistent) = channel();
    zk.add_watch("/p", AddWatchMode::Persistent, move |e| drop(tx.send(e))).unwrap();
    let (tx, recursive) = channel();
    zk.add_watch("/q", AddWatchMode::PersistentRecursive, move |e| drop(tx.send(e))).unwrap();
    // Before 3.9 the server keeps one mode per path: these would turn both watches into one-shots.
    let (w, data_rx) = watcher();
    zk.get_data("/p", Some(w)).unwrap();
    let (w, child_rx) = watcher();
    zk.get_children("/p", Some(w)).unwrap();
    let (w, exists_rx) = watcher();
    zk.exists("/q", Some(w)).unwrap();
    zk.set_data("/p", b"1", -1).unwrap();
    assert_eq!(data_rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/p"));
    zk.create("/p/d", b"", &CreateOptions::default()).unwrap();
    assert_eq!(child_rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeChildrenChanged, "/p"));
    zk.set_data("/q", b"1", -1).unwrap();
    assert_eq!(exists_rx.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/q"));
    zk.set_data("/p", b"2", -1).unwrap();
    zk.set_data("/q/c", b"deep", -1).unwrap();
    let p: Vec<_> = (0..3).map(|_| persistent.recv_timeout(WAIT).unwrap().event_type).collect();
    assert_eq!(p, [EventType::NodeDataChanged, EventType::NodeChildrenChanged, EventType::NodeDataChanged]);
    assert_eq!(recursive.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/q"));
    assert_eq!(recursive.recv_timeout(WAIT).unwrap(), ev(EventType::NodeDataChanged, "/q/c"));
    assert!(data_rx.recv_timeout(QUIET).is_err(), "the one-shot fired once");
    zk.close().unwrap();
}

/// Watches the client re-adds on its own (after a one-shot watch overrode a persistent one on a pre-3.9
/// server) go out while other threads write their sync requests straight to the socket: replies must
/// still match requests in order.
#[test]
fn watches_re_added_by_the_client_keep_order_with_sync_calls_of_other_threads() {
    let zk = chrooted("wrace");
    let states = record_states(&zk);
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    zk.add_watch("/p", AddWatchMode::Persistent, |_| {}).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (zk, stop) = (zk.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    zk.exists("/p", None).unwrap();
                }
            })
        })
        .collect();
    for _ in 0..300 {
        zk.get_data("/p", Some(Box::new(|_| {}))).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let seen = states.lock().unwrap().clone();
    assert!(seen.iter().all(|e| e.kazoo_state == KazooState::Connected), "the connection dropped: {seen:?}");
    zk.close().unwrap();
}
