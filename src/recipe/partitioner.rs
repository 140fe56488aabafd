//! kazoo's `SetPartitioner`: members of a party divide a set of items among themselves, each holding a
//! lock per item it owns, and divide it again whenever the party changes.
//!
//! Layout (kazoo's): `<path>/party/<uuid>-<identifier>` (a shallow party, ephemeral) and
//! `<path>/locks/<item>/<uuid>__lock__<seq>` (a [`Lock`] per owned item, no identifier). Once the party
//! has been stable for `time_boundary`, each member computes its share (by default: the sorted items,
//! from the member's index among the sorted identifiers, every n-th) and takes the locks of its items,
//! each attempt bounded by `max_reaction_time` so that a change of the party is noticed. States:
//! [`PartitionState::Allocating`] → [`PartitionState::Acquired`]; a party change or a connection
//! state change while acquired → [`PartitionState::Release`] (call [`SetPartitioner::release_set`]
//! to divide again); session loss or [`SetPartitioner::finish`] → [`PartitionState::Failure`], which
//! is final.
//!
//! Items are strings and are sorted as strings (kazoo sorts its items by their own type's order, so a
//! zkrs and a kazoo partitioner agree on the split only for string items).

use super::barrier::default_identifier;
use super::lock::Lock;
use super::party::Party;
use super::watchers::{ChildrenChanged, PatientChildrenWatch};
use crate::client::{Client, ListenerId};
use crate::error::{Error, Result};
use crate::path::validate_path;
use crate::state::KazooState;
use parking_lot::{Condvar, Mutex};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The state of a [`SetPartitioner`] (kazoo's `PartitionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionState {
    /// Waiting for the party to settle and taking the locks of this member's items.
    Allocating,
    /// This member holds the locks of all its items.
    Acquired,
    /// The party or the connection changed: release the set ([`SetPartitioner::release_set`]).
    Release,
    /// Finished or the session was lost; final.
    Failure,
}

/// Decides a member's items: `(identifier, members' identifiers, all items) -> this member's items`.
pub type PartitionFunc = Arc<dyn Fn(&str, &[String], &[String]) -> Vec<String> + Send + Sync>;

/// kazoo's default split: sorted items, starting at this member's index among the sorted
/// identifiers, every `members.len()`-th.
pub fn default_partition(identifier: &str, members: &[String], items: &[String]) -> Vec<String> {
    let mut workers: Vec<&String> = members.iter().collect();
    workers.sort();
    let mut all: Vec<&String> = items.iter().collect();
    all.sort();
    match workers.iter().position(|w| *w == identifier) {
        Some(i) => all.into_iter().skip(i).step_by(workers.len()).cloned().collect(),
        None => Vec::new(),
    }
}

/// Options of a [`SetPartitioner`]; `Default` gives kazoo's.
#[derive(Clone)]
pub struct PartitionerOptions {
    /// This member's identifier (default `<hostname>-<pid>`); it must be usable in a node name.
    pub identifier: Option<String>,
    /// How long the party must be unchanged before the set is divided (kazoo: 30 s).
    pub time_boundary: Duration,
    /// The longest single lock attempt, hence the longest reaction to a party change (kazoo: 1 s).
    pub max_reaction_time: Duration,
    /// The split (default [`default_partition`]).
    pub partition_func: Option<PartitionFunc>,
}

impl Default for PartitionerOptions {
    fn default() -> Self {
        PartitionerOptions {
            identifier: None,
            time_boundary: Duration::from_secs(30),
            max_reaction_time: Duration::from_secs(1),
            partition_func: None,
        }
    }
}

/// A member of a set partition (kazoo's `SetPartitioner`). The division runs on a thread of its own;
/// query and wait with [`SetPartitioner::state`] and [`SetPartitioner::wait_for_acquire`]. Dropping it
/// finishes it (releases the locks, leaves the party).
pub struct SetPartitioner {
    inner: Arc<Inner>,
    listener: ListenerId,
}

struct Inner {
    client: Client,
    lock_path: String,
    party_path: String,
    items: Vec<String>,
    identifier: String,
    time_boundary: Duration,
    max_reaction_time: Duration,
    partition_func: PartitionFunc,
    party: Party,
    st: Mutex<St>,
    changed: Condvar,
}

struct St {
    state: PartitionState,
    /// Bumped by every transition, so a division started earlier can tell it is stale.
    state_id: u64,
    partition: Vec<String>,
    locks: Vec<Lock>,
}

