//! kazoo as a real peer: a Python script in tests/kazoo/ run against the same server and tree.
//!
//! Scripts take the connect string in `ZK_HOSTS` and their own arguments on the command line; they talk
//! to the test line by line (stdout for what they did, stdin for what to do next), so a test can
//! interleave zkrs and kazoo steps without sleeping.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// A running kazoo script.
pub struct Kazoo {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    name: String,
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/kazoo").join(format!("{name}.py"))
}

impl Kazoo {
    /// Starts tests/kazoo/<name>.py with `args` against `hosts`.
    pub fn start(name: &str, hosts: &str, args: &[&str]) -> Kazoo {
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(script(name))
            .args(args)
            .env("ZK_HOSTS", hosts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot run python3; scripts/setup.sh installs kazoo");
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Kazoo { stdin: child.stdin.take(), child, lines, name: name.to_string() }
    }

    /// The next line the script printed, or `None` when it printed nothing more within `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Waits for the next line and checks that it is `want`.
    pub fn expect(&self, want: &str, timeout: Duration) {
        let got = self.next_line(timeout);
        assert_eq!(got.as_deref(), Some(want), "kazoo script {} said {got:?}, expected {want:?}", self.name);
    }

    /// Sends one line to the script's stdin.
    pub fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).expect("kazoo script gone");
    }

    /// Closes stdin and waits for the script; panics unless it exited with status 0.
    pub fn finish(mut self, timeout: Duration) {
        drop(self.stdin.take());
        let end = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "kazoo script {} failed: {status}", self.name);
                return;
            }
            assert!(std::time::Instant::now() < end, "kazoo script {} did not finish", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Kazoo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
