//! kazoo's DataWatch, ChildrenWatch and PatientChildrenWatch: a function called with a node's data (or
//! children) at once and again after every change, until it returns `false` or the watch is stopped.
//!
//! DataWatch and ChildrenWatch keep one persistent watch (ZooKeeper 3.6+) on the node instead of
//! kazoo's chain of one-shot watches: no change can slip between two registrations, and stopping
//! removes exactly this watch from the client and the server (kazoo leaves it on the server, its issue
//! #733). Reads are coalesced (one in flight; changes meanwhile ask for one more) and the function is
//! called only when the read shows a new state, so a change is never reported twice.
//!
//! Persistent watches survive reconnections, but the server does not replay what happened while the
//! client was away, so after every reconnection the node is read again (as kazoo does); after a session
//! expiry the watch is added again in the new session first.
//!
//! Threads (SPEC 1.6): the function runs on the client's dispatcher — its event thread, or inside
//! `Client::dispatch` in poll mode — one call at a time, never on the I/O thread, also for the first
//! call. Once `stop` returned, the function is never called again (from inside the function itself,
//! `stop` only marks it; the current call is the last).

use crate::client::{Client, ListenerId, WatchId};
use crate::error::{Error, Result};
use crate::path::validate_path;
use crate::recipe::{deadline_after, StateWatch, WaitEnd, Wake};
use crate::stat::Stat;
use crate::state::{KazooState, StateEvent};
use crate::watch::{AddWatchMode, EventType, PersistentWatcher, WatchedEvent};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A user function that must never run after its owner stopped: `call` holds a lock while it runs,
/// `stop` takes that lock (unless called from the function itself) and drops the function.
pub(crate) struct Gate<F> {
    func: Mutex<Option<F>>,
    stopped: AtomicBool,
}

