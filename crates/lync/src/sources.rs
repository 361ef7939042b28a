//! The published documents behind the source keys cited across lyncdns.
//!
//! `docs/lync.md`, the project's research notes, backs every fact about Lync / Skype for Business DNS records,
//! client discovery and Autodiscover with a source key: `S1` … `S51`, plus `S37b`. The code cites the same keys: in
//! doc comments (`[S8]`, `[S1], [S7]`), in the `sources` field of plan rows and certificate names (`vec!["S8"]`), and
//! in the explanations printed by `lyncdns lint --explain`. This module is the key table: each key's title,
//! publisher, address and what lyncdns takes from it. [`get`] looks a key up and [`ALL`] lists them in order.
//!
//! `docs/sources.md` is the same table for readers; the crate's `tests/sources.rs` checks that it lists exactly these
//! keys with the same addresses, and that every key cited anywhere under `crates/` and `examples/` is defined here.
//!
//! Where docs/lync.md gave only a shortened address or none, the entry's `supports` text says which address was
//! used instead and why.

/// One published source: a key as cited in the code, and the document it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The key as cited, e.g. `"S8"` or `"S37b"`.
    pub key: &'static str,
    /// The document's title (for blog posts whose title is not recorded, a description says so).
    pub title: &'static str,
    /// Who published it: the vendor and documentation set, the blog, or the project.
    pub publisher: &'static str,
    /// A full `https://` address of the document (or of the file, for sources read in a repository).
    pub url: &'static str,
    /// What lyncdns takes from the source, in one or two sentences.
    pub supports: &'static str,
}

/// DNS requirements for Skype for Business Server
///
/// Publisher: Microsoft, Skype for Business Server documentation.
///
/// <https://learn.microsoft.com/skypeforbusiness/plan-your-deployment/network-requirements/dns>
///
/// Source file: `Skype/SfbServer/plan-your-deployment/network-requirements/dns.md` in MicrosoftDocs/OfficeDocs-SkypeForBusiness.
pub const S1: Source = Source {
    key: "S1",
    title: "DNS requirements for Skype for Business Server",
    publisher: "Microsoft, Skype for Business Server documentation",
    url: "https://learn.microsoft.com/skypeforbusiness/plan-your-deployment/network-requirements/dns",
    supports: "The main record table lyncdns plans from: internal and external names per role and feature (pools, web services, lyncdiscover and lyncdiscoverinternal, sip, the SRV records and their ports, `_ntp._udp`, ucupdates-r2, simple URLs), and its footnote that the legacy SRV and A records serve only pre-2013 clients and desk phones. Two revisions of its GitHub source (commits 0916de06 and f7954a5e) show the old `_sipinternal` row being corrected to `sipinternal`.",
};

/// Advanced Edge Server DNS planning for Skype for Business Server
///
/// Publisher: Microsoft, Skype for Business Server documentation.
///
/// <https://learn.microsoft.com/skypeforbusiness/plan-your-deployment/edge-server-deployments/advanced-edge-server-dns>
pub const S2: Source = Source {
    key: "S2",
    title: "Advanced Edge Server DNS planning for Skype for Business Server",
    publisher: "Microsoft, Skype for Business Server documentation",
    url: "https://learn.microsoft.com/skypeforbusiness/plan-your-deployment/edge-server-deployments/advanced-edge-server-dns",
    supports: "How Skype for Business clients look services up and in which order, the rule that an SRV target must be a host in the SRV's own domain, pin-point zones and the other split-brain workarounds, DNS load balancing and its failover behaviour, and SRV priority and weight selection.",
};

/// Determine DNS requirements for Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-determine-dns-requirements.md>
pub const S3: Source = Source {
    key: "S3",
    title: "Determine DNS requirements for Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-determine-dns-requirements.md",
    supports: "The Lync 2013 client lookup order (Autodiscover first, then the SRV and A fallbacks, `_sipinternal._tcp` only when TCP is allowed), the Windows Store app that never falls back, the same-domain rule for SRV targets, the allowed FQDN characters, and mobile traffic always going through the reverse proxy. TechNet Gg398758 (v=OCS.15), read in a public bilingual archive of the Lync docs that keeps the English text; the URL is that archive file.",
};

/// Understanding Autodiscover in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-understanding-autodiscover.md>
pub const S4: Source = Source {
    key: "S4",
    title: "Understanding Autodiscover in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-understanding-autodiscover.md",
    supports: "The Autodiscover response document the service serves and the simulator parses (User element, SipClient and SipServer access entries, Link tokens and which of them are reserved), JSON as the default format, and the statement that mobile clients use Autodiscover only, one side of a documented disagreement. TechNet JJ945654, read in the same public archive as S3.",
};

/// DNS summary - Autodiscover in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://learn.microsoft.com/previous-versions/office/lync-server-2013/lync-server-2013-dns-summary-autodiscover>
pub const S5: Source = Source {
    key: "S5",
    title: "DNS summary - Autodiscover in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://learn.microsoft.com/previous-versions/office/lync-server-2013/lync-server-2013-dns-summary-autodiscover",
    supports: "lyncdiscover and lyncdiscoverinternal as A or CNAME records aimed at the Director's web services when there is a Director (else the Front End pool's), what goes wrong without lyncdiscoverinternal, and why a CNAME into another DNS domain only works over HTTP for mobile clients.",
};

/// Autodiscover service requirements for Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-autodiscover-service-requirements.md>
pub const S6: Source = Source {
    key: "S6",
    title: "Autodiscover service requirements for Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-autodiscover-service-requirements.md",
    supports: "The certificate names Autodiscover needs on the reverse proxy (a lyncdiscover name per SIP domain when published on 443), the port 80 to 8080 alternative with its plain-HTTP first request carrying `?sipuri=`, and the hosting-provider Autodiscover URL for hybrid. TechNet Hh690012 (v=OCS.15), read in the same public archive as S3.",
};

