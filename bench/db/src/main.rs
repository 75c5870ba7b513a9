//! Macro benchmark (wall-clock, whole workloads, not criterion) that chooses Marmalade's database:
//! redb vs parity-db vs RocksDB, run side by side in one invocation. See docs/DATABASE.md.
//!
//! Usage:
//!   marmalade-dbbench bench [--reps 3] [--dir D] [--items 1000000] [--blocks 2000]
//!   marmalade-dbbench crash [--rounds 20] [--dir D]
//!   marmalade-dbbench crash-child <backend> <durable 0|1> <dir>      (internal)
#![deny(unsafe_code)]

mod backends;

use backends::{open, Col, Kind, Op, Res};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 0x4a41_4d00;
const BATCH: usize = 10_000;
const MISSING_READS: usize = 100_000;
const BODY_LEN: usize = 20 * 1024;
/// In the batched import mode, every this many-th block commit is durable.
const DURABLE_EVERY: usize = 32;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let dir = PathBuf::from(flag("--dir", "/work/dbbench-target/data"));
    match args.first().map(String::as_str) {
        Some("bench") => bench(
            &dir,
            flag("--reps", "3").parse()?,
            flag("--items", "1000000").parse()?,
            flag("--blocks", "2000").parse()?,
        ),
        Some("crash") => crash(&dir, flag("--rounds", "20").parse()?),
        Some("crash-child") if args.len() == 4 => {
            let kind = Kind::parse(&args[1]).ok_or("unknown backend")?;
            crash_child(kind, args[2] == "1", Path::new(&args[3]))
        }
        _ => Err("usage: marmalade-dbbench bench|crash [options] (see src/main.rs)".into()),
    }
}

// ---------------------------------------------------------------- workload data

/// Value size mix of the state: 70% 8..64 B, 25% 64..512 B, 4.99% 512 B..4 KiB, 0.01% 4..100 KiB.
fn value_len(rng: &mut StdRng) -> usize {
    match rng.gen_range(0..10_000) {
        0..=6_999 => rng.gen_range(8..=64),
        7_000..=9_499 => rng.gen_range(65..=512),
        9_500..=9_998 => rng.gen_range(513..=4096),
        _ => rng.gen_range(4097..=100 * 1024),
    }
}

/// Random bytes that values are cut from (incompressible, cheap to produce).
struct Pool(Vec<u8>);

impl Pool {
    fn new(rng: &mut StdRng) -> Self {
        let mut v = vec![0u8; 256 * 1024];
        rng.fill(&mut v[..]);
        Pool(v)
    }
    fn value(&self, rng: &mut StdRng, len: usize) -> Vec<u8> {
        let off = rng.gen_range(0..self.0.len() - len);
        self.0[off..off + len].to_vec()
    }
}

fn random_key(rng: &mut StdRng) -> [u8; 31] {
    let mut k = [0u8; 31];
    rng.fill(&mut k[..]);
    k
}

/// Bytes allocated on disk under `dir` (st_blocks, so sparse/preallocated files count as they are).
fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata() {
                total += if m.is_dir() {
                    disk_bytes(&e.path())
                } else {
                    m.blocks() * 512
                };
            }
        }
    }
    total
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

// ---------------------------------------------------------------- bench

#[derive(Clone, Copy, Default)]
struct Row {
    load_s: f64,
    load_mib: f64,
    read_s: f64,
    miss_s: f64,
    durable_bps: f64,
    batched_bps: f64,
    relaxed_bps: f64,
    final_mib: f64,
}

