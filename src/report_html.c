/* report_html.c — the report's pages (issue 13).
 *
 * DIR/report/index.html: the run (manifest.json), counts by conclusion, three plots and
 * the table of every remain (sortable and filterable by report.js; without JS a plain
 * table in remain order).  DIR/report/r/<remain>.html, one per remain with a candidate
 * that is not `no match`: its candidates, conflicts and exchangeable candidates, the
 * evidence in words, and per explained candidate the per-system totals, the family's
 * pedigree and the per-locus table with bars.  report.css and report.js sit next to
 * index.html; nothing else is loaded, so the directory opens offline, anywhere, later.
 * The whole report is written into DIR/.report.tmp.PID and renamed into place.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"
#include "report.h"

void rp_esc(kstring_t *s, const char *x)
{
	for (; x && *x; ++x) {
		switch (*x) {
		case '&': kputs("&amp;", s); break;
		case '<': kputs("&lt;", s); break;
		case '>': kputs("&gt;", s); break;
		case '"': kputs("&quot;", s); break;
		case '\'': kputs("&#39;", s); break;
		default: kputc(*x, s);
		}
	}
}

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;color:#1d2428;background:#fff}\n"
	"header{background:#22343c;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d6dc}\n"
	"header a{color:#cfe3ff}main{padding:8px 24px 40px;max-width:1250px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #d5dde1;padding-bottom:3px}\n"
	"h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 8px;border-bottom:1px solid #e3e8eb;text-align:left;vertical-align:top}\n"
	"th{background:#eef2f4;font-weight:600;position:sticky;top:0}td.n,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr:hover td{background:#f6f9fb}code,.mono{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px}\n"
	".plots{display:flex;flex-wrap:wrap;gap:14px}.plot{border:1px solid #dde3e6;background:#fcfdfd}.pt{font-size:13px;font-weight:600;fill:#1d2428}\n"
	".ax{stroke:#555}.tk{stroke:#555}.gr{stroke:#e6eaec}.tl{font-size:10px;fill:#444}.al{font-size:11px;fill:#333}.mk{stroke:#b5562a;stroke-dasharray:4 3}\n"
	".bs{fill:#2f7d4f}.bw{fill:#9aa7ad}.c0,.c1,.c2,.c5{fill:#2f7d4f}.c3,.c6{fill:#d08a1e}.c4,.c7{fill:#9aa7ad}\n"
	".conc{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;white-space:nowrap}.k0,.k1,.k2,.k5{background:#d9efdf;color:#174d2c}\n"
	".k3,.k6{background:#f8e8c8;color:#6b4508}.k4,.k7{background:#e8ecee;color:#47535a}\n"
	".lr{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}.ex{color:#b3261e;font-weight:600}\n"
	".bar{width:220px;height:21px;position:relative;background:linear-gradient(#889,#889) 110px 0/1px 100% no-repeat}.bar span{position:absolute;top:5px;height:11px}\n"
	".bar .p{left:110px;background:#2f7d4f}.bar .m{right:110px;background:#c0504d}.bar .x{right:110px;width:110px;background:repeating-linear-gradient(45deg,#c0504d,#c0504d 3px,#f1c9c7 3px,#f1c9c7 6px)}\n"
	".ped{border:1px solid #dde3e6;background:#fcfdfd;max-width:100%;height:auto}.person rect,.person circle{stroke:#222;stroke-width:1.5;fill:#fff}\n"
	".person.ref rect,.person.ref circle{fill:#9fb3bd}.person.mis rect,.person.mis circle{stroke:#b3261e;stroke-width:3;fill:#fff}\n"
	".person.cand rect,.person.cand circle{fill:#fde3e1}.pl{stroke:#333;stroke-width:1.3}.pid{font-size:11px;fill:#1d2428}.rem{font-size:11px;font-weight:700;fill:#b3261e}\n"
	".q{font-size:17px;font-weight:700;fill:#b3261e}.legend{font-size:12px;color:#47535a}.note{color:#47535a}.warn{background:#fff4e5;border-left:4px solid #d08a1e;padding:6px 10px}\n"
	".say{background:#f2f7f9;border-left:4px solid #22343c;padding:8px 12px;max-width:900px}#filter{font-size:14px;padding:4px 8px;width:320px}\n"
	".loci td{font-size:12px;padding:1px 8px}.loci td:nth-child(5){min-width:64px;max-width:250px;overflow-wrap:break-word}.rf{max-width:470px}.rf span{white-space:nowrap}.loci td:nth-child(7){white-space:nowrap}.kv th{position:static;width:1%;white-space:nowrap}.kv td,.kv th{border-bottom:1px solid #eef1f3}nav a{margin-right:14px}\n"
	"th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}.sortable th{cursor:pointer}\n";

/* sorting (tables of class sortable: click a header; numbers from data-v) and the filter
 * box of the remains table; the page is complete without it */
static const char js[] =
	"(function(){\n"
	"function key(c,num){var v=c.getAttribute('data-v');if(v===null)v=c.textContent;if(!num)return v.toLowerCase();v=parseFloat(v);return isNaN(v)?-Infinity:v;}\n"
	"[].forEach.call(document.querySelectorAll('table.sortable'),function(t){\n"
	" var tb=t.tBodies[0],hs=t.tHead.rows[0].cells;\n"
	" [].forEach.call(hs,function(th,i){th.tabIndex=0;th.title='sort by this column';\n"
	"  function go(){var asc=th.getAttribute('aria-sort')!=='ascending',num=th.classList.contains('num');\n"
	"   [].forEach.call(hs,function(h){h.removeAttribute('aria-sort');});th.setAttribute('aria-sort',asc?'ascending':'descending');\n"
	"   var rs=[].slice.call(tb.rows);rs.sort(function(a,b){var x=key(a.cells[i],num),y=key(b.cells[i],num);var c=x<y?-1:x>y?1:0;return asc?c:-c;});\n"
	"   rs.forEach(function(r){tb.appendChild(r);});}\n"
	"  th.addEventListener('click',go);th.addEventListener('keydown',function(ev){if(ev.key==='Enter')go();});});});\n"
	"var t=document.getElementById('rt'),slot=document.getElementById('filter-slot');if(!t||!slot)return;\n"
	"var inp=document.createElement('input');inp.type='search';inp.id='filter';inp.placeholder='filter: remain, family, conclusion ...';\n"
	"var cnt=document.createElement('span');cnt.className='note';slot.appendChild(inp);slot.appendChild(cnt);\n"
	"var rows=[].slice.call(t.tBodies[0].rows);\n"
	"function upd(){var q=inp.value.toLowerCase(),n=0;rows.forEach(function(r){var ok=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!ok;if(ok)n++;});\n"
	" cnt.textContent=' '+n+' of '+rows.length+' remains shown';}\n"
	"inp.addEventListener('input',upd);upd();\n"
	"})();\n";

