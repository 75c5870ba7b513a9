//! The node on its database ([`ChainDb`]): opening a chain where the database left it, and
//! persisting each imported block and each finalization.
//!
//! The database holds every block and the posterior state of the finalized block only
//! (see [`ChainDb`]). [`open_chain`] starts the in-memory [`Chain`] at that state, with the
//! stored headers behind it as the lookup-anchor ancestry (GP (11.35)), and re-imports the
//! stored blocks above it: their states and roots are recomputed, not trusted. [`persist`]
//! writes a block (one transaction) and, when finality has moved, the key changes from the
//! last finalized state to the new one (another transaction). A kill between the two
//! leaves a block above the finalized one, which the next start re-imports.

use crate::{Genesis, NodeError};
use marmalade_chain::{block_ref, BlockExecutor, Chain, FixedDepth, Upsilon};
use marmalade_state::KeyChange;
use marmalade_store::{BlockRef, ChainDb, MemoryStore, PruneConfig, StateStore};
use marmalade_types::{Block, ChainSpec, HeaderHash, StateRoot};

/// Where [`open_chain`] started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// The finalized block the state was read at (the genesis on a new database).
    pub finalized: HeaderHash,
    /// Its height.
    pub finalized_height: u64,
    /// Stored blocks above it re-imported.
    pub reimported: usize,
    /// Stored blocks above it that failed to import (dropped from the chain; logged).
    pub failed: usize,
    /// Whether the database was new.
    pub fresh: bool,
}

/// The chain of `genesis` as the database left it: a new database is initialized with the
/// genesis; an existing one must hold the same genesis. Blocks `finality_depth` behind the
/// best are final ([`FixedDepth`], until GRANDPA); the lookup-anchor window is
/// $\mathsf{L}$ of `spec`. The chain keeps the states (and change sets) of the blocks
/// down to the one finality will choose next, which [`finalize`] needs.
pub fn open_chain(
    db: &ChainDb,
    spec: ChainSpec,
    genesis: &Genesis,
    finality_depth: usize,
) -> Result<(Chain, Resumed), NodeError> {
    let fresh = db.genesis()?.is_none();
    if fresh {
        let root = marmalade_state::StateTrie::from_key_values(genesis.state.clone()).root();
        db.initialize(&genesis.header, &genesis.state, &root)?;
    } else {
        // Fails on another chain's database.
        db.initialize(&genesis.header, &genesis.state, &[0; 32])?;
    }
    let finalized = db.finalized()?.ok_or(NodeError::NoBestState)?;
    let at = db.header(&finalized)?.ok_or(NodeError::NoBestState)?;
    let ancestry_len = spec.max_lookup_anchor_age as usize;
    let mut prune = PruneConfig::with_ancestry(ancestry_len);
    prune.state_depth = prune.state_depth.max(finality_depth as u64 + 2);
    let store = MemoryStore::new(prune);
    let mut chain = Chain::with_parts(spec, store, Upsilon::default(), ancestry_len)
        .with_finality(FixedDepth(finality_depth));
    let ancestry = db.ancestry(&finalized, ancestry_len)?;
    let root = if at.height == 0 {
        chain.initialize(&genesis.header, db.state()?, Some(&[]))?
    } else {
        chain.initialize_at(at.block, db.state()?, Some(&ancestry))?
    };
    check_root(&finalized, &at.state_root, &root)?;
    let (mut reimported, mut failed) = (0, 0);
    for block in db.descendants(&finalized)? {
        match chain.import(&block) {
            Ok(root) => {
                let hash = block.header.hash();
                let stored = db.header(&hash)?.ok_or(NodeError::NoBestState)?;
                check_root(&hash, &stored.state_root, &root)?;
                reimported += 1;
            }
            Err(e) => {
                failed += 1;
                tracing::warn!(
                    slot = block.header.slot,
                    error = %e,
                    "a stored block does not import; dropped"
                );
            }
        }
    }
    Ok((
        chain,
        Resumed {
            finalized,
            finalized_height: at.height,
            reimported,
            failed,
            fresh,
        },
    ))
}

