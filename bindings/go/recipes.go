package zkrs

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// The recipes are kazoo's, on kazoo's node layout, so Go, Python and C processes can share them. Their C
// functions are synchronous (they run no callbacks): a call that waits, such as Queue.Get, holds its
// OS thread for as long as it waits, up to its timeout, and returns early with ErrClosed when the
// client is closed. Every recipe object may be used from many goroutines at once. Close releases it
// once the calls in flight have returned (a waiting Queue.Get or Barrier.Wait up to its timeout; a
// waiting lock acquire or election is cancelled); calls after it fail with ErrClosed. The objects of
// this file are also closed by a finalizer.

// recipe guards one C recipe object: calls count themselves in active; Close marks it closing (later
// calls fail with ErrClosed instead of waiting, so a call nested in another never deadlocks), lets
// cancel end a wait in progress, waits until no call is active and frees it.
type recipe struct {
	mu      sync.Mutex
	idle    *sync.Cond // signalled when active drops to 0
	active  int
	closing bool
	ptr     unsafe.Pointer
	free    func(unsafe.Pointer)
	name    string
	q       *callbackQueue // the client's, for recipes with listeners
}

func (r *recipe) call(op string, f func(p unsafe.Pointer) C.zkrs_rc) error {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return &Error{Op: r.name + " " + op, Code: ErrClosed, Detail: r.name + " was closed"}
	}
	r.active++
	p := r.ptr
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.active--
		if r.active == 0 {
			r.idle.Broadcast()
		}
		r.mu.Unlock()
	}()
	return callC(r.name+" "+op, "", func() C.zkrs_rc { return f(p) })
}

func (r *recipe) close() { r.closeCancelling(nil) }

// closeCancelling is close that first calls cancel (if not nil) to end a wait in progress, so that
// Close does not wait for its timeout.
func (r *recipe) closeCancelling(cancel func(p unsafe.Pointer) C.zkrs_rc) {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return
	}
	r.closing = true
	p := r.ptr
	r.mu.Unlock()
	if cancel != nil {
		cancel(p) // p is freed below only, by this call
	}
	r.mu.Lock()
	for r.active > 0 {
		r.idle.Wait()
	}
	r.free(p)
	r.ptr = nil
	r.mu.Unlock()
}

// newRecipe makes the C object with create (under the client's lock, so the client handle is alive).
func (c *Client) newRecipe(name, path string, create func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc), free func(unsafe.Pointer)) (*recipe, error) {
	cpath, err := cString(name, path, path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var ptr unsafe.Pointer
	err = c.withClient("new "+name, path, func(p *C.zkrs_client) C.zkrs_rc {
		var rc C.zkrs_rc
		ptr, rc = create(p, cpath)
		return rc
	})
	if err != nil {
		return nil, err
	}
	r := &recipe{ptr: ptr, free: free, name: name}
	r.idle = sync.NewCond(&r.mu)
	return r, nil
}

// CounterKind is how a Counter stores its value.
type CounterKind int32

// The counter kinds.
const (
	CounterInt     CounterKind = C.ZKRS_COUNTER_INT     // 64-bit integer as decimal text (kazoo's Counter)
	CounterFloat   CounterKind = C.ZKRS_COUNTER_FLOAT   // a double as Python's repr() (kazoo's Counter(default=0.0))
	CounterCurator CounterKind = C.ZKRS_COUNTER_CURATOR // 32-bit big-endian integer (Curator's SharedCount)
)

// Counter is a shared counter at one node (kazoo's Counter): each change is atomic (compare-and-set on
// the node's version, retried).
type Counter struct{ r *recipe }

// NewCounter makes a counter at path; its node is created (meaning 0) on first use.
func (c *Client) NewCounter(path string, kind CounterKind) (*Counter, error) {
	r, err := c.newRecipe("counter", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_counter
		rc := C.zkrs_counter_new(p, cpath, C.int32_t(kind), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_counter_free((*C.zkrs_counter)(p)) })
	if err != nil {
		return nil, err
	}
	k := &Counter{r}
	runtime.SetFinalizer(k, (*Counter).Close)
	return k, nil
}

// Add adds delta to an integer or Curator counter and returns the values before and after.
func (k *Counter) Add(delta int64) (pre, post int64, err error) {
	var a, b C.int64_t
	err = k.r.call("add", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_counter_add((*C.zkrs_counter)(p), C.int64_t(delta), &a, &b)
	})
	return int64(a), int64(b), err
}

