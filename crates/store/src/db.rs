//! [`ChainDb`]: the node's persistent, crash-safe database (redb; the choice and its
//! measurements are in `docs/DATABASE.md`).
//!
//! What it keeps, and why that is enough to resume:
//!
//! - every block (the genesis as its header with an empty extrinsic), by header hash, with
//!   its slot, parent and height, and an index by height;
//! - the posterior state of the last **finalized** block, as the GP (D.2) key/value
//!   dictionary, advanced by [`ChainDb::finalize`] with the key changes of the blocks
//!   finalized since;
//! - the best and finalized block hashes and the genesis hash.
//!
//! States above the finalized block are not written: on restart the node re-imports the
//! stored blocks that descend from it (a handful: the finality depth), which recomputes their
//! states and roots exactly. Each write is one redb transaction committed with
//! [`redb::Durability::Immediate`]: a kill at any moment leaves the database at the last
//! committed block, never between a block and its index or between a state change and the
//! finalized pointer that it belongs to.

use crate::BlockRef;
use marmalade_state::{KeyChange, StateKey};
use marmalade_types::{
    decode_all, Block, ChainSpec, Encode, Extrinsic, Header, HeaderHash, StateRoot,
};
use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};
use std::path::{Path, PathBuf};

/// Blocks by header hash: the encoded block.
const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// Headers by hash: height (u64 LE) ++ slot (u32 LE) ++ parent hash ++ posterior state root.
const HEADERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("headers");
/// Height (u64 BE) ++ header hash, for listing blocks in height order.
const HEIGHTS: TableDefinition<&[u8], ()> = TableDefinition::new("heights");
/// The finalized state: 31-byte state keys to values.
const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
/// Pointers: `genesis`, `best`, `finalized` (header hashes).
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The length of a [`HEADERS`] entry.
const HEADER_ENTRY: usize = 8 + 4 + 32 + 32;

/// The database file inside a node's base path.
pub const DB_FILE: &str = "chain.redb";

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The backend failed (I/O, a lock held by another process, a damaged file, ...).
    #[error("database {path}: {message}")]
    Backend {
        /// The database file.
        path: PathBuf,
        /// What redb said.
        message: String,
    },
    /// Stored bytes do not decode: the file was written by something else or is damaged.
    #[error("database {path}: corrupt {what}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What failed to decode.
        what: &'static str,
    },
    /// A block was written whose parent is not stored.
    #[error("block 0x{} has no stored parent", hex(.0))]
    UnknownParent(HeaderHash),
    /// The database was initialized with another genesis.
    #[error("database holds the chain of genesis 0x{}, not 0x{}", hex(.stored), hex(.given))]
    OtherChain {
        /// The genesis hash stored.
        stored: HeaderHash,
        /// The genesis hash given.
        given: HeaderHash,
    },
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A database result.
pub type DbResult<T> = Result<T, DbError>;

/// A stored header's place in the block tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHeader {
    /// Hash, slot, parent.
    pub block: BlockRef,
    /// Blocks since the genesis (0 for the genesis).
    pub height: u64,
    /// The posterior state root the node computed when it imported the block.
    pub state_root: StateRoot,
}

/// The persistent chain database.
pub struct ChainDb {
    db: Database,
    path: PathBuf,
    spec: ChainSpec,
}

