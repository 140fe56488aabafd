//! zkrs and kazoo on one tree: a Counter both change, Party members both see, a DoubleBarrier both
//! enter and leave (tests/kazoo/coord.py is the kazoo side).
mod common;

use common::kazoo::Kazoo;
use common::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use zkrs::recipe::barrier::DoubleBarrier;
use zkrs::recipe::counter::{Counter, CounterKind, CounterValue};
use zkrs::recipe::party::Party;

fn kazoo() -> Kazoo {
    let py = Kazoo::start("coord", &hosts(), &[]);
    py.expect("READY", WAIT);
    py
}

fn ask(py: &mut Kazoo, line: &str) -> String {
    py.say(line);
    py.next_line(WAIT).unwrap_or_else(|| panic!("kazoo did not answer {line:?}"))
}

#[test]
fn an_integer_counter_changed_by_both_adds_up() {
    let path = unique("interop-counter-int");
    let zk = connect();
    let mut py = kazoo();
    let c = Counter::new(&zk, &path, CounterKind::Int).unwrap();
    c.add(CounterValue::Int(5)).unwrap();
    assert_eq!(ask(&mut py, &format!("counter {path} int add 3")), "8");
    assert_eq!(c.subtract(CounterValue::Int(10)).unwrap().post, CounterValue::Int(-2));
    assert_eq!(ask(&mut py, &format!("counter {path} int value")), "-2");
    // Concurrently: kazoo adds 1 thirty times while two zkrs threads do the same.
    py.say(&format!("counter {path} int loop 1 30"));
    let c = Arc::new(c);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..30 {
                    c.add(CounterValue::Int(1)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    py.expect("DONE", WAIT * 3);
    assert_eq!(c.value().unwrap(), CounterValue::Int(88));
    assert_eq!(ask(&mut py, &format!("counter {path} int value")), "88");
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn a_float_counter_changed_by_both_adds_up() {
    let path = unique("interop-counter-float");
    let zk = connect();
    let mut py = kazoo();
    let c = Counter::new(&zk, &path, CounterKind::Float).unwrap();
    c.add(CounterValue::Float(0.1)).unwrap();
    assert_eq!(ask(&mut py, &format!("counter {path} float add 0.2")), "0.30000000000000004");
    assert_eq!(c.value().unwrap(), CounterValue::Float(0.1 + 0.2));
    c.add(CounterValue::Float(1e16)).unwrap();
    assert_eq!(ask(&mut py, &format!("counter {path} float value")), "1e+16");
    c.subtract(CounterValue::Float(1e16 + 0.1 + 0.2)).unwrap();
    assert_eq!(ask(&mut py, &format!("counter {path} float value")), "0.0");
    // Concurrently, with steps whose sums are exact in binary.
    py.say(&format!("counter {path} float loop 0.5 20"));
    for _ in 0..20 {
        c.add(CounterValue::Float(0.25)).unwrap();
    }
    py.expect("DONE", WAIT * 3);
    assert_eq!(c.value().unwrap(), CounterValue::Float(15.0));
    assert_eq!(ask(&mut py, &format!("counter {path} float value")), "15.0");
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn a_curator_counter_is_shared_with_kazoo() {
    let path = unique("interop-counter-curator");
    let zk = connect();
    let mut py = kazoo();
    let c = Counter::new(&zk, &path, CounterKind::Curator).unwrap();
    c.add(CounterValue::Int(-7)).unwrap();
    assert_eq!(ask(&mut py, &format!("counter {path} curator add 2147483646")), "2147483639");
    assert_eq!(c.value().unwrap(), CounterValue::Int(2147483639));
    py.finish(WAIT);
    zk.close().unwrap();
}

fn members_are_seen_by_both(style: &str) {
    let path = unique(&format!("interop-party-{style}"));
    let zk = connect();
    let mut py = kazoo();
    let make = |id: &str| {
        if style == "shallow" {
            Party::shallow(&zk, &path, id).unwrap()
        } else {
            Party::new(&zk, &path, id).unwrap()
        }
    };
    let rs = make("rs-1");
    rs.join().unwrap();
    assert_eq!(ask(&mut py, &format!("party {path} {style} kz-1 members")), "rs-1");
    assert_eq!(ask(&mut py, &format!("party {path} {style} kz-1 join")), "JOINED");
    let want: BTreeSet<String> = ["kz-1", "rs-1"].iter().map(|s| s.to_string()).collect();
    assert_eq!(rs.members().unwrap().into_iter().collect::<BTreeSet<_>>(), want);
    assert_eq!(rs.len().unwrap(), 2);
    assert_eq!(ask(&mut py, &format!("party {path} {style} kz-1 members")), "kz-1,rs-1");
    assert!(rs.leave().unwrap());
    assert_eq!(ask(&mut py, &format!("party {path} {style} kz-1 members")), "kz-1");
    assert_eq!(ask(&mut py, &format!("party {path} {style} kz-1 leave")), "LEFT");
    assert_eq!(rs.members().unwrap(), Vec::<String>::new());
    py.finish(WAIT);
    zk.close().unwrap();
}

#[test]
fn party_members_are_seen_by_both() {
    members_are_seen_by_both("deep");
}

#[test]
fn shallow_party_members_are_seen_by_both() {
    members_are_seen_by_both("shallow");
}

#[test]
fn kazoo_and_zkrs_enter_and_leave_a_double_barrier_together() {
    let path = unique("interop-dbarrier");
    let (a, b) = (connect(), connect());
    let mut py = kazoo();
    py.say(&format!("dbarrier {path} 3 kz enter"));
    let ma = Arc::new(DoubleBarrier::new(&a, &path, 3, Some("rs-a")).unwrap());
    let mb = DoubleBarrier::new(&b, &path, 3, Some("rs-b")).unwrap();
    let m = ma.clone();
    let t = std::thread::spawn(move || m.enter(Some(WAIT)));
    assert_eq!(py.next_line(Duration::from_millis(400)), None, "two of three cannot enter");
    assert!(!t.is_finished());
    mb.enter(Some(WAIT)).unwrap();
    t.join().unwrap().unwrap();
    py.expect("ENTERED True", WAIT);
    assert!(ma.participating() && mb.participating());

    // Leaving: nobody returns until all three have left.
    py.say(&format!("dbarrier {path} 3 kz leave"));
    let m = ma.clone();
    let t = std::thread::spawn(move || m.leave(Some(WAIT)));
    std::thread::sleep(Duration::from_millis(400));
    assert!(!t.is_finished(), "a zkrs member left before the last one");
    assert_eq!(py.next_line(Duration::ZERO), None, "kazoo left before the last one");
    mb.leave(Some(WAIT)).unwrap();
    t.join().unwrap().unwrap();
    py.expect("LEFT False", WAIT);
    assert_eq!(a.get_children(&path, None).unwrap().0, Vec::<String>::new());
    py.finish(WAIT);
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn kazoo_and_zkrs_partition_a_set_between_them() {
    use zkrs::recipe::partitioner::{PartitionState, PartitionerOptions, SetPartitioner};
    let path = unique("interop-partitioner");
    let zk = connect();
    let mut py = kazoo();
    let items = ["a", "b", "c", "d"];
    py.say(&format!("partitioner {path} kz start {}", items.join(" ")));
    py.expect("ACQUIRED a,b,c,d", WAIT * 2);
    let options = PartitionerOptions {
        identifier: Some("rs".into()),
        time_boundary: Duration::from_millis(200),
        max_reaction_time: Duration::from_millis(200),
        partition_fn: None,
    };
    let rs = SetPartitioner::new(&zk, &path, &items, options).unwrap();
    // kazoo sees the new member, releases and divides again; zkrs waits for kazoo's locks meanwhile.
    py.say(&format!("partitioner {path} kz redivide"));
    py.expect("ACQUIRED a,c", WAIT * 2);
    assert_eq!(rs.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert_eq!(rs.acquired_items(), vec!["b".to_string(), "d".to_string()]);
    // kazoo leaves: zkrs releases and takes everything.
    let (_, since) = rs.state_and_id();
    assert_eq!(ask(&mut py, &format!("partitioner {path} kz finish")), "FINISHED");
    assert_eq!(rs.wait_for_change(since, Some(WAIT)).unwrap().0, PartitionState::Release);
    rs.release_set().unwrap();
    assert_eq!(rs.wait_for_acquire(Some(WAIT)).unwrap(), PartitionState::Acquired);
    assert_eq!(rs.acquired_items(), vec!["a", "b", "c", "d"]);
    py.finish(WAIT);
    drop(rs);
    zk.close().unwrap();
}
