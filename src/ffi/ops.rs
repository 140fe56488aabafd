//! The client's operations: sync forms (results in out-parameters the caller owns) and async forms
//! (results passed, borrowed, to a callback that runs exactly once).

use super::acl::zkrs_acl_list;
use super::buf::{zkrs_buf, zkrs_string_list};
use super::client::{client_arg, zkrs_client};
use super::stat::{write_stat, zkrs_stat};
use super::watch::{watcher_arg, zkrs_watcher};
use super::{bytes_arg, code_of, fail, fail_with, finish, out_arg, str_arg, to_cstring, zkrs_rc, UserData, EMPTY};
use crate::error::{codes, Error, Result};
use crate::ops::{CreateMode, CreateOptions, Created};
use crate::stat::Stat;
use std::ffi::{c_char, c_void, CString};
use std::ptr;

/// Create mode: a persistent node.
pub const ZKRS_CREATE_PERSISTENT: i32 = 0;
/// Create mode: an ephemeral node, deleted when the session ends.
pub const ZKRS_CREATE_EPHEMERAL: i32 = 1;
/// Create mode: a persistent node with a sequence number appended to its name.
pub const ZKRS_CREATE_PERSISTENT_SEQUENTIAL: i32 = 2;
/// Create mode: an ephemeral node with a sequence number appended to its name.
pub const ZKRS_CREATE_EPHEMERAL_SEQUENTIAL: i32 = 3;
/// Create mode: a container node, deleted by the server once its last child is gone.
pub const ZKRS_CREATE_CONTAINER: i32 = 4;
/// Create mode: a persistent node with a TTL (the server needs extended types enabled).
pub const ZKRS_CREATE_PERSISTENT_WITH_TTL: i32 = 5;
/// Create mode: a persistent sequential node with a TTL (the server needs extended types enabled).
pub const ZKRS_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL: i32 = 6;

/// Options of `zkrs_client_create`. NULL options mean: persistent, the client's default ACL, no
/// makepath. Copied during the call.
#[repr(C)]
pub struct zkrs_create_options {
    /// `ZKRS_CREATE_*`: ZooKeeper's create modes (0 persistent, 1 ephemeral, 2 persistent sequential,
    /// 3 ephemeral sequential, 4 container, 5 persistent TTL, 6 persistent sequential TTL).
    pub mode: i32,
    /// The TTL in milliseconds, for the TTL modes only (must be 0 otherwise).
    pub ttl_ms: i64,
    /// The node's ACL, borrowed during the call; NULL = the client's default ACL (open unless configured).
    pub acl: *const zkrs_acl_list,
    /// Create missing parent nodes (as persistent nodes with the default ACL) first.
    pub makepath: bool,
}

pub(crate) unsafe fn create_options(o: *const zkrs_create_options) -> std::result::Result<CreateOptions, zkrs_rc> {
    let Some(o) = o.as_ref() else { return Ok(CreateOptions::default()) };
    let mode = CreateMode::from_i32(o.mode)
        .ok_or_else(|| fail_with(&Error::BadArguments(format!("unknown create mode {} (0 to 6)", o.mode))))?;
    let mut opts = CreateOptions::mode(mode).with_ttl_ms(o.ttl_ms);
    opts.makepath = o.makepath;
    if let Some(acl) = o.acl.as_ref() {
        opts = opts.with_acl(acl.acls());
    }
    Ok(opts)
}

/// Text for a callback's `detail`.
fn detail(e: &Error) -> CString {
    to_cstring(&e.to_string())
}

// ---- callback types ----------------------------------------------------------------------------

/// Completion of `zkrs_client_get_data_async`. On success `data`/`len` (data is never NULL, even when
/// len is 0) and `stat`; on failure `data` and `stat` are NULL. Everything is borrowed: valid only during
/// the call. `detail` is never NULL ("" on success).
pub type zkrs_data_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        data: *const u8,
        len: usize,
        stat: *const zkrs_stat,
    ),
>;

/// Completion with a stat (`zkrs_client_set_data_async`); `stat` is NULL on failure. Borrowed.
pub type zkrs_stat_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char, stat: *const zkrs_stat)>;

