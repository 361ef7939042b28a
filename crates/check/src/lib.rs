//! `lyncdns lint` and `lyncdns check`: find what is wrong with Lync DNS before a user does.
//!
//! - [`record`]: the records the rules look at (from zone files with their lines, or from live DNS).
//! - [`rules`]: the rule catalogue (stable codes, explanations with sources, fixes) and [`rules::lint`].
//! - [`axfr`]: a view's zones as a server really serves them (AXFR), compared with the plan record by record.
//! - [`live`]: checking live DNS servers (inside and outside) against the plan, and probing a domain without one.

pub mod axfr;
pub mod live;
pub mod record;
pub mod rules;
