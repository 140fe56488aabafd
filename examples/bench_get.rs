//! Pipelined async getData throughput: N `get_data_async` calls on one node with at most INFLIGHT
//! outstanding (each completion lets the next one go). The full comparison (C client, raw socket, kazoo) is bench/run.sh.
//!
//!   cargo run --release --example bench_get -- HOSTS N INFLIGHT [PATH]
//!
//! Prints one `RESULT ...` line: wall time, ops/s and process CPU (user+sys) per op over the measured part.

use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::Instant;
use zkrs::{Client, CreateOptions, Error};

const DATA_LEN: usize = 100;

#[derive(Default)]
struct Window {
    state: Mutex<Counts>,
    freed: Condvar,
}

#[derive(Default)]
struct Counts {
    outstanding: usize,
    errors: usize,
    bad_len: usize,
}

/// Process CPU time (user + sys) in seconds and context switches (voluntary + involuntary) so far.
fn usage() -> (f64, i64) {
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut r) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (tv(r.ru_utime) + tv(r.ru_stime), r.ru_nvcsw + r.ru_nivcsw)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bench_get HOSTS N INFLIGHT [PATH]");
        std::process::exit(2);
    }
    let hosts = &args[1];
    let n: usize = args[2].parse().expect("N");
    let window: usize = args[3].parse().expect("INFLIGHT");
    let path = args.get(4).map(String::as_str).unwrap_or("/bench-get");

    let zk = Client::connect(hosts).expect("connect");
    match zk.create(path, &[b'x'; DATA_LEN], &CreateOptions::default()) {
        Ok(_) | Err(Error::NodeExists(_)) => {}
        Err(e) => panic!("create {path}: {e}"),
    }

    let w = Arc::new(Window::default());
    let (c0, s0) = usage();
    let t0 = Instant::now();
    for _ in 0..n {
        {
            let mut s = w.state.lock();
            while s.outstanding >= window {
                w.freed.wait(&mut s);
            }
            s.outstanding += 1;
        }
        let w2 = w.clone();
        zk.get_data_async(path, None, move |r| {
            let mut s = w2.state.lock();
            match r {
                Ok((data, _)) if data.len() == DATA_LEN => {}
                Ok(_) => s.bad_len += 1,
                Err(_) => s.errors += 1,
            }
            s.outstanding -= 1;
            w2.freed.notify_one();
        })
        .expect("get_data_async");
    }
    {
        let mut s = w.state.lock();
        while s.outstanding > 0 {
            w.freed.wait(&mut s);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let (c1, s1) = usage();
    let cpu = c1 - c0;

    zk.close().expect("close");
    let s = w.state.lock();
    if s.errors > 0 || s.bad_len > 0 {
        eprintln!("zkrs: {} errors, {} replies without {DATA_LEN} bytes", s.errors, s.bad_len);
        std::process::exit(1);
    }
    println!(
        "RESULT client=zkrs n={n} inflight={window} secs={secs:.3} ops_per_sec={:.0} cpu_us_per_op={:.2} csw_per_op={:.3}",
        n as f64 / secs,
        cpu * 1e6 / n as f64,
        (s1 - s0) as f64 / n as f64
    );
}
