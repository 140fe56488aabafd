//! Lock, ReadLock and WriteLock: kazoo's lock recipe, on the same znodes, so a kazoo process and a zkrs
//! process exclude each other.
//!
//! Layout (kazoo's): the lock is the persistent node `<path>`; each contender is a sequential child
//! `<32-hex-uuid>__lock__<seq>` (exclusive and write locks) or `<32-hex-uuid>__rlock__<seq>` (read locks)
//! whose data is the contender's identifier. A contender holds the lock when no child it is blocked by
//! has a lower sequence number: exclusive locks are blocked by `__lock__`, write locks by `__lock__` and
//! `__rlock__`, read locks by `__lock__` only. Each waiter watches only its nearest blocking predecessor.
//!
//! Beyond kazoo: sequence numbers are compared as numbers; a contender left by a failed, cancelled or
//! timed-out attempt is deleted until it is gone; a deleted lock node is re-created; an attempt whose
//! create reply was lost finds its node again instead of queueing behind itself; acquiring a lock the
//! object already holds is an error rather than a wait that never ends; and the holder is told when the
//! lock is lost (session loss, or its node deleted by someone else).

use super::bounded::{remove_in_background, Bounds};
use super::{check_session, deadline_after, delete_until_gone, sequence_after, uuid_hex, StateWatch, WaitEnd, Wake};
use crate::client::{Client, ListenerId};
use crate::error::{Error, Result};
use crate::ops::{CreateMode, CreateOptions};
use crate::path::validate_path;
use crate::state::{KazooState, State};
use crate::watch::EventType;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Takes an object's acquire gate (one acquire at a time per object): a blocking acquire waits for it
/// until `deadline` (`None`: no limit); a non-blocking one, whose attempt must not wait, only if it is
/// free now. `None` when it was not taken.
pub(super) fn enter_gate(gate: &Mutex<()>, blocking: bool, deadline: Option<Instant>) -> Option<MutexGuard<'_, ()>> {
    match if blocking { deadline } else { Some(Instant::now()) } {
        None => Some(gate.lock()),
        Some(until) => gate.try_lock_until(until),
    }
}

/// The marker in the names of exclusive and write contenders.
pub const LOCK_MARKER: &str = "__lock__";
/// The marker in the names of read contenders.
pub const READ_LOCK_MARKER: &str = "__rlock__";

/// Which of kazoo's three lock recipes a [`Lock`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// kazoo's `Lock`: one holder at a time.
    Exclusive,
    /// kazoo's `ReadLock`: shared with other readers, excluded by writers and exclusive holders.
    Read,
    /// kazoo's `WriteLock`: excludes readers, writers and exclusive holders (the same node names as
    /// [`LockKind::Exclusive`]).
    Write,
}

impl LockKind {
    fn marker(self) -> &'static str {
        match self {
            LockKind::Read => READ_LOCK_MARKER,
            LockKind::Exclusive | LockKind::Write => LOCK_MARKER,
        }
    }

    fn blocked_by(self) -> &'static [&'static str] {
        match self {
            LockKind::Exclusive | LockKind::Read => &[LOCK_MARKER],
            LockKind::Write => &[LOCK_MARKER, READ_LOCK_MARKER],
        }
    }
}

/// Called when a held lock is lost; runs on the client's dispatcher (its event thread, or inside
/// [`Client::dispatch`]).
pub type LostListener = Arc<dyn Fn() + Send + Sync>;

/// A distributed lock on `path`, kazoo-compatible: kazoo's `Lock`, `ReadLock` or `WriteLock` by
/// [`LockKind`]. Not re-entrant: one object holds the lock at most once. Share an object between
/// threads with an `Arc`; [`Lock::cancel`] and [`Lock::release`] may be called from any thread.
/// Dropping a held lock releases it.
pub struct Lock {
    client: Client,
    path: String,
    kind: LockKind,
    identifier: String,
    /// Markers of the contenders this one waits for: the kind's own rules plus `extra_lock_patterns`.
    blocked_by: Vec<String>,
    /// Serialises `acquire` calls on this object, as kazoo does.
    gate: Mutex<()>,
    /// Bumped by cancel(), watches and state changes; blocking waits re-check after each bump.
    wake: Arc<Wake>,
    cancels: AtomicU64,
    shared: Arc<Shared>,
    listener: ListenerId,
}

