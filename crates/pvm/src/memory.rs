//! PVM RAM (GP 4.x `M`, A.5 access rules): 2^32 bytes in pages of `Z_P` octets, each page
//! inaccessible, read-only or writable.
//!
//! Accessible memory is kept as a short address-ordered list of contiguous regions of uniform
//! access. A region's bytes are materialised lazily (a prefix `data` of its length, the rest
//! reads as zero), so a huge heap or stack costs memory only once touched. The fast path of a
//! load or store is a subtraction, a bounds check on that prefix and a copy.

use crate::blob::PAGE_SIZE;

/// The access a page grants (GP's `A` of `M`: `R`, `W`, or none when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Readable only (`R`).
    ReadOnly,
    /// Readable and writable (`W`).
    ReadWrite,
}

/// Why a memory access could not complete (GP eq. A.8, `ε^μ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryFault {
    /// The lowest inaccessible address is below `2^16`: the machine panics.
    Panic,
    /// The page address of the lowest inaccessible address.
    PageFault(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Region {
    /// First address (page aligned).
    start: u32,
    /// One past the last address (page aligned, at most 2^32).
    end: u64,
    writable: bool,
    /// The materialised prefix; bytes beyond read as zero.
    data: Vec<u8>,
}

impl Region {
    fn len(&self) -> u64 {
        self.end - self.start as u64
    }

    fn contains(&self, addr: u32) -> bool {
        addr >= self.start && (addr as u64) < self.end
    }

    fn access(&self) -> Access {
        if self.writable {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        }
    }

    /// Materialises at least `upto` bytes (capped at the region length).
    fn materialise(&mut self, upto: u64) {
        let len = self.len();
        if (self.data.len() as u64) < upto {
            let want = upto.max(self.data.len() as u64 * 2).max(PAGE_SIZE as u64);
            let want = crate::blob::page_align(want).min(len);
            self.data.resize(want as usize, 0);
        }
    }
}

/// The RAM of one PVM instance, plus the heap pointer that `sbrk` advances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    regions: Vec<Region>,
    /// The current heap pointer for `sbrk` (see [`Memory::sbrk`]).
    pub heap_top: u32,
}

#[inline]
fn fault_for(addr: u32) -> MemoryFault {
    if addr < 1 << 16 {
        MemoryFault::Panic
    } else {
        MemoryFault::PageFault(addr & !(PAGE_SIZE - 1))
    }
}

impl Memory {
    /// An empty memory: every page inaccessible.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `N` bytes at `addr` (wrapping modulo 2^32), or the fault of eq. A.8.
    #[inline(always)]
    pub fn load<const N: usize>(&mut self, addr: u32) -> Result<[u8; N], MemoryFault> {
        for r in &self.regions {
            let off = addr.wrapping_sub(r.start) as usize;
            if let Some(bytes) = r.data.get(off..off.wrapping_add(N)) {
                let mut out = [0u8; N];
                out.copy_from_slice(bytes);
                return Ok(out);
            }
        }
        let mut out = [0u8; N];
        self.read_slow(addr, &mut out)?;
        Ok(out)
    }

    /// Writes `N` bytes at `addr` (wrapping modulo 2^32), or the fault of eq. A.8.
    #[inline(always)]
    pub fn store<const N: usize>(&mut self, addr: u32, value: [u8; N]) -> Result<(), MemoryFault> {
        for r in &mut self.regions {
            let off = addr.wrapping_sub(r.start) as usize;
            if r.writable {
                if let Some(bytes) = r.data.get_mut(off..off.wrapping_add(N)) {
                    bytes.copy_from_slice(&value);
                    return Ok(());
                }
            }
        }
        self.write_slow(addr, &value)
    }

