//! The wire protocol: framing, jute encoding and ZooKeeper's records.

pub(crate) mod jute;
pub(crate) mod records;

pub(crate) use jute::{JuteWrite, Reader};
pub(crate) use records::*;