static void head(kstring_t *s, const char *title, const char *up)
{
	kputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", s);
	rp_esc(s, title);
	ksprintf(s, "</title>\n<link rel=\"stylesheet\" href=\"%sreport.css\">\n</head>\n<body>\n", up);
}

static void fmt_num(kstring_t *s, double x, int dec)
{
	if (isnan(x)) kputs("NA", s);
	else if (x == KM_NEG_INF) kputs("-inf", s);
	else ksprintf(s, "%.*f", dec, x);
}

static void conc_span(kstring_t *s, int c)
{
	ksprintf(s, "<span class=\"conc k%d\" title=\"", c);
	rp_esc(s, rp_conc_help[c]);
	ksprintf(s, "\">%s</span>", rp_conc_name[c]);
}

/* ---- manifest.json as nested tables (any shape; raw text if it does not parse) ---------- */
typedef struct { const char *p, *end; int bad; } jcur_t;

static void jws(jcur_t *j) { while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) ++j->p; }

static void jstr(jcur_t *j, kstring_t *s)
{
	++j->p;   /* opening quote */
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\' && j->p + 1 < j->end) {
			char c = *++j->p;
			if (c == 'n') kputc(' ', s);
			else if (c == 't') kputc(' ', s);
			else if (c == 'u') { kputc('?', s); j->p += 4; }
			else { char b[2] = { c, 0 }; rp_esc(s, b); }
			++j->p;
			continue;
		}
		char b[2] = { *j->p++, 0 };
		rp_esc(s, b);
	}
	if (j->p >= j->end) j->bad = 1; else ++j->p;
}

static void jval(jcur_t *j, kstring_t *s, int depth)
{
	jws(j);
	if (j->p >= j->end || depth > 20) { j->bad = 1; return; }
	if (*j->p == '{') {
		++j->p;
		kputs("<table class=\"kv\">", s);
		for (;;) {
			jws(j);
			if (j->p < j->end && *j->p == '}') { ++j->p; break; }
			if (j->p >= j->end || *j->p != '"') { j->bad = 1; return; }
			kputs("<tr><th>", s);
			jstr(j, s);
			jws(j);
			if (j->p >= j->end || *j->p != ':') { j->bad = 1; return; }
			++j->p;
			kputs("</th><td>", s);
			jval(j, s, depth + 1);
			if (j->bad) return;
			kputs("</td></tr>", s);
			jws(j);
			if (j->p < j->end && *j->p == ',') ++j->p;
		}
		kputs("</table>", s);
	} else if (*j->p == '[') {
		++j->p;
		int k = 0;
		for (;;) {
			jws(j);
			if (j->p < j->end && *j->p == ']') { ++j->p; break; }
			if (j->p >= j->end) { j->bad = 1; return; }
			kputs(k++ ? "<br>" : "", s);
			jval(j, s, depth + 1);
			if (j->bad) return;
			jws(j);
			if (j->p < j->end && *j->p == ',') ++j->p;
		}
		if (!k) kputs("(none)", s);
	} else if (*j->p == '"') {
		kputs("<span class=\"mono\">", s);
		jstr(j, s);
		kputs("</span>", s);
	} else {
		const char *a = j->p;
		while (j->p < j->end && !strchr(",]} \n\r\t", *j->p)) ++j->p;
		if (j->p == a) { j->bad = 1; return; }
		kputs("<span class=\"mono\">", s);
		for (; a < j->p; ++a) { char b[2] = { *a, 0 }; rp_esc(s, b); }
		kputs("</span>", s);
	}
}

/* skips one JSON value (any shape) */
static void jskip(jcur_t *j, int depth)
{
	jws(j);
	if (j->p >= j->end || depth > 20) { j->bad = 1; return; }
	if (*j->p == '{' || *j->p == '[') {
		char close = *j->p == '{' ? '}' : ']';
		++j->p;
		for (;;) {
			jws(j);
			if (j->p < j->end && *j->p == close) { ++j->p; return; }
			if (j->p >= j->end) { j->bad = 1; return; }
			if (close == '}') {
				kstring_t k = { 0, 0, NULL };
				if (*j->p != '"') { j->bad = 1; return; }
				jstr(j, &k);
				free(k.s);
				jws(j);
				if (j->p >= j->end || *j->p != ':') { j->bad = 1; return; }
				++j->p;
			}
			jskip(j, depth + 1);
			if (j->bad) return;
			jws(j);
			if (j->p < j->end && *j->p == ',') ++j->p;
		}
	}
	if (*j->p == '"') { kstring_t k = { 0, 0, NULL }; jstr(j, &k); free(k.s); return; }
	while (j->p < j->end && !strchr(",]} \n\r\t", *j->p)) ++j->p;
}

/* the cursor at the value of top-level key `key`; 0 = absent or not an object */
static int jfind(const rp_run_t *R, const char *key, jcur_t *out)
{
	jcur_t j = { R->manifest, R->manifest + R->manifest_len, 0 };
	jws(&j);
	if (j.p >= j.end || *j.p != '{') return 0;
	++j.p;
	for (;;) {
		jws(&j);
		if (j.p >= j.end || *j.p != '"') return 0;
		kstring_t k = { 0, 0, NULL };
		jstr(&j, &k);
		int hit = k.s && strcmp(k.s, key) == 0;
		free(k.s);
		jws(&j);
		if (j.bad || j.p >= j.end || *j.p != ':') return 0;
		++j.p;
		jws(&j);
		if (hit) { *out = j; return 1; }
		jskip(&j, 1);
		if (j.bad) return 0;
		jws(&j);
		if (j.p < j.end && *j.p == ',') ++j.p;
	}
}

