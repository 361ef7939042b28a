//! Encoding prepared answers: each body (answer, authority and additional sections) is written once, with its
//! header, into the answer segment of the thread compiling it. [`Out`] prepares a name's [`Entry`]: the general
//! encoder (`Enc`: name compression against the question at offset 12 and the names before, or none, with the
//! wildcard owner written as `0xC00C`, for bodies whose question name varies), the fast path for plain RRsets,
//! and the negative (RFC 2308), referral (RFC 1034 §4.3.2), ANY (RFC 8482) and CNAME-chain bodies.

use lyncdns_dnsdata::name;
use lyncdns_dnsdata::record::{Part, RrRef};
use lyncdns_dnsdata::types::Rtype;

use super::BuildError;
use super::group::{Index, Target};
use super::snapshot::{
    CUT_AR, Entry, HEADER, ROTATE, Rotate, SEGMENT_BITS, SEGMENT_MASK, ZoneInfo,
};

/// The answers being written.
pub(super) struct Out<'v> {
    /// The answer segment written.
    segment: u32,
    /// The segment's answers, each a header and a body.
    pub(super) answers: Vec<u8>,
    /// `(qtype, answer)` pairs of names with more than one type, numbered in this segment.
    pub(super) types: Vec<(Rtype, u32)>,
    /// The encoder of the body being written.
    enc: Enc,
    /// The view's name, for errors.
    view: &'v str,
    /// A name's types, kept between entries to reuse the allocation.
    scratch_types: Vec<Rtype>,
    /// A name's prepared answers, kept between entries to reuse the allocation.
    scratch_prepared: Vec<(Rtype, u32)>,
    /// Names looked up for the entry being prepared: ((address, length), owner).
    finds: Vec<((usize, usize), Option<u32>)>,
    /// Every answer through the general encoder (tests compare the fast path with it).
    pub(super) general_only: bool,
}

/// The sections of one answer, before they are written.
#[derive(Default)]
struct Counts {
    rcode: u8,
    aa: bool,
    an: u16,
    ns: u16,
    ar: u16,
    cut: usize,
    /// ARCOUNT of the body cut at `cut` (in-domain glue a referral must keep, RFC 9471 §3.1).
    cut_ar: u16,
    rotate: Option<Rotate>,
}

impl<'v> Out<'v> {
    /// An empty segment numbered `segment`, for the view named `view`.
    pub(super) fn new(view: &'v str, segment: u32) -> Self {
        Out {
            segment,
            answers: Vec::new(),
            types: Vec::new(),
            enc: Enc::default(),
            view,
            scratch_types: Vec::new(),
            scratch_prepared: Vec::new(),
            finds: Vec::new(),
            general_only: false,
        }
    }

    /// Appends the encoder's body with its header; returns where it starts.
    fn finish(&mut self, c: Counts, name: &[u8], qtype: Option<Rtype>) -> Result<u32, BuildError> {
        let at = write_answer(&mut self.answers, &c, &self.enc.buf, &self.enc.relocs)
            .ok_or_else(|| self.too_large(self.enc.buf.len(), name, qtype))?;
        Ok(self.segment << SEGMENT_BITS | at)
    }

    /// The error for a body that does not fit (a DNS message, or the segment).
    fn too_large(&self, len: usize, name: &[u8], qtype: Option<Rtype>) -> BuildError {
        if len + 12 + 259 > 65535 {
            BuildError::TooLarge {
                view: self.view.to_owned(),
                name: name::to_text(name),
                rtype: qtype.map_or_else(|| "(other)".into(), |t| t.to_string()),
                len,
            }
        } else {
            BuildError::Huge {
                view: self.view.to_owned(),
            }
        }
    }

