//! The Ruby binding (bindings/ruby): runs its minitests with Debian's ruby and ruby-ffi against a real
//! ZooKeeper and the libzkrs.so built for this test run.
//!
//!   cargo test --test binding_ruby
//!
//! The tests get the server in ZK_HOSTS, a reconfigurable 3-member ensemble in ZK_RECONFIG_HOSTS and
//! ZK_RECONFIG_VICTIM, and the library in ZKRS_LIBRARY; this test fails when any
//! minitest fails or errors, or when none ran. scripts/setup.sh installs ruby, ruby-ffi and ruby-minitest.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the whole minitest run may take before it is killed as hung.
const RUN_LIMIT: Duration = Duration::from_secs(300);

fn ruby_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bindings/ruby")
}

/// The libzkrs.so of this build: `cargo test` leaves the cdylib in target/<profile>/deps next to this
/// executable (the fresh one), `cargo build` also in target/<profile>.
fn library() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("target/<profile>/deps");
    [deps.join("libzkrs.so"), deps.parent().expect("target/<profile>").join("libzkrs.so")]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no libzkrs.so in {} or its parent; `cargo test` builds it", deps.display()))
}

/// Minitest's summary line: (runs, failures, errors, skips).
fn summary(out: &str) -> Option<(u32, u32, u32, u32)> {
    let line = out.lines().rev().find(|l| l.contains(" runs, ") && l.contains(" assertions, "))?;
    let number = |word: &str| -> Option<u32> {
        let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let i = words.iter().position(|w| *w == word)?;
        words.get(i.checked_sub(1)?)?.parse().ok()
    };
    Some((number("runs")?, number("failures")?, number("errors")?, number("skips")?))
}

#[test]
fn ruby_minitests_pass_against_a_real_server() {
    let hosts = common::hosts();
    // For test_reconfig.rb: one member to connect to and a follower it may remove (server ids are 1-based).
    let (ensemble, victim) = common::reconfigurable_ensemble();
    let mut child = Command::new("ruby")
        .current_dir(ruby_dir())
        .args(["-w", "-Ilib", "-e", "Dir['test/test_*.rb'].sort.each { |f| require File.expand_path(f) }"])
        .env("ZK_HOSTS", &hosts)
        .env("ZKRS_LIBRARY", library())
        .env("ZK_RECONFIG_HOSTS", ensemble.member_connect_string(0))
        .env("ZK_RECONFIG_VICTIM", (victim + 1).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run ruby; scripts/setup.sh installs ruby, ruby-ffi and ruby-minitest");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ruby") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Ruby minitests did not finish within {RUN_LIMIT:?}:\n{}", out_reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    println!("{out}");
    eprintln!("{err}");
    let (runs, failures, errors, skips) =
        summary(&out).unwrap_or_else(|| panic!("no minitest summary in the output (status {status})"));
    assert!(status.success(), "ruby exited with {status}: {failures} failures, {errors} errors");
    assert_eq!((failures, errors, skips), (0, 0, 0), "every minitest passes, none skipped");
    assert!(runs > 0, "no minitest ran");
    assert!(!err.contains("warning:"), "ruby -w printed warnings:\n{err}");
}
