/* vmsplice-in: vmsplice(buffer -> pipe), then splice(pipe -> O_DIRECT
 * file): the pipe holds references (FOLL_GET, not pins) to the user's own
 * pages and the direct write is a BVEC over them. vmsplice-gift: the same
 * with SPLICE_F_GIFT (a hint only the page cache could use: no effect on
 * an O_DIRECT destination). vmsplice-mod: the buffer is changed between
 * vmsplice and splice; the pipe references the pages, it holds no copy, so
 * the file must receive the buffer as it is at splice time. */
#include "engine.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MOD_XOR 0xa5

static ssize_t vmsplice_run_flags(struct io_req *rq, unsigned flags, int modify)
{
	int p[2];
	ssize_t psize = pipe_open(p, rq->len + 2 * 4096, rq), n = 0;
	size_t done = 0, chunk, in, i;
	loff_t off = rq->off;
	char *want = NULL, *buf = rq->buf;

	if (psize < 0)
		return -1;
	if (modify) {
		/* what the file must get; the buffer holds something else when
		 * it is vmspliced, and this when it is spliced */
		want = malloc(rq->len);
		if (!want) {
			errf(rq->err, "malloc %zu", rq->len);
			rq->bed_error = 1;
			goto out;
		}
		memcpy(want, buf, rq->len);
		for (i = 0; i < rq->len; i++)
			buf[i] ^= MOD_XOR;
	}
	/* an unaligned range takes a pipe slot more than its size in pages */
	psize -= 2 * 4096;
	while (done < rq->len) {
		chunk = rq->len - done < (size_t)psize ? rq->len - done : (size_t)psize;
		for (in = 0; in < chunk; in += n) {
			struct iovec iov = { buf + done + in, chunk - in };

			n = vmsplice(p[1], &iov, 1, flags);
			if (n <= 0) {
				errf(rq->err, "vmsplice(%zu bytes at buffer +%zu%s)", chunk - in,
				     done + in, flags & SPLICE_F_GIFT ? ", SPLICE_F_GIFT" : "");
				n = -1;
				goto out;
			}
		}
		if (modify)
			memcpy(buf + done, want + done, chunk);
		n = splice(p[0], NULL, rq->fd, &off, chunk, 0);
		if (n <= 0) {
			errf(rq->err, "splice(pipe -> O_DIRECT file, %zu bytes at %lld) returned %zd",
			     chunk, (long long)off, n);
			n = -1;
			goto out;
		}
		done += n;
		if ((size_t)n < chunk)
			break;
	}
out:
	if (modify && want && done < rq->len)
		memcpy(buf + done, want + done, rq->len - done);
	free(want);
	close(p[0]);
	close(p[1]);
	return n < 0 ? -1 : (ssize_t)done;
}

static ssize_t vmsplice_run(struct io_req *rq)
{
	return vmsplice_run_flags(rq, 0, 0);
}

static ssize_t vmsplice_gift_run(struct io_req *rq)
{
	return vmsplice_run_flags(rq, SPLICE_F_GIFT, 0);
}

static ssize_t vmsplice_mod_run(struct io_req *rq)
{
	return vmsplice_run_flags(rq, 0, 1);
}

const struct engine_ops engine_vmsplice_in = {
	.name = "vmsplice-in",
	.desc = "vmsplice(buffer -> pipe), splice(pipe -> file)",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES | ENG_TAKES_USER_PAGES,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.run = vmsplice_run,
};

const struct engine_ops engine_vmsplice_gift = {
	.name = "vmsplice-gift",
	.desc = "vmsplice with SPLICE_F_GIFT, splice(pipe -> file)",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES | ENG_TAKES_USER_PAGES,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.run = vmsplice_gift_run,
};

const struct engine_ops engine_vmsplice_mod = {
	.name = "vmsplice-mod",
	.desc = "vmsplice, change the buffer, splice: the file gets the changed bytes",
	.flags = ENG_WRITES | ENG_KERNEL_PAGES | ENG_TOUCHES_BUFFER,
	.max_segs = 1,
	.flavour = splice_write_flavour,
	.run = vmsplice_mod_run,
};
