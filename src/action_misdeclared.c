/* misdeclared: a self-test of the observer. The case declares its IO
 * reached the filesystem as a flavour it did not (ITER_KVEC for a user
 * buffer's, ITER_UBUF for a kernel buffer's); where the flavour is
 * observed the case must fail. Where it cannot be observed the case is
 * skipped with the reason: an unobserved declaration proves nothing. */
#include "action.h"

static int misdeclared_step(struct inflight *in, char *err)
{
	(void)err;
	in->misdeclared = 1;
	return 0;
}

const struct action_ops action_misdeclared = {
	.name = "misdeclared",
	.desc = "self-test: the flavour is declared wrong: the observer must catch it",
	.dirs = (1u << DIR_READ) | (1u << DIR_WRITE),
	.backings = 1u << BACKING_ANON,
	.flags = ACT_SELFTEST | ACT_AFTER,
	.step = misdeclared_step,
};
