//! The status page at `/` of the metrics listener: what the server serves and how it is doing, for a person
//! glancing at it (Prometheus reads `/metrics`).
//!
//! [`Page`] is the data and [`render`] the pure function from data to HTML (plain HTML, no external assets, every
//! text escaped, refreshed by the browser every [`REFRESH_S`] seconds); `page` gathers the data from the running
//! server. A counter the page should show is added to [`Page::limits`] in `page`, in one place.

use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::time::SystemTime;

use super::Shared;
use super::metrics::{self, MAX_VIEWS, Stats};

/// How often the browser reloads the page, in seconds.
pub const REFRESH_S: u32 = 10;

/// Everything the status page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// When the page was made.
    pub now: SystemTime,
    /// When the server started.
    pub started: SystemTime,
    /// The views, in match order.
    pub views: Vec<ViewStatus>,
    /// Answers to queries no view answered (REFUSED before view selection, FORMERR…), by response code.
    pub unmatched: Vec<(&'static str, u64)>,
    /// Limits and what they refused (TCP connections, metrics connections…), as (label, count).
    pub limits: Vec<(&'static str, u64)>,
    /// Zone transfer counters (done, refused, failed, octets sent), as (label, count).
    pub transfers: Vec<(&'static str, u64)>,
    /// Reloads that succeeded and that failed.
    pub reloads: (u64, u64),
    /// The last reload, if there was one.
    pub last_reload: Option<Reload>,
}

/// One view on the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewStatus {
    /// Name.
    pub name: String,
    /// Client prefixes, as configured (empty: every client).
    pub clients: Vec<String>,
    /// Records served.
    pub records: usize,
    /// Zones.
    pub zones: Vec<ZoneStatus>,
    /// Answers by response code, zeros left out.
    pub answers: Vec<(&'static str, u64)>,
    /// How secondaries transfer this view's zones, when they may.
    pub transfer: Option<TransferStatus>,
}

/// Who may transfer a view's zones and who is told of changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferStatus {
    /// Names of the TSIG keys that select the view (never their secrets).
    pub keys: Vec<String>,
    /// Client prefixes that may transfer without a key.
    pub allow: Vec<String>,
    /// Secondaries sent a NOTIFY when a zone changes.
    pub notify: Vec<String>,
}

/// One zone of a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneStatus {
    /// Apex, as text.
    pub apex: String,
    /// SOA serial.
    pub serial: Option<u32>,
    /// Records.
    pub records: usize,
    /// Where it came from (`plan` or a file).
    pub source: String,
}

/// A reload and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reload {
    /// When it ended.
    pub at: SystemTime,
    /// `Ok` with nothing to say, or `Err` with why the old data is still serving.
    pub result: Result<(), String>,
}

/// Gathers the page's data from the running server.
pub(super) fn page(shared: &Shared, blocks: &[&Stats], now: SystemTime) -> Page {
    let snap = shared.data.load();
    let mut answers = metrics::rcodes_by_view(blocks);
    let unmatched = answers.pop().unwrap_or_default();
    let views = snap
        .views
        .iter()
        .enumerate()
        .map(|(i, v)| ViewStatus {
            name: v.name.clone(),
            clients: v.clients.iter().map(ToString::to_string).collect(),
            records: v.records,
            zones: v
                .zones
                .iter()
                .map(|z| ZoneStatus {
                    apex: lyncdns_dnsdata::name::to_text(&z.apex),
                    serial: z.serial,
                    records: z.records,
                    source: z.source.to_string(),
                })
                .collect(),
            // Views past the counters' last slot share it (metrics.rs); the page shows it under that view.
            answers: if i < MAX_VIEWS {
                std::mem::take(&mut answers[i])
            } else {
                Vec::new()
            },
            transfer: snap.xfr.views.get(i).and_then(|t| {
                let keys = snap.xfr.keys.names_of(i);
                (!keys.is_empty() || !t.allow.is_empty() || !t.notify.is_empty()).then(|| {
                    TransferStatus {
                        keys,
                        allow: t.allow.iter().map(ToString::to_string).collect(),
                        notify: t.notify.iter().map(ToString::to_string).collect(),
                    }
                })
            }),
        })
        .collect();
    let x = &shared.xfr;
    let transfers = vec![
        ("transfers done", x.done.load(Relaxed)),
        ("transfer requests refused", x.refused.load(Relaxed)),
        ("transfers failed part way", x.failed.load(Relaxed)),
        ("octets sent in transfers", x.octets.load(Relaxed)),
    ];
    let g = &shared.global;
    let limits = vec![
        (
            "TCP connections open",
            u64::try_from(g.tcp_open.load(Relaxed)).unwrap_or(0),
        ),
        ("TCP connections accepted", g.tcp_accepted.load(Relaxed)),
        (
            "TCP refused: connection limit",
            g.tcp_refused_connections.load(Relaxed),
        ),
        (
            "TCP refused: per-prefix limit",
            g.tcp_refused_prefix.load(Relaxed),
        ),
        (
            "TCP refused: no file descriptor",
            g.tcp_refused_fds.load(Relaxed),
        ),
        (
            "TCP closed: write timeout",
            g.tcp_write_timeouts.load(Relaxed),
        ),
        (
            "TCP accepting paused near the fd limit",
            g.tcp_fd_pauses.load(Relaxed),
        ),
        (
            "metrics connections refused",
            g.metrics_refused.load(Relaxed),
        ),
        (
            "UDP answers dropped by rate limiting",
            metrics::rrl_totals(blocks).0,
        ),
        (
            "UDP answers slipped (sent truncated) by rate limiting",
            metrics::rrl_totals(blocks).1,
        ),
    ];
    Page {
        now,
        started: shared.started,
        views,
        unmatched,
        limits,
        transfers,
        reloads: (g.reload_ok.load(Relaxed), g.reload_failed.load(Relaxed)),
        last_reload: shared
            .last_reload
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone()),
    }
}

