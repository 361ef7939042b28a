//! The I/O shell around [`crate::answer`]: listeners, workers, reload and metrics. Nothing here decides what
//! an answer says.
//!
//! - [`udp`]: per-worker `SO_REUSEPORT` sockets on plain threads, batched with `recvmmsg`/`sendmmsg`; each
//!   answer passes response rate limiting ([`crate::rrl`]) when its view has it on.
//! - [`tcp`]: RFC 7766 connections on tokio.
//! - [`metrics`]: counters and the Prometheus text format, served on `/metrics`.
//! - [`status`]: the status page, served on `/` of the metrics listener.
//!
//! The data is an immutable [`Snapshot`] behind an [`ArcSwap`]: [`Server::reload`] swaps in a fully built new
//! one; a worker loads the pointer once per batch (UDP) or per query (TCP), so every answer comes entirely from
//! the old or entirely from the new data, and readers never wait for a lock.

pub mod metrics;
pub mod status;
pub mod tcp;
pub mod udp;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::compile::Snapshot;
use crate::rrl::Limiter;
use metrics::{Global, Stats};
pub use tcp::TcpLimits;

/// How the server listens.
#[derive(Debug, Clone)]
pub struct Config {
    /// DNS listeners (UDP and TCP on each); port 0 picks a free port (the same one for UDP and TCP).
    pub dns: Vec<SocketAddr>,
    /// UDP workers per listener.
    pub workers: usize,
    /// Prometheus listener.
    pub metrics: Option<SocketAddr>,
    /// Log every query.
    pub query_log: bool,
    /// DNS over TCP: connection limits (across every listener) and timeouts.
    pub tcp: TcpLimits,
}

/// State shared by every worker.
pub struct Shared {
    /// The current data.
    pub data: ArcSwap<Snapshot>,
    /// Set to stop the UDP workers.
    pub stop: AtomicBool,
    /// Log every query (changed live by [`Server::apply`]).
    pub query_log: AtomicBool,
    /// DNS over TCP limits, after [`tcp::fd_capped`] (changed live by [`Server::apply`]).
    pub tcp: ArcSwap<TcpLimits>,
    /// The TCP connections open now, by client prefix, across every listener.
    pub tcp_conns: Mutex<tcp::Conns>,
    /// Server-wide counters.
    pub global: Global,
    /// When the server started (the status page).
    pub started: std::time::SystemTime,
    /// The last reload and how it ended (the status page).
    pub last_reload: Mutex<Option<status::Reload>>,
    /// The response rate limiting table, shared by every UDP worker; made when a view first needs it.
    pub rrl: OnceLock<Limiter>,
    /// The origin of the clock passed to [`Limiter::check`].
    pub epoch: Instant,
    /// Zone transfers: the slots (transfers at once) and their counters.
    pub xfr: crate::xfr::shell::Slots,
}

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    udp: Vec<JoinHandle<()>>,
    udp_stats: Vec<Arc<Stats>>,
    tcp_stats: Arc<Stats>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop_tx: watch::Sender<bool>,
    /// The DNS addresses actually bound (ports resolved).
    pub dns_addrs: Vec<SocketAddr>,
    /// The metrics address actually bound.
    pub metrics_addr: Option<SocketAddr>,
}

/// Logs one answered query on the `lyncdns::query` target, when the query log is on.
fn log_query(shared: &Shared, src: IpAddr, query: &[u8], o: &crate::answer::Outcome, proto: &str) {
    if shared.query_log.load(Ordering::Relaxed) {
        let snap = shared.data.load();
        let view = o
            .view
            .and_then(|v| snap.views.get(v as usize))
            .map(|v| v.name.as_str())
            .unwrap_or("-");
        tracing::info!(target: "lyncdns::query", %src, proto, view, qname = %question_name(query), qtype = %o.qtype, rcode = o.rcode.mnemonic().unwrap_or("OTHER"), len = o.len);
    }
}

