//! Access control lists: permissions, identities, the well-known ACLs and digest ACLs.

use crate::base64;
use crate::digest::sha1;

/// Permission bits of an [`Acl`].
pub mod perms {
    /// Read the data and list the children.
    pub const READ: i32 = 1;
    /// Set the data.
    pub const WRITE: i32 = 2;
    /// Create children.
    pub const CREATE: i32 = 4;
    /// Delete children.
    pub const DELETE: i32 = 8;
    /// Set the ACL.
    pub const ADMIN: i32 = 16;
    /// All of the above.
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// An identity: a scheme (`world`, `auth`, `digest`, `ip`, `x509`, `sasl`) and an id within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id {
    /// The scheme, such as `digest` or `world`.
    pub scheme: String,
    /// The id within the scheme, such as `user:base64(sha1(user:password))` or `anyone`.
    pub id: String,
}

impl Id {
    /// An identity from its scheme and id.
    pub fn new(scheme: impl Into<String>, id: impl Into<String>) -> Self {
        Id { scheme: scheme.into(), id: id.into() }
    }
}

/// One entry of an access control list: the permissions granted to an identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    /// The permission bits (see [`perms`]).
    pub perms: i32,
    /// Who gets them.
    pub id: Id,
}

impl Acl {
    /// An entry granting `perms` to `scheme:id`.
    pub fn new(perms: i32, scheme: impl Into<String>, id: impl Into<String>) -> Self {
        Acl { perms, id: Id::new(scheme, id) }
    }

    /// Everyone may do everything (`world:anyone`, all permissions).
    pub fn open_unsafe() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, "world", "anyone")]
    }

    /// Everyone may read.
    pub fn read_unsafe() -> Vec<Acl> {
        vec![Acl::new(perms::READ, "world", "anyone")]
    }

    /// Only the identities authenticated on the creating session get all permissions.
    pub fn creator_all() -> Vec<Acl> {
        vec![Acl::new(perms::ALL, "auth", "")]
    }

    /// A `digest` ACL entry for `user` with `password`, as the server computes it:
    /// `user:base64(sha1("user:password"))`.
    pub fn digest(user: &str, password: &str, perms: i32) -> Acl {
        Acl::new(perms, "digest", digest_id(user, password))
    }
}

/// The id the `digest` scheme stores for a user and password.
pub fn digest_id(user: &str, password: &str) -> String {
    let hash = sha1(format!("{user}:{password}").as_bytes());
    format!("{user}:{}", base64::encode(&hash))
}

/// kazoo's `make_digest_acl`: a digest ACL entry with the given permissions.
pub fn make_digest_acl(user: &str, password: &str, perms: i32) -> Acl {
    Acl::digest(user, password, perms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_zookeeper() {
        // base64(sha1("super:secret")), what DigestAuthenticationProvider.generateDigest computes.
        assert_eq!(digest_id("super", "secret"), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");
    }
}
