//! The deployment description of a Lync / Skype for Business Server deployment.
//!
//! A deployment is a versioned TOML file (`version = 1`): SIP domains, DNS zones and views, pools, Director, Edge,
//! reverse proxy, simple URLs, features and options. [`load`] reads it in three steps: the TOML reader checks
//! syntax, types and unknown keys into the file as written (every table is `deny_unknown_fields`, and the values a
//! rule may point at keep their span; each section's errors are collected, not only the file's first), then the
//! topology's own rules are checked (`docs/lync.md` §1.6), then the spans are dropped. Either check's errors name the file, line, column and field. The result, a
//! [`Deployment`] of plain values, is valid, and every other crate relies on that: only [`load`] makes one.
//!
//! Layout: [`fqdn`] (host names), [`deployment`] (the checked data types, public), `raw` (the file as written,
//! with spans; private), `sections` (every reader error at once, section by section; private), `validate`
//! (topology rules over the raw file; private), [`error`] (located errors),
//! [`addr`] (address classes), [`transfer`] (TSIG keys and the views' transfer settings).

/// The source keys cited in this module's docs (`[S1]` …), as links to their entries.
#[cfg(doc)]
#[allow(unused_imports)]
use lyncdns_lync::sources::*;

pub mod addr;
pub mod deployment;
pub mod error;
pub mod fqdn;
mod raw;
pub mod secret;
mod sections;
pub mod transfer;
mod validate;

pub use deployment::*;
pub use error::{LoadError, LoadErrors, Problem};
pub use fqdn::{Fqdn, FqdnError};
pub use secret::{CookieSecret, CookieSecretError};

use std::net::IpAddr;

/// The deployment the binary embeds: the seed article's `lyncdude.net`, done right.
pub const EMBEDDED_EXAMPLE: &str = include_str!("../../../examples/lyncdude.toml");

/// The name the embedded example is reported under in errors.
pub const EMBEDDED_ORIGIN: &str = "<embedded example>";

/// Reads and checks a deployment description. `origin` names the file in errors.
pub fn load(text: &str, origin: &str) -> Result<Deployment, LoadErrors> {
    let deployment = sections::read(text).map_err(|errors| {
        LoadErrors(
            errors
                .into_iter()
                .map(|e| reader_error(text, origin, e))
                .collect(),
        )
    })?;
    validate::validate(&deployment, text, origin)?;
    Ok(deployment.into_checked())
}

/// A reader error located in `text`: line, column, the field's dotted path, and what was written when the
/// message does not say.
fn reader_error(text: &str, origin: &str, e: sections::Error) -> LoadError {
    let span = e.span;
    let (line, column) = span
        .as_ref()
        .map(|s| line_column(text, s.start))
        .unwrap_or((1, 1));
    let mut message = e.message.trim_end().to_owned();
    // A table missing a key is located at the table; the top-level table has no path (its span starts at the
    // file's first octet, where `field_at` would name whatever key happens to come first).
    let top_level_table =
        message.starts_with("missing field") && span.as_ref().is_some_and(|s| s.start == 0);
    let field = match &span {
        Some(s) if !top_level_table => field_at(text, s.start),
        _ => String::new(),
    };
    // Value errors ("invalid IP address syntax") do not say what was written: quote it.
    if let Some(found) = span.and_then(|s| text.get(s)).map(str::trim)
        && !found.is_empty()
        && found.len() <= 80
        && !found.contains('\n')
        && !message.contains(found.trim_matches('"'))
    {
        message.push_str(&format!(" (found `{found}`)"));
    }
    LoadError {
        origin: origin.to_owned(),
        line,
        column,
        field,
        problem: Problem::Syntax { message },
    }
}

/// Reads the embedded example.
pub fn embedded() -> Deployment {
    load(EMBEDDED_EXAMPLE, EMBEDDED_ORIGIN)
        .expect("the embedded example is checked by the test suite")
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted path of the key on the line that holds `offset` (best effort, for syntax errors): the innermost
/// `[table]` header above it, the key written on the line, and the key inside an inline table before `offset`,
/// e.g. `edge.access.fqdn`.
fn field_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    // Inside an inline table: the last `key =` before the offset.
    let before = &text[line_start..offset];
    let inner = before.rfind('{').and_then(|brace| {
        let inside = &before[brace..];
        let eq = inside.rfind('=')?;
        let key = inside[..eq]
            .rsplit(['{', ','])
            .next()?
            .trim()
            .trim_matches('"');
        (!key.is_empty()).then(|| key.to_owned())
    });
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = if line.starts_with('[') {
        None
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
    };
    let key = match (key, inner) {
        (Some(k), Some(i)) => Some(format!("{k}.{i}")),
        (k, _) => k,
    };
    match (table, key) {
        (Some(t), Some(k)) if !t.is_empty() => format!("{t}.{k}"),
        (_, Some(k)) => k,
        (Some(t), None) => t,
        (None, None) => String::new(),
    }
}

