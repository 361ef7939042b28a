//! Interop, issue 15: a real, independently written Lync client — pidgin-sipe (Debian package `pidgin-sipe`),
//! driven headless through libpurple by `tests/sipe/driver.c` — signs in against `lyncdns serve` in a private
//! mount and network namespace (`unshare -mn`): its resolver is lyncdns's DNS on 127.0.0.1:53 (a bind-mounted
//! `resolv.conf`), its CA store holds only the lab CA (a bind-mounted `/etc/ssl/certs`), and the deployment is the
//! embedded example with the pool and its internal web services on 127.0.0.10, so the client is inside and every
//! name it looks up leads to a listener in the namespace. sipe must go the WebTicket way (`docs/lync.md` §3.4):
//! the User resource's 401 → `/mex` → at `/Auth`, NTLM (sipe's default) or Negotiate (Kerberos, which finds no
//! KDC, then NTLM) → a ticket → the User document → a connection attempt to the SIP server lyncdns predicts
//! (`lyncfe01.lyncdude.net:5061`; no registrar listens, so it then falls back to SRV, which this test does not
//! judge).
//!
//! Debian 12's patched libxml2 (2.9.14+dfsg-1.3~deb12u5/u6) makes sipe's SAX parser report no element, so every
//! document would read as empty: `tests/sipe/sax1_shim.c`, preloaded into the driver, hands sipe's handler to
//! libxml2 as the SAX1 handler it is. Skipped (with a message) without a C compiler, libpurple's headers, the sipe
//! plugin, `unshare` or root, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::interop_tool;

