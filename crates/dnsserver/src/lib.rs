//! The split-horizon authoritative DNS server of lyncdns.
//!
//! Layers, from the network in (the shape of NLnet Labs' `domain` server, with our own fast path):
//!
//! ```text
//! socket (server::udp, server::tcp) → answer::answer (parse, view, lookup, copy) → compile::Snapshot (prepared answers)
//!                                                                                     ↑ built by compile::Snapshot::build
//!                                      dnsdata::record::Zone (from the plan, or dnsdata::zonefile::load) ─┘
//! ```
//!
//! Names, records, zones, master files and the view matcher are the DNS vocabulary of `lyncdns-dnsdata`; this
//! crate compiles them into answers and serves them.
//!
//! - [`names`]: the name table (names in an arena → entry numbers), with prefetching for bulk inserts.
//! - [`compile`]: zones → a [`compile::Snapshot`] of prepared answers per view, built whole before it is swapped
//!   in: records grouped by owner (`compile/group.rs`), answer bodies encoded (`compile/encode.rs`), the compiled
//!   data and its lookups (`compile/snapshot.rs`).
//! - [`in_memory`]: a resolver over a snapshot, through [`answer`], for tests and scenario runs.
//! - [`answer`]: the pure answer function: no allocation, no lock, no I/O.
//! - [`rrl`]: response rate limiting, the pure core the UDP workers consult after an answer is built.
//! - [`cookie`]: DNS Cookies (RFC 7873) with RFC 9018 server cookies, the pure check behind [`answer`].
//! - [`server`]: the thin I/O shell: UDP workers with `SO_REUSEPORT` sockets and `recvmmsg`/`sendmmsg`, TCP on
//!   tokio, metrics, reload.
//! - [`xfr`]: TSIG (a signed query answered from its key's view) and outgoing zone transfers (AXFR, IXFR).

pub mod answer;
pub mod compile;
pub mod cookie;
pub mod in_memory;
pub mod load;
pub mod names;
pub mod rrl;
pub mod server;
pub mod xfr;
