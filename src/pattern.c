/* The positional data pattern and its checker. */
#include "pattern.h"
#include "util.h"

#include <string.h>

#define ORIGIN_LIMIT (1ULL << 44)	/* offsets beyond 16 TiB are not ours */

static uint64_t seed_key(uint64_t seed)
{
	return mix64(seed ^ 0x696f76626564ULL);	/* "iovbed" */
}

uint64_t pattern_word(uint64_t seed, uint64_t index)
{
	return mix64(index ^ seed_key(seed));
}

static void put_le64(unsigned char *p, uint64_t w)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = w >> (8 * i);
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t w = 0;
	int i;

	for (i = 0; i < 8; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static unsigned char pattern_byte(uint64_t seed, uint64_t off)
{
	return pattern_word(seed, off / 8) >> (8 * (off % 8));
}

/*
 * The hot loops: a stress run checks every byte it reads, at the speed of
 * the IO. Words are computed and compared 4 at a time in vector registers
 * (GCC vector extensions: one 64-bit multiply per lane with AVX-512, a
 * few 32-bit ones with AVX2), in clones for each instruction set that the
 * loader picks from the CPU (target_clones): about memcmp's speed, where
 * a word at a time into a buffer and then memcmp ran at a third of it.
 */
#if defined(__x86_64__) && defined(__GNUC__) && __GNUC__ >= 12 && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define SIMD_CLONES
#endif
typedef uint64_t v4u64 __attribute__((vector_size(32)));
/* mix64 on each lane, in place */
#define V4_MIX(x) do {						\
	x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;			\
	x ^= x >> 27; x *= 0x94d049bb133111ebULL;			\
	x ^= x >> 31;							\
} while (0)
#define V4_AT(index, key) ((((v4u64){ 0, 1, 2, 3 }) + (index)) ^ (key))

/* Words index.. of key's pattern into p (n words, any alignment of p). */
SIMD_CLONES
static void words_fill(unsigned char *p, size_t n, uint64_t index, uint64_t key)
{
	size_t i = 0;

	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		for (; i + 8 <= n; i += 8) {
			v4u64 a = V4_AT(index + i, key), b = V4_AT(index + i + 4, key);

			V4_MIX(a);
			V4_MIX(b);
			memcpy(p + i * 8, &a, 32);
			memcpy(p + i * 8 + 32, &b, 32);
		}
	}
	for (; i < n; i++)
		put_le64(p + i * 8, mix64((index + i) ^ key));
}

/* The first of n words at p that is not key's pattern word index + i:
 * exact to the block of 16 it lies in (the caller looks closer), or n. */
SIMD_CLONES
static size_t words_first_bad(const unsigned char *p, size_t n, uint64_t index, uint64_t key)
{
	size_t i = 0;

	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
		for (; i + 16 <= n; i += 16) {
			v4u64 w[4], e0 = V4_AT(index + i, key), e1 = V4_AT(index + i + 4, key);
			v4u64 e2 = V4_AT(index + i + 8, key), e3 = V4_AT(index + i + 12, key), acc;

			memcpy(w, p + i * 8, sizeof(w));
			V4_MIX(e0);
			V4_MIX(e1);
			V4_MIX(e2);
			V4_MIX(e3);
			acc = (w[0] ^ e0) | (w[1] ^ e1) | (w[2] ^ e2) | (w[3] ^ e3);
			if (acc[0] | acc[1] | acc[2] | acc[3])
				return i;
		}
	}
	for (; i < n; i++)
		if (get_le64(p + i * 8) != mix64((index + i) ^ key))
			return i;
	return n;
}

void pattern_fill(void *buf, size_t len, uint64_t seed, off_t file_off)
{
	unsigned char *p = buf;
	uint64_t off = file_off;
	size_t i = 0;

	while (i < len && (off + i) % 8)
		p[i] = pattern_byte(seed, off + i), i++;
	words_fill(p + i, (len - i) / 8, (off + i) / 8, seed_key(seed));
	for (i += (len - i) / 8 * 8; i < len; i++)
		p[i] = pattern_byte(seed, off + i);
}

