#!/usr/bin/env bash
# bench/shards.sh SIZE [--record] [--dvi]: sharded runs (issue 17) on this machine, one
# shard after another: the single run, then N = 1, 2, 4, 8 shards and their merge, each
# timed with getrusage through /usr/bin/time (wall, user + system CPU); prints one line per
# N with the shards' summed CPU over the single run's (target <= 1.15) and the merge's wall
# over the single run's (target <= 0.10 at L), and checks matches.tsv byte-identical.
# Data: bench/data/SIZE (bench/run.sh makes it).  --dvi: the night with --dvi (the merge
# then runs the identification, which a single run also runs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-M}; shift || true
record=0 dvi=()
while [ $# -gt 0 ]; do
	case "$1" in --record) record=1 ;; --dvi) dvi=(--dvi) ;; *) echo "bench/shards.sh: unknown option $1" >&2; exit 2 ;; esac
	shift
done
data="$top/bench/data/$size"
[ -f "$data/.done" ] || bash "$top/bench/run.sh" "$size" > /dev/null
KM="$top/kinmatch"
w="$data/shards"
rm -rf "$w"; mkdir -p "$w"
args=(--panel "$data/panel/panel.tsv" --freqs "$data/panel/freqs.tsv" --remains "$data/remains.tsv.gz"
	--references "$data/references.tsv.gz" --pedigrees "$data/pedigrees.tsv.gz" --remain-info "$data/remain-info.tsv.gz"
	--y-db "$data/panel/ydb.tsv" --mtdna "$data/mtdna.tsv.gz" --mt-db "$data/panel/mtdb.tsv" --quiet --top 10 --threads 2 "${dvi[@]}")
timed() {   # OUTFILE cmd... : appends "wall cpu" to OUTFILE
	local f=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$f.t" "$@"
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$f.t" >> "$f"
}
# a warm-up run first (untimed): the first run after a pause pays for the page cache and
# the clock ramp-up (2 CPU-seconds more at M, measured), which the shards after it do not
"$KM" match "${args[@]}" --out "$w/warmup.out"; rm -rf "$w/warmup.out"
timed "$w/single" "$KM" match "${args[@]}" --out "$w/single.out"
read -r sw sc < "$w/single"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
for N in 1 2 4 8; do
	: > "$w/s$N"
	dirs=()
	for ((k = 0; k < N; ++k)); do
		timed "$w/s$N" "$KM" match "${args[@]}" --shard "$k/$N" --out "$w/s$N.$k"
		dirs+=("$w/s$N.$k")
	done
	: > "$w/m$N"
	timed "$w/m$N" "$KM" merge --quiet --threads 2 --out "$w/m$N.out" "${dirs[@]}"
	cmp "$w/single.out/matches.tsv" "$w/m$N.out/matches.tsv" || { echo "bench/shards.sh: N=$N: matches.tsv differs" >&2; exit 1; }
	line=$(awk -v N="$N" -v sw="$sw" -v sc="$sc" -v mf="$w/m$N" '
		{ cpu += $2; if ($1 > mx) mx = $1; wall += $1 }
		END { getline m < mf; split(m, a, " ")
			printf "N=%d shards_cpu_s=%.2f single_cpu_s=%.2f cpu_ratio=%.3f shard_wall_max_s=%.2f shards_wall_sum_s=%.2f merge_wall_s=%.2f single_wall_s=%.2f merge_over_single=%.3f",
			       N, cpu, sc, cpu / sc, mx, wall, a[1], sw, a[1] / sw }' "$w/s$N")
	echo "size=$size commit=$commit ${dvi[*]:+dvi }$line"
	if [ $record = 1 ]; then echo "| $(date -u +%Y-%m-%d) | $commit | $size${dvi[*]:+ --dvi} | $line |" >> "$top/bench/RESULTS.md"; fi
done
