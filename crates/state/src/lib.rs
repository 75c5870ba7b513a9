//! The JAM state $\sigma$ (Gray Paper 0.7.2, (4.4)), its serialization into state keys and
//! values (GP D.1, (D.1)–(D.2)) and its Merkle root (GP D.2, (D.5)–(D.6)).
//!
//! - [`key`]: the state-key constructor $C$ (GP (D.1)) and its helpers for service storage,
//!   preimages and lookups; [`classify`] reads a key's form back.
//! - [`state`]: [`State`], every component named after its GP symbol, with
//!   [`State::to_key_values`] ($T(\sigma)$) and [`State::from_key_values`] ($T^{-1}$).
//! - [`changes`]: the seam: [`StateReader`] (read a state) and [`StateChanges`] (what a block
//!   changes, as data).
//! - [`account`]: service accounts, the item accessors [`ServiceItems`], footprints.
//! - [`items`]: [`Items`], the service items in a persistent map (cheap copies).
//! - [`root`]: [`state_root`] and the incremental [`StateTrie`].
//! - [`describe`]: [`describe_key`] and key/value differences, for diff messages.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod account;
pub mod changes;
pub mod describe;
pub mod items;
pub mod key;
pub mod root;
pub mod state;

pub use account::{ServiceAccount, ServiceItems};
pub use changes::{StateChanges, StateReader};
pub use describe::{describe_key, describe_key_value, diff_key_values, KeyValueDiff};
pub use items::{ItemValue, Items};
pub use key::{
    classify, component_key, indexed_key, item_key, item_key_from_hash, item_service, lookup_key,
    preimage_key, service_info_key, storage_key, Component, KeyKind, StateKey,
};
pub use root::{state_root, KeyChange, StateTrie};
pub use state::{AccumulationOutput, AccumulationOutputs, Components, State, StateError};
