//! kazoo's `NonBlockingLease` and `MultiNonBlockingLease` ([`crate::recipe::lease`]): one attempt per
//! call, the answer in a `bool`.

use super::client::{client_arg, zkrs_client};
use super::{fail, finish, out_arg, str_arg, zkrs_rc};
use crate::error::codes;
use crate::recipe::lease::{at_unix_ms, MultiNonBlockingLease, NonBlockingLease};
use std::ffi::c_char;
use std::time::{Duration, SystemTime};

fn duration_arg(ms: i64) -> Result<Duration, zkrs_rc> {
    u64::try_from(ms)
        .map(Duration::from_millis)
        .map_err(|_| fail(codes::BAD_ARGUMENTS, &format!("duration_ms {ms} is negative")))
}

/// NULL: the host name (kazoo's default).
unsafe fn identifier_arg<'a>(p: *const c_char) -> Result<Option<&'a str>, zkrs_rc> {
    if p.is_null() {
        Ok(None)
    } else {
        str_arg(p, "identifier").map(Some)
    }
}

/// The clock of a `_at` call.
fn now_arg(now_unix_ms: i64) -> impl Fn() -> SystemTime {
    move || at_unix_ms(now_unix_ms)
}

/// One attempt on a single lease (`count` None) or on `count` leases, the arguments checked as C's.
unsafe fn lease(
    c: *mut zkrs_client,
    count: Option<usize>,
    path: *const c_char,
    duration_ms: i64,
    identifier: *const c_char,
    obtained_out: *mut bool,
    clock: &dyn Fn() -> SystemTime,
) -> zkrs_rc {
    let c = try_arg!(client_arg(c));
    let path = try_arg!(str_arg(path, "path"));
    let duration = try_arg!(duration_arg(duration_ms));
    let identifier = try_arg!(identifier_arg(identifier));
    let out = try_arg!(out_arg(obtained_out, "obtained_out"));
    let obtained = match count {
        None => NonBlockingLease::with_clock(&c.client, path, duration, identifier, clock).map(|l| l.obtained()),
        Some(count) => {
            MultiNonBlockingLease::with_clock(&c.client, count, path, duration, identifier, clock).map(|l| l.obtained())
        }
    };
    finish(obtained, |obtained| *out = obtained)
}

/// kazoo's `NonBlockingLease`: tries once to obtain the lease at `path` for `duration_ms` as `identifier`
/// (NULL: the host name) and sets `*obtained_out`. Obtained when nobody holds it, its holder's time is
/// over, or `identifier` holds it (then it is renewed). On kazoo's nodes: `<path>/lease_holder` holds
/// `{"version": 1, "holder": ..., "end": "YYYY-MM-DDTHH:MM:SS"}` (UTC), rewritten under a kazoo lock on
/// `<path>` (waited for up to 15 s; not obtained after that). Clocks of all holders must roughly agree.
/// A negative duration is `ZKRS_RC_BAD_ARGUMENTS`; a holder node that is not kazoo's JSON is
/// `ZKRS_RC_MARSHALLING_ERROR`; inside a callback of the same client, where the lock could never be
/// seen free, `ZKRS_RC_WOULD_DEADLOCK`. Runs no callbacks.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lease_new(
    c: *mut zkrs_client,
    path: *const c_char,
    duration_ms: i64,
    identifier: *const c_char,
    obtained_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        lease(c, None, path, duration_ms, identifier, obtained_out, &SystemTime::now)
    }
}

/// `zkrs_lease_new` with the current time given as `now_unix_ms` (milliseconds since 1970-01-01 UTC)
/// instead of read from the system clock: kazoo's `utcnow` argument, for tests.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lease_new_at(
    c: *mut zkrs_client,
    path: *const c_char,
    duration_ms: i64,
    identifier: *const c_char,
    now_unix_ms: i64,
    obtained_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        lease(c, None, path, duration_ms, identifier, obtained_out, &now_arg(now_unix_ms))
    }
}

/// kazoo's `MultiNonBlockingLease`: tries the leases `<path>/0` to `<path>/<count - 1>` in order (each as
/// `zkrs_lease_new`) and stops at the first obtained; `*obtained_out` says whether one was. `count` 0
/// obtains none.
#[no_mangle]
pub unsafe extern "C" fn zkrs_multi_lease_new(
    c: *mut zkrs_client,
    count: usize,
    path: *const c_char,
    duration_ms: i64,
    identifier: *const c_char,
    obtained_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        lease(c, Some(count), path, duration_ms, identifier, obtained_out, &SystemTime::now)
    }
}

/// `zkrs_multi_lease_new` with the current time given as `now_unix_ms` (milliseconds since 1970-01-01
/// UTC), for tests.
#[no_mangle]
pub unsafe extern "C" fn zkrs_multi_lease_new_at(
    c: *mut zkrs_client,
    count: usize,
    path: *const c_char,
    duration_ms: i64,
    identifier: *const c_char,
    now_unix_ms: i64,
    obtained_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        lease(c, Some(count), path, duration_ms, identifier, obtained_out, &now_arg(now_unix_ms))
    }
}
