//! The auditable work-package bundle (GP (14.16)):
//!
//! ```text
//! b = E(p, X#(p_w), I#(p_w), J#(p_w))
//! ```
//!
//! the encoded work-package, then every item's extrinsic data `X(w)` (GP (14.15)), then every
//! item's imported segments `I(w)`, then every import's justification `↕J_0(s, n)`, items in
//! order. "Only the Merkle paths for the justifications have a length prefix. All other sequence
//! lengths are determinable through the work package itself" (GP section 14.4): the extrinsic
//! lengths are those of the items' extrinsic references, the import count that of their import
//! references.

use marmalade_codec::{decode_seq, encode_seq, Decode, Encode, Reader};
use marmalade_crypto::hash::{blake2b_256, Hash};
use marmalade_types::constants::SEGMENT_SIZE;
use marmalade_types::work::{ImportSpec, Segment, WorkPackage};
use marmalade_types::ChainSpec;

use crate::segments::verify_import;
use crate::DaError;

/// A decoded bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// `p`: the work-package.
    pub package: WorkPackage,
    /// `X#(p_w)`: every extrinsic blob, items in order.
    pub extrinsics: Vec<Vec<u8>>,
    /// `I#(p_w)`: every imported segment, items in order.
    pub imports: Vec<Segment>,
    /// `J#(p_w)`: every import's `J_0` (GP (14.15)), top to bottom.
    pub justifications: Vec<Vec<Hash>>,
}

impl Bundle {
    /// `E(p, x#, i#, j#)`.
    pub fn encode(&self) -> Vec<u8> {
        encode_bundle(
            &self.package,
            &self.extrinsics,
            &self.imports,
            &self.justifications,
        )
    }

    /// Checks each extrinsic blob against its reference `(H(d), |d|)` in the package
    /// (GP (14.15), `X`). Decoding already matched the lengths.
    pub fn verify_extrinsics(&self) -> Result<(), DaError> {
        let refs = self.package.items.iter().flat_map(|w| &w.extrinsic);
        for (index, (r, d)) in refs.zip(&self.extrinsics).enumerate() {
            if blake2b_256(d) != r.hash || d.len() as u64 != u64::from(r.len) {
                return Err(DaError::ExtrinsicHash { index });
            }
        }
        Ok(())
    }
}

impl Bundle {
    /// Checks every imported segment against its `J_0` and the segments root its import reference
    /// names (GP (14.15), `I` and `J`: `M(s̄) = L(r)`). `root_of` resolves a reference's root: the
    /// root itself, or for a work-package hash (bit 15 of the encoded index set, GP (C.35)) the
    /// segments root of the report's lookup dictionary (GP (14.14)); `None` is an error.
    pub fn verify_imports(
        &self,
        root_of: impl Fn(&ImportSpec) -> Option<Hash>,
    ) -> Result<(), DaError> {
        let refs = self.package.items.iter().flat_map(|w| &w.import_segments);
        for (k, ((r, seg), j)) in refs
            .zip(&self.imports)
            .zip(&self.justifications)
            .enumerate()
        {
            let root = root_of(r).ok_or(DaError::UnknownRoot { import: k })?;
            let n = usize::from(r.index & 0x7fff);
            if !verify_import(&root, &seg[..], n, j) {
                return Err(DaError::SegmentRoot { index: n });
            }
        }
        Ok(())
    }
}

/// `E(p, x#, i#, j#)` (GP (14.16)): `extrinsics` holds every item's extrinsic blobs in order,
/// `imports` every imported segment and `justifications` their `J_0` (GP (14.15)).
///
/// The parts are concatenated as given; whether they fit the package (one blob per extrinsic
/// reference, one segment and justification per import reference) is the caller's to ensure,
/// and [`decode_bundle`] refuses a bundle where they do not.
pub fn encode_bundle(
    package: &WorkPackage,
    extrinsics: &[Vec<u8>],
    imports: &[Segment],
    justifications: &[Vec<Hash>],
) -> Vec<u8> {
    let mut out = package.encode();
    let size = extrinsics.iter().map(Vec::len).sum::<usize>()
        + imports.len() * SEGMENT_SIZE
        + justifications
            .iter()
            .map(|j| 1 + 32 * j.len())
            .sum::<usize>();
    out.reserve(size);
    for x in extrinsics {
        out.extend_from_slice(x);
    }
    for s in imports {
        out.extend_from_slice(&s[..]);
    }
    for j in justifications {
        encode_seq(j, &mut out);
    }
    out
}

