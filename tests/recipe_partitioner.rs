//! SetPartitioner against a real server: kazoo's test_partitioner.py scenarios (short time boundary),
//! the node layout, a connection drop and a session expiry.
mod common;

use common::*;
use std::time::Duration;
use zkrs::recipe::partitioner::{PartitionState, PartitionerOptions, SetPartitioner};
use zkrs::{Client, Config};
use zkrs_testserver::{expire_session, Proxy};

const ACQUIRE: Option<Duration> = Some(Duration::from_secs(14));

fn options(id: &str) -> PartitionerOptions {
    PartitionerOptions {
        identifier: Some(id.to_string()),
        time_boundary: Duration::from_millis(200),
        max_reaction_time: Duration::from_millis(200),
        partition_func: None,
    }
}

fn member(zk: &Client, path: &str, items: &[&str], id: &str) -> SetPartitioner {
    SetPartitioner::new(zk, path, items, options(id)).unwrap()
}

fn acquired(p: &SetPartitioner) -> Vec<String> {
    assert!(p.wait_for_acquire(ACQUIRE), "{} did not acquire: {:?}", p.identifier(), p.state());
    assert_eq!(p.state(), PartitionState::Acquired);
    p.partitions()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_party_of_one_takes_every_item_on_kazoos_nodes() {
    let zk = chrooted("partition-one");
    let p = member(&zk, "/work", &["0", "1", "2"], "solo");
    assert_eq!(acquired(&p), strings(&["0", "1", "2"]));
    let (party, _) = zk.get_children("/work/party", None).unwrap();
    assert_eq!(party.len(), 1);
    assert_eq!(&party[0][32..], "-solo");
    for item in ["0", "1", "2"] {
        let (contenders, _) = zk.get_children(&format!("/work/locks/{item}"), None).unwrap();
        assert_eq!(contenders.len(), 1);
        assert!(contenders[0].contains("__lock__"), "{contenders:?}");
    }
    p.finish();
    assert_eq!(p.state(), PartitionState::Failure);
    assert!(zk.get_children("/work/party", None).unwrap().0.is_empty(), "finish leaves the party");
    assert!(zk.get_children("/work/locks/0", None).unwrap().0.is_empty(), "finish releases the locks");
    assert!(!p.wait_for_acquire(Some(Duration::ZERO)));
    p.release_set();
    assert_eq!(p.state(), PartitionState::Failure, "FAILURE is final");
    zk.close().unwrap();
}

#[test]
fn a_party_of_two_splits_and_a_leaver_releases_the_other() {
    let zk = chrooted("partition-two");
    let a = member(&zk, "/work", &["0", "1"], "a");
    let b = member(&zk, "/work", &["0", "1"], "b");
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(acquired(&b), strings(&["1"]));
    let since = a.state_id();
    b.finish();
    assert_eq!(a.wait_for_state_change(since, Some(Duration::from_secs(10))), Some(PartitionState::Release));
    a.release_set();
    assert_eq!(acquired(&a), strings(&["0", "1"]));
    zk.close().unwrap();
}

#[test]
fn a_new_member_makes_the_others_release_and_all_divide_again() {
    let zk = chrooted("partition-expand");
    let items = ["0", "1", "2"];
    let a = member(&zk, "/work", &items, "a");
    let b = member(&zk, "/work", &items, "b");
    assert_eq!(acquired(&a), strings(&["0", "2"]));
    assert_eq!(acquired(&b), strings(&["1"]));
    let c = member(&zk, "/work", &items, "c");
    eventually("a and b release", || a.state() == PartitionState::Release && b.state() == PartitionState::Release);
    assert_eq!(c.state(), PartitionState::Allocating, "c waits for the locks a holds");
    a.release_set();
    b.release_set();
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(acquired(&b), strings(&["1"]));
    assert_eq!(acquired(&c), strings(&["2"]));
    zk.close().unwrap();
}

#[test]
fn more_members_than_items() {
    let zk = chrooted("partition-more");
    let a = member(&zk, "/work", &["0"], "a");
    let b = member(&zk, "/work", &["0"], "b");
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(acquired(&b), Vec::<String>::new());
    zk.close().unwrap();
}

fn proxied(root: &str) -> (Proxy, Client) {
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = Duration::from_secs(4);
    (proxy, connect_with(cfg))
}

#[test]
fn a_connection_drop_releases_and_the_same_split_comes_back() {
    let root = unique("partition-drop");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let (proxy, zk) = proxied(&root);
    let other = connect_to(&format!("{}{root}", hosts()));
    let a = member(&zk, "/work", &["0", "1"], "a");
    let b = member(&other, "/work", &["0", "1"], "b");
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(acquired(&b), strings(&["1"]));
    proxy.drop_connections();
    eventually("a releases on the drop", || a.state() == PartitionState::Release);
    eventually("reconnected", || zk.state() == zkrs::State::Connected);
    a.release_set();
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(b.state(), PartitionState::Acquired, "the party did not change for b");
    other.close().unwrap();
    zk.close().unwrap();
    admin.close().unwrap();
}

#[test]
fn session_loss_fails_the_member_and_the_others_take_over() {
    let root = unique("partition-expire");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let (proxy, zk) = proxied(&root);
    let other = connect_to(&format!("{}{root}", hosts()));
    let a = member(&zk, "/work", &["0", "1"], "a");
    let b = member(&other, "/work", &["0", "1"], "b");
    assert_eq!(acquired(&a), strings(&["0"]));
    assert_eq!(acquired(&b), strings(&["1"]));
    let (id, password) = zk.client_id();
    proxy.set_refuse(true);
    proxy.drop_connections();
    expire_session(&server().connect_string(), id, &password).unwrap();
    proxy.set_refuse(false);
    eventually("a fails", || a.state() == PartitionState::Failure);
    eventually("b releases", || b.state() == PartitionState::Release);
    b.release_set();
    assert_eq!(acquired(&b), strings(&["0", "1"]));
    other.close().unwrap();
    zk.close().unwrap();
    admin.close().unwrap();
}
