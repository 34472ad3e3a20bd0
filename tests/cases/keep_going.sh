#!/usr/bin/env bash
# --keep-going (issue 15 part 4): a family the engine refuses (here: FAMC's theta
# enumeration beyond its limit) stops the job with a message naming the family and its
# pedigree line (exit 65, nothing written); with --keep-going the family is left out and
# named in warnings.tsv, the manifest and the summary, the job exits 3, and the other
# families' rows are byte-identical to a run whose pedigrees lack FAMC (1 and 2 threads).
# Also: reference ids longer than 63 characters are printed whole in y_ref.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
c=$here/tests/oracle/multi_family_ranking
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT" || exit 1
die() { echo "$*"; exit 1; }
# two many-allele markers: FAMC (3 untyped founders) needs > 2e6 theta combinations at once
keep="D21S11 SE33"
for f in panel freqs remains references; do
	awk -F'\t' -v k="$keep" 'BEGIN { n = split(k, a, " "); for (i = 1; i <= n; ++i) m[a[i]] = 1 }
		NR == 1 || /^#/ || ($1 in m) || ($2 in m)' "$c/$f.tsv" > $f.tsv
done
cp "$c/pedigrees.tsv" pedigrees.tsv
grep -v '^FAMC' pedigrees.tsv > ped_noC.tsv
line=$(awk -F'\t' '$1 == "FAMC" { print NR; exit }' pedigrees.tsv)
m() { "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --theta 0.01 --min-loci 1 "$@"; }

# without --keep-going: stop, name the family and its line, exit 65, no output
m --pedigrees pedigrees.tsv --out stop 2> stop.err; rc=$?
[ $rc = 65 ] || die "no --keep-going: exit $rc"
[ "$(wc -l < stop.err)" = 1 ] || die "more than one line: $(cat stop.err)"
grep -q "^kinmatch: error: pedigrees.tsv:$line: family 'FAMC' cannot be computed: .*theta.*(--keep-going leaves such a family out and finishes the others)\$" stop.err \
	|| grep -q "^kinmatch: error: pedigrees.tsv:$line: family 'FAMC' cannot be computed: .*enumerate exactly.*(--keep-going" stop.err || die "message: $(cat stop.err)"
[ ! -e stop ] || die "output left behind"

# with --keep-going: FAMC left out and named; exit 3; the rest as if FAMC were not there
m --pedigrees ped_noC.tsv --threads 1 --quiet --out ref || die "run without FAMC"
for th in 1 2; do
	m --pedigrees pedigrees.tsv --keep-going --threads $th --out kg$th 2> kg$th.err; rc=$?
	[ $rc = 3 ] || die "--keep-going: exit $rc ($(cat kg$th.err))"
	cmp -s kg$th/matches.tsv ref/matches.tsv || die "threads $th: rows differ from a run without FAMC"
	[ "$(awk -F'\t' '$1 == "family_omitted" { print $2 }' kg$th/warnings.tsv)" = FAMC ] || die "warnings.tsv: $(cat kg$th/warnings.tsv)"
	grep -q "^family_omitted	FAMC	pedigrees.tsv:$line: family 'FAMC' left out (--keep-going): " kg$th/warnings.tsv || die "warnings.tsv message"
	grep -q "kinmatch: 1 families left out (--keep-going; named above and in kg$th/warnings.tsv): exit 3" kg$th.err || die "summary: $(cat kg$th.err)"
	grep -q "^kinmatch: warning: pedigrees.tsv:$line: family 'FAMC' left out" kg$th.err || die "stderr warning"
	jq -e '.counts.families_omitted == 1 and .options["keep-going"] == true' kg$th/manifest.json > /dev/null || die "manifest"
done
# --keep-going on a night without refusals: exit 0
m --pedigrees ped_noC.tsv --keep-going --quiet --out ok || die "--keep-going without refusals: exit $?"

# reference ids are never cut: a 100-character Y reference id in y_ref
d=$here/tests/lineage/rank
long=FB-G-$(printf 'x%.0s' $(seq 1 95))
sed "s/FB-G\b/$long/g" "$d/pedigrees.tsv" > lped.tsv
sed "s/^FB-G\t/$long\t/" "$d/references.tsv" > lrefs.tsv
"$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references lrefs.tsv \
	--pedigrees lped.tsv --y-db "$d/ydb.tsv" --all --quiet --out long || die "long ids: run"
[ "$(awk -F'\t' '$2 == "FB" { print $12 }' long/matches.tsv)" = "$long" ] || die "y_ref cut: $(awk -F'\t' '$2 == "FB" { print $12 }' long/matches.tsv)"
exit 0
