//! UDP workers: one thread and one `SO_REUSEPORT` socket per worker, so the kernel spreads queries over them
//! without a shared queue; on Linux each worker receives and sends in batches (`recvmmsg`/`sendmmsg`), loading
//! the current snapshot once per batch (every answer of a batch comes from one snapshot). A socket on a wildcard
//! address answers from the address each query arrived at (`IP_PKTINFO`, `IPV6_PKTINFO`; Linux only).

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::Shared;
use super::metrics::{Proto, Stats};
use crate::answer::{Outcome, Picker, Transport, answer};
use crate::compile::Snapshot;
use crate::rrl::{self, Class, Limiter, Verdict};

/// How long a blocked receive waits before checking for shutdown.
const POLL: Duration = Duration::from_millis(200);
/// Queries received and answered per batch.
pub const BATCH: usize = 32;
/// Receive buffer per query: larger queries are not legitimate DNS queries.
const QUERY_MAX: usize = 4096;

/// Opens a UDP socket bound to `addr` with `SO_REUSEPORT`, so several workers can share the address.
pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    socket.set_reuse_port(true)?;
    // Large buffers ride out bursts (NSD raised its send buffer to 4 MB for the same reason); best effort.
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.set_read_timeout(Some(POLL))?;
    #[cfg(target_os = "linux")]
    if addr.ip().is_unspecified() {
        pktinfo::enable(&socket, addr.is_ipv6())?;
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Response rate limiting of the answer `o` written in `out` to `src` at `now` (see [`crate::rrl`]): whether to
/// send it. A slipped answer is cut to its truncated form in place (`o` says so); a dropped one is counted here.
#[inline]
fn rate_limit(
    shared: &Shared,
    snap: &Snapshot,
    stats: &Stats,
    src: IpAddr,
    o: &mut Outcome,
    out: &mut [u8],
    now: Instant,
) -> bool {
    let Some(view) = o.view else {
        return true;
    };
    let Some(Some(limits)) = snap.rrl.get(view as usize) else {
        return true;
    };
    let limiter = shared.rrl.get_or_init(|| Limiter::new(Limiter::ENTRIES));
    let now_ms = now.saturating_duration_since(shared.epoch).as_millis() as u64;
    match limiter.check(limits, src, Class::of(o.rcode), now_ms) {
        Verdict::Send => true,
        Verdict::Slip => {
            o.len = rrl::slip(out, o.len);
            o.truncated = true;
            stats.rate_limited(view, true);
            true
        }
        Verdict::Drop => {
            stats.rate_limited(view, false);
            false
        }
    }
}

/// Serves queries on `socket` until shutdown.
pub fn run(socket: UdpSocket, shared: Arc<Shared>, stats: Arc<Stats>, seed: u64) {
    let mut picker = Picker::new(seed);
    #[cfg(target_os = "linux")]
    {
        if let Err(e) = batched(&socket, &shared, &stats, &mut picker) {
            tracing::error!(error = %e, "UDP worker stopped");
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        if let Err(e) = simple(&socket, &shared, &stats, &mut picker) {
            tracing::error!(error = %e, "UDP worker stopped");
        }
    }
}

/// The portable path: one `recv_from`/`send_to` per query.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn simple(
    socket: &UdpSocket,
    shared: &Shared,
    stats: &Stats,
    picker: &mut Picker,
) -> io::Result<()> {
    let mut buf = vec![0u8; QUERY_MAX];
    let mut out = vec![0u8; 65535];
    while !shared.stop.load(Ordering::Relaxed) {
        let (len, src) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        let started = Instant::now();
        let snap = shared.data.load();
        if let Some(mut o) = answer(
            &snap,
            &buf[..len],
            src.ip(),
            Transport::Udp,
            picker,
            &mut out,
        ) {
            if !rate_limit(shared, &snap, stats, src.ip(), &mut o, &mut out, started) {
                continue;
            }
            let _ = socket.send_to(&out[..o.len], src);
            stats.count(Proto::Udp, &o);
            super::log_query(shared, src.ip(), &buf[..len], &o, "udp");
        }
        stats.latency(1, started.elapsed().as_nanos() as u64);
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn sockaddr_to_std(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in when the family is AF_INET.
            let sin: &libc::sockaddr_in = unsafe { &*(ss as *const _ as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the kernel wrote a sockaddr_in6 when the family is AF_INET6.
            let sin6: &libc::sockaddr_in6 =
                unsafe { &*(ss as *const _ as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::new(
                IpAddr::V6(ip),
                u16::from_be(sin6.sin6_port),
            ))
        }
        _ => None,
    }
}

/// The batched path: `recvmmsg` up to [`BATCH`] queries, answer them all from one snapshot, `sendmmsg` the
/// answers back to the addresses they came from.
#[cfg(target_os = "linux")]
fn batched(
    socket: &UdpSocket,
    shared: &Shared,
    stats: &Stats,
    picker: &mut Picker,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let fd = socket.as_raw_fd();
    let mut bufs = vec![[0u8; QUERY_MAX]; BATCH];
    let mut outs: Vec<Box<[u8]>> = (0..BATCH)
        .map(|_| vec![0u8; 65535].into_boxed_slice())
        .collect();
    // SAFETY: sockaddr_storage, iovec and mmsghdr are plain C structs for which all-zero is a valid value.
    let mut addrs: Vec<libc::sockaddr_storage> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut iov_in: Vec<libc::iovec> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut msgs_in: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut iov_out: Vec<libc::iovec> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut msgs_out: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; BATCH];
    // On a wildcard address, each query's destination comes with it (IP_PKTINFO / IPV6_PKTINFO) and its answer
    // leaves from that address, as Knot and NSD do: a multi-homed host would otherwise answer from the address
    // its routing table picks, and the client would drop the answer. A specific address needs none of it.
    let wildcard = socket.local_addr()?.ip().is_unspecified();
    let mut cmsg_in = vec![pktinfo::Control::default(); if wildcard { BATCH } else { 0 }];
    let mut cmsg_out = cmsg_in.clone();

    while !shared.stop.load(Ordering::Relaxed) {
        for i in 0..BATCH {
            iov_in[i] = libc::iovec {
                iov_base: bufs[i].as_mut_ptr().cast(),
                iov_len: QUERY_MAX,
            };
            msgs_in[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs_in[i].msg_hdr.msg_namelen =
                std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            msgs_in[i].msg_hdr.msg_iov = &mut iov_in[i];
            msgs_in[i].msg_hdr.msg_iovlen = 1;
            match cmsg_in.get_mut(i) {
                Some(c) => {
                    msgs_in[i].msg_hdr.msg_control = c.0.as_mut_ptr().cast();
                    msgs_in[i].msg_hdr.msg_controllen = c.0.len() as _;
                }
                None => {
                    msgs_in[i].msg_hdr.msg_control = std::ptr::null_mut();
                    msgs_in[i].msg_hdr.msg_controllen = 0;
                }
            }
            msgs_in[i].msg_hdr.msg_flags = 0;
            msgs_in[i].msg_len = 0;
        }
        // SAFETY: every mmsghdr points at live buffers of the lengths given, owned by this function.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs_in.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock
                | io::ErrorKind::TimedOut
                | io::ErrorKind::Interrupted => continue,
                _ if e.raw_os_error() == Some(libc::ECONNREFUSED) => continue,
                _ => return Err(e),
            }
        }
        let started = Instant::now();
        let snap = shared.data.load();
        let mut ready = 0usize;
        for i in 0..n as usize {
            let len = (msgs_in[i].msg_len as usize).min(QUERY_MAX);
            let Some(src) = sockaddr_to_std(&addrs[i]) else {
                continue;
            };
            let Some(mut o) = answer(
                &snap,
                &bufs[i][..len],
                src.ip(),
                Transport::Udp,
                picker,
                &mut outs[i],
            ) else {
                continue;
            };
            if !rate_limit(
                shared,
                &snap,
                stats,
                src.ip(),
                &mut o,
                &mut outs[i],
                started,
            ) {
                continue;
            }
            stats.count(Proto::Udp, &o);
            super::log_query(shared, src.ip(), &bufs[i][..len], &o, "udp");
            iov_out[ready] = libc::iovec {
                iov_base: outs[i].as_mut_ptr().cast(),
                iov_len: o.len,
            };
            msgs_out[ready].msg_hdr.msg_name =
                (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs_out[ready].msg_hdr.msg_namelen = msgs_in[i].msg_hdr.msg_namelen;
            msgs_out[ready].msg_hdr.msg_iov = &mut iov_out[ready];
            msgs_out[ready].msg_hdr.msg_iovlen = 1;
            let source = if wildcard {
                pktinfo::destination(&msgs_in[i].msg_hdr).map(|dst| cmsg_out[ready].set_source(dst))
            } else {
                None
            };
            match source {
                Some(len) => {
                    msgs_out[ready].msg_hdr.msg_control = cmsg_out[ready].0.as_mut_ptr().cast();
                    msgs_out[ready].msg_hdr.msg_controllen = len as _;
                }
                None => {
                    msgs_out[ready].msg_hdr.msg_control = std::ptr::null_mut();
                    msgs_out[ready].msg_hdr.msg_controllen = 0;
                }
            }
            msgs_out[ready].msg_hdr.msg_flags = 0;
            ready += 1;
        }
        drop(snap);
        let mut sent = 0usize;
        while sent < ready {
            // SAFETY: entries sent..ready point at live output buffers and addresses.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    msgs_out[sent..].as_mut_ptr(),
                    (ready - sent) as libc::c_uint,
                    0,
                )
            };
            if r <= 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // A full buffer or an unreachable client must not stop the worker: skip that answer.
                tracing::debug!(error = %e, "sendmmsg failed; answer dropped");
                sent += 1;
                continue;
            }
            sent += r as usize;
        }
        stats.latency(ready as u64, started.elapsed().as_nanos() as u64);
    }
    Ok(())
}

