#!/usr/bin/env bash
# Sharded runs on a real Slurm (issue 17): brings up a single-node cluster from Debian's
# packages (munged, slurmctld and slurmd on this machine, in a scratch directory, with
# ports of their own), submits the demo job with tools/slurm/submit.sh as 4 array
# tasks plus the merge (--dependency=afterok, --store), and compares every output file and the store with the
# single-node run; a night whose shard fails must not merge.  The daemons are stopped on
# exit.  Needs root and the packages slurm-wlm and munge (`sh tools/install-deps --slurm`),
# so it runs in .ci/run, not in `make check` (README, Running on a cluster).
# Prints one line "slurm: ..." and exits 0 when it passes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
KM=${KM:-$top/kinmatch}
ref="$top/reference"
for c in munged slurmctld slurmd sbatch sinfo; do
	command -v "$c" > /dev/null || { echo "slurm: $c is not installed (sh tools/install-deps --slurm)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "slurm: the test starts slurmd, which needs root"; exit 1; }
T=$(mktemp -d /tmp/km-slurm.XXXXXX)
H=$(hostname -s)
port=$((20000 + $$ % 20000))
mkdir -p "$T/state" "$T/spool" "$T/munge" "$T/work"
chmod 700 "$T/munge"
stop() {   # the daemons, then their directory, once they are gone
	local pids=()
	for p in slurmd slurmctld munge/munged; do
		[ -f "$T/$p.pid" ] && pids+=("$(cat "$T/$p.pid")")
	done
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	for i in $(seq 1 50); do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2> /dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.2
	done
	rm -rf "$T"
}
trap stop EXIT
cat > "$T/slurm.conf" << EOF
ClusterName=kmtest
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=km Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2> /dev/null
chmod 600 "$T/munge/munge.key"
munged --force --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" --pid-file="$T/munge/munged.pid" \
	--log-file="$T/munge/munged.log" --seed-file="$T/munge/munge.seed"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for i in $(seq 1 30); do
	sinfo -h -o %t 2> /dev/null | grep -q idle && break
	sleep 1
done
sinfo -h -o %t | grep -q idle || { echo "slurm: the node did not come up"; tail "$T/slurmctld.log" "$T/slurmd.log"; exit 1; }

cd "$T/work"
# the demo job (profiles/run-demo.sh's inputs and options), its pedigrees copied so that a
# shard can be given one it cannot read below
mkdir -p demo
cp "$top/profiles/demo/pedigrees.tsv.gz" demo/
A=(--panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$top/profiles/demo/remains.tsv.gz"
	--references "$top/profiles/demo/references.tsv.gz" --pedigrees demo/pedigrees.tsv.gz
	--remain-info "$top/profiles/demo/remain-info.tsv.gz" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv"
	--mtdna "$top/profiles/demo/mtdna.tsv.gz" --mt-db "$ref/mtdna_1kg_eas.tsv" --typing-error 0.001 --top 10 --explain-top 3 --dvi)
"$KM" match "${A[@]}" --quiet --store single.db --out single
t0=$(date +%s)
KINMATCH="$KM" "$top/tools/slurm/submit.sh" --wait --cpus 1 --store night.db 4 shards merged -- "${A[@]}" > ids 2> submit.err ||
	{ echo "slurm: the night failed"; cat submit.err shards/slurm-*.out 2> /dev/null | tail -20; exit 1; }
t1=$(date +%s)
for f in matches.tsv undisputed.tsv joint.tsv identifications.tsv remain-pairs.tsv explain.tsv families.tsv inconsistent.tsv warnings.tsv; do
	cmp "single/$f" "merged/$f" || { echo "slurm: $f of the merged night differs from the single run"; exit 1; }
done
[ "$(ls -d shards/shard.* | wc -l)" = 4 ] || { echo "slurm: not 4 shard results"; exit 1; }
# the merge job recorded the night in the store (--store), as the single run did in its own
for t in matches identifications joint; do
	[ "$(sqlite3 single.db "SELECT * FROM $t" | md5sum)" = "$(sqlite3 night.db "SELECT * FROM $t" | md5sum)" ] ||
		{ echo "slurm: the store's $t differs from the single run's"; exit 1; }
done
# a shard that fails (an input it cannot read): the merge must not run, and --wait says so
rc=0
KINMATCH="$KM" "$top/tools/slurm/submit.sh" --wait --cpus 1 2 shards2 merged2 -- "${A[@]/demo\/pedigrees.tsv.gz/demo/nope.tsv}" > /dev/null 2> submit2.err || rc=$?
[ $rc != 0 ] && [ ! -e merged2/matches.tsv ] || { echo "slurm: a night with failed shards merged (rc $rc)"; exit 1; }
echo "slurm: the demo job as 4 array tasks and the merge on a single-node Slurm ($H) in $((t1 - t0)) s: every file and the store identical to the single run; a failed shard stops the merge"
