//! Interop, issue 15: a real, independently written Lync client — pidgin-sipe (Debian package `pidgin-sipe`),
//! driven headless through libpurple by `tests/sipe/driver.c` — signs in against `lyncdns serve` in a private
//! mount and network namespace (`unshare -mn`): its resolver is lyncdns's DNS on 127.0.0.1:53 (a bind-mounted
//! `resolv.conf`), its CA store holds only the lab CA (a bind-mounted `/etc/ssl/certs`), and every deployment
//! address it is sent to is a loopback address of the namespace, where lyncdns listens. Three runs:
//!
//! - **inside**: the embedded example with the pool and its internal web services on 127.0.0.10; sipe's source,
//!   127.0.0.1, is in the internal view. sipe finds `lyncdiscoverinternal`, and the SIP server the User document
//!   names is the pool, `lyncfe01.lyncdude.net:5061`, where `serve --sip 127.0.0.10:5061` plays the pool's
//!   registrar: sipe's REGISTER gets the home pool's `401` (NTLM, Kerberos, TLS-DSK).
//! - **inside, through the Director**: `examples/enterprise-director.toml` with its web services on 127.0.0.20 and
//!   pool02's VIP on 127.0.0.12; dave (homed on pool02) gets a ticket at the Director's web services, whose User
//!   resource redirects him to pool02's Autodiscover (the Director homes nobody, `lyncdns_lync::sources::S40`), gets
//!   a second ticket there, and is sent to `pool02.contoso.com:5061`, where `serve --sip 127.0.0.12:5061` plays
//!   pool02's registrar: the home pool's `401`.
//! - **outside**: the same deployment with the internal view's loopback clients removed (127.0.0.1 is then
//!   external) and, with `[options] allow_private_external = true`, the Access Edge on 127.0.0.11 and the reverse
//!   proxy on 127.0.0.20 (as `discover_lab.rs` does): sipe reaches `lyncdiscover` and `lyncwebext` through the
//!   external view, and the User document sends it to the Access Edge, `access.lyncdude.net:443`, where
//!   `serve --sip 127.0.0.11:443` plays the Edge's registrar: a `401` for the home pool (remote users are not
//!   redirected).
//!
//! In both, sipe must go the WebTicket way (`docs/lync.md` §3.4): the User resource's 401 → `/mex` → at `/Auth`,
//! NTLM (sipe's default) or, inside, also Negotiate (Kerberos, which finds no KDC, then NTLM) → a ticket → the
//! User document → a TLS connection to the SIP server lyncdns predicts, without the SRV fallback before it. The
//! registrar's log line (`lyncdns::sip`: method, `From`, status, decision) shows that the REGISTER arrived for
//! the user and got the `401`; sipe's log shows that it read that challenge, naming the home pool. (With "ntlm" sipe
//! then answers with NTLM, which the lab does not check: `403`; with "auto" it picks TLS-DSK and asks the
//! certificate provisioning service's `/mex`, which the lab does not serve: `404`. Either way sipe stops; the
//! driver quits two seconds after its connection error, or after 60 s at most.) Autodiscover names the home pool (also through the Director, whose redirect is at the
//! HTTP level), so no SIP `301` comes into play on this path (the Director registrar's `301`, reached through the
//! SRV records, is `interop_sipp.rs`'s).
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

/// One sign-in: where the client is, and where lyncdns should send it.
struct Case {
    /// `inside` or `outside` (for messages).
    name: &'static str,
    /// The deployment `serve` reads.
    deployment: String,
    /// `serve`'s listeners besides DNS (whitespace-separated arguments).
    listeners: &'static str,
    /// The user who signs in.
    user: &'static str,
    /// The web services FQDNs whose WebTicket service sipe must use, in order (a Director's, then the home
    /// pool's after the Director's Autodiscover redirect).
    web: &'static [&'static str],
    /// The user's home pool (the `targetname` of the registrar's challenge).
    home: &'static str,
    /// The SIP server (host, port) the User document must send sipe to.
    sip: (&'static str, u16),
    /// The registrar (its FQDN in the log) that must answer the REGISTER.
    registrar: &'static str,
    /// sipe's `authentication` settings to run.
    auths: &'static [&'static str],
}

/// The embedded example with its internal addresses on loopback: the pool and internal web services on
/// 127.0.0.10.
fn inside() -> Case {
    let deployment = lyncdns_model::EMBEDDED_EXAMPLE.replace("\"10.0.0.10\"", "\"127.0.0.10\"");
    assert_ne!(deployment, lyncdns_model::EMBEDDED_EXAMPLE);
    Case {
        name: "inside",
        deployment,
        listeners: "--https 127.0.0.10:443 --http 127.0.0.10:80 --sip 127.0.0.10:5061",
        user: "alice@lyncdude.net",
        web: &["lyncwebint.lyncdude.net"],
        home: "lyncfe01.lyncdude.net",
        sip: ("lyncfe01.lyncdude.net", 5061),
        registrar: "lyncfe01.lyncdude.net",
        auths: &["ntlm", "auto"],
    }
}

