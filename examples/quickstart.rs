//! Connects, creates, reads, watches, updates and deletes a node. Usage: quickstart HOSTS
use std::sync::mpsc::channel;
use std::time::Duration;
use zkrs::{Client, CreateOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hosts = std::env::args().nth(1).or_else(|| std::env::var("ZK_HOSTS").ok()).ok_or("usage: quickstart HOSTS")?;
    let zk = Client::connect(&hosts)?;
    println!("connected to {} (session 0x{:x})", zk.current_server().unwrap_or_default(), zk.session_id());
    let created = zk.create("/zkrs-demo/greeting", b"hello", &CreateOptions::default().with_makepath())?;
    println!("created {}", created.path);
    let (tx, rx) = channel();
    let (data, stat) = zk.get_data(&created.path, Some(Box::new(move |e| drop(tx.send(e)))))?;
    println!("read {:?} (version {})", String::from_utf8_lossy(&data), stat.version);
    zk.set_data(&created.path, b"hello again", stat.version)?;
    println!("watch fired: {:?}", rx.recv_timeout(Duration::from_secs(10))?);
    zk.delete_recursive("/zkrs-demo")?;
    println!("deleted /zkrs-demo");
    zk.close()?;
    Ok(())
}
