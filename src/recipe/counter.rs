//! kazoo's `Counter`: a number in the data of one persistent node, changed atomically by reading it
//! with its version and writing it back only if that version is still current (retried otherwise).
//!
//! The encodings are kazoo's, so kazoo and zkrs can share a counter: an integer counter stores the
//! decimal text of the number (`3`, `-1`); a float counter stores Python's `repr()` of the float
//! (`2.1`, `-1.0`, `0.30000000000000004`, `1e+16`); the Curator-compatible mode stores a 4-byte
//! big-endian signed integer (Curator's `SharedCount`). An empty node holds the default value.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::path::validate_path;
use crate::retry::RetryPolicy;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a counter stores its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// An integer (an `i64` here), stored as its decimal text (kazoo's default `Counter`).
    Int,
    /// A float, stored as Python's `repr()` of it (kazoo's `Counter(default=0.0)`).
    Float,
    /// A 32-bit integer stored as 4 big-endian bytes (kazoo's `support_curator=True`, Curator's
    /// `SharedCount`).
    Curator,
}

/// A counter's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CounterValue {
    /// The value of an [`CounterKind::Int`] or [`CounterKind::Curator`] counter.
    Int(i64),
    /// The value of a [`CounterKind::Float`] counter.
    Float(f64),
}

/// What one change did: the value it started from and the one it wrote (kazoo's `pre_value` and
/// `post_value`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// The value before the change.
    pub pre: CounterValue,
    /// The value the change wrote.
    pub post: CounterValue,
}

/// A shared counter at one node (kazoo's `Counter`).
pub struct Counter {
    client: Client,
    path: String,
    kind: CounterKind,
    default: CounterValue,
    retry: RetryPolicy,
    ensured: AtomicBool,
}

impl Counter {
    /// A counter of `kind` at `path`, with default value 0 (or 0.0). The node is created (empty) on
    /// first use. `InvalidPath` if `path` breaks ZooKeeper's rules.
    pub fn new(client: &Client, path: &str, kind: CounterKind) -> Result<Counter> {
        validate_path(path, false)?;
        let default = match kind {
            CounterKind::Float => CounterValue::Float(0.0),
            CounterKind::Int | CounterKind::Curator => CounterValue::Int(0),
        };
        Ok(Counter {
            client: client.clone(),
            path: path.to_string(),
            kind,
            default,
            retry: RetryPolicy::forever(),
            ensured: AtomicBool::new(false),
        })
    }

    /// The value an empty node stands for. `BadArguments` if it is not of the counter's type (or out
    /// of the Curator range).
    pub fn with_default(mut self, default: CounterValue) -> Result<Counter> {
        self.check_type(default)?;
        if self.kind == CounterKind::Curator {
            curator_range(default)?;
        }
        self.default = default;
        Ok(self)
    }

