//! kazoo's TreeCache: an in-memory copy of a subtree (data, stat and children of every node), kept up
//! to date, with events for every change and for the connection.
//!
//! One persistent-recursive watch on the root (ZooKeeper 3.6+) reports every creation, deletion and
//! data change below it, instead of kazoo's two one-shot watches per node (2000 watches for a tree of
//! 1000 nodes). A created node is read (data, then children), a changed one re-read, a deleted one
//! dropped with its subtree. Replies and watch events reach the dispatcher in the order the server sent
//! them, so applying each as it comes keeps the copy consistent; a reply for a node no longer in the
//! tree is stale and ignored. The server does not replay what happened while the client was
//! disconnected: after every reconnection each cached node is read again, children that vanished are
//! removed, and after a session expiry the watch is added again first.
//!
//! Threads (SPEC 1.6): all of it, listeners included, runs on the client's dispatcher (its event
//! thread, or inside `Client::dispatch` in poll mode), one call at a time. Once `close` returned no
//! listener is called again.

use crate::client::{Client, ListenerId, WatchId};
use crate::error::{Error, Result};
use crate::path::validate_path;
use crate::recipe::watchers::Gate;
use crate::stat::Stat;
use crate::state::{KazooState, StateEvent};
use crate::watch::{AddWatchMode, EventType, PersistentWatcher, WatchedEvent};
use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// What a [`TreeEvent`] reports; the numbers are kazoo's `TreeEvent` constants.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreeEventType {
    /// A node entered the cache (at start, or created later).
    NodeAdded = 0,
    /// A cached node's data changed.
    NodeUpdated = 1,
    /// A node left the cache (deleted); the event carries its last data.
    NodeRemoved = 2,
    /// The connection was lost; the cache may be stale until it is back.
    ConnectionSuspended = 3,
    /// The connection is back (same or new session); the cache is being re-read.
    ConnectionReconnected = 4,
    /// The session was lost.
    ConnectionLost = 5,
    /// The whole tree has been read (once per session).
    Initialized = 6,
}

/// A cached node: path (relative to the client's chroot), data and stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeData {
    /// The node's path.
    pub path: String,
    /// Its data.
    pub data: Vec<u8>,
    /// Its stat.
    pub stat: Stat,
}

/// An event of a [`TreeCache`]: node events carry the node, connection events and `Initialized` none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEvent {
    /// What happened.
    pub event_type: TreeEventType,
    /// The node it happened to.
    pub data: Option<NodeData>,
}

/// A listener of tree events.
pub type TreeListener = Box<dyn FnMut(&TreeEvent) + Send>;
/// A listener of faults: errors the cache met reading the tree (e.g. `NoAuth` on a node).
pub type FaultListener = Box<dyn FnMut(&Error) + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Latent,
    Started,
    Closed,
}

/// A node of the copy; `data` is `None` until its first read answered.
#[derive(Default)]
struct Node {
    data: Option<NodeData>,
    children: BTreeSet<String>,
}

struct TreeState {
    phase: Phase,
    nodes: HashMap<String, Node>,
    /// Reads in flight; the first time they all answered in a session, `Initialized` is published.
    outstanding: usize,
    initialized: bool,
    synced_session: i64,
    watch: Option<WatchId>,
    watch_session: i64,
    listener: Option<ListenerId>,
}

#[derive(Default)]
struct Listeners {
    tree: Vec<TreeListener>,
    fault: Vec<FaultListener>,
}

struct Tree {
    client: Client,
    root: String,
    st: Mutex<TreeState>,
    /// Held while listeners run, so that `close` can wait for them.
    gate: Gate<()>,
    listeners: Mutex<Listeners>,
}

/// What one step of processing produced, published once the tree lock is released.
#[derive(Default)]
struct Outcome {
    events: Vec<TreeEvent>,
    faults: Vec<Error>,
}

/// kazoo's `TreeCache`: [`TreeCache::start`] it, [`TreeCache::listen`] for its events, read the copy
/// with [`TreeCache::get_data`] and [`TreeCache::get_children`]. Dropping it closes it.
pub struct TreeCache {
    tree: Arc<Tree>,
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn split_parent(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind('/')?;
    let name = &path[i + 1..];
    if name.is_empty() {
        return None;
    }
    Some((if i == 0 { "/" } else { &path[..i] }, name))
}

impl TreeCache {
    /// A cache of the subtree at `root` (relative to the client's chroot); nothing happens before
    /// [`TreeCache::start`].
    pub fn new(client: &Client, root: &str) -> Result<TreeCache> {
        validate_path(root, false)?;
        Ok(TreeCache {
            tree: Arc::new(Tree {
                client: client.clone(),
                root: root.to_string(),
                st: Mutex::new(TreeState {
                    phase: Phase::Latent,
                    nodes: HashMap::new(),
                    outstanding: 0,
                    initialized: false,
                    synced_session: 0,
                    watch: None,
                    watch_session: 0,
                    listener: None,
                }),
                gate: Gate::new(()),
                listeners: Mutex::new(Listeners::default()),
            }),
        })
    }

