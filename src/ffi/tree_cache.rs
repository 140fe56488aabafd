//! kazoo's TreeCache for C: `zkrs_tree_cache`, `zkrs_tree_event`.

use super::buf::{zkrs_buf, zkrs_string_list};
use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::stat::{write_stat, zkrs_stat};
use super::watch::zkrs_free_fn;
use super::watchers::CallbackCtx;
use super::{fail, fail_with, finish, out_arg, ref_arg, str_arg, to_cstring};
use crate::error::{codes, Error};
use crate::recipe::{TreeCache, TreeEvent};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// Tree event: a node entered the cache.
pub const ZKRS_TREE_NODE_ADDED: i32 = 0;
/// Tree event: a cached node's data changed.
pub const ZKRS_TREE_NODE_UPDATED: i32 = 1;
/// Tree event: a node left the cache; the event carries its last data.
pub const ZKRS_TREE_NODE_REMOVED: i32 = 2;
/// Tree event: the connection was lost; the cache may be stale.
pub const ZKRS_TREE_CONNECTION_SUSPENDED: i32 = 3;
/// Tree event: the connection is back; the cache is being read again.
pub const ZKRS_TREE_CONNECTION_RECONNECTED: i32 = 4;
/// Tree event: the session was lost.
pub const ZKRS_TREE_CONNECTION_LOST: i32 = 5;
/// Tree event: the whole tree has been read (once per session).
pub const ZKRS_TREE_INITIALIZED: i32 = 6;

/// An event of a tree cache, borrowed for the duration of the listener call.
#[repr(C)]
pub struct zkrs_tree_event {
    /// `ZKRS_TREE_*`.
    pub r#type: i32,
    /// The node (relative to the client's chroot) for node events; NULL for connection events and
    /// `ZKRS_TREE_INITIALIZED`.
    pub path: *const c_char,
    /// The node's data (`len` bytes; NULL when `len` is 0 or there is no node).
    pub data: *const u8,
    /// The length of `data`.
    pub len: usize,
    /// The node's stat; NULL when there is no node.
    pub stat: *const zkrs_stat,
}

/// A tree event listener (`zkrs_tree_cache_listen`).
pub type zkrs_tree_event_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const zkrs_tree_event)>;

/// A fault listener (`zkrs_tree_cache_listen_fault`): an error reading the tree (other than
/// connection or session loss), e.g. `ZKRS_RC_NO_AUTH` for a node it may not read; `detail` is
/// borrowed for the call.
pub type zkrs_tree_fault_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char)>;

/// kazoo's TreeCache: an in-memory copy of the subtree at a path, kept up to date, with events.
/// Create with `zkrs_tree_cache_new`, add listeners, `zkrs_tree_cache_start`; read it with
/// `zkrs_tree_cache_get_data` / `zkrs_tree_cache_get_children` from any thread; stop it with
/// `zkrs_tree_cache_close`, release it with `zkrs_tree_cache_free`.
pub struct zkrs_tree_cache {
    client: Arc<Handle>,
    cache: TreeCache,
}

/// Creates a tree cache of `path` in `*out`; nothing happens before `zkrs_tree_cache_start`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_new(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_tree_cache,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        finish(TreeCache::new(&c.client, path), |cache| {
            *out = Box::into_raw(Box::new(zkrs_tree_cache { client: c.share(), cache }));
        })
    }
}

unsafe fn cache_arg<'a>(t: *const zkrs_tree_cache) -> Result<&'a zkrs_tree_cache, zkrs_rc> {
    let t = ref_arg(t, "t")?;
    t.client.usable()?;
    Ok(t)
}

/// Starts the cache: creates the root if missing, watches it and reads the tree in the background
/// (`ZKRS_TREE_NODE_ADDED` for every node, then `ZKRS_TREE_INITIALIZED`). Waits for the server (the
/// root's creation and its watch), not for the tree. A cache starts once: `ZKRS_RC_BAD_ARGUMENTS` when
/// started or closed already.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_start(t: *mut zkrs_tree_cache) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(cache_arg(t));
        finish(t.cache.start(), drop)
    }
}

