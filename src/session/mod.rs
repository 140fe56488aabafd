//! The session: state shared between the API and the I/O thread, the submission queue, and the
//! handoff of replies to waiting callers.

pub(crate) mod io;
pub(crate) mod transport;

use crate::config::Config;
use crate::dispatch::{EventQueue, IoWaker, ReplyFn};
use crate::error::{Error, Result};
use crate::hosts::HostPort;
use crate::path::Chroot;
use crate::state::{KazooState, State};
use crate::watch::{PendingWatch, WatcherType};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A reply as it came from the server: the header's error code and the body after the header.
#[derive(Debug)]
pub(crate) struct Reply {
    pub err: i32,
    pub body: Vec<u8>,
}

/// Where a reply goes.
pub(crate) enum Sink {
    /// A caller blocked in a sync call; completed straight from the I/O thread.
    Sync(Arc<SyncSlot>),
    /// An async callback; run by the dispatcher.
    Async(ReplyFn),
    Ignore,
}

/// What the I/O thread does besides sending the frame.
pub(crate) enum Action {
    None,
    /// Arm (or release) this watch when the reply arrives.
    Watch(PendingWatch),
    /// `remove_watches`/`check_watches`: checked against the registry first; `local` never reaches the server.
    RemoveWatches {
        path: String,
        user_path: String,
        kind: WatcherType,
        local: bool,
        remove: bool,
    },
    /// Remove one persistent watcher; the server watch goes only with the last one.
    RemovePersistent {
        id: u64,
    },
    /// Remember the credentials for reconnects, send with the auth xid.
    Auth {
        scheme: String,
        credentials: Vec<u8>,
    },
}

/// A request waiting to be sent. `frame` is complete but for the xid, which the I/O thread assigns.
pub(crate) struct Outgoing {
    pub frame: Vec<u8>,
    pub action: Action,
    pub sink: Sink,
    /// When it joined the submission queue (set by [`Shared::submit`]): how long it has waited for a
    /// connection, against [`Config::request_wait_limit`].
    pub queued_at: Option<Instant>,
}

/// A one-shot slot a sync caller waits on.
#[derive(Default)]
pub(crate) struct SyncSlot {
    value: Mutex<Option<Result<Reply>>>,
    ready: Condvar,
}

impl SyncSlot {
    pub fn complete(&self, r: Result<Reply>) {
        *self.value.lock() = Some(r);
        self.ready.notify_one();
    }

    pub fn wait(&self) -> Result<Reply> {
        let mut v = self.value.lock();
        loop {
            if let Some(r) = v.take() {
                return r;
            }
            self.ready.wait(&mut v);
        }
    }
}

/// What submitters may do, decided by the I/O thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not connected yet, or reconnecting within the session: requests queue (bounded in number, and in
    /// time by `request_timeout`).
    Connecting,
    Connected,
    /// The session expired and no new one exists yet: requests fail at once.
    Lost,
    AuthFailed,
    Closed,
}

pub(crate) struct Submissions {
    pub queue: VecDeque<Outgoing>,
    pub phase: Phase,
    pub closing: bool,
    /// The socket a sync caller may write its request to itself, saving the hand-off to the I/O
    /// thread (see [`Shared::send_direct`]). Set by the I/O thread, under this lock, only while it has
    /// nothing to write and the transport is plain TCP; cleared by it before it writes anything or
    /// closes the socket, and by any submission it will have to write. Whoever holds this lock while it
    /// is set is the only writer of the socket.
    pub direct: Option<std::os::fd::RawFd>,
    /// Requests written by their callers (in wire order, all after the I/O thread's in-flight ones):
    /// the I/O thread takes them over before anything from `queue`.
    pub sent: VecDeque<Sent>,
}

/// A request its caller wrote to the socket (see [`Submissions::direct`]).
pub(crate) struct Sent {
    pub xid: i32,
    pub sink: Sink,
    /// What the socket did not take (empty normally); the I/O thread writes it first.
    pub unsent: Vec<u8>,
}

/// The connection status the API reads.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    pub state: State,
    pub kazoo: KazooState,
    pub session_id: i64,
    pub password: Vec<u8>,
    pub negotiated_timeout_ms: i32,
    pub server: Option<HostPort>,
    pub last_error: Option<Error>,
}

/// Everything the API threads and the I/O thread share.
pub(crate) struct Shared {
    pub id: u64,
    pub config: Config,
    pub chroot: Chroot,
    pub hosts: Mutex<Vec<HostPort>>,
    pub hosts_changed: AtomicBool,
    pub submissions: Mutex<Submissions>,
    pub io_waker: Arc<IoWaker>,
    pub status: Mutex<Status>,
    pub status_changed: Condvar,
    pub events: EventQueue,
    /// Built once from the `tls.*` settings; `None` for plain TCP.
    pub tls: Option<crate::tls::TlsContext>,
    /// The SASL exchange run on every new connection, when configured.
    pub sasl: Option<crate::sasl::SaslClient>,
    /// The next request xid, taken by the I/O thread and by callers writing directly.
    pub next_xid: AtomicI32,
}

