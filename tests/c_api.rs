//! The C API from C: compiles the C test programs of tests/c/ and the examples of examples-c/ against
//! include/zkrs.h and the freshly built libzkrs.so (gcc -std=c99 -Wall -Wextra -Werror) and runs each
//! against a real ZooKeeper three times: as built, built with AddressSanitizer + UBSan (LeakSanitizer on:
//! zero leaks), and under valgrind memcheck (zero errors, zero definite or indirect leaks).
//!
//!   cargo test --test c_api
//!
//! ZKRS_C_NO_VALGRIND=1 skips the valgrind runs (when valgrind is not installed they are skipped with a
//! printed reason; scripts/setup.sh installs it).
//!
//! Faults: a program that needs a connection drop or a session expiry is given ZK_PROXY_HOSTS, a connect
//! string through a [`Proxy`] in front of the server, and asks for the fault by printing a line
//! `@@FAULT drop` or `@@FAULT expire <SESSIONID_HEX:PASSWORD_HEX>` on stdout; this runner performs it
//! (cuts the proxied connections; or cuts them and expires the session for real from a second
//! connection, `zkrs_testserver::expire_session`) and answers `ok` on the program's stdin. The program
//! waits for that answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use zkrs_testserver::{Proxy, ServerOptions, ZkServer};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The server shared by every program of this binary: short ticks (so a session can expire within
/// seconds: timeouts from 1 s to 30 s are granted), TTL nodes, containers reaped quickly.
fn server() -> &'static ZkServer {
    static SERVER: OnceLock<ZkServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let opts = ServerOptions {
            tick_time_ms: 500,
            min_session_timeout_ms: Some(1000),
            max_session_timeout_ms: Some(30000),
            extended_types: true,
            jvm_props: vec![("znode.container.checkIntervalMs".into(), "300".into())],
            ..ServerOptions::default()
        };
        ZkServer::start_with(opts).expect("start ZooKeeper")
    })
}

fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("zkrs-c-api-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
    .clone()
}

/// A directory holding the libzkrs.so this test binary was built with, as `libzkrs.so` and under its
/// SONAME if it has one (so the programs find it through their rpath).
///
/// `cargo test` leaves the cdylib in target/<profile>/deps (next to this executable); `cargo build` also
/// copies it to target/<profile>. The one in deps is the fresh one when both exist.
fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let deps = exe.parent().expect("target/<profile>/deps");
        let candidates = [deps.join("libzkrs.so"), deps.parent().expect("target/<profile>").join("libzkrs.so")];
        let so = candidates.iter().find(|p| p.exists()).unwrap_or_else(|| {
            panic!("no libzkrs.so in {} or its parent; the cdylib is built by `cargo test`", deps.display())
        });
        let dir = scratch_dir().join("lib");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(so, dir.join("libzkrs.so")).expect("copy libzkrs.so");
        if let Some(soname) = soname(so) {
            if soname != "libzkrs.so" {
                let _ = std::fs::remove_file(dir.join(&soname));
                std::fs::copy(so, dir.join(&soname)).expect("copy libzkrs.so under its SONAME");
            }
        }
        dir
    })
    .clone()
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Build {
    Plain,
    Sanitized,
}

/// Compiles one C file (C99, every warning an error) into an executable linked with libzkrs.so.
fn compile(src: &Path, build: Build) -> PathBuf {
    let stem = src.file_stem().unwrap().to_string_lossy().to_string();
    let dir_tag = src.parent().unwrap().file_name().unwrap().to_string_lossy().replace('-', "_");
    let exe = scratch_dir().join(format!("{dir_tag}_{stem}{}", if build == Build::Sanitized { "_asan" } else { "" }));
    let lib = lib_dir();
    let mut cmd = Command::new("gcc");
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("tests/c"));
    if build == Build::Sanitized {
        cmd.args(["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]);
    }
    cmd.arg(src).arg("-o").arg(&exe).arg("-L").arg(&lib).arg(format!("-Wl,-rpath,{}", lib.display())).args([
        "-lzkrs",
        "-lpthread",
        "-ldl",
        "-lm",
    ]);
    let out = cmd.output().expect("cannot run gcc; scripts/setup.sh installs it");
    assert!(
        out.status.success(),
        "gcc failed for {} ({build:?}):\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Plain,
    Asan,
    Valgrind,
}

/// What a program printed and how it ended.
struct Run {
    ok: bool,
    status: String,
    stdout: String,
    stderr: String,
}

impl Run {
    fn report(&self, what: &str) -> String {
        format!("{what}: {}\n--- stdout\n{}--- stderr\n{}", self.status, self.stdout, self.stderr)
    }
}

/// How a program is run: its arguments and environment, the proxy to use for faults, a time limit.
struct Spec<'a> {
    args: Vec<String>,
    env: Vec<(String, String)>,
    proxy: Option<&'a Proxy>,
    limit: Duration,
}

impl<'a> Spec<'a> {
    fn new(hosts: &str) -> Spec<'a> {
        Spec { args: vec![hosts.to_string()], env: Vec::new(), proxy: None, limit: Duration::from_secs(120) }
    }
}