/// DNS summary - Scaled consolidated edge, DNS load balancing with public IP addresses (Lync Server 2013)
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/jj205319(v=ocs.15).aspx>
pub const S7: Source = Source {
    key: "S7",
    title: "DNS summary - Scaled consolidated edge, DNS load balancing with public IP addresses (Lync Server 2013)",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/jj205319(v=ocs.15).aspx",
    supports: "The external Edge records per SIP domain: `sip` as an A record, `_sip._tls` on 443 as required for external automatic configuration, and `_sipfederationtls._tcp` on 5061 for federation and push notifications (external DNS only). docs/lync.md read it in the it-IT bilingual archive copy, whose file it does not name; the URL is the TechNet address (JJ205319) that the archive copies record for this page.",
};

/// Edge Server environmental requirements in Skype for Business Server
///
/// Publisher: Microsoft, Skype for Business Server documentation.
///
/// <https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/plan-your-deployment/edge-server-deployments/edge-environmental-requirements.md>
pub const S8: Source = Source {
    key: "S8",
    title: "Edge Server environmental requirements in Skype for Business Server",
    publisher: "Microsoft, Skype for Business Server documentation",
    url: "https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/plan-your-deployment/edge-server-deployments/edge-environmental-requirements.md",
    supports: "The external Edge names and SRV records (sip, web conferencing, A/V, `_sip._tls`, `_sipfederationtls._tcp`, `_xmpp-server._tcp`) repeated for every SIP domain, and the Edge certificate names. Its own `_sipfederationtls_tcp` typo is one of the misspelt-owner examples the checker knows.",
};

/// Plan for mobility for Skype for Business Server
///
/// Publisher: Microsoft, Skype for Business Server documentation.
///
/// <https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/plan-your-deployment/mobility.md>
pub const S9: Source = Source {
    key: "S9",
    title: "Plan for mobility for Skype for Business Server",
    publisher: "Microsoft, Skype for Business Server documentation",
    url: "https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/plan-your-deployment/mobility.md",
    supports: "Mobility requirements: separate internal and external web service names, mobile clients hair-pinning through the reverse proxy even on the LAN, the certificate names lyncdiscover needs, the manual Autodiscover URLs, and MCX being gone in Skype for Business Server 2019.",
};

/// DNS requirements for automatic client sign-in in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-dns-requirements-for-automatic-client-sign-in.md>
pub const S10: Source = Source {
    key: "S10",
    title: "DNS requirements for automatic client sign-in in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-dns-requirements-for-automatic-client-sign-in.md",
    supports: "The Lync 2013 view that `_sipinternaltls._tcp` to the pool on 5061 must exist for automatic configuration (one side of the required-or-optional disagreement), and strict DNS naming with the DisableStrictDNSNaming policy as the way to suffix matching. TechNet Gg425884 (v=OCS.15); docs/lync.md names only the archive, and the URL is this page's file in the same archive as S3.",
};

/// Certificate requirements for mobility (Lync Server 2010)
///
/// Publisher: Microsoft, Lync Server 2010 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/hh690044(v=ocs.14).aspx>
pub const S11: Source = Source {
    key: "S11",
    title: "Certificate requirements for mobility (Lync Server 2010)",
    publisher: "Microsoft, Lync Server 2010 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/hh690044(v=ocs.14).aspx",
    supports: "The lyncdiscover and lyncdiscoverinternal names (or a wildcard for the SIP domain) that Director and Front End certificates need for mobility. The URL is the TechNet address of hh690044; the Lync 2013 copy docs/lync.md also cites, on unifiedpeople.ru, is given there only in shortened form and is not resolved.",
};

/// \[MS-OCDISCWS\]: Lync Autodiscover Web Service Protocol
///
/// Publisher: Microsoft, Open Specifications (Office protocols).
///
/// <https://learn.microsoft.com/openspecs/office_protocols/ms-ocdiscws>
///
/// Sections: 3.1.5.2 Root <https://learn.microsoft.com/openspecs/office_protocols/ms-ocdiscws/70b7c616-43c4-4472-aee3-3b1f60617180>,
/// 3.1.5.3 User <https://learn.microsoft.com/openspecs/office_protocols/ms-ocdiscws/558e6357-7362-472b-b857-b5fef2106ed1>,
/// 2.2.5.5 Token <https://learn.microsoft.com/openspecs/office_protocols/ms-ocdiscws/f8058ddf-dd66-4135-a70e-42a46d7e0400>;
/// 3.1.5.5 OAuth is cited in docs/lync.md only as MSDN hh658089.
pub const S12: Source = Source {
    key: "S12",
    title: "[MS-OCDISCWS]: Lync Autodiscover Web Service Protocol",
    publisher: "Microsoft, Open Specifications (Office protocols)",
    url: "https://learn.microsoft.com/openspecs/office_protocols/ms-ocdiscws",
    supports: "The wire contract the Autodiscover service follows: the Root, User and OAuth user resources with their 200, 401, 403 and 404 answers, the plain-HTTP root answering with a single Redirect, and the Redirect token being the next hop's root URL. The sections used are 3.1.5.2, 3.1.5.3, 3.1.5.5 and 2.2.5.5.",
};

/// Root URL (UCWA 2.0)
///
/// Publisher: Microsoft, UCWA 2.0 developer documentation.
///
/// <https://learn.microsoft.com/skype-sdk/ucwa/rooturl>
pub const S13: Source = Source {
    key: "S13",
    title: "Root URL (UCWA 2.0)",
    publisher: "Microsoft, UCWA 2.0 developer documentation",
    url: "https://learn.microsoft.com/skype-sdk/ucwa/rooturl",
    supports: "The UCWA discovery flow: internal before external, HTTPS strongly preferred, what counts as a failed attempt, the HTTP-to-HTTPS redirect, checking a redirect before following it, when to restart discovery, and lyncdiscover needing to point at a 2013 or later pool in coexistence.",
};