impl<F> Gate<F> {
    pub fn new(func: F) -> Gate<F> {
        Gate { func: Mutex::new(Some(func)), stopped: AtomicBool::new(false) }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Marks the gate stopped without waiting (for callers that hold other locks).
    pub fn mark_stopped(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// Runs `f` with the function unless stopped. A function stopped during its own call is dropped
    /// right after it, so whatever it owns is released after its last call.
    pub fn call<R>(&self, f: impl FnOnce(&mut F) -> R) -> Option<R> {
        let mut g = self.func.lock();
        if self.is_stopped() {
            return None;
        }
        let r = f(g.as_mut()?);
        if self.is_stopped() {
            drop(g.take());
        }
        Some(r)
    }

    /// Stops the gate. Outside callbacks this waits for a running call; on the dispatcher no other
    /// call of this client can be running except our own caller's, whose end drops the function.
    pub fn stop(&self, client: &Client) {
        self.mark_stopped();
        let taken = if client.in_callback() {
            self.func.try_lock().map(|mut g| g.take())
        } else {
            Some(self.func.lock().take())
        };
        drop(taken);
    }
}

/// What the followed node looks like, as read.
enum Seen {
    Data(Option<(Vec<u8>, Stat)>),
    Children(Vec<String>, Stat),
}

impl Seen {
    /// Two reads with the same key show the same state: one call, not two.
    fn key(&self) -> (i64, i64) {
        match self {
            Seen::Data(None) => (0, 0),
            Seen::Data(Some((_, s))) => (s.czxid, s.mzxid),
            Seen::Children(_, s) => (s.czxid, i64::from(s.cversion)),
        }
    }
}

/// The function of a DataWatch: `(data, stat, event)`, `None` data and stat while the node does not
/// exist, `None` event for the first call and after reconnections. Returns whether to go on.
pub type DataWatchFn = dyn FnMut(Option<&[u8]>, Option<&Stat>, Option<&WatchedEvent>) -> bool + Send;

/// The function of a ChildrenWatch: `(children, event)`, children unsorted as the server lists them;
/// the event only with [`ChildrenWatchOptions::send_event`]. Returns whether to go on.
pub type ChildrenWatchFn = dyn FnMut(&[String], Option<&WatchedEvent>) -> bool + Send;

enum Func {
    Data(Box<DataWatchFn>),
    Children(Box<ChildrenWatchFn>),
}

/// kazoo's `ChildrenWatch` options.
#[derive(Debug, Clone, Copy)]
pub struct ChildrenWatchOptions {
    /// Go on in a new session after the session expired (kazoo's default `true`); `false` stops the
    /// watch when the session is lost.
    pub allow_session_lost: bool,
    /// Pass the event that caused a call to the function (kazoo's `send_event`).
    pub send_event: bool,
}

impl Default for ChildrenWatchOptions {
    fn default() -> Self {
        ChildrenWatchOptions { allow_session_lost: true, send_event: false }
    }
}

#[derive(Default)]
struct FollowState {
    /// The persistent watch, and the session it was added in.
    watch: Option<WatchId>,
    watch_session: i64,
    listener: Option<ListenerId>,
    /// A read is in flight; `again` asks for one more after it (with the latest event).
    reading: bool,
    again: Option<Option<WatchedEvent>>,
    /// The key of the state the function last saw (`None`: never called).
    last: Option<(i64, i64)>,
    /// The first read has been answered (or failed, with the error the constructor returns).
    first_done: bool,
    first_error: Option<Error>,
}

/// The machinery DataWatch and ChildrenWatch share: one persistent watch, coalesced reads, re-reads
/// after reconnection and re-registration after session expiry.
struct Follower {
    client: Client,
    path: String,
    options: ChildrenWatchOptions,
    /// DataWatch reads on data events; ChildrenWatch on child events (and deletion, which ends it).
    is_data_kind: bool,
    gate: Gate<Func>,
    st: Mutex<FollowState>,
    first: Arc<Wake>,
}

impl Follower {
    fn start(client: &Client, path: &str, options: ChildrenWatchOptions, func: Func) -> Result<Arc<Follower>> {
        validate_path(path, false)?;
        let f = Arc::new(Follower {
            client: client.clone(),
            path: path.to_string(),
            options,
            is_data_kind: matches!(func, Func::Data(_)),
            gate: Gate::new(func),
            st: Mutex::new(FollowState::default()),
            first: Wake::new(),
        });
        let session = client.session_id();
        f.st.lock().watch_session = session;
        {
            let weak = Arc::downgrade(&f);
            let id = client.add_state_listener(move |ev| {
                if let Some(f) = weak.upgrade() {
                    f.on_state(ev);
                }
            });
            f.st.lock().listener = Some(id);
        }
        let id = match client.add_watch(path, AddWatchMode::Persistent, f.watcher()) {
            Ok(id) => id,
            Err(e) => {
                f.stop();
                return Err(e);
            }
        };
        let stopped_meanwhile = {
            let mut st = f.st.lock();
            st.watch = Some(id);
            f.gate.is_stopped()
        };
        if stopped_meanwhile {
            f.stop();
        }
        f.request_read(None);
        if client.can_wait_for_callbacks() {
            f.wait_first();
            let first_error = f.st.lock().first_error.take();
            if let Some(e) = first_error {
                f.stop();
                return Err(e);
            }
        }
        Ok(f)
    }

    fn watcher(self: &Arc<Self>) -> impl Fn(WatchedEvent) + Send + Sync + 'static {
        let f = self.clone();
        move |ev| f.on_event(ev)
    }

    fn wait_first(&self) {
        loop {
            let seen = self.first.seen();
            if self.st.lock().first_done || self.gate.is_stopped() {
                return;
            }
            self.first.wait_after(seen, None);
        }
    }

    fn finish_first(&self, st: &mut FollowState, error: Option<Error>) {
        if !st.first_done {
            st.first_done = true;
            st.first_error = error;
            self.first.bump();
        }
    }

    fn on_event(self: &Arc<Self>, ev: WatchedEvent) {
        match ev.event_type {
            EventType::NodeCreated | EventType::NodeDeleted | EventType::NodeDataChanged => {
                if self.is_data_kind || ev.event_type == EventType::NodeDeleted {
                    self.request_read(Some(ev));
                }
            }
            EventType::NodeChildrenChanged => {
                if !self.is_data_kind {
                    self.request_read(Some(ev));
                }
            }
            EventType::SessionExpired => {
                if self.options.allow_session_lost {
                    self.resync();
                } else {
                    self.stop();
                }
            }
            // Someone removed this client's watches on the path: ours is needed still.
            EventType::PersistentWatchRemoved | EventType::DataWatchRemoved | EventType::ChildWatchRemoved => {
                self.st.lock().watch_session = 0;
                self.resync();
            }
            EventType::ClientClosed => self.stop(),
        }
    }

    fn on_state(self: &Arc<Self>, ev: &StateEvent) {
        match ev.kazoo_state {
            KazooState::Connected if ev.kazoo_changed() => self.resync(),
            KazooState::Lost if !self.options.allow_session_lost && ev.kazoo_changed() => self.stop(),
            _ => {}
        }
    }

    /// After a reconnection or a session expiry: the watch again if the session is new, then a read.
    fn resync(self: &Arc<Self>) {
        if self.client.kazoo_state() != KazooState::Connected {
            return; // the next CONNECTED comes back here
        }
        {
            let mut st = self.st.lock();
            if self.gate.is_stopped() {
                return;
            }
            let session = self.client.session_id();
            if st.watch_session != session {
                st.watch_session = session;
                let watcher: PersistentWatcher = Arc::new(self.watcher());
                match self.client.add_watch_async(&self.path, AddWatchMode::Persistent, watcher, |r| {
                    if let Err(e) = r {
                        debug!("re-adding a watch failed: {e}");
                    }
                }) {
                    Ok(id) => st.watch = Some(id),
                    Err(e) => debug!("re-adding a watch failed: {e}"),
                }
            }
        }
        self.request_read(None);
    }

    fn request_read(self: &Arc<Self>, ev: Option<WatchedEvent>) {
        {
            let mut st = self.st.lock();
            if self.gate.is_stopped() {
                return;
            }
            if st.reading {
                let keep = st.again.take().flatten();
                st.again = Some(ev.or(keep));
                return;
            }
            st.reading = true;
        }
        let f = self.clone();
        let ev2 = ev.clone();
        let submitted = if self.is_data_kind {
            self.client.get_data_async(&self.path, None, move |r| {
                let r = match r {
                    Ok(v) => Ok(Seen::Data(Some(v))),
                    Err(Error::NoNode(_)) => Ok(Seen::Data(None)),
                    Err(e) => Err(e),
                };
                f.on_read(r, ev2)
            })
        } else {
            self.client
                .get_children_async(&self.path, None, move |r| f.on_read(r.map(|(c, s)| Seen::Children(c, s)), ev2))
        };
        if let Err(e) = submitted {
            self.on_read(Err(e), ev);
        }
    }

    fn on_read(self: &Arc<Self>, r: Result<Seen>, ev: Option<WatchedEvent>) {
        let seen = match r {
            Ok(seen) => seen,
            Err(e) => return self.read_failed(e),
        };
        let key = seen.key();
        let fresh = {
            let mut st = self.st.lock();
            let fresh = st.last != Some(key);
            st.last = Some(key);
            fresh
        };
        let go_on = if fresh {
            let send_event = self.options.send_event;
            self.gate
                .call(|func| match (func, &seen) {
                    (Func::Data(f), Seen::Data(v)) => {
                        f(v.as_ref().map(|(d, _)| d.as_slice()), v.as_ref().map(|(_, s)| s), ev.as_ref())
                    }
                    (Func::Children(f), Seen::Children(c, _)) => f(c, if send_event { ev.as_ref() } else { None }),
                    _ => true,
                })
                .unwrap_or(false)
        } else {
            true
        };
        let again = {
            let mut st = self.st.lock();
            self.finish_first(&mut st, None);
            st.reading = false;
            st.again.take()
        };
        if !go_on {
            return self.stop();
        }
        if let Some(ev) = again {
            self.request_read(ev);
        }
    }

    fn read_failed(self: &Arc<Self>, e: Error) {
        let again = {
            let mut st = self.st.lock();
            st.reading = false;
            let again = st.again.take();
            match &e {
                // The connection or the session went: the next CONNECTED reads again.
                e if e.is_retriable() => {}
                Error::SessionExpired | Error::QueueFull(_) => {}
                Error::NoNode(_) => self.finish_first(&mut st, Some(e.clone())),
                Error::Closing | Error::Closed => self.finish_first(&mut st, None),
                other => {
                    warn!("watching {} failed: {other}", self.path);
                    self.finish_first(&mut st, Some(other.clone()));
                }
            }
            again
        };
        match e {
            e if e.is_retriable() || matches!(e, Error::SessionExpired | Error::QueueFull(_)) => {
                // A change seen meanwhile needs its read even without a reconnection.
                if let Some(ev) = again.filter(|_| self.client.kazoo_state() == KazooState::Connected) {
                    self.request_read(ev);
                }
            }
            // ChildrenWatch: the node is gone, the watch ends without a call (kazoo).
            _ => self.stop(),
        }
    }

    fn stop(&self) {
        let (watch, listener) = {
            let mut st = self.st.lock();
            self.gate.mark_stopped();
            (st.watch.take(), st.listener.take())
        };
        self.gate.stop(&self.client);
        if let Some(l) = listener {
            self.client.remove_state_listener(l);
        }
        if let Some(id) = watch {
            let _ = self.client.remove_watch_async(id, |_| {});
        }
        self.first.bump();
    }
}

/// kazoo's `DataWatch`: `func(data, stat, event)` is called with the node's current data at once, and
/// after every change (creation, data change, deletion), until it returns `false` or [`DataWatch::stop`].
/// A node that does not exist is reported as `None` data and stat; it need not exist at the start.
///
/// The function runs on the client's dispatcher (the event thread, or inside `Client::dispatch` in
/// poll mode), one call at a time. `new` returns after the first call when it can wait for the event
/// thread; from inside a callback or in poll mode the first call comes with the next dispatch. The
/// watch goes on across reconnections and session expiry; dropping the handle does not stop it
/// (close the client, stop it, or return `false`).
#[derive(Clone)]
pub struct DataWatch {
    f: Arc<Follower>,
}

impl DataWatch {
    /// Starts watching `path`. Errors: an invalid path, a closed client, or a read the server refused
    /// (e.g. `NoAuth`), after which nothing is called.
    pub fn new(
        client: &Client,
        path: &str,
        func: impl FnMut(Option<&[u8]>, Option<&Stat>, Option<&WatchedEvent>) -> bool + Send + 'static,
    ) -> Result<DataWatch> {
        let f = Follower::start(client, path, ChildrenWatchOptions::default(), Func::Data(Box::new(func)))?;
        Ok(DataWatch { f })
    }

