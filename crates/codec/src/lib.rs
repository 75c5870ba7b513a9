//! JAM serialization, Gray Paper Appendix C.
//!
//! Two traits, [`Encode`] and [`Decode`], with derive macros of the same names. The encoding is
//! the GP's `E`: fixed-width little-endian integers (`E_l`), the natural-number (compact) encoding
//! for sequence length prefixes and `#[codec(compact)]` fields, sequences with a length prefix
//! (`↕x`) or without one where the length is known, optionals (`¿x`), dictionaries and choices.
//!
//! Decoding is total: malformed or truncated input yields an [`Error`], never a panic, and a
//! decoder never reserves more memory than the remaining input could fill.
//!
//! Some sequences have a length fixed by the chain parameters (the validator count `V`, the core
//! count `C`, the epoch length `E`, ...): those are encoded without a prefix, so the decoder
//! needs the parameters. A [`Reader`] carries them as [`SeqLens`].

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};

pub use marmalade_codec_derive::{Decode, Encode};

mod natural;
pub use natural::{decode_natural, encode_natural, natural_len, Compact};

/// Why a byte string is not the encoding of a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended before the value did.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} left")]
    UnexpectedEof {
        /// Bytes the decoder asked for.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A boolean byte other than 0 or 1.
    #[error("invalid boolean byte {0}")]
    InvalidBool(u8),
    /// An option or choice discriminator outside the type's variants.
    #[error("invalid discriminator {tag} for {ty}")]
    InvalidTag {
        /// The type being decoded.
        ty: &'static str,
        /// The discriminator byte found.
        tag: u8,
    },
    /// A natural number encoded with more bytes than needed (GP C.1 defines one encoding).
    #[error("non-canonical natural-number encoding")]
    NonCanonicalNatural,
    /// A natural number that does not fit the target integer type.
    #[error("value {value} out of range for {ty}")]
    OutOfRange {
        /// The decoded value.
        value: u64,
        /// The target type.
        ty: &'static str,
    },
    /// Dictionary keys or set items not strictly ascending (GP C: dictionaries are sorted).
    #[error("dictionary keys are not strictly ascending")]
    UnsortedKeys,
    /// Bytes left after the value was complete, where the whole input must be the value.
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    /// A value-specific rule was broken.
    #[error("invalid value: {0}")]
    Invalid(&'static str),
}

/// Result of decoding.
pub type Result<T> = std::result::Result<T, Error>;

/// Lengths of the sequences that the chain parameters fix, encoded without a length prefix.
///
/// The fields are named after the GP constants they carry; `types::ChainSpec` builds this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqLens {
    /// `V`: the number of validators.
    pub validators: usize,
    /// `C`: the number of cores.
    pub cores: usize,
    /// `E`: the epoch length in timeslots.
    pub epoch_length: usize,
    /// Two-thirds-plus-one super-majority of `V`: votes per verdict.
    pub validators_super_majority: usize,
    /// `⌈C / 8⌉`: bytes in an availability bitfield.
    pub avail_bitfield_bytes: usize,
}

impl SeqLens {
    /// The lengths for the tiny configuration (V = 6, C = 2, E = 12).
    pub const TINY: SeqLens = SeqLens {
        validators: 6,
        cores: 2,
        epoch_length: 12,
        validators_super_majority: 5,
        avail_bitfield_bytes: 1,
    };
    /// The lengths for the full configuration (V = 1023, C = 341, E = 600).
    pub const FULL: SeqLens = SeqLens {
        validators: 1023,
        cores: 341,
        epoch_length: 600,
        validators_super_majority: 683,
        avail_bitfield_bytes: 43,
    };
}