impl Shared {
    pub fn new(id: u64, config: Config, chroot: Chroot, hosts: Vec<HostPort>) -> Result<Shared> {
        let poll = config.dispatch == crate::config::DispatchMode::Poll;
        let sys = |e: std::io::Error| Error::Server {
            code: crate::error::codes::SYSTEM_ERROR,
            path: format!("eventfd: {e}"),
        };
        let (session_id, password) = config.client_id.clone().unwrap_or((0, vec![0; 16]));
        let io_waker = Arc::new(IoWaker::new().map_err(sys)?);
        let tls = crate::tls::TlsContext::new(&config.tls)?;
        let sasl = crate::sasl::SaslClient::from_config(&config.sasl)?;
        Ok(Shared {
            id,
            chroot,
            hosts: Mutex::new(hosts),
            hosts_changed: AtomicBool::new(false),
            submissions: Mutex::new(Submissions {
                queue: VecDeque::new(),
                phase: Phase::Connecting,
                closing: false,
                direct: None,
                sent: VecDeque::new(),
            }),
            next_xid: AtomicI32::new(1),
            io_waker: io_waker.clone(),
            status: Mutex::new(Status {
                state: State::Connecting,
                kazoo: KazooState::Lost,
                session_id,
                password,
                negotiated_timeout_ms: 0,
                server: None,
                last_error: None,
            }),
            status_changed: Condvar::new(),
            events: EventQueue::new(id, poll, io_waker).map_err(sys)?,
            tls,
            sasl,
            config,
        })
    }

    /// Queues a request for the I/O thread, or refuses it with the reason.
    pub fn submit(&self, out: Outgoing) -> Result<()> {
        // A sync call made inside a callback must go out at once: its thread waits for the reply.
        let from_callback = matches!(out.sink, Sink::Async(_)) && crate::dispatch::is_dispatching(self.id);
        {
            let mut s = self.submissions.lock();
            if s.closing {
                return Err(if s.phase == Phase::Closed { Error::Closed } else { Error::Closing });
            }
            match s.phase {
                Phase::Connected => {}
                Phase::Connecting => {
                    if s.queue.len() >= self.config.max_queued_requests {
                        return Err(Error::QueueFull(s.queue.len()));
                    }
                }
                Phase::Lost => return Err(Error::SessionExpired),
                Phase::AuthFailed => {
                    return Err(Error::AuthFailed("the server refused the client's credentials".into()))
                }
                Phase::Closed => return Err(Error::Closed),
            }
            if s.direct.is_some() && matches!(out.sink, Sink::Sync(_)) && matches!(out.action, Action::None) {
                return self.send_direct(&mut s, out);
            }
            // The I/O thread will write this one: nobody may overtake it on the socket.
            s.direct = None;
            // Stamped under the lock, so the queue is in `queued_at` order and requests expire from its front.
            s.queue.push_back(Outgoing { queued_at: Some(Instant::now()), ..out });
        }
        if from_callback {
            self.events.defer_io_wake();
        } else {
            self.wake();
        }
        Ok(())
    }

    /// Takes the next xid (1..=i32::MAX, then 1 again).
    pub fn take_xid(&self) -> i32 {
        let next = |x: i32| Some(if x == i32::MAX { 1 } else { x + 1 });
        self.next_xid.fetch_update(Ordering::Relaxed, Ordering::Relaxed, next).unwrap_or(1)
    }

    /// Writes a sync request to the socket from the calling thread (the I/O thread is idle and
    /// `s.direct` is set, so nobody else writes): the request goes out without waking the I/O thread,
    /// which learns of it from `s.sent` when the reply comes, or when it next drains the queue. What the
    /// socket does not take, or a failed write, is left for the I/O thread (which then sees the error).
    fn send_direct(&self, s: &mut Submissions, out: Outgoing) -> Result<()> {
        let Some(fd) = s.direct else { unreachable!("send_direct without a socket") };
        let Outgoing { mut frame, sink, .. } = out;
        let xid = self.take_xid();
        frame[4..8].copy_from_slice(&xid.to_be_bytes());
        let mut written = 0;
        while written < frame.len() {
            // SAFETY: `fd` is the I/O thread's open socket: it closes it only after clearing
            // `s.direct` under the lock we hold. MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE.
            let n = unsafe {
                libc::send(
                    fd,
                    frame[written..].as_ptr() as *const libc::c_void,
                    frame.len() - written,
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            };
            if n > 0 {
                written += n as usize;
            } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            } else {
                break;
            }
        }
        let unsent = if written == frame.len() { Vec::new() } else { frame.split_off(written) };
        let wake = !unsent.is_empty();
        if wake {
            s.direct = None;
        }
        s.sent.push_back(Sent { xid, sink, unsent });
        if wake {
            self.wake();
        }
        Ok(())
    }

    /// Wakes the I/O thread.
    pub fn wake(&self) {
        self.io_waker.wake();
    }

    /// Waits until the client is connected, refused, closed or `timeout` passed.
    pub fn wait_connected(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut st = self.status.lock();
        loop {
            match st.state {
                State::Connected | State::ConnectedReadOnly => return Ok(()),
                State::AuthFailed => {
                    return Err(st
                        .last_error
                        .clone()
                        .unwrap_or_else(|| Error::AuthFailed("credentials refused".into())))
                }
                State::Closed => return Err(Error::Closed),
                State::Connecting | State::Expired => {}
            }
            if self.status_changed.wait_until(&mut st, deadline).timed_out() {
                // A refused TLS handshake says more than a timeout (the client keeps retrying with backoff).
                if let Some(e @ (Error::TlsCertificateRejected(_) | Error::TlsHandshake(_))) = &st.last_error {
                    return Err(e.clone());
                }
                let why = st.last_error.as_ref().map(|e| format!(": last error: {e}")).unwrap_or_default();
                return Err(Error::Timeout(format!("not connected after {} ms{why}", timeout.as_millis())));
            }
        }
    }
}
