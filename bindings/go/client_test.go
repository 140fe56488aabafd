package zkrs_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

func TestEveryLibraryCodeHasAGoConstant(t *testing.T) {
	table := zkrs.CodeTable()
	if len(table) < 50 {
		t.Fatalf("zkrs_rc_table has %d codes", len(table))
	}
	seen := 0
	for _, d := range table {
		if d.Code == 0 {
			continue
		}
		got, ok := zkrs.GoCodes[d.Name]
		if !ok {
			t.Errorf("no Go constant for ZKRS_RC_%s (%d)", d.Name, d.Code)
			continue
		}
		if got != d.Code {
			t.Errorf("Go constant for %s is %d, the library says %d", d.Name, got, d.Code)
		}
		if d.Code.Name() != d.Name || d.Code.Error() != d.Message {
			t.Errorf("%d: Name %q Error %q, table %q %q", d.Code, d.Code.Name(), d.Code.Error(), d.Name, d.Message)
		}
		seen++
	}
	if seen != len(zkrs.GoCodes) {
		t.Errorf("%d Go constants, %d codes in the library", len(zkrs.GoCodes), seen)
	}
	if !zkrs.ErrConnectionLoss.Retriable() || zkrs.ErrNoNode.Retriable() {
		t.Error("Retriable: CONNECTION_LOSS should be retriable, NO_NODE not")
	}
}

