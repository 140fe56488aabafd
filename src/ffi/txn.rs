//! Transactions (`zkrs_txn` and `zkrs_txn_results`) and multi-read (`zkrs_read_op`, `zkrs_read_results`):
//! several operations in one round trip, with a result per operation.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::future::{make_future, zkrs_future, Value};
use super::ops::{create_options, zkrs_create_options};
use super::stat::{write_stat, zkrs_stat};
use super::{
    bytes_arg, code_of, fail, fail_with, finish, out_arg, ref_arg, str_arg, to_cstring, zkrs_rc, UserData, EMPTY,
};
use crate::error::{codes, Error, Result};
use crate::stat::Stat;
use crate::txn::{OpResult, ReadOp, ReadResult, Transaction};
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::Arc;

/// Transaction op kind (`zkrs_txn_results_get`): a create.
pub const ZKRS_TXN_CREATE: i32 = 1;
/// Transaction op kind: a delete.
pub const ZKRS_TXN_DELETE: i32 = 2;
/// Transaction op kind: a set_data.
pub const ZKRS_TXN_SET_DATA: i32 = 3;
/// Transaction op kind: a version check.
pub const ZKRS_TXN_CHECK: i32 = 4;

/// A transaction being built: add operations with `zkrs_txn_check`, `zkrs_txn_create`,
/// `zkrs_txn_delete` and `zkrs_txn_set_data`, then commit it. ZooKeeper applies all of them or none.
/// Created by `zkrs_txn_new`, released by `zkrs_txn_free` (in any order with its client). A single-threaded
/// builder: not safe for concurrent use. Committing does not empty it: the same operations can be
/// committed again (e.g. by a retry).
pub struct zkrs_txn {
    client: Arc<Handle>,
    txn: Transaction,
    kinds: Vec<i32>,
}

/// What happened to each operation of a committed transaction: read with `zkrs_txn_results_len`,
/// `zkrs_txn_results_get` and `zkrs_txn_results_failed_index`. Owned by the caller when returned through
/// an out-parameter (release with `zkrs_txn_results_free`); borrowed when passed to a callback.
#[derive(Clone)]
pub struct zkrs_txn_results {
    ops: Vec<TxnOpOut>,
}

#[derive(Clone)]
struct TxnOpOut {
    kind: i32,
    rc: zkrs_rc,
    detail: CString,
    path: Option<CString>,
    stat: Option<Stat>,
}

impl zkrs_txn_results {
    fn new(kinds: &[i32], results: Vec<OpResult>) -> zkrs_txn_results {
        let ops = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let kind = kinds.get(i).copied().unwrap_or(0);
                let mut op = TxnOpOut { kind, rc: codes::OK, detail: CString::default(), path: None, stat: None };
                match r {
                    OpResult::Created { path, stat } => {
                        op.path = Some(to_cstring(&path));
                        op.stat = stat;
                    }
                    OpResult::DataSet { stat } => op.stat = Some(stat),
                    OpResult::Deleted | OpResult::Checked => {}
                    OpResult::Failed(e) => {
                        op.rc = e.code();
                        op.detail = to_cstring(&e.to_string());
                    }
                    OpResult::RolledBack => {
                        // The ZooKeeper C client's code for "fine, but rolled back".
                        op.rc = codes::RUNTIME_INCONSISTENCY;
                        op.detail = to_cstring("rolled back: another operation of the transaction failed");
                    }
                }
                op
            })
            .collect();
        zkrs_txn_results { ops }
    }

    /// The op that made the transaction fail, if any.
    fn failure(&self) -> Option<(usize, &TxnOpOut)> {
        self.ops.iter().enumerate().find(|(_, o)| o.rc != codes::OK && o.rc != codes::RUNTIME_INCONSISTENCY)
    }

    /// The code of the whole transaction (the failed op's, recorded as the last error) .
    pub(crate) fn rc(&self) -> zkrs_rc {
        match self.failure() {
            Some((i, op)) => fail(op.rc, &format!("transaction op {i} failed: {}", op.detail.to_string_lossy())),
            None => codes::OK,
        }
    }

    fn detail(&self) -> CString {
        match self.failure() {
            Some((i, op)) => to_cstring(&format!("transaction op {i} failed: {}", op.detail.to_string_lossy())),
            None => CString::default(),
        }
    }
}

