//! Reading a zone by AXFR (RFC 5936), as a client: the request, optionally TSIG-signed (RFC 8945), and the
//! sequence of response messages read into [`Record`]s, with no sockets and no clock (the caller passes the
//! messages and the current time in, as `quinn-proto` does), so every rule is unit-tested.
//!
//! The rules checked on the way: every message answers our request (ID, QR, opcode, the question when it is
//! present) with NOERROR (RFC 5936 §2.2); the first record is the zone's SOA and the transfer ends at the next SOA
//! of the apex, with nothing after it (§2.2); every record lies in the zone and is of class IN; no message is
//! truncated; with a key, the first and last messages are signed and at least every 100th is (RFC 8945 §5.3.1,
//! verified by `domain`'s [`ClientSequence`]); the messages, octets and records stay within [`Limits`].
//!
//! The I/O shell (framing over TCP, timeouts) is `lyncdns-discover`'s `axfr` module; callers that do not link it
//! ask through the [`ZoneTransfer`] trait.

use std::fmt;
use std::str::FromStr;

use domain::base::iana::{Class as DomainClass, Opcode, Rtype as DomainRtype};
use domain::base::name::ParsedName;
use domain::base::{Message, MessageBuilder, Name};
use domain::rdata::tsig::{Time48, Tsig};
use domain::tsig::{ClientSequence, Key, ValidationError};
use serde::Serialize;

use crate::message::{read_record, text_name};
use crate::rdata::{Record, RecordData};
use crate::tsig::{TsigKey, TsigKeyError};
use crate::types::{Rcode, Rtype};

/// The most a transfer may bring, so a server (or anything posing as one) cannot make the reader hold without
/// bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Octets of all messages together.
    pub max_bytes: u64,
    /// Records (the closing SOA not counted).
    pub max_records: usize,
    /// Messages.
    pub max_messages: usize,
}

impl Default for Limits {
    /// 1 GiB, 10 million records, 1 million messages: ten times the largest zone the server is measured with.
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 30,
            max_records: 10_000_000,
            max_messages: 1_000_000,
        }
    }
}

/// A TSIG error a server reported in its TSIG record (RFC 8945 §5.3.2, §5.4), or that the client found verifying
/// the server's signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TsigError {
    /// BADSIG (16): the signature did not verify (a wrong secret).
    BadSig,
    /// BADKEY (17): the key name or algorithm is unknown.
    BadKey,
    /// BADTIME (18): the clocks differ by more than the fudge.
    BadTime,
    /// BADTRUNC (22): a truncated MAC that is not allowed.
    BadTrunc,
    /// The answer carries no signature although the request was signed (RFC 8945 §5.3.1).
    #[serde(rename = "unsigned")]
    Unsigned,
    /// More than 99 unsigned messages in a row, or an unsigned last message (RFC 8945 §5.3.1).
    #[serde(rename = "too-many-unsigned")]
    TooManyUnsigned,
    /// The TSIG record is malformed or misplaced (RFC 8945 §5.2).
    FormErr,
    /// Another TSIG error code.
    #[serde(rename = "other")]
    Other(u16),
}

impl TsigError {
    /// The error of a TSIG error field.
    pub fn of_code(code: u16) -> TsigError {
        match code {
            16 => TsigError::BadSig,
            17 => TsigError::BadKey,
            18 => TsigError::BadTime,
            22 => TsigError::BadTrunc,
            n => TsigError::Other(n),
        }
    }

    /// What `domain` found verifying an answer.
    fn of_validation(e: &ValidationError) -> TsigError {
        match e {
            ValidationError::BadSig | ValidationError::ServerBadSig => TsigError::BadSig,
            ValidationError::BadKey | ValidationError::ServerBadKey | ValidationError::BadAlg => {
                TsigError::BadKey
            }
            ValidationError::BadTime | ValidationError::ServerBadTime { .. } => TsigError::BadTime,
            ValidationError::BadTrunc => TsigError::BadTrunc,
            ValidationError::ServerUnsigned => TsigError::Unsigned,
            ValidationError::TooManyUnsigned => TsigError::TooManyUnsigned,
            ValidationError::BadOther | ValidationError::FormErr => TsigError::FormErr,
        }
    }
}

