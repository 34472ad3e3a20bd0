/* test_shard.c — the split of the families over shards (shard.c, km_shard_families):
 * every family in exactly one shard, the shards' summed costs each within one family's
 * cost of an equal share, families of one shape together (a shape spans two shards only
 * where a cut falls inside it: at most shapes + N - 1 (shape, shard) pairs), and the
 * split independent of the order the families are listed in. */
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>
#include "kmpriv.h"
#include "shard.h"
#include "check.h"

/* nf families of three shapes: a sibling (cheap), a nephew through a brother, four
 * nephews (dear); ids in the order given by perm */
static void make_peds(kstring_t *k, int nf, const int *perm)
{
	kputs("family\tperson\tfather\tmother\tsex\trole\n", k);
	for (int j = 0; j < nf; ++j) {
		int f = perm[j], shape = f % 3;
		char id[16];
		snprintf(id, sizeof id, "F%04d", f);
		ksprintf(k, "%s\t%s-U1\t0\t0\t1\tuntyped\n%s\t%s-U2\t0\t0\t2\tuntyped\n", id, id, id, id);
		ksprintf(k, "%s\t%s-M1\t%s-U1\t%s-U2\t1\tmissing\n", id, id, id, id);
		if (shape == 0) { ksprintf(k, "%s\t%s-R1\t%s-U1\t%s-U2\t1\treference\n", id, id, id, id); continue; }
		ksprintf(k, "%s\t%s-U3\t%s-U1\t%s-U2\t1\tuntyped\n%s\t%s-U4\t0\t0\t2\tuntyped\n", id, id, id, id, id, id);
		for (int r = 1; r <= (shape == 1 ? 1 : 4); ++r) ksprintf(k, "%s\t%s-R%d\t%s-U3\t%s-U4\t1\treference\n", id, id, r, id, id);
	}
}

int main(void)
{
	enum { NF = 97 };
	int perm[NF], rev[NF];
	for (int i = 0; i < NF; ++i) perm[i] = i, rev[i] = NF - 1 - i;
	kstring_t a = { 0, 0, NULL }, b = { 0, 0, NULL };
	km_peds_t pa, pb;
	km_err_t e;
	make_peds(&a, NF, perm), make_peds(&b, NF, rev);
	if (km_peds_load_mem(&pa, "a", a.s, a.l, &e) < 0 || km_peds_load_mem(&pb, "b", b.s, b.l, &e) < 0) {
		printf("FAIL pedigrees: %s\n", e.msg);
		return 1;
	}
	double total = 0.0, maxc = 0.0;
	for (int f = 0; f < NF; ++f) {
		double c = km_shard_cost(&pa.fam[f]);
		total += c;
		if (c > maxc) maxc = c;
	}
	for (int n = 1; n <= 9; ++n) {
		int fa[NF], fb[NF], good_one = 1, good_bal = 1, good_order = 1, pairs = 0;
		double load[9] = { 0 };
		int seen[3][9] = { { 0 } };
		km_shard_families(&pa, n, fa, &e), km_shard_families(&pb, n, fb, &e);
		for (int f = 0; f < NF; ++f) {
			good_one &= fa[f] >= 0 && fa[f] < n;
			if (fa[f] < 0 || fa[f] >= n) continue;
			load[fa[f]] += km_shard_cost(&pa.fam[f]);
			int shape = atoi(pa.fam[f].id + 1) % 3;
			pairs += !seen[shape][fa[f]]++;
			/* the same family (by id) in the same shard whatever the listing order */
			good_order &= fb[NF - 1 - f] == fa[f];
		}
		for (int k = 0; k < n; ++k) good_bal &= load[k] >= total / n - maxc && load[k] <= total / n + maxc;
		char what[128];
		snprintf(what, sizeof what, "N = %d: every family in one of the N shards", n);
		check(good_one, what);
		snprintf(what, sizeof what, "N = %d: each shard's cost within one family's of total / N", n);
		check(good_bal, what);
		snprintf(what, sizeof what, "N = %d: %d (shape, shard) pairs, at most 3 + N - 1", n, pairs);
		check(pairs <= 3 + n - 1, what);
		snprintf(what, sizeof what, "N = %d: the split does not depend on the families' order", n);
		check(good_order, what);
	}
	km_peds_destroy(&pa), km_peds_destroy(&pb);
	free(a.s), free(b.s);
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