/// Starts an empty transaction on client `c` in `*out` (release it with `zkrs_txn_free`). Paths are
/// relative to the client's chroot; creates without an ACL use the client's default ACL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_new(c: *mut zkrs_client, out: *mut *mut zkrs_txn) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(out, "out"));
        let txn = c.client.transaction();
        *out = Box::into_raw(Box::new(zkrs_txn { client: c.share(), txn, kinds: Vec::new() }));
        codes::OK
    }
}

unsafe fn txn_arg<'a>(t: *mut zkrs_txn) -> std::result::Result<&'a mut zkrs_txn, zkrs_rc> {
    t.as_mut().ok_or_else(|| fail(codes::NULL_ARGUMENT, "argument `txn` is NULL"))
}

impl zkrs_txn {
    /// Records an op the core just added, or returns the problem with it (the op was not added and
    /// the transaction stays usable).
    fn added(&mut self, kind: i32) -> zkrs_rc {
        match self.txn.error.take() {
            Some(e) => fail_with(&e),
            None => {
                self.kinds.push(kind);
                codes::OK
            }
        }
    }
}

/// Adds a create of `path` with `len` bytes of `data` and `opts` (NULL: persistent, default ACL; every
/// mode is allowed, `makepath` is not). A bad path, mode, TTL or size is reported here
/// (`ZKRS_RC_INVALID_PATH`, `ZKRS_RC_BAD_ARGUMENTS`, `ZKRS_RC_DATA_TOO_LARGE`) and the op is not added.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_create(
    txn: *mut zkrs_txn,
    path: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const zkrs_create_options,
) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(txn_arg(txn));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        let opts = try_arg!(create_options(opts));
        t.txn.create(path, data, &opts);
        t.added(ZKRS_TXN_CREATE)
    }
}

/// Adds a delete of `path` if its version is `version` (-1: any).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_delete(txn: *mut zkrs_txn, path: *const c_char, version: i32) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(txn_arg(txn));
        let path = try_arg!(str_arg(path, "path"));
        t.txn.delete(path, version);
        t.added(ZKRS_TXN_DELETE)
    }
}

/// Adds a set_data of `path` if its version is `version` (-1: any).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_set_data(
    txn: *mut zkrs_txn,
    path: *const c_char,
    data: *const u8,
    len: usize,
    version: i32,
) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(txn_arg(txn));
        let path = try_arg!(str_arg(path, "path"));
        let data = try_arg!(bytes_arg(data, len, "data"));
        t.txn.set_data(path, data, version);
        t.added(ZKRS_TXN_SET_DATA)
    }
}

/// Adds a check: the transaction fails unless `path` exists with version `version` (-1: any version).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_check(txn: *mut zkrs_txn, path: *const c_char, version: i32) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(txn_arg(txn));
        let path = try_arg!(str_arg(path, "path"));
        t.txn.check(path, version);
        t.added(ZKRS_TXN_CHECK)
    }
}

/// The number of operations added (0 if `txn` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_len(txn: *const zkrs_txn) -> usize {
    ffi_guard! { txn.as_ref().map_or(0, |t| t.kinds.len()) }
}

/// The committing client, or `FORKED` / `CLOSED`.
unsafe fn committable<'a>(txn: *mut zkrs_txn) -> std::result::Result<&'a zkrs_txn, zkrs_rc> {
    let t = ref_arg(txn as *const zkrs_txn, "txn")?;
    t.client.usable()?;
    Ok(t)
}

/// Commits the transaction: all its operations are applied, or none.
///
/// Returns `ZKRS_RC_OK` when all were applied. When the server refused the transaction, returns the
/// code of the operation that failed (e.g. `ZKRS_RC_NODE_EXISTS`) — and, unlike other functions, still
/// writes `*results_out`, which says which op failed (`zkrs_txn_results_failed_index`); the other ops
/// show `ZKRS_RC_RUNTIME_INCONSISTENCY` (rolled back). Other errors (`ZKRS_RC_CONNECTION_LOSS`,
/// `ZKRS_RC_CLOSED`, ...) leave `*results_out` unwritten. `results_out` may be NULL; the caller releases
/// the results with `zkrs_txn_results_free`. An empty transaction succeeds without a round trip.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_commit(txn: *mut zkrs_txn, results_out: *mut *mut zkrs_txn_results) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(committable(txn));
        match t.client.client.commit(t.txn.clone()) {
            Ok(results) => {
                let results = zkrs_txn_results::new(&t.kinds, results);
                let rc = results.rc();
                if !results_out.is_null() {
                    *results_out = Box::into_raw(Box::new(results));
                }
                rc
            }
            Err(e) => fail_with(&e),
        }
    }
}

