/* sha256.h — SHA-256 (FIPS 180-4) for the manifest's file digests.  See sha256.c. */
#ifndef KM_SHA256_H
#define KM_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include "kinmatch.h"

typedef struct km_sha256_s {
	uint32_t h[8];     /* hash state H0..H7 */
	uint64_t len;      /* message bytes so far */
	uint8_t buf[64];   /* a partial block */
	size_t n_buf;      /* bytes in buf */
} km_sha256_t;

void km_sha256_init(km_sha256_t *c);
void km_sha256_update(km_sha256_t *c, const void *data, size_t n);
/* Writes the 32-byte digest; c must be re-initialised before reuse. */
void km_sha256_final(km_sha256_t *c, uint8_t out[32]);
void km_sha256_hex(const uint8_t d[32], char hex[65]);   /* lower-case hex, NUL-terminated */
/* Digest and size of a file's contents.  0, KM_EOPEN or KM_EIO (e names the file). */
int km_sha256_file(const char *fn, char hex[65], uint64_t *bytes, km_err_t *e);
/* The same from an open descriptor, read from its current offset to the end; 0 or KM_EIO. */
int km_sha256_fd(int fd, char hex[65], uint64_t *bytes);

/* Which compression runs: "sha_ni" (x86 SHA extensions) or "portable"; chosen once from
 * the CPU.  km_sha256_portable = 1 forces the portable one (the tests compare both). */
const char *km_sha256_path(void);
extern int km_sha256_portable;

#endif
