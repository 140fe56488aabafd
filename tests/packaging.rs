//! Packaging: `make install` into temporary prefixes, then the programs of examples-c/ built the way a
//! user builds them — as a CMake project (`find_package(zkrs CONFIG REQUIRED)`, tests/consumer/) with
//! `zkrs::zkrs` and `zkrs::zkrs_static` (plus a C++ program), and with `pkg-config --cflags --libs zkrs`
//! (and `--static` against an install without libzkrs.so) — and run against a real ZooKeeper. The C quick
//! start of README.md is built and run too.
//!
//!   cargo test --test packaging
//!
//! The install is staged with DESTDIR under a PREFIX that does not exist (/opt/zkrs) and used from the
//! staging directory: that only works because the installed files are relocatable.
//!
//! `make install` builds the release library (target/release) once per run of this binary. Under
//! `cargo test --release` that directory is locked by the outer cargo, so the library is then built in
//! target/packaging instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const STAGED_PREFIX: &str = "/opt/zkrs";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        remove_scratch_of_finished_runs();
        let d = std::env::temp_dir().join(format!("zkrs-packaging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
    .clone()
}

/// A run leaves a few hundred MB (installs, static programs); the directories of runs whose process is
/// gone are removed by the next run.
fn remove_scratch_of_finished_runs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix("zkrs-packaging-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Runs a command, panicking with its output unless it succeeds.
fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_of(cmd: &mut Command, what: &str) -> String {
    String::from_utf8(run(cmd, what).stdout).unwrap().trim().to_string()
}

/// The cargo target directory `make` builds the release library in (see the module doc).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
    let target = profile_dir.parent().expect("target");
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        target.join("packaging")
    } else {
        target.to_path_buf()
    }
}

/// `make install` with DESTDIR=`destdir` and PREFIX=/opt/zkrs; returns where the prefix landed.
fn make_install(destdir: &Path, extra: &[&str]) -> PathBuf {
    let mut cmd = Command::new("make");
    cmd.current_dir(root())
        .arg("--no-print-directory")
        .arg("install")
        .arg(format!("PREFIX={STAGED_PREFIX}"))
        .arg(format!("DESTDIR={}", destdir.display()))
        .args(extra)
        .env("CARGO_TARGET_DIR", target_dir());
    if let Ok(cargo) = std::env::var("CARGO") {
        cmd.env("CARGO", cargo);
    }
    run(&mut cmd, "make install");
    destdir.join(STAGED_PREFIX.trim_start_matches('/'))
}

/// The full install (shared and static library, header, pkg-config, CMake).
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| make_install(&scratch_dir().join("stage"), &[]))
}

/// An install without libzkrs.so, where `-lzkrs` can only mean libzkrs.a.
fn static_prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        // After the full install: one build, and no two installs rewriting target/release/native-static-libs.txt.
        prefix();
        make_install(&scratch_dir().join("stage-static"), &["STATIC_ONLY=1"])
    })
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

fn soname() -> String {
    format!("libzkrs.so.{}", env!("CARGO_PKG_VERSION_MAJOR"))
}

/// The NEEDED entries of an ELF file (readelf comes with binutils, which gcc needs).
fn needed(elf: &Path) -> Vec<String> {
    let text = stdout_of(Command::new("readelf").arg("-d").arg(elf), "readelf -d");
    let mut libs = Vec::new();
    for line in text.lines() {
        let tag = if line.contains("(NEEDED)") {
            "NEEDED"
        } else if line.contains("(SONAME)") {
            "SONAME"
        } else {
            continue;
        };
        if let (Some(a), Some(b)) = (line.find('['), line.rfind(']')) {
            libs.push(format!("{tag} {}", &line[a + 1..b]));
        }
    }
    libs
}

/// Runs an example program against the shared test server; it prints OK and exits 0 when every step worked.
fn run_quickstart(exe: &Path) {
    let out = run(Command::new(exe).arg(common::hosts()).env_remove("ZK_HOSTS"), &exe.display().to_string());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l == "OK"), "{} did not print OK:\n{stdout}", exe.display());
    assert!(stdout.contains(&format!("zkrs {}", version())), "{} reports another version:\n{stdout}", exe.display());
}

fn examples() -> Vec<PathBuf> {
    ["quickstart", "async", "watch"].iter().map(|n| root().join("examples-c").join(format!("{n}.c"))).collect()
}

fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let out = stdout_of(
        Command::new("pkg-config")
            .args(args)
            .arg("zkrs")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env_remove("PKG_CONFIG_LIBDIR"),
        &format!("pkg-config {args:?} zkrs"),
    );
    out.split_whitespace().map(String::from).collect()
}

