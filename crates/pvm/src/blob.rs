//! Program blobs: the GP `deblob` format (A.2) and the standard program format of `Y`
//! (appendix A, "Standard Program Initialization", GP (A.37)–(A.43)), optionally behind the service
//! code's metadata prefix (GP 9.4: the code preimage is `E(↕m, c)`).

use marmalade_codec::{decode_natural, Reader, SeqLens};

/// `Z_Z`: the standard initialisation's major-zone size (GP (A.38)).
pub const ZONE_SIZE: u32 = 1 << 16;
/// `Z_I`: the maximum argument size of the standard initialisation (GP (A.38)).
pub const INPUT_SIZE: u32 = 1 << 24;
/// `Z_P`: the PVM page size.
pub const PAGE_SIZE: u32 = 1 << 12;

/// Why a blob is not a valid program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// A length or number field could not be decoded.
    #[error("malformed {field}: {source}")]
    Codec {
        /// The field being read.
        field: &'static str,
        /// The underlying decoding error.
        source: marmalade_codec::Error,
    },
    /// A declared length exceeds the bytes that follow it.
    #[error("{field} declares {declared} bytes but only {available} remain")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// The declared size.
        declared: u64,
        /// The bytes left.
        available: usize,
    },
    /// Bytes left over after the last field (GP `deblob` and `Y` require an exact encoding).
    #[error("{0} trailing bytes after the program")]
    TrailingBytes(usize),
    /// The opcode bitmask has set padding bits beyond the code length.
    #[error("opcode bitmask padding bits are not zero")]
    BitmaskPadding,
    /// A jump-table entry does not fit a 64-bit register.
    #[error("jump-table entry {0} does not fit in 64 bits")]
    JumpEntryTooLarge(usize),
    /// The code is larger than the 32-bit program counter can address.
    #[error("code length {0} exceeds 2^32")]
    CodeTooLarge(u64),
    /// The memory layout of `Y` does not fit the 32-bit address space (GP (A.38), last condition).
    #[error("standard program layout does not fit in the 32-bit address space")]
    LayoutTooLarge,
    /// The argument data is longer than `Z_I`.
    #[error("argument data of {0} bytes exceeds Z_I = 2^24")]
    ArgumentsTooLarge(usize),
}

fn codec(field: &'static str) -> impl Fn(marmalade_codec::Error) -> BlobError {
    move |source| BlobError::Codec { field, source }
}

fn take<'a>(r: &mut Reader<'a>, n: u64, field: &'static str) -> Result<&'a [u8], BlobError> {
    let available = r.remaining();
    if n > available as u64 {
        return Err(BlobError::Truncated {
            field,
            declared: n,
            available,
        });
    }
    r.take(n as usize).map_err(codec(field))
}

/// The three parts of a GP program blob: `deblob(p) = (c, k, j)` (GP (A.2)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgramCode {
    /// `c`: the instruction data.
    pub code: Vec<u8>,
    /// `k`: the opcode bitmask, one bool per byte of `c`.
    pub bitmask: Vec<bool>,
    /// `j`: the dynamic jump table (code indices).
    pub jump_table: Vec<u64>,
    /// When the jump table has entry size `z = 0` its entries are all zero and are not stored:
    /// this is their count (otherwise `jump_table.len()`). Avoids allocating for a huge `|j|`
    /// that costs no input bytes.
    pub jump_table_len: u64,
}

