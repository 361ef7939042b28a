//! The answer path: one query in, one response out, as a pure function of the snapshot, the query octets, the
//! client address and the transport. No allocation, no lock, no I/O: the parse reads the header, the question
//! and the OPT record in place; the lookup is one hash probe (more only for names that do not exist); the
//! response is the question copied as sent (0x20 case kept) and a prepared body copied behind it, with the ID and
//! flags patched, the addresses of a load-balanced RRset reordered, and a referral's compression pointers moved
//! to where its body landed.
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
//! - DNS Cookies (RFC 7873) when on: a client cookie gets our server cookie (RFC 9018), a valid one is echoed,
//!   an invalid one replaced, and the answer given (§5.2.3–§5.2.5); with cookies required, a UDP query without a
//!   valid server cookie gets BADCOOKIE and a fresh cookie; a COOKIE option of a wrong length gets FORMERR
//!   (§5.2.2); a QUERY without a question but with a COOKIE option gets a server cookie (§5.4).
//! - edns-tcp-keepalive (RFC 7828) over TCP is answered with the connection's idle timeout (§3.3.2); over UDP it
//!   is ignored (§3.3.1); over TCP with a timeout in it, FORMERR (§3.2.1).
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

/// The EDNS option code of edns-tcp-keepalive (RFC 7828 §3.1).
const KEEPALIVE: u16 = 11;

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
    /// Where the EDNS Client Subnet option's data starts in the query, and its length: read only when the
    /// client is a trusted resolver.
    ecs: Option<(u16, u16)>,
    /// Whether the query asks for our NSID (RFC 5001 §2.1).
    nsid: bool,
    /// Where the first COOKIE option's data starts in the query, and its length (RFC 7873 §4), well formed.
    cookie: Option<(u16, u16)>,
    /// The length of the edns-tcp-keepalive option, if the query has one (RFC 7828 §3.1).
    keepalive: Option<u16>,
    /// Whether the OPT record has any option (most have none: the rest need not be looked at).
    options: bool,
}

/// What the OPT record of a response carries (RFC 6891 §6.1.2), decided once per query: our UDP size, the DO bit
/// copied (RFC 3225 §3), and the options sent back.
struct OptOut<'s> {
    /// Our UDP payload size.
    udp_size: u16,
    dnssec_ok: bool,
    /// The ECS option that chose the view (family, source prefix, address), echoed with the scope.
    ecs: Option<(u16, u8, IpAddr)>,
    /// Our NSID, if the query asked for it and one is configured (RFC 5001 §2.1); else empty.
    nsid: &'s [u8],
    /// What the query's COOKIE option was, and the option's data to send: the client cookie and our server
    /// cookie (RFC 7873 §5.2).
    cookie: Option<(crate::cookie::Check, [u8; 24])>,
    /// The edns-tcp-keepalive timeout in units of 100 ms (RFC 7828 §3.3.2).
    keepalive: Option<u16>,
    /// The length of the OPT record with these options, kept up to date by whoever sets one.
    len: usize,
}

/// A parsed query, borrowing the query octets.
struct Query<'q> {
    id: [u8; 2],
    /// Header bits copied into the response: the opcode and RD of octet 2 (high byte), CD of octet 3 (low byte).
    copy_flags: u16,
    /// The question section as sent (name, type, class).
    question: &'q [u8],
    /// The length of the question name, lowercased into the caller's key buffer (kept out of this struct, which
    /// is returned by value: 255 octets more to move per query).
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
    /// A QUERY without a question but with a COOKIE option: a client asking for a server cookie (RFC 7873 §5.4),
    /// answered with one when cookies are on, FORMERR otherwise.
    cookie_query: bool,
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

