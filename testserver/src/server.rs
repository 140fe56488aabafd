//! Starting and stopping ZooKeeper JVMs.

use std::fs;
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How the servers are configured.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Extra `key=value` lines for zoo.cfg.
    pub extra_config: Vec<(String, String)>,
    /// Extra `-Dkey=value` JVM properties.
    pub jvm_props: Vec<(String, String)>,
    /// TTL nodes (`zookeeper.extendedTypesEnabled`).
    pub extended_types: bool,
    /// Read-only mode when quorum is lost (`readonlymode.enabled`).
    pub read_only_mode: bool,
    /// Dynamic reconfiguration (`reconfigEnabled`).
    pub reconfig: bool,
    /// The server's tick; session timeouts are clamped to 2..20 ticks.
    pub tick_time_ms: u32,
    /// Jars added to the class path (TLS needs Netty's).
    pub extra_classpath: Vec<PathBuf>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            extra_config: Vec::new(),
            jvm_props: Vec::new(),
            extended_types: false,
            read_only_mode: false,
            reconfig: false,
            tick_time_ms: 500,
            extra_classpath: Vec::new(),
        }
    }
}

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const CLASSPATH: &[&str] = &["/etc/zookeeper/conf", "/usr/share/java/zookeeper.jar"];

/// A free loopback port (racy by nature; a failed start is retried with new ports).
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A fresh directory under the system temp dir.
fn temp_dir(kind: &str) -> io::Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "zkrs-{kind}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    ));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A running JVM and its watchdog: a shell that kills the JVM when our end of its stdin closes, which
/// also happens when this process dies without running destructors.
struct Jvm {
    child: Child,
    watchdog: Option<(Child, ChildStdin)>,
}

