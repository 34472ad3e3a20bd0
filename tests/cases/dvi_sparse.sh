#!/usr/bin/env bash
# The identification's matrix comes from the scan's own exact values (km_hits_t.sp) when
# the scan is whole, and from compiling every candidate again when it is not (--store:
# sub-problems, store_incr.c).  The two paths must give the same bytes: the same values
# (scan.c's km_drop_log10 for the dropout part in both), the same threshold, the same
# sex filter.  On a simulated night with dropout, Y and mtDNA, at 1 and 2 threads.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
ref="$top/reference"
mkdir -p "$OUT"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv" \
	--mt-db "$ref/mtdna_1kg_eas.tsv" --families 80 --remain-frac 0.6 --seed 17 --out "$OUT/sim" > /dev/null 2>&1
run() {   # OUT THREADS [extra]
	local o=$1 th=$2; shift 2
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$OUT/sim/remains.tsv" \
		--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --remain-info "$OUT/sim/remain-info.tsv" \
		--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$OUT/sim/mtdna.tsv" --mt-db "$ref/mtdna_1kg_eas.tsv" \
		--dvi --dvi-min-log10-lr -1 --top 5 --threads "$th" --quiet --out "$o" "$@"
}
run "$OUT/scan1" 1
run "$OUT/scan2" 2
run "$OUT/comp2" 2 --store "$OUT/store.sqlite"
grep -q . "$OUT/scan1/undisputed.tsv" && [ "$(wc -l < "$OUT/scan1/undisputed.tsv")" -gt 1 ] || { echo "no undisputed identification: the test checks little"; exit 1; }
awk -F'\t' 'NR > 1 && $5 ~ /^-?[0-9]/ && $2 != "*" { n++ } END { exit !(n > 0) }' "$OUT/scan1/identifications.tsv" || { echo "no identification with an LR"; exit 1; }
for f in matches.tsv undisputed.tsv joint.tsv identifications.tsv; do
	cmp "$OUT/scan1/$f" "$OUT/scan2/$f" || { echo "$f differs at 1 and 2 threads"; exit 1; }
	cmp "$OUT/scan2/$f" "$OUT/comp2/$f" || { echo "$f differs between the scan's matrix and the compiled one (--store)"; exit 1; }
done
# --min-loci filters matches.tsv only, never the identification (CONTRACT.md), in both paths
run "$OUT/ml_scan" 2 --min-loci 165
run "$OUT/ml_comp" 2 --min-loci 165 --store "$OUT/store2.sqlite"
cmp -s "$OUT/ml_scan/matches.tsv" "$OUT/scan2/matches.tsv" && { echo "--min-loci 165 changed no row of matches.tsv: the check checks nothing"; exit 1; }
for f in undisputed.tsv joint.tsv identifications.tsv; do
	cmp "$OUT/ml_scan/$f" "$OUT/scan2/$f" || { echo "--min-loci changed the identification ($f)"; exit 1; }
	cmp "$OUT/ml_scan/$f" "$OUT/ml_comp/$f" || { echo "--min-loci: $f differs between the scan's matrix and the compiled one"; exit 1; }
done