/// Completion of `zkrs_client_create_async`: the created path (with the sequence number for sequential
/// modes, relative to the chroot) and the stat; both NULL on failure. Borrowed.
pub type zkrs_create_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        created_path: *const c_char,
        stat: *const zkrs_stat,
    ),
>;

/// Completion without a result (`zkrs_client_delete_async`).
pub type zkrs_void_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char)>;

/// Completion of `zkrs_client_exists_async`: on success `exists` says whether the node exists and
/// `stat` is its stat (NULL when it does not exist). Borrowed.
pub type zkrs_exists_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        exists: bool,
        stat: *const zkrs_stat,
    ),
>;

/// Completion of `zkrs_client_get_children_async`: the children's names and the node's stat; both
/// NULL on failure. The list is borrowed: do not free it; valid only during the call.
pub type zkrs_children_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        children: *const zkrs_string_list,
        stat: *const zkrs_stat,
    ),
>;

macro_rules! callback_arg {
    ($cb:expr) => {
        match $cb {
            Some(f) => f,
            None => return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL"),
        }
    };
}

// ---- create ------------------------------------------------------------------------------------

/// Creates the node `path` with `len` bytes of `data` (`data` may be NULL when `len` is 0) and the
/// options `opts` (NULL: persistent, default ACL). On success, if `created_path_out` is not NULL it
/// receives the created path (relative to the chroot, with the sequence number for sequential modes),
/// which the caller releases with `zkrs_buf_free`; if `stat_out` is not NULL it receives the node's stat.
/// Errors: `ZKRS_RC_NODE_EXISTS`, `ZKRS_RC_NO_NODE` (missing parent without makepath),
/// `ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS`, `ZKRS_RC_INVALID_PATH`, `ZKRS_RC_DATA_TOO_LARGE`, ...
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_create(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const zkrs_create_options,
    created_path_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let opts = try_arg!(create_options(opts));
        finish(c.client.create(path, data, &opts), |Created { path, stat }| {
            if !created_path_out.is_null() {
                *created_path_out = zkrs_buf::boxed(path.into_bytes());
            }
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_create`: returns at once; if it returned `ZKRS_RC_OK`, `cb` runs exactly once with
/// the result (also with `ZKRS_RC_CLOSING` on close), on the client's event thread (or inside
/// `zkrs_client_dispatch`). If it returned an error, `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_create_async(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const zkrs_create_options,
    cb: zkrs_create_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let opts = try_arg!(create_options(opts));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.create_async(path, data, &opts, move |r| {
            let ud = ud;
            match r {
                Ok(Created { path, stat }) => {
                    let p = to_cstring(&path);
                    let s = zkrs_stat::from(&stat);
                    cb(ud.0, codes::OK, EMPTY.as_ptr(), p.as_ptr(), &s)
                }
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null(), ptr::null()),
            }
        }))
    }
}

// ---- get_data ----------------------------------------------------------------------------------

/// Reads the node's data into a new `*data_out` (the caller releases it with `zkrs_buf_free`) and, if
/// `stat_out` is not NULL, its stat. `watch` (may be NULL) is set when the node exists and fires on its
/// deletion or data change; see `zkrs_watcher` for when `free_userdata` runs.
/// Errors: `ZKRS_RC_NO_NODE`, `ZKRS_RC_NO_AUTH`, `ZKRS_RC_INVALID_PATH`, ...
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_data(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    data_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        finish(c.client.get_data(path, watch.map(|w| w.into_watcher())), |(data, stat)| {
            *data_out = zkrs_buf::boxed(data);
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_get_data`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_data_async(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    cb: zkrs_data_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.get_data_async(path, watch.map(|w| w.into_watcher()), move |r| {
            let ud = ud;
            match r {
                Ok((data, stat)) => {
                    let s = zkrs_stat::from(&stat);
                    cb(ud.0, codes::OK, EMPTY.as_ptr(), data.as_ptr(), data.len(), &s)
                }
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null(), 0, ptr::null()),
            }
        }))
    }
}

// ---- set_data ----------------------------------------------------------------------------------

/// Replaces the node's data if its version is `version` (-1: any version); on success `stat_out` (may
/// be NULL) receives the new stat. Errors: `ZKRS_RC_NO_NODE`, `ZKRS_RC_BAD_VERSION`,
/// `ZKRS_RC_DATA_TOO_LARGE`, ...
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_data(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        finish(c.client.set_data(path, data, version), |stat| {
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_set_data`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_data_async(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    cb: zkrs_stat_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.set_data_async(path, data, version, move |r| {
            let ud = ud;
            stat_result(cb, ud, r)
        }))
    }
}

unsafe fn stat_result(
    cb: unsafe extern "C" fn(*mut c_void, zkrs_rc, *const c_char, *const zkrs_stat),
    ud: UserData,
    r: Result<Stat>,
) {
    match r {
        Ok(stat) => {
            let s = zkrs_stat::from(&stat);
            cb(ud.0, codes::OK, EMPTY.as_ptr(), &s)
        }
        Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null()),
    }
}

