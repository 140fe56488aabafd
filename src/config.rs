//! Client configuration: typed fields, and string keys (`set("session_timeout_ms", "5000")`) so the C API
//! and bindings need no struct layouts.

use crate::acl::Acl;
use crate::error::{Error, Result};
use crate::hosts::ConnectString;
use crate::log::Level;
use crate::retry::RetryPolicy;
use std::path::PathBuf;
use std::time::Duration;

/// Who runs callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchMode {
    /// One event thread per client runs every callback, one at a time, in order.
    Thread,
    /// Callbacks run only inside [`crate::Client::dispatch`], on the caller's thread.
    Poll,
}

/// A password: kept out of `Debug` output, logs and error messages.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The password itself, for the code that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// TLS settings (the `tls.*` keys). Setting a certificate file turns TLS on; so does `tls.enabled=true`,
/// which without `tls.ca_file` trusts the system's CA store. The files are read when the client is created
/// (bad ones are errors then) and again before a connection when they changed.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// Connect with TLS (1.2 or later).
    pub enabled: bool,
    /// PEM bundle of the CAs trusted to sign server certificates; `None` uses the system's store.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (followed by its chain, if any) for servers that ask for one.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate; `None` looks for it in `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Password of an encrypted `key_file`.
    pub key_password: Option<Secret>,
    /// Check that the server certificate names the host of the connect string (a DNS name, or an IP
    /// address SAN for addresses). On by default; turning it off is logged at WARN.
    pub verify_hostname: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            enabled: false,
            ca_file: None,
            cert_file: None,
            key_file: None,
            key_password: None,
            verify_hostname: true,
        }
    }
}

/// The SASL mechanisms zkrs speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SaslMechanism {
    /// DIGEST-MD5 (RFC 2831), what ZooKeeper servers accept with a JAAS `DigestLoginModule`.
    #[default]
    DigestMd5,
}

/// SASL settings (the `sasl.*` keys). SASL runs on every connection when `username` is set, before any
/// other request.
#[derive(Debug, Clone, Default)]
pub struct SaslConfig {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name, as in the server's JAAS file (`user_<name>="..."`).
    pub username: Option<String>,
    /// The user's password.
    pub password: Option<Secret>,
}

/// Everything a client needs to know before it connects.
#[derive(Clone)]
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
    /// How long a request may wait for a connection (queued while disconnected) before it fails with
    /// `ConnectionLoss`; a request sent on a connection is not affected. `None` means the session
    /// timeout asked for (a request never outwaits the session it was made in); zero waits without limit.
    /// Checked between connection attempts: while one hangs, the failure may come up to the connect
    /// timeout late.
    pub request_timeout: Option<Duration>,
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
    /// TLS to the servers (client ports, read-only probes and four-letter words alike).
    pub tls: TlsConfig,
    /// SASL authentication after every connect.
    pub sasl: SaslConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials of `auth` are as secret as passwords.
        let auth: Vec<(&str, &str)> = self.auth.iter().map(|(scheme, _)| (scheme.as_str(), "***")).collect();
        f.debug_struct("Config")
            .field("hosts", &self.hosts)
            .field("session_timeout", &self.session_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_only", &self.read_only)
            .field("randomize_hosts", &self.randomize_hosts)
            .field("auth", &auth)
            .field("max_queued_requests", &self.max_queued_requests)
            .field("request_timeout", &self.request_timeout)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("dispatch", &self.dispatch)
            .field("connection_retry", &self.connection_retry)
            .field("default_acl", &self.default_acl)
            .field("client_id", &self.client_id.as_ref().map(|(id, _)| (id, "***")))
            .field("log_level", &self.log_level)
            .field("tls", &self.tls)
            .field("sasl", &self.sasl)
            .finish()
    }
}

impl Config {
    /// A configuration for `hosts` with every other setting at its default.
    pub fn new(hosts: &str) -> Config {
        Config { hosts: hosts.to_string(), ..Config::default() }
    }

