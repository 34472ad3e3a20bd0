#!/usr/bin/env bash
# The whole test suite: unit tests, oracle cases (at several thread counts), goldens,
# input-format equivalence and one case per contract error.  Ends with "N passed, N failed".
#   bash tests/run.sh            run everything
#   bash tests/run.sh --redo     rewrite the goldens' expected output from this build (a changed
#                                file's previous version is kept as expected.tsv.old)
set -u
cd "$(dirname "$0")/.."
KM=${KM:-$PWD/kinmatch}
OUT=$PWD/tests/out
REDO=0; [ "${1:-}" = "--redo" ] && REDO=1
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0; fail=0
ok()  { pass=$((pass + 1)); [ -n "${VERBOSE:-}" ] && echo "ok   $1"; return 0; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | head -20; return 0; }

# ---- unit tests ------------------------------------------------------------------------
for t in tests/unit/test_*; do
	case "$t" in *.c|*.d) continue ;; esac
	[ -x "$t" ] || continue
	if "$t" > "$OUT/$(basename "$t").log" 2>&1; then ok "$t"; else bad "$t" "$OUT/$(basename "$t").log"; fi
done

# ---- oracle cases: Familias / pedsuite numbers to 1e-6, identical at 1, 2, 4 threads -------
for d in tests/oracle/*/; do
	name=$(basename "$d"); o="$OUT/oracle/$name"; mkdir -p "$o"
	[ -f "$d/expected.tsv" ] || continue
	okc=1
	for th in 1 2 4; do
		( cd "$d" && "$KM" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv \
			--references references.tsv --pedigrees pedigrees.tsv $(cat args.txt) \
			--threads $th --quiet --out "$o/t$th" ) > "$o.log" 2>&1 || { okc=0; break; }
	done
	if [ $okc = 1 ] && awk -v tol=1e-6 -f tests/cmp_expected.awk "$d/expected.tsv" "$o/t1/matches.tsv" > "$o.cmp" 2>&1 \
		&& cmp -s "$o/t1/matches.tsv" "$o/t2/matches.tsv" && cmp -s "$o/t1/matches.tsv" "$o/t4/matches.tsv"; then
		ok "oracle $name"
	else
		[ -s "$o.cmp" ] && cat "$o.cmp" >> "$o.log"
		bad "oracle $name" "$o.log"
	fi
done

# ---- goldens: tests/golden/NAME/{args, inputs, expected.tsv} ------------------------------------
for d in tests/golden/*/; do
	[ -f "$d/args" ] || continue
	name=$(basename "$d"); o="$OUT/golden/$name"; mkdir -p "$o"
	( cd "$d" && eval "\"$KM\" $(cat args) --quiet --out \"$o\"" ) > "$o/log" 2>&1
	rc=$?
	if [ $REDO = 1 ] && [ $rc = 0 ]; then   # the file replaced is kept as expected.tsv.old
		[ -f "$d/expected.tsv" ] && ! cmp -s "$o/matches.tsv" "$d/expected.tsv" && cp "$d/expected.tsv" "$d/expected.tsv.old"
		cp "$o/matches.tsv" "$d/expected.tsv"
	fi
	if [ $rc = 0 ] && cmp -s "$o/matches.tsv" "$d/expected.tsv"; then ok "golden $name"
	else
		[ -f "$o/matches.tsv" ] && cp "$o/matches.tsv" "$d/expected.tsv.new"
		diff "$d/expected.tsv" "$o/matches.tsv" >> "$o/log" 2>&1
		bad "golden $name" "$o/log"
	fi
done

# ---- shell-level checks (tests/cases/*.sh): each prints nothing and exits 0 when it passes ----
for t in tests/cases/*.sh; do
	[ -f "$t" ] || continue
	if KM="$KM" OUT="$OUT/cases/$(basename "$t" .sh)" bash "$t" > "$OUT/$(basename "$t").log" 2>&1; then ok "$t"
	else bad "$t" "$OUT/$(basename "$t").log"; fi
done

# ---- errors: exact message, non-zero exit, no output left behind ----------------------------
for d in tests/errors/*/; do
	[ -f "$d/expected.err" ] || continue
	name=$(basename "$d"); o="$OUT/errors/$name"; mkdir -p "$o/prev"
	echo "earlier run" > "$o/prev/matches.tsv"
	args=""; [ -f "$d/args" ] && args=$(cat "$d/args")
	( cd "$d" && eval "\"$KM\" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv $args --threads 2 --out \"$o/new\"" ) > "$o/stdout" 2> "$o/stderr"
	rc=$?
	# the exit code: expected.rc if there is one, else 65 (malformed data; README, exit codes)
	want=65; [ -f "$d/expected.rc" ] && want=$(cat "$d/expected.rc")
	# no file of any name in the new --out (the output layer also removes the directory it made)
	if [ $rc = "$want" ] && cmp -s "$o/stderr" "$d/expected.err" && [ -z "$(ls -A "$o/new" 2> /dev/null)" ]; then
		ok "error $name"
	else
		{ echo "exit $rc, want $want"; echo "--- expected"; cat "$d/expected.err"; echo "--- got"; cat "$o/stderr"; } > "$o/log"
		bad "error $name" "$o/log"
	fi
	# the same error with the output directory holding an earlier result: left as it was
	( cd "$d" && eval "\"$KM\" match --panel panel.tsv --freqs freqs.tsv --remains remains.tsv --references references.tsv --pedigrees pedigrees.tsv $args --out \"$o/prev\"" ) > /dev/null 2>&1
	if [ "$(cat "$o/prev/matches.tsv")" = "earlier run" ] && [ "$(ls -A "$o/prev")" = matches.tsv ]; then ok "error $name keeps earlier output"
	else bad "error $name keeps earlier output"; fi
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