fn bench(root: &Path, reps: usize, items: usize, blocks: usize) -> Res<()> {
    let mut rows: Vec<(Kind, Row)> = Vec::new();
    for rep in 0..reps {
        let mut order = Kind::ALL;
        order.rotate_left(rep % 3);
        for kind in order {
            let dir = root.join(format!("bench-{}", kind.name()));
            let _ = std::fs::remove_dir_all(&dir);
            let row = bench_one(kind, &dir, SEED + rep as u64, items, blocks)?;
            eprintln!(
                "rep {rep} {:<9} load {:6.2}s {:7.1}MiB | read {:6.2}s miss {:5.2}s | import durable {:7.1} b/s batched {:7.1} b/s relaxed {:7.1} b/s | {:7.1}MiB",
                kind.name(), row.load_s, row.load_mib, row.read_s, row.miss_s, row.durable_bps, row.batched_bps, row.relaxed_bps, row.final_mib
            );
            rows.push((kind, row));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!("\nMedian of {reps} runs ({items} state items, {blocks} blocks per import mode):\n");
    println!("| backend | load 1M items (s) | disk after load (MiB) | 1M random gets (s) | 100k missing gets (s) | import durable (blocks/s) | import batched, 1 in {DURABLE_EVERY} commits durable (blocks/s) | import relaxed (blocks/s) | disk after import (MiB) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for kind in Kind::ALL {
        let runs: Vec<Row> = rows
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, r)| *r)
            .collect();
        let med = |f: fn(&Row) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let durable = if kind == Kind::ParityDb {
            format!("n/a ({:.0} not durable)", med(|r| r.durable_bps))
        } else {
            format!("{:.0}", med(|r| r.durable_bps))
        };
        println!(
            "| {} | {:.2} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.0} |",
            kind.name(),
            med(|r| r.load_s),
            med(|r| r.load_mib),
            med(|r| r.read_s),
            med(|r| r.miss_s),
            durable,
            med(|r| r.batched_bps),
            med(|r| r.relaxed_bps),
            med(|r| r.final_mib)
        );
    }
    Ok(())
}

fn bench_one(kind: Kind, dir: &Path, seed: u64, items: usize, blocks: usize) -> Res<Row> {
    let mut rng = StdRng::seed_from_u64(seed);
    let pool = Pool::new(&mut rng);
    let keys: Vec<[u8; 31]> = (0..items).map(|_| random_key(&mut rng)).collect();
    let lens: Vec<usize> = (0..items).map(|_| value_len(&mut rng)).collect();
    let mut row = Row::default();

    // 1. Load: batches of 10k items, each one durable atomic commit; timed up to a clean close.
    let t = Instant::now();
    let mut db = open(kind, dir)?;
    for start in (0..items).step_by(BATCH) {
        let ops: Vec<Op> = (start..(start + BATCH).min(items))
            .map(|i| {
                (
                    Col::State,
                    keys[i].to_vec(),
                    Some(pool.value(&mut rng, lens[i])),
                )
            })
            .collect();
        db.commit(&ops, true)?;
    }
    drop(db);
    row.load_s = t.elapsed().as_secs_f64();
    row.load_mib = mib(disk_bytes(dir));

    // 2. Reads after reopening: random existing keys (checking value lengths), then missing keys.
    let db = open(kind, dir)?;
    let picks: Vec<usize> = (0..items).map(|_| rng.gen_range(0..items)).collect();
    let (mut pos, mut bad) = (0, 0usize);
    let t = Instant::now();
    db.get_each(
        Col::State,
        &mut picks.iter().map(|&i| &keys[i][..]),
        &mut |len| {
            bad += usize::from(len != Some(lens[picks[pos]]));
            pos += 1;
        },
    )?;
    row.read_s = t.elapsed().as_secs_f64();
    let missing: Vec<[u8; 31]> = (0..MISSING_READS).map(|_| random_key(&mut rng)).collect();
    let t = Instant::now();
    db.get_each(
        Col::State,
        &mut missing.iter().map(|k| &k[..]),
        &mut |len| bad += usize::from(len.is_some()),
    )?;
    row.miss_s = t.elapsed().as_secs_f64();
    if bad != 0 {
        return Err(format!("{}: {bad} wrong read results", kind.name()).into());
    }

    // 3. Block import, one atomic commit per block: all durable; then batched (relaxed commits,
    // every DURABLE_EVERY-th durable, as a node catching up could do); then all relaxed (timed
    // up to a durable close).
    let mut db = db;
    let t = Instant::now();
    for n in 0..blocks {
        db.commit(&block_ops(&mut rng, &pool, &keys, n as u32), true)?;
    }
    row.durable_bps = blocks as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for n in blocks..2 * blocks {
        let durable = n % DURABLE_EVERY == DURABLE_EVERY - 1;
        db.commit(&block_ops(&mut rng, &pool, &keys, n as u32), durable)?;
    }
    row.batched_bps = blocks as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for n in 2 * blocks..3 * blocks {
        db.commit(&block_ops(&mut rng, &pool, &keys, n as u32), false)?;
    }
    // One durable commit plus a clean close makes the relaxed commits durable too (redb: an
    // Immediate commit persists earlier None commits; RocksDB: a synced write fsyncs the WAL;
    // parity-db: closing flushes its queue and logs).
    db.commit(&[(Col::Meta, b"synced".to_vec(), Some(vec![1]))], true)?;
    drop(db);
    row.relaxed_bps = blocks as f64 / t.elapsed().as_secs_f64();
    row.final_mib = mib(disk_bytes(dir));
    Ok(row)
}

