//! A TLS client port (Netty, PEM key and trust stores), checked with `openssl s_client`.
use std::path::Path;
use std::process::Command;
use zkrs_testserver::{ServerOptions, ZkServer};

fn openssl(args: &[&str], dir: &Path) -> bool {
    Command::new("openssl").args(args).current_dir(dir).output().is_ok_and(|o| o.status.success())
}

#[test]
fn secure_client_port_speaks_tls() {
    let dir = std::env::temp_dir().join(format!("zkrs-testserver-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        &dir,
    );
    if !made {
        eprintln!("no usable openssl command; skipped");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    let cert = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    std::fs::write(dir.join("server.pem"), format!("{key}{cert}")).unwrap();
    let p = |f: &str| dir.join(f).display().to_string();

    let opts = ServerOptions::new()
        .secure_client_port(true)
        .config("ssl.keyStore.location", p("server.pem"))
        .config("ssl.keyStore.type", "PEM")
        .config("ssl.trustStore.location", p("cert.pem"))
        .config("ssl.trustStore.type", "PEM");
    let zk = ZkServer::start_with(opts).unwrap();
    let secure = zk.secure_port().expect("a secure port");
    assert_ne!(secure, zk.port());
    // The plain port still works; the secure one answers srvr over TLS with a client certificate.
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf srvr | timeout 10 openssl s_client -connect 127.0.0.1:{secure} -CAfile '{}' -cert '{}' -key '{}' \
             -quiet 2>/dev/null",
            p("cert.pem"),
            p("cert.pem"),
            p("key.pem")
        ))
        .output()
        .unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("Mode: standalone"), "{answer}");
    drop(zk);
    std::fs::remove_dir_all(&dir).unwrap();
}
