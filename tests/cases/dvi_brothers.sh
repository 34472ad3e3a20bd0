#!/usr/bin/env bash
# --dvi on two missing brothers with one reference (the son of M1): step 1 finds R1 = M1;
# with R1 placed in the family as a typed member, R2 (LR 10^2.3 alone) becomes undisputed
# at step 2 — conditioning is what makes the second identification.  Also: the step-2 LR
# equals the pairwise LR in a family where M1 is a reference with R1's profile; the joint
# term of both placements is the chain rule (step-1 LR + step-2 LR); --dvi leaves
# matches.tsv unchanged.
set -eu
KM=${KM:-./kinmatch}; OUT=${OUT:-/tmp/dvi_brothers}
d=tests/dvi/brothers
rm -rf "$OUT"; mkdir -p "$OUT"
run() { "$KM" match --panel $d/panel.tsv --freqs $d/freqs.tsv --remains $d/remains.tsv --pedigrees "$2" \
	--references "$1" --quiet --threads 2 "${@:3}"; }
run $d/references.tsv $d/pedigrees.tsv --dvi --out "$OUT/dvi"
run $d/references.tsv $d/pedigrees.tsv --out "$OUT/plain"
# --dvi leaves matches.tsv unchanged but for its last column, tie (written with --dvi only)
cmp <(cut -f1-$(head -1 "$OUT/plain/matches.tsv" | awk -F"\t" "{print NF}") "$OUT/dvi/matches.tsv") "$OUT/plain/matches.tsv"
[ "$(head -1 "$OUT/dvi/matches.tsv" | awk -F"\t" "{print \$NF}")" = tie ]
cmp "$OUT/dvi/undisputed.tsv" $d/expected-undisputed.tsv
cmp "$OUT/dvi/identifications.tsv" $d/expected-identifications.tsv
run $d/references.tsv $d/pedigrees.tsv --dvi --dvi-no-undisputed --out "$OUT/nou"
cmp "$OUT/nou/joint.tsv" $d/expected-joint-no-undisputed.tsv
[ "$(wc -l < "$OUT/nou/undisputed.tsv")" = 1 ]
# the conditioned LR: M1 as a reference typed with R1's profile
{ cat $d/references.tsv; awk -F'\t' -v OFS='\t' '$1 == "R1" { $1 = "B-M1"; print }' $d/remains.tsv; } > "$OUT/refs2.tsv"
sed 's/^B\tB-M1\tB-F\tB-MO\t1\tmissing$/B\tB-M1\tB-F\tB-MO\t1\treference/' $d/pedigrees.tsv > "$OUT/peds2.tsv"
run "$OUT/refs2.tsv" "$OUT/peds2.tsv" --all --out "$OUT/cond"
want=$(awk -F'\t' '$1 == "R2" && $3 == "B-M2" { print $5 }' "$OUT/cond/matches.tsv")
got=$(awk -F'\t' '$1 == 2 && $2 == "R2" { print $5 }' "$OUT/dvi/undisputed.tsv")
[ "$want" = "$got" ] || { echo "conditioned LR $got, pairwise with M1 typed $want"; exit 1; }
# chain rule: joint term of both = step-1 LR + step-2 LR
awk -F'\t' -v a="$(awk -F'\t' '$1 == 1 { print $5 }' "$OUT/dvi/undisputed.tsv")" -v b="$got" \
	'$2 == 1 && $1 == 1 { d = $3 - a - b; if (d < -2e-6 || d > 2e-6) { print "joint " $3 " != " a " + " b; exit 1 } }' "$OUT/nou/joint.tsv"
# remain sex: R1 said female has no candidate among the missing brothers, in matches.tsv
# and in the identification
run $d/references.tsv $d/pedigrees.tsv --remain-info $d/remain-info-sex.tsv --all --dvi --out "$OUT/sex"
! grep -q '^R1	' "$OUT/sex/matches.tsv"
grep -q '^R2	B	B-M2	1	' "$OUT/sex/matches.tsv"
grep -q '^R1	\*	\*	no match	NA	1$' "$OUT/sex/identifications.tsv"
