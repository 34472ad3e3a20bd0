#!/usr/bin/env bash
# kinmatch simulate: byte-identical for a seed at any --threads; bad options name the
# option; bad input exits non-zero and leaves an earlier result as it was, with no temps.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
case=$here/tests/oracle/snp_str_avuncular
mkdir -p "$OUT"
sim() { "$KM" simulate --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --families 500 --seed 7 --quiet "$@"; }

sim --threads 1 --out "$OUT/a"
sim --threads 2 --out "$OUT/b"
sim --threads 2 --out "$OUT/c" --dropout-mean 0.2 --dropout-max 0.2 --unrelated 5 --mix sib:1,parent:1
for f in pedigrees references remains remain-info truth; do
	cmp "$OUT/a/$f.tsv" "$OUT/b/$f.tsv"
done
[ ! -e "$OUT/a/mtdna.tsv" ]                      # no --mt-db, no mtDNA file
ls -A "$OUT/a" | grep -q '\.tmp$' && exit 1      # no temp file left
# fixed dropout level: every remain has d = 0.2; 5 unrelated; only the shapes asked for
awk -F'\t' 'NR > 1 && $2 != "0.2" { exit 1 }' "$OUT/c/remain-info.tsv"
[ "$(grep -c 'unrelated$' "$OUT/c/truth.tsv")" = 5 ]
awk -F'\t' 'NR > 1 && $4 != "sib" && $4 != "parent" && $4 != "unrelated" { exit 1 }' "$OUT/c/truth.tsv"
# the truth is hidden: remain ids are not in family order
[ "$(awk -F'\t' 'NR > 1 && $2 != "NA" { print $2 }' "$OUT/a/truth.tsv" | sort -c 2>&1 | wc -l)" = 1 ]

# bad option values name the option, exit 64 (usage), write nothing
if sim --out "$OUT/d" --remain-frac 2 2> "$OUT/err"; then exit 1; else [ $? = 64 ]; fi
grep -q -- '--remain-frac: expected a number in \[0,1\]' "$OUT/err"
if sim --out "$OUT/d" --mix sib:1,aunt:1 2> "$OUT/err"; then exit 1; fi
grep -q -- "--mix: unknown shape 'aunt'" "$OUT/err"
[ ! -e "$OUT/d" ]

# bad input: an earlier result stays as it was, and no temp file is left
printf 'marker\tallele\tfrequency\nNOPE\t1\t1\n' > "$OUT/bad_freqs.tsv"
cp -r "$OUT/a" "$OUT/keep"
if "$KM" simulate --panel "$case/panel.tsv" --freqs "$OUT/bad_freqs.tsv" --families 5 --out "$OUT/a" 2> "$OUT/err"; then exit 1; fi
grep -q "bad_freqs.tsv:2:1: unknown marker 'NOPE'" "$OUT/err"
diff -r "$OUT/a" "$OUT/keep" > /dev/null
exit 0
