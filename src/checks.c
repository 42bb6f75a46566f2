/* The data, dirty, pin and kernel-log checks. */
#include "checks.h"
#include "kpage.h"
#include "pattern.h"

#include <string.h>

static void hexbytes(struct strbuf *sb, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_addf(sb, "%02x", p[i]);
}

int check_data(const void *buf, size_t len, struct pattern_at at, const char *what,
	       struct strbuf *why)
{
	uint64_t seed = at.seed;
	off_t file_off = at.off;
	struct mismatch m;

	if (!pattern_check(buf, len, seed, file_off, &m))
		return 0;
	sb_addf(why, "data: %s: first bad byte at file offset %lld (buffer +%zu), "
		"%zu of %zu bytes differ\n", what, (long long)m.file_off, m.pos,
		m.bad_bytes, len);
	sb_addf(why, "data:   expected ");
	hexbytes(why, m.expected, m.shown);
	sb_addf(why, "\ndata:   found    ");
	hexbytes(why, m.found, m.shown);
	sb_addf(why, "\n");
	if (m.origin_known)
		sb_addf(why, "data:   found bytes are pattern data for file offset %lld "
			"(misplaced by %+lld bytes)\n", (long long)m.origin,
			(long long)(m.origin - m.file_off));
	else if (m.found_zero)
		sb_addf(why, "data:   found bytes are zeros (unwritten or hole)\n");
	else
		sb_addf(why, "data:   found bytes are not pattern data of seed %#llx "
			"(stale, foreign or corrupt)\n", (unsigned long long)seed);
	return 1;
}

int check_data_either(const void *buf, size_t len, const struct pattern_at v[2], const char *what,
		      struct strbuf *why)
{
	struct pattern_at a = v[0], b = v[1];
	const char *p = buf;
	size_t i, n, olds = 0, news = 0;
	struct mismatch m;

	for (i = 0; i < len; i += n) {
		n = len - i < 512 ? len - i : 512;
		if (!pattern_check(p + i, n, a.seed, a.off + (off_t)i, &m))
			olds++;
		else if (!pattern_check(p + i, n, b.seed, b.off + (off_t)i, &m))
			news++;
		else {
			sb_addf(why, "data: %s: the sector at file offset %lld is neither version "
				"(%zu sectors before it were the first, %zu the second)\n", what,
				(long long)(a.off + (off_t)i), olds, news);
			return check_data(p + i, n, PAT(a.seed, a.off + (off_t)i), what, why);
		}
	}
	sb_addf(why, "data: %s: %zu sectors of the first version, %zu of the second\n", what, olds,
		news);
	return 0;
}

int check_data_or_zero(const void *buf, size_t len, struct pattern_at at, const char *what,
		       struct strbuf *why)
{
	static const char zero[512];
	const char *p = buf;
	size_t i, n, zeros = 0;
	struct mismatch m;

	for (i = 0; i < len; i += n) {
		n = len - i < 512 ? len - i : 512;
		if (!memcmp(p + i, zero, n))
			zeros++;
		else if (pattern_check(p + i, n, at.seed, at.off + (off_t)i, &m))
			return check_data(p + i, n, PAT(at.seed, at.off + (off_t)i), what, why);
	}
	if (zeros)
		sb_addf(why, "data: %s: %zu of %zu sectors zeros, the rest the data\n", what, zeros,
			(len + 511) / 512);
	return 0;
}

int check_zero(const void *buf, size_t len, const char *what, struct strbuf *why)
{
	const unsigned char *p = buf;
	size_t i, bad = 0, first = 0;

	/* all zero: the first byte is, and each equals the next */
	if (!len || (!p[0] && !memcmp(p, p + 1, len - 1)))
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] && !bad++)
			first = i;
	sb_addf(why, "data: %s: %zu of %zu bytes not zero, the first at +%zu (found %02x)\n",
		what, bad, len, first, p[first]);
	return 1;
}

int check_guards(const void *lead, const void *trail, size_t glen, uint64_t gseed,
		 struct strbuf *why)
{
	struct guard_bad g;
	int bad = 0;

