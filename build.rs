//! Gives the shared library its SONAME, `libzkrs.so.<major>` (`libzkrs.so.0` while the version is 0.x),
//! so programs record which ABI they were linked against.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if os == "linux" || os == "freebsd" || os == "netbsd" || os == "openbsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzkrs.so.{major}");
    }
}
