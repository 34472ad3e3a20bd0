#!/usr/bin/env bash
# The sanitizer stage of CI (issue 15 part 5): the tracked sources are copied to a scratch
# directory, built with AddressSanitizer + UndefinedBehaviorSanitizer (make asan=1
# ubsan=1; leaks are reported too), and the unit tests, the oracle cases (at 1 and 2
# threads, against their expected numbers) and the error cases (exact message, non-zero
# exit, no output) run there.  Any sanitizer report fails the stage.  Prints one line per
# failure and a closing "sanitize: N passed, N failed"; exits non-zero on any failure.
#   bash tests/sanitize.sh [SCRATCH_DIR]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${TMPDIR:-/tmp}/kinmatch-sanitize}
rm -rf "$dir" && mkdir -p "$dir" || exit 1
( cd "$top" && git ls-files -z | tar --null -T - -cf - ) | tar -xf - -C "$dir" || exit 1
cd "$dir"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
start=$(date +%s)
if ! make -j2 asan=1 ubsan=1 kinmatch unit > build.log 2>&1; then
	tail -30 build.log; echo "sanitize: the ASan+UBSan build failed"; exit 1
fi
KM=$dir/kinmatch
OUT=$dir/out
mkdir -p "$OUT"
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL (sanitize) $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | head -30; }
for t in tests/unit/test_*; do
	case "$t" in *.c|*.d|*.h) continue ;; esac
	[ -x "$t" ] || continue
	if "$t" > "$OUT/$(basename "$t").log" 2>&1; then ok; else bad "$t" "$OUT/$(basename "$t").log"; fi
done
for d in tests/oracle/*/; do
	name=$(basename "$d"); o="$OUT/oracle/$name"; mkdir -p "$o"
	[ -f "$d/expected.tsv" ] || continue
	good=1
	for th in 1 2; do
		( cd "$d" && "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv \
			--pedigrees pedigrees.tsv $(cat args.txt) --threads $th --quiet --out "$o/t$th" ) > "$o.log" 2>&1 || { good=0; break; }
	done
	if [ $good = 1 ] && awk -v tol=1e-6 -f tests/cmp_expected.awk "$d/expected.tsv" "$o/t1/matches.tsv" >> "$o.log" 2>&1 &&
		cmp -s "$o/t1/matches.tsv" "$o/t2/matches.tsv"; then ok; else bad "oracle $name" "$o.log"; fi
done
for d in tests/errors/*/; do
	[ -f "$d/expected.err" ] || continue
	name=$(basename "$d"); o="$OUT/errors/$name"; mkdir -p "$o"
	args=""; [ -f "$d/args" ] && args=$(cat "$d/args")
	( cd "$d" && eval "\"$KM\" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv $args --threads 2 --out \"$o/new\"" ) > /dev/null 2> "$o/stderr"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 86 ] && cmp -s "$o/stderr" "$d/expected.err" && [ ! -e "$o/new/matches.tsv" ]; then ok
	else { echo "exit $rc"; echo "--- expected"; cat "$d/expected.err"; echo "--- got"; cat "$o/stderr"; } > "$o/log"; bad "error $name" "$o/log"; fi
done
echo "sanitize: $pass passed, $fail failed ($(( $(date +%s) - start )) s)"
[ $fail = 0 ]
