//! The answer path: one query in, one response out, as a pure function of the snapshot, the query octets, the
//! client address and the transport. No allocation, no lock, no I/O: the parse reads the header, the question
//! and the OPT record in place; the lookup is one hash probe (more only for names that do not exist); the
//! response is the question copied as sent (0x20 case kept) and a prepared body copied behind it, with the ID and
//! flags patched and the addresses of a load-balanced RRset reordered.
//!
//! Protocol rules, with the RFC sentence they follow:
//! - Garbage that has no DNS header, and responses (QR=1), get no answer (RFC 1035 §4.1.1; never answer a
//!   response, to avoid loops).
//! - Every response copies the opcode, RD and CD (RFC 1035 §4.1.1), and carries an OPT when the query had one
//!   (RFC 6891 §7), errors included.
//! - A query signed with TSIG is verified and answered from its key's view by [`crate::xfr::signed`] when the
//!   deployment has keys; without keys it gets NOTAUTH with an unsigned TSIG error BADKEY (RFC 8945 §5.2.2).
//! - Opcodes other than QUERY get NOTIMP, with the question when there is one (RFC 1035 §4.1.1, RFC 8906 §3.1.4).
//! - QDCOUNT ≠ 1, a compressed or truncated question, a second OPT, or an OPT not owned by the root get FORMERR
//!   (RFC 9619, RFC 6891 §6.1.1).
//! - EDNS version > 0 gets BADVERS with an OPT of version 0 (RFC 6891 §6.1.3); unknown options are ignored and
//!   not echoed; the DO bit is copied (RFC 3225 §3).
//! - NSID (RFC 5001) and the CHAOS TXT answers about the server (`version.bind`, `version.server`,
//!   `hostname.bind`, `id.server`, RFC 4892) only when configured; otherwise NSID requests are ignored and CHAOS
//!   questions refused.
//! - Names outside every zone of the client's view get REFUSED (RFC 8906 §3.1.1 allows it for authoritative-only
//!   servers); transfers (AXFR/IXFR) reach this path only over UDP and are REFUSED (RFC 5936 §4.2: AXFR is
//!   TCP only); over TCP the shell hands them to [`crate::xfr`].
//! - ANY gets one synthesized HINFO "RFC8482" (RFC 8482 §4.2), except at a CNAME (the CNAME answer) and at an
//!   empty non-terminal (NODATA).
//! - Over UDP the response fits the client's EDNS size (512 without EDNS, RFC 1035 §4.2.1), capped by ours;
//!   if it does not, the additional section is dropped (RFC 2181 §9) except a referral's in-domain glue
//!   (RFC 9471 §3.1), and if that is not enough, TC is set and only the question is sent, so the client retries
//!   over TCP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use lyncdns_model::Rotation;

use crate::compile::{Prepared, Snapshot};
use lyncdns_dnsdata::types::{Class, Rcode, Rtype};

/// The transport a query came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: responses are limited by the client's payload size.
    Udp,
    /// TCP: up to 65535 octets.
    Tcp,
}

/// What was answered, for metrics and the query log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Length of the response written.
    pub len: usize,
    /// The view that answered, if one matched.
    pub view: Option<u16>,
    /// The (extended) response code.
    pub rcode: Rcode,
    /// The question type (0 if there was no question).
    pub qtype: Rtype,
    /// Whether TC was set.
    pub truncated: bool,
}

/// Per-worker state for reordering load-balanced addresses.
#[derive(Debug, Clone)]
pub struct Picker {
    state: u64,
    turn: u64,
}

