//! Live probes: TCP connects, TLS handshakes that check the certificate covers the name (system trust store
//! plus `--ca`) and keep it for the report (`lyncdns_tlsprobe`), and small HTTP/1.1 requests for the
//! Autodiscover flow. Blocking and bounded by timeouts.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

pub use lyncdns_tlsprobe::CaError;
use lyncdns_tlsprobe::{CertReport, Prober};

use crate::machine::{Fetch, Reply, Response, SipRequest};
use crate::run::Net;

pub mod sip;

/// Probes over the real network.
pub struct LiveNet {
    prober: Prober,
    /// Connect to this address instead of the resolved one, per scheme (`https`, `http`): for a lab whose
    /// names resolve to addresses that are not on this machine. `sip` sends every SIP connection there.
    pub dial: Vec<(&'static str, SocketAddr)>,
    /// Every certificate a TLS server presented, in order, with the address it came from (each host and
    /// address once).
    pub certificates: Vec<(SocketAddr, CertReport)>,
    /// SIP to a deployment address and port goes to this listener instead (the lab's registrar for it).
    pub sip_dial: Vec<(SocketAddr, SocketAddr)>,
    /// SIP goes only to `sip_dial` or `dial` addresses, and no plain TCP connect is made: never to a
    /// deployment's own addresses (the lab).
    pub sip_dial_only: bool,
}

impl LiveNet {
    /// Probes trusting the system store (`/etc/ssl/certs/ca-certificates.crt` when present) and `extra_ca`.
    pub fn new(
        extra_ca: Option<&Path>,
        timeout: Duration,
        from: Option<IpAddr>,
    ) -> Result<LiveNet, CaError> {
        Ok(LiveNet {
            prober: Prober::new(extra_ca, timeout, from)?,
            dial: Vec::new(),
            certificates: Vec::new(),
            sip_dial: Vec::new(),
            sip_dial_only: false,
        })
    }

    fn tcp(&self, addr: SocketAddr) -> std::io::Result<TcpStream> {
        self.prober.tcp(addr)
    }

    /// A TLS handshake as a client makes it (a certificate the roots refuse ends it), keeping the certificate.
    fn tls(
        &mut self,
        host: &str,
        addr: SocketAddr,
        stream: TcpStream,
    ) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
        let (result, report) = self.prober.handshake(host, stream, true);
        if let Some(report) = report
            && !self
                .certificates
                .iter()
                .any(|(a, r)| *a == addr && r.name == report.name)
        {
            self.certificates.push((addr, report));
        }
        result
    }

    fn dial_for(&self, scheme: &str) -> Option<SocketAddr> {
        self.dial
            .iter()
            .find(|(s, _)| *s == scheme)
            .map(|(_, a)| *a)
    }
}

/// Where an HTTP request goes: the parts of its URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// `https`, or anything else for plain HTTP.
    scheme: String,
    /// The host as written (for `Host` and SNI).
    host: String,
    /// The URL's port, or the scheme's (443 for HTTPS, 80 otherwise).
    port: u16,
    /// The request target: path and query, `/` when the URL has no path.
    path: String,
}

/// The parts of an absolute URL.
fn target(url: &str) -> Result<Target, String> {
    let bad = || format!("bad URL {url}");
    let uri: http::Uri = url.parse().map_err(|_| bad())?;
    let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
        return Err(bad());
    };
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(Target {
        scheme: scheme.to_owned(),
        host: host.to_owned(),
        port,
        path: format!("{}{query}", uri.path()),
    })
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
    parse_response(&raw)
}

/// A whole HTTP/1.1 response as read until the server closed: head, then the body by its framing.
fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut slots);
    let split = match head.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("no HTTP header in the response".into()),
        Err(e) => return Err(format!("bad response head: {e}")),
    };
    let status = head.code.ok_or("bad status line")?;
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect();
    let mut body = raw[split..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        loop {
            let (start, size) = match httparse::parse_chunk_size(rest) {
                Ok(httparse::Status::Complete(found)) => found,
                // An unfinished size line ends the body, as a close before the last chunk does.
                Ok(httparse::Status::Partial) => break,
                Err(httparse::InvalidChunkSize) => return Err("bad chunk size".into()),
            };
            if size == 0 {
                break;
            }
            let end = usize::try_from(size)
                .ok()
                .and_then(|s| start.checked_add(s))
                .ok_or("bad chunk size")?;
            out.extend_from_slice(rest.get(start..end).ok_or("short chunk")?);
            rest = rest.get(end + 2..).unwrap_or(&[]);
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
        if self.sip_dial_only {
            return Reply::Connect {
                connected: None,
                error: Some("the lab connects only to its own SIP listeners, over TLS".into()),
            };
        }
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
                    match self.tls(host, addr, stream) {
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

    fn sip(&mut self, request: &SipRequest) -> Reply {
        self.sip_exchange(request)
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
        let Target {
            scheme,
            host,
            port,
            path,
        } = match target(&fetch.url) {
            Ok(t) => t,
            Err(e) => return err(e),
        };
        let host = host.as_str();
        let targets: Vec<SocketAddr> = match self.dial_for(&scheme) {
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
                self.tls(host, addr, stream).and_then(|mut t| {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(scheme: &str, host: &str, port: u16, path: &str) -> Result<Target, String> {
        Ok(Target {
            scheme: scheme.into(),
            host: host.into(),
            port,
            path: path.into(),
        })
    }

    #[test]
    fn urls_give_scheme_host_port_and_target() {
        assert_eq!(
            target("https://lyncdiscover.contoso.com/?sipuri=alice@contoso.com"),
            t(
                "https",
                "lyncdiscover.contoso.com",
                443,
                "/?sipuri=alice@contoso.com"
            )
        );
        assert_eq!(
            target("http://lyncdiscover.contoso.com?sipuri=alice@contoso.com"),
            t(
                "http",
                "lyncdiscover.contoso.com",
                80,
                "/?sipuri=alice@contoso.com"
            ),
            "a query without a path is asked for at /"
        );
        assert_eq!(
            target(
                "https://WebInt.contoso.com:4443/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"
            ),
            t(
                "https",
                "WebInt.contoso.com",
                4443,
                "/Autodiscover/AutodiscoverService.svc/root/user?originalDomain=contoso.com"
            )
        );
        assert_eq!(
            target("https://webext.contoso.com"),
            t("https", "webext.contoso.com", 443, "/")
        );
        assert!(target("webext.contoso.com/path").is_err());
        assert!(target("https:///no-host").is_err());
    }

    #[test]
    fn content_length_bounds_the_body() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Empty:\r\n\r\n{}trailing",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers,
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                ("content-length".to_owned(), "2".to_owned()),
                ("x-empty".to_owned(), String::new()),
            ]
        );
        assert_eq!(r.body, "{}");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let r = parse_response(
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (401, "Wikipedia"));
        // A close before the last chunk keeps what arrived.
        let r =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n")
                .unwrap();
        assert_eq!(r.body, "Wiki");
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nWiki\r\n")
                .unwrap_err(),
            "bad chunk size"
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nWiki\r\n")
                .unwrap_err(),
            "short chunk"
        );
    }

    #[test]
    fn without_framing_the_body_runs_to_the_close() {
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nno such user").unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, "no such user"));
    }

    #[test]
    fn a_response_without_a_whole_head_is_an_error() {
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n").unwrap_err(),
            "no HTTP header in the response"
        );
        assert!(parse_response(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").is_err());
    }
}
