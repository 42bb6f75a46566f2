/* thp: split the transparent huge pages of THP buffers with IO in flight
 * and collapse them again (MADV_COLLAPSE). The split: MADV_COLD of one
 * 4 KiB page inside each 2 MiB, because a PMD-mapped folio that the range
 * does not wholly cover is split to act on part of it
 * (madvise_cold_or_pageout_pte_range; measured on 6.18: thp_split_page
 * +1 each, the data kept). A pinned folio is neither split nor collapsed;
 * nothing an op sees may change. */
#include "disturb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

struct thp_state {
	struct counters c;	/* first: counted_start's */
	unsigned long long splits, collapses;
};

static const char *const thp_counters[] = { "thp_split_page", "thp_collapse_alloc",
					    "~thp_split_pmd", NULL };

/* Does MADV_COLLAPSE exist (6.1)? Tried on a THP-advised mapping of our
 * own: in a step EINVAL also means "cannot collapse this content" (a
 * read-only PTE after fork, for one). */
static int collapse_exists(char *why)
{
	void *p = map_aligned(FOLIO_PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, why);
	int r;

	if (!p)
		return -1;
	madvise(p, FOLIO_PMD, MADV_HUGEPAGE);
	memset(p, 1, 4096);
	r = madvise(p, FOLIO_PMD, MADV_COLLAPSE);
	munmap(p, FOLIO_PMD);
	if (r < 0 && errno == EINVAL) {
		snprintf(why, ERRLEN, "madvise MADV_COLLAPSE: EINVAL (it exists from 6.1)");
		return -1;
	}
	return 0;
}

static enum setup_state thp_probe(const struct dist_env *de, char *why)
{
	char mode[128] = "";

	if (!de->count(de->run, DIST_THP)) {
		snprintf(why, ERRLEN, "no THP buffer among the selected rows");
		return SETUP_SKIP;
	}
	if (read_file(THP_ENABLED, mode, sizeof(mode), NULL) < 0 || strstr(mode, "[never]")) {
		snprintf(why, ERRLEN, "transparent huge pages are off (%s: %.100s)", THP_ENABLED,
			 *mode ? mode : "absent");
		return SETUP_SKIP;
	}
	return collapse_exists(why) < 0 ? SETUP_SKIP : SETUP_READY;
}

static int thp_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(thp_counters, sizeof(struct thp_state), priv, err);
}

/* MADV_COLD of the second 4 KiB page of each 2 MiB of the buffer. */
static int split(struct thp_state *ts, const struct buffer *b, char *err)
{
	char *p;

	for (p = b->map; p + FOLIO_PMD <= (char *)b->map + b->maplen; p += FOLIO_PMD)
		if (madvise(p + 4096, 4096, MADV_COLD) < 0) {
			errf(err, "madvise MADV_COLD of 4 KiB of a THP buffer");
			return -1;
		}
	ts->splits++;
	return 0;
}

static int thp_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct thp_state *ts = priv;
	struct dist_buf db;
	int r = 0;

	if (de->borrow(de->run, DIST_THP, rnd, &db) < 0)
		return 0;
	if ((rnd >> 40) & 1) {
		r = split(ts, db.b, err);
	} else if (madvise(db.b->map, db.b->maplen, MADV_COLLAPSE) == 0) {
		ts->collapses++;
	}
	/* EAGAIN, EINVAL, ENOMEM: a pinned, busy or read-only page, no huge
	 * page free: the content stays as it is */
	de->give_back(de->run, &db, 0);
	return r;
}

static int thp_effect(void *priv, struct strbuf *out)
{
	struct thp_state *ts = priv;
	int ok = counters_effect(&ts->c, out);

	sb_addf(out, " (%llu buffers split, %llu collapsed)", ts->splits, ts->collapses);
	return ok;
}

const struct disturber disturb_thp = {
	.name = "thp",
	.desc = "split THP buffers' huge pages (MADV_COLD of part) and MADV_COLLAPSE them",
	.period_ms = 50,
	.probe = thp_probe,
	.start = thp_start,
	.step = thp_step,
	.effect = thp_effect,
	.stop = counted_stop,
};
