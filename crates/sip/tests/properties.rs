//! Property tests: the parser and the framer never panic on any input, a serialized message parses back to
//! itself, and the registrar answers every parsed request without panicking, with a response that parses.

use lyncdns_sip::framing::{self, Frame};
use lyncdns_sip::message::{Challenge, Message, SipUri};
use lyncdns_sip::registrar::{Directory, Registrar, Role, answer};
use proptest::prelude::*;

fn registrar(role: Role) -> Registrar {
    Registrar {
        fqdn: "fe01.contoso.com".into(),
        role,
        server: "RTC/6.0 lyncdns".into(),
        cert_provisioning: None,
    }
}

/// Text that looks like SIP often enough to go past the start line.
fn sipish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("REGISTER sip:contoso.com SIP/2.0".to_owned()),
        Just("OPTIONS sip:x SIP/2.0".to_owned()),
        Just("SIP/2.0 301 Moved".to_owned()),
        "[A-Za-z-]{1,12}: [ -~]{0,40}",
        Just("To: <sip:alice@contoso.com>".to_owned()),
        Just("l: 4".to_owned()),
        Just("Content-Length: 0".to_owned()),
        Just("".to_owned()),
        "[ -~]{0,30}",
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(lines, tail)| {
            let mut out = lines.join("\r\n").into_bytes();
            out.extend_from_slice(b"\r\n\r\n");
            out.extend(tail);
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nothing_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::parse(&bytes);
        let _ = framing::next(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = SipUri::parse(text);
            let _ = Challenge::parse(text);
        }
    }

    #[test]
    fn sip_like_input_is_framed_parsed_and_answered(bytes in sipish()) {
        if let Ok(Frame::Message(m, used)) = framing::next(&bytes) {
            prop_assert!(used <= bytes.len());
            // Serializing normalizes Content-Length once; after that, a message and its bytes agree.
            let once = Message::parse(&m.to_bytes()).expect("a serialized message parses");
            let twice = Message::parse(&once.to_bytes()).expect("a serialized message parses");
            prop_assert_eq!(&twice, &once);
            prop_assert_eq!((&once.start, &once.body), (&m.start, &m.body));
            for role in [Role::Director, Role::Pool] {
                let (_, response) = answer(&registrar(role), &Directory::default(), &m, "t");
                if let Some(r) = response {
                    prop_assert!(Message::parse(&r.to_bytes()).is_ok());
                }
            }
        }
        let _ = Message::parse(&bytes);
    }

    #[test]
    fn uris_print_and_parse_back(user in "[a-z0-9.]{1,10}", host in "[a-z0-9-]{1,10}(\\.[a-z]{2,5}){1,2}", port in proptest::option::of(any::<u16>())) {
        let text = match port {
            Some(p) => format!("sip:{user}@{host}:{p};transport=tls"),
            None => format!("sip:{user}@{host};transport=tls"),
        };
        let uri = SipUri::parse(&text).expect("a SIP URI");
        prop_assert_eq!(uri.to_string(), text);
    }
}
