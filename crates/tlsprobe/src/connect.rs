//! The thin shell: a TCP connect bounded by a timeout, then a rustls handshake whose verifier records the chain
//! the server sent and what the trusted roots think of it. In probe mode the handshake goes on whatever the
//! verdict, so that an untrusted, expired or wrong-name certificate is still read and reported; in strict mode
//! (`lyncdns discover`, which acts as a client would) a certificate the roots refuse ends the handshake, and is
//! still reported.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme, StreamOwned,
};

use crate::cert::{CertReport, Trust};

/// The system's trust store (Debian's bundle).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Why the trust store could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}")]
pub struct CaError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub what: String,
}

/// Why an endpoint could not be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No address to connect to.
    #[error("no address")]
    NoAddress,
    /// No address accepted a TCP connection in time: nothing can be said about its certificate.
    #[error("could not connect: {why}")]
    Connect {
        /// Each address tried and what happened.
        why: String,
    },
    /// TCP connected but TLS did not complete (not TLS, no common version or cipher, an alert, a timeout): a
    /// client fails here too.
    #[error("TLS handshake with {addr} failed: {why}")]
    Handshake {
        /// The address.
        addr: SocketAddr,
        /// What rustls said.
        why: String,
        /// The certificate, when the server sent one before the failure.
        certificate: Option<Box<CertReport>>,
    },
}

/// Probes one TLS endpoint: `lyncdns check` is given one, tests give it a stand-in.
pub trait Probe {
    /// Connects to `name` at the first of `addrs` that answers on `port`, sends `name` as SNI, and reports
    /// the certificate with the address it came from.
    fn probe(
        &mut self,
        name: &str,
        addrs: &[IpAddr],
        port: u16,
    ) -> Result<(SocketAddr, CertReport), ProbeError>;
}

/// Connect to `to` instead of the resolved address when a client would contact `host` on `port` (like curl's
/// `--connect-to`): for a lab whose names resolve to addresses that are not this machine's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// The host name (lowercase).
    pub host: String,
    /// The port a client would use.
    pub port: u16,
    /// Where to connect instead.
    pub to: SocketAddr,
}

impl std::str::FromStr for Dial {
    type Err = String;

    /// `HOST:PORT=ADDR:PORT`, e.g. `lyncdiscover.contoso.com:443=127.0.0.1:8443`.
    fn from_str(s: &str) -> Result<Dial, String> {
        let (from, to) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not HOST:PORT=ADDR:PORT"))?;
        let (host, port) = from
            .rsplit_once(':')
            .ok_or_else(|| format!("`{from}` is not HOST:PORT"))?;
        Ok(Dial {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port: port
                .parse()
                .map_err(|_| format!("`{port}` is not a port"))?,
            to: to.parse().map_err(|e| format!("`{to}`: {e}"))?,
        })
    }
}

/// Probes over the real network, trusting the system store and an extra CA.
pub struct Prober {
    roots: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    /// Bound on the connect, and on each read and write of the handshake.
    pub timeout: Duration,
    /// Source address of the connections.
    pub from: Option<IpAddr>,
    /// Address overrides.
    pub dial: Vec<Dial>,
}

impl Prober {
    /// A prober trusting the system store (when present) and the PEM certificates of `extra_ca`.
    pub fn new(
        extra_ca: Option<&Path>,
        timeout: Duration,
        from: Option<IpAddr>,
    ) -> Result<Prober, CaError> {
        let store = roots(extra_ca)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = if store.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| CaError {
                        path: "trust store".into(),
                        what: e.to_string(),
                    })?,
            )
        };
        Ok(Prober {
            roots,
            provider,
            timeout,
            from,
            dial: Vec::new(),
        })
    }

    /// Where to connect for `host` on `port`: the dial override, else the addresses given.
    pub fn targets(&self, host: &str, addrs: &[IpAddr], port: u16) -> Vec<SocketAddr> {
        let host = host.trim_end_matches('.');
        match self
            .dial
            .iter()
            .find(|d| d.port == port && d.host.eq_ignore_ascii_case(host))
        {
            Some(d) => vec![d.to],
            None => addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
        }
    }

    /// A TCP connection to `addr` from the configured source, with the timeout on connect, reads and writes.
    pub fn tcp(&self, addr: SocketAddr) -> std::io::Result<TcpStream> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )?;
        if let Some(ip) = self.from.filter(|ip| ip.is_ipv4() == addr.is_ipv4()) {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect_timeout(&addr.into(), self.timeout)?;
        let stream: TcpStream = socket.into();
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        Ok(stream)
    }

    /// A TLS handshake with `host` over `stream`. `strict`: fail when the roots refuse the chain or the name (as
    /// a client does); otherwise go on, to read the certificate. The certificate is reported whenever the server
    /// sent one, with the handshake's result.
    pub fn handshake(
        &self,
        host: &str,
        stream: TcpStream,
        strict: bool,
    ) -> (
        Result<StreamOwned<ClientConnection, TcpStream>, String>,
        Option<CertReport>,
    ) {
        let recorder = Arc::new(Recorder {
            roots: self.roots.clone(),
            provider: self.provider.clone(),
            strict,
            seen: Mutex::new(None),
        });
        let result = (|| {
            let name = ServerName::try_from(host.trim_end_matches('.').to_owned())
                .map_err(|e| format!("bad TLS name {host}: {e}"))?;
            let config = ClientConfig::builder_with_provider(self.provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(recorder.clone())
                .with_no_client_auth();
            let mut conn =
                ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
            // The whole handshake within one timeout, however slowly the server sends.
            let mut bounded = Deadline {
                sock: &stream,
                until: Instant::now() + self.timeout,
            };
            while conn.is_handshaking() {
                conn.complete_io(&mut bounded)
                    .map_err(|e| format!("TLS handshake with {host}: {e}"))?;
            }
            stream
                .set_read_timeout(Some(self.timeout))
                .map_err(|e| e.to_string())?;
            Ok(StreamOwned::new(conn, stream))
        })();
        let version = result
            .as_ref()
            .ok()
            .and_then(|t| t.conn.protocol_version())
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
                other => format!("{other:?}"),
            })
            .unwrap_or_else(|| "(none: the handshake failed)".to_owned());
        let seen = recorder
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let report = seen.and_then(|(chain, trust)| {
            CertReport::assess(host, &chain, &version, trust, unix_now()).ok()
        });
        (result, report)
    }
}