impl Picker {
    /// A picker seeded with `seed` (any value; zero is replaced).
    pub fn new(seed: u64) -> Self {
        Picker {
            state: seed | 1,
            turn: 0,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: fast, and good enough to spread clients over servers.
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The parsed EDNS OPT record of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edns {
    udp_size: u16,
    version: u8,
    dnssec_ok: bool,
    /// EDNS Client Subnet (family, source prefix, address), if present.
    ecs: Option<(u16, u8, IpAddr)>,
    /// Whether the query asks for our NSID (RFC 5001 §2.1).
    nsid: bool,
}

/// What the OPT record of a response says: the query's EDNS, our UDP size, and the NSID to send (empty unless
/// the query asked for it and one is configured, RFC 5001 §2.1).
type Reply<'s> = (Edns, u16, &'s [u8]);

/// A parsed query, borrowing the query octets.
struct Query<'q> {
    id: [u8; 2],
    /// Header bits copied into the response: the opcode and RD of octet 2 (high byte), CD of octet 3 (low byte).
    copy_flags: u16,
    /// The question section as sent (name, type, class).
    question: &'q [u8],
    /// The question name, lowercased.
    key: [u8; 255],
    key_len: usize,
    qtype: Rtype,
    qclass: Class,
    edns: Option<Edns>,
}

/// Why a query cannot be answered normally.
enum Bad<'q> {
    /// Not a DNS query at all: no response.
    Silent,
    /// Answer with this RCODE, echoing the question if there is one.
    Rcode(Short<'q>),
}

/// A response without answer data: the header, the question if there was exactly one, an OPT if the query had one
/// (RFC 6891 §7), and an unsigned TSIG error record if the query was signed (RFC 8945 §5.2.2).
struct Short<'q> {
    id: [u8; 2],
    copy_flags: u16,
    rcode: Rcode,
    question: Option<&'q [u8]>,
    qtype: Rtype,
    edns: Option<Edns>,
    /// The query and the offset of its TSIG record.
    tsig: Option<(&'q [u8], usize)>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Skips a possibly compressed name; returns the offset after it.
fn skip_name(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *b.get(at)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + len,
            0xc0 => return Some(at + 2).filter(|&end| end <= b.len()),
            _ => return None,
        }
    }
}

