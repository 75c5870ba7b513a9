#!/usr/bin/env bash
# Clean release build of each backend crate alone (`cargo build -p <crate>` builds only that
# dependency and its own dependencies), each in a fresh target dir, timed by /usr/bin/time -v.
# User+sys CPU time is robust to other load on a shared machine; wall time is not.
# Usage: bench/db/build-cost.sh [crate ...]   (default: redb parity-db rocksdb)
# TARGET_ROOT (default /work/dbbench-target/cost) holds one target dir per crate.
set -euo pipefail
cd "$(dirname "$0")"
root=${TARGET_ROOT:-/work/dbbench-target/cost}
crates=("$@"); [ ${#crates[@]} -eq 0 ] && crates=(redb parity-db rocksdb)
cargo fetch --locked >/dev/null
for c in "${crates[@]}"; do
  dir="$root/$c"; rm -rf "$dir"; mkdir -p "$dir"
  CARGO_TARGET_DIR="$dir" /usr/bin/time -v -o "$dir/time.txt" \
    cargo build --release --locked --offline -p "$c" >"$dir/build.log" 2>&1
  awk -v c="$c" -F': ' '/User time/{u=$2} /System time/{s=$2} /Elapsed \(wall/{w=$2}
    END{printf "%-10s user+sys %7.1f s   wall %s\n", c, u+s, w}' "$dir/time.txt"
done
