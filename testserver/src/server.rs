//! A standalone ZooKeeper server, and the pieces every server launch shares.

use crate::process::Jvm;
use crate::util::{
    four_letter, free_ports, java_binary, mentions_bind_failure, port_is_free, srvr_mode, tail, zookeeper_classpath,
    Ports, TempDir,
};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a server (or every member of an ensemble) is configured.
///
/// The fields are public and [`ServerOptions::default`] gives the defaults, so both
/// `ServerOptions { tick_time_ms: 200, ..Default::default() }` and the builder methods work:
///
/// ```
/// use zkrs_testserver::ServerOptions;
/// let opts = ServerOptions::new()
///     .extended_types(true)
///     .tick_time_ms(200)
///     .config("globalOutstandingLimit", "100")
///     .jvm_prop("znode.container.checkIntervalMs", "300");
/// assert_eq!(opts.tick_time_ms, 200);
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Extra `key=value` lines appended to `zoo.cfg` after the generated ones (a later line wins, so these can
    /// override any default).
    pub extra_config: Vec<(String, String)>,
    /// Java system properties, passed as `-Dkey=value`.
    pub jvm_props: Vec<(String, String)>,
    /// Extra raw JVM arguments (placed after the defaults, so `-Xmx1g` overrides the default `-Xmx256m`).
    pub jvm_args: Vec<String>,
    /// TTL nodes: `-Dzookeeper.extendedTypesEnabled=true`.
    pub extended_types: bool,
    /// Read-only mode when a member loses its quorum: `-Dreadonlymode.enabled=true`.
    pub read_only_mode: bool,
    /// Dynamic reconfiguration: `reconfigEnabled=true` (and `standaloneEnabled=false` for ensembles). The
    /// `reconfig` operation also needs an authorised client, or `-Dzookeeper.skipACL=yes` in
    /// [`jvm_props`](Self::jvm_props).
    pub reconfig: bool,
    /// `tickTime` in milliseconds (default 2000). Session timeouts are bounded by 2 and 20 ticks unless
    /// [`min_session_timeout_ms`](Self::min_session_timeout_ms) / [`max_session_timeout_ms`](Self::max_session_timeout_ms)
    /// say otherwise, so a small tick (such as 200) makes short sessions possible.
    pub tick_time_ms: u32,
    /// `minSessionTimeout` in milliseconds, if set.
    pub min_session_timeout_ms: Option<u32>,
    /// `maxSessionTimeout` in milliseconds, if set.
    pub max_session_timeout_ms: Option<u32>,
    /// Extra class-path entries after ZooKeeper's jars (for example Netty's codec jars, see [`netty`](Self::netty)).
    pub extra_classpath: Vec<PathBuf>,
    /// Also listen for TLS clients on a second free port (`secureClientPort`, on 127.0.0.1); implies
    /// [`netty`](Self::netty). The key and trust stores are up to the caller (`ssl.keyStore.location`,
    /// `ssl.keyStore.type=PEM`, ... in [`extra_config`](Self::extra_config)).
    pub secure_client_port: bool,
    /// Use `NettyServerCnxnFactory` instead of the NIO one, with the Netty jars Debian's manifest leaves out
    /// (`netty-codec.jar`, `netty-resolver.jar`, `netty-transport-native-unix-common.jar`) on the class path.
    pub netty: bool,
    /// PEM stores for the TLS port: `(key store, trust store)`. The key store holds the server's private key
    /// and certificate, the trust store the CA certificates that client certificates must chain to. Setting
    /// them implies [`secure_client_port`](Self::secure_client_port).
    pub tls_pem: Option<(PathBuf, PathBuf)>,
    /// `ssl.clientAuth`: `need` (the server's default when unset), `want` or `none`.
    pub tls_client_auth: Option<String>,
    /// Registers the x509 authentication provider, so a client certificate's subject becomes an `x509`
    /// identity (seen by `whoami`, matched by `x509` ACLs). It reads the same PEM stores.
    pub x509_auth: bool,
    /// SASL DIGEST-MD5 users `(name, password)`: a JAAS file with a `Server` section for
    /// `DigestLoginModule`, and the SASL authentication provider.
    pub sasl_users: Vec<(String, String)>,
    /// `zookeeper.sessionRequireClientSASLAuth=true`: sessions that do not authenticate with SASL are closed.
    pub require_sasl: bool,
    /// How long a start may take before it fails (default 30 s).
    pub startup_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            extra_config: Vec::new(),
            jvm_props: Vec::new(),
            jvm_args: Vec::new(),
            extended_types: false,
            read_only_mode: false,
            reconfig: false,
            tick_time_ms: 2000,
            min_session_timeout_ms: None,
            max_session_timeout_ms: None,
            extra_classpath: Vec::new(),
            secure_client_port: false,
            netty: false,
            tls_pem: None,
            tls_client_auth: None,
            x509_auth: false,
            sasl_users: Vec::new(),
            require_sasl: false,
            startup_timeout: Duration::from_secs(30),
        }
    }
}

