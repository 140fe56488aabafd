//! `zkrs_client`: the handle over a Rust [`Client`]: create, start, close, free, state.

use super::buf::zkrs_buf;
use super::config::zkrs_config;
use super::timeout::wait_duration;
use super::watch::zkrs_free_fn;
use super::UserData;
use super::{code_of, fail, finish, out_arg, ref_arg, str_arg, zkrs_rc};
use crate::client::{Client, ListenerId};
use crate::error::codes;
use crate::state::StateEvent;
use parking_lot::Mutex;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Once};

/// A ZooKeeper client. Every function taking a `zkrs_client *` may be called from any thread,
/// concurrently. Created by `zkrs_client_new`; `zkrs_client_close` ends its activity (the handle stays
/// valid, later calls return `ZKRS_RC_CLOSED`); `zkrs_client_free` releases it.
pub struct zkrs_client {
    handle: Arc<Handle>,
}

/// What a client handle and the objects made from it (transactions, watches) share, so that they
/// see close and fork the same way whatever order they are freed in.
pub struct Handle {
    pub(crate) client: Client,
    closed: AtomicBool,
    pid: u32,
    /// State listeners added through the C API, removed at close so their free_userdata runs then.
    listeners: Mutex<Vec<ListenerId>>,
}

impl std::ops::Deref for zkrs_client {
    type Target = Handle;
    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl zkrs_client {
    /// A shared reference for objects that outlive a call (they keep the client alive, not open).
    pub(crate) fn share(&self) -> Arc<Handle> {
        self.handle.clone()
    }
}

/// This process's id, kept up to date by a fork handler: every C call checks for a fork, and getpid is a
/// system call (glibc stopped caching it), which would be one more per operation.
static PROCESS_ID: AtomicU32 = AtomicU32::new(0);

extern "C" fn refresh_process_id() {
    PROCESS_ID.store(std::process::id(), Ordering::Relaxed);
}

fn process_id() -> u32 {
    static WATCH_FORKS: Once = Once::new();
    WATCH_FORKS.call_once(|| {
        refresh_process_id();
        // SAFETY: registers a handler that only stores getpid() (async-signal-safe) in an atomic.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(refresh_process_id)) };
        if rc != 0 {
            // Without the handler the cached id could go stale in a child: never trust it then.
            PROCESS_ID.store(0, Ordering::Relaxed);
        }
    });
    match PROCESS_ID.load(Ordering::Relaxed) {
        0 => std::process::id(),
        pid => pid,
    }
}

impl Handle {
    fn forked(&self) -> bool {
        process_id() != self.pid
    }

    /// `FORKED` (recorded as the last error) in a child process.
    pub(crate) fn not_forked(&self) -> Result<(), zkrs_rc> {
        if self.forked() {
            return Err(fail(codes::FORKED, "this client was created in another process (before a fork)"));
        }
        Ok(())
    }

    /// `FORKED` or `CLOSED` (recorded as the last error) when the client cannot be used.
    pub(crate) fn usable(&self) -> Result<&Handle, zkrs_rc> {
        self.not_forked()?;
        if self.closed.load(Ordering::Acquire) {
            return Err(fail(codes::CLOSED, "the client was closed (zkrs_client_close)"));
        }
        Ok(self)
    }

    fn remove_listeners(&self) {
        let ids = std::mem::take(&mut *self.listeners.lock());
        for id in ids {
            self.client.remove_state_listener(id);
        }
    }
}

/// The client behind `c` for an operation: `NULL_ARGUMENT`, `FORKED` or `CLOSED` otherwise.
pub(crate) unsafe fn client_arg<'a>(c: *const zkrs_client) -> Result<&'a zkrs_client, zkrs_rc> {
    let c = ref_arg(c, "c")?;
    c.usable()?;
    Ok(c)
}

/// Creates a client from a copy of `cfg` in `*out`. It does not connect until `zkrs_client_start`.
/// Release it with `zkrs_client_free`. A bad connect string is `ZKRS_RC_BAD_ARGUMENTS` or
/// `ZKRS_RC_INVALID_PATH` (chroot).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_new(cfg: *const zkrs_config, out: *mut *mut zkrs_client) -> zkrs_rc {
    ffi_guard! {
        let cfg = try_arg!(ref_arg(cfg, "cfg"));
        let out = try_arg!(out_arg(out, "out"));
        finish(Client::new(cfg.config.clone()), |client| {
            let handle = Arc::new(Handle {
                client,
                closed: AtomicBool::new(false),
                pid: process_id(),
                listeners: Mutex::new(Vec::new()),
            });
            *out = Box::into_raw(Box::new(zkrs_client { handle }));
        })
    }
}

