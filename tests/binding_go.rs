//! The Go binding (bindings/go) from Go: runs its `go test -race` with Debian's Go against a real
//! ZooKeeper started here, linked with the libzkrs.so this test binary was built with.
//!
//!   cargo test --test binding_go
//!
//! The connect string goes to the Go tests in `ZK_HOSTS`; `CGO_CFLAGS` and `CGO_LDFLAGS` point cgo at
//! include/ and at a copy of the library (with an rpath); GOCACHE and GOPATH live under target/, and
//! `GOFLAGS=-mod=mod GOPROXY=off` keep Go off the network (the binding has no dependencies).
//! `GODEBUG=cgocheck=2` makes the Go runtime check that no Go pointer is stored in C memory.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where Go keeps its build cache and module path: inside target/, so the tree stays clean.
fn go_home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go")
}

/// A directory holding the libzkrs.so this test binary was built with, as `libzkrs.so` and under its
/// SONAME (the name the Go test binary records and looks up through its rpath).
///
/// As in tests/c_api.rs: `cargo test` leaves the cdylib in target/<profile>/deps, `cargo build` also
/// copies it to target/<profile>; the one in deps is the fresh one when both exist. If neither exists it
/// is built here.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    let candidates = [deps.join("libzkrs.so"), deps.parent().expect("target/<profile>").join("libzkrs.so")];
    if !candidates.iter().any(|p| p.exists()) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "--lib"]).current_dir(root()).status().expect("run cargo");
        assert!(status.success(), "cargo build --lib failed");
    }
    let so = candidates
        .iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no libzkrs.so in {} or its parent after cargo build --lib", deps.display()));
    let dir = go_home().join(format!("lib-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(so, dir.join("libzkrs.so")).expect("copy libzkrs.so");
    let soname = soname(so).unwrap_or_else(|| "libzkrs.so".into());
    if soname != "libzkrs.so" {
        std::fs::copy(so, dir.join(&soname)).expect("copy libzkrs.so under its SONAME");
    }
    dir
}

/// The SONAME of a shared library, read from `readelf -d` (binutils come with gcc).
fn soname(so: &Path) -> Option<String> {
    let out = Command::new("readelf").arg("-d").arg(so).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("(SONAME)"))?;
    let start = line.find('[')? + 1;
    let end = line.rfind(']')?;
    Some(line[start..end].to_string())
}

/// `go <args>` in bindings/go with the environment every run here uses.
fn go(lib: &Path, args: &[&str]) -> Command {
    let home = go_home();
    let mut cmd = Command::new("go");
    cmd.args(args)
        .current_dir(root().join("bindings/go"))
        .env("GOCACHE", home.join("cache"))
        .env("GOPATH", home.join("path"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("CGO_ENABLED", "1")
        .env("CGO_CFLAGS", format!("-I{}", root().join("include").display()))
        .env("CGO_LDFLAGS", format!("-L{0} -Wl,-rpath,{0}", lib.display()));
    cmd
}

fn run(mut cmd: Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what} ({e}); scripts/setup.sh installs golang-go"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed: {}\n--- stdout\n{stdout}--- stderr\n{stderr}", out.status);
    stdout
}

#[test]
fn go_binding() {
    let lib = lib_dir();
    let version = run(go(&lib, &["version"]), "go version");
    eprintln!("binding_go: {}", version.trim());

    // Formatting and vet first: cheap, and they name the file when something is off.
    let mut gofmt = Command::new("gofmt");
    gofmt.args(["-l", "."]).current_dir(root().join("bindings/go"));
    let unformatted = run(gofmt, "gofmt -l");
    assert!(unformatted.trim().is_empty(), "gofmt would change: {unformatted}");
    run(go(&lib, &["vet", "./..."]), "go vet");

    let mut test = go(&lib, &["test", "-race", "-count=1", "-timeout", "180s", "-v", "./..."]);
    // For TestGetConfigAndReconfig: one member to connect to and a follower it may remove.
    let (ensemble, victim) = common::reconfigurable_ensemble();
    test.env("ZK_HOSTS", common::hosts())
        .env("ZK_RECONFIG_HOSTS", ensemble.member_connect_string(0))
        .env("ZK_RECONFIG_VICTIM", (victim + 1).to_string())
        .env("GODEBUG", "cgocheck=2");
    let out = run(test, "go test -race");
    for line in out.lines().filter(|l| l.starts_with("--- ")) {
        eprintln!("binding_go: {line}");
    }
    let passed = out.lines().filter(|l| l.starts_with("--- PASS")).count();
    assert!(
        out.contains("--- PASS: TestHundredGoroutinesShareOneClient"),
        "the 100-goroutine test did not run:\n{out}"
    );
    assert!(!out.contains("--- FAIL") && !out.contains("--- SKIP"), "{out}");
    assert!(passed >= 13, "only {passed} Go tests passed:\n{out}");
    let _ = std::fs::remove_dir_all(&lib);
}
