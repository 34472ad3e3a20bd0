#!/usr/bin/env bash
# Typing error (issue 12 part 1) through the command line: --typing-error 0 is the old
# output byte for byte (no `inconsistent` column), a true father-son pair excluded by one
# SNP opposite homozygote (-inf at E = 0) keeps a finite LR with E > 0 and the row counts
# the incompatible locus, --remain-info typing_error overrides the global rate, and
# --typing-error with --theta > 0 runs: the excluded pair is finite there too, and E = 0
# under theta is the theta output byte for byte.  The numbers themselves are checked
# against brute force in tests/unit/test_typing_error.c (theta included).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/oracle/snp_str_avuncular"; o="$OUT"; mkdir -p "$o"
base=(--panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --pedigrees "$d/pedigrees.tsv" --references "$d/references.tsv" --mutation none --all --quiet --threads 2)
"$KM" match "${base[@]}" --remains "$d/remains.tsv" --out "$o/none"
"$KM" match "${base[@]}" --remains "$d/remains.tsv" --typing-error 0 --out "$o/zero"
cmp "$o/none/matches.tsv" "$o/zero/matches.tsv"
head -1 "$o/zero/matches.tsv" | grep -q inconsistent && { echo "inconsistent column at E = 0"; exit 1; }
# father-son, the son's SNP typed opposite homozygote to the father at one locus
cat > "$o/ped.tsv" <<'P'
family	person	father	mother	sex	role
F	DAD	0	0	1	reference
F	MUM	0	0	2	untyped
F	SON	DAD	MUM	1	missing
P
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } $1 == "FAM1-uncle" { $1 = "DAD"; print }' "$d/references.tsv" > "$o/refs.tsv"
# the remain: the father's first allele at every STR and SNP (consistent) ...
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { print "R1", $2, $3, $3 }' "$o/refs.tsv" > "$o/rem.tsv"
# ... but one SNP where the father is homozygous gets the other base twice
snp=$(awk -F'\t' '$3 == $4 && $3 ~ /^[ACGT]$/ { print $2 "\t" $3; exit }' "$o/refs.tsv")
[ -n "$snp" ] || { echo "no homozygous SNP in the reference"; exit 1; }
m=${snp%%	*}; a=${snp##*	}
other=$(awk -F'\t' -v m="$m" -v a="$a" '$1 == m && $2 != a { print $2; exit }' "$d/freqs.tsv")
awk -F'\t' -v OFS='\t' -v m="$m" -v b="$other" '$2 == m { $3 = b; $4 = b } { print }' "$o/rem.tsv" > "$o/rem2.tsv"
b2=(--panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --pedigrees "$o/ped.tsv" --references "$o/refs.tsv" --remains "$o/rem2.tsv" --mutation none --all --quiet)
"$KM" match "${b2[@]}" --out "$o/e0"
"$KM" match "${b2[@]}" --typing-error 0.001 --out "$o/e1"
awk -F'\t' 'NR == 2 && $5 != "-inf" { print "E = 0: expected -inf, got " $5; exit 1 }' "$o/e0/matches.tsv"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "inconsistent") c = i; if (!c) { print "no inconsistent column"; exit 1 } }
	NR == 2 { if ($5 == "-inf" || $5 + 0 < 1) { print "E = 0.001: log10 LR " $5 " (the true father is not kept)"; exit 1 }
	          if ($c != 1) { print "inconsistent " $c ", want 1"; exit 1 } }' "$o/e1/matches.tsv"
# per-remain override: typing_error 0 for R1 gives back the exclusion; an empty cell the global rate
printf 'sample\ttyping_error\nR1\t0\n' > "$o/ri0.tsv"; printf 'sample\ttyping_error\nR1\t\n' > "$o/ri1.tsv"
"$KM" match "${b2[@]}" --typing-error 0.001 --remain-info "$o/ri0.tsv" --out "$o/o0"
"$KM" match "${b2[@]}" --typing-error 0.001 --remain-info "$o/ri1.tsv" --out "$o/o1"
awk -F'\t' 'NR == 2 && $5 == "-inf" { print "E_r = 0 with reference error 0.001 cannot exclude either (the reference may be the miscall)"; exit 1 }' "$o/o0/matches.tsv"
cmp "$o/o1/matches.tsv" "$o/e1/matches.tsv" || { echo "an empty typing_error cell is not the global rate"; exit 1; }
"$KM" match "${b2[@]}" --theta 0.01 --out "$o/th0"
"$KM" match "${b2[@]}" --typing-error 0 --theta 0.01 --out "$o/th00"
cmp "$o/th0/matches.tsv" "$o/th00/matches.tsv" || { echo "--typing-error 0 changed the theta output"; exit 1; }
"$KM" match "${b2[@]}" --typing-error 0.001 --theta 0.01 --out "$o/th"
awk -F'\t' 'NR == 2 && ($5 == "-inf" || $5 == "NA") { print "theta with typing error: the pair is still excluded"; exit 1 }' "$o/th/matches.tsv"
awk -F'\t' 'NR == 2 && $5 == "-inf" { ok = 1 } END { if (!ok) { print "theta alone should exclude the pair"; exit 1 } }' "$o/th0/matches.tsv"
