//! expire_session against a real server: the session is really gone afterwards.
mod common;

use common::*;
use std::io::ErrorKind;
use std::time::Duration;
use zkrs_testserver::{expire_session, ZkServer};

#[test]
fn expire_session_for_real() {
    let zk = ZkServer::start().unwrap();
    let hosts = zk.connect_string();
    let mut s = connect(&hosts, 0, &[0; 16], 30_000).unwrap();
    assert!(s.timeout > 0);
    assert_eq!(create(&mut s, 1, "/eph", 1, None).unwrap(), 0, "an ephemeral node");
    ping(&mut s).unwrap();

    // A chroot and a dead host in front are fine.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    expire_session(&format!("{dead},{hosts}/some/chroot"), s.session_id, &s.password).unwrap();

    // The owner's connection is closed, and the session cannot be resumed: ConnectResponse with timeOut 0
    // and sessionId 0.
    assert!(closed_by_server(&mut s, Duration::from_secs(5)));
    let again = connect(&hosts, s.session_id, &s.password, 30_000).unwrap();
    assert_eq!((again.timeout, again.session_id), (0, 0));

    // Its ephemeral node is gone.
    let mut other = connect(&hosts, 0, &[0; 16], 30_000).unwrap();
    assert_eq!(create(&mut other, 1, "/eph", 0, None).unwrap(), 0, "the ephemeral was deleted");

    // Expiring it again says there is no such session.
    let err = expire_session(&hosts, s.session_id, &s.password).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn wrong_password_does_not_expire() {
    let zk = ZkServer::start().unwrap();
    let hosts = zk.connect_string();
    let s = connect(&hosts, 0, &[0; 16], 30_000).unwrap();
    let mut wrong = s.password.clone();
    wrong[0] ^= 0xff;
    let err = expire_session(&hosts, s.session_id, &wrong).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let mut back = connect(&hosts, s.session_id, &s.password, 30_000).unwrap();
    assert_eq!(back.session_id, s.session_id, "the session is still alive");
    ping(&mut back).unwrap();
}

#[test]
fn expire_while_the_owner_keeps_pinging() {
    // The owner stays connected and busy; the takeover still wins.
    let zk = ZkServer::start().unwrap();
    let hosts = zk.connect_string();
    let s = connect(&hosts, 0, &[0; 16], 30_000).unwrap();
    let (id, pw) = (s.session_id, s.password.clone());
    let owner = std::thread::spawn(move || {
        let mut s = s;
        while ping(&mut s).is_ok() {
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    expire_session(&hosts, id, &pw).unwrap();
    owner.join().unwrap();
    let again = connect(&hosts, id, &pw, 30_000).unwrap();
    assert_eq!((again.timeout, again.session_id), (0, 0));
}

#[test]
fn no_server_is_an_error() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let t = std::time::Instant::now();
    assert!(expire_session(&dead, 0x1234, &[0; 16]).is_err());
    assert!(t.elapsed() < Duration::from_secs(30));
    assert_eq!(expire_session("", 1, &[]).unwrap_err().kind(), ErrorKind::InvalidInput);
}
