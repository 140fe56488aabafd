//! zkrs: a ZooKeeper client with kazoo's conveniences (connection states, retries, recipes), usable
//! from Rust and, through its C ABI, from C, C++, Go and Ruby.
//!
//! ```no_run
//! use zkrs::{Client, CreateOptions};
//! let zk = Client::connect("127.0.0.1:2181/app").unwrap();
//! zk.create("/greeting", b"hello", &CreateOptions::default().with_makepath()).unwrap();
//! let (data, stat) = zk.get_data("/greeting", None).unwrap();
//! assert_eq!(data, b"hello");
//! zk.close().unwrap();
//! ```

#![warn(missing_docs)]

#[macro_use]
pub mod log;
pub mod acl;
mod base64;
mod client;
pub mod config;
#[cfg(test)]
mod decode_fuzz;
mod digest;
mod dispatch;
pub mod error;
pub mod ffi;
mod fourlw;
pub mod future;
pub mod hosts;
mod ops;
pub mod path;
mod proto;
pub mod recipe;
pub mod retry;
mod sasl;
mod session;
pub mod stat;
pub mod state;
mod tls;
pub mod txn;
pub mod watch;

pub use acl::{make_digest_acl, perms, Acl, Id};
pub use client::{Client, ListenerId, WatchId};
pub use config::{Config, DispatchMode};
pub use dispatch::StateListener;
pub use error::{Code, Error, Result};
pub use future::ZkFuture;
pub use ops::{ClientInfo, CreateMode, CreateOptions, Created};
pub use retry::RetryPolicy;
pub use stat::Stat;
pub use state::{KazooState, State, StateEvent};
pub use txn::{first_failure, OpResult, ReadOp, ReadResult, Transaction};
pub use watch::{AddWatchMode, EventType, PersistentWatcher, WatchedEvent, Watcher, WatcherType};
