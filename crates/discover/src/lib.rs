//! `lyncdns discover`: what each Lync / Skype for Business client looks up, what it gets, and where it signs in.
//!
//! - [`machine`]: each client's discovery order as a pure state machine (requests out, replies in).
//! - [`resolver`]: the live resolver (server, source address, TCP retry) behind `lyncdns-dnsdata`'s
//!   `Resolver` trait.
//! - [`axfr`]: zone transfers over TCP (timeouts, size limits) around `lyncdns-dnsdata`'s pure AXFR reader.
//! - [`docs`]: reading Autodiscover documents.
//! - [`probe`]: TCP/TLS connects and HTTP(S) requests.
//! - [`run`]: the driver that runs a machine and records its steps.
//! - [`report`]: text, JSON and HTML reports.

pub mod axfr;
pub mod docs;
pub mod machine;
pub mod probe;
pub mod report;
pub mod resolver;
pub mod run;
