//! `zkrs_future`: an async call's pending result (kazoo's IAsyncResult), over the core's [`ZkFuture`]:
//! poll it, wait for it with a timeout, read it with a typed getter, or hand it to a callback (`then`).

use super::acl::zkrs_acl_list;
use super::buf::{zkrs_buf, zkrs_string_list};
use super::client::{client_arg, zkrs_client, Handle};
use super::ops::{create_options, zkrs_create_options};
use super::server::zkrs_client_info_list;
use super::stat::{write_stat, zkrs_stat};
use super::timeout::wait_duration;
use super::txn::{zkrs_read_results, zkrs_txn_results};
use super::watch::{watcher_arg, zkrs_watcher};
use super::{bytes_arg, fail, fail_with, finish, out_arg, ref_arg, str_arg, zkrs_rc, UserData};
use crate::acl::Acl;
use crate::error::{codes, Result};
use crate::future::ZkFuture;
use crate::ops::Created;
use crate::stat::Stat;
use parking_lot::Mutex;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

/// What an operation returns, whatever its kind.
#[derive(Clone)]
pub(crate) enum Value {
    Data(Vec<u8>, Stat),
    Stat(Stat),
    Created(String, Stat),
    Unit,
    Exists(Option<Stat>),
    Children(Vec<String>, Stat),
    Acl(Vec<Acl>, Stat),
    Count(i32),
    Strings(Vec<String>),
    /// A transaction's per-op results (present also when the transaction failed; see `zkrs_txn_commit`).
    Txn(zkrs_txn_results),
    Reads(zkrs_read_results),
    ClientInfo(zkrs_client_info_list),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Data(..) => "data",
            Value::Stat(_) => "stat",
            Value::Created(..) => "created path",
            Value::Unit => "no value",
            Value::Exists(_) => "exists",
            Value::Children(..) => "children",
            Value::Acl(..) => "ACL",
            Value::Count(_) => "count",
            Value::Strings(_) => "string list",
            Value::Txn(_) => "transaction",
            Value::Reads(_) => "multi-read",
            Value::ClientInfo(_) => "client info",
        }
    }
}

struct FutureInner {
    /// The client, to refuse waiting in a forked child and `then` after close.
    client: Arc<Handle>,
    future: ZkFuture<Value>,
    /// The result once a getter or the `then` callback took it from the core future.
    cache: Mutex<Option<Result<Value>>>,
    then_registered: std::sync::atomic::AtomicBool,
}

/// The pending result of an async call (`zkrs_client_*_future`). Poll it with `zkrs_future_ready`, wait
/// with `zkrs_future_wait`, read it with the getter of its kind (`zkrs_future_get_data`, ...; each may
/// be called any number of times), or have a callback run when it is there (`zkrs_future_then`). Release
/// it with `zkrs_future_free` (the operation still completes). The functions may be called from any
/// thread.
pub struct zkrs_future {
    inner: Arc<FutureInner>,
}

impl FutureInner {
    /// The result, waiting up to `timeout` for it. The outer error is a zkrs_rc about the waiting
    /// (TIMEOUT, WOULD_DEADLOCK, BAD_ARGUMENTS after `then`), already recorded as the last error.
    fn result(&self, timeout: Duration) -> std::result::Result<Result<Value>, zkrs_rc> {
        self.client.not_forked()?;
        {
            let cache = self.cache.lock();
            if let Some(r) = &*cache {
                return Ok(r.clone());
            }
            if self.then_registered.load(std::sync::atomic::Ordering::Acquire) {
                return Err(fail(
                    codes::BAD_ARGUMENTS,
                    "the result of this future goes to its zkrs_future_then callback; read it there",
                ));
            }
        }
        if let Err(e) = self.future.wait(timeout) {
            return Err(fail_with(&e));
        }
        let mut cache = self.cache.lock();
        if cache.is_none() {
            *cache = Some(self.future.get(Duration::ZERO));
        }
        Ok(cache.as_ref().expect("just filled").clone())
    }
}

/// Runs `start` (an `_async` call given a completion) as a future in `*out`.
pub(crate) unsafe fn make_future(
    client: Arc<Handle>,
    out: *mut *mut zkrs_future,
    start: impl FnOnce(Box<dyn FnOnce(Result<Value>) + Send>) -> Result<()>,
) -> zkrs_rc {
    finish(client.client.future(start), |future| {
        let inner = Arc::new(FutureInner {
            client,
            future,
            cache: Mutex::new(None),
            then_registered: std::sync::atomic::AtomicBool::new(false),
        });
        *out = Box::into_raw(Box::new(zkrs_future { inner }));
    })
}

