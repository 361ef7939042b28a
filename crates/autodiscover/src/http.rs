//! The HTTP and HTTPS listeners: hyper HTTP/1.1 connections (header size capped), TLS through rustls, each
//! request converted to a [`Req`], answered by [`Service::handle`], and converted back. Nothing here decides what
//! a response says.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::service::{MAX_BODY, Req, Resp, Service};

/// Largest request head (request line and headers) hyper buffers; beyond it the request fails with 431.
const MAX_HEAD: usize = 16 * 1024;

/// What one client, and all of them, may hold of the web listeners: every resource has a limit and a timeout,
/// so a client that opens connections and sends nothing, or a head and no body, cannot exhaust the process's
/// file descriptors (which DNS over TCP, reloads and logging also need) or hold a request forever.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Connections open at once, across both listeners; past it, new connections wait in the kernel's queue.
    pub max_connections: usize,
    /// Connections one client address may hold; past it, a new one is closed at once.
    pub per_client: usize,
    /// Time to send a request head, and the idle time allowed between requests on a kept-alive connection.
    pub header_timeout: Duration,
    /// Time to send a request body once the head is in.
    pub body_timeout: Duration,
    /// Longest life of one connection, however busy.
    pub connection_lifetime: Duration,
    /// Password checks (Argon2) running at once, on blocking threads off the runtime that also serves DNS over TCP.
    pub hashing: usize,
}

impl Default for HttpLimits {
    /// 512 connections, 32 per client address, 10 s for a head or a body, 5 minutes per connection, 2 hashing
    /// threads (Argon2 with the lab parameters takes about a millisecond).
    fn default() -> Self {
        HttpLimits {
            max_connections: 512,
            per_client: 32,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(300),
            hashing: 2,
        }
    }
}

/// What every connection of a listener shares.
struct Shared {
    service: Arc<ArcSwap<Service>>,
    limits: HttpLimits,
    connections: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    hashing: Semaphore,
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
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

fn to_response(r: Resp) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(r.status);
    for (name, value) in &r.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(r.body)))
        .unwrap_or_else(|_| {
            let mut resp = Response::new(Full::new(Bytes::from_static(b"internal error\n")));
            *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            resp
        })
}

/// [`answer`], with its line in the access log.
async fn logged(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    peer: SocketAddr,
    https: bool,
    connection: u64,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = std::time::Instant::now();
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let line = crate::access_log::AccessLine::new(
        peer,
        https,
        req.method().as_str(),
        header(hyper::header::HOST).or(req.uri().host()),
        req.uri().path_and_query().map_or("/", |p| p.as_str()),
        header(hyper::header::USER_AGENT),
    );
    let out = answer(shared, req, peer, https, connection).await;
    if let Ok(resp) = &out {
        line.log(resp.status().as_u16(), started.elapsed());
    }
    out
}

/// Numbers connections for [`Req::connection`] (NTLM authenticates a connection).
static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