/// The question name of a query, for logs (`?` if it cannot be read).
pub fn question_name(query: &[u8]) -> String {
    let mut at = 12;
    let mut wire = Vec::new();
    while let Some(&len) = query.get(at) {
        if len & 0xc0 != 0 || wire.len() + len as usize + 1 > 255 {
            return "?".into();
        }
        let Some(label) = query.get(at..at + 1 + len as usize) else {
            return "?".into();
        };
        wire.extend_from_slice(label);
        at += 1 + len as usize;
        if len == 0 {
            return lyncdns_dnsdata::name::to_text(&wire);
        }
    }
    "?".into()
}

impl Server {
    /// Binds every listener and starts serving `snapshot`. Must be called inside a tokio runtime.
    pub async fn start(snapshot: Snapshot, config: Config) -> io::Result<Server> {
        let shared = Arc::new(Shared {
            data: ArcSwap::from_pointee(snapshot),
            stop: AtomicBool::new(false),
            query_log: AtomicBool::new(config.query_log),
            tcp: ArcSwap::from_pointee(tcp_limits(config.tcp)),
            tcp_conns: Mutex::new(tcp::Conns::default()),
            global: Global::default(),
            started: std::time::SystemTime::now(),
            last_reload: Mutex::new(None),
            rrl: OnceLock::new(),
            epoch: Instant::now(),
            xfr: Default::default(),
        });
        shared
            .global
            .records
            .store(records(&shared.data.load()), Ordering::Relaxed);
        release_free_memory();
        let (stop_tx, stop_rx) = watch::channel(false);
        let tcp_stats = Arc::new(Stats::default());
        let mut server = Server {
            shared: shared.clone(),
            udp: Vec::new(),
            udp_stats: Vec::new(),
            tcp_stats: tcp_stats.clone(),
            tasks: Vec::new(),
            stop_tx,
            dns_addrs: Vec::new(),
            metrics_addr: None,
        };
        for requested in &config.dns {
            let (first, listener, addr) = bind_pair(*requested)?;
            let mut sockets = vec![first];
            for _ in 1..config.workers.max(1) {
                sockets.push(udp::bind(addr).map_err(|e| bind_error("UDP", addr, e))?);
            }
            for (i, socket) in sockets.into_iter().enumerate() {
                let stats = Arc::new(Stats::default());
                server.udp_stats.push(stats.clone());
                let shared = shared.clone();
                let seed = (addr.port() as u64) << 32 | i as u64 | 0x9e37_79b9_0000_0000;
                let handle = std::thread::Builder::new()
                    .name(format!("udp-{addr}-{i}"))
                    .spawn(move || udp::run(socket, shared, stats, seed))?;
                server.udp.push(handle);
            }
            server.tasks.push(tokio::spawn(tcp::accept(
                listener,
                shared.clone(),
                tcp_stats.clone(),
                stop_rx.clone(),
            )));
            tracing::info!(%addr, workers = config.workers.max(1), "DNS listening on UDP and TCP");
            server.dns_addrs.push(addr);
        }
        if let Some(addr) = config.metrics {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| bind_error("TCP (metrics)", addr, e))?;
            let bound = listener.local_addr()?;
            let blocks: Vec<Arc<Stats>> = server
                .udp_stats
                .iter()
                .cloned()
                .chain([tcp_stats])
                .collect();
            server.tasks.push(tokio::spawn(serve_metrics(
                listener,
                shared.clone(),
                blocks,
                stop_rx,
            )));
            tracing::info!(addr = %bound, "metrics listening on /metrics");
            server.metrics_addr = Some(bound);
        }
        Ok(server)
    }

    /// The snapshot serving now (a reload builds the next one from it: serials and journals, see
    /// [`crate::load::reload`]).
    pub fn current(&self) -> Arc<Snapshot> {
        self.shared.data.load_full()
    }

    /// Swaps in a new, fully built snapshot.
    pub fn reload(&self, snapshot: Snapshot) {
        let n = records(&snapshot);
        let snapshot = Arc::new(snapshot);
        self.shared.data.store(snapshot.clone());
        // Zones whose serial changed: their secondaries are told, off this thread (RFC 1996).
        crate::xfr::notify::spawn_due(&snapshot);
        self.shared.global.records.store(n, Ordering::Relaxed);
        release_free_memory();
        self.shared.global.reload_ok.fetch_add(1, Ordering::Relaxed);
        self.last_reload(Ok(()));
    }

    /// Keeps how the last reload ended, for the status page.
    fn last_reload(&self, result: Result<(), String>) {
        let reload = status::Reload {
            at: std::time::SystemTime::now(),
            result,
        };
        *self
            .shared
            .last_reload
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reload);
    }

    /// Applies the settings that can change while serving: the query log and the TCP limits and timeouts
    /// (connections already open stay open; the new limits count them).
    pub fn apply(&self, query_log: bool, tcp: TcpLimits) {
        self.shared.query_log.store(query_log, Ordering::Relaxed);
        self.shared.tcp.store(Arc::new(tcp_limits(tcp)));
    }

    /// Counts a reload that failed (the old data keeps serving) and keeps `error` for the status page.
    pub fn reload_failed(&self, error: &str) {
        self.shared
            .global
            .reload_failed
            .fetch_add(1, Ordering::Relaxed);
        self.last_reload(Err(error.to_owned()));
    }

    /// The metrics text, as `/metrics` serves it.
    pub fn metrics_text(&self) -> String {
        let blocks: Vec<Arc<Stats>> = self
            .udp_stats
            .iter()
            .cloned()
            .chain([self.tcp_stats.clone()])
            .collect();
        metrics_text(&self.shared, &blocks)
    }

    /// Stops every listener and waits for the workers.
    pub async fn shutdown(self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = self.stop_tx.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        let udp = self.udp;
        let _ = tokio::task::spawn_blocking(move || {
            for h in udp {
                let _ = h.join();
            }
        })
        .await;
        tracing::info!("DNS server stopped");
    }
}

