/* uring-vec: IORING_OP_READV/WRITEV with 2 to 4 segments, an ITER_IOVEC. */
#include "uring.h"

static enum flavour uring_vec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_IOVEC;
}

#ifdef HAVE_LIBURING
static void uring_vec_prep(void *sqe, struct io_queue *q, struct io_req *rq)
{
	int n = iov_split(rq->buf, rq->len, rq->align, MAX_SEGS, rq->iov);

	(void)q;
	if (rq->dir == DIR_READ)
		io_uring_prep_readv(sqe, rq->fd, rq->iov, n, rq->off);
	else
		io_uring_prep_writev(sqe, rq->fd, rq->iov, n, rq->off);
}

static ssize_t uring_vec_run(struct io_req *rq)
{
	struct io_uring ring;
	ssize_t ret;

	if (uring_ring(&ring, rq) < 0)
		return -1;
	uring_vec_prep(io_uring_get_sqe(&ring), NULL, rq);
	ret = uring_complete(&ring, rq, rq->dir == DIR_READ ? "IORING_OP_READV" : "IORING_OP_WRITEV");
	io_uring_queue_exit(&ring);
	return ret;
}

#endif

const struct engine_ops engine_uring_vec = {
	.name = "uring-vec",
	.desc = "io_uring READV/WRITEV, 2-4 segments",
	.flags = ENG_RW | ENG_VECTORED | ENG_NOWAIT | ENG_ASYNC,
	.max_segs = MAX_SEGS,
	.probe = uring_probe,
	.flavour = uring_vec_flavour,
	.run = WITH_URING(uring_vec_run),
	.queue = URING_QUEUE(uring_vec_prep),
};
