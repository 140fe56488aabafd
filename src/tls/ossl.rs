//! OpenSSL 3, loaded when the first TLS context is made (`dlopen("libssl.so.3")`), so a process that
//! never uses TLS never maps libssl or libcrypto (they cost more resident memory than the rest of the
//! client). The functions are resolved once into a table of typed pointers; the raw objects are wrapped
//! in owning types that free them on drop. The macros of OpenSSL's headers (`SSL_CTX_set_mode`,
//! `SSL_set_tlsext_host_name`, ...) are the `*_ctrl` calls they expand to, with the headers' constants.

use std::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void, CStr};
use std::io;
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

/// OpenSSL's opaque types: only ever behind pointers.
macro_rules! opaque {
    ($($name:ident),*) => { $( #[allow(non_camel_case_types, clippy::upper_case_acronyms)] #[repr(C)] pub(crate) struct $name { _private: [u8; 0] } )* };
}
opaque!(
    SSL_CTX,
    SSL,
    SSL_METHOD,
    SSL_CIPHER,
    X509_RAW,
    X509_STORE,
    EVP_PKEY,
    BIO,
    BIO_METHOD,
    ASN1_TIME,
    X509_VERIFY_PARAM
);

type PasswordCallback = unsafe extern "C" fn(*mut c_char, c_int, c_int, *mut c_void) -> c_int;

/// Declares the function table and how each entry is looked up by its C name.
macro_rules! openssl_functions {
    ($( fn $name:ident($($arg:ty),*) -> $ret:ty; )*) => {
        #[allow(non_snake_case)]
        struct Api {
            $( $name: unsafe extern "C" fn($($arg),*) -> $ret, )*
        }

        impl Api {
            /// SAFETY: `lib` is a live handle of libssl 3, whose functions have these C signatures
            /// (from OpenSSL 3's headers).
            unsafe fn resolve(lib: *mut c_void) -> Result<Api, String> {
                Ok(Api {
                    $( $name: {
                        let sym = libc::dlsym(lib, concat!(stringify!($name), "\0").as_ptr().cast());
                        if sym.is_null() {
                            return Err(format!("it has no {}", stringify!($name)));
                        }
                        std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) -> $ret>(sym)
                    }, )*
                })
            }
        }
    };
}

openssl_functions! {
    fn OPENSSL_init_ssl(u64, *const c_void) -> c_int;
    fn ERR_get_error() -> c_ulong;
    fn ERR_peek_last_error() -> c_ulong;
    fn ERR_clear_error() -> ();
    fn ERR_error_string_n(c_ulong, *mut c_char, usize) -> ();
    fn TLS_client_method() -> *const SSL_METHOD;
    fn SSL_CTX_new(*const SSL_METHOD) -> *mut SSL_CTX;
    fn SSL_CTX_free(*mut SSL_CTX) -> ();
    fn SSL_CTX_ctrl(*mut SSL_CTX, c_int, c_long, *mut c_void) -> c_long;
    fn SSL_CTX_set_options(*mut SSL_CTX, u64) -> u64;
    fn SSL_CTX_set_verify(*mut SSL_CTX, c_int, *const c_void) -> ();
    fn SSL_CTX_set_default_verify_paths(*mut SSL_CTX) -> c_int;
    fn SSL_CTX_set_cipher_list(*mut SSL_CTX, *const c_char) -> c_int;
    fn SSL_CTX_set_cert_store(*mut SSL_CTX, *mut X509_STORE) -> ();
    fn SSL_CTX_use_certificate(*mut SSL_CTX, *mut X509_RAW) -> c_int;
    fn SSL_CTX_use_PrivateKey(*mut SSL_CTX, *mut EVP_PKEY) -> c_int;
    fn SSL_CTX_check_private_key(*const SSL_CTX) -> c_int;
    fn SSL_new(*mut SSL_CTX) -> *mut SSL;
    fn SSL_free(*mut SSL) -> ();
    fn SSL_ctrl(*mut SSL, c_int, c_long, *mut c_void) -> c_long;
    fn SSL_get0_param(*mut SSL) -> *mut X509_VERIFY_PARAM;
    fn SSL_set_fd(*mut SSL, c_int) -> c_int;
    fn SSL_connect(*mut SSL) -> c_int;
    fn SSL_read(*mut SSL, *mut c_void, c_int) -> c_int;
    fn SSL_write(*mut SSL, *const c_void, c_int) -> c_int;
    fn SSL_get_error(*const SSL, c_int) -> c_int;
    fn SSL_pending(*const SSL) -> c_int;
    fn SSL_get_verify_result(*const SSL) -> c_long;
    fn SSL_get_version(*const SSL) -> *const c_char;
    fn SSL_get_current_cipher(*const SSL) -> *const SSL_CIPHER;
    fn SSL_CIPHER_get_name(*const SSL_CIPHER) -> *const c_char;
    fn X509_VERIFY_PARAM_set_hostflags(*mut X509_VERIFY_PARAM, c_uint) -> ();
    fn X509_VERIFY_PARAM_set1_host(*mut X509_VERIFY_PARAM, *const c_char, usize) -> c_int;
    fn X509_VERIFY_PARAM_set1_ip_asc(*mut X509_VERIFY_PARAM, *const c_char) -> c_int;
    fn X509_verify_cert_error_string(c_long) -> *const c_char;
    fn X509_STORE_new() -> *mut X509_STORE;
    fn X509_STORE_free(*mut X509_STORE) -> ();
    fn X509_STORE_add_cert(*mut X509_STORE, *mut X509_RAW) -> c_int;
    fn X509_free(*mut X509_RAW) -> ();
    fn X509_get0_notAfter(*const X509_RAW) -> *const ASN1_TIME;
    fn X509_cmp_current_time(*const ASN1_TIME) -> c_int;
    fn ASN1_TIME_print(*mut BIO, *const ASN1_TIME) -> c_int;
    fn EVP_PKEY_free(*mut EVP_PKEY) -> ();
    fn BIO_new(*const BIO_METHOD) -> *mut BIO;
    fn BIO_s_mem() -> *const BIO_METHOD;
    fn BIO_new_mem_buf(*const c_void, c_int) -> *mut BIO;
    fn BIO_read(*mut BIO, *mut c_void, c_int) -> c_int;
    fn BIO_free(*mut BIO) -> c_int;
    fn PEM_read_bio_X509(*mut BIO, *mut *mut X509_RAW, Option<PasswordCallback>, *mut c_void) -> *mut X509_RAW;
    fn PEM_read_bio_PrivateKey(*mut BIO, *mut *mut EVP_PKEY, Option<PasswordCallback>, *mut c_void) -> *mut EVP_PKEY;
}

// Constants from OpenSSL 3's ssl.h, tls1.h, prov_ssl.h, crypto.h, x509v3.h, err.h and pemerr.h.
const OPENSSL_INIT_LOAD_SSL_STRINGS: u64 = 0x0020_0000;
/// No cleanup at exit: other threads may still be using TLS while the process exits.
const OPENSSL_INIT_NO_ATEXIT: u64 = 0x0008_0000;
const SSL_CTRL_EXTRA_CHAIN_CERT: c_int = 14;
const SSL_CTRL_MODE: c_int = 33;
const SSL_CTRL_SET_TLSEXT_HOSTNAME: c_int = 55;
const SSL_CTRL_SET_MIN_PROTO_VERSION: c_int = 123;
const TLSEXT_NAMETYPE_HOST_NAME: c_long = 0;
const TLS1_2_VERSION: c_long = 0x0303;
const SSL_VERIFY_PEER: c_int = 1;
/// `SSL_OP_ALL` without `SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS` (the empty fragments are a defence
/// against an old CBC attack), and `SSL_OP_NO_COMPRESSION` (CRIME).
const SSL_OPTIONS: u64 = (1 << 31) | (1 << 4) | (1 << 6) | (1 << 17);
const SSL_MODE_ENABLE_PARTIAL_WRITE: c_long = 0x1;
const SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: c_long = 0x2;
const SSL_MODE_AUTO_RETRY: c_long = 0x4;
const SSL_MODE_RELEASE_BUFFERS: c_long = 0x10;
const X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: c_uint = 0x4;
const ERR_LIB_PEM: c_ulong = 9;
const PEM_R_NO_START_LINE: c_ulong = 108;
const CIPHERS: &[u8] = b"DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK\0";

/// `SSL_get_error` codes.
pub(crate) const ERROR_WANT_READ: c_int = 2;
pub(crate) const ERROR_WANT_WRITE: c_int = 3;
pub(crate) const ERROR_SYSCALL: c_int = 5;
pub(crate) const ERROR_ZERO_RETURN: c_int = 6;
/// `X509_V_OK`: the peer's certificate verified (or was not looked at yet).
pub(crate) const X509_V_OK: c_long = 0;

static API: OnceLock<Result<Api, String>> = OnceLock::new();

/// The library names tried in turn: OpenSSL 3's soname, then the development link (same ABI when it
/// points at OpenSSL 3; checked by the functions it must have).
const LIBRARIES: [&[u8]; 2] = [b"libssl.so.3\0", b"libssl.so\0"];

fn load() -> Result<Api, String> {
    load_from(&LIBRARIES)
}

/// The first of `names` that loads; a library without one of the functions is an error of its own
/// (a different OpenSSL under the name).
fn load_from(names: &[&[u8]]) -> Result<Api, String> {
    let mut why = Vec::new();
    for &name in names {
        // SAFETY: dlopen of a NUL-terminated name; the handle is never closed (the pointers in the
        // table live as long as the process). dlerror is read right after, on this thread.
        let lib = unsafe { libc::dlopen(name.as_ptr().cast(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if lib.is_null() {
            // SAFETY: dlerror returns NULL or a NUL-terminated message valid until the next dl call.
            let e = unsafe { libc::dlerror() };
            why.push(if e.is_null() {
                "cannot load it".to_string()
            } else {
                unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
            });
            continue;
        }
        // SAFETY: the handle is libssl; the table's signatures are OpenSSL 3's.
        let api = unsafe { Api::resolve(lib) }.map_err(|e| format!("{}: {e}", cstr_name(name)))?;
        // SAFETY: a plain initialisation call with no settings.
        if unsafe { (api.OPENSSL_init_ssl)(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_ATEXIT, ptr::null()) } != 1 {
            return Err(format!("{}: OPENSSL_init_ssl failed", cstr_name(name)));
        }
        return Ok(api);
    }
    Err(why.join("; "))
}

fn cstr_name(name: &[u8]) -> &str {
    std::str::from_utf8(&name[..name.len() - 1]).unwrap_or("libssl")
}

/// The loaded library, or why it cannot be used.
fn api() -> Result<&'static Api, String> {
    API.get_or_init(load).as_ref().map_err(|e| format!("TLS needs OpenSSL 3 (libssl.so.3): {e}"))
}

/// Loads libssl (once per process); the error says why it cannot be used.
pub(crate) fn load_library() -> Result<(), String> {
    api().map(|_| ())
}

/// Whether libssl is loaded already (it is only after a TLS context was made).
fn loaded() -> &'static Api {
    match API.get() {
        Some(Ok(api)) => api,
        // Every object below is made through `api()` first, so this cannot be reached.
        _ => unreachable!("OpenSSL used before it was loaded"),
    }
}

/// Takes this thread's OpenSSL error queue, as text (empty when OpenSSL recorded nothing).
fn take_errors(api: &Api) -> String {
    let mut all = Vec::new();
    loop {
        // SAFETY: ERR_get_error pops this thread's queue; ERR_error_string_n writes at most len bytes
        // including the NUL.
        let code = unsafe { (api.ERR_get_error)() };
        if code == 0 {
            return all.join(", ");
        }
        let mut buf = [0 as c_char; 256];
        unsafe { (api.ERR_error_string_n)(code, buf.as_mut_ptr(), buf.len()) };
        all.push(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned());
    }
}

/// The result of a call that returns 1 on success: the error queue as the error otherwise.
fn check(api: &Api, ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        let e = take_errors(api);
        Err(if e.is_empty() { "unknown OpenSSL error".into() } else { e })
    }
}

/// An owned pointer freed by `free` on drop.
macro_rules! owned {
    ($(#[$doc:meta])* $name:ident($raw:ident), $free:ident) => {
        $(#[$doc])*
        pub(crate) struct $name(NonNull<$raw>);

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the pointer is owned by this value and freed only here.
                unsafe { (loaded().$free)(self.0.as_ptr()) };
            }
        }

        // SAFETY: OpenSSL objects may move between threads (one thread at a time uses them).
        unsafe impl Send for $name {}
    };
}

owned!(
    /// A certificate.
    X509(X509_RAW),
    X509_free
);
owned!(
    /// A private key.
    PKey(EVP_PKEY),
    EVP_PKEY_free
);
owned!(
    /// The settings and certificates connections are made with.
    SslContext(SSL_CTX),
    SSL_CTX_free
);
owned!(
    /// One TLS connection.
    Ssl(SSL),
    SSL_free
);
owned!(
    /// A certificate store being filled.
    Store(X509_STORE),
    X509_STORE_free
);

// SAFETY: a finished context is only read (SSL_new from several threads), which OpenSSL allows.
unsafe impl Sync for SslContext {}

/// A memory BIO over `data` (read-only, borrowed for its lifetime).
struct MemBio<'a>(NonNull<BIO>, std::marker::PhantomData<&'a [u8]>);

