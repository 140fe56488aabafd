//! kazoo's retry policy (`KazooRetry`): call an operation again, with jittered exponential backoff, while it
//! fails with an error that a retry can cure.
//!
//! Retried: connection loss, operation timeout and an explicit [`Error::ForceRetry`] from recipe code
//! ([`Error::is_retriable`]), and [`Error::SessionExpired`] when the policy says `ignore_expire`.
//! [`Error::Closed`] is never retried; any other error is returned at once.
//!
//! ```
//! # use zkrs::retry::RetryPolicy;
//! # use zkrs::Error;
//! # use std::time::Duration;
//! let policy = RetryPolicy { max_tries: 5, delay: Duration::from_millis(1), ..RetryPolicy::default() };
//! let mut calls = 0;
//! let value = policy.run(|| {
//!     calls += 1;
//!     if calls < 3 { Err(Error::ConnectionLoss("flaky".into())) } else { Ok(calls) }
//! });
//! assert_eq!(value, Ok(3));
//! ```

use crate::error::{Error, Result};
use rand::Rng;
use std::time::{Duration, Instant};

/// The longest single sleep while an interrupt check is installed: kazoo polls its `interrupt` at least
/// this often.
const INTERRUPT_POLL: Duration = Duration::from_millis(100);

/// How to retry an operation (kazoo's `KazooRetry`). Cheap to clone; [`RetryPolicy::run`] keeps its
/// per-call state on the stack, so one policy can be shared by many threads.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Total number of calls, the first included: `3` means at most 3 calls. `-1` (or any negative
    /// number) retries forever; `0` behaves like `1` (one call, no retry).
    pub max_tries: i32,
    /// The first delay between calls, before jitter.
    pub delay: Duration,
    /// Factor applied to the (jittered) delay after each retry.
    pub backoff: f64,
    /// Relative jitter: each sleep is the current delay times a uniform factor in
    /// `[1 - max_jitter, 1 + max_jitter]`. Clamped to `[0, 1]` when used.
    pub max_jitter: f64,
    /// Upper bound of the current delay (before jitter is applied to it).
    pub max_delay: Duration,
    /// Total time allowed, counted from the first call. A retry whose sleep would end at or after it is
    /// not made. `None`: no deadline.
    pub deadline: Option<Duration>,
    /// Whether [`Error::SessionExpired`] is retried like a connection loss.
    pub ignore_expire: bool,
}

impl Default for RetryPolicy {
    /// kazoo's `KazooRetry()` defaults: one call (no retry), delay 0.1 s, backoff 2, jitter 0.4,
    /// max delay 60 s, session expiry ignored, no deadline.
    fn default() -> Self {
        RetryPolicy {
            max_tries: 1,
            delay: Duration::from_millis(100),
            backoff: 2.0,
            max_jitter: 0.4,
            max_delay: Duration::from_secs(60),
            deadline: None,
            ignore_expire: true,
        }
    }
}

/// The clock and the sleep a retry loop uses; tests inject a fake one.
pub trait Sleeper {
    /// Blocks the calling thread for `d` (a fake may just record it and advance its clock).
    fn sleep(&mut self, d: Duration);
    /// The current time on this sleeper's clock, for the deadline.
    fn now(&self) -> Instant;
}

/// The real clock: [`std::thread::sleep`] and [`Instant::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RealSleeper;

