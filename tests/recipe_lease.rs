//! NonBlockingLease and MultiNonBlockingLease against a real server: kazoo's test_lease.py scenarios
//! with an injected clock, plus the holder node kazoo expects.
mod common;

use common::*;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zkrs::recipe::lease::{MultiNonBlockingLease, NonBlockingLease};
use zkrs::{Client, CreateOptions};

/// kazoo's MockClock: a time in whole seconds that the test moves forward.
#[derive(Clone)]
struct MockClock(Arc<AtomicI64>);

impl MockClock {
    fn new(epoch: i64) -> MockClock {
        MockClock(Arc::new(AtomicI64::new(epoch)))
    }
    fn forward(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst) as u64)
    }
}

struct Setup {
    client: Client,
    client2: Client,
    client3: Client,
    path: String,
    clock: MockClock,
}

fn setup(name: &str) -> Setup {
    Setup { client: connect(), client2: connect(), client3: connect(), path: unique(name), clock: MockClock::new(10) }
}

impl Setup {
    fn lease(&self, c: &Client, secs: u64, id: Option<&str>) -> bool {
        let lease =
            NonBlockingLease::with_clock(c, &self.path, Duration::from_secs(secs), id, &|| self.clock.now()).unwrap();
        assert_eq!(lease.path(), self.path);
        lease.obtained()
    }

    fn multi(&self, c: &Client, count: usize, secs: u64, id: Option<&str>) -> bool {
        MultiNonBlockingLease::with_clock(c, count, &self.path, Duration::from_secs(secs), id, &|| self.clock.now())
            .unwrap()
            .obtained()
    }

    fn close(self) {
        for c in [self.client, self.client2, self.client3] {
            c.close().unwrap();
        }
    }
}

const OTHER: Option<&str> = Some("some.other.host");

#[test]
fn lease_renew() {
    let s = setup("lease-renew");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(2);
    assert!(s.lease(&s.client, 3, None));
    s.close();
}

#[test]
fn lease_busy() {
    let s = setup("lease-busy");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(2);
    assert!(!s.lease(&s.client2, 3, OTHER));
    s.close();
}

#[test]
fn lease_overtake() {
    let s = setup("lease-overtake");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(4);
    assert!(s.lease(&s.client2, 3, OTHER));
    s.close();
}

#[test]
fn lease_renew_no_overtake() {
    let s = setup("lease-renew-no-overtake");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(2);
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(2);
    assert!(!s.lease(&s.client2, 3, OTHER));
    s.close();
}

#[test]
fn lease_overtaker_renews() {
    let s = setup("lease-overtaker-renews");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(4);
    assert!(s.lease(&s.client2, 3, OTHER));
    s.clock.forward(2);
    assert!(s.lease(&s.client2, 3, OTHER));
    s.close();
}

#[test]
fn lease_overtake_refuse_first() {
    let s = setup("lease-refuse-first");
    assert!(s.lease(&s.client, 3, None));
    s.clock.forward(4);
    assert!(s.lease(&s.client2, 3, OTHER));
    s.clock.forward(2);
    assert!(!s.lease(&s.client, 3, None));
    s.close();
}

#[test]
fn lease_written_by_a_newer_version_is_left_alone() {
    let s = setup("lease-version");
    s.client.ensure_path(&s.path).unwrap();
    let newer = br#"{"version": 2, "holder": "future.host", "end": "1970-01-01T00:00:13"}"#;
    s.client.create(&format!("{}/lease_holder", s.path), newer, &CreateOptions::default()).unwrap();
    s.clock.forward(4); // past its end: a version-1 holder would be overtaken
    assert!(!s.lease(&s.client2, 3, OTHER));
    assert_eq!(s.client.get_data(&format!("{}/lease_holder", s.path), None).unwrap().0, newer);
    s.close();
}

#[test]
fn lease_holder_is_kazoo_json_and_the_lock_is_gone_afterwards() {
    let s = setup("lease-json");
    assert!(s.lease(&s.client, 3, Some("host-é")));
    let (data, _) = s.client.get_data(&format!("{}/lease_holder", s.path), None).unwrap();
    // clock 10 s + 3 s
    assert_eq!(
        String::from_utf8(data).unwrap(),
        r#"{"version": 1, "holder": "host-\u00e9", "end": "1970-01-01T00:00:13"}"#
    );
    let (children, _) = s.client.get_children(&s.path, None).unwrap();
    assert_eq!(children, vec!["lease_holder".to_string()], "the lock contender was deleted");
    s.close();
}