/// A recomputed state root must be the one the database recorded.
fn check_root(
    block: &HeaderHash,
    stored: &StateRoot,
    computed: &StateRoot,
) -> Result<(), NodeError> {
    if stored == computed {
        Ok(())
    } else {
        Err(NodeError::StoredRootMismatch {
            block: *block,
            stored: *stored,
            computed: *computed,
        })
    }
}

/// What [`persist`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persisted {
    /// The block's height.
    pub height: u64,
    /// The database's finalized block and its height afterwards.
    pub finalized: Option<(HeaderHash, u64)>,
}

/// Writes `block` (imported into `chain` with posterior root `state_root`) with the chain's
/// best block, then, if the chain's finalized block is not the database's, moves the
/// database's state to it.
pub fn persist<S: StateStore, E: BlockExecutor>(
    db: &ChainDb,
    chain: &Chain<S, E>,
    block: &Block,
    state_root: &StateRoot,
) -> Result<Persisted, NodeError> {
    let best = chain
        .best()
        .unwrap_or_else(|| block_ref(&block.header).hash);
    let height = db.insert_block(block, state_root, &best)?;
    if let Some(f) = chain.finalized() {
        finalize(db, chain, &f)?;
    }
    let finalized = match db.finalized()? {
        Some(f) => db.header(&f)?.map(|h| (f, h.height)),
        None => None,
    };
    Ok(Persisted { height, finalized })
}

/// Moves the database's finalized state to block `to` of `chain` (stored in the database):
/// by the change sets of the blocks in between where the chain still holds them, else by
/// the whole state. Nothing if `to` is already the database's, or not a stored block.
pub fn finalize<S: StateStore, E: BlockExecutor>(
    db: &ChainDb,
    chain: &Chain<S, E>,
    to: &HeaderHash,
) -> Result<(), NodeError> {
    let Some(from) = db.finalized()? else {
        return Ok(());
    };
    if from == *to || db.header(to)?.is_none() {
        return Ok(());
    }
    match changes_between(chain, &from, to)? {
        Some(changes) => db.finalize(to, &changes)?,
        None => {
            let Some(stored) = chain.store().get(to)? else {
                // Consistent still (an older finalized state and every block above it),
                // only a longer re-import on the next start.
                tracing::warn!(block = %hex::encode(to), "finalized state no longer in memory; database finality lags");
                return Ok(());
            };
            // The chain no longer links the two: write the whole state.
            let state = marmalade_state::StateTrie::from_state(&stored.state, chain.spec());
            let kvs: Vec<_> = state.iter().map(|(k, v)| (*k, v.to_vec())).collect();
            db.finalize_whole(to, &kvs)?;
        }
    }
    Ok(())
}

/// The key changes of the blocks after `from` up to `to` along `to`'s chain, in block
/// order; `None` where the chain's store no longer links them.
fn changes_between<S: StateStore, E: BlockExecutor>(
    chain: &Chain<S, E>,
    from: &HeaderHash,
    to: &HeaderHash,
) -> Result<Option<Vec<KeyChange>>, NodeError> {
    let mut sets: Vec<std::sync::Arc<marmalade_state::StateChanges>> = Vec::new();
    let mut at = *to;
    // A finality step is a few blocks; a longer walk means something else went wrong.
    for _ in 0..1024 {
        if at == *from {
            let mut out = Vec::new();
            for set in sets.iter().rev() {
                out.extend(set.key_changes());
            }
            return Ok(Some(out));
        }
        let Some(stored) = chain.store().get(&at)? else {
            return Ok(None);
        };
        let Some((changes, _)) = stored.changes else {
            return Ok(None);
        };
        sets.push(changes);
        let BlockRef { parent, .. } = stored.block;
        at = parent;
    }
    Ok(None)
}