    /// Creates the root if missing (as kazoo does), watches it and reads the whole tree in the
    /// background: `NodeAdded` for every node, then `Initialized`. A cache starts once:
    /// `BadArguments` when started or closed already.
    pub fn start(&self) -> Result<()> {
        let t = &self.tree;
        {
            let mut st = t.st.lock();
            match st.phase {
                Phase::Latent => st.phase = Phase::Started,
                Phase::Started => return Err(Error::BadArguments("the tree cache is started already".into())),
                Phase::Closed => return Err(Error::BadArguments("the tree cache is closed".into())),
            }
        }
        let started = (|| {
            t.client.ensure_path(&t.root)?;
            let session = t.client.session_id();
            {
                let mut st = t.st.lock();
                st.watch_session = session;
                st.synced_session = session;
            }
            let weak = Arc::downgrade(t);
            let id = t.client.add_state_listener(move |ev| {
                if let Some(t) = weak.upgrade() {
                    t.on_state(ev);
                }
            });
            t.st.lock().listener = Some(id);
            let w = t.watcher();
            let watch = t.client.add_watch(&t.root, AddWatchMode::PersistentRecursive, move |ev| w(ev))?;
            let mut st = t.st.lock();
            if st.phase != Phase::Started {
                drop(st);
                let _ = t.client.remove_watch_async(watch, |_| {});
                return Ok(());
            }
            st.watch = Some(watch);
            if !st.nodes.contains_key(&t.root) {
                st.nodes.insert(t.root.clone(), Node::default());
                t.fetch(&mut st, &t.root, true);
            }
            Ok(())
        })();
        if started.is_err() {
            self.close();
        }
        started
    }

    /// Adds a listener of tree events. It runs on the client's dispatcher (see the module doc); a
    /// listener added from a listener sees the events from the next batch on.
    pub fn listen(&self, listener: impl FnMut(&TreeEvent) + Send + 'static) {
        if !self.tree.gate.is_stopped() {
            self.tree.listeners.lock().tree.push(Box::new(listener));
        }
    }

    /// Adds a listener of faults (errors reading the tree other than connection and session loss);
    /// without one, faults are logged.
    pub fn listen_fault(&self, listener: impl FnMut(&Error) + Send + 'static) {
        if !self.tree.gate.is_stopped() {
            self.tree.listeners.lock().fault.push(Box::new(listener));
        }
    }

    /// The cached node at `path`: `None` if the cache does not hold it. `BadArguments` for a path
    /// outside the cached tree.
    pub fn get_data(&self, path: &str) -> Result<Option<NodeData>> {
        self.tree.check_inside(path)?;
        Ok(self.tree.st.lock().nodes.get(path).and_then(|n| n.data.clone()))
    }

    /// The cached children of `path` (names, sorted): `None` if the cache does not hold the node.
    pub fn get_children(&self, path: &str) -> Result<Option<Vec<String>>> {
        self.tree.check_inside(path)?;
        let st = self.tree.st.lock();
        Ok(st.nodes.get(path).filter(|n| n.data.is_some()).map(|n| n.children.iter().cloned().collect()))
    }

    /// Stops the cache: the watch is removed (from the server too), the copy and the listeners are
    /// released, and once this returns no listener runs again (called from a listener, the running
    /// call is the last). It cannot be started again. Idempotent.
    pub fn close(&self) {
        let t = &self.tree;
        let (watch, listener) = {
            let mut st = t.st.lock();
            st.phase = Phase::Closed;
            st.nodes = HashMap::new();
            t.gate.mark_stopped();
            (st.watch.take(), st.listener.take())
        };
        t.gate.stop(&t.client);
        drop(std::mem::take(&mut *t.listeners.lock()));
        if let Some(l) = listener {
            t.client.remove_state_listener(l);
        }
        if let Some(id) = watch {
            let _ = t.client.remove_watch_async(id, |_| {});
        }
    }
}

impl Drop for TreeCache {
    fn drop(&mut self) {
        self.close();
    }
}

impl Tree {
    fn check_inside(&self, path: &str) -> Result<()> {
        validate_path(path, false)?;
        let inside = self.root == "/"
            || path == self.root
            || path.strip_prefix(self.root.as_str()).is_some_and(|rest| rest.starts_with('/'));
        if inside {
            Ok(())
        } else {
            Err(Error::BadArguments(format!("{path} is outside of the cached tree {}", self.root)))
        }
    }