    /// The answer of a name's only record, of a plain type: what [`Out::plain`] writes for a one-record set,
    /// written straight into the segment (most names of a large zone).
    fn single(&mut self, r: RrRef<'_>, name: &[u8]) -> Result<u32, BuildError> {
        let mut body = [0u8; 12 + 256];
        let len = 12 + r.rdata.len();
        body[..12].copy_from_slice(&record_head(r.rtype, r.ttl, r.rdata.len()));
        body[12..len].copy_from_slice(r.rdata);
        let c = Counts {
            aa: true,
            an: 1,
            cut: len,
            ..Counts::default()
        };
        let at = write_answer(&mut self.answers, &c, &body[..len], &[])
            .ok_or_else(|| self.too_large(len, name, Some(r.rtype)))?;
        Ok(self.segment << SEGMENT_BITS | at)
    }

    /// The negative answer of a zone: its SOA in the authority section with the negative TTL (RFC 2308 §3).
    pub(super) fn negative(&mut self, soa: RrRef<'_>, rcode: u8) -> Result<u32, BuildError> {
        self.enc.plain(None);
        let ttl = soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl));
        self.enc.rr(soa.owner, soa, ttl);
        let c = Counts {
            rcode,
            aa: true,
            ns: 1,
            cut: self.enc.buf.len(),
            ..Counts::default()
        };
        self.finish(c, soa.owner, Some(Rtype::SOA))
    }

    /// RFC 8482 §4.2: one synthesized HINFO record for the question name.
    pub(super) fn any_answer(&mut self) -> Result<u32, BuildError> {
        self.enc.plain(None);
        let b = &mut self.enc.buf;
        b.extend_from_slice(&[0xc0, 0x0c]);
        b.extend_from_slice(&Rtype::HINFO.to_be_bytes());
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&3600u32.to_be_bytes());
        let hinfo = b"\x07RFC8482\x00";
        b.extend_from_slice(&(hinfo.len() as u16).to_be_bytes());
        b.extend_from_slice(hinfo);
        let c = Counts {
            aa: true,
            an: 1,
            cut: b.len(),
            ..Counts::default()
        };
        self.finish(c, b"\0", Some(Rtype::ANY))
    }

    /// A referral to the delegation at `cut`: its NS records in the authority section and glue (RFC 1034
    /// §4.3.2, RFC 9471). The question name varies, so names are compressed against the body itself, with
    /// pointers the answer path moves by where the body lands (so more glue fits, as BIND's referrals do).
    pub(super) fn referral(&mut self, ix: &Index<'_>, cut: &[u8]) -> Result<u32, BuildError> {
        self.enc.relocatable();
        let mut c = Counts::default();
        self.delegation(ix, cut, &mut c);
        self.finish(c, cut, Some(Rtype::NS))
    }

    /// Writes the delegation at `cut` behind what the encoder holds: its NS records in the authority section,
    /// then the in-domain glue (addresses of targets at or below the cut), where `c.cut` ends since a referral
    /// without them is no referral (RFC 9471 §3.1: include them all or set TC), then the other addresses the
    /// view holds for its targets (sibling glue, which may be dropped to fit).
    fn delegation(&mut self, ix: &Index<'_>, cut: &[u8], c: &mut Counts) {
        for r in ix.rrset(cut, Rtype::NS) {
            self.enc.rr(cut, r, r.ttl);
            c.ns += 1;
        }
        let mut done: Vec<&[u8]> = Vec::new();
        for in_domain in [true, false] {
            for r in ix.rrset(cut, Rtype::NS) {
                let Some(target) = r.target() else { continue };
                if name::is_within(target, cut) != in_domain || done.contains(&target) {
                    continue;
                }
                done.push(target);
                for t in [Rtype::A, Rtype::AAAA] {
                    for g in ix.rrset(target, t) {
                        self.enc.rr(target, g, g.ttl);
                        c.ar += 1;
                    }
                }
            }
            if in_domain {
                c.cut = self.enc.buf.len();
                c.cut_ar = c.ar;
            }
        }
    }

    /// The prepared answers of one owner name. `synth` prepares them for wildcard synthesis.
    pub(super) fn entry_for(
        &mut self,
        ix: &Index<'_>,
        owner: u32,
        name_at: u32,
        zi: u32,
        zones: &[ZoneInfo],
        synth: bool,
    ) -> Result<Entry, BuildError> {
        // Most names: one record of a plain type.
        if let [only] = ix.group(owner)
            && !self.general_only
        {
            let r = ix.store.get(*only as usize);
            if plain_type(r.rtype) && r.rdata.len() <= 256 {
                let at = self.single(r, r.owner)?;
                return Ok(Entry {
                    name: name_at,
                    zone: zi,
                    cut: false,
                    ntypes: 1,
                    t1: r.rtype,
                    types: at,
                    otherwise: zones[zi as usize].nodata,
                });
            }
        }
        self.finds.clear();
        let mut types = std::mem::take(&mut self.scratch_types);
        ix.types(owner, &mut types);
        let mut prepared = std::mem::take(&mut self.scratch_prepared);
        prepared.clear();
        let otherwise = if types.contains(&Rtype::CNAME) {
            // The CNAME itself, the chain's answer for every type at its end, and the chain plus the end's
            // negative answer for every other type (RFC 1034 §4.3.2, RFC 6604).
            prepared.push((
                Rtype::CNAME,
                self.chase(ix, owner, Some(Rtype::CNAME), synth)?,
            ));
            let mut end_types = Vec::new();
            if let Some(e) = self.chain_end(ix, owner) {
                ix.types(e, &mut end_types);
            }
            for t in end_types.into_iter().filter(|t| *t != Rtype::CNAME) {
                prepared.push((t, self.chase(ix, owner, Some(t), synth)?));
            }
            self.chase(ix, owner, None, synth)?
        } else {
            for &t in &types {
                let answer = if self.general_only || !plain_type(t) {
                    self.chase(ix, owner, Some(t), synth)?
                } else {
                    self.plain(ix, owner, t)?
                };
                prepared.push((t, answer));
            }
            // NODATA: the zone's prepared answer, whose SOA owner is written in full, fits any question name.
            zones[zi as usize].nodata
        };
        let (ntypes, t1, at): (u8, Rtype, u32) = match prepared.as_slice() {
            [] => (0, Rtype(0), 0),
            [(t, a)] => (1, *t, *a),
            many => {
                let n = u8::try_from(many.len()).map_err(|_| BuildError::TooManyTypes {
                    view: self.view.to_owned(),
                    name: name::to_text(ix.name(owner)),
                    types: many.len(),
                })?;
                let at = self.types.len() as u32;
                self.types.extend_from_slice(many);
                (n, Rtype(0), at)
            }
        };
        self.scratch_types = types;
        self.scratch_prepared = prepared;
        Ok(Entry {
            name: name_at,
            zone: zi,
            cut: false,
            ntypes,
            t1,
            types: at,
            otherwise,
        })
    }

    /// The answer for the owner numbered `start_owner` and `qtype` (`None`: a type the name does not have),
    /// following CNAMEs inside the view's zones. With `synth`, the owner is a wildcard and is written as the
    /// question name.
    fn chase(
        &mut self,
        ix: &Index<'_>,
        start_owner: u32,
        qtype: Option<Rtype>,
        synth: bool,
    ) -> Result<u32, BuildError> {
        let start = ix.name(start_owner);
        let mut current_owner = Some(start_owner);
        if synth {
            self.enc.plain(Some(start));
        } else {
            self.enc.exact(start);
        }
        let mut c = Counts {
            aa: true,
            ..Counts::default()
        };
        let mut current = start;
        let mut links = 0;
        let mut additional_for: Vec<RrRef<'_>> = Vec::new();
        // The names the chain has passed: a CNAME back to one of them is a loop, which ends the answer with no
        // record repeated (RFC 2181 §5) and is signalled as an error (RFC 1034 §3.6.2).
        let mut seen: Vec<&[u8]> = vec![start];
        let mut referred = false;
        loop {
            if let Some(t) = qtype {
                let mut set = ix.rrset_of(current_owner, t).peekable();
                if let Some(first) = set.peek().copied() {
                    let first_at = self.enc.buf.len();
                    let mut lens = [0usize; 2];
                    let mut equal = true;
                    let mut n = 0usize;
                    for r in set {
                        let before = self.enc.buf.len();
                        self.enc.rr(current, r, first.ttl);
                        let len = self.enc.buf.len() - before;
                        if n == 0 {
                            lens[0] = len;
                        } else if len != lens[0] {
                            equal = false;
                        }
                        n += 1;
                        c.an += 1;
                        if r.target().is_some() {
                            additional_for.push(r);
                        }
                    }
                    let balanced = (t == Rtype::A || t == Rtype::AAAA) && n > 1;
                    if balanced && equal && c.rotate.is_none() {
                        c.rotate = Some(Rotate {
                            offset: first_at as u32,
                            len: lens[0] as u16,
                            count: n as u16,
                        });
                    }
                    break;
                }
            }
            if qtype != Some(Rtype::CNAME)
                && links < 8
                && let Some(r) = ix.rrset_of(current_owner, Rtype::CNAME).next()
            {
                self.enc.rr(current, r, r.ttl);
                c.an += 1;
                links += 1;
                if let Some(target) = r.cname() {
                    match ix.resolve(target) {
                        // Outside this view's zones: the client resolves the rest itself.
                        Target::Outside => break,
                        // Below a zone cut: the CNAME and the referral (RFC 1034 §4.3.2 step 3b).
                        Target::Cut(cut) => {
                            self.delegation(ix, cut, &mut c);
                            referred = true;
                            break;
                        }
                        Target::Owner(o) => {
                            if seen.contains(&target) {
                                // The loop is signalled as BIND does: SERVFAIL with the chain once.
                                c.rcode = 2;
                                break;
                            }
                            seen.push(target);
                            current = target;
                            current_owner = o;
                            continue;
                        }
                    }
                }
                break;
            }
            // No data of this type here: NODATA or NXDOMAIN with the SOA of the zone holding the name.
            if let Some(zi) = ix.zone_of(current) {
                if current_owner.is_none() {
                    c.rcode = 3;
                }
                let soa = ix.soa(zi);
                self.enc.rr(
                    soa.owner,
                    soa,
                    soa.ttl.min(soa.soa_minimum().unwrap_or(soa.ttl)),
                );
                c.ns += 1;
            }
            break;
        }
        if referred {
            return self.finish(c, start, qtype);
        }
        c.cut = self.enc.buf.len();
        // Additional section: addresses of SRV, MX and NS targets that this view serves (RFC 2782, RFC 1035
        // §3.3.9).
        let mut done: Vec<&[u8]> = Vec::new();
        for r in additional_for {
            if let Some(target) = r.target()
                && !done.contains(&target)
            {
                done.push(target);
                let o = self.find(ix, target);
                for t in [Rtype::A, Rtype::AAAA] {
                    for g in ix.rrset_of(o, t) {
                        self.enc.rr(target, g, g.ttl);
                        c.ar += 1;
                    }
                }
            }
        }
        self.finish(c, start, qtype)
    }

    /// The answer of an RRset whose data holds no name to compress and asks for no additional data (A, AAAA,
    /// TXT and most other types): each record is the pointer to the question, the fixed fields and the data as
    /// stored, so it is written directly, without the general encoder. Octet for octet what [`Out::chase`]
    /// writes (checked by a unit test); most names of a large zone take this path.
    fn plain(&mut self, ix: &Index<'_>, owner: u32, t: Rtype) -> Result<u32, BuildError> {
        let buf = &mut self.enc.buf;
        buf.clear();
        let mut c = Counts {
            aa: true,
            ..Counts::default()
        };
        let mut ttl = None;
        let mut len0 = 0usize;
        let mut equal = true;
        for r in ix.rrset_of(Some(owner), t) {
            let ttl = *ttl.get_or_insert(r.ttl);
            let before = buf.len();
            buf.extend_from_slice(&record_head(t, ttl, r.rdata.len()));
            buf.extend_from_slice(r.rdata);
            let len = buf.len() - before;
            if c.an == 0 {
                len0 = len;
            } else if len != len0 {
                equal = false;
            }
            c.an += 1;
        }
        if (t == Rtype::A || t == Rtype::AAAA) && c.an > 1 && equal {
            c.rotate = Some(Rotate {
                offset: 0,
                len: len0 as u16,
                count: c.an,
            });
        }
        c.cut = buf.len();
        let name = ix.name(owner);
        self.finish(c, name, Some(t))
    }

    /// The owner number of `n`, remembered for the entry being prepared (its CNAME chain and additional-data
    /// targets are looked up once per answer otherwise). Names are slices of the arena: same place, same name.
    fn find(&mut self, ix: &Index<'_>, n: &[u8]) -> Option<u32> {
        let key = (n.as_ptr() as usize, n.len());
        if let Some(&(_, found)) = self.finds.iter().find(|(k, _)| *k == key) {
            return found;
        }
        let found = ix.find(n);
        if self.finds.len() < 16 {
            self.finds.push((key, found));
        }
        found
    }

    /// The owner where the CNAME chain from `start` ends (at most 8 links), if it ends at data of the view: not
    /// outside it, not at a zone cut, not in a loop. A target covered by a wildcard ends at the wildcard.
    fn chain_end(&mut self, ix: &Index<'_>, start: u32) -> Option<u32> {
        let mut o = Some(start);
        let mut seen: Vec<&[u8]> = vec![ix.name(start)];
        for _ in 0..8 {
            match ix.rrset_of(o, Rtype::CNAME).next().and_then(|r| r.cname()) {
                Some(t) => match ix.resolve(t) {
                    Target::Owner(next) if !seen.contains(&t) => {
                        seen.push(t);
                        o = next;
                    }
                    _ => return None,
                },
                None => break,
            }
        }
        o
    }

    /// The answer to DS at the zone cut numbered `owner`: the parent's DS RRset, or its authoritative NODATA;
    /// DS lives on the parent side of the cut, so this is no referral (RFC 4035 §3.1.4.1).
    pub(super) fn ds_at_cut(&mut self, ix: &Index<'_>, owner: u32) -> Result<u32, BuildError> {
        self.finds.clear();
        self.chase(ix, owner, Some(Rtype::DS), false)
    }
}