/// A cursor over the bytes being decoded, with the chain's sequence lengths.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    lens: SeqLens,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` for a chain with the given sequence lengths.
    pub fn new(buf: &'a [u8], lens: SeqLens) -> Self {
        Reader { buf, lens }
    }

    /// The chain's sequence lengths.
    #[inline]
    pub fn lens(&self) -> &SeqLens {
        &self.lens
    }

    /// Bytes not yet consumed.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unconsumed bytes.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Consumes exactly `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(Error::UnexpectedEof {
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Consumes `N` bytes into an array.
    #[inline]
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Consumes one byte.
    #[inline]
    pub fn byte(&mut self) -> Result<u8> {
        match self.buf.split_first() {
            Some((&b, tail)) => {
                self.buf = tail;
                Ok(b)
            }
            None => Err(Error::UnexpectedEof {
                needed: 1,
                remaining: 0,
            }),
        }
    }

    /// Fails unless all input was consumed.
    pub fn finish(&self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.buf.len()))
        }
    }

    /// Reads a natural-number-encoded sequence length (GP C.1), checked against the input left:
    /// every item takes at least one byte unless the type says otherwise, so a length larger than
    /// the remaining input is rejected before anything is allocated.
    pub fn seq_len(&mut self) -> Result<usize> {
        let n = decode_natural(self)?;
        usize::try_from(n).map_err(|_| Error::OutOfRange {
            value: n,
            ty: "usize",
        })
    }
}

/// A value with a JAM encoding.
pub trait Encode {
    /// Appends the encoding to `out`.
    fn encode_to(&self, out: &mut Vec<u8>);

    /// A lower bound on the encoded size, used to reserve the output buffer.
    fn size_hint(&self) -> usize {
        0
    }

    /// The encoding as a fresh vector.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        self.encode_to(&mut out);
        out
    }

    /// Encodes a slice of items back to back. Overridden for `u8` to copy in one go.
    #[doc(hidden)]
    fn encode_slice_to(items: &[Self], out: &mut Vec<u8>)
    where
        Self: Sized,
    {
        for item in items {
            item.encode_to(out);
        }
    }
}

/// A value that can be decoded from its JAM encoding.
pub trait Decode: Sized {
    /// Decodes one value, consuming its bytes from the reader.
    fn decode(r: &mut Reader<'_>) -> Result<Self>;

    /// Decodes `n` items back to back. Overridden for `u8` to copy in one go.
    #[doc(hidden)]
    fn decode_vec(r: &mut Reader<'_>, n: usize) -> Result<Vec<Self>> {
        let mut v = Vec::with_capacity(prealloc::<Self>(n, r.remaining()));
        for _ in 0..n {
            v.push(Self::decode(r)?);
        }
        Ok(v)
    }
    /// Decodes `N` items into an array. Overridden for `u8` (hashes, keys, signatures) to copy
    /// straight from the input without an intermediate vector.
    #[doc(hidden)]
    #[inline]
    fn decode_array<const N: usize>(r: &mut Reader<'_>) -> Result<[Self; N]> {
        let v = Self::decode_vec(r, N)?;
        // decode_vec returned exactly N items.
        v.try_into().map_err(|_| Error::Invalid("array length"))
    }
}

/// How many items of `T` to reserve for a sequence claiming `n` items with `remaining` input
/// bytes: never more than the input could hold (an item takes at least one byte) and never
/// more than 64 KiB up front, so a forged length cannot make the decoder allocate more than
/// the input justifies; the vector grows as items actually decode.
#[inline]
pub fn prealloc<T>(n: usize, remaining: usize) -> usize {
    const MAX_BYTES: usize = 64 * 1024;
    n.min(remaining)
        .min(MAX_BYTES / std::mem::size_of::<T>().max(1))
}

/// Decodes a value that must span all of `bytes`.
pub fn decode_all<T: Decode>(bytes: &[u8], lens: SeqLens) -> Result<T> {
    let mut r = Reader::new(bytes, lens);
    let v = T::decode(&mut r)?;
    r.finish()?;
    Ok(v)
}

/// Encodes a sequence without a length prefix (a sequence of known length, GP C).
#[inline]
pub fn encode_fixed_seq<T: Encode>(items: &[T], out: &mut Vec<u8>) {
    T::encode_slice_to(items, out);
}

/// Decodes a sequence of `n` items that carries no length prefix.
#[inline]
pub fn decode_fixed_seq<T: Decode>(r: &mut Reader<'_>, n: usize) -> Result<Vec<T>> {
    T::decode_vec(r, n)
}

/// Encodes a sequence with its natural-number length prefix (`↕x`, GP C).
#[inline]
pub fn encode_seq<T: Encode>(items: &[T], out: &mut Vec<u8>) {
    encode_natural(items.len() as u64, out);
    T::encode_slice_to(items, out);
}

/// Decodes a length-prefixed sequence (`↕x`).
#[inline]
pub fn decode_seq<T: Decode>(r: &mut Reader<'_>) -> Result<Vec<T>> {
    let n = r.seq_len()?;
    T::decode_vec(r, n)
}

macro_rules! fixed_int {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encode_to(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn size_hint(&self) -> usize {
                std::mem::size_of::<$t>()
            }
        }
        impl Decode for $t {
            #[inline]
            fn decode(r: &mut Reader<'_>) -> Result<Self> {
                Ok(<$t>::from_le_bytes(r.take_array()?))
            }
        }
    )*};
}
fixed_int!(u16, u32, u64, i8, i16, i32, i64);

