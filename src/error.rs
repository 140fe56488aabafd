//! The one error type of the crate, with the ZooKeeper C client's numeric codes.

/// A numeric result code: ZooKeeper's own numbers for server and protocol errors
/// (the same as the ZooKeeper C client), zkrs's own from -1000 down. Numbers are never reused.
pub type Code = i32;

/// The codes, as named constants. The C layer exposes the same numbers as `ZKRS_RC_*`.
pub mod codes {
    use super::Code;
    pub const OK: Code = 0;
    pub const SYSTEM_ERROR: Code = -1;
    pub const RUNTIME_INCONSISTENCY: Code = -2;
    pub const DATA_INCONSISTENCY: Code = -3;
    pub const CONNECTION_LOSS: Code = -4;
    pub const MARSHALLING_ERROR: Code = -5;
    pub const UNIMPLEMENTED: Code = -6;
    pub const OPERATION_TIMEOUT: Code = -7;
    pub const BAD_ARGUMENTS: Code = -8;
    pub const INVALID_STATE: Code = -9;
    pub const UNKNOWN_SESSION: Code = -12;
    pub const NEW_CONFIG_NO_QUORUM: Code = -13;
    pub const RECONFIG_IN_PROGRESS: Code = -14;
    pub const SSL_CONNECTION_ERROR: Code = -15;
    pub const API_ERROR: Code = -100;
    pub const NO_NODE: Code = -101;
    pub const NO_AUTH: Code = -102;
    pub const BAD_VERSION: Code = -103;
    pub const NO_CHILDREN_FOR_EPHEMERALS: Code = -108;
    pub const NODE_EXISTS: Code = -110;
    pub const NOT_EMPTY: Code = -111;
    pub const SESSION_EXPIRED: Code = -112;
    pub const INVALID_CALLBACK: Code = -113;
    pub const INVALID_ACL: Code = -114;
    pub const AUTH_FAILED: Code = -115;
    pub const CLOSING: Code = -116;
    pub const NOTHING: Code = -117;
    pub const SESSION_MOVED: Code = -118;
    pub const NOT_READ_ONLY: Code = -119;
    pub const EPHEMERAL_ON_LOCAL_SESSION: Code = -120;
    pub const NO_WATCHER: Code = -121;
    pub const REQUEST_TIMEOUT: Code = -122;
    pub const RECONFIG_DISABLED: Code = -123;
    pub const SESSION_CLOSED_REQUIRE_SASL_AUTH: Code = -124;
    pub const QUOTA_EXCEEDED: Code = -125;
    pub const THROTTLED_OP: Code = -127;

    pub const NULL_ARGUMENT: Code = -1000;
    pub const INVALID_PATH: Code = -1001;
    pub const INVALID_UTF8: Code = -1002;
    pub const DATA_TOO_LARGE: Code = -1003;
    pub const CLOSED: Code = -1004;
    pub const TIMEOUT: Code = -1005;
    pub const WOULD_DEADLOCK: Code = -1006;
    pub const PANIC: Code = -1007;
    pub const UNKNOWN_CONFIG_KEY: Code = -1008;
    pub const INVALID_CONFIG_VALUE: Code = -1009;
    pub const QUEUE_FULL: Code = -1010;
    pub const RETRY_FAILED: Code = -1011;
    pub const INTERRUPTED: Code = -1012;
    pub const FORCE_RETRY: Code = -1013;
    pub const FORKED: Code = -1014;
    pub const NOT_CONNECTED: Code = -1015;
}

