//! How a discovery ends: the [`Verdict`].

use serde::Serialize;

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

/// How discovery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The client signs in (or reaches what it needs).
    pub ok: bool,
    /// One line: "signs in at pool01.contoso.com:5061 via _sipinternaltls._tcp", or the exact reason it fails.
    pub summary: String,
    /// The server and port it signs in at.
    pub target: Option<(String, u16)>,
    /// The discovery step that decided it (`lyncdiscoverinternal`, `_sip._tls`, …).
    pub via: Option<String>,
    /// The user sees the "cannot verify that the server is trusted" prompt first [S24].
    pub trust_prompt: bool,
}
