//! The pure part of an outgoing zone transfer: who may have which zone, and the messages that carry it.
//!
//! [`start`] decides from the snapshot, the request octets, the client's address and the time (no I/O, no
//! clock): a TSIG-signed request is verified and its key selects the view (RFC 8945 §5.2, as BIND's
//! `match-clients { key …; }`); an unsigned one is allowed only from an `allow_transfer` prefix of the view its
//! address selects. The answer is either one reply (an error, or IXFR's single SOA) or a [`Transfer`], whose
//! [`Transfer::next_message`] yields the messages one by one, so the shell never holds more than one.
//!
//! Protocol rules followed:
//! - RFC 5936 §2.2: the zone's SOA first and last, every other record once in between; messages filled to
//!   16 KiB (see `MESSAGE_TARGET`; one record larger than that gets up to 64 KiB) with names compressed; the
//!   question in the first message only (§2.2.1 lets later ones omit it);
//!   AA set.
//! - RFC 5936 §2.2.1 / RFC 8906: a zone this view does not serve gets NOTAUTH; an unsigned request from a client
//!   not allowed gets REFUSED.
//! - RFC 8945 §5.3.1: every message of a signed transfer is signed (the RFC allows every 100th; each one costs
//!   one HMAC, and secondaries check each that carries one).
//! - RFC 1995: IXFR whose SOA serial is the zone's (or newer, RFC 1982 arithmetic) gets the single SOA (§2);
//!   otherwise the differences since its serial from the zone's journal (§4), or, when the journal does not reach
//!   back that far, the whole zone, AXFR-style (§4: "the entire zone is returned").
//! - RFC 8945 §5.2: a bad key, MAC or time gets the error `domain`'s `ServerSequence` builds (BADKEY, BADSIG
//!   unsigned; BADTIME signed).

use std::net::IpAddr;
use std::sync::Arc;

use domain::base::iana::{Class as DClass, Rcode as DRcode};
use domain::base::message_builder::AnswerBuilder;
use domain::base::rdata::UnknownRecordData;
use domain::base::{
    Message, MessageBuilder, Name, ParsedName, Rtype as DRtype, Serial, ToName, TreeCompressor, Ttl,
};
use domain::rdata::Soa;
use domain::rdata::tsig::Time48;
use domain::tsig::ServerSequence;

use super::ViewKey;
use super::journal::{Diff, soa_of};
use crate::compile::Snapshot;
use lyncdns_dnsdata::record::{Records, RrRef, Zone};
use lyncdns_dnsdata::types::{Rcode, Rtype};

/// The largest DNS message over TCP (RFC 1035 §4.2.2: a two-octet length).
const MAX_MESSAGE: usize = 65535;

/// The size transfer messages are filled to. A compression pointer reaches only the first 16 KiB of a message
/// (14 bits, RFC 1035 §4.1.4), and `domain` 0.12.3's compressor writes a name first seen past that point whole,
/// parent domains included: 64 KiB messages of the 1,000,000-record zone took 35.9 MB, 16 KiB ones 27.7 MB, as
/// Knot's (which fills 16 KiB too). A record larger than this gets a message of up to 64 KiB of its own.
const MESSAGE_TARGET: usize = 16 * 1024;

/// What to do with a transfer request.
#[derive(Debug)]
pub enum Start {
    /// Send nothing and close: the octets are not a DNS request.
    Drop,
    /// Send this one message, for this reason.
    Reply {
        /// The message.
        message: Vec<u8>,
        /// Why it is not a transfer.
        why: Refusal,
    },
    /// Send the zone.
    Transfer(Box<Transfer>),
}

/// Why a request got a single reply instead of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An opcode other than QUERY (NOTIMP, RFC 1035 §4.1.1).
    NotImplemented,
    /// Not one question of type AXFR or IXFR in class IN, or an IXFR without its SOA (FORMERR).
    Malformed,
    /// The TSIG record failed verification (NOTAUTH with this TSIG error).
    Tsig(String),
    /// Unsigned, from a client that may not transfer the view its address selects (REFUSED).
    NotAllowed,
    /// The view chosen does not serve this zone, or may not be transferred (NOTAUTH).
    NotServed,
    /// IXFR from a secondary that is up to date: the single SOA (RFC 1995 §2), not an error.
    UpToDate,
}

