//! `zkrs_partitioner`: kazoo's SetPartitioner for C.

use super::barrier::wait_limit;
use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::{fail, fail_with, out_arg, str_arg, zkrs_rc};
use crate::error::codes;
use crate::recipe::partitioner::{PartitionState, PartitionerOptions, SetPartitioner};
use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

/// Partitioner state: waiting for the party to settle and taking this member's locks.
pub const ZKRS_PARTITION_ALLOCATING: i32 = 0;
/// Partitioner state: this member holds the locks of all its items.
pub const ZKRS_PARTITION_ACQUIRED: i32 = 1;
/// Partitioner state: the party or the connection changed; call `zkrs_partitioner_release_set`.
pub const ZKRS_PARTITION_RELEASE: i32 = 2;
/// Partitioner state: finished or the session was lost; final.
pub const ZKRS_PARTITION_FAILURE: i32 = 3;

/// A member of a set partition (kazoo's `SetPartitioner`): the members of `<path>/party` split a set
/// of items and each holds the locks `<path>/locks/<item>` of its share; the division runs on a zkrs
/// thread of its own. Created by `zkrs_partitioner_new`, released by `zkrs_partitioner_free` (which
/// finishes it: releases its locks and leaves the party), before or after its client.
pub struct zkrs_partitioner {
    client: Arc<Handle>,
    partitioner: SetPartitioner,
}

unsafe fn partitioner_arg<'a>(p: *const zkrs_partitioner) -> Result<&'a zkrs_partitioner, zkrs_rc> {
    p.as_ref().ok_or_else(|| fail(codes::NULL_ARGUMENT, "argument `partitioner` is NULL"))
}

unsafe fn usable_partitioner<'a>(p: *mut zkrs_partitioner) -> Result<&'a zkrs_partitioner, zkrs_rc> {
    let p = partitioner_arg(p)?;
    p.client.usable()?;
    Ok(p)
}

fn millis_or(ms: i32, default: Duration) -> Duration {
    u64::try_from(ms).map_or(default, Duration::from_millis)
}

/// Joins the partition of the `n_items` strings `items` at `path` and starts dividing them, in
/// `*out`. `identifier` (NULL: `<hostname>-<pid>`) must be usable in a node name; the party must be
/// unchanged for `time_boundary_ms` (negative: kazoo's 30000) before a division, and each lock
/// attempt lasts at most `max_reaction_time_ms` (negative: 1000). Items must be non-empty and
/// without `/` (they name lock nodes). `ZKRS_RC_INVALID_PATH`, `ZKRS_RC_BAD_ARGUMENTS`, or a server
/// error creating the nodes or joining the party.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_new(
    c: *mut zkrs_client,
    path: *const c_char,
    items: *const *const c_char,
    n_items: usize,
    identifier: *const c_char,
    time_boundary_ms: i32,
    max_reaction_time_ms: i32,
    out: *mut *mut zkrs_partitioner,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        if items.is_null() && n_items > 0 {
            return fail(codes::NULL_ARGUMENT, &format!("argument `items` is NULL but n_items is {n_items}"));
        }
        let mut set = Vec::with_capacity(n_items);
        for i in 0..n_items {
            set.push(try_arg!(str_arg(*items.add(i), &format!("items[{i}]"))));
        }
        let identifier =
            if identifier.is_null() { None } else { Some(try_arg!(str_arg(identifier, "identifier")).to_string()) };
        let defaults = PartitionerOptions::default();
        let options = PartitionerOptions {
            identifier,
            time_boundary: millis_or(time_boundary_ms, defaults.time_boundary),
            max_reaction_time: millis_or(max_reaction_time_ms, defaults.max_reaction_time),
            partition_func: None,
        };
        match SetPartitioner::new(&c.client, path, &set, options) {
            Ok(partitioner) => {
                *out = Box::into_raw(Box::new(zkrs_partitioner { client: c.share(), partitioner }));
                codes::OK
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// The current state (`ZKRS_PARTITION_*`) in `*state_out`. Works after the client is closed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_state(partitioner: *const zkrs_partitioner, state_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(partitioner_arg(partitioner));
        let out = try_arg!(out_arg(state_out, "state_out"));
        *out = match p.partitioner.state() {
            PartitionState::Allocating => ZKRS_PARTITION_ALLOCATING,
            PartitionState::Acquired => ZKRS_PARTITION_ACQUIRED,
            PartitionState::Release => ZKRS_PARTITION_RELEASE,
            PartitionState::Failure => ZKRS_PARTITION_FAILURE,
        };
        codes::OK
    }
}

/// Blocks up to `timeout_ms` (-1: no limit) until the set is acquired; `*acquired_out` says whether
/// it is (false at once in `ZKRS_PARTITION_FAILURE`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_wait_for_acquire(
    partitioner: *mut zkrs_partitioner,
    timeout_ms: i32,
    acquired_out: *mut bool,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(usable_partitioner(partitioner));
        let out = try_arg!(out_arg(acquired_out, "acquired_out"));
        *out = p.partitioner.wait_for_acquire(wait_limit(timeout_ms));
        codes::OK
    }
}

/// The items of the last completed division, in a new `*items_out` (release it with
/// `zkrs_string_list_free`). Works after the client is closed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_partitions(
    partitioner: *const zkrs_partitioner,
    items_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(partitioner_arg(partitioner));
        let out = try_arg!(out_arg(items_out, "items_out"));
        let list = try_arg!(zkrs_string_list::new(p.partitioner.partitions()));
        *out = Box::into_raw(Box::new(list));
        codes::OK
    }
}

/// Releases the locks and divides the set again (after `ZKRS_PARTITION_RELEASE`). Nothing happens in
/// `ZKRS_PARTITION_FAILURE`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_release_set(partitioner: *mut zkrs_partitioner) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(usable_partitioner(partitioner));
        p.partitioner.release_set();
        codes::OK
    }
}

/// Releases the locks, leaves the party and ends in `ZKRS_PARTITION_FAILURE`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_finish(partitioner: *mut zkrs_partitioner) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(usable_partitioner(partitioner));
        p.partitioner.finish();
        codes::OK
    }
}

/// Finishes the partitioner (see `zkrs_partitioner_finish`) and releases it. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_partitioner_free(partitioner: *mut zkrs_partitioner) {
    ffi_guard! {
        if !partitioner.is_null() {
            drop(Box::from_raw(partitioner));
        }
    }
}
