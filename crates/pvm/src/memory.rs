//! PVM RAM (GP's `μ` of (A.5)–(A.8)): 2^32 bytes in pages of `Z_P` octets, each page
//! inaccessible, read-only or writable.
//!
//! Memory costs what is written, not what is made accessible:
//!
//! * accessibility is an address-ordered list of page runs of uniform access (a few entries
//!   for any standard program, however large its heap or stack);
//! * contents are kept only for pages that have been written, one boxed page each, in a slab
//!   indexed through a hash map from page number. Readable pages that were never written read
//!   as zero from one shared zero page (slot 0 of the slab), without allocating.
//!
//! The fast path of a load or store is a direct-mapped cache of recently touched pages
//! (page number → slab slot, writable or not): a shift, a mask, one compare and a
//! bounds-checked copy. Everything else (faults, page-crossing accesses, cache misses) takes
//! the slow path, which also refills the cache.

use crate::blob::PAGE_SIZE;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const PAGE: usize = PAGE_SIZE as usize;
const PAGE_BITS: u32 = PAGE_SIZE.trailing_zeros();
const PAGE_MASK: u32 = PAGE_SIZE - 1;
/// The number of pages of the 2^32-byte address space.
const PAGES: u32 = 1 << (32 - PAGE_BITS);
/// Direct-mapped cache entries (a power of two).
const CACHE_WAYS: usize = 16;

/// The access a page grants (GP's `A` of `μ`: `R`, `W`, or none when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Readable only (`R`).
    ReadOnly,
    /// Readable and writable (`W`).
    ReadWrite,
}

/// Why a memory access could not complete (GP (A.8), `ε^μ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryFault {
    /// The lowest inaccessible address is below `2^16`: the machine panics.
    Panic,
    /// The page address of the lowest inaccessible address.
    PageFault(u32),
}

/// A run of pages `[start, end)` (page numbers) of one access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: u32,
    end: u32,
    access: Access,
}

/// A cache entry: `page` is backed by slab slot `slot` (0: the zero page) and may be stored
/// to through the cache when `writable` (a writable page that is still the zero page is not).
#[derive(Debug, Clone, Copy)]
struct CacheEntry {
    page: u32,
    slot: u32,
    writable: bool,
}

/// No page has this number (page numbers are below 2^20).
const NO_ENTRY: CacheEntry = CacheEntry {
    page: u32::MAX,
    slot: 0,
    writable: false,
};

/// A multiplicative hash for page numbers (the keys are small integers chosen by the guest;
/// the map never holds more entries than pages written, so collisions cost time, not memory).
#[derive(Default, Clone, Copy)]
struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type PageMap = HashMap<u32, u32, BuildHasherDefault<PageHasher>>;

/// The zero page that unwritten readable pages read from.
static ZERO_PAGE: [u8; PAGE] = [0; PAGE];

/// The RAM of one PVM instance, plus the heap pointer that `sbrk` advances.
#[derive(Clone)]
pub struct Memory {
    /// Accessible pages, ordered, disjoint, adjacent runs of equal access merged.
    runs: Vec<Run>,
    /// Written pages: page number → slab slot (never 0). Only accessible pages are here.
    slots: PageMap,
    /// Page contents; slot 0 is the zero page once any page is cached or written.
    slab: Vec<Box<[u8; PAGE]>>,
    /// Slab slots released by pages that became inaccessible or were zeroed.
    free: Vec<u32>,
    cache: [CacheEntry; CACHE_WAYS],
    /// The heap pointer `sbrk` returns and advances (see [`Memory::sbrk`]); at most 2^32.
    pub heap_top: u64,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            runs: Vec::new(),
            slots: PageMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            cache: [NO_ENTRY; CACHE_WAYS],
            heap_top: 0,
        }
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("runs", &self.runs)
            .field("written_pages", &self.slots.len())
            .field("heap_top", &self.heap_top)
            .finish()
    }
}

/// Equal when the same pages are accessible with the same access, they read the same bytes
/// and the heap pointers agree (how the contents are stored does not matter).
impl PartialEq for Memory {
    fn eq(&self, other: &Self) -> bool {
        self.runs == other.runs
            && self.heap_top == other.heap_top
            && self
                .slots
                .keys()
                .chain(other.slots.keys())
                .all(|&p| self.page_bytes(p) == other.page_bytes(p))
    }
}

impl Eq for Memory {}

