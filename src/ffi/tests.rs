//! The C ABI from Rust, without a server: argument checks, free_userdata exactly once on every error
//! path, calls after close, pending callbacks answered by close, panics at the boundary, the retry
//! wrapper and the log callback.

use super::acl::*;
use super::buf::*;
use super::client::*;
use super::config::*;
use super::future::*;
use super::log::*;
use super::ops::*;
use super::retry::*;
use super::server::*;
use super::stat::zkrs_stat;
use super::txn::*;
use super::watch::*;
use super::*;
use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last() -> String {
    last_error_text()
}

/// A client that is never started (nothing listens on port 1), so requests only queue.
unsafe fn idle_client(extra: &[(&str, &str)]) -> *mut zkrs_client {
    let mut cfg = null_mut();
    assert_eq!(zkrs_config_new(&mut cfg), codes::OK);
    assert_eq!(zkrs_config_set(cfg, c("hosts").as_ptr(), c("127.0.0.1:1").as_ptr()), codes::OK);
    for (k, v) in extra {
        assert_eq!(zkrs_config_set(cfg, c(k).as_ptr(), c(v).as_ptr()), codes::OK);
    }
    let mut client = null_mut();
    assert_eq!(zkrs_client_new(cfg, &mut client), codes::OK);
    zkrs_config_free(cfg);
    client
}

static FREED: AtomicUsize = AtomicUsize::new(0);

