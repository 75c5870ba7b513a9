//! The state $\sigma$ (GP (4.4)) and its serialization $T(\sigma)$ to state keys and values
//! (GP D.1, (D.2)).

use crate::account::ServiceItems;
use crate::items::{ItemValue, Items};
use crate::key::{
    classify, lookup_key, preimage_key, service_info_key, storage_key, Component, KeyKind, StateKey,
};
use marmalade_codec::{decode_all, Decode, Encode, Reader};
use marmalade_types::{
    AccumulatedQueue, AuthPools, AuthQueue, AuthQueues, AvailabilityAssignments,
    BandersnatchRingCommitment, ChainSpec, CoresStatistics, DisputesRecords, EntropyBuffer, Hash,
    Privileges, ReadyQueue, RecentBlocks, ServiceId, ServiceInfo, Statistics, TicketBody,
    TicketsAccumulator, TicketsOrKeys, TimeSlot, ValidatorData, ValidatorsData,
    ValidatorsStatistics,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// An item of $\theta$: service $s$ and the hash $h$ its accumulation yielded
/// (GP (7.4): $\theta \in \lseq(\mathbb{N}_S, \mathbb{H})\rseq$).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Encode,
    Decode,
    Serialize,
    Deserialize,
)]
pub struct AccumulationOutput {
    /// $s$: the service, $\mathcal{E}_4$.
    pub service: ServiceId,
    /// $h$: the output hash.
    #[serde(with = "marmalade_types::serde_hex")]
    pub hash: Hash,
}

/// $\theta$: the most recent block's accumulation outputs, serialized at $C(16)$ as
/// $\mathcal{E}(\updownarrow[(\mathcal{E}_4(s), \mathcal{E}(h))])$ (GP (D.2)).
pub type AccumulationOutputs = Vec<AccumulationOutput>;

/// The sixteen components of $\sigma$ serialized at $C(1)$ to $C(16)$ (GP (D.2)): every
/// component but the service accounts $\delta$, one field per component, named after its GP
/// symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// $\alpha$: the authorizer pools, one per core (GP (8.1)). $C(1)$.
    pub alpha: AuthPools,
    /// $\varphi$: the authorizer queues, one per core (GP (8.1)). $C(2)$.
    pub phi: AuthQueues,
    /// $\beta = (\beta_H, \beta_B)$: recent blocks and the accumulation-output belt
    /// (GP (7.1)–(7.3)). $C(3)$.
    pub beta: RecentBlocks,
    /// $\gamma_P$: the pending (next epoch's) validator keys (GP (6.7)). Part of $C(4)$.
    pub gamma_p: ValidatorsData,
    /// $\gamma_Z$: the Bandersnatch ring root of $\gamma_P$ (GP (6.4)). Part of $C(4)$.
    pub gamma_z: BandersnatchRingCommitment,
    /// $\gamma_S$: the current epoch's sealing-key series, tickets or fallback keys
    /// (GP (6.5)). Part of $C(4)$, with a 0/1 discriminator.
    pub gamma_s: TicketsOrKeys,
    /// $\gamma_A$: the ticket accumulator (GP (6.5)). Part of $C(4)$, length-prefixed.
    pub gamma_a: TicketsAccumulator,
    /// $\psi = (\psi_G, \psi_B, \psi_W, \psi_O)$: the disputes records (GP (10.1)). $C(5)$.
    pub psi: DisputesRecords,
    /// $\eta$: the entropy accumulator and the last three epochs' entropy (GP (6.21)). $C(6)$.
    pub eta: EntropyBuffer,
    /// $\iota$: the staging validator keys (GP (6.7)). $C(7)$.
    pub iota: ValidatorsData,
    /// $\kappa$: the active validator keys (GP (6.7)). $C(8)$.
    pub kappa: ValidatorsData,
    /// $\lambda$: the previous epoch's validator keys (GP (6.7)). $C(9)$.
    pub lambda: ValidatorsData,
    /// $\rho$: the work-reports pending availability, one optional per core (GP (11.1)).
    /// $C(10)$.
    pub rho: AvailabilityAssignments,
    /// $\tau$: the most recent block's timeslot (GP (6.1)). $C(11)$, $\mathcal{E}_4$.
    pub tau: TimeSlot,
    /// $\chi$: the privileged services (GP (9.9)). $C(12)$.
    pub chi: Privileges,
    /// $\pi$: the activity statistics (GP (13.1)). $C(13)$.
    pub pi: Statistics,
    /// $\omega$: the ready queue, one group of records per epoch slot (GP (12.3)). $C(14)$.
    pub omega: ReadyQueue,
    /// $\xi$: the accumulated packages, one group per epoch slot (GP (12.1)). $C(15)$.
    pub xi: AccumulatedQueue,
    /// $\theta$: the last accumulation outputs (GP (7.4)). $C(16)$.
    pub theta: AccumulationOutputs,
}