#[inline]
fn fault_for(addr: u32) -> MemoryFault {
    if addr < 1 << 16 {
        MemoryFault::Panic
    } else {
        MemoryFault::PageFault(addr & !PAGE_MASK)
    }
}

fn new_page() -> Box<[u8; PAGE]> {
    Box::new([0u8; PAGE])
}

impl Memory {
    /// An empty memory: every page inaccessible.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `N` bytes at `addr` (wrapping modulo 2^32), or the fault of GP (A.8).
    #[inline(always)]
    pub fn load<const N: usize>(&mut self, addr: u32) -> Result<[u8; N], MemoryFault> {
        let page = addr >> PAGE_BITS;
        let off = (addr & PAGE_MASK) as usize;
        let e = self.cache[page as usize % CACHE_WAYS];
        if e.page == page {
            if let Some(bytes) = self
                .slab
                .get(e.slot as usize)
                .and_then(|p| p.get(off..off + N))
            {
                let mut out = [0u8; N];
                out.copy_from_slice(bytes);
                return Ok(out);
            }
        }
        let mut out = [0u8; N];
        self.read_slow(addr, &mut out)?;
        Ok(out)
    }

    /// Writes `N` bytes at `addr` (wrapping modulo 2^32), or the fault of GP (A.8).
    #[inline(always)]
    pub fn store<const N: usize>(&mut self, addr: u32, value: [u8; N]) -> Result<(), MemoryFault> {
        let page = addr >> PAGE_BITS;
        let off = (addr & PAGE_MASK) as usize;
        let e = self.cache[page as usize % CACHE_WAYS];
        if e.page == page && e.writable {
            if let Some(bytes) = self
                .slab
                .get_mut(e.slot as usize)
                .and_then(|p| p.get_mut(off..off + N))
            {
                bytes.copy_from_slice(&value);
                return Ok(());
            }
        }
        self.write_slow(addr, &value)
    }

    /// The index of the run holding page `page`.
    fn run_of(&self, page: u32) -> Option<usize> {
        let i = self.runs.partition_point(|r| r.end <= page);
        (i < self.runs.len() && self.runs[i].start <= page).then_some(i)
    }

    /// The access of page number `page`.
    fn page_access(&self, page: u32) -> Option<Access> {
        self.run_of(page).map(|i| self.runs[i].access)
    }

    /// The contents of page `page` (zero if never written).
    fn page_bytes(&self, page: u32) -> &[u8; PAGE] {
        match self
            .slots
            .get(&page)
            .and_then(|&s| self.slab.get(s as usize))
        {
            Some(p) => p,
            None => &ZERO_PAGE,
        }
    }

    /// Makes sure slot 0 (the zero page) exists.
    fn ensure_zero_slot(&mut self) {
        if self.slab.is_empty() {
            self.slab.push(new_page());
        }
    }

