//! Leader election in C: `zkrs_election` (kazoo's Election on the same znodes).

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::lock::{free_recipe, identifier_arg, set_lost_callback, write_list, zkrs_lost_fn, LostGate};
use super::timeout::wait_arg;
use super::watch::zkrs_free_fn;
use super::{code_of, fail, fail_with, finish, live_arg, out_arg, str_arg};
use crate::error::codes;
use crate::recipe::election::Election;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// The leader function of `zkrs_election_run`: runs on the thread that called `zkrs_election_run`
/// while this candidate leads; leadership ends when it returns. `election` is the candidate, for
/// `zkrs_election_is_leader` (false once leadership is lost).
pub type zkrs_leader_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, election: *mut zkrs_election)>;

/// A candidate in a leader election (kazoo-compatible). Created by `zkrs_election_new`, released by
/// `zkrs_election_free`. `zkrs_election_cancel`, `_is_leader` and `_contenders` may be called from
/// other threads (and from the leader function) during `zkrs_election_run`; `zkrs_election_free` must
/// not race with any call.
pub struct zkrs_election {
    handle: Arc<Handle>,
    election: Option<Election>,
    lost: Arc<LostGate>,
}

unsafe fn election_arg<'a>(e: *const zkrs_election) -> Result<&'a Election, zkrs_rc> {
    let e = live_arg(e, "election", |e| &e.handle)?;
    Ok(e.election.as_ref().expect("present until free"))
}

/// Creates a candidate for the election on `path` in `*out`; `identifier` (NULL: empty) is what
/// `zkrs_election_contenders` shows for it.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_new(
    c: *mut zkrs_client,
    path: *const c_char,
    identifier: *const c_char,
    out: *mut *mut zkrs_election,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let identifier = try_arg!(identifier_arg(identifier));
        let out = try_arg!(out_arg(out, "out"));
        finish(Election::new(&c.client, path, identifier), |election| {
            let lost = LostGate::attached(|listener| election.set_lost_listener(Some(listener)));
            *out = Box::into_raw(Box::new(zkrs_election { handle: c.share(), election: Some(election), lost }));
        })
    }
}

/// Waits up to `timeout_ms` (-1: no limit; 0: only if elected at once) to be elected, then calls
/// `leader(userdata, election)` on this thread and gives up leadership when it returns. `ZKRS_RC_OK`
/// when the leader function ran; otherwise it did not run: `ZKRS_RC_TIMEOUT`, `ZKRS_RC_CANCELLED`
/// (`zkrs_election_cancel`), `ZKRS_RC_SESSION_EXPIRED`, `ZKRS_RC_CLOSED`, or `ZKRS_RC_WOULD_DEADLOCK`
/// inside a callback of the client. `free_userdata` (may be NULL) is called exactly once before this
/// returns, after `leader` if it ran, whatever the outcome. In poll mode another thread must call
/// `zkrs_client_dispatch` meanwhile.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_run(
    election: *mut zkrs_election,
    timeout_ms: i32,
    leader: zkrs_leader_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let rc = run(election, timeout_ms, leader, userdata);
        if let Some(free) = free_userdata {
            free(userdata);
        }
        rc
    }
}

unsafe fn run(election: *mut zkrs_election, timeout_ms: i32, leader: zkrs_leader_fn, userdata: *mut c_void) -> zkrs_rc {
    let e = try_arg!(election_arg(election));
    let Some(leader) = leader else {
        return fail(codes::NULL_ARGUMENT, "argument `leader` is NULL");
    };
    let (blocking, timeout) = try_arg!(wait_arg(timeout_ms));
    if !blocking {
        return match e.try_run(|| leader(userdata, election)) {
            Ok(Some(())) => codes::OK,
            Ok(None) => {
                fail(codes::TIMEOUT, &format!("election {}: another candidate leads or is queued first", e.path()))
            }
            Err(err) => fail_with(&err),
        };
    }
    code_of(e.run(timeout, || leader(userdata, election)))
}

/// Makes a `zkrs_election_run` still waiting to be elected return `ZKRS_RC_CANCELLED` (a running leader
/// function is not interrupted).
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_cancel(election: *mut zkrs_election) -> zkrs_rc {
    ffi_guard! {
        let e = try_arg!(election_arg(election));
        e.cancel();
        codes::OK
    }
}

/// Whether this candidate leads now (inside its leader function, until leadership is lost). False
/// for NULL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_is_leader(election: *const zkrs_election) -> bool {
    ffi_guard! {
        match election.as_ref() {
            Some(e) if e.handle.usable().is_ok() => e.election.as_ref().is_some_and(Election::is_leader),
            _ => false,
        }
    }
}

/// The candidates' identifiers in election order in `*out` (the first leads); free it with
/// `zkrs_string_list_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_contenders(
    election: *mut zkrs_election,
    out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let e = try_arg!(election_arg(election));
        let out = try_arg!(out_arg(out, "out"));
        write_list(e.contenders(), out)
    }
}

/// Sets the function told when leadership is lost while the leader function runs; the rules of
/// `zkrs_lock_set_lost_callback`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_set_lost_callback(
    election: *mut zkrs_election,
    callback: zkrs_lost_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let gate = live_arg(election, "election", |e| &e.handle).map(|e| &*e.lost);
        set_lost_callback(gate, callback, userdata, free_userdata)
    }
}

/// Releases the candidate. NULL does nothing. When it returns the lost callback does not run again
/// and its free_userdata has run. In a forked child it touches nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_election_free(election: *mut zkrs_election) {
    ffi_guard! {
        if election.is_null() {
            return;
        }
        let mut e = Box::from_raw(election);
        free_recipe(&e.handle, e.election.take(), &e.lost);
    }
}