/// The state $\sigma$ (GP (4.4)): the sixteen [`Components`] and the service accounts
/// $\delta$.
///
/// $\delta$ is held in its serialized form: the fixed part of each account in
/// [`State::accounts`] (the value at $C(255, s)$), and every storage, preimage and lookup item
/// of every service in [`State::items`], keyed by its state key $C(s, h)$.
///
/// Why the items are keyed by state key: since GP 0.7 an item's key is
/// $C(s, \mathcal{H}(\mathcal{E}_4(\text{marker}) \frown k))$, so the 31 octets keep only the
/// service index and 27 octets of a hash, and neither the item's kind (storage, preimage or
/// lookup) nor its own key $k$ can be read back. A node that starts from a state given as raw
/// key/value pairs (a fuzzer's `Initialize`, a trace's `pre_state`) therefore cannot rebuild
/// $\mathbf{s}$, $\mathbf{p}$ and $\mathbf{l}$ of GP (9.3) as dictionaries keyed by their
/// original keys; it keeps them by state key instead, which is all JAM needs: services look
/// items up by key, and the key determines the state key ([`storage_key`], [`preimage_key`],
/// [`lookup_key`]); the GP notes (after (D.2)) that implementations need not know the keys.
///
/// Cloning a state is cheap whatever its size: the items are a persistent map ([`Items`])
/// that shares structure between copies, so a store can keep the states of many recent blocks
/// and derive each from its parent by applying a [`crate::StateChanges`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// $\alpha$ to $\theta$: every component but $\delta$.
    pub components: Components,
    /// $\delta$, fixed part: each service's account info, at $C(255, s)$ (GP (9.3), (D.2)).
    pub accounts: BTreeMap<ServiceId, ServiceInfo>,
    /// $\delta$, dictionaries: every storage, preimage and lookup item of every service, as
    /// the raw value at its state key $C(s, h)$ (GP (D.2)).
    pub items: Items,
}

/// Why a set of key/value pairs is not a serialized state, or a [`State`] does not fit a chain
/// spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A key occurs more than once.
    #[error("state key 0x{} ({kind}) occurs more than once", hex::encode(.key))]
    DuplicateKey {
        /// The key.
        key: StateKey,
        /// What the key is.
        kind: KeyKind,
    },
    /// One of the sixteen components $C(1..=16)$ has no key.
    #[error("state component {component} is missing (key 0x{})", hex::encode(.component.key()))]
    MissingComponent {
        /// The component.
        component: Component,
    },
    /// A component's value is not its encoding.
    #[error("state component {component} (key 0x{}) does not decode: {source}", hex::encode(.component.key()))]
    Component {
        /// The component.
        component: Component,
        /// The decoding error.
        source: marmalade_codec::Error,
    },
    /// A service's account info at $C(255, s)$ is not its encoding.
    #[error("account info of service {service} (key 0x{}) does not decode: {source}", hex::encode(service_info_key(*.service)))]
    ServiceInfo {
        /// The service.
        service: ServiceId,
        /// The decoding error.
        source: marmalade_codec::Error,
    },
    /// A fixed-length sequence of a component has the wrong length for the chain spec.
    #[error(
        "state component {component}: {what} has {found} entries, the chain spec wants {expected}"
    )]
    Shape {
        /// The component.
        component: Component,
        /// Which sequence.
        what: &'static str,
        /// The length the chain spec fixes.
        expected: usize,
        /// The length found.
        found: usize,
    },
}