/// Starts the client's threads (the I/O thread, and the event thread unless `dispatch=poll`) and waits
/// up to `timeout_ms` (-1: no limit; 0: do not wait) until it is connected. On `ZKRS_RC_TIMEOUT` the
/// client keeps connecting in the background. Calling it again only waits.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_start(c: *mut zkrs_client, timeout_ms: i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        code_of(c.client.start(try_arg!(wait_duration(timeout_ms))))
    }
}

/// Closes the session (the server deletes its ephemeral nodes), completes every pending async call
/// with `ZKRS_RC_CLOSING`, ends every watch with `ZKRS_EVENT_CLIENT_CLOSED`, and returns once no callback
/// of this client will run again. Works from inside a callback of this client (it does not wait for the
/// running callback). The handle stays valid: later calls return `ZKRS_RC_CLOSED`; closing again is OK.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_close(c: *mut zkrs_client) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        if c.forked() {
            return fail(codes::FORKED, "this client was created in another process (before a fork)");
        }
        c.closed.store(true, Ordering::Release);
        let r = c.client.close();
        c.remove_listeners();
        code_of(r)
    }
}

/// Releases the client, closing it first if needed (see `zkrs_client_close`). NULL does nothing. It may
/// be called from a callback of this client, which must then not use the client any more. In a forked
/// child it touches nothing of the parent's threads and sockets (the memory stays allocated there).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_free(c: *mut zkrs_client) {
    ffi_guard! {
        if c.is_null() {
            return;
        }
        let c = Box::from_raw(c);
        if c.forked() {
            // The threads belong to the parent; dropping the client would try to join them.
            std::mem::forget(c);
            return;
        }
        c.closed.store(true, Ordering::Release);
        let _ = c.client.close();
        c.remove_listeners();
        drop(c);
    }
}

/// The server-level state (`ZKRS_STATE_*`) in `*state_out`. Works after close (`ZKRS_STATE_CLOSED`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_state(c: *const zkrs_client, state_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let out = try_arg!(out_arg(state_out, "state_out"));
        *out = c.client.state() as i32;
        codes::OK
    }
}

/// kazoo's state (`ZKRS_KAZOO_STATE_*`) in `*state_out`. Works after close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_kazoo_state(c: *const zkrs_client, state_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let out = try_arg!(out_arg(state_out, "state_out"));
        *out = c.client.kazoo_state() as i32;
        codes::OK
    }
}

/// The session id in `*session_id_out` (0 before the first session). Works after close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_session_id(c: *const zkrs_client, session_id_out: *mut i64) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let out = try_arg!(out_arg(session_id_out, "session_id_out"));
        *out = c.client.session_id();
        codes::OK
    }
}

/// The session timeout the server granted, in ms, in `*timeout_ms_out` (0 before the first connection).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_negotiated_timeout(c: *const zkrs_client, timeout_ms_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let out = try_arg!(out_arg(timeout_ms_out, "timeout_ms_out"));
        *out = c.client.negotiated_timeout_ms();
        codes::OK
    }
}

/// The session id and password in `*session_id_out` and a new `*password_out` (released with
/// `zkrs_buf_free`), to resume this session in another process, e.g. with the config key `client_id`
/// (see `zkrs_client_id_string`). Before the first session the id is 0 and the password empty. Works
/// after close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_id(
    c: *const zkrs_client,
    session_id_out: *mut i64,
    password_out: *mut *mut zkrs_buf,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let id_out = try_arg!(out_arg(session_id_out, "session_id_out"));
        let pw_out = try_arg!(out_arg(password_out, "password_out"));
        let (id, password) = c.client.client_id();
        *id_out = id;
        *pw_out = zkrs_buf::boxed(password);
        codes::OK
    }
}

