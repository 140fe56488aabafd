package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// DataWatch, ChildrenWatch and TreeCache are kazoo's watchers. Their funcs run, like persistent watches,
// in order on the client's callback goroutine (not on zkrs's event thread); a func may call the client.
// They run until stopped (Close, a func returning false, the client's Close), whether or not the
// returned object is kept: unlike the other recipes they have no finalizer. A DataWatch or
// ChildrenWatch that ended releases its C handle by itself; a TreeCache needs Close.

// watcherSink receives the calls of a DataWatch or ChildrenWatch on zkrs's event thread and queues
// them. Once stopped (the func returned false, or Close), queued calls are dropped and zkrs is told
// to stop at its next call.
type watcherSink struct {
	q          *callbackQueue
	onData     func(data []byte, stat *Stat, ev *Event) bool
	onChildren func(children []string, ev *Event) bool
	stopped    int32  // atomic: 1 once stopped
	stop       func() // stops the C watch; runs on the callback goroutine
	done       chan struct{}
}

func (s *watcherSink) isStopped() bool { return atomic.LoadInt32(&s.stopped) == 1 }

// deliver queues one call of the func; when it returns false the watch is stopped.
func (s *watcherSink) deliver(call func() bool) bool {
	if s.isStopped() {
		return false
	}
	s.q.push(func() {
		if s.isStopped() {
			return
		}
		if !call() {
			atomic.StoreInt32(&s.stopped, 1)
			s.stop()
		}
	})
	return true
}

func (s *watcherSink) dataChanged(data []byte, stat *Stat, ev *Event) bool {
	return s.deliver(func() bool { return s.onData(data, stat, ev) })
}

func (s *watcherSink) childrenChanged(children []string, ev *Event) bool {
	return s.deliver(func() bool { return s.onChildren(children, ev) })
}

// released frees the C handle too: the watch ended (the handle is freed here, on the callback
// goroutine, never inside a call of zkrs).
func (s *watcherSink) released() {
	s.q.push(func() {
		close(s.done)
		s.stop()
	})
}

// watcher is the Go side of a DataWatch or ChildrenWatch: the C handle, freed once.
type watcher struct {
	mu     sync.Mutex // held while the handle is made, so that a stop from the func waits for it
	ptr    unsafe.Pointer
	free   func(unsafe.Pointer)
	isStop func(unsafe.Pointer) bool
	sink   *watcherSink
}

func (w *watcher) close() {
	atomic.StoreInt32(&w.sink.stopped, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ptr != nil {
		w.free(w.ptr) // stops the watch (on the server too), then releases the handle
		w.ptr = nil
	}
}

func (w *watcher) stopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sink.isStopped() || w.ptr == nil || w.isStop(w.ptr)
}