/// `zkrs_client_get_data_async` returning a future (read it with `zkrs_future_get_data`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_data_future(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let w = watch.map(|w| w.into_watcher());
        make_future(c.share(), out, |done| {
            c.client.get_data_async(path, w, move |r| done(r.map(|(d, s)| Value::Data(d, s))))
        })
    }
}

/// `zkrs_client_set_data_async` returning a future (read it with `zkrs_future_get_stat`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_data_future(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.set_data_async(path, data, version, move |r| done(r.map(Value::Stat)))
        })
    }
}

/// `zkrs_client_create_async` returning a future (read it with `zkrs_future_get_created`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_create_future(
    c: *mut zkrs_client,
    path: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const zkrs_create_options,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let opts = try_arg!(create_options(opts));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.create_async(path, data, &opts, move |r| {
                done(r.map(|Created { path, stat }| Value::Created(path, stat)))
            })
        })
    }
}

/// `zkrs_client_delete_async` returning a future (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_delete_future(
    c: *mut zkrs_client,
    path: *const c_char,
    version: i32,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.delete_async(path, version, move |r| done(r.map(|()| Value::Unit))))
    }
}

/// `zkrs_client_delete_recursive_async` returning a future (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_delete_recursive_future(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.delete_recursive_async(path, move |r| done(r.map(|()| Value::Unit)))
        })
    }
}

/// `zkrs_client_exists_async` returning a future (read it with `zkrs_future_get_exists`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_exists_future(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let w = watch.map(|w| w.into_watcher());
        make_future(c.share(), out, |done| c.client.exists_async(path, w, move |r| done(r.map(Value::Exists))))
    }
}

/// `zkrs_client_get_children_async` returning a future (read it with `zkrs_future_get_children`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_children_future(
    c: *mut zkrs_client,
    path: *const c_char,
    watch: *const zkrs_watcher,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let w = watch.map(|w| w.into_watcher());
        make_future(c.share(), out, |done| {
            c.client.get_children_async(path, w, move |r| done(r.map(|(n, s)| Value::Children(n, s))))
        })
    }
}

/// `zkrs_client_get_acl_async` returning a future (read it with `zkrs_future_get_acl`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_acl_future(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.get_acl_async(path, move |r| done(r.map(|(a, s)| Value::Acl(a, s)))))
    }
}

/// `zkrs_client_set_acl_async` returning a future (read it with `zkrs_future_get_stat`). `acl` is copied.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_acl_future(
    c: *mut zkrs_client,
    path: *const c_char,
    acl: *const zkrs_acl_list,
    version: i32,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let acl = try_arg!(ref_arg(acl, "acl")).acls();
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.set_acl_async(path, &acl, version, move |r| done(r.map(Value::Stat))))
    }
}

/// `zkrs_client_sync_async` returning a future (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_sync_future(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.sync_async(path, move |r| done(r.map(|_| Value::Unit))))
    }
}

/// `zkrs_client_ensure_path_async` returning a future (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_ensure_path_future(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.ensure_path_async(path, move |r| done(r.map(|()| Value::Unit))))
    }
}

/// `zkrs_client_get_ephemerals_async` returning a future (read it with `zkrs_future_get_strings`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_ephemerals_future(
    c: *mut zkrs_client,
    prefix: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let prefix = try_arg!(str_arg(prefix, "prefix"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| c.client.get_ephemerals_async(prefix, move |r| done(r.map(Value::Strings))))
    }
}

/// `zkrs_client_get_all_children_number_async` returning a future (read it with
/// `zkrs_future_get_count`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_all_children_number_future(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.get_all_children_number_async(path, move |r| done(r.map(Value::Count)))
        })
    }
}

/// `zkrs_client_add_auth_async` returning a future (read it with `zkrs_future_get`).
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_add_auth_future(
    c: *mut zkrs_client,
    scheme: *const c_char,
    credentials: *const u8,
    len: usize,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let scheme = try_arg!(str_arg(scheme, "scheme"));
        let credentials = try_arg!(bytes_arg(credentials, len, "credentials"));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.add_auth_async(scheme, credentials, move |r| done(r.map(|()| Value::Unit)))
        })
    }
}

/// Whether the result is there (false if `f` is NULL). Never blocks.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_ready(f: *const zkrs_future) -> bool {
    ffi_guard! {
        match f.as_ref() {
            Some(f) => f.inner.cache.lock().is_some() || f.inner.future.is_ready(),
            None => false,
        }
    }
}

