//! The live SIP exchange behind `Net::sip`: a TLS connection to each address in turn (the certificate checked
//! for the host name against the trust store and `--ca`), `OPTIONS`, then `REGISTER` for the user without
//! credentials, each answer cut from the stream by `lyncdns_sip::framing` (size-limited) within the probe's
//! timeout. The handshake goes through the shared `tlsprobe::Prober`, so the certificate's report is kept with the
//! others in [`LiveNet::certificates`]; the session itself (version, cipher suite) is summarized by [`session`]; a
//! failed connection or handshake is typed ([`connect_failure`], [`tls_failure`]).

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Instant;

use lyncdns_sip::framing::{self, Frame};
use lyncdns_sip::message::Message;

use super::LiveNet;
use crate::machine::{
    ConnectFailure, Reply, SipAnswer, SipExchange, SipProbeError, SipRequest, TlsFailure,
    TlsSession,
};

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

impl LiveNet {
    /// Where SIP for `ip:port` goes: a lab's listener for that address and port, the `--dial sip=` address, or
    /// the address itself; `None` when the lab dials only its own listeners.
    fn sip_target(&self, ip: IpAddr, port: u16) -> Option<SocketAddr> {
        let remote = SocketAddr::new(ip, port);
        if let Some((_, local)) = self.sip_dial.iter().find(|(a, _)| *a == remote) {
            return Some(*local);
        }
        if let Some(d) = self.dial_for("sip") {
            return Some(d);
        }
        (!self.sip_dial_only).then_some(remote)
    }

    /// The exchange for [`crate::run::Net::sip`].
    pub(super) fn sip_exchange(&mut self, req: &SipRequest) -> Reply {
        let mut x = SipExchange {
            connected: None,
            tls: None,
            options: None,
            register: None,
            errors: Vec::new(),
        };
        for ip in &req.addrs {
            let Some(addr) = self.sip_target(*ip, req.port) else {
                x.errors.push(SipProbeError::NotDialled {
                    addr: SocketAddr::new(*ip, req.port),
                });
                continue;
            };
            let tcp = match self.tcp(addr) {
                Ok(t) => t,
                Err(e) => {
                    x.errors.push(SipProbeError::Connect {
                        addr,
                        reason: connect_failure(&e, self.prober.from, addr),
                    });
                    continue;
                }
            };
            let mut tls = match self.handshake(&req.host, addr, tcp) {
                Ok(t) => t,
                Err(reason) => {
                    x.errors.push(SipProbeError::Tls { addr, reason });
                    continue;
                }
            };
            x.connected = Some(addr);
            x.tls = Some(session(&tls.conn, &req.host));
            let local = tls.sock.local_addr().ok();
            let mut buf = Vec::new();
            for (cseq, method) in [(1, "OPTIONS"), (2, "REGISTER")] {
                let request = request(method, cseq, req, local);
                let answer = tls
                    .write_all(&request.to_bytes())
                    .map_err(|e| e.to_string())
                    .and_then(|_| self.read_message(&mut tls, &mut buf));
                match answer {
                    Ok(m) => {
                        let a = answer_of(&m);
                        if method == "OPTIONS" {
                            x.options = Some(a);
                        } else {
                            x.register = Some(a);
                        }
                    }
                    Err(what) => {
                        x.errors.push(SipProbeError::Protocol {
                            addr,
                            request: method.into(),
                            what,
                        });
                        break;
                    }
                }
            }
            return Reply::Sip(Box::new(x));
        }
        Reply::Sip(Box::new(x))
    }

    /// The TLS handshake through the shared prober (`tlsprobe::Prober`, strict as a client is), its certificate
    /// kept in [`LiveNet::certificates`]; a failure typed from the certificate report when the server sent one.
    fn handshake(
        &mut self,
        host: &str,
        addr: SocketAddr,
        tcp: TcpStream,
    ) -> Result<Tls, TlsFailure> {
        self.tls(host, addr, tcp).map_err(|error| {
            let report = self
                .certificates
                .iter()
                .rev()
                .find(|(a, r)| *a == addr && r.name == host.trim_end_matches('.'))
                .map(|(_, r)| r);
            match report {
                Some(r) if !r.covered => TlsFailure::NotValidForName {
                    name: host.to_owned(),
                },
                Some(r) if !matches!(r.validity, lyncdns_tlsprobe::Validity::Valid { .. }) => {
                    TlsFailure::Expired
                }
                Some(r) if !matches!(r.trust, lyncdns_tlsprobe::Trust::Trusted) => {
                    TlsFailure::UnknownIssuer
                }
                _ => TlsFailure::Other { error },
            }
        })
    }

