//! Counter against a real server: kazoo's test_counter.py scenarios, the stored bytes, and concurrent
//! changes that all count.
mod common;

use common::*;
use std::sync::Arc;
use zkrs::recipe::counter::{Change, Counter, CounterKind, CounterValue};
use zkrs::Error;

use CounterValue::{Float, Int};

fn stored(zk: &zkrs::Client, path: &str) -> Vec<u8> {
    zk.get_data(path, None).unwrap().0
}

#[test]
fn an_integer_counter_counts_and_stores_decimal_text() {
    let zk = chrooted("counter-int");
    let c = Counter::new(&zk, "/int", CounterKind::Int).unwrap();
    assert_eq!(c.value().unwrap(), Int(0));
    assert_eq!(stored(&zk, "/int"), b"", "a new counter is an empty node");
    c.add(Int(2)).unwrap();
    c.add(Int(1)).unwrap();
    assert_eq!(c.value().unwrap(), Int(3));
    assert_eq!(stored(&zk, "/int"), b"3");
    c.subtract(Int(3)).unwrap();
    c.subtract(Int(1)).unwrap();
    assert_eq!(c.value().unwrap(), Int(-1));
    assert_eq!(stored(&zk, "/int"), b"-1");
    zk.close().unwrap();
}

#[test]
fn a_curator_counter_stores_four_big_endian_bytes_and_keeps_to_32_bits() {
    let zk = chrooted("counter-curator");
    let c = Counter::new(&zk, "/cur", CounterKind::Curator).unwrap();
    assert_eq!(c.value().unwrap(), Int(0));
    c.add(Int(2)).unwrap();
    c.add(Int(1)).unwrap();
    assert_eq!(c.value().unwrap(), Int(3));
    assert_eq!(stored(&zk, "/cur"), vec![0, 0, 0, 3]);
    c.subtract(Int(3)).unwrap();
    c.subtract(Int(1)).unwrap();
    assert_eq!(c.value().unwrap(), Int(-1));
    assert_eq!(stored(&zk, "/cur"), vec![0xff, 0xff, 0xff, 0xff]);
    c.add(Int(1)).unwrap();
    c.add(Int(2147483647)).unwrap();
    assert_eq!(c.value().unwrap(), Int(2147483647));
    assert!(matches!(c.add(Int(1)), Err(Error::BadArguments(_))), "past i32::MAX");
    assert_eq!(c.value().unwrap(), Int(2147483647), "a refused change writes nothing");
    c.subtract(Int(2147483647)).unwrap();
    c.subtract(Int(2147483647)).unwrap();
    assert_eq!(c.value().unwrap(), Int(-2147483647));
    assert_eq!(stored(&zk, "/cur"), vec![0x80, 0, 0, 1]);
    zk.close().unwrap();
}

#[test]
fn a_float_counter_stores_python_repr() {
    let zk = chrooted("counter-float");
    let c = Counter::new(&zk, "/f", CounterKind::Float).unwrap();
    assert_eq!(c.value().unwrap(), Float(0.0));
    c.add(Float(2.1)).unwrap();
    assert_eq!(c.value().unwrap(), Float(2.1));
    assert_eq!(stored(&zk, "/f"), b"2.1");
    c.subtract(Float(3.1)).unwrap();
    assert_eq!(c.value().unwrap(), Float(-1.0));
    assert_eq!(stored(&zk, "/f"), b"-1.0");
    let g = Counter::new(&zk, "/g", CounterKind::Float).unwrap();
    g.add(Float(0.1)).unwrap();
    g.add(Float(0.2)).unwrap();
    assert_eq!(stored(&zk, "/g"), b"0.30000000000000004");
    g.add(Float(1e16)).unwrap();
    assert_eq!(stored(&zk, "/g"), b"1e+16");
    // What kazoo might have written reads back.
    zk.set_data("/g", b"1.5", -1).unwrap();
    assert_eq!(g.value().unwrap(), Float(1.5));
    zk.set_data("/g", b"7", -1).unwrap();
    assert_eq!(g.value().unwrap(), Float(7.0));
    zk.close().unwrap();
}