// ---- exists ------------------------------------------------------------------------------------

/// Whether the node exists, in `*exists_out`; if `stat_out` is not NULL it receives the stat when the
/// node exists and all zeros when it does not. `watch` (may be NULL) is set in both cases: it fires on
/// the node's creation, deletion or data change.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_exists(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    exists_out: *mut bool,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let exists_out = try_arg!(out_arg(exists_out, "exists_out"));
        finish(c.client.exists(path, watch.map(|w| w.into_watcher())), |stat| {
            *exists_out = stat.is_some();
            write_stat(stat_out, &stat.unwrap_or_default());
        })
    }
}

/// Async `zkrs_client_exists`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs exactly
/// once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the error (also
/// `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error, `cb` never
/// runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_exists_async(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    cb: zkrs_exists_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.exists_async(path, watch.map(|w| w.into_watcher()), move |r| {
            let ud = ud;
            match r {
                Ok(Some(stat)) => {
                    let s = zkrs_stat::from(&stat);
                    cb(ud.0, codes::OK, EMPTY.as_ptr(), true, &s)
                }
                Ok(None) => cb(ud.0, codes::OK, EMPTY.as_ptr(), false, ptr::null()),
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), false, ptr::null()),
            }
        }))
    }
}

// ---- delete ------------------------------------------------------------------------------------

/// Deletes the node if its version is `version` (-1: any). With `recursive`, deletes everything under it
/// first (kazoo's `delete(recursive=True)`; `version` must then be -1). Errors: `ZKRS_RC_NO_NODE`,
/// `ZKRS_RC_BAD_VERSION`, `ZKRS_RC_NOT_EMPTY`, ...
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_delete(
    c: *mut zkrs_client,
    path: *const c_char,
    version: i32,
    recursive: bool,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let r = if recursive {
            if version != -1 {
                return fail_with(&Error::BadArguments(format!(
                    "a recursive delete checks no version: version must be -1, not {version}"
                )));
            }
            c.client.delete_recursive(path)
        } else {
            c.client.delete(path, version)
        };
        code_of(r)
    }
}

/// Async non-recursive `zkrs_client_delete`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)`
/// runs exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close). If it returned an error, `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_delete_async(
    c: *mut zkrs_client,
    path: *const c_char,
    version: i32,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.delete_async(path, version, move |r| {
            let ud = ud;
            match r {
                Ok(()) => cb(ud.0, codes::OK, EMPTY.as_ptr()),
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr()),
            }
        }))
    }
}

// ---- get_children ------------------------------------------------------------------------------

/// The node's children (names, unsorted) in a new `*children_out` (the caller releases it with
/// `zkrs_string_list_free`) and, if `stat_out` is not NULL, the node's stat. `watch` (may be NULL) is set
/// when the node exists and fires on a child change or the node's deletion.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_children(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    children_out: *mut *mut zkrs_string_list,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let children_out = try_arg!(out_arg(children_out, "children_out"));
        match c.client.get_children(path, watch.map(|w| w.into_watcher())) {
            Ok((names, stat)) => {
                let list = try_arg!(zkrs_string_list::new(names));
                *children_out = Box::into_raw(Box::new(list));
                write_stat(stat_out, &stat);
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// Async `zkrs_client_get_children`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_children_async(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    cb: zkrs_children_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.get_children_async(path, watch.map(|w| w.into_watcher()), move |r| {
            let ud = ud;
            match r.and_then(|(names, stat)| {
                zkrs_string_list::new(names)
                    .map(|l| (l, stat))
                    .map_err(|_| Error::Marshalling("a child name contains a NUL byte".into()))
            }) {
                Ok((list, stat)) => {
                    let s = zkrs_stat::from(&stat);
                    cb(ud.0, codes::OK, EMPTY.as_ptr(), &list, &s)
                }
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null(), ptr::null()),
            }
        }))
    }
}

