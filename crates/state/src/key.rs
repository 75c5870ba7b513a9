//! State keys: the constructor $C$ of GP D.1 (GP (D.1)) and the classification of a 31-octet key
//! back into the form it was built with.
//!
//! $C$ has three forms:
//!
//! - $C(i) = [i, 0, 0, \dots]$ for the sixteen state components ($i \in 1..=16$, [`Component`]);
//! - $C(i, s) = [i, n_0, 0, n_1, 0, n_2, 0, n_3, 0, 0, \dots]$ with $n = \mathcal{E}_4(s)$, used
//!   with $i = 255$ for the service-account info of service $s$;
//! - $C(s, h) = [n_0, a_0, n_1, a_1, n_2, a_2, n_3, a_3, a_4, a_5, \dots, a_{26}]$ with
//!   $n = \mathcal{E}_4(s)$ and $a = \mathcal{H}(h)$, for the items of service $s$: storage
//!   ($h = \mathcal{E}_4(2^{32}-1) \frown k$), preimages ($h = \mathcal{E}_4(2^{32}-2) \frown
//!   \mathbf{h}$) and preimage lookups ($h = \mathcal{E}_4(l) \frown \mathbf{h}$).
//!
//! Since GP 0.7 the item marker is hashed together with the item's own key, so the 31 octets of
//! an item key name its service but neither the kind of item nor its original key.

use marmalade_crypto::blake2b_256;
use marmalade_types::{Hash, ServiceId};

/// A state key: 31 octets (GP (D.1), $\mathbb{B}_{31}$).
pub type StateKey = [u8; 31];

/// The index $i$ of $C(i, s)$ under which service-account info is stored (GP (D.2)).
pub const SERVICE_INFO_INDEX: u8 = 255;

/// The storage marker $2^{32}-1$: storage item $k$ of service $s$ is at
/// $C(s, \mathcal{E}_4(2^{32}-1) \frown k)$ (GP (D.2)).
pub const STORAGE_MARKER: u32 = u32::MAX;

/// The preimage marker $2^{32}-2$: preimage $\mathbf{h}$ of service $s$ is at
/// $C(s, \mathcal{E}_4(2^{32}-2) \frown \mathbf{h})$ (GP (D.2)).
pub const PREIMAGE_MARKER: u32 = u32::MAX - 1;

/// The sixteen state components serialized at $C(i)$, $i \in 1..=16$ (GP (D.2)), in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Component {
    /// $C(1)$: $\alpha$, the authorizer pools.
    AuthPools = 1,
    /// $C(2)$: $\varphi$, the authorizer queues.
    AuthQueues = 2,
    /// $C(3)$: $\beta = (\beta_H, \beta_B)$, recent history and the accumulation-output belt.
    RecentHistory = 3,
    /// $C(4)$: $\gamma = (\gamma_P, \gamma_Z, \gamma_S, \gamma_A)$, the Safrole state.
    Safrole = 4,
    /// $C(5)$: $\psi$, the disputes records.
    Disputes = 5,
    /// $C(6)$: $\eta$, the entropy buffer.
    Entropy = 6,
    /// $C(7)$: $\iota$, the staging validator set.
    StagingSet = 7,
    /// $C(8)$: $\kappa$, the active validator set.
    ActiveSet = 8,
    /// $C(9)$: $\lambda$, the previous epoch's validator set.
    PreviousSet = 9,
    /// $C(10)$: $\rho$, the work-reports pending availability.
    Reports = 10,
    /// $C(11)$: $\tau$, the most recent block's timeslot.
    Timeslot = 11,
    /// $C(12)$: $\chi$, the privileged services.
    Privileges = 12,
    /// $C(13)$: $\pi$, the activity statistics.
    Statistics = 13,
    /// $C(14)$: $\omega$, the ready queue.
    ReadyQueue = 14,
    /// $C(15)$: $\xi$, the accumulated-packages history.
    Accumulated = 15,
    /// $C(16)$: $\theta$, the last accumulation outputs.
    AccumulationOutputs = 16,
}

impl Component {
    /// All sixteen components, in key order.
    pub const ALL: [Component; 16] = [
        Component::AuthPools,
        Component::AuthQueues,
        Component::RecentHistory,
        Component::Safrole,
        Component::Disputes,
        Component::Entropy,
        Component::StagingSet,
        Component::ActiveSet,
        Component::PreviousSet,
        Component::Reports,
        Component::Timeslot,
        Component::Privileges,
        Component::Statistics,
        Component::ReadyQueue,
        Component::Accumulated,
        Component::AccumulationOutputs,
    ];

    /// The component with index `i` of $C(i)$, if `i` is in 1..=16.
    pub const fn from_index(i: u8) -> Option<Component> {
        if i >= 1 && i <= 16 {
            Some(Self::ALL[i as usize - 1])
        } else {
            None
        }
    }

    /// Its index $i$ of $C(i)$.
    pub const fn index(self) -> u8 {
        self as u8
    }

