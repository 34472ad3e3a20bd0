/* tcache.h — the shared table cache of the compile stage (tcache.c; issue 10: its own
 * room, out of compile.c).
 * Families of the same shape whose references show the same genotypes at a locus have
 * the same table there: a pairwise family is fixed by its relationship and one reference
 * genotype, of which a locus has a few hundred, however many families there are.  Each
 * threads share one cache, split into KM_CACHE_SHARDS shards by the key's hash, each
 * with its own spin lock (a lookup copies the value out under the lock, so a shard may
 * grow meanwhile); a value is the same bits whichever thread computes it, so sharing
 * does not change any output, only how often a problem is solved twice.  Keyed by the
 * locus and a serialisation of the pruned pedigree with its genotypes: a key fully
 * describes the computation, so a hit is exact. */
#ifndef KM_TCACHE_H
#define KM_TCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "kmpriv.h"

/* table cache budget per thread (MiB of values), and the shards of the shared cache */
#define KM_CACHE_SHARDS 64
#define KM_CACHE_MB 512
/* the `inconsistent` column's flag cache (compile.c, km_comp_incompat): nc bytes a value */
#define KM_INCON_CACHE_MB 256
/* Only problems that can repeat are cached: the number of genotype combinations of the
 * typed persons must be small (one reference at an STR, a few at a SNP); multi-reference
 * STR problems almost never repeat and would only fill the cache. */
#define KM_CACHE_COMBOS 20000.0

typedef struct {
	uint64_t h;
	int locus, klen;
	size_t koff, voff;      /* into key / value arenas */
} km_tcentry_t;

typedef struct {
	size_t n, m;            /* entries, slots (power of 2) */
	km_tcentry_t *e;
	int32_t *key; size_t n_key, m_key;
	double *val; size_t n_val, m_val;
	size_t budget;          /* bytes of values; inserts stop beyond */
	long hits, misses;
} km_tcache_t;

typedef struct {
	_Alignas(64) km_tcache_t c;                 /* shards on separate cache lines */
	unsigned char lock;                        /* km_spin_lock */
} km_tshard_t;

static inline uint64_t km_tc_hash(int locus, const int32_t *k, int n)
{
	/* two words per step: half the dependent multiplies of a word-by-word hash */
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)locus;
	int i = 0;
	for (; i + 1 < n; i += 2) {
		h ^= (uint64_t)(uint32_t)k[i] | (uint64_t)(uint32_t)k[i + 1] << 32;
		h *= 0x9E3779B97F4A7C15ULL; h ^= h >> 29;
	}
	if (i < n) { h ^= (uint32_t)k[i]; h *= 0x9E3779B97F4A7C15ULL; h ^= h >> 29; }
	return h;
}

/* outside the lock: e and m are read atomically (a stale pair only prefetches the
 * wrong line; a prefetch never faults) */
static inline void km_tc_prefetch(const km_tcache_t *c, uint64_t h)
{
	size_t m = __atomic_load_n(&c->m, __ATOMIC_RELAXED);
	km_tcentry_t *e = __atomic_load_n(&c->e, __ATOMIC_RELAXED);
	if (m) __builtin_prefetch(&e[h & (m - 1)]);
}

static inline km_tshard_t *km_tc_shard(km_tshard_t *sh, uint64_t h)
{
	return &sh[(h >> 40) % KM_CACHE_SHARDS];   /* slots use the low bits */
}

static inline void km_tc_lock(km_tshard_t *s)
{
	km_spin_lock(&s->lock);
}

static inline void km_tc_unlock(km_tshard_t *s)
{
	km_spin_unlock(&s->lock);
}

void km_tc_free(km_tcache_t *c);
/* The value of (locus, key k[0..n)) with hash h, or NULL; under the shard's lock. */
const double *km_tc_get(const km_tcache_t *c, int locus, const int32_t *k, int n, uint64_t h);
/* Inserts a value of nv doubles (copied) unless the budget is spent; under the lock. */
void km_tc_put(km_tcache_t *c, int locus, const int32_t *k, int n, uint64_t h, const double *v, size_t nv);
/* A hit copies the row (nc values) and the homozygote block (nh doubles) out; returns
 * 1 with *inc the cached inconsistency flag, or 0. */
int km_tc_fetch(km_tshard_t *sh, int locus, const int32_t *k, int n, uint64_t h, double *T, size_t nc,
                double *hom, size_t nh, int *inc);
/* Stores a value unless another thread did first (the same bits either way). */
void km_tc_store(km_tshard_t *sh, int locus, const int32_t *k, int n, uint64_t h, const double *v, size_t nv);

#endif