/// Reads a possibly compressed name at `at` into `out` (wire form, as sent); returns its length and the offset
/// after it. Pointers must point backwards, so a name cannot loop; its length is checked against 255.
fn read_name(b: &[u8], mut at: usize, out: &mut [u8; 255]) -> Option<(usize, usize)> {
    let mut len = 0usize;
    let mut end = None;
    loop {
        let l = *b.get(at)? as usize;
        match l & 0xc0 {
            0x00 => {
                if len + 1 + l > 255 {
                    return None;
                }
                out[len..len + 1 + l].copy_from_slice(b.get(at..at + 1 + l)?);
                len += 1 + l;
                at += 1 + l;
                if l == 0 {
                    return Some((len, end.unwrap_or(at)));
                }
            }
            0xc0 => {
                let to = (u16_at(b, at)? & 0x3fff) as usize;
                if to >= at {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = to;
            }
            _ => return None,
        }
    }
}

/// The fields of a query's TSIG record that an error response repeats (RFC 8945 §5.3.2).
struct TsigFields {
    /// The key name, uncompressed.
    key: [u8; 255],
    key_len: usize,
    /// The algorithm name, uncompressed.
    alg: [u8; 255],
    alg_len: usize,
    /// Where the time signed starts in the query.
    time_at: usize,
}

/// The fields of the TSIG record starting at `at` (owner, then RDATA); `None` if the record is malformed.
fn tsig_fields(q: &[u8], at: usize) -> Option<TsigFields> {
    let (mut key, mut alg) = ([0u8; 255], [0u8; 255]);
    let (key_len, end) = read_name(q, at, &mut key)?;
    let rdlen = u16_at(q, end + 8)? as usize;
    let rdata_end = end + 10 + rdlen;
    let (alg_len, time_at) = read_name(q, end + 10, &mut alg)?;
    // Time signed (6), fudge (2), MAC size (2), MAC, original ID (2), error (2), other length (2), other.
    let mac_len = u16_at(q, time_at + 8)? as usize;
    let other_len = u16_at(q, time_at + 10 + mac_len + 4)? as usize;
    (time_at + 10 + mac_len + 6 + other_len == rdata_end && rdata_end <= q.len()).then_some(
        TsigFields {
            key,
            key_len,
            alg,
            alg_len,
            time_at,
        },
    )
}

// Inlined into both instances of `answer_in`, as it was into the one `answer` before key-selected views.
#[inline(always)]
fn parse(q: &[u8]) -> Result<Query<'_>, Bad<'_>> {
    if q.len() < 12 || q[2] & 0x80 != 0 {
        return Err(Bad::Silent);
    }
    let id = [q[0], q[1]];
    // The opcode is copied into the response (RFC 1035 §4.1.1); so are RD (0x01 of octet 2) and CD (0x10 of
    // octet 3) of a QUERY (RFC 1035 §4.1.1, RFC 4035 §3.1.6). Those are flags of a QUERY: a NOTIMP for another
    // opcode copies neither, as BIND does (ISC's genreport `opcodeflg` checks it).
    let opcode = (q[2] >> 3) & 0x0f;
    let copy = if opcode == 0 {
        u16::from(q[2] & 0x01) << 8 | u16::from(q[3] & 0x10)
    } else {
        u16::from(q[2] & 0x78) << 8
    };
    let short = |rcode, question, qtype, edns| {
        Bad::Rcode(Short {
            id,
            copy_flags: copy,
            rcode,
            question,
            qtype,
            edns,
            tsig: None,
        })
    };
    let formerr = |question, qtype| short(Rcode::FORMERR, question, qtype, None);
    let qdcount = u16_at(q, 4).unwrap_or(0);
    let counts = [
        u16_at(q, 6).unwrap_or(0),
        u16_at(q, 8).unwrap_or(0),
        u16_at(q, 10).unwrap_or(0),
    ];
    let mut key = [0u8; 255];
    let mut at = 12;
    let mut key_len = 0;
    let mut first = None;
    if qdcount > 0 {
        loop {
            let Some(&len) = q.get(at) else {
                return Err(formerr(None, Rtype(0)));
            };
            // A question name is never compressed: there is nothing before it to point at.
            if len & 0xc0 != 0 {
                return Err(formerr(None, Rtype(0)));
            }
            let len = len as usize;
            if key_len + len + 1 > 255 || at + 1 + len > q.len() {
                return Err(formerr(None, Rtype(0)));
            }
            key[key_len] = len as u8;
            for (k, b) in key[key_len + 1..key_len + 1 + len]
                .iter_mut()
                .zip(&q[at + 1..at + 1 + len])
            {
                *k = b.to_ascii_lowercase();
            }
            key_len += 1 + len;
            at += 1 + len;
            if len == 0 {
                break;
            }
        }
        let (Some(qtype), Some(qclass)) = (u16_at(q, at), u16_at(q, at + 2)) else {
            return Err(formerr(None, Rtype(0)));
        };
        first = Some((&q[12..at + 4], Rtype(qtype), Class(qclass)));
        at += 4;
        // Further questions are skipped, to find the OPT record behind them.
        for _ in 1..qdcount {
            match skip_name(q, at) {
                Some(end) if end + 4 <= q.len() => at = end + 4,
                _ => return Err(formerr(None, Rtype(0))),
            }
        }
    }
    // The question is echoed only when there is exactly one.
    let (question, qtype) = match first {
        Some((qs, t, _)) if qdcount == 1 => (Some(qs), t),
        _ => (None, Rtype(0)),
    };
    // Answer and authority sections of a query are normally empty; skip whatever is there.
    for _ in 0..counts[0] as u32 + counts[1] as u32 {
        let Some(end) = skip_name(q, at) else {
            return Err(formerr(question, qtype));
        };
        let Some(rdlen) = u16_at(q, end + 8) else {
            return Err(formerr(question, qtype));
        };
        at = end + 10 + rdlen as usize;
        if at > q.len() {
            return Err(formerr(question, qtype));
        }
    }
    let mut edns = None;
    let mut tsig = None;
    for i in 0..counts[2] {
        let start = at;
        let Some(end) = skip_name(q, at) else {
            return Err(formerr(question, qtype));
        };
        let (Some(t), Some(class), Some(rdlen)) =
            (u16_at(q, end), u16_at(q, end + 2), u16_at(q, end + 8))
        else {
            return Err(formerr(question, qtype));
        };
        let rdata_at = end + 10;
        at = rdata_at + rdlen as usize;
        if at > q.len() {
            return Err(formerr(question, qtype));
        }
        if t == Rtype::TSIG.0 {
            // A TSIG record must be the last one (RFC 8945 §5.1) and well formed.
            if i + 1 != counts[2] || tsig_fields(q, start).is_none() {
                return Err(formerr(question, qtype));
            }
            tsig = Some(start);
            continue;
        }
        if t != Rtype::OPT.0 {
            continue;
        }
        if edns.is_some() || end != start + 1 {
            return Err(formerr(question, qtype));
        }
        let ttl = [q[end + 4], q[end + 5], q[end + 6], q[end + 7]];
        let mut e = Edns {
            udp_size: class,
            version: ttl[1],
            dnssec_ok: ttl[2] & 0x80 != 0,
            ecs: None,
            nsid: false,
        };
        let mut o = rdata_at;
        while o + 4 <= at {
            let (code, len) = (
                u16_at(q, o).unwrap_or(0),
                u16_at(q, o + 2).unwrap_or(0) as usize,
            );
            let data = q.get(o + 4..o + 4 + len).filter(|_| o + 4 + len <= at);
            let Some(data) = data else {
                return Err(formerr(question, qtype));
            };
            match code {
                3 => e.nsid = true,
                8 => e.ecs = parse_ecs(data),
                _ => {}
            }
            o += 4 + len;
        }
        edns = Some(e);
    }
    if let Some(t) = tsig {
        // We hold no keys, so every key is unknown: NOTAUTH with TSIG error BADKEY, unsigned (RFC 8945 §5.2.2).
        return Err(Bad::Rcode(Short {
            id,
            copy_flags: copy,
            rcode: Rcode::NOTAUTH,
            question,
            qtype,
            edns,
            tsig: Some((q, t)),
        }));
    }
    if opcode != 0 {
        // RFC 1035 §4.1.1, RFC 8906 §3.1.4: NOTIMP, with the opcode, the question and the OPT (RFC 6891 §7).
        return Err(short(Rcode::NOTIMP, question, qtype, edns));
    }
    // RFC 9619: a QUERY holds exactly one question.
    let Some((question, qtype, qclass)) = first.filter(|_| qdcount == 1) else {
        return Err(short(Rcode::FORMERR, None, Rtype(0), edns));
    };
    Ok(Query {
        id,
        copy_flags: copy,
        question,
        key,
        key_len,
        qtype,
        qclass,
        edns,
    })
}

/// EDNS Client Subnet (RFC 7871 §6): family, source prefix, scope, address octets.
fn parse_ecs(data: &[u8]) -> Option<(u16, u8, IpAddr)> {
    let family = u16_at(data, 0)?;
    let source = *data.get(2)?;
    let addr = data.get(4..)?;
    if addr.len() != (source as usize).div_ceil(8) {
        return None;
    }
    match family {
        1 if source <= 32 => {
            let mut b = [0u8; 4];
            b[..addr.len()].copy_from_slice(addr);
            Some((1, source, IpAddr::V4(Ipv4Addr::from(b))))
        }
        2 if source <= 128 => {
            let mut b = [0u8; 16];
            b[..addr.len()].copy_from_slice(addr);
            Some((2, source, IpAddr::V6(Ipv6Addr::from(b))))
        }
        _ => None,
    }
}

/// Answers `query` from a client at `src` into `out` (at least 65535 octets for TCP; for UDP at least the
/// snapshot's `max_udp`). `None`: send nothing.
pub fn answer(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    transport: Transport,
    picker: &mut Picker,
    out: &mut [u8],
) -> Option<Outcome> {
    answer_in::<false>(snap, query, src, transport, picker, out, 0)
}

/// [`answer`]; when `FORCED`, from view `forced` (a verified TSIG key chose it, see [`crate::xfr::signed`])
/// instead of the view of the client's address. A const parameter, so that [`answer`] compiles without a trace of
/// it (measured: an `Option` argument cost unsigned queries about 20 instructions).
pub(crate) fn answer_in<const FORCED: bool>(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    transport: Transport,
    picker: &mut Picker,
    out: &mut [u8],
    forced: usize,
) -> Option<Outcome> {
    let q = match parse(query) {
        Ok(q) => q,
        Err(Bad::Silent) => return None,
        // A signed query, and keys to verify it with: the slow path, which verifies, answers from the key's view
        // and signs (it allocates; unsigned queries never come here).
        Err(Bad::Rcode(Short { tsig: Some(_), .. })) if !FORCED && snap.xfr.has_keys() => {
            return crate::xfr::signed::answer(snap, query, src, transport, picker, out);
        }
        Err(Bad::Rcode(s)) => {
            let edns = s.edns.map(|e| (e, snap.max_udp, nsid_for(snap, &e)));
            return Some(short(
                out,
                s.id,
                s.copy_flags,
                s.rcode,
                s.question,
                s.qtype,
                edns,
                None,
                s.tsig,
            ));
        }
    };
    let edns_reply = q.edns.map(|e| (e, snap.max_udp, nsid_for(snap, &e)));
    if let Some(e) = q.edns
        && e.version > 0
    {
        return Some(short(
            out,
            q.id,
            q.copy_flags,
            Rcode::BADVERS,
            Some(q.question),
            q.qtype,
            edns_reply,
            None,
            None,
        ));
    }
    // The view: by the client's address, or by its ECS subnet when it comes from a trusted resolver.
    let mut ecs_used = None;
    let mut client = src;
    if !FORCED
        && let (
            Some(trusted),
            Some(Edns {
                ecs: Some((family, source, addr)),
                ..
            }),
        ) = (&snap.ecs_trusted, q.edns)
        && trusted.select(src).is_some()
    {
        client = addr;
        ecs_used = Some((family, source, addr));
    }
    let selected = if FORCED {
        Some(forced)
    } else {
        snap.matcher.select(client)
    };
    let Some(view_idx) = selected else {
        return Some(short(
            out,
            q.id,
            q.copy_flags,
            Rcode::REFUSED,
            Some(q.question),
            q.qtype,
            edns_reply,
            ecs_used,
            None,
        ));
    };
    let view = &snap.views[view_idx];
    let key = &q.key[..q.key_len];
    if q.qclass == Class::CH
        && let Some(text) = chaos_string(snap, key, q.qtype)
    {
        let mut o = chaos_answer(out, &q, text, edns_reply);
        o.view = Some(view_idx as u16);
        return Some(o);
    }
    if q.qclass != Class::IN || q.qtype == Rtype::AXFR || q.qtype == Rtype::IXFR {
        return Some(short_in(
            out,
            &q,
            Rcode::REFUSED,
            edns_reply,
            ecs_used,
            Some(view_idx),
        ));
    }
    let prepared_idx = match view.lookup(key) {
        Some(entry) if !entry.cut && q.qtype == Rtype::ANY => Some(any_for(view, entry)),
        Some(entry) => Some(view.for_type(entry, q.qtype)),
        None => {
            // The closest encloser: a wildcard below it synthesizes; a zone cut refers; else NXDOMAIN.
            let mut found = None;
            let mut name = key;
            while let Some(parent) = lyncdns_dnsdata::name::parent(name) {
                if let Some(entry) = view.lookup(parent) {
                    found = Some(if entry.cut {
                        entry.otherwise
                    } else if let Some(w) = view.wildcard(parent) {
                        if q.qtype == Rtype::ANY {
                            any_for(view, w)
                        } else {
                            view.for_type(w, q.qtype)
                        }
                    } else {
                        view.zones[entry.zone as usize].nxdomain
                    });
                    break;
                }
                name = parent;
            }
            found
        }
    };
    let Some(idx) = prepared_idx else {
        return Some(short_in(
            out,
            &q,
            Rcode::REFUSED,
            edns_reply,
            ecs_used,
            Some(view_idx),
        ));
    };
    let p = view.prepared(idx);
    Some(write(
        out,
        &q,
        p,
        transport,
        edns_reply,
        ecs_used,
        snap.rotation,
        picker,
        view_idx,
    ))
}

/// The NSID to send in answer to `e`: ours if the query asked and one is configured, else nothing.
#[inline]
fn nsid_for<'s>(snap: &'s Snapshot, e: &Edns) -> &'s [u8] {
    match (&snap.identity.nsid, e.nsid) {
        (Some(n), true) => n,
        _ => &[],
    }
}

