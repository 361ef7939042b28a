//! Counters for the Prometheus `/metrics` endpoint.
//!
//! Each UDP worker owns a [`Stats`] block that only it writes (so counting costs an uncontended relaxed add and
//! never a lock); TCP connections share one block. A scrape sums the blocks and renders the text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::answer::Outcome;
use lyncdns_dnsdata::types::{Rcode, Rtype};

/// Views counted by index; queries answered by a view beyond this are counted under the last slot.
pub const MAX_VIEWS: usize = 64;
/// The slot for queries no view answered (REFUSED before view selection, FORMERR, …).
const NO_VIEW: usize = MAX_VIEWS;
const QTYPES: [Rtype; 11] = [
    Rtype::A,
    Rtype::AAAA,
    Rtype::SRV,
    Rtype::CNAME,
    Rtype::SOA,
    Rtype::NS,
    Rtype::TXT,
    Rtype::MX,
    Rtype::PTR,
    Rtype::ANY,
    Rtype::HINFO,
];
const N_QTYPES: usize = QTYPES.len() + 1;
const RCODES: [Rcode; 7] = [
    Rcode::NOERROR,
    Rcode::FORMERR,
    Rcode::SERVFAIL,
    Rcode::NXDOMAIN,
    Rcode::NOTIMP,
    Rcode::REFUSED,
    Rcode::BADVERS,
];
const N_RCODES: usize = RCODES.len() + 1;
/// Upper bounds of the latency histogram, in microseconds.
pub const LATENCY_BOUNDS_US: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 500, 1000, 10_000];

/// UDP or TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// UDP.
    Udp = 0,
    /// TCP.
    Tcp = 1,
}

