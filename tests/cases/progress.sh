#!/usr/bin/env bash
# Progress (issue 14 part 3): on a terminal (script(1) gives the job one) each phase is
# drawn in place with its percentage ("\r\033[K" + "kinmatch: compile and scan  NN%");
# piped, stderr holds the summary only; --quiet on a terminal prints nothing; the results
# are the same.  Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
c=$here/tests/oracle/multi_family_ranking
rm -rf "$OUT"; mkdir -p "$OUT"
die() { echo "$*"; exit 1; }
command -v script > /dev/null || die "script(1) is needed (util-linux)"
args="match --panel $c/panel.tsv --freqs $c/freqs.tsv --remains $c/remains.tsv --references $c/references.tsv --pedigrees $c/pedigrees.tsv --threads 2"
script -qec "$KM $args --out $OUT/tty" "$OUT/tty.log" > /dev/null || die "tty run"
grep -q $'\r\033\\[Kkinmatch: load  *[0-9]*%' "$OUT/tty.log" || die "no load progress: $(cat -v "$OUT/tty.log")"
grep -q $'\r\033\\[Kkinmatch: compile and scan  *[0-9]*%' "$OUT/tty.log" || die "no scan progress"
grep -q $'\r\033\\[Kkinmatch: 5 remains searched' "$OUT/tty.log" || die "the summary does not start on a clean line"
"$KM" $args --out "$OUT/pipe" 2> "$OUT/pipe.err" || die "piped run"
grep -q $'\r' "$OUT/pipe.err" && die "piped: a carriage return"
grep -q 'compile and scan' "$OUT/pipe.err" && die "piped: progress printed"
grep -q '^kinmatch: 5 remains searched' "$OUT/pipe.err" || die "piped: no summary"
cmp -s "$OUT/tty/matches.tsv" "$OUT/pipe/matches.tsv" || die "results differ"
script -qec "$KM $args --quiet --out $OUT/q" "$OUT/q.log" > /dev/null || die "quiet tty run"
grep -q 'kinmatch:' "$OUT/q.log" && die "--quiet on a terminal printed: $(cat -v "$OUT/q.log")"
exit 0
