//! The split-horizon authoritative DNS server of lyncdns.
//!
//! Layers, from the network in (the shape of NLnet Labs' `domain` server, with our own fast path):
//!
//! ```text
//! socket (server::udp, server::tcp) → answer::answer (parse, view, lookup, copy) → build::Snapshot (prepared answers)
//!                                                                                     ↑ built by build::Snapshot::build
//!                                                  record::Zone (from the plan, or zonefile::load) ─┘
//! ```
//!
//! - [`name`], [`record`]: wire names and records.
//! - [`names`]: the name table (names in an arena → entry numbers), with prefetching for bulk inserts.
//! - [`zonefile`]: RFC 1035 master files: our one-pass reader, `domain`'s scanner for the rarer types.
//! - [`view`]: client address → view, first match in order, through a prefix trie.
//! - [`build`]: zones → a [`build::Snapshot`] of prepared answers per view, built whole before it is swapped in.
//! - [`answer`]: the pure answer function: no allocation, no lock, no I/O.
//! - [`server`]: the thin I/O shell: UDP workers with `SO_REUSEPORT` sockets and `recvmmsg`/`sendmmsg`, TCP on
//!   tokio, metrics, reload.

pub mod answer;
pub mod build;
pub mod load;
pub mod name;
pub mod names;
pub mod record;
pub mod server;
pub mod view;
pub mod zonefile;
