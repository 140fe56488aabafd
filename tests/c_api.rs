//! The C API from C: compiles the programs of examples-c/ against include/zkrs.h and the freshly built
//! libzkrs.so (gcc -Wall -Wextra -Werror) and runs them against a real ZooKeeper server.
//!
//!   cargo test --test c_api
//!
//! With ZKRS_C_VALGRIND=1 the programs also run under valgrind memcheck (errors are failures).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use zkrs_testserver::ZkServer;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>: where cargo put libzkrs.so and libzkrs.a (this test runs from target/<profile>/deps).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
    assert!(
        dir.join("libzkrs.so").exists(),
        "{} has no libzkrs.so; the cdylib is built by `cargo build` / `cargo test`",
        dir.display()
    );
    dir
}

fn scratch_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkrs-c-api-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compiles examples-c/<name>.c into an executable linked with libzkrs.so.
fn compile_example(name: &str) -> PathBuf {
    let lib = lib_dir();
    let exe = scratch_dir().join(name);
    let out = Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("examples-c").join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lzkrs", "-lssl", "-lcrypto", "-lpthread", "-ldl", "-lm"])
        .output()
        .expect("cannot run gcc; scripts/test.sh installs it");
    assert!(out.status.success(), "gcc failed for {name}.c:\n{}", String::from_utf8_lossy(&out.stderr));
    exe
}

fn show(what: &str, out: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn valgrind_wanted() -> bool {
    std::env::var_os("ZKRS_C_VALGRIND").is_some_and(|v| v == "1")
}

#[test]
fn quickstart_runs_against_a_real_server() {
    let exe = compile_example("quickstart");
    let server = ZkServer::start().expect("start ZooKeeper");
    let hosts = server.connect_string();

    let out = Command::new(&exe).arg(&hosts).output().expect("run quickstart");
    let report = show("quickstart", &out);
    assert!(out.status.success(), "{report}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for step in ["connected to", "created /zkrs-quickstart-", "watch set", "set /", "watch fired", "deleted", "OK"] {
        assert!(stdout.contains(step), "quickstart did not print {step:?}:\n{report}");
    }

    // The connect string from the environment works too.
    let out = Command::new(&exe).env("ZK_HOSTS", &hosts).output().expect("run quickstart");
    assert!(out.status.success(), "{}", show("quickstart with ZK_HOSTS", &out));

    // Without a connect string it explains its usage and fails.
    let out = Command::new(&exe).env_remove("ZK_HOSTS").output().expect("run quickstart");
    assert!(!out.status.success(), "quickstart without hosts should fail");

    if valgrind_wanted() {
        let out = Command::new("valgrind")
            .args(["--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "-q"])
            .arg(&exe)
            .arg(&hosts)
            .output()
            .expect("run valgrind");
        assert!(out.status.success(), "{}", show("quickstart under valgrind", &out));
    }
}