// ---- ACLs, sync and other calls ----------------------------------------------------------------

/// Completion of `zkrs_client_get_acl_async`: the ACL and the stat; both NULL on failure. The list is
/// borrowed: do not free it; valid only during the call.
pub type zkrs_acl_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        acl: *const zkrs_acl_list,
        stat: *const zkrs_stat,
    ),
>;

/// The node's ACL in a new `*acl_out` (the caller releases it with `zkrs_acl_list_free`) and, if
/// `stat_out` is not NULL, its stat.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_acl(
    c: *mut zkrs_client,
    path: *const c_char,
    acl_out: *mut *mut zkrs_acl_list,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let acl_out = try_arg!(out_arg(acl_out, "acl_out"));
        finish(c.client.get_acl(path), |(acl, stat)| {
            *acl_out = Box::into_raw(Box::new(zkrs_acl_list::from_acls(acl)));
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_get_acl`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_acl_async(
    c: *mut zkrs_client,
    path: *const c_char,
    cb: zkrs_acl_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.get_acl_async(path, move |r| {
            let ud = ud;
            match r {
                Ok((acl, stat)) => {
                    let l = zkrs_acl_list::from_acls(acl);
                    let s = zkrs_stat::from(&stat);
                    cb(ud.0, codes::OK, EMPTY.as_ptr(), &l, &s)
                }
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null(), ptr::null()),
            }
        }))
    }
}

/// Replaces the node's ACL with `acl` (borrowed during the call) if its ACL version is `version` (-1:
/// any); on success `stat_out` (may be NULL) receives the new stat.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_acl(
    c: *mut zkrs_client,
    path: *const c_char,
    acl: *const zkrs_acl_list,
    version: i32,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let acl = try_arg!(super::ref_arg(acl, "acl"));
        finish(c.client.set_acl(path, &acl.acls(), version), |stat| {
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_set_acl`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_acl_async(
    c: *mut zkrs_client,
    path: *const c_char,
    acl: *const zkrs_acl_list,
    version: i32,
    cb: zkrs_stat_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let acl = try_arg!(super::ref_arg(acl, "acl"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.set_acl_async(path, &acl.acls(), version, move |r| {
            let ud = ud;
            stat_result(cb, ud, r)
        }))
    }
}

/// Waits until the server this client talks to has caught up with the leader for `path`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_sync(c: *mut zkrs_client, path: *const c_char) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        code_of(c.client.sync(path))
    }
}

/// Async `zkrs_client_sync`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs exactly
/// once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the error (also
/// `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error, `cb` never
/// runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_sync_async(
    c: *mut zkrs_client,
    path: *const c_char,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.sync_async(path, move |r| {
            let ud = ud;
            match r {
                Ok(_) => cb(ud.0, codes::OK, EMPTY.as_ptr()),
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr()),
            }
        }))
    }
}

/// Creates `path` and any missing parents (persistent, empty, default ACL); OK if it exists already.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_ensure_path(c: *mut zkrs_client, path: *const c_char) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        code_of(c.client.ensure_path(path))
    }
}

/// Adds credentials to the session (`scheme` "digest", `credentials` "user:password" as bytes); they are
/// sent again after every reconnect. Refused credentials end the session (`ZKRS_RC_AUTH_FAILED`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_add_auth(
    c: *mut zkrs_client,
    scheme: *const c_char,
    credentials: *const u8,
    len: usize,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let scheme = try_arg!(str_arg(scheme, "scheme"));
        let credentials = try_arg!(bytes_arg(credentials, len, "credentials"));
        code_of(c.client.add_auth(scheme, credentials))
    }
}