impl Components {
    /// Every component present, of the lengths `spec` fixes, and all zero or empty: null
    /// validator keys, fallback sealing keys of zeros, empty pools and queues of zero hashes.
    pub fn empty(spec: &ChainSpec) -> Components {
        let v = ValidatorsData(vec![ValidatorData::NULL; spec.validators]);
        Components {
            alpha: AuthPools(vec![Vec::new(); spec.cores]),
            phi: AuthQueues(vec![AuthQueue::default(); spec.cores]),
            beta: RecentBlocks::default(),
            gamma_p: v.clone(),
            gamma_z: [0; 144],
            gamma_s: TicketsOrKeys::Keys(vec![[0; 32]; spec.epoch_len()]),
            gamma_a: Vec::new(),
            psi: DisputesRecords::default(),
            eta: EntropyBuffer::default(),
            iota: v.clone(),
            kappa: v.clone(),
            lambda: v,
            rho: AvailabilityAssignments(vec![None; spec.cores]),
            tau: 0,
            chi: Privileges {
                bless: 0,
                assign: vec![0; spec.cores],
                designate: 0,
                register: 0,
                always_acc: Vec::new(),
            },
            pi: Statistics {
                vals_curr: ValidatorsStatistics(vec![Default::default(); spec.validators]),
                vals_last: ValidatorsStatistics(vec![Default::default(); spec.validators]),
                cores: CoresStatistics(vec![Default::default(); spec.cores]),
                services: Vec::new(),
            },
            omega: ReadyQueue(vec![Vec::new(); spec.epoch_len()]),
            xi: AccumulatedQueue(vec![Vec::new(); spec.epoch_len()]),
            theta: Vec::new(),
        }
    }

    /// A placeholder whose fixed-length sequences are all empty; every component is
    /// overwritten by [`State::from_key_values`] before it is returned.
    fn blank() -> Components {
        Components {
            alpha: AuthPools(Vec::new()),
            phi: AuthQueues(Vec::new()),
            beta: RecentBlocks::default(),
            gamma_p: ValidatorsData(Vec::new()),
            gamma_z: [0; 144],
            gamma_s: TicketsOrKeys::Keys(Vec::new()),
            gamma_a: Vec::new(),
            psi: DisputesRecords::default(),
            eta: EntropyBuffer::default(),
            iota: ValidatorsData(Vec::new()),
            kappa: ValidatorsData(Vec::new()),
            lambda: ValidatorsData(Vec::new()),
            rho: AvailabilityAssignments(Vec::new()),
            tau: 0,
            chi: Privileges::default(),
            pi: Statistics::default(),
            omega: ReadyQueue(Vec::new()),
            xi: AccumulatedQueue(Vec::new()),
            theta: Vec::new(),
        }
    }

    /// The value $T(\sigma)[C(i)]$ of one component (GP (D.2)).
    ///
    /// All are the plain encodings of the component types except $C(4)$, which is
    /// $\mathcal{E}(\gamma_P, \gamma_Z, \{0, 1\}, \gamma_S, \updownarrow\gamma_A)$: the pending
    /// keys, the ring root, the discriminator of the sealing-key series (0 tickets, 1 keys),
    /// the series and the length-prefixed accumulator.
    pub fn encode_component(&self, c: Component) -> Vec<u8> {
        match c {
            Component::AuthPools => self.alpha.encode(),
            Component::AuthQueues => self.phi.encode(),
            Component::RecentHistory => self.beta.encode(),
            Component::Safrole => {
                let mut out = Vec::with_capacity(
                    336 * self.gamma_p.len() + 144 + 1 + 32 * self.gamma_s.len() + 33,
                );
                self.gamma_p.encode_to(&mut out);
                self.gamma_z.encode_to(&mut out);
                self.gamma_s.encode_to(&mut out);
                self.gamma_a.encode_to(&mut out);
                out
            }
            Component::Disputes => self.psi.encode(),
            Component::Entropy => self.eta.encode(),
            Component::StagingSet => self.iota.encode(),
            Component::ActiveSet => self.kappa.encode(),
            Component::PreviousSet => self.lambda.encode(),
            Component::Reports => self.rho.encode(),
            Component::Timeslot => self.tau.encode(),
            Component::Privileges => self.chi.encode(),
            Component::Statistics => self.pi.encode(),
            Component::ReadyQueue => self.omega.encode(),
            Component::Accumulated => self.xi.encode(),
            Component::AccumulationOutputs => self.theta.encode(),
        }
    }