/// Create an application (UCWA 2.0)
///
/// Publisher: Microsoft, UCWA 2.0 developer documentation.
///
/// <https://learn.microsoft.com/skype-sdk/ucwa/createanapplication>
pub const S14: Source = Source {
    key: "S14",
    title: "Create an application (UCWA 2.0)",
    publisher: "Microsoft, UCWA 2.0 developer documentation",
    url: "https://learn.microsoft.com/skype-sdk/ucwa/createanapplication",
    supports: "A full HTTP trace of discovery and sign-in: the JSON root with self, user and xframe links, the 401 with Bearer and MsRtcOAuth challenges, the token endpoint's `cwt=` access tokens, and the `originalDomain` query parameter; the Autodiscover service reproduces these shapes.",
};

/// Authentication in UCWA
///
/// Publisher: Microsoft, UCWA 2.0 developer documentation.
///
/// <https://ucwa.skype.com/documentation/GettingStarted-Authentication>
pub const S15: Source = Source {
    key: "S15",
    title: "Authentication in UCWA",
    publisher: "Microsoft, UCWA 2.0 developer documentation",
    url: "https://ucwa.skype.com/documentation/GettingStarted-Authentication",
    supports: "The OAuth token request (grant types such as password and Windows) used in the JSON sign-in flow. Also published on MSDN as dn356686.",
};

/// Lync Server 2010 - Mobility Deep Dive - Autodiscover Service
///
/// Publisher: Microsoft NextHop blog (Greg Anthony, 2012).
///
/// <https://techcommunity.microsoft.com/t5/skype-for-business-blog/lync-server-2010-mobility-deep-dive-8211-autodiscover-service/ba-p/620381>
pub const S16: Source = Source {
    key: "S16",
    title: "Lync Server 2010 - Mobility Deep Dive - Autodiscover Service",
    publisher: "Microsoft NextHop blog (Greg Anthony, 2012)",
    url: "https://techcommunity.microsoft.com/t5/skype-for-business-blog/lync-server-2010-mobility-deep-dive-8211-autodiscover-service/ba-p/620381",
    supports: "Background on the Lync 2010 Autodiscover service and how mobile clients try lyncdiscoverinternal, then lyncdiscover; listed for completeness, not cited in the code.",
};

/// Lync Client Discovery Process
///
/// Publisher: ITPro Today.
///
/// <https://itprotoday.com/conferencing/lync-client-discovery-process>
pub const S17: Source = Source {
    key: "S17",
    title: "Lync Client Discovery Process",
    publisher: "ITPro Today",
    url: "https://itprotoday.com/conferencing/lync-client-discovery-process",
    supports: "The lookup order of the Lync 2010 desktop client before the Autodiscover update (SRV records, then the sipinternal, sip and sipexternal A records), simulated as its own client profile.",
};

/// Lync Client 2013 Autodiscover
///
/// Publisher: cusoon.fr.
///
/// <https://www.cusoon.fr/lync-client-2013-autodiscover/>
pub const S18: Source = Source {
    key: "S18",
    title: "Lync Client 2013 Autodiscover",
    publisher: "cusoon.fr",
    url: "https://www.cusoon.fr/lync-client-2013-autodiscover/",
    supports: "A third-party claim that a Survivable Branch Appliance does not support lyncdiscover; not cited in the code.",
};

/// Client log-in discovery (title taken from the address)
///
/// Publisher: ucsorted.com.
///
/// <https://ucsorted.com/2014/02/17/client-log-in-discovery>
pub const S19: Source = Source {
    key: "S19",
    title: "Client log-in discovery (title taken from the address)",
    publisher: "ucsorted.com",
    url: "https://ucsorted.com/2014/02/17/client-log-in-discovery",
    supports: "A trace of a Lync 2013 client's legacy lookups with TCP disallowed, showing that a present but wrong SRV record does not stop it from moving on to the next method.",
};

/// Communicator Phone Edition DNS query order (OCS 2007 R2)
///
/// Publisher: Microsoft, Office Communications Server 2007 R2 documentation (unifiedpeople.ru mirror).
///
/// <https://unifiedpeople.ru/ocs2007r2.en/html/a22cf815-8c30-4abc-aa53-1c8006c740e8.htm>
pub const S20: Source = Source {
    key: "S20",
    title: "Communicator Phone Edition DNS query order (OCS 2007 R2)",
    publisher: "Microsoft, Office Communications Server 2007 R2 documentation (unifiedpeople.ru mirror)",
    url: "https://unifiedpeople.ru/ocs2007r2.en/html/a22cf815-8c30-4abc-aa53-1c8006c740e8.htm",
    supports: "The historic desk phone order (three SRV records, then sipinternal, sip and sipexternal each on 5061 and then 443, with DNS suffixes appended on failure), used for the A-record ports in the client simulator.",
};

/// Log on to the Lync Server (Lync Server 2010 devices)
///
/// Publisher: Microsoft, Lync Server 2010 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/gg398713(v=ocs.14).aspx>
pub const S21: Source = Source {
    key: "S21",
    title: "Log on to the Lync Server (Lync Server 2010 devices)",
    publisher: "Microsoft, Lync Server 2010 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/gg398713(v=ocs.14).aspx",
    supports: "The Lync Phone Edition registrar search (internal SRV over TLS, DHCP over TLS, internal SRV over TCP, DHCP over TCP, then external DNS) with no A-record fallback, and the phone records the planner publishes. docs/lync.md also cites a Lync 2010 phone troubleshooting page on unifiedpeople.ru in shortened form; it is not resolved.",
};

