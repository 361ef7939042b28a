//! Reports of discoveries: a readable step list with one verdict line, JSON, and a self-contained HTML page
//! with an SVG diagram of the chain (the deciding step highlighted).

use std::fmt::Write;

use crate::machine::{Reply, Request};
use crate::run::{Decision, Discovery};
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::resolve::Lookup;

fn lookup_text(l: &Lookup) -> String {
    let mut parts: Vec<String> = l
        .answers()
        .iter()
        .map(|a| match &a.data {
            RecordData::A { address } => format!("{address}"),
            RecordData::Aaaa { address } => format!("{address}"),
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } => format!("SRV {priority} {weight} {port} {target}"),
            other => format!(
                "{} {}",
                other.rtype(),
                other.to_string().trim_end_matches('.')
            ),
        })
        .collect();
    if parts.is_empty() {
        parts.push("no records".into());
    }
    let flags = format!(
        "{}{}",
        if l.aa() { " aa" } else { "" },
        if l.tcp_retry {
            ", retried over TCP"
        } else {
            ""
        }
    );
    let ttl = l
        .answers()
        .first()
        .map(|a| format!(", ttl {}", a.ttl))
        .unwrap_or_default();
    let err = l.error().map(|e| format!(" ({e})")).unwrap_or_default();
    format!(
        "{}{flags}: {}{ttl}{err} [{:.1} ms, {}]",
        l.status(),
        parts.join(", "),
        l.elapsed_ms,
        l.server
    )
}

/// One line per step: what was asked, and what came back.
pub fn step_lines(d: &Discovery) -> Vec<(String, String, Option<String>)> {
    d.steps
        .iter()
        .map(|s| {
            let asked = match &s.request {
                Request::Lookup { name, qtype } => {
                    format!("{qtype} {name}")
                }
                Request::Connect {
                    host, port, tls, ..
                } => format!("connect {host}:{port}{}", if *tls { " (TLS)" } else { "" }),
                Request::Fetch(f) => format!("{} {}", f.method, f.url),
                Request::Sip(r) => format!(
                    "SIP over TLS to {}:{}: OPTIONS, REGISTER {}",
                    r.host, r.port, r.uri
                ),
                Request::Done(_) => "done".into(),
            };
            let got = match &s.reply {
                Reply::Lookup(l) => lookup_text(l),
                Reply::Connect {
                    connected: Some(a), ..
                } => format!("connected to {a}"),
                Reply::Connect { error, .. } => {
                    format!("failed: {}", error.clone().unwrap_or_default())
                }
                Reply::Fetch {
                    response: Some(r), ..
                } => {
                    let ct = r
                        .headers
                        .iter()
                        .find(|(k, _)| k == "content-type")
                        .map(|(_, v)| format!(" ({v})"))
                        .unwrap_or_default();
                    format!("HTTP {}{ct}", r.status)
                }
                Reply::Fetch { error, .. } => {
                    format!("failed: {}", error.clone().unwrap_or_default())
                }
                Reply::Sip(x) => sip_text(x),
            };
            (asked, got, s.note.clone())
        })
        .collect()
}

/// One line for a SIP exchange: where it connected, the TLS session, and each answer.
fn sip_text(x: &crate::machine::SipExchange) -> String {
    let mut parts = Vec::new();
    if let Some(a) = x.connected {
        parts.push(format!("connected to {a}"));
    }
    if let Some(t) = &x.tls {
        parts.push(format!(
            "{} {}, {} certificate(s), verified for {} (names: {})",
            t.version,
            t.cipher_suite,
            t.chain,
            t.verified_for,
            t.names.join(", ")
        ));
    }
    for (what, answer) in [("OPTIONS", &x.options), ("REGISTER", &x.register)] {
        if let Some(a) = answer {
            let mut line = format!("{what} → {} {}", a.status, a.reason);
            if let Some((h, p)) = a.contacts.first() {
                line.push_str(&format!(" (Contact {h}:{p})"));
            }
            if !a.schemes.is_empty() {
                line.push_str(&format!(" ({})", a.schemes.join(", ")));
            }
            if let Some(server) = &a.server {
                line.push_str(&format!(" [{server}]"));
            }
            parts.push(line);
        }
    }
    if !x.errors.is_empty() {
        let errors: Vec<String> = x.errors.iter().map(|e| e.to_string()).collect();
        parts.push(format!("failed: {}", errors.join("; ")));
    }
    parts.join("; ")
}

