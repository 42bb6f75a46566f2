/* Running one case: set up, IO, the four checks. */
#include "run.h"
#include "action.h"
#include "checks.h"
#include "kpage.h"
#include "pattern.h"
#include "scratchfs.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_MS 1000		/* re-read an imbalance this long before calling it a leak */
#define GUARD_KEY 0x6775617264ULL	/* "guard" */
#define POISON_KEY 0x706f69736f6eULL	/* "poison" */

static uint64_t random_seed(void)
{
	uint64_t s = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != sizeof(s))
			s = 0;
		close(fd);
	}
	return s ? s : (uint64_t)now_sec() * 1000003;
}

/* This binary's path, read before the run's own mount namespace exists:
 * after it, /proc/self/exe can name the file from outside a chroot. */
static void self_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	snprintf(out + (n > 0 ? n : 0), len - (n > 0 ? n : 0), "%s", n > 0 ? "" : "iovbed");
}

int bed_open(struct bed *bed, const struct options *opt, struct strbuf *log, char *err)
{
	struct pin_snap snap;
	size_t i;

	memset(bed, 0, sizeof(*bed));
	bed->t_start = now_sec();
	bed->opt = opt;
	self_path(bed->self, sizeof(bed->self));
	bed->kmsg.fd = -1;
	bed->pinlock = -1;
	bed->scratch.lockfd = -1;
	bed->vs = &vmstat_default;
	if (profile_init(&bed->prof, opt->profile) < 0) {
		snprintf(err, ERRLEN, "cannot tell the kernel version%s%s",
			 opt->profile ? " from --profile " : "", opt->profile ? opt->profile : "");
		return -1;
	}
	bed->seed = opt->seed_given ? opt->seed : random_seed();
	if (target_count > sizeof(bed->targets) / sizeof(bed->targets[0]) ||
	    engine_count > sizeof(bed->probe) / sizeof(bed->probe[0])) {
		snprintf(err, ERRLEN, "more targets or engines than struct bed holds");
		return -1;
	}
	for (i = 0; i < target_count; i++)
		bed->targets[i].ops = target_table[i];
	if (pin_read(bed->vs, &snap, err) < 0)
		return -1;
	if (kmsg_open(&bed->kmsg, "/dev/kmsg", err) < 0)
		return -1;
	if (scratch_open(&bed->scratch, opt->scratch ? opt->scratch : SCRATCH_BASE_DEFAULT,
			 log, err) < 0)
		return -1;
	bed->pinlock = pinlock_open(err);
	if (bed->pinlock < 0)
		return -1;
	/* From here on our mounts are private: they die with this process. */
	if (private_mount_ns(err) < 0)
		return -1;
	bed->secs_setup = now_sec() - bed->t_start;
	return 0;
}

void bed_close(struct bed *bed)
{
	double t0 = now_sec();
	size_t i;

	for (i = 0; i < target_count; i++)
		target_teardown(&bed->targets[i]);
	scratchfs_put_all();
	scratch_close(&bed->scratch);
	if (bed->pinlock >= 0)
		close(bed->pinlock);
	bed->pinlock = -1;
	kmsg_close(&bed->kmsg);
	bed->secs_teardown += now_sec() - t0;
}

void result_free(struct result *res)
{
	sb_free(&res->diag);
}

static void fail(struct result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->out == OUT_PASS)
		res->out = OUT_FAIL;
	va_start(ap, fmt);
	sb_vaddf(&res->diag, fmt, ap);
	va_end(ap);
}

static void failed(struct result *res)
{
	if (res->out == OUT_PASS)
		res->out = OUT_FAIL;
}

static void not_run(struct result *res, enum setup_state st, const char *why)
{
	char *p;

	res->out = st == SETUP_SKIP ? OUT_SKIP : OUT_BROKEN;
	snprintf(res->reason, sizeof(res->reason), "%s", why);
	for (p = res->reason; *p; p++)	/* a reason is one TAP line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static enum setup_state engine_ensure(struct bed *bed, const struct tcase *tc)
{
	enum setup_state *st = &bed->probe[tc->ei];

	if (*st == SETUP_NONE)
		*st = tc->e->probe ? tc->e->probe(bed->probe_why[tc->ei]) : SETUP_READY;
	return *st;
}

/* Writes: the file must hold what was written, read back through the
 * page cache on a second descriptor after dropping the cached range. */
static void check_written(const struct target *t, off_t off, size_t len, uint64_t seed,
			  struct result *res)
{
	char err[ERRLEN];
	void *rb = malloc(len);
	int fd;

	if (!rb) {
		fail(res, "data: read-back: malloc %zu failed\n", len);
		return;
	}
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, "open %s", t->path);
		fail(res, "data: read-back: %s\n", err);
		goto out;
	}
	posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
	if (pread(fd, rb, len, off) != (ssize_t)len) {
		errf(err, "pread %zu at %lld from %s", len, (long long)off, t->path);
		fail(res, "data: read-back: %s\n", err);
	} else if (check_data(rb, len, seed, off, "file after the write (buffered read-back)",
			      &res->diag)) {
		res->data_ok = 0;
	}
	close(fd);
