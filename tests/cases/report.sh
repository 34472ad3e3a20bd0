#!/usr/bin/env bash
# kinmatch report (issue 13), in a real browser: Debian's chromium, headless.
# On a small simulated night (dropout, X, Y, mtDNA; --explain-top 3 --dvi):
#  - the files: index.html, a page per remain with a candidate, report.css, report.js;
#    no http(s):// anywhere, every src=/href= relative and inside DIR/report;
#  - chromium renders index.html (a screenshot), its DOM lists every remain of
#    matches.tsv, the script ran (the filter box) and no console message was logged;
#    without its script the same table is there;
#  - a detail page: its pedigree SVG holds exactly the persons of the family in
#    families.tsv, with the candidate marked and the references shaded, and a per-locus
#    row for every row of explain.tsv;
#  - no request left the directory: host lookups fail (--host-resolver-rules), and the
#    net log shows no URL but the browser's own background services (the same set an
#    empty page shows).
#  - the counts by conclusion are those of identifications.tsv.
# Screenshots stay in $OUT (look at them: tests/README or the issue).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
command -v chromium > /dev/null || { echo "chromium is not installed (sh tools/install-deps installs it)"; exit 1; }
ref="$top/reference"
"$KM" simulate --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --y-db "$ref/optional/ydb_ppy23_east_asia.tsv" \
	--mt-db "$ref/mtdna_1kg_eas.tsv" --families 40 --remain-frac 0.5 --seed 11 --out "$OUT/sim" > /dev/null 2>&1
run="$OUT/run"
"$KM" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" --remains "$OUT/sim/remains.tsv" \
	--references "$OUT/sim/references.tsv" --pedigrees "$OUT/sim/pedigrees.tsv" --remain-info "$OUT/sim/remain-info.tsv" \
	--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$OUT/sim/mtdna.tsv" --mt-db "$ref/mtdna_1kg_eas.tsv" \
	--explain-top 3 --min-loci 0 --dvi --quiet --out "$run"
"$KM" report --run "$run" 2> "$OUT/report.err"
grep -q "open $run/report/index.html" "$OUT/report.err" || { echo "report does not say where to open it:"; cat "$OUT/report.err"; exit 1; }
R="$run/report"
for f in index.html report.css report.js; do [ -s "$R/$f" ] || { echo "no $f"; exit 1; }; done
# a page per remain that is not `no match`
nrem=$(awk -F'\t' 'NR > 1 && $4 != "no match"' "$run/identifications.tsv" | wc -l)
[ "$nrem" -gt 0 ] && [ "$(ls "$R/r" | wc -l)" = "$nrem" ] || { echo "$(ls "$R/r" | wc -l) detail pages for $nrem identified remains"; exit 1; }

