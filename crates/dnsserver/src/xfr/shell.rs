//! The I/O side of outgoing transfers, called by the TCP shell for AXFR/IXFR requests: a limit on transfers at
//! once, a deadline per transfer and per message written, the log line (who, view, zone, serial, size, messages,
//! duration) and the counters `/metrics` shows. The decisions and messages are [`super::axfr`]'s.
//!
//! A transfer runs on its connection's task and yields at every message written, so it never holds up UDP (its
//! own threads) or other TCP connections; it reads one snapshot for its whole length, so a reload in between
//! neither mixes data nor stops it.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use domain::rdata::tsig::Time48;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Semaphore;

use super::axfr::{self, Refusal, Start};
use crate::server::Shared;

/// Transfers served at once; one more is REFUSED (RFC 5936 §4.1 lets a server limit its transfers).
pub const MAX_TRANSFERS: usize = 16;

/// The longest one transfer may take; past it the connection is closed.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);

/// The longest one message may take to be written (the secondary must keep reading).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Transfer slots and counters, one per server.
pub struct Slots {
    slots: Semaphore,
    /// Transfers completed.
    pub done: AtomicU64,
    /// Requests answered with an error (refused, not served, bad TSIG, busy) or the single up-to-date SOA.
    pub refused: AtomicU64,
    /// Transfers that failed part way (timeout, I/O error, a message that could not be made).
    pub failed: AtomicU64,
    /// Octets sent in completed transfers.
    pub octets: AtomicU64,
}

impl Default for Slots {
    fn default() -> Self {
        Slots {
            slots: Semaphore::new(MAX_TRANSFERS),
            done: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            octets: AtomicU64::new(0),
        }
    }
}

impl Slots {
    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        format!(
            "# HELP lyncdns_transfers_total Zone transfers (AXFR/IXFR requests) by result.\n# TYPE lyncdns_transfers_total counter\n\
             lyncdns_transfers_total{{result=\"done\"}} {}\nlyncdns_transfers_total{{result=\"refused\"}} {}\nlyncdns_transfers_total{{result=\"failed\"}} {}\n\
             # HELP lyncdns_transfer_octets_total Octets sent in completed zone transfers.\n# TYPE lyncdns_transfer_octets_total counter\nlyncdns_transfer_octets_total {}\n",
            self.done.load(Relaxed),
            self.refused.load(Relaxed),
            self.failed.load(Relaxed),
            self.octets.load(Relaxed),
        )
    }
}

/// Answers the transfer request `query` from `peer` on `w`. `Err`: close the connection.
pub async fn serve<W: AsyncWrite + Unpin>(
    w: &mut W,
    query: &[u8],
    peer: SocketAddr,
    shared: &Shared,
) -> io::Result<()> {
    let slots = &shared.xfr;
    let snap = shared.data.load_full();
    let Ok(_permit) = slots.slots.try_acquire() else {
        slots.refused.fetch_add(1, Relaxed);
        tracing::warn!(%peer, limit = MAX_TRANSFERS, "zone transfer refused: too many at once");
        return write(w, &busy(query)).await;
    };
    let started = Instant::now();
    let mut transfer = match axfr::start(&snap, query, peer.ip(), Time48::now()) {
        Start::Drop => return Err(io::ErrorKind::InvalidData.into()),
        Start::Reply { message, why } => {
            slots.refused.fetch_add(1, Relaxed);
            match &why {
                Refusal::UpToDate => tracing::info!(%peer, "IXFR: the secondary is up to date"),
                why => {
                    tracing::info!(%peer, reason = ?why, rcode = %why.rcode(), "zone transfer refused")
                }
            }
            return write(w, &message).await;
        }
        Start::Transfer(t) => t,
    };
    let view = snap
        .views
        .get(transfer.view)
        .map(|v| v.name.as_str())
        .unwrap_or("-");
    let zone = lyncdns_dnsdata::name::to_text(&transfer.zone.apex);
    let mut octets = 0usize;
    let result = loop {
        if started.elapsed() > TRANSFER_TIMEOUT {
            break Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "transfer took too long",
            ));
        }
        match transfer.next_message(Time48::now()) {
            None => break Ok(()),
            Some(Err(e)) => break Err(io::Error::other(e)),
            Some(Ok(message)) => {
                octets += message.len();
                if let Err(e) = write(w, &message).await {
                    break Err(e);
                }
            }
        }
    };
    let ms = started.elapsed().as_millis() as u64;
    let key = transfer.key.as_deref().unwrap_or("-");
    match &result {
        Ok(()) => {
            slots.done.fetch_add(1, Relaxed);
            slots.octets.fetch_add(octets as u64, Relaxed);
            tracing::info!(%peer, key, view, zone, serial = transfer.serial, qtype = %transfer.qtype, records = transfer.records_sent(), octets, messages = transfer.messages, ms, "zone transferred");
        }
        Err(e) => {
            slots.failed.fetch_add(1, Relaxed);
            tracing::warn!(%peer, key, view, zone, serial = transfer.serial, octets, messages = transfer.messages, ms, error = %e, "zone transfer failed");
        }
    }
    result
}

/// Writes one message with its length, under [`WRITE_TIMEOUT`].
async fn write<W: AsyncWrite + Unpin>(w: &mut W, message: &[u8]) -> io::Result<()> {
    let len =
        u16::try_from(message.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    let send = async {
        w.write_all(&len.to_be_bytes()).await?;
        w.write_all(message).await?;
        w.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, send).await {
        Ok(r) => r,
        Err(_) => Err(io::ErrorKind::TimedOut.into()),
    }
}

/// REFUSED for `query`: its header and question, QR set (no TSIG: the request was not verified).
fn busy(query: &[u8]) -> Vec<u8> {
    let end = question_end(query).unwrap_or(12).min(query.len());
    let mut m = query[..end].to_vec();
    if m.len() < 12 {
        m.resize(12, 0);
    }
    m[2] = 0x80 | (m[2] & 0x79);
    m[3] = Rcode::REFUSED.0 as u8;
    let qd = if end > 12 { 1u16 } else { 0 };
    m[4..6].copy_from_slice(&qd.to_be_bytes());
    m[6..12].fill(0);
    m
}

use lyncdns_dnsdata::types::Rcode;

/// The offset after the first question, if it is well formed.
fn question_end(q: &[u8]) -> Option<usize> {
    let mut at = 12;
    loop {
        let len = *q.get(at)? as usize;
        if len & 0xc0 != 0 {
            return None;
        }
        at += 1 + len;
        if len == 0 {
            return (at + 4 <= q.len()).then_some(at + 4);
        }
    }
}
