//! Messages cut out of a byte stream (TLS or TCP): RFC 3261 §18.3 says a stream message's body is exactly
//! `Content-Length` octets, so the header is required here; CRLFs between messages are keep-alives (RFC 5626
//! §3.5.1) and skipped. Heads and bodies have size limits, so a peer cannot make the reader buffer without end.

use crate::message::{Message, ParseError, split_head};

/// Largest head (start line and header fields) read.
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest body read.
pub const MAX_BODY: usize = 64 * 1024;

/// Why the stream cannot be read on: the connection should be closed (after a 400 or 513 where possible).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The head grew past [`MAX_HEAD`] without a blank line.
    #[error("message head longer than {MAX_HEAD} octets")]
    HeadTooLarge,
    /// `Content-Length` is past [`MAX_BODY`].
    #[error("body of {0} octets is larger than {MAX_BODY}")]
    BodyTooLarge(usize),
    /// A stream message without `Content-Length` (§18.3).
    #[error("no Content-Length on a stream transport (RFC 3261 §18.3)")]
    NoContentLength,
    /// The head is not a SIP message.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// What the start of a stream buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message and the octets it took (keep-alive CRLFs before it included).
    Message(Message, usize),
    /// Only keep-alive CRLFs, this many: drop them and read on.
    KeepAlive(usize),
    /// Not a whole message yet: read more.
    Partial,
}

/// The first message in `buf`, if it is all there.
pub fn next(buf: &[u8]) -> Result<Frame, FrameError> {
    let skip = buf
        .iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count();
    let rest = &buf[skip..];
    if rest.is_empty() {
        return Ok(if skip == 0 {
            Frame::Partial
        } else {
            Frame::KeepAlive(skip)
        });
    }
    let Some((head, after)) = split_head(rest) else {
        return if rest.len() > MAX_HEAD {
            Err(FrameError::HeadTooLarge)
        } else {
            Ok(Frame::Partial)
        };
    };
    if head.len() > MAX_HEAD {
        return Err(FrameError::HeadTooLarge);
    }
    let head_len = rest.len() - after.len();
    // The head's Content-Length says how much body to wait for.
    let length = content_length_of(head)?;
    if length > MAX_BODY {
        return Err(FrameError::BodyTooLarge(length));
    }
    if after.len() < length {
        return Ok(Frame::Partial);
    }
    let total = head_len + length;
    let message = Message::parse(&rest[..total])?;
    Ok(Frame::Message(message, skip + total))
}

/// `Content-Length` (or `l`) of a head, required.
fn content_length_of(head: &[u8]) -> Result<usize, FrameError> {
    let text = std::str::from_utf8(head).map_err(|_| ParseError::NotText)?;
    let mut found = None;
    for line in text.split('\n').skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((name, value)) = line.split_once(':')
            && crate::message::full_name(name.trim()).eq_ignore_ascii_case("Content-Length")
        {
            let v = value.trim();
            found = Some(
                v.parse::<usize>()
                    .map_err(|_| ParseError::ContentLength(v.chars().take(40).collect()))?,
            );
        }
    }
    found.ok_or(FrameError::NoContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_by_content_length() {
        let two = b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\nl: 3\r\n\r\nabcSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        let Frame::Message(m, used) = next(two).unwrap() else {
            panic!("a message")
        };
        assert_eq!(
            (m.method(), m.body.as_slice()),
            (Some("OPTIONS"), &b"abc"[..])
        );
        let Frame::Message(m, rest) = next(&two[used..]).unwrap() else {
            panic!("a second message")
        };
        assert_eq!((m.status(), used + rest), (Some(200), two.len()));
    }

    #[test]
    fn partial_input_asks_for_more() {
        let whole = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
        for cut in 0..whole.len() {
            assert_eq!(next(&whole[..cut]).unwrap(), Frame::Partial, "cut at {cut}");
        }
        assert_eq!(next(b"\r\n\r\n").unwrap(), Frame::KeepAlive(4));
    }

    #[test]
    fn limits_and_missing_length_are_errors() {
        assert_eq!(
            next(b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n"),
            Err(FrameError::NoContentLength)
        );
        assert_eq!(
            next(b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 999999\r\n\r\n"),
            Err(FrameError::BodyTooLarge(999_999))
        );
        assert_eq!(
            next(&vec![b'A'; MAX_HEAD + 1]),
            Err(FrameError::HeadTooLarge)
        );
    }
}