impl fmt::Display for TsigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TsigError::BadSig => f.write_str("BADSIG"),
            TsigError::BadKey => f.write_str("BADKEY"),
            TsigError::BadTime => f.write_str("BADTIME"),
            TsigError::BadTrunc => f.write_str("BADTRUNC"),
            TsigError::Unsigned => f.write_str("unsigned answer"),
            TsigError::TooManyUnsigned => f.write_str("too many unsigned messages"),
            TsigError::FormErr => f.write_str("malformed TSIG record"),
            TsigError::Other(n) => write!(f, "TSIG error {n}"),
        }
    }
}

/// Which limit a transfer went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// [`Limits::max_bytes`].
    Bytes(u64),
    /// [`Limits::max_records`].
    Records(usize),
    /// [`Limits::max_messages`].
    Messages(usize),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Bytes(n) => write!(f, "{n} octets"),
            Limit::Records(n) => write!(f, "{n} records"),
            Limit::Messages(n) => write!(f, "{n} messages"),
        }
    }
}

/// Why a sequence of messages is not a transfer of the zone (RFC 5936 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Malformed {
    /// Not a DNS message at all.
    #[error("not a DNS message")]
    NotAMessage,
    /// Not a response to our request (ID, QR or opcode differ).
    #[error("not a response to the request (ID {id}, QR {qr}, opcode {opcode})")]
    NotOurs {
        /// The message's ID.
        id: u16,
        /// Its QR bit.
        qr: bool,
        /// Its opcode.
        opcode: u8,
    },
    /// A question other than `ZONE IN AXFR`.
    #[error("the question is `{question}`, not `{zone} IN AXFR`")]
    Question {
        /// The zone asked for.
        zone: String,
        /// What the message's question says.
        question: String,
    },
    /// The TC bit is set: a transfer is never truncated (RFC 5936 §2.2.1).
    #[error("the TC bit is set")]
    Truncated,
    /// A record that cannot be read.
    #[error("message {message}: {detail}")]
    Record {
        /// The message's number, from 1.
        message: usize,
        /// What was wrong.
        detail: String,
    },
    /// The first record is not the zone's SOA.
    #[error("the first record is `{found}`, not the SOA of {zone}")]
    FirstNotSoa {
        /// The zone.
        zone: String,
        /// The first record's owner and type.
        found: String,
    },
    /// A record outside the zone.
    #[error("`{owner} {rtype}` is outside the zone {zone}")]
    OutOfZone {
        /// The zone.
        zone: String,
        /// The record's owner.
        owner: String,
        /// Its type.
        rtype: Rtype,
    },
    /// A record after the closing SOA, or a message after the last one.
    #[error("data after the closing SOA")]
    AfterEnd,
    /// The closing SOA's serial differs from the first's (the zone changed mid-transfer).
    #[error("the closing SOA has serial {last}, the first {first}")]
    SerialChanged {
        /// The first SOA's serial.
        first: u32,
        /// The last SOA's serial.
        last: u32,
    },
    /// The stream ended before the closing SOA.
    #[error("the transfer ended before the closing SOA")]
    Incomplete,
}

/// A zone as transferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transferred {
    /// The zone, lowercase, without the trailing dot.
    pub zone: String,
    /// Its records in the order sent, the SOA first (the closing SOA not repeated).
    pub records: Vec<Record>,
    /// The SOA's serial.
    pub serial: u32,
    /// How many messages it took.
    pub messages: usize,
    /// Octets of all messages (without the TCP length prefixes).
    pub bytes: u64,
    /// Whether the transfer was TSIG-signed and every signature verified.
    pub signed: bool,
}

