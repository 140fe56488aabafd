//! The I/O thread: connects, performs the handshake, re-attaches the session, re-sends credentials and
//! watches, then moves requests out and replies in, in batches (one write for every queued request, every
//! complete frame parsed from one read). It owns the socket and the watch registry; nothing else locks
//! per request but the submission queue.

use super::transport::{self, Transport};
use super::{Action, Outgoing, Phase, Reply, Sent, Shared, Sink};
use crate::dispatch::Job;
use crate::error::Error;
use crate::hosts::{HostCycle, HostPort};
use crate::proto::{self, op, xid, ConnectRequest, ConnectResponse, JuteWrite, Reader, ReplyHeader, WatcherEvent};
use crate::retry::Backoff;
use crate::sasl::SaslClient;
use crate::state::State;
use crate::watch::{AddWatchMode, Delivery, EventType, PendingWatch, WatchRegistry, WatcherType};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 64 * 1024;
/// The read buffer of a new session: it grows by READ_CHUNK the first time a read fills it, so that an
/// idle or lightly used session does not keep (zero-filled, hence resident) 64 KiB.
const FIRST_READ_BUFFER: usize = 4 * 1024;
/// With more requests than this in flight, replies are read at most once per [`READ_PACE`].
const DEEP_PIPELINE: usize = 64;
/// How long replies may gather in the socket between two reads of a deep pipeline. Reading each reply as
/// it comes costs a wake-up of this thread and of the event thread per one or two replies; and, measured
/// (bench/), the server answers one session faster when its replies are collected in batches. A timed
/// pause works where SO_RCVLOWAT did not: replies left unread until a byte count slowed the server down.
const READ_PACE: Duration = Duration::from_micros(200);
/// How long close waits for the server to confirm closeSession.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

pub(crate) fn run(shared: Arc<Shared>) {
    IoLoop::new(shared).run();
}

/// A request sent and waiting for its reply (replies come back in send order).
struct InFlight {
    xid: i32,
    action: Action,
    sink: Sink,
}

/// Why serving a connection ended.
enum Ended {
    Closed,
    Lost(String),
    AuthFailed(Error),
    ReadWriteServerFound(HostPort, SocketAddr),
}

enum HandshakeFailure {
    Expired,
    /// A network failure: try the next server.
    Failed(String),
    /// The server or its certificate was refused (TLS); retried with backoff, reported as this error.
    Rejected(Error),
    /// The credentials were refused (SASL): the client stops.
    AuthFailed(Error),
}

struct IoLoop {
    shared: Arc<Shared>,
    hosts: HostCycle,
    session_id: i64,
    password: Vec<u8>,
    last_zxid: i64,
    /// Whether the session came from a read-write server (a read-only server's session is local to it).
    session_is_global: bool,
    auth: Vec<(String, Vec<u8>)>,
    watches: WatchRegistry,
    in_flight: VecDeque<InFlight>,
    auth_waiters: VecDeque<Option<Sink>>,
    spare_queue: VecDeque<Outgoing>,
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    wbuf: Vec<u8>,
    wpos: usize,
    deliveries: Vec<Delivery>,
    /// Jobs for the dispatcher, handed over in one batch per loop turn.
    jobs: Vec<Job>,
    close_xid: Option<i32>,
    close_done: bool,
    /// Whether this thread set `Submissions::direct` and nothing it knows of cleared it since (anything
    /// that clears it also queues work this thread drains): saves taking the lock before every poll,
    /// right when a woken sync caller wants it for its next request.
    direct_allowed: bool,
}

impl IoLoop {
    fn new(shared: Arc<Shared>) -> Self {
        let (session_id, password) = {
            let st = shared.status.lock();
            (st.session_id, st.password.clone())
        };
        let hosts = HostCycle::new(shared.hosts.lock().clone(), shared.config.randomize_hosts);
        IoLoop {
            hosts,
            session_id,
            password,
            last_zxid: 0,
            session_is_global: true,
            auth: shared.config.auth.clone(),
            watches: WatchRegistry::default(),
            in_flight: VecDeque::new(),
            auth_waiters: VecDeque::new(),
            spare_queue: VecDeque::new(),
            rbuf: vec![0; FIRST_READ_BUFFER],
            rstart: 0,
            rend: 0,
            wbuf: Vec::new(),
            wpos: 0,
            deliveries: Vec::new(),
            jobs: Vec::new(),
            close_xid: None,
            close_done: false,
            direct_allowed: false,
            shared,
        }
    }

    fn closing(&self) -> bool {
        self.shared.submissions.lock().closing
    }

