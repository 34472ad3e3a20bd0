/* sim.c — `kinmatch simulate`: families, gene dropping, degraded remains, output.
 *
 * Per family (one generator each, see sim.h):
 *   shape -> persons (parents before children) -> genotypes by gene dropping ->
 *   mtDNA along maternal lines -> text rows of pedigrees/references/mtdna -> remains
 *   of the missing persons, degraded, kept as compact allele codes.
 * Families are generated in batches in parallel into per-family buffers and written in
 * family order.  The remains are written at the end, in the order of their ids, which
 * are a random permutation so that ids say nothing about the truth.
 *
 * Genotype codes (int32 while a family is built, int16 in the remains store):
 * autosomal / X / SNP: allele index into the marker's frequency table; Y-STR: repeat
 * number x 10 (so 11.2 -> 112); KM_NOALLELE = no call, KM_HEMI in slot 1 = one copy.
 *
 * Degradation of a remain (documented in the usage text and the report):
 *   d ~ dropout_max * Beta(k mu, k (1 - mu)), mu = dropout_mean / dropout_max, k = 4,
 *   so E[d] = dropout_mean and d <= dropout_max; mean == max gives d = max for all.
 *   Locus failure: phi = min(0.95, locus_fail * d) at a locus of average amplicon
 *   length, 1 - (1 - phi)^(L / Lmean) at a locus with amplicon_len L (template decays
 *   with fragment length, so long amplicons fail first).  Then at a diploid locus each
 *   allele drops with probability d; one left shows as a homozygote, none = no call.
 *   Hemizygous X and Y loci only fail.  mtDNA is not degraded (many copies per cell).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>
#include <htslib/thread_pool.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "kmpriv.h"
#include "lik.h"
#include "rcrs.h"
#include "sim.h"
#include "out.h"

#define SIM_MAXP 16       /* persons per family: the largest shape has 12 */
#define SIM_MAXMISS 2     /* missing persons per family */
#define SIM_BATCH 2048    /* families generated between two writes */

static const char *const shape_name[KM_N_SHAPE] = {
	"sib", "nephew_b", "nephew_s", "gnephew_b", "gnephew_s", "cousin", "parent", "child", "halfsib"
};

/* The memorial's references are mostly siblings' descendants; parents and children are
 * rare after 77 years. */
static const double shape_default[KM_N_SHAPE] = { 0.15, 0.20, 0.15, 0.15, 0.10, 0.10, 0.04, 0.04, 0.07 };

const char *km_sim_shape_name(int s)
{
	return s >= 0 && s < KM_N_SHAPE ? shape_name[s] : "?";
}

void km_simopt_init(km_simopt_t *o)
{
	memset(o, 0, sizeof *o);
	o->mutation = KM_MUT_STEPWISE;  /* same defaults as match */
	o->range = 0.5;
	o->rate2 = 0.0;
	o->mt_rate = KM_SIM_MT_RATE;
	o->n_family = 0;
	o->remain_frac = 0.2;
	o->n_unrelated = -1;
	memcpy(o->mix, shape_default, sizeof o->mix);
	o->female_frac = 0.02;          /* soldiers: a few nurses and civilians */
	o->two_missing = 0.03;
	o->dropout_mean = 0.1;
	o->dropout_max = 0.5;
	o->locus_fail = 1.0;
	o->seed = 1;
#ifdef _OPENMP
	o->threads = omp_get_num_procs();
#else
	o->threads = 1;
#endif
}

int km_simopt_check(const km_simopt_t *o, km_err_t *e)
{
	double s = 0.0;
	if (!o->panel) return km_err_set(e, KM_EUSAGE, "--panel is required (see kinmatch simulate --help)");
	if (!o->freqs) return km_err_set(e, KM_EUSAGE, "--freqs is required (see kinmatch simulate --help)");
	if (!o->out) return km_err_set(e, KM_EUSAGE, "--out is required (see kinmatch simulate --help)");
	if (o->n_family < 1) return km_err_set(e, KM_EUSAGE, "--families is required (see kinmatch simulate --help)");
	for (int k = 0; k < KM_N_SHAPE; ++k) s += o->mix[k];
	if (!(s > 0.0)) return km_err_set(e, KM_EUSAGE, "--mix: every weight is 0");
	if (o->dropout_mean > o->dropout_max)
		return km_err_set(e, KM_EUSAGE, "--dropout-mean %g is above --dropout-max %g", o->dropout_mean, o->dropout_max);
	return 0;
}

int km_sim_mix_parse(const char *s, double *mix, km_err_t *e)
{
	double w[KM_N_SHAPE] = { 0 };
	const char *p = s;
	while (*p) {
		const char *q = strchr(p, ','), *c;
		size_t n = q ? (size_t)(q - p) : strlen(p);
		char buf[64], *end;
		int k;
		if (n == 0 || n >= sizeof buf) return km_err_set(e, KM_EUSAGE, "--mix: bad entry in '%s' (expected SHAPE:WEIGHT,...)", s);
		memcpy(buf, p, n), buf[n] = 0;
		if ((c = strchr(buf, ':')) == NULL)
			return km_err_set(e, KM_EUSAGE, "--mix: '%s' is not SHAPE:WEIGHT", buf);
		for (k = 0; k < KM_N_SHAPE; ++k)
			if (strlen(shape_name[k]) == (size_t)(c - buf) && strncmp(buf, shape_name[k], c - buf) == 0) break;
		if (k == KM_N_SHAPE)
			return km_err_set(e, KM_EUSAGE, "--mix: unknown shape '%.*s' (expected sib, nephew_b, nephew_s, gnephew_b, "
			                  "gnephew_s, cousin, parent, child or halfsib)", (int)(c - buf), buf);
		errno = 0;
		w[k] = strtod(c + 1, &end);
		if (c[1] == 0 || *end != 0 || errno || !(w[k] >= 0.0) || !isfinite(w[k]))
			return km_err_set(e, KM_EUSAGE, "--mix: weight '%s' of %s is not a number >= 0", c + 1, shape_name[k]);
		p += n;
		if (*p == ',') ++p;
	}
	memcpy(mix, w, sizeof w);
	return 0;
}

/* ---- samplers ---------------------------------------------------------------------- */

typedef struct {
	int type;                 /* km_sys_t */
	int n;                    /* alleles in the frequency table */
	const char *name;
	size_t name_len;
	const char *const *label; /* allele labels (the frequency table's) */
	size_t *label_len;
	gsl_ran_discrete_t *disc; /* founder alleles, frequencies renormalised */
	double *M[2];             /* transmission matrices: [0] mother (rate_f), [1] father (rate_m); NULL = none */
	double ymu;               /* Y-STR: mutation rate per father -> son meiosis */
	int ycol;                 /* Y-STR: column of the y-db, -1 = not simulated */
	double amp;               /* amplicon length / panel mean; 1 where unknown */
} sim_marker_t;

struct km_sim_s {
	km_simopt_t o;
	const km_panel_t *p;
	const km_freqs_t *f;
	const km_ydb_t *ydb;
	const km_mtset_t *mdb;
	int nm;
	sim_marker_t *mk;
	gsl_ran_discrete_t *ydisc; /* y-db rows weighted by their count */
	double mix_cum[KM_N_SHAPE];
	int last_shape;            /* last shape with weight > 0 (rounding fallback) */
	int wf;                    /* digits of family ids */
};

