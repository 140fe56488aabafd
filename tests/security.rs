//! Security against real servers: TLS (hostname verification, wrong CA, expired and wrong-host
//! certificates, client certificates), mutual TLS with x509 identities and ACLs, SASL DIGEST-MD5, digest
//! auth and the ACL matrix. Every certificate is made here, with the openssl crate.

mod common;

use common::{eventually, unique, watcher, WAIT};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::symm::Cipher;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zkrs::error::codes;
use zkrs::{perms, Acl, Client, Config, CreateOptions, Error, EventType, State, WatchedEvent};
use zkrs_testserver::{Ensemble, Proxy, ServerOptions, ZkServer};

const DAY: i64 = 86_400;

fn new_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// What a certificate says and who signs it.
struct CertSpec<'a> {
    org: &'a str,
    cn: &'a str,
    dns: &'a [&'a str],
    ips: &'a [&'a str],
    valid: (i64, i64),
    ca: bool,
    client: bool,
}

fn make_cert(spec: &CertSpec, key: &PKey<Private>, issuer: Option<(&X509, &PKey<Private>)>) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("O", spec.org).unwrap();
    name.append_entry_by_text("CN", spec.cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, openssl::bn::MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&serial).unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(c, _)| c.subject_name())).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now() + spec.valid.0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(now() + spec.valid.1).unwrap()).unwrap();
    if spec.ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap()).unwrap();
        b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build().unwrap()).unwrap();
    } else {
        b.append_extension(BasicConstraints::new().build().unwrap()).unwrap();
        b.append_extension(KeyUsage::new().digital_signature().key_encipherment().build().unwrap()).unwrap();
        let mut eku = ExtendedKeyUsage::new();
        eku.server_auth();
        if spec.client {
            eku.client_auth();
        }
        b.append_extension(eku.build().unwrap()).unwrap();
        if !spec.dns.is_empty() || !spec.ips.is_empty() {
            let mut san = SubjectAlternativeName::new();
            for d in spec.dns {
                san.dns(d);
            }
            for ip in spec.ips {
                san.ip(ip);
            }
            let ext = san.build(&b.x509v3_context(issuer.map(|(c, _)| &**c), None)).unwrap();
            b.append_extension(ext).unwrap();
        }
    }
    b.sign(issuer.map_or(key, |(_, k)| k), MessageDigest::sha256()).unwrap();
    b.build()
}

/// Every file the tests use, made once per test process.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("zkrs-security-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, parts: &[&[u8]]| std::fs::write(dir.join(name), parts.concat()).unwrap();
        let key_pem = |k: &PKey<Private>| k.private_key_to_pem_pkcs8().unwrap();
        let leaf = |cn: &'static str, dns: &'static [&'static str], ips: &'static [&'static str], valid, client| {
            CertSpec { org: "zkrs", cn, dns, ips, valid, ca: false, client }
        };

        let ca_key = new_key();
        let ca_spec = CertSpec {
            org: "zkrs",
            cn: "zkrs test CA",
            dns: &[],
            ips: &[],
            valid: (-DAY, 30 * DAY),
            ca: true,
            client: false,
        };
        let ca = make_cert(&ca_spec, &ca_key, None);
        write("ca.pem", &[&ca.to_pem().unwrap()]);
        let other_ca_key = new_key();
        let other_ca = make_cert(&CertSpec { cn: "another CA", ..ca_spec }, &other_ca_key, None);
        write("other-ca.pem", &[&other_ca.to_pem().unwrap()]);

        let issue = |name: &str, spec: CertSpec| {
            let key = new_key();
            let cert = make_cert(&spec, &key, Some((&ca, &ca_key)));
            write(&format!("{name}.pem"), &[&key_pem(&key), &cert.to_pem().unwrap()]);
            write(&format!("{name}.crt"), &[&cert.to_pem().unwrap()]);
            write(&format!("{name}.key"), &[&key_pem(&key)]);
            key
        };
        issue("server", leaf("localhost", &["localhost"], &["127.0.0.1"], (-DAY, 30 * DAY), false));
        issue("other-host", leaf("other.example", &["other.example"], &[], (-DAY, 30 * DAY), false));
        issue("expired", leaf("localhost", &["localhost"], &["127.0.0.1"], (-10 * DAY, -DAY), false));
        let alice = issue("alice", leaf("alice", &[], &["127.0.0.1"], (-DAY, 30 * DAY), true));
        issue("bob", leaf("bob", &[], &["127.0.0.1"], (-DAY, 30 * DAY), true));
        let encrypted = alice.private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"alice key pw").unwrap();
        write("alice-encrypted.key", &[&encrypted]);
        write("garbage.pem", &[b"this is not PEM\n"]);
        Pki { dir }
    })
}

