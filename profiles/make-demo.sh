#!/usr/bin/env bash
# Regenerates the demo dataset in profiles/demo/ from the shipped reference data, with a
# fixed seed (the committed files are exactly what this writes):
#   ~3,000 families shaped like the memorial's (siblings, nephews and grand-nephews through
#   brothers and sisters, cousins, a few parents and children), 1-4 references each,
#   ~550 remains (15% of the missing found, 10% unrelated to every family), degraded
#   like 77-year-old bone (Beta-distributed dropout, long amplicons failing first),
#   autosomal STRs, X-STRs, Y-STRs, SNPs and mtDNA.  SIMULATED people, real frequencies.
#   bash profiles/make-demo.sh     (needs ./kinmatch)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/profiles/demo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/kinmatch" simulate --panel "$top/reference/panel_east_asia.tsv" --freqs "$top/reference/freqs_east_asia.tsv" \
	--y-db "$top/reference/optional/ydb_ppy23_east_asia.tsv" --mt-db "$top/reference/mtdna_1kg_eas.tsv" \
	--families 3000 --remain-frac 0.15 --seed 1948 --threads 2 --quiet --out "$tmp"
mkdir -p "$out"
for f in pedigrees references remains remain-info mtdna truth; do
	gzip -9 -n -c "$tmp/$f.tsv" > "$out/$f.tsv.gz"
done