	if (guard_check(lead, glen, gseed, &g)) {
		sb_addf(why, "data: guard before the buffer overwritten at buffer -%zu: "
			"expected %02x found %02x\n", glen - g.pos, g.expected, g.found);
		bad = 1;
	}
	if (guard_check(trail, glen, gseed, &g)) {
		sb_addf(why, "data: guard after the buffer overwritten at buffer end +%zu: "
			"expected %02x found %02x\n", g.pos, g.expected, g.found);
		bad = 1;
	}
	return bad;
}

int check_dirty(const uint64_t *flags, size_t n, uintptr_t first_page_addr,
		size_t page_size, struct strbuf *why)
{
	size_t i, clean = 0, absent = 0, first = (size_t)-1;

	for (i = 0; i < n; i++) {
		if (flags[i] == KPAGE_ABSENT) {
			absent++;
		} else if (!(flags[i] & (1ULL << KPF_DIRTY))) {
			clean++;
		} else {
			continue;
		}
		if (first == (size_t)-1)
			first = i;
	}
	if (first == (size_t)-1)
		return 0;
	sb_addf(why, "dirty: %zu of %zu buffer pages not dirty after the read "
		"(%zu clean, %zu not mapped); first at %#lx, kpageflags %#llx\n",
		clean + absent, n, clean, absent,
		(unsigned long)(first_page_addr + first * page_size),
		(unsigned long long)flags[first]);
	return 1;
}

struct pin_delta pin_delta(const struct pin_snap *a, const struct pin_snap *b)
{
	struct pin_delta d = {
		.acquired = b->acquired - a->acquired,
		.released = b->released - a->released,
	};
	return d;
}

int check_pins_taken(enum pin_expect e, struct pin_delta d, const char *what,
		     struct strbuf *why)
{
	if (e == PIN_EXPECT_PINS && d.acquired <= 0) {
		sb_addf(why, "pins: expected FOLL_PIN pins (%s), none taken: "
			"acquired %+lld released %+lld\n", what, d.acquired, d.released);
		return 1;
	}
	if (e == PIN_EXPECT_NONE && d.acquired != 0) {
		sb_addf(why, "pins: expected no FOLL_PIN pins (%s), %lld taken: "
			"acquired %+lld released %+lld\n", what, d.acquired, d.acquired,
			d.released);
		return 1;
	}
	return 0;
}

int check_pins_balanced(struct pin_delta d, struct strbuf *why)
{
	if (d.acquired == d.released)
		return 0;
	if (d.acquired > d.released)
		sb_addf(why, "pins: leak: acquired %+lld released %+lld after the IO "
			"(%lld pins outstanding)\n", d.acquired, d.released,
			d.acquired - d.released);
	else
		sb_addf(why, "pins: imbalance: acquired %+lld released %+lld "
			"(more released than acquired: another pinner on the machine?)\n",
			d.acquired, d.released);
	return 1;
}

int check_pins_held(struct pin_delta reg, struct strbuf *why)
{
	/* io_uring coalesces a huge folio to one pin at once: released rises
	 * too, but pins stay outstanding until unregistration. */
	if (reg.acquired > 0 && reg.acquired > reg.released)
		return 0;
	sb_addf(why, "pins: buffer registration should pin and hold the pages: "
		"acquired %+lld released %+lld\n", reg.acquired, reg.released);
	return 1;
}

int pin_settle(const struct vmstat_src *src, const struct pin_snap *before,
	       struct pin_snap *after, unsigned settle_ms, char *err)
{
	unsigned waited = 0;

	for (;;) {
		struct pin_delta d = pin_delta(before, after);

		if (d.acquired == d.released || waited >= settle_ms)
			return 0;
		sleep_ms(20);
		waited += 20;
		if (pin_read(src, after, err) < 0)
			return -1;
	}
}

int check_kmsg(int nbad, const struct strbuf *bad, struct strbuf *why)
{
	const char *s = sb_str(bad), *nl;

	if (!nbad)
		return 0;
	sb_addf(why, "kmsg: %d bad kernel log line%s during the case:\n", nbad,
		nbad > 1 ? "s" : "");
	while (*s) {
		nl = strchr(s, '\n');
		sb_addf(why, "kmsg:   %.*s\n", nl ? (int)(nl - s) : (int)strlen(s), s);
		if (!nl)
			break;
		s = nl + 1;
	}
	return 1;
}