impl Sleeper for RealSleeper {
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl RetryPolicy {
    /// The policy kazoo's client uses for its connection and command retries: retry forever
    /// (`max_tries = -1`), delay 0.1 s, backoff 2, jitter 0.4, max delay 3600 s, session expiry ignored,
    /// no deadline.
    pub fn forever() -> Self {
        RetryPolicy { max_tries: -1, max_delay: Duration::from_secs(3600), ..RetryPolicy::default() }
    }

    /// Calls `f` until it succeeds, fails with an error that is not retried, or the policy gives up
    /// ([`Error::RetryFailed`], whose text includes the last error). Sleeps on the real clock and cannot be
    /// interrupted; see [`RetryPolicy::run_with`].
    pub fn run<T>(&self, f: impl FnMut() -> Result<T>) -> Result<T> {
        self.run_inner(None, &mut RealSleeper, f)
    }

    /// Like [`RetryPolicy::run`], with an interrupt check and an injectable clock. `interrupt` is called
    /// before each sleep and at least every 100 ms while sleeping; when it returns `true` the retry stops
    /// with [`Error::Interrupted`]. It is not called while `f` runs.
    pub fn run_with<T>(
        &self,
        interrupt: &dyn Fn() -> bool,
        sleeper: &mut dyn Sleeper,
        f: impl FnMut() -> Result<T>,
    ) -> Result<T> {
        self.run_inner(Some(interrupt), sleeper, f)
    }

    /// Whether this policy retries `e`.
    fn retries(&self, e: &Error) -> bool {
        match e {
            Error::Closed => false,
            Error::SessionExpired => self.ignore_expire,
            e => e.is_retriable(),
        }
    }

    fn run_inner<T>(
        &self,
        interrupt: Option<&dyn Fn() -> bool>,
        sleeper: &mut dyn Sleeper,
        mut f: impl FnMut() -> Result<T>,
    ) -> Result<T> {
        // The deadline is fixed at the first call.
        let mut backoff = Backoff::starting_at(self, sleeper.now());
        loop {
            let err = match f() {
                Ok(v) => return Ok(v),
                Err(e) if self.retries(&e) => e,
                Err(e) => return Err(e),
            };
            let delay = match backoff.step(sleeper.now()) {
                Step::Sleep(d) => d,
                Step::TooManyTries => {
                    return Err(Error::RetryFailed(format!(
                        "too many retry attempts ({}), last error: {err}",
                        backoff.attempts
                    )))
                }
                Step::PastDeadline => {
                    return Err(Error::RetryFailed(format!(
                        "exceeded retry deadline of {:?} after {} attempts, last error: {err}",
                        self.deadline.unwrap_or_default(),
                        backoff.attempts
                    )))
                }
            };
            match interrupt {
                None => sleeper.sleep(delay),
                Some(interrupt) => {
                    if sleep_interruptibly(sleeper, delay, interrupt) {
                        return Err(Error::Interrupted(format!(
                            "retry interrupted after {} attempts, last error: {err}",
                            backoff.attempts
                        )));
                    }
                }
            }
        }
    }

    /// Sets one field from a configuration string. Keys (without the `retry.` prefix the client
    /// configuration puts before them): `max_tries` (`-1` or at least 1), `delay_ms`, `backoff`
    /// (non-negative number), `max_jitter` (number, clamped to `[0, 1]`), `max_delay_ms`, `deadline_ms`
    /// (milliseconds, or `none` / `-1` / empty for no deadline), `ignore_expire` (`true`/`false`/`1`/`0`).
    ///
    /// An unknown key gives [`Error::UnknownConfigKey`], a bad value [`Error::InvalidConfigValue`]; both
    /// name the key with its `retry.` prefix. On error the policy is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let full_key = format!("retry.{key}");
        let bad = |reason: &str| Error::InvalidConfigValue { key: full_key.clone(), reason: reason.to_string() };
        let v = value.trim();
        let millis = |v: &str| v.parse::<u64>().map(Duration::from_millis);
        match key {
            "max_tries" => {
                let n: i32 = v.parse().map_err(|_| bad("expected an integer"))?;
                if n == 0 || n < -1 {
                    return Err(bad("expected -1 (retry forever) or a number of calls of at least 1"));
                }
                self.max_tries = n;
            }
            "delay_ms" => self.delay = millis(v).map_err(|_| bad("expected a non-negative number of milliseconds"))?,
            "max_delay_ms" => {
                self.max_delay = millis(v).map_err(|_| bad("expected a non-negative number of milliseconds"))?
            }
            "deadline_ms" => {
                self.deadline = if v.is_empty() || v == "-1" || v.eq_ignore_ascii_case("none") {
                    None
                } else {
                    Some(millis(v).map_err(|_| bad("expected milliseconds, or none / -1 for no deadline"))?)
                }
            }
            "backoff" => {
                let b: f64 = v.parse().map_err(|_| bad("expected a number"))?;
                if !b.is_finite() || b < 0.0 {
                    return Err(bad("expected a finite, non-negative number"));
                }
                self.backoff = b;
            }
            "max_jitter" => {
                let j: f64 = v.parse().map_err(|_| bad("expected a number"))?;
                if !j.is_finite() {
                    return Err(bad("expected a finite number (it is clamped to [0, 1])"));
                }
                self.max_jitter = j.clamp(0.0, 1.0);
            }
            "ignore_expire" => {
                self.ignore_expire = match v.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad("expected true, false, 1 or 0")),
                }
            }
            _ => return Err(Error::UnknownConfigKey(full_key)),
        }
        Ok(())
    }
}

