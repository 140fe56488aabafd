package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
*/
import "C"

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"
	"unsafe"
)

// Stat is a node's metadata.
type Stat struct {
	Czxid          int64 // zxid of the change that created the node
	Mzxid          int64 // zxid of the last change of its data
	Ctime          int64 // creation time, ms since the epoch
	Mtime          int64 // last modification time, ms since the epoch
	Version        int32 // number of changes to the data
	Cversion       int32 // number of changes to the children
	Aversion       int32 // number of changes to the ACL
	EphemeralOwner int64 // session id of the owner of an ephemeral node, else 0
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last change of the children
}

func goStat(s *C.zkrs_stat) *Stat {
	if s == nil {
		return nil
	}
	return &Stat{
		Czxid: int64(s.czxid), Mzxid: int64(s.mzxid), Ctime: int64(s.ctime), Mtime: int64(s.mtime),
		Version: int32(s.version), Cversion: int32(s.cversion), Aversion: int32(s.aversion),
		EphemeralOwner: int64(s.ephemeral_owner), DataLength: int32(s.data_length),
		NumChildren: int32(s.num_children), Pzxid: int64(s.pzxid),
	}
}

// AnyVersion makes Set, Delete, SetACL and Txn.Check accept any version.
const AnyVersion int32 = -1

// CreateMode is how a node is created.
type CreateMode int32

// The create modes.
const (
	Persistent                  CreateMode = C.ZKRS_CREATE_PERSISTENT
	Ephemeral                   CreateMode = C.ZKRS_CREATE_EPHEMERAL
	PersistentSequential        CreateMode = C.ZKRS_CREATE_PERSISTENT_SEQUENTIAL
	EphemeralSequential         CreateMode = C.ZKRS_CREATE_EPHEMERAL_SEQUENTIAL
	Container                   CreateMode = C.ZKRS_CREATE_CONTAINER
	PersistentWithTTL           CreateMode = C.ZKRS_CREATE_PERSISTENT_WITH_TTL
	PersistentSequentialWithTTL CreateMode = C.ZKRS_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL
)

// CreateOptions are the options of Create and Txn.Create; nil means a persistent node with the
// client's default ACL.
type CreateOptions struct {
	Mode     CreateMode
	TTL      time.Duration // for the TTL modes only
	ACL      []ACL         // nil: the client's default ACL
	MakePath bool          // create missing parents first (not in a transaction)
}

// Permissions of an ACL entry.
const (
	PermRead   int32 = C.ZKRS_PERM_READ
	PermWrite  int32 = C.ZKRS_PERM_WRITE
	PermCreate int32 = C.ZKRS_PERM_CREATE
	PermDelete int32 = C.ZKRS_PERM_DELETE
	PermAdmin  int32 = C.ZKRS_PERM_ADMIN
	PermAll    int32 = C.ZKRS_PERM_ALL
)

// ACL is one access control entry: permissions for an identity of a scheme ("world"/"anyone",
// "digest"/"user:hash", "ip"/"127.0.0.1", "auth"/"").
type ACL struct {
	Perms  int32
	Scheme string
	ID     string
}

// OpenACLUnsafe gives everyone every permission.
func OpenACLUnsafe() []ACL { return []ACL{{PermAll, "world", "anyone"}} }

// ReadACLUnsafe lets everyone read.
func ReadACLUnsafe() []ACL { return []ACL{{PermRead, "world", "anyone"}} }

// CreatorAllACL gives every permission to the identities the creating session authenticated as.
func CreatorAllACL() []ACL { return []ACL{{PermAll, "auth", ""}} }

// DigestACL is an entry for the digest scheme's user with this password (ZooKeeper stores
// user:base64(sha1(user:password))).
func DigestACL(perms int32, user, password string) ACL {
	sum := sha1.Sum([]byte(user + ":" + password))
	return ACL{perms, "digest", user + ":" + base64.StdEncoding.EncodeToString(sum[:])}
}

// cACLList builds a zkrs_acl_list (C memory; release with C.zkrs_acl_list_free).
func cACLList(op, path string, acl []ACL) (*C.zkrs_acl_list, error) {
	var l *C.zkrs_acl_list
	if err := callC(op, path, func() C.zkrs_rc { return C.zkrs_acl_list_new(&l) }); err != nil {
		return nil, err
	}
	for _, a := range acl {
		scheme, id := C.CString(a.Scheme), C.CString(a.ID)
		err := callC(op, path, func() C.zkrs_rc { return C.zkrs_acl_list_add(l, C.int32_t(a.Perms), scheme, id) })
		C.free(unsafe.Pointer(scheme))
		C.free(unsafe.Pointer(id))
		if err != nil {
			C.zkrs_acl_list_free(l)
			return nil, err
		}
	}
	return l, nil
}

func goACLList(l *C.zkrs_acl_list) []ACL {
	n := int(C.zkrs_acl_list_len(l))
	out := make([]ACL, 0, n)
	for i := 0; i < n; i++ {
		var perms C.int32_t
		var scheme, id *C.char
		if C.zkrs_acl_list_get(l, C.size_t(i), &perms, &scheme, &id) == C.ZKRS_RC_OK {
			out = append(out, ACL{int32(perms), C.GoString(scheme), C.GoString(id)})
		}
	}
	return out
}

func goStrings(l *C.zkrs_string_list) []string {
	n := int(C.zkrs_string_list_len(l))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, C.GoString(C.zkrs_string_list_get(l, C.size_t(i))))
	}
	return out
}

