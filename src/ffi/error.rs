//! Result codes: `zkrs_rc` with the numbers of the Rust core (ZooKeeper's own for server and protocol
//! errors, zkrs's from -1000 down), their names and messages, and a table bindings can enumerate.

use crate::error::{code_message, code_name, codes, CODE_TABLE};
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

/// The result of every fallible function: `ZKRS_RC_OK` (0) or a negative error code. Server and
/// protocol errors keep the ZooKeeper C client's numbers; zkrs's own errors are -1000 and below.
/// Numbers are never reused.
pub type zkrs_rc = i32;

/// Ok.
pub const ZKRS_RC_OK: zkrs_rc = 0;
/// System error.
pub const ZKRS_RC_SYSTEM_ERROR: zkrs_rc = -1;
/// Run time inconsistency.
pub const ZKRS_RC_RUNTIME_INCONSISTENCY: zkrs_rc = -2;
/// Data inconsistency.
pub const ZKRS_RC_DATA_INCONSISTENCY: zkrs_rc = -3;
/// Connection loss.
pub const ZKRS_RC_CONNECTION_LOSS: zkrs_rc = -4;
/// Marshalling error.
pub const ZKRS_RC_MARSHALLING_ERROR: zkrs_rc = -5;
/// Unimplemented.
pub const ZKRS_RC_UNIMPLEMENTED: zkrs_rc = -6;
/// Operation timeout.
pub const ZKRS_RC_OPERATION_TIMEOUT: zkrs_rc = -7;
/// Bad arguments.
pub const ZKRS_RC_BAD_ARGUMENTS: zkrs_rc = -8;
/// Invalid state.
pub const ZKRS_RC_INVALID_STATE: zkrs_rc = -9;
/// Unknown session.
pub const ZKRS_RC_UNKNOWN_SESSION: zkrs_rc = -12;
/// No quorum of the new config is connected and up to date.
pub const ZKRS_RC_NEW_CONFIG_NO_QUORUM: zkrs_rc = -13;
/// Another reconfiguration is in progress.
pub const ZKRS_RC_RECONFIG_IN_PROGRESS: zkrs_rc = -14;
/// TLS connection error.
pub const ZKRS_RC_SSL_CONNECTION_ERROR: zkrs_rc = -15;
/// Api error.
pub const ZKRS_RC_API_ERROR: zkrs_rc = -100;
/// No node.
pub const ZKRS_RC_NO_NODE: zkrs_rc = -101;
/// Not authenticated.
pub const ZKRS_RC_NO_AUTH: zkrs_rc = -102;
/// Bad version.
pub const ZKRS_RC_BAD_VERSION: zkrs_rc = -103;
/// No children for ephemerals.
pub const ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS: zkrs_rc = -108;
/// Node exists.
pub const ZKRS_RC_NODE_EXISTS: zkrs_rc = -110;
/// Not empty.
pub const ZKRS_RC_NOT_EMPTY: zkrs_rc = -111;
/// Session expired.
pub const ZKRS_RC_SESSION_EXPIRED: zkrs_rc = -112;
/// Invalid callback.
pub const ZKRS_RC_INVALID_CALLBACK: zkrs_rc = -113;
/// Invalid acl.
pub const ZKRS_RC_INVALID_ACL: zkrs_rc = -114;
/// Authentication failed.
pub const ZKRS_RC_AUTH_FAILED: zkrs_rc = -115;
/// Client is closing.
pub const ZKRS_RC_CLOSING: zkrs_rc = -116;
/// No server responses to process.
pub const ZKRS_RC_NOTHING: zkrs_rc = -117;
/// Session moved to another server.
pub const ZKRS_RC_SESSION_MOVED: zkrs_rc = -118;
/// State-changing request sent to a read-only server.
pub const ZKRS_RC_NOT_READ_ONLY: zkrs_rc = -119;
/// Ephemeral node on a local session.
pub const ZKRS_RC_EPHEMERAL_ON_LOCAL_SESSION: zkrs_rc = -120;
/// No such watcher.
pub const ZKRS_RC_NO_WATCHER: zkrs_rc = -121;
/// Request timeout.
pub const ZKRS_RC_REQUEST_TIMEOUT: zkrs_rc = -122;
/// Reconfiguration is disabled.
pub const ZKRS_RC_RECONFIG_DISABLED: zkrs_rc = -123;
/// Session closed: the server requires SASL authentication.
pub const ZKRS_RC_SESSION_CLOSED_REQUIRE_SASL_AUTH: zkrs_rc = -124;
/// Quota exceeded.
pub const ZKRS_RC_QUOTA_EXCEEDED: zkrs_rc = -125;
/// Operation throttled due to high load.
pub const ZKRS_RC_THROTTLED_OP: zkrs_rc = -127;
/// A required pointer argument is NULL.
pub const ZKRS_RC_NULL_ARGUMENT: zkrs_rc = -1000;
/// Invalid path.
pub const ZKRS_RC_INVALID_PATH: zkrs_rc = -1001;
/// Text is not valid UTF-8.
pub const ZKRS_RC_INVALID_UTF8: zkrs_rc = -1002;
/// Data too large.
pub const ZKRS_RC_DATA_TOO_LARGE: zkrs_rc = -1003;
/// Client is closed.
pub const ZKRS_RC_CLOSED: zkrs_rc = -1004;
/// Timed out.
pub const ZKRS_RC_TIMEOUT: zkrs_rc = -1005;
/// Waiting would deadlock.
pub const ZKRS_RC_WOULD_DEADLOCK: zkrs_rc = -1006;
/// Internal error (panic caught).
pub const ZKRS_RC_PANIC: zkrs_rc = -1007;
/// Unknown configuration key.
pub const ZKRS_RC_UNKNOWN_CONFIG_KEY: zkrs_rc = -1008;
/// Invalid configuration value.
pub const ZKRS_RC_INVALID_CONFIG_VALUE: zkrs_rc = -1009;
/// Request queue full.
pub const ZKRS_RC_QUEUE_FULL: zkrs_rc = -1010;
/// Retry policy gave up.
pub const ZKRS_RC_RETRY_FAILED: zkrs_rc = -1011;
/// Interrupted.
pub const ZKRS_RC_INTERRUPTED: zkrs_rc = -1012;
/// Retry requested.
pub const ZKRS_RC_FORCE_RETRY: zkrs_rc = -1013;
/// Client used in a forked child process.
pub const ZKRS_RC_FORKED: zkrs_rc = -1014;
/// Not connected.
pub const ZKRS_RC_NOT_CONNECTED: zkrs_rc = -1015;
/// Unusable TLS configuration (a file is missing, unreadable, invalid or does not match).
pub const ZKRS_RC_TLS_CONFIG: zkrs_rc = -1016;
/// The server's TLS certificate was rejected (untrusted, expired or wrong host).
pub const ZKRS_RC_TLS_CERTIFICATE_REJECTED: zkrs_rc = -1017;
/// Cancelled: a blocking recipe call was cancelled by another thread.
pub const ZKRS_RC_CANCELLED: zkrs_rc = -1018;

