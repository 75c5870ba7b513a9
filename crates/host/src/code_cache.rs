//! Decoded service code by code hash, shared by every invocation that runs service code
//! (Ψ_A, Ψ_I, Ψ_R), so a program is parsed and decoded once however often it runs.

use marmalade_pvm::{GasModel, StandardInit};
use marmalade_types::Hash;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The PVM gas model of the invocations: each instruction charged as it executes, a faulting
/// one included (see [`GasModel::PerInstruction`]). The `stf/accumulate` vectors never fault,
/// so they do not tell this from polkavm's per-basic-block charging (`GasModel::BasicBlock`,
/// which the PVM vectors follow); the GP and the reference node's traces decide.
pub const GAS_MODEL: GasModel = GasModel::PerInstruction;

/// Decoded service code by code hash, shared by all invocations of a block (or of a
/// guarantor's work), so a service run several times (or several services with the same
/// code) decode it once.
#[derive(Debug, Default)]
pub struct CodeCache(Mutex<HashMap<Hash, Option<Arc<StandardInit>>>>);

impl CodeCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every decoded program (bounds the cache's memory; it has no eviction).
    pub fn clear(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }

    /// The decoded program for code `code` with hash `hash`; `None` if it is not a valid
    /// standard program (then $\Psi_M$ panics at once, using no gas).
    pub fn get(&self, hash: &Hash, code: &[u8]) -> Option<Arc<StandardInit>> {
        if let Some(hit) = self.0.lock().ok().and_then(|m| m.get(hash).cloned()) {
            return hit;
        }
        let init = StandardInit::new(code).ok().map(|mut init| {
            init.program = init.program.with_gas_model(GAS_MODEL);
            Arc::new(init)
        });
        if let Ok(mut m) = self.0.lock() {
            m.insert(*hash, init.clone());
        }
        init
    }
}
