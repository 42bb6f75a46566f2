/* io_uring fixed buffers and fork: the buffer is registered (long-term
 * pinned), the process forks, then READ_FIXED fills it: the child's copy
 * must keep what the buffer held at fork. Self-test read-before-fork: the
 * read completes before the fork, the child's copy holds the file data and
 * the check must fail. */
#include "regress_common.h"
#include "uring.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBURING
struct ufork {
	struct io_uring ring;
	int ringup, fd, go[2];
	struct buffer b;
	struct verdict *v;
	uint64_t seed;
	char path[PATH_MAX];
};

static int ufork_ring(struct ufork *u, char *err)
{
	struct iovec iov = { u->b.io, SPAN };
	int r = io_uring_queue_init(4, &u->ring, 0);

	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_queue_init");
		return -1;
	}
	u->ringup = 1;
	r = io_uring_register_buffers(&u->ring, &iov, 1);
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_register_buffers");
		return -1;
	}
	return 0;
}

static int ufork_setup(struct ufork *u, struct regress_ctx *x, char *err)
{
	enum setup_state st = buffer_get(&u->b, x->b, &(struct variant){ SPAN, 0 }, x->env, err);

	if (st != SETUP_READY)
		return st == SETUP_SKIP ? 2 : -1;
	pattern_fill(u->b.io, SPAN, u->seed ^ OLD_KEY, 0);
	u->fd = pattern_file(x->env, "uring-fork", u->seed, u->path, err);
	if (u->fd < 0)
		return -1;
	u->v = verdict_map(err);
	if (!u->v)
		return -1;
	if (pipe2(u->go, O_CLOEXEC) < 0) {
		errf(err, "pipe");
		return -1;
	}
	return ufork_ring(u, err);
}

/* The child waits for the parent's read, then judges its own copy. */
static pid_t ufork_fork(struct ufork *u, char *err)
{
	pid_t pid;
	char c;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		return -1;
	}
	if (pid == 0) {
		if (read(u->go[0], &c, 1) != 1)
			_exit(2);
		u->v->bad = !holds(u->b.io, SPAN, u->seed ^ OLD_KEY, "the child's copy", u->v->what);
		u->v->done = 1;
		_exit(0);
	}
	close(u->go[0]);
	u->go[0] = -1;
	return pid;
}

static int ufork_read(struct ufork *u, char *err)
{
	struct io_uring_cqe *cqe;
	int r;

	io_uring_prep_read_fixed(io_uring_get_sqe(&u->ring), u->fd, u->b.io, SPAN, 0, 0);
	if (io_uring_submit(&u->ring) != 1 || io_uring_wait_cqe(&u->ring, &cqe) < 0) {
		errf(err, "READ_FIXED");
		return -1;
	}
	r = cqe->res;
	io_uring_cqe_seen(&u->ring, cqe);
	if (r != SPAN) {
		errno = r < 0 ? -r : 0;
		errf(err, "READ_FIXED returned %d", r);
		return -1;
	}
	return 0;
}

/* Fork then read (or, self-test, read then fork), let the child judge. */
static int ufork_race(struct ufork *u, struct regress_ctx *x, char *err)
{
	int self = x->v->arg, ret = 0;
	pid_t pid = -1;

	if (self)
		ret = ufork_read(u, err);
	if (ret == 0)
		pid = ufork_fork(u, err);
	if (pid < 0)
		return -1;
	if (!self)
		ret = ufork_read(u, err);
	if (write(u->go[1], "g", 1) != 1 && !*err)
		errf(err, "signal the child");
	if (wait_ok(pid, x->diag, "uring-fork") < 0 || !u->v->done) {
		if (!*err)
			errf(err, "the child failed");
		return -1;
	}
	return *err ? -1 : ret;
}

static int ufork_verdict(struct ufork *u, struct regress_ctx *x)
{
	char what[256];
	int bad = 0;

	if (!holds(u->b.io, SPAN, u->seed, "the parent's registered buffer", what)) {
		sb_addf(x->diag, "uring-fork: %s\n", what);
		bad = 1;
	}
	if (u->v->bad) {
		sb_addf(x->diag, "uring-fork: data read into the registered buffer after fork "
			"reached the child: %s\n", u->v->what);
		bad = 1;
	}
	return bad;
}

static int uring_fork(struct regress_ctx *x, char *err)
{
	struct ufork u = { .fd = -1, .go = { -1, -1 }, .seed = x->seed };
	int ret = ufork_setup(&u, x, err);

	if (ret == 0)
		ret = ufork_race(&u, x, err);
	if (ret == 0)
		ret = ufork_verdict(&u, x);
	if (u.ringup)
		io_uring_queue_exit(&u.ring);	/* unregisters the buffer */
	if (u.fd >= 0) {
		close(u.fd);
		unlink(u.path);
	}
	verdict_unmap(u.v);
	pipe_close(u.go);
	buffer_put(&u.b);
	return ret;
}

#else
/* Built without liburing: uring_probe SKIPs the case before this. */
static int uring_fork(struct regress_ctx *x, char *err)
{
	(void)x;
	return built_without("liburing", "liburing", err);
}
#endif

static enum flavour bvec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_BVEC;
}

static const struct regress_variant uring_variants[] = {
	{ "read-after-fork", 0, 0 },
	{ "read-before-fork", 1, 1 },
	{ 0 },
};

const struct regression regress_uring_fork = {
	.name = "uring-fork",
	.desc = "io_uring fixed buffer, fork, READ_FIXED: the child's copy keeps its bytes",
	.fix = "70e806e4e645 mm: Do early cow for pinned pages during fork() for ptes (5.9)",
	.backings = 1u << BACKING_ANON,
	.variants = uring_variants,
	.flavour = bvec_flavour,
	.probe = uring_probe,
	.run = uring_fork,
};
