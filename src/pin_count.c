/* Exact pin counts from the buffer's geometry and the path's rule. */
#include "pin_count.h"

#include <stdio.h>

#define PG 4096UL

/* Measured on 6.12 (guest) and 6.18 (this host), every engine, buffer,
 * size and offset of the full matrix: block, fuse and 9p took exactly
 * one pin per page per segment; iomap took up to one more for each page
 * where a mapping ended inside it (files written in pieces: more
 * mappings than extents after the write). */
static const struct pin_rule rules[PATH_COUNT] = {
	[PATH_BLOCK] = { "block direct IO: bios of whole pages, each page of each segment "
			 "pinned once (measured: 6.12, 6.18)", 0 },
	[PATH_IOMAP] = { "iomap: a bio per mapping, each page of each segment pinned once, "
			 "and once more where a mapping ends inside it (measured: 6.12, 6.18)", 1 },
	[PATH_FUSE] = { "fuse: requests end on page boundaries, each page of each segment "
			"pinned once (measured: 6.12, 6.18)", 0 },
	[PATH_NFS] = { "nfs: requests of rsize/wsize; a page across a request boundary is "
		       "taken by both requests", 1 },
	[PATH_9P] = { "9p: netfs extracts the buffer once, each page of each segment pinned "
		      "once (measured: 6.12)", 0 },
};

const struct pin_rule *pin_rule_of(enum path_class path)
{
	return path < PATH_COUNT && rules[path].how ? &rules[path] : NULL;
}

static size_t span(uintptr_t addr, size_t len)
{
	return len ? (addr + len - 1) / PG - addr / PG + 1 : 0;
}

size_t pin_pages(const struct pin_geom *g)
{
	size_t n = 0;
	int i;

	for (i = 0; i < g->nseg; i++)
		n += span(g->seg[i].addr, g->seg[i].len);
	return n;
}

/* Pages of one segment with a block boundary strictly inside them: the
 * boundaries are the file offsets that are multiples of blksz, strictly
 * between the segment's ends. */
static size_t seg_split(uintptr_t addr, size_t len, off_t file_off, unsigned blksz)
{
	size_t n = 0, k = (blksz - (size_t)file_off % blksz) % blksz;
	uintptr_t last = 0;

	for (k = k ? k : blksz; k < len; k += blksz) {
		uintptr_t at = addr + k;

		if (at % PG && (!n || at / PG != last)) {
			n++;
			last = at / PG;
		}
	}
	return n;
}

size_t pin_pages_split(const struct pin_geom *g)
{
	size_t n = 0;
	int i;

	for (i = 0; i < g->nseg; i++)
		n += seg_split(g->seg[i].addr, g->seg[i].len, g->seg[i].file_off,
			       g->blksz ? g->blksz : PG);
	return n;
}

void pin_range(const struct pin_geom *g, const struct pin_rule *r, int retry,
	       struct pin_range *out)
{
	long long p = pin_pages(g), split = r->split_in_page ? pin_pages_split(g) : 0;
	size_t l;

	if (split && g->mappings > 0 && g->mappings - 1 < split)
		split = g->mappings - 1;	/* a page is pinned again only where a mapping ends */
	out->lo = p - (long long)g->zero_pages;
	out->hi = (p + split) * (retry ? 2 : 1);
	l = snprintf(out->rule, sizeof(out->rule), "%s: %lld page%s in %d segment%s", r->how, p,
		     p == 1 ? "" : "s", g->nseg, g->nseg == 1 ? "" : "s");
	if (r->split_in_page && l < sizeof(out->rule))
		l += snprintf(out->rule + l, sizeof(out->rule) - l, ", %lld where a mapping can end "
			      "inside a page (%d extent%s)", split, g->mappings,
			      g->mappings == 1 ? "" : "s");
	if (g->zero_pages && l < sizeof(out->rule))
		l += snprintf(out->rule + l, sizeof(out->rule) - l, ", %zu the zero page (pinned "
			      "uncounted from 6.5)", g->zero_pages);
	if (retry && l < sizeof(out->rule))
		snprintf(out->rule + l, sizeof(out->rule) - l, "; io_uring may pin, meet EAGAIN "
			 "and retry from a worker: up to twice");
}

void pin_range_registration(uintptr_t addr, size_t len, struct pin_range *out)
{
	out->lo = out->hi = span(addr, len);
	snprintf(out->rule, sizeof(out->rule), "buffer registration pins each of the range's %lld "
		 "pages once (measured: 6.1, 6.12, 6.18)", out->lo);
}

int check_pin_count(const struct pin_range *r, long long acquired, struct strbuf *why)
{
	if (acquired >= r->lo && acquired <= r->hi)
		return 0;
	if (r->lo == r->hi)
		sb_addf(why, "pins: %lld acquired, exactly %lld due (%s)\n", acquired, r->lo, r->rule);
	else
		sb_addf(why, "pins: %lld acquired, %lld to %lld due (%s)\n", acquired, r->lo, r->hi,
			r->rule);
	return 1;
}
