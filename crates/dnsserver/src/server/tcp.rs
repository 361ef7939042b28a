//! DNS over TCP (RFC 7766): two-octet length framing, several queries per connection answered in order
//! (pipelining), and every resource a client can hold bounded in size and time:
//!
//! - connections: one limit across every listener, and one per client prefix (a /24 or /56 by default), so one
//!   network cannot take every slot; a connection beyond either is closed at once (RFC 7766 §6.2.2 lets a server
//!   close connections to protect itself) and counted by the limit that refused it;
//! - time: an idle timeout between queries, shortened while the server is near its limit (RFC 7766 §6.2.3), and an
//!   I/O timeout for reading the rest of a message and for writing answers, so a client that pipelines queries and
//!   never reads its answers is closed once its (bounded) send buffer stays full that long;
//! - file descriptors: the connection limit is capped below `RLIMIT_NOFILE` (see [`fd_capped`]), and accepting
//!   pauses ([`Headroom`]) while the process as a whole (Autodiscover connections, zone files being read…) is near
//!   the limit, so UDP, reloads, the metrics listener and logging keep a reserve of descriptors; connections
//!   wait in the kernel's accept queue meanwhile.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::Shared;
use super::metrics::{Proto, Stats};
use crate::answer::{Context, Picker, Transport, answer_in};

/// The kernel send buffer of a connection: what a client that does not read can make us hold before writes block
/// (and the I/O timeout starts to run). Without it Linux grows the buffer up to `tcp_wmem` (megabytes).
const SEND_BUFFER: usize = 64 * 1024;

/// File descriptors kept free for everything that is not a DNS TCP connection: UDP sockets, listeners, reloads
/// reading zone files, the metrics and Autodiscover listeners, logging.
const FD_RESERVE_MIN: u64 = 128;

/// How long accepting pauses after `accept` failed (e.g. no file descriptor left), so the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The limits and timeouts of DNS over TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Close a connection with no query for this long (RFC 7766 §6.2.3).
    pub idle: Duration,
    /// The idle timeout while open connections are at three quarters of `max_connections` or more (RFC 7766
    /// §6.2.3: a server under pressure may close idle connections sooner).
    pub idle_busy: Duration,
    /// Time allowed to read the rest of a message once its first octet arrived, and to write an answer.
    pub io_timeout: Duration,
    /// Connections open at once, across every listener.
    pub max_connections: usize,
    /// Connections open at once from one client prefix.
    pub max_per_prefix: usize,
    /// Length of the IPv4 prefix counted as one client.
    pub prefix_v4: u8,
    /// Length of the IPv6 prefix counted as one client.
    pub prefix_v6: u8,
}

impl Default for TcpLimits {
    /// 10 s idle (1 s under pressure), 2 s for I/O, 256 connections, 32 per /24 or /56.
    fn default() -> Self {
        TcpLimits {
            idle: Duration::from_secs(10),
            idle_busy: Duration::from_secs(1),
            io_timeout: Duration::from_secs(2),
            max_connections: 256,
            max_per_prefix: 32,
            prefix_v4: 24,
            prefix_v6: 56,
        }
    }
}

/// Which limit refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The limit across every listener.
    Connections,
    /// The limit per client prefix.
    Prefix,
}

/// The connections open now, for the limits; one per server, shared by every listener.
#[derive(Default)]
pub struct Conns {
    open: usize,
    by_prefix: HashMap<IpAddr, usize>,
}

/// A connection's place in [`Conns`], given back when dropped.
pub struct Slot {
    shared: Arc<Shared>,
    prefix: IpAddr,
}

