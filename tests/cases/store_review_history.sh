#!/usr/bin/env bash
# The results store from the command line (issue 14, part 4): runs are recorded, `review`
# appends (and refuses a pair that never was a candidate with 65, a missing store with 66),
# `history` shows new candidates, rank changes and the reviews, and a run that dies between
# the file commit and the store commit leaves the store as it was and is named next time.
set -eu
KM=${KM:-$PWD/kinmatch}
OUT=${OUT:-tests/out/cases/store_review_history}
top=$(cd "$(dirname "$0")/../.." && pwd)
o="$top/tests/oracle/multi_family_ranking"
rm -rf "$OUT"; mkdir -p "$OUT"
db="$OUT/s.db"
m() { "$KM" match --panel "$o/panel.tsv" --freqs "$o/freqs.tsv" --remains "$o/remains.tsv" \
	--references "$o/references.tsv" --pedigrees "$o/pedigrees.tsv" --store "$db" "$@"; }
export KINMATCH_NOW=1767225600   # 2026-01-01T00:00:00.000Z
m --mutation none --top 1 --out "$OUT/a" --quiet
[ "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" = 1 ]
[ "$(sqlite3 "$db" 'SELECT count(*) FROM matches WHERE run = 1')" = "$(($(wc -l < "$OUT/a/matches.tsv") - 1))" ]
[ "$(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 3 ]
# reviews
rc=0; "$KM" review --store "$db" --remain R1 --family FAMB --missing FAMB-MP1 --status confirmed --by ana --quiet 2> "$OUT/e1" || rc=$?
[ $rc = 65 ] && grep -q "never a candidate" "$OUT/e1"
rc=0; "$KM" review --store "$OUT/nope.db" --remain R1 --family FAMA --missing FAMA-MP --status confirmed --by ana 2> "$OUT/e2" || rc=$?
[ $rc = 66 ] && [ ! -e "$OUT/nope.db" ]
rc=0; "$KM" review --store "$db" --remain R1 --family FAMA --missing FAMA-MP --status maybe --by ana 2> "$OUT/e3" || rc=$?
[ $rc = 64 ] && grep -q -- "--status: expected confirmed, rejected or pending, got 'maybe'" "$OUT/e3"
export KINMATCH_NOW=1767229200   # an hour later
"$KM" review --store "$db" --remain R1 --family FAMA --missing FAMA-MP --status confirmed --by ana --note "teeth match" 2> "$OUT/e4"
grep -q "review recorded: R1 = FAMA/FAMA-MP confirmed by ana" "$OUT/e4"
# a second night with more rows: new candidates in the history
export KINMATCH_NOW=1767312000   # the next day
m --mutation none --top 3 --out "$OUT/a" --quiet
"$KM" history --store "$db" > "$OUT/h"
head -1 "$OUT/h" | grep -q "^time	event	run	remain	family	missing	detail$"
grep -q "^2026-01-01T00:00:00.000Z	run	1	" "$OUT/h"
grep -q "^2026-01-01T01:00:00.000Z	review		R1	FAMA	FAMA-MP	confirmed by ana: teeth match$" "$OUT/h"
grep -q "^2026-01-02T00:00:00.000Z	new	2	R1	FAMC	FAMC-MP	rank 2, log10 LR -3.926816$" "$OUT/h"
# the review comes between the two runs
[ "$(awk -F'\t' '{ print $2 }' "$OUT/h" | grep -n . | grep -E 'run|review' | tr '\n' ' ')" = "2:run 3:review 4:run " ]
"$KM" history --store "$db" --remain R2 > "$OUT/h2"
! grep -q "	R1	" "$OUT/h2"
# a run that dies after its files are committed but before the store commits
rc=0; KINMATCH_TEST_STORE_CRASH=1 m --mutation none --top 2 --out "$OUT/a" --quiet || rc=$?
[ $rc = 70 ]
[ "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" = 2 ]
[ "$(awk -F'\t' '$4 == 3' "$OUT/a/matches.tsv" | wc -l)" = 0 ]   # DIR has the crashed run's --top 2 files
m --mutation none --top 2 --out "$OUT/a" --incremental 2> "$OUT/e5" || { cat "$OUT/e5"; exit 1; }
grep -q "is not the file the store recorded for its last run" "$OUT/e5"
grep -q -- "--incremental from run 2: 0 of 5 remains and 0 of 3 families new or changed" "$OUT/e5"
# a model option changed: a full run, and it says why
m --mutation equal --top 2 --out "$OUT/a" --incremental 2> "$OUT/e8"
grep -q -- "--incremental: a full run: --mutation changed since run 3" "$OUT/e8"
# --incremental without --store is a usage error
rc=0; "$KM" match --panel "$o/panel.tsv" --freqs "$o/freqs.tsv" --remains "$o/remains.tsv" --references "$o/references.tsv" \
	--pedigrees "$o/pedigrees.tsv" --incremental --out "$OUT/b" 2> "$OUT/e6" || rc=$?
[ $rc != 0 ] && grep -q -- "--incremental needs --store" "$OUT/e6"
# a newer store is refused before any work
sqlite3 "$db" "UPDATE meta SET value = '4' WHERE key = 'schema_version'"
rc=0; m --out "$OUT/c" 2> "$OUT/e7" || rc=$?
[ $rc != 0 ] && grep -q "schema version 4 was written by a newer kinmatch" "$OUT/e7" && [ ! -e "$OUT/c/matches.tsv" ]