/// Everything that can go wrong. Each variant knows its numeric [`Code`] ([`Error::code`]) and carries
/// the path or the reason, so a message alone tells what failed where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("node does not exist: {0}")]
    NoNode(String),
    #[error("node already exists: {0}")]
    NodeExists(String),
    #[error("version does not match: {0}")]
    BadVersion(String),
    #[error("node has children: {0}")]
    NotEmpty(String),
    #[error("not authorized: {0}")]
    NoAuth(String),
    #[error("ephemeral nodes cannot have children: {0}")]
    NoChildrenForEphemerals(String),
    #[error("invalid ACL: {0}")]
    InvalidAcl(String),
    #[error("no such watcher: {0}")]
    NoWatcher(String),
    #[error("write refused by a read-only server: {0}")]
    NotReadOnly(String),
    #[error("connection lost: {0}")]
    ConnectionLoss(String),
    #[error("operation timed out: {0}")]
    OperationTimeout(String),
    #[error("session expired")]
    SessionExpired,
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    #[error("client is closing")]
    Closing,
    #[error("client is closed")]
    Closed,
    #[error("bad arguments: {0}")]
    BadArguments(String),
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error("data too large: {len} bytes, the limit is {max}")]
    DataTooLarge { len: usize, max: usize },
    #[error("malformed data: {0}")]
    Marshalling(String),
    #[error("too many queued requests ({0}) while disconnected")]
    QueueFull(usize),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("retry policy gave up: {0}")]
    RetryFailed(String),
    #[error("interrupted: {0}")]
    Interrupted(String),
    #[error("retry requested: {0}")]
    ForceRetry(String),
    #[error("waiting here would deadlock: {0}")]
    WouldDeadlock(String),
    #[error("unknown configuration key {0:?}")]
    UnknownConfigKey(String),
    #[error("invalid value for configuration key {key:?}: {reason}")]
    InvalidConfigValue { key: String, reason: String },
    /// Any other code from the server, with the path of the request.
    #[error("{} ({code}): {path}", code_message(*code))]
    Server { code: Code, path: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The numeric code of this error (ZooKeeper's numbers, zkrs's own from -1000 down).
    pub fn code(&self) -> Code {
        use codes::*;
        match self {
            Error::NoNode(_) => NO_NODE,
            Error::NodeExists(_) => NODE_EXISTS,
            Error::BadVersion(_) => BAD_VERSION,
            Error::NotEmpty(_) => NOT_EMPTY,
            Error::NoAuth(_) => NO_AUTH,
            Error::NoChildrenForEphemerals(_) => NO_CHILDREN_FOR_EPHEMERALS,
            Error::InvalidAcl(_) => INVALID_ACL,
            Error::NoWatcher(_) => NO_WATCHER,
            Error::NotReadOnly(_) => NOT_READ_ONLY,
            Error::ConnectionLoss(_) => CONNECTION_LOSS,
            Error::OperationTimeout(_) => OPERATION_TIMEOUT,
            Error::SessionExpired => SESSION_EXPIRED,
            Error::AuthFailed(_) => AUTH_FAILED,
            Error::Closing => CLOSING,
            Error::Closed => CLOSED,
            Error::BadArguments(_) => BAD_ARGUMENTS,
            Error::InvalidPath { .. } => INVALID_PATH,
            Error::DataTooLarge { .. } => DATA_TOO_LARGE,
            Error::Marshalling(_) => MARSHALLING_ERROR,
            Error::QueueFull(_) => QUEUE_FULL,
            Error::Timeout(_) => TIMEOUT,
            Error::RetryFailed(_) => RETRY_FAILED,
            Error::Interrupted(_) => INTERRUPTED,
            Error::ForceRetry(_) => FORCE_RETRY,
            Error::WouldDeadlock(_) => WOULD_DEADLOCK,
            Error::UnknownConfigKey(_) => UNKNOWN_CONFIG_KEY,
            Error::InvalidConfigValue { .. } => INVALID_CONFIG_VALUE,
            Error::Server { code, .. } => *code,
        }
    }

    /// Builds the error for a non-zero code the server returned for a request on `path`.
    pub fn from_server(code: Code, path: &str) -> Error {
        use codes::*;
        let path = path.to_string();
        match code {
            NO_NODE => Error::NoNode(path),
            NODE_EXISTS => Error::NodeExists(path),
            BAD_VERSION => Error::BadVersion(path),
            NOT_EMPTY => Error::NotEmpty(path),
            NO_AUTH => Error::NoAuth(path),
            NO_CHILDREN_FOR_EPHEMERALS => Error::NoChildrenForEphemerals(path),
            INVALID_ACL => Error::InvalidAcl(path),
            NO_WATCHER => Error::NoWatcher(path),
            NOT_READ_ONLY => Error::NotReadOnly(path),
            CONNECTION_LOSS => Error::ConnectionLoss(format!("server reported it for {path}")),
            OPERATION_TIMEOUT => Error::OperationTimeout(path),
            SESSION_EXPIRED => Error::SessionExpired,
            AUTH_FAILED => Error::AuthFailed(path),
            MARSHALLING_ERROR => Error::Marshalling(format!("server could not decode the request for {path}")),
            BAD_ARGUMENTS => Error::BadArguments(format!("server refused the request for {path}")),
            _ => Error::Server { code, path },
        }
    }

    /// Whether kazoo's retry policy retries this error (connection loss, operation timeout, explicit retry).
    /// Session expiry is retried only when the policy says `ignore_expire`.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Error::ConnectionLoss(_) | Error::OperationTimeout(_) | Error::ForceRetry(_))
    }
}