async fn answer(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    peer: SocketAddr,
    https: bool,
    connection: u64,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let collected = tokio::time::timeout(
        shared.limits.body_timeout,
        Limited::new(body, MAX_BODY).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => {
            return Ok(to_response(Resp {
                status: 413,
                headers: vec![("Content-Type", "text/plain".into())],
                body: "request body too large\n".into(),
            }));
        }
        Err(_) => {
            tracing::debug!(client = %peer.ip(), "request body not sent in time");
            return Ok(to_response(Resp {
                status: 408,
                headers: vec![
                    ("Content-Type", "text/plain".into()),
                    ("Connection", "close".into()),
                ],
                body: "request body not sent in time\n".into(),
            }));
        }
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let method = parts.method.as_str().to_owned();
    let (accept, authorization, webticket, content_type, host) = (
        header("accept"),
        header("authorization"),
        header("x-ms-webticket"),
        header("content-type"),
        header("host"),
    );
    let service = shared.service.load_full();
    let handle = move || {
        let r = Req {
            method: &method,
            target: &target,
            accept: accept.as_deref(),
            authorization: authorization.as_deref(),
            webticket: webticket.as_deref(),
            content_type: content_type.as_deref(),
            host: host.as_deref(),
            body: &body,
            https,
            client: peer.ip(),
            connection,
        };
        service.handle(&r, SystemTime::now())
    };
    // A POST may check a password (Argon2, about a millisecond): that runs on a bounded number of blocking
    // threads, so guessing cannot occupy the runtime that also serves DNS over TCP.
    let resp = if parts.method == hyper::Method::POST {
        let _permit = shared.hashing.acquire().await;
        match tokio::task::spawn_blocking(handle).await {
            Ok(r) => r,
            Err(_) => Resp {
                status: 500,
                headers: vec![("Content-Type", "text/plain".into())],
                body: "internal error\n".into(),
            },
        }
    } else {
        handle()
    };
    let head = parts.method == hyper::Method::HEAD;
    let mut out = to_response(resp);
    if head {
        *out.body_mut() = Full::new(Bytes::new());
    }
    Ok(out)
}

/// Serves `listener` (over TLS when `tls` is given) until `stop` changes; `service`, and the TLS configuration,
/// may be swapped on reload (each connection takes the one current when it is accepted).
async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ArcSwap<ServerConfig>>>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        // A free connection slot first: past the limit, clients wait in the kernel's accept queue.
        let permit = tokio::select! {
            p = shared.connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Some(slot) = Slot::take(&shared, peer.ip()) else {
            tracing::debug!(%peer, "too many connections from this client; closed");
            continue;
        };
        let (shared, tls) = (shared.clone(), tls.clone());
        tokio::spawn(async move {
            let _held = (permit, slot);
            let limits = shared.limits;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .max_buf_size(MAX_HEAD)
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let https = tls.is_some();
            let connection = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let svc = service_fn(move |req| logged(shared.clone(), req, peer, https, connection));
            let serving = async {
                match tls {
                    Some(config) => {
                        let acceptor = TlsAcceptor::from(config.load_full());
                        match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls_stream)) => {
                                builder
                                    .serve_connection(TokioIo::new(tls_stream), svc)
                                    .await
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                Ok(())
                            }
                            Err(_) => Ok(()),
                        }
                    }
                    None => builder.serve_connection(TokioIo::new(stream), svc).await,
                }
            };
            match tokio::time::timeout(limits.connection_lifetime, serving).await {
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "HTTP connection ended with an error")
                }
                Err(_) => tracing::debug!(%peer, "HTTP connection closed at its lifetime limit"),
                Ok(Ok(())) => {}
            }
        });
    }
}

/// Where and how to listen.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Plain HTTP listener.
    pub http: Option<SocketAddr>,
    /// HTTPS listener.
    pub https: Option<SocketAddr>,
    /// PEM certificate chain (with `key`).
    pub cert: Option<std::path::PathBuf>,
    /// PEM private key.
    pub key: Option<std::path::PathBuf>,
    /// Lab CA directory, used when no certificate is given.
    pub lab_ca: std::path::PathBuf,
    /// Connection, time and hashing limits.
    pub limits: HttpLimits,
}

/// Why the web listeners could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Binding a listener failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// No TLS identity.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Only one of `--cert` and `--key`.
    #[error("--cert and --key go together")]
    CertWithoutKey,
}

