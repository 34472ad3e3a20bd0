/* tcache.c — the shared table cache (tcache.h): open addressing over one slot array,
 * keys and values in two arenas, a byte budget per shard. */
#include <stdlib.h>
#include <string.h>
#include "tcache.h"

void km_tc_free(km_tcache_t *c)
{
	free(c->e); free(c->key); free(c->val);
	memset(c, 0, sizeof(*c));
}

const double *km_tc_get(const km_tcache_t *c, int locus, const int32_t *k, int n, uint64_t h)
{
	if (!c->m) return NULL;
	for (size_t i = h & (c->m - 1); c->e[i].klen; i = (i + 1) & (c->m - 1)) {
		const km_tcentry_t *x = &c->e[i];
		if (x->h == h && x->locus == locus && x->klen == n && memcmp(c->key + x->koff, k, sizeof(int32_t) * n) == 0)
			return c->val + x->voff;
	}
	return NULL;
}

void km_tc_put(km_tcache_t *c, int locus, const int32_t *k, int n, uint64_t h, const double *v, size_t nv)
{
	if ((c->n_val + nv) * sizeof(double) > c->budget) return;
	if (2 * (c->n + 1) > c->m) {                         /* grow the slot array */
		size_t m = c->m ? 2 * c->m : 1024;
		km_tcentry_t *e = calloc(m, sizeof(km_tcentry_t));
		if (!e) return;
		for (size_t i = 0; i < c->m; ++i) {
			if (!c->e[i].klen) continue;
			size_t j = c->e[i].h & (m - 1);
			while (e[j].klen) j = (j + 1) & (m - 1);
			e[j] = c->e[i];
		}
		free(c->e);
		__atomic_store_n(&c->e, e, __ATOMIC_RELAXED);
		__atomic_store_n(&c->m, m, __ATOMIC_RELAXED);
	}
	if (c->n_key + (size_t)n > c->m_key) {
		size_t m = (c->n_key + (size_t)n) * 2;
		int32_t *t = realloc(c->key, sizeof(int32_t) * m);
		if (!t) return;
		c->key = t, c->m_key = m;
	}
	if (c->n_val + nv > c->m_val) {
		size_t m = (c->n_val + nv) * 2;
		double *t = realloc(c->val, sizeof(double) * m);
		if (!t) return;
		c->val = t, c->m_val = m;
	}
	size_t i = h & (c->m - 1);
	while (c->e[i].klen) i = (i + 1) & (c->m - 1);
	c->e[i].h = h, c->e[i].locus = locus, c->e[i].klen = n, c->e[i].koff = c->n_key, c->e[i].voff = c->n_val;
	memcpy(c->key + c->n_key, k, sizeof(int32_t) * n); c->n_key += (size_t)n;
	memcpy(c->val + c->n_val, v, sizeof(double) * nv); c->n_val += nv;
	++c->n;
}

int km_tc_fetch(km_tshard_t *sh, int locus, const int32_t *k, int n, uint64_t h, double *T, size_t nc,
                       double *hom, size_t nh, int *inc)
{
	km_tshard_t *s = km_tc_shard(sh, h);
	km_tc_lock(s);
	const double *v = km_tc_get(&s->c, locus, k, n, h);
	if (v) {
		*inc = v[0] != 0.0;
		memcpy(T, v + 1, sizeof(double) * nc);
		if (nh) memcpy(hom, v + 1 + nc, sizeof(double) * nh);
	}
	km_tc_unlock(s);
	return v != NULL;
}

void km_tc_store(km_tshard_t *sh, int locus, const int32_t *k, int n, uint64_t h, const double *v, size_t nv)
{
	km_tshard_t *s = km_tc_shard(sh, h);
	km_tc_lock(s);
	if (!km_tc_get(&s->c, locus, k, n, h)) km_tc_put(&s->c, locus, k, n, h, v, nv);   /* another thread's? */
	km_tc_unlock(s);
}
