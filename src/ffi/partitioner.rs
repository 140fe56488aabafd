//! `zkrs_partitioner`: kazoo's SetPartitioner for C.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::timeout::wait_limit;
use super::watch::zkrs_free_fn;
use super::watchers::CallbackCtx;
use super::{code_of, fail, fail_with, live_arg, out_arg, str_arg, zkrs_rc};
use crate::error::{codes, Error};
use crate::recipe::partitioner::{PartitionFn, PartitionState, PartitionerOptions, SetPartitioner};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

/// Partitioner state ALLOCATING: the set is being divided; this member waits for a calm party or its
/// locks.
pub const ZKRS_PARTITION_ALLOCATING: i32 = 0;
/// Partitioner state ACQUIRED: this member holds every item of its share.
pub const ZKRS_PARTITION_ACQUIRED: i32 = 1;
/// Partitioner state RELEASE: the party changed (or the connection was suspended); call
/// `zkrs_partitioner_release_set`.
pub const ZKRS_PARTITION_RELEASE: i32 = 2;
/// Partitioner state FAILURE: session lost, client closed or `zkrs_partitioner_finish`; final.
pub const ZKRS_PARTITION_FAILURE: i32 = 3;

/// A partition function: decides this member's share. `identifier` is this member's, `members` the
/// party's identifiers (sorted), `items` the set (as given, duplicates removed); all borrowed for the
/// call. Set `mine[i] = true` for each `items[i]` this member takes (`mine` has one entry per item,
/// all false on entry). Every member must decide the same way for the same input. Runs on the
/// partitioner's own thread, one call at a time; never after `zkrs_partitioner_free` returns.
pub type zkrs_partition_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        identifier: *const c_char,
        members: *const zkrs_string_list,
        items: *const zkrs_string_list,
        mine: *mut bool,
    ),
>;

/// A SetPartitioner (kazoo's): the set is divided among the members of the party `<path>/party`; the
/// holder of item `x` holds the lock `<path>/locks/<x>`. Created by `zkrs_partitioner_new`, released
/// by `zkrs_partitioner_free` (before or after its client; once the client is closed the waits,
/// `_release_set` and `_finish` return `ZKRS_RC_CLOSED`, the state is FAILURE). May be used from any
/// thread.
pub struct zkrs_partitioner {
    _client: Arc<Handle>,
    partitioner: SetPartitioner,
}

unsafe fn partitioner_arg<'a>(p: *mut zkrs_partitioner) -> Result<&'a zkrs_partitioner, zkrs_rc> {
    p.as_ref().ok_or_else(|| fail(codes::NULL_ARGUMENT, "argument `partitioner` is NULL"))
}

/// As [`partitioner_arg`], for the calls that need the client: `ZKRS_RC_CLOSED` once it is closed.
unsafe fn live_partitioner_arg<'a>(p: *mut zkrs_partitioner) -> Result<&'a zkrs_partitioner, zkrs_rc> {
    live_arg(p, "partitioner", |p| &p._client)
}

fn state_code(s: PartitionState) -> i32 {
    match s {
        PartitionState::Allocating => ZKRS_PARTITION_ALLOCATING,
        PartitionState::Acquired => ZKRS_PARTITION_ACQUIRED,
        PartitionState::Release => ZKRS_PARTITION_RELEASE,
        PartitionState::Failure => ZKRS_PARTITION_FAILURE,
    }
}

/// The C callback as a Rust partition function; its `free_userdata` runs when the partitioner's last
/// reference to it goes, after its last call.
fn c_partition_fn(
    f: unsafe extern "C" fn(*mut c_void, *const c_char, *const zkrs_string_list, *const zkrs_string_list, *mut bool),
    ctx: CallbackCtx,
) -> PartitionFn {
    Arc::new(move |identifier: &str, members: &[String], items: &[String]| {
        let (Ok(id), Ok(m), Ok(i)) =
            (CString::new(identifier), zkrs_string_list::new(members.to_vec()), zkrs_string_list::new(items.to_vec()))
        else {
            return Vec::new();
        };
        let mut mine = vec![false; items.len()];
        // The whole context is captured (not just its pointer), so free_userdata runs with the closure.
        let ctx = &ctx;
        // SAFETY: the caller gave `f` for `ctx.ud`; everything passed lives through the call.
        unsafe { f(ctx.ud.0, id.as_ptr(), &m, &i, mine.as_mut_ptr()) };
        items.iter().zip(mine).filter(|(_, take)| *take).map(|(item, _)| item.clone()).collect()
    })
}