impl Refusal {
    /// The RCODE the reply carries.
    pub fn rcode(&self) -> Rcode {
        match self {
            Refusal::NotImplemented => Rcode::NOTIMP,
            Refusal::Malformed => Rcode::FORMERR,
            Refusal::Tsig(_) | Refusal::NotServed => Rcode::NOTAUTH,
            Refusal::NotAllowed => Rcode::REFUSED,
            Refusal::UpToDate => Rcode::NOERROR,
        }
    }
}

/// A transfer under way: the zone and where the next message starts.
#[derive(Debug)]
pub struct Transfer {
    /// The view its key or address selected.
    pub view: usize,
    /// The zone sent.
    pub zone: Arc<Zone>,
    /// The zone's SOA serial.
    pub serial: u32,
    /// AXFR or IXFR (answered with the whole zone).
    pub qtype: Rtype,
    /// The key that signed the request, if any.
    pub key: Option<String>,
    /// Signs each message when the request was signed.
    seq: Option<ServerSequence<ViewKey>>,
    /// The request, TSIG removed: its ID, flags and question are copied.
    request: Message<Vec<u8>>,
    /// Index of the apex SOA among the zone's records.
    soa: usize,
    /// An incremental transfer's records, in order (`None`: the whole zone).
    sequence: Option<Records>,
    /// The next position in the sequence SOA, every other record, SOA (0 ..= records).
    pos: usize,
    /// Messages produced so far.
    pub messages: usize,
}

/// Why a message of a transfer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A record does not fit an empty 64 KiB message.
    #[error("a record of {owner} does not fit a DNS message")]
    TooLarge {
        /// The record's owner.
        owner: String,
    },
    /// A stored owner name is not a domain name (a bug: names are checked when loaded).
    #[error("a stored owner name is not a domain name")]
    Name,
    /// Signing failed (no room left for the TSIG record).
    #[error("cannot sign the message")]
    Sign,
}

/// Decides what to send for the transfer request `query` from `src` at time `now`.
pub fn start(snap: &Snapshot, query: &[u8], src: IpAddr, now: Time48) -> Start {
    let Ok(mut msg) = Message::from_octets(query.to_vec()) else {
        return Start::Drop;
    };
    let mut seq = match ServerSequence::request(&snap.xfr.keys, &mut msg, now) {
        Ok(seq) => seq,
        Err(error) => {
            let why = Refusal::Tsig(error.error().to_string());
            return match error.build_message(&msg, MessageBuilder::new_vec()) {
                Ok(b) => Start::Reply {
                    message: super::tsig_error_reply(b.finish()),
                    why,
                },
                Err(_) => Start::Drop,
            };
        }
    };
    let reply =
        |msg: &Message<Vec<u8>>, seq: &mut Option<ServerSequence<ViewKey>>, why: Refusal| {
            let rcode = DRcode::checked_from_int(why.rcode().0 as u8).unwrap_or(DRcode::SERVFAIL);
            match single(msg, rcode, None, seq.as_mut(), now) {
                Some(message) => Start::Reply { message, why },
                None => Start::Drop,
            }
        };
    if msg.header().opcode() != domain::base::iana::Opcode::QUERY {
        return reply(&msg, &mut seq, Refusal::NotImplemented);
    }
    let question = match msg.sole_question() {
        Ok(q) if q.qclass() == DClass::IN && matches!(q.qtype(), DRtype::AXFR | DRtype::IXFR) => q,
        _ => return reply(&msg, &mut seq, Refusal::Malformed),
    };
    let qtype = Rtype(question.qtype().to_int());
    let view = match &seq {
        Some(seq) => seq.wrapped_key().view,
        None => match snap.matcher.select(src) {
            Some(v)
                if snap
                    .xfr
                    .views
                    .get(v)
                    .is_some_and(|t| t.allow.iter().any(|n| n.contains(&src))) =>
            {
                v
            }
            _ => return reply(&msg, &mut seq, Refusal::NotAllowed),
        },
    };
    let qname = question.qname().to_vec().as_slice().to_ascii_lowercase();
    let Some(index) = snap.xfr.zones(view).iter().position(|z| z.apex == qname) else {
        return reply(&msg, &mut seq, Refusal::NotServed);
    };
    let zone = snap.xfr.zones(view)[index].clone();
    let Some((soa, serial)) = soa_of(&zone) else {
        return reply(&msg, &mut seq, Refusal::NotServed);
    };
    let mut sequence = None;
    if qtype == Rtype::IXFR {
        let client = msg.authority().ok().and_then(|section| {
            section
                .limit_to_in::<Soa<ParsedName<_>>>()
                .next()
                .and_then(Result::ok)
                .map(|rr| rr.data().serial())
        });
        let Some(client) = client else {
            return reply(&msg, &mut seq, Refusal::Malformed);
        };
        // RFC 1995 §4: the differences from the client's version on, when the journal reaches back to it.
        sequence = snap
            .xfr
            .views
            .get(view)
            .and_then(|v| v.journals.get(index))
            .and_then(|j| j.since(client.into_int()))
            .map(|diffs| incremental(&zone, soa, diffs));
        if client == Serial(serial) || Serial(serial) < client {
            let rr = zone.records.get(soa);
            return match single(&msg, DRcode::NOERROR, Some(rr), seq.as_mut(), now) {
                Some(message) => Start::Reply {
                    message,
                    why: Refusal::UpToDate,
                },
                None => Start::Drop,
            };
        }
    }
    let key = seq.as_ref().map(|s| s.key().name().to_string());
    Start::Transfer(Box::new(Transfer {
        view,
        zone,
        serial,
        qtype,
        key,
        seq,
        request: msg,
        soa,
        sequence,
        pos: 0,
        messages: 0,
    }))
}

