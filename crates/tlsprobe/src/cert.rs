//! The pure core: a certificate chain (DER, as the peer sent it) read with `x509-parser` and judged against the
//! name asked and the time given. No I/O and no clock: the caller passes `now` (Unix seconds) and the roots'
//! verdict ([`Trust`]), so every judgement is testable with made-up certificates.

use lyncdns_lync::naming::certificate_name_covers;
use serde::Serialize;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Days before expiry from which a certificate is reported as expiring soon.
pub const WARN_DAYS: i64 = 30;

const DAY: i64 = 86_400;

/// One certificate of the chain, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// The subject's distinguished name (RFC 4514 text).
    pub subject: String,
    /// The subject's common name, if any.
    pub subject_cn: Option<String>,
    /// The DNS names of the subject alternative name extension, as written (`*.contoso.com` included).
    pub dns_names: Vec<String>,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Valid from (Unix seconds).
    pub not_before: i64,
    /// Valid until (Unix seconds).
    pub not_after: i64,
}

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate {index} of the chain is not X.509 DER: {why}")]
pub struct CertError {
    /// Its place in the chain (0: the server's own).
    pub index: usize,
    /// What the parser said.
    pub why: String,
}

impl Certificate {
    /// Reads one DER certificate.
    pub fn parse(der: &[u8], index: usize) -> Result<Certificate, CertError> {
        let (_, x) = X509Certificate::from_der(der).map_err(|e| CertError {
            index,
            why: e.to_string(),
        })?;
        Ok(Certificate::from_x509(&x))
    }

    fn from_x509(x: &X509Certificate<'_>) -> Certificate {
        let dns_names = match x.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(n) => Some((*n).to_owned()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Certificate {
            subject: x.subject().to_string(),
            subject_cn: x
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_owned),
            dns_names,
            issuer: x.issuer().to_string(),
            not_before: x.validity().not_before.timestamp(),
            not_after: x.validity().not_after.timestamp(),
        }
    }

    /// The names a client matches the host against (RFC 6125 §6.4.4): the DNS names when there are any, else the
    /// subject's common name.
    pub fn presented_names(&self) -> Vec<&str> {
        if self.dns_names.is_empty() {
            self.subject_cn.iter().map(String::as_str).collect()
        } else {
            self.dns_names.iter().map(String::as_str).collect()
        }
    }

    /// Whether the certificate covers `host`.
    pub fn covers(&self, host: &str) -> bool {
        self.presented_names()
            .iter()
            .any(|p| certificate_name_covers(p, host))
    }
}

/// The roots' verdict on the chain (the system store plus any extra CA), name aside: a chain that is trusted but
/// issued for another name is `Trusted` here and `covered: false` in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "trust", rename_all = "kebab-case")]
pub enum Trust {
    /// The chain leads to a trusted root and every certificate is in force.
    Trusted,
    /// It does not (unknown issuer, expired, bad signature…).
    Untrusted {
        /// The verifier's reason.
        why: String,
    },
}

/// The server certificate's validity at the time given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "validity", rename_all = "kebab-case")]
pub enum Validity {
    /// In force; whole days left.
    Valid {
        /// Whole days until `not_after`.
        days_left: i64,
    },
    /// Past `not_after`.
    Expired {
        /// Whole days since.
        days_ago: i64,
    },
    /// Before `not_before`.
    NotYetValid {
        /// Whole days until it starts (0: later today).
        days_until: i64,
    },
}

impl Validity {
    fn at(c: &Certificate, now: i64) -> Validity {
        if now < c.not_before {
            Validity::NotYetValid {
                days_until: (c.not_before - now) / DAY,
            }
        } else if now > c.not_after {
            Validity::Expired {
                days_ago: (now - c.not_after) / DAY,
            }
        } else {
            Validity::Valid {
                days_left: (c.not_after - now) / DAY,
            }
        }
    }
}

