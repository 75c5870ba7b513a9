//! Reed-Solomon erasure coding for JAM data availability (GP appendix H).
//!
//! The code is systematic and works over `GF(2^16)` words (little-endian octet pairs, GP appendix H):
//! `K` data words are extended to `N` code words, and any `K` of them give the data back. The
//! Gray Paper fixes `K = 342`, `N = 1023` ([`ErasureParams::FULL`]); the tiny test configuration
//! uses `K = 2`, `N = 6` ([`ErasureParams::TINY`]).
//!
//! # Data layout (GP (H.4), `C_k`)
//!
//! A blob is zero-padded to a multiple of `2K` octets, so that each chunk holds
//! `k = ⌈|d| / 2K⌉` words (`2k` octets). Data chunk `i < K` is the contiguous slice
//! `d[2k·i .. 2k·(i+1)]`; word `p` of every chunk belongs to the `p`-th codeword, so recovery
//! chunk `j` holds, at word position `p`, the `j`-th recovery word of the `K` data words found at
//! position `p`. Recovery (GP (H.5), `R_k`) inverts this from any `K` distinct chunks.
//!
//! The field arithmetic is delegated to the `reed-solomon-simd` crate (the algorithm of
//! Lin, Han and Chung that GP H names), which stores a shard as 64-byte blocks of 32 low bytes
//! followed by 32 high bytes; this crate converts between that layout and the GP's interleaved
//! words, so a chunk here is byte-for-byte the GP chunk.
//!
//! # Reuse
//!
//! The free functions keep a per-thread encoder and decoder for small chunk sizes (segments and
//! batches of segments), so repeated calls do not re-allocate the codec's working space. Larger
//! blobs get a fresh codec per call (its working space is about `2^11` times the chunk size, too
//! much to keep per thread), and chunks of 8 KiB or more (blobs from about 2.7 MiB with the full
//! code) are split by word position across the rayon pool. Hold a [`Coder`] to reuse one codec
//! explicitly on one thread.
//!
//! [`encode_flat`] returns the chunks in one buffer ([`Chunks`]); [`encode`] gives `N` vectors.
//! Segments coded together ([`encode_segments`], [`reconstruct_segments`]) share one codec call:
//! recovery in particular has a fixed cost of about half a millisecond per call, so batching
//! segments recovered from the same chunk indices is much cheaper than one call each.

#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::cell::RefCell;

use rayon::prelude::*;
use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};

/// The size of an import/export segment in octets: `W_G = W_P · W_E = 6 · 684` (GP appendix I).
/// With the full code a segment chunk is `W_P = 6` words.
pub const SEGMENT_SIZE: usize = 4104;

/// Why encoding parameters or a reconstruction request are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The `(K, N)` pair is not a supported code (needs `1 <= K < N <= 65535`).
    #[error("unsupported erasure parameters: {data_shards} data shards of {total_shards}")]
    InvalidParams {
        /// `K`.
        data_shards: usize,
        /// `N`.
        total_shards: usize,
    },
    /// Fewer distinct chunks than `K` were given.
    #[error("too few chunks: need {needed}, got {got}")]
    TooFewChunks {
        /// `K`.
        needed: usize,
        /// Distinct chunks given.
        got: usize,
    },
    /// A chunk index is not below `N`.
    #[error("chunk index {index} out of range (N = {total_shards})")]
    IndexOutOfRange {
        /// The index given.
        index: usize,
        /// `N`.
        total_shards: usize,
    },
    /// Two chunks were given with the same index.
    #[error("chunk index {index} given twice")]
    DuplicateIndex {
        /// The repeated index.
        index: usize,
    },
    /// A chunk's size differs from the size implied by the original length.
    #[error("chunk {index} has {got} octets, expected {expected}")]
    ChunkSize {
        /// Index of the offending chunk.
        index: usize,
        /// `2·⌈len / 2K⌉`.
        expected: usize,
        /// Its actual size.
        got: usize,
    },
    /// The segment batch is malformed (segments of different lengths).
    #[error("invalid segment batch: {0}")]
    InvalidBatch(&'static str),
    /// The underlying Reed-Solomon codec refused the input (not expected once the checks above
    /// have passed).
    #[error("reed-solomon codec: {0}")]
    Codec(String),
}

impl From<reed_solomon_simd::Error> for Error {
    fn from(e: reed_solomon_simd::Error) -> Self {
        Error::Codec(e.to_string())
    }
}

/// The shape of the code: `K` data chunks extended to `N` chunks in total.
///
/// Construct with [`ErasureParams::new`], [`ErasureParams::for_validators`] or the
/// [`TINY`](ErasureParams::TINY) and [`FULL`](ErasureParams::FULL) constants; the fields are
/// private so that every value is a code the codec supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErasureParams {
    data_shards: usize,
    total_shards: usize,
}

impl ErasureParams {
    /// The Gray Paper's code: rate 342:1023 (GP H).
    pub const FULL: ErasureParams = ErasureParams {
        data_shards: 342,
        total_shards: 1023,
    };
    /// The tiny test configuration: 2 of 6.
    pub const TINY: ErasureParams = ErasureParams {
        data_shards: 2,
        total_shards: 6,
    };