/// Completion of `zkrs_txn_commit_async`: `rc` as `zkrs_txn_commit` returns it; `results` is non-NULL
/// whenever the server answered (also when the transaction failed), NULL otherwise. Borrowed: valid
/// only during the call; do not free it.
pub type zkrs_txn_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char, results: *const zkrs_txn_results),
>;

/// Async `zkrs_txn_commit`: returns at once; if it returned `ZKRS_RC_OK`, `cb` runs exactly once
/// (also with `ZKRS_RC_CLOSING` on close), on the client's event thread (or inside
/// `zkrs_client_dispatch`). The operations are copied: the transaction may be freed or changed right
/// after this returns.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_commit_async(txn: *mut zkrs_txn, cb: zkrs_txn_fn, userdata: *mut c_void) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(committable(txn));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        let kinds = t.kinds.clone();
        let r = t.client.client.commit_async(t.txn.clone(), move |r| {
            let ud = ud;
            match r {
                Ok(results) => {
                    let results = zkrs_txn_results::new(&kinds, results);
                    let rc = results.failure().map_or(codes::OK, |(_, op)| op.rc);
                    cb(ud.0, rc, results.detail().as_ptr(), &results)
                }
                Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr(), ptr::null()),
            }
        });
        code_of(r)
    }
}

/// `zkrs_txn_commit_async` returning a future in `*out`; read it with `zkrs_future_get_txn`.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_commit_future(txn: *mut zkrs_txn, out: *mut *mut zkrs_future) -> zkrs_rc {
    ffi_guard! {
        let t = try_arg!(committable(txn));
        let out = try_arg!(out_arg(out, "out"));
        let kinds = t.kinds.clone();
        make_future(t.client.clone(), out, |done| {
            t.client.client.commit_async(t.txn.clone(), move |r| {
                done(r.map(|results| Value::Txn(zkrs_txn_results::new(&kinds, results))))
            })
        })
    }
}

/// Releases a transaction. NULL does nothing. Commits in flight are not affected.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_free(txn: *mut zkrs_txn) {
    ffi_guard! {
        if !txn.is_null() {
            drop(Box::from_raw(txn));
        }
    }
}

/// The number of per-op results (0 if `r` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_results_len(r: *const zkrs_txn_results) -> usize {
    ffi_guard! { r.as_ref().map_or(0, |r| r.ops.len()) }
}

/// The index of the operation that made the transaction fail, or -1 if it was applied (or `r` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_results_failed_index(r: *const zkrs_txn_results) -> isize {
    ffi_guard! {
        match r.as_ref().and_then(|r| r.failure()) {
            Some((i, _)) => i as isize,
            None => -1,
        }
    }
}

/// The result of operation `i`, in the optional out-parameters: `*kind_out` (`ZKRS_TXN_*`),
/// `*rc_out` (`ZKRS_RC_OK`; the failure's code for the failed op; `ZKRS_RC_RUNTIME_INCONSISTENCY` for
/// ops rolled back because another failed), `*path_out` (for an applied create: the created path, with
/// the sequence number, relative to the chroot; NULL otherwise; borrowed from `r`), `*stat_out` (for an
/// applied create or set_data: the node's stat; all zeros otherwise). Returns `ZKRS_RC_BAD_ARGUMENTS`
/// if `i` is out of range.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_results_get(
    r: *const zkrs_txn_results,
    i: usize,
    kind_out: *mut i32,
    rc_out: *mut zkrs_rc,
    path_out: *mut *const c_char,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let r = try_arg!(ref_arg(r, "r"));
        let Some(op) = r.ops.get(i) else {
            return fail_with(&Error::BadArguments(format!("index {i} out of range (length {})", r.ops.len())));
        };
        if !kind_out.is_null() {
            *kind_out = op.kind;
        }
        if !rc_out.is_null() {
            *rc_out = op.rc;
        }
        if !path_out.is_null() {
            *path_out = op.path.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        }
        write_stat(stat_out, &op.stat.unwrap_or_default());
        codes::OK
    }
}

