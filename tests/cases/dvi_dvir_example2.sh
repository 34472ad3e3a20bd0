#!/usr/bin/env bash
# --dvi on dvir's `example2` (data-raw/example2.R of github.com/magnusdv/dvir, the README's
# tutorial; Vigeland & Egeland 2021): one marker with 10 alleles at 0.1; victims V1 (man,
# 1/1), V2 (man, 1/2), V3 (woman, 3/4); family F1: missing father M1, mother R1 = 2/2,
# missing son M2; family F2: father R2 = 3/3, untyped mother, missing daughter M3; no
# mutation.  By hand: V1 or V2 on M1 (R1's spouse, child untyped) LR 1; V2 on M2 (a 2 from
# R1, 1 from the father) 0.1 / 0.02 = 5; V1 on M2 impossible; V3 on M3 (3 from R2) 5;
# V1 = M1 and V2 = M2 together: P(1/2 | 1/1 x 2/2) = 1 against 2 p1 p2 = 50 — not the
# product 1 x 5 of the pairwise LRs.  dvir's 14 assignments have total LR 58 x 6 = 348;
# the two families are independent, so kinmatch's two components carry the factors 58 and
# 6: posterior(V1=M1, V2=M2) = 50/58, P(V3 = M3) = 5/6, and the marginals (dvir's
# Bmarginal) P(V1 = M1) = 51/58, P(V2 = M2) = 55/58.
set -eu
KM=${KM:-./kinmatch}; OUT=${OUT:-/tmp/dvi_dvir_example2}
d=tests/dvi/dvir_example2
rm -rf "$OUT"; mkdir -p "$OUT"
"$KM" match --panel $d/panel.tsv --freqs $d/freqs.tsv --remains $d/remains.tsv --references $d/references.tsv \
	--pedigrees $d/pedigrees.tsv --remain-info $d/remain-info.tsv --mutation none --min-loci 1 --dvi --quiet \
	--threads 2 --out "$OUT/r"
cmp "$OUT/r/joint.tsv" $d/expected-joint.tsv
cmp "$OUT/r/identifications.tsv" $d/expected-identifications.tsv
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && d >= -t) }' || { echo "$4: $1, by hand $2"; exit 1; }; }
row() { awk -F'\t' -v c="$1" -v a="$2" -v k="$3" '$1 == c && $5 == a { print $k }' "$OUT/r/joint.tsv"; }
near "$(row 1 'V1=F1/M1;V2=F1/M2' 3)" "$(awk 'BEGIN { printf "%.12g", log(50) / log(10) }')" 1e-6 "joint log10 LR of V1=M1, V2=M2"
near "$(row 1 'V1=F1/M1;V2=F1/M2' 4)" "$(awk 'BEGIN { printf "%.12g", 50 / 58 }')" 1e-8 "its posterior"
near "$(row 1 'V1=*;V2=F1/M2' 4)" "$(awk 'BEGIN { printf "%.12g", 5 / 58 }')" 1e-8 "posterior of V2=M2 alone"
near "$(row 2 'V3=F2/M3' 4)" "$(awk 'BEGIN { printf "%.12g", 5 / 6 }')" 1e-8 "posterior of V3=M3"
marg() { awk -F'\t' -v r="$1" '$1 == r { print $6 }' "$OUT/r/identifications.tsv"; }
near "$(marg V1)" "$(awk 'BEGIN { printf "%.12g", 51 / 58 }')" 1e-8 "P(V1 = M1)"
near "$(marg V2)" "$(awk 'BEGIN { printf "%.12g", 55 / 58 }')" 1e-8 "P(V2 = M2)"
# V1 on M2 is impossible: no assignment placing it is written
! grep -q 'V1=F1/M2' "$OUT/r/joint.tsv"