    /// The slot backing page `page`, allocating a zeroed one if it has none yet. The caller
    /// has checked that the page is writable.
    fn back(&mut self, page: u32) -> u32 {
        if let Some(&s) = self.slots.get(&page) {
            return s;
        }
        self.ensure_zero_slot();
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(p) = self.slab.get_mut(s as usize) {
                    p.fill(0);
                }
                s
            }
            None => {
                self.slab.push(new_page());
                (self.slab.len() - 1) as u32
            }
        };
        self.slots.insert(page, slot);
        // the cache may hold this page as the zero page
        self.cache[page as usize % CACHE_WAYS] = CacheEntry {
            page,
            slot,
            writable: true,
        };
        slot
    }

    /// Caches page `page` if it is accessible.
    fn fill_cache(&mut self, page: u32) {
        let Some(access) = self.page_access(page) else {
            return;
        };
        let slot = match self.slots.get(&page) {
            Some(&s) => s,
            None => {
                self.ensure_zero_slot();
                0
            }
        };
        self.cache[page as usize % CACHE_WAYS] = CacheEntry {
            page,
            slot,
            writable: slot != 0 && access == Access::ReadWrite,
        };
    }

    /// Checks every byte of `[addr, addr + len)` (mod 2^32); the lowest failing address gives
    /// the fault (GP (A.8)).
    fn check(&self, addr: u32, len: usize, write: bool) -> Result<(), MemoryFault> {
        let mut lowest: Option<u32> = None;
        let mut k = 0usize;
        while k < len {
            let a = addr.wrapping_add(k as u32);
            let page = a >> PAGE_BITS;
            let i = self.runs.partition_point(|r| r.end <= page);
            let run = self.runs.get(i).filter(|r| r.start <= page);
            // the end of the stretch starting at `a` that is uniformly fine or failing
            let (ok, stretch_end) = match run {
                Some(r) => (
                    !write || r.access == Access::ReadWrite,
                    (r.end as u64) << PAGE_BITS,
                ),
                None => (
                    false,
                    self.runs
                        .get(i)
                        .map_or(1u64 << 32, |r| (r.start as u64) << PAGE_BITS),
                ),
            };
            if !ok {
                lowest = Some(lowest.map_or(a, |l| l.min(a)));
            }
            let step = (stretch_end - a as u64).min((len - k) as u64) as usize;
            k += step.max(1);
        }
        match lowest {
            None => Ok(()),
            Some(a) => Err(fault_for(a)),
        }
    }

    /// Whether every byte of `[addr, addr + len)` is readable (no wrapping: `addr + len` must
    /// not pass 2^32, as GP's `N_{a...+l} ⊆ V_μ` requires).
    pub fn is_readable(&self, addr: u32, len: u64) -> bool {
        len == 0
            || (addr as u64 + len <= 1 << 32
                && len <= usize::MAX as u64
                && self.check(addr, len as usize, false).is_ok())
    }

    /// Whether every byte of `[addr, addr + len)` is writable (no wrapping).
    pub fn is_writable(&self, addr: u32, len: u64) -> bool {
        len == 0
            || (addr as u64 + len <= 1 << 32
                && len <= usize::MAX as u64
                && self.check(addr, len as usize, true).is_ok())
    }

    /// The access of the page holding `addr`, `None` if inaccessible.
    pub fn access_of(&self, addr: u32) -> Option<Access> {
        self.page_access(addr >> PAGE_BITS)
    }

    /// Reads `out.len()` bytes at `addr`, wrapping modulo 2^32; on a fault nothing is read.
    pub fn read(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemoryFault> {
        self.read_slow(addr, out)
    }

    /// Writes `data` at `addr`, wrapping modulo 2^32; on a fault nothing is written.
    pub fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryFault> {
        self.write_slow(addr, data)
    }

    /// Reads into a fresh vector (after checking access, so the allocation is justified by
    /// memory that exists).
    pub fn read_vec(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryFault> {
        self.check(addr, len as usize, false)?;
        let mut out = vec![0u8; len as usize];
        self.read_slow(addr, &mut out)?;
        Ok(out)
    }

    #[inline(never)]
    fn read_slow(&mut self, addr: u32, out: &mut [u8]) -> Result<(), MemoryFault> {
        self.check(addr, out.len(), false)?;
        let mut k = 0usize;
        while k < out.len() {
            let a = addr.wrapping_add(k as u32);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE - off).min(out.len() - k);
            let src = self.page_bytes(a >> PAGE_BITS);
            out[k..k + n].copy_from_slice(&src[off..off + n]);
            k += n;
        }
        self.fill_cache(addr >> PAGE_BITS);
        Ok(())
    }

    #[inline(never)]
    fn write_slow(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryFault> {
        self.check(addr, data.len(), true)?;
        let mut k = 0usize;
        while k < data.len() {
            let a = addr.wrapping_add(k as u32);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE - off).min(data.len() - k);
            let slot = self.back(a >> PAGE_BITS);
            if let Some(p) = self.slab.get_mut(slot as usize) {
                p[off..off + n].copy_from_slice(&data[k..k + n]);
            }
            k += n;
        }
        if !data.is_empty() {
            // the first page again, so the cache holds where the access started
            self.fill_cache(addr >> PAGE_BITS);
        }
        Ok(())
    }

    /// Sets the access of the pages covering `[start, start + len)` (rounded out to pages,
    /// capped at 2^32). `None` makes them inaccessible (their contents are dropped). With
    /// `zero`, they read as zero afterwards; otherwise existing contents are kept. Costs time
    /// in the number of runs and of written pages, never in the length of the range.
    pub fn set_access(&mut self, start: u32, len: u64, access: Option<Access>, zero: bool) {
        let s = start >> PAGE_BITS;
        let e = ((start as u64 + len).min(1 << 32) + PAGE_MASK as u64) >> PAGE_BITS;
        if len == 0 || e <= s as u64 {
            return;
        }
        self.set_pages(s, e as u32, access, zero);
    }

    /// [`Memory::set_access`] on page numbers `[s, e)`, `s < e ≤ 2^20`.
    fn set_pages(&mut self, s: u32, e: u32, access: Option<Access>, zero: bool) {
        let mut runs = Vec::with_capacity(self.runs.len() + 2);
        for r in self.runs.iter().filter(|r| r.start < s) {
            runs.push(Run {
                end: r.end.min(s),
                ..*r
            });
        }
        if let Some(access) = access {
            runs.push(Run {
                start: s,
                end: e,
                access,
            });
        }
        for r in self.runs.iter().filter(|r| r.end > e) {
            runs.push(Run {
                start: r.start.max(e),
                ..*r
            });
        }
        runs.dedup_by(|r, l| {
            let merge = l.end == r.start && l.access == r.access;
            if merge {
                l.end = r.end;
            }
            merge
        });
        self.runs = runs;
        if access.is_none() || zero {
            self.drop_pages(s, e);
        }
        self.cache = [NO_ENTRY; CACHE_WAYS];
    }

    /// Releases the contents of the written pages in `[s, e)`.
    fn drop_pages(&mut self, s: u32, e: u32) {
        if ((e - s) as usize) < self.slots.len() {
            for p in s..e {
                if let Some(slot) = self.slots.remove(&p) {
                    self.free.push(slot);
                }
            }
        } else {
            let free = &mut self.free;
            self.slots.retain(|&p, &mut slot| {
                let keep = p < s || p >= e;
                if !keep {
                    free.push(slot);
                }
                keep
            });
        }
    }

    /// `sbrk` (GP appendix A, instruction table, opcode 101). With `size = 0` returns the
    /// heap pointer. Otherwise returns the old pointer `x`, makes writable the pages from
    /// `x`'s page boundary up to `x + size` and advances the pointer to `x + size`. Returns 0
    /// and changes nothing if `x + size` passes 2^32 or any of those pages is already
    /// accessible (the heap has met the stack, the arguments or other mapped memory).
    ///
    /// The GP defines the result as the least `x ≥ h` (`h` the heap base of the standard
    /// layout, GP (A.42), or 0 without it) with `N_{x...+ω_A} ⊄ V_μ` and
    /// `N_{x...+ω_A} ⊆ V*_μ'`: new memory, not memory already readable, made writable. Taken
    /// literally that has no solution for `ω_A = 0` (the empty range is inside any `V_μ`)
    /// and lets the range overlap readable pages; we follow the reading the conformance
    /// traces adopted (a byte-granular heap pointer starting at the end of the initial heap,
    /// `jam-test-vectors/traces/README.md`) and the GP's requirement that the new range is
    /// memory that was not accessible: the heap never grows over the stack or the read-only
    /// argument zone (remapping them writable would change memory the GP leaves alone).
    ///
    /// polkavm 0.30 differs in two ways: it returns the *new* heap top, and it refuses growth
    /// past the guard zone below the stack (`max_heap_size`: heap base to one `Z_Z` zone
    /// under the stack). The GP has neither: the zone between heap and stack is inaccessible,
    /// so the heap may grow up to the stack's first page; we follow the GP.
    pub fn sbrk(&mut self, size: u64) -> u64 {
        let old = self.heap_top;
        if size == 0 {
            return old;
        }
        let new = match old.checked_add(size) {
            Some(n) if n <= 1 << 32 => n,
            _ => return 0,
        };
        let first = old.div_ceil(PAGE_SIZE as u64);
        let end = new.div_ceil(PAGE_SIZE as u64);
        if end > first {
            let (first, end) = (first as u32, end as u32);
            // any accessible page in [first, end)?
            let i = self.runs.partition_point(|r| r.end <= first);
            if self.runs.get(i).is_some_and(|r| r.start < end) {
                return 0;
            }
            self.set_pages(first, end, Some(Access::ReadWrite), true);
        }
        self.heap_top = new;
        old
    }

    /// The accessible pages as `(address, length, access)` runs, in address order.
    pub fn regions(&self) -> impl Iterator<Item = (u32, u64, Access)> + '_ {
        self.runs.iter().map(|r| {
            (
                r.start << PAGE_BITS,
                ((r.end - r.start) as u64) << PAGE_BITS,
                r.access,
            )
        })
    }

    /// The pages that have been written (every other accessible byte reads as zero), as
    /// `(page address, contents)`, in no particular order.
    pub fn written_pages(&self) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        self.slots.iter().map(|(&p, &s)| {
            (
                p << PAGE_BITS,
                self.slab.get(s as usize).map_or(&ZERO_PAGE[..], |b| &b[..]),
            )
        })
    }

    /// The number of pages backed by memory (written at some point and still accessible).
    pub fn written_page_count(&self) -> usize {
        self.slots.len()
    }
}

