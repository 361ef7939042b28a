//! The WebTicket service's documents ([MS-OCAUTHWS] [S47], `docs/lync.md` §3.4), pure: the metadata exchange
//! (`…/WebTicketService.svc/mex`, a WSDL naming the one port served), reading a client's SOAP
//! `RequestSecurityToken`, writing the `RequestSecurityTokenResponse` that carries the web ticket (a SAML 1.1
//! assertion), and reading the ticket back from `X-MS-WebTicket: opaque=<base64 assertion>` as sipe sends it
//! ([S46]).
//!
//! The assertion is not signed: its `AssertionID` is a random, expiring token from the service's token store
//! ([`crate::auth::Tokens`]), and only an ID the store issued and still holds is accepted, so the rest of the
//! assertion is information for the client. A real Lync server signs it with its OAuth certificate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// The service's path, which the User resource's 401 names in `X-MS-WebTicketURL`.
pub const SERVICE: &str = "/WebTicket/WebTicketService.svc";
/// The metadata exchange, `<X-MS-WebTicketURL>/mex` ([S46]: sipe appends `/mex`).
pub const MEX: &str = "/WebTicket/WebTicketService.svc/mex";
/// The endpoint taking a `RequestSecurityToken` with HTTP NTLM or Negotiate authentication.
pub const AUTH: &str = "/WebTicket/WebTicketService.svc/Auth";
/// The WSDL port name sipe looks for to find the Windows-authentication endpoint ([S46]).
pub const NEGOTIATE_PORT: &str = "WebTicketServiceWinNegotiate";
/// The prefix of a web ticket's `AssertionID` (and of its token in the store).
pub const TICKET_PREFIX: &str = "SamlSecurityToken-";
/// Largest `X-MS-WebTicket` value read (a lyncdns assertion is about 1.5 KiB in base64).
pub const MAX_TICKET: usize = 8192;

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const RST_ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue";
const SAML11: &str = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1";

/// Escapes text for an XML attribute or element.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The metadata document for the service at `base` (`https://<web services FQDN>`): one SOAP 1.1 port,
/// `WebTicketServiceWinNegotiate` at `<base>/WebTicket/WebTicketService.svc/Auth`, whose policy asks for HTTP
/// Negotiate (NTLM inside) or NTLM. No other port is listed, because no other is served.
pub fn mex(base: &str) -> String {
    let auth = esc(&format!("{base}{AUTH}"));
    format!(
        r##"<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="WebTicketService" targetNamespace="http://tempuri.org/" xmlns:tns="http://tempuri.org/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http" xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702">
  <wsp:Policy wsu:Id="{NEGOTIATE_PORT}_policy">
    <wsp:ExactlyOne>
      <wsp:All>
        <http:NegotiateAuthentication/>
        <sp:TransportBinding><wsp:Policy><sp:TransportToken><wsp:Policy><sp:HttpsToken/></wsp:Policy></sp:TransportToken></wsp:Policy></sp:TransportBinding>
      </wsp:All>
      <wsp:All>
        <http:NtlmAuthentication/>
        <sp:TransportBinding><wsp:Policy><sp:TransportToken><wsp:Policy><sp:HttpsToken/></wsp:Policy></sp:TransportToken></wsp:Policy></sp:TransportBinding>
      </wsp:All>
    </wsp:ExactlyOne>
  </wsp:Policy>
  <wsdl:message name="RequestSecurityToken"><wsdl:part name="body" element="tns:RequestSecurityToken"/></wsdl:message>
  <wsdl:message name="RequestSecurityTokenResponse"><wsdl:part name="body" element="tns:RequestSecurityTokenResponse"/></wsdl:message>
  <wsdl:portType name="IWebTicketService">
    <wsdl:operation name="IssueToken">
      <wsdl:input wsaw:Action="{RST_ISSUE}" message="tns:RequestSecurityToken"/>
      <wsdl:output wsaw:Action="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal" message="tns:RequestSecurityTokenResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="{NEGOTIATE_PORT}" type="tns:IWebTicketService">
    <wsp:PolicyReference URI="#{NEGOTIATE_PORT}_policy"/>
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="IssueToken">
      <soap:operation soapAction="{RST_ISSUE}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="WebTicketService">
    <wsdl:port name="{NEGOTIATE_PORT}" binding="tns:{NEGOTIATE_PORT}">
      <soap:address location="{auth}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"##
    )
}