    /// A code of `data_shards` (`K`) out of `total_shards` (`N`) chunks.
    pub fn new(data_shards: usize, total_shards: usize) -> Result<Self, Error> {
        let ok = data_shards >= 1
            && total_shards > data_shards
            && total_shards <= 65535
            && ReedSolomonEncoder::supports(data_shards, total_shards - data_shards);
        if ok {
            Ok(ErasureParams {
                data_shards,
                total_shards,
            })
        } else {
            Err(Error::InvalidParams {
                data_shards,
                total_shards,
            })
        }
    }

    /// The code of a chain with `validators` validators (one chunk each) whose segments split
    /// into `pieces_per_segment` words per chunk (the chain parameter `W_P`, "erasure-coded
    /// pieces in a segment": 6 for the full chain, 1026 for tiny): `K = W_G / (2·W_P)`, `N = V`.
    pub fn from_chain(validators: usize, pieces_per_segment: usize) -> Result<Self, Error> {
        // K data words per piece position: the segment must split exactly.
        let k = SEGMENT_SIZE
            .checked_div(2 * pieces_per_segment)
            .filter(|k| k * 2 * pieces_per_segment == SEGMENT_SIZE)
            .unwrap_or(0);
        Self::new(k, validators)
    }

    /// The code for one of the known configurations by validator count: 1023 gives
    /// [`FULL`](ErasureParams::FULL), 6 gives [`TINY`](ErasureParams::TINY). Other chains
    /// need [`from_chain`](ErasureParams::from_chain).
    pub fn for_validators(validators: usize) -> Result<Self, Error> {
        match validators {
            1023 => Ok(Self::FULL),
            6 => Ok(Self::TINY),
            _ => Err(Error::InvalidParams {
                data_shards: 0,
                total_shards: validators,
            }),
        }
    }

    /// `K`: the number of data chunks, and the number of chunks needed to reconstruct.
    #[inline]
    pub const fn data_shards(&self) -> usize {
        self.data_shards
    }

    /// `N`: the number of chunks produced.
    #[inline]
    pub const fn total_shards(&self) -> usize {
        self.total_shards
    }

    /// `N - K`: the number of recovery chunks.
    #[inline]
    pub const fn recovery_shards(&self) -> usize {
        self.total_shards - self.data_shards
    }

    /// The size in octets of each chunk for data of `data_len` octets: `2·⌈len / 2K⌉`.
    #[inline]
    pub const fn chunk_len(&self, data_len: usize) -> usize {
        2 * data_len.div_ceil(2 * self.data_shards)
    }

    /// The data length after zero-padding to a multiple of `2K` octets.
    #[inline]
    pub const fn padded_len(&self, data_len: usize) -> usize {
        self.chunk_len(data_len) * self.data_shards
    }
}

// ---------------------------------------------------------------------------------------------
// Layout conversion between GP chunks (interleaved little-endian words) and the codec's shards.

/// GP layout (`lo0 hi0 lo1 hi1 ...`) to the codec's layout (per 64-octet block: 32 low octets then
/// 32 high octets; a final partial block of `m` words: `m` low octets then `m` high octets).
fn to_codec_layout(src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    debug_assert_eq!(src.len() % 2, 0);
    let mut s = src.chunks_exact(64);
    let mut d = dst.chunks_exact_mut(64);
    for (sb, db) in (&mut s).zip(&mut d) {
        let sb: &[u8; 64] = sb.try_into().expect("64-octet block");
        let db: &mut [u8; 64] = db.try_into().expect("64-octet block");
        deinterleave_block(sb, db);
    }
    deinterleave(s.remainder(), d.into_remainder());
}

#[inline(always)]
fn deinterleave_block(src: &[u8; 64], dst: &mut [u8; 64]) {
    // As 16-bit words the split is a truncation and a shift, which vectorizes to pack
    // instructions even on baseline x86-64.
    let mut w = [0u16; 32];
    for (w, b) in w.iter_mut().zip(src.chunks_exact(2)) {
        *w = u16::from_le_bytes([b[0], b[1]]);
    }
    let (lo, hi) = dst.split_at_mut(32);
    for ((l, h), w) in lo.iter_mut().zip(hi.iter_mut()).zip(w) {
        *l = w as u8;
        *h = (w >> 8) as u8;
    }
}

#[inline(always)]
fn deinterleave(src: &[u8], dst: &mut [u8]) {
    let m = src.len() / 2;
    let (lo, hi) = dst.split_at_mut(m);
    for ((w, l), h) in src.chunks_exact(2).zip(lo.iter_mut()).zip(hi.iter_mut()) {
        *l = w[0];
        *h = w[1];
    }
}

/// The inverse of [`to_codec_layout`]. (The plain byte loop vectorizes to unpack instructions;
/// measured faster here than the 16-bit formulation that suits the other direction.)
fn from_codec_layout(src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len(), dst.len());
    let mut s = src.chunks_exact(64);
    let mut d = dst.chunks_exact_mut(64);
    for (sb, db) in (&mut s).zip(&mut d) {
        interleave(sb, db);
    }
    interleave(s.remainder(), d.into_remainder());
}

