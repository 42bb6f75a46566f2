/* The pattern and the data check: good data passes, every kind of bad
 * data fails and is told apart (corrupt, misplaced, zeros, foreign). */
#include "unit.h"
#include "checks.h"
#include "pattern.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define LEN 65536

static void test_mix_roundtrip(void)
{
	uint64_t x = 1;
	int i;

	for (i = 0; i < 10000; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
		CU_ASSERT_EQUAL(unmix64(mix64(x)), x);
}

static void test_fill_check_any_offset(void)
{
	unsigned char *b = malloc(LEN);
	off_t offs[] = { 0, 3, 512, 4095, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		pattern_fill(b, LEN - 5, 42, offs[i]);
		CU_ASSERT_EQUAL(pattern_check(b, LEN - 5, 42, offs[i], NULL), 0);
	}
	/* Positional: the same bytes filled in two pieces are the same. */
	{
		unsigned char *c = malloc(LEN);

		pattern_fill(c, 1000, 42, 7);
		pattern_fill(c + 1000, LEN - 1000, 42, 1007);
		pattern_fill(b, LEN, 42, 7);
		CU_ASSERT_EQUAL(memcmp(b, c, LEN), 0);
		free(c);
	}
	free(b);
}

/* The check compares whole blocks of words at once: a single bad byte
 * anywhere (the unaligned head, a block, the tail), at any file offset
 * and any buffer alignment, is found exactly and counted once. */
static void test_every_position_found(void)
{
	unsigned char *raw = malloc(1024 + 8);
	off_t offs[] = { 0, 3, 8, 4093 };
	size_t a, o, i, len = 1000;
	struct mismatch m;
	int wrong = 0;

	for (a = 0; a < 8; a += 3) {
		for (o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
			unsigned char *b = raw + a;

			pattern_fill(b, len, 77, offs[o]);
			for (i = 0; i < len; i++) {
				b[i] ^= 0x81;
				wrong += pattern_check(b, len, 77, offs[o], &m) != 1 || m.pos != i ||
					 m.bad_bytes != 1 || m.file_off != offs[o] + (off_t)i;
				b[i] ^= 0x81;
			}
			wrong += pattern_check(b, len, 77, offs[o], NULL) != 0;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	free(raw);
}

static void test_seed_matters(void)
{
	unsigned char *b = malloc(LEN);

	pattern_fill(b, LEN, 1, 0);
	CU_ASSERT_EQUAL(pattern_check(b, LEN, 2, 0, NULL), 1);
	free(b);
}

static void test_corrupt_byte_fails(void)
{
	unsigned char *b = malloc(LEN);
	struct mismatch m;

	pattern_fill(b, LEN, 9, 4096);
	b[1234] ^= 0x40;
	CU_ASSERT_EQUAL(pattern_check(b, LEN, 9, 4096, &m), 1);
	CU_ASSERT_EQUAL(m.pos, 1234);
	CU_ASSERT_EQUAL(m.file_off, 4096 + 1234);
	CU_ASSERT_EQUAL(m.bad_bytes, 1);
	CU_ASSERT_EQUAL(m.found[0] ^ m.expected[0], 0x40);
	CU_ASSERT_FALSE(m.origin_known);
	free(b);
}

static void test_misplaced_data_named(void)
{
	unsigned char *b = malloc(LEN);
	struct mismatch m;

	/* The second 4K holds what belongs 64K further on. */
	pattern_fill(b, LEN, 5, 0);
	pattern_fill(b + 4096, 4096, 5, 4096 + 65536);
	CU_ASSERT_EQUAL(pattern_check(b, LEN, 5, 0, &m), 1);
	CU_ASSERT_EQUAL(m.pos, 4096);
	CU_ASSERT_TRUE(m.origin_known);
	CU_ASSERT_EQUAL(m.origin, 4096 + 65536);
	free(b);
}

static void test_zeros_and_foreign(void)
{
	unsigned char *b = malloc(LEN);
	struct mismatch m;

	pattern_fill(b, LEN, 5, 0);
	memset(b + 512, 0, 512);
	CU_ASSERT_EQUAL(pattern_check(b, LEN, 5, 0, &m), 1);
	CU_ASSERT_TRUE(m.found_zero);
	CU_ASSERT_TRUE(m.bad_bytes > 490 && m.bad_bytes <= 512);	/* a pattern byte can be 0 */

	pattern_fill(b, LEN, 6, 0);	/* stale data of another seed */
	CU_ASSERT_EQUAL(pattern_check(b, LEN, 5, 0, &m), 1);
	CU_ASSERT_FALSE(m.origin_known);
	CU_ASSERT_FALSE(m.found_zero);
	free(b);
}

static void test_check_data_reports(void)
{
	unsigned char *b = malloc(LEN);
	struct strbuf why = { 0 };

	pattern_fill(b, LEN, 3, 8192);
	CU_ASSERT_EQUAL(check_data(b, LEN, PAT(3, 8192), "buffer", &why), 0);
	CU_ASSERT_EQUAL(why.len, 0);
	pattern_fill(b + 100 * 8, 8, 3, 8192 + 200 * 8);
	CU_ASSERT_EQUAL(check_data(b, LEN, PAT(3, 8192), "buffer", &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "first bad byte at file offset 8992"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "expected "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "found    "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "pattern data for file offset 9792"));
	sb_free(&why);
	free(b);
}

static void test_guards(void)
{
	unsigned char lead[4096], trail[4096];
	struct strbuf why = { 0 };

	guard_fill(lead, sizeof(lead), 77);
	guard_fill(trail, sizeof(trail), 77);
	CU_ASSERT_EQUAL(check_guards(lead, trail, sizeof(lead), 77, &why), 0);
	trail[0] ^= 1;		/* an overrun by one byte */
	CU_ASSERT_EQUAL(check_guards(lead, trail, sizeof(lead), 77, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "guard after the buffer overwritten at buffer end +0"));
	trail[0] ^= 1;
	lead[4095] = 0;		/* an underrun */
	CU_ASSERT_EQUAL(check_guards(lead, trail, sizeof(lead), 77, &why), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "guard before the buffer overwritten at buffer -1"));
	sb_free(&why);
}

int unit_pattern_register(void)
{
	CU_pSuite s = CU_add_suite("pattern and data check", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_mix_roundtrip);
	ADD_TEST(s, test_fill_check_any_offset);
	ADD_TEST(s, test_every_position_found);
	ADD_TEST(s, test_seed_matters);
	ADD_TEST(s, test_corrupt_byte_fails);
	ADD_TEST(s, test_misplaced_data_named);
	ADD_TEST(s, test_zeros_and_foreign);
	ADD_TEST(s, test_check_data_reports);
	ADD_TEST(s, test_guards);
	return 0;
}
