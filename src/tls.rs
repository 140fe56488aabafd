//! TLS with OpenSSL: the context built once from the `tls.*` settings (so a bad file is an error of
//! `Client::new`, not a retry loop), the handshake with hostname verification, and the stream the I/O
//! thread drives without blocking. OpenSSL is loaded at run time by [`ossl`], when the first TLS
//! context is made: clients without TLS never map it.

mod ossl;

use crate::config::TlsConfig;
use crate::error::{Error, Result};
use crate::hosts::HostPort;
use crate::session::transport::Transport;
use ossl::{PKey, Ssl, SslContext, SslFailure, X509};
use parking_lot::Mutex;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Everything needed to open TLS connections. The files are read at creation, and again before a
/// connection when one of them changed (rotated certificates are picked up on the next reconnect).
pub(crate) struct TlsContext {
    config: TlsConfig,
    loaded: Mutex<Loaded>,
    verify_hostname: bool,
    has_client_cert: bool,
    ca_file: Option<PathBuf>,
}

struct Loaded {
    connector: Arc<SslContext>,
    stamps: Vec<Option<(SystemTime, u64)>>,
}

/// When and how big each configured file is: a change means a reload.
fn stamps(config: &TlsConfig) -> Vec<Option<(SystemTime, u64)>> {
    [&config.ca_file, &config.cert_file, &config.key_file]
        .into_iter()
        .flatten()
        .map(|p| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len()))))
        .collect()
}

fn read_file(key: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::TlsConfig(format!("{key} {}: cannot read it: {e}", path.display())))
}