    fn run(mut self) {
        let mut backoff = Backoff::new(&self.shared.config.connection_retry);
        loop {
            if self.closing() {
                break;
            }
            if self.shared.hosts_changed.swap(false, std::sync::atomic::Ordering::AcqRel) {
                self.hosts.set_hosts(self.shared.hosts.lock().clone());
            }
            // A connection attempt blocks (up to the connect timeout): expire what is due before it.
            self.expire_queued();
            let Some((host, addr)) = self.hosts.next_addr() else {
                let delay = backoff.next_delay().unwrap_or(self.shared.config.connection_retry.max_delay);
                self.sleep(delay);
                continue;
            };
            match self.handshake(&host, addr) {
                Ok((conn, resp)) => {
                    backoff.reset();
                    match self.serve(conn, &host, resp) {
                        Ended::Closed => break,
                        Ended::Lost(reason) => self.connection_lost(reason),
                        Ended::AuthFailed(e) => {
                            self.auth_failed(e);
                            self.wait_for_close();
                            break;
                        }
                        Ended::ReadWriteServerFound(rw_host, rw) => {
                            info!("read-write server {rw_host} found; leaving the read-only server {host}");
                            self.connection_lost(format!("switching from read-only {host} to read-write {rw_host}"));
                            self.hosts.prefer(rw_host, rw);
                        }
                    }
                }
                Err(HandshakeFailure::Expired) => self.session_expired(),
                Err(HandshakeFailure::Failed(reason)) => {
                    debug!("cannot connect to {host} ({addr}): {reason}");
                    self.shared.status.lock().last_error =
                        Some(Error::ConnectionLoss(format!("cannot connect to {host}: {reason}")));
                }
                Err(HandshakeFailure::Rejected(e)) => {
                    let mut st = self.shared.status.lock();
                    // Once per distinct reason, not once per attempt.
                    if st.last_error.as_ref() != Some(&e) {
                        warn!("{e}");
                    }
                    st.last_error = Some(e);
                }
                Err(HandshakeFailure::AuthFailed(e)) => {
                    self.auth_failed(e);
                    self.wait_for_close();
                    break;
                }
            }
        }
        self.finish();
    }

    /// Sleeps up to `d`, returning early when the client closes; fails queued requests as they expire
    /// meanwhile (a submission wakes it, so a new request's expiry is seen).
    fn sleep(&mut self, d: Duration) {
        let end = Instant::now() + d;
        loop {
            let next_expiry = self.expire_queued();
            let now = Instant::now();
            if now >= end || self.closing() {
                return;
            }
            let until = next_expiry.map_or(end, |t| t.min(end));
            poll_fds(&mut [pollfd(self.shared.io_waker.fd(), libc::POLLIN)], until.saturating_duration_since(now));
            self.shared.io_waker.clear();
        }
    }

    /// While disconnected: fails with `ConnectionLoss` the queued requests that waited for a connection
    /// longer than `request_timeout` (the queue is in arrival order, so they are its front: the others
    /// keep their order). Returns when the next one is due.
    fn expire_queued(&mut self) -> Option<Instant> {
        let limit = self.shared.config.request_wait_limit()?;
        let now = Instant::now();
        let (expired, next) = {
            let mut s = self.shared.submissions.lock();
            if s.phase != Phase::Connecting {
                return None;
            }
            let due = |o: &Outgoing| o.queued_at.is_some_and(|t| now >= t + limit);
            let n = s.queue.iter().take_while(|o| due(o)).count();
            let expired: Vec<Outgoing> = s.queue.drain(..n).collect();
            (expired, s.queue.front().and_then(|o| o.queued_at).map(|t| t + limit))
        };
        if !expired.is_empty() {
            let why = self.shared.status.lock().last_error.as_ref().map(|e| format!(" (last error: {e})"));
            let e = Error::ConnectionLoss(format!(
                "not connected within request_timeout ({} ms){}",
                limit.as_millis(),
                why.unwrap_or_default()
            ));
            for out in expired {
                if let Action::Watch(w) = out.action {
                    self.release(w);
                }
                self.complete(out.sink, Err(e.clone()));
            }
            self.notify_events();
        }
        next
    }

    fn wait_for_close(&mut self) {
        while !self.closing() {
            self.sleep(Duration::from_secs(3600));
        }
    }

    fn connect_timeout(&self) -> Duration {
        self.shared
            .config
            .connect_timeout
            .unwrap_or_else(|| self.shared.config.session_timeout / self.hosts.host_count().max(1) as u32)
    }

    fn handshake(
        &mut self,
        host: &HostPort,
        addr: SocketAddr,
    ) -> Result<(Box<dyn Transport>, ConnectResponse), HandshakeFailure> {
        let shared = self.shared.clone();
        let tls = shared.tls.as_ref();
        let mut conn = transport::connect(host, addr, self.connect_timeout(), tls).map_err(|e| match e {
            Error::ConnectionLoss(reason) => HandshakeFailure::Failed(reason),
            other => HandshakeFailure::Rejected(other),
        })?;
        let failed = |e: std::io::Error| match tls.and_then(|t| t.classify(host, &e)) {
            Some(refused) => HandshakeFailure::Rejected(refused),
            None => HandshakeFailure::Failed(describe_io(&e)),
        };
        let session_id = if self.session_is_global { self.session_id } else { 0 };
        let frame = ConnectRequest {
            last_zxid_seen: self.last_zxid,
            timeout_ms: self.shared.config.session_timeout.as_millis().min(i32::MAX as u128) as i32,
            session_id,
            password: &self.password,
            read_only: self.shared.config.read_only,
        }
        .to_frame();
        conn.write_all(&frame).map_err(failed)?;
        let mut len = [0u8; 4];
        conn.read_exact(&mut len).map_err(failed)?;
        let len = i32::from_be_bytes(len);
        if !(16..=1024).contains(&len) {
            return Err(HandshakeFailure::Failed(format!("bad handshake reply length {len}")));
        }
        let mut body = vec![0u8; len as usize];
        conn.read_exact(&mut body).map_err(failed)?;
        if body.len() == ReplyHeader::LEN {
            // Not a handshake reply: the server refused the session with an error header.
            let err = ReplyHeader::decode(&mut Reader::new(&body)).map(|h| h.err).unwrap_or(0);
            return Err(HandshakeFailure::Failed(format!(
                "the server refused the session: {} ({err})",
                crate::error::code_name(err)
            )));
        }
        let resp = ConnectResponse::decode(&body).map_err(|e| HandshakeFailure::Failed(e.to_string()))?;
        if resp.timeout_ms <= 0 {
            return Err(HandshakeFailure::Expired);
        }
        if let Some(sasl) = &shared.sasl {
            self.sasl_exchange(sasl, conn.as_mut(), host)?;
        }
        conn.set_nonblocking().map_err(failed)?;
        Ok((conn, resp))
    }

