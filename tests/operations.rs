//! Every operation with its success and error paths, against a real ZooKeeper.
mod common;

use common::*;
use std::sync::mpsc::channel;
use std::time::Duration;
use zkrs::error::codes;
use zkrs::*;

#[test]
fn create_get_set_delete_with_stats() {
    let zk = chrooted("crud");
    let c = zk.create("/a", b"one", &CreateOptions::default()).unwrap();
    assert_eq!(c.path, "/a");
    assert_eq!(c.stat.version, 0);
    assert_eq!(c.stat.data_length, 3);
    assert_eq!(c.stat.ephemeral_owner, 0);
    let (data, stat) = zk.get_data("/a", None).unwrap();
    assert_eq!(data, b"one");
    assert_eq!(stat, c.stat);
    let s = zk.set_data("/a", b"two", 0).unwrap();
    assert_eq!(s.version, 1);
    assert!(s.mzxid > c.stat.mzxid);
    assert_eq!(zk.set_data("/a", b"three", 0).unwrap_err(), Error::BadVersion("/a".into()));
    assert_eq!(zk.exists("/a", None).unwrap().unwrap().version, 1);
    assert_eq!(zk.delete("/a", 0).unwrap_err().code(), codes::BAD_VERSION);
    zk.delete("/a", 1).unwrap();
    assert_eq!(zk.exists("/a", None).unwrap(), None);
    assert_eq!(zk.get_data("/a", None).unwrap_err(), Error::NoNode("/a".into()));
    assert_eq!(zk.set_data("/a", b"", -1).unwrap_err().code(), codes::NO_NODE);
    assert_eq!(zk.delete("/a", -1).unwrap_err().code(), codes::NO_NODE);
    zk.close().unwrap();
}

#[test]
fn error_paths() {
    let zk = chrooted("errors");
    zk.create("/p", b"", &CreateOptions::default()).unwrap();
    assert_eq!(zk.create("/p", b"", &CreateOptions::default()).unwrap_err(), Error::NodeExists("/p".into()));
    assert_eq!(
        zk.create("/missing/child", b"", &CreateOptions::default()).unwrap_err(),
        Error::NoNode("/missing/child".into())
    );
    zk.create("/p/c", b"", &CreateOptions::default()).unwrap();
    assert_eq!(zk.delete("/p", -1).unwrap_err(), Error::NotEmpty("/p".into()));
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    assert_eq!(
        zk.create("/e/c", b"", &CreateOptions::default()).unwrap_err(),
        Error::NoChildrenForEphemerals("/e/c".into())
    );
    // Invalid input is refused before anything is sent.
    for bad in ["", "p", "/p/", "/p//c", "/p/./c", "/p/../c", "/p\u{1}"] {
        assert_eq!(zk.create(bad, b"", &CreateOptions::default()).unwrap_err().code(), codes::INVALID_PATH, "{bad:?}");
        assert_eq!(zk.get_data(bad, None).unwrap_err().code(), codes::INVALID_PATH, "{bad:?}");
    }
    let big = vec![0u8; 1024 * 1024 + 1];
    assert_eq!(zk.create("/big", &big, &CreateOptions::default()).unwrap_err().code(), codes::DATA_TOO_LARGE);
    assert_eq!(zk.set_data("/p", &big, -1).unwrap_err().code(), codes::DATA_TOO_LARGE);
    let ttl = CreateOptions::mode(CreateMode::PersistentWithTtl);
    assert_eq!(zk.create("/ttl", b"", &ttl).unwrap_err().code(), codes::BAD_ARGUMENTS, "TTL modes need a TTL");
    zk.close().unwrap();
}

#[test]
fn empty_and_large_data_round_trip() {
    let zk = chrooted("sizes");
    zk.create("/empty", b"", &CreateOptions::default()).unwrap();
    assert_eq!(zk.get_data("/empty", None).unwrap().0, b"");
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7) as u8).collect();
    zk.create("/large", &data, &CreateOptions::default()).unwrap();
    let (got, stat) = zk.get_data("/large", None).unwrap();
    assert_eq!(stat.data_length as usize, data.len());
    assert!(got == data);
    zk.close().unwrap();
}