impl Jvm {
    fn spawn(main_class: &str, cfg: &Path, opts: &ServerOptions, log: &Path) -> io::Result<Jvm> {
        let mut cp: Vec<String> = CLASSPATH.iter().map(|s| s.to_string()).collect();
        cp.extend(opts.extra_classpath.iter().map(|p| p.display().to_string()));
        let mut cmd = Command::new("java");
        cmd.arg("-Xmx256m").arg("-XX:+UseSerialGC").arg("-XX:TieredStopAtLevel=1");
        let mut props = opts.jvm_props.clone();
        if opts.extended_types {
            props.push(("zookeeper.extendedTypesEnabled".into(), "true".into()));
        }
        if opts.read_only_mode {
            props.push(("readonlymode.enabled".into(), "true".into()));
        }
        for (k, v) in &props {
            cmd.arg(format!("-D{k}={v}"));
        }
        let log_file = fs::File::create(log)?;
        cmd.arg("-cp").arg(cp.join(":")).arg(main_class).arg(cfg);
        cmd.stdin(Stdio::null()).stdout(log_file.try_clone()?).stderr(log_file);
        let child = cmd.spawn()?;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!("read _ignored; kill -9 {} 2>/dev/null", child.id()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = watchdog.stdin.take().expect("piped stdin");
        Ok(Jvm { child, watchdog: Some((watchdog, stdin)) })
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn signal(&self, sig: i32) {
        unsafe { libc::kill(self.pid(), sig) };
    }

    fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((mut w, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = w.wait();
        }
    }
}

fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// What `srvr` says the server's mode is, if it is serving.
fn serving_mode(port: u16) -> Option<String> {
    let reply = crate::four_letter(&format!("127.0.0.1:{port}"), "srvr", Duration::from_millis(500)).ok()?;
    reply.lines().find_map(|l| l.strip_prefix("Mode: ")).map(|m| m.trim().to_string())
}

fn wait_serving(jvm: &mut Jvm, port: u16, log: &Path, accept: &dyn Fn(&str) -> bool) -> io::Result<()> {
    let end = Instant::now() + STARTUP_TIMEOUT;
    while Instant::now() < end {
        if jvm.has_exited() {
            return Err(io::Error::other(format!("ZooKeeper exited during startup; log tail:\n{}", tail(log))));
        }
        if let Some(mode) = serving_mode(port) {
            if accept(&mode) {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("ZooKeeper on port {port} not serving after {STARTUP_TIMEOUT:?}; log tail:\n{}", tail(log)),
    ))
}

fn base_config(opts: &ServerOptions, data: &Path) -> String {
    let mut cfg = format!(
        "tickTime={}\ninitLimit=10\nsyncLimit=5\ndataDir={}\n4lw.commands.whitelist=*\nadmin.enableServer=false\nmaxClientCnxns=0\n",
        opts.tick_time_ms,
        data.display()
    );
    if opts.reconfig {
        cfg.push_str("reconfigEnabled=true\n");
    }
    for (k, v) in &opts.extra_config {
        cfg.push_str(&format!("{k}={v}\n"));
    }
    cfg
}

/// A standalone ZooKeeper server on a loopback port. Killed and its directory removed on drop.
pub struct ZkServer {
    dir: PathBuf,
    port: u16,
    opts: ServerOptions,
    jvm: Option<Jvm>,
}

impl ZkServer {
    /// Starts a server with the default options.
    pub fn start() -> io::Result<ZkServer> {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server and waits until it answers `srvr`.
    pub fn start_with(opts: ServerOptions) -> io::Result<ZkServer> {
        let dir = temp_dir("server")?;
        let mut last = None;
        for _ in 0..3 {
            let mut s = ZkServer { dir: dir.clone(), port: free_port()?, opts: opts.clone(), jvm: None };
            match s.launch() {
                Ok(()) => return Ok(s),
                Err(e) => {
                    s.dir = PathBuf::new(); // keep the directory for the next try
                    last = Some(e);
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        Err(last.unwrap_or_else(|| io::Error::other("could not start ZooKeeper")))
    }

    fn launch(&mut self) -> io::Result<()> {
        let data = self.dir.join("data");
        fs::create_dir_all(&data)?;
        let cfg_path = self.dir.join("zoo.cfg");
        let mut cfg = base_config(&self.opts, &data);
        cfg.push_str(&format!("clientPort={}\nclientPortAddress=127.0.0.1\n", self.port));
        fs::write(&cfg_path, cfg)?;
        let log = self.dir.join("server.log");
        let mut jvm = Jvm::spawn("org.apache.zookeeper.server.ZooKeeperServerMain", &cfg_path, &self.opts, &log)?;
        wait_serving(&mut jvm, self.port, &log, &|m| m == "standalone")?;
        self.jvm = Some(jvm);
        Ok(())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the server; its data directory and port stay for [`ZkServer::restart`].
    pub fn stop(&mut self) {
        self.jvm = None;
    }

    /// Starts the server again on the same port with the same data, so sessions survive.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            match self.launch() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > end => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    pub fn pause(&self) {
        if let Some(j) = &self.jvm {
            j.signal(libc::SIGSTOP);
        }
    }

    pub fn resume(&self) {
        if let Some(j) = &self.jvm {
            j.signal(libc::SIGCONT);
        }
    }

    pub fn four_letter(&self, cmd: &str) -> io::Result<String> {
        crate::four_letter(&self.connect_string(), cmd, Duration::from_secs(5))
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.jvm = None;
        if !self.dir.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

struct Member {
    dir: PathBuf,
    client_port: u16,
    cfg: PathBuf,
    log: PathBuf,
    jvm: Option<Jvm>,
}

/// An ensemble of `n` QuorumPeerMain servers on loopback.
pub struct Ensemble {
    root: PathBuf,
    opts: ServerOptions,
    members: Vec<Member>,
}

impl Ensemble {
    pub fn start(n: usize) -> io::Result<Ensemble> {
        Self::start_with(n, ServerOptions::default())
    }

    /// Starts `n` members at once and waits until each serves as leader or follower.
    pub fn start_with(n: usize, opts: ServerOptions) -> io::Result<Ensemble> {
        let root = temp_dir("ensemble")?;
        let mut ports = Vec::new();
        for _ in 0..n {
            ports.push((free_port()?, free_port()?, free_port()?));
        }
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, q, e))| format!("server.{}=127.0.0.1:{q}:{e}\n", i + 1))
            .collect();
        let mut members = Vec::new();
        for (i, (client, _, _)) in ports.iter().enumerate() {
            let dir = root.join(format!("member{}", i + 1));
            let data = dir.join("data");
            fs::create_dir_all(&data)?;
            fs::write(data.join("myid"), format!("{}\n", i + 1))?;
            let mut cfg = base_config(&opts, &data);
            cfg.push_str(&format!("clientPort={client}\nclientPortAddress=127.0.0.1\n"));
            cfg.push_str(&servers);
            let cfg_path = dir.join("zoo.cfg");
            fs::write(&cfg_path, cfg)?;
            members.push(Member { log: dir.join("server.log"), dir, client_port: *client, cfg: cfg_path, jvm: None });
        }
        let mut ens = Ensemble { root, opts, members };
        for i in 0..n {
            ens.spawn_member(i)?;
        }
        for i in 0..n {
            ens.wait_member(i)?;
        }
        Ok(ens)
    }

    fn spawn_member(&mut self, i: usize) -> io::Result<()> {
        let m = &mut self.members[i];
        m.jvm = Some(Jvm::spawn("org.apache.zookeeper.server.quorum.QuorumPeerMain", &m.cfg, &self.opts, &m.log)?);
        Ok(())
    }

    fn wait_member(&mut self, i: usize) -> io::Result<()> {
        let m = &mut self.members[i];
        let jvm = m.jvm.as_mut().ok_or_else(|| io::Error::other("member not running"))?;
        wait_serving(jvm, m.client_port, &m.log, &|mode| mode == "leader" || mode == "follower")
    }

    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// Every member: `127.0.0.1:p1,127.0.0.1:p2,...`.
    pub fn connect_string(&self) -> String {
        (0..self.members.len()).map(|i| self.member_connect_string(i)).collect::<Vec<_>>().join(",")
    }

    pub fn member_connect_string(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.members[i].client_port)
    }

    pub fn member_port(&self, i: usize) -> u16 {
        self.members[i].client_port
    }

    pub fn member_dir(&self, i: usize) -> &Path {
        &self.members[i].dir
    }

    /// Kills member `i`.
    pub fn stop_member(&mut self, i: usize) {
        self.members[i].jvm = None;
    }

    /// Starts member `i` again and waits until it serves (which needs a quorum).
    pub fn start_member(&mut self, i: usize) -> io::Result<()> {
        self.members[i].jvm = None;
        self.spawn_member(i)?;
        self.wait_member(i)
    }

    pub fn pause_member(&self, i: usize) {
        if let Some(j) = &self.members[i].jvm {
            j.signal(libc::SIGSTOP);
        }
    }

    pub fn resume_member(&self, i: usize) {
        if let Some(j) = &self.members[i].jvm {
            j.signal(libc::SIGCONT);
        }
    }

    /// The member that is leader now, by `srvr`.
    pub fn leader(&self) -> Option<usize> {
        (0..self.members.len()).find(|i| serving_mode(self.members[*i].client_port).as_deref() == Some("leader"))
    }

    /// The mode `srvr` reports for member `i` (`leader`, `follower`, `read-only`), if it answers.
    pub fn member_mode(&self, i: usize) -> Option<String> {
        serving_mode(self.members[i].client_port)
    }

    pub fn four_letter(&self, i: usize, cmd: &str) -> io::Result<String> {
        crate::four_letter(&self.member_connect_string(i), cmd, Duration::from_secs(5))
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for m in &mut self.members {
            m.jvm = None;
        }
        let _ = fs::remove_dir_all(&self.root);
    }
}

