package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Code is a zkrs_rc: 0 for success, or one of the negative ZKRS_RC_* numbers of include/zkrs.h. Every
// Code other than 0 is an error, so the constants below serve as sentinels:
//
//	if errors.Is(err, zkrs.ErrNoNode) { ... }
type Code int32

// The codes of include/zkrs.h (server and protocol codes keep the ZooKeeper C client's numbers;
// zkrs's own are -1000 and below).
const (
	ErrSystemError                  Code = C.ZKRS_RC_SYSTEM_ERROR
	ErrRuntimeInconsistency         Code = C.ZKRS_RC_RUNTIME_INCONSISTENCY
	ErrDataInconsistency            Code = C.ZKRS_RC_DATA_INCONSISTENCY
	ErrConnectionLoss               Code = C.ZKRS_RC_CONNECTION_LOSS
	ErrMarshallingError             Code = C.ZKRS_RC_MARSHALLING_ERROR
	ErrUnimplemented                Code = C.ZKRS_RC_UNIMPLEMENTED
	ErrOperationTimeout             Code = C.ZKRS_RC_OPERATION_TIMEOUT
	ErrBadArguments                 Code = C.ZKRS_RC_BAD_ARGUMENTS
	ErrInvalidState                 Code = C.ZKRS_RC_INVALID_STATE
	ErrUnknownSession               Code = C.ZKRS_RC_UNKNOWN_SESSION
	ErrNewConfigNoQuorum            Code = C.ZKRS_RC_NEW_CONFIG_NO_QUORUM
	ErrReconfigInProgress           Code = C.ZKRS_RC_RECONFIG_IN_PROGRESS
	ErrSSLConnectionError           Code = C.ZKRS_RC_SSL_CONNECTION_ERROR
	ErrAPIError                     Code = C.ZKRS_RC_API_ERROR
	ErrNoNode                       Code = C.ZKRS_RC_NO_NODE
	ErrNoAuth                       Code = C.ZKRS_RC_NO_AUTH
	ErrBadVersion                   Code = C.ZKRS_RC_BAD_VERSION
	ErrNoChildrenForEphemerals      Code = C.ZKRS_RC_NO_CHILDREN_FOR_EPHEMERALS
	ErrNodeExists                   Code = C.ZKRS_RC_NODE_EXISTS
	ErrNotEmpty                     Code = C.ZKRS_RC_NOT_EMPTY
	ErrSessionExpired               Code = C.ZKRS_RC_SESSION_EXPIRED
	ErrInvalidCallback              Code = C.ZKRS_RC_INVALID_CALLBACK
	ErrInvalidACL                   Code = C.ZKRS_RC_INVALID_ACL
	ErrAuthFailed                   Code = C.ZKRS_RC_AUTH_FAILED
	ErrClosing                      Code = C.ZKRS_RC_CLOSING
	ErrNothing                      Code = C.ZKRS_RC_NOTHING
	ErrSessionMoved                 Code = C.ZKRS_RC_SESSION_MOVED
	ErrNotReadOnly                  Code = C.ZKRS_RC_NOT_READ_ONLY
	ErrEphemeralOnLocalSession      Code = C.ZKRS_RC_EPHEMERAL_ON_LOCAL_SESSION
	ErrNoWatcher                    Code = C.ZKRS_RC_NO_WATCHER
	ErrRequestTimeout               Code = C.ZKRS_RC_REQUEST_TIMEOUT
	ErrReconfigDisabled             Code = C.ZKRS_RC_RECONFIG_DISABLED
	ErrSessionClosedRequireSASLAuth Code = C.ZKRS_RC_SESSION_CLOSED_REQUIRE_SASL_AUTH
	ErrQuotaExceeded                Code = C.ZKRS_RC_QUOTA_EXCEEDED
	ErrThrottledOp                  Code = C.ZKRS_RC_THROTTLED_OP
	ErrNullArgument                 Code = C.ZKRS_RC_NULL_ARGUMENT
	ErrInvalidPath                  Code = C.ZKRS_RC_INVALID_PATH
	ErrInvalidUTF8                  Code = C.ZKRS_RC_INVALID_UTF8
	ErrDataTooLarge                 Code = C.ZKRS_RC_DATA_TOO_LARGE
	ErrClosed                       Code = C.ZKRS_RC_CLOSED
	ErrTimeout                      Code = C.ZKRS_RC_TIMEOUT
	ErrWouldDeadlock                Code = C.ZKRS_RC_WOULD_DEADLOCK
	ErrPanic                        Code = C.ZKRS_RC_PANIC
	ErrUnknownConfigKey             Code = C.ZKRS_RC_UNKNOWN_CONFIG_KEY
	ErrInvalidConfigValue           Code = C.ZKRS_RC_INVALID_CONFIG_VALUE
	ErrQueueFull                    Code = C.ZKRS_RC_QUEUE_FULL
	ErrRetryFailed                  Code = C.ZKRS_RC_RETRY_FAILED
	ErrInterrupted                  Code = C.ZKRS_RC_INTERRUPTED
	ErrForceRetry                   Code = C.ZKRS_RC_FORCE_RETRY
	ErrForked                       Code = C.ZKRS_RC_FORKED
	ErrNotConnected                 Code = C.ZKRS_RC_NOT_CONNECTED
	ErrTLSConfig                    Code = C.ZKRS_RC_TLS_CONFIG
	ErrTLSCertificateRejected       Code = C.ZKRS_RC_TLS_CERTIFICATE_REJECTED
	ErrCancelled                    Code = C.ZKRS_RC_CANCELLED
)