/// The session as the text the config key `client_id` takes (`SESSIONID_HEX:PASSWORD_HEX`), in a new
/// NUL-terminated `*out` (released with `zkrs_buf_free`): another process sets it as `client_id` to
/// resume the session. `ZKRS_RC_NOT_CONNECTED` before the first session. Works after close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_id_string(c: *const zkrs_client, out: *mut *mut zkrs_buf) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(ref_arg(c, "c"));
        let out = try_arg!(out_arg(out, "out"));
        let (id, password) = c.client.client_id();
        if id == 0 {
            return fail(codes::NOT_CONNECTED, "no session yet: the client has not connected");
        }
        let hex: String = password.iter().map(|b| format!("{b:02x}")).collect();
        *out = zkrs_buf::boxed(format!("{:x}:{hex}", id as u64).into_bytes());
        codes::OK
    }
}

/// The server the client is connected to (or was last), as `host:port`, in a new NUL-terminated
/// `*out` (released with `zkrs_buf_free`). `ZKRS_RC_NOT_CONNECTED` if it never connected.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_current_server(c: *const zkrs_client, out: *mut *mut zkrs_buf) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(out, "out"));
        match c.client.current_server() {
            Some(s) => {
                *out = zkrs_buf::boxed(s.into_bytes());
                codes::OK
            }
            None => fail(codes::NOT_CONNECTED, "the client has not connected to any server yet"),
        }
    }
}

/// Replaces the servers used from the next connection on (`host:port[,host:port...][/chroot]`); the
/// current connection is kept. The chroot cannot change (`ZKRS_RC_BAD_ARGUMENTS`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_set_hosts(c: *mut zkrs_client, hosts: *const c_char) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let hosts = try_arg!(str_arg(hosts, "hosts"));
        code_of(c.client.set_hosts(hosts))
    }
}

/// Sends the four-letter word `cmd` (`"ruok"`, `"srvr"`, `"stat"`, `"envi"`, `"mntr"`, ...) to the
/// server the client is connected to, over a separate short connection, and returns the reply in a
/// new NUL-terminated `*reply_out` (released with `zkrs_buf_free`). Blocks for at most the session
/// timeout (10 s at most). The server must allow the word (`4lw.commands.whitelist`); otherwise the
/// reply says so or the connection is closed (`ZKRS_RC_CONNECTION_LOSS`). `ZKRS_RC_BAD_ARGUMENTS` if
/// `cmd` is not four lower-case letters.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_command(
    c: *mut zkrs_client,
    cmd: *const c_char,
    reply_out: *mut *mut zkrs_buf,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let cmd = try_arg!(str_arg(cmd, "cmd"));
        let out = try_arg!(out_arg(reply_out, "reply_out"));
        finish(c.client.command(cmd), |reply| {
            *out = zkrs_buf::boxed(reply.into_bytes());
        })
    }
}

/// The version of the server the client is connected to (`"3.8.4"`), in a new NUL-terminated
/// `*version_out` (released with `zkrs_buf_free`). Uses the `envi` four-letter word (see
/// `zkrs_client_command`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_server_version(c: *mut zkrs_client, version_out: *mut *mut zkrs_buf) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(version_out, "version_out"));
        finish(c.client.server_version(), |v| {
            *out = zkrs_buf::boxed(v.into_bytes());
        })
    }
}

/// In poll mode (config `dispatch=poll`): runs the callbacks that are waiting, on the calling thread,
/// waiting up to `timeout_ms` (-1: no limit, 0: do not wait) for the first one. `*served_out` (may be
/// NULL) receives how many ran. Callbacks run one at a time even if several threads call this.
/// `ZKRS_RC_BAD_ARGUMENTS` in thread mode; `ZKRS_RC_CLOSED` after close.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_dispatch(c: *mut zkrs_client, timeout_ms: i32, served_out: *mut usize) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        finish(c.client.dispatch(try_arg!(wait_duration(timeout_ms))), |n| {
            if !served_out.is_null() {
                *served_out = n;
            }
        })
    }
}

