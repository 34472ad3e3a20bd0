/* theta.c — exact pedigree likelihoods under the Balding–Nichols θ correction, every
 * genotype of the query at once, for every mutation model and for X-linked loci.
 *
 * The model (MODELS.md §4; Balding & Nichols 1994; NRC II 1996 eq. 4.10; Green & Mortera
 * 2009 §3 for θ in pedigrees): the founders' alleles z_1, z_2, ... are drawn from one urn,
 *     P(z_j = a | z_1..z_{j-1}) = (b_a θ + (1-θ) p_a) / (1 + (j-2) θ),          (1)
 * b_a = earlier draws of a; non-founders by Mendelian transmission with the mutation
 * matrices.  At X a male founder draws one allele, a female two.  Under H2 the remain is
 * one more founder drawn from the same urn.  (1) is the Pólya urn of a Dirichlet(α p),
 * α = (1-θ)/θ, so the founder alleles are exchangeable and any subset of them follows
 * (1) on its own (marginalising a draw leaves the urn of the others).
 *
 * Derivation.  (a) Chinese-restaurant form of (1) (Ewens 1972; Pitman 2006, §3.1): draw
 * j is a copy of one earlier draw with probability θ/(1+(j-2)θ) each, or a fresh allele
 * from p with probability (1-θ)/(1+(j-2)θ).  So for N draws, with ρ the partition of
 * them into "copies of each other",
 *     P(ρ) = (1-θ)^{|ρ|-1} Π_{B∈ρ} θ^{|B|-1} (|B|-1)!  /  Π_{j=2}^{N} (1 + (j-2) θ),  (2)
 * and given ρ each block carries one allele drawn from p, independently.
 * (b) Inheritance vectors (Lander & Green 1987): given which parental allele every
 * meiosis passes on, each allele position of a typed person (and of the query) descends
 * from one founder allele ("slot") along a path of meioses; the positions descending
 * from one slot form a tree (paths share their meioses down to where they part), each
 * edge carrying the product of the mutation matrices of its meioses (M_f or M_m by the
 * transmitting parent's sex).  Founder alleles reached by no position drop out (the
 * urn's marginal, above).  Grouping the inheritance vectors into patterns (the forest of
 * positions, branch points and slots, with each edge's meiosis sexes) gives
 *     P(data) = Σ_pattern w(pattern) Σ_phases E_urn[ Π_{slots s} e_s(z_s) ],
 * e_s(x) = the tree's evidence given the slot's allele x, by the usual upward messages
 * (Elston & Stewart 1971) m_v(y) = [v typed: y = its allele] Π_children (M_edge m_c)(y),
 * with w the probability of the pattern (½ per meiosis whose choice matters).
 * (c) By (2), E_urn[Π_s e_s(z_s)] = Σ_ρ P(ρ) Π_B g(B), g(B) = Σ_x p_x Π_{s∈B} e_s(x):
 * a sum over set partitions of the reached slots, done by the subset recursion
 *     F(S) = Σ_{B ⊆ S, min S ∈ B} c(|B|) g(B) F(S \ B),  c(k) = (1-θ) θ^{k-1} (k-1)!,
 * in O(3^|S|) plus O(2^|S| n) for the g's.
 * (d) The query (q's ordered genotype under H1; the remain's ordered alleles, an extra
 * founder, under H2) is one or two more slots whose allele is left free: the block
 * holding a query slot contributes the vector p_x Π e_s(x) instead of its sum, so one
 * pass gives the joint law K[x,y] of the query's founder alleles with the data for all
 * x, y, and P(data, G_q = (a,b)) = Σ_{x,y} R1[x,a] K[x,y] R2[y,b], R_k the query tree's
 * message as a matrix (slot allele x, query allele y); both query positions in one tree
 * give Σ_z u(z) A1[z,a] A2[z,b] at the node z where their paths part.  Every column of
 * the table from one computation, as the θ = 0 peeler gives them.  When the query
 * positions hang from their slot by a bare path (the memorial's shapes), R = M_path and
 * the K of all patterns with the same paths are summed before the two products.
 * Without mutation the matrices are identities and (d) is the exact counterpart of the
 * "an allele already drawn k times or a new one" sum; with mutation nothing is lumped
 * (stepwise rows differ per allele), the per-slot vectors e_s carry the allele.
 * Checks: tests/unit/test_theta.c (against the enumeration of lik.c, km_lik_theta, and
 * a direct sum over every genotype including X; NRC II 4.10 parent–child and full sibs).
 *
 * Limits: at most TH_MAXSLOT reached founder alleles in a pattern and TH_MAXLEAF
 * inheritance-vector leaves; beyond them KM_EMODEL (the caller says so).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kmpriv.h"
#include "lik.h"
#include "obs.h"

#define TH_MAXPOS 24          /* typed and query allele positions */
#define TH_MAXSLOT 12         /* reached founder alleles in one pattern (3^12 subset pairs) */
#define TH_MAXNODE 64         /* nodes of a pattern's forest */
#define TH_MAXLEAF (1L << 22) /* inheritance-vector leaves visited per pattern set */
#define TH_MAXPERS 48
#define TH_NCACHE 8
#define TH_NCOL 256           /* path columns M_edge[:, a] of typed leaves, per query */

/* One pattern set: the inheritance patterns of a pruned pedigree for one query.  A
 * pattern is a forest: node v has parent par[v] (-1: a founder allele), the edge to it
 * carries the meioses sig[v] (leading 1, then one bit per meiosis from v upwards, 1 =
 * from a man), and pos[v] is the typed or query position at v (-1: a branch point). */