/// Compiles one example with the flags pkg-config gives; returns the executable.
fn compile_with_pkg_config(src: &Path, prefix: &Path, flags: &[String], tag: &str, rpath: bool) -> PathBuf {
    let exe = scratch_dir().join(format!("{}_{tag}", src.file_stem().unwrap().to_string_lossy()));
    let mut cmd = Command::new("gcc");
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1"]).arg(src).arg("-o").arg(&exe).args(flags);
    if rpath {
        cmd.arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()));
    }
    run(&mut cmd, &format!("gcc {} ({tag})", src.display()));
    exe
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `rustc --print native-static-libs` prints for a staticlib made of zkrs and its dependencies
/// (the rlibs of this build), found here independently of scripts/native-static-libs.sh.
fn rustc_native_static_libs() -> String {
    let out_dir = target_dir().join("release");
    let probe_dir = scratch_dir().join("probe");
    std::fs::create_dir_all(&probe_dir).unwrap();
    std::fs::write(probe_dir.join("probe.rs"), "extern crate zkrs;\n").unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = run(
        Command::new(rustc)
            .args(["--edition", "2021", "--crate-type", "staticlib", "--crate-name", "probe"])
            .arg("-L")
            .arg(format!("dependency={}", out_dir.join("deps").display()))
            .arg("--extern")
            .arg(format!("zkrs={}", out_dir.join("libzkrs.rlib").display()))
            .args(["--print", "native-static-libs", "-o"])
            .arg(probe_dir.join("libprobe.a"))
            .arg(probe_dir.join("probe.rs")),
        "rustc --print native-static-libs",
    );
    let _ = std::fs::remove_file(probe_dir.join("libprobe.a"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("note: native-static-libs: "))
        .unwrap_or_else(|| panic!("rustc printed no native-static-libs:\n{stderr}"))
        .trim()
        .to_string()
}

#[test]
fn install_layout_soname_and_symlinks() {
    let p = prefix();
    let lib = p.join("lib");
    let real = format!("libzkrs.so.{}", version());
    assert_eq!(read(&p.join("include/zkrs.h")), read(&root().join("include/zkrs.h")), "installed header differs");
    assert!(std::fs::symlink_metadata(lib.join(&real)).unwrap().file_type().is_file(), "{real} is not a file");
    assert_eq!(std::fs::read_link(lib.join(soname())).unwrap(), Path::new(&real));
    assert_eq!(std::fs::read_link(lib.join("libzkrs.so")).unwrap(), Path::new(&soname()));
    assert!(needed(&lib.join(&real)).contains(&format!("SONAME {}", soname())), "{real} lacks its SONAME");
    assert!(std::fs::metadata(lib.join("libzkrs.a")).unwrap().len() > 0);
    for f in ["pkgconfig/zkrs.pc", "cmake/zkrs/zkrsConfig.cmake", "cmake/zkrs/zkrsConfigVersion.cmake"] {
        let text = read(&lib.join(f));
        // Relocatable: neither the prefix it was installed for nor where it was staged or built appears.
        for absolute in [STAGED_PREFIX, &scratch_dir().to_string_lossy(), env!("CARGO_MANIFEST_DIR")] {
            assert!(!text.contains(absolute), "{f} names {absolute}:\n{text}");
        }
        assert!(!text.contains('@'), "{f} has an unreplaced @VARIABLE@:\n{text}");
    }
    let pc_version = pkg_config(p, &["--modversion"]);
    assert_eq!(pc_version, [version()]);
}

#[test]
fn native_static_libs_in_pc_and_cmake_match_rustc() {
    let p = prefix();
    let expected = rustc_native_static_libs();
    // OpenSSL is loaded at run time, only for TLS (src/tls/ossl.rs): the static library needs none of it.
    assert!(!expected.contains("-lssl") && !expected.contains("-lcrypto"), "rustc printed {expected}");
    let pc = read(&p.join("lib/pkgconfig/zkrs.pc"));
    let private = pc.lines().find_map(|l| l.strip_prefix("Libs.private:")).expect("Libs.private in zkrs.pc").trim();
    assert_eq!(private, expected, "zkrs.pc Libs.private");
    let cmake = read(&p.join("lib/cmake/zkrs/zkrsConfig.cmake"));
    assert!(
        cmake.contains(&format!("set(ZKRS_NATIVE_STATIC_LIBS \"{expected}\")")),
        "zkrsConfig.cmake does not list {expected}:\n{cmake}"
    );
    // And pkg-config hands exactly that list to a static link.
    let static_libs = pkg_config(p, &["--static", "--libs-only-l"]);
    let expected_flags: Vec<&str> = std::iter::once("-lzkrs").chain(expected.split_whitespace()).collect();
    assert_eq!(static_libs, expected_flags);
}

/// Configures and builds tests/consumer against `prefix`, asking find_package for `min_version`.
fn cmake_consumer(build: &Path, min_version: &str) -> Output {
    let configure = Command::new("cmake")
        .arg("-S")
        .arg(root().join("tests/consumer"))
        .arg("-B")
        .arg(build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix().display()))
        .arg(format!("-DZKRS_MIN_VERSION={min_version}"))
        .output()
        .expect("cannot run cmake; scripts/setup.sh installs it");
    if !configure.status.success() {
        return configure;
    }
    run(Command::new("cmake").arg("--build").arg(build).arg("-j2"), "cmake --build tests/consumer")
}

