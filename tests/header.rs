//! include/zkrs.h: regenerated in memory with the cbindgen crate pinned in Cargo.lock and compared with
//! the committed file; its version macros agree with Cargo.toml and `zkrs_version()`; it compiles as
//! C99 and C++17 with every warning an error.
//!
//! Refresh the header with:  ZKRS_BLESS=1 cargo test --test header

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Command;

const REFRESH: &str = "ZKRS_BLESS=1 cargo test --test header";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    root().join("include/zkrs.h")
}

fn version_parts() -> (u32, u32, u32) {
    let v = env!("CARGO_PKG_VERSION");
    let mut it = v.split(['.', '-', '+']).map(|p| p.parse::<u32>().expect("numeric version part"));
    (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
}

/// The version macros, generated from Cargo.toml's version.
fn version_macros() -> String {
    let (major, minor, patch) = version_parts();
    format!(
        "\n/* The version of zkrs this header belongs to (zkrs_version() is the one that runs). */\n\
         #define ZKRS_VERSION_MAJOR {major}\n\
         #define ZKRS_VERSION_MINOR {minor}\n\
         #define ZKRS_VERSION_PATCH {patch}\n\
         #define ZKRS_VERSION_STRING \"{}\"\n\
         /* (major << 16) | (minor << 8) | patch, as zkrs_version_number() returns it. */\n\
         #define ZKRS_VERSION_NUMBER ((ZKRS_VERSION_MAJOR << 16) | (ZKRS_VERSION_MINOR << 8) | ZKRS_VERSION_PATCH)",
        env!("CARGO_PKG_VERSION")
    )
}

fn generate() -> String {
    let mut config = cbindgen::Config::from_file(root().join("cbindgen.toml")).expect("read cbindgen.toml");
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root().join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let fresh = generate();
    let path = header_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if fresh == committed {
        return;
    }
    if std::env::var_os("ZKRS_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/zkrs.h");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let new_path = std::env::temp_dir().join(format!("zkrs.h.new.{}", std::process::id()));
    let _ = std::fs::write(&new_path, &fresh);
    let first_diff = fresh
        .lines()
        .zip(committed.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| format!("first difference at line {}:\n  committed: {b}\n  generated: {a}", i + 1))
        .unwrap_or_else(|| "one file is a prefix of the other".to_string());
    panic!(
        "include/zkrs.h is stale (the generated header is in {}); {first_diff}\nrefresh it with:  {REFRESH}",
        new_path.display()
    );
}

fn committed_header() -> String {
    std::fs::read_to_string(header_path())
        .unwrap_or_else(|e| panic!("cannot read include/zkrs.h ({e}); generate it with:  {REFRESH}"))
}

fn define(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} is not defined in include/zkrs.h; refresh it with:  {REFRESH}"))
        .trim()
        .to_string()
}

#[test]
fn version_macros_agree_with_cargo_toml_and_runtime() {
    let h = committed_header();
    let (major, minor, patch) = version_parts();
    assert_eq!(define(&h, "ZKRS_VERSION_MAJOR"), major.to_string());
    assert_eq!(define(&h, "ZKRS_VERSION_MINOR"), minor.to_string());
    assert_eq!(define(&h, "ZKRS_VERSION_PATCH"), patch.to_string());
    let string = define(&h, "ZKRS_VERSION_STRING");
    assert_eq!(string, format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    let runtime = unsafe { CStr::from_ptr(zkrs::ffi::version::zkrs_version()) }.to_str().unwrap();
    assert_eq!(format!("\"{runtime}\""), string, "zkrs_version() and ZKRS_VERSION_STRING differ");
    assert_eq!(zkrs::ffi::version::zkrs_version_number(), (major << 16) | (minor << 8) | patch);
}

#[test]
fn every_result_code_is_in_the_header() {
    let h = committed_header();
    for &(code, name) in zkrs::error::CODE_TABLE {
        assert_eq!(define(&h, &format!("ZKRS_RC_{name}")), code.to_string(), "ZKRS_RC_{name}");
    }
}

/// Compiles a translation unit that includes the header (and checks the version macros at compile time).
fn compile(compiler: &str, args: &[&str], ext: &str) {
    let dir = std::env::temp_dir().join(format!("zkrs-header-{}-{compiler}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("use_header.{ext}"));
    std::fs::write(
        &src,
        "#include \"zkrs.h\"\n\
         #if ZKRS_VERSION_NUMBER != ((ZKRS_VERSION_MAJOR << 16) | (ZKRS_VERSION_MINOR << 8) | ZKRS_VERSION_PATCH)\n\
         #error version macros disagree\n\
         #endif\n\
         int zkrs_header_check(void);\n\
         int zkrs_header_check(void) {\n\
             zkrs_stat st = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};\n\
             zkrs_watcher w = {0, 0, 0};\n\
             zkrs_create_options o = {ZKRS_CREATE_PERSISTENT, 0, 0, false};\n\
             (void)w; (void)o;\n\
             return st.version + (int)sizeof(zkrs_watch_event) + ZKRS_RC_NO_NODE;\n\
         }\n",
    )
    .unwrap();
    let out = Command::new(compiler)
        .args(args)
        .arg("-I")
        .arg(root().join("include"))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(dir.join("use_header.o"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compiler} ({e}); scripts/test.sh installs it"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "include/zkrs.h does not compile with {compiler} {}:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_compiles_as_c99() {
    compile("gcc", &["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"], "c");
}

#[test]
fn header_compiles_as_cpp17() {
    compile("g++", &["-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Werror"], "cpp");
}
