//! [`Live`], the [`Resolver`] that asks a DNS server over the network: from a chosen source address, UDP with
//! a TCP retry on truncation (RFC 7766 §5), timeouts and retries, each question ending in a typed [`Outcome`].
//! (The deterministic resolver of the scenario tests, over a compiled snapshot, is the server crate's
//! `in_memory::InMemory`.)

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use lyncdns_dnsdata::message::{decode, query};
use lyncdns_dnsdata::resolve::{Lookup, Outcome, Resolver};
use lyncdns_dnsdata::types::Rtype;

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

    /// Asks over UDP (with retries after a timeout), and again over TCP when the answer is truncated; also says
    /// whether TCP was used.
    fn exchange(&mut self, name: &str, qtype: Rtype) -> (Outcome, bool) {
        let mut last = Outcome::Timeout {
            detail: "no attempt".into(),
        };
        for _ in 0..=self.retries {
            self.next_id = self.next_id.wrapping_add(1);
            let id = self.next_id;
            let q = match query(id, name, qtype) {
                Ok(q) => q,
                Err(e) => {
                    let detail = e.to_string();
                    return (Outcome::Invalid { detail }, false);
                }
            };
            let bytes = match self.udp(&q, id) {
                Ok(b) => b,
                Err(e) => {
                    last = failure("UDP", &e);
                    // A refused or unreachable server will not answer a retry either.
                    if matches!(last, Outcome::Timeout { .. }) {
                        continue;
                    }
                    return (last, false);
                }
            };
            let response = match decode(&bytes) {
                Ok(r) => r,
                Err(e) => {
                    let detail = e.to_string();
                    return (Outcome::Malformed { detail }, false);
                }
            };
            if !response.tc {
                return (Outcome::of(response), false);
            }
            // Truncated: the same question over TCP (RFC 7766 §5).
            let outcome = match self.tcp(&q) {
                Err(e) => failure("TCP", &e),
                Ok(b) => match decode(&b) {
                    Ok(r) => Outcome::of(r),
                    Err(e) => Outcome::Malformed {
                        detail: e.to_string(),
                    },
                },
            };
            return (outcome, true);
        }
        (last, false)
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

/// The outcome of a failed exchange: a timeout, or a server that cannot be reached.
fn failure(transport: &str, e: &io::Error) -> Outcome {
    let detail = format!("{transport}: {e}");
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Outcome::Timeout { detail },
        _ => Outcome::Unreachable { detail },
    }
}

impl Resolver for Live {
    fn lookup(&mut self, name: &str, qtype: Rtype) -> Lookup {
        let started = Instant::now();
        let (outcome, tcp_retry) = self.exchange(name, qtype);
        Lookup {
            name: name.to_owned(),
            qtype,
            server: self.describe(),
            tcp_retry,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            outcome,
        }
    }

    fn describe(&self) -> String {
        match self.from {
            Some(from) => format!("{} from {from}", self.server),
            None => self.server.to_string(),
        }
    }
}
