//! Response rate limiting (RRL), the pure core: which UDP answers a client prefix may still receive. No sockets
//! and no clock: the caller passes the time in, so every decision is testable.
//!
//! The semantics are BIND's, Knot's and NSD's: answers are counted per client prefix (a /24 or /56 by default)
//! and per class of answer ([`Class`]: ordinary answers, NXDOMAIN, errors, each with its own rate, like BIND's
//! `responses-per-second`, `nxdomains-per-second` and `errors-per-second`). Past its rate, every `slip`-th answer
//! is sent truncated ([`slip`]: TC=1, empty sections) so a real client retries over TCP, which is never limited,
//! and the others are dropped; a spoofed flood thus reflects at most the rate plus small truncated answers.
//!
//! Each (prefix, class) has a token bucket counted in thousandths of an answer: it refills at the rate and holds
//! at most one second's worth, so a prefix may burst to the rate at once and then gets the rate. (BIND's credit
//! may go below zero over a window of seconds, so a client that keeps flooding gets nothing but slips; NSD's
//! ratelimit smooths over one second. The bucket's answer count is the easiest to state: at most
//! rate × (seconds + 1).)
//!
//! Memory is fixed, like BIND's `max-table-size`: a table of [`Limiter::ENTRIES`] buckets, 4-way set-associative
//! under a keyed hash (so nobody can aim a flood of prefixes at one set); a new prefix takes the least recently
//! used bucket of its set, which starts full. The table is cut into [`SHARDS`] shards, each behind its own mutex:
//! the UDP workers share one table, so a client's budget is the configured rate however the kernel spreads its
//! queries over the workers' `SO_REUSEPORT` sockets (per-worker tables would give it rate × workers, or, with
//! the rate divided, too little to a client whose queries all land on one worker). With 64 shards and a handful
//! of workers two workers rarely want the same shard at once, so the lock costs an uncontended atomic pair.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;

use lyncdns_dnsdata::types::Rcode;
pub use lyncdns_model::Rrl as Limits;

/// Shards of the table, each locked on its own (a power of two).
pub const SHARDS: usize = 64;
/// Buckets per set: a new prefix replaces the least recently used of its set.
const WAYS: usize = 4;

/// What an answer counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// NOERROR: data, no data, a referral.
    Answer = 1,
    /// NXDOMAIN.
    NxDomain = 2,
    /// Any other response code (REFUSED, FORMERR, SERVFAIL, NOTIMP, BADVERS, …).
    Error = 3,
}

impl Class {
    /// The class of an answer with response code `rcode`.
    pub fn of(rcode: Rcode) -> Class {
        if rcode == Rcode::NOERROR {
            Class::Answer
        } else if rcode == Rcode::NXDOMAIN {
            Class::NxDomain
        } else {
            Class::Error
        }
    }

    /// The rate of this class in `limits` (answers per second; 0: unlimited).
    fn rate(self, limits: &Limits) -> u32 {
        match self {
            Class::Answer => limits.responses_per_second,
            Class::NxDomain => limits.nxdomains_per_second,
            Class::Error => limits.errors_per_second,
        }
    }
}

/// What to do with one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the rate: send it.
    Send,
    /// Over the rate, and its turn to slip: send it truncated ([`slip`]).
    Slip,
    /// Over the rate: drop it.
    Drop,
}

/// One bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// The client prefix (IPv4 in the low 32 bits).
    prefix: u128,
    /// Family (4 or 6) << 2 | class; 0 for a bucket never used.
    tag: u8,
    /// Limited answers since the last slip.
    limited: u8,
    /// Thousandths of an answer left.
    balance: u32,
    /// When the bucket was last used, in milliseconds on the caller's clock.
    last_ms: u64,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        prefix: 0,
        tag: 0,
        limited: 0,
        balance: 0,
        last_ms: 0,
    };
}

/// The table shared by every UDP worker of a server; see the module doc.
pub struct Limiter {
    shards: Box<[Mutex<Box<[Bucket]>>]>,
    /// Sets per shard minus one (a power of two minus one).
    set_mask: usize,
    seed: u64,
}

