#!/usr/bin/env bash
# Direct matches among the remains (issue 11 part 6): --dvi writes remain-pairs.tsv.
#  - a remain typed twice under two ids (two fragments of one body) is a same-person row
#    whose log10 LR is 1 / P(profile) summed over its autosomal STR and SNP loci, computed
#    here from the frequency file by awk (exact calls: no dropout, no error), on the loci
#    counted here;
#  - one row per unordered pair, remain1 before remain2 in byte order, sorted; every row at
#    or above --dvi-threshold; the same bytes at 1 and 2 threads and with the remains file
#    in reverse order;
#  - remains of known different sex are never the same person; the pair is named in
#    warnings.tsv; the store keeps the rows (remain_pairs table).
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
ref="$top/reference"
mkdir -p "$OUT"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --families 80 --remain-frac 0.6 \
	--seed 17 --out "$OUT/sim" > /dev/null 2>&1
# R000001 again as R000001b; R000002's profile again as "A-frag" (sorts before R000002)
awk -F'\t' -v OFS='\t' 'NR == 1 { print; next } { print } $1 == "R000001" { $1 = "R000001b"; print } $1 == "R000002" { $1 = "A-frag"; print }' \
	"$OUT/sim/remains.tsv" > "$OUT/remains.tsv"
{ head -1 "$OUT/remains.tsv"; tail -n +2 "$OUT/remains.tsv" | tac; } > "$OUT/remains_rev.tsv"
run() {   # OUT REMAINS THREADS [extra]
	local o=$1 r=$2 th=$3; shift 3
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$r" \
		--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --dvi --threads "$th" --out "$o" "$@"
}
run "$OUT/a1" "$OUT/remains.tsv" 1 2> "$OUT/a1.err"
run "$OUT/a2" "$OUT/remains.tsv" 2 --quiet
run "$OUT/rev" "$OUT/remains_rev.tsv" 2 --quiet
f="$OUT/a1/remain-pairs.tsv"
[ "$(head -1 "$f")" = "$(printf 'remain1\tremain2\trelationship\tlog10_lr\tloci')" ] || { echo "remain-pairs.tsv header: $(head -1 "$f")"; exit 1; }
cmp "$f" "$OUT/a2/remain-pairs.tsv" || { echo "remain-pairs.tsv differs at 1 and 2 threads"; exit 1; }
cmp "$f" "$OUT/rev/remain-pairs.tsv" || { echo "remain-pairs.tsv depends on the order of the remains file"; exit 1; }
# the identity LR by hand, from the frequency file
want() {   # SAMPLE -> "log10_lr loci"
	awk -F'\t' -v S="$1" 'FILENAME == ARGV[1] { if ($2 == "STR" || $2 == "SNP") ty[$1] = 1; next }
		FILENAME == ARGV[2] { if ($0 !~ /^#/ && $3 + 0 > 0) f[$1 SUBSEP $2] = $3; next }
		$1 == S && ($2 in ty) && $3 != "" { p = f[$2 SUBSEP $3]; q = f[$2 SUBSEP $4]
			s += ($3 == $4) ? -2 * log(p) / log(10) : -log(2 * p * q) / log(10); n++ }
		END { printf "%.6f\t%d\n", s, n }' "$ref/panel_east_asia.tsv" "$ref/freqs_east_asia.tsv" "$OUT/sim/remains.tsv"
}
got1=$(awk -F'\t' '$1 == "R000001" && $2 == "R000001b" && $3 == "same-person" { print $4 "\t" $5 }' "$f")
[ "$got1" = "$(want R000001)" ] || { echo "R000001 = R000001b: got '$got1', want '$(want R000001)'"; exit 1; }
got2=$(awk -F'\t' '$1 == "A-frag" && $2 == "R000002" && $3 == "same-person" { print $4 "\t" $5 }' "$f")
[ "$got2" = "$(want R000002)" ] || { echo "A-frag = R000002: got '$got2', want '$(want R000002)'"; exit 1; }
# sorted, remain1 < remain2, at or above the threshold (log10 1e4 = 4), known relationships
LC_ALL=C awk -F'\t' 'NR > 1 { if (!($1 < $2)) { print "not remain1 < remain2: " $0; exit 1 }
		if ($4 + 0 < 4) { print "below the threshold: " $0; exit 1 }
		if ($3 != "same-person" && $3 != "parent-child" && $3 != "full-siblings") { print "relationship: " $0; exit 1 } }' "$f"
tail -n +2 "$f" | awk -F'\t' -v OFS='\t' '{ r = $3 == "same-person" ? 0 : $3 == "parent-child" ? 1 : 2; print $1, $2, r }' > "$OUT/keys"
LC_ALL=C sort -c -t "$(printf '\t')" -k1,1 -k2,2 -k3,3n "$OUT/keys" || { echo "remain-pairs.tsv is not sorted"; exit 1; }
[ "$(sort -u "$OUT/keys" | wc -l)" = "$(wc -l < "$OUT/keys")" ] || { echo "a pair and relationship twice"; exit 1; }
# reported, not merged: named in warnings.tsv and on stderr; matches.tsv has both remains
grep -q "remains_same_person	R000001	remains 'R000001' and 'R000001b' look like one person" "$OUT/a1/warnings.tsv" || { echo "warnings.tsv does not name the pair"; exit 1; }
grep -q "2 pairs of remains look like one person" "$OUT/a1.err" || { echo "stderr does not say so"; cat "$OUT/a1.err"; exit 1; }
grep -q "^R000001b	" "$OUT/a1/matches.tsv" && grep -q "^R000001	" "$OUT/a1/matches.tsv"
# a higher threshold keeps only the rows at or above it
run "$OUT/t" "$OUT/remains.tsv" 2 --quiet --dvi-threshold 1e60
awk -F'\t' 'NR > 1 && $4 + 0 >= 60' "$f" > "$OUT/hi"
[ -s "$OUT/hi" ] && diff <(tail -n +2 "$OUT/t/remain-pairs.tsv") "$OUT/hi" || { echo "--dvi-threshold 1e60 rows differ"; exit 1; }
# known different sex: not one person (but still relatives)
printf 'sample\tsex\nR000001\tmale\nR000001b\tfemale\n' > "$OUT/info.tsv"
run "$OUT/sex" "$OUT/remains.tsv" 2 --quiet --remain-info "$OUT/info.tsv"
! grep -q "^R000001	R000001b	same-person" "$OUT/sex/remain-pairs.tsv" || { echo "a man and a woman are the same person"; exit 1; }
grep -q "^R000001	R000001b	full-siblings" "$OUT/sex/remain-pairs.tsv"
# the store keeps the rows
run "$OUT/st" "$OUT/remains.tsv" 2 --quiet --store "$OUT/store.sqlite"
[ "$(sqlite3 "$OUT/store.sqlite" 'SELECT count(*) FROM remain_pairs WHERE run = 1')" = "$(($(wc -l < "$OUT/st/remain-pairs.tsv") - 1))" ] || { echo "store rows"; exit 1; }
[ "$(sqlite3 "$OUT/store.sqlite" "SELECT printf('%.6f', log10_lr) FROM remain_pairs WHERE remain1 = 'R000001' AND remain2 = 'R000001b' AND relationship = 'same-person'")" = "$(want R000001 | cut -f1)" ]
cmp "$f" "$OUT/st/remain-pairs.tsv" || { echo "--store changes remain-pairs.tsv"; exit 1; }
# the report shows them: a row per pair on the index, and each remain's page names the other
"$KM" report --run "$OUT/a1" 2> /dev/null
n_rows=$(grep -c '^<tr><td>.*</td><td>\(<b>\)\?\(same-person\|parent-child\|full-siblings\)' "$OUT/a1/report/index.html" || true)
[ "$n_rows" = "$(($(wc -l < "$f") - 1))" ] || { echo "the report's index shows $n_rows remain pairs, the file has $(($(wc -l < "$f") - 1))"; exit 1; }
grep -q 'Another remain, the same person?</b> <a href="../r/R000001b.html">R000001b</a> (same-person, log10 LR 102' "$OUT/a1/report/r/R000001.html" || { echo "R000001's page does not name R000001b"; exit 1; }
