//! kazoo's DataWatch, ChildrenWatch and PatientChildrenWatch for C: `zkrs_data_watch`,
//! `zkrs_children_watch`, `zkrs_patient_children_watch`.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::stat::zkrs_stat;
use super::timeout::wait_limit;
use super::watch::{event_state, zkrs_free_fn, zkrs_watch_event};
use super::{fail, fail_with, finish, out_arg, str_arg, to_cstring, UserData};
use crate::error::codes;
use crate::recipe::{ChildrenChanged, ChildrenWatch, ChildrenWatchOptions, DataWatch, PatientChildrenWatch};
use crate::watch::WatchedEvent;
use parking_lot::Mutex;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

/// The function of a `zkrs_data_watch`: called with the node's data (`data`, `len`) and stat, or with
/// `data` NULL, `len` 0 and `stat` NULL while the node does not exist; `event` is the change that
/// caused the call, NULL for the first call and after reconnections. Everything is borrowed for the
/// call. Return `true` to go on, `false` to stop the watch.
pub type zkrs_data_watch_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        data: *const u8,
        len: usize,
        stat: *const zkrs_stat,
        event: *const zkrs_watch_event,
    ) -> bool,
>;

/// The function of a `zkrs_children_watch`: called with the node's children (names, unsorted;
/// borrowed for the call) and, with `send_event`, the change that caused the call (else NULL; NULL
/// also for the first call and after reconnections). Return `true` to go on, `false` to stop.
pub type zkrs_children_watch_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        children: *const zkrs_string_list,
        event: *const zkrs_watch_event,
    ) -> bool,
>;

/// A DataWatch (`zkrs_data_watch_new`); stop it with `zkrs_data_watch_close`, release it with
/// `zkrs_data_watch_free`.
pub struct zkrs_data_watch {
    _client: Arc<Handle>,
    watch: DataWatch,
}

/// A ChildrenWatch (`zkrs_children_watch_new`); stop it with `zkrs_children_watch_close`, release it
/// with `zkrs_children_watch_free`.
pub struct zkrs_children_watch {
    _client: Arc<Handle>,
    watch: ChildrenWatch,
}

/// The userdata of a C callback; `free_userdata` runs when this is dropped, after the last call.
pub(crate) struct CallbackCtx {
    pub ud: UserData,
    free: zkrs_free_fn,
}

impl CallbackCtx {
    pub fn new(userdata: *mut c_void, free: zkrs_free_fn) -> CallbackCtx {
        CallbackCtx { ud: UserData(userdata), free }
    }
}

impl Drop for CallbackCtx {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller gave this function for this userdata.
            unsafe { free(self.ud.0) }
        }
    }
}

/// An event for C, alive while `path` is.
pub(crate) struct CEvent {
    path: CString,
    event_type: i32,
    state: i32,
}

impl CEvent {
    pub fn new(ev: &WatchedEvent) -> CEvent {
        CEvent { path: to_cstring(&ev.path), event_type: ev.event_type as i32, state: event_state(ev.event_type) }
    }

    pub fn raw(&self) -> zkrs_watch_event {
        zkrs_watch_event { r#type: self.event_type, state: self.state, path: self.path.as_ptr() }
    }
}

/// Starts a DataWatch on `path` (kazoo's `DataWatch`): `fn` is called with the node's current data at
/// once and again after every change (creation, data change, deletion), with no duplicate calls,
/// until it returns `false`, the watch is closed or freed, or the client is closed. The node need not
/// exist. The watch survives reconnections (the node is read again after each) and session expiry (it
/// is set up again in the new session). When stopped, its watch is removed from the server too.
///
/// Thread: `fn` runs on the client's event thread (in poll mode inside `zkrs_client_dispatch`), one
/// call at a time. In thread mode, called from outside a callback, this returns after the first call
/// of `fn`; in poll mode or from a callback the first call comes with the next dispatch.
/// `free_userdata` (may be NULL) runs exactly once, after the last call of `fn`, also when this
/// function fails. On success `*out` receives the watch.
#[no_mangle]
pub unsafe extern "C" fn zkrs_data_watch_new(
    c: *mut zkrs_client,
    path: *const c_char,
    r#fn: zkrs_data_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    out: *mut *mut zkrs_data_watch,
) -> zkrs_rc {
    ffi_guard! {
        let ctx = CallbackCtx::new(userdata, free_userdata);
        let Some(f) = r#fn else { return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL") };
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let r = DataWatch::new(&c.client, path, move |data, stat, ev| {
            let ctx = &ctx;
            let st = stat.map(zkrs_stat::from);
            let ev = ev.map(CEvent::new);
            let raw = ev.as_ref().map(CEvent::raw);
            let (p, n) = data.map_or((std::ptr::null(), 0), |d| (d.as_ptr(), d.len()));
            // SAFETY: a C callback given for this userdata; the arguments outlive the call.
            unsafe {
                f(ctx.ud.0, p, n, st.as_ref().map_or(std::ptr::null(), |s| s as *const zkrs_stat),
                  raw.as_ref().map_or(std::ptr::null(), |e| e as *const zkrs_watch_event))
            }
        });
        finish(r, |watch| {
            *out = Box::into_raw(Box::new(zkrs_data_watch { _client: c.share(), watch }));
        })
    }
}

/// Stops the watch: removes it from the client and the server; once this returns `fn` is never called
/// again and `free_userdata` has run (called from inside `fn`, that call is the last, and
/// `free_userdata` runs when it returns). Idempotent; the handle stays valid until
/// `zkrs_data_watch_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_data_watch_close(w: *mut zkrs_data_watch) -> zkrs_rc {
    ffi_guard! {
        let w = try_arg!(super::ref_arg(w as *const zkrs_data_watch, "w"));
        w.watch.stop();
        codes::OK
    }
}

