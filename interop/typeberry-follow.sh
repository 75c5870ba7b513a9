#!/usr/bin/env bash
# Interop: typeberry 0.11.0 follows a chain that Marmalade authors over JAMNP-S (QUIC), and
# reports the same posterior state root for every block.
#
#   bash interop/typeberry-follow.sh [--epochs N] [--slot-ms MS] [--port P] [--timeout S]
#
# 1. A Marmalade node authors the dev chain with all six development validators' keys
#    (`marmalade run --dev-validators all`), listening on 127.0.0.1:P.
# 2. typeberry starts as a follower (`--config=dev`) with Marmalade's dev chain spec whose only
#    bootnode is that node; it connects, takes the UP 0 announcements and fetches blocks by CE 128.
# 3. Once typeberry has imported a block of the epoch N+1 epochs after Marmalade's first
#    authored block (so every block of N whole epochs), both stop; `marmalade export-blocks`
#    writes the best chain with the state roots Marmalade computed, and every block is looked
#    up in typeberry's log ("Storing post-state-root for <hash>: <root>").
# Passes only if some blocks were sealed by tickets and typeberry imported every block of the exported chain up to its best, with the
# same root, and rejected none of them. Exit 0: pass; 1: a mismatch, a missing block or a
# timeout (the logs are kept in the printed folder).
set -euo pipefail
cd "$(dirname "$0")/.."

EPOCHS=2
SLOT_MS=1000
PORT=40950
TIMEOUT=240
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) EPOCHS="$2"; shift 2 ;;
    --slot-ms) SLOT_MS="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

EPOCH_LEN=12 # the tiny parameters of the dev chain: E = 12 slots
TB=.typeberry/node_modules/@typeberry/jam/index.js
if [ ! -f "$TB" ]; then
  ../shared/interop/typeberry-install .typeberry >/dev/null
fi
command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
cargo build --release -q -p marmalade
BIN="$PWD/target/release/marmalade"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/marmalade-follow-XXXXXX")"
MLOG="$WORK/marmalade.log"
TLOG="$WORK/typeberry.log"
MPID=""
TPID=""
cleanup() {
  [ -n "$TPID" ] && kill "$TPID" 2>/dev/null || true
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "logs kept in $WORK" >&2
  exit 1
}
strip() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }

"$BIN" run --dev-validators all --base-path "$WORK/db" --no-rpc \
  --listen "127.0.0.1:$PORT" --slot-ms "$SLOT_MS" >"$MLOG" 2>&1 &
MPID=$!

# The node's JAMNP-S name N(k), from its start-up line.
NAME=""
for _ in $(seq 1 100); do
  NAME="$(strip "$MLOG" | sed -n 's/.*network listening.* name=\([a-z0-9]*\).*/\1/p' | head -1)"
  [ -n "$NAME" ] && break
  kill -0 "$MPID" 2>/dev/null || fail "marmalade exited: $(tail -3 "$MLOG")"
  sleep 0.1
done
[ -n "$NAME" ] || fail "marmalade did not start its network"
echo "marmalade node $NAME@127.0.0.1:$PORT"

"$BIN" chain-spec >"$WORK/dev.json"
node -e '
  const fs = require("fs");
  const spec = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  spec.bootnodes = [process.argv[2]];
  fs.writeFileSync(process.argv[3], JSON.stringify(spec));
' "$WORK/dev.json" "$NAME@127.0.0.1:$PORT" "$WORK/spec.json"

GP_VERSION=0.7.2 node "$TB" --config=dev --config=".chain_spec=$WORK/spec.json" >"$TLOG" 2>&1 &
TPID=$!

# Slots typeberry verified, in order of import.
imported_slots() { strip "$TLOG" | sed -n 's/.*Verified block: Got hash 0x[0-9a-f]* for block at slot \([0-9]*\).*/\1/p'; }
first_slot() { strip "$MLOG" | sed -n 's/.*authored block.* slot=\([0-9]*\).*/\1/p' | head -1; }

START=$(date +%s)
FIRST=""
while :; do
  kill -0 "$MPID" 2>/dev/null || fail "marmalade exited: $(tail -3 "$MLOG")"
  kill -0 "$TPID" 2>/dev/null || fail "typeberry exited: $(tail -3 "$TLOG")"
  [ $(($(date +%s) - START)) -lt "$TIMEOUT" ] || fail "timeout after ${TIMEOUT}s"
  [ -n "$FIRST" ] || FIRST="$(first_slot)"
  if [ -n "$FIRST" ]; then
    TARGET=$(((FIRST / EPOCH_LEN + EPOCHS + 1) * EPOCH_LEN))
    TOP="$(imported_slots | sort -n | tail -1)"
    if [ -n "$TOP" ] && [ "$TOP" -ge "$TARGET" ]; then break; fi
  fi
  sleep 1
done
kill "$MPID"
wait "$MPID" 2>/dev/null || true
MPID=""
kill "$TPID"
wait "$TPID" 2>/dev/null || true
TPID=""

"$BIN" export-blocks --base-path "$WORK/db" "$WORK/export" >/dev/null
strip "$TLOG" | sed -n 's/.*Storing post-state-root for \(0x[0-9a-f]*\): \(0x[0-9a-f]*\).*/\1 \2/p' >"$WORK/typeberry-roots.txt"

# Rejections other than of a block typeberry already has (it re-requests overlapping ranges).
if strip "$TLOG" | grep 'Rejected #' | grep -v 'is already imported' >"$WORK/rejected.txt"; then
  fail "typeberry rejected blocks: $(head -3 "$WORK/rejected.txt")"
fi

# Every exported block (height, hash, root) up to the last one typeberry stored must be there
# with the same root; blocks after it were authored while typeberry was stopping.
awk -v first="$FIRST" -v epoch="$EPOCH_LEN" -v epochs="$EPOCHS" '
  NR == FNR { root[$1] = $2; n++; next }
  { height[FNR] = $1; hash[FNR] = $2; want[FNR] = $3; total = FNR }
  END {
    last = 0
    for (i = 1; i <= total; i++) if (hash[i] in root) last = i
    if (last == 0) { print "FAIL: typeberry stored none of the exported blocks"; exit 1 }
    bad = 0
    for (i = 1; i <= last; i++) {
      if (!(hash[i] in root)) { print "FAIL: block " height[i] " " hash[i] " missing in typeberry"; bad++ }
      else if (root[hash[i]] != want[i]) {
        print "FAIL: block " height[i] " " hash[i] ": marmalade " want[i] ", typeberry " root[hash[i]]; bad++
      }
    }
    if (bad) exit 1
    printf "typeberry imported blocks 1..%d of %d exported (first authored slot %d, %d whole epochs), every state root equal\n", last, total, first, epochs
  }
' "$WORK/typeberry-roots.txt" "$WORK/export/state_roots.txt" || fail "state roots differ"
# The chain must have gone past the fallback keys: Safrole tickets (ring proofs made and carried
# in blocks, GP (6.29)-(6.35)) seal the later epochs, which typeberry verified above.
SEALED="$(strip "$MLOG" | grep -c 'authored block.* seal=Ticket' || true)"
[ "$SEALED" -gt 0 ] || fail "no block was sealed by a ticket"
echo "$SEALED blocks sealed by tickets"
rm -rf "$WORK"
