# explain.tsv against an oracle case's expected_loci.tsv (Familias / pedsuite per-marker
# log10 LR): every explained locus agrees at 1e-6; every marker with an LR other than 1
# is explained.  Usage: awk -F'\t' -f loci.awk expected_loci.tsv explain.tsv
function absd(x) { return x < 0 ? -x : x }
FNR == 1 { next }
NR == FNR { e[$1, $2, $3, $4] = $6; next }
{
	k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $5; got[k] = 1; n++
	if (!(k in e)) { print "no oracle value for " $1 " " $2 " " $3 " " $5; bad = 1; next }
	if (e[k] == "-inf" || $6 == "-inf") { if (e[k] != $6) { print $1 " " $5 ": " $6 " vs oracle " e[k]; bad = 1 } next }
	if (absd($6 - e[k]) > 1e-6) { print $1 " " $2 " " $3 " " $5 ": " $6 " vs oracle " e[k]; bad = 1 }
}
END {
	for (k in e) if (!(k in got) && (e[k] == "-inf" || absd(e[k]) > 1e-9)) { split(k, p, SUBSEP); print "not explained: " p[1] " " p[4] " (" e[k] ")"; bad = 1 }
	if (n == 0) { print "nothing explained"; bad = 1 }
	exit bad
}
