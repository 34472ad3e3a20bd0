/* amel.c — sex from amelogenin (issue 12 part 4).
 *
 * Every STR kit types amelogenin (AMELX on Xp22.2, AMELY on Yp11.2; one primer pair, two
 * amplicons differing by a 6 bp deletion in AMELX intron 1: Sullivan et al. 1993,
 * BioTechniques 15:636).  A profile row for a panel marker of type AMEL has alleles X and
 * Y: X/Y (or Y alone) is a man, X/X (or X alone) a woman.  The marker is read for the
 * sex only and is never a locus of the LR (its type is outside the scan's systems).
 *
 * Remains: in a degraded sample the Y amplicon may drop out, so with dropout d > 0 an
 * X-only call counts as unknown; a Y is always a man.  The sex feeds the remain's sex
 * (identification, candidate sexes); a sex given in --remain-info wins, and a
 * contradiction is a warning (the analyst decides).
 * References: living relatives, typed from good samples (d = 0), so an amelogenin call
 * that contradicts the pedigree's sex is an input error naming the AMEL row: a swapped
 * sample or a wrong pedigree.  Known caveat, left to the analyst: AMELY deletions (men
 * typed X only; rare, up to a few percent in some South Asian populations; Jobling et
 * al. 2007, Int J Legal Med 121:237) — correct such a reference's row or leave AMEL out.
 * VCF input carries no AMEL (prof_vcf.c skips such records).
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"

static const char *sex_name(int s) { return s == KM_MALE ? "male" : s == KM_FEMALE ? "female" : "unknown"; }

int km_amel_call(const km_panel_t *p, const km_freqs_t *f, const km_prof_t *pr, int s, int *row)
{
	*row = -1;
	for (int i = 0; i < pr->n_amel; ++i) {
		const struct km_amel_row_s *a = &pr->amel[i];
		if (a->s != s) continue;
		const int32_t *g = km_prof_gt(pr, s, a->m);
		const km_alleles_t *al = &f->loc[a->m];
		int y = 0;
		for (int k = 0; k < 2; ++k)
			if (g[k] >= 0 && g[k] < al->n_allele && strcmp(al->label[g[k]], "Y") == 0) y = 1;
		(void)p;
		*row = i;
		return y ? KM_MALE : KM_FEMALE;
	}
	return 0;
}

int km_amel_check_refs(const km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, const km_freqs_t *f,
                       km_err_t *e)
{
	if (refs == NULL || refs->n_amel == 0) return 0;
	for (int fam = 0; fam < d->n_family; ++fam)
		for (int i = 0; i < d->fam[fam].n_person; ++i) {
			const km_person_t *q = &d->fam[fam].person[i];
			int row, sx;
			if (q->role != KM_ROLE_REFERENCE || q->sample < 0) continue;
			if ((sx = km_amel_call(p, f, refs, q->sample, &row)) == 0 || sx == q->sex) continue;
			const struct km_amel_row_s *a = &refs->amel[row];
			return km_err_at(e, refs->fn, a->line, a->col,
			                 "reference '%s': amelogenin says %s, but family '%s' has them %s (%s line %d)",
			                 q->id, sex_name(sx), d->fam[fam].id, sex_name(q->sex), d->fn ? d->fn : "pedigrees", q->line);
		}
	return 0;
}

int km_amel_remains(int *rsex, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *rem, const double *rd,
                    const int *given, const char *given_fn)
{
	int n_bad = 0, first = -1, first_a = 0;
	for (int r = 0; r < rem->n_sample; ++r) {
		int row, a = km_amel_call(p, f, rem, r, &row);
		if (a == KM_FEMALE && rd && rd[r] > 0.0) a = 0;   /* X only, but a Y may have dropped out */
		rsex[r] = given && given[r] ? given[r] : a;
		if (given && given[r] && a && a != given[r]) {
			if (n_bad++ == 0) first = r, first_a = a;
		}
	}
	if (n_bad > 0)
		km_warn("%d remain%s: amelogenin contradicts the sex in %s (e.g. '%s': amelogenin %s, given %s); the given sex is used",
		        n_bad, n_bad == 1 ? "" : "s", given_fn ? given_fn : "--remain-info", rem->sample[first], sex_name(first_a),
		        sex_name(given[first]));
	return n_bad;
}
