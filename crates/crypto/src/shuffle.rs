//! The Fisher-Yates shuffle of GP appendix F.

use crate::hash::{blake2b_256, Hash};

/// `Q_l(h)` (GP (F.2)): `l` 32-bit numbers from a hash, the `i`-th being bytes
/// `4i mod 32 .. +4` (little-endian) of `H(h ++ E_4(⌊i/8⌋))`.
pub fn sequence_from_hash(len: usize, h: &Hash) -> Vec<u32> {
    let mut out = Vec::with_capacity(len);
    let mut preimage = [0u8; 36];
    preimage[..32].copy_from_slice(h);
    for block in 0..len.div_ceil(8) {
        preimage[32..].copy_from_slice(&(block as u32).to_le_bytes());
        let digest = blake2b_256(&preimage);
        for word in digest.chunks_exact(4).take(len - block * 8) {
            out.push(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        }
    }
    out
}

/// `F(s, r)` (GP (F.1)): takes `s[r_0 mod l]`, moves the last item into its place and goes on
/// with the first `l - 1` items and `r_1..`.
///
/// # Panics
/// If `numbers` is shorter than `items`.
pub fn shuffle_with_numbers<T>(mut items: Vec<T>, numbers: &[u32]) -> Vec<T> {
    assert!(
        numbers.len() >= items.len(),
        "shuffle needs one number per item ({} < {})",
        numbers.len(),
        items.len()
    );
    let mut out = Vec::with_capacity(items.len());
    for &r in numbers {
        let l = items.len();
        if l == 0 {
            break;
        }
        // `swap_remove` is exactly `s' = s exc s'[r mod l] = s[l-1]`, then dropping the last.
        out.push(items.swap_remove(r as usize % l));
    }
    out
}

/// `F(s, h)` (GP (F.3)): the shuffle of `items` by the numbers `Q_l(h)`.
pub fn shuffle<T>(items: Vec<T>, entropy: &Hash) -> Vec<T> {
    let numbers = sequence_from_hash(items.len(), entropy);
    shuffle_with_numbers(items, &numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_vector() {
        // shuffle_tests.json: input 8, entropy ff..ff.
        let out = shuffle((0u32..8).collect(), &[0xff; 32]);
        assert_eq!(out, vec![1, 2, 6, 0, 7, 4, 3, 5]);
    }

    #[test]
    fn small_cases() {
        assert!(shuffle(Vec::<u8>::new(), &[0; 32]).is_empty());
        assert_eq!(shuffle(vec!['a'], &[9; 32]), vec!['a']);
        // [0, 1, 2]: take s[1] = 1, the last moves in: [0, 2]; take s[0] = 0; then 2.
        assert_eq!(
            shuffle_with_numbers(vec![0, 1, 2], &[1, 0, 0]),
            vec![1, 0, 2]
        );
    }

    #[test]
    fn is_permutation_and_sequence_prefix_stable() {
        let h = blake2b_256(b"entropy");
        let mut out = shuffle((0u16..1023).collect(), &h);
        out.sort_unstable();
        assert_eq!(out, (0u16..1023).collect::<Vec<_>>());
        let long = sequence_from_hash(20, &h);
        assert_eq!(&long[..13], &sequence_from_hash(13, &h)[..]);
    }
}
