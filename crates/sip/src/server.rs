//! The SIP-over-TLS listener: accepts TLS connections, cuts requests out of the stream ([`crate::framing`]),
//! hands each to [`crate::registrar::answer`] for the registrar that listener plays, and writes the response.
//! Nothing here decides what a response says.
//!
//! Every resource a client can hold has a limit and a timeout ([`SipLimits`]): connections at once and per client
//! address (past either limit a new one is closed at once), the TLS handshake, the idle time between messages, the time to finish a
//! message once it started, the connection's whole life, and the size of a message ([`crate::framing`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::framing::{self, Frame, FrameError};
use crate::message::Message;
use crate::registrar::{Answer, Directory, Registrar, answer};

/// Limits and timeouts of the SIP listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipLimits {
    /// Connections open at once across the listeners; past it, new ones are closed.
    pub max_connections: usize,
    /// Connections one client address may hold; past it, a new one is closed at once.
    pub per_client: usize,
    /// Time for the TLS handshake.
    pub handshake: Duration,
    /// Idle time between messages (a client keeping its registration sends keep-alives well within it).
    pub idle: Duration,
    /// Time to finish a message once its first octet arrived, and to write a response.
    pub io: Duration,
    /// Longest life of one connection.
    pub lifetime: Duration,
}

impl Default for SipLimits {
    /// 256 connections, 32 per client address, 10 s handshake and message, 5 min idle, 1 h per connection.
    fn default() -> Self {
        SipLimits {
            max_connections: 256,
            per_client: 32,
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(300),
            io: Duration::from_secs(10),
            lifetime: Duration::from_secs(3600),
        }
    }
}

/// Why the SIP listeners could not start.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    /// A listener could not be bound.
    #[error("binding the SIP listener {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// The running SIP listeners.
