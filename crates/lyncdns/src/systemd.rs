//! Running under systemd: whether stderr goes to the journal (which stamps every line itself), and the readiness
//! protocol of `Type=notify` units (`sd_notify(3)`: READY=1, RELOADING=1, STOPPING=1, STATUS=).
//!
//! Every notification is a no-op without `NOTIFY_SOCKET`, so `serve` behaves the same outside systemd; a failed
//! send is logged, never fatal (the DNS keeps serving whatever the service manager thinks).

use sd_notify::NotifyState;

/// Whether the process runs as a systemd service: `JOURNAL_STREAM` (stderr connected to the journal) or
/// `INVOCATION_ID` (set for every unit's processes) is present and not empty. `var` reads one variable.
pub fn under_systemd(var: impl Fn(&str) -> Option<String>) -> bool {
    ["JOURNAL_STREAM", "INVOCATION_ID"]
        .iter()
        .any(|name| var(name).is_some_and(|v| !v.is_empty()))
}

/// Tells the service manager that every listener is up, with `status` as the unit's status line.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(&one_line(status))]);
}

/// Tells the service manager that a reload (SIGHUP) started; [`ready`] ends it with the result.
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading, NotifyState::Status("reloading")];
    // Type=notify-reload (systemd 253) wants the time the reload started; plain Type=notify ignores it.
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    send(&states);
}

/// Tells the service manager that the server is shutting down.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("shutting down")]);
}

/// A status for systemd's one-line field: line breaks become `; `, and it is cut at 400 characters.
fn one_line(status: &str) -> String {
    let flat = status
        .split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match flat.char_indices().nth(400) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::warn!(error = %e, "cannot notify the service manager (NOTIFY_SOCKET)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_or_invocation_id_means_systemd() {
        let env = |set: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                set.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(under_systemd(env(&[("JOURNAL_STREAM", "8:12345")])));
        assert!(under_systemd(env(&[("INVOCATION_ID", "0123abcd")])));
        assert!(!under_systemd(env(&[("JOURNAL_STREAM", "")])));
        assert!(!under_systemd(env(&[("TERM", "xterm")])));
    }

    #[test]
    fn status_is_one_bounded_line() {
        assert_eq!(one_line("a\nb\r\n\nc"), "a; b; c");
        assert_eq!(one_line(&"é".repeat(500)).chars().count(), 401);
    }
}
