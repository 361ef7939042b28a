//! The Lync / Skype for Business vocabulary shared by the planner, the checker and the client simulator: one
//! home for each Lync naming rule, so that the three agree by construction.
//!
//! - [`services`]: the SRV services (labels, ports, TLS, whether the SIP naming rule applies), owner parsing and
//!   the spelling fix for misspelt owners.
//! - [`naming`]: the names clients derive from a SIP domain (`lyncdiscover`, `sip`, …) and strict DNS naming.
//! - [`sources`]: the published documents behind the source keys (`S1` … `S44`, `S37b`) cited across lyncdns.

pub mod naming;
pub mod services;
pub mod sources;
