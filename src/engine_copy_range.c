/* copy-range-out: copy_file_range(O_DIRECT target -> O_DIRECT peer file),
 * the peer read into the buffer; copy-range-in: the buffer written to the
 * peer, copy_file_range(peer -> target). The buffer goes to and from the
 * peer through a second, buffered descriptor (a copy: the only direct IO
 * is the copy's). Filesystems without their own
 * copy_file_range (ext4, xfs without reflink sharing here) fall back to a
 * splice through a pipe: the direct IO sees kernel pages. The peer lives
 * beside the target on the same filesystem: measured on 6.18, a copy to
 * another filesystem, even of the same type, is refused with EXDEV. */
#include "engine.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int peer_open(struct io_req *rq, char *path, size_t plen)
{
	int fd;

	if (pathf(path, plen, "%s.peer", rq->path) < 0) {
		errf(rq->err, "peer path");
		rq->bed_error = 1;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		errf(rq->err, "create the peer file %s O_DIRECT", path);
		rq->bed_error = 1;
	}
	return fd;
}

static ssize_t copy_all(int in, loff_t *ioff, int out, loff_t *ooff, size_t len,
			struct io_req *rq, const char *what)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = copy_file_range(in, ioff, out, ooff, len - done, 0);
		if (n < 0) {
			errf(rq->err, "copy_file_range(%s, %zu bytes)", what, len - done);
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
	char path[PATH_MAX];
	int peer = peer_open(rq, path, sizeof(path)), cached = -1;
	loff_t toff = rq->off, poff = 0;
	ssize_t n = -1;

	if (peer < 0)
		return -1;
	cached = open(path, O_RDWR | O_CLOEXEC);
	if (cached < 0) {
		errf(rq->err, "open the peer file %s", path);
		rq->bed_error = 1;
	} else if (rq->dir == DIR_READ) {
		n = copy_all(rq->fd, &toff, peer, &poff, rq->len, rq, "target -> peer");
		if (n > 0 && pread(cached, rq->buf, n, 0) != n) {
			errf(rq->err, "pread %zd bytes from the peer %s", n, path);
			rq->bed_error = 1;
			n = -1;
		}
	} else if (pwrite(cached, rq->buf, rq->len, 0) != (ssize_t)rq->len) {
		errf(rq->err, "pwrite %zu bytes to the peer %s", rq->len, path);
		rq->bed_error = 1;
	} else {
		n = copy_all(peer, &poff, rq->fd, &toff, rq->len, rq, "peer -> target");
	}
	if (cached >= 0)
		close(cached);
	close(peer);
	unlink(path);
	return n;
}

const struct engine_ops engine_copy_range_out = {
	.name = "copy-range-out",
	.desc = "copy_file_range(file -> peer file), read the peer",
	.min_segs = 1,
	.max_segs = 1,
	.dirs = 1u << DIR_READ,
	.kernel_pages = 1,
	.needs_peer = 1,
	.flavour = splice_read_flavour,
	.run = copy_range_run,
};

const struct engine_ops engine_copy_range_in = {
	.name = "copy-range-in",
	.desc = "write a peer file, copy_file_range(peer -> file)",
	.min_segs = 1,
	.max_segs = 1,
	.dirs = 1u << DIR_WRITE,
	.kernel_pages = 1,
	.needs_peer = 1,
	.flavour = splice_write_flavour,
	.run = copy_range_run,
};