impl Slot {
    /// A slot for a connection from `ip`, or the limit that refuses it.
    pub fn take(shared: &Arc<Shared>, ip: IpAddr) -> Result<Slot, Refused> {
        let limits = **shared.tcp.load();
        let prefix = client_prefix(ip, limits.prefix_v4, limits.prefix_v6);
        let mut conns = shared.tcp_conns.lock().unwrap_or_else(|p| p.into_inner());
        if conns.open >= limits.max_connections {
            return Err(Refused::Connections);
        }
        let n = conns.by_prefix.entry(prefix).or_insert(0);
        if *n >= limits.max_per_prefix {
            return Err(Refused::Prefix);
        }
        *n += 1;
        conns.open += 1;
        shared.global.tcp_open.store(conns.open as i64, Relaxed);
        Ok(Slot {
            shared: shared.clone(),
            prefix,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut conns = self
            .shared
            .tcp_conns
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = conns.by_prefix.get_mut(&self.prefix) {
            *n -= 1;
            if *n == 0 {
                conns.by_prefix.remove(&self.prefix);
            }
        }
        conns.open = conns.open.saturating_sub(1);
        self.shared
            .global
            .tcp_open
            .store(conns.open as i64, Relaxed);
    }
}

/// Whether the server is under pressure: three quarters of its connection slots or more are taken.
fn busy(shared: &Shared) -> bool {
    let open = shared.global.tcp_open.load(Relaxed).max(0) as usize;
    open * 4 >= shared.tcp.load().max_connections * 3
}

/// `ip` with every bit past the client prefix cleared: the key the per-prefix limit counts by.
pub fn client_prefix(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(v4.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

/// `limits` with the connection limit capped below the soft `RLIMIT_NOFILE` (see [`fd_cap`]). Logs a warning if
/// it had to lower the limit.
pub fn fd_capped(mut limits: TcpLimits) -> TcpLimits {
    if let Some(nofile) = nofile_limit() {
        let cap = fd_cap(nofile);
        if limits.max_connections as u64 > cap {
            tracing::warn!(
                configured = limits.max_connections,
                limit = cap,
                nofile,
                "tcp_max_connections lowered to keep file descriptors free for UDP, reloads and logging; raise `ulimit -n` to allow more"
            );
            limits.max_connections = cap as usize;
        }
    }
    limits
}

/// The most TCP connections a process allowed `nofile` descriptors may hold: `FD_RESERVE_MIN` descriptors, or a
/// quarter of them if that is more, stay free for everything else it does (at least one connection).
pub fn fd_cap(nofile: u64) -> u64 {
    let reserve = FD_RESERVE_MIN.max(nofile / 4);
    nofile.saturating_sub(reserve).max(1)
}

/// The soft limit on open file descriptors, if the system has one.
fn nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given, which lives on this stack frame.
        let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
        if r == 0 && rl.rlim_cur != libc::RLIM_INFINITY {
            // `rlim_t` is u64 on Linux but not on every Unix.
            #[allow(clippy::unnecessary_cast)]
            return Some(rl.rlim_cur as u64);
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The file-descriptor headroom of an accept loop: accepting pauses while the process is near `RLIMIT_NOFILE`
/// (fewer than [`fd_cap`]'s reserve free), and resumes once enough descriptors are free again. An episode is
/// logged once when it starts and once when it ends, and counted in the metrics.
pub struct Headroom {
    /// Descriptor numbers from here on belong to the reserve (`u64::MAX`: no limit known).
    threshold: u64,
    /// When the current pause started.
    paused: Option<Instant>,
}

impl Headroom {
    /// The headroom under the process's current `RLIMIT_NOFILE`.
    pub fn new() -> Headroom {
        Headroom::with_limit(nofile_limit())
    }

    /// The headroom under a limit of `nofile` descriptors (None: no limit).
    pub fn with_limit(nofile: Option<u64>) -> Headroom {
        Headroom {
            threshold: nofile.map(fd_cap).unwrap_or(u64::MAX),
            paused: None,
        }
    }

    /// Whether a connection that got descriptor number `fd` leaves the reserve free. The kernel hands out the
    /// lowest free number, so `fd` at the threshold or above means every number below it is in use: the process
    /// is near its limit (a check that costs nothing per connection).
    pub fn admits(&self, fd: u64) -> bool {
        fd < self.threshold
    }

    /// Whether accepting is paused.
    pub fn paused(&self) -> bool {
        self.paused.is_some()
    }

    /// Starts a pause (`why` says what showed the limit near); logs and counts only the first of an episode.
    pub fn pause(&mut self, global: &super::metrics::Global, why: &str) {
        global.tcp_refused_fds.fetch_add(1, Relaxed);
        if self.paused.is_none() {
            self.paused = Some(Instant::now());
            global.tcp_fd_pauses.fetch_add(1, Relaxed);
            global.tcp_fd_paused.fetch_add(1, Relaxed);
            tracing::warn!(
                reason = why,
                reserve_from = self.threshold,
                "TCP accept paused: near the file descriptor limit; new connections wait in the accept queue (raise `ulimit -n`)"
            );
        }
    }

    /// Ends the pause if the process has left the reserve free again; says whether accepting may go on.
    pub fn try_resume(&mut self, global: &super::metrics::Global) -> bool {
        let Some(since) = self.paused else {
            return true;
        };
        // Only while paused (a few times a second): count the descriptors open now. No count (e.g. not even
        // the directory could be opened): still paused.
        match open_fds() {
            Some(n) if n < self.threshold => {
                self.paused = None;
                global.tcp_fd_paused.fetch_sub(1, Relaxed);
                tracing::info!(
                    paused_ms = since.elapsed().as_millis() as u64,
                    open = n,
                    "TCP accept resumed: file descriptors free again"
                );
                true
            }
            _ => false,
        }
    }
}

impl Default for Headroom {
    fn default() -> Self {
        Headroom::new()
    }
}

/// File descriptors the process has open now (Linux: `/proc/self/fd`; elsewhere unknown, taken as none, so a
/// pause lasts one [`ACCEPT_PAUSE`]).
fn open_fds() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Some(0)
    }
}

/// Accepts connections until `stop` changes.
pub async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let mut seed = 0x5eed_u64;
    let mut headroom = Headroom::new();
    loop {
        if headroom.paused() {
            tokio::select! {
                _ = tokio::time::sleep(ACCEPT_PAUSE) => {}
                _ = stop.changed() => break,
            }
            if !headroom.try_resume(&shared.global) {
                continue;
            }
        }
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                    headroom.pause(&shared.global, "accept found no file descriptor free");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "TCP accept failed; pausing");
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        if !headroom.admits(raw_fd(&stream)) {
            // Closed at once: the descriptor it took belongs to the reserve.
            drop(stream);
            headroom.pause(
                &shared.global,
                "a new connection took a reserved descriptor",
            );
            continue;
        }
        let slot = match Slot::take(&shared, peer.ip()) {
            Ok(slot) => slot,
            Err(refused) => {
                let counter = match refused {
                    Refused::Connections => &shared.global.tcp_refused_connections,
                    Refused::Prefix => &shared.global.tcp_refused_prefix,
                };
                counter.fetch_add(1, Relaxed);
                drop(stream);
                continue;
            }
        };
        shared.global.tcp_accepted.fetch_add(1, Relaxed);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (shared, stats, stop) = (shared.clone(), stats.clone(), stop.clone());
        tokio::spawn(async move {
            match connection(stream, peer, &shared, &stats, seed, stop).await {
                Ok(Closed::WriteTimeout) => {
                    shared.global.tcp_write_timeouts.fetch_add(1, Relaxed);
                    tracing::debug!(%peer, "TCP connection closed: answers not read in time");
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(%peer, error = %e, "TCP connection ended"),
            }
            drop(slot);
        });
    }
}

/// The descriptor number of `stream` (0 where there is none, which never pauses).
fn raw_fd(stream: &TcpStream) -> u64 {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd().max(0) as u64
    }
    #[cfg(not(unix))]
    {
        let _ = stream;
        0
    }
}

/// Why a connection ended without an I/O error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    /// The client closed it, sent something that is not a query, or the server is stopping.
    Done,
    /// No query within the idle timeout, or the rest of a message not within the I/O timeout.
    ReadTimeout,
    /// Answers not taken by the client within the I/O timeout.
    WriteTimeout,
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    stats: &Stats,
    seed: u64,
    mut stop: watch::Receiver<bool>,
) -> io::Result<Closed> {
    let _ = stream.set_nodelay(true);
    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
    let (r, w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut w = BufWriter::new(w);
    let mut picker = Picker::new(seed);
    let mut query = vec![0u8; 65535];
    let mut out = vec![0u8; 65535];
    loop {
        // Read once per query, so limits changed by a reload apply to open connections too.
        let limits = **shared.tcp.load();
        // Wait for the next message's first octet. The wait is cut into steps of at most `idle_busy`, so a
        // connection already waiting also gets the shorter timeout once the server comes under pressure.
        let waiting = Instant::now();
        let mut idle;
        loop {
            idle = if busy(shared) {
                limits.idle_busy
            } else {
                limits.idle
            };
            let left = idle.saturating_sub(waiting.elapsed());
            if left.is_zero() {
                return Ok(Closed::ReadTimeout);
            }
            // `fill_buf` is cancel-safe: data it read stays in the buffer when the step times out.
            tokio::select! {
                filled = tokio::time::timeout(left.min(limits.idle_busy), r.fill_buf()) => match filled {
                    Ok(Ok([])) => return Ok(Closed::Done),
                    Ok(Ok(_)) => break,
                    Ok(Err(e)) => return Err(e),
                    Err(_) => continue,
                },
                _ = stop.changed() => return Ok(Closed::Done),
            }
        }
        let read = async {
            let len = r.read_u16().await? as usize;
            r.read_exact(&mut query[..len]).await?;
            io::Result::Ok(len)
        };
        let len = match tokio::time::timeout(limits.io_timeout, read).await {
            Ok(Ok(len)) => len,
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(Closed::ReadTimeout),
        };
        if crate::xfr::is_transfer(&query[..len]) {
            // AXFR/IXFR: many messages, its own limits and timeout (see `xfr::shell`).
            crate::xfr::shell::serve(&mut w, &query[..len], peer, shared).await?;
            continue;
        }
        let started = Instant::now();
        let outcome = {
            let snap = shared.data.load();
            // The idle timeout now in force is the one told to clients that ask (RFC 7828 §3.3.2).
            let ctx = Context {
                tcp_idle: Some(idle),
                ..Context::new(Transport::Tcp)
            };
            answer_in(&snap, &query[..len], peer.ip(), ctx, &mut picker, &mut out)
        };
        let Some(o) = outcome else {
            // Not a DNS query: nothing sensible can follow on this stream.
            return Ok(Closed::Done);
        };
        // Pipelined queries already buffered are answered before flushing, so their answers share segments;
        // the writer's buffer is bounded, and a full one is flushed under the same timeout.
        let more = r.buffer().len() >= 2;
        let write = async {
            w.write_all(&(o.len as u16).to_be_bytes()).await?;
            w.write_all(&out[..o.len]).await?;
            if !more {
                w.flush().await?;
            }
            io::Result::Ok(())
        };
        match tokio::time::timeout(limits.io_timeout, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(Closed::WriteTimeout),
        }
        stats.count(Proto::Tcp, &o);
        stats.latency(1, started.elapsed().as_nanos() as u64);
        super::log_query(shared, peer.ip(), &query[..len], &o, "tcp");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_prefix_clears_the_host_bits() {
        let p = |s: &str, v4, v6| client_prefix(s.parse().unwrap(), v4, v6).to_string();
        assert_eq!(p("192.0.2.77", 24, 56), "192.0.2.0");
        assert_eq!(p("192.0.2.77", 32, 56), "192.0.2.77");
        assert_eq!(p("192.0.2.77", 0, 56), "0.0.0.0");
        assert_eq!(p("2001:db8:1:23ff::1", 24, 56), "2001:db8:1:2300::");
        assert_eq!(p("2001:db8::1", 24, 128), "2001:db8::1");
        assert_eq!(p("2001:db8::1", 24, 0), "::");
    }

    #[test]
    fn accepting_pauses_when_a_connection_takes_a_reserved_descriptor() {
        let global = crate::server::metrics::Global::default();
        let mut h = Headroom::with_limit(Some(1024));
        assert!(h.admits(767));
        assert!(!h.admits(768));
        assert!(!h.paused());
        h.pause(&global, "test");
        h.pause(&global, "test");
        assert!(h.paused());
        // Two refusals, one episode.
        assert_eq!(global.tcp_refused_fds.load(Relaxed), 2);
        assert_eq!(global.tcp_fd_pauses.load(Relaxed), 1);
        assert_eq!(global.tcp_fd_paused.load(Relaxed), 1);
        // This test process has far fewer than 768 descriptors open: the pause ends.
        assert!(h.try_resume(&global));
        assert!(!h.paused());
        assert_eq!(global.tcp_fd_paused.load(Relaxed), 0);
        // With no limit known, nothing pauses.
        assert!(Headroom::with_limit(None).admits(1 << 40));
    }

    #[test]
    fn the_connection_limit_leaves_descriptors_free() {
        assert_eq!(fd_cap(1024), 768);
        assert_eq!(fd_cap(256), 128);
        assert_eq!(fd_cap(100), 1);
        assert_eq!(fd_cap(1 << 20), 786_432);
    }
}