    fn watcher(self: &Arc<Self>) -> PersistentWatcher {
        let t = self.clone();
        Arc::new(move |ev| t.on_event(ev))
    }

    /// Reads a node's data and (with `children`) its children. Under the tree lock: the replies
    /// come later, on the dispatcher.
    fn fetch(self: &Arc<Self>, st: &mut TreeState, path: &str, children: bool) {
        st.outstanding += 1;
        let (t, p) = (self.clone(), path.to_string());
        if self.client.get_data_async(path, None, move |r| t.on_data(&p, r)).is_err() {
            st.outstanding -= 1; // refused (session gone, client closed): the next resync reads it
        }
        if children {
            st.outstanding += 1;
            let (t, p) = (self.clone(), path.to_string());
            if self.client.get_children_async(path, None, move |r| t.on_children(&p, r)).is_err() {
                st.outstanding -= 1;
            }
        }
    }

    /// Runs one step under the tree lock, then publishes what it produced.
    fn step(self: &Arc<Self>, f: impl FnOnce(&mut TreeState, &mut Outcome)) {
        let mut out = Outcome::default();
        {
            let mut st = self.st.lock();
            if st.phase == Phase::Started {
                f(&mut st, &mut out);
                if st.outstanding == 0
                    && !st.initialized
                    && st.synced_session == self.client.session_id()
                    && self.client.kazoo_state() == KazooState::Connected
                {
                    st.initialized = true;
                    out.events.push(TreeEvent { event_type: TreeEventType::Initialized, data: None });
                }
            }
        }
        self.publish(out);
    }

    fn answered(st: &mut TreeState) {
        st.outstanding = st.outstanding.saturating_sub(1);
    }

    /// A read failed: gone nodes leave the tree; connection and session trouble waits for the resync.
    fn read_failed(&self, st: &mut TreeState, out: &mut Outcome, path: &str, e: Error) {
        match e {
            Error::NoNode(_) => self.remove(st, out, path),
            e if e.is_retriable() => {}
            Error::SessionExpired | Error::Closing | Error::Closed | Error::QueueFull(_) => {}
            e => out.faults.push(e),
        }
    }

    fn on_data(self: &Arc<Self>, path: &str, r: Result<(Vec<u8>, Stat)>) {
        self.step(|st, out| {
            Self::answered(st);
            match r {
                Ok((data, stat)) => {
                    let Some(node) = st.nodes.get_mut(path) else { return };
                    let event_type = match &node.data {
                        None => TreeEventType::NodeAdded,
                        Some(old) if old.stat.mzxid != stat.mzxid || old.stat.czxid != stat.czxid => {
                            TreeEventType::NodeUpdated
                        }
                        Some(_) => return,
                    };
                    let nd = NodeData { path: path.to_string(), data, stat };
                    node.data = Some(nd.clone());
                    out.events.push(TreeEvent { event_type, data: Some(nd) });
                }
                Err(e) => self.read_failed(st, out, path, e),
            }
        });
    }

    fn on_children(self: &Arc<Self>, path: &str, r: Result<(Vec<String>, Stat)>) {
        self.step(|st, out| {
            Self::answered(st);
            match r {
                Ok((names, _)) => {
                    let Some(node) = st.nodes.get_mut(path) else { return };
                    let now: BTreeSet<String> = names.into_iter().collect();
                    let gone: Vec<String> = node.children.difference(&now).cloned().collect();
                    let new: Vec<String> = now.difference(&node.children).cloned().collect();
                    node.children = now;
                    for name in gone {
                        self.remove(st, out, &child_path(path, &name));
                    }
                    for name in new {
                        let child = child_path(path, &name);
                        if !st.nodes.contains_key(&child) {
                            st.nodes.insert(child.clone(), Node::default());
                            self.fetch(st, &child, true);
                        }
                    }
                }
                Err(e) => self.read_failed(st, out, path, e),
            }
        });
    }

