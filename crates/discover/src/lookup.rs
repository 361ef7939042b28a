//! DNS lookups as discovery sees them: the [`Resolver`] trait the state machines' driver calls, the recorded
//! [`Lookup`] of each step, and the wire encoding and decoding they share (decoding by NLnet Labs' `domain`).

use std::net::IpAddr;

use domain::base::Message;
use domain::base::iana::Rtype;
use domain::base::name::ParsedName;
use domain::rdata::AllRecordData;
use serde::Serialize;

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Data {
    /// An address (A or AAAA).
    Address {
        /// The address.
        address: IpAddr,
    },
    /// An alias.
    Cname {
        /// Its target.
        target: String,
    },
    /// A service record.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: String,
    },
    /// Anything else, in presentation form.
    Other {
        /// Type and data.
        text: String,
    },
}

/// One answer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// Owner name.
    pub name: String,
    /// TTL.
    pub ttl: u32,
    /// Data.
    pub data: Data,
}

/// What one query returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookup {
    /// The name asked.
    pub name: String,
    /// The type asked (`A`, `SRV`, …).
    pub qtype: String,
    /// The server asked.
    pub server: String,
    /// The response code (`NOERROR`, `NXDOMAIN`, …), or `TIMEOUT`/`ERROR` with `error` set.
    pub rcode: String,
    /// Authoritative answer.
    pub aa: bool,
    /// Whether the UDP answer was truncated and the query repeated over TCP.
    pub tcp_retry: bool,
    /// The answer section.
    pub answers: Vec<Answer>,
    /// Time taken, in milliseconds.
    pub elapsed_ms: f64,
    /// What went wrong, when nothing was answered.
    pub error: Option<String>,
}

impl Lookup {
    /// A lookup that got no answer.
    pub fn failed(
        name: &str,
        qtype: u16,
        server: &str,
        rcode: &str,
        error: String,
        elapsed_ms: f64,
    ) -> Lookup {
        Lookup {
            name: name.to_owned(),
            qtype: type_name(qtype),
            server: server.to_owned(),
            rcode: rcode.to_owned(),
            aa: false,
            tcp_retry: false,
            answers: Vec::new(),
            elapsed_ms,
            error: Some(error),
        }
    }

    /// The addresses answered for the name (following CNAMEs within the answer).
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.answers
            .iter()
            .filter_map(|a| {
                if let Data::Address { address } = a.data {
                    Some(address)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The SRV records, in the order received.
    pub fn srv(&self) -> Vec<(u16, u16, u16, String)> {
        self.answers
            .iter()
            .filter_map(|a| {
                if let Data::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } = &a.data
                {
                    Some((*priority, *weight, *port, target.clone()))
                } else {
                    None
                }
            })
            .collect()
    }

    /// The CNAME chain's targets.
    pub fn cnames(&self) -> Vec<String> {
        self.answers
            .iter()
            .filter_map(|a| {
                if let Data::Cname { target } = &a.data {
                    Some(target.clone())
                } else {
                    None
                }
            })
            .collect()
    }
}

/// Asks DNS questions.
pub trait Resolver {
    /// Looks up `name` (no trailing dot needed) of type `qtype`.
    fn lookup(&mut self, name: &str, qtype: u16) -> Lookup;
    /// A label for reports (`127.0.0.1:5300 from 127.0.0.2`).
    fn describe(&self) -> String;
}

/// Type numbers used by discovery.
pub mod qtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
}

/// The mnemonic of a type.
pub fn type_name(t: u16) -> String {
    lyncdns_dnsserver::record::rtype::name(t)
}

/// A query with EDNS (UDP size 1232) and RD set, so it works against recursive resolvers too.
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        b.push(label.len().min(63) as u8);
        b.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    b.push(0);
    b.extend_from_slice(&qtype.to_be_bytes());
    b.extend_from_slice(&1u16.to_be_bytes());
    b.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    b
}

/// What a response says: rcode, AA, TC, and the answer records.
pub struct Decoded {
    /// Response code.
    pub rcode: String,
    /// AA flag.
    pub aa: bool,
    /// TC flag.
    pub tc: bool,
    /// The ID.
    pub id: u16,
    /// Answer records.
    pub answers: Vec<Answer>,
}

/// Decodes a response; `Err` with a reason for anything malformed.
pub fn decode(bytes: &[u8]) -> Result<Decoded, String> {
    let msg =
        Message::from_octets(bytes.to_vec()).map_err(|e| format!("not a DNS message: {e}"))?;
    let h = msg.header();
    let mut answers = Vec::new();
    for rr in msg
        .answer()
        .map_err(|e| format!("bad answer section: {e}"))?
    {
        let rr = rr.map_err(|e| format!("bad record: {e}"))?;
        let name = rr.owner().to_string();
        let ttl = rr.ttl().as_secs();
        let rtype = rr.rtype();
        let Ok(Some(rec)) = rr.into_record::<AllRecordData<_, ParsedName<_>>>() else {
            continue;
        };
        let data = match rec.data() {
            AllRecordData::A(a) => Data::Address {
                address: IpAddr::V4(a.addr()),
            },
            AllRecordData::Aaaa(a) => Data::Address {
                address: IpAddr::V6(a.addr()),
            },
            AllRecordData::Cname(c) => Data::Cname {
                target: c.cname().to_string(),
            },
            AllRecordData::Srv(s) => Data::Srv {
                priority: s.priority(),
                weight: s.weight(),
                port: s.port(),
                target: s.target().to_string(),
            },
            other => Data::Other {
                text: format!("{rtype} {other}"),
            },
        };
        answers.push(Answer { name, ttl, data });
    }
    let rcode = match h.rcode().to_int() {
        0 => "NOERROR".to_owned(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("RCODE{n}"),
    };
    let _ = Rtype::A;
    Ok(Decoded {
        rcode,
        aa: h.aa(),
        tc: h.tc(),
        id: h.id(),
        answers,
    })
}
