//! JAM protocol types (Gray Paper 0.7.2), one plain Rust type per type of the conformance
//! vectors' ASN.1 schema (`jam-types.asn`).
//!
//! Every type has:
//! - the GP binary encoding (Appendix C) through [`marmalade_codec::Encode`] and
//!   [`marmalade_codec::Decode`]; sequences whose length the chain parameters fix are encoded
//!   without a length prefix, so decode with the [`SeqLens`](marmalade_codec::SeqLens) of the
//!   right [`ChainSpec`] ([`ChainSpec::seq_lens`]);
//! - the JSON form of the vectors through serde: `snake_case` field names, octet strings as
//!   `"0x…"` hex ([`serde_hex`]), numbers as JSON numbers, options as `null`.
//!
//! Modules: [`spec`] (chain parameters), [`constants`] (fixed GP constants), [`primitives`]
//! (hashes, keys, indices), [`safrole`] (validator keys, tickets, entropy), [`header`],
//! [`extrinsic`] (and [`Block`]), [`work`] (packages, reports), [`state`] (state components),
//! [`statistics`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Declares a newtype over a `Vec` whose length a chain parameter fixes: encoded without a
/// length prefix (`#[codec(len = ...)]`), serialized to JSON as the plain array, and
/// dereferencing to the `Vec`.
macro_rules! param_seq {
    (
        $(#[$meta:meta])*
        $name:ident($item:ty), len = $len:ident $(, serde_with = $with:tt)?
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, Default,
            ::marmalade_codec::Encode, ::marmalade_codec::Decode,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(
            #[codec(len = $len)]
            $(#[serde(with = $with)])?
            pub Vec<$item>,
        );

        impl ::std::ops::Deref for $name {
            type Target = Vec<$item>;
            fn deref(&self) -> &Vec<$item> {
                &self.0
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Vec<$item> {
                &mut self.0
            }
        }

        impl From<Vec<$item>> for $name {
            fn from(v: Vec<$item>) -> Self {
                $name(v)
            }
        }

        impl From<$name> for Vec<$item> {
            fn from(v: $name) -> Self {
                v.0
            }
        }

        impl<'a> IntoIterator for &'a $name {
            type Item = &'a $item;
            type IntoIter = ::std::slice::Iter<'a, $item>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.iter()
            }
        }

        impl IntoIterator for $name {
            type Item = $item;
            type IntoIter = ::std::vec::IntoIter<$item>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }
    };
}

pub mod constants;
pub mod extrinsic;
pub mod header;
pub mod primitives;
pub mod safrole;
pub mod serde_hex;
pub mod spec;
pub mod state;
pub mod statistics;
pub mod work;

pub use extrinsic::*;
pub use header::*;
pub use primitives::*;
pub use safrole::*;
pub use spec::{ChainSpec, UnknownChainSpec};
pub use state::*;
pub use statistics::*;
pub use work::*;

pub use marmalade_codec::{decode_all, Decode, Encode, SeqLens};
