#!/usr/bin/env bash
# The sanitizer stage of CI (issue 15 part 5): the tracked sources are copied to a scratch
# directory, built with AddressSanitizer + UndefinedBehaviorSanitizer (make asan=1
# ubsan=1; leaks are reported too), and the whole test suite runs there (tests/run.sh:
# unit, oracle, goldens, cases, errors — `make check asan=1 ubsan=1`, issue 10).  Any
# sanitizer report fails its test.  Prints the failures and a closing "sanitize: N passed,
# N failed"; exits non-zero on any failure.
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
# the whole suite (tests/run.sh, what `make check` runs) on the sanitized binary and unit
# tests: any sanitizer report fails its test (exit 86, or the report on stderr)
KM=$dir/kinmatch bash tests/run.sh > "$dir/check.log" 2>&1
rc=$?
grep -E '^FAIL' -A12 "$dir/check.log" | head -80
last=$(tail -1 "$dir/check.log")
echo "sanitize: ${last:-no result} ($(( $(date +%s) - start )) s)"
[ $rc = 0 ] && case "$last" in *" 0 failed") true ;; *) false ;; esac
