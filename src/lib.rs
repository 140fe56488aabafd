//! zkrs: a ZooKeeper client with kazoo's conveniences, usable from Rust and (through its C ABI) from C.

pub mod error;

pub use error::{Error, Result};