/// One imported block: body, header-index entry, best-block pointer, 200 state writes (3/4 updates
/// of existing keys, 1/4 new keys) and 20 deletes of existing keys.
fn block_ops(rng: &mut StdRng, pool: &Pool, keys: &[[u8; 31]], number: u32) -> Vec<Op> {
    let mut hash = [0u8; 32];
    rng.fill(&mut hash[..]);
    let mut ops: Vec<Op> = Vec::with_capacity(224);
    ops.push((Col::Blocks, hash.to_vec(), Some(pool.value(rng, BODY_LEN))));
    ops.push((
        Col::Headers,
        number.to_be_bytes().to_vec(),
        Some(hash.to_vec()),
    ));
    let mut best = hash.to_vec();
    best.extend_from_slice(&number.to_be_bytes());
    ops.push((Col::Meta, b"best".to_vec(), Some(best)));
    for i in 0..200 {
        let key = if i % 4 == 3 {
            random_key(rng)
        } else {
            keys[rng.gen_range(0..keys.len())]
        };
        let len = value_len(rng);
        ops.push((Col::State, key.to_vec(), Some(pool.value(rng, len))));
    }
    for _ in 0..20 {
        ops.push((
            Col::State,
            keys[rng.gen_range(0..keys.len())].to_vec(),
            None,
        ));
    }
    ops
}

// ---------------------------------------------------------------- crash safety

const CRASH_ITEMS: u8 = 100;

fn crash_key(txn: u64, i: u8) -> Vec<u8> {
    let mut k = vec![0u8; 31];
    k[..8].copy_from_slice(&txn.to_be_bytes());
    k[8] = i;
    k
}

fn crash_value(txn: u64) -> Vec<u8> {
    let mut v = txn.to_be_bytes().to_vec();
    v.resize(100, 0xab);
    v
}

fn read_meta(db: &dyn backends::Store) -> Res<u64> {
    Ok(match db.get(Col::Meta, b"txn")? {
        Some(v) => u64::from_be_bytes(v.as_slice().try_into()?),
        None => 0,
    })
}

/// Child: commits numbered transactions forever, printing each number once its commit returned.
fn crash_child(kind: Kind, durable: bool, dir: &Path) -> Res<()> {
    let mut db = open(kind, dir)?;
    let mut out = std::io::stdout().lock();
    for n in read_meta(&*db)? + 1.. {
        let mut ops: Vec<Op> = vec![(Col::Meta, b"txn".to_vec(), Some(n.to_be_bytes().to_vec()))];
        ops.extend((0..CRASH_ITEMS).map(|i| (Col::State, crash_key(n, i), Some(crash_value(n)))));
        db.commit(&ops, durable)?;
        writeln!(out, "{n}")?;
        out.flush()?;
    }
    Ok(())
}

