//! The one error type of the crate, with the ZooKeeper C client's numeric codes.

/// A numeric result code: ZooKeeper's own numbers for server and protocol errors
/// (the same as the ZooKeeper C client), zkrs's own from -1000 down. Numbers are never reused.
pub type Code = i32;

/// Declares every code once: the `codes` constants (documented with their message), [`CODE_TABLE`],
/// [`code_message`] and [`code_name`] all come from this one list.
macro_rules! define_codes {
    ($($name:ident = $num:literal, $message:literal;)*) => {
        /// The codes, as named constants. The C layer exposes the same numbers as `ZKRS_RC_*`.
        pub mod codes {
            use super::Code;
            $(#[doc = $message] pub const $name: Code = $num;)*
        }

        /// Every code with its name, for bindings that want a table.
        pub const CODE_TABLE: &[(Code, &str)] = &[$((codes::$name, stringify!($name)),)*];

        /// A short human description of a code.
        pub fn code_message(code: Code) -> &'static str {
            match code {
                $(codes::$name => $message,)*
                _ => "unknown error",
            }
        }
    };
}

define_codes! {
    OK = 0, "ok";
    SYSTEM_ERROR = -1, "system error";
    RUNTIME_INCONSISTENCY = -2, "run time inconsistency";
    DATA_INCONSISTENCY = -3, "data inconsistency";
    CONNECTION_LOSS = -4, "connection loss";
    MARSHALLING_ERROR = -5, "marshalling error";
    UNIMPLEMENTED = -6, "unimplemented";
    OPERATION_TIMEOUT = -7, "operation timeout";
    BAD_ARGUMENTS = -8, "bad arguments";
    INVALID_STATE = -9, "invalid state";
    UNKNOWN_SESSION = -12, "unknown session";
    NEW_CONFIG_NO_QUORUM = -13, "no quorum of the new config is connected and up to date";
    RECONFIG_IN_PROGRESS = -14, "another reconfiguration is in progress";
    SSL_CONNECTION_ERROR = -15, "TLS connection error";
    API_ERROR = -100, "api error";
    NO_NODE = -101, "no node";
    NO_AUTH = -102, "not authenticated";
    BAD_VERSION = -103, "bad version";
    NO_CHILDREN_FOR_EPHEMERALS = -108, "no children for ephemerals";
    NODE_EXISTS = -110, "node exists";
    NOT_EMPTY = -111, "not empty";
    SESSION_EXPIRED = -112, "session expired";
    INVALID_CALLBACK = -113, "invalid callback";
    INVALID_ACL = -114, "invalid acl";
    AUTH_FAILED = -115, "authentication failed";
    CLOSING = -116, "client is closing";
    NOTHING = -117, "no server responses to process";
    SESSION_MOVED = -118, "session moved to another server";
    NOT_READ_ONLY = -119, "state-changing request sent to a read-only server";
    EPHEMERAL_ON_LOCAL_SESSION = -120, "ephemeral node on a local session";
    NO_WATCHER = -121, "no such watcher";
    REQUEST_TIMEOUT = -122, "request timeout";
    RECONFIG_DISABLED = -123, "reconfiguration is disabled";
    SESSION_CLOSED_REQUIRE_SASL_AUTH = -124, "session closed: the server requires SASL authentication";
    QUOTA_EXCEEDED = -125, "quota exceeded";
    THROTTLED_OP = -127, "operation throttled due to high load";
    NULL_ARGUMENT = -1000, "a required pointer argument is NULL";
    INVALID_PATH = -1001, "invalid path";
    INVALID_UTF8 = -1002, "text is not valid UTF-8";
    DATA_TOO_LARGE = -1003, "data too large";
    CLOSED = -1004, "client is closed";
    TIMEOUT = -1005, "timed out";
    WOULD_DEADLOCK = -1006, "waiting would deadlock";
    PANIC = -1007, "internal error (panic caught)";
    UNKNOWN_CONFIG_KEY = -1008, "unknown configuration key";
    INVALID_CONFIG_VALUE = -1009, "invalid configuration value";
    QUEUE_FULL = -1010, "request queue full";
    RETRY_FAILED = -1011, "retry policy gave up";
    INTERRUPTED = -1012, "interrupted";
    FORCE_RETRY = -1013, "retry requested";
    FORKED = -1014, "client used in a forked child process";
    NOT_CONNECTED = -1015, "not connected";
    TLS_CONFIG = -1016, "unusable TLS configuration (a file is missing, unreadable, invalid or does not match)";
    TLS_CERTIFICATE_REJECTED = -1017, "the server's TLS certificate was rejected (untrusted, expired or wrong host)";
    CANCELLED = -1018, "cancelled";
}