/// Decodes a bundle `E(p, x#, i#, j#)` (GP (14.16)). Total: a truncated, over-long or otherwise
/// malformed bundle is an error, and nothing is allocated beyond what the input holds. The
/// extrinsics are not hashed here ([`Bundle::verify_extrinsics`]).
pub fn decode_bundle(bytes: &[u8], spec: &ChainSpec) -> Result<Bundle, DaError> {
    let mut r = Reader::new(bytes, spec.seq_lens());
    let package = WorkPackage::decode(&mut r)?;
    let ext_count: usize = package.items.iter().map(|w| w.extrinsic.len()).sum();
    let import_count: usize = package.items.iter().map(|w| w.import_segments.len()).sum();

    let mut extrinsics = Vec::with_capacity(ext_count.min(r.remaining()));
    for w in &package.items {
        for x in &w.extrinsic {
            let len = usize::try_from(x.len).map_err(|_| marmalade_codec::Error::OutOfRange {
                value: u64::from(x.len),
                ty: "usize",
            })?;
            extrinsics.push(r.take(len)?.to_vec());
        }
    }
    let mut imports = Vec::with_capacity(import_count.min(r.remaining() / SEGMENT_SIZE));
    for _ in 0..import_count {
        let s: [u8; SEGMENT_SIZE] = r.take_array()?;
        imports.push(Box::new(s));
    }
    let mut justifications = Vec::with_capacity(import_count.min(r.remaining()));
    for _ in 0..import_count {
        justifications.push(decode_seq::<Hash>(&mut r)?);
    }
    r.finish()?;
    Ok(Bundle {
        package,
        extrinsics,
        imports,
        justifications,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use marmalade_types::work::{ExtrinsicSpec, ImportSpec, WorkItem};

    /// A package with two items, three extrinsics and three imports.
    pub(crate) fn sample(payload: usize) -> Bundle {
        let blobs: Vec<Vec<u8>> = vec![vec![1; 10], vec![], vec![7; payload]];
        let spec = |d: &Vec<u8>| ExtrinsicSpec {
            hash: blake2b_256(d),
            len: d.len() as u32,
        };
        let imports: Vec<Segment> = (0..3u8).map(|i| Box::new([i; SEGMENT_SIZE])).collect();
        let item = |ext: Vec<ExtrinsicSpec>, n: u16| WorkItem {
            service: 7,
            export_count: 1,
            payload: vec![9; 20],
            import_segments: (0..n)
                .map(|i| ImportSpec {
                    tree_root: [i as u8; 32],
                    index: i,
                })
                .collect(),
            extrinsic: ext,
            ..Default::default()
        };
        let package = WorkPackage {
            authorization: vec![5; 3],
            items: vec![
                item(vec![spec(&blobs[0])], 1),
                item(vec![spec(&blobs[1]), spec(&blobs[2])], 2),
            ],
            ..Default::default()
        };
        Bundle {
            package,
            extrinsics: blobs,
            imports,
            justifications: vec![vec![], vec![[3; 32]], vec![[4; 32], [5; 32]]],
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let b = sample(1000);
        let bytes = b.encode();
        // The layout of GP (14.16): E(p), the blobs, the segments, then ↕J_0 each.
        let p = b.package.encode();
        assert_eq!(&bytes[..p.len()], &p[..]);
        let at = p.len() + 1010;
        assert_eq!(&bytes[p.len()..p.len() + 10], &[1; 10]);
        assert_eq!(&bytes[at..at + SEGMENT_SIZE], &[0; SEGMENT_SIZE]);
        let j = at + 3 * SEGMENT_SIZE;
        assert_eq!(bytes[j], 0);
        assert_eq!(bytes[j + 1], 1);
        assert_eq!(&bytes[j + 2..j + 34], &[3; 32]);
        assert_eq!(bytes.len(), j + 1 + 33 + 65);
        let d = decode_bundle(&bytes, &ChainSpec::TINY).unwrap();
        assert_eq!(d, b);
        d.verify_extrinsics().unwrap();
    }

    #[test]
    fn bad_bundles_are_errors() {
        let b = sample(100);
        let bytes = b.encode();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode_bundle(&bytes[..cut], &ChainSpec::TINY).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_bundle(&long, &ChainSpec::TINY).is_err());
        // A justification claiming more hashes than there are octets.
        let mut big = bytes.clone();
        let j = big.len() - 1 - 33 - 65;
        big[j] = 0x7f;
        assert!(decode_bundle(&big, &ChainSpec::TINY).is_err());
        let mut wrong = b.clone();
        wrong.extrinsics[0][0] ^= 1;
        let d = decode_bundle(&wrong.encode(), &ChainSpec::TINY).unwrap();
        assert_eq!(
            d.verify_extrinsics(),
            Err(DaError::ExtrinsicHash { index: 0 })
        );
        // Garbage never panics.
        let mut x: u64 = 0x1234_5678;
        for len in 0..300 {
            let g: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = decode_bundle(&g, &ChainSpec::FULL);
        }
    }
}
