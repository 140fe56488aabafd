//! Every request: how it is encoded (on the caller's thread) and how its reply is decoded. The client's
//! sync, async and future forms all go through [`Request`] and [`Decode`].

use crate::acl::Acl;
use crate::error::{Error, Result};
use crate::path::Chroot;
use crate::proto::{self, op, read_acls, read_stat, JuteWrite, Reader};
use crate::session::{Action, Reply};
use crate::stat::Stat;
use crate::watch::{AddWatchMode, OneShotKind, PendingWatch, Watcher, WatcherType};

/// ZooKeeper's create modes (the numbers go on the wire as the create flags).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreateMode {
    #[default]
    /// Stays until deleted.
    Persistent = 0,
    /// Deleted by the server when the session ends.
    Ephemeral = 1,
    /// Persistent, with a 10-digit sequence number appended to the name.
    PersistentSequential = 2,
    /// Ephemeral, with a 10-digit sequence number appended to the name.
    EphemeralSequential = 3,
    /// Deleted by the server once its last child is gone.
    Container = 4,
    /// Deleted by the server when unmodified for the TTL and childless (needs extended types on the server).
    PersistentWithTtl = 5,
    /// Sequential and with a TTL.
    PersistentSequentialWithTtl = 6,
}

impl CreateMode {
    /// The mode for ZooKeeper's number (0..=6).
    pub fn from_i32(v: i32) -> Option<CreateMode> {
        Some(match v {
            0 => CreateMode::Persistent,
            1 => CreateMode::Ephemeral,
            2 => CreateMode::PersistentSequential,
            3 => CreateMode::EphemeralSequential,
            4 => CreateMode::Container,
            5 => CreateMode::PersistentWithTtl,
            6 => CreateMode::PersistentSequentialWithTtl,
            _ => return None,
        })
    }

    /// Whether the server appends a sequence number.
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// Whether the node has a time to live.
    pub fn is_ttl(self) -> bool {
        matches!(self, CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl)
    }

    /// Whether the node ends with the session.
    pub fn is_ephemeral(self) -> bool {
        matches!(self, CreateMode::Ephemeral | CreateMode::EphemeralSequential)
    }

    /// The op code that creates a node of this mode (create2 for the plain modes, to get the stat).
    pub(crate) fn opcode(self) -> i32 {
        match self {
            CreateMode::Container => op::CREATE_CONTAINER,
            m if m.is_ttl() => op::CREATE_TTL,
            _ => op::CREATE2,
        }
    }
}

/// How `create` creates a node.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The kind of node.
    pub mode: CreateMode,
    /// Time to live in milliseconds, for the TTL modes only.
    pub ttl_ms: i64,
    /// `None`: the client's default ACL.
    pub acl: Option<Vec<Acl>>,
    /// Create missing parents (as persistent nodes).
    pub makepath: bool,
}

impl CreateOptions {
    /// Options for a node of `mode`, with the defaults otherwise.
    pub fn mode(mode: CreateMode) -> Self {
        CreateOptions { mode, ..Default::default() }
    }
    /// Options for an ephemeral node.
    pub fn ephemeral() -> Self {
        Self::mode(CreateMode::Ephemeral)
    }
    /// Also creates missing parents.
    pub fn with_makepath(mut self) -> Self {
        self.makepath = true;
        self
    }
    /// Uses `acl` instead of the client's default ACL.
    pub fn with_acl(mut self, acl: Vec<Acl>) -> Self {
        self.acl = Some(acl);
        self
    }
    /// Sets the time to live (TTL modes only).
    pub fn with_ttl_ms(mut self, ttl_ms: i64) -> Self {
        self.ttl_ms = ttl_ms;
        self
    }
}

