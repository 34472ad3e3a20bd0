#!/usr/bin/env bash
# manifest.json and warnings.tsv (src/out.c) and the exit codes (sysexits.h, README):
# the manifest is JSON; it holds argv, every option of `match --help` with its resolved
# value (defaults included), every input with the sha256 and size sha256sum and stat give,
# every other output file of DIR likewise, ISO 8601 UTC times, the threads, the summary's
# counts and every warning (also under --quiet); the exit codes of usage, missing input
# and unwritable --out.  Run by tests/run.sh with KM (the binary) and OUT (a scratch dir).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
c=$here/tests/oracle/multi_family_ranking
rm -rf "$OUT"; mkdir -p "$OUT"
die() { echo "$*"; exit 1; }
command -v jq > /dev/null || die "jq is needed (tools/install-deps)"
printf 'sample\tdropout\nR1\t0\nNOT_A_REMAIN\t0.1\n' > "$OUT/rinfo.tsv"
D=$OUT/run
"$KM" match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$c/remains.tsv" --references "$c/references.tsv" \
	--pedigrees "$c/pedigrees.tsv" --remain-info "$OUT/rinfo.tsv" --top 2 --threads 1 --quiet --out "$D" 2> "$OUT/err" || die "run: $(cat "$OUT/err")"
[ -s "$OUT/err" ] && die "--quiet printed: $(cat "$OUT/err")"
M=$D/manifest.json
jq -e . "$M" > /dev/null || die "manifest is not JSON"
q() { jq -r "$1" "$M"; }
[ "$(q .kinmatch_version)" = "$("$KM" version | cut -d' ' -f2)" ] || die "version"
[ "$(q .command)" = match ] && [ "$(q '.argv[1]')" = match ] && [ "$(q '.argv[-1]')" = "$D" ] || die "argv"
[ "$(q .threads)" = 1 ] || die "threads"
for t in started finished; do q ".$t" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' || die "$t: $(q ".$t")"; done
# options: given, defaults, and every option --help lists
[ "$(q .options.top)" = 2 ] && [ "$(q .options.theta)" = 0 ] && [ "$(q .options.mutation)" = stepwise ] || die "option values"
[ "$(q '.options["min-loci"]')" = 10 ] && [ "$(q '.options["min-freq"]')" = 0.001 ] && [ "$(q .options.all)" = false ] || die "defaults"
[ "$(q '.options["y-db"]')" = null ] && [ "$(q '.options["remain-info"]')" = "$OUT/rinfo.tsv" ] || die "file options"
for opt in $("$KM" match --help | grep -oE '^  --[a-z0-9-]+' | sed 's/^  --//'); do
	[ "$opt" = help ] && continue
	jq -e --arg k "$opt" '.options | has($k)' "$M" > /dev/null || die "option --$opt missing from the manifest"
done
# inputs: the digests and sizes of the files read
n=0
for opt in panel freqs remains references pedigrees remain-info; do
	f=$(jq -r --arg k "$opt" '.inputs[] | select(.option == $k) | .path' "$M")
	[ -n "$f" ] || die "input $opt missing"
	[ "$(jq -r --arg k "$opt" '.inputs[] | select(.option == $k) | .sha256' "$M")" = "$(sha256sum < "$f" | cut -d' ' -f1)" ] || die "input $opt sha256"
	[ "$(jq -r --arg k "$opt" '.inputs[] | select(.option == $k) | .bytes' "$M")" = "$(stat -c %s "$f")" ] || die "input $opt bytes"
	n=$((n + 1))
done
[ "$(q '.inputs | length')" = $n ] || die "inputs: $(q '.inputs | length') entries"
# outputs: every other file of DIR, with its digest; the manifest itself excluded
[ "$(q '[.outputs[].path] | sort | join(" ")')" = "$(ls "$D" | grep -vx manifest.json | sort | tr '\n' ' ' | sed 's/ $//')" ] || die "outputs: $(q '[.outputs[].path] | join(" ")')"
for f in $(q '.outputs[].path'); do
	[ "$(jq -r --arg p "$f" '.outputs[] | select(.path == $p) | .sha256' "$M")" = "$(sha256sum < "$D/$f" | cut -d' ' -f1)" ] || die "output $f sha256"
	[ "$(jq -r --arg p "$f" '.outputs[] | select(.path == $p) | .bytes' "$M")" = "$(stat -c %s "$D/$f")" ] || die "output $f bytes"
