//! The readable table: grouped by view and zone, one line per record with its feature, need and reason.

use crate::{Plan, ZoneKind};

/// Pads columns to the widest cell.
fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The plan as a table, then the planner's notes.
pub fn table(plan: &Plan) -> String {
    let mut out = format!("DNS plan for {}\n", plan.name);
    for view in &plan.views {
        let clients: Vec<String> = view.clients.iter().map(|c| c.to_string()).collect();
        out.push_str(&format!(
            "\n== view {} ({}), clients {} ==\n",
            view.name,
            view.location.as_str(),
            clients.join(", ")
        ));
        for zone in &view.zones {
            let kind = match zone.kind {
                ZoneKind::Domain => "zone",
                ZoneKind::PinPoint => "pin-point zone",
            };
            out.push_str(&format!("\n {kind} {}\n", zone.origin));
            let mut rows = vec![
                ["NAME", "TYPE", "DATA", "FEATURE", "NEED", "WHY"]
                    .map(String::from)
                    .to_vec(),
            ];
            for r in &zone.records {
                let mut feature = r.feature.as_str().to_owned();
                for f in &r.also_for {
                    feature.push('+');
                    feature.push_str(f.as_str());
                }
                rows.push(vec![
                    r.owner.clone(),
                    r.data.rtype().to_string(),
                    r.data.to_string(),
                    feature,
                    r.need.as_str().to_owned(),
                    format!("{} [{}]", r.why, r.sources.join(" ")),
                ]);
            }
            out.push_str(&columns(&rows));
        }
    }
    if !plan.notes.is_empty() {
        out.push_str("\nNotes\n");
        for note in &plan.notes {
            out.push_str(&format!("  - {} [{}]\n", note.text, note.sources.join(" ")));
        }
    }
    out
}

/// The certificate names per role.
pub fn certificates(plan: &Plan) -> String {
    let mut out = format!("Certificates for {}\n", plan.name);
    for cert in &plan.certificates {
        out.push_str(&format!(
            "\n {}\n   subject: {}\n   SANs:    {}\n   why:     {} [{}]\n",
            cert.role,
            cert.subject,
            cert.sans.join(", "),
            cert.why,
            cert.sources.join(" ")
        ));
    }
    out
}
