#!/usr/bin/env bash
# `kinmatch check-reference` (issue 5): passes on every shipped reference set with the
# summary pinned in tests/check/*.out and no warnings, and fails on broken copies of the
# shipped files with exit 65 and the exact error line (FILE:LINE:COL: cause).  Softer
# findings are warnings with exit 0.  Line and column numbers of the broken cells are
# computed from the copies, so a rebuild of reference/ does not break the test; only the
# pinned summaries need updating then (tests/check/README.md).
# Env: KM = kinmatch binary, OUT = scratch directory.  Prints nothing when it passes.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REF=$ROOT/reference
FIX=$ROOT/tests/check
mkdir -p "$OUT"; cd "$OUT" || exit 1
nfail=0
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }

# run NAME EXPECTED_RC ARGS...: runs check-reference, keeps NAME.out / NAME.err
run() {
	local name=$1 want=$2; shift 2
	"$KM" check-reference "$@" > "$name.out" 2> "$name.err"
	local rc=$?
	[ "$rc" = "$want" ] || { fail "$name: exit $rc, want $want"; sed 's/^/    /' "$name.err" | head -5; return 1; }
	return 0
}
# expect_err NAME LINE: stderr is exactly that one line
expect_err() {
	local got; got=$(cat "$1.err")
	[ "$got" = "$2" ] || fail "$1: stderr
    got:  $got
    want: $2"
	[ -s "$1.out" ] && fail "$1: printed a summary despite the error"
	return 0
}
# expect_warn NAME TEXT: stderr has a warning line equal to TEXT
expect_warn() {
	grep -qxF -- "$2" "$1.err" || fail "$1: no warning line
    want: $2
    got:  $(cat "$1.err")"
}
# col FILE LINE FIELD: 1-based byte column where tab-separated field FIELD of LINE starts
col() { awk -F'\t' -v l="$2" -v f="$3" 'NR == l { c = 1; for (i = 1; i < f; ++i) c += length($i) + 1; print c; exit }' "$1"; }
# first data line of marker M in a long-form frequency file
mline() { awk -F'\t' -v m="$2" '$1 == m { print NR; exit }' "$1"; }

# ---- every shipped set passes, with the pinned summary and no warnings ---------------------
if run east_asia 0 --panel "$REF/panel_east_asia.tsv" --freqs "$REF/freqs_east_asia.tsv" \
	--y-db "$REF/optional/ydb_ppy23_east_asia.tsv" --mt-db "$REF/mtdna_1kg_eas.tsv"; then
	cmp -s east_asia.out "$FIX/east_asia.out" || fail "east_asia: summary differs: $(diff "$FIX/east_asia.out" east_asia.out)"
	[ -s east_asia.err ] && fail "east_asia: warnings on the shipped set: $(cat east_asia.err)"
fi
if run beijing_han 0 --panel "$REF/panel_beijing_han.tsv" --freqs "$REF/freqs_beijing_han.tsv"; then
	cmp -s beijing_han.out "$FIX/beijing_han.out" || fail "beijing_han: summary differs: $(diff "$FIX/beijing_han.out" beijing_han.out)"
	[ -s beijing_han.err ] && fail "beijing_han: warnings on the shipped set: $(cat beijing_han.err)"
fi
# the panel alone, and the mt-db alone with it, also pass
run panel_only 0 --panel "$REF/panel_east_asia.tsv" && [ -s panel_only.err ] && fail "panel_only: warnings: $(cat panel_only.err)"
run mt_only 0 --panel "$REF/panel_beijing_han.tsv" --mt-db "$REF/mtdna_1kg_eas.tsv"
grep -q '^mtDNA: 273 haplotypes' mt_only.out || fail "mt_only: no mtDNA summary: $(cat mt_only.out)"

