package zkrs_test

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

type dataCall struct {
	data   string
	exists bool
	ev     *zkrs.Event
}

func TestDataWatch(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	path := unique("datawatch")
	calls := make(chan dataCall, 16)
	stopAt := "stop"
	w, err := c.DataWatch(path, func(data []byte, stat *zkrs.Stat, ev *zkrs.Event) bool {
		calls <- dataCall{string(data), stat != nil, ev}
		return string(data) != stopAt
	})
	must(t, err, "data watch")
	next := func(what string) dataCall {
		t.Helper()
		select {
		case d := <-calls:
			return d
		case <-time.After(wait):
			t.Fatalf("no call: %s", what)
		}
		return dataCall{}
	}
	if d := next("first call"); d.exists || d.ev != nil {
		t.Fatalf("first call on a missing node: %+v", d)
	}
	_, _, err = c.Create(ctx, path, []byte("v1"), nil)
	must(t, err, "create")
	if d := next("created"); !d.exists || d.data != "v1" || d.ev == nil || d.ev.Type != zkrs.EventNodeCreated {
		t.Fatalf("after create: %+v", d)
	}
	_, err = c.Set(ctx, path, []byte("v2"), zkrs.AnyVersion)
	must(t, err, "set")
	if d := next("changed"); d.data != "v2" || d.ev.Type != zkrs.EventNodeDataChanged {
		t.Fatalf("after set: %+v", d)
	}
	must(t, c.Delete(ctx, path, zkrs.AnyVersion), "delete")
	if d := next("deleted"); d.exists || d.ev.Type != zkrs.EventNodeDeleted {
		t.Fatalf("after delete: %+v", d)
	}
	// The func returning false stops the watch: no call for later changes, handle released.
	_, _, err = c.Create(ctx, path, []byte(stopAt), nil)
	must(t, err, "create")
	if d := next("stop"); d.data != stopAt {
		t.Fatalf("stop call: %+v", d)
	}
	select {
	case <-w.Done():
	case <-time.After(wait):
		t.Fatal("watch not released after its func returned false")
	}
	if !w.Stopped() {
		t.Fatal("not stopped")
	}
	_, err = c.Set(ctx, path, []byte("after"), zkrs.AnyVersion)
	must(t, err, "set")
	select {
	case d := <-calls:
		t.Fatalf("call after stop: %+v", d)
	case <-time.After(200 * time.Millisecond):
	}
	// Close stops another one at once; its func is not called again.
	w2, err := c.DataWatch(path, func(data []byte, _ *zkrs.Stat, _ *zkrs.Event) bool {
		calls <- dataCall{data: string(data)}
		return true
	})
	must(t, err, "second data watch")
	if d := next("first call"); d.data != "after" {
		t.Fatalf("second watch first call: %+v", d)
	}
	w2.Close()
	<-w2.Done()
	_, err = c.Set(ctx, path, []byte("closed"), zkrs.AnyVersion)
	must(t, err, "set")
	select {
	case d := <-calls:
		t.Fatalf("call after Close: %+v", d)
	case <-time.After(200 * time.Millisecond):
	}
	must(t, c.Delete(ctx, path, zkrs.AnyVersion), "cleanup")
}

func TestChildrenWatch(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("childwatch")
	if _, err := c.ChildrenWatch(root, nil, func([]string, *zkrs.Event) bool { return true }); !errors.Is(err, zkrs.ErrNoNode) {
		t.Fatalf("children watch on a missing node: %v", err)
	}
	_, _, err := c.Create(ctx, root, nil, nil)
	must(t, err, "create")
	type call struct {
		kids string
		ev   *zkrs.Event
	}
	calls := make(chan call, 16)
	w, err := c.ChildrenWatch(root, &zkrs.ChildrenWatchOptions{SendEvent: true}, func(kids []string, ev *zkrs.Event) bool {
		sort.Strings(kids)
		calls <- call{strings.Join(kids, ","), ev}
		return true
	})
	must(t, err, "children watch")
	next := func() call {
		t.Helper()
		select {
		case x := <-calls:
			return x
		case <-time.After(wait):
			t.Fatal("no call")
		}
		return call{}
	}
	if x := next(); x.kids != "" || x.ev != nil {
		t.Fatalf("first call: %+v", x)
	}
	_, _, err = c.Create(ctx, root+"/a", nil, nil)
	must(t, err, "create a")
	if x := next(); x.kids != "a" || x.ev == nil || x.ev.Type != zkrs.EventNodeChildrenChanged {
		t.Fatalf("after a: %+v", x)
	}
	_, _, err = c.Create(ctx, root+"/b", nil, nil)
	must(t, err, "create b")
	if x := next(); x.kids != "a,b" {
		t.Fatalf("after b: %+v", x)
	}
	// Deleting the node ends the watch (without a call).
	must(t, c.DeleteRecursive(ctx, root), "delete")
	select {
	case <-w.Done():
	case <-time.After(wait):
		t.Fatal("watch not ended by the node's deletion")
	}
	if !w.Stopped() {
		t.Fatal("not stopped after deletion")
	}
	for len(calls) > 0 { // deleting the children may have come first
		if x := <-calls; x.ev == nil || x.ev.Type != zkrs.EventNodeChildrenChanged {
			t.Fatalf("unexpected call: %+v", x)
		}
	}
}