/// What the state listener and the node watch share with a lock or semaphore holder (no client inside,
/// so no cycle through the client's listener table).
#[derive(Default)]
pub(super) struct Shared {
    pub held: Mutex<Option<Held>>,
    pub on_lost: Mutex<Option<LostListener>>,
}

/// The node a holder holds, and in which session.
pub(super) struct Held {
    pub node: String,
    pub session: i64,
    pub ephemeral: bool,
    pub lost: bool,
}

impl Held {
    /// Still held: not lost, and an ephemeral node's session is still the client's.
    pub fn valid(&self, client: &Client) -> bool {
        !self.lost && (!self.ephemeral || client.session_id() == self.session)
    }
}

impl Shared {
    /// A shared hold state told of session loss by a state listener on `client`.
    pub fn with_listener(client: &Client) -> (Arc<Shared>, ListenerId) {
        let shared = Arc::new(Shared::default());
        let on_state = shared.clone();
        let listener = client.add_state_listener(move |e| {
            if e.kazoo_state == KazooState::Lost {
                on_state.lose(None);
            }
        });
        (shared, listener)
    }

    /// Ends the hold (for release or a new acquire). A loss nobody was told of yet (the session changed
    /// before its state event reached the listener) is told now, on this thread, so the listener hears
    /// of every loss exactly once.
    pub fn take(&self, client: &Client) -> Option<Held> {
        let mut held = self.held.lock().take()?;
        let untold = !held.lost && !held.valid(client);
        held.lost |= untold;
        if untold {
            let listener = self.on_lost.lock().clone();
            if let Some(f) = listener {
                f();
            }
        }
        Some(held)
    }

    /// Records `node` as held and watches it, so its deletion by someone else marks it lost.
    pub fn hold(self: &Arc<Self>, client: &Client, path: &str, node: String, session: i64, ephemeral: bool) {
        *self.held.lock() = Some(Held { node: node.clone(), session, ephemeral, lost: false });
        // Our own release fires the watch too; by then the hold is gone, so it does nothing.
        let weak = Arc::downgrade(self);
        let watched = node.clone();
        let watcher = Box::new(move |e: crate::watch::WatchedEvent| {
            if e.event_type == EventType::NodeDeleted {
                if let Some(s) = weak.upgrade() {
                    s.lose(Some(&watched));
                }
            }
        });
        let shared = self.clone();
        let set = client.get_data_async(&format!("{path}/{node}"), Some(watcher), move |r| {
            if let Err(Error::NoNode(_)) = r {
                shared.lose(Some(&node));
            }
        });
        if let Err(e) = set {
            debug!("{path}: cannot watch the held node: {e}");
        }
    }

    /// Marks the lock lost when `node` (or, with `None`, any ephemeral hold) is the one held, and tells
    /// the listener once.
    fn lose(&self, node: Option<&str>) {
        let tell = {
            let mut held = self.held.lock();
            match held.as_mut() {
                Some(h) if !h.lost && node.map_or(h.ephemeral, |n| n == h.node) => {
                    h.lost = true;
                    true
                }
                _ => false,
            }
        };
        if tell {
            let listener = self.on_lost.lock().clone();
            if let Some(f) = listener {
                f();
            }
        }
    }
}

/// How one pass of the acquire loop ended, when it did not acquire.
enum Step {
    /// Try again at once (a predecessor vanished, our node must be made again, a retriable error).
    Again,
    /// Wait for the predecessor's watch (or any other wake-up) first.
    Wait(u64),
}

impl Lock {
    /// kazoo's `Lock(client, path, identifier)`: an exclusive lock.
    pub fn new(client: &Client, path: &str, identifier: &str) -> Result<Lock> {
        Lock::with_options(client, path, identifier, LockKind::Exclusive, &[])
    }

    /// kazoo's `ReadLock`: shared by readers, exclusive against writers.
    pub fn read_lock(client: &Client, path: &str, identifier: &str) -> Result<Lock> {
        Lock::with_options(client, path, identifier, LockKind::Read, &[])
    }

