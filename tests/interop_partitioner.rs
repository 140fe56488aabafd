//! zkrs and kazoo members of one SetPartitioner (tests/kazoo/partitioner_peer.py is the kazoo side):
//! both compute kazoo's round-robin split, so together they hold every item exactly once, through a
//! member joining and the kazoo member finishing.
mod common;

use common::kazoo::Kazoo;
use common::*;
use std::collections::BTreeSet;
use std::time::Duration;
use zkrs::recipe::partitioner::{round_robin, PartitionState, PartitionerOptions, SetPartitioner};

const BOUNDARY: Duration = Duration::from_millis(500);

fn member(zk: &zkrs::Client, path: &str, id: &str, items: &[&str]) -> SetPartitioner {
    let opts = PartitionerOptions {
        identifier: Some(id.to_string()),
        time_boundary: BOUNDARY,
        max_reaction_time: Duration::from_millis(300),
        ..PartitionerOptions::default()
    };
    SetPartitioner::new(zk, path, items, opts).unwrap()
}

fn ask(py: &mut Kazoo, line: &str) -> (String, Vec<String>) {
    py.say(line);
    let answer = py.next_line(WAIT * 3).unwrap_or_else(|| panic!("kazoo did not answer {line:?}"));
    let (state, items) = answer.split_once(' ').unwrap_or((&answer, ""));
    let items = if items.is_empty() { vec![] } else { items.split(',').map(String::from).collect() };
    (state.to_string(), items)
}

/// zkrs's side of settling: release in RELEASE, wait in ALLOCATING, until ACQUIRED.
fn settle_ours(p: &SetPartitioner) {
    let end = std::time::Instant::now() + WAIT;
    while p.state() != PartitionState::Acquired && std::time::Instant::now() < end {
        if p.release() {
            p.release_set().unwrap();
        } else {
            let _ = p.wait_for_acquire(Some(Duration::from_millis(200)));
        }
    }
}

/// Releases and re-acquires on every side (at the same time: one side may wait for the other's
/// items) until all are ACQUIRED at once; the kazoo member's items and ours.
fn settle(py: &mut Kazoo, ours: &[&SetPartitioner]) -> (Vec<String>, Vec<Vec<String>>) {
    for _ in 0..10 {
        std::thread::scope(|s| {
            for p in ours {
                s.spawn(move || settle_ours(p));
            }
            let (k_state, _) = ask(py, "settle");
            assert_eq!(k_state, "ACQUIRED");
        });
        let (k_state, k_items) = ask(py, "state");
        if k_state == "ACQUIRED" && ours.iter().all(|p| p.acquired()) {
            return (k_items, ours.iter().map(|p| p.acquired_items()).collect());
        }
    }
    panic!("the group did not settle");
}

fn check_split(all: &[String], members: &[&str], shares: &[(&str, &Vec<String>)]) {
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    let mut union = BTreeSet::new();
    for (id, share) in shares {
        assert_eq!(*share, &round_robin(id, &members, all), "share of {id}");
        for item in share.iter() {
            assert!(union.insert(item.clone()), "{item} held twice");
        }
    }
    assert_eq!(union, all.iter().cloned().collect::<BTreeSet<_>>(), "every item held");
}

#[test]
fn zkrs_and_kazoo_members_agree_on_a_disjoint_complete_split() {
    let path = unique("interop-partitioner");
    let all: Vec<String> = (0..7).map(|i| format!("q{i}")).collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let joined = all.join(",");
    let mut py = Kazoo::start("partitioner_peer", &hosts(), &[&path, "k", &joined, "0.5"]);
    py.expect("READY", WAIT);
    let zk = connect();
    let a = member(&zk, &path, "a", &refs);
    let (k, ours) = settle(&mut py, &[&a]);
    check_split(&all, &["a", "k"], &[("k", &k), ("a", &ours[0])]);

    // A second zkrs member joins: everyone releases and the three split the set.
    let zk2 = connect();
    let z = member(&zk2, &path, "z", &refs);
    eventually("a sees the newcomer", || a.state() == PartitionState::Release);
    eventually("kazoo sees the newcomer", || ask(&mut py, "state").0 == "RELEASE");
    let (k, ours) = settle(&mut py, &[&a, &z]);
    check_split(&all, &["a", "k", "z"], &[("k", &k), ("a", &ours[0]), ("z", &ours[1])]);

    // The kazoo member finishes: the zkrs members take over its items.
    let (k_state, k_items) = ask(&mut py, "finish");
    assert_eq!((k_state.as_str(), k_items.len()), ("FAILURE", 0));
    for p in [&a, &z] {
        eventually("RELEASE after kazoo left", || p.state() == PartitionState::Release);
        p.release_set().unwrap();
    }
    for p in [&a, &z] {
        assert_eq!(p.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    }
    let (sa, sz) = (a.acquired_items(), z.acquired_items());
    check_split(&all, &["a", "z"], &[("a", &sa), ("z", &sz)]);
    py.finish(WAIT);
}
