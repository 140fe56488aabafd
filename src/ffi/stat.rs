//! `zkrs_stat`: a node's metadata as a plain C struct.

use crate::stat::Stat;

/// ZooKeeper's Stat: the metadata the server keeps for each node. A plain struct the caller allocates
/// (usually on the stack); zkrs fills it in.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct zkrs_stat {
    /// zxid of the change that created the node.
    pub czxid: i64,
    /// zxid of the last change of the node's data.
    pub mzxid: i64,
    /// Creation time, milliseconds since the epoch.
    pub ctime: i64,
    /// Last modification time, milliseconds since the epoch.
    pub mtime: i64,
    /// Number of changes to the data.
    pub version: i32,
    /// Number of changes to the children.
    pub cversion: i32,
    /// Number of changes to the ACL.
    pub aversion: i32,
    /// Session id of the owner if the node is ephemeral, else 0.
    pub ephemeral_owner: i64,
    /// Length of the data in bytes.
    pub data_length: i32,
    /// Number of children.
    pub num_children: i32,
    /// zxid of the last change of the children.
    pub pzxid: i64,
}

// zkrs_stat is the core's Stat (which is #[repr(C)] too), declared here so the header generator,
// which reads only src/ffi, sees it.
const _: () = assert!(std::mem::size_of::<zkrs_stat>() == std::mem::size_of::<Stat>());

impl From<&Stat> for zkrs_stat {
    fn from(s: &Stat) -> Self {
        zkrs_stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeral_owner: s.ephemeral_owner,
            data_length: s.data_length,
            num_children: s.num_children,
            pzxid: s.pzxid,
        }
    }
}

/// Writes `s` to an optional out-parameter.
pub(crate) unsafe fn write_stat(out: *mut zkrs_stat, s: &Stat) {
    if !out.is_null() {
        *out = zkrs_stat::from(s);
    }
}
