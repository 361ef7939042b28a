//! Helpers of the zone-transfer interop tests: `dig` runs, the exported views and zones, and answers to compare.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Runs `dig` with `args`; its standard output.
pub fn dig(dig: &Path, args: &[&str]) -> String {
    let out = Command::new(dig)
        .args(["+tries=1", "+time=5"])
        .args(args)
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The views and their zones, read from the exported `named.conf.secondary`.
pub fn views_and_zones(conf: &str) -> Vec<(String, Vec<String>)> {
    let mut views: Vec<(String, Vec<String>)> = Vec::new();
    for line in conf.lines() {
        let quoted = || line.split('"').nth(1).unwrap_or_default().to_owned();
        if line.starts_with("view \"") {
            views.push((quoted(), Vec::new()));
        } else if line.trim_start().starts_with("zone \"") {
            views.last_mut().unwrap().1.push(quoted());
        }
    }
    views
}

/// The answer lines of `dig` queries for every `(name, type)`, sorted (load-balanced addresses come in any order).
pub fn answers(
    dig_path: &Path,
    server: &str,
    port: u16,
    how: &[&str],
    questions: &BTreeSet<(String, String)>,
) -> Vec<String> {
    let batch = tempfile::NamedTempFile::new().unwrap();
    let text: String = questions
        .iter()
        .map(|(n, t)| format!("{n} {t}\n"))
        .collect();
    std::fs::write(batch.path(), text).unwrap();
    let port = port.to_string();
    let mut args = vec![
        format!("@{server}"),
        "-p".into(),
        port,
        "+norec".into(),
        "+noall".into(),
        "+answer".into(),
    ];
    args.extend(how.iter().map(|s| s.to_string()));
    args.extend(["-f".into(), batch.path().display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut lines: Vec<String> = dig(dig_path, &args)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.sort();
    lines
}

/// Every `(name, type)` of `zones`, from lyncdns's own AXFR of each with `key` (its TSIG records left out).
pub fn questions(
    dig_path: &Path,
    port: u16,
    key: &str,
    zones: &[String],
) -> BTreeSet<(String, String)> {
    let mut questions = BTreeSet::new();
    for zone in zones {
        let axfr = dig(
            dig_path,
            &[
                "@127.0.0.1",
                "-p",
                &port.to_string(),
                "-y",
                key,
                zone,
                "AXFR",
            ],
        );
        for line in axfr
            .lines()
            .filter(|l| !l.starts_with(';') && !l.is_empty())
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            // Each message's TSIG record is not zone data.
            if f.len() > 3 && f[3] != "TSIG" {
                questions.insert((f[0].to_owned(), f[3].to_owned()));
            }
        }
    }
    questions
}

/// `examples/NAME` written into `dir` with its NOTIFY target (`127.0.0.1:5399`) moved to the free `port` the
/// secondary under test listens on; the path written.
pub fn example_notifying(dir: &Path, name: &str, port: u16) -> std::path::PathBuf {
    let text = std::fs::read_to_string(super::root().join("examples").join(name))
        .unwrap()
        .replace("127.0.0.1:5399", &format!("127.0.0.1:{port}"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
