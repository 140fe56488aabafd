//! kazoo's `SetPartitioner`: a set of items divided among the members of a party, each item held by
//! one member at a time.
//!
//! Layout (kazoo's): members are a shallow party under `<path>/party` (nodes `<uuid>-<identifier>`);
//! the holder of item `x` holds the exclusive lock `<path>/locks/<x>`. Once the party has not changed
//! for `time_boundary`, each member computes its share with the partition function (by default kazoo's
//! round robin over the sorted members and the sorted items, so zkrs and kazoo members agree) and
//! acquires the locks of its share.
//!
//! States and transitions (kazoo's): `Allocating` → `Acquired` when every lock of the share is held;
//! `Acquired` → `Release` when the party changes (or the connection is suspended): the holder should
//! call [`SetPartitioner::release_set`], which goes back to `Allocating`; any state → `Failure` on
//! session loss, close or [`SetPartitioner::finish`]. `Failure` is final.
//!
//! The allocation runs on a thread of the partitioner's own, which is where the partition function
//! is called. Beyond kazoo: waits are bounded and end on session loss or close, a member that finds
//! itself missing from the party fails instead of hanging, and a lock won for an allocation that
//! became stale is released at once.

use super::barrier::default_identifier;
use super::lock::Lock;
use super::party::Party;
use super::{deadline_after, ChildrenChanged, PatientChildrenWatch};
use crate::client::{Client, ListenerId};
use crate::error::{Error, Result};
use crate::path::validate_path;
use crate::retry::RetryPolicy;
use crate::state::KazooState;
use parking_lot::{Condvar, Mutex};
use std::sync::{Arc, OnceLock, Weak};
use std::thread::ThreadId;
use std::time::Duration;

/// The state of a [`SetPartitioner`] (kazoo's `PartitionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum PartitionState {
    /// The set is being partitioned; this member is waiting for the party to settle or for its locks.
    Allocating = 0,
    /// This member holds every item of its share ([`SetPartitioner::acquired_items`]).
    Acquired = 1,
    /// The party changed (or the connection was suspended): call [`SetPartitioner::release_set`].
    Release = 2,
    /// Session lost, client closed, a failure, or [`SetPartitioner::finish`]: the partitioner is
    /// unusable; create a new one.
    Failure = 3,
}

impl PartitionState {
    /// kazoo's name of the state (`"ALLOCATING"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PartitionState::Allocating => "ALLOCATING",
            PartitionState::Acquired => "ACQUIRED",
            PartitionState::Release => "RELEASE",
            PartitionState::Failure => "FAILURE",
        }
    }
}

/// A partition function: `(identifier, members, items) -> this member's share`. `members` are the
/// identifiers of the party (sorted), `items` the set as given (duplicates removed). Runs on the
/// partitioner's thread; it should be quick and must give every member the same answer for the same
/// input.
pub type PartitionFn = Arc<dyn Fn(&str, &[String], &[String]) -> Vec<String> + Send + Sync>;

/// kazoo's default partition: the sorted items, from this member's index in the sorted members on,
/// every `members.len()`-th one. Empty when `identifier` is not a member.
pub fn round_robin(identifier: &str, members: &[String], items: &[String]) -> Vec<String> {
    let mut workers: Vec<&String> = members.iter().collect();
    workers.sort();
    let Some(i) = workers.iter().position(|w| w.as_str() == identifier) else {
        return Vec::new();
    };
    let mut all: Vec<&String> = items.iter().collect();
    all.sort();
    all.into_iter().skip(i).step_by(workers.len()).cloned().collect()
}

/// How a [`SetPartitioner`] is set up; `Default` is kazoo's defaults.
#[derive(Clone)]
pub struct PartitionerOptions {
    /// This member's identifier (kazoo: `<fqdn>-<pid>`; here `<hostname>-<pid>` when `None`). It is
    /// part of a node name, so it cannot contain `/`; members need distinct identifiers.
    pub identifier: Option<String>,
    /// How long the party must not change before the set is allocated (kazoo: 30 s).
    pub time_boundary: Duration,
    /// How long one lock attempt waits before the party is checked for changes again (kazoo's
    /// `max_reaction_time`: 1 s).
    pub max_reaction_time: Duration,
    /// The partition function; `None` is [`round_robin`].
    pub partition_fn: Option<PartitionFn>,
}