typedef struct {
	int32_t *key; int klen;       /* what it was built for (pedigree shape, typed, q, mode) */
	int npos, nq, nwalk;          /* positions: typed ones, then nq query positions */
	int *pos_pers, *pos_k;        /* [npos]: person (-1: the remain's fresh slots) and 0 pat / 1 mat */
	int n_pat, m_pat;
	double *w;                    /* [n_pat] */
	int32_t *pk;                  /* keys: 1 + 3 nnode ints each, at pk_off */
	size_t *pk_off, n_pk, m_pk;
	int *hash, m_hash;            /* open addressing, pattern index + 1 */
} patset_t;

struct km_theta_s {
	patset_t ps[TH_NCACHE];
	int next;                     /* round-robin replacement */
	/* walk state */
	int bit[2 * TH_MAXPERS];
	int cur_len[TH_MAXPOS];
	uint8_t cur_path[TH_MAXPOS][TH_MAXPERS + 1], cur_bit[TH_MAXPOS][TH_MAXPERS + 1];
	double cur_w;
	long leaves;
	const int *father, *mother;
	int xl, mode;
	patset_t *tgt;
	int oom;
	/* evaluation scratch */
	double *buf; size_t m_buf;
};

int km_theta_nofast = 0;

km_theta_t *km_theta_new(void)
{
	return calloc(1, sizeof(km_theta_t));
}

static void ps_free(patset_t *ps)
{
	free(ps->key); free(ps->pos_pers); free(ps->pos_k); free(ps->w); free(ps->pk); free(ps->pk_off); free(ps->hash);
	memset(ps, 0, sizeof(*ps));
}

void km_theta_free(km_theta_t *t)
{
	if (!t) return;
	for (int i = 0; i < TH_NCACHE; ++i) ps_free(&t->ps[i]);
	free(t->buf);
	free(t);
}

/* ---- patterns ------------------------------------------------------------------------ */

static uint64_t key_hash(const int32_t *k, int len)
{
	uint64_t h = 1469598103934665603ULL;
	for (int j = 0; j < len; ++j) h = (h ^ (uint64_t)(uint32_t)k[j]) * 1099511628211ULL;
	return h;
}

static int ps_grow(patset_t *ps)
{
	int m = ps->m_pat ? 2 * ps->m_pat : 16;
	double *w = realloc(ps->w, sizeof(double) * (size_t)m);
	if (!w) return -1;
	ps->w = w;
	size_t *o = realloc(ps->pk_off, sizeof(size_t) * (size_t)m);
	if (!o) return -1;
	ps->pk_off = o;
	ps->m_pat = m;
	free(ps->hash);
	ps->m_hash = 4 * m;
	if (!(ps->hash = calloc((size_t)ps->m_hash, sizeof(int)))) return -1;
	for (int i = 0; i < ps->n_pat; ++i) {
		const int32_t *k = ps->pk + ps->pk_off[i];
		size_t h = key_hash(k, 1 + 3 * k[0]) & (size_t)(ps->m_hash - 1);
		while (ps->hash[h]) h = (h + 1) & (size_t)(ps->m_hash - 1);
		ps->hash[h] = i + 1;
	}
	return 0;
}

/* a leaf of the walk: the forest of this inheritance vector, canonical (nodes numbered
 * by first appearance walking up from the positions in order), then add its weight */
