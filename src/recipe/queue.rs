//! kazoo's `Queue` and `LockingQueue`: priority queues of byte strings in ZooKeeper, node for node
//! compatible with kazoo on the same path.
//!
//! Layout (kazoo's):
//! - [`Queue`]: `<path>/entry-<PPP>-<seq>`, persistent sequential, data = the value. A `get` reads and
//!   deletes the entry, so an item whose consumer fails is lost.
//! - [`LockingQueue`]: `<path>/entries/entry-<PPP>-<seq>` for the values and, while an entry is being
//!   processed, `<path>/taken/<entry name>`, ephemeral, data = the 32-hex-digit id of the queue object
//!   that took it. `consume` deletes both; `release` (or the end of the session) only the lock.
//!
//! `PPP` is the priority with three digits (0..=999, lower served first); entries of equal priority are
//! served in the order the server numbered them. Both are compared as numbers, not as strings.
//!
//! Where kazoo is weak: a blocking `get` keeps at most one child watch per watched node alive, however
//! many times it is called and times out (kazoo's LockingQueue registers new watchers on every call and
//! leaks them, issue #175); a `get` returns on its timeout, on close and on session loss; a vanished
//! queue node is re-created; a `LockingQueue` that finds the first free entry taken tries the next one
//! instead of waiting for the next change.

use super::bounded::{remove_in_background, Bounds};
use super::{check_session, deadline_after, delete_until_gone, sequence_of, uuid_hex, StateWatch, Wake};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ops::{CreateMode, CreateOptions};
use crate::path::validate_path;
use crate::state::State;
use crate::txn::first_failure;
use crate::watch::Watcher;
use parking_lot::Mutex;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The priority `put` uses when none is given (kazoo's default).
pub const DEFAULT_PRIORITY: u32 = 100;
/// The highest priority value (served last); priorities have three digits.
pub const MAX_PRIORITY: u32 = 999;

/// The name prefix of every entry node.
const ENTRY: &str = "entry-";
/// How long a `get` waits before trying again after a connection loss (a reconnect wakes it sooner).
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// The least time a `get` gives its server calls, whatever its timeout: a `get` with a short timeout
/// on a connection that is down returns after this long.
const CALL_FLOOR: Duration = Duration::from_secs(1);

/// The path prefix of a new entry of `priority` under `dir`; the server appends the sequence number.
fn entry_prefix(dir: &str, priority: u32) -> Result<String> {
    if priority > MAX_PRIORITY {
        return Err(Error::BadArguments(format!("priority {priority} is not between 0 and {MAX_PRIORITY}")));
    }
    Ok(format!("{dir}/{ENTRY}{priority:03}-"))
}

/// Where an entry stands in the queue: its priority, then its sequence number. `None` for children
/// that are not queue entries (they are left alone).
fn entry_order(name: &str) -> Option<(u32, i64)> {
    let rest = name.strip_prefix(ENTRY)?;
    let priority = rest.get(..3)?;
    let sequence = rest.get(3..)?.strip_prefix('-')?;
    if !priority.bytes().all(|b| b.is_ascii_digit()) || sequence.len() != 10 {
        return None;
    }
    Some((priority.parse().ok()?, sequence_of(name)?))
}

/// The entries among `children`, in the order they are served.
fn in_queue_order(children: Vec<String>) -> Vec<String> {
    let mut entries: Vec<((u32, i64), String)> =
        children.into_iter().filter_map(|name| entry_order(&name).map(|order| (order, name))).collect();
    entries.sort_unstable();
    entries.into_iter().map(|(_, name)| name).collect()
}

/// The child watch a queue keeps on one node: armed by a listing only when none is pending, so a queue
/// has at most one watcher per watched node however often `get` runs. When it fires (or is released
/// unarmed, or ended by close or expiry) it wakes the queue's waiters and lets the next listing arm
/// another.
#[derive(Default)]
struct ChildWatch {
    armed: Arc<AtomicBool>,
    alive: Arc<AtomicUsize>,
}

/// Owned by a registered watcher; dropping it (the watcher ran or was discarded) disarms the watch.
struct ArmedWatch {
    armed: Arc<AtomicBool>,
    alive: Arc<AtomicUsize>,
    wake: Arc<Wake>,
}

impl Drop for ArmedWatch {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::AcqRel);
        self.armed.store(false, Ordering::Release);
        self.wake.bump();
    }
}