/* a scalar or string value as escaped text */
static void jtext(jcur_t *j, kstring_t *s)
{
	if (j->p < j->end && *j->p == '"') { jstr(j, s); return; }
	const char *a = j->p;
	jskip(j, 1);
	for (; a < j->p; ++a) { char b[2] = { *a, 0 }; rp_esc(s, b); }
}

/* The run at a glance: version, the command line, when, and every input with its
 * checksum; the whole manifest follows, folded (<details>: open without script). */
static void manifest_summary(kstring_t *s, const rp_run_t *R)
{
	jcur_t j;
	kputs("<table class=\"kv\">", s);
	static const char *const keys[][2] = { { "kinmatch_version", "version" }, { "started", "started" }, { "finished", "finished" }, { "threads", "threads" } };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
		if (!jfind(R, keys[i][0], &j)) continue;
		ksprintf(s, "<tr><th>%s</th><td class=\"mono\">", keys[i][1]);
		jtext(&j, s);
		kputs("</td></tr>", s);
	}
	if (jfind(R, "argv", &j) && *j.p == '[') {   /* the command line, one line */
		kputs("<tr><th>command</th><td class=\"mono\">", s);
		++j.p;
		for (int k = 0;; ++k) {
			jws(&j);
			if (j.p >= j.end || *j.p == ']' || j.bad) break;
			if (k) kputc(' ', s);
			jtext(&j, s);
			jws(&j);
			if (j.p < j.end && *j.p == ',') ++j.p;
		}
		kputs("</td></tr>", s);
	}
	kputs("</table>\n", s);
	if (jfind(R, "inputs", &j) && *j.p == '[') {   /* [{option, path, sha256, bytes, ...}] */
		kputs("<table class=\"kv mono\"><thead><tr><th>input</th><th>file</th><th>sha256</th><th class=\"num\">bytes</th></tr></thead><tbody>", s);
		++j.p;
		for (;;) {
			jws(&j);
			if (j.p >= j.end || *j.p != '{' || j.bad) break;
			++j.p;
			kstring_t f[4] = { { 0, 0, NULL }, { 0, 0, NULL }, { 0, 0, NULL }, { 0, 0, NULL } };
			static const char *const want[4] = { "option", "path", "sha256", "bytes" };
			for (;;) {
				jws(&j);
				if (j.p >= j.end || *j.p == '}' || *j.p != '"') break;
				kstring_t k = { 0, 0, NULL };
				jstr(&j, &k);
				jws(&j);
				if (j.p < j.end && *j.p == ':') ++j.p;
				jws(&j);
				int w = -1;
				for (int i = 0; i < 4 && k.s; ++i) if (strcmp(k.s, want[i]) == 0) w = i;
				free(k.s);
				if (w >= 0) jtext(&j, &f[w]); else jskip(&j, 2);
				if (j.bad) break;
				jws(&j);
				if (j.p < j.end && *j.p == ',') ++j.p;
			}
			if (j.p < j.end && *j.p == '}') ++j.p;
			kputs("<tr>", s);
			for (int i = 0; i < 4; ++i) { ksprintf(s, "<td%s>%s</td>", i == 3 ? " class=\"num\"" : "", f[i].s ? f[i].s : ""); free(f[i].s); }
			kputs("</tr>", s);
			jws(&j);
			if (j.p < j.end && *j.p == ',') ++j.p;
		}
		kputs("</tbody></table>\n", s);
	}
}

static void manifest_html(kstring_t *s, const rp_run_t *R)
{
	if (!R->manifest) {
		kputs("<p class=\"note\">This run directory has no <code>manifest.json</code> (the record of version, date, inputs with their checksums and options; "
		      "written by <code>kinmatch match</code> from the version that introduced it). What is shown below comes from the result files alone.</p>\n", s);
		return;
	}
	kstring_t t = { 0, 0, NULL };
	jcur_t j = { R->manifest, R->manifest + R->manifest_len, 0 };
	jval(&j, &t, 0);
	if (j.bad || !t.s) {
		kputs("<p class=\"note\">manifest.json (shown as written):</p><pre class=\"mono\">", s);
		rp_esc(s, R->manifest);
		kputs("</pre>\n", s);
	} else {
		manifest_summary(s, R);
		kputs("<details><summary>Everything the run recorded (manifest.json: every option and model, outputs, counts, warnings)</summary>\n", s);
		kputs(t.s, s);
		kputs("</details>\n", s);
	}
	free(t.s);
}

/* ---- files ------------------------------------------------------------------------------ */
static int put_file(const char *dir, const char *name, const char *data, size_t len, km_err_t *e)
{
	kstring_t fn = { 0, 0, NULL };
	ksprintf(&fn, "%s/%s", dir, name);
	FILE *fp = fn.s ? fopen(fn.s, "w") : NULL;
	int ret = 0;
	if (!fp) ret = km_err_set(e, KM_ECREATE, "%s: cannot create: %s", fn.s ? fn.s : name, strerror(errno));
	else {
		int bad = fwrite(data, 1, len, fp) != len;
		if (fclose(fp) != 0) bad = 1;
		if (bad) ret = km_err_set(e, KM_EIO, "%s: cannot write: %s", fn.s, strerror(errno));
	}
	free(fn.s);
	return ret;
}