/// Generous start-up time: the test machines are often busy.
fn start(opts: ServerOptions) -> ZkServer {
    ZkServer::start_with(opts.startup_timeout(Duration::from_secs(90))).expect("start ZooKeeper")
}

/// TLS port requiring a client certificate from our CA, with x509 identities, and SASL.
fn mtls_server() -> &'static ZkServer {
    static S: OnceLock<ZkServer> = OnceLock::new();
    S.get_or_init(|| {
        let p = pki();
        start(
            ServerOptions::new()
                .tls_pem(p.path("server.pem"), p.path("ca.pem"))
                .tls_client_auth("need")
                .x509_auth(true)
                .sasl_user("bob", "bobsecret"),
        )
    })
}

/// TLS port with a certificate for another host, no client certificate asked.
fn other_host_server() -> &'static ZkServer {
    static S: OnceLock<ZkServer> = OnceLock::new();
    S.get_or_init(|| {
        let p = pki();
        start(ServerOptions::new().tls_pem(p.path("other-host.pem"), p.path("ca.pem")).tls_client_auth("none"))
    })
}

/// TLS port with an expired certificate.
fn expired_server() -> &'static ZkServer {
    static S: OnceLock<ZkServer> = OnceLock::new();
    S.get_or_init(|| {
        let p = pki();
        start(ServerOptions::new().tls_pem(p.path("expired.pem"), p.path("ca.pem")).tls_client_auth("none"))
    })
}

/// SASL DIGEST-MD5 with the user bob; its plain port also serves the digest ACL tests.
fn sasl_server() -> &'static ZkServer {
    static S: OnceLock<ZkServer> = OnceLock::new();
    S.get_or_init(|| start(ServerOptions::new().sasl_user("bob", "bobsecret").sasl_user("carol", "carolsecret")))
}

/// Closes every session that does not authenticate with SASL.
fn sasl_required_server() -> &'static ZkServer {
    static S: OnceLock<ZkServer> = OnceLock::new();
    S.get_or_init(|| start(ServerOptions::new().sasl_user("bob", "bobsecret").require_sasl(true)))
}

fn config(hosts: &str, keys: &[(&str, &str)]) -> Config {
    let mut c = Config::new(hosts);
    c.session_timeout = Duration::from_secs(8);
    for (k, v) in keys {
        c.set(k, v).unwrap_or_else(|e| panic!("{k}: {e}"));
    }
    c
}

/// CA, plus alice's certificate and key.
fn alice_keys() -> Vec<(&'static str, String)> {
    let p = pki();
    vec![
        ("tls.ca_file", p.path("ca.pem")),
        ("tls.cert_file", p.path("alice.crt")),
        ("tls.key_file", p.path("alice.key")),
    ]
}

fn with<'a>(keys: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    keys.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn connect(c: Config) -> Client {
    let zk = Client::new(c).unwrap();
    zk.start(WAIT).unwrap();
    zk
}

/// For the ensemble tests: one ensemble at a time (six JVMs booting together starve a small machine),
/// longer sessions and waits.
fn ensemble_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn slow_config(hosts: &str, keys: &[(&str, &str)]) -> Config {
    let mut c = config(hosts, keys);
    c.session_timeout = Duration::from_secs(20);
    c
}