/// Appends an answer (header and body) to a segment; its offset, or `None` if the body does not fit a DNS message
/// or the segment.
fn write_answer(answers: &mut Vec<u8>, c: &Counts, body: &[u8], relocs: &[u16]) -> Option<u32> {
    let at = answers.len();
    let relocs_len = if relocs.is_empty() {
        0
    } else {
        2 + 2 * relocs.len()
    };
    if body.len() + 12 + 259 > 65535
        || at + HEADER + CUT_AR + ROTATE + relocs_len + body.len() > SEGMENT_MASK as usize
    {
        return None;
    }
    let mut head = [0u8; HEADER + CUT_AR + ROTATE];
    head[0] = c.rcode;
    head[1] = c.aa as u8
        | (c.rotate.is_some() as u8) << 1
        | ((c.cut_ar > 0) as u8) << 2
        | (!relocs.is_empty() as u8) << 3;
    let mut fields = [0u16; 9];
    let mut n = 0;
    for v in [c.an, c.ns, c.ar, body.len() as u16, c.cut as u16] {
        fields[n] = v;
        n += 1;
    }
    if c.cut_ar > 0 {
        fields[n] = c.cut_ar;
        n += 1;
    }
    if let Some(r) = c.rotate {
        for v in [r.offset as u16, r.len, r.count] {
            fields[n] = v;
            n += 1;
        }
    }
    for (k, v) in fields[..n].iter().enumerate() {
        head[2 + 2 * k..4 + 2 * k].copy_from_slice(&v.to_le_bytes());
    }
    let head_len = 2 + 2 * n;
    answers.reserve(head_len + relocs_len + body.len());
    answers.extend_from_slice(&head[..head_len]);
    if !relocs.is_empty() {
        answers.extend_from_slice(&(relocs.len() as u16).to_le_bytes());
        for r in relocs {
            answers.extend_from_slice(&r.to_le_bytes());
        }
    }
    answers.extend_from_slice(body);
    Some(at as u32)
}

