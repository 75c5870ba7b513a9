//! The three candidate stores behind one small interface: atomic multi-column commits and point gets.

use redb::ReadableDatabase;
use std::path::Path;

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Logical columns of the node store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    /// State: 31-byte keys to byte values.
    State = 0,
    /// Block bodies keyed by 32-byte hash.
    Blocks = 1,
    /// Header index: block number to hash.
    Headers = 2,
    /// Small singletons: best-block pointer, crash-test counter.
    Meta = 3,
}

const COLS: [Col; 4] = [Col::State, Col::Blocks, Col::Headers, Col::Meta];
const NAMES: [&str; 4] = ["state", "blocks", "headers", "meta"];

/// One write of a transaction; `None` deletes.
pub type Op = (Col, Vec<u8>, Option<Vec<u8>>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Redb,
    ParityDb,
    RocksDb,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Redb, Kind::ParityDb, Kind::RocksDb];
    pub fn name(self) -> &'static str {
        match self {
            Kind::Redb => "redb",
            Kind::ParityDb => "parity-db",
            Kind::RocksDb => "rocksdb",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// A store: every `commit` is one atomic transaction over all columns.
pub trait Store {
    /// Commits `ops` atomically. `durable`: fsync before returning (where the backend can).
    fn commit(&mut self, ops: &[Op], durable: bool) -> Res<()>;
    /// Point get.
    fn get(&self, col: Col, key: &[u8]) -> Res<Option<Vec<u8>>>;
    /// Point gets of many keys in one read snapshot; calls `f` with each value length.
    fn get_each(
        &self,
        col: Col,
        keys: &mut dyn Iterator<Item = &[u8]>,
        f: &mut dyn FnMut(Option<usize>),
    ) -> Res<()>;
}

pub fn open(kind: Kind, dir: &Path) -> Res<Box<dyn Store>> {
    std::fs::create_dir_all(dir)?;
    Ok(match kind {
        Kind::Redb => Box::new(RedbStore::open(dir)?),
        Kind::ParityDb => Box::new(ParityStore::open(dir)?),
        Kind::RocksDb => Box::new(RocksStore::open(dir)?),
    })
}

// ---------------------------------------------------------------- redb

const REDB_TABLES: [redb::TableDefinition<&[u8], &[u8]>; 4] = [
    redb::TableDefinition::new("state"),
    redb::TableDefinition::new("blocks"),
    redb::TableDefinition::new("headers"),
    redb::TableDefinition::new("meta"),
];

struct RedbStore(redb::Database);

impl RedbStore {
    fn open(dir: &Path) -> Res<Self> {
        // Default builder: 1 GiB page cache, 1-phase commit with checksums.
        Ok(Self(redb::Database::builder().create(dir.join("db.redb"))?))
    }
}

impl Store for RedbStore {
    fn commit(&mut self, ops: &[Op], durable: bool) -> Res<()> {
        let mut tx = self.0.begin_write()?;
        tx.set_durability(if durable {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        })?;
        {
            let mut tables = Vec::with_capacity(4);
            for def in REDB_TABLES {
                tables.push(tx.open_table(def)?);
            }
            for (col, k, v) in ops {
                let t = &mut tables[*col as usize];
                match v {
                    Some(v) => {
                        t.insert(k.as_slice(), v.as_slice())?;
                    }
                    None => {
                        t.remove(k.as_slice())?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
    fn get(&self, col: Col, key: &[u8]) -> Res<Option<Vec<u8>>> {
        let rtx = self.0.begin_read()?;
        let t = match rtx.open_table(REDB_TABLES[col as usize]) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(t.get(key)?.map(|g| g.value().to_vec()))
    }
    fn get_each(
        &self,
        col: Col,
        keys: &mut dyn Iterator<Item = &[u8]>,
        f: &mut dyn FnMut(Option<usize>),
    ) -> Res<()> {
        let rtx = self.0.begin_read()?;
        let t = rtx.open_table(REDB_TABLES[col as usize])?;
        for k in keys {
            f(t.get(k)?.map(|g| g.value().len()));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- parity-db

struct ParityStore(parity_db::Db);

impl ParityStore {
    fn open(dir: &Path) -> Res<Self> {
        let mut opts = parity_db::Options::with_columns(dir, 4);
        // Blocks are keyed by a uniformly distributed 32-byte hash; state keys are 31 bytes, which
        // is below parity-db's 32-byte minimum for `uniform`, so state uses the hashed index.
        opts.columns[Col::Blocks as usize].uniform = true;
        // Defaults kept: sync_wal = true, sync_data = true, no compression.
        Ok(Self(parity_db::Db::open_or_create(&opts)?))
    }
}

impl Store for ParityStore {
    /// parity-db has one commit mode: `commit` queues the change set (readable at once) and a
    /// background thread writes and fsyncs the WAL; there is no public call to wait for that,
    /// so `durable` cannot be honoured.
    fn commit(&mut self, ops: &[Op], _durable: bool) -> Res<()> {
        self.0.commit(
            ops.iter()
                .map(|(c, k, v)| (*c as u8, k.as_slice(), v.clone())),
        )?;
        Ok(())
    }
    fn get(&self, col: Col, key: &[u8]) -> Res<Option<Vec<u8>>> {
        Ok(self.0.get(col as u8, key)?)
    }
    fn get_each(
        &self,
        col: Col,
        keys: &mut dyn Iterator<Item = &[u8]>,
        f: &mut dyn FnMut(Option<usize>),
    ) -> Res<()> {
        for k in keys {
            f(self.0.get(col as u8, k)?.map(|v| v.len()));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- RocksDB

struct RocksStore(rocksdb::DB);

impl RocksStore {
    fn open(dir: &Path) -> Res<Self> {
        // What a node would set for point lookups: bloom filters and a 256 MiB block cache.
        let mut bbo = rocksdb::BlockBasedOptions::default();
        bbo.set_bloom_filter(10.0, false);
        bbo.set_block_cache(&rocksdb::Cache::new_lru_cache(256 << 20));
        let mut cf_opts = rocksdb::Options::default();
        cf_opts.set_block_based_table_factory(&bbo);
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let cfs = NAMES
            .iter()
            .map(|n| rocksdb::ColumnFamilyDescriptor::new(*n, cf_opts.clone()));
        Ok(Self(rocksdb::DB::open_cf_descriptors(&opts, dir, cfs)?))
    }
    fn cf(&self, col: Col) -> Res<&rocksdb::ColumnFamily> {
        self.0
            .cf_handle(NAMES[col as usize])
            .ok_or_else(|| "missing column family".into())
    }
}

impl Store for RocksStore {
    fn commit(&mut self, ops: &[Op], durable: bool) -> Res<()> {
        let mut batch = rocksdb::WriteBatch::default();
        let cfs = COLS.map(|c| self.cf(c));
        for (col, k, v) in ops {
            let cf = cfs[*col as usize].as_ref().map_err(|e| e.to_string())?;
            match v {
                Some(v) => batch.put_cf(*cf, k, v),
                None => batch.delete_cf(*cf, k),
            }
        }
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(durable);
        self.0.write_opt(batch, &wo)?;
        Ok(())
    }
    fn get(&self, col: Col, key: &[u8]) -> Res<Option<Vec<u8>>> {
        Ok(self.0.get_cf(self.cf(col)?, key)?)
    }
    fn get_each(
        &self,
        col: Col,
        keys: &mut dyn Iterator<Item = &[u8]>,
        f: &mut dyn FnMut(Option<usize>),
    ) -> Res<()> {
        let cf = self.cf(col)?;
        for k in keys {
            f(self.0.get_pinned_cf(cf, k)?.map(|v| v.len()));
        }
        Ok(())
    }
}
