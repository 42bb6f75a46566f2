/* munmap, dontneed, mprotect: the buffer's mapping changed while a read
 * into it is held: the read must complete; pages dropped with
 * MADV_DONTNEED read zero after (anonymous memory: the data went to pages
 * no longer mapped), file and memfd pages show the data. */
#include "action.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#define R (1u << DIR_READ)
#define ALLB ((1u << BACKING_ANON) | (1u << BACKING_MEMFD) | (1u << BACKING_FILE))

static int munmap_step(struct inflight *in, char *err)
{
	if (munmap(in->b->map, in->b->maplen) < 0) {
		errf(err, "munmap of the buffer while the read was held");
		return -1;
	}
	in->b->map = NULL;
	in->unmapped = 1;
	return 0;
}

static int dontneed_step(struct inflight *in, char *err)
{
	struct buffer *b = in->b;
	size_t pg = b->ops->needs_hugetlb ? FOLIO_PMD : 4096;
	char *lo = (char *)((uintptr_t)b->io & ~(pg - 1));
	char *hi = (char *)(((uintptr_t)b->io + b->len + pg - 1) & ~(pg - 1));

	if (madvise(lo, hi - lo, MADV_DONTNEED) < 0) {
		errf(err, "madvise(MADV_DONTNEED) of the buffer while the read was held");
		return -1;
	}
	if (b->ops->backing == BACKING_ANON) {
		in->zero_lo = lo;
		in->zero_hi = hi;
	}
	return 0;
}

static int mprotect_step(struct inflight *in, char *err)
{
	if (mprotect(in->b->map, in->b->maplen, PROT_READ) < 0) {
		errf(err, "mprotect(PROT_READ) of the buffer while the read was held");
		return -1;
	}
	return 0;
}

/* A read the kernel copies through the page cache writes the buffer only
 * after the device answered: into a mapping that is gone or read-only. */
static const struct io_ending copy_faults = {
	.end = END_ERROR, .errnum = EFAULT, .why = "the kernel reads this through the page cache (the path's fallback): "
	"its copy into the buffer after the device answered faults"
};

/* Held by userfaultfd in the buffer's middle: once the rest of the buffer
 * is gone or read-only, GUP cannot take it when the fault is resolved. */
static const struct io_ending uffd_stops = {
	.end = END_FAULT, .why = "held by userfaultfd in the buffer's middle: after the action "
	"GUP cannot take the rest of the buffer once the fault is resolved: EFAULT or the count "
	"up to it"
};

const struct action_ops action_munmap = {
	.name = "munmap",
	.desc = "unmap the buffer while held: the read completes; file pages still get the data",
	.dirs = R,
	.backings = ALLB,
	.copied = &copy_faults,
	.uffd_end = &uffd_stops,
	.flags = ACT_UFFD,
	.step = munmap_step,
};

const struct action_ops action_dontneed = {
	.name = "dontneed",
	.desc = "MADV_DONTNEED while held: anonymous pages read zero after, file pages the data",
	.dirs = R,
	.backings = ALLB,
	.step = dontneed_step,
};

const struct action_ops action_mprotect = {
	.name = "mprotect",
	.desc = "mprotect(PROT_READ) while held: the data still arrives",
	.dirs = R,
	.backings = ALLB,
	.copied = &copy_faults,
	.uffd_end = &uffd_stops,
	.flags = ACT_UFFD,
	.step = mprotect_step,
};
