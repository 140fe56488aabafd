package zkrs_test

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

func TestCounter(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("counter")
	k, err := c.NewCounter(root+"/int", zkrs.CounterInt)
	must(t, err, "new counter")
	defer k.Close()
	pre, post, err := k.Add(5)
	must(t, err, "add")
	if pre != 0 || post != 5 {
		t.Fatalf("add: %d -> %d", pre, post)
	}
	pre, post, err = k.Subtract(7)
	must(t, err, "subtract")
	if pre != 5 || post != -2 {
		t.Fatalf("subtract: %d -> %d", pre, post)
	}
	// kazoo's layout: the value as decimal text in the node.
	data, _, err := c.Get(ctx, root+"/int")
	must(t, err, "get node")
	if string(data) != "-2" {
		t.Fatalf("node holds %q", data)
	}
	if _, _, err := k.AddFloat(1.5); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("float add on an int counter: %v", err)
	}

	// 20 goroutines, 10 increments each, through two counter objects on one node: none lost.
	k2, err := c.NewCounter(root+"/int", zkrs.CounterInt)
	must(t, err, "second counter")
	defer k2.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func(k *zkrs.Counter) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, _, err := k.Add(1); err != nil {
					errs <- err
					return
				}
			}
		}([]*zkrs.Counter{k, k2}[g%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v, err := k2.Value()
	must(t, err, "value")
	if v != 198 {
		t.Fatalf("value after 200 increments from -2: %d", v)
	}

	f, err := c.NewCounter(root+"/float", zkrs.CounterFloat)
	must(t, err, "float counter")
	defer f.Close()
	_, fpost, err := f.AddFloat(2.5)
	must(t, err, "add float")
	_, fpost, err = f.SubtractFloat(0.25)
	must(t, err, "subtract float")
	if fv, err := f.ValueFloat(); err != nil || fv != 2.25 || fpost != 2.25 {
		t.Fatalf("float value: %v %v %v", fv, fpost, err)
	}

	cur, err := c.NewCounter(root+"/curator", zkrs.CounterCurator)
	must(t, err, "curator counter")
	defer cur.Close()
	_, _, err = cur.Add(300)
	must(t, err, "curator add")
	data, _, err = c.Get(ctx, root+"/curator")
	must(t, err, "get curator node")
	if len(data) != 4 || int32(binary.BigEndian.Uint32(data)) != 300 {
		t.Fatalf("curator node holds %v", data)
	}
	if _, err := c.NewCounter("bad", zkrs.CounterInt); !errors.Is(err, zkrs.ErrInvalidPath) {
		t.Fatalf("bad path: %v", err)
	}
	if _, err := c.NewCounter(root+"/x", 9); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("bad kind: %v", err)
	}
	k.Close()
	if _, err := k.Value(); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("closed counter: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func TestQueue(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("queue")
	q, err := c.NewQueue(root, false)
	must(t, err, "new queue")
	defer q.Close()
	must(t, q.Put([]byte("low"), 500), "put")
	must(t, q.Put([]byte("first"), 1), "put")
	must(t, q.PutAll([][]byte{[]byte("a"), nil, []byte("b")}, zkrs.DefaultPriority), "put all")
	if n, err := q.Len(); err != nil || n != 5 {
		t.Fatalf("len: %d %v", n, err)
	}
	var got []string
	for i := 0; i < 5; i++ {
		v, err := q.Get(wait)
		must(t, err, "get")
		got = append(got, string(v))
	}
	if want := "first,a,,b,low"; joinComma(got) != want {
		t.Fatalf("order %q, want %q", joinComma(got), want)
	}
	start := time.Now()
	if _, err := q.Get(200 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("get on an empty queue: %v", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatal("get returned before its timeout")
	}
	// A get waiting on an empty queue is woken by a put from another goroutine.
	done := make(chan string, 1)
	go func() {
		v, err := q.Get(wait)
		if err != nil {
			done <- err.Error()
			return
		}
		done <- string(v)
	}()
	time.Sleep(50 * time.Millisecond)
	must(t, q.Put([]byte("late"), 7), "put")
	select {
	case v := <-done:
		if v != "late" {
			t.Fatalf("waiting get: %s", v)
		}
	case <-time.After(wait):
		t.Fatal("waiting get not woken")
	}
	if _, err := q.Consume(); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("consume on a plain queue: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func TestLockingQueueSharedByGoroutines(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("lqueue")
	q, err := c.NewQueue(root, true)
	must(t, err, "new queue")
	defer q.Close()
	must(t, q.Put([]byte("job"), 1), "put")
	v, err := q.Get(wait)
	must(t, err, "get")
	if string(v) != "job" {
		t.Fatalf("got %q", v)
	}
	if ok, err := q.HoldsLock(); err != nil || !ok {
		t.Fatalf("holds lock: %v %v", ok, err)
	}
	// Another consumer (its own session) cannot take the locked entry.
	other := connect(t)
	q2, err := other.NewQueue(root, true)
	must(t, err, "second queue")
	defer q2.Close()
	if _, err := q2.Get(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("get of a locked entry: %v", err)
	}
	if ok, err := q.Release(); err != nil || !ok {
		t.Fatalf("release: %v %v", ok, err)
	}
	v, err = q2.Get(wait)
	must(t, err, "get after release")
	if string(v) != "job" {
		t.Fatalf("second consumer got %q", v)
	}
	if ok, err := q2.Consume(); err != nil || !ok {
		t.Fatalf("consume: %v %v", ok, err)
	}
	if n, err := q.Len(); err != nil || n != 0 {
		t.Fatalf("len after consume: %d %v", n, err)
	}

	// 8 workers, each with its own locking queue object on one client, drain 40 jobs: each job once.
	const jobs, workers = 40, 8
	for i := 0; i < jobs; i++ {
		must(t, q.Put([]byte(strconv.Itoa(i)), zkrs.DefaultPriority), "put job")
	}
	var mu sync.Mutex
	var seen []int
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wq, err := c.NewQueue(root, true)
		must(t, err, "worker queue")
		defer wq.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				v, err := wq.Get(300 * time.Millisecond)
				if errors.Is(err, zkrs.ErrTimeout) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				n, _ := strconv.Atoi(string(v))
				if ok, err := wq.Consume(); err != nil || !ok {
					t.Errorf("consume %d: %v %v", n, ok, err)
					return
				}
				mu.Lock()
				seen = append(seen, n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Ints(seen)
	if len(seen) != jobs {
		t.Fatalf("%d jobs done, want %d: %v", len(seen), jobs, seen)
	}
	for i, n := range seen {
		if n != i {
			t.Fatalf("jobs done: %v", seen)
		}
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func TestBarrier(t *testing.T) {
	c := connect(t)
	root := unique("barrier")
	b, err := c.NewBarrier(root + "/b")
	must(t, err, "new barrier")
	defer b.Close()
	must(t, b.Wait(0), "wait on a barrier not in place")
	must(t, b.Create(), "create")
	must(t, b.Create(), "create again")
	if err := b.Wait(100 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("wait on a barrier in place: %v", err)
	}
	released := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() { released <- b.Wait(wait) }()
	}
	time.Sleep(50 * time.Millisecond)
	other := connect(t)
	ob, err := other.NewBarrier(root + "/b")
	must(t, err, "barrier on another client")
	defer ob.Close()
	if ok, err := ob.Remove(); err != nil || !ok {
		t.Fatalf("remove: %v %v", ok, err)
	}
	for i := 0; i < 3; i++ {
		select {
		case err := <-released:
			must(t, err, "released waiter")
		case <-time.After(wait):
			t.Fatal("waiter not released")
		}
	}
	if ok, err := ob.Remove(); err != nil || ok {
		t.Fatalf("second remove: %v %v", ok, err)
	}
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}

func TestParty(t *testing.T) {
	c := connect(t)
	other := connect(t)
	root := unique("party")
	for _, shallow := range []bool{false, true} {
		path := root + "/p" + strconv.FormatBool(shallow)
		a, err := c.NewParty(path, "alice", shallow)
		must(t, err, "party a")
		defer a.Close()
		b, err := other.NewParty(path, "bob", shallow)
		must(t, err, "party b")
		defer b.Close()
		must(t, a.Join(), "join a")
		must(t, b.Join(), "join b")
		members, err := a.Members()
		must(t, err, "members")
		sort.Strings(members)
		if n, err := b.Len(); err != nil || n != 2 || joinComma(members) != "alice,bob" {
			t.Fatalf("shallow=%v members %v len %d %v", shallow, members, n, err)
		}
		if ok, err := b.Leave(); err != nil || !ok {
			t.Fatalf("leave: %v %v", ok, err)
		}
		if ok, _ := b.Participating(); ok {
			t.Fatal("participating after leave")
		}
		if ok, _ := a.Participating(); !ok {
			t.Fatal("not participating after join")
		}
		members, err = b.Members()
		if err != nil || joinComma(members) != "alice" {
			t.Fatalf("members after leave: %v %v", members, err)
		}
	}
	if _, err := c.NewParty(root+"/s", "a/b", true); !errors.Is(err, zkrs.ErrInvalidPath) {
		t.Fatalf("shallow identifier with a slash: %v", err)
	}
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}

func TestDoubleBarrier(t *testing.T) {
	root := unique("dbarrier")
	const members = 3
	clients := []*zkrs.Client{connect(t), connect(t), connect(t)}
	var wg sync.WaitGroup
	errs := make(chan error, 2*members)
	entered := make(chan int, members)
	for i, c := range clients {
		b, err := c.NewDoubleBarrier(root, members, "m"+strconv.Itoa(i))
		must(t, err, "new double barrier")
		defer b.Close()
		wg.Add(1)
		go func(i int, b *zkrs.DoubleBarrier) {
			defer wg.Done()
			if err := b.Enter(wait); err != nil {
				errs <- err
				return
			}
			if ok, err := b.Participating(); err != nil || !ok {
				errs <- errors.New("not participating after enter")
			}
			entered <- i
			if err := b.Leave(wait); err != nil {
				errs <- err
			}
		}(i, b)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(entered) != members {
		t.Fatalf("%d members entered", len(entered))
	}
	// Alone, a member of a barrier for two cannot get in.
	lone, err := clients[0].NewDoubleBarrier(root+"-2", 2, "")
	must(t, err, "new double barrier")
	defer lone.Close()
	if err := lone.Enter(200 * time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("enter alone: %v", err)
	}
	if ok, _ := lone.Participating(); ok {
		t.Fatal("participating after a failed enter")
	}
	if _, err := clients[0].NewDoubleBarrier(root, 0, ""); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("zero members: %v", err)
	}
	clients[0].DeleteRecursive(ctx(t), root)
	clients[0].DeleteRecursive(ctx(t), root+"-2")
}

// settle drives the members until every one holds its share: ReleaseSet in PartitionRelease,
// otherwise WaitForChange on a member still dividing.
func settle(t *testing.T, members ...*zkrs.SetPartitioner) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		var pending *zkrs.SetPartitioner
		var pendingID uint64
		for _, p := range members {
			st, id, err := p.StateID()
			must(t, err, "state")
			switch st {
			case zkrs.PartitionRelease:
				must(t, p.ReleaseSet(), "release set")
			case zkrs.PartitionAllocating:
				pending, pendingID = p, id
			case zkrs.PartitionFailure:
				t.Fatal("a member failed")
			}
		}
		if pending == nil {
			if all := allAcquired(t, members); all {
				return
			}
			continue
		}
		if _, _, err := pending.WaitForChange(pendingID, 200*time.Millisecond); err != nil && !errors.Is(err, zkrs.ErrTimeout) {
			t.Fatalf("wait for change: %v", err)
		}
	}
	t.Fatal("the members did not all acquire their share")
}

func allAcquired(t *testing.T, members []*zkrs.SetPartitioner) bool {
	for _, p := range members {
		if st, err := p.State(); err != nil || st != zkrs.PartitionAcquired {
			return false
		}
	}
	return true
}

func TestSetPartitioner(t *testing.T) {
	a, b := connect(t), connect(t)
	root := unique("partition")
	items := []string{"a", "b", "c", "d", "e"}
	pa, err := a.NewSetPartitioner(root, items, "m1", 200*time.Millisecond, nil)
	must(t, err, "member 1")
	defer pa.Close()
	if ok, err := pa.WaitForAcquire(wait); err != nil || !ok {
		t.Fatalf("alone: wait for acquire: %v %v", ok, err)
	}
	alone, err := pa.Partitions()
	must(t, err, "partitions")
	if joinComma(alone) != "a,b,c,d,e" {
		t.Fatalf("alone the member holds %v", alone)
	}
	_, seen, err := pa.StateID()
	must(t, err, "state id")
	if _, _, err := pa.WaitForChange(seen, 50*time.Millisecond); !errors.Is(err, zkrs.ErrTimeout) {
		t.Fatalf("wait for change with nothing changing: %v", err)
	}
	pb, err := b.NewSetPartitioner(root, items, "m2", 200*time.Millisecond, nil)
	must(t, err, "member 2")
	defer pb.Close()
	// The second member joining makes the first one's division stale: it goes to PartitionRelease.
	st, id, err := pa.WaitForChange(seen, wait)
	must(t, err, "wait for the party change")
	if st != zkrs.PartitionRelease || id <= seen {
		t.Fatalf("after a member joined: state %v id %d (was %d)", st, id, seen)
	}
	if held, _ := pa.Partitions(); joinComma(held) != "a,b,c,d,e" {
		t.Fatalf("in release the member still holds its items, got %v", held)
	}
	settle(t, pa, pb)
	x, _ := pa.Partitions()
	y, _ := pb.Partitions()
	// kazoo's round robin over the sorted members and items.
	if joinComma(x) != "a,c,e" || joinComma(y) != "b,d" {
		t.Fatalf("shares %v and %v", x, y)
	}
	if ok, err := pa.WaitForAcquire(wait); err != nil || !ok {
		t.Fatalf("wait for acquire: %v %v", ok, err)
	}
	must(t, pb.Finish(), "finish")
	if st, _ := pb.State(); st != zkrs.PartitionFailure {
		t.Fatalf("state after finish: %v", st)
	}
	if ok, err := pb.WaitForAcquire(0); err != nil || ok {
		t.Fatalf("wait for acquire after finish: %v %v", ok, err)
	}
	if held, _ := pb.Partitions(); len(held) != 0 {
		t.Fatalf("finished member holds %v", held)
	}
	if _, err := a.NewSetPartitioner(root, []string{"x/y"}, "", -1, nil); !errors.Is(err, zkrs.ErrBadArguments) && !errors.Is(err, zkrs.ErrInvalidPath) {
		t.Fatalf("item with a slash: %v", err)
	}
	pa.Close()
	if _, err := pa.State(); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("state after close: %v", err)
	}
	a.DeleteRecursive(ctx(t), root)
}

func TestSetPartitionerFunc(t *testing.T) {
	a, b := connect(t), connect(t)
	root := unique("partition-fn")
	items := []string{"a", "b", "c", "d"}
	before := zkrs.LiveHandles()
	var mu sync.Mutex
	calls := map[string][]string{} // identifier -> the members it was last called with
	// The first of the sorted members takes the first two items, the other the rest.
	split := func(identifier string, members, set []string) []string {
		mu.Lock()
		calls[identifier] = members
		mu.Unlock()
		if identifier == members[0] {
			return set[:2]
		}
		return append([]string{"not-an-item"}, set[2:]...)
	}
	pa, err := a.NewSetPartitioner(root, items, "m1", 100*time.Millisecond, split)
	must(t, err, "member 1")
	pb, err := b.NewSetPartitioner(root, items, "m2", 100*time.Millisecond, split)
	must(t, err, "member 2")
	if n := zkrs.LiveHandles() - before; n != 2 {
		t.Fatalf("%d live handles for 2 partition funcs", n)
	}
	settle(t, pa, pb)
	x, _ := pa.Partitions()
	y, _ := pb.Partitions()
	if joinComma(x) != "a,b" || joinComma(y) != "c,d" {
		t.Fatalf("shares %v and %v", x, y)
	}
	mu.Lock()
	if joinComma(calls["m1"]) != "m1,m2" || joinComma(calls["m2"]) != "m1,m2" {
		t.Fatalf("partition func called with %v", calls)
	}
	mu.Unlock()
	pa.Close()
	pb.Close()
	eventually(t, "the partition funcs released", func() bool { return zkrs.LiveHandles() == before })

	// A panicking func takes nothing, and does not take the process down.
	p, err := a.NewSetPartitioner(root+"-panic", items, "m1", 0, func(string, []string, []string) []string { panic("boom") })
	must(t, err, "panicking member")
	if ok, err := p.WaitForAcquire(wait); err != nil || !ok {
		t.Fatalf("panicking func: wait for acquire: %v %v", ok, err)
	}
	if held, _ := p.Partitions(); len(held) != 0 {
		t.Fatalf("panicking func holds %v", held)
	}
	p.Close()
	// A call refused before reaching zkrs releases the func as well.
	a.Close()
	if _, err := a.NewSetPartitioner(root, items, "m1", 0, split); err == nil {
		t.Fatal("new partitioner on a closed client")
	}
	eventually(t, "every partition func released", func() bool { return zkrs.LiveHandles() == before })
	b.DeleteRecursive(ctx(t), root)
	b.DeleteRecursive(ctx(t), root+"-panic")
}

func TestNonBlockingLease(t *testing.T) {
	c := connect(t)
	root := unique("lease")
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	got := func(who string, at time.Time) bool {
		t.Helper()
		ok, err := c.NonBlockingLease(root, time.Minute, who, at)
		must(t, err, "lease")
		return ok
	}
	if !got("alice", t0) {
		t.Fatal("free lease not obtained")
	}
	if got("bob", t0.Add(30*time.Second)) {
		t.Fatal("bob got alice's running lease")
	}
	if !got("alice", t0.Add(30*time.Second)) {
		t.Fatal("alice could not renew")
	}
	if !got("bob", t0.Add(2*time.Minute)) {
		t.Fatal("bob did not get the expired lease")
	}
	// kazoo's node: JSON naming the holder.
	data, _, err := c.Get(ctx(t), root+"/lease_holder")
	must(t, err, "holder node")
	if !strings.Contains(string(data), `"holder": "bob"`) && !strings.Contains(string(data), `"holder":"bob"`) {
		t.Fatalf("holder node %s", data)
	}
	if _, err := c.NonBlockingLease(root, -time.Second, "x", time.Time{}); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("negative duration: %v", err)
	}
	must(t, c.DeleteRecursive(ctx(t), root), "cleanup")
}
