//! `zkrs_party`: kazoo's Party and ShallowParty for C.

use super::buf::zkrs_string_list;
use super::client::{client_arg, zkrs_client, Handle};
use super::{code_of, finish, live_arg, out_arg, ref_arg, str_arg, zkrs_rc};
use crate::error::codes;
use crate::recipe::party::Party;
use std::ffi::c_char;
use std::sync::Arc;

/// A member of a party (kazoo's `Party`: node `<path>/<uuid>__party__` holding the identifier; or
/// `ShallowParty`: node `<path>/<uuid>-<identifier>`). Created by `zkrs_party_new`, released by
/// `zkrs_party_free` (before or after its client; once the client is closed its calls return
/// `ZKRS_RC_CLOSED`). May be used from any thread.
pub struct zkrs_party {
    client: Arc<Handle>,
    party: Party,
}

unsafe fn party_arg<'a>(p: *mut zkrs_party) -> Result<&'a zkrs_party, zkrs_rc> {
    live_arg(p, "party", |p| &p.client)
}

/// A member of the party at `path` with `identifier` (NULL: empty), in `*out`; `shallow` selects
/// kazoo's `ShallowParty`, where the identifier is part of the node's name. Release it with
/// `zkrs_party_free`. `ZKRS_RC_INVALID_PATH` for a bad path or, for a shallow party, an identifier
/// that cannot be part of a node name (`/`, control characters).
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_new(
    c: *mut zkrs_client,
    path: *const c_char,
    identifier: *const c_char,
    shallow: bool,
    out: *mut *mut zkrs_party,
) -> zkrs_rc {
    ffi_guard! {
        let c = try_arg!(client_arg(c));
        let path = try_arg!(str_arg(path, "path"));
        let identifier = if identifier.is_null() { "" } else { try_arg!(str_arg(identifier, "identifier")) };
        let out = try_arg!(out_arg(out, "out"));
        let r = if shallow { Party::shallow(&c.client, path, identifier) } else { Party::new(&c.client, path, identifier) };
        finish(r, |party| {
            *out = Box::into_raw(Box::new(zkrs_party { client: c.share(), party }));
        })
    }
}

/// Joins the party: creates the member's ephemeral node (and the party's node if missing); an
/// existing member node is taken over.
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_join(party: *mut zkrs_party) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(party_arg(party));
        code_of(p.party.join())
    }
}

/// Leaves the party: deletes the member's node. `*removed_out` (may be NULL) says whether it was
/// there.
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_leave(party: *mut zkrs_party, removed_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(party_arg(party));
        finish(p.party.leave(), |removed| {
            if !removed_out.is_null() {
                *removed_out = removed;
            }
        })
    }
}

/// The identifiers of the members, in a new `*members_out` (release it with
/// `zkrs_string_list_free`).
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_members(
    party: *mut zkrs_party,
    members_out: *mut *mut zkrs_string_list,
) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(party_arg(party));
        let out = try_arg!(out_arg(members_out, "members_out"));
        match p.party.members() {
            Ok(members) => {
                let list = try_arg!(zkrs_string_list::new(members));
                *out = Box::into_raw(Box::new(list));
                codes::OK
            }
            Err(e) => super::fail_with(&e),
        }
    }
}

/// The number of members in `*len_out` (a shallow party counts every child of its node, as kazoo).
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_len(party: *mut zkrs_party, len_out: *mut usize) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(party_arg(party));
        let out = try_arg!(out_arg(len_out, "len_out"));
        finish(p.party.len(), |n| *out = n)
    }
}

/// Whether this member has joined and not left, in `*participating_out`. Works after the client is
/// closed.
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_participating(party: *const zkrs_party, participating_out: *mut bool) -> zkrs_rc {
    ffi_guard! {
        let p = try_arg!(ref_arg(party, "party"));
        let out = try_arg!(out_arg(participating_out, "participating_out"));
        *out = p.party.participating();
        codes::OK
    }
}

/// Releases a member (its node stays until it leaves or its session ends). NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn zkrs_party_free(party: *mut zkrs_party) {
    ffi_guard! {
        if !party.is_null() {
            drop(Box::from_raw(party));
        }
    }
}
