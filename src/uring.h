#ifndef IOVBED_URING_H
#define IOVBED_URING_H

#include <liburing.h>
#include "engine.h"

/* Submit the prepared SQE and wait for its CQE: res, or -1 with rq->err. */
ssize_t uring_complete(struct io_uring *ring, struct io_req *rq, const char *op);
int uring_ring(struct io_uring *ring, struct io_req *rq);

#endif