fn certificates(key: &str, path: &Path, pem: &[u8]) -> Result<Vec<X509>> {
    let certs = X509::stack_from_pem(pem)
        .map_err(|e| Error::TlsConfig(format!("{key} {}: not a PEM certificate file: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::TlsConfig(format!("{key} {}: no PEM certificate in it", path.display())));
    }
    Ok(certs)
}

fn private_key(key_path: &Path, pem: &[u8], password: Option<&str>) -> Result<PKey> {
    let encrypted = pem.windows(9).any(|w| w == b"ENCRYPTED");
    // The password goes through a callback even when empty, so OpenSSL never prompts on the terminal.
    let key = PKey::private_key_from_pem(pem, password.unwrap_or("").as_bytes());
    key.map_err(|_| {
        let why = match (encrypted, password.is_some()) {
            (true, false) => "the key is encrypted and tls.key_password is not set",
            (true, true) => "cannot decrypt the key: tls.key_password is wrong",
            (false, _) => "no usable PEM private key in it",
        };
        Error::TlsConfig(format!("tls.key_file {}: {why}", key_path.display()))
    })
}

impl TlsContext {
    /// The context for `config`, `None` when TLS is off.
    pub fn new(config: &TlsConfig) -> Result<Option<TlsContext>> {
        if !config.enabled {
            return Ok(None);
        }
        ossl::load_library().map_err(Error::TlsConfig)?;
        let stamps = stamps(config);
        let connector = Arc::new(Self::build(config)?);
        if !config.verify_hostname {
            warn!(
                "TLS hostname verification is off (tls.verify_hostname=false): any certificate from a trusted CA \
                 is accepted for any server"
            );
        }
        Ok(Some(TlsContext {
            config: config.clone(),
            loaded: Mutex::new(Loaded { connector, stamps }),
            verify_hostname: config.verify_hostname,
            has_client_cert: config.cert_file.is_some(),
            ca_file: config.ca_file.clone(),
        }))
    }

    /// The connector for the next connection, rebuilt first if a file changed. Files that changed into
    /// something unusable (half written, say) leave the previous ones in use, with a warning.
    fn connector(&self) -> Arc<SslContext> {
        let mut loaded = self.loaded.lock();
        let now = stamps(&self.config);
        if now != loaded.stamps {
            loaded.stamps = now;
            match Self::build(&self.config) {
                Ok(c) => {
                    info!("TLS files changed; the next connections use them");
                    loaded.connector = Arc::new(c);
                }
                Err(e) => warn!("{e}; the TLS files changed into something unusable, keeping the previous ones"),
            }
        }
        loaded.connector.clone()
    }

    fn build(config: &TlsConfig) -> Result<SslContext> {
        let setup = |e: String| Error::TlsConfig(format!("cannot set up OpenSSL: {e}"));
        let mut b = SslContext::new_client().map_err(setup)?;
        if let Some(ca) = &config.ca_file {
            // Only the given CAs: the system store stays out when a CA file is named.
            let certs = certificates("tls.ca_file", ca, &read_file("tls.ca_file", ca)?)?;
            b.trust_only(&certs).map_err(|e| {
                Error::TlsConfig(format!("tls.ca_file {}: cannot use a certificate: {e}", ca.display()))
            })?;
        }
        match (&config.cert_file, &config.key_file) {
            (None, None) => {}
            (None, Some(_)) => return Err(Error::TlsConfig("tls.key_file is set but tls.cert_file is not".into())),
            (Some(cert_path), key_path) => {
                let pem = read_file("tls.cert_file", cert_path)?;
                let mut chain = certificates("tls.cert_file", cert_path, &pem)?.into_iter();
                let leaf = chain.next().expect("certificates() returns at least one");
                warn_if_expired(cert_path, &leaf);
                let (key_path, key_pem) = match key_path {
                    Some(k) => (k.as_path(), read_file("tls.key_file", k)?),
                    None if pem.windows(11).any(|w| w == b"PRIVATE KEY") => (cert_path.as_path(), pem.clone()),
                    None => {
                        return Err(Error::TlsConfig(format!(
                            "tls.cert_file {} has no private key in it and tls.key_file is not set",
                            cert_path.display()
                        )))
                    }
                };
                let key = private_key(key_path, &key_pem, config.key_password.as_ref().map(|s| s.expose()))?;
                b.use_certificate(&leaf).map_err(|e| {
                    Error::TlsConfig(format!("tls.cert_file {}: unusable certificate: {e}", cert_path.display()))
                })?;
                for extra in chain {
                    b.add_extra_chain_cert(extra).map_err(setup)?;
                }
                let mismatch = || {
                    Error::TlsConfig(format!(
                        "tls.key_file {} does not match the certificate in tls.cert_file {}",
                        key_path.display(),
                        cert_path.display()
                    ))
                };
                b.use_private_key(&key).map_err(|_| mismatch())?;
            }
        }
        Ok(b)
    }

    /// Runs the handshake on a connected, blocking socket (its timeouts bound the handshake).
    pub fn connect(&self, host: &HostPort, tcp: TcpStream) -> Result<TlsStream> {
        let setup = |e: String| Error::TlsHandshake(format!("{host}: cannot set up TLS: {e}"));
        let mut ssl = Ssl::new(&self.connector(), tcp.as_raw_fd()).map_err(setup)?;
        // The name in the connect string: a DNS name (also sent as SNI), or an address checked against IP SANs.
        let is_ip = host.host.parse::<std::net::IpAddr>().is_ok();
        if !is_ip {
            ssl.set_server_name(&host.host).map_err(setup)?;
        }
        if self.verify_hostname {
            ssl.verify_host(&host.host, is_ip).map_err(setup)?;
        }
        match ssl.connect() {
            Ok(()) => {
                debug!("TLS to {host}: {}", ssl.describe());
                Ok(TlsStream { ssl, tcp, read_wants_write: false })
            }
            Err(e) => {
                let verify = ssl.verify_result();
                if verify != ossl::X509_V_OK {
                    return Err(self.rejected(host, verify));
                }
                if !e.stack.is_empty() {
                    return Err(self.refused(host, &e.stack));
                }
                let what = match e.os {
                    _ if matches!(e.code, ossl::ERROR_WANT_READ | ossl::ERROR_WANT_WRITE) => "timed out".to_string(),
                    Some(io) if matches!(io.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                        "timed out".to_string()
                    }
                    Some(io) => io.to_string(),
                    None => "the server closed the connection".to_string(),
                };
                Err(Error::ConnectionLoss(format!("TLS handshake with {host}: {what}")))
            }
        }
    }

    fn rejected(&self, host: &HostPort, verify: std::ffi::c_long) -> Error {
        // Codes from OpenSSL's x509_vfy.h.
        let hint = match verify {
            62 | 64 => format!(" (the certificate is not for {})", host.host),
            2 | 18 | 19 | 20 | 21 => match &self.ca_file {
                Some(ca) => format!(" (it is not signed by a CA in tls.ca_file {})", ca.display()),
                None => " (it is not signed by a CA in the system's store; set tls.ca_file)".into(),
            },
            _ => String::new(),
        };
        Error::TlsCertificateRejected(format!(
            "the certificate of {host} was rejected: {}{hint}",
            ossl::verify_error_string(verify)
        ))
    }

    fn refused(&self, host: &HostPort, reason: &str) -> Error {
        let alert = reason.contains("alert");
        let hint = if reason.contains("wrong version number") || reason.contains("packet length too long") {
            "; the server does not speak TLS on this port"
        } else if alert && !self.has_client_cert {
            "; the server probably requires a client certificate (tls.cert_file, tls.key_file)"
        } else if alert {
            "; the server did not accept the client certificate"
        } else {
            ""
        };
        Error::TlsHandshake(format!("{host} refused the TLS handshake: {reason}{hint}"))
    }

    /// A TLS failure behind an I/O error of an established stream (TLS 1.3 servers refuse a client
    /// certificate only after the handshake), as a clear error.
    pub fn classify(&self, host: &HostPort, e: &io::Error) -> Option<Error> {
        let failure = e.get_ref()?.downcast_ref::<OpenSslError>()?;
        Some(self.refused(host, &failure.0))
    }
}

fn warn_if_expired(path: &Path, cert: &X509) {
    if let Some(when) = cert.expired_on() {
        warn!("tls.cert_file {}: the certificate expired on {when}", path.display());
    }
}

/// OpenSSL's error queue behind an I/O error of an established stream (see [`TlsContext::classify`]).
#[derive(Debug)]
struct OpenSslError(String);

impl std::fmt::Display for OpenSslError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenSslError {}

/// A failed read or write as an I/O error: OpenSSL's reason when it gave one, else the socket's.
fn io_error(e: SslFailure) -> io::Error {
    match e.os {
        _ if !e.stack.is_empty() => io::Error::other(OpenSslError(e.stack)),
        Some(os) => os,
        None => io::Error::other(format!("TLS failed (SSL_get_error {})", e.code)),
    }
}

/// A TLS connection the I/O thread reads and writes without blocking. OpenSSL's `WANT_READ` and
/// `WANT_WRITE` become `WouldBlock`; a read that needs to write first (a TLS 1.3 key update, say) is
/// remembered so the loop waits for the socket to be writable and reads again.
pub(crate) struct TlsStream {
    // Declared before the socket: the connection is freed before the socket is closed.
    ssl: Ssl,
    tcp: TcpStream,
    read_wants_write: bool,
}

fn would_block() -> io::Error {
    io::Error::from(io::ErrorKind::WouldBlock)
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_wants_write = false;
        if buf.is_empty() {
            return Ok(0);
        }
        match self.ssl.read(buf) {
            Ok(n) => Ok(n),
            Err(e) => match e.code {
                ossl::ERROR_ZERO_RETURN => Ok(0),
                // OpenSSL reads past records without application data itself (SSL_MODE_AUTO_RETRY),
                // so this means the socket has nothing more for now.
                ossl::ERROR_WANT_READ => Err(would_block()),
                ossl::ERROR_WANT_WRITE => {
                    self.read_wants_write = true;
                    Err(would_block())
                }
                // End of file without close_notify: the server closed (four-letter words do this).
                ossl::ERROR_SYSCALL if e.os.is_none() && e.stack.is_empty() => Ok(0),
                _ => Err(io_error(e)),
            },
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.ssl.write(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.code, ossl::ERROR_WANT_READ | ossl::ERROR_WANT_WRITE) => Err(would_block()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for TlsStream {
    fn fd(&self) -> RawFd {
        self.tcp.as_raw_fd()
    }
    fn set_nonblocking(&mut self) -> io::Result<()> {
        self.tcp.set_nonblocking(true)
    }
    fn has_buffered_input(&self) -> bool {
        self.ssl.pending() > 0
    }
    fn read_wants_write(&self) -> bool {
        self.read_wants_write
    }
}
