/* rinfo.c — --remain-info: per-remain facts, so far the allelic dropout probability.
 * Columns `sample dropout` (more may follow).  A value here overrides --dropout. */
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "pipe.h"

int km_rinfo_load(double *rd, const km_prof_t *rem, const char *fn, int *n_other, km_err_t *e)
{
	km_tsv_t *r = NULL;
	int ret, cs, cd;
	uint8_t *seen = calloc((size_t)rem->n_sample + 1, 1);
	*n_other = 0;
	if (!seen) return km_err_set(e, KM_ENOMEM, "out of memory");
	if ((ret = km_tsv_open(&r, fn, e)) < 0) goto done;
	if ((ret = km_tsv_header(r, e)) < 0) goto done;
	if ((ret = km_tsv_need(r, "sample", &cs, e)) < 0) goto done;
	if ((ret = km_tsv_need(r, "dropout", &cd, e)) < 0) goto done;
	while ((ret = km_tsv_next(r, e)) > 0) {
		double d;
		const char *tok = km_tsv_field(r, cd);
		int s = km_prof_find(rem, km_tsv_field(r, cs));
		if (km_parse_double(tok, &d) < 0 || !(d >= 0.0 && d < 1.0)) {
			ret = km_tsv_fail(r, cd, e, "dropout probability '%s' outside [0,1)", tok);
			goto done;
		}
		if (s < 0) { ++*n_other; continue; }   /* a master list may name remains of other batches */
		if (seen[s]) { ret = km_tsv_fail(r, cs, e, "duplicate row for remain '%s'", km_tsv_field(r, cs)); goto done; }
		seen[s] = 1;
		rd[s] = d;
	}
done:
	if (r) km_tsv_close(r);
	free(seen);
	return ret < 0 ? ret : 0;
}