unsigned long km_sim_seed(unsigned long seed, uint32_t i)
{
	/* murmur3's finaliser is a bijection of 32-bit words, so streams i != j of one run
	 * get different seeds: no two families share a generator state.  gsl's mt19937
	 * takes 32 bits of seed. */
	uint64_t s = seed;
	uint32_t h = (uint32_t)(s ^ (s >> 32)) * 0x9e3779b1u;
	h = (h ^ (h >> 16)) * 0x85ebca6bu;
	h += i;
	h ^= h >> 16; h *= 0x85ebca6bu;
	h ^= h >> 13; h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

void km_sim_destroy(km_sim_t *S)
{
	if (S == NULL) return;
	for (int m = 0; m < S->nm && S->mk; ++m) {
		gsl_ran_discrete_free(S->mk[m].disc);
		free(S->mk[m].M[0]);
		free(S->mk[m].M[1]);
		free(S->mk[m].label_len);
	}
	free(S->mk);
	if (S->ydisc) gsl_ran_discrete_free(S->ydisc);
	free(S);
}

/* 1 if M is the identity (no mutation at this rate) */
static int mat_is_identity(const double *M, int n)
{
	for (int i = 0; i < n; ++i)
		if (M[(size_t)i * n + i] != 1.0) return 0;
	return 1;
}

int km_sim_init(km_sim_t **Sp, const km_simopt_t *o, const km_panel_t *p, const km_freqs_t *f,
                const km_ydb_t *ydb, const km_mtset_t *mdb, const double *amp, km_err_t *e)
{
	km_sim_t *S = calloc(1, sizeof *S);
	int ret = 0, n_amp = 0;
	double amp_sum = 0.0, s = 0.0;
	*Sp = NULL;
	if (S == NULL || (S->mk = calloc(p->n_marker + 1, sizeof *S->mk)) == NULL) {
		free(S);
		return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	S->o = *o, S->p = p, S->f = f, S->ydb = ydb, S->mdb = mdb, S->nm = p->n_marker;
	for (int k = 0; k < KM_N_SHAPE; ++k) s += o->mix[k];
	for (int k = 0; k < KM_N_SHAPE; ++k) {
		S->mix_cum[k] = (k ? S->mix_cum[k - 1] : 0.0) + o->mix[k] / s;
		if (o->mix[k] > 0.0) S->last_shape = k;
	}
	S->wf = 6;
	for (long n = o->n_family; n >= 1000000; n /= 10) ++S->wf;
	for (int m = 0; amp && m < p->n_marker; ++m)
		if (amp[m] > 0.0) amp_sum += amp[m], ++n_amp;
	for (int m = 0; m < p->n_marker; ++m) {
		sim_marker_t *mk = &S->mk[m];
		const km_marker_t *pm = &p->marker[m];
		const km_alleles_t *al = &f->loc[m];
		mk->type = pm->type, mk->name = pm->name, mk->name_len = strlen(pm->name);
		mk->ycol = -1;
		mk->amp = amp && amp[m] > 0.0 ? amp[m] / (amp_sum / n_amp) : 1.0;
		if (pm->type == KM_TYPE_AMEL) continue;   /* amelogenin is not simulated: left untyped */
		if (pm->type == KM_SYS_Y) {
			mk->ymu = pm->rate_m;
			for (int j = 0; ydb && j < ydb->n_col; ++j)
				if (ydb->marker[j] == m) mk->ycol = j;
			continue;
		}
		mk->n = al->n_allele;
		mk->label = (const char *const *)al->label;
		if ((mk->label_len = malloc(sizeof(size_t) * (mk->n + 1))) == NULL ||
		    (mk->disc = gsl_ran_discrete_preproc(mk->n, al->p)) == NULL) {
			ret = km_err_set(e, KM_ENOMEM, "out of memory");
			goto fail;
		}
		for (int a = 0; a < mk->n; ++a) mk->label_len[a] = strlen(al->label[a]);
		if (pm->type == KM_SYS_SNP || o->mutation == KM_MUT_NONE) continue; /* SNPs do not mutate, as in match */
		for (int k = 0; k < 2; ++k) {
			double r = k ? pm->rate_m : pm->rate_f;
			double *M = malloc(sizeof(double) * (size_t)mk->n * mk->n + 1);
			if (M == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto fail; }
			if ((ret = km_mut_matrix(o->mutation, al, pm->name, r, o->range, o->rate2, M, e)) < 0) { free(M); goto fail; }
			if (mat_is_identity(M, mk->n)) free(M);
			else mk->M[k] = M;
		}
	}
	if (ydb && ydb->n_hap > 0) {
		double *w = malloc(sizeof(double) * ydb->n_hap);
		if (w == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto fail; }
		for (int h = 0; h < ydb->n_hap; ++h) w[h] = ydb->count ? ydb->count[h] : 1;
		S->ydisc = gsl_ran_discrete_preproc(ydb->n_hap, w);
		free(w);
		if (S->ydisc == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto fail; }
	}
	*Sp = S;
	return 0;
fail:
	km_sim_destroy(S);
	return ret;
}

/* ---- gene dropping ----------------------------------------------------------------- */

/* Allele a of a parent of sex `sex` as received by the child: row a of the parent's
 * transmission matrix.  One uniform decides, the diagonal first (no mutation). */
static int32_t transmit(const sim_marker_t *mk, int sex, int32_t a, gsl_rng *r)
{
	const double *M = mk->M[sex == KM_MALE], *row;
	double u;
	int32_t last = a;
	if (M == NULL) return a;
	row = M + (size_t)a * mk->n;
	u = gsl_rng_uniform(r);
	if (u < row[a]) return a;
	u -= row[a];
	for (int32_t j = 0; j < mk->n; ++j) {
		if (j == a || row[j] <= 0.0) continue;
		last = j;
		if ((u -= row[j]) < 0.0) return j;
	}
	return last; /* rounding: the row's last reachable allele */
}

static inline int32_t coin(gsl_rng *r)
{
	return (int32_t)(gsl_rng_get(r) & 1);
}

/* Y-STR value of the y-db (NAN, or -1 for more than two copies: not simulated) as a code */
static int32_t ycode(double v)
{
	return isnan(v) || v < 0.0 ? KM_NOALLELE : (int32_t)lround(v * 10.0);
}

void km_sim_drop(const km_sim_t *S, gsl_rng *r, int n, const int *fa, const int *mo, const int *sex, int32_t *g)
{
	const int nm = S->nm;
	for (int i = 0; i < n; ++i) {
		int32_t *gi = g + (size_t)i * nm * 2;
		const int32_t *gf = fa[i] >= 0 ? g + (size_t)fa[i] * nm * 2 : NULL;
		const int32_t *gm = mo[i] >= 0 ? g + (size_t)mo[i] * nm * 2 : NULL;
		long yhap = -1;
		if (sex[i] == KM_MALE && gf == NULL && S->ydisc) yhap = (long)gsl_ran_discrete(r, S->ydisc);
		for (int m = 0; m < nm; ++m) {
			const sim_marker_t *mk = &S->mk[m];
			int32_t *a = gi + 2 * m;
			switch (mk->type) {
			case KM_SYS_STR:
			case KM_SYS_SNP:
				if (gf == NULL) {
					a[0] = (int32_t)gsl_ran_discrete(r, mk->disc);
					a[1] = (int32_t)gsl_ran_discrete(r, mk->disc);
				} else {
					a[0] = transmit(mk, KM_MALE, gf[2 * m + coin(r)], r);
					a[1] = transmit(mk, KM_FEMALE, gm[2 * m + coin(r)], r);
				}
				break;
			case KM_SYS_X:
				/* a father gives his only X to daughters and none to sons */
				if (sex[i] == KM_MALE) {
					a[0] = gm == NULL ? (int32_t)gsl_ran_discrete(r, mk->disc)
					                  : transmit(mk, KM_FEMALE, gm[2 * m + coin(r)], r);
					a[1] = KM_HEMI;
				} else if (gf == NULL) {
					a[0] = (int32_t)gsl_ran_discrete(r, mk->disc);
					a[1] = (int32_t)gsl_ran_discrete(r, mk->disc);
				} else {
					a[0] = transmit(mk, KM_MALE, gf[2 * m], r);
					a[1] = transmit(mk, KM_FEMALE, gm[2 * m + coin(r)], r);
				}
				break;
			default: /* KM_SYS_Y */
				a[0] = a[1] = KM_NOALLELE;
				if (sex[i] != KM_MALE || mk->ycol < 0) break;
				if (gf == NULL) {
					const double *v = S->ydb->v + ((size_t)yhap * S->ydb->n_col + mk->ycol) * 2;
					if ((a[0] = ycode(v[0])) < 0) break;
					a[1] = isnan(v[1]) ? KM_HEMI : ycode(v[1]);
					if (a[1] == KM_NOALLELE) a[1] = KM_HEMI;
				} else {
					/* single-step model: each copy +1 with mu/2, -1 with mu/2 */
					a[0] = gf[2 * m], a[1] = gf[2 * m + 1];
					for (int k = 0; k < 2; ++k) {
						double u;
						if (a[k] < 0 || mk->ymu <= 0.0) continue;
						u = gsl_rng_uniform(r);
						if (u < 0.5 * mk->ymu) a[k] += 10;
						else if (u < mk->ymu && a[k] > 10) a[k] -= 10;
					}
					if (a[1] >= 0 && a[1] < a[0]) { int32_t t = a[0]; a[0] = a[1], a[1] = t; }
				}
				break;
			}
		}
	}
}

/* ---- one family ---------------------------------------------------------------------- */

typedef struct {
	int fa, mo, sex, role;
	char kind;                /* 'M' missing, 'R' reference, 'U' untyped */
	int num;                  /* k-th person of its kind */
} sim_person_t;

/* Per-thread scratch, made before the parallel region. */
typedef struct {
	int n, cnt[3];
	sim_person_t p[SIM_MAXP];
	int fa[SIM_MAXP], mo[SIM_MAXP], sex[SIM_MAXP];
	int32_t *g;               /* SIM_MAXP * nm * 2 */
	/* mtDNA: person i's variants are mv[mv_off[i] .. + mv_n[i]), ranges of msrc[i] */
	km_mtvar_t *mv;
	int n_mv, m_mv;
	int mv_off[SIM_MAXP], mv_n[SIM_MAXP];
	const km_mthap_t *msrc[SIM_MAXP];
	char id[64];
	int oom;
} sim_work_t;

/* A family's output, filled in parallel and written in family order. */
typedef struct {
	kstring_t ped, ref, mt;
	int shape, n_person, n_ref, n_miss, n_rem;
	int rem_num[SIM_MAXMISS];   /* number of the missing person, "-M<num>" */
	double rem_d[SIM_MAXMISS];
	int16_t *rg;                /* SIM_MAXMISS rows of nm * 2 codes */
	kstring_t rmt[SIM_MAXMISS]; /* "range\thaplotype" of each remain */
	int oom;
} sim_fout_t;

static void put(kstring_t *s, const char *p, size_t n, int *oom)
{
	if (kputsn(p, n, s) < 0) *oom = 1;
}

static void putc1(kstring_t *s, int c, int *oom)
{
	if (kputc(c, s) < 0) *oom = 1;
}

static void put_ycode(kstring_t *s, int32_t c, int *oom)
{
	if (kputw(c / 10, s) < 0) *oom = 1;
	if (c % 10) {
		putc1(s, '.', oom);
		putc1(s, '0' + c % 10, oom);
	}
}

/* One profile row "id marker a1 a2\n"; diploid calls in allele-index order. */
static void put_row(kstring_t *s, const char *id, size_t idl, const sim_marker_t *mk, int32_t a0, int32_t a1, int *oom)
{
	put(s, id, idl, oom);
	putc1(s, '\t', oom);
	put(s, mk->name, mk->name_len, oom);
	putc1(s, '\t', oom);
	if (a1 >= 0 && a1 < a0) { int32_t t = a0; a0 = a1, a1 = t; }
	if (mk->type == KM_SYS_Y) put_ycode(s, a0, oom);
	else put(s, mk->label[a0], mk->label_len[a0], oom);
	putc1(s, '\t', oom);
	if (a1 == KM_HEMI) putc1(s, '.', oom);
	else if (mk->type == KM_SYS_Y) put_ycode(s, a1, oom);
	else put(s, mk->label[a1], mk->label_len[a1], oom);
	putc1(s, '\n', oom);
}

static int add_person(sim_work_t *w, char kind, int fa, int mo, int sex)
{
	int i = w->n++, k = kind == 'M' ? 0 : kind == 'R' ? 1 : 2;
	sim_person_t *q = &w->p[i];
	q->fa = fa, q->mo = mo, q->sex = sex, q->kind = kind, q->num = ++w->cnt[k];
	q->role = kind == 'M' ? KM_ROLE_MISSING : kind == 'R' ? KM_ROLE_REFERENCE : KM_ROLE_UNTYPED;
	w->fa[i] = fa, w->mo[i] = mo, w->sex[i] = sex;
	return i;
}

static int rsex(gsl_rng *r)
{
	return gsl_rng_uniform(r) < 0.5 ? KM_MALE : KM_FEMALE;
}

static int msex(const km_sim_t *S, gsl_rng *r)
{
	return gsl_rng_uniform(r) < S->o.female_frac ? KM_FEMALE : KM_MALE;
}

/* 1-4 references, weighted towards few (most families gave one or two samples) */
static int n_refs(gsl_rng *r)
{
	double u = gsl_rng_uniform(r);
	return u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.90 ? 3 : 4;
}

/* Builds the persons of one family, parents before children.  Returns the shape. */
static int build_family(const km_sim_t *S, gsl_rng *r, sim_work_t *w)
{
	double u = gsl_rng_uniform(r);
	int shape = 0, k, two, F, Mo, M, i;
	while (shape < S->last_shape && !(u < S->mix_cum[shape] && S->o.mix[shape] > 0.0)) ++shape;
	k = n_refs(r);
	/* a second missing brother; not with `child`, where he would be the refs' uncle */
	two = shape != KM_SHAPE_CHILD && gsl_rng_uniform(r) < S->o.two_missing;
	w->n = 0, w->cnt[0] = w->cnt[1] = w->cnt[2] = 0;
	if (shape == KM_SHAPE_COUSIN) {
		int GF = add_person(w, 'U', -1, -1, KM_MALE), GM = add_person(w, 'U', -1, -1, KM_FEMALE), A, Sp;
		if (gsl_rng_uniform(r) < 0.5) { /* paternal cousins: the father's sibling */
			F = add_person(w, 'U', GF, GM, KM_MALE);
			Mo = add_person(w, 'U', -1, -1, KM_FEMALE);
		} else {
			F = add_person(w, 'U', -1, -1, KM_MALE);
			Mo = add_person(w, 'U', GF, GM, KM_FEMALE);
		}
		M = add_person(w, 'M', F, Mo, msex(S, r));
		if (two) add_person(w, 'M', F, Mo, msex(S, r));
		A = add_person(w, 'U', GF, GM, rsex(r));
		Sp = add_person(w, 'U', -1, -1, w->sex[A] == KM_MALE ? KM_FEMALE : KM_MALE);
		for (i = 0; i < k; ++i)
			add_person(w, 'R', w->sex[A] == KM_MALE ? A : Sp, w->sex[A] == KM_MALE ? Sp : A, rsex(r));
		return shape;
	}
	if (shape == KM_SHAPE_PARENT) {
		/* one parent, or both and (k - 2) siblings */
		int which = k == 1 ? (gsl_rng_uniform(r) < 0.5 ? 1 : 2) : 3;
		F = add_person(w, which & 1 ? 'R' : 'U', -1, -1, KM_MALE);
		Mo = add_person(w, which & 2 ? 'R' : 'U', -1, -1, KM_FEMALE);
	} else {
		F = add_person(w, 'U', -1, -1, KM_MALE);
		Mo = add_person(w, 'U', -1, -1, KM_FEMALE);
	}
	M = add_person(w, 'M', F, Mo, msex(S, r));
	if (two) add_person(w, 'M', F, Mo, msex(S, r));
	switch (shape) {
	case KM_SHAPE_SIB:
		for (i = 0; i < k; ++i) add_person(w, 'R', F, Mo, rsex(r));
		break;
	case KM_SHAPE_NEPHEW_B: {
		int B = add_person(w, 'U', F, Mo, KM_MALE), W = add_person(w, 'U', -1, -1, KM_FEMALE);
		for (i = 0; i < k; ++i) add_person(w, 'R', B, W, rsex(r));
		break;
	}
	case KM_SHAPE_NEPHEW_S: {
		int Si = add_person(w, 'U', F, Mo, KM_FEMALE), H = add_person(w, 'U', -1, -1, KM_MALE);
		for (i = 0; i < k; ++i) add_person(w, 'R', H, Si, rsex(r));
		break;
	}
	case KM_SHAPE_GNEPHEW_B: { /* brother -> his son -> grandson: M's Y line */
		int B = add_person(w, 'U', F, Mo, KM_MALE), W = add_person(w, 'U', -1, -1, KM_FEMALE);
		int N = add_person(w, 'U', B, W, KM_MALE), W2 = add_person(w, 'U', -1, -1, KM_FEMALE);
		for (i = 0; i < k; ++i) add_person(w, 'R', N, W2, i == 0 ? KM_MALE : rsex(r));
		break;
	}
	case KM_SHAPE_GNEPHEW_S: { /* sister -> her daughter -> her son: M's mtDNA line */
		int Si = add_person(w, 'U', F, Mo, KM_FEMALE), H = add_person(w, 'U', -1, -1, KM_MALE);
		int D = add_person(w, 'U', H, Si, KM_FEMALE), H2 = add_person(w, 'U', -1, -1, KM_MALE);
		for (i = 0; i < k; ++i) add_person(w, 'R', H2, D, i == 0 ? KM_MALE : rsex(r));
		break;
	}
	case KM_SHAPE_PARENT:
		for (i = 2; i < k; ++i) add_person(w, 'R', F, Mo, rsex(r));
		break;
	case KM_SHAPE_CHILD: {
		/* sometimes the children's other parent gave a sample too */
		int typed = k >= 2 && gsl_rng_uniform(r) < 0.3;
		int Sp = add_person(w, typed ? 'R' : 'U', -1, -1, w->sex[M] == KM_MALE ? KM_FEMALE : KM_MALE);
		int pa = w->sex[M] == KM_MALE ? M : Sp, ma = w->sex[M] == KM_MALE ? Sp : M;
		for (i = typed; i < k; ++i) add_person(w, 'R', pa, ma, rsex(r));
		break;
	}
	default: /* KM_SHAPE_HALFSIB */
		if (gsl_rng_uniform(r) < 0.5) {
			int Mo2 = add_person(w, 'U', -1, -1, KM_FEMALE);
			for (i = 0; i < k; ++i) add_person(w, 'R', F, Mo2, rsex(r));
		} else {
			int F2 = add_person(w, 'U', -1, -1, KM_MALE);
			for (i = 0; i < k; ++i) add_person(w, 'R', F2, Mo, rsex(r));
		}
		break;
	}
	return shape;
}

/* ---- mtDNA ------------------------------------------------------------------------- */

static int mv_reserve(sim_work_t *w, int extra)
{
	if (w->n_mv + extra <= w->m_mv) return 0;
	int m = w->m_mv ? w->m_mv : 256;
	while (m < w->n_mv + extra) m *= 2;
	km_mtvar_t *t = realloc(w->mv, sizeof *t * m);
	if (t == NULL) return (w->oom = 1), -1;
	w->mv = t, w->m_mv = m;
	return 0;
}

static char transition(char b)
{
	return b == 'A' ? 'G' : b == 'G' ? 'A' : b == 'C' ? 'T' : 'C';
}

/* One substitution at a uniform position of person i's range: a transition (most
 * control-region mutations are transitions) of the current base; back to the rCRS
 * base removes the variant. */
static void mt_mutate(sim_work_t *w, int i, gsl_rng *r)
{
	const km_mthap_t *h = w->msrc[i];
	long len = 0, u;
	int pos = 0, j, n = w->mv_n[i];
	km_mtvar_t *v = w->mv + w->mv_off[i];
	char cur, nb;
	for (j = 0; j < h->n_range; ++j) len += h->range[j][1] - h->range[j][0] + 1;
	if (len <= 0) return;
	u = (long)gsl_rng_uniform_int(r, (unsigned long)len);
	for (j = 0; j < h->n_range; ++j) {
		long l = h->range[j][1] - h->range[j][0] + 1;
		if (u < l) { pos = h->range[j][0] + (int)u; break; }
		u -= l;
	}
	for (j = 0; j < n && v[j].pos < pos; ++j) {} /* (pos, 0) sorts before insertions at pos */
	cur = km_rcrs[pos - 1];
	if (j < n && v[j].pos == pos && v[j].ins == 0 && strchr("ACGT", v[j].base)) cur = v[j].base;
	nb = transition(cur);
	if (j < n && v[j].pos == pos && v[j].ins == 0) {
		if (nb == km_rcrs[pos - 1]) { /* back to rCRS: drop the variant */
			memmove(v + j, v + j + 1, sizeof *v * (n - j - 1));
			--w->mv_n[i], --w->n_mv;
		} else {
			v[j].base = nb;
		}
		return;
	}
	if (mv_reserve(w, 1) < 0) return;
	v = w->mv + w->mv_off[i]; /* person i's list is the last one: it may grow in place */
	memmove(v + j + 1, v + j, sizeof *v * (n - j));
	v[j].pos = pos, v[j].ins = 0, v[j].base = nb;
	++w->mv_n[i], ++w->n_mv;
}

/* Founders draw a --mt-db haplotype; children copy their mother's and mutate. */
static void mt_drop(const km_sim_t *S, gsl_rng *r, sim_work_t *w)
{
	w->n_mv = 0;
	for (int i = 0; i < w->n; ++i) {
		const km_mtvar_t *src;
		int ns;
		if (w->mo[i] < 0) {
			const km_mthap_t *h = &S->mdb->hap[gsl_rng_uniform_int(r, (unsigned long)S->mdb->n)];
			w->msrc[i] = h, src = h->var, ns = h->n_var;
		} else {
			w->msrc[i] = w->msrc[w->mo[i]];
			ns = w->mv_n[w->mo[i]];
			src = NULL;
		}
		if (mv_reserve(w, ns) < 0) return;
		if (w->mo[i] >= 0) src = w->mv + w->mv_off[w->mo[i]]; /* after the realloc */
		w->mv_off[i] = w->n_mv, w->mv_n[i] = ns;
		if (ns > 0) memcpy(w->mv + w->n_mv, src, sizeof *src * ns);
		w->n_mv += ns;
		if (w->mo[i] >= 0 && S->o.mt_rate > 0.0) {
			unsigned int k = gsl_ran_poisson(r, S->o.mt_rate);
			while (k--) mt_mutate(w, i, r);
		}
	}
}

/* "range\thaplotype" of person i: intervals as the database gave them (sorted), variants
 * in (position, insertion) order; no difference from rCRS is written `rCRS`. */
static void put_mt(kstring_t *s, const sim_work_t *w, int i, int *oom)
{
	const km_mthap_t *h = w->msrc[i];
	const km_mtvar_t *v = w->mv + w->mv_off[i];
	for (int j = 0; j < h->n_range; ++j) {
		if (j) putc1(s, ' ', oom);
		if (ksprintf(s, "%d-%d", h->range[j][0], h->range[j][1]) < 0) *oom = 1;
	}
	putc1(s, '\t', oom);
	if (w->mv_n[i] == 0) put(s, "rCRS", 4, oom);
	for (int j = 0; j < w->mv_n[i]; ++j) {
		if (j) putc1(s, ' ', oom);
		if (v[j].ins > 0) { if (ksprintf(s, "%d.%d%c", v[j].pos, v[j].ins, v[j].base) < 0) *oom = 1; }
		else if (v[j].base == '-') { if (ksprintf(s, "%ddel", v[j].pos) < 0) *oom = 1; }
		else if (ksprintf(s, "%d%c", v[j].pos, v[j].base) < 0) *oom = 1;
	}
}

/* ---- degradation ------------------------------------------------------------------- */

/* A remain's dropout probability (see the head of this file).  Rounded to the 6 decimals
 * written to remain-info.tsv, so the file holds the value that was used. */
static double draw_dropout(const km_sim_t *S, gsl_rng *r)
{
	double mean = S->o.dropout_mean, dmax = S->o.dropout_max, d;
	if (mean <= 0.0) return 0.0;
	if (mean >= dmax) return dmax;
	double mu = mean / dmax;
	d = dmax * gsl_ran_beta(r, KM_SIM_BETA_CONC * mu, KM_SIM_BETA_CONC * (1.0 - mu));
	return nearbyint(d * 1e6) / 1e6;
}

/* Typing error (issue 12 part 1, the model of `match --typing-error`): with probability E
 * a call at an STR, SNP or X-STR is replaced by a genotype drawn from the marker's
 * frequencies (Hardy-Weinberg; one allele for a hemizygous call).  No draw at all when
 * E = 0, so the simulation is unchanged then. */
static void miscall(const km_sim_t *S, gsl_rng *r, const sim_marker_t *mk, int32_t *a0, int32_t *a1)
{
	if (S->o.typing_error <= 0.0 || *a0 < 0) return;
	if (!(mk->type == KM_SYS_STR || mk->type == KM_SYS_SNP || mk->type == KM_SYS_X)) return;
	if (!(gsl_rng_uniform(r) < S->o.typing_error)) return;
	*a0 = (int32_t)gsl_ran_discrete(r, mk->disc);
	if (*a1 >= 0) *a1 = (int32_t)gsl_ran_discrete(r, mk->disc);
}

/* Degrades person genotype g (nm * 2 codes) into out.  Returns the loci left typed. */
static int degrade(const km_sim_t *S, gsl_rng *r, double d, const int32_t *g, int16_t *out)
{
	double phi = fmin(KM_SIM_FAIL_MAX, S->o.locus_fail * d), l1 = log1p(-phi);
	int typed = 0;
	for (int m = 0; m < S->nm; ++m) {
		const sim_marker_t *mk = &S->mk[m];
		int32_t a0 = g[2 * m], a1 = g[2 * m + 1];
		out[2 * m] = out[2 * m + 1] = KM_NOALLELE;
		if (a0 < 0) continue;
		miscall(S, r, mk, &a0, &a1);   /* the error first, then dropout on the erroneous genotype */
		if (d > 0.0) {
			double pf = mk->amp == 1.0 ? phi : -expm1(mk->amp * l1);
			if (phi > 0.0 && gsl_rng_uniform(r) < pf) continue;
			if (mk->type == KM_SYS_STR || mk->type == KM_SYS_SNP || (mk->type == KM_SYS_X && a1 >= 0)) {
				int k0 = gsl_rng_uniform(r) < d, k1 = gsl_rng_uniform(r) < d;
				if (k0 && k1) continue;
				if (k0) a0 = a1;
				else if (k1) a1 = a0;
			}
		}
		out[2 * m] = (int16_t)a0, out[2 * m + 1] = (int16_t)a1;
		++typed;
	}
	return typed;
}

static void fam_id(const km_sim_t *S, long fi, char *buf, size_t n)
{
	snprintf(buf, n, "F%0*ld", S->wf, fi + 1);
}

/* Generates family fi into out (kstrings cleared, not freed). */
static void sim_family(const km_sim_t *S, long fi, gsl_rng *r, sim_work_t *w, sim_fout_t *out)
{
	char fid[32];
	size_t fl;
	int i, nm = S->nm;
	gsl_rng_set(r, km_sim_seed(S->o.seed, (uint32_t)fi));
	out->ped.l = out->ref.l = out->mt.l = 0;
	out->n_rem = out->n_ref = out->n_miss = 0;
	out->oom = 0;
	w->oom = 0;
	fam_id(S, fi, fid, sizeof fid);
	fl = strlen(fid);
	out->shape = build_family(S, r, w);
	out->n_person = w->n;
	km_sim_drop(S, r, w->n, w->fa, w->mo, w->sex, w->g);
	if (S->mdb) mt_drop(S, r, w);
	for (i = 0; i < w->n; ++i) {
		const sim_person_t *q = &w->p[i];
		int idl = snprintf(w->id, sizeof w->id, "%s-%c%d", fid, q->kind, q->num);
		put(&out->ped, fid, fl, &out->oom);
		putc1(&out->ped, '\t', &out->oom);
		put(&out->ped, w->id, idl, &out->oom);
		for (int k = 0; k < 2; ++k) {
			int pa = k ? q->mo : q->fa;
			putc1(&out->ped, '\t', &out->oom);
			if (pa < 0) putc1(&out->ped, '0', &out->oom);
			else if (ksprintf(&out->ped, "%s-%c%d", fid, w->p[pa].kind, w->p[pa].num) < 0) out->oom = 1;
		}
		put(&out->ped, q->sex == KM_MALE ? "\t1\t" : "\t2\t", 3, &out->oom);
		if (q->role == KM_ROLE_MISSING) put(&out->ped, "missing\n", 8, &out->oom);
		else if (q->role == KM_ROLE_REFERENCE) put(&out->ped, "reference\n", 10, &out->oom);
		else put(&out->ped, "untyped\n", 8, &out->oom);
		if (q->role == KM_ROLE_REFERENCE) { /* references are complete */
			const int32_t *g = w->g + (size_t)i * nm * 2;
			++out->n_ref;
			for (int m = 0; m < nm; ++m) {
				int32_t a0 = g[2 * m], a1 = g[2 * m + 1];
				miscall(S, r, &S->mk[m], &a0, &a1);   /* typing error (no draw when E = 0) */
				if (a0 >= 0) put_row(&out->ref, w->id, idl, &S->mk[m], a0, a1, &out->oom);
			}
			if (S->mdb) {
				put(&out->mt, w->id, idl, &out->oom);
				putc1(&out->mt, '\t', &out->oom);
				put_mt(&out->mt, w, i, &out->oom);
				putc1(&out->mt, '\n', &out->oom);
			}
		}
	}
	/* remains: missing persons in pedigree order, each found with probability remain_frac */
	for (i = 0; i < w->n; ++i) {
		if (w->p[i].role != KM_ROLE_MISSING) continue;
		++out->n_miss;
		if (!(gsl_rng_uniform(r) < S->o.remain_frac)) continue;
		int k = out->n_rem++;
		out->rem_num[k] = w->p[i].num;
		out->rem_d[k] = draw_dropout(S, r);
		degrade(S, r, out->rem_d[k], w->g + (size_t)i * nm * 2, out->rg + (size_t)k * nm * 2);
		out->rmt[k].l = 0;
		if (S->mdb) put_mt(&out->rmt[k], w, i, &out->oom);
	}
	if (w->oom) out->oom = 1;
}

/* Unrelated remain j: a lone founder, drawn from its own stream. */
static void sim_unrelated(const km_sim_t *S, long j, gsl_rng *r, sim_work_t *w, sim_fout_t *out)
{
	int fa = -1, mo = -1, sex;
	gsl_rng_set(r, km_sim_seed(S->o.seed, 0x80000000u + (uint32_t)j));
	out->oom = 0, w->oom = 0;
	sex = msex(S, r);
	km_sim_drop(S, r, 1, &fa, &mo, &sex, w->g);
	w->n = 1, w->mo[0] = -1;
	if (S->mdb) mt_drop(S, r, w);
	out->n_rem = 1;
	out->rem_d[0] = draw_dropout(S, r);
	degrade(S, r, out->rem_d[0], w->g, out->rg);
	out->rmt[0].l = 0;
	if (S->mdb) put_mt(&out->rmt[0], w, 0, &out->oom);
	if (w->oom) out->oom = 1;
}

/* ---- output files ------------------------------------------------------------------ */

enum { F_PED, F_REF, F_MT, F_REM, F_INFO, F_TRUTH, N_FILE };
static const char *const file_base[N_FILE] = { "pedigrees", "references", "mtdna", "remains", "remain-info", "truth" };

typedef struct {
	BGZF *fp[N_FILE];
	char *fin[N_FILE];        /* file names in DIR, for messages */
	hts_tpool *pool;
	km_out_t *out;            /* the output layer: every file a sink, committed together */
} sim_files_t;

static int files_open(sim_files_t *F, const km_simopt_t *o, int with_mt, km_err_t *e)
{
	if (o->gz && o->threads > 1 && (F->pool = hts_tpool_init(o->threads)) == NULL)
		return km_err_set(e, KM_ENOMEM, "cannot start compression threads");
	for (int k = 0; k < N_FILE; ++k) {
		const char *ext = o->gz ? ".tsv.gz" : ".tsv";
		int fd;
		if (k == F_MT && !with_mt) continue;
		if ((F->fin[k] = malloc(strlen(o->out) + 40)) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
		sprintf(F->fin[k], "%s/%s%s", o->out, file_base[k], ext);
		if ((fd = km_out_add_fd(F->out, F->fin[k] + strlen(o->out) + 1, e)) < 0) return fd;
		/* deflate level 1: ~10^8 rows must compress in seconds; the text is repetitive */
		if ((F->fp[k] = bgzf_dopen(fd, o->gz ? "w1" : "wu")) == NULL) {
			close(fd);
			return km_err_set(e, KM_ENOMEM, "%s: cannot open a stream", F->fin[k]);
		}
		if (F->pool && bgzf_thread_pool(F->fp[k], F->pool, 0) < 0)
			return km_err_set(e, KM_ENOMEM, "cannot start compression threads");
	}
	return 0;
}

static int fwrite_ks(sim_files_t *F, int k, const char *s, size_t n, km_err_t *e)
{
	if (n > 0 && bgzf_write(F->fp[k], s, n) != (ssize_t)n)
		return km_err_set(e, KM_EIO, "%s: write failed: %s", F->fin[k], strerror(errno));
	return 0;
}

static int fwrite_str(sim_files_t *F, int k, const char *s, km_err_t *e)
{
	return fwrite_ks(F, k, s, strlen(s), e);
}

/* Closes every stream; on success commits the files (out.h), else drops them. */
static int files_close(sim_files_t *F, int ok, km_err_t *e)
{
	int ret = 0;
	for (int k = 0; k < N_FILE; ++k) {
		if (F->fp[k] && bgzf_close(F->fp[k]) < 0 && ok && ret == 0)
			ret = km_err_set(e, KM_EIO, "%s: write failed: %s", F->fin[k], strerror(errno));
		F->fp[k] = NULL;
	}
	if (F->pool) hts_tpool_destroy(F->pool);
	F->pool = NULL;
	if (ok && ret == 0) ret = km_out_commit(F->out, e);
	else km_out_abort(F->out);
	for (int k = 0; k < N_FILE; ++k) free(F->fin[k]);
	memset(F, 0, sizeof *F);
	return ret;
}

/* ---- the remains store ----------------------------------------------------------------- */

typedef struct {
	long fam;                 /* family index, -1 = unrelated */
	int num, shape;           /* missing person "-M<num>"; shape of the family */
	double d;
	size_t mt_off;            /* "range\thaplotype" in the store's mt string */
	int mt_len;
	int typed;                /* loci with a call */
} sim_rem_t;

typedef struct {
	long n, m;
	sim_rem_t *r;
	int16_t *g;               /* n * nm * 2 */
	kstring_t mt;
} sim_rems_t;

static int rems_add(sim_rems_t *R, int nm, long fam, int num, int shape, double d, const int16_t *g, const kstring_t *mt)
{
	if (R->n == R->m) {
		long m = R->m ? R->m * 2 : 1024;
		sim_rem_t *t = realloc(R->r, sizeof *t * m);
		int16_t *tg;
		if (t == NULL) return -1;
		R->r = t;
		if ((tg = realloc(R->g, sizeof *tg * (size_t)m * nm * 2 + 1)) == NULL) return -1;
		R->g = tg, R->m = m;
	}
	sim_rem_t *x = &R->r[R->n];
	x->fam = fam, x->num = num, x->shape = shape, x->d = d;
	x->mt_off = R->mt.l, x->mt_len = (int)mt->l;
	x->typed = 0;
	memcpy(R->g + (size_t)R->n * nm * 2, g, sizeof *g * (size_t)nm * 2);
	for (int m = 0; m < nm; ++m) x->typed += g[2 * m] >= 0;
	if (mt->l && kputsn(mt->s, mt->l, &R->mt) < 0) return -1;
	++R->n;
	return 0;
}

/* ---- the run ---------------------------------------------------------------------------- */

/* amplicon_len of each marker from the panel file, if it has that column; *amp = NULL
 * otherwise.  The panel reader ignores the column, so it is read here. */
static int read_amplicons(const km_panel_t *p, const char *fn, double **amp, km_err_t *e)
{
	km_tsv_t *r = NULL;
	int ret, c_m, c_a;
	*amp = NULL;
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	if ((ret = km_tsv_header(r, e)) < 0 || (ret = km_tsv_need(r, "marker", &c_m, e)) < 0) goto out;
	if ((c_a = km_tsv_col(r, "amplicon_len")) < 0) goto out;
	if ((*amp = calloc(p->n_marker + 1, sizeof **amp)) == NULL) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto out; }
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *s = km_tsv_field(r, c_a);
		int m = km_panel_find(p, km_tsv_field(r, c_m));
		double v;
		if (m < 0 || s[0] == 0 || strcmp(s, "NA") == 0) continue;
		if (km_parse_double(s, &v) < 0 || !(v > 0.0)) {
			ret = km_tsv_fail(r, c_a, e, "amplicon length '%s' is not a positive number", s);
			goto out;
		}
		(*amp)[m] = v;
	}
out:
	km_tsv_close(r);
	if (ret < 0) { free(*amp); *amp = NULL; }
	return ret < 0 ? ret : 0;
}

static int write_fam(sim_files_t *F, sim_rems_t *R, const km_sim_t *S, long fi, const sim_fout_t *fo,
                     km_simstat_t *st, km_err_t *e)
{
	int ret;
	if (fo->oom) return km_err_set(e, KM_ENOMEM, "out of memory");
	if ((ret = fwrite_ks(F, F_PED, fo->ped.s, fo->ped.l, e)) < 0) return ret;
	if ((ret = fwrite_ks(F, F_REF, fo->ref.s, fo->ref.l, e)) < 0) return ret;
	if (S->mdb && (ret = fwrite_ks(F, F_MT, fo->mt.s, fo->mt.l, e)) < 0) return ret;
	for (int k = 0; k < fo->n_rem; ++k)
		if (rems_add(R, S->nm, fi, fo->rem_num[k], fo->shape, fo->rem_d[k], fo->rg + (size_t)k * S->nm * 2, &fo->rmt[k]) < 0)
			return km_err_set(e, KM_ENOMEM, "out of memory");
	st->n_person += fo->n_person, st->n_ref += fo->n_ref, st->n_missing += fo->n_miss;
	st->shape[fo->shape]++;
	return 0;
}

/* Writes remains, remain-info, truth and the remains' mtDNA in the order of their ids. */
static int write_remains(sim_files_t *F, sim_rems_t *R, const km_sim_t *S, gsl_rng *r, km_simstat_t *st, km_err_t *e)
{
	long n = 0, *ord = NULL;
	int wr = 6, ret = 0;
	kstring_t s = { 0, 0, NULL };
	char id[32], fid[32];
	for (long i = 0; i < R->n; ++i) n += R->r[i].typed > 0 || R->r[i].mt_len > 0;
	st->n_empty = R->n - n;
	st->n_remain = n;
	if ((ord = malloc(sizeof *ord * (n + 1))) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	for (long i = 0, j = 0; i < R->n; ++i)
		if (R->r[i].typed > 0 || R->r[i].mt_len > 0) ord[j++] = i;
	/* ids in random order: R000001 is no more likely to be family 1's man than any other */
	gsl_rng_set(r, km_sim_seed(S->o.seed, 0xffffffffu));
	if (n > 1) gsl_ran_shuffle(r, ord, (size_t)n, sizeof *ord);
	for (long x = n; x >= 1000000; x /= 10) ++wr;
	if ((ret = fwrite_str(F, F_REM, "sample\tmarker\tallele1\tallele2\n", e)) < 0) goto out;
	if ((ret = fwrite_str(F, F_INFO, "sample\tdropout\n", e)) < 0) goto out;
	if ((ret = fwrite_str(F, F_TRUTH, "remain\tfamily\tmissing\trelationship\n", e)) < 0) goto out;
	for (long k = 0; k < n; ++k) {
		const sim_rem_t *x = &R->r[ord[k]];
		const int16_t *g = R->g + (size_t)ord[k] * S->nm * 2;
		int idl = snprintf(id, sizeof id, "R%0*ld", wr, k + 1), oom = 0;
		s.l = 0;
		for (int m = 0; m < S->nm; ++m)
			if (g[2 * m] >= 0) put_row(&s, id, idl, &S->mk[m], g[2 * m], g[2 * m + 1], &oom);
		if (oom) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto out; }
		if ((ret = fwrite_ks(F, F_REM, s.s, s.l, e)) < 0) goto out;
		s.l = 0;
		if (ksprintf(&s, "%s\t%.6g\n", id, x->d) < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto out; }
		if ((ret = fwrite_ks(F, F_INFO, s.s, s.l, e)) < 0) goto out;
		s.l = 0;
		if (x->fam < 0) ret = ksprintf(&s, "%s\tNA\tNA\tunrelated\n", id);
		else {
			fam_id(S, x->fam, fid, sizeof fid);
			ret = ksprintf(&s, "%s\t%s\t%s-M%d\t%s\n", id, fid, fid, x->num, shape_name[x->shape]);
		}
		if (ret < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto out; }
		if ((ret = fwrite_ks(F, F_TRUTH, s.s, s.l, e)) < 0) goto out;
		if (S->mdb && x->mt_len > 0) {
			s.l = 0;
			if (ksprintf(&s, "%s\t%.*s\n", id, x->mt_len, R->mt.s + x->mt_off) < 0) { ret = km_err_set(e, KM_ENOMEM, "out of memory"); goto out; }
			if ((ret = fwrite_ks(F, F_MT, s.s, s.l, e)) < 0) goto out;
		}
		if (x->fam < 0) ++st->n_unrelated;
		else ++st->n_related;
	}
out:
	free(s.s);
	free(ord);
	return ret < 0 ? ret : 0;
}

static void fout_free(sim_fout_t *fo, long n)
{
	for (long i = 0; fo && i < n; ++i) {
		free(fo[i].ped.s), free(fo[i].ref.s), free(fo[i].mt.s), free(fo[i].rg);
		for (int k = 0; k < SIM_MAXMISS; ++k) free(fo[i].rmt[k].s);
	}
	free(fo);
}

/* Generates families [0, n) (unrel = 0) or unrelated remains [0, n) (unrel = 1) in
 * batches, in parallel, and hands each to the writer in order. */
static int run_batches(const km_sim_t *S, long n, int unrel, sim_work_t *W, gsl_rng **rng, sim_fout_t *fo,
                       sim_files_t *F, sim_rems_t *R, km_simstat_t *st, km_err_t *e)
{
	int ret = 0, T = S->o.threads;
	for (long b0 = 0; b0 < n && ret == 0; b0 += SIM_BATCH) {
		long nb = n - b0 < SIM_BATCH ? n - b0 : SIM_BATCH;
#pragma omp parallel for schedule(dynamic, 8) num_threads(T)
		for (long i = 0; i < nb; ++i) {
#ifdef _OPENMP
			int t = omp_get_thread_num();
#else
			int t = 0;
#endif
			if (unrel) sim_unrelated(S, b0 + i, rng[t], &W[t], &fo[i]);
			else sim_family(S, b0 + i, rng[t], &W[t], &fo[i]);
		}
		for (long i = 0; i < nb && ret == 0; ++i) {
			if (!unrel) ret = write_fam(F, R, S, b0 + i, &fo[i], st, e);
			else if (fo[i].oom) ret = km_err_set(e, KM_ENOMEM, "out of memory");
			else if (rems_add(R, S->nm, -1, 0, 0, fo[i].rem_d[0], fo[i].rg, &fo[i].rmt[0]) < 0)
				ret = km_err_set(e, KM_ENOMEM, "out of memory");
		}
	}
	return ret;
}

int km_sim_run(const km_simopt_t *o, km_simstat_t *st, km_err_t *e)
{
	km_panel_t panel = { 0 };
	km_freqs_t freqs = { 0 };
	km_ydb_t ydb = { 0 };
	km_mtset_t mdb = { 0 };
	km_sim_t *S = NULL;
	sim_files_t F;
	sim_rems_t R;
	sim_work_t *W = NULL;
	sim_fout_t *fo = NULL;
	gsl_rng **rng = NULL;
	double *amp = NULL;
	int ret, T = o->threads > 0 ? o->threads : 1, opened = 0;
	memset(&F, 0, sizeof F);
	memset(&R, 0, sizeof R);
	memset(st, 0, sizeof *st);
	if ((ret = km_simopt_check(o, e)) < 0) return ret;
	/* --out created, locked and probed before anything is loaded (out.h) */
	if ((ret = km_out_open(&F.out, o->out, e)) < 0) return ret;
	opened = 1;
	if ((ret = km_panel_load(&panel, o->panel, e)) < 0) goto out;
	if ((ret = km_freqs_load(&freqs, &panel, o->freqs, 0.001, e)) < 0) goto out;
	if ((ret = km_freqs_check_panel(&freqs, &panel, e)) < 0) goto out;
	if ((ret = read_amplicons(&panel, o->panel, &amp, e)) < 0) goto out;
	if (o->y_db && (ret = km_ydb_load(&ydb, &panel, o->y_db, e)) < 0) goto out;
	if (o->y_db && ydb.n_hap == 0) { ret = km_err_set(e, KM_EINPUT, "%s: no haplotypes", o->y_db); goto out; }
	if (o->mt_db && (ret = km_mt_load(&mdb, o->mt_db, e)) < 0) goto out;
	if (o->mt_db && mdb.n == 0) { ret = km_err_set(e, KM_EINPUT, "%s: no haplotypes", o->mt_db); goto out; }
	if ((ret = km_sim_init(&S, o, &panel, &freqs, o->y_db ? &ydb : NULL, o->mt_db ? &mdb : NULL, amp, e)) < 0) goto out;
	S->o.threads = T;
	if ((W = calloc(T, sizeof *W)) == NULL || (rng = calloc(T, sizeof *rng)) == NULL ||
	    (fo = calloc(SIM_BATCH, sizeof *fo)) == NULL) {
		ret = km_err_set(e, KM_ENOMEM, "out of memory");
		goto out;
	}
	for (int t = 0; t < T; ++t)
		if ((W[t].g = malloc(sizeof(int32_t) * SIM_MAXP * (size_t)S->nm * 2 + 1)) == NULL ||
		    (rng[t] = gsl_rng_alloc(gsl_rng_mt19937)) == NULL) {
			ret = km_err_set(e, KM_ENOMEM, "out of memory");
			goto out;
		}
	for (int i = 0; i < SIM_BATCH; ++i)
		if ((fo[i].rg = malloc(sizeof(int16_t) * SIM_MAXMISS * (size_t)S->nm * 2 + 1)) == NULL) {
			ret = km_err_set(e, KM_ENOMEM, "out of memory");
			goto out;
		}
	/* everything is loaded and checked: only now make the output files */
	if ((ret = files_open(&F, o, S->mdb != NULL, e)) < 0) goto out;
	if ((ret = fwrite_str(&F, F_PED, "family\tperson\tfather\tmother\tsex\trole\n", e)) < 0) goto out;
	if ((ret = fwrite_str(&F, F_REF, "sample\tmarker\tallele1\tallele2\n", e)) < 0) goto out;
	if (S->mdb && (ret = fwrite_str(&F, F_MT, "sample\trange\thaplotype\n", e)) < 0) goto out;
	st->n_family = o->n_family;
	if ((ret = run_batches(S, o->n_family, 0, W, rng, fo, &F, &R, st, e)) < 0) goto out;
	{
		/* default: unrelated remains are 10% of all remains */
		long nu = o->n_unrelated >= 0 ? o->n_unrelated : lround((double)R.n / 9.0);
		if ((ret = run_batches(S, nu, 1, W, rng, fo, &F, &R, st, e)) < 0) goto out;
	}
	ret = write_remains(&F, &R, S, rng[0], st, e);
out:
	if (opened) {
		int r2 = files_close(&F, ret == 0, e);
		if (ret == 0) ret = r2;
	}
	for (int t = 0; W && t < T; ++t) free(W[t].g), free(W[t].mv);
	for (int t = 0; rng && t < T; ++t)
		if (rng[t]) gsl_rng_free(rng[t]);
	free(W), free(rng), free(amp);
	fout_free(fo, SIM_BATCH);
	free(R.r), free(R.g), free(R.mt.s);
	km_sim_destroy(S);
	if (o->mt_db) km_mt_destroy(&mdb);
	if (o->y_db) km_ydb_destroy(&ydb);
	km_freqs_destroy(&freqs);
	km_panel_destroy(&panel);
	return ret < 0 ? ret : 0;
}
