#!/usr/bin/env bash
# Amelogenin (issue 12 part 4) through `kinmatch match`: AMEL rows in the panel and the
# profiles never enter the LR (matches.tsv byte-identical to the run without them, loci
# unchanged, the same with --dvi), and a reference whose amelogenin contradicts its
# pedigree sex stops the run with file:line:col and leaves no output.  The calls, the
# dropout rule and the --remain-info precedence are in tests/unit/test_amel.c.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/oracle/pair_parent_child_father"; o="$OUT"; mkdir -p "$o"
{ cat "$d/panel.tsv"; printf 'AMEL\tAMEL\tX\t0\t\t\t\n'; } > "$o/panel.tsv"
{ cat "$d/remains.tsv"; awk -F'\t' 'NR > 1 && !s[$1]++ { print $1 "\tAMEL\tX\tY" }' "$d/remains.tsv"; } > "$o/remains.tsv"
{ cat "$d/references.tsv"; printf 'FAM1-father\tAMEL\tX\tY\n'; } > "$o/references.tsv"
args=(--freqs "$d/freqs.tsv" --pedigrees "$d/pedigrees.tsv" $(cat "$d/args.txt") --quiet --threads 2)
"$KM" match "${args[@]}" --panel "$d/panel.tsv" --remains "$d/remains.tsv" --references "$d/references.tsv" --dvi --out "$o/plain"
"$KM" match "${args[@]}" --panel "$o/panel.tsv" --remains "$o/remains.tsv" --references "$o/references.tsv" --dvi --out "$o/amel"
for f in matches.tsv identifications.tsv joint.tsv undisputed.tsv; do
	cmp "$o/plain/$f" "$o/amel/$f" || { echo "$f differs with AMEL rows"; diff "$o/plain/$f" "$o/amel/$f" | head; exit 1; }
done
# the same remains as VCF (FORMAT/REPCN for the STRs, the AMEL record's X/Y in GT): the
# same files as from TSV, so the sex of a VCF remain comes from its amelogenin too
vcf() {   # TSV -> VCF on stdout; $2 = the AMEL genotype of every sample (0/1 or 0/0)
	awk -F'\t' -v OFS='\t' -v G="$2" 'NR == 1 { next } $2 == "AMEL" { next }
		!($1 in si) { si[$1] = ++ns; sn[ns] = $1 } !($2 in mi) { mi[$2] = ++nm; mn[nm] = $2 }
		{ v[$1, $2] = ($4 == "" || $4 == ".") ? $3 : $3 "," $4 }
		END { print "##fileformat=VCFv4.2"; print "##contig=<ID=1>"
			print "##FORMAT=<ID=REPCN,Number=.,Type=String,Description=\"Repeat copy numbers\">"
			print "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">"
			h = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"; for (i = 1; i <= ns; ++i) h = h "\t" sn[i]; print h
			for (j = 1; j <= nm; ++j) { r = "1\t" j "\t" mn[j] "\tN\t.\t.\t.\t.\tREPCN"
				for (i = 1; i <= ns; ++i) r = r "\t" ((sn[i], mn[j]) in v ? v[sn[i], mn[j]] : "."); print r }
			r = "1\t" nm + 1 "\tAMEL\tX\tY\t.\t.\t.\tGT"; for (i = 1; i <= ns; ++i) r = r "\t" G; print r }' "$1"
}
vcf "$d/remains.tsv" 0/1 > "$o/remains.vcf"
"$KM" match "${args[@]}" --panel "$o/panel.tsv" --remains "$o/remains.vcf" --references "$o/references.tsv" --dvi --out "$o/amel_vcf"
for f in matches.tsv identifications.tsv joint.tsv undisputed.tsv; do
	cmp "$o/amel/$f" "$o/amel_vcf/$f" || { echo "$f differs between TSV and VCF remains with AMEL"; exit 1; }
done
# the father typed X/X: an input error at his AMEL row (line, column of allele1)
{ cat "$d/references.tsv"; printf 'FAM1-father\tAMEL\tX\tX\n'; } > "$o/refs_bad.tsv"
line=$(wc -l < "$o/refs_bad.tsv")
if "$KM" match "${args[@]}" --panel "$o/panel.tsv" --remains "$o/remains.tsv" --references "$o/refs_bad.tsv" --out "$o/bad" 2> "$o/bad.err"; then
	echo "a male reference typed X/X was accepted"; exit 1
fi
want="kinmatch: error: $o/refs_bad.tsv:$line:18: reference 'FAM1-father': amelogenin says female, but family 'FAM1' has them male ($d/pedigrees.tsv line 2)"
[ "$(cat "$o/bad.err")" = "$want" ] || { echo "got:"; cat "$o/bad.err"; echo "want:"; echo "$want"; exit 1; }
[ ! -e "$o/bad/matches.tsv" ] || { echo "output left behind"; exit 1; }
# the remain's amelogenin feeds its sex: with the missing person a daughter, an X/Y remain
# is no candidate for her in the identification (sex-inconsistent), an X/X remain is
awk -F'\t' -v OFS='\t' '$2 == "FAM1-MP" { $5 = 2 } { print }' "$d/pedigrees.tsv" > "$o/ped_daughter.tsv"
sed 's/\tAMEL\tX\tY$/\tAMEL\tX\tX/' "$o/remains.tsv" > "$o/remains_xx.tsv"
for v in remains remains_xx; do
	"$KM" match --freqs "$d/freqs.tsv" --pedigrees "$o/ped_daughter.tsv" $(cat "$d/args.txt") --quiet --dvi --dvi-min-log10-lr -inf \
		--panel "$o/panel.tsv" --remains "$o/$v.tsv" --references "$d/references.tsv" --out "$o/d_$v"
done
awk -F'\t' 'NR > 1 && $2 != "*" { print "X/Y remain " $1 " identified with the daughter: " $0; exit 1 }' "$o/d_remains/identifications.tsv"
awk -F'\t' 'NR > 1 && $2 != "*" { ok = 1 } END { if (!ok) { print "no X/X remain identified with the daughter"; exit 1 } }' "$o/d_remains_xx/identifications.tsv"
# from VCF: the AMEL record's GT 0/1 (X/Y) keeps the remain from the daughter, 0/0 (X/X) does not
vcf "$d/remains.tsv" 0/0 > "$o/remains_xx.vcf"
for v in remains.vcf remains_xx.vcf; do
	"$KM" match --freqs "$d/freqs.tsv" --pedigrees "$o/ped_daughter.tsv" $(cat "$d/args.txt") --quiet --dvi --dvi-min-log10-lr -inf \
		--panel "$o/panel.tsv" --remains "$o/$v" --references "$d/references.tsv" --out "$o/dv_$v"
done
cmp "$o/d_remains/identifications.tsv" "$o/dv_remains.vcf/identifications.tsv" || { echo "VCF X/Y: identification differs from TSV"; exit 1; }
cmp "$o/d_remains_xx/identifications.tsv" "$o/dv_remains_xx.vcf/identifications.tsv" || { echo "VCF X/X: identification differs from TSV"; exit 1; }