impl Encode for u8 {
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn size_hint(&self) -> usize {
        1
    }
    fn encode_slice_to(items: &[Self], out: &mut Vec<u8>) {
        out.extend_from_slice(items);
    }
}

impl Decode for u8 {
    #[inline]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        r.byte()
    }
    fn decode_vec(r: &mut Reader<'_>, n: usize) -> Result<Vec<Self>> {
        Ok(r.take(n)?.to_vec())
    }
    #[inline]
    fn decode_array<const N: usize>(r: &mut Reader<'_>) -> Result<[Self; N]> {
        r.take_array::<N>()
    }
}

impl Encode for bool {
    fn encode_to(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
    fn size_hint(&self) -> usize {
        1
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::InvalidBool(b)),
        }
    }
}

impl Encode for () {
    fn encode_to(&self, _out: &mut Vec<u8>) {}
}

impl Decode for () {
    fn decode(_r: &mut Reader<'_>) -> Result<Self> {
        Ok(())
    }
    fn decode_vec(_r: &mut Reader<'_>, n: usize) -> Result<Vec<Self>> {
        // Zero-sized items: the length is not bounded by the input, so refuse absurd counts.
        if n > 1 << 20 {
            return Err(Error::Invalid("too many empty items"));
        }
        Ok(vec![(); n])
    }
}

impl<T: Encode, const N: usize> Encode for [T; N] {
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        T::encode_slice_to(self, out);
    }
    fn size_hint(&self) -> usize {
        self.iter().map(Encode::size_hint).sum()
    }
}

impl<T: Decode, const N: usize> Decode for [T; N] {
    #[inline]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        T::decode_array::<N>(r)
    }
}

impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_seq(self, out);
    }
    fn size_hint(&self) -> usize {
        natural_len(self.len() as u64) + self.iter().map(Encode::size_hint).sum::<usize>()
    }
}

impl<T: Decode> Decode for Vec<T> {
    #[inline]
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        decode_seq(r)
    }
}

impl<T: Encode + ?Sized> Encode for Box<T> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        (**self).encode_to(out);
    }
    fn size_hint(&self) -> usize {
        (**self).size_hint()
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        T::decode(r).map(Box::new)
    }
}

/// `¿x` (GP C): 0 for none, 1 followed by the value for some.
impl<T: Encode> Encode for Option<T> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode_to(out);
            }
        }
    }
    fn size_hint(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::size_hint)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(None),
            1 => T::decode(r).map(Some),
            tag => Err(Error::InvalidTag { ty: "Option", tag }),
        }
    }
}

/// Dictionaries (GP C): a length-prefixed sequence of key-value pairs in ascending key order.
impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_natural(self.len() as u64, out);
        for (k, v) in self {
            k.encode_to(out);
            v.encode_to(out);
        }
    }
}

impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.seq_len()?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = K::decode(r)?;
            let v = V::decode(r)?;
            if map.last_key_value().is_some_and(|(last, _)| *last >= k) {
                return Err(Error::UnsortedKeys);
            }
            map.insert(k, v);
        }
        Ok(map)
    }
}