/// How the certificates the server sent hang together, each judged by the next one's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "chain", rename_all = "kebab-case")]
pub enum Chain {
    /// Each certificate is issued (name and signature) by the one after it.
    Linked,
    /// Certificate `at` is not issued by certificate `at + 1` (out of order, or a stray certificate).
    Broken {
        /// The index of the certificate whose issuer does not follow.
        at: usize,
        /// What does not match.
        why: String,
    },
}

/// What is wrong with a server's certificate, each a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum CertProblem {
    /// Past its `not_after`: every client refuses it.
    Expired {
        /// The end date (YYYY-MM-DD, UTC).
        not_after: String,
    },
    /// Before its `not_before`: every client refuses it.
    NotYetValid {
        /// The start date.
        not_before: String,
    },
    /// In force, but for fewer than [`WARN_DAYS`] days (a warning).
    ExpiresSoon {
        /// Whole days left.
        days_left: i64,
    },
    /// The name the client asked for is not among the certificate's names.
    NameNotCovered {
        /// The name asked.
        name: String,
    },
    /// The chain does not lead to a trusted root.
    Untrusted {
        /// Why.
        why: String,
    },
    /// The certificates sent do not chain in order.
    ChainBroken {
        /// Where and why.
        why: String,
    },
}

impl CertProblem {
    /// True for a warning (the service still works today).
    pub fn is_warning(&self) -> bool {
        matches!(self, CertProblem::ExpiresSoon { .. })
    }
}

impl std::fmt::Display for CertProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertProblem::Expired { not_after } => write!(f, "expired on {not_after}"),
            CertProblem::NotYetValid { not_before } => write!(f, "not valid before {not_before}"),
            CertProblem::ExpiresSoon { days_left } => {
                write!(f, "expires in {days_left} day(s) (under {WARN_DAYS})")
            }
            CertProblem::NameNotCovered { name } => write!(f, "does not cover {name}"),
            CertProblem::Untrusted { why } => write!(f, "not trusted: {why}"),
            CertProblem::ChainBroken { why } => write!(f, "chain out of order: {why}"),
        }
    }
}

/// A server's certificate as a client asking for `name` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertReport {
    /// The name asked (sent as SNI and matched against the certificate).
    pub name: String,
    /// The TLS version negotiated (`TLSv1.3`, `TLSv1.2`).
    pub tls_version: String,
    /// The chain as sent, the server's own certificate first.
    pub chain: Vec<Certificate>,
    /// How the chain hangs together.
    pub linked: Chain,
    /// The roots' verdict.
    #[serde(flatten)]
    pub trust: Trust,
    /// Whether the server's certificate covers `name`.
    pub covered: bool,
    /// The server certificate's validity at the time of the probe.
    #[serde(flatten)]
    pub validity: Validity,
}

