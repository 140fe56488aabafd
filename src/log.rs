//! Logging: levels, an optional process-wide callback, stderr at WARN by default.
//! The level can be set by `ZKRS_LOG_LEVEL` (error, warn, info, debug, trace) or by a client's config.

use parking_lot::RwLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

/// Log levels, most severe first.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something is wrong but handled, or insecure.
    Warn = 2,
    /// Connections and sessions coming and going.
    Info = 3,
    /// Details of the protocol and state machine.
    Debug = 4,
    /// Every frame.
    Trace = 5,
}

impl Level {
    /// Parses a name (`warn`) or number (`2`), case-insensitive.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "error" | "1" => Level::Error,
            "warn" | "warning" | "2" => Level::Warn,
            "info" | "3" => Level::Info,
            "debug" | "4" => Level::Debug,
            "trace" | "5" => Level::Trace,
            _ => return None,
        })
    }

    /// The upper-case name (`WARN`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

/// A log sink: receives the level and the formatted message.
pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: OnceLock<RwLock<Option<LogSink>>> = OnceLock::new();

fn sink() -> &'static RwLock<Option<LogSink>> {
    SINK.get_or_init(|| RwLock::new(None))
}

/// The most verbose level that is logged.
pub fn max_level() -> Level {
    let v = MAX_LEVEL.load(Ordering::Relaxed);
    if v != 0 {
        return level_from_u8(v);
    }
    let from_env = std::env::var("ZKRS_LOG_LEVEL").ok().and_then(|s| Level::parse(&s)).unwrap_or(Level::Warn);
    MAX_LEVEL.store(from_env as u8, Ordering::Relaxed);
    from_env
}

fn level_from_u8(v: u8) -> Level {
    match v {
        1 => Level::Error,
        2 => Level::Warn,
        3 => Level::Info,
        4 => Level::Debug,
        _ => Level::Trace,
    }
}

/// Sets the most verbose level that is logged, for the whole process.
pub fn set_max_level(level: Level) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Sends log lines to `sink` instead of stderr; `None` restores stderr.
pub fn set_sink(new_sink: Option<LogSink>) {
    *sink().write() = new_sink;
}

#[doc(hidden)]
pub fn emit(level: Level, message: std::fmt::Arguments) {
    if level > max_level() {
        return;
    }
    let text = message.to_string();
    let current = sink().read().clone();
    match current {
        Some(f) => f(level, &text),
        None => eprintln!("zkrs {}: {}", level.name(), text),
    }
}

macro_rules! log_at {
    ($level:expr, $($arg:tt)*) => {
        if $level <= $crate::log::max_level() {
            $crate::log::emit($level, format_args!($($arg)*))
        }
    };
}
macro_rules! error { ($($arg:tt)*) => { log_at!($crate::log::Level::Error, $($arg)*) }; }
macro_rules! warn { ($($arg:tt)*) => { log_at!($crate::log::Level::Warn, $($arg)*) }; }
macro_rules! info { ($($arg:tt)*) => { log_at!($crate::log::Level::Info, $($arg)*) }; }
macro_rules! debug { ($($arg:tt)*) => { log_at!($crate::log::Level::Debug, $($arg)*) }; }
