//! SPNEGO as HTTP `Negotiate` carries it ([RFC 4178], [RFC 4559]), only as far as NTLM needs it: read a client's
//! `NegTokenInit` or `NegTokenResp` and take out the NTLM token, write the server's `NegTokenResp`. There is no
//! Kerberos here: a client whose first choice is Kerberos is told to continue with NTLM, and one that does not
//! offer NTLM is rejected. Clients that send a bare NTLM message under `Negotiate` (sipe falling back from
//! Kerberos, Windows without a domain) are answered in kind. Pure; every read is bounds-checked (DER lengths of at
//! most four octets), so no input makes it panic.
//!
//! [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178
//! [RFC 4559]: https://www.rfc-editor.org/rfc/rfc4559

/// The NTLMSSP mechanism's OID, 1.3.6.1.4.1.311.2.2.10, DER content octets.
pub const NTLMSSP_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// The SPNEGO OID, 1.3.6.1.5.5.2.
const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

/// What a `Negotiate` token holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// A bare NTLM message (starts with `NTLMSSP\0`).
    Raw(&'a [u8]),
    /// A SPNEGO `NegTokenInit` or `NegTokenResp` offering NTLM, with the NTLM message when it carries one.
    Spnego(Option<&'a [u8]>),
    /// A `NegTokenInit` whose mechanism list has no NTLM: only Kerberos (or other mechanisms) offered.
    NoNtlm,
}

/// Why a `Negotiate` token could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed SPNEGO token")]
pub struct SpnegoError;

/// One DER element: (tag, content, rest).
fn tlv(b: &[u8]) -> Result<(u8, &[u8], &[u8]), SpnegoError> {
    let (&tag, rest) = b.split_first().ok_or(SpnegoError)?;
    let (&first, rest) = rest.split_first().ok_or(SpnegoError)?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(SpnegoError);
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(SpnegoError);
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The context-tagged fields `[n]` of a SEQUENCE.
fn fields(seq: &[u8]) -> Result<Vec<(u8, &[u8])>, SpnegoError> {
    let mut out = Vec::new();
    let mut rest = seq;
    while !rest.is_empty() {
        let (tag, content, r) = tlv(rest)?;
        out.push((tag, content));
        rest = r;
    }
    Ok(out)
}

/// The content of the single element `content` holds, if it has tag `tag`.
fn inner(content: &[u8], tag: u8) -> Result<&[u8], SpnegoError> {
    match tlv(content)? {
        (t, c, _) if t == tag => Ok(c),
        _ => Err(SpnegoError),
    }
}

/// Reads the token of an `Authorization: Negotiate` header (already base64-decoded).
pub fn parse(b: &[u8]) -> Result<Token<'_>, SpnegoError> {
    if b.starts_with(crate::ntlm::SIGNATURE) {
        return Ok(Token::Raw(b));
    }
    let (tag, content, _) = tlv(b)?;
    match tag {
        // [APPLICATION 0] { OID spnego, [0] NegTokenInit }
        0x60 => {
            let (t, oid, rest) = tlv(content)?;
            if t != 0x06 || oid != SPNEGO_OID {
                return Err(SpnegoError);
            }
            let (t, init, _) = tlv(rest)?;
            if t != 0xa0 {
                return Err(SpnegoError);
            }
            let mut mechs = Vec::new();
            let mut token = None;
            for (t, c) in fields(inner(init, 0x30)?)? {
                match t {
                    0xa0 => {
                        let mut rest = inner(c, 0x30)?;
                        while !rest.is_empty() {
                            let (t, oid, r) = tlv(rest)?;
                            if t == 0x06 {
                                mechs.push(oid);
                            }
                            rest = r;
                        }
                    }
                    0xa2 => token = Some(inner(c, 0x04)?),
                    _ => {}
                }
            }
            match mechs.iter().position(|m| *m == NTLMSSP_OID) {
                // The optimistic token is for the first mechanism: usable only when that is NTLM.
                Some(0) => Ok(Token::Spnego(token)),
                Some(_) => Ok(Token::Spnego(None)),
                None => Ok(Token::NoNtlm),
            }
        }
        // [1] NegTokenResp
        0xa1 => {
            let mut token = None;
            for (t, c) in fields(inner(content, 0x30)?)? {
                match t {
                    0xa1 if inner(c, 0x06)? != NTLMSSP_OID => return Ok(Token::NoNtlm),
                    0xa2 => token = Some(inner(c, 0x04)?),
                    _ => {}
                }
            }
            Ok(Token::Spnego(token))
        }
        _ => Err(SpnegoError),
    }
}

/// `negState` of a `NegTokenResp` ([RFC 4178] 4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 0: authentication done.
    AcceptCompleted = 0,
    /// 1: continue.
    AcceptIncomplete = 1,
    /// 2: no common mechanism, or authentication failed.
    Reject = 2,
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The server's `NegTokenResp`: `state`, NTLM as the selected mechanism (unless rejecting), and the NTLM
/// `token` if any.
pub fn response(state: State, token: Option<&[u8]>) -> Vec<u8> {
    let mut seq = der(0xa0, &der(0x0a, &[state as u8]));
    if state != State::Reject {
        seq.extend(der(0xa1, &der(0x06, NTLMSSP_OID)));
    }
    if let Some(t) = token {
        seq.extend(der(0xa2, &der(0x04, t)));
    }
    der(0xa1, &der(0x30, &seq))
}

/// A client's `NegTokenInit` offering `mechs` with an optional first token (for tests and the fuzz seeds).
pub fn init(mechs: &[&[u8]], token: Option<&[u8]>) -> Vec<u8> {
    let list: Vec<u8> = mechs.iter().flat_map(|m| der(0x06, m)).collect();
    let mut seq = der(0xa0, &der(0x30, &list));
    if let Some(t) = token {
        seq.extend(der(0xa2, &der(0x04, t)));
    }
    let mut body = der(0x06, SPNEGO_OID);
    body.extend(der(0xa0, &der(0x30, &seq)));
    der(0x60, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kerberos 5, 1.2.840.113554.1.2.2.
    const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];

    #[test]
    fn init_and_response_tokens_round_trip() {
        let ntlm = b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2";
        assert_eq!(parse(ntlm), Ok(Token::Raw(ntlm)));
        assert_eq!(
            parse(&init(&[NTLMSSP_OID], Some(ntlm))),
            Ok(Token::Spnego(Some(&ntlm[..])))
        );
        // Kerberos first with an optimistic Kerberos token: continue with NTLM, without a token yet.
        assert_eq!(
            parse(&init(&[KRB5, NTLMSSP_OID], Some(b"krb5 token"))),
            Ok(Token::Spnego(None))
        );
        assert_eq!(parse(&init(&[KRB5], Some(b"x"))), Ok(Token::NoNtlm));
        // A client's NegTokenResp carrying the AUTHENTICATE message, longer than 255 octets.
        let long = vec![0x41; 300];
        let resp = response(State::AcceptIncomplete, Some(&long));
        assert_eq!(parse(&resp), Ok(Token::Spnego(Some(&long[..]))));
        assert_eq!(
            response(State::Reject, None),
            [0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02]
        );
    }

    #[test]
    fn truncated_tokens_are_errors() {
        let t = init(&[NTLMSSP_OID], Some(b"NTLMSSP\0\x01\0\0\0"));
        for len in 0..t.len() {
            assert!(parse(&t[..len]).is_err(), "length {len}");
        }
        assert!(parse(&[0x60, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse(&[0x60, 0x85, 1, 1, 1, 1, 1]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_parser_panic(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            let _ = parse(&b);
            for tag in [0x60u8, 0xa1] {
                let mut t = vec![tag];
                t.extend_from_slice(&b);
                let _ = parse(&t);
            }
        }
    }
}