out:
	free(rb);
}

/* Reads into MAP_SHARED file pages: every page dirty after completion. */
static void check_read_dirty(struct buffer *b, struct result *res)
{
	size_t n = kpage_count(&kpage_default, b->io, b->len);
	uint64_t *flags = calloc(n, sizeof(*flags));
	char err[ERRLEN];

	if (!flags) {
		fail(res, "dirty: calloc failed\n");
		return;
	}
	res->dirtied = 1;
	if (kpage_flags(&kpage_default, b->io, b->len, flags, n, err) < 0) {
		fail(res, "dirty: %s\n", err);
		res->dirtied = 0;
	} else if (check_dirty(flags, n, (uintptr_t)b->io & ~4095UL, 4096, &res->diag)) {
		res->dirtied = 0;
		failed(res);
	}
	free(flags);
}

/* ... and the data reaches the buffer's own file: after munmap + fsync it
 * is read back with O_DIRECT on a fresh descriptor (from the medium, not
 * from a cache that a leaked pin could keep). io_off: where the IO was in
 * the file (the mapping may be gone already). */
static void check_read_reached_file(struct buffer *b, off_t io_off, off_t file_off,
				    uint64_t seed, struct result *res)
{
	off_t lo = io_off & ~4095L;
	size_t span = ((io_off + b->len + 4095) & ~4095UL) - lo;
	char err[ERRLEN];
	void *back = NULL;
	int fd;

	if (res->dirtied < 0)
		res->dirtied = 1;
	if (b->map)
		munmap(b->map, b->maplen);
	b->map = NULL;
	if (fsync(b->fd) < 0) {
		errf(err, "fsync %s", b->path);
		fail(res, "dirty: %s\n", err);
		return;
	}
	fd = open(b->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&back, 4096, span)) {
		errf(err, "open %s O_DIRECT", b->path);
		fail(res, "dirty: %s\n", err);
		goto out;
	}
	if (pread(fd, back, span, lo) != (ssize_t)span) {
		errf(err, "O_DIRECT pread of the buffer file %s", b->path);
		fail(res, "dirty: %s\n", err);
	} else if (check_data((char *)back + (io_off - lo), b->len, seed, file_off,
			      "buffer's own file after munmap+fsync (read data lost: page "
			      "not dirtied?)", &res->diag)) {
		res->dirtied = 0;
		failed(res);
	}
out:
	if (fd >= 0)
		close(fd);
	free(back);
}

/* Every byte of [p, p + len) is zero. */
static int check_zero(const char *p, size_t len, const char *what, struct strbuf *diag)
{
	size_t i, bad = 0, first = 0;

	for (i = 0; i < len; i++)
		if (p[i] && !bad++)
			first = i;
	if (!bad)
		return 0;
	sb_addf(diag, "data: %s: %zu of %zu bytes not zero, the first at +%zu (found %02x)\n",
		what, bad, len, first, (unsigned char)p[first]);
	return 1;
}

/* What the pins of a user-buffer case should be on this target, and why
 * (into what): from the path found under the target and the profile. */
static enum pin_expect pin_expectation(const struct bed *bed, const struct tcase *tc,
				       const struct target *t, char *what, size_t len)
{
	enum path_class path = t->found.path;
	int pins = profile_path_pins(&bed->prof, path);
	const char *note = NULL;

	if (tc->e->kernel_pages) {
		snprintf(what, len, "%s: the direct IO sees kernel pages, not the user buffer",
			 tc->e->name);
		return PIN_EXPECT_NONE;
	}
	if (path == PATH_UNKNOWN) {
		snprintf(what, len, "unknown path (%s): pins measured, no expectation", t->found.fs);
		return PIN_EXPECT_ANY;
	}
	snprintf(what, len, "%s direct IO %s on %s (since %s)", path_class_name(path),
		 pins ? "pins" : "does not pin", bed->prof.name, profile_path_since(path));
	if (pins && t->found.pins_rule) {
		int p = t->found.pins_rule(&bed->prof.v, tc->dir, tc->b, &note);

		if (p >= 0) {
			pins = p;
			snprintf(what, len, "%s", note);
		}
	}
	return pins ? PIN_EXPECT_PINS : PIN_EXPECT_NONE;
}

static void check_pin_counts(struct bed *bed, const struct tcase *tc, struct pin_snap *s0,
			     struct pin_snap *s3, struct io_req *rq, struct result *res)
{
	res->pins = pin_delta(s0, s3);
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res);
	if (tc->e->registers) {
		if (rq->refused)
			return;
		res->reg = pin_delta(s0, &rq->registered);
		res->io = pin_delta(&rq->registered, &rq->completed);
		res->pinned = res->reg.acquired > 0;
		if (check_pins_held(res->reg, &res->diag) |
		    check_pins_taken(PIN_EXPECT_NONE, res->io, "IO on a registered buffer",
				     &res->diag))
			failed(res);
		return;
	}
	res->pinned = res->pins.acquired > 0;
	{
		char what[192];
		enum pin_expect e = pin_expectation(bed, tc, &bed->targets[tc->ti], what,
						    sizeof(what));

		if (check_pins_taken(e, res->pins, what, &res->diag))
			failed(res);
	}
}