# ---- self-contained: nothing from outside DIR/report ------------------------------------
if grep -rIl -i -E 'https?://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(|@import' "$R" > "$OUT/ext.txt"; then echo "external references in:"; cat "$OUT/ext.txt"; exit 1; fi
grep -rhoE '(src|href)="[^"]*"' "$R" | sed -E 's/^(src|href)="//; s/"$//' | sort -u > "$OUT/links.txt"
while read -r l; do
	case "$l" in
	'#'*) continue ;;
	/*|*:*) echo "absolute link: $l"; exit 1 ;;
	esac
	# resolve against index.html (top) or a detail page (r/): must stay inside and exist
	if [ -e "$R/$l" ] || [ -e "$R/r/$l" ]; then :; else echo "link to a missing file: $l"; exit 1; fi
	case "$(cd "$R/r" && realpath -m "$l")" in "$(realpath "$R")"*) ;; *) echo "link leaves the report: $l"; exit 1 ;; esac
done < "$OUT/links.txt"

# ---- the browser ----------------------------------------------------------------------------
chrome() {   # chrome NAME URL [flags]: dump-dom into NAME.html, stderr into NAME.log, net log NAME.net
	local name=$1 url=$2; shift 2
	local u; u=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$u" --enable-logging=stderr --v=0 \
		--host-resolver-rules="MAP * ~NOTFOUND" --log-net-log="$OUT/$name.net" "$@" "$url" > "$OUT/$name.html" 2> "$OUT/$name.log" || true
	rm -rf "$u"
}
chrome index "file://$R/index.html" --dump-dom
# JS off: headless chromium's --dump-dom needs scripting itself, so a copy of the report
# whose report.js is empty stands for a browser with JavaScript off
rm -rf "$OUT/nojs-report"; cp -r "$R" "$OUT/nojs-report"; : > "$OUT/nojs-report/report.js"
chrome nojs "file://$OUT/nojs-report/index.html" --dump-dom
chrome shot "file://$R/index.html" --window-size=1280,1600 --screenshot="$OUT/index.png"
page=$(ls "$R/r" | head -1)
chrome detail "file://$R/r/$page" --dump-dom
chrome dshot "file://$R/r/$page" --window-size=1280,2000 --screenshot="$OUT/detail.png"
chrome blank "about:blank" --dump-dom
for f in index.png detail.png; do
	[ "$(stat -c %s "$OUT/$f" 2> /dev/null || echo 0)" -gt 20000 ] || { echo "no screenshot $f:"; tail -5 "$OUT/shot.log"; exit 1; }
done
for n in index nojs detail; do
	if grep -E "CONSOLE|Uncaught" "$OUT/$n.log"; then echo "console messages on $n"; exit 1; fi
done
# every remain of matches.tsv listed, with JS on and off; the script ran
for n in index nojs; do
	{ tail -n +2 "$run/matches.tsv"; tail -n +2 "$run/identifications.tsv"; } | cut -f1 | sort -u > "$OUT/want.txt"
	awk '/<table id="rt"/ { on = 1 } on { print } on && /<\/table>/ { exit }' "$OUT/$n.html" \
		| grep -oE '<tr><td>(<a href="r/[^"]*">)?[^<]*' | sed -E 's/.*>//' | sort -u > "$OUT/got.txt"
	cmp -s "$OUT/want.txt" "$OUT/got.txt" || { echo "$n: the remains table differs from matches.tsv and identifications.tsv"; diff "$OUT/want.txt" "$OUT/got.txt" | head; exit 1; }
done
grep -q 'id="filter"' "$OUT/index.html" || { echo "the script did not run (no filter box)"; exit 1; }
if grep -q 'id="filter"' "$OUT/nojs.html"; then echo "JS off but the filter box is there"; exit 1; fi
grep -c '<svg class="plot"' "$OUT/index.html" | grep -qx 3 || { echo "not 3 plots on the index"; exit 1; }
# the detail page: the pedigree of its rank-1 candidate, person by person
rem=$(grep -oE '<h1>Remain [^<]*' "$OUT/detail.html" | sed 's/<h1>Remain //')
fam=$(awk -F'\t' -v r="$rem" '$1 == r && $4 == 1 { print $2; exit }' "$run/matches.tsv")
mis=$(awk -F'\t' -v r="$rem" '$1 == r && $4 == 1 { print $3; exit }' "$run/matches.tsv")
[ -n "$fam" ] || { echo "no rank-1 row for $rem"; exit 1; }
awk -F'\t' -v f="$fam" '$1 == f { print $2 }' "$run/families.tsv" | sort > "$OUT/ped_want.txt"
# the first pedigree on the page is rank 1's
awk '/<svg class="ped"/ { n++ } n == 1 { print } /<\/svg>/ && n == 1 { exit }' "$OUT/detail.html" > "$OUT/ped1.svg"
grep -oE 'data-id="[^"]*"' "$OUT/ped1.svg" | sed -E 's/data-id="//; s/"$//' | sort > "$OUT/ped_got.txt"
cmp -s "$OUT/ped_want.txt" "$OUT/ped_got.txt" || { echo "pedigree of $fam on $page: persons differ"; diff "$OUT/ped_want.txt" "$OUT/ped_got.txt"; exit 1; }
grep -q "class=\"person mis cand\" data-id=\"$mis\"" "$OUT/ped1.svg" || { echo "candidate $mis not marked"; exit 1; }
for p in $(awk -F'\t' -v f="$fam" '$1 == f && $6 == "reference" { print $2 }' "$run/families.tsv"); do
	grep -q "class=\"person ref\" data-id=\"$p\"" "$OUT/ped1.svg" || { echo "reference $p not shaded"; exit 1; }
done
grep -q "= $rem?" "$OUT/ped1.svg" || { echo "the remain is not placed on the candidate"; exit 1; }
nx=$(awk -F'\t' -v r="$rem" -v f="$fam" -v m="$mis" '$1 == r && $2 == f && $3 == m' "$run/explain.tsv" | wc -l)
nrow=$(awk '/<table class="sortable loci/ { n++ } n == 1 && /<tr><td>/ { c++ } /<\/table>/ && n == 1 { exit } END { print c + 0 }' "$OUT/detail.html")
[ "$nx" -gt 0 ] && [ "$nx" = "$nrow" ] || { echo "per-locus table: $nrow rows, explain.tsv $nx"; exit 1; }
# no request left the directory: only the browser's own background URLs (as on about:blank)
urls() { grep -oE '"url":"[a-z]+://[^/"]*' "$1" | sed 's/"url":"//' | sort -u; }
urls "$OUT/blank.net" > "$OUT/urls_blank.txt"
for n in index detail; do
	urls "$OUT/$n.net" | grep -v '^file://' | grep -vxF -f "$OUT/urls_blank.txt" | grep -vE '^https?://[a-z0-9.-]*(google\.com|googleapis\.com|gvt1\.com)$' > "$OUT/urls_$n.txt" || true
	[ ! -s "$OUT/urls_$n.txt" ] || { echo "$n requested:"; cat "$OUT/urls_$n.txt"; exit 1; }
done
# the counts by conclusion
for c in undisputed joint inconclusive "no match"; do
	n=$(awk -F'\t' -v c="$c" 'NR > 1 && $4 == c' "$run/identifications.tsv" | wc -l)
	grep -q ">$c</span></td><td class=\"n\">$n</td>" "$OUT/index.html" || { echo "count of '$c' is not $n on the index"; exit 1; }
done
# the run's provenance: the manifest.json match wrote, shown as a table: the version, and
# every input with the sha256 the manifest holds and that sha256sum computes now
[ -f "$run/manifest.json" ] || { echo "match wrote no manifest.json"; exit 1; }
grep -q '<h2 id="run">The run</h2>' "$OUT/index.html" && awk '/<h2 id="run">/ { on = 1 } on && /<table class="kv">/ { ok = 1 } /<h2 id="counts">/ { exit } END { exit !ok }' "$OUT/index.html" \
	|| { echo "manifest.json is not shown on the index"; exit 1; }
ver=$(sed -n 's/^ *"kinmatch_version": "\([^"]*\)".*/\1/p' "$run/manifest.json")
[ -n "$ver" ] && grep -q "$ver" "$OUT/index.html" || { echo "the index does not show the version '$ver'"; exit 1; }
for f in "$OUT/sim/remains.tsv" "$OUT/sim/references.tsv" "$OUT/sim/pedigrees.tsv" "$ref/panel_east_asia.tsv"; do
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	grep -q "\"sha256\": \"$sum\"" "$run/manifest.json" || { echo "manifest.json lacks the sha256 of $f"; exit 1; }
	grep -q "$sum" "$OUT/index.html" || { echo "the index does not show the sha256 of $f"; exit 1; }
done
