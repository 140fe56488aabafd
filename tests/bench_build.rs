//! The benchmark's programs (bench/, run by `make bench`) still build against the current include/zkrs.h
//! and the C client's header: compiled, never run (the benchmark is timed, so it is not a test).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `sources` to objects in a scratch directory with the flags run.sh uses, plus -Werror.
fn compile(sources: &[&str]) {
    let out = std::env::temp_dir().join(format!("zkrs-bench-build-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    for src in sources {
        let obj = out.join(Path::new(src).with_extension("o").file_name().unwrap());
        let status = Command::new("gcc")
            .args(["-std=gnu99", "-O2", "-Wall", "-Wextra", "-Werror", "-c"])
            .arg("-I")
            .arg(repo().join("include"))
            .arg(repo().join(src))
            .arg("-o")
            .arg(&obj)
            .output()
            .expect("cannot run gcc; scripts/setup.sh installs it");
        assert!(status.status.success(), "gcc failed for {src}:\n{}", String::from_utf8_lossy(&status.stderr));
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_c_programs_compile() {
    compile(&["bench/harness.c", "bench/zkrs_client.c", "bench/raw.c", "bench/c_client.c"]);
}

#[test]
fn the_scripts_parse() {
    let sh = Command::new("bash").arg("-n").arg(repo().join("bench/run.sh")).output().expect("bash");
    assert!(sh.status.success(), "bench/run.sh: {}", String::from_utf8_lossy(&sh.stderr));
    for py in ["bench/kazoo_client.py", "bench/table.py"] {
        let src = std::fs::read_to_string(repo().join(py)).unwrap();
        let out = Command::new("python3")
            .args(["-c", "import sys; compile(sys.stdin.read(), sys.argv[1], 'exec')", py])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(src.as_bytes())?;
                child.wait_with_output()
            })
            .expect("python3");
        assert!(out.status.success(), "{py}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
