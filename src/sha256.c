/* sha256.c — SHA-256 (NIST FIPS 180-4, "Secure Hash Standard", 2015, §6.2), for the
 * manifest's digests of every input and output file.
 *
 * State: eight 32-bit words H (§5.3.3 initial values), a 64-byte block buffer and the
 * message length in bytes.  km_sha256_update() compresses each full block (§6.2.2 with
 * the message schedule W of §6.2.2 step 1, the functions Ch, Maj, Σ0, Σ1, σ0, σ1 of
 * §4.1.2 and the constants K of §4.2.2); km_sha256_final() pads (§5.1.1: a 1 bit, zeros,
 * the 64-bit big-endian bit length) and writes H big-endian (§6.2.2 step 4).
 * Tested against the NIST example vectors (tests/unit/test_sha256.c).
 *
 * Two implementations of the compression, chosen at run time (km_sha256_path): the
 * portable one below, and on x86-64 CPUs with the SHA extensions (Intel 2013, "Intel SHA
 * Extensions", Gulley et al.; AMD since Zen) the same §6.2.2 rounds by SHA256RNDS2 (two
 * rounds per instruction) with the schedule by SHA256MSG1/MSG2 — about 5x faster, which
 * matters because every run hashes every input for its manifest (and a shard also for its
 * key: issue 17's per-shard cost).  test_sha256 checks both against the vectors and each
 * other on random messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define KM_SHA_NI 1
#endif
#include "kmpriv.h"
#include "sha256.h"

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))           /* §4.1.2 (4.2) */
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z))) /* (4.3) */
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))     /* Σ0 (4.4) */
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))     /* Σ1 (4.5) */
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))      /* σ0 (4.6) */
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))    /* σ1 (4.7) */

void km_sha256_init(km_sha256_t *c)
{
	/* §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes */
	static const uint32_t H0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(c->h, H0, sizeof H0);
	c->len = 0;
	c->n_buf = 0;
}

/* §6.2.2: one 512-bit block */
static void compress(uint32_t h[8], const uint8_t *b)
{
	uint32_t w[64], a, bb, cc, d, e, f, g, hh;
	for (int t = 0; t < 16; ++t)
		w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 | (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
	for (int t = 16; t < 64; ++t) w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];
	a = h[0], bb = h[1], cc = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int t = 0; t < 64; ++t) {
		uint32_t t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + w[t];
		uint32_t t2 = BSIG0(a) + MAJ(a, bb, cc);
		hh = g, g = f, f = e, e = d + t1, d = cc, cc = bb, bb = a, a = t1 + t2;
	}
	h[0] += a, h[1] += bb, h[2] += cc, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void compress_portable(uint32_t h[8], const uint8_t *p, size_t nb)
{
	for (; nb > 0; --nb, p += 64) compress(h, p);
}

#ifdef KM_SHA_NI
/* §6.2.2 with the SHA extensions.  SHA256RNDS2 keeps the working variables as two
 * registers, ABEF and CDGH (A in the highest dword), and takes W_t + K_t of two rounds in
 * the low dwords of its third operand; SHA256MSG1 gives W_{t-16} + σ0(W_{t-15}) for four
 * t, SHA256MSG2 adds σ1(W_{t-2}) (W_{t-7} added in between), so m[g mod 4] holds
 * W_{4g..4g+3}. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_ni(uint32_t h[8], const uint8_t *p, size_t nb)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i t = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);   /* dwords A B C D */
	__m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);  /* E F G H */
	t = _mm_shuffle_epi32(t, 0xB1);          /* B A D C */
	s1 = _mm_shuffle_epi32(s1, 0x1B);        /* H G F E */
	__m128i s0 = _mm_alignr_epi8(t, s1, 8);  /* F E B A: "ABEF" */
	s1 = _mm_blend_epi16(s1, t, 0xF0);       /* H G D C: "CDGH" */
	for (; nb > 0; --nb, p += 64) {
		__m128i a0 = s0, c0 = s1, m[4];
		for (int g = 0; g < 16; ++g) {
			__m128i *x = &m[g & 3];
			if (g < 4) *x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * g)), bswap);
			else {
				const __m128i w1 = m[(g + 1) & 3], w2 = m[(g + 2) & 3], w3 = m[(g + 3) & 3];
				*x = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(*x, w1), _mm_alignr_epi8(w3, w2, 4)), w3);
			}
			__m128i wk = _mm_add_epi32(*x, _mm_loadu_si128((const __m128i *)(const void *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(wk, 0x0E));
		}
		s0 = _mm_add_epi32(s0, a0), s1 = _mm_add_epi32(s1, c0);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);         /* A B E F */
	s1 = _mm_shuffle_epi32(s1, 0xB1);        /* G H C D */
	s0 = _mm_blend_epi16(t, s1, 0xF0);       /* A B C D */
	s1 = _mm_alignr_epi8(s1, t, 8);          /* E F G H */
	_mm_storeu_si128((__m128i *)(void *)&h[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

static int cpu_has_sha(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)) || !(c & (1u << 9))) return 0;   /* SSE4.1, SSSE3 */
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));                     /* SHA */
}
#endif