/* ---- the index ---------------------------------------------------------------------------- */
static const char *page_of(const rp_run_t *R, const char *remain);
static void index_page(kstring_t *s, const rp_run_t *R)
{
	int cnt[RP_N_CONC] = { 0 }, n_page = 0, have_id = R->id.buf != NULL;
	for (int i = 0; i < R->n_remain; ++i) ++cnt[R->r[i].conc], n_page += R->r[i].page != NULL;
	head(s, "kinmatch report", "");
	kputs("<header><h1>kinmatch report</h1><p>run directory <code>", s);
	rp_esc(s, R->dir);
	ksprintf(s, "</code> &middot; %d remains &middot; report by kinmatch %s</p></header>\n<main>\n", R->n_remain, KM_VERSION);
	ksprintf(s, "<nav><a href=\"#run\">The run</a><a href=\"#counts\">Conclusions</a>%s<a href=\"#plots\">Plots</a><a href=\"#remains\">Remains</a></nav>\n",
	         R->pairs.buf ? "<a href=\"#pairs\">Remain pairs</a>" : "");
	kputs("<h2 id=\"run\">The run</h2>\n", s);
	manifest_html(s, R);
	if (R->inc.buf && R->inc.nrow > 0) {
		ksprintf(s, "<p class=\"warn\">%zu (candidate, marker) pairs: the references contradict their pedigree; those markers were left out (LR 1) for those candidates:", R->inc.nrow);
		for (size_t i = 0; i < R->inc.nrow && i < 50; ++i) {
			kputs(i ? "; " : " ", s);
			rp_esc(s, rp_cell(&R->inc, i, 0)); kputs(" (", s); rp_esc(s, rp_cell(&R->inc, i, 1)); kputs(") at ", s); rp_esc(s, rp_cell(&R->inc, i, 2));
		}
		kputs(R->inc.nrow > 50 ? "; ... (all in inconsistent.tsv)</p>\n" : "</p>\n", s);
	}
	if (R->warn.buf && R->warn.nrow > 0) {   /* warnings.tsv: what the run had to say */
		ksprintf(s, "<h3>Warnings of the run (%zu)</h3>\n<table class=\"kv\"><thead><tr>", R->warn.nrow);
		for (int c = 0; c < R->warn.ncol; ++c) { kputs("<th>", s); rp_esc(s, R->warn.hdr[c]); kputs("</th>", s); }
		kputs("</tr></thead><tbody>\n", s);
		for (size_t i = 0; i < R->warn.nrow && i < 500; ++i) {
			kputs("<tr>", s);
			for (int c = 0; c < R->warn.ncol; ++c) { kputs("<td>", s); rp_esc(s, rp_cell(&R->warn, i, c)); kputs("</td>", s); }
			kputs("</tr>\n", s);
		}
		kputs("</tbody></table>\n", s);
		if (R->warn.nrow > 500) kputs("<p class=\"note\">... the rest in warnings.tsv.</p>\n", s);
	}
	kputs("<h2 id=\"counts\">Conclusions</h2>\n", s);
	if (have_id) kputs("<p>From <code>identifications.tsv</code> (the identification stage, <code>--dvi</code>: dvir's undisputed matches, then the joint assignments of each component).</p>\n", s);
	else kputs("<p>The identification stage (<code>kinmatch match --dvi</code>) was not run, so these are the pairwise results of <code>matches.tsv</code> only: "
	           "the best candidate's LR, with no posterior and no joint view of the remains.</p>\n", s);
	kputs("<table><thead><tr><th>conclusion</th><th class=\"num\">remains</th><th>meaning</th></tr></thead><tbody>\n", s);
	for (int c = 0; c < RP_N_CONC; ++c) {
		if (have_id ? c > RP_NOMATCH : c <= RP_NOMATCH) continue;
		kputs("<tr><td>", s); conc_span(s, c);
		ksprintf(s, "</td><td class=\"n\">%d</td><td>", cnt[c]);
		rp_esc(s, rp_conc_help[c]);
		kputs("</td></tr>\n", s);
	}
	kputs("</tbody></table>\n", s);
	if (R->pairs.buf) {   /* --dvi: the remains among themselves (remain-pairs.tsv) */
		const rp_table_t *P = &R->pairs;
		kputs("<h2 id=\"pairs\">Remains matching each other</h2>\n", s);
		if (P->nrow == 0)
			kputs("<p>No two remains look like one person, a parent and child or full siblings (at the identification's threshold; <code>remain-pairs.tsv</code>).</p>\n", s);
		else {
			kputs("<p>From <code>remain-pairs.tsv</code>: pairs of remains whose LR for the same person (fragments of one body), parent and child or full siblings "
			      "against unrelated reaches the identification's threshold, on their autosomal STR and SNP loci. They are reported, not merged: the identification "
			      "treats every remain on its own, so two fragments of one body may dispute one missing person.</p>\n"
			      "<table class=\"sortable\"><thead><tr><th>remain 1</th><th>remain 2</th><th>relationship</th><th class=\"num\">log10 LR</th><th class=\"num\">loci</th></tr></thead><tbody>\n", s);
			for (size_t i = 0; i < P->nrow && i < 500; ++i) {
				kputs("<tr>", s);
				for (int k = 0; k < 2; ++k) {
					const char *id = rp_cell(P, i, R->pc[k]), *pg = page_of(R, id);
					kputs("<td>", s);
					if (pg) { ksprintf(s, "<a href=\"%s\">", pg); rp_esc(s, id); kputs("</a>", s); }
					else rp_esc(s, id);
					kputs("</td>", s);
				}
				const char *rel = rp_cell(P, i, R->pc[2]);
				kputs(strcmp(rel, "same-person") == 0 ? "<td><b>" : "<td>", s); rp_esc(s, rel);
				kputs(strcmp(rel, "same-person") == 0 ? "</b></td>" : "</td>", s);
				kputs("<td class=\"lr\" data-v=\"", s); rp_esc(s, rp_cell(P, i, R->pc[3])); kputs("\">", s);
				rp_esc(s, rp_cell(P, i, R->pc[3])); kputs("</td><td class=\"n\" data-v=\"", s);
				rp_esc(s, rp_cell(P, i, R->pc[4])); kputs("\">", s);
				rp_esc(s, rp_cell(P, i, R->pc[4])); kputs("</td></tr>\n", s);
			}
			kputs("</tbody></table>\n", s);
			if (P->nrow > 500) kputs("<p class=\"note\">... the rest in remain-pairs.tsv.</p>\n", s);
		}
	}
	kputs("<h2 id=\"plots\">Plots</h2>\n<div class=\"plots\">\n", s);
	rp_svg_best_hist(s, R);
	rp_svg_margin(s, R);
	rp_svg_loci(s, R);
	kputs("</div>\n<p class=\"note\">Middle: one dot per remain, green a strong (or identified) candidate, orange weak or inconclusive, grey none. "
	      "Right of the vertical line the best LR is at least 10<sup>4</sup>; above the horizontal line it is also 10<sup>4</sup> times the second candidate's "
	      "(dots at the top have no second candidate). Right: few loci compared means a degraded remain.</p>\n", s);
	ksprintf(s, "<h2 id=\"remains\">Remains</h2>\n<p>Every remain of the run, in order of its id; %d have a page of their own (the link). Click a column header to sort.</p>\n"
	            "<p id=\"filter-slot\"></p>\n", n_page);
	kputs("<table id=\"rt\" class=\"sortable\"><thead><tr><th>remain</th><th>conclusion</th><th>family</th><th>missing</th>"
	      "<th class=\"num\">log10 LR</th><th class=\"num\">margin</th><th class=\"num\">posterior</th><th class=\"num\">loci</th><th class=\"num\">LR&ge;10<sup>4</sup></th></tr></thead>\n<tbody>\n", s);
	for (int i = 0; i < R->n_remain; ++i) {
		const rp_remain_t *r = &R->r[i];
		double lr = r->best, post = (double)NAN;
		if (r->ident >= 0) {
			const char *ls = rp_cell(&R->id, (size_t)r->ident, R->ic[4]), *ps = rp_cell(&R->id, (size_t)r->ident, R->ic[5]);
			lr = strcmp(ls, "-inf") == 0 ? KM_NEG_INF : km_parse_double(ls, &lr) == 0 ? lr : (double)NAN;
			if (km_parse_double(ps, &post) < 0) post = (double)NAN;
		}
		double mg = isfinite(r->best) && isfinite(r->second) ? r->best - r->second : (double)NAN;
		kputs("<tr><td>", s);
		if (r->page) { ksprintf(s, "<a href=\"%s\">", r->page); rp_esc(s, r->id); kputs("</a>", s); }
		else rp_esc(s, r->id);
		ksprintf(s, "</td><td data-v=\"%d\">", r->conc); conc_span(s, r->conc);
		kputs("</td><td>", s); rp_esc(s, r->family && strcmp(r->family, "*") ? r->family : "");
		kputs("</td><td>", s); rp_esc(s, r->missing && strcmp(r->missing, "*") ? r->missing : "");
		if (isfinite(lr)) ksprintf(s, "</td><td class=\"n\" data-v=\"%.6f\">", lr);
		else ksprintf(s, "</td><td class=\"n\" data-v=\"%s\">", isnan(lr) ? "NaN" : "-Infinity");
		fmt_num(s, lr, 2);
		kputs("</td><td class=\"n\">", s); if (!isnan(mg)) fmt_num(s, mg, 2);
		kputs("</td><td class=\"n\">", s); if (!isnan(post)) ksprintf(s, "%.4g", post);
		kputs("</td><td class=\"n\">", s); if (r->loci >= 0) ksprintf(s, "%d", r->loci);
		ksprintf(s, "</td><td class=\"n\">%d</td></tr>\n", r->n_strong);
	}
	kputs("</tbody></table>\n", s);
	kputs("</main>\n<script src=\"report.js\"></script>\n</body>\n</html>\n", s);
}

