package zkrs_test

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"zkrs.dev/zkrs"
)

// 100 goroutines share one client: each works on its own node and all of them increment one shared
// counter with compare-and-set on its version; nothing is lost and no answer goes to the wrong caller.
func TestHundredGoroutinesShareOneClient(t *testing.T) {
	c := connect(t)
	ctx := ctx(t)
	root := unique("hundred")
	_, _, err := c.Create(ctx, root, nil, nil)
	must(t, err, "create root")
	_, _, err = c.Create(ctx, root+"/counter", []byte("0"), nil)
	must(t, err, "create counter")
	const goroutines, rounds = 100, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			errs <- worker(c, root, g, rounds)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	data, stat, err := c.Get(ctx, root+"/counter")
	must(t, err, "get counter")
	if string(data) != strconv.Itoa(goroutines*rounds) || stat.Version != goroutines*rounds {
		t.Fatalf("counter %s at version %d, want %d", data, stat.Version, goroutines*rounds)
	}
	kids, _, err := c.Children(ctx, root)
	must(t, err, "children")
	if len(kids) != goroutines+1 {
		t.Fatalf("%d children, want %d", len(kids), goroutines+1)
	}
	must(t, c.DeleteRecursive(ctx, root), "cleanup")
}

func worker(c *zkrs.Client, root string, g, rounds int) error {
	ctx := ctx(nilTB{})
	mine := fmt.Sprintf("%s/g%03d", root, g)
	if _, _, err := c.Create(ctx, mine, []byte("start"), &zkrs.CreateOptions{Mode: zkrs.Ephemeral}); err != nil {
		return err
	}
	for r := 0; r < rounds; r++ {
		want := fmt.Sprintf("g%d-r%d", g, r)
		if _, err := c.Set(ctx, mine, []byte(want), int32(r)); err != nil {
			return fmt.Errorf("%s set round %d: %w", mine, r, err)
		}
		got, stat, err := c.Get(ctx, mine)
		if err != nil {
			return err
		}
		if string(got) != want || stat.Version != int32(r+1) {
			return fmt.Errorf("%s: read %q v%d after writing %q", mine, got, stat.Version, want)
		}
		// Increment the shared counter: retry on a concurrent change.
		for {
			data, stat, err := c.Get(ctx, root+"/counter")
			if err != nil {
				return err
			}
			n, _ := strconv.Atoi(string(data))
			_, err = c.Set(ctx, root+"/counter", []byte(strconv.Itoa(n+1)), stat.Version)
			if err == nil {
				break
			}
			if !errors.Is(err, zkrs.ErrBadVersion) {
				return err
			}
		}
	}
	res, err := c.Txn().Check(mine, int32(rounds)).Set(mine, []byte("done"), int32(rounds)).Commit(ctx)
	if err != nil || len(res) != 2 {
		return fmt.Errorf("%s txn: %v %v", mine, res, err)
	}
	return nil
}

// nilTB lets ctx() be used outside a test's goroutine (its Cleanup is never run, the timeout ends it).
type nilTB struct{ testing.TB }

func (nilTB) Cleanup(func()) {}
