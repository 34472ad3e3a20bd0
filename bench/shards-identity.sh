#!/usr/bin/env bash
# bash bench/shards-identity.sh demo|M [--dvi]: issue 17's check of a sharded night — every
# file the merge writes byte-identical to a single run's, for N = 1, 2, 3, 4, 7 shards run
# one after another — on the demo job (its own options: typing error, --dvi, --explain-top)
# or on bench/data/M (made by bench/run.sh if missing; --dvi adds the identification).
# W=DIR: work there.  The manifest is left out (paths and times), and the warnings
# compare with each run's --out written as DIR.  Prints one line per N; exits 1 at the
# first difference.  tests/cases/shard_demo.sh runs the demo part (25 s).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-demo}; shift || true
KM=${KM:-$top/kinmatch}
ref="$top/reference"
case "$what" in
	demo) d="$top/profiles/demo"
		args=(--panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$d/remains.tsv.gz"
			--references "$d/references.tsv.gz" --pedigrees "$d/pedigrees.tsv.gz" --remain-info "$d/remain-info.tsv.gz"
			--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$d/mtdna.tsv.gz" --mt-db "$ref/mtdna_1kg_eas.tsv"
			--typing-error 0.001 --top 10 --explain-top 3 --dvi)
		w=${W:-$top/demo-shards} ;;
	M) d="$top/bench/data/M"
		[ -f "$d/.done" ] || bash "$top/bench/run.sh" M > /dev/null
		args=(--panel "$d/panel/panel.tsv" --freqs "$d/panel/freqs.tsv" --remains "$d/remains.tsv.gz"
			--references "$d/references.tsv.gz" --pedigrees "$d/pedigrees.tsv.gz" --remain-info "$d/remain-info.tsv.gz"
			--y-db "$d/panel/ydb.tsv" --mtdna "$d/mtdna.tsv.gz" --mt-db "$d/panel/mtdb.tsv" --top 10)
		[ "${1:-}" = --dvi ] && args+=(--dvi)
		w=${W:-$d/shards-identity} ;;
	*) echo "bench/shards-identity.sh: demo or M, not '$what'" >&2; exit 2 ;;
esac
rm -rf "$w"; mkdir -p "$w"; cd "$w"
"$KM" match "${args[@]}" --quiet --threads 2 --out single
files=$(cd single && ls | grep -v '^manifest.json$')
for N in 1 2 3 4 7; do
	t0=$(date +%s)
	for ((k = 0; k < N; ++k)); do "$KM" match "${args[@]}" --quiet --threads 2 --shard "$k/$N" --out "s$N.$k"; done
	"$KM" merge --quiet --threads 2 --out "m$N" $(for ((k = 0; k < N; ++k)); do echo "s$N.$k"; done)
	for f in $files; do
		if [ "$f" = warnings.tsv ]; then
			cmp <(sed "s#single/#DIR/#g" single/$f) <(sed "s#$w/m$N/#DIR/#g" "m$N/$f") || { echo "N=$N: $f differs" >&2; exit 1; }
		else cmp "single/$f" "m$N/$f" || { echo "N=$N: $f differs from the single run" >&2; exit 1; }; fi
	done
	echo "shards-identity: $what${1:+ $1} N=$N: $(echo $files | wc -w) files byte-identical to the single run ($(( $(date +%s) - t0 )) s)"
done
