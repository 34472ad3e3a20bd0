#!/usr/bin/env bash
# Y-STR in a family holding two placed remains (issue 11 part 7, linjoint.c): the joint
# term of two missing brothers on their nephew's male line is the tree sum over the
# untyped grandfather's and father's repeat numbers over the two database frequencies,
# computed here by brute force in awk; and a father and son whose haplotypes differ by two
# steps in one meiosis cannot both be placed (the pairwise LRs allow each alone).
# A Y-only panel: the joint term is then the lineage term alone.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
mkdir -p "$OUT"; cd "$OUT"
printf 'marker\ttype\tchrom\tmutation_rate\nDYS570\tY-STR\tY\t0.0134\nDYS19\tY-STR\tY\t0.0025\n' > panel.tsv
printf 'marker\tallele\tfrequency\n' > freqs.tsv
printf 'sample\tmarker\tallele1\tallele2\nR\tDYS570\t17\t.\nR\tDYS19\t14\t.\n' > references.tsv
printf 'sample\tmarker\tallele1\tallele2\nV1\tDYS570\t17\t.\nV1\tDYS19\t14\t.\nV2\tDYS570\t18\t.\nV2\tDYS19\t14\t.\n' > remains.tsv
# GF's sons A, M1, M2; A's son R (the reference): M1 and M2 at 3 meioses from R
printf 'family\tperson\tfather\tmother\tsex\trole\nJ\tGF\t0\t0\t1\tuntyped\nJ\tGM\t0\t0\t2\tuntyped\nJ\tA\tGF\tGM\t1\tuntyped\nJ\tAW\t0\t0\t2\tuntyped\nJ\tR\tA\tAW\t1\treference\nJ\tM1\tGF\tGM\t1\tmissing\nJ\tM2\tGF\tGM\t1\tmissing\n' > pedigrees.tsv
printf 'haplotype\tDYS570\tDYS19\tcount\nh1\t17\t14\t3\nh2\t18\t14\t5\nh3\t16\t15\t40\nh4\t19\t13\t52\n' > ydb.tsv
"$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv \
	--y-db ydb.tsv --dvi --dvi-min-log10-lr -2 --all --quiet --out a
# f = (x + 1)/(N + 1) = (3 + 1)/(100 + 1) for both remains (R's haplotype, both loci compared)
want=$(awk 'function p1(mu, d) { return d == 0 ? 1 - mu : (d == 1 || d == -1) ? mu / 2 : 0 }
	function tree(mu, o1, o2,   a, g, s) { for (a = -6; a <= 6; a++) for (g = -6; g <= 6; g++) s += p1(mu, a) * p1(mu, g - a) * p1(mu, o1 - g) * p1(mu, o2 - g); return s }
	BEGIN { printf "%.6f", (log(tree(0.0134, 0, 1) * tree(0.0025, 0, 0)) - 2 * log(4 / 101)) / log(10) }')
got=$(awk -F'\t' '$5 == "V1=J/M1;V2=J/M2" { print $3 }' a/joint.tsv)
[ -n "$got" ] || { echo "no joint row V1=J/M1;V2=J/M2:"; cat a/joint.tsv; exit 1; }
awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 2e-6) }' || { echo "joint Y term $got, brute force $want"; exit 1; }

# father M2 and son M3: V2 (+1) at M2 and V3 (-1) at M3 differ by two steps in one meiosis
printf 'J\tM2W\t0\t0\t2\tuntyped\nJ\tM3\tM2\tM2W\t1\tmissing\n' >> pedigrees.tsv
printf 'V3\tDYS570\t16\t.\nV3\tDYS19\t14\t.\n' >> remains.tsv
"$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv \
	--y-db ydb.tsv --dvi --dvi-min-log10-lr -3 --dvi-keep 1000 --all --quiet --out b
awk -F'\t' '$1 == "V3" && $3 == "M3" && $5 != "-inf" { ok = 1 } END { exit !ok }' b/matches.tsv || { echo "V3 at M3 alone should be possible"; exit 1; }
awk -F'\t' '$1 == "V2" && $3 == "M2" && $5 != "-inf" { ok = 1 } END { exit !ok }' b/matches.tsv || { echo "V2 at M2 alone should be possible"; exit 1; }
awk -F'\t' '$5 ~ /V2=J\/M2;V3=J\/M3/ { n++; if ($3 != "-inf" || $4 != 0) bad = 1 } END { exit bad || !n }' b/joint.tsv ||
	{ echo "V2 at M2 with V3 at M3 is impossible on the Y, yet not -inf with posterior 0 in joint.tsv:"; grep 'V2=J/M2;V3=J/M3' b/joint.tsv; exit 1; }
grep -q 'V2=J/M2' b/joint.tsv || { echo "joint.tsv lacks V2=J/M2 altogether: the check checks nothing"; exit 1; }
grep -q 'V3=J/M3' b/joint.tsv || { echo "joint.tsv lacks V3=J/M3 altogether: the check checks nothing"; exit 1; }