    /// Decodes `bytes` as component `c` under `spec` and stores it; on error the state is left
    /// unchanged. The whole of `bytes` must be the encoding.
    pub fn decode_component(
        &mut self,
        spec: &ChainSpec,
        c: Component,
        bytes: &[u8],
    ) -> Result<(), StateError> {
        let lens = spec.seq_lens();
        let err = |source| StateError::Component {
            component: c,
            source,
        };
        match c {
            Component::AuthPools => self.alpha = decode_all(bytes, lens).map_err(err)?,
            Component::AuthQueues => self.phi = decode_all(bytes, lens).map_err(err)?,
            Component::RecentHistory => self.beta = decode_all(bytes, lens).map_err(err)?,
            Component::Safrole => {
                let mut r = Reader::new(bytes, lens);
                let gamma = (|| {
                    let k = ValidatorsData::decode(&mut r)?;
                    let z = BandersnatchRingCommitment::decode(&mut r)?;
                    let s = TicketsOrKeys::decode(&mut r)?;
                    let a = Vec::<TicketBody>::decode(&mut r)?;
                    r.finish()?;
                    Ok((k, z, s, a))
                })()
                .map_err(err)?;
                (self.gamma_p, self.gamma_z, self.gamma_s, self.gamma_a) = gamma;
            }
            Component::Disputes => self.psi = decode_all(bytes, lens).map_err(err)?,
            Component::Entropy => self.eta = decode_all(bytes, lens).map_err(err)?,
            Component::StagingSet => self.iota = decode_all(bytes, lens).map_err(err)?,
            Component::ActiveSet => self.kappa = decode_all(bytes, lens).map_err(err)?,
            Component::PreviousSet => self.lambda = decode_all(bytes, lens).map_err(err)?,
            Component::Reports => self.rho = decode_all(bytes, lens).map_err(err)?,
            Component::Timeslot => self.tau = decode_all(bytes, lens).map_err(err)?,
            Component::Privileges => self.chi = decode_all(bytes, lens).map_err(err)?,
            Component::Statistics => self.pi = decode_all(bytes, lens).map_err(err)?,
            Component::ReadyQueue => self.omega = decode_all(bytes, lens).map_err(err)?,
            Component::Accumulated => self.xi = decode_all(bytes, lens).map_err(err)?,
            Component::AccumulationOutputs => self.theta = decode_all(bytes, lens).map_err(err)?,
        }
        Ok(())
    }

    /// Whether component `c` is equal in `self` and `other`.
    pub fn component_eq(&self, other: &Components, c: Component) -> bool {
        match c {
            Component::AuthPools => self.alpha == other.alpha,
            Component::AuthQueues => self.phi == other.phi,
            Component::RecentHistory => self.beta == other.beta,
            Component::Safrole => {
                self.gamma_p == other.gamma_p
                    && self.gamma_z == other.gamma_z
                    && self.gamma_s == other.gamma_s
                    && self.gamma_a == other.gamma_a
            }
            Component::Disputes => self.psi == other.psi,
            Component::Entropy => self.eta == other.eta,
            Component::StagingSet => self.iota == other.iota,
            Component::ActiveSet => self.kappa == other.kappa,
            Component::PreviousSet => self.lambda == other.lambda,
            Component::Reports => self.rho == other.rho,
            Component::Timeslot => self.tau == other.tau,
            Component::Privileges => self.chi == other.chi,
            Component::Statistics => self.pi == other.pi,
            Component::ReadyQueue => self.omega == other.omega,
            Component::Accumulated => self.xi == other.xi,
            Component::AccumulationOutputs => self.theta == other.theta,
        }
    }

