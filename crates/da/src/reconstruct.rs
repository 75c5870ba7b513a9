//! Rebuilding bundles and segments from any `K` validators' shards (GP (H.5), `R_k`).
//!
//! A guarantor imports segments by fetching, from `K` assurers, the shards of each segment it
//! needs and of the proof pages that justify them (JAMNP-S CE 139/140), then rebuilds them all
//! in one codec call and derives each segment's `J_0` from its page ([`reconstruct_imports`]).
//! An auditor rebuilds the bundle from `K` bundle shards (CE 138, [`reconstruct_bundle`]).

use marmalade_crypto::hash::Hash;
use marmalade_types::constants::SEGMENT_SIZE;
use marmalade_types::work::{AvailabilitySpec, Segment};
use marmalade_types::ChainSpec;
use rayon::prelude::*;

use crate::availability::{erasure_params, verify_bundle_shard, JustificationStep};
use crate::segments::{proof_page_index, verify_import, ProofPage, PAGE_SIZE};
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

/// The bundle from CE 138 responses: each `(shard index, bundle shard, justification)` is checked
/// against the specifier's erasure root ([`crate::verify_bundle_shard`]) and those that fail are
/// left out; the bundle is rebuilt from the rest (at least `K` needed) and its length checked.
/// Returns the bundle and the indices of the shards that failed.
pub fn reconstruct_bundle_justified<T: AsRef<[u8]>>(
    spec: &ChainSpec,
    availability: &AvailabilitySpec,
    shards: &[(u16, T, Vec<JustificationStep>)],
) -> Result<(Vec<u8>, Vec<u16>), DaError> {
    let (good, bad): (Vec<_>, Vec<_>) = shards.iter().partition(|(i, s, j)| {
        verify_bundle_shard(
            &availability.erasure_root,
            usize::from(*i),
            spec.validators,
            s.as_ref(),
            j,
        )
        .is_ok()
    });
    let good: Vec<(u16, &[u8])> = good.iter().map(|(i, s, _)| (*i, s.as_ref())).collect();
    let bundle = reconstruct_bundle(spec, availability.length, &good)?;
    Ok((bundle, bad.iter().map(|(i, _, _)| *i).collect()))
}

/// A batch of segments (exports or proof pages) from at least `K` validators: `shards` pairs a
/// shard index with that validator's shard of every segment of the batch, in the same order
/// (a CE 139 response). One codec call for the whole batch.
pub fn reconstruct_segments<T: AsRef<[u8]> + Sync, L: AsRef<[T]> + Sync>(
    spec: &ChainSpec,
    shards: &[(u16, L)],
) -> Result<Vec<Segment>, DaError> {
    let params = erasure_params(spec)?;
    let n = shards.first().map_or(0, |(_, l)| l.as_ref().len());
    if shards.iter().any(|(_, l)| l.as_ref().len() != n) {
        return Err(DaError::Shape("shard lists differ in length"));
    }
    // Word positions are independent: split the batch by segment across the rayon pool, one
    // codec call per part (each pays the decoder's fixed cost of about half a millisecond, so
    // parts are kept to at least 64 segments).
    let parts = rayon::current_num_threads().min(n / 64).max(1);
    let per = n.div_ceil(parts).max(1);
    let ranges: Vec<std::ops::Range<usize>> =
        (0..n).step_by(per).map(|a| a..(a + per).min(n)).collect();
    let rebuilt: Vec<Vec<Vec<u8>>> = ranges
        .into_par_iter()
        .map(|r| {
            let lists: Vec<(usize, &[T])> = shards
                .iter()
                .map(|(i, l)| (usize::from(*i), &l.as_ref()[r.clone()]))
                .collect();
            marmalade_erasure::reconstruct_segments(params, SEGMENT_SIZE, &lists)
        })
        .collect::<Result<_, _>>()?;
    rebuilt
        .into_iter()
        .flatten()
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
pub fn reconstruct_imports<T: AsRef<[u8]> + Sync, L: AsRef<[T]> + Sync>(
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
    // Each page decoded and checked against the root once, however many imports it justifies.
    let pages: Vec<(usize, ProofPage)> = request[indices.len()..]
        .iter()
        .zip(&segs[indices.len()..])
        .map(|(&q, seg)| {
            let p = usize::from(q) - count;
            let page = ProofPage::decode(&seg[..], p, count)?;
            if !page.verify(root, p, count) {
                return Err(DaError::ProofPageRoot { page: p });
            }
            Ok((p, page))
        })
        .collect::<Result<_, DaError>>()?;
    indices
        .iter()
        .zip(&segs)
        .map(|(&n, seg)| {
            let n = usize::from(n);
            let p = n / PAGE_SIZE;
            let j = pages
                .iter()
                .find(|(q, _)| *q == p)
                .and_then(|(_, page)| page.justification(n, count))
                .ok_or(DaError::ProofPage { page: p })?;
            if !verify_import(root, &seg[..], n, &j) {
                return Err(DaError::SegmentRoot { index: n });
            }
            Ok((seg.clone(), j))
        })
        .collect()
}