/// The configured TXT string for a CHAOS question about the server (`version.bind`, `version.server`,
/// `hostname.bind`, `id.server`, RFC 4892), if any.
fn chaos_string<'s>(snap: &'s Snapshot, key: &[u8], qtype: Rtype) -> Option<&'s [u8]> {
    if qtype != Rtype::TXT && qtype != Rtype::ANY {
        return None;
    }
    match key {
        b"\x07version\x04bind\x00" | b"\x07version\x06server\x00" => {
            snap.identity.version.as_deref()
        }
        b"\x08hostname\x04bind\x00" | b"\x02id\x06server\x00" => snap.identity.hostname.as_deref(),
        _ => None,
    }
}

/// The answer to a CHAOS question about the server: one TXT record in class CH, TTL 0, owned by the question.
fn chaos_answer(out: &mut [u8], q: &Query<'_>, text: &[u8], edns: Option<Reply<'_>>) -> Outcome {
    header(
        out,
        q.id,
        q.copy_flags,
        true,
        false,
        Rcode::NOERROR,
        [1, 1, 0, edns.is_some() as u16],
    );
    let qs = q.question;
    out[12..12 + qs.len()].copy_from_slice(qs);
    let mut len = 12 + qs.len();
    let rdlen = (text.len() + 1) as u16;
    let mut head = [0xc0, 0x0c, 0, 16, 0, 3, 0, 0, 0, 0, 0, 0];
    head[10..12].copy_from_slice(&rdlen.to_be_bytes());
    out[len..len + 12].copy_from_slice(&head);
    out[len + 12] = text.len() as u8;
    out[len + 13..len + 13 + text.len()].copy_from_slice(text);
    len += 13 + text.len();
    if let Some(e) = edns {
        len += opt(out, len, e, Rcode::NOERROR, None);
    }
    Outcome {
        len,
        view: None,
        rcode: Rcode::NOERROR,
        qtype: q.qtype,
        truncated: false,
    }
}

