//! Results the caller owns: `zkrs_buf` (bytes) and `zkrs_string_list` (NUL-terminated strings).

use super::fail;
use crate::error::codes;
use std::ffi::{c_char, CString};

/// Bytes owned by the caller (node data, a created path): read them with `zkrs_buf_data` and
/// `zkrs_buf_len`, release them with `zkrs_buf_free`. A NUL byte always follows the last byte (not
/// counted in the length), so a buffer holding text can be used as a C string.
pub struct zkrs_buf {
    /// The bytes followed by one NUL.
    bytes: Vec<u8>,
}

impl zkrs_buf {
    pub(crate) fn boxed(mut bytes: Vec<u8>) -> *mut zkrs_buf {
        bytes.push(0);
        Box::into_raw(Box::new(zkrs_buf { bytes }))
    }
}

/// The bytes of `b` (never NULL for a valid buffer, even when empty; NULL if `b` is NULL). Valid until
/// `zkrs_buf_free(b)`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_buf_data(b: *const zkrs_buf) -> *const u8 {
    ffi_guard! {
        match b.as_ref() {
            Some(b) => b.bytes.as_ptr(),
            None => std::ptr::null(),
        }
    }
}

/// The number of bytes of `b`, without the trailing NUL (0 if `b` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_buf_len(b: *const zkrs_buf) -> usize {
    ffi_guard! {
        match b.as_ref() {
            Some(b) => b.bytes.len() - 1,
            None => 0,
        }
    }
}

/// Releases `b`. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_buf_free(b: *mut zkrs_buf) {
    ffi_guard! {
        if !b.is_null() {
            drop(Box::from_raw(b));
        }
    }
}

/// A list of NUL-terminated UTF-8 strings (e.g. child names): `zkrs_string_list_len`,
/// `zkrs_string_list_get`, released by `zkrs_string_list_free` when the caller owns it.
pub struct zkrs_string_list {
    items: Vec<CString>,
}

impl zkrs_string_list {
    /// Builds a list; a string with a NUL byte (impossible for ZooKeeper names) is a marshalling error.
    pub(crate) fn new(items: Vec<String>) -> Result<zkrs_string_list, i32> {
        let mut out = Vec::with_capacity(items.len());
        for s in items {
            match CString::new(s) {
                Ok(c) => out.push(c),
                Err(e) => {
                    return Err(fail(
                        codes::MARSHALLING_ERROR,
                        &format!("a string from the server contains a NUL byte at {}", e.nul_position()),
                    ))
                }
            }
        }
        Ok(zkrs_string_list { items: out })
    }
}

/// The number of strings in `l` (0 if `l` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_string_list_len(l: *const zkrs_string_list) -> usize {
    ffi_guard! {
        match l.as_ref() {
            Some(l) => l.items.len(),
            None => 0,
        }
    }
}

/// The string at index `i`, NUL-terminated, valid as long as the list; NULL if `l` is NULL or `i` is out
/// of range.
#[no_mangle]
pub unsafe extern "C" fn zkrs_string_list_get(l: *const zkrs_string_list, i: usize) -> *const c_char {
    ffi_guard! {
        match l.as_ref().and_then(|l| l.items.get(i)) {
            Some(s) => s.as_ptr(),
            None => std::ptr::null(),
        }
    }
}

/// Releases a list the caller owns. NULL does nothing. Never call it on a list passed to a callback
/// (that one is borrowed).
#[no_mangle]
pub unsafe extern "C" fn zkrs_string_list_free(l: *mut zkrs_string_list) {
    ffi_guard! {
        if !l.is_null() {
            drop(Box::from_raw(l));
        }
    }
}
