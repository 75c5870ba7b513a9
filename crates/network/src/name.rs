//! Peer names and protocol identifiers: the certificate's alternative name $N(k)$ and the ALPN
//! protocol identifier (JAMNP-S, "Alternative name" and "ALPN").

use marmalade_types::Ed25519Public;

/// The alphabet of $B$: RFC 4648's base-32 alphabet in lower case.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The length of $N(k)$: "e" and $B$'s 52 digits (52 × 5 = 260 ≥ 256 bits).
pub const NAME_LEN: usize = 53;

/// $N(k) = \text{"e"} \frown B(\mathcal{E}_{32}^{-1}(k), 52)$: the key read as a little-endian
/// 256-bit number, written as 52 base-32 digits, least significant digit first.
pub fn node_name(key: &Ed25519Public) -> String {
    let mut out = String::with_capacity(NAME_LEN);
    out.push('e');
    // Octets enter `acc` above the bits not yet written; digits leave from the bottom, so the
    // digits come out in order of significance, as $B$'s `n mod 32` first.
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in key {
        acc |= u32::from(b) << bits;
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[(acc & 31) as usize]));
            acc >>= 5;
            bits -= 5;
        }
    }
    // 256 = 51 × 5 + 1: the 52nd digit holds the key's top bit (and four zero bits).
    out.push(char::from(ALPHABET[(acc & 31) as usize]));
    out
}

/// The protocol version `V` of the ALPN identifier.
pub const PROTOCOL_VERSION: u8 = 0;

/// The ALPN protocol identifier `jamnp-s/V/H` (or `jamnp-s/V/H/builder`), where `H` is the first
/// 8 nibbles of the genesis header hash in lower-case hexadecimal.
pub fn alpn(genesis_header_hash: &[u8; 32], builder: bool) -> Vec<u8> {
    let mut s = format!("jamnp-s/{PROTOCOL_VERSION}/");
    for b in &genesis_header_hash[..4] {
        s.push_str(&format!("{b:02x}"));
    }
    if builder {
        s.push_str("/builder");
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys whose names follow from $B$'s definition by hand.
    #[test]
    fn names_derived_by_hand() {
        // n = 0: 52 zero digits.
        assert_eq!(node_name(&[0; 32]), format!("e{}", "a".repeat(52)));
        // n = 1: the least significant digit, written first, is 1 ("b").
        let mut k = [0u8; 32];
        k[0] = 1;
        assert_eq!(node_name(&k), format!("eb{}", "a".repeat(51)));
        // n = 32 + 5 = 37: digits 5 ("f") then 1 ("b").
        k[0] = 37;
        assert_eq!(node_name(&k), format!("efb{}", "a".repeat(50)));
        // n = 2^8 (k_1 = 1): 256 = 8 × 32, digits 0 then 8 ("i").
        let mut k = [0u8; 32];
        k[1] = 1;
        assert_eq!(node_name(&k), format!("eai{}", "a".repeat(50)));
        // n = 2^255: 255 = 51 × 5, so digit 51 (the last) is 1.
        let mut k = [0u8; 32];
        k[31] = 0x80;
        assert_eq!(node_name(&k), format!("e{}b", "a".repeat(51)));
        // All ones: 51 digits of 31 ("7") and the top bit.
        assert_eq!(node_name(&[0xff; 32]), format!("e{}b", "7".repeat(51)));
    }

    /// JIP-4's example bootnode names decode (by an independent big-integer reading) to keys
    /// whose $N$ is the name again.
    #[test]
    fn jip4_example_names_round_trip() {
        for name in [
            "evysk4p563r2kappaebqykryquxw5lfcclvf23dqqhi5n765h4kkb",
            "egy5qba5fyjf7hn7bxeroo7ncqfk5otxvo6or77k23o6pjqnxdoxb",
        ] {
            // Read the digits as a number, most significant (last) first: n = n * 32 + d.
            let mut n = [0u8; 33];
            for c in name[1..].bytes().rev() {
                let d = ALPHABET.iter().position(|&a| a == c).unwrap() as u16;
                let mut carry = d;
                for byte in n.iter_mut() {
                    let v = u16::from(*byte) * 32 + carry;
                    *byte = v as u8;
                    carry = v >> 8;
                }
            }
            assert_eq!(n[32], 0, "{name} is a 256-bit number");
            let key: [u8; 32] = n[..32].try_into().unwrap();
            assert_eq!(node_name(&key), name);
        }
    }

    /// A pair printed by typeberry 0.11 (`Peer id: ** <name>@... ** (pubkey: 0x...)`).
    #[test]
    fn typeberry_peer_id() {
        let mut key = [0u8; 32];
        let hex = "fcc62391ffaac31b042b466ab4bcbd8e33a0a65a891378bc930b64de1cd78021";
        for (i, k) in key.iter_mut().enumerate() {
            *k = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        assert_eq!(
            node_name(&key),
            "e4xrhsi67k5qxbcmfgs2il6wxo4maktklj4eqh6oslaz4no42amia"
        );
    }

    #[test]
    fn alpn_identifiers() {
        let mut h = [0u8; 32];
        h[..5].copy_from_slice(&[0x2b, 0xf1, 0x1d, 0xc5, 0xff]);
        assert_eq!(alpn(&h, false), b"jamnp-s/0/2bf11dc5");
        assert_eq!(alpn(&h, true), b"jamnp-s/0/2bf11dc5/builder");
    }
}
