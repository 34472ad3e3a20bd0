#!/usr/bin/env bash
# bash bench/incremental.sh SIZE [--threads N] [--record]: two nights with a results store
# on bench/data/SIZE (made by bench/run.sh if missing).  Night 1 lacks 5% of the remains and
# 3% of the families; night 2 has them all and runs --incremental; a full run on night 2's
# inputs is timed in the same script and must give the same matches.tsv, byte for byte.
# Prints one line: full_s, incr_s (wall), their ratio, and the counts.
#   --record  append the line with the commit to bench/RESULTS.md
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-S}; shift || true
threads=2; record=0
while [ $# -gt 0 ]; do
	case "$1" in
		--threads) threads=$2; shift 2 ;;
		--record) record=1; shift ;;
		*) echo "bench/incremental.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
KM=${KM:-$top/kinmatch}
data="$top/bench/data/$size"
[ -f "$data/.done" ] || bash "$top/bench/run.sh" "$size" --threads "$threads" > /dev/null
w="$data/incr"; rm -rf "$w"; mkdir -p "$w/n1"
# night 1: every 20th remain and every 33rd family held back (their references stay)
zcat -f "$data/remains.tsv.gz" | awk -F'\t' 'NR == 1 { print; next } $1 != last { last = $1; n++ } n % 20 != 0' > "$w/n1/remains.tsv"
cut -f1 "$w/n1/remains.tsv" | sort -u > "$w/n1/keep"
zcat -f "$data/remain-info.tsv.gz" | awk -F'\t' 'NR == FNR { k[$1] = 1; next } FNR == 1 || ($1 in k)' "$w/n1/keep" - > "$w/n1/remain-info.tsv"
zcat -f "$data/pedigrees.tsv.gz" | awk -F'\t' 'NR == 1 { print; next } $1 != last { last = $1; n++ } n % 33 != 0' > "$w/n1/pedigrees.tsv"
# mtDNA: the kept remains and every reference (references are not held back)
zcat -f "$data/mtdna.tsv.gz" > "$w/mtdna2.tsv"
awk -F'\t' 'NR == FNR { k[$1] = 1; next } FNR == 1 || ($1 in k) || !(($1) ~ /^R/)' "$w/n1/keep" "$w/mtdna2.tsv" > "$w/n1/mtdna.tsv"
args=(--panel "$data/panel/panel.tsv" --freqs "$data/panel/freqs.tsv" --references "$data/references.tsv.gz"
	--y-db "$data/panel/ydb.tsv" --mt-db "$data/panel/mtdb.tsv" --top 10 --threads "$threads")
db="$w/store.db"
"$KM" match "${args[@]}" --remains "$w/n1/remains.tsv" --pedigrees "$w/n1/pedigrees.tsv" --remain-info "$w/n1/remain-info.tsv" \
	--mtdna "$w/n1/mtdna.tsv" --store "$db" --out "$w/night1" --quiet
n2=(--remains "$data/remains.tsv.gz" --pedigrees "$data/pedigrees.tsv.gz" --remain-info "$data/remain-info.tsv.gz" --mtdna "$w/mtdna2.tsv")
# wall and CPU seconds of each (the machine may be shared: CPU seconds are the steadier measure)
/usr/bin/time -f "%e %U %S" -o "$w/full.time" "$KM" match "${args[@]}" "${n2[@]}" --out "$w/full" --quiet
/usr/bin/time -f "%e %U %S" -o "$w/night2.time" "$KM" match "${args[@]}" "${n2[@]}" --store "$db" --incremental --out "$w/night2" 2> "$w/night2.err" \
	|| { cat "$w/night2.err" >&2; exit 1; }
grep -- "--incremental" "$w/night2.err" >&2
cmp "$w/full/matches.tsv" "$w/night2/matches.tsv" || { echo "bench: the incremental night differs from the full run" >&2; exit 1; }
nr=$(($(cut -f1 "$w/full/matches.tsv" | sort -u | wc -l) - 1))
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
line=$(awk -v th="$threads" -v nr="$nr" 'NR == FNR { fw = $1; fc = $2 + $3; next } { iw = $1; ic = $2 + $3 }
	END { printf "threads=%d remains_with_rows=%d full_wall_s=%.2f incremental_wall_s=%.2f wall_ratio=%.3f full_cpu_s=%.2f incremental_cpu_s=%.2f cpu_ratio=%.3f identical=yes",
	      th, nr, fw, iw, iw / fw, fc, ic, ic / fc }' "$w/full.time" "$w/night2.time")
echo "size=$size commit=$commit $line"
if [ $record = 1 ]; then
	echo "| $(date -u +%F) | $commit | $size | incremental: $line |" >> "$top/bench/RESULTS.md"
fi
