#!/usr/bin/env bash
# An error from the likelihood engine is prefixed with the family and marker once, and
# its own text comes through whole (issue 10: compile.c formatted e->msg into itself,
# undefined behaviour that garbled the message).  The trigger: --theta with a family
# of 58 persons (beyond theta.c's 48, so compile falls back to lik.c's enumeration) whose
# 8 untyped founders behind the typed sibling have 20^16 allele combinations (stepwise
# mutation, so no allele is lumped), which the enumeration refuses.
set -eu
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
printf 'marker\ttype\tchrom\tmutation_rate\nL1\tSTR\t1\t0.002\n' > panel.tsv
{ printf 'marker\tallele\tfrequency\n'; for a in $(seq 5 24); do printf 'L1\t%s\t0.05\n' $a; done; } > freqs.tsv
printf 'sample\tmarker\tallele1\tallele2\nS\tL1\t10\t12\n' > references.tsv
printf 'sample\tmarker\tallele1\tallele2\nR1\tL1\t10\t11\n' > remains.tsv
{
	printf 'family\tperson\tfather\tmother\tsex\trole\n'
	for i in 1 2 3 4; do printf 'F1\tGF%s\t0\t0\t1\tuntyped\nF1\tGM%s\t0\t0\t2\tuntyped\n' $i $i; done
	printf 'F1\tB1\tGF1\tGM1\t1\tuntyped\nF1\tB2\tGF2\tGM2\t2\tuntyped\nF1\tB3\tGF3\tGM3\t1\tuntyped\nF1\tB4\tGF4\tGM4\t2\tuntyped\n'
	printf 'F1\tC1\tB1\tB2\t1\tuntyped\nF1\tC2\tB3\tB4\t2\tuntyped\n'
	printf 'F1\tS\tC1\tC2\t1\treference\nF1\tM\tC1\tC2\t1\tmissing\n'
	for i in $(seq 1 40); do printf 'F1\tX%s\t0\t0\t1\tuntyped\n' $i; done
} > pedigrees.tsv
rc=0
"$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
	--pedigrees pedigrees.tsv --mutation stepwise --theta 0.01 --min-loci 0 --quiet --threads 2 --out o 2> err.txt || rc=$?
# the engine's message, wrapped by the command with the pedigree file's line and --keep-going's hint (issue 15 part 4)
want="kinmatch: error: pedigrees.tsv:2: family 'F1' cannot be computed: family 'F1', marker 'L1': theta correction: too many untyped founder alleles to enumerate exactly (6.5536e+20 combinations) (--keep-going leaves such a family out and finishes the others)"
[ $rc -ne 0 ] || { echo "exit 0, expected an error"; exit 1; }
[ "$(cat err.txt)" = "$want" ] || { echo "got:  $(cat err.txt)"; echo "want: $want"; exit 1; }
[ ! -e o/matches.tsv ] || { echo "matches.tsv written on error"; exit 1; }
