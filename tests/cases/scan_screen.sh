#!/usr/bin/env bash
# The scan's float screen (locus blocks, dropout twins, a ranking shared by the threads)
# drops only pairs that cannot be kept: on the tiny synthetic memorial (full panel,
# remains with dropout), --top K is exactly the --all output cut at rank K, and with
# --min-log10-lr X exactly the rows of that with log10_lr >= X, at 1, 2 and 3 threads.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
d="$top/bench/data/T"
[ -f "$d/.done" ] || bash "$top/bench/run.sh" T > "$OUT/bench_t.log"    # generates the data once
run() { "$KM" match --panel "$d/panel/panel.tsv" --freqs "$d/panel/freqs.tsv" --remains "$d/remains.tsv.gz" \
	--references "$d/references.tsv.gz" --pedigrees "$d/pedigrees.tsv.gz" --remain-info "$d/remain-info.tsv.gz" \
	--y-db "$d/panel/ydb.tsv" --mtdna "$d/mtdna.tsv.gz" --mt-db "$d/panel/mtdb.tsv" --quiet --min-loci 0 "$@"; }
run --all --threads 2 --out "$OUT/all"
for th in 1 3; do
	run --top 3 --threads $th --out "$OUT/top3.$th"
	awk -F'\t' 'NR == 1 || $4 <= 3' "$OUT/all/matches.tsv" | cmp - "$OUT/top3.$th/matches.tsv"
done
run --top 5 --min-log10-lr 0 --threads 2 --out "$OUT/lr"
awk -F'\t' 'NR == 1 || ($4 <= 5 && $5 != "-inf" && $5 + 0 >= 0)' "$OUT/all/matches.tsv" | cmp - "$OUT/lr/matches.tsv"
