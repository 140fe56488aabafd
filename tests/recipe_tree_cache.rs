//! TreeCache against a real server: kazoo's scenarios (test_cache.py) and more: a tree of 1000 nodes,
//! a connection cut by a proxy with changes made meanwhile, a real session expiry, faults, and the
//! server-side watch gone after close.
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zkrs::recipe::{TreeCache, TreeEventType as T};
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

type Seen = Arc<Mutex<Vec<(T, Option<String>, Option<Vec<u8>>, Option<i32>)>>>;

fn listen(cache: &TreeCache) -> Seen {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    cache.listen(move |ev| {
        let d = ev.data.as_ref();
        s.lock().unwrap().push((
            ev.event_type,
            d.map(|n| n.path.clone()),
            d.map(|n| n.data.clone()),
            d.map(|n| n.stat.version),
        ));
    });
    seen
}

fn kinds(seen: &Seen) -> Vec<(T, Option<String>)> {
    seen.lock().unwrap().iter().map(|(t, p, _, _)| (*t, p.clone())).collect()
}

fn wait_for(seen: &Seen, t: T, path: Option<&str>) {
    eventually(&format!("{t:?} {path:?}"), || {
        seen.lock().unwrap().iter().any(|(k, p, _, _)| *k == t && p.as_deref() == path)
    });
}

fn started(zk: &Client, root: &str) -> (TreeCache, Seen) {
    let cache = TreeCache::new(zk, root).unwrap();
    let seen = listen(&cache);
    cache.start().unwrap();
    wait_for(&seen, T::Initialized, None);
    (cache, seen)
}

fn opts() -> CreateOptions {
    CreateOptions::default()
}

const QUIET: Duration = Duration::from_millis(300);

#[test]
fn start_reads_the_tree_then_initialized() {
    let zk = chrooted("tcstart");
    zk.create("/r/a/x", b"ax", &opts().with_makepath()).unwrap();
    zk.create("/r/b", b"b", &opts()).unwrap();
    let (cache, seen) = started(&zk, "/r");
    let got = kinds(&seen);
    assert_eq!(got.last(), Some(&(T::Initialized, None)));
    let mut added: Vec<_> = got.iter().filter(|(t, _)| *t == T::NodeAdded).map(|(_, p)| p.clone().unwrap()).collect();
    assert!(added.iter().position(|p| p == "/r/a") < added.iter().position(|p| p == "/r/a/x"), "parents first");
    added.sort();
    assert_eq!(added, vec!["/r", "/r/a", "/r/a/x", "/r/b"]);
    assert_eq!(cache.get_data("/r/a/x").unwrap().unwrap().data, b"ax");
    assert_eq!(cache.get_data("/r").unwrap().unwrap().stat.version, 0);
    assert_eq!(cache.get_children("/r").unwrap().unwrap(), vec!["a", "b"]);
    assert_eq!(cache.get_children("/r/b").unwrap().unwrap(), Vec::<String>::new());
    assert_eq!(cache.get_data("/r/nope").unwrap(), None);
    assert_eq!(cache.get_children("/r/nope").unwrap(), None);
    for outside in ["/x", "/rr", "/"] {
        assert_eq!(cache.get_data(outside).unwrap_err().code(), error::codes::BAD_ARGUMENTS, "{outside}");
        assert_eq!(cache.get_children(outside).unwrap_err().code(), error::codes::BAD_ARGUMENTS);
    }
    assert_eq!(cache.start().unwrap_err().code(), error::codes::BAD_ARGUMENTS, "started twice");
    cache.close();
    assert_eq!(cache.start().unwrap_err().code(), error::codes::BAD_ARGUMENTS, "started after close");
    zk.close().unwrap();
}

#[test]
fn start_creates_a_missing_root() {
    let zk = chrooted("tcroot");
    let (cache, seen) = started(&zk, "/made/here");
    assert!(zk.exists("/made/here", None).unwrap().is_some());
    assert_eq!(kinds(&seen), vec![(T::NodeAdded, Some("/made/here".into())), (T::Initialized, None)]);
    drop(cache);
    zk.close().unwrap();
}

#[test]
fn node_added_updated_removed_with_data_and_versions() {
    let zk = chrooted("tcops");
    let (_cache, seen) = started(&zk, "/r");
    seen.lock().unwrap().clear();
    zk.create("/r/n", b"v0", &opts()).unwrap();
    wait_for(&seen, T::NodeAdded, Some("/r/n"));
    zk.set_data("/r/n", b"v1", -1).unwrap();
    wait_for(&seen, T::NodeUpdated, Some("/r/n"));
    zk.delete("/r/n", -1).unwrap();
    wait_for(&seen, T::NodeRemoved, Some("/r/n"));
    std::thread::sleep(QUIET);
    let p = Some("/r/n".to_string());
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![
            (T::NodeAdded, p.clone(), Some(b"v0".to_vec()), Some(0)),
            (T::NodeUpdated, p.clone(), Some(b"v1".to_vec()), Some(1)),
            (T::NodeRemoved, p, Some(b"v1".to_vec()), Some(1)),
        ],
        "REMOVED carries the last data"
    );
    zk.close().unwrap();
}