/// Releases results the caller owns. NULL does nothing. Never call it on results passed to a callback.
#[no_mangle]
pub unsafe extern "C" fn zkrs_txn_results_free(r: *mut zkrs_txn_results) {
    ffi_guard! {
        if !r.is_null() {
            drop(Box::from_raw(r));
        }
    }
}

// ---- multi-read --------------------------------------------------------------------------------

/// Multi-read kind: the node's data and stat.
pub const ZKRS_READ_GET_DATA: i32 = 1;
/// Multi-read kind: the node's children.
pub const ZKRS_READ_GET_CHILDREN: i32 = 2;

/// One read of `zkrs_client_multi_read`: `kind` (`ZKRS_READ_*`) and `path`. Read during the call only.
#[repr(C)]
pub struct zkrs_read_op {
    /// `ZKRS_READ_GET_DATA` or `ZKRS_READ_GET_CHILDREN`.
    pub kind: i32,
    /// The node, NUL-terminated UTF-8, relative to the chroot.
    pub path: *const c_char,
}

/// The results of a multi-read, one per read in order: `zkrs_read_results_len`,
/// `zkrs_read_results_get_data`, `zkrs_read_results_get_children`. Owned by the caller when returned
/// through an out-parameter (release with `zkrs_read_results_free`); borrowed in a callback.
#[derive(Clone)]
pub struct zkrs_read_results {
    reads: Vec<ReadOut>,
}

#[derive(Clone)]
enum ReadOut {
    Data(Vec<u8>, Stat),
    Children(Arc<zkrs_string_list>),
    Failed(zkrs_rc, String),
}

impl zkrs_read_results {
    fn new(results: Vec<ReadResult>) -> Result<zkrs_read_results> {
        let mut reads = Vec::with_capacity(results.len());
        for r in results {
            reads.push(match r {
                ReadResult::Data(d, s) => ReadOut::Data(d, s),
                ReadResult::Children(names) => ReadOut::Children(Arc::new(
                    zkrs_string_list::new(names)
                        .map_err(|_| Error::Marshalling("a child name contains a NUL byte".into()))?,
                )),
                ReadResult::Failed(e) => ReadOut::Failed(e.code(), e.to_string()),
            });
        }
        Ok(zkrs_read_results { reads })
    }
}

unsafe fn read_ops(ops: *const zkrs_read_op, n: usize) -> std::result::Result<Vec<ReadOp>, zkrs_rc> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if ops.is_null() {
        return Err(fail(codes::NULL_ARGUMENT, &format!("argument `ops` is NULL but `n` is {n}")));
    }
    let mut out = Vec::with_capacity(n);
    for (i, op) in std::slice::from_raw_parts(ops, n).iter().enumerate() {
        let path = str_arg(op.path, &format!("ops[{i}].path"))?.to_string();
        out.push(match op.kind {
            ZKRS_READ_GET_DATA => ReadOp::GetData(path),
            ZKRS_READ_GET_CHILDREN => ReadOp::GetChildren(path),
            k => return Err(fail_with(&Error::BadArguments(format!("ops[{i}].kind {k} is not a ZKRS_READ_* kind")))),
        });
    }
    Ok(out)
}

/// Runs the `n` reads of `ops` in one round trip (ZooKeeper 3.6+); each has its own result, so a missing
/// node fails only its read. A new `*results_out` holds them (release with `zkrs_read_results_free`).
/// `ops` may be NULL when `n` is 0. A bad path fails the whole call (`ZKRS_RC_INVALID_PATH`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_multi_read(
    c: *mut zkrs_client,
    ops: *const zkrs_read_op,
    n: usize,
    results_out: *mut *mut zkrs_read_results,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let reads = try_arg!(read_ops(ops, n));
        let out = try_arg!(out_arg(results_out, "results_out"));
        finish(c.client.multi_read(&reads).and_then(zkrs_read_results::new), |r| {
            *out = Box::into_raw(Box::new(r));
        })
    }
}

