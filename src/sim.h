/* sim.h — `kinmatch simulate`: a synthetic casework dataset whose truth is known.
 *
 * Families of pedigree shapes like the memorial's are built, genotypes are dropped
 * through them with the mutation models `match` uses (km_mut_matrix), remains of some
 * missing persons are degraded (allelic dropout and locus failure), unrelated remains
 * are added, and everything is written in the contract's formats plus truth.tsv.
 *
 * Reproducibility: family i draws only from its own generator, seeded from
 * (seed, i); unrelated remain j from (seed, 2^31 + j); the remains' order from
 * (seed, 2^32 - 1).  Families are generated in parallel but written in family order,
 * so the output is byte-identical for any --threads.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#ifndef KM_SIM_H
#define KM_SIM_H

#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "kinmatch.h"
#include "lineage.h"

/* mtDNA substitutions per mother -> child transmission over the typed range when
 * --mt-mutation-rate is not given: the default of the lineage code (lineage.c,
 * KM_MT_RATE_DEFAULT), so that simulate and match assume the same rate.  It is
 * Sigurðardóttir et al. 2000 (AJHG 66:1599): 3 mutations in 705 transmissions across
 * HVS-I and HVS-II of Icelandic pedigrees. */
#define KM_SIM_MT_RATE (3.0 / 705.0)

/* Concentration a+b of the Beta distribution of a remain's dropout probability. */
#define KM_SIM_BETA_CONC 4.0

/* Ceiling of a remain's locus-failure probability, so a remain keeps some loci. */
#define KM_SIM_FAIL_MAX 0.95

/* Pedigree shapes: how the references relate to the missing person M. */
enum {
	KM_SHAPE_SIB = 0,      /* full siblings of M */
	KM_SHAPE_NEPHEW_B,     /* children of M's brother */
	KM_SHAPE_NEPHEW_S,     /* children of M's sister */
	KM_SHAPE_GNEPHEW_B,    /* grandchildren of M's brother through his son (Y line) */
	KM_SHAPE_GNEPHEW_S,    /* grandchildren of M's sister through her daughter (mt line) */
	KM_SHAPE_COUSIN,       /* first cousins (children of a parent's sibling) */
	KM_SHAPE_PARENT,       /* M's father and/or mother (with siblings beyond two refs) */
	KM_SHAPE_CHILD,        /* M's children (and sometimes their other parent) */
	KM_SHAPE_HALFSIB,      /* paternal or maternal half-siblings */
	KM_N_SHAPE
};

typedef struct km_simopt_s {
	const char *panel, *freqs, *y_db, *mt_db, *out;
	int mutation;           /* KM_MUT_*, as match */
	double range;           /* stepwise: relative probability of n+1 vs n steps */
	double rate2;           /* stepwise: integer <-> microvariant rate */
	double mt_rate;         /* mtDNA substitutions per meiosis over the range (Poisson mean) */
	long n_family;
	double remain_frac;     /* share of missing persons whose remains are found */
	long n_unrelated;       /* remains unrelated to every family; < 0: 10% of all remains */
	double mix[KM_N_SHAPE]; /* shape weights (need not sum to 1) */
	double female_frac;     /* share of missing persons (and unrelated remains) who are women */
	double two_missing;     /* share of families with a second missing sibling of M */
	double dropout_mean;    /* mean of a remain's dropout probability d */
	double dropout_max;     /* d <= dropout_max; mean == max gives every remain d = max */
	double locus_fail;      /* a remain's locus-failure probability is locus_fail * d */
	double typing_error;    /* models (issue 12 part 1): per typed call, the probability that it is
	                           replaced by a genotype drawn from Hardy-Weinberg (remains: before dropout) */
	unsigned long seed;
	int threads;
	int gz;                 /* write .tsv.gz (BGZF) */
	int quiet;
} km_simopt_t;

typedef struct km_simstat_s {
	long n_family, n_person, n_ref, n_missing;
	long n_remain, n_related, n_unrelated;
	long n_empty;           /* remains with no typed locus left, not written */
	long shape[KM_N_SHAPE]; /* families per shape */
} km_simstat_t;

/* Sets the defaults that `kinmatch simulate --help` shows. */
void km_simopt_init(km_simopt_t *o);
/* Checks required options and ranges, naming the option.  0 or KM_EUSAGE. */
int km_simopt_check(const km_simopt_t *o, km_err_t *e);
/* Parses "sib:0.15,nephew_b:0.2,..." into mix[]; shapes not named get weight 0. */
int km_sim_mix_parse(const char *s, double *mix, km_err_t *e);
const char *km_sim_shape_name(int shape);

/* Runs the whole simulation: loads the inputs, writes DIR/{pedigrees,references,
 * remains,remain-info,truth}.tsv[.gz] and mtdna.tsv[.gz] (with --mt-db) as sinks of the
 * output layer (out.h: DIR locked and checked before loading, all files committed
 * together); on error no temp file is left and earlier files stay. */
int km_sim_run(const km_simopt_t *o, km_simstat_t *st, km_err_t *e);

/* ---- the generator, for tests -------------------------------------------------------- */
typedef struct km_sim_s km_sim_t;

/* Builds the per-marker samplers (allele tables, mutation matrices) from loaded inputs.
 * p, f, ydb and mdb must outlive *S (ydb, mdb may be NULL).  amp[m] is marker m's
 * amplicon length in bp (NULL or <= 0 = unknown).  Free with km_sim_destroy(). */
int km_sim_init(km_sim_t **S, const km_simopt_t *o, const km_panel_t *p, const km_freqs_t *f,
                const km_ydb_t *ydb, const km_mtset_t *mdb, const double *amp, km_err_t *e);
void km_sim_destroy(km_sim_t *S);

/* Drops genotypes through a pedigree of n persons listed parents first (father[i],
 * mother[i] < i, -1 = founder).  g[(i * n_marker + m) * 2 + k]: allele index into the
 * frequency table; at an autosomal locus k = 0 came from the father, k = 1 from the
 * mother; a male at an X-STR has g[..+1] = KM_HEMI; Y-STRs hold repeat number x 10
 * (KM_HEMI in slot 1 for a single copy), KM_NOALLELE in women or without --y-db. */
void km_sim_drop(const km_sim_t *S, gsl_rng *r, int n, const int *father, const int *mother,
                 const int *sex, int32_t *g);

/* Seed of stream i of a run with the given seed: distinct for distinct i. */
unsigned long km_sim_seed(unsigned long seed, uint32_t i);

#endif
