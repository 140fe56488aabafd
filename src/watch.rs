//! Watches: the events the server sends, the kinds of watches, and the client's registry that routes
//! events to watchers and answers every one-shot registration exactly once.

use std::collections::HashMap;
use std::sync::Arc;

/// The type of a watch event. 1–7 are ZooKeeper's numbers; 100 and up are zkrs's terminal events,
/// sent to watchers that will never fire otherwise.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The node was created.
    NodeCreated = 1,
    /// The node was deleted.
    NodeDeleted = 2,
    /// The node's data changed.
    NodeDataChanged = 3,
    /// A child was created or deleted.
    NodeChildrenChanged = 4,
    /// The data/exists watch was removed by `remove_watches`.
    DataWatchRemoved = 5,
    /// The child watch was removed by `remove_watches`.
    ChildWatchRemoved = 6,
    /// The persistent watch was removed.
    PersistentWatchRemoved = 7,
    /// The session expired; the watch is gone.
    SessionExpired = 100,
    /// The client was closed; the watch is gone.
    ClientClosed = 101,
}

impl EventType {
    pub(crate) fn from_wire(v: i32) -> Option<EventType> {
        Some(match v {
            1 => EventType::NodeCreated,
            2 => EventType::NodeDeleted,
            3 => EventType::NodeDataChanged,
            4 => EventType::NodeChildrenChanged,
            5 => EventType::DataWatchRemoved,
            6 => EventType::ChildWatchRemoved,
            7 => EventType::PersistentWatchRemoved,
            _ => return None,
        })
    }

    /// Whether this event ends the watch without a node change.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            EventType::DataWatchRemoved
                | EventType::ChildWatchRemoved
                | EventType::PersistentWatchRemoved
                | EventType::SessionExpired
                | EventType::ClientClosed
        )
    }
}

/// A watch event as a watcher sees it; `path` is relative to the chroot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    /// What happened.
    pub event_type: EventType,
    /// The node it happened to, relative to the chroot.
    pub path: String,
}

/// A one-shot watcher: called exactly once, with the node event or a terminal event.
pub type Watcher = Box<dyn FnOnce(WatchedEvent) + Send>;

/// A persistent watcher: called for every event until removed, then once with a terminal event.
pub type PersistentWatcher = Arc<dyn Fn(WatchedEvent) + Send + Sync>;

/// The kinds of watches `remove_watches` and `check_watches` select (`Watcher.WatcherType`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatcherType {
    /// Child watches.
    Children = 1,
    /// Data and exists watches.
    Data = 2,
    /// Every kind.
    Any = 3,
    /// Persistent watches.
    Persistent = 4,
    /// Persistent-recursive watches.
    PersistentRecursive = 5,
}

/// The mode of `add_watch`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddWatchMode {
    /// Events on the node itself (data, children, deletion).
    Persistent = 0,
    /// Events on the node and on every descendant (no child-change events).
    PersistentRecursive = 1,
}

/// Which table a one-shot registration goes to once the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OneShotKind {
    /// Set by `get_data`: armed when the node exists.
    Data,
    /// Set by `exists`: a data watch when the node exists, an exist watch when it does not.
    Exists,
    /// Set by `get_children`.
    Child,
}

/// A watch waiting for its request's reply, to be armed or released.
pub(crate) enum PendingWatch {
    OneShot { kind: OneShotKind, path: String, watcher: Watcher },
    Persistent { mode: AddWatchMode, path: String, id: u64, watcher: PersistentWatcher },
}

/// What the registry hands back for delivery: a watcher and its event.
pub(crate) enum Delivery {
    OneShot(Watcher, WatchedEvent),
    Persistent(PersistentWatcher, WatchedEvent),
}

/// The one-shot watchers of one path. Almost every path has exactly one, which is kept inline so a
/// watch costs no list allocation (SPEC 4 counts bytes per watch).
enum Watchers {
    One(Watcher),
    Many(Vec<Watcher>),
}

impl Watchers {
    fn push(&mut self, w: Watcher) {
        *self = match std::mem::replace(self, Watchers::Many(Vec::new())) {
            Watchers::One(first) => Watchers::Many(vec![first, w]),
            Watchers::Many(mut v) => {
                v.push(w);
                Watchers::Many(v)
            }
        };
    }

    fn into_vec(self) -> Vec<Watcher> {
        match self {
            Watchers::One(w) => vec![w],
            Watchers::Many(v) => v,
        }
    }
}