int km_sha256_portable = 0;
static int sha_path = -1;   /* -1 not yet asked, 0 portable, 1 SHA extensions */

static int path_now(void)
{
	if (km_sha256_portable) return 0;
	int v = __atomic_load_n(&sha_path, __ATOMIC_RELAXED);
	if (v < 0) {
#ifdef KM_SHA_NI
		v = cpu_has_sha();
#else
		v = 0;
#endif
		__atomic_store_n(&sha_path, v, __ATOMIC_RELAXED);
	}
	return v;
}

const char *km_sha256_path(void)
{
	return path_now() ? "sha_ni" : "portable";
}

static void compress_blocks(uint32_t h[8], const uint8_t *p, size_t nb)
{
#ifdef KM_SHA_NI
	if (path_now()) { compress_ni(h, p, nb); return; }
#endif
	compress_portable(h, p, nb);
}

void km_sha256_update(km_sha256_t *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	c->len += n;
	if (c->n_buf > 0) {
		size_t k = 64 - c->n_buf < n ? 64 - c->n_buf : n;
		memcpy(c->buf + c->n_buf, p, k);
		c->n_buf += k, p += k, n -= k;
		if (c->n_buf < 64) return;
		compress_blocks(c->h, c->buf, 1);
		c->n_buf = 0;
	}
	compress_blocks(c->h, p, n / 64);
	p += n / 64 * 64, n %= 64;
	memcpy(c->buf, p, n);
	c->n_buf = n;
}

void km_sha256_final(km_sha256_t *c, uint8_t out[32])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t np = c->n_buf < 56 ? 56 - c->n_buf : 120 - c->n_buf;   /* §5.1.1: to 448 mod 512 bits */
	for (int i = 0; i < 8; ++i) pad[np + i] = (uint8_t)(bits >> (56 - 8 * i));
	uint64_t len = c->len;
	km_sha256_update(c, pad, np + 8);
	c->len = len;
	for (int i = 0; i < 8; ++i)
		for (int k = 0; k < 4; ++k) out[4 * i + k] = (uint8_t)(c->h[i] >> (24 - 8 * k));
}

void km_sha256_hex(const uint8_t d[32], char hex[65])
{
	static const char x[] = "0123456789abcdef";
	for (int i = 0; i < 32; ++i) hex[2 * i] = x[d[i] >> 4], hex[2 * i + 1] = x[d[i] & 15];
	hex[64] = 0;
}

/* The digests of the files hashed so far in this process, by device, inode, size and
 * modification time: a shard hashes every input twice (its key, then its manifest), and
 * a file that changed in between has another size or time.  Called from one thread. */
#define SHA_MEMO 16
static struct { dev_t dev; ino_t ino; off_t size; struct timespec mt; char hex[65]; } memo[SHA_MEMO];
static int n_memo;

int km_sha256_file(const char *fn, char hex[65], uint64_t *bytes, km_err_t *e)
{
	int fd = open(fn, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) return km_err_set(e, KM_EOPEN, "%s: cannot open: %s", fn, strerror(errno));
	int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	for (int i = 0; reg && i < n_memo; ++i)
		if (memo[i].dev == st.st_dev && memo[i].ino == st.st_ino && memo[i].size == st.st_size &&
		    memo[i].mt.tv_sec == st.st_mtim.tv_sec && memo[i].mt.tv_nsec == st.st_mtim.tv_nsec) {
			memcpy(hex, memo[i].hex, 65);
			if (bytes) *bytes = (uint64_t)st.st_size;
			close(fd);
			return 0;
		}
	uint64_t nb = 0;
	int ret = km_sha256_fd(fd, hex, &nb);
	if (bytes) *bytes = nb;
	if (ret < 0) ret = km_err_set(e, KM_EIO, "%s: read error: %s", fn, strerror(errno));
	else if (reg && nb == (uint64_t)st.st_size) {   /* not grown while it was read */
		int i = n_memo < SHA_MEMO ? n_memo++ : SHA_MEMO - 1;
		memo[i].dev = st.st_dev, memo[i].ino = st.st_ino, memo[i].size = st.st_size, memo[i].mt = st.st_mtim;
		memcpy(memo[i].hex, hex, 65);
	}
	close(fd);
	return ret;
}

int km_sha256_fd(int fd, char hex[65], uint64_t *bytes)
{
	km_sha256_t c;
	uint8_t buf[1 << 16], d[32];
	ssize_t n;
	km_sha256_init(&c);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR) continue;
			return KM_EIO;
		}
		km_sha256_update(&c, buf, (size_t)n);
	}
	if (bytes) *bytes = c.len;
	km_sha256_final(&c, d);
	km_sha256_hex(d, hex);
	return 0;
}