    /// SASL on the new connection, still blocking, before credentials, watches or queued requests go out.
    fn sasl_exchange(
        &mut self,
        sasl: &SaslClient,
        conn: &mut dyn Transport,
        host: &HostPort,
    ) -> Result<(), HandshakeFailure> {
        let challenge = self.sasl_round(sasl, conn, host, &[])?;
        if challenge.is_empty() {
            return Err(HandshakeFailure::AuthFailed(Error::AuthFailed(format!(
                "SASL DIGEST-MD5 as {:?}: {host} sent no challenge (is SASL set up on the server?)",
                sasl.username()
            ))));
        }
        let response = sasl.respond(&challenge).map_err(HandshakeFailure::AuthFailed)?;
        let last = self.sasl_round(sasl, conn, host, &response.token)?;
        response.verify_server(&last).map_err(HandshakeFailure::AuthFailed)?;
        debug!("SASL DIGEST-MD5 as {:?} at {host}: authenticated", sasl.username());
        Ok(())
    }

    /// Sends one token (op 102) and returns the server's answer.
    fn sasl_round(
        &mut self,
        sasl: &SaslClient,
        conn: &mut dyn Transport,
        host: &HostPort,
        token: &[u8],
    ) -> Result<Vec<u8>, HandshakeFailure> {
        let x = self.take_xid();
        let mut f = proto::start_frame(x, op::SASL, token.len() + 4);
        f.put_buffer(Some(token));
        proto::patch_length(&mut f);
        let shared = self.shared.clone();
        let failed = |e: std::io::Error| match shared.tls.as_ref().and_then(|t| t.classify(host, &e)) {
            Some(refused) => HandshakeFailure::Rejected(refused),
            None => HandshakeFailure::Failed(format!("SASL exchange: {}", describe_io(&e))),
        };
        conn.write_all(&f).map_err(failed)?;
        loop {
            let mut len = [0u8; 4];
            conn.read_exact(&mut len).map_err(failed)?;
            let len = i32::from_be_bytes(len);
            if len < ReplyHeader::LEN as i32 || len as usize > shared.config.max_frame_bytes {
                return Err(HandshakeFailure::Failed(format!("malformed SASL reply: length {len}")));
            }
            let mut body = vec![0u8; len as usize];
            conn.read_exact(&mut body).map_err(failed)?;
            let mut r = Reader::new(&body);
            let malformed = |e: Error| HandshakeFailure::Failed(format!("malformed SASL reply: {e}"));
            let h = ReplyHeader::decode(&mut r).map_err(malformed)?;
            if h.xid != x {
                // Nothing else is outstanding on a fresh connection but server-initiated frames.
                debug!("skipping frame with xid {} during the SASL exchange", h.xid);
                continue;
            }
            if h.err != 0 {
                return Err(HandshakeFailure::AuthFailed(Error::AuthFailed(format!(
                    "SASL DIGEST-MD5 as {:?}: {host} refused the credentials ({})",
                    sasl.username(),
                    crate::error::code_name(h.err)
                ))));
            }
            return Ok(if r.remaining() == 0 { Vec::new() } else { r.bytes().map_err(malformed)? });
        }
    }

    fn serve(&mut self, mut conn: Box<dyn Transport>, host: &HostPort, resp: ConnectResponse) -> Ended {
        let ended = self.serve_connection(conn.as_mut(), host, resp);
        // Callers must stop writing to the socket before it closes; what they wrote is in flight (and
        // fails with the rest).
        self.forbid_direct();
        drop(conn);
        ended
    }

    /// Lets sync callers write to the socket while this thread has nothing to write.
    fn allow_direct(&mut self, conn: &dyn Transport) {
        if self.direct_allowed || self.wpos < self.wbuf.len() {
            return;
        }
        if let Some(fd) = conn.direct_fd() {
            let mut s = self.shared.submissions.lock();
            // A caller's partial write leaves a rest only this thread may send, before anything else.
            let rest_pending = s.sent.iter().any(|sent| !sent.unsent.is_empty());
            if s.queue.is_empty() && !rest_pending && s.phase == Phase::Connected && !s.closing {
                s.direct = Some(fd);
                self.direct_allowed = true;
            }
        }
    }