/// One-shot watchers by server path (a boxed `str` key: 8 bytes less per watch than a `String`).
#[derive(Default)]
struct OneShotTable(HashMap<Box<str>, Watchers>);

impl OneShotTable {
    fn push(&mut self, path: String, w: Watcher) {
        match self.0.get_mut(path.as_str()) {
            Some(ws) => ws.push(w),
            None => {
                self.0.insert(path.into_boxed_str(), Watchers::One(w));
            }
        }
    }

    fn take(&mut self, path: &str) -> Vec<Watcher> {
        self.0.remove(path).map(Watchers::into_vec).unwrap_or_default()
    }

    fn has(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }

    fn drain(&mut self) -> impl Iterator<Item = (Box<str>, Vec<Watcher>)> + '_ {
        self.0.drain().map(|(p, ws)| (p, ws.into_vec()))
    }

    fn paths(&self) -> Vec<String> {
        self.0.keys().map(|p| p.to_string()).collect()
    }
}

/// The client side of every armed watch, keyed by server path. Owned by the I/O thread.
#[derive(Default)]
pub(crate) struct WatchRegistry {
    data: OneShotTable,
    exist: OneShotTable,
    child: OneShotTable,
    persistent: HashMap<String, Vec<(u64, PersistentWatcher)>>,
    recursive: HashMap<String, Vec<(u64, PersistentWatcher)>>,
}

fn ancestors_and_self(path: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(path);
    std::iter::from_fn(move || {
        let cur = next?;
        next = if cur == "/" {
            None
        } else {
            match cur.rfind('/') {
                Some(0) => Some("/"),
                Some(i) => Some(&cur[..i]),
                None => None,
            }
        };
        Some(cur)
    })
}

impl WatchRegistry {
    /// Arms `w` if the reply code says the server armed it; else returns it (to be released).
    pub fn arm(&mut self, w: PendingWatch, err: i32) -> Option<PendingWatch> {
        use crate::error::codes::{NO_NODE, OK};
        match w {
            PendingWatch::OneShot { kind, path, watcher } => {
                let table = match (kind, err) {
                    (OneShotKind::Data, OK) | (OneShotKind::Exists, OK) => &mut self.data,
                    (OneShotKind::Exists, NO_NODE) => &mut self.exist,
                    (OneShotKind::Child, OK) => &mut self.child,
                    _ => return Some(PendingWatch::OneShot { kind, path, watcher }),
                };
                table.push(path, watcher);
                None
            }
            PendingWatch::Persistent { mode, path, id, watcher } => {
                if err != OK {
                    return Some(PendingWatch::Persistent { mode, path, id, watcher });
                }
                let table = match mode {
                    AddWatchMode::Persistent => &mut self.persistent,
                    AddWatchMode::PersistentRecursive => &mut self.recursive,
                };
                table.entry(path).or_default().push((id, watcher));
                None
            }
        }
    }

    /// The persistent watches a one-shot registration about to be armed overrides on the server.
    /// Servers before 3.9 keep one mode per session and path in each of their data and child watch
    /// tables, so the one-shot turns them into one-shots there (ZOOKEEPER-4466); sending their
    /// addWatch again restores them, and a persistent mode also serves the one-shot's events.
    pub fn overridden_by(&self, w: &PendingWatch, err: i32) -> Vec<(String, AddWatchMode)> {
        use crate::error::codes::{NO_NODE, OK};
        let PendingWatch::OneShot { kind, path, .. } = w else { return Vec::new() };
        let data_table = match (kind, err) {
            (OneShotKind::Data, OK) | (OneShotKind::Exists, OK) | (OneShotKind::Exists, NO_NODE) => true,
            (OneShotKind::Child, OK) => false,
            _ => return Vec::new(),
        };
        let mut modes = Vec::new();
        if self.persistent.get(path).is_some_and(|v| !v.is_empty()) {
            modes.push((path.clone(), AddWatchMode::Persistent));
        }
        // A child one-shot leaves a recursive watch alone. (A persistent and a recursive watch on the
        // same path cannot both work on those servers whatever the client does.)
        if data_table && self.recursive.get(path).is_some_and(|v| !v.is_empty()) {
            modes.push((path.clone(), AddWatchMode::PersistentRecursive));
        }
        modes
    }

