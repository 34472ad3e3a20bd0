#!/usr/bin/env bash
# Submits a sharded kinmatch night to Slurm: a job array of N shards, then the merge with
# --dependency=afterok on the whole array (README, "Running on a cluster").
#   tools/slurm/submit.sh [--wait] [--cpus C] [--partition P] [--store FILE] N WORKDIR OUT -- MATCH_OPTIONS...
# MATCH_OPTIONS are `kinmatch match`'s, without --out, --shard, --threads and --store
# (--store FILE here: the merge records the night in the results store).  WORKDIR
# (created) holds the shard results and the jobs' logs; OUT gets the merged run.  WORKDIR,
# OUT, the inputs and the kinmatch binary ($KINMATCH, else the one beside tools/) must be on
# a file system every node sees.  Prints the two job ids; --wait returns when the merge has
# finished, with its exit status (a failed shard cancels the merge: --kill-on-invalid-dep).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
km=${KINMATCH:-$(cd "$here/../.." && pwd)/kinmatch}
wait=() cpus=2 part=() store=()
while [ $# -gt 0 ]; do
	case "$1" in
		--wait) wait=(--wait); shift ;;
		--cpus) cpus=$2; shift 2 ;;
		--partition) part=(--partition "$2"); shift 2 ;;
		--store) case "$2" in /*) store=("$2") ;; *) store=("$PWD/$2") ;; esac; shift 2 ;;
		*) break ;;
	esac
done
[ $# -ge 4 ] && [ "$4" = "--" ] || { sed -n '2,11p' "$0" >&2; exit 64; }
n=$1 work=$2 out=$3
shift 4
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive integer, got '$n'" >&2; exit 64; }
[ -x "$km" ] || { echo "submit.sh: no kinmatch at $km (set KINMATCH)" >&2; exit 66; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
jid=$(sbatch --parsable "${part[@]}" --array=0-$((n - 1)) --cpus-per-task="$cpus" --output="$work/slurm-shard-%a.out" \
	"$here/shard.sbatch" "$km" "$n" "$work" -- "$@")
jid=${jid%%;*}
echo "kinmatch: shards: job array $jid (tasks 0-$((n - 1)))" >&2
mid=$(sbatch --parsable "${part[@]}" "${wait[@]}" --dependency=afterok:"$jid" --kill-on-invalid-dep=yes --cpus-per-task="$cpus" \
	--output="$work/slurm-merge.out" "$here/merge.sbatch" "$km" "$n" "$work" "$out" "${store[@]}")
echo "kinmatch: merge: job ${mid%%;*} (after every shard; log $work/slurm-merge.out)" >&2
echo "$jid ${mid%%;*}"
# sbatch --wait returns 0 for a merge cancelled because a shard failed: the merged run's
# manifest is what says it ran (the output layer writes it last, all or nothing)
if [ ${#wait[@]} -gt 0 ] && [ ! -s "$out/manifest.json" ]; then
	echo "kinmatch: the merge did not run: a shard failed (see $work/slurm-shard-*.out)" >&2
	exit 1
fi