/// As [`inside`], with 127.0.0.1 outside (the internal view keeps only the private ranges) and the public
/// addresses sipe is sent to on loopback: the Access Edge on 127.0.0.11, the reverse proxy on 127.0.0.20.
fn outside() -> Case {
    let base = inside().deployment;
    let deployment = base
        .replace("clients = [\"127.0.0.1/32\", \"::1/128\", ", "clients = [")
        .replace("\"203.0.113.10\"", "\"127.0.0.11\"")
        .replace("\"203.0.113.20\"", "\"127.0.0.20\"")
        .replace(
            "[features]",
            "[options]\nallow_private_external = true\n\n[features]",
        );
    assert_eq!(
        deployment.matches("127.0.0.").count(),
        base.matches("127.0.0.").count() + 1,
        "the example changed: the outside variant no longer applies"
    );
    Case {
        name: "outside",
        deployment,
        listeners: "--https 127.0.0.20:443 --http 127.0.0.20:80 --sip 127.0.0.11:443",
        user: "alice@lyncdude.net",
        web: &["lyncwebext.lyncdude.net"],
        home: "lyncfe01.lyncdude.net",
        sip: ("access.lyncdude.net", 443),
        registrar: "access.lyncdude.net",
        auths: &["ntlm"],
    }
}

/// `examples/enterprise-director.toml` inside (127.0.0.1 added to the internal view's clients), every web
/// services address on 127.0.0.20 (one HTTPS listener; the `Host` tells the Director's web services from the
/// pools') and pool02's hardware load balancer VIP on 127.0.0.12. dave is homed on pool02: the Director's
/// Autodiscover sends him to pool02's, whose User document names pool02.
fn inside_with_director() -> Case {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/enterprise-director.toml"),
    )
    .unwrap();
    let mut deployment = example.replace(
        "clients = [\"10.0.0.0/8\",",
        "clients = [\"127.0.0.1/32\", \"10.0.0.0/8\",",
    );
    for (from, to) in [
        ("\"10.0.5.20\"", "\"127.0.0.20\""),
        ("\"10.0.10.20\"", "\"127.0.0.20\""),
        ("\"10.0.20.20\"", "\"127.0.0.20\""),
        ("\"10.0.20.10\"", "\"127.0.0.12\""),
    ] {
        assert!(deployment.contains(from), "the example changed: no {from}");
        deployment = deployment.replace(from, to);
    }
    assert_ne!(deployment.matches("127.0.0.1/32").count(), 0);
    Case {
        name: "inside, through the Director",
        deployment,
        listeners: "--https 127.0.0.20:443 --http 127.0.0.20:80 --sip 127.0.0.12:5061",
        user: "dave@contoso.net",
        web: &["dirwebint.contoso.com", "webint02.contoso.com"],
        home: "pool02.contoso.com",
        sip: ("pool02.contoso.com", 5061),
        registrar: "pool02.contoso.com",
        auths: &["ntlm"],
    }
}

#[test]
fn pidgin_sipe_inside_gets_its_registrar_from_autodiscover_and_registers_there() {
    sign_in(inside());
}

#[test]
fn pidgin_sipe_inside_follows_the_directors_autodiscover_redirect_and_registers_at_the_home_pool() {
    sign_in(inside_with_director());
}

#[test]
fn pidgin_sipe_outside_gets_the_access_edge_from_autodiscover_and_registers_there() {
    sign_in(outside());
}

