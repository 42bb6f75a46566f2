/* A user-IO case's checks: the IO's result, data, dirty, pins, kernel log. */
#include "case.h"
#include "checks.h"
#include "kpage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void data_bad(struct result *res, unsigned check)
{
	res->data_ok = 0;
	failed(res, check);
}

/* A buffer that fails GUP part-way cannot be registered either. */
static int fault_refused(const struct tcase *tc)
{
	return (tc->e->flags & ENG_REGISTERS) && tc->a && tc->a->end == END_FAULT;
}

static int refusal_expected(const struct tcase *tc)
{
	return ((tc->e->flags & ENG_REGISTERS) && tc->b->longterm_refused) || fault_refused(tc);
}

/* A long-term pin (registration) of MAP_SHARED disk-file pages is refused,
 * and one of a range GUP cannot take whole. */
static void check_refusal(struct case_ctx *c)
{
	struct result *res = c->res;

	if (c->n >= 0 && fault_refused(c->tc))
		fail(res, CHK_IO, "io: the buffer registration over a range GUP cannot take whole "
		     "(%s) was allowed; it must fail\n", c->tc->a->name);
	else if (c->n >= 0)
		fail(res, CHK_PINS, "pins: long-term pin (buffer registration) of MAP_SHARED %s "
		     "pages was allowed; the kernel must refuse it\n", c->tc->b->fs);
	else if (c->rq.refused != EFAULT && c->rq.refused != EOPNOTSUPP)
		fail(res, CHK_IO, "io: %s (a refused long-term pin gives EFAULT, or EOPNOTSUPP "
		     "before 6.5)\n", c->rq.err);
	else
		sb_addf(&res->diag, "registration refused as expected: %s\n", c->rq.err);
}

/* A write failed from below: where the kernel keeps that error for the
 * file's next fsync (a write it copied through the page cache records it
 * in the mapping), say so, and take it, so that no later case gets it. */
static void fsync_after_injected(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;

	if (!tc->a || !(tc->a->flags & ACT_INJECTS) || tc->dir != DIR_WRITE || c->t->blockdev ||
	    c->res->cut)
		return;
	if (fsync(c->fd) == 0)
		sb_addf(&c->res->diag, "io: fsync after the injected write error: no error\n");
	else
		sb_addf(&c->res->diag, "io: fsync after the injected write error: %s (the error "
			"stayed with the file for its next fsync)\n", strerror(errno));
}

/* The IO's result against what the case states. */
static void check_io_result(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;
	struct result *res = c->res;
	size_t len = tc->v.size;

	if (c->ending.why)
		sb_addf(&res->diag, "io: %s\n", c->ending.why);
	switch (c->ending.end) {
	case END_ERROR:
		if (c->n >= 0)
			fail(res, CHK_IO, "io: the %s returned %zd; it had to fail (%s while held)\n",
			     dir_name(tc->dir), c->n, tc->a->name);
		else if (c->ending.errnum && res->io_errno != c->ending.errnum)
			fail(res, CHK_IO, "io: %s; %s was due\n", c->rq.err,
			     strerror(c->ending.errnum));
		else
			sb_addf(&res->diag, "io: failed as it must: %s\n", c->rq.err);
		return;
	case END_SHORT:
		if (c->n < 0)
			fail(res, CHK_IO, "io: %s\n", c->rq.err);
		else if ((size_t)c->n != len - SHORT_BY)
			fail(res, CHK_IO, "io: the %s returned %zd; the target answered %d bytes "
			     "short of %zu, so %zu was due\n", dir_name(tc->dir), c->n, SHORT_BY, len,
			     len - SHORT_BY);
		return;
	case END_FAULT:
		if (c->n < 0 && res->io_errno != EFAULT)
			fail(res, CHK_IO, "io: %s; EFAULT or a count up to the fault was due\n",
			     c->rq.err);
		else if (c->n > c->in.fault_at - c->b.io)
			fail(res, CHK_IO, "io: the %s returned %zd: past the buffer's fault at +%td, "
			     "which GUP cannot take\n", dir_name(tc->dir), c->n, c->in.fault_at - c->b.io);
		else
			sb_addf(&res->diag, "io: %s at the buffer's fault (+%td of %zu): %s\n",
				dir_name(tc->dir), c->in.fault_at - c->b.io, len,
				c->n < 0 ? c->rq.err : c->n ? "a short count" : "0 bytes");
		return;
	case END_AT_EOF:
		if (c->n < 0)
			fail(res, CHK_IO, "io: %s\n", c->rq.err);
		else if (tc->dir == DIR_READ && c->n != c->in.due_n)
			fail(res, CHK_IO, "io: the read returned %zd; the file ends %zd bytes into it\n",
			     c->n, c->in.due_n);
		else if (tc->dir == DIR_WRITE && (size_t)c->n != len)
			fail(res, CHK_IO, "io: short write past the end of the file: %zd of %zu\n",
			     c->n, len);
		return;
	case END_PREFIX:
		if (c->n < 0)
			fail(res, CHK_IO, "io: %s\n", c->rq.err);
		else
			sb_addf(&res->diag, "io: %zd of %zu bytes (any prefix was due)\n", c->n, len);
		return;
	case END_FULL:
		if (c->n < 0)
			fail(res, CHK_IO, "io: %s\n", c->rq.err);
		else if ((size_t)c->n != len)
			fail(res, CHK_IO, "io: short %s: %zd of %zu bytes at file offset %lld\n",
			     dir_name(tc->dir), c->n, len, (long long)res->file_off);
		return;
	}
}

