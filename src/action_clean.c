/* clean: the destination pages of a held read are cleaned (msync) and
 * seen clean: after completion they must be dirty again and the data in
 * their file (re-dirtying at completion, bio_check_pages_dirty). Its
 * self-test, clean-after, cleans them after completion: the dirty check
 * must fail. */
#include "action.h"
#include "kpage.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#define R (1u << DIR_READ)
#define FILEB (1u << BACKING_FILE)

/* Clean the destination pages while the read is in flight, and see that
 * they really are clean, or the case tests nothing. */
static int clean_step(struct inflight *in, char *err)
{
	struct buffer *b = in->b;
	size_t np = kpage_count(&kpage_default, b->io, b->len), i, dirty = 0;
	uint64_t *flags;

	if (msync(b->map, b->maplen, MS_SYNC) < 0) {
		errf(err, "msync MS_SYNC of the buffer while the read was held");
		return -1;
	}
	flags = calloc(np, sizeof(*flags));
	if (!flags || kpage_flags(&kpage_default, b->io, b->len, flags, err) < 0) {
		if (!flags)
			errf(err, "calloc");
		free(flags);
		return -1;
	}
	for (i = 0; i < np; i++)
		dirty += flags[i] != KPAGE_ABSENT && (flags[i] & (1ULL << KPF_DIRTY));
	free(flags);
	if (dirty == np && b->ops->pinned_stay_dirty) {
		sb_addf(in->diag, "inflight: msync left all %zu pinned buffer pages dirty, as it may "
			"here: %s; the pages must still be dirty after and the data in their file\n",
			np, b->ops->pinned_stay_dirty);
		return 0;
	}
	if (dirty == np) {
		errno = 0;
		errf(err, "msync left all %zu pinned buffer pages dirty: the case cannot "
		     "test re-dirtying after completion", np);
		return -1;
	}
	sb_addf(in->diag, "inflight: %zu of %zu buffer pages clean while the read was held\n",
		np - dirty, np);
	return 0;
}

/* The self-test: pages cleaned after completion must fail the check. */
static int clean_after_step(struct inflight *in, char *err)
{
	if (in->n > 0 && msync(in->b->map, in->b->maplen, MS_SYNC) < 0) {
		errf(err, "msync MS_SYNC of the buffer after the read");
		return -1;
	}
	return 0;
}

const struct action_ops action_clean = {
	.name = "clean",
	.desc = "clean the destination pages while the read is held: dirty again after",
	.dirs = R,
	.backings = FILEB,
	.flags = ACT_EVERY_ENGINE,
	.step = clean_step,
	.verdict = IV_REDIRTY,
};

const struct action_ops action_clean_after = {
	.name = "clean-after",
	.desc = "self-test: clean the pages after completion: the dirty check must fail",
	.dirs = R,
	.backings = FILEB,
	.flags = ACT_EVERY_ENGINE | ACT_SELFTEST | ACT_AFTER,
	.step = clean_after_step,
};
