//! NTLM, the server's side, pure ([MS-NLMP] [S48]): read a client's NEGOTIATE and AUTHENTICATE messages, write the
//! CHALLENGE, and verify an NTLMv2 response against the NT hash of a lab password. No I/O, no clock, no
//! randomness: the caller passes the server challenge and the time in. Every read of a message is bounds-checked,
//! so no input makes it panic (property-tested in this file, fuzzed by `fuzz/` `ntlm`).
//!
//! Only NTLMv2 is accepted: an NTLMv1 or LM-only response (24 octets) is refused, as current Windows servers
//! refuse it by policy. No session security (signing, sealing) is set up: HTTP authentication needs none.

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Every NTLM message starts with these eight octets ([MS-NLMP] 2.2.1).
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// `NTLMSSP_NEGOTIATE_UNICODE`: strings are UTF-16LE.
pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// `NTLMSSP_REQUEST_TARGET`: the CHALLENGE names the target.
pub const REQUEST_TARGET: u32 = 0x0000_0004;
/// `NTLMSSP_NEGOTIATE_NTLM`.
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
/// `NTLMSSP_NEGOTIATE_ALWAYS_SIGN`.
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
/// `NTLMSSP_TARGET_TYPE_DOMAIN`: the target name is a domain.
pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
/// `NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY`.
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
/// `NTLMSSP_NEGOTIATE_TARGET_INFO`: the CHALLENGE carries AV pairs, which NTLMv2 clients need.
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
/// `NTLMSSP_NEGOTIATE_VERSION`: the message carries an 8-octet version.
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
/// `NTLMSSP_NEGOTIATE_128`.
pub const NEGOTIATE_128: u32 = 0x2000_0000;
/// `NTLMSSP_NEGOTIATE_56`.
pub const NEGOTIATE_56: u32 = 0x8000_0000;

/// The flags every CHALLENGE sets: what NTLMv2 clients (sipe, curl) require of a server.
const CHALLENGE_FLAGS: u32 = NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | TARGET_TYPE_DOMAIN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION;

/// Why an NTLM message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NtlmError {
    /// Shorter than its fixed part.
    #[error("NTLM message too short: {len} octets, at least {need} needed")]
    TooShort {
        /// Octets received.
        len: usize,
        /// Octets the fixed part needs.
        need: usize,
    },
    /// Not starting with `NTLMSSP\0`.
    #[error("not an NTLM message (no NTLMSSP signature)")]
    Signature,
    /// Another message type than the one expected at this step.
    #[error("NTLM message type {found}, expected {expected}")]
    Type {
        /// The type the handshake expects (1 NEGOTIATE, 3 AUTHENTICATE).
        expected: u32,
        /// The type received.
        found: u32,
    },
    /// A field's offset and length point outside the message.
    #[error("NTLM field {field} lies outside the message")]
    Field {
        /// The field.
        field: &'static str,
    },
    /// A name field is not valid UTF-16 (or is too long to be a name).
    #[error("NTLM field {field} is not a valid name")]
    Name {
        /// The field.
        field: &'static str,
    },
    /// The response is NTLMv1 or LM only; only NTLMv2 is accepted.
    #[error("NTLMv1 response refused: only NTLMv2 is accepted")]
    NotV2,
}

/// Longest user, domain or workstation name accepted, in UTF-16 units (Windows allows 256 for a UPN).
pub const MAX_NAME: usize = 256;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The type of an NTLM message (1, 2 or 3), after checking its signature.
pub fn message_type(b: &[u8]) -> Result<u32, NtlmError> {
    if b.len() < 12 {
        return Err(NtlmError::TooShort {
            len: b.len(),
            need: 12,
        });
    }
    if &b[..8] != SIGNATURE {
        return Err(NtlmError::Signature);
    }
    u32_at(b, 8).ok_or(NtlmError::TooShort {
        len: b.len(),
        need: 12,
    })
}

/// The flags of a NEGOTIATE message ([MS-NLMP] 2.2.1.1).
pub fn parse_negotiate(b: &[u8]) -> Result<u32, NtlmError> {
    match message_type(b)? {
        1 => u32_at(b, 12).ok_or(NtlmError::TooShort {
            len: b.len(),
            need: 16,
        }),
        found => Err(NtlmError::Type { expected: 1, found }),
    }
}