impl ServerOptions {
    /// The defaults, same as [`ServerOptions::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a `key=value` line to `zoo.cfg`.
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_config.push((key.into(), value.into()));
        self
    }

    /// Adds a Java system property (`-Dkey=value`).
    pub fn jvm_prop(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.jvm_props.push((key.into(), value.into()));
        self
    }

    /// Adds a raw JVM argument.
    pub fn jvm_arg(mut self, arg: impl Into<String>) -> Self {
        self.jvm_args.push(arg.into());
        self
    }

    /// Adds a class-path entry.
    pub fn classpath(mut self, entry: impl Into<PathBuf>) -> Self {
        self.extra_classpath.push(entry.into());
        self
    }

    /// Enables TTL nodes (see [`extended_types`](Self::extended_types)).
    pub fn extended_types(mut self, on: bool) -> Self {
        self.extended_types = on;
        self
    }

    /// Enables read-only mode (see [`read_only_mode`](Self::read_only_mode)).
    pub fn read_only_mode(mut self, on: bool) -> Self {
        self.read_only_mode = on;
        self
    }

    /// Enables dynamic reconfiguration (see [`reconfig`](Self::reconfig)).
    pub fn reconfig(mut self, on: bool) -> Self {
        self.reconfig = on;
        self
    }

    /// Sets `tickTime` (see [`tick_time_ms`](Self::tick_time_ms)).
    pub fn tick_time_ms(mut self, ms: u32) -> Self {
        self.tick_time_ms = ms;
        self
    }

    /// Sets `minSessionTimeout`.
    pub fn min_session_timeout_ms(mut self, ms: u32) -> Self {
        self.min_session_timeout_ms = Some(ms);
        self
    }

    /// Sets `maxSessionTimeout`.
    pub fn max_session_timeout_ms(mut self, ms: u32) -> Self {
        self.max_session_timeout_ms = Some(ms);
        self
    }

    /// Opens a TLS client port too (see [`secure_client_port`](Self::secure_client_port)).
    pub fn secure_client_port(mut self, on: bool) -> Self {
        self.secure_client_port = on;
        self
    }

    /// Uses the Netty connection factory (see [`netty`](Self::netty)).
    pub fn netty(mut self, on: bool) -> Self {
        self.netty = on;
        self
    }

    /// Sets how long a start may take.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Opens a TLS port with these PEM stores (see [`tls_pem`](Self::tls_pem)).
    pub fn tls_pem(mut self, key_store: impl Into<PathBuf>, trust_store: impl Into<PathBuf>) -> Self {
        self.tls_pem = Some((key_store.into(), trust_store.into()));
        self.secure_client_port = true;
        self
    }

    /// Sets `ssl.clientAuth` (see [`tls_client_auth`](Self::tls_client_auth)).
    pub fn tls_client_auth(mut self, mode: impl Into<String>) -> Self {
        self.tls_client_auth = Some(mode.into());
        self
    }

    /// Registers the x509 authentication provider (see [`x509_auth`](Self::x509_auth)).
    pub fn x509_auth(mut self, on: bool) -> Self {
        self.x509_auth = on;
        self
    }

    /// Adds a SASL DIGEST-MD5 user (see [`sasl_users`](Self::sasl_users)).
    pub fn sasl_user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.sasl_users.push((name.into(), password.into()));
        self
    }

    /// Closes sessions without SASL authentication (see [`require_sasl`](Self::require_sasl)).
    pub fn require_sasl(mut self, on: bool) -> Self {
        self.require_sasl = on;
        self
    }

    fn uses_netty(&self) -> bool {
        self.netty || self.secure_client_port || self.tls_pem.is_some()
    }

    pub(crate) fn uses_secure_port(&self) -> bool {
        self.secure_client_port || self.tls_pem.is_some()
    }
}

