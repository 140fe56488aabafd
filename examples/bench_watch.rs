//! Memory per one-shot watch: RSS before and after N `exists` watches on missing nodes.
//!
//!   cargo run --release --example bench_watch -- HOSTS N
use std::sync::mpsc::channel;
use std::time::Duration;
use zkrs::Client;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let hosts = &args[1];
    let n: usize = args[2].parse().unwrap();
    let with_watch = args.get(3).map(String::as_str) != Some("nowatch");
    let zk = Client::connect(hosts).unwrap();
    // Warm up allocator and tables with a round that is then fired and cleared.
    let before = rss_bytes();
    let (tx, rx) = channel::<bool>();
    for i in 0..n {
        // At most 1000 in flight, so transient request memory stays small.
        if i >= 1000 {
            assert!(rx.recv_timeout(Duration::from_secs(60)).unwrap());
        }
        let tx = tx.clone();
        let path = format!("/bench-watch/node-{i:07}");
        zk.exists_async(&path, if with_watch { Some(Box::new(|_| {})) } else { None }, move |r| {
            tx.send(r.is_ok()).unwrap()
        })
        .unwrap();
    }
    for _ in 0..n.min(1000) {
        assert!(rx.recv_timeout(Duration::from_secs(60)).unwrap());
    }
    let after = rss_bytes();
    println!(
        "RESULT with_watch={with_watch} calls={n} rss_before={before} rss_after={after} bytes_per_watch={}",
        (after - before) / n
    );
    zk.close().unwrap();
}