impl<'a> MemBio<'a> {
    fn new(api: &Api, data: &'a [u8]) -> Result<MemBio<'a>, String> {
        let len = c_int::try_from(data.len()).map_err(|_| "the file is too large".to_string())?;
        // SAFETY: the BIO reads `data`, which outlives it (the lifetime 'a).
        let bio = unsafe { (api.BIO_new_mem_buf)(data.as_ptr().cast(), len) };
        NonNull::new(bio).map(|b| MemBio(b, std::marker::PhantomData)).ok_or_else(|| take_errors(api))
    }
}

impl Drop for MemBio<'_> {
    fn drop(&mut self) {
        // SAFETY: owned by this value.
        unsafe { (loaded().BIO_free)(self.0.as_ptr()) };
    }
}

impl X509 {
    /// Every certificate in a PEM file, in order (other PEM blocks such as keys are skipped). A file
    /// without any is an empty list.
    pub fn stack_from_pem(pem: &[u8]) -> Result<Vec<X509>, String> {
        let api = api()?;
        // SAFETY: clears this thread's queue so only this parse's errors are looked at.
        unsafe { (api.ERR_clear_error)() };
        let bio = MemBio::new(api, pem)?;
        let mut certs = Vec::new();
        loop {
            // SAFETY: reads the next certificate from the BIO; NULL at the end or on an error.
            let x = unsafe { (api.PEM_read_bio_X509)(bio.0.as_ptr(), ptr::null_mut(), None, ptr::null_mut()) };
            match NonNull::new(x) {
                Some(x) => certs.push(X509(x)),
                None => {
                    // The end of the input is "no start line" (PEM library); anything else is an error.
                    let last = unsafe { (api.ERR_peek_last_error)() };
                    let lib = (last >> 23) & 0xff;
                    let reason = last & 0x7f_ffff;
                    let system = last & 0x8000_0000 != 0;
                    if !system && lib == ERR_LIB_PEM && reason == PEM_R_NO_START_LINE {
                        unsafe { (api.ERR_clear_error)() };
                        return Ok(certs);
                    }
                    return Err(take_errors(api));
                }
            }
        }
    }