fn slow_connect(c: Config) -> Client {
    let zk = Client::new(c).unwrap();
    zk.start(WAIT * 4).unwrap();
    zk
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + WAIT * 8;
    while std::time::Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

/// Runs `f` again while it fails with a connection loss: right after a cut, a request may still go out on
/// the old connection before the client notices.
fn after_cut<T>(mut f: impl FnMut() -> zkrs::Result<T>) -> T {
    for _ in 0..50 {
        match f() {
            Err(e) if e.code() == codes::CONNECTION_LOSS => std::thread::sleep(Duration::from_millis(100)),
            r => return r.unwrap(),
        }
    }
    panic!("still losing the connection");
}

/// Starts a client expected not to connect, and returns why.
fn refused(c: Config) -> (Client, Error) {
    let zk = Client::new(c).unwrap();
    let e = zk.start(Duration::from_secs(3)).unwrap_err();
    (zk, e)
}

#[test]
fn tls_session_by_host_name_and_by_address_with_four_letter_words() {
    let zk_server = mtls_server();
    for host in ["localhost", "127.0.0.1"] {
        let hosts = zk_server.secure_connect_string(host).unwrap();
        let zk = connect(config(&hosts, &with(&alice_keys())));
        let path = unique("tls");
        zk.create(&path, b"over tls", &CreateOptions::default()).unwrap();
        assert_eq!(zk.get_data(&path, None).unwrap().0, b"over tls");
        // Four-letter words go over TLS too (the secure port speaks nothing else).
        assert_eq!(zk.command("ruok").unwrap(), "imok");
        assert!(zk.server_version().unwrap().starts_with("3."));
        zk.delete(&path, -1).unwrap();
        zk.close().unwrap();
    }
}

#[test]
fn large_and_pipelined_traffic_over_tls() {
    // Replies spanning many TLS records, and many replies in one read: the non-blocking loop must drain
    // what OpenSSL has already decrypted, not only what poll reports.
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let zk = connect(config(&hosts, &with(&alice_keys())));
    let path = unique("big");
    let big: Vec<u8> = (0..900_000u32).map(|i| (i % 251) as u8).collect();
    zk.create(&path, &big, &CreateOptions::default()).unwrap();
    assert!(zk.get_data(&path, None).unwrap().0 == big);
    let small = format!("{path}-small");
    zk.create(&small, &big[..3000], &CreateOptions::default()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let requests: Vec<(&str, usize)> =
        (0..400).map(|i| if i % 100 == 0 { (path.as_str(), big.len()) } else { (small.as_str(), 3000) }).collect();
    for (p, _) in &requests {
        let tx = tx.clone();
        zk.get_data_async(p, None, move |r| drop(tx.send(r.map(|(d, _)| d.len())))).unwrap();
    }
    for (_, len) in &requests {
        assert_eq!(rx.recv_timeout(WAIT * 3).unwrap().unwrap(), *len);
    }
    zk.delete(&small, -1).unwrap();
    zk.delete(&path, -1).unwrap();
    zk.close().unwrap();
}

#[test]
fn tls_and_sasl_together() {
    // The official C client cannot combine them (ZOOKEEPER-3482).
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let mut keys = alice_keys();
    keys.push(("sasl.username", "bob".into()));
    keys.push(("sasl.password", "bobsecret".into()));
    let zk = connect(config(&hosts, &with(&keys)));
    let who = zk.whoami().unwrap();
    assert!(who.iter().any(|i| i.auth_scheme == "sasl" && i.user == "bob"), "{who:?}");
    assert!(who.iter().any(|i| i.auth_scheme == "x509"), "{who:?}");
    zk.close().unwrap();
}

#[test]
fn mutual_tls_gives_an_x509_identity_and_x509_acls_are_enforced() {
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let alice = connect(config(&hosts, &with(&alice_keys())));
    let who = alice.whoami().unwrap();
    let x509 = who.iter().find(|i| i.auth_scheme == "x509").unwrap_or_else(|| panic!("no x509 identity: {who:?}"));
    assert!(x509.user.contains("CN=alice"), "{}", x509.user);

    let p = pki();
    let bob_keys =
        [("tls.ca_file", p.path("ca.pem")), ("tls.cert_file", p.path("bob.crt")), ("tls.key_file", p.path("bob.key"))];
    let bob = connect(config(&hosts, &with(&bob_keys)));
    let path = unique("x509");
    let acl = vec![Acl::new(perms::ALL, "x509", x509.user.clone()), Acl::new(perms::READ, "world", "anyone")];
    alice.create(&path, b"alice's", &CreateOptions::default().with_acl(acl)).unwrap();
    assert_eq!(bob.get_data(&path, None).unwrap().0, b"alice's");
    assert_eq!(bob.set_data(&path, b"bob's", -1).unwrap_err().code(), codes::NO_AUTH);
    alice.set_data(&path, b"still alice's", -1).unwrap();
    alice.delete(&path, -1).unwrap();
    bob.close().unwrap();
    alice.close().unwrap();
}

#[test]
fn an_encrypted_client_key_needs_its_password() {
    let p = pki();
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let mut keys = alice_keys();
    keys[2].1 = p.path("alice-encrypted.key");
    keys.push(("tls.key_password", "alice key pw".into()));
    let zk = connect(config(&hosts, &with(&keys)));
    assert!(zk.whoami().unwrap().iter().any(|i| i.auth_scheme == "x509"));
    zk.close().unwrap();

    keys[3].1 = "not the password".into();
    let e = Client::new(config(&hosts, &with(&keys))).err().expect("refused");
    assert_eq!(e.code(), codes::TLS_CONFIG, "{e}");
    assert!(e.to_string().contains("tls.key_password is wrong"), "{e}");
    assert!(!format!("{e} {e:?}").contains("not the password"));
    keys.pop();
    let e = Client::new(config(&hosts, &with(&keys))).err().expect("refused");
    assert!(e.to_string().contains("encrypted and tls.key_password is not set"), "{e}");
}

#[test]
fn a_server_that_requires_a_client_certificate_refuses_a_client_without_one() {
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let (zk, e) = refused(config(&hosts, &[("tls.ca_file", &pki().path("ca.pem"))]));
    assert_eq!(e.code(), codes::SSL_CONNECTION_ERROR, "{e}");
    assert!(e.to_string().contains("client certificate"), "{e}");
    assert_eq!(zk.state(), State::Connecting);
    zk.close().unwrap();
}

#[test]
fn a_certificate_from_an_unknown_ca_is_rejected() {
    let hosts = mtls_server().secure_connect_string("localhost").unwrap();
    let mut keys = alice_keys();
    keys[0].1 = pki().path("other-ca.pem");
    let (zk, e) = refused(config(&hosts, &with(&keys)));
    assert_eq!(e.code(), codes::TLS_CERTIFICATE_REJECTED, "{e}");
    assert!(e.to_string().contains("not signed by a CA in tls.ca_file"), "{e}");
    assert!(e.to_string().contains("other-ca.pem"), "{e}");
    zk.close().unwrap();
}

#[test]
fn a_certificate_for_another_host_fails_unless_verification_is_off() {
    let server = other_host_server();
    let ca = pki().path("ca.pem");
    for host in ["localhost", "127.0.0.1"] {
        let hosts = server.secure_connect_string(host).unwrap();
        let (zk, e) = refused(config(&hosts, &[("tls.ca_file", &ca)]));
        assert_eq!(e.code(), codes::TLS_CERTIFICATE_REJECTED, "{e}");
        assert!(e.to_string().contains(&format!("not for {host}")), "{e}");
        zk.close().unwrap();
    }

    let logged = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = logged.clone();
    zkrs::log::set_sink(Some(Arc::new(move |level, msg: &str| {
        if level == zkrs::log::Level::Warn {
            sink.lock().unwrap().push(msg.to_string());
        }
    })));
    let hosts = server.secure_connect_string("localhost").unwrap();
    let zk = Client::new(config(&hosts, &[("tls.ca_file", &ca), ("tls.verify_hostname", "false")]));
    zkrs::log::set_sink(None);
    let zk = zk.unwrap();
    zk.start(WAIT).unwrap();
    assert!(zk.exists("/", None).unwrap().is_some());
    assert!(
        logged.lock().unwrap().iter().any(|m| m.contains("hostname verification is off")),
        "no warning: {:?}",
        logged.lock().unwrap()
    );
    zk.close().unwrap();
}

#[test]
fn an_expired_server_certificate_is_rejected() {
    let hosts = expired_server().secure_connect_string("localhost").unwrap();
    let (zk, e) = refused(config(&hosts, &[("tls.ca_file", &pki().path("ca.pem"))]));
    assert_eq!(e.code(), codes::TLS_CERTIFICATE_REJECTED, "{e}");
    assert!(e.to_string().contains("expired"), "{e}");
    zk.close().unwrap();
}

#[test]
fn unusable_tls_files_are_clear_errors_at_creation() {
    let p = pki();
    let hosts = "localhost:1";
    let missing = p.path("no-such-file.pem");
    // Each with what the message must say: the key, the file, the reason.
    type Case = (Vec<(&'static str, String)>, &'static [&'static str]);
    let cases: Vec<Case> = vec![
        (vec![("tls.ca_file", missing.clone())], &["tls.ca_file", "no-such-file.pem", "cannot read"]),
        (vec![("tls.ca_file", p.path("garbage.pem"))], &["tls.ca_file", "garbage.pem", "no PEM certificate"]),
        (
            vec![("tls.cert_file", p.path("alice.crt")), ("tls.key_file", missing)],
            &["tls.key_file", "no-such-file.pem", "cannot read"],
        ),
        (
            vec![("tls.cert_file", p.path("alice.crt")), ("tls.key_file", p.path("bob.key"))],
            &["bob.key", "does not match", "alice.crt"],
        ),
        (vec![("tls.cert_file", p.path("alice.crt"))], &["alice.crt", "has no private key", "tls.key_file"]),
        (vec![("tls.key_file", p.path("alice.key"))], &["tls.key_file is set but tls.cert_file is not"]),
        (
            vec![("tls.cert_file", p.path("alice.crt")), ("tls.key_file", p.path("garbage.pem"))],
            &["tls.key_file", "garbage.pem", "no usable PEM private key"],
        ),
    ];
    for (keys, expected) in cases {
        let e = Client::new(config(hosts, &with(&keys))).err().unwrap_or_else(|| panic!("{keys:?} accepted"));
        assert_eq!(e.code(), codes::TLS_CONFIG, "{keys:?}: {e}");
        for part in expected {
            assert!(e.to_string().contains(part), "{keys:?}: {e}");
        }
    }
    // A combined PEM (key and certificate in one file) needs no tls.key_file.
    Client::new(config(hosts, &[("tls.cert_file", &p.path("alice.pem")), ("tls.ca_file", &p.path("ca.pem"))])).unwrap();
}

#[test]
fn sasl_digest_md5_authenticates_and_survives_a_reconnect() {
    let server = sasl_server();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server.port()).parse().unwrap()).unwrap();
    let keys = [("sasl.mechanism", "DIGEST-MD5"), ("sasl.username", "bob"), ("sasl.password", "bobsecret")];
    let bob = connect(config(&proxy.connect_string(), &keys));
    let who = bob.whoami().unwrap();
    assert!(who.iter().any(|i| i.auth_scheme == "sasl" && i.user == "bob"), "{who:?}");
    let path = unique("sasl");
    bob.create(&path, b"bob only", &CreateOptions::default().with_acl(vec![Acl::new(perms::ALL, "sasl", "bob")]))
        .unwrap();
    let anonymous = connect(config(&server.connect_string(), &[]));
    assert_eq!(anonymous.get_data(&path, None).unwrap_err().code(), codes::NO_AUTH);

    // A new connection authenticates again before the queued request goes out.
    let session = bob.session_id();
    proxy.drop_connections();
    eventually("bob reconnected", || bob.state() == State::Connected && proxy.connection_count() > 0);
    assert_eq!(bob.session_id(), session);
    assert_eq!(after_cut(|| bob.get_data(&path, None)).0, b"bob only");
    bob.delete(&path, -1).unwrap();
    anonymous.close().unwrap();
    bob.close().unwrap();
}

#[test]
fn sasl_with_a_wrong_password_is_auth_failed_without_the_password_anywhere() {
    let keys = [("sasl.username", "bob"), ("sasl.password", "not bobs password")];
    let zk = Client::new(config(&sasl_server().connect_string(), &keys)).unwrap();
    let e = zk.start(WAIT).unwrap_err();
    assert_eq!(e.code(), codes::AUTH_FAILED, "{e}");
    assert!(e.to_string().contains("SASL") && e.to_string().contains("bob"), "{e}");
    assert_eq!(zk.state(), State::AuthFailed);
    assert_eq!(zk.exists("/", None).unwrap_err().code(), codes::AUTH_FAILED);
    assert!(!format!("{e} {e:?} {:?}", config("h:1", &keys)).contains("not bobs password"));
    zk.close().unwrap();
}

#[test]
fn a_server_requiring_sasl_accepts_sasl_and_closes_other_sessions() {
    let server = sasl_required_server();
    let keys = [("sasl.username", "bob"), ("sasl.password", "bobsecret")];
    let bob = connect(config(&server.connect_string(), &keys));
    let path = unique("required");
    bob.create(&path, b"", &CreateOptions::default()).unwrap();
    bob.close().unwrap();

    let anonymous = connect(config(&server.connect_string(), &[]));
    let e = anonymous.exists(&path, None).unwrap_err();
    assert_eq!(e.code(), codes::SESSION_CLOSED_REQUIRE_SASL_AUTH, "{e}");
    eventually("auth failed state", || anonymous.state() == State::AuthFailed);
    anonymous.close().unwrap();
}

#[test]
fn acl_matrix_with_digest_auth_that_survives_a_reconnect() {
    let server = sasl_server();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server.port()).parse().unwrap()).unwrap();
    let root = unique("acl");
    let alice = connect(config(&proxy.connect_string(), &[("auth", "digest:alice:alicepw")]));
    let anonymous = connect(config(&server.connect_string(), &[]));
    let other_alice = connect(config(&server.connect_string(), &[]));
    other_alice.add_auth("digest", b"alice:alicepw").unwrap();
    alice.create(&root, b"", &CreateOptions::default()).unwrap();
    let node = |n: &str| format!("{root}/{n}");

    // open: anyone may do anything.
    alice.create(&node("open"), b"o", &CreateOptions::default().with_acl(Acl::open_unsafe())).unwrap();
    anonymous.set_data(&node("open"), b"changed", -1).unwrap();
    // read-only: anyone reads, nobody writes.
    alice.create(&node("ro"), b"r", &CreateOptions::default().with_acl(Acl::read_unsafe())).unwrap();
    assert_eq!(anonymous.get_data(&node("ro"), None).unwrap().0, b"r");
    assert_eq!(anonymous.set_data(&node("ro"), b"x", -1).unwrap_err().code(), codes::NO_AUTH);
    assert_eq!(alice.set_data(&node("ro"), b"x", -1).unwrap_err().code(), codes::NO_AUTH);
    // creator-all: only the creator's identities (here digest alice, in any of her sessions).
    alice.create(&node("mine"), b"m", &CreateOptions::default().with_acl(Acl::creator_all())).unwrap();
    assert_eq!(anonymous.get_data(&node("mine"), None).unwrap_err().code(), codes::NO_AUTH);
    assert_eq!(other_alice.get_data(&node("mine"), None).unwrap().0, b"m");
    let (acl, _) = alice.get_acl(&node("mine")).unwrap();
    assert_eq!(acl, vec![zkrs::make_digest_acl("alice", "alicepw", perms::ALL)]);
    // creator-all without any identity is refused by the server.
    assert_eq!(
        anonymous
            .create(&node("nobody"), b"", &CreateOptions::default().with_acl(Acl::creator_all()))
            .unwrap_err()
            .code(),
        codes::INVALID_ACL
    );
    // digest: read for bob, everything for alice.
    let acl =
        vec![zkrs::make_digest_acl("alice", "alicepw", perms::ALL), zkrs::make_digest_acl("bob", "bobpw", perms::READ)];
    alice.create(&node("digest"), b"d", &CreateOptions::default().with_acl(acl)).unwrap();
    let bob = connect(config(&server.connect_string(), &[("auth", "digest:bob:bobpw")]));
    assert_eq!(bob.get_data(&node("digest"), None).unwrap().0, b"d");
    assert_eq!(bob.set_data(&node("digest"), b"x", -1).unwrap_err().code(), codes::NO_AUTH);
    assert_eq!(anonymous.get_data(&node("digest"), None).unwrap_err().code(), codes::NO_AUTH);
    // set_acl with a version: a stale one is refused, the current one opens the node to everyone.
    let (_, stat) = alice.get_acl(&node("digest")).unwrap();
    assert_eq!(
        alice.set_acl(&node("digest"), &Acl::open_unsafe(), stat.aversion + 1).unwrap_err().code(),
        codes::BAD_VERSION
    );
    assert_eq!(bob.set_acl(&node("digest"), &Acl::open_unsafe(), -1).unwrap_err().code(), codes::NO_AUTH);
    alice.set_acl(&node("digest"), &Acl::read_unsafe(), stat.aversion).unwrap();
    assert_eq!(anonymous.get_data(&node("digest"), None).unwrap().0, b"d");

    // The credentials are sent again on a new connection.
    proxy.drop_connections();
    eventually("alice reconnected", || alice.state() == State::Connected && proxy.connection_count() > 0);
    assert_eq!(after_cut(|| alice.get_data(&node("mine"), None)).0, b"m");
    alice.set_data(&node("mine"), b"after reconnect", -1).unwrap();

    for n in ["open", "ro", "mine", "digest"] {
        alice.delete(&node(n), -1).unwrap();
    }
    alice.delete(&root, -1).unwrap();
    for c in [bob, other_alice, anonymous, alice] {
        c.close().unwrap();
    }
}

#[test]
fn tls_ensemble_failover_keeps_session_and_watches() {
    let _turn = ensemble_turn();
    let p = pki();
    let opts = ServerOptions::new()
        .tls_pem(p.path("server.pem"), p.path("ca.pem"))
        .tls_client_auth("none")
        .startup_timeout(Duration::from_secs(90));
    let mut ens = Ensemble::start_with(3, opts).unwrap();
    let hosts = ens.secure_connect_string("localhost").unwrap();
    let zk = slow_connect(slow_config(&hosts, &[("tls.ca_file", &p.path("ca.pem"))]));
    zk.create("/w", b"", &CreateOptions::default()).unwrap();
    zk.create("/e", b"", &CreateOptions::ephemeral()).unwrap();
    let (w, rx) = watcher();
    zk.get_data("/w", Some(w)).unwrap();
    let session = zk.session_id();
    let ports: Vec<u16> = (0..3).map(|i| ens.member_secure_port(i).unwrap()).collect();
    let member_of = |zk: &Client| {
        let server = zk.current_server().unwrap();
        ports.iter().position(|p| server.ends_with(&format!(":{p}"))).unwrap()
    };
    let first = member_of(&zk);
    ens.stop_member(first);
    wait_until("reconnected to another member", || zk.state() == State::Connected && member_of(&zk) != first);
    assert_eq!(zk.session_id(), session);
    let other = (0..3).find(|i| *i != first).unwrap();
    let admin = slow_connect(slow_config(&ens.member_connect_string(other), &[]));
    admin.set_data("/w", b"after failover", -1).unwrap();
    assert_eq!(
        rx.recv_timeout(WAIT * 4).unwrap(),
        WatchedEvent { event_type: EventType::NodeDataChanged, path: "/w".into() }
    );
    assert!(admin.exists("/e", None).unwrap().is_some(), "the ephemeral survived the failover");
    assert_eq!(zk.command("ruok").unwrap(), "imok");
    admin.close().unwrap();
    zk.close().unwrap();
}

#[test]
fn read_only_mode_over_tls_and_back_to_read_write() {
    let _turn = ensemble_turn();
    let p = pki();
    let opts = ServerOptions {
        read_only_mode: true,
        extra_config: vec![
            ("localSessionsEnabled".into(), "true".into()),
            ("localSessionsUpgradingEnabled".into(), "true".into()),
        ],
        ..ServerOptions::default()
    }
    .tls_pem(p.path("server.pem"), p.path("ca.pem"))
    .tls_client_auth("none")
    .startup_timeout(Duration::from_secs(90));
    let mut ens = Ensemble::start_with(3, opts).unwrap();
    let admin = slow_connect(slow_config(&ens.member_connect_string(0), &[]));
    admin.create("/ro", b"data", &CreateOptions::default()).unwrap();
    admin.close().unwrap();
    ens.stop_member(1);
    ens.stop_member(2);
    wait_until("member 0 read-only", || ens.member_mode(0).as_deref() == Some("read-only"));
    let hosts = ens.secure_connect_string("localhost").unwrap();
    let ca = p.path("ca.pem");
    let keys = [("tls.ca_file", ca.as_str()), ("read_only", "true"), ("randomize_hosts", "false")];
    let ro = slow_connect(slow_config(&hosts, &keys));
    assert_eq!(ro.state(), State::ConnectedReadOnly);
    assert_eq!(ro.get_data("/ro", None).unwrap().0, b"data");
    assert_eq!(ro.set_data("/ro", b"x", -1).unwrap_err().code(), codes::NOT_READ_ONLY);
    // `isro`, what the read-write probes ask, over TLS.
    assert_eq!(ro.command("isro").unwrap(), "ro");
    ens.start_member(1).unwrap();
    ens.start_member(2).unwrap();
    wait_until("back to read-write", || ro.state() == State::Connected);
    ro.set_data("/ro", b"x", -1).unwrap();
    ro.close().unwrap();
}

#[test]
fn failed_tls_handshakes_are_retried_with_backoff() {
    // A port that answers in plain text: every handshake fails at once, so only the backoff spaces them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = attempts.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = std::io::Write::write_all(&mut s, b"this is not TLS at all, sorry\n");
        }
    });
    let (zk, e) = refused(config(&format!("127.0.0.1:{port}"), &[("tls.ca_file", &pki().path("ca.pem"))]));
    assert_eq!(e.code(), codes::SSL_CONNECTION_ERROR, "{e}");
    assert!(e.to_string().contains("does not speak TLS"), "{e}");
    zk.close().unwrap();
    let n = attempts.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=20).contains(&n), "{n} handshakes in 3 s");
}