    /// Its state key $C(i)$.
    pub const fn key(self) -> StateKey {
        component_key(self as u8)
    }

    /// The GP symbol of the component, e.g. `"α"`.
    pub const fn symbol(self) -> &'static str {
        match self {
            Component::AuthPools => "α",
            Component::AuthQueues => "φ",
            Component::RecentHistory => "β",
            Component::Safrole => "γ",
            Component::Disputes => "ψ",
            Component::Entropy => "η",
            Component::StagingSet => "ι",
            Component::ActiveSet => "κ",
            Component::PreviousSet => "λ",
            Component::Reports => "ρ",
            Component::Timeslot => "τ",
            Component::Privileges => "χ",
            Component::Statistics => "π",
            Component::ReadyQueue => "ω",
            Component::Accumulated => "ξ",
            Component::AccumulationOutputs => "θ",
        }
    }

    /// A short English name of the component, e.g. `"auth pools"`.
    pub const fn name(self) -> &'static str {
        match self {
            Component::AuthPools => "auth pools",
            Component::AuthQueues => "auth queues",
            Component::RecentHistory => "recent history",
            Component::Safrole => "safrole state",
            Component::Disputes => "disputes",
            Component::Entropy => "entropy",
            Component::StagingSet => "staging validators",
            Component::ActiveSet => "active validators",
            Component::PreviousSet => "previous validators",
            Component::Reports => "pending reports",
            Component::Timeslot => "timeslot",
            Component::Privileges => "privileges",
            Component::Statistics => "statistics",
            Component::ReadyQueue => "ready queue",
            Component::Accumulated => "accumulated",
            Component::AccumulationOutputs => "accumulation outputs",
        }
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "C({}) {} ({})", self.index(), self.symbol(), self.name())
    }
}

/// $C(i) = [i, 0, 0, \dots]$ (GP (D.1), first form).
pub const fn component_key(i: u8) -> StateKey {
    let mut k = [0u8; 31];
    k[0] = i;
    k
}

/// $C(i, s) = [i, n_0, 0, n_1, 0, n_2, 0, n_3, 0, 0, \dots]$ with $n = \mathcal{E}_4(s)$
/// (GP (D.1), second form).
pub const fn indexed_key(i: u8, s: ServiceId) -> StateKey {
    let n = s.to_le_bytes();
    let mut k = [0u8; 31];
    k[0] = i;
    k[1] = n[0];
    k[3] = n[1];
    k[5] = n[2];
    k[7] = n[3];
    k
}

/// $C(255, s)$: the key of service $s$'s account info (GP (D.2)).
pub const fn service_info_key(s: ServiceId) -> StateKey {
    indexed_key(SERVICE_INFO_INDEX, s)
}

/// $C(s, h) = [n_0, a_0, n_1, a_1, n_2, a_2, n_3, a_3, a_4, \dots, a_{26}]$ with
/// $n = \mathcal{E}_4(s)$ and $a = \mathcal{H}(h)$ (GP (D.1), third form).
pub fn item_key(s: ServiceId, h: &[u8]) -> StateKey {
    item_key_from_hash(s, &blake2b_256(h))
}

/// $C(s, h)$ given $a = \mathcal{H}(h)$ already hashed: interleaves $\mathcal{E}_4(s)$ with the
/// first four octets of $a$, then appends $a_4 \dots a_{26}$.
pub fn item_key_from_hash(s: ServiceId, a: &Hash) -> StateKey {
    let n = s.to_le_bytes();
    let mut k = [0u8; 31];
    for i in 0..4 {
        k[2 * i] = n[i];
        k[2 * i + 1] = a[i];
    }
    k[8..].copy_from_slice(&a[4..27]);
    k
}

/// The key of storage item $k$ of service $s$: $C(s, \mathcal{E}_4(2^{32}-1) \frown k)$
/// (GP (D.2)).
pub fn storage_key(s: ServiceId, k: &[u8]) -> StateKey {
    marked_item_key(s, STORAGE_MARKER, k)
}

/// The key of the preimage of $h$ in service $s$: $C(s, \mathcal{E}_4(2^{32}-2) \frown h)$
/// (GP (D.2)).
pub fn preimage_key(s: ServiceId, h: &Hash) -> StateKey {
    marked_item_key(s, PREIMAGE_MARKER, h)
}

/// The key of the preimage-lookup (request) item $(h, l)$ of service $s$:
/// $C(s, \mathcal{E}_4(l) \frown h)$ (GP (D.2)).
pub fn lookup_key(s: ServiceId, h: &Hash, l: u32) -> StateKey {
    marked_item_key(s, l, h)
}

fn marked_item_key(s: ServiceId, marker: u32, rest: &[u8]) -> StateKey {
    item_key_from_hash(
        s,
        &marmalade_crypto::blake2b_256_concat(&[&marker.to_le_bytes(), rest]),
    )
}

