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

void pattern_fill(void *buf, size_t len, uint64_t seed, off_t file_off)
{
	unsigned char *p = buf;
	uint64_t off = file_off, key = seed_key(seed);
	size_t i = 0;

	while (i < len && (off + i) % 8)
		p[i] = pattern_byte(seed, off + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = mix64(((off + i) / 8) ^ key);

		if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
			memcpy(p + i, &w, 8);
		else
			put_le64(p + i, w);
	}
	for (; i < len; i++)
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

int pattern_check(const void *buf, size_t len, uint64_t seed, off_t file_off,
		  struct mismatch *m)
{
	unsigned char expect[4096];
	const unsigned char *p = buf;
	size_t done = 0, first = (size_t)-1, bad = 0;

	while (done < len) {
		size_t n = len - done < sizeof(expect) ? len - done : sizeof(expect);

		pattern_fill(expect, n, seed, file_off + done);
		if (memcmp(expect, p + done, n)) {
			size_t i;

			for (i = 0; i < n; i++) {
				if (expect[i] == p[done + i])
					continue;
				if (first == (size_t)-1)
					first = done + i;
				bad++;
			}
		}
		done += n;
	}
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
