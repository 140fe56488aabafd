//! Hostile replies: every reply decoder fed truncated, corrupted and random bodies must return an error
//! or a value, never panic, and never allocate beyond what the body can justify.

use crate::acl::Acl;
use crate::ops::{self, CreateOptions, Decode};
use crate::path::Chroot;
use crate::proto::{ConnectResponse, JuteWrite, Reader, ReplyHeader, WatcherEvent};
use crate::session::Reply;
use crate::txn::{self, Transaction};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn stat_bytes(b: &mut Vec<u8>) {
    for _ in 0..4 {
        b.put_i64(7);
    }
    for _ in 0..3 {
        b.put_i32(1);
    }
    b.put_i64(0);
    b.put_i32(5);
    b.put_i32(2);
    b.put_i64(9);
}

/// Well-formed bodies of each reply kind, to be mutilated.
fn valid_bodies() -> Vec<Vec<u8>> {
    let mut data = Vec::new();
    data.put_buffer(Some(b"hello"));
    stat_bytes(&mut data);
    let mut children = Vec::new();
    children.put_strs(&["a", "b", "c"]);
    stat_bytes(&mut children);
    let mut acl = Vec::new();
    acl.put_i32(1);
    acl.put_i32(31);
    acl.put_str("world");
    acl.put_str("anyone");
    stat_bytes(&mut acl);
    let mut created = Vec::new();
    created.put_str("/app/node0000000001");
    stat_bytes(&mut created);
    let mut whoami = Vec::new();
    whoami.put_i32(1);
    whoami.put_str("ip");
    whoami.put_str("127.0.0.1");
    let mut multi = Vec::new();
    for (op, done, err) in [(1, false, -1), (15, false, -1), (-1, true, -1)] {
        multi.put_i32(op);
        multi.put_bool(done);
        multi.put_i32(err);
        if op == 1 {
            multi.put_str("/app/x");
        }
    }
    let mut connect = Vec::new();
    connect.put_i32(0);
    connect.put_i32(10_000);
    connect.put_i64(0x1234);
    connect.put_buffer(Some(&[0u8; 16]));
    connect.put_bool(false);
    let mut event = Vec::new();
    event.put_i32(3);
    event.put_i32(3);
    event.put_str("/app/x");
    vec![data, children, acl, created, whoami, multi, connect, event]
}

/// Runs every decoder over `body` with reply code `err`; only the absence of a panic matters.
fn decode_everything(body: &[u8], err: i32) {
    let chroot = Chroot::new("/app").unwrap();
    let reply = || Reply { err, body: body.to_vec() };
    let p = || "/app/x".to_string();
    let _ = ops::get_data(p(), None).decoder.decode(reply(), &chroot);
    let _ = ops::exists(p(), None).decoder.decode(reply(), &chroot);
    let _ = ops::get_children(p(), None).decoder.decode(reply(), &chroot);
    let _ = ops::get_acl(p()).decoder.decode(reply(), &chroot);
    let _ = ops::set_data(p(), b"", -1).decoder.decode(reply(), &chroot);
    let _ = ops::create(p(), b"", &Acl::open_unsafe(), Default::default(), -1).decoder.decode(reply(), &chroot);
    let _ = ops::sync(p()).decoder.decode(reply(), &chroot);
    let _ = ops::get_ephemerals(p()).decoder.decode(reply(), &chroot);
    let _ = ops::get_all_children_number(p()).decoder.decode(reply(), &chroot);
    let _ = ops::whoami().decoder.decode(reply(), &chroot);
    let _ = ops::get_config(None).decoder.decode(reply(), &chroot);
    let mut t = Transaction {
        chroot: chroot.clone(),
        default_acl: Acl::open_unsafe(),
        max_data: 1 << 20,
        ..Default::default()
    };
    t.create("/x", b"", &CreateOptions::default()).set_data("/x", b"", -1).check("/x", 0).delete("/x", -1);
    let _ = txn::multi(t.ops).decoder.decode(reply(), &chroot);
    let _ = txn::multi_read(vec![(true, p()), (false, p())]).decoder.decode(reply(), &chroot);
    let _ = ConnectResponse::decode(body);
    let _ = ReplyHeader::decode(&mut Reader::new(body));
    let _ = WatcherEvent::decode(&mut Reader::new(body));
}

#[test]
fn truncated_bodies_never_panic() {
    for body in valid_bodies() {
        for len in 0..=body.len() {
            decode_everything(&body[..len], 0);
        }
    }
}

#[test]
fn corrupted_and_random_bodies_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x2b_5eed);
    let bodies = valid_bodies();
    for round in 0..4000 {
        let mut body = if round % 2 == 0 {
            bodies[rng.gen_range(0..bodies.len())].clone()
        } else {
            (0..rng.gen_range(0..96)).map(|_| rng.gen()).collect()
        };
        for _ in 0..rng.gen_range(1..4) {
            if body.is_empty() {
                break;
            }
            let i = rng.gen_range(0..body.len());
            // Favour the values that break length fields: 0x7f/0xff make huge or negative counts.
            body[i] = *[0x00, 0x7f, 0x80, 0xff, rng.gen()].get(rng.gen_range(0..5)).unwrap();
        }
        let err = if round % 7 == 0 { -101 } else { 0 };
        decode_everything(&body, err);
    }
}
