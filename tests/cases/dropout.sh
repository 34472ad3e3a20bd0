#!/usr/bin/env bash
# Allelic dropout (issue 4): hand-derived LRs for apparent homozygotes, checked through
# the command line.  One STR locus, alleles 10..14 with p = .1 .2 .3 .15 .25 (sum S = 1),
# --mutation none.  P(obs|g): {a}|aa = 1-d^2, {a}|ax = d(1-d).  For a reference R and the
# missing person M with IBD coefficients kappa, L1(g)/P(refs) = P(g | R), L2(g)/P(refs) = P(g).
#   LR({a}) = [(1-d^2) P(aa|R) + d(1-d) sum_{x!=a} P(ax|R)] / [(1-d^2) p_a^2 + d(1-d) 2 p_a (S-p_a)]
# with P(g|R) = k0 P(g) + k1 P1(g|R) + k2 [g = R] (Egeland et al. 2016 eq. 2.6) and
#   sum_{x!=a} P(ax)         = 2 p_a (S - p_a)
#   P1(aa | ab)              = p_a / 2
#   sum_{x!=a} P1(ax | ab)   = (S - p_a)/2 + p_a/2 = S/2
# so for R = {a,b} showing remain {a}:
#   parent-child (k = 0,1,0):   num = (1-d^2) p_a/2 + d(1-d) S/2
#   grandparent  (k = .5,.5,0): num = (1-d^2)(p_a^2/2 + p_a/4) + d(1-d)(p_a(S-p_a) + S/4)
#   full sibling (k = .25,.5,.25): num = (1-d^2)(p_a^2/4 + p_a/4) + d(1-d)(p_a(S-p_a)/2 + S/4 + 1/4)
# A true child 13/14 of a father 12/14 showing {13}: L1(13 13) = 0, sum_x L1(13 x) = p13, so
#   LR = d(1-d) p13 / [(1-d^2) p13^2 + 2 d(1-d) p13 (S - p13)]  (without the model: -inf).
set -eu
mkdir -p "$OUT"; cd "$OUT"
printf 'marker\ttype\tchrom\tmutation_rate\nL1\tSTR\t1\t0\n' > panel.tsv
printf 'marker\tallele\tfrequency\nL1\t10\t0.1\nL1\t11\t0.2\nL1\t12\t0.3\nL1\t13\t0.15\nL1\t14\t0.25\n' > freqs.tsv
printf 'sample\tmarker\tallele1\tallele2\nREF\tL1\t12\t14\n' > references.tsv
printf 'sample\tmarker\tallele1\tallele2\nRA\tL1\t12\t12\nRB\tL1\t12\t12\nRC\tL1\t13\t13\n' > remains.tsv
{
	printf 'family\tperson\tfather\tmother\tsex\trole\n'
	printf 'PC\tREF\t0\t0\t1\treference\nPC\tW\t0\t0\t2\tuntyped\nPC\tM\tREF\tW\t1\tmissing\n'
	printf 'GP\tREF\t0\t0\t1\treference\nGP\tGM\t0\t0\t2\tuntyped\nGP\tF\tREF\tGM\t1\tuntyped\nGP\tMO\t0\t0\t2\tuntyped\nGP\tM\tF\tMO\t1\tmissing\n'
	printf 'FS\tFA\t0\t0\t1\tuntyped\nFS\tMO\t0\t0\t2\tuntyped\nFS\tREF\tFA\tMO\t1\treference\nFS\tM\tFA\tMO\t1\tmissing\n'
} > pedigrees.tsv
printf 'sample\tdropout\nRB\t0.3\n' > info.tsv
run() { "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
	--pedigrees pedigrees.tsv --mutation none --all --quiet --threads 2 "$@"; }
want() {   # family d remain -> log10 LR from the formulas above
	awk -v f="$1" -v d="$2" -v r="$3" 'BEGIN {
		S = 1; pa = 0.3; p13 = 0.15; h = 1 - d*d; m = d*(1-d)
		den = h*pa*pa + m*2*pa*(S-pa)
		if (r == "RC") { if (f != "PC") { print "skip"; exit } ; x = m*p13 / (h*p13*p13 + 2*m*p13*(S-p13)); print (x > 0 ? log(x)/log(10) : "-inf"); exit }
		if (f == "PC") num = h*pa/2 + m*S/2
		if (f == "GP") num = h*(pa*pa/2 + pa/4) + m*(pa*(S-pa) + S/4)
		if (f == "FS") num = h*(pa*pa/4 + pa/4) + m*(pa*(S-pa)/2 + S/4 + 1/4)
		printf "%.10f\n", log(num/den)/log(10) }'
}
check() {  # file remain family d
	got=$(awk -F'\t' -v r="$2" -v f="$3" '$1 == r && $2 == f { print $5 }' "$1/matches.tsv")
	exp=$(want "$3" "$4" "$2")
	[ "$exp" = skip ] && return 0
	if [ "$exp" = "-inf" ]; then [ "$got" = "-inf" ] || { echo "$1 $2 $3 d=$4: got $got, want -inf"; exit 1; }; return 0; fi
	awk -v g="$got" -v w="$exp" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 1e-6) }' ||
		{ echo "$1 $2 $3 d=$4: got $got, want $exp"; exit 1; }
}
for d in 0.05 0.3; do
	run --dropout $d --out d$d
	for f in PC GP FS; do check d$d RA $f $d; check d$d RB $f $d; done
	check d$d RC PC $d
	awk -F'\t' '$1 == "RC" && $2 == "PC" { exit !($5 != "-inf") }' d$d/matches.tsv ||
		{ echo "true child with a dropped allele is still excluded at d=$d"; exit 1; }
done
# d = 0: the plain model; the true child with a dropped allele is an exclusion
run --out d0
for f in PC GP FS; do check d0 RA $f 0; done
awk -F'\t' '$1 == "RC" && $2 == "PC" { exit !($5 == "-inf") }' d0/matches.tsv || { echo "RC not excluded without dropout"; exit 1; }
# a per-remain value overrides the global one: RB at 0.3, RA at the global 0.05
run --dropout 0.05 --remain-info info.tsv --out over
for f in PC GP FS; do check over RA $f 0.05; check over RB $f 0.3; done
# --remain-info with d = 0 everywhere is byte-identical to no dropout
printf 'sample\tdropout\nRA\t0\nRB\t0\nRC\t0\n' > zero.tsv
run --remain-info zero.tsv --out z
cmp d0/matches.tsv z/matches.tsv
# thread counts agree with dropout on
run --dropout 0.3 --out t1 --threads 1
cmp t1/matches.tsv d0.3/matches.tsv