#[test]
fn subtrees_are_added_top_down_and_removed_bottom_up() {
    let zk = chrooted("tcsub");
    let (cache, seen) = started(&zk, "/r");
    seen.lock().unwrap().clear();
    zk.create("/r/foo/bar/baz", b"", &opts().with_makepath()).unwrap();
    wait_for(&seen, T::NodeAdded, Some("/r/foo/bar/baz"));
    zk.delete_recursive("/r/foo").unwrap();
    wait_for(&seen, T::NodeRemoved, Some("/r/foo"));
    std::thread::sleep(QUIET);
    let s = |p: &str| Some(p.to_string());
    assert_eq!(
        kinds(&seen),
        vec![
            (T::NodeAdded, s("/r/foo")),
            (T::NodeAdded, s("/r/foo/bar")),
            (T::NodeAdded, s("/r/foo/bar/baz")),
            (T::NodeRemoved, s("/r/foo/bar/baz")),
            (T::NodeRemoved, s("/r/foo/bar")),
            (T::NodeRemoved, s("/r/foo")),
        ]
    );
    assert_eq!(cache.get_children("/r").unwrap().unwrap(), Vec::<String>::new());
    zk.close().unwrap();
}

#[test]
fn a_deleted_root_is_added_again_when_recreated() {
    let zk = chrooted("tcrecreate");
    let (cache, seen) = started(&zk, "/r");
    seen.lock().unwrap().clear();
    zk.delete("/r", -1).unwrap();
    wait_for(&seen, T::NodeRemoved, Some("/r"));
    assert_eq!(cache.get_data("/r").unwrap(), None);
    zk.create("/r", b"again", &opts()).unwrap();
    wait_for(&seen, T::NodeAdded, Some("/r"));
    assert_eq!(cache.get_data("/r").unwrap().unwrap().data, b"again");
    zk.close().unwrap();
}

