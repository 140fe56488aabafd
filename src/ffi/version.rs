//! The library's version at run time (the header has the same as `ZKRS_VERSION_*` macros).

use std::ffi::c_char;

const VERSION_Z: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

fn part(i: usize) -> u32 {
    env!("CARGO_PKG_VERSION").split(['.', '-', '+']).nth(i).and_then(|p| p.parse().ok()).unwrap_or(0)
}

/// The version of the library that is running, e.g. `"0.1.0"`: the same text as the header's
/// `ZKRS_VERSION_STRING` when the program runs with the library it was compiled against. Static; never
/// NULL.
#[no_mangle]
pub extern "C" fn zkrs_version() -> *const c_char {
    ffi_guard! { VERSION_Z.as_ptr().cast() }
}

/// The version of the library that is running as one number, `(major << 16) | (minor << 8) | patch`,
/// comparable with the header's `ZKRS_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn zkrs_version_number() -> u32 {
    ffi_guard! { (part(0) << 16) | (part(1) << 8) | part(2) }
}