// ClientInfo is one identity the server knows the session by (WhoAmI).
type ClientInfo struct {
	Scheme string
	User   string
}

// EventType is the kind of a watch event.
type EventType int32

// The watch events. The last four are terminal: the watch ends with them.
const (
	EventNodeCreated            EventType = C.ZKRS_EVENT_NODE_CREATED
	EventNodeDeleted            EventType = C.ZKRS_EVENT_NODE_DELETED
	EventNodeDataChanged        EventType = C.ZKRS_EVENT_NODE_DATA_CHANGED
	EventNodeChildrenChanged    EventType = C.ZKRS_EVENT_NODE_CHILDREN_CHANGED
	EventDataWatchRemoved       EventType = C.ZKRS_EVENT_DATA_WATCH_REMOVED
	EventChildWatchRemoved      EventType = C.ZKRS_EVENT_CHILD_WATCH_REMOVED
	EventPersistentWatchRemoved EventType = C.ZKRS_EVENT_PERSISTENT_WATCH_REMOVED
	EventSessionExpired         EventType = C.ZKRS_EVENT_SESSION_EXPIRED
	EventClientClosed           EventType = C.ZKRS_EVENT_CLIENT_CLOSED
)

var eventNames = map[EventType]string{
	EventNodeCreated: "NODE_CREATED", EventNodeDeleted: "NODE_DELETED",
	EventNodeDataChanged: "NODE_DATA_CHANGED", EventNodeChildrenChanged: "NODE_CHILDREN_CHANGED",
	EventDataWatchRemoved: "DATA_WATCH_REMOVED", EventChildWatchRemoved: "CHILD_WATCH_REMOVED",
	EventPersistentWatchRemoved: "PERSISTENT_WATCH_REMOVED", EventSessionExpired: "SESSION_EXPIRED",
	EventClientClosed: "CLIENT_CLOSED",
}

func (t EventType) String() string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return "EVENT(" + itoa(int(t)) + ")"
}

// Event is what a watch reports.
type Event struct {
	Type  EventType
	State State  // the state the event implies (Connected for events from the server)
	Path  string // relative to the client's chroot
}

// Terminal tells whether the watch ended with this event (removed, session expired, client closed).
func (e Event) Terminal() bool {
	switch e.Type {
	case EventDataWatchRemoved, EventChildWatchRemoved, EventPersistentWatchRemoved, EventSessionExpired, EventClientClosed:
		return true
	}
	return false
}

// State is the server-level state of a client.
type State int32

// The states.
const (
	StateConnecting        State = C.ZKRS_STATE_CONNECTING
	StateConnected         State = C.ZKRS_STATE_CONNECTED
	StateConnectedReadOnly State = C.ZKRS_STATE_CONNECTED_READ_ONLY
	StateAuthFailed        State = C.ZKRS_STATE_AUTH_FAILED
	StateExpired           State = C.ZKRS_STATE_EXPIRED
	StateClosed            State = C.ZKRS_STATE_CLOSED
)

var stateNames = map[State]string{
	StateConnecting: "CONNECTING", StateConnected: "CONNECTED", StateConnectedReadOnly: "CONNECTED_READ_ONLY",
	StateAuthFailed: "AUTH_FAILED", StateExpired: "EXPIRED", StateClosed: "CLOSED",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "STATE(" + itoa(int(s)) + ")"
}

// KazooState is kazoo's coarser view of the connection.
type KazooState int32

// kazoo's states.
const (
	KazooLost      KazooState = C.ZKRS_KAZOO_STATE_LOST
	KazooSuspended KazooState = C.ZKRS_KAZOO_STATE_SUSPENDED
	KazooConnected KazooState = C.ZKRS_KAZOO_STATE_CONNECTED
)

func (s KazooState) String() string {
	switch s {
	case KazooLost:
		return "LOST"
	case KazooSuspended:
		return "SUSPENDED"
	case KazooConnected:
		return "CONNECTED"
	}
	return "KAZOO_STATE(" + itoa(int(s)) + ")"
}

// StateEvent is a state change, as a state listener sees it.
type StateEvent struct {
	State      State
	Kazoo      KazooState
	KazooPrior KazooState // kazoo's state before; kazoo's own listeners only hear of changes of it
}

// WatcherKind selects watches for RemoveWatches and CheckWatches.
type WatcherKind int32

// The watcher kinds.
const (
	WatcherChildren            WatcherKind = C.ZKRS_WATCHER_CHILDREN
	WatcherData                WatcherKind = C.ZKRS_WATCHER_DATA
	WatcherAny                 WatcherKind = C.ZKRS_WATCHER_ANY
	WatcherPersistent          WatcherKind = C.ZKRS_WATCHER_PERSISTENT
	WatcherPersistentRecursive WatcherKind = C.ZKRS_WATCHER_PERSISTENT_RECURSIVE
)

// AddWatchMode is the mode of a persistent watch.
type AddWatchMode int32

// The persistent watch modes.
const (
	// WatchPersistent reports the node's creation, deletion, data and children changes.
	WatchPersistent AddWatchMode = C.ZKRS_ADD_WATCH_PERSISTENT
	// WatchPersistentRecursive reports those of the node and every node below it (no children changes).
	WatchPersistentRecursive AddWatchMode = C.ZKRS_ADD_WATCH_PERSISTENT_RECURSIVE
)

func itoa(i int) string { return strconv.Itoa(i) }