/// Waits up to `timeout_ms` (-1: no limit, 0: do not wait) until the result is there: `ZKRS_RC_OK` then
/// (whatever the result is), `ZKRS_RC_TIMEOUT` if it is not there in time, `ZKRS_RC_WOULD_DEADLOCK` when
/// called from a callback of the same client while the result is not there (only that callback's
/// thread could deliver it), `ZKRS_RC_FORKED` in a forked child. The getters wait the same way.
/// With `dispatch=poll` a result is delivered inside `zkrs_client_dispatch`: waiting while no thread
/// dispatches ends with `ZKRS_RC_TIMEOUT`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_wait(f: *mut zkrs_future, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let f = try_arg!(ref_arg(f, "f"));
        match f.inner.result(try_arg!(wait_duration(timeout_ms))) {
            Ok(_) => codes::OK,
            Err(rc) => rc,
        }
    }
}

/// Waits like `zkrs_future_wait`, then returns the operation's own result code (detail in
/// `zkrs_last_error_message()`). Works for every kind of future; the other getters also give the value.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get(f: *mut zkrs_future, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let f = try_arg!(ref_arg(f, "f"));
        match try_arg!(f.inner.result(try_arg!(wait_duration(timeout_ms)))) {
            Ok(Value::Txn(results)) => results.rc(),
            Ok(_) => codes::OK,
            Err(e) => fail_with(&e),
        }
    }
}

fn wrong_kind(v: &Value, want: &str) -> zkrs_rc {
    fail(codes::BAD_ARGUMENTS, &format!("this future holds a {} result, not {want}", v.kind()))
}

/// The value of a future, waited for; its error if the operation failed.
unsafe fn value(f: *mut zkrs_future, timeout: i32) -> std::result::Result<Value, zkrs_rc> {
    let f = ref_arg(f, "f")?;
    match f.inner.result(wait_duration(timeout)?)? {
        Ok(v) => Ok(v),
        Err(e) => Err(fail_with(&e)),
    }
}

/// The result of a get_data future: a new `*data_out` (released with `zkrs_buf_free`) and, if
/// `stat_out` is not NULL, the stat. Waits like `zkrs_future_wait`; returns the operation's code.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_data(
    f: *mut zkrs_future,
    timeout_ms: i32,
    data_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Data(d, s) => {
                *data_out = zkrs_buf::boxed(d);
                write_stat(stat_out, &s);
                codes::OK
            }
            v => wrong_kind(&v, "data"),
        }
    }
}

/// The result of a set_data or set_acl future: the stat in `*stat_out` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_stat(
    f: *mut zkrs_future,
    timeout_ms: i32,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        match try_arg!(value(f, timeout_ms)) {
            Value::Stat(s) => {
                write_stat(stat_out, &s);
                codes::OK
            }
            v => wrong_kind(&v, "stat"),
        }
    }
}

/// The result of a create future: the created path in a new `*path_out` (may be NULL; released with
/// `zkrs_buf_free`) and the stat in `*stat_out` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_created(
    f: *mut zkrs_future,
    timeout_ms: i32,
    path_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        match try_arg!(value(f, timeout_ms)) {
            Value::Created(p, s) => {
                if !path_out.is_null() {
                    *path_out = zkrs_buf::boxed(p.into_bytes());
                }
                write_stat(stat_out, &s);
                codes::OK
            }
            v => wrong_kind(&v, "created path"),
        }
    }
}

/// The result of an exists future: `*exists_out`, and the stat in `*stat_out` (may be NULL; zeros when
/// the node does not exist).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_exists(
    f: *mut zkrs_future,
    timeout_ms: i32,
    exists_out: *mut bool,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let exists_out = try_arg!(out_arg(exists_out, "exists_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Exists(s) => {
                *exists_out = s.is_some();
                write_stat(stat_out, &s.unwrap_or_default());
                codes::OK
            }
            v => wrong_kind(&v, "exists"),
        }
    }
}

/// The result of a get_children future: a new `*children_out` (released with `zkrs_string_list_free`)
/// and the stat in `*stat_out` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_children(
    f: *mut zkrs_future,
    timeout_ms: i32,
    children_out: *mut *mut zkrs_string_list,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let children_out = try_arg!(out_arg(children_out, "children_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Children(n, s) => {
                let list = try_arg!(zkrs_string_list::new(n));
                *children_out = Box::into_raw(Box::new(list));
                write_stat(stat_out, &s);
                codes::OK
            }
            v => wrong_kind(&v, "children"),
        }
    }
}

/// The result of a get_acl future: a new `*acl_out` (released with `zkrs_acl_list_free`) and the stat
/// in `*stat_out` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_acl(
    f: *mut zkrs_future,
    timeout_ms: i32,
    acl_out: *mut *mut zkrs_acl_list,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let acl_out = try_arg!(out_arg(acl_out, "acl_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Acl(a, s) => {
                *acl_out = Box::into_raw(Box::new(zkrs_acl_list::from_acls(a)));
                write_stat(stat_out, &s);
                codes::OK
            }
            v => wrong_kind(&v, "ACL"),
        }
    }
}