/// One entry of the result-code table: the number, its name without the `ZKRS_RC_` prefix
/// (`"NO_NODE"`) and a short message. The strings are static.
#[repr(C)]
pub struct zkrs_rc_desc {
    /// The code.
    pub rc: zkrs_rc,
    /// Its name without the `ZKRS_RC_` prefix, e.g. `"NO_NODE"`.
    pub name: *const c_char,
    /// A short human description, e.g. `"no node"`.
    pub message: *const c_char,
}

struct Table {
    descs: Vec<zkrs_rc_desc>,
    _strings: Vec<CString>,
}
// SAFETY: the table is built once and never changes; its pointers point into `_strings`, which live
// as long as the table (forever).
unsafe impl Send for Table {}
unsafe impl Sync for Table {}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut strings = Vec::with_capacity(2 * CODE_TABLE.len() + 2);
        let mut descs = Vec::with_capacity(CODE_TABLE.len());
        for &(rc, name) in CODE_TABLE {
            let n = CString::new(name).expect("code names have no NUL");
            let m = CString::new(code_message(rc)).expect("code messages have no NUL");
            descs.push(zkrs_rc_desc { rc, name: n.as_ptr(), message: m.as_ptr() });
            strings.push(n);
            strings.push(m);
        }
        Table { descs, _strings: strings }
    })
}

