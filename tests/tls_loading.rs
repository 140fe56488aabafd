//! libssl and libcrypto are loaded only when TLS is used: a client on plain TCP never maps them, a TLS
//! client maps them at its first TLS context. A test binary of its own with a single test, because the
//! check reads this process's mappings and nothing else in the process may have used TLS before it.

use std::process::Command;
use std::time::Duration;
use zkrs::{Client, Config, CreateOptions};
use zkrs_testserver::{ServerOptions, ZkServer};

/// The OpenSSL libraries mapped into this process, from /proc/self/maps.
fn openssl_mappings() -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut libs: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.contains("libssl") || p.contains("libcrypto"))
        .map(str::to_string)
        .collect();
    libs.dedup();
    libs
}

fn use_session(zk: &Client, name: &str) {
    let path = format!("/tls-loading-{name}-{}", std::process::id());
    zk.create(&path, b"x", &CreateOptions::ephemeral()).unwrap();
    assert_eq!(zk.get_data(&path, None).unwrap().0, b"x");
}

#[test]
fn openssl_is_mapped_only_once_a_client_uses_tls() {
    // A self-signed certificate for localhost, made with the openssl tool (not in this process).
    let dir = std::env::temp_dir().join(format!("zkrs-tls-loading-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert) = (dir.join("server.key"), dir.join("server.crt"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let pem = dir.join("server.pem");
    std::fs::write(&pem, [std::fs::read(&key).unwrap(), std::fs::read(&cert).unwrap()].concat()).unwrap();
    let server = ZkServer::start_with(
        ServerOptions::new().tls_pem(&pem, &cert).tls_client_auth("none").startup_timeout(Duration::from_secs(90)),
    )
    .expect("start ZooKeeper");

    let plain = Client::connect(&server.connect_string()).unwrap();
    use_session(&plain, "plain");
    assert_eq!(plain.command("ruok").unwrap(), "imok");
    assert_eq!(openssl_mappings(), Vec::<String>::new(), "mapped without TLS");

    let mut config = Config::new(&server.secure_connect_string("localhost").unwrap());
    config.set("tls.ca_file", &cert.display().to_string()).unwrap();
    let tls = Client::new(config).unwrap();
    tls.start(Duration::from_secs(30)).unwrap();
    use_session(&tls, "tls");
    let mapped = openssl_mappings();
    assert!(mapped.iter().any(|p| p.contains("libssl.so")), "{mapped:?}");
    assert!(mapped.iter().any(|p| p.contains("libcrypto.so")), "{mapped:?}");

    tls.close().unwrap();
    plain.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