    /// Before this thread takes an xid or writes: nobody else may write, and what callers already
    /// wrote is in flight ahead of anything this thread sends (replies come in socket order).
    fn forbid_direct(&mut self) {
        let sent = {
            let mut s = self.shared.submissions.lock();
            s.direct = None;
            std::mem::take(&mut s.sent)
        };
        self.direct_allowed = false;
        self.adopt_sent(sent);
    }

    /// Takes over requests their callers wrote: in flight in the order they were written, and a rest
    /// the socket did not take goes out first.
    fn adopt_sent(&mut self, sent: VecDeque<Sent>) {
        for Sent { xid, sink, unsent } in sent {
            if !unsent.is_empty() {
                // The caller that left it cleared `direct`; let the next idle poll set it again.
                self.direct_allowed = false;
            }
            self.wbuf.extend_from_slice(&unsent);
            self.in_flight.push_back(InFlight { xid, action: Action::None, sink });
        }
    }

    fn serve_connection(&mut self, conn: &mut dyn Transport, host: &HostPort, resp: ConnectResponse) -> Ended {
        // A read-only server keeps a session it was handed, but a new one it makes is local to it.
        self.session_is_global = !resp.read_only || (self.session_is_global && resp.session_id == self.session_id);
        self.session_id = resp.session_id;
        self.password = resp.password.clone();
        let timeout = Duration::from_millis(resp.timeout_ms as u64);
        {
            let mut st = self.shared.status.lock();
            st.session_id = resp.session_id;
            st.password = resp.password;
            st.negotiated_timeout_ms = resp.timeout_ms;
            st.server = Some(host.clone());
            st.last_error = None;
        }
        debug!("connected to {host}, session 0x{:x}, timeout {} ms", self.session_id, resp.timeout_ms);
        self.prime();
        self.shared.submissions.lock().phase = Phase::Connected;
        self.set_state(if resp.read_only { State::ConnectedReadOnly } else { State::Connected });
        self.drain_submissions();

        let read_timeout = timeout * 2 / 3;
        let ping_every = timeout / 3;
        let mut last_recv = Instant::now();
        let mut last_send = Instant::now();
        let mut close_deadline: Option<Instant> = None;
        let mut last_read: Option<Instant> = None;
        self.close_done = false;
        let mut ro_probe = if resp.read_only { Some(ReadWriteProbe::new()) } else { None };
        loop {
            if self.wpos < self.wbuf.len() {
                match self.flush(conn) {
                    Ok(true) => last_send = Instant::now(),
                    Ok(false) => {}
                    Err(reason) => return Ended::Lost(reason),
                }
            }
            self.notify_events();
            let now = Instant::now();
            if now >= last_recv + read_timeout {
                return Ended::Lost(format!("no reply from {host} for {} ms", read_timeout.as_millis()));
            }
            if let Some(d) = close_deadline {
                if now >= d {
                    debug!("closeSession not confirmed in time");
                    return Ended::Closed;
                }
            }
            // Like the Java client, ping whenever nothing was sent for a third of the timeout, even with
            // a ping unanswered: while a long backlog of replies drains, pings are what keep the session.
            let idle = self.wpos >= self.wbuf.len();
            if idle && close_deadline.is_none() && now >= last_send + ping_every {
                self.forbid_direct();
                let mut f = proto::start_frame(xid::PING, op::PING, 0);
                proto::patch_length(&mut f);
                self.wbuf.extend_from_slice(&f);
                continue;
            }
            if let Some(probe) = ro_probe.as_mut() {
                if let Some((rw_host, rw)) = probe.poll(&self.hosts_list(), host, &self.shared) {
                    return Ended::ReadWriteServerFound(rw_host, rw);
                }
            }
            let mut deadline = last_recv + read_timeout;
            if self.wpos >= self.wbuf.len() && close_deadline.is_none() {
                deadline = deadline.min(last_send + ping_every);
            }
            if let Some(d) = close_deadline {
                deadline = deadline.min(d);
            }
            if let Some(probe) = &ro_probe {
                deadline = deadline.min(probe.next_check());
            }
            self.allow_direct(conn);
            // Submissions and writes go on meanwhile: only the socket's input waits.
            let read_paused_until =
                last_read.filter(|_| self.in_flight.len() > DEEP_PIPELINE).map(|t| t + READ_PACE).filter(|t| *t > now);
            let may_read = read_paused_until.is_none();
            if let Some(t) = read_paused_until {
                deadline = deadline.min(t);
            }
            let buffered = may_read && conn.has_buffered_input();
            let wait = if buffered { Duration::ZERO } else { deadline.saturating_duration_since(now) };
            let read_wants_write = may_read && conn.read_wants_write();
            let want_write = self.wpos < self.wbuf.len() || read_wants_write;
            let mut fds = [
                pollfd(conn.fd(), if may_read { libc::POLLIN } else { 0 } | if want_write { libc::POLLOUT } else { 0 }),
                pollfd(self.shared.io_waker.fd(), libc::POLLIN),
            ];
            poll_fds(&mut fds, wait);
            if fds[1].revents != 0 {
                self.shared.io_waker.clear();
                let closing = self.closing();
                self.drain_submissions();
                if closing && close_deadline.is_none() {
                    self.send_close();
                    close_deadline = Some(Instant::now() + CLOSE_WAIT.min(timeout));
                }
            }
            let readable = fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
                || (read_wants_write && fds[0].revents & libc::POLLOUT != 0);
            if readable || buffered {
                match self.read_frames(conn) {
                    Ok(true) => {
                        last_recv = Instant::now();
                        last_read = Some(last_recv);
                    }
                    Ok(false) => {}
                    Err(ended) => return ended,
                }
                if self.close_done {
                    return Ended::Closed;
                }
            }
        }
    }