#[inline(always)]
fn interleave(src: &[u8], dst: &mut [u8]) {
    let m = src.len() / 2;
    let (lo, hi) = src.split_at(m);
    for ((w, l), h) in dst.chunks_exact_mut(2).zip(lo.iter()).zip(hi.iter()) {
        w[0] = *l;
        w[1] = *h;
    }
}

// ---------------------------------------------------------------------------------------------
// Chunk sets.

/// `N` chunks of equal size in one contiguous buffer (chunk `i` at `i·len .. (i+1)·len`).
///
/// The allocation-light form of an encoding: one buffer instead of `N` vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunks {
    buf: Vec<u8>,
    chunk_len: usize,
    count: usize,
}

impl Chunks {
    fn zeroed(count: usize, chunk_len: usize) -> Self {
        Chunks {
            buf: vec![0; count * chunk_len],
            chunk_len,
            count,
        }
    }

    /// The number of chunks (`N`).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no chunks.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The size of each chunk in octets.
    pub fn chunk_len(&self) -> usize {
        self.chunk_len
    }

    /// Chunk `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.count).then(|| &self.buf[i * self.chunk_len..(i + 1) * self.chunk_len])
    }

    /// The chunks in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.count).map(move |i| &self.buf[i * self.chunk_len..(i + 1) * self.chunk_len])
    }

    /// All chunks back to back.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The chunks as separate vectors.
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }

    /// Mutable views of every chunk.
    fn slices_mut(&mut self) -> Vec<&mut [u8]> {
        if self.chunk_len == 0 {
            return (0..self.count).map(|_| &mut [][..]).collect();
        }
        self.buf.chunks_exact_mut(self.chunk_len).collect()
    }
}

impl std::ops::Index<usize> for Chunks {
    type Output = [u8];
    fn index(&self, i: usize) -> &[u8] {
        self.get(i).expect("chunk index out of range")
    }
}

// ---------------------------------------------------------------------------------------------
// The codec.

/// A reusable encoder/decoder pair: keeps the codec's working space between calls.
///
/// Useful for a worker that encodes or recovers many large blobs (re-using the working space
/// saves its allocation and page faults: about a third of the time of a 12 MiB encode); for
/// segments the free functions already reuse a per-thread `Coder`. A `Coder` works on one
/// thread; the free functions split large blobs across threads instead.
#[derive(Default)]
pub struct Coder {
    encoder: Option<ReedSolomonEncoder>,
    decoder: Option<ReedSolomonDecoder>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Coder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coder")
            .field("encoder", &self.encoder.is_some())
            .field("decoder", &self.decoder.is_some())
            .finish()
    }
}

/// `n` zeroed vectors of `len` octets (each a fresh zeroed allocation, not a copy).
fn zeroed_vecs(n: usize, len: usize) -> Vec<Vec<u8>> {
    (0..n).map(|_| vec![0u8; len]).collect()
}

/// Copies `data`, zero-padded, into the `K` data chunks.
fn fill_data_chunks(data: &[u8], chunk: usize, out: &mut [&mut [u8]]) {
    for (i, c) in out.iter_mut().enumerate() {
        let start = (i * chunk).min(data.len());
        let end = ((i + 1) * chunk).min(data.len());
        c[..end - start].copy_from_slice(&data[start..end]);
        c[end - start..].fill(0);
    }
}

/// Checks a reconstruction request; returns the chunks by index.
fn validate<T: AsRef<[u8]>>(
    params: ErasureParams,
    chunks: &[(usize, T)],
    chunk: usize,
) -> Result<Vec<Option<&[u8]>>, Error> {
    let mut have: Vec<Option<&[u8]>> = vec![None; params.total_shards];
    let mut distinct = 0usize;
    for (index, c) in chunks {
        let (index, c) = (*index, c.as_ref());
        if index >= params.total_shards {
            return Err(Error::IndexOutOfRange {
                index,
                total_shards: params.total_shards,
            });
        }
        if c.len() != chunk {
            return Err(Error::ChunkSize {
                index,
                expected: chunk,
                got: c.len(),
            });
        }
        if have[index].replace(c).is_some() {
            return Err(Error::DuplicateIndex { index });
        }
        distinct += 1;
    }
    if distinct < params.data_shards {
        return Err(Error::TooFewChunks {
            needed: params.data_shards,
            got: distinct,
        });
    }
    Ok(have)
}

