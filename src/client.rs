//! The client: the public API over a session. Every operation has a sync form (completed straight from
//! the I/O thread, so it is safe inside any callback) and an async form whose callback runs on the
//! dispatcher (the event thread, or `dispatch`).

use crate::acl::Acl;
use crate::config::{Config, DispatchMode};
use crate::error::{Error, Result};
use crate::future::ZkFuture;
use crate::hosts::{ConnectString, HostPort};
use crate::ops::{self, check_ttl, ClientInfo, CreateMode, CreateOptions, Created, Decode, Request};
use crate::path::{validate_path, Chroot};
use crate::session::{self, Outgoing, Shared, Sink, SyncSlot};
use crate::stat::Stat;
use crate::state::{KazooState, State, StateEvent};
use crate::txn::{self, OpResult, ReadOp, ReadResult, Transaction};
use crate::watch::{AddWatchMode, PersistentWatcher, Watcher, WatcherType};
use parking_lot::Mutex;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

static NEXT_CLIENT_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_WATCH_ID: AtomicU64 = AtomicU64::new(1);

/// A handle to a persistent watch, for [`Client::remove_watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchId(pub u64);

/// A handle to a state listener, for [`Client::remove_state_listener`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(pub u64);

/// A ZooKeeper client. Cheap to clone; all clones share one session. Close it with [`Client::close`]
/// (dropping the last clone closes it too).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    threads: Mutex<Threads>,
}

#[derive(Default)]
struct Threads {
    started: bool,
    io: Option<JoinHandle<()>>,
    event: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = close(&self.shared, &self.threads);
    }
}