/// An AUTHENTICATE message's fields the server needs ([MS-NLMP] 2.2.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    /// The negotiated flags.
    pub flags: u32,
    /// `LmChallengeResponse` (zeros or LMv2 from NTLMv2 clients).
    pub lm_response: Vec<u8>,
    /// `NtChallengeResponse`: for NTLMv2, `NTProofStr` (16 octets) and the client's blob.
    pub nt_response: Vec<u8>,
    /// `DomainName`, as sent.
    pub domain: String,
    /// `UserName`, as sent.
    pub user: String,
    /// `Workstation`, as sent.
    pub workstation: String,
}

/// A payload field: length at `at`, offset at `at + 4` ([MS-NLMP] 2.2.1: `Len`, `MaxLen`, `BufferOffset`).
fn field<'a>(b: &'a [u8], at: usize, name: &'static str) -> Result<&'a [u8], NtlmError> {
    let len = u16_at(b, at).ok_or(NtlmError::Field { field: name })? as usize;
    let offset = u32_at(b, at + 4).ok_or(NtlmError::Field { field: name })? as usize;
    if len == 0 {
        return Ok(&[]);
    }
    offset
        .checked_add(len)
        .and_then(|end| b.get(offset..end))
        .ok_or(NtlmError::Field { field: name })
}

/// A name field in UTF-16LE (Unicode negotiated) or in the OEM character set, read as Latin-1.
fn name(raw: &[u8], unicode: bool, field: &'static str) -> Result<String, NtlmError> {
    if unicode {
        if !raw.len().is_multiple_of(2) || raw.len() / 2 > MAX_NAME {
            return Err(NtlmError::Name { field });
        }
        let units = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| NtlmError::Name { field })
    } else if raw.len() > MAX_NAME {
        Err(NtlmError::Name { field })
    } else {
        Ok(raw.iter().map(|&c| char::from(c)).collect())
    }
}

/// Reads an AUTHENTICATE message; refuses any other type and NTLMv1 responses.
pub fn parse_authenticate(b: &[u8]) -> Result<Authenticate, NtlmError> {
    match message_type(b)? {
        3 => {}
        found => return Err(NtlmError::Type { expected: 3, found }),
    }
    if b.len() < 64 {
        return Err(NtlmError::TooShort {
            len: b.len(),
            need: 64,
        });
    }
    let flags = u32_at(b, 60).unwrap_or(0);
    let unicode = flags & NEGOTIATE_UNICODE != 0;
    let lm_response = field(b, 12, "LmChallengeResponse")?.to_vec();
    let nt_response = field(b, 20, "NtChallengeResponse")?.to_vec();
    // NTProofStr (16) and at least the blob's fixed part (28): anything shorter is NTLMv1 or LM.
    if nt_response.len() < 16 + 28 {
        return Err(NtlmError::NotV2);
    }
    Ok(Authenticate {
        flags,
        lm_response,
        nt_response,
        domain: name(field(b, 28, "DomainName")?, unicode, "DomainName")?,
        user: name(field(b, 36, "UserName")?, unicode, "UserName")?,
        workstation: name(field(b, 44, "Workstation")?, unicode, "Workstation")?,
    })
}

/// What the server says about itself in a CHALLENGE ([MS-NLMP] 2.2.2.1, AV pairs).
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// NetBIOS domain name, also the target name (`MsvAvNbDomainName`).
    pub nb_domain: &'a str,
    /// NetBIOS computer name (`MsvAvNbComputerName`).
    pub nb_computer: &'a str,
    /// DNS domain name (`MsvAvDnsDomainName`).
    pub dns_domain: &'a str,
    /// DNS computer name (`MsvAvDnsComputerName`).
    pub dns_computer: &'a str,
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Microseconds since 1601 in tenths: the `FILETIME` of `now` for `MsvAvTimestamp`.
pub fn filetime(now: std::time::SystemTime) -> u64 {
    const EPOCH_DIFF_S: u64 = 11_644_473_600;
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (since.as_secs() + EPOCH_DIFF_S) * 10_000_000 + u64::from(since.subsec_nanos() / 100)
}