pub struct SipServer {
    /// Each bound address (port 0 resolved) and the registrar it plays.
    pub listeners: Vec<(SocketAddr, Registrar)>,
    directory: Arc<ArcSwap<Directory>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// What every connection shares.
struct Shared {
    directory: Arc<ArcSwap<Directory>>,
    acceptor: TlsAcceptor,
    limits: SipLimits,
    connections: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    tags: AtomicU64,
}

/// One client's connection slot, given back when the connection ends.
struct Slot {
    shared: Arc<Shared>,
    ip: IpAddr,
}

impl Slot {
    /// A slot for `ip`, or `None` when it holds as many connections as it may.
    fn take(shared: &Arc<Shared>, ip: IpAddr) -> Option<Slot> {
        let mut map = shared.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= shared.limits.per_client {
            return None;
        }
        *n += 1;
        Some(Slot {
            shared: shared.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self
            .shared
            .per_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

impl SipServer {
    /// Binds each listener and serves it as its registrar.
    pub async fn start(
        listeners: Vec<(SocketAddr, Registrar)>,
        directory: Directory,
        tls: Arc<ServerConfig>,
        limits: SipLimits,
    ) -> Result<SipServer, SipError> {
        let directory = Arc::new(ArcSwap::from_pointee(directory));
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let shared = Arc::new(Shared {
            directory: directory.clone(),
            acceptor: TlsAcceptor::from(tls),
            limits,
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            per_client: Mutex::new(HashMap::new()),
            tags: AtomicU64::new(seed),
        });
        let (shutdown, watch) = watch::channel(false);
        let mut bound = Vec::new();
        let mut sockets = Vec::new();
        for (addr, registrar) in listeners {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| SipError::Bind { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| SipError::Bind { addr, source })?;
            tracing::info!(addr = %local, registrar = %registrar.fqdn, role = registrar.role.as_str(), "SIP over TLS listening");
            bound.push((local, registrar.clone()));
            sockets.push((listener, registrar));
        }
        let tasks = sockets
            .into_iter()
            .map(|(listener, registrar)| {
                tokio::spawn(accept_loop(
                    listener,
                    Arc::new(registrar),
                    shared.clone(),
                    watch.clone(),
                ))
            })
            .collect();
        Ok(SipServer {
            listeners: bound,
            directory,
            shutdown,
            tasks,
        })
    }

    /// Serves the users of a reloaded deployment from the next request on.
    pub fn reload(&self, directory: Directory) {
        self.directory.store(Arc::new(directory));
    }

    /// Stops accepting; open connections end at their next read.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    registrar: Arc<Registrar>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: wait instead of spinning.
                    tracing::warn!("SIP accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = shared.limits.max_connections, "SIP connection refused: at the connection limit");
            continue;
        };
        let Some(slot) = Slot::take(&shared, peer.ip()) else {
            tracing::warn!(%peer, limit = shared.limits.per_client, "SIP connection refused: the client holds as many as it may");
            continue;
        };
        let (registrar, shared, stop) = (registrar.clone(), shared.clone(), stop.clone());
        tokio::spawn(async move {
            let lifetime = shared.limits.lifetime;
            let _ =
                tokio::time::timeout(lifetime, connection(tcp, peer, &registrar, &shared, stop))
                    .await;
            drop(slot);
            drop(permit);
        });
    }
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    registrar: &Registrar,
    shared: &Shared,
    stop: watch::Receiver<bool>,
) {
    let limits = shared.limits;
    let tls = match tokio::time::timeout(limits.handshake, shared.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, "SIP TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "SIP TLS handshake timed out");
            return;
        }
    };
    if let Err(e) = serve(tls, peer, registrar, shared, stop).await {
        tracing::debug!(%peer, "SIP connection ended: {e}");
    }
}

/// Reads requests and writes responses until the peer closes, a limit is hit or the server stops.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    registrar: &Registrar,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let limits = shared.limits;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        // Answer every whole message already buffered.
        loop {
            match framing::next(&buf) {
                Ok(Frame::Partial) => break,
                Ok(Frame::KeepAlive(n)) => {
                    buf.drain(..n);
                }
                Ok(Frame::Message(request, used)) => {
                    buf.drain(..used);
                    let tag = format!(
                        "{:016x}",
                        shared
                            .tags
                            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
                    );
                    let directory = shared.directory.load();
                    let (decision, response) = answer(registrar, &directory, &request, &tag);
                    log(peer, registrar, &request, &decision, response.as_ref());
                    if let Some(response) = response {
                        write(&mut stream, &response, limits.io).await?;
                    }
                }
                Err(e) => {
                    tracing::debug!(%peer, "unreadable SIP message: {e}");
                    let (code, reason) = match e {
                        FrameError::HeadTooLarge | FrameError::BodyTooLarge(_) => {
                            (513, "Message Too Large")
                        }
                        _ => (400, "Bad Request"),
                    };
                    let _ = write(
                        &mut stream,
                        &Message::response(code, reason).with("Server", registrar.server.as_str()),
                        limits.io,
                    )
                    .await;
                    return Ok(());
                }
            }
        }
        let wait = if buf.is_empty() {
            limits.idle
        } else {
            limits.io
        };
        let n = tokio::select! {
            _ = stop.changed() => return Ok(()),
            read = tokio::time::timeout(wait, stream.read(&mut chunk)) => match read {
                Ok(r) => r?,
                Err(_) => return Ok(()),
            },
        };
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    m: &Message,
    io: Duration,
) -> std::io::Result<()> {
    let bytes = m.to_bytes();
    match tokio::time::timeout(io, async {
        stream.write_all(&bytes).await?;
        stream.flush().await
    })
    .await
    {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "writing a SIP response",
        )),
    }
}

/// One info line per request: the client, the registrar, the method, the `From` address, the status sent and the
/// decision (what the interop tests and an operator read to see where a client's REGISTER went).
fn log(
    peer: SocketAddr,
    registrar: &Registrar,
    request: &Message,
    decision: &Answer,
    response: Option<&Message>,
) {
    tracing::info!(
        target: "lyncdns::sip",
        %peer,
        registrar = %registrar.fqdn,
        method = request.method().unwrap_or("-"),
        from = request.header("From").and_then(crate::message::addr_spec).unwrap_or("-"),
        status = response.and_then(Message::status).unwrap_or(0),
        answer = ?decision,
        "SIP request"
    );
}