#[test]
fn sequential_nodes_are_numbered_in_order() {
    let zk = chrooted("seq");
    zk.create("/q", b"", &CreateOptions::default()).unwrap();
    let mut paths = Vec::new();
    for _ in 0..3 {
        paths.push(zk.create("/q/item-", b"", &CreateOptions::mode(CreateMode::PersistentSequential)).unwrap().path);
    }
    paths.push(zk.create("/q/", b"", &CreateOptions::mode(CreateMode::EphemeralSequential)).unwrap().path);
    assert_eq!(paths, vec!["/q/item-0000000000", "/q/item-0000000001", "/q/item-0000000002", "/q/0000000003"]);
    let (mut children, stat) = zk.get_children("/q", None).unwrap();
    children.sort();
    assert_eq!(children, vec!["0000000003", "item-0000000000", "item-0000000001", "item-0000000002"]);
    assert_eq!(stat.num_children, 4);
    zk.close().unwrap();
}

#[test]
fn ephemeral_nodes_vanish_when_the_session_closes() {
    let zk = chrooted("eph");
    let root = zk.chroot().to_string();
    let created = zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    assert_eq!(created.stat.ephemeral_owner, zk.session_id());
    assert_eq!(zk.get_ephemerals("/").unwrap(), vec!["/e".to_string()]);
    zk.close().unwrap();
    let other = connect();
    assert_eq!(other.exists(&format!("{root}/e"), None).unwrap(), None);
    other.close().unwrap();
}

#[test]
fn ttl_and_container_nodes_are_reaped_by_the_server() {
    let zk = chrooted("ttl");
    let ttl = CreateOptions::mode(CreateMode::PersistentWithTtl).with_ttl_ms(200);
    zk.create("/ttl", b"", &ttl).unwrap();
    let seq = CreateOptions::mode(CreateMode::PersistentSequentialWithTtl).with_ttl_ms(200);
    assert!(zk.create("/ttlseq-", b"", &seq).unwrap().path.starts_with("/ttlseq-00"));
    zk.create("/box", b"", &CreateOptions::mode(CreateMode::Container)).unwrap();
    zk.create("/box/item", b"", &CreateOptions::default()).unwrap();
    zk.delete("/box/item", -1).unwrap();
    eventually("TTL node and empty container removed", || {
        zk.exists("/ttl", None).unwrap().is_none() && zk.exists("/box", None).unwrap().is_none()
    });
    zk.close().unwrap();
}

#[test]
fn makepath_ensure_path_and_recursive_delete() {
    let zk = chrooted("paths");
    zk.create("/a/b/c", b"x", &CreateOptions::default().with_makepath()).unwrap();
    assert!(zk.exists("/a/b", None).unwrap().is_some());
    zk.ensure_path("/a/b/c/d/e").unwrap();
    zk.ensure_path("/a/b/c/d/e").unwrap();
    assert_eq!(zk.get_all_children_number("/a").unwrap(), 4);
    zk.delete_recursive("/a").unwrap();
    assert!(zk.exists("/a", None).unwrap().is_none());
    assert_eq!(zk.delete_recursive("/a").unwrap_err().code(), codes::NO_NODE);
    zk.close().unwrap();
}

