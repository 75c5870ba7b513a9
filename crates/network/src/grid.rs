//! Who connects to whom (JAMNP-S, "Required connectivity" and "Grid structure").

use marmalade_types::{Ed25519Public, ValidatorMetadata};
use std::net::{Ipv6Addr, SocketAddr};

/// The Preferred Initiator $P(a, b)$ of the connection between validators of Ed25519 keys `a`
/// and `b`: `a` when $(a_{31} > 127) \oplus (b_{31} > 127) \oplus (a < b)$, else `b`. Keys compare
/// as octet sequences (lexicographically). The XOR with the keys' top bits makes each validator
/// the preferred initiator of about half its connections.
pub fn preferred_initiator<'k>(a: &'k Ed25519Public, b: &'k Ed25519Public) -> &'k Ed25519Public {
    if (a[31] > 127) ^ (b[31] > 127) ^ (a < b) {
        a
    } else {
        b
    }
}

/// Whether the node of key `us` is the preferred initiator of its connection to `peer`
/// ([`preferred_initiator`]); the other side waits for it before connecting itself.
pub fn we_initiate(us: &Ed25519Public, peer: &Ed25519Public) -> bool {
    us != peer && preferred_initiator(us, peer) == us
}

/// $W = \lfloor\sqrt{V}\rfloor$, the grid's width for `validators` validators (at least 1).
pub fn grid_width(validators: u16) -> u16 {
    validators.isqrt().max(1)
}

/// Whether validators `a` and `b` of one epoch's set of `validators` are grid neighbours: the
/// same row (`index / W`) or the same column (`index % W`), and not the same validator.
/// (Validators of different epochs are neighbours when their indices are equal.)
pub fn are_grid_neighbours(a: u16, b: u16, validators: u16) -> bool {
    let w = grid_width(validators);
    a != b && a < validators && b < validators && (a / w == b / w || a % w == b % w)
}

/// The grid neighbours of validator `index` within one epoch's set of `validators`, in index
/// order (empty when `index` is not in the set).
pub fn grid_neighbours(index: u16, validators: u16) -> Vec<u16> {
    (0..validators)
        .filter(|&j| are_grid_neighbours(index, j, validators))
        .collect()
}

/// A validator's address from its metadata (GP (6.8)'s $k_m$): the first 16 octets are an IPv6
/// address and the next 2 a little-endian port (JAMNP-S, "Required connectivity"). An
/// IPv4-mapped address (`::ffff:a.b.c.d`) is given as IPv4, so that a node on an IPv4 socket
/// can reach it.
pub fn metadata_address(metadata: &ValidatorMetadata) -> SocketAddr {
    let mut ip = [0u8; 16];
    ip.copy_from_slice(&metadata[..16]);
    let port = u16::from_le_bytes([metadata[16], metadata[17]]);
    SocketAddr::new(Ipv6Addr::from(ip).to_canonical(), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_initiator_cases() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a[0] = 1;
        b[0] = 2;
        // Both top bits clear: a < b decides, so the smaller key initiates.
        assert_eq!(preferred_initiator(&a, &b), &a);
        assert_eq!(preferred_initiator(&b, &a), &a);
        // One top bit set flips it: the larger key initiates.
        b[31] = 0x80;
        assert_eq!(preferred_initiator(&a, &b), &b);
        assert_eq!(preferred_initiator(&b, &a), &b);
        // Both set: flipped twice, the smaller (a, whose first octet is lower) again.
        a[31] = 0x80;
        assert_eq!(preferred_initiator(&a, &b), &a);
        assert_eq!(preferred_initiator(&b, &a), &a);
        assert!(we_initiate(&a, &b) && !we_initiate(&b, &a));
        assert!(!we_initiate(&a, &a));
    }

    #[test]
    fn grid_of_tiny_and_full() {
        // V = 6: W = 2; rows {0,1} {2,3} {4,5}, columns {0,2,4} {1,3,5}.
        assert_eq!(grid_width(6), 2);
        assert_eq!(grid_neighbours(0, 6), vec![1, 2, 4]);
        assert_eq!(grid_neighbours(3, 6), vec![1, 2, 5]);
        assert_eq!(grid_neighbours(6, 6), Vec::<u16>::new());
        // V = 1023: W = 31; 33 rows (the last has 0 members past 1023 = 33 × 31).
        assert_eq!(grid_width(1023), 31);
        let n = grid_neighbours(0, 1023);
        // Row 0 has 30 others; column 0 holds 0, 31, ..., 992 (33 entries, 32 others).
        assert_eq!(n.len(), 30 + 32);
        assert!(n.contains(&992) && n.contains(&30) && !n.contains(&32));
        for (a, b) in [(5u16, 900u16), (31, 62), (40, 41)] {
            assert_eq!(
                are_grid_neighbours(a, b, 1023),
                are_grid_neighbours(b, a, 1023)
            );
        }
        assert_eq!(grid_width(0), 1);
        assert_eq!(grid_neighbours(0, 1), Vec::<u16>::new());
    }

    #[test]
    fn addresses_from_metadata() {
        // The dev chain's: ::ffff:127.0.0.1, port 40000 + i = 0x9c40 + i little-endian.
        let mut m = [0u8; 128];
        m[10] = 0xff;
        m[11] = 0xff;
        m[12..16].copy_from_slice(&[127, 0, 0, 1]);
        m[16..18].copy_from_slice(&[0x43, 0x9c]);
        assert_eq!(metadata_address(&m), "127.0.0.1:40003".parse().unwrap());
        // A plain IPv6 address stays IPv6.
        let mut m = [0u8; 128];
        m[0] = 0x20;
        m[1] = 0x01;
        m[15] = 1;
        m[16..18].copy_from_slice(&[0x01, 0x02]);
        assert_eq!(metadata_address(&m), "[2001::1]:513".parse().unwrap());
    }
}
