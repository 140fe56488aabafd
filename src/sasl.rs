//! SASL DIGEST-MD5 (RFC 2831), client side, as ZooKeeper servers speak it with a JAAS `DigestLoginModule`:
//! the client opens with an empty token, answers the server's digest-challenge, and checks the server's
//! `rspauth`, which proves the server knows the password too. Tokens travel in the sasl request (op 102,
//! `GetSASLRequest{buffer token}` answered by `SetSASLResponse{buffer token}`).

use crate::config::{SaslConfig, SaslMechanism, Secret};
use crate::digest::{hex, md5};
use crate::error::{Error, Result};

/// The service and host ZooKeeper servers use for DIGEST-MD5 (`digest-uri` is `zookeeper/zk-sasl-md5`).
const SERVICE: &str = "zookeeper";
const SERVER_NAME: &str = "zk-sasl-md5";

/// The client's credentials and mechanism; one exchange per connection.
pub(crate) struct SaslClient {
    username: String,
    password: Secret,
}

/// The answer to a digest-challenge, and what the server must send back.
pub(crate) struct DigestResponse {
    pub token: Vec<u8>,
    expected_rspauth: String,
}

impl SaslClient {
    /// The client for `config`, `None` when SASL is not configured. Incomplete settings are errors.
    pub fn from_config(config: &SaslConfig) -> Result<Option<SaslClient>> {
        let missing = |key: &str, reason: &str| Error::InvalidConfigValue { key: key.into(), reason: reason.into() };
        match (&config.username, &config.password) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(missing("sasl.password", "required when sasl.username is set")),
            (None, Some(_)) => Err(missing("sasl.username", "required when sasl.password is set")),
            (Some(user), Some(password)) => {
                let SaslMechanism::DigestMd5 = config.mechanism;
                Ok(Some(SaslClient { username: user.clone(), password: password.clone() }))
            }
        }
    }

    /// The user name, for messages.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Computes the digest-response to the server's digest-challenge.
    pub fn respond(&self, challenge: &[u8]) -> Result<DigestResponse> {
        let cnonce = hex(&random_bytes());
        self.respond_with_cnonce(challenge, &cnonce)
    }

    fn respond_with_cnonce(&self, challenge: &[u8], cnonce: &str) -> Result<DigestResponse> {
        let bad = |why: &str| Error::AuthFailed(format!("SASL DIGEST-MD5: unusable challenge from the server: {why}"));
        let text = std::str::from_utf8(challenge).map_err(|_| bad("not UTF-8"))?;
        let fields = parse_directives(text).ok_or_else(|| bad("malformed directives"))?;
        let get = |k: &str| fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
        let nonce = get("nonce").ok_or_else(|| bad("no nonce"))?;
        if !get("algorithm").is_some_and(|a| a.eq_ignore_ascii_case("md5-sess")) {
            return Err(bad("algorithm is not md5-sess"));
        }
        if let Some(qops) = get("qop") {
            if !qops.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")) {
                return Err(bad("the server does not offer qop=auth"));
            }
        }
        let realm = get("realm").unwrap_or("");
        let utf8 = get("charset").is_some_and(|c| c.eq_ignore_ascii_case("utf-8"));
        let digest_uri = format!("{SERVICE}/{SERVER_NAME}");
        let nc = "00000001";

        let secret = md5(format!("{}:{realm}:{}", self.username, self.password.expose()).as_bytes());
        let mut a1 = secret.to_vec();
        a1.extend_from_slice(format!(":{nonce}:{cnonce}").as_bytes());
        let ha1 = hex(&md5(&a1));
        let kd =
            |a2: &str| hex(&md5(format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{}", hex(&md5(a2.as_bytes()))).as_bytes()));
        let response = kd(&format!("AUTHENTICATE:{digest_uri}"));
        let expected_rspauth = kd(&format!(":{digest_uri}"));

        let mut token = String::new();
        if utf8 {
            token += "charset=utf-8,";
        }
        token += &format!(
            "username={},realm={},nonce={},nc={nc},cnonce={},digest-uri={},response={response},qop=auth",
            quote(&self.username),
            quote(realm),
            quote(nonce),
            quote(cnonce),
            quote(&digest_uri)
        );
        Ok(DigestResponse { token: token.into_bytes(), expected_rspauth })
    }
}