/// Whether the watch has stopped (closed, `fn` returned `false`, client closed). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_data_watch_is_stopped(w: *const zkrs_data_watch) -> bool {
    ffi_guard! {
        w.as_ref().is_some_and(|w| w.watch.is_stopped())
    }
}

/// Stops the watch (as `zkrs_data_watch_close`) and releases the handle. NULL does nothing. Not from
/// inside its own `fn` (close it there, free it later).
#[no_mangle]
pub unsafe extern "C" fn zkrs_data_watch_free(w: *mut zkrs_data_watch) {
    ffi_guard! {
        if !w.is_null() {
            let w = Box::from_raw(w);
            w.watch.stop();
        }
    }
}

/// Starts a ChildrenWatch on `path` (kazoo's `ChildrenWatch`): `fn` is called with the node's
/// children at once and after every change of them, until it returns `false`, the watch is closed or
/// freed, the node is deleted (then without a call), or the client is closed. The node must exist:
/// `ZKRS_RC_NO_NODE` otherwise (in thread mode; in poll mode or from a callback the watch just stops).
/// `allow_session_lost`: go on in a new session after expiry (kazoo's default `true`); `false` stops
/// the watch when the session is lost. `send_event`: pass the causing event to `fn`.
///
/// Threads, first call, reconnections, removal from the server and `free_userdata` as for
/// `zkrs_data_watch_new`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zkrs_children_watch_new(
    c: *mut zkrs_client,
    path: *const c_char,
    allow_session_lost: bool,
    send_event: bool,
    r#fn: zkrs_children_watch_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    out: *mut *mut zkrs_children_watch,
) -> zkrs_rc {
    ffi_guard! {
        let ctx = CallbackCtx::new(userdata, free_userdata);
        let Some(f) = r#fn else { return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL") };
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let options = ChildrenWatchOptions { allow_session_lost, send_event };
        let r = ChildrenWatch::new(&c.client, path, options, move |children, ev| {
            let ctx = &ctx;
            let Ok(list) = zkrs_string_list::new(children.to_vec()) else { return true };
            let ev = ev.map(CEvent::new);
            let raw = ev.as_ref().map(CEvent::raw);
            // SAFETY: a C callback given for this userdata; the arguments outlive the call.
            unsafe { f(ctx.ud.0, &list, raw.as_ref().map_or(std::ptr::null(), |e| e as *const zkrs_watch_event)) }
        });
        finish(r, |watch| {
            *out = Box::into_raw(Box::new(zkrs_children_watch { _client: c.share(), watch }));
        })
    }
}

/// As `zkrs_data_watch_close`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_children_watch_close(w: *mut zkrs_children_watch) -> zkrs_rc {
    ffi_guard! {
        let w = try_arg!(super::ref_arg(w as *const zkrs_children_watch, "w"));
        w.watch.stop();
        codes::OK
    }
}

/// Whether the watch has stopped (closed, `fn` returned `false`, node deleted, client closed, session
/// lost without `allow_session_lost`). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_children_watch_is_stopped(w: *const zkrs_children_watch) -> bool {
    ffi_guard! {
        w.as_ref().is_some_and(|w| w.watch.is_stopped())
    }
}

/// As `zkrs_data_watch_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_children_watch_free(w: *mut zkrs_children_watch) {
    ffi_guard! {
        if !w.is_null() {
            let w = Box::from_raw(w);
            w.watch.stop();
        }
    }
}

/// A PatientChildrenWatch (`zkrs_patient_children_watch_new`): `zkrs_patient_children_watch_wait`
/// blocks until the children of its node have been stable for a while,
/// `zkrs_patient_children_watch_changed` then tells when they change again. It has no callbacks.
/// Released by `zkrs_patient_children_watch_free` (before or after its client; once the client is
/// closed its calls return `ZKRS_RC_CLOSED`). Its functions may be called from any thread, but not
/// while or after it is freed.
pub struct zkrs_patient_children_watch {
    client: Arc<Handle>,
    watch: PatientChildrenWatch,
    path: String,
    /// The change notice of the last successful wait (kazoo's second result of `start`).
    changed: Mutex<Option<ChildrenChanged>>,
}