/// The readable report of one discovery.
pub fn text(d: &Discovery) -> String {
    let mut out = format!(
        "{} discovering {} (DNS: {})\n",
        d.client.as_str(),
        d.sip_uri,
        d.resolver
    );
    for (i, (asked, got, note)) in step_lines(d).into_iter().enumerate() {
        let _ = writeln!(out, "  {:>2}. {asked}\n      → {got}", i + 1);
        if let Some(n) = note {
            let _ = writeln!(out, "      · {n}");
        }
    }
    let mark = if d.verdict.ok() { "✓" } else { "✗" };
    let _ = writeln!(out, "  {mark} {}", d.verdict);
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a step's box and a matrix cell are drawn: fill, stroke, and the words of the legend.
fn look(decision: Decision) -> (&'static str, &'static str, &'static str) {
    match decision {
        Decision::Continues => ("#eef2f7", "#5b6b7f", "the method goes on"),
        Decision::MovedOn => (
            "#fff4e0",
            "#b26a00",
            "the method failed: the client moves on",
        ),
        Decision::SignsIn => ("#d9f2dc", "#186a1e", "signs in"),
        Decision::SignsInAfterPrompt => ("#fff0c2", "#8a6100", "signs in after a trust prompt"),
        Decision::Fails => ("#fbe3e4", "#a3121c", "cannot sign in"),
    }
}

/// The decision a whole discovery ended in, for its matrix cell and heading.
fn ending(d: &Discovery) -> Decision {
    if !d.verdict.ok() {
        Decision::Fails
    } else if d.verdict.trust_prompt() {
        Decision::SignsInAfterPrompt
    } else {
        Decision::SignsIn
    }
}

/// The CSS class of an ending.
fn class(decision: Decision) -> &'static str {
    match decision {
        Decision::SignsIn => "ok",
        Decision::SignsInAfterPrompt => "prompt",
        Decision::Fails => "fail",
        Decision::Continues | Decision::MovedOn => "",
    }
}

/// "inside", "outside", or "here" when the caller did not say where the client was.
fn place(d: &Discovery) -> &str {
    d.location.as_deref().unwrap_or("here")
}