    /// The end of the validity period, as text, when it has passed.
    pub fn expired_on(&self) -> Option<String> {
        let api = loaded();
        // SAFETY: the time belongs to the certificate, alive while `self` is; the memory BIO is freed
        // here after its text is read.
        unsafe {
            let t = (api.X509_get0_notAfter)(self.0.as_ptr());
            if t.is_null() || (api.X509_cmp_current_time)(t) >= 0 {
                return None;
            }
            let bio = (api.BIO_new)((api.BIO_s_mem)());
            if bio.is_null() {
                return Some("an earlier date".into());
            }
            let mut buf = [0u8; 64];
            let n = if (api.ASN1_TIME_print)(bio, t) == 1 {
                (api.BIO_read)(bio, buf.as_mut_ptr().cast(), buf.len() as c_int)
            } else {
                0
            };
            (api.BIO_free)(bio);
            (api.ERR_clear_error)();
            Some(String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned())
        }
    }
}

/// Gives OpenSSL the password, or nothing (0 bytes: no prompt on the terminal, the read fails).
unsafe extern "C" fn give_password(buf: *mut c_char, size: c_int, _rwflag: c_int, u: *mut c_void) -> c_int {
    // SAFETY: `u` is the `&[u8]` passed by `PKey::private_key_from_pem`, alive during the call.
    let pw = unsafe { *(u as *const &[u8]) };
    if pw.len() > size.max(0) as usize {
        return 0;
    }
    // SAFETY: `buf` has room for `size` bytes, checked above.
    unsafe { ptr::copy_nonoverlapping(pw.as_ptr(), buf.cast::<u8>(), pw.len()) };
    pw.len() as c_int
}