/// Why a transfer did not give a zone. The I/O shell adds how the connection failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "failure", rename_all = "kebab-case")]
pub enum Failure {
    /// The server answered with an error: REFUSED (transfers not allowed to us), NOTAUTH (not authoritative, or
    /// a TSIG failure with its error), NOTIMP, SERVFAIL…
    #[error("{rcode}{}", tsig.map(|t| format!(" ({t})")).unwrap_or_default())]
    Refused {
        /// The response code.
        rcode: Rcode,
        /// The TSIG error the server gave, if any.
        tsig: Option<TsigError>,
    },
    /// The server's answer was not signed with our key as it must be (RFC 8945 §5.3.1): it cannot be trusted.
    #[error("the answer's TSIG signature does not verify: {tsig}")]
    Unverified {
        /// What failed.
        tsig: TsigError,
    },
    /// The messages are not a transfer of the zone.
    #[error("malformed transfer: {0}")]
    Malformed(Malformed),
    /// A limit was reached.
    #[error("the transfer exceeds {0}")]
    TooLarge(Limit),
    /// No answer in the time allowed.
    #[error("timed out {stage}")]
    Timeout {
        /// Which step.
        stage: Stage,
    },
    /// The request itself cannot be made (the zone is not a domain name, the key cannot sign).
    #[error("{detail}")]
    Invalid {
        /// Why.
        detail: String,
    },
    /// The server could not be reached or the connection broke.
    #[error("unreachable: {detail}")]
    Unreachable {
        /// The system's error.
        detail: String,
    },
}

/// The step of a transfer's connection where time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Establishing the TCP connection.
    Connecting,
    /// Sending the request.
    Sending,
    /// Waiting for the next message.
    Waiting,
    /// The whole transfer took longer than allowed.
    Total,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connecting => "connecting",
            Stage::Sending => "sending the request",
            Stage::Waiting => "waiting for a message",
            Stage::Total => "after the total time allowed",
        })
    }
}

/// Why a request cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The zone is not a domain name.
    #[error("`{0}` is not a valid zone name")]
    Zone(String),
    /// The key cannot be used.
    #[error(transparent)]
    Key(#[from] TsigKeyError),
}

/// What the reader wants after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More messages.
    More,
    /// The zone is complete.
    Done(Transferred),
}

/// Pulls zones: the network shell implements it (`lyncdns-discover`), so crates that must not link the network
/// code (the checker) are handed one.
pub trait ZoneTransfer {
    /// Transfers `zone` (no trailing dot needed) by AXFR.
    fn axfr(&mut self, zone: &str) -> Result<Transferred, Failure>;
    /// A label for reports: `axfr://127.0.0.1:5300`.
    fn describe(&self) -> String;
}

/// One AXFR in progress: built with the request to send, then fed each response message in turn.
pub struct Axfr {
    zone: String,
    id: u16,
    tsig: Option<ClientSequence<Key>>,
    limits: Limits,
    records: Vec<Record>,
    serial: Option<u32>,
    messages: usize,
    bytes: u64,
    done: bool,
}

impl fmt::Debug for Axfr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Axfr")
            .field("zone", &self.zone)
            .field("id", &self.id)
            .field("signed", &self.tsig.is_some())
            .field("records", &self.records.len())
            .field("messages", &self.messages)
            .finish()
    }
}

impl Axfr {
    /// Starts a transfer of `zone` with message ID `id`, signed with `key` at `now` (seconds since the Unix
    /// epoch) when one is given; returns the reader and the request (without the TCP length prefix).
    pub fn new(
        zone: &str,
        id: u16,
        key: Option<&TsigKey>,
        now: u64,
        limits: Limits,
    ) -> Result<(Axfr, Vec<u8>), RequestError> {
        let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
        let bad = || RequestError::Zone(zone.clone());
        let qname = Name::<Vec<u8>>::from_str(&format!("{zone}.")).map_err(|_| bad())?;
        let mut msg = MessageBuilder::new_vec();
        msg.header_mut().set_id(id);
        let mut q = msg.question();
        q.push((&qname, DomainRtype::AXFR, DomainClass::IN))
            .map_err(|_| bad())?;
        let mut add = q.additional();
        let tsig = match key {
            Some(key) => Some(
                ClientSequence::request(key.to_domain()?, &mut add, Time48::from_u64(now))
                    .map_err(|_| bad())?,
            ),
            None => None,
        };
        let reader = Axfr {
            zone,
            id,
            tsig,
            limits,
            records: Vec::new(),
            serial: None,
            messages: 0,
            bytes: 0,
            done: false,
        };
        Ok((reader, add.finish()))
    }

