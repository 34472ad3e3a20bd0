#!/usr/bin/env bash
# --dvi on dvir's "Example 1" (the dvir README of 2020, github.com/magnusdv/dvir, output
# of its global()): 7 victims typed at one marker with 3 equifrequent alleles (V1, V3,
# V4 = 1/1; V2, V5, V6 = 2/2; V7 a woman, 2/2), one family: father R1 = 1/1, mother
# R2 = 1/1, three missing sons MP1-MP3, no mutation.  dvir prints the six assignments of
# {V1, V3, V4} to the three brothers at LR 729, posterior 0.12326682 each, then those
# with two of them at LR 81, posterior 0.01369631.  Closed form: a 1/1 son of 1/1
# parents has LR 1/p^2 = 9, so the flat-prior total is sum_k C(3,k) P(3,k) 9^k =
# 1 + 81 + 1458 + 4374 = 5914, posterior(729) = 729/5914, posterior(81) = 81/5914, and
# P(V1 = MP1) = (2*729 + 4*81 + 9)/5914 = 1791/5914 (dvir's Bmarginal).  The brothers
# are exchangeable, so nobody is identified: V1, V3, V4 inconclusive, the rest no match.
set -eu
KM=${KM:-./kinmatch}; OUT=${OUT:-/tmp/dvi_dvir_example1}
d=tests/dvi/dvir_example1
rm -rf "$OUT"; mkdir -p "$OUT"
"$KM" match --panel $d/panel.tsv --freqs $d/freqs.tsv --remains $d/remains.tsv --references $d/references.tsv \
	--pedigrees $d/pedigrees.tsv --remain-info $d/remain-info.tsv --mutation none --min-loci 1 --dvi --quiet \
	--threads 2 --out "$OUT/r"
cmp "$OUT/r/joint.tsv" $d/expected-joint.tsv
cmp "$OUT/r/identifications.tsv" $d/expected-identifications.tsv
# the numbers against dvir's printout and the closed form, to 1e-6 in log10 and 1e-8
awk -F'\t' 'NR > 1 && $1 == 1 {
	lr = $3 + 0; p = $4 + 0
	if ($2 <= 6) { wl = log(729) / log(10); wp = 729 / 5914 } else { wl = log(81) / log(10); wp = 81 / 5914 }
	if (lr - wl > 1e-6 || wl - lr > 1e-6 || p - wp > 1e-8 || wp - p > 1e-8) { print "row " $2 ": " lr " " p " against " wl " " wp; bad = 1 }
	n++ } END { exit bad || n != 10 }' "$OUT/r/joint.tsv"
awk -F'\t' '$1 == "V1" || $1 == "V3" || $1 == "V4" { d = $6 - 1791 / 5914; if (d > 1e-8 || d < -1e-8 || $4 != "inconclusive") bad = 1; n++ }
	END { exit bad || n != 3 }' "$OUT/r/identifications.tsv"
