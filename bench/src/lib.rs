//! Shared pieces of the benchmark tools: the query list and the batched socket calls.

use std::net::SocketAddr;
use std::os::fd::RawFd;

/// Reads a dnsperf-style query file (`name TYPE` per line) into wire-format queries with EDNS (ID patched later).
pub fn queries(path: &str) -> std::io::Result<Vec<Vec<u8>>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(t)) = (parts.next(), parts.next()) else {
            continue;
        };
        let qtype: u16 = match t {
            "A" => 1,
            "AAAA" => 28,
            "SRV" => 33,
            "CNAME" => 5,
            "TXT" => 16,
            "SOA" => 6,
            "NS" => 2,
            _ => continue,
        };
        let mut b = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        for l in name.trim_end_matches('.').split('.') {
            b.push(l.len() as u8);
            b.extend_from_slice(l.as_bytes());
        }
        b.push(0);
        b.extend_from_slice(&qtype.to_be_bytes());
        b.extend_from_slice(&[0, 1, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
        out.push(b);
    }
    Ok(out)
}

/// A sockaddr for `libc` calls.
pub fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage; we then write the family's struct into it.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as _,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in, sin) };
            (ss, std::mem::size_of::<libc::sockaddr_in>() as _)
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as _,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (ss, std::mem::size_of::<libc::sockaddr_in6>() as _)
        }
    }
}

/// Batched receive: fills `bufs`, returns the lengths and the source addresses' storage index.
pub struct Batch {
    /// Buffers.
    pub bufs: Vec<Vec<u8>>,
    /// Source addresses.
    pub addrs: Vec<libc::sockaddr_storage>,
    iov: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
}

impl Batch {
    /// `n` buffers of `size` octets.
    pub fn new(n: usize, size: usize) -> Batch {
        // SAFETY: plain C structs; all-zero is valid.
        Batch {
            bufs: vec![vec![0u8; size]; n],
            addrs: vec![unsafe { std::mem::zeroed() }; n],
            iov: vec![unsafe { std::mem::zeroed() }; n],
            msgs: vec![unsafe { std::mem::zeroed() }; n],
        }
    }

    /// recvmmsg with `flags`; returns the lengths received.
    pub fn recv(&mut self, fd: RawFd, flags: i32) -> Vec<usize> {
        let n = self.bufs.len();
        for i in 0..n {
            self.iov[i] = libc::iovec {
                iov_base: self.bufs[i].as_mut_ptr().cast(),
                iov_len: self.bufs[i].len(),
            };
            self.msgs[i].msg_hdr.msg_name =
                (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
            self.msgs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as _;
            self.msgs[i].msg_hdr.msg_iov = &mut self.iov[i];
            self.msgs[i].msg_hdr.msg_iovlen = 1;
            self.msgs[i].msg_len = 0;
        }
        // SAFETY: buffers and headers live as long as self.
        let r = unsafe {
            libc::recvmmsg(
                fd,
                self.msgs.as_mut_ptr(),
                n as _,
                flags,
                std::ptr::null_mut(),
            )
        };
        if r <= 0 {
            return Vec::new();
        }
        (0..r as usize)
            .map(|i| self.msgs[i].msg_len as usize)
            .collect()
    }

    /// sendmmsg of the first `lens.len()` buffers with their lengths to `addrs` (or their own source address).
    pub fn send(
        &mut self,
        fd: RawFd,
        lens: &[usize],
        to: Option<(&libc::sockaddr_storage, libc::socklen_t)>,
    ) -> usize {
        let n = lens.len();
        for (i, &len) in lens.iter().enumerate() {
            self.iov[i] = libc::iovec {
                iov_base: self.bufs[i].as_mut_ptr().cast(),
                iov_len: len,
            };
            let (addr, len) = match to {
                Some((a, l)) => (
                    a as *const libc::sockaddr_storage as *mut libc::sockaddr_storage,
                    l,
                ),
                None => (
                    &mut self.addrs[i] as *mut libc::sockaddr_storage,
                    self.msgs[i].msg_hdr.msg_namelen,
                ),
            };
            self.msgs[i].msg_hdr.msg_name = addr.cast();
            self.msgs[i].msg_hdr.msg_namelen = len;
            self.msgs[i].msg_hdr.msg_iov = &mut self.iov[i];
            self.msgs[i].msg_hdr.msg_iovlen = 1;
        }
        let mut sent = 0;
        while sent < n {
            // SAFETY: as above.
            let r =
                unsafe { libc::sendmmsg(fd, self.msgs[sent..].as_mut_ptr(), (n - sent) as _, 0) };
            if r <= 0 {
                break;
            }
            sent += r as usize;
        }
        sent
    }
}