    /// Checks that every sequence whose length the chain spec fixes (and which is therefore
    /// encoded without a length prefix) has that length, so that [`State::to_key_values`]
    /// yields values [`State::from_key_values`] accepts.
    pub fn check_shape(&self, spec: &ChainSpec) -> Result<(), StateError> {
        let (v, c, e) = (spec.validators, spec.cores, spec.epoch_len());
        let q = marmalade_types::constants::AUTH_QUEUE_SIZE;
        let checks: [(Component, &'static str, usize, usize); 16] = [
            (Component::AuthPools, "α", c, self.alpha.len()),
            (Component::AuthQueues, "φ", c, self.phi.len()),
            (
                Component::AuthQueues,
                "shortest φ[c]",
                q,
                self.phi.iter().map(|x| x.len()).min().unwrap_or(q),
            ),
            (
                Component::AuthQueues,
                "longest φ[c]",
                q,
                self.phi.iter().map(|x| x.len()).max().unwrap_or(q),
            ),
            (Component::Safrole, "γ_P", v, self.gamma_p.len()),
            (Component::Safrole, "γ_S", e, self.gamma_s.len()),
            (Component::StagingSet, "ι", v, self.iota.len()),
            (Component::ActiveSet, "κ", v, self.kappa.len()),
            (Component::PreviousSet, "λ", v, self.lambda.len()),
            (Component::Reports, "ρ", c, self.rho.len()),
            (Component::Privileges, "χ_A", c, self.chi.assign.len()),
            (Component::Statistics, "π_V", v, self.pi.vals_curr.len()),
            (Component::Statistics, "π_L", v, self.pi.vals_last.len()),
            (Component::Statistics, "π_C", c, self.pi.cores.len()),
            (Component::ReadyQueue, "ω", e, self.omega.len()),
            (Component::Accumulated, "ξ", e, self.xi.len()),
        ];
        for (component, what, expected, found) in checks {
            if expected != found {
                return Err(StateError::Shape {
                    component,
                    what,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }
}

impl State {
    /// A state with [`Components::empty`] and no services.
    pub fn empty(spec: &ChainSpec) -> State {
        State {
            components: Components::empty(spec),
            accounts: BTreeMap::new(),
            items: Items::default(),
        }
    }

    /// Checks that the components fit `spec` ([`Components::check_shape`]).
    pub fn check_shape(&self, spec: &ChainSpec) -> Result<(), StateError> {
        self.components.check_shape(spec)
    }

    /// $T(\sigma)$ (GP (D.2)) with the item values borrowed: every key with its value,
    /// sorted by key.
    pub fn key_values_ref(&self, spec: &ChainSpec) -> Vec<(StateKey, Cow<'_, [u8]>)> {
        debug_assert_eq!(self.check_shape(spec), Ok(()));
        let mut kvs: Vec<(StateKey, Cow<'_, [u8]>)> =
            Vec::with_capacity(16 + self.accounts.len() + self.items.len());
        for c in Component::ALL {
            kvs.push((c.key(), Cow::Owned(self.components.encode_component(c))));
        }
        for (s, info) in &self.accounts {
            kvs.push((service_info_key(*s), Cow::Owned(info.encode())));
        }
        for (k, v) in self.items.iter() {
            kvs.push((*k, Cow::Borrowed(v)));
        }
        kvs.sort_unstable_by_key(|a| a.0);
        kvs
    }

    /// $T(\sigma)$ (GP (D.2)): every key with its value, sorted by key.
    ///
    /// The state should fit `spec` ([`State::check_shape`]; debug builds assert it): a
    /// fixed-length sequence of the wrong length would be encoded as it is and not decode back.
    pub fn to_key_values(&self, spec: &ChainSpec) -> Vec<(StateKey, Vec<u8>)> {
        self.key_values_ref(spec)
            .into_iter()
            .map(|(k, v)| (k, v.into_owned()))
            .collect()
    }

    /// $T^{-1}$: the state whose serialization is `kvs` (GP (D.2)), in any order.
    ///
    /// Each key is classified by its form ([`classify`]): $C(1)$ to $C(16)$ are decoded as
    /// their components, $C(255, s)$ as service $s$'s account info, and every other key is a
    /// service item $C(s, h)$ kept as it is. Fails if a key occurs twice, a component is
    /// missing, or a component or account info is not (entirely) its encoding under `spec`.
    /// Items whose service has no account info are kept too. Decoding is total: malformed
    /// input yields an error, never a panic.
    pub fn from_key_values<V>(
        spec: &ChainSpec,
        kvs: impl IntoIterator<Item = (StateKey, V)>,
    ) -> Result<State, StateError>
    where
        V: AsRef<[u8]> + Into<Vec<u8>>,
    {
        let mut state = State {
            components: Components::blank(),
            accounts: BTreeMap::new(),
            items: Items::default(),
        };
        let mut seen = [false; 16];
        for (key, value) in kvs {
            let kind = classify(&key);
            match kind {
                KeyKind::Component(c) => {
                    let slot = &mut seen[c.index() as usize - 1];
                    if *slot {
                        return Err(StateError::DuplicateKey { key, kind });
                    }
                    *slot = true;
                    state.components.decode_component(spec, c, value.as_ref())?;
                }
                KeyKind::ServiceInfo(service) => {
                    let info: ServiceInfo = decode_all(value.as_ref(), spec.seq_lens())
                        .map_err(|source| StateError::ServiceInfo { service, source })?;
                    if state.accounts.insert(service, info).is_some() {
                        return Err(StateError::DuplicateKey { key, kind });
                    }
                }
                KeyKind::ServiceItem(_) => {
                    if state.items.insert(key, value.into()).is_some() {
                        return Err(StateError::DuplicateKey { key, kind });
                    }
                }
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(StateError::MissingComponent {
                component: Component::ALL[i],
            });
        }
        Ok(state)
    }

    /// Sets (`Some`) or removes (`None`) storage item $\mathbf{s}[k]$ of service `s`,
    /// returning the previous value. The account's item and octet counts are not touched.
    pub fn set_storage(&mut self, s: ServiceId, k: &[u8], v: Option<Vec<u8>>) -> Option<ItemValue> {
        self.set_item(storage_key(s, k), v)
    }

    /// Sets or removes preimage $\mathbf{p}[h]$ of service `s`, returning the previous value.
    pub fn set_preimage(
        &mut self,
        s: ServiceId,
        h: &Hash,
        p: Option<Vec<u8>>,
    ) -> Option<ItemValue> {
        self.set_item(preimage_key(s, h), p)
    }

    /// Sets or removes lookup item $\mathbf{l}[(h, l)]$ of service `s`, returning the previous
    /// raw value.
    pub fn set_lookup(
        &mut self,
        s: ServiceId,
        h: &Hash,
        l: u32,
        t: Option<&[TimeSlot]>,
    ) -> Option<ItemValue> {
        self.set_item(lookup_key(s, h, l), t.map(|t| t.to_vec().encode()))
    }

    /// Sets (`Some`) or removes (`None`) the raw item at `key`, returning the previous value.
    pub fn set_item(&mut self, key: StateKey, v: Option<Vec<u8>>) -> Option<ItemValue> {
        match v {
            Some(v) => self.items.insert(key, v),
            None => self.items.remove(&key),
        }
    }

    /// Removes service `s`: its account info and all its items.
    pub fn remove_service(&mut self, s: ServiceId) -> Option<ServiceInfo> {
        self.items.remove_service(s);
        self.accounts.remove(&s)
    }
}

impl ServiceItems for State {
    fn item(&self, key: &StateKey) -> Option<&[u8]> {
        self.items.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(spec: &ChainSpec) -> State {
        let mut s = State::empty(spec);
        s.components.tau = 77;
        s.components.gamma_s =
            TicketsOrKeys::Tickets(vec![TicketBody::default(); spec.epoch_len()]);
        s.components.gamma_a = vec![TicketBody {
            id: [3; 32],
            attempt: 1,
        }];
        s.components.theta = vec![AccumulationOutput {
            service: 5,
            hash: [8; 32],
        }];
        s.accounts.insert(
            5,
            ServiceInfo {
                balance: 1000,
                ..Default::default()
            },
        );
        s.set_storage(5, b"key", Some(b"value".to_vec()));
        s.set_preimage(5, &[1; 32], Some(vec![0; 100]));
        s.set_lookup(5, &[1; 32], 100, Some(&[1, 2]));
        s
    }

    #[test]
    fn round_trip() {
        for spec in [ChainSpec::TINY, ChainSpec::FULL] {
            let s = sample(&spec);
            s.check_shape(&spec).unwrap();
            let kvs = s.to_key_values(&spec);
            assert_eq!(kvs.len(), 16 + 1 + 3);
            assert!(kvs.windows(2).all(|w| w[0].0 < w[1].0));
            let back = State::from_key_values(&spec, kvs.clone()).unwrap();
            assert_eq!(back, s);
            assert_eq!(back.to_key_values(&spec), kvs);
            assert_eq!(back.request(5, &[1; 32], 100), Some(vec![1, 2]));
            assert_eq!(back.storage(5, b"key"), Some(&b"value"[..]));
        }
    }

    #[test]
    fn safrole_component_layout() {
        let spec = ChainSpec::TINY;
        let s = sample(&spec);
        let v = s.components.encode_component(Component::Safrole);
        let off = 6 * 336 + 144;
        assert_eq!(v.len(), off + 1 + 12 * 33 + 1 + 33);
        assert_eq!(v[off], 0, "tickets discriminator");
        assert_eq!(v[off + 1 + 12 * 33], 1, "accumulator length prefix");
        assert_eq!(
            State::empty(&spec)
                .components
                .encode_component(Component::Safrole)[off],
            1
        );
        assert_eq!(
            s.components.encode_component(Component::Timeslot),
            vec![77, 0, 0, 0]
        );
        assert_eq!(
            s.components
                .encode_component(Component::AccumulationOutputs)
                .len(),
            1 + 36
        );
        assert_eq!(s.accounts[&5].encode().len(), 89);
    }

    #[test]
    fn errors() {
        let spec = ChainSpec::TINY;
        let kvs = sample(&spec).to_key_values(&spec);

        let mut dup = kvs.clone();
        dup.push((
            Component::Safrole.key(),
            sample(&spec)
                .components
                .encode_component(Component::Safrole),
        ));
        assert!(matches!(
            State::from_key_values(&spec, dup),
            Err(StateError::DuplicateKey {
                kind: KeyKind::Component(Component::Safrole),
                ..
            })
        ));

        let missing: Vec<_> = kvs.iter().filter(|(k, _)| k[0] != 13).cloned().collect();
        assert_eq!(
            State::from_key_values(&spec, missing),
            Err(StateError::MissingComponent {
                component: Component::Statistics
            })
        );

        let mut bad = kvs.clone();
        let i = bad
            .iter()
            .position(|(k, _)| *k == Component::Timeslot.key())
            .unwrap();
        bad[i].1.push(0); // τ with a trailing byte
        let e = State::from_key_values(&spec, bad).unwrap_err();
        assert!(matches!(
            e,
            StateError::Component {
                component: Component::Timeslot,
                source: marmalade_codec::Error::TrailingBytes(1)
            }
        ));
        assert!(e.to_string().contains("C(11) τ"), "{e}");

        let mut bad = kvs.clone();
        let i = bad.iter().position(|(k, _)| k[0] == 255).unwrap();
        bad[i].1.truncate(10);
        assert!(matches!(
            State::from_key_values(&spec, bad),
            Err(StateError::ServiceInfo { service: 5, .. })
        ));

        // The full spec wants other lengths.
        assert!(matches!(
            State::from_key_values(&ChainSpec::FULL, kvs.clone()),
            Err(StateError::Component { .. })
        ));

        // Every truncation of every value fails cleanly.
        for i in 0..kvs.len() {
            if classify(&kvs[i].0) != KeyKind::ServiceItem(5) {
                for n in 0..kvs[i].1.len() {
                    let mut t = kvs.clone();
                    t[i].1.truncate(n);
                    assert!(State::from_key_values(&spec, t).is_err());
                }
            }
        }

        let mut s = sample(&spec);
        s.components.kappa.pop();
        assert!(matches!(
            s.check_shape(&spec),
            Err(StateError::Shape {
                component: Component::ActiveSet,
                ..
            })
        ));
    }

    #[test]
    fn remove_service_drops_its_items() {
        let spec = ChainSpec::TINY;
        let mut s = sample(&spec);
        s.set_storage(6, b"key", Some(vec![1]));
        assert_eq!(s.items.service(5).count(), 3);
        assert!(s.remove_service(5).is_some());
        assert_eq!(s.items.len(), 1);
        assert_eq!(s.storage(6, b"key"), Some(&[1u8][..]));
    }
}
