#!/usr/bin/env bash
# Reviews carry into the next night (issue 14, part 5): with --dvi --store, a confirmed
# review places that remain in its family before the undisputed step (conclusion
# `confirmed`, log10_lr its pairwise value, posterior NA), a rejected pair is no candidate
# any more, matches.tsv does not change, and an incremental night writes the same
# identification files as a full one.
set -eu
KM=${KM:-$PWD/kinmatch}
OUT=${OUT:-tests/out/cases/store_dvi_review}
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/dvi/brothers"
rm -rf "$OUT"; mkdir -p "$OUT"
db="$OUT/s.db"
m() { "$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --pedigrees "$d/pedigrees.tsv" \
	--references "$d/references.tsv" --dvi --quiet --threads 2 "$@"; }
m --store "$db" --out "$OUT/n1"
cmp "$OUT/n1/identifications.tsv" "$d/expected-identifications.tsv"   # no reviews yet: as without a store
[ "$(sqlite3 "$db" "SELECT conclusion FROM identifications WHERE run = 1 AND remain = 'R2'")" = undisputed ]
# R2 = B-M2 confirmed
"$KM" review --store "$db" --remain R2 --family B --missing B-M2 --status confirmed --by ana --quiet
m --store "$db" --out "$OUT/n2"
lr=$(awk -F'\t' '$1 == "R2" && $3 == "B-M2" { print $5 }' "$OUT/n2/matches.tsv")
grep -q "^R2	B	B-M2	confirmed	$lr	NA$" "$OUT/n2/identifications.tsv"
! grep -q "	R2	" "$OUT/n2/undisputed.tsv"
grep -q "^1	R1	B	B-M1	" "$OUT/n2/undisputed.tsv"   # R1 still found, with R2 placed
cmp "$OUT/n1/matches.tsv" "$OUT/n2/matches.tsv"
# R1 = B-M1 rejected: no candidate any more (B-M2 is taken by the confirmed R2)
"$KM" review --store "$db" --remain R1 --family B --missing B-M1 --status rejected --by ben --note "wrong grave" --quiet
cp "$db" "$OUT/copy.db"
m --store "$db" --out "$OUT/n3" --incremental
grep -q "^R1	\*	\*	no match	" "$OUT/n3/identifications.tsv"
! grep -q "B-M1" "$OUT/n3/undisputed.tsv" "$OUT/n3/joint.tsv"
cmp "$OUT/n1/matches.tsv" "$OUT/n3/matches.tsv"
m --store "$OUT/copy.db" --out "$OUT/full3"
for f in matches undisputed joint identifications; do cmp "$OUT/n3/$f.tsv" "$OUT/full3/$f.tsv"; done
# the store has what the identification wrote, and history names the new identification
[ "$(sqlite3 "$db" "SELECT conclusion FROM identifications WHERE run = 2 AND remain = 'R2'")" = confirmed ]
"$KM" history --store "$db" --remain R2 | grep -q "	identified	2	R2	B	B-M2	confirmed (was undisputed B/B-M2)"