/// Parses `q`, writing its question name lowercased into `key`.
// Inlined into both instances of `answer_view`, as it was into the one `answer` before key-selected views.
#[inline(always)]
fn parse<'q>(q: &'q [u8], key: &mut [u8; 256]) -> Result<Query<'q>, Bad<'q>> {
    // A DNS message is at most 65535 octets (its length prefix over TCP has 16 bits); a response is never
    // answered.
    if q.len() < 12 || q.len() > 65535 || q[2] & 0x80 != 0 {
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
            cookie_query: false,
        })
    };
    let formerr = |question, qtype| short(Rcode::FORMERR, question, qtype, None);
    let qdcount = u16_at(q, 4).unwrap_or(0);
    let counts = [
        u16_at(q, 6).unwrap_or(0),
        u16_at(q, 8).unwrap_or(0),
        u16_at(q, 10).unwrap_or(0),
    ];
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
            key_len += 1 + len;
            at += 1 + len;
            if len == 0 {
                break;
            }
        }
        // The name lowercased eight octets at a time, read from the query and stored once (length octets are
        // below 64, which lowercasing keeps; the octets after the name, up to the next multiple of 8, are written
        // too and never read). Copying first and lowercasing in place read back each word from two overlapping
        // stores of the copy, which the CPU cannot forward: about 8 ns per query (docs/benchmarks.md).
        let mut i = 0;
        while i < key_len {
            let w = match q.get(12 + i..12 + i + 8) {
                Some(eight) => u64::from_le_bytes([
                    eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
                ]),
                // The query ends within eight octets: the rest of the name, built in a register.
                None => q[12 + i..12 + key_len]
                    .iter()
                    .enumerate()
                    .fold(0u64, |w, (k, &b)| w | u64::from(b) << (8 * k)),
            };
            key[i..i + 8].copy_from_slice(&ascii_lowercase(w).to_le_bytes());
            i += 8;
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
            cookie: None,
            keepalive: None,
            options: rdlen > 0,
        };
        let mut o = rdata_at;
        while o + 4 <= at {
            let (code, len) = (
                u16_at(q, o).unwrap_or(0),
                u16_at(q, o + 2).unwrap_or(0) as usize,
            );
            if o + 4 + len > at {
                return Err(formerr(question, qtype));
            }
            match code {
                3 => e.nsid = true,
                // Offsets fit 16 bits: a message is at most 65535 octets (checked first).
                8 => e.ecs = Some((o as u16 + 4, len as u16)),
                crate::cookie::OPTION if e.cookie.is_none() => {
                    // RFC 7873 §5.2.2: a COOKIE option of another length is FORMERR.
                    if !crate::cookie::well_formed(len) {
                        return Err(short(Rcode::FORMERR, question, qtype, Some(e)));
                    }
                    e.cookie = Some((o as u16 + 4, len as u16));
                }
                KEEPALIVE => e.keepalive = Some(len as u16),
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
            cookie_query: false,
        }));
    }
    if opcode != 0 {
        // RFC 1035 §4.1.1, RFC 8906 §3.1.4: NOTIMP, with the opcode, the question and the OPT (RFC 6891 §7).
        return Err(short(Rcode::NOTIMP, question, qtype, edns));
    }
    // RFC 9619: a QUERY holds exactly one question.
    let Some((question, qtype, qclass)) = first.filter(|_| qdcount == 1) else {
        let mut s = short(Rcode::FORMERR, None, Rtype(0), edns);
        if let Bad::Rcode(s) = &mut s {
            s.cookie_query = qdcount == 0 && edns.is_some_and(|e| e.cookie.is_some());
        }
        return Err(s);
    };
    Ok(Query {
        id,
        copy_flags: copy,
        question,
        key_len,
        qtype,
        qclass,
        edns,
    })
}

/// The eight octets of `w` with ASCII capitals lowercased, others unchanged: a capital is an octet below 0x80
/// whose low seven bits are at least `A` and at most `Z`, found without carries between octets.
#[inline]
fn ascii_lowercase(w: u64) -> u64 {
    const EACH: u64 = 0x0101_0101_0101_0101;
    let ascii = !w & (0x80 * EACH);
    let low7 = w & (0x7f * EACH);
    let at_least_a = low7 + (0x80 - b'A' as u64) * EACH;
    let above_z = low7 + (0x80 - (b'Z' as u64 + 1)) * EACH;
    let capital = at_least_a & !above_z & ascii;
    w | capital >> 2
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

/// What the server knows of a query besides its octets and its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The transport it came over.
    pub transport: Transport,
    /// Over TCP: the idle timeout now in force on the connection, told to clients that ask (RFC 7828).
    pub tcp_idle: Option<std::time::Duration>,
    /// The time in seconds since the epoch (modulo 2³²), for server cookies (RFC 9018 §4.3); `None`: the system
    /// clock, read only for a query with a COOKIE option.
    pub now: Option<u32>,
}