impl SetPartitioner {
    /// Joins the partition of `items` at `path` and starts dividing them. Creates `<path>`,
    /// `<path>/locks` and `<path>/party`. `InvalidPath` for a bad path or an identifier that cannot be
    /// part of a node name.
    pub fn new(client: &Client, path: &str, items: &[&str], options: PartitionerOptions) -> Result<SetPartitioner> {
        validate_path(path, false)?;
        if items.iter().any(|i| i.is_empty() || i.contains('/')) {
            return Err(Error::BadArguments("an item is empty or contains '/' (items name lock nodes)".into()));
        }
        let base = path.trim_end_matches('/');
        let (lock_path, party_path) = (format!("{base}/locks"), format!("{base}/party"));
        for item in items {
            validate_path(&format!("{lock_path}/{item}"), false)?;
        }
        let identifier = options.identifier.unwrap_or_else(default_identifier);
        let party = Party::shallow(client, &party_path, &identifier)?;
        client.ensure_path(&lock_path)?;
        client.ensure_path(&party_path)?;
        party.join()?;
        let inner = Arc::new(Inner {
            client: client.clone(),
            lock_path,
            party_path,
            items: items.iter().map(|s| s.to_string()).collect(),
            identifier,
            time_boundary: options.time_boundary,
            max_reaction_time: options.max_reaction_time,
            partition_func: options.partition_func.unwrap_or_else(|| Arc::new(default_partition)),
            party,
            st: Mutex::new(St {
                state: PartitionState::Allocating,
                state_id: 0,
                partition: Vec::new(),
                locks: Vec::new(),
            }),
            changed: Condvar::new(),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        let listener = client.add_state_listener(move |e| {
            if let (true, Some(inner)) = (e.kazoo_changed(), weak.upgrade()) {
                inner.on_connection_state(e.kazoo_state);
            }
        });
        let id = inner.st.lock().state_id;
        Inner::spawn_division(&inner, id);
        Ok(SetPartitioner { inner, listener })
    }

    /// The current state.
    pub fn state(&self) -> PartitionState {
        self.inner.st.lock().state
    }

    /// A number bumped by every state transition.
    pub fn state_id(&self) -> u64 {
        self.inner.st.lock().state_id
    }

    /// This member's identifier.
    pub fn identifier(&self) -> &str {
        &self.inner.identifier
    }

    /// The items of the last completed division (kept while in `Release`, as kazoo does).
    pub fn partitions(&self) -> Vec<String> {
        self.inner.st.lock().partition.clone()
    }

    /// Waits up to `timeout` (`None`: no limit) until the set is acquired; `true` if it is.
    /// Returns `false` at once in `Failure`.
    pub fn wait_for_acquire(&self, timeout: Option<Duration>) -> bool {
        self.wait_until(timeout, |s| matches!(s, PartitionState::Acquired | PartitionState::Failure))
            == Some(PartitionState::Acquired)
    }

    /// Waits up to `timeout` for a transition after the one numbered `since` ([`SetPartitioner::state_id`]);
    /// the state then, or `None` on timeout.
    pub fn wait_for_state_change(&self, since: u64, timeout: Option<Duration>) -> Option<PartitionState> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.inner.st.lock();
        while st.state_id == since {
            match deadline {
                None => self.inner.changed.wait(&mut st),
                Some(d) => {
                    if self.inner.changed.wait_until(&mut st, d).timed_out() && st.state_id == since {
                        return None;
                    }
                }
            }
        }
        Some(st.state)
    }

    fn wait_until(&self, timeout: Option<Duration>, done: impl Fn(PartitionState) -> bool) -> Option<PartitionState> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.inner.st.lock();
        while !done(st.state) {
            match deadline {
                None => self.inner.changed.wait(&mut st),
                Some(d) => {
                    if self.inner.changed.wait_until(&mut st, d).timed_out() && !done(st.state) {
                        return None;
                    }
                }
            }
        }
        Some(st.state)
    }

    /// Releases the locks and divides the set again (from `Release`, or to give up an acquired set).
    /// Nothing happens in `Failure`.
    pub fn release_set(&self) {
        self.inner.release_locks();
        let id = {
            let mut st = self.inner.st.lock();
            if st.state == PartitionState::Failure {
                return;
            }
            self.inner.set_state(&mut st, PartitionState::Allocating)
        };
        Inner::spawn_division(&self.inner, id);
    }

    /// Releases the locks, leaves the party and ends in `Failure`.
    pub fn finish(&self) {
        self.inner.release_locks();
        self.inner.fail_out();
    }
}

impl Drop for SetPartitioner {
    fn drop(&mut self) {
        self.inner.client.remove_state_listener(self.listener);
        self.finish();
    }
}

/// How one division attempt ended.
enum Division {
    /// The party changed while taking locks: release them and divide again.
    Again,
    /// Stale or finished: stop.
    Stop,
}

impl Inner {
    fn set_state(&self, st: &mut St, state: PartitionState) -> u64 {
        st.state = state;
        st.state_id += 1;
        self.changed.notify_all();
        st.state_id
    }

