//! Watches: `zkrs_watcher` (a one-shot watch given to the read calls), `zkrs_watch` (a persistent watch
//! handle), removing and checking watches, `zkrs_watch_event`, event and state numbers.

use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::future::{make_future, zkrs_future, Value};
use super::ops::zkrs_void_fn;
use super::{code_of, fail, fail_with, finish, out_arg, str_arg, to_cstring, UserData, EMPTY};
use crate::client::WatchId;
use crate::error::{codes, Error};
use crate::watch::{AddWatchMode, EventType, PersistentWatcher, WatchedEvent, Watcher, WatcherType};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

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
/// every case, after `fn` if `fn` ran, also when the watch is never set: when the call is refused
/// before anything is sent (NULL argument, invalid path, closed client), before the call returns; when
/// the server's answer leaves the watch unset (the node does not exist for get_data/get_children, or
/// the request failed), on the client's event thread (or inside `zkrs_client_dispatch`), possibly after
/// a sync call returned. The struct itself is copied during the call.
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
pub(crate) unsafe fn watcher_arg(w: *const zkrs_watcher) -> Result<Option<WatchCtx>, zkrs_rc> {
    let Some(w) = w.as_ref() else { return Ok(None) };
    let ctx = WatchCtx::new(w.r#fn, w.userdata, w.free_userdata);
    if w.r#fn.is_none() {
        drop(ctx);
        return Err(fail(codes::NULL_ARGUMENT, "argument `watch->fn` is NULL"));
    }
    Ok(Some(ctx))
}

// ---- persistent watches and watch removal ---------------------------------------------------------

/// `zkrs_client_add_watch` mode: events on the node itself (created, deleted, data and children changed).
pub const ZKRS_ADD_WATCH_PERSISTENT: i32 = 0;
/// `zkrs_client_add_watch` mode: events on the node and every node below it (no children-changed events).
pub const ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE: i32 = 1;

/// Watch kind for `zkrs_client_remove_watches` / `zkrs_client_check_watches`: child watches.
pub const ZKRS_WATCHER_CHILDREN: i32 = 1;
/// Watch kind: data and exists watches.
pub const ZKRS_WATCHER_DATA: i32 = 2;
/// Watch kind: every kind.
pub const ZKRS_WATCHER_ANY: i32 = 3;
/// Watch kind: persistent watches.
pub const ZKRS_WATCHER_PERSISTENT: i32 = 4;
/// Watch kind: persistent-recursive watches.
pub const ZKRS_WATCHER_PERSISTENT_RECURSIVE: i32 = 5;

/// A persistent watch added by `zkrs_client_add_watch`: remove it with `zkrs_watch_remove`, release the
/// handle with `zkrs_watch_free`. The handle may outlive its client (calls then return
/// `ZKRS_RC_CLOSED`).
pub struct zkrs_watch {
    client: Arc<Handle>,
    id: WatchId,
}

fn add_watch_mode(mode: i32) -> Result<AddWatchMode, i32> {
    match mode {
        ZKRS_ADD_WATCH_PERSISTENT => Ok(AddWatchMode::Persistent),
        ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE => Ok(AddWatchMode::PersistentRecursive),
        m => Err(fail_with(&Error::BadArguments(format!("unknown add_watch mode {m} (ZKRS_ADD_WATCH_*)")))),
    }
}

pub(crate) fn watcher_type(kind: i32) -> Result<WatcherType, i32> {
    Ok(match kind {
        ZKRS_WATCHER_CHILDREN => WatcherType::Children,
        ZKRS_WATCHER_DATA => WatcherType::Data,
        ZKRS_WATCHER_ANY => WatcherType::Any,
        ZKRS_WATCHER_PERSISTENT => WatcherType::Persistent,
        ZKRS_WATCHER_PERSISTENT_RECURSIVE => WatcherType::PersistentRecursive,
        k => return Err(fail_with(&Error::BadArguments(format!("unknown watch kind {k} (ZKRS_WATCHER_*)")))),
    })
}

