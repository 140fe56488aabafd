//! Small shared pieces: four-letter words, the class path, free ports, temporary directories, log tails.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Sends the four-letter-word command `cmd` (`srvr`, `ruok`, `stat`, `mntr`, `cons`, ...) to the server at
/// `addr` (`"127.0.0.1:2181"`, `"[::1]:2181"`) and returns everything it answers before closing the
/// connection.
///
/// Fails with [`io::ErrorKind::TimedOut`] when the whole exchange takes longer than `timeout` (a paused server
/// accepts the connection but never answers), or with the connection error when nothing listens.
pub fn four_letter(addr: &str, cmd: &str, timeout: Duration) -> io::Result<String> {
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    for sa in resolve(addr)? {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match four_letter_at(sa, cmd, deadline) {
            Ok(s) => return Ok(s),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "four-letter word timed out")))
}

fn four_letter_at(sa: SocketAddr, cmd: &str, deadline: Instant) -> io::Result<String> {
    let left = |what: &str| {
        let d = deadline.saturating_duration_since(Instant::now());
        if d.is_zero() {
            Err(io::Error::new(io::ErrorKind::TimedOut, format!("four-letter word timed out {what}")))
        } else {
            Ok(d)
        }
    };
    let mut s = TcpStream::connect_timeout(&sa, left("connecting")?)?;
    s.set_nodelay(true)?;
    s.set_write_timeout(Some(left("writing")?))?;
    s.write_all(cmd.as_bytes())?;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        s.set_read_timeout(Some(left("reading")?))?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(io::Error::new(io::ErrorKind::TimedOut, format!("no answer to {cmd:?} from {sa}")));
            }
            // The server closes right after answering; a reset after the answer still carries the answer.
            Err(e) if !out.is_empty() && e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Resolves `host:port` (or a bracketed IPv6 address with a port) to socket addresses.
pub(crate) fn resolve(addr: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{addr:?} resolves to no address")));
    }
    Ok(addrs)
}

/// The `Mode:` of a `srvr` answer (`standalone`, `leader`, `follower`, `observer`, `read-only`).
pub(crate) fn srvr_mode(srvr: &str) -> Option<&str> {
    srvr.lines().find_map(|l| l.strip_prefix("Mode:")).map(str::trim)
}

/// The jars that run a ZooKeeper server, in class-path order (the configuration directory is not included).
///
/// Looked up in this order:
/// 1. `ZKRS_ZOOKEEPER_CLASSPATH`: a `:`-separated class path, used as is;
/// 2. `ZOOKEEPER_HOME`: every jar in `$ZOOKEEPER_HOME` and `$ZOOKEEPER_HOME/lib` (an upstream tarball);
/// 3. Debian's `zookeeper` package: the jars of the `CLASSPATH=` line of `/etc/zookeeper/conf/environment`
///    or `/usr/share/zookeeper/bin/zkEnv.sh` (that is `/usr/share/java/zookeeper.jar`, whose manifest
///    `Class-Path` names its dependencies), else `/usr/share/java/zookeeper.jar`.
///
/// When no SLF4J binding is on the path (Debian's manifest has none, so the server would log nothing), the
/// log4j 1.2 binding found next to `zookeeper.jar` (`slf4j-log4j12.jar`, `log4j-1.2.jar`) is added.
pub fn zookeeper_classpath() -> io::Result<Vec<PathBuf>> {
    if let Some(cp) = std::env::var_os("ZKRS_ZOOKEEPER_CLASSPATH") {
        let v: Vec<PathBuf> = std::env::split_paths(&cp).filter(|p| !p.as_os_str().is_empty()).collect();
        if !v.is_empty() {
            return Ok(v);
        }
    }
    let mut jars = Vec::new();
    if let Some(home) = std::env::var_os("ZOOKEEPER_HOME") {
        let home = PathBuf::from(home);
        for dir in [home.clone(), home.join("lib")] {
            jars.extend(jars_in(&dir));
        }
    }
    if jars.is_empty() {
        for file in ["/etc/zookeeper/conf/environment", "/usr/share/zookeeper/bin/zkEnv.sh"] {
            if let Ok(text) = fs::read_to_string(file) {
                jars = classpath_line_jars(&text);
                if !jars.is_empty() {
                    break;
                }
            }
        }
    }
    if jars.is_empty() {
        let default = PathBuf::from("/usr/share/java/zookeeper.jar");
        if default.exists() {
            jars.push(default);
        }
    }
    if !jars.iter().any(|j| file_name(j).starts_with("zookeeper")) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "ZooKeeper's jars were not found: install Debian's `zookeeper` package, or set ZOOKEEPER_HOME \
             (an unpacked release) or ZKRS_ZOOKEEPER_CLASSPATH",
        ));
    }
    let has_binding = jars.iter().any(|j| {
        let n = file_name(j);
        n.starts_with("slf4j-log4j12")
            || n.starts_with("slf4j-reload4j")
            || n.starts_with("logback-classic")
            || n.starts_with("log4j-slf4j")
    });
    if !has_binding {
        if let Some(dir) = jars.iter().find(|j| file_name(j).starts_with("zookeeper")).and_then(|j| j.parent()) {
            let binding = [dir.join("slf4j-log4j12.jar"), dir.join("log4j-1.2.jar")];
            if binding.iter().all(|b| b.exists()) {
                jars.extend(binding);
            }
        }
    }
    Ok(jars)
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn jars_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jar"))
        .collect();
    v.sort();
    v
}

