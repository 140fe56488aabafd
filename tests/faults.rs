//! SPEC 5 faults, for real: connections cut mid-request by a proxy, a server restarted, an ensemble
//! member paused. Whatever happens, every async callback runs exactly once and every write the server
//! acknowledged is there afterwards.
mod common;

use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;
use zkrs::error::codes;
use zkrs::*;
use zkrs_testserver::{Ensemble, Proxy, ServerOptions, ZkServer};

/// The outcome of `n` async creates of `<prefix>/n-<i>`, submitted with at most `window` in flight.
struct Outcome {
    acknowledged: Vec<String>,
    failures: Vec<i32>,
}

/// Submits the creates and, once a fifth of them completed, runs `fault` in another thread; checks that
/// each callback ran exactly once and that the fault really hit requests in flight.
fn creates_under_fault(zk: &Client, prefix: &str, n: usize, window: usize, fault: impl FnOnce() + Send) -> Outcome {
    let calls: Arc<Vec<AtomicUsize>> = Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
    let completed = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel::<(usize, Result<Created>)>();
    let mut outcome = Outcome { acknowledged: Vec::new(), failures: Vec::new() };
    let record = |rx: &Receiver<(usize, Result<Created>)>, outcome: &mut Outcome| {
        let (i, r) = rx.recv_timeout(WAIT * 3).expect("a callback never ran");
        match r {
            Ok(c) => outcome.acknowledged.push(c.path),
            Err(e) => outcome.failures.push(e.code()),
        }
        i
    };
    std::thread::scope(|s| {
        let progress = completed.clone();
        s.spawn(move || {
            eventually("a fifth of the requests completed", || progress.load(Ordering::SeqCst) >= n / 5);
            fault();
        });
        let mut in_flight = 0;
        for i in 0..n {
            if in_flight == window {
                record(&rx, &mut outcome);
                in_flight -= 1;
            }
            let (tx, counted, completed) = (tx.clone(), calls.clone(), completed.clone());
            let submitted = zk.create_async(&format!("{prefix}/n-{i}"), b"v", &CreateOptions::default(), move |r| {
                counted[i].fetch_add(1, Ordering::SeqCst);
                completed.fetch_add(1, Ordering::SeqCst);
                tx.send((i, r)).unwrap();
            });
            match submitted {
                Ok(()) => in_flight += 1,
                // Refused at once (queue full while disconnected): the callback must never run.
                Err(e) => {
                    calls[i].fetch_add(100, Ordering::SeqCst);
                    outcome.failures.push(e.code());
                }
            }
        }
        for _ in 0..in_flight {
            record(&rx, &mut outcome);
        }
    });
    // Let any stray second call show up before counting.
    std::thread::sleep(Duration::from_millis(200));
    for (i, c) in calls.iter().enumerate() {
        let c = c.load(Ordering::SeqCst);
        assert!(c == 1 || c == 100, "callback of request {i} ran {} times", c % 100);
    }
    outcome
}

/// Every acknowledged create is on the server, seen by a fresh session.
fn assert_all_present(hosts: &str, prefix: &str, acknowledged: &[String]) {
    let checker = connect_to(hosts);
    let (children, _) = checker.get_children(prefix, None).unwrap();
    let present: HashSet<String> = children.into_iter().map(|c| format!("{prefix}/{c}")).collect();
    for path in acknowledged {
        assert!(present.contains(path), "{path} was acknowledged but is not on the server");
    }
    checker.close().unwrap();
}

/// The fault cost some requests a connection loss, and nothing else went wrong.
fn only_connection_failures(failures: &[i32]) {
    assert!(failures.contains(&codes::CONNECTION_LOSS), "the fault hit no request in flight");
    for code in failures {
        assert!(
            [codes::CONNECTION_LOSS, codes::NODE_EXISTS, codes::QUEUE_FULL, codes::OPERATION_TIMEOUT].contains(code),
            "unexpected failure {}",
            zkrs::error::code_name(*code)
        );
    }
}

#[test]
fn connections_cut_mid_request_lose_nothing_acknowledged() {
    let prefix = unique("cuts");
    let admin = connect();
    admin.ensure_path(&prefix).unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&proxy.connect_string());
    cfg.session_timeout = Duration::from_secs(8);
    let zk = connect_with(cfg);
    let session = zk.session_id();
    let done = AtomicBool::new(false);
    let outcome = creates_under_fault(&zk, &prefix, 3000, 200, || {
        for _ in 0..6 {
            proxy.drop_connections();
            std::thread::sleep(Duration::from_millis(60));
        }
        done.store(true, Ordering::SeqCst);
    });
    assert!(done.load(Ordering::SeqCst));
    only_connection_failures(&outcome.failures);
    assert!(outcome.acknowledged.len() > 100, "only {} creates got through", outcome.acknowledged.len());
    assert_all_present(&hosts(), &prefix, &outcome.acknowledged);
    assert_eq!(zk.session_id(), session, "cuts shorter than the timeout keep the session");
    zk.close().unwrap();
    admin.close().unwrap();
}

#[test]
fn a_server_restart_loses_nothing_acknowledged_and_keeps_the_session() {
    let mut server = ZkServer::start().unwrap();
    let hosts = server.connect_string();
    let mut cfg = Config::new(&hosts);
    cfg.session_timeout = Duration::from_secs(20);
    let zk = connect_with(cfg);
    zk.create("/r", b"", &CreateOptions::default()).unwrap();
    let session = zk.session_id();
    let restarted = std::sync::Mutex::new(None);
    let outcome = creates_under_fault(&zk, "/r", 2000, 100, || {
        server.stop();
        *restarted.lock().unwrap() = Some(server.restart());
    });
    restarted.into_inner().unwrap().unwrap().unwrap();
    only_connection_failures(&outcome.failures);
    eventually("reconnected after the restart", || zk.state() == State::Connected);
    assert_eq!(zk.session_id(), session, "the restarted server kept the session");
    assert_all_present(&hosts, "/r", &outcome.acknowledged);
    zk.close().unwrap();
}

#[test]
fn a_paused_ensemble_member_is_left_and_nothing_acknowledged_is_lost() {
    let ens = Ensemble::start_with(3, ServerOptions { tick_time_ms: 500, ..ServerOptions::default() }).unwrap();
    let mut cfg = Config::new(&ens.connect_string());
    cfg.session_timeout = Duration::from_secs(6);
    let zk = connect_with(cfg);
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    let session = zk.session_id();
    let server = zk.current_server().unwrap();
    let member = (0..3).find(|&i| server.ends_with(&format!(":{}", ens.member_port(i)))).unwrap();
    let outcome = creates_under_fault(&zk, "/p", 1500, 100, || {
        ens.pause_member(member);
    });
    only_connection_failures(&outcome.failures);
    eventually("moved to a live member", || {
        zk.state() == State::Connected && zk.current_server().is_some_and(|s| s != server)
    });
    assert_eq!(zk.session_id(), session, "the session moved with the client");
    ens.resume_member(member);
    assert_all_present(&ens.connect_string(), "/p", &outcome.acknowledged);
    zk.close().unwrap();
}
