//! TEMPORARY stub; replaced by the real retry policy.
use crate::error::{Error, Result};
use std::time::{Duration, Instant};
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_tries: i32,
    pub delay: Duration,
    pub backoff: f64,
    pub max_jitter: f64,
    pub max_delay: Duration,
    pub deadline: Option<Duration>,
    pub ignore_expire: bool,
}
impl Default for RetryPolicy {
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
pub trait Sleeper {
    fn sleep(&mut self, d: Duration);
    fn now(&self) -> Instant;
}
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
    pub fn run_with<T>(
        &self,
        _i: &dyn Fn() -> bool,
        _s: &mut dyn Sleeper,
        mut f: impl FnMut() -> Result<T>,
    ) -> Result<T> {
        f()
    }
    pub fn set(&mut self, key: &str, _v: &str) -> Result<()> {
        Err(Error::UnknownConfigKey(key.into()))
    }
}
pub struct Backoff {
    d: Duration,
    max: Duration,
}
impl Backoff {
    pub fn new(p: &RetryPolicy) -> Self {
        Backoff { d: p.delay, max: p.max_delay }
    }
    pub fn next_delay(&mut self) -> Option<Duration> {
        let d = self.d;
        self.d = (self.d * 2).min(self.max);
        Some(d)
    }
    pub fn reset(&mut self) {}
}
