//! Every type our reader does not know, and RFC 3597 `\#` data: the entry is rebuilt with an absolute owner and
//! handed to NLnet Labs' `domain` scanner, so that the whole presentation format of every type it knows is
//! accepted.

use domain::base::ToName;
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};

use super::lexer::{At, Token, at};
use super::reader::{Parsed, Reader};
use crate::name;
use crate::types::Rtype;

impl<'t> Reader<'t> {
    /// Any other type: the entry, made absolute, read by `domain`'s scanner.
    pub(super) fn fallback(
        &self,
        type_token: &Token,
        data: &[Token],
        rec: &mut Parsed,
    ) -> Result<(), At> {
        let mut entry = String::new();
        if let Some(o) = &self.origin {
            entry.push_str(&format!(
                "$ORIGIN {}.\n",
                name::to_text(o).trim_end_matches('.')
            ));
        }
        entry.push_str(&format!("{}. {} IN ", text_name(&rec.owner), rec.ttl));
        entry.push_str(&String::from_utf8_lossy(self.word(type_token)));
        for d in data {
            entry.push(' ');
            if d.quoted {
                entry.push('"');
            }
            entry.push_str(&String::from_utf8_lossy(self.word(d)));
            if d.quoted {
                entry.push('"');
            }
        }
        entry.push('\n');
        let mut zf = Zonefile::with_capacity(entry.len());
        zf.extend_from_slice(entry.as_bytes());
        // `domain` 0.12.3 can panic on some malformed character strings (an index past its buffer, found by our
        // property tests): a bad file must give an error, never take the server down.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| zf.next_entry()))
            .map_err(|_| at(type_token, "the record data cannot be read"))?;
        let scanned = match scanned {
            Ok(Some(Entry::Record(r))) => r,
            Ok(_) => return Err(at(type_token, "not a record")),
            Err(e) => {
                // The scanner's own position is in the rebuilt entry; the message is what matters.
                let shown = e.to_string();
                let message = shown
                    .splitn(3, ':')
                    .nth(2)
                    .map(str::trim)
                    .unwrap_or(&shown)
                    .to_owned();
                let t = data.first().unwrap_or(type_token);
                return Err(at(t, message));
            }
        };
        rec.rtype = Rtype(scanned.rtype().to_int());
        match scanned.data() {
            ZoneRecordData::Cname(c) => wire_into(c.cname(), &mut rec.rdata),
            ZoneRecordData::Ns(n) => wire_into(n.nsdname(), &mut rec.rdata),
            ZoneRecordData::Ptr(p) => wire_into(p.ptrdname(), &mut rec.rdata),
            ZoneRecordData::Mx(mx) => {
                rec.rdata.extend_from_slice(&mx.preference().to_be_bytes());
                wire_into(mx.exchange(), &mut rec.rdata);
            }
            ZoneRecordData::Srv(srv) => {
                for n in [srv.priority(), srv.weight(), srv.port()] {
                    rec.rdata.extend_from_slice(&n.to_be_bytes());
                }
                wire_into(srv.target(), &mut rec.rdata);
            }
            ZoneRecordData::Soa(soa) => {
                wire_into(soa.mname(), &mut rec.rdata);
                wire_into(soa.rname(), &mut rec.rdata);
                for n in [
                    soa.serial().into_int(),
                    soa.refresh().as_secs(),
                    soa.retry().as_secs(),
                    soa.expire().as_secs(),
                    soa.minimum().as_secs(),
                ] {
                    rec.rdata.extend_from_slice(&n.to_be_bytes());
                }
            }
            other => domain::base::rdata::ComposeRecordData::compose_rdata(other, &mut rec.rdata)
                .map_err(|_| at(type_token, "record data too long"))?,
        }
        if rec.rdata.len() > 65535 {
            return Err(at(type_token, "record data longer than 65535 octets"));
        }
        Ok(())
    }
}

/// An absolute name in presentation form with every octet that is not a letter, digit, `-`, `_` or `*` escaped.
pub(super) fn text_name(wire: &[u8]) -> String {
    let t = name::to_text(wire);
    if t == "." { String::new() } else { t }
}

/// Appends the lowercase wire form of `n`.
pub(super) fn wire_into(n: &impl ToName, out: &mut Vec<u8>) {
    for label in n.iter_labels() {
        let bytes: &[u8] = label.as_ref();
        out.push(bytes.len() as u8);
        out.extend(bytes.iter().map(u8::to_ascii_lowercase));
    }
}
