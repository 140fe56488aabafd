//! Calls about the session and the ensemble rather than a node: whoami (`zkrs_client_info_list`),
//! get_config and reconfig.

use super::buf::zkrs_buf;
use super::client::{client_arg, zkrs_client};
use super::future::{make_future, zkrs_future, Value};
use super::ops::zkrs_data_fn;
use super::stat::{write_stat, zkrs_stat};
use super::watch::{watcher_arg, zkrs_watcher};
use super::{code_of, fail, fail_with, finish, out_arg, ref_arg, str_arg, to_cstring, zkrs_rc, UserData, EMPTY};
use crate::error::{codes, Error, Result};
use crate::ops::ClientInfo;
use crate::stat::Stat;
use std::ffi::{c_char, c_void, CString};
use std::ptr;

/// Who the server thinks this session is (`zkrs_client_whoami`): entries of (scheme, user), e.g.
/// `("ip", "127.0.0.1")`, `("digest", "alice")`. Owned by the caller when returned through an
/// out-parameter (release with `zkrs_client_info_list_free`); borrowed in a callback.
#[derive(Clone)]
pub struct zkrs_client_info_list {
    entries: Vec<(CString, CString)>,
}

impl zkrs_client_info_list {
    fn new(infos: Vec<ClientInfo>) -> zkrs_client_info_list {
        zkrs_client_info_list {
            entries: infos.into_iter().map(|i| (to_cstring(&i.auth_scheme), to_cstring(&i.user))).collect(),
        }
    }
}

/// The number of entries (0 if `l` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_info_list_len(l: *const zkrs_client_info_list) -> usize {
    ffi_guard! { l.as_ref().map_or(0, |l| l.entries.len()) }
}

/// Entry `i`: its authentication scheme and user, borrowed from the list. Either out-parameter may be
/// NULL. `ZKRS_RC_BAD_ARGUMENTS` if `i` is out of range.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_info_list_get(
    l: *const zkrs_client_info_list,
    i: usize,
    scheme_out: *mut *const c_char,
    user_out: *mut *const c_char,
) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(ref_arg(l, "l"));
        let Some((scheme, user)) = l.entries.get(i) else {
            return fail_with(&Error::BadArguments(format!("index {i} out of range (length {})", l.entries.len())));
        };
        if !scheme_out.is_null() {
            *scheme_out = scheme.as_ptr();
        }
        if !user_out.is_null() {
            *user_out = user.as_ptr();
        }
        codes::OK
    }
}

/// Releases a list the caller owns. NULL does nothing. Never call it on a list passed to a callback.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_info_list_free(l: *mut zkrs_client_info_list) {
    ffi_guard! {
        if !l.is_null() {
            drop(Box::from_raw(l));
        }
    }
}

/// Who the server thinks this session is (ZooKeeper 3.7+), in a new `*infos_out` (release with
/// `zkrs_client_info_list_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_whoami(
    c: *mut zkrs_client,
    infos_out: *mut *mut zkrs_client_info_list,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(infos_out, "infos_out"));
        finish(c.client.whoami(), |infos| {
            *out = Box::into_raw(Box::new(zkrs_client_info_list::new(infos)));
        })
    }
}

/// Completion of `zkrs_client_whoami_async`: the list (NULL on failure), borrowed: valid only during the
/// call; do not free it.
pub type zkrs_client_info_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        rc: zkrs_rc,
        detail: *const c_char,
        infos: *const zkrs_client_info_list,
    ),
>;

/// Async `zkrs_client_whoami`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs exactly
/// once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the error (also
/// `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error, `cb` never
/// runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_whoami_async(
    c: *mut zkrs_client,
    cb: zkrs_client_info_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        code_of(c.client.whoami_async(move |r| {
            let ud = ud;
            match r {
                Ok(infos) => cb(ud.0, codes::OK, EMPTY.as_ptr(), &zkrs_client_info_list::new(infos)),
                Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr(), ptr::null()),
            }
        }))
    }
}

/// `zkrs_client_whoami_async` returning a future in `*out`; read it with `zkrs_future_get_client_info`.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_whoami_future(c: *mut zkrs_client, out: *mut *mut zkrs_future) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.whoami_async(move |r| done(r.map(|i| Value::ClientInfo(zkrs_client_info_list::new(i)))))
        })
    }
}

/// Calls a `zkrs_data_fn` with a (data, stat) result.
unsafe fn data_result(
    cb: unsafe extern "C" fn(*mut c_void, zkrs_rc, *const c_char, *const u8, usize, *const zkrs_stat),
    ud: UserData,
    r: Result<(Vec<u8>, Stat)>,
) {
    match r {
        Ok((data, stat)) => {
            let s = zkrs_stat::from(&stat);
            cb(ud.0, codes::OK, EMPTY.as_ptr(), data.as_ptr(), data.len(), &s)
        }
        Err(e) => cb(ud.0, e.code(), to_cstring(&e.to_string()).as_ptr(), ptr::null(), 0, ptr::null()),
    }
}

