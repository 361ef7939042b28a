//! The deployment description of a Lync / Skype for Business Server deployment.
//!
//! A deployment is a versioned TOML file (`version = 1`): SIP domains, DNS zones and views, pools, Director, Edge,
//! reverse proxy, simple URLs, features and options. [`load`] reads it in two steps: the TOML reader checks syntax,
//! types and unknown keys (every table is `deny_unknown_fields`), then [`validate`] checks the topology's own rules
//! (`lync-discovery.md` §1.6). Either step's errors name the file, line, column and field. A [`Deployment`] that
//! came out of [`load`] is valid, and every other crate relies on that.
//!
//! Layout: [`fqdn`] (host names), [`deployment`] (the data types, as written), [`validate`] (topology rules),
//! [`error`] (located errors), [`addr`] (address classes).

pub mod addr;
pub mod deployment;
pub mod error;
pub mod fqdn;
pub mod validate;

pub use deployment::*;
pub use error::{LoadError, LoadErrors, Problem};
pub use fqdn::{Fqdn, FqdnError};

use std::net::IpAddr;

/// The deployment the binary embeds: the seed article's `lyncdude.net`, done right.
pub const EMBEDDED_EXAMPLE: &str = include_str!("../../../examples/lyncdude.toml");

/// The name the embedded example is reported under in errors.
pub const EMBEDDED_ORIGIN: &str = "<embedded example>";

/// Reads and checks a deployment description. `origin` names the file in errors.
pub fn load(text: &str, origin: &str) -> Result<Deployment, LoadErrors> {
    let deployment: Deployment = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        let field = e
            .span()
            .map(|s| field_at(text, s.start))
            .unwrap_or_default();
        let mut message = e.message().trim_end().to_owned();
        // Value errors ("invalid IP address syntax") do not say what was written: quote it.
        if let Some(found) = e.span().and_then(|s| text.get(s)).map(str::trim)
            && !found.is_empty()
            && found.len() <= 80
            && !found.contains('\n')
            && !message.contains(found.trim_matches('"'))
        {
            message.push_str(&format!(" (found `{found}`)"));
        }
        LoadErrors(vec![LoadError {
            origin: origin.to_owned(),
            line,
            column,
            field,
            problem: Problem::Syntax { message },
        }])
    })?;
    validate::validate(&deployment, text, origin)?;
    Ok(deployment)
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
        std::iter::once(self.sip.primary_domain.get_ref())
            .chain(self.sip.additional_domains.iter().map(|d| d.get_ref()))
            .collect()
    }

    /// SIP domains hosted in Skype for Business Online.
    pub fn online_domains(&self) -> Vec<&Fqdn> {
        self.hybrid
            .iter()
            .flat_map(|h| h.online_domains.iter().map(|d| d.get_ref()))
            .collect()
    }

    /// The zones served to clients at `location` (the configured list, or the documented default).
    pub fn zones(&self, location: Location) -> Vec<&Fqdn> {
        let configured = match location {
            Location::Internal => &self.dns.internal_zones,
            Location::External => &self.dns.external_zones,
        };
        match configured {
            Some(zones) => zones.iter().map(|z| z.get_ref()).collect(),
            None => match location {
                Location::Internal => self.sip_domains(),
                Location::External => {
                    let mut all = self.sip_domains();
                    all.extend(self.online_domains());
                    all
                }
            },
        }
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
            .and_then(|want| {
                self.pools
                    .iter()
                    .find(|p| p.fqdn.get_ref() == want.get_ref())
            })
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

impl Pool {
    /// The addresses the pool FQDN resolves to: every server's (DNS load balancing) or the HLB's SIP VIP.
    pub fn sip_addresses(&self) -> Vec<IpAddr> {
        match self.load_balancing {
            LoadBalancing::Hardware => self.sip_vip.clone(),
            LoadBalancing::Dns => self
                .servers
                .get_ref()
                .iter()
                .flat_map(|s| s.addresses.get_ref().clone())
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
        assert_eq!(d.sip.primary_domain.get_ref().as_str(), "lyncdude.net");
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