/// The fixed part of a record owned by the question name: the pointer to it (`0xC00C`), type, class IN, TTL and
/// RDATA length.
fn record_head(t: Rtype, ttl: u32, rdlen: usize) -> [u8; 12] {
    let ty = t.to_be_bytes();
    let l = ttl.to_be_bytes();
    let d = (rdlen as u16).to_be_bytes();
    [
        0xc0, 0x0c, ty[0], ty[1], 0, 1, l[0], l[1], l[2], l[3], d[0], d[1],
    ]
}

/// Types whose RDATA holds no compressible name and whose answers carry no additional data.
fn plain_type(t: Rtype) -> bool {
    !matches!(
        t,
        Rtype::CNAME | Rtype::NS | Rtype::PTR | Rtype::MX | Rtype::SOA | Rtype::SRV
    )
}

/// Encoder of one prepared body, reused from body to body (no allocation once its buffers have grown).
#[derive(Default)]
struct Enc {
    buf: Vec<u8>,
    /// Offset of the body in the message.
    base: usize,
    /// Names already written (or in the question): their octets in `names` and their message offsets.
    table: Vec<(usize, usize, u16)>,
    names: Vec<u8>,
    compress: bool,
    /// A name written as a pointer to the question name (wildcard owners).
    placeholder: Vec<u8>,
    has_placeholder: bool,
    /// Compression against the body alone (`base` 0), each pointer's position kept in `relocs` so that the
    /// answer path can add the body's offset in the message.
    relocatable: bool,
    relocs: Vec<u16>,
}