impl ProgramCode {
    /// `deblob` (GP (A.2)): `p = E(|j|) ⌢ E_1(z) ⌢ E(|c|) ⌢ E_z(j) ⌢ E(c) ⌢ E(k)`, `|k| = |c|`.
    pub fn deblob(blob: &[u8]) -> Result<ProgramCode, BlobError> {
        let mut r = Reader::new(blob, SeqLens::TINY);
        let jump_len = decode_natural(&mut r).map_err(codec("jump-table length"))?;
        let z = r.byte().map_err(codec("jump-table entry size"))? as usize;
        let code_len = decode_natural(&mut r).map_err(codec("code length"))?;
        if code_len > u32::MAX as u64 {
            return Err(BlobError::CodeTooLarge(code_len));
        }
        let mut jump_table = Vec::new();
        if z > 0 {
            let bytes = jump_len.saturating_mul(z as u64);
            let table = take(&mut r, bytes, "jump table")?;
            jump_table.reserve_exact(jump_len as usize);
            for (i, entry) in table.chunks_exact(z).enumerate() {
                if entry.len() > 8 && entry[8..].iter().any(|&b| b != 0) {
                    return Err(BlobError::JumpEntryTooLarge(i));
                }
                let mut le = [0u8; 8];
                let n = entry.len().min(8);
                le[..n].copy_from_slice(&entry[..n]);
                jump_table.push(u64::from_le_bytes(le));
            }
        }
        let code = take(&mut r, code_len, "code")?.to_vec();
        let mask_bytes = take(&mut r, code_len.div_ceil(8), "opcode bitmask")?;
        r.finish()
            .map_err(|_| BlobError::TrailingBytes(r.remaining()))?;
        let mut bitmask = Vec::with_capacity(code.len());
        for i in 0..code.len() {
            bitmask.push(mask_bytes[i / 8] >> (i % 8) & 1 == 1);
        }
        if code.len() % 8 != 0 {
            let last = mask_bytes[mask_bytes.len() - 1];
            if last >> (code.len() % 8) != 0 {
                return Err(BlobError::BitmaskPadding);
            }
        }
        Ok(ProgramCode {
            code,
            bitmask,
            jump_table,
            jump_table_len: jump_len,
        })
    }

    /// Encodes back into the `deblob` format, with the smallest entry size that fits.
    pub fn to_blob(&self) -> Vec<u8> {
        let max = self.jump_table.iter().copied().max().unwrap_or(0);
        let z = if self.jump_table.is_empty() {
            0
        } else {
            (8 - max.leading_zeros() as usize / 8).max(1)
        };
        // A z = 0 table keeps only its count: its entries are all zero and not stored.
        let count = if self.jump_table.is_empty() {
            self.jump_table_len
        } else {
            self.jump_table.len() as u64
        };
        let mut out = Vec::new();
        marmalade_codec::encode_natural(count, &mut out);
        out.push(z as u8);
        marmalade_codec::encode_natural(self.code.len() as u64, &mut out);
        for &e in &self.jump_table {
            out.extend_from_slice(&e.to_le_bytes()[..z]);
        }
        out.extend_from_slice(&self.code);
        let mut mask = vec![0u8; self.code.len().div_ceil(8)];
        for (i, &b) in self.bitmask.iter().enumerate() {
            if b {
                mask[i / 8] |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&mask);
        out
    }
}

/// `P(x)`: `x` rounded up to a page boundary (GP (A.38)).
pub const fn page_align(x: u64) -> u64 {
    x.div_ceil(PAGE_SIZE as u64) * PAGE_SIZE as u64
}

/// `Z(x)`: `x` rounded up to a major-zone boundary (GP (A.38)).
pub const fn zone_align(x: u64) -> u64 {
    x.div_ceil(ZONE_SIZE as u64) * ZONE_SIZE as u64
}

/// A program in the standard format of `Y` (GP (A.38)):
/// `E_3(|o|) ⌢ E_3(|w|) ⌢ E_2(z) ⌢ E_3(s) ⌢ o ⌢ w ⌢ E_4(|c|) ⌢ c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardProgram<'a> {
    /// `o`: read-only data.
    pub ro_data: &'a [u8],
    /// `w`: read-write data.
    pub rw_data: &'a [u8],
    /// `z`: extra heap pages after the read-write data.
    pub heap_pages: u16,
    /// `s`: stack size in bytes.
    pub stack_size: u32,
    /// `c`: the program blob in `deblob` format.
    pub code: &'a [u8],
}

fn fixed(r: &mut Reader<'_>, n: usize, field: &'static str) -> Result<u32, BlobError> {
    let bytes = r.take(n).map_err(codec(field))?;
    Ok(bytes
        .iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | b as u32))
}

impl<'a> StandardProgram<'a> {
    /// Splits a standard program blob and checks its layout fits (GP (A.38)).
    pub fn parse(blob: &'a [u8]) -> Result<Self, BlobError> {
        let mut r = Reader::new(blob, SeqLens::TINY);
        let o_len = fixed(&mut r, 3, "read-only data length")?;
        let w_len = fixed(&mut r, 3, "read-write data length")?;
        let heap_pages = fixed(&mut r, 2, "heap pages")? as u16;
        let stack_size = fixed(&mut r, 3, "stack size")?;
        let ro_data = take(&mut r, o_len as u64, "read-only data")?;
        let rw_data = take(&mut r, w_len as u64, "read-write data")?;
        let c_len = fixed(&mut r, 4, "code length")?;
        let code = take(&mut r, c_len as u64, "code")?;
        r.finish()
            .map_err(|_| BlobError::TrailingBytes(r.remaining()))?;
        let total = 5 * ZONE_SIZE as u64
            + zone_align(o_len as u64)
            + zone_align(w_len as u64 + heap_pages as u64 * PAGE_SIZE as u64)
            + zone_align(stack_size as u64)
            + INPUT_SIZE as u64;
        if total > 1 << 32 {
            return Err(BlobError::LayoutTooLarge);
        }
        Ok(StandardProgram {
            ro_data,
            rw_data,
            heap_pages,
            stack_size,
            code,
        })
    }

