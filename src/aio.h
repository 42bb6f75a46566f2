#ifndef IOVBED_AIO_H
#define IOVBED_AIO_H

#include "engine.h"

#ifdef HAVE_LIBAIO
#include <libaio.h>

/* Submit one prepared iocb and wait for it: res, or -1 with rq->err. */
ssize_t aio_complete(struct iocb *cb, struct io_req *rq, const char *op);
#define WITH_AIO(f) f
/* The queue the libaio engines share (iovbed stress --depth). */
int aio_qopen(struct io_queue *q, char *err);
int aio_qsubmit(struct io_queue *q, struct io_req *rq);
struct io_req *aio_qreap(struct io_queue *q, ssize_t *res, char *err);
void aio_qclose(struct io_queue *q);
#define AIO_QUEUE(prepfn) (&(const struct engine_queue_ops){ .open = aio_qopen,	\
	.submit = aio_qsubmit, .reap = aio_qreap, .close = aio_qclose, .prep = (prepfn) })
#else
/* Built without libaio (configure --without-libaio). */
#define WITH_AIO(f) engine_not_built
#define AIO_QUEUE(prepfn) NULL
#endif

#endif
