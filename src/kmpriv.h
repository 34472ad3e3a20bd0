/* kmpriv.h — internal interfaces between the pipeline stages.
 * Parsers and builders return 0 or a KM_E* code and fill a km_err_t; only main.c and
 * cmd_*.c print and exit.
 */
#ifndef KMPRIV_H
#define KMPRIV_H

#include <stdio.h>
#include <math.h>
#include "kinmatch.h"

/* -inf as a double (INFINITY is a float constant) */
#define KM_NEG_INF (-(double)INFINITY)

#if defined(__GNUC__)
#define KM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KM_PRINTF(a, b)
#endif

/* ---- CPU helpers (core): vector clones and spin locks ---------------------------- */
/* Loops written lane by lane, cloned for AVX-512 and AVX2 and chosen at run time (GNU
 * ifunc: the loader asks the CPU once).  The clones do the same element-wise operations
 * in the same order (no FMA: -ffp-contract=off), so every clone gives the same bits.
 * Off x86-64 (or with -DKM_NO_CLONES) the plain C loop is compiled once; likewise with
 * clang before 16, whose ifunc symbol of an external clone is not the function's name
 * (a call from another file does not link). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(KM_NO_CLONES) && \
	(!defined(__clang__) || __clang_major__ >= 16)
#define KM_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define KM_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#define KM_HAVE_CLONES 1
#else
#define KM_SIMD_CLONES
#define KM_AVX2_CLONES
#define KM_HAVE_CLONES 0
#endif

/* Which clone of the KM_SIMD_CLONES functions (the scan's block sums) this CPU runs: the
 * ifunc resolver takes the first of avx512f, avx2, default the CPU supports, so the same
 * test here names it; for --bench's line, so a benchmark says which code path ran. */
static inline const char *km_simd_path(void)
{
#if KM_HAVE_CLONES
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) return "avx512f";
	if (__builtin_cpu_supports("avx2")) return "avx2";
	return "default";
#else
	return "none";
#endif
}

/* A spin-wait hint: lets the sibling hyperthread run and saves power while a lock is
 * held by another thread (x86 PAUSE, Arm YIELD). */