impl Default for PartitionerOptions {
    fn default() -> Self {
        PartitionerOptions {
            identifier: None,
            time_boundary: Duration::from_secs(30),
            max_reaction_time: Duration::from_secs(1),
            partition_fn: None,
        }
    }
}

/// kazoo's `SetPartitioner`. Created in `Allocating`; see the module documentation for the states.
/// All methods may be called from any thread. Dropping it finishes it: its locks are released and it
/// leaves the party before `drop` returns, and the partition function is not called again.
pub struct SetPartitioner {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    lock_path: String,
    party_path: String,
    items: Vec<String>,
    identifier: String,
    time_boundary: Duration,
    max_reaction_time: Duration,
    partition_fn: PartitionFn,
    party: Party,
    st: Mutex<St>,
    changed: Condvar,
    listener: Mutex<Option<ListenerId>>,
    /// The connection state last acted on: an event queued before the listener was added (the
    /// CONNECTED of the client's start) is not a change for this partitioner.
    connection: Mutex<KazooState>,
    /// `true` while the partition function may be called; held while it runs.
    callbacks_open: Mutex<bool>,
    worker: OnceLock<ThreadId>,
}

struct St {
    state: PartitionState,
    /// Bumped on every transition, so an allocation can tell that it became stale.
    state_id: u64,
    acquired: Vec<String>,
    locks: Vec<Lock>,
    /// The state id the worker last began an allocation for.
    allocated_for: Option<u64>,
}

/// What a lock attempt that timed out should do next.
enum Next {
    KeepTrying,
    /// The party changed: release and partition again.
    Restart,
    /// The allocation is stale (another state, or failed).
    Stop,
}

/// How long a slice of the wait for a calm party may last beyond the time boundary, so a stale
/// allocation notices soon enough.
const SETTLE_SLACK: Duration = Duration::from_secs(1);
/// How often a holder checks that its allocation is still the current one.
const HOLD_POLL: Duration = Duration::from_millis(100);

