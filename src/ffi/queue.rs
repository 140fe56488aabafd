//! `zkrs_queue`: kazoo's Queue and LockingQueue ([`crate::recipe::queue`]) behind one handle.

use super::buf::zkrs_buf;
use super::client::{client_arg, zkrs_client, Handle};
use super::timeout::wait_limit;
use super::{bytes_arg, fail, fail_with, finish, live_arg, out_arg, str_arg, zkrs_rc};
use crate::error::{codes, Error, Result};
use crate::recipe::queue::{LockingQueue, Queue, MAX_PRIORITY};
use std::sync::Arc;
use std::time::Duration;

/// The priority kazoo's `put` uses by default (lower values are served first, 0 to 999).
pub const ZKRS_QUEUE_DEFAULT_PRIORITY: i32 = 100;

/// A distributed priority queue, node for node compatible with kazoo's `Queue` (`<path>/entry-PPP-<seq>`;
/// a get removes the entry) or, made with `locking = true`, kazoo's `LockingQueue` (`<path>/entries/...`
/// locked under `<path>/taken/` while processed; `zkrs_queue_consume` removes the entry,
/// `zkrs_queue_release` hands it back, the end of the session releases it too).
///
/// Created by `zkrs_queue_new`, released by `zkrs_queue_free` (before or after its client). Its
/// functions may be called from any thread, concurrently; they run no callbacks. After
/// `zkrs_client_close` they return `ZKRS_RC_CLOSED`.
pub struct zkrs_queue {
    client: Arc<Handle>,
    kind: Kind,
}

enum Kind {
    Plain(Queue),
    Locking(LockingQueue),
}

/// Makes a queue at `path` on client `c` in `*out` (release it with `zkrs_queue_free`): kazoo's `Queue`,
/// or its `LockingQueue` when `locking`. No request is sent; the nodes are created at first use.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_new(
    c: *mut zkrs_client,
    path: *const std::ffi::c_char,
    locking: bool,
    out: *mut *mut zkrs_queue,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let kind = if locking {
            LockingQueue::new(&c.client, path).map(Kind::Locking)
        } else {
            Queue::new(&c.client, path).map(Kind::Plain)
        };
        finish(kind, |kind| *out = Box::into_raw(Box::new(zkrs_queue { client: c.share(), kind })))
    }
}

unsafe fn queue_arg<'a>(q: *const zkrs_queue) -> std::result::Result<&'a zkrs_queue, zkrs_rc> {
    live_arg(q, "q", |q| &q.client)
}

/// A C array of `count` elements: `p` may be NULL only when `count` is 0.
unsafe fn array_arg<'a, T>(p: *const T, count: usize, name: &str) -> std::result::Result<&'a [T], zkrs_rc> {
    if count == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(fail(codes::NULL_ARGUMENT, &format!("argument `{name}` is NULL but count is {count}")));
    }
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(fail(codes::BAD_ARGUMENTS, &format!("argument `{name}`: count {count} is impossible")));
    }
    // SAFETY: the caller promises `count` elements at `p` (checked non-NULL above).
    Ok(std::slice::from_raw_parts(p, count))
}

fn priority_arg(priority: i32) -> std::result::Result<u32, zkrs_rc> {
    u32::try_from(priority).ok().filter(|p| *p <= MAX_PRIORITY).ok_or_else(|| {
        fail_with(&Error::BadArguments(format!("priority {priority} is not between 0 and {MAX_PRIORITY}")))
    })
}

impl zkrs_queue {
    fn locking(&self, what: &str) -> std::result::Result<&LockingQueue, zkrs_rc> {
        match &self.kind {
            Kind::Locking(q) => Ok(q),
            Kind::Plain(_) => Err(fail_with(&Error::BadArguments(format!(
                "{what} needs a locking queue (zkrs_queue_new with locking = true)"
            )))),
        }
    }

    fn put_all(&self, values: &[&[u8]], priority: u32) -> Result<()> {
        match &self.kind {
            Kind::Plain(q) => q.put_all(values, priority),
            Kind::Locking(q) => q.put_all(values, priority),
        }
    }

    fn get(&self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        match &self.kind {
            Kind::Plain(q) => q.get(timeout),
            Kind::Locking(q) => q.get(timeout),
        }
    }

    fn len(&self) -> Result<usize> {
        match &self.kind {
            Kind::Plain(q) => q.len(),
            Kind::Locking(q) => q.len(),
        }
    }
}

/// Adds `len` bytes of `data` (NULL allowed when `len` is 0) with `priority` (0 to 999, lower is served
/// first; `ZKRS_QUEUE_DEFAULT_PRIORITY` is kazoo's default). Anything else is `ZKRS_RC_BAD_ARGUMENTS`.
/// Not retried after a connection loss (`ZKRS_RC_CONNECTION_LOSS`: the entry may or may not exist).
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_put(q: *mut zkrs_queue, data: *const u8, len: usize, priority: i32) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let priority = try_arg!(priority_arg(priority));
        finish(q.put_all(&[data], priority), drop)
    }
}