#[test]
fn acls_and_digest_auth() {
    let zk = chrooted("acl");
    let acl = vec![make_digest_acl("alice", "secret", perms::ALL), Acl::new(perms::READ, "world", "anyone")];
    zk.create("/guarded", b"data", &CreateOptions::default().with_acl(acl.clone())).unwrap();
    // Without the admin permission the server hides digest hashes.
    let (got, stat) = zk.get_acl("/guarded").unwrap();
    assert_eq!(got[0].id, Id::new("digest", "alice:x"));
    assert_eq!(got[1], acl[1]);
    assert_eq!(stat.aversion, 0);
    // Anyone may read; nobody but alice may write.
    assert_eq!(zk.get_data("/guarded", None).unwrap().0, b"data");
    assert_eq!(zk.set_data("/guarded", b"x", -1).unwrap_err(), Error::NoAuth("/guarded".into()));
    zk.add_auth("digest", b"alice:wrong").unwrap();
    assert_eq!(zk.set_data("/guarded", b"x", -1).unwrap_err().code(), codes::NO_AUTH);
    zk.add_auth("digest", b"alice:secret").unwrap();
    zk.set_data("/guarded", b"x", -1).unwrap();
    assert_eq!(zk.get_acl("/guarded").unwrap().0, acl);
    assert!(zk.whoami().unwrap().contains(&ClientInfo { auth_scheme: "digest".into(), user: "alice".into() }));
    // set_acl with version, then the read-only ACL.
    assert_eq!(zk.set_acl("/guarded", &Acl::read_unsafe(), 5).unwrap_err().code(), codes::BAD_VERSION);
    assert_eq!(zk.set_acl("/guarded", &Acl::read_unsafe(), 0).unwrap().aversion, 1);
    assert_eq!(zk.set_data("/guarded", b"y", -1).unwrap_err().code(), codes::NO_AUTH);
    // creator_all needs an authenticated creator.
    zk.create("/mine", b"", &CreateOptions::default().with_acl(Acl::creator_all())).unwrap();
    assert!(zk.get_acl("/mine").unwrap().0.contains(&make_digest_acl("alice", "secret", perms::ALL)));
    let stranger = connect_to(&format!("{}{}", hosts(), zk.chroot()));
    assert_eq!(stranger.get_data("/mine", None).unwrap_err().code(), codes::NO_AUTH);
    assert_eq!(
        stranger.create("/x", b"", &CreateOptions::default().with_acl(Acl::creator_all())).unwrap_err().code(),
        codes::INVALID_ACL
    );
    stranger.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn auth_from_config_is_sent_on_connect() {
    let root = unique("cfgauth");
    let admin = connect();
    admin
        .create(
            &root,
            b"",
            &CreateOptions::default()
                .with_acl(vec![make_digest_acl("bob", "pw", perms::ALL), Acl::new(perms::READ, "world", "anyone")]),
        )
        .unwrap();
    let mut cfg = Config::new(&hosts());
    cfg.set("auth", "digest:bob:pw").unwrap();
    let bob = connect_with(cfg);
    bob.set_data(&root, b"ok", -1).unwrap();
    assert_eq!(admin.get_data(&root, None).unwrap().0, b"ok");
    assert_eq!(admin.set_data(&root, b"no", -1).unwrap_err().code(), codes::NO_AUTH);
    bob.close().unwrap();
    admin.close().unwrap();
}

#[test]
fn transactions_apply_all_or_nothing() {
    let zk = chrooted("txn");
    zk.create("/t", b"v0", &CreateOptions::default()).unwrap();
    let mut txn = zk.transaction();
    txn.check("/t", 0)
        .create("/t/a", b"a", &CreateOptions::default())
        .create("/t/s-", b"", &CreateOptions::mode(CreateMode::PersistentSequential))
        .set_data("/t", b"v1", 0);
    let results = zk.commit(txn).unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0], OpResult::Checked);
    assert!(matches!(&results[1], OpResult::Created { path, .. } if path == "/t/a"), "{results:?}");
    assert!(matches!(&results[2], OpResult::Created { path, .. } if path == "/t/s-0000000001"));
    assert!(matches!(&results[3], OpResult::DataSet { stat } if stat.version == 1));
    assert!(first_failure(&results).is_none());

    // Op 2 (0-based) fails: it is reported, the others are rolled back, nothing is applied.
    let mut txn = zk.transaction();
    txn.create("/t/b", b"", &CreateOptions::default()).delete("/t/a", -1).set_data("/t/missing", b"", -1).create(
        "/t/c",
        b"",
        &CreateOptions::default(),
    );
    let results = zk.commit(txn).unwrap();
    assert_eq!(first_failure(&results), Some((2, &Error::NoNode("/t/missing".into()))));
    assert_eq!(results[0], OpResult::RolledBack);
    assert_eq!(results[1], OpResult::RolledBack);
    assert_eq!(results[3], OpResult::RolledBack);
    assert!(zk.exists("/t/b", None).unwrap().is_none());
    assert!(zk.exists("/t/a", None).unwrap().is_some());

    // A bad path is refused before sending; an empty transaction is fine.
    let mut txn = zk.transaction();
    txn.create("/ok", b"", &CreateOptions::default()).delete("bad", -1);
    assert_eq!(zk.commit(txn).unwrap_err().code(), codes::INVALID_PATH);
    assert_eq!(zk.commit(zk.transaction()).unwrap(), vec![]);
    zk.close().unwrap();
}

