//! The Autodiscover access log of `lyncdns serve` (issue 18): one line per request with Host, method, path, query
//! (`sipuri` kept, secrets removed), status, user agent, duration and client address.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use support::Serve;

#[test]
fn each_autodiscover_request_is_logged_with_host_query_status_and_agent_but_no_secret() {
    let mut s = Serve::start(&["--http", "127.0.0.1:0"]);
    let line = s.wait_for("Autodiscover listening on HTTP");
    let addr = line
        .split("addr=")
        .nth(1)
        .and_then(|a| a.split_whitespace().next())
        .expect("addr= in the listener line")
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /Autodiscover/AutodiscoverService.svc/root?sipuri=sip:alice@lyncdude.net&access_token=s3cr3t HTTP/1.1\r\n\
         Host: lyncdiscover.lyncdude.net\r\nUser-Agent: ACOMO/1.0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .expect("a status line")
        .to_owned();

    let line = s.wait_for("lyncdns::access");
    for part in [
        "host=\"lyncdiscover.lyncdude.net\"",
        "method=GET",
        "path=/Autodiscover/AutodiscoverService.svc/root",
        "query=sipuri=sip:alice@lyncdude.net&access_token=[redacted]",
        &format!("status={status}"),
        "user_agent=\"ACOMO/1.0\"",
        "client=127.0.0.1:",
        "duration_ms=",
    ] {
        assert!(line.contains(part), "`{part}` missing in {line}");
    }
    assert!(!line.contains("s3cr3t"), "{line}");
}
