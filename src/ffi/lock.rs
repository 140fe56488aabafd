//! Locks in C: `zkrs_lock` (kazoo's Lock, ReadLock and WriteLock on the same znodes), and the
//! lost-callback registration shared with `zkrs_semaphore` and `zkrs_election`.
//!
//! Blocking calls take `timeout_ms`: -1 waits without limit, 0 tries once without waiting, more waits
//! up to that long. They wait for watches of the client, so in poll mode (`dispatch=poll`) another
//! thread must call `zkrs_client_dispatch` meanwhile; called inside a callback of the same client they
//! fail with `ZKRS_RC_WOULD_DEADLOCK`.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::error::zkrs_rc;
use super::timeout::wait_arg;
use super::watch::zkrs_free_fn;
use super::{fail, fail_with, finish, live_arg, out_arg, ref_arg, str_arg, UserData};
use crate::error::{codes, Error};
use crate::recipe::lock::{Lock, LockKind, LostListener};
use parking_lot::ReentrantMutex;
use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// `zkrs_lock_new` kind: kazoo's `Lock`, one holder at a time.
pub const ZKRS_LOCK_EXCLUSIVE: i32 = 0;
/// `zkrs_lock_new` kind: kazoo's `ReadLock`, shared by readers, excluded by writers.
pub const ZKRS_LOCK_READ: i32 = 1;
/// `zkrs_lock_new` kind: kazoo's `WriteLock`, excludes readers and writers.
pub const ZKRS_LOCK_WRITE: i32 = 2;

/// Told that a held lock, lease or leadership was lost (the session ended, or the holder's node was
/// deleted by someone else). Runs on the client's event thread (or inside `zkrs_client_dispatch` in
/// poll mode), at most once per loss.
pub type zkrs_lost_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A distributed lock (kazoo-compatible). Created by `zkrs_lock_new`, released by `zkrs_lock_free`.
/// `zkrs_lock_cancel`, `zkrs_lock_is_held` and `zkrs_lock_contenders` may be called from another
/// thread while one thread is in `zkrs_lock_acquire`; `zkrs_lock_free` must not race with any call.
pub struct zkrs_lock {
    handle: Arc<Handle>,
    lock: Option<Lock>,
    lost: Arc<LostGate>,
}

#[derive(Clone, Copy, Default)]
struct GateState {
    callback: Option<(unsafe extern "C" fn(*mut c_void), UserData, zkrs_free_fn)>,
    running: bool,
    /// The free_userdata of a callback replaced while it ran, to call once it returns.
    pending_free: Option<(unsafe extern "C" fn(*mut c_void), UserData)>,
}

/// A C lost-callback with the guarantees of the header: free_userdata exactly once after the last
/// call, and no call once the object is freed (the gate is held while the callback runs, re-entrantly
/// so the callback may replace itself or free its object).
#[derive(Default)]
pub(crate) struct LostGate {
    state: ReentrantMutex<Cell<GateState>>,
}

// SAFETY: the Cell is only touched with the re-entrant mutex held, i.e. from one thread at a time; the
// userdata inside is promised by the header to be usable from the client's threads.
unsafe impl Sync for LostGate {}
unsafe impl Send for LostGate {}

impl LostGate {
    /// A new gate whose listener `attach` hands to the recipe object.
    pub(crate) fn attached(attach: impl FnOnce(LostListener)) -> Arc<LostGate> {
        let gate = Arc::new(LostGate::default());
        attach(gate.listener());
        gate
    }

    /// The Rust listener that forwards to whatever C callback the gate holds.
    pub(crate) fn listener(self: &Arc<Self>) -> LostListener {
        let gate = self.clone();
        Arc::new(move || gate.call())
    }

    fn call(&self) {
        let guard = self.state.lock();
        let mut s = guard.get();
        let Some((f, ud, _)) = s.callback else {
            return;
        };
        s.running = true;
        guard.set(s);
        // SAFETY: a C function pointer and its userdata as registered.
        unsafe { f(ud.0) };
        let mut s = guard.get();
        s.running = false;
        let pending = s.pending_free.take();
        guard.set(s);
        if let Some((free, ud)) = pending {
            // SAFETY: the free function registered with that userdata, called once.
            unsafe { free(ud.0) };
        }
    }

