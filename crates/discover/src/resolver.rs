//! The two resolvers behind [`Resolver`]: [`Live`] asks a DNS server over the network (from a chosen source
//! address, UDP with a TCP retry on truncation, timeouts and retries), [`InMemory`] asks a compiled
//! [`Snapshot`] directly through the server's own answer path, for deterministic scenario tests.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use lyncdns_dnsserver::answer::{Picker, Transport, answer};
use lyncdns_dnsserver::build::Snapshot;

use crate::lookup::{Lookup, Resolver, decode, query, type_name};

/// Asks a compiled snapshot as a client at `from` would.
pub struct InMemory<'a> {
    snapshot: &'a Snapshot,
    from: IpAddr,
    picker: Picker,
    out: Vec<u8>,
}

impl<'a> InMemory<'a> {
    /// A resolver answering from `snapshot` for a client at `from`.
    pub fn new(snapshot: &'a Snapshot, from: IpAddr) -> Self {
        InMemory {
            snapshot,
            from,
            picker: Picker::new(1),
            out: vec![0u8; 65535],
        }
    }
}

impl Resolver for InMemory<'_> {
    fn lookup(&mut self, name: &str, qtype: u16) -> Lookup {
        let q = query(0x4242, name, qtype);
        let server = self.describe();
        let Some(o) = answer(
            self.snapshot,
            &q,
            self.from,
            Transport::Tcp,
            &mut self.picker,
            &mut self.out,
        ) else {
            return Lookup::failed(name, qtype, &server, "ERROR", "no answer".into(), 0.0);
        };
        match decode(&self.out[..o.len]) {
            Ok(d) => Lookup {
                name: name.to_owned(),
                qtype: type_name(qtype),
                server,
                rcode: d.rcode,
                aa: d.aa,
                tcp_retry: false,
                answers: d.answers,
                elapsed_ms: 0.0,
                error: None,
            },
            Err(e) => Lookup::failed(name, qtype, &server, "ERROR", e, 0.0),
        }
    }

    fn describe(&self) -> String {
        format!("in-memory view for {}", self.from)
    }
}

/// Asks a DNS server over the network.
pub struct Live {
    /// The server.
    pub server: SocketAddr,
    /// The source address to send from (decides the view of a split-horizon server).
    pub from: Option<IpAddr>,
    /// Time to wait for each answer.
    pub timeout: Duration,
    /// Extra attempts after a timeout.
    pub retries: u32,
    next_id: u16,
}

/// The first `nameserver` of `/etc/resolv.conf`, port 53.
pub fn system_server() -> Option<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

impl Live {
    /// A resolver for `server`, sending from `from`.
    pub fn new(server: SocketAddr, from: Option<IpAddr>, timeout: Duration, retries: u32) -> Self {
        Live {
            server,
            from,
            timeout,
            retries,
            next_id: std::process::id() as u16,
        }
    }

    fn bind_addr(&self) -> SocketAddr {
        match (self.from, self.server) {
            (Some(ip), _) => SocketAddr::new(ip, 0),
            (None, SocketAddr::V4(_)) => "0.0.0.0:0".parse().expect("valid"),
            (None, SocketAddr::V6(_)) => "[::]:0".parse().expect("valid"),
        }
    }

    fn udp(&self, q: &[u8], id: u16) -> std::io::Result<Vec<u8>> {
        let sock = UdpSocket::bind(self.bind_addr())?;
        sock.set_read_timeout(Some(self.timeout))?;
        sock.connect(self.server)?;
        sock.send(q)?;
        let mut buf = vec![0u8; 65535];
        let deadline = Instant::now() + self.timeout;
        loop {
            let n = sock.recv(&mut buf)?;
            // Ignore stray datagrams with another ID.
            if n >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id {
                buf.truncate(n);
                return Ok(buf);
            }
            if Instant::now() > deadline {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
        }
    }

    fn tcp(&self, q: &[u8]) -> std::io::Result<Vec<u8>> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(self.server),
            socket2::Type::STREAM,
            None,
        )?;
        if let Some(ip) = self.from {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect_timeout(&self.server.into(), self.timeout)?;
        let mut stream: TcpStream = socket.into();
        stream.set_read_timeout(Some(self.timeout))?;
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(q);
        stream.write_all(&framed)?;
        let mut len = [0u8; 2];
        stream.read_exact(&mut len)?;
        let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
        stream.read_exact(&mut buf)?;
        Ok(buf)
    }
}

impl Resolver for Live {
    fn lookup(&mut self, name: &str, qtype: u16) -> Lookup {
        let started = Instant::now();
        let server = self.describe();
        let ms = |s: Instant| s.elapsed().as_secs_f64() * 1000.0;
        let mut last_error = String::new();
        for _ in 0..=self.retries {
            self.next_id = self.next_id.wrapping_add(1);
            let id = self.next_id;
            let q = query(id, name, qtype);
            let bytes = match self.udp(&q, id) {
                Ok(b) => b,
                Err(e) => {
                    last_error = format!("UDP: {e}");
                    continue;
                }
            };
            let decoded = match decode(&bytes) {
                Ok(d) => d,
                Err(e) => return Lookup::failed(name, qtype, &server, "ERROR", e, ms(started)),
            };
            if !decoded.tc {
                return Lookup {
                    name: name.to_owned(),
                    qtype: type_name(qtype),
                    server,
                    rcode: decoded.rcode,
                    aa: decoded.aa,
                    tcp_retry: false,
                    answers: decoded.answers,
                    elapsed_ms: ms(started),
                    error: None,
                };
            }
            // Truncated: the same question over TCP (RFC 7766 §5).
            return match self
                .tcp(&q)
                .map_err(|e| format!("TCP: {e}"))
                .and_then(|b| decode(&b))
            {
                Ok(d) => Lookup {
                    name: name.to_owned(),
                    qtype: type_name(qtype),
                    server,
                    rcode: d.rcode,
                    aa: d.aa,
                    tcp_retry: true,
                    answers: d.answers,
                    elapsed_ms: ms(started),
                    error: None,
                },
                Err(e) => Lookup::failed(name, qtype, &server, "ERROR", e, ms(started)),
            };
        }
        Lookup::failed(name, qtype, &server, "TIMEOUT", last_error, ms(started))
    }

    fn describe(&self) -> String {
        match self.from {
            Some(from) => format!("{} from {from}", self.server),
            None => self.server.to_string(),
        }
    }
}
