//! Interop: the zone files and BIND views that `lyncdns plan` writes are accepted by BIND's `named-checkzone` and
//! `named-checkconf -z`, and by Knot's `kzonecheck`, for every example. Skipped (with a message) when the tools
//! are missing, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::path::Path;
use std::process::Command;

use support::{examples, interop_tool, lyncdns};

/// Writes the plan of `example` as bind-views into `dir` and returns the zone files as (origin, path).
fn write_plan(example: &Path, dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let out = lyncdns(&[
        "plan",
        example.to_str().unwrap(),
        "--format",
        "bind-views",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut zones = Vec::new();
    for view in std::fs::read_dir(dir).unwrap() {
        let view = view.unwrap().path();
        if view.is_dir() {
            for z in std::fs::read_dir(&view).unwrap() {
                let z = z.unwrap().path();
                let origin = z
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .trim_end_matches(".zone")
                    .to_owned();
                zones.push((origin, z));
            }
        }
    }
    assert!(zones.len() >= 2);
    zones
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run checker");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn named_checkzone_and_checkconf_accept_every_plan() {
    let (Some(checkzone), Some(checkconf)) = (
        interop_tool("named-checkzone", "bind9-utils"),
        interop_tool("named-checkconf", "bind9-utils"),
    ) else {
        return;
    };
    for example in examples() {
        let dir = tempfile::tempdir().unwrap();
        for (origin, path) in write_plan(&example, dir.path()) {
            let (ok, out) = run(Command::new(&checkzone)
                .args(["-k", "fail", "-n", "fail", "-i", "full"])
                .arg(&origin)
                .arg(&path));
            assert!(ok, "{}: {origin}: {out}", example.display());
            assert!(out.contains("OK"), "{out}");
        }
        let conf = dir.path().join("named.conf");
        std::fs::write(
            &conf,
            format!(
                "options {{ directory \"{0}\"; }};\ninclude \"{0}/named.conf.views\";\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let (ok, out) = run(Command::new(&checkconf).arg("-z").arg(&conf));
        assert!(ok, "{}: named-checkconf -z: {out}", example.display());
        assert!(out.contains("loaded serial"), "{out}");
    }
}

#[test]
fn kzonecheck_accepts_every_zone() {
    let Some(kzonecheck) = interop_tool("kzonecheck", "knot-dnssecutils") else {
        return;
    };
    for example in examples() {
        let dir = tempfile::tempdir().unwrap();
        for (origin, path) in write_plan(&example, dir.path()) {
            let (ok, out) = run(Command::new(&kzonecheck).arg("-o").arg(&origin).arg(&path));
            assert!(ok, "{}: {origin}: {out}", example.display());
        }
    }
}

#[test]
fn the_checkers_do_reject_a_broken_zone() {
    // Guards against a checker invocation that accepts anything: an SRV record whose target is a CNAME and a
    // CNAME beside other data must fail.
    let Some(checkzone) = interop_tool("named-checkzone", "bind9-utils") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.zone");
    std::fs::write(&path, "$ORIGIN example.test.\n@ 3600 IN SOA ns. h. 1 2 3 4 5\n@ 3600 IN NS ns.example.test.\nns 3600 IN A 192.0.2.1\nx 3600 IN CNAME ns\nx 3600 IN A 192.0.2.2\n").unwrap();
    let (ok, out) = run(Command::new(&checkzone)
        .args(["-k", "fail", "-n", "fail", "-i", "full"])
        .arg("example.test")
        .arg(&path));
    assert!(
        !ok,
        "named-checkzone accepted a CNAME beside other data: {out}"
    );
}