#[test]
fn a_thousand_nodes() {
    let zk = chrooted("tcbig");
    zk.create("/r", b"", &opts()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..10 {
        zk.create(&format!("/r/d{i}"), b"", &opts()).unwrap();
        for j in 0..99 {
            let tx = tx.clone();
            zk.create_async(&format!("/r/d{i}/n{j}"), format!("{i}.{j}").as_bytes(), &opts(), move |r| {
                tx.send(r.map(drop)).unwrap()
            })
            .unwrap();
        }
    }
    for _ in 0..990 {
        rx.recv_timeout(WAIT).unwrap().unwrap();
    }
    let (cache, seen) = started(&zk, "/r");
    let added = kinds(&seen).iter().filter(|(t, _)| *t == T::NodeAdded).count();
    assert_eq!(added, 1001, "the root, 10 directories and 990 leaves");
    assert_eq!(cache.get_children("/r").unwrap().unwrap().len(), 10);
    for i in 0..10 {
        assert_eq!(cache.get_children(&format!("/r/d{i}")).unwrap().unwrap().len(), 99);
    }
    assert_eq!(cache.get_data("/r/d7/n42").unwrap().unwrap().data, b"7.42");
    seen.lock().unwrap().clear();
    zk.set_data("/r/d3/n3", b"changed", -1).unwrap();
    wait_for(&seen, T::NodeUpdated, Some("/r/d3/n3"));
    assert_eq!(cache.get_data("/r/d3/n3").unwrap().unwrap().data, b"changed");
    zk.delete_recursive("/r/d9").unwrap();
    wait_for(&seen, T::NodeRemoved, Some("/r/d9"));
    assert_eq!(kinds(&seen).iter().filter(|(t, _)| *t == T::NodeRemoved).count(), 100);
    // One watch for the whole tree, and it is gone from the server after close.
    let root = format!("{}/r", zk.chroot());
    assert!(zk.command("wchp").unwrap().contains(&root));
    cache.close();
    assert_eq!(cache.get_data("/r/d1").unwrap(), None, "close releases the copy");
    eventually("the server forgot the watch", || !zk.command("wchp").unwrap().contains(&root));
    zk.close().unwrap();
}

#[test]
fn close_stops_events_and_releases_listeners() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let zk = chrooted("tcclose");
    let cache = TreeCache::new(&zk, "/r").unwrap();
    let seen = listen(&cache);
    let released = Arc::new(AtomicBool::new(false));
    let flag = Flag(released.clone());
    let slow = Arc::new(AtomicBool::new(false));
    let after_close = Arc::new(AtomicBool::new(false));
    let (s, a) = (slow.clone(), after_close.clone());
    cache.listen(move |ev| {
        let _keep = &flag;
        assert!(!a.load(Ordering::SeqCst), "a listener ran after close returned");
        if ev.data.as_ref().is_some_and(|d| d.path == "/r/slow") {
            s.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    // A foreign watch on the same path is not the cache's to remove.
    let (w, foreign) = watcher();
    cache.start().unwrap();
    wait_for(&seen, T::Initialized, None);
    zk.get_data("/r", Some(w)).unwrap();
    zk.create("/r/slow", b"", &opts()).unwrap();
    eventually("the slow listener runs", || slow.load(Ordering::SeqCst));
    cache.close();
    after_close.store(true, Ordering::SeqCst);
    assert!(released.load(Ordering::SeqCst), "listeners released by close");
    let n = seen.lock().unwrap().len();
    zk.create("/r/later", b"", &opts()).unwrap();
    zk.set_data("/r", b"x", -1).unwrap();
    assert_eq!(foreign.recv_timeout(WAIT).unwrap().event_type, EventType::NodeDataChanged);
    std::thread::sleep(QUIET);
    assert_eq!(seen.lock().unwrap().len(), n, "no event after close");
    zk.close().unwrap();
}

#[test]
fn faults_go_to_fault_listeners() {
    let zk = chrooted("tcfault");
    let secret = make_digest_acl("someone", "else", perms::ALL);
    zk.create("/r/locked", b"", &CreateOptions { acl: Some(vec![secret]), ..opts() }.with_makepath()).unwrap();
    let cache = TreeCache::new(&zk, "/r").unwrap();
    let faults = Arc::new(Mutex::new(Vec::new()));
    let f = faults.clone();
    cache.listen_fault(move |e| f.lock().unwrap().push(e.code()));
    let seen = listen(&cache);
    cache.start().unwrap();
    eventually("a NoAuth fault", || faults.lock().unwrap().contains(&error::codes::NO_AUTH));
    wait_for(&seen, T::NodeAdded, Some("/r"));
    cache.close();
    zk.close().unwrap();
}

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
    Proxied { proxy, zk: connect_with(cfg), root }
}

#[test]
fn a_reconnect_re_reads_the_tree_and_catches_up() {
    let p = proxied("tcreconnect");
    let zk = &p.zk;
    zk.create("/r/same", b"s", &opts().with_makepath()).unwrap();
    zk.create("/r/changes", b"0", &opts()).unwrap();
    zk.create("/r/goes/deep", b"", &opts().with_makepath()).unwrap();
    let (cache, seen) = started(zk, "/r");
    seen.lock().unwrap().clear();
    let admin = connect();
    let abs = |q: &str| format!("{}{q}", p.root);
    p.proxy.set_refuse(true);
    p.proxy.drop_connections();
    wait_for(&seen, T::ConnectionSuspended, None);
    admin.set_data(&abs("/r/changes"), b"1", -1).unwrap();
    admin.delete_recursive(&abs("/r/goes")).unwrap();
    admin.create(&abs("/r/new"), b"n", &opts()).unwrap();
    p.proxy.set_refuse(false);
    wait_for(&seen, T::ConnectionReconnected, None);
    wait_for(&seen, T::NodeAdded, Some("/r/new"));
    wait_for(&seen, T::NodeRemoved, Some("/r/goes"));
    wait_for(&seen, T::NodeUpdated, Some("/r/changes"));
    std::thread::sleep(QUIET);
    let got = kinds(&seen);
    assert_eq!(got[..2], [(T::ConnectionSuspended, None), (T::ConnectionReconnected, None)]);
    let mut rest = got[2..].to_vec();
    rest.sort_by(|a, b| a.1.cmp(&b.1));
    let s = |q: &str| Some(q.to_string());
    assert_eq!(
        rest,
        vec![
            (T::NodeUpdated, s("/r/changes")),
            (T::NodeRemoved, s("/r/goes")),
            (T::NodeRemoved, s("/r/goes/deep")),
            (T::NodeAdded, s("/r/new")),
        ],
        "no spurious events for unchanged nodes, no second INITIALIZED in the same session"
    );
    assert_eq!(cache.get_children("/r").unwrap().unwrap(), vec!["changes", "new", "same"]);
    // The watch works on the new connection.
    admin.set_data(&abs("/r/same"), b"t", -1).unwrap();
    wait_for(&seen, T::NodeUpdated, Some("/r/same"));
    admin.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn session_expiry_re_syncs_in_the_new_session() {
    let zk = chrooted("tcexpire");
    zk.create("/r/a", b"", &opts().with_makepath()).unwrap();
    let (cache, seen) = started(&zk, "/r");
    seen.lock().unwrap().clear();
    let (id, password) = zk.client_id();
    expire_session(&server().connect_string(), id, &password).unwrap();
    wait_for(&seen, T::ConnectionLost, None);
    wait_for(&seen, T::Initialized, None);
    let got: Vec<_> = kinds(&seen).into_iter().filter(|(t, _)| *t != T::ConnectionSuspended).collect();
    assert_eq!(got, vec![(T::ConnectionLost, None), (T::ConnectionReconnected, None), (T::Initialized, None)]);
    assert_ne!(zk.session_id(), id);
    // The watch was added again in the new session.
    zk.create("/r/b", b"", &opts()).unwrap();
    wait_for(&seen, T::NodeAdded, Some("/r/b"));
    assert_eq!(cache.get_children("/r").unwrap().unwrap(), vec!["a", "b"]);
    zk.close().unwrap();
}
