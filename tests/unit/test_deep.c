/* test_deep.c — the linear-time pedigree walks of issue 15 part 3 against the quadratic
 * definitions they replaced, on random pedigrees (several founders' lines, random
 * references, ids whose byte order differs from the row order):
 * - lin_paths.c's lin_family (closest reference on the male or maternal line, ties by id)
 *   = for each person, walk up q's chain, then up each reference's chain to the first
 *   common ancestor (the pre-issue-15 lin_path);
 * - lik.c's km_lik_prune = remove untyped leaves other than q until none is left.
 * Deep chains (10,000 generations) are in tests/cases/deep_pedigree.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/lin_paths.c"
#include "lik.h"
#include "check.h"

static unsigned long long rs = 0x2545F4914F6CDD1DULL;
static unsigned urand(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (unsigned)(rs >> 33); }

/* the definition: walk up from q, then from each reference to the first common ancestor */
static void brute_path(const km_family_t *fm, int q, int male_line, const uint8_t *has, int *ref, int *k)
{
	int n = fm->n_person, *upos = malloc(sizeof(int) * (size_t)n);
	for (int i = 0; i < n; ++i) upos[i] = -1;
	*ref = -1, *k = 0;
	for (int a = q, i = 0; a >= 0; a = male_line ? fm->person[a].father : fm->person[a].mother, ++i) upos[a] = i;
	for (int r = 0; r < n; ++r) {
		int b = r, j = 0;
		if (!has[r] || r == q) continue;
		while (b >= 0 && upos[b] < 0) b = male_line ? fm->person[b].father : fm->person[b].mother, ++j;
		if (b < 0) continue;
		if (*ref < 0 || upos[b] + j < *k || (upos[b] + j == *k && strcmp(fm->person[r].id, fm->person[*ref].id) < 0))
			*ref = r, *k = upos[b] + j;
	}
	free(upos);
}

static void brute_prune(const km_lped_t *P, int q, int *keep)
{
	int n = P->n, changed = 1;
	for (int i = 0; i < n; ++i) keep[i] = 1;
	while (changed) {
		changed = 0;
		for (int i = 0; i < n; ++i) {
			if (!keep[i] || i == q || P->gt[2 * i] != KM_NOALLELE) continue;
			int has_child = 0;
			for (int c = 0; c < n && !has_child; ++c)
				if (keep[c] && (P->father[c] == i || P->mother[c] == i)) has_child = 1;
			if (!has_child) keep[i] = 0, changed = 1;
		}
	}
}

int main(void)
{
	enum { MAXP = 60 };
	int bad_path = 0, bad_prune = 0, found = 0, ties = 0;
	(void)tmpdir;
	for (int it = 0; it < 20000; ++it) {
		km_person_t pp[MAXP];
		char ids[MAXP][8];
		uint8_t has[MAXP];
		int n = 1 + (int)(urand() % MAXP), fa[MAXP], mo[MAXP], sex[MAXP], keep[MAXP], keep2[MAXP], w[18 * MAXP + 2];
		int32_t gt[2 * MAXP];
		km_family_t fm;
		memset(&fm, 0, sizeof fm);
		/* parents among earlier persons (a DAG: no cycles), a third founders */
		for (int i = 0; i < n; ++i) {
			sex[i] = 1 + (int)(urand() % 2);
			fa[i] = mo[i] = -1;
			if (i >= 2 && urand() % 3) {
				int f = (int)(urand() % i), m = (int)(urand() % i);
				for (int t = 0; t < 8 && sex[f] != KM_MALE; ++t) f = (int)(urand() % i);
				for (int t = 0; t < 8 && (sex[m] != KM_FEMALE || m == f); ++t) m = (int)(urand() % i);
				if (sex[f] == KM_MALE && sex[m] == KM_FEMALE && f != m) fa[i] = f, mo[i] = m;
			}
			snprintf(ids[i], sizeof ids[i], "%c%u", 'a' + (int)(urand() % 3), urand() % 50);
			memset(&pp[i], 0, sizeof pp[i]);
			pp[i].id = ids[i], pp[i].father = fa[i], pp[i].mother = mo[i], pp[i].sex = sex[i];
			has[i] = urand() % 4 == 0;
			gt[2 * i] = gt[2 * i + 1] = urand() % 3 == 0 ? 1 : KM_NOALLELE;
		}
		fm.n_person = n, fm.person = pp;
		for (int ml = 0; ml < 2; ++ml) {
			int ref[MAXP], k[MAXP];
			lin_family(&fm, ml, has, w, ref, k);
			for (int q = 0; q < n; ++q) {
				int r, kk;
				brute_path(&fm, q, ml, has, &r, &kk);
				if (r != ref[q] || (r >= 0 && kk != k[q])) {
					if (bad_path++ < 5) printf("FAIL case %d q %d line %d: ref %d k %d, want %d %d\n", it, q, ml, ref[q], k[q], r, kk);
				}
				if (r >= 0) ++found;
				/* a tie on distance decided by id: count them, so the test sees some */
				for (int o = 0; o < n && r >= 0; ++o)
					if (o != r && o != q && has[o]) {
						int r2, k2;
						uint8_t h1[MAXP];
						memset(h1, 0, sizeof h1);
						h1[o] = 1;
						brute_path(&fm, q, ml, h1, &r2, &k2);
						if (r2 == o && k2 == kk) { ++ties; break; }
					}
			}
		}
		int q = urand() % 4 == 0 ? -1 : (int)(urand() % n);
		km_lped_t P = { n, fa, mo, sex, gt, NULL };
		km_lik_prune(&P, q, keep);
		brute_prune(&P, q, keep2);
		if (memcmp(keep, keep2, sizeof(int) * (size_t)n) != 0 && bad_prune++ < 5) printf("FAIL prune case %d\n", it);
	}
	printf("# %d persons with a lineage reference, %d decided between equally close references\n", found, ties);
	check(bad_path == 0 && found > 10000 && ties > 1000, "lin_family = the chain walk (closest reference, ties by id)");
	check(bad_prune == 0, "km_lik_prune = repeated removal of untyped leaves");
	printf("%d passed, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}