impl PKey {
    /// The first private key of a PEM file, decrypted with `password` when it is encrypted.
    pub fn private_key_from_pem(pem: &[u8], password: &[u8]) -> Result<PKey, String> {
        let api = api()?;
        unsafe { (api.ERR_clear_error)() };
        let bio = MemBio::new(api, pem)?;
        let mut pw: &[u8] = password;
        // SAFETY: the callback reads `pw` through the pointer during this call only.
        let key = unsafe {
            (api.PEM_read_bio_PrivateKey)(
                bio.0.as_ptr(),
                ptr::null_mut(),
                Some(give_password),
                (&mut pw as *mut &[u8]).cast(),
            )
        };
        NonNull::new(key).map(PKey).ok_or_else(|| take_errors(api))
    }
}

impl SslContext {
    /// A client context: TLS 1.2 or later, the peer's certificate verified against the system's CAs
    /// (until [`SslContext::trust_only`]), strong ciphers.
    pub fn new_client() -> Result<SslContext, String> {
        let api = api()?;
        // SAFETY: plain calls on the context made here; the cipher list is NUL-terminated.
        unsafe {
            (api.ERR_clear_error)();
            let ctx = NonNull::new((api.SSL_CTX_new)((api.TLS_client_method)())).ok_or_else(|| take_errors(api))?;
            let ctx = SslContext(ctx);
            let raw = ctx.0.as_ptr();
            (api.SSL_CTX_set_options)(raw, SSL_OPTIONS);
            let mode = SSL_MODE_ENABLE_PARTIAL_WRITE
                | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                | SSL_MODE_AUTO_RETRY
                | SSL_MODE_RELEASE_BUFFERS;
            (api.SSL_CTX_ctrl)(raw, SSL_CTRL_MODE, mode, ptr::null_mut());
            check(api, (api.SSL_CTX_set_default_verify_paths)(raw) == 1)?;
            check(api, (api.SSL_CTX_set_cipher_list)(raw, CIPHERS.as_ptr().cast()) == 1)?;
            check(api, (api.SSL_CTX_ctrl)(raw, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, ptr::null_mut()) == 1)?;
            (api.SSL_CTX_set_verify)(raw, SSL_VERIFY_PEER, ptr::null());
            Ok(ctx)
        }
    }