/// Everything that can go wrong. Each variant knows its numeric [`Code`] ([`Error::code`]) and carries
/// the path or the reason, so a message alone tells what failed where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The node does not exist (the path).
    #[error("node does not exist: {0}")]
    NoNode(String),
    /// The node exists already (the path).
    #[error("node already exists: {0}")]
    NodeExists(String),
    /// The expected version did not match (the path).
    #[error("version does not match: {0}")]
    BadVersion(String),
    /// The node has children and cannot be deleted (the path).
    #[error("node has children: {0}")]
    NotEmpty(String),
    /// The ACL does not allow this session the operation (the path).
    #[error("not authorized: {0}")]
    NoAuth(String),
    /// Ephemeral nodes cannot have children (the path).
    #[error("ephemeral nodes cannot have children: {0}")]
    NoChildrenForEphemerals(String),
    /// The server refused the ACL (the path).
    #[error("invalid ACL: {0}")]
    InvalidAcl(String),
    /// No watch of the asked kind exists (the path).
    #[error("no such watcher: {0}")]
    NoWatcher(String),
    /// A write was sent to a read-only server (the path).
    #[error("write refused by a read-only server: {0}")]
    NotReadOnly(String),
    /// The connection was lost before the reply came; the operation may or may not have happened.
    #[error("connection lost: {0}")]
    ConnectionLoss(String),
    /// The server did not answer in time.
    #[error("operation timed out: {0}")]
    OperationTimeout(String),
    /// The session expired; its ephemeral nodes and watches are gone.
    #[error("session expired")]
    SessionExpired,
    /// The server refused the credentials; the session is unusable.
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    /// The client was closed while the request was pending.
    #[error("client is closing")]
    Closing,
    /// The client is closed; nothing more can be sent.
    #[error("client is closed")]
    Closed,
    /// An argument is invalid (the reason).
    #[error("bad arguments: {0}")]
    BadArguments(String),
    /// The path breaks ZooKeeper's rules.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// The data exceeds what the server accepts (`jute.maxbuffer`).
    #[error("data too large: {len} bytes, the limit is {max}")]
    DataTooLarge {
        /// The length of the data.
        len: usize,
        /// The largest length accepted.
        max: usize,
    },
    /// A frame or record could not be encoded or decoded.
    #[error("malformed data: {0}")]
    Marshalling(String),
    /// Too many requests are queued while disconnected (the limit).
    #[error("too many queued requests ({0}) while disconnected")]
    QueueFull(usize),
    /// A wait of the caller timed out (what was waited for).
    #[error("timed out: {0}")]
    Timeout(String),
    /// The retry policy gave up (the last error).
    #[error("retry policy gave up: {0}")]
    RetryFailed(String),
    /// A retry or wait was interrupted (by close or the interrupt check).
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// Recipe code asks the retry policy to try again.
    #[error("retry requested: {0}")]
    ForceRetry(String),
    /// A blocking recipe call was cancelled by another thread (what was cancelled).
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// Waiting here could never finish (a callback waiting for its own client's result).
    #[error("waiting here would deadlock: {0}")]
    WouldDeadlock(String),
    /// No configuration key has this name.
    #[error("unknown configuration key {0:?}")]
    UnknownConfigKey(String),
    /// A configuration value is not valid for its key.
    #[error("invalid value for configuration key {key:?}: {reason}")]
    InvalidConfigValue {
        /// The key.
        key: String,
        /// Why the value is refused.
        reason: String,
    },
    /// The TLS settings cannot be used (which file, and why).
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// The server's certificate failed verification (which server, and why).
    #[error("TLS: {0}")]
    TlsCertificateRejected(String),
    /// The TLS handshake failed for another reason, such as the server refusing the client's certificate.
    #[error("TLS handshake failed: {0}")]
    TlsHandshake(String),
    /// Any other code from the server, with the path of the request.
    #[error("{} ({code}): {path}", code_message(*code))]
    Server {
        /// The code.
        code: Code,
        /// The path of the request, or what failed.
        path: String,
    },
}

/// The crate's result type.
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
            Error::Cancelled(_) => CANCELLED,
            Error::UnknownConfigKey(_) => UNKNOWN_CONFIG_KEY,
            Error::InvalidConfigValue { .. } => INVALID_CONFIG_VALUE,
            Error::TlsConfig(_) => TLS_CONFIG,
            Error::TlsCertificateRejected(_) => TLS_CERTIFICATE_REJECTED,
            Error::TlsHandshake(_) => SSL_CONNECTION_ERROR,
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

/// The name of a code (`"NO_NODE"`), or `"UNKNOWN"`.
pub fn code_name(code: Code) -> &'static str {
    CODE_TABLE.iter().find(|(c, _)| *c == code).map(|(_, n)| *n).unwrap_or("UNKNOWN")
}
