/* dsync: pwritev2(RWF_DSYNC), one segment: a direct write that must be
 * stable when it completes. iomap writes it through (REQ_FUA,
 * IOMAP_DIO_WRITE_THROUGH) where the device allows, else it syncs after
 * completion (generic_write_sync); the block path adds a flush. A
 * completion path the plain engines never take. */
#include "engine.h"

#include <sys/uio.h>

static enum flavour dsync_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 4) ? ITER_UBUF : ITER_IOVEC;
}

static ssize_t dsync_run(struct io_req *rq)
{
	struct iovec iov = { rq->buf, rq->len };
	ssize_t n = pwritev2(rq->fd, &iov, 1, rq->off, RWF_DSYNC);

	if (n < 0)
		errf(rq->err, "pwritev2(%zu bytes at %lld, RWF_DSYNC)", rq->len, (long long)rq->off);
	return n;
}

const struct engine_ops engine_dsync = {
	.name = "dsync",
	.desc = "pwritev2(RWF_DSYNC): a write stable at completion (FUA or sync after)",
	.flags = ENG_WRITES | ENG_SYNCS,
	.max_segs = 1,
	.flavour = dsync_flavour,
	.run = dsync_run,
};