#[test]
fn cmake_consumer_links_shared_and_static_targets() {
    let build = scratch_dir().join("cmake-consumer");
    let out = cmake_consumer(&build, version());
    assert!(out.status.success(), "cmake configure failed:\n{}", String::from_utf8_lossy(&out.stderr));
    for name in ["quickstart", "async", "watch"] {
        let shared = needed(&build.join(name));
        assert!(shared.contains(&format!("NEEDED {}", soname())), "{name} does not load {}: {shared:?}", soname());
        let fixed = needed(&build.join(format!("{name}_static")));
        assert!(!fixed.iter().any(|l| l.contains("libzkrs")), "{name}_static loads libzkrs: {fixed:?}");
        assert!(!fixed.iter().any(|l| l.contains("libssl") || l.contains("libcrypto")), "{name}_static: {fixed:?}");
    }
    run_quickstart(&build.join("quickstart"));
    run_quickstart(&build.join("quickstart_static"));
    for exe in ["version_cxx", "version_cxx_static"] {
        let out = run(&mut Command::new(build.join(exe)), exe);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("UNKNOWN_CONFIG_KEY"), "{exe}: {stdout}");
    }
    assert!(needed(&build.join("version_cxx")).contains(&format!("NEEDED {}", soname())));
    assert!(!needed(&build.join("version_cxx_static")).iter().any(|l| l.contains("libzkrs")));
}

#[test]
fn cmake_version_file_refuses_another_major_version() {
    let build = scratch_dir().join("cmake-wrong-version");
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let out = cmake_consumer(&build, &format!("{}.0", major + 1));
    assert!(!out.status.success(), "find_package(zkrs {}.0) accepted version {}", major + 1, version());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(version()), "the refusal does not name the installed version:\n{stderr}");
}

#[test]
fn pkg_config_shared_link() {
    let p = prefix();
    let mut flags = pkg_config(p, &["--cflags"]);
    flags.extend(pkg_config(p, &["--libs"]));
    assert!(flags.contains(&"-lzkrs".to_string()), "{flags:?}");
    let exes: Vec<PathBuf> = examples().iter().map(|src| compile_with_pkg_config(src, p, &flags, "pc", true)).collect();
    for exe in &exes {
        assert!(needed(exe).contains(&format!("NEEDED {}", soname())), "{} does not load libzkrs", exe.display());
    }
    run_quickstart(&exes[0]);
}

#[test]
fn pkg_config_static_link() {
    let p = static_prefix();
    assert!(!p.join("lib/libzkrs.so").exists(), "STATIC_ONLY=1 installed libzkrs.so");
    let mut flags = pkg_config(p, &["--cflags"]);
    flags.extend(pkg_config(p, &["--static", "--libs"]));
    let exes: Vec<PathBuf> =
        examples().iter().map(|src| compile_with_pkg_config(src, p, &flags, "pc_static", false)).collect();
    for exe in &exes {
        let libs = needed(exe);
        assert!(!libs.iter().any(|l| l.contains("libzkrs")), "{} loads libzkrs: {libs:?}", exe.display());
    }
    run_quickstart(&exes[0]);
}

#[test]
fn readme_c_quick_start_builds_and_runs() {
    let readme = read(&root().join("README.md"));
    let section = readme.split("\n## C quick start\n").nth(1).expect("README.md has a \"## C quick start\" section");
    let code = section.split("```c\n").nth(1).and_then(|c| c.split("\n```").next()).expect("a ```c block in it");
    let src = scratch_dir().join("readme_quick_start.c");
    std::fs::write(&src, code).unwrap();
    let p = prefix();
    let mut flags = pkg_config(p, &["--cflags"]);
    flags.extend(pkg_config(p, &["--libs"]));
    let exe = compile_with_pkg_config(&src, p, &flags, "pc", true);
    for _ in 0..2 {
        // The second run finds /greeting already there and still reads it.
        let out = run(Command::new(&exe).arg(common::hosts()), "the README's C quick start");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    }
}

#[test]
fn moved_prefix_still_works() {
    // Copy the staged install elsewhere (symlinks kept) and build from there: nothing may point back.
    let moved = scratch_dir().join("moved/zkrs");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    run(Command::new("cp").arg("-a").arg(prefix()).arg(&moved), "cp -a of the install");
    let libdir = pkg_config(&moved, &["--variable=libdir"]);
    assert_eq!(
        std::fs::canonicalize(&libdir[0]).unwrap(),
        std::fs::canonicalize(moved.join("lib")).unwrap(),
        "zkrs.pc of the moved prefix points elsewhere"
    );
    let mut flags = pkg_config(&moved, &["--cflags"]);
    flags.extend(pkg_config(&moved, &["--libs"]));
    let exe = compile_with_pkg_config(&examples()[0], &moved, &flags, "moved", true);
    run_quickstart(&exe);
}
