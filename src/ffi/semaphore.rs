//! Semaphores in C: `zkrs_semaphore` (kazoo's Semaphore on the same znodes). Timeouts as for
//! `zkrs_lock_acquire`: -1 no limit, 0 try once, more waits up to that many milliseconds.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::lock::{
    acquired_code, free_recipe, identifier_arg, released_code, set_lost_callback, write_list, zkrs_lost_fn, LostGate,
};
use super::timeout::wait_arg;
use super::watch::zkrs_free_fn;
use super::{finish, live_arg, out_arg, str_arg};
use crate::error::codes;
use crate::recipe::semaphore::Semaphore;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// A counting semaphore (kazoo-compatible). Created by `zkrs_semaphore_new`, released by
/// `zkrs_semaphore_free`. `zkrs_semaphore_cancel`, `_is_held` and `_lease_holders` may be called from
/// another thread during `zkrs_semaphore_acquire`; `zkrs_semaphore_free` must not race with any call.
pub struct zkrs_semaphore {
    handle: Arc<Handle>,
    sem: Option<Semaphore>,
    lost: Arc<LostGate>,
}

unsafe fn sem_arg<'a>(s: *const zkrs_semaphore) -> Result<&'a Semaphore, zkrs_rc> {
    let s = live_arg(s, "sem", |s| &s.handle)?;
    Ok(s.sem.as_ref().expect("present until free"))
}

/// Creates a semaphore with `max_leases` leases on `path` in `*out`; `identifier` (NULL: empty) is the
/// data of this holder's lease node. The limit is stored in `<path>` by whoever creates it; a
/// different stored number makes `zkrs_semaphore_acquire` fail with `ZKRS_RC_BAD_ARGUMENTS`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_new(
    c: *mut zkrs_client,
    path: *const c_char,
    identifier: *const c_char,
    max_leases: u32,
    out: *mut *mut zkrs_semaphore,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let identifier = try_arg!(identifier_arg(identifier));
        let out = try_arg!(out_arg(out, "out"));
        finish(Semaphore::new(&c.client, path, identifier, max_leases), |sem| {
            let lost = LostGate::attached(|listener| sem.set_lost_listener(Some(listener)));
            *out = Box::into_raw(Box::new(zkrs_semaphore { handle: c.share(), sem: Some(sem), lost }));
        })
    }
}

/// Acquires a lease, waiting up to `timeout_ms`. `ZKRS_RC_OK` when held (also when already held);
/// `ZKRS_RC_TIMEOUT` when none was free in time (with 0: at once); `ZKRS_RC_CANCELLED`,
/// `ZKRS_RC_SESSION_EXPIRED`, `ZKRS_RC_CLOSED` as for locks. No lease is left behind by a failure.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_acquire(sem: *mut zkrs_semaphore, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let s = try_arg!(sem_arg(sem));
        let (blocking, timeout) = try_arg!(wait_arg(timeout_ms));
        acquired_code(s.acquire(blocking, timeout), &format!("every lease of semaphore {}", s.path()))
    }
}

/// Releases the lease. `*released_out` (may be NULL) is true if one was held and not lost.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_release(sem: *mut zkrs_semaphore, released_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let s = try_arg!(sem_arg(sem));
        released_code(s.release(), released_out)
    }
}

/// Makes a `zkrs_semaphore_acquire` in progress return `ZKRS_RC_CANCELLED`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_cancel(sem: *mut zkrs_semaphore) -> zkrs_rc {
    ffi_guard! {
        let s = try_arg!(sem_arg(sem));
        s.cancel();
        codes::OK
    }
}

/// Whether this semaphore holds a lease now (false once lost). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_is_held(sem: *const zkrs_semaphore) -> bool {
    ffi_guard! {
        match sem.as_ref() {
            Some(s) if s.handle.usable().is_ok() => s.sem.as_ref().is_some_and(Semaphore::is_acquired),
            _ => false,
        }
    }
}

/// The identifiers of the lease holders (in no particular order) in `*out`; free it with
/// `zkrs_string_list_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_lease_holders(
    sem: *mut zkrs_semaphore,
    out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let s = try_arg!(sem_arg(sem));
        let out = try_arg!(out_arg(out, "out"));
        write_list(s.lease_holders(), out)
    }
}

/// Sets the function told when a held lease is lost; the rules of `zkrs_lock_set_lost_callback`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_set_lost_callback(
    sem: *mut zkrs_semaphore,
    callback: zkrs_lost_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let gate = live_arg(sem, "sem", |s| &s.handle).map(|s| &*s.lost);
        set_lost_callback(gate, callback, userdata, free_userdata)
    }
}

/// Releases the semaphore object; a held lease is released first. NULL does nothing. When it returns
/// the lost callback does not run again and its free_userdata has run. In a forked child it touches
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_semaphore_free(sem: *mut zkrs_semaphore) {
    ffi_guard! {
        if sem.is_null() {
            return;
        }
        let mut s = Box::from_raw(sem);
        free_recipe(&s.handle, s.sem.take(), &s.lost);
    }
}
