//! JSON form of octet strings, as in the conformance vectors: `"0x"` followed by lowercase hex.
//!
//! Use `#[serde(with = "crate::serde_hex")]` (or one of the aliases [`bytes`], [`array`], [`seq`],
//! [`option`]) on any field whose type implements [`HexSerde`]: byte vectors `Vec<u8>`, byte
//! arrays `[u8; N]`, and — recursively — `Option`s, `Vec`s and arrays of those (for example
//! `Vec<[u8; 32]>`, `Vec<Option<[u8; 32]>>` or `[[u8; 32]; 4]`). Deserialization accepts the
//! hex digits with or without the `0x` prefix, in either case.

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// A value with a hex-string JSON form.
pub trait HexSerde: Sized {
    /// Serializes as a hex string (or a structure of hex strings).
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// Deserializes from a hex string (or a structure of hex strings).
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// Serializes `v` in hex form; for `#[serde(with = "serde_hex")]`.
pub fn serialize<T: HexSerde, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.serialize_hex(s)
}

/// Deserializes a hex-form value; for `#[serde(with = "serde_hex")]`.
pub fn deserialize<'de, T: HexSerde, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize_hex(d)
}

/// `"0x"` followed by the lowercase hex digits of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    s.push_str(&hex::encode(bytes));
    s
}

fn strip(s: &str) -> &str {
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s)
}

/// Parses hex digits, with or without a `0x` prefix.
pub fn from_hex(s: &str) -> Result<Vec<u8>, hex::FromHexError> {
    hex::decode(strip(s))
}

/// Parses exactly `N` bytes of hex digits, with or without a `0x` prefix.
pub fn from_hex_array<const N: usize>(s: &str) -> Result<[u8; N], hex::FromHexError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(strip(s), &mut out)?;
    Ok(out)
}

/// Serializes a reference through its [`HexSerde`] form.
pub struct Hex<'a, T>(pub &'a T);

impl<T: HexSerde> Serialize for Hex<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_hex(s)
    }
}

/// Deserializes a value through its [`HexSerde`] form.
pub struct FromHex<T>(pub T);

impl<'de, T: HexSerde> Deserialize<'de> for FromHex<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize_hex(d).map(FromHex)
    }
}

struct BytesVisitor;

impl Visitor<'_> for BytesVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a 0x-prefixed hex string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        from_hex(v).map_err(|e| E::custom(format_args!("bad hex string: {e}")))
    }
}

struct ArrayVisitor<const N: usize>;

impl<const N: usize> Visitor<'_> for ArrayVisitor<N> {
    type Value = [u8; N];
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a 0x-prefixed hex string of {N} bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<[u8; N], E> {
        from_hex_array(v).map_err(|e| {
            E::custom(format_args!(
                "bad hex string for {N} bytes ({} digits): {e}",
                strip(v).len()
            ))
        })
    }
}

impl HexSerde for Vec<u8> {
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(self))
    }
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(BytesVisitor)
    }
}

impl<const N: usize> HexSerde for [u8; N] {
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(self))
    }
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ArrayVisitor::<N>)
    }
}

impl<T: HexSerde> HexSerde for Option<T> {
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            None => s.serialize_none(),
            Some(v) => s.serialize_some(&Hex(v)),
        }
    }
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<FromHex<T>>::deserialize(d)?.map(|v| v.0))
    }
}

fn serialize_items<'a, T: HexSerde + 'a, S: Serializer>(
    items: impl ExactSizeIterator<Item = &'a T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&Hex(item))?;
    }
    seq.end()
}

struct SeqVisitor<T>(PhantomData<T>);

impl<'de, T: HexSerde> Visitor<'de> for SeqVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of hex strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(FromHex(v)) = seq.next_element::<FromHex<T>>()? {
            out.push(v);
        }
        Ok(out)
    }
}

impl<T: HexSerde> HexSerde for Vec<T> {
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_items(self.iter(), s)
    }
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SeqVisitor(PhantomData))
    }
}

impl<T: HexSerde, const N: usize> HexSerde for [T; N] {
    fn serialize_hex<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_items(self.iter(), s)
    }
    fn deserialize_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<T> = d.deserialize_seq(SeqVisitor(PhantomData))?;
        let n = v.len();
        v.try_into()
            .map_err(|_| de::Error::invalid_length(n, &format!("{N} items").as_str()))
    }
}

/// Alias of the parent module for `Vec<u8>` fields: `#[serde(with = "serde_hex::bytes")]`.
pub mod bytes {
    pub use super::{deserialize, serialize};
}

/// Alias of the parent module for `[u8; N]` fields: `#[serde(with = "serde_hex::array")]`.
pub mod array {
    pub use super::{deserialize, serialize};
}

/// Alias of the parent module for sequences of byte strings (`Vec<[u8; 32]>`, ...).
pub mod seq {
    pub use super::{deserialize, serialize};
}

/// Alias of the parent module for optional byte strings (`Option<[u8; 32]>`, ...).
pub mod option {
    pub use super::{deserialize, serialize};
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct T {
        #[serde(with = "crate::serde_hex::bytes")]
        b: Vec<u8>,
        #[serde(with = "crate::serde_hex::array")]
        a: [u8; 2],
        #[serde(with = "crate::serde_hex::seq")]
        s: Vec<Option<[u8; 1]>>,
        #[serde(with = "crate::serde_hex")]
        f: [[u8; 1]; 2],
    }

    #[test]
    fn hex_forms_round_trip() {
        let t = T {
            b: vec![],
            a: [0xab, 0x01],
            s: vec![None, Some([0xff])],
            f: [[1], [2]],
        };
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(
            j,
            r#"{"b":"0x","a":"0xab01","s":[null,"0xff"],"f":["0x01","0x02"]}"#
        );
        assert_eq!(serde_json::from_str::<T>(&j).unwrap(), t);
        let upper = r#"{"b":"0X0A","a":"AB01","s":[],"f":["0x01","0x02"]}"#;
        assert_eq!(serde_json::from_str::<T>(upper).unwrap().b, vec![10]);
        assert!(
            serde_json::from_str::<T>(r#"{"b":"0x","a":"0xab","s":[],"f":["0x01","0x02"]}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<T>(r#"{"b":"0x","a":"0xab01","s":[],"f":["0x01"]}"#).is_err()
        );
    }
}