    /// Parses service code with its metadata prefix: the preimage is `E(↕m) ⌢ c` (GP (9.4));
    /// returns the metadata and the standard program.
    pub fn parse_service_code(preimage: &'a [u8]) -> Result<(&'a [u8], Self), BlobError> {
        let mut r = Reader::new(preimage, SeqLens::TINY);
        let m_len = decode_natural(&mut r).map_err(codec("metadata length"))?;
        let metadata = take(&mut r, m_len, "metadata")?;
        Ok((metadata, Self::parse(r.rest())?))
    }

    /// The start of the read-write data and heap: `2 Z_Z + Z(|o|)` (GP (A.42), the GP's `h`).
    pub fn heap_base(&self) -> u32 {
        (2 * ZONE_SIZE as u64 + zone_align(self.ro_data.len() as u64)) as u32
    }

    /// Encodes the program back into the standard format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.ro_data.len() as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&(self.rw_data.len() as u32).to_le_bytes()[..3]);
        out.extend_from_slice(&self.heap_pages.to_le_bytes());
        out.extend_from_slice(&self.stack_size.to_le_bytes()[..3]);
        out.extend_from_slice(self.ro_data);
        out.extend_from_slice(self.rw_data);
        out.extend_from_slice(&(self.code.len() as u32).to_le_bytes());
        out.extend_from_slice(self.code);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deblob_roundtrip() {
        let pc = ProgramCode {
            code: vec![1, 0, 51, 7],
            bitmask: vec![true, true, true, false],
            jump_table: vec![0, 2],
            jump_table_len: 2,
        };
        let blob = pc.to_blob();
        assert_eq!(ProgramCode::deblob(&blob).unwrap(), pc);
    }

    /// Found by the `pvm` fuzz target: a jump table of 16 zero-width entries lost its entries
    /// on re-encoding (`to_blob` wrote `|j| = 0`), which changes which `djump`s are valid.
    #[test]
    fn zero_width_jump_table_roundtrip() {
        let blob = [16, 0, 6, 30, 3, 0, 0, 2, 18, 1];
        let pc = ProgramCode::deblob(&blob).unwrap();
        assert_eq!((pc.jump_table.len(), pc.jump_table_len), (0, 16));
        assert_eq!(pc.to_blob(), blob);
        assert_eq!(ProgramCode::deblob(&pc.to_blob()).unwrap(), pc);
    }

    #[test]
    fn deblob_rejects_bad_input() {
        assert!(ProgramCode::deblob(&[]).is_err());
        assert!(matches!(
            ProgramCode::deblob(&[0, 0, 1, 0, 1, 9]),
            Err(BlobError::TrailingBytes(1))
        ));
        assert!(matches!(
            ProgramCode::deblob(&[0, 0, 1, 0, 3]),
            Err(BlobError::BitmaskPadding)
        ));
        // a huge jump table with z = 0 costs nothing and allocates nothing
        let mut blob = vec![0xff; 9];
        blob.extend_from_slice(&[0, 1, 0, 1]);
        let pc = ProgramCode::deblob(&blob).unwrap();
        assert_eq!(pc.jump_table_len, u64::MAX);
        assert!(pc.jump_table.is_empty());
    }

    #[test]
    fn standard_program_parse() {
        let sp = StandardProgram {
            ro_data: &[1, 2],
            rw_data: &[3],
            heap_pages: 2,
            stack_size: 4096,
            code: &[0, 0, 1, 0, 1],
        };
        let bytes = sp.to_bytes();
        assert_eq!(StandardProgram::parse(&bytes).unwrap(), sp);
        let mut svc = vec![2, 9, 9];
        svc.extend_from_slice(&bytes);
        let (m, p) = StandardProgram::parse_service_code(&svc).unwrap();
        assert_eq!(m, &[9, 9]);
        assert_eq!(p, sp);
    }
}