/// The IXFR sequence (RFC 1995 §4): the current SOA; per difference, the old SOA, the records removed, the new
/// SOA, the records added; the current SOA again.
fn incremental(zone: &Zone, soa: usize, diffs: &[Arc<Diff>]) -> Records {
    let current = zone.records.get(soa);
    let mut seq = Records::default();
    let mut put = |r: RrRef<'_>| {
        // Every record comes from a store, so it fits one.
        let _ = seq.push(r.owner, r.rtype, r.ttl, r.rdata);
    };
    put(current);
    for d in diffs {
        put(RrRef {
            rdata: &d.old_soa,
            ..current
        });
        d.removed.iter().for_each(&mut put);
        put(RrRef {
            rdata: &d.new_soa,
            ..current
        });
        d.added.iter().for_each(&mut put);
    }
    put(current);
    seq
}

/// A reply to `msg` with `rcode` and at most one answer record, signed when `seq` is given.
fn single(
    msg: &Message<Vec<u8>>,
    rcode: DRcode,
    answer: Option<lyncdns_dnsdata::record::RrRef<'_>>,
    seq: Option<&mut ServerSequence<ViewKey>>,
    now: Time48,
) -> Option<Vec<u8>> {
    let mut a = MessageBuilder::new_vec().start_answer(msg, rcode).ok()?;
    a.header_mut().set_aa(rcode == DRcode::NOERROR);
    if let Some(rr) = answer {
        push(&mut a, rr).ok()?;
    }
    let mut add = a.additional();
    if let Some(seq) = seq {
        seq.answer(&mut add, now).ok()?;
    }
    Some(add.finish())
}

