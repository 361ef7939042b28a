//! Zone transfers and TSIG: lyncdns as a primary for secondaries, one view at a time.
//!
//! Layers, like the rest of the server (pure decisions, a thin shell):
//!
//! ```text
//! server::tcp ──AXFR/IXFR──▶ xfr::shell (slots, timeout, log) ──▶ xfr::axfr::start (who, which view, which zone)
//!                                                                  └▶ xfr::axfr::Transfer::next (16 KiB messages, each signed)
//! answer::answer ──TSIG-signed query──▶ xfr::signed (verify, view by key, answer, sign)
//! ```
//!
//! - [`keys`]: the TSIG keys of a snapshot, each naming the one view it selects (`domain`'s `KeyStore`).
//! - [`signed`]: an ordinary query signed with TSIG (RFC 8945 §5.2): verified, answered from its key's view, and
//!   the answer signed; a bad signature, an unknown key or a clock too far off get the RFC's error.
//! - [`axfr`]: the pure part of an outgoing transfer: whether it is allowed and from which view and zone, and the
//!   messages (RFC 5936 AXFR; RFC 1995 IXFR answered with the whole zone, or a single SOA when the secondary is
//!   up to date).
//! - [`catalog`]: a view's catalog zone (RFC 9432) listing its zones, built when a snapshot is loaded and then
//!   served, journalled and notified like the zones it lists.
//! - [`journal`]: serials across reloads (the view's serial policy) and the bounded journal of differences IXFR
//!   sends.
//! - [`notify`]: NOTIFY (RFC 1996) to a view's secondaries after a reload changed its zones, signed, retried.
//! - [`shell`]: the TCP side: a limit on concurrent transfers, a timeout, the log line and the counters.
//!
//! The security rule: a transfer or query signed with a key is answered from the one view that lists the key
//! (the model rejects a key listed by two views), never from the view of the client's address; an unsigned
//! transfer is allowed only from a client whose address selects the view and lies in its `allow_transfer`.

pub mod axfr;
pub mod catalog;
pub mod journal;
pub mod keys;
pub mod notify;
pub mod shell;
pub mod signed;

use std::sync::Arc;

use ipnet::IpNet;
use lyncdns_dnsdata::record::Zone;
use lyncdns_dnsdata::types::Rtype;

pub use keys::{KeyRing, ViewKey};

/// What a snapshot needs for transfers and signed queries: the keys, and per view who may transfer it and a copy
/// of its zones as loaded (the compiled answers do not keep the zones' record order or their SOA alone).
///
/// Zones are kept only for views someone may transfer, so a deployment without transfers pays nothing.
#[derive(Debug, Clone, Default)]
pub struct Transfers {
    /// The keys, each with its view.
    pub keys: KeyRing,
    /// Per view, in the snapshot's view order.
    pub views: Vec<ViewTransfers>,
}

/// One view's transfer settings and zones.
#[derive(Debug, Clone, Default)]
pub struct ViewTransfers {
    /// Client prefixes that may transfer without a key (their address must also select this view).
    pub allow: Vec<IpNet>,
    /// Whether any key selects this view.
    pub keyed: bool,
    /// The view's zones, when it may be transferred at all.
    pub zones: Vec<Arc<Zone>>,
    /// Each zone's journal of differences (same order as `zones`).
    pub journals: Vec<journal::Journal>,
    /// Indexes of the zones whose serial this load changed (their secondaries are notified).
    pub changed: Vec<usize>,
    /// Secondaries to notify.
    pub notify: Vec<std::net::SocketAddr>,
    /// The key NOTIFY messages are signed with (the view's first key).
    pub notify_key: Option<String>,
}

impl Transfers {
    /// Whether signed queries have any key to be verified with.
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The zones of `view` (empty when it may not be transferred).
    pub fn zones(&self, view: usize) -> &[Arc<Zone>] {
        self.views
            .get(view)
            .map(|v| v.zones.as_slice())
            .unwrap_or(&[])
    }

    /// Heap held by the zones kept for transfers, for the log.
    pub fn heap_size(&self) -> usize {
        self.views
            .iter()
            .flat_map(|v| &v.zones)
            .map(|z| z.records.arena().len() + z.records.len() * 16)
            .sum()
    }
}

/// Whether `query` asks for a zone transfer (its first question's type is AXFR or IXFR): a cheap look at the
/// question, so that the TCP shell hands transfers over before the answer path. Anything malformed is not a
/// transfer (the answer path answers it).
pub fn is_transfer(query: &[u8]) -> bool {
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return false;
    }
    let mut at = 12;
    while let Some(&len) = query.get(at) {
        if len & 0xc0 != 0 {
            return false;
        }
        at += 1 + len as usize;
        if len == 0 {
            return query
                .get(at..at + 2)
                .map(|t| {
                    let t = Rtype(u16::from_be_bytes([t[0], t[1]]));
                    t == Rtype::AXFR || t == Rtype::IXFR
                })
                .unwrap_or(false);
        }
    }
    false
}

/// An error reply `domain`'s TSIG server code built, with its TSIG error corrected: `domain` 0.12.3 reports a MAC
/// that does not verify as TSIG error FORMERR where RFC 8945 §5.2.3 says BADSIG (16). Such a reply is NOTAUTH
/// with an unsigned TSIG record last, whose RDATA ends with error (2 octets), other length 0 (2 octets).
pub(crate) fn tsig_error_reply(mut reply: Vec<u8>) -> Vec<u8> {
    const FORMERR: [u8; 2] = [0, 1];
    const BADSIG: [u8; 2] = [0, 16];
    let n = reply.len();
    if n > 16 && reply[3] & 0x0f == 9 && reply[n - 2..] == [0, 0] && reply[n - 4..n - 2] == FORMERR
    {
        reply[n - 4..n - 2].copy_from_slice(&BADSIG);
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_mac_is_reported_as_badsig_rfc8945_5_2_3() {
        // NOTAUTH (9) with a TSIG record ending error FORMERR (1), other length 0: domain 0.12.3's bad-MAC reply.
        let mut reply = vec![0, 1, 0x80, 9, 0, 0, 0, 0, 0, 0, 0, 1];
        reply.extend_from_slice(&[0; 6]);
        reply.extend_from_slice(&[0, 1, 0, 0]);
        assert_eq!(tsig_error_reply(reply.clone())[18..], [0, 16, 0, 0]);
        // Anything else is left alone: a BADTIME with its time in Other Data, or another RCODE.
        let mut other = reply.clone();
        other[3] = 5;
        assert_eq!(tsig_error_reply(other.clone()), other);
        let mut badkey = reply;
        badkey[19] = 17;
        assert_eq!(tsig_error_reply(badkey.clone()), badkey);
    }

    #[test]
    fn transfers_are_recognized_by_their_question() {
        let q = |qtype: u16| {
            let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(b"\x07example\x00");
            m.extend_from_slice(&qtype.to_be_bytes());
            m.extend_from_slice(&1u16.to_be_bytes());
            m
        };
        assert!(is_transfer(&q(252)));
        assert!(is_transfer(&q(251)));
        assert!(!is_transfer(&q(1)));
        assert!(!is_transfer(&q(252)[..20]));
        let mut response = q(252);
        response[2] |= 0x80;
        assert!(!is_transfer(&response));
        assert!(!is_transfer(b"\x00\x01"));
    }
}
