//! Server calls a blocking recipe can walk away from. A sync call waits as long as its connection is
//! down, which could outlast the caller's timeout; these wait for an async reply on the recipe's
//! [`Wake`] instead, so a deadline, a cancel or the end of the session ends the wait at once.

use super::{WaitEnd, Wake};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ops::{CreateOptions, Created};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Instant;

/// Why a bounded wait stopped early: the recipe's own reason (cancelled, session lost, closed).
pub(crate) type StopCheck<'a> = &'a dyn Fn() -> Result<()>;

/// The limits of one blocking recipe call.
pub(crate) struct Bounds<'a> {
    pub client: &'a Client,
    pub wake: &'a Arc<Wake>,
    pub deadline: Option<Instant>,
    pub stop: StopCheck<'a>,
    /// The error for a passed deadline.
    pub timeout: &'a dyn Fn() -> Error,
}

struct Slot<T> {
    value: Option<Result<T>>,
    abandoned: bool,
}

impl Bounds<'_> {
    /// Runs an async call and waits for its result, or until the deadline or a stop reason.
    pub fn call<T: Send + 'static>(
        &self,
        start: impl FnOnce(Box<dyn FnOnce(Result<T>) + Send>) -> Result<()>,
    ) -> Result<T> {
        self.call_or_undo(start, |_| {})
    }

    /// As [`Bounds::call`]; a result that arrives after the caller gave up is passed to `undo` (on the
    /// client's dispatcher), e.g. to delete a node created too late.
    pub fn call_or_undo<T: Send + 'static>(
        &self,
        start: impl FnOnce(Box<dyn FnOnce(Result<T>) + Send>) -> Result<()>,
        undo: impl FnOnce(Result<T>) + Send + 'static,
    ) -> Result<T> {
        let slot = Arc::new(Mutex::new(Slot { value: None, abandoned: false }));
        let (s, wake) = (slot.clone(), self.wake.clone());
        start(Box::new(move |r| {
            let mut slot = s.lock();
            if slot.abandoned {
                drop(slot);
                undo(r);
            } else {
                slot.value = Some(r);
                drop(slot);
                wake.bump();
            }
        }))?;
        loop {
            let seen = self.wake.seen();
            if let Some(r) = slot.lock().value.take() {
                return r;
            }
            let stopped = (self.stop)()
                .err()
                .or_else(|| (self.wake.wait_after(seen, self.deadline) == WaitEnd::TimedOut).then(|| (self.timeout)()));
            if let Some(e) = stopped {
                let mut s = slot.lock();
                if let Some(r) = s.value.take() {
                    // The reply won the race; let the caller see it rather than undo it.
                    return r;
                }
                s.abandoned = true;
                return Err(e);
            }
        }
    }

    pub fn get_children(&self, path: &str) -> Result<Vec<String>> {
        self.call(|cb| self.client.get_children_async(path, None, move |r| cb(r.map(|(c, _)| c))))
    }

    pub fn get_children_watched(&self, path: &str, watch: crate::watch::Watcher) -> Result<Vec<String>> {
        self.call(|cb| self.client.get_children_async(path, Some(watch), move |r| cb(r.map(|(c, _)| c))))
    }

    pub fn get_data(&self, path: &str, watch: Option<crate::watch::Watcher>) -> Result<Vec<u8>> {
        self.call(|cb| self.client.get_data_async(path, watch, move |r| cb(r.map(|(d, _)| d))))
    }

    pub fn ensure_path(&self, path: &str) -> Result<()> {
        self.call(|cb| self.client.ensure_path_async(path, cb))
    }

    /// Creates a node; one created after the caller gave up is deleted again (retrying through
    /// connection loss on a thread of its own).
    pub fn create(&self, path: &str, data: &[u8], opts: &CreateOptions) -> Result<Created> {
        let client = self.client.clone();
        self.call_or_undo(
            |cb| self.client.create_async(path, data, opts, cb),
            move |r: Result<Created>| {
                if let Ok(created) = r {
                    remove_in_background(client, created.path);
                }
            },
        )
    }
}

/// Deletes `path` until it is gone, on a thread of its own so no caller (or dispatcher) waits for it.
pub(crate) fn remove_in_background(client: Client, path: String) {
    let spawned = std::thread::Builder::new()
        .name("zkrs-recipe-cleanup".into())
        .spawn(move || super::delete_until_gone(&client, &path));
    if let Err(e) = spawned {
        warn!("cannot start a thread to delete a leftover recipe node: {e}");
    }
}
