//! `zkrs_acl_list`: access control lists built by the caller (for create and set_acl) or returned by
//! get_acl.

use super::{fail_with, out_arg, ref_arg, str_arg, to_cstring, zkrs_rc};
use crate::acl::Acl;
use crate::error::{codes, Error};
use std::ffi::{c_char, CString};

/// Permission to read a node's data and list its children.
pub const ZKRS_PERM_READ: i32 = 1;
/// Permission to set a node's data.
pub const ZKRS_PERM_WRITE: i32 = 2;
/// Permission to create children.
pub const ZKRS_PERM_CREATE: i32 = 4;
/// Permission to delete children.
pub const ZKRS_PERM_DELETE: i32 = 8;
/// Permission to set the ACL.
pub const ZKRS_PERM_ADMIN: i32 = 16;
/// Every permission.
pub const ZKRS_PERM_ALL: i32 = 31;

/// An access control list: entries of (permissions, scheme, id). Created by `zkrs_acl_list_new` (or a
/// well-known list), released by `zkrs_acl_list_free`. Not safe for concurrent mutation.
pub struct zkrs_acl_list {
    entries: Vec<Entry>,
}

struct Entry {
    acl: Acl,
    scheme: CString,
    id: CString,
}

impl zkrs_acl_list {
    pub(crate) fn from_acls(acls: Vec<Acl>) -> zkrs_acl_list {
        zkrs_acl_list {
            entries: acls
                .into_iter()
                .map(|acl| Entry { scheme: to_cstring(&acl.id.scheme), id: to_cstring(&acl.id.id), acl })
                .collect(),
        }
    }

    pub(crate) fn acls(&self) -> Vec<Acl> {
        self.entries.iter().map(|e| e.acl.clone()).collect()
    }
}

fn new_list(acls: Vec<Acl>, out: *mut *mut zkrs_acl_list) -> zkrs_rc {
    let out = try_arg!(out_arg(out, "out"));
    // SAFETY: checked non-NULL; the caller provides a writable pointer.
    unsafe { *out = Box::into_raw(Box::new(zkrs_acl_list::from_acls(acls))) };
    codes::OK
}

/// Creates an empty list in `*out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_new(out: *mut *mut zkrs_acl_list) -> zkrs_rc {
    ffi_guard! { new_list(Vec::new(), out) }
}

/// Creates the list "everyone may do everything" (`world:anyone`, `ZKRS_PERM_ALL`) in `*out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_new_open_unsafe(out: *mut *mut zkrs_acl_list) -> zkrs_rc {
    ffi_guard! { new_list(Acl::open_unsafe(), out) }
}

/// Creates the list "everyone may read" (`world:anyone`, `ZKRS_PERM_READ`) in `*out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_new_read_unsafe(out: *mut *mut zkrs_acl_list) -> zkrs_rc {
    ffi_guard! { new_list(Acl::read_unsafe(), out) }
}

/// Creates the list "the creator's authenticated identities may do everything" (`auth:`,
/// `ZKRS_PERM_ALL`) in `*out`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_new_creator_all(out: *mut *mut zkrs_acl_list) -> zkrs_rc {
    ffi_guard! { new_list(Acl::creator_all(), out) }
}

/// Appends an entry: `perms` (`ZKRS_PERM_*` bits), `scheme` (`world`, `auth`, `digest`, `ip`, ...) and
/// `id` within it. `ZKRS_RC_BAD_ARGUMENTS` for permission bits outside `ZKRS_PERM_ALL` or an empty scheme.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_add(
    l: *mut zkrs_acl_list,
    perms: i32,
    scheme: *const c_char,
    id: *const c_char,
) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(l.as_mut().ok_or_else(|| super::fail(codes::NULL_ARGUMENT, "argument `l` is NULL")));
        let scheme = try_arg!(str_arg(scheme, "scheme"));
        let id = try_arg!(str_arg(id, "id"));
        if perms & !ZKRS_PERM_ALL != 0 {
            return fail_with(&Error::BadArguments(format!("permission bits {perms:#x} outside ZKRS_PERM_ALL")));
        }
        if scheme.is_empty() {
            return fail_with(&Error::BadArguments("empty ACL scheme".into()));
        }
        l.entries.push(Entry { acl: Acl::new(perms, scheme, id), scheme: to_cstring(scheme), id: to_cstring(id) });
        codes::OK
    }
}

/// Appends a `digest` entry for `user` and `password` as the server computes it
/// (`user:base64(sha1("user:password"))`), kazoo's `make_digest_acl`.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_add_digest(
    l: *mut zkrs_acl_list,
    perms: i32,
    user: *const c_char,
    password: *const c_char,
) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(l.as_mut().ok_or_else(|| super::fail(codes::NULL_ARGUMENT, "argument `l` is NULL")));
        let user = try_arg!(str_arg(user, "user"));
        let password = try_arg!(str_arg(password, "password"));
        if perms & !ZKRS_PERM_ALL != 0 {
            return fail_with(&Error::BadArguments(format!("permission bits {perms:#x} outside ZKRS_PERM_ALL")));
        }
        let acl = crate::acl::make_digest_acl(user, password, perms);
        l.entries.push(Entry { scheme: to_cstring(&acl.id.scheme), id: to_cstring(&acl.id.id), acl });
        codes::OK
    }
}

/// The number of entries (0 if `l` is NULL).
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_len(l: *const zkrs_acl_list) -> usize {
    ffi_guard! { l.as_ref().map_or(0, |l| l.entries.len()) }
}

/// Entry `i`: its permissions, scheme and id. The strings belong to the list (valid until it is freed
/// or, for a borrowed list, until the callback returns). Any out-parameter may be NULL.
/// `ZKRS_RC_BAD_ARGUMENTS` if `i` is out of range.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_get(
    l: *const zkrs_acl_list,
    i: usize,
    perms_out: *mut i32,
    scheme_out: *mut *const c_char,
    id_out: *mut *const c_char,
) -> zkrs_rc {
    ffi_guard! {
        let l = try_arg!(ref_arg(l, "l"));
        let Some(e) = l.entries.get(i) else {
            return fail_with(&Error::BadArguments(format!("index {i} out of range (length {})", l.entries.len())));
        };
        if !perms_out.is_null() {
            *perms_out = e.acl.perms;
        }
        if !scheme_out.is_null() {
            *scheme_out = e.scheme.as_ptr();
        }
        if !id_out.is_null() {
            *id_out = e.id.as_ptr();
        }
        codes::OK
    }
}

/// Releases a list the caller owns. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_acl_list_free(l: *mut zkrs_acl_list) {
    ffi_guard! {
        if !l.is_null() {
            drop(Box::from_raw(l));
        }
    }
}
