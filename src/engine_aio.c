/* aio: libaio IOCB_CMD_PREAD/PWRITE, an ITER_UBUF from 6.4 (aio_setup_rw). */
#include "aio.h"

#include <errno.h>

#ifdef HAVE_LIBAIO
ssize_t aio_complete(struct iocb *cb, struct io_req *rq, const char *op)
{
	struct io_event ev;
	io_context_t ctx = 0;
	ssize_t ret = -1;
	long res;
	int r;

	r = io_setup(1, &ctx);
	if (r < 0) {
		errno = -r;
		errf(rq->err, "io_setup");
		return -1;
	}
	r = io_submit(ctx, 1, &cb);
	if (r != 1) {
		errno = r < 0 ? -r : EIO;
		errf(rq->err, "io_submit(%s)", op);
		goto out;
	}
	do
		r = io_getevents(ctx, 1, 1, &ev, NULL);
	while (r == -EINTR);
	if (r != 1) {
		errno = r < 0 ? -r : EIO;
		errf(rq->err, "io_getevents(%s)", op);
		goto out;
	}
	res = (long)ev.res;
	if (res < 0) {
		errno = -res;
		errf(rq->err, "%s(%zu bytes at %lld) completed with", op, rq->len,
		     (long long)rq->off);
		goto out;
	}
	ret = res;
out:
	io_destroy(ctx);
	return ret;
}

#endif

int aio_probe(char *why)
{
#ifdef HAVE_LIBAIO
	io_context_t ctx = 0;
	int r = io_setup(1, &ctx);

	if (r < 0) {
		errno = -r;
		if (r == -ENOSYS) {
			errf(why, "AIO not built in: io_setup");
			return SETUP_SKIP;
		}
		errf(why, "io_setup");
		return SETUP_BROKEN;
	}
	io_destroy(ctx);
	return SETUP_READY;
#else
	return built_without("libaio", "libaio", why);
#endif
}

static enum flavour aio_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 4) ? ITER_UBUF : ITER_IOVEC;
}

#ifdef HAVE_LIBAIO
static ssize_t aio_run(struct io_req *rq)
{
	struct iocb cb;

	if (rq->dir == DIR_READ)
		io_prep_pread(&cb, rq->fd, rq->buf, rq->len, rq->off);
	else
		io_prep_pwrite(&cb, rq->fd, rq->buf, rq->len, rq->off);
	return aio_complete(&cb, rq, rq->dir == DIR_READ ? "IOCB_CMD_PREAD" : "IOCB_CMD_PWRITE");
}

#endif

const struct engine_ops engine_aio = {
	.name = "aio",
	.desc = "libaio PREAD/PWRITE",
	.flags = ENG_RW,
	.max_segs = 1,
	.probe = aio_probe,
	.flavour = aio_flavour,
	.run = WITH_AIO(aio_run),
};