    /// One SIP message from the stream, within the probe's timeout overall (each read is bounded too).
    fn read_message(&self, tls: &mut Tls, buf: &mut Vec<u8>) -> Result<Message, String> {
        let deadline = Instant::now() + self.prober.timeout;
        let mut chunk = [0u8; 4096];
        loop {
            match framing::next(buf) {
                Ok(Frame::Message(m, used)) => {
                    buf.drain(..used);
                    return Ok(m);
                }
                Ok(Frame::KeepAlive(n)) => {
                    buf.drain(..n);
                    continue;
                }
                Ok(Frame::Partial) => {}
                Err(e) => return Err(e.to_string()),
            }
            if Instant::now() >= deadline {
                return Err("timed out".into());
            }
            match tls.read(&mut chunk) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// A request as a Lync client's first ones look ([MS-SIPAE] §4.1): `OPTIONS` to the server, `REGISTER` for the
/// user, each with its own branch, one Call-ID.
fn request(method: &str, cseq: u32, req: &SipRequest, local: Option<SocketAddr>) -> Message {
    let domain = req.uri.rsplit_once('@').map(|(_, d)| d).unwrap_or(&req.uri);
    let local = local
        .map(|a| a.to_string())
        .unwrap_or_else(|| "127.0.0.1:5061".into());
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let target = if method == "REGISTER" {
        format!("sip:{domain}")
    } else {
        format!("sip:{}:{}", req.host, req.port)
    };
    let mut m = Message::request(method, &target)
        .with(
            "Via",
            format!("SIP/2.0/TLS {local};branch=z9hG4bK{nonce:x}{cseq}"),
        )
        .with("Max-Forwards", "70")
        .with(
            "From",
            format!(
                "<sip:{}>;tag={:x};epid=lyncdns",
                req.uri,
                nonce & 0xffff_ffff
            ),
        )
        .with("To", format!("<sip:{}>", req.uri))
        .with("Call-ID", format!("lyncdns-{nonce:x}"))
        .with("CSeq", format!("{cseq} {method}"))
        .with("User-Agent", "lyncdns-discover");
    if method == "REGISTER" {
        m = m
            .with(
                "Contact",
                format!("<sip:{local};transport=tls>;proxy=replace"),
            )
            .with("Supported", "gruu-10")
            .with("Expires", "0");
    }
    m
}

/// The parts of a response discovery reads.
fn answer_of(m: &Message) -> SipAnswer {
    let (status, reason) = match &m.start {
        lyncdns_sip::message::Start::Status { code, reason } => (*code, reason.clone()),
        lyncdns_sip::message::Start::Request { method, .. } => {
            (0, format!("a {method} request, not a response"))
        }
    };
    SipAnswer {
        status,
        reason,
        server: m.header("Server").map(str::to_owned),
        contacts: m
            .contacts()
            .into_iter()
            .map(|c| {
                let port = c
                    .port
                    .unwrap_or(lyncdns_lync::services::SIPINTERNALTLS.port);
                (c.host, port)
            })
            .collect(),
        schemes: m.challenges().into_iter().map(|c| c.scheme).collect(),
        targetname: m
            .challenges()
            .first()
            .and_then(|c| c.param("targetname"))
            .map(str::to_owned),
    }
}

/// The TLS session as rustls reports it. The certificate's own fields (subject, names, expiry) come with the
/// certificate report; here the handshake's success says the certificate covers `host` and chains to a trusted
/// CA.
pub fn session(conn: &rustls::ClientConnection, host: &str) -> TlsSession {
    TlsSession {
        version: conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default(),
        cipher_suite: conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        chain: conn.peer_certificates().map(|c| c.len()).unwrap_or(0),
        verified_for: host.to_owned(),
        names: conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|der| {
                webpki::EndEntityCert::try_from(der).ok().map(|c| {
                    c.valid_dns_names()
                        .map(|n| n.to_ascii_lowercase())
                        .collect()
                })
            })
            .unwrap_or_default(),
    }
}

/// A typed reason for a failed connect: EINVAL from a loopback source to another address is the kernel
/// refusing the route, said with what to do instead.
pub fn connect_failure(e: &std::io::Error, from: Option<IpAddr>, to: SocketAddr) -> ConnectFailure {
    match (from, e.kind()) {
        (Some(from), _)
            if from.is_loopback()
                && !to.ip().is_loopback()
                && e.raw_os_error() == Some(libc_einval()) =>
        {
            ConnectFailure::LoopbackSource { from }
        }
        (_, std::io::ErrorKind::ConnectionRefused) => ConnectFailure::Refused,
        (_, std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {
            ConnectFailure::TimedOut
        }
        _ => ConnectFailure::Os {
            error: e.to_string(),
        },
    }
}

/// EINVAL (22 on Linux and the BSDs).
fn libc_einval() -> i32 {
    22
}

/// A typed reason for a failed handshake, from rustls's certificate errors.
pub fn tls_failure(e: &rustls::Error, host: &str) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => TlsFailure::NotValidForName {
            name: host.to_owned(),
        },
        rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => TlsFailure::Expired,
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => TlsFailure::UnknownIssuer,
        other => TlsFailure::Other {
            error: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn einval_from_loopback_to_elsewhere_says_what_to_do() {
        let e = std::io::Error::from_raw_os_error(22);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let from = Some(lo);
        let f = connect_failure(&e, from, "10.0.0.10:5061".parse().unwrap());
        assert_eq!(f, ConnectFailure::LoopbackSource { from: lo });
        let text = f.to_string();
        assert!(
            text.contains("--from") && text.contains("--dial sip=ADDR:PORT"),
            "{text}"
        );
        // Between loopback addresses EINVAL is something else.
        let f = connect_failure(&e, from, "127.0.0.10:5061".parse().unwrap());
        assert!(matches!(f, ConnectFailure::Os { .. }));
    }

    #[test]
    fn certificate_errors_are_typed() {
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName);
        assert_eq!(
            tls_failure(&e, "pool.contoso.com"),
            TlsFailure::NotValidForName {
                name: "pool.contoso.com".into()
            }
        );
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        assert_eq!(tls_failure(&e, "x"), TlsFailure::Expired);
    }

    #[test]
    fn requests_are_what_a_client_sends_first() {
        let req = SipRequest {
            host: "dirpool.contoso.com".into(),
            addrs: vec![],
            port: 5061,
            uri: "carol@contoso.com".into(),
        };
        let m = request("REGISTER", 2, &req, "127.0.0.1:40000".parse().ok());
        assert_eq!(
            m.start,
            lyncdns_sip::message::Start::Request {
                method: "REGISTER".into(),
                uri: "sip:contoso.com".into()
            }
        );
        assert_eq!(m.header("To"), Some("<sip:carol@contoso.com>"));
        assert_eq!(m.cseq(), Some((2, "REGISTER")));
        assert!(m.header("Authorization").is_none());
    }
}
