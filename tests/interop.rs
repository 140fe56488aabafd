//! zkrs and kazoo on one server: what one writes, the other reads.
mod common;

use common::kazoo::Kazoo;
use common::*;
use zkrs::CreateOptions;

#[test]
fn kazoo_reads_what_zkrs_wrote_through_a_chroot() {
    let root = unique("interop");
    let admin = connect();
    admin.ensure_path(&root).unwrap();
    let zk = connect_to(&format!("{}{root}", hosts()));
    zk.create("/a/b", "é, from zkrs".as_bytes(), &CreateOptions::default().with_makepath()).unwrap();
    let mut py = Kazoo::start("read", &hosts(), &[]);
    py.expect("READY", WAIT);
    py.say(&format!("{root}/a/b"));
    py.expect("é, from zkrs", WAIT);
    py.say(&format!("{root}/a/missing"));
    py.expect("NONODE", WAIT);
    py.finish(WAIT);
    zk.close().unwrap();
    admin.close().unwrap();
}