/// The ensemble's dynamic configuration (the data of `/zookeeper/config`, lines like
/// `server.1=host:2888:3888:participant;0.0.0.0:2181` and `version=...`) in a new `*data_out` (release
/// with `zkrs_buf_free`; NUL-terminated) and its stat in `*stat_out` (may be NULL). `watch` (may be
/// NULL) fires when the configuration changes.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_config(
    c: *mut zkrs_client,
    watch: *const zkrs_watcher,
    data_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        finish(c.client.get_config(watch.map(|w| w.into_watcher())), |(data, stat)| {
            *data_out = zkrs_buf::boxed(data);
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_get_config`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_config_async(
    c: *mut zkrs_client,
    watch: *const zkrs_watcher,
    cb: zkrs_data_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        code_of(c.client.get_config_async(watch.map(|w| w.into_watcher()), move |r| {
            let ud = ud;
            data_result(cb, ud, r)
        }))
    }
}

/// `zkrs_client_get_config_async` returning a future in `*out`; read it with `zkrs_future_get_data`.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_get_config_future(
    c: *mut zkrs_client,
    watch: *const zkrs_watcher,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let watch = try_arg!(watcher_arg(watch));
        let c = try_arg!(client_arg(c));
        let out = try_arg!(out_arg(out, "out"));
        let w = watch.map(|w| w.into_watcher());
        make_future(c.share(), out, |done| {
            c.client.get_config_async(w, move |r| done(r.map(|(d, s)| Value::Data(d, s))))
        })
    }
}

/// The three optional member lists of a reconfig.
type Members<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

unsafe fn members<'a>(
    joining: *const c_char,
    leaving: *const c_char,
    new_members: *const c_char,
) -> std::result::Result<Members<'a>, zkrs_rc> {
    let opt = |p: *const c_char, name: &str| if p.is_null() { Ok(None) } else { str_arg(p, name).map(Some) };
    let m = (opt(joining, "joining")?, opt(leaving, "leaving")?, opt(new_members, "new_members")?);
    if m.2.is_some() && (m.0.is_some() || m.1.is_some()) {
        return Err(fail_with(&Error::BadArguments(
            "a reconfig is incremental (joining/leaving) or bulk (new_members), not both".into(),
        )));
    }
    Ok(m)
}

/// Changes the ensemble's membership (ZooKeeper 3.5+, with `reconfigEnabled`): incrementally with
/// `joining` (`server.4=host:2888:3888;2181,...`) and/or `leaving` (`"4,5"`), or in bulk with
/// `new_members`; unused ones are NULL. `from_config` is the expected config version (-1: any). On
/// success the new configuration is in a new `*data_out` (release with `zkrs_buf_free`) and its stat
/// in `*stat_out` (may be NULL). Errors: `ZKRS_RC_RECONFIG_DISABLED`, `ZKRS_RC_NEW_CONFIG_NO_QUORUM`,
/// `ZKRS_RC_RECONFIG_IN_PROGRESS`, `ZKRS_RC_BAD_VERSION`, `ZKRS_RC_NO_AUTH`, ...
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_reconfig(
    c: *mut zkrs_client,
    joining: *const c_char,
    leaving: *const c_char,
    new_members: *const c_char,
    from_config: i64,
    data_out: *mut *mut zkrs_buf,
    stat_out: *mut zkrs_stat,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let (j, l, n) = try_arg!(members(joining, leaving, new_members));
        let data_out = try_arg!(out_arg(data_out, "data_out"));
        finish(c.client.reconfig(j, l, n, from_config), |(data, stat)| {
            *data_out = zkrs_buf::boxed(data);
            write_stat(stat_out, &stat);
        })
    }
}

/// Async `zkrs_client_reconfig`: returns at once. If it returned `ZKRS_RC_OK`, `cb(userdata, ...)` runs
/// exactly once, on the client's event thread (or inside `zkrs_client_dispatch`), with the result or the
/// error (also `ZKRS_RC_CLOSING` at close); its arguments are borrowed for the call. If it returned an error,
/// `cb` never runs.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_reconfig_async(
    c: *mut zkrs_client,
    joining: *const c_char,
    leaving: *const c_char,
    new_members: *const c_char,
    from_config: i64,
    cb: zkrs_data_fn,
    userdata: *mut c_void,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let (j, l, n) = try_arg!(members(joining, leaving, new_members));
        let Some(cb) = cb else { return fail(codes::NULL_ARGUMENT, "argument `cb` is NULL") };
        let ud = UserData(userdata);
        code_of(c.client.reconfig_async(j, l, n, from_config, move |r| {
            let ud = ud;
            data_result(cb, ud, r)
        }))
    }
}

/// `zkrs_client_reconfig_async` returning a future in `*out`; read it with `zkrs_future_get_data`.
/// The new future in `*out` belongs to the caller (release it with `zkrs_future_free`). On error nothing
/// is sent and `*out` is not written.
#[no_mangle]
pub unsafe extern "C" fn zkrs_client_reconfig_future(
    c: *mut zkrs_client,
    joining: *const c_char,
    leaving: *const c_char,
    new_members: *const c_char,
    from_config: i64,
    out: *mut *mut zkrs_future,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let (j, l, n) = try_arg!(members(joining, leaving, new_members));
        let out = try_arg!(out_arg(out, "out"));
        make_future(c.share(), out, |done| {
            c.client.reconfig_async(j, l, n, from_config, move |r| done(r.map(|(d, s)| Value::Data(d, s))))
        })
    }
}
