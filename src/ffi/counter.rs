//! `zkrs_counter`: kazoo's Counter for C (integer, float and Curator-compatible counters).

use super::client::{client_arg, zkrs_client, Handle};
use super::{fail_with, finish, live_arg, out_arg, str_arg, zkrs_rc};
use crate::error::Error;
use crate::recipe::counter::{Change, Counter, CounterKind, CounterValue};
use std::ffi::c_char;
use std::sync::Arc;

/// Counter kind: a 64-bit integer stored as decimal text (kazoo's default `Counter`).
pub const ZKRS_COUNTER_INT: i32 = 0;
/// Counter kind: a double stored as Python's `repr()` text (kazoo's `Counter(default=0.0)`).
pub const ZKRS_COUNTER_FLOAT: i32 = 1;
/// Counter kind: a 32-bit integer stored as 4 big-endian bytes (kazoo's `support_curator=True`,
/// Curator's `SharedCount`).
pub const ZKRS_COUNTER_CURATOR: i32 = 2;

/// A shared counter at one node (kazoo's `Counter`). Changes are atomic: read with the node's
/// version, written only if the version is unchanged, retried otherwise (and on connection loss,
/// until the client is closed). Created by `zkrs_counter_new`, released by `zkrs_counter_free`
/// (before or after its client). May be used from any thread, concurrently.
pub struct zkrs_counter {
    client: Arc<Handle>,
    counter: Counter,
}

unsafe fn counter_arg<'a>(ctr: *mut zkrs_counter) -> Result<&'a zkrs_counter, zkrs_rc> {
    live_arg(ctr, "counter", |c| &c.client)
}

/// A counter of `kind` (`ZKRS_COUNTER_INT`, `ZKRS_COUNTER_FLOAT` or `ZKRS_COUNTER_CURATOR`) at
/// `path`, in `*out`; its node is created (empty, meaning 0) on first use. Release it with
/// `zkrs_counter_free`. `ZKRS_RC_INVALID_PATH`, `ZKRS_RC_BAD_ARGUMENTS` (unknown kind).
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_new(
    c: *mut zkrs_client,
    path: *const c_char,
    kind: i32,
    out: *mut *mut zkrs_counter,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let out = try_arg!(out_arg(out, "out"));
        let kind = match kind {
            ZKRS_COUNTER_INT => CounterKind::Int,
            ZKRS_COUNTER_FLOAT => CounterKind::Float,
            ZKRS_COUNTER_CURATOR => CounterKind::Curator,
            k => return fail_with(&Error::BadArguments(format!("unknown counter kind {k} (0 int, 1 float, 2 curator)"))),
        };
        finish(Counter::new(&c.client, path, kind), |counter| {
            *out = Box::into_raw(Box::new(zkrs_counter { client: c.share(), counter }));
        })
    }
}

fn int_of(v: CounterValue) -> i64 {
    match v {
        CounterValue::Int(n) => n,
        CounterValue::Float(x) => x as i64,
    }
}

fn float_of(v: CounterValue) -> f64 {
    match v {
        CounterValue::Float(x) => x,
        CounterValue::Int(n) => n as f64,
    }
}

/// The code of a change; the optional `pre_out`/`post_out` receive the values in the C type `of` gives.
unsafe fn change_code<T>(
    r: crate::error::Result<Change>,
    pre_out: *mut T,
    post_out: *mut T,
    of: fn(CounterValue) -> T,
) -> zkrs_rc {
    finish(r, |Change { pre, post }| {
        if !pre_out.is_null() {
            *pre_out = of(pre);
        }
        if !post_out.is_null() {
            *post_out = of(post);
        }
    })
}

/// Adds `delta` to an integer or Curator counter; `*pre_out` and `*post_out` (each may be NULL)
/// receive the values before and after. `ZKRS_RC_BAD_ARGUMENTS` on a float counter or when the result
/// does not fit (64 bits; 32 bits for Curator); `ZKRS_RC_MARSHALLING_ERROR` if the node holds
/// something else than this kind of counter.
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_add(
    counter: *mut zkrs_counter,
    delta: i64,
    pre_out: *mut i64,
    post_out: *mut i64,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        change_code(c.counter.add(CounterValue::Int(delta)), pre_out, post_out, int_of)
    }
}

/// Subtracts `delta` from an integer or Curator counter (see `zkrs_counter_add`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_subtract(
    counter: *mut zkrs_counter,
    delta: i64,
    pre_out: *mut i64,
    post_out: *mut i64,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        change_code(c.counter.subtract(CounterValue::Int(delta)), pre_out, post_out, int_of)
    }
}

/// The value of an integer or Curator counter in `*value_out`. `ZKRS_RC_BAD_ARGUMENTS` on a float
/// counter.
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_value(counter: *mut zkrs_counter, value_out: *mut i64) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        let out = try_arg!(out_arg(value_out, "value_out"));
        if c.counter.kind() == CounterKind::Float {
            return fail_with(&Error::BadArguments("a float counter: use zkrs_counter_value_float".into()));
        }
        finish(c.counter.value(), |v| *out = int_of(v))
    }
}

/// Adds `delta` to a float counter; `*pre_out` and `*post_out` (each may be NULL) receive the values
/// before and after. `ZKRS_RC_BAD_ARGUMENTS` on an integer or Curator counter.
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_add_float(
    counter: *mut zkrs_counter,
    delta: f64,
    pre_out: *mut f64,
    post_out: *mut f64,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        change_code(c.counter.add(CounterValue::Float(delta)), pre_out, post_out, float_of)
    }
}

/// Subtracts `delta` from a float counter (see `zkrs_counter_add_float`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_subtract_float(
    counter: *mut zkrs_counter,
    delta: f64,
    pre_out: *mut f64,
    post_out: *mut f64,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        change_code(c.counter.subtract(CounterValue::Float(delta)), pre_out, post_out, float_of)
    }
}

/// The value of a float counter in `*value_out`. `ZKRS_RC_BAD_ARGUMENTS` on an integer or Curator
/// counter.
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_value_float(counter: *mut zkrs_counter, value_out: *mut f64) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(counter_arg(counter));
        let out = try_arg!(out_arg(value_out, "value_out"));
        if c.counter.kind() != CounterKind::Float {
            return fail_with(&Error::BadArguments("an integer counter: use zkrs_counter_value".into()));
        }
        finish(c.counter.value(), |v| *out = float_of(v))
    }
}

/// Releases a counter (its node stays). NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_counter_free(counter: *mut zkrs_counter) {
    ffi_guard! {
        if !counter.is_null() {
            drop(Box::from_raw(counter));
        }
    }
}