    /// Trusts exactly these CAs (the system's store is dropped). Errors name the certificate's position.
    pub fn trust_only(&mut self, cas: &[X509]) -> Result<(), String> {
        let api = loaded();
        // SAFETY: the store is owned until handed to the context, which then owns it; adding a
        // certificate takes a reference of its own.
        unsafe {
            (api.ERR_clear_error)();
            let store = Store(NonNull::new((api.X509_STORE_new)()).ok_or_else(|| take_errors(api))?);
            for c in cas {
                check(api, (api.X509_STORE_add_cert)(store.0.as_ptr(), c.0.as_ptr()) == 1)?;
            }
            let store = std::mem::ManuallyDrop::new(store);
            (api.SSL_CTX_set_cert_store)(self.0.as_ptr(), store.0.as_ptr());
        }
        Ok(())
    }

    /// The client certificate (the context takes a reference of its own).
    pub fn use_certificate(&mut self, cert: &X509) -> Result<(), String> {
        let api = loaded();
        // SAFETY: both objects are alive; OpenSSL increments the certificate's reference count.
        unsafe {
            (api.ERR_clear_error)();
            check(api, (api.SSL_CTX_use_certificate)(self.0.as_ptr(), cert.0.as_ptr()) == 1)
        }
    }

    /// An intermediate certificate sent after the client certificate (the context takes it over).
    pub fn add_extra_chain_cert(&mut self, cert: X509) -> Result<(), String> {
        let api = loaded();
        // SAFETY: on success the context owns the certificate, so it is not freed here.
        unsafe {
            (api.ERR_clear_error)();
            let ok = (api.SSL_CTX_ctrl)(self.0.as_ptr(), SSL_CTRL_EXTRA_CHAIN_CERT, 0, cert.0.as_ptr().cast()) == 1;
            check(api, ok)?;
        }
        std::mem::forget(cert);
        Ok(())
    }

