#!/usr/bin/env bash
# The output layer end to end (src/out.c): two jobs into one --out never lose or mix a
# result (20 trials); kill -9 at random moments of 20 runs always leaves the previous
# result intact; a symlink planted as matches.tsv or as the old temp name is not written
# through; a held lock refuses a job at once (exit 75); an unwritable --out fails before
# loading (exit 73); the simulator commits its files through the same layer.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
case=$here/tests/oracle/snp_str_avuncular
rm -rf "$OUT"; mkdir -p "$OUT"
die() { echo "$*"; exit 1; }
notmp() { ! ls -A "$1" | grep -q -e '^\.kinmatch' -e '\.tmp$' || die "temp left in $1: $(ls -A "$1" | tr '\n' ' ')"; }

"$KM" simulate --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --families 300 --seed 3 --quiet --out "$OUT/data" || die "simulate"
MA=(match --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --remains "$OUT/data/remains.tsv"
	--references "$OUT/data/references.tsv" --pedigrees "$OUT/data/pedigrees.tsv" --quiet)
m() { "$KM" "${MA[@]}" "$@"; }
# two distinguishable results
m --threads 1 --top 1 --out "$OUT/refA" || die "job A"
m --threads 1 --top 3 --out "$OUT/refB" || die "job B"
cmp -s "$OUT/refA/matches.tsv" "$OUT/refB/matches.tsv" && die "A and B must differ"

# 1. two jobs into one --out, 20 times: each exits 0 or 75 ("another job"); a job that
#    alone exited 0 has its result in place; whatever is there is one job's whole result
D=$OUT/race
for i in $(seq 1 20); do
	[ $((i % 2)) = 1 ] && rm -rf "$D"    # odd trials: both jobs race to make --out too
	m --threads 1 --top 1 --out "$D" 2> "$OUT/a.err" & pa=$!
	m --threads 1 --top 3 --out "$D" 2> "$OUT/b.err" & pb=$!
	wait $pa; ra=$?; wait $pb; rb=$?
	for r in $ra $rb; do [ $r = 0 ] || [ $r = 75 ] || die "trial $i: exit $r"; done
	[ $ra = 75 ] && { grep -q 'another kinmatch job is writing to this directory' "$OUT/a.err" || die "trial $i: message"; }
	if [ $ra = 0 ] && [ $rb = 75 ]; then cmp -s "$D/matches.tsv" "$OUT/refA/matches.tsv" || die "trial $i: A's result lost"
	elif [ $rb = 0 ] && [ $ra = 75 ]; then cmp -s "$D/matches.tsv" "$OUT/refB/matches.tsv" || die "trial $i: B's result lost"
	elif [ $ra = 0 ] && [ $rb = 0 ]; then
		cmp -s "$D/matches.tsv" "$OUT/refA/matches.tsv" || cmp -s "$D/matches.tsv" "$OUT/refB/matches.tsv" || die "trial $i: mixed result"
	else die "trial $i: both refused"; fi
	notmp "$D"
done

# 2. a held lock (flock(1) on the directory, as kinmatch takes it) refuses at once: exit 75
#    while the lock is still held (a job that waited for it would have succeeded)
rm -f "$OUT/held"
flock "$D" sh -c "touch '$OUT/held'; while [ -e '$OUT/held' ]; do sleep 0.1; done" & pl=$!
for _ in $(seq 1 100); do [ -e "$OUT/held" ] && break; sleep 0.1; done
m --out "$D" 2> "$OUT/busy.err"; rc=$?
rm -f "$OUT/held"; wait $pl
[ $rc = 75 ] || die "busy: exit $rc"
grep -q "^kinmatch: error: --out $D: another kinmatch job is writing to this directory" "$OUT/busy.err" || die "busy message: $(cat "$OUT/busy.err")"

# 3. kill -9 at random moments of 20 runs: the previous result stays whole
K=$OUT/kill
m --threads 1 --top 1 --out "$K" || die "kill: first run"
RANDOM=42
for i in $(seq 1 20); do
	"$KM" "${MA[@]}" --threads 1 --top 3 --out "$K" 2> /dev/null & pk=$!   # $! is kinmatch itself
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	kill -9 $pk 2> /dev/null; wait $pk 2> /dev/null
	if ! cmp -s "$K/matches.tsv" "$OUT/refA/matches.tsv"; then
		# the run finished before the kill: then it is B's whole result; put A back
		cmp -s "$K/matches.tsv" "$OUT/refB/matches.tsv" || die "kill $i: previous result damaged"
		m --threads 1 --top 1 --out "$K" || die "kill $i: rerun"
	fi
done
m --threads 1 --top 1 --out "$K" || die "kill: run after the kills"
notmp "$K"    # the dead runs' temps were cleaned when the lock was next taken
cmp -s "$K/matches.tsv" "$OUT/refA/matches.tsv" || die "kill: final"

# 4. symlinks planted as matches.tsv and as the old fixed temp name: never written through
S=$OUT/sym; mkdir -p "$S"
echo precious > "$OUT/outside"
ln -s "$OUT/outside" "$S/matches.tsv"
ln -s "$OUT/outside" "$S/.matches.tsv.tmp"
m --out "$S" || die "sym: run"
[ "$(cat "$OUT/outside")" = precious ] || die "sym: written through"
[ -f "$S/matches.tsv" ] && [ ! -L "$S/matches.tsv" ] || die "sym: matches.tsv is not a regular file"
[ ! -e "$S/.matches.tsv.tmp" ] && [ ! -L "$S/.matches.tsv.tmp" ] || die "sym: planted temp left"
cmp -s "$S/matches.tsv" "$OUT/refA/matches.tsv" && die "sym: unexpected" ; true

# 5. an --out that cannot be created fails at once, before loading (the inputs here do not
#    exist: the --out error comes first), exit 73
"$KM" match --panel /nonexistent --freqs x --remains x --references x --pedigrees x --out /proc/kinmatch-x 2> "$OUT/proc.err"; rc=$?
[ $rc = 73 ] || die "/proc/x: exit $rc"
grep -q '^kinmatch: error: --out /proc/kinmatch-x: cannot create directory' "$OUT/proc.err" || die "/proc/x message: $(cat "$OUT/proc.err")"
"$KM" simulate --panel /nonexistent --freqs x --families 1 --out /proc/kinmatch-x 2> /dev/null; rc=$?
[ $rc = 73 ] || die "simulate /proc/x: exit $rc"

# 6. the simulator: kill -9 leaves the previous dataset whole; no temps after the next run
P=$OUT/simk
SA=(simulate --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --families 2000 --quiet --out "$P")
"$KM" "${SA[@]}" --seed 1 || die "sim 1"
for f in pedigrees references remains remain-info truth; do cp "$P/$f.tsv" "$OUT/sim1.$f"; done
"$KM" "${SA[@]}" --seed 2 & ps=$!
sleep 0.2; kill -9 $ps 2> /dev/null; wait $ps 2> /dev/null
# the next job into P finishes or drops what the dead one left (here: it fails on input)
"$KM" simulate --panel /nonexistent --freqs x --families 1 --out "$P" 2> /dev/null && die "sim: bad input accepted"
notmp "$P"
same=0
for f in pedigrees references remains remain-info truth; do cmp -s "$P/$f.tsv" "$OUT/sim1.$f" && same=$((same + 1)); done
[ $same = 5 ] || [ $same = 0 ] || die "sim: a mix of two datasets ($same of 5 files from the first)"
exit 0
