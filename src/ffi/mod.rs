//! The C ABI: `#[no_mangle] extern "C"` functions over the Rust API, one module per C type family.
//! This layer only converts types and checks arguments; every behaviour lives in the Rust core.
//!
//! Conventions (SPEC section 2): every fallible function returns a `zkrs_rc`; out-parameters are
//! written only on success; every pointer argument is checked for NULL and every text argument for
//! UTF-8 before use; each body runs under `ffi_guard!`, which turns a panic into `ZKRS_RC_PANIC`.
//! `include/zkrs.h` is generated from the files of this directory (see `tests/header.rs`).

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

use crate::error::{codes, Error};
use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};

/// Runs an exported function's body; a panic becomes the "panic value" of the return type
/// (`ZKRS_RC_PANIC` for `zkrs_rc`, NULL for pointers, `false`, `0`, nothing), with the panic message as
/// the thread's last error message. `return` inside the body returns from the body.
macro_rules! ffi_guard {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(payload) => $crate::ffi::panicked(payload),
        }
    };
}

/// Unwraps a `Result<T, zkrs_rc>` from an argument check, returning the code from the function.
macro_rules! try_arg {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(rc) => return rc,
        }
    };
}

/// A static NUL-terminated C string from a string literal.
macro_rules! cstr {
    ($s:literal) => {
        // SAFETY: the literal gets exactly one NUL, at its end (literals used here contain none).
        unsafe { ::std::ffi::CStr::from_bytes_with_nul_unchecked(concat!($s, "\0").as_bytes()) }
    };
}

pub mod acl;
pub mod barrier;
pub mod buf;
pub mod client;
pub mod config;
pub mod counter;
pub mod election;
pub mod error;
pub mod future;
pub mod lease;
pub mod lock;
pub mod log;
pub mod ops;
pub mod partitioner;
pub mod party;
pub mod queue;
pub mod retry;
pub mod semaphore;
pub mod server;
pub mod stat;
mod timeout;
pub mod tree_cache;
pub mod txn;
pub mod version;
pub mod watch;
pub mod watchers;

use error::zkrs_rc;

/// What an exported function returns when its body panicked.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for i32 {
    fn panic_value() -> Self {
        codes::PANIC
    }
}
impl PanicValue for () {
    fn panic_value() -> Self {}
}
impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}
impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}
impl PanicValue for isize {
    fn panic_value() -> Self {
        -1
    }
}
impl PanicValue for u32 {
    fn panic_value() -> Self {
        0
    }
}
impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}
impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

pub(crate) fn panicked<T: PanicValue>(payload: Box<dyn Any + Send>) -> T {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_string());
    set_last_error(&format!("internal error, a panic was caught at the C boundary: {what}"));
    T::panic_value()
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Turns text into a C string, showing interior NUL bytes as `\0` instead of truncating.
pub(crate) fn to_cstring(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).expect("NUL bytes were replaced")
}

/// This thread's last error message, as text.
pub(crate) fn last_error_text() -> String {
    LAST_ERROR.with(|m| m.borrow().to_string_lossy().into_owned())
}

pub(crate) fn set_last_error(message: &str) {
    let c = to_cstring(message);
    LAST_ERROR.with(|m| *m.borrow_mut() = c);
}

/// Records `message` as this thread's last error and returns `rc`.
pub(crate) fn fail(rc: zkrs_rc, message: &str) -> zkrs_rc {
    set_last_error(message);
    rc
}

/// The code for a core result; on success `write` stores the value in the caller's out-parameters
/// (so they are written only on success).
pub(crate) fn finish<T>(r: Result<T, Error>, write: impl FnOnce(T)) -> zkrs_rc {
    match r {
        Ok(v) => {
            write(v);
            codes::OK
        }
        Err(e) => fail_with(&e),
    }
}

/// The code for a core result whose value, if any, the caller does not receive.
pub(crate) fn code_of<T>(r: Result<T, Error>) -> zkrs_rc {
    finish(r, drop)
}

/// Records a core error as this thread's last error and returns its code.
pub(crate) fn fail_with(e: &Error) -> zkrs_rc {
    fail(e.code(), &e.to_string())
}

/// The detail message of the last call on this thread that failed: what failed and where (path,
/// server, reason). Empty if no call has failed on this thread yet.
///
/// The text is owned by zkrs and stays valid until the next zkrs call on this thread fails; copy it to
/// keep it. Never NULL. Successful calls do not change it.
#[no_mangle]
pub extern "C" fn zkrs_last_error_message() -> *const c_char {
    ffi_guard! {
        LAST_ERROR.with(|m| m.borrow().as_ptr())
    }
}

/// A NUL-terminated UTF-8 argument.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, zkrs_rc> {
    if p.is_null() {
        return Err(fail(codes::NULL_ARGUMENT, &format!("argument `{name}` is NULL")));
    }
    let bytes = CStr::from_ptr(p).to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        fail(
            codes::INVALID_UTF8,
            &format!("argument `{name}` is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })
}

/// A `(data, len)` byte argument: `data` may be NULL only when `len` is 0.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], zkrs_rc> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(fail(codes::NULL_ARGUMENT, &format!("argument `{name}` is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize {
        return Err(fail(codes::DATA_TOO_LARGE, &format!("argument `{name}`: length {len} is impossible")));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// A required pointer argument.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T, name: &str) -> Result<&'a T, zkrs_rc> {
    p.as_ref().ok_or_else(|| fail(codes::NULL_ARGUMENT, &format!("argument `{name}` is NULL")))
}

/// A required out-parameter (checked before the call; written only on success).
pub(crate) fn out_arg<T>(p: *mut T, name: &str) -> Result<*mut T, zkrs_rc> {
    if p.is_null() {
        Err(fail(codes::NULL_ARGUMENT, &format!("argument `{name}` is NULL")))
    } else {
        Ok(p)
    }
}

/// A recipe object argument: not NULL, and the client it was made on (`client` picks its handle)
/// neither closed nor left behind by a fork.
pub(crate) unsafe fn live_arg<'a, T>(
    p: *const T,
    name: &str,
    client: fn(&T) -> &client::Handle,
) -> Result<&'a T, zkrs_rc> {
    let object = ref_arg(p, name)?;
    client(object).usable()?;
    Ok(object)
}

/// A `void *userdata` that crosses to the client's threads. The C caller promises (by the header's
/// rules) that it may be used from the event thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub *mut c_void);
// SAFETY: the header documents that userdata is handed to callbacks on the client's event thread (or
// inside zkrs_client_dispatch); zkrs never dereferences it.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// The empty detail string given to callbacks on success.
pub(crate) const EMPTY: &CStr = cstr!("");

#[cfg(test)]
mod tests;
