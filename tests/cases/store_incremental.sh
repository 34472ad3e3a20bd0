#!/usr/bin/env bash
# Incremental nights on the demo (issue 14, part 6): night 1 lacks 5% of the remains and 3%
# of the families, and has a few remains and references typed differently; night 2 has
# everything.  Each incremental night's matches.tsv must be byte-identical to a full run on
# the same inputs, at the night's --top, with a review in between.
set -eu
KM=${KM:-$PWD/kinmatch}
OUT=${OUT:-tests/out/cases/store_incremental}
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/profiles/demo"; ref="$top/reference"
rm -rf "$OUT"; mkdir -p "$OUT/n1" "$OUT/n2"
n1="$OUT/n1"; n2="$OUT/n2"
# night 2: the demo as shipped
for f in remains references pedigrees mtdna remain-info; do gzip -dc "$d/$f.tsv.gz" > "$n2/$f.tsv"; done
# night 1: without remains R...N with N % 20 == 0 and families F...N with N % 33 == 0; remains
# with N % 40 == 3 lack their first marker, references of families N % 50 == 7 lack theirs;
# remains with N % 45 == 1 have another dropout
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { n = substr($1, 2) + 0 }
	n % 20 == 0 { next } n % 40 == 3 && !($1 in cut) { cut[$1] = 1; next } { print }' "$n2/remains.tsv" > "$n1/remains.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } /^R/ && substr($1, 2) % 20 == 0 { next } { print }' "$n2/mtdna.tsv" > "$n1/mtdna.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { n = substr($1, 2) + 0 } n % 20 == 0 { next }
	n % 45 == 1 { $2 = $2 / 2 } { print }' "$n2/remain-info.tsv" > "$n1/remain-info.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } substr($1, 2, 6) % 33 == 0 { next } { print }' "$n2/pedigrees.tsv" > "$n1/pedigrees.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { n = substr($1, 2, 6) + 0 }
	n % 50 == 7 && !($1 in cut) { cut[$1] = 1; next } { print }' "$n2/references.tsv" > "$n1/references.tsv"
run() {   # run NIGHT OUTDIR ARGS...
	local n=$1 o=$2; shift 2
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" \
		--remains "$n/remains.tsv" --references "$n/references.tsv" --pedigrees "$n/pedigrees.tsv" \
		--remain-info "$n/remain-info.tsv" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv" \
		--mtdna "$n/mtdna.tsv" --mt-db "$ref/mtdna_1kg_eas.tsv" --threads 2 --out "$o" "$@"
}
db="$OUT/store.db"
run "$n1" "$OUT/night1" --store "$db" --quiet
grep -q . "$OUT/night1/matches.tsv"
# a review between the nights: the first remain's best candidate is confirmed
read -r r f m <<< "$(awk -F'\t' 'NR == 2 { print $1, $2, $3 }' "$OUT/night1/matches.tsv")"
"$KM" review --store "$db" --remain "$r" --family "$f" --missing "$m" --status confirmed --by tester --note "test" --quiet
# night 2, incremental, at another --top, against a full run
run "$n2" "$OUT/night2" --store "$db" --incremental --top 7 2> "$OUT/night2.err"
grep -q -- "--incremental from run 1: " "$OUT/night2.err" || { cat "$OUT/night2.err"; exit 1; }
run "$n2" "$OUT/full2" --top 7 --quiet
cmp "$OUT/night2/matches.tsv" "$OUT/full2/matches.tsv"
# night 3: night 1's inputs again (remains and families gone, changed back): as night 1
run "$n1" "$OUT/night3" --store "$db" --incremental --top 10 2> "$OUT/night3.err"
grep -q -- "--incremental from run 2: " "$OUT/night3.err" || { cat "$OUT/night3.err"; exit 1; }
cmp "$OUT/night3/matches.tsv" "$OUT/night1/matches.tsv"
# night 4: deeper than the store kept (--top 25 > 20 rows per remain): rescans; its first
# 7 ranks are night 2's full run (the ranking is a total order: --top K is --all cut at K)
run "$n2" "$OUT/night4" --store "$db" --incremental --top 25 2> "$OUT/night4.err"
grep -q -- "--incremental from run 3: .* 499 unchanged remains rescanned" "$OUT/night4.err" || { cat "$OUT/night4.err"; exit 1; }
awk -F'\t' 'NR == 1 || $4 <= 7' "$OUT/night4/matches.tsv" | cmp - "$OUT/full2/matches.tsv"
[ "$(awk -F'\t' '$4 == 25' "$OUT/night4/matches.tsv" | wc -l)" -gt 500 ]
# the store: four runs, each with its matches rows; the review is there
[ "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" = 4 ]
[ "$(sqlite3 "$db" 'SELECT count(*) FROM matches WHERE run = 2')" = "$(($(wc -l < "$OUT/night2/matches.tsv") - 1))" ]
[ "$(sqlite3 "$db" "SELECT status FROM reviews WHERE remain = '$r'")" = confirmed ]
# history: the nights' rank changes, candidates gone (--top 10 -> 7) and the review
"$KM" history --store "$db" > "$OUT/history.tsv"
grep -q "	rank	2	R[0-9]*	F[0-9]*	F[0-9]*-M[0-9]	rank [0-9]* -> [0-9]*, log10 LR " "$OUT/history.tsv"
grep -q "	gone	2	R[0-9]*	F[0-9]*	F[0-9]*-M[0-9]	was rank [89]$" "$OUT/history.tsv"
grep -q "	review		$r	$f	$m	confirmed by tester: test$" "$OUT/history.tsv"