struct io_thread {
	const struct engine_ops *e;
	struct io_req *rq;
	ssize_t n;
	int error;
	volatile pid_t tid;
};

static void *io_thread_main(void *arg)
{
	struct io_thread *it = arg;

	it->tid = gettid();
	it->n = it->e->run(it->rq);
	it->error = it->n < 0 ? errno : 0;
	return NULL;
}

#define UNSTICK_WAIT_S 10

static int join_until(pthread_t th, double deadline, int watch_signal)
{
	struct timespec ts;
	double now, until;

	for (;;) {
		now = now_sec();
		if (now >= deadline)
			return -1;
		until = deadline < now + 0.2 ? deadline : now + 0.2;
		clock_gettime(CLOCK_REALTIME, &ts);
		until = ts.tv_sec + ts.tv_nsec / 1e9 + (until - now);
		ts.tv_sec = (time_t)until;
		ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
		if (pthread_timedjoin_np(th, NULL, &ts) == 0)
			return 0;
		if (watch_signal && stop_signal)
			return 1;
	}
}

/* Wait for the IO thread until the case's timeout. A stuck IO is reported
 * with the kernel stack of its task and the target's state, then cut off
 * (the target is set up anew for the next case); so is a held request
 * when the run is interrupted. Returns -1 if the IO stays stuck even so:
 * the run cannot go on. */
static int io_join(struct bed *bed, struct target *t, const struct tcase *tc, pthread_t th,
		   struct io_thread *it, struct result *res, char *err)
{
	int holding = tc->action != ACT_NONE && tc->action != ACT_CLEAN_AFTER && t->ops->cut;
	char path[64];
	int r = join_until(th, now_sec() + bed->opt->timeout, holding);

	if (r == 0)
		return 0;
	if (r > 0) {
		res->interrupted = 1;
	} else {
		fail(res, "timeout: the %s of %zu bytes at file offset %lld did not complete "
		     "within %u s (--timeout)\n", dir_name(tc->dir), it->rq->len,
		     (long long)it->rq->off, bed->opt->timeout);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)getpid(), (int)it->tid);
		sb_add_file(&res->diag, "stuck task wchan", path);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)getpid(), (int)it->tid);
		sb_add_file(&res->diag, "stuck task stack", path);
		if (t->ops->describe)
			t->ops->describe(t, &res->diag);
	}
	res->cut = 1;
	if (t->ops->cut && t->ops->cut(t, ACT_ABORT, err) == 0 &&
	    join_until(th, now_sec() + UNSTICK_WAIT_S, 0) == 0) {
		sb_addf(&res->diag, "%s: the IO ended (%zd, %s) once %s was cut off\n",
			r > 0 ? "interrupted" : "timeout", it->n,
			it->n < 0 ? strerror(it->error) : "no error", t->ops->name);
		return 0;
	}
	bed->wedged = 1;
	errno = 0;
	errf(err, "the IO of %s stayed stuck %u s after its %s%s; the run stops", tc->id,
	     UNSTICK_WAIT_S, r > 0 ? "interruption" : "timeout",
	     t->ops->cut ? " and the target was cut off" : "");
	return -1;
}

/* What an action left behind, for the checks after the IO. */
struct act_state {
	pid_t child;		/* fork: the child holding its copy of the buffer */
	int go;			/* fork: write end of the pipe the child waits on */
	char *poked;		/* fork: the byte the parent wrote while held */
	unsigned char poke, saved;
	char *zap_lo, *zap_hi;	/* dontneed: the range dropped */
	int unmapped;		/* munmap: the buffer is gone */
};

#define HOLD_WAIT_MS 10000
#define POKE 0x5a

/* fork while the read is held: the child waits for the parent to say the
 * read completed, then exits 0 if its copy of the buffer still holds what
 * the buffer held at fork (the poison), 1 if it changed. */
static int act_fork(struct buffer *b, struct act_state *as, uint64_t poison_seed, off_t file_off,
		    char *err)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) < 0) {
		errf(err, "pipe");
		return -1;
	}
	fflush(NULL);
	as->child = fork();
	if (as->child < 0) {
		errf(err, "fork while the read was held");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (as->child == 0) {
		struct mismatch m;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(3);
		_exit(pattern_check(b->io, b->len, poison_seed, file_off, &m) ? 1 : 0);
	}
	close(p[0]);
	as->go = p[1];
	/* the parent writes another byte of the first page (a guard byte) */
	as->poked = b->io - 1;
	as->saved = *as->poked;
	as->poke = as->saved ^ POKE;
	*as->poked = as->poke;
	return 0;
}