/// Completion of `zkrs_client_multi_read_async`: the results (NULL on failure), borrowed: valid only
/// during the call; do not free them.
pub type zkrs_read_results_fn = Option<
    unsafe extern "C" fn(userdata: *mut c_void, rc: zkrs_rc, detail: *const c_char, results: *const zkrs_read_results),
>;

/// Async `zkrs_client_multi_read`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs. `ops` is copied.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_multi_read_async(
    c: *mut zkrs_client,
    ops: *const zkrs_read_op,
    n: usize,
    cb: zkrs_read_results_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let reads = try_arg!(read_ops(ops, n));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        let r = c.client.multi_read_async(&reads, move |r| {
            let ud = ud;
            match r.and_then(zkrs_read_results::new) {
                Ok(results) => cb(ud.0, codes::OK, EMPTY.as_ptr(), &results),
                Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr(), ptr::null()),
            }
        });
        code_of(r)
    }
}

/// `zkrs_client_multi_read_async` returning a future in `*out`; read it with
/// `zkrs_future_get_read_results`.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_multi_read_future(
    c: *mut zkrs_client,
    ops: *const zkrs_read_op,
    n: usize,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let reads = try_arg!(read_ops(ops, n));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.multi_read_async(&reads, move |r| done(r.and_then(zkrs_read_results::new).map(Value::Reads)))
        })
    }
}

/// The number of results (0 if `r` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_read_results_len(r: *const zkrs_read_results) -> usize {
    ffi_guard! { r.as_ref().map_or(0, |r| r.reads.len()) }
}

/// Picks read `i`: its value, or its own error code (recorded as the last error).
unsafe fn read_at<'a>(r: *const zkrs_read_results, i: usize) -> std::result::Result<&'a ReadOut, zkrs_rc> {
    let r = ref_arg(r, "r")?;
    match r.reads.get(i) {
        None => Err(fail_with(&Error::BadArguments(format!("index {i} out of range (length {})", r.reads.len())))),
        Some(ReadOut::Failed(rc, detail)) => Err(fail(*rc, detail)),
        Some(read) => Ok(read),
    }
}

/// The result of read `i`, a `ZKRS_READ_GET_DATA`: `*data_out` and `*len_out` (borrowed from `r`;
/// `*data_out` is never NULL) and, if `stat_out` is not NULL, the stat. Returns the read's own code
/// (e.g. `ZKRS_RC_NO_NODE`, then nothing is written); `ZKRS_RC_BAD_ARGUMENTS` if `i` is out of range or
/// read `i` was a `ZKRS_READ_GET_CHILDREN`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_read_results_get_data(
    r: *const zkrs_read_results,
    i: usize,
    data_out: *mut *const u8,
    len_out: *mut usize,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        let len_out = try_arg!(out_arg(len_out, "len_out"));
        match try_arg!(read_at(r, i)) {
            ReadOut::Data(d, s) => {
                *data_out = if d.is_empty() { EMPTY.as_ptr().cast() } else { d.as_ptr() };
                *len_out = d.len();
                write_stat(stat_out, s);
                codes::OK
            }
            _ => fail_with(&Error::BadArguments(format!("read {i} is a get_children, not a get_data"))),
        }
    }
}

/// The result of read `i`, a `ZKRS_READ_GET_CHILDREN`: the names in `*children_out`, borrowed from `r`
/// (do not free them). Returns the read's own code; `ZKRS_RC_BAD_ARGUMENTS` if `i` is out of range or
/// read `i` was a `ZKRS_READ_GET_DATA`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_read_results_get_children(
    r: *const zkrs_read_results,
    i: usize,
    children_out: *mut *const zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let children_out = try_arg!(out_arg(children_out, "children_out"));
        match try_arg!(read_at(r, i)) {
            ReadOut::Children(l) => {
                *children_out = Arc::as_ptr(l);
                codes::OK
            }
            _ => fail_with(&Error::BadArguments(format!("read {i} is a get_data, not a get_children"))),
        }
    }
}

/// Releases results the caller owns. NULL does nothing. Never call it on results passed to a callback.
#[no_mangle]
pub unsafe extern "C" fn zkrs_read_results_free(r: *mut zkrs_read_results) {
    ffi_guard! {
        if !r.is_null() {
            drop(Box::from_raw(r));
        }
    }
}
