/* panel.c — the marker panel: which loci exist, their system and mutation rates.
 *
 * Columns: marker type chrom mutation_rate [female_rate male_rate motif_len].  After
 * loading, a marker is its index in p->marker (file order); p->hash maps names to
 * indices (keys point at marker[i].name, which the panel owns).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/khash_str2int.h>
#include "kmpriv.h"

int km_is_xchrom(const char *chrom)
{
	if (strncasecmp(chrom, "chr", 3) == 0) chrom += 3;
	return strcasecmp(chrom, "X") == 0 || strcmp(chrom, "23") == 0;
}

static int panel_type(const char *s)
{
	if (strcasecmp(s, "STR") == 0) return KM_SYS_STR;
	if (strcasecmp(s, "X-STR") == 0) return KM_SYS_X;
	if (strcasecmp(s, "Y-STR") == 0) return KM_SYS_Y;
	if (strcasecmp(s, "SNP") == 0) return KM_SYS_SNP;
	if (strcasecmp(s, "AMEL") == 0) return KM_TYPE_AMEL;   /* amelogenin: sex only (amel.c) */
	return -1;
}

/* A rate cell: a number in [0,1).  Returns 0 or the error code. */
static int panel_rate(km_tsv_t *r, int c, double *x, km_err_t *e)
{
	const char *s = km_tsv_field(r, c);
	if (km_parse_double(s, x) < 0) return km_tsv_fail(r, c, e, "mutation rate '%s' is not a number", s);
	if (!(*x >= 0.0 && *x < 1.0)) return km_tsv_fail(r, c, e, "mutation rate '%s' outside [0,1)", s);
	return 0;
}

void km_panel_destroy(km_panel_t *p)
{
	int i;
	if (p == NULL) return;
	for (i = 0; i < p->n_marker; ++i) {
		free(p->marker[i].name);
		free(p->marker[i].chrom);
	}
	free(p->marker);
	if (p->hash) khash_str2int_destroy(p->hash);
	if (p->pos_hash) khash_str2int_destroy_free(p->pos_hash);   /* keys are ours (snppos.c) */
	free(p->pos_al);
	free(p->fn);
	memset(p, 0, sizeof *p);
}

int km_panel_find(const km_panel_t *p, const char *name)
{
	int idx;
	if (p->hash == NULL || khash_str2int_get(p->hash, name, &idx) < 0) return -1;
	return idx;
}

static int panel_read(km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret, c_marker, c_type, c_chrom, c_rate, c_f, c_m, c_motif, m_marker = 0;
	if ((ret = km_tsv_header(r, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "marker", &c_marker, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "type", &c_type, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "chrom", &c_chrom, e)) < 0) return ret;
	if ((ret = km_tsv_need(r, "mutation_rate", &c_rate, e)) < 0) return ret;
	c_f = km_tsv_col(r, "female_rate");
	c_m = km_tsv_col(r, "male_rate");
	c_motif = km_tsv_col(r, "motif_len");
	if ((p->hash = khash_str2int_init()) == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
	while ((ret = km_tsv_next(r, e)) > 0) {
		const char *name = km_tsv_field(r, c_marker), *type = km_tsv_field(r, c_type);
		const char *chrom = km_tsv_field(r, c_chrom);
		km_marker_t *mk;
		int idx;
		if (name[0] == 0) return km_tsv_fail(r, c_marker, e, "marker name is empty");
		if (khash_str2int_get(p->hash, name, &idx) == 0)
			return km_tsv_fail(r, c_marker, e, "duplicate marker '%s' (first on line %d)", name, p->marker[idx].line);
		if (p->n_marker == m_marker) {
			int m = m_marker ? m_marker * 2 : 32;
			km_marker_t *t = realloc(p->marker, m * sizeof *t);
			if (t == NULL) return km_err_set(e, KM_ENOMEM, "out of memory");
			p->marker = t;
			m_marker = m;
		}
		mk = &p->marker[p->n_marker];
		memset(mk, 0, sizeof *mk);
		mk->line = km_tsv_line(r);
		if ((mk->type = panel_type(type)) < 0)
			return km_tsv_fail(r, c_type, e, "unknown marker type '%s' (expected STR, X-STR, Y-STR or SNP)", type);
		if (mk->type == KM_SYS_X && !km_is_xchrom(chrom))
			return km_tsv_fail(r, c_chrom, e, "X-STR marker '%s' on chromosome '%s' (expected X or 23)", name, chrom);
		if ((ret = panel_rate(r, c_rate, &mk->rate, e)) < 0) return ret;
		mk->rate_f = mk->rate_m = mk->rate;
		/* a per-sex rate overrides the sex-averaged one only where the cell is filled */
		if (c_f >= 0 && km_tsv_field(r, c_f)[0] && (ret = panel_rate(r, c_f, &mk->rate_f, e)) < 0) return ret;
		if (c_m >= 0 && km_tsv_field(r, c_m)[0] && (ret = panel_rate(r, c_m, &mk->rate_m, e)) < 0) return ret;
		if (c_motif >= 0 && km_tsv_field(r, c_motif)[0]) {
			long v;
			const char *s = km_tsv_field(r, c_motif);
			if (km_parse_int(s, &v) < 0 || v < 0 || v > 1000)
				return km_tsv_fail(r, c_motif, e, "motif length '%s' is not a whole number in [0,1000]", s);
			mk->motif_len = (int)v;
		}
		if ((mk->name = strdup(name)) == NULL || (mk->chrom = strdup(chrom)) == NULL) {
			free(mk->name);
			return km_err_set(e, KM_ENOMEM, "out of memory");
		}
		++p->n_marker; /* owned from here on, so destroy frees it */
		if (khash_str2int_set(p->hash, mk->name, p->n_marker - 1) < 0)
			return km_err_set(e, KM_ENOMEM, "out of memory");
	}
	return ret;
}

static int panel_load(km_panel_t *p, km_tsv_t *r, km_err_t *e)
{
	int ret;
	memset(p, 0, sizeof *p);
	if ((p->fn = strdup(km_tsv_name(r))) == NULL) ret = km_err_set(e, KM_ENOMEM, "out of memory");
	else ret = panel_read(p, r, e);
	km_tsv_close(r);
	if (ret < 0) km_panel_destroy(p);
	return ret < 0 ? ret : 0;
}

int km_panel_load(km_panel_t *p, const char *fn, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(p, 0, sizeof *p);
	if ((ret = km_tsv_open(&r, fn, e)) < 0) return ret;
	return panel_load(p, r, e);
}

int km_panel_load_mem(km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e)
{
	km_tsv_t *r;
	int ret;
	memset(p, 0, sizeof *p);
	if ((ret = km_tsv_open_mem(&r, name, buf, len, e)) < 0) return ret;
	return panel_load(p, r, e);
}