/* ---- a remain's page ------------------------------------------------------------------------ */
static const char *const sys_label[5] = { "autosomal STR", "SNP", "X-STR", "Y-STR", "mtDNA" };
static const char *const sys_short[5] = { "STR", "SNP", "X", "Y", "mt" };
static int sys_idx(const char *s)
{
	static const char *const nm[5] = { "str", "snp", "x", "y", "mt" };
	for (int i = 0; i < 5; ++i) if (strcmp(s, nm[i]) == 0) return i;
	return 0;
}

static void lr_words(kstring_t *s, double lr)
{
	if (lr == KM_NEG_INF) { kputs("excluded (LR 0: the profiles are incompatible with this relationship)", s); return; }
	if (isnan(lr)) { kputs("not computed", s); return; }
	ksprintf(s, "10<sup>%.2f</sup> times <b>%s</b> likely", fabs(lr), lr >= 0 ? "more" : "less");
}

static void explain_table(kstring_t *s, const rp_run_t *R, long x0, size_t n)
{
	const rp_table_t *X = &R->x;
	const int *c = R->xc;
	double mx = 1.0, tot[5] = { 0 };
	int nsys[5] = { 0 }, inf[5] = { 0 };
	for (size_t i = 0; i < n; ++i) {
		double v;
		const char *t = rp_cell(X, (size_t)x0 + i, c[5]);
		int sy = sys_idx(rp_cell(X, (size_t)x0 + i, c[3]));
		++nsys[sy];
		if (strcmp(t, "-inf") == 0) { inf[sy] = 1; continue; }
		if (km_parse_double(t, &v) == 0) { tot[sy] += v; if (fabs(v) > mx) mx = fabs(v); }
	}
	kputs("<table><thead><tr><th>system</th><th class=\"num\">loci</th><th class=\"num\">log10 LR</th></tr></thead><tbody>\n", s);
	for (int sy = 0; sy < 5; ++sy) {
		if (!nsys[sy]) continue;
		ksprintf(s, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"lr\">", sys_label[sy], nsys[sy]);
		if (inf[sy]) kputs("<span class=\"ex\">-inf</span>", s); else fmt_num(s, tot[sy], 3);
		kputs("</td></tr>\n", s);
	}
	kputs("</tbody></table>\n", s);
	kputs("<p class=\"legend\">One row per locus typed in the remain and in at least one reference of the family, in panel order (click a header to sort). "
	      "The bar is the log10 LR: green to the right for evidence for the relationship, red to the left against, hatched for an exclusion (-inf). "
	      "<i>genotype</i>: the remain's genotype as typed; <i>dropout, d</i>: an apparent homozygote whose second allele may have dropped out "
	      "(probability d for this remain), scored over both possibilities; <i>haplotype</i>: the Y-STR haplotype or the mtDNA sequence, one row each, "
	      "against the closest reference on the male or maternal line; <i>incompatible</i> (runs with a typing-error rate): the remain and the "
	      "references cannot be related there without a miscall (or a mutation), so the locus would exclude without the typing-error model.</p>\n", s);
	ksprintf(s, "<table class=\"sortable loci mono\"><thead><tr><th>system</th><th>marker</th><th class=\"num\">log10 LR</th><th>bar (log scale, &plusmn;%.2g)</th>"
	            "<th>remain</th><th>references typed here</th><th>how</th></tr></thead>\n<tbody>\n", mx);
	for (size_t i = 0; i < n; ++i) {
		size_t r = (size_t)x0 + i;
		const char *t = rp_cell(X, r, c[5]), *via = rp_cell(X, r, c[9]);
		double v = 0;
		int ex = strcmp(t, "-inf") == 0;
		if (!ex && km_parse_double(t, &v) < 0) v = 0;
		int sy = sys_idx(rp_cell(X, r, c[3]));
		ksprintf(s, "<tr><td>%s</td><td>", sys_short[sy]);
		rp_esc(s, rp_cell(X, r, c[4]));
		kputs("</td><td class=\"lr\">", s);   /* sorted by its text: -inf and NA sort lowest */
		if (ex) kputs("<span class=\"ex\">-inf</span>", s); else rp_esc(s, t);
		kputs("</td><td><div class=\"bar\">", s);
		if (ex) kputs("<span class=\"x\" title=\"excluded\"></span>", s);
		else if (v > 0) ksprintf(s, "<span class=\"p\" style=\"width:%.1fpx\"></span>", 110.0 * v / mx);
		else if (v < 0) ksprintf(s, "<span class=\"m\" style=\"width:%.1fpx\"></span>", 110.0 * -v / mx);
		kputs("</div></td><td>", s);
		rp_esc(s, rp_cell(X, r, c[7]));
		kputs("</td><td>", s);
		const char *refs = rp_cell(X, r, c[8]);
		kputs("<div class=\"rf\"><span>", s);
		for (const char *q = refs; *q; ++q) {   /* "id=call, id=call", each unbroken */
			if (*q == ',' && sy < 3) { kputs(",</span> <span>", s); continue; }
			char b[2] = { *q, 0 };
			rp_esc(s, b);
		}
		kputs("</span></div>", s);
		kputs("</td><td>", s);
		if (strcmp(via, "dropout") == 0) { kputs("dropout, d=", s); rp_esc(s, rp_cell(X, r, c[10])); }
		else if (strcmp(via, "left out") == 0) kputs("<b>left out</b> (LR 1): the references contradict their pedigree", s);
		else if (strcmp(via, "typing error") == 0 || strcmp(via, "mutation or typing error") == 0) {
			/* a locus incompatible without error (and mutation): an exclusion without the
			 * typing-error model, so the analyst must see it (README, explain.tsv) */
			kputs("<b>incompatible</b>: carried by the ", s);
			kputs(via[0] == 't' ? "typing-error model" : "mutation or typing-error model", s);
			kputs(" (an exclusion without it)", s);
			if (strcmp(rp_cell(X, r, c[10]), "NA") != 0) { kputs("; dropout, d=", s); rp_esc(s, rp_cell(X, r, c[10])); }
		}
		else if (strcmp(via, "haplotype") == 0) {
			kputs("reference ", s); rp_esc(s, rp_cell(X, r, c[11]));
			kputs(", ", s); rp_esc(s, rp_cell(X, r, c[12])); kputs(" meioses; ", s);
			rp_esc(s, rp_cell(X, r, c[13])); kputs(sy == 3 ? " loci" : " positions", s);
			kputs(" compared, ", s); rp_esc(s, rp_cell(X, r, c[14])); kputs(" differing", s);
			if (strcmp(rp_cell(X, r, c[15]), ".") != 0 && *rp_cell(X, r, c[15])) { kputs(" (", s); rp_esc(s, rp_cell(X, r, c[15])); kputs(")", s); }
			kputs("; database: ", s); rp_esc(s, rp_cell(X, r, c[16])); kputs(" of ", s); rp_esc(s, rp_cell(X, r, c[17]));
			kputs(" haplotypes equal to the reference", s);
			if (c[18] >= 0 && strcmp(rp_cell(X, r, c[18]), "NA") != 0 && strcmp(rp_cell(X, r, c[18]), "0") != 0) {
				kputs("; ", s); rp_esc(s, rp_cell(X, r, c[18])); kputs(" typed loci left out (not in the database)", s);
			}
		} else rp_esc(s, via);
		kputs("</td></tr>\n", s);
	}
	kputs("</tbody></table>\n", s);
}

