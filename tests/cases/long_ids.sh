#!/usr/bin/env bash
# Reference ids are never cut (issue 15 part 4): a 100-character Y reference id is printed
# whole in matches.tsv's y_ref (out_tsv.c cut it at 63 characters).
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT" || exit 1
die() { echo "$*"; exit 1; }
# reference ids are never cut: a 100-character Y reference id in y_ref
d=$here/tests/lineage/rank
long=FB-G-$(printf 'x%.0s' $(seq 1 95))
sed "s/FB-G\b/$long/g" "$d/pedigrees.tsv" > lped.tsv
sed "s/^FB-G\t/$long\t/" "$d/references.tsv" > lrefs.tsv
"$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references lrefs.tsv \
	--pedigrees lped.tsv --y-db "$d/ydb.tsv" --all --quiet --out long || die "long ids: run"
[ "$(awk -F'\t' '$2 == "FB" { print $12 }' long/matches.tsv)" = "$long" ] || die "y_ref cut: $(awk -F'\t' '$2 == "FB" { print $12 }' long/matches.tsv)"
exit 0
