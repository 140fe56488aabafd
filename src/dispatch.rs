//! Running callbacks: one event thread per client (the default), or the application's own thread inside
//! `Client::dispatch` with an eventfd that becomes readable when callbacks wait. Either way callbacks run
//! one at a time, in the order the events happened.

use crate::error::{Error, Result};
use crate::session::Reply;
use crate::state::StateEvent;
use crate::watch::{Delivery, PendingWatch};
use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A completion callback of an async request.
pub(crate) type ReplyFn = Box<dyn FnOnce(Result<Reply>) + Send>;

/// A state listener.
pub type StateListener = Arc<dyn Fn(&StateEvent) + Send + Sync>;

/// One unit of work for the dispatcher.
pub(crate) enum Job {
    Reply(ReplyFn, Result<Reply>),
    Watch(Delivery),
    /// A state change, numbered by [`EventQueue::next_state_seq`] when it happened.
    State(u64, StateEvent),
    /// A watcher that will never be called, dropped here rather than on the I/O thread.
    Release(PendingWatch),
    Run(Box<dyn FnOnce() + Send>),
    /// The I/O thread has finished; nothing follows.
    Stop,
}

thread_local! {
    /// The id of the client whose callback this thread is running, 0 if none.
    static DISPATCHING: Cell<u64> = const { Cell::new(0) };
}

/// Whether the current thread is running a callback of client `id`.
pub(crate) fn is_dispatching(id: u64) -> bool {
    DISPATCHING.with(|d| d.get() == id)
}

/// An eventfd: a counter the kernel makes pollable.
pub(crate) struct EventFd(OwnedFd);

impl EventFd {
    pub fn new() -> std::io::Result<EventFd> {
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    pub fn signal(&self) {
        let one: u64 = 1;
        unsafe { libc::write(self.0.as_raw_fd(), &one as *const u64 as *const libc::c_void, 8) };
    }

    pub fn reset(&self) {
        let mut v: u64 = 0;
        unsafe { libc::read(self.0.as_raw_fd(), &mut v as *mut u64 as *mut libc::c_void, 8) };
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Wakes the I/O thread: one eventfd write per batch of submissions, however many there are.
pub(crate) struct IoWaker {
    fd: EventFd,
    pending: AtomicBool,
}

impl IoWaker {
    pub fn new() -> std::io::Result<IoWaker> {
        Ok(IoWaker { fd: EventFd::new()?, pending: AtomicBool::new(false) })
    }

    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            self.fd.signal();
        }
    }

    /// Called by the I/O thread when it handles the wake-up, before it drains the queue.
    pub fn clear(&self) {
        self.fd.reset();
        self.pending.store(false, Ordering::Release);
    }

    pub fn fd(&self) -> RawFd {
        self.fd.fd()
    }
}

/// How many callbacks may run before requests they submitted are handed to the I/O thread.
const MAX_DEFERRED_JOBS: u32 = 64;

/// A state listener and the number of the first state event it is called for.
struct Registered {
    id: u64,
    first_event: u64,
    listener: StateListener,
}

/// Jobs in order, and whether a consumer sleeps waiting for them.
#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    consumer_waiting: bool,
}

/// The queue of jobs between the I/O thread and whoever runs callbacks. The I/O thread hands over
/// whole batches (one lock and at most one wake-up per batch).
pub(crate) struct EventQueue {
    client_id: u64,
    jobs: Mutex<Jobs>,
    available: Condvar,
    /// Present in poll mode: readable while jobs wait.
    poll_fd: Option<EventFd>,
    listeners: Mutex<Vec<Registered>>,
    /// How many state events have been created: numbers them, and tells a new listener which
    /// events happened before it was registered (it gets none of those, like kazoo's listeners).
    state_events: AtomicU64,
    /// Serialises dispatchers so callbacks never run concurrently.
    dispatch_lock: Mutex<()>,
    stopped: AtomicBool,
    /// Async requests submitted from callbacks wake the I/O thread once per batch of callbacks rather
    /// than once each: a pipelined client then costs one wake-up and one write per batch.
    io_waker: Arc<IoWaker>,
    io_wake_deferred: AtomicBool,
    jobs_since_io_wake: AtomicU32,
}

impl EventQueue {
    pub fn new(client_id: u64, poll_mode: bool, io_waker: Arc<IoWaker>) -> std::io::Result<EventQueue> {
        Ok(EventQueue {
            client_id,
            jobs: Mutex::new(Jobs::default()),
            available: Condvar::new(),
            poll_fd: if poll_mode { Some(EventFd::new()?) } else { None },
            listeners: Mutex::new(Vec::new()),
            state_events: AtomicU64::new(0),
            dispatch_lock: Mutex::new(()),
            stopped: AtomicBool::new(false),
            io_waker,
            io_wake_deferred: AtomicBool::new(false),
            jobs_since_io_wake: AtomicU32::new(0),
        })
    }

    /// Queues one job from outside the I/O thread, unless the dispatcher has finished for good (then
    /// the job is handed back: it would never run).
    pub fn try_push(&self, job: Job) -> std::result::Result<(), Job> {
        let wake = {
            let mut j = self.jobs.lock();
            if self.is_stopped() {
                return Err(job);
            }
            j.queue.push_back(job);
            j.consumer_waiting
        };
        self.wake_consumer(wake);
        Ok(())
    }

