/* swapped: the buffer's pages are in swap when the IO begins and go to
 * swap again after it (nothing is held): MADV_PAGEOUT, proven by
 * pagemap's swap bit or, for shmem whose swapped pages pagemap does not
 * show, the pswpout delta. GUP faults the pages back from swap for the
 * IO; a read must leave them dirty (a swap-cache page the kernel forgets
 * to dirty is dropped clean at the next reclaim, and the read's data with
 * it), so after the second page-out the buffer must hold the read's data.
 * The self-test swapped-dropped drops the pages (MADV_DONTNEED) after the
 * read instead: the data check must fail. */
#include "action.h"
#include "disturb.h"
#include "kpage.h"
#include "result.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define TRIES 5

struct span {
	char *lo, *hi;
};

static struct span pages_of(const struct buffer *b)
{
	return (struct span){ (char *)((uintptr_t)b->io & ~(PAGE - 1)),
			      (char *)(((uintptr_t)b->io + b->len + PAGE - 1) & ~(PAGE - 1)) };
}

/* MADV_PAGEOUT from CPU cpu: it drains only its own CPU's batch of pages
 * on their way to the LRU, and a page swapped in by the IO's thread on
 * another CPU may wait in that CPU's batch, where reclaim cannot take it
 * (measured: dirty swap-cache pages off the LRU, left in memory). */
static int page_out_on(struct span s, long cpu)
{
	cpu_set_t one, old;
	int r, pinned;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	pinned = sched_getaffinity(0, sizeof(old), &old) == 0 &&
		 sched_setaffinity(0, sizeof(one), &one) == 0;
	r = madvise(s.lo, s.hi - s.lo, MADV_PAGEOUT);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	return r;
}

/* Page the buffer out, and prove it went: 0, or -1 with err. */
static int page_out(struct inflight *in, const char *when, char *err)
{
	struct span s = pages_of(in->b);
	long np = (s.hi - s.lo) / PAGE, swapped = 0, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long out0 = counter_read("pswpout"), out = 0;
	int i;

	for (i = 0; i < TRIES * (cpus > 0 ? cpus : 1); i++) {
		if (page_out_on(s, cpus > 0 ? i % cpus : 0) < 0) {
			errf(err, "madvise(MADV_PAGEOUT) of the buffer %s the IO", when);
			return -1;
		}
		swapped = kpage_swapped(&kpage_default, s.lo, s.hi - s.lo, err);
		if (swapped < 0)
			return -1;
		out = counter_read("pswpout") - out0;
		if (swapped == np || out >= np)
			break;
		sleep_ms(10);
	}
	if (swapped < np && out < np) {
		errno = 0;
		errf(err, "MADV_PAGEOUT %s the IO put %ld of the buffer's %ld pages in swap "
		     "(pagemap), pswpout %+lld", when, swapped, np, out);
		return -1;
	}
	sb_addf(in->diag, "swap: %s the IO the buffer's %ld pages were in swap (pagemap: %ld, "
		"pswpout %+lld)\n", when, np, swapped, out);
	return 0;
}

static int swapped_prepare(struct inflight *in, char *err)
{
	return page_out(in, "before", err);
}

/* After a read, the pages out once more: the check reads them back. */
static void swapped_finish(struct inflight *in)
{
	char err[ERRLEN];

	if (in->dir != DIR_READ || in->n <= 0)
		return;
	if (page_out(in, "after", err) < 0) {
		sb_addf(in->diag, "swap: %s: the case could not test the read's pages in swap\n",
			err);
		in->failed |= CHK_REACHED;
	}
}

/* The self-test: the read's pages dropped instead of paged out. */
static void dropped_finish(struct inflight *in)
{
	struct span s = pages_of(in->b);

	if (madvise(s.lo, s.hi - s.lo, MADV_DONTNEED) < 0)
		sb_addf(in->diag, "swap: madvise(MADV_DONTNEED): %s\n", strerror(errno));
	else
		sb_addf(in->diag, "swap: the read's pages dropped (MADV_DONTNEED), not paged out: "
			"their data must be missing\n");
}

#define RW ((1u << DIR_READ) | (1u << DIR_WRITE))

const struct action_ops action_swapped = {
	.name = "swapped",
	.desc = "the buffer in swap before the IO and again after: a read's data must come back "
		"from swap",
	.dirs = RW,
	.backings = (1u << BACKING_ANON) | (1u << BACKING_MEMFD),
	.buffers = "anon,thp,memfd",
	.flags = ACT_UNHELD | ACT_SWAP | ACT_PAGES_OUT,
	.prepare = swapped_prepare,
	.finish = swapped_finish,
};

const struct action_ops action_swapped_dropped = {
	.name = "swapped-dropped",
	.desc = "self-test: the read's pages dropped instead of paged out: the data check must fail",
	.dirs = 1u << DIR_READ,
	.backings = 1u << BACKING_ANON,
	.buffers = "anon",
	.flags = ACT_UNHELD | ACT_SWAP | ACT_PAGES_OUT | ACT_SELFTEST,
	.prepare = swapped_prepare,
	.finish = dropped_finish,
};
