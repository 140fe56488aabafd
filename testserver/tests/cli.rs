//! The `zkrs-testserver` binary, and orphan protection: no JVM, watchdog or directory outlives the process
//! that started it, however that process ends.
mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zkrs_testserver::{four_letter, ZkServer};

const BIN: &str = env!("CARGO_BIN_EXE_zkrs-testserver");
const WAIT: Duration = Duration::from_secs(10);

/// Processes (not zombies) whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !cmdline.contains(needle) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()).unwrap_or("");
        if state != "Z" && !state.is_empty() {
            found.push((pid, cmdline));
        }
    }
    found
}

fn java_processes(dir: &str) -> Vec<u32> {
    processes_mentioning(dir)
        .into_iter()
        .filter(|(_, c)| c.split(' ').next().is_some_and(|p| p.ends_with("java")))
        .map(|(p, _)| p)
        .collect()
}

/// Asserts that the server in `dir` on `hosts` is gone for good: no JVM, no watchdog, no directory.
fn assert_cleaned_up(dir: &str, hosts: &str) {
    eventually("nothing mentions the directory any more", WAIT, || processes_mentioning(dir).is_empty());
    assert!(four_letter(hosts, "srvr", Duration::from_secs(1)).is_err(), "the port is closed");
    eventually("the directory is removed", WAIT, || !Path::new(dir).exists());
}

/// Runs `zkrs-testserver start ARGS`, returning the child, its connect string and its directory.
fn cli_start(args: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .arg("start")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut hosts = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut hosts).unwrap();
    let mut note = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut note).unwrap();
    let dir = note.split("(directory ").nth(1).and_then(|s| s.split(')').next()).expect(&note).to_owned();
    (child, hosts.trim().to_owned(), dir)
}

#[test]
fn killed_cli_leaves_nothing_behind() {
    let (mut child, hosts, dir) = cli_start(&[]);
    assert!(four_letter(&hosts, "srvr", WAIT).unwrap().contains("Mode: standalone"));
    assert_eq!(java_processes(&dir).len(), 1, "one JVM runs for {dir}");
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    assert_cleaned_up(&dir, &hosts);
}

#[test]
fn killed_cli_with_an_ensemble_leaves_nothing_behind() {
    let (mut child, hosts, dir) = cli_start(&["--ensemble", "3"]);
    assert_eq!(hosts.split(',').count(), 3);
    assert_eq!(java_processes(&dir).len(), 3);
    // Pause one member first: a stopped JVM must die too.
    let paused = java_processes(&dir)[0];
    // SAFETY: kill(2) with a pid we just read.
    unsafe { libc::kill(paused as i32, libc::SIGSTOP) };
    child.kill().unwrap();
    child.wait().unwrap();
    for h in hosts.split(',') {
        assert_cleaned_up(&dir, h);
    }
}

#[test]
fn cli_start_stops_when_stdin_closes_or_on_sigterm() {
    let (mut child, hosts, dir) = cli_start(&[]);
    child.stdin.as_mut().unwrap().write_all(b"ignored\n").unwrap();
    assert!(four_letter(&hosts, "ruok", WAIT).is_ok());
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(!Path::new(&dir).exists(), "removed before exiting");
    assert_cleaned_up(&dir, &hosts);

    let (mut child, hosts, dir) = cli_start(&[]);
    // SAFETY: kill(2) on our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    assert!(!Path::new(&dir).exists());
    assert_cleaned_up(&dir, &hosts);
}

#[test]
fn cli_run_passes_the_environment_and_the_exit_code() {
    let script = format!(
        "test -n \"$ZK_HOSTS\" && {BIN} four-letter \"$ZK_HOSTS\" ruok | grep -q imok && test -d \"$ZKRS_TESTSERVER_DATA\" \
         && echo \"$ZK_HOSTS $ZKRS_TESTSERVER_DATA\" && exit 3"
    );
    let out = Command::new(BIN).args(["run", "--extended-types", "--", "sh", "-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (hosts, dir) = stdout.trim().split_once(' ').unwrap();
    assert!(hosts.starts_with("127.0.0.1:"));
    assert_cleaned_up(dir, hosts);

    let out = Command::new(BIN).args(["run", "--ensemble", "3", "--", "sh", "-c", "echo $ZK_HOSTS"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim().split(',').count(), 3);

    let out = Command::new(BIN).args(["run", "--", "/nonexistent/program"]).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
    let out = Command::new(BIN).args(["run", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_expire() {
    let zk = ZkServer::start().unwrap();
    let s = connect(&zk.connect_string(), 0, &[0; 16], 30_000).unwrap();
    let password: String = s.password.iter().map(|b| format!("{b:02x}")).collect();
    let status = Command::new(BIN)
        .args(["expire", &zk.connect_string(), &format!("0x{:x}", s.session_id), &password])
        .status()
        .unwrap();
    assert!(status.success());
    let again = connect(&zk.connect_string(), s.session_id, &s.password, 30_000).unwrap();
    assert_eq!((again.timeout, again.session_id), (0, 0));
    let status = Command::new(BIN)
        .args(["expire", &zk.connect_string(), &format!("{:x}", s.session_id), &password])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "already expired");
}

/// Run in a child process by `process_exit_without_drop_leaves_nothing_behind`: starts a server and exits
/// without dropping it.
#[test]
fn orphan_helper() {
    if std::env::var_os("ZKRS_ORPHAN_HELPER").is_none() {
        return;
    }
    let zk = ZkServer::start().unwrap();
    println!("ORPHAN {} {}", zk.connect_string(), zk.dir().display());
    std::io::stdout().flush().unwrap();
    std::mem::forget(zk);
    std::process::exit(0);
}

#[test]
fn process_exit_without_drop_leaves_nothing_behind() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "orphan_helper", "--nocapture", "--test-threads=1"])
        .env("ZKRS_ORPHAN_HELPER", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.split("ORPHAN ").nth(1)).expect(&stdout);
    let (hosts, dir) = line.split_once(' ').unwrap();
    assert!(PathBuf::from(dir).is_absolute());
    assert_cleaned_up(dir, hosts);
}

#[test]
fn a_server_outlives_the_thread_that_started_it() {
    // PR_SET_PDEATHSIG would kill the JVM here, when the spawning thread exits.
    let zk = std::thread::spawn(|| ZkServer::start().unwrap()).join().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    assert!(t.elapsed() < Duration::from_secs(2));
}
