//! Live probes: TCP connects, TLS handshakes that check the certificate covers the name (system trust store
//! plus `--ca`), and small HTTP/1.1 requests for the Autodiscover flow. Blocking and bounded by timeouts.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::machine::{Fetch, Reply, Response};
use crate::run::Net;

/// Probes over the real network.
pub struct LiveNet {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    from: Option<IpAddr>,
    /// Connect to this address instead of the resolved one, per scheme (`https`, `http`): for a lab whose
    /// names resolve to addresses that are not on this machine.
    pub dial: Vec<(&'static str, SocketAddr)>,
}

/// Why the trust store could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}")]
pub struct CaError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub what: String,
}

impl LiveNet {
    /// Probes trusting the system store (`/etc/ssl/certs/ca-certificates.crt` when present) and `extra_ca`.
    pub fn new(
        extra_ca: Option<&Path>,
        timeout: Duration,
        from: Option<IpAddr>,
    ) -> Result<LiveNet, CaError> {
        let mut roots = rustls::RootCertStore::empty();
        let system = Path::new("/etc/ssl/certs/ca-certificates.crt");
        if system.exists()
            && let Ok(iter) = CertificateDer::pem_file_iter(system)
        {
            for cert in iter.flatten() {
                let _ = roots.add(cert);
            }
        }
        if let Some(path) = extra_ca {
            let shown = path.display().to_string();
            let iter = CertificateDer::pem_file_iter(path).map_err(|e| CaError {
                path: shown.clone(),
                what: e.to_string(),
            })?;
            let mut n = 0;
            for cert in iter {
                let cert = cert.map_err(|e| CaError {
                    path: shown.clone(),
                    what: e.to_string(),
                })?;
                roots.add(cert).map_err(|e| CaError {
                    path: shown.clone(),
                    what: e.to_string(),
                })?;
                n += 1;
            }
            if n == 0 {
                return Err(CaError {
                    path: shown,
                    what: "no certificate in the file".into(),
                });
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| CaError {
            path: "TLS".into(),
            what: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(LiveNet {
            tls: Arc::new(config),
            timeout,
            from,
            dial: Vec::new(),
        })
    }

    fn tcp(&self, addr: SocketAddr) -> std::io::Result<TcpStream> {
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

    fn tls(
        &self,
        host: &str,
        stream: TcpStream,
    ) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("bad TLS name {host}: {e}"))?;
        let conn =
            rustls::ClientConnection::new(self.tls.clone(), name).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, stream);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| format!("TLS handshake with {host}: {e}"))?;
        }
        Ok(tls)
    }

    fn dial_for(&self, scheme: &str) -> Option<SocketAddr> {
        self.dial
            .iter()
            .find(|(s, _)| *s == scheme)
            .map(|(_, a)| *a)
    }
}

/// Reads an HTTP/1.1 response (Content-Length, chunked, or until close).
fn read_response(stream: &mut impl Read) -> Result<Response, String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // rustls reports a close without close_notify as an error; what arrived is still the answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) if raw.is_empty() => return Err(e.to_string()),
            Err(_) => break,
        }
        if raw.len() > 1 << 20 {
            return Err("response larger than 1 MiB".into());
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header in the response")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..pos]).trim(), 16)
                .map_err(|_| "bad chunk size")?;
            if size == 0 {
                break;
            }
            let start = pos + 2;
            out.extend_from_slice(rest.get(start..start + size).ok_or("short chunk")?);
            rest = rest.get(start + size + 2..).unwrap_or(&[]);
        }
        body = out;
    } else if let Some(len) = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(len);
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

impl Net for LiveNet {
    fn connect(&mut self, host: &str, addrs: &[IpAddr], port: u16, tls: bool) -> Reply {
        let mut errors = Vec::new();
        for ip in addrs {
            let addr = SocketAddr::new(*ip, port);
            match self.tcp(addr) {
                Ok(stream) => {
                    if !tls {
                        return Reply::Connect {
                            connected: Some(addr),
                            error: None,
                        };
                    }
                    match self.tls(host, stream) {
                        Ok(_) => {
                            return Reply::Connect {
                                connected: Some(addr),
                                error: None,
                            };
                        }
                        Err(e) => errors.push(format!("{addr}: {e}")),
                    }
                }
                Err(e) => errors.push(format!("{addr}: {e}")),
            }
        }
        Reply::Connect {
            connected: None,
            error: Some(errors.join("; ")),
        }
    }

    fn fetch(
        &mut self,
        fetch: &Fetch,
        addrs: &[IpAddr],
        bearer: Option<&str>,
        form: Option<&str>,
    ) -> Reply {
        let err = |e: String| Reply::Fetch {
            response: None,
            error: Some(e),
        };
        let Some((scheme, rest)) = fetch.url.split_once("://") else {
            return err(format!("bad URL {}", fetch.url));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], &rest[i..]),
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p.parse().unwrap_or(443)),
            _ => (authority, if scheme == "https" { 443 } else { 80 }),
        };
        let targets: Vec<SocketAddr> = match self.dial_for(scheme) {
            Some(dial) => vec![dial],
            None => addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
        };
        let mut request = format!(
            "{} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {}\r\nUser-Agent: lyncdns-discover\r\nConnection: close\r\n",
            fetch.method, fetch.accept
        );
        if let Some(t) = bearer {
            request.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(body) = form {
            request.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
        } else {
            request.push_str("\r\n");
        }
        let mut errors = Vec::new();
        for addr in targets {
            let stream = match self.tcp(addr) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(format!("{addr}: {e}"));
                    continue;
                }
            };
            let result = if scheme == "https" {
                self.tls(host, stream).and_then(|mut t| {
                    t.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
                    read_response(&mut t)
                })
            } else {
                let mut s = stream;
                s.write_all(request.as_bytes())
                    .map_err(|e| e.to_string())
                    .and_then(|_| read_response(&mut s))
            };
            match result {
                Ok(r) => {
                    return Reply::Fetch {
                        response: Some(r),
                        error: None,
                    };
                }
                Err(e) => errors.push(format!("{addr}: {e}")),
            }
        }
        err(errors.join("; "))
    }
}
