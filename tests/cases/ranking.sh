#!/usr/bin/env bash
# --top K is exactly the --all output cut at rank K, and --min-log10-lr X exactly the
# rows of that with log10_lr >= X (ranks kept), at several thread counts.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/oracle/multi_family_ranking"
mkdir -p "$OUT"
run() { "$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" \
	--references "$d/references.tsv" --pedigrees "$d/pedigrees.tsv" --quiet "$@"; }
run --all --threads 1 --out "$OUT/all"
for k in 1 2 3; do
	for th in 1 2 4; do
		run --top $k --min-loci 0 --threads $th --out "$OUT/top$k.$th"
		awk -F'\t' -v k=$k 'NR == 1 || $4 <= k' "$OUT/all/matches.tsv" | cmp - "$OUT/top$k.$th/matches.tsv"
	done
done
run --top 3 --min-log10-lr 0 --min-loci 0 --out "$OUT/lr"
awk -F'\t' 'NR == 1 || ($4 <= 3 && $5 != "-inf" && $5 + 0 >= 0)' "$OUT/all/matches.tsv" | cmp - "$OUT/lr/matches.tsv"
# --min-loci above the typed loci drops every candidate (and warns); --all overrides it
"$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" \
	--references "$d/references.tsv" --pedigrees "$d/pedigrees.tsv" --min-loci 24 --out "$OUT/few" 2> "$OUT/few.err"
[ "$(wc -l < "$OUT/few/matches.tsv")" = 1 ] || { echo "--min-loci 24 kept rows"; exit 1; }
grep -q 'fewer than --min-loci 24' "$OUT/few.err" || { echo "no --min-loci warning"; exit 1; }
run --min-loci 24 --all --out "$OUT/few_all"
cmp "$OUT/all/matches.tsv" "$OUT/few_all/matches.tsv"
# --all wins over --top and --min-log10-lr (CONTRACT.md)
run --all --top 1 --min-log10-lr 5 --out "$OUT/all_over"
cmp "$OUT/all/matches.tsv" "$OUT/all_over/matches.tsv"
# the nightly summary's counts, by hand: R1 is strong (log10 LR >= 4) for FAMA, R2 and R3
# each for both missing siblings of FAMB -> 5 candidates for 3 remains; no remain is strong
# for two families; FAMB-MP1 and FAMB-MP2 are each strong for two remains
"$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" \
	--references "$d/references.tsv" --pedigrees "$d/pedigrees.tsv" --mutation none --out "$OUT/summary" 2> "$OUT/summary.err"
grep -q '^kinmatch: 5 candidates with log10 LR >= 4, for 3 remains; conflicts: 0 remains strong for two or more families, 2 missing persons strong for two or more remains$' "$OUT/summary.err" ||
	{ echo "summary counts:"; cat "$OUT/summary.err"; exit 1; }
