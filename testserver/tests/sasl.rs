//! A SASL server: the JAAS file lists the DIGEST-MD5 users, and the server still serves.
use zkrs_testserver::{ServerOptions, ZkServer};

#[test]
fn sasl_users_go_into_a_jaas_server_section() {
    let opts = ServerOptions::new().sasl_user("bob", "bob\"secret").sasl_user("carol", "c").require_sasl(true);
    let zk = ZkServer::start_with(opts).unwrap();
    let jaas = std::fs::read_to_string(zk.dir().join("conf").join("jaas.conf")).unwrap();
    assert!(jaas.starts_with("Server {"), "{jaas}");
    assert!(jaas.contains("org.apache.zookeeper.server.auth.DigestLoginModule required"), "{jaas}");
    assert!(jaas.contains("user_bob=\"bob\\\"secret\"") && jaas.contains("user_carol=\"c\";"), "{jaas}");
    assert!(zk.four_letter("srvr").unwrap().contains("Mode: standalone"));
    // The JVM got the JAAS file, the SASL provider and the requirement.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", zk.pid().unwrap())).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    if !cmdline.is_empty() {
        for prop in
            ["java.security.auth.login.config=", "SASLAuthenticationProvider", "sessionRequireClientSASLAuth=true"]
        {
            assert!(cmdline.contains(prop), "{prop} missing: {cmdline}");
        }
    }
}