# working copies with short names, so messages are stable
cp "$REF/panel_east_asia.tsv" panel.tsv
cp "$REF/freqs_east_asia.tsv" freqs.tsv
cp "$REF/optional/ydb_ppy23_east_asia.tsv" ydb.tsv
cp "$REF/mtdna_1kg_eas.tsv" mt.tsv
P="--panel panel.tsv"

# ---- a frequency changed so the marker's sum is off ------------------------------------------
l=$(mline freqs.tsv D3S1358)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $3 = sprintf("%.6f", $3 + 0.05) } 1' freqs.tsv > f_sum.tsv
sum=$(awk -F'\t' '$1 == "D3S1358" { s += $3 } END { printf "%.6g", s }' f_sum.tsv)
run sum 65 $P --freqs f_sum.tsv &&
	expect_err sum "kinmatch: error: f_sum.tsv:$l:1: allele frequencies of marker 'D3S1358' sum to $sum, not 1 (tolerance 0.01)"

# ---- a frequency row for a marker the panel does not have ------------------------------------
{ cat freqs.tsv; printf 'D99S999\t12\t0.5\tnowhere\n'; } > f_unk.tsv
run unknown 65 $P --freqs f_unk.tsv &&
	expect_err unknown "kinmatch: error: f_unk.tsv:$(wc -l < f_unk.tsv):1: unknown marker 'D99S999' (column 'marker')"

# ---- a panel STR with no frequency rows ----------------------------------------------------------
{ cat panel.tsv; printf 'D99S999\tSTR\t5\t0.001\t\t\t4\tdefault\tnone\n'; } > p_nofreq.tsv
run nofreq 65 --panel p_nofreq.tsv --freqs freqs.tsv &&
	expect_err nofreq "kinmatch: error: p_nofreq.tsv:$(wc -l < p_nofreq.tsv):1: marker 'D99S999' has no allele frequencies in freqs.tsv"

# ---- a mutation rate of 1.5 ----------------------------------------------------------------------
l=$(awk -F'\t' '$1 == "FGA" { print NR; exit }' panel.tsv)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $4 = "1.5" } 1' panel.tsv > p_rate.tsv
run rate 65 --panel p_rate.tsv --freqs freqs.tsv &&
	expect_err rate "kinmatch: error: p_rate.tsv:$l:$(col p_rate.tsv "$l" 4): mutation rate '1.5' outside [0,1) (column 'mutation_rate')"

# ---- an STR allele that is not a repeat number; a SNP allele that is not a base --------------------
l=$(mline freqs.tsv TH01)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $2 = "9x" } 1' freqs.tsv > f_str.tsv
run str_allele 65 $P --freqs f_str.tsv &&
	expect_err str_allele "kinmatch: error: f_str.tsv:$l:$(col f_str.tsv "$l" 2): STR allele '9x' is not a repeat number (column 'allele')"
snp=$(awk -F'\t' '$2 == "SNP" { print $1; exit }' panel.tsv)
l=$(mline freqs.tsv "$snp")
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $2 = "N" } 1' freqs.tsv > f_snp.tsv
run snp_allele 65 $P --freqs f_snp.tsv &&
	expect_err snp_allele "kinmatch: error: f_snp.tsv:$l:$(col f_snp.tsv "$l" 2): SNP allele 'N' is not A, C, G or T (column 'allele')"

# ---- a bad y-db cell --------------------------------------------------------------------------------
l=$(awk '!/^#/ { n++ } n == 2 { print NR; exit }' ydb.tsv)        # first haplotype
c=$(awk -F'\t' '/^#/ { next } { for (i = 1; i <= NF; ++i) if ($i == "DYS19") print i; exit }' ydb.tsv)
awk -F'\t' -v OFS='\t' -v l="$l" -v c="$c" 'NR == l { $c = "14a" } 1' ydb.tsv > y_bad.tsv
run ycell 65 $P --y-db y_bad.tsv &&
	expect_err ycell "kinmatch: error: y_bad.tsv:$l:$(col y_bad.tsv "$l" "$c"): repeat number '14a' is not a number >= 0 (column 'DYS19')"