/// A self-contained HTML report of several discoveries: first a matrix of client × user × location, each cell
/// coloured by how that client's discovery ended and linked to its chain; then each chain as an SVG diagram whose
/// boxes are coloured by what the client decided on each reply (from the typed outcome, not the DNS response code),
/// and the step table.
pub fn html(title: &str, discoveries: &[Discovery]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2em;color:#222}}\nh2{{margin-top:2em}}\n.ok{{color:#186a1e}}.prompt{{color:#8a6100}}.fail{{color:#a3121c}}\ntable{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}\ntable.matrix td.ok,table.matrix td.prompt,table.matrix td.fail{{max-width:26em;overflow-wrap:anywhere}}td.ok{{background:#d9f2dc}}td.prompt{{background:#fff0c2}}td.fail{{background:#fbe3e4}}\ntd a{{color:inherit}}.key span{{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid;border-radius:4px;font-size:12px}}\n</style></head><body>\n<h1>{t}</h1>\n",
        t = esc(title)
    );
    if discoveries.iter().any(|d| d.location.is_some()) {
        let scenario = discoveries
            .iter()
            .find_map(|d| d.scenario.as_deref())
            .unwrap_or("none (the deployment as planned)");
        let _ = writeln!(out, "<p>scenario: <b>{}</b></p>", esc(scenario));
    }
    // The matrix: one row per client and user, one column per location, in the order met.
    let mut places: Vec<&str> = Vec::new();
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for d in discoveries {
        if !places.contains(&place(d)) {
            places.push(place(d));
        }
        let row = (d.client.as_str(), d.sip_uri.as_str());
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    out.push_str("<h2>Summary</h2>\n<table class=\"matrix\"><tr><th>client</th><th>user</th>");
    for p in &places {
        let _ = write!(out, "<th>{}</th>", esc(p));
    }
    out.push_str("</tr>\n");
    for (client, uri) in &rows {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td>", esc(client), esc(uri));
        for p in &places {
            match discoveries
                .iter()
                .enumerate()
                .find(|(_, d)| d.client.as_str() == *client && d.sip_uri == *uri && place(d) == *p)
            {
                Some((i, d)) => {
                    let end = ending(d);
                    let mark = if d.verdict.ok() { "✓" } else { "✗" };
                    let _ = write!(
                        out,
                        "<td class=\"{}\"><a href=\"#d{i}\">{mark} {}</a></td>",
                        class(end),
                        esc(&d.verdict.summary())
                    );
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    let ok = discoveries.iter().filter(|d| d.verdict.ok()).count();
    let _ = writeln!(
        out,
        "</table>\n<p>{ok} of {} discoveries sign in.</p>",
        discoveries.len()
    );
    out.push_str("<p class=\"key\">");
    for decision in [
        Decision::Continues,
        Decision::MovedOn,
        Decision::SignsIn,
        Decision::SignsInAfterPrompt,
        Decision::Fails,
    ] {
        let (fill, stroke, words) = look(decision);
        let _ = write!(
            out,
            "<span style=\"background:{fill};border-color:{stroke}\">{words}</span>"
        );
    }
    out.push_str("</p>\n");
    for (i, d) in discoveries.iter().enumerate() {
        let end = ending(d);
        let scenario = d
            .scenario
            .as_deref()
            .map(|s| format!(" — scenario {s}"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<h2 id=\"d{i}\">{} — {} — {}{}</h2>\n<p class=\"{}\"><b>{}</b></p>\n",
            esc(d.client.as_str()),
            esc(&d.sip_uri),
            esc(place(d)),
            esc(&scenario),
            class(end),
            esc(&d.verdict.summary())
        );
        let lines = step_lines(d);
        let (w, box_h, gap) = (720, 46, 18);
        let h = lines.len() * (box_h + gap) + 10;
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"discovery chain\">"
        );
        for (i, ((asked, got, _), step)) in lines.iter().zip(&d.steps).enumerate() {
            let y = 5 + i * (box_h + gap);
            let (fill, stroke, _) = look(step.decision);
            let width = if d.decided_by == Some(i) || step.decision == Decision::Fails {
                3
            } else {
                1
            };
            let _ = writeln!(
                out,
                "<rect x=\"10\" y=\"{y}\" width=\"{}\" height=\"{box_h}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>",
                w - 20
            );
            // Long URLs are cut to the box; the table below has them whole.
            let mut asked_shown: String = asked.chars().take(88).collect();
            if asked.chars().count() > 88 {
                asked_shown.push('…');
            }
            let _ = writeln!(
                out,
                "<text x=\"20\" y=\"{}\" font-size=\"13\" font-weight=\"bold\">{}. {}</text>",
                y + 18,
                i + 1,
                esc(&asked_shown)
            );
            let shown: String = got.chars().take(100).collect();
            let _ = writeln!(
                out,
                "<text x=\"20\" y=\"{}\" font-size=\"12\">{}</text>",
                y + 36,
                esc(&shown)
            );
            if i + 1 < lines.len() {
                let _ = writeln!(
                    out,
                    "<line x1=\"40\" y1=\"{}\" x2=\"40\" y2=\"{}\" stroke=\"#5b6b7f\" stroke-width=\"2\"/>",
                    y + box_h,
                    y + box_h + gap
                );
            }
        }
        out.push_str("</svg>\n<table><tr><th>#</th><th>asked</th><th>answer</th><th>decision</th><th>why the client moved on</th></tr>\n");
        for (i, ((asked, got, note), step)) in lines.iter().zip(&d.steps).enumerate() {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                esc(asked),
                esc(got),
                look(step.decision).2,
                esc(note.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