/// Appends one stored record to an answer section; `Err(true)` when it does not fit, `Err(false)` for a bad name.
/// The names inside CNAME, NS, PTR and MX data are compressed like owners (RFC 1035 types, RFC 3597 §4); other
/// data is copied as stored.
fn push<T: domain::base::wire::Composer>(
    a: &mut AnswerBuilder<T>,
    rr: lyncdns_dnsdata::record::RrRef<'_>,
) -> Result<(), bool> {
    use domain::rdata::{Cname, Mx, Ns, Ptr};
    let owner = Name::from_slice(rr.owner).map_err(|_| false)?;
    let (class, ttl) = (DClass::IN, Ttl::from_secs(rr.ttl));
    let name = |at: usize| rr.rdata.get(at..).and_then(|n| Name::from_slice(n).ok());
    let pushed = match (rr.rtype, name(0)) {
        (Rtype::CNAME, Some(n)) => a.push((owner, class, ttl, Cname::new(n))),
        (Rtype::NS, Some(n)) => a.push((owner, class, ttl, Ns::new(n))),
        (Rtype::PTR, Some(n)) => a.push((owner, class, ttl, Ptr::new(n))),
        (Rtype::MX, _) if rr.rdata.len() > 2 && name(2).is_some() => {
            let preference = u16::from_be_bytes([rr.rdata[0], rr.rdata[1]]);
            a.push((
                owner,
                class,
                ttl,
                Mx::new(preference, name(2).ok_or(false)?),
            ))
        }
        _ => {
            let data = UnknownRecordData::from_octets(DRtype::from_int(rr.rtype.0), rr.rdata)
                .map_err(|_| true)?;
            a.push((owner, class, ttl, data))
        }
    };
    pushed.map_err(|_| true)
}

impl Transfer {
    /// The last position of the sequence SOA, the others, SOA (the records counted with one SOA), or of the
    /// incremental sequence.
    fn last(&self) -> usize {
        match &self.sequence {
            Some(seq) => seq.len().saturating_sub(1),
            None => self.zone.records.len(),
        }
    }

    /// The record at position `pos` of the sequence.
    fn record(&self, pos: usize) -> lyncdns_dnsdata::record::RrRef<'_> {
        if let Some(seq) = &self.sequence {
            return seq.get(pos);
        }
        let r = &self.zone.records;
        if pos == 0 || pos == self.last() {
            r.get(self.soa)
        } else {
            // Positions 1 .. last are the records without the SOA.
            let i = pos - 1;
            r.get(if i >= self.soa { i + 1 } else { i })
        }
    }

    /// The next message, or `None` when the zone has been sent.
    pub fn next_message(&mut self, now: Time48) -> Option<Result<Vec<u8>, TransferError>> {
        if self.pos > self.last() {
            return None;
        }
        Some(self.message(now))
    }

    fn message(&mut self, now: Time48) -> Result<Vec<u8>, TransferError> {
        let mut b =
            MessageBuilder::from_target(TreeCompressor::new(Vec::with_capacity(MAX_MESSAGE)))
                .map_err(|_| TransferError::Sign)?;
        let reserve = self
            .seq
            .as_ref()
            .map(|s| usize::from(s.key().compose_len()))
            .unwrap_or(0);
        b.set_push_limit(MESSAGE_TARGET - reserve);
        let h = b.header_mut();
        let req = self.request.header();
        h.set_id(req.id());
        h.set_qr(true);
        h.set_opcode(req.opcode());
        h.set_aa(true);
        h.set_rd(req.rd());
        let mut q = b.question();
        if self.messages == 0
            && let Ok(question) = self.request.sole_question()
        {
            q.push(question).map_err(|_| TransferError::Sign)?;
        }
        let mut a = q.answer();
        let (mut pushed, mut raised) = (0, false);
        while self.pos <= self.last() {
            let rr = self.record(self.pos);
            match push(&mut a, rr) {
                Ok(()) => {
                    self.pos += 1;
                    pushed += 1;
                }
                Err(true) if pushed > 0 => break,
                Err(true) if !raised => {
                    raised = true;
                    a.as_builder_mut().set_push_limit(MAX_MESSAGE - reserve);
                }
                Err(true) => {
                    return Err(TransferError::TooLarge {
                        owner: lyncdns_dnsdata::name::to_text(rr.owner),
                    });
                }
                Err(false) => return Err(TransferError::Name),
            }
        }
        let mut add = a.additional();
        if let Some(seq) = &mut self.seq {
            add.as_builder_mut().clear_push_limit();
            seq.answer(&mut add, now).map_err(|_| TransferError::Sign)?;
        }
        self.messages += 1;
        Ok(add.finish().into_target())
    }

    /// Records sent so far (the SOA counted twice, as on the wire).
    pub fn records_sent(&self) -> usize {
        self.pos
    }
}