    /// The client certificate's private key, checked against the certificate.
    pub fn use_private_key(&mut self, key: &PKey) -> Result<(), String> {
        let api = loaded();
        // SAFETY: both objects are alive; OpenSSL increments the key's reference count.
        unsafe {
            (api.ERR_clear_error)();
            check(api, (api.SSL_CTX_use_PrivateKey)(self.0.as_ptr(), key.0.as_ptr()) == 1)?;
            check(api, (api.SSL_CTX_check_private_key)(self.0.as_ptr()) == 1)
        }
    }
}

/// A failed `SSL_connect`, `SSL_read` or `SSL_write`: the `SSL_get_error` code, the socket's error when
/// a system call failed, and OpenSSL's error queue (empty when it recorded nothing).
#[derive(Debug)]
pub(crate) struct SslFailure {
    pub code: c_int,
    pub os: Option<io::Error>,
    pub stack: String,
}

impl Ssl {
    /// A connection of `ctx` over the socket `fd`, which the caller keeps open for its lifetime.
    pub fn new(ctx: &SslContext, fd: c_int) -> Result<Ssl, String> {
        let api = loaded();
        // SAFETY: the connection holds its own reference to the context.
        unsafe {
            (api.ERR_clear_error)();
            let ssl = Ssl(NonNull::new((api.SSL_new)(ctx.0.as_ptr())).ok_or_else(|| take_errors(api))?);
            check(api, (api.SSL_set_fd)(ssl.0.as_ptr(), fd) == 1)?;
            Ok(ssl)
        }
    }

    /// Sends `name` as the server name (SNI).
    pub fn set_server_name(&mut self, name: &str) -> Result<(), String> {
        let api = loaded();
        let name = std::ffi::CString::new(name).map_err(|_| "a host name with a NUL byte".to_string())?;
        // SAFETY: OpenSSL copies the NUL-terminated name.
        unsafe {
            let ok = (api.SSL_ctrl)(
                self.0.as_ptr(),
                SSL_CTRL_SET_TLSEXT_HOSTNAME,
                TLSEXT_NAMETYPE_HOST_NAME,
                name.as_ptr() as *mut c_void,
            ) == 1;
            check(api, ok)
        }
    }

    /// Requires the peer's certificate to be for `host`: a DNS name (no partial wildcards), or, when
    /// `is_ip`, an address matched against the IP subject alternative names.
    pub fn verify_host(&mut self, host: &str, is_ip: bool) -> Result<(), String> {
        let api = loaded();
        let c = std::ffi::CString::new(host).map_err(|_| "a host name with a NUL byte".to_string())?;
        // SAFETY: the parameters belong to the connection; OpenSSL copies the name.
        unsafe {
            let param = (api.SSL_get0_param)(self.0.as_ptr());
            (api.X509_VERIFY_PARAM_set_hostflags)(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            let ok = if is_ip {
                (api.X509_VERIFY_PARAM_set1_ip_asc)(param, c.as_ptr())
            } else {
                (api.X509_VERIFY_PARAM_set1_host)(param, c.as_ptr(), host.len())
            };
            check(api, ok == 1)
        }
    }

    /// Why the last call returning `ret` failed. Called right after it, before errno can change.
    fn failure(&self, api: &Api, ret: c_int) -> SslFailure {
        let errno = io::Error::last_os_error();
        // SAFETY: a query of the connection's state after the failed call.
        let code = unsafe { (api.SSL_get_error)(self.0.as_ptr(), ret) };
        let os = (ret < 0 && errno.raw_os_error().is_some_and(|e| e != 0)).then_some(errno);
        SslFailure { code, os, stack: take_errors(api) }
    }

    /// Runs one I/O call of OpenSSL on this connection with a clean error queue: its positive result, or
    /// why it failed.
    fn io_call(&mut self, call: impl FnOnce(&Api, *mut SSL) -> c_int) -> Result<c_int, SslFailure> {
        let api = loaded();
        // SAFETY: clearing this thread's error queue, so a failure reports only its own errors.
        unsafe { (api.ERR_clear_error)() };
        let ret = call(api, self.0.as_ptr());
        if ret > 0 {
            Ok(ret)
        } else {
            Err(self.failure(api, ret))
        }
    }

    /// Runs the handshake (blocking or not, as the socket is).
    pub fn connect(&mut self) -> Result<(), SslFailure> {
        // SAFETY: the connection and its socket are alive.
        self.io_call(|api, ssl| unsafe { (api.SSL_connect)(ssl) }).map(|_| ())
    }

    /// Reads decrypted bytes into `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, SslFailure> {
        let len = buf.len().min(c_int::MAX as usize) as c_int;
        // SAFETY: OpenSSL writes at most `len` bytes into `buf`.
        self.io_call(|api, ssl| unsafe { (api.SSL_read)(ssl, buf.as_mut_ptr().cast(), len) }).map(|n| n as usize)
    }