impl Deployment {
    /// The on-premises SIP domains: the primary first, then the additional ones in file order.
    pub fn sip_domains(&self) -> Vec<&Fqdn> {
        std::iter::once(&self.sip.primary_domain)
            .chain(&self.sip.additional_domains)
            .collect()
    }

    /// SIP domains hosted Online (Microsoft 365).
    pub fn online_domains(&self) -> Vec<&Fqdn> {
        self.hybrid.iter().flat_map(|h| &h.online_domains).collect()
    }

    /// The zones served to clients at `location` (the configured list, or the documented default). If a view is
    /// at `location`, the roles' host names served there (pools, servers, web services, Edge, Office Web Apps,
    /// other servers, meet and dial-in URLs) lie in one of them.
    pub fn zones(&self, location: Location) -> Vec<&Fqdn> {
        let configured = match location {
            Location::Internal => &self.dns.internal_zones,
            Location::External => &self.dns.external_zones,
        };
        zones_or_default(
            location,
            configured.as_ref().map(|zones| zones.iter().collect()),
            self.sip_domains(),
            self.online_domains(),
        )
    }

    /// The pool clients register with first: the Director if there is one, else `options.sign_in_pool`, else the
    /// first pool. SRV and `sip` records point at it; it redirects users to their home pool ([S40]).
    pub fn registrar(&self) -> &Pool {
        if let Some(director) = &self.director {
            return director;
        }
        self.sign_in_pool()
    }

    /// The Front End pool chosen for sign-in (ignoring any Director).
    pub fn sign_in_pool(&self) -> &Pool {
        self.options
            .sign_in_pool
            .as_ref()
            .and_then(|want| self.pools.iter().find(|p| &p.fqdn == want))
            .unwrap_or(&self.pools[0])
    }

    /// The Director pool (if any) then the Front End pools, each with its role's name for reports.
    pub fn all_pools(&self) -> impl Iterator<Item = (&Pool, &'static str)> {
        let director = self.director.iter().map(|p| (p, "Director pool"));
        director.chain(self.pools.iter().map(|p| (p, "Front End pool")))
    }

    /// True if `domain` is one of this deployment's SIP domains (on-premises or Online).
    pub fn is_sip_domain(&self, domain: &str) -> bool {
        self.sip_domains()
            .iter()
            .chain(self.online_domains().iter())
            .any(|d| d.as_str() == domain)
    }
}

/// The zones at `location`: the `configured` list, else the documented default (every on-premises SIP domain
/// inside; every SIP domain, Online ones included, outside). One policy for the checked and the raw deployment.
fn zones_or_default<'a>(
    location: Location,
    configured: Option<Vec<&'a Fqdn>>,
    sip_domains: Vec<&'a Fqdn>,
    online_domains: Vec<&'a Fqdn>,
) -> Vec<&'a Fqdn> {
    match (configured, location) {
        (Some(zones), _) => zones,
        (None, Location::Internal) => sip_domains,
        (None, Location::External) => {
            let mut all = sip_domains;
            all.extend(online_domains);
            all
        }
    }
}

impl Pool {
    /// The addresses the pool FQDN resolves to: every server's (DNS load balancing) or the HLB's SIP VIP.
    pub fn sip_addresses(&self) -> Vec<IpAddr> {
        match self.load_balancing {
            LoadBalancing::Hardware => self.sip_vip.clone(),
            LoadBalancing::Dns => self
                .servers
                .iter()
                .flat_map(|s| s.addresses.iter().copied())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_example_loads() {
        let d = embedded();
        assert_eq!(d.sip.primary_domain.as_str(), "lyncdude.net");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_column("x", 0), (1, 1));
    }

    #[test]
    fn field_at_names_table_and_key() {
        let text = "version = 1\n[edge.access]\nfqdn = \"x\"\n";
        assert_eq!(
            field_at(text, text.find("\"x\"").unwrap()),
            "edge.access.fqdn"
        );
        let text = "[edge]\naccess = { fqdn = \"a\", addresses = [\"x\"] }\n";
        assert_eq!(
            field_at(text, text.find("[\"x").unwrap()),
            "edge.access.addresses"
        );
    }
}