impl Limiter {
    /// Buckets of a server's table (2 MiB: 32 octets each), about BIND's default `max-table-size` of 100,000.
    pub const ENTRIES: usize = 1 << 16;

    /// A table of at least `entries` buckets (rounded up to whole sets), hashed with a random key.
    pub fn new(entries: usize) -> Limiter {
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Limiter::with_seed(entries, seed)
    }

    /// A table of at least `entries` buckets hashed with `seed` (for tests).
    pub fn with_seed(entries: usize, seed: u64) -> Limiter {
        let sets = (entries.div_ceil(SHARDS * WAYS)).next_power_of_two();
        Limiter {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(vec![Bucket::EMPTY; sets * WAYS].into_boxed_slice()))
                .collect(),
            set_mask: sets - 1,
            seed,
        }
    }

    /// Counts an answer of class `class` to `src` at `now_ms` under `limits`, and says what to do with it.
    pub fn check(&self, limits: &Limits, src: IpAddr, class: Class, now_ms: u64) -> Verdict {
        let rate = class.rate(limits);
        if rate == 0 {
            return Verdict::Send;
        }
        let (prefix, family) = prefix_key(src, limits.prefix_v4, limits.prefix_v6);
        let tag = family << 2 | class as u8;
        let h = self.hash(prefix, tag);
        let shard = (h >> 58) as usize & (SHARDS - 1);
        let set = (h as usize & self.set_mask) * WAYS;
        let mut table = self.shards[shard].lock().unwrap_or_else(|p| p.into_inner());
        let ways = &mut table[set..set + WAYS];
        let cap = rate.saturating_mul(1000);
        let i = match ways.iter().position(|b| b.tag == tag && b.prefix == prefix) {
            Some(i) => i,
            None => {
                // The least recently used bucket of the set (an unused one has time 0) starts full.
                let i = (0..WAYS)
                    .min_by_key(|&i| (ways[i].tag != 0, ways[i].last_ms))
                    .unwrap_or(0);
                ways[i] = Bucket {
                    prefix,
                    tag,
                    limited: 0,
                    balance: cap,
                    last_ms: now_ms,
                };
                i
            }
        };
        let b = &mut ways[i];
        // One millisecond refills `rate` thousandths; a second fills the bucket, so longer gaps need no more.
        let elapsed = now_ms.saturating_sub(b.last_ms).min(1000) as u32;
        b.balance = b.balance.saturating_add(elapsed * rate).min(cap);
        b.last_ms = b.last_ms.max(now_ms);
        if b.balance >= 1000 {
            b.balance -= 1000;
            return Verdict::Send;
        }
        if limits.slip == 0 {
            return Verdict::Drop;
        }
        b.limited = b.limited.saturating_add(1);
        if b.limited >= limits.slip {
            b.limited = 0;
            Verdict::Slip
        } else {
            Verdict::Drop
        }
    }

    /// A keyed mix of the bucket's key (two rounds of a folded 128-bit multiply, as wyhash and foldhash do).
    fn hash(&self, prefix: u128, tag: u8) -> u64 {
        const K1: u64 = 0x9e37_79b9_7f4a_7c15;
        const K2: u64 = 0xbf58_476d_1ce4_e5b9;
        let fold = |a: u64, b: u64| {
            let m = u128::from(a) * u128::from(b);
            (m as u64) ^ ((m >> 64) as u64)
        };
        let x = fold(
            prefix as u64 ^ self.seed,
            (prefix >> 64) as u64 ^ K1 ^ u64::from(tag),
        );
        fold(x ^ self.seed.rotate_left(32), K2)
    }
}

/// The client prefix of `src` (every bit past the prefix cleared) and its family (4 or 6).
fn prefix_key(src: IpAddr, v4: u8, v6: u8) -> (u128, u8) {
    match src {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(v4.min(32)))
                .unwrap_or(0);
            (u128::from(u32::from(a) & mask), 4)
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6.min(128)))
                .unwrap_or(0);
            (u128::from(a) & mask, 6)
        }
    }
}

