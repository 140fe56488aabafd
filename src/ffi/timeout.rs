//! The C API's one timeout convention: `timeout_ms` -1 waits without limit, 0 does not wait, more
//! waits that many milliseconds; anything below -1 is `ZKRS_RC_BAD_ARGUMENTS` (a negative number
//! other than -1 is more likely a bug in the caller's arithmetic than a wish to wait forever).

use super::{fail, zkrs_rc};
use crate::error::codes;
use std::time::Duration;

/// How long "no limit" is for calls that take a `Duration`.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `None`: no limit.
pub(crate) fn wait_limit(timeout_ms: i32) -> Result<Option<Duration>, zkrs_rc> {
    match timeout_ms {
        -1 => Ok(None),
        ms if ms >= 0 => Ok(Some(Duration::from_millis(ms as u64))),
        ms => Err(fail(codes::BAD_ARGUMENTS, &format!("timeout_ms {ms}: use -1 (no limit), 0 (do not wait) or more"))),
    }
}

/// No limit as a century.
pub(crate) fn wait_duration(timeout_ms: i32) -> Result<Duration, zkrs_rc> {
    Ok(wait_limit(timeout_ms)?.unwrap_or(FOREVER))
}

/// The recipes' form `(blocking, timeout)`: 0 is one try without blocking.
pub(crate) fn wait_arg(timeout_ms: i32) -> Result<(bool, Option<Duration>), zkrs_rc> {
    Ok(match wait_limit(timeout_ms)? {
        Some(Duration::ZERO) => (false, None),
        limit => (true, limit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_zero_and_more_are_the_only_timeouts() {
        assert_eq!(wait_limit(-1), Ok(None));
        assert_eq!(wait_limit(0), Ok(Some(Duration::ZERO)));
        assert_eq!(wait_limit(250), Ok(Some(Duration::from_millis(250))));
        assert_eq!(wait_duration(-1), Ok(FOREVER));
        assert_eq!(wait_arg(0), Ok((false, None)));
        assert_eq!(wait_arg(-1), Ok((true, None)));
        assert_eq!(wait_arg(5), Ok((true, Some(Duration::from_millis(5)))));
        for bad in [-2, -1000, i32::MIN] {
            assert_eq!(wait_limit(bad), Err(codes::BAD_ARGUMENTS));
            assert_eq!(wait_arg(bad), Err(codes::BAD_ARGUMENTS));
        }
    }
}