// start makes the C watch with create, which gets the sink's handle.
func (c *Client) startWatcher(op, path string, sink *watcherSink, create func(p *C.zkrs_client, cpath *C.char, h C.uintptr_t, out *unsafe.Pointer) C.zkrs_rc,
	free func(unsafe.Pointer), isStop func(unsafe.Pointer) bool) (*watcher, error) {
	cpath, err := cString(op, path, path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	w := &watcher{free: free, isStop: isStop, sink: sink}
	sink.stop = w.close
	h := newHandle(sink)
	reached := false
	w.mu.Lock()
	err = c.withClient(op, path, func(p *C.zkrs_client) C.zkrs_rc {
		reached = true
		return create(p, cpath, C.uintptr_t(h), &w.ptr)
	})
	w.mu.Unlock()
	if err != nil {
		if !reached { // once reached, zkrs released the handle (gozkRelease)
			deleteHandle(h)
		}
		return nil, err
	}
	return w, nil
}

// DataWatch is kazoo's DataWatch (see Client.DataWatch).
type DataWatch struct{ w *watcher }

// DataWatch calls fn with path's data and stat now and after every change (creation, data change,
// deletion: then data and stat are nil), without duplicate calls, until fn returns false, Close, or
// the client is closed. ev is the change that caused the call (nil for the first call and after
// reconnections). The node need not exist; the watch survives reconnections and session expiry.
func (c *Client) DataWatch(path string, fn func(data []byte, stat *Stat, ev *Event) bool) (*DataWatch, error) {
	sink := &watcherSink{q: c.events, onData: fn, done: make(chan struct{})}
	w, err := c.startWatcher("data watch", path, sink, func(p *C.zkrs_client, cpath *C.char, h C.uintptr_t, out *unsafe.Pointer) C.zkrs_rc {
		var dw *C.zkrs_data_watch
		rc := C.gozk_data_watch_new(p, cpath, h, &dw)
		*out = unsafe.Pointer(dw)
		return rc
	}, func(p unsafe.Pointer) { C.zkrs_data_watch_free((*C.zkrs_data_watch)(p)) },
		func(p unsafe.Pointer) bool { return bool(C.zkrs_data_watch_is_stopped((*C.zkrs_data_watch)(p))) })
	if err != nil {
		return nil, err
	}
	return &DataWatch{w}, nil
}

// Close stops the watch (removing it from the server). fn is not called after Close returns, except
// for a call already running.
func (d *DataWatch) Close() { d.w.close() }

// Stopped tells whether the watch has stopped (Close, fn returned false, client closed).
func (d *DataWatch) Stopped() bool { return d.w.stopped() }

// Done is closed once zkrs released the watch (after its last call).
func (d *DataWatch) Done() <-chan struct{} { return d.w.sink.done }

// ChildrenWatchOptions are the options of ChildrenWatch; nil is kazoo's default.
type ChildrenWatchOptions struct {
	StopOnSessionLost bool // stop when the session is lost (kazoo's allow_session_lost=False)
	SendEvent         bool // pass the causing event to fn (else ev is always nil)
}

// ChildrenWatch is kazoo's ChildrenWatch (see Client.ChildrenWatch).
type ChildrenWatch struct{ w *watcher }

// ChildrenWatch calls fn with path's children (unsorted) now and after every change of them, until fn
// returns false, Close, the node's deletion (without a call), or the client is closed. The node must
// exist (ErrNoNode).
func (c *Client) ChildrenWatch(path string, opts *ChildrenWatchOptions, fn func(children []string, ev *Event) bool) (*ChildrenWatch, error) {
	if opts == nil {
		opts = &ChildrenWatchOptions{}
	}
	sink := &watcherSink{q: c.events, onChildren: fn, done: make(chan struct{})}
	w, err := c.startWatcher("children watch", path, sink, func(p *C.zkrs_client, cpath *C.char, h C.uintptr_t, out *unsafe.Pointer) C.zkrs_rc {
		var cw *C.zkrs_children_watch
		rc := C.gozk_children_watch_new(p, cpath, C.bool(!opts.StopOnSessionLost), C.bool(opts.SendEvent), h, &cw)
		*out = unsafe.Pointer(cw)
		return rc
	}, func(p unsafe.Pointer) { C.zkrs_children_watch_free((*C.zkrs_children_watch)(p)) },
		func(p unsafe.Pointer) bool {
			return bool(C.zkrs_children_watch_is_stopped((*C.zkrs_children_watch)(p)))
		})
	if err != nil {
		return nil, err
	}
	return &ChildrenWatch{w}, nil
}

// Close stops the watch (see DataWatch.Close).
func (cw *ChildrenWatch) Close() { cw.w.close() }

// Stopped tells whether the watch has stopped (also after the node's deletion).
func (cw *ChildrenWatch) Stopped() bool { return cw.w.stopped() }

// Done is closed once zkrs released the watch (after its last call).
func (cw *ChildrenWatch) Done() <-chan struct{} { return cw.w.sink.done }

// TreeEventType is the kind of a TreeCache event.
type TreeEventType int32

// The TreeCache events.
const (
	TreeNodeAdded             TreeEventType = C.ZKRS_TREE_NODE_ADDED
	TreeNodeUpdated           TreeEventType = C.ZKRS_TREE_NODE_UPDATED
	TreeNodeRemoved           TreeEventType = C.ZKRS_TREE_NODE_REMOVED // carries the node's last data
	TreeConnectionSuspended   TreeEventType = C.ZKRS_TREE_CONNECTION_SUSPENDED
	TreeConnectionReconnected TreeEventType = C.ZKRS_TREE_CONNECTION_RECONNECTED
	TreeConnectionLost        TreeEventType = C.ZKRS_TREE_CONNECTION_LOST
	TreeInitialized           TreeEventType = C.ZKRS_TREE_INITIALIZED // the whole tree was read (once per session)
)

// TreeEvent is a change of a TreeCache: Path, Data and Stat for node events.
type TreeEvent struct {
	Type TreeEventType
	Path string
	Data []byte
	Stat *Stat
}

type treeSink struct {
	q       *callbackQueue
	onEvent func(TreeEvent)
	onFault func(error)
}

func (s *treeSink) event(e TreeEvent) { s.q.push(func() { s.onEvent(e) }) }
func (s *treeSink) fault(err error)   { s.q.push(func() { s.onFault(err) }) }
func (s *treeSink) released()         {}

// TreeCache is kazoo's TreeCache: an in-memory copy of a subtree, kept up to date.
type TreeCache struct{ r *recipe }

// NewTreeCache makes a cache of path; add listeners, then Start it.
func (c *Client) NewTreeCache(path string) (*TreeCache, error) {
	r, err := c.newRecipe("tree cache", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_tree_cache
		rc := C.zkrs_tree_cache_new(p, cpath, &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_tree_cache_free((*C.zkrs_tree_cache)(p)) })
	if err != nil {
		return nil, err
	}
	r.q = c.events
	return &TreeCache{r}, nil
}

func tp(p unsafe.Pointer) *C.zkrs_tree_cache { return (*C.zkrs_tree_cache)(p) }

func (t *TreeCache) listen(op string, sink *treeSink, add func(p *C.zkrs_tree_cache, h C.uintptr_t) C.zkrs_rc) error {
	h := newHandle(sink)
	reached := false
	err := t.r.call(op, func(p unsafe.Pointer) C.zkrs_rc {
		reached = true
		return add(tp(p), C.uintptr_t(h))
	})
	if err != nil && !reached {
		deleteHandle(h)
	}
	return err
}

// Listen calls fn for every event of the cache, in order, on the client's callback goroutine.
func (t *TreeCache) Listen(fn func(TreeEvent)) error {
	return t.listen("listen", &treeSink{q: t.r.q, onEvent: fn}, func(p *C.zkrs_tree_cache, h C.uintptr_t) C.zkrs_rc {
		return C.gozk_tree_cache_listen(p, h)
	})
}

// ListenFault calls fn for errors reading the tree (other than connection or session loss), e.g.
// ErrNoAuth for a node it may not read. Without one, faults are logged.
func (t *TreeCache) ListenFault(fn func(error)) error {
	return t.listen("listen fault", &treeSink{q: t.r.q, onFault: fn}, func(p *C.zkrs_tree_cache, h C.uintptr_t) C.zkrs_rc {
		return C.gozk_tree_cache_listen_fault(p, h)
	})
}

// Start creates the root if missing, watches it and reads the tree in the background (TreeNodeAdded
// for every node, then TreeInitialized). A cache starts once.
func (t *TreeCache) Start() error {
	return t.r.call("start", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_tree_cache_start(tp(p)) })
}

// Get returns the cached data and stat of path (ErrNoNode when the cache does not hold it), from memory.
func (t *TreeCache) Get(path string) ([]byte, *Stat, error) {
	cpath, err := cString("tree cache get", path, path)
	if err != nil {
		return nil, nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var b *C.zkrs_buf
	var stat C.zkrs_stat
	if err := t.r.call("get", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_tree_cache_get_data(tp(p), cpath, &b, &stat) }); err != nil {
		return nil, nil, err
	}
	defer C.zkrs_buf_free(b)
	return C.GoBytes(unsafe.Pointer(C.zkrs_buf_data(b)), C.int(C.zkrs_buf_len(b))), goStat(&stat), nil
}

// Children returns the cached children of path, from memory.
func (t *TreeCache) Children(path string) ([]string, error) {
	cpath, err := cString("tree cache children", path, path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var l *C.zkrs_string_list
	if err := t.r.call("children", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_tree_cache_get_children(tp(p), cpath, &l) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(l)
	return goStrings(l), nil
}

// Close stops the cache (removing its watch from the server) and releases it; listener calls already
// queued still run.
func (t *TreeCache) Close() { t.r.close() }
