//! kazoo's `Barrier` and `DoubleBarrier`, on the same nodes as kazoo.
//!
//! A [`Barrier`] is the node `<path>` itself: while it exists, [`Barrier::wait`] blocks. A
//! [`DoubleBarrier`] gathers `num_clients` members under `<path>`, each an ephemeral node named by a
//! 32-hex-digit uuid holding the member's identifier; the member that completes the count creates
//! `<path>/ready`, which lets everyone in. Leaving follows ZooKeeper's double-barrier recipe: the
//! lowest member waits for the highest to go, everyone else removes its node and waits for the lowest,
//! so that nobody returns from [`DoubleBarrier::leave`] before all have left.
//!
//! Unlike kazoo, every wait here has a timeout and ends when the client closes ([`Error::Closed`]) or
//! the session is lost ([`Error::SessionExpired`]); a barrier whose data changes, or a connection that
//! drops and comes back, does not make a waiter miss the barrier's removal. The waits are ended by
//! watches, so in the poll dispatch mode another thread must be calling [`Client::dispatch`].

use super::{check_session, deadline_after, delete_until_gone, uuid_hex, StateWatch, WaitEnd, Wake};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ops::CreateOptions;
use crate::path::validate_path;
use crate::retry::RetryPolicy;
use crate::state::{KazooState, State};
use crate::watch::{EventType, WatchedEvent, Watcher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The name of the node that opens a double barrier.
const READY: &str = "ready";

/// A barrier: processes wait while the node `<path>` exists (kazoo's `Barrier`).
pub struct Barrier {
    client: Client,
    path: String,
    retry: RetryPolicy,
}

impl Barrier {
    /// A barrier at `path` (nothing is created yet). `InvalidPath` if `path` breaks ZooKeeper's rules.
    pub fn new(client: &Client, path: &str) -> Result<Barrier> {
        validate_path(path, false)?;
        Ok(Barrier { client: client.clone(), path: path.to_string(), retry: RetryPolicy::forever() })
    }

    /// Retries connection loss with `policy` instead of kazoo's command retry
    /// ([`RetryPolicy::forever`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Barrier {
        self.retry = policy;
        self
    }

    /// The barrier's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Puts the barrier in place (creates `<path>` and its parents); fine if it is already there.
    pub fn create(&self) -> Result<()> {
        self.client.retry(&self.retry, || self.client.ensure_path(&self.path))
    }

    /// Removes the barrier, releasing the waiters. `false` if it was not in place.
    pub fn remove(&self) -> Result<bool> {
        let mut attempts = 0;
        self.client.retry(&self.retry, || {
            attempts += 1;
            match self.client.delete(&self.path, -1) {
                Ok(()) => Ok(true),
                // After a lost reply NoNode may be our own delete having gone through.
                Err(Error::NoNode(_)) => Ok(attempts > 1),
                Err(e) => Err(e),
            }
        })
    }

    /// Waits until the barrier is removed: `true` once it is gone (at once if it is not in place),
    /// `false` if it is still there after `timeout` (`None`: no limit). `Closed` or `SessionExpired`
    /// when the client closes or the session is lost meanwhile; `WouldDeadlock` inside a callback of
    /// the client.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let b = Blocking::start(&self.client, timeout)?;
        // One exists-watch at a time: a new one is set only after the previous one fired.
        let fired = Arc::new(AtomicBool::new(true));
        loop {
            let seen = b.wake.seen();
            if fired.swap(false, Ordering::AcqRel) {
                let watch = b.watch_setting(&fired);
                match b.call(&self.retry, || self.client.exists(&self.path, Some(watch()))) {
                    Ok(None) => return Ok(true),
                    Ok(Some(_)) => {}
                    Err(Error::Timeout(_)) => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
            match b.wait(seen) {
                Ok(()) => {}
                Err(Error::Timeout(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }
}

/// A double barrier: [`DoubleBarrier::enter`] blocks until `num_clients` members are in,
/// [`DoubleBarrier::leave`] until all have left (kazoo's `DoubleBarrier`).
pub struct DoubleBarrier {
    client: Client,
    path: String,
    num_clients: usize,
    identifier: String,
    node_name: String,
    participating: AtomicBool,
    retry: RetryPolicy,
}

impl DoubleBarrier {
    /// A member of the double barrier at `path` for `num_clients` members. `identifier` is stored in
    /// the member node (default, as kazoo: `<hostname>-<pid>`). `InvalidPath` for a bad path,
    /// `BadArguments` for `num_clients` 0.
    pub fn new(client: &Client, path: &str, num_clients: usize, identifier: Option<&str>) -> Result<DoubleBarrier> {
        validate_path(path, false)?;
        if num_clients == 0 {
            return Err(Error::BadArguments("a double barrier needs at least one client".into()));
        }
        let identifier = identifier.map(str::to_string).unwrap_or_else(default_identifier);
        Ok(DoubleBarrier {
            client: client.clone(),
            path: path.to_string(),
            num_clients,
            identifier,
            node_name: uuid_hex(),
            participating: AtomicBool::new(false),
            retry: RetryPolicy::forever(),
        })
    }

    /// Retries connection loss with `policy` instead of kazoo's command retry
    /// ([`RetryPolicy::forever`]); session expiry is never retried inside a blocking call.
    pub fn with_retry(mut self, policy: RetryPolicy) -> DoubleBarrier {
        self.retry = policy;
        self
    }

    /// Whether this member is inside the barrier (entered and not left).
    pub fn participating(&self) -> bool {
        self.participating.load(Ordering::Acquire)
    }

    /// The name of this member's node under the barrier's path.
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The full path of this member's node.
    pub fn create_path(&self) -> String {
        child_path(&self.path, &self.node_name)
    }

    /// Enters the barrier: adds this member and waits up to `timeout` (`None`: no limit) until
    /// `num_clients` members are in. On any failure (`Timeout`, `Closed`, `SessionExpired`, a server
    /// error such as `NoChildrenForEphemerals`) this member's node is removed again, it does not
    /// participate, and the error is returned (kazoo swallows it). An existing node of this member is
    /// reused.
    pub fn enter(&self, timeout: Option<Duration>) -> Result<()> {
        let r = self.try_enter(timeout);
        self.participating.store(r.is_ok(), Ordering::Release);
        if r.is_err() {
            self.clean_up();
        }
        r
    }

    fn try_enter(&self, timeout: Option<Duration>) -> Result<()> {
        let b = Blocking::start(&self.client, timeout)?;
        let me = self.create_path();
        let ready = child_path(&self.path, READY);
        b.call(&self.retry, || self.client.ensure_path(&self.path))?;
        b.call(&self.retry, || {
            match self.client.create(&me, self.identifier.as_bytes(), &CreateOptions::ephemeral()) {
                Ok(_) | Err(Error::NodeExists(_)) => Ok(()),
                Err(e) => Err(e),
            }
        })?;
        let fired = Arc::new(AtomicBool::new(true));
        // Seeing `ready` created is proof the barrier opened even if the first member to leave has
        // deleted it again before we look (kazoo's members wait forever then).
        let opened = Arc::new(AtomicBool::new(false));
        loop {
            let seen = b.wake.seen();
            if fired.swap(false, Ordering::AcqRel) {
                if opened.load(Ordering::Acquire) {
                    return Ok(());
                }
                let watch = b.watch_setting(&fired);
                let ready_watch = || -> Watcher {
                    let (inner, opened) = (watch(), opened.clone());
                    Box::new(move |e: WatchedEvent| {
                        if e.event_type == EventType::NodeCreated {
                            opened.store(true, Ordering::Release);
                        }
                        inner(e)
                    })
                };
                if b.call(&self.retry, || self.client.exists(&ready, Some(ready_watch())))?.is_some() {
                    return Ok(());
                }
                let (children, _) = b.call(&self.retry, || self.client.get_children(&self.path, None))?;
                if !children.contains(&self.node_name) {
                    // Our ephemeral node is gone while the session lives: someone deleted it.
                    return Err(Error::NoNode(me));
                }
                if children.iter().filter(|c| *c != READY).count() >= self.num_clients {
                    return b.call(&self.retry, || self.client.ensure_path(&ready));
                }
            }
            b.wait(seen)?;
        }
    }

    /// Leaves the barrier: removes this member and waits up to `timeout` (`None`: no limit) until
    /// every member has left. On failure this member's node is removed anyway and the error returned;
    /// either way it no longer participates.
    pub fn leave(&self, timeout: Option<Duration>) -> Result<()> {
        let r = self.try_leave(timeout);
        self.participating.store(false, Ordering::Release);
        if r.is_err() {
            self.clean_up();
        }
        r
    }

    /// Removes this member's node after a failure (nothing to do once the client is closed: the
    /// session and its ephemeral nodes are gone).
    fn clean_up(&self) {
        match self.client.kazoo_state() {
            _ if self.client.state() == State::Closed => {}
            KazooState::Connected => delete_until_gone(&self.client, &self.create_path()),
            // A delete now would wait in the queue for the reconnect, holding the caller past its
            // timeout: it is done in the background instead.
            _ => {
                let (client, path) = (self.client.clone(), self.create_path());
                let spawned = std::thread::Builder::new()
                    .name("zkrs-barrier-cleanup".into())
                    .spawn(move || delete_until_gone(&client, &path));
                if let Err(e) = spawned {
                    warn!("cannot start the cleanup of {}: {e}", self.create_path());
                }
            }
        }
    }

    fn try_leave(&self, timeout: Option<Duration>) -> Result<()> {
        let b = Blocking::start(&self.client, timeout)?;
        let me = self.create_path();
        let delete = |path: &str| {
            b.call(&self.retry, || match self.client.delete(path, -1) {
                Ok(()) | Err(Error::NoNode(_)) => Ok(()),
                Err(e) => Err(e),
            })
        };
        delete(&child_path(&self.path, READY))?;
        loop {
            let seen = b.wake.seen();
            let (children, _) = b.call(&self.retry, || self.client.get_children(&self.path, None))?;
            let mut members: Vec<&String> = children.iter().filter(|c| *c != READY).collect();
            members.sort();
            let (Some(&lowest), Some(&highest)) = (members.first(), members.last()) else { return Ok(()) };
            let lowest_is_me = *lowest == self.node_name;
            if lowest_is_me && members.len() == 1 {
                return delete(&me);
            }
            let awaited = if lowest_is_me {
                // The lowest leaves last: it waits for the others, the highest first.
                child_path(&self.path, highest)
            } else {
                if members.iter().any(|m| **m == self.node_name) {
                    delete(&me)?;
                }
                child_path(&self.path, lowest)
            };
            let fired = Arc::new(AtomicBool::new(false));
            let watch = b.watch_setting(&fired);
            if b.call(&self.retry, || self.client.exists(&awaited, Some(watch())))?.is_none() {
                continue;
            }
            // Woken by the awaited node's deletion, or by a state change: the next round re-checks.
            b.wait(seen)?;
        }
    }
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// kazoo's default member identifier: `<hostname>-<pid>`.
pub(crate) fn default_identifier() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let host = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".to_string()
    };
    format!("{host}-{}", std::process::id())
}

/// What one blocking call waits with: a wake-up signal bumped by its watches and by every state
/// change, the session it started in, and its deadline.
struct Blocking {
    client: Client,
    wake: Arc<Wake>,
    _states: StateWatch,
    session: i64,
    deadline: Option<Instant>,
}

impl Blocking {
    /// Refuses to start inside a callback of the client: the watch that would end the wait could
    /// only run after the callback returns.
    fn start(client: &Client, timeout: Option<Duration>) -> Result<Blocking> {
        if client.in_callback() {
            return Err(Error::WouldDeadlock("a blocking barrier call inside a callback of its own client".into()));
        }
        if client.state() == State::Closed {
            return Err(Error::Closed);
        }
        let wake = Wake::new();
        let states = StateWatch::new(client, &wake);
        Ok(Blocking {
            client: client.clone(),
            session: client.session_id(),
            wake,
            _states: states,
            deadline: deadline_after(timeout),
        })
    }

    /// `Closed` once the client is closed, `SessionExpired` once the starting session is gone.
    fn check(&self) -> Result<()> {
        if self.client.state() == State::Closed {
            return Err(Error::Closed);
        }
        check_session(&self.client, self.session)
    }

    /// Waits for a bump after `seen`; `Timeout` at the deadline; then the session checks.
    fn wait(&self, seen: u64) -> Result<()> {
        self.check()?;
        if self.wake.wait_after(seen, self.deadline) == WaitEnd::TimedOut {
            return Err(Error::Timeout("the barrier did not open in time".into()));
        }
        self.check()
    }

    /// A maker of one-shot watchers that mark `fired` and wake this call (a retried call needs a
    /// new watcher each time).
    fn watch_setting(&self, fired: &Arc<AtomicBool>) -> impl Fn() -> Watcher {
        let wake = self.wake.clone();
        let fired = fired.clone();
        move || {
            let (wake, fired) = (wake.clone(), fired.clone());
            Box::new(move |_| {
                fired.store(true, Ordering::Release);
                wake.bump();
            })
        }
    }

    /// Runs one operation under `policy` within the deadline: waits out a suspended connection first
    /// (so a request cannot sit queued past the timeout), never retries session expiry, and turns a
    /// retry cut short by the deadline into `Timeout`.
    fn call<T>(&self, policy: &RetryPolicy, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        let mut policy = policy.clone();
        policy.ignore_expire = false;
        if let Some(d) = self.deadline {
            let left = d.saturating_duration_since(Instant::now());
            policy.deadline = Some(policy.deadline.map_or(left, |p| p.min(left)));
        }
        let r = self.client.retry(&policy, || {
            loop {
                let seen = self.wake.seen();
                self.check()?;
                if self.client.kazoo_state() == KazooState::Connected {
                    break;
                }
                self.wait(seen)?;
            }
            f()
        });
        match r {
            Err(e @ (Error::RetryFailed(_) | Error::Interrupted(_))) => {
                self.check()?;
                if matches!(e, Error::Interrupted(_)) {
                    return Err(Error::Closed);
                }
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(Error::Timeout(format!("the barrier did not open in time ({e})")));
                }
                Err(e)
            }
            other => other,
        }
    }
}