static const char *page_of(const rp_run_t *R, const char *remain)
{
	int lo = 0, hi = R->n_remain;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (strcmp(R->r[mid].id, remain) < 0) lo = mid + 1; else hi = mid;
	}
	return lo < R->n_remain && strcmp(R->r[lo].id, remain) == 0 ? R->r[lo].page : NULL;
}

static void remain_link(kstring_t *s, const rp_run_t *R, const char *id)
{
	const char *pg = page_of(R, id);
	if (pg) { ksprintf(s, "<a href=\"../%s\">", pg); rp_esc(s, id); kputs("</a>", s); }
	else rp_esc(s, id);
}

static void remain_page(kstring_t *s, const rp_run_t *R, const rp_remain_t *r)
{
	const rp_table_t *M = &R->m;
	const int *mc = R->mc;
	kstring_t t = { 0, 0, NULL };
	ksprintf(&t, "%s — kinmatch report", r->id);
	head(s, t.s, "../");
	free(t.s);
	kputs("<header><h1>Remain ", s); rp_esc(s, r->id);
	kputs("</h1><p><a href=\"../index.html\">&larr; all remains</a> &middot; run <code>", s); rp_esc(s, R->dir); kputs("</code></p></header>\n<main>\n", s);
	/* the conclusion, in words */
	kputs("<h2>Conclusion</h2>\n<div class=\"say\"><p>", s);
	conc_span(s, r->conc);
	kputs(" ", s);
	double plr = r->best;
	const char *fam = r->family, *mis = r->missing;
	if (r->ident >= 0) {
		const char *ls = rp_cell(&R->id, (size_t)r->ident, R->ic[4]);
		if (strcmp(ls, "-inf") == 0) plr = KM_NEG_INF; else if (km_parse_double(ls, &plr) < 0) plr = (double)NAN;
	}
	if (fam && strcmp(fam, "*") != 0) {
		kputs("Candidate: missing person <b>", s); rp_esc(s, mis); kputs("</b> of family <b>", s); rp_esc(s, fam); kputs("</b>.</p>\n<p>", s);
		kputs("The DNA is ", s);
		lr_words(s, plr);
		kputs(" if remain ", s); rp_esc(s, r->id); kputs(" is ", s); rp_esc(s, mis);
		kputs(" than if it is unrelated to family ", s); rp_esc(s, fam);
		kputs(" (log10 LR ", s); fmt_num(s, plr, 2); kputs(").</p>\n<p>", s);
	} else kputs("No candidate is proposed.</p>\n<p>", s);
	if (r->ident >= 0) {
		const char *ps = rp_cell(&R->id, (size_t)r->ident, R->ic[5]);
		if (r->conc == RP_JOINT || r->conc == RP_INCONCLUSIVE || r->conc == RP_NOMATCH) {
			kputs("Posterior probability ", s); rp_esc(s, ps);
			if (r->conc == RP_NOMATCH) kputs(" that the remain is <b>none</b> of the missing persons", s);
			else { kputs(" that the remain <b>is</b> ", s); rp_esc(s, mis); }
			kputs(". The prior it rests on: every assignment of the remains of this remain's component to its candidate missing persons "
			      "(or to none), each missing person given at most one remain, is taken as equally likely beforehand (a flat prior, as in dvir's "
			      "<code>dviJoint</code>); the posterior of an assignment is its LR divided by the sum of all of them, and this number sums those that give the remain "
			      "this answer (dvir's <code>Bmarginal</code>). A different prior, e.g. from the circumstances of the find, changes it.", s);
		} else if (r->conc == RP_UNDISPUTED)
			kputs("No posterior is stated: an undisputed match rests on the LR alone, which is at least the threshold and that many times every other LR in its "
			      "row and column (dvir's <code>findUndisputed</code>), with no prior.", s);
		else kputs("No posterior is stated: an analyst confirmed this match (kinmatch review).", s);
	} else
		kputs("No posterior: the identification stage (<code>kinmatch match --dvi</code>) was not run. The LR is the weight of the DNA evidence alone; "
		      "a probability that the remain is this person also needs a prior (how many missing persons could it be, what else is known), which this run does not state.", s);
	kputs("</p></div>\n", s);
	/* candidates */
	kputs("<h2>Candidates</h2>\n", s);
	if (!r->nm) kputs("<p>No row in matches.tsv (no candidate compared on enough loci).</p>\n", s);
	else {
		kputs("<table class=\"sortable\"><thead><tr><th class=\"num\">rank</th><th>family</th><th>missing</th><th class=\"num\">log10 LR</th>"
		      "<th class=\"num\">STR</th><th class=\"num\">SNP</th><th class=\"num\">X</th><th class=\"num\">Y</th><th class=\"num\">mt</th><th class=\"num\">loci</th></tr></thead>\n<tbody>\n", s);
		for (size_t i = r->m0; i < r->m0 + r->nm; ++i) {
			size_t xn;
			long x0 = rp_explain_rows(R, r->id, rp_cell(M, i, mc[1]), rp_cell(M, i, mc[2]), &xn);
			kputs("<tr><td class=\"n\">", s); rp_esc(s, rp_cell(M, i, mc[3])); kputs("</td><td>", s);
			if (x0 >= 0) { kputs("<a href=\"#c", s); rp_esc(s, rp_cell(M, i, mc[3])); kputs("\">", s); }
			rp_esc(s, rp_cell(M, i, mc[1]));
			if (x0 >= 0) kputs("</a>", s);
			kputs("</td><td>", s); rp_esc(s, rp_cell(M, i, mc[2])); kputs("</td>", s);
			for (int k = 4; k <= 10; ++k) {
				const char *v = rp_cell(M, i, mc[k]);
				ksprintf(s, "<td class=\"lr\" data-v=\"%s\">", strcmp(v, "-inf") == 0 ? "-Infinity" : v);
				if (strcmp(v, "-inf") == 0) kputs("<span class=\"ex\">-inf</span>", s); else rp_esc(s, v);
				kputs("</td>", s);
			}
			kputs("</tr>\n", s);
		}
		kputs("</tbody></table>\n", s);
	}
	/* conflicts and exchangeable candidates */
	kputs("<h2>Conflicts and exchangeable candidates</h2>\n<ul>\n", s);
	int any = 0;
	if (r->nm >= 2 && isfinite(r->best)) {
		for (size_t i = r->m0 + 1; i < r->m0 + r->nm; ++i)
			if (strcmp(rp_cell(M, i, mc[4]), rp_cell(M, r->m0, mc[4])) == 0) {
				kputs("<li><b>Exchangeable:</b> ", s); rp_esc(s, rp_cell(M, i, mc[2])); kputs(" of family ", s); rp_esc(s, rp_cell(M, i, mc[1]));
				kputs(" has exactly the same LR as the rank-1 candidate (e.g. two missing brothers with the same references): the DNA cannot tell them apart.</li>\n", s);
				any = 1;
			}
	}
	if (r->n_strong >= 2) {
		ksprintf(s, "<li><b>Several strong families:</b> %d candidates of this remain have log10 LR &ge; 4.</li>\n", r->n_strong);
		any = 1;
	}
	if (fam && mis && strcmp(fam, "*") != 0 && R->midx) {
		kstring_t k = { 0, 0, NULL };
		int h;
		ksprintf(&k, "%s\t%s", fam, mis);
		if (k.s && khash_str2int_get(R->midx, k.s, &h) == 0)
			for (long i = h; i >= 0; i = R->mnext[i]) {
				double v;
				if (strcmp(rp_cell(M, (size_t)i, mc[0]), r->id) == 0) continue;
				if (km_parse_double(rp_cell(M, (size_t)i, mc[4]), &v) < 0 || v < 4.0) continue;
				kputs("<li><b>Another remain for the same person:</b> ", s); remain_link(s, R, rp_cell(M, (size_t)i, mc[0]));
				kputs(" has log10 LR ", s); rp_esc(s, rp_cell(M, (size_t)i, mc[4])); kputs(" for ", s); rp_esc(s, mis);
				kputs(" (rank ", s); rp_esc(s, rp_cell(M, (size_t)i, mc[3])); kputs(" there).</li>\n", s);
				any = 1;
			}
		free(k.s);
	}
	for (size_t i = 0; i < R->pairs.nrow; ++i) {   /* remain-pairs.tsv: this remain and another */
		const char *a = rp_cell(&R->pairs, i, R->pc[0]), *b = rp_cell(&R->pairs, i, R->pc[1]), *rel = rp_cell(&R->pairs, i, R->pc[2]);
		int me = strcmp(a, r->id) == 0;
		if (!me && strcmp(b, r->id) != 0) continue;
		kputs(strcmp(rel, "same-person") == 0 ? "<li><b>Another remain, the same person?</b> " : "<li><b>Another remain, a relative:</b> ", s);
		remain_link(s, R, me ? b : a);
		kputs(" (", s); rp_esc(s, rel); kputs(", log10 LR ", s); rp_esc(s, rp_cell(&R->pairs, i, R->pc[3]));
		kputs(" on ", s); rp_esc(s, rp_cell(&R->pairs, i, R->pc[4])); kputs(" loci; remain-pairs.tsv).</li>\n", s);
		any = 1;
	}
	if (!any) kputs("<li>None: no other strong family for this remain, no other strong remain for its candidate, no tie.</li>\n", s);
	kputs("</ul>\n", s);
	/* per explained candidate: the rows of matches.tsv, then the identification's
	 * candidate when matches.tsv does not hold it (explain.tsv has it, rank NA) */
	int shown = 0, id_seen = 0;
	for (size_t i = r->m0; i <= r->m0 + r->nm; ++i) {
		size_t xn;
		const char *f, *m, *rk;
		if (i < r->m0 + r->nm) {
			f = rp_cell(M, i, mc[1]), m = rp_cell(M, i, mc[2]), rk = rp_cell(M, i, mc[3]);
			if (fam && mis && strcmp(f, fam) == 0 && strcmp(m, mis) == 0) id_seen = 1;
		} else {
			if (id_seen || r->ident < 0 || !fam || strcmp(fam, "*") == 0) break;
			f = fam, m = mis, rk = "id";
		}
		long x0 = rp_explain_rows(R, r->id, f, m, &xn);
		if (x0 < 0) continue;
		++shown;
		kputs("<h2 id=\"c", s); rp_esc(s, rk); kputs("\">", s);
		if (strcmp(rk, "id") == 0) kputs("The identification's candidate (not among the rows of matches.tsv)", s);
		else { kputs("Rank ", s); rp_esc(s, rk); }
		kputs(": ", s); rp_esc(s, m); kputs(" of family ", s); rp_esc(s, f);
		if (i < r->m0 + r->nm) { kputs(" &mdash; log10 LR ", s); rp_esc(s, rp_cell(M, i, mc[4])); }
		kputs("</h2>\n", s);
		int fi = rp_family(R, f);
		if (fi >= 0) {
			kputs("<h3>Pedigree</h3>\n", s);
			rp_svg_pedigree(s, &R->peds.fam[fi], m, r->id);
			kputs("<p class=\"legend\">Squares men, circles women; shaded: references (typed; their sample ids); empty: untyped relatives; red outline with ?: missing persons; "
			      "the pink one is the candidate, with the remain placed on it. Couples are joined by a line, their children hang from the line below.</p>\n", s);
		}
		kputs("<h3>Per system and per locus</h3>\n", s);
		explain_table(s, R, x0, xn);
	}
	if (!shown) {
		if (!R->x.buf) kputs("<p class=\"note\">No per-locus table: this run has no explain.tsv (run <code>kinmatch match --explain-top N</code>).</p>\n", s);
		else kputs("<p class=\"note\">No candidate of this remain is among the explained rows of explain.tsv.</p>\n", s);
	}
	kputs("</main>\n<script src=\"../report.js\"></script>\n</body>\n</html>\n", s);
}