impl Context {
    /// A query over `transport`, on the system clock, with no idle timeout to tell.
    pub fn new(transport: Transport) -> Context {
        Context {
            transport,
            tcp_idle: None,
            now: None,
        }
    }
}

/// Answers `query` from a client at `src` into `out` (at least 65535 octets for TCP; for UDP at least the
/// snapshot's `max_udp`). `None`: send nothing. The same as [`answer_in`] with [`Context::new`].
pub fn answer(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    transport: Transport,
    picker: &mut Picker,
    out: &mut [u8],
) -> Option<Outcome> {
    answer_in(snap, query, src, Context::new(transport), picker, out)
}

/// Answers `query` from a client at `src`, in the context `ctx`, into `out` (at least 65535 octets for TCP; for
/// UDP at least the snapshot's `max_udp`). `None`: send nothing.
pub fn answer_in(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    ctx: Context,
    picker: &mut Picker,
    out: &mut [u8],
) -> Option<Outcome> {
    answer_view::<false>(snap, query, src, ctx, picker, out, 0)
}

/// [`answer_in`]; when `FORCED`, from view `forced` (a verified TSIG key chose it, see [`crate::xfr::signed`])
/// instead of the view of the client's address. A const parameter, so that [`answer_in`] compiles without a trace
/// of it (measured: an `Option` argument cost unsigned queries about 20 instructions).
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer_view<const FORCED: bool>(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    ctx: Context,
    picker: &mut Picker,
    out: &mut [u8],
    forced: usize,
) -> Option<Outcome> {
    let mut key = [0u8; 256];
    let q = match parse(query, &mut key) {
        Ok(q) => q,
        Err(Bad::Silent) => return None,
        // A signed query, and keys to verify it with: the slow path, which verifies, answers from the key's view
        // and signs (it allocates; unsigned queries never come here).
        Err(Bad::Rcode(Short { tsig: Some(_), .. })) if !FORCED && snap.xfr.has_keys() => {
            return crate::xfr::signed::answer(snap, query, src, ctx, picker, out);
        }
        Err(Bad::Rcode(s)) => return Some(short_bad(snap, query, src, ctx, s, out)),
    };
    let mut reply = q.edns.as_ref().map(|e| opt_out(snap, query, src, ctx, e));
    if let Some(e) = &q.edns {
        if e.version > 0 {
            return Some(short_in(out, &q, Rcode::BADVERS, reply.as_ref(), None));
        }
        // RFC 7828 §3.2.1: a client sends the option without a timeout; over UDP it is ignored (§3.3.1).
        if ctx.transport == Transport::Tcp && e.keepalive.is_some_and(|len| len != 0) {
            return Some(short_in(out, &q, Rcode::FORMERR, reply.as_ref(), None));
        }
        if let Some(OptOut {
            cookie: Some((check, _)),
            ..
        }) = &reply
            && *check != crate::cookie::Check::Valid
            && ctx.transport == Transport::Udp
            && snap.cookies.as_ref().is_some_and(|c| c.require)
        {
            // RFC 7873 §5.2.3, §5.2.4: BADCOOKIE with a fresh server cookie, so the client can retry with it.
            return Some(short_in(out, &q, Rcode::BADCOOKIE, reply.as_ref(), None));
        }
    }
    // The view: by the client's address, or by its ECS subnet when it comes from a trusted resolver.
    let mut client = src;
    if !FORCED
        && let (
            Some(trusted),
            Some(r),
            Some(Edns {
                ecs: Some((at, len)),
                ..
            }),
        ) = (&snap.ecs_trusted, reply.as_mut(), &q.edns)
        && trusted.select(src).is_some()
        && let Some(ecs) = query
            .get(*at as usize..*at as usize + *len as usize)
            .and_then(parse_ecs)
    {
        client = ecs.2;
        r.ecs = Some(ecs);
        r.len += 8 + (ecs.1 as usize).div_ceil(8);
    }
    let reply = reply.as_ref();
    let selected = if FORCED {
        Some(forced)
    } else {
        snap.matcher.select(client)
    };
    let Some(view_idx) = selected else {
        return Some(short_in(out, &q, Rcode::REFUSED, reply, None));
    };
    let view = &snap.views[view_idx];
    let key = &key[..q.key_len];
    if q.qclass == Class::CH
        && let Some(text) = chaos_string(snap, key, q.qtype)
    {
        let mut o = chaos_answer(out, &q, text, reply);
        o.view = Some(view_idx as u16);
        return Some(o);
    }
    if q.qclass != Class::IN || q.qtype == Rtype::AXFR || q.qtype == Rtype::IXFR {
        return Some(short_in(out, &q, Rcode::REFUSED, reply, Some(view_idx)));
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
        return Some(short_in(out, &q, Rcode::REFUSED, reply, Some(view_idx)));
    };
    let p = view.prepared(idx);
    Some(write(
        out,
        &q,
        p,
        ctx.transport,
        reply,
        q.edns.as_ref().map_or(512, |e| e.udp_size),
        snap.rotation,
        picker,
        view_idx,
    ))
}

