/* aio-vec: libaio IOCB_CMD_PREADV/PWRITEV with 2 to 4 segments, an ITER_IOVEC. */
#include "aio.h"

static enum flavour aio_vec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_IOVEC;
}

#ifdef HAVE_LIBAIO
static void aio_vec_prep(void *cb, struct io_queue *q, struct io_req *rq)
{
	int n = iov_split(rq->buf, rq->len, rq->align, MAX_SEGS, rq->iov);

	(void)q;
	if (rq->dir == DIR_READ)
		io_prep_preadv(cb, rq->fd, rq->iov, n, rq->off);
	else
		io_prep_pwritev(cb, rq->fd, rq->iov, n, rq->off);
}

static ssize_t aio_vec_run(struct io_req *rq)
{
	struct iocb cb;

	aio_vec_prep(&cb, NULL, rq);
	return aio_complete(&cb, rq, rq->dir == DIR_READ ? "IOCB_CMD_PREADV" : "IOCB_CMD_PWRITEV");
}

#endif

const struct engine_ops engine_aio_vec = {
	.name = "aio-vec",
	.desc = "libaio PREADV/PWRITEV, 2-4 segments",
	.flags = ENG_RW | ENG_VECTORED | ENG_ASYNC,
	.max_segs = MAX_SEGS,
	.probe = aio_probe,
	.flavour = aio_vec_flavour,
	.run = WITH_AIO(aio_vec_run),
	.queue = AIO_QUEUE(aio_vec_prep),
};