impl Enc {
    fn reset(&mut self) {
        self.buf.clear();
        self.table.clear();
        self.names.clear();
        self.placeholder.clear();
        self.has_placeholder = false;
        self.relocatable = false;
        self.relocs.clear();
    }

    /// For bodies whose question name varies, compressed within themselves (see `relocatable`).
    fn relocatable(&mut self) {
        self.reset();
        self.base = 0;
        self.compress = true;
        self.relocatable = true;
    }

    /// For answers to the exact name `qname`: compress against the question and earlier names.
    fn exact(&mut self, qname: &[u8]) {
        self.reset();
        let at = self.names.len();
        self.names.extend_from_slice(qname);
        let mut i = 0usize;
        while qname.len() - i > 1 {
            self.table.push((at + i, qname.len() - i, (12 + i) as u16));
            i += qname[i] as usize + 1;
        }
        self.base = 12 + qname.len() + 4;
        self.compress = true;
    }

    /// For answers whose question name varies: no compression; `placeholder` becomes a pointer to the question.
    fn plain(&mut self, placeholder: Option<&[u8]>) {
        self.reset();
        self.base = 0;
        self.compress = false;
        if let Some(p) = placeholder {
            self.placeholder.extend_from_slice(p);
            self.has_placeholder = true;
        }
    }

