#!/usr/bin/env bash
# VCF input as labs produce it (issue 12 part 5): SNP records with ID '.' are matched by
# CHROM/POS/REF/ALT against --snp-positions, and give byte-identical matches.tsv to the
# TSV profiles (oracle case snp_str_avuncular: SNPs + STRs).  The VCF also carries what
# real ones do: a leading "chr", REF/ALT in the other order than the table, a <NON_REF>
# ALT, an indel at a panel SNP's position (skipped: other alleles), records of SNPs not in
# the panel (ID '.' at an unknown position, an unknown rsID) — all skipped with a count.
# Errors: a VCF whose records match no panel marker (ID '.' without --snp-positions), a
# sample with no call at any panel marker, and a bad positions table name file:line:col.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/oracle/snp_str_avuncular"; o="$OUT"; mkdir -p "$o"
# positions for the panel's SNPs: chromosome from the panel, a made-up position, ref/alt
# = the first two alleles of the frequency table; plus one SNP that is not in the panel
awk -F'\t' -v OFS='\t' 'FNR == 1 { f++; next }
	f == 1 && $2 == "SNP" { chr[$1] = $3; ord[++n] = $1; next }
	f == 2 && ($1 in chr) { if (!(($1, 1) in a)) a[$1, 1] = $2; else if (!(($1, 2) in a)) a[$1, 2] = $2 }
	END { print "# test positions"; print "rsid", "chrom", "pos_grch38", "ref", "alt", "source"
		for (i = 1; i <= n; ++i) print ord[i], chr[ord[i]], 1000 * i + 17, a[ord[i], 1], a[ord[i], 2], "test"
		print "rs_not_in_panel", 1, 99, "A", "G", "test" }' "$d/panel.tsv" "$d/freqs.tsv" > "$o/pos.tsv"
to_vcf() {  # pos.tsv panel profile.tsv > out.vcf
	awk -F'\t' -v OFS='\t' '
	FNR == 1 { f++ }
	/^#/ && f == 1 { next }
	f == 1 && $1 != "rsid" { chr[$1] = $2; pos[$1] = $3; ref[$1] = $4; alt[$1] = $5; next }
	f == 2 && FNR > 1 { type[$1] = $2; order[++nm] = $1; next }
	f == 3 && FNR > 1 { if (!($1 in seen)) { seen[$1] = 1; samp[++ns] = $1 } g[$1, $2] = $3 "\t" $4; next }
	END {
		print "##fileformat=VCFv4.2"
		for (c = 1; c <= 22; ++c) print "##contig=<ID=chr" c ">"
		print "##contig=<ID=1>"; print "##contig=<ID=7>"
		print "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
		print "##FORMAT=<ID=REPCN,Number=1,Type=String,Description=\"Repeat copy numbers\">"
		line = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
		for (s = 1; s <= ns; ++s) line = line "\t" samp[s]
		print line
		for (i = 1; i <= nm; ++i) {
			m = order[i]; snp = type[m] == "SNP"
			if (snp) {   # by position; every third SNP REF/ALT swapped, every fourth with <NON_REF>
				r = ref[m]; a = alt[m]; if (i % 3 == 0) { r = alt[m]; a = ref[m] }
				rec = "chr" chr[m] "\t" pos[m] "\t.\t" r "\t" a (i % 4 == 0 ? ",<NON_REF>" : "") "\t.\tPASS\t.\tGT"
			} else rec = "1\t" i "\t" m "\tN\t.\t.\tPASS\t.\tREPCN"
			for (s = 1; s <= ns; ++s) {
				k = samp[s] SUBSEP m
				if (!(k in g)) { rec = rec "\t" (snp ? "./." : "."); continue }
				split(g[k], x, "\t")
				if (snp) rec = rec "\t" (x[1] == r ? 0 : 1) "/" (x[2] == r ? 0 : 1)
				else rec = rec "\t" (x[2] == "." || x[2] == "" ? x[1] : x[1] "/" x[2])
			}
			print rec
			if (snp && !indel++) {   # an indel at the same position: other alleles, skipped
				rec = "chr" chr[m] "\t" pos[m] "\t.\t" ref[m] "T\t" ref[m] "\t.\tPASS\t.\tGT"
				for (s = 1; s <= ns; ++s) rec = rec "\t1/1"
				print rec
			}
		}
		rec1 = "1\t99\t.\tA\tG\t.\tPASS\t.\tGT"; rec2 = "7\t5\trs999999\tC\tT\t.\tPASS\t.\tGT"
		for (s = 1; s <= ns; ++s) { rec1 = rec1 "\t0/1"; rec2 = rec2 "\t1/1" }
		print rec1; print rec2
	}' "$1" "$2" "$3"
}
to_vcf "$o/pos.tsv" "$d/panel.tsv" "$d/remains.tsv" > "$o/remains.vcf"
to_vcf "$o/pos.tsv" "$d/panel.tsv" "$d/references.tsv" > "$o/references.vcf"
grep -q -P '^chr\S+\t\d+\t\.\t' "$o/remains.vcf" || { echo "the test VCF has no ID '.' SNP records"; exit 1; }
base=(--panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --pedigrees "$d/pedigrees.tsv" $(cat "$d/args.txt") --threads 2)
"$KM" match "${base[@]}" --quiet --remains "$d/remains.tsv" --references "$d/references.tsv" --out "$o/tsv"
"$KM" match "${base[@]}" --snp-positions "$o/pos.tsv" --remains "$o/remains.vcf" --references "$o/references.vcf" \
	--out "$o/vcf" 2> "$o/vcf.err"
