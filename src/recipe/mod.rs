//! kazoo's recipes, node for node compatible with kazoo on the same tree (SPEC 1.5), and robust where
//! kazoo is not: sequence numbers compared as numbers, contenders cleaned up until they are gone or the
//! session is, and every blocking call bounded by a timeout and ended by close or session loss.
//!
//! What the recipes share lives here: contender names, the wake-up signal blocking calls wait on, and
//! the cleanup of nodes a failed attempt leaves behind.

pub mod barrier;
pub(crate) mod bounded;
pub mod counter;
pub mod election;
pub mod lease;
pub mod lock;
pub mod partitioner;
pub mod party;
pub mod queue;
pub mod semaphore;
mod tree_cache;
mod watchers;

pub use tree_cache::{FaultListener, NodeData, TreeCache, TreeEvent, TreeEventType, TreeListener};
pub use watchers::{
    ChildrenChanged, ChildrenWatch, ChildrenWatchFn, ChildrenWatchOptions, DataWatch, DataWatchFn, PatientChildrenWatch,
};

use crate::client::{Client, ListenerId};
use crate::error::{Error, Result};
use crate::state::{KazooState, State};
use crate::watch::Watcher;
use parking_lot::{Condvar, Mutex};
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A random 32-hex-digit id, as kazoo's `uuid.uuid4().hex` (lower case, no dashes).
pub(crate) fn uuid_hex() -> String {
    let v: u128 = rand::thread_rng().gen();
    format!("{v:032x}")
}

/// The sequence number ZooKeeper appended to `name`, as a number: `None` for names without one.
///
/// The server formats its signed 32-bit counter as `%010d`: ten digits, or after an overflow a `-` and
/// nine digits (`-000000001`); eleven-character negatives (below -999999999) need the marker that ends
/// the name's own part, so use [`sequence_after`] where the recipe has one.
pub(crate) fn sequence_of(name: &str) -> Option<i64> {
    let start = name.len().checked_sub(10)?;
    let tail = name.as_bytes().get(start..)?;
    // All-ASCII bytes make `start` a character boundary, so slicing there cannot panic.
    if tail.iter().all(u8::is_ascii_digit) {
        return name[start..].parse().ok();
    }
    if tail[0] == b'-' && tail[1..].iter().all(u8::is_ascii_digit) {
        return name[start..].parse().ok();
    }
    None
}

/// The sequence number after the last `marker` in `name` (e.g. `__lock__`), negatives included.
pub(crate) fn sequence_after(name: &str, marker: &str) -> Option<i64> {
    let (_, digits) = name.rsplit_once(marker)?;
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if unsigned.len() < 9 || unsigned.len() > 10 || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    i32::try_from(value).ok().map(i64::from)
}

/// Why a blocking wait ended without its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    Woken,
    TimedOut,
}

/// A wake-up signal for blocking recipe calls: watches and connection-state changes bump it, the
/// waiter re-checks its condition. Counting bumps means no wake-up between check and wait is lost.
#[derive(Default)]
pub(crate) struct Wake {
    bumps: Mutex<u64>,
    changed: Condvar,
}

impl Wake {
    pub fn new() -> Arc<Wake> {
        Arc::new(Wake::default())
    }

    pub fn bump(&self) {
        *self.bumps.lock() += 1;
        self.changed.notify_all();
    }

    /// The number of bumps so far; pass it to [`Wake::wait_after`].
    pub fn seen(&self) -> u64 {
        *self.bumps.lock()
    }

    /// Waits until a bump after `seen` or `deadline` (`None`: no limit).
    pub fn wait_after(&self, seen: u64, deadline: Option<Instant>) -> WaitEnd {
        let mut bumps = self.bumps.lock();
        while *bumps == seen {
            match deadline {
                None => self.changed.wait(&mut bumps),
                Some(d) => {
                    if self.changed.wait_until(&mut bumps, d).timed_out() && *bumps == seen {
                        return WaitEnd::TimedOut;
                    }
                }
            }
        }
        WaitEnd::Woken
    }