/// A CHALLENGE message ([MS-NLMP] 2.2.1.2) with `server_challenge`, answering a NEGOTIATE that asked for
/// `client_flags`; its target info names `target` and carries `filetime` (`MsvAvTimestamp`).
pub fn challenge(
    server_challenge: &[u8; 8],
    client_flags: u32,
    target: &Target<'_>,
    filetime: u64,
) -> Vec<u8> {
    let flags = CHALLENGE_FLAGS | (client_flags & (NEGOTIATE_128 | NEGOTIATE_56));
    let target_name = utf16(target.nb_domain);
    let mut info = Vec::new();
    let mut av = |id: u16, value: &[u8]| {
        info.extend_from_slice(&id.to_le_bytes());
        info.extend_from_slice(&(value.len() as u16).to_le_bytes());
        info.extend_from_slice(value);
    };
    av(2, &utf16(target.nb_domain));
    av(1, &utf16(target.nb_computer));
    av(4, &utf16(target.dns_domain));
    av(3, &utf16(target.dns_computer));
    av(7, &filetime.to_le_bytes());
    av(0, &[]);
    const HEAD: usize = 56;
    let mut m = Vec::with_capacity(HEAD + target_name.len() + info.len());
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&2u32.to_le_bytes());
    let name_len = target_name.len() as u16;
    m.extend_from_slice(&name_len.to_le_bytes());
    m.extend_from_slice(&name_len.to_le_bytes());
    m.extend_from_slice(&(HEAD as u32).to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(server_challenge);
    m.extend_from_slice(&[0; 8]);
    let info_len = info.len() as u16;
    m.extend_from_slice(&info_len.to_le_bytes());
    m.extend_from_slice(&info_len.to_le_bytes());
    m.extend_from_slice(&((HEAD + target_name.len()) as u32).to_le_bytes());
    // Version: 6.1 build 7601, NTLMSSP revision 15 ([MS-NLMP] 2.2.2.10).
    m.extend_from_slice(&[6, 1, 0xb1, 0x1d, 0, 0, 0, 15]);
    m.extend_from_slice(&target_name);
    m.extend_from_slice(&info);
    m
}

/// The NT hash of a password: MD4 of its UTF-16LE form (`NTOWFv1`, [MS-NLMP] 3.3.1).
pub fn nt_hash(password: &str) -> [u8; 16] {
    Md4::digest(utf16(password)).into()
}

