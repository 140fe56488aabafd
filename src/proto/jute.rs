//! Jute, ZooKeeper's record encoding: big-endian integers, length-prefixed buffers and vectors,
//! records as their fields in order. Decoding is bounds-checked and never allocates more than the
//! input can justify.

use crate::error::{Error, Result};

/// Appends jute-encoded values to a byte vector.
pub(crate) trait JuteWrite {
    fn put_i32(&mut self, v: i32);
    fn put_i64(&mut self, v: i64);
    fn put_bool(&mut self, v: bool);
    fn put_buffer(&mut self, v: Option<&[u8]>);
    fn put_str(&mut self, v: &str);
    fn put_strs<S: AsRef<str>>(&mut self, v: &[S]);
}

impl JuteWrite for Vec<u8> {
    #[inline]
    fn put_i32(&mut self, v: i32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_bool(&mut self, v: bool) {
        self.push(v as u8);
    }
    fn put_buffer(&mut self, v: Option<&[u8]>) {
        match v {
            None => self.put_i32(-1),
            Some(b) => {
                self.put_i32(b.len() as i32);
                self.extend_from_slice(b);
            }
        }
    }
    fn put_str(&mut self, v: &str) {
        self.put_buffer(Some(v.as_bytes()));
    }
    fn put_strs<S: AsRef<str>>(&mut self, v: &[S]) {
        self.put_i32(v.len() as i32);
        for s in v {
            self.put_str(s.as_ref());
        }
    }
}

/// Reads jute values from a byte slice; every read checks the remaining length.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(Error::Marshalling(format!(
                "record truncated: needed {n} more bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn i64(&mut self) -> Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.take(1)?[0] != 0)
    }

    /// A buffer; `None` for jute's null (length -1).
    pub fn buffer(&mut self) -> Result<Option<&'a [u8]>> {
        let len = self.i32()?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 {
            return Err(Error::Marshalling(format!("negative buffer length {len}")));
        }
        Ok(Some(self.take(len as usize)?))
    }

    /// A buffer, with null read as empty.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        Ok(self.buffer()?.map(<[u8]>::to_vec).unwrap_or_default())
    }

    pub fn string(&mut self) -> Result<String> {
        match self.buffer()? {
            None => Ok(String::new()),
            Some(b) => String::from_utf8(b.to_vec())
                .map_err(|_| Error::Marshalling("string from the server is not UTF-8".into())),
        }
    }

    /// A vector count, checked against the bytes left so a hostile count cannot force a large allocation.
    pub fn count(&mut self, min_element_size: usize) -> Result<usize> {
        let n = self.i32()?;
        if n == -1 {
            return Ok(0);
        }
        if n < 0 || (n as usize).saturating_mul(min_element_size) > self.remaining() {
            return Err(Error::Marshalling(format!(
                "vector of {n} elements does not fit in {} bytes",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    pub fn strings(&mut self) -> Result<Vec<String>> {
        let n = self.count(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut v = Vec::new();
        v.put_i32(-7);
        v.put_i64(1 << 40);
        v.put_bool(true);
        v.put_buffer(None);
        v.put_str("héllo");
        v.put_strs(&["a", "bc"]);
        let mut r = Reader::new(&v);
        assert_eq!(r.i32().unwrap(), -7);
        assert_eq!(r.i64().unwrap(), 1 << 40);
        assert!(r.bool().unwrap());
        assert_eq!(r.buffer().unwrap(), None);
        assert_eq!(r.string().unwrap(), "héllo");
        assert_eq!(r.strings().unwrap(), vec!["a", "bc"]);
        assert_eq!(r.remaining(), 0);
        assert!(r.i32().is_err());
    }

    #[test]
    fn hostile_lengths_are_errors() {
        let mut v = Vec::new();
        v.put_i32(i32::MAX);
        assert!(Reader::new(&v).buffer().is_err());
        assert!(Reader::new(&v).count(4).is_err());
        let mut v = Vec::new();
        v.put_i32(-5);
        assert!(Reader::new(&v).buffer().is_err());
        assert!(Reader::new(&v).count(4).is_err());
        assert!(Reader::new(&[0xff, 0xff]).i32().is_err());
        let mut v = Vec::new();
        v.put_buffer(Some(&[0xff, 0xfe]));
        assert!(Reader::new(&v).string().is_err());
    }
}
