//! Running callbacks: one event thread per client (the default), or the application's own thread inside
//! `Client::dispatch` with an eventfd that becomes readable when callbacks wait. Either way callbacks run
//! one at a time, in the order the events happened.

use crate::error::{Error, Result};
use crate::session::Reply;
use crate::state::StateEvent;
use crate::watch::{Delivery, PendingWatch};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use std::cell::Cell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A completion callback of an async request.
pub(crate) type ReplyFn = Box<dyn FnOnce(Result<Reply>) + Send>;

/// A state listener.
pub type StateListener = Arc<dyn Fn(&StateEvent) + Send + Sync>;

/// One unit of work for the dispatcher.
pub(crate) enum Job {
    Reply(ReplyFn, Result<Reply>),
    Watch(Delivery),
    State(StateEvent),
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

/// The queue of jobs between the I/O thread and whoever runs callbacks.
pub(crate) struct EventQueue {
    client_id: u64,
    tx: Sender<Job>,
    rx: Receiver<Job>,
    /// Present in poll mode: readable while jobs wait.
    poll_fd: Option<EventFd>,
    listeners: Mutex<Vec<(u64, StateListener)>>,
    /// Serialises dispatchers so callbacks never run concurrently.
    dispatch_lock: Mutex<()>,
    stopped: AtomicBool,
}

impl EventQueue {
    pub fn new(client_id: u64, poll_mode: bool) -> std::io::Result<EventQueue> {
        let (tx, rx) = crossbeam_channel::unbounded();
        Ok(EventQueue {
            client_id,
            tx,
            rx,
            poll_fd: if poll_mode { Some(EventFd::new()?) } else { None },
            listeners: Mutex::new(Vec::new()),
            dispatch_lock: Mutex::new(()),
            stopped: AtomicBool::new(false),
        })
    }

    pub fn push(&self, job: Job) {
        // The receiver lives as long as the queue, so sending cannot fail.
        let _ = self.tx.send(job);
    }

    /// Wakes a poll-mode application after a batch of pushes.
    pub fn notify(&self) {
        if let Some(fd) = &self.poll_fd {
            fd.signal();
        }
    }

    pub fn poll_fd(&self) -> Option<RawFd> {
        self.poll_fd.as_ref().map(EventFd::fd)
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    pub fn add_listener(&self, id: u64, l: StateListener) {
        self.listeners.lock().push((id, l));
    }

    pub fn remove_listener(&self, id: u64) -> bool {
        let mut ls = self.listeners.lock();
        let before = ls.len();
        ls.retain(|(i, _)| *i != id);
        ls.len() != before
    }

    fn run(&self, job: Job) {
        match job {
            Job::Reply(f, r) => guard(|| f(r)),
            Job::Watch(Delivery::OneShot(w, ev)) => guard(|| w(ev)),
            Job::Watch(Delivery::Persistent(w, ev)) => guard(|| w(ev)),
            Job::State(ev) => {
                let ls: Vec<StateListener> = self.listeners.lock().iter().map(|(_, l)| l.clone()).collect();
                for l in ls {
                    guard(|| l(&ev));
                }
            }
            Job::Release(w) => drop(w),
            Job::Run(f) => guard(f),
            Job::Stop => self.stopped.store(true, Ordering::Release),
        }
    }

    fn run_marked(&self, job: Job) {
        let previous = DISPATCHING.with(|d| d.replace(self.client_id));
        self.run(job);
        DISPATCHING.with(|d| d.set(previous));
    }

    /// The event thread's body: runs jobs until the I/O thread has finished.
    pub fn run_thread(&self) {
        while !self.is_stopped() {
            let Ok(job) = self.rx.recv() else { return };
            let _g = self.dispatch_lock.lock();
            self.run_marked(job);
        }
    }

    /// Runs the jobs that are waiting, waiting up to `timeout` for the first. Returns how many ran.
    pub fn dispatch(&self, timeout: Duration) -> Result<usize> {
        if self.is_stopped() && self.rx.is_empty() {
            return Err(Error::Closed);
        }
        let nested = is_dispatching(self.client_id);
        let _g = if nested { None } else { Some(self.dispatch_lock.lock()) };
        if let Some(fd) = &self.poll_fd {
            fd.reset();
        }
        let mut served = 0;
        let first = match self.rx.try_recv() {
            Ok(j) => Some(j),
            Err(_) if timeout.is_zero() => None,
            Err(_) => match self.rx.recv_timeout(timeout) {
                Ok(j) => Some(j),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
            },
        };
        if let Some(job) = first {
            self.run_marked(job);
            served += 1;
            while let Ok(job) = self.rx.try_recv() {
                self.run_marked(job);
                served += 1;
            }
        }
        Ok(served)
    }

    /// Runs every job left after the I/O thread stopped (close called where the callbacks run).
    pub fn drain(&self) {
        let nested = is_dispatching(self.client_id);
        let _g = if nested { None } else { Some(self.dispatch_lock.lock()) };
        while let Ok(job) = self.rx.try_recv() {
            self.run_marked(job);
        }
        self.stopped.store(true, Ordering::Release);
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