static void act_fork_finish(struct act_state *as, struct result *res)
{
	int status;

	if (as->child <= 0)
		return;
	if (write(as->go, "g", 1) != 1)
		sb_addf(&res->diag, "fork: cannot signal the child: %s\n", strerror(errno));
	close(as->go);
	if (waitpid(as->child, &status, 0) < 0) {
		fail(res, "fork: waitpid: %s\n", strerror(errno));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		fail(res, "fork: the child ended with wait status %#x\n", status);
	} else if (WEXITSTATUS(status) == 1) {
		res->data_ok = 0;
		fail(res, "fork: the child's copy of the buffer changed after fork: the read "
		     "went (partly) to the child's page, not the parent's\n");
	}
	as->child = 0;
	if (*as->poked != (char)as->poke) {
		res->data_ok = 0;
		fail(res, "fork: the byte the parent wrote at buffer -1 while the read was held "
		     "is %02x, not %02x\n", (unsigned char)*as->poked, as->poke);
	}
	*as->poked = as->saved;	/* the guard check sees the guard again */
}

/* Clean the destination pages while the read is in flight, and see that
 * they really are clean, or the case tests nothing. */
static int act_clean(struct buffer *b, struct result *res, char *err)
{
	size_t np = kpage_count(&kpage_default, b->io, b->len), i, dirty = 0;
	uint64_t *flags;

	if (msync(b->map, b->maplen, MS_SYNC) < 0) {
		errf(err, "msync MS_SYNC of the buffer while the read was held");
		return -1;
	}
	flags = calloc(np, sizeof(*flags));
	if (!flags || kpage_flags(&kpage_default, b->io, b->len, flags, np, err) < 0) {
		if (!flags)
			errf(err, "calloc");
		free(flags);
		return -1;
	}
	for (i = 0; i < np; i++)
		dirty += flags[i] != KPAGE_ABSENT && (flags[i] & (1ULL << KPF_DIRTY));
	free(flags);
	if (dirty == np) {
		errno = 0;
		errf(err, "msync left all %zu pinned buffer pages dirty: the case cannot "
		     "test re-dirtying after completion", np);
		return -1;
	}
	sb_addf(&res->diag, "inflight: %zu of %zu buffer pages clean while the read was held\n",
		np - dirty, np);
	return 0;
}

static int numa_nodes(void)
{
	char buf[256];
	int lo, hi, n = 0;
	char *p = buf;
	FILE *f = fopen("/sys/devices/system/node/online", "re");

	if (!f)
		return 1;
	if (!fgets(buf, sizeof(buf), f))
		*buf = 0;
	fclose(f);
	while (*p) {
		if (sscanf(p, "%d-%d", &lo, &hi) == 2)
			n += hi - lo + 1;
		else if (sscanf(p, "%d", &lo) == 1)
			n++;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return n ? n : 1;
}

/* move_pages of the buffer's pages to another node than the first one's. */
static int act_migrate(struct buffer *b, struct result *res, char *err)
{
	size_t np = (((uintptr_t)b->io + b->len + 4095) & ~4095UL) / 4096 -
		((uintptr_t)b->io & ~4095UL) / 4096, i, moved = 0, busy = 0;
	void **pages = calloc(np, sizeof(*pages));
	int *nodes = calloc(np, sizeof(*nodes)), *status = calloc(np, sizeof(*status));
	int from, ret = -1;

	if (!pages || !nodes || !status) {
		errf(err, "calloc");
		goto out;
	}
	for (i = 0; i < np; i++)
		pages[i] = (void *)(((uintptr_t)b->io & ~4095UL) + i * 4096);
	if (syscall(SYS_move_pages, 0, 1UL, pages, NULL, status, 0) < 0) {
		errf(err, "move_pages (query)");
		goto out;
	}
	from = status[0];
	for (i = 0; i < np; i++)
		nodes[i] = from == 0 ? 1 : 0;
	if (syscall(SYS_move_pages, 0, np, pages, nodes, status, MPOL_MF_MOVE) < 0) {
		errf(err, "move_pages of %zu pages to node %d", np, nodes[0]);
		goto out;
	}
	for (i = 0; i < np; i++) {
		moved += status[i] == nodes[i];
		busy += status[i] == -EBUSY;
	}
	sb_addf(&res->diag, "inflight: move_pages to node %d: %zu of %zu pages moved, %zu busy\n",
		nodes[0], moved, np, busy);
	ret = 0;
out:
	free(pages);
	free(nodes);
	free(status);
	return ret;
}

#define FLIP 0x5a

static void flip(char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] ^= FLIP;
}

/* The step of tc->action while the request is held. *how: the answer
 * (NULL: as if never held); *answer 0: do not answer (cut, stuck). */
