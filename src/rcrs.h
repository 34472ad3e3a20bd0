/* rcrs.h — the revised Cambridge Reference Sequence and base-set helpers for mtDNA.
 *
 * Copyright (C) 2026 the kinmatch authors.  GPL-3.0-or-later.
 */
#ifndef KM_RCRS_H
#define KM_RCRS_H

#define KM_MT_LEN 16569  /* rCRS length, NC_012920.1 */

/* km_rcrs[p - 1] = rCRS base at position p, 1 <= p <= KM_MT_LEN (rcrs.c, generated) */
extern const char km_rcrs[KM_MT_LEN + 1];

/* Base set of a state: bits A=1 C=2 G=4 T=8, deletion ('-') = 16; 0 = not a state.
 * IUPAC ambiguity codes (NC-IUB 1984, Nucleic Acids Res 13:3021) stand for every base
 * they name; two states match when their sets intersect. */
static inline int km_mt_bases(char c)
{
	switch (c) {
	case 'A': return 1;
	case 'C': return 2;
	case 'G': return 4;
	case 'T': return 8;
	case 'R': return 1 | 4;         /* puRine */
	case 'Y': return 2 | 8;         /* pYrimidine */
	case 'K': return 4 | 8;         /* Keto */
	case 'M': return 1 | 2;         /* aMino */
	case 'S': return 2 | 4;         /* Strong */
	case 'W': return 1 | 8;         /* Weak */
	case 'B': return 2 | 4 | 8;     /* not A */
	case 'D': return 1 | 4 | 8;     /* not C */
	case 'H': return 1 | 2 | 8;     /* not G */
	case 'V': return 1 | 2 | 4;     /* not T */
	case 'N': return 1 | 2 | 4 | 8;
	case '-': return 16;
	default: return 0;
	}
}

#endif
