//! TLS over TCP (feature `tls`): rustls with the `ring` provider, TLS 1.2 minimum, the CA of
//! `ca.pem`, the client certificate of `cert.pem`/`key.pem` (mutual TLS), as moby's client
//! does with `DOCKER_CERT_PATH`. The socket is non-blocking and every wait is a `poll` outside
//! the session's lock, so the reader and the writer of a split hijacked stream share one
//! session from two threads.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection};

use crate::endpoint::{TcpEndpoint, TlsFiles};
use crate::error::{Error, Result};
use crate::TimeoutKind;

use super::transport::wait_fd;

/// The largest plaintext piece handed to the session per write.
const MAX_WRITE: usize = 16 * 1024;
/// How long closing the write side waits for its `close_notify` to leave.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

struct Session {
    conn: ClientConnection,
    sock: TcpStream,
}

/// One TLS session; clones share it (the writer half of a split stream).
#[derive(Clone)]
pub(crate) struct TlsStream {
    session: Arc<Mutex<Session>>,
    /// The same socket (`dup`), for `poll` without the lock.
    poll: Arc<TcpStream>,
}

/// The client configuration for `files`: read once per client.
pub(crate) fn client_config(files: &TlsFiles) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Config(format!("TLS: {e}")))?;
    let builder = if files.verify {
        let ca = files.ca.as_ref().ok_or_else(|| {
            Error::Config(
                "TLS: verifying the daemon needs a CA (ca.pem), and none was given".into(),
            )
        })?;
        let mut roots = rustls::RootCertStore::empty();
        let certs = read_certs(ca)?;
        for cert in certs {
            roots.add(cert).map_err(|e| {
                Error::Config(format!(
                    "TLS: {} holds an unusable CA certificate: {e}",
                    ca.display()
                ))
            })?;
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    };
    let config = match &files.client {
        Some((cert, key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                Error::Config(format!(
                    "TLS: no private key read from {}: {e}",
                    key.display()
                ))
            })?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                Error::Config(format!(
                    "TLS: the client certificate {} and its key do not go together: {e}",
                    cert.display()
                ))
            })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn read_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| {
            Error::Config(format!(
                "TLS: reading certificates from {}: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "TLS: {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// A rustls error as an I/O error whose text says what to check.
fn explain(e: rustls::Error, what: &str) -> io::Error {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let text = match &e {
        E::InvalidCertificate(C::UnknownIssuer) => format!(
            "TLS: the daemon's certificate is not signed by the CA of ca.pem (check \
             DOCKER_CERT_PATH or the context's TLS files) [{e}]"
        ),
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("TLS: the daemon's certificate has expired [{e}]")
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("TLS: the daemon's certificate is not valid yet [{e}]")
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!("TLS: the daemon's certificate is not valid for {what} [{e}]")
        }
        E::AlertReceived(
            a @ (A::CertificateRequired
            | A::BadCertificate
            | A::CertificateExpired
            | A::UnknownCA
            | A::CertificateUnknown
            | A::HandshakeFailure),
        ) => format!(
            "TLS: the daemon refused this client's certificate ({a:?}): it needs a client \
             certificate (cert.pem, key.pem) signed by its --tlscacert, and valid now"
        ),
        _ => format!("TLS: {e}"),
    };
    io::Error::new(io::ErrorKind::InvalidData, text)
}

impl TlsStream {
    /// Connects: the handshake over `sock` (just connected), bounded by `deadline`.
    pub(crate) fn handshake(
        sock: TcpStream,
        endpoint: &TcpEndpoint,
        config: Arc<ClientConfig>,
        deadline: Option<Instant>,
    ) -> Result<TlsStream> {
        let target = format!(
            "{}:{}",
            super::transport::bracket(&endpoint.host),
            endpoint.port
        );
        let context = || format!("TLS handshake with {target}");
        let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| {
            Error::Config(format!(
                "TLS: {:?} is not a server name: {e}",
                endpoint.host
            ))
        })?;
        let mut conn = ClientConnection::new(config, name)
            .map_err(|e| Error::io(context(), explain(e, &target)))?;
        sock.set_nonblocking(true)
            .map_err(|e| Error::io(context(), e))?;
        let poll = sock.try_clone().map_err(|e| Error::io(context(), e))?;
        let mut sock = sock;
        let wait = |flags| -> Result<()> {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(Error::timeout(TimeoutKind::Connect));
            }
            match wait_fd(&poll, flags, left) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Error::timeout(TimeoutKind::Connect)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
                Err(e) => Err(Error::io(context(), e)),
            }
        };
        use rustix::event::PollFlags;
        while conn.is_handshaking() || conn.wants_write() {
            if conn.wants_write() {
                match conn.write_tls(&mut sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(PollFlags::OUT)?,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(context(), e)),
                }
                continue;
            }
            match conn.read_tls(&mut sock) {
                Ok(0) => {
                    return Err(Error::io(
                        context(),
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the daemon closed the connection during the handshake (is it \
                             serving TLS on that port?)",
                        ),
                    ))
                }
                Ok(_) => {
                    if let Err(e) = conn.process_new_packets() {
                        // The alert that says why goes out before the error is reported.
                        let _ = conn.write_tls(&mut sock);
                        return Err(Error::io(context(), explain(e, &target)));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(PollFlags::IN)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(context(), e)),
            }
        }
        Ok(TlsStream {
            session: Arc::new(Mutex::new(Session { conn, sock })),
            poll: Arc::new(poll),
        })
    }

    /// Reads plaintext, waiting `wait` at most; `Ok(0)` at the end of the stream.
    pub(crate) fn read_wait(
        &mut self,
        buf: &mut [u8],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        use rustix::event::PollFlags;
        let deadline = wait.and_then(|w| Instant::now().checked_add(w));
        loop {
            {
                let mut guard = crate::pool::lock(&self.session);
                let Session { conn, sock } = &mut *guard;
                match conn.reader().read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // A close without close_notify: the end of the stream (HTTP framing says
                    // whether the response was whole).
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                    Err(e) => return Err(e),
                }
                match conn.read_tls(sock) {
                    Ok(0) => {
                        // Let the reader report the end.
                        conn.process_new_packets()
                            .map_err(|e| explain(e, "the daemon"))?;
                        match conn.reader().read(buf) {
                            Ok(n) => return Ok(n),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(_) => {
                        if let Err(e) = conn.process_new_packets() {
                            let _ = conn.write_tls(sock);
                            return Err(explain(e, "the daemon"));
                        }
                        flush_now(conn, sock)?;
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            if !wait_fd(&*self.poll, PollFlags::IN, left)? {
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
    }

    /// Hands the session what it takes of `data` once earlier records have left, waiting
    /// `wait` at most for room. The records of these bytes leave as the socket takes them;
    /// [`flush_wait`](Self::flush_wait) waits for the rest.
    pub(crate) fn write_or_wait(
        &mut self,
        data: &[u8],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        use rustix::event::PollFlags;
        loop {
            {
                let mut guard = crate::pool::lock(&self.session);
                let Session { conn, sock } = &mut *guard;
                flush_now(conn, sock)?;
                if !conn.wants_write() {
                    let piece = data.get(..data.len().min(MAX_WRITE)).unwrap_or(data);
                    let n = conn.writer().write(piece)?;
                    flush_now(conn, sock)?;
                    if n > 0 {
                        return Ok(n);
                    }
                }
            }
            if !wait_fd(&*self.poll, PollFlags::OUT, wait)? {
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
    }

    /// Sends the records still held, waiting `wait` at most per wait for room. `Ok(true)`
    /// once none is left.
    pub(crate) fn flush_wait(&mut self, wait: Option<Duration>) -> io::Result<bool> {
        use rustix::event::PollFlags;
        loop {
            {
                let mut guard = crate::pool::lock(&self.session);
                let Session { conn, sock } = &mut *guard;
                flush_now(conn, sock)?;
                if !conn.wants_write() {
                    return Ok(true);
                }
            }
            if !wait_fd(&*self.poll, PollFlags::OUT, wait)? {
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
    }

    /// Ends the write direction: a `close_notify` (the daemon reads it as the end of stdin;
    /// reading goes on).
    pub(crate) fn close_write(&self) -> io::Result<()> {
        crate::pool::lock(&self.session).conn.send_close_notify();
        match self.clone().flush_wait(Some(CLOSE_WAIT)) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Writes the records the socket takes now.
fn flush_now(conn: &mut ClientConnection, sock: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(sock) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `DOCKER_TLS_VERIFY` unset (or a context's `SkipTLSVerify`): the server's certificate is not
/// checked against a CA, but its signatures still are.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
