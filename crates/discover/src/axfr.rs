//! [`Puller`], the network shell of a zone transfer: one TCP connection (RFC 5936 §4.1 requires TCP; RFC 7766
//! framing), the request sent, each length-prefixed message handed to `lyncdns-dnsdata`'s pure
//! [`Axfr`] reader, with a connect timeout, a timeout per message, a total time and the reader's size limits.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lyncdns_dnsdata::transfer::{
    Axfr, Failure, Limits, Progress, Stage, Transferred, ZoneTransfer,
};
use lyncdns_dnsdata::tsig::TsigKey;

/// How long each step of a transfer may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the connection.
    pub connect: Duration,
    /// To wait for each message (and to write the request).
    pub message: Duration,
    /// For the whole transfer.
    pub total: Duration,
}

impl Default for Timeouts {
    /// 5 s to connect, 10 s per message, 10 minutes in all.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            message: Duration::from_secs(10),
            total: Duration::from_secs(600),
        }
    }
}

/// Pulls zones from one server by AXFR.
#[derive(Debug, Clone)]
pub struct Puller {
    /// The primary (or any server that allows us transfers).
    pub server: SocketAddr,
    /// The TSIG key to sign with, if any.
    pub key: Option<TsigKey>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Size limits.
    pub limits: Limits,
    next_id: u16,
}

impl Puller {
    /// A puller for `server`, signing with `key`.
    pub fn new(server: SocketAddr, key: Option<TsigKey>) -> Puller {
        Puller {
            server,
            key,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            next_id: std::process::id() as u16,
        }
    }

    /// One transfer over one connection.
    fn pull(&mut self, zone: &str) -> Result<Transferred, Failure> {
        self.next_id = self.next_id.wrapping_add(1);
        let started = Instant::now();
        let (mut reader, request) =
            Axfr::new(zone, self.next_id, self.key.as_ref(), now(), self.limits)?;
        let mut stream = TcpStream::connect_timeout(&self.server, self.timeouts.connect)
            .map_err(|e| failure(Stage::Connecting, &e))?;
        stream
            .set_write_timeout(Some(self.timeouts.message))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| failure(Stage::Connecting, &e))?;
        let mut framed = Vec::with_capacity(request.len() + 2);
        framed.extend_from_slice(&(request.len() as u16).to_be_bytes());
        framed.extend_from_slice(&request);
        stream
            .write_all(&framed)
            .map_err(|e| failure(Stage::Sending, &e))?;
        let mut buf = vec![0u8; 65535];
        loop {
            let left = self
                .timeouts
                .total
                .checked_sub(started.elapsed())
                .filter(|d| !d.is_zero())
                .ok_or(Failure::Timeout {
                    stage: Stage::Total,
                })?;
            stream
                .set_read_timeout(Some(left.min(self.timeouts.message)))
                .map_err(|e| failure(Stage::Waiting, &e))?;
            let mut len = [0u8; 2];
            match stream.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(reader.incomplete()),
                Err(e) => return Err(failure(Stage::Waiting, &e)),
            }
            let len = usize::from(u16::from_be_bytes(len));
            let message = &mut buf[..len];
            match stream.read_exact(message) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(reader.incomplete()),
                Err(e) => return Err(failure(Stage::Waiting, &e)),
            }
            if let Progress::Done(t) = reader.feed(message, now())? {
                tracing::debug!(
                    server = %self.server,
                    zone = %t.zone,
                    serial = t.serial,
                    records = t.records.len(),
                    messages = t.messages,
                    bytes = t.bytes,
                    signed = t.signed,
                    "zone transferred"
                );
                return Ok(t);
            }
        }
    }
}

impl ZoneTransfer for Puller {
    fn axfr(&mut self, zone: &str) -> Result<Transferred, Failure> {
        let result = self.pull(zone);
        if let Err(e) = &result {
            tracing::debug!(server = %self.server, zone, error = %e, "zone transfer failed");
        }
        result
    }

    fn describe(&self) -> String {
        format!("axfr://{}", self.server)
    }
}

/// Seconds since the Unix epoch, for TSIG's time signed.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A system error as a typed failure.
fn failure(stage: Stage, e: &io::Error) -> Failure {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Failure::Timeout { stage },
        _ => Failure::Unreachable {
            detail: format!("{stage}: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback listener whose one connection is handed to `serve` on a thread.
    fn peer(serve: impl FnOnce(TcpStream) + Send + 'static) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((s, _)) = l.accept() {
                serve(s);
            }
        });
        addr
    }

    /// Reads the framed request.
    fn read_request(s: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut q).unwrap();
        q
    }

    fn quick(addr: SocketAddr) -> Puller {
        let mut p = Puller::new(addr, None);
        p.timeouts = Timeouts {
            connect: Duration::from_secs(5),
            message: Duration::from_millis(200),
            total: Duration::from_secs(30),
        };
        p
    }

    #[test]
    fn a_silent_server_times_out_waiting_for_a_message() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let addr = peer(move |mut s| {
            read_request(&mut s);
            // Hold the connection open, silent, until the client is done.
            let _ = rx.recv();
        });
        let got = quick(addr).axfr("example.com");
        drop(tx);
        assert_eq!(
            got,
            Err(Failure::Timeout {
                stage: Stage::Waiting
            })
        );
    }

    #[test]
    fn a_connection_closed_before_the_closing_soa_is_incomplete() {
        let addr = peer(|mut s| {
            read_request(&mut s);
        });
        assert_eq!(
            quick(addr).axfr("example.com"),
            Err(Failure::Malformed(
                lyncdns_dnsdata::transfer::Malformed::Incomplete
            ))
        );
    }

    #[test]
    fn a_refused_connection_is_unreachable() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(matches!(
            quick(addr).axfr("example.com"),
            Err(Failure::Unreachable { .. })
        ));
    }

    #[test]
    fn a_server_past_the_size_limit_is_stopped() {
        let addr = peer(|mut s| {
            let q = read_request(&mut s);
            // A NOERROR answer echoing the question, with no records, sent until the client hangs up.
            let mut m = q.clone();
            m[2] |= 0x80;
            let mut framed = (m.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&m);
            while s.write_all(&framed).is_ok() {}
        });
        let mut p = quick(addr);
        p.limits.max_bytes = 10_000;
        assert_eq!(
            p.axfr("example.com"),
            Err(Failure::TooLarge(lyncdns_dnsdata::transfer::Limit::Bytes(
                10_000
            )))
        );
    }
}