# ---- a bad mtDNA notation -----------------------------------------------------------------------------
l=$(awk -F'\t' '!/^#/ && $3 ~ /(^| )16223T( |$)/ { print NR; exit }' mt.tsv)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { sub(/16223T/, "16223X", $3) } 1' mt.tsv > m_bad.tsv
c=$(awk -v l="$l" 'NR == l { print index($0, "16223X") + 5; exit }' m_bad.tsv)
run mtnote 65 $P --mt-db m_bad.tsv &&
	expect_err mtnote "kinmatch: error: m_bad.tsv:$l:$c: unknown base 'X' in variant '16223X' (column 'haplotype')"

# ---- warnings: loaded, but probably wrong (exit 0) ------------------------------------------------------
# a third allele at a SNP (frequencies rescaled so the sum still holds)
b=$(awk -F'\t' -v s="$snp" '$1 == s { have = have $2 } END { split("A C G T", x, " "); for (i = 1; i <= 4; ++i) if (index(have, x[i]) == 0) { print x[i]; exit } }' freqs.tsv)
awk -F'\t' -v OFS='\t' -v s="$snp" -v b="$b" '$1 == s { $3 = sprintf("%.6f", $3 * 0.98) } { print } END { printf "%s\t%s\t0.020000\tx\n", s, b }' freqs.tsv > f_tri.tsv
run snp3 0 $P --freqs f_tri.tsv && expect_warn snp3 "kinmatch: warning: f_tri.tsv: SNP '$snp' has 3 alleles, not 2 (the panel's SNPs are biallelic)"
# a Y-STR of the panel that the y-db lacks
c=$(awk -F'\t' '/^#/ { next } { for (i = 1; i <= NF; ++i) if ($i == "DYS643") print i; exit }' ydb.tsv)
cut -f"$c" --complement ydb.tsv > y_less.tsv
l=$(awk -F'\t' '$1 == "DYS643" { print NR; exit }' panel.tsv)
run ymiss 0 $P --y-db y_less.tsv &&
	expect_warn ymiss "kinmatch: warning: panel.tsv:$l:1: Y-STR marker 'DYS643' is not a column of y_less.tsv; it cannot count in haplotype frequencies"
grep -q '^Y-STR: 22 markers, .*; y-db 2,753 haplotypes, 21 of 22 markers$' ymiss.out || fail "ymiss: summary: $(cat ymiss.out)"
# an STR rate of 0; an allele written as a fragment length in bp; a .4 microvariant at a 4-bp repeat
l=$(awk -F'\t' '$1 == "TH01" { print NR; exit }' panel.tsv)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $4 = "0" } 1' panel.tsv > p_zero.tsv
run zero 0 --panel p_zero.tsv && expect_warn zero "kinmatch: warning: p_zero.tsv:$l:1: STR marker 'TH01' has mutation rate 0: any mismatch excludes"
l=$(mline freqs.tsv FGA)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $2 = "212" } 1' freqs.tsv > f_bp.tsv
run bp 0 $P --freqs f_bp.tsv && expect_warn bp "kinmatch: warning: f_bp.tsv: marker 'FGA': allele '212' looks like a fragment length in bp, not a repeat number"
l=$(mline freqs.tsv vWA)
awk -F'\t' -v OFS='\t' -v l="$l" 'NR == l { $2 = "14.4" } 1' freqs.tsv > f_mv.tsv
run mv 0 $P --freqs f_mv.tsv && expect_warn mv "kinmatch: warning: f_mv.tsv: marker 'vWA': allele '14.4' is not a repeat number for a 4-bp repeat (microvariants are .1 to .3)"

# ---- usage ----------------------------------------------------------------------------------------------
run usage 64 --freqs freqs.tsv && expect_err usage "kinmatch: error: --panel is required (see kinmatch check-reference --help)"

[ $nfail = 0 ]
