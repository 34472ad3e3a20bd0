#!/usr/bin/env bash
# CI's small version of bench/accuracy.sh: the report and the plot are made, and with a
# fixed seed the dropout model does what it is for: at d >= 0.15 it keeps at least as
# many true candidates at LR >= 10^4, and ranks at least as many true families first, as
# ignoring dropout does.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
OUT="$OUT" bash "$top/bench/accuracy.sh" --small 2>/dev/null
res="$OUT/accuracy/results.tsv"
[ -s "$OUT/accuracy/ACCURACY.md" ] && grep -q '<svg' "$OUT/accuracy/accuracy.svg"
awk -F'\t' '$3 == "all related" { f[$1, $2] = $5; l[$1, $2] = $6; n[$1] = $4 }
	END {
		for (d in n) if (d + 0 >= 0.15) {
			if (l[d, "model"] < l[d, "plain"] || f[d, "model"] < f[d, "plain"]) { print "model worse at d=" d; bad = 1 }
			if (d + 0 >= 0.3 && l[d, "model"] <= l[d, "plain"]) { print "model rescues nothing at d=" d; bad = 1 }
		}
		if (!(("0", "model") in f)) { print "no d=0 rows"; bad = 1 }
		if (f["0", "model"] != f["0", "plain"] || l["0", "model"] != l["0", "plain"]) { print "d=0 differs between model and plain"; bad = 1 }
		exit bad
	}' "$res"