    /// The zone asked for.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// Reads the next response message, received at `now` (seconds since the Unix epoch).
    pub fn feed(&mut self, message: &[u8], now: u64) -> Result<Progress, Failure> {
        let malformed = Failure::Malformed;
        if self.done {
            return Err(malformed(Malformed::AfterEnd));
        }
        self.messages += 1;
        self.bytes += message.len() as u64;
        if self.messages > self.limits.max_messages {
            return Err(Failure::TooLarge(Limit::Messages(self.limits.max_messages)));
        }
        if self.bytes > self.limits.max_bytes {
            return Err(Failure::TooLarge(Limit::Bytes(self.limits.max_bytes)));
        }
        let mut msg = Message::from_octets(message.to_vec())
            .map_err(|_| malformed(Malformed::NotAMessage))?;
        let h = msg.header();
        if h.id() != self.id || !h.qr() || h.opcode() != Opcode::QUERY {
            return Err(malformed(Malformed::NotOurs {
                id: h.id(),
                qr: h.qr(),
                opcode: h.opcode().to_int(),
            }));
        }
        let rcode = Rcode(u16::from(h.rcode().to_int()));
        if rcode != Rcode::NOERROR {
            return Err(Failure::Refused {
                rcode,
                tsig: tsig_error(&msg),
            });
        }
        if h.tc() {
            return Err(malformed(Malformed::Truncated));
        }
        self.check_question(&msg)?;
        if let Some(seq) = &mut self.tsig {
            // Verifies this message in the sequence and removes its TSIG record, if any.
            seq.answer(&mut msg, Time48::from_u64(now))
                .map_err(|e| Failure::Unverified {
                    tsig: TsigError::of_validation(&e),
                })?;
        }
        let record_error = |detail: String| {
            malformed(Malformed::Record {
                message: self.messages,
                detail,
            })
        };
        let answers = msg.answer().map_err(|e| record_error(e.to_string()))?;
        let mut read = Vec::new();
        for rr in answers {
            let rr = rr.map_err(|e| record_error(e.to_string()))?;
            if rr.class() != DomainClass::IN {
                return Err(record_error(format!(
                    "`{}` is of class {}, not IN",
                    text_name(&rr.owner()),
                    rr.class()
                )));
            }
            read.push(read_record(rr).map_err(record_error)?);
        }
        for record in read {
            if self.done {
                return Err(malformed(Malformed::AfterEnd));
            }
            self.take(record)?;
        }
        if !self.done {
            return Ok(Progress::More);
        }
        if let Some(seq) = self.tsig.take() {
            seq.done().map_err(|e| Failure::Unverified {
                tsig: TsigError::of_validation(&e),
            })?;
            return Ok(Progress::Done(self.result(true)));
        }
        Ok(Progress::Done(self.result(false)))
    }

    /// What to say when the stream ends before [`Progress::Done`].
    pub fn incomplete(&self) -> Failure {
        Failure::Malformed(Malformed::Incomplete)
    }

    /// The question, when the message has one, is the request's (RFC 5936 §2.2.1: it may be left out after the
    /// first message).
    fn check_question(&self, msg: &Message<Vec<u8>>) -> Result<(), Failure> {
        let mut questions = msg.question();
        let Some(q) = questions.next() else {
            return Ok(());
        };
        let q = q.map_err(|_| Failure::Malformed(Malformed::NotAMessage))?;
        let qname = text_name(q.qname());
        if qname != self.zone || q.qtype() != DomainRtype::AXFR || q.qclass() != DomainClass::IN {
            return Err(Failure::Malformed(Malformed::Question {
                zone: self.zone.clone(),
                question: format!("{qname} {} {}", q.qclass(), q.qtype()),
            }));
        }
        Ok(())
    }