/// The existing jars of the last `CLASSPATH="..."` line of a shell environment file.
fn classpath_line_jars(text: &str) -> Vec<PathBuf> {
    let Some(line) = text.lines().rev().map(str::trim).find(|l| l.starts_with("CLASSPATH=")) else {
        return Vec::new();
    };
    let value = line["CLASSPATH=".len()..].trim_matches(|c| c == '"' || c == '\'');
    value
        .split(':')
        .filter(|e| e.ends_with(".jar") && !e.contains('$'))
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// The `java` to run: `ZKRS_JAVA`, else `$JAVA_HOME/bin/java`, else `java` from `PATH`.
pub(crate) fn java_binary() -> OsString {
    if let Some(j) = std::env::var_os("ZKRS_JAVA") {
        return j;
    }
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let j = PathBuf::from(home).join("bin/java");
        if j.exists() {
            return j.into_os_string();
        }
    }
    "java".into()
}

/// Ports handed to live servers of this process (running or stopped), so no other server takes them.
static RESERVED: Mutex<Vec<u16>> = Mutex::new(Vec::new());
static SEED: AtomicU64 = AtomicU64::new(0);

fn random() -> u64 {
    let mut x = SEED.load(Ordering::Relaxed);
    if x == 0 {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
        x = t ^ (u64::from(std::process::id()) << 32) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SEED.store(x, Ordering::Relaxed);
    x
}

/// Ports reserved for a server of this process; released when dropped.
#[derive(Debug)]
pub(crate) struct Ports(pub(crate) Vec<u16>);

impl Drop for Ports {
    fn drop(&mut self) {
        let mut r = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
        r.retain(|p| !self.0.contains(p));
    }
}

/// `n` distinct free ports on 127.0.0.1.
///
/// They are taken below the kernel's ephemeral range when it leaves room, so an outgoing connection of some
/// client can never be holding one when a stopped server is restarted on it; each candidate is checked by
/// binding it. Falls back to ports the kernel picks (`127.0.0.1:0`).
pub(crate) fn free_ports(n: usize) -> io::Result<Ports> {
    let mut reserved = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    let mut held = Vec::new();
    let mut ports: Vec<u16> = Vec::new();
    let low = ephemeral_low().unwrap_or(32768);
    const FLOOR: u16 = 10000;
    if low > FLOOR + 1000 {
        let span = u64::from(low - FLOOR);
        for _ in 0..2000 {
            if ports.len() == n {
                break;
            }
            let p = FLOOR + (random() % span) as u16;
            if ports.contains(&p) || reserved.contains(&p) {
                continue;
            }
            if let Ok(l) = TcpListener::bind(("127.0.0.1", p)) {
                held.push(l);
                ports.push(p);
            }
        }
    }
    while ports.len() < n {
        let l = TcpListener::bind(("127.0.0.1", 0))?;
        let p = l.local_addr()?.port();
        held.push(l);
        if !ports.contains(&p) && !reserved.contains(&p) {
            ports.push(p);
        }
    }
    reserved.extend_from_slice(&ports);
    Ok(Ports(ports))
}

fn ephemeral_low() -> Option<u16> {
    let s = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// True when `port` on 127.0.0.1 can be bound right now.
pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under the system temporary directory, removed when dropped — and, through a watchdog
/// process, even when this process dies without dropping it.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
    keep: bool,
    watchdog: Option<Child>,
}

impl TempDir {
    pub(crate) fn new(kind: &str) -> io::Result<TempDir> {
        let base = std::env::temp_dir();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let mut tries = 0;
        let path = loop {
            let n = DIR_COUNTER.fetch_add(1, Ordering::Relaxed);
            let p = base.join(format!("zkrs-testserver-{kind}-{}-{n}-{nanos:x}", std::process::id()));
            match fs::create_dir(&p) {
                Ok(()) => break p,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
                Err(e) => return Err(e),
            }
        };
        let keep = std::env::var_os("ZKRS_TESTSERVER_KEEP").is_some_and(|v| !v.is_empty() && v != "0");
        let watchdog = if keep {
            None
        } else {
            // Waits for end of file on its stdin (this process gone), gives the JVM watchdogs a moment to kill
            // their JVMs, and removes the directory.
            Command::new("/bin/sh")
                .arg("-c")
                .arg("read -r _; sleep 1; rm -rf -- \"$1\" || { sleep 2; rm -rf -- \"$1\"; }")
                .arg("zkrs-testserver-cleanup")
                .arg(&path)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()
        };
        Ok(TempDir { path, keep, watchdog })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// The last `lines` lines of a file, or a note that it could not be read.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            if all.is_empty() {
                format!("--- {} is empty ---", path.display())
            } else {
                format!("--- last lines of {} ---\n{}", path.display(), all[start..].join("\n"))
            }
        }
        Err(e) => format!("--- {}: {e} ---", path.display()),
    }
}

