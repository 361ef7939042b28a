//! Query building and response reading for the DNS tests. Responses are decoded with NLnet Labs' `domain`
//! parser, independent of our encoder.

#![allow(dead_code)]

use std::net::IpAddr;

use domain::base::Message;
use domain::base::iana::Rtype;
use domain::base::name::ParsedName;
use domain::rdata::AllRecordData;
use lyncdns_dnsserver::answer::{Picker, Transport, answer};
use lyncdns_dnsserver::compile::Snapshot;

/// EDNS of a query: (UDP size, version, DO, options as (code, data)).
pub type Edns = (u16, u8, bool, Vec<(u16, Vec<u8>)>);

/// The OPT record of a response: (UDP size, extended rcode, version, DO, option codes).
pub type Opt = (u16, u8, u8, bool, Vec<u16>);

/// How to build a query.
#[derive(Clone)]
pub struct Q {
    pub name: String,
    pub qtype: u16,
    pub id: u16,
    pub rd: bool,
    /// EDNS: (UDP size, version, DO, extra options as (code, data)).
    pub edns: Option<Edns>,
}

impl Q {
    pub fn new(name: &str, qtype: u16) -> Self {
        Q {
            name: name.to_owned(),
            qtype,
            id: 0x1234,
            rd: true,
            edns: None,
        }
    }

    pub fn edns(mut self, size: u16) -> Self {
        self.edns = Some((size, 0, false, Vec::new()));
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.id.to_be_bytes());
        b.push(if self.rd { 0x01 } else { 0 });
        b.push(0);
        b.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, self.edns.is_some() as u8]);
        for label in self
            .name
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
        {
            b.push(label.len() as u8);
            b.extend_from_slice(label.as_bytes());
        }
        b.push(0);
        b.extend_from_slice(&self.qtype.to_be_bytes());
        b.extend_from_slice(&1u16.to_be_bytes());
        if let Some((size, version, dnssec_ok, options)) = &self.edns {
            b.push(0);
            b.extend_from_slice(&41u16.to_be_bytes());
            b.extend_from_slice(&size.to_be_bytes());
            b.extend_from_slice(&[0, *version, if *dnssec_ok { 0x80 } else { 0 }, 0]);
            let rdlen: usize = options.iter().map(|(_, d)| 4 + d.len()).sum();
            b.extend_from_slice(&(rdlen as u16).to_be_bytes());
            for (code, data) in options {
                b.extend_from_slice(&code.to_be_bytes());
                b.extend_from_slice(&(data.len() as u16).to_be_bytes());
                b.extend_from_slice(data);
            }
        }
        b
    }
}

/// A decoded response: header fields and each section as `owner TYPE data` lines (TTL separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R {
    pub id: u16,
    pub rcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub question: Vec<String>,
    pub answer: Vec<String>,
    pub authority: Vec<String>,
    pub additional: Vec<String>,
    pub ttls: Vec<u32>,
    /// The OPT record: (UDP size, extended rcode, version, DO, option codes).
    pub opt: Option<Opt>,
}

impl R {
    /// The extended response code (header plus OPT).
    pub fn ext_rcode(&self) -> u16 {
        self.rcode as u16 | self.opt.as_ref().map(|o| (o.1 as u16) << 4).unwrap_or(0)
    }
}

fn lines(
    section: domain::base::message::RecordSection<'_, Vec<u8>>,
    ttls: &mut Vec<u32>,
    opt: &mut Option<Opt>,
) -> Vec<String> {
    let mut out = Vec::new();
    for rr in section {
        let rr = rr.expect("well-formed record");
        if rr.rtype() == Rtype::OPT {
            let o = rr
                .to_record::<domain::base::rdata::UnknownRecordData<_>>()
                .unwrap()
                .unwrap();
            let ttl = rr.ttl().as_secs();
            let raw: &[u8] = o.data().data();
            let mut codes = Vec::new();
            let mut at = 0;
            while at + 4 <= raw.len() {
                codes.push(u16::from_be_bytes([raw[at], raw[at + 1]]));
                at += 4 + u16::from_be_bytes([raw[at + 2], raw[at + 3]]) as usize;
            }
            *opt = Some((
                rr.class().to_int(),
                (ttl >> 24) as u8,
                (ttl >> 16) as u8,
                ttl & 0x8000 != 0,
                codes,
            ));
            continue;
        }
        ttls.push(rr.ttl().as_secs());
        let rec = rr
            .into_record::<AllRecordData<_, ParsedName<_>>>()
            .expect("parsable")
            .expect("known type");
        out.push(format!("{}. {} {}", rec.owner(), rec.rtype(), rec.data()));
    }
    out
}

/// Decodes a response.
pub fn decode(bytes: &[u8]) -> R {
    let msg = Message::from_octets(bytes.to_vec()).expect("a DNS message");
    let h = msg.header();
    let question = msg
        .question()
        .map(|q| {
            let q = q.expect("question");
            format!("{}. {}", q.qname(), q.qtype())
        })
        .collect();
    let mut ttls = Vec::new();
    let mut opt = None;
    let sections = msg.sections().expect("sections");
    let answer = lines(sections.1, &mut ttls, &mut opt);
    let authority = lines(sections.2, &mut ttls, &mut opt);
    let additional = lines(sections.3, &mut ttls, &mut opt);
    R {
        id: h.id(),
        rcode: h.rcode().to_int(),
        aa: h.aa(),
        tc: h.tc(),
        rd: h.rd(),
        question,
        answer,
        authority,
        additional,
        ttls,
        opt,
    }
}

/// The snapshot of deployment text.
pub fn snapshot(text: &str) -> Snapshot {
    let d = lyncdns_model::load(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    lyncdns_dnsserver::load::snapshot(&d, std::path::Path::new("."), &[]).unwrap()
}

/// The embedded example's snapshot.
pub fn embedded() -> Snapshot {
    snapshot(lyncdns_model::EMBEDDED_EXAMPLE)
}

/// Answers raw octets in process; `None` if the server stays silent.
pub fn ask_raw(snap: &Snapshot, query: &[u8], from: &str, transport: Transport) -> Option<Vec<u8>> {
    let mut out = vec![0u8; 65535];
    let mut picker = Picker::new(7);
    let o = answer(
        snap,
        query,
        from.parse::<IpAddr>().unwrap(),
        transport,
        &mut picker,
        &mut out,
    )?;
    Some(out[..o.len].to_vec())
}

/// Answers a query over UDP in process and decodes it.
pub fn ask(snap: &Snapshot, q: &Q, from: &str) -> R {
    decode(&ask_raw(snap, &q.bytes(), from, Transport::Udp).expect("an answer"))
}

/// Type numbers.
pub const A: u16 = 1;
pub const NS: u16 = 2;
pub const CNAME: u16 = 5;
pub const SOA: u16 = 6;
pub const TXT: u16 = 16;
pub const AAAA: u16 = 28;
pub const SRV: u16 = 33;
pub const AXFR: u16 = 252;
pub const ANY: u16 = 255;
