#ifndef IOVBED_AIO_H
#define IOVBED_AIO_H

#include <libaio.h>
#include "engine.h"

/* Submit one prepared iocb and wait for it: res, or -1 with rq->err. */
ssize_t aio_complete(struct iocb *cb, struct io_req *rq, const char *op);

#endif
