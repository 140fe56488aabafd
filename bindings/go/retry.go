package zkrs

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"time"
)

// Retry is kazoo's retry policy (KazooRetry): call an operation again while it fails with a retriable
// code (connection loss, operation timeout, ...), sleeping between tries with exponential backoff and
// jitter. It follows the rules of the library's zkrs_retry, written in Go because zkrs_retry_call's
// sleeps cannot be ended by a context. The zero value is not useful; start from NewRetry.
type Retry struct {
	MaxTries     int           // calls in all; -1: no limit
	Delay        time.Duration // the first sleep
	Backoff      float64       // each sleep is the previous (jittered) one times this
	MaxJitter    float64       // each sleep is multiplied by a random factor in [1-MaxJitter, 1+MaxJitter]
	MaxDelay     time.Duration // the longest sleep
	Deadline     time.Duration // give up when the next sleep would end after this much time (0: none)
	IgnoreExpire bool          // retry ErrSessionExpired too (kazoo's default: yes)
}

// NewRetry is kazoo's default policy with maxTries calls (-1: no limit): 100 ms first delay, backoff 2,
// jitter 0.4, at most 60 s between tries, no deadline, session expiry retried.
func NewRetry(maxTries int) Retry {
	return Retry{MaxTries: maxTries, Delay: 100 * time.Millisecond, Backoff: 2, MaxJitter: 0.4,
		MaxDelay: time.Minute, IgnoreExpire: true}
}

// Do calls fn until it returns nil, an error the policy does not retry (returned as is), or the policy
// gives up (an *Error with ErrRetryFailed naming the last error). A done ctx ends the wait between two
// tries at once, with an *Error of ErrInterrupted naming ctx's error. MaxTries 0 counts as 1.
func (r Retry) Do(ctx context.Context, fn func(context.Context) error) error {
	jitter := r.MaxJitter
	if jitter != jitter || jitter < 0 { // NaN or negative
		jitter = 0
	} else if jitter > 1 {
		jitter = 1
	}
	var stop time.Time
	if r.Deadline > 0 {
		stop = time.Now().Add(r.Deadline)
	}
	delay := float64(r.Delay)
	for attempts := 1; ; attempts++ {
		err := fn(ctx)
		if err == nil || !r.retries(err) {
			return err
		}
		if r.MaxTries >= 0 && attempts >= r.MaxTries {
			return &Error{Op: "retry", Code: ErrRetryFailed,
				Detail: fmt.Sprintf("too many retry attempts (%d), last error: %v", attempts, err)}
		}
		sleep := delay * (1 - jitter + 2*jitter*rand.Float64())
		wait := time.Duration(sleep)
		if !stop.IsZero() && !time.Now().Add(wait).Before(stop) {
			return &Error{Op: "retry", Code: ErrRetryFailed,
				Detail: fmt.Sprintf("exceeded retry deadline of %v after %d attempts, last error: %v", r.Deadline, attempts, err)}
		}
		// kazoo applies the backoff to the jittered sleep, then caps it.
		delay = sleep * r.Backoff
		if delay > float64(r.MaxDelay) {
			delay = float64(r.MaxDelay)
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return &Error{Op: "retry", Code: ErrInterrupted,
				Detail: fmt.Sprintf("retry interrupted after %d attempts (%v), last error: %v", attempts, ctx.Err(), err)}
		}
	}
}

func (r Retry) retries(err error) bool {
	var code Code
	if !errors.As(err, &code) {
		return false
	}
	switch code {
	case ErrClosed:
		return false
	case ErrSessionExpired:
		return r.IgnoreExpire
	}
	return code.Retriable()
}
