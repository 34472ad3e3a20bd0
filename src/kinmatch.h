/* kinmatch.h — shared types of the kinmatch pipeline.
 *
 * load -> validate -> index -> compile -> scan -> rank -> write
 *
 * After loading, every name is an int: markers index the panel, alleles index the
 * per-marker allele table (km_freqs_t), samples index a km_prof_t, persons index
 * their family.  Ownership: every km_x_t is filled by km_x_load() and released by
 * km_x_destroy(); a failed load leaves the object zeroed and destroy of a zeroed
 * object is a no-op.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#ifndef KINMATCH_H
#define KINMATCH_H

#include <stdint.h>
#include <stddef.h>

#define KM_VERSION "0.1.0"

/* return codes of fallible functions: 0 ok, < 0 error.  main maps them to sysexits.h
 * exit codes (km_exit_code(), err.c): */
enum {
	KM_OK = 0,
	KM_EINPUT = -1,    /* malformed data (65, EX_DATAERR) */
	KM_EIO = -2,       /* an I/O error while writing or reading an open file (74, EX_IOERR) */
	KM_ENOMEM = -3,    /* out of memory (71, EX_OSERR) */
	KM_EUSAGE = -4,    /* unknown option, bad option value (64, EX_USAGE) */
	KM_EMODEL = -5,    /* the model cannot compute this case (70, EX_SOFTWARE) */
	KM_EOPEN = -6,     /* an input that cannot be opened (66, EX_NOINPUT) */
	KM_ECREATE = -7,   /* an output that cannot be created (73, EX_CANTCREAT) */
	KM_EINTERNAL = -8, /* an internal error, a bug (70, EX_SOFTWARE) */
	KM_EBUSY = -9      /* another job holds the output directory (75, EX_TEMPFAIL) */
};

/* marker systems, in the order the loci are laid out for the scan */
typedef enum { KM_SYS_STR = 0, KM_SYS_SNP = 1, KM_SYS_X = 2, KM_SYS_Y = 3, KM_SYS_MT = 4, KM_N_SYS = 5 } km_sys_t;

/* Panel type AMEL (amelogenin, issue 12 part 4; amel.c): alleles X and Y, read for the
 * sex only and never a locus of the LR.  Outside the km_sys_t range on purpose, so every
 * loop over the systems passes it by. */
#define KM_TYPE_AMEL 7

enum { KM_MALE = 1, KM_FEMALE = 2 };
enum { KM_ROLE_UNTYPED = 0, KM_ROLE_REFERENCE = 1, KM_ROLE_MISSING = 2 };

#define KM_NOALLELE (-1)  /* untyped locus */
#define KM_HEMI     (-2)  /* allele2 of a hemizygous call ('.' or empty) */

/* An error message, filled where the problem is seen ("file:line:col: cause"). */
typedef struct km_err_s {
	char msg[1024];
} km_err_t;

/* ---- panel ------------------------------------------------------------------- */
typedef struct km_marker_s {
	char *name;
	int type;          /* km_sys_t */
	char *chrom;
	double rate;       /* sex-averaged mutation rate per meiosis, 0 = none */
	double rate_f;     /* maternal meioses (female_rate, else rate) */
	double rate_m;     /* paternal meioses (male_rate, else rate) */
	int motif_len;     /* repeat unit length in bp, 0 = unknown */
	int line;          /* line in the panel file */
} km_marker_t;

typedef struct km_panel_s {
	int n_marker;
	km_marker_t *marker;
	void *hash;        /* khash_str2int: name -> marker index */
	char *fn;
	/* --snp-positions (issue 12 part 5; snppos.c): VCF records matched by position */
	void *pos_hash;    /* khash_str2int: "CHROM:POS" (CHROM without "chr") -> SNP marker; NULL = none */
	char (*pos_al)[2]; /* per marker: the table's REF and ALT base, 0 where the marker has no position */
} km_panel_t;

/* ---- allele tables (frequencies) ------------------------------------------------ */
typedef struct km_alleles_s {
	int n_allele, m_allele;
	char **label;      /* as written, e.g. "9.3", "A" */
	double *p;         /* frequency as given (not renormalised) */
	uint8_t *in_table; /* 1 = from --freqs, 0 = added from a profile at --min-freq */
	void *hash;        /* label -> allele index */
	int16_t *fast;     /* [1024]: allele index by 10 x repeat number (STR) or by letter (SNP), -1 none */
} km_alleles_t;

typedef struct km_freqs_s {
	int n_marker;      /* == panel->n_marker */
	km_alleles_t *loc; /* one per panel marker (n_allele 0 where the table lacks it) */
	double min_freq;   /* frequency given to alleles absent from the table */
	int n_warn;        /* alleles added at min_freq */
	char *fn;
} km_freqs_t;

/* ---- profiles ------------------------------------------------------------------- */
typedef struct km_prof_s {
	int n_sample;
	char **sample;     /* in first-seen order */
	void *hash;        /* sample -> index */
	int *line;         /* first line of each sample */
	int n_marker;      /* == panel->n_marker */
	int32_t *a;        /* [(s * n_marker + m) * 2 + k]: allele index, KM_NOALLELE, KM_HEMI */
	char *fn;
	/* amelogenin rows (panel type AMEL), for messages that name them (amel.c) */
	int n_amel, m_amel;
	struct km_amel_row_s { int s, m, line, col; } *amel;   /* sample, marker, line, column of allele1 */
	void *other;       /* a keep read (a shard's references): the samples read but not stored,
	                      id -> first line (khash_str2int, keys owned); NULL otherwise */
} km_prof_t;

/* ---- pedigrees ------------------------------------------------------------------ */
typedef struct km_person_s {
	char *id;
	int father, mother; /* index within the family, -1 = founder */
	int sex;            /* KM_MALE / KM_FEMALE */
	int role;           /* KM_ROLE_* */
	int sample;         /* index into the references profile for role reference, else -1 */
	int line;           /* line in the pedigree file */
} km_person_t;

typedef struct km_family_s {
	char *id;
	int n_person;
	km_person_t *person;
	int line;           /* first line of the family */
} km_family_t;

typedef struct km_peds_s {
	int n_family;
	km_family_t *fam;   /* in first-seen order */
	char *fn;
} km_peds_t;

#endif
