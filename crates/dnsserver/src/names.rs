//! The name table: domain names → entry numbers, for the answer path and for compiling zones.
//!
//! An open-addressing table with linear probing over 8-octet slots (a 32-bit tag from the name's hash and the
//! entry number); the names themselves stay where they are (the view's name arena) and are compared only when
//! a tag matches. At most half the slots are used, so a probe sequence is short; there is no wrap-around (the
//! slot array has a tail past its last bucket that grows if a run reaches it).
//!
//! Why not a `HashMap<Box<[u8]>, _>`: a boxed key per name costs an allocation and 16+ octets, and inserting a
//! million names in file order is a million cache misses. Here a caller hashes ahead and [`NameTable::prefetch`]es
//! the slots it will touch, so the misses overlap (the compile of a million-record zone numbers its owners
//! several times faster this way).

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use rustc_hash::FxHasher;

/// One slot: the tag (low half of the hash) and the entry number, or [`EMPTY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    tag: u32,
    id: u32,
}

const EMPTY: u32 = u32::MAX;
const VACANT: Slot = Slot { tag: 0, id: EMPTY };

/// Names (kept elsewhere) → entry numbers.
#[derive(Debug, Clone)]
pub struct NameTable {
    slots: Vec<Slot>,
    /// 64 − log2(buckets): the bucket is the hash's top bits.
    shift: u32,
    len: usize,
}

/// The hash of a lowercase wire name: Fx, then a multiply-xorshift so that both the top bits (the bucket) and
/// the low bits (the tag) depend on every octet.
#[inline]
pub fn hash(name: &[u8]) -> u64 {
    let mut h = BuildHasherDefault::<FxHasher>::default().build_hasher();
    h.write(name);
    let x = h.finish();
    let x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

impl Default for NameTable {
    fn default() -> Self {
        NameTable::with_capacity(0)
    }
}

impl NameTable {
    /// A table for about `n` names without growing.
    pub fn with_capacity(n: usize) -> NameTable {
        let buckets = (n.max(8) * 2).next_power_of_two();
        NameTable {
            slots: vec![VACANT; buckets + 16],
            shift: 64 - buckets.trailing_zeros(),
            len: 0,
        }
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Octets held.
    pub fn heap_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    #[inline]
    fn bucket(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// Asks the CPU to start loading the slot `hash` starts at (a hint; no effect on results).
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.slots.as_ptr().wrapping_add(self.bucket(hash)) as *const i8;
            // SAFETY: a prefetch never faults and does not read memory architecturally; `p` may be any address.
            unsafe { std::arch::x86_64::_mm_prefetch(p, std::arch::x86_64::_MM_HINT_T0) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hash;
    }

    /// The entry number whose name `eq` accepts, among those whose hash matches `hash`.
    #[inline]
    pub fn find(&self, hash: u64, eq: impl Fn(u32) -> bool) -> Option<u32> {
        let tag = hash as u32;
        let mut i = self.bucket(hash);
        while let Some(s) = self.slots.get(i) {
            if s.id == EMPTY {
                return None;
            }
            if s.tag == tag && eq(s.id) {
                return Some(s.id);
            }
            i += 1;
        }
        None
    }

    /// The entry number of the name `eq` accepts, or `new` inserted for it; true when inserted. `rehash` gives
    /// the hash of a stored entry number, for growing.
    #[inline]
    pub fn find_or_insert(
        &mut self,
        hash: u64,
        eq: impl Fn(u32) -> bool,
        new: u32,
        rehash: impl Fn(u32) -> u64,
    ) -> (u32, bool) {
        if (self.len + 1) * 2 > self.slots.len() - 16 {
            self.grow(&rehash);
        }
        let tag = hash as u32;
        let mut i = self.bucket(hash);
        loop {
            if i == self.slots.len() {
                self.slots.push(VACANT);
            }
            let s = self.slots[i];
            if s.id == EMPTY {
                self.slots[i] = Slot { tag, id: new };
                self.len += 1;
                return (new, true);
            }
            if s.tag == tag && eq(s.id) {
                return (s.id, false);
            }
            i += 1;
        }
    }

    fn grow(&mut self, rehash: &impl Fn(u32) -> u64) {
        let mut bigger = NameTable::with_capacity((self.len + 1) * 2);
        for s in self.slots.iter().filter(|s| s.id != EMPTY) {
            bigger.place(rehash(s.id), s.id);
        }
        *self = bigger;
    }

    /// Puts `id` in the first free slot from its bucket (no growth, no comparison).
    fn place(&mut self, hash: u64, id: u32) {
        let mut i = self.bucket(hash);
        loop {
            if i == self.slots.len() {
                self.slots.push(VACANT);
            }
            if self.slots[i].id == EMPTY {
                self.slots[i] = Slot {
                    tag: hash as u32,
                    id,
                };
                self.len += 1;
                return;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_and_nothing_else_while_growing() {
        let names: Vec<Vec<u8>> = (0..5000)
            .map(|i| lyncdns_dnsdata::name::from_text(&format!("h{i}.example.test")).unwrap())
            .collect();
        let mut t = NameTable::with_capacity(10);
        for (i, n) in names.iter().enumerate() {
            let (id, new) = t.find_or_insert(
                hash(n),
                |id| names[id as usize] == *n,
                i as u32,
                |id| hash(&names[id as usize]),
            );
            assert!(new);
            assert_eq!(id, i as u32);
        }
        assert_eq!(t.len(), names.len());
        for (i, n) in names.iter().enumerate() {
            assert_eq!(
                t.find(hash(n), |id| names[id as usize] == *n),
                Some(i as u32)
            );
            let again = t.find_or_insert(hash(n), |id| names[id as usize] == *n, 99_999, |_| 0);
            assert_eq!(again, (i as u32, false));
        }
        let other = lyncdns_dnsdata::name::from_text("nope.example.test").unwrap();
        assert_eq!(t.find(hash(&other), |id| names[id as usize] == other), None);
    }
}