static void emit(km_theta_t *t)
{
	patset_t *ps = t->tgt;
	enum { NID = 2 * TH_MAXPERS };
	int imp[NID], child1[NID], multi[NID], par[NID], lab[NID], posof[NID], order[TH_MAXNODE];
	int32_t sg[NID];
	int32_t key[1 + 3 * TH_MAXNODE];
	++t->leaves;
	for (int u = 0; u < NID; ++u) imp[u] = 0, child1[u] = -1, multi[u] = 0, par[u] = -2, lab[u] = -1, posof[u] = -1;
	for (int j = 0; j < ps->nwalk; ++j) {
		int len = t->cur_len[j];
		posof[t->cur_path[j][0]] = j;
		imp[t->cur_path[j][0]] = imp[t->cur_path[j][len]] = 1;
		for (int d = 1; d <= len; ++d) {
			int u = t->cur_path[j][d], c = t->cur_path[j][d - 1];
			if (child1[u] < 0) child1[u] = c;
			else if (child1[u] != c) multi[u] = 1;
		}
	}
	if (t->mode) for (int u = 0; u < NID; ++u) imp[u] |= multi[u];
	for (int j = 0; j < ps->nwalk; ++j) {
		int len = t->cur_len[j], cur = t->cur_path[j][0], root = t->cur_path[j][len];
		int32_t s = 1;
		par[root] = -1, sg[root] = 1;
		if (t->mode == 0) {            /* no mutation: every position hangs from its slot */
			if (cur != root) par[cur] = root, sg[cur] = 1;
			continue;
		}
		for (int d = 0; d < len; ++d) {
			int nx = t->cur_path[j][d + 1];
			s = t->mode == 1 ? s * 2 : s * 2 + t->cur_bit[j][d];
			if (!imp[nx]) continue;
			if (par[cur] == -2) par[cur] = nx, sg[cur] = s;
			cur = nx, s = 1;
		}
	}
	int nl = 0;
	for (int j = 0; j < ps->nwalk; ++j)
		for (int u = t->cur_path[j][0]; u >= 0 && lab[u] < 0; u = par[u]) {
			if (nl >= TH_MAXNODE - 2) { t->oom = 2; return; }
			lab[u] = nl, order[nl++] = u;
		}
	int ns = 0;
	key[0] = nl + (ps->npos - ps->nwalk);
	for (int l = 0; l < nl; ++l) {
		int u = order[l];
		key[1 + 3 * l] = par[u] >= 0 ? lab[par[u]] : -1;
		key[2 + 3 * l] = sg[u];
		key[3 + 3 * l] = posof[u];
		ns += par[u] < 0;
	}
	for (int j = ps->nwalk; j < ps->npos; ++j, ++nl) {   /* the remain's fresh slots */
		key[1 + 3 * nl] = -1, key[2 + 3 * nl] = 1, key[3 + 3 * nl] = j;
		++ns;
	}
	if (ns > TH_MAXSLOT) { t->oom = 2; return; }
	int klen = 1 + 3 * key[0];
	if (ps->n_pat + 1 > ps->m_pat / 2 && ps_grow(ps) < 0) { t->oom = 1; return; }
	size_t h = key_hash(key, klen) & (size_t)(ps->m_hash - 1);
	while (ps->hash[h]) {
		int i = ps->hash[h] - 1;
		const int32_t *k = ps->pk + ps->pk_off[i];
		if (k[0] == key[0] && !memcmp(k, key, sizeof(int32_t) * (size_t)klen)) { ps->w[i] += t->cur_w; return; }
		h = (h + 1) & (size_t)(ps->m_hash - 1);
	}
	if (ps->n_pk + (size_t)klen > ps->m_pk) {
		size_t m = (ps->n_pk + (size_t)klen) * 2;
		int32_t *pk = realloc(ps->pk, sizeof(int32_t) * m);
		if (!pk) { t->oom = 1; return; }
		ps->pk = pk, ps->m_pk = m;
	}
	int i = ps->n_pat++;
	ps->hash[h] = i + 1;
	ps->w[i] = t->cur_w;
	ps->pk_off[i] = ps->n_pk;
	memcpy(ps->pk + ps->n_pk, key, sizeof(int32_t) * (size_t)klen);
	ps->n_pk += (size_t)klen;
}

/* Walks position j up from (person i, allele k) to its founder slot, choosing the
 * meioses not chosen yet (½ each; a choice already made by an earlier position is
 * kept, so positions that share an ancestral allele share its path).  Depth: at most
 * npos * (persons) frames. */
static void walk(km_theta_t *t, int j, int i, int k, int d)
{
	patset_t *ps = t->tgt;
	if (t->oom || t->leaves > TH_MAXLEAF) return;
	for (;;) {
		t->cur_path[j][d] = (uint8_t)(2 * i + k);
		if (t->father[i] < 0) {
			t->cur_len[j] = d;
			if (j + 1 == ps->nwalk) emit(t);
			else walk(t, j + 1, ps->pos_pers[j + 1], ps->pos_k[j + 1], 0);
			return;
		}
		if (d >= TH_MAXPERS) { t->oom = 2; return; }
		int par, pk, male = k == 0;
		t->cur_bit[j][d] = (uint8_t)male;
		if (t->xl && k == 0) par = t->father[i], pk = 1;       /* a man passes his one X */
		else {
			par = k ? t->mother[i] : t->father[i];
			int *b = &t->bit[2 * i + k];
			if (*b < 0) {
				double w0 = t->cur_w;
				t->cur_w = w0 * 0.5;
				for (int c = 0; c < 2; ++c) {
					*b = c;
					walk(t, j, par, c, d + 1);
				}
				*b = -1;
				t->cur_w = w0;
				return;
			}
			pk = *b;
		}
		i = par, k = pk, ++d;
	}
}

static int hemi_of(const km_locus_t *L, const km_lped_t *P, int i)
{
	return L->xlinked && P->sex[i] == KM_MALE;
}