    /// Takes one record of the stream: the opening SOA, a record of the zone, or the closing SOA.
    fn take(&mut self, record: Record) -> Result<(), Failure> {
        let apex_soa = match &record.data {
            RecordData::Soa { serial, .. } if record.owner == self.zone => Some(*serial),
            _ => None,
        };
        let Some(first) = self.serial else {
            let Some(serial) = apex_soa else {
                return Err(Failure::Malformed(Malformed::FirstNotSoa {
                    zone: self.zone.clone(),
                    found: format!("{} {}", record.owner, record.data.rtype()),
                }));
            };
            self.serial = Some(serial);
            self.records.push(record);
            return Ok(());
        };
        if let Some(last) = apex_soa {
            if last != first {
                return Err(Failure::Malformed(Malformed::SerialChanged { first, last }));
            }
            self.done = true;
            return Ok(());
        }
        if !in_zone(&record.owner, &self.zone) {
            return Err(Failure::Malformed(Malformed::OutOfZone {
                zone: self.zone.clone(),
                owner: record.owner,
                rtype: record.data.rtype(),
            }));
        }
        if self.records.len() >= self.limits.max_records {
            return Err(Failure::TooLarge(Limit::Records(self.limits.max_records)));
        }
        self.records.push(record);
        Ok(())
    }

    /// The transferred zone.
    fn result(&mut self, signed: bool) -> Transferred {
        Transferred {
            zone: self.zone.clone(),
            records: std::mem::take(&mut self.records),
            serial: self.serial.unwrap_or(0),
            messages: self.messages,
            bytes: self.bytes,
            signed,
        }
    }
}

/// Whether `owner` is `zone` or below it (both lowercase text without the trailing dot; the root is `.`).
fn in_zone(owner: &str, zone: &str) -> bool {
    zone == "."
        || owner == zone
        || owner
            .strip_suffix(zone)
            .is_some_and(|head| head.ends_with('.'))
}

/// The error field of the message's TSIG record, if it has one (read without verifying: an error answer is
/// reported, never trusted for data).
fn tsig_error(msg: &Message<Vec<u8>>) -> Option<TsigError> {
    let additional = msg.additional().ok()?;
    for rr in additional.flatten() {
        if rr.rtype() != DomainRtype::TSIG {
            continue;
        }
        let rec = rr.to_record::<Tsig<_, ParsedName<_>>>().ok().flatten()?;
        let code = rec.data().error().to_int();
        return (code != 0).then(|| TsigError::of_code(code));
    }
    None
}

impl From<RequestError> for Failure {
    fn from(e: RequestError) -> Self {
        Failure::Invalid {
            detail: e.to_string(),
        }
    }
}

