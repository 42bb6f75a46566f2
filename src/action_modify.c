/* modify: the caller changes the buffer while its direct write is held:
 * no warning, and the server gets the bytes of submission time (the
 * FUSE daemon checks every WRITE payload against the pattern). */
#include "action.h"

#define FLIP 0x5a

static void flip(char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] ^= FLIP;
}

static int modify_step(struct inflight *in, char *err)
{
	(void)err;
	flip(in->b->io, in->b->len);
	return 0;
}

/* Flip back, so the source check sees whether the kernel wrote into it. */
static void modify_finish(struct inflight *in)
{
	flip(in->b->io, in->b->len);
	sb_addf(in->diag, "modify: the buffer was changed while the write was held; the server "
		"and the file must have the bytes of submission time\n");
}

const struct action_ops action_modify = {
	.name = "modify",
	.desc = "the caller changes the buffer while its direct write is in flight: no warning, "
		"the server got the bytes of submission time",
	.tag = "O_DIRECT write from a buffer changed in flight",
	.dirs = 1u << DIR_WRITE,
	.backings = (1u << BACKING_ANON) | (1u << BACKING_MEMFD) | (1u << BACKING_FILE),
	.step = modify_step,
	.finish = modify_finish,
};