impl std::fmt::Debug for ChainDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainDb")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ChainDb {
    /// Opens (or creates) the database in directory `dir` (created if missing) for a chain of
    /// parameters `spec` (blocks decode with its sequence lengths).
    pub fn open(dir: &Path, spec: ChainSpec) -> DbResult<ChainDb> {
        let path = dir.join(DB_FILE);
        let fail = |e: &dyn std::fmt::Display| DbError::Backend {
            path: path.clone(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        let db = Database::create(&path).map_err(|e| fail(&e))?;
        let this = ChainDb { db, path, spec };
        // Create every table, so reads never meet a missing one.
        let tx = this.write()?;
        {
            tx.open_table(BLOCKS).map_err(|e| this.err(e))?;
            tx.open_table(HEADERS).map_err(|e| this.err(e))?;
            tx.open_table(HEIGHTS).map_err(|e| this.err(e))?;
            tx.open_table(STATE).map_err(|e| this.err(e))?;
            tx.open_table(META).map_err(|e| this.err(e))?;
        }
        this.commit(tx)?;
        Ok(this)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> DbError {
        DbError::Backend {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn corrupt(&self, what: &'static str) -> DbError {
        DbError::Corrupt {
            path: self.path.clone(),
            what,
        }
    }

    fn write(&self) -> DbResult<WriteTransaction> {
        let mut tx = self.db.begin_write().map_err(|e| self.err(e))?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| self.err(e))?;
        Ok(tx)
    }

    fn commit(&self, tx: WriteTransaction) -> DbResult<()> {
        tx.commit().map_err(|e| self.err(e))
    }

    fn read(&self) -> DbResult<ReadTransaction> {
        self.db.begin_read().map_err(|e| self.err(e))
    }

    fn meta(&self, name: &str) -> DbResult<Option<HeaderHash>> {
        let tx = self.read()?;
        let table = tx.open_table(META).map_err(|e| self.err(e))?;
        let Some(v) = table.get(name).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let hash = HeaderHash::try_from(v.value()).map_err(|_| self.corrupt("pointer"))?;
        Ok(Some(hash))
    }

    /// The genesis header hash, if initialized.
    pub fn genesis(&self) -> DbResult<Option<HeaderHash>> {
        self.meta("genesis")
    }

    /// The best block recorded with the last block written.
    pub fn best(&self) -> DbResult<Option<HeaderHash>> {
        self.meta("best")
    }

    /// The last finalized block: the one whose posterior state [`ChainDb::state`] holds.
    pub fn finalized(&self) -> DbResult<Option<HeaderHash>> {
        self.meta("finalized")
    }

    /// Initializes an empty database with the genesis header and state (final, best) and
    /// the state's root. On a database already initialized with the same genesis, does
    /// nothing; with another, fails.
    pub fn initialize(
        &self,
        genesis: &Header,
        state: &[(StateKey, Vec<u8>)],
        root: &StateRoot,
    ) -> DbResult<()> {
        let hash = genesis.hash();
        if let Some(stored) = self.genesis()? {
            return if stored == hash {
                Ok(())
            } else {
                Err(DbError::OtherChain {
                    stored,
                    given: hash,
                })
            };
        }
        let block = Block {
            header: genesis.clone(),
            extrinsic: Extrinsic::default(),
        };
        let tx = self.write()?;
        {
            let info = StoredHeader {
                block: BlockRef {
                    hash,
                    slot: genesis.slot,
                    parent: genesis.parent,
                },
                height: 0,
                state_root: *root,
            };
            self.put_block(&tx, &block, info)?;
            let mut table = tx.open_table(STATE).map_err(|e| self.err(e))?;
            for (k, v) in state {
                table
                    .insert(&k[..], v.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            let mut meta = tx.open_table(META).map_err(|e| self.err(e))?;
            for name in ["genesis", "best", "finalized"] {
                meta.insert(name, &hash[..]).map_err(|e| self.err(e))?;
            }
        }
        self.commit(tx)
    }

    fn put_block(&self, tx: &WriteTransaction, block: &Block, info: StoredHeader) -> DbResult<()> {
        let hash = info.block.hash;
        tx.open_table(BLOCKS)
            .map_err(|e| self.err(e))?
            .insert(&hash[..], block.encode().as_slice())
            .map_err(|e| self.err(e))?;
        let mut header = Vec::with_capacity(HEADER_ENTRY);
        header.extend_from_slice(&info.height.to_le_bytes());
        header.extend_from_slice(&info.block.slot.to_le_bytes());
        header.extend_from_slice(&info.block.parent);
        header.extend_from_slice(&info.state_root);
        tx.open_table(HEADERS)
            .map_err(|e| self.err(e))?
            .insert(&hash[..], header.as_slice())
            .map_err(|e| self.err(e))?;
        tx.open_table(HEIGHTS)
            .map_err(|e| self.err(e))?
            .insert(&height_key(info.height, &hash)[..], ())
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Writes `block` (its parent must be stored) with its posterior state root and records
    /// `best` as the best block, in one transaction. Returns its height. Writing a stored
    /// block again only moves `best`.
    pub fn insert_block(
        &self,
        block: &Block,
        state_root: &StateRoot,
        best: &HeaderHash,
    ) -> DbResult<u64> {
        let hash = block.header.hash();
        let parent = self
            .header(&block.header.parent)?
            .ok_or(DbError::UnknownParent(hash))?;
        let info = StoredHeader {
            block: BlockRef {
                hash,
                slot: block.header.slot,
                parent: block.header.parent,
            },
            height: parent.height + 1,
            state_root: *state_root,
        };
        let tx = self.write()?;
        {
            self.put_block(&tx, block, info)?;
            tx.open_table(META)
                .map_err(|e| self.err(e))?
                .insert("best", &best[..])
                .map_err(|e| self.err(e))?;
        }
        self.commit(tx)?;
        Ok(info.height)
    }

    /// Makes `hash` (a stored block) the finalized block, its posterior state the stored
    /// state with `changes` applied (the key changes of every block finalized since the last
    /// call, in block order: later ones win), in one transaction.
    pub fn finalize(&self, hash: &HeaderHash, changes: &[KeyChange]) -> DbResult<()> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(STATE).map_err(|e| self.err(e))?;
            for (k, v) in changes {
                match v {
                    Some(v) => table.insert(&k[..], v.as_slice()),
                    None => table.remove(&k[..]).map(|_| None),
                }
                .map_err(|e| self.err(e))?;
            }
            tx.open_table(META)
                .map_err(|e| self.err(e))?
                .insert("finalized", &hash[..])
                .map_err(|e| self.err(e))?;
        }
        self.commit(tx)
    }

    /// [`ChainDb::finalize`] with the whole posterior state of `hash` given (when the
    /// changes since the last finalized block are no longer at hand).
    pub fn finalize_whole(&self, hash: &HeaderHash, state: &[(StateKey, Vec<u8>)]) -> DbResult<()> {
        let tx = self.write()?;
        {
            tx.delete_table(STATE).map_err(|e| self.err(e))?;
            let mut table = tx.open_table(STATE).map_err(|e| self.err(e))?;
            for (k, v) in state {
                table
                    .insert(&k[..], v.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            tx.open_table(META)
                .map_err(|e| self.err(e))?
                .insert("finalized", &hash[..])
                .map_err(|e| self.err(e))?;
        }
        self.commit(tx)
    }

    /// The posterior state of the finalized block, in ascending key order.
    pub fn state(&self) -> DbResult<Vec<(StateKey, Vec<u8>)>> {
        let tx = self.read()?;
        let table = tx.open_table(STATE).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for item in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = item.map_err(|e| self.err(e))?;
            let key = StateKey::try_from(k.value()).map_err(|_| self.corrupt("state key"))?;
            out.push((key, v.value().to_vec()));
        }
        Ok(out)
    }

    /// The stored header `hash`'s place in the tree.
    pub fn header(&self, hash: &HeaderHash) -> DbResult<Option<StoredHeader>> {
        let tx = self.read()?;
        let table = tx.open_table(HEADERS).map_err(|e| self.err(e))?;
        let Some(v) = table.get(&hash[..]).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let v = v.value();
        if v.len() != HEADER_ENTRY {
            return Err(self.corrupt("header entry"));
        }
        let mut height = [0u8; 8];
        height.copy_from_slice(&v[..8]);
        let mut slot = [0u8; 4];
        slot.copy_from_slice(&v[8..12]);
        let mut parent = [0u8; 32];
        parent.copy_from_slice(&v[12..44]);
        let mut state_root = [0u8; 32];
        state_root.copy_from_slice(&v[44..]);
        Ok(Some(StoredHeader {
            block: BlockRef {
                hash: *hash,
                slot: u32::from_le_bytes(slot),
                parent,
            },
            height: u64::from_le_bytes(height),
            state_root,
        }))
    }

    /// The stored block `hash` (the genesis with an empty extrinsic).
    pub fn block(&self, hash: &HeaderHash) -> DbResult<Option<Block>> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCKS).map_err(|e| self.err(e))?;
        let Some(v) = table.get(&hash[..]).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let block: Block =
            decode_all(v.value(), self.spec.seq_lens()).map_err(|_| self.corrupt("block"))?;
        Ok(Some(block))
    }

    /// The chain ending at `hash`: at most `max` `(slot, hash)` pairs, oldest first, the last
    /// being `hash` itself (empty if unknown).
    pub fn ancestry(&self, hash: &HeaderHash, max: usize) -> DbResult<Vec<(u32, HeaderHash)>> {
        let mut out = Vec::new();
        let mut at = *hash;
        while out.len() < max {
            let Some(h) = self.header(&at)? else { break };
            out.push((h.block.slot, at));
            if h.height == 0 {
                break;
            }
            at = h.block.parent;
        }
        out.reverse();
        Ok(out)
    }

    /// The blocks descending from `hash`, in ascending height (parents before children).
    pub fn descendants(&self, hash: &HeaderHash) -> DbResult<Vec<Block>> {
        let Some(base) = self.header(hash)? else {
            return Ok(Vec::new());
        };
        let tx = self.read()?;
        let table = tx.open_table(HEIGHTS).map_err(|e| self.err(e))?;
        let from = height_key(base.height + 1, &[0; 32]);
        let mut tree = std::collections::HashSet::from([*hash]);
        let mut out = Vec::new();
        for item in table.range(&from[..]..).map_err(|e| self.err(e))? {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let h = HeaderHash::try_from(&k.value()[8..]).map_err(|_| self.corrupt("height"))?;
            let block = self
                .block(&h)?
                .ok_or_else(|| self.corrupt("height index"))?;
            if tree.contains(&block.header.parent) {
                tree.insert(h);
                out.push(block);
            }
        }
        Ok(out)
    }
}

fn height_key(height: u64, hash: &HeaderHash) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(hash);
    k
}
