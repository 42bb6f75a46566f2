/* vector1: preadv/pwritev with one segment. import_iovec() turns a
 * single segment into an ITER_UBUF from 6.4; before, an ITER_IOVEC. */
#include "engine.h"


static enum flavour vector1_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 4) ? ITER_UBUF : ITER_IOVEC;
}

static ssize_t vector1_run(struct io_req *rq)
{
	return vector_run_segs(rq, 1);
}

const struct engine_ops engine_vector1 = {
	.name = "vector1",
	.desc = "preadv/pwritev, 1 segment",
	.flags = ENG_RW,
	.max_segs = 1,
	.flavour = vector1_flavour,
	.run = vector1_run,
};