impl DigestResponse {
    /// Checks the server's final token (`rspauth=...`).
    pub fn verify_server(&self, token: &[u8]) -> Result<()> {
        let fields = std::str::from_utf8(token).ok().and_then(parse_directives).unwrap_or_default();
        let rspauth = fields.iter().find(|(k, _)| k.eq_ignore_ascii_case("rspauth")).map(|(_, v)| v.as_str());
        match rspauth {
            Some(r) if r.eq_ignore_ascii_case(&self.expected_rspauth) => Ok(()),
            Some(_) => Err(Error::AuthFailed(
                "SASL DIGEST-MD5: the server's rspauth is wrong (the server does not know the password)".into(),
            )),
            None => Err(Error::AuthFailed("SASL DIGEST-MD5: the server did not send rspauth".into())),
        }
    }
}

/// The client nonce's randomness, from the operating system (an attacker must not guess it).
fn random_bytes() -> [u8; 16] {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Parses `key=value, key="quoted, value", ...` (RFC 2831 section 7.1). `None` if malformed.
fn parse_directives(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || key.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value.truncate(value.trim_end().len());
        }
        // A repeated directive (several realms): the first one counts.
        if !out.iter().any(|(k, _): &(String, String)| k.eq_ignore_ascii_case(&key)) {
            out.push((key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(user: &str, password: &str) -> SaslClient {
        SaslClient { username: user.into(), password: Secret::new(password) }
    }

    #[test]
    fn rfc2831_example() {
        // The worked example of RFC 2831 section 4 (IMAP), with this module's service swapped back in.
        let c = client("chris", "secret");
        let challenge =
            br#"realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8"#;
        let r = c.respond_with_cnonce(challenge, "OA6MHXh6VqTrRk").unwrap();
        let text = String::from_utf8(r.token.clone()).unwrap();
        assert!(text.starts_with("charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\""), "{text}");
        assert!(text.contains("digest-uri=\"zookeeper/zk-sasl-md5\""));
        // Recompute by hand for the RFC's digest-uri to check the arithmetic.
        let secret = md5(b"chris:elwood.innosoft.com:secret");
        let mut a1 = secret.to_vec();
        a1.extend_from_slice(b":OA6MG9tEQGm2hh:OA6MHXh6VqTrRk");
        let ha1 = hex(&md5(&a1));
        let ha2 = hex(&md5(b"AUTHENTICATE:imap/elwood.innosoft.com"));
        let resp = hex(&md5(format!("{ha1}:OA6MG9tEQGm2hh:00000001:OA6MHXh6VqTrRk:auth:{ha2}").as_bytes()));
        assert_eq!(resp, "d388dad90d4bbd760a152321f2143af7");
        let rsp = hex(&md5(format!(
            "{ha1}:OA6MG9tEQGm2hh:00000001:OA6MHXh6VqTrRk:auth:{}",
            hex(&md5(b":imap/elwood.innosoft.com"))
        )
        .as_bytes()));
        assert_eq!(rsp, "ea40f60335c427b5527b84dbabcdfffd");
    }

    #[test]
    fn rspauth_is_checked() {
        let c = client("bob", "bobsecret");
        let r = c.respond(br#"realm="zk-sasl-md5",nonce="abc",charset=utf-8,algorithm=md5-sess"#).unwrap();
        let good = format!("rspauth={}", r.expected_rspauth);
        r.verify_server(good.as_bytes()).unwrap();
        assert_eq!(r.verify_server(b"rspauth=00").unwrap_err().code(), crate::error::codes::AUTH_FAILED);
        assert!(r.verify_server(b"").is_err());
    }

    #[test]
    fn bad_challenges_are_errors_without_the_password() {
        let c = client("bob", "bobsecret");
        for ch in [&b"nonce=\"x\",algorithm=md5"[..], b"algorithm=md5-sess", b"\xff", b"nonce=\"x", b"qop=auth-conf"] {
            let e = c.respond(ch).err().expect("refused");
            assert!(!e.to_string().contains("bobsecret"));
        }
    }

    #[test]
    fn directives() {
        let d = parse_directives(r#" a=1 , b="x,\"y\"", realm="r1",realm="r2",c = z "#).unwrap();
        assert_eq!(
            d,
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".into(), "x,\"y\"".into()),
                ("realm".into(), "r1".into()),
                ("c".into(), "z".into())
            ]
        );
        assert!(parse_directives("novalue").is_none());
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn config_checks() {
        let mut cfg = SaslConfig::default();
        assert!(SaslClient::from_config(&cfg).unwrap().is_none());
        cfg.username = Some("bob".into());
        assert_eq!(SaslClient::from_config(&cfg).err().unwrap().code(), crate::error::codes::INVALID_CONFIG_VALUE);
        cfg.password = Some(Secret::new("pw"));
        assert_eq!(SaslClient::from_config(&cfg).unwrap().unwrap().username(), "bob");
    }
}
