// Package zkrs is the Go binding of zkrs, a ZooKeeper client written in Rust and shipped as a C
// library (libzkrs.so, include/zkrs.h). It is a cgo package without dependencies.
//
//	c, err := zkrs.Connect("127.0.0.1:2181", 10*time.Second)
//	if err != nil { ... }
//	defer c.Close()
//	path, _, err := c.Create(ctx, "/app", []byte("hi"), nil)
//	data, stat, events, err := c.GetW(ctx, "/app") // events: one-shot watch
//	if errors.Is(err, zkrs.ErrNoNode) { ... }
//
// # How calls are made
//
// Every operation uses zkrs's async C call: the goroutine submits the request (a short cgo call),
// then waits on a Go channel that the completion fills. The completion is a Go function exported to C
// (callbacks.go) that zkrs runs on the client's event thread; it copies the borrowed C results and
// does one buffered channel send, so it never blocks that thread. The reasons for this over the
// simpler sync C calls: a waiting goroutine holds no OS thread (with sync calls 100 goroutines waiting
// on the server would pin 100 threads in C), the wait honours a context.Context (the sync calls only
// know a timeout), and the results of many goroutines are pipelined on the one session. The cost is
// one cgo callback per call. A few rare calls that block only briefly (Start, Command, ServerVersion,
// PersistentWatch.Remove) use the sync C functions.
//
// # Callbacks and userdata
//
// What zkrs passes back to Go is a runtime/cgo.Handle given as the C userdata (an integer: no Go
// pointer is ever stored in C memory, so the package is clean under GODEBUG=cgocheck=2). A completion
// deletes its handle; a long-lived registration (a watch, a state listener) is released by zkrs's
// free_userdata callback, which zkrs calls exactly once after the last event.
//
// One-shot watches (GetW, ExistsW, ChildrenW) deliver their single event on a channel with room for
// it, which is then closed; a terminal event (EventDataWatchRemoved, EventSessionExpired,
// EventClientClosed, ...) also ends the watch. Persistent watches (AddWatch) and state listeners
// (AddStateListener) call Go funcs: zkrs's event thread queues each event, and one goroutine per
// client runs the funcs in the order of the events. A func may therefore block or call any method of
// the client without stalling zkrs.
//
// # Errors
//
// Failed calls return a *Error (operation, path, Code, detail) that wraps its Code, so
// errors.Is(err, zkrs.ErrNoNode) works; a transaction the server refused returns a *TxnError naming
// the failed operation. A call whose context ends first returns ctx.Err(); its request is not
// withdrawn and may still be applied.
//
// # Recipes
//
// Lock, Semaphore, Election, Counter, Queue (and LockingQueue), Barrier, DoubleBarrier, Party, SetPartitioner,
// DataWatch, ChildrenWatch and TreeCache are kazoo's recipes on kazoo's nodes, over zkrs's C recipes.
// Their C calls are synchronous: a waiting Acquire, Run, Get or Wait holds its OS thread up to its
// timeout (Cancel, Close or the client's Close end it early). Their funcs (DataWatch, ChildrenWatch,
// TreeCache listeners, lost-lock funcs) run on the client's callback goroutine like the other funcs;
// Election's leader func runs on the goroutine that called Run.
//
// # Linking
//
// Build with CGO_CFLAGS=-I<repo>/include and CGO_LDFLAGS="-L<libdir> -Wl,-rpath,<libdir>", where
// libdir holds libzkrs.so (cargo build puts it in target/debug or target/release).
package zkrs
