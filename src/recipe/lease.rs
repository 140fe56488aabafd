//! kazoo's `NonBlockingLease` and `MultiNonBlockingLease`: a lease on a task for a while, renewable by
//! its holder, refused to others until it ends, on the same nodes as kazoo.
//!
//! Layout (kazoo's): `<path>` persistent; `<path>/lease_holder` persistent, holding the JSON
//! `{"version": 1, "holder": "<identifier>", "end": "YYYY-MM-DDTHH:MM:SS"}` (kazoo's `json.dumps`: that
//! key order and spacing, non-ASCII escaped; `end` in UTC, whole seconds); and while one process reads and
//! rewrites the holder, a kazoo lock on `<path>` (`<path>/<uuid>__lock__<seq>`, data = the identifier), so
//! a kazoo process and a zkrs process never both think they obtained it. A multi-lease of `count` tries
//! `<path>/0`, `<path>/1`, ... and stops at the first it obtains.
//!
//! Leases compare the clocks of the processes, which must be roughly in step. The clock is injectable
//! ([`NonBlockingLease::with_clock`]) for tests. Unlike kazoo, the wait for the lock is bounded
//! ([`LOCK_WAIT`]: not obtained when it runs out).

use super::lock::Lock;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ops::CreateOptions;
use crate::path::validate_path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The storage version kazoo writes and accepts; a holder written with another is left alone.
const VERSION: i64 = 1;
/// The name of the node holding the lease's JSON.
const HOLDER: &str = "lease_holder";
/// How long an attempt waits for the lock other attempts hold while they read and rewrite the holder.
pub const LOCK_WAIT: Duration = Duration::from_secs(15);

/// A clock answering "now" (kazoo's `utcnow`); [`SystemTime::now`] unless a test injects another.
pub type Clock<'a> = &'a dyn Fn() -> SystemTime;

/// One attempt at kazoo's `NonBlockingLease`: made when constructed, [`NonBlockingLease::obtained`]
/// tells the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonBlockingLease {
    path: String,
    obtained: bool,
}

impl NonBlockingLease {
    /// Tries to obtain the lease at `path` for `duration` as `identifier` (`None`: the host name, as
    /// kazoo). Obtained when nobody holds it, its holder's time is over, or `identifier` holds it
    /// already (then it is renewed until now + `duration`). `WouldDeadlock` inside a callback of the
    /// client (the lock around the holder needs its watches).
    pub fn new(client: &Client, path: &str, duration: Duration, identifier: Option<&str>) -> Result<Self> {
        Self::with_clock(client, path, duration, identifier, &SystemTime::now)
    }

    /// [`NonBlockingLease::new`] reading the time from `clock`.
    pub fn with_clock(
        client: &Client,
        path: &str,
        duration: Duration,
        identifier: Option<&str>,
        clock: Clock,
    ) -> Result<Self> {
        validate_path(path, false)?;
        let identifier = match identifier {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => host_name()?,
        };
        let obtained = attempt(client, path, duration, &identifier, clock)?;
        Ok(NonBlockingLease { path: path.to_string(), obtained })
    }

    /// Whether the lease was obtained (or renewed).
    pub fn obtained(&self) -> bool {
        self.obtained
    }

    /// The lease's path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// kazoo's `MultiNonBlockingLease`: one of `count` leases under a path, so that up to `count` holders
/// run a task at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiNonBlockingLease {
    obtained: Option<String>,
}

impl MultiNonBlockingLease {
    /// Tries the leases `<path>/0` to `<path>/<count - 1>` in order and stops at the first obtained.
    pub fn new(
        client: &Client,
        count: usize,
        path: &str,
        duration: Duration,
        identifier: Option<&str>,
    ) -> Result<Self> {
        Self::with_clock(client, count, path, duration, identifier, &SystemTime::now)
    }

