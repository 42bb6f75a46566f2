/* CVE-2020-29374, vmsplice and COW. after-fork: the child vmsplices the
 * shared page, unmaps it; the parent writes it; the child must read the
 * old bytes from the pipe. before-fork: the parent vmsplices, forks,
 * unmaps; the child writes the page: the pipe keeps the bytes of
 * vmsplice time. mprotect: as after-fork, the parent's page read-only
 * across fork and writable again before it writes. child-writes
 * (self-test): the child breaks COW first, then writes the page it
 * vmspliced, its own: the pipe shows the change and the check must fail. */
#include "regress_common.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { COW_BEFORE = 1, COW_MPROT = 2, COW_SELF = 4 };

struct cow {
	struct buffer b;
	struct verdict *v;
	int p[2], sync[2], go[2];
	size_t whole;		/* hugetlb pages are unmapped and protected whole */
	uint64_t seed;
	int arg;
};

static int cow_pipes(struct cow *c, char *err)
{
	if (pipe2(c->p, O_CLOEXEC) < 0 || pipe2(c->sync, O_CLOEXEC) < 0 ||
	    pipe2(c->go, O_CLOEXEC) < 0 || fcntl(c->p[1], F_SETPIPE_SZ, 2 * SPAN) < 0) {
		errf(err, "pipes");
		return -1;
	}
	return 0;
}

static int cow_setup(struct cow *c, struct regress_ctx *x, char *err)
{
	struct iovec iov;
	enum setup_state st = buffer_get(&c->b, x->b, &(struct variant){ SPAN, 0 }, x->env, err);

	if (st != SETUP_READY)
		return st == SETUP_SKIP ? 2 : -1;
	pattern_fill(c->b.io, SPAN, c->seed ^ OLD_KEY, 0);
	if (c->b.ops->confirm && c->b.ops->confirm(&c->b, err) != SETUP_READY)
		return -1;
	c->v = verdict_map(err);
	if (!c->v || cow_pipes(c, err) < 0)
		return -1;
	iov.iov_base = c->b.io;
	iov.iov_len = SPAN;
	if ((c->arg & COW_BEFORE) && vmsplice(c->p[1], &iov, 1, 0) != SPAN) {
		errf(err, "vmsplice %d bytes in the parent", SPAN);
		return -1;
	}
	if ((c->arg & COW_MPROT) && mprotect(c->b.io, c->whole, PROT_READ) < 0) {
		errf(err, "mprotect(PROT_READ)");
		return -1;
	}
	return 0;
}

/* after-fork and child-writes in the child: vmsplice, then let the
 * parent write, then read the pipe. */
static void cow_child_after(struct cow *c, char *got)
{
	struct iovec iov = { c->b.io, SPAN };
	char ch;

	/* self-test: the child first takes its own copy (a write breaks
	 * COW), so its later write lands in the spliced page */
	if (c->arg & COW_SELF)
		pattern_fill(c->b.io, SPAN, c->seed ^ OLD_KEY, 0);
	if (vmsplice(c->p[1], &iov, 1, 0) != SPAN)
		_exit(3);
	if (c->arg & COW_SELF)
		pattern_fill(c->b.io, SPAN, c->seed ^ NEW_KEY, 0);
	else if (munmap(c->b.io, c->whole) < 0)
		_exit(4);
	if (write(c->sync[1], "s", 1) != 1 || read(c->go[0], &ch, 1) != 1)
		_exit(5);
	if (read_full(c->p[0], got, SPAN) != SPAN)
		_exit(6);
	c->v->bad = !holds(got, SPAN, c->seed ^ OLD_KEY, "the child's pipe", c->v->what);
}

static void cow_child(struct cow *c)
{
	char *got = malloc(SPAN), ch;

	close(c->go[1]);
	close(c->sync[0]);
	if (!got)
		_exit(2);
	if (!(c->arg & COW_BEFORE)) {
		cow_child_after(c, got);
	} else {
		/* the parent unmapped its page: the child maps it alone */
		if (read(c->go[0], &ch, 1) != 1)
			_exit(7);
		pattern_fill(c->b.io, SPAN, c->seed ^ NEW_KEY, 0);
	}
	c->v->done = 1;
	_exit(0);
}

/* The parent's part after fork: write the page once the child vmspliced
 * (after-fork), or unmap it and let the child write it (before-fork). */
