#!/usr/bin/env bash
# Valid input stays accepted (issue 15 part 2), next to the corrupt inputs refused in
# tests/errors/5*: CRLF line endings and a UTF-8 byte-order mark in every input give the
# same matches.tsv as the plain files; an EMPOP mtDNA range that wraps past 16569
# (16024-576) is read; a 500-member family (five generations, every man and woman of the
# line marrying in a founder) computes in seconds with ten typed references.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
d="$top/tests/oracle/snp_str_avuncular"
mkdir -p "$OUT/crlf"
for f in panel freqs remains references pedigrees; do
	{ printf '\357\273\277'; sed 's/$/\r/' "$d/$f.tsv"; } > "$OUT/crlf/$f.tsv"
done
m() {   # DIR OUT
	"$KM" match --panel "$1/panel.tsv" --freqs "$1/freqs.tsv" --remains "$1/remains.tsv" --references "$1/references.tsv" \
		--pedigrees "$1/pedigrees.tsv" $(cat "$d/args.txt") --all --quiet --out "$2"
}
m "$d" "$OUT/plain"
m "$OUT/crlf" "$OUT/crlf-out"
cmp "$OUT/plain/matches.tsv" "$OUT/crlf-out/matches.tsv"

# EMPOP ranges that wrap past the end of the circular genome (16569 -> 1)
mkdir -p "$OUT/mt" && cd "$OUT/mt"
printf 'sample\trange\thaplotype\nM1\t16024-576\t16223T 73G\nM2\t16024-576\t16519C 263G\nM3\t16024-16569 1-576\t73G\n' > mtdb.tsv
printf 'sample\trange\thaplotype\nR1\t16024-576\t16223T 73G\nFAM1-brother\t16300-400\t16519C\n' > mtdna.tsv
s="$top/tests/oracle/pair_full_sib"
"$KM" match --panel "$s/panel.tsv" --freqs "$s/freqs.tsv" --remains "$s/remains.tsv" --references "$s/references.tsv" \
	--pedigrees "$s/pedigrees.tsv" --mtdna mtdna.tsv --mt-db mtdb.tsv --all --quiet --out out
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; ++i) c[$i] = i; next }
	$1 == "R1" && $(c["log10_lr_mt"]) != "NA" { ok = 1 } END { exit !ok }' out/matches.tsv

# a 500-member family: a founder couple; each person of generations 1-4 marries a founder
# and has children until there are 500 persons; ten references among the last
# generation, one missing person among them
cd "$OUT" && mkdir -p big
awk -v OFS='\t' 'BEGIN {
	print "family", "person", "father", "mother", "sex", "role"
	print "BIG", "p1", 0, 0, 1, "untyped"; print "BIG", "p2", 0, 0, 2, "untyped"
	n = 2; head = 3; q[1] = "p1 p2"; nq = 1; qi = 1; srand(7)
	while (n < 500) {
		split(q[qi++], pr, " ")
		for (k = 0; k < 3 && n < 500; ++k) {
			sex = 1 + int(rand() * 2); c = "p" (++n)
			line[n] = "BIG\t" c "\t" pr[1] "\t" pr[2] "\t" sex; sx[n] = sex; kid[n] = 1
			if (n + 1 < 500) {   # the child marries a founder
				s = "p" (++n); line[n] = "BIG\t" s "\t0\t0\t" (3 - sex); sx[n] = 3 - sex
				q[++nq] = sex == 1 ? c " " s : s " " c
			}
		}
	}
	for (i = 3; i <= n; ++i) {
		role = "untyped"
		if (i > n - 60 && kid[i] && i < n - 1 && nr < 10) { role = "reference"; ++nr; print "p" i > "big/refs.txt" }
		if (i == n - 1) role = "missing"
		print line[i], role
	}
}' > big/pedigrees.tsv
cd big
[ "$(tail -n +2 pedigrees.tsv | wc -l)" = 500 ]
# reference profiles: alleles drawn from the frequency table (any genotypes are
# consistent here: every reference descends from founders of its own)
awk -F'\t' -v OFS='\t' 'NR == FNR { if (FNR > 1) { al[$1, ++na[$1]] = $2; if (na[$1] == 1) mk[++nm] = $1 } next }
	FNR == 1 { print "sample", "marker", "allele1", "allele2" } { srand(FNR); for (i = 1; i <= nm; ++i)
		print $1, mk[i], al[mk[i], 1 + int(rand() * na[mk[i]])], al[mk[i], 1 + int(rand() * na[mk[i]])] }' "$d/freqs.tsv" refs.txt > references.tsv
start=$(date +%s)
timeout 120 "$KM" match --panel "$d/panel.tsv" --freqs "$d/freqs.tsv" --remains "$d/remains.tsv" --references references.tsv \
	--pedigrees pedigrees.tsv --all --quiet --out out
echo "500-member family: $(( $(date +%s) - start )) s" >&2
[ "$(awk -F'\t' 'NR > 1 && $2 == "BIG"' out/matches.tsv | wc -l)" -ge 1 ]
! grep -q nan out/matches.tsv