/// True when one of the files mentions a failed bind (another process took one of our ports).
pub(crate) fn mentions_bind_failure(files: &[PathBuf]) -> bool {
    files.iter().any(|f| {
        fs::read(f)
            .map(|b| {
                let t = String::from_utf8_lossy(&b);
                t.contains("Address already in use") || t.contains("BindException")
            })
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn distinct(p: &[u16]) -> bool {
        p.iter().collect::<HashSet<_>>().len() == p.len()
    }

    #[test]
    fn classpath_line_is_parsed() {
        let text = "JAVA=/usr/bin/java\n\nCLASSPATH=\"/etc/zookeeper/conf:/usr/share/java/zookeeper.jar\"\n";
        let jars = classpath_line_jars(text);
        if Path::new("/usr/share/java/zookeeper.jar").exists() {
            assert_eq!(jars, vec![PathBuf::from("/usr/share/java/zookeeper.jar")]);
        }
    }

    #[test]
    fn free_ports_are_distinct_and_reserved() {
        let a = free_ports(5).unwrap();
        let b = free_ports(5).unwrap();
        assert!(distinct(&[a.0.clone(), b.0.clone()].concat()));
        for p in a.0.iter().chain(&b.0) {
            assert!(port_is_free(*p));
        }
        let copy = a.0.clone();
        drop(a);
        assert!(!RESERVED.lock().unwrap().iter().any(|p| copy.contains(p)));
    }

    #[test]
    fn mode_is_parsed() {
        assert_eq!(srvr_mode("Zookeeper version: 3.8.0\nMode: follower\nNode count: 5\n"), Some("follower"));
        assert_eq!(srvr_mode("This ZooKeeper instance is not currently serving requests\n"), None);
    }
}
