//! The natural-number encoding `E(x)` of GP C.1 (equation C.6): one prefix byte whose leading
//! ones give the count `l` of little-endian bytes that follow, for `x < 2^64`.

use crate::{Decode, Encode, Error, Reader, Result};

/// The encoded length of `x` in bytes.
#[inline]
pub fn natural_len(x: u64) -> usize {
    if x < 1 << 56 {
        // l is the number of 7-bit groups beyond the first: 2^(7l) <= x < 2^(7(l+1)).
        let bits = 64 - x.leading_zeros() as usize;
        1 + bits.saturating_sub(1) / 7
    } else {
        9
    }
}

/// Appends `E(x)`.
#[inline]
pub fn encode_natural(x: u64, out: &mut Vec<u8>) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let n = natural_len(x);
    if n == 9 {
        out.push(0xff);
        out.extend_from_slice(&x.to_le_bytes());
        return;
    }
    let l = n - 1;
    let prefix = (0xffu16 << (8 - l)) as u8 | (x >> (8 * l)) as u8;
    out.push(prefix);
    out.extend_from_slice(&x.to_le_bytes()[..l]);
}

/// Reads `E(x)`, rejecting encodings longer than the canonical one.
#[inline]
pub fn decode_natural(r: &mut Reader<'_>) -> Result<u64> {
    let b = r.byte()?;
    if b < 0x80 {
        return Ok(b as u64);
    }
    let l = b.leading_ones() as usize;
    if l == 8 {
        let x = u64::from_le_bytes(r.take_array()?);
        if x < 1 << 56 {
            return Err(Error::NonCanonicalNatural);
        }
        return Ok(x);
    }
    let tail = r.take(l)?;
    let mut low = [0u8; 8];
    low[..l].copy_from_slice(tail);
    let high = (b & (0x7f >> l)) as u64;
    let x = u64::from_le_bytes(low) | (high << (8 * l));
    if x < 1 << (7 * l) {
        return Err(Error::NonCanonicalNatural);
    }
    Ok(x)
}

/// A wrapper that encodes an integer with `E` instead of its fixed width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Compact<T>(pub T);

impl<T: Copy + Into<u64>> Encode for Compact<T> {
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_natural(self.0.into(), out);
    }
    fn size_hint(&self) -> usize {
        natural_len(self.0.into())
    }
}

impl<T: TryFrom<u64>> Decode for Compact<T> {
    #[inline]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let x = decode_natural(r)?;
        T::try_from(x).map(Compact).map_err(|_| Error::OutOfRange {
            value: x,
            ty: std::any::type_name::<T>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeqLens;
    use proptest::prelude::*;

    fn enc(x: u64) -> Vec<u8> {
        let mut v = Vec::new();
        encode_natural(x, &mut v);
        v
    }

    #[test]
    fn known_encodings() {
        assert_eq!(enc(0), [0]);
        assert_eq!(enc(127), [127]);
        assert_eq!(enc(128), [0x80, 0x80]);
        assert_eq!(enc(0x3fff), [0xbf, 0xff]);
        assert_eq!(enc(0x4000), [0xc0, 0x00, 0x40]);
        assert_eq!(
            enc((1 << 56) - 1),
            [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(enc(1 << 56)[0], 0xff);
        assert_eq!(enc(u64::MAX).len(), 9);
    }

    #[test]
    fn rejects_non_canonical() {
        let mut r = Reader::new(&[0x80, 0x05], SeqLens::TINY);
        assert_eq!(decode_natural(&mut r), Err(Error::NonCanonicalNatural));
        let mut b = vec![0xff];
        b.extend_from_slice(&5u64.to_le_bytes());
        let mut r = Reader::new(&b, SeqLens::TINY);
        assert_eq!(decode_natural(&mut r), Err(Error::NonCanonicalNatural));
    }

    proptest! {
        #[test]
        fn roundtrip(x: u64) {
            let b = enc(x);
            prop_assert_eq!(b.len(), natural_len(x));
            let mut r = Reader::new(&b, SeqLens::TINY);
            prop_assert_eq!(decode_natural(&mut r), Ok(x));
            prop_assert_eq!(r.remaining(), 0);
        }

        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..12)) {
            let mut r = Reader::new(&b, SeqLens::TINY);
            if let Ok(x) = decode_natural(&mut r) {
                let used = b.len() - r.remaining();
                prop_assert_eq!(&enc(x)[..], &b[..used]);
            }
        }
    }
}