/// What a state key is, read off its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// $C(i)$, $i \in 1..=16$: a state component.
    Component(Component),
    /// $C(255, s)$: the account info of service $s$.
    ServiceInfo(ServiceId),
    /// $C(s, h)$: a storage, preimage or lookup item of service $s$. Which of the three, and
    /// the item's own key, are hashed into the key and cannot be read back.
    ServiceItem(ServiceId),
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyKind::Component(c) => c.fmt(f),
            KeyKind::ServiceInfo(s) => write!(f, "C(255, {s}) account info of service {s}"),
            KeyKind::ServiceItem(s) => write!(
                f,
                "C({s}, h) storage, preimage or lookup item of service {s}"
            ),
        }
    }
}

/// Classifies a key (GP (D.1)): $C(i)$ for $i \in 1..=16$ with all other octets zero, else
/// $C(255, s)$ when octet 0 is 255 and octets 2, 4, 6 and 8.. are zero, else a service item
/// $C(s, h)$.
///
/// The three forms overlap only where a service item's 27 hash octets would be almost all zero,
/// which the hash makes practically impossible; such a key is read as the structured form.
pub fn classify(key: &StateKey) -> KeyKind {
    let tail_zero = key[8..].iter().all(|&b| b == 0);
    if tail_zero {
        if key[1..8].iter().all(|&b| b == 0) {
            if let Some(c) = Component::from_index(key[0]) {
                return KeyKind::Component(c);
            }
        }
        if key[0] == SERVICE_INFO_INDEX && key[2] == 0 && key[4] == 0 && key[6] == 0 {
            return KeyKind::ServiceInfo(u32::from_le_bytes([key[1], key[3], key[5], key[7]]));
        }
    }
    KeyKind::ServiceItem(item_service(key))
}

/// The service $s$ of an item key $C(s, h)$: $\mathcal{E}_4^{-1}([k_0, k_2, k_4, k_6])$.
pub fn item_service(key: &StateKey) -> ServiceId {
    u32::from_le_bytes([key[0], key[2], key[4], key[6]])
}

/// The first 27 octets of $\mathcal{H}(h)$ stored in an item key $C(s, h)$.
pub fn item_hash_prefix(key: &StateKey) -> [u8; 27] {
    let mut a = [0u8; 27];
    for i in 0..4 {
        a[i] = key[2 * i + 1];
    }
    a[4..].copy_from_slice(&key[8..]);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex31(s: &str) -> StateKey {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn component_keys() {
        for c in Component::ALL {
            let k = c.key();
            assert_eq!(k[0], c.index());
            assert!(k[1..].iter().all(|&b| b == 0));
            assert_eq!(classify(&k), KeyKind::Component(c));
            assert_eq!(Component::from_index(c.index()), Some(c));
        }
        assert_eq!(Component::from_index(0), None);
        assert_eq!(Component::from_index(17), None);
        assert_eq!(Component::AccumulationOutputs.key()[0], 16);
    }

    #[test]
    fn service_info_key_interleaves_the_index() {
        let k = service_info_key(0x0403_0201);
        let mut want = [0u8; 31];
        want[..8].copy_from_slice(&[255, 1, 0, 2, 0, 3, 0, 4]);
        assert_eq!(k, want);
        assert_eq!(classify(&k), KeyKind::ServiceInfo(0x0403_0201));
        assert_eq!(indexed_key(7, 0)[0], 7);
        // The traces' bootstrap service 0.
        assert_eq!(
            service_info_key(0),
            unhex31("ff000000000000000000000000000000000000000000000000000000000000")
        );
    }

    #[test]
    fn item_key_interleaves_service_and_hash() {
        let h = b"some key";
        let a = blake2b_256(h);
        let k = item_key(0xddcc_bbaa, h);
        assert_eq!(&k[..8], &[0xaa, a[0], 0xbb, a[1], 0xcc, a[2], 0xdd, a[3]]);
        assert_eq!(&k[8..], &a[4..27]);
        assert_eq!(item_service(&k), 0xddcc_bbaa);
        assert_eq!(item_hash_prefix(&k), a[..27]);
        assert_eq!(classify(&k), KeyKind::ServiceItem(0xddcc_bbaa));
    }

    #[test]
    fn marked_item_keys() {
        let s = 42;
        let hash = [9u8; 32];
        let mut st = u32::MAX.to_le_bytes().to_vec();
        st.extend_from_slice(b"k");
        assert_eq!(storage_key(s, b"k"), item_key(s, &st));
        let mut pre = (u32::MAX - 1).to_le_bytes().to_vec();
        pre.extend_from_slice(&hash);
        assert_eq!(preimage_key(s, &hash), item_key(s, &pre));
        let mut look = 1234u32.to_le_bytes().to_vec();
        look.extend_from_slice(&hash);
        assert_eq!(lookup_key(s, &hash, 1234), item_key(s, &look));
        assert_ne!(lookup_key(s, &hash, 1234), lookup_key(s, &hash, 1235));
        assert_ne!(preimage_key(s, &hash), preimage_key(s + 1, &hash));
    }
}
