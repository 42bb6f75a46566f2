/* copy-range-out: copy_file_range(O_DIRECT target -> O_DIRECT peer file),
 * then the peer read into the buffer; copy-range-in: the buffer written
 * to the peer, then copy_file_range(peer -> target). The copy is the only
 * IO in the pin window: the peer is filled before it and read back after
 * it (prepare, finish), through a second, buffered descriptor, because
 * on some targets even that IO pins the buffer (9p cache=none from 6.8:
 * netfs pins the user's pages of any read or write there). Filesystems
 * without their own copy_file_range (ext4, xfs without reflink sharing
 * here) fall back to a splice through a pipe: the direct IO sees kernel
 * pages. The peer lives beside the target on the same filesystem:
 * measured on 6.18, a copy to another filesystem, even of the same type,
 * is refused with EXDEV. */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct peer {
	int fd;			/* O_DIRECT: the copy's other end */
	char path[PATH_MAX];
};

static int bed_failed(struct io_req *rq)
{
	rq->bed_error = 1;
	return -1;
}

/* The buffer to or from the peer through a buffered descriptor. */
static int peer_buffered(struct io_req *rq, struct peer *p, size_t len)
{
	int fd = open(p->path, O_RDWR | O_CLOEXEC), e;
	ssize_t n;

	if (fd < 0) {
		errf(rq->err, "open the peer file %s", p->path);
		return bed_failed(rq);
	}
	if (rq->dir == DIR_READ)
		n = pread(fd, rq->buf, len, 0);
	else
		n = pwrite(fd, rq->buf, len, 0);
	e = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? e : EIO;
		errf(rq->err, "%s %zu bytes %s the peer %s", rq->dir == DIR_READ ? "pread" : "pwrite",
		     len, rq->dir == DIR_READ ? "from" : "to", p->path);
		return bed_failed(rq);
	}
	return 0;
}

static int copy_range_prepare(struct io_req *rq)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p) {
		errf(rq->err, "calloc");
		return bed_failed(rq);
	}
	p->fd = -1;
	rq->priv = p;
	/* one peer per thread: stress workers copy beside the same target */
	if (pathf(p->path, sizeof(p->path), "%s.peer.%d", rq->path, (int)gettid()) < 0) {
		errf(rq->err, "peer path");
		*p->path = 0;
		return bed_failed(rq);
	}
	p->fd = open(p->path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (p->fd < 0) {
		errf(rq->err, "create the peer file %s O_DIRECT", p->path);
		return bed_failed(rq);
	}
	return rq->dir == DIR_WRITE ? peer_buffered(rq, p, rq->len) : 0;
}

static void copy_range_finish(struct io_req *rq, ssize_t n)
{
	struct peer *p = rq->priv;
	int e = 0;

	if (!p)
		return;
	if (rq->dir == DIR_READ && n > 0 && peer_buffered(rq, p, n) < 0)
		e = errno;	/* the caller learns it from rq->bed_error and errno */
	if (p->fd >= 0)
		close(p->fd);
	if (*p->path)
		unlink(p->path);
	free(p);
	rq->priv = NULL;
	if (e)
		errno = e;
}

/* copy_file_range of rq->len bytes, to the peer (a read) or from it (a
 * write), in as many calls as it takes. */
static ssize_t copy_all(struct io_req *rq, struct peer *p)
{
	int rd = rq->dir == DIR_READ, in = rd ? rq->fd : p->fd, out = rd ? p->fd : rq->fd;
	loff_t toff = rq->off, poff = 0, *ioff = rd ? &toff : &poff, *ooff = rd ? &poff : &toff;
	size_t done = 0;
	ssize_t n;

	while (done < rq->len) {
		n = copy_file_range(in, ioff, out, ooff, rq->len - done, 0);
		if (n < 0) {
			errf(rq->err, "copy_file_range(%s, %zu bytes)", rd ? "target -> peer" :
			     "peer -> target", rq->len - done);
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static ssize_t copy_range_run(struct io_req *rq)
{
	return copy_all(rq, rq->priv);
}

const struct engine_ops engine_copy_range_out = {
	.name = "copy-range-out",
	.desc = "copy_file_range(file -> peer file), read the peer",
	.flags = ENG_READS | ENG_KERNEL_PAGES | ENG_NEEDS_PEER | ENG_RESHAPES | ENG_MAY_REMAP,
	.max_segs = 1,
	.flavour = splice_read_flavour,
	.flavour_buffered = splice_read_buffered_flavour,
	.prepare = copy_range_prepare,
	.run = copy_range_run,
	.finish = copy_range_finish,
};

const struct engine_ops engine_copy_range_in = {
	.name = "copy-range-in",
	.desc = "write a peer file, copy_file_range(peer -> file)",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES | ENG_NEEDS_PEER | ENG_RESHAPES | ENG_MAY_REMAP,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.prepare = copy_range_prepare,
	.run = copy_range_run,
	.finish = copy_range_finish,
};
