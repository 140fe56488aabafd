package zkrs_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

func TestLock(t *testing.T) {
	a, b := connect(t), connect(t)
	root := unique("lock")
	la, err := a.NewLock(root, "alice", zkrs.LockExclusive)
	must(t, err, "lock a")
	defer la.Close()
	lb, err := b.NewLock(root, "bob", zkrs.LockExclusive)
	must(t, err, "lock b")
	defer lb.Close()
	must(t, la.Acquire(wait), "acquire a")
	if !la.IsHeld() {
		t.Fatal("a not held")
	}
	if err := la.Acquire(0); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("re-entrant acquire: %v", err)
	}
	if err := lb.Acquire(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("b while a holds: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- lb.Acquire(wait) }()
	eventually(t, "bob waits", func() bool { c, _ := la.Contenders(); return len(c) == 2 })
	if c, _ := la.Contenders(); c[0] != "alice" || c[1] != "bob" {
		t.Fatalf("contenders: %v", c)
	}
	if ok, err := la.Release(); err != nil || !ok {
		t.Fatalf("release a: %v %v", ok, err)
	}
	select {
	case err := <-got:
		must(t, err, "b after a released")
	case <-time.After(wait):
		t.Fatal("b not granted")
	}
	// Cancel ends a waiting acquire, and so does Close.
	go func() { got <- la.Acquire(wait) }()
	eventually(t, "alice waits", func() bool { c, _ := lb.Contenders(); return len(c) == 2 })
	must(t, la.Cancel(), "cancel")
	select {
	case err := <-got:
		if !errors.Is(err, zkrs.ErrCancelled) {
			t.Fatalf("cancelled acquire: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("cancel did not end the acquire")
	}
	// A loss is told: someone deletes the holder's node.
	lost := make(chan struct{}, 1)
	must(t, lb.OnLost(func() { lost <- struct{}{} }), "on lost")
	kids, _, err := a.Children(ctx(t), root)
	must(t, err, "children")
	if len(kids) != 1 {
		t.Fatalf("contender nodes: %v", kids)
	}
	must(t, a.Delete(ctx(t), root+"/"+kids[0], zkrs.AnyVersion), "delete holder's node")
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("loss not told")
	}
	if lb.IsHeld() {
		t.Fatal("still held after loss")
	}
	// With an extra pattern, a foreign contender node (Curator's naming) is waited for too.
	_, _, err = a.Create(ctx(t), root+"/_c_0123-lock-", nil, &zkrs.CreateOptions{Mode: zkrs.EphemeralSequential})
	must(t, err, "foreign contender")
	lp, err := b.NewLock(root, "", zkrs.LockExclusive, "-lock-")
	must(t, err, "lock with a pattern")
	defer lp.Close()
	if err := lp.Acquire(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("acquire behind a foreign contender: %v", err)
	}
	plain, err := b.NewLock(root, "", zkrs.LockExclusive)
	must(t, err, "lock without patterns")
	defer plain.Close()
	must(t, plain.Acquire(wait), "a lock without the pattern ignores the foreign node")
	plain.Release()
	lb.Close()
	if err := lb.Acquire(0); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("acquire after close: %v", err)
	}
	must(t, a.DeleteRecursive(ctx(t), root), "cleanup")
}

// 20 goroutines, each with its own Lock on one shared client: never two holders at once.
func TestLockMutualExclusion(t *testing.T) {
	c := connect(t)
	root := unique("mutex")
	var holders, entered int32
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		l, err := c.NewLock(root, "", zkrs.LockExclusive)
		must(t, err, "new lock")
		defer l.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				if err := l.Acquire(3 * wait); err != nil {
					t.Error(err)
					return
				}
				if atomic.AddInt32(&holders, 1) != 1 {
					t.Error("two holders at once")
				}
				atomic.AddInt32(&entered, 1)
				time.Sleep(time.Millisecond)
				atomic.AddInt32(&holders, -1)
				if _, err := l.Release(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if entered != 60 {
		t.Fatalf("%d critical sections, want 60", entered)
	}
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}

func TestReadWriteLocks(t *testing.T) {
	c := connect(t)
	root := unique("rwlock")
	r1, err := c.NewLock(root, "r1", zkrs.LockRead)
	must(t, err, "r1")
	defer r1.Close()
	r2, err := c.NewLock(root, "r2", zkrs.LockRead)
	must(t, err, "r2")
	defer r2.Close()
	w, err := c.NewLock(root, "w", zkrs.LockWrite)
	must(t, err, "w")
	defer w.Close()
	must(t, r1.Acquire(wait), "r1")
	must(t, r2.Acquire(wait), "r2 beside r1")
	if err := w.Acquire(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("writer beside readers: %v", err)
	}
	r1.Release()
	r2.Release()
	must(t, w.Acquire(wait), "writer alone")
	if err := r1.Acquire(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("reader beside the writer: %v", err)
	}
	w.Release()
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}

func TestSemaphore(t *testing.T) {
	c, other := connect(t), connect(t)
	root := unique("sem")
	var sems []*zkrs.Semaphore
	for i, cl := range []*zkrs.Client{c, c, other} {
		s, err := cl.NewSemaphore(root, string(rune('a'+i)), 2)
		must(t, err, "new semaphore")
		defer s.Close()
		sems = append(sems, s)
	}
	must(t, sems[0].Acquire(wait), "lease a")
	must(t, sems[1].Acquire(wait), "lease b")
	if err := sems[2].Acquire(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("third lease: %v", err)
	}
	holders, err := sems[2].LeaseHolders()
	must(t, err, "holders")
	if len(holders) != 2 {
		t.Fatalf("holders: %v", holders)
	}
	got := make(chan error, 1)
	go func() { got <- sems[2].Acquire(wait) }()
	time.Sleep(50 * time.Millisecond)
	if ok, err := sems[0].Release(); err != nil || !ok {
		t.Fatalf("release: %v %v", ok, err)
	}
	select {
	case err := <-got:
		must(t, err, "third lease after a release")
	case <-time.After(wait):
		t.Fatal("third not granted")
	}
	if !sems[2].IsHeld() || sems[0].IsHeld() {
		t.Fatal("held flags wrong")
	}
	bad, err := c.NewSemaphore(root, "x", 5)
	must(t, err, "semaphore with another limit")
	defer bad.Close()
	if err := bad.Acquire(0); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("different limit: %v", err)
	}
	sems[1].Release()
	sems[2].Release()
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}

func TestElection(t *testing.T) {
	a, b := connect(t), connect(t)
	root := unique("election")
	ea, err := a.NewElection(root, "alice")
	must(t, err, "candidate a")
	defer ea.Close()
	eb, err := b.NewElection(root, "bob")
	must(t, err, "candidate b")
	defer eb.Close()
	leading := make(chan string, 2)
	stepDown := make(chan struct{})
	done := make(chan error, 2)
	go func() {
		done <- ea.Run(wait, func(l *zkrs.Leadership) {
			if !l.Held() {
				t.Error("alice leads without leadership")
			}
			leading <- "alice"
			<-stepDown
		})
	}()
	if who := <-leading; who != "alice" {
		t.Fatalf("leader %s", who)
	}
	go func() { done <- eb.Run(wait, func(*zkrs.Leadership) { leading <- "bob" }) }()
	eventually(t, "bob is a candidate", func() bool { c, _ := ea.Contenders(); return len(c) == 2 })
	if c, _ := eb.Contenders(); c[0] != "alice" || c[1] != "bob" {
		t.Fatalf("contenders: %v", c)
	}
	select {
	case who := <-leading:
		t.Fatalf("%s leads while alice does", who)
	case <-time.After(100 * time.Millisecond):
	}
	close(stepDown)
	must(t, <-done, "alice's run")
	select {
	case who := <-leading:
		if who != "bob" {
			t.Fatalf("next leader %s", who)
		}
	case <-time.After(wait):
		t.Fatal("bob not elected")
	}
	must(t, <-done, "bob's run")
	// A panic in the leader func comes out of Run, not through zkrs.
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v", p)
			}
		}()
		ea.Run(wait, func(*zkrs.Leadership) { panic("boom") })
		t.Fatal("Run returned after a panicking leader")
	}()
	// Cancel ends a candidate's wait.
	hold := make(chan struct{})
	go func() { done <- ea.Run(wait, func(*zkrs.Leadership) { leading <- "alice"; <-hold }) }()
	<-leading
	go func() { done <- eb.Run(wait, func(*zkrs.Leadership) { leading <- "bob" }) }()
	eventually(t, "bob waits", func() bool { c, _ := ea.Contenders(); return len(c) == 2 })
	must(t, eb.Cancel(), "cancel")
	if err := <-done; !errors.Is(err, zkrs.ErrCancelled) {
		t.Fatalf("cancelled run: %v", err)
	}
	close(hold)
	must(t, <-done, "alice's run")
	must(t, a.DeleteRecursive(ctx(t), root), "cleanup")
}