    /// kazoo's `WriteLock`: exclusive against readers and writers.
    pub fn write_lock(client: &Client, path: &str, identifier: &str) -> Result<Lock> {
        Lock::with_options(client, path, identifier, LockKind::Write, &[])
    }

    /// A lock of `kind`. `extra_lock_patterns` (kazoo's option of that name) are further markers of
    /// contenders to wait for, e.g. `"-lock-"` for Curator's `_c_<uuid>-lock-<seq>` nodes.
    pub fn with_options(
        client: &Client,
        path: &str,
        identifier: &str,
        kind: LockKind,
        extra_lock_patterns: &[&str],
    ) -> Result<Lock> {
        validate_path(path, false)?;
        if extra_lock_patterns.iter().any(|p| p.is_empty() || p.contains('/')) {
            return Err(Error::BadArguments("an extra lock pattern is empty or contains '/'".into()));
        }
        let mut blocked_by: Vec<String> = kind.blocked_by().iter().map(|s| s.to_string()).collect();
        blocked_by.extend(extra_lock_patterns.iter().map(|s| s.to_string()));
        let (shared, listener) = Shared::with_listener(client);
        Ok(Lock {
            client: client.clone(),
            path: path.trim_end_matches('/').to_string(),
            kind,
            identifier: identifier.to_string(),
            blocked_by,
            gate: Mutex::new(()),
            wake: Wake::new(),
            cancels: AtomicU64::new(0),
            shared,
            listener,
        })
    }

    /// The lock node's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The kind of lock.
    pub fn kind(&self) -> LockKind {
        self.kind
    }

    /// The identifier stored in this object's contender node.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// The name of the contender node while the lock is held (`<uuid>__lock__<seq>`).
    pub fn node(&self) -> Option<String> {
        self.shared.held.lock().as_ref().map(|h| h.node.clone())
    }

    /// Whether this object holds the lock: false after [`Lock::release`], and also once the lock is
    /// lost (an ephemeral contender's session ended, or the contender node was deleted by someone else).
    pub fn is_acquired(&self) -> bool {
        self.shared.held.lock().as_ref().is_some_and(|h| h.valid(&self.client))
    }

    /// Sets (or with `None` clears) the function told when a held lock is lost. It runs once per loss on
    /// the client's dispatcher; [`Lock::is_acquired`] is already false then. (When a release or a new
    /// acquire notices a session change before the dispatcher delivered it, it runs on that thread.)
    pub fn set_lost_listener(&self, listener: Option<LostListener>) {
        *self.shared.on_lost.lock() = listener;
    }

    /// Ends an [`Lock::acquire`] in progress on another thread with [`Error::Cancelled`]; its contender
    /// node is removed. An acquire that starts later is not affected.
    pub fn cancel(&self) {
        self.cancels.fetch_add(1, Ordering::SeqCst);
        self.wake.bump();
    }

    /// Acquires the lock. Non-blocking: `Ok(false)` at once if it is held by someone else (no contender
    /// is left). Blocking: waits up to `timeout` (`None`: no limit) and fails with [`Error::Timeout`],
    /// [`Error::Cancelled`], [`Error::SessionExpired`] when the session is lost, or [`Error::Closed`].
    /// Whatever the failure, this attempt's contender node is removed. `ephemeral = false` makes a
    /// persistent contender that outlives the session (kazoo's option). [`Error::BadArguments`] if this
    /// object holds the lock already (it is not re-entrant); [`Error::WouldDeadlock`] for a blocking
    /// acquire inside a callback of the same client (no watch could reach it there).
    pub fn acquire(&self, blocking: bool, timeout: Option<Duration>, ephemeral: bool) -> Result<bool> {
        // A non-blocking attempt does not wait for the lock, but its server calls may take `timeout`.
        let deadline = deadline_after(timeout);
        let Some(_gate) = enter_gate(&self.gate, blocking, deadline) else {
            return if blocking { Err(self.timeout_error(timeout)) } else { Ok(false) };
        };
        if self.shared.held.lock().is_some() {
            return Err(Error::BadArguments(format!(
                "this lock object already holds {} (locks are not re-entrant)",
                self.path
            )));
        }
        if blocking && self.client.in_callback() {
            return Err(Error::WouldDeadlock(format!(
                "a blocking acquire of lock {} inside a callback of its client could never see the lock freed",
                self.path
            )));
        }
        let cancels = self.cancels.load(Ordering::SeqCst);
        let session = self.client.session_id();
        let _state = StateWatch::new(&self.client, &self.wake);
        let stop = || self.check_stop(cancels, session);
        let timeout_error = || self.timeout_error(timeout);
        let bounds = Bounds { client: &self.client, wake: &self.wake, deadline, stop: &stop, timeout: &timeout_error };
        let mut attempt = Attempt {
            lock: self,
            bounds,
            prefix: format!("{}{}", uuid_hex(), self.kind.marker()),
            node: None,
            create_uncertain: false,
            ephemeral,
            blocking,
        };
        let result = attempt.run(session);
        if !matches!(result, Ok(true)) {
            attempt.clean_up();
        }
        result
    }

