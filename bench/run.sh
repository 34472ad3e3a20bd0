#!/usr/bin/env bash
# make bench SIZE=S|M|L: generate the data once (cached in bench/data/SIZE), run
# `kinmatch match --top 10 --bench` on the full synthetic memorial panel and print one line:
# phase wall times, scan pairs/s, locus evaluations/s, the reference kernel's pairs/s in the
# same run and the ratio of the two, peak RSS, threads.
#   bash bench/run.sh SIZE [--threads N] [--record] [--check]
#     --record  append the line with the commit to bench/RESULTS.md
#     --check   (CI) fail when the scan runs below 25% of the kernel, or when the top-10
#               output differs from the --all output cut at rank 10
#     --scaling also run with 1 thread and print the speed-up of scan and of the whole
#               compile+scan loop from 1 to 2 threads (target >= 1.8)
#     --typing-error E  also run with --typing-error E (issue 12 part 1) right after and
#               print the compile-time ratio of the two runs (target <= 1.5)
#     --dvi     also run the same job without --bench, once without and once with --dvi
#               (identification and the remains among themselves), and print the wall
#               times, their ratio (issue 11: --dvi adds at most 20% at L) and the
#               identification's and remain pairs' own seconds from the run's summary
#     --independent  also time bench/kernel.c, a pure table-scan kernel that shares no
#               code with kinmatch, on tables of the same shape (remains x candidates x
#               the loci's column counts), and print kinmatch's scan rate over it
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-S}; shift || true
threads=2; record=0; check=0; scaling=0; indep=0; terr=; dvi=0
while [ $# -gt 0 ]; do
	case "$1" in
		--threads) threads=$2; shift 2 ;;
		--record) record=1; shift ;;
		--check) check=1; shift ;;
		--scaling) scaling=1; shift ;;
		--independent) indep=1; shift ;;
		--typing-error) terr=$2; shift 2 ;;
		--dvi) dvi=1; shift ;;
		*) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case "$size" in
	S) remains=500; families=5000 ;;
	M) remains=2000; families=20000 ;;
	L) remains=10000; families=100000 ;;
	T) remains=100; families=500 ;;     # tiny, for the test suite
	*) echo "bench/run.sh: SIZE is S, M or L" >&2; exit 2 ;;
esac
KM="$top/kinmatch"
data="$top/bench/data/$size"
if [ ! -f "$data/.done" ]; then
	rm -rf "$data"; mkdir -p "$data"
	bash "$top/bench/make-panel.sh" "$data/panel"
	# the simulator finds remains for about 0.927 x --remain-frac x families (measured);
	# 10% of the remains are unrelated
	frac=$(awk -v r=$remains -v f=$families 'BEGIN { printf "%.6f", r * 0.9 / (f * 0.927) }')
	"$KM" simulate --panel "$data/panel/panel.tsv" --freqs "$data/panel/freqs.tsv" --y-db "$data/panel/ydb.tsv" \
		--mt-db "$data/panel/mtdb.tsv" --families $families --remain-frac "$frac" --seed 2026 --gz --quiet \
		--threads "$threads" --out "$data"
	touch "$data/.done"
fi
args=(--panel "$data/panel/panel.tsv" --freqs "$data/panel/freqs.tsv" --remains "$data/remains.tsv.gz"
	--references "$data/references.tsv.gz" --pedigrees "$data/pedigrees.tsv.gz" --remain-info "$data/remain-info.tsv.gz"
	--y-db "$data/panel/ydb.tsv" --mtdna "$data/mtdna.tsv.gz" --mt-db "$data/panel/mtdb.tsv" --quiet)
