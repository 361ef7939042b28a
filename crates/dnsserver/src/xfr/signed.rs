//! An ordinary query signed with TSIG (RFC 8945 §5.2): verified with the snapshot's keys, answered from the view
//! its key selects (like BIND's `match-clients { key …; }`), and the answer signed (RFC 8945 §5.3).
//!
//! Errors follow RFC 8945 §5.2: an unknown key or algorithm gets NOTAUTH with TSIG error BADKEY, unsigned
//! (§5.2.2); a wrong MAC gets BADSIG, unsigned (§5.2.3); a time outside the fudge gets BADTIME, signed, with our
//! time in Other Data (§5.2.4); `domain`'s `ServerTransaction` decides which and builds them.
//!
//! This is the slow path: it copies the query and rebuilds the answer through `domain`'s builder to sign it.
//! Unsigned queries never reach it ([`crate::answer`] sees the TSIG record as the last additional record while
//! parsing and comes here only then).

use std::net::IpAddr;

use domain::base::message_builder::AdditionalBuilder;
use domain::base::{Message, MessageBuilder, ParsedName, StaticCompressor};
use domain::rdata::AllRecordData;
use domain::rdata::tsig::Time48;
use domain::tsig::ServerTransaction;

use super::ViewKey;
use crate::answer::{Context, Outcome, Picker, Transport, answer_view};
use crate::compile::Snapshot;
use lyncdns_dnsdata::types::{Rcode, Rtype};

/// Answers the TSIG-signed `query` into `out`; `None`: send nothing.
pub fn answer(
    snap: &Snapshot,
    query: &[u8],
    src: IpAddr,
    ctx: Context,
    picker: &mut Picker,
    out: &mut [u8],
) -> Option<Outcome> {
    let transport = ctx.transport;
    let now = Time48::now();
    let mut msg = Message::from_octets(query.to_vec()).ok()?;
    let qtype = msg
        .first_question()
        .map(|q| Rtype(q.qtype().to_int()))
        .unwrap_or(Rtype(0));
    let tx = match ServerTransaction::request(&snap.xfr.keys, &mut msg, now) {
        Ok(Some(tx)) => tx,
        // The answer path saw a TSIG record, so `domain` must too; if not, the query is not what it seemed.
        Ok(None) => return None,
        Err(error) => {
            tracing::debug!(%src, error = %error, "TSIG verification failed");
            let reply = super::tsig_error_reply(
                error
                    .build_message(&msg, MessageBuilder::new_vec())
                    .ok()?
                    .finish(),
            );
            let rcode = Message::from_octets(reply.as_slice())
                .map(|m| Rcode(m.header().rcode().to_int().into()))
                .unwrap_or(Rcode::NOTAUTH);
            return copy_out(out, &reply, None, rcode, qtype);
        }
    };
    let view = tx.wrapped_key().view;
    // `request` took the TSIG record off (ARCOUNT one less): what is left is the query as if unsigned.
    let inner = answer_view::<true>(snap, msg.as_slice(), src, ctx, picker, out, view)?;
    let limit = match transport {
        Transport::Tcp => 65535,
        Transport::Udp => msg
            .opt()
            .map(|o| o.udp_payload_size().clamp(512, snap.max_udp.max(512)))
            .unwrap_or(512) as usize,
    };
    // RFC 8945 §5.3: the answer is signed; one that would not fit with its TSIG record is sent truncated, signed.
    let truncate = inner.len + usize::from(tx.key().compose_len()) > limit;
    let signed = sign(&out[..inner.len], truncate, tx, now)?;
    copy_out(out, &signed, Some(view), inner.rcode, inner.qtype).map(|o| Outcome {
        truncated: inner.truncated || truncate,
        ..o
    })
}

/// `reply` copied into `out`, as an outcome.
fn copy_out(
    out: &mut [u8],
    reply: &[u8],
    view: Option<usize>,
    rcode: Rcode,
    qtype: Rtype,
) -> Option<Outcome> {
    out.get_mut(..reply.len())?.copy_from_slice(reply);
    Some(Outcome {
        len: reply.len(),
        view: view.map(|v| v as u16),
        rcode,
        qtype,
        truncated: false,
    })
}

/// The response `resp` rebuilt and signed by `tx`; `truncate` keeps only the question and the OPT record and
/// sets TC.
fn sign(
    resp: &[u8],
    truncate: bool,
    tx: ServerTransaction<ViewKey>,
    now: Time48,
) -> Option<Vec<u8>> {
    let mut add = rebuild(resp, truncate)?;
    tx.answer(&mut add, now).ok()?;
    Some(add.finish().into_target())
}

/// `resp` (a response of ours) rebuilt record by record in `domain`'s builder, ready to take a TSIG record.
fn rebuild(resp: &[u8], truncate: bool) -> Option<AdditionalBuilder<StaticCompressor<Vec<u8>>>> {
    let msg = Message::from_octets(resp).ok()?;
    let mut b =
        MessageBuilder::from_target(StaticCompressor::new(Vec::with_capacity(resp.len() + 256)))
            .ok()?;
    *b.header_mut() = msg.header();
    if truncate {
        b.header_mut().set_tc(true);
    }
    let mut q = b.question();
    for question in msg.question() {
        q.push(question.ok()?).ok()?;
    }
    let mut a = q.answer();
    let mut sections = msg.answer().ok()?;
    if !truncate {
        for rr in &mut sections {
            let rr = rr
                .ok()?
                .to_record::<AllRecordData<_, ParsedName<_>>>()
                .ok()??;
            a.push(rr).ok()?;
        }
    }
    let mut ns = a.authority();
    let mut sections = sections.next_section().ok()??;
    if !truncate {
        for rr in &mut sections {
            let rr = rr
                .ok()?
                .to_record::<AllRecordData<_, ParsedName<_>>>()
                .ok()??;
            ns.push(rr).ok()?;
        }
    }
    let mut add = ns.additional();
    for rr in sections.next_section().ok()?? {
        let rr = rr.ok()?;
        if truncate && rr.rtype() != domain::base::Rtype::OPT {
            continue;
        }
        let rr = rr.to_record::<AllRecordData<_, ParsedName<_>>>().ok()??;
        add.push(rr).ok()?;
    }
    Some(add)
}
