//! `zkrs-testserver`: real ZooKeeper servers on loopback for C, Go and Ruby tests and for demos.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zkrs_testserver::{expire_session, four_letter, zookeeper_classpath, Ensemble, ServerOptions, ZkServer};

const USAGE: &str = "\
usage:
  zkrs-testserver run [OPTIONS] -- CMD [ARGS...]
      Starts ZooKeeper, runs CMD with ZK_HOSTS=<connect string> and ZKRS_TESTSERVER_DATA=<server directory>,
      stops ZooKeeper and exits with CMD's exit code.
  zkrs-testserver start [OPTIONS]
      Starts ZooKeeper, prints the connect string on stdout, and runs until stdin closes or SIGTERM/SIGINT.
  zkrs-testserver expire HOSTS SESSION_ID_HEX PASSWORD_HEX
      Expires a session for real (a second connection with the same id and password closes it).
  zkrs-testserver four-letter HOST:PORT CMD
      Prints a server's answer to a four-letter word (srvr, ruok, mntr, ...).
  zkrs-testserver classpath
      Prints the class path the servers run with.
options:
  --ensemble N          N QuorumPeerMain members instead of one standalone server
  --extended-types      TTL nodes (-Dzookeeper.extendedTypesEnabled=true)
  --read-only-mode      read-only mode (-Dreadonlymode.enabled=true)
  --reconfig            reconfigEnabled=true
  --tick-time MS        tickTime (default 2000)
  --config KEY=VALUE    an extra zoo.cfg line (repeatable)
  --jvm-prop KEY=VALUE  an extra -DKEY=VALUE (repeatable)
  --jvm-arg ARG         an extra JVM argument after the defaults, e.g. -Xmx1g (repeatable)
Servers log to zookeeper.log in their directory; ZKRS_TESTSERVER_KEEP=1 keeps the directory.";

static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNALLED.store(sig, Ordering::SeqCst);
}

fn catch_signals() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

enum Servers {
    One(ZkServer),
    Many(Ensemble),
}

impl Servers {
    fn connect_string(&self) -> String {
        match self {
            Servers::One(s) => s.connect_string(),
            Servers::Many(e) => e.connect_string(),
        }
    }

    fn dir(&self) -> &Path {
        match self {
            Servers::One(s) => s.dir(),
            Servers::Many(e) => e.dir(),
        }
    }
}

struct Parsed {
    ensemble: Option<usize>,
    opts: ServerOptions,
    rest: Vec<String>,
}

fn parse_options(args: &[String]) -> Result<Parsed, String> {
    let mut p = Parsed { ensemble: None, opts: ServerOptions::default(), rest: Vec::new() };
    let mut it = args.iter();
    let pair = |v: Option<&String>, flag: &str| -> Result<(String, String), String> {
        let v = v.ok_or(format!("{flag} needs KEY=VALUE"))?;
        let (k, val) = v.split_once('=').ok_or(format!("{flag} needs KEY=VALUE, not {v:?}"))?;
        Ok((k.to_owned(), val.to_owned()))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--" => {
                p.rest.extend(it.by_ref().cloned());
                break;
            }
            "--ensemble" => {
                let n = it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0);
                p.ensemble = Some(n.ok_or("--ensemble needs a positive number")?);
            }
            "--extended-types" => p.opts.extended_types = true,
            "--read-only-mode" => p.opts.read_only_mode = true,
            "--reconfig" => p.opts.reconfig = true,
            "--tick-time" => {
                p.opts.tick_time_ms = it.next().and_then(|n| n.parse().ok()).ok_or("--tick-time needs milliseconds")?
            }
            "--config" => p.opts.extra_config.push(pair(it.next(), "--config")?),
            "--jvm-prop" => p.opts.jvm_props.push(pair(it.next(), "--jvm-prop")?),
            "--jvm-arg" => p.opts.jvm_args.push(it.next().ok_or("--jvm-arg needs an argument")?.clone()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => {
                p.rest.push(a.clone());
                p.rest.extend(it.by_ref().cloned());
                break;
            }
        }
    }
    Ok(p)
}

