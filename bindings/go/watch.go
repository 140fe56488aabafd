package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
)

// oneShot hands the single event of a one-shot watch to a channel with room for it, then closes the
// channel when zkrs releases the watch.
type oneShot struct{ ch chan Event }

func (o *oneShot) watchEvent(e Event) {
	select {
	case o.ch <- e:
	default: // a one-shot watch has one event; never block zkrs's event thread
	}
}
func (o *oneShot) stateEvent(StateEvent) {}
func (o *oneShot) released()             { close(o.ch) }

// funcSink runs the funcs of a long-lived registration on the client's callback goroutine; done is
// closed there after the last one.
type funcSink struct {
	q       *callbackQueue
	onEvent func(Event)
	onState func(StateEvent)
	done    chan struct{}
}

func (s *funcSink) watchEvent(e Event) {
	if s.onEvent != nil {
		s.q.push(func() { s.onEvent(e) })
	}
}

func (s *funcSink) stateEvent(e StateEvent) {
	if s.onState != nil {
		s.q.push(func() { s.onState(e) })
	}
}

func (s *funcSink) released() { s.q.push(func() { close(s.done) }) }

// PersistentWatch is a watch added by AddWatch.
type PersistentWatch struct {
	mu   sync.Mutex
	ptr  *C.zkrs_watch
	done chan struct{}
}

// AddWatch adds a persistent watch on path (ZooKeeper 3.6+; the node need not exist): fn runs for
// every event, in order, on the client's callback goroutine, until a terminal event
// (EventPersistentWatchRemoved, EventSessionExpired, EventClientClosed), which fn also gets. It
// survives reconnections. fn may call any method of the client.
func (c *Client) AddWatch(ctx context.Context, path string, mode AddWatchMode, fn func(Event)) (*PersistentWatch, error) {
	sink := &funcSink{q: c.events, onEvent: fn, done: make(chan struct{})}
	lh := newHandle(sink)
	reached := false
	var ptr *C.zkrs_watch
	_, err := withPath("add watch", path, func(cpath *C.char) (reply, error) {
		return c.call(ctx, "add watch", path, func(p *C.zkrs_client, h C.uintptr_t) C.zkrs_rc {
			reached = true
			return C.gozk_add_watch(p, cpath, C.int32_t(mode), C.uintptr_t(lh), h, &ptr)
		})
	})
	if !reached {
		deleteHandle(lh)
	}
	w := &PersistentWatch{ptr: ptr, done: sink.done}
	if ptr != nil {
		runtime.SetFinalizer(w, (*PersistentWatch).free)
	}
	if err != nil {
		w.free()
		return nil, err
	}
	return w, nil
}

// Remove removes the watch (on the server too): fn runs once more with EventPersistentWatchRemoved.
// ErrNoWatcher if it already ended, ErrClosed after the client was closed.
func (w *PersistentWatch) Remove() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ptr == nil {
		return &Error{Op: "remove watch", Code: ErrNoWatcher}
	}
	return callC("remove watch", "", func() C.zkrs_rc { return C.zkrs_watch_remove(w.ptr) })
}

// Done is closed once fn has run for the last time.
func (w *PersistentWatch) Done() <-chan struct{} { return w.done }

// free releases the C handle (the watch itself goes on until removed or ended).
func (w *PersistentWatch) free() {
	w.mu.Lock()
	defer w.mu.Unlock()
	C.zkrs_watch_free(w.ptr)
	w.ptr = nil
}