static int act_step(struct bed *bed, struct target *t, const struct tcase *tc, struct buffer *b,
		    struct act_state *as, const char **how, int *answer, struct result *res,
		    uint64_t poison_seed, char *err)
{
	static char how_buf[32];
	size_t pg = b->ops->needs_hugetlb ? FOLIO_PMD : 4096;

	switch (tc->action) {
	case ACT_CLEAN:
		return act_clean(b, res, err);
	case ACT_FORK:
		return act_fork(b, as, poison_seed, res->file_off, err);
	case ACT_MUNMAP:
		if (munmap(b->map, b->maplen) < 0) {
			errf(err, "munmap of the buffer while the read was held");
			return -1;
		}
		b->map = NULL;
		as->unmapped = 1;
		return 0;
	case ACT_DONTNEED:
		as->zap_lo = (char *)((uintptr_t)b->io & ~(pg - 1));
		as->zap_hi = (char *)(((uintptr_t)b->io + b->len + pg - 1) & ~(pg - 1));
		if (madvise(as->zap_lo, as->zap_hi - as->zap_lo, MADV_DONTNEED) < 0) {
			errf(err, "madvise(MADV_DONTNEED) of the buffer while the read was held");
			return -1;
		}
		return 0;
	case ACT_MPROTECT:
		if (mprotect(b->map, b->maplen, PROT_READ) < 0) {
			errf(err, "mprotect(PROT_READ) of the buffer while the read was held");
			return -1;
		}
		return 0;
	case ACT_COMPACT:
		return write_file("/proc/sys/vm/compact_memory", "1", err);
	case ACT_MIGRATE:
		return act_migrate(b, res, err);
	case ACT_ABORT:
	case ACT_KILL:
		*answer = 0;
		res->cut = 1;
		return t->ops->cut(t, tc->action, err);
	case ACT_EIO:
		snprintf(how_buf, sizeof(how_buf), "fail %d", EIO);
		*how = how_buf;
		return 0;
	case ACT_SHORT:
		snprintf(how_buf, sizeof(how_buf), "short %d", SHORT_BY);
		*how = how_buf;
		return 0;
	case ACT_DELAY:
		sleep_ms(DELAY_MS);
		return 0;
	case ACT_STUCK:
		*answer = 0;
		return 0;
	case ACT_MODIFY:
		flip(b->io, b->len);
		return 0;
	default:
		(void)bed;
		return 0;
	}
}

/* The IO runs in a thread. Plain: wait for it. With an action: wait until
 * the target holds the request, measure the pins held meanwhile, act,
 * answer. Returns -1 (err) if the test bed could not do its part. */
static int io_run(struct bed *bed, struct target *t, const struct tcase *tc, struct buffer *b,
		  struct io_req *rq, ssize_t *n, struct act_state *as, struct result *res,
		  uint64_t poison_seed, char *err)
{
	struct io_thread it = { tc->e, rq, -1, 0, 0 };
	struct pin_snap before, during;
	const char *how = NULL;
	pthread_t th;
	unsigned waited = 0;
	int held = 0, answer = 1, ret = -1;

	if (tc->action != ACT_NONE && tc->action != ACT_CLEAN_AFTER) {
		if (t->ops->hold(t, tc->dir, rq->off, err) < 0)
			return -1;
		if (pin_read(bed->vs, &before, err) < 0)
			return -1;
	}
	if (pthread_create(&th, NULL, io_thread_main, &it)) {
		errf(err, "pthread_create");
		return -1;
	}
	if (tc->action == ACT_NONE || tc->action == ACT_CLEAN_AFTER) {
		ret = 0;
		goto join;
	}
	while ((held = t->ops->held(t, err)) == 0 && waited < HOLD_WAIT_MS) {
		sleep_ms(2);
		waited += 2;
	}
	if (held < 0)
		goto answer;
	if (!held) {
		fail(res, "inflight: the %s at file offset %lld never reached %s within %u ms\n",
		     dir_name(tc->dir), (long long)rq->off, t->ops->name, HOLD_WAIT_MS);
		ret = 0;
		goto answer;
	}
	/* g. while held, the pages are pinned (on a kernel whose path pins) */
	if (pin_read(bed->vs, &during, err) < 0)
		goto answer;
	res->held = pin_delta(&before, &during);
	if (!tc->e->registers && profile_path_pins(&bed->prof, t->found.path) &&
	    res->held.acquired - res->held.released <= 0)
		fail(res, "pins: none outstanding while the %s was held: acquired %+lld "
		     "released %+lld\n", dir_name(tc->dir), res->held.acquired, res->held.released);
	if (act_step(bed, t, tc, b, as, &how, &answer, res, poison_seed, err) < 0)
		goto answer;
	ret = 0;
answer:
	if (answer && t->ops->release(t, ret < 0 ? NULL : how, ret < 0 ? NULL : err) < 0 &&
	    ret == 0)
		ret = -1;
join:
	{
		char jerr[ERRLEN];

		if (io_join(bed, t, tc, th, &it, res, jerr) < 0) {
			snprintf(err, ERRLEN, "%s", jerr);
			return -1;
		}
	}
	*n = it.n;
	res->error = it.error;
	return ret;
}

/* The IO between two readings of the pin counters; the second reading
 * settles before calling a leak. The window holds only the IO under
 * test: the engine prepares before it and finishes after it. */
static int io_and_measure(struct bed *bed, struct target *t, const struct tcase *tc,
			  struct buffer *b, struct io_req *rq, struct pin_snap *s0,
			  struct pin_snap *s3, ssize_t *n, struct act_state *as,
			  struct result *res, uint64_t poison_seed, char *err)
{
	int ret = -1;