impl ChildWatch {
    /// A watcher for the next listing, or `None` if one is still pending.
    fn watcher(&self, wake: &Arc<Wake>) -> Option<Watcher> {
        if self.armed.swap(true, Ordering::AcqRel) {
            return None;
        }
        self.alive.fetch_add(1, Ordering::AcqRel);
        let armed = ArmedWatch { armed: self.armed.clone(), alive: self.alive.clone(), wake: wake.clone() };
        Some(Box::new(move |_event| drop(armed)))
    }

    fn alive(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }
}

/// What a queue object needs for blocking: the wake-up signal its watches and state changes bump.
struct Waiting {
    client: Client,
    wake: Arc<Wake>,
    _states: StateWatch,
}

impl Waiting {
    fn new(client: &Client) -> Waiting {
        let wake = Wake::new();
        let states = StateWatch::new(client, &wake);
        Waiting { client: client.clone(), wake, _states: states }
    }

    /// Calls `attempt` until it yields a value, `timeout` passes (`Ok(None)`; `None`: no limit), the
    /// client is closed (`Closed`) or the session the call started in is gone (`SessionExpired`).
    /// `attempt` makes its server calls through the [`Calls`] it is given, so that a connection that is
    /// down does not hold the caller past its timeout (or [`CALL_FLOOR`]); connection losses are waited
    /// out. Inside a callback of the client only one attempt is made: waiting there is `WouldDeadlock`.
    fn until<T>(
        &self,
        timeout: Option<Duration>,
        mut attempt: impl FnMut(&Calls) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let deadline = deadline_after(timeout);
        let session = self.client.session_id();
        let stop = || alive(&self.client, session);
        let timed_out = || Error::Timeout("queue get".into());
        // Server calls get at least CALL_FLOOR, so that a zero timeout still looks at the queue.
        let calls_until = deadline.map(|d| d.max(Instant::now() + CALL_FLOOR));
        let calls = if self.client.in_callback() {
            Calls::Sync { client: &self.client, wake: &self.wake }
        } else {
            Calls::Bounded(Bounds {
                client: &self.client,
                wake: &self.wake,
                deadline: calls_until,
                stop: &stop,
                timeout: &timed_out,
            })
        };
        loop {
            alive(&self.client, session)?;
            let seen = self.wake.seen();
            let retry_at = match attempt(&calls) {
                Ok(Some(v)) => return Ok(Some(v)),
                Ok(None) => deadline,
                Err(Error::Timeout(_)) => return Ok(None),
                // A call submitted while close was under way: the client is closed now.
                Err(Error::Closing) => return Err(Error::Closed),
                Err(e) if e.is_retriable() => {
                    let pause = Instant::now() + RETRY_PAUSE;
                    Some(deadline.map_or(pause, |d| d.min(pause)))
                }
                Err(e) => return Err(e),
            };
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            if self.client.in_callback() {
                return Err(Error::WouldDeadlock(
                    "a blocking queue get inside a callback of its client: the watch that ends the wait \
                     is delivered on this thread (use a zero timeout there)"
                        .into(),
                ));
            }
            self.wake.wait_after(seen, retry_at);
        }
    }
}

/// How an attempt reaches the server: within the bounds of the call (async replies waited for on the
/// wake, so a connection that is down cannot hold the caller past its deadline), or, inside a callback
/// of the client, where no async reply could arrive, with sync calls.
enum Calls<'a> {
    Bounded(Bounds<'a>),
    Sync { client: &'a Client, wake: &'a Arc<Wake> },
}

impl Calls<'_> {
    fn client(&self) -> &Client {
        match self {
            Calls::Bounded(b) => b.client,
            Calls::Sync { client, .. } => client,
        }
    }

    fn wake(&self) -> &Arc<Wake> {
        match self {
            Calls::Bounded(b) => b.wake,
            Calls::Sync { wake, .. } => wake,
        }
    }

    fn ensure_path(&self, path: &str) -> Result<()> {
        match self {
            Calls::Bounded(b) => b.ensure_path(path),
            Calls::Sync { client, .. } => client.ensure_path(path),
        }
    }

    fn get_children(&self, path: &str, watcher: Option<Watcher>) -> Result<Vec<String>> {
        match self {
            Calls::Bounded(b) => {
                b.call(|cb| b.client.get_children_async(path, watcher, move |r| cb(r.map(|(c, _)| c))))
            }
            Calls::Sync { client, .. } => Ok(client.get_children(path, watcher)?.0),
        }
    }

    fn get_data(&self, path: &str) -> Result<Vec<u8>> {
        match self {
            Calls::Bounded(b) => b.get_data(path, None),
            Calls::Sync { client, .. } => Ok(client.get_data(path, None)?.0),
        }
    }

    /// Creates a node; one created after a bounded caller gave up is deleted again.
    fn create(&self, path: &str, data: &[u8], opts: &CreateOptions) -> Result<()> {
        match self {
            Calls::Bounded(b) => b.create(path, data, opts).map(drop),
            Calls::Sync { client, .. } => client.create(path, data, opts).map(drop),
        }
    }

    /// Deletes a node; `undo` gets the result of a delete that completed after a bounded caller gave up.
    fn delete_or_undo(&self, path: &str, undo: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        match self {
            Calls::Bounded(b) => b.call_or_undo(|cb| b.client.delete_async(path, -1, cb), undo),
            Calls::Sync { client, .. } => client.delete(path, -1),
        }
    }
}

