#ifndef IOVBED_AIO_H
#define IOVBED_AIO_H

#include "engine.h"

#ifdef HAVE_LIBAIO
#include <libaio.h>

/* Submit one prepared iocb and wait for it: res, or -1 with rq->err. */
ssize_t aio_complete(struct iocb *cb, struct io_req *rq, const char *op);
#define WITH_AIO(f) f
#else
/* Built without libaio (configure --without-libaio). */
#define WITH_AIO(f) engine_not_built
#endif

#endif