    fn known(&self, n: &[u8]) -> Option<u16> {
        self.table
            .iter()
            .find(|(at, len, _)| *len == n.len() && &self.names[*at..*at + *len] == n)
            .map(|(_, _, off)| *off)
    }

    fn name(&mut self, n: &[u8], may_compress: bool) {
        if self.has_placeholder && self.placeholder.as_slice() == n {
            self.buf.extend_from_slice(&[0xc0, 0x0c]);
            return;
        }
        if !(self.compress && may_compress) {
            self.buf.extend_from_slice(n);
            return;
        }
        // Write labels until a suffix already in the message; remember the new suffixes (the name is copied
        // once, its suffixes are ranges of the copy).
        let mut i = 0usize;
        let first_new = self.table.len();
        let at = self.names.len();
        loop {
            let rest = &n[i..];
            if rest.len() <= 1 {
                self.buf.push(0);
                break;
            }
            if let Some(off) = self.known(rest) {
                if self.relocatable {
                    self.relocs.push(self.buf.len() as u16);
                }
                self.buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                break;
            }
            let pos = self.base + self.buf.len();
            // A relocatable pointer must still reach once moved behind the longest question (12 + 259 octets).
            let limit = if self.relocatable {
                0x3fff - 271
            } else {
                0x3fff
            };
            if pos < limit {
                self.table.push((at + i, rest.len(), pos as u16));
            }
            let len = rest[0] as usize;
            self.buf.extend_from_slice(&rest[..=len]);
            i += len + 1;
        }
        if self.table.len() > first_new {
            self.names.extend_from_slice(n);
        }
    }