/// One block of counters.
pub struct Stats {
    queries: Box<[AtomicU64]>,
    truncated: AtomicU64,
    latency: [AtomicU64; LATENCY_BOUNDS_US.len() + 1],
    latency_sum_ns: AtomicU64,
    /// Answers dropped by response rate limiting, by view.
    rrl_dropped: Box<[AtomicU64]>,
    /// Answers sent truncated by response rate limiting (slipped), by view.
    rrl_slipped: Box<[AtomicU64]>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            queries: (0..2 * (MAX_VIEWS + 1) * N_QTYPES * N_RCODES)
                .map(|_| AtomicU64::new(0))
                .collect(),
            truncated: AtomicU64::new(0),
            latency: Default::default(),
            latency_sum_ns: AtomicU64::new(0),
            rrl_dropped: (0..MAX_VIEWS).map(|_| AtomicU64::new(0)).collect(),
            rrl_slipped: (0..MAX_VIEWS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

fn qtype_slot(t: Rtype) -> usize {
    QTYPES.iter().position(|q| *q == t).unwrap_or(QTYPES.len())
}

fn rcode_slot(r: Rcode) -> usize {
    RCODES.iter().position(|q| *q == r).unwrap_or(RCODES.len())
}

impl Stats {
    /// Counts one answered query.
    #[inline]
    pub fn count(&self, proto: Proto, o: &Outcome) {
        let view = o
            .view
            .map(|v| (v as usize).min(MAX_VIEWS - 1))
            .unwrap_or(NO_VIEW);
        let i = ((proto as usize * (MAX_VIEWS + 1) + view) * N_QTYPES + qtype_slot(o.qtype))
            * N_RCODES
            + rcode_slot(o.rcode);
        self.queries[i].fetch_add(1, Relaxed);
        if o.truncated {
            self.truncated.fetch_add(1, Relaxed);
        }
    }

    /// Counts an answer of view `view` that response rate limiting dropped (`slipped`: sent truncated instead).
    #[inline]
    pub fn rate_limited(&self, view: u16, slipped: bool) {
        let v = (view as usize).min(MAX_VIEWS - 1);
        let counter = if slipped {
            &self.rrl_slipped[v]
        } else {
            &self.rrl_dropped[v]
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Records that `n` queries took `elapsed_ns` in all (a batch); each is counted at the batch's mean time.
    #[inline]
    pub fn latency(&self, n: u64, elapsed_ns: u64) {
        if n == 0 {
            return;
        }
        let each_us = elapsed_ns / n / 1000;
        let slot = LATENCY_BOUNDS_US
            .iter()
            .position(|b| each_us < *b)
            .unwrap_or(LATENCY_BOUNDS_US.len());
        self.latency[slot].fetch_add(n, Relaxed);
        self.latency_sum_ns.fetch_add(elapsed_ns, Relaxed);
    }
}

/// Server-wide counters.
#[derive(Default)]
pub struct Global {
    /// Open TCP connections.
    pub tcp_open: AtomicI64,
    /// TCP connections accepted.
    pub tcp_accepted: AtomicU64,
    /// TCP connections closed at once: the limit across listeners was reached.
    pub tcp_refused_connections: AtomicU64,
    /// TCP connections closed at once: their client prefix held as many as it may.
    pub tcp_refused_prefix: AtomicU64,
    /// TCP connections closed at once, or left waiting, because the process was near its file descriptor limit.
    pub tcp_refused_fds: AtomicU64,
    /// Times accepting TCP paused because the process was near its file descriptor limit.
    pub tcp_fd_pauses: AtomicU64,
    /// DNS listeners whose accepting is paused now for lack of file descriptors.
    pub tcp_fd_paused: AtomicI64,
    /// TCP connections closed because the client did not read its answers within the I/O timeout.
    pub tcp_write_timeouts: AtomicU64,
    /// Metrics connections closed at once: the metrics listener's connection limit was reached.
    pub metrics_refused: AtomicU64,
    /// Successful reloads.
    pub reload_ok: AtomicU64,
    /// Failed reloads (the old data kept serving).
    pub reload_failed: AtomicU64,
    /// Records served, by the current snapshot.
    pub records: AtomicU64,
}

/// Renders the Prometheus text exposition of `blocks` and `global`; `views` names the view indexes.
pub fn render(blocks: &[&Stats], global: &Global, views: &[String]) -> String {
    let mut out = String::new();
    out.push_str("# HELP lyncdns_queries_total DNS queries answered, by transport, view, query type and response code.\n# TYPE lyncdns_queries_total counter\n");
    for proto in [Proto::Udp, Proto::Tcp] {
        for view in 0..=MAX_VIEWS {
            for (qi, qname) in QTYPES
                .iter()
                .map(|t| t.to_string())
                .chain(["OTHER".to_owned()])
                .enumerate()
            {
                for (ri, rname) in RCODES
                    .iter()
                    .map(|r| r.mnemonic().unwrap_or("OTHER"))
                    .chain(["OTHER"])
                    .enumerate()
                {
                    let i =
                        ((proto as usize * (MAX_VIEWS + 1) + view) * N_QTYPES + qi) * N_RCODES + ri;
                    let n: u64 = blocks.iter().map(|b| b.queries[i].load(Relaxed)).sum();
                    if n == 0 {
                        continue;
                    }
                    let vname = if view == NO_VIEW {
                        "-"
                    } else {
                        views.get(view).map(String::as_str).unwrap_or("?")
                    };
                    let transport = if proto == Proto::Udp { "udp" } else { "tcp" };
                    let _ = writeln!(
                        out,
                        "lyncdns_queries_total{{transport=\"{transport}\",view=\"{vname}\",qtype=\"{qname}\",rcode=\"{rname}\"}} {n}"
                    );
                }
            }
        }
    }
    let truncated: u64 = blocks.iter().map(|b| b.truncated.load(Relaxed)).sum();
    let _ = writeln!(
        out,
        "# HELP lyncdns_truncated_total UDP answers sent with TC set.\n# TYPE lyncdns_truncated_total counter\nlyncdns_truncated_total {truncated}"
    );
    out.push_str("# HELP lyncdns_answer_duration_seconds Time to answer a query (batch mean on UDP).\n# TYPE lyncdns_answer_duration_seconds histogram\n");
    let mut cumulative = 0u64;
    for (i, bound) in LATENCY_BOUNDS_US.iter().enumerate() {
        cumulative += blocks
            .iter()
            .map(|b| b.latency[i].load(Relaxed))
            .sum::<u64>();
        let _ = writeln!(
            out,
            "lyncdns_answer_duration_seconds_bucket{{le=\"{}\"}} {cumulative}",
            *bound as f64 / 1e6
        );
    }
    cumulative += blocks
        .iter()
        .map(|b| b.latency[LATENCY_BOUNDS_US.len()].load(Relaxed))
        .sum::<u64>();
    let sum_ns: u64 = blocks.iter().map(|b| b.latency_sum_ns.load(Relaxed)).sum();
    let _ = writeln!(
        out,
        "lyncdns_answer_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}\nlyncdns_answer_duration_seconds_sum {}\nlyncdns_answer_duration_seconds_count {cumulative}",
        sum_ns as f64 / 1e9
    );
    out.push_str("# HELP lyncdns_rrl_limited_total UDP answers over a view's response rate limit, by view and what became of them (dropped, or slipped: sent truncated).\n# TYPE lyncdns_rrl_limited_total counter\n");
    for view in 0..MAX_VIEWS {
        for (action, pick) in [
            (
                "dropped",
                (|b: &Stats| &b.rrl_dropped) as fn(&Stats) -> &Box<[AtomicU64]>,
            ),
            ("slipped", |b: &Stats| &b.rrl_slipped),
        ] {
            let n: u64 = blocks.iter().map(|b| pick(b)[view].load(Relaxed)).sum();
            // Every configured view's series exists from the start (at zero), so dashboards and alerts see it.
            if let Some(vname) = views.get(view) {
                let _ = writeln!(
                    out,
                    "lyncdns_rrl_limited_total{{view=\"{vname}\",action=\"{action}\"}} {n}"
                );
            }
        }
    }
    let g = |a: &AtomicU64| a.load(Relaxed);
    let _ = write!(
        out,
        "# HELP lyncdns_tcp_connections Open TCP connections.\n# TYPE lyncdns_tcp_connections gauge\nlyncdns_tcp_connections {}\n\
         # HELP lyncdns_tcp_connections_total TCP connections accepted.\n# TYPE lyncdns_tcp_connections_total counter\nlyncdns_tcp_connections_total {}\n\
         # HELP lyncdns_tcp_rejected_total TCP connections refused, by the limit that refused them (connections: across listeners; prefix: per client prefix; fds: no file descriptor free).\n# TYPE lyncdns_tcp_rejected_total counter\n\
         lyncdns_tcp_rejected_total{{limit=\"connections\"}} {}\nlyncdns_tcp_rejected_total{{limit=\"prefix\"}} {}\nlyncdns_tcp_rejected_total{{limit=\"fds\"}} {}\n\
         # HELP lyncdns_tcp_accept_paused_total Times accepting TCP paused near the file descriptor limit (RLIMIT_NOFILE less a reserve).\n# TYPE lyncdns_tcp_accept_paused_total counter\nlyncdns_tcp_accept_paused_total {}\n\
         # HELP lyncdns_tcp_accept_paused DNS listeners not accepting TCP now, near the file descriptor limit.\n# TYPE lyncdns_tcp_accept_paused gauge\nlyncdns_tcp_accept_paused {}\n\
         # HELP lyncdns_tcp_write_timeouts_total TCP connections closed because the client did not read its answers in time.\n# TYPE lyncdns_tcp_write_timeouts_total counter\nlyncdns_tcp_write_timeouts_total {}\n\
         # HELP lyncdns_metrics_rejected_total Metrics connections closed at once at the metrics listener's limit.\n# TYPE lyncdns_metrics_rejected_total counter\nlyncdns_metrics_rejected_total {}\n\
         # HELP lyncdns_reloads_total Reloads, by result.\n# TYPE lyncdns_reloads_total counter\nlyncdns_reloads_total{{result=\"ok\"}} {}\nlyncdns_reloads_total{{result=\"failed\"}} {}\n\
         # HELP lyncdns_records Records served.\n# TYPE lyncdns_records gauge\nlyncdns_records {}\n",
        global.tcp_open.load(Relaxed),
        g(&global.tcp_accepted),
        g(&global.tcp_refused_connections),
        g(&global.tcp_refused_prefix),
        g(&global.tcp_refused_fds),
        g(&global.tcp_fd_pauses),
        global.tcp_fd_paused.load(Relaxed),
        g(&global.tcp_write_timeouts),
        g(&global.metrics_refused),
        g(&global.reload_ok),
        g(&global.reload_failed),
        g(&global.records),
    );
    out
}

/// UDP answers over a response rate limit, summed over workers and views: (dropped, slipped), for the status page.
pub fn rrl_totals(blocks: &[&Stats]) -> (u64, u64) {
    let sum = |pick: fn(&Stats) -> &[AtomicU64]| -> u64 {
        blocks
            .iter()
            .flat_map(|b| pick(b).iter())
            .map(|n| n.load(Relaxed))
            .sum()
    };
    (sum(|b| &b.rrl_dropped), sum(|b| &b.rrl_slipped))
}

/// Answers by view index and response code, summed over transports and query types, zeros left out: one entry
/// per view slot, the last for queries no view answered (for the status page).
pub fn rcodes_by_view(blocks: &[&Stats]) -> Vec<Vec<(&'static str, u64)>> {
    (0..=MAX_VIEWS)
        .map(|view| {
            RCODES
                .iter()
                .map(|r| r.mnemonic().unwrap_or("OTHER"))
                .chain(["OTHER"])
                .enumerate()
                .filter_map(|(ri, rname)| {
                    let n: u64 = [Proto::Udp, Proto::Tcp]
                        .iter()
                        .flat_map(|p| (0..N_QTYPES).map(move |qi| (*p, qi)))
                        .map(|(p, qi)| {
                            let i = ((p as usize * (MAX_VIEWS + 1) + view) * N_QTYPES + qi)
                                * N_RCODES
                                + ri;
                            blocks
                                .iter()
                                .map(|b| b.queries[i].load(Relaxed))
                                .sum::<u64>()
                        })
                        .sum();
                    (n > 0).then_some((rname, n))
                })
                .collect()
        })
        .collect()
}