#[test]
fn multi_read_returns_each_result() {
    let zk = chrooted("mread");
    zk.create("/r", b"rv", &CreateOptions::default()).unwrap();
    zk.create("/r/k", b"", &CreateOptions::default()).unwrap();
    let res = zk
        .multi_read(&[ReadOp::GetData("/r".into()), ReadOp::GetChildren("/r".into()), ReadOp::GetData("/nope".into())])
        .unwrap();
    assert!(matches!(&res[0], ReadResult::Data(d, s) if d == b"rv" && s.num_children == 1));
    assert_eq!(res[1], ReadResult::Children(vec!["k".into()]));
    assert_eq!(res[2], ReadResult::Failed(Error::NoNode("/nope".into())));
    zk.close().unwrap();
}

#[test]
fn chroot_hides_the_prefix_everywhere() {
    let zk = chrooted("chroot");
    let root = zk.chroot().to_string();
    assert!(!root.is_empty());
    let created = zk.create("/x-", b"", &CreateOptions::mode(CreateMode::PersistentSequential)).unwrap();
    assert_eq!(created.path, "/x-0000000000");
    let (w, rx) = watcher();
    zk.exists("/y", Some(w)).unwrap();
    let admin = connect();
    admin.create(&format!("{root}/y"), b"", &CreateOptions::default()).unwrap();
    let ev = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(ev, WatchedEvent { event_type: EventType::NodeCreated, path: "/y".into() });
    assert_eq!(zk.sync("/y").unwrap(), "/y");
    let mut children = zk.get_children("/", None).unwrap().0;
    children.sort();
    assert_eq!(children, vec!["x-0000000000", "y"]);
    admin.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn async_calls_complete_in_order_on_the_event_thread() {
    let zk = chrooted("async");
    zk.create("/n", b"v", &CreateOptions::default()).unwrap();
    let (tx, rx) = channel();
    for i in 0..500 {
        let tx = tx.clone();
        zk.get_data_async("/n", None, move |r| {
            tx.send((i, r.map(|(d, _)| d), std::thread::current().name().map(str::to_string))).unwrap();
        })
        .unwrap();
    }
    for i in 0..500 {
        let (n, data, thread) = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(n, i);
        assert_eq!(data.unwrap(), b"v");
        assert_eq!(thread.as_deref(), Some("zkrs-event"));
    }
    let (tx, rx) = channel();
    zk.create_async("/deep/er/node", b"", &CreateOptions::default().with_makepath(), move |r| tx.send(r).unwrap())
        .unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().unwrap().path, "/deep/er/node");
    let (tx, rx) = channel();
    zk.delete_async("/nope", -1, move |r| tx.send(r).unwrap()).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().unwrap_err(), Error::NoNode("/nope".into()));
    zk.close().unwrap();
}