/// A client's `RequestSecurityToken`, as far as the service uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rst {
    /// SOAP 1.2 envelope (answered in kind); sipe sends SOAP 1.1.
    pub soap12: bool,
    /// The `Context` attribute, echoed in the response.
    pub context: Option<String>,
    /// `AppliesTo/EndpointReference/Address`: the resource the ticket is for (the audience).
    pub applies_to: Option<String>,
    /// The SIP URI claimed (`Claims/ClaimType/Value`, `sip:` removed, lower case), when sent.
    pub claimed: Option<String>,
}

/// Why a request body is not a usable `RequestSecurityToken`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RstError {
    /// Not UTF-8 or not well-formed XML.
    #[error("the body is not well-formed XML: {0}")]
    Xml(String),
    /// No SOAP envelope.
    #[error("the body is not a SOAP envelope")]
    NotSoap,
    /// No `RequestSecurityToken` in the SOAP body.
    #[error("no RequestSecurityToken in the SOAP body")]
    NoRst,
}

/// Reads a SOAP `RequestSecurityToken` (WS-Trust 1.3 or February 2005; any prefixes).
pub fn parse_rst(body: &[u8]) -> Result<Rst, RstError> {
    let text = std::str::from_utf8(body).map_err(|e| RstError::Xml(e.to_string()))?;
    let doc = roxmltree::Document::parse(text).map_err(|e| RstError::Xml(e.to_string()))?;
    let env = doc.root_element();
    let soap12 = match env.tag_name().namespace() {
        Some(SOAP11) => false,
        Some(SOAP12) => true,
        _ => return Err(RstError::NotSoap),
    };
    if env.tag_name().name() != "Envelope" {
        return Err(RstError::NotSoap);
    }
    let rst = env
        .children()
        .find(|n| n.has_tag_name("Body"))
        .and_then(|b| {
            b.children()
                .find(|n| n.has_tag_name("RequestSecurityToken"))
        })
        .ok_or(RstError::NoRst)?;
    let text_of = |n: roxmltree::Node| n.text().map(|t| t.trim().to_owned());
    let applies_to = rst
        .descendants()
        .find(|n| n.has_tag_name("AppliesTo"))
        .and_then(|a| a.descendants().find(|n| n.has_tag_name("Address")))
        .and_then(text_of);
    let claimed = rst
        .descendants()
        .find(|n| n.has_tag_name("Claims"))
        .and_then(|c| c.descendants().find(|n| n.has_tag_name("Value")))
        .and_then(text_of)
        .map(|v| {
            let v = v.strip_prefix("sip:").unwrap_or(&v);
            v.to_ascii_lowercase()
        });
    Ok(Rst {
        soap12,
        context: rst.attribute("Context").map(str::to_owned),
        applies_to,
        claimed,
    })
}

/// `2026-12-04T20:15:00Z` for `t` (UTC, whole seconds), as XML Schema `dateTime`.
pub fn datetime(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What a web ticket says.
#[derive(Debug, Clone)]
pub struct Ticket<'a> {
    /// The `AssertionID`: the token issued in the store.
    pub id: &'a str,
    /// The user's SIP address (without `sip:`).
    pub user: &'a str,
    /// The issuer, `https://<the web services FQDN the client asked>`.
    pub issuer: &'a str,
    /// Issued at.
    pub now: SystemTime,
    /// Valid for.
    pub lifetime: Duration,
}

