#!/usr/bin/env bash
# --lineage-freq upper95 on the demo night (issue 12; found 2026-12-03): the Clopper-Pearson
# bound is the 0.95 quantile of Beta(x + 1, N - x), and GSL's quantile fails to converge
# for some (x, N) of the demo's databases; GSL's default handler then aborted the whole
# run (exit 134, no output).  Now (lin_paths.c, lin_cp_upper95) the run finishes, and the
# bound behaves as it must: the 0.95 quantile of Beta(x + 1, N - x) lies above its mean
# (x + 1)/(N + 1), the counting method's f, and f is a denominator of every lineage LR, so
# no pair's Y or mtDNA log10 LR may rise from the counting run to the upper95 run (on
# every row the two share), and some must fall; no value is nan.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
d="$top/profiles/demo"; ref="$top/reference"
run() {
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" \
		--remains "$d/remains.tsv.gz" --references "$d/references.tsv.gz" --pedigrees "$d/pedigrees.tsv.gz" \
		--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$d/mtdna.tsv.gz" --mt-db "$ref/mtdna_1kg_eas.tsv" \
		--top 3 --threads 2 --quiet "$@"
}
run --lineage-freq upper95 --out "$OUT/u95" || { echo "upper95 run failed (exit $?)"; exit 1; }
run --out "$OUT/count"
awk -F'\t' 'NR > 1 { for (i = 9; i <= 10; ++i) if ($i != "NA" && $i != "-inf" && $i !~ /^-?[0-9]+\.[0-9]+$/) { print "bad value " $i " on line " NR; bad = 1 } }
	END { exit bad }' "$OUT/u95/matches.tsv"
# the pairs of both runs (remain, family, missing) and their Y and mt columns
awk -F'\t' 'NR == FNR { if (FNR > 1) { y[$1 "\t" $2 "\t" $3] = $9; m[$1 "\t" $2 "\t" $3] = $10 } next }
	FNR > 1 { k = $1 "\t" $2 "\t" $3; if (!(k in y)) next; n++
		if ($9 != "NA" && y[k] != "NA" && $9 + 0 > y[k] + 1e-9 && $9 != "-inf") { print "Y LR rose: " k " " y[k] " -> " $9; bad = 1 }
		if ($10 != "NA" && m[k] != "NA" && $10 + 0 > m[k] + 1e-9 && $10 != "-inf") { print "mt LR rose: " k " " m[k] " -> " $10; bad = 1 }
		if ($9 != y[k]) ny++; if ($10 != m[k]) nm++ }
	END { f = bad || n < 100 || ny == 0 || nm == 0; if (f) printf "upper95: %d shared rows, Y changed in %d, mt in %d\n", n, ny, nm; exit f }' \
	"$OUT/count/matches.tsv" "$OUT/u95/matches.tsv"