/// The response to a query `parse` turned down with an rcode (kept out of line: no answer path goes here).
#[cold]
#[inline(never)]
fn short_bad(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    ctx: Context,
    s: Short<'_>,
    out: &mut [u8],
) -> Outcome {
    let reply = s.edns.as_ref().map(|e| opt_out(snap, query, src, ctx, e));
    // RFC 7873 §5.4: a client asking for a server cookie gets one (BADCOOKIE where one is required, §5.2.3).
    let rcode = match reply.as_ref().and_then(|r| r.cookie.as_ref()) {
        Some((check, _)) if s.cookie_query => {
            let required = snap.cookies.as_ref().is_some_and(|c| c.require);
            if required && ctx.transport == Transport::Udp && *check != crate::cookie::Check::Valid
            {
                Rcode::BADCOOKIE
            } else {
                Rcode::NOERROR
            }
        }
        _ => s.rcode,
    };
    short(
        out,
        s.id,
        s.copy_flags,
        rcode,
        s.question,
        s.qtype,
        reply.as_ref(),
        s.tsig,
    )
}

/// The OPT record answering the query's `e` (without ECS, which the view selection adds).
#[inline]
fn opt_out<'s>(
    snap: &'s Snapshot,
    query: &[u8],
    src: IpAddr,
    ctx: Context,
    e: &Edns,
) -> OptOut<'s> {
    let mut o = OptOut {
        udp_size: snap.max_udp,
        dnssec_ok: e.dnssec_ok,
        ecs: None,
        nsid: &[],
        cookie: None,
        keepalive: None,
        len: 11,
    };
    if !e.options {
        return o;
    }
    if let (Some(n), true) = (&snap.identity.nsid, e.nsid) {
        o.nsid = n;
        o.len += 4 + n.len();
    }
    if let (Some(c), Some(at)) = (&snap.cookies, e.cookie) {
        o.cookie = cookie_reply(c, query, at, src, ctx);
        o.len += o.cookie.map_or(0, |_| 28);
    }
    // RFC 7828 §3.3.2: only over TCP, with the timeout now associated with the connection.
    if let (Transport::Tcp, Some(idle), Some(_)) = (ctx.transport, ctx.tcp_idle, e.keepalive)
        && snap.tcp_keepalive
    {
        o.keepalive = Some((idle.as_millis() / 100).min(u16::MAX as u128) as u16);
        o.len += 6;
    }
    o
}