// Subtract subtracts delta (see Add).
func (k *Counter) Subtract(delta int64) (pre, post int64, err error) {
	var a, b C.int64_t
	err = k.r.call("subtract", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_counter_subtract((*C.zkrs_counter)(p), C.int64_t(delta), &a, &b)
	})
	return int64(a), int64(b), err
}

// Value is the value of an integer or Curator counter.
func (k *Counter) Value() (int64, error) {
	var v C.int64_t
	err := k.r.call("value", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_counter_value((*C.zkrs_counter)(p), &v) })
	return int64(v), err
}

// AddFloat adds delta to a float counter and returns the values before and after.
func (k *Counter) AddFloat(delta float64) (pre, post float64, err error) {
	var a, b C.double
	err = k.r.call("add", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_counter_add_float((*C.zkrs_counter)(p), C.double(delta), &a, &b)
	})
	return float64(a), float64(b), err
}

// SubtractFloat subtracts delta from a float counter (see AddFloat).
func (k *Counter) SubtractFloat(delta float64) (pre, post float64, err error) {
	var a, b C.double
	err = k.r.call("subtract", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_counter_subtract_float((*C.zkrs_counter)(p), C.double(delta), &a, &b)
	})
	return float64(a), float64(b), err
}

// ValueFloat is the value of a float counter.
func (k *Counter) ValueFloat() (float64, error) {
	var v C.double
	err := k.r.call("value", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_counter_value_float((*C.zkrs_counter)(p), &v) })
	return float64(v), err
}

// Close releases the counter (the node stays).
func (k *Counter) Close() { k.r.close() }

// DefaultPriority is the priority kazoo's put uses (0 to 999; lower is served first).
const DefaultPriority = C.ZKRS_QUEUE_DEFAULT_PRIORITY

// Queue is a distributed priority queue on kazoo's nodes: kazoo's Queue (a get removes the entry) or,
// made with locking, its LockingQueue (a get locks the entry until Consume or Release).
type Queue struct{ r *recipe }

// NewQueue makes a queue at path (nothing is sent; the nodes are created at first use).
func (c *Client) NewQueue(path string, locking bool) (*Queue, error) {
	r, err := c.newRecipe("queue", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_queue
		rc := C.zkrs_queue_new(p, cpath, C.bool(locking), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_queue_free((*C.zkrs_queue)(p)) })
	if err != nil {
		return nil, err
	}
	q := &Queue{r}
	runtime.SetFinalizer(q, (*Queue).Close)
	return q, nil
}

func qp(p unsafe.Pointer) *C.zkrs_queue { return (*C.zkrs_queue)(p) }

// Put adds an entry with priority (0 to 999). After ErrConnectionLoss the entry may or may not exist.
func (q *Queue) Put(data []byte, priority int) error {
	return q.r.call("put", func(p unsafe.Pointer) C.zkrs_rc {
		d, n := cBytes(data)
		return C.zkrs_queue_put(qp(p), d, n, C.int32_t(priority))
	})
}