/// Configuring DHCP Options to Enable Sign-in for IP Phones
///
/// Publisher: Microsoft, Lync Server 2010 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/gg398088(v=ocs.14).aspx>
pub const S22: Source = Source {
    key: "S22",
    title: "Configuring DHCP Options to Enable Sign-in for IP Phones",
    publisher: "Microsoft, Lync Server 2010 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/gg398088(v=ocs.14).aspx",
    supports: "DHCP options 43 and 120 in the desk phone sign-in order and in the phone settings of a deployment.",
};

/// Lync Phone Edition CU7 Registration Issues
///
/// Publisher: Jeff Schertz (blog.schertz.name).
///
/// <https://blog.schertz.name/2013/08/lync-phone-edition-cu7-registration-issues/>
pub const S23: Source = Source {
    key: "S23",
    title: "Lync Phone Edition CU7 Registration Issues",
    publisher: "Jeff Schertz (blog.schertz.name)",
    url: "https://blog.schertz.name/2013/08/lync-phone-edition-cu7-registration-issues/",
    supports: "Strict DNS naming on Lync Phone Edition from CU7 (January 2013, firmware 4.0.7577.4363 and later): a phone refuses an SRV target outside the SIP domain where the desktop client would only ask for trust.",
};

/// Lync cannot verify that the server is trusted for your sign-in address
///
/// Publisher: J. Strand, TechNet blog (jenstr), 2011.
///
/// <https://blogs.technet.microsoft.com/jenstr/2011/02/10/lync-cannot-verify-that-the-server-is-trusted-for-your-sign-in-address/>
pub const S24: Source = Source {
    key: "S24",
    title: "Lync cannot verify that the server is trusted for your sign-in address",
    publisher: "J. Strand, TechNet blog (jenstr), 2011",
    url: "https://blogs.technet.microsoft.com/jenstr/2011/02/10/lync-cannot-verify-that-the-server-is-trusted-for-your-sign-in-address/",
    supports: "The Lync 2010 and later trust check for discovered servers: the trusted-domain list (always-trusted domains, the SIP domain, the last good server's domain), subdomain matching, the trust prompt, and servers that are trusted without a check.",
};

/// Trusted Domain List (Office policy L_PolicyTrustModelData)
///
/// Publisher: Microsoft Office administrative templates (ADMX), as listed by policypicker.app.
///
/// <https://policypicker.app/policy/microsoftoffice/skype-for-business-2016/microsoft-lync-feature-policies/trusted-domain-list-cf7d8ff1cc76>
pub const S25: Source = Source {
    key: "S25",
    title: "Trusted Domain List (Office policy L_PolicyTrustModelData)",
    publisher: "Microsoft Office administrative templates (ADMX), as listed by policypicker.app",
    url: "https://policypicker.app/policy/microsoftoffice/skype-for-business-2016/microsoft-lync-feature-policies/trusted-domain-list-cf7d8ff1cc76",
    supports: "TrustModelData: a comma-separated list of trusted domains under the Office 16.0 Lync policy key; its default list, and that setting the policy replaces the defaults instead of adding to them.",
};

/// Lync 2010 Mobility Sign-in Internals
///
/// Publisher: Kloud (blog.kloud.com.au), 2011.
///
/// <https://blog.kloud.com.au/2011/12/12/lync-2010-mobility-sign-in-internals/>
pub const S26: Source = Source {
    key: "S26",
    title: "Lync 2010 Mobility Sign-in Internals",
    publisher: "Kloud (blog.kloud.com.au), 2011",
    url: "https://blog.kloud.com.au/2011/12/12/lync-2010-mobility-sign-in-internals/",
    supports: "A packet trace of Lync 2010 Mobile on Windows Phone: lyncdiscoverinternal then lyncdiscover, HTTP and HTTPS both opened, and the `/?sipuri=` request path; not cited in the code.",
};

/// pidgin-sipe: sipe-lync-autodiscover.c and sip-transport.c
///
/// Publisher: pidgin-sipe project (GitHub mirror tieto/sipe).
///
/// <https://github.com/tieto/sipe/blob/ad0d885d8a52316ab8103013446318987d66a764/src/core/sipe-lync-autodiscover.c>
pub const S27: Source = Source {
    key: "S27",
    title: "pidgin-sipe: sipe-lync-autodiscover.c and sip-transport.c",
    publisher: "pidgin-sipe project (GitHub mirror tieto/sipe)",
    url: "https://github.com/tieto/sipe/blob/ad0d885d8a52316ab8103013446318987d66a764/src/core/sipe-lync-autodiscover.c",
    supports: "How an open-source client runs Lync Autodiscover: HTTP and HTTPS per host in lockstep, the XML Accept and Content-Type check, parsing the Root and User links, the WebTicket path, and its SRV and A fallback list. The URL is the Autodiscover file at the commit docs/lync.md read (ad0d885d); sip-transport.c is in the same directory.",
};

/// Troubleshoot Skype for Business Online DNS configuration issues in Office 365
///
/// Publisher: Microsoft Support (KB 2566790).
///
/// <https://support.microsoft.com/help/2566790>
pub const S28: Source = Source {
    key: "S28",
    title: "Troubleshoot Skype for Business Online DNS configuration issues in Office 365",
    publisher: "Microsoft Support (KB 2566790)",
    url: "https://support.microsoft.com/help/2566790",
    supports: "The records an Online or hybrid domain needs (lyncdiscover and sip CNAMEs to webdir and sipdir.online.lync.com, `_sip._tls` 443 and `_sipfederationtls._tcp` 5061 SRV records) with their priority 100, weight 1 and one-hour TTL, and the problem of DNS hosts that cannot publish SRV records. docs/lync.md names the article but gives no address; the URL is its KB number, as Microsoft's own pages link it.",
};

