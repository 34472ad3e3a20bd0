#!/usr/bin/env bash
# BGZF input (what `kinmatch simulate --gz` and bgzip write) goes through htslib with
# --threads inflating ahead of the parser: the same result as the plain files at 1 and 2
# threads; a truncated BGZF file (no end-of-file block) is an error naming the file, exit
# 1, no output, and nothing from htslib on stderr.
# Run by tests/run.sh with KM (the binary) and OUT (a scratch directory).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
case=$here/tests/oracle/snp_str_avuncular
mkdir -p "$OUT"
"$KM" simulate --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --families 2000 --seed 11 --gz --quiet --out "$OUT/sim"
mkdir -p "$OUT/plain"
for f in remains references pedigrees; do
	# the simulator writes BGZF: gzip magic with the "BC" extra subfield
	[ "$(od -An -tx1 -j12 -N2 "$OUT/sim/$f.tsv.gz" | tr -d ' ')" = 4243 ]
	gzip -dc "$OUT/sim/$f.tsv.gz" > "$OUT/plain/$f.tsv"
done
run() {   # DIR EXT THREADS OUT
	"$KM" match --panel "$case/panel.tsv" --freqs "$case/freqs.tsv" --remains "$1/remains.$2" \
		--references "$1/references.$2" --pedigrees "$1/pedigrees.$2" --top 5 --quiet --threads "$3" --out "$4"
}
run "$OUT/plain" tsv 1 "$OUT/p1"
run "$OUT/sim" tsv.gz 1 "$OUT/g1"
run "$OUT/sim" tsv.gz 2 "$OUT/g2"
cmp "$OUT/p1/matches.tsv" "$OUT/g1/matches.tsv"
cmp "$OUT/p1/matches.tsv" "$OUT/g2/matches.tsv"
[ "$(wc -l < "$OUT/p1/matches.tsv")" -gt 100 ]

# a BGZF file cut in the middle of a block
mkdir -p "$OUT/cut"
cp "$OUT/sim/remains.tsv.gz" "$OUT/sim/pedigrees.tsv.gz" "$OUT/cut/"
size=$(wc -c < "$OUT/sim/references.tsv.gz")
head -c $((size / 2)) "$OUT/sim/references.tsv.gz" > "$OUT/cut/references.tsv.gz"
for th in 1 2; do
	rm -rf "$OUT/cutout"
	if run "$OUT/cut" tsv.gz "$th" "$OUT/cutout" 2> "$OUT/cut.err"; then echo "truncated BGZF accepted"; exit 1; else rc=$?; fi
	[ "$rc" = 65 ] || { echo "exit $rc"; exit 1; }   # 65: malformed data (README, exit codes)
	grep -q "references.tsv.gz: unexpected end of compressed data (no BGZF end-of-file block: the file is truncated)" "$OUT/cut.err" ||
		{ cat "$OUT/cut.err"; exit 1; }
	[ ! -e "$OUT/cutout/matches.tsv" ]
	[ "$(wc -l < "$OUT/cut.err")" = 1 ]
done

# a BGZF block header with gzip flags other than FEXTRA: htslib would inflate from byte 18
# and gunzip would read a comment (or refuse reserved bits), so the two would disagree on
# the text; the reader refuses it (SAM/BAM specification §4.1: FLG 4; RFC 1952 §2.3.1.2)
for flg in '\024' '\344'; do
	mkdir -p "$OUT/flg"
	cp "$OUT/sim/remains.tsv.gz" "$OUT/sim/pedigrees.tsv.gz" "$OUT/sim/references.tsv.gz" "$OUT/flg/"
	printf "$flg" | dd of="$OUT/flg/references.tsv.gz" bs=1 seek=3 conv=notrunc status=none
	rm -rf "$OUT/flgout"
	if run "$OUT/flg" tsv.gz 1 "$OUT/flgout" 2> "$OUT/flg.err"; then echo "BGZF with FLG $flg accepted"; exit 1; else rc=$?; fi
	[ "$rc" = 65 ] || { echo "exit $rc"; cat "$OUT/flg.err"; exit 1; }
	grep -q "references.tsv.gz: byte 0: gzip header flags other than FEXTRA in a BGZF file" "$OUT/flg.err" ||
		{ cat "$OUT/flg.err"; exit 1; }
	[ ! -e "$OUT/flgout/matches.tsv" ]
done
