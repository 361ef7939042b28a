//! The HTTP and HTTPS listeners: hyper HTTP/1.1 connections (header size capped), TLS through rustls, each
//! request converted to a [`Req`], answered by [`Service::handle`], and converted back. Nothing here decides what
//! a response says.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::service::{MAX_BODY, Req, Resp, Service};

/// Largest request head (request line and headers) hyper buffers; beyond it the request fails with 431.
const MAX_HEAD: usize = 16 * 1024;

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

async fn answer(
    service: Arc<ArcSwap<Service>>,
    req: Request<Incoming>,
    peer: SocketAddr,
    https: bool,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(to_response(Resp {
                status: 413,
                headers: vec![("Content-Type", "text/plain".into())],
                body: "request body too large\n".into(),
            }));
        }
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let r = Req {
        method: parts.method.as_str(),
        target,
        accept: header("accept"),
        authorization: header("authorization"),
        webticket: header("x-ms-webticket"),
        content_type: header("content-type"),
        host: header("host"),
        body: &body,
        https,
        client: peer.ip(),
    };
    let resp = service.load().handle(&r, SystemTime::now());
    tracing::debug!(client = %peer.ip(), method = %parts.method, path = %parts.uri.path(), status = resp.status, "autodiscover");
    let head = parts.method == hyper::Method::HEAD;
    let mut out = to_response(resp);
    if head {
        *out.body_mut() = Full::new(Bytes::new());
    }
    Ok(out)
}

/// Serves `listener` (over TLS when `tls` is given) until `stop` changes; `service` may be swapped on reload.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    service: Arc<ArcSwap<Service>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
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
        let (service, tls) = (service.clone(), tls.clone());
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .max_buf_size(MAX_HEAD)
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            let https = tls.is_some();
            let svc = service_fn(move |req| answer(service.clone(), req, peer, https));
            let result = match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls_stream)) => {
                            builder
                                .serve_connection(TokioIo::new(tls_stream), svc)
                                .await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    }
                }
                None => builder.serve_connection(TokioIo::new(stream), svc).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
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
    /// The names the lab certificate covers.
    pub names: Vec<String>,
    service: Arc<ArcSwap<Service>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Web {
    /// Starts the listeners `config` asks for, serving `d`.
    pub async fn start(d: &lyncdns_model::Deployment, config: &WebConfig) -> Result<Web, WebError> {
        let service = Arc::new(ArcSwap::from_pointee(Service::new(d)));
        let (stop, rx) = watch::channel(false);
        let mut web = Web {
            http_addr: None,
            https_addr: None,
            ca_path: None,
            names: Vec::new(),
            service,
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
            web.tasks.push(tokio::spawn(serve(
                l,
                None,
                web.service.clone(),
                rx.clone(),
            )));
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
            let acceptor = TlsAcceptor::from(identity.config.clone());
            web.tasks.push(tokio::spawn(serve(
                l,
                Some(acceptor),
                web.service.clone(),
                rx,
            )));
            match &identity.ca_path {
                Some(ca) => {
                    tracing::info!(addr = %bound, ca = %ca.display(), names = %identity.names.join(","), "Autodiscover listening on HTTPS (lab CA)")
                }
                None => tracing::info!(addr = %bound, "Autodiscover listening on HTTPS"),
            }
            web.https_addr = Some(bound);
            web.ca_path = identity.ca_path;
            web.names = identity.names;
        }
        Ok(web)
    }

    /// Serves a reloaded deployment (users, pools, views); issued tokens stay valid. The certificate is kept.
    pub fn reload(&self, d: &lyncdns_model::Deployment) {
        let next = self.service.load().reloaded(d);
        self.service.store(Arc::new(next));
    }

    /// Stops the listeners.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