line=$("$KM" match "${args[@]}" --top 10 --threads "$threads" --bench --out "$data/top10")
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "size=$size commit=$commit $line"
if [ -n "$terr" ]; then   # typing error: the same job with --typing-error, compile times compared
	eline=$("$KM" match "${args[@]}" --top 10 --threads "$threads" --bench --typing-error "$terr" --out "$data/top10.e")
	echo "size=$size commit=$commit typing_error=$terr $eline"
	ev() { echo "$1" | sed "s/.* $2=\([0-9.e+-]*\).*/\1/"; }
	# the `inconsistent` column (incon_s, after the scan) exists only with E > 0: it counts
	awk -v c0="$(ev "$line" compile_s)" -v c1="$(ev "$eline" compile_s)" -v i1="$(ev "$eline" incon_s)" -v e="$terr" \
		'BEGIN { printf "typing error %s: compile %.3f s + inconsistent column %.3f s against %.3f s at E = 0: %.2fx (compile alone %.2fx; target <= 1.5)\n", e, c1, i1, c0, (c1 + i1) / c0, c1 / c0 }'
	if [ $record = 1 ]; then echo "| $(date -u +%Y-%m-%d) | $commit | $size E=$terr | $eline |" >> "$top/bench/RESULTS.md"; fi
fi
if [ $dvi = 1 ]; then   # identification (issue 11): the same job with --dvi, wall to wall
	noq=("${args[@]}"); unset 'noq[${#noq[@]}-1]'   # without --quiet: the summary has the phases' seconds
	t0=$(date +%s.%N)
	"$KM" match "${args[@]}" --top 10 --threads "$threads" --out "$data/nodvi"
	t1=$(date +%s.%N)
	"$KM" match "${noq[@]}" --top 10 --threads "$threads" --dvi --out "$data/dvi" 2> "$data/dvi.err"
	t2=$(date +%s.%N)
	cut -f1-11 "$data/dvi/matches.tsv" | cmp - <(cut -f1-11 "$data/nodvi/matches.tsv") || { echo "bench: --dvi changed matches.tsv" >&2; exit 1; }
	ident=$(sed -n 's/.*no match (.* steps, \([0-9.]*\) s).*/\1/p' "$data/dvi.err")
	rpair=$(sed -n 's/.*each as the 3, in \([0-9.]*\) s.*/\1/p' "$data/dvi.err")
	dline=$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v i="$ident" -v r="$rpair" -v th="$threads" \
		'BEGIN { printf "dvi: threads=%d wall_s=%.2f nodvi_wall_s=%.2f ratio=%.3f identify_s=%s of_which_remain_pairs_s=%s", th, c - b, b - a, (c - b) / (b - a), i, r }')
	echo "size=$size commit=$commit $dline (target ratio <= 1.2 at L)"
	if [ $record = 1 ]; then echo "| $(date -u +%Y-%m-%d) | $commit | $size --dvi | $dline |" >> "$top/bench/RESULTS.md"; fi
fi
if [ $scaling = 1 ]; then
	one=$("$KM" match "${args[@]}" --top 10 --threads 1 --bench --out "$data/top10.t1")
	cmp "$data/top10/matches.tsv" "$data/top10.t1/matches.tsv" || { echo "bench: 1 and $threads threads differ" >&2; exit 1; }
	val() { echo "$1" | sed "s/.* $2=\([0-9.e+-]*\).*/\1/"; }
	awk -v p1="$(val "$one" pairs_per_s)" -v p2="$(val "$line" pairs_per_s)" \
		-v c1="$(val "$one" compile_s)" -v s1="$(val "$one" scan_s)" -v c2="$(val "$line" compile_s)" -v s2="$(val "$line" scan_s)" \
		-v th="$threads" 'BEGIN { printf "scaling 1 -> %d threads: scan %.2fx, compile+scan %.2fx\n", th, p2 / p1, (c1 + s1) / (c2 + s2) }'
