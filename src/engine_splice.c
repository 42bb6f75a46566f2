/* splice-in: the buffer written into a pipe, then splice(pipe -> O_DIRECT
 * file). splice-out: splice(O_DIRECT file -> pipe), then the pipe read into
 * the buffer. Either way the direct IO sees the pipe's pages, not the
 * user's. */
#include "engine.h"

#include <fcntl.h>
#include <unistd.h>

static ssize_t splice_in_run(struct io_req *rq)
{
	int p[2];
	ssize_t psize = pipe_open(p, rq->len, rq), n = 0;
	size_t done = 0, chunk;
	loff_t off = rq->off;

	if (psize < 0)
		return -1;
	while (done < rq->len) {
		chunk = rq->len - done < (size_t)psize ? rq->len - done : (size_t)psize;
		if (write_full(p[1], (char *)rq->buf + done, chunk) < 0) {
			errf(rq->err, "write %zu bytes into the pipe", chunk);
			rq->bed_error = 1;
			n = -1;
			break;
		}
		n = splice(p[0], NULL, rq->fd, &off, chunk, 0);
		if (n <= 0) {
			errf(rq->err, "splice(pipe -> O_DIRECT file, %zu bytes at %lld) returned %zd",
			     chunk, (long long)off, n);
			n = -1;
			break;
		}
		done += n;
		if ((size_t)n < chunk)
			break;	/* short: what stays in the pipe is not written */
	}
	close(p[0]);
	close(p[1]);
	return n < 0 ? -1 : (ssize_t)done;
}

static ssize_t splice_out_run(struct io_req *rq)
{
	int p[2];
	ssize_t psize = pipe_open(p, rq->len, rq), n = 0;
	size_t done = 0, chunk;
	loff_t off = rq->off;

	if (psize < 0)
		return -1;
	while (done < rq->len) {
		chunk = rq->len - done < (size_t)psize ? rq->len - done : (size_t)psize;
		n = splice(rq->fd, &off, p[1], NULL, chunk, 0);
		if (n <= 0) {
			errf(rq->err, "splice(O_DIRECT file -> pipe, %zu bytes at %lld) returned %zd",
			     chunk, (long long)off, n);
			n = -1;
			break;
		}
		if (read_full(p[0], (char *)rq->buf + done, n) != n) {
			errf(rq->err, "read %zd bytes from the pipe", n);
			rq->bed_error = 1;
			n = -1;
			break;
		}
		/* a short splice read is allowed (measured: from a FUSE direct_io
		 * file opened without O_DIRECT it stops at page boundaries) */
		done += n;
	}
	close(p[0]);
	close(p[1]);
	return n < 0 ? -1 : (ssize_t)done;
}

const struct engine_ops engine_splice_in = {
	.name = "splice-in",
	.desc = "write into a pipe, splice(pipe -> file)",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.run = splice_in_run,
};

const struct engine_ops engine_splice_out = {
	.name = "splice-out",
	.desc = "splice(file -> pipe), read the pipe",
	.flags = ENG_READS | ENG_KERNEL_PAGES,
	.max_segs = 1,
	.flavour = splice_read_flavour,
	.flavour_buffered = splice_read_buffered_flavour,
	.run = splice_out_run,
};