/// Validates the TTL for `mode` (the server's limit is 0xFFFFFFFFFF ms).
pub(crate) fn check_ttl(mode: CreateMode, ttl_ms: i64) -> Result<i64> {
    if mode.is_ttl() {
        if ttl_ms <= 0 || ttl_ms > 0xFF_FFFF_FFFF {
            return Err(Error::BadArguments(format!("TTL {ttl_ms} ms is out of range (1..=1099511627775)")));
        }
        Ok(ttl_ms)
    } else if ttl_ms != 0 {
        Err(Error::BadArguments(format!("a TTL ({ttl_ms} ms) needs a TTL create mode, not {mode:?}")))
    } else {
        Ok(-1)
    }
}

/// The result of `create`: the path created (with its sequence number) and the new node's stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The path created, relative to the chroot, with the sequence number if any.
    pub path: String,
    /// The new node's stat.
    pub stat: Stat,
}

/// Who the server thinks this session is (`whoami`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The authentication scheme (`ip`, `digest`, `x509`, `sasl`, ...).
    pub auth_scheme: String,
    /// The identity within that scheme.
    pub user: String,
}

/// A request ready to submit: its frame, what the I/O thread does with it, and its reply decoder.
pub(crate) struct Request<D> {
    pub frame: Vec<u8>,
    pub action: Action,
    pub decoder: D,
}

/// Turns a reply into the caller's result.
pub(crate) trait Decode: Send + 'static {
    type Output: Send + 'static;
    fn decode(self, reply: Reply, chroot: &Chroot) -> Result<Self::Output>;
}

fn frame(opcode: i32, capacity: usize, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut f = proto::start_frame(0, opcode, capacity);
    body(&mut f);
    proto::patch_length(&mut f);
    f
}

fn check(reply: &Reply, path: &str, chroot: &Chroot) -> Result<()> {
    if reply.err != 0 {
        return Err(Error::from_server(reply.err, chroot.strip(path)));
    }
    Ok(())
}

macro_rules! decoder {
    ($name:ident, $out:ty, |$r:ident, $path:ident, $chroot:ident| $body:expr) => {
        pub(crate) struct $name {
            pub path: String,
        }
        impl Decode for $name {
            type Output = $out;
            #[allow(unused_mut, unused_variables)]
            fn decode(self, reply: Reply, $chroot: &Chroot) -> Result<$out> {
                check(&reply, &self.path, $chroot)?;
                let $path = &self.path;
                let mut $r = Reader::new(&reply.body);
                $body
            }
        }
    };
}

decoder!(UnitDecode, (), |r, path, chroot| Ok(()));
decoder!(StatDecode, Stat, |r, path, chroot| read_stat(&mut r));
decoder!(DataDecode, (Vec<u8>, Stat), |r, path, chroot| {
    let data = r.bytes()?;
    Ok((data, read_stat(&mut r)?))
});
decoder!(ChildrenDecode, (Vec<String>, Stat), |r, path, chroot| {
    let children = r.strings()?;
    Ok((children, read_stat(&mut r)?))
});
decoder!(AclDecode, (Vec<Acl>, Stat), |r, path, chroot| {
    let acl = read_acls(&mut r)?;
    Ok((acl, read_stat(&mut r)?))
});
decoder!(CreateDecode, Created, |r, path, chroot| {
    let created = r.string()?;
    Ok(Created { path: chroot.to_user(&created), stat: read_stat(&mut r)? })
});
decoder!(SyncDecode, String, |r, path, chroot| Ok(chroot.to_user(&r.string()?)));
decoder!(EphemeralsDecode, Vec<String>, |r, path, chroot| Ok(r.strings()?.iter().map(|p| chroot.to_user(p)).collect()));
decoder!(CountDecode, i32, |r, path, chroot| r.i32());
decoder!(WhoAmIDecode, Vec<ClientInfo>, |r, path, chroot| {
    let n = r.count(8)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(ClientInfo { auth_scheme: r.string()?, user: r.string()? });
    }
    Ok(v)
});

/// `exists` answers `None` for a missing node instead of an error.
pub(crate) struct ExistsDecode {
    pub path: String,
}