/// `NT_hash` as 32 lower-case hex digits, the form `[[users]] nt_hash` holds.
pub fn nt_hash_hex(password: &str) -> String {
    nt_hash(password)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 32 hex digits → 16 octets.
pub fn parse_nt_hash(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

type HmacMd5 = Hmac<md5::Md5>;

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> HmacMd5 {
    let mut mac = HmacMd5::new_from_slice(key).expect("HMAC takes a key of any length");
    for p in parts {
        mac.update(p);
    }
    mac
}

/// `NTOWFv2`: HMAC-MD5 keyed by the NT hash over the upper-cased user name and the domain, in UTF-16LE
/// ([MS-NLMP] 3.3.2).
pub fn ntowf_v2(nt_hash: &[u8; 16], user: &str, domain: &str) -> [u8; 16] {
    hmac_md5(nt_hash, &[&utf16(&user.to_uppercase()), &utf16(domain)])
        .finalize()
        .into_bytes()
        .into()
}

/// True if `auth`'s NTLMv2 response answers `server_challenge` for the password whose NT hash is `nt_hash`:
/// `NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ blob)` ([MS-NLMP] 3.3.2), compared in constant time.
pub fn verify_v2(nt_hash: &[u8; 16], auth: &Authenticate, server_challenge: &[u8; 8]) -> bool {
    let Some((proof, blob)) = auth.nt_response.split_at_checked(16) else {
        return false;
    };
    // The blob starts with RespType 1, HiRespType 1 ([MS-NLMP] 2.2.2.7).
    if blob.len() < 28 || blob[0] != 1 || blob[1] != 1 {
        return false;
    }
    let key = ntowf_v2(nt_hash, &auth.user, &auth.domain);
    hmac_md5(&key, &[server_challenge, blob])
        .verify_slice(proof)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// [MS-NLMP] 4.2.4.3: the NTLMv2 AUTHENTICATE message for user "User", domain "Domain", password
    /// "Password", server challenge 0123456789abcdef.
    const SPEC_AUTHENTICATE: &str = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";
    const SPEC_CHALLENGE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

    #[test]
    fn nt_hash_and_ntowf_v2_match_ms_nlmp_4_2_2_and_4_2_4() {
        // [MS-NLMP] 4.2.2.1.2 NTOWFv1("Password").
        assert_eq!(nt_hash_hex("Password"), "a4f49c406510bdcab6824ee7c30fd852");
        // [MS-NLMP] 4.2.4.1.1 NTOWFv2.
        assert_eq!(
            ntowf_v2(&nt_hash("Password"), "User", "Domain").to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f")
        );
        assert_eq!(
            parse_nt_hash("A4F49C406510BDCAB6824EE7C30FD852"),
            Some(nt_hash("Password"))
        );
        assert_eq!(parse_nt_hash("a4f4"), None);
        assert_eq!(parse_nt_hash("zz".repeat(16).as_str()), None);
    }

    #[test]
    fn the_ms_nlmp_4_2_4_authenticate_message_verifies_with_the_right_password_only() {
        let a = parse_authenticate(&hex(SPEC_AUTHENTICATE)).unwrap();
        assert_eq!(a.user, "User");
        assert_eq!(a.domain, "Domain");
        assert_eq!(a.workstation, "COMPUTER");
        assert_eq!(
            a.nt_response[..16],
            hex("68cd0ab851e51c96aabc927bebef6a1c")[..]
        );
        assert!(verify_v2(&nt_hash("Password"), &a, &SPEC_CHALLENGE));
        assert!(!verify_v2(&nt_hash("password"), &a, &SPEC_CHALLENGE));
        assert!(!verify_v2(&nt_hash("Password"), &a, &[0; 8]));
        // The user name is upper-cased in NTOWFv2, the domain is not.
        let other_domain = Authenticate {
            domain: "DOMAIN".into(),
            ..a.clone()
        };
        assert!(!verify_v2(
            &nt_hash("Password"),
            &other_domain,
            &SPEC_CHALLENGE
        ));
        let upper_user = Authenticate {
            user: "USER".into(),
            ..a
        };
        assert!(verify_v2(
            &nt_hash("Password"),
            &upper_user,
            &SPEC_CHALLENGE
        ));
    }

    #[test]
    fn wrong_types_and_truncations_are_refused() {
        let m = hex(SPEC_AUTHENTICATE);
        assert_eq!(
            parse_negotiate(&m),
            Err(NtlmError::Type {
                expected: 1,
                found: 3
            })
        );
        assert_eq!(
            parse_authenticate(b"NTLMSSQ\0\x03\0\0\0"),
            Err(NtlmError::Signature)
        );
        for len in 0..m.len() {
            // Any truncation is an error or a message whose fields all lie inside it, never a panic.
            let _ = parse_authenticate(&m[..len]);
        }
        assert!(matches!(
            parse_authenticate(&m[..100]),
            Err(NtlmError::Field { .. })
        ));
        // An NTLMv1 response (24 octets) is refused.
        let mut v1 = m.clone();
        v1[20] = 24;
        v1[22] = 24;
        assert_eq!(parse_authenticate(&v1), Err(NtlmError::NotV2));
    }

    #[test]
    fn the_challenge_carries_what_ntlmv2_clients_require() {
        let negotiate_flags = NEGOTIATE_UNICODE | NEGOTIATE_NTLM | NEGOTIATE_128 | NEGOTIATE_56;
        let t = Target {
            nb_domain: "LYNCDUDE",
            nb_computer: "LYNCDNS",
            dns_domain: "lyncdude.net",
            dns_computer: "lyncweb.lyncdude.net",
        };
        let c = challenge(&[7; 8], negotiate_flags, &t, 42);
        assert_eq!(message_type(&c), Ok(2));
        let flags = u32_at(&c, 20).unwrap();
        for f in [
            NEGOTIATE_UNICODE,
            NEGOTIATE_NTLM,
            NEGOTIATE_ALWAYS_SIGN,
            NEGOTIATE_EXTENDED_SESSIONSECURITY,
            NEGOTIATE_TARGET_INFO,
            NEGOTIATE_128,
        ] {
            assert_eq!(flags & f, f, "flag {f:#x}");
        }
        assert_eq!(c[24..32], [7; 8]);
        assert_eq!(field(&c, 12, "TargetName").unwrap(), utf16("LYNCDUDE"));
        let info = field(&c, 40, "TargetInfo").unwrap();
        assert!(info.ends_with(&[7, 0, 8, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_parsers_panic(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_negotiate(&b);
            if let Ok(a) = parse_authenticate(&b) {
                let _ = verify_v2(&[0; 16], &a, &[0; 8]);
            }
            let mut with_sig = SIGNATURE.to_vec();
            with_sig.extend_from_slice(&b);
            let _ = parse_negotiate(&with_sig);
            let _ = parse_authenticate(&with_sig);
        }
    }
}