/// Gives the memory freed after compiling a snapshot (the records read, the indexes) back to the system. glibc
/// keeps freed heap memory for reuse otherwise, and the resident size would stay at the compile's peak.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it is thread-safe and has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `tcp` made usable: limits of at least one, the connection limit capped below the file descriptor limit.
fn tcp_limits(mut tcp: TcpLimits) -> TcpLimits {
    tcp.max_connections = tcp.max_connections.max(1);
    tcp.max_per_prefix = tcp.max_per_prefix.max(1);
    tcp::fd_capped(tcp)
}

fn records(s: &Snapshot) -> u64 {
    s.views.iter().map(|v| v.records as u64).sum()
}

/// How often a pair of listeners on port 0 is tried before giving up (a collision needs a busy TCP port that
/// happens to equal a free UDP one: rare, but seen with thousands of connections open).
const PORT_ATTEMPTS: usize = 64;

/// The first UDP socket and the TCP listener of one DNS address, on the same port. For port 0 the UDP socket
/// takes a port the kernel picks and TCP must get the same one; if that TCP port is busy (a client connection
/// may hold it), both are dropped and the pair is tried again on a new port.
fn bind_pair(
    requested: SocketAddr,
) -> io::Result<(std::net::UdpSocket, tokio::net::TcpListener, SocketAddr)> {
    let attempts = if requested.port() == 0 {
        PORT_ATTEMPTS
    } else {
        1
    };
    let mut last = None;
    for _ in 0..attempts {
        let udp = udp::bind(requested).map_err(|e| bind_error("UDP", requested, e))?;
        let addr = udp.local_addr()?;
        match tcp_listener(addr) {
            Ok(tcp) => return Ok((udp, tcp, addr)),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && requested.port() == 0 => {
                tracing::debug!(%addr, "TCP port busy; trying another port for UDP and TCP");
                last = Some(e);
            }
            Err(e) => return Err(bind_error("TCP", addr, e)),
        }
    }
    let e = last.unwrap_or_else(|| io::ErrorKind::AddrInUse.into());
    Err(bind_error(
        "TCP",
        requested,
        io::Error::new(
            e.kind(),
            format!("no port free for both UDP and TCP after {PORT_ATTEMPTS} tries: {e}"),
        ),
    ))
}

