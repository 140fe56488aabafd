//! An ensemble of `QuorumPeerMain` members on loopback.

use crate::process::Jvm;
use crate::server::{
    base_config, extra_config, jvm_command, launch_error, wait_ready, LaunchError, Layout, ServerOptions,
};
use crate::util::{four_letter, free_ports, srvr_mode, Ports, TempDir};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const QUORUM_MAIN: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// A `srvr` answer of a member that takes part in a working quorum.
fn serving(srvr: &str) -> bool {
    matches!(srvr_mode(srvr), Some("leader" | "follower" | "observer" | "standalone"))
}

/// Any answer at all: the JVM is up, whether or not it has a quorum.
fn answering(srvr: &str) -> bool {
    !srvr.trim().is_empty()
}

#[derive(Debug)]
struct Member {
    jvm: Option<Jvm>,
    paused: AtomicBool,
    client_port: u16,
    secure_port: Option<u16>,
    layout: Layout,
    cmd: Vec<OsString>,
}

/// `n` ZooKeeper servers (`QuorumPeerMain`, server ids 1..=n) forming one ensemble on 127.0.0.1, each with
/// its own client, quorum and election ports, in one fresh temporary directory.
///
/// Members are numbered from 0 in this API. Dropping the ensemble kills every member and removes the
/// directory.
#[derive(Debug)]
pub struct Ensemble {
    members: Vec<Member>,
    opts: ServerOptions,
    _ports: Ports,
    dir: TempDir,
}

impl Ensemble {
    /// Starts `n` members with the default options and waits until all of them serve (one leader, the others
    /// followers).
    pub fn start(n: usize) -> io::Result<Ensemble> {
        Self::start_with(n, ServerOptions::default())
    }