fn start_servers(p: &Parsed) -> io::Result<Servers> {
    match p.ensemble {
        Some(n) => Ensemble::start_with(n, p.opts.clone()).map(Servers::Many),
        None => ZkServer::start_with(p.opts.clone()).map(Servers::One),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "run" => run(&args[1..]),
        "start" => start(&args[1..]),
        "expire" => expire(&args[1..]),
        "four-letter" => four(&args[1..]),
        "classpath" => classpath(),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("zkrs-testserver: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let p = parse_options(args)?;
    let Some((program, program_args)) = p.rest.split_first() else {
        return Err(format!("run needs a command\n{USAGE}"));
    };
    catch_signals();
    let servers = match start_servers(&p) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zkrs-testserver: cannot start ZooKeeper: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut child = match Command::new(program)
        .args(program_args)
        .env("ZK_HOSTS", servers.connect_string())
        .env("ZKRS_TESTSERVER_DATA", servers.dir())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("zkrs-testserver: cannot run {program:?}: {e}");
            return Ok(ExitCode::from(127));
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(_) => break None,
        }
        let sig = SIGNALLED.load(Ordering::SeqCst);
        if sig != 0 {
            // SAFETY: kill(2) on our own unreaped child.
            unsafe {
                libc::kill(child.id() as libc::pid_t, sig);
            }
            let _ = child.wait();
            drop(servers);
            return Ok(ExitCode::from(128 + sig as u8));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(servers);
    Ok(match status {
        Some(s) => match s.code() {
            Some(c) => ExitCode::from(c as u8),
            None => {
                use std::os::unix::process::ExitStatusExt;
                ExitCode::from(128 + s.signal().unwrap_or(0) as u8)
            }
        },
        None => ExitCode::from(1),
    })
}

fn start(args: &[String]) -> Result<ExitCode, String> {
    let p = parse_options(args)?;
    if let Some(extra) = p.rest.first() {
        return Err(format!("unexpected argument {extra:?}\n{USAGE}"));
    }
    catch_signals();
    let servers = match start_servers(&p) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zkrs-testserver: cannot start ZooKeeper: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{}", servers.connect_string());
    let _ = out.flush();
    drop(out);
    eprintln!(
        "zkrs-testserver: ZooKeeper at {} (directory {}); close stdin or send SIGTERM to stop",
        servers.connect_string(),
        servers.dir().display()
    );
    let stdin_closed = Arc::new(AtomicBool::new(false));
    let flag = stdin_closed.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut stdin = io::stdin().lock();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        flag.store(true, Ordering::SeqCst);
    });
    while !stdin_closed.load(Ordering::SeqCst) && SIGNALLED.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(servers);
    Ok(ExitCode::SUCCESS)
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("bad hex {s:?}")))
        .collect()
}

fn expire(args: &[String]) -> Result<ExitCode, String> {
    let [hosts, id, password] = args else {
        return Err(format!("expire needs HOSTS SESSION_ID_HEX PASSWORD_HEX\n{USAGE}"));
    };
    let id_digits = id.strip_prefix("0x").unwrap_or(id);
    let id = u64::from_str_radix(id_digits, 16).map_err(|_| format!("bad session id {id:?}"))? as i64;
    let password = parse_hex(password)?;
    match expire_session(hosts, id, &password) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("zkrs-testserver: cannot expire session 0x{id:x}: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn four(args: &[String]) -> Result<ExitCode, String> {
    let [addr, cmd] = args else {
        return Err(format!("four-letter needs HOST:PORT CMD\n{USAGE}"));
    };
    match four_letter(addr, cmd, Duration::from_secs(10)) {
        Ok(answer) => {
            print!("{answer}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("zkrs-testserver: {addr}: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn classpath() -> Result<ExitCode, String> {
    let jars = zookeeper_classpath().map_err(|e| e.to_string())?;
    let cp = std::env::join_paths(jars).map_err(|e| e.to_string())?;
    println!("{}", cp.to_string_lossy());
    Ok(ExitCode::SUCCESS)
}