/// The arguments of an add_watch call. The watcher context is taken over first, so every error
/// return releases the userdata.
struct AddWatch<'a> {
    client: &'a zkrs_client,
    path: &'a str,
    mode: AddWatchMode,
    watcher: PersistentWatcher,
}

unsafe fn add_watch_args<'a>(
    c: *mut zkrs_client,
    path: *const c_char,
    mode: i32,
    f: zkrs_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> Result<AddWatch<'a>, i32> {
    let ctx = WatchCtx::new(f, userdata, free_userdata);
    if f.is_none() {
        return Err(fail(codes::NULL_ARGUMENT, "argument `fn` is NULL"));
    }
    let client = client_arg(c)?;
    let path = str_arg(path, "path")?;
    let mode = add_watch_mode(mode)?;
    Ok(AddWatch { client, path, mode, watcher: Arc::new(move |ev: WatchedEvent| ctx.fire(&ev)) })
}

unsafe fn write_watch(out: *mut *mut zkrs_watch, client: &zkrs_client, id: WatchId) {
    if !out.is_null() {
        *out = Box::into_raw(Box::new(zkrs_watch { client: client.share(), id }));
    }
}

/// Adds a persistent watch on `path` (ZooKeeper 3.6+): `fn` runs for every event (`mode`
/// `ZKRS_ADD_WATCH_PERSISTENT`: the node's creation, deletion, data and children changes;
/// `ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE`: also every node below it, without children changes) on the
/// client's event thread, until the watch ends with a terminal event (`ZKRS_EVENT_PERSISTENT_WATCH_REMOVED`,
/// `ZKRS_EVENT_SESSION_EXPIRED` or `ZKRS_EVENT_CLIENT_CLOSED`). The node need not exist. It survives
/// reconnections. `free_userdata` (may be NULL) runs exactly once, after the last call of `fn`, also
/// when this function fails. If `watch_out` is not NULL it receives a handle for `zkrs_watch_remove`
/// (release it with `zkrs_watch_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_add_watch(
    c: *mut zkrs_client,
    path: *const c_char,
    mode: i32,
    r#fn: zkrs_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    watch_out: *mut *mut zkrs_watch,
) -> zkrs_rc {
    ffi_guard! {
        let a = try_arg!(add_watch_args(c, path, mode, r#fn, userdata, free_userdata));
        let w = a.watcher;
        finish(a.client.client.add_watch(a.path, a.mode, move |ev| w(ev)), |id| {
            write_watch(watch_out, a.client, id);
        })
    }
}

/// Async `zkrs_client_add_watch`: `*watch_out` (may be NULL) is written at once, the watch is active once
/// `cb` ran with `ZKRS_RC_OK`. `cb` runs exactly once, on the client's event thread (or inside
/// `zkrs_client_dispatch`), with `cb_userdata`. If this returns an error, neither `cb` nor `fn` runs and
/// `free_userdata` runs once.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zkrs_client_add_watch_async(
    c: *mut zkrs_client,
    path: *const c_char,
    mode: i32,
    r#fn: zkrs_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    cb: zkrs_void_fn,
    cb_userdata: *mut c_void,
    watch_out: *mut *mut zkrs_watch,
) -> zkrs_rc {
    ffi_guard! {
        let a = try_arg!(add_watch_args(c, path, mode, r#fn, userdata, free_userdata));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(cb_userdata);
        let r = a.client.client.add_watch_async(a.path, a.mode, a.watcher, move |r| {
            let ud = ud;
            match r {
                Ok(_) => cb(ud.0, codes::OK, EMPTY.as_ptr()),
                Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr()),
            }
        });
        finish(r, |id| {
            write_watch(watch_out, a.client, id);
        })
    }
}

/// `zkrs_client_add_watch_async` returning a future in `*out` (read it with `zkrs_future_get`);
/// `*watch_out` (may be NULL) is written at once.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zkrs_client_add_watch_future(
    c: *mut zkrs_client,
    path: *const c_char,
    mode: i32,
    r#fn: zkrs_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    watch_out: *mut *mut zkrs_watch,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let a = try_arg!(add_watch_args(c, path, mode, r#fn, userdata, free_userdata));
        let out = try_arg!(out_arg(out, "out"));
        let mut id = None;
        let rc = make_future(a.client.share(), out, |done| {
            id = Some(a.client.client.add_watch_async(a.path, a.mode, a.watcher, move |r| {
                done(r.map(|_| Value::Unit))
            })?);
            Ok(())
        });
        if let Some(id) = id {
            write_watch(watch_out, a.client, id);
        }
        rc
    }
}

