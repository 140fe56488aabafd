//! Semaphore: kazoo's lease-counting recipe, on the same znodes, so kazoo and zkrs processes share
//! one limit.
//!
//! Layout (kazoo's): `<path>` holds the limit as its data (decimal text, written by whoever creates
//! it); each lease is an ephemeral child `<path>/<32-hex-uuid>` whose data is the holder's identifier;
//! `<path>-__lock__` is a kazoo [`Lock`] that serialises the count-then-create step, so only its holder
//! watches the leases (no herd). A limit stored there that is a number other than ours is an error, as
//! in kazoo; data that is not a number is not checked.
//!
//! Beyond kazoo: a lease created by a failed, cancelled or timed-out attempt is deleted; every wait
//! ends on timeout, cancel, close or session loss; the holder is told when its lease is lost.

use super::bounded::{remove_in_background, Bounds};
use super::lock::{enter_gate, Lock, LostListener, Shared};
use super::{check_session, deadline_after, delete_until_gone, uuid_hex, StateWatch, WaitEnd, Wake};
use crate::client::{Client, ListenerId};
use crate::error::{Error, Result};
use crate::ops::{CreateMode, CreateOptions};
use crate::path::validate_path;
use crate::state::{KazooState, State};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A counting semaphore on `path` with `max_leases` leases, kazoo-compatible. Acquiring while holding
/// a lease returns `true` at once (kazoo's behaviour). Share an object between threads with an `Arc`.
/// Dropping it releases a held lease.
pub struct Semaphore {
    client: Client,
    path: String,
    lock_path: String,
    identifier: String,
    max_leases: u32,
    gate: Mutex<()>,
    wake: Arc<Wake>,
    cancels: AtomicU64,
    /// The `<path>-__lock__` lock an acquire is waiting for, so `cancel` reaches it.
    waiting_on: Mutex<Option<Arc<Lock>>>,
    shared: Arc<Shared>,
    listener: ListenerId,
}

impl Semaphore {
    /// kazoo's `Semaphore(client, path, identifier, max_leases)`.
    pub fn new(client: &Client, path: &str, identifier: &str, max_leases: u32) -> Result<Semaphore> {
        validate_path(path, false)?;
        if max_leases == 0 {
            return Err(Error::BadArguments("a semaphore needs at least one lease".into()));
        }
        let path = path.trim_end_matches('/').to_string();
        if path.is_empty() {
            return Err(Error::BadArguments("the root cannot be a semaphore".into()));
        }
        let (shared, listener) = Shared::with_listener(client);
        Ok(Semaphore {
            client: client.clone(),
            lock_path: format!("{path}-__lock__"),
            path,
            identifier: identifier.to_string(),
            max_leases,
            gate: Mutex::new(()),
            wake: Wake::new(),
            cancels: AtomicU64::new(0),
            waiting_on: Mutex::new(None),
            shared,
            listener,
        })
    }

    /// The semaphore node's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The number of leases.
    pub fn max_leases(&self) -> u32 {
        self.max_leases
    }

    /// Whether this object holds a lease (false once it is lost: session ended, or node deleted).
    pub fn is_acquired(&self) -> bool {
        self.shared.held.lock().as_ref().is_some_and(|h| h.valid(&self.client))
    }

    /// Sets (or clears) the function told when a held lease is lost; it runs once per loss on the
    /// client's dispatcher.
    pub fn set_lost_listener(&self, listener: Option<LostListener>) {
        *self.shared.on_lost.lock() = listener;
    }

    /// Ends an [`Semaphore::acquire`] in progress with [`Error::Cancelled`]; a later one is not affected.
    pub fn cancel(&self) {
        self.cancels.fetch_add(1, Ordering::SeqCst);
        self.wake.bump();
        if let Some(lock) = self.waiting_on.lock().as_ref() {
            lock.cancel();
        }
    }