impl Coder {
    /// An empty coder; working space is allocated on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn encoder(
        &mut self,
        params: ErasureParams,
        shard_bytes: usize,
    ) -> Result<&mut ReedSolomonEncoder, Error> {
        let (k, r) = (params.data_shards, params.recovery_shards());
        match &mut self.encoder {
            Some(e) => e.reset(k, r, shard_bytes)?,
            slot @ None => *slot = Some(ReedSolomonEncoder::new(k, r, shard_bytes)?),
        }
        Ok(self.encoder.as_mut().expect("set above"))
    }

    fn decoder(
        &mut self,
        params: ErasureParams,
        shard_bytes: usize,
    ) -> Result<&mut ReedSolomonDecoder, Error> {
        let (k, r) = (params.data_shards, params.recovery_shards());
        match &mut self.decoder {
            Some(d) => d.reset(k, r, shard_bytes)?,
            slot @ None => *slot = Some(ReedSolomonDecoder::new(k, r, shard_bytes)?),
        }
        Ok(self.decoder.as_mut().expect("set above"))
    }

    /// The core of encoding: `bufs` are the `N` chunks (all of the same non-zero even size),
    /// the first `K` holding data in the GP layout; fills in the `N - K` recovery chunks.
    fn encode_core(&mut self, params: ErasureParams, bufs: &mut [&mut [u8]]) {
        let chunk = bufs[0].len();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(chunk, 0);
        let encoder = self
            .encoder(params, chunk)
            .expect("valid params and a non-zero even chunk size");
        let (data, recovery) = bufs.split_at_mut(params.data_shards);
        for c in data.iter() {
            to_codec_layout(c, &mut scratch);
            encoder
                .add_original_shard(&scratch)
                .expect("K shards of the configured size");
        }
        let result = encoder.encode().expect("all K original shards added");
        for (rec, out) in result.recovery_iter().zip(recovery.iter_mut()) {
            from_codec_layout(rec, out);
        }
        drop(result);
        self.scratch = scratch;
    }

    /// The core of recovery: from the chunks in `have` (indexed `0..N`, at least `K` present,
    /// all of one non-zero even size) writes the `K` data chunks into `out` in the GP layout.
    fn decode_core(
        &mut self,
        params: ErasureParams,
        have: &[Option<&[u8]>],
        out: &mut [&mut [u8]],
    ) -> Result<(), Error> {
        let k = params.data_shards;
        let chunk = out[0].len();
        let data_present = have[..k].iter().filter(|c| c.is_some()).count();
        for (o, c) in out.iter_mut().zip(&have[..k]) {
            if let Some(c) = c {
                o.copy_from_slice(c);
            }
        }
        if data_present == k {
            return Ok(());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(chunk, 0);
        let decoder = self.decoder(params, chunk)?;
        for (i, c) in have[..k].iter().enumerate() {
            if let Some(c) = c {
                to_codec_layout(c, &mut scratch);
                decoder.add_original_shard(i, &scratch)?;
            }
        }
        // Only K chunks in all: more would add copying but no information.
        let recovery = have[k..]
            .iter()
            .enumerate()
            .filter_map(|(j, c)| c.map(|c| (j, c)));
        for (j, c) in recovery.take(k - data_present) {
            to_codec_layout(c, &mut scratch);
            decoder.add_recovery_shard(j, &scratch)?;
        }
        let result = decoder.decode()?;
        for (i, rec) in result.restored_original_iter() {
            from_codec_layout(rec, out[i]);
        }
        drop(result);
        self.scratch = scratch;
        Ok(())
    }

    /// Erasure-codes `data` into `N` chunks of [`ErasureParams::chunk_len`] octets (GP (H.4),
    /// `C_k` with `k = ⌈|d| / 2K⌉`): chunk `i < K` is the zero-padded data slice, the others are
    /// the recovery chunks. Empty data gives `N` empty chunks.
    pub fn encode_flat(&mut self, params: ErasureParams, data: &[u8]) -> Chunks {
        let chunk = params.chunk_len(data.len());
        let mut out = Chunks::zeroed(params.total_shards, chunk);
        if chunk > 0 {
            let mut bufs = out.slices_mut();
            fill_data_chunks(data, chunk, &mut bufs[..params.data_shards]);
            self.encode_core(params, &mut bufs);
        }
        out
    }

    /// [`Coder::encode_flat`] with each chunk in its own vector.
    pub fn encode(&mut self, params: ErasureParams, data: &[u8]) -> Vec<Vec<u8>> {
        let chunk = params.chunk_len(data.len());
        let mut out = zeroed_vecs(params.total_shards, chunk);
        if chunk > 0 {
            let mut bufs: Vec<&mut [u8]> = out.iter_mut().map(Vec::as_mut_slice).collect();
            fill_data_chunks(data, chunk, &mut bufs[..params.data_shards]);
            self.encode_core(params, &mut bufs);
        }
        out
    }

    /// Rebuilds the `original_len` octets of data from at least `K` distinct chunks given with
    /// their indices (GP (H.5), `R_k`). When all `K` data chunks are present this is their
    /// concatenation; otherwise the missing data chunks are decoded from `K` chunks in all (the
    /// data chunks given, then recovery chunks in index order).
    pub fn reconstruct<T: AsRef<[u8]>>(
        &mut self,
        params: ErasureParams,
        chunks: &[(usize, T)],
        original_len: usize,
    ) -> Result<Vec<u8>, Error> {
        let chunk = params.chunk_len(original_len);
        let have = validate(params, chunks, chunk)?;
        if chunk == 0 {
            return Ok(Vec::new());
        }
        let mut out = vec![0u8; params.data_shards * chunk];
        let mut bufs: Vec<&mut [u8]> = out.chunks_exact_mut(chunk).collect();
        self.decode_core(params, &have, &mut bufs)?;
        out.truncate(original_len);
        Ok(out)
    }

    /// Erasure-codes a batch of equal-length segments in one codec call (GP H: "a greater degree
    /// of data parallelism if encoding more than one segment at a time"). Returns, for each
    /// segment, its `N` chunks: exactly what [`Coder::encode_flat`] gives for that segment alone.
    pub fn encode_segments<S: AsRef<[u8]>>(
        &mut self,
        params: ErasureParams,
        segments: &[S],
    ) -> Result<Vec<Chunks>, Error> {
        let seg_len = segments.first().map_or(0, |s| s.as_ref().len());
        if segments.iter().any(|s| s.as_ref().len() != seg_len) {
            return Err(Error::InvalidBatch("segments differ in length"));
        }
        let piece = params.chunk_len(seg_len);
        if segments.len() <= 1 || piece == 0 {
            return Ok(segments
                .iter()
                .map(|s| self.encode_flat(params, s.as_ref()))
                .collect());
        }
        // Batch chunk i = chunk i of segment 0 ⌢ chunk i of segment 1 ⌢ ...: word positions are
        // independent, so encoding the batch encodes every segment.
        let n = segments.len();
        let mut batch = Chunks::zeroed(params.total_shards, piece * n);
        let mut bufs = batch.slices_mut();
        for (s, seg) in segments.iter().enumerate() {
            let mut views: Vec<&mut [u8]> = bufs[..params.data_shards]
                .iter_mut()
                .map(|b| &mut b[s * piece..(s + 1) * piece])
                .collect();
            fill_data_chunks(seg.as_ref(), piece, &mut views);
        }
        self.encode_core(params, &mut bufs);
        Ok((0..n)
            .map(|s| {
                let mut c = Chunks::zeroed(params.total_shards, piece);
                for (dst, src) in c.slices_mut().into_iter().zip(batch.iter()) {
                    dst.copy_from_slice(&src[s * piece..(s + 1) * piece]);
                }
                c
            })
            .collect())
    }

    /// Rebuilds a batch of equal-length segments from the same set of at least `K` chunk
    /// indices, in one codec call. `shards` pairs a chunk index with that chunk of every
    /// segment, in segment order (as a validator returns a list of segment shards).
    pub fn reconstruct_segments<T: AsRef<[u8]>, L: AsRef<[T]>>(
        &mut self,
        params: ErasureParams,
        segment_len: usize,
        shards: &[(usize, L)],
    ) -> Result<Vec<Vec<u8>>, Error> {
        let n = shards.first().map_or(0, |(_, l)| l.as_ref().len());
        if shards.iter().any(|(_, l)| l.as_ref().len() != n) {
            return Err(Error::InvalidBatch("shard lists differ in length"));
        }
        let piece = params.chunk_len(segment_len);
        if n == 0 {
            return Ok(Vec::new());
        }
        if n == 1 {
            let single: Vec<(usize, &[u8])> = shards
                .iter()
                .map(|(i, l)| (*i, l.as_ref()[0].as_ref()))
                .collect();
            return Ok(vec![self.reconstruct(params, &single, segment_len)?]);
        }
        // Concatenate each index's pieces into one batch chunk.
        let mut joined: Vec<(usize, Vec<u8>)> = Vec::with_capacity(shards.len());
        for (i, l) in shards {
            let mut c = Vec::with_capacity(piece * n);
            for p in l.as_ref() {
                let p = p.as_ref();
                if p.len() != piece {
                    return Err(Error::ChunkSize {
                        index: *i,
                        expected: piece,
                        got: p.len(),
                    });
                }
                c.extend_from_slice(p);
            }
            joined.push((*i, c));
        }
        let have = validate(params, &joined, piece * n)?;
        if piece == 0 {
            return Ok(vec![Vec::new(); n]);
        }
        let mut data = Chunks::zeroed(params.data_shards, piece * n);
        self.decode_core(params, &have, &mut data.slices_mut())?;
        Ok((0..n)
            .map(|s| {
                let mut seg = Vec::with_capacity(params.data_shards * piece);
                for c in data.iter() {
                    seg.extend_from_slice(&c[s * piece..(s + 1) * piece]);
                }
                seg.truncate(segment_len);
                seg
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Free functions: per-thread coders for small chunks, thread-parallel coding of large blobs.

thread_local! {
    static LOCAL_CODER: RefCell<Coder> = RefCell::new(Coder::new());
}

/// Chunk sizes up to this many octets use the per-thread [`Coder`], whose working space then
/// stays below about 8 MiB.
const LOCAL_CODER_MAX_CHUNK: usize = 4096;

/// Chunks at least this large are split by word position across threads.
const PARALLEL_MIN_CHUNK: usize = 8192;

fn with_coder<R>(chunk: usize, f: impl FnOnce(&mut Coder) -> R) -> R {
    if chunk <= LOCAL_CODER_MAX_CHUNK {
        LOCAL_CODER.with(|c| match c.try_borrow_mut() {
            Ok(mut c) => f(&mut c),
            Err(_) => f(&mut Coder::new()),
        })
    } else {
        f(&mut Coder::new())
    }
}

/// Splits `0..chunk` into up to `parts` ranges of whole 64-octet blocks (the last takes the
/// remainder). Word positions are independent, so each range can be coded on its own.
fn split_ranges(chunk: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let blocks = chunk / 64;
    let parts = parts.clamp(1, blocks.max(1));
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for p in 0..parts {
        let end = if p + 1 == parts {
            chunk
        } else {
            start + 64 * (blocks / parts + usize::from(p < blocks % parts))
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// Splits each chunk in `bufs` by `ranges`: result `[p][i]` is range `p` of chunk `i`.
fn split_bufs<'a>(
    bufs: Vec<&'a mut [u8]>,
    ranges: &[std::ops::Range<usize>],
) -> Vec<Vec<&'a mut [u8]>> {
    let mut parts: Vec<Vec<&mut [u8]>> = ranges
        .iter()
        .map(|_| Vec::with_capacity(bufs.len()))
        .collect();
    for mut rest in bufs {
        for (part, r) in parts.iter_mut().zip(ranges) {
            let (a, b) = std::mem::take(&mut rest).split_at_mut(r.len());
            part.push(a);
            rest = b;
        }
    }
    parts
}

fn parallel_parts(chunk: usize) -> usize {
    if chunk < PARALLEL_MIN_CHUNK {
        1
    } else {
        rayon::current_num_threads().min(chunk / (PARALLEL_MIN_CHUNK / 2))
    }
}

/// Fills the recovery chunks of `bufs` (data chunks already filled) on several threads.
fn encode_parallel(params: ErasureParams, bufs: Vec<&mut [u8]>, parts: usize) {
    let ranges = split_ranges(bufs[0].len(), parts);
    split_bufs(bufs, &ranges)
        .into_par_iter()
        .for_each(|mut part| Coder::new().encode_core(params, &mut part));
}

/// Erasure-codes `data` into the `N` chunks of GP (H.4) (`C_k`, `k = ⌈|d| / 2K⌉`), in one buffer;
/// see [`Coder::encode_flat`]. Large blobs are coded on several threads.
pub fn encode_flat(params: ErasureParams, data: &[u8]) -> Chunks {
    let chunk = params.chunk_len(data.len());
    let parts = parallel_parts(chunk);
    if parts <= 1 {
        return with_coder(chunk, |c| c.encode_flat(params, data));
    }
    let mut out = Chunks::zeroed(params.total_shards, chunk);
    let mut bufs = out.slices_mut();
    fill_data_chunks(data, chunk, &mut bufs[..params.data_shards]);
    encode_parallel(params, bufs, parts);
    out
}

/// Erasure-codes `data` into the `N` chunks of GP (H.4) (`C_k`, `k = ⌈|d| / 2K⌉`); see
/// [`Coder::encode`]. [`encode_flat`] saves the `N` allocations. Large blobs are coded on several
/// threads.
pub fn encode(params: ErasureParams, data: &[u8]) -> Vec<Vec<u8>> {
    let chunk = params.chunk_len(data.len());
    let parts = parallel_parts(chunk);
    if parts <= 1 {
        return with_coder(chunk, |c| c.encode(params, data));
    }
    let mut out = zeroed_vecs(params.total_shards, chunk);
    let mut bufs: Vec<&mut [u8]> = out.iter_mut().map(Vec::as_mut_slice).collect();
    fill_data_chunks(data, chunk, &mut bufs[..params.data_shards]);
    encode_parallel(params, bufs, parts);
    out
}

/// Rebuilds `original_len` octets of data from at least `K` distinct `(index, chunk)` pairs
/// (GP (H.5), `R_k`); see [`Coder::reconstruct`]. Large blobs are decoded on several threads.
pub fn reconstruct<T: AsRef<[u8]>>(
    params: ErasureParams,
    chunks: &[(usize, T)],
    original_len: usize,
) -> Result<Vec<u8>, Error> {
    let chunk = params.chunk_len(original_len);
    let parts = parallel_parts(chunk);
    if parts <= 1 {
        return with_coder(chunk, |c| c.reconstruct(params, chunks, original_len));
    }
    let have = validate(params, chunks, chunk)?;
    let mut out = vec![0u8; params.data_shards * chunk];
    let ranges = split_ranges(chunk, parts);
    let bufs: Vec<&mut [u8]> = out.chunks_exact_mut(chunk).collect();
    split_bufs(bufs, &ranges)
        .into_par_iter()
        .zip(ranges.par_iter())
        .try_for_each(|(mut part, r)| {
            let sub: Vec<Option<&[u8]>> = have.iter().map(|c| c.map(|c| &c[r.clone()])).collect();
            Coder::new().decode_core(params, &sub, &mut part)
        })?;
    out.truncate(original_len);
    Ok(out)
}

/// Erasure-codes one segment (`W_G` = 4104 octets): `k = 6` words per chunk for the full code
/// (GP H: "segment encoding ... with a constant k = 6").
pub fn encode_segment(params: ErasureParams, segment: &[u8; SEGMENT_SIZE]) -> Vec<Vec<u8>> {
    encode(params, segment)
}

/// Rebuilds one segment from at least `K` of its chunks.
pub fn reconstruct_segment<T: AsRef<[u8]>>(
    params: ErasureParams,
    chunks: &[(usize, T)],
) -> Result<Box<[u8; SEGMENT_SIZE]>, Error> {
    let v = reconstruct(params, chunks, SEGMENT_SIZE)?;
    Ok(v.into_boxed_slice()
        .try_into()
        .expect("reconstruct returns exactly SEGMENT_SIZE octets"))
}

/// Erasure-codes a batch of equal-length segments in one codec call; result `[s]` holds the `N`
/// chunks of segment `s`. See [`Coder::encode_segments`].
pub fn encode_segments<S: AsRef<[u8]>>(
    params: ErasureParams,
    segments: &[S],
) -> Result<Vec<Chunks>, Error> {
    let seg_len = segments.first().map_or(0, |s| s.as_ref().len());
    with_coder(params.chunk_len(seg_len) * segments.len(), |c| {
        c.encode_segments(params, segments)
    })
}

/// Rebuilds a batch of `segment_len`-octet segments from the same set of at least `K` chunk
/// indices in one codec call, far cheaper per segment than one call each (the decoder's fixed
/// cost, an erasure-locator transform over the whole field, is paid once). See
/// [`Coder::reconstruct_segments`].
pub fn reconstruct_segments<T: AsRef<[u8]>, L: AsRef<[T]>>(
    params: ErasureParams,
    segment_len: usize,
    shards: &[(usize, L)],
) -> Result<Vec<Vec<u8>>, Error> {
    let n = shards.first().map_or(0, |(_, l)| l.as_ref().len());
    with_coder(params.chunk_len(segment_len) * n, |c| {
        c.reconstruct_segments(params, segment_len, shards)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn data(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn params() {
        assert_eq!(ErasureParams::for_validators(1023), Ok(ErasureParams::FULL));
        assert_eq!(ErasureParams::for_validators(6), Ok(ErasureParams::TINY));
        assert_eq!(ErasureParams::from_chain(1023, 6), Ok(ErasureParams::FULL));
        assert_eq!(ErasureParams::from_chain(6, 1026), Ok(ErasureParams::TINY));
        assert!(ErasureParams::from_chain(6, 5).is_err());
        assert!(ErasureParams::new(3, 3).is_err());
        assert!(ErasureParams::new(0, 3).is_err());
        assert_eq!(ErasureParams::FULL.chunk_len(SEGMENT_SIZE), 12);
        assert_eq!(ErasureParams::FULL.chunk_len(685), 4);
        assert_eq!(ErasureParams::TINY.chunk_len(3), 2);
        assert_eq!(ErasureParams::TINY.padded_len(3), 4);
    }

    #[test]
    fn layout_roundtrip() {
        for len in [0, 2, 62, 64, 66, 128, 130, 1000] {
            let src = data(len, len as u64);
            let mut mid = vec![0; len];
            let mut back = vec![0; len];
            to_codec_layout(&src, &mut mid);
            from_codec_layout(&mid, &mut back);
            assert_eq!(src, back);
        }
        let mut mid = [0u8; 6];
        to_codec_layout(&[1, 2, 3, 4, 5, 6], &mut mid);
        assert_eq!(mid, [1, 3, 5, 2, 4, 6]);
    }

    #[test]
    fn systematic_and_sized() {
        for p in [ErasureParams::TINY, ErasureParams::FULL] {
            for len in [1, 3, 100, 684, 685, 4104] {
                let d = data(len, 7);
                let chunks = encode(p, &d);
                assert_eq!(chunks.len(), p.total_shards());
                assert!(chunks.iter().all(|c| c.len() == p.chunk_len(len)));
                let joined: Vec<u8> = chunks[..p.data_shards()].concat();
                assert_eq!(&joined[..len], &d[..]);
                assert!(joined[len..].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn empty_data() {
        let chunks = encode(ErasureParams::TINY, &[]);
        assert_eq!(chunks, vec![Vec::<u8>::new(); 6]);
        let given: Vec<(usize, &[u8])> = vec![(4, &[]), (5, &[])];
        assert_eq!(reconstruct(ErasureParams::TINY, &given, 0), Ok(vec![]));
    }

    #[test]
    fn errors() {
        let p = ErasureParams::TINY;
        let d = data(100, 1);
        let c = encode(p, &d);
        let one = [(3usize, c[3].as_slice())];
        assert_eq!(
            reconstruct(p, &one, 100),
            Err(Error::TooFewChunks { needed: 2, got: 1 })
        );
        let dup = [(3usize, c[3].as_slice()), (3, c[3].as_slice())];
        assert_eq!(
            reconstruct(p, &dup, 100),
            Err(Error::DuplicateIndex { index: 3 })
        );
        let oob = [(3usize, c[3].as_slice()), (6, c[3].as_slice())];
        assert_eq!(
            reconstruct(p, &oob, 100),
            Err(Error::IndexOutOfRange {
                index: 6,
                total_shards: 6
            })
        );
        let short = [(3usize, c[3].as_slice()), (4, &c[4][1..])];
        assert!(matches!(
            reconstruct(p, &short, 100),
            Err(Error::ChunkSize { index: 4, .. })
        ));
        // The original length fixes the chunk size.
        let both = [(3usize, c[3].as_slice()), (4, c[4].as_slice())];
        assert!(matches!(
            reconstruct(p, &both, 1000),
            Err(Error::ChunkSize { .. })
        ));
    }

    #[test]
    fn segments_batch_equals_single() {
        for p in [ErasureParams::TINY, ErasureParams::FULL] {
            let segs: Vec<Vec<u8>> = (0..5).map(|s| data(SEGMENT_SIZE, s)).collect();
            let batch = encode_segments(p, &segs).unwrap();
            for (s, seg) in segs.iter().enumerate() {
                let one = encode_segment(p, seg.as_slice().try_into().unwrap());
                assert_eq!(batch[s].to_vecs(), one);
                let last: Vec<(usize, &[u8])> = (p.total_shards() - p.data_shards()
                    ..p.total_shards())
                    .map(|i| (i, one[i].as_slice()))
                    .collect();
                assert_eq!(&reconstruct_segment(p, &last).unwrap()[..], &seg[..]);
            }
            // Batch recovery from one data chunk and recovery chunks, the same for every segment.
            let mut idx = vec![0usize];
            idx.extend((p.data_shards()..p.total_shards()).take(p.data_shards() - 1));
            let shards: Vec<(usize, Vec<&[u8]>)> = idx
                .iter()
                .map(|&i| (i, batch.iter().map(|c| &c[i]).collect()))
                .collect();
            assert_eq!(
                reconstruct_segments(p, SEGMENT_SIZE, &shards).unwrap(),
                segs
            );
            let one: Vec<(usize, Vec<&[u8]>)> =
                shards.iter().map(|(i, l)| (*i, l[..1].to_vec())).collect();
            assert_eq!(
                reconstruct_segments(p, SEGMENT_SIZE, &one).unwrap(),
                segs[..1].to_vec()
            );
            let mut ragged = shards.clone();
            ragged[0].1.pop();
            assert!(matches!(
                reconstruct_segments(p, SEGMENT_SIZE, &ragged),
                Err(Error::InvalidBatch(_))
            ));
            let few: Vec<(usize, Vec<&[u8]>)> = shards[1..].to_vec();
            assert!(matches!(
                reconstruct_segments(p, SEGMENT_SIZE, &few),
                Err(Error::TooFewChunks { .. })
            ));
        }
    }

    #[test]
    fn split_ranges_cover_in_whole_blocks() {
        for (chunk, parts) in [(8772, 2), (64, 4), (100, 3), (640, 3), (2, 2)] {
            let r = split_ranges(chunk, parts);
            assert!(r.len() <= parts);
            assert_eq!(r.first().unwrap().start, 0);
            assert_eq!(r.last().unwrap().end, chunk);
            for w in r.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                assert_eq!(w[0].len() % 64, 0);
            }
        }
    }

    #[test]
    fn large_blob_parallel_path_matches_single_coder() {
        let p = ErasureParams::FULL;
        let len = 3_000_001;
        assert!(p.chunk_len(len) >= PARALLEL_MIN_CHUNK);
        let d = data(len, 11);
        let par = encode_flat(p, &d);
        let seq = Coder::new().encode_flat(p, &d);
        assert_eq!(par, seq);
        assert_eq!(encode(p, &d), seq.to_vecs());
        let pick: Vec<(usize, &[u8])> = (5..p.total_shards())
            .step_by(2)
            .take(p.data_shards())
            .map(|i| (i, &par[i]))
            .collect();
        assert_eq!(reconstruct(p, &pick, len).unwrap(), d);
    }

    #[test]
    fn explicit_coder_reuse_across_params_and_sizes() {
        let mut coder = Coder::new();
        for (p, len) in [
            (ErasureParams::FULL, 100_000),
            (ErasureParams::TINY, 10),
            (ErasureParams::FULL, 4104),
        ] {
            let d = data(len, 3);
            let c = coder.encode(p, &d);
            let pick: Vec<(usize, &[u8])> = (0..p.total_shards())
                .rev()
                .take(p.data_shards())
                .map(|i| (i, c[i].as_slice()))
                .collect();
            assert_eq!(coder.reconstruct(p, &pick, len).unwrap(), d);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn reconstruct_from_random_k_subset(
            full in any::<bool>(),
            len in 1usize..3000,
            seed in any::<u64>(),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 1023),
        ) {
            let p = if full { ErasureParams::FULL } else { ErasureParams::TINY };
            let d = data(len, seed);
            let chunks = encode(p, &d);
            // A random K-subset: shuffle the indices with the sampled picks, take K.
            let mut idx: Vec<usize> = (0..p.total_shards()).collect();
            for i in (1..idx.len()).rev() {
                let j = picks[i].index(i + 1);
                idx.swap(i, j);
            }
            let given: Vec<(usize, &[u8])> = idx[..p.data_shards()]
                .iter()
                .map(|&i| (i, chunks[i].as_slice()))
                .collect();
            prop_assert_eq!(reconstruct(p, &given, len).unwrap(), d);
        }
    }
}
