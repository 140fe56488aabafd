//! Shared test support: one real ZooKeeper per test binary, unique paths, and event collectors.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use zkrs::{Client, Config, StateEvent, WatchedEvent, Watcher};
use zkrs_testserver::{Ensemble, ServerOptions, ZkServer};

pub mod kazoo;

pub const WAIT: Duration = Duration::from_secs(10);

/// Options every shared server runs with: TTL nodes, and fast container/TTL reaping.
pub fn shared_options() -> ServerOptions {
    ServerOptions {
        extended_types: true,
        jvm_props: vec![("znode.container.checkIntervalMs".into(), "300".into())],
        ..ServerOptions::default()
    }
}

/// The server shared by the tests of this binary (never stopped by a test).
pub fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| ZkServer::start_with(shared_options()).expect("start ZooKeeper"))
}

/// A 3-member ensemble whose membership tests may change (reconfigEnabled, ACLs skipped so anyone may),
/// and the index of a follower that is not member 0: removing it keeps a client of member 0 connected.
pub fn reconfigurable_ensemble() -> (Ensemble, usize) {
    let opts = ServerOptions {
        reconfig: true,
        jvm_props: vec![("zookeeper.skipACL".into(), "yes".into())],
        ..ServerOptions::default()
    };
    let ensemble = Ensemble::start_with(3, opts).expect("start a reconfigurable ensemble");
    let leader = ensemble.leader();
    let follower = (1..3).find(|i| Some(*i) != leader).unwrap();
    (ensemble, follower)
}

pub fn hosts() -> String {
    server().connect_string()
}

/// A path prefix nobody else uses.
pub fn unique(name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("/t-{name}-{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

pub fn connect_to(hosts: &str) -> Client {
    let c = Client::new(Config::new(hosts)).unwrap();
    c.start(WAIT).unwrap();
    c
}

pub fn connect() -> Client {
    connect_to(&hosts())
}

pub fn connect_with(config: Config) -> Client {
    let c = Client::new(config).unwrap();
    c.start(WAIT).unwrap();
    c
}

/// A client chrooted to a fresh node, so the test sees an empty tree.
pub fn chrooted(name: &str) -> Client {
    let root = unique(name);
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    connect_to(&format!("{}{}", hosts(), root))
}

/// A one-shot watcher that sends its event to the returned receiver.
pub fn watcher() -> (Watcher, Receiver<WatchedEvent>) {
    let (tx, rx) = channel();
    (Box::new(move |e| drop(tx.send(e))), rx)
}

/// A state listener recording every event.
pub fn record_states(c: &Client) -> Arc<Mutex<Vec<StateEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    c.add_state_listener(move |e| s.lock().unwrap().push(*e));
    seen
}

/// Polls `f` until it is true or `WAIT` passes.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + WAIT * 3;
    while std::time::Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for: {what}");
}
