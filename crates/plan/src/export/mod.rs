//! Rendering a [`Plan`]: a readable table, JSON, RFC 1035 master files, BIND views, BIND, Knot and NSD
//! secondaries of a lyncdns primary, and PowerShell for Windows Server DNS (as a primary or a secondary). Every
//! renderer is pure: it returns text (or a set of named files) and never writes anything.

mod bind;
mod bind_secondary;
mod knot_secondary;
mod nsd_secondary;
mod powershell;
mod table;
mod windows_secondary;
mod zonefile;

use std::fmt;

use crate::Plan;

pub use bind_secondary::Secondary;
pub use zonefile::zone_file;

/// The output formats of `lyncdns plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A readable table grouped by view and zone.
    Table,
    /// The plan as JSON.
    Json,
    /// One RFC 1035 master file per view and zone.
    Zone,
    /// A `named.conf` views fragment plus the zone files.
    BindViews,
    /// PowerShell for Windows Server DNS.
    Powershell,
    /// A `named.conf` fragment making BIND a secondary of every view, by TSIG key.
    BindSecondary,
    /// One Knot DNS configuration per view making Knot a secondary of it, by TSIG key.
    KnotSecondary,
    /// One NSD configuration per view making NSD a secondary of it, by TSIG key.
    NsdSecondary,
    /// PowerShell per view making Windows Server DNS a secondary of it (unsigned: Windows has no TSIG).
    WindowsSecondary,
}

impl Format {
    /// Every format, in the order the help lists them.
    pub const ALL: [Format; 9] = [
        Format::Table,
        Format::Json,
        Format::Zone,
        Format::BindViews,
        Format::Powershell,
        Format::BindSecondary,
        Format::KnotSecondary,
        Format::NsdSecondary,
        Format::WindowsSecondary,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Zone => "zone",
            Format::BindViews => "bind-views",
            Format::Powershell => "powershell",
            Format::BindSecondary => "bind-secondary",
            Format::KnotSecondary => "knot-secondary",
            Format::NsdSecondary => "nsd-secondary",
            Format::WindowsSecondary => "windows-secondary",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rendered output: one or more files with paths relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `(relative path, contents)`, in a stable order.
    pub files: Vec<(String, String)>,
}

impl Rendered {
    /// All files as one text for standard output; several files are separated by a header line naming each.
    pub fn to_stdout(&self) -> String {
        if let [(_, only)] = self.files.as_slice() {
            return only.clone();
        }
        let mut out = String::new();
        for (path, text) in &self.files {
            let comment = if path.ends_with(".ps1")
                || path.starts_with("knot-")
                || path.starts_with("nsd-")
            {
                "#"
            } else if path.ends_with(".conf") {
                "//"
            } else {
                ";"
            };
            out.push_str(&format!("{comment} ==== {path} ====\n{text}\n"));
        }
        out
    }
}

/// Choices that change what an export writes; the default is what each format writes without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// BIND views: each internal view also resolves every other name for its own clients (`recursion yes`,
    /// `allow-recursion` limited to the view's clients), so that the server can be their resolver. Off: every
    /// view is authoritative only (`recursion no`).
    pub bind_internal_recursion: bool,
    /// BIND, Knot, NSD and Windows secondaries: the primary and the views' keys (Windows uses neither the keys nor
    /// the port). Without it, the secondary formats point at 127.0.0.1:53 without keys.
    pub secondary: Option<Secondary>,
}

/// Renders `plan` in `format` with the default [`Options`].
pub fn render(plan: &Plan, format: Format) -> Rendered {
    render_with(plan, format, &Options::default())
}

/// Renders `plan` in `format` with `options`.
pub fn render_with(plan: &Plan, format: Format, options: &Options) -> Rendered {
    let one = |name: &str, text: String| Rendered {
        files: vec![(name.to_owned(), text)],
    };
    match format {
        Format::Table => one("plan.txt", table::table(plan)),
        Format::Json => one("plan.json", json(&plan)),
        Format::Zone => Rendered {
            files: zone_files(plan),
        },
        Format::BindViews => {
            let mut files = vec![(
                "named.conf.views".to_owned(),
                bind::named_conf(plan, options.bind_internal_recursion),
            )];
            files.extend(zone_files(plan));
            Rendered { files }
        }
        Format::Powershell => one("lyncdns-dnsserver.ps1", powershell::script(plan)),
        Format::BindSecondary
        | Format::KnotSecondary
        | Format::NsdSecondary
        | Format::WindowsSecondary => {
            let unkeyed = Secondary {
                primary: std::net::SocketAddr::from(([127, 0, 0, 1], 53)),
                keys: Vec::new(),
            };
            let secondary = options.secondary.as_ref().unwrap_or(&unkeyed);
            match format {
                Format::BindSecondary => one(
                    "named.conf.secondary",
                    bind_secondary::named_conf(plan, secondary),
                ),
                Format::KnotSecondary => Rendered {
                    files: knot_secondary::configs(plan, secondary),
                },
                Format::NsdSecondary => Rendered {
                    files: nsd_secondary::configs(plan, secondary),
                },
                _ => Rendered {
                    files: windows_secondary::scripts(plan, secondary.primary.ip()),
                },
            }
        }
    }
}

/// The certificate names, as a table or JSON.
pub fn render_certs(plan: &Plan, format: Format) -> Rendered {
    match format {
        Format::Json => Rendered {
            files: vec![("certificates.json".into(), json(&plan.certificates))],
        },
        _ => Rendered {
            files: vec![("certificates.txt".into(), table::certificates(plan))],
        },
    }
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text =
        serde_json::to_string_pretty(value).expect("plans serialize: no maps with non-string keys");
    text.push('\n');
    text
}

/// `<view>/<zone>.zone` for every zone of every view.
fn zone_files(plan: &Plan) -> Vec<(String, String)> {
    plan.views
        .iter()
        .flat_map(|v| {
            v.zones.iter().map(move |z| {
                (
                    format!("{}/{}.zone", v.name, z.origin),
                    zone_file(plan, v, z),
                )
            })
        })
        .collect()
}
