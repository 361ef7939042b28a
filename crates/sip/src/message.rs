//! One SIP message (RFC 3261 §7): the start line, the header fields in order, the body; parsed from bytes and
//! serialized back. Header names are kept in their full form (a compact form such as `i` or `m` is expanded,
//! §7.3.3) so that readers ask for `Call-ID` or `Contact` only. Everything read from the network is checked:
//! no indexing that can fail, sizes bounded by the caller's framing ([`crate::framing`]).

use std::fmt;

/// Most header fields one message may carry.
pub const MAX_HEADERS: usize = 128;

/// Why bytes are not a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The head is not UTF-8 text.
    #[error("the message head is not UTF-8 text")]
    NotText,
    /// The start line is neither `METHOD URI SIP/2.0` nor `SIP/2.0 CODE REASON`.
    #[error("bad start line `{0}`")]
    StartLine(String),
    /// A header line has no `:` or an empty name.
    #[error("bad header line `{0}`")]
    HeaderLine(String),
    /// More header fields than [`MAX_HEADERS`].
    #[error("more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    /// `Content-Length` is not a number.
    #[error("bad Content-Length `{0}`")]
    ContentLength(String),
    /// The body is shorter than `Content-Length` says.
    #[error("the body has {got} octets, Content-Length says {want}")]
    ShortBody {
        /// Octets present.
        got: usize,
        /// Octets announced.
        want: usize,
    },
}

/// The first line: a request's method and Request-URI, or a response's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// `METHOD URI SIP/2.0`.
    Request {
        /// The method, as sent (methods are case-sensitive, §7.1).
        method: String,
        /// The Request-URI.
        uri: String,
    },
    /// `SIP/2.0 CODE REASON`.
    Status {
        /// The status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
}

/// A SIP message: start line, header fields in order (full names), body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The start line.
    pub start: Start,
    /// `(name, value)` in order; names in their full form, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (as many octets as `Content-Length` says).
    pub body: Vec<u8>,
}

/// The full name of a compact header form (RFC 3261 §7.3.3 and the registry of later RFCs), or the name as given.
pub fn full_name(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    match name.to_ascii_lowercase().as_str() {
        "a" => "Accept-Contact",
        "b" => "Referred-By",
        "c" => "Content-Type",
        "d" => "Request-Disposition",
        "e" => "Content-Encoding",
        "f" => "From",
        "i" => "Call-ID",
        "j" => "Reject-Contact",
        "k" => "Supported",
        "l" => "Content-Length",
        "m" => "Contact",
        "o" => "Event",
        "r" => "Refer-To",
        "s" => "Subject",
        "t" => "To",
        "u" => "Allow-Events",
        "v" => "Via",
        "x" => "Session-Expires",
        "y" => "Identity",
        _ => name,
    }
}