/// Using Lync Connectivity Analyzer (Lync Server 2013)
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/jj907302(v=ocs.15).aspx>
pub const S29: Source = Source {
    key: "S29",
    title: "Using Lync Connectivity Analyzer (Lync Server 2013)",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/jj907302(v=ocs.15).aspx",
    supports: "The Autodiscover attempt order the Connectivity Analyzer uses for the Store app and mobile profiles (HTTPS internal, HTTP internal, HTTPS external, HTTP external), the default order of the client simulator.",
};

/// Review the administrator reports (Skype for Business Server Planning Tool)
///
/// Publisher: Microsoft, Skype for Business Server documentation.
///
/// <https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/management-tools/planning-tool/review-the-administrator-reports.md>
pub const S30: Source = Source {
    key: "S30",
    title: "Review the administrator reports (Skype for Business Server Planning Tool)",
    publisher: "Microsoft, Skype for Business Server documentation",
    url: "https://github.com/MicrosoftDocs/OfficeDocs-SkypeForBusiness/blob/HEAD/Skype/SfbServer/management-tools/planning-tool/review-the-administrator-reports.md",
    supports: "What Microsoft's Planning Tool offers for DNS (a report of internal, perimeter and external records, without querying live DNS), for comparison with lyncdns; not cited in the code.",
};

/// OnPremDiag (OPD) for Skype for Business Server
///
/// Publisher: Microsoft (GitHub organisation onpremdiag).
///
/// <https://github.com/onpremdiag/SfBServer>
pub const S31: Source = Source {
    key: "S31",
    title: "OnPremDiag (OPD) for Skype for Business Server",
    publisher: "Microsoft (GitHub organisation onpremdiag)",
    url: "https://github.com/onpremdiag/SfBServer",
    supports: "Microsoft's on-premises diagnostic rules, among them RDCheckLyncdiscoverRecord (`src/mode/sfbserver/rules/Hybrid/RDCheckLyncdiscoverRecord.ps1`) and the sip and SRV record checks, for comparison with the checker; not cited in the code.",
};

/// Test-LyncSRVRecords.ps1
///
/// Publisher: jhochwald/PowerShell-collection on GitHub (script after J. Hulsmans).
///
/// <https://github.com/jhochwald/PowerShell-collection/blob/HEAD/Skype_for_Business/Test-LyncSRVRecords.ps1>
pub const S32: Source = Source {
    key: "S32",
    title: "Test-LyncSRVRecords.ps1",
    publisher: "jhochwald/PowerShell-collection on GitHub (script after J. Hulsmans)",
    url: "https://github.com/jhochwald/PowerShell-collection/blob/HEAD/Skype_for_Business/Test-LyncSRVRecords.ps1",
    supports: "An existing external-records check (sip, lyncdiscover, `_sipfederationtls._tcp`, `_sip._tls`) for comparison with the checker; not cited in the code.",
};

/// TAK PowerShell module: Test-SfBDNS and Test-SfBDiscover
///
/// Publisher: ntsystems.
///
/// <https://github.com/ntsystemsit/ntsystemsit.github.io/blob/HEAD/_OnlineHelp/Test-SfBDNS.md>
pub const S33: Source = Source {
    key: "S33",
    title: "TAK PowerShell module: Test-SfBDNS and Test-SfBDiscover",
    publisher: "ntsystems",
    url: "https://github.com/ntsystemsit/ntsystemsit.github.io/blob/HEAD/_OnlineHelp/Test-SfBDNS.md",
    supports: "An existing DNS and Autodiscover test: the names it probes, its filtering of answers equal to the zone apex's address to spot wildcard zones, and the `originalDomain` parameter seen in Online root links. The URL is the module's online help page; docs/lync.md does not give an address for the module source.",
};

/// mattermost-plugin-skype4business: server/plugin.go (determineRootURL)
///
/// Publisher: Mattermost community (GitHub).
///
/// <https://github.com/mattermost-community/mattermost-plugin-skype4business/blob/HEAD/server/plugin.go>
pub const S34: Source = Source {
    key: "S34",
    title: "mattermost-plugin-skype4business: server/plugin.go (determineRootURL)",
    publisher: "Mattermost community (GitHub)",
    url: "https://github.com/mattermost-community/mattermost-plugin-skype4business/blob/HEAD/server/plugin.go",
    supports: "A UCWA client's Autodiscover order (HTTPS internal, HTTPS external, HTTP internal, HTTP external), offered as a selectable order in the client simulator.",
};

/// Lync Server 2013 DNS records (blog post, December 2015; title taken from the address)
///
/// Publisher: messaginginfo.blogspot.com.
///
/// <https://messaginginfo.blogspot.com/2015/12/lync-server-2013-dns-records-and-auto.html>
pub const S35: Source = Source {
    key: "S35",
    title: "Lync Server 2013 DNS records (blog post, December 2015; title taken from the address)",
    publisher: "messaginginfo.blogspot.com",
    url: "https://messaginginfo.blogspot.com/2015/12/lync-server-2013-dns-records-and-auto.html",
    supports: "A real-world example of the mistakes the checker looks for: misspelt SRV owners such as `_sipfederationtls_.tcp`, and sip and `_sip._tls` pointed at the reverse proxy instead of the Access Edge.",
};

/// Configuring Autodiscover for hybrid deployments in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (TechNet library).
///
/// <https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-configuring-autodiscover-for-hybrid-deployments.md>
pub const S36: Source = Source {
    key: "S36",
    title: "Configuring Autodiscover for hybrid deployments in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (TechNet library)",
    url: "https://github.com/v-alji/OfficeArchive-LyncServer-pr.de-de/blob/HEAD/Lync-2013/LyncServer/lync-server-2013-configuring-autodiscover-for-hybrid-deployments.md",
    supports: "The hosting-provider Autodiscover URL step for hybrid deployments, and the page's misspelt path `autodisccoverservice.svc`; not cited in the code. docs/lync.md names only the archive; the URL is this page's file in the same archive as S3 (TechNet JJ945653).",
};