    /// Stops the watch and removes it from the client and the server. Once this returns the function is
    /// never called again (called from the function itself, the current call is the last). Idempotent.
    pub fn stop(&self) {
        self.f.stop();
    }

    /// Whether the watch has stopped (stopped, function returned `false`, client closed).
    pub fn is_stopped(&self) -> bool {
        self.f.gate.is_stopped()
    }
}

/// kazoo's `ChildrenWatch`: `func(children, event)` is called with the node's children at once and
/// after every change of them, until it returns `false`, [`ChildrenWatch::stop`], or the node is
/// deleted (then without a call). The node must exist: `new` fails with `NoNode` otherwise.
///
/// Threads, first call and lifetime as for [`DataWatch`]. With `allow_session_lost == false` the
/// watch stops when the session is lost; otherwise it goes on in the new session (calling the function
/// only if the children changed meanwhile).
#[derive(Clone)]
pub struct ChildrenWatch {
    f: Arc<Follower>,
}

impl ChildrenWatch {
    /// Starts watching the children of `path`.
    pub fn new(
        client: &Client,
        path: &str,
        options: ChildrenWatchOptions,
        func: impl FnMut(&[String], Option<&WatchedEvent>) -> bool + Send + 'static,
    ) -> Result<ChildrenWatch> {
        let f = Follower::start(client, path, options, Func::Children(Box::new(func)))?;
        Ok(ChildrenWatch { f })
    }

