//! Each client's list of discovery methods, in the order it tries them (the orders are in the
//! [module docs](super)): Autodiscover hosts, SRV records, and the A-record fallbacks.

use std::collections::VecDeque;

use lyncdns_lync::naming::{SIP, SIPEXTERNAL, SIPINTERNAL as SIPINTERNAL_HOST, autodiscover_names};
use lyncdns_lync::services::{SIP_TCP, SIP_TLS, SIPINTERNAL, SIPINTERNALTLS, SrvService};

use super::{Client, Options};

/// A discovery method in the client's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Method {
    /// `lyncdiscoverinternal.<domain>` or `lyncdiscover.<domain>`.
    Autodiscover { host: String },
    /// An SRV record; `tls` tells whether its targets are reached over TLS.
    Srv { name: String, tls: bool },
    /// An A-record fallback (`sipinternal`, `sip`, `sipexternal`), tried on each port in turn.
    Host { name: String, ports: Vec<u16> },
}

impl Method {
    /// How reports name the method: `lyncdiscoverinternal`, `_sip._tls`, `sip`.
    pub(super) fn label(&self) -> String {
        match self {
            Method::Autodiscover { host } | Method::Host { name: host, .. } => {
                host.split('.').next().unwrap_or(host).to_owned()
            }
            Method::Srv { name, .. } => name.split('.').take(2).collect::<Vec<_>>().join("."),
        }
    }
}

/// The methods `client` tries for the SIP domain `d`, in order.
pub(super) fn methods(client: Client, d: &str, options: &Options) -> VecDeque<Method> {
    let mut methods = VecDeque::new();
    if client.uses_autodiscover() {
        for host in autodiscover_names(d) {
            methods.push_back(Method::Autodiscover { host });
        }
    }
    let srv_chain = match client {
        Client::Lync2010 | Client::Desktop => true,
        Client::Mobile => options.mobile_srv_fallback,
        Client::Store => false,
        Client::Phone => false,
    };
    let srv = |service: SrvService| Method::Srv {
        name: service.owner(d),
        tls: service.tls,
    };
    let host = |label: &str, ports: &[u16]| Method::Host {
        name: format!("{label}.{d}"),
        ports: ports.to_vec(),
    };
    if srv_chain {
        methods.push_back(srv(SIPINTERNALTLS));
        if options.tcp_allowed {
            methods.push_back(srv(SIPINTERNAL));
        }
        methods.push_back(srv(SIP_TLS));
        methods.push_back(host(SIPINTERNAL_HOST, &[5061]));
        methods.push_back(host(SIP, &[5061, 443]));
        methods.push_back(host(SIPEXTERNAL, &[443]));
    }
    if client == Client::Phone {
        // Internal TLS, internal TCP, external TLS, external TCP (S21, S22); no A-record fallback.
        for service in [SIPINTERNALTLS, SIPINTERNAL, SIP_TLS, SIP_TCP] {
            methods.push_back(srv(service));
        }
    }
    methods
}

/// The first label of a host name, as a method label (`lyncdiscover` for `lyncdiscover.contoso.com`).
pub(super) fn m_label(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_owned()
}