/// Checks the COOKIE option at `at` (offset and length in `query`) and makes the one to send back.
#[cold]
#[inline(never)]
fn cookie_reply(
    cookies: &crate::cookie::Cookies,
    query: &[u8],
    (at, len): (u16, u16),
    src: IpAddr,
    ctx: Context,
) -> Option<(crate::cookie::Check, [u8; 24])> {
    let option = query.get(at as usize..at as usize + len as usize)?;
    let now = ctx.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32)
    });
    Some(crate::cookie::answer(&cookies.secret, option, src, now))
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
fn chaos_answer(out: &mut [u8], q: &Query<'_>, text: &[u8], edns: Option<&OptOut<'_>>) -> Outcome {
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
        len += opt(out, len, e, Rcode::NOERROR);
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

#[inline]
fn header(
    out: &mut [u8],
    id: [u8; 2],
    copy_flags: u16,
    aa: bool,
    tc: bool,
    rcode: Rcode,
    counts: [u16; 4],
) {
    let [qd, an, ns, ar] = counts.map(u16::to_be_bytes);
    // One 12-octet store rather than eight small ones.
    out[..12].copy_from_slice(&[
        id[0],
        id[1],
        0x80 | (aa as u8) << 2 | (tc as u8) << 1 | (copy_flags >> 8) as u8,
        (copy_flags & 0x10) as u8 | (rcode.0 & 0x0f) as u8,
        qd[0],
        qd[1],
        an[0],
        an[1],
        ns[0],
        ns[1],
        ar[0],
        ar[1],
    ]);
}

/// Appends the OPT record `e` at `at`, with the upper bits of `rcode` (RFC 6891 §6.1.3); returns its length.
fn opt(out: &mut [u8], at: usize, e: &OptOut<'_>, rcode: Rcode) -> usize {
    let len = e.len;
    let rec = &mut out[at..at + len];
    let [size_hi, size_lo] = e.udp_size.to_be_bytes();
    let [rdlen_hi, rdlen_lo] = ((len - 11) as u16).to_be_bytes();
    // Owner root, type OPT, our size, extended rcode, version 0, DO copied, RDLENGTH.
    rec[..11].copy_from_slice(&[
        0,
        0,
        41,
        size_hi,
        size_lo,
        (rcode.0 >> 4) as u8,
        0,
        if e.dnssec_ok { 0x80 } else { 0 },
        0,
        rdlen_hi,
        rdlen_lo,
    ]);
    if len == 11 {
        return len;
    }
    let mut w = 11;
    if let Some((family, source, addr)) = e.ecs {
        let octets = (source as usize).div_ceil(8);
        rec[w..w + 2].copy_from_slice(&8u16.to_be_bytes());
        rec[w + 2..w + 4].copy_from_slice(&(4 + octets as u16).to_be_bytes());
        rec[w + 4..w + 6].copy_from_slice(&family.to_be_bytes());
        rec[w + 6] = source;
        rec[w + 7] = source; // SCOPE: the answer was chosen by the whole source prefix (RFC 7871 §7.2.1)
        match addr {
            IpAddr::V4(a) => rec[w + 8..w + 8 + octets].copy_from_slice(&a.octets()[..octets]),
            IpAddr::V6(a) => rec[w + 8..w + 8 + octets].copy_from_slice(&a.octets()[..octets]),
        }
        w += 8 + octets;
    }
    if !e.nsid.is_empty() {
        rec[w..w + 2].copy_from_slice(&3u16.to_be_bytes());
        rec[w + 2..w + 4].copy_from_slice(&(e.nsid.len() as u16).to_be_bytes());
        rec[w + 4..w + 4 + e.nsid.len()].copy_from_slice(e.nsid);
        w += 4 + e.nsid.len();
    }
    if let Some((_, c)) = &e.cookie {
        rec[w..w + 2].copy_from_slice(&crate::cookie::OPTION.to_be_bytes());
        rec[w + 2..w + 4].copy_from_slice(&24u16.to_be_bytes());
        rec[w + 4..w + 28].copy_from_slice(c);
        w += 28;
    }
    if let Some(t) = e.keepalive {
        rec[w..w + 2].copy_from_slice(&KEEPALIVE.to_be_bytes());
        rec[w + 2..w + 4].copy_from_slice(&2u16.to_be_bytes());
        rec[w + 4..w + 6].copy_from_slice(&t.to_be_bytes());
    }
    len
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
    edns: Option<&OptOut<'_>>,
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
        len += opt(out, len, e, rcode);
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
    edns: Option<&OptOut<'_>>,
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
    edns: Option<&OptOut<'_>>,
    client_udp_size: u16,
    rotation: Rotation,
    picker: &mut Picker,
    view: usize,
) -> Outcome {
    let opt_len = edns.map_or(0, |e| e.len);
    let limit = match (transport, edns) {
        (Transport::Tcp, _) => 65535,
        (Transport::Udp, None) => 512,
        (Transport::Udp, Some(e)) => client_udp_size.clamp(512, e.udp_size.max(512)) as usize,
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
    if !p.relocate.is_empty() {
        relocate(&mut out[body_at..body_at + body_len], p.relocate, body_at);
    }
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
        len += opt(out, len, e, rcode);
    }
    Outcome {
        len,
        view: Some(view as u16),
        rcode,
        qtype: q.qtype,
        truncated: tc,
    }
}

/// Moves the body-relative compression pointers at the positions `relocs` (little-endian `u16`s) of `body` by
/// `base`, the body's offset in the message; positions past a truncated body are skipped.
#[cold]
#[inline(never)]
fn relocate(body: &mut [u8], relocs: &[u8], base: usize) {
    for r in relocs.chunks_exact(2) {
        let at = u16::from_le_bytes([r[0], r[1]]) as usize;
        if let Some(p) = body.get_mut(at..at + 2) {
            let to = (u16::from_be_bytes([p[0], p[1]]) & 0x3fff) as usize + base;
            p.copy_from_slice(&(0xc000 | to as u16).to_be_bytes());
        }
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

#[cfg(test)]
mod tests {
    use super::{ascii_lowercase, parse};

    #[test]
    fn lowercasing_eight_octets_at_once_matches_one_at_a_time() {
        // Every octet value in every position, with neighbours that would carry if the method were wrong.
        for b in 0..=255u8 {
            for fill in [0x00, 0x40, 0x5a, 0x5b, 0x7f, 0x80, 0xc1, 0xff] {
                for pos in 0..8 {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    let want = w.map(|o| o.to_ascii_lowercase());
                    assert_eq!(
                        ascii_lowercase(u64::from_ne_bytes(w)).to_ne_bytes(),
                        want,
                        "{w:x?}"
                    );
                }
            }
        }
    }

    /// The key is the question name lowercased, whatever its length and however close to the end of the query it
    /// ends (the last words are read from the query when eight octets remain, else built from what is left).
    #[test]
    fn the_key_is_the_lowercased_name_for_every_length_and_query_end() {
        for labels in 1..=8usize {
            for len in 1..=20usize {
                let mut name = Vec::new();
                for l in 0..labels {
                    name.push(len as u8);
                    name.extend((0..len).map(|k| {
                        if (k + l) % 2 == 0 {
                            b'A' + (k % 26) as u8
                        } else {
                            b'z'
                        }
                    }));
                }
                name.push(0);
                let want: Vec<u8> = name.iter().map(u8::to_ascii_lowercase).collect();
                // Without EDNS the name is followed by four octets only; with trailing data, by more.
                for trailing in [0usize, 11] {
                    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
                    q.extend(&name);
                    q.extend([0, 1, 0, 1]);
                    q.extend(std::iter::repeat_n(0xAA, trailing));
                    let mut key = [0u8; 256];
                    let Ok(parsed) = parse(&q, &mut key) else {
                        panic!("a good question refused: {labels} labels of {len}")
                    };
                    assert_eq!(
                        &key[..parsed.key_len],
                        &want[..],
                        "{labels} × {len}, {trailing}"
                    );
                }
            }
        }
    }
}