/// The destination address of a query received on a wildcard socket, and the source of its answer: the
/// `IP_PKTINFO` and `IPV6_PKTINFO` control messages (Linux `ip(7)`, `ipv6(7)`; RFC 3542 §6 for IPv6).
#[cfg(target_os = "linux")]
mod pktinfo {
    use std::io;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// Where a query arrived: its destination address and the interface (needed to answer from an IPv6
    /// link-local address).
    #[derive(Debug, Clone, Copy)]
    pub struct Destination {
        addr: IpAddr,
        ifindex: u32,
    }

    /// Room for one control message with either kind of packet information, aligned for `cmsghdr`.
    #[derive(Clone, Copy)]
    #[repr(C, align(8))]
    pub struct Control(pub [u8; 64]);

    impl Default for Control {
        fn default() -> Self {
            Control([0; 64])
        }
    }

    impl Control {
        /// Writes the control message that makes an answer leave from `dst`; returns its length.
        pub fn set_source(&mut self, dst: Destination) -> usize {
            // SAFETY: the buffer is aligned for cmsghdr and large enough for CMSG_SPACE of either pktinfo
            // (checked below); the header and the data are written inside it, with unaligned writes for the data.
            unsafe {
                let (level, kind, size) = match dst.addr {
                    IpAddr::V4(_) => (
                        libc::IPPROTO_IP,
                        libc::IP_PKTINFO,
                        std::mem::size_of::<libc::in_pktinfo>(),
                    ),
                    IpAddr::V6(_) => (
                        libc::IPPROTO_IPV6,
                        libc::IPV6_PKTINFO,
                        std::mem::size_of::<libc::in6_pktinfo>(),
                    ),
                };
                let space = libc::CMSG_SPACE(size as u32) as usize;
                debug_assert!(space <= self.0.len());
                let mut hdr: libc::msghdr = std::mem::zeroed();
                hdr.msg_control = self.0.as_mut_ptr().cast();
                hdr.msg_controllen = space as _;
                let c = libc::CMSG_FIRSTHDR(&hdr);
                (*c).cmsg_level = level;
                (*c).cmsg_type = kind;
                (*c).cmsg_len = libc::CMSG_LEN(size as u32) as _;
                let data = libc::CMSG_DATA(c);
                match dst.addr {
                    IpAddr::V4(a) => {
                        // ipi_spec_dst sets the source; interface 0 lets routing choose the way out (as NSD).
                        let info = libc::in_pktinfo {
                            ipi_ifindex: 0,
                            ipi_spec_dst: libc::in_addr {
                                s_addr: u32::from(a).to_be(),
                            },
                            ipi_addr: libc::in_addr { s_addr: 0 },
                        };
                        std::ptr::write_unaligned(data.cast::<libc::in_pktinfo>(), info);
                    }
                    IpAddr::V6(a) => {
                        let info = libc::in6_pktinfo {
                            ipi6_addr: libc::in6_addr {
                                s6_addr: a.octets(),
                            },
                            ipi6_ifindex: dst.ifindex,
                        };
                        std::ptr::write_unaligned(data.cast::<libc::in6_pktinfo>(), info);
                    }
                }
                space
            }
        }
    }

