//! Merkle mountain ranges and belts (GP §E.2, (E.8)–(E.10)).
//!
//! An MMR is a sequence of optional peaks, peak `i` being the root of a perfect tree of `2^i`
//! items. [`MmrExt::append_with`] is the GP's `A` (GP (E.8)), [`MmrExt::super_peak`] its `M_R` (GP (E.10)), and
//! the JAM encoding is `E_M(b) = E(↕[¿x | x <- b])` (GP (E.9)), derived here as a length-prefixed
//! sequence of optional hashes. The JSON form is that of the conformance vectors:
//! `{"peaks": [null, "0x…"]}`.
//!
//! The recent-history belt (GP 7) appends with Keccak-256 (`A(b, r, H_K)`); [`MmrExt::append`]
//! does that.

use marmalade_codec::Encode;
use marmalade_crypto::hash::{keccak_256, Hash};

/// The MMR type of the state (`marmalade_types::Mmr`, with its codec and JSON forms); this
/// module gives it its operations through [`MmrExt`].
pub use marmalade_types::Mmr;

/// The prefix of a super-peak node's preimage (GP (E.10), `$peak`).
pub const PEAK_PREFIX: &[u8] = b"peak";

/// The operations of a Merkle mountain range: `peaks[i]` is the root of `2^i` items, or `None`
/// (GP §E.2).
pub trait MmrExt {
    /// The empty range.
    fn new() -> Self;
    /// `A(r, l, H)` (GP (E.8)): appends `leaf`, merging equal-height mountains with
    /// `H(peak ⌢ carry)`.
    fn append_with(&mut self, leaf: Hash, hash: impl Fn(&[u8]) -> Hash);
    /// `A(r, l, H_K)`: appends with Keccak-256, as the accumulation-output belt does (GP 7.3).
    fn append(&mut self, leaf: Hash);
    /// A copy with `leaf` appended (Keccak-256).
    fn appended(&self, leaf: Hash) -> Self;
    /// `M_R(b)` (GP (E.10)): the zero hash for no peaks, the single peak, or
    /// `H_K("peak" ⌢ M_R(h[..n-1]) ⌢ h[n-1])` over the present peaks `h`.
    fn super_peak(&self) -> Hash;
    /// `M_R` with another hash function.
    fn super_peak_with(&self, hash: impl Fn(&[u8]) -> Hash) -> Hash;
    /// `E_M(b)` (GP (E.9)): the JAM encoding.
    fn encode_mmr(&self) -> Vec<u8>;
    /// The number of items appended so far (each present peak `i` holds `2^i`).
    fn leaf_count(&self) -> u64;
}

impl MmrExt for Mmr {
    fn new() -> Self {
        Self::default()
    }

    fn append_with(&mut self, leaf: Hash, hash: impl Fn(&[u8]) -> Hash) {
        let mut carry = leaf;
        for peak in self.peaks.iter_mut() {
            match peak.take() {
                None => {
                    *peak = Some(carry);
                    return;
                }
                Some(p) => {
                    let mut buf = [0u8; 64];
                    buf[..32].copy_from_slice(&p);
                    buf[32..].copy_from_slice(&carry);
                    carry = hash(&buf);
                }
            }
        }
        self.peaks.push(Some(carry));
    }

    fn append(&mut self, leaf: Hash) {
        self.append_with(leaf, keccak_256)
    }

    fn appended(&self, leaf: Hash) -> Self {
        let mut m = self.clone();
        m.append(leaf);
        m
    }

    fn super_peak(&self) -> Hash {
        self.super_peak_with(keccak_256)
    }

    fn super_peak_with(&self, hash: impl Fn(&[u8]) -> Hash) -> Hash {
        let mut present = self.peaks.iter().flatten();
        let Some(first) = present.next() else {
            return [0; 32];
        };
        let mut acc = *first;
        let mut buf = [0u8; 68];
        buf[..4].copy_from_slice(PEAK_PREFIX);
        for p in present {
            buf[4..36].copy_from_slice(&acc);
            buf[36..].copy_from_slice(p);
            acc = hash(&buf);
        }
        acc
    }

    fn encode_mmr(&self) -> Vec<u8> {
        self.encode()
    }

    fn leaf_count(&self) -> u64 {
        self.peaks
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .map(|(i, _)| 1u64 << i)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marmalade_codec::{decode_all, SeqLens};

    fn h(s: &str) -> Hash {
        let mut o = [0; 32];
        hex::decode_to_slice(s, &mut o).unwrap();
        o
    }

    #[test]
    fn append_merges_like_a_binary_counter() {
        let mut m = Mmr::new();
        let leaves: Vec<Hash> = (0..7u8).map(|i| [i; 32]).collect();
        for l in &leaves {
            m.append(*l);
        }
        assert_eq!(m.leaf_count(), 7);
        let k = |a: &Hash, b: &Hash| keccak_256(&[&a[..], &b[..]].concat());
        let p1 = k(&leaves[4], &leaves[5]);
        let p2 = k(&k(&leaves[0], &leaves[1]), &k(&leaves[2], &leaves[3]));
        assert_eq!(m.peaks, vec![Some(leaves[6]), Some(p1), Some(p2)]);
        // M_R folds from the smallest mountain up.
        let peak = |a: &Hash, b: &Hash| keccak_256(&[b"peak", &a[..], &b[..]].concat());
        assert_eq!(m.super_peak(), peak(&peak(&leaves[6], &p1), &p2));
        assert_eq!(Mmr::new().super_peak(), [0; 32]);
        let one = Mmr::new().appended(leaves[0]);
        assert_eq!(one.super_peak(), leaves[0]);
    }

    /// The history STF vectors (tiny, progress_blocks_history-2 and -4): the post-state peaks
    /// and the super-peak recorded as the block's `beefy_root`.
    #[test]
    fn history_vector_cases() {
        let mut m = Mmr {
            peaks: vec![Some(h(
                "8720b97ddd6acc0f6eb66e095524038675a4e4067adc10ec39939eaefc47d842",
            ))],
        };
        m.append(h(
            "7507515a48439dc58bc318c48a120b656136699f42bfd2bd45473becba53462d",
        ));
        let p = h("7076c31882a5953e097aef8378969945e72807c4705e53a0c5aacc9176f0d56b");
        assert_eq!(m.peaks, vec![None, Some(p)]);
        assert_eq!(m.super_peak(), p);

        let big = h("658b919f734bd39262c10589aa1afc657471d902a6a361c044f78de17d660bc6");
        let mut m = Mmr {
            peaks: vec![None, None, None, Some(big)],
        };
        let leaf = h("a983417440b618f29ed0b7fa65212fce2d363cb2b2c18871a05c4f67217290b0");
        m.append(leaf);
        assert_eq!(m.peaks, vec![Some(leaf), None, None, Some(big)]);
        assert_eq!(
            m.super_peak(),
            h("ebdb6db060afceaa2a99a499a84476847444ffc3787f6a4786e713f5362dbf4d")
        );
    }

    #[test]
    fn codec_and_json() {
        let m = Mmr {
            peaks: vec![None, Some([0xab; 32])],
        };
        let b = m.encode();
        let mut expect = vec![2, 0, 1];
        expect.extend_from_slice(&[0xab; 32]);
        assert_eq!(b, expect);
        assert_eq!(decode_all::<Mmr>(&b, SeqLens::TINY), Ok(m.clone()));
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, format!("{{\"peaks\":[null,\"0x{}\"]}}", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<Mmr>(&j).unwrap(), m);
        assert!(serde_json::from_str::<Mmr>("{\"peaks\":[\"0x12\"]}").is_err());
    }
}