    /// Retries conflicting changes and connection loss with `policy` instead of kazoo's command retry
    /// ([`RetryPolicy::forever`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Counter {
        self.retry = policy;
        self
    }

    /// The counter's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How the counter stores its number.
    pub fn kind(&self) -> CounterKind {
        self.kind
    }

    /// The current value (creating the node if needed). `Marshalling` if the node holds something
    /// this kind of counter cannot read.
    pub fn value(&self) -> Result<CounterValue> {
        self.client.retry(&self.retry, || self.read().map(|(v, _)| v))
    }

    /// Adds `delta` atomically and returns the values before and after. `BadArguments` if `delta` is
    /// not of the counter's type or the result does not fit (`i64`, or `i32` for Curator).
    pub fn add(&self, delta: CounterValue) -> Result<Change> {
        self.check_type(delta)?;
        self.client.retry(&self.retry, || {
            let (pre, version) = self.read()?;
            let post = self.sum(pre, delta)?;
            match self.client.set_data(&self.path, &self.encode(post)?, version) {
                Ok(_) => Ok(Change { pre, post }),
                Err(Error::BadVersion(_)) => Err(Error::ForceRetry(format!("{} changed meanwhile", self.path))),
                Err(Error::NoNode(_)) => self.vanished(),
                Err(e) => Err(e),
            }
        })
    }

    /// Subtracts `delta` atomically (see [`Counter::add`]).
    pub fn subtract(&self, delta: CounterValue) -> Result<Change> {
        self.check_type(delta)?;
        let negated = match delta {
            CounterValue::Int(n) => CounterValue::Int(
                n.checked_neg().ok_or_else(|| Error::BadArguments(format!("cannot subtract {n}: overflow")))?,
            ),
            CounterValue::Float(x) => CounterValue::Float(-x),
        };
        self.add(negated)
    }

    fn check_type(&self, v: CounterValue) -> Result<()> {
        match (self.kind, v) {
            (CounterKind::Float, CounterValue::Float(_)) => Ok(()),
            (CounterKind::Int | CounterKind::Curator, CounterValue::Int(_)) => Ok(()),
            _ => Err(Error::BadArguments(format!("invalid type for a {:?} counter: {v:?}", self.kind))),
        }
    }

    /// The node was deleted under us: create it again on the next attempt.
    fn vanished<T>(&self) -> Result<T> {
        self.ensured.store(false, Ordering::Release);
        Err(Error::ForceRetry(format!("{} was deleted meanwhile", self.path)))
    }

    fn read(&self) -> Result<(CounterValue, i32)> {
        if !self.ensured.load(Ordering::Acquire) {
            self.client.ensure_path(&self.path)?;
            self.ensured.store(true, Ordering::Release);
        }
        match self.client.get_data(&self.path, None) {
            Ok((data, stat)) => Ok((self.decode(&data)?, stat.version)),
            Err(Error::NoNode(_)) => self.vanished(),
            Err(e) => Err(e),
        }
    }

    fn sum(&self, a: CounterValue, b: CounterValue) -> Result<CounterValue> {
        let post = match (a, b) {
            (CounterValue::Int(x), CounterValue::Int(y)) => CounterValue::Int(
                x.checked_add(y).ok_or_else(|| Error::BadArguments(format!("{x} + {y} does not fit in 64 bits")))?,
            ),
            (CounterValue::Float(x), CounterValue::Float(y)) => CounterValue::Float(x + y),
            _ => return Err(Error::BadArguments(format!("cannot add {b:?} to {a:?}"))),
        };
        if self.kind == CounterKind::Curator {
            curator_range(post)?;
        }
        Ok(post)
    }

    fn encode(&self, v: CounterValue) -> Result<Vec<u8>> {
        Ok(match (self.kind, v) {
            (CounterKind::Curator, CounterValue::Int(n)) => {
                curator_range(v).map(|()| (n as i32).to_be_bytes().to_vec())?
            }
            (_, CounterValue::Int(n)) => n.to_string().into_bytes(),
            (_, CounterValue::Float(x)) => python_float_repr(x).into_bytes(),
        })
    }

    fn decode(&self, data: &[u8]) -> Result<CounterValue> {
        if data.is_empty() {
            return Ok(self.default);
        }
        let bad = |why: &str| Error::Marshalling(format!("{}: {why}: {:?}", self.path, String::from_utf8_lossy(data)));
        match self.kind {
            CounterKind::Curator => {
                let bytes: [u8; 4] = data.try_into().map_err(|_| bad("not a 4-byte Curator count"))?;
                Ok(CounterValue::Int(i64::from(i32::from_be_bytes(bytes))))
            }
            CounterKind::Int => {
                let text = std::str::from_utf8(data).map_err(|_| bad("not ASCII text"))?;
                // Python's int() takes surrounding blanks and '_' between digits.
                let digits: String = text.trim().chars().filter(|&c| c != '_').collect();
                digits.parse().map(CounterValue::Int).map_err(|_| bad("not an integer"))
            }
            CounterKind::Float => {
                let text = std::str::from_utf8(data).map_err(|_| bad("not ASCII text"))?;
                let digits: String = text.trim().chars().filter(|&c| c != '_').collect();
                digits.parse().map(CounterValue::Float).map_err(|_| bad("not a float"))
            }
        }
    }
}

fn curator_range(v: CounterValue) -> Result<()> {
    match v {
        CounterValue::Int(n) if i32::try_from(n).is_ok() => Ok(()),
        _ => Err(Error::BadArguments(format!("{v:?} does not fit a Curator counter (32 bits)"))),
    }
}

/// Python's `repr()` of a float: the shortest digits that read back to the same number, written
/// out in full for exponents -4 to 15 (always with a fraction: `3.0`), in scientific notation with
/// a signed two-digit exponent otherwise (`1e+16`, `1.5e-07`).
pub(crate) fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits too: "-1.2345e-7", "3e0".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponents are integers");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    if (-4..16).contains(&exp) {
        let (int, frac) = if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                (format!("{digits}{}", "0".repeat(int_len - digits.len())), "0".to_string())
            } else {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            }
        } else {
            ("0".to_string(), format!("{}{digits}", "0".repeat((-exp - 1) as usize)))
        };
        format!("{sign}{int}.{frac}")
    } else {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float_repr;

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // What python3 -c 'print(repr(x))' prints for each.
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (2.1, "2.1"),
            (-1.0, "-1.0"),
            (3.0, "3.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-123456789012345678.0, "-1.2345678901234568e+17"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(x, want) in cases {
            assert_eq!(python_float_repr(x), want, "repr of {x:e}");
            if !x.is_nan() {
                assert_eq!(want.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{want} reads back");
            }
        }
    }
}
