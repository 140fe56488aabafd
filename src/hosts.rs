//! The connect string: `host:port[,host:port...][/chroot]`, with `[IPv6]:port`, and the cycle of
//! addresses tried when connecting.

use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use std::net::{SocketAddr, ToSocketAddrs};

const DEFAULT_PORT: u16 = 2181;

/// One entry of the connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// A host name or address (IPv6 without brackets).
    pub host: String,
    /// The port (2181 when the connect string gives none).
    pub port: u16,
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A parsed connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// The servers, in the given order.
    pub hosts: Vec<HostPort>,
    /// `""` when there is no chroot.
    pub chroot: String,
}

impl ConnectString {
    /// Parses `host:port[,host:port...][/chroot]`; IPv6 addresses go in brackets.
    pub fn parse(s: &str) -> Result<ConnectString> {
        let bad = |reason: String| Error::InvalidConfigValue { key: "hosts".into(), reason };
        let s = s.trim();
        let (list, chroot) = match s.find('/') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let chroot = if chroot == "/" { "" } else { chroot.trim_end_matches('/') };
        if !chroot.is_empty() {
            crate::path::validate_path(chroot, false).map_err(|e| bad(format!("bad chroot: {e}")))?;
        }
        let mut hosts = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
                let end = rest.find(']').ok_or_else(|| bad(format!("unclosed [ in {entry:?}")))?;
                let host = &rest[..end];
                match &rest[end + 1..] {
                    "" => (host, None),
                    p if p.starts_with(':') => (host, Some(&p[1..])),
                    _ => return Err(bad(format!("garbage after ] in {entry:?}"))),
                }
            } else if entry.matches(':').count() > 1 {
                return Err(bad(format!("IPv6 address {entry:?} must be written as [addr]:port")));
            } else {
                match entry.split_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (entry, None),
                }
            };
            if host.is_empty() {
                return Err(bad(format!("empty host in {entry:?}")));
            }
            let port = match port {
                None => DEFAULT_PORT,
                Some(p) => {
                    p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad(format!("bad port in {entry:?}")))?
                }
            };
            hosts.push(HostPort { host: host.to_string(), port });
        }
        if hosts.is_empty() {
            return Err(bad("no host given".into()));
        }
        Ok(ConnectString { hosts, chroot: chroot.to_string() })
    }
}

/// Walks through the hosts: each cycle (re)resolves every name once, optionally shuffles, and yields
/// every address. Resolution happens only here, once per connection attempt cycle.
pub(crate) struct HostCycle {
    hosts: Vec<HostPort>,
    randomize: bool,
    current: Vec<(HostPort, SocketAddr)>,
    next: usize,
    round_started: bool,
    preferred: Option<(HostPort, SocketAddr)>,
}

impl HostCycle {
    pub fn new(hosts: Vec<HostPort>, randomize: bool) -> Self {
        HostCycle { hosts, randomize, current: Vec::new(), next: 0, round_started: false, preferred: None }
    }

    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    pub fn set_hosts(&mut self, hosts: Vec<HostPort>) {
        self.hosts = hosts;
        self.round_started = false;
    }

    /// Makes `addr` the next address tried (a read-write server found while read-only).
    pub fn prefer(&mut self, host: HostPort, addr: SocketAddr) {
        self.preferred = Some((host, addr));
    }

    /// The next address to try, or `None` when a full cycle has been tried (the caller backs off).
    pub fn next_addr(&mut self) -> Option<(HostPort, SocketAddr)> {
        if let Some(preferred) = self.preferred.take() {
            return Some(preferred);
        }
        if self.round_started && self.next >= self.current.len() {
            self.round_started = false;
            return None;
        }
        if !self.round_started {
            self.resolve();
            self.next = 0;
            if self.current.is_empty() {
                return None;
            }
            self.round_started = true;
        }
        let item = self.current[self.next].clone();
        self.next += 1;
        Some(item)
    }

    fn resolve(&mut self) {
        self.current.clear();
        let mut hosts = self.hosts.clone();
        if self.randomize {
            hosts.shuffle(&mut rand::thread_rng());
        }
        for hp in hosts {
            match (hp.host.as_str(), hp.port).to_socket_addrs() {
                Ok(addrs) => {
                    for a in addrs {
                        self.current.push((hp.clone(), a));
                    }
                }
                Err(e) => warn!("cannot resolve {hp}: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ipv6_and_chroot() {
        let c = ConnectString::parse("a:1,[::1]:2,b,[fe80::1]/app/x/").unwrap();
        assert_eq!(
            c.hosts,
            vec![
                HostPort { host: "a".into(), port: 1 },
                HostPort { host: "::1".into(), port: 2 },
                HostPort { host: "b".into(), port: 2181 },
                HostPort { host: "fe80::1".into(), port: 2181 },
            ]
        );
        assert_eq!(c.chroot, "/app/x");
        assert_eq!(ConnectString::parse("h:1/").unwrap().chroot, "");
        for bad in ["", "/x", "h:0", "h:x", "h:70000", "::1:2181", "[::1", "[::1]x", "h:1/a//b"] {
            assert!(ConnectString::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cycle_resolves_each_round_and_signals_end() {
        let hosts = ConnectString::parse("127.0.0.1:1,127.0.0.1:2").unwrap().hosts;
        let mut c = HostCycle::new(hosts, false);
        assert_eq!(c.next_addr().unwrap().1.port(), 1);
        assert_eq!(c.next_addr().unwrap().1.port(), 2);
        assert!(c.next_addr().is_none());
        assert_eq!(c.next_addr().unwrap().1.port(), 1);
        let mut none = HostCycle::new(vec![HostPort { host: "nonexistent.invalid".into(), port: 1 }], false);
        assert!(none.next_addr().is_none());
        assert!(none.next_addr().is_none());
    }
}