// PutAll adds the values in one transaction (all or none), each with priority.
func (q *Queue) PutAll(values [][]byte, priority int) error {
	if len(values) == 0 {
		return nil
	}
	// C memory only: an array of Go pointers must not be handed to C.
	n := C.size_t(len(values))
	ptrs := unsafe.Slice((**C.uint8_t)(C.calloc(n, C.size_t(unsafe.Sizeof((*C.uint8_t)(nil))))), len(values))
	lens := unsafe.Slice((*C.size_t)(C.calloc(n, C.size_t(unsafe.Sizeof(C.size_t(0))))), len(values))
	defer C.free(unsafe.Pointer(&ptrs[0]))
	defer C.free(unsafe.Pointer(&lens[0]))
	for i, v := range values {
		if len(v) > 0 {
			ptrs[i] = (*C.uint8_t)(C.CBytes(v))
			defer C.free(unsafe.Pointer(ptrs[i]))
		}
		lens[i] = C.size_t(len(v))
	}
	return q.r.call("put all", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_queue_put_all(qp(p), &ptrs[0], &lens[0], n, C.int32_t(priority))
	})
}

// Get takes the first entry, waiting up to timeout (negative: no limit; 0: no wait): ErrTimeout when
// none came. A plain queue removes it; a locking queue locks it (see Consume, Release).
func (q *Queue) Get(timeout time.Duration) ([]byte, error) {
	var b *C.zkrs_buf
	err := q.r.call("get", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_queue_get(qp(p), millis(timeout), &b) })
	if err != nil {
		return nil, err
	}
	defer C.zkrs_buf_free(b)
	return C.GoBytes(unsafe.Pointer(C.zkrs_buf_data(b)), C.int(C.zkrs_buf_len(b))), nil
}

// Len is the number of entries (locked ones included).
func (q *Queue) Len() (int, error) {
	var n C.size_t
	err := q.r.call("len", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_queue_len(qp(p), &n) })
	return int(n), err
}

// Consume removes the entry a locking queue holds; false if it holds none or lost its lock.
func (q *Queue) Consume() (bool, error) {
	var ok C.bool
	err := q.r.call("consume", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_queue_consume(qp(p), &ok) })
	return bool(ok), err
}

// Release unlocks the entry a locking queue holds so that it is served again; false if it holds none
// or lost its lock.
func (q *Queue) Release() (bool, error) {
	var ok C.bool
	err := q.r.call("release", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_queue_release(qp(p), &ok) })
	return bool(ok), err
}

// HoldsLock tells whether a locking queue holds an entry whose lock is still its own.
func (q *Queue) HoldsLock() (bool, error) {
	var ok C.bool
	err := q.r.call("holds lock", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_queue_holds_lock(qp(p), &ok) })
	return bool(ok), err
}

// Close releases the queue object (the entries stay; an entry a locking queue holds stays locked until
// the session ends).
func (q *Queue) Close() { q.r.close() }

// Barrier is kazoo's Barrier: while its node exists, Wait blocks.
type Barrier struct{ r *recipe }

// NewBarrier makes a barrier at path (nothing is created yet).
func (c *Client) NewBarrier(path string) (*Barrier, error) {
	r, err := c.newRecipe("barrier", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_barrier
		rc := C.zkrs_barrier_new(p, cpath, &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_barrier_free((*C.zkrs_barrier)(p)) })
	if err != nil {
		return nil, err
	}
	b := &Barrier{r}
	runtime.SetFinalizer(b, (*Barrier).Close)
	return b, nil
}

func bp(p unsafe.Pointer) *C.zkrs_barrier { return (*C.zkrs_barrier)(p) }

// Create puts the barrier in place (nil if it already is).
func (b *Barrier) Create() error {
	return b.r.call("create", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_barrier_create(bp(p)) })
}

// Remove removes the barrier, releasing its waiters; false if it was not in place.
func (b *Barrier) Remove() (bool, error) {
	var ok C.bool
	err := b.r.call("remove", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_barrier_remove(bp(p), &ok) })
	return bool(ok), err
}

// Wait blocks until the barrier is removed, up to timeout (negative: no limit; 0: only look):
// ErrTimeout if it is still in place then.
func (b *Barrier) Wait(timeout time.Duration) error {
	return b.r.call("wait", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_barrier_wait(bp(p), millis(timeout)) })
}