    /// Starts `n` members with `opts` (in parallel) and waits until all of them serve. Retries on other ports
    /// if another process takes one; fails after [`ServerOptions::startup_timeout`] with the logs' tails.
    pub fn start_with(n: usize, opts: ServerOptions) -> io::Result<Ensemble> {
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "an ensemble needs at least one member"));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::try_start(n, &opts) {
                Ok(e) => return Ok(e),
                Err(e) if e.bind_failed && attempt < 4 => continue,
                Err(e) => return Err(e.error),
            }
        }
    }

    fn try_start(n: usize, opts: &ServerOptions) -> Result<Ensemble, LaunchError> {
        let plain = |error: io::Error| LaunchError { error, bind_failed: false };
        let per = if opts.uses_secure_port() { 4 } else { 3 };
        let ports = free_ports(n * per).map_err(plain)?;
        let port = |i: usize, k: usize| ports.0[i * per + k];
        let dir = TempDir::new("ensemble").map_err(plain)?;
        let mut servers = String::new();
        for i in 0..n {
            servers += &format!(
                "server.{}=127.0.0.1:{}:{}:participant;127.0.0.1:{}\n",
                i + 1,
                port(i, 1),
                port(i, 2),
                port(i, 0)
            );
        }
        let mut members = Vec::with_capacity(n);
        for i in 0..n {
            let layout = Layout::create(dir.path().join(format!("member-{}", i + 1))).map_err(plain)?;
            fs::write(layout.data_dir.join("myid"), format!("{}\n", i + 1)).map_err(plain)?;
            let mut cfg = base_config(opts, &layout.data_dir);
            if opts.reconfig {
                cfg += "standaloneEnabled=false\n";
            }
            cfg += &servers;
            let secure_port = opts.uses_secure_port().then(|| port(i, 3));
            if let Some(sp) = secure_port {
                cfg += &format!("secureClientPort={sp}\nsecureClientPortAddress=127.0.0.1\n");
            }
            cfg += &extra_config(opts);
            fs::write(&layout.cfg, cfg).map_err(plain)?;
            let cmd = jvm_command(opts, &layout, QUORUM_MAIN).map_err(plain)?;
            members.push(Member {
                jvm: None,
                paused: AtomicBool::new(false),
                client_port: port(i, 0),
                secure_port,
                layout,
                cmd,
            });
        }
        let mut ens = Ensemble { members, opts: opts.clone(), _ports: ports, dir };
        // Start every JVM first, then wait for them together: they boot in parallel.
        for m in &mut ens.members {
            m.jvm = Some(Jvm::spawn(&m.cmd, &m.layout.root, &m.layout.out).map_err(plain)?);
        }
        let deadline = Instant::now() + opts.startup_timeout;
        for i in 0..n {
            let m = &mut ens.members[i];
            let port = m.client_port;
            let jvm = m.jvm.as_mut().expect("just started");
            if let Err(why) = wait_ready(jvm, port, deadline, serving) {
                return Err(Self::failure(&ens, port, &why));
            }
        }
        Ok(ens)
    }

    /// The error for a member that did not come up, with every member's log tail.
    fn failure(ens: &Ensemble, port: u16, why: &str) -> LaunchError {
        let mut errors: Vec<LaunchError> =
            ens.members.iter().map(|m| launch_error(&m.layout, m.client_port, "")).collect();
        let bind_failed = errors.iter().any(|e| e.bind_failed);
        let details: Vec<String> = errors.drain(..).map(|e| e.error.to_string()).collect();
        LaunchError {
            error: io::Error::other(format!("ensemble member on 127.0.0.1:{port} {why}\n{}", details.join("\n"))),
            bind_failed,
        }
    }

    /// The number of members.
    pub fn size(&self) -> usize {
        self.members.len()
    }

    fn member(&self, i: usize) -> &Member {
        assert!(i < self.members.len(), "member {i} of an ensemble of {}", self.members.len());
        &self.members[i]
    }

    /// Every member: `"127.0.0.1:p1,127.0.0.1:p2,..."`.
    pub fn connect_string(&self) -> String {
        self.members.iter().map(|m| format!("127.0.0.1:{}", m.client_port)).collect::<Vec<_>>().join(",")
    }

    /// Every member's TLS port, `"HOST:p1,HOST:p2,..."` for the host name the client will verify; `None`
    /// without TLS ports.
    pub fn secure_connect_string(&self, host: &str) -> Option<String> {
        let ports: Option<Vec<String>> =
            self.members.iter().map(|m| m.secure_port.map(|p| format!("{host}:{p}"))).collect();
        ports.map(|p| p.join(","))
    }

    /// Member `i` alone: `"127.0.0.1:PORT"`.
    pub fn member_connect_string(&self, i: usize) -> String {
        format!("127.0.0.1:{}", self.member_port(i))
    }

    /// Member `i`'s client port.
    pub fn member_port(&self, i: usize) -> u16 {
        self.member(i).client_port
    }

    /// Member `i`'s TLS client port, when [`ServerOptions::secure_client_port`] is set.
    pub fn member_secure_port(&self, i: usize) -> Option<u16> {
        self.member(i).secure_port
    }

    /// Member `i`'s directory (`conf/`, `data/`, `zookeeper.log`, `jvm.out`).
    pub fn member_dir(&self, i: usize) -> &Path {
        &self.member(i).layout.root
    }

    /// Member `i`'s JVM process id while it runs.
    pub fn member_pid(&self, i: usize) -> Option<u32> {
        self.member(i).jvm.as_ref().map(Jvm::pid)
    }

    /// True while member `i`'s JVM runs (paused or not).
    pub fn is_member_running(&self, i: usize) -> bool {
        self.member(i).jvm.is_some()
    }

    /// The ensemble's temporary directory (one `member-N` directory per member).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The options the members run with.
    pub fn options(&self) -> &ServerOptions {
        &self.opts
    }

    /// Kills member `i` (`SIGKILL`), keeping its data and ports. Does nothing if it is not running.
    pub fn stop_member(&mut self, i: usize) {
        let _ = self.member(i);
        let m = &mut self.members[i];
        if let Some(mut jvm) = m.jvm.take() {
            jvm.kill();
        }
        m.paused.store(false, Ordering::SeqCst);
    }

    /// Starts a stopped member `i` again (does nothing if it runs). If the running, unpaused members then
    /// make a quorum, waits until it serves as leader or follower; otherwise only until it answers `srvr`
    /// at all (it cannot serve, or serves read-only when [`ServerOptions::read_only_mode`] is set).
    pub fn start_member(&mut self, i: usize) -> io::Result<()> {
        let _ = self.member(i);
        if self.members[i].jvm.is_some() {
            return Ok(());
        }
        let live = 1 + self
            .members
            .iter()
            .enumerate()
            .filter(|(j, m)| *j != i && m.jvm.is_some() && !m.paused.load(Ordering::SeqCst))
            .count();
        let quorum = live > self.members.len() / 2;
        let timeout = self.opts.startup_timeout;
        let m = &mut self.members[i];
        let mut jvm = Jvm::spawn(&m.cmd, &m.layout.root, &m.layout.out)?;
        let ready: fn(&str) -> bool = if quorum { serving } else { answering };
        match wait_ready(&mut jvm, m.client_port, Instant::now() + timeout, ready) {
            Ok(()) => {
                m.jvm = Some(jvm);
                m.paused.store(false, Ordering::SeqCst);
                Ok(())
            }
            Err(why) => {
                jvm.kill();
                Err(launch_error(&m.layout, m.client_port, &why).error)
            }
        }
    }

    /// Freezes member `i` (`SIGSTOP`).
    pub fn pause_member(&self, i: usize) {
        let m = self.member(i);
        if let Some(jvm) = &m.jvm {
            jvm.stop();
            m.paused.store(true, Ordering::SeqCst);
        }
    }

    /// Lets a paused member `i` run again (`SIGCONT`).
    pub fn resume_member(&self, i: usize) {
        let m = self.member(i);
        if let Some(jvm) = &m.jvm {
            jvm.signal(libc::SIGCONT);
            m.paused.store(false, Ordering::SeqCst);
        }
    }

    /// Member `i`'s `Mode:` from `srvr` (`leader`, `follower`, `read-only`, ...), or `None` if it does not
    /// serve or answer within 2 s.
    pub fn member_mode(&self, i: usize) -> Option<String> {
        let m = self.member(i);
        if m.jvm.is_none() || m.paused.load(Ordering::SeqCst) {
            return None;
        }
        let answer = four_letter(&self.member_connect_string(i), "srvr", Duration::from_secs(2)).ok()?;
        srvr_mode(&answer).map(str::to_owned)
    }

    /// The member that currently says `Mode: leader` in answer to `srvr`, if any (stopped and paused members
    /// are skipped).
    pub fn leader(&self) -> Option<usize> {
        (0..self.members.len()).find(|&i| self.member_mode(i).as_deref() == Some("leader"))
    }

    /// Waits up to `timeout` until some member is leader and returns it.
    pub fn wait_for_leader(&self, timeout: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.leader() {
                return Ok(l);
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no member became leader"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a four-letter-word command to member `i` (10 s timeout).
    pub fn four_letter(&self, i: usize, cmd: &str) -> io::Result<String> {
        four_letter(&self.member_connect_string(i), cmd, Duration::from_secs(10))
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for m in &mut self.members {
            if let Some(mut jvm) = m.jvm.take() {
                jvm.kill();
            }
        }
    }
}
