//! The DNS methods: SRV records (`_sipinternaltls._tcp`, `_sipinternal._tcp`, `_sip._tls`, `_sip._tcp`) taken by
//! priority and weight, each target resolved in turn and checked against strict DNS naming
//! ([`lyncdns_lync::naming::srv_target_allowed`]): a phone refuses a target outside the SIP domain, a desktop
//! client asks the user to trust it unless it lies in a trusted domain [S10], [S23], [S24]; and the A-record
//! fallbacks (`sipinternal`, `sip`, `sipexternal`) on their ports [S17].

use std::collections::VecDeque;

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;
use lyncdns_lync::naming::srv_target_allowed;

use super::{Client, Machine, Request, Wait, status_of};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

impl Machine {
    /// The SRV records of the method in progress, ordered as RFC 2782 takes them.
    pub(super) fn on_srv_records(&mut self, name: String, tls: bool, l: Lookup) -> Request {
        let mut records = l.srv();
        if records.is_empty() {
            return self.fail_method(format!("no {name} SRV record ({})", l.status()));
        }
        // RFC 2782: lowest priority first; among equals, higher weight first, then received order.
        records.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        self.tls = tls;
        let label = name.split('.').take(2).collect::<Vec<_>>().join(".");
        let targets: VecDeque<(String, u16)> = records
            .into_iter()
            .map(|(_, _, port, target)| (target.trim_end_matches('.').to_ascii_lowercase(), port))
            .collect();
        self.next_srv_target(label, targets)
    }

    /// The addresses of an SRV target; a target without one gives way to the next.
    pub(super) fn on_srv_target(
        &mut self,
        label: String,
        targets: VecDeque<(String, u16)>,
        target: String,
        port: u16,
        prompt: bool,
        l: Lookup,
    ) -> Request {
        let addrs = l.addresses();
        if addrs.is_empty() {
            self.note = Some(format!(
                "SRV target {target} has no address ({}); next target",
                status_of(&target, &l)
            ));
            return self.next_srv_target(label, targets);
        }
        self.connect_or_done(label, target, port, addrs, prompt, targets)
    }

    /// The addresses of an A-record fallback, tried on its first port, then on the others.
    pub(super) fn on_host_address(
        &mut self,
        label: String,
        name: String,
        ports: Vec<u16>,
        l: Lookup,
    ) -> Request {
        let addrs = l.addresses();
        if addrs.is_empty() {
            return self.fail_method(format!(
                "{name} does not resolve ({})",
                status_of(&name, &l)
            ));
        }
        // `sip.<domain>` is tried on 5061, then on 443 (S20).
        let mut ports = ports;
        if !self.options.connect && ports.len() > 1 && addrs.iter().all(|a| is_public(*a)) {
            // Without connecting, the verdict names one port. A public address is the Access Edge, which
            // remote users reach on 443 (its 5061 is for federation) [S1], [S7], [S8] (`docs/lync.md` §1.2);
            // a private one is a pool or Director on 5061.
            ports.sort_by_key(|p| *p != 443);
            self.note = Some(format!(
                "{name} has public addresses (the Access Edge): remote users reach it on 443"
            ));
        }
        let port = ports[0];
        let rest: VecDeque<(String, u16)> = ports[1..].iter().map(|p| (name.clone(), *p)).collect();
        self.connect_or_done(label, name, port, addrs, false, rest)
    }

    /// Resolves the next SRV target that strict DNS naming lets the client use; a desktop client takes a
    /// target outside the SIP domain after a trust prompt unless it is in a trusted domain [S24], a phone skips
    /// it [S23].
    pub(super) fn next_srv_target(
        &mut self,
        label: String,
        mut targets: VecDeque<(String, u16)>,
    ) -> Request {
        while let Some((target, port)) = targets.pop_front() {
            let mut prompt = false;
            if !srv_target_allowed(&target, &self.domain, self.options.strict_dns_naming) {
                if self.client == Client::Phone {
                    self.note = Some(format!(
                        "{target} is outside {}: the phone refuses it (strict DNS naming, CU7+)",
                        self.domain
                    ));
                    continue;
                }
                if !self.trusted(&target) {
                    prompt = true;
                }
            }
            self.wait = Wait::SrvTarget {
                label,
                targets,
                target: target.clone(),
                port,
                prompt,
            };
            return Request::Lookup {
                name: target,
                qtype: Rtype::A,
            };
        }
        self.fail_method("no usable SRV target".into())
    }
}

/// Whether `a` is reachable from the Internet: not private (RFC 1918, RFC 4193), loopback, link-local,
/// shared (RFC 6598) or unspecified.
fn is_public(a: std::net::IpAddr) -> bool {
    match a {
        std::net::IpAddr::V4(v) => {
            let [o1, o2, ..] = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || (o1 == 100 && (64..128).contains(&o2)))
        }
        std::net::IpAddr::V6(v) => {
            let first = v.segments()[0];
            !(v.is_loopback()
                || v.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}
