package zkrs

/*
#include <stdlib.h>
#include "zkrs.h"
#include "shim.h"
*/
import "C"

import (
	"sync"
	"time"
	"unsafe"
)

// Lock, Semaphore and Election are kazoo's. Acquire and Run block their goroutine's OS thread while
// they wait (up to their timeout); Cancel (from another goroutine) or the client's Close ends the wait.
// A loss (the session ended, or someone deleted the holder's node) is told to the OnLost func, on the
// client's callback goroutine.

// lostSink queues the lost func of a lock, lease or leadership.
type lostSink struct {
	q  *callbackQueue
	fn func()
}

func (s *lostSink) lost()     { s.q.push(s.fn) }
func (s *lostSink) released() {}

// onLost registers fn with set (which gets the sink's handle) on recipe r.
func (r *recipe) onLost(fn func(), set func(p unsafe.Pointer, h C.uintptr_t) C.zkrs_rc) error {
	h := newHandle(&lostSink{q: r.q, fn: fn})
	reached := false
	err := r.call("on lost", func(p unsafe.Pointer) C.zkrs_rc {
		reached = true
		return set(p, C.uintptr_t(h))
	})
	if err != nil && !reached {
		deleteHandle(h)
	}
	return err
}

func cOptString(op, path, s string) (*C.char, func(), error) {
	if s == "" {
		return nil, func() {}, nil
	}
	cs, err := cString(op, path, s)
	if err != nil {
		return nil, nil, err
	}
	return cs, func() { C.free(unsafe.Pointer(cs)) }, nil
}

// LockKind is the kind of a Lock.
type LockKind int32

// The lock kinds (kazoo's Lock, ReadLock, WriteLock).
const (
	LockExclusive LockKind = C.ZKRS_LOCK_EXCLUSIVE
	LockRead      LockKind = C.ZKRS_LOCK_READ
	LockWrite     LockKind = C.ZKRS_LOCK_WRITE
)

// Lock is kazoo's Lock (or ReadLock, WriteLock): not re-entrant. One goroutine at a time acquires
// with one Lock (other goroutines' Acquire calls on it wait their turn); the others may call Cancel,
// IsHeld and Contenders meanwhile.
type Lock struct {
	r   *recipe
	acq sync.Mutex
}

// NewLock makes a lock on path; identifier (may be "") is stored in the contender node. Nothing is
// sent yet. extraPatterns are kazoo's extra_lock_patterns: further name markers of contenders to wait
// for (e.g. "-lock-" for Curator's nodes).
func (c *Client) NewLock(path, identifier string, kind LockKind, extraPatterns ...string) (*Lock, error) {
	cid, free, err := cOptString("lock", path, identifier)
	if err != nil {
		return nil, err
	}
	defer free()
	var pats **C.char
	if len(extraPatterns) > 0 {
		pats = (**C.char)(C.calloc(C.size_t(len(extraPatterns)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		defer C.free(unsafe.Pointer(pats))
		cp := unsafe.Slice(pats, len(extraPatterns))
		for i, pat := range extraPatterns {
			if cp[i], err = cString("lock", path, pat); err != nil {
				return nil, err
			}
			defer C.free(unsafe.Pointer(cp[i]))
		}
	}
	r, err := c.newRecipe("lock", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_lock
		rc := C.zkrs_lock_new_with_patterns(p, cpath, cid, C.int32_t(kind), pats, C.size_t(len(extraPatterns)), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_lock_free((*C.zkrs_lock)(p)) })
	if err != nil {
		return nil, err
	}
	r.q = c.events
	return &Lock{r: r}, nil
}

func lp(p unsafe.Pointer) *C.zkrs_lock { return (*C.zkrs_lock)(p) }

func (l *Lock) acquire(timeout time.Duration, ephemeral bool) error {
	l.acq.Lock()
	defer l.acq.Unlock()
	return l.r.call("acquire", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_lock_acquire(lp(p), millis(timeout), C.bool(ephemeral))
	})
}

// Acquire takes the lock, waiting up to timeout (negative: no limit; 0: try once): ErrTimeout,
// ErrCancelled (Cancel), ErrSessionExpired, ErrClosed; ErrBadArguments if already held. A failure
// leaves no contender node behind.
func (l *Lock) Acquire(timeout time.Duration) error { return l.acquire(timeout, true) }

// AcquirePersistent is Acquire with a persistent contender node, which outlives the session (kazoo's
// ephemeral=False).
func (l *Lock) AcquirePersistent(timeout time.Duration) error { return l.acquire(timeout, false) }

// Release releases the lock; true if it was held and not lost. Releasing a lock not held is fine.
func (l *Lock) Release() (bool, error) {
	var ok C.bool
	err := l.r.call("release", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_lock_release(lp(p), &ok) })
	return bool(ok), err
}

// Cancel makes an Acquire in progress return ErrCancelled.
func (l *Lock) Cancel() error {
	return l.r.call("cancel", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_lock_cancel(lp(p)) })
}