unsafe fn patient_arg<'a>(w: *mut zkrs_patient_children_watch) -> Result<&'a zkrs_patient_children_watch, zkrs_rc> {
    let w = super::ref_arg(w as *const zkrs_patient_children_watch, "w")?;
    w.client.usable()?;
    Ok(w)
}

/// A PatientChildrenWatch on the children of `path` (kazoo's `PatientChildrenWatch`), in `*out`:
/// nothing is read or watched until `zkrs_patient_children_watch_wait`. `time_boundary_ms` (>= 0,
/// kazoo's default 30000): how long the children must stay unchanged. `ZKRS_RC_INVALID_PATH` for a bad
/// path, `ZKRS_RC_BAD_ARGUMENTS` for a negative boundary. Release it with
/// `zkrs_patient_children_watch_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_patient_children_watch_new(
    c: *mut zkrs_client,
    path: *const c_char,
    time_boundary_ms: i32,
    out: *mut *mut zkrs_patient_children_watch,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        if let Err(e) = crate::path::validate_path(path, false) {
            return fail_with(&e);
        }
        if time_boundary_ms < 0 {
            return fail(codes::BAD_ARGUMENTS, &format!("time_boundary_ms is {time_boundary_ms}, must be >= 0"));
        }
        let watch = PatientChildrenWatch::new(&c.client, path, Duration::from_millis(time_boundary_ms as u64));
        *out = Box::into_raw(Box::new(zkrs_patient_children_watch {
            client: c.share(),
            watch,
            path: path.to_string(),
            changed: Mutex::new(None),
        }));
        codes::OK
    }
}

/// Blocks the calling thread until the children of the node have not changed for the time boundary,
/// up to `timeout_ms` (-1: no limit), and gives them (names, unsorted) in `*children_out`, which the
/// caller frees with `zkrs_string_list_free`. Every change during the boundary starts it again. Each
/// call waits afresh. `ZKRS_RC_NO_NODE` if the node does not exist, `ZKRS_RC_TIMEOUT` if the children
/// did not settle in time, `ZKRS_RC_CLOSED` / `ZKRS_RC_SESSION_EXPIRED` when the client or the session
/// ends meanwhile, `ZKRS_RC_WOULD_DEADLOCK` inside a callback of the client (the watch that sees
/// changes could not run). With `dispatch=poll`, another thread must be calling
/// `zkrs_client_dispatch` meanwhile.
#[no_mangle]
pub unsafe extern "C" fn zkrs_patient_children_watch_wait(
    w: *mut zkrs_patient_children_watch,
    timeout_ms: i32,
    children_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let w = try_arg!(patient_arg(w));
        let children_out = try_arg!(out_arg(children_out, "children_out"));
        match w.watch.start(try_arg!(wait_limit(timeout_ms))) {
            Ok((children, changed)) => {
                let list = try_arg!(zkrs_string_list::new(children));
                *w.changed.lock() = Some(changed);
                *children_out = Box::into_raw(Box::new(list));
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// Blocks the calling thread up to `timeout_ms` (-1: no limit; 0: only look) until the children
/// given by the last successful `zkrs_patient_children_watch_wait` change (kazoo's async result of
/// `start`). `ZKRS_RC_OK` once they changed or can no longer be vouched for (the session expired);
/// `ZKRS_RC_TIMEOUT` while they are unchanged; `ZKRS_RC_BAD_ARGUMENTS` before any successful wait;
/// `ZKRS_RC_CLOSED` once the client is closed. The change is seen by the client's dispatcher: with `dispatch=poll`, another thread must be
/// calling `zkrs_client_dispatch` meanwhile.
#[no_mangle]
pub unsafe extern "C" fn zkrs_patient_children_watch_changed(
    w: *mut zkrs_patient_children_watch,
    timeout_ms: i32,
) -> zkrs_rc {
    ffi_guard! {
        let w = try_arg!(patient_arg(w));
        // Cloned so a concurrent wait can store its own notice while this one blocks.
        let Some(changed) = w.changed.lock().clone() else {
            return fail(codes::BAD_ARGUMENTS, &format!("no zkrs_patient_children_watch_wait on {} has succeeded yet", w.path));
        };
        match changed.wait(try_arg!(wait_limit(timeout_ms))) {
            Some(_) => codes::OK,
            None => fail(codes::TIMEOUT, &format!("the children of {} are unchanged after {timeout_ms} ms", w.path)),
        }
    }
}

/// Releases the watch (its armed child watch, if any, fires into nothing). NULL does nothing. Not
/// while another thread waits on it.
#[no_mangle]
pub unsafe extern "C" fn zkrs_patient_children_watch_free(w: *mut zkrs_patient_children_watch) {
    ffi_guard! {
        if !w.is_null() {
            drop(Box::from_raw(w));
        }
    }
}
