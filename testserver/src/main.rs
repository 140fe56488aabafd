//! `zkrs-testserver`: real ZooKeeper servers for C, Go and Ruby tests and for demos.
//!
//! ```text
//! zkrs-testserver run [--ensemble N] [--extended-types] [--read-only-mode] -- CMD ARGS...
//!     starts the server(s), runs CMD with ZK_HOSTS=<connect string>, stops them, exits with CMD's code
//! zkrs-testserver start [--ensemble N] [--extended-types] [--read-only-mode]
//!     prints the connect string, serves until stdin closes or SIGTERM
//! zkrs-testserver expire HOSTS SESSION_ID_HEX PASSWORD_HEX
//!     expires a session for real
//! ```

use std::io::Read;
use std::process::{Command, ExitCode};
use zkrs_testserver::{expire_session, Ensemble, ServerOptions, ZkServer};

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

    fn data_dir(&self) -> String {
        match self {
            Servers::One(s) => s.data_dir().display().to_string(),
            Servers::Many(e) => e.member_dir(0).display().to_string(),
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  zkrs-testserver run [--ensemble N] [--extended-types] [--read-only-mode] -- CMD ARGS...\n  \
         zkrs-testserver start [--ensemble N] [--extended-types] [--read-only-mode]\n  \
         zkrs-testserver expire HOSTS SESSION_ID_HEX PASSWORD_HEX"
    );
    ExitCode::from(2)
}

/// Parses the server flags; returns the options, the ensemble size (0: standalone) and the rest.
fn parse_flags(args: &[String]) -> Result<(ServerOptions, usize, Vec<String>), String> {
    let mut opts = ServerOptions::default();
    let mut ensemble = 0;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--ensemble" => {
                i += 1;
                ensemble = args.get(i).and_then(|n| n.parse().ok()).ok_or("--ensemble needs a number")?;
            }
            "--extended-types" => opts.extended_types = true,
            "--read-only-mode" => opts.read_only_mode = true,
            "--" => return Ok((opts, ensemble, args[i + 1..].to_vec())),
            other => return Err(format!("unknown flag {other}")),
        }
        i += 1;
    }
    Ok((opts, ensemble, Vec::new()))
}

fn start(opts: ServerOptions, ensemble: usize) -> std::io::Result<Servers> {
    Ok(if ensemble > 0 { Servers::Many(Ensemble::start_with(ensemble, opts)?) } else { Servers::One(ZkServer::start_with(opts)?) })
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(verb) = args.first() else { return usage() };
    match verb.as_str() {
        "run" | "start" => {
            let (opts, ensemble, cmd) = match parse_flags(&args[1..]) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("zkrs-testserver: {e}");
                    return usage();
                }
            };
            if verb == "run" && cmd.is_empty() {
                return usage();
            }
            let servers = match start(opts, ensemble) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("zkrs-testserver: cannot start ZooKeeper: {e}");
                    return ExitCode::from(1);
                }
            };
            if verb == "start" {
                println!("{}", servers.connect_string());
                let mut sink = Vec::new();
                let _ = std::io::stdin().read_to_end(&mut sink);
                return ExitCode::SUCCESS;
            }
            let status = Command::new(&cmd[0])
                .args(&cmd[1..])
                .env("ZK_HOSTS", servers.connect_string())
                .env("ZKRS_TESTSERVER_DATA", servers.data_dir())
                .status();
            drop(servers);
            match status {
                Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
                Err(e) => {
                    eprintln!("zkrs-testserver: cannot run {}: {e}", cmd[0]);
                    ExitCode::from(127)
                }
            }
        }
        "expire" => {
            let (Some(hosts), Some(id), Some(pw)) = (args.get(1), args.get(2), args.get(3)) else { return usage() };
            let id = u64::from_str_radix(id.trim_start_matches("0x"), 16).map(|v| v as i64);
            let (Ok(id), Some(pw)) = (id, hex(pw)) else {
                eprintln!("zkrs-testserver: session id and password must be hex");
                return ExitCode::from(2);
            };
            match expire_session(hosts, id, &pw) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("zkrs-testserver: {e}");
                    ExitCode::from(1)
                }
            }
        }
        _ => usage(),
    }
}