/// The files of one server (a standalone server, or one ensemble member).
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) root: PathBuf,
    pub(crate) conf_dir: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) cfg: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) out: PathBuf,
}

impl Layout {
    pub(crate) fn create(root: PathBuf) -> io::Result<Layout> {
        let l = Layout {
            conf_dir: root.join("conf"),
            data_dir: root.join("data"),
            cfg: root.join("conf").join("zoo.cfg"),
            log: root.join("zookeeper.log"),
            out: root.join("jvm.out"),
            root,
        };
        fs::create_dir_all(&l.conf_dir)?;
        fs::create_dir_all(&l.data_dir)?;
        write_log_config(&l.conf_dir, &l.log)?;
        Ok(l)
    }

    /// The tail of the log and of the JVM's own output, for error messages.
    pub(crate) fn tails(&self) -> String {
        format!("{}\n{}", tail(&self.log, 40), tail(&self.out, 20))
    }

    pub(crate) fn bind_failed(&self) -> bool {
        mentions_bind_failure(&[self.log.clone(), self.out.clone()])
    }
}

/// log4j 1.2 (Debian) and logback (upstream releases) configurations that send warnings to `log`.
/// `ZKRS_TESTSERVER_LOG_LEVEL` (for example `INFO`) changes the level.
fn write_log_config(conf_dir: &Path, log: &Path) -> io::Result<()> {
    let level = std::env::var("ZKRS_TESTSERVER_LOG_LEVEL")
        .ok()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphabetic()))
        .unwrap_or_else(|| "WARN".into());
    let log = log.display().to_string();
    fs::write(
        conf_dir.join("log4j.properties"),
        format!(
            "log4j.rootLogger={level}, FILE\n\
             log4j.appender.FILE=org.apache.log4j.FileAppender\n\
             log4j.appender.FILE.File={}\n\
             log4j.appender.FILE.Append=true\n\
             log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.FILE.layout.ConversionPattern=%d{{ISO8601}} %-5p [%t:%c{{1}}] - %m%n\n",
            log.replace('\\', "\\\\")
        ),
    )?;
    let xml_log = log.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    fs::write(
        conf_dir.join("logback.xml"),
        format!(
            "<configuration>\n  <appender name=\"FILE\" class=\"ch.qos.logback.core.FileAppender\">\n    \
             <file>{xml_log}</file>\n    <encoder><pattern>%d{{ISO8601}} %-5level [%thread:%logger{{0}}] - \
             %msg%n</pattern></encoder>\n  </appender>\n  <root level=\"{level}\"><appender-ref ref=\"FILE\"/></root>\n\
             </configuration>\n"
        ),
    )
}

/// The `zoo.cfg` lines shared by standalone servers and ensemble members.
pub(crate) fn base_config(opts: &ServerOptions, data_dir: &Path) -> String {
    let mut c = format!(
        "tickTime={}\ninitLimit=10\nsyncLimit=5\ndataDir={}\n4lw.commands.whitelist=*\nadmin.enableServer=false\n\
         maxClientCnxns=0\nforceSync=no\n",
        opts.tick_time_ms,
        data_dir.display()
    );
    if let Some(ms) = opts.min_session_timeout_ms {
        c += &format!("minSessionTimeout={ms}\n");
    }
    if let Some(ms) = opts.max_session_timeout_ms {
        c += &format!("maxSessionTimeout={ms}\n");
    }
    if opts.reconfig {
        c += "reconfigEnabled=true\n";
    }
    if opts.uses_netty() {
        c += "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n";
    }
    if let Some((key_store, trust_store)) = &opts.tls_pem {
        c += &format!(
            "ssl.keyStore.location={}\nssl.keyStore.type=PEM\nssl.trustStore.location={}\nssl.trustStore.type=PEM\n",
            key_store.display(),
            trust_store.display()
        );
    }
    if let Some(mode) = &opts.tls_client_auth {
        c += &format!("ssl.clientAuth={mode}\n");
    }
    c
}