// Close releases the barrier object (nothing changes on the server).
func (b *Barrier) Close() { b.r.close() }

// Party is a member of kazoo's Party (or, shallow, ShallowParty, with the identifier in the node name).
type Party struct{ r *recipe }

// NewParty makes a member of the party at path with identifier (not joined yet).
func (c *Client) NewParty(path, identifier string, shallow bool) (*Party, error) {
	cid, err := cString("party", path, identifier)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cid))
	r, err := c.newRecipe("party", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_party
		rc := C.zkrs_party_new(p, cpath, cid, C.bool(shallow), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_party_free((*C.zkrs_party)(p)) })
	if err != nil {
		return nil, err
	}
	m := &Party{r}
	runtime.SetFinalizer(m, (*Party).Close)
	return m, nil
}

func pp(p unsafe.Pointer) *C.zkrs_party { return (*C.zkrs_party)(p) }

// Join creates the member's ephemeral node.
func (m *Party) Join() error {
	return m.r.call("join", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_party_join(pp(p)) })
}

// Leave deletes the member's node; false if it was not there.
func (m *Party) Leave() (bool, error) {
	var ok C.bool
	err := m.r.call("leave", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_party_leave(pp(p), &ok) })
	return bool(ok), err
}

// Members are the identifiers of the members.
func (m *Party) Members() ([]string, error) {
	var l *C.zkrs_string_list
	if err := m.r.call("members", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_party_members(pp(p), &l) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(l)
	return goStrings(l), nil
}

// Len is the number of members.
func (m *Party) Len() (int, error) {
	var n C.size_t
	err := m.r.call("len", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_party_len(pp(p), &n) })
	return int(n), err
}

// Participating tells whether this member joined and has not left.
func (m *Party) Participating() (bool, error) {
	var ok C.bool
	err := m.r.call("participating", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_party_participating(pp(p), &ok) })
	return bool(ok), err
}

// Close releases the member object (its node stays until it leaves or the session ends).
func (m *Party) Close() { m.r.close() }

// DoubleBarrier is a member of kazoo's DoubleBarrier: Enter blocks until numClients members are in,
// Leave until all have left. One goroutine at a time should enter or leave with one member.
type DoubleBarrier struct{ r *recipe }

// NewDoubleBarrier makes a member of the double barrier at path for numClients members; identifier
// ("" for kazoo's <hostname>-<pid>) is stored in the member's node.
func (c *Client) NewDoubleBarrier(path string, numClients int, identifier string) (*DoubleBarrier, error) {
	var cid *C.char
	if identifier != "" {
		var err error
		if cid, err = cString("double barrier", path, identifier); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(cid))
	}
	r, err := c.newRecipe("double barrier", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		var out *C.zkrs_double_barrier
		rc := C.zkrs_double_barrier_new(p, cpath, C.int32_t(numClients), cid, &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_double_barrier_free((*C.zkrs_double_barrier)(p)) })
	if err != nil {
		return nil, err
	}
	b := &DoubleBarrier{r}
	runtime.SetFinalizer(b, (*DoubleBarrier).Close)
	return b, nil
}

func dbp(p unsafe.Pointer) *C.zkrs_double_barrier { return (*C.zkrs_double_barrier)(p) }

// Enter enters and waits up to timeout (negative: no limit) until every member is in; on failure
// (ErrTimeout, ...) the member is out again.
func (b *DoubleBarrier) Enter(timeout time.Duration) error {
	return b.r.call("enter", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_double_barrier_enter(dbp(p), millis(timeout)) })
}

// Leave leaves and waits up to timeout until every member has left.
func (b *DoubleBarrier) Leave(timeout time.Duration) error {
	return b.r.call("leave", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_double_barrier_leave(dbp(p), millis(timeout)) })
}

// Participating tells whether the member is inside (entered, not left).
func (b *DoubleBarrier) Participating() (bool, error) {
	var ok C.bool
	err := b.r.call("participating", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_double_barrier_participating(dbp(p), &ok)
	})
	return bool(ok), err
}

