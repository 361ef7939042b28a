//! What a TLS server presents, read and judged: the certificate chain a peer sends, captured during a real
//! handshake without trusting it blindly, then reported as a typed [`CertReport`] — subject, names, issuer chain,
//! validity with days left, whether the name asked is covered (RFC 6125, `lyncdns_lync::naming`), whether the
//! chain is trusted by the system roots (plus an extra CA), and the TLS version negotiated.
//!
//! Two layers, as elsewhere in the workspace:
//! - [`cert`]: the pure core. DER in, report out; the clock is passed in. Unit-tested with rcgen-made
//!   certificates.
//! - [`connect`]: the thin shell. TCP connect with a timeout, a rustls handshake whose verifier records the chain
//!   and the roots' verdict, and [`Probe`], the trait `lyncdns check` is given and `lyncdns discover`'s probes
//!   use through [`Prober::handshake`].

pub mod cert;
pub mod connect;

pub use cert::{CertProblem, CertReport, Certificate, Trust, Validity};
pub use connect::{CaError, Probe, ProbeError, Prober};
