//! Logging: where zkrs's log lines go (stderr by default, or a C callback) and the level.

use super::watch::zkrs_free_fn;
use super::{fail, to_cstring, zkrs_rc, UserData};
use crate::error::codes;
use crate::log::Level;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// Log level: failures.
pub const ZKRS_LOG_ERROR: i32 = 1;
/// Log level: problems handled, insecure settings (the default).
pub const ZKRS_LOG_WARN: i32 = 2;
/// Log level: connections and sessions coming and going.
pub const ZKRS_LOG_INFO: i32 = 3;
/// Log level: protocol and state machine details.
pub const ZKRS_LOG_DEBUG: i32 = 4;
/// Log level: every frame.
pub const ZKRS_LOG_TRACE: i32 = 5;

/// A log callback: `level` (`ZKRS_LOG_*`) and the message (NUL-terminated UTF-8, no trailing newline,
/// borrowed: valid only during the call). It may run on any thread of zkrs, also concurrently; it must
/// be quick and must not call zkrs.
pub type zkrs_log_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, level: i32, message: *const c_char)>;

struct LogCtx {
    f: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    ud: UserData,
    free: zkrs_free_fn,
}

impl LogCtx {
    fn call(&self, level: Level, text: &str) {
        let message = to_cstring(text);
        // SAFETY: a C callback given for this userdata; the message outlives the call.
        unsafe { (self.f)(self.ud.0, level as i32, message.as_ptr()) }
    }
}

impl Drop for LogCtx {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller gave this function for this userdata.
            unsafe { free(self.ud.0) }
        }
    }
}

/// Sends zkrs's log lines (of every client, process-wide) to `fn` instead of stderr; NULL `fn` sends
/// them to stderr again. The callback replaced (if any) gets its `free_userdata` called exactly once,
/// after its last call. `free_userdata` (may be NULL) is likewise called once for this `userdata` when
/// this callback is replaced — or at once if `fn` is NULL. Lines below the level
/// (`zkrs_set_log_level`) are not produced at all.
#[no_mangle]
pub unsafe extern "C" fn zkrs_set_log_callback(
    r#fn: zkrs_log_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let Some(f) = r#fn else {
            crate::log::set_sink(None);
            if let Some(free) = free_userdata {
                free(userdata);
            }
            return codes::OK;
        };
        let ctx = LogCtx { f, ud: UserData(userdata), free: free_userdata };
        crate::log::set_sink(Some(Arc::new(move |level: Level, text: &str| ctx.call(level, text))));
        codes::OK
    }
}

/// Sets the most verbose level logged, process-wide (`ZKRS_LOG_ERROR` .. `ZKRS_LOG_TRACE`). The default
/// is `ZKRS_LOG_WARN`, or the environment variable `ZKRS_LOG_LEVEL` (`error`, `warn`, `info`, `debug`,
/// `trace`); a client's config key `log_level` sets it too. `ZKRS_RC_BAD_ARGUMENTS` for another number.
#[no_mangle]
pub extern "C" fn zkrs_set_log_level(level: i32) -> zkrs_rc {
    ffi_guard! {
        match Level::parse(&level.to_string()) {
            Some(l) => {
                crate::log::set_max_level(l);
                codes::OK
            }
            None => fail(codes::BAD_ARGUMENTS, &format!("log level {level}: expected 1 (error) to 5 (trace)")),
        }
    }
}

/// The most verbose level logged now (`ZKRS_LOG_*`).
#[no_mangle]
pub extern "C" fn zkrs_log_level() -> i32 {
    ffi_guard! { crate::log::max_level() as i32 }
}
