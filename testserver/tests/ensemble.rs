//! A real 3-member ensemble: a leader, failover, a member coming back, pause, quorum loss, read-only mode,
//! and session expiry across members. One test, so that no more than 3 JVMs run at once.
mod common;

use common::*;
use std::time::{Duration, Instant};
use zkrs_testserver::{expire_session, four_letter, Ensemble, ServerOptions};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn ensemble_of_three() {
    let started = Instant::now();
    let mut ens = Ensemble::start_with(3, ServerOptions::new().read_only_mode(true)).unwrap();
    eprintln!("ensemble up in {:?}", started.elapsed());
    assert_eq!(ens.size(), 3);
    let hosts = ens.connect_string();
    assert_eq!(hosts.split(',').count(), 3);
    for i in 0..3 {
        assert_eq!(ens.member_connect_string(i), format!("127.0.0.1:{}", ens.member_port(i)));
        assert!(hosts.contains(&ens.member_connect_string(i)));
        let mode = ens.member_mode(i).unwrap();
        assert!(mode == "leader" || mode == "follower", "{mode}");
        assert!(ens.member_dir(i).join("data/myid").exists());
    }
    let leader = ens.leader().expect("a leader");
    assert_eq!((0..3).filter(|&i| ens.member_mode(i).as_deref() == Some("leader")).count(), 1);
    assert!(ens.four_letter(leader, "srvr").unwrap().contains("Mode: leader"));

    // A session on one member, a node written through another: the ensemble replicates.
    let follower = (0..3).find(|&i| i != leader).unwrap();
    let mut s = connect(&ens.member_connect_string(follower), 0, &[0; 16], 30_000).unwrap();
    assert_eq!(create(&mut s, 1, "/replicated", 0, None).unwrap(), 0);
    let mut t = connect(&ens.member_connect_string(leader), 0, &[0; 16], 30_000).unwrap();
    assert_eq!(create(&mut t, 1, "/replicated", 0, None).unwrap(), -110, "NODEEXISTS elsewhere");

    // Stop the leader: the other two elect a new one and keep serving.
    ens.stop_member(leader);
    assert!(!ens.is_member_running(leader));
    assert_eq!(ens.member_mode(leader), None);
    let t0 = Instant::now();
    let new_leader = ens.wait_for_leader(WAIT).unwrap();
    eprintln!("new leader after {:?}", t0.elapsed());
    assert_ne!(new_leader, leader);
    for i in (0..3).filter(|&i| i != leader) {
        eventually("the rest serve", WAIT, || matches!(ens.member_mode(i).as_deref(), Some("leader" | "follower")));
    }
    let mut u = connect(&ens.member_connect_string(new_leader), 0, &[0; 16], 30_000).unwrap();
    assert_eq!(create(&mut u, 1, "/while-one-is-down", 0, None).unwrap(), 0);

    // Bring it back: start_member waits until it serves as a follower.
    ens.start_member(leader).unwrap();
    assert_eq!(ens.member_mode(leader).as_deref(), Some("follower"));
    ens.start_member(leader).unwrap(); // already running: nothing happens

    // Pause a member: it answers nothing until resumed; the ensemble keeps serving.
    let paused = (0..3).find(|&i| i != new_leader).unwrap();
    ens.pause_member(paused);
    assert!(four_letter(&ens.member_connect_string(paused), "srvr", Duration::from_millis(500)).is_err());
    assert_eq!(ens.member_mode(paused), None);
    assert!(ens.leader().is_some());
    ens.resume_member(paused);
    eventually("paused member serves again", WAIT, || ens.member_mode(paused).is_some());

    // Session expiry through any member. A member that was just resumed may still drop a new session
    // while it re-syncs with the leader, so the session is made until one answers a ping.
    let mut session = None;
    eventually("a session on member 0", WAIT, || {
        session =
            connect(&ens.member_connect_string(0), 0, &[0; 16], 30_000).and_then(|mut v| ping(&mut v).map(|()| v)).ok();
        session.is_some()
    });
    let v = session.unwrap();
    expire_session(&ens.connect_string(), v.session_id, &v.password).unwrap();
    let gone = connect(&ens.member_connect_string(2), v.session_id, &v.password, 30_000).unwrap();
    assert_eq!((gone.timeout, gone.session_id), (0, 0));

    // Lose the quorum: the survivor goes read-only (readonlymode.enabled).
    ens.stop_member(1);
    ens.stop_member(2);
    eventually("survivor is read-only", WAIT, || ens.member_mode(0).as_deref() == Some("read-only"));
    assert_eq!(ens.leader(), None);
    // With every member down, start_member cannot wait for a quorum: it returns once the JVM answers.
    ens.stop_member(0);
    let t1 = Instant::now();
    ens.start_member(0).unwrap();
    eprintln!("member 0 answers alone after {:?}", t1.elapsed());
    assert!(!matches!(ens.member_mode(0).as_deref(), Some("leader" | "follower")));
    // With a second member there is a quorum again, and start_member waits until it serves.
    let t2 = Instant::now();
    ens.start_member(1).unwrap();
    eprintln!("member 1 serves after {:?}", t2.elapsed());
    assert!(matches!(ens.member_mode(1).as_deref(), Some("leader" | "follower")));
    eventually("member 0 joins", WAIT, || matches!(ens.member_mode(0).as_deref(), Some("leader" | "follower")));
    ens.start_member(2).unwrap();
    assert!(ens.leader().is_some());
    let dir = ens.dir().to_path_buf();
    drop(ens);
    assert!(!dir.exists());
}

#[test]
fn one_member_ensemble_runs_standalone() {
    // QuorumPeerMain with a single server falls back to a standalone server.
    let mut ens = Ensemble::start(1).unwrap();
    assert_eq!(ens.member_mode(0).as_deref(), Some("standalone"));
    ens.stop_member(0);
    ens.start_member(0).unwrap();
    assert_eq!(ens.member_mode(0).as_deref(), Some("standalone"));
}
