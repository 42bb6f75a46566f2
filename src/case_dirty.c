/* The dirty check of a read into MAP_SHARED file pages: every page dirty
 * after completion, and the data in the buffer's own file. */
#include "case.h"
#include "checks.h"
#include "kpage.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void read_dirty(struct case_ctx *c)
{
	struct buffer *b = &c->b;
	size_t n = kpage_count(&kpage_default, b->io, c->dirty_len);
	uint64_t *flags = calloc(n, sizeof(*flags));
	char err[ERRLEN];

	c->res->dirtied = 1;
	if (!flags || kpage_flags(&kpage_default, b->io, c->dirty_len, flags, err) < 0) {
		fail(c->res, CHK_DIRTY, "dirty: %s\n", flags ? err : "calloc failed");
		c->res->dirtied = 0;
	} else if (check_dirty(flags, n, (uintptr_t)b->io & ~4095UL, 4096, &c->res->diag)) {
		c->res->dirtied = 0;
		failed(c->res, CHK_DIRTY);
	}
	free(flags);
}

/* fsync of the buffer's file, in a thread the case waits for --timeout at
 * most: one that never returns (data=journal wedged 6.18 so) is reported
 * with its kernel stack, and the run stops (the thread stays in the
 * kernel with the file). 0, or -1 (the case says why). */
struct fsync_call {
	int fd, ret, error;
	volatile pid_t tid;
	volatile int done;
};

static void *fsync_main(void *arg)
{
	struct fsync_call *f = arg;

	f->tid = gettid();
	f->ret = fsync(f->fd);
	f->error = errno;
	__atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int fsync_bounded(struct case_ctx *c, int fd)
{
	struct fsync_call *f = calloc(1, sizeof(*f));
	double until = now_sec() + c->bed->opt->timeout;
	char path[64];
	pthread_t th;
	int ret;

	if (!f || (f->fd = fd, pthread_create(&th, NULL, fsync_main, f))) {
		free(f);
		return fsync(fd);
	}
	while (!__atomic_load_n(&f->done, __ATOMIC_ACQUIRE) && now_sec() < until)
		sleep_ms(5);
	if (!__atomic_load_n(&f->done, __ATOMIC_ACQUIRE)) {
		fail(c->res, CHK_TIMEOUT, "timeout: fsync of the buffer's file %s did not return "
		     "within %u s (--timeout); the run stops\n", c->b.path, c->bed->opt->timeout);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)f->tid);
		sb_add_file(&c->res->diag, "fsync stack", path);
		c->bed->wedged = 1;
		pthread_detach(th);
		return -1;	/* f stays with the thread */
	}
	pthread_join(th, NULL);
	ret = f->ret < 0 ? -1 : 0;
	errno = f->error;
	free(f);
	return ret;
}

/* The buffer's file must hold what the read brought: the region's data, or
 * sector by sector one of the two versions a write beside it left. */
static int in_file_bad(struct case_ctx *c, const char *got)
{
	static const char what[] = "buffer's own file after munmap+fsync (read data lost: page "
				   "not dirtied?)";
	struct pattern_at v[2] = { PAT(c->bed->seed, c->res->file_off),
				   PAT(c->in.either_seed, c->res->file_off) };
	struct strbuf note = { 0 };
	int bad;

	if (c->ending.zeros_ok)
		return check_data_or_zero(got, c->dirty_len, v[0], what, &c->res->diag);
	if (!c->in.either_seed)
		return check_data(got, c->dirty_len, v[0], what, &c->res->diag);
	bad = check_data_either(got, c->dirty_len, v, what, &note);
	if (bad)
		sb_addf(&c->res->diag, "%s", sb_str(&note));
	sb_free(&note);
	return bad;
}

/* After munmap + fsync the file is read back with O_DIRECT on a fresh
 * descriptor (from the medium, not from a cache that a leaked pin could
 * keep). */
static void read_reached_file(struct case_ctx *c)
{
	struct buffer *b = &c->b;
	off_t lo = c->io_in_file & ~4095L;
	size_t span = ((c->io_in_file + c->dirty_len + 4095) & ~4095UL) - lo;
	char err[ERRLEN];
	void *back = NULL;
	int fd;

	if (c->res->dirtied < 0)
		c->res->dirtied = 1;
	if (b->map)
		munmap(b->map, b->maplen);
	b->map = NULL;
	if (fsync_bounded(c, b->fd) < 0) {
		if (!c->bed->wedged) {
			errf(err, "fsync %s", b->path);
			fail(c->res, CHK_DIRTY, "dirty: %s\n", err);
		}
		return;
	}
	fd = open(b->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&back, 4096, span) || pread(fd, back, span, lo) != (ssize_t)span) {
		errf(err, "O_DIRECT read of the buffer file %s", b->path);
		fail(c->res, CHK_DIRTY, "dirty: %s\n", err);
	} else if (in_file_bad(c, (char *)back + (c->io_in_file - lo))) {
		c->res->dirtied = 0;
		failed(c->res, CHK_DIRTY);
	}
	if (fd >= 0)
		close(fd);
	free(back);
}

/* Only disk files: shmem pages (memfd) cannot be cleaned. */
void check_case_dirty(struct case_ctx *c)
{
	/* a read that stopped at its buffer's fault: the pages it filled */
	int faulted = c->ending.end == END_FAULT && c->n > 0;

	c->dirty_len = faulted ? (size_t)c->n : c->tc->v.size;
	if (c->tc->dir != DIR_READ || (c->n != (ssize_t)c->tc->v.size && !faulted) ||
	    c->b.ops->backing != BACKING_FILE || case_ended_badly(c))
		return;
	if (!c->in.unmapped)
		read_dirty(c);
	read_reached_file(c);
}