/// Adds `count` values in one transaction (all of them or none), each with `priority`: value `i` is
/// `lens[i]` bytes at `values[i]` (NULL allowed when its length is 0). `values` and `lens` may be NULL
/// only when `count` is 0.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_put_all(
    q: *mut zkrs_queue,
    values: *const *const u8,
    lens: *const usize,
    count: usize,
    priority: i32,
) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let value_ptrs = try_arg!(array_arg(values, count, "values"));
        let lens = try_arg!(array_arg(lens, count, "lens"));
        let priority = try_arg!(priority_arg(priority));
        let mut items = Vec::with_capacity(count);
        for (i, (&p, &n)) in value_ptrs.iter().zip(lens).enumerate() {
            items.push(try_arg!(bytes_arg(p, n, &format!("values[{i}]"))));
        }
        finish(q.put_all(&items, priority), drop)
    }
}

/// Takes the first entry, waiting up to `timeout_ms` for one (-1: no limit; 0: do not wait), and puts
/// its value in `*data_out` (release it with `zkrs_buf_free`). A plain queue removes the entry; a locking
/// queue locks it until `zkrs_queue_consume` or `zkrs_queue_release` and, while it holds one, returns that
/// same entry again. `ZKRS_RC_TIMEOUT` when no entry came in time (while the connection is down: after
/// the timeout, but at least 1 s, which the server calls are given); `ZKRS_RC_CLOSED` when the client was
/// closed meanwhile; `ZKRS_RC_SESSION_EXPIRED` when the session ended meanwhile;
/// `ZKRS_RC_WOULD_DEADLOCK` when called with a non-zero timeout from a callback of the same client on an
/// empty queue (the watch that would end the wait runs on that thread).
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_get(q: *mut zkrs_queue, timeout_ms: i32, data_out: *mut *mut zkrs_buf) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        // -1 (any negative): no limit.
        let timeout = try_arg!(wait_limit(timeout_ms));
        let got = q.get(timeout);
        match got {
            Ok(Some(value)) => {
                *data_out = zkrs_buf::boxed(value);
                codes::OK
            }
            Ok(None) => fail(codes::TIMEOUT, &format!("no queue entry arrived within {timeout_ms} ms")),
            Err(e) => fail_with(&e),
        }
    }
}

/// The number of entries in `*len_out` (for a locking queue, locked ones included).
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_len(q: *mut zkrs_queue, len_out: *mut usize) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let len_out = try_arg!(out_arg(len_out, "len_out"));
        finish(q.len(), |n| *len_out = n)
    }
}

/// Locking queues: removes the entry this queue holds (entry and lock in one transaction);
/// `*consumed_out` is false if it holds none or no longer holds its lock (then it forgets the entry).
/// `ZKRS_RC_BAD_ARGUMENTS` on a plain queue.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_consume(q: *mut zkrs_queue, consumed_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let out = try_arg!(out_arg(consumed_out, "consumed_out"));
        let lq = try_arg!(q.locking("zkrs_queue_consume"));
        finish(lq.consume(), |b| *out = b)
    }
}

/// Locking queues: unlocks the entry this queue holds without removing it, so that it is served again;
/// `*released_out` is false if it holds none or no longer holds its lock. `ZKRS_RC_BAD_ARGUMENTS` on a
/// plain queue.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_release(q: *mut zkrs_queue, released_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let out = try_arg!(out_arg(released_out, "released_out"));
        let lq = try_arg!(q.locking("zkrs_queue_release"));
        finish(lq.release(), |b| *out = b)
    }
}

/// Locking queues: whether this queue holds an entry and its lock node still exists with this queue's id
/// (not after the session ended), asked of the leader. `ZKRS_RC_BAD_ARGUMENTS` on a plain queue.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_holds_lock(q: *mut zkrs_queue, holds_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let q = try_arg!(queue_arg(q));
        let out = try_arg!(out_arg(holds_out, "holds_out"));
        let lq = try_arg!(q.locking("zkrs_queue_holds_lock"));
        finish(lq.holds_lock(), |b| *out = b)
    }
}

/// Releases `q`. NULL does nothing. No call on `q` may be running. An entry a locking queue still holds
/// stays locked until its session ends (as with kazoo); release or consume it first.
#[no_mangle]
pub unsafe extern "C" fn zkrs_queue_free(q: *mut zkrs_queue) {
    ffi_guard! {
        if !q.is_null() {
            drop(Box::from_raw(q));
        }
    }
}
