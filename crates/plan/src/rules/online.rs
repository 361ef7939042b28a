//! Online / hybrid domains: Microsoft's published records ([S28]), and the Online service names they point at.

use super::{Out, Placement, why};
use crate::{Feature, Need};
use lyncdns_lync::naming::LYNCDISCOVER;
use lyncdns_lync::services::{SIP_TLS, SIPFEDERATIONTLS};

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// Online Autodiscover.
pub const WEBDIR: &str = "webdir.online.lync.com";
/// Online SIP directors.
pub const SIPDIR: &str = "sipdir.online.lync.com";
/// Online federation.
pub const SIPFED: &str = "sipfed.online.lync.com";

/// The external records of every domain hosted entirely Online.
pub(super) fn records(out: &mut Out<'_>) {
    let d = out.d;
    for domain in d.online_domains() {
        let dom = domain.as_str();
        let w = |text: &str| {
            why(Feature::Online, Need::Required, &["S28"], text.to_owned()).at(Placement::SipDomain)
        };
        out.cname(
            domain.prefixed(LYNCDISCOVER).as_str(),
            WEBDIR,
            w("Online domain: Autodiscover is Microsoft's webdir"),
        );
        out.cname(
            domain.prefixed("sip").as_str(),
            SIPDIR,
            w("Online domain: SIP directors"),
        );
        out.srv(
            &SIP_TLS.owner(dom),
            (100, 1, SIP_TLS.port),
            SIPDIR,
            w("Online domain: external sign-in"),
        );
        out.srv(
            &SIPFEDERATIONTLS.owner(dom),
            (100, 1, SIPFEDERATIONTLS.port),
            SIPFED,
            w("Online domain: federation"),
        );
    }
}