#[test]
fn futures_wait_take_and_then() {
    let zk = chrooted("future");
    zk.create("/f", b"fv", &CreateOptions::default()).unwrap();
    let f = zk.future(|cb| zk.get_data_async("/f", None, cb)).unwrap();
    f.wait(WAIT).unwrap();
    assert!(f.is_ready());
    assert_eq!(f.get(Duration::ZERO).unwrap().0, b"fv");
    assert_eq!(f.get(Duration::ZERO).unwrap_err().code(), codes::BAD_ARGUMENTS);
    let f = zk.future(|cb| zk.exists_async("/none", None, cb)).unwrap();
    let (tx, rx) = channel();
    f.then(move |r| tx.send(r).unwrap()).unwrap();
    assert_eq!(rx.recv_timeout(WAIT).unwrap().unwrap(), None);
    // Waiting inside a callback of the same client for a result that needs that callback's thread.
    let (tx, rx) = channel();
    let zk2 = zk.clone();
    zk.get_data_async("/f", None, move |_| {
        let inner = zk2.future(|cb| zk2.get_data_async("/f", None, cb)).unwrap();
        let waited = inner.wait(WAIT);
        // A sync call from a callback is fine: the I/O thread completes it.
        let sync = zk2.get_data("/f", None).map(|(d, _)| d);
        tx.send((waited, sync)).unwrap();
    })
    .unwrap();
    let (waited, sync) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(waited.unwrap_err().code(), codes::WOULD_DEADLOCK);
    assert_eq!(sync.unwrap(), b"fv");
    zk.close().unwrap();
}

#[test]
fn server_info_commands() {
    let zk = connect();
    assert_eq!(zk.command("ruok").unwrap(), "imok");
    assert!(zk.command("srvr").unwrap().contains("Mode: standalone"));
    assert!(zk.server_version().unwrap().starts_with("3."));
    assert_eq!(zk.command("rm -rf").unwrap_err().code(), codes::BAD_ARGUMENTS);
    assert!(zk.whoami().unwrap().iter().any(|i| i.auth_scheme == "ip"));
    assert!(zk.negotiated_timeout_ms() > 0);
    assert!(zk.current_server().unwrap().starts_with("127.0.0.1:"));
    let (config, _) = zk.get_config(None).unwrap();
    let _ = config; // standalone servers may have an empty dynamic config
    zk.close().unwrap();
}

#[test]
fn ipv6_loopback_with_brackets() {
    let port = server().port();
    let proxy =
        zkrs_testserver::Proxy::start_on("[::1]:0".parse().unwrap(), format!("127.0.0.1:{port}").parse().unwrap())
            .unwrap();
    let hosts = format!("[::1]:{}", proxy.port());
    let zk = connect_to(&hosts);
    assert!(zk.current_server().unwrap().starts_with("[::1]:"));
    zk.exists("/", None).unwrap().unwrap();
    zk.close().unwrap();
}

#[test]
fn calls_after_close_fail_cleanly() {
    let zk = connect();
    zk.close().unwrap();
    zk.close().unwrap();
    assert_eq!(zk.state(), State::Closed);
    assert_eq!(zk.get_data("/", None).unwrap_err(), Error::Closed);
    assert_eq!(zk.get_data_async("/", None, |_| panic!("must not run")).unwrap_err(), Error::Closed);
    assert_eq!(zk.start(WAIT).unwrap_err(), Error::Closed);
}

#[test]
fn retry_policy_runs_a_flaky_call_until_it_succeeds() {
    let zk = chrooted("retry");
    zk.create("/r", b"v", &CreateOptions::default()).unwrap();
    let policy =
        RetryPolicy { max_tries: 5, delay: Duration::from_millis(1), max_jitter: 0.0, ..RetryPolicy::default() };
    let mut failures = 3;
    let data = zk
        .retry(&policy, || {
            if failures > 0 {
                failures -= 1;
                return Err(Error::ConnectionLoss("injected".into()));
            }
            zk.get_data("/r", None).map(|(d, _)| d)
        })
        .unwrap();
    assert_eq!(data, b"v");
    assert_eq!(failures, 0);

    let mut calls = 0;
    let missing = zk.retry(&policy, || {
        calls += 1;
        zk.get_data("/missing", None)
    });
    assert_eq!(missing.unwrap_err().code(), codes::NO_NODE);
    assert_eq!(calls, 1, "errors that are not retriable pass through at once");

    let mut calls = 0;
    let gave_up = zk.retry(&policy, || -> Result<()> {
        calls += 1;
        Err(Error::OperationTimeout("injected".into()))
    });
    assert_eq!(gave_up.unwrap_err().code(), codes::RETRY_FAILED);
    assert_eq!(calls, 5);

    // Closing the client interrupts a retry loop that is waiting.
    let slow = RetryPolicy { max_tries: -1, delay: Duration::from_secs(30), max_jitter: 0.0, ..RetryPolicy::default() };
    let zk2 = zk.clone();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        zk2.close().unwrap();
    });
    let started = std::time::Instant::now();
    let interrupted = zk.retry(&slow, || -> Result<()> { Err(Error::ConnectionLoss("injected".into())) });
    assert_eq!(interrupted.unwrap_err().code(), codes::INTERRUPTED);
    assert!(started.elapsed() < Duration::from_secs(10));
    closer.join().unwrap();
}