/// A bind error that names the protocol and the address.
fn bind_error(proto: &str, addr: SocketAddr, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot listen on {proto} {addr}: {e}"))
}

fn tcp_listener(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    tokio::net::TcpListener::from_std(socket.into())
}

fn metrics_text(shared: &Shared, blocks: &[Arc<Stats>]) -> String {
    let snap = shared.data.load();
    let views: Vec<String> = snap.views.iter().map(|v| v.name.clone()).collect();
    let refs: Vec<&Stats> = blocks.iter().map(|b| b.as_ref()).collect();
    let mut text = metrics::render(&refs, &shared.global, &views);
    text.push_str(&shared.xfr.render());
    text
}

fn status_html(shared: &Shared, blocks: &[Arc<Stats>]) -> String {
    let refs: Vec<&Stats> = blocks.iter().map(|b| b.as_ref()).collect();
    status::render(&status::page(shared, &refs, std::time::SystemTime::now()))
}

/// Metrics connections open at once; past it, a new one is closed at once (a scraper needs one or two).
const METRICS_CONNECTIONS: usize = 16;
/// Time for a metrics client to send its request head, and the idle time between requests on one connection.
const METRICS_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest life of one metrics connection.
const METRICS_LIFETIME: Duration = Duration::from_secs(60);

/// Serves `GET /metrics` over HTTP/1.1 until `stop` changes. Every connection is bounded: at most
/// [`METRICS_CONNECTIONS`] at once, a request head within [`METRICS_HEADER_TIMEOUT`], a life of at most
/// [`METRICS_LIFETIME`], so a client that connects and sends nothing cannot hold descriptors the DNS needs.
async fn serve_metrics(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    blocks: Vec<Arc<Stats>>,
    mut stop: watch::Receiver<bool>,
) {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper_util::rt::{TokioIo, TokioTimer};

    let slots = Arc::new(tokio::sync::Semaphore::new(METRICS_CONNECTIONS));
    let blocks = Arc::new(blocks);
    // Failing since the last connection accepted: a failure (e.g. no descriptor free) is logged once per episode.
    let mut failing = false;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => {
                    failing = false;
                    x
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "metrics accept failed; pausing");
                    }
                    failing = true;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            shared
                .global
                .metrics_refused
                .fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let (shared, blocks) = (shared.clone(), blocks.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                let resp = if req.uri().path() == "/metrics" {
                    hyper::Response::builder()
                        .header("Content-Type", "text/plain; version=0.0.4")
                        .body(Full::new(Bytes::from(metrics_text(&shared, &blocks))))
                } else if req.uri().path() == "/" {
                    hyper::Response::builder()
                        .header("Content-Type", "text/html; charset=utf-8")
                        .body(Full::new(Bytes::from(status_html(&shared, &blocks))))
                } else {
                    hyper::Response::builder()
                        .status(404)
                        .body(Full::new(Bytes::from_static(b"not found\n")))
                };
                async move { resp }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .max_buf_size(8 * 1024)
                .timer(TokioTimer::new())
                .header_read_timeout(METRICS_HEADER_TIMEOUT);
            let serving = builder.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(METRICS_LIFETIME, serving).await {
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "metrics connection ended"),
                Err(_) => tracing::debug!(%peer, "metrics connection closed at its lifetime limit"),
                Ok(Ok(())) => {}
            }
        });
    }
}