    /// Replaces the callback; the old one's free_userdata runs now, or after its running call returns.
    pub(crate) fn set(&self, callback: Option<(unsafe extern "C" fn(*mut c_void), UserData, zkrs_free_fn)>) {
        let guard = self.state.lock();
        let mut s = guard.get();
        let old = std::mem::replace(&mut s.callback, callback);
        let free_now = match old {
            Some((_, ud, Some(free))) if s.running => {
                s.pending_free = Some((free, ud));
                None
            }
            Some((_, ud, Some(free))) => Some((free, ud)),
            _ => None,
        };
        guard.set(s);
        if let Some((free, ud)) = free_now {
            // SAFETY: as registered, once.
            unsafe { free(ud.0) };
        }
    }
}

/// The code of a blocking acquire: OK when acquired, TIMEOUT when not (within the time, or at once).
pub(crate) fn acquired_code(r: Result<bool, Error>, what: &str) -> zkrs_rc {
    match r {
        Ok(true) => codes::OK,
        Ok(false) => fail(codes::TIMEOUT, &format!("{what} is held by others (tried once)")),
        Err(e) => fail_with(&e),
    }
}

/// A C string list from identifiers.
pub(crate) unsafe fn write_list(r: Result<Vec<String>, Error>, out: *mut *mut zkrs_string_list) -> zkrs_rc {
    match r {
        Ok(items) => {
            let list = try_arg!(zkrs_string_list::new(items));
            *out = Box::into_raw(Box::new(list));
            codes::OK
        }
        Err(e) => fail_with(&e),
    }
}

/// An optional identifier (NULL = empty, as kazoo's `None`).
pub(crate) unsafe fn identifier_arg<'a>(p: *const c_char) -> Result<&'a str, zkrs_rc> {
    if p.is_null() {
        Ok("")
    } else {
        str_arg(p, "identifier")
    }
}

/// Registers a lost callback (`callback` NULL clears) on the gate of a usable object; when the object
/// is not usable, `free_userdata` runs now, since nothing else ever will call it.
pub(crate) unsafe fn set_lost_callback(
    gate: Result<&LostGate, zkrs_rc>,
    callback: zkrs_lost_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    match gate {
        Ok(gate) => {
            gate.set(callback.map(|f| (f, UserData(userdata), free_userdata)));
            codes::OK
        }
        Err(rc) => {
            if let Some(free) = free_userdata {
                free(userdata);
            }
            rc
        }
    }
}

/// Frees a recipe object's core: in a forked child it only forgets it (touches nothing the parent
/// owns); otherwise the lost callback is cleared first, so none runs once the free returns.
pub(crate) fn free_recipe<R>(handle: &Handle, recipe: Option<R>, lost: &LostGate) {
    if handle.not_forked().is_err() {
        std::mem::forget(recipe);
        return;
    }
    lost.set(None);
    drop(recipe);
}

/// The code of a release; `*released_out` (may be NULL) receives whether something was held.
pub(crate) unsafe fn released_code(r: Result<bool, Error>, released_out: *mut bool) -> zkrs_rc {
    finish(r, |released| {
        if !released_out.is_null() {
            *released_out = released;
        }
    })
}

unsafe fn lock_arg<'a>(l: *const zkrs_lock) -> Result<&'a Lock, zkrs_rc> {
    let l = live_arg(l, "lock", |l| &l.handle)?;
    Ok(l.lock.as_ref().expect("present until free"))
}

/// Creates a lock on `path` for client `c` in `*out`: `kind` is `ZKRS_LOCK_EXCLUSIVE`, `ZKRS_LOCK_READ`
/// or `ZKRS_LOCK_WRITE`; `identifier` (NULL: empty) is stored in the contender node, as kazoo does.
/// Nothing is sent to the server yet. The lock keeps the client's memory alive (not its session):
/// free the lock before or after the client, but use it only while the client is open.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_new(
    c: *mut zkrs_client,
    path: *const c_char,
    identifier: *const c_char,
    kind: i32,
    out: *mut *mut zkrs_lock,
) -> zkrs_rc {
    zkrs_lock_new_with_patterns(c, path, identifier, kind, std::ptr::null(), 0, out)
}