fn valgrind_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var_os("ZKRS_C_NO_VALGRIND").is_some_and(|v| v == "1") {
            eprintln!("c_api: ZKRS_C_NO_VALGRIND=1: valgrind runs skipped");
            return false;
        }
        let ok = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("c_api: valgrind is not installed (scripts/setup.sh installs it): valgrind runs skipped");
        }
        ok
    })
}

fn spawn(exe: &Path, mode: Mode, spec: &Spec) -> Child {
    let mut cmd = match mode {
        Mode::Valgrind => {
            let mut c = Command::new("valgrind");
            c.args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect",
                "--track-origins=no",
                "-q",
            ])
            .arg(exe);
            // Valgrind runs everything about 30x slower: a tenth of the iterations.
            c.env("ZKRS_C_ITERS", "10");
            c
        }
        _ => Command::new(exe),
    };
    if mode == Mode::Asan {
        let supp = root().join("tests/c/lsan.supp");
        cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=98:detect_stack_use_after_return=0")
            .env("LSAN_OPTIONS", format!("suppressions={}:print_suppressions=0", supp.display()))
            .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:exitcode=97");
    }
    cmd.args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("ZK_HOSTS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = spec.proxy {
        cmd.env("ZK_PROXY_HOSTS", p.connect_string());
    }
    cmd.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
}

/// Expires a session for real: cuts the proxied connections (so the owner cannot take the session back
/// at once), then opens a second connection with the same id and password straight to the server and
/// closes the session from there. `client_id` is `SESSIONID_HEX:PASSWORD_HEX` (zkrs_client_id_string).
fn expire(proxy: &Proxy, client_id: &str) -> Result<(), String> {
    let (id, password) = client_id.split_once(':').ok_or(format!("bad client id {client_id:?}"))?;
    let id = u64::from_str_radix(id.trim_start_matches("0x"), 16).map_err(|_| format!("bad session id {id}"))?;
    let password = (0..password.len() / 2)
        .map(|i| u8::from_str_radix(&password[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| format!("bad password {password}"))?;
    proxy.drop_connections();
    zkrs_testserver::expire_session(&server().connect_string(), id as i64, &password).map_err(|e| e.to_string())
}

fn run(exe: &Path, mode: Mode, spec: &Spec) -> Run {
    let mut child = spawn(exe, mode, spec);
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    // A time limit: kill the program if it hangs (its pipes then close and the loop below ends).
    let pid = child.id();
    let limit = spec.limit;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let killer = std::thread::spawn(move || {
        if done_rx.recv_timeout(limit).is_err() {
            // SAFETY: kill(2) on our own child, which has not been reaped yet (wait happens after join).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
            true
        } else {
            false
        }
    });
    let mut out = String::new();
    let mut fault_error = None;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        out.push_str(&line);
        out.push('\n');
        if let Some(what) = line.strip_prefix("@@FAULT ") {
            let answer = match (what.split_whitespace().collect::<Vec<_>>().as_slice(), spec.proxy) {
                (["drop"], Some(p)) => {
                    p.drop_connections();
                    Ok(())
                }
                (["expire", client_id], Some(p)) => expire(p, client_id),
                (_, None) => Err("no proxy for this program".to_string()),
                _ => Err(format!("unknown fault {what:?}")),
            };
            let reply = match answer {
                Ok(()) => "ok\n".to_string(),
                Err(e) => {
                    fault_error = Some(e.clone());
                    format!("error {e}\n")
                }
            };
            let _ = stdin.write_all(reply.as_bytes());
            let _ = stdin.flush();
        }
    }
    drop(stdin);
    let status = child.wait().expect("wait");
    let _ = done_tx.send(());
    let killed = killer.join().unwrap();
    let mut stderr = err_reader.join().unwrap();
    if killed {
        stderr.push_str(&format!("\n[c_api: killed after {:?}]\n", spec.limit));
    }
    if let Some(e) = fault_error {
        stderr.push_str(&format!("\n[c_api: fault failed: {e}]\n"));
    }
    Run { ok: status.success() && !killed, status: format!("{status}"), stdout: out, stderr }
}

/// Runs a C program as built, with ASan/UBSan/LSan and under valgrind; each run must exit 0 and print
/// `marker`. Returns the three runs' stdout (the plain run first).
fn run_all_modes(src: &Path, marker: &str, spec: &Spec) -> Vec<String> {
    let plain = compile(src, Build::Plain);
    let sanitized = compile(src, Build::Sanitized);
    let name = src.strip_prefix(root()).unwrap_or(src).display().to_string();
    let mut outputs = Vec::new();
    let mut modes = vec![(Mode::Plain, &plain), (Mode::Asan, &sanitized)];
    if valgrind_available() {
        modes.push((Mode::Valgrind, &plain));
    }
    for (mode, exe) in modes {
        let started = Instant::now();
        let r = run(exe, mode, spec);
        let what = format!("{name} ({mode:?})");
        assert!(r.ok, "{}", r.report(&what));
        assert!(r.stdout.contains(marker), "{what} did not print {marker:?}\n{}", r.report(&what));
        // Sanitizer and valgrind reports go to stderr; a clean run has none.
        for bad in
            ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "== ERROR SUMMARY", "definitely lost"]
        {
            assert!(!r.stderr.contains(bad), "{what}: stderr has {bad:?}\n{}", r.report(&what));
        }
        eprintln!("c_api: {what} passed in {:.1?}", started.elapsed());
        for line in r.stdout.lines().filter(|l| l.starts_with("KNOWN-BUG")) {
            eprintln!("c_api: {what}: {line}");
        }
        outputs.push(r.stdout);
    }
    outputs
}

