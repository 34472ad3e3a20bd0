#!/usr/bin/env bash
# Pedigree depth has no limit (issue 15 part 3): peeling, the pruning, the cycle check and
# the lineage path walks are iterative and linear in the persons.  Generated here:
# 1. a male line of G generations (2G + 1 persons: each man, his founder wife, their son),
#    the top man a reference, the bottom one missing;
# 2. a female line of G generations (daughters) with mtDNA;
# 3. a chain of G persons through alternating fathers and mothers.
# At G = 1000 the numbers must equal the pre-issue-15 engine's (which recursed, so could
# still do 1000); at G = 10000 (20,001 persons) every line must compute within the time
# limit with y_meioses / mt_meioses = G, and a 20,000-person cycle is refused at once.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
mkdir -p "$OUT"
cd "$OUT"
printf 'marker\ttype\tchrom\tmutation_rate\nD1\tSTR\t1\t0.002\nDX\tX-STR\tX\t0.002\nrs1\tSNP\t2\t0\nDY1\tY-STR\tY\t0.003\nDY2\tY-STR\tY\t0.003\n' > panel.tsv
printf 'marker\tallele\tfrequency\nD1\t10\t0.3\nD1\t11\t0.5\nD1\t12\t0.2\nDX\t8\t0.6\nDX\t9\t0.4\nrs1\tA\t0.7\nrs1\tG\t0.3\n' > freqs.tsv
printf 'name\tDY1\tDY2\nH1\t14\t20\nH2\t15\t21\nH3\t14\t21\nH4\t16\t22\n' > ydb.tsv
printf 'sample\trange\thaplotype\nM1\t16024-576\t16223T 73G\nM2\t16024-576\t16519C\nM3\t16024-576\t73G\n' > mtdb.tsv
printf 'sample\tmarker\tallele1\tallele2\nR1\tD1\t10\t11\nR1\tDX\t8\t.\nR1\trs1\tA\tG\nR1\tDY1\t14\t.\nR1\tDY2\t21\t.\nR2\tD1\t11\t12\nR2\tDX\t8\t9\nR2\trs1\tA\tA\n' > remains.tsv
printf 'sample\tmarker\tallele1\tallele2\nP0\tD1\t11\t11\nP0\tDX\t9\t.\nP0\trs1\tG\tG\nP0\tDY1\t15\t.\nP0\tDY2\t21\t.\nQ0\tD1\t10\t12\nQ0\tDX\t8\t9\nQ0\trs1\tA\tG\nC0\tD1\t10\t10\nC0\trs1\tA\tA\n' > references.tsv
printf 'sample\trange\thaplotype\nR2\t16024-576\t16223T 73G 16519C\nQ0\t16024-576\t16223T 73G\n' > mtdna.tsv
gen() {   # G: the three lines as three families
	awk -v G="$1" 'BEGIN { OFS = "\t"; print "family", "person", "father", "mother", "sex", "role"
		print "male", "P0", 0, 0, 1, "reference"
		for (i = 1; i <= G; ++i) { print "male", "W" i - 1, 0, 0, 2, "untyped"; print "male", "P" i, "P" i - 1, "W" i - 1, 1, i == G ? "missing" : "untyped" }
		print "female", "Q0", 0, 0, 2, "reference"
		for (i = 1; i <= G; ++i) { print "female", "H" i - 1, 0, 0, 1, "untyped"; print "female", "Q" i, "H" i - 1, "Q" i - 1, 2, i == G ? "missing" : "untyped" }
		# the chain: C(i) is the child of C(i-1) and a founder spouse S(i-1); sexes alternate
		print "chain", "C0", 0, 0, 1, "reference"
		for (i = 1; i <= G; ++i) {
			ps = (i - 1) % 2 ? 2 : 1
			print "chain", "S" i - 1, 0, 0, 3 - ps, "untyped"
			fa = ps == 1 ? "C" i - 1 : "S" i - 1; mo = ps == 1 ? "S" i - 1 : "C" i - 1
			print "chain", "C" i, fa, mo, i % 2 ? 2 : 1, i == G ? "missing" : "untyped"
		}
	}' > "ped$1.tsv"
}
run() {   # G OUTDIR [extra pedigree file]
	timeout 120 "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
		--pedigrees "${3:-ped$1.tsv}" --y-db ydb.tsv --mtdna mtdna.tsv --mt-db mtdb.tsv --all --quiet --threads 2 --out "$2"
}
gen 1000
run 1000 g1000
# the pre-issue-15 engine's output for G = 1000 (kinmatch 464ba7a)
cat > want1000.tsv <<'WANT'
R1	chain	C1000	1	-0.000482	-0.000482	0.000000	NA	NA	NA	2	NA	NA	NA	NA
R1	male	P1000	2	-0.923371	-0.000482	0.000000	-0.000290	-0.922600	NA	4	P0	1000	NA	NA
R1	female	Q1000	3	-inf	-0.000482	0.000000	-inf	NA	NA	3	NA	NA	Q0	1000
R2	chain	C1000	1	0.000720	0.000720	0.000000	NA	NA	NA	2	NA	NA	NA	NA
R2	female	Q1000	2	-0.917092	0.000720	0.000000	0.000287	NA	-0.918099	4	NA	NA	Q0	1000
R2	male	P1000	3	-inf	0.000720	0.000000	-inf	NA	NA	3	P0	1000	NA	NA
WANT
tail -n +2 g1000/matches.tsv | cmp - want1000.tsv
gen 10000
start=$(date +%s)
run 10000 g10000
echo "G = 10000: $(( $(date +%s) - start )) s" >&2
awk -F'\t' 'NR > 1 {
	for (i = 5; i <= 10; ++i) if ($i == "nan" || $i == "-nan") { print "NaN in row " NR; exit 1 }
	if ($3 == "P10000" && $13 != 10000) { print "y_meioses " $13; exit 1 }
	if ($3 == "Q10000" && $15 != 10000) { print "mt_meioses " $15; exit 1 }
	n++ } END { if (n != 6) { print n " rows"; exit 1 } }' g10000/matches.tsv
# a 20,000-person cycle (the top man made his own descendant's son): refused at once
awk -F'\t' -v OFS='\t' '$1 == "male" && $2 == "P0" { $3 = "P10000"; $4 = "W9999" } $1 != "female" && $1 != "chain"' ped10000.tsv > cycle.tsv
if timeout 60 "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
	--pedigrees cycle.tsv --quiet --out cycle 2> cycle.err; then echo "a cycle was accepted"; exit 1; fi
grep -q "cycle.tsv:[0-9]*:[0-9]*: person '.*' is their own ancestor" cycle.err || { cat cycle.err; exit 1; }
[ ! -e cycle/matches.tsv ]
