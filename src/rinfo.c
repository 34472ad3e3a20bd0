/* rinfo.c — --remain-info: per-remain facts: the allelic dropout probability, the
 * typing-error rate (issue 12 part 1) and the sex (CONTRACT.md: `1`/`male`, `2`/`female`;
 * empty, `0` or `unknown` = unknown).  Columns `sample` plus any of `dropout`,
 * `typing_error`, `sex` (more may follow).  A value here overrides --dropout /
 * --typing-error; an empty typing_error cell means the global rate. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kmpriv.h"
#include "pipe.h"

int km_rinfo_load(double *rd, double *re, const km_prof_t *rem, const char *fn, int *n_other, km_err_t *e)
{
	km_tsv_t *r = NULL;
	int ret, cs, cd, ce;
	uint8_t *seen = calloc((size_t)rem->n_sample + 1, 1);
	*n_other = 0;
	if (!seen) return km_err_set(e, KM_ENOMEM, "out of memory");
	if ((ret = km_tsv_open(&r, fn, e)) < 0) goto done;
	if ((ret = km_tsv_header(r, e)) < 0) goto done;
	if ((ret = km_tsv_need(r, "sample", &cs, e)) < 0) goto done;
	cd = km_tsv_col(r, "dropout");
	ce = re ? km_tsv_col(r, "typing_error") : -1;   /* models (issue 12 part 1) */
	if (cd < 0 && ce < 0 && km_tsv_col(r, "sex") < 0 && (ret = km_tsv_need(r, "dropout", &cd, e)) < 0) goto done;
	while ((ret = km_tsv_next(r, e)) > 0) {
		double d = 0.0, te = -1.0;
		const char *tok = cd >= 0 ? km_tsv_field(r, cd) : "";
		int s = km_prof_find(rem, km_tsv_field(r, cs));
		if (cd >= 0 && (km_parse_double(tok, &d) < 0 || !(d >= 0.0 && d < 1.0))) {
			ret = km_tsv_fail(r, cd, e, "dropout probability '%s' outside [0,1)", tok);
			goto done;
		}
		if (ce >= 0 && km_tsv_field(r, ce)[0]) {   /* empty: the global --typing-error */
			tok = km_tsv_field(r, ce);
			if (km_parse_double(tok, &te) < 0 || !(te >= 0.0 && te < 1.0)) {
				ret = km_tsv_fail(r, ce, e, "typing-error rate '%s' outside [0,1)", tok);
				goto done;
			}
		}
		if (s < 0) { ++*n_other; continue; }   /* a master list may name remains of other batches */
		if (seen[s]) { ret = km_tsv_fail(r, cs, e, "duplicate row for remain '%s'", km_tsv_field(r, cs)); goto done; }
		seen[s] = 1;
		if (cd >= 0) rd[s] = d;
		if (te >= 0.0) re[s] = te;
	}
done:
	if (r) km_tsv_close(r);
	free(seen);
	return ret < 0 ? ret : 0;
}

/* remain sex (dvi) */
int km_rinfo_sex(int *rsex, const km_prof_t *rem, const char *fn, int *any, km_err_t *e)
{
	km_tsv_t *r = NULL;
	int ret, cs, cx;
	*any = 0;
	for (int i = 0; i < rem->n_sample; ++i) rsex[i] = 0;
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	if ((ret = km_tsv_header(r, e)) < 0) goto done;
	if ((ret = km_tsv_need(r, "sample", &cs, e)) < 0) goto done;
	if ((cx = km_tsv_col(r, "sex")) < 0) goto done;
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *tok = km_tsv_field(r, cx);
		int sx;
		if (!*tok || strcmp(tok, "0") == 0 || strcasecmp(tok, "unknown") == 0) sx = 0;
		else if (strcmp(tok, "1") == 0 || strcasecmp(tok, "male") == 0) sx = KM_MALE;
		else if (strcmp(tok, "2") == 0 || strcasecmp(tok, "female") == 0) sx = KM_FEMALE;
		else { ret = km_tsv_fail(r, cx, e, "sex '%s' is not 1/male, 2/female, or 0/unknown/empty for unknown", tok); goto done; }
		int s = km_prof_find(rem, km_tsv_field(r, cs));
		if (s < 0) continue;   /* duplicates are reported by km_rinfo_load */
		rsex[s] = sx;
		if (sx) *any = 1;
	}
done:
	km_tsv_close(r);
	return ret < 0 ? ret : 0;
}