    /// Encrypts and sends bytes of `buf` (maybe not all: partial writes are on).
    pub fn write(&mut self, buf: &[u8]) -> Result<usize, SslFailure> {
        let len = buf.len().min(c_int::MAX as usize) as c_int;
        // SAFETY: OpenSSL reads at most `len` bytes of `buf`.
        self.io_call(|api, ssl| unsafe { (api.SSL_write)(ssl, buf.as_ptr().cast(), len) }).map(|n| n as usize)
    }

    /// Decrypted bytes waiting inside OpenSSL.
    pub fn pending(&self) -> usize {
        // SAFETY: a query of the connection.
        unsafe { (loaded().SSL_pending)(self.0.as_ptr()) }.max(0) as usize
    }

    /// The result of verifying the peer's certificate (`X509_V_OK` or an `X509_V_ERR_*` code).
    pub fn verify_result(&self) -> c_long {
        // SAFETY: a query of the connection.
        unsafe { (loaded().SSL_get_verify_result)(self.0.as_ptr()) }
    }

    /// The protocol version and cipher, for the log.
    pub fn describe(&self) -> String {
        let api = loaded();
        let text = |p: *const c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: OpenSSL returns static NUL-terminated names.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        // SAFETY: queries of the connection; a NULL cipher is handled by SSL_CIPHER_get_name's caller.
        unsafe {
            let version = text((api.SSL_get_version)(self.0.as_ptr()));
            let cipher = (api.SSL_get_current_cipher)(self.0.as_ptr());
            let cipher = if cipher.is_null() { String::new() } else { text((api.SSL_CIPHER_get_name)(cipher)) };
            format!("{version} {cipher}")
        }
    }
}

/// OpenSSL's text for an `X509_V_ERR_*` code.
pub(crate) fn verify_error_string(code: c_long) -> String {
    // SAFETY: returns a static NUL-terminated string for any code.
    let p = unsafe { (loaded().X509_verify_cert_error_string)(code) };
    if p.is_null() {
        format!("verification error {code}")
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_or_function_is_a_clear_error() {
        let e = load_from(&[b"libzkrs-no-such-ssl.so.3\0"]).err().unwrap();
        assert!(e.contains("libzkrs-no-such-ssl.so.3"), "{e}");
        // A library that loads but is not libssl: the first missing function is named.
        let e = load_from(&[b"libzkrs-no-such-ssl.so.3\0", b"libm.so.6\0"]).err().unwrap();
        assert_eq!(e, "libm.so.6: it has no OPENSSL_init_ssl");
    }

    #[test]
    fn libssl_3_loads_and_reads_pem() {
        load_library().unwrap();
        assert!(X509::stack_from_pem(b"not PEM at all\n").unwrap().is_empty());
        let e = X509::stack_from_pem(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").err().unwrap();
        assert!(!e.is_empty());
        assert_eq!(verify_error_string(X509_V_OK), "ok");
    }
}