/// The answer to ANY at a name that exists (RFC 8482 §4.2): its CNAME if it has one (a CNAME owner has no other
/// data to summarize), NODATA at an empty non-terminal (it owns nothing), else the synthesized HINFO.
#[inline]
fn any_for(view: &crate::compile::ViewData, entry: &crate::compile::Entry) -> u32 {
    if entry.owns_nothing() {
        return entry.otherwise;
    }
    let cname = view.for_type(entry, Rtype::CNAME);
    if cname != entry.otherwise {
        cname
    } else {
        view.any
    }
}

fn header(
    out: &mut [u8],
    id: [u8; 2],
    copy_flags: u16,
    aa: bool,
    tc: bool,
    rcode: Rcode,
    counts: [u16; 4],
) {
    out[0..2].copy_from_slice(&id);
    out[2] = 0x80 | (aa as u8) << 2 | (tc as u8) << 1 | (copy_flags >> 8) as u8;
    out[3] = (copy_flags & 0x10) as u8 | (rcode.0 & 0x0f) as u8;
    for (i, c) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

/// Appends the OPT record at `at`; returns its length.
fn opt(
    out: &mut [u8],
    at: usize,
    edns: Reply<'_>,
    rcode: Rcode,
    ecs: Option<(u16, u8, IpAddr)>,
) -> usize {
    let (e, our_size, nsid) = edns;
    let ecs_len = ecs
        .map(|(_, source, _)| 4 + (source as usize).div_ceil(8))
        .unwrap_or(0);
    let nsid_len = if nsid.is_empty() { 0 } else { 4 + nsid.len() };
    let ecs_total = if ecs_len > 0 { 4 + ecs_len } else { 0 };
    let rec = &mut out[at..at + 11 + ecs_total + nsid_len];
    rec[0] = 0;
    rec[1..3].copy_from_slice(&Rtype::OPT.to_be_bytes());
    rec[3..5].copy_from_slice(&our_size.to_be_bytes());
    rec[5] = (rcode.0 >> 4) as u8;
    rec[6] = 0; // version 0
    rec[7] = if e.dnssec_ok { 0x80 } else { 0 };
    rec[8] = 0;
    let rdlen = (ecs_total + nsid_len) as u16;
    rec[9..11].copy_from_slice(&rdlen.to_be_bytes());
    if nsid_len > 0 {
        let o = &mut rec[11 + ecs_total..];
        o[0..2].copy_from_slice(&3u16.to_be_bytes());
        o[2..4].copy_from_slice(&(nsid.len() as u16).to_be_bytes());
        o[4..4 + nsid.len()].copy_from_slice(nsid);
    }
    if let Some((family, source, addr)) = ecs {
        rec[11..13].copy_from_slice(&8u16.to_be_bytes());
        rec[13..15].copy_from_slice(&(ecs_len as u16).to_be_bytes());
        rec[15..17].copy_from_slice(&family.to_be_bytes());
        rec[17] = source;
        rec[18] = source; // SCOPE: the answer was chosen by the whole source prefix (RFC 7871 §7.2.1)
        let octets = (source as usize).div_ceil(8);
        match addr {
            IpAddr::V4(a) => rec[19..19 + octets].copy_from_slice(&a.octets()[..octets]),
            IpAddr::V6(a) => rec[19..19 + octets].copy_from_slice(&a.octets()[..octets]),
        }
    }
    rec.len()
}

/// Appends the unsigned TSIG error record answering the TSIG record at `at` of `q`: the key name and algorithm
/// uncompressed, time signed and fudge copied, no MAC, the original ID, error BADKEY (RFC 8945 §5.2.2, §5.3.2).
/// Returns its length (0 if the record cannot be read, which `parse` has ruled out).
fn tsig_badkey(out: &mut [u8], at: usize, q: &[u8], tsig_at: usize) -> usize {
    const BADKEY: u16 = 17;
    let Some(TsigFields {
        key,
        key_len,
        alg,
        alg_len,
        time_at,
    }) = tsig_fields(q, tsig_at)
    else {
        return 0;
    };
    let Some(fixed) = q.get(time_at..time_at + 8) else {
        return 0;
    };
    let mac_len = u16_at(q, time_at + 8).unwrap_or(0) as usize;
    let Some(orig_id) = q.get(time_at + 10 + mac_len..time_at + 12 + mac_len) else {
        return 0;
    };
    let rdlen = alg_len + 8 + 2 + 2 + 2 + 2;
    let total = key_len + 10 + rdlen;
    let Some(rec) = out.get_mut(at..at + total) else {
        return 0;
    };
    rec[..key_len].copy_from_slice(&key[..key_len]);
    let mut w = key_len;
    for v in [Rtype::TSIG.0, Class::ANY.0, 0, 0, rdlen as u16] {
        rec[w..w + 2].copy_from_slice(&v.to_be_bytes());
        w += 2;
    }
    rec[w..w + alg_len].copy_from_slice(&alg[..alg_len]);
    w += alg_len;
    rec[w..w + 8].copy_from_slice(fixed);
    w += 8;
    rec[w..w + 2].copy_from_slice(&0u16.to_be_bytes());
    rec[w + 2..w + 4].copy_from_slice(orig_id);
    rec[w + 4..w + 6].copy_from_slice(&BADKEY.to_be_bytes());
    rec[w + 6..w + 8].copy_from_slice(&0u16.to_be_bytes());
    total
}

#[allow(clippy::too_many_arguments)]
fn short(
    out: &mut [u8],
    id: [u8; 2],
    copy_flags: u16,
    rcode: Rcode,
    question: Option<&[u8]>,
    qtype: Rtype,
    edns: Option<Reply<'_>>,
    ecs: Option<(u16, u8, IpAddr)>,
    tsig: Option<(&[u8], usize)>,
) -> Outcome {
    let qd = question.is_some() as u16;
    header(
        out,
        id,
        copy_flags,
        false,
        false,
        rcode,
        [qd, 0, 0, edns.is_some() as u16 + tsig.is_some() as u16],
    );
    let mut len = 12;
    if let Some(qs) = question {
        out[12..12 + qs.len()].copy_from_slice(qs);
        len += qs.len();
    }
    if let Some(e) = edns {
        len += opt(out, len, e, rcode, ecs);
    }
    if let Some((q, at)) = tsig {
        let n = tsig_badkey(out, len, q, at);
        if n == 0 {
            // It did not fit the buffer: ARCOUNT must not count it.
            out[10..12].copy_from_slice(&(edns.is_some() as u16).to_be_bytes());
        }
        len += n;
    }
    Outcome {
        len,
        view: None,
        rcode,
        qtype,
        truncated: false,
    }
}

fn short_in(
    out: &mut [u8],
    q: &Query<'_>,
    rcode: Rcode,
    edns: Option<Reply<'_>>,
    ecs: Option<(u16, u8, IpAddr)>,
    view: Option<usize>,
) -> Outcome {
    let mut o = short(
        out,
        q.id,
        q.copy_flags,
        rcode,
        Some(q.question),
        q.qtype,
        edns,
        ecs,
        None,
    );
    o.view = view.map(|v| v as u16);
    o
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn write(
    out: &mut [u8],
    q: &Query<'_>,
    p: Prepared<'_>,
    transport: Transport,
    edns: Option<Reply<'_>>,
    ecs: Option<(u16, u8, IpAddr)>,
    rotation: Rotation,
    picker: &mut Picker,
    view: usize,
) -> Outcome {
    let ecs_len = ecs
        .map(|(_, s, _)| 8 + (s as usize).div_ceil(8))
        .unwrap_or(0);
    let opt_len = match edns {
        Some((_, _, nsid)) if !nsid.is_empty() => 11 + ecs_len + 4 + nsid.len(),
        Some(_) => 11 + ecs_len,
        None => 0,
    };
    let limit = match (transport, edns) {
        (Transport::Tcp, _) => 65535,
        (Transport::Udp, None) => 512,
        (Transport::Udp, Some((e, ours, _))) => e.udp_size.clamp(512, ours.max(512)) as usize,
    };
    let fixed = 12 + q.question.len() + opt_len;
    let (body_len, ar, tc) = if fixed + p.body.len() <= limit {
        (p.body.len(), p.ar, false)
    } else if fixed + p.cut as usize <= limit {
        (p.cut as usize, p.cut_ar, false)
    } else {
        (0, 0, true)
    };
    let (an, ns) = if tc { (0, 0) } else { (p.an, p.ns) };
    let rcode = Rcode(u16::from(p.rcode));
    header(
        out,
        q.id,
        q.copy_flags,
        p.aa,
        tc,
        rcode,
        [1, an, ns, ar + edns.is_some() as u16],
    );
    let qs = q.question;
    out[12..12 + qs.len()].copy_from_slice(qs);
    let body_at = 12 + qs.len();
    out[body_at..body_at + body_len].copy_from_slice(&p.body[..body_len]);
    if let Some(r) = p.rotate
        && !tc
        && rotation != Rotation::None
    {
        permute(
            &mut out[body_at..body_at + body_len],
            p.body,
            r,
            rotation,
            picker,
        );
    }
    let mut len = body_at + body_len;
    if let Some(e) = edns {
        len += opt(out, len, e, rcode, ecs);
    }
    Outcome {
        len,
        view: Some(view as u16),
        rcode,
        qtype: q.qtype,
        truncated: tc,
    }
}

/// Writes the records of a load-balanced RRset in a new order: a random permutation, or the next rotation.
fn permute(
    dst: &mut [u8],
    src: &[u8],
    r: crate::compile::Rotate,
    rotation: Rotation,
    picker: &mut Picker,
) {
    let (off, len, count) = (r.offset as usize, r.len as usize, r.count as usize);
    let mut order = [0u8; 64];
    let n = count.min(order.len());
    for (i, o) in order.iter_mut().enumerate().take(n) {
        *o = i as u8;
    }
    match rotation {
        Rotation::Shuffle => {
            for i in (1..n).rev() {
                let j = (picker.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
        Rotation::RoundRobin => {
            picker.turn = picker.turn.wrapping_add(1);
            order[..n].rotate_left((picker.turn % n as u64) as usize);
        }
        Rotation::None => {}
    }
    for (slot, &from) in order[..n].iter().enumerate() {
        let from = off + from as usize * len;
        dst[off + slot * len..off + (slot + 1) * len].copy_from_slice(&src[from..from + len]);
    }
}
