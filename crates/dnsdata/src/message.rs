//! A client's side of a DNS exchange: the query it sends and what it reads from the response, built and parsed
//! by NLnet Labs' `domain` (the client path is not a measured fast path, so nothing here is hand-written).

use std::str::FromStr;

use domain::base::iana::Rtype as DomainRtype;
use domain::base::name::ParsedName;
use domain::base::rdata::ComposeRecordData;
use domain::base::{Message, MessageBuilder, Name, ToName};
use domain::rdata::AllRecordData;

use crate::rdata::{Record, RecordData};
use crate::types::{Rcode, Rtype};

/// The EDNS UDP payload size a client offers: the DNS flag day 2020 value, which avoids fragmentation.
pub const UDP_PAYLOAD: u16 = 1232;

/// Why a query cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a valid domain name")]
pub struct QueryError {
    /// The name asked.
    pub name: String,
}

/// Why a response cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a DNS message at all (too short, or a header that does not hold).
    #[error("not a DNS message: {0}")]
    NotAMessage(String),
    /// A section or record runs past the message or is malformed.
    #[error("malformed {section} section: {detail}")]
    Section {
        /// `question` or `answer`.
        section: &'static str,
        /// What the parser said.
        detail: String,
    },
}

/// A query for `name` (trailing dot optional) of type `qtype`, with RD set (so it works against a recursive
/// resolver too) and an EDNS OPT offering [`UDP_PAYLOAD`] octets (RFC 6891).
pub fn query(id: u16, name: &str, qtype: Rtype) -> Result<Vec<u8>, QueryError> {
    let bad = || QueryError {
        name: name.to_owned(),
    };
    let absolute = if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    };
    let qname = Name::<Vec<u8>>::from_str(&absolute).map_err(|_| bad())?;
    let mut msg = MessageBuilder::new_vec();
    msg.header_mut().set_id(id);
    msg.header_mut().set_rd(true);
    let mut q = msg.question();
    q.push((&qname, DomainRtype::from_int(qtype.0)))
        .map_err(|_| bad())?;
    let mut add = q.additional();
    add.opt(|opt| {
        opt.set_udp_payload_size(UDP_PAYLOAD);
        Ok(())
    })
    .map_err(|_| bad())?;
    Ok(add.finish())
}

/// What a client reads from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The ID.
    pub id: u16,
    /// The response code (the header's four bits; the extended bits of an OPT are not read).
    pub rcode: Rcode,
    /// Authoritative answer.
    pub aa: bool,
    /// Recursion available: the server resolves for its clients (its answers need not be authoritative).
    pub ra: bool,
    /// Truncated: the client should ask again over TCP (RFC 7766 §5).
    pub tc: bool,
    /// The answer section, names lowercase without the trailing dot.
    pub answers: Vec<Record>,
}

/// Reads a response. Records of types [`RecordData`] has no variant for keep their data as uncompressed wire
/// octets; a record whose data cannot be read is an error, not skipped.
pub fn decode(bytes: &[u8]) -> Result<Response, DecodeError> {
    let msg = Message::from_octets(bytes.to_vec())
        .map_err(|e| DecodeError::NotAMessage(e.to_string()))?;
    let h = msg.header();
    let section = |detail: String| DecodeError::Section {
        section: "answer",
        detail,
    };
    let mut answers = Vec::new();
    for rr in msg.answer().map_err(|e| section(e.to_string()))? {
        let rr = rr.map_err(|e| section(e.to_string()))?;
        answers.push(read_record(rr).map_err(section)?);
    }
    Ok(Response {
        id: h.id(),
        rcode: Rcode(u16::from(h.rcode().to_int())),
        aa: h.aa(),
        ra: h.ra(),
        tc: h.tc(),
        answers,
    })
}

/// Reads one record of a parsed message into a [`Record`] (shared by [`decode`] and the zone-transfer reader,
/// `crate::transfer`); the error says what was wrong with it.
pub(crate) fn read_record(rr: domain::base::ParsedRecord<'_, Vec<u8>>) -> Result<Record, String> {
    let owner = text_name(&rr.owner());
    let ttl = rr.ttl().as_secs();
    let rtype = Rtype(rr.rtype().to_int());
    let rec = rr
        .into_record::<AllRecordData<_, ParsedName<_>>>()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{rtype} record of another class"))?;
    // Names inside the data may be compressed in the message: compose them uncompressed, then read that.
    let mut wire = Vec::new();
    rec.data()
        .compose_rdata(&mut wire)
        .map_err(|_| format!("{rtype} record data too long"))?;
    let data = RecordData::from_wire(rtype, &wire).map_err(|e| e.to_string())?;
    Ok(Record { owner, ttl, data })
}

/// A name as text, lowercase, without the trailing dot (`.` for the root).
pub(crate) fn text_name(n: &impl ToName) -> String {
    let mut wire = Vec::with_capacity(255);
    for label in n.iter_labels() {
        let bytes: &[u8] = label.as_ref();
        wire.push(bytes.len() as u8);
        wire.extend(bytes.iter().map(u8::to_ascii_lowercase));
    }
    crate::name::to_text(&wire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_has_rd_edns_and_the_question() {
        let q = query(0x1234, "_sip._tls.Example.com", Rtype::SRV).unwrap();
        assert_eq!(&q[..2], &[0x12, 0x34]);
        assert_eq!(q[2] & 0x01, 0x01, "RD");
        assert_eq!(&q[4..12], &[0, 1, 0, 0, 0, 0, 0, 1], "QD=1, AR=1 (OPT)");
        let msg = Message::from_octets(q).unwrap();
        let question = msg.first_question().unwrap();
        assert_eq!(question.qname().to_string(), "_sip._tls.Example.com");
        assert_eq!(question.qtype().to_int(), 33);
        let opt = msg.opt().unwrap();
        assert_eq!(opt.udp_payload_size(), UDP_PAYLOAD);
    }

    #[test]
    fn an_invalid_name_is_an_error() {
        assert!(query(1, &"a".repeat(64), Rtype::A).is_err());
        assert!(query(1, "a..b", Rtype::A).is_err());
    }

    #[test]
    fn decodes_compressed_answers_into_record_data() {
        // A response to `www.example.com A` with a CNAME to `host.example.com` (compressed) and its address.
        let mut r = vec![0x12, 0x34, 0x84, 0x03, 0, 1, 0, 2, 0, 0, 0, 0];
        r.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        r.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7]);
        r.extend_from_slice(b"\x04HOST\xc0\x10");
        r.extend_from_slice(&[0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
        let d = decode(&r).unwrap();
        assert_eq!(d.id, 0x1234);
        assert_eq!(d.rcode, Rcode::NXDOMAIN);
        assert!(d.aa);
        assert!(!d.tc);
        assert_eq!(
            d.answers[0].data,
            RecordData::Cname {
                target: "host.example.com".into()
            }
        );
        assert_eq!(d.answers[1].owner, "host.example.com");
        assert_eq!(
            d.answers[1].data.address(),
            Some("192.0.2.7".parse().unwrap())
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[1, 2, 3]).is_err());
        let mut r = vec![0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        r.extend_from_slice(&[0xc0, 0xff]);
        assert!(decode(&r).is_err());
    }
}
