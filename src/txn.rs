//! Transactions (multi): several writes applied atomically, with a result per op; and multi-read.

use crate::acl::Acl;
use crate::error::{codes, Error, Result};
use crate::ops::{check_ttl, CreateMode, CreateOptions, Decode, Request};
use crate::path::Chroot;
use crate::proto::{self, op, put_acls, read_stat, JuteWrite, Reader};
use crate::session::{Action, Reply};
use crate::stat::Stat;

/// One operation of a transaction.
#[derive(Debug, Clone)]
pub(crate) enum TxnOp {
    Create { path: String, data: Vec<u8>, acl: Vec<Acl>, mode: CreateMode, ttl_ms: i64 },
    Delete { path: String, version: i32 },
    SetData { path: String, data: Vec<u8>, version: i32 },
    Check { path: String, version: i32 },
}

impl TxnOp {
    fn path(&self) -> &str {
        match self {
            TxnOp::Create { path, .. }
            | TxnOp::Delete { path, .. }
            | TxnOp::SetData { path, .. }
            | TxnOp::Check { path, .. } => path,
        }
    }
}

/// What happened to one operation of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// The node was created.
    Created {
        /// The path created, relative to the chroot.
        path: String,
        /// The new node's stat, when the server sent it (multi creates send none).
        stat: Option<Stat>,
    },
    /// The node was deleted.
    Deleted,
    /// The data was set.
    DataSet {
        /// The node's new stat.
        stat: Stat,
    },
    /// The version check passed.
    Checked,
    /// This op failed and made the whole transaction fail.
    Failed(Error),
    /// This op was fine, but the transaction failed elsewhere, so nothing was applied.
    RolledBack,
}

impl OpResult {
    /// Whether this op was applied.
    pub fn is_ok(&self) -> bool {
        !matches!(self, OpResult::Failed(_) | OpResult::RolledBack)
    }
}

/// The first failure of a transaction's results, with its index.
pub fn first_failure(results: &[OpResult]) -> Option<(usize, &Error)> {
    results.iter().enumerate().find_map(|(i, r)| match r {
        OpResult::Failed(e) => Some((i, e)),
        _ => None,
    })
}

/// Builds the multi frame (op 14): each op behind a MultiHeader, closed by the `done` header.
pub(crate) fn multi(ops: Vec<TxnOp>) -> Request<MultiDecode> {
    let mut f = proto::start_frame(0, op::MULTI, 64 * ops.len());
    for o in &ops {
        match o {
            TxnOp::Create { path, data, acl, mode, ttl_ms } => {
                put_header(&mut f, mode.opcode());
                f.put_str(path);
                f.put_buffer(Some(data));
                put_acls(&mut f, acl);
                f.put_i32(*mode as i32);
                if mode.is_ttl() {
                    f.put_i64(*ttl_ms);
                }
            }
            TxnOp::Delete { path, version } => {
                put_header(&mut f, op::DELETE);
                f.put_str(path);
                f.put_i32(*version);
            }
            TxnOp::SetData { path, data, version } => {
                put_header(&mut f, op::SET_DATA);
                f.put_str(path);
                f.put_buffer(Some(data));
                f.put_i32(*version);
            }
            TxnOp::Check { path, version } => {
                put_header(&mut f, op::CHECK);
                f.put_str(path);
                f.put_i32(*version);
            }
        }
    }
    put_end(&mut f);
    proto::patch_length(&mut f);
    let paths = ops.iter().map(|o| o.path().to_string()).collect();
    Request { frame: f, action: Action::None, decoder: MultiDecode { paths } }
}

fn put_header(f: &mut Vec<u8>, opcode: i32) {
    f.put_i32(opcode);
    f.put_bool(false);
    f.put_i32(-1);
}

fn put_end(f: &mut Vec<u8>) {
    f.put_i32(-1);
    f.put_bool(true);
    f.put_i32(-1);
}

pub(crate) struct MultiDecode {
    paths: Vec<String>,
}

impl Decode for MultiDecode {
    type Output = Vec<OpResult>;
    fn decode(self, reply: Reply, chroot: &Chroot) -> Result<Vec<OpResult>> {
        if reply.body.is_empty() {
            if reply.err != 0 {
                return Err(Error::from_server(reply.err, "multi"));
            }
            return Ok(Vec::new());
        }
        let mut r = Reader::new(&reply.body);
        let mut out = Vec::with_capacity(self.paths.len());
        loop {
            let (t, done, err) = (r.i32()?, r.bool()?, r.i32()?);
            if done {
                break;
            }
            let path = self.paths.get(out.len()).map(String::as_str).unwrap_or("");
            out.push(match t {
                op::CREATE => OpResult::Created { path: chroot.to_user(&r.string()?), stat: None },
                op::CREATE2 | op::CREATE_TTL | op::CREATE_CONTAINER => {
                    let p = r.string()?;
                    OpResult::Created { path: chroot.to_user(&p), stat: Some(read_stat(&mut r)?) }
                }
                op::DELETE => OpResult::Deleted,
                op::SET_DATA => OpResult::DataSet { stat: read_stat(&mut r)? },
                op::CHECK => OpResult::Checked,
                op::ERROR => {
                    let code = r.i32()?;
                    if code == codes::OK || code == codes::RUNTIME_INCONSISTENCY {
                        OpResult::RolledBack
                    } else {
                        OpResult::Failed(Error::from_server(code, chroot.strip(path)))
                    }
                }
                other => return Err(Error::Marshalling(format!("unknown multi result type {other} (err {err})"))),
            });
        }
        Ok(out)
    }
}