/// The SAML 1.1 assertion of a ticket; it declares its own namespace, so it parses on its own when a client sends
/// it back base64-encoded.
pub fn assertion(t: &Ticket<'_>, audience: Option<&str>) -> String {
    let (created, expires) = (datetime(t.now), datetime(t.now + t.lifetime));
    let audience = audience
        .map(|a| {
            format!(
                "<saml:AudienceRestrictionCondition><saml:Audience>{}</saml:Audience></saml:AudienceRestrictionCondition>",
                esc(a)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="{id}" Issuer="{issuer}" IssueInstant="{created}" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:Conditions NotBefore="{created}" NotOnOrAfter="{expires}">{audience}</saml:Conditions><saml:AuthenticationStatement AuthenticationMethod="urn:federation:authentication:windows" AuthenticationInstant="{created}"><saml:Subject><saml:NameIdentifier Format="http://schemas.xmlsoap.org/claims/UPN">sip:{user}</saml:NameIdentifier></saml:Subject></saml:AuthenticationStatement></saml:Assertion>"#,
        id = esc(t.id),
        issuer = esc(t.issuer),
        user = esc(t.user),
    )
}

/// The SOAP `RequestSecurityTokenResponse` carrying ticket `t` for request `rst`: the assertion in
/// `RequestedSecurityToken` and the validity in `Lifetime` (`wsu:Created`, `wsu:Expires`), which sipe reads to
/// cache the ticket ([S46]). A bearer token: no proof key is returned.
pub fn rstr(rst: &Rst, t: &Ticket<'_>) -> String {
    let env = if rst.soap12 { SOAP12 } else { SOAP11 };
    let context = rst
        .context
        .as_deref()
        .map(|c| format!(" Context=\"{}\"", esc(c)))
        .unwrap_or_default();
    let applies = rst
        .applies_to
        .as_deref()
        .map(|a| {
            format!(
                r#"<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>{}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"#,
                esc(a)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{env}"><s:Body><RequestSecurityTokenResponse{context} xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><TokenType>{SAML11}</TokenType><RequestedSecurityToken>{assertion}</RequestedSecurityToken>{applies}<Lifetime><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">{created}</wsu:Created><wsu:Expires xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">{expires}</wsu:Expires></Lifetime><KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer</KeyType></RequestSecurityTokenResponse></s:Body></s:Envelope>
"#,
        assertion = assertion(t, rst.applies_to.as_deref()),
        created = datetime(t.now),
        expires = datetime(t.now + t.lifetime),
    )
}

/// A SOAP fault (`s:Sender` / `s:Client`) with `reason`, for a request the service cannot answer.
pub fn fault(soap12: bool, reason: &str) -> String {
    let reason = esc(reason);
    if soap12 {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{SOAP12}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang="en">{reason}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>
"#
        )
    } else {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{SOAP11}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring xml:lang="en">{reason}</faultstring></s:Fault></s:Body></s:Envelope>
"#
        )
    }
}

/// The token in an `X-MS-WebTicket` value: `opaque=<base64 SAML assertion>` gives the assertion's `AssertionID`
/// ([S46]); `opaque=<token>` gives the token itself. `None` when the value is malformed or too long.
pub fn ticket_token(header: &str) -> Option<String> {
    if header.len() > MAX_TICKET {
        return None;
    }
    let value = header.trim().strip_prefix("opaque=")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    match decoded {
        Some(xml) if xml.trim_start().starts_with('<') => {
            let doc = roxmltree::Document::parse(&xml).ok()?;
            let a = doc.root_element();
            (a.has_tag_name("Assertion"))
                .then(|| a.attribute("AssertionID"))
                .flatten()
                .map(str::to_owned)
        }
        _ => Some(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body sipe 1.25 sends ([S46] sipe-svc.c `sipe_svc_webticket`), with its whitespace.
    fn sipe_rst() -> String {
        format!(
            "<?xml version=\"1.0\"?>\r\n<soap:Envelope xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:wst=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512\" xmlns:auth=\"http://schemas.xmlsoap.org/ws/2006/12/authorization\" xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\" xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" > <soap:Body><wst:RequestSecurityToken Context=\"ctx-1\"> <wst:TokenType>{SAML11}</wst:TokenType> <wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType> <wsp:AppliesTo>  <wsa:EndpointReference>   <wsa:Address>https://lyncweb.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/user</wsa:Address>  </wsa:EndpointReference> </wsp:AppliesTo> <wst:Claims Dialect=\"urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims\">  <auth:ClaimType Uri=\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri\" Optional=\"false\">   <auth:Value>sip:Alice@lyncdude.net</auth:Value>  </auth:ClaimType> </wst:Claims> <wst:Entropy>  <wst:BinarySecret>AAAA</wst:BinarySecret> </wst:Entropy> <wst:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/SymmetricKey</wst:KeyType></wst:RequestSecurityToken></soap:Body></soap:Envelope>"
        )
    }

    #[test]
    fn sipes_request_is_read() {
        let rst = parse_rst(sipe_rst().as_bytes()).unwrap();
        assert_eq!(
            rst,
            Rst {
                soap12: false,
                context: Some("ctx-1".into()),
                applies_to: Some(
                    "https://lyncweb.lyncdude.net/Autodiscover/AutodiscoverService.svc/root/user"
                        .into()
                ),
                claimed: Some("alice@lyncdude.net".into()),
            }
        );
        assert_eq!(parse_rst(b"<a/>"), Err(RstError::NotSoap));
        assert!(matches!(parse_rst(b"<a"), Err(RstError::Xml(_))));
        assert_eq!(
            parse_rst(
                format!("<s:Envelope xmlns:s=\"{SOAP11}\"><s:Body/></s:Envelope>").as_bytes()
            ),
            Err(RstError::NoRst)
        );
    }

    #[test]
    fn the_response_carries_an_assertion_that_comes_back_as_the_token() {
        let rst = parse_rst(sipe_rst().as_bytes()).unwrap();
        let t = Ticket {
            id: "SamlSecurityToken-abc_-1",
            user: "alice@lyncdude.net",
            issuer: "https://lyncweb.lyncdude.net",
            now: UNIX_EPOCH + Duration::from_secs(1_796_415_300),
            lifetime: Duration::from_secs(3600),
        };
        let body = rstr(&rst, &t);
        let doc = roxmltree::Document::parse(&body).unwrap();
        let find = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name(name))
                .unwrap_or_else(|| panic!("no {name}"))
        };
        assert_eq!(
            find("RequestSecurityTokenResponse").attribute("Context"),
            Some("ctx-1")
        );
        assert_eq!(find("Expires").text(), Some("2026-12-04T21:15:00Z"));
        assert_eq!(find("Created").text(), Some("2026-12-04T20:15:00Z"));
        // What sipe does with it: take the raw `<saml:Assertion …>…</saml:Assertion>` text, base64 it.
        let start = body.find("<saml:Assertion").unwrap();
        let end = body.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body[start..end]);
        assert_eq!(
            ticket_token(&format!("opaque={b64}")).as_deref(),
            Some("SamlSecurityToken-abc_-1")
        );
        assert_eq!(ticket_token("opaque=cwt=xyz").as_deref(), Some("cwt=xyz"));
        assert_eq!(ticket_token("bearer x"), None);
        let not_assertion =
            base64::engine::general_purpose::STANDARD.encode("<x AssertionID=\"a\"/>");
        assert_eq!(ticket_token(&format!("opaque={not_assertion}")), None);
    }

    #[test]
    fn mex_lists_only_the_negotiate_port() {
        let m = mex("https://lyncweb.lyncdude.net");
        let doc = roxmltree::Document::parse(&m).unwrap();
        let ports: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("port"))
            .map(|p| {
                (
                    p.attribute("name").unwrap(),
                    p.children()
                        .find(|n| n.has_tag_name("address"))
                        .and_then(|a| a.attribute("location"))
                        .unwrap(),
                )
            })
            .collect();
        assert_eq!(
            ports,
            [(
                NEGOTIATE_PORT,
                "https://lyncweb.lyncdude.net/WebTicket/WebTicketService.svc/Auth"
            )]
        );
    }

    #[test]
    fn datetimes_are_utc_civil_dates() {
        assert_eq!(datetime(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            datetime(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