func TestTreeCache(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("tree")
	must(t, c.EnsurePath(ctx, root+"/a/deep"), "ensure")
	_, err := c.Set(ctx, root+"/a", []byte("A"), zkrs.AnyVersion)
	must(t, err, "set a")
	tc, err := c.NewTreeCache(root)
	must(t, err, "new tree cache")
	defer tc.Close()
	var mu sync.Mutex
	var events []zkrs.TreeEvent
	initialized := make(chan struct{})
	must(t, tc.Listen(func(e zkrs.TreeEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
		if e.Type == zkrs.TreeInitialized {
			close(initialized)
		}
	}), "listen")
	must(t, tc.ListenFault(func(err error) { t.Errorf("fault: %v", err) }), "listen fault")
	must(t, tc.Start(), "start")
	select {
	case <-initialized:
	case <-time.After(wait):
		t.Fatal("not initialized")
	}
	mu.Lock()
	added := map[string]bool{}
	for _, e := range events {
		if e.Type == zkrs.TreeNodeAdded {
			added[e.Path] = true
		}
	}
	mu.Unlock()
	if !added[root] || !added[root+"/a"] || !added[root+"/a/deep"] || len(added) != 3 {
		t.Fatalf("added: %v", added)
	}
	data, stat, err := tc.Get(root + "/a")
	must(t, err, "cached get")
	if string(data) != "A" || stat.NumChildren != 1 {
		t.Fatalf("cached %q %+v", data, stat)
	}
	kids, err := tc.Children(root + "/a")
	must(t, err, "cached children")
	if len(kids) != 1 || kids[0] != "deep" {
		t.Fatalf("cached children %v", kids)
	}
	// Changes reach the cache and the listener.
	_, _, err = c.Create(ctx, root+"/b", []byte("B"), nil)
	must(t, err, "create b")
	_, err = c.Set(ctx, root+"/a", []byte("A2"), zkrs.AnyVersion)
	must(t, err, "set a")
	must(t, c.Delete(ctx, root+"/a/deep", zkrs.AnyVersion), "delete deep")
	eventually(t, "the cache follows", func() bool {
		b, _, errB := tc.Get(root + "/b")
		a, _, _ := tc.Get(root + "/a")
		_, _, errDeep := tc.Get(root + "/a/deep")
		return errB == nil && string(b) == "B" && string(a) == "A2" && errors.Is(errDeep, zkrs.ErrNoNode)
	})
	eventually(t, "the listener hears it", func() bool {
		mu.Lock()
		defer mu.Unlock()
		var saw [3]bool
		for _, e := range events {
			saw[0] = saw[0] || e.Type == zkrs.TreeNodeAdded && e.Path == root+"/b" && string(e.Data) == "B"
			saw[1] = saw[1] || e.Type == zkrs.TreeNodeUpdated && e.Path == root+"/a" && string(e.Data) == "A2"
			saw[2] = saw[2] || e.Type == zkrs.TreeNodeRemoved && e.Path == root+"/a/deep"
		}
		return saw[0] && saw[1] && saw[2]
	})
	if err := tc.Start(); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("second start: %v", err)
	}
	if _, _, err := tc.Get("/elsewhere"); !errors.Is(err, zkrs.ErrBadArguments) {
		t.Fatalf("path outside the tree: %v", err)
	}
	tc.Close()
	if _, _, err := tc.Get(root); !errors.Is(err, zkrs.ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}