fi
if [ $indep = 1 ]; then
	# the loci as kinmatch scans them: each autosomal/X marker with its distinct remain
	# genotypes (+ column 0) and its dropout twins (distinct homozygote x bin of
	# w = d/(1+d) in 8 bins, for remains with d > 0), the Y-STRs as one locus of distinct
	# haplotypes, mtDNA one locus of the remains' distinct (range, haplotype) rows
	cc -O3 -march=native -fopenmp -o "$data/kernel" "$top/bench/kernel.c"
	{ zcat -f "$data/remain-info.tsv.gz" | awk -F'\t' 'NR > 1 { print "D\t" $1 "\t" $2 }'
	  zcat -f "$data/mtdna.tsv.gz" | awk -F'\t' 'NR > 1 && $1 !~ /-R[0-9]+$/ { print "T\t" $1 "\t" $2 "|" $3 }'
	  zcat -f "$data/remains.tsv.gz" | awk -F'\t' 'NR > 1 { print "G\t" $0 }'
	} | awk -F'\t' -v panel="$data/panel/panel.tsv" '
		BEGIN { while ((getline l < panel) > 0) { if (l ~ /^#/) continue; split(l, f, "\t"); type[f[1]] = f[2] } }
		$1 == "D" { d[$2] = $3; next }
		$1 == "T" { mt[$3] = 1; next }
		{ s = $2; m = $3; a = $4; b = $5
		  if (type[m] == "Y-STR") { yh[s] = yh[s] "|" a "/" b; next }
		  g = (a < b) ? a "/" b : b "/" a
		  if (!((m, g) in seen)) { seen[m, g] = 1; n[m]++ }
		  if (a == b && (s in d) && d[s] > 0) {
			w = d[s] / (1 + d[s]); bin = int(w * 16 + 0.999999) - 1; if (bin < 0) bin = 0; if (bin > 7) bin = 7
			if (!((m, a, bin) in tw)) { tw[m, a, bin] = 1; n[m]++ }
		  } }
		END {
			for (m in n) print n[m] + 1
			for (r in yh) if (!(yh[r] in y)) { y[yh[r]] = 1; ny++ }
			print ny + 1
			nt = 0; for (h in mt) nt++; print nt + 1
		}' > "$data/kernel.cols"
	val() { echo "$1" | sed "s/.* $2=\([0-9.e+-]*\).*/\1/"; }
	kl=$("$data/kernel" "$(val "$line" remains)" "$(val "$line" candidates)" "$data/kernel.cols" "$threads")
	echo "independent $kl"
	awk -v a="$(val "$line" pairs_per_s)" -v b="$(echo "$kl" | sed 's/.*kernel_pairs_per_s=\([0-9.e+-]*\).*/\1/')" \
		'BEGIN { printf "kinmatch scan over the independent kernel: %.3f\n", a / b }'
fi
if [ $record = 1 ]; then
	echo "| $(date -u +%Y-%m-%d) | $commit | $size | $line |" >> "$top/bench/RESULTS.md"
fi
if [ $check = 1 ]; then
	# the line's own arithmetic: total_s is the sum of the job's phases (the kernel's
	# wall share, kernel_s, is outside it and positive), and every field is there
	chk() { echo "$line" | sed "s/.* $1=\([0-9.e+-]*\).*/\1/"; }
	awk -v l="$(chk load_s)" -v c="$(chk compile_s)" -v s="$(chk scan_s)" -v r="$(chk rank_s)" -v w="$(chk write_s)" \
		-v t="$(chk total_s)" -v k="$(chk kernel_s)" 'BEGIN { d = l + c + s + r + w - t; exit !(d < 0.005 && d > -0.005 && k > 0 && t > 0) }' ||
		{ echo "bench: total_s is not load + compile + scan + rank + write, or kernel_s is missing: $line" >&2; exit 1; }
	ratio=$(echo "$line" | sed 's/.*scan_over_kernel=\([0-9.]*\).*/\1/')
	awk -v r="$ratio" 'BEGIN { exit !(r >= 0.25) }' || { echo "bench: scan at $ratio of the reference kernel (< 0.25)" >&2; exit 1; }
	"$KM" match "${args[@]}" --all --threads "$threads" --out "$data/all"
	awk -F'\t' 'NR == 1 || $4 <= 10' "$data/all/matches.tsv" | cmp - "$data/top10/matches.tsv" ||
		{ echo "bench: top-10 output differs from --all cut at rank 10" >&2; exit 1; }
fi
