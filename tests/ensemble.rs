//! A 3-server ensemble: failover keeps the session and its watches; read-only mode when quorum is lost.
mod common;

use common::*;
use std::time::Duration;
use zkrs::error::codes;
use zkrs::*;
use zkrs_testserver::{Ensemble, ServerOptions};

fn member_of(ens: &Ensemble, zk: &Client) -> usize {
    let server = zk.current_server().unwrap();
    (0..3).find(|i| server.ends_with(&format!(":{}", ens.member_port(*i)))).unwrap()
}

#[test]
fn failover_to_another_member_keeps_session_and_watches() {
    let mut ens = Ensemble::start_with(3, ServerOptions::default()).unwrap();
    let mut cfg = Config::new(&ens.connect_string());
    cfg.session_timeout = Duration::from_secs(8);
    let zk = connect_with(cfg);
    zk.create("/w", b"", &CreateOptions::default()).unwrap();
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    let (w, rx) = watcher();
    zk.get_data("/w", Some(w)).unwrap();
    let (ptx, prx) = std::sync::mpsc::channel();
    zk.add_watch("/", AddWatchMode::PersistentRecursive, move |e| drop(ptx.send(e))).unwrap();
    let session = zk.session_id();
    let first = member_of(&ens, &zk);
    ens.stop_member(first);
    eventually("reconnected to another member", || zk.state() == State::Connected && member_of(&ens, &zk) != first);
    assert_eq!(zk.session_id(), session);
    let other = (0..3).find(|i| *i != first).unwrap();
    let admin = connect_to(&ens.member_connect_string(other));
    admin.set_data("/w", b"after failover", -1).unwrap();
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        WatchedEvent { event_type: EventType::NodeDataChanged, path: "/w".into() }
    );
    assert_eq!(prx.recv_timeout(WAIT).unwrap().path, "/w");
    assert!(admin.exists("/e", None).unwrap().is_some(), "the ephemeral survived the failover");
    admin.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn read_only_mode_when_the_quorum_is_lost() {
    // A read-only server can only create local sessions (a global session is not re-attached there).
    let opts = ServerOptions {
        read_only_mode: true,
        extra_config: vec![
            ("localSessionsEnabled".into(), "true".into()),
            ("localSessionsUpgradingEnabled".into(), "true".into()),
        ],
        ..ServerOptions::default()
    };
    let mut ens = Ensemble::start_with(3, opts).unwrap();
    let admin = connect_to(&ens.member_connect_string(0));
    admin.create("/ro", b"data", &CreateOptions::default()).unwrap();
    admin.close().unwrap();
    ens.stop_member(1);
    ens.stop_member(2);
    eventually("member 0 read-only", || ens.member_mode(0).as_deref() == Some("read-only"));
    let mut cfg = Config::new(&ens.connect_string());
    cfg.read_only = true;
    cfg.randomize_hosts = false;
    cfg.session_timeout = Duration::from_secs(8);
    let ro = connect_with(cfg);
    let states = record_states(&ro);
    assert_eq!(ro.state(), State::ConnectedReadOnly);
    assert_eq!(ro.kazoo_state(), KazooState::Connected);
    assert_eq!(ro.get_data("/ro", None).unwrap().0, b"data");
    assert_eq!(ro.set_data("/ro", b"x", -1).unwrap_err().code(), codes::NOT_READ_ONLY);
    ens.start_member(1).unwrap();
    ens.start_member(2).unwrap();
    eventually("back to read-write", || ro.state() == State::Connected);
    ro.set_data("/ro", b"x", -1).unwrap();
    assert!(states.lock().unwrap().iter().any(|e| e.state == State::Connected));
    ro.close().unwrap();
}

#[test]
fn get_config_and_reconfig() {
    let (ens, victim) = reconfigurable_ensemble();
    let zk = connect_to(&ens.member_connect_string(0));
    let (w, rx) = watcher();
    let (config, stat) = zk.get_config(Some(w)).unwrap();
    let config = String::from_utf8(config).unwrap();
    assert!(config.contains("server.1=") && config.contains("server.3="), "{config}");
    assert!(config.contains("version="), "{config}");
    // Remove a follower the client is not connected to, so the change does not cut the connection.
    let (changed, new_stat) = zk.reconfig(None, Some(&format!("{}", victim + 1)), None, -1).unwrap();
    let changed = String::from_utf8(changed).unwrap();
    assert!(!changed.contains(&format!("server.{}=", victim + 1)) && changed.contains("server.1="), "{changed}");
    assert!(new_stat.mzxid > stat.mzxid);
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        WatchedEvent { event_type: EventType::NodeDataChanged, path: "/zookeeper/config".into() }
    );
    // A stale expected version is refused (the membership change may cut connections meanwhile).
    let policy = RetryPolicy { max_tries: 20, delay: Duration::from_millis(100), ..RetryPolicy::default() };
    let stale = zk.retry(&policy, || zk.reconfig(None, Some("1"), None, 1));
    assert_eq!(stale.unwrap_err().code(), codes::BAD_VERSION);
    zk.close().unwrap();
}
