//! DNS over TCP (RFC 7766): two-octet length framing, several queries per connection answered in order
//! (pipelining), an idle timeout, and a cap on open connections (a connection beyond it is closed at once).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::Shared;
use super::metrics::{Proto, Stats};
use crate::answer::{Picker, Transport, answer};

/// Time allowed to read the rest of a message once its length arrived (Knot's `tcp-io-timeout` idea: a slow
/// client cannot hold a connection slot forever).
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Accepts connections until `stop` changes.
pub async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(shared.tcp_max));
    let mut seed = 0x5eed_u64;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            shared.global.tcp_rejected.fetch_add(1, Relaxed);
            drop(stream);
            continue;
        };
        shared.global.tcp_accepted.fetch_add(1, Relaxed);
        shared.global.tcp_open.fetch_add(1, Relaxed);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (shared, stats, stop) = (shared.clone(), stats.clone(), stop.clone());
        tokio::spawn(async move {
            if let Err(e) = connection(stream, peer, &shared, &stats, seed, stop).await {
                tracing::debug!(%peer, error = %e, "TCP connection ended");
            }
            shared.global.tcp_open.fetch_sub(1, Relaxed);
            drop(permit);
        });
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    stats: &Stats,
    seed: u64,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut w = BufWriter::new(w);
    let mut picker = Picker::new(seed);
    let mut query = vec![0u8; 65535];
    let mut out = vec![0u8; 65535];
    loop {
        let len = tokio::select! {
            r = tokio::time::timeout(shared.tcp_idle, r.read_u16()) => match r {
                Ok(Ok(len)) => len as usize,
                Ok(Err(_)) | Err(_) => return Ok(()), // closed by the client, or idle too long
            },
            _ = stop.changed() => return Ok(()),
        };
        match tokio::time::timeout(IO_TIMEOUT, r.read_exact(&mut query[..len])).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Ok(()),
        }
        let started = Instant::now();
        let outcome = {
            let snap = shared.data.load();
            answer(
                &snap,
                &query[..len],
                peer.ip(),
                Transport::Tcp,
                &mut picker,
                &mut out,
            )
        };
        let Some(o) = outcome else {
            // Not a DNS query: nothing sensible can follow on this stream.
            return Ok(());
        };
        w.write_all(&(o.len as u16).to_be_bytes()).await?;
        w.write_all(&out[..o.len]).await?;
        // Pipelined queries already buffered are answered before flushing, so their answers share segments.
        if r.buffer().len() < 2 {
            w.flush().await?;
        }
        stats.count(Proto::Tcp, &o);
        stats.latency(1, started.elapsed().as_nanos() as u64);
        super::log_query(shared, peer.ip(), &query[..len], &o, "tcp");
    }
}