/// Runs sipe against `lyncdns serve` in a private namespace for each of `case.auths`, and checks both sides.
fn sign_in(case: Case) {
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
    std::fs::write(d.join("lab.toml"), &case.deployment).unwrap();
    std::fs::write(d.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    for sub in ["ca", "certs"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    // Everything runs inside the namespace; each wait is bounded, and the server is stopped at the end. serve.log
    // is appended to, so that a marker line can separate the runs.
    let script = r#"
set -eu
ip link set lo up
mount --bind "$D/resolv.conf" /etc/resolv.conf
"$LYNCDNS" serve "$D/lab.toml" --workers 1 --dns 127.0.0.1:53 $LISTENERS --lab-ca "$D/ca" >> "$D/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "SIP over TLS listening" "$D/serve.log" && break; sleep 0.1; done
cp "$D/ca/ca.pem" "$D/certs/lyncdns-lab.pem"
mount --bind "$D/certs" /etc/ssl/certs
for auth in $AUTHS; do
    echo "=== sipe run: $auth" >> "$D/serve.log"
    mkdir -p "$D/purple-$auth"
    PURPLE_TEST_DIR="$D/purple-$auth" LD_PRELOAD="$D/sax1_shim.so" DRIVER_UNTIL="Connection error on" \
        timeout 120 "$D/driver" "$SIPE_USER" 'Lab-Passw0rd!' 60 "$auth" \
        > "$D/driver-$auth.log" 2>&1 || echo "driver exit $?" >> "$D/driver-$auth.log"
done
"#;
    let status = Command::new(&unshare)
        .args(["-mn", "bash", "-c", script])
        .env("D", d)
        .env("LYNCDNS", env!("CARGO_BIN_EXE_lyncdns"))
        .env("LISTENERS", case.listeners)
        .env("AUTHS", case.auths.join(" "))
        .env("SIPE_USER", case.user)
        .status()
        .expect("unshare runs");
    let serve = std::fs::read_to_string(d.join("serve.log")).unwrap_or_default();
    assert!(
        status.success(),
        "{}: the namespace script failed\nserve.log:\n{serve}",
        case.name
    );
    let (host, port) = case.sip;
    for auth in case.auths {
        let log = std::fs::read_to_string(d.join(format!("driver-{auth}.log"))).unwrap_or_default();
        // The registrar's lines of this run: between its marker and the next.
        let registrar_log = serve
            .split(&format!("=== sipe run: {auth}\n"))
            .nth(1)
            .map(|rest| rest.split("=== sipe run: ").next().unwrap_or(""))
            .unwrap_or("");
        let context = || {
            let sipe: Vec<&str> = log.lines().filter(|l| l.contains("sipe:")).collect();
            format!(
                "{}, authentication {auth}\nserve.log:\n{serve}\nsipe's log (last 60 lines):\n{}",
                case.name,
                sipe[sipe.len().saturating_sub(60)..].join("\n")
            )
        };
        let find = |needle: &str, what: &str| -> usize {
            log.find(needle)
                .unwrap_or_else(|| panic!("sipe did not {what} (no `{needle}`)\n{}", context()))
        };
        for web in case.web {
            find(
                &format!(
                    "webticket_metadata: WebTicket Windows Negotiate Auth URI https://{web}/WebTicket/WebTicketService.svc/Auth"
                ),
                "find the /Auth endpoint in /mex",
            );
        }
        if *auth == "auto" {
            find(
                "sip_sec_acquire_cred__negotiate: fallback to NTLM",
                "fall back from Kerberos to NTLM",
            );
        }
        find(
            "sipe_svc_https_response: code 200",
            "get a 200 from the WebTicket service",
        );
        // A ticket for each User resource, in order (the home pool's after the Director's redirect).
        let tickets: Vec<usize> = case
            .web
            .iter()
            .map(|web| {
                find(
                    &format!(
                        "sipe_lync_autodiscover_webticket: got ticket for Auth URI https://{web}/Autodiscover/AutodiscoverService.svc/root/user"
                    ),
                    "get a web ticket for the User resource",
                )
            })
            .collect();
        assert!(
            tickets.is_sorted(),
            "the tickets came out of order\n{}",
            context()
        );
        if let [.., before, home] = case.web {
            find(
                &format!(
                    "sipe_lync_autodiscover_parse: redirect to https://{home}/Autodiscover/AutodiscoverService.svc/root"
                ),
                &format!("follow {before}'s redirect to the home pool's Autodiscover"),
            );
        }
        let listed = find(
            "lync_autodiscover_cb: got server list",
            "read the User document",
        );
        let connect = find(
            &format!("transport_connect - hostname: {host} port: {port}"),
            "try the SIP server lyncdns predicts",
        );
        find(
            &format!("sip_transport_connected: '{host}:{port}'"),
            "connect over TLS to the SIP server lyncdns predicts",
        );
        let challenged = find(
            "process_input_message: msg->response(401),msg->method(REGISTER)",
            "get the registrar's 401 to its REGISTER",
        );
        // The challenge sipe picked (NTLM by default; "auto" picks TLS-DSK) names the home pool, also through the
        // Access Edge.
        let picked = log[challenged..]
            .lines()
            .find(|l| l.contains("process_register_response: Auth header: "))
            .unwrap_or_else(|| panic!("sipe read no challenge from the 401\n{}", context()));
        assert!(
            picked.contains(&format!(
                "realm=\"SIP Communications Service\", targetname=\"{}\", version=4",
                case.home
            )),
            "the challenge sipe read does not name the home pool: {picked}\n{}",
            context()
        );
        if *auth == "ntlm" {
            assert!(
                picked.contains("Auth header: NTLM "),
                "{picked}\n{}",
                context()
            );
        }
        // It got there through Autodiscover: the server list came before the connection, and no SRV fallback
        // before either.
        assert!(
            listed < connect && connect < challenged,
            "out of order\n{}",
            context()
        );
        if let Some(srv) = log.find("trying SRV records next") {
            assert!(connect < srv, "the SRV fallback came first\n{}", context());
        }
        // The registrar's side: the user's REGISTER arrived at the predicted registrar and got the 401.
        let registered = registrar_log.lines().any(|l| {
            l.contains("lyncdns::sip: SIP request")
                && l.contains(&format!("registrar={}", case.registrar))
                && l.contains("method=\"REGISTER\"")
                && l.contains(&format!("from=\"sip:{}\"", case.user))
                && l.contains("status=401")
                && l.contains(&format!("answer=Challenge {{ user: \"{}\" }}", case.user))
        });
        assert!(
            registered,
            "the registrar {} did not log {}'s REGISTER answered 401\n{}",
            case.registrar,
            case.user,
            context()
        );
    }
}