/* The pattern set of (L, P, q, extra), from the cache or built. */
static int get_patset(km_theta_t *t, const km_locus_t *L, const km_lped_t *P, int q, int extra,
                      const int *keep, patset_t **out, km_err_t *e)
{
	int np = P->n, nk = 0;
	int mode = !L->Mf && !L->Mm ? 0 : (L->Mf == L->Mm || (L->Mf && L->Mm && !memcmp(L->Mf, L->Mm, sizeof(double) * (size_t)L->n * (size_t)L->n))) ? 1 : 2;
	int32_t key[4 + 3 * TH_MAXPERS];
	int cidx[TH_MAXPERS];
	for (int i = 0; i < np; ++i) cidx[i] = keep[i] ? nk++ : -1;
	int kl = 0;
	key[kl++] = L->xlinked, key[kl++] = mode, key[kl++] = extra | (q >= 0 && hemi_of(L, P, q) ? 2 : 0), key[kl++] = nk;
	for (int i = 0; i < np; ++i) {
		if (!keep[i]) continue;
		key[kl++] = P->sex[i] | (i == q ? 4 : 0) | (P->gt[2 * i] != KM_NOALLELE && i != q ? 8 : 0);
		key[kl++] = P->father[i] >= 0 ? cidx[P->father[i]] : -1;
		key[kl++] = P->mother[i] >= 0 ? cidx[P->mother[i]] : -1;
	}
	for (int c = 0; c < TH_NCACHE; ++c) {
		patset_t *ps = &t->ps[c];
		if (ps->key && ps->klen == kl && !memcmp(ps->key, key, sizeof(int32_t) * (size_t)kl)) { *out = ps; return 0; }
	}
	patset_t *ps = &t->ps[t->next];
	t->next = (t->next + 1) % TH_NCACHE;
	ps_free(ps);
	ps->klen = kl;
	ps->key = malloc(sizeof(int32_t) * (size_t)kl);
	ps->pos_pers = malloc(sizeof(int) * TH_MAXPOS);
	ps->pos_k = malloc(sizeof(int) * TH_MAXPOS);
	if (!ps->key || !ps->pos_pers || !ps->pos_k) { ps_free(ps); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	memcpy(ps->key, key, sizeof(int32_t) * (size_t)kl);
	/* positions: typed persons in order (pat, mat; a man at X: his one allele, k = 1) */
	int npos = 0;
	for (int i = 0; i < np; ++i) {
		if (!keep[i] || i == q || P->gt[2 * i] == KM_NOALLELE) continue;
		for (int k = hemi_of(L, P, i) ? 1 : 0; k < 2; ++k) {
			if (npos >= TH_MAXPOS - 2) { ps_free(ps); return km_err_set(e, KM_EMODEL, "theta: more than %d typed persons in one pedigree", TH_MAXPOS / 2 - 1); }
			ps->pos_pers[npos] = i, ps->pos_k[npos++] = k;
		}
	}
	int qh = q >= 0 && hemi_of(L, P, q);
	ps->nq = qh ? 1 : 2;
	ps->nwalk = npos + (extra ? 0 : ps->nq);
	for (int k = qh ? 1 : 0; k < 2; ++k) ps->pos_pers[npos] = extra ? -1 : q, ps->pos_k[npos++] = k;
	ps->npos = npos;
	if (ps_grow(ps) < 0) { ps_free(ps); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	t->father = P->father, t->mother = P->mother;
	t->xl = L->xlinked, t->mode = mode, t->tgt = ps;
	t->oom = 0, t->leaves = 0, t->cur_w = 1.0;
	for (int i = 0; i < 2 * np; ++i) t->bit[i] = -1;
	if (ps->nwalk > 0) walk(t, 0, ps->pos_pers[0], ps->pos_k[0], 0);
	else emit(t);
	if (t->oom == 1) { ps_free(ps); return km_err_set(e, KM_ENOMEM, "out of memory"); }
	if (t->oom == 2 || t->leaves > TH_MAXLEAF) {
		ps_free(ps);
		return km_err_set(e, KM_EMODEL, "theta: pedigree too large for the exact theta computation (more than %d founder alleles reached at once, or %ld inheritance patterns)", TH_MAXSLOT, TH_MAXLEAF);
	}
	*out = ps;
	return 0;
}

/* ---- evaluation ---------------------------------------------------------------------- */

/* the meiosis matrix of a path bit (1 = from a man); NULL = identity */
static const double *bit_mat(const km_locus_t *L, int mode, int b)
{
	return mode == 1 ? L->Mf : b ? L->Mm : L->Mf;
}

/* h <- M_edge h: the message of a child sent up an edge (the bit under the leading one
 * is the meiosis into the child: applied first) */
static void edge_up(const km_locus_t *L, int mode, int32_t sig, double *h, double *tmp)
{
	int n = L->n, len = 0;
	if (mode == 0) return;
	while ((sig >> len) > 1) ++len;
	for (int s = len - 1; s >= 0; --s) {
		const double *M = bit_mat(L, mode, (sig >> s) & 1);
		if (!M) continue;
		for (int x = 0; x < n; ++x) {
			const double *r = M + (size_t)x * n;
			double v = 0.0;
			for (int y = 0; y < n; ++y) v += r[y] * h[y];
			tmp[x] = v;
		}
		memcpy(h, tmp, sizeof(double) * (size_t)n);
	}
}

/* u <- u^T M_edge: a vector pushed down an edge (the founder-side meiosis first) */
static void edge_down(const km_locus_t *L, int mode, int32_t sig, double *u, double *tmp)
{
	int n = L->n, len = 0;
	if (mode == 0) return;
	while ((sig >> len) > 1) ++len;
	for (int s = 0; s < len; ++s) {
		const double *M = bit_mat(L, mode, (sig >> s) & 1);
		if (!M) continue;
		for (int y = 0; y < n; ++y) tmp[y] = 0.0;
		for (int x = 0; x < n; ++x) {
			const double *r = M + (size_t)x * n;
			double ux = u[x];
			if (ux == 0.0) continue;
			for (int y = 0; y < n; ++y) tmp[y] += ux * r[y];
		}
		memcpy(u, tmp, sizeof(double) * (size_t)n);
	}
}

/* A <- M_edge A for an n x n matrix A (each column sent up) */
static void edge_up_mat(const km_locus_t *L, int mode, int32_t sig, double *A, double *tmp)
{
	int n = L->n, len = 0;
	size_t nn = (size_t)n * n;
	if (mode == 0) return;
	while ((sig >> len) > 1) ++len;
	for (int s = len - 1; s >= 0; --s) {
		const double *M = bit_mat(L, mode, (sig >> s) & 1);
		if (!M) continue;
		for (int x = 0; x < n; ++x) {
			double *o = tmp + (size_t)x * n;
			for (int y = 0; y < n; ++y) o[y] = 0.0;
			for (int z = 0; z < n; ++z) {
				double m = M[(size_t)x * n + z];
				if (m == 0.0) continue;
				const double *a = A + (size_t)z * n;
				for (int y = 0; y < n; ++y) o[y] += m * a[y];
			}
		}
		memcpy(A, tmp, sizeof(double) * nn);
	}
}

/* M_edge itself (founder-side allele x -> allele y at the node) */
static void edge_mat(const km_locus_t *L, int mode, int32_t sig, double *A, double *tmp)
{
	int n = L->n;
	memset(A, 0, sizeof(double) * (size_t)n * n);
	for (int x = 0; x < n; ++x) A[(size_t)x * n + x] = 1.0;
	edge_up_mat(L, mode, sig, A, tmp);
}

static double *scratch(km_theta_t *t, size_t n)
{
	if (n > t->m_buf) {
		double *b = realloc(t->buf, sizeof(double) * n);
		if (!b) return NULL;
		t->buf = b, t->m_buf = n;
	}
	return t->buf;
}

typedef struct {
	int32_t s1, s2;          /* the query positions' edge signatures (fast path) */
	double *K;               /* n x n (or n for one query position) */
} acc_t;

/* Φ += R1^T K R2 (R NULL: identity); tmp n*n */
static void add_sandwich(int n, const double *R1, const double *K, const double *R2, double *phi, double *tmp)
{
	const double *X = K;
	if (R2) {
		for (int x = 0; x < n; ++x)
			for (int b = 0; b < n; ++b) {
				double v = 0.0;
				for (int y = 0; y < n; ++y) v += K[(size_t)x * n + y] * R2[(size_t)y * n + b];
				tmp[(size_t)x * n + b] = v;
			}
		X = tmp;
	}
	if (!R1) { for (size_t i = 0; i < (size_t)n * n; ++i) phi[i] += X[i]; return; }
	for (int a = 0; a < n; ++a)
		for (int b = 0; b < n; ++b) {
			double v = 0.0;
			for (int x = 0; x < n; ++x) v += R1[(size_t)x * n + a] * X[(size_t)x * n + b];
			phi[(size_t)a * n + b] += v;
		}
}

int km_theta_query(km_theta_t *t, const km_locus_t *L, const km_lped_t *P, int q, int extra, double theta,
                   double *phi, km_err_t *e)
{
	int np = P->n, n = L->n, ret = 0;
	int keep[TH_MAXPERS];
	patset_t *ps = NULL;
	if (np > TH_MAXPERS) return km_err_set(e, KM_EMODEL, "theta: more than %d persons in one pedigree", TH_MAXPERS);
	/* core (obs.h): the calls are read here as exact; a typed person with dropout is for
	 * lik.c's km_lik_theta, which takes its evidence from the observation model */
	if (P->obs)
		for (int i = 0; i < np; ++i)
			if ((P->obs[i].d > 0.0 || P->obs[i].basis || P->obs[i].te > 0.0) && P->gt[2 * i] != KM_NOALLELE)
				return km_err_set(e, KM_EMODEL, "theta: a typed person with dropout (use km_lik_theta)");
	km_lik_prune(P, extra ? -1 : q, keep);
	if ((ret = get_patset(t, L, P, q, extra, keep, &ps, e)) < 0) return ret;
	int mode = ps->key[1], nq = ps->nq, npos = ps->npos, nt = npos - nq;
	size_t nn = (size_t)n * n, nout = nq == 1 ? (size_t)n : nn;
	/* the typed positions' alleles in each phase of their person: a heterozygote has two */
	int n_typ = 0, tp_of[TH_MAXPOS], tp_r[TH_MAXPOS], tp_nph[TH_MAXPOS], tp_al[TH_MAXPOS][2][2];
	int pers[TH_MAXPOS], npers = 0;   /* this pedigree's persons at the positions (a cached set may come from another family of the same shape) */
	for (int i = 0; i < np; ++i)
		if (keep[i] && i != q && P->gt[2 * i] != KM_NOALLELE)
			for (int k = hemi_of(L, P, i) ? 1 : 0; k < 2 && npers < TH_MAXPOS; ++k) pers[npers++] = i;
	if (npers != nt) return km_err_set(e, KM_EMODEL, "theta: internal: pattern cache mismatch");
	for (int j = 0; j < nt;) {
		int i = pers[j], a = P->gt[2 * i], b = P->gt[2 * i + 1];
		int two = j + 1 < nt && pers[j + 1] == i;
		if (!two) tp_nph[n_typ] = 1, tp_al[n_typ][0][0] = a;
		else if (b < 0 || a == b) tp_nph[n_typ] = 1, tp_al[n_typ][0][0] = tp_al[n_typ][0][1] = a;
		else tp_nph[n_typ] = 2, tp_al[n_typ][0][0] = tp_al[n_typ][1][1] = a, tp_al[n_typ][0][1] = tp_al[n_typ][1][0] = b;
		tp_of[j] = n_typ, tp_r[j] = 0;
		if (two) tp_of[j + 1] = n_typ, tp_r[j + 1] = 1;
		++n_typ;
		j += two ? 2 : 1;
	}
	/* scratch */
	size_t nsub = (size_t)1 << TH_MAXSLOT;
	int max_d = 0, max_node = 0;
	for (int pi = 0; pi < ps->n_pat; ++pi) {
		const int32_t *k = ps->pk + ps->pk_off[pi];
		int r = 0;
		for (int v = 0; v < k[0]; ++v) r += k[1 + 3 * v] < 0;
		if (r > max_d) max_d = r;
		if (k[0] > max_node) max_node = k[0];
	}
	nsub = (size_t)1 << (max_d > 0 ? max_d : 1);
	size_t need = (size_t)(max_node + 1) * n * 2      /* node messages (vectors), side vectors */
	            + (size_t)(max_node + 1) * nn          /* node messages (matrices) on query paths */
	            + nsub * n * 2 + nsub * 2              /* subset products, V2; g, F */
	            + 64 * nout + 6 * nn + 6 * (size_t)n   /* accumulators, R1, R2, A1, A2, temps */
	            + (size_t)TH_NCOL * n;                 /* path columns of typed leaves */
	double *B = scratch(t, need);
	if (!B) return km_err_set(e, KM_ENOMEM, "out of memory");
	double *msg = B, *side = msg + (size_t)(max_node + 1) * n, *mat = side + (size_t)(max_node + 1) * n;
	double *prod = mat + (size_t)(max_node + 1) * nn, *V2 = prod + nsub * n, *g = V2 + nsub * n, *F = g + nsub;
	double *A = F + nsub, *R1 = A + 64 * nout, *R2 = R1 + nn, *Tm = R2 + nn, *Tm2 = Tm + nn;
	double *tmp = Tm2 + nn, *vq = tmp + n, *uw = vq + n, *ones = uw + n, *colv = ones + n;
	int64_t colk[TH_NCOL];
	int n_col = 0;
	for (int x = 0; x < n; ++x) ones[x] = 1.0;
	memset(phi, 0, sizeof(double) * nout);
	int n_acc = 0;
	acc_t acc[64];
	uint8_t pc[1 << TH_MAXSLOT];   /* popcounts of the subset masks */
	pc[0] = 0;
	for (size_t m = 1; m < nsub; ++m) pc[m] = (uint8_t)(pc[m >> 1] + (m & 1));
	double c[TH_MAXSLOT + 4];
	c[0] = 0.0;
	for (int k = 1; k < TH_MAXSLOT + 4; ++k) c[k] = k == 1 ? 1.0 - theta : c[k - 1] * theta * (k - 1);
	for (int pi = 0; pi < ps->n_pat; ++pi) {
		const int32_t *key = ps->pk + ps->pk_off[pi];
		int nv = key[0], par[TH_MAXNODE], pos[TH_MAXNODE], qf[TH_MAXNODE], ord[TH_MAXNODE], dep[TH_MAXNODE];
		int32_t sig[TH_MAXNODE];
		int nch[TH_MAXNODE], ch[TH_MAXNODE][TH_MAXNODE / 4 + 4];
		for (int v = 0; v < nv; ++v) par[v] = key[1 + 3 * v], sig[v] = key[2 + 3 * v], pos[v] = key[3 + 3 * v], nch[v] = 0, qf[v] = 0;
		for (int v = 0; v < nv; ++v) if (par[v] >= 0) {
			if (nch[par[v]] >= TH_MAXNODE / 4 + 4) return km_err_set(e, KM_EMODEL, "theta: a branch point with too many children");
			ch[par[v]][nch[par[v]]++] = v;
		}
		int Q1 = -1, Q2 = -1;
		for (int v = 0; v < nv; ++v) { if (pos[v] == nt) Q1 = v; if (nq == 2 && pos[v] == nt + 1) Q2 = v; }
		for (int v = 0; v < nv; ++v) {
			int d = 0;
			for (int u = v; par[u] >= 0; u = par[u]) ++d;
			dep[v] = d;
		}
		for (int v = 0; v < nv; ++v) ord[v] = v;
		for (int a = 1; a < nv; ++a) {   /* deepest first (insertion sort; nv is small) */
			int x = ord[a], b = a - 1;
			while (b >= 0 && dep[ord[b]] < dep[x]) ord[b + 1] = ord[b], --b;
			ord[b + 1] = x;
		}
		for (int u = Q1; u >= 0; u = par[u]) qf[u] |= 1;
		for (int u = Q2; u >= 0; u = par[u]) qf[u] |= 2;
		int r1 = Q1, r2 = Q2;
		while (par[r1] >= 0) r1 = par[r1];
		if (Q2 >= 0) while (par[r2] >= 0) r2 = par[r2];
		int same = Q2 >= 0 && r1 == r2;
		/* fast path: each query position hangs from its slot by a bare edge, no children */
		int fast = !km_theta_nofast && par[Q1] == r1 && nch[Q1] == 0 && (Q2 < 0 || (par[Q2] == r2 && nch[Q2] == 0));
		int droot[TH_MAXSLOT + 2], d = 0;
		for (int v = 0; v < nv; ++v) if (par[v] < 0 && v != r1 && v != r2) {
			if (d >= TH_MAXSLOT) return km_err_set(e, KM_EMODEL, "theta: more than %d founder alleles reached at once", TH_MAXSLOT);
			droot[d++] = v;
		}
		int nqd = same || Q2 < 0 ? 1 : 2;
		double norm = 1.0 - theta;
		for (int j = 2; j <= d + nqd; ++j) norm *= 1.0 + (j - 2) * theta;
		double wpat = ps->w[pi] / norm;
		double *K = NULL;
		if (fast) {
			int32_t s1 = sig[Q1], s2 = Q2 >= 0 ? sig[Q2] : 0;
			int ai;
			for (ai = 0; ai < n_acc; ++ai) if (acc[ai].s1 == s1 && acc[ai].s2 == s2) break;
			if (ai == n_acc) {
				if (n_acc == 64) return km_err_set(e, KM_EMODEL, "theta: too many query paths");
				acc[n_acc].s1 = s1, acc[n_acc].s2 = s2, acc[n_acc].K = A + (size_t)n_acc * nout;
				memset(acc[n_acc].K, 0, sizeof(double) * nout);
				++n_acc;
			}
			K = acc[ai].K;
		} else {
			K = Tm2;   /* this pattern's own K, sandwiched at once */
		}
		int ph[TH_MAXPOS];
		memset(ph, 0, sizeof(int) * (size_t)(n_typ + 1));
		for (;;) {
			/* upward messages; on a query path, side = the node's other evidence */
			int lca = -1;
			for (int oi = 0; oi < nv; ++oi) {
				int v = ord[oi];
				double *m = msg + (size_t)v * n, *sd = side + (size_t)v * n;
				for (int x = 0; x < n; ++x) sd[x] = 1.0;
				if (pos[v] >= 0 && pos[v] < nt) {
					int ti = tp_of[pos[v]], a = tp_al[ti][ph[ti]][tp_r[pos[v]]];
					for (int x = 0; x < n; ++x) sd[x] = 0.0;
					sd[a] = 1.0;
				}
				int qc1 = -1, qc2 = -1;
				for (int k = 0; k < nch[v]; ++k) {
					int cv = ch[v][k];
					if (qf[cv]) { if (qf[cv] & 1) qc1 = cv; if (qf[cv] & 2) qc2 = cv; continue; }
					double *cm = msg + (size_t)cv * n;
					if (nch[cv] == 0 && pos[cv] >= 0 && pos[cv] < nt && mode) {
						/* a typed leaf: its message is the column M_edge[:, a], computed once */
						int ti = tp_of[pos[cv]], a = tp_al[ti][ph[ti]][tp_r[pos[cv]]];
						int64_t ck = (int64_t)sig[cv] << 16 | a;
						const double *col = NULL;
						for (int r = 0; r < n_col; ++r) if (colk[r] == ck) { col = colv + (size_t)r * n; break; }
						if (!col) {
							edge_up(L, mode, sig[cv], cm, tmp);
							if (n_col < TH_NCOL) memcpy(colv + (size_t)n_col * n, cm, sizeof(double) * (size_t)n), colk[n_col++] = ck;
							col = cm;
						}
						for (int x = 0; x < n; ++x) sd[x] *= col[x];
						continue;
					}
					edge_up(L, mode, sig[cv], cm, tmp);
					for (int x = 0; x < n; ++x) sd[x] *= cm[x];
				}
				if (!qf[v]) { memcpy(m, sd, sizeof(double) * (size_t)n); continue; }
				if (fast) continue;   /* query roots use side only */
				double *mm = mat + (size_t)v * nn;
				if (v == Q1 || v == Q2) {            /* the query allele is the node's */
					memset(mm, 0, sizeof(double) * nn);
					for (int x = 0; x < n; ++x) mm[(size_t)x * n + x] = sd[x];
				} else if (qc1 >= 0 && qc1 == qc2) {  /* both below one child: keep the chain */
					;
				} else if (qc1 >= 0 && qc2 >= 0) {    /* the queries part here */
					lca = v;
					edge_up_mat(L, mode, sig[qc1], mat + (size_t)qc1 * nn, Tm);
					edge_up_mat(L, mode, sig[qc2], mat + (size_t)qc2 * nn, Tm);
				} else {                               /* one query below: M_edge m_c, rows by side */
					int cv = qc1 >= 0 ? qc1 : qc2;
					double *cm = mat + (size_t)cv * nn;
					edge_up_mat(L, mode, sig[cv], cm, Tm);
					for (int x = 0; x < n; ++x)
						for (int y = 0; y < n; ++y) mm[(size_t)x * n + y] = sd[x] * cm[(size_t)x * n + y];
				}
			}
			/* subset products and block sums over the other slots D */
			size_t nd = (size_t)1 << d;
			for (int x = 0; x < n; ++x) prod[x] = 1.0;
			g[0] = 1.0;
			for (size_t m = 1; m < nd; ++m) {
				int low = __builtin_ctzll((unsigned long long)m);
				const double *pr = prod + (m & (m - 1)) * n, *ev = msg + (size_t)droot[low] * n;
				double *po = prod + m * n, sum = 0.0;
				for (int x = 0; x < n; ++x) po[x] = pr[x] * ev[x], sum += L->p[x] * po[x];
				g[m] = sum;
			}
			F[0] = 1.0;
			for (size_t m = 1; m < nd; ++m) {
				size_t low = m & (~m + 1), rest = m ^ low, sub = rest;
				double f = 0.0;
				for (;;) {
					f += c[pc[sub] + 1] * g[sub | low] * F[rest ^ sub];
					if (!sub) break;
					sub = (sub - 1) & rest;
				}
				F[m] = f;
			}
			size_t all = nd - 1;
			/* the query slots' own factor: side at the slot (fast), or 1 with R carrying it */
			const double *e1 = fast ? side + (size_t)r1 * n : ones, *e2 = fast && Q2 >= 0 ? side + (size_t)r2 * n : ones;
			if (!fast) memset(K, 0, sizeof(double) * nout);
			if (nqd == 1) {
				/* one query slot: vq = Σ_{B ⊆ D} c(|B|+1) F(D\B) prod(B) */
				for (int x = 0; x < n; ++x) vq[x] = 0.0;
				size_t sub = all;
				for (;;) {
					double cf = c[pc[sub] + 1] * F[all ^ sub];
					const double *pr = prod + sub * n;
					for (int x = 0; x < n; ++x) vq[x] += cf * pr[x];
					if (!sub) break;
					sub = (sub - 1) & all;
				}
				for (int x = 0; x < n; ++x) vq[x] *= wpat * L->p[x] * e1[x];
				if (Q2 < 0) {                      /* a man at X: k[x], then R */
					if (fast) { for (int x = 0; x < n; ++x) K[x] += vq[x]; }
					else {
						const double *Rm = mat + (size_t)r1 * nn;
						for (int y = 0; y < n; ++y) {
							double v = 0.0;
							for (int x = 0; x < n; ++x) v += vq[x] * Rm[(size_t)x * n + y];
							phi[y] += v;
						}
					}
				} else if (fast) {                 /* both from one slot by bare edges */
					for (int x = 0; x < n; ++x) K[(size_t)x * n + x] += vq[x];
				} else {
					/* push vq down to where the two paths part, then A1^T diag A2 */
					int path[TH_MAXNODE], np2 = 0;
					for (int u = lca; u >= 0; u = par[u]) path[np2++] = u;
					memcpy(uw, vq, sizeof(double) * (size_t)n);
					for (int k = np2 - 1; k >= 0; --k) {
						int u = path[k];
						if (k < np2 - 1) edge_down(L, mode, sig[u], uw, tmp);
						const double *sd = side + (size_t)u * n;
						for (int x = 0; x < n; ++x) uw[x] *= sd[x];
					}
					int qc1 = -1, qc2 = -1;
					for (int k = 0; k < nch[lca]; ++k) { int cv = ch[lca][k]; if (qf[cv] & 1) qc1 = cv; if (qf[cv] & 2) qc2 = cv; }
					const double *A1 = mat + (size_t)qc1 * nn, *A2 = mat + (size_t)qc2 * nn;
					for (int z = 0; z < n; ++z) {
						double uz = uw[z];
						if (uz == 0.0) continue;
						const double *a1 = A1 + (size_t)z * n, *a2 = A2 + (size_t)z * n;
						for (int a = 0; a < n; ++a) {
							double s = uz * a1[a];
							if (s == 0.0) continue;
							for (int b = 0; b < n; ++b) phi[(size_t)a * n + b] += s * a2[b];
						}
					}
				}
			} else {
				/* V2(S) = Σ_{B ⊆ S} c(|B|+1) F(S\B) p e2 prod(B), for every S ⊆ D */
				for (size_t S = 0; S < nd; ++S) {
					double *v2 = V2 + S * n;
					for (int x = 0; x < n; ++x) v2[x] = 0.0;
					size_t sub = S;
					for (;;) {
						double cf = c[pc[sub] + 1] * F[S ^ sub];
						const double *pr = prod + sub * n;
						for (int x = 0; x < n; ++x) v2[x] += cf * pr[x];
						if (!sub) break;
						sub = (sub - 1) & S;
					}
					for (int x = 0; x < n; ++x) v2[x] *= L->p[x] * e2[x];
				}
				/* K += Σ_{B1 ⊆ D} c(|B1|+1) (p e1 prod(B1)) ⊗ V2(D\B1) */
				size_t sub = all;
				for (;;) {
					double cf = wpat * c[pc[sub] + 1];
					const double *pr = prod + sub * n, *v2 = V2 + (all ^ sub) * n;
					for (int x = 0; x < n; ++x) {
						double ax = cf * L->p[x] * e1[x] * pr[x];
						if (ax == 0.0) continue;
						double *Kr = K + (size_t)x * n;
						for (int y = 0; y < n; ++y) Kr[y] += ax * v2[y];
					}
					if (!sub) break;
					sub = (sub - 1) & all;
				}
				/* both query slots in one block: K[x,x] += Σ_B c(|B|+2) F(D\B) p e1 e2 prod(B) */
				for (int x = 0; x < n; ++x) vq[x] = 0.0;
				sub = all;
				for (;;) {
					double cf = c[pc[sub] + 2] * F[all ^ sub];
					const double *pr = prod + sub * n;
					for (int x = 0; x < n; ++x) vq[x] += cf * pr[x];
					if (!sub) break;
					sub = (sub - 1) & all;
				}
				for (int x = 0; x < n; ++x) K[(size_t)x * n + x] += wpat * vq[x] * L->p[x] * e1[x] * e2[x];
				if (!fast) add_sandwich(n, mat + (size_t)r1 * nn, K, mat + (size_t)r2 * nn, phi, Tm);
			}
			int ti;
			for (ti = 0; ti < n_typ; ++ti) {
				if (++ph[ti] < tp_nph[ti]) break;
				ph[ti] = 0;
			}
			if (ti == n_typ) break;
		}
	}
	/* the fast path's sums: Φ += M_edge1^T K M_edge2 */
	for (int ai = 0; ai < n_acc; ++ai) {
		const double *K = acc[ai].K;
		int id1 = mode == 0 || acc[ai].s1 == 1, id2 = mode == 0 || acc[ai].s2 == 1;
		if (!id1) edge_mat(L, mode, acc[ai].s1, R1, Tm);
		if (nq == 1) {
			for (int a = 0; a < n; ++a) {
				double v = 0.0;
				if (id1) v = K[a];
				else for (int x = 0; x < n; ++x) v += R1[(size_t)x * n + a] * K[x];
				phi[a] += v;
			}
			continue;
		}
		if (!id2) edge_mat(L, mode, acc[ai].s2, R2, Tm);
		add_sandwich(n, id1 ? NULL : R1, K, id2 ? NULL : R2, phi, Tm);
	}
	return 0;
}