const _: () = assert!(PAGES == 1 << 20 && (CACHE_WAYS as u32).is_power_of_two());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_store_and_faults() {
        let mut m = Memory::new();
        m.set_access(0x20000, 4096, Some(Access::ReadWrite), true);
        m.store::<4>(0x20010, [1, 2, 3, 4]).unwrap();
        assert_eq!(m.load::<2>(0x20011).unwrap(), [2, 3]);
        assert_eq!(m.load::<1>(0x30000), Err(MemoryFault::PageFault(0x30000)));
        assert_eq!(m.load::<4>(0x20ffe), Err(MemoryFault::PageFault(0x21000)));
        assert_eq!(m.load::<1>(0x100), Err(MemoryFault::Panic));
        m.set_access(0x20000, 4096, Some(Access::ReadOnly), false);
        assert_eq!(m.load::<1>(0x20010).unwrap(), [1]);
        assert_eq!(
            m.store::<1>(0x20010, [9]),
            Err(MemoryFault::PageFault(0x20000))
        );
    }

    #[test]
    fn cross_region_access_and_wrap() {
        let mut m = Memory::new();
        m.set_access(0x20000, 4096, Some(Access::ReadWrite), true);
        m.set_access(0x21000, 4096, Some(Access::ReadOnly), true);
        m.store::<2>(0x20fff, [1, 2]).unwrap_err();
        assert_eq!(m.load::<2>(0x20fff).unwrap(), [0, 0]);
        m.set_access(0xffff_f000, 4096, Some(Access::ReadWrite), true);
        assert_eq!(m.load::<2>(0xffff_ffff), Err(MemoryFault::Panic));
    }

    #[test]
    fn reads_of_unwritten_pages_allocate_nothing() {
        let mut m = Memory::new();
        m.set_access(0x10000, 1 << 31, Some(Access::ReadWrite), true);
        assert_eq!(m.load::<8>(0x7000_0000).unwrap(), [0; 8]);
        assert_eq!(m.written_page_count(), 0);
        // a store after a cached zero-page load must not write the shared zero page
        m.store::<1>(0x7000_0001, [7]).unwrap();
        assert_eq!(m.load::<2>(0x7000_0000).unwrap(), [0, 7]);
        assert_eq!(m.load::<1>(0x7000_1001).unwrap(), [0]);
        assert_eq!(m.written_page_count(), 1);
        // zeroing drops contents
        m.set_access(0x7000_0000, 1, Some(Access::ReadWrite), true);
        assert_eq!(m.load::<2>(0x7000_0000).unwrap(), [0, 0]);
        assert_eq!(m.written_page_count(), 0);
    }

    #[test]
    fn equality_ignores_representation() {
        let mut a = Memory::new();
        a.set_access(0x20000, 8192, Some(Access::ReadWrite), true);
        let mut b = a.clone();
        b.store::<1>(0x20000, [0]).unwrap();
        assert_eq!(a, b);
        b.store::<1>(0x21000, [1]).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn sbrk_grows_heap() {
        let mut m = Memory::new();
        m.heap_top = 0x20000;
        assert_eq!(m.sbrk(0), 0x20000);
        assert_eq!(m.sbrk(10), 0x20000);
        assert!(m.is_writable(0x20000, 4096));
        assert_eq!(m.sbrk(4096), 0x2000a);
        assert!(m.is_writable(0x21000, 10));
        assert_eq!(m.sbrk(0), 0x2100a);
    }

    #[test]
    fn sbrk_stops_at_mapped_memory_and_the_top() {
        let mut m = Memory::new();
        m.heap_top = 0x20000;
        m.set_access(0x40000, 4096, Some(Access::ReadOnly), true);
        assert_eq!(m.sbrk(0x20000), 0x20000); // up to the mapped page: fine
        assert_eq!(m.sbrk(1), 0); // into it: refused, nothing changes
        assert_eq!(m.access_of(0x40000), Some(Access::ReadOnly));
        assert_eq!(m.sbrk(0), 0x40000);
        let mut m = Memory::new();
        m.heap_top = 0x20000;
        assert_eq!(m.sbrk((1 << 32) - 0x20000), 0x20000);
        assert_eq!(m.sbrk(0), 1 << 32);
        assert_eq!(m.sbrk(1), 0);
        assert!(m.is_writable(0xffff_f000, 4096));
    }
}
