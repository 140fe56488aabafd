//! Client configuration: typed fields, and string keys (`set("session_timeout_ms", "5000")`) so the C API
//! and bindings need no struct layouts.

use crate::acl::Acl;
use crate::error::{Error, Result};
use crate::hosts::ConnectString;
use crate::log::Level;
use crate::retry::RetryPolicy;
use std::time::Duration;

/// Who runs callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchMode {
    /// One event thread per client runs every callback, one at a time, in order.
    Thread,
    /// Callbacks run only inside [`crate::Client::dispatch`], on the caller's thread.
    Poll,
}

/// Everything a client needs to know before it connects.
#[derive(Debug, Clone)]
pub struct Config {
    /// The connect string: `host:port[,host:port...][/chroot]`.
    pub hosts: String,
    /// The session timeout asked of the server (it may negotiate another).
    pub session_timeout: Duration,
    /// Timeout of one TCP connect and handshake; `None` means session timeout / number of hosts.
    pub connect_timeout: Option<Duration>,
    /// Accept read-only servers (and keep looking for a read-write one).
    pub read_only: bool,
    /// Shuffle the hosts (the default) or try them in the given order.
    pub randomize_hosts: bool,
    /// Credentials sent after every connect: `(scheme, credentials)`, e.g. `("digest", b"user:pass")`.
    pub auth: Vec<(String, Vec<u8>)>,
    /// How many requests may wait while disconnected; more fail with `QueueFull`.
    pub max_queued_requests: usize,
    /// Largest frame accepted from the server (jute.maxbuffer plus headers).
    pub max_frame_bytes: usize,
    /// Who runs callbacks.
    pub dispatch: DispatchMode,
    /// Backoff between connection attempt cycles.
    pub connection_retry: RetryPolicy,
    /// ACL used by `create` when none is given.
    pub default_acl: Vec<Acl>,
    /// A session to resume: `(session id, password)`.
    pub client_id: Option<(i64, Vec<u8>)>,
    /// Log level for the process (`None` keeps the current one).
    pub log_level: Option<Level>,
}

impl Config {
    /// A configuration for `hosts` with every other setting at its default.
    pub fn new(hosts: &str) -> Config {
        Config { hosts: hosts.to_string(), ..Config::default() }
    }

    /// Sets one setting by its string key. Unknown keys and bad values are errors that say why.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = |reason: &str| Error::InvalidConfigValue { key: key.to_string(), reason: reason.to_string() };
        let ms = |v: &str| -> Result<Duration> {
            v.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| bad("expected milliseconds (a non-negative integer)"))
        };
        let boolean = |v: &str| -> Result<bool> {
            match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(bad("expected true or false")),
            }
        };
        match key {
            "hosts" => {
                ConnectString::parse(value)?;
                self.hosts = value.to_string();
            }
            "session_timeout_ms" => {
                let d = ms(value)?;
                if d.as_millis() == 0 || d.as_millis() > i32::MAX as u128 {
                    return Err(bad("must be between 1 and 2147483647"));
                }
                self.session_timeout = d;
            }
            "connect_timeout_ms" => {
                let d = ms(value)?;
                self.connect_timeout = if d.is_zero() { None } else { Some(d) };
            }
            "read_only" => self.read_only = boolean(value)?,
            "randomize_hosts" => self.randomize_hosts = boolean(value)?,
            "auth" => {
                let (scheme, cred) = value
                    .split_once(':')
                    .ok_or_else(|| bad("expected scheme:credentials, e.g. digest:user:password"))?;
                if scheme.is_empty() {
                    return Err(bad("empty scheme"));
                }
                self.auth.push((scheme.to_string(), cred.as_bytes().to_vec()));
            }
            "max_queued_requests" => {
                self.max_queued_requests = value.trim().parse().map_err(|_| bad("expected a non-negative integer"))?
            }
            "jute_maxbuffer" => {
                let n: usize = value.trim().parse().map_err(|_| bad("expected a byte count"))?;
                if n < 1024 {
                    return Err(bad("must be at least 1024"));
                }
                self.max_frame_bytes = n + FRAME_OVERHEAD;
            }
            "dispatch" => {
                self.dispatch = match value.trim() {
                    "thread" => DispatchMode::Thread,
                    "poll" => DispatchMode::Poll,
                    _ => return Err(bad("expected thread or poll")),
                }
            }
            "log_level" => {
                self.log_level =
                    Some(Level::parse(value).ok_or_else(|| bad("expected error, warn, info, debug or trace"))?)
            }
            "client_id" => {
                let (id, pw) = value.split_once(':').ok_or_else(|| bad("expected SESSION_ID_HEX:PASSWORD_HEX"))?;
                let id = i64::from_str_radix(id.trim_start_matches("0x"), 16)
                    .or_else(|_| u64::from_str_radix(id.trim_start_matches("0x"), 16).map(|v| v as i64))
                    .map_err(|_| bad("session id is not hex"))?;
                let pw = decode_hex(pw).ok_or_else(|| bad("password is not hex"))?;
                self.client_id = Some((id, pw));
            }
            k if k.starts_with("retry.") => self.connection_retry.set(&k["retry.".len()..], value)?,
            _ => return Err(Error::UnknownConfigKey(key.to_string())),
        }
        Ok(())
    }
}

