//! Znode paths: the server's validation rules and the client's chroot.

use crate::error::{Error, Result};

/// Checks `path` with ZooKeeper's rules: absolute, no empty segment, no `.` or `..` segment, no control
/// characters or other characters the server refuses; a trailing `/` only when `sequential` (the server
/// appends the sequence number).
pub fn validate_path(path: &str, sequential: bool) -> Result<()> {
    let bad = |reason: &str| Err(Error::InvalidPath { path: path.to_string(), reason: reason.to_string() });
    if path.is_empty() {
        return bad("path is empty");
    }
    if !path.starts_with('/') {
        return bad("path must start with /");
    }
    if path.len() == 1 {
        return if sequential { bad("the root cannot be a sequential node's prefix") } else { Ok(()) };
    }
    let checked = if sequential && path.ends_with('/') { &path[..path.len() - 1] } else { path };
    if checked.ends_with('/') {
        return bad("path must not end with /");
    }
    for segment in checked[1..].split('/') {
        match segment {
            "" => return bad("empty segment (//)"),
            "." | ".." => return bad("relative segments (. or ..) are not allowed"),
            _ => {}
        }
    }
    for c in checked.chars() {
        let refused = c == '\0'
            || ('\u{1}'..='\u{1f}').contains(&c)
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || ('\u{e000}'..='\u{f8ff}').contains(&c)
            || ('\u{fff0}'..='\u{ffff}').contains(&c)
            // The server checks UTF-16 code units and refuses surrogates, so every character beyond
            // the Basic Multilingual Plane (a surrogate pair in Java) is refused too.
            || c > '\u{ffff}';
        if refused {
            return bad(&format!("character U+{:04X} is not allowed", c as u32));
        }
    }
    Ok(())
}

/// The client's chroot: a prefix added to every path sent and removed from every path received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chroot {
    prefix: String,
}

impl Chroot {
    /// `prefix` is `""` for none, else a valid absolute path without trailing `/`.
    pub fn new(prefix: &str) -> Result<Self> {
        if prefix.is_empty() || prefix == "/" {
            return Ok(Chroot::default());
        }
        validate_path(prefix, false)?;
        Ok(Chroot { prefix: prefix.to_string() })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The server's path for a user path (already validated).
    pub fn to_server(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_string()
        } else if path == "/" {
            self.prefix.clone()
        } else {
            let mut s = String::with_capacity(self.prefix.len() + path.len());
            s.push_str(&self.prefix);
            s.push_str(path);
            s
        }
    }

    /// The user's path for a server path; paths outside the chroot are returned unchanged.
    pub fn to_user(&self, path: &str) -> String {
        self.strip(path).to_string()
    }

    pub fn strip<'a>(&self, path: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            return path;
        }
        match path.strip_prefix(self.prefix.as_str()) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_rules() {
        for ok in ["/", "/a", "/a/b", "/a.b", "/..a", "/zookeeper", "/日本"] {
            validate_path(ok, false).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            "a",
            "/a/",
            "//",
            "/a//b",
            "/a/./b",
            "/a/..",
            "/.",
            "/a\u{1}",
            "/a\0b",
            "/\u{fff5}",
            "/\u{e000}",
            "/🐘",
            "/a/\u{10000}",
        ] {
            assert!(validate_path(bad, false).is_err(), "{bad:?} accepted");
        }
        validate_path("/a/", true).unwrap();
        validate_path("/a/lock-", true).unwrap();
        assert!(validate_path("/a//", true).is_err());
        assert_eq!(validate_path("x", false).unwrap_err().code(), crate::error::codes::INVALID_PATH);
    }

    #[test]
    fn chroot_round_trip() {
        let c = Chroot::new("/app").unwrap();
        assert_eq!(c.to_server("/"), "/app");
        assert_eq!(c.to_server("/x/y"), "/app/x/y");
        assert_eq!(c.to_user("/app"), "/");
        assert_eq!(c.to_user("/app/x"), "/x");
        assert_eq!(c.to_user("/apple"), "/apple");
        let none = Chroot::new("/").unwrap();
        assert_eq!(none.to_server("/x"), "/x");
        assert!(Chroot::new("/bad//chroot").is_err());
    }
}
