//! The arguments `lint --axfr` and `check --axfr` share: the server, the TSIG key (`--key` as `dig -y` takes it,
//! or `--key-file` with a BIND `key` clause), and the puller they make.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use lyncdns_discover::axfr::Puller;
use lyncdns_dnsdata::tsig::{TsigKey, read_key_file};

/// The TSIG key of a transfer.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// TSIG key for --axfr, as `dig -y` takes it: `[hmac-sha256:]NAME:BASE64-SECRET`.
    #[arg(
        long,
        value_name = "[ALG:]NAME:SECRET",
        conflicts_with = "key_file",
        requires = "axfr"
    )]
    key: Option<String>,
    /// TSIG key for --axfr from a BIND key file (`key "NAME" { algorithm …; secret "…"; };`, as tsig-keygen
    /// writes it); with several keys in the file, --key-name picks one.
    #[arg(long, value_name = "FILE", requires = "axfr")]
    key_file: Option<PathBuf>,
    /// Which key of --key-file.
    #[arg(long, value_name = "NAME", requires = "key_file")]
    key_name: Option<String>,
}

impl KeyArgs {
    /// The key given, if any.
    pub fn key(&self) -> anyhow::Result<Option<TsigKey>> {
        if let Some(k) = &self.key {
            // The error never echoes the secret (TsigKeyError redacts it).
            return Ok(Some(k.parse().context("--key")?));
        }
        let Some(path) = &self.key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the key file {}", path.display()))?;
        let keys = read_key_file(&text, &path.display().to_string())?;
        let names: Vec<&str> = keys.iter().map(TsigKey::name).collect();
        match &self.key_name {
            Some(want) => {
                let want = want.trim_end_matches('.').to_ascii_lowercase();
                match keys.iter().find(|k| k.name() == want) {
                    Some(k) => Ok(Some(k.clone())),
                    None => bail!(
                        "{}: no key `{want}` (keys: {})",
                        path.display(),
                        names.join(", ")
                    ),
                }
            }
            None if keys.len() == 1 => Ok(keys.into_iter().next()),
            None => bail!(
                "{}: {} keys ({}); pick one with --key-name",
                path.display(),
                keys.len(),
                names.join(", ")
            ),
        }
    }
}

/// A puller for `server` (`ADDR[:PORT]` or `HOST[:PORT]`, port 53 by default) with the key given.
pub fn puller(server: &str, key: &KeyArgs) -> anyhow::Result<Puller> {
    let addr =
        crate::discover::parse_server(server).with_context(|| format!("--axfr `{server}`"))?;
    let key = key.key()?;
    if let Some(k) = &key {
        k.to_domain().with_context(|| format!("the TSIG key {k}"))?;
    }
    Ok(Puller::new(addr, key))
}