/// The running Autodiscover listeners.
pub struct Web {
    /// The HTTP address bound.
    pub http_addr: Option<SocketAddr>,
    /// The HTTPS address bound.
    pub https_addr: Option<SocketAddr>,
    /// The lab CA certificate clients should trust (when the lab CA issued the certificate).
    pub ca_path: Option<std::path::PathBuf>,
    /// The lab CA directory and the names its current certificate covers (lab CA only): a reload that changes
    /// `web_names()` has a new certificate issued.
    lab: Option<(std::path::PathBuf, Mutex<Vec<String>>)>,
    /// The HTTPS listener's TLS configuration, swapped when the lab certificate is reissued.
    tls: Option<Arc<ArcSwap<ServerConfig>>>,
    service: Arc<ArcSwap<Service>>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Web {
    /// Starts the listeners `config` asks for, serving `d`.
    pub async fn start(d: &lyncdns_model::Deployment, config: &WebConfig) -> Result<Web, WebError> {
        let service = Arc::new(ArcSwap::from_pointee(Service::new(d)));
        let limits = config.limits;
        let shared = Arc::new(Shared {
            service: service.clone(),
            limits,
            connections: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_client: Mutex::new(HashMap::new()),
            hashing: Semaphore::new(limits.hashing.max(1)),
        });
        let (stop, rx) = watch::channel(false);
        let mut web = Web {
            http_addr: None,
            https_addr: None,
            ca_path: None,
            lab: None,
            tls: None,
            service,
            shared,
            stop,
            tasks: Vec::new(),
        };
        if let Some(addr) = config.http {
            let l = TcpListener::bind(addr)
                .await
                .map_err(|source| WebError::Bind { addr, source })?;
            let bound = l
                .local_addr()
                .map_err(|source| WebError::Bind { addr, source })?;
            web.tasks
                .push(tokio::spawn(serve(l, None, web.shared.clone(), rx.clone())));
            tracing::info!(addr = %bound, "Autodiscover listening on HTTP");
            web.http_addr = Some(bound);
        }
        if let Some(addr) = config.https {
            let identity = match (&config.cert, &config.key) {
                (Some(c), Some(k)) => crate::tls::from_pem(c, k)?,
                (None, None) => crate::tls::from_lab_ca(&config.lab_ca, &crate::web_names(d))?,
                _ => return Err(WebError::CertWithoutKey),
            };
            let l = TcpListener::bind(addr)
                .await
                .map_err(|source| WebError::Bind { addr, source })?;
            let bound = l
                .local_addr()
                .map_err(|source| WebError::Bind { addr, source })?;
            let tls = Arc::new(ArcSwap::new(identity.config.clone()));
            web.tasks.push(tokio::spawn(serve(
                l,
                Some(tls.clone()),
                web.shared.clone(),
                rx,
            )));
            match &identity.ca_path {
                Some(ca) => {
                    tracing::info!(addr = %bound, ca = %ca.display(), names = %identity.names.join(","), "Autodiscover listening on HTTPS (lab CA)")
                }
                None => tracing::info!(addr = %bound, "Autodiscover listening on HTTPS"),
            }
            web.https_addr = Some(bound);
            if identity.ca_path.is_some() {
                web.lab = Some((config.lab_ca.clone(), Mutex::new(identity.names)));
            }
            web.ca_path = identity.ca_path;
            web.tls = Some(tls);
        }
        Ok(web)
    }

    /// The names the lab certificate covers now (empty unless the lab CA issued it).
    pub fn names(&self) -> Vec<String> {
        match &self.lab {
            Some((_, names)) => names.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            None => Vec::new(),
        }
    }

    /// Serves a reloaded deployment (users, pools, views); issued tokens stay valid. When the lab CA issued the
    /// certificate and `web_names()` changed, it issues one for the new names and new connections get it (the
    /// lab certificate covers exactly `web_names()`); if that fails, the old certificate stays and the error is
    /// logged. A certificate given as PEM files is kept: replacing it needs a restart.
    pub fn reload(&self, d: &lyncdns_model::Deployment) {
        let next = self.service.load().reloaded(d);
        self.service.store(Arc::new(next));
        let (Some((dir, names)), Some(tls)) = (&self.lab, &self.tls) else {
            return;
        };
        let wanted = crate::web_names(d);
        let mut names = names.lock().unwrap_or_else(|p| p.into_inner());
        if *names == wanted {
            return;
        }
        match crate::tls::from_lab_ca(dir, &wanted) {
            Ok(identity) => {
                tls.store(identity.config);
                tracing::info!(names = %wanted.join(","), "the web services names changed: reissued the lab certificate");
                *names = wanted;
            }
            Err(e) => tracing::error!(
                error = %e,
                names = %wanted.join(","),
                "the web services names changed but the lab certificate could not be reissued; clients checking the new names will fail TLS"
            ),
        }
    }

    /// Stops the listeners.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