/// Checks the reopened store; returns the surviving transaction number, or a failure description
/// with the number of acknowledged commits that were lost.
fn check_after_kill(kind: Kind, dir: &Path, acked: u64) -> Result<u64, (String, u64)> {
    check_inner(kind, dir, acked)
        .map_err(|e| (e, 0))
        .and_then(|n| {
            if n < acked {
                Err((
                    format!("meta {n} < acknowledged {acked} (durability)"),
                    acked - n,
                ))
            } else {
                Ok(n)
            }
        })
}

fn check_inner(kind: Kind, dir: &Path, acked: u64) -> Result<u64, String> {
    let db = open(kind, dir).map_err(|e| format!("open failed: {e}"))?;
    let n = read_meta(&*db).map_err(|e| format!("meta: {e}"))?;
    for i in 0..CRASH_ITEMS {
        if n > 0
            && db
                .get(Col::State, &crash_key(n, i))
                .map_err(|e| e.to_string())?
                != Some(crash_value(n))
        {
            return Err(format!("txn {n} item {i} missing (atomicity)"));
        }
    }
    for m in n + 1..=n.max(acked) + 2 {
        for i in 0..CRASH_ITEMS {
            if db
                .get(Col::State, &crash_key(m, i))
                .map_err(|e| e.to_string())?
                .is_some()
            {
                return Err(format!(
                    "meta says {n} but item of txn {m} exists (atomicity)"
                ));
            }
        }
    }
    Ok(n)
}

fn crash(root: &Path, rounds: usize) -> Res<()> {
    let exe = std::env::current_exe()?;
    let mut rng = StdRng::seed_from_u64(SEED);
    let configs = [
        (Kind::Redb, true),
        (Kind::Redb, false),
        (Kind::ParityDb, false),
        (Kind::RocksDb, true),
        (Kind::RocksDb, false),
    ];
    println!("| backend | mode | kills | pass | open failed | atomicity broken | rounds losing acked commits | acked commits lost (total) | txn number at end |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (kind, durable) in configs {
        let dir = root.join(format!("crash-{}-{durable}", kind.name()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut pass, mut open_failed, mut broken) = (0, 0, 0);
        let (mut lost_rounds, mut lost, mut last_n) = (0, 0u64, 0u64);
        for _ in 0..rounds {
            let mut child = Command::new(&exe)
                .args(["crash-child", kind.name(), if durable { "1" } else { "0" }])
                .arg(&dir)
                .stdout(Stdio::piped())
                .spawn()?;
            let stdout = child.stdout.take().ok_or("no child stdout")?;
            let reader = std::thread::spawn(move || {
                BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                    .filter_map(|l| l.parse::<u64>().ok())
                    .last()
            });
            std::thread::sleep(Duration::from_millis(rng.gen_range(50..=800)));
            child.kill()?; // SIGKILL
            child.wait()?;
            // Commits acknowledged in earlier rounds stay acknowledged.
            let acked = reader
                .join()
                .map_err(|_| "reader panicked")?
                .unwrap_or(0)
                .max(last_n);
            match check_after_kill(kind, &dir, acked) {
                Ok(n) => {
                    pass += 1;
                    last_n = n;
                }
                Err((e, l)) => {
                    eprintln!("{} durable={durable}: {e}", kind.name());
                    if e.starts_with("open failed") {
                        open_failed += 1;
                    } else if l == 0 {
                        broken += 1;
                    } else {
                        lost_rounds += 1;
                        lost += l;
                    }
                    // Continue from what survived so later rounds still test something.
                    last_n = open(kind, &dir)
                        .and_then(|db| read_meta(&*db))
                        .unwrap_or(last_n);
                }
            }
        }
        let mode = match (kind, durable) {
            (Kind::ParityDb, _) => "default (async WAL)",
            (Kind::Redb, true) => "Durability::Immediate",
            (Kind::Redb, false) => "Durability::None",
            (Kind::RocksDb, true) => "sync=true",
            (Kind::RocksDb, false) => "sync=false",
        };
        println!(
            "| {} | {mode} | {rounds} | {pass} | {open_failed} | {broken} | {lost_rounds} | {lost} | {last_n} |",
            kind.name()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