// Close releases the member object.
func (b *DoubleBarrier) Close() { b.r.close() }

// PartitionState is the state of a SetPartitioner.
type PartitionState int32

// The partitioner states.
const (
	PartitionAllocating PartitionState = C.ZKRS_PARTITION_ALLOCATING // waiting for the party to settle, taking locks
	PartitionAcquired   PartitionState = C.ZKRS_PARTITION_ACQUIRED   // holds the locks of all its items
	PartitionRelease    PartitionState = C.ZKRS_PARTITION_RELEASE    // the party or connection changed: call ReleaseSet
	PartitionFailure    PartitionState = C.ZKRS_PARTITION_FAILURE    // finished or the session was lost; final
)

// SetPartitioner is a member of kazoo's SetPartitioner: the members split items, each holding the
// locks of its share.
type SetPartitioner struct{ r *recipe }

// PartitionFunc decides this member's share: identifier is this member's, members the party's
// identifiers (sorted), items the set (as given, duplicates removed); it returns the items this member
// takes. Every member must decide the same way for the same input. It runs on the partitioner's own
// thread (not a Go-created one), one call at a time, never after Close returns; it must not call the
// partitioner's Close. A panic is recovered and counts as taking nothing.
type PartitionFunc func(identifier string, members, items []string) []string

// partitionCall is the userdata of a partitioner's PartitionFunc, released by zkrs after its last call.
type partitionCall struct{ fn PartitionFunc }

func (p *partitionCall) released() {}

// NewSetPartitioner joins the partition of items at path and starts dividing them. identifier ("" for
// <hostname>-<pid>) must be usable in a node name; the party must be unchanged for timeBoundary
// (negative: kazoo's 30 s) before a division. partition nil is kazoo's round robin over the sorted
// members and sorted items, so Go, C and kazoo members of one group agree.
func (c *Client) NewSetPartitioner(path string, items []string, identifier string, timeBoundary time.Duration, partition PartitionFunc) (*SetPartitioner, error) {
	cid, freeID, err := cOptString("set partitioner", path, identifier)
	if err != nil {
		return nil, err
	}
	defer freeID()
	var arr **C.char
	if len(items) > 0 {
		arr = (**C.char)(C.calloc(C.size_t(len(items)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		defer C.free(unsafe.Pointer(arr))
		citems := unsafe.Slice(arr, len(items))
		for i, it := range items {
			if citems[i], err = cString("set partitioner", path, it); err != nil {
				return nil, err
			}
			defer C.free(unsafe.Pointer(citems[i]))
		}
	}
	if timeBoundary < 0 {
		timeBoundary = 30 * time.Second
	}
	var h cgo.Handle // 0: no partition func
	if partition != nil {
		h = newHandle(&partitionCall{partition})
	}
	reached := false // once zkrs_partitioner_new ran, zkrs releases h (also when it failed)
	r, err := c.newRecipe("set partitioner", path, func(p *C.zkrs_client, cpath *C.char) (unsafe.Pointer, C.zkrs_rc) {
		reached = true
		var out *C.zkrs_partitioner
		rc := C.gozk_partitioner_new(p, cpath, arr, C.size_t(len(items)), cid, millis(timeBoundary), C.uintptr_t(h), &out)
		return unsafe.Pointer(out), rc
	}, func(p unsafe.Pointer) { C.zkrs_partitioner_free((*C.zkrs_partitioner)(p)) })
	if !reached && h != 0 {
		deleteHandle(h)
	}
	if err != nil {
		return nil, err
	}
	s := &SetPartitioner{r}
	runtime.SetFinalizer(s, (*SetPartitioner).Close)
	return s, nil
}

func partp(p unsafe.Pointer) *C.zkrs_partitioner { return (*C.zkrs_partitioner)(p) }

// State is the current state.
func (s *SetPartitioner) State() (PartitionState, error) {
	st, _, err := s.StateID()
	return st, err
}

// StateID is the current state and the number of transitions so far (for WaitForChange).
func (s *SetPartitioner) StateID() (PartitionState, uint64, error) {
	var st C.int32_t
	var id C.uint64_t
	err := s.r.call("state", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_partitioner_state(partp(p), &st, &id) })
	return PartitionState(st), uint64(id), err
}

// WaitForAcquire blocks up to timeout (negative: no limit) until the state is no longer
// PartitionAllocating; true when the set is acquired, false when still allocating at the timeout or in
// PartitionRelease / PartitionFailure (see State).
func (s *SetPartitioner) WaitForAcquire(timeout time.Duration) (bool, error) {
	var st C.int32_t
	err := s.r.call("wait for acquire", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_partitioner_wait_for_acquire(partp(p), millis(timeout), &st)
	})
	if errors.Is(err, ErrTimeout) {
		return false, nil
	}
	return err == nil && PartitionState(st) == PartitionAcquired, err
}

// WaitForChange blocks up to timeout (negative: no limit) until a transition after the one numbered
// seen (from StateID), and returns the new state and its number; at once if seen is not the current
// number. ErrTimeout if nothing changed.
func (s *SetPartitioner) WaitForChange(seen uint64, timeout time.Duration) (PartitionState, uint64, error) {
	var st C.int32_t
	var id C.uint64_t
	err := s.r.call("wait for change", func(p unsafe.Pointer) C.zkrs_rc {
		return C.zkrs_partitioner_wait_for_change(partp(p), C.uint64_t(seen), millis(timeout), &st, &id)
	})
	return PartitionState(st), uint64(id), err
}

// Partitions are the items this member holds: its share while PartitionAcquired and still in
// PartitionRelease; empty otherwise.
func (s *SetPartitioner) Partitions() ([]string, error) {
	var l *C.zkrs_string_list
	if err := s.r.call("partitions", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_partitioner_acquired_items(partp(p), &l) }); err != nil {
		return nil, err
	}
	defer C.zkrs_string_list_free(l)
	return goStrings(l), nil
}