// Name is the code's name without the ZKRS_RC_ prefix, e.g. "NO_NODE".
func (c Code) Name() string { return C.GoString(C.zkrs_rc_name(C.zkrs_rc(c))) }

// Error is the library's short description of the code, e.g. "no node".
func (c Code) Error() string { return C.GoString(C.zkrs_rc_message(C.zkrs_rc(c))) }

// Retriable tells whether an operation that failed with this code may succeed when simply tried again
// (connection loss, timeouts, ...).
func (c Code) Retriable() bool { return bool(C.zkrs_rc_is_retriable(C.zkrs_rc(c))) }

// Error is a failed call: which operation, on which path, its Code and the library's detail. It wraps
// its Code, so errors.Is(err, zkrs.ErrNoNode) and errors.As(err, &zkrsErr) both work.
type Error struct {
	Op     string // the operation, e.g. "create"
	Path   string // the node, when the operation has one
	Code   Code
	Detail string // zkrs's detail (path, server, reason); may be empty
}

func (e *Error) Error() string {
	s := "zkrs: " + e.Op
	if e.Path != "" {
		s += " " + e.Path
	}
	s += ": " + e.Code.Error()
	if e.Detail != "" && e.Detail != e.Code.Error() {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the Code.
func (e *Error) Unwrap() error { return e.Code }

// codeError turns a zkrs_rc with its detail into an error (nil for ZKRS_RC_OK).
func codeError(op, path string, rc C.zkrs_rc, detail string) error {
	if rc == C.ZKRS_RC_OK {
		return nil
	}
	return &Error{Op: op, Path: path, Code: Code(rc), Detail: detail}
}

// callC runs one C call that may fail and, if it did, reads zkrs_last_error_message() on the same OS
// thread (the message is per thread and the goroutine could otherwise move in between).
func callC(op, path string, call func() C.zkrs_rc) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := call()
	if rc == C.ZKRS_RC_OK {
		return nil
	}
	return codeError(op, path, rc, C.GoString(C.zkrs_last_error_message()))
}

// codeDesc is one row of the library's code table (zkrs_rc_table).
type codeDesc struct {
	Code    Code
	Name    string
	Message string
}

// codeTable is the library's table of every code it can return (used by the tests to check that each
// has a Go constant).
func codeTable() []codeDesc {
	var n C.size_t
	table := C.zkrs_rc_table(&n)
	rows := unsafe.Slice(table, int(n))
	out := make([]codeDesc, 0, n)
	for _, r := range rows {
		out = append(out, codeDesc{Code: Code(r.rc), Name: C.GoString(r.name), Message: C.GoString(r.message)})
	}
	return out
}

// goCodes lists the constants above by name, for the tests.
var goCodes = map[string]Code{
	"SYSTEM_ERROR":                     ErrSystemError,
	"RUNTIME_INCONSISTENCY":            ErrRuntimeInconsistency,
	"DATA_INCONSISTENCY":               ErrDataInconsistency,
	"CONNECTION_LOSS":                  ErrConnectionLoss,
	"MARSHALLING_ERROR":                ErrMarshallingError,
	"UNIMPLEMENTED":                    ErrUnimplemented,
	"OPERATION_TIMEOUT":                ErrOperationTimeout,
	"BAD_ARGUMENTS":                    ErrBadArguments,
	"INVALID_STATE":                    ErrInvalidState,
	"UNKNOWN_SESSION":                  ErrUnknownSession,
	"NEW_CONFIG_NO_QUORUM":             ErrNewConfigNoQuorum,
	"RECONFIG_IN_PROGRESS":             ErrReconfigInProgress,
	"SSL_CONNECTION_ERROR":             ErrSSLConnectionError,
	"API_ERROR":                        ErrAPIError,
	"NO_NODE":                          ErrNoNode,
	"NO_AUTH":                          ErrNoAuth,
	"BAD_VERSION":                      ErrBadVersion,
	"NO_CHILDREN_FOR_EPHEMERALS":       ErrNoChildrenForEphemerals,
	"NODE_EXISTS":                      ErrNodeExists,
	"NOT_EMPTY":                        ErrNotEmpty,
	"SESSION_EXPIRED":                  ErrSessionExpired,
	"INVALID_CALLBACK":                 ErrInvalidCallback,
	"INVALID_ACL":                      ErrInvalidACL,
	"AUTH_FAILED":                      ErrAuthFailed,
	"CLOSING":                          ErrClosing,
	"NOTHING":                          ErrNothing,
	"SESSION_MOVED":                    ErrSessionMoved,
	"NOT_READ_ONLY":                    ErrNotReadOnly,
	"EPHEMERAL_ON_LOCAL_SESSION":       ErrEphemeralOnLocalSession,
	"NO_WATCHER":                       ErrNoWatcher,
	"REQUEST_TIMEOUT":                  ErrRequestTimeout,
	"RECONFIG_DISABLED":                ErrReconfigDisabled,
	"SESSION_CLOSED_REQUIRE_SASL_AUTH": ErrSessionClosedRequireSASLAuth,
	"QUOTA_EXCEEDED":                   ErrQuotaExceeded,
	"THROTTLED_OP":                     ErrThrottledOp,
	"NULL_ARGUMENT":                    ErrNullArgument,
	"INVALID_PATH":                     ErrInvalidPath,
	"INVALID_UTF8":                     ErrInvalidUTF8,
	"DATA_TOO_LARGE":                   ErrDataTooLarge,
	"CLOSED":                           ErrClosed,
	"TIMEOUT":                          ErrTimeout,
	"WOULD_DEADLOCK":                   ErrWouldDeadlock,
	"PANIC":                            ErrPanic,
	"UNKNOWN_CONFIG_KEY":               ErrUnknownConfigKey,
	"INVALID_CONFIG_VALUE":             ErrInvalidConfigValue,
	"QUEUE_FULL":                       ErrQueueFull,
	"RETRY_FAILED":                     ErrRetryFailed,
	"INTERRUPTED":                      ErrInterrupted,
	"FORCE_RETRY":                      ErrForceRetry,
	"FORKED":                           ErrForked,
	"NOT_CONNECTED":                    ErrNotConnected,
	"TLS_CONFIG":                       ErrTLSConfig,
	"TLS_CERTIFICATE_REJECTED":         ErrTLSCertificateRejected,
	"CANCELLED":                        ErrCancelled,
}

// String is the code's name, e.g. "NO_NODE".
func (c Code) String() string { return fmt.Sprintf("%s(%d)", c.Name(), int32(c)) }
