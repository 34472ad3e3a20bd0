/* out_tsv.c — the rows of DIR/matches.tsv (CONTRACT.md, `kinmatch match`), written to a
 * sink of the output layer (out.h), which commits it with the run's other files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmpriv.h"
#include "pipe.h"
#include "lineage.h"

/* log10 LR with 6 decimals; -inf for an exclusion; no "-0.000000" */
void km_fmt_lr(char *buf, size_t n, double x)
{
	if (isnan(x)) snprintf(buf, n, "NA");
	else if (x == KM_NEG_INF) snprintf(buf, n, "-inf");
	else {
		snprintf(buf, n, "%.6f", x);
		if (strcmp(buf, "-0.000000") == 0) snprintf(buf, n, "0.000000");
	}
}

int km_lr_same_printed(double a, double b)
{
	char x[32], y[32];
	if (a == b) return 1;
	km_fmt_lr(x, sizeof x, a);
	km_fmt_lr(y, sizeof y, b);
	return strcmp(x, y) == 0;
}

/* Writes matches.tsv's header and rows to fp (a sink of the output layer, out.h).  0, or
 * KM_EIO when a write fails (the layer's commit catches what buffering hides). */
int km_out_matches(FILE *fp, const km_hits_t *hits, const km_tabs_t *t, const km_peds_t *peds,
                   const km_prof_t *rem, const struct km_lin_s *ylin, km_err_t *e)
{
	int bad = fputs("remain\tfamily\tmissing\trank\tlog10_lr\tlog10_lr_str\tlog10_lr_snp\tlog10_lr_x\tlog10_lr_y\tlog10_lr_mt\tloci\ty_ref\ty_meioses\tmt_ref\tmt_meioses", fp) < 0;
	/* extra columns after the contract's, in COORD.md's order; each only where it says something */
	int y_left = km_lin_y_nleft(ylin) > 0;   /* models, issue 12 part 3: Y loci the database lacks */
	if (hits->incon) bad |= fputs("\tinconsistent", fp) < 0;   /* models, issue 12 part 1 (E > 0) */
	if (y_left) bad |= fputs("\ty_left_out", fp) < 0;
	if (hits->tie) bad |= fputs("\ttie", fp) < 0;   /* dvi (issue 11 part 5): ties said out loud; only with --dvi (lead decision: default output byte-identical to 464ba7a) */
	bad |= fputs("\n", fp) < 0;
	for (size_t i = 0; i < hits->n && !bad; ++i) {
		const km_hit_t *h = &hits->h[i];
		const km_family_t *F = &peds->fam[t->cand[h->cand].fam];
		char b[KM_N_SYS + 1][32];
		km_fmt_lr(b[KM_N_SYS], 32, h->lr);
		for (int s = 0; s < KM_N_SYS; ++s) km_fmt_lr(b[s], 32, h->sys[s]);
		/* the lineage reference each system used (the explain output needs it); ids are
		 * printed whole, never cut */
		const char *lref[2] = { "NA", "NA" };
		char lk[2][16] = { "NA", "NA" };
		for (int k = 0; k < 2; ++k) {
			if (h->lin_ref[k] < 0) continue;
			lref[k] = F->person[h->lin_ref[k]].id;
			snprintf(lk[k], sizeof lk[k], "%d", h->lin_k[k]);
		}
		bad = fprintf(fp, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s", rem->sample[h->remain], F->id,
		              F->person[t->cand[h->cand].person].id, hits->rank[i], b[KM_N_SYS],
		              b[KM_SYS_STR], b[KM_SYS_SNP], b[KM_SYS_X], b[KM_SYS_Y], b[KM_SYS_MT], h->loci,
		              lref[0], lk[0], lref[1], lk[1]) < 0;
		if (hits->incon && !bad) bad = fprintf(fp, "\t%d", hits->incon[i]) < 0;
		if (y_left && !bad) {
			int n = km_lin_y_left_out(ylin, h->remain, t->cand[h->cand].fam, t->cand[h->cand].person);
			bad = (n < 0 ? fputs("\tNA", fp) : fprintf(fp, "\t%d", n)) < 0;
		}
		if (!bad && hits->tie) bad = fprintf(fp, "\t%d", hits->tie[i]) < 0;   /* tie (dvi) */
		if (!bad) bad = fputs("\n", fp) < 0;
	}
	if (bad) return km_err_set(e, KM_EIO, "matches.tsv: cannot write: %s", strerror(errno));
	return 0;
}