	if (tc->e->prepare && tc->e->prepare(rq) < 0) {
		snprintf(err, ERRLEN, "%s", rq->err);
		goto out;
	}
	if (pin_read(bed->vs, s0, err) < 0 ||
	    io_run(bed, t, tc, b, rq, n, as, res, poison_seed, err) < 0 ||
	    pin_read(bed->vs, s3, err) < 0 || pin_settle(bed->vs, s0, s3, SETTLE_MS, err) < 0)
		goto out;
	/* the self-test: pages cleaned after completion must fail the check */
	if (tc->action == ACT_CLEAN_AFTER && *n > 0 && msync(b->map, b->maplen, MS_SYNC) < 0) {
		errf(err, "msync MS_SYNC of the buffer after the read");
		goto out;
	}
	ret = 0;
out:
	if (tc->e->finish)
		tc->e->finish(rq, ret < 0 ? -1 : *n);
	return ret;
}

/* How a case's IO must end, from its action. */
enum io_end { END_FULL, END_ERROR, END_SHORT };

static enum io_end expected_end(enum action a)
{
	switch (a) {
	case ACT_ABORT:
	case ACT_KILL:
	case ACT_EIO:
		return END_ERROR;
	case ACT_SHORT:
		return END_SHORT;
	default:
		return END_FULL;
	}
}

/* The IO's result against what the case states. */
static void check_io_result(const struct tcase *tc, ssize_t n, size_t len, const struct io_req *rq,
			    struct result *res)
{
	switch (expected_end(tc->action)) {
	case END_ERROR:
		if (n >= 0)
			fail(res, "io: the %s returned %zd; it had to fail (%s while held)\n",
			     dir_name(tc->dir), n, action_spec(tc->action)->name);
		else if (tc->action == ACT_EIO && res->error != EIO)
			fail(res, "io: %s; the daemon answered EIO\n", rq->err);
		else
			sb_addf(&res->diag, "io: failed as it must: %s\n", rq->err);
		return;
	case END_SHORT:
		if (n < 0)
			fail(res, "io: %s\n", rq->err);
		else if ((size_t)n != len - SHORT_BY)
			fail(res, "io: the read returned %zd; the daemon answered %d bytes short "
			     "of %zu, so %zu was due\n", n, SHORT_BY, len, len - SHORT_BY);
		return;
	case END_FULL:
		if (n < 0)
			fail(res, "io: %s\n", rq->err);
		else if ((size_t)n != len)
			fail(res, "io: short %s: %zd of %zu bytes at file offset %lld\n",
			     dir_name(tc->dir), n, len, (long long)res->file_off);
		return;
	}
}

/* Was the IO cut off or never answered: its data cannot be judged. */
static int ended_badly(const struct tcase *tc, const struct result *res)
{
	return expected_end(tc->action) == END_ERROR || res->cut;
}

static void check_kernel_log(struct bed *bed, struct result *res)
{
	struct strbuf bad = { 0 };
	char why[ERRLEN];
	int nbad = kmsg_collect(&bed->kmsg, &bad, NULL);

	if (nbad < 0) {
		errf(why, "read /dev/kmsg");
		not_run(res, SETUP_BROKEN, why);
	} else if (check_kmsg(nbad, &bad, &res->diag)) {
		res->kmsg_ok = 0;
		failed(res);
	}
	sb_free(&bad);
	switch (kmsg_taint_since_mark(&bed->kmsg, &res->diag, why)) {
	case -1:
		not_run(res, SETUP_BROKEN, why);
		break;
	case 1:
		res->kmsg_ok = 0;
		failed(res);
		break;
	}
}

/* The end of a pin bracket opened at s0: the deltas, balanced or not. */
static int pins_close(struct bed *bed, struct pin_snap *s0, struct result *res, char *why)
{
	struct pin_snap s3;

	if (pin_read(bed->vs, &s3, why) < 0 || pin_settle(bed->vs, s0, &s3, SETTLE_MS, why) < 0)
		return -1;
	res->pins = pin_delta(s0, &s3);
	res->pinned = res->pins.acquired > 0;
	res->balanced = !check_pins_balanced(res->pins, &res->diag);
	if (!res->balanced)
		failed(res);
	return 0;
}

/* exec, acct: the kernel's own IO into a file of the target. No user
 * memory is involved: no pins may be taken. */
