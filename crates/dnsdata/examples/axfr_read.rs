//! Measures the AXFR reader alone: a transfer of N address records (default 100,000) is built in memory as a
//! server would send it (messages of up to 64 KiB, TSIG-signed with `--signed`), then read with
//! `lyncdns_dnsdata::transfer::Axfr`. Only `read` is of interest; run it under callgrind with
//! `--toggle-collect=axfr_read::read` for a load-independent count (docs/benchmarks.md).

use std::str::FromStr;

use domain::base::iana::{Class, Rcode};
use domain::base::{Message, MessageBuilder, Name, Record, Ttl};
use domain::rdata::tsig::Time48;
use domain::rdata::{A, Soa};
use domain::tsig::{Key, ServerSequence};
use lyncdns_dnsdata::transfer::{Axfr, Limits, Progress};
use lyncdns_dnsdata::tsig::TsigKey;

const NOW: u64 = 1_700_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let signed = args.iter().any(|a| a == "--signed");
    let n: u32 = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let key: TsigKey = "hmac-sha256:xfr.example:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
        .parse()
        .expect("key");
    let (reader, request) = Axfr::new(
        "big.test",
        1,
        signed.then_some(&key),
        NOW,
        Limits::default(),
    )
    .expect("request");
    let messages = serve(&request, n, signed.then_some(&key));
    let records = read(reader, &messages);
    println!(
        "{records} records in {} messages ({} octets), signed: {signed}",
        messages.len(),
        messages.iter().map(Vec::len).sum::<usize>()
    );
}

/// Reads the messages; returns the records read.
#[inline(never)]
fn read(mut reader: Axfr, messages: &[Vec<u8>]) -> usize {
    for m in messages {
        if let Progress::Done(t) = reader.feed(m, NOW).expect("a valid transfer") {
            return t.records.len();
        }
    }
    panic!("incomplete")
}

/// The messages a server sends for `n` A records, each up to 64 KiB.
fn serve(request: &[u8], n: u32, key: Option<&TsigKey>) -> Vec<Vec<u8>> {
    let mut seq: Option<ServerSequence<Key>> = key.map(|k| {
        let mut req = Message::from_octets(request.to_vec()).expect("request");
        ServerSequence::request(
            &k.to_domain().expect("key"),
            &mut req,
            Time48::from_u64(NOW),
        )
        .expect("verifies")
        .expect("signed")
    });
    let name = |s: &str| Name::<Vec<u8>>::from_str(s).expect("name");
    let soa = Record::new(
        name("big.test."),
        Class::IN,
        Ttl::from_secs(300),
        Soa::new(
            name("ns1.big.test."),
            name("hostmaster.big.test."),
            1.into(),
            Ttl::from_secs(3600),
            Ttl::from_secs(900),
            Ttl::from_secs(1_209_600),
            Ttl::from_secs(300),
        ),
    );
    let req = Message::from_octets(request.to_vec()).expect("request");
    let mut out = Vec::new();
    let mut i = 0u32;
    let mut first = true;
    loop {
        let mut b = MessageBuilder::from_target(Vec::with_capacity(65535)).expect("builder");
        b.header_mut().set_id(req.header().id());
        b.header_mut().set_qr(true);
        b.header_mut().set_rcode(Rcode::NOERROR);
        let mut q = b.question();
        if first {
            q.push(req.first_question().expect("question"))
                .expect("fits");
        }
        let mut ans = q.answer();
        if first {
            ans.push(soa.clone()).expect("fits");
            first = false;
        }
        let mut end = false;
        // Leave room for the closing SOA and the TSIG record.
        while ans.as_slice().len() < 65_000 {
            if i == n {
                ans.push(soa.clone()).expect("fits");
                end = true;
                break;
            }
            let owner = name(&format!("h{i}.big.test."));
            ans.push((
                &owner,
                Class::IN,
                300,
                A::from_octets(10, (i >> 16) as u8, (i >> 8) as u8, i as u8),
            ))
            .expect("fits");
            i += 1;
        }
        let mut add = ans.additional();
        if let Some(seq) = &mut seq {
            seq.answer(&mut add, Time48::from_u64(NOW)).expect("signs");
        }
        out.push(add.finish());
        if end {
            return out;
        }
    }
}