    /// Routes a server event to the watchers it triggers; one-shot watchers leave the registry.
    /// `user_path` is the event's path as watchers see it.
    pub fn route(&mut self, event_type: EventType, server_path: &str, user_path: &str, out: &mut Vec<Delivery>) {
        let event = || WatchedEvent { event_type, path: user_path.to_string() };
        let mut take = |table: &mut OneShotTable| {
            for w in table.take(server_path) {
                out.push(Delivery::OneShot(w, event()));
            }
        };
        match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                take(&mut self.data);
                take(&mut self.exist);
            }
            EventType::NodeDeleted => {
                take(&mut self.data);
                take(&mut self.exist);
                take(&mut self.child);
            }
            EventType::NodeChildrenChanged => take(&mut self.child),
            _ => {}
        }
        if let Some(ws) = self.persistent.get(server_path) {
            for (_, w) in ws {
                out.push(Delivery::Persistent(w.clone(), event()));
            }
        }
        if event_type != EventType::NodeChildrenChanged && !self.recursive.is_empty() {
            for p in ancestors_and_self(server_path) {
                if let Some(ws) = self.recursive.get(p) {
                    for (_, w) in ws {
                        out.push(Delivery::Persistent(w.clone(), event()));
                    }
                }
            }
        }
    }

    /// Whether any watch of `kind` is armed on `path` (for `remove_watches`' local check).
    pub fn has(&self, path: &str, kind: WatcherType) -> bool {
        let has = |t: &OneShotTable| t.has(path);
        let hasp = |t: &HashMap<String, Vec<(u64, PersistentWatcher)>>| t.get(path).is_some_and(|v| !v.is_empty());
        match kind {
            WatcherType::Children => has(&self.child),
            WatcherType::Data => has(&self.data) || has(&self.exist),
            WatcherType::Persistent => hasp(&self.persistent),
            WatcherType::PersistentRecursive => hasp(&self.recursive),
            WatcherType::Any => {
                has(&self.child)
                    || has(&self.data)
                    || has(&self.exist)
                    || hasp(&self.persistent)
                    || hasp(&self.recursive)
            }
        }
    }

    /// Removes every watch of `kind` on `path`, each answered with its removal event.
    pub fn remove(&mut self, path: &str, user_path: &str, kind: WatcherType, out: &mut Vec<Delivery>) {
        let ev = |t| WatchedEvent { event_type: t, path: user_path.to_string() };
        let mut take = |table: &mut OneShotTable, t| {
            for w in table.take(path) {
                out.push(Delivery::OneShot(w, ev(t)));
            }
        };
        if matches!(kind, WatcherType::Children | WatcherType::Any) {
            take(&mut self.child, EventType::ChildWatchRemoved);
        }
        if matches!(kind, WatcherType::Data | WatcherType::Any) {
            take(&mut self.data, EventType::DataWatchRemoved);
            take(&mut self.exist, EventType::DataWatchRemoved);
        }
        let mut takep = |table: &mut HashMap<String, Vec<(u64, PersistentWatcher)>>| {
            for (_, w) in table.remove(path).unwrap_or_default() {
                out.push(Delivery::Persistent(w, ev(EventType::PersistentWatchRemoved)));
            }
        };
        if matches!(kind, WatcherType::Persistent | WatcherType::Any) {
            takep(&mut self.persistent);
        }
        if matches!(kind, WatcherType::PersistentRecursive | WatcherType::Any) {
            takep(&mut self.recursive);
        }
    }

    /// Removes one persistent watcher by id. Returns its path and mode, and whether it was the last
    /// of that mode on the path (then the server-side watch should be removed too).
    pub fn remove_persistent(
        &mut self,
        id: u64,
        user_path_of: impl Fn(&str) -> String,
        out: &mut Vec<Delivery>,
    ) -> Option<(String, AddWatchMode, bool)> {
        for (mode, table) in
            [(AddWatchMode::Persistent, &mut self.persistent), (AddWatchMode::PersistentRecursive, &mut self.recursive)]
        {
            let found =
                table.iter().find_map(|(p, v)| v.iter().position(|(i, _)| *i == id).map(|pos| (p.clone(), pos)));
            if let Some((path, pos)) = found {
                let list = table.get_mut(&path).expect("path just found");
                let (_, w) = list.remove(pos);
                let last = list.is_empty();
                if last {
                    table.remove(&path);
                }
                out.push(Delivery::Persistent(
                    w,
                    WatchedEvent { event_type: EventType::PersistentWatchRemoved, path: user_path_of(&path) },
                ));
                return Some((path, mode, last));
            }
        }
        None
    }

    /// Ends every watch with a terminal event (session expired, client closed).
    pub fn terminate_all(
        &mut self,
        event_type: EventType,
        user_path_of: impl Fn(&str) -> String,
        out: &mut Vec<Delivery>,
    ) {
        for table in [&mut self.data, &mut self.exist, &mut self.child] {
            for (path, ws) in table.drain() {
                for w in ws {
                    out.push(Delivery::OneShot(w, WatchedEvent { event_type, path: user_path_of(&path) }));
                }
            }
        }
        for table in [&mut self.persistent, &mut self.recursive] {
            for (path, ws) in table.drain() {
                for (_, w) in ws {
                    out.push(Delivery::Persistent(w, WatchedEvent { event_type, path: user_path_of(&path) }));
                }
            }
        }
    }

    /// The paths to re-register after a reconnect.
    pub fn paths(&self) -> crate::proto::WatchPaths {
        let keys = OneShotTable::paths;
        let keysp = |t: &HashMap<String, Vec<(u64, PersistentWatcher)>>| t.keys().cloned().collect();
        crate::proto::WatchPaths {
            data: keys(&self.data),
            exist: keys(&self.exist),
            child: keys(&self.child),
            persistent: keysp(&self.persistent),
            persistent_recursive: keysp(&self.recursive),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors() {
        assert_eq!(ancestors_and_self("/a/b").collect::<Vec<_>>(), vec!["/a/b", "/a", "/"]);
        assert_eq!(ancestors_and_self("/").collect::<Vec<_>>(), vec!["/"]);
    }

    #[test]
    fn routing_follows_zookeeper_rules() {
        let mut r = WatchRegistry::default();
        let noop = || -> Watcher { Box::new(|_| {}) };
        assert!(r
            .arm(PendingWatch::OneShot { kind: OneShotKind::Data, path: "/a".into(), watcher: noop() }, 0)
            .is_none());
        assert!(r
            .arm(PendingWatch::OneShot { kind: OneShotKind::Child, path: "/a".into(), watcher: noop() }, 0)
            .is_none());
        assert!(r
            .arm(PendingWatch::OneShot { kind: OneShotKind::Exists, path: "/b".into(), watcher: noop() }, -101)
            .is_none());
        // get_data on a missing node arms nothing
        assert!(r
            .arm(PendingWatch::OneShot { kind: OneShotKind::Data, path: "/c".into(), watcher: noop() }, -101)
            .is_some());
        let rec: PersistentWatcher = Arc::new(|_| {});
        r.arm(
            PendingWatch::Persistent { mode: AddWatchMode::PersistentRecursive, path: "/".into(), id: 1, watcher: rec },
            0,
        );
        let mut out = Vec::new();
        r.route(EventType::NodeChildrenChanged, "/a", "/a", &mut out);
        assert_eq!(out.len(), 1, "child watch only; recursive watches get no child events");
        out.clear();
        r.route(EventType::NodeDataChanged, "/a", "/a", &mut out);
        assert_eq!(out.len(), 2, "data watch + recursive on /");
        out.clear();
        r.route(EventType::NodeDataChanged, "/a", "/a", &mut out);
        assert_eq!(out.len(), 1, "one-shot is gone");
        out.clear();
        r.route(EventType::NodeCreated, "/b", "/b", &mut out);
        assert_eq!(out.len(), 2);
        out.clear();
        r.terminate_all(EventType::ClientClosed, |p| p.to_string(), &mut out);
        assert_eq!(out.len(), 1);
        assert!(r.paths().is_empty());
    }

    #[test]
    fn several_watchers_on_one_path_each_fire_once() {
        let mut r = WatchRegistry::default();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for _ in 0..3 {
            let c = count.clone();
            let w: Watcher = Box::new(move |_| {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
            r.arm(PendingWatch::OneShot { kind: OneShotKind::Data, path: "/a".into(), watcher: w }, 0);
        }
        assert!(r.has("/a", WatcherType::Data));
        assert_eq!(r.paths().data, vec!["/a".to_string()]);
        let mut out = Vec::new();
        r.route(EventType::NodeDataChanged, "/a", "/a", &mut out);
        r.route(EventType::NodeDataChanged, "/a", "/a", &mut out);
        assert_eq!(out.len(), 3);
        for d in out {
            if let Delivery::OneShot(w, ev) = d {
                w(ev);
            }
        }
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert!(!r.has("/a", WatcherType::Data));
    }
}