    /// How long a queued request may wait for a connection; `None` is no limit.
    pub fn request_wait_limit(&self) -> Option<Duration> {
        let limit = self.request_timeout.unwrap_or(self.session_timeout);
        (!limit.is_zero()).then_some(limit)
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
            "request_timeout_ms" => self.request_timeout = Some(ms(value)?),
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
            "tls.enabled" => self.tls.enabled = boolean(value)?,
            "tls.ca_file" | "tls.cert_file" | "tls.key_file" => {
                let path = (!value.is_empty()).then(|| PathBuf::from(value));
                match key {
                    "tls.ca_file" => self.tls.ca_file = path,
                    "tls.cert_file" => self.tls.cert_file = path,
                    _ => self.tls.key_file = path,
                }
                self.tls.enabled |= !value.is_empty();
            }
            "tls.key_password" => self.tls.key_password = (!value.is_empty()).then(|| Secret::new(value)),
            "tls.verify_hostname" => self.tls.verify_hostname = boolean(value)?,
            "sasl.mechanism" => {
                self.sasl.mechanism = match value.trim().to_ascii_uppercase().as_str() {
                    "DIGEST-MD5" => SaslMechanism::DigestMd5,
                    _ => return Err(bad("only DIGEST-MD5 is supported")),
                }
            }
            "sasl.username" => self.sasl.username = (!value.is_empty()).then(|| value.to_string()),
            "sasl.password" => self.sasl.password = (!value.is_empty()).then(|| Secret::new(value)),
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
            request_timeout: None,
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
            tls: TlsConfig::default(),
            sasl: SaslConfig::default(),
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
        assert_eq!(c.request_wait_limit(), Some(Duration::from_secs(4)), "defaults to the session timeout");
        c.set("request_timeout_ms", "1500").unwrap();
        assert_eq!(c.request_wait_limit(), Some(Duration::from_millis(1500)));
        c.set("request_timeout_ms", "0").unwrap();
        assert_eq!(c.request_wait_limit(), None, "0 waits without limit");
        assert_eq!(c.set("nope", "1").unwrap_err().code(), crate::error::codes::UNKNOWN_CONFIG_KEY);
        for (k, v) in [
            ("session_timeout_ms", "x"),
            ("session_timeout_ms", "0"),
            ("request_timeout_ms", "-1"),
            ("read_only", "maybe"),
            ("hosts", ""),
            ("dispatch", "fiber"),
            ("auth", "nocolon"),
            ("tls.verify_hostname", "perhaps"),
            ("sasl.mechanism", "GSSAPI"),
        ] {
            assert_eq!(c.set(k, v).unwrap_err().code(), crate::error::codes::INVALID_CONFIG_VALUE, "{k}={v}");
        }
    }

    #[test]
    fn security_keys_and_no_secret_in_debug() {
        let mut c = Config::default();
        assert!(!c.tls.enabled && c.tls.verify_hostname);
        c.set("tls.ca_file", "/etc/zk/ca.pem").unwrap();
        c.set("tls.cert_file", "/etc/zk/client.pem").unwrap();
        c.set("tls.key_file", "/etc/zk/client.key").unwrap();
        c.set("tls.key_password", "keysecret").unwrap();
        c.set("tls.verify_hostname", "false").unwrap();
        c.set("sasl.mechanism", "digest-md5").unwrap();
        c.set("sasl.username", "bob").unwrap();
        c.set("sasl.password", "saslsecret").unwrap();
        c.set("auth", "digest:alice:authsecret").unwrap();
        c.set("client_id", "1f:00ff").unwrap();
        assert!(c.tls.enabled && !c.tls.verify_hostname);
        assert_eq!(c.tls.ca_file.as_deref(), Some(std::path::Path::new("/etc/zk/ca.pem")));
        assert_eq!(c.tls.key_password.as_ref().map(Secret::expose), Some("keysecret"));
        assert_eq!(c.sasl.username.as_deref(), Some("bob"));
        let shown = format!("{c:?}");
        for secret in ["keysecret", "saslsecret", "authsecret", "alice:"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("bob") && shown.contains("ca.pem"));
    }
}