cmp "$o/tsv/matches.tsv" "$o/vcf/matches.tsv" || { echo "VCF by position differs from TSV"; diff "$o/tsv/matches.tsv" "$o/vcf/matches.tsv" | head; exit 1; }
grep -q "remains.vcf: skipped 2 records whose ID is not a panel marker and whose position is not a panel SNP's" "$o/vcf.err" \
	|| { echo "no count of unknown records:"; cat "$o/vcf.err"; exit 1; }
grep -q "remains.vcf: skipped 1 record at a panel SNP's position but with other alleles" "$o/vcf.err" \
	|| { echo "no count of the indel:"; cat "$o/vcf.err"; exit 1; }
# the SNPs really came from the VCF: without positions they are skipped and the SNP LR is NA
"$KM" match "${base[@]}" --quiet --remains "$o/remains.vcf" --references "$o/references.vcf" --out "$o/nopos"
awk -F'\t' 'NR > 1 && $7 != "NA" { print "SNP LR " $7 " without --snp-positions"; exit 1 }' "$o/nopos/matches.tsv"
# errors
fail() {  # expected-message args...
	local want=$1; shift
	if "$KM" match "$@" --out "$o/err" 2> "$o/err.txt"; then echo "accepted: $*"; exit 1; fi
	grep -q -F -- "$want" "$o/err.txt" || { echo "want '$want', got:"; cat "$o/err.txt"; exit 1; }
	[ ! -e "$o/err/matches.tsv" ] || { echo "output left behind"; exit 1; }
}
grep -v -P '^1\t[0-9]+\t[^.]' "$o/remains.vcf" > "$o/snponly.vcf"   # drop the STRs (ID = marker)
fail "snponly.vcf:28:1: no record matches a panel marker (" "${base[@]}" --remains "$o/snponly.vcf" --references "$d/references.tsv"
awk -F'\t' -v OFS='\t' '/^##/ { print; next } { if (/^#CHROM/) $(NF + 1) = "RX"; else $(NF + 1) = ($9 == "GT" ? "./." : "."); print }' \
	"$o/remains.vcf" > "$o/nocall.vcf"
fail "nocall.vcf:28:1: sample 'RX' has no call at any panel marker" "${base[@]}" --snp-positions "$o/pos.tsv" \
	--remains "$o/nocall.vcf" --references "$d/references.tsv"
printf 'rsid\tchrom\tpos\tref\talt\nsnp01\t2\t100\tA\tA\n' > "$o/badpos.tsv"
fail "badpos.tsv:2:15: ALT 'A' equals REF (column 'alt')" "${base[@]}" --snp-positions "$o/badpos.tsv" \
	--remains "$o/remains.vcf" --references "$d/references.tsv"
printf 'rsid\tchrom\tpos\tref\talt\nsnp01\t2\t100\tA\tG\nsnp02\tchr2\t100\tA\tG\n' > "$o/duppos.tsv"
fail "duppos.tsv:3:12: position 2:100 is also that of marker 'snp01' (column 'pos')" "${base[@]}" --snp-positions "$o/duppos.tsv" \
	--remains "$o/remains.vcf" --references "$d/references.tsv"