/// New-CsHostingProvider (hybrid shared SIP address space)
///
/// Publisher: Microsoft, Skype for Business PowerShell reference.
///
/// <https://learn.microsoft.com/powershell/module/skype/new-cshostingprovider>
pub const S37: Source = Source {
    key: "S37",
    title: "New-CsHostingProvider (hybrid shared SIP address space)",
    publisher: "Microsoft, Skype for Business PowerShell reference",
    url: "https://learn.microsoft.com/powershell/module/skype/new-cshostingprovider",
    supports: "The hybrid setup in which on-premises Autodiscover sends users homed Online to `https://webdir.online.lync.com/Autodiscover/AutodiscoverService.svc/root` (hosting provider with a shared address space). docs/lync.md cites the Skype for Business hybrid docs without naming a page, and several hybrid pages carry the same command; the URL is the cmdlet's reference page, which documents the parameter.",
};

/// Set-CsAutodiscoverConfiguration and New-CsWebLink
///
/// Publisher: Microsoft, Skype for Business PowerShell reference.
///
/// <https://learn.microsoft.com/powershell/module/skype/set-csautodiscoverconfiguration>
pub const S37B: Source = Source {
    key: "S37b",
    title: "Set-CsAutodiscoverConfiguration and New-CsWebLink",
    publisher: "Microsoft, Skype for Business PowerShell reference",
    url: "https://learn.microsoft.com/powershell/module/skype/set-csautodiscoverconfiguration",
    supports: "The Autodiscover configuration parameters (web links with token and href, the external SIP client access FQDN and port, certificate provisioning URL, CORS) that shape the response document. New-CsWebLink has its own page in the same reference.",
};

/// DNS Requirements for Standard Edition Servers (Lync Server 2010)
///
/// Publisher: Microsoft, Lync Server 2010 documentation (TechNet library).
///
/// <https://technet.microsoft.com/en-us/library/gg425900(v=ocs.14).aspx>
pub const S38: Source = Source {
    key: "S38",
    title: "DNS Requirements for Standard Edition Servers (Lync Server 2010)",
    publisher: "Microsoft, Lync Server 2010 documentation (TechNet library)",
    url: "https://technet.microsoft.com/en-us/library/gg425900(v=ocs.14).aspx",
    supports: "The ucupdates-r2 record that lets desk phones that never signed in find Device Update.",
};

/// Configure DNS records for a Front End pool in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (unifiedpeople.ru mirror).
///
/// <https://unifiedpeople.ru/lyncserver2013_itpro.en/html/02d2aa6b-9e01-437b-a2df-00590280150d.htm>
pub const S39: Source = Source {
    key: "S39",
    title: "Configure DNS records for a Front End pool in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (unifiedpeople.ru mirror)",
    url: "https://unifiedpeople.ru/lyncserver2013_itpro.en/html/02d2aa6b-9e01-437b-a2df-00590280150d.htm",
    supports: "The host-name rules the deployment reader enforces (only A-Z, a-z, 0-9 and '-'; no single-label domains), DNS records having to exist before the topology is published, and Topology Builder not creating them.",
};

/// The Director in Lync Server 2013
///
/// Publisher: Microsoft, Lync Server 2013 documentation (unifiedpeople.ru mirror).
///
/// <https://unifiedpeople.ru/lyncserver2013_itpro.en/html/d2cf384a-0860-4779-80ce-cba2543be322.htm>
pub const S40: Source = Source {
    key: "S40",
    title: "The Director in Lync Server 2013",
    publisher: "Microsoft, Lync Server 2013 documentation (unifiedpeople.ru mirror)",
    url: "https://unifiedpeople.ru/lyncserver2013_itpro.en/html/d2cf384a-0860-4779-80ce-cba2543be322.htm",
    supports: "The Director role: it authenticates and redirects users to their home pool but homes none, the Front End pool takes that role when there is no Director, and the Director's web services are published through the reverse proxy too. docs/lync.md also cites a second page (cf9919b3…, shortened, not resolved) and the ITPro article \"Lync Server 2013 Director role options\" (windowsitpro.com, now a redirect).",
};

/// lyncsmash; SprayingToolkit (lync module)
///
/// Publisher: nyxgeek (lyncsmash); byt3bl33d3r (SprayingToolkit), on GitHub.
///
/// <https://github.com/nyxgeek/lyncsmash>
pub const S41: Source = Source {
    key: "S41",
    title: "lyncsmash; SprayingToolkit (lync module)",
    publisher: "nyxgeek (lyncsmash); byt3bl33d3r (SprayingToolkit), on GitHub",
    url: "https://github.com/nyxgeek/lyncsmash",
    supports: "Offensive reconnaissance tools that look for lyncdiscover, meet, dialin and access names; lyncsmash probes a random label to detect wildcard zones, as the checker's wildcard rule does. SprayingToolkit is at https://github.com/byt3bl33d3r/SprayingToolkit.",
};

/// Lync Edge Server Best Practices
///
/// Publisher: Jeff Schertz (blog.schertz.name), 2012.
///
/// <https://blog.schertz.name/2012/07/lync-edge-server-best-practices/>
pub const S42: Source = Source {
    key: "S42",
    title: "Lync Edge Server Best Practices",
    publisher: "Jeff Schertz (blog.schertz.name), 2012",
    url: "https://blog.schertz.name/2012/07/lync-edge-server-best-practices/",
    supports: "The split of duties behind the reverse-proxy rule: the Edge Server carries everything except web services, and the reverse proxy carries only HTTP and HTTPS.",
};

