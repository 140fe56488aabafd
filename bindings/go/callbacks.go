package zkrs

// The C-to-Go trampolines. Each userdata is a runtime/cgo.Handle: for a completion, the handle of a
// `chan reply` with room for one value, deleted by the completion (zkrs runs it exactly once); for a
// long-lived registration (a watch, a state listener), the handle of an eventSink, deleted by
// gozkRelease, which zkrs calls exactly once after the last event. They run on the client's zkrs event
// thread and never block it: a completion is one buffered send, an event is handed to a buffered
// channel or to the client's callback goroutine.

/*
#include "zkrs.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// liveHandles counts the handles given to C and not yet released, so the tests can check that zkrs
// released every userdata exactly once.
var liveHandles int64

func newHandle(v interface{}) cgo.Handle {
	atomic.AddInt64(&liveHandles, 1)
	return cgo.NewHandle(v)
}

func deleteHandle(h cgo.Handle) {
	h.Delete()
	atomic.AddInt64(&liveHandles, -1)
}

// reply is the result of one async call, copied out of the borrowed C arguments.
type reply struct {
	rc        C.zkrs_rc
	detail    string
	data      []byte
	path      string
	stat      *Stat
	exists    bool
	list      []string
	acl       []ACL
	count     int
	infos     []ClientInfo
	txn       []TxnResult
	txnFailed int
	reads     []ReadResult
}

func complete(ud unsafe.Pointer, r reply) {
	h := cgo.Handle(uintptr(ud))
	ch := h.Value().(chan reply)
	deleteHandle(h)
	ch <- r // never blocks: room for exactly this one
}

func head(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char) reply {
	r := reply{rc: rc}
	if rc != C.ZKRS_RC_OK && detail != nil {
		r.detail = C.GoString(detail)
	}
	return r
}

//export gozkCreated
func gozkCreated(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, path *C.char, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.path, r.stat = C.GoString(path), goStat(stat)
	}
	complete(ud, r)
}

//export gozkData
func gozkData(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, data *C.uint8_t, n C.size_t, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.data, r.stat = C.GoBytes(unsafe.Pointer(data), C.int(n)), goStat(stat)
	}
	complete(ud, r)
}

//export gozkStat
func gozkStat(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	r.stat = goStat(stat)
	complete(ud, r)
}

//export gozkExists
func gozkExists(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, exists C.bool, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	r.exists, r.stat = bool(exists), goStat(stat)
	complete(ud, r)
}

//export gozkVoid
func gozkVoid(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char) {
	complete(ud, head(ud, rc, detail))
}

//export gozkChildren
func gozkChildren(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, list *C.zkrs_string_list, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.list, r.stat = goStrings(list), goStat(stat)
	}
	complete(ud, r)
}

//export gozkACL
func gozkACL(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, acl *C.zkrs_acl_list, stat *C.zkrs_stat) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.acl, r.stat = goACLList(acl), goStat(stat)
	}
	complete(ud, r)
}

//export gozkStrings
func gozkStrings(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, list *C.zkrs_string_list) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.list = goStrings(list)
	}
	complete(ud, r)
}

//export gozkCount
func gozkCount(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, count C.int32_t) {
	r := head(ud, rc, detail)
	r.count = int(count)
	complete(ud, r)
}

//export gozkClientInfo
func gozkClientInfo(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, l *C.zkrs_client_info_list) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		n := int(C.zkrs_client_info_list_len(l))
		for i := 0; i < n; i++ {
			var scheme, user *C.char
			if C.zkrs_client_info_list_get(l, C.size_t(i), &scheme, &user) == C.ZKRS_RC_OK {
				r.infos = append(r.infos, ClientInfo{C.GoString(scheme), C.GoString(user)})
			}
		}
	}
	complete(ud, r)
}

//export gozkTxn
func gozkTxn(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, results *C.zkrs_txn_results) {
	r := head(ud, rc, detail)
	if results != nil {
		r.txn, r.txnFailed = goTxnResults(results)
	}
	complete(ud, r)
}

//export gozkReadResults
func gozkReadResults(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char, results *C.zkrs_read_results) {
	r := head(ud, rc, detail)
	if rc == C.ZKRS_RC_OK {
		r.reads = goReadResults(results)
	}
	complete(ud, r)
}

// releaser is the userdata of a long-lived registration: told once, by free_userdata, that zkrs will
// not call it again.
type releaser interface{ released() }

// eventSink receives the events of a watch or the changes of a state listener, on the zkrs event
// thread; it must not block.
type eventSink interface {
	releaser
	watchEvent(Event)
	stateEvent(StateEvent)
}

//export gozkWatchFired
func gozkWatchFired(ud unsafe.Pointer, ev *C.zkrs_watch_event) {
	e := Event{Type: EventType(ev._type), State: State(ev.state), Path: C.GoString(ev.path)}
	cgo.Handle(uintptr(ud)).Value().(eventSink).watchEvent(e)
}

//export gozkStateChanged
func gozkStateChanged(ud unsafe.Pointer, ev *C.zkrs_state_event) {
	e := StateEvent{State: State(ev.state), Kazoo: KazooState(ev.kazoo_state), KazooPrior: KazooState(ev.previous_kazoo_state)}
	cgo.Handle(uintptr(ud)).Value().(eventSink).stateEvent(e)
}

//export gozkRelease
func gozkRelease(ud unsafe.Pointer) {
	h := cgo.Handle(uintptr(ud))
	h.Value().(releaser).released()
	deleteHandle(h)
}

func goEvent(ev *C.zkrs_watch_event) *Event {
	if ev == nil {
		return nil
	}
	return &Event{Type: EventType(ev._type), State: State(ev.state), Path: C.GoString(ev.path)}
}

//export gozkDataWatch
func gozkDataWatch(ud unsafe.Pointer, data *C.uint8_t, n C.size_t, stat *C.zkrs_stat, ev *C.zkrs_watch_event) C.bool {
	var d []byte
	if stat != nil {
		d = C.GoBytes(unsafe.Pointer(data), C.int(n))
	}
	return C.bool(cgo.Handle(uintptr(ud)).Value().(*watcherSink).dataChanged(d, goStat(stat), goEvent(ev)))
}

//export gozkChildrenWatch
func gozkChildrenWatch(ud unsafe.Pointer, list *C.zkrs_string_list, ev *C.zkrs_watch_event) C.bool {
	return C.bool(cgo.Handle(uintptr(ud)).Value().(*watcherSink).childrenChanged(goStrings(list), goEvent(ev)))
}

//export gozkTreeEvent
func gozkTreeEvent(ud unsafe.Pointer, ev *C.zkrs_tree_event) {
	e := TreeEvent{Type: TreeEventType(ev._type), Stat: goStat(ev.stat)}
	if ev.path != nil {
		e.Path = C.GoString(ev.path)
	}
	if ev.len > 0 {
		e.Data = C.GoBytes(unsafe.Pointer(ev.data), C.int(ev.len))
	}
	cgo.Handle(uintptr(ud)).Value().(*treeSink).event(e)
}

//export gozkTreeFault
func gozkTreeFault(ud unsafe.Pointer, rc C.zkrs_rc, detail *C.char) {
	err := codeError("tree cache", "", rc, C.GoString(detail))
	cgo.Handle(uintptr(ud)).Value().(*treeSink).fault(err)
}

//export gozkLost
func gozkLost(ud unsafe.Pointer) {
	cgo.Handle(uintptr(ud)).Value().(*lostSink).lost()
}

// gozkLeader runs the leader func of Election.Run, on Run's own goroutine (zkrs calls it inside
// zkrs_election_run). A panic is kept for Run to raise again: it must not unwind through zkrs.
//
//export gozkLeader
func gozkLeader(ud unsafe.Pointer, e *C.zkrs_election) {
	call := cgo.Handle(uintptr(ud)).Value().(*leaderCall)
	defer func() {
		if p := recover(); p != nil {
			call.panicked = p
		}
	}()
	call.lead(&Leadership{p: e})
}

// gozkPartition runs a SetPartitioner's PartitionFunc on the partitioner's own thread and marks the
// items it took in mine (one entry per item, all false on entry). A panic must not unwind through zkrs:
// it is recovered and the member takes nothing.
//
//export gozkPartition
func gozkPartition(ud unsafe.Pointer, identifier *C.char, members, items *C.zkrs_string_list, mine *C.bool) {
	defer func() { _ = recover() }()
	call := cgo.Handle(uintptr(ud)).Value().(*partitionCall)
	set := goStrings(items)
	taken := make(map[string]bool)
	for _, it := range call.fn(C.GoString(identifier), goStrings(members), set) {
		taken[it] = true
	}
	marks := unsafe.Slice(mine, len(set))
	for i, it := range set {
		marks[i] = C.bool(taken[it])
	}
}