    /// [`MultiNonBlockingLease::new`] reading the time from `clock`.
    pub fn with_clock(
        client: &Client,
        count: usize,
        path: &str,
        duration: Duration,
        identifier: Option<&str>,
        clock: Clock,
    ) -> Result<Self> {
        validate_path(path, false)?;
        let base = path.trim_end_matches('/');
        for n in 0..count {
            let lease = NonBlockingLease::with_clock(client, &format!("{base}/{n}"), duration, identifier, clock)?;
            if lease.obtained {
                return Ok(MultiNonBlockingLease { obtained: Some(lease.path) });
            }
        }
        Ok(MultiNonBlockingLease { obtained: None })
    }

    /// Whether one of the leases was obtained.
    pub fn obtained(&self) -> bool {
        self.obtained.is_some()
    }

    /// The path of the lease obtained (`<path>/<n>`).
    pub fn lease_path(&self) -> Option<&str> {
        self.obtained.as_deref()
    }
}

/// The host name, kazoo's default identifier (`socket.gethostname()`).
fn host_name() -> Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(Error::BadArguments(format!(
            "no identifier given and the host name is unavailable: {}",
            std::io::Error::last_os_error()
        )));
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// kazoo's `_attempt_obtaining`: under the lock on `path`, reads the holder and, if the lease is free,
/// over or ours, writes it with a new end.
fn attempt(client: &Client, path: &str, duration: Duration, identifier: &str, clock: Clock) -> Result<bool> {
    client.ensure_path(path)?;
    let lock = Lock::new(client, path, identifier)?;
    match lock.acquire(true, Some(LOCK_WAIT), true) {
        Ok(true) => {}
        Ok(false) | Err(Error::Cancelled(_)) | Err(Error::Timeout(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    let outcome = write_if_free(client, path, duration, identifier, clock);
    let released = lock.release();
    let obtained = outcome?;
    released?;
    Ok(obtained)
}

fn write_if_free(client: &Client, path: &str, duration: Duration, identifier: &str, clock: Clock) -> Result<bool> {
    let holder_path = format!("{path}/{HOLDER}");
    let now = clock();
    let version = match client.get_data(&holder_path, None) {
        Ok((raw, stat)) => {
            let current = Holder::decode(&raw)
                .ok_or_else(|| Error::Marshalling(format!("{holder_path} does not hold a lease kazoo wrote")))?;
            if current.version != Some(VERSION) {
                return Ok(false); // written by a newer format: leave it to those who know it
            }
            let end = current.end.ok_or_else(|| Error::Marshalling(format!("{holder_path}: bad end time")))?;
            if current.holder.as_deref() != Some(identifier) && now < end {
                return Ok(false);
            }
            Some(stat.version)
        }
        Err(Error::NoNode(_)) => None,
        Err(e) => return Err(e),
    };
    let data = Holder::encode(identifier, now + duration);
    // Rewritten in place (kazoo deletes and creates): the version check keeps it a compare-and-set even
    // against a writer that skips the lock.
    let written = match version {
        Some(v) => client.set_data(&holder_path, &data, v).map(drop),
        None => client.create(&holder_path, &data, &CreateOptions::default()).map(drop),
    };
    match written {
        Ok(()) => Ok(true),
        Err(Error::BadVersion(_)) | Err(Error::NodeExists(_)) | Err(Error::NoNode(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The content of `lease_holder` as far as a lease needs it.
#[derive(Debug, PartialEq)]
struct Holder {
    /// `None` when the version is not an integer.
    version: Option<i64>,
    /// `None` when the holder is not a string.
    holder: Option<String>,
    /// `None` when the end is not kazoo's time format.
    end: Option<SystemTime>,
}

impl Holder {
    /// Byte for byte what kazoo's `json.dumps` writes.
    fn encode(identifier: &str, end: SystemTime) -> Vec<u8> {
        let mut out = String::from("{\"version\": 1, \"holder\": ");
        json::put_string(&mut out, identifier);
        out.push_str(", \"end\": \"");
        out.push_str(&utc::format(end));
        out.push_str("\"}");
        out.into_bytes()
    }

    /// `None` unless `raw` is UTF-8 JSON: an object with `version`, `holder` and `end`.
    fn decode(raw: &[u8]) -> Option<Holder> {
        let json::Value::Object(fields) = json::parse(std::str::from_utf8(raw).ok()?)? else { return None };
        // Python's json keeps the last of duplicate keys.
        let field = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
        let version = match field("version")? {
            json::Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(*n as i64),
            _ => None,
        };
        let holder = match field("holder")? {
            json::Value::String(s) => Some(s.clone()),
            _ => None,
        };
        let end = match field("end")? {
            json::Value::String(s) => utc::parse(s),
            _ => None,
        };
        Some(Holder { version, holder, end })
    }
}

/// kazoo's `"%Y-%m-%dT%H:%M:%S"` in UTC, without a zone (Python's naive `utcnow()`).
mod utc {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    /// The date of a day number (the inverse of [`days_from_civil`]).
    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719468;
        let era = z.div_euclid(146097);
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// Whole seconds since the epoch, rounded down (strftime drops the fraction).
    fn unix_seconds(t: SystemTime) -> i64 {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(before) => {
                let d = before.duration();
                -(d.as_secs() as i64) - i64::from(d.subsec_nanos() > 0)
            }
        }
    }

    pub fn format(t: SystemTime) -> String {
        let secs = unix_seconds(t);
        let (y, m, d) = civil_from_days(secs.div_euclid(86400));
        let s = secs.rem_euclid(86400);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// Parses exactly the format kazoo writes.
    pub fn parse(text: &str) -> Option<SystemTime> {
        let b = text.as_bytes();
        if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let digits = text.get(r)?;
            digits.bytes().all(|c| c.is_ascii_digit()).then(|| digits.parse().ok())?
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let month_days = [
            31,
            if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
        Some(if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        })
    }
}

/// The little JSON a lease needs: Python's `json.dumps` string escaping, and a parser for what any
/// writer may have put in `lease_holder`.
mod json {
    use std::fmt::Write;

    /// `s` as Python's `json.dumps` writes it with `ensure_ascii`: printable ASCII as is, the usual short
    /// escapes, everything else `\uXXXX` (lower-case hex, UTF-16 surrogate pairs beyond the BMP).
    pub fn put_string(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        let _ = write!(out, "\\u{u:04x}");
                    }
                }
            }
        }
        out.push('"');
    }

    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    /// One JSON value with nothing but white space around it; `None` if `text` is not JSON.
    pub fn parse(text: &str) -> Option<Value> {
        let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
        depth: u32,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.s.get(self.i).is_some_and(|b| b" \t\r\n".contains(b)) {
                self.i += 1;
            }
        }

        fn eat(&mut self, b: u8) -> bool {
            self.ws();
            if self.s.get(self.i) == Some(&b) {
                self.i += 1;
                true
            } else {
                false
            }
        }

        fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
            self.s[self.i..].starts_with(word.as_bytes()).then(|| {
                self.i += word.len();
                v
            })
        }

        fn value(&mut self) -> Option<Value> {
            self.ws();
            // Nesting is bounded so hostile data cannot exhaust the stack.
            if self.depth > 64 {
                return None;
            }
            match *self.s.get(self.i)? {
                b'{' => {
                    self.i += 1;
                    self.depth += 1;
                    let mut fields = Vec::new();
                    if !self.eat(b'}') {
                        loop {
                            self.ws();
                            let key = self.string()?;
                            if !self.eat(b':') {
                                return None;
                            }
                            fields.push((key, self.value()?));
                            if self.eat(b'}') {
                                break;
                            }
                            if !self.eat(b',') {
                                return None;
                            }
                        }
                    }
                    self.depth -= 1;
                    Some(Value::Object(fields))
                }
                b'[' => {
                    self.i += 1;
                    self.depth += 1;
                    let mut items = Vec::new();
                    if !self.eat(b']') {
                        loop {
                            items.push(self.value()?);
                            if self.eat(b']') {
                                break;
                            }
                            if !self.eat(b',') {
                                return None;
                            }
                        }
                    }
                    self.depth -= 1;
                    Some(Value::Array(items))
                }
                b'"' => self.string().map(Value::String),
                b't' => self.literal("true", Value::Bool(true)),
                b'f' => self.literal("false", Value::Bool(false)),
                b'n' => self.literal("null", Value::Null),
                _ => self.number(),
            }
        }

        fn number(&mut self) -> Option<Value> {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|b| b"+-.eE0123456789".contains(b)) {
                self.i += 1;
            }
            let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
            let first_digit = text.strip_prefix('-').unwrap_or(text);
            if !first_digit.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            text.parse().ok().map(Value::Number)
        }

        fn hex4(&mut self) -> Option<u32> {
            let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
            self.i += 4;
            u32::from_str_radix(h, 16).ok()
        }

        fn string(&mut self) -> Option<String> {
            if self.s.get(self.i) != Some(&b'"') {
                return None;
            }
            self.i += 1;
            let mut out = String::new();
            loop {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20) {
                    self.i += 1;
                }
                out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
                match *self.s.get(self.i)? {
                    b'"' => {
                        self.i += 1;
                        return Some(out);
                    }
                    b'\\' => {
                        self.i += 1;
                        let e = *self.s.get(self.i)?;
                        self.i += 1;
                        out.push(match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let hi = self.hex4()?;
                                if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
                                    let save = self.i;
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                                    } else {
                                        self.i = save;
                                        '\u{fffd}'
                                    }
                                } else {
                                    char::from_u32(hi).unwrap_or('\u{fffd}')
                                }
                            }
                            _ => return None,
                        });
                    }
                    _ => return None, // a raw control character
                }
            }
        }
    }
}

