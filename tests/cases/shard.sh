#!/usr/bin/env bash
# Sharded runs (issue 17): `match --shard K/N` for every K, then `kinmatch merge`, give
# byte for byte the files of a single run — matches.tsv, the identification, the remain
# pairs, explain.tsv, families.tsv, inconsistent.tsv, warnings.tsv — for N = 1, 2, 3, 4, 7,
# with dropout, typing error, Y and mtDNA, --dvi and --explain-top; and with --all.  The
# merge refuses a missing, a duplicated or a foreign shard (other options, or an input
# changed since), naming it, and writes nothing.  A shard holds only its own families'
# references but adds the others' alleles to the table as a single run (new alleles
# below).  `merge --store` records the run as a single `match --store` does.  The shards' split covers every family
# once and the manifest of the merge lists the shards' manifests.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
ref="$top/reference"
mkdir -p "$OUT"
cd "$OUT"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv" \
	--mt-db "$ref/mtdna_1kg_eas.tsv" --families 120 --remain-frac 0.6 --seed 23 --out sim > /dev/null 2>&1
A=(--panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains sim/remains.tsv --references sim/references.tsv
	--pedigrees sim/pedigrees.tsv --remain-info sim/remain-info.tsv --y-db "$ref/optional/ydb_ppy23_east_asia.tsv"
	--mtdna sim/mtdna.tsv --mt-db "$ref/mtdna_1kg_eas.tsv" --typing-error 0.001 --top 3 --dvi --explain-top 2)