fn find(rc: zkrs_rc) -> Option<&'static zkrs_rc_desc> {
    table().descs.iter().find(|d| d.rc == rc)
}

/// The name of a code without the `ZKRS_RC_` prefix (`"NO_NODE"`), or `"UNKNOWN"` for a number that
/// is not a zkrs code. Static string; never NULL.
#[no_mangle]
pub extern "C" fn zkrs_rc_name(rc: zkrs_rc) -> *const c_char {
    ffi_guard! {
        debug_assert!(find(rc).is_none() || code_name(rc) != "UNKNOWN");
        match find(rc) {
            Some(d) => d.name,
            None => cstr!("UNKNOWN").as_ptr(),
        }
    }
}

/// A short human description of a code (`"no node"`), or `"unknown error"`. Static string; never NULL.
/// For what went wrong in a particular call see `zkrs_last_error_message` or the callback's `detail`.
#[no_mangle]
pub extern "C" fn zkrs_rc_message(rc: zkrs_rc) -> *const c_char {
    ffi_guard! {
        match find(rc) {
            Some(d) => d.message,
            None => cstr!("unknown error").as_ptr(),
        }
    }
}

/// Whether retrying the operation may succeed, by kazoo's rules: `ZKRS_RC_CONNECTION_LOSS`,
/// `ZKRS_RC_OPERATION_TIMEOUT` and `ZKRS_RC_FORCE_RETRY`. `ZKRS_RC_SESSION_EXPIRED` is not (a retry
/// policy with `ignore_expire` retries it anyway).
#[no_mangle]
pub extern "C" fn zkrs_rc_is_retriable(rc: zkrs_rc) -> bool {
    ffi_guard! {
        matches!(rc, codes::CONNECTION_LOSS | codes::OPERATION_TIMEOUT | codes::FORCE_RETRY)
    }
}

/// Every result code, for bindings that generate their error tables: returns the first of `*len_out`
/// entries (static; never freed). `len_out` must not be NULL (else NULL is returned).
#[no_mangle]
pub unsafe extern "C" fn zkrs_rc_table(len_out: *mut usize) -> *const zkrs_rc_desc {
    ffi_guard! {
        if len_out.is_null() {
            super::set_last_error("argument `len_out` is NULL");
            return std::ptr::null();
        }
        let t = table();
        *len_out = t.descs.len();
        t.descs.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn table_matches_core() {
        let mut n = 0;
        let p = unsafe { zkrs_rc_table(&mut n) };
        let descs = unsafe { std::slice::from_raw_parts(p, n) };
        assert_eq!(n, CODE_TABLE.len());
        for (d, &(rc, name)) in descs.iter().zip(CODE_TABLE) {
            assert_eq!(d.rc, rc);
            assert_eq!(unsafe { CStr::from_ptr(d.name) }.to_str().unwrap(), name);
            assert_eq!(unsafe { CStr::from_ptr(zkrs_rc_name(rc)) }.to_str().unwrap(), name);
        }
        assert_eq!(unsafe { CStr::from_ptr(zkrs_rc_name(12345)) }.to_str().unwrap(), "UNKNOWN");
        assert!(zkrs_rc_is_retriable(ZKRS_RC_CONNECTION_LOSS));
        assert!(!zkrs_rc_is_retriable(ZKRS_RC_NO_NODE));
    }
}