/// Adds a listener of tree events. `fn` runs on the client's event thread (in poll mode inside
/// `zkrs_client_dispatch`), one call at a time, in the order of the changes; never after
/// `zkrs_tree_cache_close` / `zkrs_tree_cache_free` returned. `free_userdata` (may be NULL) runs
/// exactly once, after the last call: at close or free, or at once when this fails.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_listen(
    t: *mut zkrs_tree_cache,
    r#fn: zkrs_tree_event_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let ctx = CallbackCtx::new(userdata, free_userdata);
        let Some(f) = r#fn else { return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL") };
        let t = try_arg!(cache_arg(t));
        t.cache.listen(move |ev: &TreeEvent| {
            let ctx = &ctx;
            let path = ev.data.as_ref().map(|d| to_cstring(&d.path));
            let stat = ev.data.as_ref().map(|d| zkrs_stat::from(&d.stat));
            let (data, len) = ev.data.as_ref().map_or((std::ptr::null(), 0), |d| (d.data.as_ptr(), d.data.len()));
            let raw = zkrs_tree_event {
                r#type: ev.event_type as i32,
                path: path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
                data: if len == 0 { std::ptr::null() } else { data },
                len,
                stat: stat.as_ref().map_or(std::ptr::null(), |s| s as *const zkrs_stat),
            };
            // SAFETY: a C callback given for this userdata; the event outlives the call.
            unsafe { f(ctx.ud.0, &raw) }
        });
        codes::OK
    }
}

/// Adds a fault listener; threads and `free_userdata` as for `zkrs_tree_cache_listen`. Without one,
/// faults are logged.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_listen_fault(
    t: *mut zkrs_tree_cache,
    r#fn: zkrs_tree_fault_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let ctx = CallbackCtx::new(userdata, free_userdata);
        let Some(f) = r#fn else { return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL") };
        let t = try_arg!(cache_arg(t));
        t.cache.listen_fault(move |e: &Error| {
            let ctx = &ctx;
            let detail = to_cstring(&e.to_string());
            // SAFETY: a C callback given for this userdata; the detail outlives the call.
            unsafe { f(ctx.ud.0, e.code(), detail.as_ptr()) }
        });
        codes::OK
    }
}

/// The cached data of `path` in `*data_out` (release with `zkrs_buf_free`) and its stat in
/// `*stat_out` (may be NULL), from memory. `ZKRS_RC_NO_NODE` when the cache does not hold the node,
/// `ZKRS_RC_BAD_ARGUMENTS` for a path outside the cached tree. Any thread.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_get_data(
    t: *const zkrs_tree_cache,
    path: *const c_char,
    data_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(ref_arg(t, "t"));
        let path = try_arg!(str_arg(path, "path"));
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        match t.cache.get_data(path) {
            Ok(Some(nd)) => {
                write_stat(stat_out, &nd.stat);
                *data_out = zkrs_buf::boxed(nd.data);
                codes::OK
            }
            Ok(None) => fail_with(&Error::NoNode(path.to_string())),
            Err(e) => fail_with(&e),
        }
    }
}

/// The cached children of `path` (names, sorted) in `*children_out` (release with
/// `zkrs_string_list_free`), from memory. Errors as `zkrs_tree_cache_get_data`. Any thread.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_get_children(
    t: *const zkrs_tree_cache,
    path: *const c_char,
    children_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(ref_arg(t, "t"));
        let path = try_arg!(str_arg(path, "path"));
        let children_out = try_arg!(out_arg(children_out, "children_out"));
        match t.cache.get_children(path) {
            Ok(Some(names)) => {
                let list = try_arg!(zkrs_string_list::new(names));
                *children_out = Box::into_raw(Box::new(list));
                codes::OK
            }
            Ok(None) => fail_with(&Error::NoNode(path.to_string())),
            Err(e) => fail_with(&e),
        }
    }
}

/// Closes the cache: its watch is removed (from the server too), the copy and the listeners are
/// released (their `free_userdata` run), and once this returns no listener runs again (called from
/// a listener, that call is the last). It cannot be started again. Idempotent; the handle stays valid
/// until `zkrs_tree_cache_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_close(t: *mut zkrs_tree_cache) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(ref_arg(t as *const zkrs_tree_cache, "t"));
        t.cache.close();
        codes::OK
    }
}

/// Closes the cache (as `zkrs_tree_cache_close`) and releases the handle. NULL does nothing. Not from
/// inside one of its listeners (close it there, free it later).
#[no_mangle]
pub unsafe extern "C" fn zkrs_tree_cache_free(t: *mut zkrs_tree_cache) {
    ffi_guard! {
        if !t.is_null() {
            drop(Box::from_raw(t));
        }
    }
}