/// Sleeps `d` in slices of at most [`INTERRUPT_POLL`], asking `interrupt` before the first slice and after
/// each one. Returns whether it was interrupted.
fn sleep_interruptibly(sleeper: &mut dyn Sleeper, d: Duration, interrupt: &dyn Fn() -> bool) -> bool {
    if interrupt() {
        return true;
    }
    let mut remain = d;
    while !remain.is_zero() {
        let slice = remain.min(INTERRUPT_POLL);
        sleeper.sleep(slice);
        remain -= slice;
        if interrupt() {
            return true;
        }
    }
    false
}

/// What a retry loop does after a failed call.
#[derive(Debug, PartialEq)]
enum Step {
    Sleep(Duration),
    TooManyTries,
    PastDeadline,
}

/// The per-attempt state of a [`RetryPolicy`], for loops that drive their retries themselves (the
/// connection loop uses it): call [`Backoff::next_delay`] after each failure and sleep what it says, and
/// [`Backoff::reset`] after a success.
#[derive(Clone, Debug)]
pub struct Backoff {
    max_tries: i32,
    delay: f64,
    backoff: f64,
    max_jitter: f64,
    max_delay: f64,
    deadline: Option<Duration>,
    /// Failed calls so far.
    attempts: u32,
    /// The current delay, in nanoseconds, before jitter.
    cur_delay: f64,
    stoptime: Option<Instant>,
}

impl Backoff {
    /// A fresh state for `policy`. The policy's deadline, if any, counts from now.
    pub fn new(policy: &RetryPolicy) -> Self {
        Backoff::starting_at(policy, Instant::now())
    }

    fn starting_at(policy: &RetryPolicy, now: Instant) -> Self {
        let max_jitter = if policy.max_jitter.is_nan() { 0.0 } else { policy.max_jitter.clamp(0.0, 1.0) };
        let delay = nanos(policy.delay);
        Backoff {
            max_tries: policy.max_tries,
            delay,
            backoff: policy.backoff,
            max_jitter,
            max_delay: nanos(policy.max_delay),
            deadline: policy.deadline,
            attempts: 0,
            cur_delay: delay,
            // A deadline too far away to represent is no deadline.
            stoptime: policy.deadline.and_then(|d| now.checked_add(d)),
        }
    }

    /// Records a failed call and returns how long to sleep before the next one, or `None` when the policy
    /// gives up: `max_tries` calls have been made, or the sleep would end at or after the deadline.
    pub fn next_delay(&mut self) -> Option<Duration> {
        match self.step(Instant::now()) {
            Step::Sleep(d) => Some(d),
            Step::TooManyTries | Step::PastDeadline => None,
        }
    }