/// Removes the persistent watch: its callback runs once more with `ZKRS_EVENT_PERSISTENT_WATCH_REMOVED`,
/// then its `free_userdata`. The watch is gone locally at once; the server is told too (waits for its
/// answer). `ZKRS_RC_NO_WATCHER` if it already ended; `ZKRS_RC_CLOSED` after the client was closed
/// (closing ended the watch). The handle stays valid until `zkrs_watch_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_watch_remove(w: *mut zkrs_watch) -> zkrs_rc {
    ffi_guard! {
        let w = try_arg!(super::ref_arg(w as *const zkrs_watch, "w"));
        try_arg!(w.client.usable());
        code_of(w.client.client.remove_watch(w.id))
    }
}

/// Releases the handle. NULL does nothing. It does not remove the watch (that would need the server):
/// the watch goes on until `zkrs_watch_remove`, `zkrs_client_remove_watches`, session expiry or close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_watch_free(w: *mut zkrs_watch) {
    ffi_guard! {
        if !w.is_null() {
            drop(Box::from_raw(w));
        }
    }
}

/// Removes every watch of `kind` (`ZKRS_WATCHER_*`) on `path` set by this client; each gets its
/// terminal event (`ZKRS_EVENT_DATA_WATCH_REMOVED`, `ZKRS_EVENT_CHILD_WATCH_REMOVED` or
/// `ZKRS_EVENT_PERSISTENT_WATCH_REMOVED`). With `local`, only on this client (works while disconnected);
/// otherwise the server removes them too. `ZKRS_RC_NO_WATCHER` if there is none.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_remove_watches(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    local: bool,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        code_of(c.client.remove_watches(path, kind, local))
    }
}

/// Async `zkrs_client_remove_watches`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_remove_watches_async(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    local: bool,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        code_of(c.client.remove_watches_async(path, kind, local, move |r| {
            let ud = ud;
            void_done(cb, ud, r)
        }))
    }
}

/// `zkrs_client_remove_watches_async` returning a future in `*out` (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_remove_watches_future(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    local: bool,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.remove_watches_async(path, kind, local, move |r| done(r.map(|()| Value::Unit)))
        })
    }
}

/// Checks that this client has watches of `kind` (`ZKRS_WATCHER_*`) on `path` and that the server knows
/// them, without removing anything: `ZKRS_RC_OK`, or `ZKRS_RC_NO_WATCHER`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_check_watches(c: *mut zkrs_client, path: *const c_char, kind: i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        code_of(c.client.check_watches(path, kind))
    }
}

/// Async `zkrs_client_check_watches`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_check_watches_async(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        code_of(c.client.check_watches_async(path, kind, move |r| {
            let ud = ud;
            void_done(cb, ud, r)
        }))
    }
}

/// `zkrs_client_check_watches_async` returning a future in `*out` (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_check_watches_future(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let kind = try_arg!(watcher_type(kind));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.check_watches_async(path, kind, move |r| done(r.map(|()| Value::Unit)))
        })
    }
}

unsafe fn void_done(
    cb: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    ud: UserData,
    r: crate::error::Result<()>,
) {
    match r {
        Ok(()) => cb(ud.0, codes::OK, EMPTY.as_ptr()),
        Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr()),
    }
}
