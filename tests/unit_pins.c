/* Exact pin counts: each rule fed counts it must refuse (too few, too
 * many), and geometries whose pages it must count right. */
#include "unit.h"
#include "pin_count.h"

#include <string.h>

#define BASE 0x7f0000010000UL	/* page-aligned */

static struct pin_geom one_seg(uintptr_t addr, size_t len, off_t file_off)
{
	struct pin_geom g = { .nseg = 1, .blksz = 4096 };

	g.seg[0].addr = addr;
	g.seg[0].len = len;
	g.seg[0].file_off = file_off;
	return g;
}

static int judged_ok(const struct pin_range *r, long long acquired)
{
	struct strbuf why = { 0 };
	int bad = check_pin_count(r, acquired, &why);

	if (bad)	/* a refusal says what was due */
		CU_ASSERT_PTR_NOT_NULL(strstr(sb_str(&why), "due"));
	sb_free(&why);
	return !bad;
}

/* block, fuse, 9p: one pin per page, exactly. */
static void test_exact(void)
{
	struct pin_geom g = one_seg(BASE + 3584, 4 << 20, 0);
	struct pin_range r;

	CU_ASSERT_EQUAL(pin_pages(&g), 1025);
	pin_range(&g, pin_rule_of(PATH_BLOCK), 0, &r);
	CU_ASSERT_EQUAL(r.lo, 1025);
	CU_ASSERT_EQUAL(r.hi, 1025);
	CU_ASSERT(judged_ok(&r, 1025));
	CU_ASSERT(!judged_ok(&r, 1024));	/* a page not pinned */
	CU_ASSERT(!judged_ok(&r, 1026));	/* one pinned twice */
	CU_ASSERT(!judged_ok(&r, 0));
	g = one_seg(BASE, 32 << 20, 0);	/* measured: a 32 MiB read on ext4 takes 8192 */
	pin_range(&g, pin_rule_of(PATH_FUSE), 0, &r);
	CU_ASSERT(judged_ok(&r, 8192));
	CU_ASSERT(!judged_ok(&r, 8193));
}

/* A page two segments share is pinned by each. */
static void test_segments(void)
{
	struct pin_geom g = { .nseg = 2, .blksz = 4096 };
	struct pin_range r;

	g.seg[0].addr = BASE;
	g.seg[0].len = 512;
	g.seg[1].addr = BASE + 512;
	g.seg[1].len = 4096 - 512 + 4096;
	g.seg[1].file_off = 512;
	CU_ASSERT_EQUAL(pin_pages(&g), 3);
	pin_range(&g, pin_rule_of(PATH_BLOCK), 0, &r);
	CU_ASSERT(judged_ok(&r, 3));
	CU_ASSERT(!judged_ok(&r, 2));	/* counted the shared page once: wrong */
}

/* iomap: a mapping may end inside a page a block boundary crosses. */
static void test_iomap_split(void)
{
	struct pin_geom g = one_seg(BASE + 512, 16384, 0);
	struct pin_range r;

	CU_ASSERT_EQUAL(pin_pages(&g), 5);
	CU_ASSERT_EQUAL(pin_pages_split(&g), 3);	/* boundaries 4k, 8k, 12k in: mid-page */
	pin_range(&g, pin_rule_of(PATH_IOMAP), 0, &r);
	CU_ASSERT_EQUAL(r.hi, 8);
	CU_ASSERT(judged_ok(&r, 5));
	CU_ASSERT(judged_ok(&r, 8));
	CU_ASSERT(!judged_ok(&r, 4));
	CU_ASSERT(!judged_ok(&r, r.hi + 1));
	g.mappings = 2;		/* one extent boundary under a read: one page more at most */
	pin_range(&g, pin_rule_of(PATH_IOMAP), 0, &r);
	CU_ASSERT_EQUAL(r.hi, 6);
	CU_ASSERT(judged_ok(&r, 6));
	CU_ASSERT(!judged_ok(&r, 7));
	g.mappings = 1;		/* one extent: exact */
	pin_range(&g, pin_rule_of(PATH_IOMAP), 0, &r);
	CU_ASSERT_EQUAL(r.hi, 5);
	g = one_seg(BASE, 16384, 8192);	/* memory and file aligned alike: exact */
	CU_ASSERT_EQUAL(pin_pages_split(&g), 0);
	pin_range(&g, pin_rule_of(PATH_IOMAP), 0, &r);
	CU_ASSERT_EQUAL(r.lo, 4);
	CU_ASSERT_EQUAL(r.hi, 4);
	CU_ASSERT(!judged_ok(&r, 5));
}

/* io_uring's non-blocking try may pin, give up and retry. */
static void test_retry(void)
{
	struct pin_geom g = one_seg(BASE, 1 << 20, 0);
	struct pin_range r;

	pin_range(&g, pin_rule_of(PATH_BLOCK), 1, &r);
	CU_ASSERT(judged_ok(&r, 256));
	CU_ASSERT(judged_ok(&r, 512));
	CU_ASSERT(!judged_ok(&r, 513));
	CU_ASSERT(!judged_ok(&r, 255));
}

/* The zero page's pins are not counted from 6.5: fewer may be seen. */
static void test_zero_page(void)
{
	struct pin_geom g = one_seg(BASE, 16384, 0);
	struct pin_range r;

	g.zero_pages = 3;
	pin_range(&g, pin_rule_of(PATH_BLOCK), 0, &r);
	CU_ASSERT(judged_ok(&r, 1));
	CU_ASSERT(judged_ok(&r, 4));
	CU_ASSERT(!judged_ok(&r, 0));
	CU_ASSERT(!judged_ok(&r, 5));
}

static void test_registration(void)
{
	struct pin_range r;

	pin_range_registration(BASE + 512, 65536, &r);
	CU_ASSERT(judged_ok(&r, 17));
	CU_ASSERT(!judged_ok(&r, 16));
	CU_ASSERT(!judged_ok(&r, 18));
}

static void test_rules(void)
{
	CU_ASSERT_PTR_NULL(pin_rule_of(PATH_COPY));	/* copying: no pins to count */
	CU_ASSERT_PTR_NULL(pin_rule_of(PATH_UNKNOWN));	/* unknown: no rule, no verdict */
	CU_ASSERT_FALSE(pin_rule_of(PATH_BLOCK)->split_in_page);
	CU_ASSERT_TRUE(pin_rule_of(PATH_IOMAP)->split_in_page);
}

int unit_pins_register(void)
{
	CU_pSuite s = CU_add_suite("pins", NULL, NULL);

	if (!s)
		return -1;
	ADD_TEST(s, test_exact);
	ADD_TEST(s, test_segments);
	ADD_TEST(s, test_iomap_split);
	ADD_TEST(s, test_retry);
	ADD_TEST(s, test_zero_page);
	ADD_TEST(s, test_registration);
	ADD_TEST(s, test_rules);
	return 0;
}