/// In poll mode: an eventfd in `*fd_out` that is readable while callbacks wait for
/// `zkrs_client_dispatch` (poll it for POLLIN; `zkrs_client_dispatch` resets it). The descriptor belongs
/// to the client: do not close or read it. `ZKRS_RC_BAD_ARGUMENTS` in thread mode.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_event_fd(c: *const zkrs_client, fd_out: *mut i32) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(fd_out, "fd_out"));
        match c.client.event_fd() {
            Some(fd) => {
                *out = fd;
                codes::OK
            }
            None => fail(codes::BAD_ARGUMENTS, "the client has no event fd: it needs the config dispatch=poll"),
        }
    }
}

/// A state change, passed to a `zkrs_state_fn`. Borrowed: valid only during the callback.
#[repr(C)]
pub struct zkrs_state_event {
    /// The new server-level state, `ZKRS_STATE_*`.
    pub state: i32,
    /// kazoo's state now, `ZKRS_KAZOO_STATE_*`.
    pub kazoo_state: i32,
    /// kazoo's state before; kazoo's listeners would only be called when it differs from `kazoo_state`.
    pub previous_kazoo_state: i32,
}

/// A state listener. Runs on the client's event thread (or inside `zkrs_client_dispatch`), never on the
/// I/O thread. `event` is borrowed.
pub type zkrs_state_fn = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const zkrs_state_event)>;

struct ListenerCtx {
    f: unsafe extern "C" fn(*mut c_void, *const zkrs_state_event),
    ud: UserData,
    free: zkrs_free_fn,
}

impl ListenerCtx {
    fn call(&self, e: &zkrs_state_event) {
        // SAFETY: a C callback given for this userdata; the event outlives the call.
        unsafe { (self.f)(self.ud.0, e) }
    }
}

impl Drop for ListenerCtx {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller gave this function for this userdata.
            unsafe { free(self.ud.0) }
        }
    }
}

/// Calls `fn` on every state change of the client that happens after this call (a listener added
/// after `zkrs_client_start` returned is not told of that start's CONNECTED), with `userdata`; `*listener_id_out` (may be NULL)
/// receives an id for `zkrs_client_remove_state_listener`. `free_userdata` (may be NULL) is called exactly
/// once, after the last call of `fn`: when the listener is removed, or when the client is closed or
/// freed. If this function returns an error, `free_userdata` has already been called.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_add_state_listener(
    c: *mut zkrs_client,
    r#fn: zkrs_state_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
    listener_id_out: *mut u64,
) -> zkrs_rc {
    ffi_guard! {
        let Some(f) = r#fn else {
            if let Some(free) = free_userdata {
                free(userdata);
            }
            return fail(codes::NULL_ARGUMENT, "argument `fn` is NULL");
        };
        let ctx = ListenerCtx { f, ud: UserData(userdata), free: free_userdata };
        let c = try_arg!(client_arg(c));
        let mut ids = c.listeners.lock();
        let id = c.client.add_state_listener(move |ev: &StateEvent| {
            let e = zkrs_state_event {
                state: ev.state as i32,
                kazoo_state: ev.kazoo_state as i32,
                previous_kazoo_state: ev.previous_kazoo_state as i32,
            };
            ctx.call(&e)
        });
        ids.push(id);
        if !listener_id_out.is_null() {
            *listener_id_out = id.0;
        }
        codes::OK
    }
}

/// Removes a state listener added by `zkrs_client_add_state_listener`; its `free_userdata` runs after
/// its last call (at once, or when a call running on the event thread returns).
/// `ZKRS_RC_BAD_ARGUMENTS` if no such listener is registered.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_remove_state_listener(c: *mut zkrs_client, listener_id: u64) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let mut ids = c.listeners.lock();
        let Some(pos) = ids.iter().position(|i| i.0 == listener_id) else {
            return fail(codes::BAD_ARGUMENTS, &format!("no state listener with id {listener_id}"));
        };
        ids.remove(pos);
        drop(ids);
        c.client.remove_state_listener(ListenerId(listener_id));
        codes::OK
    }
}