// ReleaseSet releases the locks and divides the set again (after PartitionRelease).
func (s *SetPartitioner) ReleaseSet() error {
	return s.r.call("release set", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_partitioner_release_set(partp(p)) })
}

// Finish releases the locks, leaves the party and ends in PartitionFailure.
func (s *SetPartitioner) Finish() error {
	return s.r.call("finish", func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_partitioner_finish(partp(p)) })
}

// Close finishes the member (if not done; this also ends a WaitForAcquire or WaitForChange in
// progress) and releases the object.
func (s *SetPartitioner) Close() {
	s.r.closeCancelling(func(p unsafe.Pointer) C.zkrs_rc { return C.zkrs_partitioner_finish(partp(p)) })
}

// NonBlockingLease is kazoo's NonBlockingLease: tries once to obtain the lease at path for duration
// under identifier ("" for the host name); true when obtained (nobody held it, its holder's time was
// over, or identifier held it: then it is renewed). now is the current time (time.Time{} for the
// system clock; kazoo's utcnow, for tests). Holders' clocks must roughly agree.
func (c *Client) NonBlockingLease(path string, duration time.Duration, identifier string, now time.Time) (bool, error) {
	cpath, err := cString("lease", path, path)
	if err != nil {
		return false, err
	}
	defer C.free(unsafe.Pointer(cpath))
	cid, freeID, err := cOptString("lease", path, identifier)
	if err != nil {
		return false, err
	}
	defer freeID()
	var ok C.bool
	err = c.withClient("lease", path, func(p *C.zkrs_client) C.zkrs_rc {
		if now.IsZero() {
			return C.zkrs_lease_new(p, cpath, C.int64_t(duration.Milliseconds()), cid, &ok)
		}
		return C.zkrs_lease_new_at(p, cpath, C.int64_t(duration.Milliseconds()), cid, C.int64_t(now.UnixMilli()), &ok)
	})
	return bool(ok), err
}
