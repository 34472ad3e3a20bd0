#!/usr/bin/env bash
# Lineage markers through the command line (issue 3):
# 1. Two families whose grand-nephews (through brothers) have the same autosomal profile
#    but different Y haplotypes: autosomal evidence alone cannot separate them (equal
#    log10_lr_str), the Y-STRs rank the true family (FB, matching the remain's Y) first.
# 2. On a simulated dataset with Y and mtDNA: log10_lr is the sum of the systems, a
#    system is NA exactly when its lineage reference is NA, and the output is the same
#    at 1 and 2 threads.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/lineage/rank"
mkdir -p "$OUT"
"$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references "$d/references.tsv" \
	--pedigrees "$d/pedigrees.tsv" --y-db "$d/ydb.tsv" --mutation stepwise --all --quiet --out "$OUT/rank"
awk -F'\t' 'NR > 1 { rank[$2] = $4; str[$2] = $6; y[$2] = $9 }
	END {
		if (str["FA"] != str["FB"]) { print "autosomal LRs differ: " str["FA"] " " str["FB"]; exit 1 }
		if (rank["FB"] != 1 || rank["FA"] != 2) { print "Y did not rank the true family first: FA " rank["FA"] ", FB " rank["FB"]; exit 1 }
		if (!(y["FB"] > 0 && y["FA"] == "-inf" || y["FA"] < y["FB"])) { print "Y LRs: FA " y["FA"] " FB " y["FB"]; exit 1 }
	}' "$OUT/rank/matches.tsv"
# without the Y database the Y data is an error, not silently ignored
if "$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references "$d/references.tsv" \
	--pedigrees "$d/pedigrees.tsv" --all --quiet --out "$OUT/noydb" 2> "$OUT/noydb.err"; then
	echo "Y data without --y-db was accepted"; exit 1
fi
grep -q -- "--y-db" "$OUT/noydb.err" || { echo "no --y-db message:"; cat "$OUT/noydb.err"; exit 1; }

# simulated families with Y and mtDNA
bash "$top/bench/make-panel.sh" "$OUT/panel" >/dev/null
"$KM" simulate --panel "$OUT/panel/panel.tsv" --freqs "$OUT/panel/freqs.tsv" --y-db "$OUT/panel/ydb.tsv" \
	--mt-db "$OUT/panel/mtdb.tsv" --families 40 --remain-frac 0.4 --seed 9 --quiet --out "$OUT/sim"
for th in 1 2; do
	"$KM" match --panel "$OUT/panel/panel.tsv" --freqs "$OUT/panel/freqs.tsv" --remains "$OUT/sim/remains.tsv" \
		--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --remain-info "$OUT/sim/remain-info.tsv" \
		--y-db "$OUT/panel/ydb.tsv" --mtdna "$OUT/sim/mtdna.tsv" --mt-db "$OUT/panel/mtdb.tsv" --top 5 --threads $th --quiet --out "$OUT/m$th"
done
cmp "$OUT/m1/matches.tsv" "$OUT/m2/matches.tsv"
awk -F'\t' 'NR > 1 {
	s = 0; inf = 0
	for (i = 6; i <= 10; ++i) { if ($i == "-inf") inf = 1; else if ($i != "NA") s += $i }
	if (inf) { if ($5 != "-inf") { print "row " NR ": a system is -inf, the total " $5; exit 1 } }
	else { d = s - $5; if (d < 0) d = -d; if (d > 2e-6) { print "row " NR ": systems sum to " s ", log10_lr " $5; exit 1 } }
	if (($9 == "NA") != ($12 == "NA")) { print "row " NR ": Y LR " $9 " but Y reference " $12; exit 1 }
	if ($10 != "NA" && $14 == "NA") { print "row " NR ": mt LR " $10 " without an mt reference"; exit 1 }
	if ($9 != "NA") ny++; if ($10 != "NA") nm++
} END { if (!ny || !nm) { print "no Y (" ny ") or no mt (" nm ") rows"; exit 1 } }' "$OUT/m1/matches.tsv"