// IsHeld tells whether the lock is held now (false once lost).
func (l *Lock) IsHeld() bool {
	held := false
	l.r.call("is held", func(p unsafe.Pointer) C.zkrs_rc { held = bool(C.zkrs_lock_is_held(lp(p))); return C.ZKRS_RC_OK })
	return held
}

// Contenders are the contenders' identifiers in queue order (the first holds an exclusive or write
// lock).
func (l *Lock) Contenders() ([]string, error) {
	var out *C.zkrs_string_list
	if err := l.r.call("contenders", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_lock_contenders(lp(p), &out) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(out)
	return goStrings(out), nil
}

// OnLost sets the func told when the held lock is lost (replacing the previous one).
func (l *Lock) OnLost(fn func()) error {
	return l.r.onLost(fn, func(p unsafe.Pointer, h C.uintptr_t) C.zkrs_rc { return C.gozk_lock_set_lost(lp(p), h) })
}

// Close cancels an Acquire in progress and releases the lock object (a held lock is released).
func (l *Lock) Close() {
	l.r.closeCancelling(func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_lock_cancel(lp(p)) })
}

// Semaphore is kazoo's Semaphore: at most maxLeases holders at once.
type Semaphore struct {
	r   *recipe
	acq sync.Mutex
}

// NewSemaphore makes a semaphore on path with maxLeases leases; identifier (may be "") is the data of
// this holder's lease node.
func (c *Client) NewSemaphore(path, identifier string, maxLeases uint32) (*Semaphore, error) {
	cid, free, err := cOptString("semaphore", path, identifier)
	if err != nil {
		return nil, err
	}
	defer free()
	r, err := c.newRecipe("semaphore", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_semaphore
		rc := C.zkrs_semaphore_new(p, cpath, cid, C.uint32_t(maxLeases), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_semaphore_free((*C.zkrs_semaphore)(p)) })
	if err != nil {
		return nil, err
	}
	r.q = c.events
	return &Semaphore{r: r}, nil
}

func sp(p unsafe.Pointer) *C.zkrs_semaphore { return (*C.zkrs_semaphore)(p) }

// Acquire takes a lease, waiting up to timeout (nil also when already held): errors as Lock.Acquire.
func (s *Semaphore) Acquire(timeout time.Duration) error {
	s.acq.Lock()
	defer s.acq.Unlock()
	return s.r.call("acquire", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_semaphore_acquire(sp(p), millis(timeout)) })
}

// Release gives the lease back; true if one was held and not lost.
func (s *Semaphore) Release() (bool, error) {
	var ok C.bool
	err := s.r.call("release", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_semaphore_release(sp(p), &ok) })
	return bool(ok), err
}

// Cancel makes an Acquire in progress return ErrCancelled.
func (s *Semaphore) Cancel() error {
	return s.r.call("cancel", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_semaphore_cancel(sp(p)) })
}

// IsHeld tells whether this semaphore holds a lease now.
func (s *Semaphore) IsHeld() bool {
	held := false
	s.r.call("is held", func(p unsafe.Pointer) C.zkrs_rc { held = bool(C.zkrs_semaphore_is_held(sp(p))); return C.ZKRS_RC_OK })
	return held
}