/// Skype Meeting Icon missing from OWA in Exchange Online (TLS 1.0 Required)
///
/// Publisher: silbers.net, 2016.
///
/// <https://silbers.net/blog/2016/06/22/skype-meeting-icon-missing-from-owa-in-exchange-online/>
pub const S43: Source = Source {
    key: "S43",
    title: "Skype Meeting Icon missing from OWA in Exchange Online (TLS 1.0 Required)",
    publisher: "silbers.net, 2016",
    url: "https://silbers.net/blog/2016/06/22/skype-meeting-icon-missing-from-owa-in-exchange-online/",
    supports: "Evidence that the Remote Connectivity Analyzer's Skype for Business Autodiscover Web Service test and some client web calls use TLS 1.0 and fail when the reverse proxy disables it; not cited in the code.",
};

/// LyncDiscover and Auto Discovery Deeper Dive
///
/// Publisher: skypepro.co.uk.
///
/// <https://skypepro.co.uk/lyncdiscover-and-auto-discovery-deeper-dive/>
pub const S44: Source = Source {
    key: "S44",
    title: "LyncDiscover and Auto Discovery Deeper Dive",
    publisher: "skypepro.co.uk",
    url: "https://skypepro.co.uk/lyncdiscover-and-auto-discovery-deeper-dive/",
    supports: "Notes on the Lync Connectivity Analyzer (it crashed on .NET 4.5.1) and on the lyncdiscover process, for the comparison with existing tools; not cited in the code.",
};

/// Skype for Business Online retirement
///
/// Publisher: Microsoft, Microsoft Teams documentation.
///
/// <https://learn.microsoft.com/microsoftteams/skype-for-business-online-retirement>
///
/// Source file: `Teams/skype-for-business-online-retirement.md` in MicrosoftDocs/OfficeDocs-SkypeForBusiness.
pub const S45: Source = Source {
    key: "S45",
    title: "Skype for Business Online retirement",
    publisher: "Microsoft, Microsoft Teams documentation",
    url: "https://learn.microsoft.com/microsoftteams/skype-for-business-online-retirement",
    supports: "Skype for Business Online was retired on 31 July 2021; users homed Online can only be TeamsOnly (they do not use Skype for Business Server), while on-premises Skype for Business Server and Lync Server 2013 deployments, and hybrids with on-premises users, remain supported. lyncdns words Online redirects and Online domains accordingly.",
};

/// pidgin-sipe: sipe-webticket.c and sipe-svc.c
///
/// Publisher: pidgin-sipe project (GitHub mirror tieto/sipe).
///
/// <https://github.com/tieto/sipe/blob/ad0d885d8a52316ab8103013446318987d66a764/src/core/sipe-webticket.c>
pub const S46: Source = Source {
    key: "S46",
    title: "pidgin-sipe: sipe-webticket.c and sipe-svc.c",
    publisher: "pidgin-sipe project (GitHub mirror tieto/sipe)",
    url: "https://github.com/tieto/sipe/blob/ad0d885d8a52316ab8103013446318987d66a764/src/core/sipe-webticket.c",
    supports: "How an open-source client gets a web ticket for Lync Autodiscover: `<X-MS-WebTicketURL>/mex`, the port named `WebTicketServiceWinNegotiate` (or `WsFedBearer`) and its `address location`, a SOAP 1.1 `RequestSecurityToken` (SAML 1.1 token type, `AppliesTo` the User URL, a `sip:` claim, entropy, symmetric key) authenticated by HTTP Negotiate or NTLM (sipe-http-request.c; NTLMv2 only, sip-sec-ntlm.c), the `Lifetime`/`Expires` and `Assertion` it reads from the response, and `X-MS-WebTicket: opaque=<base64 of the raw assertion>` (sipe-lync-autodiscover.c). sipe-svc.c, sipe-http-request.c and sip-sec-ntlm.c are in the same directory at the same commit.",
};

/// \[MS-OCAUTHWS\]: OC Authentication Web Service Protocol
///
/// Publisher: Microsoft, Open Specifications.
///
/// <https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-ocauthws/72fe674f-d259-458e-8549-d5c176acfdf2>
pub const S47: Source = Source {
    key: "S47",
    title: "[MS-OCAUTHWS]: OC Authentication Web Service Protocol",
    publisher: "Microsoft, Open Specifications",
    url: "https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-ocauthws/72fe674f-d259-458e-8549-d5c176acfdf2",
    supports: "The Web Ticket Service: a security token service whose IssueToken operation (WS-Trust 1.3, action `…/RST/Issue`, output `…/RSTRC/IssueFinal`) returns a web ticket; clients find it by WS-MetadataExchange; Integrated Windows authentication follows RFC 4559 (Kerberos and NTLM); errors in an `X-Ms-diagnostics` header or a SOAP fault (sections 1.3.1, 1.3.1.1, 3.2.4.1).",
};

/// \[MS-NLMP\]: NT LAN Manager (NTLM) Authentication Protocol
///
/// Publisher: Microsoft, Open Specifications.
///
/// <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b38c36ed-2804-4868-a9ff-8dd3182128e4>
pub const S48: Source = Source {
    key: "S48",
    title: "[MS-NLMP]: NT LAN Manager (NTLM) Authentication Protocol",
    publisher: "Microsoft, Open Specifications",
    url: "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b38c36ed-2804-4868-a9ff-8dd3182128e4",
    supports: "The NTLM messages (NEGOTIATE, CHALLENGE, AUTHENTICATE; 2.2.1), flags and AV pairs (2.2.2), NTOWFv1/NTOWFv2 and the NTLMv2 response (3.3.1, 3.3.2), and the test vectors the verifier is checked against (4.2.2, 4.2.4).",
};

/// [MS-SIPAE]: Session Initiation Protocol (SIP) Authentication Extensions
///
/// Publisher: Microsoft Open Specifications.
///
/// <https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-sipae/aa0ce59d-a5e7-47c9-8a36-f2a2d32bc08c>
pub const S49: Source = Source {
    key: "S49",
    title: "[MS-SIPAE]: Session Initiation Protocol (SIP) Authentication Extensions",
    publisher: "Microsoft Open Specifications",
    url: "https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-sipae/aa0ce59d-a5e7-47c9-8a36-f2a2d32bc08c",
    supports: "A registrar that authenticates rejects an unauthenticated request with 401 (or 407) and one challenge per scheme it supports (NTLM, Kerberos, TLS-DSK), each with realm, targetname and version 3 or 4 (section 3.2.5.1); the 4.1 example shows realm \"SIP Communications Service\" and a Kerberos targetname sip/<server FQDN>.",
};

