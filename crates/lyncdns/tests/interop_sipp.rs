//! Interop: SIPp, an independent SIP implementation, runs OPTIONS and REGISTER scenarios against the registrar of
//! `lyncdns serve --sip` for the Director deployment: OPTIONS → 200 with the server's identity; REGISTER at the
//! Director → 301 to each user's home pool; REGISTER at the home pool → 401 with the NTLM, Kerberos and TLS-DSK
//! challenges. Debian's sipp is built without TLS, so it speaks SIP over TCP (`-t t1`) to `socat`, which carries
//! it over TLS to the registrar, checking the lab CA's certificate for the registrar's name. Skipped (with a
//! message) without sipp or socat, unless `LYNCDNS_INTEROP=require`.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::{Peer, Serve, free_port, interop_tool};

const DEPLOYMENT: &str = "examples/enterprise-director.toml";

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(&format!("{key}="))
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

/// One request of a scenario and what its response must be: the status, and regular expressions the whole
/// response must match.
struct Step {
    method: &'static str,
    status: u16,
    expect: Vec<String>,
}

/// A SIPp scenario (XML) sending each step's request in turn and checking its response.
fn scenario(steps: &[Step]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<scenario name=\"lyncdns\">\n",
    );
    let mut vars = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let cseq = i + 1;
        let method = s.method;
        let contact = if method == "REGISTER" {
            "      Contact: <sip:[service]@[local_ip]:[local_port];transport=tls>\n      Expires: 3600\n"
        } else {
            ""
        };
        xml.push_str(&format!(
            "  <send>\n    <![CDATA[\n      {method} sip:[domain] SIP/2.0\n      Via: SIP/2.0/TLS [local_ip]:[local_port];branch=[branch]\n      From: <sip:[service]@[domain]>;tag=[call_number]\n      To: <sip:[service]@[domain]>\n      Call-ID: [call_id]\n      CSeq: {cseq} {method}\n{contact}      Max-Forwards: 70\n      Content-Length: 0\n\n    ]]>\n  </send>\n"
        ));
        xml.push_str(&format!(
            "  <recv response=\"{}\">\n    <action>\n",
            s.status
        ));
        for (j, re) in s.expect.iter().enumerate() {
            let var = format!("v{i}_{j}");
            let re = re
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            xml.push_str(&format!(
                "      <ereg regexp=\"{re}\" search_in=\"msg\" check_it=\"true\" assign_to=\"{var}\"/>\n"
            ));
            vars.push(var);
        }
        xml.push_str("    </action>\n  </recv>\n");
    }
    if !vars.is_empty() {
        xml.push_str(&format!(
            "  <Reference variables=\"{}\"/>\n",
            vars.join(",")
        ));
    }
    xml.push_str("</scenario>\n");
    xml
}

/// Runs `scenario` once as `user@domain` against `port` (socat's), and fails with SIPp's errors.
fn run_sipp(
    sipp: &Path,
    dir: &Path,
    name: &str,
    port: u16,
    user: &str,
    domain: &str,
    steps: &[Step],
) {
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, scenario(steps)).unwrap();
    let errors = dir.join(format!("{name}.errors"));
    let out = Command::new(sipp)
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-t",
            "t1",
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-timeout",
            "60",
            "-timeout_error",
        ])
        .args(["-trace_err", "-error_file"])
        .arg(&errors)
        .arg("-sf")
        .arg(&file)
        .args(["-s", user, "-key", "domain", domain])
        .stdin(Stdio::null())
        .output()
        .expect("run sipp");
    let why = std::fs::read_to_string(&errors).unwrap_or_default();
    assert!(
        out.status.success(),
        "sipp scenario {name} as {user}@{domain} failed ({}): {why}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// socat listening on a free loopback port for SIPp's TCP, carrying it over TLS to `target`, checking the
/// certificate against the lab CA and `name`.
fn tls_bridge(socat: &Path, target: &str, ca: &str, name: &str) -> (Peer, u16) {
    let port = free_port();
    let child = Command::new(socat)
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
        .arg(format!("OPENSSL:{target},cafile={ca},commonname={name}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start socat");
    let peer = Peer(child);
    // socat binds at once; wait until it accepts (bounded).
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (peer, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("socat does not listen on {port}");
}

#[test]
fn sipp_registers_through_the_director_to_the_home_pool() {
    let (Some(sipp), Some(socat)) = (
        interop_tool("sipp", "sip-tester"),
        interop_tool("socat", "socat"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let deployment = support::root().join(DEPLOYMENT);
    let mut s = Serve::start(&[
        deployment.to_str().unwrap(),
        "--lab-ca",
        dir.path().to_str().unwrap(),
        "--sip",
        "dirpool.contoso.com=127.0.0.1:0",
        "--sip",
        "pool01.contoso.com=127.0.0.1:0",
    ]);
    let ca = field(&s.wait_for("SIP certificate issued by the lab CA"), "ca").to_owned();
    let mut addrs = std::collections::HashMap::new();
    for _ in 0..2 {
        let line = s.wait_for("SIP over TLS listening");
        addrs.insert(
            field(&line, "registrar").to_owned(),
            field(&line, "addr").to_owned(),
        );
    }
    let (_director, director) = tls_bridge(
        &socat,
        &addrs["dirpool.contoso.com"],
        &ca,
        "dirpool.contoso.com",
    );
    let (_pool, pool) = tls_bridge(
        &socat,
        &addrs["pool01.contoso.com"],
        &ca,
        "pool01.contoso.com",
    );

    let options = Step {
        method: "OPTIONS",
        status: 200,
        expect: vec![
            "Server: RTC/6.0 lyncdns".into(),
            "Allow: [^\\r]*REGISTER".into(),
        ],
    };
    let redirect = |pool: &str| Step {
        method: "REGISTER",
        status: 301,
        expect: vec![format!(
            "Contact: <sip:{}:5061;transport=tls>",
            pool.replace('.', "\\.")
        )],
    };
    run_sipp(
        &sipp,
        dir.path(),
        "director-carol",
        director,
        "carol",
        "contoso.com",
        &[options, redirect("pool01.contoso.com")],
    );
    run_sipp(
        &sipp,
        dir.path(),
        "director-dave",
        director,
        "dave",
        "contoso.net",
        &[redirect("pool02.contoso.com")],
    );
    let challenge = Step {
        method: "REGISTER",
        status: 401,
        expect: ["NTLM", "Kerberos", "TLS-DSK"]
            .iter()
            .map(|scheme| {
                format!(
                    r#"WWW-Authenticate: {scheme} realm="SIP Communications Service", targetname="[^"]*pool01\.contoso\.com", version=4"#
                )
            })
            .collect(),
    };
    run_sipp(
        &sipp,
        dir.path(),
        "pool-carol",
        pool,
        "carol",
        "contoso.com",
        &[challenge],
    );
}

#[test]
fn a_sip_listener_on_no_registrars_address_is_refused_with_the_choices() {
    let out = support::lyncdns(&["serve", "--dns", "127.0.0.1:0", "--sip", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("127.0.0.1 is no pool's or Director's address")
            && err.contains("lyncfe01.lyncdude.net"),
        "{err}"
    );
}