/// The number of nodes under `path`, at any depth, in `*count_out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_all_children_number(
    c: *mut zkrs_client,
    path: *const c_char,
    count_out: *mut i32,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let count_out = try_arg!(out_arg(count_out, "count_out"));
        finish(c.client.get_all_children_number(path), |n| {
            *count_out = n;
        })
    }
}

/// The paths of this session's ephemeral nodes that start with `prefix` (`"/"` for all) in a new
/// `*paths_out` (the caller releases it with `zkrs_string_list_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_ephemerals(
    c: *mut zkrs_client,
    prefix: *const c_char,
    paths_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let prefix = try_arg!(str_arg(prefix, "prefix"));
        let paths_out = try_arg!(out_arg(paths_out, "paths_out"));
        match c.client.get_ephemerals(prefix) {
            Ok(paths) => {
                let list = try_arg!(zkrs_string_list::new(paths));
                *paths_out = Box::into_raw(Box::new(list));
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// Calls a `zkrs_void_fn` with a unit result.
unsafe fn void_result<T>(cb: unsafe extern "C" fn(*mut c_void, zkrs_rc, *const c_char), ud: UserData, r: Result<T>) {
    match r {
        Ok(_) => cb(ud.0, codes::OK, EMPTY.as_ptr()),
        Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr()),
    }
}

/// Async `zkrs_client_ensure_path`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs. The parents are created one by one from the event thread before `cb` runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_ensure_path_async(
    c: *mut zkrs_client,
    path: *const c_char,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.ensure_path_async(path, move |r| {
            let ud = ud;
            void_result(cb, ud, r)
        }))
    }
}

/// Async recursive `zkrs_client_delete` (`recursive` true, any version): deletes the node and everything
/// under it, then `cb(userdata, ...)` runs exactly once, on the client's event thread (or inside
/// `zkrs_client_dispatch`), also with `ZKRS_RC_CLOSING` at close, if this returned `ZKRS_RC_OK`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_delete_recursive_async(
    c: *mut zkrs_client,
    path: *const c_char,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.delete_recursive_async(path, move |r| {
            let ud = ud;
            void_result(cb, ud, r)
        }))
    }
}

/// Completion with a list of strings (`zkrs_client_get_ephemerals_async`); `list` is NULL on failure.
/// Borrowed: valid only during the call; do not free it.
pub type zkrs_strings_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char, list: *const zkrs_string_list),
>;

/// Completion with a count (`zkrs_client_get_all_children_number_async`); `count` is 0 on failure.
pub type zkrs_count_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char, count: i32)>;

/// Async `zkrs_client_get_ephemerals`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_ephemerals_async(
    c: *mut zkrs_client,
    prefix: *const c_char,
    cb: zkrs_strings_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let prefix = try_arg!(str_arg(prefix, "prefix"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.get_ephemerals_async(prefix, move |r| {
            let ud = ud;
            let r = r.and_then(|paths| {
                zkrs_string_list::new(paths).map_err(|_| Error::Marshalling("a path contains a NUL byte".into()))
            });
            match r {
                Ok(list) => cb(ud.0, codes::OK, EMPTY.as_ptr(), &list),
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), ptr::null()),
            }
        }))
    }
}

/// Async `zkrs_client_get_all_children_number`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata,
/// ...)` runs exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result
/// or the error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an
/// error, `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_all_children_number_async(
    c: *mut zkrs_client,
    path: *const c_char,
    cb: zkrs_count_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.get_all_children_number_async(path, move |r| {
            let ud = ud;
            match r {
                Ok(n) => cb(ud.0, codes::OK, EMPTY.as_ptr(), n),
                Err(e) => cb(ud.0, e.code(), detail(&e).as_ptr(), 0),
            }
        }))
    }
}

/// Async `zkrs_client_add_auth`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs. The credentials are copied.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_add_auth_async(
    c: *mut zkrs_client,
    scheme: *const c_char,
    credentials: *const u8,
    len: usize,
    cb: zkrs_void_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let scheme = try_arg!(str_arg(scheme, "scheme"));
        let credentials = try_arg!(bytes_arg(credentials, len, "credentials"));
        let cb = callback_arg!(cb);
        let ud = UserData(userdata);
        code_of(c.client.add_auth_async(scheme, credentials, move |r| {
            let ud = ud;
            void_result(cb, ud, r)
        }))
    }
}
