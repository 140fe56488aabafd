//! Test support for zkrs: real Apache ZooKeeper servers on loopback.
//!
//! This crate starts genuine ZooKeeper JVMs (Debian's `zookeeper` package, or any installation found through
//! `ZOOKEEPER_HOME` / `ZKRS_ZOOKEEPER_CLASSPATH`) on free `127.0.0.1` ports, each in a fresh directory under
//! [`std::env::temp_dir`]:
//!
//! * [`ZkServer`] — a standalone server that can be stopped, restarted on the same port with the same data
//!   (sessions survive), paused and resumed (`SIGSTOP` / `SIGCONT`).
//! * [`Ensemble`] — `n` `QuorumPeerMain` members; any member can be stopped, started, paused and resumed.
//! * [`expire_session`] — expires a session for real, from a second connection with the same id and password.
//! * [`Proxy`] — a TCP proxy that can cut, black-hole or refuse a client's connections.
//! * [`four_letter`] — sends a four-letter-word command such as `srvr` or `ruok`.
//!
//! Only loopback addresses are used. A server is ready when it answers `srvr` with a `Mode:` line, not when
//! its port opens. Servers log warnings to `zookeeper.log` in their directory (see [`ZkServer::log_file`]);
//! when a start fails, the error carries the tail of that log.
//!
//! The JVMs never outlive the test process: each one runs under a small shell watchdog that kills it as soon
//! as a pipe held by this process reaches end of file, which the kernel guarantees however the process ends
//! (even `SIGKILL`, or `cargo test` exiting without dropping statics). A second watchdog removes the
//! directory. Set `ZKRS_TESTSERVER_KEEP=1` to keep the directories for debugging.
//!
//! ```no_run
//! use zkrs_testserver::{ServerOptions, ZkServer};
//!
//! let mut server = ZkServer::start_with(ServerOptions::default().extended_types(true)).unwrap();
//! assert!(server.four_letter("srvr").unwrap().contains("Mode: standalone"));
//! let hosts = server.connect_string(); // "127.0.0.1:PORT"
//! server.stop();
//! server.restart().unwrap(); // same port, same data
//! # let _ = hosts;
//! ```

#![warn(missing_docs)]

mod ensemble;
mod process;
mod proxy;
mod server;
mod session;
mod util;

pub use ensemble::Ensemble;
pub use proxy::Proxy;
pub use server::{ServerOptions, ZkServer};
pub use session::expire_session;
pub use util::{four_letter, zookeeper_classpath};
