//! Watches: `zkrs_watcher` (a one-shot watch given to the read calls), `zkrs_watch_event`, event and
//! state numbers.

use super::{fail, to_cstring, UserData};
use crate::error::codes;
use crate::watch::{EventType, WatchedEvent, Watcher};
use std::ffi::{c_char, c_void};

/// Watch event: the node was created.
pub const ZKRS_EVENT_NODE_CREATED: i32 = 1;
/// Watch event: the node was deleted.
pub const ZKRS_EVENT_NODE_DELETED: i32 = 2;
/// Watch event: the node's data changed.
pub const ZKRS_EVENT_NODE_DATA_CHANGED: i32 = 3;
/// Watch event: the node's children changed.
pub const ZKRS_EVENT_NODE_CHILDREN_CHANGED: i32 = 4;
/// Terminal watch event: the data or exists watch was removed (remove_watches).
pub const ZKRS_EVENT_DATA_WATCH_REMOVED: i32 = 5;
/// Terminal watch event: the child watch was removed (remove_watches).
pub const ZKRS_EVENT_CHILD_WATCH_REMOVED: i32 = 6;
/// Terminal watch event: the persistent watch was removed.
pub const ZKRS_EVENT_PERSISTENT_WATCH_REMOVED: i32 = 7;
/// Terminal watch event (zkrs): the session expired, the watch is gone.
pub const ZKRS_EVENT_SESSION_EXPIRED: i32 = 100;
/// Terminal watch event (zkrs): the client was closed, the watch is gone.
pub const ZKRS_EVENT_CLIENT_CLOSED: i32 = 101;

/// Server-level state: not connected, trying to connect.
pub const ZKRS_STATE_CONNECTING: i32 = 1;
/// Server-level state: connected to a read-write server.
pub const ZKRS_STATE_CONNECTED: i32 = 3;
/// Server-level state: connected to a read-only server (config `read_only`).
pub const ZKRS_STATE_CONNECTED_READ_ONLY: i32 = 5;
/// Server-level state: the server refused the credentials; the client stopped connecting.
pub const ZKRS_STATE_AUTH_FAILED: i32 = -113;
/// Server-level state: the session expired; the client is starting a new one.
pub const ZKRS_STATE_EXPIRED: i32 = -112;
/// Server-level state: the client was closed.
pub const ZKRS_STATE_CLOSED: i32 = 7;

/// kazoo's state: no session.
pub const ZKRS_KAZOO_STATE_LOST: i32 = 0;
/// kazoo's state: connection lost, the session may still be alive.
pub const ZKRS_KAZOO_STATE_SUSPENDED: i32 = 1;
/// kazoo's state: connected.
pub const ZKRS_KAZOO_STATE_CONNECTED: i32 = 2;

/// A watch event, passed to a `zkrs_watch_fn`. Borrowed: valid only during the callback.
#[repr(C)]
pub struct zkrs_watch_event {
    /// `ZKRS_EVENT_*`: ZooKeeper's event numbers (1-7) or a zkrs terminal event (100, 101).
    pub r#type: i32,
    /// `ZKRS_STATE_*` the event implies: `ZKRS_STATE_CONNECTED` for events from the server,
    /// `ZKRS_STATE_EXPIRED` for `ZKRS_EVENT_SESSION_EXPIRED`, `ZKRS_STATE_CLOSED` for
    /// `ZKRS_EVENT_CLIENT_CLOSED`.
    pub state: i32,
    /// The node's path, relative to the client's chroot. NUL-terminated UTF-8.
    pub path: *const c_char,
}

/// Releases the userdata of a long-lived registration; called exactly once, after the last callback.
pub type zkrs_free_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A watch callback. `event` is borrowed: valid only during the call. Runs on the client's event thread
/// (or inside `zkrs_client_dispatch` in poll mode).
pub type zkrs_watch_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const zkrs_watch_event)>;

/// A one-shot watch for `zkrs_client_get_data`, `zkrs_client_exists` and `zkrs_client_get_children`:
/// `fn` runs exactly once if the watch was set — with the node event or with a terminal event (watch
/// removed, session expired, client closed). `free_userdata` (may be NULL) is called exactly once in
/// every case, after `fn` if `fn` ran: also when the watch is never set (the node does not exist for
/// get_data/get_children, the request failed, or the call itself returned an error — then before the
/// call returns). The struct itself is copied during the call.
#[repr(C)]
pub struct zkrs_watcher {
    /// The callback (required).
    pub r#fn: zkrs_watch_fn,
    /// Passed to `fn` and `free_userdata`.
    pub userdata: *mut c_void,
    /// Releases `userdata` (may be NULL).
    pub free_userdata: zkrs_free_fn,
}

/// The C watcher inside the core: calls `free_userdata` when dropped, wherever that happens.
pub(crate) struct WatchCtx {
    f: zkrs_watch_fn,
    ud: UserData,
    free: zkrs_free_fn,
}

impl Drop for WatchCtx {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller gave this function for this userdata.
            unsafe { free(self.ud.0) }
        }
    }
}

pub(crate) fn event_state(t: EventType) -> i32 {
    match t {
        EventType::SessionExpired => ZKRS_STATE_EXPIRED,
        EventType::ClientClosed => ZKRS_STATE_CLOSED,
        _ => ZKRS_STATE_CONNECTED,
    }
}

impl WatchCtx {
    pub(crate) fn new(f: zkrs_watch_fn, userdata: *mut c_void, free: zkrs_free_fn) -> WatchCtx {
        WatchCtx { f, ud: UserData(userdata), free }
    }

    pub(crate) fn fire(&self, ev: &WatchedEvent) {
        let path = to_cstring(&ev.path);
        let e =
            zkrs_watch_event { r#type: ev.event_type as i32, state: event_state(ev.event_type), path: path.as_ptr() };
        if let Some(f) = self.f {
            // SAFETY: a C callback given for this userdata; the event outlives the call.
            unsafe { f(self.ud.0, &e) }
        }
    }

    pub(crate) fn into_watcher(self) -> Watcher {
        Box::new(move |ev: WatchedEvent| {
            self.fire(&ev);
            drop(self);
        })
    }
}

/// Reads an optional `const zkrs_watcher *`. From here on `free_userdata` is owned by zkrs: an error
/// returned here has already called it.
pub(crate) unsafe fn watcher_arg(w: *const zkrs_watcher) -> Result<Option<WatchCtx>, i32> {
    let Some(w) = w.as_ref() else { return Ok(None) };
    let ctx = WatchCtx::new(w.r#fn, w.userdata, w.free_userdata);
    if w.r#fn.is_none() {
        drop(ctx);
        return Err(fail(codes::NULL_ARGUMENT, "argument `watch->fn` is NULL"));
    }
    Ok(Some(ctx))
}