"$KM" match "${A[@]}" --quiet --threads 2 --out single
files="matches.tsv undisputed.tsv joint.tsv identifications.tsv remain-pairs.tsv explain.tsv families.tsv inconsistent.tsv warnings.tsv"
for N in 1 2 3 4 7; do
	dirs=()
	for ((k = 0; k < N; ++k)); do
		"$KM" match "${A[@]}" --quiet --threads 1 --shard "$k/$N" --out "s$N.$k"
		dirs+=("s$N.$k")
	done
	# every candidate in exactly one shard
	total=$(for d in "${dirs[@]}"; do sed -n 's/^candidates\t\([0-9]*\).*/\1/p' "$d/shard.info"; done | awk '{ s += $1 } END { print s }')
	[ "$total" = "$(awk -F'\t' 'NR > 1 && $6 == "missing"' sim/pedigrees.tsv | wc -l)" ] || { echo "N=$N: the shards hold $total candidates"; exit 1; }
	# shards given in any order
	rev=(); for ((i = ${#dirs[@]} - 1; i >= 0; --i)); do rev+=("${dirs[i]}"); done
	"$KM" merge --quiet --threads 2 --out "m$N" "${rev[@]}"
	for f in $files; do
		cmp "single/$f" "m$N/$f" || { echo "N=$N: $f differs from the single run"; diff "single/$f" "m$N/$f" | head -5; exit 1; }
	done
	[ "$(grep -c '"option": "shard"' "m$N/manifest.json")" = "$N" ] || { echo "N=$N: the merge's manifest does not list its $N shards"; exit 1; }
done
# alleles the frequency table lacks, in references of families of every shard: a shard
# stores only its own references but must add the others' alleles to the table as a
# single run does (they change every family's stepwise mutation matrices at that marker)
awk -F'\t' 'BEGIN { OFS = "\t" } $2 == "D21S11" && ($1 ~ /^F0000(0[2-9]|[1-9][0-9])-R1$/ || $1 ~ /^F0001[01][0-9]-R1$/) {
	n = substr($1, 2, 6) % 7; $3 = 40 + n; $4 = 44 + n ".1" } { print }' sim/references.tsv > refs_new_alleles.tsv
B=("${A[@]}"); for ((i = 0; i < ${#B[@]}; ++i)); do [ "${B[i]}" = sim/references.tsv ] && B[i]=refs_new_alleles.tsv; done
"$KM" match "${B[@]}" --quiet --threads 2 --out nsingle
[ "$(grep -c "allele '4[0-9.]*' is not in" nsingle/manifest.json)" = 13 ] || { echo "new alleles: the single run did not add all 13"; exit 1; }
for N in 2 3; do
	for ((k = 0; k < N; ++k)); do "$KM" match "${B[@]}" --quiet --shard "$k/$N" --out "n$N.$k"; done
	"$KM" merge --quiet --out "nm$N" $(for ((k = 0; k < N; ++k)); do echo "n$N.$k"; done)
	for f in $files; do
		cmp "nsingle/$f" "nm$N/$f" || { echo "new alleles, N=$N: $f differs from the single run"; diff "nsingle/$f" "nm$N/$f" | head -5; exit 1; }
	done
done
# a merge without --dvi, --explain-top or --store reads the references for their ids,
# lines, alleles and X/Y/amelogenin calls only: the same files, counts and warnings (an
# unused reference and alleles the table lacks among them)
C=(); skip=0; for a in "${B[@]}"; do
	case "$a" in --dvi) continue ;; --explain-top) skip=1; continue ;; esac
	[ $skip = 1 ] && { skip=0; continue; }; C+=("$a"); done
{ cat refs_new_alleles.tsv; printf 'NOBODY-R1\tD21S11\t29\t51.1\n'; } > refs_unused.tsv
for ((i = 0; i < ${#C[@]}; ++i)); do [ "${C[i]}" = refs_new_alleles.tsv ] && C[i]=refs_unused.tsv; done
"$KM" match "${C[@]}" --quiet --out psingle
for k in 0 1 2; do "$KM" match "${C[@]}" --quiet --shard "$k/3" --out "p3.$k"; done
"$KM" merge --quiet --out pm3 p3.0 p3.1 p3.2
for f in matches.tsv inconsistent.tsv; do
	cmp "psingle/$f" "pm3/$f" || { echo "merge without --dvi: $f differs from the single run"; exit 1; }
done
# (the warnings name each run's own --out, which the merge makes absolute)
outname() { sed -e "s#$PWD/pm3/#DIR/#g; s#psingle/#DIR/#g" "$@"; }
cmp <(outname psingle/warnings.tsv) <(outname pm3/warnings.tsv) || { echo "merge without --dvi: warnings.tsv differs"; exit 1; }
grep -q "reference_unused" pm3/warnings.tsv || { echo "merge without --dvi: no unused reference named"; exit 1; }
manif() { { sed -n '/"counts": {/,/}/p' "$1/manifest.json" | grep -v '"shard'; sed -n '/"warnings": \[/,$p' "$1/manifest.json"; } | outname; }
cmp <(manif psingle) <(manif pm3 | grep -v '"all_candidates\|"shards"') ||
	{ echo "merge without --dvi: the manifest's counts or warnings differ"; diff <(manif psingle) <(manif pm3) | head; exit 1; }
# a shard knows the ids of the references it does not store: an --mtdna row of an unused
# reference is no error (as in a single run), a remain under another shard's reference id is
{ cat sim/mtdna.tsv; printf 'NOBODY-R1\t1-576 16024-16569\t73G 263G\n'; } > mt_unused.tsv
D=("${C[@]}"); for ((i = 0; i < ${#D[@]}; ++i)); do [ "${D[i]}" = sim/mtdna.tsv ] && D[i]=mt_unused.tsv; done
"$KM" match "${D[@]}" --quiet --out qsingle
for k in 0 1 2; do "$KM" match "${D[@]}" --quiet --shard "$k/3" --out "q3.$k"; done
"$KM" merge --quiet --out qm3 q3.0 q3.1 q3.2
cmp qsingle/matches.tsv qm3/matches.tsv || { echo "an unused reference's mtDNA: the merge differs"; exit 1; }
r1=$(awk -F'\t' 'NR > 1 { print $1; exit }' sim/remains.tsv)
sed "s/^$r1\t/F000050-R1\t/" sim/remains.tsv > rem_clash.tsv
for ((i = 0; i < ${#D[@]}; ++i)); do [ "${D[i]}" = sim/remains.tsv ] && D[i]=rem_clash.tsv; done
rc=0; "$KM" match "${D[@]}" --quiet --out xsingle 2> xsingle.err || rc=$?
[ $rc = 65 ] && grep -q "is both a remain and a reference" xsingle.err || { echo "the id clash was not refused"; cat xsingle.err; exit 1; }
for k in 0 1 2; do
	rc=0; "$KM" match "${D[@]}" --quiet --shard "$k/3" --out "x3.$k" 2> "x3.$k.err" || rc=$?
	[ $rc = 65 ] && cmp -s xsingle.err "x3.$k.err" || { echo "shard $k/3: the id clash gives another answer"; cat "x3.$k.err"; exit 1; }
done
# ... and to the last bit: every pair's doubles (hex in the shards' rows, --all) of 3 shards
# equal those of one shard, which reads every reference (a table built on another allele
# list differs in the last bits, which 6 printed decimals hide)
"$KM" match "${B[@]}" --quiet --all --shard 0/1 --out na1
for k in 0 1 2; do "$KM" match "${B[@]}" --quiet --all --shard "$k/3" --out "na3.$k"; done
cmp <(tail -n +2 na1/rows.tsv | sort) <(for k in 0 1 2; do tail -n +2 "na3.$k/rows.tsv"; done | sort) ||
	{ echo "new alleles: the shards' doubles differ from one shard's"; exit 1; }
# the merge records its run in a results store as a single run would (every table the
# same), a confirmed review applies at the merge, and the next --incremental night after
# a merge is a full one, said so (the shards keep no deeper lists)
"$KM" match "${A[@]}" --quiet --store st1.db --out sst1
"$KM" merge --quiet --store st3.db --out sst3 s3.0 s3.1 s3.2
for t in runs matches undisputed joint identifications remain_pairs; do
	q="SELECT * FROM $t"; [ $t = runs ] && q="SELECT count(*) FROM runs"
	[ "$(sqlite3 st1.db "$q" | md5sum)" = "$(sqlite3 st3.db "$q" | md5sum)" ] || { echo "merge --store: table $t differs from a single run's"; exit 1; }
done
set -- $(awk -F'\t' '$4 == 2' sst1/matches.tsv | sed -n 3p | cut -f1-3)
for db in st1.db st3.db; do "$KM" review --store "$db" --remain "$1" --family "$2" --missing "$3" --status confirmed --by test 2> /dev/null; done
"$KM" match "${A[@]}" --quiet --store st1.db --out sst1b
"$KM" merge --quiet --store st3.db --out sst3b s3.0 s3.1 s3.2
for f in $files; do cmp "sst1b/$f" "sst3b/$f" || { echo "merge --store with a review: $f differs"; exit 1; }; done
grep -q "^$1	$2	$3	confirmed" sst3b/identifications.tsv || { echo "merge --store: the confirmed review did not apply"; exit 1; }
"$KM" match "${A[@]}" --store st3.db --incremental --out sst3c 2> sst3c.err
grep -q "a full run: run [0-9]* kept no incremental state" sst3c.err || { echo "incremental after a merge:"; cat sst3c.err; exit 1; }
cmp sst1b/matches.tsv sst3c/matches.tsv || { echo "the night after a merge differs"; exit 1; }
# --all: every row
"$KM" match "${A[@]}" --all --quiet --out all1
for k in 0 1 2; do "$KM" match "${A[@]}" --all --quiet --shard "$k/3" --out "a3.$k"; done
"$KM" merge --quiet --out all3 a3.0 a3.1 a3.2
cmp all1/matches.tsv all3/matches.tsv || { echo "--all: matches.tsv differs"; exit 1; }
# refusals: nothing written, the shard named
bad() {   # NAME WANT(grep) ARGS...
	local name=$1 want=$2; shift 2
	rc=0; "$KM" merge --quiet --out "bad_$name" "$@" 2> "bad_$name.err" || rc=$?
	[ $rc != 0 ] || { echo "merge accepted: $name"; exit 1; }
	grep -q -- "$want" "bad_$name.err" || { echo "$name: message:"; cat "bad_$name.err"; exit 1; }
	[ ! -e "bad_$name/matches.tsv" ] || { echo "$name: output left behind"; exit 1; }
}
bad missing "shard 2/3 is missing" s3.0 s3.1
bad duplicate "s3.1 and s3.1 are both shard 1/3" s3.0 s3.1 s3.1 s3.2
bad mixed "shards of different splits" s3.0 s3.1 s4.2
"$KM" match "${A[@]}" --quiet --top 4 --shard 2/3 --out other.2
bad options "other.2 was made with other inputs or options than s3.0" s3.0 s3.1 other.2
bad notashard "not a kinmatch shard result" s3.0 s3.1 single
cp -r s3.2 s3.2bad; sed -i 's/^inconsistent\t[0-9]*/inconsistent\t7x/' s3.2bad/shard.info
bad corrupt "inconsistent '7x': expected a count" s3.0 s3.1 s3.2bad
cp sim/pedigrees.tsv ped.bak
printf 'F999\tX\t0\t0\t1\tmissing\n' >> sim/pedigrees.tsv
bad changed "the input files differ from those the shards ran with" s3.0 s3.1 s3.2
cp ped.bak sim/pedigrees.tsv
rc=0; "$KM" match "${A[@]}" --quiet --shard 3/3 --out x 2> x.err || rc=$?
[ $rc = 64 ] && grep -q "expected K/N with 0 <= K < N" x.err || { echo "--shard 3/3 accepted"; exit 1; }
rc=0; "$KM" match "${A[@]}" --quiet --shard 0/2 --store st.sqlite --out x 2> x.err || rc=$?
[ $rc = 64 ] && grep -q "with --store is not implemented yet" x.err || { echo "--shard with --store accepted"; exit 1; }