    /// Acquires a lease. Non-blocking: `Ok(false)` when all leases are taken (or the semaphore's lock
    /// is busy). Blocking: waits up to `timeout` (`None`: no limit); fails with [`Error::Timeout`],
    /// [`Error::Cancelled`], [`Error::SessionExpired`] or [`Error::Closed`], and leaves no lease behind.
    /// [`Error::BadArguments`] when the limit stored in the node differs from `max_leases`.
    pub fn acquire(&self, blocking: bool, timeout: Option<Duration>) -> Result<bool> {
        let deadline = deadline_after(timeout);
        let Some(_gate) = enter_gate(&self.gate, blocking, deadline) else {
            return if blocking { Err(self.timeout_error(timeout)) } else { Ok(false) };
        };
        if self.is_acquired() {
            return Ok(true);
        }
        // A lease lost meanwhile is forgotten (and its holder told, if not yet).
        drop(self.shared.take(&self.client));
        if blocking && self.client.in_callback() {
            return Err(Error::WouldDeadlock(format!(
                "a blocking acquire of semaphore {} inside a callback of its client",
                self.path
            )));
        }
        let cancels = self.cancels.load(Ordering::SeqCst);
        let session = self.client.session_id();
        let _state = StateWatch::new(&self.client, &self.wake);
        let stop = || self.check_stop(cancels, session);
        let timeout_error = || self.timeout_error(timeout);
        let bounds = Bounds { client: &self.client, wake: &self.wake, deadline, stop: &stop, timeout: &timeout_error };
        // A fresh name per attempt: a late create of a failed attempt can never be mistaken for ours.
        let lease = uuid_hex();
        let result = self
            .retrying(&bounds, blocking, || self.ensure_node(&bounds))
            .and_then(|_| self.acquire_holding_lock(&bounds, blocking, &lease, session));
        if !matches!(result, Ok(true)) {
            let path = format!("{}/{lease}", self.path);
            if self.client.kazoo_state() == KazooState::Connected {
                delete_until_gone(&self.client, &path);
            } else {
                remove_in_background(self.client.clone(), path);
            }
        }
        result
    }

    /// Takes `<path>-__lock__`, then counts the leases and creates ours if one is free.
    fn acquire_holding_lock(&self, bounds: &Bounds, blocking: bool, lease: &str, session: i64) -> Result<bool> {
        let lock = Arc::new(Lock::new(&self.client, &self.lock_path, &self.identifier)?);
        *self.waiting_on.lock() = Some(lock.clone());
        let remaining = bounds.deadline.map(|d| d.saturating_duration_since(Instant::now()));
        // A cancel between the start and the lock being reachable is caught here.
        let got = (bounds.stop)().and_then(|_| lock.acquire(blocking, remaining, true));
        *self.waiting_on.lock() = None;
        let got = match got {
            Ok(got) => got,
            Err(Error::Cancelled(_)) => return Err(Error::Cancelled(format!("acquiring semaphore {}", self.path))),
            Err(Error::Timeout(_)) => return Err((bounds.timeout)()),
            Err(e) => return Err(e),
        };
        if !got {
            return Ok(false);
        }
        let result = self.take_lease(bounds, blocking, lease, session);
        let _ = lock.release();
        result
    }

