#!/usr/bin/env bash
# The memorial's full panel, SYNTHETIC, for benchmarks only (never casework):
#   218 STRs = 172 autosomal + 24 X + 22 Y, 142 SNPs, and mtDNA.
# Built from the real East Asian tables in reference/: every real locus is kept, and
# further loci are renamed copies of real ones (SYN_<locus>_<k>) with the same allele
# list, microvariants and frequency spectrum, so allele counts and frequency spectra are
# realistic.  Amplicon lengths (for the simulator's degradation) are drawn from 80-400 bp.
# The Y database and the mtDNA database are the real ones from reference/.
#   bash bench/make-panel.sh DIR    writes DIR/{panel,freqs,ydb,mtdb}.tsv
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
mkdir -p "$dir"
awk -F'\t' -v dir="$dir" '
BEGIN { OFS = "\t"; srand(20261201) }
FNR == 1 { f++; hdr = 0 }
/^#/ { next }
!hdr { hdr = 1; for (i = 1; i <= NF; ++i) col[f, $i] = i; next }
f == 1 {   # panel
	m = $col[1, "marker"]; t = $col[1, "type"]
	type[m] = t; chrom[m] = $col[1, "chrom"]; rate[m] = $col[1, "mutation_rate"]
	fr[m] = $col[1, "female_rate"]; mr[m] = $col[1, "male_rate"]; ml[m] = $col[1, "motif_len"]
	list[t, ++n[t]] = m; next
}
{ m = $col[2, "marker"]; al[m, ++na[m]] = $col[2, "allele"]; fq[m, na[m]] = $col[2, "frequency"] }
END {
	P = dir "/panel.tsv"; F = dir "/freqs.tsv"
	print "# SYNTHETIC panel for kinmatch benchmarks (bench/make-panel.sh): real East Asian loci from reference/ plus renamed copies. Not population data." > P
	print "# SYNTHETIC frequencies for kinmatch benchmarks (bench/make-panel.sh): copies of real East Asian spectra. Not population data." > F
	print "marker", "type", "chrom", "mutation_rate", "female_rate", "male_rate", "motif_len", "amplicon_len" > P
	print "marker", "allele", "frequency" > F
	want["STR"] = 172; want["X-STR"] = 24; want["Y-STR"] = 22; want["SNP"] = 142
	split("STR X-STR Y-STR SNP", ts, " ")
	for (ti = 1; ti <= 4; ++ti) {
		t = ts[ti]
		for (k = 0; k < want[t]; ++k) {
			src = list[t, k % n[t] + 1]
			name = k < n[t] ? src : "SYN_" src "_" int(k / n[t])
			print name, t, chrom[src], rate[src], fr[src], mr[src], ml[src], 80 + int(rand() * 320) > P
			for (a = 1; a <= na[src]; ++a) print name, al[src, a], fq[src, a] > F
		}
	}
}' "$top/reference/panel_east_asia.tsv" "$top/reference/freqs_east_asia.tsv"
cp "$top/reference/optional/ydb_ppy23_east_asia.tsv" "$dir/ydb.tsv"
cp "$top/reference/mtdna_1kg_eas.tsv" "$dir/mtdb.tsv"