/// Microsoft Lync Server 2013: Director troubleshooting (part 1), redirects and certificates
///
/// Publisher: Lync Server 2013 Unleashed (programming4.us excerpt).
///
/// <https://tutorial.programming4.us/windows_server/microsoft-lync-server-2013---director-troubleshooting-(part-1)---redirects,-certificates-.aspx>
pub const S50: Source = Source {
    key: "S50",
    title: "Microsoft Lync Server 2013: Director troubleshooting (part 1), redirects and certificates",
    publisher: "Lync Server 2013 Unleashed (programming4.us excerpt)",
    url: "https://tutorial.programming4.us/windows_server/microsoft-lync-server-2013---director-troubleshooting-(part-1)---redirects,-certificates-.aspx",
    supports: "After the client authenticates, the Director answers REGISTER with \"301 Redirect request to Home Server\", the primary and backup registrars in Contact header fields (FQDN:5061;transport=TLS) weighted by q.",
};

/// [MS-OCER]: Client Error Reporting Protocol
///
/// Publisher: Microsoft Open Specifications.
///
/// <https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-ocer/>
pub const S51: Source = Source {
    key: "S51",
    title: "[MS-OCER]: Client Error Reporting Protocol",
    publisher: "Microsoft Open Specifications",
    url: "https://learn.microsoft.com/en-us/openspecs/office_protocols/ms-ocer/",
    supports: "The ms-diagnostics header and its codes; 4005 is the server's \"destination URI either not enabled for SIP or does not exist\" for an unknown user.",
};

/// Every source, in key order (`S1` … `S37`, `S37b`, `S38` … `S51`).
pub const ALL: &[Source] = &[
    S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15, S16, S17, S18, S19, S20, S21,
    S22, S23, S24, S25, S26, S27, S28, S29, S30, S31, S32, S33, S34, S35, S36, S37, S37B, S38, S39,
    S40, S41, S42, S43, S44, S45, S46, S47, S48, S49, S50, S51,
];

/// The source with exactly this key (`"S8"`, `"S37b"`); `None` for an unknown key.
///
/// ```
/// let s = lyncdns_lync::sources::get("S37b").unwrap();
/// assert_eq!(s.key, "S37b");
/// assert!(lyncdns_lync::sources::get("S37B").is_none());
/// ```
pub fn get(key: &str) -> Option<&'static Source> {
    ALL.iter().find(|s| s.key == key)
}

/// `S`, one or more digits, and at most one lower-case letter: `S8`, `S37b`.
fn is_key(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('S') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let suffix = &rest[digits..];
    digits > 0
        && (suffix.is_empty()
            || (suffix.len() == 1 && suffix.bytes().all(|b| b.is_ascii_lowercase())))
}

/// The keys of one bracketed list such as `S12, S13`, if every comma-separated part is a key.
fn key_list(inner: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    parts.iter().all(|p| is_key(p)).then_some(parts)
}

/// Every source key cited in `text`, in order of appearance (repeats included): keys in square or round brackets
/// (`[S1]`, `[S12, S13]`, `(S21, S22)`) and string literals holding only a key (`"S8"`).
pub fn cited(text: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        match c {
            '[' | '(' => {
                let close = if c == '[' { ']' } else { ')' };
                // A citation list is short and on one line; anything else in the brackets disqualifies it.
                if let Some(end) = rest.find([close, '\n', '[', '('])
                    && rest[end..].starts_with(close)
                    && let Some(list) = key_list(&rest[..end])
                {
                    keys.extend(list);
                }
            }
            '"' => {
                if rest.starts_with('S')
                    && let Some(end) = rest.find('"')
                    && is_key(&rest[..end])
                {
                    keys.push(&rest[..end]);
                }
            }
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The number and letter suffix of a key: `"S37b"` is `(37, "b")`.
    fn order(key: &str) -> (u32, &str) {
        let rest = key.strip_prefix('S').expect("keys start with S");
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        (
            rest[..digits].parse().expect("a number after S"),
            &rest[digits..],
        )
    }

    #[test]
    fn keys_are_unique() {
        let mut seen = HashSet::new();
        for s in ALL {
            assert!(seen.insert(s.key), "duplicate key {}", s.key);
        }
        assert_eq!(ALL.len(), 52, "S1 to S51 and S37b");
    }

    #[test]
    fn all_is_sorted_by_number() {
        for pair in ALL.windows(2) {
            assert!(
                order(pair[0].key) < order(pair[1].key),
                "{} before {}",
                pair[0].key,
                pair[1].key
            );
        }
        assert_eq!(ALL.first().map(|s| s.key), Some("S1"));
        assert_eq!(ALL.last().map(|s| s.key), Some("S51"));
    }

    #[test]
    fn get_finds_each_key() {
        for s in ALL {
            assert_eq!(get(s.key), Some(s));
        }
        assert_eq!(get("S37b").map(|s| s.url), Some(S37B.url));
        assert!(get(concat!("S", "52")).is_none());
        assert!(get("s1").is_none());
        assert!(get("").is_none());
    }

    #[test]
    fn fields_are_filled_in() {
        for s in ALL {
            assert!(s.url.starts_with("https://"), "{}: {}", s.key, s.url);
            assert!(!s.url.contains(char::is_whitespace), "{}: {}", s.key, s.url);
            assert!(
                !s.title.is_empty() && !s.publisher.is_empty() && !s.supports.is_empty(),
                "{}",
                s.key
            );
        }
    }
}