/// As `zkrs_lock_new`, with kazoo's `extra_lock_patterns`: `n_patterns` further name markers of
/// contenders to wait for (e.g. `"-lock-"` for Curator's `_c_<uuid>-lock-<seq>` nodes).
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_new_with_patterns(
    c: *mut zkrs_client,
    path: *const c_char,
    identifier: *const c_char,
    kind: i32,
    patterns: *const *const c_char,
    n_patterns: usize,
    out: *mut *mut zkrs_lock,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let identifier = try_arg!(identifier_arg(identifier));
        let out = try_arg!(out_arg(out, "out"));
        let kind = match kind {
            ZKRS_LOCK_EXCLUSIVE => LockKind::Exclusive,
            ZKRS_LOCK_READ => LockKind::Read,
            ZKRS_LOCK_WRITE => LockKind::Write,
            k => return fail(codes::BAD_ARGUMENTS, &format!("unknown lock kind {k}")),
        };
        let mut extra = Vec::with_capacity(n_patterns);
        if n_patterns > 0 {
            let items = try_arg!(ref_arg(patterns, "patterns"));
            for i in 0..n_patterns {
                extra.push(try_arg!(str_arg(*(items as *const *const c_char).add(i), "patterns[i]")));
            }
        }
        finish(Lock::with_options(&c.client, path, identifier, kind, &extra), |lock| {
            let lost = LostGate::attached(|listener| lock.set_lost_listener(Some(listener)));
            *out = Box::into_raw(Box::new(zkrs_lock { handle: c.share(), lock: Some(lock), lost }));
        })
    }
}

/// Acquires the lock, waiting up to `timeout_ms` (-1: no limit; 0: try once). `ZKRS_RC_OK` when held;
/// `ZKRS_RC_TIMEOUT` when not acquired in time (or, with 0, held by others); `ZKRS_RC_CANCELLED` after
/// `zkrs_lock_cancel`; `ZKRS_RC_SESSION_EXPIRED` when the session is lost meanwhile;
/// `ZKRS_RC_CLOSED`/`ZKRS_RC_CLOSING` when the client closes; `ZKRS_RC_BAD_ARGUMENTS` when this lock
/// is already held (locks are not re-entrant). Whatever the failure, no contender node is left behind.
/// `ephemeral` false makes the contender persistent (it outlives the session; kazoo's option).
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_acquire(lock: *mut zkrs_lock, timeout_ms: i32, ephemeral: bool) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(lock_arg(lock));
        let (blocking, timeout) = try_arg!(wait_arg(timeout_ms));
        acquired_code(l.acquire(blocking, timeout, ephemeral), &format!("lock {}", l.path()))
    }
}

/// Releases the lock (deletes its contender node, retrying through connection loss). `*released_out`
/// (may be NULL) is true if this lock was held and not lost; releasing a lock not held is OK.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_release(lock: *mut zkrs_lock, released_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(lock_arg(lock));
        released_code(l.release(), released_out)
    }
}

/// Makes a `zkrs_lock_acquire` in progress on another thread return `ZKRS_RC_CANCELLED`. An acquire
/// that starts later is not affected.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_cancel(lock: *mut zkrs_lock) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(lock_arg(lock));
        l.cancel();
        codes::OK
    }
}

/// Whether this lock is held now: false before acquire, after release, and once it is lost (session
/// ended, or its node deleted by someone else). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_is_held(lock: *const zkrs_lock) -> bool {
    ffi_guard! {
        match lock.as_ref() {
            Some(l) if l.handle.usable().is_ok() => l.lock.as_ref().is_some_and(Lock::is_acquired),
            _ => false,
        }
    }
}

/// The contenders' identifiers in queue order in `*out` (for exclusive and write locks the first
/// holds the lock); free it with `zkrs_string_list_free`. Empty if the lock node does not exist.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_contenders(lock: *mut zkrs_lock, out: *mut *mut zkrs_string_list) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(lock_arg(lock));
        let out = try_arg!(out_arg(out, "out"));
        write_list(l.contenders(), out)
    }
}

/// Sets the function told when the held lock is lost (`fn` NULL: none). It runs on the client's event
/// thread (or inside `zkrs_client_dispatch`), at most once per loss, never after `zkrs_lock_free`
/// returns. The previous registration's `free_userdata` (may be NULL) runs now, or right after its
/// running call; the last one's when the lock is freed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_set_lost_callback(
    lock: *mut zkrs_lock,
    callback: zkrs_lost_fn,
    userdata: *mut c_void,
    free_userdata: zkrs_free_fn,
) -> zkrs_rc {
    ffi_guard! {
        let gate = live_arg(lock, "lock", |l| &l.handle).map(|l| &*l.lost);
        set_lost_callback(gate, callback, userdata, free_userdata)
    }
}

/// Releases the lock object; a held lock is released first (its node deleted in the background).
/// NULL does nothing. When it returns, the lost callback does not run again and its free_userdata has
/// run. In a forked child it only gives up the memory's ownership and touches nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_lock_free(lock: *mut zkrs_lock) {
    ffi_guard! {
        if lock.is_null() {
            return;
        }
        let mut l = Box::from_raw(lock);
        free_recipe(&l.handle, l.lock.take(), &l.lost);
    }
}
