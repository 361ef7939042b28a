//! Lync Phone Edition's time server: before its SRV chain (see the [module docs](super)) the phone looks up
//! `_ntp._udp.<domain>`. Its SRV order is in `methods.rs`, its strict DNS naming in `srv.rs`.

use lyncdns_dnsdata::resolve::Lookup;
use lyncdns_dnsdata::types::Rtype;

use super::{Machine, Request, Wait};

impl Machine {
    /// Asks for the time server (once, phones only).
    pub(super) fn ask_ntp(&mut self) -> Request {
        self.ntp_done = true;
        self.wait = Wait::Ntp;
        Request::Lookup {
            name: format!("_ntp._udp.{}", self.domain),
            qtype: Rtype::SRV,
        }
    }

    /// Notes the time server (or its absence) and starts the discovery methods: a missing record does not stop
    /// the phone.
    pub(super) fn on_ntp(&mut self, l: Lookup) -> Request {
        self.note = Some(match l.srv().first() {
            Some((_, _, port, target)) => {
                format!("time server {target}:{port} (phones need it before signing in)")
            }
            None => format!(
                "no _ntp._udp record ({}): the phone falls back to its default time server",
                l.status()
            ),
        });
        self.next_method()
    }
}
