//! Election: kazoo's leader election, a [`Lock`] whose holder is the leader, on the same znodes
//! (`<path>/<uuid>__lock__<seq>`, data = identifier), so kazoo and zkrs candidates elect one leader.

use super::lock::{Lock, LostListener};
use crate::client::Client;
use crate::error::Result;
use std::time::Duration;

/// A candidate in the election on `path`. Share it between threads with an `Arc` to cancel from
/// another thread.
pub struct Election {
    lock: Lock,
}

/// Releases leadership when the leader function ends, even by a panic.
struct Leadership<'a>(&'a Lock);

impl Drop for Leadership<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.release() {
            debug!("election {}: release after leading failed: {e}", self.0.path());
        }
    }
}

impl Election {
    /// kazoo's `Election(client, path, identifier)`.
    pub fn new(client: &Client, path: &str, identifier: &str) -> Result<Election> {
        Ok(Election { lock: Lock::new(client, path, identifier)? })
    }

    /// The election node's path.
    pub fn path(&self) -> &str {
        self.lock.path()
    }

    /// Waits up to `timeout` (`None`: no limit) to be elected, then runs `leader` on this thread and
    /// gives up leadership when it returns (or panics). Fails, without running `leader`, with the
    /// errors of [`Lock::acquire`]: [`crate::Error::Cancelled`] after [`Election::cancel`],
    /// [`crate::Error::Timeout`], [`crate::Error::SessionExpired`], [`crate::Error::Closed`].
    /// A leader that must stop when leadership is lost checks [`Election::is_leader`] or sets a
    /// [`Election::set_lost_listener`].
    pub fn run<R>(&self, timeout: Option<Duration>, leader: impl FnOnce() -> R) -> Result<R> {
        self.lock.acquire(true, timeout, true)?;
        let _leadership = Leadership(&self.lock);
        Ok(leader())
    }

    /// Runs `leader` only if this candidate is elected at once (no other candidate queued before it):
    /// `Ok(None)` otherwise, leaving no candidate node behind.
    pub fn try_run<R>(&self, leader: impl FnOnce() -> R) -> Result<Option<R>> {
        if !self.lock.acquire(false, None, true)? {
            return Ok(None);
        }
        let _leadership = Leadership(&self.lock);
        Ok(Some(leader()))
    }

    /// Ends a [`Election::run`] still waiting to be elected; a running leader function is not stopped.
    pub fn cancel(&self) {
        self.lock.cancel();
    }

    /// Whether this candidate is the leader now (inside the leader function, until leadership is lost).
    pub fn is_leader(&self) -> bool {
        self.lock.is_acquired()
    }

    /// Sets (or clears) the function told when leadership is lost while the leader function runs
    /// (session loss, or the candidate's node deleted); it runs on the client's dispatcher.
    pub fn set_lost_listener(&self, listener: Option<LostListener>) {
        self.lock.set_lost_listener(listener);
    }

    /// The candidates' identifiers in election order: the first is the leader.
    pub fn contenders(&self) -> Result<Vec<String>> {
        self.lock.contenders()
    }
}