/// Skips (or, under `LYNCDNS_INTEROP=require`, fails) for a missing prerequisite other than a command.
fn missing(what: &str) -> Option<()> {
    if std::env::var("LYNCDNS_INTEROP").as_deref() == Ok("require") {
        panic!("{what} and LYNCDNS_INTEROP=require");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED interop test: {what}");
    None
}

/// The sipe plugin's path, if libpurple's development files and the plugin are installed.
fn sipe_plugin(pkg_config: &Path) -> Option<PathBuf> {
    let out = Command::new(pkg_config)
        .args(["--variable=plugindir", "purple"])
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    // libpurple looks in its own plugin folder and in /usr/lib/purple-2, where Debian puts the sipe plugin.
    [dir.trim(), "/usr/lib/purple-2"]
        .iter()
        .map(|d| Path::new(d).join("libsipe.so"))
        .find(|p| out.status.success() && p.is_file())
}

/// Compiles `tests/sipe/<source>` into `out` with the flags of the pkg-config `packages`.
fn compile(
    cc: &Path,
    pkg_config: &Path,
    source: &str,
    out: &Path,
    packages: &[&str],
    extra: &[&str],
) {
    let flags = Command::new(pkg_config)
        .args(["--cflags", "--libs"])
        .args(packages)
        .output()
        .expect("pkg-config runs");
    assert!(flags.status.success(), "pkg-config {packages:?}");
    let flags = String::from_utf8(flags.stdout).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipe")
        .join(source);
    let status = Command::new(cc)
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg(&src)
        .args(flags.split_whitespace())
        .status()
        .expect("cc runs");
    assert!(status.success(), "compiling {}", src.display());
}

#[test]
fn pidgin_sipe_gets_a_web_ticket_reads_the_user_document_and_tries_the_predicted_server() {
    let (Some(cc), Some(pkg_config), Some(unshare), Some(_ip)) = (
        interop_tool("cc", "gcc"),
        interop_tool("pkg-config", "pkg-config"),
        interop_tool("unshare", "util-linux"),
        interop_tool("ip", "iproute2"),
    ) else {
        return;
    };
    if sipe_plugin(&pkg_config).is_none() {
        let _ = missing(
            "the sipe plugin or libpurple's headers are missing (Debian packages pidgin-sipe, libpurple-dev)",
        );
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let _ = missing("unshare -mn needs root here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compile(
        &cc,
        &pkg_config,
        "driver.c",
        &d.join("driver"),
        &["purple", "glib-2.0"],
        &["-O1"],
    );
    compile(
        &cc,
        &pkg_config,
        "sax1_shim.c",
        &d.join("sax1_shim.so"),
        &["libxml-2.0"],
        &["-shared", "-fPIC", "-O1"],
    );
    // The embedded example, its pool and internal web services moved onto loopback inside the namespace.
    let lab = lyncdns_model::EMBEDDED_EXAMPLE.replace("10.0.0.10", "127.0.0.10");
    assert_ne!(lab, lyncdns_model::EMBEDDED_EXAMPLE);
    std::fs::write(d.join("lab.toml"), lab).unwrap();
    std::fs::write(d.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    for sub in ["ca", "certs"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    // Everything runs inside the namespace; each wait is bounded, and the server is stopped at the end.
    let script = r#"
set -eu
ip link set lo up
mount --bind "$D/resolv.conf" /etc/resolv.conf
"$LYNCDNS" serve "$D/lab.toml" --workers 1 --dns 127.0.0.1:53 --https 127.0.0.10:443 --http 127.0.0.10:80 \
    --lab-ca "$D/ca" > "$D/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on HTTPS" "$D/serve.log" && break; sleep 0.1; done
cp "$D/ca/ca.pem" "$D/certs/lyncdns-lab.pem"
mount --bind "$D/certs" /etc/ssl/certs
for auth in ntlm auto; do
    mkdir -p "$D/purple-$auth"
    PURPLE_TEST_DIR="$D/purple-$auth" LD_PRELOAD="$D/sax1_shim.so" \
        timeout 120 "$D/driver" alice@lyncdude.net 'Lab-Passw0rd!' 60 "$auth" \
        > "$D/driver-$auth.log" 2>&1 || echo "driver exit $?" >> "$D/driver-$auth.log"
done
"#;
    let status = Command::new(&unshare)
        .args(["-mn", "bash", "-c", script])
        .env("D", d)
        .env("LYNCDNS", env!("CARGO_BIN_EXE_lyncdns"))
        .status()
        .expect("unshare runs");
    let serve = std::fs::read_to_string(d.join("serve.log")).unwrap_or_default();
    assert!(
        status.success(),
        "the namespace script failed\nserve.log:\n{serve}"
    );
    // sipe's default ("ntlm": HTTP NTLM) and "auto" (HTTP Negotiate: Kerberos, which finds no KDC here, then NTLM
    // inside Negotiate).
    for auth in ["ntlm", "auto"] {
        let log = std::fs::read_to_string(d.join(format!("driver-{auth}.log"))).unwrap_or_default();
        let context = || {
            let sipe: Vec<&str> = log.lines().filter(|l| l.contains("sipe:")).collect();
            format!(
                "authentication {auth}\nserve.log:\n{serve}\nsipe's log (last 60 lines):\n{}",
                sipe[sipe.len().saturating_sub(60)..].join("\n")
            )
        };
        let expect = |needle: &str, what: &str| {
            assert!(
                log.contains(needle),
                "sipe did not {what} (no `{needle}`)\n{}",
                context()
            );
        };
        expect(
            "webticket_metadata: WebTicket Windows Negotiate Auth URI https://lyncwebint.lyncdude.net/WebTicket/WebTicketService.svc/Auth",
            "find the /Auth endpoint in /mex",
        );
        if auth == "auto" {
            expect(
                "sip_sec_acquire_cred__negotiate: fallback to NTLM",
                "fall back from Kerberos to NTLM",
            );
        }
        expect(
            "sipe_svc_https_response: code 200",
            "get a 200 from the WebTicket service",
        );
        expect(
            "sipe_lync_autodiscover_webticket: got ticket",
            "get a web ticket",
        );
        expect(
            "lync_autodiscover_cb: got server list",
            "read the User document",
        );
        expect(
            "transport_connect - hostname: lyncfe01.lyncdude.net port: 5061",
            "try the SIP server lyncdns predicts",
        );
        // It got there through Autodiscover: the server list came before any SRV fallback.
        let listed = log.find("lync_autodiscover_cb: got server list").unwrap();
        if let Some(srv) = log.find("trying SRV records next") {
            assert!(listed < srv, "the SRV fallback came first\n{}", context());
        }
    }
}