fn c_test(name: &str) -> PathBuf {
    root().join("tests/c").join(format!("{name}.c"))
}

fn example(name: &str) -> PathBuf {
    root().join("examples-c").join(format!("{name}.c"))
}

/// Runs tests/c/<name>.c in the three modes; it must print "PASS <name>".
fn run_c_test(name: &str, with_proxy: bool) {
    let hosts = server().connect_string();
    let proxy = with_proxy.then(|| Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap());
    let mut spec = Spec::new(&hosts);
    spec.proxy = proxy.as_ref();
    run_all_modes(&c_test(name), &format!("PASS {name}"), &spec);
}

#[test]
fn c_ops() {
    run_c_test("ops", false);
}

#[test]
fn c_async() {
    run_c_test("async", false);
}

#[test]
fn c_futures() {
    run_c_test("futures", false);
}

#[test]
fn c_watches() {
    run_c_test("watches", false);
}

#[test]
fn c_threads() {
    run_c_test("threads", false);
}

#[test]
fn c_bad_input() {
    run_c_test("bad_input", false);
}

#[test]
fn c_listeners() {
    run_c_test("listeners", true);
}

#[test]
fn c_recipe_watchers() {
    run_c_test("recipe_watchers", true);
}

#[test]
fn c_poll() {
    run_c_test("poll", false);
}

#[test]
fn c_recipe_coord() {
    run_c_test("recipe_coord", true);
}

#[test]
fn c_recipe_queue() {
    run_c_test("recipe_queue", true);
}

#[test]
fn c_recipe_partitioner() {
    run_c_test("recipe_partitioner", true);
}

#[test]
fn c_recipe_lease() {
    run_c_test("recipe_lease", false);
}

#[test]
fn examples_async() {
    let hosts = server().connect_string();
    let mut spec = Spec::new(&hosts);
    spec.args.push("300".into());
    let outs = run_all_modes(&example("async"), "OK", &spec);
    for step in ["connected to", "callbacks: 300 creates", "300 gets", "futures: 300 gets", "deleted 300 nodes"] {
        assert!(outs[0].contains(step), "async.c did not print {step:?}:\n{}", outs[0]);
    }
}

