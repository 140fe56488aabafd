//! ZooKeeper's records (zookeeper.jute) and op codes: what goes on the wire for each request and reply.

use super::jute::{JuteWrite, Reader};
use crate::acl::{Acl, Id};
use crate::error::Result;
use crate::stat::Stat;

/// Request op codes (`ZooDefs.OpCode`).
pub(crate) mod op {
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const GET_ACL: i32 = 6;
    pub const SET_ACL: i32 = 7;
    pub const GET_CHILDREN: i32 = 8;
    pub const SYNC: i32 = 9;
    pub const PING: i32 = 11;
    pub const GET_CHILDREN2: i32 = 12;
    pub const CHECK: i32 = 13;
    pub const MULTI: i32 = 14;
    pub const CREATE2: i32 = 15;
    pub const RECONFIG: i32 = 16;
    pub const CHECK_WATCHES: i32 = 17;
    pub const REMOVE_WATCHES: i32 = 18;
    pub const CREATE_CONTAINER: i32 = 19;
    pub const CREATE_TTL: i32 = 21;
    pub const MULTI_READ: i32 = 22;
    pub const AUTH: i32 = 100;
    pub const SET_WATCHES: i32 = 101;
    pub const SASL: i32 = 102;
    pub const GET_EPHEMERALS: i32 = 103;
    pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
    pub const SET_WATCHES2: i32 = 105;
    pub const ADD_WATCH: i32 = 106;
    pub const WHO_AM_I: i32 = 107;
    pub const CLOSE_SESSION: i32 = -11;
    pub const ERROR: i32 = -1;
}

/// Reserved xids (`ClientCnxn`).
pub(crate) mod xid {
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
    pub const AUTH: i32 = -4;
    pub const SET_WATCHES: i32 = -8;
}

pub(crate) fn put_acls(w: &mut Vec<u8>, acls: &[Acl]) {
    w.put_i32(acls.len() as i32);
    for a in acls {
        w.put_i32(a.perms);
        w.put_str(&a.id.scheme);
        w.put_str(&a.id.id);
    }
}

pub(crate) fn read_acls(r: &mut Reader) -> Result<Vec<Acl>> {
    let n = r.count(12)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let perms = r.i32()?;
        let scheme = r.string()?;
        let id = r.string()?;
        v.push(Acl { perms, id: Id { scheme, id } });
    }
    Ok(v)
}

pub(crate) fn read_stat(r: &mut Reader) -> Result<Stat> {
    Ok(Stat {
        czxid: r.i64()?,
        mzxid: r.i64()?,
        ctime: r.i64()?,
        mtime: r.i64()?,
        version: r.i32()?,
        cversion: r.i32()?,
        aversion: r.i32()?,
        ephemeral_owner: r.i64()?,
        data_length: r.i32()?,
        num_children: r.i32()?,
        pzxid: r.i64()?,
    })
}

/// The session handshake the client sends first.
pub(crate) struct ConnectRequest<'a> {
    pub last_zxid_seen: i64,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub password: &'a [u8],
    pub read_only: bool,
}

impl ConnectRequest<'_> {
    pub fn to_frame(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(64);
        w.put_i32(0); // length, patched below
        w.put_i32(0); // protocol version
        w.put_i64(self.last_zxid_seen);
        w.put_i32(self.timeout_ms);
        w.put_i64(self.session_id);
        w.put_buffer(Some(self.password));
        w.put_bool(self.read_only);
        patch_length(&mut w);
        w
    }
}

/// The server's answer to the handshake. A timeout of 0 means the session expired.
#[derive(Debug, Clone)]
pub(crate) struct ConnectResponse {
    pub timeout_ms: i32,
    pub session_id: i64,
    pub password: Vec<u8>,
    pub read_only: bool,
}

impl ConnectResponse {
    pub fn decode(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let _protocol_version = r.i32()?;
        let timeout_ms = r.i32()?;
        let session_id = r.i64()?;
        let password = r.bytes()?;
        // Servers before 3.4 leave the flag out.
        let read_only = if r.remaining() > 0 { r.bool()? } else { false };
        Ok(ConnectResponse { timeout_ms, session_id, password, read_only })
    }
}

/// Writes the 4-byte big-endian frame length over the first four bytes of `frame`.
pub(crate) fn patch_length(frame: &mut [u8]) {
    let len = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&len.to_be_bytes());
}

/// Starts a request frame: length placeholder, xid, op code. The body follows; [`patch_length`] ends it.
pub(crate) fn start_frame(xid: i32, op: i32, capacity: usize) -> Vec<u8> {
    let mut w = Vec::with_capacity(12 + capacity);
    w.put_i32(0);
    w.put_i32(xid);
    w.put_i32(op);
    w
}

