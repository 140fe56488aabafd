//! One ZooKeeper JVM, bound to the life of this process.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};

/// Runs `"$@"` (the `java` command line) in place of the shell, after forking a watchdog subshell that waits
/// for end of file on the pipe this process holds as the shell's stdin, then `SIGKILL`s the JVM (`$$`: `exec`
/// keeps the pid). End of file comes when this process closes the pipe or dies in any way, so the JVM can
/// never outlive it. The watchdog checks that the JVM is still its parent first: once the JVM has exited the
/// watchdog is re-parented, and the pid may belong to someone else.
///
/// `PR_SET_PDEATHSIG` is not used: it fires when the spawning *thread* exits, and tests start servers from
/// short-lived threads.
const WATCHDOG: &str = r#"exec 3<&0
(
  read -r _ <&3
  if read -r _ _ _ pp _ 2>/dev/null </proc/self/stat && [ "$pp" != "$$" ]; then exit 0; fi
  kill -9 $$ 2>/dev/null
) &
exec "$@" 3<&- </dev/null
"#;

/// A running (or exited but not yet reaped) JVM.
#[derive(Debug)]
pub(crate) struct Jvm {
    child: Child,
    lifeline: Option<ChildStdin>,
    exited: Option<ExitStatus>,
}

impl Jvm {
    /// Starts `args` (program first) in `cwd` with stdout and stderr appended to `out`.
    pub(crate) fn spawn(args: &[OsString], cwd: &Path, out: &Path) -> io::Result<Jvm> {
        let out = File::options().create(true).append(true).open(out)?;
        let err = out.try_clone()?;
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("zkrs-testserver-jvm")
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()?;
        let lifeline = child.stdin.take();
        Ok(Jvm { child, lifeline, exited: None })
    }

    /// The JVM's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `sig` unless the JVM is known to have exited (then its pid may have been reused).
    pub(crate) fn signal(&self, sig: libc::c_int) {
        if self.exited.is_none() {
            // SAFETY: kill(2) has no memory-safety requirements; the pid is our unreaped child.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, sig);
            }
        }
    }

    /// Stops the JVM (`SIGSTOP`) and waits until every one of its threads has stopped: the signal is
    /// delivered to each thread as it next runs, which on a loaded machine can take a while, and a
    /// thread still running could answer a client.
    pub(crate) fn stop(&self) {
        self.signal(libc::SIGSTOP);
        let tasks = std::path::PathBuf::from(format!("/proc/{}/task", self.child.id()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline && !all_stopped(&tasks) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// The exit status if the JVM has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Kills the JVM (even a stopped one) and reaps it.
    pub(crate) fn kill(&mut self) {
        drop(self.lifeline.take());
        if self.exited.is_none() {
            self.signal(libc::SIGKILL);
            self.exited = self.child.wait().ok();
        }
    }
}

impl Drop for Jvm {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether every thread under `/proc/<pid>/task` is in the stopped state (`T`); unreadable counts as
/// stopped (the process is gone).
fn all_stopped(tasks: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(tasks) else { return true };
    entries.flatten().all(|task| {
        std::fs::read_to_string(task.path().join("stat")).map_or(true, |stat| {
            // The state follows the command name, which is in parentheses and may hold spaces.
            stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()).map_or(true, |c| c == 'T' || c == 't')
        })
    })
}
