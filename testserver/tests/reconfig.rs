//! Dynamic reconfiguration is really enabled: a raw `reconfig` request removes a member.
mod common;

use common::*;
use std::time::Duration;
use zkrs_testserver::{Ensemble, ServerOptions};

#[test]
fn reconfig_removes_a_member() {
    let opts = ServerOptions::new().reconfig(true).jvm_prop("zookeeper.skipACL", "yes");
    let mut ens = Ensemble::start_with(3, opts).unwrap();
    let conf = ens.four_letter(0, "conf").unwrap();
    assert!(conf.contains("server.3="), "{conf}");

    // A member restarts fine from the zoo.cfg ZooKeeper rewrote (it moves the servers to a dynamic file).
    ens.stop_member(0);
    ens.start_member(0).unwrap();

    let leader = ens.wait_for_leader(Duration::from_secs(30)).unwrap();
    let mut s = connect(&ens.member_connect_string(leader), 0, &[0; 16], 30_000).unwrap();
    // ReconfigRequest {ustring joiningServers, ustring leavingServers, ustring newMembers, long curConfigId}.
    let mut body = Vec::new();
    body.extend_from_slice(&(-1i32).to_be_bytes()); // no joining servers
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(b"3"); // server 3 leaves
    body.extend_from_slice(&(-1i32).to_be_bytes()); // no new member list
    body.extend_from_slice(&(-1i64).to_be_bytes()); // any current config
    let (err, _) = call(&mut s, 1, 16, &body).unwrap();
    assert_eq!(err, 0, "reconfig accepted");
    eventually("server 3 is gone from the configuration", Duration::from_secs(10), || {
        ens.four_letter(leader, "conf").is_ok_and(|c| !c.contains("server.3="))
    });
}
