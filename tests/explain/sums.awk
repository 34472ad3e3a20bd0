# explain.tsv against matches.tsv: per (remain, family, missing) and system, the rows add
# up to the system's column (1e-6; -inf when a row is -inf, and then that row is named),
# a system NA in matches has no rows, and the rows number `loci`.
# Usage: awk -F'\t' -f sums.awk matches.tsv explain.tsv
BEGIN { split("str snp x y mt", S, " "); col["str"] = 6; col["snp"] = 7; col["x"] = 8; col["y"] = 9; col["mt"] = 10 }
FNR == 1 { next }
NR == FNR {
	k = $1 SUBSEP $2 SUBSEP $3
	for (s in col) want[k, s] = $(col[s])
	loci[k] = $11; inm[k] = 1
	next
}
{
	k = $1 SUBSEP $2 SUBSEP $3
	if (!(k in inm)) { print "explain row of a pair not in matches.tsv: " $1 " " $2 " " $3; bad = 1; next }
	seen[k] = 1; n[k]++
	if ($6 == "-inf") ninf[k, $4]++
	else sum[k, $4] += $6
	has[k, $4] = 1
	if ($5 == "" || $5 == "NA") { print "row without a marker: " $0; bad = 1 }
}
END {
	for (k in seen) {
		split(k, p, SUBSEP)
		if (n[k] != loci[k]) { print p[1] " " p[2] " " p[3] ": " n[k] " rows, loci " loci[k]; bad = 1 }
		for (i = 1; i <= 5; i++) {
			s = S[i]; w = want[k, s]
			if (w == "NA") { if (has[k, s]) { print p[1] " " p[2] " " p[3] " " s ": rows for an NA system"; bad = 1 } continue }
			if (w == "-inf") { if (!ninf[k, s]) { print p[1] " " p[2] " " p[3] " " s ": -inf with no -inf row"; bad = 1 } continue }
			if (ninf[k, s]) { print p[1] " " p[2] " " p[3] " " s ": a -inf row but " w; bad = 1; continue }
			d = sum[k, s] - w; if (d < 0) d = -d
			if (d > 1e-6 + 1e-6 * n[k]) { print p[1] " " p[2] " " p[3] " " s ": rows sum " sum[k, s] ", matches " w; bad = 1 }
		}
		npair++
	}
	if (npair == 0) { print "no pair explained"; bad = 1 }
	exit bad
}