    fn rr(&mut self, owner: &[u8], r: RrRef<'_>, ttl: u32) {
        self.name(owner, true);
        let t = r.rtype.to_be_bytes();
        let l = ttl.to_be_bytes();
        self.buf
            .extend_from_slice(&[t[0], t[1], 0, 1, l[0], l[1], l[2], l[3], 0, 0]);
        let len_at = self.buf.len() - 2;
        for part in r.parts() {
            match part {
                // Compression inside RDATA only for the RFC 1035 types (RFC 3597 §4).
                Part::Name(n) => self.name(n, true),
                Part::Octets(o) => self.buf.extend_from_slice(o),
            }
        }
        let rdlen = (self.buf.len() - len_at - 2) as u16;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, ViewData, ViewInput, compile_view};

    /// The fast path for plain RRsets writes exactly what the general encoder writes, for exact names and for
    /// wildcard synthesis, single records and load-balanced sets, several types at one name.
    #[test]
    fn plain_answers_equal_the_general_encoders() {
        let text = "$ORIGIN example.test.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.53\n\
            a A 192.0.2.1\nb A 192.0.2.1\nb A 192.0.2.2\nb A 192.0.2.3\nb 60 AAAA 2001:db8::1\nb TXT \"x\" \"yz\"\n\
            t TXT \"one\"\nt TXT \"three\"\n*.w A 192.0.2.9\n*.w CAA 0 issue \"ca.test\"\nc CNAME b\n_s._tcp SRV 0 0 1 b\n\
            u TXT \"solo\"\nv 7 AAAA 2001:db8::5\n*.x A 192.0.2.7\n";
        let zone = lyncdns_dnsdata::zonefile::parse_text(text, "t.zone").unwrap();
        let view = |general_only| {
            compile_view(
                ViewInput {
                    name: "v".into(),
                    clients: vec![],
                    zones: vec![zone.clone()],
                },
                usize::MAX,
                general_only,
            )
            .unwrap()
        };
        let (fast, general) = (view(false), view(true));
        assert_eq!(fast.entries, general.entries);
        assert_eq!(fast.answers, general.answers);
        assert_eq!(fast.types, general.types);
        let w = |v: &ViewData| {
            let mut k: Vec<(Vec<u8>, Entry)> =
                v.wildcards.iter().map(|(k, e)| (k.to_vec(), *e)).collect();
            k.sort_by(|a, b| a.0.cmp(&b.0));
            k
        };
        assert_eq!(w(&fast), w(&general));
    }
}