    /// Drops `path` and its subtree, deepest first, with `NodeRemoved` for every node that had data.
    fn remove(&self, st: &mut TreeState, out: &mut Outcome, path: &str) {
        let Some(node) = st.nodes.remove(path) else { return };
        for name in &node.children {
            self.remove(st, out, &child_path(path, name));
        }
        if let Some((parent, name)) = split_parent(path) {
            if let Some(p) = st.nodes.get_mut(parent) {
                p.children.remove(name);
            }
        }
        if let Some(nd) = node.data {
            out.events.push(TreeEvent { event_type: TreeEventType::NodeRemoved, data: Some(nd) });
        }
    }

    fn on_event(self: &Arc<Self>, ev: WatchedEvent) {
        let path = ev.path.as_str();
        match ev.event_type {
            EventType::NodeCreated => self.step(|st, _| {
                if path != self.root {
                    let Some((parent, name)) = split_parent(path) else { return };
                    let Some(p) = st.nodes.get_mut(parent) else { return }; // its parent's read lists it
                    p.children.insert(name.to_string());
                }
                let known = st.nodes.contains_key(path);
                if !known {
                    st.nodes.insert(path.to_string(), Node::default());
                }
                self.fetch(st, path, !known);
            }),
            EventType::NodeDeleted => self.step(|st, out| self.remove(st, out, path)),
            EventType::NodeDataChanged => self.step(|st, _| {
                if st.nodes.contains_key(path) {
                    self.fetch(st, path, false);
                }
            }),
            EventType::SessionExpired => {
                self.st.lock().watch_session = 0;
                self.resync();
            }
            // Someone removed this client's watches on the root: ours is still needed.
            EventType::PersistentWatchRemoved | EventType::DataWatchRemoved | EventType::ChildWatchRemoved => {
                self.st.lock().watch_session = 0;
                self.resync();
            }
            EventType::NodeChildrenChanged | EventType::ClientClosed => {}
        }
    }

    fn on_state(self: &Arc<Self>, ev: &StateEvent) {
        if !ev.kazoo_changed() {
            return;
        }
        let connection_event = match ev.kazoo_state {
            KazooState::Suspended => TreeEventType::ConnectionSuspended,
            KazooState::Lost => TreeEventType::ConnectionLost,
            KazooState::Connected => TreeEventType::ConnectionReconnected,
        };
        self.step(|st, out| {
            if ev.kazoo_state == KazooState::Lost {
                st.initialized = false;
            }
            out.events.push(TreeEvent { event_type: connection_event, data: None });
        });
        if ev.kazoo_state == KazooState::Connected {
            self.resync();
        }
    }

    /// After a reconnection: the watch again in a new session, then every cached node read again.
    fn resync(self: &Arc<Self>) {
        if self.client.kazoo_state() != KazooState::Connected {
            return; // the next CONNECTED comes back here
        }
        self.step(|st, _| {
            let session = self.client.session_id();
            if st.watch_session != session {
                st.watch_session = session;
                let r =
                    self.client.add_watch_async(&self.root, AddWatchMode::PersistentRecursive, self.watcher(), |r| {
                        if let Err(e) = r {
                            debug!("re-adding the tree cache's watch failed: {e}");
                        }
                    });
                match r {
                    Ok(id) => st.watch = Some(id),
                    Err(e) => debug!("re-adding the tree cache's watch failed: {e}"),
                }
            }
            st.synced_session = session;
            if !st.nodes.contains_key(&self.root) {
                st.nodes.insert(self.root.clone(), Node::default());
            }
            let mut paths: Vec<String> = st.nodes.keys().cloned().collect();
            paths.sort(); // parents before children: events come out in tree order
            for p in paths {
                self.fetch(st, &p, true);
            }
        });
    }

    fn publish(&self, out: Outcome) {
        if out.events.is_empty() && out.faults.is_empty() {
            return;
        }
        self.gate.call(|()| {
            let mut ls = std::mem::take(&mut *self.listeners.lock());
            for ev in &out.events {
                for l in ls.tree.iter_mut() {
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l(ev))).is_err() {
                        error!("a tree cache listener panicked");
                    }
                }
            }
            for e in &out.faults {
                if ls.fault.is_empty() {
                    warn!("tree cache of {}: {e}", self.root);
                }
                for l in ls.fault.iter_mut() {
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l(e))).is_err() {
                        error!("a tree cache fault listener panicked");
                    }
                }
            }
            if self.gate.is_stopped() {
                return; // closed by a listener: they are released here, after their last call
            }
            let mut cur = self.listeners.lock();
            ls.tree.append(&mut cur.tree);
            ls.fault.append(&mut cur.fault);
            *cur = ls;
        });
    }
}
