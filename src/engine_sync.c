/* sync: pread/pwrite, an ITER_UBUF since 6.0. */
#include "engine.h"

#include <unistd.h>

static enum flavour sync_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 0) ? ITER_UBUF : ITER_IOVEC;
}

static ssize_t sync_run(struct io_req *rq)
{
	ssize_t n;

	if (rq->dir == DIR_READ)
		n = pread(rq->fd, rq->buf, rq->len, rq->off);
	else
		n = pwrite(rq->fd, rq->buf, rq->len, rq->off);
	if (n < 0)
		errf(rq->err, "%s(%zu bytes at %lld)", rq->dir == DIR_READ ? "pread" : "pwrite",
		     rq->len, (long long)rq->off);
	return n;
}

const struct engine_ops engine_sync = {
	.name = "sync",
	.desc = "pread/pwrite",
	.flags = ENG_RW,
	.max_segs = 1,
	.flavour = sync_flavour,
	.run = sync_run,
};
