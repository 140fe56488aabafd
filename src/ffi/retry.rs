//! `zkrs_retry`: kazoo's retry policy for C — a policy object with setters, and a wrapper that runs a C
//! function under it.

use super::client::{zkrs_client, Handle};
use super::{code_of, fail, fail_with, last_error_text, out_arg, ref_arg, str_arg, zkrs_rc};
use crate::error::{codes, Error};
use crate::retry::RetryPolicy;
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// How to retry an operation (kazoo's `KazooRetry`): up to `max_tries` calls, sleeping `delay` times
/// `backoff` to the power of the retry, with `max_jitter` relative jitter, at most `max_delay` per sleep,
/// within `deadline`. Retried codes: `ZKRS_RC_CONNECTION_LOSS`, `ZKRS_RC_OPERATION_TIMEOUT`,
/// `ZKRS_RC_FORCE_RETRY`, and `ZKRS_RC_SESSION_EXPIRED` while `ignore_expire` is set. Created by
/// `zkrs_retry_new`, released by `zkrs_retry_free`. Setting is single-threaded; once set up, one policy
/// may be used by `zkrs_retry_call` from many threads at once.
pub struct zkrs_retry {
    policy: RetryPolicy,
}

/// Creates a policy with kazoo's defaults in `*out`: max_tries 1 (no retry), delay 100 ms, backoff 2,
/// max_jitter 0.4, max_delay 60 s, no deadline, ignore_expire true.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_new(out: *mut *mut zkrs_retry) -> zkrs_rc {
    ffi_guard! {
        let out = try_arg!(out_arg(out, "out"));
        *out = Box::into_raw(Box::new(zkrs_retry { policy: RetryPolicy::default() }));
        codes::OK
    }
}

unsafe fn retry_arg<'a>(r: *mut zkrs_retry) -> Result<&'a mut RetryPolicy, zkrs_rc> {
    r.as_mut().map(|r| &mut r.policy).ok_or_else(|| fail(codes::NULL_ARGUMENT, "argument `r` is NULL"))
}

fn bad(what: String) -> zkrs_rc {
    fail_with(&Error::BadArguments(what))
}

/// The total number of calls, the first included (`3`: at most 3 calls); -1 retries forever.
/// `ZKRS_RC_BAD_ARGUMENTS` for 0 or below -1.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_max_tries(r: *mut zkrs_retry, max_tries: i32) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        if max_tries == 0 || max_tries < -1 {
            return bad(format!("max_tries {max_tries}: expected -1 (forever) or at least 1"));
        }
        p.max_tries = max_tries;
        codes::OK
    }
}

fn millis(ms: i64, name: &str) -> Result<Duration, zkrs_rc> {
    u64::try_from(ms).map(Duration::from_millis).map_err(|_| bad(format!("{name} {ms}: expected milliseconds >= 0")))
}

/// The first sleep between calls, in milliseconds (before jitter). `ZKRS_RC_BAD_ARGUMENTS` if negative.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_delay_ms(r: *mut zkrs_retry, delay_ms: i64) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        p.delay = try_arg!(millis(delay_ms, "delay_ms"));
        codes::OK
    }
}

/// The factor applied to the delay after each retry. `ZKRS_RC_BAD_ARGUMENTS` if negative or not finite.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_backoff(r: *mut zkrs_retry, backoff: f64) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        if !backoff.is_finite() || backoff < 0.0 {
            return bad(format!("backoff {backoff}: expected a finite number >= 0"));
        }
        p.backoff = backoff;
        codes::OK
    }
}

/// The relative jitter: each sleep is the delay times a random factor in `[1 - j, 1 + j]`; clamped to
/// `[0, 1]`. `ZKRS_RC_BAD_ARGUMENTS` if not finite.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_max_jitter(r: *mut zkrs_retry, max_jitter: f64) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        if !max_jitter.is_finite() {
            return bad(format!("max_jitter {max_jitter}: expected a finite number"));
        }
        p.max_jitter = max_jitter.clamp(0.0, 1.0);
        codes::OK
    }
}

/// The longest delay between calls, in milliseconds (before jitter). `ZKRS_RC_BAD_ARGUMENTS` if negative.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_max_delay_ms(r: *mut zkrs_retry, max_delay_ms: i64) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        p.max_delay = try_arg!(millis(max_delay_ms, "max_delay_ms"));
        codes::OK
    }
}

