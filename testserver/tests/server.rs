//! A standalone server against the real thing: start, stop, restart on the same port with the same data,
//! pause and resume, options.
mod common;

use common::*;
use std::time::{Duration, Instant};
use zkrs_testserver::{four_letter, zookeeper_classpath, Proxy, ServerOptions, ZkServer};

#[test]
fn start_stop_restart_keeps_port_data_and_sessions() {
    let started = Instant::now();
    let mut zk = ZkServer::start().unwrap();
    eprintln!("standalone server up in {:?}", started.elapsed());
    let port = zk.port();
    assert_eq!(zk.connect_string(), format!("127.0.0.1:{port}"));
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    assert_eq!(zk.four_letter("ruok").unwrap(), "imok");
    assert!(zk.data_dir().starts_with(std::env::temp_dir()));
    assert!(zk.log_file().exists());
    let dir = zk.dir().to_path_buf();

    let mut s = connect(&zk.connect_string(), 0, &[0; 16], 30_000).unwrap();
    assert!(s.timeout > 0 && s.session_id != 0);
    assert_eq!(create(&mut s, 1, "/kept", 0, None).unwrap(), 0);
    let first_pid = zk.pid().unwrap();

    zk.stop();
    assert!(!zk.is_running());
    assert!(four_letter(&zk.connect_string(), "srvr", Duration::from_secs(2)).is_err());
    assert!(closed_by_server(&mut s, Duration::from_secs(5)));
    zk.stop(); // stopping twice is harmless

    zk.restart().unwrap();
    assert_eq!(zk.port(), port, "same port after restart");
    assert_ne!(zk.pid().unwrap(), first_pid);
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    assert!(zk.data_dir().join("version-2").is_dir());

    // The session survived the restart, and so did the node.
    let mut back = connect(&zk.connect_string(), s.session_id, &s.password, 30_000).unwrap();
    assert_eq!(back.session_id, s.session_id);
    assert!(back.timeout > 0);
    assert_eq!(create(&mut back, 2, "/kept", 0, None).unwrap(), -110, "NODEEXISTS: the data survived");

    // restart() of a running server restarts it.
    zk.restart().unwrap();
    assert_eq!(zk.port(), port);
    drop(zk);
    assert!(!dir.exists(), "the directory is removed on drop");
}

#[test]
fn pause_and_resume() {
    let zk = ZkServer::start().unwrap();
    let mut s = connect(&zk.connect_string(), 0, &[0; 16], 30_000).unwrap();
    zk.pause();
    let t = Instant::now();
    let err = four_letter(&zk.connect_string(), "srvr", Duration::from_millis(700)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(t.elapsed() < Duration::from_secs(3));
    s.stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    assert!(ping(&mut s).is_err(), "a paused server answers nothing");
    zk.resume();
    assert!(zk.four_letter("srvr").unwrap().contains("Mode:"));
    // The ping sent while paused is answered now.
    s.stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let reply = recv(&mut s.stream).unwrap();
    assert_eq!(get_i32(&reply, 0), -2);
}

#[test]
fn options_reach_the_server() {
    // TTL nodes need extendedTypesEnabled; a 200 ms tick allows short sessions; maxSessionTimeout caps them.
    let opts = ServerOptions::new().extended_types(true).tick_time_ms(200).max_session_timeout_ms(7000);
    let zk = ZkServer::start_with(opts).unwrap();
    let mut s = connect(&zk.connect_string(), 0, &[0; 16], 100_000).unwrap();
    assert_eq!(s.timeout, 7000, "capped by maxSessionTimeout");
    assert_eq!(create(&mut s, 1, "/ttl", 5, Some(60_000)).unwrap(), 0, "TTL node created");

    let short = connect(&zk.connect_string(), 0, &[0; 16], 100).unwrap();
    assert_eq!(short.timeout, 400, "at least 2 ticks");
    // Without pings the short session expires on its own, quickly.
    std::thread::sleep(Duration::from_millis(1500));
    let again = connect(&zk.connect_string(), short.session_id, &short.password, 400).unwrap();
    assert_eq!((again.timeout, again.session_id), (0, 0), "expired by the server");

    // The default server refuses TTL nodes (UNIMPLEMENTED).
    let plain = ZkServer::start().unwrap();
    let mut p = connect(&plain.connect_string(), 0, &[0; 16], 30_000).unwrap();
    assert_eq!(create(&mut p, 1, "/ttl", 5, Some(60_000)).unwrap(), -6);
    assert_eq!(p.timeout, 30_000);
}

#[test]
fn netty_factory_runs_with_debians_jars() {
    // Debian's zookeeper.jar manifest leaves netty-codec out: without `netty(true)` adding it, every
    // connection to a Netty server fails with NoClassDefFoundError.
    let zk = ZkServer::start_with(ServerOptions::new().netty(true)).unwrap();
    let mut s = connect(&zk.connect_string(), 0, &[0; 16], 30_000).unwrap();
    ping(&mut s).unwrap();
    let cfg = std::fs::read_to_string(zk.dir().join("conf/zoo.cfg")).unwrap();
    assert!(cfg.contains("NettyServerCnxnFactory"));
}

#[test]
fn proxy_to_a_real_server() {
    let zk = ZkServer::start().unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", zk.port()).parse().unwrap()).unwrap();
    assert!(four_letter(&proxy.connect_string(), "srvr", Duration::from_secs(5)).unwrap().contains("Mode:"));
    let mut s = connect(&proxy.connect_string(), 0, &[0; 16], 30_000).unwrap();
    ping(&mut s).unwrap();
    proxy.drop_connections();
    assert!(closed_by_server(&mut s, Duration::from_secs(5)));
    // The session is still there: resume it through the proxy.
    let mut back = connect(&proxy.connect_string(), s.session_id, &s.password, 30_000).unwrap();
    assert_eq!(back.session_id, s.session_id);
    ping(&mut back).unwrap();
}

#[test]
fn classpath_and_errors() {
    let cp = zookeeper_classpath().unwrap();
    assert!(cp.iter().any(|j| j.file_name().unwrap().to_string_lossy().starts_with("zookeeper")));
    assert!(cp.iter().all(|j| j.exists()), "{cp:?}");
    // A server that cannot start fails with its log's tail, and does not hang.
    let bad = ServerOptions::new().config("tickTime", "not-a-number").startup_timeout(Duration::from_secs(20));
    let t = Instant::now();
    let err = ZkServer::start_with(bad).unwrap_err().to_string();
    assert!(t.elapsed() < Duration::from_secs(15), "fails as soon as the JVM exits");
    assert!(err.contains("exited"), "{err}");
    assert!(err.contains("zookeeper.log"), "{err}");
    // Nothing answers on a closed port.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    assert!(four_letter(&addr, "ruok", Duration::from_secs(1)).is_err());
}

#[test]
fn a_taken_port_is_retried_then_reported() {
    // Pin the client port (a later zoo.cfg line wins) to one that is taken: every attempt fails to bind.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let opts = ServerOptions::new().config("clientPort", port.to_string()).startup_timeout(Duration::from_secs(10));
    let err = ZkServer::start_with(opts).unwrap_err().to_string();
    assert!(err.contains("one of its ports was taken"), "{err}");
}

#[test]
fn types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ZkServer>();
    check::<zkrs_testserver::Ensemble>();
    check::<Proxy>();
    check::<ServerOptions>();
}