impl Probe for Prober {
    fn probe(
        &mut self,
        name: &str,
        addrs: &[IpAddr],
        port: u16,
    ) -> Result<(SocketAddr, CertReport), ProbeError> {
        let targets = self.targets(name, addrs, port);
        if targets.is_empty() {
            return Err(ProbeError::NoAddress);
        }
        let mut failures = Vec::new();
        for addr in targets {
            let stream = match self.tcp(addr) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{addr}: {e}"));
                    continue;
                }
            };
            return match self.handshake(name, stream, false) {
                (Ok(mut tls), Some(report)) => {
                    tls.conn.send_close_notify();
                    let _ = tls.conn.complete_io(&mut tls.sock);
                    Ok((addr, report))
                }
                (Ok(_), None) => Err(ProbeError::Handshake {
                    addr,
                    why: "the server sent no readable certificate".into(),
                    certificate: None,
                }),
                (Err(why), certificate) => Err(ProbeError::Handshake {
                    addr,
                    why,
                    certificate: certificate.map(Box::new),
                }),
            };
        }
        Err(ProbeError::Connect {
            why: failures.join("; "),
        })
    }
}

/// The trusted roots: the system bundle when present, and every certificate of `extra_ca` (an error when that
/// file cannot be read or holds none).
pub fn roots(extra_ca: Option<&Path>) -> Result<RootCertStore, CaError> {
    let mut roots = RootCertStore::empty();
    let system = Path::new(SYSTEM_ROOTS);
    if system.exists()
        && let Ok(iter) = CertificateDer::pem_file_iter(system)
    {
        for cert in iter.flatten() {
            let _ = roots.add(cert);
        }
    }
    if let Some(path) = extra_ca {
        let shown = path.display().to_string();
        let err = |what: String| CaError {
            path: shown.clone(),
            what,
        };
        let mut n = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))? {
            roots
                .add(cert.map_err(|e| err(e.to_string()))?)
                .map_err(|e| err(e.to_string()))?;
            n += 1;
        }
        if n == 0 {
            return Err(err("no certificate in the file".into()));
        }
    }
    Ok(roots)
}

/// A socket whose reads end at a deadline: each read waits at most until then, and none starts after it.
struct Deadline<'a> {
    sock: &'a TcpStream,
    until: Instant,
}

impl std::io::Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self
            .until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no complete handshake in time",
                )
            })?;
        self.sock.set_read_timeout(Some(left))?;
        std::io::Read::read(&mut self.sock, buf)
    }
}

impl std::io::Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::Write::write(&mut self.sock, buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.sock)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A verifier that keeps the chain the server sent and the roots' verdict on it. Handshake signatures are
/// always checked (the peer must hold the key of the certificate it sent).
#[derive(Debug)]
struct Recorder {
    roots: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    strict: bool,
    seen: Mutex<Option<(Vec<CertificateDer<'static>>, Trust)>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.roots {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ()),
            None => Err(rustls::Error::General(
                "no trusted roots (no system store, no --ca)".into(),
            )),
        };
        // webpki checks the chain before the name: a name error means the chain itself is trusted (the name is
        // judged separately, by the report).
        let name_only = matches!(
            verdict,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ))
        );
        let trust = match &verdict {
            Ok(()) => Trust::Trusted,
            Err(_) if name_only => Trust::Trusted,
            Err(e) => Trust::Untrusted { why: e.to_string() },
        };
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some((chain, trust));
        match verdict {
            Err(e) if self.strict => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_overrides_read_host_port_and_address() {
        let d: Dial = "LyncDiscover.contoso.com.:443=127.0.0.1:8443"
            .parse()
            .unwrap();
        assert_eq!(
            d,
            Dial {
                host: "lyncdiscover.contoso.com".into(),
                port: 443,
                to: "127.0.0.1:8443".parse().unwrap()
            }
        );
        assert!("contoso.com=127.0.0.1:1".parse::<Dial>().is_err());
        assert!("contoso.com:x=127.0.0.1:1".parse::<Dial>().is_err());
        assert!("contoso.com:443=nowhere".parse::<Dial>().is_err());
        let mut p = Prober::new(None, Duration::from_secs(1), None).unwrap();
        p.dial.push(d);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            p.targets("lyncdiscover.contoso.com", &[ip], 443),
            ["127.0.0.1:8443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            p.targets("lyncdiscover.contoso.com", &[ip], 5061),
            [SocketAddr::new(ip, 5061)]
        );
    }
}
