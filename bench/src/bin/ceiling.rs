//! The ceiling: a responder that does no DNS work. It answers every query with its own question and one fixed
//! A record, batched with recvmmsg/sendmmsg on one thread: what the kernel's network path costs by itself.
//! Usage: ceiling ADDR:PORT

use std::net::UdpSocket;
use std::os::fd::AsRawFd;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5399".into());
    let socket = UdpSocket::bind(&addr).expect("bind");
    let fd = socket.as_raw_fd();
    let mut batch = lyncdns_bench::Batch::new(32, 4096);
    let answer = [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1];
    eprintln!("ceiling listening on {addr}");
    loop {
        let lens = batch.recv(fd, libc::MSG_WAITFORONE);
        let mut out = Vec::with_capacity(lens.len());
        for (i, len) in lens.iter().enumerate() {
            let b = &mut batch.bufs[i];
            if *len < 12 {
                out.push(0);
                continue;
            }
            // Question end: skip the name, then type and class.
            let mut at = 12;
            while at < *len && b[at] != 0 {
                at += b[at] as usize + 1;
            }
            let qend = (at + 5).min(*len);
            b[2] |= 0x84;
            b[6..12].copy_from_slice(&[0, 1, 0, 0, 0, 0]);
            b[qend..qend + answer.len()].copy_from_slice(&answer);
            out.push(qend + answer.len());
        }
        batch.send(fd, &out, None);
    }
}
