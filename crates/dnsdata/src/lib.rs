//! The DNS vocabulary of lyncdns: what every other crate says about DNS, with no sockets, no clock and no Lync
//! knowledge (hickory's `proto` and Knot's `libknot` are the models).
//!
//! - [`types`]: [`Rtype`](types::Rtype), [`Class`](types::Class) and [`Rcode`](types::Rcode), newtypes with
//!   their mnemonics.
//! - [`name`]: domain names in lowercase wire format.
//! - [`rdata`]: [`RecordData`](rdata::RecordData), the one type for a record's data, and
//!   [`Record`](rdata::Record).
//! - [`record`]: [`Records`](record::Records), a zone's records in one arena, and [`Zone`](record::Zone).
//! - [`zonefile`]: RFC 1035 master files (our reader, split by job, and `domain`'s scanner for rarer types).
//! - [`message`]: a client's queries and the responses it reads.
//! - [`resolve`]: the [`Resolver`](resolve::Resolver) trait and its typed [`Lookup`](resolve::Lookup) outcome.
//! - [`transfer`]: reading a zone by AXFR (RFC 5936), TSIG-verified, from messages the caller passes in.
//! - [`tsig`]: [`TsigKey`](tsig::TsigKey), the one TSIG key type, read from the forms admins write.
//! - [`view`]: client address → view, first match in order, through a prefix trie.

pub mod message;
pub mod name;
pub mod rdata;
pub mod record;
pub mod resolve;
pub mod transfer;
pub mod tsig;
pub mod types;
pub mod view;
pub mod zonefile;