/* ---- the whole report ---------------------------------------------------------------------- */
static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

int rp_write(const rp_run_t *R, const char *outdir, km_err_t *e)
{
	kstring_t tmp = { 0, 0, NULL }, old = { 0, 0, NULL }, s = { 0, 0, NULL }, sub = { 0, 0, NULL };
	int ret = 0;
	ksprintf(&tmp, "%s.tmp.%ld", outdir, (long)getpid());
	ksprintf(&old, "%s.old.%ld", outdir, (long)getpid());
	ksprintf(&sub, "%s/r", tmp.s);
	if (!tmp.s || !old.s || !sub.s) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
	nftw(tmp.s, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(tmp.s, 0777) != 0 || mkdir(sub.s, 0777) != 0) { ret = km_err_set(e, KM_ECREATE, "%s: cannot create: %s", tmp.s, strerror(errno)); goto end; }
	if ((ret = put_file(tmp.s, "report.css", css, sizeof css - 1, e)) < 0) goto end;
	if ((ret = put_file(tmp.s, "report.js", js, sizeof js - 1, e)) < 0) goto end;
	index_page(&s, R);
	if (!s.s) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
	if ((ret = put_file(tmp.s, "index.html", s.s, s.l, e)) < 0) goto end;
	for (int i = 0; i < R->n_remain; ++i) {
		if (!R->r[i].page) continue;
		s.l = 0;
		remain_page(&s, R, &R->r[i]);
		if (!s.s) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto end; }
		if ((ret = put_file(tmp.s, R->r[i].page, s.s, s.l, e)) < 0) goto end;
	}
	/* into place: the old report aside, the new one in, the old one removed */
	struct stat st;
	int had = stat(outdir, &st) == 0;
	if (had && rename(outdir, old.s) != 0) { ret = km_err_set(e, KM_EIO, "%s: cannot move aside: %s", outdir, strerror(errno)); goto end; }
	if (rename(tmp.s, outdir) != 0) {
		ret = km_err_set(e, KM_EIO, "%s: cannot rename into place: %s", outdir, strerror(errno));
		if (had) rename(old.s, outdir);
		goto end;
	}
	if (had) nftw(old.s, rm_one, 16, FTW_DEPTH | FTW_PHYS);
end:
	if (ret < 0 && tmp.s) nftw(tmp.s, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp.s); free(old.s); free(s.s); free(sub.s);
	return ret;
}
