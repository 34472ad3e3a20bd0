#!/usr/bin/env bash
# Two missing brothers, both parents typed: each remain has the same LR for M1 and M2
# (exchangeable).  matches.tsv marks the tie (column tie = 1, at any --top), the joint posteriors split
# 0.5 / 0.5 and both remains are inconclusive; the summary counts two exchangeable missing
# persons, not conflicts, at any --top.
set -eu
KM=${KM:-./kinmatch}; OUT=${OUT:-/tmp/dvi_exchangeable}
d=tests/dvi/exchangeable
rm -rf "$OUT"; mkdir -p "$OUT"
for t in 1 10; do
	"$KM" match --panel $d/panel.tsv --freqs $d/freqs.tsv --remains $d/remains.tsv --references $d/references.tsv \
		--pedigrees $d/pedigrees.tsv --dvi --top $t --threads 2 --out "$OUT/t$t" 2> "$OUT/t$t.err"
	grep -q 'conflicts (LR >= 1e4, every pair): 0 remains strong for two or more families, 0 missing persons strong for two or more remains; 2 exchangeable missing persons' "$OUT/t$t.err"
done
# the tie column marks every row, also with --top 1 where the tied candidate is not shown
for t in 1 10; do
	[ "$(head -1 "$OUT/t$t/matches.tsv" | awk -F'\t' '{ print $NF }')" = tie ]
	[ "$(awk -F'\t' 'NR > 1 && $NF != 1' "$OUT/t$t/matches.tsv" | wc -l)" = 0 ]
done
awk -F'\t' 'NR > 1 && $2 <= 2 && $4 != 0.5 { exit 1 }' "$OUT/t10/joint.tsv"
[ "$(awk -F'\t' 'NR > 1 && $4 == "inconclusive" && $6 == 0.5' "$OUT/t10/identifications.tsv" | wc -l)" = 2 ]
cmp "$OUT/t1/identifications.tsv" "$OUT/t10/identifications.tsv"