#[test]
fn rotated_client_certificates_are_used_from_the_next_connection() {
    let p = pki();
    let server = mtls_server();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server.secure_port().unwrap()).parse().unwrap()).unwrap();
    let dir = p.dir.join(format!("rotation-{}", unique("r").trim_start_matches('/')));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("client.crt"), dir.join("client.key"));
    std::fs::copy(p.path("alice.crt"), &cert).unwrap();
    std::fs::copy(p.path("alice.key"), &key).unwrap();
    let keys = [
        ("tls.ca_file", p.path("ca.pem")),
        ("tls.cert_file", cert.display().to_string()),
        ("tls.key_file", key.display().to_string()),
    ];
    let zk = connect(config(&proxy.connect_string(), &with(&keys)));
    let x509 = |zk: &Client| after_cut(|| zk.whoami()).into_iter().find(|i| i.auth_scheme == "x509").unwrap().user;
    assert!(x509(&zk).contains("CN=alice"));
    let session = zk.session_id();

    // Half a rotation (a certificate without its key) is not used; the old pair stays.
    std::fs::write(&cert, std::fs::read(p.path("bob.crt")).unwrap()).unwrap();
    proxy.drop_connections();
    eventually("reconnected", || zk.state() == State::Connected && proxy.connection_count() > 0);
    assert!(x509(&zk).contains("CN=alice"));
    // The whole rotation is.
    std::fs::write(&key, std::fs::read(p.path("bob.key")).unwrap()).unwrap();
    proxy.drop_connections();
    eventually("reconnected", || zk.state() == State::Connected && proxy.connection_count() > 0);
    assert!(x509(&zk).contains("CN=bob"));
    assert_eq!(zk.session_id(), session);
    zk.close().unwrap();
}
