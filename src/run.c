/* Running one case: set up, IO, the four checks. */
#include "run.h"
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
#include <sys/mman.h>
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

int bed_open(struct bed *bed, const struct options *opt, struct strbuf *log, char *err)
{
	struct pin_snap snap;
	size_t i;

	memset(bed, 0, sizeof(*bed));
	bed->opt = opt;
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
	return 0;
}

void bed_close(struct bed *bed)
{
	size_t i;

	for (i = 0; i < target_count; i++)
		target_teardown(&bed->targets[i]);
	scratchfs_put_all();
	scratch_close(&bed->scratch);
	if (bed->pinlock >= 0)
		close(bed->pinlock);
	bed->pinlock = -1;
	kmsg_close(&bed->kmsg);
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

/* Reads into MAP_SHARED file pages: every page dirty after completion, and
 * the data reaches the buffer's own file: after munmap + fsync it is read
 * back with O_DIRECT on a fresh descriptor (from the medium, not from a
 * cache that a leaked pin could keep). */
static void check_read_dirty(struct buffer *b, off_t file_off, uint64_t seed, struct result *res)
{
	size_t n = kpage_count(&kpage_default, b->io, b->len);
	off_t in_file = b->io - (char *)b->map, lo = in_file & ~4095L;
	size_t span = ((in_file + b->len + 4095) & ~4095UL) - lo;
	uint64_t *flags = calloc(n, sizeof(*flags));
	char err[ERRLEN];
	void *back = NULL;
	int fd;

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
	} else if (check_data((char *)back + (in_file - lo), b->len, seed, file_off,
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
		int pins = profile_path_pins(&bed->prof, tc->t->path);
		const char *note = NULL;
		char what[160];

		snprintf(what, sizeof(what), "%s direct IO %s on %s (since %s)",
			 path_class_name(tc->t->path), pins ? "pins" : "does not pin",
			 bed->prof.name, profile_path_since(tc->t->path));
		if (pins && tc->t->pins_expected) {
			int p = tc->t->pins_expected(tc->dir, tc->b, &note);

			if (p >= 0) {
				pins = p;
				snprintf(what, sizeof(what), "%s", note);
			}
		}
		if (check_pins_taken(pins ? PIN_EXPECT_PINS : PIN_EXPECT_NONE, res->pins, what,
				     &res->diag))
			failed(res);
	}
}

struct io_thread {
	const struct engine_ops *e;
	struct io_req *rq;
	ssize_t n;
};

static void *io_thread_main(void *arg)
{
	struct io_thread *it = arg;

	it->n = it->e->run(it->rq);
	return NULL;
}

#define HOLD_WAIT_MS 10000

/* The IO runs in a thread; this one waits until the target holds the
 * request, measures the pins held meanwhile, acts on the buffer, lets the
 * request go. Returns -1 (err) if the test bed could not do its part. */
static int io_held(struct bed *bed, struct target *t, const struct tcase *tc, struct buffer *b,
		   struct io_req *rq, ssize_t *n, struct result *res, char *err)
{
	struct io_thread it = { tc->e, rq, -1 };
	struct pin_snap before, during;
	pthread_t th;
	unsigned waited = 0;
	int held, ret = -1;

	if (t->ops->hold(t, tc->dir, rq->off, err) < 0)
		return -1;
	if (pin_read(bed->vs, &before, err) < 0)
		return -1;
	if (pthread_create(&th, NULL, io_thread_main, &it)) {
		errf(err, "pthread_create");
		return -1;
	}
	while ((held = t->ops->held(t, err)) == 0 && waited < HOLD_WAIT_MS) {
		sleep_ms(5);
		waited += 5;
	}
	if (held < 0)
		goto out_release;
	if (!held) {
		fail(res, "inflight: the %s at file offset %lld never reached %s within %u ms\n",
		     dir_name(tc->dir), (long long)rq->off, t->ops->name, HOLD_WAIT_MS);
		ret = 0;
		goto out_release;
	}
	/* g. while held, the pages are pinned (on a kernel whose path pins) */
	if (pin_read(bed->vs, &during, err) < 0)
		goto out_release;
	res->held = pin_delta(&before, &during);
	if (!tc->e->registers && profile_path_pins(&bed->prof, tc->t->path) &&
	    res->held.acquired - res->held.released <= 0)
		fail(res, "pins: none outstanding while the %s was held: acquired %+lld "
		     "released %+lld\n", dir_name(tc->dir), res->held.acquired, res->held.released);
	/* a. clean the destination pages while the read is in flight */
	if (tc->action == ACT_CLEAN) {
		size_t np = kpage_count(&kpage_default, b->io, b->len), i, dirty = 0;
		uint64_t *flags;

		if (msync(b->map, b->maplen, MS_SYNC) < 0) {
			errf(err, "msync MS_SYNC of the buffer while the read was held");
			goto out_release;
		}
		/* The case tests re-dirtying only if the pages really are clean now. */
		flags = calloc(np, sizeof(*flags));
		if (!flags || kpage_flags(&kpage_default, b->io, b->len, flags, np, err) < 0) {
			if (!flags)
				errf(err, "calloc");
			free(flags);
			goto out_release;
		}
		for (i = 0; i < np; i++)
			dirty += flags[i] != KPAGE_ABSENT && (flags[i] & (1ULL << KPF_DIRTY));
		free(flags);
		if (dirty == np) {
			errno = 0;
			errf(err, "msync left all %zu pinned buffer pages dirty: the case cannot "
			     "test re-dirtying after completion", np);
			goto out_release;
		}
		sb_addf(&res->diag, "inflight: %zu of %zu buffer pages clean while the read was "
			"held\n", np - dirty, np);
	}
	ret = 0;
out_release:
	if (t->ops->release(t, ret < 0 ? NULL : err) < 0 && ret == 0)
		ret = -1;
	pthread_join(th, NULL);
	*n = it.n;
	return ret;
}

/* The IO between two readings of the pin counters, held in flight if the
 * case has an action; the second reading settles before calling a leak. */
static int io_and_measure(struct bed *bed, struct target *t, const struct tcase *tc,
			  struct buffer *b, struct io_req *rq, struct pin_snap *s0,
			  struct pin_snap *s3, ssize_t *n, struct result *res, char *err)
{
	if (pin_read(bed->vs, s0, err) < 0)
		return -1;
	if (tc->action == ACT_NONE)
		*n = tc->e->run(rq);
	else if (io_held(bed, t, tc, b, rq, n, res, err) < 0)
		return -1;
	if (pin_read(bed->vs, s3, err) < 0 || pin_settle(bed->vs, s0, s3, SETTLE_MS, err) < 0)
		return -1;
	/* the self-test: pages cleaned after completion must fail the check */
	if (tc->action == ACT_CLEAN_AFTER && *n > 0 && msync(b->map, b->maplen, MS_SYNC) < 0) {
		errf(err, "msync MS_SYNC of the buffer after the read");
		return -1;
	}
	return 0;
}

static void run_case_locked(struct bed *bed, const struct tcase *tc, struct result *res)
{
	struct target *t = &bed->targets[tc->ti];
	struct pin_snap s0, s3;
	struct strbuf bad = { 0 };
	struct buffer b;
	struct io_req rq;
	enum setup_state st;
	char why[ERRLEN] = "";
	uint64_t gseed;
	off_t span;
	size_t len = tc->v.size;
	ssize_t n = -1;
	int fd, expect_refusal = tc->e->registers && tc->b->longterm_refused;
	double t0 = now_sec();

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

	span = t->region - (off_t)len;
	res->file_off = (tc->dir == DIR_READ ? t->read_base : t->write_base) +
		(off_t)(res->seed % (uint64_t)(span / t->ops->align + 1)) * t->ops->align;

	st = buffer_get(&b, tc->b, len, tc->v.bufoff, bed, why);
	if (st != SETUP_READY)
		return not_run(res, st, why);
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
	fd = open(t->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		errf(why, "open %s O_DIRECT", t->path);
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}

	memset(&rq, 0, sizeof(rq));
	rq.fd = fd;
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
	if (io_and_measure(bed, t, tc, &b, &rq, &s0, &s3, &n, res, why) < 0) {
		close(fd);
		not_run(res, SETUP_BROKEN, why);
		goto out_buf;
	}
	close(fd);
	if (rq.bed_error) {
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
	} else if (n < 0) {
		fail(res, "io: %s\n", rq.err);
	} else if ((size_t)n != len) {
		fail(res, "io: short %s: %zd of %zu bytes at file offset %lld\n",
		     dir_name(tc->dir), n, len, (long long)res->file_off);
	}

	/* 1. data */
	if (tc->dir == DIR_READ && n > 0 && !expect_refusal) {
		if (check_data(b.io, n, bed->seed, res->file_off, "buffer after the read", &res->diag))
			res->data_ok = 0;
	} else if (tc->dir == DIR_WRITE) {
		if (check_data(b.io, len, res->seed, res->file_off,
			       "source buffer after the write (the kernel wrote into it)", &res->diag))
			res->data_ok = 0;
		if (n > 0 && !expect_refusal)
			check_written(t, res->file_off, n, res->seed, res);
	}
	if (t->ops->io_verdict && !expect_refusal && n > 0 && t->ops->io_verdict(t, tc->dir, &res->diag))
		res->data_ok = 0;
	if (check_guards(b.io - GUARD_LEN, b.io + len, GUARD_LEN, gseed, &res->diag))
		res->data_ok = 0;
	if (!res->data_ok)
		failed(res);

	/* 2. dirty: shmem pages (memfd) cannot be cleaned, so only disk files */
	if (tc->dir == DIR_READ && n == (ssize_t)len && b.ops->backing == BACKING_FILE)
		check_read_dirty(&b, res->file_off, bed->seed, res);

	/* 3. pins */
	check_pin_counts(bed, tc, &s0, &s3, &rq, res);

	/* 4. kernel log */
	{
		int nbad = kmsg_collect(&bed->kmsg, &bad, NULL);

		if (nbad < 0) {
			errf(why, "read /dev/kmsg");
			not_run(res, SETUP_BROKEN, why);
		} else if (check_kmsg(nbad, &bad, &res->diag)) {
			res->kmsg_ok = 0;
			failed(res);
		}
		sb_free(&bad);
	}
out_buf:
	buffer_put(&b);
	res->secs = now_sec() - t0;
}

/* The pin counters are machine-wide: everything a case does that may pin
 * (mkfs of a scratch filesystem does direct IO too) runs under the lock
 * another iovbed run takes for its cases. */
void run_case(struct bed *bed, const struct tcase *tc, struct result *res)
{
	pinlock(bed->pinlock);
	run_case_locked(bed, tc, res);
	pinunlock(bed->pinlock);
}