impl Decode for ExistsDecode {
    type Output = Option<Stat>;
    fn decode(self, reply: Reply, chroot: &Chroot) -> Result<Option<Stat>> {
        if reply.err == crate::error::codes::NO_NODE {
            return Ok(None);
        }
        check(&reply, &self.path, chroot)?;
        Ok(Some(read_stat(&mut Reader::new(&reply.body))?))
    }
}

pub(crate) fn create(path: String, data: &[u8], acl: &[Acl], mode: CreateMode, ttl_ms: i64) -> Request<CreateDecode> {
    let f = frame(mode.opcode(), path.len() + data.len() + 64, |f| {
        f.put_str(&path);
        f.put_buffer(Some(data));
        proto::put_acls(f, acl);
        f.put_i32(mode as i32);
        if mode.is_ttl() {
            f.put_i64(ttl_ms);
        }
    });
    Request { frame: f, action: Action::None, decoder: CreateDecode { path } }
}

pub(crate) fn delete(path: String, version: i32) -> Request<UnitDecode> {
    let f = frame(op::DELETE, path.len() + 8, |f| {
        f.put_str(&path);
        f.put_i32(version);
    });
    Request { frame: f, action: Action::None, decoder: UnitDecode { path } }
}

fn one_shot(kind: OneShotKind, path: &str, watcher: Option<Watcher>) -> Action {
    match watcher {
        Some(watcher) => Action::Watch(PendingWatch::OneShot { kind, path: path.to_string(), watcher }),
        None => Action::None,
    }
}

pub(crate) fn exists(path: String, watcher: Option<Watcher>) -> Request<ExistsDecode> {
    let f = frame(op::EXISTS, path.len() + 8, |f| {
        f.put_str(&path);
        f.put_bool(watcher.is_some());
    });
    Request { frame: f, action: one_shot(OneShotKind::Exists, &path, watcher), decoder: ExistsDecode { path } }
}

pub(crate) fn get_data(path: String, watcher: Option<Watcher>) -> Request<DataDecode> {
    let f = frame(op::GET_DATA, path.len() + 8, |f| {
        f.put_str(&path);
        f.put_bool(watcher.is_some());
    });
    Request { frame: f, action: one_shot(OneShotKind::Data, &path, watcher), decoder: DataDecode { path } }
}

pub(crate) fn set_data(path: String, data: &[u8], version: i32) -> Request<StatDecode> {
    let f = frame(op::SET_DATA, path.len() + data.len() + 12, |f| {
        f.put_str(&path);
        f.put_buffer(Some(data));
        f.put_i32(version);
    });
    Request { frame: f, action: Action::None, decoder: StatDecode { path } }
}

pub(crate) fn get_children(path: String, watcher: Option<Watcher>) -> Request<ChildrenDecode> {
    let f = frame(op::GET_CHILDREN2, path.len() + 8, |f| {
        f.put_str(&path);
        f.put_bool(watcher.is_some());
    });
    Request { frame: f, action: one_shot(OneShotKind::Child, &path, watcher), decoder: ChildrenDecode { path } }
}

pub(crate) fn get_acl(path: String) -> Request<AclDecode> {
    let f = frame(op::GET_ACL, path.len() + 4, |f| f.put_str(&path));
    Request { frame: f, action: Action::None, decoder: AclDecode { path } }
}

pub(crate) fn set_acl(path: String, acl: &[Acl], version: i32) -> Request<StatDecode> {
    let f = frame(op::SET_ACL, path.len() + 64, |f| {
        f.put_str(&path);
        proto::put_acls(f, acl);
        f.put_i32(version);
    });
    Request { frame: f, action: Action::None, decoder: StatDecode { path } }
}

pub(crate) fn sync(path: String) -> Request<SyncDecode> {
    let f = frame(op::SYNC, path.len() + 4, |f| f.put_str(&path));
    Request { frame: f, action: Action::None, decoder: SyncDecode { path } }
}

