#!/usr/bin/env bash
# --explain-top (issue 13): explain.tsv has one row per compared locus.
# 1. Every oracle case: each row's log10 LR is Familias' / pedsuite's per-marker value
#    (expected_loci.tsv) at 1e-6, and the rows add up to matches.tsv per system.
# 2. A simulated night with dropout, X, Y and mtDNA: per system the rows add up to
#    matches.tsv (the -inf row named), the rows number `loci`, the same at 1 and 2 threads.
# 3. References that contradict their pedigree: the warning names family and marker,
#    inconsistent.tsv lists the pair, and its explain row says "left out" with LR 1.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
n=0
for d in "$top"/tests/oracle/*/; do
	[ -f "$d/expected_loci.tsv" ] || continue
	name=$(basename "$d"); o="$OUT/oracle/$name"
	( cd "$d" && "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
		--pedigrees pedigrees.tsv $(cat args.txt) --explain-top 1000 --threads 2 --quiet --out "$o" )
	awk -F'\t' -f "$top/tests/explain/loci.awk" "$d/expected_loci.tsv" "$o/explain.tsv" || { echo "oracle $name: explain.tsv differs"; exit 1; }
	awk -F'\t' -f "$top/tests/explain/sums.awk" "$o/matches.tsv" "$o/explain.tsv" || { echo "oracle $name: sums"; exit 1; }
	n=$((n + 1))
done
[ $n -ge 20 ] || { echo "only $n oracle cases"; exit 1; }
# the exclusion's locus is named (father 12/14, son 13/16 at D8S1179, no mutation)
awk -F'\t' '$1 == "R1" && $5 == "D8S1179" && $6 == "-inf" { ok = 1 } END { exit !ok }' "$OUT/oracle/mut_none_exclusion/explain.tsv" \
	|| { echo "the -inf locus of mut_none_exclusion is not named"; exit 1; }

# 2. simulated: demo reference data, 60 families, dropout from remain-info
ref="$top/reference"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv" \
	--mt-db "$ref/mtdna_1kg_eas.tsv" --families 60 --remain-frac 0.5 --seed 7 --out "$OUT/sim" > /dev/null 2>&1
for th in 1 2; do
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$OUT/sim/remains.tsv" \
		--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --remain-info "$OUT/sim/remain-info.tsv" \
		--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$OUT/sim/mtdna.tsv" --mt-db "$ref/mtdna_1kg_eas.tsv" \
		--mutation none --explain-top 3 --threads $th --quiet --out "$OUT/sim/t$th"
done
awk -F'\t' -f "$top/tests/explain/sums.awk" "$OUT/sim/t1/matches.tsv" "$OUT/sim/t1/explain.tsv" || { echo "simulated: sums"; exit 1; }
cmp -s "$OUT/sim/t1/explain.tsv" "$OUT/sim/t2/explain.tsv" || { echo "explain.tsv differs at 1 and 2 threads"; exit 1; }
for s in str snp x y mt; do
	cut -f4 "$OUT/sim/t1/explain.tsv" | grep -qx "$s" || { echo "no $s rows in the simulated explain.tsv"; exit 1; }
done
cut -f10 "$OUT/sim/t1/explain.tsv" | grep -qx dropout || { echo "no dropout rows"; exit 1; }
# every pair of rank <= 3 is explained, and no other
want=$(awk -F'\t' 'NR > 1 && $4 <= 3' "$OUT/sim/t1/matches.tsv" | cut -f1-3 | sort -u | wc -l)
got=$(tail -n +2 "$OUT/sim/t1/explain.tsv" | cut -f1-3 | sort -u | wc -l)
[ "$want" = "$got" ] || { echo "$got pairs explained, $want rows of rank <= 3"; exit 1; }
# families.tsv holds those families and reads back as a pedigree file
[ "$(tail -n +2 "$OUT/sim/t1/families.tsv" | cut -f1 | sort -u | wc -l)" = "$(tail -n +2 "$OUT/sim/t1/explain.tsv" | cut -f2 | sort -u | wc -l)" ] \
	|| { echo "families.tsv does not hold exactly the explained families"; exit 1; }

# --dvi: every identification that is not `no match` is explained too, after its remain's rows
"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$OUT/sim/remains.tsv" \
	--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --remain-info "$OUT/sim/remain-info.tsv" \
	--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$OUT/sim/mtdna.tsv" --mt-db "$ref/mtdna_1kg_eas.tsv" \
	--mutation none --explain-top 1 --top 3 --dvi --quiet --out "$OUT/sim/dvi"
awk -F'\t' 'NR > 1 && $4 != "no match" { print $1 "\t" $2 "\t" $3 }' "$OUT/sim/dvi/identifications.tsv" | sort -u > "$OUT/sim/id_pairs.txt"
[ -s "$OUT/sim/id_pairs.txt" ] || { echo "no identification to explain"; exit 1; }
tail -n +2 "$OUT/sim/dvi/explain.tsv" | cut -f1-3 | sort -u > "$OUT/sim/x_pairs.txt"
missing=$(comm -23 "$OUT/sim/id_pairs.txt" "$OUT/sim/x_pairs.txt" | wc -l)
[ "$missing" = 0 ] || { echo "$missing identifications not explained"; exit 1; }
awk -F'\t' -f "$top/tests/explain/sums.awk" "$OUT/sim/dvi/matches.tsv" <(awk -F'\t' 'NR == 1 || $7 != "NA"' "$OUT/sim/dvi/explain.tsv") \
	|| { echo "--dvi: sums of the rows that are in matches.tsv"; exit 1; }

# 3. father and son both typed, contradicting each other at L2 without mutation
o="$OUT/inc"; mkdir -p "$o"; cd "$o"
printf 'marker\ttype\tchrom\tmutation_rate\nL1\tSTR\t1\t0\nL2\tSTR\t2\t0\n' > panel.tsv
printf 'marker\tallele\tfrequency\nL1\t10\t0.5\nL1\t11\t0.5\nL2\t10\t0.3\nL2\t11\t0.3\nL2\t12\t0.4\n' > freqs.tsv
printf 'sample\tmarker\tallele1\tallele2\nFA\tL1\t10\t11\nFA\tL2\t10\t10\nSO\tL1\t10\t10\nSO\tL2\t11\t12\n' > references.tsv
printf 'sample\tmarker\tallele1\tallele2\nR1\tL1\t10\t11\nR1\tL2\t10\t12\n' > remains.tsv
printf 'family\tperson\tfather\tmother\tsex\trole\nFX\tFA\t0\t0\t1\treference\nFX\tMO\t0\t0\t2\tuntyped\nFX\tSO\tFA\tMO\t1\treference\nFX\tMP\tFA\tMO\t1\tmissing\n' > pedigrees.tsv
"$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv \
	--mutation none --all --explain-top 1 --out out 2> err
grep -q "family FX (missing MP) at L2" err || { echo "warning does not name family and marker:"; cat err; exit 1; }
grep -q "inconsistent.tsv" err || { echo "warning does not name the file:"; cat err; exit 1; }
[ "$(tail -n +2 out/inconsistent.tsv)" = "$(printf 'FX\tMP\tL2')" ] || { echo "inconsistent.tsv:"; cat out/inconsistent.tsv; exit 1; }
awk -F'\t' '$5 == "L2" { if ($6 != "0.000000" || $10 != "left out") exit 1; ok = 1 } END { exit !ok }' out/explain.tsv \
	|| { echo "L2 not explained as left out:"; cat out/explain.tsv; exit 1; }

# 4. typing error: with E > 0 a locus incompatible without error and mutation keeps a
# finite LR, and its row says what carried it; per pair those rows number exactly the
# `inconsistent` column of matches.tsv (the same flags, incon.c), and no row is -inf
cd "$OUT"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --families 40 --remain-frac 0.5 \
	--typing-error 0.02 --mutation none --seed 5 --out "$OUT/te" > /dev/null 2>&1
for mut in none stepwise; do
	"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$OUT/te/remains.tsv" \
		--references "$OUT/te/references.tsv" --pedigrees "$OUT/te/pedigrees.tsv" --remain-info "$OUT/te/remain-info.tsv" \
		--typing-error 0.02 --mutation $mut --explain-top 3 --quiet --out "$OUT/te/$mut"
	label="typing error"; [ $mut = none ] || label="mutation or typing error"
	awk -F'\t' -v label="$label" '
		FNR == 1 { for (i = 1; i <= NF; ++i) col[FILENAME, $i] = i; next }
		FILENAME == ARGV[1] { if ($col[FILENAME, "rank"] <= 3) want[$1 SUBSEP $2 SUBSEP $3] = $col[FILENAME, "inconsistent"]; next }
		{ k = $1 SUBSEP $2 SUBSEP $3; seen[k] = 1; if ($10 == label) got[k]++; if ($6 == "-inf") ninf++ }
		END {
			for (k in want) { if (!(k in seen)) { print "pair not explained"; exit 1 } if (want[k] != got[k] + 0) { split(k, a, SUBSEP); print a[1], a[2], "inconsistent", want[k], "rows", got[k] + 0; bad = 1 } tot += want[k] }
			if (ninf) { print ninf " rows are -inf under typing error"; exit 1 }
			if (tot == 0) { print "no incompatible locus in the test data: the check checks nothing"; exit 1 }
			exit bad }' "$OUT/te/$mut/matches.tsv" "$OUT/te/$mut/explain.tsv" || { echo "typing error ($mut): explain.tsv vs the inconsistent column"; exit 1; }
	awk -F'\t' -f "$top/tests/explain/sums.awk" "$OUT/te/$mut/matches.tsv" "$OUT/te/$mut/explain.tsv" || { echo "typing error ($mut): sums"; exit 1; }
done
# and the report says it in words on the remain's page
"$KM" report --run "$OUT/te/none" > /dev/null 2>&1 || { echo "report of the typing-error run failed"; exit 1; }
grep -rq "carried by the typing-error model (an exclusion without it)" "$OUT/te/none/report/r/" || { echo "report does not flag the loci typing error carried"; exit 1; }