/// A member of the partitioner at `path` dividing the `items_len` strings of `items` (may be NULL
/// when `items_len` is 0), in `*out`. `identifier` NULL: `<hostname>-<pid>`; it cannot contain `/`
/// and must differ between members. `time_boundary_ms` (>= 0): how long the party must be calm before
/// the set is divided (kazoo's default is 30000). `partition_fn` NULL: kazoo's round robin over the
/// sorted members and sorted items, so zkrs and kazoo members agree; otherwise it is called with
/// `userdata` (see `zkrs_partition_fn`), and `free_userdata` (may be NULL) runs once after its last
/// call (also when this function fails). Creates `<path>`, `<path>/locks`, `<path>/party`, joins the
/// party and starts allocating on the partitioner's own thread. `ZKRS_RC_INVALID_PATH` for a bad path,
/// an item that is not a node name (empty, `/`, `..`) or an identifier with `/`;
/// `ZKRS_RC_BAD_ARGUMENTS` for a negative time boundary.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zkrs_partitioner_new(
    c: *mut zkrs_client,
    path: *const c_char,
    items: *const *const c_char,
    items_len: usize,
    identifier: *const c_char,
    time_boundary_ms: i32,
    partition_fn: zkrs_partition_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    out: *mut *mut zkrs_partitioner,
) -> zkrs_rc {
    ffi_guard! {
        // Owns the userdata from here on: any early return frees it.
        let ctx = partition_fn.map(|_| CallbackCtx::new(userdata, free_userdata));
        if partition_fn.is_none() {
            if let Some(free) = free_userdata {
                free(userdata);
            }
        }
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        if items.is_null() && items_len > 0 {
            return fail(codes::NULL_ARGUMENT, &format!("argument `items` is NULL but items_len is {items_len}"));
        }
        let mut set = Vec::with_capacity(items_len);
        for i in 0..items_len {
            set.push(try_arg!(str_arg(*items.add(i), &format!("items[{i}]"))));
        }
        let identifier =
            if identifier.is_null() { None } else { Some(try_arg!(str_arg(identifier, "identifier")).to_string()) };
        if time_boundary_ms < 0 {
            return fail(codes::BAD_ARGUMENTS, &format!("time_boundary_ms is {time_boundary_ms}, must be >= 0"));
        }
        let out = try_arg!(out_arg(out, "out"));
        let options = PartitionerOptions {
            identifier,
            time_boundary: Duration::from_millis(time_boundary_ms as u64),
            partition_fn: partition_fn.zip(ctx).map(|(f, ctx)| c_partition_fn(f, ctx)),
            ..PartitionerOptions::default()
        };
        match SetPartitioner::new(&c.client, path, &set, options) {
            Ok(partitioner) => {
                *out = Box::into_raw(Box::new(zkrs_partitioner { _client: c.share(), partitioner }));
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// The current state (`ZKRS_PARTITION_*`) in `*state_out`, and in `*state_id_out` (may be NULL) the
/// number of transitions so far, for `zkrs_partitioner_wait_for_change`. Works after the client is
/// closed (the state is then FAILURE).
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_state(
    partitioner: *mut zkrs_partitioner,
    state_out: *mut i32,
    state_id_out: *mut u64,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(partitioner_arg(partitioner));
        let out = try_arg!(out_arg(state_out, "state_out"));
        let (state, id) = p.partitioner.state_and_id();
        *out = state_code(state);
        if !state_id_out.is_null() {
            *state_id_out = id;
        }
        codes::OK
    }
}

/// Blocks until the state is no longer ALLOCATING, up to `timeout_ms` (-1: no limit), and writes it
/// to `*state_out` (may be NULL): ACQUIRED, or RELEASE / FAILURE (connection suspended, party
/// changed, session lost, client closed). `ZKRS_RC_TIMEOUT` if still allocating;
/// `ZKRS_RC_WOULD_DEADLOCK` from a callback of the same client.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_wait_for_acquire(
    partitioner: *mut zkrs_partitioner,
    timeout_ms: i32,
    state_out: *mut i32,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(live_partitioner_arg(partitioner));
        match p.partitioner.wait_for_acquire(try_arg!(wait_limit(timeout_ms))) {
            Ok(state) => {
                if !state_out.is_null() {
                    *state_out = state_code(state);
                }
                codes::OK
            }
            Err(e @ Error::Timeout(_)) => fail(e.code(), &format!("the set was not acquired within {timeout_ms} ms")),
            Err(e) => fail_with(&e),
        }
    }
}

/// Blocks until a transition after the one numbered `seen_id` (from `zkrs_partitioner_state`), up to
/// `timeout_ms` (-1: no limit); the new state and its id in `*state_out` and `*state_id_out` (either
/// may be NULL). Returns at once if `seen_id` is not the current id. `ZKRS_RC_TIMEOUT` if nothing
/// changed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_wait_for_change(
    partitioner: *mut zkrs_partitioner,
    seen_id: u64,
    timeout_ms: i32,
    state_out: *mut i32,
    state_id_out: *mut u64,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(live_partitioner_arg(partitioner));
        match p.partitioner.wait_for_change(seen_id, try_arg!(wait_limit(timeout_ms))) {
            Ok((state, id)) => {
                if !state_out.is_null() {
                    *state_out = state_code(state);
                }
                if !state_id_out.is_null() {
                    *state_id_out = id;
                }
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// The items this member holds, in a new `*items_out` (release it with `zkrs_string_list_free`):
/// its share while ACQUIRED and still while RELEASE; empty otherwise.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_acquired_items(
    partitioner: *mut zkrs_partitioner,
    items_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(partitioner_arg(partitioner));
        let out = try_arg!(out_arg(items_out, "items_out"));
        let list = try_arg!(zkrs_string_list::new(p.partitioner.acquired_items()));
        *out = Box::into_raw(Box::new(list));
        codes::OK
    }
}

/// Releases every held item (its lock) and allocates again: the state becomes ALLOCATING (it stays
/// FAILURE once failed). Call it in RELEASE.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_release_set(partitioner: *mut zkrs_partitioner) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(live_partitioner_arg(partitioner));
        code_of(p.partitioner.release_set())
    }
}

/// Releases every held item, leaves the party and enters FAILURE for good.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_finish(partitioner: *mut zkrs_partitioner) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(live_partitioner_arg(partitioner));
        code_of(p.partitioner.finish())
    }
}

/// Stops and releases a partitioner: its items are released and it leaves the party (as
/// `zkrs_partitioner_finish`). Once this returns the partition function is not called again (called from the
/// partition function itself, the running call is the last); `free_userdata` runs on the
/// partitioner's thread when that thread ends. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_free(partitioner: *mut zkrs_partitioner) {
    ffi_guard! {
        if !partitioner.is_null() {
            drop(Box::from_raw(partitioner));
        }
    }
}