/// The total time allowed from the first call, in milliseconds; a retry whose sleep would end after it
/// is not made. -1: no deadline. `ZKRS_RC_BAD_ARGUMENTS` below -1.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_deadline_ms(r: *mut zkrs_retry, deadline_ms: i64) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        p.deadline = if deadline_ms == -1 { None } else { Some(try_arg!(millis(deadline_ms, "deadline_ms"))) };
        codes::OK
    }
}

/// Whether `ZKRS_RC_SESSION_EXPIRED` is retried like a connection loss.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set_ignore_expire(r: *mut zkrs_retry, ignore_expire: bool) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        p.ignore_expire = ignore_expire;
        codes::OK
    }
}

/// Sets a field by name, as the client configuration's `retry.*` keys do (without the `retry.` prefix):
/// `max_tries`, `delay_ms`, `backoff`, `max_jitter`, `max_delay_ms`, `deadline_ms` (`none` or `-1`: no
/// deadline), `ignore_expire`. `ZKRS_RC_UNKNOWN_CONFIG_KEY` / `ZKRS_RC_INVALID_CONFIG_VALUE` otherwise,
/// leaving the policy unchanged.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_set(r: *mut zkrs_retry, key: *const c_char, value: *const c_char) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(retry_arg(r));
        let key = try_arg!(str_arg(key, "key"));
        let value = try_arg!(str_arg(value, "value"));
        code_of(p.set(key, value))
    }
}

/// The function `zkrs_retry_call` runs: returns `ZKRS_RC_OK` or an error code (typically what a zkrs
/// call returned; return `ZKRS_RC_FORCE_RETRY` to ask for a retry).
pub type zkrs_retry_fn = Option<unsafe extern "C" fn(userdata: *mut c_void) -> zkrs_rc>;

/// A code from C as the core's error, so the policy decides on it as on its own errors.
fn as_error(rc: zkrs_rc, detail: String) -> Error {
    match rc {
        codes::CONNECTION_LOSS => Error::ConnectionLoss(detail),
        codes::OPERATION_TIMEOUT => Error::OperationTimeout(detail),
        codes::FORCE_RETRY => Error::ForceRetry(detail),
        codes::SESSION_EXPIRED => Error::SessionExpired,
        codes::CLOSED => Error::Closed,
        code => Error::Server { code, path: detail },
    }
}

/// Runs `fn(userdata)` on the calling thread until it returns `ZKRS_RC_OK`, returns a code the policy
/// does not retry, or the policy gives up, sleeping between calls as the policy says. Returns
/// `ZKRS_RC_OK`; the last code `fn` returned when it is not retried (the thread's last error message is
/// left as `fn` left it); `ZKRS_RC_RETRY_FAILED` when the policy gave up (the message names the last
/// error); or, when `c` is not NULL and the client is closed meanwhile, `ZKRS_RC_INTERRUPTED`. `c` may be
/// NULL (no interruption). May be called from a callback, but then it holds up the client's other
/// callbacks while it sleeps.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_call(
    r: *const zkrs_retry,
    c: *mut zkrs_client,
    r#fn: zkrs_retry_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let policy = &try_arg!(ref_arg(r, "r")).policy;
        let Some(f) = r#fn else { return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL") };
        let client: Option<&Handle> = match c.as_ref() {
            Some(c) => Some(try_arg!(c.usable())),
            None => None,
        };
        let mut last = codes::OK;
        let call = || {
            last = f(userdata);
            if last == codes::OK {
                Ok(())
            } else {
                Err(as_error(last, format!("{} ({last}): {}", crate::error::code_name(last), last_error_text())))
            }
        };
        let r = match client {
            Some(h) => h.client.retry(policy, call),
            None => policy.run(call),
        };
        match r {
            Ok(()) => codes::OK,
            Err(e @ (Error::RetryFailed(_) | Error::Interrupted(_))) => fail_with(&e),
            Err(_) => last,
        }
    }
}

/// Releases a policy. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_retry_free(r: *mut zkrs_retry) {
    ffi_guard! {
        if !r.is_null() {
            drop(Box::from_raw(r));
        }
    }
}