    fn on_connection_state(self: &Arc<Self>, state: KazooState) {
        let mut st = self.st.lock();
        match st.state {
            PartitionState::Failure => {}
            _ if state == KazooState::Lost => {
                drop(st);
                // Leaving the party makes server calls: not on the dispatcher.
                let inner = self.clone();
                std::thread::spawn(move || {
                    inner.release_locks();
                    inner.fail_out();
                });
            }
            PartitionState::Release => {}
            _ => {
                self.set_state(&mut st, PartitionState::Release);
            }
        }
    }

    fn fail_out(&self) {
        {
            let mut st = self.st.lock();
            if st.state != PartitionState::Failure {
                self.set_state(&mut st, PartitionState::Failure);
            }
        }
        if self.party.participating() {
            if let Err(e) = self.party.leave() {
                debug!("partitioner {}: leaving the party: {e}", self.party_path);
            }
        }
    }

    fn release_locks(&self) {
        let locks = std::mem::take(&mut self.st.lock().locks);
        for lock in locks {
            if let Err(e) = lock.release() {
                debug!("partitioner {}: releasing {}: {e}", self.party_path, lock.path());
            }
        }
    }

    fn current(&self, id: u64) -> bool {
        self.st.lock().state_id == id
    }

    fn spawn_division(inner: &Arc<Inner>, id: u64) {
        let weak = Arc::downgrade(inner);
        let spawned = std::thread::Builder::new().name("zkrs-partitioner".into()).spawn(move || loop {
            let Some(inner) = weak.upgrade() else { return };
            match inner.divide(id) {
                Division::Again => inner.release_locks(),
                Division::Stop => return,
            }
        });
        if let Err(e) = spawned {
            warn!("partitioner: cannot start its thread: {e}");
            inner.fail_out();
        }
    }

    /// One division: waits for a settled party, takes this member's locks, and watches the party while
    /// acquired. Runs while the state id is `id`.
    fn divide(&self, id: u64) -> Division {
        let watch = PatientChildrenWatch::new(&self.client, &self.party_path, self.time_boundary);
        let (children, party_changed) = loop {
            if !self.current(id) {
                return Division::Stop;
            }
            // Bounded, so that finish() or release_set() is noticed while the party keeps changing.
            match watch.start(Some(self.time_boundary + self.max_reaction_time)) {
                Ok(settled) => break settled,
                Err(Error::Timeout(_)) => continue,
                Err(e) => {
                    debug!("partitioner {}: watching the party: {e}", self.party_path);
                    self.fail_out();
                    return Division::Stop;
                }
            }
        };
        let members: Vec<String> =
            children.iter().map(|c| c.split_once('-').map_or(c.as_str(), |(_, id)| id).to_string()).collect();
        if !members.contains(&self.identifier) {
            // Our member node is gone (its session ended): nobody would leave items to us.
            self.fail_out();
            return Division::Stop;
        }
        let mine = (self.partition_func)(&self.identifier, &members, &self.items);
        for item in &mine {
            let lock = match Lock::new(&self.client, &format!("{}/{item}", self.lock_path), "") {
                Ok(l) => l,
                Err(_) => return self.finish_from_thread(),
            };
            loop {
                match lock.acquire(true, Some(self.max_reaction_time), true) {
                    Ok(true) => break,
                    Ok(false) | Err(Error::Timeout(_)) => {
                        if let Some(d) = self.abort_if_needed(id, &party_changed) {
                            return d;
                        }
                    }
                    Err(_) => return self.finish_from_thread(),
                }
            }
            self.st.lock().locks.push(lock);
            if let Some(d) = self.abort_if_needed(id, &party_changed) {
                return d;
            }
        }
        {
            let mut st = self.st.lock();
            if st.state_id != id || party_changed.has_changed() {
                drop(st);
                return self.abort_if_needed(id, &party_changed).unwrap_or(Division::Stop);
            }
            st.partition = mine;
            let acquired = self.set_state(&mut st, PartitionState::Acquired);
            drop(st);
            // Acquired: a party change now asks for a release.
            loop {
                if party_changed.wait(Some(Duration::from_millis(100))).is_some() {
                    let mut st = self.st.lock();
                    if st.state_id == acquired {
                        self.set_state(&mut st, PartitionState::Release);
                    }
                    return Division::Stop;
                }
                if !self.current(acquired) {
                    return Division::Stop;
                }
            }
        }
    }

    /// After a lock attempt: `Again` when the party changed, `Stop` when this division is stale (a
    /// connection change meanwhile puts an allocating member in `Release`), `None` to go on.
    fn abort_if_needed(&self, id: u64, party_changed: &ChildrenChanged) -> Option<Division> {
        let mut st = self.st.lock();
        if st.state_id == id {
            return party_changed.has_changed().then_some(Division::Again);
        }
        if matches!(st.state, PartitionState::Allocating | PartitionState::Acquired) {
            self.set_state(&mut st, PartitionState::Release);
        }
        Some(Division::Stop)
    }

    fn finish_from_thread(&self) -> Division {
        self.release_locks();
        self.fail_out();
        Division::Stop
    }
}