static inline void km_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Test-and-test-and-set lock on one byte (0 = free): for short critical sections (a
 * table-cache shard, one remain's ranking).  Waiters spin on a plain load with a pause,
 * so the line is not bounced between cores. */
static inline void km_spin_lock(volatile unsigned char *l)
{
	while (__atomic_test_and_set(l, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) km_cpu_relax();
}
static inline void km_spin_unlock(volatile unsigned char *l)
{
	__atomic_clear(l, __ATOMIC_RELEASE);
}

/* ---- err.c --------------------------------------------------------------------- */
extern int km_verbose;                 /* 0 quiet, 1 normal (warnings), 2 chatty */
/* Sets e->msg from fmt and returns code. */
int km_err_set(km_err_t *e, int code, const char *fmt, ...) KM_PRINTF(3, 4);
/* Prefixes e->msg: "<fmt>: <old message>"; returns code (core, issue 10). */
int km_err_prefix(km_err_t *e, int code, const char *fmt, ...) KM_PRINTF(3, 4);
/* Sets e->msg to "FN:LINE:COL: message" and returns KM_EINPUT. */
int km_err_at(km_err_t *e, const char *fn, int line, int col, const char *fmt, ...) KM_PRINTF(5, 6);
/* Prints "kinmatch: warning: ..." to stderr when km_verbose >= 1, and hands the message
 * (without the prefix) to the hook, if one is set, whatever km_verbose says. */
void km_warn(const char *fmt, ...) KM_PRINTF(1, 2);
typedef void (*km_warn_hook_f)(void *ud, const char *msg);
void km_warn_set_hook(km_warn_hook_f f, void *ud);   /* NULL: none */
/* Prints "kinmatch: error: <e->msg>" to stderr. */
void km_err_print(const km_err_t *e);
/* The process exit code of a KM_E* return code (0 for ret >= 0): sysexits.h. */
int km_exit_code(int ret);
#define KM_EXIT_OMITTED 3   /* match --keep-going: finished, some families left out */
/* The exit codes as --help prints them (README, "Exit codes"). */
#define KM_EXIT_HELP \
	"\nExit codes (sysexits.h):\n" \
	"  0   finished                          64  usage: unknown option, bad value\n" \
	"  3   finished with omissions           65  malformed data (FILE:LINE:COL)\n" \
	"      (match --keep-going)              66  an input cannot be opened\n" \
	"  70  internal error                    73  an output cannot be created (--out)\n" \
	"  71  out of memory                     74  I/O error while writing\n" \
	"  75  --out is in use by another job\n"

/* ---- cli.c: shared by the subcommands ------------------------------------------ */
/* "--NAME: expected a number in [lo,hi), got 'x'" style checks of option values */
int km_opt_double(const char *name, const char *arg, double lo, double hi, int lo_open, int hi_open, double *x, km_err_t *e);
int km_opt_long(const char *name, const char *arg, long lo, long hi, long *x, km_err_t *e);
int km_opt_int(const char *name, const char *arg, long lo, long hi, int *x, km_err_t *e);
/* After getopt_long(":" optstring, opterr = 0) returned c == '?' (unknown option) or ':'
 * (missing value): prints one line naming the option and pointing to `kinmatch CMD
 * --help`; returns the usage exit code (64). */
int km_opt_unknown(const char *cmd, int c, char *const argv[], km_err_t *e);
void km_log10_vec(const double *x, double *y, size_t n);   /* flog.c: y = log10 x, within a few ulp */
double km_now(void);                              /* monotonic seconds */
int km_cmp_u64(const void *x, const void *y);     /* qsort order of uint64_t */

/* ---- tsv.c: tab-separated reader, .gz transparent, header -> column map ---------- */
typedef struct km_tsv_s km_tsv_t;
/* Opens a file (gzip/bgzip read transparently).  *r is owned by the caller: km_tsv_close(). */
/* 0 when fn is not a regular file starting as BGZF, or when every block header is one (FLG
 * 4, the BC subfield) and the blocks tile the file; else KM_EINPUT naming the byte (tsv.c;
 * issue 15) */
int km_bgzf_walk(const char *fn, km_err_t *e);
int km_tsv_open(km_tsv_t **r, const char *fn, km_err_t *e);
/* Reads from memory (no copy; buf must outlive the reader); name is used in messages. */
int km_tsv_open_mem(km_tsv_t **r, const char *name, const char *buf, size_t len, km_err_t *e);
void km_tsv_close(km_tsv_t *r);
/* Threads that inflate BGZF input ahead of the parser (default 1: none). */
void km_tsv_set_threads(int n);
/* Reads the header (first non-comment line).  Returns 0, or KM_EINPUT on an empty file
 * or a duplicate column name. */
int km_tsv_header(km_tsv_t *r, km_err_t *e);
/* Column index of a header name, or -1.  If required and absent, sets e and returns
 * KM_EINPUT through *ret (pass NULL for optional columns). */
int km_tsv_col(const km_tsv_t *r, const char *name);
int km_tsv_need(km_tsv_t *r, const char *name, int *col, km_err_t *e);
/* Next data line (comments and blank lines skipped).  1 = a line, 0 = end, < 0 error.
 * A line with fewer fields than the header is an error naming the line. */
/* For a reader that can skip most lines cheaply (prof_tsv.c's other-shard rows): the next
 * physical line as it is (no comment, blank or byte checks, not split; *s valid until
 * the next call, not NUL-terminated: it may point into the read buffer): 1, 0 at the
 * end, < 0 error.  Then
 * km_tsv_split() makes it the current line exactly as km_tsv_next() would have: 1 a data
 * line, 0 a comment or blank line (to be skipped), < 0 an error. */
int km_tsv_raw(km_tsv_t *r, const char **s, size_t *n, km_err_t *e);
int km_tsv_split(km_tsv_t *r, km_err_t *e);
int km_tsv_next(km_tsv_t *r, km_err_t *e);
/* Field i of the current line (NUL-terminated, "" if the line is short), its 1-based
 * byte column, and the current 1-based physical line number. */
const char *km_tsv_field(const km_tsv_t *r, int i);
int km_tsv_fcol(const km_tsv_t *r, int i);
int km_tsv_line(const km_tsv_t *r);
const char *km_tsv_name(const km_tsv_t *r);
const char *km_tsv_colname(const km_tsv_t *r, int i);
int km_tsv_ncol(const km_tsv_t *r);
/* "FN:LINE:COL: <fmt> (column 'NAME')"; returns KM_EINPUT. */
int km_tsv_fail(const km_tsv_t *r, int i, km_err_t *e, const char *fmt, ...) KM_PRINTF(4, 5);
/* Number parsing with full-string check: 0 ok, -1 not a number. */
int km_parse_double(const char *s, double *x);
int km_parse_int(const char *s, long *x);

/* ---- panel.c ----------------------------------------------------------------------- */
int km_panel_load(km_panel_t *p, const char *fn, km_err_t *e);
int km_panel_load_mem(km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e);
int km_panel_find(const km_panel_t *p, const char *name);   /* marker index or -1 */
void km_panel_destroy(km_panel_t *p);
int km_is_xchrom(const char *chrom);                         /* "X" or "23" */

/* ---- snppos.c: --snp-positions (issue 12 part 5) ------------------------------------- */
/* Loads SNP positions into p (p->pos_hash, p->pos_al): columns `rsid` (or `marker`), `chrom`,
 * `pos` (or `position`, `pos_grch38`), `ref`, `alt`; rows of markers not in the panel are
 * skipped (the table may list more SNPs than the panel).  On error p's positions are
 * left unset. */
int km_snppos_load(km_panel_t *p, const char *fn, km_err_t *e);
int km_snppos_load_mem(km_panel_t *p, const char *name, const char *buf, size_t len, km_err_t *e);
/* The key of a position: "CHROM:POS" with a leading "chr" (any case) dropped. */
void km_snppos_key(char *buf, size_t n, const char *chrom, long pos);

/* ---- freqs.c ----------------------------------------------------------------------- */
/* Long form (marker allele frequency) or ladder form (Allele + one column per marker),
 * detected from the header.  Every marker must be in the panel.  min_freq is kept for
 * alleles that profiles add later. */
int km_freqs_load(km_freqs_t *f, const km_panel_t *p, const char *fn, double min_freq, km_err_t *e);
int km_freqs_load_mem(km_freqs_t *f, const km_panel_t *p, const char *name, const char *buf,
                      size_t len, double min_freq, km_err_t *e);
/* Index of allele label at marker m; if absent and add != 0, appends it with
 * f->min_freq (in_table = 0, a warning naming the allele); else returns -1. */
int km_freqs_allele(km_freqs_t *f, const km_panel_t *p, int m, const char *label, int add);
/* 1 if label is a valid allele of a marker of this km_sys_t: SNP A/C/G/T (any case),
 * otherwise a repeat number >= 0 ("12", "9.3"). */
int km_allele_ok(int type, const char *label);
/* The message for a label that fails km_allele_ok(); a literal, so formats are checked. */
#define KM_ALLELE_BAD_FMT(type) \
	((type) == KM_SYS_SNP ? "SNP allele '%s' is not A, C, G or T" : \
	 (type) == KM_TYPE_AMEL ? "amelogenin allele '%s' is not X or Y" : "STR allele '%s' is not a repeat number")
/* Checks that every STR / SNP / X-STR marker of the panel has a frequency table. */
int km_freqs_check_panel(const km_freqs_t *f, const km_panel_t *p, km_err_t *e);
void km_freqs_destroy(km_freqs_t *f);

/* The fast key of an allele label s[0..n): 10 x its value for a repeat number written as
 * one to three digits and at most one decimal ("9", "9.3", "14"), the upper-cased letter
 * of a SNP allele; -1 for anything else (looked up the slow way).  Equal keys mean equal
 * values, so km_alleles_t.fast[key] >= 0 is the allele (freqs.c). */
static inline int km_allele_fast_key(int type, const char *s, size_t n)
{
	if (type == KM_SYS_SNP) {
		if (n != 1) return -1;
		int c = (unsigned char)s[0];
		return c >= 'a' && c <= 'z' ? c - 32 : c;
	}
	size_t i = 0;
	int v = 0;
	for (; i < n && i < 4 && s[i] >= '0' && s[i] <= '9'; ++i) v = 10 * v + (s[i] - '0');
	if (i == 0 || i == 4) return -1;
	v *= 10;
	if (i < n) {
		if (s[i] != '.' || i + 2 != n || s[i + 1] < '0' || s[i + 1] > '9') return -1;
		v += s[i + 1] - '0';
	}
	return v < 1024 ? v : -1;
}

/* ---- prof.c (builder, reader choice), prof_tsv.c, prof_vcf.c ------------------------ */
/* Loads a profile file: TSV (.gz ok) or VCF/BCF (.vcf, .vcf.gz, .bcf).  Alleles are
 * mapped through f (adding unseen alleles at min_freq). */
int km_prof_load(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e);
int km_prof_load_mem(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *name,
                     const char *buf, size_t len, km_err_t *e);
int km_prof_load_vcf(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e);
int km_prof_load_tsv(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, km_err_t *e);
/* The same keeping only the samples in K->keep (a khash_str2int set; K NULL = all): the
 * other samples' rows are checked and their alleles added to f as a full read adds them,
 * but they are not stored (prof_tsv.c; issue 17's shards) — with K->names they are
 * registered (id, first line, duplicate rows) and their calls kept at the markers of
 * K->gmask (issue 17's merge).  A VCF is read whole. */
typedef struct km_prof_keep_s {
	void *keep;              /* the samples read whole */
	int names;               /* the others registered too */
	const uint8_t *gmask;    /* [n_marker] with names: where their calls are kept (NULL none) */
} km_prof_keep_t;
int km_prof_load_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, const km_prof_keep_t *K,
                      km_err_t *e);
int km_prof_load_tsv_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *fn, const km_prof_keep_t *K,
                          km_err_t *e);
