//! The [`Message`] trait and the helpers the message modules share.

use marmalade_codec::{Decode, Reader};
use marmalade_types::ChainSpec;

use crate::{Error, Result};

/// One message of a JAMNP-S stream protocol: its content (what follows the size prefix), its
/// encoding and decoding, and the largest size a peer may send.
///
/// The method names differ from the codec's `Encode`/`Decode` so that both traits can be in
/// scope. Messages whose decoding needs more than the chain parameters (the extrinsic data of CE 133 and
/// CE 146 need the work-package, CE 144 evidence its announcement, CE 140 justifications the
/// segment-shard size) have inherent `decode` functions instead.
pub trait Message: Sized {
    /// The largest content a peer may send for this message on a chain with these parameters
    /// (see [`limits`](crate::limits)); give it to
    /// [`MessageReader::set_max_size`](crate::MessageReader::set_max_size) before reading it.
    fn max_size(spec: &ChainSpec) -> usize;

    /// Appends the content to `out`.
    fn write_to(&self, out: &mut Vec<u8>);

    /// Decodes the message from the reader, consuming what it spans. Sequences whose length is
    /// "implied by the message size" consume the rest of the input.
    fn read_from(r: &mut Reader<'_>, spec: &ChainSpec) -> Result<Self>;

    /// The content as a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Decodes a message that must span all of `bytes`. Total: malformed input is an error, and
    /// nothing is allocated beyond what `bytes` holds.
    fn from_bytes(bytes: &[u8], spec: &ChainSpec) -> Result<Self> {
        let mut r = Reader::new(bytes, spec.seq_lens());
        let m = Self::read_from(&mut r, spec)?;
        r.finish()?;
        Ok(m)
    }
}

/// Implements [`Message`] for a type whose content is its codec encoding, given its bound.
macro_rules! codec_message {
    ($ty:ty, |$spec:ident| $max:expr) => {
        impl $crate::Message for $ty {
            fn max_size($spec: &::marmalade_types::ChainSpec) -> usize {
                let _ = $spec;
                $max
            }
            fn write_to(&self, out: &mut Vec<u8>) {
                ::marmalade_codec::Encode::encode_to(self, out);
            }
            fn read_from(
                r: &mut ::marmalade_codec::Reader<'_>,
                _spec: &::marmalade_types::ChainSpec,
            ) -> $crate::Result<Self> {
                Ok(<$ty as ::marmalade_codec::Decode>::decode(r)?)
            }
        }
    };
}
pub(crate) use codec_message;

/// Decodes items until the input ends ("a sequence whose length is implied by the message
/// size"), refusing more than `max` of them. The vector grows only as items decode, so its size
/// follows the input.
pub(crate) fn decode_to_end<T>(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    while r.remaining() > 0 {
        if out.len() == max {
            return Err(Error::TooMany {
                what,
                count: max.saturating_add(1),
                max,
            });
        }
        out.push(item(r)?);
    }
    Ok(out)
}

/// Decodes a length-prefixed sequence, refusing a declared length above `max` before anything is
/// allocated.
pub(crate) fn decode_bounded_seq<T: Decode>(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
) -> Result<Vec<T>> {
    let n = r.seq_len()?;
    if n > max {
        return Err(Error::TooMany {
            what,
            count: n,
            max,
        });
    }
    Ok(marmalade_codec::decode_fixed_seq(r, n)?)
}

/// Splits the rest of the input into items of `size` octets, at most `max` of them.
pub(crate) fn take_fixed_items<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    size: usize,
    max: usize,
) -> Result<&'a [u8]> {
    let rest = r.rest();
    if size == 0 || !rest.len().is_multiple_of(size) {
        return Err(Error::Invalid(what));
    }
    let count = rest.len() / size;
    if count > max {
        return Err(Error::TooMany { what, count, max });
    }
    Ok(r.take(rest.len())?)
}