    /// Why a blocking call of this lock must stop: cancelled, client closed, or session lost.
    fn check_stop(&self, cancels: u64, session: i64) -> Result<()> {
        if self.cancels.load(Ordering::SeqCst) != cancels {
            return Err(Error::Cancelled(format!("acquiring lock {}", self.path)));
        }
        if self.client.state() == State::Closed {
            return Err(Error::Closed);
        }
        check_session(&self.client, session)
    }

    /// Releases the lock: deletes the contender node (retrying through connection loss).
    /// `Ok(true)` if this object held the lock (and had not lost it), `Ok(false)` otherwise.
    pub fn release(&self) -> Result<bool> {
        let held = self.shared.take(&self.client);
        let Some(held) = held else {
            return Ok(false);
        };
        let still_held = !held.lost;
        delete_until_gone(&self.client, &self.child(&held.node));
        if self.client.state() == State::Closed && !held.ephemeral {
            return Err(Error::Closed);
        }
        Ok(still_held)
    }

    /// The identifiers of the contenders, in queue order (for exclusive and write locks the first is
    /// the holder). Empty if the lock node does not exist.
    pub fn contenders(&self) -> Result<Vec<String>> {
        let children = match self.client.get_children(&self.path, None) {
            Ok((c, _)) => c,
            Err(Error::NoNode(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut markers: Vec<&str> = self.blocked_by.iter().map(String::as_str).collect();
        markers.push(self.kind.marker());
        let mut ordered: Vec<(i64, String)> = children
            .into_iter()
            .filter_map(|name| contender_sequence(&name, &markers).map(|seq| (seq, name)))
            .collect();
        ordered.sort();
        let mut ids = Vec::with_capacity(ordered.len());
        for (_, name) in ordered {
            match self.client.get_data(&self.child(&name), None) {
                Ok((data, _)) => ids.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }

    fn child(&self, name: &str) -> String {
        format!("{}/{}", self.path, name)
    }

    fn timeout_error(&self, timeout: Option<Duration>) -> Error {
        let ms = timeout.map_or(0, |t| t.as_millis());
        Error::Timeout(format!("lock {} not acquired within {ms} ms", self.path))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.client.remove_state_listener(self.listener);
        if let Some(held) = self.shared.held.lock().take() {
            // Retried through connection loss on a thread of its own: a drop must not block, and a
            // contender left behind would block everyone (for good, if it is persistent).
            if (!held.lost || !held.ephemeral) && self.client.state() != State::Closed {
                remove_in_background(self.client.clone(), self.child(&held.node));
            }
        }
    }
}

/// The sequence number of a contender whose name carries one of `markers`; `None` for other children.
fn contender_sequence(name: &str, markers: &[&str]) -> Option<i64> {
    markers.iter().find_map(|m| sequence_after(name, m))
}

/// One call of `acquire`: the contender node it made, if any.
struct Attempt<'a> {
    lock: &'a Lock,
    bounds: Bounds<'a>,
    /// `<uuid><marker>`: this attempt's contender name without its sequence number. A fresh uuid per
    /// attempt, so finding or deleting a leftover can never touch a later attempt's node.
    prefix: String,
    node: Option<String>,
    /// A create failed with connection loss: the node may exist under a name we never learned.
    create_uncertain: bool,
    ephemeral: bool,
    blocking: bool,
}

impl Attempt<'_> {
    fn run(&mut self, session: i64) -> Result<bool> {
        let lock = self.lock;
        loop {
            (self.bounds.stop)()?;
            let seen = lock.wake.seen();
            if lock.client.kazoo_state() != KazooState::Connected {
                if !self.blocking {
                    return Err(Error::ConnectionLoss(format!("not connected while trying lock {}", lock.path)));
                }
                // Wait for the connection rather than queue calls.
                self.wait(seen)?;
                continue;
            }
            match self.step(session) {
                Ok(None) => return Ok(true),
                Ok(Some(Step::Again)) => {}
                Ok(Some(Step::Wait(seen))) => self.wait(seen)?,
                Err(StepError::NotNow) => return Ok(false),
                Err(StepError::Failed(e)) if e.is_retriable() => {
                    // Connection loss shows in the state soon; the next pass waits for it to come back.
                    debug!("lock {}: retrying after {e}", lock.path);
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(StepError::Failed(e)) => return Err(e),
            }
        }
    }

    fn wait(&self, seen: u64) -> Result<()> {
        match self.lock.wake.wait_after(seen, self.bounds.deadline) {
            WaitEnd::Woken => Ok(()),
            WaitEnd::TimedOut => Err((self.bounds.timeout)()),
        }
    }

    /// One pass: make sure our contender exists, then see whether it is first. `Ok(None)`: acquired.
    fn step(&mut self, session: i64) -> std::result::Result<Option<Step>, StepError> {
        let lock = self.lock;
        let node = match &self.node {
            Some(n) => n.clone(),
            None => self.create()?,
        };
        let children = match self.bounds.get_children(&lock.path) {
            Ok(c) => c,
            Err(Error::NoNode(_)) => {
                // The lock node was deleted, and our contender with it: start over.
                self.node = None;
                return Ok(Some(Step::Again));
            }
            Err(e) => return Err(e.into()),
        };
        if !children.contains(&node) {
            // Deleted by someone else: make it again.
            self.node = None;
            return Ok(Some(Step::Again));
        }
        let ours = sequence_after(&node, lock.kind.marker()).expect("our node carries its sequence");
        let markers: Vec<&str> = lock.blocked_by.iter().map(String::as_str).collect();
        let Some(predecessor) = predecessor(&children, &node, ours, &markers) else {
            self.hold(node, session);
            return Ok(None);
        };
        if !self.blocking {
            return Err(StepError::NotNow);
        }
        let seen = lock.wake.seen();
        // A data watch (as kazoo): unlike exists, it leaves no watch behind when the node is gone.
        match self.bounds.get_data(&lock.child(predecessor), Some(lock.wake.watcher())) {
            Ok(_) => Ok(Some(Step::Wait(seen))),
            Err(Error::NoNode(_)) => Ok(Some(Step::Again)),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates our contender (re-creating the lock node if needed), or finds the one a create whose
    /// reply was lost made.
    fn create(&mut self) -> std::result::Result<String, StepError> {
        let lock = self.lock;
        if self.create_uncertain {
            let children = match self.bounds.get_children(&lock.path) {
                Ok(c) => c,
                Err(Error::NoNode(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            self.create_uncertain = false;
            if let Some(found) = children.into_iter().find(|c| self.is_ours(c)) {
                self.node = Some(found.clone());
                return Ok(found);
            }
        }
        let mode = if self.ephemeral { CreateMode::EphemeralSequential } else { CreateMode::PersistentSequential };
        let opts = CreateOptions::mode(mode);
        let path = lock.child(&self.prefix);
        let data = lock.identifier.as_bytes();
        let created = match self.bounds.create(&path, data, &opts) {
            Ok(c) => c,
            Err(Error::NoNode(_)) => {
                self.bounds.ensure_path(&lock.path)?;
                self.bounds.create(&path, data, &opts).map_err(|e| self.uncertain(e))?
            }
            Err(e) => return Err(self.uncertain(e).into()),
        };
        let name = created.path.rsplit('/').next().unwrap_or_default().to_string();
        self.node = Some(name.clone());
        Ok(name)
    }

    fn uncertain(&mut self, e: Error) -> Error {
        if e.is_retriable() {
            self.create_uncertain = true;
        }
        e
    }

    fn is_ours(&self, child: &str) -> bool {
        child.starts_with(&self.prefix) && sequence_after(child, self.lock.kind.marker()).is_some()
    }

    fn hold(&mut self, node: String, session: i64) {
        let lock = self.lock;
        lock.shared.hold(&lock.client, &lock.path, node, session, self.ephemeral);
        self.node = None;
        self.create_uncertain = false;
    }

    /// Removes what this attempt left: its contender, or one a lost create reply may have made. Done
    /// in the background when not connected, so the caller is not held past its deadline; the node is
    /// deleted once a connection is back (or goes with the session).
    fn clean_up(&mut self) {
        let lock = self.lock;
        let client = lock.client.clone();
        if let Some(node) = self.node.take() {
            let path = lock.child(&node);
            if client.kazoo_state() == KazooState::Connected {
                delete_until_gone(&client, &path);
            } else {
                remove_in_background(client, path);
            }
        } else if self.create_uncertain {
            let (parent, prefix, marker) = (lock.path.clone(), self.prefix.clone(), lock.kind.marker());
            let spawned = std::thread::Builder::new().name("zkrs-recipe-cleanup".into()).spawn(move || {
                if let Some(node) = find_leftover(&client, &parent, &prefix, marker) {
                    delete_until_gone(&client, &format!("{parent}/{node}"));
                }
            });
            if let Err(e) = spawned {
                warn!("lock {}: cannot start the cleanup: {e}", lock.path);
            }
        }
    }
}

/// The nearest contender before ours (sequence `ours`) among those whose names carry one of `markers`.
fn predecessor<'c>(children: &'c [String], node: &str, ours: i64, markers: &[&str]) -> Option<&'c str> {
    children
        .iter()
        .filter(|c| c.as_str() != node)
        .filter_map(|c| contender_sequence(c, markers).map(|seq| (seq, c.as_str())))
        .filter(|(seq, _)| *seq < ours)
        .max()
        .map(|(_, c)| c)
}

/// The node a create with `prefix` may have made, looked up once a connection is there (retrying
/// through connection loss, giving up when the client is closed).
fn find_leftover(client: &Client, parent: &str, prefix: &str, marker: &str) -> Option<String> {
    let mut delay = Duration::from_millis(50);
    loop {
        match client.get_children(parent, None) {
            Ok((children, _)) => {
                return children.into_iter().find(|c| c.starts_with(prefix) && sequence_after(c, marker).is_some())
            }
            Err(e) if e.is_retriable() => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(_) => return None,
        }
    }
}

enum StepError {
    /// A non-blocking attempt found the lock held.
    NotNow,
    Failed(Error),
}

impl From<Error> for StepError {
    fn from(e: Error) -> Self {
        StepError::Failed(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_predecessor_is_the_nearest_lower_number_not_the_nearest_string() {
        let ours = "b__lock__-2147483646";
        let children = names(&["a__lock__-2147483647", "c__lock__-2147483648", ours, "d__lock__-000000001"]);
        let seq = sequence_after(ours, LOCK_MARKER).unwrap();
        // As strings "-2147483648" > "-2147483647"; as numbers it is the lower one.
        assert_eq!(predecessor(&children, ours, seq, &[LOCK_MARKER]), Some("a__lock__-2147483647"));
        let children =
            names(&["x__lock__0000000009", "y__lock__0000000010", "foreign0000000005", "r__rlock__0000000008"]);
        assert_eq!(predecessor(&children, "y__lock__0000000010", 10, &[LOCK_MARKER]), Some("x__lock__0000000009"));
        assert_eq!(predecessor(&children, "x__lock__0000000009", 9, &[LOCK_MARKER]), None);
        assert_eq!(
            predecessor(&children, "x__lock__0000000009", 9, &[LOCK_MARKER, READ_LOCK_MARKER]),
            Some("r__rlock__0000000008")
        );
        let curator = names(&["_c_ab-lock-0000000031", "k__lock__0000000032"]);
        assert_eq!(predecessor(&curator, "k__lock__0000000032", 32, &[LOCK_MARKER]), None);
        assert_eq!(
            predecessor(&curator, "k__lock__0000000032", 32, &[LOCK_MARKER, "-lock-"]),
            Some("_c_ab-lock-0000000031")
        );
    }
}