/// Renders `page` as a complete HTML document.
pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_S}\"><title>lyncdns status</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;margin:.3em 0 1em}}\
         th,td{{border:1px solid #bbb;padding:.2em .6em;text-align:left}}td.n{{text-align:right}}\
         .failed{{color:#a00}}.ok{{color:#070}}</style></head>\n<body><h1>lyncdns</h1>\n\
         <p>At {} · serving since {} · <a href=\"/metrics\">/metrics</a></p>\n",
        http_date(page.now),
        http_date(page.started)
    );
    out.push_str("<h2>Last reload</h2>\n<p id=\"last-reload\">");
    match &page.last_reload {
        None => out.push_str("none since start"),
        Some(Reload { at, result: Ok(()) }) => {
            let _ = write!(out, "<span class=\"ok\">ok</span> at {}", http_date(*at));
        }
        Some(Reload {
            at,
            result: Err(error),
        }) => {
            let _ = write!(
                out,
                "<span class=\"failed\">failed</span> at {}, still serving the previous data: {}",
                http_date(*at),
                escape(error)
            );
        }
    }
    let _ = writeln!(
        out,
        " (reloads: {} ok, {} failed)</p>",
        page.reloads.0, page.reloads.1
    );
    out.push_str("<h2>Views</h2>\n");
    for view in &page.views {
        let _ = write!(
            out,
            "<h3 class=\"view\">View {}</h3>\n<p>Clients: {} · {} records</p>\n\
             <table class=\"zones\"><tr><th>Zone</th><th>Serial</th><th>Records</th><th>Source</th></tr>\n",
            escape(&view.name),
            if view.clients.is_empty() {
                "every client".to_owned()
            } else {
                escape(&view.clients.join(", "))
            },
            view.records
        );
        for z in &view.zones {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                escape(&z.apex),
                z.serial.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                z.records,
                escape(&z.source)
            );
        }
        out.push_str("</table>\n");
        if let Some(t) = &view.transfer {
            let list = |items: &[String], none: &str| {
                if items.is_empty() {
                    none.to_owned()
                } else {
                    escape(&items.join(", "))
                }
            };
            let _ = writeln!(
                out,
                "<p class=\"transfer\">Transfers: keys {} · without a key from {} · NOTIFY to {}</p>",
                list(&t.keys, "none"),
                list(&t.allow, "nobody"),
                list(&t.notify, "nobody")
            );
        }
        counts(&mut out, "Answers by response code", &view.answers);
    }
    out.push_str("<h2>Queries no view answered</h2>\n");
    counts(&mut out, "Answers by response code", &page.unmatched);
    out.push_str("<h2>Zone transfers</h2>\n");
    counts(&mut out, "Counter", &page.transfers);
    out.push_str("<h2>Limits</h2>\n");
    counts(&mut out, "Counter", &page.limits);
    out.push_str("</body></html>\n");
    out
}

