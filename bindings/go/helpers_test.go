package zkrs_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

// The tests run against a real ZooKeeper named by ZK_HOSTS (tests/binding_go.rs starts one and sets it).
func hosts(t testing.TB) string {
	h := os.Getenv("ZK_HOSTS")
	if h == "" {
		t.Fatal("ZK_HOSTS is not set: run `cargo test --test binding_go`, or set it to a ZooKeeper's connect string")
	}
	return h
}

const wait = 10 * time.Second

func connect(t testing.TB) *zkrs.Client {
	t.Helper()
	c, err := zkrs.Connect(hosts(t), wait)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var counter int64

// unique is a path prefix nobody else uses.
func unique(name string) string {
	return fmt.Sprintf("/go-%s-%d-%d-%d", name, os.Getpid(), time.Now().UnixNano(), atomic.AddInt64(&counter, 1))
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// nextEvent waits for one event on ch.
func nextEvent(t testing.TB, ch <-chan zkrs.Event, what string) zkrs.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed without an event", what)
		}
		return e
	case <-time.After(wait):
		t.Fatalf("%s: no event within %v", what, wait)
	}
	return zkrs.Event{}
}

// eventually polls f until it is true.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	end := time.Now().Add(3 * wait)
	for time.Now().Before(end) {
		if f() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for: %s", what)
}
