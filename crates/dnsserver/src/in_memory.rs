//! [`InMemory`], a [`Resolver`] that asks a compiled [`Snapshot`] through the server's own answer path, as a
//! client at a given address would: the deterministic DNS of the scenario tests, with no socket and no clock.

use std::net::IpAddr;

use lyncdns_dnsdata::message::{decode, query};
use lyncdns_dnsdata::resolve::{Lookup, Outcome, Resolver};
use lyncdns_dnsdata::types::Rtype;

use crate::answer::{Picker, Transport, answer};
use crate::compile::Snapshot;

/// Asks a compiled snapshot as a client at `from` would (over "TCP", so nothing is truncated).
pub struct InMemory<'a> {
    snapshot: &'a Snapshot,
    from: IpAddr,
    picker: Picker,
    out: Vec<u8>,
}

impl<'a> InMemory<'a> {
    /// A resolver answering from `snapshot` for a client at `from`.
    pub fn new(snapshot: &'a Snapshot, from: IpAddr) -> Self {
        InMemory {
            snapshot,
            from,
            picker: Picker::new(1),
            out: vec![0u8; 65535],
        }
    }
}

impl Resolver for InMemory<'_> {
    fn lookup(&mut self, name: &str, qtype: Rtype) -> Lookup {
        let outcome = match query(0x4242, name, qtype) {
            Err(e) => Outcome::Invalid {
                detail: e.to_string(),
            },
            Ok(q) => match answer(
                self.snapshot,
                &q,
                self.from,
                Transport::Tcp,
                &mut self.picker,
                &mut self.out,
            ) {
                // The answer path stays silent only for what is not a query; ours always is one.
                None => Outcome::Malformed {
                    detail: "the server sent no answer".into(),
                },
                Some(o) => match decode(&self.out[..o.len]) {
                    Ok(response) => Outcome::of(response),
                    Err(e) => Outcome::Malformed {
                        detail: e.to_string(),
                    },
                },
            },
        };
        Lookup {
            name: name.to_owned(),
            qtype,
            server: self.describe(),
            tcp_retry: false,
            elapsed_ms: 0.0,
            outcome,
        }
    }

    fn describe(&self) -> String {
        format!("in-memory view for {}", self.from)
    }
}