    fn take_lease(&self, bounds: &Bounds, blocking: bool, lease: &str, session: i64) -> Result<bool> {
        loop {
            (bounds.stop)()?;
            let seen = self.wake.seen();
            if !self.connected_or_wait(bounds, blocking, seen)? {
                continue;
            }
            match self.try_lease(bounds, lease) {
                Ok(true) => {
                    self.shared.hold(&self.client, &self.path, lease.to_string(), session, true);
                    return Ok(true);
                }
                Ok(false) if !blocking => return Ok(false),
                Ok(false) => self.wait(bounds, seen)?,
                Err(Error::NoNode(_)) => self.retrying(bounds, blocking, || self.ensure_node(bounds))?,
                Err(e) if e.is_retriable() => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether our lease exists or could be created now; leaves a watch on the leases either way.
    fn try_lease(&self, bounds: &Bounds, lease: &str) -> Result<bool> {
        let leases = bounds.get_children_watched(&self.path, self.wake.watcher())?;
        if leases.iter().any(|l| l == lease) {
            return Ok(true);
        }
        if leases.len() >= self.max_leases as usize {
            return Ok(false);
        }
        let path = format!("{}/{lease}", self.path);
        match bounds.create(&path, self.identifier.as_bytes(), &CreateOptions::ephemeral()) {
            Ok(_) | Err(Error::NodeExists(_)) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Creates the semaphore node with our limit, or checks the limit stored in it.
    fn ensure_node(&self, bounds: &Bounds) -> Result<()> {
        let limit = self.max_leases.to_string();
        let opts = CreateOptions::mode(CreateMode::Persistent).with_makepath();
        let created = bounds.call(|cb| self.client.create_async(&self.path, limit.as_bytes(), &opts, cb));
        match created {
            Ok(_) => Ok(()),
            Err(Error::NodeExists(_)) => {
                let data = bounds.get_data(&self.path, None)?;
                let stored = std::str::from_utf8(&data).ok().and_then(|s| s.trim().parse::<i64>().ok());
                match stored {
                    Some(n) if n != i64::from(self.max_leases) => Err(Error::BadArguments(format!(
                        "inconsistent max leases for semaphore {}: {n} stored, {} expected",
                        self.path, self.max_leases
                    ))),
                    _ => Ok(()),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Runs `f` until it succeeds or fails for a reason other than connection loss, waiting for the
    /// connection in between (within the bounds).
    fn retrying<T>(&self, bounds: &Bounds, blocking: bool, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        loop {
            (bounds.stop)()?;
            let seen = self.wake.seen();
            if !self.connected_or_wait(bounds, blocking, seen)? {
                continue;
            }
            match f() {
                Err(e) if e.is_retriable() => std::thread::sleep(Duration::from_millis(10)),
                other => return other,
            }
        }
    }

    /// Whether the client is connected. If not, a blocking attempt waits for a change after `seen` (the
    /// wake count read before the state; within the bounds) and a non-blocking one fails with
    /// connection loss.
    fn connected_or_wait(&self, bounds: &Bounds, blocking: bool, seen: u64) -> Result<bool> {
        if self.client.kazoo_state() == KazooState::Connected {
            return Ok(true);
        }
        if !blocking {
            return Err(Error::ConnectionLoss(format!("not connected while trying semaphore {}", self.path)));
        }
        self.wait(bounds, seen)?;
        Ok(false)
    }

    fn wait(&self, bounds: &Bounds, seen: u64) -> Result<()> {
        match self.wake.wait_after(seen, bounds.deadline) {
            WaitEnd::Woken => Ok(()),
            WaitEnd::TimedOut => Err((bounds.timeout)()),
        }
    }

    fn check_stop(&self, cancels: u64, session: i64) -> Result<()> {
        if self.cancels.load(Ordering::SeqCst) != cancels {
            return Err(Error::Cancelled(format!("acquiring semaphore {}", self.path)));
        }
        if self.client.state() == State::Closed {
            return Err(Error::Closed);
        }
        check_session(&self.client, session)
    }

    fn timeout_error(&self, timeout: Option<Duration>) -> Error {
        let ms = timeout.map_or(0, |t| t.as_millis());
        Error::Timeout(format!("semaphore {} not acquired within {ms} ms", self.path))
    }

    /// Releases the lease. `Ok(true)` if this object held one (and had not lost it).
    pub fn release(&self) -> Result<bool> {
        let held = self.shared.take(&self.client);
        let Some(held) = held else {
            return Ok(false);
        };
        let valid = !held.lost;
        delete_until_gone(&self.client, &format!("{}/{}", self.path, held.node));
        Ok(valid)
    }

    /// The identifiers of the lease holders, in no particular order; empty if the node does not exist.
    pub fn lease_holders(&self) -> Result<Vec<String>> {
        let leases = match self.client.get_children(&self.path, None) {
            Ok((c, _)) => c,
            Err(Error::NoNode(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut holders = Vec::with_capacity(leases.len());
        for lease in leases {
            match self.client.get_data(&format!("{}/{lease}", self.path), None) {
                Ok((data, _)) => holders.push(String::from_utf8_lossy(&data).into_owned()),
                Err(Error::NoNode(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(holders)
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        self.client.remove_state_listener(self.listener);
        if let Some(held) = self.shared.held.lock().take() {
            if !held.lost && self.client.state() != State::Closed {
                remove_in_background(self.client.clone(), format!("{}/{}", self.path, held.node));
            }
        }
    }
}
