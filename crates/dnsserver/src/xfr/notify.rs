//! NOTIFY (RFC 1996): after a reload changed zones of a view, each of the view's secondaries is told, so it asks
//! for the new version (by IXFR) at once instead of at its next refresh.
//!
//! One task per secondary and zone, spawned by the reload and never awaited by it: the NOTIFY goes over UDP from
//! an ephemeral port, signed with the view's key (RFC 8945, so a BIND secondary with views matches it to that
//! view), and is sent again when no answer comes: [`ATTEMPTS`] times, waiting [`FIRST_WAIT`] then twice as long
//! each time (RFC 1996 §3.6: retransmit with a timeout that grows). An answer with the same ID ends it; an
//! answer whose signature does not verify is ignored.

use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use domain::base::iana::{Opcode, Rcode};
use domain::base::{Message, MessageBuilder, Name, Rtype};
use domain::rdata::tsig::Time48;
use domain::tsig::{ClientTransaction, Key};

use crate::compile::Snapshot;

/// Sends per NOTIFY, the first included.
pub const ATTEMPTS: u32 = 5;

/// How long the first attempt waits for an answer; each further one waits twice as long.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);

/// One NOTIFY to send.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The secondary.
    pub target: SocketAddr,
    /// The zone's apex, wire format.
    pub apex: Vec<u8>,
    /// Its new serial, for the log.
    pub serial: u32,
    /// The view, for the log.
    pub view: String,
    /// The key to sign with.
    pub key: Option<Arc<Key>>,
}

/// The NOTIFYs due after `snap` was swapped in: every changed zone of every view, to each of its secondaries.
pub fn due(snap: &Snapshot) -> Vec<Notice> {
    let mut out = Vec::new();
    for (i, v) in snap.xfr.views.iter().enumerate() {
        let key = v.notify_key.as_deref().and_then(|k| snap.xfr.keys.key(k));
        for &z in &v.changed {
            let Some(zone) = v.zones.get(z) else { continue };
            let serial = super::journal::soa_of(zone).map(|(_, s)| s).unwrap_or(0);
            for &target in &v.notify {
                out.push(Notice {
                    target,
                    apex: zone.apex.clone(),
                    serial,
                    view: snap
                        .views
                        .get(i)
                        .map(|v| v.name.clone())
                        .unwrap_or_default(),
                    key: key.clone(),
                });
            }
        }
    }
    out
}

/// Spawns one task per NOTIFY due after `snap` was swapped in, when called inside a tokio runtime.
pub fn spawn_due(snap: &Snapshot) {
    let due = due(snap);
    if due.is_empty() {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(count = due.len(), "NOTIFY not sent: no runtime");
        return;
    };
    for notice in due {
        rt.spawn(send(notice));
    }
}

/// The transaction that checks a signed NOTIFY's answer.
pub type Signed = ClientTransaction<Arc<Key>>;

/// The NOTIFY message for `apex` with `id`, signed with `key` when given (with the transaction that checks the
/// answer).
pub fn message(
    apex: &[u8],
    id: u16,
    key: Option<&Arc<Key>>,
    now: Time48,
) -> Option<(Vec<u8>, Option<Signed>)> {
    let mut b = MessageBuilder::new_vec();
    let h = b.header_mut();
    h.set_id(id);
    h.set_opcode(Opcode::NOTIFY);
    h.set_aa(true);
    let mut q = b.question();
    q.push((Name::from_slice(apex).ok()?, Rtype::SOA)).ok()?;
    let mut add = q.additional();
    let tx = match key {
        Some(k) => Some(ClientTransaction::request(k.clone(), &mut add, now).ok()?),
        None => None,
    };
    Some((add.finish(), tx))
}

/// Sends `notice` until it is answered or [`ATTEMPTS`] sends went unanswered; logs the result.
pub async fn send(notice: Notice) {
    let zone = lyncdns_dnsdata::name::to_text(&notice.apex);
    let (target, view, serial) = (notice.target, notice.view.as_str(), notice.serial);
    let bind: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = match tokio::net::UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%target, view, zone, error = %e, "NOTIFY not sent");
            return;
        }
    };
    let mut wait = FIRST_WAIT;
    let mut buf = vec![0u8; 4096];
    for attempt in 1..=ATTEMPTS {
        let id = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish() as u16;
        let Some((msg, mut tx)) = message(&notice.apex, id, notice.key.as_ref(), Time48::now())
        else {
            tracing::warn!(%target, view, zone, "NOTIFY cannot be built");
            return;
        };
        if let Err(e) = sock.send_to(&msg, target).await {
            tracing::debug!(%target, view, zone, attempt, error = %e, "NOTIFY send failed");
        }
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Ok((n, from))) =
            tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await
        {
            let Ok(mut answer) = Message::from_octets(buf[..n].to_vec()) else {
                continue;
            };
            let h = answer.header();
            if from != target || h.id() != id || !h.qr() || h.opcode() != Opcode::NOTIFY {
                continue;
            }
            if let Some(tx) = tx.take()
                && tx.answer(&mut answer, Time48::now()).is_err()
            {
                tracing::warn!(%target, view, zone, "NOTIFY answer with a bad TSIG signature ignored");
                return;
            }
            let rcode = answer.header().rcode();
            if rcode == Rcode::NOERROR {
                tracing::info!(%target, view, zone, serial, attempt, "NOTIFY acknowledged");
            } else {
                tracing::warn!(%target, view, zone, serial, %rcode, "NOTIFY answered with an error");
            }
            return;
        }
        wait *= 2;
    }
    tracing::warn!(%target, view, zone, serial, attempts = ATTEMPTS, "NOTIFY not answered");
}
