# Compares kinmatch's matches.tsv with an oracle expected.tsv (remain family missing
# log10_lr log10_lr_str log10_lr_snp log10_lr_x log10_lr_y log10_lr_mt) to a tolerance
# in log10; -inf and NA must match exactly.  A system that is typed but structurally
# uninformative may be 0 in one and NA in the other (oracle README).
# usage: awk -v tol=1e-6 -f cmp_expected.awk expected.tsv matches.tsv
function isnum(x) { return x ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function same(a, b) {
	if (a == b) return 1
	if (isnum(a) && isnum(b)) { d = a - b; if (d < 0) d = -d; return d <= tol }
	if ((a == "NA" && isnum(b) && b + 0 == 0) || (b == "NA" && isnum(a) && a + 0 == 0)) return 1
	return 0
}
BEGIN { FS = "\t"; bad = 0 }
FNR == 1 { for (i = 1; i <= NF; ++i) col[FILENAME, $i] = i; next }
FILENAME == ARGV[1] {
	k = $1 SUBSEP $2 SUBSEP $3; want[k] = $0; n_want++; next
}
{
	k = $(col[FILENAME, "remain"]) SUBSEP $(col[FILENAME, "family"]) SUBSEP $(col[FILENAME, "missing"])
	if (!(k in want)) { print "unexpected row: " $1 " " $2 " " $3; bad++; next }
	split(want[k], w, "\t"); seen[k] = 1
	n = split("log10_lr log10_lr_str log10_lr_snp log10_lr_x log10_lr_y log10_lr_mt", names, " ")
	for (i = 1; i <= n; ++i) {
		got = $(col[FILENAME, names[i]]); ex = w[col[ARGV[1], names[i]]]
		if (!same(ex, got)) { print $1 " " $2 " " $3 " " names[i] ": expected " ex ", got " got; bad++ }
	}
}
END {
	for (k in want) if (!(k in seen)) { split(k, p, SUBSEP); print "missing row: " p[1] " " p[2] " " p[3]; bad++ }
	exit bad > 0
}