impl Message {
    /// A request with no header fields yet.
    pub fn request(method: &str, uri: &str) -> Message {
        Message {
            start: Start::Request {
                method: method.to_owned(),
                uri: uri.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with no header fields yet.
    pub fn response(code: u16, reason: &str) -> Message {
        Message {
            start: Start::Status {
                code,
                reason: reason.to_owned(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header field (builder style).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Message {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Parses one whole message: head, blank line, and a body of exactly `Content-Length` octets (none when the
    /// header is absent, as over a stream it must be present; [`crate::framing`] enforces that).
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        let (head, rest) = split_head(bytes).unwrap_or((bytes, &[]));
        let head = std::str::from_utf8(head).map_err(|_| ParseError::NotText)?;
        let mut lines = unfold(head).into_iter();
        let first = lines.next().unwrap_or_default();
        let start = parse_start(&first)?;
        let mut headers = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if headers.len() == MAX_HEADERS {
                return Err(ParseError::TooManyHeaders);
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| ParseError::HeaderLine(shorten(&line)))?;
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(ParseError::HeaderLine(shorten(&line)));
            }
            headers.push((full_name(name).to_owned(), value.trim().to_owned()));
        }
        let mut m = Message {
            start,
            headers,
            body: Vec::new(),
        };
        let want = m.content_length()?.unwrap_or(0);
        let body = rest.get(..want).ok_or(ParseError::ShortBody {
            got: rest.len(),
            want,
        })?;
        m.body = body.to_vec();
        Ok(m)
    }

    /// The message as sent on the wire: `Content-Length` is written from the body, where the first one was (at the
    /// end when there was none); later ones are dropped.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        match &self.start {
            Start::Request { method, uri } => out.push_str(&format!("{method} {uri} SIP/2.0\r\n")),
            Start::Status { code, reason } => out.push_str(&format!("SIP/2.0 {code} {reason}\r\n")),
        }
        let mut length_written = false;
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("Content-Length") {
                out.push_str(&format!("{name}: {value}\r\n"));
            } else if !length_written {
                out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
                length_written = true;
            }
        }
        if !length_written {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// The first value of header `name` (any case; compact forms were expanded when parsing).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = full_name(name);
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let name = full_name(name);
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Length`, if present.
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        self.header("Content-Length")
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| ParseError::ContentLength(shorten(v)))
            })
            .transpose()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            Start::Request { method, .. } => Some(method),
            Start::Status { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            Start::Status { code, .. } => Some(*code),
            Start::Request { .. } => None,
        }
    }

    /// `CSeq`: sequence number and method.
    pub fn cseq(&self) -> Option<(u32, &str)> {
        let (n, method) = self.header("CSeq")?.split_once(char::is_whitespace)?;
        Some((n.trim().parse().ok()?, method.trim()))
    }

    /// The `WWW-Authenticate` challenges, in order.
    pub fn challenges(&self) -> Vec<Challenge> {
        self.headers_named("WWW-Authenticate")
            .filter_map(Challenge::parse)
            .collect()
    }

    /// The URIs of the `Contact` header fields, in order (each field may list several, comma-separated).
    pub fn contacts(&self) -> Vec<SipUri> {
        self.headers_named("Contact")
            .flat_map(split_list)
            .filter_map(|c| SipUri::parse(addr_spec(c)?))
            .collect()
    }
}

impl fmt::Display for Message {
    /// The message as text (a body that is not UTF-8 shown lossily).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// The head (before the first blank line, the CRLFCRLF excluded) and what follows it; `None` without a blank
/// line. A bare LF line end is accepted too, as robust parsers do.
pub fn split_head(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let rest = &bytes[i + 1..];
            if rest.first() == Some(&b'\n') {
                return Some((&bytes[..i], &rest[1..]));
            }
            if rest.starts_with(b"\r\n") {
                return Some((&bytes[..i], &rest[2..]));
            }
        }
        i += 1;
    }
    None
}

/// Lines of the head with folded continuation lines (starting with space or tab) joined (§7.3.1).
fn unfold(head: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) && !last.is_empty() => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    lines
}

fn parse_start(line: &str) -> Result<Start, ParseError> {
    let bad = || ParseError::StartLine(shorten(line));
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) || code.to_string().len() != 3 {
            return Err(bad());
        }
        return Ok(Start::Status {
            code,
            reason: reason.to_owned(),
        });
    }
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(uri), Some("SIP/2.0"), None)
            if !method.is_empty() && method.bytes().all(is_token) && !uri.is_empty() =>
        {
            Ok(Start::Request {
                method: method.to_owned(),
                uri: uri.to_owned(),
            })
        }
        _ => Err(bad()),
    }
}

/// RFC 3261 §25.1 `token` characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// At most 80 characters of `s`, for error messages.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// The elements of a comma-separated header value, commas inside quotes or angle brackets kept.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// The URI of a name-addr (`"Alice" <sip:alice@contoso.com>;tag=1`) or addr-spec (`sip:alice@contoso.com;tag=1`,
/// where the parameters belong to the header, §20.10).
pub fn addr_spec(value: &str) -> Option<&str> {
    if let Some(open) = value.find('<') {
        let rest = &value[open + 1..];
        return rest.find('>').map(|close| &rest[..close]);
    }
    let v = value.trim();
    let end = v.find(';').unwrap_or(v.len());
    let uri = v[..end].trim();
    (!uri.is_empty()).then_some(uri)
}

/// The `tag` parameter of a `From` or `To` value.
pub fn tag(value: &str) -> Option<&str> {
    let after = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    after
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("tag"))
        .map(|(_, v)| v.trim())
}

/// A `sip:` or `sips:` URI, as far as a registrar reads it: user, host, port, parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips` or not.
    pub secure: bool,
    /// The user part, if any.
    pub user: Option<String>,
    /// The host, lowercased (an IPv6 reference keeps its brackets).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// `;name=value` parameters (`transport=tls`), names lowercased, a value-less one with an empty value.
    pub params: Vec<(String, String)>,
}

impl SipUri {
    /// Parses `sip:[user@]host[:port][;params][?headers]`; `None` for anything else.
    pub fn parse(text: &str) -> Option<SipUri> {
        let (scheme, rest) = text.trim().split_once(':')?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "sip" => false,
            "sips" => true,
            _ => return None,
        };
        let rest = rest.split('?').next().unwrap_or_default();
        let mut parts = rest.split(';');
        let hostport = parts.next().unwrap_or_default();
        let (user, hostport) = match hostport.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_owned()), h),
            None => (None, hostport),
        };
        let (host, port) = if hostport.starts_with('[') {
            let close = hostport.find(']')?;
            let port = hostport.get(close + 1..)?.strip_prefix(':');
            (&hostport[..=close], port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None => None,
        };
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
        {
            return None;
        }
        let params = parts
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), v.to_owned()),
                None => (p.to_ascii_lowercase(), String::new()),
            })
            .collect();
        Some(SipUri {
            secure,
            user,
            host: host.to_ascii_lowercase(),
            port,
            params,
        })
    }

    /// The value of parameter `name` (lowercase).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `user@host` when there is a user, lowercased host.
    pub fn address(&self) -> Option<String> {
        self.user.as_ref().map(|u| format!("{u}@{}", self.host))
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        for (k, v) in &self.params {
            if v.is_empty() {
                write!(f, ";{k}")?;
            } else {
                write!(f, ";{k}={v}")?;
            }
        }
        Ok(())
    }
}

