//! The seam between block import and where states live: [`StateReader`], the read side of a
//! state, and [`StateChanges`], what a block changes, as data.

use crate::account::ServiceItems;
use crate::key::{service_info_key, Component, StateKey};
use crate::root::KeyChange;
use crate::state::{Components, State};
use marmalade_codec::Encode;
use marmalade_types::{ServiceId, ServiceInfo};
use std::collections::BTreeMap;

/// Read access to a state $\sigma$: its components, its account infos and its service items by
/// state key. Block import reads the prior state only through this trait, so the state can
/// live in memory ([`crate::State`]) or behind a database.
pub trait StateReader: ServiceItems + Sync {
    /// $\alpha$ to $\theta$: every component but $\delta$.
    fn components(&self) -> &Components;

    /// The fixed part of service `s`'s account (the value at $C(255, s)$), if `s` exists.
    fn service_info(&self, s: ServiceId) -> Option<ServiceInfo>;

    /// Every service index with an account, ascending.
    fn service_ids(&self) -> Vec<ServiceId>;

    /// The state keys of service `s`'s items (for removing a service whole).
    fn service_item_keys(&self, s: ServiceId) -> Vec<StateKey>;
}

/// What a block changes in the state, as data (GP (D.2) form): the components it replaced, the
/// account infos and the service items it wrote (`Some`) or removed (`None`).
///
/// Block import returns one; a store applies it ([`crate::State::apply`]), the incremental
/// trie takes its [`key_changes`](StateChanges::key_changes), and its
/// [`inverse`](StateChanges::inverse) against the prior state undoes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// The posterior components, if the block replaced any.
    pub components: Option<Box<Components>>,
    /// Which components differ from the prior state's (their keys change).
    pub replaced: Vec<Component>,
    /// Account infos written or removed, by service.
    pub accounts: BTreeMap<ServiceId, Option<ServiceInfo>>,
    /// Items written or removed, by state key.
    pub items: BTreeMap<StateKey, Option<Vec<u8>>>,
}

impl StateChanges {
    /// Changes with posterior components `posterior`: the components that differ from
    /// `prior`'s are recorded as replaced (comparing components costs their size, not the
    /// state's).
    pub fn with_components(prior: &Components, posterior: Components) -> StateChanges {
        let replaced: Vec<Component> = Component::ALL
            .into_iter()
            .filter(|&c| !prior.component_eq(&posterior, c))
            .collect();
        StateChanges {
            components: (!replaced.is_empty()).then(|| Box::new(posterior)),
            replaced,
            ..Default::default()
        }
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.replaced.is_empty() && self.accounts.is_empty() && self.items.is_empty()
    }

    /// The changes to $T(\sigma)$ (GP (D.2)) key by key, sorted: each replaced component
    /// encoded, each account info encoded, each item as it is.
    pub fn key_changes(&self) -> Vec<KeyChange> {
        let mut out =
            Vec::with_capacity(self.replaced.len() + self.accounts.len() + self.items.len());
        if let Some(c) = &self.components {
            for &component in &self.replaced {
                out.push((component.key(), Some(c.encode_component(component))));
            }
        }
        for (s, info) in &self.accounts {
            out.push((service_info_key(*s), info.as_ref().map(Encode::encode)));
        }
        for (k, v) in &self.items {
            out.push((*k, v.clone()));
        }
        out.sort_unstable_by_key(|a| a.0);
        out
    }

    /// The changes that undo these on the state they apply to, `prior`: each changed key back
    /// to its prior value.
    pub fn inverse(&self, prior: &(impl StateReader + ?Sized)) -> StateChanges {
        StateChanges {
            components: self
                .components
                .as_ref()
                .map(|_| Box::new(prior.components().clone())),
            replaced: self.replaced.clone(),
            accounts: self
                .accounts
                .keys()
                .map(|s| (*s, prior.service_info(*s)))
                .collect(),
            items: self
                .items
                .keys()
                .map(|k| (*k, prior.item(k).map(<[u8]>::to_vec)))
                .collect(),
        }
    }
}

impl State {
    /// The state `changes` make of this one: [`State::apply`] on a copy, without copying
    /// the components the changes replace. Costs what changed (the items are shared).
    pub fn derive(&self, changes: &StateChanges) -> State {
        let mut next = State {
            components: match &changes.components {
                Some(c) => (**c).clone(),
                None => self.components.clone(),
            },
            accounts: self.accounts.clone(),
            items: self.items.clone(),
        };
        next.apply_dictionaries(changes);
        next
    }

    /// Applies a block's changes: the components it replaced, the account infos and items it
    /// wrote or removed (GP (D.2) form). Costs what changed, not the size of the state.
    pub fn apply(&mut self, changes: &StateChanges) {
        if let Some(c) = &changes.components {
            self.components.clone_from(c);
        }
        self.apply_dictionaries(changes);
    }

    /// Applies the account-info and item changes of `changes`.
    fn apply_dictionaries(&mut self, changes: &StateChanges) {
        for (s, info) in &changes.accounts {
            match info {
                Some(info) => {
                    self.accounts.insert(*s, *info);
                }
                None => {
                    self.accounts.remove(s);
                }
            }
        }
        for (k, v) in &changes.items {
            match v {
                Some(v) => {
                    self.items.insert(*k, v.clone());
                }
                None => {
                    self.items.remove(k);
                }
            }
        }
    }
}

impl StateReader for State {
    fn components(&self) -> &Components {
        &self.components
    }

    fn service_info(&self, s: ServiceId) -> Option<ServiceInfo> {
        self.accounts.get(&s).copied()
    }

    fn service_ids(&self) -> Vec<ServiceId> {
        self.accounts.keys().copied().collect()
    }

    fn service_item_keys(&self, s: ServiceId) -> Vec<StateKey> {
        self.items.service_keys(s)
    }
}