#[test]
fn wrong_types_and_unreadable_data_are_refused() {
    let zk = chrooted("counter-errors");
    let c = Counter::new(&zk, "/int", CounterKind::Int).unwrap();
    assert!(matches!(c.add(Float(2.1)), Err(Error::BadArguments(_))));
    let f = Counter::new(&zk, "/f", CounterKind::Float).unwrap();
    assert!(matches!(f.add(Int(1)), Err(Error::BadArguments(_))));
    assert!(matches!(
        Counter::new(&zk, "/cur", CounterKind::Curator).unwrap().with_default(Float(0.0)),
        Err(Error::BadArguments(_))
    ));
    assert!(matches!(Counter::new(&zk, "bad", CounterKind::Int), Err(Error::InvalidPath { .. })));
    assert_eq!(c.value().unwrap(), Int(0));
    zk.set_data("/int", b"2.5", -1).unwrap();
    assert!(matches!(c.value(), Err(Error::Marshalling(_))));
    assert!(matches!(c.add(Int(1)), Err(Error::Marshalling(_))));
    assert_eq!(stored(&zk, "/int"), b"2.5", "nothing written over data it cannot read");
    let cur = Counter::new(&zk, "/cur", CounterKind::Curator).unwrap();
    zk.ensure_path("/cur").unwrap();
    zk.set_data("/cur", b"abc", -1).unwrap();
    assert!(matches!(cur.value(), Err(Error::Marshalling(_))));
    let big = Counter::new(&zk, "/big", CounterKind::Int).unwrap();
    big.add(Int(i64::MAX)).unwrap();
    assert!(matches!(big.add(Int(1)), Err(Error::BadArguments(_))));
    assert!(matches!(big.subtract(Int(i64::MIN)), Err(Error::BadArguments(_))));
    zk.close().unwrap();
}

#[test]
fn changes_report_pre_and_post_values_and_defaults_apply() {
    let zk = chrooted("counter-prepost");
    let c = Counter::new(&zk, "/c", CounterKind::Int).unwrap();
    assert_eq!(c.value().unwrap(), Int(0));
    assert_eq!(c.add(Int(2)).unwrap(), Change { pre: Int(0), post: Int(2) });
    assert_eq!(c.subtract(Int(3)).unwrap(), Change { pre: Int(2), post: Int(-1) });
    let d = Counter::new(&zk, "/d", CounterKind::Float).unwrap().with_default(Float(1.0)).unwrap();
    assert_eq!(d.add(Float(2.0)).unwrap(), Change { pre: Float(1.0), post: Float(3.0) });
    assert_eq!(stored(&zk, "/d"), b"3.0");
    zk.close().unwrap();
}

#[test]
fn concurrent_changes_from_several_clients_all_count() {
    let root = unique("counter-race");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let clients: Vec<_> = (0..3).map(|_| connect_to(&format!("{}{root}", hosts()))).collect();
    let per_thread = 15;
    let threads: Vec<_> = clients
        .iter()
        .flat_map(|zk| {
            (0..2).map(move |_| {
                let c = Arc::new(Counter::new(zk, "/hits", CounterKind::Int).unwrap());
                std::thread::spawn(move || {
                    for _ in 0..per_thread {
                        c.add(Int(1)).unwrap();
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let c = Counter::new(&clients[0], "/hits", CounterKind::Int).unwrap();
    assert_eq!(c.value().unwrap(), Int(6 * per_thread));
    // A counter whose node was deleted meanwhile starts over from the default.
    clients[1].delete("/hits", -1).unwrap();
    assert_eq!(c.add(Int(5)).unwrap(), Change { pre: Int(0), post: Int(5) });
    for zk in clients {
        zk.close().unwrap();
    }
    admin.close().unwrap();
}

#[test]
fn a_change_made_while_disconnected_completes_after_the_reconnect() {
    use std::time::Duration;
    use zkrs_testserver::Proxy;
    let root = unique("counter-reconnect");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{}", server().port()).parse().unwrap()).unwrap();
    let mut cfg = zkrs::Config::new(&format!("{}{root}", proxy.connect_string()));
    cfg.session_timeout = Duration::from_secs(6);
    let zk = connect_with(cfg);
    let c = Arc::new(Counter::new(&zk, "/n", CounterKind::Int).unwrap());
    c.add(Int(1)).unwrap();
    proxy.set_refuse(true);
    proxy.drop_connections();
    let c2 = c.clone();
    let t = std::thread::spawn(move || c2.add(Int(2)));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!t.is_finished(), "nothing can be written while the connection is down");
    proxy.set_refuse(false);
    assert_eq!(t.join().unwrap().unwrap(), Change { pre: Int(1), post: Int(3) });
    assert_eq!(stored(&admin, &format!("{root}/n")), b"3");
    zk.close().unwrap();
    assert_eq!(c.add(Int(1)), Err(Error::Closed));
    admin.close().unwrap();
}