/// Turns the response `out[..len]` into its slipped form in place: TC set, the question kept, the answer,
/// authority and additional sections (OPT too) removed. Returns the new length. A response whose question cannot
/// be read keeps its header only, with no question.
pub fn slip(out: &mut [u8], len: usize) -> usize {
    let Some(header) = out.get_mut(..12) else {
        return len;
    };
    header[2] |= 0x02;
    let qdcount = u16::from_be_bytes([header[4], header[5]]);
    header[6..12].fill(0);
    let end = if qdcount == 1 {
        question_end(&out[..len.min(out.len())])
    } else {
        None
    };
    match end {
        Some(end) => end,
        None => {
            out[4..6].fill(0);
            12
        }
    }
}

/// Where the (uncompressed, as copied from the query) question at offset 12 of `msg` ends.
fn question_end(msg: &[u8]) -> Option<usize> {
    let mut at = 12;
    loop {
        let len = *msg.get(at)? as usize;
        if len & 0xc0 != 0 {
            return None;
        }
        at += 1 + len;
        if len == 0 {
            break;
        }
    }
    let end = at + 4;
    (end <= msg.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: u32, slip: u8) -> Limits {
        Limits {
            responses_per_second: rate,
            errors_per_second: rate,
            nxdomains_per_second: rate,
            slip,
            prefix_v4: 24,
            prefix_v6: 56,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Counts verdicts for `n` answers to `src`, one every `step_ms` from `start`.
    fn run(
        l: &Limiter,
        lim: &Limits,
        src: &str,
        class: Class,
        n: u64,
        start: u64,
        step_ms: u64,
    ) -> [u64; 3] {
        let mut counts = [0; 3];
        for k in 0..n {
            match l.check(lim, ip(src), class, start + k * step_ms) {
                Verdict::Send => counts[0] += 1,
                Verdict::Slip => counts[1] += 1,
                Verdict::Drop => counts[2] += 1,
            }
        }
        counts
    }

    #[test]
    fn a_burst_gets_the_rate_then_every_slipth_answer_truncated() {
        let l = Limiter::with_seed(1024, 1);
        let [sent, slipped, dropped] =
            run(&l, &limits(100, 2), "192.0.2.1", Class::Answer, 1000, 0, 0);
        assert_eq!(sent, 100);
        assert_eq!(slipped, 450);
        assert_eq!(dropped, 450);
    }

    #[test]
    fn a_steady_flood_gets_the_rate_per_second() {
        let l = Limiter::with_seed(1024, 1);
        // 10 seconds at 1,000 answers per second (one per millisecond), limited to 200/s: one burst of 200, then
        // 200 per second.
        let [sent, slipped, dropped] = run(
            &l,
            &limits(200, 0),
            "192.0.2.1",
            Class::Answer,
            10_000,
            0,
            1,
        );
        assert!((2000..=2200).contains(&sent), "{sent}");
        assert_eq!(slipped, 0);
        assert_eq!(sent + dropped, 10_000);
    }

    #[test]
    fn the_prefix_shares_a_budget_and_other_prefixes_do_not() {
        let l = Limiter::with_seed(1024, 7);
        let lim = limits(10, 0);
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 10, 0, 0)[0], 10);
        // Same /24: nothing left.
        assert_eq!(run(&l, &lim, "192.0.2.200", Class::Answer, 5, 0, 0)[0], 0);
        // Another /24 and another /56 have their own.
        assert_eq!(run(&l, &lim, "192.0.3.1", Class::Answer, 10, 0, 0)[0], 10);
        assert_eq!(
            run(&l, &lim, "2001:db8:0:100::1", Class::Answer, 10, 0, 0)[0],
            10
        );
        assert_eq!(
            run(&l, &lim, "2001:db8:0:1ff::2", Class::Answer, 5, 0, 0)[0],
            0
        );
        assert_eq!(
            run(&l, &lim, "2001:db8:0:200::1", Class::Answer, 10, 0, 0)[0],
            10
        );
    }

    #[test]
    fn errors_and_nxdomain_are_counted_apart_from_answers() {
        let l = Limiter::with_seed(1024, 3);
        let lim = Limits {
            responses_per_second: 5,
            nxdomains_per_second: 2,
            errors_per_second: 1,
            ..limits(0, 0)
        };
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::NxDomain, 10, 0, 0)[0], 2);
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Error, 10, 0, 0)[0], 1);
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 10, 0, 0)[0], 5);
        assert_eq!(Class::of(Rcode::REFUSED), Class::Error);
        assert_eq!(Class::of(Rcode::FORMERR), Class::Error);
        assert_eq!(Class::of(Rcode::SERVFAIL), Class::Error);
        assert_eq!(Class::of(Rcode::NXDOMAIN), Class::NxDomain);
        assert_eq!(Class::of(Rcode::NOERROR), Class::Answer);
    }

    #[test]
    fn a_zero_rate_is_unlimited_and_slip_one_truncates_every_limited_answer() {
        let l = Limiter::with_seed(1024, 3);
        assert_eq!(
            run(&l, &limits(0, 2), "192.0.2.1", Class::Answer, 5000, 0, 0)[0],
            5000
        );
        assert_eq!(
            run(&l, &limits(3, 1), "198.51.100.1", Class::Answer, 10, 0, 0),
            [3, 7, 0]
        );
    }

    #[test]
    fn the_budget_refills_with_time_up_to_one_second() {
        let l = Limiter::with_seed(1024, 3);
        let lim = limits(10, 0);
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 20, 0, 0)[0], 10);
        // 500 ms: half the bucket.
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 20, 500, 0)[0], 5);
        // An hour later: full, not more.
        assert_eq!(
            run(&l, &lim, "192.0.2.1", Class::Answer, 20, 3_600_500, 0)[0],
            10
        );
        // A clock that goes back does not refill.
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 20, 100, 0)[0], 0);
    }

    #[test]
    fn the_table_keeps_its_size_and_recycles_old_buckets() {
        let l = Limiter::with_seed(SHARDS * WAYS, 9);
        let lim = limits(1, 0);
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 3, 0, 0)[0], 1);
        // 100,000 other prefixes pass through a table of 256 buckets; each gets its own full bucket.
        for k in 0..100_000u32 {
            let src = IpAddr::from(std::net::Ipv4Addr::from((10 << 24) + (k << 8)));
            assert_eq!(l.check(&lim, src, Class::Answer, 1), Verdict::Send);
        }
        assert_eq!(
            l.shards
                .iter()
                .map(|s| s.lock().unwrap().len())
                .sum::<usize>(),
            SHARDS * WAYS
        );
        // The first prefix was recycled: it starts full again.
        assert_eq!(run(&l, &lim, "192.0.2.1", Class::Answer, 3, 2, 0)[0], 1);
    }

    #[test]
    fn a_slipped_answer_keeps_the_header_and_question_and_sets_tc() {
        // ID 0x1234, QR AA RD, NOERROR, 1 question, 1 answer, 0, 1 additional; example.test A IN; answer; OPT.
        let mut msg = vec![0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
        msg.extend_from_slice(b"\x07example\x04test\x00\x00\x01\x00\x01");
        let question_end = msg.len();
        msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        msg.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
        let len = msg.len();
        let n = slip(&mut msg, len);
        assert_eq!(n, question_end);
        assert_eq!(
            &msg[..12],
            &[0x12, 0x34, 0x87, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        );
        // No readable question: the header alone.
        let mut bad = vec![0x12, 0x34, 0x81, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0];
        assert_eq!(slip(&mut bad, 14), 12);
        assert_eq!(&bad[4..6], &[0, 0]);
        let mut short = vec![0u8; 5];
        assert_eq!(slip(&mut short, 5), 5);
    }
}