impl SetPartitioner {
    /// kazoo's `client.SetPartitioner(path, set, ...)`: creates `<path>`, `<path>/locks` and
    /// `<path>/party`, joins the party and starts allocating. Errors: `InvalidPath` for a bad path, an
    /// identifier with `/`, or an item that is not a valid node name (empty, `/`, ...); a closed client;
    /// the server's refusal.
    pub fn new(client: &Client, path: &str, items: &[&str], options: PartitionerOptions) -> Result<SetPartitioner> {
        validate_path(path, false)?;
        let base = path.trim_end_matches('/');
        let lock_path = format!("{base}/locks");
        let party_path = format!("{base}/party");
        let mut unique: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            validate_item(&lock_path, item)?;
            if !unique.iter().any(|u| u == item) {
                unique.push(item.to_string());
            }
        }
        let identifier = options.identifier.unwrap_or_else(default_identifier);
        // Leaving the party must not block forever on a dead connection.
        let leave_retry = RetryPolicy { deadline: Some(Duration::from_secs(10)), ..RetryPolicy::forever() };
        let party = Party::shallow(client, &party_path, &identifier)?.with_retry(leave_retry);
        client.ensure_path(if base.is_empty() { "/" } else { base })?;
        client.ensure_path(&lock_path)?;
        client.ensure_path(&party_path)?;
        party.join()?;
        let inner = Arc::new(Inner {
            client: client.clone(),
            lock_path,
            party_path,
            items: unique,
            identifier,
            time_boundary: options.time_boundary,
            max_reaction_time: options.max_reaction_time.max(Duration::from_millis(1)),
            partition_fn: options.partition_fn.unwrap_or_else(|| Arc::new(round_robin)),
            party,
            st: Mutex::new(St {
                state: PartitionState::Allocating,
                state_id: 0,
                acquired: Vec::new(),
                locks: Vec::new(),
                allocated_for: None,
            }),
            changed: Condvar::new(),
            listener: Mutex::new(None),
            connection: Mutex::new(client.kazoo_state()),
            callbacks_open: Mutex::new(true),
            worker: OnceLock::new(),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        let id = client.add_state_listener(move |ev| {
            if let Some(inner) = weak.upgrade() {
                if ev.kazoo_changed() {
                    inner.on_connection(ev.kazoo_state);
                }
            }
        });
        *inner.listener.lock() = Some(id);
        // The session may have been lost before the listener was there.
        if client.kazoo_state() == KazooState::Lost {
            inner.on_connection(KazooState::Lost);
        }
        let worker = inner.clone();
        let handle = std::thread::Builder::new()
            .name("zkrs-partitioner".into())
            .spawn(move || worker.run())
            .map_err(|e| Error::BadArguments(format!("cannot start the partitioner thread: {e}")))?;
        let _ = inner.worker.set(handle.thread().id());
        Ok(SetPartitioner { inner })
    }

    /// The current state.
    pub fn state(&self) -> PartitionState {
        self.inner.st.lock().state
    }

    /// The current state and the number of transitions so far (kazoo's `state_id`), for
    /// [`SetPartitioner::wait_for_change`].
    pub fn state_and_id(&self) -> (PartitionState, u64) {
        let st = self.inner.st.lock();
        (st.state, st.state_id)
    }

    /// This member's identifier.
    pub fn identifier(&self) -> &str {
        &self.inner.identifier
    }

    /// Whether the state is `Failure`.
    pub fn failed(&self) -> bool {
        self.state() == PartitionState::Failure
    }

    /// Whether the state is `Release`.
    pub fn release(&self) -> bool {
        self.state() == PartitionState::Release
    }

    /// Whether the state is `Allocating`.
    pub fn allocating(&self) -> bool {
        self.state() == PartitionState::Allocating
    }

    /// Whether the state is `Acquired`.
    pub fn acquired(&self) -> bool {
        self.state() == PartitionState::Acquired
    }

    /// The items this member holds: its share while `Acquired`, and still while `Release` (until
    /// [`SetPartitioner::release_set`]); empty otherwise.
    pub fn acquired_items(&self) -> Vec<String> {
        self.inner.st.lock().acquired.clone()
    }

    /// Waits up to `timeout` (`None`: no limit) until the state is no longer `Allocating` and
    /// returns it: `Acquired`, or `Release` / `Failure` (connection suspended, party changed, session
    /// lost, client closed). `Timeout` if it is still allocating; `WouldDeadlock` inside a callback of
    /// the same client (the allocation needs that client's watches).
    pub fn wait_for_acquire(&self, timeout: Option<Duration>) -> Result<PartitionState> {
        self.wait_until(timeout, |st| st.state != PartitionState::Allocating).map(|(state, _)| state).map_err(|e| {
            if matches!(e, Error::Timeout(_)) {
                Error::Timeout("the set was not acquired".into())
            } else {
                e
            }
        })
    }

    /// Waits up to `timeout` for a transition after the one numbered `seen_id` (kazoo's
    /// `state_change_event`); the state and its id, or `Timeout`. Returns at once when `seen_id` is
    /// not the current id. `WouldDeadlock` inside a callback of the same client.
    pub fn wait_for_change(&self, seen_id: u64, timeout: Option<Duration>) -> Result<(PartitionState, u64)> {
        self.wait_until(timeout, |st| st.state_id != seen_id)
    }

    fn wait_until(&self, timeout: Option<Duration>, done: impl Fn(&St) -> bool) -> Result<(PartitionState, u64)> {
        if self.inner.client.in_callback() {
            return Err(Error::WouldDeadlock("the partitioner needs its client's watches to make progress".into()));
        }
        let deadline = deadline_after(timeout);
        let mut st = self.inner.st.lock();
        while !done(&st) {
            match deadline {
                None => self.inner.changed.wait(&mut st),
                Some(d) => {
                    if self.inner.changed.wait_until(&mut st, d).timed_out() && !done(&st) {
                        return Err(Error::Timeout("no partitioner state change".into()));
                    }
                }
            }
        }
        Ok((st.state, st.state_id))
    }

    /// kazoo's `release_set`: releases every held lock and allocates again (state `Allocating`).
    /// Does nothing more in `Failure`.
    pub fn release_set(&self) -> Result<()> {
        self.inner.release_locks();
        let mut st = self.inner.st.lock();
        if st.state != PartitionState::Failure {
            self.inner.set_state(&mut st, PartitionState::Allocating);
        }
        Ok(())
    }

    /// kazoo's `finish`: releases the locks, leaves the party and enters `Failure` (for good).
    pub fn finish(&self) -> Result<()> {
        {
            let mut st = self.inner.st.lock();
            if st.state != PartitionState::Failure {
                self.inner.set_state(&mut st, PartitionState::Failure);
            }
        }
        self.inner.clean_up()
    }
}

impl Drop for SetPartitioner {
    fn drop(&mut self) {
        let inner = &self.inner;
        if let Some(id) = inner.listener.lock().take() {
            inner.client.remove_state_listener(id);
        }
        {
            let mut st = inner.st.lock();
            if st.state != PartitionState::Failure {
                inner.set_state(&mut st, PartitionState::Failure);
            }
        }
        let on_worker = inner.worker.get() == Some(&std::thread::current().id());
        // From the partition function itself the running call is the last; elsewhere wait for it.
        if on_worker {
            if let Some(mut open) = inner.callbacks_open.try_lock() {
                *open = false;
            }
            // The worker cleans up once the partition function returns.
        } else {
            *inner.callbacks_open.lock() = false;
            // As finish: the locks go and this member leaves before drop returns. A lock the worker
            // wins meanwhile is released by the worker, which sees Failure.
            if let Err(e) = inner.clean_up() {
                debug!("leaving the party {} failed: {e}", inner.party_path);
            }
        }
    }
}

fn validate_item(lock_path: &str, item: &str) -> Result<()> {
    if item.is_empty() || item.contains('/') {
        return Err(Error::InvalidPath {
            path: format!("{lock_path}/{item}"),
            reason: "a set item must be a non-empty node name without '/'".into(),
        });
    }
    validate_path(&format!("{lock_path}/{item}"), false)
}

impl Inner {
    fn set_state(&self, st: &mut St, state: PartitionState) {
        if matches!(state, PartitionState::Allocating | PartitionState::Failure) {
            st.acquired.clear();
        }
        st.state = state;
        st.state_id += 1;
        self.changed.notify_all();
    }

