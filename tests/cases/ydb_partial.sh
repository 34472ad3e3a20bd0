#!/usr/bin/env bash
# Partial Y databases (issue 12 part 3).  A database lacking one marker of the panel
# (DYS643 cut from the Y23 database) must give, for every row, exactly the Y LR of a run
# in which DYS643 does not exist at all (cut from the panel, the profiles and the
# database): the compared loci are those typed in the remain, the reference and the
# database, in numerator and denominator alike.  Before the fix such a locus set N = 0
# and f = 1 wherever it was compared (a true nephew's log10 LR_Y fell from 3.03 to
# -0.11).  Also: the warning names DYS643, the y_left_out column counts it (1 where the
# remain and the Y reference are both typed there), and the complete database gives the
# usual columns.  The closed-form check over the remaining loci is in
# tests/unit/test_lineage.c (test_ydb_partial).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
P="$OUT/panel"
bash "$top/bench/make-panel.sh" "$P" >/dev/null
"$KM" simulate --panel "$P/panel.tsv" --freqs "$P/freqs.tsv" --y-db "$P/ydb.tsv" --families 30 --remain-frac 0.5 \
	--seed 11 --quiet --out "$OUT/sim"
cut_col() {  # drop column DYS643 of a Y database
	awk -F'\t' -v OFS='\t' '/^#/ { print; next } !h { h = 1; for (i = 1; i <= NF; ++i) if ($i == "DYS643") c = i }
		{ s = ""; for (i = 1; i <= NF; ++i) if (i != c) s = s (s == "" && i == 1 ? "" : OFS) $i; print s }' "$1"
}
cut_col "$P/ydb.tsv" > "$OUT/ydb_cut.tsv"
grep -v -P '^DYS643\t' "$P/panel.tsv" > "$OUT/panel_cut.tsv"
for f in remains references; do awk -F'\t' '$2 != "DYS643"' "$OUT/sim/$f.tsv" > "$OUT/${f}_cut.tsv"; done
run() {  # name panel remains references ydb
	"$KM" match --panel "$2" --freqs "$P/freqs.tsv" --remains "$3" --references "$4" --pedigrees "$OUT/sim/pedigrees.tsv" \
		--y-db "$5" --all --threads 2 --quiet --out "$OUT/$1" 2> "$OUT/$1.err"
}
# --quiet silences warnings: run the partial case once without it for the message
"$KM" match --panel "$P/panel.tsv" --freqs "$P/freqs.tsv" --remains "$OUT/sim/remains.tsv" --references "$OUT/sim/references.tsv" \
	--pedigrees "$OUT/sim/pedigrees.tsv" --y-db "$OUT/ydb_cut.tsv" --top 1 --out "$OUT/warn" 2> "$OUT/warn.err"
grep -q "DYS643 (typed in" "$OUT/warn.err" || { echo "no warning naming DYS643:"; cat "$OUT/warn.err"; exit 1; }
run partial "$P/panel.tsv" "$OUT/sim/remains.tsv" "$OUT/sim/references.tsv" "$OUT/ydb_cut.tsv"
run absent "$OUT/panel_cut.tsv" "$OUT/remains_cut.tsv" "$OUT/references_cut.tsv" "$OUT/ydb_cut.tsv"
run full "$P/panel.tsv" "$OUT/sim/remains.tsv" "$OUT/sim/references.tsv" "$P/ydb.tsv"
head -1 "$OUT/partial/matches.tsv" | grep -q -P '\ty_left_out$' || { echo "no y_left_out column"; exit 1; }
head -1 "$OUT/full/matches.tsv" | grep -q y_left_out && { echo "y_left_out with a complete database"; exit 1; }
# rows keyed by remain/family/missing: Y LR equal to the run without DYS643; every row
# with a Y LR counts 1 or 0 loci left out, at least one counts 1
awk -F'\t' 'FNR == 1 { f++; next }
	f == 1 { y[$1 "/" $2 "/" $3] = $9; next }
	{ k = $1 "/" $2 "/" $3; n++
	  if (!(k in y)) { print "row " k " missing in the run without DYS643"; bad = 1; exit 1 }
	  if (y[k] != $9) { print k ": log10_lr_y " $9 " with the partial database, " y[k] " without DYS643"; bad = 1; exit 1 }
	  if ($9 == "NA" && $16 != "NA") { print k ": y_left_out " $16 " but no Y LR"; bad = 1; exit 1 }
	  if ($9 != "NA" && $16 != 0 && $16 != 1) { print k ": y_left_out " $16; bad = 1; exit 1 }
	  ones += $16 == 1; if ($9 != "NA" && $9 != "-inf") ny++ }
	END { if (bad) exit 1; if (!n || !ny || !ones) { print "nothing compared: rows " n ", Y rows " ny ", rows with DYS643 left out " ones; exit 1 } }' \
	"$OUT/absent/matches.tsv" "$OUT/partial/matches.tsv"