// LeaseHolders are the identifiers of the holders, in no particular order.
func (s *Semaphore) LeaseHolders() ([]string, error) {
	var out *C.zkrs_string_list
	if err := s.r.call("lease holders", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_semaphore_lease_holders(sp(p), &out) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(out)
	return goStrings(out), nil
}

// OnLost sets the func told when a held lease is lost.
func (s *Semaphore) OnLost(fn func()) error {
	return s.r.onLost(fn, func(p unsafe.Pointer, h C.uintptr_t) C.zkrs_rc { return C.gozk_semaphore_set_lost(sp(p), h) })
}

// Close cancels an Acquire in progress and releases the semaphore object (a held lease is released).
func (s *Semaphore) Close() {
	s.r.closeCancelling(func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_semaphore_cancel(sp(p)) })
}

// Election is a candidate in kazoo's Election.
type Election struct {
	r   *recipe
	run sync.Mutex
}

// NewElection makes a candidate for the election on path; identifier (may be "") is what Contenders
// shows for it.
func (c *Client) NewElection(path, identifier string) (*Election, error) {
	cid, free, err := cOptString("election", path, identifier)
	if err != nil {
		return nil, err
	}
	defer free()
	r, err := c.newRecipe("election", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_election
		rc := C.zkrs_election_new(p, cpath, cid, &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_election_free((*C.zkrs_election)(p)) })
	if err != nil {
		return nil, err
	}
	r.q = c.events
	return &Election{r: r}, nil
}

func ep(p unsafe.Pointer) *C.zkrs_election { return (*C.zkrs_election)(p) }

// Leadership is what the leader func of Election.Run is given.
type Leadership struct{ p *C.zkrs_election }

// Held tells whether the candidate still leads (false once leadership is lost).
func (l *Leadership) Held() bool { return bool(C.zkrs_election_is_leader(l.p)) }

// leaderCall is the userdata of one Run: the func, and a panic it raised (re-raised by Run, since a
// panic must not unwind through zkrs).
type leaderCall struct {
	lead     func(*Leadership)
	panicked interface{}
}

func (l *leaderCall) released() {}

// Run waits up to timeout (negative: no limit; 0: only if elected at once) to be elected, then calls
// lead on this goroutine and gives up leadership when it returns. nil when lead ran; otherwise it did
// not: ErrTimeout, ErrCancelled (Cancel), ErrSessionExpired, ErrClosed.
func (e *Election) Run(timeout time.Duration, lead func(*Leadership)) error {
	e.run.Lock()
	defer e.run.Unlock()
	call := &leaderCall{lead: lead}
	h := newHandle(call)
	reached := false
	err := e.r.call("run", func(p unsafe.Pointer) C.zkrs_rc {
		reached = true
		return C.gozk_election_run(ep(p), millis(timeout), C.uintptr_t(h))
	})
	if !reached {
		deleteHandle(h)
	}
	if call.panicked != nil {
		panic(call.panicked)
	}
	return err
}

// Cancel makes a Run still waiting to be elected return ErrCancelled (a running leader func goes on).
func (e *Election) Cancel() error {
	return e.r.call("cancel", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_election_cancel(ep(p)) })
}

// Contenders are the candidates' identifiers in election order (the first leads).
func (e *Election) Contenders() ([]string, error) {
	var out *C.zkrs_string_list
	if err := e.r.call("contenders", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_election_contenders(ep(p), &out) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(out)
	return goStrings(out), nil
}

// OnLost sets the func told when leadership is lost while the leader func runs.
func (e *Election) OnLost(fn func()) error {
	return e.r.onLost(fn, func(p unsafe.Pointer, h C.uintptr_t) C.zkrs_rc { return C.gozk_election_set_lost(ep(p), h) })
}

// Close cancels a waiting Run and releases the candidate (after a running leader func returned).
func (e *Election) Close() {
	e.r.closeCancelling(func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_election_cancel(ep(p)) })
}
