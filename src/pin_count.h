#ifndef IOVBED_PIN_COUNT_H
#define IOVBED_PIN_COUNT_H

/*
 * Exact pin counts: how many pins an IO of a user buffer takes on a path,
 * from the buffer's geometry (its segments, where each sits against the
 * file's blocks, its pages that are the shared zero page) and the path's
 * rule (how it splits the IO into bios or requests). Exact where the
 * rule allows; else a bound, written down with the rule.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "iovbed.h"
#include "util.h"

#define PIN_SEGS 8

struct pin_geom {
	int nseg;
	struct {
		uintptr_t addr;		/* the segment's first byte in memory */
		size_t len;
		off_t file_off;		/* the file offset it goes to or comes from */
	} seg[PIN_SEGS];
	size_t zero_pages;	/* a write's source pages mapping the shared zero page */
	int mappings;		/* extents under the IO the path maps one by one; 0: unknown
				 * (a write may allocate in more pieces than end up as extents) */
	unsigned blksz;		/* the filesystem's block: where a mapping can end */
};

/* How a path splits an IO and pins its pages. */
struct pin_rule {
	const char *how;	/* the rule in words, with where it was measured */
	int split_in_page;	/* a split (mapping, request) can fall inside a page at a
				 * block boundary: that page is pinned by both sides */
};
/* The rule of a path; NULL where iovbed knows none (copy, unknown). */
const struct pin_rule *pin_rule_of(enum path_class path);

/* The expected count: acquired pins within [lo, hi]; rule says why. */
struct pin_range {
	long long lo, hi;
	char rule[320];
};
/* Pages each segment spans, summed: a page two segments share is pinned
 * by each (every segment is extracted on its own). */
size_t pin_pages(const struct pin_geom *g);
/* Pages with a block boundary inside them (not at their edge). */
size_t pin_pages_split(const struct pin_geom *g);
/* The range for geometry g on rule r; retry: the engine may pin, give up
 * (EAGAIN of a non-blocking try) and pin everything again. */
void pin_range(const struct pin_geom *g, const struct pin_rule *r, int retry,
	       struct pin_range *out);
/* Registration pins each page of the registered range once. */
void pin_range_registration(uintptr_t addr, size_t len, struct pin_range *out);
/* acquired within range: 0; else 1 with the reason appended to why. */
int check_pin_count(const struct pin_range *r, long long acquired, struct strbuf *why);

#endif