    fn hosts_list(&self) -> Vec<HostPort> {
        self.shared.hosts.lock().clone()
    }

    /// Credentials and watches go first on a new connection, before any queued request.
    fn prime(&mut self) {
        self.wbuf.clear();
        self.wpos = 0;
        self.rstart = 0;
        self.rend = 0;
        for (scheme, credentials) in &self.auth {
            let f = auth_frame(scheme, credentials);
            self.wbuf.extend_from_slice(&f);
            self.auth_waiters.push_back(None);
        }
        let paths = self.watches.paths();
        if !paths.is_empty() {
            for f in paths.to_frames(self.last_zxid) {
                self.wbuf.extend_from_slice(&f);
            }
        }
    }

    fn drain_submissions(&mut self) {
        let sent = {
            let mut s = self.shared.submissions.lock();
            if s.phase != Phase::Connected {
                return;
            }
            std::mem::swap(&mut s.queue, &mut self.spare_queue);
            if !self.spare_queue.is_empty() {
                s.direct = None;
                self.direct_allowed = false;
            }
            std::mem::take(&mut s.sent)
        };
        // Written by their callers, so before anything queued. A partial write cleared `direct`
        // itself, so no caller writes after the rest appended here.
        self.adopt_sent(sent);
        while let Some(out) = self.spare_queue.pop_front() {
            self.send(out);
        }
    }

    fn take_xid(&mut self) -> i32 {
        self.shared.take_xid()
    }

    fn send(&mut self, out: Outgoing) {
        // Also reached from reply handling (a watch re-added), where callers may be writing. While
        // `direct_allowed` is false nobody has written since this thread last took over.
        if self.direct_allowed {
            self.forbid_direct();
        }
        let Outgoing { mut frame, action, sink, .. } = out;
        let action = match action {
            Action::RemoveWatches { path, user_path, kind, local, remove } => {
                if !self.watches.has(&path, kind) {
                    return self.complete(sink, Err(Error::NoWatcher(user_path)));
                }
                if local {
                    if remove {
                        self.watches.remove(&path, &user_path, kind, &mut self.deliveries);
                        self.deliver();
                    }
                    return self.complete(sink, Ok(Reply { err: 0, body: Vec::new() }));
                }
                Action::RemoveWatches { path, user_path, kind, local, remove }
            }
            Action::RemovePersistent { id } => {
                let chroot = self.shared.chroot.clone();
                let removed = self.watches.remove_persistent(id, |p| chroot.to_user(p), &mut self.deliveries);
                self.deliver();
                match removed {
                    None => return self.complete(sink, Err(Error::NoWatcher(format!("persistent watch #{id}")))),
                    Some((_, _, false)) => return self.complete(sink, Ok(Reply { err: 0, body: Vec::new() })),
                    Some((path, mode, true)) => {
                        // Servers before 3.9 refuse removal by the persistent types; "any" works on
                        // every 3.6+ server, and removes only this watch when nothing else of this
                        // session watches the path.
                        let kind = if self.watches.has(&path, WatcherType::Any) {
                            match mode {
                                AddWatchMode::Persistent => WatcherType::Persistent,
                                AddWatchMode::PersistentRecursive => WatcherType::PersistentRecursive,
                            }
                        } else {
                            WatcherType::Any
                        };
                        frame = proto::start_frame(0, op::REMOVE_WATCHES, path.len() + 8);
                        frame.put_str(&path);
                        frame.put_i32(kind as i32);
                        proto::patch_length(&mut frame);
                        // Removed locally already; only the server side is left.
                        Action::RemoveWatches { path, user_path: String::new(), kind, local: false, remove: false }
                    }
                }
            }
            Action::Auth { scheme, credentials } => {
                frame[4..8].copy_from_slice(&xid::AUTH.to_be_bytes());
                self.wbuf.extend_from_slice(&frame);
                if !self.auth.iter().any(|(s, c)| *s == scheme && *c == credentials) {
                    self.auth.push((scheme, credentials));
                }
                self.auth_waiters.push_back(Some(sink));
                return;
            }
            other => other,
        };
        let x = self.take_xid();
        frame[4..8].copy_from_slice(&x.to_be_bytes());
        self.wbuf.extend_from_slice(&frame);
        self.in_flight.push_back(InFlight { xid: x, action, sink });
    }

    fn send_close(&mut self) {
        self.forbid_direct();
        let x = self.take_xid();
        let mut f = proto::start_frame(x, op::CLOSE_SESSION, 0);
        proto::patch_length(&mut f);
        self.wbuf.extend_from_slice(&f);
        self.in_flight.push_back(InFlight { xid: x, action: Action::None, sink: Sink::Ignore });
        self.close_xid = Some(x);
    }