    /// As [`DataWatch::stop`].
    pub fn stop(&self) {
        self.f.stop();
    }

    /// Whether the watch has stopped (stopped, function returned `false`, node deleted, client closed,
    /// session lost without `allow_session_lost`).
    pub fn is_stopped(&self) -> bool {
        self.f.gate.is_stopped()
    }
}

/// kazoo's `PatientChildrenWatch`: waits until the children of a node have not changed for
/// `time_boundary`, then returns them with a [`ChildrenChanged`] that fires at their next change.
/// For group membership that settles (kazoo's SetPartitioner uses it).
pub struct PatientChildrenWatch {
    client: Client,
    path: String,
    time_boundary: Duration,
}

/// Fires once, at the first change after [`PatientChildrenWatch::start`] returned (also when the
/// session expires or the client closes, since the children can no longer be vouched for).
#[derive(Clone, Debug)]
pub struct ChildrenChanged {
    event: Arc<(Mutex<Option<WatchedEvent>>, Condvar)>,
}

impl ChildrenChanged {
    fn new() -> ChildrenChanged {
        ChildrenChanged { event: Arc::new((Mutex::new(None), Condvar::new())) }
    }

    fn watcher(&self, wake: &Arc<Wake>) -> crate::watch::Watcher {
        let (event, wake) = (self.event.clone(), wake.clone());
        Box::new(move |ev| {
            *event.0.lock() = Some(ev);
            event.1.notify_all();
            wake.bump();
        })
    }