/// Sets: a length-prefixed sequence in ascending order.
impl<T: Encode> Encode for BTreeSet<T> {
    fn encode_to(&self, out: &mut Vec<u8>) {
        encode_natural(self.len() as u64, out);
        for item in self {
            item.encode_to(out);
        }
    }
}

impl<T: Decode + Ord> Decode for BTreeSet<T> {
    fn decode(r: &mut Reader<'_>) -> Result<Self> {
        let n = r.seq_len()?;
        let mut set = BTreeSet::new();
        for _ in 0..n {
            let item = T::decode(r)?;
            if set.last().is_some_and(|last| *last >= item) {
                return Err(Error::UnsortedKeys);
            }
            set.insert(item);
        }
        Ok(set)
    }
}

macro_rules! tuple_codec {
    ($($name:ident),+) => {
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode_to(&self, out: &mut Vec<u8>) {
                let ($($name,)+) = self;
                $($name.encode_to(out);)+
            }
        }
        impl<$($name: Decode),+> Decode for ($($name,)+) {
            fn decode(r: &mut Reader<'_>) -> Result<Self> {
                Ok(($($name::decode(r)?,)+))
            }
        }
    };
}
tuple_codec!(A);
tuple_codec!(A, B);
tuple_codec!(A, B, C);
tuple_codec!(A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;

    fn dec<T: Decode>(b: &[u8]) -> Result<T> {
        decode_all(b, SeqLens::TINY)
    }

    #[test]
    fn fixed_ints_are_little_endian() {
        assert_eq!(0x0102_0304u32.encode(), vec![4, 3, 2, 1]);
        assert_eq!(dec::<u32>(&[4, 3, 2, 1]), Ok(0x0102_0304));
        assert!(matches!(
            dec::<u32>(&[1, 2]),
            Err(Error::UnexpectedEof { .. })
        ));
    }

    #[test]
    fn sequences_carry_a_natural_prefix() {
        let v: Vec<u16> = vec![1, 2];
        assert_eq!(v.encode(), vec![2, 1, 0, 2, 0]);
        assert_eq!(dec::<Vec<u16>>(&[2, 1, 0, 2, 0]), Ok(v));
        assert_eq!(dec::<Vec<u8>>(&[3, 9, 8, 7]), Ok(vec![9, 8, 7]));
    }

    #[test]
    fn huge_length_prefix_fails_without_allocating() {
        // 2^64-1 items claimed, nothing behind them.
        let mut b = vec![0xff];
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(dec::<Vec<u64>>(&b).is_err());
        assert!(dec::<Vec<u8>>(&b).is_err());
    }

    #[test]
    fn options_bools_and_trailing_bytes() {
        assert_eq!(Some(5u8).encode(), vec![1, 5]);
        assert_eq!(dec::<Option<u8>>(&[0]), Ok(None));
        assert_eq!(
            dec::<Option<u8>>(&[2]),
            Err(Error::InvalidTag {
                ty: "Option",
                tag: 2
            })
        );
        assert_eq!(dec::<bool>(&[2]), Err(Error::InvalidBool(2)));
        assert_eq!(dec::<u8>(&[1, 2]), Err(Error::TrailingBytes(1)));
    }

    #[test]
    fn dictionaries_must_be_sorted() {
        let mut m = BTreeMap::new();
        m.insert(2u8, 20u8);
        m.insert(1u8, 10u8);
        let b = m.encode();
        assert_eq!(b, vec![2, 1, 10, 2, 20]);
        assert_eq!(dec::<BTreeMap<u8, u8>>(&b), Ok(m));
        assert_eq!(
            dec::<BTreeMap<u8, u8>>(&[2, 2, 20, 1, 10]),
            Err(Error::UnsortedKeys)
        );
        assert_eq!(
            dec::<BTreeMap<u8, u8>>(&[2, 1, 20, 1, 10]),
            Err(Error::UnsortedKeys)
        );
    }
}
