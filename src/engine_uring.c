/* uring: IORING_OP_READ/WRITE, an ITER_UBUF (import_ubuf) from 6.4. */
#include "uring.h"

#include <errno.h>
#include <stdio.h>
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
static ssize_t uring_run(struct io_req *rq)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	ssize_t ret;

	if (uring_ring(&ring, rq) < 0)
		return -1;
	sqe = io_uring_get_sqe(&ring);
	if (rq->dir == DIR_READ)
		io_uring_prep_read(sqe, rq->fd, rq->buf, rq->len, rq->off);
	else
		io_uring_prep_write(sqe, rq->fd, rq->buf, rq->len, rq->off);
	ret = uring_complete(&ring, rq, rq->dir == DIR_READ ? "IORING_OP_READ" : "IORING_OP_WRITE");
	io_uring_queue_exit(&ring);
	return ret;
}

#endif

const struct engine_ops engine_uring = {
	.name = "uring",
	.desc = "io_uring READ/WRITE",
	.flags = ENG_RW | ENG_NOWAIT,
	.max_segs = 1,
	.probe = uring_probe,
	.flavour = uring_flavour,
	.run = WITH_URING(uring_run),
};
