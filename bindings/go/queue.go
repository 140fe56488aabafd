package zkrs

import "sync"

// callbackQueue runs the funcs of one client (persistent watches, state listeners) one at a time, in
// the order zkrs reported their events, on one goroutine of its own. zkrs's event thread only appends
// to it, so a slow func never delays the completions of other calls, and a func may call any method
// of the client (its results come from zkrs's event thread, not from this goroutine).
type callbackQueue struct {
	mu      sync.Mutex
	pending []func()
	closed  bool
	done    bool          // run returned
	wake    chan struct{} // holds one token while pending is not empty or closed is set
}

func newCallbackQueue() *callbackQueue {
	return &callbackQueue{wake: make(chan struct{}, 1)}
}

func (q *callbackQueue) push(f func()) {
	q.mu.Lock()
	if q.done {
		q.mu.Unlock()
		go f() // nothing is left to run it in order; running it late beats never
		return
	}
	q.pending = append(q.pending, f)
	q.mu.Unlock()
	q.signal()
}

// close lets run return once everything pushed so far has run.
func (q *callbackQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *callbackQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *callbackQueue) run() {
	for {
		<-q.wake
		q.mu.Lock()
		batch, closed := q.pending, q.closed
		q.pending = nil
		q.mu.Unlock()
		for _, f := range batch {
			f()
		}
		if closed {
			q.mu.Lock()
			rest := q.pending
			q.pending, q.done = nil, true
			q.mu.Unlock()
			for _, f := range rest {
				f()
			}
			return
		}
	}
}