func TestCreateGetSetDelete(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("crud")
	p, stat, err := c.Create(ctx, root, []byte("hello"), nil)
	must(t, err, "create")
	if p != root || stat == nil || stat.Version != 0 || stat.DataLength != 5 {
		t.Fatalf("create returned %q %+v", p, stat)
	}
	data, stat, err := c.Get(ctx, root)
	must(t, err, "get")
	if string(data) != "hello" || stat.Version != 0 {
		t.Fatalf("get: %q %+v", data, stat)
	}
	stat, err = c.Set(ctx, root, []byte("world"), 0)
	must(t, err, "set")
	if stat.Version != 1 {
		t.Fatalf("set: version %d", stat.Version)
	}
	// A stale version is refused, with an error that wraps the code and names the call.
	_, err = c.Set(ctx, root, []byte("x"), 0)
	if !errors.Is(err, zkrs.ErrBadVersion) {
		t.Fatalf("set with a stale version: %v", err)
	}
	var zerr *zkrs.Error
	if !errors.As(err, &zerr) || zerr.Op != "set" || zerr.Path != root || zerr.Code != zkrs.ErrBadVersion {
		t.Fatalf("errors.As: %#v", zerr)
	}
	if !strings.Contains(err.Error(), root) {
		t.Errorf("error text %q does not name the path", err.Error())
	}
	_, _, err = c.Create(ctx, root, nil, nil)
	if !errors.Is(err, zkrs.ErrNodeExists) {
		t.Fatalf("second create: %v", err)
	}
	// Empty and binary data round-trip exactly.
	bin := []byte{0, 1, 2, 255, 0}
	_, _, err = c.Create(ctx, root+"/bin", bin, nil)
	must(t, err, "create binary")
	got, _, err := c.Get(ctx, root+"/bin")
	must(t, err, "get binary")
	if !bytes.Equal(got, bin) {
		t.Fatalf("binary data: %v", got)
	}
	_, _, err = c.Create(ctx, root+"/empty", nil, nil)
	must(t, err, "create empty")
	got, st, err := c.Get(ctx, root+"/empty")
	must(t, err, "get empty")
	if len(got) != 0 || st.DataLength != 0 {
		t.Fatalf("empty data: %v", got)
	}

	ok, st, err := c.Exists(ctx, root)
	must(t, err, "exists")
	if !ok || st.NumChildren != 2 {
		t.Fatalf("exists: %v %+v", ok, st)
	}
	ok, st, err = c.Exists(ctx, root+"/missing")
	must(t, err, "exists missing")
	if ok || st != nil {
		t.Fatalf("exists on a missing node: %v %+v", ok, st)
	}
	kids, _, err := c.Children(ctx, root)
	must(t, err, "children")
	if strings.Join(sorted(kids), ",") != "bin,empty" {
		t.Fatalf("children: %v", kids)
	}
	if err := c.Delete(ctx, root, zkrs.AnyVersion); !errors.Is(err, zkrs.ErrNotEmpty) {
		t.Fatalf("delete of a node with children: %v", err)
	}
	must(t, c.Delete(ctx, root+"/bin", 0), "delete with version")
	if _, _, err := c.Get(ctx, root+"/bin"); !errors.Is(err, zkrs.ErrNoNode) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := c.Delete(ctx, root+"/bin", zkrs.AnyVersion); !errors.Is(err, zkrs.ErrNoNode) {
		t.Fatalf("delete of a missing node: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "delete recursive")
	if ok, _, _ := c.Exists(ctx, root); ok {
		t.Fatal("node still there after DeleteRecursive")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestCreateModesAndHelpers(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("modes")
	must(t, c.EnsurePath(ctx, root+"/a/b"), "ensure path")
	must(t, c.EnsurePath(ctx, root+"/a/b"), "ensure path again")
	p1, _, err := c.Create(ctx, root+"/seq-", nil, &zkrs.CreateOptions{Mode: zkrs.PersistentSequential})
	must(t, err, "sequential")
	p2, _, err := c.Create(ctx, root+"/seq-", nil, &zkrs.CreateOptions{Mode: zkrs.PersistentSequential})
	must(t, err, "sequential")
	if !strings.HasPrefix(p1, root+"/seq-") || len(p1) != len(root+"/seq-")+10 || p2 <= p1 {
		t.Fatalf("sequential paths %q %q", p1, p2)
	}
	eph, stat, err := c.Create(ctx, root+"/eph", nil, &zkrs.CreateOptions{Mode: zkrs.Ephemeral})
	must(t, err, "ephemeral")
	sid, err := c.SessionID()
	must(t, err, "session id")
	if stat.EphemeralOwner != sid || sid == 0 {
		t.Fatalf("ephemeral owner %x, session %x", stat.EphemeralOwner, sid)
	}
	list, err := c.Ephemerals(ctx, root)
	must(t, err, "ephemerals")
	if len(list) != 1 || list[0] != eph {
		t.Fatalf("ephemerals: %v", list)
	}
	_, _, err = c.Create(ctx, root+"/x/y/z", []byte("deep"), &zkrs.CreateOptions{MakePath: true})
	must(t, err, "makepath")
	_, _, err = c.Create(ctx, root+"/ttl", nil, &zkrs.CreateOptions{Mode: zkrs.PersistentWithTTL, TTL: time.Hour})
	must(t, err, "ttl node")
	n, err := c.AllChildrenNumber(ctx, root)
	must(t, err, "all children number")
	// a, a/b, seq x2, eph, x, x/y, x/y/z, ttl
	if n != 9 {
		t.Fatalf("all children number: %d", n)
	}
	must(t, c.Sync(ctx, root), "sync")

	// Bad input is refused before anything is sent, with a clear code.
	if _, _, err := c.Create(ctx, "no-slash", nil, nil); !errors.Is(err, zkrs.ErrInvalidPath) {
		t.Fatalf("relative path: %v", err)
	}
	if _, _, err := c.Get(ctx, root+"\x00evil"); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("path with a NUL byte: %v", err)
	}
	if _, _, err := c.Create(ctx, root+"/m", nil, &zkrs.CreateOptions{Mode: 42}); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("unknown mode: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func TestACLsAndAuth(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("acl")
	acl := []zkrs.ACL{zkrs.DigestACL(zkrs.PermAll, "alice", "secret"), {Perms: zkrs.PermRead, Scheme: "world", ID: "anyone"}}
	_, _, err := c.Create(ctx, root, []byte("guarded"), &zkrs.CreateOptions{ACL: acl})
	must(t, err, "create with acl")
	got, stat, err := c.GetACL(ctx, root)
	must(t, err, "get acl")
	// Without the digest's credentials the server masks its hash.
	if len(got) != 2 || got[0].Scheme != "digest" || !strings.HasPrefix(got[0].ID, "alice:") || got[1] != acl[1] || stat.Aversion != 0 {
		t.Fatalf("get acl: %+v %+v", got, stat)
	}
	if _, err := c.Set(ctx, root, []byte("x"), zkrs.AnyVersion); !errors.Is(err, zkrs.ErrNoAuth) {
		t.Fatalf("write without auth: %v", err)
	}
	must(t, c.AddAuth(ctx, "digest", []byte("alice:secret")), "add auth")
	_, err = c.Set(ctx, root, []byte("x"), zkrs.AnyVersion)
	must(t, err, "write with auth")
	got, _, err = c.GetACL(ctx, root)
	must(t, err, "get acl with auth")
	if got[0] != acl[0] {
		t.Fatalf("digest entry %+v, want %+v", got[0], acl[0])
	}
	who, err := c.WhoAmI(ctx)
	must(t, err, "whoami")
	found := false
	for _, w := range who {
		found = found || (w.Scheme == "digest" && w.User == "alice")
	}
	if !found {
		t.Fatalf("whoami: %+v", who)
	}
	stat, err = c.SetACL(ctx, root, zkrs.OpenACLUnsafe(), 0)
	must(t, err, "set acl")
	if stat.Aversion != 1 {
		t.Fatalf("set acl: aversion %d", stat.Aversion)
	}
	if _, err := c.SetACL(ctx, root, zkrs.OpenACLUnsafe(), 0); !errors.Is(err, zkrs.ErrBadVersion) {
		t.Fatalf("set acl with a stale version: %v", err)
	}
	must(t, c.Delete(ctx, root, zkrs.AnyVersion), "cleanup")
}

func TestMultiRead(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("mread")
	_, _, err := c.Create(ctx, root, []byte("r"), nil)
	must(t, err, "create")
	_, _, err = c.Create(ctx, root+"/k", nil, nil)
	must(t, err, "create child")
	res, err := c.MultiRead(ctx, []zkrs.ReadOp{{zkrs.ReadData, root}, {zkrs.ReadChildren, root}, {zkrs.ReadData, root + "/missing"}})
	must(t, err, "multi read")
	if len(res) != 3 || string(res[0].Data) != "r" || res[0].Err != nil || res[0].Stat.NumChildren != 1 {
		t.Fatalf("read 0: %+v", res)
	}
	if len(res[1].Children) != 1 || res[1].Children[0] != "k" || res[1].Err != nil {
		t.Fatalf("read 1: %+v", res[1])
	}
	if !errors.Is(res[2].Err, zkrs.ErrNoNode) {
		t.Fatalf("read 2: %+v", res[2])
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func TestTransactions(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("txn")
	_, _, err := c.Create(ctx, root, nil, nil)
	must(t, err, "create")
	res, err := c.Txn().
		Create(root+"/a", []byte("1"), nil).
		Create(root+"/s-", nil, &zkrs.CreateOptions{Mode: zkrs.PersistentSequential}).
		Set(root, []byte("parent"), 0).
		Check(root+"/a", 0).
		Commit(ctx)
	must(t, err, "commit")
	if len(res) != 4 || res[0].Path != root+"/a" || !strings.HasPrefix(res[1].Path, root+"/s-") ||
		res[2].Kind != zkrs.TxnSet || res[2].Stat.Version != 1 || res[3].Kind != zkrs.TxnCheck || res[3].Err != nil {
		t.Fatalf("results: %+v", res)
	}
	// One failing op: nothing is applied; the error says which op failed and wraps its code.
	res, err = c.Txn().Create(root+"/b", nil, nil).Create(root+"/a", nil, nil).Delete(root+"/a", 0).Commit(ctx)
	var terr *zkrs.TxnError
	if !errors.Is(err, zkrs.ErrNodeExists) || !errors.As(err, &terr) || terr.Index != 1 {
		t.Fatalf("failed txn: %v", err)
	}
	if len(res) != 3 || !errors.Is(res[0].Err, zkrs.ErrRuntimeInconsistency) || !errors.Is(res[1].Err, zkrs.ErrNodeExists) {
		t.Fatalf("failed txn results: %+v", res)
	}
	if ok, _, _ := c.Exists(ctx, root+"/b"); ok {
		t.Fatal("a failed transaction created a node")
	}
	// An invalid op is reported before anything is sent.
	if _, err := c.Txn().Create("bad", nil, nil).Commit(ctx); !errors.Is(err, zkrs.ErrInvalidPath) {
		t.Fatalf("invalid op: %v", err)
	}
	// An empty transaction succeeds.
	res, err = c.Txn().Commit(ctx)
	if err != nil || len(res) != 0 {
		t.Fatalf("empty txn: %v %v", res, err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func TestOneShotWatches(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("watch")
	_, _, err := c.Create(ctx, root, []byte("v0"), nil)
	must(t, err, "create")

	_, _, dataCh, err := c.GetW(ctx, root)
	must(t, err, "get with watch")
	_, _, childCh, err := c.ChildrenW(ctx, root)
	must(t, err, "children with watch")
	ok, _, createdCh, err := c.ExistsW(ctx, root+"/later")
	must(t, err, "exists with watch")
	if ok {
		t.Fatal("exists on a missing node")
	}
	select {
	case e := <-dataCh:
		t.Fatalf("data watch fired before any change: %+v", e)
	default:
	}
	_, err = c.Set(ctx, root, []byte("v1"), zkrs.AnyVersion)
	must(t, err, "set")
	e := nextEvent(t, dataCh, "data watch")
	if e.Type != zkrs.EventNodeDataChanged || e.Path != root || e.State != zkrs.StateConnected || e.Terminal() {
		t.Fatalf("data event: %+v", e)
	}
	// One-shot: the channel is closed after its event.
	select {
	case _, open := <-dataCh:
		if open {
			t.Fatal("second event on a one-shot watch")
		}
	case <-time.After(wait):
		t.Fatal("watch channel not closed after its event")
	}
	_, _, err = c.Create(ctx, root+"/later", nil, nil)
	must(t, err, "create child")
	if e := nextEvent(t, createdCh, "exists watch"); e.Type != zkrs.EventNodeCreated || e.Path != root+"/later" {
		t.Fatalf("exists event: %+v", e)
	}
	if e := nextEvent(t, childCh, "child watch"); e.Type != zkrs.EventNodeChildrenChanged || e.Path != root {
		t.Fatalf("child event: %+v", e)
	}

	// A failed read sets no watch.
	if _, _, ch, err := c.GetW(ctx, root+"/missing"); !errors.Is(err, zkrs.ErrNoNode) || ch != nil {
		t.Fatalf("GetW on a missing node: %v %v", ch, err)
	}
	// Removed watches end with their terminal event.
	_, _, dataCh, err = c.GetW(ctx, root)
	must(t, err, "get with watch")
	must(t, c.CheckWatches(ctx, root, zkrs.WatcherData), "check watches")
	must(t, c.RemoveWatches(ctx, root, zkrs.WatcherData, false), "remove watches")
	if e := nextEvent(t, dataCh, "removed watch"); e.Type != zkrs.EventDataWatchRemoved || !e.Terminal() {
		t.Fatalf("removed watch event: %+v", e)
	}
	if err := c.CheckWatches(ctx, root, zkrs.WatcherData); !errors.Is(err, zkrs.ErrNoWatcher) {
		t.Fatalf("check after remove: %v", err)
	}
	// Closing ends the watches that are left.
	_, _, dataCh, err = c.GetW(ctx, root)
	must(t, err, "get with watch")
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
	if e := nextEvent(t, dataCh, "deleted node"); e.Type != zkrs.EventNodeDeleted {
		t.Fatalf("delete event: %+v", e)
	}
	_, _, dataCh, err = c.ExistsW(ctx, root)
	must(t, err, "exists with watch")
	must(t, c.Close(), "close")
	if e := nextEvent(t, dataCh, "closed client"); e.Type != zkrs.EventClientClosed || !e.Terminal() {
		t.Fatalf("close event: %+v", e)
	}
}

func TestPersistentWatch(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("pwatch")
	var mu sync.Mutex
	var events []zkrs.Event
	w, err := c.AddWatch(ctx, root, zkrs.WatchPersistentRecursive, func(e zkrs.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	must(t, err, "add watch")
	_, _, err = c.Create(ctx, root, nil, nil)
	must(t, err, "create")
	_, _, err = c.Create(ctx, root+"/child", nil, nil)
	must(t, err, "create child")
	_, err = c.Set(ctx, root+"/child", []byte("x"), zkrs.AnyVersion)
	must(t, err, "set")
	must(t, c.Delete(ctx, root+"/child", zkrs.AnyVersion), "delete")
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(events) }
	eventually(t, "4 events", func() bool { return count() >= 4 })
	must(t, w.Remove(), "remove")
	select {
	case <-w.Done():
	case <-time.After(wait):
		t.Fatal("watch not done after Remove")
	}
	mu.Lock()
	want := []struct {
		typ  zkrs.EventType
		path string
	}{
		{zkrs.EventNodeCreated, root}, {zkrs.EventNodeCreated, root + "/child"},
		{zkrs.EventNodeDataChanged, root + "/child"}, {zkrs.EventNodeDeleted, root + "/child"},
		{zkrs.EventPersistentWatchRemoved, root},
	}
	if len(events) != len(want) {
		t.Fatalf("events: %+v", events)
	}
	for i, e := range events {
		if e.Type != want[i].typ || e.Path != want[i].path {
			t.Fatalf("event %d: %+v, want %v", i, e, want[i])
		}
	}
	mu.Unlock()
	if err := w.Remove(); !errors.Is(err, zkrs.ErrNoWatcher) {
		t.Fatalf("second remove: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")

	// A func may call the client (it runs on the binding's goroutine, not zkrs's event thread).
	got := make(chan string, 1)
	w2, err := c.AddWatch(ctx, root, zkrs.WatchPersistent, func(e zkrs.Event) {
		if e.Type == zkrs.EventNodeCreated {
			data, _, err := c.Get(context.Background(), e.Path)
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(data)
		}
	})
	must(t, err, "add watch")
	_, _, err = c.Create(ctx, root, []byte("seen from the func"), nil)
	must(t, err, "create")
	select {
	case s := <-got:
		if s != "seen from the func" {
			t.Fatalf("get inside the func: %s", s)
		}
	case <-time.After(wait):
		t.Fatal("func did not run")
	}
	must(t, c.Delete(ctx, root, zkrs.AnyVersion), "cleanup")
	must(t, c.Close(), "close")
	select {
	case <-w2.Done():
	case <-time.After(wait):
		t.Fatal("watch not ended by Close")
	}
}

func TestStateListener(t *testing.T) {
	c, err := zkrs.NewClient(zkrs.Config{"hosts": hosts(t), "session_timeout_ms": "10000"})
	must(t, err, "new client")
	states := make(chan zkrs.StateEvent, 16)
	id, err := c.AddStateListener(func(e zkrs.StateEvent) { states <- e })
	must(t, err, "add state listener")
	must(t, c.Start(wait), "start")
	next := func() zkrs.StateEvent {
		select {
		case e := <-states:
			return e
		case <-time.After(wait):
			t.Fatal("no state event")
		}
		return zkrs.StateEvent{}
	}
	var e zkrs.StateEvent
	for e = next(); e.State != zkrs.StateConnected; e = next() {
	}
	if e.Kazoo != zkrs.KazooConnected {
		t.Fatalf("connected event: %+v", e)
	}
	if s, err := c.State(); err != nil || s != zkrs.StateConnected {
		t.Fatalf("State: %v %v", s, err)
	}
	if s, err := c.KazooState(); err != nil || s != zkrs.KazooConnected {
		t.Fatalf("KazooState: %v %v", s, err)
	}
	if d, err := c.NegotiatedTimeout(); err != nil || d <= 0 {
		t.Fatalf("NegotiatedTimeout: %v %v", d, err)
	}
	if s, err := c.CurrentServer(); err != nil || !strings.HasPrefix(hosts(t), s) && !strings.Contains(hosts(t), s) {
		t.Fatalf("CurrentServer: %q %v", s, err)
	}
	if id, err := c.ClientID(); err != nil || !strings.Contains(id, ":") {
		t.Fatalf("ClientID: %q %v", id, err)
	}
	// A second listener, removed again, hears nothing more.
	other := make(chan zkrs.StateEvent, 16)
	id2, err := c.AddStateListener(func(e zkrs.StateEvent) { other <- e })
	must(t, err, "add second listener")
	must(t, c.RemoveStateListener(id2), "remove listener")
	if err := c.RemoveStateListener(id2); err == nil {
		t.Error("removing a listener twice succeeded")
	}
	must(t, c.Close(), "close")
	for e = next(); e.State != zkrs.StateClosed; e = next() {
	}
	if e.Kazoo != zkrs.KazooLost {
		t.Fatalf("closed event: %+v", e)
	}
	select {
	case e := <-other:
		t.Fatalf("removed listener heard %+v", e)
	default:
	}
	_ = id
}

func TestClosedClientAndContexts(t *testing.T) {
	c := connect(t)
	root := unique("closed")
	// A context that is already done: the call returns its error at once.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Create(done, root, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	time.Sleep(time.Millisecond)
	if _, _, err := c.Get(short, "/"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: %v", err)
	}
	must(t, c.Close(), "close")
	must(t, c.Close(), "close again")
	ctx := ctx(t)
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	if _, err := c.Txn().Check("/", -1).Commit(ctx); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("txn after close: %v", err)
	}
	if _, err := c.AddStateListener(func(zkrs.StateEvent) {}); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("listener after close: %v", err)
	}
	if _, _, _, err := c.GetW(ctx, "/"); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("watch after close: %v", err)
	}
	if _, err := zkrs.NewClient(zkrs.Config{"hosts": hosts(t), "no_such_key": "1"}); !errors.Is(err, zkrs.ErrUnknownConfigKey) {
		t.Fatalf("unknown config key: %v", err)
	}
	if _, err := zkrs.NewClient(zkrs.Config{"hosts": hosts(t), "dispatch": "poll"}); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("poll dispatch: %v", err)
	}
}

// Every userdata handed to C (replies, watches, listeners) is released by zkrs exactly once: after a
// client has done everything and is closed, no handle is left.
func TestHandlesAreReleased(t *testing.T) {
	before := zkrs.LiveHandles()
	c, err := zkrs.Connect(hosts(t), wait)
	must(t, err, "connect")
	ctx := ctx(t)
	root := unique("handles")
	_, _, err = c.Create(ctx, root, nil, nil)
	must(t, err, "create")
	_, _, _, err = c.GetW(ctx, root) // stays set until close
	must(t, err, "getw")
	_, _, _, err = c.GetW(ctx, root+"/x") // fails: released at once
	if !errors.Is(err, zkrs.ErrNoNode) {
		t.Fatalf("getw missing: %v", err)
	}
	_, err = c.AddStateListener(func(zkrs.StateEvent) {})
	must(t, err, "listener")
	_, err = c.AddWatch(ctx, root, zkrs.WatchPersistent, func(zkrs.Event) {})
	must(t, err, "add watch")
	_, err = c.DataWatch(root, func([]byte, *zkrs.Stat, *zkrs.Event) bool { return true })
	must(t, err, "data watch")
	_, err = c.ChildrenWatch(root, nil, func([]string, *zkrs.Event) bool { return true })
	must(t, err, "children watch")
	tc, err := c.NewTreeCache(root)
	must(t, err, "tree cache")
	must(t, tc.Listen(func(zkrs.TreeEvent) {}), "tree listener")
	if zkrs.LiveHandles()-before != 6 {
		t.Fatalf("%d live handles while 6 registrations are active", zkrs.LiveHandles()-before)
	}
	tc.Close()
	must(t, c.Close(), "close")
	cleanup := connect(t)
	must(t, cleanup.Delete(ctx, root, zkrs.AnyVersion), "delete")
	eventually(t, "all handles released", func() bool { return zkrs.LiveHandles() == before })
}

func TestVersionAndCommands(t *testing.T) {
	if v := zkrs.Version(); !strings.Contains(v, ".") {
		t.Fatalf("version %q", v)
	}
	c := connect(t)
	v, err := c.ServerVersion()
	must(t, err, "server version")
	if !strings.HasPrefix(v, "3.") {
		t.Fatalf("server version %q", v)
	}
	if _, err := c.Command("NOPE"); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("bad four-letter word: %v", err)
	}
}