#[test]
fn lease_defaults_to_the_host_name() {
    let s = setup("lease-hostname");
    assert!(s.lease(&s.client, 3, None));
    let (data, _) = s.client.get_data(&format!("{}/lease_holder", s.path), None).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let want = format!(r#""holder": "{}""#, host.trim());
    assert!(String::from_utf8_lossy(&data).contains(&want), "{}", String::from_utf8_lossy(&data));
    s.close();
}

#[test]
fn lease_undecodable_holder_is_an_error() {
    let s = setup("lease-garbage");
    s.client
        .create(&format!("{}/lease_holder", s.path), b"not json", &CreateOptions::default().with_makepath())
        .unwrap();
    let err = NonBlockingLease::new(&s.client, &s.path, Duration::from_secs(3), OTHER).unwrap_err();
    assert_eq!(err.code(), zkrs::error::codes::MARSHALLING_ERROR, "{err}");
    assert!(NonBlockingLease::new(&s.client, "bad", Duration::from_secs(3), OTHER).is_err());
    s.close();
}

#[test]
fn multi_lease_1_renew() {
    let s = setup("mlease-1-renew");
    assert!(s.multi(&s.client, 1, 4, None));
    s.clock.forward(2);
    assert!(s.multi(&s.client, 1, 4, None));
    s.close();
}

#[test]
fn multi_lease_1_reject() {
    let s = setup("mlease-1-reject");
    assert!(s.multi(&s.client, 1, 4, None));
    s.clock.forward(2);
    assert!(!s.multi(&s.client2, 1, 4, OTHER));
    s.close();
}

#[test]
fn multi_lease_2_renew() {
    let s = setup("mlease-2-renew");
    assert!(s.multi(&s.client, 2, 7, None));
    s.clock.forward(2);
    assert!(s.multi(&s.client2, 2, 7, Some("host2")));
    s.clock.forward(2);
    assert!(s.multi(&s.client, 2, 7, None));
    s.clock.forward(2);
    assert!(s.multi(&s.client2, 2, 7, Some("host2")));
    s.close();
}

#[test]
fn multi_lease_2_reject() {
    let s = setup("mlease-2-reject");
    assert!(s.multi(&s.client, 2, 7, None));
    s.clock.forward(2);
    assert!(s.multi(&s.client2, 2, 7, Some("host2")));
    s.clock.forward(2);
    assert!(!s.multi(&s.client3, 2, 7, Some("host3")));
    s.close();
}

#[test]
fn multi_lease_2_handover() {
    let s = setup("mlease-2-handover");
    assert!(s.multi(&s.client, 2, 4, None));
    s.clock.forward(2);
    assert!(s.multi(&s.client2, 2, 4, Some("host2")));
    s.clock.forward(3);
    assert!(s.multi(&s.client3, 2, 4, Some("host3")));
    s.clock.forward(2);
    assert!(s.multi(&s.client, 2, 4, None));
    s.close();
}

#[test]
fn multi_lease_uses_numbered_children_and_says_which() {
    let s = setup("mlease-layout");
    let clock = || s.clock.now();
    let first =
        MultiNonBlockingLease::with_clock(&s.client, 3, &s.path, Duration::from_secs(5), Some("a"), &clock).unwrap();
    let second =
        MultiNonBlockingLease::with_clock(&s.client, 3, &s.path, Duration::from_secs(5), Some("b"), &clock).unwrap();
    assert_eq!(first.lease_path(), Some(format!("{}/0", s.path).as_str()));
    assert_eq!(second.lease_path(), Some(format!("{}/1", s.path).as_str()));
    let none =
        MultiNonBlockingLease::with_clock(&s.client, 0, &s.path, Duration::from_secs(5), Some("c"), &clock).unwrap();
    assert!(!none.obtained());
    assert!(s.client.exists(&format!("{}/1/lease_holder", s.path), None).unwrap().is_some());
    assert!(s.client.exists(&format!("{}/2", s.path), None).unwrap().is_none());
    s.close();
}

#[test]
fn lease_contenders_at_the_same_moment_obtain_it_once() {
    let path = unique("lease-race");
    let clock = MockClock::new(100);
    let racers: Vec<_> = (0..4)
        .map(|i| {
            let (path, clock) = (path.clone(), clock.clone());
            std::thread::spawn(move || {
                let c = connect();
                let id = format!("racer-{i}");
                let got = NonBlockingLease::with_clock(&c, &path, Duration::from_secs(30), Some(&id), &|| clock.now())
                    .unwrap()
                    .obtained();
                c.close().unwrap();
                got
            })
        })
        .collect();
    let obtained = racers.into_iter().map(|t| t.join().unwrap()).filter(|&got| got).count();
    assert_eq!(obtained, 1, "exactly one of the contenders obtains it");
}

#[test]
fn lease_inside_a_callback_is_refused() {
    let zk = connect();
    let path = unique("lease-in-callback");
    let (tx, rx) = std::sync::mpsc::channel();
    let zk2 = zk.clone();
    zk.exists_async("/", None, move |_| {
        tx.send(NonBlockingLease::new(&zk2, &path, Duration::from_secs(3), Some("x"))).unwrap();
    })
    .unwrap();
    let r = rx.recv_timeout(WAIT).unwrap();
    assert!(matches!(r, Err(zkrs::Error::WouldDeadlock(_))), "{r:?}");
    zk.close().unwrap();
}