#[test]
fn every_read_and_compound_call_has_an_async_form() {
    fn wait<T: Send + 'static>(f: ZkFuture<T>) -> zkrs::Result<T> {
        f.get(WAIT)
    }
    let zk = chrooted("async-forms");

    wait(zk.future(|cb| zk.ensure_path_async("/a/b/c", cb)).unwrap()).unwrap();
    wait(zk.future(|cb| zk.ensure_path_async("/a/b/c", cb)).unwrap()).unwrap();
    wait(zk.future(|cb| zk.ensure_path_async("/", cb)).unwrap()).unwrap();
    zk.create("/a/e", b"", &CreateOptions::ephemeral()).unwrap();
    assert_eq!(wait(zk.future(|cb| zk.get_all_children_number_async("/a", cb)).unwrap()).unwrap(), 3);

    let ephemerals = wait(zk.future(|cb| zk.get_ephemerals_async("/", cb)).unwrap()).unwrap();
    assert_eq!(ephemerals, vec!["/a/e".to_string()]);
    let me = wait(zk.future(|cb| zk.whoami_async(cb)).unwrap()).unwrap();
    assert!(me.iter().any(|i| i.auth_scheme == "ip"), "{me:?}");
    wait(zk.future(|cb| zk.get_config_async(None, cb)).unwrap()).unwrap();

    let (w, _rx) = watcher();
    zk.get_data("/a/b", Some(w)).unwrap();
    wait(zk.future(|cb| zk.check_watches_async("/a/b", WatcherType::Data, cb)).unwrap()).unwrap();
    let missing = wait(zk.future(|cb| zk.check_watches_async("/a/b", WatcherType::Children, cb)).unwrap());
    assert_eq!(missing.unwrap_err().code(), codes::NO_WATCHER);

    wait(zk.future(|cb| zk.delete_recursive_async("/a", cb)).unwrap()).unwrap();
    assert!(zk.exists("/a", None).unwrap().is_none());
    let gone = wait(zk.future(|cb| zk.delete_recursive_async("/a", cb)).unwrap());
    assert_eq!(gone.unwrap_err().code(), codes::NO_NODE);
    // A bad path is refused before anything is sent.
    assert_eq!(zk.ensure_path_async("a", |_| {}).unwrap_err().code(), codes::INVALID_PATH);
    zk.close().unwrap();
}

#[test]
fn bad_arguments_are_refused_before_anything_is_sent() {
    let zk = chrooted("refused");
    let ttl_without_ttl_mode = CreateOptions::default().with_ttl_ms(1000);
    assert_eq!(zk.create("/t", b"", &ttl_without_ttl_mode).unwrap_err().code(), codes::BAD_ARGUMENTS);
    // Characters the server refuses: beyond the BMP (a surrogate pair in Java) and the private use area.
    for path in ["/🐘", "/a\u{e000}"] {
        assert_eq!(zk.create(path, b"", &CreateOptions::default()).unwrap_err().code(), codes::INVALID_PATH);
    }
    // Oversized credentials would be re-sent after every reconnect: refused, and the session is unharmed.
    let huge = vec![b'x'; 1 << 20];
    assert_eq!(zk.add_auth("digest", &huge).unwrap_err().code(), codes::DATA_TOO_LARGE);
    assert_eq!(zk.add_auth_async("digest", &huge, |_| {}).unwrap_err().code(), codes::DATA_TOO_LARGE);
    assert!(zk.exists("/", None).unwrap().is_some());
    assert!(zk.exists("/t", None).unwrap().is_none());
    zk.close().unwrap();
}