impl CertReport {
    /// Reads and judges `chain` (DER, server's first) sent for `name`, at `now` (Unix seconds).
    pub fn assess(
        name: &str,
        chain: &[impl AsRef<[u8]>],
        tls_version: &str,
        trust: Trust,
        now: i64,
    ) -> Result<CertReport, CertError> {
        let parsed: Vec<X509Certificate<'_>> = chain
            .iter()
            .enumerate()
            .map(|(index, der)| {
                X509Certificate::from_der(der.as_ref())
                    .map(|(_, x)| x)
                    .map_err(|e| CertError {
                        index,
                        why: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let Some(leaf) = parsed.first() else {
            return Err(CertError {
                index: 0,
                why: "the server sent no certificate".into(),
            });
        };
        let linked = parsed
            .windows(2)
            .enumerate()
            .find_map(|(at, pair)| {
                let why = if pair[0].issuer().as_raw() != pair[1].subject().as_raw() {
                    format!(
                        "certificate {at} is issued by `{}`, certificate {} is `{}`",
                        pair[0].issuer(),
                        at + 1,
                        pair[1].subject()
                    )
                } else if pair[0]
                    .verify_signature(Some(pair[1].public_key()))
                    .is_err()
                {
                    format!(
                        "certificate {at}'s signature is not by certificate {}'s key",
                        at + 1
                    )
                } else {
                    return None;
                };
                Some(Chain::Broken { at, why })
            })
            .unwrap_or(Chain::Linked);
        let leaf = Certificate::from_x509(leaf);
        Ok(CertReport {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            tls_version: tls_version.to_owned(),
            covered: leaf.covers(name),
            validity: Validity::at(&leaf, now),
            chain: std::iter::once(leaf)
                .chain(parsed[1..].iter().map(Certificate::from_x509))
                .collect(),
            linked,
            trust,
        })
    }

    /// The server's own certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.chain[0]
    }

    /// Every problem, errors before the warning.
    pub fn problems(&self) -> Vec<CertProblem> {
        let leaf = self.leaf();
        let mut out = Vec::new();
        match self.validity {
            Validity::Expired { .. } => out.push(CertProblem::Expired {
                not_after: date(leaf.not_after),
            }),
            Validity::NotYetValid { .. } => out.push(CertProblem::NotYetValid {
                not_before: date(leaf.not_before),
            }),
            Validity::Valid { .. } => {}
        }
        if !self.covered {
            out.push(CertProblem::NameNotCovered {
                name: self.name.clone(),
            });
        }
        if let Trust::Untrusted { why } = &self.trust {
            out.push(CertProblem::Untrusted { why: why.clone() });
        }
        if let Chain::Broken { why, .. } = &self.linked {
            out.push(CertProblem::ChainBroken { why: why.clone() });
        }
        if let Validity::Valid { days_left } = self.validity
            && days_left < WARN_DAYS
        {
            out.push(CertProblem::ExpiresSoon { days_left });
        }
        out
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the civil-from-days algorithm (H. Hinnant), so that no date library
/// is needed for one line of output.
pub fn date(unix: i64) -> String {
    let z = unix.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// 2026-12-04 00:00 UTC.
    const NOW: i64 = 1_796_342_400;

    /// Midnight UTC of a Unix time's day, for rcgen (through [`date`], so no date library is needed).
    macro_rules! ymd {
        ($unix:expr) => {{
            let d = date($unix);
            let n = |r: std::ops::Range<usize>| d[r].parse::<i32>().unwrap();
            rcgen::date_time_ymd(n(0..4), n(5..7) as u8, n(8..10) as u8)
        }};
    }

    fn ca() -> (Issuer<'static, KeyPair>, Vec<u8>) {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, "Test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let der = p.self_signed(&key).unwrap().der().to_vec();
        (Issuer::new(p, key), der)
    }

    /// A server certificate for `names`, valid from `from` to `until` (days from NOW), issued by `issuer`.
    fn leaf(
        issuer: &Issuer<'static, KeyPair>,
        cn: &str,
        names: &[&str],
        from: i64,
        until: i64,
    ) -> Vec<u8> {
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.not_before = ymd!(NOW + from * DAY);
        p.not_after = ymd!(NOW + until * DAY);
        p.signed_by(&KeyPair::generate().unwrap(), issuer)
            .unwrap()
            .der()
            .to_vec()
    }

    fn assess(name: &str, chain: &[Vec<u8>]) -> CertReport {
        CertReport::assess(name, chain, "TLSv1.3", Trust::Trusted, NOW).unwrap()
    }

    #[test]
    fn a_good_certificate_reads_back_with_no_problem() {
        let (ca, ca_der) = ca();
        let r = assess(
            "SIP.contoso.com",
            &[
                leaf(
                    &ca,
                    "access.contoso.com",
                    &["access.contoso.com", "sip.contoso.com"],
                    -10,
                    365,
                ),
                ca_der,
            ],
        );
        assert_eq!(r.name, "sip.contoso.com");
        assert_eq!(r.leaf().subject_cn.as_deref(), Some("access.contoso.com"));
        assert_eq!(
            r.leaf().dns_names,
            ["access.contoso.com", "sip.contoso.com"]
        );
        assert_eq!(r.leaf().issuer, "CN=Test CA");
        assert_eq!(r.chain[1].subject, "CN=Test CA");
        assert_eq!(r.linked, Chain::Linked);
        assert_eq!(r.validity, Validity::Valid { days_left: 365 });
        assert!(r.covered);
        assert_eq!(r.problems(), []);
        assert_eq!(date(r.leaf().not_after), "2027-12-04");
    }

    #[test]
    fn expired_and_not_yet_valid_certificates_fail_and_a_near_end_warns() {
        let (ca, _) = ca();
        let r = assess(
            "sip.contoso.com",
            &[leaf(&ca, "sip.contoso.com", &["sip.contoso.com"], -400, -2)],
        );
        assert_eq!(r.validity, Validity::Expired { days_ago: 2 });
        assert_eq!(
            r.problems(),
            [CertProblem::Expired {
                not_after: "2026-12-02".into()
            }]
        );
        let r = assess(
            "sip.contoso.com",
            &[leaf(&ca, "sip.contoso.com", &["sip.contoso.com"], 3, 400)],
        );
        assert_eq!(r.validity, Validity::NotYetValid { days_until: 3 });
        assert!(!r.problems()[0].is_warning());
        let r = assess(
            "sip.contoso.com",
            &[leaf(&ca, "sip.contoso.com", &["sip.contoso.com"], -300, 29)],
        );
        assert_eq!(r.problems(), [CertProblem::ExpiresSoon { days_left: 29 }]);
        assert!(r.problems()[0].is_warning());
        let r = assess(
            "sip.contoso.com",
            &[leaf(&ca, "sip.contoso.com", &["sip.contoso.com"], -300, 30)],
        );
        assert_eq!(r.problems(), []);
    }

    #[test]
    fn names_are_matched_on_the_sans_wildcards_one_label_deep() {
        let (ca, _) = ca();
        let wild = leaf(&ca, "contoso.com", &["*.contoso.com"], -1, 100);
        assert!(assess("lyncdiscover.contoso.com", std::slice::from_ref(&wild)).covered);
        let r = assess("pool.eu.contoso.com", &[wild]);
        assert_eq!(
            r.problems(),
            [CertProblem::NameNotCovered {
                name: "pool.eu.contoso.com".into()
            }]
        );
        // With DNS names present the CN is not a name (RFC 6125 §6.4.4).
        let r = assess(
            "www.contoso.com",
            &[leaf(
                &ca,
                "www.contoso.com",
                &["other.contoso.com"],
                -1,
                100,
            )],
        );
        assert!(!r.covered);
        // Without any, the CN is.
        let r = assess(
            "www.contoso.com",
            &[leaf(&ca, "www.contoso.com", &[], -1, 100)],
        );
        assert!(r.covered);
    }

    #[test]
    fn a_chain_out_of_order_and_an_untrusted_one_are_reported() {
        let (_, other_ca) = ca();
        let (ca, ca_der) = ca();
        let good = leaf(&ca, "sip.contoso.com", &["sip.contoso.com"], -1, 100);
        let r = assess("sip.contoso.com", &[ca_der.clone(), good.clone()]);
        assert!(
            matches!(r.linked, Chain::Broken { at: 0, .. }),
            "{:?}",
            r.linked
        );
        // Same issuer name, another key: the signature decides.
        let r = assess("sip.contoso.com", &[good.clone(), other_ca]);
        assert!(
            matches!(&r.linked, Chain::Broken { at: 0, why } if why.contains("signature")),
            "{:?}",
            r.linked
        );
        let r = CertReport::assess(
            "sip.contoso.com",
            &[good],
            "TLSv1.2",
            Trust::Untrusted {
                why: "invalid peer certificate: UnknownIssuer".into(),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            r.problems()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["not trusted: invalid peer certificate: UnknownIssuer"]
        );
    }

    #[test]
    fn garbage_and_empty_chains_are_errors_not_panics() {
        assert_eq!(
            CertReport::assess(
                "x.test",
                &[b"not DER".to_vec()],
                "TLSv1.3",
                Trust::Trusted,
                NOW
            )
            .unwrap_err()
            .index,
            0
        );
        assert!(
            CertReport::assess("x.test", &[] as &[Vec<u8>], "TLSv1.3", Trust::Trusted, NOW)
                .is_err()
        );
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(NOW), "2026-12-04");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-86_400), "1969-12-31");
    }
}
