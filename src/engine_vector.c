/* vector: preadv/pwritev with 2 to 4 segments, an ITER_IOVEC. */
#include "engine.h"

#include <sys/uio.h>

static enum flavour vector_flavour(const struct kver *v)
{
	(void)v;
	return ITER_IOVEC;
}


ssize_t vector_run_segs(struct io_req *rq, int max_segs)
{
	struct iovec iov[MAX_SEGS];
	int n = iov_split(rq->buf, rq->len, rq->align, max_segs, iov);
	ssize_t ret;

	if (rq->dir == DIR_READ)
		ret = preadv(rq->fd, iov, n, rq->off);
	else
		ret = pwritev(rq->fd, iov, n, rq->off);
	if (ret < 0)
		errf(rq->err, "%s(%d segments, %zu bytes at %lld)",
		     rq->dir == DIR_READ ? "preadv" : "pwritev", n, rq->len, (long long)rq->off);
	return ret;
}

static ssize_t vector_run(struct io_req *rq)
{
	return vector_run_segs(rq, MAX_SEGS);
}

const struct engine_ops engine_vector = {
	.name = "vector",
	.desc = "preadv/pwritev, 2-4 segments",
	.flags = ENG_RW | ENG_VECTORED,
	.max_segs = MAX_SEGS,
	.flavour = vector_flavour,
	.run = vector_run,
};
