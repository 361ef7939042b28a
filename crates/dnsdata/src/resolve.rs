//! The [`Resolver`] trait that the client simulator and the checker ask through, and [`Lookup`], the typed
//! record of one question and its [`Outcome`]. Implementations live where their I/O is: a live resolver in
//! `lyncdns-discover`, an in-memory one over a compiled snapshot in `lyncdns-dnsserver`.

use std::net::IpAddr;

use serde::Serialize;

use crate::message::Response;
use crate::rdata::{Record, RecordData};
use crate::types::{Rcode, Rtype};

/// Asks DNS questions.
pub trait Resolver {
    /// Looks up `name` (no trailing dot needed) of type `qtype`.
    fn lookup(&mut self, name: &str, qtype: Rtype) -> Lookup;
    /// A label for reports (`127.0.0.1:5300 from 127.0.0.2`).
    fn describe(&self) -> String;
}

/// How a question ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The server answered (whatever the response code).
    Answered {
        /// The response code.
        rcode: Rcode,
        /// Authoritative answer.
        aa: bool,
        /// Recursion available (a resolver's answers are not authoritative, and need not be).
        ra: bool,
        /// The answer section.
        answers: Vec<Record>,
    },
    /// No answer came within the time allowed, after every retry.
    Timeout {
        /// The last error seen (`UDP: timed out`).
        detail: String,
    },
    /// The server could not be reached: the connection was refused, the network or host is unreachable, or the
    /// source address cannot be used.
    Unreachable {
        /// The system's error.
        detail: String,
    },
    /// Something answered, but not with a DNS response we can read.
    Malformed {
        /// What was wrong.
        detail: String,
    },
    /// The question itself cannot be asked (not a valid domain name).
    Invalid {
        /// Why.
        detail: String,
    },
}

/// One question, where it went, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lookup {
    /// The name asked.
    pub name: String,
    /// The type asked.
    pub qtype: Rtype,
    /// The server asked (see [`Resolver::describe`]).
    pub server: String,
    /// Whether the UDP answer was truncated and the question repeated over TCP.
    pub tcp_retry: bool,
    /// Time taken, in milliseconds.
    pub elapsed_ms: f64,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Outcome {
    /// The outcome of a response that was read.
    pub fn of(response: Response) -> Outcome {
        Outcome::Answered {
            rcode: response.rcode,
            aa: response.aa,
            ra: response.ra,
            answers: response.answers,
        }
    }
}

impl Lookup {
    /// The response code, when the server answered.
    pub fn rcode(&self) -> Option<Rcode> {
        match &self.outcome {
            Outcome::Answered { rcode, .. } => Some(*rcode),
            _ => None,
        }
    }

    /// Whether the answer says something about the name: NOERROR or NXDOMAIN, from a server authoritative for
    /// it or from a resolver (RA). Only then does an empty answer mean that the name or type does not exist
    /// (RFC 2308); otherwise the error says why the lookup says nothing (refused, server failure, not
    /// authoritative, no answer at all).
    pub fn conclusive(&self) -> Result<(), String> {
        match &self.outcome {
            Outcome::Answered { rcode, aa, ra, .. } => {
                if *rcode != Rcode::NOERROR && *rcode != Rcode::NXDOMAIN {
                    Err(format!("{} answered {rcode}", self.server))
                } else if !aa && !ra {
                    Err(format!(
                        "{} is not authoritative for {} and does not resolve (no AA, no RA)",
                        self.server, self.name
                    ))
                } else {
                    Ok(())
                }
            }
            other => Err(format!(
                "{}: {}",
                self.status(),
                self.error().unwrap_or(match other {
                    Outcome::Timeout { .. } => "no answer",
                    _ => "no usable answer",
                })
            )),
        }
    }

    /// The answer records (none unless the server answered).
    pub fn answers(&self) -> &[Record] {
        match &self.outcome {
            Outcome::Answered { answers, .. } => answers,
            _ => &[],
        }
    }

    /// The addresses in the answer (those of the CNAME chain's end, when there is one).
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.answers()
            .iter()
            .filter_map(|a| a.data.address())
            .collect()
    }

    /// The SRV records, in the order received: priority, weight, port, target.
    pub fn srv(&self) -> Vec<(u16, u16, u16, String)> {
        self.answers()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } => Some((*priority, *weight, *port, target.clone())),
                _ => None,
            })
            .collect()
    }

    /// The CNAME chain's targets, in order.
    pub fn cnames(&self) -> Vec<String> {
        self.answers()
            .iter()
            .filter_map(|a| match &a.data {
                RecordData::Cname { target } => Some(target.clone()),
                _ => None,
            })
            .collect()
    }

    /// How it ended, in one word: the rcode's mnemonic, or `TIMEOUT`, `UNREACHABLE`, `MALFORMED`, `INVALID`.
    pub fn status(&self) -> String {
        match &self.outcome {
            Outcome::Answered { rcode, .. } => rcode.to_string(),
            Outcome::Timeout { .. } => "TIMEOUT".into(),
            Outcome::Unreachable { .. } => "UNREACHABLE".into(),
            Outcome::Malformed { .. } => "MALFORMED".into(),
            Outcome::Invalid { .. } => "INVALID".into(),
        }
    }

    /// The AA flag of the answer (false when there was none).
    pub fn aa(&self) -> bool {
        matches!(self.outcome, Outcome::Answered { aa: true, .. })
    }

    /// What went wrong, when the server did not answer.
    pub fn error(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answered { .. } => None,
            Outcome::Timeout { detail }
            | Outcome::Unreachable { detail }
            | Outcome::Malformed { detail }
            | Outcome::Invalid { detail } => Some(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(outcome: Outcome) -> Lookup {
        Lookup {
            name: "sip.example.com".into(),
            qtype: Rtype::A,
            server: "192.0.2.53:53".into(),
            tcp_retry: false,
            elapsed_ms: 1.0,
            outcome,
        }
    }

    fn answered(rcode: Rcode, aa: bool, ra: bool) -> Lookup {
        lookup(Outcome::Answered {
            rcode,
            aa,
            ra,
            answers: Vec::new(),
        })
    }

    #[test]
    fn only_an_authoritative_or_resolved_noerror_or_nxdomain_is_conclusive() {
        assert!(answered(Rcode::NXDOMAIN, true, false).conclusive().is_ok());
        assert!(answered(Rcode::NOERROR, false, true).conclusive().is_ok());
        let refused = answered(Rcode::REFUSED, false, false)
            .conclusive()
            .unwrap_err();
        assert!(refused.contains("REFUSED"), "{refused}");
        assert!(answered(Rcode::SERVFAIL, true, true).conclusive().is_err());
        let lame = answered(Rcode::NOERROR, false, false)
            .conclusive()
            .unwrap_err();
        assert!(lame.contains("not authoritative"), "{lame}");
        let timeout = lookup(Outcome::Timeout {
            detail: "UDP: timed out".into(),
        });
        assert_eq!(timeout.status(), "TIMEOUT");
        assert!(timeout.conclusive().unwrap_err().contains("timed out"));
        let refused_conn = lookup(Outcome::Unreachable {
            detail: "UDP: Connection refused".into(),
        });
        assert_eq!(refused_conn.status(), "UNREACHABLE");
        assert_eq!(refused_conn.rcode(), None);
    }
}
