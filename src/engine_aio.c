/* aio: libaio IOCB_CMD_PREAD/PWRITE, an ITER_UBUF from 6.4 (aio_setup_rw). */
#include "aio.h"

#include <errno.h>
#include <stdlib.h>

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
static void aio_prep(void *cb, struct io_queue *q, struct io_req *rq)
{
	(void)q;
	if (rq->dir == DIR_READ)
		io_prep_pread(cb, rq->fd, rq->buf, rq->len, rq->off);
	else
		io_prep_pwrite(cb, rq->fd, rq->buf, rq->len, rq->off);
}

static ssize_t aio_run(struct io_req *rq)
{
	struct iocb cb;

	aio_prep(&cb, NULL, rq);
	return aio_complete(&cb, rq, rq->dir == DIR_READ ? "IOCB_CMD_PREAD" : "IOCB_CMD_PWRITE");
}

/* A libaio queue: the context, an iocb per IO in flight, the free ones. */
struct aio_q {
	io_context_t ctx;
	struct iocb *cbs;
	unsigned *free;
	unsigned nfree;
};

int aio_qopen(struct io_queue *q, char *err)
{
	struct aio_q *a = calloc(1, sizeof(*a));
	int r;

	if (a) {
		a->cbs = calloc(q->depth, sizeof(*a->cbs));
		a->free = calloc(q->depth, sizeof(*a->free));
	}
	if (!a || !a->cbs || !a->free) {
		errf(err, "calloc");
		goto fail;
	}
	r = io_setup(q->depth, &a->ctx);
	if (r < 0) {
		errno = -r;
		errf(err, "io_setup(%u)", q->depth);
		goto fail;
	}
	for (a->nfree = 0; a->nfree < q->depth; a->nfree++)
		a->free[a->nfree] = a->nfree;
	q->priv = a;
	q->inflight = 0;
	return 0;
fail:
	if (a) {
		free(a->cbs);
		free(a->free);
	}
	free(a);
	return -1;
}

int aio_qsubmit(struct io_queue *q, struct io_req *rq)
{
	struct aio_q *a = q->priv;
	struct iocb *cb;
	int r;

	if (!a->nfree) {
		errno = EBUSY;
		errf(rq->err, "libaio queue full (%u in flight)", q->inflight);
		return -1;
	}
	cb = &a->cbs[a->free[--a->nfree]];
	q->e->queue->prep(cb, q, rq);
	cb->data = rq;
	r = io_submit(a->ctx, 1, &cb);
	if (r != 1) {
		a->free[a->nfree++] = cb - a->cbs;
		errno = r < 0 ? -r : EIO;
		errf(rq->err, "io_submit(%s %s)", q->e->name, rq->dir == DIR_READ ? "read" : "write");
		return -1;
	}
	q->inflight++;
	return 0;
}

struct io_req *aio_qreap(struct io_queue *q, ssize_t *res, char *err)
{
	struct aio_q *a = q->priv;
	struct io_event ev;
	struct io_req *rq;
	int r;

	do
		r = io_getevents(a->ctx, 1, 1, &ev, NULL);
	while (r == -EINTR);
	if (r != 1) {
		errno = r < 0 ? -r : EIO;
		errf(err, "io_getevents");
		return NULL;
	}
	rq = ev.obj->data;
	a->free[a->nfree++] = ev.obj - a->cbs;
	q->inflight--;
	*res = (long)ev.res;
	if (*res < 0) {
		errno = -*res;
		errf(rq->err, "libaio %s %s(%zu bytes at %lld) completed with", q->e->name,
		     rq->dir == DIR_READ ? "read" : "write", rq->len, (long long)rq->off);
		*res = -1;
	}
	return rq;
}

void aio_qclose(struct io_queue *q)
{
	struct aio_q *a = q->priv;

	if (!a)
		return;
	io_destroy(a->ctx);
	free(a->cbs);
	free(a->free);
	free(a);
	q->priv = NULL;
	q->inflight = 0;
}

#endif

const struct engine_ops engine_aio = {
	.name = "aio",
	.desc = "libaio PREAD/PWRITE",
	.flags = ENG_RW | ENG_ASYNC,
	.max_segs = 1,
	.probe = aio_probe,
	.flavour = aio_flavour,
	.run = WITH_AIO(aio_run),
	.queue = AIO_QUEUE(aio_prep),
};
