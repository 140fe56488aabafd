//! Party and ShallowParty against a real server: kazoo's test_party.py scenarios, the node names, and
//! members that vanish with their session.
mod common;

use common::*;
use std::collections::BTreeSet;
use zkrs::recipe::party::Party;
use zkrs::{CreateOptions, Error};

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

fn members_track_joins_and_leaves(shallow: bool) {
    let zk = chrooted(if shallow { "shallow-party" } else { "party" });
    let make = |i: usize| {
        let id = format!("p{i}");
        if shallow {
            Party::shallow(&zk, "/party", &id).unwrap()
        } else {
            Party::new(&zk, "/party", &id).unwrap()
        }
    };
    let parties: Vec<Party> = (0..5).map(make).collect();
    assert_eq!(parties[0].members().unwrap(), Vec::<String>::new());
    assert_eq!(parties[0].len().unwrap(), 0);
    assert!(parties[0].is_empty().unwrap());
    let mut participants = BTreeSet::new();
    for p in &parties {
        p.join().unwrap();
        assert!(p.participating());
        participants.insert(p.identifier().to_string());
        assert_eq!(set(p.members().unwrap()), participants);
        assert_eq!(p.len().unwrap(), participants.len());
    }
    for p in &parties {
        assert!(p.leave().unwrap());
        assert!(!p.participating());
        participants.remove(p.identifier());
        assert_eq!(set(p.members().unwrap()), participants);
        assert_eq!(p.len().unwrap(), participants.len());
    }
    zk.close().unwrap();
}

#[test]
fn party_members_track_joins_and_leaves() {
    members_track_joins_and_leaves(false);
}

#[test]
fn shallow_party_members_track_joins_and_leaves() {
    members_track_joins_and_leaves(true);
}

#[test]
fn member_nodes_are_named_as_kazoo_names_them() {
    let zk = chrooted("party-names");
    let deep = Party::new(&zk, "/deep", "worker 1").unwrap();
    deep.join().unwrap();
    let name = deep.create_path().strip_prefix("/deep/").unwrap().to_string();
    let (uuid, marker) = name.split_at(32);
    assert!(uuid.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{name}");
    assert_eq!(marker, "__party__");
    assert_eq!(zk.get_children("/deep", None).unwrap().0, vec![name.clone()]);
    let (data, stat) = zk.get_data(&deep.create_path(), None).unwrap();
    assert_eq!(data, b"worker 1");
    assert_ne!(stat.ephemeral_owner, 0, "members are ephemeral");

    let shallow = Party::shallow(&zk, "/shallow", "w-1").unwrap();
    shallow.join().unwrap();
    let (children, _) = zk.get_children("/shallow", None).unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(&children[0][32..], "-w-1");
    assert_eq!(zk.get_data(&shallow.create_path(), None).unwrap().0, b"w-1");
    assert_eq!(shallow.members().unwrap(), vec!["w-1".to_string()], "everything after the first '-'");

    // Other children of a deep party's node are not members; a shallow party counts every child (as kazoo).
    zk.create("/deep/other", b"x", &CreateOptions::default()).unwrap();
    assert_eq!(deep.members().unwrap(), vec!["worker 1".to_string()]);
    assert_eq!(deep.len().unwrap(), 1);
    assert!(matches!(Party::shallow(&zk, "/shallow", "a/b"), Err(Error::InvalidPath { .. })));
    assert!(matches!(Party::new(&zk, "/x/", "a"), Err(Error::InvalidPath { .. })));
    zk.close().unwrap();
}

#[test]
fn an_existing_member_node_is_taken_over() {
    let zk = chrooted("party-reuse");
    let party = Party::new(&zk, "/party", "p1").unwrap();
    zk.ensure_path("/party").unwrap();
    zk.create(&party.create_path(), b"", &CreateOptions::default()).unwrap();
    party.join().unwrap();
    assert!(party.participating());
    assert!(party.leave().unwrap());
    assert!(!party.participating());
    assert_eq!(party.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn leaving_after_the_node_vanished() {
    let zk = chrooted("party-vanish");
    let party = Party::new(&zk, "/party", "p1").unwrap();
    party.join().unwrap();
    zk.delete(&party.create_path(), -1).unwrap();
    assert!(!party.leave().unwrap());
    assert!(!party.participating());
    assert_eq!(party.len().unwrap(), 0);
    zk.close().unwrap();
}

#[test]
fn members_of_a_closed_session_are_gone_for_the_others() {
    let root = unique("party-session");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let a = connect_to(&format!("{}{root}", hosts()));
    let b = connect_to(&format!("{}{root}", hosts()));
    let pa = Party::new(&a, "/p", "a").unwrap();
    let pb = Party::new(&b, "/p", "b").unwrap();
    pa.join().unwrap();
    pb.join().unwrap();
    assert_eq!(set(pa.members().unwrap()), set(vec!["a".into(), "b".into()]));
    b.close().unwrap();
    assert_eq!(pa.members().unwrap(), vec!["a".to_string()]);
    assert_eq!(pb.join(), Err(Error::Closed));
    a.close().unwrap();
    admin.close().unwrap();
}