impl Transferred {
    /// The records of `rtype`.
    pub fn of_type(&self, rtype: Rtype) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(move |r| r.data.rtype() == rtype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::base::iana::Rcode as DomainRcode;
    use domain::base::{Record as DomainRecord, Ttl};
    use domain::rdata::{A, Soa};
    use domain::tsig::ServerSequence;

    const NOW: u64 = 1_700_000_000;

    fn key() -> TsigKey {
        "hmac-sha256:xfr.example:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
            .parse()
            .unwrap()
    }

    fn name(s: &str) -> Name<Vec<u8>> {
        Name::from_str(s).unwrap()
    }

    fn soa(serial: u32) -> DomainRecord<Name<Vec<u8>>, Soa<Name<Vec<u8>>>> {
        DomainRecord::new(
            name("example.com."),
            DomainClass::IN,
            Ttl::from_secs(3600),
            Soa::new(
                name("ns1.example.com."),
                name("hostmaster.example.com."),
                serial.into(),
                Ttl::from_secs(3600),
                Ttl::from_secs(600),
                Ttl::from_secs(86400),
                Ttl::from_secs(300),
            ),
        )
    }

    fn a(owner: &str, last: u8) -> DomainRecord<Name<Vec<u8>>, A> {
        DomainRecord::new(
            name(owner),
            DomainClass::IN,
            Ttl::from_secs(300),
            A::from_octets(192, 0, 2, last),
        )
    }

    /// What a message of the answer stream holds.
    enum Part {
        Soa(u32),
        A(&'static str, u8),
    }

    /// A response to `request` with `parts`, signed in `seq` when given (`sign` false leaves it unsigned).
    fn response(
        request: &[u8],
        parts: &[Part],
        rcode: DomainRcode,
        question: bool,
        seq: Option<(&mut ServerSequence<Key>, bool)>,
    ) -> Vec<u8> {
        let req = Message::from_octets(request.to_vec()).unwrap();
        let mut b = MessageBuilder::new_vec();
        b.header_mut().set_id(req.header().id());
        b.header_mut().set_qr(true);
        b.header_mut().set_aa(true);
        b.header_mut().set_rcode(rcode);
        let mut q = b.question();
        if question {
            q.push(req.first_question().unwrap()).unwrap();
        }
        let mut ans = q.answer();
        for p in parts {
            match p {
                Part::Soa(s) => ans.push(soa(*s)).unwrap(),
                Part::A(o, l) => ans.push(a(o, *l)).unwrap(),
            }
        }
        let mut add = ans.additional();
        if let Some((seq, true)) = seq {
            seq.answer(&mut add, Time48::from_u64(NOW)).unwrap();
        }
        add.finish()
    }

    fn server(request: &[u8], key: &TsigKey) -> ServerSequence<Key> {
        let mut req = Message::from_octets(request.to_vec()).unwrap();
        let store = key.to_domain().unwrap();
        ServerSequence::request(&store, &mut req, Time48::from_u64(NOW))
            .unwrap()
            .unwrap()
    }

    fn start(key: Option<&TsigKey>) -> (Axfr, Vec<u8>) {
        Axfr::new("Example.COM.", 7, key, NOW, Limits::default()).unwrap()
    }

    #[test]
    fn rfc5936_2_2_soa_first_and_last_over_several_messages() {
        let (mut x, req) = start(None);
        let m1 = response(
            &req,
            &[Part::Soa(5), Part::A("www.example.com.", 1)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        let m2 = response(
            &req,
            &[Part::A("sip.example.com.", 2), Part::Soa(5)],
            DomainRcode::NOERROR,
            false,
            None,
        );
        assert_eq!(x.feed(&m1, NOW), Ok(Progress::More));
        let Ok(Progress::Done(t)) = x.feed(&m2, NOW) else {
            panic!("not done")
        };
        assert_eq!(t.zone, "example.com");
        assert_eq!(t.serial, 5);
        assert_eq!(t.messages, 2);
        assert_eq!(t.bytes, (m1.len() + m2.len()) as u64);
        assert!(!t.signed);
        let owners: Vec<&str> = t.records.iter().map(|r| r.owner.as_str()).collect();
        assert_eq!(
            owners,
            ["example.com", "www.example.com", "sip.example.com"]
        );
        assert_eq!(
            x.feed(&m2, NOW),
            Err(Failure::Malformed(Malformed::AfterEnd))
        );
    }

    #[test]
    fn the_request_asks_axfr_of_the_zone_without_rd() {
        let (_, req) = start(None);
        let msg = Message::from_octets(req).unwrap();
        assert_eq!(msg.header().id(), 7);
        assert!(!msg.header().rd());
        let q = msg.first_question().unwrap();
        assert_eq!(q.qname().to_string(), "example.com");
        assert_eq!(q.qtype(), DomainRtype::AXFR);
        assert_eq!(msg.header_counts().arcount(), 0);
    }

    #[test]
    fn rfc5936_2_2_violations_are_malformed() {
        let (mut x, req) = start(None);
        let m = response(
            &req,
            &[Part::A("www.example.com.", 1)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert!(matches!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::FirstNotSoa { .. }))
        ));
        let (mut x, req) = start(None);
        let m = response(
            &req,
            &[Part::Soa(1), Part::A("www.example.org.", 1)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert!(matches!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::OutOfZone { .. }))
        ));
        let (mut x, req) = start(None);
        let m = response(
            &req,
            &[Part::Soa(1), Part::Soa(1), Part::A("a.example.com.", 1)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::AfterEnd))
        );
        let (mut x, req) = start(None);
        let m = response(
            &req,
            &[Part::Soa(1), Part::Soa(2)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::SerialChanged {
                first: 1,
                last: 2
            }))
        );
        let (mut x, _) = start(None);
        let (_, other) = Axfr::new("example.com", 8, None, NOW, Limits::default()).unwrap();
        let m = response(&other, &[Part::Soa(1)], DomainRcode::NOERROR, true, None);
        assert!(matches!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::NotOurs { id: 8, .. }))
        ));
        let (_, other) = Axfr::new("example.org", 7, None, NOW, Limits::default()).unwrap();
        let m = response(&other, &[Part::Soa(1)], DomainRcode::NOERROR, true, None);
        assert!(matches!(
            x.feed(&m, NOW),
            Err(Failure::Malformed(Malformed::Question { .. }))
        ));
        assert_eq!(
            x.feed(&[1, 2, 3], NOW),
            Err(Failure::Malformed(Malformed::NotAMessage))
        );
    }

    #[test]
    fn an_error_rcode_is_refused_with_its_rcode() {
        let (mut x, req) = start(None);
        let m = response(&req, &[], DomainRcode::REFUSED, true, None);
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Refused {
                rcode: Rcode::REFUSED,
                tsig: None
            })
        );
        assert_eq!(
            Failure::Refused {
                rcode: Rcode::NOTAUTH,
                tsig: Some(TsigError::BadSig)
            }
            .to_string(),
            "NOTAUTH (BADSIG)"
        );
    }

    #[test]
    fn limits_stop_a_transfer() {
        let limits = Limits {
            max_records: 2,
            ..Limits::default()
        };
        let (mut x, req) = Axfr::new("example.com", 7, None, NOW, limits).unwrap();
        let m = response(
            &req,
            &[
                Part::Soa(1),
                Part::A("a.example.com.", 1),
                Part::A("b.example.com.", 2),
            ],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert_eq!(x.feed(&m, NOW), Err(Failure::TooLarge(Limit::Records(2))));
        let limits = Limits {
            max_messages: 1,
            ..Limits::default()
        };
        let (mut x, req) = Axfr::new("example.com", 7, None, NOW, limits).unwrap();
        let m = response(&req, &[Part::Soa(1)], DomainRcode::NOERROR, true, None);
        assert_eq!(x.feed(&m, NOW), Ok(Progress::More));
        assert_eq!(x.feed(&m, NOW), Err(Failure::TooLarge(Limit::Messages(1))));
        let limits = Limits {
            max_bytes: 20,
            ..Limits::default()
        };
        let (mut x, req) = Axfr::new("example.com", 7, None, NOW, limits).unwrap();
        let m = response(&req, &[Part::Soa(1)], DomainRcode::NOERROR, true, None);
        assert_eq!(x.feed(&m, NOW), Err(Failure::TooLarge(Limit::Bytes(20))));
    }

    #[test]
    fn rfc8945_5_3_1_a_signed_sequence_verifies() {
        // (`domain`'s server side signs every message, so unsigned messages in between are tested below only as
        // far as the reader's count goes.)
        let key = key();
        let (mut x, req) = start(Some(&key));
        assert_eq!(
            Message::from_octets(req.clone())
                .unwrap()
                .header_counts()
                .arcount(),
            1,
            "the request carries a TSIG record"
        );
        let mut seq = server(&req, &key);
        let m1 = response(
            &req,
            &[Part::Soa(3)],
            DomainRcode::NOERROR,
            true,
            Some((&mut seq, true)),
        );
        assert_eq!(x.feed(&m1, NOW), Ok(Progress::More));
        for i in 0..3u8 {
            let m = response(
                &req,
                &[Part::A("a.example.com.", i)],
                DomainRcode::NOERROR,
                false,
                Some((&mut seq, true)),
            );
            assert_eq!(x.feed(&m, NOW), Ok(Progress::More), "message {i}");
        }
        let last = response(
            &req,
            &[Part::Soa(3)],
            DomainRcode::NOERROR,
            false,
            Some((&mut seq, true)),
        );
        let Ok(Progress::Done(t)) = x.feed(&last, NOW) else {
            panic!("not done")
        };
        assert!(t.signed);
        assert_eq!(t.records.len(), 4);
        assert_eq!(t.messages, 5);
    }

    #[test]
    fn rfc8945_5_3_1_a_hundredth_unsigned_message_is_rejected() {
        let key = key();
        let (mut x, req) = start(Some(&key));
        let mut seq = server(&req, &key);
        let m1 = response(
            &req,
            &[Part::Soa(3)],
            DomainRcode::NOERROR,
            true,
            Some((&mut seq, true)),
        );
        assert_eq!(x.feed(&m1, NOW), Ok(Progress::More));
        let m = response(
            &req,
            &[Part::A("a.example.com.", 1)],
            DomainRcode::NOERROR,
            false,
            None,
        );
        for _ in 0..99 {
            assert_eq!(x.feed(&m, NOW), Ok(Progress::More));
        }
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Unverified {
                tsig: TsigError::TooManyUnsigned
            })
        );
    }

    #[test]
    fn rfc8945_5_3_1_the_last_message_must_be_signed() {
        let key = key();
        let (mut x, req) = start(Some(&key));
        let mut seq = server(&req, &key);
        let m1 = response(
            &req,
            &[Part::Soa(3)],
            DomainRcode::NOERROR,
            true,
            Some((&mut seq, true)),
        );
        assert_eq!(x.feed(&m1, NOW), Ok(Progress::More));
        let last = response(&req, &[Part::Soa(3)], DomainRcode::NOERROR, false, None);
        assert_eq!(
            x.feed(&last, NOW),
            Err(Failure::Unverified {
                tsig: TsigError::TooManyUnsigned
            })
        );
    }

    #[test]
    fn an_unsigned_or_wrongly_signed_answer_is_not_trusted() {
        let key = key();
        let (mut x, req) = start(Some(&key));
        let m = response(
            &req,
            &[Part::Soa(3), Part::Soa(3)],
            DomainRcode::NOERROR,
            true,
            None,
        );
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Unverified {
                tsig: TsigError::Unsigned
            })
        );
        // Signed by a server holding another secret under the same name.
        let other: TsigKey = "hmac-sha256:xfr.example:b3RoZXJvdGhlcm90aGVy"
            .parse()
            .unwrap();
        let (_, other_req) = start(Some(&other));
        let (mut x, req) = start(Some(&key));
        let mut seq = server(&other_req, &other);
        let m = response(
            &req,
            &[Part::Soa(3), Part::Soa(3)],
            DomainRcode::NOERROR,
            true,
            Some((&mut seq, true)),
        );
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Unverified {
                tsig: TsigError::BadSig
            })
        );
    }

    #[test]
    fn a_notauth_answer_reports_the_servers_tsig_error() {
        let key = key();
        let (mut x, req) = start(Some(&key));
        let mut seq = server(&req, &key);
        let mut m = response(
            &req,
            &[],
            DomainRcode::NOTAUTH,
            true,
            Some((&mut seq, true)),
        );
        // Patch the TSIG record's error field (the six octets before OTHER LEN at the end) to BADSIG.
        let at = m.len() - 4;
        m[at..at + 2].copy_from_slice(&16u16.to_be_bytes());
        assert_eq!(
            x.feed(&m, NOW),
            Err(Failure::Refused {
                rcode: Rcode::NOTAUTH,
                tsig: Some(TsigError::BadSig)
            })
        );
    }

    proptest::proptest! {
        /// Data from the network is never trusted: any mutation or truncation of a signed transfer, and any bytes
        /// at all, give a result, never a panic.
        #[test]
        fn no_panic_on_mutated_or_arbitrary_messages(
            edits in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..4096,
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            signed in proptest::prelude::any::<bool>(),
        ) {
            let key = key();
            let (mut x, req) = start(signed.then_some(&key));
            // The server side needs a signed request; unsigned answers never use it.
            let (_, signed_req) = start(Some(&key));
            let mut seq = server(if signed { &req } else { &signed_req }, &key);
            let mut m1 = response(
                &req,
                &[Part::Soa(1), Part::A("a.example.com.", 1)],
                DomainRcode::NOERROR,
                true,
                Some((&mut seq, signed)),
            );
            let m2 = response(&req, &[Part::Soa(1)], DomainRcode::NOERROR, false, Some((&mut seq, signed)));
            for (at, value) in &edits {
                let len = m1.len();
                m1[at % len] = *value;
            }
            m1.truncate(cut.max(1));
            let _ = x.feed(&m1, NOW);
            let _ = x.feed(&m2, NOW);
            let _ = x.feed(&junk, NOW);
            let (mut y, _) = start(None);
            let _ = y.feed(&junk, NOW);
        }
    }
}