    /// Writes as much as the socket takes. `Ok(true)` if anything was written.
    fn flush(&mut self, conn: &mut dyn Transport) -> Result<bool, String> {
        let mut wrote = false;
        while self.wpos < self.wbuf.len() {
            match conn.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => {
                    self.wpos += n;
                    wrote = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("write to the server failed: {e}")),
            }
        }
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
        }
        Ok(wrote)
    }

    /// Reads what is available and handles every complete frame. `Ok(true)` if anything arrived.
    fn read_frames(&mut self, conn: &mut dyn Transport) -> Result<bool, Ended> {
        let mut got = false;
        loop {
            if self.rend == self.rbuf.len() {
                self.make_room(READ_CHUNK);
            }
            match conn.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => return Err(Ended::Lost("the server closed the connection".into())),
                Ok(n) => {
                    got = true;
                    self.rend += n;
                    let filled = self.rend == self.rbuf.len();
                    self.process_frames()?;
                    if !filled && !conn.has_buffered_input() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(Ended::Lost(format!("read from the server failed: {e}"))),
            }
        }
        Ok(got)
    }

    /// Makes at least `want` bytes of room after `rend`, moving unread bytes to the front first.
    fn make_room(&mut self, want: usize) {
        if self.rstart > 0 {
            self.rbuf.copy_within(self.rstart..self.rend, 0);
            self.rend -= self.rstart;
            self.rstart = 0;
        }
        if self.rbuf.len() - self.rend < want {
            self.rbuf.resize(self.rend + want, 0);
        }
    }

    fn process_frames(&mut self) -> Result<(), Ended> {
        let max = self.shared.config.max_frame_bytes;
        let buf = std::mem::take(&mut self.rbuf);
        let result = (|| loop {
            let avail = self.rend - self.rstart;
            if avail < 4 {
                return Ok(());
            }
            let s = self.rstart;
            let len = i32::from_be_bytes([buf[s], buf[s + 1], buf[s + 2], buf[s + 3]]);
            if len < ReplyHeader::LEN as i32 || len as usize > max {
                return Err(Ended::Lost(format!(
                    "malformed frame from the server: length {len} (accepted: {}..={max})",
                    ReplyHeader::LEN
                )));
            }
            let len = len as usize;
            if avail < 4 + len {
                return Ok(());
            }
            self.handle_frame(&buf[s + 4..s + 4 + len])?;
            self.rstart += 4 + len;
        })();
        self.rbuf = buf;
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        } else if result.is_ok() {
            // A partial frame: make sure the whole of it fits.
            let s = self.rstart;
            if self.rend - s >= 4 {
                let len =
                    i32::from_be_bytes([self.rbuf[s], self.rbuf[s + 1], self.rbuf[s + 2], self.rbuf[s + 3]]) as usize;
                if self.rbuf.len() - s < 4 + len {
                    self.make_room(4 + len - (self.rend - self.rstart));
                }
            }
        }
        result
    }

    fn handle_frame(&mut self, frame: &[u8]) -> Result<(), Ended> {
        let malformed = |e: Error| Ended::Lost(format!("malformed reply from the server: {e}"));
        let mut r = Reader::new(frame);
        let h = ReplyHeader::decode(&mut r).map_err(malformed)?;
        if h.zxid > 0 {
            self.last_zxid = h.zxid;
        }
        if h.err == crate::error::codes::SESSION_CLOSED_REQUIRE_SASL_AUTH && h.xid != xid::NOTIFICATION {
            return Err(self.sasl_required(h.xid));
        }
        match h.xid {
            xid::NOTIFICATION => {
                let ev = WatcherEvent::decode(&mut r).map_err(malformed)?;
                match EventType::from_wire(ev.event_type) {
                    Some(t) => {
                        let user_path = self.shared.chroot.strip(&ev.path).to_string();
                        self.watches.route(t, &ev.path, &user_path, &mut self.deliveries);
                        self.deliver();
                    }
                    None => debug!("ignoring event type {} state {}", ev.event_type, ev.state),
                }
            }
            xid::PING => {}
            xid::AUTH => {
                let waiter = self.auth_waiters.pop_front().flatten();
                if h.err != 0 {
                    let e = Error::AuthFailed(format!(
                        "the server refused the credentials ({})",
                        crate::error::code_name(h.err)
                    ));
                    if let Some(s) = waiter {
                        self.complete(s, Err(e.clone()));
                    }
                    return Err(Ended::AuthFailed(e));
                }
                if let Some(s) = waiter {
                    self.complete(s, Ok(Reply { err: 0, body: Vec::new() }));
                }
            }
            xid::SET_WATCHES => {
                if h.err != 0 {
                    warn!("the server refused to re-register watches: {}", crate::error::code_name(h.err));
                }
            }
            x => {
                if self.in_flight.front().map_or(true, |f| f.xid != x) {
                    // A request its caller wrote itself: take those over now.
                    self.drain_submissions();
                }
                let Some(f) = self.in_flight.pop_front() else {
                    return Err(Ended::Lost(format!("reply with xid {x} while no request is in flight")));
                };
                if f.xid != x {
                    let expected = f.xid;
                    self.in_flight.push_front(f);
                    return Err(Ended::Lost(format!("reply out of order: xid {x}, expected {expected}")));
                }
                let err = match &f.action {
                    Action::RemoveWatches { kind, .. } => tolerate_old_server(*kind, h.err),
                    _ => h.err,
                };
                match f.action {
                    Action::Watch(w) => {
                        let overridden = self.watches.overridden_by(&w, h.err);
                        if let Some(w) = self.watches.arm(w, h.err) {
                            self.release(w);
                        }
                        for (path, mode) in overridden {
                            let frame = crate::ops::add_watch_frame(&path, mode);
                            self.send(Outgoing { frame, action: Action::None, sink: Sink::Ignore, queued_at: None });
                        }
                    }
                    Action::RemoveWatches { path, user_path, kind, remove: true, .. } if err == 0 => {
                        self.watches.remove(&path, &user_path, kind, &mut self.deliveries);
                        self.deliver();
                    }
                    _ => {}
                }
                if self.close_xid == Some(x) {
                    self.close_done = true;
                }
                let body = frame[ReplyHeader::LEN..].to_vec();
                self.complete(f.sink, Ok(Reply { err, body }));
            }
        }
        Ok(())
    }

    /// The server closes sessions that did not authenticate with SASL: the request fails with that code and
    /// the client stops, as reconnecting would only be refused again.
    fn sasl_required(&mut self, x: i32) -> Ended {
        let e = Error::from_server(
            crate::error::codes::SESSION_CLOSED_REQUIRE_SASL_AUTH,
            "the server requires SASL authentication (set sasl.username and sasl.password)",
        );
        if self.in_flight.front().is_some_and(|f| f.xid == x) {
            if let Some(f) = self.in_flight.pop_front() {
                if let Action::Watch(w) = f.action {
                    self.release(w);
                }
                self.complete(f.sink, Err(e.clone()));
            }
        }
        Ended::AuthFailed(e)
    }

    fn complete(&mut self, sink: Sink, result: Result<Reply, Error>) {
        match sink {
            Sink::Sync(slot) => slot.complete(result),
            Sink::Async(f) => self.jobs.push(Job::Reply(f, result)),
            Sink::Ignore => {}
        }
    }

    fn deliver(&mut self) {
        self.jobs.extend(self.deliveries.drain(..).map(Job::Watch));
    }

    fn release(&mut self, w: PendingWatch) {
        self.jobs.push(Job::Release(w));
    }

    fn notify_events(&mut self) {
        self.shared.events.push_batch(&mut self.jobs);
    }

    /// Fails everything in flight; what was never sent stays queued for the next connection.
    fn fail_in_flight(&mut self, e: &Error) {
        while let Some(f) = self.in_flight.pop_front() {
            if let Action::Watch(w) = f.action {
                self.release(w);
            }
            self.complete(f.sink, Err(e.clone()));
        }
        while let Some(w) = self.auth_waiters.pop_front() {
            if let Some(s) = w {
                self.complete(s, Err(e.clone()));
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        self.rstart = 0;
        self.rend = 0;
    }

    fn fail_queued(&mut self, phase: Phase, e: &Error) {
        let queued = {
            let mut s = self.shared.submissions.lock();
            s.phase = phase;
            std::mem::take(&mut s.queue)
        };
        for out in queued {
            if let Action::Watch(w) = out.action {
                self.release(w);
            }
            self.complete(out.sink, Err(e.clone()));
        }
    }

    fn connection_lost(&mut self, reason: String) {
        debug!("connection lost: {reason}");
        let e = Error::ConnectionLoss(reason);
        self.fail_in_flight(&e);
        self.shared.submissions.lock().phase = Phase::Connecting;
        self.shared.status.lock().last_error = Some(e);
        self.set_state(State::Connecting);
        self.notify_events();
    }

    fn session_expired(&mut self) {
        info!("session 0x{:x} expired; starting a new session", self.session_id);
        let e = Error::SessionExpired;
        self.fail_in_flight(&e);
        self.fail_queued(Phase::Lost, &e);
        let chroot = self.shared.chroot.clone();
        self.watches.terminate_all(EventType::SessionExpired, |p| chroot.to_user(p), &mut self.deliveries);
        self.deliver();
        self.session_id = 0;
        self.password = vec![0; 16];
        self.last_zxid = 0;
        self.session_is_global = true;
        {
            let mut st = self.shared.status.lock();
            st.session_id = 0;
            st.password = vec![0; 16];
            st.last_error = Some(e);
        }
        self.set_state(State::Expired);
        self.notify_events();
    }

    fn auth_failed(&mut self, e: Error) {
        warn!("{e}; the client stops connecting");
        self.fail_in_flight(&e);
        self.fail_queued(Phase::AuthFailed, &e);
        self.shared.status.lock().last_error = Some(e);
        self.set_state(State::AuthFailed);
        self.notify_events();
    }

    fn finish(&mut self) {
        self.fail_in_flight(&Error::Closing);
        self.fail_queued(Phase::Closed, &Error::Closing);
        let chroot = self.shared.chroot.clone();
        self.watches.terminate_all(EventType::ClientClosed, |p| chroot.to_user(p), &mut self.deliveries);
        self.deliver();
        self.set_state(State::Closed);
        self.jobs.push(Job::Stop);
        self.notify_events();
    }

    fn set_state(&mut self, state: State) {
        let (seq, ev) = {
            let mut st = self.shared.status.lock();
            if st.state == state {
                return;
            }
            let previous = st.kazoo;
            st.state = state;
            st.kazoo = state.kazoo(previous);
            // Numbered before anyone can see the new state: a listener added once `start` returned
            // is not called for the CONNECTED that `start` waited for.
            let seq = self.shared.events.next_state_seq();
            (seq, crate::state::StateEvent { state, kazoo_state: st.kazoo, previous_kazoo_state: previous })
        };
        // Queued before anyone waiting for this state wakes up: when `start` returns, the CONNECTED
        // event is already waiting for the dispatcher (poll mode users rely on that).
        self.jobs.push(Job::State(seq, ev));
        self.notify_events();
        self.shared.status_changed.notify_all();
    }
}

/// Servers before 3.9 cannot remove or check persistent watches by type and answer with a marshalling
/// error. The client side is then authoritative: the watch is gone here, and the server's leftover only
/// produces events nobody listens to, until the next reconnect forgets it.
fn tolerate_old_server(kind: WatcherType, err: i32) -> i32 {
    let persistent = matches!(kind, WatcherType::Persistent | WatcherType::PersistentRecursive);
    if persistent && err == crate::error::codes::MARSHALLING_ERROR {
        debug!("the server cannot remove persistent watches by type; removed on the client only");
        0
    } else {
        err
    }
}

fn auth_frame(scheme: &str, credentials: &[u8]) -> Vec<u8> {
    let mut f = proto::start_frame(xid::AUTH, op::AUTH, scheme.len() + credentials.len() + 12);
    f.put_i32(0);
    f.put_str(scheme);
    f.put_buffer(Some(credentials));
    proto::patch_length(&mut f);
    f
}

/// An I/O error as a reason; a timeout of the blocking handshake reads as one.
fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => "timed out".into(),
        _ => e.to_string(),
    }
}

