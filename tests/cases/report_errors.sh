#!/usr/bin/env bash
# kinmatch report (issue 13): a directory that is no run is refused with a message naming
# the file; a bad matches.tsv names file:line; a second report replaces the first whole
# (no temp directory left, no page of the old one kept).
set -eu
mkdir -p "$OUT"; cd "$OUT"
if "$KM" report --run nowhere 2> e1; then echo "a missing run was accepted"; exit 1; fi
grep -q "nowhere/matches.tsv: no such file" e1 || { cat e1; exit 1; }
mkdir -p bad && printf 'remain\tfamily\n' > bad/matches.tsv
if "$KM" report --run bad 2> e2; then echo "a matches.tsv without columns was accepted"; exit 1; fi
grep -q "bad/matches.tsv:1:1: no column 'missing'" e2 || { cat e2; exit 1; }
[ ! -e bad/report ] || { echo "a failed report left bad/report"; exit 1; }
if "$KM" report 2> e3; then echo "no --run accepted"; exit 1; fi
grep -q -- "--run is required" e3 || { cat e3; exit 1; }
mkdir -p ok
printf 'remain\tfamily\tmissing\trank\tlog10_lr\tlog10_lr_str\tlog10_lr_snp\tlog10_lr_x\tlog10_lr_y\tlog10_lr_mt\tloci\nR1\tF1\tM1\t1\t5.000000\t5.000000\tNA\tNA\tNA\tNA\t20\n' > ok/matches.tsv
"$KM" report --run ok --quiet
touch ok/report/r/stale.html
"$KM" report --run ok --quiet
[ ! -e ok/report/r/stale.html ] || { echo "the old report was not replaced"; exit 1; }
[ -z "$(ls -a ok | grep -E '^\.?report\.(tmp|old)')" ] || { echo "temp directories left:"; ls -a ok; exit 1; }
grep -q 'href="r/R1.html">R1<' ok/report/index.html || { echo "R1 not linked"; exit 1; }
