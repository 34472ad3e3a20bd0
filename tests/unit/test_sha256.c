/* test_sha256.c — src/sha256.c against the NIST FIPS 180-4 example vectors (NIST CSRC
 * "Cryptographic Standards and Guidelines: Examples with Intermediate Values", SHA-256:
 * one-block "abc", two-block 448-bit message) and the FIPS 180-2 appendix vectors (the
 * 896-bit message, one million 'a'), the empty message, each fed whole and in pieces of
 * every size 1..131 so block boundaries and padding of every length are crossed; all of it
 * for both compressions (the SHA extensions where the CPU has them, and the portable
 * one), and the two against each other on random messages of every length 0..1100. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "sha256.h"

static void hex_of(const char *msg, size_t n, size_t piece, char hex[65])
{
	km_sha256_t c;
	uint8_t d[32];
	km_sha256_init(&c);
	for (size_t i = 0; i < n; i += piece) km_sha256_update(&c, msg + i, n - i < piece ? n - i : piece);
	km_sha256_final(&c, d);
	km_sha256_hex(d, hex);
}

static void vectors(const char *path);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint8_t rbyte(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

int main(void)
{
	char what[160];
	km_sha256_portable = 0;
	const char *fast = km_sha256_path();
	printf("compression on this CPU: %s\n", fast);
	vectors(fast);
	km_sha256_portable = 1;
	check(strcmp(km_sha256_path(), "portable") == 0, "km_sha256_portable forces the portable compression");
	vectors("portable");
	/* random messages: the CPU's compression against the portable one, whole and in pieces */
	uint8_t *buf = malloc(1100);
	int good = 1;
	for (size_t n = 0; n <= 1100; ++n) {
		char a[65], b[65];
		for (size_t i = 0; i < n; ++i) buf[i] = rbyte();
		km_sha256_portable = 1;
		hex_of((const char *)buf, n, n ? n : 1, a);
		km_sha256_portable = 0;
		hex_of((const char *)buf, n, 1 + n % 97, b);
		good &= strcmp(a, b) == 0;
	}
	snprintf(what, sizeof what, "%s and portable agree on random messages of 0..1100 bytes", fast);
	check(good, what);
	free(buf);
	km_sha256_portable = 0;
	char hex[65];
	/* a file: the digest of its bytes and its size */
	snprintf(tmpdir, sizeof tmpdir, "/tmp/km_test_sha.%d", (int)getpid());
	FILE *fp = fopen(tmpdir, "w");
	fputs("abc", fp), fclose(fp);
	uint64_t bytes = 0;
	km_err_t e = { "" };
	check(km_sha256_file(tmpdir, hex, &bytes, &e) == 0 && bytes == 3 &&
	      strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "file digest and size");
	/* the digests are remembered by file identity, size and time: a rewritten file (same
	 * size, a later time) is hashed again, an unchanged one gives the same digest */
	check(km_sha256_file(tmpdir, hex, &bytes, &e) == 0 && strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	      "file digest again (remembered)");
	usleep(30000);
	fp = fopen(tmpdir, "w");
	fputs("abd", fp), fclose(fp);
	check(km_sha256_file(tmpdir, hex, &bytes, &e) == 0 && bytes == 3 &&
	      strcmp(hex, "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9") == 0, "a rewritten file is hashed again");
	unlink(tmpdir);
	check(km_sha256_file(tmpdir, hex, &bytes, &e) == KM_EOPEN, "a missing file: KM_EOPEN");
	printf("%d ok, %d failed\n", n_ok, n_fail);
	return n_fail != 0;
}

static void vectors(const char *path)
{
	static const struct { const char *msg, *want; } v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[65], what[128];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; ++i) {
		size_t n = strlen(v[i].msg);
		int good = 1;
		hex_of(v[i].msg, n, n ? n : 1, hex);
		snprintf(what, sizeof what, "%s: NIST vector %zu (%zu bytes) whole", path, i, n);
		check(strcmp(hex, v[i].want) == 0, what);
		if (strcmp(hex, v[i].want) != 0) printf("  got %s\n  want %s\n", hex, v[i].want);
		for (size_t p = 1; p <= 131; ++p) {
			hex_of(v[i].msg, n, p, hex);
			good &= strcmp(hex, v[i].want) == 0;
		}
		snprintf(what, sizeof what, "%s: NIST vector %zu fed in pieces of 1..131 bytes", path, i);
		check(good, what);
	}
	/* one million 'a' (FIPS 180-2 appendix B.3) */
	char *m = malloc(1000000);
	memset(m, 'a', 1000000);
	hex_of(m, 1000000, 1000, hex);
	snprintf(what, sizeof what, "%s: one million 'a'", path);
	check(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, what);
	/* every message length 0..200 of one byte value: whole == byte by byte (padding edges) */
	int good = 1;
	for (size_t n = 0; n <= 200; ++n) {
		char a[65], b[65];
		hex_of(m, n, n ? n : 1, a);
		hex_of(m, n, 1, b);
		good &= strcmp(a, b) == 0;
	}
	snprintf(what, sizeof what, "%s: lengths 0..200, whole and byte-by-byte agree", path);
	check(good, what);
	free(m);
}
