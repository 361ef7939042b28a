//! Reading Autodiscover responses, XML or JSON: the links and the SIP access element for the caller's location.

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// `(token, href)` pairs: XML `Link` elements, or JSON `_links` entries.
pub fn links(body: &str) -> Vec<(String, String)> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) else {
            return Vec::new();
        };
        let Some(map) = v.get("_links").and_then(|l| l.as_object()) else {
            return Vec::new();
        };
        return map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.get("href")?.as_str()?.trim().to_owned())))
            .collect();
    }
    let Ok(doc) = roxmltree::Document::parse(trimmed) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("Link"))
        .filter_map(|n| {
            Some((
                n.attribute("token")?.trim().to_owned(),
                n.attribute("href")?.trim().to_owned(),
            ))
        })
        .collect()
}

/// The href of the first link whose token is one of `tokens`.
pub fn link<'a>(links: &'a [(String, String)], tokens: &[&str]) -> Option<&'a str> {
    links
        .iter()
        .find(|(t, _)| tokens.contains(&t.as_str()))
        .map(|(_, h)| h.as_str())
}

/// The SIP server of an XML user document for the caller's location: `SipClientInternalAccess` when
/// `AccessLocation` is Internal, `SipClientExternalAccess` when External; with no location, internal first as
/// pidgin-sipe does [S27]. Values are trimmed (Microsoft's own samples carry stray spaces, [S4]).
pub fn sip_access(body: &str) -> Option<(String, u16)> {
    let doc = roxmltree::Document::parse(body.trim_start()).ok()?;
    let location = doc
        .root_element()
        .attribute("AccessLocation")
        .map(str::to_ascii_lowercase);
    let order: &[&str] = match location.as_deref() {
        Some("internal") => &["SipClientInternalAccess"],
        Some("external") => &["SipClientExternalAccess"],
        _ => &["SipClientInternalAccess", "SipClientExternalAccess"],
    };
    order.iter().find_map(|tag| {
        let n = doc.descendants().find(|n| n.has_tag_name(*tag))?;
        Some((
            n.attribute("fqdn")?.trim().to_ascii_lowercase(),
            n.attribute("port")?.trim().parse().ok()?,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_microsofts_sample_with_stray_spaces() {
        let xml = r#"<?xml version="1.0"?><AutodiscoverResponse AccessLocation="External"><User>
            <SipClientInternalAccess fqdn=" pool01.contoso.com" port="443"/>
            <SipClientExternalAccess fqdn="sip.contoso.com " port="443"/>
            <Link token="Self" href="https://x/self"/></User></AutodiscoverResponse>"#;
        assert_eq!(sip_access(xml), Some(("sip.contoso.com".into(), 443)));
        assert_eq!(
            links(xml),
            [("Self".to_owned(), "https://x/self".to_owned())]
        );
        let json = r#"{"_links":{"user":{"href":"https://a/u"},"xframe":{"href":"https://a/x"}}}"#;
        assert_eq!(link(&links(json), &["user"]), Some("https://a/u"));
        assert!(links("garbage").is_empty());
    }
}