    /// Asks the kernel to report each datagram's destination (`IP_PKTINFO`, `IPV6_RECVPKTINFO`).
    pub fn enable(socket: &socket2::Socket, v6: bool) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let (level, option) = if v6 {
            (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
        } else {
            (libc::IPPROTO_IP, libc::IP_PKTINFO)
        };
        let on: libc::c_int = 1;
        // SAFETY: setsockopt reads an int of the size given from a live stack value.
        let r = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                level,
                option,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The destination the kernel reported in `hdr`'s control messages, if any.
    pub fn destination(hdr: &libc::msghdr) -> Option<Destination> {
        if hdr.msg_control.is_null() {
            return None;
        }
        // SAFETY: after recvmmsg, msg_control/msg_controllen describe control messages the kernel wrote into our
        // buffer; the CMSG macros walk them within msg_controllen, and the data is read unaligned.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(hdr);
            while !c.is_null() {
                let data = libc::CMSG_DATA(c);
                match ((*c).cmsg_level, (*c).cmsg_type) {
                    (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                        let info = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                        return Some(Destination {
                            // The local address the datagram was for (the header's destination, unless that
                            // was a broadcast one).
                            addr: IpAddr::V4(Ipv4Addr::from(u32::from_be(
                                info.ipi_spec_dst.s_addr,
                            ))),
                            ifindex: info.ipi_ifindex as u32,
                        });
                    }
                    (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                        let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                        return Some(Destination {
                            addr: IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)),
                            ifindex: info.ipi6_ifindex,
                        });
                    }
                    _ => {}
                }
                c = libc::CMSG_NXTHDR(hdr, c);
            }
        }
        None
    }
}