/// A transaction being built. Ops are validated as they are added; the first problem is reported by
/// `commit`.
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    pub(crate) ops: Vec<TxnOp>,
    pub(crate) error: Option<Error>,
    pub(crate) chroot: Chroot,
    pub(crate) default_acl: Vec<Acl>,
    pub(crate) max_data: usize,
}

impl Transaction {
    fn prepare(&mut self, path: &str, sequential: bool) -> Option<String> {
        if self.error.is_some() {
            return None;
        }
        match crate::path::validate_path(path, sequential) {
            Ok(()) => Some(self.chroot.to_server(path)),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn check_data(&mut self, data: &[u8]) -> bool {
        if data.len() > self.max_data {
            self.error.get_or_insert(Error::DataTooLarge { len: data.len(), max: self.max_data });
            return false;
        }
        true
    }

    /// Adds a create. `opts.makepath` is not supported inside a transaction and is an error.
    pub fn create(&mut self, path: &str, data: &[u8], opts: &CreateOptions) -> &mut Self {
        if opts.makepath {
            self.error.get_or_insert(Error::BadArguments("makepath is not available inside a transaction".into()));
        }
        let ttl = match check_ttl(opts.mode, opts.ttl_ms) {
            Ok(t) => t,
            Err(e) => {
                self.error.get_or_insert(e);
                return self;
            }
        };
        if let Some(p) = self.prepare(path, opts.mode.is_sequential()) {
            if self.check_data(data) {
                let acl = opts.acl.clone().unwrap_or_else(|| self.default_acl.clone());
                self.ops.push(TxnOp::Create { path: p, data: data.to_vec(), acl, mode: opts.mode, ttl_ms: ttl });
            }
        }
        self
    }

    /// Adds a delete of `path` if its version is `version` (-1: any).
    pub fn delete(&mut self, path: &str, version: i32) -> &mut Self {
        if let Some(p) = self.prepare(path, false) {
            self.ops.push(TxnOp::Delete { path: p, version });
        }
        self
    }

    /// Adds a set-data of `path` if its version is `version` (-1: any).
    pub fn set_data(&mut self, path: &str, data: &[u8], version: i32) -> &mut Self {
        if let Some(p) = self.prepare(path, false) {
            if self.check_data(data) {
                self.ops.push(TxnOp::SetData { path: p, data: data.to_vec(), version });
            }
        }
        self
    }

    /// Adds a version check: the transaction fails unless `path` has `version`.
    pub fn check(&mut self, path: &str, version: i32) -> &mut Self {
        if let Some(p) = self.prepare(path, false) {
            self.ops.push(TxnOp::Check { path: p, version });
        }
        self
    }

    /// How many ops were added.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no op was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// One read of a multi-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOp {
    /// The children of the path.
    GetChildren(String),
    /// The data and stat of the path.
    GetData(String),
}

/// The result of one read of a multi-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// The children.
    Children(Vec<String>),
    /// The data and stat.
    Data(Vec<u8>, Stat),
    /// This read failed (for example `NoNode`); the others still ran.
    Failed(Error),
}

pub(crate) fn multi_read(paths: Vec<(bool, String)>) -> Request<MultiReadDecode> {
    let mut f = proto::start_frame(0, op::MULTI_READ, 64 * paths.len());
    for (children, path) in &paths {
        put_header(&mut f, if *children { op::GET_CHILDREN } else { op::GET_DATA });
        f.put_str(path);
        f.put_bool(false);
    }
    put_end(&mut f);
    proto::patch_length(&mut f);
    Request {
        frame: f,
        action: Action::None,
        decoder: MultiReadDecode { paths: paths.into_iter().map(|(_, p)| p).collect() },
    }
}

pub(crate) struct MultiReadDecode {
    paths: Vec<String>,
}

impl Decode for MultiReadDecode {
    type Output = Vec<ReadResult>;
    fn decode(self, reply: Reply, chroot: &Chroot) -> Result<Vec<ReadResult>> {
        if reply.body.is_empty() && reply.err != 0 {
            return Err(Error::from_server(reply.err, "multi-read"));
        }
        let mut r = Reader::new(&reply.body);
        let mut out = Vec::with_capacity(self.paths.len());
        loop {
            let (t, done, _err) = (r.i32()?, r.bool()?, r.i32()?);
            if done {
                break;
            }
            let path = self.paths.get(out.len()).map(String::as_str).unwrap_or("");
            out.push(match t {
                op::GET_CHILDREN => ReadResult::Children(r.strings()?),
                op::GET_DATA => {
                    let data = r.bytes()?;
                    ReadResult::Data(data, read_stat(&mut r)?)
                }
                op::ERROR => ReadResult::Failed(Error::from_server(r.i32()?, chroot.strip(path))),
                other => return Err(Error::Marshalling(format!("unknown multi-read result type {other}"))),
            });
        }
        Ok(out)
    }
}