/* Writes: the file must hold what was written, read back through the
 * page cache on a second descriptor after dropping the cached range. */
static void check_written(struct case_ctx *c)
{
	off_t off = c->res->file_off;
	size_t len = (size_t)c->n;
	void *rb = malloc(len);
	char err[ERRLEN];
	int fd = open(c->t->path, O_RDONLY | O_CLOEXEC);

	if (!rb || fd < 0) {
		errf(err, "open %s, malloc %zu", c->t->path, len);
		fail(c->res, CHK_DATA, "data: read-back: %s\n", err);
	} else {
		if (!c->in.read_cached)
			posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
		if (pread(fd, rb, len, off) != (ssize_t)len) {
			errf(err, "pread %zu at %lld from %s", len, (long long)off, c->t->path);
			fail(c->res, CHK_DATA, "data: read-back: %s\n", err);
		} else if (check_data(rb, len, PAT(c->res->seed, off), "file after the write (buffered "
				      "read-back)", &c->res->diag)) {
			data_bad(c->res, CHK_DATA);
		}
	}
	if (fd >= 0)
		close(fd);
	free(rb);
}

/* A write whose range an action truncated or punched after it: the file
 * holds zeros there, or ends before it. */
static void check_written_gone(struct case_ctx *c)
{
	off_t off = c->res->file_off;
	size_t len = c->tc->v.size;
	char *rb = calloc(1, len), err[ERRLEN];
	int fd = open(c->t->path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (rb && fd >= 0) {
		posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
		n = pread(fd, rb, len, off);
	}
	if (n < 0) {
		errf(err, "pread %zu at %lld from %s", len, (long long)off, c->t->path);
		fail(c->res, CHK_DATA, "data: read-back: %s\n", err);
	} else if (check_zero(rb, len, "file after the write, its range truncated or punched",
			      &c->res->diag)) {
		data_bad(c->res, CHK_DATA);
	} else {
		sb_addf(&c->res->diag, "data: the written range reads %s after the %s\n",
			n ? "zeros" : "past the end of the file", c->tc->a->name);
	}
	if (fd >= 0)
		close(fd);
	free(rb);
}

/* A read beside a write of its range: each sector one version, the
 * file the new one. */
static void check_either(struct case_ctx *c)
{
	struct pattern_at v[2] = { PAT(c->bed->seed, c->res->file_off),
				   PAT(c->in.either_seed, c->res->file_off) };
	size_t len = c->tc->v.size;
	char *rb = malloc(len), err[ERRLEN];
	int fd = open(c->t->path, O_RDONLY | O_CLOEXEC);
	struct strbuf note = { 0 };

	if (check_data_either(c->b.io, c->n, v, "buffer after the read beside a write of its range",
			      &note))
		data_bad(c->res, CHK_DATA);
	sb_addf(&c->res->diag, "%s", sb_str(&note));
	sb_free(&note);
	if (!rb || fd < 0 || pread(fd, rb, len, c->res->file_off) != (ssize_t)len) {
		errf(err, "pread %zu at %lld from %s", len, (long long)c->res->file_off, c->t->path);
		fail(c->res, CHK_DATA, "data: read-back: %s\n", err);
	} else if (check_data(rb, len, v[1], "file after the write beside the read (it must keep "
			      "the write)", &c->res->diag)) {
		data_bad(c->res, CHK_DATA);
	}
	if (fd >= 0)
		close(fd);
	free(rb);
}

/* What the buffer (and for a write, the file) must hold. */
static void check_buffer(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;
	struct result *res = c->res;
	struct strbuf *d = &res->diag;

	if (c->in.zero_lo) {
		/* the pages were dropped while held: the read went to pages no
		 * longer mapped, the buffer faults in fresh zero pages */
		if (check_zero(c->in.zero_lo, c->in.zero_hi - c->in.zero_lo, c->in.zero_why ?
			       c->in.zero_why : "buffer dropped with MADV_DONTNEED while the read "
			       "was held", d))
			data_bad(res, CHK_DATA);
	} else if (tc->dir == DIR_READ && c->n > 0 && c->in.either_seed) {
		check_either(c);
	} else if (tc->dir == DIR_READ && c->n > 0 && c->ending.zeros_ok) {
		if (check_data_or_zero(c->b.io, c->n, PAT(c->bed->seed, res->file_off), "buffer "
				       "after the read", d))
			data_bad(res, CHK_DATA);
	} else if (tc->dir == DIR_READ && c->n > 0) {
		if (check_data(c->b.io, c->n, PAT(c->bed->seed, res->file_off), "buffer after the read",
			       d))
			data_bad(res, CHK_DATA);
	} else if (tc->dir == DIR_WRITE) {
		if (check_data(c->b.io, tc->v.size, PAT(res->seed, res->file_off), "source buffer after "
			       "the write (the kernel wrote into it)", d))
			data_bad(res, CHK_DATA);
		if (c->n > 0 && c->in.file_gone >= 0)
			check_written_gone(c);
		else if (c->n > 0)
			check_written(c);
	}
}

/* A read that failed as it had to brought no data: its destination holds
 * what it held before, every byte. */
static void check_untouched(struct case_ctx *c)
{
	if (c->in.unmapped || c->in.zero_lo || c->tc->dir != DIR_READ || c->n >= 0 ||
	    refusal_expected(c->tc))
		return;
	if (check_data(c->b.io, c->tc->v.size, PAT(c->in.poison_seed, c->res->file_off),
		       "buffer after the failed read (no data came back: it must hold what it held "
		       "before)", &c->res->diag))
		data_bad(c->res, CHK_DATA);
}

/* A buffer that failed GUP part-way: a read's first n bytes are the data,
 * those from there to the fault the data or what was there before (a
 * partial completion), those after the fault untouched; a write's source
 * untouched where mapped, and the file the first n bytes. */
static void check_fault_data(struct case_ctx *c)
{
	size_t n = c->n > 0 ? (size_t)c->n : 0, pre = c->in.fault_at - c->b.io;
	size_t post = c->in.fault_end - c->b.io, len = c->tc->v.size;
	off_t off = c->res->file_off;
	uint64_t mine = c->tc->dir == DIR_READ ? c->in.poison_seed : c->res->seed;
	struct pattern_at v[2] = { PAT(c->bed->seed, off + (off_t)n),
				   PAT(c->in.poison_seed, off + (off_t)n) };
	struct strbuf *d = &c->res->diag;
	int bad = 0;

	if (c->tc->dir == DIR_READ) {
		bad |= n && check_data(c->b.io, n, PAT(c->bed->seed, off), "buffer after the read, "
				       "before its fault", d);
		bad |= pre > n && check_data_either(c->b.io + n, pre - n, v, "buffer between the "
						    "count returned and the fault", d);
	} else {
		bad |= check_data(c->b.io, pre, PAT(mine, off), "source buffer before its fault "
				  "(the kernel wrote into it)", d);
	}
	bad |= post < len && check_data(c->b.io + post, len - post, PAT(mine, off + (off_t)post),
					"buffer past its fault (it must stay untouched)", d);
	if (bad)
		data_bad(c->res, CHK_DATA);
	if (c->tc->dir == DIR_WRITE && n)
		check_written(c);
}

static void check_all_data(struct case_ctx *c)
{
	int judged = !c->in.unmapped && !case_ended_badly(c) && !refusal_expected(c->tc);

	if (judged && c->ending.end == END_FAULT)
		check_fault_data(c);
	else if (judged)
		check_buffer(c);
	else if (c->ending.end == END_ERROR)
		check_untouched(c);
	if (c->t->ops->io_verdict && !refusal_expected(c->tc) && c->n > 0 && !case_ended_badly(c) &&
	    c->t->ops->io_verdict(c->t, c->tc->dir, (size_t)c->n, &c->res->diag))
		data_bad(c->res, CHK_DATA);
	if (c->in.guards_lost)
		sb_addf(&c->res->diag, "data: the guard after the buffer went with its fault: not "
			"judged\n");
	else if (!c->in.unmapped && !c->in.zero_lo &&
		 check_guards(c->b.io - GUARD_LEN, c->b.io + c->tc->v.size, GUARD_LEN, c->gseed,
			      &c->res->diag))
		data_bad(c->res, CHK_GUARD);
}

void case_check(struct case_ctx *c)
{
	const struct tcase *tc = c->tc;

	c->res->refused = c->rq.refused;
	c->res->n_done = c->n > 0 ? c->n : 0;
	if (refusal_expected(tc))
		check_refusal(c);
	else if (!c->res->cut || (tc->a && (tc->a->flags & ACT_CUTS)))
		check_io_result(c);
	fsync_after_injected(c);
	if (tc->a && tc->a->finish) {
		tc->a->finish(&c->in);
		c->in.priv = NULL;
	}
	if (c->in.failed) {
		c->res->data_ok = 0;
		failed(c->res, c->in.failed);
	}
	check_all_data(c);
	check_case_dirty(c);
	check_case_pins(c);
	check_case_log(c->bed, c->res, tc->a && (tc->a->flags & ACT_INJECTS) ? c->t->dev : NULL);
}