/// The JAAS file of a SASL server: a `Server` section listing the DIGEST-MD5 users.
fn write_jaas(opts: &ServerOptions, conf_dir: &Path) -> io::Result<Option<PathBuf>> {
    if opts.sasl_users.is_empty() {
        return Ok(None);
    }
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let users: String = opts.sasl_users.iter().map(|(u, p)| format!("\n    user_{}=\"{}\"", u, quote(p))).collect();
    let path = conf_dir.join("jaas.conf");
    fs::write(
        &path,
        format!("Server {{\n    org.apache.zookeeper.server.auth.DigestLoginModule required{users};\n}};\n"),
    )?;
    Ok(Some(path))
}

/// Appends the caller's extra lines (last, so they win).
pub(crate) fn extra_config(opts: &ServerOptions) -> String {
    opts.extra_config.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// The `java ...` command line that runs `main` with `layout`'s configuration.
pub(crate) fn jvm_command(opts: &ServerOptions, layout: &Layout, main: &str) -> io::Result<Vec<OsString>> {
    let mut cp = vec![layout.conf_dir.clone()];
    let zk = zookeeper_classpath()?;
    if opts.uses_netty() {
        if let Some(dir) = zk.iter().find(|j| j.ends_with("zookeeper.jar")).and_then(|j| j.parent()) {
            for jar in ["netty-codec.jar", "netty-resolver.jar", "netty-transport-native-unix-common.jar"] {
                let j = dir.join(jar);
                if j.exists() && !zk.contains(&j) {
                    cp.push(j);
                }
            }
        }
    }
    cp.extend(zk);
    cp.extend(opts.extra_classpath.iter().cloned());
    let cp = std::env::join_paths(cp).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut a: Vec<OsString> = vec![java_binary()];
    for flag in [
        "-Xms32m",
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:-UsePerfData",
        "-Djava.awt.headless=true",
        "-Dzookeeper.jmx.log4j.disable=true",
    ] {
        a.push(flag.into());
    }
    let prop = |k: &str, v: &Path| {
        let mut s = OsString::from(format!("-D{k}="));
        s.push(v);
        s
    };
    let mut log4j = OsString::from("file:");
    log4j.push(layout.conf_dir.join("log4j.properties"));
    a.push(prop("log4j.configuration", Path::new(&log4j)));
    a.push(prop("logback.configurationFile", &layout.conf_dir.join("logback.xml")));
    a.push(prop("zookeeper.log.dir", &layout.root));
    if opts.extended_types {
        a.push("-Dzookeeper.extendedTypesEnabled=true".into());
    }
    if opts.read_only_mode {
        a.push("-Dreadonlymode.enabled=true".into());
    }
    if opts.x509_auth {
        a.push("-Dzookeeper.authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider".into());
    }
    if let Some(jaas) = write_jaas(opts, &layout.conf_dir)? {
        a.push(prop("java.security.auth.login.config", &jaas));
        a.push("-Dzookeeper.authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider".into());
    }
    if opts.require_sasl {
        a.push("-Dzookeeper.sessionRequireClientSASLAuth=true".into());
    }
    for (k, v) in &opts.jvm_props {
        a.push(format!("-D{k}={v}").into());
    }
    a.extend(opts.jvm_args.iter().map(OsString::from));
    a.push("-cp".into());
    a.push(cp);
    a.push(main.into());
    a.push(layout.cfg.clone().into());
    Ok(a)
}

/// Why a launch failed.
pub(crate) struct LaunchError {
    pub(crate) error: io::Error,
    /// The log says a port was taken: worth retrying on other ports.
    pub(crate) bind_failed: bool,
}

/// Starts the JVM and waits until `ready` accepts its answer to `srvr`.
pub(crate) fn launch(
    cmd: &[OsString],
    layout: &Layout,
    port: u16,
    timeout: Duration,
    ready: impl Fn(&str) -> bool,
) -> Result<Jvm, LaunchError> {
    let mut jvm = Jvm::spawn(cmd, &layout.root, &layout.out).map_err(|e| LaunchError {
        error: io::Error::new(e.kind(), format!("cannot run {:?}: {e}", cmd.first().unwrap_or(&OsString::new()))),
        bind_failed: false,
    })?;
    let deadline = Instant::now() + timeout;
    match wait_ready(&mut jvm, port, deadline, ready) {
        Ok(()) => Ok(jvm),
        Err(why) => {
            jvm.kill();
            Err(launch_error(layout, port, &why))
        }
    }
}

pub(crate) fn launch_error(layout: &Layout, port: u16, why: &str) -> LaunchError {
    let bind_failed = layout.bind_failed();
    LaunchError {
        error: io::Error::other(format!(
            "ZooKeeper on 127.0.0.1:{port} (in {}) {why}{}\n{}",
            layout.root.display(),
            if bind_failed { "; one of its ports was taken" } else { "" },
            layout.tails()
        )),
        bind_failed,
    }
}

/// Polls `srvr` until `ready` accepts the answer, the JVM exits, or `deadline` passes.
pub(crate) fn wait_ready(
    jvm: &mut Jvm,
    port: u16,
    deadline: Instant,
    ready: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let addr = format!("127.0.0.1:{port}");
    let mut last;
    loop {
        if let Some(status) = jvm.exited() {
            return Err(format!("exited ({status}) before serving"));
        }
        match four_letter(&addr, "srvr", Duration::from_secs(2)) {
            Ok(answer) => {
                if ready(&answer) {
                    return Ok(());
                }
                last = format!(
                    "last answer: {:?}",
                    answer.lines().find(|l| l.starts_with("Mode")).unwrap_or(answer.trim())
                );
            }
            Err(e) => last = format!("last error: {e}"),
        }
        if Instant::now() >= deadline {
            return Err(format!("did not serve in time ({last})"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True when a `srvr` answer has a `Mode:` line (the server serves).
pub(crate) fn has_mode(srvr: &str) -> bool {
    srvr_mode(srvr).is_some()
}

/// A standalone ZooKeeper server (`ZooKeeperServerMain`) on a free 127.0.0.1 port, in a fresh temporary
/// directory.
///
/// Dropping it kills the JVM and removes the directory. Stopping it keeps both the port and the data, so
/// [`restart`](Self::restart) brings back the same server: sessions created before survive (their timeout
/// starts again).
#[derive(Debug)]
pub struct ZkServer {
    jvm: Option<Jvm>,
    opts: ServerOptions,
    port: u16,
    secure_port: Option<u16>,
    cmd: Vec<OsString>,
    layout: Layout,
    _ports: Ports,
    dir: TempDir,
}

const STANDALONE_MAIN: &str = "org.apache.zookeeper.server.ZooKeeperServerMain";

impl ZkServer {
    /// Starts a server with the default options and waits until it serves.
    pub fn start() -> io::Result<ZkServer> {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server with `opts` and waits until it serves (answers `srvr` with `Mode: standalone`).
    ///
    /// If another process takes one of its ports in the meantime, it tries again on other ports. Fails after
    /// [`ServerOptions::startup_timeout`] with an error that includes the tail of the server's log.
    pub fn start_with(opts: ServerOptions) -> io::Result<ZkServer> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::try_start(&opts) {
                Ok(s) => return Ok(s),
                Err(e) if e.bind_failed && attempt < 4 => continue,
                Err(e) => return Err(e.error),
            }
        }
    }

    fn try_start(opts: &ServerOptions) -> Result<ZkServer, LaunchError> {
        let plain = |error: io::Error| LaunchError { error, bind_failed: false };
        let ports = free_ports(if opts.uses_secure_port() { 2 } else { 1 }).map_err(plain)?;
        let port = ports.0[0];
        let secure_port = ports.0.get(1).copied();
        let dir = TempDir::new("server").map_err(plain)?;
        let layout = Layout::create(dir.path().to_path_buf()).map_err(plain)?;
        let mut cfg = base_config(opts, &layout.data_dir);
        cfg += &format!("clientPort={port}\nclientPortAddress=127.0.0.1\n");
        if let Some(sp) = secure_port {
            cfg += &format!("secureClientPort={sp}\nsecureClientPortAddress=127.0.0.1\n");
        }
        cfg += &extra_config(opts);
        fs::write(&layout.cfg, cfg).map_err(plain)?;
        let cmd = jvm_command(opts, &layout, STANDALONE_MAIN).map_err(plain)?;
        let jvm = launch(&cmd, &layout, port, opts.startup_timeout, has_mode)?;
        Ok(ZkServer { jvm: Some(jvm), opts: opts.clone(), port, secure_port, cmd, layout, _ports: ports, dir })
    }

    /// The client port (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TLS client port, when [`ServerOptions::secure_client_port`] is set.
    pub fn secure_port(&self) -> Option<u16> {
        self.secure_port
    }

    /// `"127.0.0.1:PORT"`.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The TLS port as `"HOST:PORT"`, for the host name the client will verify (`localhost`,
    /// `127.0.0.1`, ...); `None` without a TLS port.
    pub fn secure_connect_string(&self, host: &str) -> Option<String> {
        self.secure_port.map(|p| format!("{host}:{p}"))
    }

    /// Kills the JVM (`SIGKILL`, like a crash), keeping the data directory and the port for
    /// [`restart`](Self::restart). Does nothing if it is not running.
    pub fn stop(&mut self) {
        if let Some(mut jvm) = self.jvm.take() {
            jvm.kill();
        }
    }

    /// Starts the server again on the same port with the same data (stopping it first if it runs), and waits
    /// until it serves. Sessions that had not expired when it stopped are still valid.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let port_taken = !port_is_free(self.port);
        match launch(&self.cmd, &self.layout, self.port, self.opts.startup_timeout, has_mode) {
            Ok(jvm) => {
                self.jvm = Some(jvm);
                Ok(())
            }
            Err(e) if port_taken => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("port {} was taken by another process while the server was stopped: {}", self.port, e.error),
            )),
            Err(e) => Err(e.error),
        }
    }

    /// True while the JVM runs (paused or not).
    pub fn is_running(&self) -> bool {
        self.jvm.is_some()
    }

    /// The JVM's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.jvm.as_ref().map(Jvm::pid)
    }

    /// Freezes the JVM (`SIGSTOP`): connections stay open but nothing is answered, like a hung server.
    pub fn pause(&self) {
        if let Some(jvm) = &self.jvm {
            jvm.stop();
        }
    }

    /// Lets a paused JVM run again (`SIGCONT`).
    pub fn resume(&self) {
        if let Some(jvm) = &self.jvm {
            jvm.signal(libc::SIGCONT);
        }
    }

    /// Sends a four-letter-word command (`srvr`, `stat`, `mntr`, `cons`, `dump`, ...) and returns the answer;
    /// times out after 10 s.
    pub fn four_letter(&self, cmd: &str) -> io::Result<String> {
        four_letter(&self.connect_string(), cmd, Duration::from_secs(10))
    }

    /// ZooKeeper's `dataDir` (snapshots and transaction logs).
    pub fn data_dir(&self) -> &Path {
        &self.layout.data_dir
    }

    /// The server's temporary directory: `conf/` (`zoo.cfg`, logging configuration), `data/`,
    /// `zookeeper.log` and `jvm.out` (the JVM's own output).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log file (warnings and errors; set `ZKRS_TESTSERVER_LOG_LEVEL=INFO` for more).
    pub fn log_file(&self) -> &Path {
        &self.layout.log
    }

    /// The options the server was started with.
    pub fn options(&self) -> &ServerOptions {
        &self.opts
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.stop();
    }
}