/// Every code with its name, for bindings that want a table.
pub const CODE_TABLE: &[(Code, &str)] = &[
    (codes::OK, "OK"),
    (codes::SYSTEM_ERROR, "SYSTEM_ERROR"),
    (codes::RUNTIME_INCONSISTENCY, "RUNTIME_INCONSISTENCY"),
    (codes::DATA_INCONSISTENCY, "DATA_INCONSISTENCY"),
    (codes::CONNECTION_LOSS, "CONNECTION_LOSS"),
    (codes::MARSHALLING_ERROR, "MARSHALLING_ERROR"),
    (codes::UNIMPLEMENTED, "UNIMPLEMENTED"),
    (codes::OPERATION_TIMEOUT, "OPERATION_TIMEOUT"),
    (codes::BAD_ARGUMENTS, "BAD_ARGUMENTS"),
    (codes::INVALID_STATE, "INVALID_STATE"),
    (codes::UNKNOWN_SESSION, "UNKNOWN_SESSION"),
    (codes::NEW_CONFIG_NO_QUORUM, "NEW_CONFIG_NO_QUORUM"),
    (codes::RECONFIG_IN_PROGRESS, "RECONFIG_IN_PROGRESS"),
    (codes::SSL_CONNECTION_ERROR, "SSL_CONNECTION_ERROR"),
    (codes::API_ERROR, "API_ERROR"),
    (codes::NO_NODE, "NO_NODE"),
    (codes::NO_AUTH, "NO_AUTH"),
    (codes::BAD_VERSION, "BAD_VERSION"),
    (codes::NO_CHILDREN_FOR_EPHEMERALS, "NO_CHILDREN_FOR_EPHEMERALS"),
    (codes::NODE_EXISTS, "NODE_EXISTS"),
    (codes::NOT_EMPTY, "NOT_EMPTY"),
    (codes::SESSION_EXPIRED, "SESSION_EXPIRED"),
    (codes::INVALID_CALLBACK, "INVALID_CALLBACK"),
    (codes::INVALID_ACL, "INVALID_ACL"),
    (codes::AUTH_FAILED, "AUTH_FAILED"),
    (codes::CLOSING, "CLOSING"),
    (codes::NOTHING, "NOTHING"),
    (codes::SESSION_MOVED, "SESSION_MOVED"),
    (codes::NOT_READ_ONLY, "NOT_READ_ONLY"),
    (codes::EPHEMERAL_ON_LOCAL_SESSION, "EPHEMERAL_ON_LOCAL_SESSION"),
    (codes::NO_WATCHER, "NO_WATCHER"),
    (codes::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
    (codes::RECONFIG_DISABLED, "RECONFIG_DISABLED"),
    (codes::SESSION_CLOSED_REQUIRE_SASL_AUTH, "SESSION_CLOSED_REQUIRE_SASL_AUTH"),
    (codes::QUOTA_EXCEEDED, "QUOTA_EXCEEDED"),
    (codes::THROTTLED_OP, "THROTTLED_OP"),
    (codes::NULL_ARGUMENT, "NULL_ARGUMENT"),
    (codes::INVALID_PATH, "INVALID_PATH"),
    (codes::INVALID_UTF8, "INVALID_UTF8"),
    (codes::DATA_TOO_LARGE, "DATA_TOO_LARGE"),
    (codes::CLOSED, "CLOSED"),
    (codes::TIMEOUT, "TIMEOUT"),
    (codes::WOULD_DEADLOCK, "WOULD_DEADLOCK"),
    (codes::PANIC, "PANIC"),
    (codes::UNKNOWN_CONFIG_KEY, "UNKNOWN_CONFIG_KEY"),
    (codes::INVALID_CONFIG_VALUE, "INVALID_CONFIG_VALUE"),
    (codes::QUEUE_FULL, "QUEUE_FULL"),
    (codes::RETRY_FAILED, "RETRY_FAILED"),
    (codes::INTERRUPTED, "INTERRUPTED"),
    (codes::FORCE_RETRY, "FORCE_RETRY"),
    (codes::FORKED, "FORKED"),
    (codes::NOT_CONNECTED, "NOT_CONNECTED"),
];

/// A short human description of a code.
pub fn code_message(code: Code) -> &'static str {
    use codes::*;
    match code {
        OK => "ok",
        SYSTEM_ERROR => "system error",
        RUNTIME_INCONSISTENCY => "run time inconsistency",
        DATA_INCONSISTENCY => "data inconsistency",
        CONNECTION_LOSS => "connection loss",
        MARSHALLING_ERROR => "marshalling error",
        UNIMPLEMENTED => "unimplemented",
        OPERATION_TIMEOUT => "operation timeout",
        BAD_ARGUMENTS => "bad arguments",
        INVALID_STATE => "invalid state",
        UNKNOWN_SESSION => "unknown session",
        NEW_CONFIG_NO_QUORUM => "no quorum of the new config is connected and up to date",
        RECONFIG_IN_PROGRESS => "another reconfiguration is in progress",
        SSL_CONNECTION_ERROR => "TLS connection error",
        API_ERROR => "api error",
        NO_NODE => "no node",
        NO_AUTH => "not authenticated",
        BAD_VERSION => "bad version",
        NO_CHILDREN_FOR_EPHEMERALS => "no children for ephemerals",
        NODE_EXISTS => "node exists",
        NOT_EMPTY => "not empty",
        SESSION_EXPIRED => "session expired",
        INVALID_CALLBACK => "invalid callback",
        INVALID_ACL => "invalid acl",
        AUTH_FAILED => "authentication failed",
        CLOSING => "client is closing",
        NOTHING => "no server responses to process",
        SESSION_MOVED => "session moved to another server",
        NOT_READ_ONLY => "state-changing request sent to a read-only server",
        EPHEMERAL_ON_LOCAL_SESSION => "ephemeral node on a local session",
        NO_WATCHER => "no such watcher",
        REQUEST_TIMEOUT => "request timeout",
        RECONFIG_DISABLED => "reconfiguration is disabled",
        SESSION_CLOSED_REQUIRE_SASL_AUTH => "session closed: the server requires SASL authentication",
        QUOTA_EXCEEDED => "quota exceeded",
        THROTTLED_OP => "operation throttled due to high load",
        NULL_ARGUMENT => "a required pointer argument is NULL",
        INVALID_PATH => "invalid path",
        INVALID_UTF8 => "text is not valid UTF-8",
        DATA_TOO_LARGE => "data too large",
        CLOSED => "client is closed",
        TIMEOUT => "timed out",
        WOULD_DEADLOCK => "waiting would deadlock",
        PANIC => "internal error (panic caught)",
        UNKNOWN_CONFIG_KEY => "unknown configuration key",
        INVALID_CONFIG_VALUE => "invalid configuration value",
        QUEUE_FULL => "request queue full",
        RETRY_FAILED => "retry policy gave up",
        INTERRUPTED => "interrupted",
        FORCE_RETRY => "retry requested",
        FORKED => "client used in a forked child process",
        NOT_CONNECTED => "not connected",
        _ => "unknown error",
    }
}

/// The name of a code (`"NO_NODE"`), or `"UNKNOWN"`.
pub fn code_name(code: Code) -> &'static str {
    CODE_TABLE.iter().find(|(c, _)| *c == code).map(|(_, n)| *n).unwrap_or("UNKNOWN")
}
