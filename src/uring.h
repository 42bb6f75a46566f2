#ifndef IOVBED_URING_H
#define IOVBED_URING_H

#include "engine.h"

#ifdef HAVE_LIBURING
#include <liburing.h>

/* Submit the prepared SQE and wait for its CQE: res, or -1 with rq->err. */
ssize_t uring_complete(struct io_uring *ring, struct io_req *rq, const char *op);
int uring_ring(struct io_uring *ring, struct io_req *rq);
#define WITH_URING(f) f
/* The queue the io_uring engines share (iovbed stress --depth): one ring
 * per queue; each engine adds its prep. */
int uring_qopen(struct io_queue *q, char *err);
int uring_qsubmit(struct io_queue *q, struct io_req *rq);
struct io_req *uring_qreap(struct io_queue *q, ssize_t *res, char *err);
void uring_qclose(struct io_queue *q);
#define URING_QUEUE(prepfn) (&(const struct engine_queue_ops){ .open = uring_qopen,	\
	.submit = uring_qsubmit, .reap = uring_qreap, .close = uring_qclose, .prep = (prepfn) })
#else
/* Built without liburing (configure --without-liburing): the rows stay,
 * their probe says so and the run is never reached. */
#define WITH_URING(f) engine_not_built
#define URING_QUEUE(prepfn) NULL
#endif

#endif