static int cow_parent(struct cow *c, char *err)
{
	char ch;

	close(c->sync[1]);	/* a child that dies makes the read return 0 */
	c->sync[1] = -1;
	close(c->go[0]);
	c->go[0] = -1;
	if (c->arg & COW_BEFORE) {
		if (munmap(c->b.io, c->whole) < 0 || write(c->go[1], "g", 1) != 1) {
			errf(err, "unmap in the parent after fork");
			return -1;
		}
		return 0;
	}
	if (read(c->sync[0], &ch, 1) != 1) {
		errf(err, "the child did not vmsplice");
		return -1;
	}
	if ((c->arg & COW_MPROT) && mprotect(c->b.io, c->whole, PROT_READ | PROT_WRITE) < 0) {
		errf(err, "mprotect(PROT_READ|PROT_WRITE)");
		return -1;
	}
	pattern_fill(c->b.io, SPAN, c->seed ^ NEW_KEY, 0);
	if (write(c->go[1], "g", 1) != 1) {
		errf(err, "signal the child");
		return -1;
	}
	return 0;
}

/* before-fork: the parent reads its own pipe after the child wrote. */
static int cow_parent_pipe(struct cow *c, char *err)
{
	char *got = malloc(SPAN);

	if (!got || read_full(c->p[0], got, SPAN) != SPAN) {
		free(got);
		errf(err, "read the pipe");
		return -1;
	}
	c->v->bad = !holds(got, SPAN, c->seed ^ OLD_KEY, "the parent's pipe", c->v->what);
	free(got);
	return 0;
}

static int cow_fork(struct cow *c, struct regress_ctx *x, char *err)
{
	pid_t pid;
	int ret;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		return -1;
	}
	if (pid == 0)
		cow_child(c);
	ret = cow_parent(c, err);
	close(c->go[1]);
	c->go[1] = -1;
	if (wait_ok(pid, x->diag, "cow") < 0 || !c->v->done) {
		if (!*err)
			errf(err, "the vmsplice child failed");
		return -1;
	}
	if (ret == 0 && (c->arg & COW_BEFORE))
		ret = cow_parent_pipe(c, err);
	return ret;
}

static int cow_vmsplice(struct regress_ctx *x, char *err)
{
	struct cow c = { .p = { -1, -1 }, .sync = { -1, -1 }, .go = { -1, -1 } };
	int ret;

	c.seed = x->seed;
	c.arg = x->v->arg;
	c.whole = x->b->needs_hugetlb ? FOLIO_PMD : SPAN;
	ret = cow_setup(&c, x, err);
	if (ret == 0)
		ret = cow_fork(&c, x, err);
	if (ret == 0) {
		ret = c.v->bad;
		if (ret)
			sb_addf(x->diag, "cow: the pipe shows a write made after the vmsplice by "
				"the other process: %s\n", c.v->what);
		else
			sb_addf(x->diag, "cow: the pipe holds the bytes as they were at vmsplice\n");
	}
	verdict_unmap(c.v);
	pipe_close(c.p);
	pipe_close(c.sync);
	pipe_close(c.go);
	buffer_put(&c.b);
	return ret;
}

static enum flavour iovec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_IOVEC;
}

static const struct regress_variant cow_variants[] = {
	{ "after-fork", 0, 0 },
	{ "before-fork", 0, COW_BEFORE },
	{ "mprotect", 0, COW_MPROT },
	{ "child-writes", 1, COW_SELF },
	{ 0 },
};

/* The kernel's own COW selftest (tools/testing/selftests/mm/cow.c) has
 * always failed the vmsplice cases on hugetlb: hugetlb reuses a page on
 * write by its map count, ignoring the pipe's reference. */
static const struct known_bug cow_known[] = {
	{ "regress/cow-vmsplice/hugetlb/*", PATH_COUNT, CHK_DATA, 0, 0,
	  "hugetlb breaks COW by map count, not by references: a vmspliced hugetlb page leaks "
	  "writes (mm/cow selftest: hugetlb vmsplice cases)", NULL },
	{ 0 },
};

const struct regression regress_cow_vmsplice = {
	.name = "cow-vmsplice",
	.desc = "vmsplice and COW: the pipe keeps the bytes of vmsplice time",
	.cve = "CVE-2020-29374",
	.fix = "17839856fd58 gup: document and work around \"COW can break either way\" issue (5.8)",
	.backings = 1u << BACKING_ANON,
	.variants = cow_variants,
	.flavour = iovec_flavour,
	.at = AT_EXTRACT,
	.run = cow_vmsplice,
	.known = cow_known,
};
