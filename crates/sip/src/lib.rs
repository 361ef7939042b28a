//! SIP for the lab registrar and the sign-in probe, drawn as layers: socket → [`framing`] → [`message`] →
//! [`registrar`].
//!
//! - [`message`]: one SIP message parsed and serialized (RFC 3261 §7, §20; compact header forms), with the
//!   header values the registrar and the probe read (URIs in name-addr form, CSeq, `WWW-Authenticate`
//!   challenges). Pure, bounded, never panics on any input (property-tested and fuzzed).
//! - [`framing`]: messages cut out of a byte stream by `Content-Length` (RFC 3261 §18.3), with size limits.
//! - [`registrar`]: what a Lync registrar answers, as a pure function of the request: OPTIONS → 200 with the
//!   server's identity; REGISTER at a Director → 301 to the user's home pool [S50]; REGISTER at the home pool
//!   without credentials → 401 with the [MS-SIPAE] challenges [S49]; an unknown user → 404 [S51].
//! - [`server`]: the SIP-over-TLS listener (tokio, rustls) that carries requests to the registrar, with a
//!   connection limit and handshake, idle and read timeouts.

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

pub mod framing;
pub mod message;
pub mod registrar;
pub mod server;
