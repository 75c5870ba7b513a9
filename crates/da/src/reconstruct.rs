//! Rebuilding bundles and segments from any `K` validators' shards (GP (H.5), `R_k`).
//!
//! A guarantor imports segments by fetching, from `K` assurers, the shards of each segment it
//! needs and of the proof pages that justify them (JAMNP-S CE 139/140), then rebuilds them all
//! in one codec call and derives each segment's `J_0` from its page ([`reconstruct_imports`]).
//! An auditor rebuilds the bundle from `K` bundle shards (CE 138, [`reconstruct_bundle`]).

use marmalade_crypto::hash::Hash;
use marmalade_types::constants::SEGMENT_SIZE;
use marmalade_types::work::Segment;
use marmalade_types::ChainSpec;

use crate::availability::erasure_params;
use crate::segments::{import_justification, proof_page_index, PAGE_SIZE};
use crate::DaError;

/// `R` (GP (H.5)): the bundle of `length` octets (the specifier's `l`) from at least `K`
/// distinct `(shard index, bundle shard)` pairs. Shards should have been checked against the
/// erasure root first ([`crate::verify_bundle_shard`]): the code cannot tell a wrong shard.
pub fn reconstruct_bundle<T: AsRef<[u8]>>(
    spec: &ChainSpec,
    length: u32,
    shards: &[(u16, T)],
) -> Result<Vec<u8>, DaError> {
    let params = erasure_params(spec)?;
    let chunks: Vec<(usize, &[u8])> = shards
        .iter()
        .map(|(i, s)| (usize::from(*i), s.as_ref()))
        .collect();
    Ok(marmalade_erasure::reconstruct(
        params,
        &chunks,
        length as usize,
    )?)
}

/// A batch of segments (exports or proof pages) from at least `K` validators: `shards` pairs a
/// shard index with that validator's shard of every segment of the batch, in the same order
/// (a CE 139 response). One codec call for the whole batch.
pub fn reconstruct_segments<T: AsRef<[u8]>, L: AsRef<[T]>>(
    spec: &ChainSpec,
    shards: &[(u16, L)],
) -> Result<Vec<Segment>, DaError> {
    let params = erasure_params(spec)?;
    let lists: Vec<(usize, &[T])> = shards
        .iter()
        .map(|(i, l)| (usize::from(*i), l.as_ref()))
        .collect();
    let segs = marmalade_erasure::reconstruct_segments(params, SEGMENT_SIZE, &lists)?;
    segs.into_iter()
        .map(|s| {
            <Box<[u8; SEGMENT_SIZE]>>::try_from(s.into_boxed_slice())
                .map_err(|_| DaError::Shape("reconstructed segment size"))
        })
        .collect()
}

/// The segment indices to request (CE 139/140) to import exports `indices` of a package with
/// `exports_count` exports: the exports themselves, then the proof pages that justify them
/// (index `exports_count + n / 64` in `s ⌢ P(s)`), each page once, in order.
pub fn segment_request(indices: &[u16], exports_count: u16) -> Result<Vec<u16>, DaError> {
    let count = usize::from(exports_count);
    let mut pages: Vec<u16> = Vec::new();
    for &i in indices {
        let i = usize::from(i);
        if i >= count {
            return Err(DaError::SegmentIndex { index: i, count });
        }
        let p = u16::try_from(proof_page_index(i, count))
            .map_err(|_| DaError::Shape("proof page index beyond 2^16"))?;
        pages.push(p);
    }
    pages.sort_unstable();
    pages.dedup();
    Ok(indices.iter().copied().chain(pages).collect())
}

/// Imports exports `indices` of the package whose exports root is `root`: rebuilds, from at least
/// `K` validators' shards of the segments [`segment_request`] lists (in that order), the segments
/// and their proof pages in one batch, checks each page against the root, derives each
/// segment's `J_0` (GP (14.15)) and checks the segment with it. Returns the segments and their
/// justifications, as a bundle carries them (GP (14.16)).
pub fn reconstruct_imports<T: AsRef<[u8]>, L: AsRef<[T]>>(
    spec: &ChainSpec,
    root: &Hash,
    exports_count: u16,
    indices: &[u16],
    shards: &[(u16, L)],
) -> Result<Vec<(Segment, Vec<Hash>)>, DaError> {
    let request = segment_request(indices, exports_count)?;
    if shards
        .iter()
        .any(|(_, l)| l.as_ref().len() != request.len())
    {
        return Err(DaError::Shape("shard lists do not match the request"));
    }
    let segs = reconstruct_segments(spec, shards)?;
    let count = usize::from(exports_count);
    let page_at = |p: usize| {
        request[indices.len()..]
            .iter()
            .position(|&q| usize::from(q) == count + p)
            .map(|k| &segs[indices.len() + k])
    };
    indices
        .iter()
        .zip(&segs)
        .map(|(&n, seg)| {
            let n = usize::from(n);
            let page = page_at(n / PAGE_SIZE).ok_or(DaError::ProofPage {
                page: n / PAGE_SIZE,
            })?;
            let j = import_justification(root, &page[..], n, count)?;
            if !crate::segments::verify_import(root, &seg[..], n, &j) {
                return Err(DaError::SegmentRoot { index: n });
            }
            Ok((seg.clone(), j))
        })
        .collect()
}