pub(crate) fn get_ephemerals(prefix: String) -> Request<EphemeralsDecode> {
    let f = frame(op::GET_EPHEMERALS, prefix.len() + 4, |f| f.put_str(&prefix));
    Request { frame: f, action: Action::None, decoder: EphemeralsDecode { path: prefix } }
}

pub(crate) fn get_all_children_number(path: String) -> Request<CountDecode> {
    let f = frame(op::GET_ALL_CHILDREN_NUMBER, path.len() + 4, |f| f.put_str(&path));
    Request { frame: f, action: Action::None, decoder: CountDecode { path } }
}

pub(crate) fn whoami() -> Request<WhoAmIDecode> {
    Request {
        frame: frame(op::WHO_AM_I, 0, |_| {}),
        action: Action::None,
        decoder: WhoAmIDecode { path: String::new() },
    }
}

pub(crate) fn add_auth(scheme: &str, credentials: &[u8]) -> Request<UnitDecode> {
    let f = frame(op::AUTH, scheme.len() + credentials.len() + 12, |f| {
        f.put_i32(0);
        f.put_str(scheme);
        f.put_buffer(Some(credentials));
    });
    Request {
        frame: f,
        action: Action::Auth { scheme: scheme.to_string(), credentials: credentials.to_vec() },
        decoder: UnitDecode { path: format!("auth {scheme}") },
    }
}

/// The addWatch request for `path` (a server path) in `mode`.
pub(crate) fn add_watch_frame(path: &str, mode: AddWatchMode) -> Vec<u8> {
    frame(op::ADD_WATCH, path.len() + 8, |f| {
        f.put_str(path);
        f.put_i32(mode as i32);
    })
}

pub(crate) fn add_watch(
    path: String,
    mode: AddWatchMode,
    id: u64,
    watcher: crate::watch::PersistentWatcher,
) -> Request<UnitDecode> {
    let f = add_watch_frame(&path, mode);
    let action = Action::Watch(PendingWatch::Persistent { mode, path: path.clone(), id, watcher });
    Request { frame: f, action, decoder: UnitDecode { path } }
}

/// `remove`: removeWatches (18); otherwise checkWatches (17), which only checks.
pub(crate) fn remove_watches(
    path: String,
    user_path: String,
    kind: WatcherType,
    local: bool,
    remove: bool,
) -> Request<UnitDecode> {
    let f = frame(if remove { op::REMOVE_WATCHES } else { op::CHECK_WATCHES }, path.len() + 8, |f| {
        f.put_str(&path);
        f.put_i32(kind as i32);
    });
    let action = Action::RemoveWatches { path: path.clone(), user_path, kind, local, remove };
    Request { frame: f, action, decoder: UnitDecode { path } }
}

pub(crate) fn remove_persistent(id: u64) -> Request<UnitDecode> {
    Request {
        frame: Vec::new(),
        action: Action::RemovePersistent { id },
        decoder: UnitDecode { path: format!("persistent watch #{id}") },
    }
}

pub(crate) const CONFIG_NODE: &str = "/zookeeper/config";

/// getConfig reads the config node, outside any chroot.
pub(crate) fn get_config(watcher: Option<Watcher>) -> Request<DataDecode> {
    get_data(CONFIG_NODE.to_string(), watcher)
}

pub(crate) fn reconfig(
    joining: Option<&str>,
    leaving: Option<&str>,
    new_members: Option<&str>,
    from_config: i64,
) -> Request<DataDecode> {
    let f = frame(op::RECONFIG, 64, |f| {
        f.put_buffer(joining.map(str::as_bytes));
        f.put_buffer(leaving.map(str::as_bytes));
        f.put_buffer(new_members.map(str::as_bytes));
        f.put_i64(from_config);
    });
    Request { frame: f, action: Action::None, decoder: DataDecode { path: CONFIG_NODE.to_string() } }
}