/// One authentication challenge (`WWW-Authenticate: NTLM realm="…", targetname="…", version=4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme (`NTLM`, `Kerberos`, `TLS-DSK`, `Digest`, …) as sent.
    pub scheme: String,
    /// The parameters, names lowercased, quotes removed.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// Parses one challenge; `None` when there is no scheme.
    pub fn parse(value: &str) -> Option<Challenge> {
        let value = value.trim();
        let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
        if scheme.is_empty() || !scheme.bytes().all(is_token) {
            return None;
        }
        let params = split_list(rest)
            .into_iter()
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                Some((k.trim().to_ascii_lowercase(), v.to_owned()))
            })
            .collect();
        Some(Challenge {
            scheme: scheme.to_owned(),
            params,
        })
    }

    /// The value of parameter `name` (lowercase).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            if k == "version" {
                write!(f, "{sep}{k}={v}")?;
            } else {
                write!(f, "{sep}{k}=\"{v}\"")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-SIPAE] §4.1's first REGISTER, as a client sends it.
    const REGISTER: &str = "REGISTER sip:contoso.com SIP/2.0\r\n\
        Via: SIP/2.0/TLS 192.0.2.1:4320\r\n\
        From: <sip:alice@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n\
        To: <sip:alice@contoso.com>\r\n\
        Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n\
        CSeq: 169 REGISTER\r\n\
        Contact: <sip:192.0.2.1:4320;transport=tls>;proxy=replace\r\n\
        Supported: gruu-10\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn a_client_register_parses() {
        let m = Message::parse(REGISTER.as_bytes()).unwrap();
        assert_eq!(m.method(), Some("REGISTER"));
        assert_eq!(m.cseq(), Some((169, "REGISTER")));
        assert_eq!(
            m.header("call-id"),
            Some("d5f2b95d5be64c2cbfb38aa5d3a87ae7")
        );
        assert_eq!(tag(m.header("From").unwrap()), Some("4a2b44d131"));
        assert_eq!(tag(m.header("To").unwrap()), None);
        let to = SipUri::parse(addr_spec(m.header("To").unwrap()).unwrap()).unwrap();
        assert_eq!(to.address().as_deref(), Some("alice@contoso.com"));
        let c = &m.contacts()[0];
        assert_eq!(
            (c.host.as_str(), c.port, c.param("transport")),
            ("192.0.2.1", Some(4320), Some("tls"))
        );
    }

    #[test]
    fn compact_forms_are_expanded() {
        let m = Message::parse(
            b"OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/TLS h\r\ni: abc\r\nf: <sip:a@b>\r\nt: sip:a@b\r\nl: 2\r\nm: <sip:h:1>\r\n\r\nhi",
        )
        .unwrap();
        assert_eq!(m.header("Call-ID"), Some("abc"));
        assert_eq!(m.header("Via"), Some("SIP/2.0/TLS h"));
        assert_eq!(m.body, b"hi");
        assert_eq!(m.contacts()[0].port, Some(1));
    }

    #[test]
    fn folded_lines_are_joined() {
        let m = Message::parse(b"SIP/2.0 200 OK\r\nSubject: a\r\n  b\r\n\r\n").unwrap();
        assert_eq!(m.header("Subject"), Some("a b"));
    }

    #[test]
    fn serializing_and_parsing_round_trip() {
        let m = Message::parse(REGISTER.as_bytes()).unwrap();
        assert_eq!(Message::parse(&m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn challenges_read_the_ms_sipae_form() {
        let c = Challenge::parse(
            r#"Kerberos realm="SIP Communications Service", targetname="sip/server.contoso.com", version=3"#,
        )
        .unwrap();
        assert_eq!(c.scheme, "Kerberos");
        assert_eq!(c.param("targetname"), Some("sip/server.contoso.com"));
        assert_eq!(c.param("version"), Some("3"));
        assert_eq!(Challenge::parse(&c.to_string()), Some(c));
    }

    #[test]
    fn redirect_contacts_list_primary_and_backup() {
        let m = Message::parse(
            b"SIP/2.0 301 Redirect request to Home Server\r\nContact: <sip:SBS1-NY.companyabc.com:5061;transport=TLS>;q=0.7, <sip:fepool.companyabc.com:5061;transport=TLS>;q=0.3\r\n\r\n",
        )
        .unwrap();
        let hosts: Vec<_> = m.contacts().into_iter().map(|c| c.host).collect();
        assert_eq!(hosts, ["sbs1-ny.companyabc.com", "fepool.companyabc.com"]);
    }

    #[test]
    fn bad_messages_are_errors() {
        assert!(matches!(
            Message::parse(b"HELLO\r\n\r\n"),
            Err(ParseError::StartLine(_))
        ));
        assert!(matches!(
            Message::parse(b"SIP/2.0 99 x\r\n\r\n"),
            Err(ParseError::StartLine(_))
        ));
        assert!(matches!(
            Message::parse(b"SIP/2.0 200 OK\r\nno colon\r\n\r\n"),
            Err(ParseError::HeaderLine(_))
        ));
        assert!(matches!(
            Message::parse(b"SIP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nab"),
            Err(ParseError::ShortBody { got: 2, want: 5 })
        ));
        assert!(matches!(
            Message::parse(b"SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n"),
            Err(ParseError::ContentLength(_))
        ));
        assert!(SipUri::parse("tel:+1").is_none());
        assert!(SipUri::parse("sip:host:99999").is_none());
    }
}
