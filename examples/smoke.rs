use std::sync::mpsc;
use std::time::Duration;
use zkrs::*;
fn main() {
    let hosts = std::env::args().nth(1).unwrap();
    let zk = Client::connect(&hosts).unwrap();
    println!("session 0x{:x} timeout {}", zk.session_id(), zk.negotiated_timeout_ms());
    let _ = zk.delete_recursive("/smoke");
    let c = zk.create("/smoke/a", b"hello", &CreateOptions::default().with_makepath()).unwrap();
    println!("created {:?}", c);
    let (tx, rx) = mpsc::channel();
    let (d, s) = zk.get_data("/smoke/a", Some(Box::new(move |e| tx.send(e).unwrap()))).unwrap();
    println!("data {:?} v{}", String::from_utf8_lossy(&d), s.version);
    zk.set_data("/smoke/a", b"x", -1).unwrap();
    println!("event {:?}", rx.recv_timeout(Duration::from_secs(5)).unwrap());
    let seq = zk.create("/smoke/s-", b"", &CreateOptions::mode(CreateMode::EphemeralSequential)).unwrap();
    println!("seq {}", seq.path);
    println!("children {:?}", zk.get_children("/smoke", None).unwrap().0);
    let mut t = zk.transaction();
    t.create("/smoke/t1", b"", &CreateOptions::default()).check("/smoke/a", 7).delete("/smoke/a", -1);
    println!("txn {:?}", zk.commit(t));
    println!("whoami {:?}", zk.whoami());
    println!("version {:?}", zk.server_version());
    let (tx, rx) = mpsc::channel();
    for i in 0..1000 { let tx = tx.clone(); zk.get_data_async("/smoke/a", None, move |r| tx.send((i, r.is_ok())).unwrap()).unwrap(); }
    let mut n = 0; for _ in 0..1000 { let (i, ok) = rx.recv().unwrap(); assert!(ok); assert_eq!(i, n); n += 1; }
    println!("1000 async in order");
    zk.delete_recursive("/smoke").unwrap();
    zk.close().unwrap();
    println!("closed, state {:?}", zk.state());
}