    /// A one-shot watcher that bumps this signal.
    pub fn watcher(self: &Arc<Self>) -> Watcher {
        let wake = self.clone();
        Box::new(move |_| wake.bump())
    }
}

/// Bumps a [`Wake`] on every connection-state change while it lives, so blocking calls notice close
/// and session loss.
pub(crate) struct StateWatch {
    client: Client,
    id: ListenerId,
}

impl StateWatch {
    pub fn new(client: &Client, wake: &Arc<Wake>) -> StateWatch {
        let w = wake.clone();
        let id = client.add_state_listener(move |_| w.bump());
        StateWatch { client: client.clone(), id }
    }
}

impl Drop for StateWatch {
    fn drop(&mut self) {
        self.client.remove_state_listener(self.id);
    }
}

/// Fails when the session a blocking call started in is gone: `Closed` once the client is closed,
/// `SessionExpired` when kazoo's state is LOST or a new session replaced it.
pub(crate) fn check_session(client: &Client, session_id: i64) -> Result<()> {
    if client.state() == State::Closed {
        return Err(Error::Closed);
    }
    if client.kazoo_state() == KazooState::Lost || client.session_id() != session_id {
        return Err(Error::SessionExpired);
    }
    Ok(())
}

/// The deadline `timeout` from now (`None`: no limit).
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|t| Instant::now() + t)
}

/// Deletes a node left by a failed or cancelled attempt, retrying through connection loss until it is
/// gone, or the session (and with it an ephemeral node) is, or the client is closed. kazoo gives up
/// after one try and can leave a contender that blocks everyone.
pub(crate) fn delete_until_gone(client: &Client, path: &str) {
    let mut delay = Duration::from_millis(50);
    loop {
        match client.delete(path, -1) {
            Ok(()) | Err(Error::NoNode(_)) => return,
            Err(e) if e.is_retriable() => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                debug!("giving up deleting {path}: {e}");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_client_is_closed_not_expired() {
        // Never started: no server is needed, the state goes straight to Closed.
        let client = Client::new(crate::config::Config::new("127.0.0.1:1")).unwrap();
        client.close().unwrap();
        assert_eq!(client.state(), State::Closed);
        assert_eq!(check_session(&client, client.session_id()), Err(Error::Closed));
    }

    #[test]
    fn sequences_are_numbers() {
        assert_eq!(sequence_of("abc__lock__0000000012"), Some(12));
        assert_eq!(sequence_of("entry-100-2147483647"), Some(2147483647));
        assert_eq!(sequence_of("x__lock__-000000001"), Some(-1));
        assert_eq!(sequence_after("x__lock__-2147483648", "__lock__"), Some(-2147483648));
        assert_eq!(sequence_after("a-b__lock__0000000007", "__lock__"), Some(7));
        assert_eq!(sequence_after("a__lock__12x", "__lock__"), None);
        assert_eq!(sequence_after("nolock", "__lock__"), None);
        assert_eq!(sequence_of("ready"), None);
        assert_eq!(sequence_of("lease_holder"), None);
        assert_eq!(sequence_of("日本語日本語"), None);
        assert!(sequence_of("a0000000010").unwrap() > sequence_of("a0000000009").unwrap());
    }

    #[test]
    fn uuids_are_32_hex_digits() {
        let a = uuid_hex();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, uuid_hex());
    }

    #[test]
    fn a_bump_before_the_wait_is_not_lost() {
        let w = Wake::new();
        let seen = w.seen();
        w.bump();
        assert_eq!(w.wait_after(seen, Some(Instant::now())), WaitEnd::Woken);
        assert_eq!(w.wait_after(w.seen(), Some(Instant::now() + Duration::from_millis(10))), WaitEnd::TimedOut);
    }
}