done
# counts: those of the summary
[ "$(q .counts.rows)" = $(($(wc -l < "$D/matches.tsv") - 1)) ] || die "counts.rows"
[ "$(q .counts.remains)" = 5 ] && [ "$(q .counts.families)" = 3 ] || die "counts"
# warnings: recorded under --quiet, in the manifest and in warnings.tsv
q '.warnings[]' | grep -q 'rows name samples that are not among the remains' || die "manifest warnings: $(q .warnings)"
head -1 "$D/warnings.tsv" | grep -qx "$(printf 'kind\tid\tmessage')" || die "warnings.tsv header"
grep -q "^warning	NA	.*rows name samples that are not among the remains" "$D/warnings.tsv" || die "warnings.tsv row"

# named findings, whatever their share: remains under --min-loci, an unused reference, a
# reference filed under a missing person's id
W=$OUT/warn
{ cat "$c/references.tsv"; awk -F'\t' 'NR == 2 { print "EXTRA\t" $2 "\t" $3 "\t" $4; print "FAMA-MP\t" $2 "\t" $3 "\t" $4 }' "$c/references.tsv"; } > "$OUT/refs.tsv"
"$KM" match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$c/remains.tsv" --references "$OUT/refs.tsv" \
	--pedigrees "$c/pedigrees.tsv" --min-loci 24 --out "$W" 2> "$OUT/w.err" || die "warn run"
[ "$(awk -F'\t' '$1 == "remain_few_loci"' "$W/warnings.tsv" | cut -f2 | tr '\n' ' ')" = "R1 R2 R3 R4 R5 " ] || die "remain_few_loci rows"
grep -q "^remain_few_loci	R2	typed at 23 loci, fewer than --min-loci 24: no candidates ($c/remains.tsv:25)\$" "$W/warnings.tsv" || die "remain_few_loci message"
grep -q "^reference_unused	EXTRA	no pedigree names this reference profile ($OUT/refs.tsv:" "$W/warnings.tsv" || die "reference_unused"
grep -q "^reference_is_missing_id	FAMA-MP	.*missing person 'FAMA-MP' of family 'FAMA'" "$W/warnings.tsv" || die "reference_is_missing_id"
grep -q "reference_unused	FAMA-MP" "$W/warnings.tsv" || die "FAMA-MP is also unused"
jq -e '.counts.remains_left_out == 5 and .counts.references_unused == 2 and .counts.references_with_missing_id == 1' "$W/manifest.json" > /dev/null || die "warning counts"
grep -q '5 of 5 remains are typed at fewer than --min-loci 24' "$OUT/w.err" || die "stderr warning"
# one remain in five (below the old 10%-of-remains threshold would not matter: any share)
awk -F'\t' '$1 != "R3" || ++n <= 5' "$c/remains.tsv" > "$OUT/rem1.tsv"
"$KM" match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$OUT/rem1.tsv" --references "$c/references.tsv" \
	--pedigrees "$c/pedigrees.tsv" --out "$W" --quiet || die "warn run 2"
[ "$(awk -F'\t' '$1 == "remain_few_loci" { print $2 }' "$W/warnings.tsv")" = R3 ] || die "one remain under --min-loci: $(cat "$W/warnings.tsv")"
! grep -q '^R3	' "$W/matches.tsv" || die "R3 has rows"

# exit codes (sysexits.h)
ex() { local want=$1; shift; "$KM" "$@" > /dev/null 2> "$OUT/x.err"; local rc=$?; [ $rc = "$want" ] || die "exit $rc, want $want: $* ($(cat "$OUT/x.err"))"; }
ex 64 match --panel "$c/panel.tsv" --top
grep -qx "kinmatch: error: --top: expected a value (see kinmatch match --help)" "$OUT/x.err" || die "missing value: $(cat "$OUT/x.err")"
ex 64 match --nonsense
[ "$(wc -l < "$OUT/x.err")" = 1 ] || die "unknown option: more than one line"
ex 64 match --top 0 --out "$OUT/u"
ex 64 frobnicate
ex 64
ex 64 simulate --nonsense
ex 64 check-reference --nonsense
ex 66 match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$OUT/none.tsv" --references "$c/references.tsv" --pedigrees "$c/pedigrees.tsv" --out "$OUT/n"
[ ! -e "$OUT/n" ] || die "a failed run left its --out"
ex 73 match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$c/remains.tsv" --references "$c/references.tsv" --pedigrees "$c/pedigrees.tsv" --out /proc/kinmatch/x
ex 73 match --panel "$c/panel.tsv" --freqs "$c/freqs.tsv" --remains "$c/remains.tsv" --references "$c/references.tsv" --pedigrees "$c/pedigrees.tsv" --out "$M"
"$KM" match --help | grep -q '^  75  --out is in use by another job' || die "match --help: exit codes"
"$KM" --help | grep -q '^  66  \|  66  an input cannot be opened' || die "--help: exit codes"
exit 0