fn pollfd(fd: i32, events: i16) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

fn poll_fds(fds: &mut [libc::pollfd], wait: Duration) {
    // ppoll: a wait shorter than a millisecond (the read pace) is kept, not rounded.
    let secs = wait.as_secs().min(i32::MAX as u64);
    let ts = libc::timespec { tv_sec: secs as libc::time_t, tv_nsec: wait.subsec_nanos() as libc::c_long };
    // SAFETY: `fds` is a valid array of `fds.len()` pollfds; no signal mask is passed.
    let rc = unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, &ts, std::ptr::null()) };
    if rc < 0 {
        for f in fds.iter_mut() {
            f.revents = 0;
        }
    }
}

/// While connected to a read-only server: asks the other servers, now and then, whether they are
/// read-write (`isro` answers `rw`). The probe runs on a short-lived thread so the session never stalls.
struct ReadWriteProbe {
    interval: Duration,
    next: Instant,
    running: Option<mpsc::Receiver<Option<(HostPort, SocketAddr)>>>,
}

impl ReadWriteProbe {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(60);

    fn new() -> Self {
        ReadWriteProbe { interval: Self::FIRST, next: Instant::now() + Self::FIRST, running: None }
    }

    fn next_check(&self) -> Instant {
        if self.running.is_some() {
            Instant::now() + Duration::from_millis(50)
        } else {
            self.next
        }
    }

