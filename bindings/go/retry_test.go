package zkrs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"zkrs.dev/zkrs"
)

// failing returns an fn for Retry.Do that fails with errs in turn, then succeeds, and counts its calls.
func failing(calls *int, errs ...error) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		if *calls <= len(errs) {
			return errs[*calls-1]
		}
		return nil
	}
}

func quick(maxTries int) zkrs.Retry {
	r := zkrs.NewRetry(maxTries)
	r.Delay = time.Millisecond
	return r
}

func TestRetryRetriesRetriableErrorsUntilSuccess(t *testing.T) {
	calls := 0
	loss := &zkrs.Error{Op: "get", Code: zkrs.ErrConnectionLoss}
	err := quick(5).Do(ctx(t), failing(&calls, loss, zkrs.ErrOperationTimeout))
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls, want success at the third", err, calls)
	}
}

func TestRetryGivesUpAfterMaxTries(t *testing.T) {
	calls := 0
	loss := zkrs.ErrConnectionLoss
	err := quick(3).Do(ctx(t), failing(&calls, loss, loss, loss, loss))
	if !errors.Is(err, zkrs.ErrRetryFailed) || calls != 3 {
		t.Fatalf("err %v after %d calls, want RETRY_FAILED after 3", err, calls)
	}
}

func TestRetryReturnsOtherErrorsAsTheyAre(t *testing.T) {
	calls := 0
	noNode := &zkrs.Error{Op: "get", Path: "/x", Code: zkrs.ErrNoNode}
	if err := quick(5).Do(ctx(t), failing(&calls, noNode)); err != noNode || calls != 1 {
		t.Fatalf("err %v after %d calls, want the NO_NODE error after 1", err, calls)
	}
	calls = 0
	if err := quick(5).Do(ctx(t), failing(&calls, zkrs.ErrClosed)); !errors.Is(err, zkrs.ErrClosed) || calls != 1 {
		t.Fatalf("err %v after %d calls, want CLOSED after 1", err, calls)
	}
}

func TestRetrySessionExpiryAsIgnoreExpireSays(t *testing.T) {
	calls := 0
	if err := quick(5).Do(ctx(t), failing(&calls, zkrs.ErrSessionExpired)); err != nil || calls != 2 {
		t.Fatalf("IgnoreExpire: err %v after %d calls", err, calls)
	}
	strict := quick(5)
	strict.IgnoreExpire = false
	calls = 0
	if err := strict.Do(ctx(t), failing(&calls, zkrs.ErrSessionExpired)); !errors.Is(err, zkrs.ErrSessionExpired) || calls != 1 {
		t.Fatalf("not IgnoreExpire: err %v after %d calls", err, calls)
	}
}

func TestRetryBacksOffAndStopsAtTheDeadline(t *testing.T) {
	r := zkrs.NewRetry(-1)
	r.Delay, r.MaxJitter, r.Deadline = 20*time.Millisecond, 0, 100*time.Millisecond
	calls := 0
	started := time.Now()
	err := r.Do(ctx(t), func(context.Context) error { calls++; return zkrs.ErrConnectionLoss })
	// Sleeps of 20, 40 ms; the next (80 ms) would end past the deadline.
	if !errors.Is(err, zkrs.ErrRetryFailed) || calls != 3 {
		t.Fatalf("err %v after %d calls, want RETRY_FAILED after 3", err, calls)
	}
	if took := time.Since(started); took < 60*time.Millisecond || took > 2*time.Second {
		t.Fatalf("took %v, want the two sleeps of 60 ms in all", took)
	}
}

func TestRetryStopsWaitingWhenTheContextIsDone(t *testing.T) {
	r := zkrs.NewRetry(-1)
	r.Delay = time.Hour
	c, cancel := context.WithCancel(ctx(t))
	time.AfterFunc(50*time.Millisecond, cancel)
	started := time.Now()
	calls := 0
	err := r.Do(c, func(context.Context) error { calls++; return zkrs.ErrConnectionLoss })
	if !errors.Is(err, zkrs.ErrInterrupted) || calls != 1 || time.Since(started) > 5*time.Second {
		t.Fatalf("err %v after %d calls and %v", err, calls, time.Since(started))
	}
}

func TestRetryAroundARealOperation(t *testing.T) {
	c := connect(t)
	path := unique("retry")
	var created string
	err := zkrs.NewRetry(3).Do(ctx(t), func(ctx context.Context) error {
		p, _, err := c.Create(ctx, path, []byte("v"), nil)
		created = p
		return err
	})
	if err != nil || created != path {
		t.Fatalf("create through Retry: %q, %v", created, err)
	}
	err = zkrs.NewRetry(3).Do(ctx(t), func(ctx context.Context) error {
		_, _, err := c.Create(ctx, path, nil, nil)
		return err
	})
	if !errors.Is(err, zkrs.ErrNodeExists) {
		t.Fatalf("a second create through Retry: %v", err)
	}
}