int pattern_origin(uint64_t seed, uint64_t word, uint64_t *origin)
{
	uint64_t index = unmix64(word) ^ seed_key(seed);

	if (index >= ORIGIN_LIMIT / 8)
		return 0;
	*origin = index * 8;
	return 1;
}

/* m->pos is the first bad byte: describe it. */
static void describe(const unsigned char *p, size_t len, uint64_t seed, off_t file_off,
		     struct mismatch *m)
{
	size_t pos = m->pos;
	uint64_t off = file_off + pos, aligned = off & ~7ULL;
	size_t back = off - aligned, i;

	m->file_off = off;
	m->shown = 0;
	for (i = pos; i < len && m->shown < sizeof(m->found); i++, m->shown++) {
		m->expected[m->shown] = pattern_byte(seed, file_off + i);
		m->found[m->shown] = p[i];
	}
	/* Decode the whole word around the first bad byte, if we have it. */
	m->origin_known = 0;
	m->found_zero = 0;
	if (back <= pos && pos - back + 8 <= len) {
		uint64_t w = get_le64(p + pos - back), origin;

		if (w == 0)
			m->found_zero = 1;
		else if (pattern_origin(seed, w, &origin) && origin != aligned) {
			m->origin_known = 1;
			m->origin = origin + (off - aligned);
		}
	}
}

/* From pos on: the first byte that differs and how many do (the slow
 * way, only once something is known to be wrong). */
static size_t count_bad(const unsigned char *p, size_t len, uint64_t seed, off_t file_off,
			size_t *first)
{
	unsigned char expect[4096];
	size_t done = *first & ~(size_t)7, bad = 0, i, n;

	*first = (size_t)-1;
	for (; done < len; done += n) {
		n = len - done < sizeof(expect) ? len - done : sizeof(expect);
		pattern_fill(expect, n, seed, file_off + done);
		if (!memcmp(expect, p + done, n))
			continue;
		for (i = 0; i < n; i++) {
			if (expect[i] == p[done + i])
				continue;
			if (*first == (size_t)-1)
				*first = done + i;
			bad++;
		}
	}
	return bad;
}

int pattern_check(const void *buf, size_t len, uint64_t seed, off_t file_off,
		  struct mismatch *m)
{
	const unsigned char *p = buf;
	uint64_t off = file_off;
	size_t i = 0, words, w, first, bad;

	while (i < len && (off + i) % 8 && p[i] == pattern_byte(seed, off + i))
		i++;
	if (i == len || (off + i) % 8 == 0) {
		words = (len - i) / 8;
		w = words_first_bad(p + i, words, (off + i) / 8, seed_key(seed));
		i += w * 8;
		if (w == words)
			while (i < len && p[i] == pattern_byte(seed, off + i))
				i++;
	}
	if (i == len)
		return 0;
	first = i;
	bad = count_bad(p, len, seed, file_off, &first);
	if (first == (size_t)-1)
		return 0;
	if (m) {
		memset(m, 0, sizeof(*m));
		m->pos = first;
		describe(p, len, seed, file_off, m);
		m->bad_bytes = bad;
	}
	return 1;
}

static unsigned char guard_byte(uint64_t seed, size_t i)
{
	/* Bytes that repeat every 7, so a guard never decodes as a pattern word. */
	return 0xa0 | ((mix64(seed) + i % 7) & 0x0f);
}

void guard_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = guard_byte(seed, i);
}

int guard_check(const void *buf, size_t len, uint64_t seed, struct guard_bad *bad)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == guard_byte(seed, i))
			continue;
		bad->pos = i;
		bad->expected = guard_byte(seed, i);
		bad->found = p[i];
		return 1;
	}
	return 0;
}