    /// kazoo's session listener: LOST fails the partitioner, any other change asks for a release.
    fn on_connection(&self, state: KazooState) {
        {
            let mut last = self.connection.lock();
            if *last == state && state != KazooState::Lost {
                return;
            }
            *last = state;
        }
        let mut st = self.st.lock();
        match (st.state, state) {
            (PartitionState::Failure, _) => {}
            (_, KazooState::Lost) => self.set_state(&mut st, PartitionState::Failure),
            (PartitionState::Release, _) => {}
            _ => self.set_state(&mut st, PartitionState::Release),
        }
    }

    fn fail(&self, why: &str) {
        warn!("set partitioner at {} fails: {why}", self.party_path);
        let mut st = self.st.lock();
        if st.state != PartitionState::Failure {
            self.set_state(&mut st, PartitionState::Failure);
        }
    }

    fn release_locks(&self) {
        let locks = std::mem::take(&mut self.st.lock().locks);
        for lock in locks {
            if let Err(e) = lock.release() {
                debug!("releasing {} failed: {e}", lock.path());
            }
        }
    }

    /// After `Failure`: the locks go, and this member leaves the party.
    fn clean_up(&self) -> Result<()> {
        self.release_locks();
        if self.party.participating() {
            match self.party.leave() {
                Ok(_) | Err(Error::SessionExpired) | Err(Error::Closed) | Err(Error::Closing) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Whether an allocation begun for state id `id` is still the current one.
    fn current(&self, id: u64) -> bool {
        let st = self.st.lock();
        st.state_id == id && st.state == PartitionState::Allocating
    }

    /// The worker: allocates whenever a new `Allocating` state asks for it, watches the party while
    /// `Acquired`, and cleans up and ends at `Failure`.
    fn run(self: Arc<Self>) {
        loop {
            let id = {
                let mut st = self.st.lock();
                loop {
                    if st.state == PartitionState::Failure {
                        break None;
                    }
                    if st.state == PartitionState::Allocating && st.allocated_for != Some(st.state_id) {
                        st.allocated_for = Some(st.state_id);
                        break Some(st.state_id);
                    }
                    self.changed.wait(&mut st);
                }
            };
            let Some(id) = id else {
                if let Err(e) = self.clean_up() {
                    debug!("leaving the party {} failed: {e}", self.party_path);
                }
                return;
            };
            if let Some((acquired_id, changed)) = self.allocate(id) {
                self.hold(acquired_id, changed);
            }
        }
    }

    /// Waits for a calm party, computes the share and locks it. `Some((id of Acquired, change))` on
    /// success; `None` when the allocation became stale or failed.
    fn allocate(&self, id: u64) -> Option<(u64, ChildrenChanged)> {
        'partition: loop {
            let (children, changed) = self.settle(id)?;
            let mut members: Vec<String> =
                children.iter().map(|n| n.split_once('-').map_or(n.as_str(), |(_, id)| id).to_string()).collect();
            members.sort();
            if !members.contains(&self.identifier) {
                self.fail("this member is missing from the party");
                return None;
            }
            let share = {
                let open = self.callbacks_open.lock();
                if !*open {
                    return None;
                }
                (self.partition_fn)(&self.identifier, &members, &self.items)
            };
            for item in &share {
                if let Err(e) = validate_item(&self.lock_path, item) {
                    self.fail(&format!("the partition function returned a bad item: {e}"));
                    return None;
                }
            }
            for item in &share {
                let lock = match Lock::new(&self.client, &format!("{}/{item}", self.lock_path), &self.identifier) {
                    Ok(l) => l,
                    Err(e) => {
                        self.fail(&e.to_string());
                        return None;
                    }
                };
                loop {
                    match lock.acquire(true, Some(self.max_reaction_time), true) {
                        Ok(true) => break,
                        Ok(false) | Err(Error::Timeout(_)) => {}
                        Err(e) if e.is_retriable() => std::thread::sleep(Duration::from_millis(50)),
                        Err(Error::SessionExpired) | Err(Error::Closed) | Err(Error::Closing) => {
                            self.fail("session lost while acquiring");
                            return None;
                        }
                        Err(e) => {
                            self.fail(&e.to_string());
                            return None;
                        }
                    }
                    match self.next_step(id, &changed) {
                        Next::KeepTrying => {}
                        Next::Restart => {
                            self.release_locks();
                            continue 'partition;
                        }
                        Next::Stop => return None,
                    }
                }
                {
                    let mut st = self.st.lock();
                    if st.state_id == id && st.state == PartitionState::Allocating {
                        st.locks.push(lock);
                    } else {
                        drop(st);
                        let _ = lock.release();
                        return None;
                    }
                }
                match self.next_step(id, &changed) {
                    Next::KeepTrying => {}
                    Next::Restart => {
                        self.release_locks();
                        continue 'partition;
                    }
                    Next::Stop => return None,
                }
            }
            let mut st = self.st.lock();
            if st.state_id != id || st.state != PartitionState::Allocating {
                return None;
            }
            if changed.has_changed() {
                drop(st);
                self.release_locks();
                continue 'partition;
            }
            st.acquired = share;
            self.set_state(&mut st, PartitionState::Acquired);
            return Some((st.state_id, changed));
        }
    }

    fn next_step(&self, id: u64, changed: &ChildrenChanged) -> Next {
        if !self.current(id) {
            Next::Stop
        } else if changed.has_changed() {
            Next::Restart
        } else {
            Next::KeepTrying
        }
    }

    /// The party's member nodes once they stayed the same for the time boundary.
    fn settle(&self, id: u64) -> Option<(Vec<String>, ChildrenChanged)> {
        let watch = PatientChildrenWatch::new(&self.client, &self.party_path, self.time_boundary);
        loop {
            if !self.current(id) {
                return None;
            }
            match watch.start(Some(self.time_boundary + SETTLE_SLACK)) {
                Ok(settled) => return Some(settled),
                Err(Error::Timeout(_)) => {}
                Err(e) if e.is_retriable() => std::thread::sleep(Duration::from_millis(50)),
                Err(Error::SessionExpired) | Err(Error::Closed) | Err(Error::Closing) => {
                    self.fail("session lost while the party settled");
                    return None;
                }
                Err(e) => {
                    self.fail(&format!("watching the party failed: {e}"));
                    return None;
                }
            }
        }
    }

    /// While `Acquired` (state id `id`): a party change turns the state into `Release`.
    fn hold(&self, id: u64, changed: ChildrenChanged) {
        loop {
            let fired = changed.wait(Some(HOLD_POLL)).is_some();
            let mut st = self.st.lock();
            if st.state_id != id {
                return;
            }
            if fired {
                self.set_state(&mut st, PartitionState::Release);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn round_robin_is_kazoos_split() {
        let members = strings(&["b", "a", "c"]);
        let items = strings(&["5", "1", "4", "2", "3"]);
        assert_eq!(round_robin("a", &members, &items), strings(&["1", "4"]));
        assert_eq!(round_robin("b", &members, &items), strings(&["2", "5"]));
        assert_eq!(round_robin("c", &members, &items), strings(&["3"]));
        assert_eq!(round_robin("z", &members, &items), Vec::<String>::new());
        assert_eq!(round_robin("a", &strings(&["a"]), &items), strings(&["1", "2", "3", "4", "5"]));
    }
}
