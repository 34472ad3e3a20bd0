#!/usr/bin/env bash
# The demo job (the README's first command ends here): one night's `kinmatch match` over
# the demo remains and families on the shipped East Asian reference data, then how well
# it did against the simulation's truth.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
d="$top/profiles/demo"
ref="$top/reference"
out=${DEMO_OUT:-$top/demo-out}
"$top/kinmatch" match --panel "$ref/panel_east_asia.tsv" --freqs "$ref/freqs_east_asia.tsv" \
	--remains "$d/remains.tsv.gz" --references "$d/references.tsv.gz" --pedigrees "$d/pedigrees.tsv.gz" \
	--remain-info "$d/remain-info.tsv.gz" \
	--y-db "$ref/optional/ydb_ppy23_east_asia.tsv" --mtdna "$d/mtdna.tsv.gz" --mt-db "$ref/mtdna_1kg_eas.tsv" \
	--typing-error 0.001 --top 10 --explain-top 3 --dvi --out "$out"   # 1 miscall per 1000 calls (README, "Typing error")
# against the truth (known only because the demo is simulated)
gzip -dc "$d/truth.tsv.gz" | awk -F'\t' -v OFS='\t' '
	NR == FNR { if (FNR > 1) { fam[$1] = $2; rel[$1] = $4 } next }
	FNR > 1 && $4 == 1 {
		if (rel[$1] == "unrelated") { nu++; if ($5 >= 4) fu++; next }
		n++; if ($2 == fam[$1]) ok++
	}
	END {
		printf "demo: true family ranked first for %d of %d related remains (%.1f%%); %d of %d unrelated remains have a candidate with log10 LR >= 4\n", ok, n, 100 * ok / n, fu, nu
	}' - "$out/matches.tsv" >&2
# the identification (--dvi, issue 11) against the truth: identified remains whose missing
# person is the true one (the truth names the family and missing person)
gzip -dc "$d/truth.tsv.gz" | awk -F'\t' '
	NR == FNR { if (FNR > 1) { fam[$1] = $2; mis[$1] = $3 } next }
	FNR > 1 && ($4 == "undisputed" || $4 == "joint") { n++; if ($2 == fam[$1] && $3 == mis[$1]) ok++ }
	END { printf "demo: identification: %d of %d undisputed or joint identifications name the true missing person\n", ok, n }
	' - "$out/identifications.tsv" >&2
# the report (issue 13): a self-contained HTML report of the night, with per-locus tables
# and pedigrees for each remain's 3 best candidates; it says where to open it
"$top/kinmatch" report --run "$out"