/// A free_userdata that counts into the AtomicUsize its userdata points to.
unsafe extern "C" fn count_free(ud: *mut c_void) {
    (*(ud as *const AtomicUsize)).fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn ignore_event(_: *mut c_void, _: *const zkrs_watch_event) {}

fn ud(counter: &AtomicUsize) -> *mut c_void {
    counter as *const AtomicUsize as *mut c_void
}

#[test]
fn a_panic_becomes_the_panic_code_with_its_message() {
    fn rc_body() -> zkrs_rc {
        ffi_guard! {
            if std::hint::black_box(true) {
                panic!("deliberate {}", 42);
            }
            codes::OK
        }
    }
    fn ptr_body() -> *const c_char {
        ffi_guard! { panic!("deliberate pointer") }
    }
    assert_eq!(rc_body(), codes::PANIC);
    assert!(last().contains("deliberate 42"), "{}", last());
    assert!(ptr_body().is_null());
    assert!(last().contains("deliberate pointer"));
}

#[test]
fn arguments_are_checked_before_anything_happens() {
    unsafe {
        let zk = idle_client(&[]);
        let mut buf = null_mut();
        let bad_utf8 = b"/\xff\xfe\0";

        assert_eq!(
            zkrs_client_get_data(null_mut(), c("/a").as_ptr(), null(), &mut buf, null_mut()),
            codes::NULL_ARGUMENT
        );
        assert_eq!(zkrs_client_get_data(zk, null(), null(), &mut buf, null_mut()), codes::NULL_ARGUMENT);
        assert!(last().contains("`path`"), "{}", last());
        assert_eq!(
            zkrs_client_get_data(zk, bad_utf8.as_ptr().cast(), null(), &mut buf, null_mut()),
            codes::INVALID_UTF8
        );
        assert_eq!(zkrs_client_get_data(zk, c("relative").as_ptr(), null(), &mut buf, null_mut()), codes::INVALID_PATH);
        assert_eq!(zkrs_client_get_data(zk, c("/a//b").as_ptr(), null(), &mut buf, null_mut()), codes::INVALID_PATH);
        assert_eq!(zkrs_client_get_data(zk, c("/a").as_ptr(), null(), null_mut(), null_mut()), codes::NULL_ARGUMENT);
        assert!(buf.is_null(), "out-parameters are written only on success");

        let big = vec![7u8; (1 << 20) + 1];
        let p = c("/big");
        assert_eq!(
            zkrs_client_create(zk, p.as_ptr(), big.as_ptr(), big.len(), null(), null_mut(), null_mut()),
            codes::DATA_TOO_LARGE
        );
        assert_eq!(
            zkrs_client_set_data(zk, p.as_ptr(), big.as_ptr(), big.len(), -1, null_mut()),
            codes::DATA_TOO_LARGE
        );
        assert_eq!(zkrs_client_create(zk, p.as_ptr(), null(), 5, null(), null_mut(), null_mut()), codes::NULL_ARGUMENT);
        let opts = zkrs_create_options { mode: 99, ttl_ms: 0, acl: null(), makepath: false };
        assert_eq!(zkrs_client_create(zk, p.as_ptr(), null(), 0, &opts, null_mut(), null_mut()), codes::BAD_ARGUMENTS);
        let ttl =
            zkrs_create_options { mode: ZKRS_CREATE_PERSISTENT_WITH_TTL, ttl_ms: 0, acl: null(), makepath: false };
        assert_eq!(zkrs_client_create(zk, p.as_ptr(), null(), 0, &ttl, null_mut(), null_mut()), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_client_delete(zk, p.as_ptr(), 3, true), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_client_get_data_async(zk, p.as_ptr(), null(), None, null_mut()), codes::NULL_ARGUMENT);

        assert_eq!(zkrs_client_remove_watches(zk, p.as_ptr(), 42, false), codes::BAD_ARGUMENTS);
        let (j, n) = (c("server.4=h:1:2;3"), c("server.1=h:1:2;3"));
        let mut data = null_mut();
        assert_eq!(
            zkrs_client_reconfig(zk, j.as_ptr(), null(), n.as_ptr(), -1, &mut data, null_mut()),
            codes::BAD_ARGUMENTS
        );
        assert_eq!(zkrs_client_multi_read(zk, null(), 2, &mut null_mut()), codes::NULL_ARGUMENT);
        let ops = [zkrs_read_op { kind: 9, path: p.as_ptr() }];
        assert_eq!(zkrs_client_multi_read(zk, ops.as_ptr(), 1, &mut null_mut()), codes::BAD_ARGUMENTS);

        let mut fd = 0;
        assert_eq!(zkrs_client_dispatch(zk, 0, null_mut()), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_client_event_fd(zk, &mut fd), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_client_id_string(zk, &mut buf), codes::NOT_CONNECTED);
        assert_eq!(zkrs_client_current_server(zk, &mut buf), codes::NOT_CONNECTED);
        assert_eq!(zkrs_client_set_hosts(zk, c("127.0.0.1:2/other").as_ptr()), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_client_command(zk, c("RUOK!").as_ptr(), &mut buf), codes::BAD_ARGUMENTS);

        let mut acl = null_mut();
        assert_eq!(zkrs_acl_list_new(&mut acl), codes::OK);
        assert_eq!(zkrs_acl_list_add(acl, 64, c("world").as_ptr(), c("anyone").as_ptr()), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_acl_list_len(acl), 0);
        zkrs_acl_list_free(acl);

        zkrs_client_free(zk);
    }
}

#[test]
fn free_userdata_runs_exactly_once_when_a_registration_fails() {
    unsafe {
        let zk = idle_client(&[]);
        let n = AtomicUsize::new(0);
        let p = c("/w");

        // A watcher without fn, and a valid watcher given to a call with a bad path.
        let w = zkrs_watcher { r#fn: None, userdata: ud(&n), free_userdata: Some(count_free) };
        assert_eq!(zkrs_client_exists(zk, p.as_ptr(), &w, &mut false, null_mut()), codes::NULL_ARGUMENT);
        let w = zkrs_watcher { r#fn: Some(ignore_event), userdata: ud(&n), free_userdata: Some(count_free) };
        assert_eq!(zkrs_client_exists(zk, c("bad").as_ptr(), &w, &mut false, null_mut()), codes::INVALID_PATH);
        assert_eq!(n.load(Ordering::SeqCst), 2);

        // Persistent watches and state listeners.
        let mut h = null_mut();
        assert_eq!(
            zkrs_client_add_watch(zk, p.as_ptr(), 0, None, ud(&n), Some(count_free), &mut h),
            codes::NULL_ARGUMENT
        );
        assert_eq!(
            zkrs_client_add_watch(zk, c("x").as_ptr(), 0, Some(ignore_event), ud(&n), Some(count_free), &mut h),
            codes::INVALID_PATH
        );
        assert_eq!(
            zkrs_client_add_watch(zk, p.as_ptr(), 7, Some(ignore_event), ud(&n), Some(count_free), &mut h),
            codes::BAD_ARGUMENTS
        );
        assert!(h.is_null());
        assert_eq!(
            zkrs_client_add_state_listener(zk, None, ud(&n), Some(count_free), null_mut()),
            codes::NULL_ARGUMENT
        );
        assert_eq!(n.load(Ordering::SeqCst), 6);

        // A listener that was added is released at close, once.
        let mut id = 0;
        unsafe extern "C" fn on_state(_: *mut c_void, _: *const zkrs_state_event) {}
        assert_eq!(zkrs_client_add_state_listener(zk, Some(on_state), ud(&n), Some(count_free), &mut id), codes::OK);
        assert_eq!(zkrs_client_close(zk), codes::OK);
        assert_eq!(n.load(Ordering::SeqCst), 7);
        assert_eq!(zkrs_client_remove_state_listener(zk, id), codes::CLOSED);

        // After close: registrations fail and still release their userdata.
        assert_eq!(
            zkrs_client_add_watch(zk, p.as_ptr(), 0, Some(ignore_event), ud(&n), Some(count_free), &mut h),
            codes::CLOSED
        );
        assert_eq!(
            zkrs_client_add_state_listener(zk, Some(on_state), ud(&n), Some(count_free), null_mut()),
            codes::CLOSED
        );
        assert_eq!(n.load(Ordering::SeqCst), 9);
        zkrs_client_free(zk);
        assert_eq!(n.load(Ordering::SeqCst), 9);
    }
}

#[test]
fn the_transaction_builder_refuses_bad_ops_and_stays_usable() {
    unsafe {
        let zk = idle_client(&[]);
        let mut t = null_mut();
        assert_eq!(zkrs_txn_new(zk, &mut t), codes::OK);
        assert_eq!(zkrs_txn_check(t, c("/a").as_ptr(), 1), codes::OK);
        assert_eq!(zkrs_txn_create(t, c("a").as_ptr(), null(), 0, null()), codes::INVALID_PATH);
        let big = vec![0u8; 2 << 20];
        assert_eq!(zkrs_txn_set_data(t, c("/a").as_ptr(), big.as_ptr(), big.len(), -1), codes::DATA_TOO_LARGE);
        let makepath = zkrs_create_options { mode: 0, ttl_ms: 0, acl: null(), makepath: true };
        assert_eq!(zkrs_txn_create(t, c("/a/b").as_ptr(), null(), 0, &makepath), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_txn_delete(t, c("/a").as_ptr(), -1), codes::OK);
        assert_eq!(zkrs_txn_delete(null_mut(), c("/a").as_ptr(), -1), codes::NULL_ARGUMENT);
        assert_eq!(zkrs_txn_len(t), 2);

        assert_eq!(zkrs_client_close(zk), codes::OK);
        let mut results = null_mut();
        assert_eq!(zkrs_txn_commit(t, &mut results), codes::CLOSED);
        assert!(results.is_null());
        // Freed in either order.
        zkrs_client_free(zk);
        zkrs_txn_free(t);
        assert_eq!(zkrs_txn_results_len(null()), 0);
        assert_eq!(zkrs_txn_results_failed_index(null()), -1);
    }
}

struct Completion {
    calls: AtomicUsize,
    rc: std::sync::atomic::AtomicI32,
}

unsafe extern "C" fn on_data(
    ud: *mut c_void,
    rc: zkrs_rc,
    detail: *const c_char,
    data: *const u8,
    _: usize,
    stat: *const zkrs_stat,
) {
    let done = &*(ud as *const Completion);
    assert!(!detail.is_null());
    assert!(data.is_null() && stat.is_null(), "no result on failure");
    done.rc.store(rc, Ordering::SeqCst);
    done.calls.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn close_answers_every_pending_call_once_and_later_calls_are_refused() {
    unsafe {
        let zk = idle_client(&[]);
        let done = Completion { calls: AtomicUsize::new(0), rc: Default::default() };
        let p = c("/pending");
        let n = AtomicUsize::new(0);
        let w = zkrs_watcher { r#fn: Some(ignore_event), userdata: ud(&n), free_userdata: Some(count_free) };
        assert_eq!(
            zkrs_client_get_data_async(zk, p.as_ptr(), &w, Some(on_data), &done as *const _ as *mut _),
            codes::OK
        );
        let mut f = null_mut();
        assert_eq!(zkrs_client_get_children_future(zk, p.as_ptr(), null(), &mut f), codes::OK);
        assert!(!zkrs_future_ready(f));
        assert_eq!(zkrs_future_wait(f, 0), codes::TIMEOUT);
        let mut children = null_mut();
        assert_eq!(zkrs_future_get_children(f, 10, &mut children, null_mut()), codes::TIMEOUT);

        assert_eq!(zkrs_client_close(zk), codes::OK);
        assert_eq!(done.calls.load(Ordering::SeqCst), 1, "the callback ran before close returned");
        assert_eq!(done.rc.load(Ordering::SeqCst), codes::CLOSING);
        assert_eq!(n.load(Ordering::SeqCst), 1, "the never-armed watcher was released");
        assert!(zkrs_future_ready(f));
        assert_eq!(zkrs_future_get(f, 0), codes::CLOSING);
        assert_eq!(zkrs_future_get_children(f, 0, &mut children, null_mut()), codes::CLOSING);
        assert!(children.is_null());
        let mut stat = zkrs_stat::default();
        assert_eq!(zkrs_future_get_stat(f, 0, &mut stat), codes::CLOSING);

        let mut buf = null_mut();
        assert_eq!(zkrs_client_get_data(zk, p.as_ptr(), null(), &mut buf, null_mut()), codes::CLOSED);
        assert!(last().contains("closed"));
        assert_eq!(zkrs_client_get_data_async(zk, p.as_ptr(), null(), Some(on_data), null_mut()), codes::CLOSED);
        assert_eq!(zkrs_client_whoami(zk, &mut null_mut()), codes::CLOSED);
        assert_eq!(zkrs_client_start(zk, 0), codes::CLOSED);
        assert_eq!(zkrs_client_close(zk), codes::OK, "closing twice is fine");
        let mut state = 0;
        assert_eq!(zkrs_client_state(zk, &mut state), codes::OK);
        assert_eq!(state, ZKRS_STATE_CLOSED);
        assert_eq!(done.calls.load(Ordering::SeqCst), 1);
        unsafe extern "C" fn never(_: *mut c_void, _: *mut zkrs_future) {
            panic!("no callback runs after close");
        }
        assert_eq!(zkrs_future_then(f, Some(never), null_mut()), codes::CLOSED);
        zkrs_client_free(zk);
        assert_eq!(zkrs_future_get(f, 0), codes::CLOSING, "a future outlives its client");
        zkrs_future_free(f);
    }
}

#[test]
fn poll_mode_has_an_event_fd() {
    unsafe {
        let zk = idle_client(&[("dispatch", "poll")]);
        let mut fd = -1;
        assert_eq!(zkrs_client_event_fd(zk, &mut fd), codes::OK);
        assert!(fd >= 0);
        let mut served = 99;
        assert_eq!(zkrs_client_dispatch(zk, 0, &mut served), codes::OK);
        assert_eq!(served, 0);
        zkrs_client_free(zk);
    }
}

struct Flaky {
    calls: AtomicUsize,
    fail_first: usize,
    rc: zkrs_rc,
}

unsafe extern "C" fn flaky(ud: *mut c_void) -> zkrs_rc {
    let f = &*(ud as *const Flaky);
    if f.calls.fetch_add(1, Ordering::SeqCst) < f.fail_first {
        set_last_error("flaky failure");
        f.rc
    } else {
        codes::OK
    }
}

#[test]
fn retry_call_retries_what_kazoo_retries() {
    unsafe {
        let mut r = null_mut();
        assert_eq!(zkrs_retry_new(&mut r), codes::OK);
        assert_eq!(zkrs_retry_set_max_tries(r, 0), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_retry_set_backoff(r, f64::NAN), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_retry_set_delay_ms(r, -5), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_retry_set(r, c("nope").as_ptr(), c("1").as_ptr()), codes::UNKNOWN_CONFIG_KEY);
        assert_eq!(zkrs_retry_set(r, c("max_tries").as_ptr(), c("x").as_ptr()), codes::INVALID_CONFIG_VALUE);
        assert_eq!(zkrs_retry_set_max_tries(r, 3), codes::OK);
        assert_eq!(zkrs_retry_set_delay_ms(r, 1), codes::OK);
        assert_eq!(zkrs_retry_set(r, c("max_delay_ms").as_ptr(), c("2").as_ptr()), codes::OK);

        let run = |fail_first, rc| {
            let f = Flaky { calls: AtomicUsize::new(0), fail_first, rc };
            let out = zkrs_retry_call(r, null_mut(), Some(flaky), &f as *const Flaky as *mut c_void);
            (out, f.calls.load(Ordering::SeqCst))
        };
        assert_eq!(run(2, codes::CONNECTION_LOSS), (codes::OK, 3));
        assert_eq!(run(1, codes::FORCE_RETRY), (codes::OK, 2));
        assert_eq!(run(5, codes::OPERATION_TIMEOUT), (codes::RETRY_FAILED, 3));
        assert!(last().contains("flaky failure"), "{}", last());
        assert_eq!(run(5, codes::NO_NODE), (codes::NO_NODE, 1));
        assert_eq!(last(), "flaky failure", "the function's own message is kept");
        assert_eq!(zkrs_retry_set_ignore_expire(r, false), codes::OK);
        assert_eq!(run(5, codes::SESSION_EXPIRED), (codes::SESSION_EXPIRED, 1));
        assert_eq!(zkrs_retry_call(r, null_mut(), None, null_mut()), codes::NULL_ARGUMENT);

        // With a closed client: refused before the first call.
        let zk = idle_client(&[]);
        zkrs_client_close(zk);
        assert_eq!(zkrs_retry_call(r, zk, Some(flaky), null_mut()), codes::CLOSED);
        zkrs_client_free(zk);
        zkrs_retry_free(r);
    }
}

#[test]
fn the_log_callback_gets_lines_and_is_released_when_replaced() {
    static LINES: std::sync::Mutex<Vec<(i32, String)>> = std::sync::Mutex::new(Vec::new());
    unsafe extern "C" fn on_log(_: *mut c_void, level: i32, message: *const c_char) {
        let text = std::ffi::CStr::from_ptr(message).to_string_lossy().into_owned();
        LINES.lock().unwrap().push((level, text));
    }
    unsafe {
        let n = AtomicUsize::new(0);
        assert_eq!(zkrs_set_log_level(9), codes::BAD_ARGUMENTS);
        assert_eq!(zkrs_set_log_callback(Some(on_log), ud(&n), Some(count_free)), codes::OK);
        crate::log::emit(crate::log::Level::Error, format_args!("ffi log test {}", 7));
        assert!(LINES.lock().unwrap().iter().any(|(l, t)| *l == ZKRS_LOG_ERROR && t == "ffi log test 7"));
        assert_eq!(n.load(Ordering::SeqCst), 0);
        assert_eq!(zkrs_set_log_callback(None, ud(&FREED), None), codes::OK);
        assert_eq!(n.load(Ordering::SeqCst), 1, "the replaced callback's userdata is released once");
        assert!(zkrs_log_level() >= ZKRS_LOG_ERROR);
    }
}

#[test]
fn results_and_lists_tolerate_null_and_bad_indexes() {
    unsafe {
        assert_eq!(zkrs_buf_len(null()), 0);
        assert!(zkrs_buf_data(null()).is_null());
        assert!(zkrs_string_list_get(null(), 0).is_null());
        assert_eq!(zkrs_read_results_len(null()), 0);
        assert_eq!(zkrs_client_info_list_len(null()), 0);
        let (mut s, mut u) = (null(), null());
        assert_eq!(zkrs_client_info_list_get(null(), 0, &mut s, &mut u), codes::NULL_ARGUMENT);
        assert_eq!(
            zkrs_txn_results_get(null(), 0, null_mut(), null_mut(), null_mut(), null_mut()),
            codes::NULL_ARGUMENT
        );
        assert_eq!(zkrs_future_wait(null_mut(), 0), codes::NULL_ARGUMENT);
        assert!(!zkrs_future_ready(null()));
        assert_eq!(zkrs_watch_remove(null_mut()), codes::NULL_ARGUMENT);
        zkrs_buf_free(null_mut());
        zkrs_string_list_free(null_mut());
        zkrs_txn_free(null_mut());
        zkrs_txn_results_free(null_mut());
        zkrs_read_results_free(null_mut());
        zkrs_client_info_list_free(null_mut());
        zkrs_watch_free(null_mut());
        zkrs_future_free(null_mut());
        zkrs_retry_free(null_mut());
        zkrs_client_free(null_mut());
        zkrs_config_free(null_mut());
    }
}

#[test]
fn a_forked_child_is_refused_and_free_touches_nothing() {
    unsafe {
        let zk = idle_client(&[]);
        let mut t = null_mut();
        assert_eq!(zkrs_txn_new(zk, &mut t), codes::OK);
        let path = c("/a");
        let pid = libc::fork();
        if pid == 0 {
            let mut buf = null_mut();
            let ok = zkrs_client_get_data(zk, path.as_ptr(), null(), &mut buf, null_mut()) == codes::FORKED
                && zkrs_client_close(zk) == codes::FORKED
                && zkrs_txn_commit(t, null_mut()) == codes::FORKED
                && last().contains("another process");
            zkrs_txn_free(t);
            zkrs_client_free(zk);
            libc::_exit(if ok { 0 } else { 1 });
        }
        assert!(pid > 0);
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child status {status}");
        zkrs_txn_free(t);
        zkrs_client_free(zk);
    }
}
