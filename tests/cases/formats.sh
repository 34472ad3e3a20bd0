#!/usr/bin/env bash
# The same profiles as TSV, gzip TSV, VCF, bgzip VCF and a ladder-form frequency table
# must give byte-identical matches.tsv (issue 2).  Uses the oracle cases with SNPs + STRs
# (snp_str_avuncular) and with X-STRs incl. hemizygous calls (x_mother_son).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
# profile TSV -> VCF: SNPs as GT against the two alleles of the frequency table,
# STRs (autosomal and X) as FORMAT/REPCN strings "a/b" ("a" for a hemizygous call)
to_vcf() {  # panel freqs profile.tsv > out.vcf
	awk -F'\t' -v OFS='\t' '
	FNR == 1 { f++ }
	f == 1 && FNR > 1 { type[$1] = $2; order[++nm] = $1; next }
	f == 2 && FNR > 1 { if (!(($1, "ref") in al)) al[$1, "ref"] = $2; else if (!(($1, "alt") in al)) al[$1, "alt"] = $2; next }
	f == 3 && FNR > 1 { if (!($1 in seen)) { seen[$1] = 1; samp[++ns] = $1 } g[$1, $2] = $3 "\t" $4; next }
	END {
		print "##fileformat=VCFv4.2"
		print "##contig=<ID=1>"
		print "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
		print "##FORMAT=<ID=REPCN,Number=1,Type=String,Description=\"Repeat copy numbers\">"
		line = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
		for (s = 1; s <= ns; ++s) line = line "\t" samp[s]
		print line
		for (i = 1; i <= nm; ++i) {
			m = order[i]; snp = type[m] == "SNP"
			rec = "1\t" i "\t" m "\t" (snp ? al[m, "ref"] "\t" al[m, "alt"] : "N\t.") "\t.\tPASS\t.\t" (snp ? "GT" : "REPCN")
			for (s = 1; s <= ns; ++s) {
				k = samp[s] SUBSEP m
				if (!(k in g)) { rec = rec "\t" (snp ? "./." : "."); continue }
				split(g[k], a, "\t")
				if (snp) rec = rec "\t" (a[1] == al[m, "ref"] ? 0 : 1) "/" (a[2] == al[m, "ref"] ? 0 : 1)
				else rec = rec "\t" (a[2] == "." || a[2] == "" ? a[1] : a[1] "/" a[2])
			}
			print rec
		}
	}' "$1" "$2" "$3"
}
# long -> ladder form: Allele + one column per marker
to_ladder() {
	awk -F'\t' 'NR > 1 { if (!($1 in seen)) { seen[$1] = 1; mk[++nm] = $1 } if (!($2 in sa)) { sa[$2] = 1; al[++na] = $2 } f[$1, $2] = $3 }
	END { h = "Allele"; for (i = 1; i <= nm; ++i) h = h "\t" mk[i]; print h
		for (j = 1; j <= na; ++j) { l = al[j]; for (i = 1; i <= nm; ++i) l = l "\t" ((mk[i], al[j]) in f ? f[mk[i], al[j]] : "NA"); print l } }' "$1"
}
for case in snp_str_avuncular x_mother_son; do
	d="$top/tests/oracle/$case"; o="$OUT/$case"; mkdir -p "$o"
	base=(--panel "$d/panel.tsv" --pedigrees "$d/pedigrees.tsv" $(cat "$d/args.txt") --quiet --threads 2)
	"$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references "$d/references.tsv" --out "$o/tsv"
	gzip -c "$d/remains.tsv" > "$o/remains.tsv.gz"; gzip -c "$d/references.tsv" > "$o/references.tsv.gz"
	"$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$o/remains.tsv.gz" --references "$o/references.tsv.gz" --out "$o/gz"
	to_vcf "$d/panel.tsv" "$d/freqs.tsv" "$d/remains.tsv" > "$o/remains.vcf"
	to_vcf "$d/panel.tsv" "$d/freqs.tsv" "$d/references.tsv" > "$o/references.vcf"
	"$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$o/remains.vcf" --references "$o/references.vcf" --out "$o/vcf"
	gzip -c "$o/remains.vcf" > "$o/remains.vcf.gz"
	"$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$o/remains.vcf.gz" --references "$o/references.vcf" --out "$o/vcfgz"
	bgzip -c "$o/remains.vcf" > "$o/remains.vcf.bgz"   # BGZF: htslib reads it, block by block
	"$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$o/remains.vcf.bgz" --references "$o/references.vcf" --out "$o/vcfbgz"
	# a BGZF block header with a flag beside FEXTRA (here FCOMMENT): htslib would inflate
	# from byte 18, gunzip would read a comment; the VCF reader refuses it as tsv.c does
	cp "$o/remains.vcf.bgz" "$o/flg.vcf.bgz"
	printf '\024' | dd of="$o/flg.vcf.bgz" bs=1 seek=3 conv=notrunc status=none
	if "$KM" match "${base[@]}" --freqs "$d/freqs.tsv" --remains "$o/flg.vcf.bgz" --references "$o/references.vcf" --out "$o/flg" 2> "$o/flg.err"; then
		echo "$case: a BGZF VCF with FLG 0x14 was accepted"; exit 1
	fi
	grep -q "flg.vcf.bgz: byte 0: gzip header flags other than FEXTRA in a BGZF file" "$o/flg.err" || { cat "$o/flg.err"; exit 1; }
	[ ! -e "$o/flg/matches.tsv" ]
	to_ladder "$d/freqs.tsv" > "$o/ladder.tsv"
	"$KM" match "${base[@]}" --freqs "$o/ladder.tsv" --remains "$d/remains.tsv" --references "$d/references.tsv" --out "$o/ladder"
	for v in gz vcf vcfgz vcfbgz ladder; do
		cmp "$o/tsv/matches.tsv" "$o/$v/matches.tsv" || { echo "$case: $v differs from tsv"; diff "$o/tsv/matches.tsv" "$o/$v/matches.tsv" | head; exit 1; }
	done
done
