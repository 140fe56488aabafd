//! Stress on the socket shared by sync callers that write their own requests and the I/O thread: big
//! writes that the socket takes only in part, one-shot watches the I/O thread follows with requests of
//! its own, connections cut again and again, a session expired and a close, all while other threads
//! pipeline async requests. Every call must return exactly once, with its result or a clear connection
//! error; nothing acknowledged may be lost; no call may hang (each scenario runs under a watchdog).
mod common;

use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkrs::*;
use zkrs_testserver::{expire_session, Proxy};

/// Runs `f` on its own thread and fails the test if it has not finished after `limit` (a call that
/// never returns would otherwise hang the whole test binary).
fn bounded<T: Send + 'static>(what: &str, limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: still running after {limit:?} (a call never returned)"),
    }
}

/// A chrooted client talking to the shared server through a proxy.
fn proxied(name: &str, session: Duration) -> (Proxy, Client, String) {
    let root = unique(name);
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    admin.close().unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = session;
    (proxy, connect_with(cfg), root)
}

/// Errors a fault may cause; anything else is a bug.
fn is_fault_error(e: &Error) -> bool {
    matches!(e, Error::ConnectionLoss(_) | Error::SessionExpired | Error::QueueFull(_))
}

/// Async gets of `path`, at most `window` in flight, until `stop`; returns (submitted, callback runs)
/// after checking that no callback ran twice. `on_result` sees every result.
fn pipeline(
    zk: &Client,
    path: &str,
    window: usize,
    stop: &AtomicBool,
    on_result: impl Fn(&Result<(Vec<u8>, Stat)>) + Send + Sync + 'static,
) -> (usize, usize) {
    let on_result = Arc::new(on_result);
    let runs = Arc::new(Mutex::new(Vec::<u8>::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut submitted = 0;
    while !stop.load(Ordering::Relaxed) {
        if in_flight.load(Ordering::SeqCst) >= window {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let i = submitted;
        runs.lock().unwrap().push(0);
        let (runs2, in_flight2, on_result) = (runs.clone(), in_flight.clone(), on_result.clone());
        in_flight.fetch_add(1, Ordering::SeqCst);
        let r = zk.get_data_async(path, None, move |r| {
            on_result(&r);
            runs2.lock().unwrap()[i] += 1;
            in_flight2.fetch_sub(1, Ordering::SeqCst);
        });
        match r {
            Ok(()) => submitted += 1,
            Err(e) => {
                // Refused at once: its callback must never run.
                runs.lock().unwrap()[i] = 100;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                if matches!(e, Error::Closing | Error::Closed) {
                    break;
                }
                assert!(is_fault_error(&e), "async get refused with {e:?}");
                std::thread::sleep(Duration::from_millis(5));
                submitted += 1;
            }
        }
    }
    eventually("every pipelined callback ran", || in_flight.load(Ordering::SeqCst) == 0);
    std::thread::sleep(Duration::from_millis(100));
    let runs = runs.lock().unwrap();
    for (i, n) in runs.iter().enumerate() {
        assert!(*n == 1 || *n == 100, "callback of pipelined get {i} ran {} times", n % 100);
    }
    (submitted, runs.iter().filter(|n| **n == 1).count())
}

/// A value that tells writer `t`'s `i`th write from every other and any mix of two of them.
fn payload(t: usize, i: usize, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|k| ((k * 7 + t * 13 + i * 29) % 251) as u8).collect();
    v[..16].copy_from_slice(format!("{t:>6}:{i:>9}").as_bytes());
    v
}

/// Requests of several hundred KiB rarely fit in the socket at once (and never while the proxy holds
/// the bytes up): the caller's write is partial and the I/O thread sends the rest. Meanwhile other
/// threads keep writing small requests of their own and an async pipeline keeps the I/O thread busy.
/// No connection is cut, so every call must succeed, and every value read back must be the one written.
#[test]
fn partial_writes_by_callers_never_interleave_with_other_requests() {
    bounded("partial writes", Duration::from_secs(60), || {
        let (proxy, zk, root) = proxied("stress-partial", Duration::from_secs(8));
        let proxy = Arc::new(proxy);
        // Kept small enough for the test server's heap (more and it runs out of memory).
        const WRITERS: usize = 3;
        const WRITES: usize = 8;
        const LEN: usize = 600 * 1024;
        for t in 0..WRITERS {
            zk.create(&format!("/big-{t}"), b"", &CreateOptions::default()).unwrap();
        }
        zk.create("/small", b"s", &CreateOptions::default()).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let zk = zk.clone();
                std::thread::spawn(move || {
                    for i in 0..WRITES {
                        let data = payload(t, i, LEN);
                        let path = format!("/big-{t}");
                        zk.set_data(&path, &data, -1).unwrap_or_else(|e| panic!("set {t}/{i}: {e:?}"));
                        let (read, _) = zk.get_data(&path, None).unwrap_or_else(|e| panic!("get {t}/{i}: {e:?}"));
                        assert!(read == data, "writer {t} read back something else than write {i}");
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (zk, stop) = (zk.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let (d, _) = zk.get_data("/small", None).unwrap_or_else(|e| panic!("small get: {e:?}"));
                        assert_eq!(d, b"s");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let piper = {
            let (zk, stop) = (zk.clone(), stop.clone());
            std::thread::spawn(move || {
                pipeline(&zk, "/small", 64, &stop, |r| {
                    assert_eq!(r.as_ref().expect("pipelined get").0, b"s");
                })
            })
        };
        // Big async writes the I/O thread sends keep the socket full when callers come to write.
        zk.create("/big-async", b"", &CreateOptions::default()).unwrap();
        let async_writer = {
            let (zk, stop) = (zk.clone(), stop.clone());
            std::thread::spawn(move || {
                let data = Arc::new(payload(99, 0, LEN));
                let in_flight = Arc::new(AtomicUsize::new(0));
                let (mut sent, done) = (0, Arc::new(AtomicUsize::new(0)));
                while !stop.load(Ordering::Relaxed) {
                    if in_flight.load(Ordering::SeqCst) >= 2 {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    }
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let (in_flight, done) = (in_flight.clone(), done.clone());
                    zk.set_data_async("/big-async", &data, -1, move |r| {
                        r.expect("async big set");
                        done.fetch_add(1, Ordering::SeqCst);
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                    })
                    .unwrap();
                    sent += 1;
                }
                eventually("async big sets answered", || done.load(Ordering::SeqCst) == sent);
            })
        };
        // Short stalls (far below the session timeout) fill the socket buffers: writes go in part.
        let staller = {
            let (proxy, stop) = (proxy.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    proxy.set_blackhole(true);
                    std::thread::sleep(Duration::from_millis(150));
                    proxy.set_blackhole(false);
                    std::thread::sleep(Duration::from_millis(120));
                }
            })
        };
        let writers_ok: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        stop.store(true, Ordering::Relaxed);
        staller.join().unwrap();
        async_writer.join().unwrap();
        let reads: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
        let (_, piped) = piper.join().unwrap();
        for w in writers_ok {
            w.unwrap();
        }
        assert!(reads > 0 && piped > 0);
        let checker = connect_to(&format!("{}{root}", hosts()));
        for t in 0..WRITERS {
            assert!(checker.get_data(&format!("/big-{t}"), None).unwrap().0 == payload(t, WRITES - 1, LEN));
        }
        checker.close().unwrap();
        zk.close().unwrap();
    });
}

/// A one-shot data watch on a path that also has a persistent watch makes the I/O thread send an
/// addWatch of its own when the reply comes (3.6-3.8 servers). Sync callers writing their own requests
/// at the same moment must not get their replies mixed up with it: no connection loss without a fault,
/// and the watches fire.
#[test]
#[ignore = "fails on main (17265d2): the I/O thread's own addWatch overtakes requests callers wrote themselves \
            in the in-flight queue: ConnectionLoss(\"reply out of order\") with no fault"]
fn one_shot_watches_over_a_persistent_watch_race_with_direct_sync_calls() {
    bounded("persistent override", Duration::from_secs(60), || {
        let zk = chrooted("stress-override");
        zk.create("/p", b"p", &CreateOptions::default()).unwrap();
        zk.create("/q", b"q", &CreateOptions::default()).unwrap();
        let persistent_events = Arc::new(AtomicUsize::new(0));
        let seen = persistent_events.clone();
        zk.add_watch("/p", AddWatchMode::Persistent, move |e| {
            if e.event_type == EventType::NodeDataChanged {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        })
        .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicUsize::new(0));
        let watcher_thread = {
            let (zk, fired) = (zk.clone(), fired.clone());
            std::thread::spawn(move || {
                let mut armed = 0;
                for _ in 0..300 {
                    let fired = fired.clone();
                    let w: Watcher = Box::new(move |e| {
                        assert_eq!(e.event_type, EventType::NodeDataChanged);
                        fired.fetch_add(1, Ordering::SeqCst);
                    });
                    let (d, _) = zk.get_data("/p", Some(w)).unwrap_or_else(|e| panic!("watched get: {e:?}"));
                    assert_eq!(d, b"p");
                    armed += 1;
                }
                armed
            })
        };
        let direct: Vec<_> = (0..3)
            .map(|_| {
                let (zk, stop) = (zk.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let (d, _) = zk.get_data("/q", None).unwrap_or_else(|e| panic!("direct get: {e:?}"));
                        assert_eq!(d, b"q");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let armed = watcher_thread.join();
        stop.store(true, Ordering::Relaxed);
        let reads: usize = direct.into_iter().map(|t| t.join().unwrap()).sum();
        let armed = armed.unwrap();
        assert!(reads > 0);
        zk.set_data("/p", b"changed", -1).unwrap();
        eventually("every one-shot watch fired", || fired.load(Ordering::SeqCst) == armed);
        eventually("the persistent watch fired", || persistent_events.load(Ordering::SeqCst) == 1);
        zk.set_data("/p", b"again", -1).unwrap();
        eventually("the persistent watch is still persistent", || persistent_events.load(Ordering::SeqCst) == 2);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(fired.load(Ordering::SeqCst), armed, "a one-shot watch fired twice");
        zk.close().unwrap();
    });
}

/// The same race from one thread: the reply to a one-shot watch over a persistent one makes the I/O
/// thread queue an addWatch, and the sync call made right after it is written by its caller first, so
/// its reply comes before the addWatch's.
#[test]
#[ignore = "fails on main (17265d2): a sync call overtakes the I/O thread's addWatch on the socket: \
            ConnectionLoss(\"reply out of order\") with no fault"]
fn a_sync_call_right_after_a_one_shot_watch_over_a_persistent_watch_succeeds() {
    bounded("override, one thread", Duration::from_secs(30), || {
        let zk = chrooted("stress-override-1");
        zk.create("/p", b"p", &CreateOptions::default()).unwrap();
        zk.create("/q", b"q", &CreateOptions::default()).unwrap();
        zk.add_watch("/p", AddWatchMode::Persistent, |_| {}).unwrap();
        for i in 0..100 {
            let (w, _rx) = watcher();
            zk.get_data("/p", Some(w)).unwrap_or_else(|e| panic!("watched get {i}: {e:?}"));
            let (d, _) = zk.get_data("/q", None).unwrap_or_else(|e| panic!("get {i} after it: {e:?}"));
            assert_eq!(d, b"q");
        }
        zk.close().unwrap();
    });
}

/// What one mixed worker saw.
#[derive(Default)]
struct Tally {
    ok: usize,
    faults: usize,
    created: Vec<String>,
    last_set: Option<u64>,
    watches_armed: usize,
}

/// One worker thread of [`mixed_workers`]: sync sets, creates and watched gets in turn, until `stop`.
fn mixed_worker(zk: &Client, t: usize, stop: &AtomicBool, fired: &Arc<AtomicUsize>) -> Tally {
    let mut tally = Tally::default();
    let mut i: u64 = 0;
    let count = |tally: &mut Tally, r: &Result<()>, what: &str| match r {
        Ok(()) => tally.ok += 1,
        Err(e) if is_fault_error(e) => tally.faults += 1,
        Err(e) => panic!("worker {t}: {what} failed with {e:?}"),
    };
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let r = zk.set_data(&format!("/s-{t}"), i.to_string().as_bytes(), -1).map(|_| ());
        if r.is_ok() {
            tally.last_set = Some(i);
        }
        count(&mut tally, &r, "set");
        let path = format!("/c-{t}-{i}");
        let r = zk.create(&path, b"c", &CreateOptions::default()).map(|c| {
            assert_eq!(c.path, path);
            tally.created.push(path.clone());
        });
        count(&mut tally, &r, "create");
        let fired = fired.clone();
        let w: Watcher = Box::new(move |e| {
            if e.event_type == EventType::NodeDataChanged {
                fired.fetch_add(1, Ordering::SeqCst);
            }
        });
        let r = zk.get_data("/w", Some(w)).map(|(d, _)| assert_eq!(d, b"w"));
        if r.is_ok() {
            tally.watches_armed += 1;
        }
        count(&mut tally, &r, "watched get");
        let r = zk.exists(&format!("/s-{t}"), None).map(|s| assert!(s.is_some()));
        count(&mut tally, &r, "exists");
    }
    tally
}

/// Sync sets, creates and watched gets from several threads and an async pipeline, while the proxy
/// cuts the connection again and again: each call returns once, with its result or CONNECTION_LOSS;
/// every acknowledged create and set is on the server; every watch that was armed fires once.
#[test]
fn mixed_sync_and_async_calls_across_repeated_cuts() {
    bounded("repeated cuts", Duration::from_secs(60), || {
        let (proxy, zk, root) = proxied("stress-cuts", Duration::from_secs(6));
        const WORKERS: usize = 4;
        for t in 0..WORKERS {
            zk.create(&format!("/s-{t}"), b"0", &CreateOptions::default()).unwrap();
        }
        zk.create("/w", b"w", &CreateOptions::default()).unwrap();
        let session = zk.session_id();
        let stop = Arc::new(AtomicBool::new(false));
        let fired = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..WORKERS)
            .map(|t| {
                let (zk, stop, fired) = (zk.clone(), stop.clone(), fired.clone());
                std::thread::spawn(move || mixed_worker(&zk, t, &stop, &fired))
            })
            .collect();
        let piper = {
            let (zk, stop) = (zk.clone(), stop.clone());
            std::thread::spawn(move || {
                pipeline(&zk, "/w", 100, &stop, |r| match r {
                    Ok((d, _)) => assert_eq!(d, b"w"),
                    Err(e) => assert!(is_fault_error(e), "pipelined get failed with {e:?}"),
                })
            })
        };
        for _ in 0..8 {
            std::thread::sleep(Duration::from_millis(250));
            proxy.drop_connections();
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let tallies: Vec<Tally> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let (submitted, _) = piper.join().unwrap();
        eventually("reconnected", || zk.state() == State::Connected);
        assert_eq!(zk.session_id(), session, "cuts must not cost the session");
        let faults: usize = tallies.iter().map(|t| t.faults).sum();
        let ok: usize = tallies.iter().map(|t| t.ok).sum();
        assert!(ok > 50 && submitted > 0, "too little got through: {ok} sync calls");
        assert!(faults > 0, "the cuts hit no sync call");
        // Nothing acknowledged is lost: a fresh session sees every create and at least the last set.
        let checker = connect_to(&format!("{}{root}", hosts()));
        let (children, _) = checker.get_children("/", None).unwrap();
        let present: HashSet<String> = children.into_iter().map(|c| format!("/{c}")).collect();
        for (t, tally) in tallies.iter().enumerate() {
            for p in &tally.created {
                assert!(present.contains(p), "{p} was acknowledged but is not on the server");
            }
            let (d, _) = checker.get_data(&format!("/s-{t}"), None).unwrap();
            let on_server: u64 = String::from_utf8(d).unwrap().parse().unwrap();
            assert!(
                on_server >= tally.last_set.unwrap_or(0),
                "worker {t}: set {:?} acknowledged, {on_server} on the server",
                tally.last_set
            );
        }
        // The watches armed (some before a cut, re-registered after it) all fire, once.
        let armed: usize = tallies.iter().map(|t| t.watches_armed).sum();
        checker.set_data("/w", b"w", -1).unwrap();
        eventually("every armed watch fired", || fired.load(Ordering::SeqCst) >= armed);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(fired.load(Ordering::SeqCst), armed, "a watch fired twice");
        checker.close().unwrap();
        zk.close().unwrap();
    });
}

/// The session expires while sync and async calls are in flight: each returns once, with its result,
/// CONNECTION_LOSS or SESSION_EXPIRED; watches armed before hear of the expiry; the client goes on with
/// a new session.
#[test]
fn session_expiry_during_mixed_calls_answers_every_call() {
    bounded("expiry", Duration::from_secs(60), || {
        let (proxy, zk, _) = proxied("stress-expiry", Duration::from_secs(4));
        zk.create("/n", b"n", &CreateOptions::default()).unwrap();
        let old_session = zk.session_id();
        zk.create("/watched", b"", &CreateOptions::default()).unwrap();
        let (w, watch_rx) = watcher();
        zk.get_data("/watched", Some(w)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let expired_seen = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (zk, stop, expired_seen) = (zk.clone(), stop.clone(), expired_seen.clone());
                std::thread::spawn(move || {
                    let mut ok = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let r = if t % 2 == 0 {
                            zk.get_data("/n", None).map(|(d, _)| assert_eq!(d, b"n"))
                        } else {
                            zk.set_data("/n", b"n", -1).map(|_| ())
                        };
                        match r {
                            Ok(()) => ok += 1,
                            Err(Error::SessionExpired) => {
                                expired_seen.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            Err(e) => assert!(is_fault_error(&e), "worker {t}: {e:?}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        let piper = {
            let (zk, stop) = (zk.clone(), stop.clone());
            std::thread::spawn(move || {
                pipeline(&zk, "/n", 50, &stop, |r| match r {
                    Ok((d, _)) => assert_eq!(d, b"n"),
                    Err(e) => assert!(is_fault_error(e), "pipelined get failed with {e:?}"),
                })
            })
        };
        std::thread::sleep(Duration::from_millis(400));
        let (id, password) = zk.client_id();
        proxy.set_refuse(true);
        proxy.drop_connections();
        expire_session(&server().connect_string(), id, &password).unwrap();
        proxy.set_refuse(false);
        let ev = watch_rx.recv_timeout(WAIT).expect("the watch heard nothing of the expiry");
        assert_eq!(ev.event_type, EventType::SessionExpired);
        let end = Instant::now() + WAIT;
        while !(zk.state() == State::Connected && zk.session_id() != old_session) {
            assert!(Instant::now() < end, "no new session after the expiry");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let ok: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        piper.join().unwrap();
        assert!(ok > 0);
        assert_eq!(zk.get_data("/n", None).unwrap().0, b"n");
        zk.close().unwrap();
    });
}

/// A close while threads are writing their own requests: every call returns (its result, or CLOSING /
/// CLOSED), every async callback runs once, and close itself returns.
#[test]
fn close_racing_direct_writes_answers_every_call() {
    bounded("close race", Duration::from_secs(30), || {
        for round in 0..3 {
            let zk = chrooted("stress-close");
            zk.create("/n", b"n", &CreateOptions::default()).unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let callers: Vec<_> = (0..4)
                .map(|_| {
                    let zk = zk.clone();
                    std::thread::spawn(move || {
                        let mut ok = 0;
                        loop {
                            match zk.get_data("/n", None) {
                                Ok((d, _)) => {
                                    assert_eq!(d, b"n");
                                    ok += 1;
                                }
                                Err(Error::Closing | Error::Closed) => return ok,
                                Err(e) => panic!("round {round}: get during close failed with {e:?}"),
                            }
                        }
                    })
                })
                .collect();
            let piper = {
                let (zk, stop) = (zk.clone(), stop.clone());
                std::thread::spawn(move || {
                    pipeline(&zk, "/n", 50, &stop, |r| match r {
                        Ok((d, _)) => assert_eq!(d, b"n"),
                        Err(e) => assert!(matches!(e, Error::Closing | Error::Closed), "pipelined get: {e:?}"),
                    })
                })
            };
            std::thread::sleep(Duration::from_millis(150 + 50 * round));
            zk.close().unwrap();
            stop.store(true, Ordering::Relaxed);
            let ok: usize = callers.into_iter().map(|c| c.join().unwrap()).sum();
            assert!(ok > 0, "round {round}: no get got through before the close");
            piper.join().unwrap();
        }
    });
}
