//! `zkrs_barrier` and `zkrs_double_barrier`: kazoo's Barrier and DoubleBarrier for C.

use super::client::{client_arg, zkrs_client, Handle};
use super::timeout::wait_limit;
use super::{code_of, fail, fail_with, finish, live_arg, out_arg, str_arg, zkrs_rc};
use crate::error::{codes, Error};
use crate::recipe::barrier::{Barrier, DoubleBarrier};
use std::ffi::c_char;
use std::sync::Arc;

/// A barrier (kazoo's `Barrier`): while the node at its path exists, `zkrs_barrier_wait` blocks.
/// Created by `zkrs_barrier_new`, released by `zkrs_barrier_free` (before or after its client; once
/// the client is closed its calls return `ZKRS_RC_CLOSED`). Its functions may be called from any
/// thread, concurrently, but not while or after it is freed.
pub struct zkrs_barrier {
    client: Arc<Handle>,
    barrier: Barrier,
}

/// A member of a double barrier (kazoo's `DoubleBarrier`): `zkrs_double_barrier_enter` blocks until
/// `num_clients` members are in, `zkrs_double_barrier_leave` until all have left. Created by
/// `zkrs_double_barrier_new`, released by `zkrs_double_barrier_free` (before or after its client).
/// One thread at a time should enter or leave with one member.
pub struct zkrs_double_barrier {
    client: Arc<Handle>,
    barrier: DoubleBarrier,
}

unsafe fn barrier_arg<'a>(b: *mut zkrs_barrier) -> Result<&'a zkrs_barrier, zkrs_rc> {
    live_arg(b, "barrier", |b| &b.client)
}

unsafe fn double_barrier_arg<'a>(b: *mut zkrs_double_barrier) -> Result<&'a zkrs_double_barrier, zkrs_rc> {
    live_arg(b, "barrier", |b| &b.client)
}

/// A barrier at `path` on client `c`, in `*out` (nothing is created on the server yet). Release it
/// with `zkrs_barrier_free`. `ZKRS_RC_INVALID_PATH` for a bad path.
#[no_mangle]
pub unsafe extern "C" fn zkrs_barrier_new(
    c: *mut zkrs_client,
    path: *const c_char,
    out: *mut *mut zkrs_barrier,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        finish(Barrier::new(&c.client, path), |barrier| {
            *out = Box::into_raw(Box::new(zkrs_barrier { client: c.share(), barrier }));
        })
    }
}

/// Puts the barrier in place (creates its node and missing parents); `ZKRS_RC_OK` if it already is.
/// Connection loss is retried (kazoo's command retry: until the client is closed).
#[no_mangle]
pub unsafe extern "C" fn zkrs_barrier_create(barrier: *mut zkrs_barrier) -> zkrs_rc {
    ffi_guard! {
        let b = try_arg!(barrier_arg(barrier));
        code_of(b.barrier.create())
    }
}

/// Removes the barrier, releasing its waiters. `*removed_out` (may be NULL) says whether it was in
/// place.
#[no_mangle]
pub unsafe extern "C" fn zkrs_barrier_remove(barrier: *mut zkrs_barrier, removed_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let b = try_arg!(barrier_arg(barrier));
        finish(b.barrier.remove(), |removed| {
            if !removed_out.is_null() {
                *removed_out = removed;
            }
        })
    }
}

/// Blocks the calling thread until the barrier is removed, up to `timeout_ms` (-1: no limit; 0:
/// only look). `ZKRS_RC_OK` once it is gone (at once if it is not in place), `ZKRS_RC_TIMEOUT` if it
/// is still in place at the timeout, `ZKRS_RC_CLOSED` when the client is closed meanwhile,
/// `ZKRS_RC_SESSION_EXPIRED` when the session is lost, `ZKRS_RC_WOULD_DEADLOCK` inside a callback of
/// the client (the watch that ends the wait could not run). With `dispatch=poll`, another thread must
/// be calling `zkrs_client_dispatch` meanwhile (the same holds for the double barrier's calls).
#[no_mangle]
pub unsafe extern "C" fn zkrs_barrier_wait(barrier: *mut zkrs_barrier, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let b = try_arg!(barrier_arg(barrier));
        match b.barrier.wait(try_arg!(wait_limit(timeout_ms))) {
            Ok(true) => codes::OK,
            Ok(false) => fail(codes::TIMEOUT, &format!("the barrier {} is still in place after {timeout_ms} ms", b.barrier.path())),
            Err(e) => fail_with(&e),
        }
    }
}

