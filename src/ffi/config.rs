//! `zkrs_config`: client settings by string keys.

use super::{finish, out_arg, str_arg, zkrs_rc};
use crate::config::Config;
use crate::error::codes;
use std::ffi::c_char;

/// Client settings, set by string keys with `zkrs_config_set`. A single-threaded builder: not safe for
/// concurrent mutation. `zkrs_client_new` copies it, so it can be freed or reused right after.
pub struct zkrs_config {
    pub(crate) config: Config,
}

/// Creates a configuration with every setting at its default (hosts `127.0.0.1:2181`) in `*out`.
/// Release it with `zkrs_config_free`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_config_new(out: *mut *mut zkrs_config) -> zkrs_rc {
    ffi_guard! {
        let out = try_arg!(out_arg(out, "out"));
        *out = Box::into_raw(Box::new(zkrs_config { config: Config::default() }));
        codes::OK
    }
}

/// Sets one setting. Keys: `hosts` (`host:port[,host:port...][/chroot]`), `session_timeout_ms`,
/// `connect_timeout_ms`, `read_only`, `randomize_hosts`, `auth` (`scheme:credentials`, may be repeated),
/// `max_queued_requests`, `request_timeout_ms` (how long a request made while disconnected waits for a
/// connection before it fails with `ZKRS_RC_CONNECTION_LOSS`; default the session timeout, 0 = no
/// limit; checked between connection attempts, so up to `connect_timeout_ms` late while one hangs), `jute_maxbuffer`, `dispatch` (`thread` | `poll`), `log_level` (`error`,
/// `warn`, `info`, `debug`, `trace`), `client_id` (`SESSIONID_HEX:PASSWORD_HEX`), `retry.*` (the
/// connection retry policy: `retry.max_tries`, `retry.delay_ms`, ...).
/// An unknown key is `ZKRS_RC_UNKNOWN_CONFIG_KEY`, a bad value `ZKRS_RC_INVALID_CONFIG_VALUE`; the
/// reason is in `zkrs_last_error_message()`, and the configuration is unchanged.
#[no_mangle]
pub unsafe extern "C" fn zkrs_config_set(cfg: *mut zkrs_config, key: *const c_char, value: *const c_char) -> zkrs_rc {
    ffi_guard! {
        let cfg = try_arg!(cfg.as_mut().ok_or_else(|| super::fail(codes::NULL_ARGUMENT, "argument `cfg` is NULL")));
        let key = try_arg!(str_arg(key, "key"));
        let value = try_arg!(str_arg(value, "value"));
        let mut next = cfg.config.clone();
        finish(next.set(key, value), |()| {
            cfg.config = next;
        })
    }
}

/// Releases a configuration. NULL does nothing. Clients created from it are not affected.
#[no_mangle]
pub unsafe extern "C" fn zkrs_config_free(cfg: *mut zkrs_config) {
    ffi_guard! {
        if !cfg.is_null() {
            drop(Box::from_raw(cfg));
        }
    }
}