impl Client {
    /// Creates a client from `config`. It does not connect until [`Client::start`].
    pub fn new(config: Config) -> Result<Client> {
        let cs = ConnectString::parse(&config.hosts)?;
        let chroot = Chroot::new(&cs.chroot)?;
        if let Some(level) = config.log_level {
            crate::log::set_max_level(level);
        }
        let id = NEXT_CLIENT_ID.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared::new(id, config, chroot, cs.hosts)?);
        Ok(Client { inner: Arc::new(Inner { shared, threads: Mutex::new(Threads::default()) }) })
    }

    /// Creates a client for `hosts`, starts it and waits up to 15 s for the connection.
    pub fn connect(hosts: &str) -> Result<Client> {
        let c = Client::new(Config::new(hosts))?;
        c.start(Duration::from_secs(15))?;
        Ok(c)
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Starts the I/O thread (and the event thread in thread mode) and waits up to `timeout` until the
    /// client is connected. On timeout the client keeps trying in the background.
    pub fn start(&self, timeout: Duration) -> Result<()> {
        {
            let mut t = self.inner.threads.lock();
            if self.shared().submissions.lock().closing {
                return Err(Error::Closed);
            }
            if !t.started {
                t.started = true;
                let spawn_err = |e: std::io::Error| Error::Server {
                    code: crate::error::codes::SYSTEM_ERROR,
                    path: format!("cannot start a thread: {e}"),
                };
                let io_shared = self.inner.shared.clone();
                t.io = Some(
                    std::thread::Builder::new()
                        .name("zkrs-io".into())
                        .spawn(move || session::io::run(io_shared))
                        .map_err(spawn_err)?,
                );
                if self.shared().config.dispatch == DispatchMode::Thread {
                    let ev_shared = self.inner.shared.clone();
                    t.event = Some(
                        std::thread::Builder::new()
                            .name("zkrs-event".into())
                            .spawn(move || ev_shared.events.run_thread())
                            .map_err(spawn_err)?,
                    );
                }
            }
        }
        self.shared().wait_connected(timeout)
    }

    /// Closes the session (the server deletes its ephemeral nodes), fails every pending request with
    /// `Closing`, ends every watch with a `ClientClosed` event, and returns once no callback of this
    /// client will run again. Safe to call from a callback and more than once.
    pub fn close(&self) -> Result<()> {
        close(&self.inner.shared, &self.inner.threads)
    }

    /// The server-level connection state.
    pub fn state(&self) -> State {
        self.shared().status.lock().state
    }

    /// kazoo's connection state.
    pub fn kazoo_state(&self) -> KazooState {
        self.shared().status.lock().kazoo
    }

    /// The session id (0 before the first session).
    pub fn session_id(&self) -> i64 {
        self.shared().status.lock().session_id
    }

    /// The session id and password, to resume this session elsewhere (config `client_id`).
    pub fn client_id(&self) -> (i64, Vec<u8>) {
        let st = self.shared().status.lock();
        (st.session_id, st.password.clone())
    }

    /// The session timeout the server granted, in ms (0 before the first connection).
    pub fn negotiated_timeout_ms(&self) -> i32 {
        self.shared().status.lock().negotiated_timeout_ms
    }

    /// The server this client is (or was last) connected to.
    pub fn current_server(&self) -> Option<String> {
        self.shared().status.lock().server.as_ref().map(HostPort::to_string)
    }

    /// The chroot of this client (`""` if none).
    pub fn chroot(&self) -> &str {
        self.shared().chroot.prefix()
    }

    /// Calls `listener` on every state change from now on, on the dispatcher (never on the I/O thread).
    /// Changes that happened before, even if their events are still queued, are not told to it.
    pub fn add_state_listener(&self, listener: impl Fn(&StateEvent) + Send + Sync + 'static) -> ListenerId {
        let id = NEXT_WATCH_ID.fetch_add(1, Ordering::Relaxed);
        self.shared().events.add_listener(id, Arc::new(listener));
        ListenerId(id)
    }

    /// Removes a state listener; `false` if it was not registered.
    pub fn remove_state_listener(&self, id: ListenerId) -> bool {
        self.shared().events.remove_listener(id.0)
    }

    /// In poll dispatch mode: runs waiting callbacks on this thread, waiting up to `timeout` for the
    /// first. Returns how many ran; `Closed` once the client is closed and nothing is left.
    pub fn dispatch(&self, timeout: Duration) -> Result<usize> {
        if self.shared().config.dispatch != DispatchMode::Poll {
            return Err(Error::BadArguments("dispatch needs the poll dispatch mode".into()));
        }
        self.shared().events.dispatch(timeout)
    }

    /// In poll dispatch mode: an eventfd that is readable while callbacks wait for [`Client::dispatch`].
    pub fn event_fd(&self) -> Option<RawFd> {
        self.shared().events.poll_fd()
    }

    /// Whether the current thread is running a callback of this client (then waiting for another
    /// callback of it would never end).
    pub(crate) fn in_callback(&self) -> bool {
        crate::dispatch::is_dispatching(self.shared().id)
    }

    /// Whether the current thread may block until a callback of this client has run: callbacks run on
    /// the event thread, and this is not it.
    pub(crate) fn can_wait_for_callbacks(&self) -> bool {
        self.shared().config.dispatch == DispatchMode::Thread && !self.in_callback()
    }

    /// Changes the hosts used from the next connection on. The chroot cannot change.
    pub fn set_hosts(&self, hosts: &str) -> Result<()> {
        let cs = ConnectString::parse(hosts)?;
        if cs.chroot != self.shared().chroot.prefix() {
            return Err(Error::BadArguments("set_hosts cannot change the chroot".into()));
        }
        *self.shared().hosts.lock() = cs.hosts;
        self.shared().hosts_changed.store(true, Ordering::Release);
        Ok(())
    }

    // ---- plumbing -------------------------------------------------------------------------------

    fn server_path(&self, path: &str, sequential: bool) -> Result<String> {
        validate_path(path, sequential)?;
        Ok(self.shared().chroot.to_server(path))
    }

    fn check_data(&self, data: &[u8]) -> Result<()> {
        let max = self.max_data();
        if data.len() > max {
            return Err(Error::DataTooLarge { len: data.len(), max });
        }
        Ok(())
    }

    /// Credentials are re-sent after every reconnect, so ones the server cannot take must never be kept.
    fn check_auth(&self, scheme: &str, credentials: &[u8]) -> Result<()> {
        if scheme.is_empty() {
            return Err(Error::BadArguments("empty auth scheme".into()));
        }
        self.check_data(credentials)
    }

    fn max_data(&self) -> usize {
        self.shared().config.max_frame_bytes - 1024
    }

    fn call<D: Decode>(&self, req: Request<D>) -> Result<D::Output> {
        let slot = Arc::new(SyncSlot::default());
        self.shared().submit(Outgoing {
            frame: req.frame,
            action: req.action,
            sink: Sink::Sync(slot.clone()),
            queued_at: None,
        })?;
        let reply = slot.wait()?;
        req.decoder.decode(reply, &self.shared().chroot)
    }

    fn call_async<D: Decode>(
        &self,
        req: Request<D>,
        cb: impl FnOnce(Result<D::Output>) + Send + 'static,
    ) -> Result<()> {
        let shared = self.inner.shared.clone();
        let decoder = req.decoder;
        let sink = Sink::Async(Box::new(move |r| cb(r.and_then(|reply| decoder.decode(reply, &shared.chroot)))));
        self.shared().submit(Outgoing { frame: req.frame, action: req.action, sink, queued_at: None })
    }

    fn create_request(&self, path: &str, data: &[u8], opts: &CreateOptions) -> Result<Request<ops::CreateDecode>> {
        let p = self.server_path(path, opts.mode.is_sequential())?;
        self.check_data(data)?;
        let ttl = check_ttl(opts.mode, opts.ttl_ms)?;
        let acl = opts.acl.as_deref().unwrap_or(&self.shared().config.default_acl);
        Ok(ops::create(p, data, acl, opts.mode, ttl))
    }

    // ---- operations ---------------------------------------------------------------------------

    /// Creates a node. With `opts.makepath`, missing parents are created first (as persistent nodes).
    pub fn create(&self, path: &str, data: &[u8], opts: &CreateOptions) -> Result<Created> {
        let req = self.create_request(path, data, opts)?;
        match self.call(req) {
            Err(Error::NoNode(_)) if opts.makepath => {
                if let Some(parent) = parent_of(path) {
                    self.ensure_path(parent)?;
                }
                self.call(self.create_request(path, data, opts)?)
            }
            other => other,
        }
    }

    /// Async [`Client::create`]; `makepath` is done with sync calls on the dispatcher before the callback.
    pub fn create_async(
        &self,
        path: &str,
        data: &[u8],
        opts: &CreateOptions,
        cb: impl FnOnce(Result<Created>) + Send + 'static,
    ) -> Result<()> {
        let req = self.create_request(path, data, opts)?;
        if !opts.makepath {
            return self.call_async(req, cb);
        }
        let (client, path, data, opts) = (self.clone(), path.to_string(), data.to_vec(), opts.clone());
        self.call_async(req, move |r| match r {
            Err(Error::NoNode(_)) => cb(client.create(&path, &data, &opts)),
            other => cb(other),
        })
    }

    /// Creates `path` and any missing parents; succeeds if it exists already.
    pub fn ensure_path(&self, path: &str) -> Result<()> {
        validate_path(path, false)?;
        if path == "/" {
            return Ok(());
        }
        let opts = CreateOptions::default();
        match self.call(self.create_request(path, b"", &opts)?) {
            Ok(_) | Err(Error::NodeExists(_)) => Ok(()),
            Err(Error::NoNode(_)) => {
                if let Some(parent) = parent_of(path) {
                    self.ensure_path(parent)?;
                }
                match self.call(self.create_request(path, b"", &opts)?) {
                    Ok(_) | Err(Error::NodeExists(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Async [`Client::ensure_path`]; missing parents are created with sync calls on the dispatcher.
    pub fn ensure_path_async(&self, path: &str, cb: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        validate_path(path, false)?;
        if path == "/" {
            // Still answered through the session, so the callback keeps its once-on-the-dispatcher rule.
            return self.call_async(ops::exists(self.shared().chroot.to_server(path), None), move |r| cb(r.map(drop)));
        }
        let client = self.clone();
        let owned = path.to_string();
        self.call_async(self.create_request(path, b"", &CreateOptions::default())?, move |r| match r {
            Ok(_) | Err(Error::NodeExists(_)) => cb(Ok(())),
            Err(Error::NoNode(_)) => cb(client.ensure_path(&owned)),
            Err(e) => cb(Err(e)),
        })
    }

    /// The node's stat, or `None` if it does not exist. `watch` fires on its creation, deletion or
    /// data change.
    pub fn exists(&self, path: &str, watch: Option<Watcher>) -> Result<Option<Stat>> {
        self.call(ops::exists(self.server_path(path, false)?, watch))
    }

    /// Async [`Client::exists`].
    pub fn exists_async(
        &self,
        path: &str,
        watch: Option<Watcher>,
        cb: impl FnOnce(Result<Option<Stat>>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::exists(self.server_path(path, false)?, watch), cb)
    }

    /// The node's data and stat. `watch` fires on its deletion or data change.
    pub fn get_data(&self, path: &str, watch: Option<Watcher>) -> Result<(Vec<u8>, Stat)> {
        self.call(ops::get_data(self.server_path(path, false)?, watch))
    }

    /// Async [`Client::get_data`].
    pub fn get_data_async(
        &self,
        path: &str,
        watch: Option<Watcher>,
        cb: impl FnOnce(Result<(Vec<u8>, Stat)>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::get_data(self.server_path(path, false)?, watch), cb)
    }

    /// Replaces the node's data if its version is `version` (-1: any).
    pub fn set_data(&self, path: &str, data: &[u8], version: i32) -> Result<Stat> {
        self.check_data(data)?;
        self.call(ops::set_data(self.server_path(path, false)?, data, version))
    }

    /// Async [`Client::set_data`].
    pub fn set_data_async(
        &self,
        path: &str,
        data: &[u8],
        version: i32,
        cb: impl FnOnce(Result<Stat>) + Send + 'static,
    ) -> Result<()> {
        self.check_data(data)?;
        self.call_async(ops::set_data(self.server_path(path, false)?, data, version), cb)
    }

    /// Deletes the node if its version is `version` (-1: any).
    pub fn delete(&self, path: &str, version: i32) -> Result<()> {
        self.call(ops::delete(self.server_path(path, false)?, version))
    }

    /// Async [`Client::delete`].
    pub fn delete_async(&self, path: &str, version: i32, cb: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        self.call_async(ops::delete(self.server_path(path, false)?, version), cb)
    }

    /// Deletes the node and everything under it (kazoo's `delete(recursive=True)`). Nodes that vanish
    /// meanwhile are fine; a missing `path` is `NoNode`.
    pub fn delete_recursive(&self, path: &str) -> Result<()> {
        validate_path(path, false)?;
        let (children, _) = self.get_children(path, None)?;
        for c in children {
            let child = if path == "/" { format!("/{c}") } else { format!("{path}/{c}") };
            match self.delete_recursive(&child) {
                Ok(()) | Err(Error::NoNode(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if path == "/" {
            return Ok(());
        }
        match self.delete(path, -1) {
            Err(Error::NotEmpty(_)) => self.delete_recursive(path),
            other => other,
        }
    }

    /// Async [`Client::delete_recursive`]: the children are listed asynchronously, the rest is done with
    /// sync calls on the dispatcher before the callback.
    pub fn delete_recursive_async(&self, path: &str, cb: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        let client = self.clone();
        let owned = path.to_string();
        self.call_async(ops::get_children(self.server_path(path, false)?, None), move |r| match r {
            Ok(_) => cb(client.delete_recursive(&owned)),
            Err(e) => cb(Err(e)),
        })
    }

    /// The node's children (names, unsorted) and stat. `watch` fires on a child change or the node's
    /// deletion.
    pub fn get_children(&self, path: &str, watch: Option<Watcher>) -> Result<(Vec<String>, Stat)> {
        self.call(ops::get_children(self.server_path(path, false)?, watch))
    }

    /// Async [`Client::get_children`].
    pub fn get_children_async(
        &self,
        path: &str,
        watch: Option<Watcher>,
        cb: impl FnOnce(Result<(Vec<String>, Stat)>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::get_children(self.server_path(path, false)?, watch), cb)
    }

    /// The node's ACL and stat.
    pub fn get_acl(&self, path: &str) -> Result<(Vec<Acl>, Stat)> {
        self.call(ops::get_acl(self.server_path(path, false)?))
    }

    /// Async [`Client::get_acl`].
    pub fn get_acl_async(&self, path: &str, cb: impl FnOnce(Result<(Vec<Acl>, Stat)>) + Send + 'static) -> Result<()> {
        self.call_async(ops::get_acl(self.server_path(path, false)?), cb)
    }

    /// Replaces the node's ACL if its ACL version is `version` (-1: any).
    pub fn set_acl(&self, path: &str, acl: &[Acl], version: i32) -> Result<Stat> {
        self.call(ops::set_acl(self.server_path(path, false)?, acl, version))
    }

    /// Async [`Client::set_acl`].
    pub fn set_acl_async(
        &self,
        path: &str,
        acl: &[Acl],
        version: i32,
        cb: impl FnOnce(Result<Stat>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::set_acl(self.server_path(path, false)?, acl, version), cb)
    }

    /// Waits until the server this client talks to has caught up with the leader for `path`.
    pub fn sync(&self, path: &str) -> Result<String> {
        self.call(ops::sync(self.server_path(path, false)?))
    }

    /// Async [`Client::sync`].
    pub fn sync_async(&self, path: &str, cb: impl FnOnce(Result<String>) + Send + 'static) -> Result<()> {
        self.call_async(ops::sync(self.server_path(path, false)?), cb)
    }

    /// Starts a transaction; add ops to it, then [`Client::commit`] it.
    pub fn transaction(&self) -> Transaction {
        Transaction {
            chroot: self.shared().chroot.clone(),
            default_acl: self.shared().config.default_acl.clone(),
            max_data: self.max_data(),
            ..Transaction::default()
        }
    }

    fn multi_request(&self, txn: Transaction) -> Result<Request<txn::MultiDecode>> {
        if let Some(e) = txn.error {
            return Err(e);
        }
        Ok(txn::multi(txn.ops))
    }

    /// Applies every op of `txn` or none. The results say per op what happened; when the transaction
    /// failed, one result is `Failed` with the reason and the others `RolledBack`.
    pub fn commit(&self, txn: Transaction) -> Result<Vec<OpResult>> {
        if txn.error.is_none() && txn.ops.is_empty() {
            return Ok(Vec::new());
        }
        self.call(self.multi_request(txn)?)
    }

    /// Async [`Client::commit`].
    pub fn commit_async(
        &self,
        txn: Transaction,
        cb: impl FnOnce(Result<Vec<OpResult>>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(self.multi_request(txn)?, cb)
    }

    fn multi_read_request(&self, reads: &[ReadOp]) -> Result<Request<txn::MultiReadDecode>> {
        let mut paths = Vec::with_capacity(reads.len());
        for r in reads {
            paths.push(match r {
                ReadOp::GetChildren(p) => (true, self.server_path(p, false)?),
                ReadOp::GetData(p) => (false, self.server_path(p, false)?),
            });
        }
        Ok(txn::multi_read(paths))
    }

    /// Several reads in one round trip, each with its own result.
    pub fn multi_read(&self, reads: &[ReadOp]) -> Result<Vec<ReadResult>> {
        self.call(self.multi_read_request(reads)?)
    }

    /// Async [`Client::multi_read`].
    pub fn multi_read_async(
        &self,
        reads: &[ReadOp],
        cb: impl FnOnce(Result<Vec<ReadResult>>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(self.multi_read_request(reads)?, cb)
    }

    /// The ephemeral nodes of this session whose paths start with `prefix` (`/` for all).
    pub fn get_ephemerals(&self, prefix: &str) -> Result<Vec<String>> {
        validate_path(prefix, false)?;
        self.call(ops::get_ephemerals(self.shared().chroot.to_server(prefix)))
    }

    /// Async [`Client::get_ephemerals`].
    pub fn get_ephemerals_async(
        &self,
        prefix: &str,
        cb: impl FnOnce(Result<Vec<String>>) + Send + 'static,
    ) -> Result<()> {
        validate_path(prefix, false)?;
        self.call_async(ops::get_ephemerals(self.shared().chroot.to_server(prefix)), cb)
    }

    /// The number of nodes under `path`, at any depth.
    pub fn get_all_children_number(&self, path: &str) -> Result<i32> {
        self.call(ops::get_all_children_number(self.server_path(path, false)?))
    }

    /// Async [`Client::get_all_children_number`].
    pub fn get_all_children_number_async(
        &self,
        path: &str,
        cb: impl FnOnce(Result<i32>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::get_all_children_number(self.server_path(path, false)?), cb)
    }

    fn add_watch_request(
        &self,
        path: &str,
        mode: AddWatchMode,
        watcher: PersistentWatcher,
    ) -> Result<(WatchId, Request<ops::UnitDecode>)> {
        let p = self.server_path(path, false)?;
        let id = NEXT_WATCH_ID.fetch_add(1, Ordering::Relaxed);
        Ok((WatchId(id), ops::add_watch(p, mode, id, watcher)))
    }

    /// Adds a persistent (or persistent-recursive) watch: `watcher` runs for every event until the watch
    /// is removed, then once more with `PersistentWatchRemoved` (or a session/close terminal event).
    pub fn add_watch(
        &self,
        path: &str,
        mode: AddWatchMode,
        watcher: impl Fn(crate::watch::WatchedEvent) + Send + Sync + 'static,
    ) -> Result<WatchId> {
        let (id, req) = self.add_watch_request(path, mode, Arc::new(watcher))?;
        self.call(req)?;
        Ok(id)
    }

    /// Async [`Client::add_watch`]. The id is returned at once; the watch is active once `cb` got `Ok`.
    pub fn add_watch_async(
        &self,
        path: &str,
        mode: AddWatchMode,
        watcher: PersistentWatcher,
        cb: impl FnOnce(Result<WatchId>) + Send + 'static,
    ) -> Result<WatchId> {
        let (id, req) = self.add_watch_request(path, mode, watcher)?;
        self.call_async(req, move |r| cb(r.map(|()| id)))?;
        Ok(id)
    }

    /// Removes one persistent watch added by [`Client::add_watch`].
    pub fn remove_watch(&self, id: WatchId) -> Result<()> {
        self.call(ops::remove_persistent(id.0))
    }

    /// Async [`Client::remove_watch`]: the watch is gone locally once the I/O thread takes the request
    /// (its removal event follows), the server is told after that.
    pub fn remove_watch_async(&self, id: WatchId, cb: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        self.call_async(ops::remove_persistent(id.0), cb)
    }

    /// Removes every watch of `kind` on `path` (each gets its removal event). `local`: only on this
    /// client, without asking the server. `NoWatcher` if there is none.
    pub fn remove_watches(&self, path: &str, kind: WatcherType, local: bool) -> Result<()> {
        self.call(ops::remove_watches(self.server_path(path, false)?, path.to_string(), kind, local, true))
    }

    /// Async [`Client::remove_watches`].
    pub fn remove_watches_async(
        &self,
        path: &str,
        kind: WatcherType,
        local: bool,
        cb: impl FnOnce(Result<()>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::remove_watches(self.server_path(path, false)?, path.to_string(), kind, local, true), cb)
    }

    /// Checks that watches of `kind` exist on `path`, on this client and on the server.
    pub fn check_watches(&self, path: &str, kind: WatcherType) -> Result<()> {
        self.call(ops::remove_watches(self.server_path(path, false)?, path.to_string(), kind, false, false))
    }

    /// Async [`Client::check_watches`].
    pub fn check_watches_async(
        &self,
        path: &str,
        kind: WatcherType,
        cb: impl FnOnce(Result<()>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::remove_watches(self.server_path(path, false)?, path.to_string(), kind, false, false), cb)
    }

    /// The ensemble's dynamic configuration (`/zookeeper/config`).
    pub fn get_config(&self, watch: Option<Watcher>) -> Result<(Vec<u8>, Stat)> {
        self.call(ops::get_config(watch))
    }

    /// Async [`Client::get_config`].
    pub fn get_config_async(
        &self,
        watch: Option<Watcher>,
        cb: impl FnOnce(Result<(Vec<u8>, Stat)>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::get_config(watch), cb)
    }

    /// Changes the ensemble's membership; `from_config` is the expected config version (-1: any).
    pub fn reconfig(
        &self,
        joining: Option<&str>,
        leaving: Option<&str>,
        new_members: Option<&str>,
        from_config: i64,
    ) -> Result<(Vec<u8>, Stat)> {
        self.call(ops::reconfig(joining, leaving, new_members, from_config))
    }

    /// Async [`Client::reconfig`].
    pub fn reconfig_async(
        &self,
        joining: Option<&str>,
        leaving: Option<&str>,
        new_members: Option<&str>,
        from_config: i64,
        cb: impl FnOnce(Result<(Vec<u8>, Stat)>) + Send + 'static,
    ) -> Result<()> {
        self.call_async(ops::reconfig(joining, leaving, new_members, from_config), cb)
    }

    /// Who the server thinks this session is.
    pub fn whoami(&self) -> Result<Vec<ClientInfo>> {
        self.call(ops::whoami())
    }

    /// Async [`Client::whoami`].
    pub fn whoami_async(&self, cb: impl FnOnce(Result<Vec<ClientInfo>>) + Send + 'static) -> Result<()> {
        self.call_async(ops::whoami(), cb)
    }

    /// Adds credentials to the session (`("digest", b"user:password")`); they are sent again after
    /// every reconnect. Refused credentials end the session with `AuthFailed`.
    pub fn add_auth(&self, scheme: &str, credentials: &[u8]) -> Result<()> {
        self.check_auth(scheme, credentials)?;
        self.call(ops::add_auth(scheme, credentials))
    }

    /// Async [`Client::add_auth`].
    pub fn add_auth_async(
        &self,
        scheme: &str,
        credentials: &[u8],
        cb: impl FnOnce(Result<()>) + Send + 'static,
    ) -> Result<()> {
        self.check_auth(scheme, credentials)?;
        self.call_async(ops::add_auth(scheme, credentials), cb)
    }

    /// Sends a four-letter-word command (`ruok`, `srvr`, `stat`, `envi`, ...) to the current server.
    pub fn command(&self, cmd: &str) -> Result<String> {
        if cmd.len() != 4 || !cmd.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(Error::BadArguments(format!("{cmd:?} is not a four-letter word")));
        }
        let server = self
            .shared()
            .status
            .lock()
            .server
            .clone()
            .ok_or_else(|| Error::ConnectionLoss("not connected to any server".into()))?;
        let timeout = self.shared().config.session_timeout.min(Duration::from_secs(10));
        crate::fourlw::command_to(&server, cmd, timeout, self.shared().tls.as_ref())
            .map_err(|e| Error::ConnectionLoss(format!("{cmd} to {server}: {e}")))
    }

    /// The current server's version, from `envi` (`3.8.0-...`).
    pub fn server_version(&self) -> Result<String> {
        let envi = self.command("envi")?;
        envi.lines()
            .find_map(|l| l.strip_prefix("zookeeper.version="))
            .map(|v| v.split(['-', ',']).next().unwrap_or(v).trim().to_string())
            .ok_or_else(|| Error::Marshalling("no zookeeper.version in the envi reply".into()))
    }

    /// Turns any `_async` call into a future:
    /// `zk.future(|cb| zk.get_data_async("/a", None, cb))`.
    pub fn future<T: Send + 'static>(
        &self,
        start: impl FnOnce(Box<dyn FnOnce(Result<T>) + Send>) -> Result<()>,
    ) -> Result<ZkFuture<T>> {
        let f = ZkFuture::new(self.inner.shared.clone());
        start(Box::new(f.completer()))?;
        Ok(f)
    }

    /// Runs `f` under `policy` (kazoo's `client.retry`).
    pub fn retry<T>(&self, policy: &crate::retry::RetryPolicy, f: impl FnMut() -> Result<T>) -> Result<T> {
        let shared = self.inner.shared.clone();
        let closed = move || shared.submissions.lock().closing;
        policy.run_with(&closed, &mut crate::retry::RealSleeper, f)
    }

    /// The create modes that need the extended types of the server, for callers that want to check.
    pub fn needs_extended_types(mode: CreateMode) -> bool {
        mode.is_ttl()
    }
}

fn parent_of(path: &str) -> Option<&str> {
    match path.rfind('/') {
        Some(0) if path.len() > 1 => Some("/"),
        Some(0) | None => None,
        Some(i) => Some(&path[..i]),
    }
}

fn close(shared: &Arc<Shared>, threads: &Mutex<Threads>) -> Result<()> {
    // A close from a callback cannot join the event thread it runs on: it leaves the handle for a close
    // from outside, which must not return before that callback (and what it drains) has finished.
    let on_event_thread = crate::dispatch::is_dispatching(shared.id);
    {
        let mut s = shared.submissions.lock();
        if s.closing && s.phase == session::Phase::Closed && threads.lock().io.is_none() {
            drop(s);
            let event = if on_event_thread { None } else { threads.lock().event.take() };
            if let Some(ev) = event {
                let _ = ev.join();
            }
            return Ok(());
        }
        s.closing = true;
    }
    shared.wake();
    let (io, event, started) = {
        let mut t = threads.lock();
        let event = if on_event_thread { None } else { t.event.take() };
        (t.io.take(), event, t.started)
    };
    if !started {
        // Never started: answer what was queued here, on the caller's thread.
        let queued = {
            let mut s = shared.submissions.lock();
            s.phase = session::Phase::Closed;
            std::mem::take(&mut s.queue)
        };
        for out in queued {
            match out.sink {
                Sink::Sync(slot) => slot.complete(Err(Error::Closing)),
                Sink::Async(f) => f(Err(Error::Closing)),
                Sink::Ignore => {}
            }
        }
        shared.status.lock().state = State::Closed;
        shared.status_changed.notify_all();
        return Ok(());
    }
    if let Some(io) = io {
        let _ = io.join();
    }
    match event {
        Some(ev) => {
            let _ = ev.join();
        }
        // Called from a callback (or in poll mode): run what is left here, now.
        None => shared.events.drain(),
    }
    Ok(())
}