static void run_kernel_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct target *t = &bed->targets[tc->ti];
	struct pin_snap s0;
	char why[ERRLEN] = "";
	int ret;

	if (pin_read(bed->vs, &s0, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	kmsg_mark(&bed->kmsg);
	if (tc->e->kernel_run)
		ret = tc->e->kernel_run(t->path, &res->diag, why);
	else
		ret = t->ops->kernel_io(t, tc->e->name, 0, &res->diag, why);
	if (ret == 2)
		return not_run(res, SETUP_SKIP, why);
	if (ret < 0 || pins_close(bed, &s0, res, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	if (!tc->e->kernel_run)
		ret = t->ops->kernel_io(t, tc->e->name, 1, &res->diag, why);
	if (ret < 0)
		return not_run(res, SETUP_BROKEN, why);
	if (ret > 0) {
		res->data_ok = 0;
		failed(res);
	}
	if (check_pins_taken(PIN_EXPECT_NONE, res->pins, tc->e->kernel_buf ?
			     "the kernel's own IO (no user buffer)" :
			     "the kernel's own IO from a kernel buffer (ITER_KVEC)", &res->diag))
		failed(res);
	check_kernel_log(bed, res);
}

/* A regression case: its scenario does everything; pins must balance. */
static void run_scenario_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct pin_snap s0;
	char why[ERRLEN] = "";
	int ret;

	if (pin_read(bed->vs, &s0, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	kmsg_mark(&bed->kmsg);
	ret = tc->e->scenario(bed, tc, res, why);
	if (ret == 2)
		return not_run(res, SETUP_SKIP, why);
	if (ret < 0)
		return not_run(res, SETUP_BROKEN, why);
	if (ret > 0) {
		res->data_ok = 0;
		failed(res);
	}
	if (pins_close(bed, &s0, res, why) < 0)
		return not_run(res, SETUP_BROKEN, why);
	check_kernel_log(bed, res);
}

static void run_case_locked(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct target *t = &bed->targets[tc->ti];
	struct pin_snap s0, s3;
	struct act_state as = { 0 };
	struct buffer b;
	struct io_req rq;
	enum setup_state st;
	char why[ERRLEN] = "";
	uint64_t gseed;
	off_t span, io_in_file;
	size_t len = tc->v.size;
	ssize_t n = -1;
	int fd, expect_refusal = tc->e->registers && tc->b->longterm_refused;
	int anon = tc->b->backing == BACKING_ANON;

	memset(res, 0, sizeof(*res));
	res->out = OUT_PASS;
	res->dirtied = -1;
	res->data_ok = 1;
	res->kmsg_ok = 1;
	res->seed = mix64(bed->seed ^ hash_str(tc->id));
	gseed = res->seed ^ GUARD_KEY;

	st = target_ensure(t, bed);
	if (st != SETUP_READY)
		return not_run(res, st, t->why);
	st = engine_ensure(bed, tc);
	if (st != SETUP_READY)
		return not_run(res, st, bed->probe_why[tc->ei]);
	if (tc->e->scenario)
		return run_scenario_case(bed, tc, res);
	if (tc->e->kernel)
		return run_kernel_case(bed, tc, res);
	if (tc->action == ACT_MIGRATE && numa_nodes() < 2)
		return not_run(res, SETUP_SKIP, "one NUMA node: move_pages has no other node "
			       "to move the pages to");

	span = t->region - (off_t)len;
	res->file_off = (tc->dir == DIR_READ ? t->read_base : t->write_base) +
		(off_t)(res->seed % (uint64_t)(span / t->ops->align + 1)) * t->ops->align;

	st = buffer_get(&b, tc->b, len, tc->v.bufoff, bed, why);
	if (st != SETUP_READY)
		return not_run(res, st, why);
	io_in_file = b.io - (char *)b.map;
	guard_fill(b.io - GUARD_LEN, GUARD_LEN, gseed);
	guard_fill(b.io + len, GUARD_LEN, gseed);
	if (tc->dir == DIR_READ)
		pattern_fill(b.io, len, res->seed ^ POISON_KEY, res->file_off);
	else
		pattern_fill(b.io, len, res->seed, res->file_off);
	if (b.ops->confirm) {
		st = b.ops->confirm(&b, why);
		if (st != SETUP_READY) {
			not_run(res, st, why);
			goto out_buf;
		}
	}
	/* Clean the destination pages, so only the read can dirty them. */
	if (tc->dir == DIR_READ && b.ops->backing == BACKING_FILE &&
	    msync(b.map, b.maplen, MS_SYNC) < 0) {
		errf(why, "msync MS_SYNC of the buffer");
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}
	fd = open(t->path, O_RDWR | (t->ops->no_odirect ? 0 : O_DIRECT) | O_CLOEXEC);
	if (fd < 0) {
		errf(why, "open %s%s", t->path, t->ops->no_odirect ? "" : " O_DIRECT");
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}

	memset(&rq, 0, sizeof(rq));
	rq.fd = fd;
	rq.path = t->path;
	rq.dir = tc->dir;
	rq.buf = b.io;
	rq.len = len;
	rq.off = res->file_off;
	rq.align = t->ops->align;
	rq.vs = bed->vs;

	if (t->ops->io_expect && t->ops->io_expect(t, tc->dir, res->file_off, len, res->seed, why) < 0) {
		close(fd);
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}
	kmsg_mark(&bed->kmsg);
	if (io_and_measure(bed, t, tc, &b, &rq, &s0, &s3, &n, &as, res, res->seed ^ POISON_KEY,
			   why) < 0) {
		close(fd);
		act_fork_finish(&as, res);
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}
	close(fd);
	if (rq.bed_error) {
		act_fork_finish(&as, res);
		not_run(res, SETUP_BROKEN, rq.err);
		goto out_buf;
	}
	res->refused = rq.refused;

	if (expect_refusal) {
		if (n >= 0)
			fail(res, "pins: long-term pin (buffer registration) of MAP_SHARED %s "
			     "pages was allowed; the kernel must refuse it\n", tc->b->fs);
		else if (rq.refused != EFAULT && rq.refused != EOPNOTSUPP)
			fail(res, "io: %s (a refused long-term pin gives EFAULT, or EOPNOTSUPP "
			     "before 6.5)\n", rq.err);
		else
			sb_addf(&res->diag, "registration refused as expected: %s\n", rq.err);
	} else if (!res->cut || tc->action == ACT_ABORT || tc->action == ACT_KILL) {
		check_io_result(tc, n, len, &rq, res);
	}

	/* 1. data */
	act_fork_finish(&as, res);
	if (tc->action == ACT_MODIFY) {
		/* the buffer held the flipped bytes after the hold: flip back, so
		 * the source check sees whether the kernel wrote into it */
		flip(b.io, len);
		sb_addf(&res->diag, "modify: the buffer was changed while the write was held; "
			"the server and the file must have the bytes of submission time\n");
	}
	if (as.unmapped || ended_badly(tc, res) || expect_refusal) {
		/* the buffer is gone, or the IO had to fail: nothing to compare */
	} else if (tc->dir == DIR_READ && tc->action == ACT_DONTNEED && anon) {
		/* the pages were dropped while held: the read went to pages no
		 * longer mapped, the buffer faults in fresh zero pages */
		if (check_zero(as.zap_lo, as.zap_hi - as.zap_lo,
			       "buffer dropped with MADV_DONTNEED while the read was held",
			       &res->diag))
			res->data_ok = 0;
	} else if (tc->dir == DIR_READ && n > 0) {
		if (check_data(b.io, n, bed->seed, res->file_off, "buffer after the read", &res->diag))
			res->data_ok = 0;
	} else if (tc->dir == DIR_WRITE) {
		if (check_data(b.io, len, res->seed, res->file_off,
			       "source buffer after the write (the kernel wrote into it)", &res->diag))
			res->data_ok = 0;
		if (n > 0)
			check_written(t, res->file_off, n, res->seed, res);
	}
	if (t->ops->io_verdict && !expect_refusal && n > 0 && !ended_badly(tc, res) &&
	    t->ops->io_verdict(t, tc->dir, &res->diag))
		res->data_ok = 0;
	if (!as.unmapped && !(tc->action == ACT_DONTNEED && anon) &&
	    check_guards(b.io - GUARD_LEN, b.io + len, GUARD_LEN, gseed, &res->diag))
		res->data_ok = 0;
	if (!res->data_ok)
		failed(res);

	/* 2. dirty: shmem pages (memfd) cannot be cleaned, so only disk files */
	if (tc->dir == DIR_READ && n == (ssize_t)len && b.ops->backing == BACKING_FILE &&
	    !ended_badly(tc, res)) {
		if (!as.unmapped)
			check_read_dirty(&b, res);
		check_read_reached_file(&b, io_in_file, res->file_off, bed->seed, res);
	}

	/* 3. pins */
	check_pin_counts(bed, tc, &s0, &s3, &rq, res);

	/* 4. kernel log */
	check_kernel_log(bed, res);
out_buf:
	buffer_put(&b);
	if (res->cut)	/* a cut-off target is set up anew for the next case */
		target_teardown(t);
}

/* The pin counters are machine-wide: everything a case does that may pin
 * (mkfs of a scratch filesystem does direct IO too) runs under the lock
 * another iovbed run takes for its cases. */
void run_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	double t0 = now_sec(), setup0 = bed->secs_setup;
	const char *known;

	/* Nothing the test bed has buffered may reach its file inside a case:
	 * a fork in the case (exec, acct, the fork action) flushes every
	 * stdio stream, and a --json file on a pinning path (9p from 6.8, a
	 * FUSE direct_io mount) would add the test bed's own pins to the
	 * case's (measured: +1 in acct cases on 6.12 with --json on 9p). */
	fflush(NULL);
	pinlock(bed->pinlock);
	run_case_locked(bed, tc, res);
	pinunlock(bed->pinlock);
	/* a target set up for this case counts as set-up, not as the case */
	res->secs = now_sec() - t0 - (bed->secs_setup - setup0);
	/* a known kernel limitation (the engine's own, or a bug of a path the
	 * profile says is not converted), never a self-test's failure */
	if (res->out == OUT_FAIL && !tc->selftest && res->balanced && res->kmsg_ok) {
		known = tc->e->known_failure ? tc->e->known_failure(tc) : NULL;
		if (!known)
			known = profile_known_bug(&bed->prof, tc->id, sb_str(&res->diag));
		if (known) {
			res->out = OUT_XFAIL;
			snprintf(res->reason, sizeof(res->reason), "%s", known);
		}
	}
}
