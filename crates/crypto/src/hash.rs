//! Hash functions (GP 3.8.1): `H` is Blake2b-256, `H_K` is Keccak-256 (Ethereum's, not SHA3).

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use sha3::Keccak256;

/// A 32-byte hash.
pub type Hash = [u8; 32];

type Blake2b256 = Blake2b<U32>;

/// `H(data)`: Blake2b with a 256-bit output.
#[inline]
pub fn blake2b_256(data: &[u8]) -> Hash {
    Blake2b256::digest(data).into()
}

/// `H(a ++ b ++ ...)` without building the concatenation.
#[inline]
pub fn blake2b_256_concat(parts: &[&[u8]]) -> Hash {
    let mut h = Blake2b256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `H_K(data)`: Keccak-256.
#[inline]
pub fn keccak_256(data: &[u8]) -> Hash {
    Keccak256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            hex(&blake2b_256(b"")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
        assert_eq!(
            hex(&keccak_256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(blake2b_256_concat(&[b"ab", b"c"]), blake2b_256(b"abc"));
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
