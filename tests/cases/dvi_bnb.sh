#!/usr/bin/env bash
# The branch and bound gives the enumeration's rows (issue 11, "exact best K"): the demo
# night with --dvi-min-log10-lr 1.5 splits the identification into 166 components (the
# largest 40 remains, 68 families, several with two missing brothers); run once as the
# contract's default (every component of up to 1e6 assignments enumerated) and once with
# --dvi-max-assign 1, which sends every component of two or more assignments through the
# branch and bound (its per-option D from identrun.c's joint_delta, the closed families,
# the dual kept along the path).  Then, row by row of joint.tsv: the same component, rank,
# log10 LR and assignment; the bounded posterior at most the exact one and posterior_max
# at least it; no remain concluded `joint` on a bound that the exact posterior does not
# give.  A D too small (an invalid bound) loses rows here.
# Twice: as above, and without the undisputed step at --dvi-min-log10-lr 2, where the
# components hold the true brothers themselves, whose joint term is well above the sum of
# their pairwise LRs (there a D of 0 loses the best rows).
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
mkdir -p "$OUT"
d=profiles/demo; ref=reference
A=(--panel $ref/panel_east_asia.tsv --freqs $ref/freqs_east_asia.tsv --remains $d/remains.tsv.gz --references $d/references.tsv.gz
	--pedigrees $d/pedigrees.tsv.gz --remain-info $d/remain-info.tsv.gz --y-db $ref/optional/ydb_ppy23_east_asia.tsv
	--mtdna $d/mtdna.tsv.gz --mt-db $ref/mtdna_1kg_eas.tsv --dvi --threads 2)
check() {   # NAME MIN_BNB OPTION...: the two runs and their comparison
	local o=$OUT/$1 min=$2; shift 2
	"$KM" match "${A[@]}" "$@" --quiet --out "$o.enum"
	"$KM" match "${A[@]}" "$@" --dvi-max-assign 1 --out "$o.bnb" 2> "$o.err"
	local n
	n=$(sed -n 's/.*; \([0-9]*\) searched by branch and bound, \([0-9]*\) of them stopped.*/\1 \2/p' "$o.err")
	set -- $n
	[ "${1:-0}" -ge "$min" ] && [ "${2:-1}" = 0 ] || { echo "$o: branch and bound '$n' (want >= $min searched, 0 stopped)"; cat "$o.err"; exit 1; }
	cmp <(cut -f1-3,5 "$o.enum/joint.tsv") <(cut -f1-3,5 "$o.bnb/joint.tsv") || { echo "$o: joint.tsv rows differ"; exit 1; }
	paste "$o.enum/joint.tsv" "$o.bnb/joint.tsv" | awk -F'\t' -v o="$o" 'NR > 1 {
		if ($10 > $4 + 1e-9 || $12 < $4 - 1e-9) { print o ": row " NR ": exact posterior " $4 " outside [" $10 ", " $12 "]"; bad = 1 }
		n++ } END { if (n < 40) { print o ": " n " rows"; bad = 1 } exit bad }'
	# a joint conclusion under the bound is one under the exact posterior too
	paste "$o.enum/identifications.tsv" "$o.bnb/identifications.tsv" |
		awk -F'\t' -v o="$o" 'NR > 1 && $10 == "joint" && $4 != "joint" { print o ": bounded joint not exact: " $0; bad = 1 } END { exit bad }'
}
check split 15 --dvi-min-log10-lr 1.5
check brothers 5 --dvi-no-undisputed --dvi-min-log10-lr 2 --dvi-keep 1
