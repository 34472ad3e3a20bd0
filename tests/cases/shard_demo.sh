#!/usr/bin/env bash
# The demo job as a sharded night (issue 17: "byte-identical outputs for N = 1, 2, 3, 4, 7
# shards on the demo"): bench/shards-identity.sh demo, every file of each merge against the
# single run.  Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
W="$OUT/work" KM="$KM" bash "$top/bench/shards-identity.sh" demo > "$OUT/log" 2>&1 || { cat "$OUT/log"; exit 1; }
[ "$(grep -c 'files byte-identical' "$OUT/log")" = 5 ] || { cat "$OUT/log"; exit 1; }
