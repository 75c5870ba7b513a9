#!/usr/bin/env bash
# Builds and runs the database macro benchmark (bench, then crash) with results on stdout.
# Default: RocksDB built from the crate's bundled C++ sources (11.8.1; ~50 CPU-minutes of C++).
# ROCKSDB_SYSTEM=1: link Debian's librocksdb instead (`apt-get install librocksdb-dev`, 7.8.3),
# which builds in ~2 minutes; the crate's one binding missing from 7.8
# (rocksdb_write_buffer_manager_destroy, never called here) is defined as 0 at link time.
# Extra arguments go to both subcommands' option parsers, e.g. `--reps 1`.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/dbbench-target}
if [ "${ROCKSDB_SYSTEM:-0}" = 1 ]; then
  export ROCKSDB_LIB_DIR=/usr/lib/x86_64-linux-gnu CARGO_TARGET_DIR=$CARGO_TARGET_DIR/syslib
  cargo rustc --release --locked --bin marmalade-dbbench -- \
    -C link-arg=-Wl,--defsym=rocksdb_write_buffer_manager_destroy=0
else
  cargo build --release --locked
fi
bin=$CARGO_TARGET_DIR/release/marmalade-dbbench
"$bin" bench "$@"
"$bin" crash "$@"