/// The reply header every reply starts with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplyHeader {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
}

impl ReplyHeader {
    pub const LEN: usize = 16;
    pub fn decode(r: &mut Reader) -> Result<Self> {
        Ok(ReplyHeader { xid: r.i32()?, zxid: r.i64()?, err: r.i32()? })
    }
}

/// A watch notification as it comes from the server (xid -1).
#[derive(Debug, Clone)]
pub(crate) struct WatcherEvent {
    pub event_type: i32,
    pub state: i32,
    pub path: String,
}

impl WatcherEvent {
    pub fn decode(r: &mut Reader) -> Result<Self> {
        Ok(WatcherEvent { event_type: r.i32()?, state: r.i32()?, path: r.string()? })
    }
}

/// The five lists of a SetWatches2 record (SetWatches has the first three).
#[derive(Default)]
pub(crate) struct WatchPaths {
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    pub persistent: Vec<String>,
    pub persistent_recursive: Vec<String>,
}

/// Max bytes of paths in one SetWatches packet (Java's `SET_WATCHES_MAX_LENGTH`).
pub(crate) const SET_WATCHES_MAX_BYTES: usize = 128 * 1024;

impl WatchPaths {
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.exist.is_empty()
            && self.child.is_empty()
            && self.persistent.is_empty()
            && self.persistent_recursive.is_empty()
    }

    /// Encodes the paths as SetWatches (or SetWatches2 when persistent watches exist) frames of at most
    /// [`SET_WATCHES_MAX_BYTES`] of paths each.
    pub fn to_frames(&self, relative_zxid: i64) -> Vec<Vec<u8>> {
        let v2 = !self.persistent.is_empty() || !self.persistent_recursive.is_empty();
        let lists: [&[String]; 5] =
            [&self.data, &self.exist, &self.child, &self.persistent, &self.persistent_recursive];
        let nlists = if v2 { 5 } else { 3 };
        let mut frames = Vec::new();
        let mut cursor = [0usize; 5];
        loop {
            // Take paths list by list until the budget is used up; a frame always takes at least one.
            let mut budget = SET_WATCHES_MAX_BYTES;
            let mut taken_any = false;
            let mut ranges = [(0usize, 0usize); 5];
            for i in 0..nlists {
                let start = cursor[i];
                let mut end = start;
                while end < lists[i].len() {
                    let cost = lists[i][end].len() + 4;
                    if cost > budget && taken_any {
                        break;
                    }
                    budget = budget.saturating_sub(cost);
                    taken_any = true;
                    end += 1;
                }
                ranges[i] = (start, end);
                cursor[i] = end;
            }
            let mut w = start_frame(
                xid::SET_WATCHES,
                if v2 { op::SET_WATCHES2 } else { op::SET_WATCHES },
                SET_WATCHES_MAX_BYTES - budget + 32,
            );
            w.put_i64(relative_zxid);
            for i in 0..nlists {
                w.put_strs(&lists[i][ranges[i].0..ranges[i].1]);
            }
            patch_length(&mut w);
            frames.push(w);
            if (0..nlists).all(|i| cursor[i] >= lists[i].len()) {
                return frames;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_request_is_45_bytes_with_16_byte_password() {
        let f = ConnectRequest {
            last_zxid_seen: 0,
            timeout_ms: 10000,
            session_id: 0,
            password: &[0; 16],
            read_only: false,
        }
        .to_frame();
        assert_eq!(f.len(), 4 + 45);
        assert_eq!(&f[..4], &45i32.to_be_bytes());
    }

    #[test]
    fn set_watches_split_into_packets_of_128k() {
        let mut w = WatchPaths::default();
        for i in 0..20_000 {
            w.data.push(format!("/some/fairly/long/path/number/{i:08}"));
        }
        w.child.push("/c".into());
        let frames = w.to_frames(42);
        assert!(frames.len() > 1);
        let mut seen = 0;
        for f in &frames {
            assert!(f.len() <= SET_WATCHES_MAX_BYTES + 64);
            let mut r = Reader::new(&f[4..]);
            assert_eq!(r.i32().unwrap(), xid::SET_WATCHES);
            assert_eq!(r.i32().unwrap(), op::SET_WATCHES);
            assert_eq!(r.i64().unwrap(), 42);
            seen += r.strings().unwrap().len();
            r.strings().unwrap();
            r.strings().unwrap();
            assert_eq!(r.remaining(), 0);
        }
        assert_eq!(seen, 20_000);
        assert!(
            WatchPaths { persistent: vec!["/p".into()], ..Default::default() }.to_frames(0)[0][8..12]
                == op::SET_WATCHES2.to_be_bytes()
        );
    }
}
