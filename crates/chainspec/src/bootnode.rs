//! JIP-4 bootnodes: `<name>@<ip>:<port>`, where `<name>` is the node's JAMNP-S DNS name,
//! "e" followed by its Ed25519 public key in base 32 (alphabet
//! `abcdefghijklmnopqrstuvwxyz234567`).

use marmalade_types::Ed25519Public;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The base-32 alphabet of JAMNP-S names (RFC 4648's, lower case).
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// "e" and 52 characters: 256 bits in 5-bit digits, the last padded with zero bits.
const NAME_LEN: usize = 53;

/// Why a bootnode entry is not `<name>@<ip>:<port>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootnodeError {
    /// No `@` between name and address.
    #[error("no '@' between name and address")]
    MissingAt,
    /// The name is not 53 characters starting with "e".
    #[error("name is not \"e\" and 52 base-32 characters")]
    NameForm,
    /// A character outside the alphabet, or nonzero padding bits in the last character.
    #[error("name is not base-32 of a 32-octet key")]
    NameDigits,
    /// The address is not `<ip>:<port>` (IPv6 optionally in brackets).
    #[error("address is not <ip>:<port>")]
    Address,
}

/// A node to connect to first: its Ed25519 key (its JAMNP-S name) and its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootnode {
    /// The node's Ed25519 public key, whose base-32 form is its name.
    pub ed25519: Ed25519Public,
    /// Where it accepts connections.
    pub address: SocketAddr,
}

/// $N(k)$ (JAMNP-S, "Alternative name"): "e" followed by $B(\mathcal{E}_{32}^{-1}(k), 52)$, the
/// 52 base-32 digits of the key read as a little-endian 256-bit number, least significant
/// digit first.
pub fn node_name(key: &Ed25519Public) -> String {
    let mut out = String::with_capacity(NAME_LEN);
    out.push('e');
    // Bits enter at the top of `acc` in order of significance; digits leave at the bottom.
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in key {
        acc |= u32::from(b) << bits;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[(acc & 31) as usize] as char);
            acc >>= 5;
            bits -= 5;
        }
    }
    // 256 = 51 * 5 + 1: the last digit holds the top bit.
    out.push(ALPHABET[(acc & 31) as usize] as char);
    out
}

/// The Ed25519 key $k$ with $N(k)$ = `name` ([`node_name`]'s inverse). The last digit holds
/// only the key's top bit, so it must be `a` or `b`: each key has one name.
pub fn parse_node_name(name: &str) -> Result<Ed25519Public, BootnodeError> {
    let digits = name
        .strip_prefix('e')
        .filter(|d| d.len() == NAME_LEN - 1)
        .ok_or(BootnodeError::NameForm)?;
    let mut key = [0u8; 32];
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
    for c in digits.bytes() {
        let d = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or(BootnodeError::NameDigits)? as u32;
        acc |= d << bits;
        bits += 5;
        if bits >= 8 {
            // 52 digits hold 260 bits: 32 whole octets, then 4 bits that must be zero.
            *key.get_mut(n).ok_or(BootnodeError::NameDigits)? = acc as u8;
            n += 1;
            acc >>= 8;
            bits -= 8;
        }
    }
    if acc != 0 {
        return Err(BootnodeError::NameDigits);
    }
    Ok(key)
}

impl FromStr for Bootnode {
    type Err = BootnodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, addr) = s.split_once('@').ok_or(BootnodeError::MissingAt)?;
        let ed25519 = parse_node_name(name)?;
        // `SocketAddr` takes `a.b.c.d:p` and `[v6]:p`; JIP-4 also allows a bare IPv6 address,
        // whose port follows the last colon.
        let address = addr.parse::<SocketAddr>().or_else(|_| {
            let (ip, port) = addr.rsplit_once(':').ok_or(BootnodeError::Address)?;
            let ip = ip
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| BootnodeError::Address)?;
            let port = port.parse::<u16>().map_err(|_| BootnodeError::Address)?;
            Ok::<_, BootnodeError>(SocketAddr::new(IpAddr::V6(ip), port))
        })?;
        Ok(Bootnode { ed25519, address })
    }
}

impl fmt::Display for Bootnode {
    /// `<name>@<ip>:<port>`, IPv6 in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", node_name(&self.ed25519), self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_canonical() {
        for key in [[0u8; 32], [0xff; 32], core::array::from_fn(|i| i as u8 * 7)] {
            let name = node_name(&key);
            assert_eq!(name.len(), NAME_LEN);
            assert_eq!(parse_node_name(&name), Ok(key));
        }
        // The last digit is the key's top bit: "a" or "b"; "c" would be bit 256.
        let mut top = [0u8; 32];
        top[31] = 0x80;
        assert!(node_name(&top).ends_with('b'));
        assert!(node_name(&[0x7f; 32]).ends_with('a'));
        let mut name = node_name(&[0; 32]);
        name.replace_range(52.., "c");
        assert_eq!(parse_node_name(&name), Err(BootnodeError::NameDigits));
        // The least significant digit comes first: key 1 is "eb" then 51 "a"s.
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(node_name(&one), format!("eb{}", "a".repeat(51)));
        assert_eq!(parse_node_name("x"), Err(BootnodeError::NameForm));
        let upper = node_name(&[9; 32]).to_uppercase().replacen('E', "e", 1);
        assert_eq!(parse_node_name(&upper), Err(BootnodeError::NameDigits));
    }

    /// The JIP-4 example's entries, and an IPv6 one in either form.
    #[test]
    fn jip4_example_entries() {
        for s in [
            "evysk4p563r2kappaebqykryquxw5lfcclvf23dqqhi5n765h4kkb@192.168.50.18:62061",
            "egy5qba5fyjf7hn7bxeroo7ncqfk5otxvo6or77k23o6pjqnxdoxb@192.168.50.20:63747",
        ] {
            let b: Bootnode = s.parse().unwrap();
            assert_eq!(b.to_string(), s);
        }
        let name = node_name(&[1; 32]);
        let b: Bootnode = format!("{name}@::1:40000").parse().unwrap();
        assert_eq!(b.address, "[::1]:40000".parse().unwrap());
        assert_eq!(b.to_string(), format!("{name}@[::1]:40000"));
        assert_eq!(format!("{name}@[::1]:40000").parse(), Ok(b));
        for bad in [
            name.clone(),
            format!("{name}@1.2.3.4"),
            format!("{name}@1.2.3.4:70000"),
            format!("{name}@host:1"),
        ] {
            assert!(bad.parse::<Bootnode>().is_err(), "{bad}");
        }
    }
}
