//! Readable descriptions of state keys and values (which component, account info or service
//! item a key is), and the key-level difference of two key/value lists, for diff messages.

use crate::key::{classify, item_hash_prefix, preimage_key, KeyKind, StateKey};
use marmalade_crypto::blake2b_256;
use std::collections::BTreeMap;

/// A readable description of a state key: its hex and which component, account info or
/// service item it is (GP (D.1)). The kind of a service item (storage, preimage or lookup)
/// is hashed into its key; [`describe_key_value`] can tell preimages from their value.
pub fn describe_key(key: &StateKey) -> String {
    format!("0x{} {}", hex::encode(key), classify(key))
}

/// Like [`describe_key`], but names a service item a preimage when the key is
/// $C(s, \mathcal{E}_4(2^{32}-2) \frown \mathcal{H}(v))$ for its value $v$, which only a
/// preimage entry satisfies.
pub fn describe_key_value(key: &StateKey, value: &[u8]) -> String {
    match classify(key) {
        KeyKind::ServiceItem(s) if preimage_key(s, &blake2b_256(value)) == *key => format!(
            "0x{} C({s}, h) preimage of 0x{} ({} octets) of service {s}",
            hex::encode(key),
            hex::encode(blake2b_256(value)),
            value.len()
        ),
        KeyKind::ServiceItem(s) => format!(
            "0x{} C({s}, h) storage or lookup item of service {s} (H(h) = 0x{}..)",
            hex::encode(key),
            hex::encode(item_hash_prefix(key))
        ),
        _ => describe_key(key),
    }
}

/// One difference between two serialized states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValueDiff {
    /// The key is only in the expected state.
    Missing(StateKey, Vec<u8>),
    /// The key is only in the actual state.
    Unexpected(StateKey, Vec<u8>),
    /// The key is in both, with different values: expected, then actual.
    Changed(StateKey, Vec<u8>, Vec<u8>),
}

impl std::fmt::Display for KeyValueDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValueDiff::Missing(k, v) => {
                write!(f, "missing {} = {}", describe_key_value(k, v), short_hex(v))
            }
            KeyValueDiff::Unexpected(k, v) => {
                write!(
                    f,
                    "unexpected {} = {}",
                    describe_key_value(k, v),
                    short_hex(v)
                )
            }
            KeyValueDiff::Changed(k, e, a) => write!(
                f,
                "{}: expected {}, got {}",
                describe_key_value(k, e),
                short_hex(e),
                short_hex(a)
            ),
        }
    }
}

fn short_hex(v: &[u8]) -> String {
    const MAX: usize = 48;
    if v.len() <= MAX {
        format!("0x{}", hex::encode(v))
    } else {
        format!("0x{}.. ({} octets)", hex::encode(&v[..MAX]), v.len())
    }
}

/// The differences between two serialized states, by key.
pub fn diff_key_values<'a>(
    expected: impl IntoIterator<Item = (&'a StateKey, &'a [u8])>,
    actual: impl IntoIterator<Item = (&'a StateKey, &'a [u8])>,
) -> Vec<KeyValueDiff> {
    let e: BTreeMap<&StateKey, &[u8]> = expected.into_iter().collect();
    let mut a: BTreeMap<&StateKey, &[u8]> = actual.into_iter().collect();
    let mut out = Vec::new();
    for (k, ev) in e {
        match a.remove(k) {
            None => out.push(KeyValueDiff::Missing(*k, ev.to_vec())),
            Some(av) if av != ev => out.push(KeyValueDiff::Changed(*k, ev.to_vec(), av.to_vec())),
            Some(_) => {}
        }
    }
    out.extend(
        a.into_iter()
            .map(|(k, v)| KeyValueDiff::Unexpected(*k, v.to_vec())),
    );
    out.sort_by_key(|d| match d {
        KeyValueDiff::Missing(k, _)
        | KeyValueDiff::Unexpected(k, _)
        | KeyValueDiff::Changed(k, _, _) => *k,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{storage_key, Component};

    #[test]
    fn descriptions() {
        let d = describe_key(&Component::Safrole.key());
        assert!(d.starts_with("0x04000000"), "{d}");
        assert!(d.contains("C(4) γ"), "{d}");
        assert!(describe_key(&crate::key::service_info_key(7)).contains("service 7"));
        let p = b"preimage".to_vec();
        let k = preimage_key(3, &blake2b_256(&p));
        assert!(describe_key_value(&k, &p).contains("preimage"));
        let k = storage_key(3, b"a");
        assert!(describe_key_value(&k, b"v").contains("storage or lookup"));
    }

    #[test]
    fn key_value_diffs() {
        let (a, b, c) = ([1; 31], [2; 31], [3; 31]);
        let e = [(&a, &[1u8][..]), (&b, &[2u8][..])];
        let g = [(&b, &[9u8][..]), (&c, &[3u8][..])];
        let d = diff_key_values(e, g);
        assert_eq!(
            d,
            vec![
                KeyValueDiff::Missing(a, vec![1]),
                KeyValueDiff::Changed(b, vec![2], vec![9]),
                KeyValueDiff::Unexpected(c, vec![3]),
            ]
        );
        assert!(d[1].to_string().contains("expected 0x02, got 0x09"));
    }
}