int km_prof_load_mem_keep(km_prof_t *pr, const km_panel_t *p, km_freqs_t *f, const char *name, const char *buf,
                          size_t len, const km_prof_keep_t *K, km_err_t *e);   /* tests, fuzzers */
int km_prof_find(const km_prof_t *pr, const char *sample);   /* sample index or -1 */
/* 1 if the file held the sample, stored or (a keep read) read for its alleles only, with
 * its first line in *line (may be NULL); else 0 */
int km_prof_known(const km_prof_t *pr, const char *sample, int *line);
static inline const int32_t *km_prof_gt(const km_prof_t *pr, int s, int m)
{
	return pr->a + ((size_t)s * pr->n_marker + m) * 2;
}
void km_prof_destroy(km_prof_t *pr);
/* The profile builder (prof.c) that prof_tsv.c and prof_vcf.c fill.  km_prof_init() zeroes pr and
 * sets it up for panel p; km_prof_add_sample() returns the index of sample name (adding
 * it, untyped everywhere, with line if new) or KM_ENOMEM; km_prof_set_gt() stores a call,
 * diploid alleles sorted ascending, KM_HEMI kept in slot 1. */
int km_prof_init(km_prof_t *pr, const km_panel_t *p, const char *fn);
int km_prof_add_sample(km_prof_t *pr, const char *name, int line);
void km_prof_set_gt(km_prof_t *pr, int s, int m, int32_t a0, int32_t a1);
/* issue 15: KM_EINPUT naming the first remain whose id is also a reference's, else 0 */
int km_prof_check_disjoint(const km_prof_t *rem, const km_prof_t *refs, km_err_t *e);

