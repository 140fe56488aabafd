//! Futures (kazoo's IAsyncResult): the result of an async call that can be polled, waited on with a
//! timeout, taken, or handed to a callback later.

use crate::dispatch::{is_dispatching, Job};
use crate::error::{Error, Result};
use crate::session::Shared;
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Then<T> = Box<dyn FnOnce(Result<T>) + Send>;

enum Slot<T> {
    Pending(Option<Then<T>>),
    Ready(Result<T>),
    Taken,
}

struct Inner<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
    shared: Arc<Shared>,
}

/// The pending result of an async call. Completed on the client's dispatcher.
pub struct ZkFuture<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for ZkFuture<T> {
    fn clone(&self) -> Self {
        ZkFuture { inner: self.inner.clone() }
    }
}

impl<T: Send + 'static> ZkFuture<T> {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        ZkFuture { inner: Arc::new(Inner { slot: Mutex::new(Slot::Pending(None)), ready: Condvar::new(), shared }) }
    }

    /// The completion callback to hand to an `_async` call.
    pub(crate) fn completer(&self) -> impl FnOnce(Result<T>) + Send + 'static {
        let inner = self.inner.clone();
        move |r| {
            let mut slot = inner.slot.lock();
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Pending(Some(then)) => {
                    drop(slot);
                    then(r);
                }
                _ => {
                    *slot = Slot::Ready(r);
                    inner.ready.notify_all();
                }
            }
        }
    }

    /// Whether the result is there (or was taken, or handed to `then`).
    pub fn is_ready(&self) -> bool {
        !matches!(*self.inner.slot.lock(), Slot::Pending(_))
    }

    /// Waits up to `timeout` for the result. `WouldDeadlock` when called from a callback of the same
    /// client while the result is not there, since only that dispatcher could complete it.
    pub fn wait(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut slot = self.inner.slot.lock();
        loop {
            if !matches!(*slot, Slot::Pending(_)) {
                return Ok(());
            }
            if is_dispatching(self.inner.shared.id) {
                return Err(Error::WouldDeadlock(
                    "waiting for a future of this client inside one of its callbacks".into(),
                ));
            }
            if self.inner.ready.wait_until(&mut slot, deadline).timed_out() && matches!(*slot, Slot::Pending(_)) {
                return Err(Error::Timeout(format!("the result did not arrive within {} ms", timeout.as_millis())));
            }
        }
    }

    /// Waits up to `timeout`, then takes the result. A result can be taken once; later calls return
    /// `BadArguments`.
    pub fn get(&self, timeout: Duration) -> Result<T> {
        self.wait(timeout)?;
        match std::mem::replace(&mut *self.inner.slot.lock(), Slot::Taken) {
            Slot::Ready(r) => r,
            Slot::Taken => Err(Error::BadArguments("the result was already taken".into())),
            Slot::Pending(t) => unreachable!("wait returned while pending: {}", t.is_some()),
        }
    }

    /// Runs `f` with the result on the client's dispatcher: when it arrives, or at once (queued to the
    /// dispatcher) if it is already there. Only one `then` per future; the result cannot be taken after.
    /// `Closed` (and `f` never runs) when the result is there but the client is closed.
    pub fn then(&self, f: impl FnOnce(Result<T>) + Send + 'static) -> Result<()> {
        let mut slot = self.inner.slot.lock();
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Pending(None) => {
                *slot = Slot::Pending(Some(Box::new(f)));
                Ok(())
            }
            Slot::Pending(Some(t)) => {
                *slot = Slot::Pending(Some(t));
                Err(Error::BadArguments("the future already has a callback".into()))
            }
            Slot::Ready(r) => {
                drop(slot);
                // Refused once the client is closed: no callback of it may run any more.
                self.inner.shared.events.try_push(Job::Run(Box::new(move || f(r)))).map_err(|_| Error::Closed)
            }
            Slot::Taken => Err(Error::BadArguments("the result was already taken".into())),
        }
    }
}