    fn region_of(&self, addr: u32) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.end <= addr as u64);
        (i < self.regions.len() && self.regions[i].contains(addr)).then_some(i)
    }

    /// Checks every byte of `[addr, addr + len)` (mod 2^32); the lowest failing address gives
    /// the fault (eq. A.8).
    fn check(&self, addr: u32, len: usize, write: bool) -> Result<(), MemoryFault> {
        let mut lowest: Option<u32> = None;
        let mut k = 0usize;
        while k < len {
            let a = addr.wrapping_add(k as u32);
            match self.region_of(a) {
                Some(i) if !write || self.regions[i].writable => {
                    // skip to the end of the region (or of the range)
                    let r = &self.regions[i];
                    let step = (r.end - a as u64).min((len - k) as u64) as usize;
                    k += step.max(1);
                }
                _ => {
                    lowest = Some(lowest.map_or(a, |l| l.min(a)));
                    // the next page may be accessible; min over pages suffices
                    let next_page = (a as u64 & !(PAGE_SIZE as u64 - 1)) + PAGE_SIZE as u64;
                    let step = (next_page - a as u64).min((len - k) as u64) as usize;
                    k += step.max(1);
                }
            }
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
        self.region_of(addr).map(|i| self.regions[i].access())
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
        self.copy(addr, out.len(), |region_bytes, buf_range| {
            out[buf_range].copy_from_slice(region_bytes)
        });
        Ok(())
    }

    #[inline(never)]
    fn write_slow(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryFault> {
        self.check(addr, data.len(), true)?;
        self.copy_mut(addr, data.len(), |region_bytes, buf_range| {
            region_bytes.copy_from_slice(&data[buf_range])
        });
        Ok(())
    }

    /// Visits the accessible pieces of `[addr, addr+len)` (already checked), materialising.
    fn copy(&mut self, addr: u32, len: usize, mut f: impl FnMut(&[u8], std::ops::Range<usize>)) {
        self.copy_mut(addr, len, |bytes, range| f(bytes, range))
    }

    fn copy_mut(
        &mut self,
        addr: u32,
        len: usize,
        mut f: impl FnMut(&mut [u8], std::ops::Range<usize>),
    ) {
        let mut k = 0usize;
        while k < len {
            let a = addr.wrapping_add(k as u32);
            let Some(i) = self.region_of(a) else {
                return; // unreachable after a successful check
            };
            let r = &mut self.regions[i];
            let off = (a - r.start) as u64;
            let n = (r.end - a as u64).min((len - k) as u64);
            r.materialise(off + n);
            f(
                &mut r.data[off as usize..(off + n) as usize],
                k..k + n as usize,
            );
            k += n as usize;
        }
    }

    /// Sets the access of the pages covering `[start, start + len)` (rounded out to pages).
    /// `None` makes them inaccessible (their contents are dropped). With `zero`, newly
    /// accessible and re-accessed pages read as zero; otherwise existing contents are kept.
    pub fn set_access(&mut self, start: u32, len: u64, access: Option<Access>, zero: bool) {
        let page = PAGE_SIZE as u64;
        let s = start as u64 / page * page;
        let e = crate::blob::page_align((start as u64 + len).min(1 << 32));
        if e <= s {
            return;
        }
        self.split_at(s);
        self.split_at(e);
        // take out the regions inside [s, e)
        let first = self.regions.partition_point(|r| r.end <= s);
        let last = self.regions.partition_point(|r| (r.start as u64) < e);
        let old: Vec<Region> = self.regions.drain(first..last).collect();
        if let Some(access) = access {
            let mut data = Vec::new();
            if !zero {
                for r in &old {
                    if !r.data.is_empty() {
                        let off = (r.start as u64 - s) as usize;
                        data.resize(off, 0);
                        data.extend_from_slice(&r.data);
                    }
                }
            }
            self.regions.insert(
                first,
                Region {
                    start: s as u32,
                    end: e,
                    writable: access == Access::ReadWrite,
                    data,
                },
            );
        }
        self.merge();
    }

    fn split_at(&mut self, at: u64) {
        if at >= 1 << 32 {
            return;
        }
        let Some(i) = self.region_of(at as u32) else {
            return;
        };
        let r = &mut self.regions[i];
        if r.start as u64 == at {
            return;
        }
        let off = (at - r.start as u64) as usize;
        let tail = if r.data.len() > off {
            r.data.split_off(off)
        } else {
            Vec::new()
        };
        let right = Region {
            start: at as u32,
            end: r.end,
            writable: r.writable,
            data: tail,
        };
        r.end = at;
        self.regions.insert(i + 1, right);
    }

    fn merge(&mut self) {
        let mut i = 0;
        while i + 1 < self.regions.len() {
            let (l, r) = (&self.regions[i], &self.regions[i + 1]);
            let mergeable = l.end == r.start as u64
                && l.writable == r.writable
                && (r.data.is_empty() || l.data.len() as u64 == l.len());
            if mergeable {
                let right = self.regions.remove(i + 1);
                let l = &mut self.regions[i];
                l.end = right.end;
                l.data.extend_from_slice(&right.data);
            } else {
                i += 1;
            }
        }
    }

    /// `sbrk` as the traces README describes: with `size = 0` returns the heap pointer;
    /// otherwise returns the old pointer, advances it by `size` and makes writable the pages
    /// from the old pointer's page boundary up to the new pointer. Returns 0 (and changes
    /// nothing) if the heap would pass 2^32.
    pub fn sbrk(&mut self, size: u64) -> u64 {
        let old = self.heap_top as u64;
        if size == 0 {
            return old;
        }
        let new = match old.checked_add(size) {
            Some(n) if n <= 1 << 32 => n,
            _ => return 0,
        };
        let boundary = crate::blob::page_align(old);
        if new > boundary {
            let end = crate::blob::page_align(new);
            self.set_access(
                boundary as u32,
                end - boundary,
                Some(Access::ReadWrite),
                false,
            );
        }
        self.heap_top = new.min(u32::MAX as u64) as u32;
        old
    }

    /// The accessible pages as `(address, length, access)` runs, in address order.
    pub fn regions(&self) -> impl Iterator<Item = (u32, u64, Access)> + '_ {
        self.regions.iter().map(|r| (r.start, r.len(), r.access()))
    }

    /// The materialised bytes of the region starting at `start` (bytes beyond are zero).
    pub fn region_data(&self, start: u32) -> Option<&[u8]> {
        self.region_of(start)
            .filter(|&i| self.regions[i].start == start)
            .map(|i| &self.regions[i].data[..])
    }
}

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
}
