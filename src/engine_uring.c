/* uring: IORING_OP_READ/WRITE, an ITER_UBUF (import_ubuf) from 6.4. */
#include "uring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBURING
int uring_ring(struct io_uring *ring, struct io_req *rq)
{
	int ret = io_uring_queue_init(4, ring, 0);

	if (ret < 0) {
		errno = -ret;
		errf(rq->err, "io_uring_queue_init");
		return -1;
	}
	return 0;
}

ssize_t uring_complete(struct io_uring *ring, struct io_req *rq, const char *op)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	ret = io_uring_submit(ring);
	if (ret != 1) {
		errno = ret < 0 ? -ret : EIO;
		errf(rq->err, "io_uring_submit(%s)", op);
		return -1;
	}
	do
		ret = io_uring_wait_cqe(ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0) {
		errno = -ret;
		errf(rq->err, "io_uring_wait_cqe(%s)", op);
		return -1;
	}
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	if (res < 0) {
		errno = -res;
		errf(rq->err, "%s(%zu bytes at %lld) completed with", op, rq->len,
		     (long long)rq->off);
		return -1;
	}
	return res;
}

#endif

int uring_probe(char *why)
{
#ifdef HAVE_LIBURING
	struct io_uring ring;
	long long disabled = read_ll("/proc/sys/kernel/io_uring_disabled", NULL);
	int ret;

	if (disabled == 2) {
		snprintf(why, ERRLEN, "io_uring disabled (kernel.io_uring_disabled = 2)");
		return SETUP_SKIP;
	}
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0) {
		errno = -ret;
		if (ret == -ENOSYS || ret == -EPERM) {
			errf(why, "io_uring not built in or not allowed: io_uring_queue_init");
			return SETUP_SKIP;
		}
		errf(why, "io_uring_queue_init");
		return SETUP_BROKEN;
	}
	io_uring_queue_exit(&ring);
	return SETUP_READY;
#else
	return built_without("liburing", "liburing", why);
#endif
}

static enum flavour uring_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 4) ? ITER_UBUF : ITER_IOVEC;
}

#ifdef HAVE_LIBURING
static void uring_prep(void *sqe, struct io_queue *q, struct io_req *rq)
{
	(void)q;
	if (rq->dir == DIR_READ)
		io_uring_prep_read(sqe, rq->fd, rq->buf, rq->len, rq->off);
	else
		io_uring_prep_write(sqe, rq->fd, rq->buf, rq->len, rq->off);
}

static ssize_t uring_run(struct io_req *rq)
{
	struct io_uring ring;
	ssize_t ret;

	if (uring_ring(&ring, rq) < 0)
		return -1;
	uring_prep(io_uring_get_sqe(&ring), NULL, rq);
	ret = uring_complete(&ring, rq, rq->dir == DIR_READ ? "IORING_OP_READ" : "IORING_OP_WRITE");
	io_uring_queue_exit(&ring);
	return ret;
}

int uring_qopen(struct io_queue *q, char *err)
{
	struct io_uring *ring = calloc(1, sizeof(*ring));
	int r;

	if (!ring) {
		errf(err, "calloc");
		return -1;
	}
	r = io_uring_queue_init(q->depth < 2 ? 2 : q->depth, ring, 0);
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_queue_init(%u entries)", q->depth);
		free(ring);
		return -1;
	}
	r = q->nfixed ? io_uring_register_buffers(ring, q->fixed, q->nfixed) : 0;
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_register_buffers(%u buffers)", q->nfixed);
		io_uring_queue_exit(ring);
		free(ring);
		return -1;
	}
	q->priv = ring;
	q->inflight = 0;
	return 0;
}

int uring_qsubmit(struct io_queue *q, struct io_req *rq)
{
	struct io_uring *ring = q->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int r;

	if (!sqe) {
		errno = EBUSY;
		errf(rq->err, "io_uring_get_sqe with %u of %u in flight", q->inflight, q->depth);
		return -1;
	}
	q->e->queue->prep(sqe, q, rq);
	io_uring_sqe_set_data(sqe, rq);
	r = io_uring_submit(ring);
	if (r != 1) {
		errno = r < 0 ? -r : EIO;
		errf(rq->err, "io_uring_submit(%s %s)", q->e->name, rq->dir == DIR_READ ? "read" : "write");
		return -1;
	}
	q->inflight++;
	return 0;
}

struct io_req *uring_qreap(struct io_queue *q, ssize_t *res, char *err)
{
	struct io_uring *ring = q->priv;
	struct io_uring_cqe *cqe;
	struct io_req *rq;
	int r;

	do
		r = io_uring_wait_cqe(ring, &cqe);
	while (r == -EINTR);
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_wait_cqe");
		return NULL;
	}
	rq = io_uring_cqe_get_data(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	q->inflight--;
	if (*res < 0) {
		errno = -*res;
		errf(rq->err, "io_uring %s %s(%zu bytes at %lld) completed with", q->e->name,
		     rq->dir == DIR_READ ? "read" : "write", rq->len, (long long)rq->off);
		*res = -1;
	}
	return rq;
}

/* The pins of a registration go with the ring (io_uring_queue_exit
 * unregisters its buffers). */
void uring_qclose(struct io_queue *q)
{
	if (!q->priv)
		return;
	io_uring_queue_exit(q->priv);
	free(q->priv);
	q->priv = NULL;
	q->inflight = 0;
}

#endif

const struct engine_ops engine_uring = {
	.name = "uring",
	.desc = "io_uring READ/WRITE",
	.flags = ENG_RW | ENG_NOWAIT | ENG_ASYNC,
	.max_segs = 1,
	.probe = uring_probe,
	.flavour = uring_flavour,
	.run = WITH_URING(uring_run),
	.queue = URING_QUEUE(uring_prep),
};
