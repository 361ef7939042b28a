//! `lyncdns lint` and `lyncdns check`: find what is wrong with Lync DNS before a user does.
//!
//! - [`record`]: the records the rules look at (from zone files with their lines, or from live DNS).
//! - [`rules`]: the rule catalogue (stable codes, explanations with sources, fixes) and [`rules::lint`].
//! - [`axfr`]: a view's zones as a server really serves them (AXFR), compared with the plan record by record.
//! - [`live`]: checking live DNS servers (inside and outside) against the plan, and probing a domain without one.
//! - [`tls`]: the TLS endpoints a domain's names lead to, the names Lync needs on each certificate, and the
//!   judgement of what a `lyncdns_tlsprobe::Probe` found there.

pub mod axfr;
pub mod live;
pub mod record;
pub mod rules;
pub mod tls;
