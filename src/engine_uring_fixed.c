/* uring-fixed: READ_FIXED/WRITE_FIXED on a registered buffer, an ITER_BVEC.
 * The pages are pinned (FOLL_PIN | FOLL_LONGTERM) at registration and
 * released at unregistration; the IO itself pins nothing. */
#include "uring.h"

#include <errno.h>

static enum flavour uring_fixed_flavour(const struct kver *v)
{
	(void)v;
	return ITER_BVEC;
}

#ifdef HAVE_LIBURING
/* The registered buffer that holds rq's (the one registered by run: 0). */
static void uring_fixed_prep(void *sqe, struct io_queue *q, struct io_req *rq)
{
	unsigned k = 0;
	char *b = rq->buf;

	while (q && k + 1 < q->nfixed && !(b >= (char *)q->fixed[k].iov_base &&
					  b + rq->len <= (char *)q->fixed[k].iov_base +
					  q->fixed[k].iov_len))
		k++;
	if (rq->dir == DIR_READ)
		io_uring_prep_read_fixed(sqe, rq->fd, rq->buf, rq->len, rq->off, k);
	else
		io_uring_prep_write_fixed(sqe, rq->fd, rq->buf, rq->len, rq->off, k);
}

static ssize_t uring_fixed_run(struct io_req *rq)
{
	struct iovec iov = { rq->buf, rq->len };
	struct io_uring ring;
	ssize_t ret = -1;
	int r;

	if (uring_ring(&ring, rq) < 0)
		return -1;
	r = io_uring_register_buffers(&ring, &iov, 1);
	if (r < 0) {
		rq->refused = -r;
		errno = -r;
		errf(rq->err, "io_uring_register_buffers(%zu bytes)", rq->len);
		goto out_exit;
	}
	if (rq->vs && pin_read(rq->vs, &rq->registered, rq->err) < 0) {
		rq->bed_error = 1;
		goto out_unregister;
	}
	uring_fixed_prep(io_uring_get_sqe(&ring), NULL, rq);
	ret = uring_complete(&ring, rq, rq->dir == DIR_READ ? "IORING_OP_READ_FIXED"
			     : "IORING_OP_WRITE_FIXED");
	if (rq->vs && pin_read(rq->vs, &rq->completed, ret < 0 ? NULL : rq->err) < 0 && ret >= 0) {
		rq->bed_error = 1;
		ret = -1;
	}
out_unregister:
	io_uring_unregister_buffers(&ring);
out_exit:
	io_uring_queue_exit(&ring);
	return ret;
}

#endif

const struct engine_ops engine_uring_fixed = {
	.name = "uring-fixed",
	.desc = "io_uring READ_FIXED/WRITE_FIXED, registered buffer",
	.flags = ENG_RW | ENG_REGISTERS | ENG_ASYNC,
	.max_segs = 1,
	.probe = uring_probe,
	.flavour = uring_fixed_flavour,
	.run = WITH_URING(uring_fixed_run),
	.queue = URING_QUEUE(uring_fixed_prep),
};