/// The time `ms` milliseconds after (or, negative, before) the epoch: for tests and the C clock argument.
pub(crate) fn at_unix_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_is_written_as_kazoo_writes_it() {
        let end = at_unix_ms(1_764_693_000_999); // 2025-12-02T16:30:00.999
        assert_eq!(
            String::from_utf8(Holder::encode("host-1", end)).unwrap(),
            r#"{"version": 1, "holder": "host-1", "end": "2025-12-02T16:30:00"}"#
        );
        assert_eq!(
            String::from_utf8(Holder::encode("é\"\\\n\u{1}\u{7f}😀", at_unix_ms(0))).unwrap(),
            r#"{"version": 1, "holder": "\u00e9\"\\\n\u0001\u007f\ud83d\ude00", "end": "1970-01-01T00:00:00"}"#
        );
    }

    #[test]
    fn what_kazoo_writes_is_read_back() {
        let raw = br#"{"version": 1, "holder": "\u00e9 \ud83d\ude00", "end": "2024-02-29T23:59:59"}"#;
        let h = Holder::decode(raw).unwrap();
        assert_eq!(h.version, Some(1));
        assert_eq!(h.holder.as_deref(), Some("é 😀"));
        assert_eq!(h.end, Some(at_unix_ms(1_709_251_199_000)));
        let compact =
            Holder::decode(br#"{"end":"2024-02-29T23:59:59","holder":"x","version":2,"extra":[1,{"a":null}]}"#);
        assert_eq!(compact.unwrap().version, Some(2));
        assert_eq!(
            Holder::decode(br#"{"version": 1.0, "holder": 7, "end": "2024-02-30T00:00:00"}"#).unwrap(),
            Holder { version: Some(1), holder: None, end: None }
        );
        for bad in
            [&b""[..], b"[]", b"{\"version\": 1}", b"{\"version\": 1, \"holder\": \"a\", \"end\": \"x\"", b"\xff"]
        {
            assert_eq!(Holder::decode(bad), None, "{bad:?}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(json::parse(&deep), None);
    }

    #[test]
    fn utc_times_round_trip() {
        for ms in [0, 951_782_400_000, 4_102_444_799_000, -86_400_000] {
            let t = at_unix_ms(ms);
            assert_eq!(utc::parse(&utc::format(t)), Some(t), "{}", utc::format(t));
        }
        assert_eq!(utc::format(at_unix_ms(951_782_400_000)), "2000-02-29T00:00:00");
        assert_eq!(utc::parse("2023-02-29T00:00:00"), None);
        assert_eq!(utc::parse("2023-01-01 00:00:00"), None);
        assert_eq!(utc::parse("2023-01-01T24:00:00"), None);
    }
}