/* ---- amel.c: sex from amelogenin (issue 12 part 4) ---------------------------------- */
/* The sex a sample's amelogenin call says: KM_MALE (a Y allele), KM_FEMALE (X only),
 * 0 (no AMEL call).  *row: its km_prof_t.amel entry, -1 if none. */
int km_amel_call(const km_panel_t *p, const km_freqs_t *f, const km_prof_t *pr, int s, int *row);
/* Records where sample s's amelogenin call at marker m was read (line, column of its
 * first allele; 0 where the format has none), for amel.c's messages.  0 or KM_ENOMEM. */
int km_prof_add_amel(km_prof_t *pr, int s, int m, int line, int col);
/* A reference whose amelogenin contradicts its pedigree sex: KM_EINPUT naming the AMEL row. */
int km_amel_check_refs(const km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, const km_freqs_t *f,
                       km_err_t *e);
/* Remains' sex into rsex[n_sample]: given[r] (e.g. --remain-info sex; NULL = none) where
 * known, else amelogenin, where an X-only call counts as unknown when rd[r] > 0 (a man's Y
 * may have dropped out).  Contradictions between given and amelogenin sex are counted
 * and warned about; returns their number. */
int km_amel_remains(int *rsex, const km_panel_t *p, const km_freqs_t *f, const km_prof_t *rem, const double *rd,
                    const int *given, const char *given_fn);

/* ---- ped.c ------------------------------------------------------------------------- */
int km_peds_load(km_peds_t *d, const char *fn, km_err_t *e);
int km_peds_load_mem(km_peds_t *d, const char *name, const char *buf, size_t len, km_err_t *e);
/* Links references to their profiles and checks sex-dependent calls (heterozygous male
 * at an X-STR, hemizygous female).  Errors name the pedigree or profile line. */
int km_peds_link(km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, km_err_t *e);
/* The same for the families f with fsel[f] == k only (fsel NULL: all); the others' persons
 * keep sample -1 (a shard's other families, whose references it did not store). */
int km_peds_link_sel(km_peds_t *d, const km_prof_t *refs, const km_panel_t *p, const int *fsel, int k, km_err_t *e);
void km_peds_destroy(km_peds_t *d);

#endif