    /// Starts over after a success: no failed calls, the first delay again, and the deadline (if any)
    /// counted from now.
    pub fn reset(&mut self) {
        self.reset_at(Instant::now())
    }

    fn reset_at(&mut self, now: Instant) {
        self.attempts = 0;
        self.cur_delay = self.delay;
        self.stoptime = self.deadline.and_then(|d| now.checked_add(d));
    }

    /// The number of failed calls recorded since creation or the last [`Backoff::reset`].
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    fn step(&mut self, now: Instant) -> Step {
        self.attempts = self.attempts.saturating_add(1);
        if self.max_tries >= 0 && i64::from(self.attempts) >= i64::from(self.max_tries.max(1)) {
            return Step::TooManyTries;
        }
        let jitter = if self.max_jitter > 0.0 {
            rand::thread_rng().gen_range(1.0 - self.max_jitter..=1.0 + self.max_jitter)
        } else {
            1.0
        };
        let sleep = self.cur_delay * jitter;
        let sleep_d = duration_from_nanos(sleep);
        if let Some(stop) = self.stoptime {
            if now.checked_add(sleep_d).map_or(true, |end| end >= stop) {
                return Step::PastDeadline;
            }
        }
        // kazoo applies the backoff to the jittered sleep, then caps it.
        self.cur_delay = (sleep * self.backoff).min(self.max_delay);
        Step::Sleep(sleep_d)
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// Rounds to whole nanoseconds; `as` saturates (negative or NaN gives 0, too large gives `u64::MAX`).
fn duration_from_nanos(n: f64) -> Duration {
    Duration::from_nanos(n.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// A clock that only moves when slept on, or when a test advances it through `extra`.
    struct FakeSleeper {
        start: Instant,
        slept: Vec<Duration>,
        extra: Rc<Cell<Duration>>,
    }

    impl FakeSleeper {
        fn new() -> Self {
            FakeSleeper { start: Instant::now(), slept: Vec::new(), extra: Rc::new(Cell::new(Duration::ZERO)) }
        }
        fn total(&self) -> Duration {
            self.slept.iter().sum()
        }
    }

    impl Sleeper for FakeSleeper {
        fn sleep(&mut self, d: Duration) {
            self.slept.push(d);
        }
        fn now(&self) -> Instant {
            self.start + self.total() + self.extra.get()
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn no_jitter(max_tries: i32, delay_ms: u64) -> RetryPolicy {
        RetryPolicy { max_tries, delay: ms(delay_ms), max_jitter: 0.0, ..RetryPolicy::default() }
    }

    fn never() -> bool {
        false
    }

    /// Runs `policy` over a call that fails with `err()` `failures` times, then returns the call count.
    fn flaky(policy: &RetryPolicy, failures: usize, err: impl Fn() -> Error) -> (Result<usize>, usize, FakeSleeper) {
        let mut sleeper = FakeSleeper::new();
        let mut calls = 0;
        let r = policy.run_with(&never, &mut sleeper, || {
            calls += 1;
            if calls <= failures {
                Err(err())
            } else {
                Ok(calls)
            }
        });
        (r, calls, sleeper)
    }

    fn loss() -> Error {
        Error::ConnectionLoss("boom".into())
    }

    #[test]
    fn defaults_are_kazoos() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_tries, 1);
        assert_eq!(p.delay, ms(100));
        assert_eq!(p.backoff, 2.0);
        assert_eq!(p.max_jitter, 0.4);
        assert_eq!(p.max_delay, Duration::from_secs(60));
        assert_eq!(p.deadline, None);
        assert!(p.ignore_expire);
        let f = RetryPolicy::forever();
        assert_eq!(f.max_tries, -1);
        assert_eq!(f.delay, ms(100));
        assert_eq!(f.backoff, 2.0);
        assert_eq!(f.max_jitter, 0.4);
        assert_eq!(f.max_delay, Duration::from_secs(3600));
        assert_eq!(f.deadline, None);
        assert!(f.ignore_expire);
    }

    #[test]
    fn flaky_call_succeeds_after_failures() {
        let (r, calls, sleeper) = flaky(&no_jitter(5, 10), 3, loss);
        assert_eq!(r, Ok(4));
        assert_eq!(calls, 4);
        assert_eq!(sleeper.slept.len(), 3);
    }

    #[test]
    fn succeeds_at_the_last_allowed_call() {
        let (r, calls, _) = flaky(&no_jitter(3, 1), 2, loss);
        assert_eq!(r, Ok(3));
        assert_eq!(calls, 3);
    }

    #[test]
    fn max_tries_counts_calls() {
        let (r, calls, sleeper) = flaky(&no_jitter(3, 10), usize::MAX, loss);
        assert_eq!(calls, 3);
        assert_eq!(sleeper.slept, vec![ms(10), ms(20)]);
        match r {
            Err(Error::RetryFailed(msg)) => {
                assert!(msg.contains("too many retry attempts (3)"), "{msg}");
                assert!(msg.contains("last error: connection lost: boom"), "{msg}");
            }
            other => panic!("expected RetryFailed, got {other:?}"),
        }
    }

    #[test]
    fn one_try_means_no_retry() {
        for max_tries in [0, 1] {
            let (r, calls, sleeper) = flaky(&no_jitter(max_tries, 10), 1, loss);
            assert!(matches!(r, Err(Error::RetryFailed(_))), "{r:?}");
            assert_eq!(calls, 1);
            assert!(sleeper.slept.is_empty());
        }
    }

    #[test]
    fn retriable_errors_are_retried() {
        for err in
            [Error::ConnectionLoss("x".into()), Error::OperationTimeout("x".into()), Error::ForceRetry("x".into())]
        {
            let (r, calls, _) = flaky(&no_jitter(3, 1), 2, || err.clone());
            assert_eq!(r, Ok(3), "{err:?}");
            assert_eq!(calls, 3);
        }
    }

    #[test]
    fn other_errors_pass_through_at_once() {
        for err in [
            Error::NoNode("/a".into()),
            Error::NodeExists("/a".into()),
            Error::Closed,
            Error::Closing,
            Error::AuthFailed("x".into()),
            Error::RetryFailed("inner".into()),
        ] {
            let (r, calls, sleeper) = flaky(&RetryPolicy::forever(), 1, || err.clone());
            assert_eq!(r, Err(err.clone()));
            assert_eq!(calls, 1);
            assert!(sleeper.slept.is_empty());
        }
    }

    #[test]
    fn session_expired_retried_only_with_ignore_expire() {
        let p = RetryPolicy { ignore_expire: true, ..no_jitter(3, 1) };
        let (r, calls, _) = flaky(&p, 2, || Error::SessionExpired);
        assert_eq!(r, Ok(3));
        assert_eq!(calls, 3);

        let p = RetryPolicy { ignore_expire: false, ..no_jitter(3, 1) };
        let (r, calls, sleeper) = flaky(&p, 2, || Error::SessionExpired);
        assert_eq!(r, Err(Error::SessionExpired));
        assert_eq!(calls, 1);
        assert!(sleeper.slept.is_empty());
    }

    #[test]
    fn backoff_sequence_without_jitter() {
        // kazoo's test: delay 10, jitter 0, two failures -> slept 10 then 20, the next delay is 40.
        let p = no_jitter(-1, 10);
        let (r, _, sleeper) = flaky(&p, 2, loss);
        assert_eq!(r, Ok(3));
        assert_eq!(sleeper.slept, vec![ms(10), ms(20)]);

        let mut b = Backoff::new(&p);
        assert_eq!(b.next_delay(), Some(ms(10)));
        assert_eq!(b.next_delay(), Some(ms(20)));
        assert_eq!(b.next_delay(), Some(ms(40)));
        assert_eq!(b.attempts(), 3);
    }

    #[test]
    fn max_delay_caps_the_delay() {
        let p = RetryPolicy { max_delay: ms(25), ..no_jitter(-1, 10) };
        let mut b = Backoff::new(&p);
        let seq: Vec<_> = (0..5).map(|_| b.next_delay().unwrap()).collect();
        assert_eq!(seq, vec![ms(10), ms(20), ms(25), ms(25), ms(25)]);

        let (_, _, sleeper) = flaky(&p, 4, loss);
        assert_eq!(sleeper.slept, vec![ms(10), ms(20), ms(25), ms(25)]);
    }

    #[test]
    fn jitter_stays_in_bounds_and_feeds_the_backoff() {
        let p =
            RetryPolicy { max_tries: -1, delay: ms(100), max_delay: Duration::from_secs(3600), ..Default::default() };
        let mut b = Backoff::new(&p);
        let mut cur = 100_000_000.0_f64;
        for _ in 0..20 {
            let d = b.next_delay().unwrap().as_nanos() as f64;
            assert!(d >= cur * 0.6 - 1.0 && d <= cur * 1.4 + 1.0, "{d} not within 40% of {cur}");
            cur = (d * 2.0).min(3600e9);
        }
    }

    #[test]
    fn jitter_is_clamped() {
        let p = RetryPolicy { max_tries: -1, max_jitter: 7.0, max_delay: ms(100), ..no_jitter(-1, 100) };
        let mut b = Backoff::new(&p);
        for _ in 0..50 {
            let d = b.next_delay().unwrap();
            assert!(d <= ms(200), "{d:?}");
        }
        let p = RetryPolicy { max_jitter: -3.0, ..no_jitter(-1, 10) };
        let mut b = Backoff::new(&p);
        assert_eq!(b.next_delay(), Some(ms(10)));
        assert_eq!(b.next_delay(), Some(ms(20)));
    }

    #[test]
    fn backoff_gives_up_and_resets() {
        let mut b = Backoff::new(&no_jitter(3, 10));
        assert_eq!(b.next_delay(), Some(ms(10)));
        assert_eq!(b.next_delay(), Some(ms(20)));
        assert_eq!(b.next_delay(), None);
        assert_eq!(b.next_delay(), None);
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert_eq!(b.next_delay(), Some(ms(10)));
    }

    #[test]
    fn backoff_deadline() {
        let p = RetryPolicy { deadline: Some(ms(100)), ..no_jitter(-1, 10) };
        let t0 = Instant::now();
        let mut b = Backoff::starting_at(&p, t0);
        assert_eq!(b.step(t0), Step::Sleep(ms(10)));
        assert_eq!(b.step(t0 + ms(10)), Step::Sleep(ms(20)));
        assert_eq!(b.step(t0 + ms(30)), Step::Sleep(ms(40)));
        // 70 + 80 >= 100
        assert_eq!(b.step(t0 + ms(70)), Step::PastDeadline);
        b.reset_at(t0 + ms(70));
        assert_eq!(b.step(t0 + ms(70)), Step::Sleep(ms(10)));
        // Ending exactly at the deadline is too late, as in kazoo.
        let p = RetryPolicy { deadline: Some(ms(10)), ..no_jitter(-1, 10) };
        let mut b = Backoff::starting_at(&p, t0);
        assert_eq!(b.step(t0), Step::PastDeadline);
    }

    #[test]
    fn deadline_stops_retrying() {
        let p = RetryPolicy { deadline: Some(ms(100)), ..no_jitter(-1, 10) };
        let (r, calls, sleeper) = flaky(&p, usize::MAX, loss);
        // Sleeps 10, 20, 40 (t = 70); the next, 80, would end past the deadline.
        assert_eq!(sleeper.slept, vec![ms(10), ms(20), ms(40)]);
        assert_eq!(calls, 4);
        match r {
            Err(Error::RetryFailed(msg)) => {
                assert!(msg.contains("exceeded retry deadline"), "{msg}");
                assert!(msg.contains("connection lost: boom"), "{msg}");
            }
            other => panic!("expected RetryFailed, got {other:?}"),
        }
    }

    #[test]
    fn deadline_counts_from_the_first_call_including_call_time() {
        let p = RetryPolicy { deadline: Some(ms(100)), ..no_jitter(-1, 10) };
        let mut sleeper = FakeSleeper::new();
        let extra = sleeper.extra.clone();
        let mut calls = 0;
        let r: Result<()> = p.run_with(&never, &mut sleeper, || {
            calls += 1;
            extra.set(extra.get() + ms(30)); // each call takes 30 ms
            Err(loss())
        });
        // t=30 +10 -> 40; t=70 +20 -> 90; t=120: past the deadline.
        assert!(matches!(r, Err(Error::RetryFailed(ref m)) if m.contains("deadline")), "{r:?}");
        assert_eq!(calls, 3);
        assert_eq!(sleeper.slept, vec![ms(10), ms(20)]);
    }

    #[test]
    fn interrupt_stops_a_sleep() {
        let p = RetryPolicy { max_tries: -1, delay: Duration::from_secs(1), max_jitter: 0.0, ..Default::default() };
        let checks = Cell::new(0);
        let interrupt = || {
            checks.set(checks.get() + 1);
            checks.get() >= 4
        };
        let mut sleeper = FakeSleeper::new();
        let mut calls = 0;
        let r: Result<()> = p.run_with(&interrupt, &mut sleeper, || {
            calls += 1;
            Err(loss())
        });
        match r {
            Err(Error::Interrupted(msg)) => assert!(msg.contains("connection lost: boom"), "{msg}"),
            other => panic!("expected Interrupted, got {other:?}"),
        }
        assert_eq!(calls, 1);
        // Checked before sleeping and after each 100 ms slice.
        assert_eq!(sleeper.slept, vec![ms(100); 3]);
    }

    #[test]
    fn interrupt_is_polled_every_100ms() {
        let p = RetryPolicy { max_tries: 3, delay: ms(250), max_jitter: 0.0, ..Default::default() };
        let checks = Cell::new(0);
        let interrupt = || {
            checks.set(checks.get() + 1);
            false
        };
        let mut sleeper = FakeSleeper::new();
        let mut calls = 0;
        let r = p.run_with(&interrupt, &mut sleeper, || {
            calls += 1;
            if calls < 3 {
                Err(loss())
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Ok(()));
        // 250 ms then 500 ms, in slices of at most 100 ms.
        assert!(sleeper.slept.iter().all(|d| *d <= ms(100)));
        assert_eq!(sleeper.total(), ms(750));
        assert_eq!(sleeper.slept.len(), 3 + 5);
        assert_eq!(checks.get(), 2 + sleeper.slept.len());
    }

    #[test]
    fn interrupt_is_not_asked_when_nothing_fails() {
        let called = Cell::new(false);
        let interrupt = || {
            called.set(true);
            true
        };
        let r = RetryPolicy::forever().run_with(&interrupt, &mut FakeSleeper::new(), || Ok(7));
        assert_eq!(r, Ok(7));
        assert!(!called.get());
    }

    #[test]
    fn forever_retries_many_times() {
        let p = RetryPolicy { max_tries: -1, delay: ms(1), max_delay: ms(2), ..Default::default() };
        let (r, calls, sleeper) = flaky(&p, 1000, loss);
        assert_eq!(r, Ok(1001));
        assert_eq!(calls, 1001);
        assert_eq!(sleeper.slept.len(), 1000);
        assert!(sleeper.slept.iter().all(|d| *d <= ms(3)));
        let mut b = Backoff::new(&RetryPolicy { max_tries: -5, ..p });
        assert!((0..10_000).all(|_| b.next_delay().is_some()));
    }

    #[test]
    fn run_sleeps_on_the_real_clock() {
        let p = RetryPolicy { max_tries: 3, delay: ms(5), max_jitter: 0.0, ..Default::default() };
        let mut calls = 0;
        let start = Instant::now();
        let r = p.run(|| {
            calls += 1;
            if calls < 3 {
                Err(loss())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(r, Ok(3));
        assert!(start.elapsed() >= ms(15));
    }

    #[test]
    fn huge_values_do_not_panic() {
        let p = RetryPolicy {
            max_tries: -1,
            delay: Duration::MAX,
            backoff: f64::MAX,
            max_delay: Duration::MAX,
            deadline: Some(Duration::MAX),
            ..Default::default()
        };
        let mut b = Backoff::new(&p);
        for _ in 0..3 {
            assert!(b.next_delay().is_some());
        }
        let p = RetryPolicy { deadline: Some(ms(1)), ..p };
        assert_eq!(Backoff::new(&p).next_delay(), None);
    }

    #[test]
    fn config_keys() {
        let mut p = RetryPolicy::default();
        p.set("max_tries", "7").unwrap();
        p.set("delay_ms", "250").unwrap();
        p.set("backoff", "1.5").unwrap();
        p.set("max_jitter", "0.1").unwrap();
        p.set("max_delay_ms", " 5000 ").unwrap();
        p.set("deadline_ms", "30000").unwrap();
        p.set("ignore_expire", "false").unwrap();
        assert_eq!(p.max_tries, 7);
        assert_eq!(p.delay, ms(250));
        assert_eq!(p.backoff, 1.5);
        assert_eq!(p.max_jitter, 0.1);
        assert_eq!(p.max_delay, ms(5000));
        assert_eq!(p.deadline, Some(ms(30000)));
        assert!(!p.ignore_expire);

        p.set("max_tries", "-1").unwrap();
        assert_eq!(p.max_tries, -1);
        p.set("ignore_expire", "1").unwrap();
        assert!(p.ignore_expire);
        p.set("ignore_expire", "0").unwrap();
        assert!(!p.ignore_expire);
        p.set("ignore_expire", "TRUE").unwrap();
        assert!(p.ignore_expire);
        p.set("max_jitter", "3").unwrap();
        assert_eq!(p.max_jitter, 1.0);
        p.set("max_jitter", "-1").unwrap();
        assert_eq!(p.max_jitter, 0.0);
        for none in ["none", "-1", ""] {
            p.set("deadline_ms", "10").unwrap();
            p.set("deadline_ms", none).unwrap();
            assert_eq!(p.deadline, None);
        }
    }

    #[test]
    fn config_errors() {
        let mut p = RetryPolicy::default();
        assert_eq!(p.set("bogus", "1"), Err(Error::UnknownConfigKey("retry.bogus".into())));
        assert_eq!(p.set("delay", "1"), Err(Error::UnknownConfigKey("retry.delay".into())));
        let bad = [
            ("max_tries", "many"),
            ("max_tries", "0"),
            ("max_tries", "-2"),
            ("delay_ms", "-5"),
            ("delay_ms", "1.5"),
            ("max_delay_ms", "x"),
            ("deadline_ms", "soon"),
            ("backoff", "nan"),
            ("backoff", "inf"),
            ("backoff", "-2"),
            ("max_jitter", "NaN"),
            ("max_jitter", "lots"),
            ("ignore_expire", "yes please"),
        ];
        for (key, value) in bad {
            let before = format!("{p:?}");
            match p.set(key, value) {
                Err(Error::InvalidConfigValue { key: k, reason }) => {
                    assert_eq!(k, format!("retry.{key}"));
                    assert!(!reason.is_empty());
                }
                other => panic!("{key}={value}: expected InvalidConfigValue, got {other:?}"),
            }
            assert_eq!(format!("{p:?}"), before, "{key}={value} changed the policy");
        }
    }
}