    /// Queues every job of `batch` (leaving it empty) and wakes the consumer once.
    pub fn push_batch(&self, batch: &mut Vec<Job>) {
        if batch.is_empty() {
            return;
        }
        let wake = {
            let mut j = self.jobs.lock();
            j.queue.extend(batch.drain(..));
            j.consumer_waiting
        };
        self.wake_consumer(wake);
    }

    fn wake_consumer(&self, sleeping: bool) {
        if sleeping {
            self.available.notify_one();
        }
        if let Some(fd) = &self.poll_fd {
            fd.signal();
        }
    }

    /// Called instead of waking the I/O thread for an async request submitted by a callback.
    pub fn defer_io_wake(&self) {
        self.io_wake_deferred.store(true, Ordering::Release);
    }

    fn flush_io_wake(&self) {
        self.jobs_since_io_wake.store(0, Ordering::Relaxed);
        if self.io_wake_deferred.swap(false, Ordering::AcqRel) {
            self.io_waker.wake();
        }
    }

    pub fn poll_fd(&self) -> Option<RawFd> {
        self.poll_fd.as_ref().map(EventFd::fd)
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Numbers a state event; called when the state changes, not when the event is delivered.
    pub fn next_state_seq(&self) -> u64 {
        self.state_events.fetch_add(1, Ordering::SeqCst)
    }

    pub fn add_listener(&self, id: u64, listener: StateListener) {
        let mut ls = self.listeners.lock();
        // Read under the lock that `run` takes, so an event numbered from here on finds this listener.
        let first_event = self.state_events.load(Ordering::SeqCst);
        ls.push(Registered { id, first_event, listener });
    }

    pub fn remove_listener(&self, id: u64) -> bool {
        let mut ls = self.listeners.lock();
        let before = ls.len();
        ls.retain(|r| r.id != id);
        ls.len() != before
    }

    fn run(&self, job: Job) {
        match job {
            Job::Reply(f, r) => guard(|| f(r)),
            Job::Watch(Delivery::OneShot(w, ev)) => guard(|| w(ev)),
            Job::Watch(Delivery::Persistent(w, ev)) => guard(|| w(ev)),
            Job::State(seq, ev) => {
                // Only the listeners that were registered when the state changed.
                let ls: Vec<StateListener> =
                    self.listeners.lock().iter().filter(|r| r.first_event <= seq).map(|r| r.listener.clone()).collect();
                for l in ls {
                    guard(|| l(&ev));
                }
            }
            Job::Release(w) => drop(w),
            Job::Run(f) => guard(f),
            Job::Stop => self.stopped.store(true, Ordering::Release),
        }
    }

    /// Takes the next job, sleeping until `deadline` (`None`: forever) for it. Jobs are taken one at a
    /// time so that a `close` from inside a callback finds every later job still queued, in order.
    fn next(&self, deadline: Option<Instant>) -> Option<Job> {
        let mut j = self.jobs.lock();
        loop {
            if let Some(job) = j.queue.pop_front() {
                if self.jobs_since_io_wake.fetch_add(1, Ordering::Relaxed) >= MAX_DEFERRED_JOBS {
                    self.flush_io_wake();
                }
                return Some(job);
            }
            self.flush_io_wake();
            if self.is_stopped() {
                return None;
            }
            j.consumer_waiting = true;
            let timed_out = match deadline {
                None => {
                    self.available.wait(&mut j);
                    false
                }
                Some(d) => self.available.wait_until(&mut j, d).timed_out(),
            };
            j.consumer_waiting = false;
            if timed_out && j.queue.is_empty() {
                return None;
            }
        }
    }

    /// Runs one job, marking this thread as the client's dispatcher meanwhile.
    fn run_marked(&self, job: Job) {
        let previous = DISPATCHING.with(|d| d.replace(self.client_id));
        self.run(job);
        DISPATCHING.with(|d| d.set(previous));
    }

    /// The event thread's body: runs jobs until the I/O thread has finished.
    pub fn run_thread(&self) {
        while let Some(job) = self.next(None) {
            let _g = self.dispatch_lock.lock();
            self.run_marked(job);
        }
    }

    /// Runs the jobs that are waiting, waiting up to `timeout` for the first. Returns how many ran.
    pub fn dispatch(&self, timeout: Duration) -> Result<usize> {
        if self.is_stopped() && self.jobs.lock().queue.is_empty() {
            return Err(Error::Closed);
        }
        let nested = is_dispatching(self.client_id);
        let _g = if nested { None } else { Some(self.dispatch_lock.lock()) };
        if let Some(fd) = &self.poll_fd {
            fd.reset();
        }
        let mut served = 0;
        let mut deadline = Some(Instant::now() + timeout);
        while let Some(job) = self.next(deadline) {
            self.run_marked(job);
            served += 1;
            deadline = Some(Instant::now());
        }
        Ok(served)
    }

    /// Runs every job left after the I/O thread stopped (close called where the callbacks run).
    pub fn drain(&self) {
        let nested = is_dispatching(self.client_id);
        let _g = if nested { None } else { Some(self.dispatch_lock.lock()) };
        loop {
            let job = {
                let mut j = self.jobs.lock();
                match j.queue.pop_front() {
                    Some(job) => job,
                    None => {
                        // Under the lock, so `try_push` either lands before this or sees it.
                        self.stopped.store(true, Ordering::Release);
                        break;
                    }
                }
            };
            self.run_marked(job);
        }
        self.available.notify_all();
    }
}

/// Runs a user callback; a panic in it is logged and contained so the dispatcher survives.
fn guard(f: impl FnOnce()) {
    if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        error!("a callback panicked: {msg}");
    }
}
