package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"context"
	"strconv"
	"unsafe"
)

// TxnOpKind is the kind of one operation of a transaction.
type TxnOpKind int32

// The kinds of transaction operations.
const (
	TxnCreate TxnOpKind = C.ZKRS_TXN_CREATE
	TxnDelete TxnOpKind = C.ZKRS_TXN_DELETE
	TxnSet    TxnOpKind = C.ZKRS_TXN_SET_DATA
	TxnCheck  TxnOpKind = C.ZKRS_TXN_CHECK
)

type txnOp struct {
	kind    TxnOpKind
	path    string
	data    []byte
	version int32
	opts    *CreateOptions
}

// Txn is a transaction being built: ZooKeeper applies all its operations or none. Not safe for
// concurrent use while being built; Commit may be called again (e.g. to retry).
type Txn struct {
	c   *Client
	ops []txnOp
}

// Txn starts an empty transaction.
func (c *Client) Txn() *Txn { return &Txn{c: c} }

// Create adds a create (opts may be nil; MakePath is not allowed in a transaction).
func (t *Txn) Create(path string, data []byte, opts *CreateOptions) *Txn {
	t.ops = append(t.ops, txnOp{kind: TxnCreate, path: path, data: data, opts: opts})
	return t
}

// Delete adds a delete of path at version (AnyVersion: any).
func (t *Txn) Delete(path string, version int32) *Txn {
	t.ops = append(t.ops, txnOp{kind: TxnDelete, path: path, version: version})
	return t
}

// Set adds a set of path's data at version (AnyVersion: any).
func (t *Txn) Set(path string, data []byte, version int32) *Txn {
	t.ops = append(t.ops, txnOp{kind: TxnSet, path: path, data: data, version: version})
	return t
}

// Check adds a check that path exists at version (AnyVersion: any version).
func (t *Txn) Check(path string, version int32) *Txn {
	t.ops = append(t.ops, txnOp{kind: TxnCheck, path: path, version: version})
	return t
}

// TxnResult is what happened to one operation: Err is nil when it was applied, its own code for the
// one that failed, ErrRuntimeInconsistency for those rolled back. Path (the created path) and Stat are
// set for an applied create and set.
type TxnResult struct {
	Kind TxnOpKind
	Err  error
	Path string
	Stat *Stat
}

// TxnError is the failure of a transaction the server refused: Index is the failed operation; it
// wraps that operation's error, so errors.Is(err, zkrs.ErrNodeExists) works.
type TxnError struct {
	Index int
	Err   error
}

func (e *TxnError) Error() string {
	return e.Err.Error() + " (transaction op " + strconv.Itoa(e.Index) + ")"
}

// Unwrap returns the failed operation's error.
func (e *TxnError) Unwrap() error { return e.Err }

// Commit sends the transaction. When the server refused it, the results are returned too, with a
// *TxnError. An invalid operation (bad path, mode, size) is reported before anything is sent.
func (t *Txn) Commit(ctx context.Context) ([]TxnResult, error) {
	var txn *C.zkrs_txn
	if err := t.c.withClient("txn", "", func(p *C.zkrs_client) C.zkrs_rc { return C.zkrs_txn_new(p, &txn) }); err != nil {
		return nil, err
	}
	// A zkrs_txn does not depend on the client handle staying alive, so it needs no lock.
	defer C.zkrs_txn_free(txn)
	for _, op := range t.ops {
		if err := addTxnOp(txn, op); err != nil {
			return nil, err
		}
	}
	ch := make(chan reply, 1)
	h := newHandle(ch)
	// The operations are copied: the transaction may be freed while the commit is in flight.
	if err := callC("txn", "", func() C.zkrs_rc { return C.gozk_txn_commit(txn, C.uintptr_t(h)) }); err != nil {
		deleteHandle(h)
		return nil, err
	}
	r, err := await(ctx, "txn", "", ch)
	if err != nil && r.txn != nil && r.txnFailed >= 0 && r.txnFailed < len(t.ops) {
		idx := r.txnFailed
		return r.txn, &TxnError{Index: idx, Err: codeError("txn", t.ops[idx].path, r.rc, r.detail)}
	}
	return r.txn, err
}

// addTxnOp adds one op to a C transaction.
func addTxnOp(txn *C.zkrs_txn, op txnOp) error {
	cpath, err := cString("txn", op.path, op.path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	d, n := cBytes(op.data)
	switch op.kind {
	case TxnCreate:
		o, release, err := cCreateOptions("txn", op.path, op.opts)
		if err != nil {
			return err
		}
		defer release()
		return callC("txn create", op.path, func() C.zkrs_rc { return C.zkrs_txn_create(txn, cpath, d, n, o) })
	case TxnDelete:
		return callC("txn delete", op.path, func() C.zkrs_rc { return C.zkrs_txn_delete(txn, cpath, C.int32_t(op.version)) })
	case TxnSet:
		return callC("txn set", op.path, func() C.zkrs_rc { return C.zkrs_txn_set_data(txn, cpath, d, n, C.int32_t(op.version)) })
	default:
		return callC("txn check", op.path, func() C.zkrs_rc { return C.zkrs_txn_check(txn, cpath, C.int32_t(op.version)) })
	}
}

func goTxnResults(r *C.zkrs_txn_results) ([]TxnResult, int) {
	n := int(C.zkrs_txn_results_len(r))
	out := make([]TxnResult, 0, n)
	for i := 0; i < n; i++ {
		var kind C.int32_t
		var rc C.zkrs_rc
		var path *C.char
		var stat C.zkrs_stat
		if C.zkrs_txn_results_get(r, C.size_t(i), &kind, &rc, &path, &stat) != C.ZKRS_RC_OK {
			continue
		}
		res := TxnResult{Kind: TxnOpKind(kind), Err: codeError("txn", "", rc, "")}
		if rc == C.ZKRS_RC_OK && (res.Kind == TxnCreate || res.Kind == TxnSet) {
			res.Stat = goStat(&stat)
			if path != nil {
				res.Path = C.GoString(path)
			}
		}
		out = append(out, res)
	}
	return out, int(C.zkrs_txn_results_failed_index(r))
}
