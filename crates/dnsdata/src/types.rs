//! Record types, classes and response codes as newtypes over their wire numbers, with their mnemonics
//! (IANA's "Domain Name System (DNS) Parameters" registries; RFC 1035 §3.2.2, §3.2.4, §4.1.1; RFC 6895).
//!
//! A newtype rather than an enum: a server must carry every number it may meet (RFC 3597), and a constant of a
//! type that derives `PartialEq` and `Eq` can stand in a `match` pattern, so code reads `Rtype::SRV` where it
//! used to read `33`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Declares a newtype's constants, their mnemonics, `Display` (mnemonic or `PREFIXnnn`) and `FromStr`.
macro_rules! numbered {
    ($(#[$doc:meta])* $ty:ident($int:ty), $prefix:literal, { $($(#[$cdoc:meta])* $name:ident = $value:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $ty(pub $int);

        impl $ty {
            $( $(#[$cdoc])* pub const $name: $ty = $ty($value); )*

            /// The mnemonic, if the number has one.
            pub fn mnemonic(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($name)), )*
                    _ => None,
                }
            }

            /// The number in network byte order.
            pub fn to_be_bytes(self) -> [u8; std::mem::size_of::<$int>()] {
                self.0.to_be_bytes()
            }
        }

        impl fmt::Display for $ty {
            /// The mnemonic, or the generic form (`TYPE65280`, RFC 3597 §5).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad`, so that width and alignment (`{:<5}`) apply.
                match self.mnemonic() {
                    Some(m) => f.pad(m),
                    None => f.pad(&format!(concat!($prefix, "{}"), self.0)),
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $ty {
            type Err = UnknownMnemonic;

            /// A mnemonic (any case) or the generic form.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $( if s.eq_ignore_ascii_case(stringify!($name)) { return Ok($ty::$name); } )*
                s.get(..$prefix.len())
                    .filter(|p| p.eq_ignore_ascii_case($prefix))
                    .and_then(|_| s[$prefix.len()..].parse::<$int>().ok())
                    .map($ty)
                    .ok_or_else(|| UnknownMnemonic(s.to_owned()))
            }
        }

        impl From<$int> for $ty {
            fn from(n: $int) -> Self {
                $ty(n)
            }
        }

        impl From<$ty> for $int {
            fn from(t: $ty) -> Self {
                t.0
            }
        }

        impl Serialize for $ty {
            /// As its presentation form, so JSON reads `"SRV"`, not `33`.
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

/// A word that is neither a known mnemonic nor the generic form of a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known mnemonic")]
pub struct UnknownMnemonic(pub String);

numbered!(
    /// A record type (RFC 1035 §3.2.2, IANA "Resource Record (RR) TYPEs").
    Rtype(u16), "TYPE", {
        /// IPv4 address.
        A = 1,
        /// Authoritative name server.
        NS = 2,
        /// Canonical name (an alias).
        CNAME = 5,
        /// Start of a zone of authority.
        SOA = 6,
        /// Domain name pointer.
        PTR = 12,
        /// Host information (RFC 8482 answers to ANY with it).
        HINFO = 13,
        /// Mail exchange.
        MX = 15,
        /// Text strings.
        TXT = 16,
        /// IPv6 address (RFC 3596).
        AAAA = 28,
        /// Service location (RFC 2782).
        SRV = 33,
        /// Naming authority pointer (RFC 3403).
        NAPTR = 35,
        /// Delegation name (RFC 6672).
        DNAME = 39,
        /// EDNS pseudo-record (RFC 6891).
        OPT = 41,
        /// Delegation signer (RFC 4034).
        DS = 43,
        /// Signature (RFC 4034).
        RRSIG = 46,
        /// Next secure (RFC 4034).
        NSEC = 47,
        /// Public key (RFC 4034).
        DNSKEY = 48,
        /// Transaction signature (RFC 8945).
        TSIG = 250,
        /// Incremental zone transfer (RFC 1995).
        IXFR = 251,
        /// Full zone transfer (RFC 5936).
        AXFR = 252,
        /// Any type (RFC 1035's `*`, RFC 8482).
        ANY = 255,
        /// Certification authority authorization (RFC 8659).
        CAA = 257,
    }
);

numbered!(
    /// A class (RFC 1035 §3.2.4).
    Class(u16), "CLASS", {
        /// The Internet.
        IN = 1,
        /// Chaos (server identification: `version.bind`, RFC 4892).
        CH = 3,
        /// Hesiod.
        HS = 4,
        /// None (RFC 2136).
        NONE = 254,
        /// Any class.
        ANY = 255,
    }
);

numbered!(
    /// A response code, extended to 12 bits by EDNS (RFC 6891 §6.1.3) and TSIG (RFC 8945).
    Rcode(u16), "RCODE", {
        /// No error.
        NOERROR = 0,
        /// The server could not interpret the query.
        FORMERR = 1,
        /// The server failed.
        SERVFAIL = 2,
        /// The name does not exist.
        NXDOMAIN = 3,
        /// The kind of query is not implemented.
        NOTIMP = 4,
        /// Refused by policy.
        REFUSED = 5,
        /// A name exists that should not (RFC 2136).
        YXDOMAIN = 6,
        /// An RRset exists that should not (RFC 2136).
        YXRRSET = 7,
        /// An RRset does not exist that should (RFC 2136).
        NXRRSET = 8,
        /// Not authoritative, or not authorized (RFC 2136, RFC 8945).
        NOTAUTH = 9,
        /// A name is not within the zone (RFC 2136).
        NOTZONE = 10,
        /// Bad EDNS version (RFC 6891); also BADSIG in a TSIG record (RFC 8945).
        BADVERS = 16,
        /// Key not recognized (RFC 8945).
        BADKEY = 17,
        /// Signature out of its time window (RFC 8945).
        BADTIME = 18,
        /// Bad or missing server cookie (RFC 7873).
        BADCOOKIE = 23,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_and_generic_forms_round_trip() {
        assert_eq!(Rtype::SRV.to_string(), "SRV");
        assert_eq!(Rtype(65280).to_string(), "TYPE65280");
        assert_eq!("srv".parse::<Rtype>(), Ok(Rtype::SRV));
        assert_eq!("TYPE65280".parse::<Rtype>(), Ok(Rtype(65280)));
        assert_eq!("type33".parse::<Rtype>(), Ok(Rtype::SRV));
        assert!("TYPEx".parse::<Rtype>().is_err());
        assert!("NOPE".parse::<Rtype>().is_err());
        assert_eq!(Rcode::NXDOMAIN.to_string(), "NXDOMAIN");
        assert_eq!(Rcode(12).to_string(), "RCODE12");
        assert_eq!("ch".parse::<Class>(), Ok(Class::CH));
        assert_eq!(Class(7).to_string(), "CLASS7");
        assert_eq!(format!("[{:<5}]", Rtype::A), "[A    ]");
    }

    #[test]
    fn constants_match_in_patterns() {
        let t = Rtype(33);
        assert!(matches!(t, Rtype::SRV));
        assert_eq!(u16::from(Rtype::AAAA), 28);
    }
}
