#!/usr/bin/env bash
# A synthetic panel of the memorial's size (172 autosomal STRs, 24 X-STRs, 22 Y-STRs,
# 142 SNPs = 360 markers) with amplicon lengths, plus a synthetic y-db and mt-db, made
# from the oracle cases' frequency tables by renaming copies of their markers.
# SYNTHETIC: for tests and benchmarks only, not population data.
#   bash tests/cases/simulate_bigpanel.sh DIR   writes DIR/{panel,freqs,ydb,mtdb}.tsv
# Without DIR it is a test (tests/run.sh: env KM, OUT): simulate on that panel at 1 and
# 2 threads with --gz, byte-identical, and every file has the expected columns.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$OUT}
mkdir -p "$dir"
cat "$here"/tests/oracle/*/freqs.tsv | awk -F'\t' -v dir="$dir" '
BEGIN { srand(7); OFS = "\t" }
$1 == "marker" { next }
{ if (!(($1 SUBSEP $2) in seen)) { seen[$1, $2] = 1; if (!($1 in nal)) ord[++nm] = $1; al[$1, ++nal[$1]] = $2; fr[$1, nal[$1]] = $3 } }
END {
	for (i = 1; i <= nm; ++i) { m = ord[i]; if (m ~ /^snp/) snp[++ns] = m; else if (m ~ /^(DX|HPRTB|GATA172)/) xs[++nx] = m; else au[++na] = m }
	print "marker", "type", "chrom", "mutation_rate", "female_rate", "male_rate", "motif_len", "amplicon_len" > dir "/panel.tsv"
	print "marker", "allele", "frequency" > dir "/freqs.tsv"
	for (k = 0; k < 172; ++k) emit(au[k % na + 1], "STR", 1 + k % 22, k)
	for (k = 0; k < 24; ++k) emit(xs[k % nx + 1], "X-STR", "X", k)
	for (k = 0; k < 142; ++k) emit(snp[k % ns + 1], "SNP", 1 + k % 22, k)
	split("DYS19 DYS389I DYS389II DYS390 DYS391 DYS392 DYS393 DYS385ab DYS438 DYS439 DYS437 DYS448 DYS456 DYS458 DYS635 GATAH4 DYS576 DYS481 DYS549 DYS533 DYS570 DYS643", ys, " ")
	for (k = 1; k <= 22; ++k) print ys[k], "Y-STR", "Y", 0.003, "", 0.003, 4, 100 + int(rand() * 250) > dir "/panel.tsv"
	hdr = "id"; for (k = 1; k <= 22; ++k) hdr = hdr "\t" ys[k]; print hdr > dir "/ydb.tsv"
	for (h = 1; h <= 300; ++h) {
		row = "H" h
		for (k = 1; k <= 22; ++k) { v = 10 + int(rand() * 8); row = row "\t" (ys[k] == "DYS385ab" ? v "," (v + 2 + int(rand() * 4)) : v) }
		print row > dir "/ydb.tsv"
	}
	split("16093C 16129A 16172C 16189C 16223T 16234T 16290T 16304C 16311C 16319A 16362C 73G 150T 152C 195C 199C 204C 207A 263G 310.1C 489C", mv, " ")
	print "sample", "range", "haplotype" > dir "/mtdb.tsv"
	for (h = 1; h <= 200; ++h) {
		hap = ""; for (k = 1; k <= 21; ++k) if (rand() < 0.25) hap = hap (hap == "" ? "" : " ") mv[k]
		print "M" h, "16024-16569 1-576", hap > dir "/mtdb.tsv"
	}
}
function emit(src, type, chrom, k,    name, j, rate) {
	name = k < (type == "SNP" ? ns : type == "X-STR" ? nx : na) ? src : src "_s" k
	rate = type == "SNP" ? 0 : 0.001 + (k % 5) * 0.0005
	print name, type, chrom, rate, "", "", type == "SNP" ? "" : 4, type == "SNP" ? 60 + int(rand() * 60) : 100 + int(rand() * 350) > dir "/panel.tsv"
	for (j = 1; j <= nal[src]; ++j) print name, al[src, j], fr[src, j] > dir "/freqs.tsv"
}'
[ $# -ge 1 ] && exit 0

# ---- the test ----
KM=${KM:?}
for t in 1 2; do
	"$KM" simulate --panel "$dir/panel.tsv" --freqs "$dir/freqs.tsv" --y-db "$dir/ydb.tsv" --mt-db "$dir/mtdb.tsv" \
		--families 300 --remain-frac 0.3 --seed 11 --threads $t --gz --quiet --out "$dir/t$t" 2> "$dir/err$t"
done
for f in pedigrees references remains remain-info truth mtdna; do
	cmp "$dir/t1/$f.tsv.gz" "$dir/t2/$f.tsv.gz"
	gzip -t "$dir/t1/$f.tsv.gz"
done
# every marker system reaches the references; remains are a tenth unrelated
gzip -dc "$dir/t1/references.tsv.gz" | awk -F'\t' 'NR > 1 { m[$2] = 1 } END { n = 0; for (k in m) ++n; if (n != 360) { print "markers typed: " n; exit 1 } }'
gzip -dc "$dir/t1/truth.tsv.gz" | awk -F'\t' 'NR > 1 { ++n; u += $4 == "unrelated" } END { if (n < 50 || u < 0.05 * n || u > 0.15 * n) { print n, u; exit 1 } }'
[ ! -s "$dir/err1" ] || { cat "$dir/err1"; exit 1; }