/// Releases a barrier (nothing changes on the server). NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_barrier_free(barrier: *mut zkrs_barrier) {
    ffi_guard! {
        if !barrier.is_null() {
            drop(Box::from_raw(barrier));
        }
    }
}

/// A member of the double barrier at `path` for `num_clients` members (at least 1), in `*out`.
/// `identifier` (NULL: `<hostname>-<pid>`, as kazoo) is stored in the member's node. Release it with
/// `zkrs_double_barrier_free`. `ZKRS_RC_INVALID_PATH`, `ZKRS_RC_BAD_ARGUMENTS` (num_clients < 1).
#[no_mangle]
pub unsafe extern "C" fn zkrs_double_barrier_new(
    c: *mut zkrs_client,
    path: *const c_char,
    num_clients: i32,
    identifier: *const c_char,
    out: *mut *mut zkrs_double_barrier,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let identifier = if identifier.is_null() { None } else { Some(try_arg!(str_arg(identifier, "identifier"))) };
        let out = try_arg!(out_arg(out, "out"));
        let Ok(n) = usize::try_from(num_clients) else {
            return fail_with(&Error::BadArguments(format!("num_clients {num_clients}: expected at least 1")));
        };
        finish(DoubleBarrier::new(&c.client, path, n, identifier), |barrier| {
            *out = Box::into_raw(Box::new(zkrs_double_barrier { client: c.share(), barrier }));
        })
    }
}

/// Enters the barrier and blocks until `num_clients` members are in, up to `timeout_ms` (-1: no
/// limit). On any failure (`ZKRS_RC_TIMEOUT`, `ZKRS_RC_CLOSED`, `ZKRS_RC_SESSION_EXPIRED`,
/// `ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS`, `ZKRS_RC_WOULD_DEADLOCK` inside a callback, ...) the member's
/// node is removed again and it does not participate.
#[no_mangle]
pub unsafe extern "C" fn zkrs_double_barrier_enter(barrier: *mut zkrs_double_barrier, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let b = try_arg!(double_barrier_arg(barrier));
        code_of(b.barrier.enter(try_arg!(wait_limit(timeout_ms))))
    }
}

/// Leaves the barrier and blocks until every member has left, up to `timeout_ms` (-1: no limit).
/// Errors as `zkrs_double_barrier_enter`; either way the member no longer participates.
#[no_mangle]
pub unsafe extern "C" fn zkrs_double_barrier_leave(barrier: *mut zkrs_double_barrier, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let b = try_arg!(double_barrier_arg(barrier));
        code_of(b.barrier.leave(try_arg!(wait_limit(timeout_ms))))
    }
}

/// Whether the member is inside the barrier (entered, not left), in `*participating_out`. Works
/// after the client is closed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_double_barrier_participating(
    barrier: *const zkrs_double_barrier,
    participating_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        let Some(b) = barrier.as_ref() else { return fail(codes::NULL_ARGUMENT, "argument `barrier` is NULL") };
        let out = try_arg!(out_arg(participating_out, "participating_out"));
        *out = b.barrier.participating();
        codes::OK
    }
}

/// Releases a member (its node stays until it leaves or its session ends). NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_double_barrier_free(barrier: *mut zkrs_double_barrier) {
    ffi_guard! {
        if !barrier.is_null() {
            drop(Box::from_raw(barrier));
        }
    }
}
