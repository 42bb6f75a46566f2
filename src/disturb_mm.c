/* munmap: a worker buffer unmapped with IO in flight into it, and mapped
 * again at the same address a moment later. Unmapped by mapping PROT_NONE
 * over it (MAP_FIXED): the old mapping is gone as with munmap, but the
 * address range stays reserved, so no other mapping of the process (a
 * thread's stack) lands there meanwhile to be overwritten by the remap. madvise: MADV_DONTNEED,
 * MADV_COLD and MADV_PAGEOUT of a worker buffer with IO in flight (with
 * the run's swap file, PAGEOUT reaches anonymous memory too).
 *
 * What an op may end with: an IO that begins while the buffer is unmapped
 * fails with EFAULT (GUP finds no mapping); private memory unmapped or
 * dropped takes the IO's data with it, so such a read is not judged and
 * such a write's range is rewritten at the next checkpoint. Shared pages
 * (a file's, a memfd's) stay in the page cache: their data is judged.
 * COLD and PAGEOUT must change nothing an op sees. Hugetlb buffers are
 * neither unmapped nor dropped: a huge page comes back only from the run's
 * small pool, and when a fork's copies of pinned pages have emptied it the
 * fault is a SIGBUS, not an answer about the kernel. */
#include "disturb.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define UNMAPPED_US 300		/* how long the buffer stays unmapped */
#define REMAP_TRIES 2000	/* a pinned hugetlb page comes back once its IO ends */

struct mm_state {
	struct counters c;	/* first: counted_start's */
	unsigned long long acts[3];
};

static const char *const munmap_counters[] = { "self:minflt", NULL };
/* PAGEOUT of anonymous memory swaps (pswpout); COLD deactivates */
static const char *const madvise_counters[] = { "pswpout", "pgdeactivate", "~pswpin", NULL };

static int munmap_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(munmap_counters, sizeof(struct mm_state), priv, err);
}

static int madvise_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	return counted_start(madvise_counters, sizeof(struct mm_state), priv, err);
}

static int munmap_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct mm_state *ms = priv;
	struct dist_buf db;
	struct buffer *b;
	int tries = 0;

	if (de->borrow(de->run, DIST_ANY, rnd, &db) < 0)
		return 0;
	b = db.b;
	if (b->ops->needs_hugetlb) {
		de->give_back(de->run, &db, 0);
		return 0;
	}
	if (mmap(b->map, b->maplen, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		errf(err, "unmap %zu bytes at %p (mmap PROT_NONE over them)", b->maplen, b->map);
		de->give_back(de->run, &db, 0);
		return -1;
	}
	usleep(UNMAPPED_US);
	while (b->ops->remap(b, err) != SETUP_READY) {
		if (++tries >= REMAP_TRIES)
			return -1;	/* the buffer stays lent: the run stops broken */
		usleep(1000);
	}
	ms->acts[0]++;
	/* shared pages stay in the page cache: only private memory is lost */
	de->give_back(de->run, &db, DIST_UNMAPPED |
		      (b->ops->backing == BACKING_ANON ? DIST_LOST : 0));
	return 0;
}

static int madvise_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	static const int advice[3] = { MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT };
	struct mm_state *ms = priv;
	int k = (rnd >> 32) % 3, r;
	struct dist_buf db;

	if (de->borrow(de->run, DIST_ANY, rnd, &db) < 0)
		return 0;
	if (k == 0 && db.b->ops->needs_hugetlb) {
		de->give_back(de->run, &db, 0);
		return 0;
	}
	r = madvise(db.b->map, db.b->maplen, advice[k]);
	/* dropped private memory loses its data; shared keeps it */
	de->give_back(de->run, &db, k == 0 && db.b->ops->backing == BACKING_ANON ? DIST_LOST : 0);
	if (r < 0 && errno != EINVAL) {
		errf(err, "madvise(%s) of a %s buffer", k == 0 ? "MADV_DONTNEED" : k == 1 ?
		     "MADV_COLD" : "MADV_PAGEOUT", db.b->ops->name);
		return -1;
	}
	ms->acts[k]++;
	return 0;
}

static int madvise_effect(void *priv, struct strbuf *out)
{
	struct mm_state *ms = priv;
	int ok = counters_effect(&ms->c, out);

	sb_addf(out, " (DONTNEED %llu, COLD %llu, PAGEOUT %llu)", ms->acts[0], ms->acts[1],
		ms->acts[2]);
	return ok;
}

const struct disturber disturb_munmap = {
	.name = "munmap",
	.desc = "munmap a worker buffer with IO in flight, map it again",
	.allows = "EFAULT (the IO began while it was unmapped); a private buffer's data is "
		  "then not judged",
	.period_ms = 50,
	.start = munmap_start,
	.step = munmap_step,
	.effect = counted_effect,
	.stop = counted_stop,
};

const struct disturber disturb_madvise = {
	.name = "madvise",
	.desc = "MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT of a worker buffer with IO in flight",
	.allows = "no error; after MADV_DONTNEED of private memory the IO's data is not judged",
	.needs_swap = 1,
	.period_ms = 50,
	.start = madvise_start,
	.step = madvise_step,
	.effect = madvise_effect,
	.stop = counted_stop,
};