    /// Whether the children changed (or can no longer be watched).
    pub fn has_changed(&self) -> bool {
        self.event.0.lock().is_some()
    }

    /// Waits up to `timeout` (`None`: no limit) for the change; its event, or `None` on timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<WatchedEvent> {
        let deadline = deadline_after(timeout);
        let mut g = self.event.0.lock();
        while g.is_none() {
            match deadline {
                None => self.event.1.wait(&mut g),
                Some(d) => {
                    if self.event.1.wait_until(&mut g, d).timed_out() {
                        break;
                    }
                }
            }
        }
        g.clone()
    }
}

impl PatientChildrenWatch {
    /// A watch of the children of `path` that waits for `time_boundary` of calm (kazoo's default: 30 s).
    pub fn new(client: &Client, path: &str, time_boundary: Duration) -> PatientChildrenWatch {
        PatientChildrenWatch { client: client.clone(), path: path.to_string(), time_boundary }
    }

    /// Blocks until the children stayed the same for `time_boundary`, at most `timeout` (`None`: no
    /// limit; then `Timeout`). `NoNode` if the node does not exist; `SessionExpired` / `Closed` when
    /// the session or the client ends meanwhile. Only one child watch is armed at a time, however
    /// often the children change. `WouldDeadlock` from a callback of the same client (its watch could
    /// not fire while the callback waits).
    pub fn start(&self, timeout: Option<Duration>) -> Result<(Vec<String>, ChildrenChanged)> {
        if self.client.in_callback() {
            return Err(Error::WouldDeadlock("PatientChildrenWatch waits for watches of its own client".into()));
        }
        let deadline = deadline_after(timeout);
        let wake = Wake::new();
        let _states = StateWatch::new(&self.client, &wake);
        let session = self.client.session_id();
        loop {
            let changed = ChildrenChanged::new();
            let (children, _) = self.client.get_children(&self.path, Some(changed.watcher(&wake)))?;
            let calm_until = Instant::now() + self.time_boundary;
            loop {
                let seen = wake.seen();
                if self.client.state() == crate::state::State::Closed {
                    return Err(Error::Closed);
                }
                crate::recipe::check_session(&self.client, session)?;
                if changed.has_changed() {
                    break;
                }
                let now = Instant::now();
                if now >= calm_until {
                    return Ok((children, changed));
                }
                if deadline.is_some_and(|d| now >= d) {
                    return Err(Error::Timeout(format!("children of {} did not settle", self.path)));
                }
                let until = deadline.map_or(calm_until, |d| d.min(calm_until));
                if wake.wait_after(seen, Some(until)) == WaitEnd::TimedOut {
                    continue;
                }
            }
        }
    }
}