/// A two-column table of counts, or a line saying there are none.
fn counts(out: &mut String, heading: &str, rows: &[(&str, u64)]) {
    if rows.is_empty() {
        out.push_str("<p>No answers yet.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<table><tr><th>{}</th><th>Count</th></tr>",
        escape(heading)
    );
    for (label, n) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            escape(label)
        );
    }
    out.push_str("</table>\n");
}

/// A time as in HTTP (`Fri, 04 Dec 2026 20:21:44 GMT`).
fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// `text` safe inside HTML elements and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn sample() -> Page {
        let zone = |apex: &str, serial, records| ZoneStatus {
            apex: apex.into(),
            serial: Some(serial),
            records,
            source: "plan".into(),
        };
        Page {
            now: UNIX_EPOCH + Duration::from_secs(1_796_415_704),
            started: UNIX_EPOCH + Duration::from_secs(1_796_415_000),
            views: vec![
                ViewStatus {
                    name: "internal".into(),
                    clients: vec!["10.0.0.0/8".into(), "fd00::/8".into()],
                    records: 26,
                    zones: vec![zone("lyncdude.net", 2026120101, 20)],
                    answers: vec![("NOERROR", 7), ("NXDOMAIN", 1)],
                    transfer: None,
                },
                ViewStatus {
                    name: "<ext>".into(),
                    clients: vec![],
                    records: 21,
                    zones: vec![zone("lyncdude.net", 2026120102, 21)],
                    answers: vec![],
                    transfer: Some(TransferStatus {
                        keys: vec!["xfr-external.lyncdude.net".into()],
                        allow: vec![],
                        notify: vec!["127.0.0.1:5399".into()],
                    }),
                },
            ],
            unmatched: vec![("REFUSED", 3)],
            limits: vec![("TCP refused: connection limit", 2)],
            transfers: vec![("transfers done", 4)],
            reloads: (1, 1),
            last_reload: Some(Reload {
                at: UNIX_EPOCH + Duration::from_secs(1_796_415_600),
                result: Err("deployment.toml:3:1: unknown field `mobilty` <&>".into()),
            }),
        }
    }

    #[test]
    fn the_page_shows_views_zones_answers_transfers_limits_and_the_last_reload() {
        let html = render(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
        assert!(html.contains("<h3 class=\"view\">View internal</h3>"));
        assert!(html.contains("Clients: 10.0.0.0/8, fd00::/8 · 26 records"));
        assert!(html.contains(
            "<td>lyncdude.net</td><td class=\"n\">2026120101</td><td class=\"n\">20</td>"
        ));
        assert!(html.contains("<tr><td>NOERROR</td><td class=\"n\">7</td></tr>"));
        assert!(html.contains("Clients: every client · 21 records"));
        assert!(html.contains("<tr><td>REFUSED</td><td class=\"n\">3</td></tr>"));
        assert!(
            html.contains("<tr><td>TCP refused: connection limit</td><td class=\"n\">2</td></tr>")
        );
        assert!(html.contains(
            "<span class=\"failed\">failed</span> at Fri, 04 Dec 2026 20:20:00 GMT, still serving the previous data"
        ));
        assert!(html.contains("(reloads: 1 ok, 1 failed)"));
        assert!(html.contains(
            "Transfers: keys xfr-external.lyncdude.net · without a key from nobody · NOTIFY to 127.0.0.1:5399"
        ));
        assert_eq!(
            html.matches("<p class=\"transfer\">").count(),
            1,
            "only the view that transfers"
        );
        assert!(html.contains("<tr><td>transfers done</td><td class=\"n\">4</td></tr>"));
        assert!(html.contains("At Fri, 04 Dec 2026 20:21:44 GMT"));
    }

    #[test]
    fn every_text_from_the_data_is_escaped_and_nothing_is_loaded_from_elsewhere() {
        let html = render(&sample());
        assert!(html.contains("View &lt;ext&gt;"));
        assert!(html.contains("unknown field `mobilty` &lt;&amp;&gt;"));
        assert!(!html.contains("<ext>") && !html.contains("<&>"));
        for external in ["src=", "<link", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
        assert_eq!(escape("a\"b'c"), "a&quot;b&#39;c");
    }

    #[test]
    fn without_a_reload_or_answers_the_page_says_so() {
        let mut page = sample();
        page.last_reload = None;
        page.unmatched.clear();
        let html = render(&page);
        assert!(html.contains("<p id=\"last-reload\">none since start"));
        assert!(html.contains("<p>No answers yet.</p>"));
    }
}