/// The result of a get_all_children_number future: `*count_out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_count(f: *mut zkrs_future, timeout_ms: i32, count_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let count_out = try_arg!(out_arg(count_out, "count_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Count(n) => {
                *count_out = n;
                codes::OK
            }
            v => wrong_kind(&v, "count"),
        }
    }
}

/// The result of a get_ephemerals future: a new `*list_out` (released with `zkrs_string_list_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_strings(
    f: *mut zkrs_future,
    timeout_ms: i32,
    list_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let list_out = try_arg!(out_arg(list_out, "list_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Strings(items) => {
                let list = try_arg!(zkrs_string_list::new(items));
                *list_out = Box::into_raw(Box::new(list));
                codes::OK
            }
            v => wrong_kind(&v, "string list"),
        }
    }
}

/// The result of a transaction future (`zkrs_txn_commit_future`): returns what `zkrs_txn_commit`
/// returns and, like it, writes a new `*results_out` (released with `zkrs_txn_results_free`; may be
/// NULL) whenever the server answered, also when the transaction failed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_txn(
    f: *mut zkrs_future,
    timeout_ms: i32,
    results_out: *mut *mut zkrs_txn_results,
) -> zkrs_rc {
    ffi_guard! {
        match try_arg!(value(f, timeout_ms)) {
            Value::Txn(results) => {
                let rc = results.rc();
                if !results_out.is_null() {
                    *results_out = Box::into_raw(Box::new(results));
                }
                rc
            }
            v => wrong_kind(&v, "transaction"),
        }
    }
}

/// The result of a multi-read future: a new `*results_out` (released with `zkrs_read_results_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_read_results(
    f: *mut zkrs_future,
    timeout_ms: i32,
    results_out: *mut *mut zkrs_read_results,
) -> zkrs_rc {
    ffi_guard! {
        let results_out = try_arg!(out_arg(results_out, "results_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::Reads(r) => {
                *results_out = Box::into_raw(Box::new(r));
                codes::OK
            }
            v => wrong_kind(&v, "multi-read"),
        }
    }
}

/// The result of a whoami future: a new `*infos_out` (released with `zkrs_client_info_list_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_get_client_info(
    f: *mut zkrs_future,
    timeout_ms: i32,
    infos_out: *mut *mut zkrs_client_info_list,
) -> zkrs_rc {
    ffi_guard! {
        let infos_out = try_arg!(out_arg(infos_out, "infos_out"));
        match try_arg!(value(f, timeout_ms)) {
            Value::ClientInfo(l) => {
                *infos_out = Box::into_raw(Box::new(l));
                codes::OK
            }
            v => wrong_kind(&v, "client info"),
        }
    }
}

/// The callback of `zkrs_future_then`: `f` is borrowed (do not free it here; it may already have been
/// freed by its owner otherwise); read the result with the getters (they do not wait inside it).
pub type zkrs_future_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, f: *mut zkrs_future)>;

/// Runs `cb(userdata, f)` exactly once, on the client's event thread (or inside
/// `zkrs_client_dispatch`), when the result is there — soon if it is there already. At most one `then`
/// per future, and only before a getter or `zkrs_future_wait` took the result (else
/// `ZKRS_RC_BAD_ARGUMENTS`). Afterwards the getters return `ZKRS_RC_BAD_ARGUMENTS` outside the callback
/// until it ran. Freeing the future does not cancel the callback. Once the client is closed no callback
/// can run: `ZKRS_RC_CLOSED` (read the result with the getters instead).
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_then(f: *mut zkrs_future, cb: zkrs_future_fn, userdata: *mut c_void) -> zkrs_rc {
    ffi_guard! {
        let f = try_arg!(ref_arg(f, "f"));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        // After close no callback of the client runs any more, so none could be promised.
        try_arg!(f.inner.client.usable());
        let cache = f.inner.cache.lock();
        if cache.is_some() {
            return fail(codes::BAD_ARGUMENTS, "the result of this future was already taken");
        }
        let inner = f.inner.clone();
        let ud = UserData(userdata);
        let r = f.inner.future.then(move |r: Result<Value>| {
            let ud = ud;
            *inner.cache.lock() = Some(r);
            let mut borrowed = zkrs_future { inner };
            // SAFETY: a C callback given for this userdata; the future outlives the call.
            unsafe { cb(ud.0, &mut borrowed) }
        });
        finish(r, |()| {
            f.inner.then_registered.store(true, std::sync::atomic::Ordering::Release);
            drop(cache);
        })
    }
}

/// Releases the future. NULL does nothing. The operation still completes, and a `then` callback still
/// runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_future_free(f: *mut zkrs_future) {
    ffi_guard! {
        if !f.is_null() {
            drop(Box::from_raw(f));
        }
    }
}