/// `Closed` once the client is closed, `SessionExpired` once the session `session` is gone.
fn alive(client: &Client, session: i64) -> Result<()> {
    if client.state() == State::Closed {
        return Err(Error::Closed);
    }
    check_session(client, session)
}

/// Creates `dir` (and its parents) once per queue object, again after it was found missing.
struct EnsuredPath {
    path: String,
    done: AtomicBool,
}

impl EnsuredPath {
    fn new(path: String) -> EnsuredPath {
        EnsuredPath { path, done: AtomicBool::new(false) }
    }

    fn ensure(&self, client: &Client) -> Result<()> {
        if !self.done.load(Ordering::Acquire) {
            client.ensure_path(&self.path)?;
            self.done.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// [`EnsuredPath::ensure`] within the bounds of a blocking call.
    fn ensure_within(&self, b: &Calls) -> Result<()> {
        if !self.done.load(Ordering::Acquire) {
            b.ensure_path(&self.path)?;
            self.done.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Someone deleted it: create it again at the next use.
    fn forget(&self) {
        self.done.store(false, Ordering::Release);
    }
}

/// Lists the children of `dir.path`, arming `watch` if none is pending; re-creates a vanished `dir`.
fn list(b: &Calls, dir: &EnsuredPath, watch: &ChildWatch) -> Result<Vec<String>> {
    dir.ensure_within(b)?;
    match b.get_children(&dir.path, watch.watcher(b.wake())) {
        Err(Error::NoNode(_)) => {
            dir.forget();
            dir.ensure_within(b)?;
            b.get_children(&dir.path, watch.watcher(b.wake()))
        }
        other => other,
    }
}

/// Creates one sequential entry of `priority` under `dir`; re-creates a vanished `dir`. Not retried after
/// a connection loss: the entry may or may not exist then, and a retry could add it twice.
fn put_entry(client: &Client, dir: &EnsuredPath, value: &[u8], priority: u32) -> Result<()> {
    let prefix = entry_prefix(&dir.path, priority)?;
    dir.ensure(client)?;
    let opts = CreateOptions::mode(CreateMode::PersistentSequential);
    match client.create(&prefix, value, &opts) {
        Err(Error::NoNode(_)) => {
            dir.forget();
            dir.ensure(client)?;
            client.create(&prefix, value, &opts).map(drop)
        }
        other => other.map(drop),
    }
}

/// Creates every value as an entry of `priority` under `dir` in one transaction: all or none.
fn put_entries<V: AsRef<[u8]>>(client: &Client, dir: &EnsuredPath, values: &[V], priority: u32) -> Result<()> {
    let prefix = entry_prefix(&dir.path, priority)?;
    if values.is_empty() {
        return Ok(());
    }
    dir.ensure(client)?;
    let opts = CreateOptions::mode(CreateMode::PersistentSequential);
    let commit = || {
        let mut txn = client.transaction();
        for v in values {
            txn.create(&prefix, v.as_ref(), &opts);
        }
        let results = client.commit(txn)?;
        match first_failure(&results) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    };
    match commit() {
        Err(Error::NoNode(_)) => {
            dir.forget();
            dir.ensure(client)?;
            commit()
        }
        other => other,
    }
}

/// The number of children of `dir` (entries, and for a LockingQueue the taken ones too).
fn count(client: &Client, dir: &EnsuredPath) -> Result<usize> {
    dir.ensure(client)?;
    match client.exists(&dir.path, None)? {
        Some(stat) => Ok(usize::try_from(stat.num_children).unwrap_or(0)),
        None => {
            dir.forget();
            Ok(0)
        }
    }
}

/// A distributed priority queue (kazoo's `Queue`): `get` removes the entry before the caller processes
/// it, so an item is lost if its consumer fails; use [`LockingQueue`] for reliable consumption.
///
/// Like kazoo, a queue object serves from the listing it made when its previous listing ran out, so
/// an entry put since then with a better priority comes after the entries already listed. Safe to share
/// between threads; one `get` at a time runs per object.
pub struct Queue {
    dir: EnsuredPath,
    listed: Mutex<VecDeque<String>>,
    watch: ChildWatch,
    waiting: Waiting,
}

impl Queue {
    /// A queue at `path` (created with its parents at first use).
    pub fn new(client: &Client, path: &str) -> Result<Queue> {
        validate_path(path, false)?;
        Ok(Queue {
            dir: EnsuredPath::new(path.to_string()),
            listed: Mutex::new(VecDeque::new()),
            watch: ChildWatch::default(),
            waiting: Waiting::new(client),
        })
    }

    /// The queue's path.
    pub fn path(&self) -> &str {
        &self.dir.path
    }

    fn client(&self) -> &Client {
        &self.waiting.client
    }

    /// Adds `value` with `priority` (0..=999, lower is served first; kazoo's default is
    /// [`DEFAULT_PRIORITY`]). Not retried after a connection loss (it may or may not have been added).
    pub fn put(&self, value: &[u8], priority: u32) -> Result<()> {
        put_entry(self.client(), &self.dir, value, priority)
    }

    /// Adds every value with `priority` in one transaction: all of them or none.
    pub fn put_all<V: AsRef<[u8]>>(&self, values: &[V], priority: u32) -> Result<()> {
        put_entries(self.client(), &self.dir, values, priority)
    }

    /// Removes the first entry and returns its value, waiting up to `timeout` for one (`None`: no limit;
    /// `Some(Duration::ZERO)`: kazoo's non-blocking `get`). `Ok(None)` when the time ran out; `Closed` or
    /// `SessionExpired` when the client closed or the session ended meanwhile; `WouldDeadlock` when it
    /// would have to wait inside a callback of its client.
    pub fn get(&self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        self.waiting.until(timeout, |b| self.take_first(b))
    }

    /// The number of entries.
    pub fn len(&self) -> Result<usize> {
        count(self.client(), &self.dir)
    }

    /// Whether the queue has no entries.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// How many child watchers of this queue are registered and have not fired yet: at most 1, however
    /// many `get` calls timed out (for monitoring, and the tests).
    pub fn pending_watches(&self) -> usize {
        self.watch.alive()
    }

    /// One attempt: takes the first listed entry that is still there, listing again when the listing
    /// ran out (once per attempt).
    fn take_first(&self, b: &Calls) -> Result<Option<Vec<u8>>> {
        let mut listed = self.listed.lock();
        let mut fresh = false;
        loop {
            let Some(name) = listed.pop_front() else {
                if fresh {
                    return Ok(None);
                }
                listed.extend(in_queue_order(list(b, &self.dir, &self.watch)?));
                fresh = true;
                continue;
            };
            let node = format!("{}/{name}", self.dir.path);
            let data = match b.get_data(&node) {
                Ok(data) => data,
                Err(Error::NoNode(_)) => continue, // another consumer took it
                Err(e) => {
                    listed.push_front(name);
                    return Err(e);
                }
            };
            match self.delete_entry(b, &name, &data) {
                Ok(true) => return Ok(Some(data)),
                Ok(false) => continue,
                Err(e) => {
                    listed.push_front(name);
                    return Err(e);
                }
            }
        }
    }

    /// Deletes a taken entry: `true` if this call deleted it, `false` if another consumer did. A delete
    /// whose reply was lost is sent again; if the entry is gone then, it counts as ours (the item is
    /// delivered at least once rather than lost). A delete that completes after the caller gave up puts
    /// the value back (at the end of its priority), so it is not lost either.
    fn delete_entry(&self, b: &Calls, name: &str, data: &[u8]) -> Result<bool> {
        let node = format!("{}/{name}", self.dir.path);
        let mut resent = false;
        loop {
            let (client, dir, value) = (b.client().clone(), self.dir.path.clone(), data.to_vec());
            let priority = entry_order(name).map_or(DEFAULT_PRIORITY, |(p, _)| p);
            let put_back = move |r: Result<()>| {
                if r.is_ok() {
                    if let Ok(prefix) = entry_prefix(&dir, priority) {
                        let opts = CreateOptions::mode(CreateMode::PersistentSequential);
                        let _ = client.create_async(&prefix, &value, &opts, |_| {});
                    }
                }
            };
            match b.delete_or_undo(&node, put_back) {
                Ok(()) => return Ok(true),
                Err(Error::NoNode(_)) => return Ok(resent),
                Err(e) if e.is_retriable() => resent = true,
                Err(e) => return Err(e),
            }
        }
    }
}

/// A distributed priority queue with reliable consumption (kazoo's `LockingQueue`): `get` locks the
/// first free entry with an ephemeral node and returns its value; [`LockingQueue::consume`] removes it
/// once processed, [`LockingQueue::release`] hands it back. If the session ends first the server drops
/// the lock and another consumer gets the entry.
///
/// Safe to share between threads; the object holds at most one entry at a time (as kazoo's).
pub struct LockingQueue {
    entries: EnsuredPath,
    taken: EnsuredPath,
    path: String,
    /// Written into the lock nodes this object creates: 32 hex digits, like kazoo's `uuid4().hex`.
    id: String,
    held: Mutex<Held>,
    entries_watch: ChildWatch,
    taken_watch: ChildWatch,
    waiting: Waiting,
}

#[derive(Default)]
struct Held {
    /// The entry being processed: its name and value.
    entry: Option<(String, Vec<u8>)>,
    /// Entries whose lock create got no reply: if the lock exists, it may be ours.
    unsure: HashSet<String>,
}

impl LockingQueue {
    /// A locking queue at `path` (`entries` and `taken` under it are created at first use).
    pub fn new(client: &Client, path: &str) -> Result<LockingQueue> {
        validate_path(path, false)?;
        let base = path.trim_end_matches('/');
        Ok(LockingQueue {
            entries: EnsuredPath::new(format!("{base}/entries")),
            taken: EnsuredPath::new(format!("{base}/taken")),
            path: path.to_string(),
            id: uuid_hex(),
            held: Mutex::new(Held::default()),
            entries_watch: ChildWatch::default(),
            taken_watch: ChildWatch::default(),
            waiting: Waiting::new(client),
        })
    }

    /// The queue's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The id this object writes into its lock nodes (32 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn client(&self) -> &Client {
        &self.waiting.client
    }

    /// Adds `value` with `priority` (0..=999, lower is served first). Not retried after a connection loss.
    pub fn put(&self, value: &[u8], priority: u32) -> Result<()> {
        self.taken.ensure(self.client())?;
        put_entry(self.client(), &self.entries, value, priority)
    }

    /// Adds every value with `priority` in one transaction: all of them or none.
    pub fn put_all<V: AsRef<[u8]>>(&self, values: &[V], priority: u32) -> Result<()> {
        self.taken.ensure(self.client())?;
        put_entries(self.client(), &self.entries, values, priority)
    }

    /// Locks the first free entry and returns its value, waiting up to `timeout` for one (`None`: no
    /// limit). If this object already holds an entry, returns that one again at once. `Ok(None)` when
    /// the time ran out; `Closed` or `SessionExpired` when the client closed or the session ended;
    /// `WouldDeadlock` when it would have to wait inside a callback of its client.
    pub fn get(&self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        if let Some((_, value)) = &self.held.lock().entry {
            return Ok(Some(value.clone()));
        }
        self.waiting.until(timeout, |b| self.take_first_free(b))
    }

    /// Whether this object holds an entry and its lock node is still there with this object's id (after
    /// a session loss it is not). Asks the leader (sync) first.
    pub fn holds_lock(&self) -> Result<bool> {
        let held = self.held.lock();
        self.holds(&held)
    }

    fn holds(&self, held: &Held) -> Result<bool> {
        let Some((name, _)) = &held.entry else { return Ok(false) };
        let lock = format!("{}/{name}", self.taken.path);
        self.client().sync(&lock)?;
        match self.client().get_data(&lock, None) {
            Ok((data, _)) => Ok(data == self.id.as_bytes()),
            Err(Error::NoNode(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes the held entry from the queue (entry and lock in one transaction). `false` if this object
    /// holds no entry or no longer holds its lock (it then forgets the entry).
    pub fn consume(&self) -> Result<bool> {
        self.finish(true)
    }

    /// Unlocks the held entry without removing it, so that it is served again. `false` if this object
    /// holds no entry or no longer holds its lock (it then forgets the entry).
    pub fn release(&self) -> Result<bool> {
        self.finish(false)
    }

    fn finish(&self, consume: bool) -> Result<bool> {
        let mut held = self.held.lock();
        let Some((name, _)) = held.entry.clone() else { return Ok(false) };
        if !self.holds(&held)? {
            held.entry = None;
            return Ok(false);
        }
        let mut txn = self.client().transaction();
        if consume {
            txn.delete(&format!("{}/{name}", self.entries.path), -1);
        }
        txn.delete(&format!("{}/{name}", self.taken.path), -1);
        let results = self.client().commit(txn)?;
        if let Some((_, e)) = first_failure(&results) {
            if !matches!(e, Error::NoNode(_)) {
                return Err(e.clone());
            }
            // The entry was removed by someone else; our lock is all that is left of it.
            delete_until_gone(self.client(), &format!("{}/{name}", self.taken.path));
            held.entry = None;
            return Ok(false);
        }
        held.entry = None;
        Ok(true)
    }

    /// The number of entries, taken ones included.
    pub fn len(&self) -> Result<usize> {
        self.taken.ensure(self.client())?;
        count(self.client(), &self.entries)
    }

    /// Whether the queue has no entries (taken ones count).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// How many child watchers of this queue are registered and have not fired yet: at most 2 (one on
    /// `entries`, one on `taken`), however many `get` calls timed out.
    pub fn pending_watches(&self) -> usize {
        self.entries_watch.alive() + self.taken_watch.alive()
    }

    /// One attempt: lists the entries and the locks and takes the first entry nobody holds.
    fn take_first_free(&self, b: &Calls) -> Result<Option<Vec<u8>>> {
        let mut held = self.held.lock();
        if let Some((_, value)) = &held.entry {
            return Ok(Some(value.clone())); // another thread of this object got one meanwhile
        }
        let entries = in_queue_order(list(b, &self.entries, &self.entries_watch)?);
        let taken: HashSet<String> = list(b, &self.taken, &self.taken_watch)?.into_iter().collect();
        for name in entries.into_iter().filter(|n| !taken.contains(n)) {
            if !self.lock_entry(b, &mut held, &name)? {
                continue;
            }
            match b.get_data(&format!("{}/{name}", self.entries.path)) {
                Ok(value) => {
                    held.entry = Some((name, value.clone()));
                    return Ok(Some(value));
                }
                Err(e) => {
                    // Consumed between the listing and our lock, unreadable, or out of time: let go.
                    remove_in_background(b.client().clone(), format!("{}/{name}", self.taken.path));
                    if !matches!(e, Error::NoNode(_)) {
                        return Err(e);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Creates the lock of entry `name`: `true` if this object holds it now, `false` if another does.
    /// A lock created after the caller gave up is deleted again.
    fn lock_entry(&self, b: &Calls, held: &mut Held, name: &str) -> Result<bool> {
        let lock = format!("{}/{name}", self.taken.path);
        match b.create(&lock, self.id.as_bytes(), &CreateOptions::ephemeral()) {
            Ok(_) => {
                held.unsure.remove(name);
                Ok(true)
            }
            Err(Error::NodeExists(_)) if held.unsure.remove(name) => match b.get_data(&lock) {
                Ok(data) => Ok(data == self.id.as_bytes()),
                Err(Error::NoNode(_)) => Ok(false),
                Err(e) => Err(e),
            },
            Err(Error::NodeExists(_)) => Ok(false),
            Err(e) => {
                if e.is_retriable() {
                    held.unsure.insert(name.to_string());
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_named_like_kazoo() {
        assert_eq!(entry_prefix("/q", 7).unwrap(), "/q/entry-007-");
        assert_eq!(entry_prefix("/q/entries", 100).unwrap(), "/q/entries/entry-100-");
        assert_eq!(entry_prefix("/q", 999).unwrap(), "/q/entry-999-");
        assert!(matches!(entry_prefix("/q", 1000), Err(Error::BadArguments(_))));
    }

    #[test]
    fn entries_are_ordered_by_priority_then_sequence_as_numbers() {
        let names = ["entry-100-0000000010", "entry-001-0000000011", "lock", "entry-100-0000000009", "entry-x"];
        let sorted = in_queue_order(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(sorted, ["entry-001-0000000011", "entry-100-0000000009", "entry-100-0000000010"]);
        assert_eq!(entry_order("entry-100--000000001"), Some((100, -1)));
        assert_eq!(entry_order("entry-10-0000000001"), None);
        assert_eq!(entry_order("entry-1000000000001"), None);
        assert_eq!(entry_order("entry-100-00000000012"), None);
    }
}