/// Room for reply headers and stat beyond `jute.maxbuffer` (the Java client allows 1 KiB more).
const FRAME_OVERHEAD: usize = 1024;

/// The server's default `jute.maxbuffer`.
pub const DEFAULT_JUTE_MAXBUFFER: usize = 0xfffff;

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hosts: "127.0.0.1:2181".to_string(),
            session_timeout: Duration::from_secs(10),
            connect_timeout: None,
            read_only: false,
            randomize_hosts: true,
            auth: Vec::new(),
            max_queued_requests: 100_000,
            max_frame_bytes: DEFAULT_JUTE_MAXBUFFER + FRAME_OVERHEAD,
            dispatch: DispatchMode::Thread,
            connection_retry: RetryPolicy {
                max_tries: -1,
                delay: Duration::from_millis(50),
                backoff: 2.0,
                max_jitter: 0.4,
                max_delay: Duration::from_secs(2),
                deadline: None,
                ignore_expire: true,
            },
            default_acl: Acl::open_unsafe(),
            client_id: None,
            log_level: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_keys() {
        let mut c = Config::default();
        c.set("hosts", "127.0.0.1:1,[::1]:2/app").unwrap();
        c.set("session_timeout_ms", "4000").unwrap();
        c.set("read_only", "true").unwrap();
        c.set("randomize_hosts", "0").unwrap();
        c.set("auth", "digest:u:p").unwrap();
        c.set("dispatch", "poll").unwrap();
        c.set("client_id", "1f:00ff").unwrap();
        assert_eq!(c.session_timeout, Duration::from_secs(4));
        assert!(c.read_only && !c.randomize_hosts);
        assert_eq!(c.auth, vec![("digest".to_string(), b"u:p".to_vec())]);
        assert_eq!(c.dispatch, DispatchMode::Poll);
        assert_eq!(c.client_id, Some((0x1f, vec![0, 0xff])));
        assert_eq!(c.set("nope", "1").unwrap_err().code(), crate::error::codes::UNKNOWN_CONFIG_KEY);
        for (k, v) in [
            ("session_timeout_ms", "x"),
            ("session_timeout_ms", "0"),
            ("read_only", "maybe"),
            ("hosts", ""),
            ("dispatch", "fiber"),
            ("auth", "nocolon"),
        ] {
            assert_eq!(c.set(k, v).unwrap_err().code(), crate::error::codes::INVALID_CONFIG_VALUE, "{k}={v}");
        }
    }
}
