#ifndef IOVBED_URING_H
#define IOVBED_URING_H

#include "engine.h"

#ifdef HAVE_LIBURING
#include <liburing.h>

/* Submit the prepared SQE and wait for its CQE: res, or -1 with rq->err. */
ssize_t uring_complete(struct io_uring *ring, struct io_req *rq, const char *op);
int uring_ring(struct io_uring *ring, struct io_req *rq);
#define WITH_URING(f) f
#else
/* Built without liburing (configure --without-liburing): the rows stay,
 * their probe says so and the run is never reached. */
#define WITH_URING(f) engine_not_built
#endif

#endif
