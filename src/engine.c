/* What engines share: segments, pipes, the flavours of splice. */
#include "engine.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int engine_does(const struct engine_ops *e, enum dir d)
{
	return !!(e->flags & (d == DIR_READ ? ENG_READS : ENG_WRITES));
}

/* Unequal segments, so a misplaced segment cannot look right: the first
 * is one align unit, the rest share what is left. */
int iov_split(void *buf, size_t len, unsigned align, int max_segs, struct iovec *iov)
{
	size_t units = len / align, left = len;
	char *p = buf;
	int n = max_segs, i;

	if ((size_t)n > units)
		n = units;
	if (n < 1 || len % align)
		n = 1;
	for (i = 0; i < n; i++) {
		size_t sz;

		if (i == n - 1)
			sz = left;
		else if (i == 0)
			sz = align;
		else
			sz = (left / (n - i)) / align * align;
		iov[i].iov_base = p;
		iov[i].iov_len = sz;
		p += sz;
		left -= sz;
	}
	return n;
}

ssize_t pipe_open(int p[2], size_t want, struct io_req *rq)
{
	int size;

	if (pipe2(p, O_CLOEXEC) < 0) {
		errf(rq->err, "pipe2");
		rq->bed_error = 1;
		return -1;
	}
	if (want > PIPE_MAX)
		want = PIPE_MAX;
	size = fcntl(p[1], F_SETPIPE_SZ, (int)want);
	if (size < 0)
		size = fcntl(p[1], F_GETPIPE_SZ);
	if (size <= 0) {
		errf(rq->err, "F_SETPIPE_SZ %zu", want);
		rq->bed_error = 1;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return size;
}

/* iter_file_splice_write: a BVEC over the pipe's pages, IOCB_DIRECT. */
enum flavour splice_write_flavour(const struct kver *v)
{
	(void)v;
	return ITER_BVEC;
}

/* splice from an O_DIRECT file: ITER_PIPE until 6.4, copy_splice_read's
 * BVEC over freshly allocated pages from 6.5. */
enum flavour splice_read_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 5) ? ITER_BVEC : ITER_PIPE;
}

/* splice from a file read through the page cache: ITER_PIPE until 6.4;
 * from 6.5 filemap_splice_read moves the cache's pages into the pipe
 * with no iterator at all (measured on 6.12: fuse without direct_io). */
enum flavour splice_read_buffered_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 5) ? ITER_NONE : ITER_PIPE;
}

ssize_t engine_not_built(struct io_req *rq)
{
	snprintf(rq->err, ERRLEN, "this build of iovbed has no such engine");
	rq->bed_error = 1;
	return -1;
}