#[test]
fn examples_watch() {
    let hosts = server().connect_string();
    let mut spec = Spec::new(&hosts);
    spec.args.extend(["/".into(), "6".into(), "30".into(), "--self".into()]);
    let outs = run_all_modes(&example("watch"), "OK", &spec);
    for step in
        ["watching / ", "event 1: NODE_CREATED /zkrs-watch-", "event 2: NODE_DATA_CHANGED", "event 3: NODE_DELETED"]
    {
        assert!(outs[0].contains(step), "watch.c did not print {step:?}:\n{}", outs[0]);
    }
    assert!(outs[0].contains("PERSISTENT_WATCH_REMOVED") && outs[0].contains("released 1 time"), "{}", outs[0]);
    // With nothing happening it gives up after its timeout and says so.
    let exe = compile(&example("watch"), Build::Plain);
    let out = Command::new(&exe).args([hosts.as_str(), "/nothing-here", "1", "1"]).output().expect("run watch");
    assert!(!out.status.success(), "watch.c should fail on a timeout");
    assert!(String::from_utf8_lossy(&out.stdout).contains("TIMEOUT"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn examples_quickstart() {
    let hosts = server().connect_string();
    let outs = run_all_modes(&example("quickstart"), "OK", &Spec::new(&hosts));
    for step in ["connected to", "created /zkrs-quickstart-", "watch set", "set /", "watch fired", "deleted"] {
        assert!(outs[0].contains(step), "quickstart did not print {step:?}:\n{}", outs[0]);
    }

    // The connect string from the environment works too; without one the program explains its usage.
    let exe = compile(&example("quickstart"), Build::Plain);
    let out = Command::new(&exe).env("ZK_HOSTS", &hosts).output().expect("run quickstart");
    assert!(out.status.success(), "quickstart with ZK_HOSTS: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(&exe).env_remove("ZK_HOSTS").output().expect("run quickstart");
    assert!(!out.status.success(), "quickstart without hosts should fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"), "quickstart without hosts: no usage");
}

/// The checkers can fail: a program that leaks one zkrs_config (an allocation made by Rust inside
/// libzkrs.so) is caught by LeakSanitizer and by valgrind, and one that reads past a malloc'd block is
/// caught by AddressSanitizer and valgrind.
#[test]
fn sanitizers_catch_leaks_and_overflows() {
    let dir = scratch_dir().join("canary");
    std::fs::create_dir_all(&dir).unwrap();
    let leak = dir.join("leak.c");
    std::fs::write(
        &leak,
        "#include <stdio.h>\n#include \"zkrs.h\"\nint main(void) {\n  zkrs_config *cfg = NULL;\n  \
         if (zkrs_config_new(&cfg) != ZKRS_RC_OK) return 2;\n  cfg = NULL;\n  printf(\"leaked\\n\");\n  return 0;\n}\n",
    )
    .unwrap();
    let overflow = dir.join("overflow.c");
    std::fs::write(
        &overflow,
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"zkrs.h\"\nint main(int argc, char **argv) {\n  \
         (void)argv;\n  char *p = malloc(8);\n  memset(p, 1, 8);\n  int x = p[7 + argc];\n  free(p);\n  \
         printf(\"read %d\\n\", x);\n  return 0;\n}\n",
    )
    .unwrap();
    let spec = Spec::new("unused");
    for src in [&leak, &overflow] {
        let plain = compile(src, Build::Plain);
        assert!(run(&plain, Mode::Plain, &spec).ok, "{} should run cleanly without checkers", src.display());
        let r = run(&compile(src, Build::Sanitized), Mode::Asan, &spec);
        assert!(!r.ok, "ASan/LSan missed the bug in {}:\n{}", src.display(), r.report("sanitized"));
        assert!(r.stderr.contains("ERROR: ") || r.stderr.contains("runtime error:"), "{}", r.report("sanitized"));
        if valgrind_available() {
            let r = run(&plain, Mode::Valgrind, &spec);
            assert!(
                !r.ok && r.status.contains("99"),
                "valgrind missed the bug in {}:\n{}",
                src.display(),
                r.report("valgrind")
            );
        }
    }
}

#[test]
fn c_recipe_lock() {
    run_c_test("recipe_lock", true);
}

#[test]
fn examples_lock() {
    let hosts = server().connect_string();
    let mut spec = Spec::new(&hosts);
    spec.args.extend(["4".into(), "3".into()]);
    let outs = run_all_modes(&example("lock"), "OK", &spec);
    assert!(outs[0].contains("12 critical sections, at most 1 holder(s) at once"), "{}", outs[0]);
}

#[test]
fn examples_election() {
    let hosts = server().connect_string();
    let mut spec = Spec::new(&hosts);
    spec.args.push("4".into());
    let outs = run_all_modes(&example("election"), "OK", &spec);
    assert!(outs[0].contains("4 terms, at most 1 leader(s) at once"), "{}", outs[0]);
    assert_eq!(outs[0].matches(" leads (").count(), 4, "{}", outs[0]);
}