    fn poll(&mut self, hosts: &[HostPort], current: &HostPort, shared: &Arc<Shared>) -> Option<(HostPort, SocketAddr)> {
        if let Some(rx) = &self.running {
            match rx.try_recv() {
                Ok(found) => {
                    self.running = None;
                    if found.is_some() {
                        return found;
                    }
                }
                Err(mpsc::TryRecvError::Empty) => return None,
                Err(mpsc::TryRecvError::Disconnected) => self.running = None,
            }
        }
        if Instant::now() < self.next {
            return None;
        }
        self.next = Instant::now() + self.interval;
        self.interval = (self.interval * 2).min(Self::MAX);
        let others: Vec<HostPort> = hosts.iter().filter(|h| *h != current).cloned().collect();
        if others.is_empty() {
            return None;
        }
        let (tx, rx) = mpsc::channel();
        let shared = shared.clone();
        let spawned = std::thread::Builder::new().name("zkrs-rw-probe".into()).spawn(move || {
            let found = others.iter().find_map(|h| {
                let reply =
                    crate::fourlw::command_to(h, "isro", Duration::from_millis(500), shared.tls.as_ref()).ok()?;
                if reply.trim() == "rw" {
                    use std::net::ToSocketAddrs;
                    let addr = (h.host.as_str(), h.port).to_socket_addrs().ok()?.next()?;
                    Some((h.clone(), addr))
                } else {
                    None
                }
            });
            let _ = tx.send(found);
            shared.wake();
        });
        if spawned.is_ok() {
            self.running = Some(rx);
        }
        None
    }
}
