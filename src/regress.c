/* Regression cases: the bugs the pin conversion exists to fix, each with a
 * self-test variant that feeds its check the bug's symptom and must fail.
 * They run on the pseudo-target "regress" (ids regress/NAME/BUFFER/VARIANT)
 * and make their own files and memory. */
#include "run.h"
#include "pattern.h"
#include "scratchfs.h"
#include "uring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define OLD_KEY 0x6f6c64ULL	/* "old": what the page holds first */
#define NEW_KEY 0x6e6577ULL	/* "new": what is written later */
#define SPAN ((int)(64 * KiB))	/* the bytes a case shares, splices, registers */

/* A small shared area where a child leaves its verdict. */
struct verdict {
	int done;
	int bad;		/* 1: the child saw what it must not */
	char what[256];
};

static struct verdict *verdict_map(char *err)
{
	struct verdict *v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (v == MAP_FAILED) {
		errf(err, "mmap of the verdict page");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	return v;
}

/* Does buf hold the pattern of seed (as at file offset 0)? Describe if not. */
static int holds(const void *buf, size_t len, uint64_t seed, const char *what, char *out,
		 size_t outlen)
{
	struct mismatch m;

	if (!pattern_check(buf, len, seed, 0, &m))
		return 1;
	snprintf(out, outlen, "%s: %zu of %zu bytes differ from the first at +%zu (expected %02x "
		 "found %02x)", what, m.bad_bytes, len, (size_t)m.file_off, m.expected[0],
		 m.found[0]);
	return 0;
}

static int wait_ok(pid_t pid, struct result *res, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		sb_addf(&res->diag, "%s: the child ended with wait status %#x (exit %d: the step "
			"that failed)\n", who, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

/* CVE-2020-29374. after-fork: the child vmsplices the shared page, unmaps
 * it; the parent writes it; the child must read the old bytes from the
 * pipe. before-fork: the parent vmsplices, forks, unmaps; the child writes
 * the page: the pipe keeps the bytes of vmsplice time. mprotect: as after-fork, the
 * parent's page read-only across fork and writable again before it
 * writes. child-writes (self-test): the child breaks COW first, then
 * writes the page it vmspliced, its own: the pipe shows the change and the
 * check must fail. */
static int cow_vmsplice(struct bed *bed, const struct tcase *tc, struct result *res, char *err)
{
	const char *var = tc->e->variants[tc->vi];
	int after = strcmp(var, "before-fork") != 0, mprot = !strcmp(var, "mprotect");
	int self = !strcmp(var, "child-writes");
	/* hugetlb pages are unmapped and protected whole */
	size_t whole = tc->b->needs_hugetlb ? FOLIO_PMD : SPAN;
	struct buffer b;
	struct verdict *v = NULL;
	enum setup_state st;
	int p[2] = { -1, -1 }, sync[2] = { -1, -1 }, go[2] = { -1, -1 }, ret = -1;
	char c = 0;
	pid_t pid;

	st = buffer_get(&b, tc->b, SPAN, 0, bed, err);
	if (st != SETUP_READY)
		return st == SETUP_SKIP ? 2 : -1;
	pattern_fill(b.io, SPAN, res->seed ^ OLD_KEY, 0);
	if (b.ops->confirm && b.ops->confirm(&b, err) != SETUP_READY)
		goto out;
	v = verdict_map(err);
	if (!v || pipe2(p, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 ||
	    fcntl(p[1], F_SETPIPE_SZ, 2 * SPAN) < 0) {
		if (v)
			errf(err, "pipes");
		goto out;
	}
	if (!after) {
		struct iovec iov = { b.io, SPAN };

		if (vmsplice(p[1], &iov, 1, 0) != SPAN) {
			errf(err, "vmsplice %d bytes in the parent", SPAN);
			goto out;
		}
	}
	if (mprot && mprotect(b.io, whole, PROT_READ) < 0) {
		errf(err, "mprotect(PROT_READ)");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		goto out;
	}
	if (pid == 0) {
		char *got = malloc(SPAN);

		close(go[1]);
		close(sync[0]);
		if (!got)
			_exit(2);
		if (after) {
			struct iovec iov = { b.io, SPAN };

			/* self-test: the child first takes its own copy (a write
			 * breaks COW), so its later write lands in the spliced page */
			if (self)
				pattern_fill(b.io, SPAN, res->seed ^ OLD_KEY, 0);
			if (vmsplice(p[1], &iov, 1, 0) != SPAN)
				_exit(3);
			if (self)
				pattern_fill(b.io, SPAN, res->seed ^ NEW_KEY, 0);
			else if (munmap(b.io, whole) < 0)
				_exit(4);
			if (write(sync[1], "s", 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(5);
			if (read_full(p[0], got, SPAN) != SPAN)
				_exit(6);
			v->bad = !holds(got, SPAN, res->seed ^ OLD_KEY, "the child's pipe",
					v->what, sizeof(v->what));
		} else {
			/* the parent unmapped its page: the child maps it alone */
			if (read(go[0], &c, 1) != 1)
				_exit(7);
			pattern_fill(b.io, SPAN, res->seed ^ NEW_KEY, 0);
		}
		v->done = 1;
		_exit(0);
	}
	close(sync[1]);		/* a child that dies makes the read return 0 */
	sync[1] = -1;
	close(go[0]);
	go[0] = -1;
	if (!after) {
		if (munmap(b.io, whole) < 0 || write(go[1], "g", 1) != 1) {
			errf(err, "unmap in the parent after fork");
			goto reap;
		}
	}
	if (after) {
		if (read(sync[0], &c, 1) != 1) {
			errf(err, "the child did not vmsplice");
			goto reap;
		}
		if (mprot && mprotect(b.io, whole, PROT_READ | PROT_WRITE) < 0) {
			errf(err, "mprotect(PROT_READ|PROT_WRITE)");
			goto reap;
		}
		pattern_fill(b.io, SPAN, res->seed ^ NEW_KEY, 0);
		if (write(go[1], "g", 1) != 1) {
			errf(err, "signal the child");
			goto reap;
		}
	}
reap:
	close(go[1]);
	go[1] = -1;
	if (wait_ok(pid, res, "cow") < 0 || !v->done) {
		if (!*err)
			errf(err, "the vmsplice child failed");
		goto out;
	}
	if (!after) {
		char *got = malloc(SPAN);

		if (!got || read_full(p[0], got, SPAN) != SPAN) {
			free(got);
			errf(err, "read the pipe");
			goto out;
		}
		v->bad = !holds(got, SPAN, res->seed ^ OLD_KEY, "the parent's pipe", v->what,
				sizeof(v->what));
		free(got);
	}
	ret = v->bad;
	if (v->bad)
		sb_addf(&res->diag, "cow: the pipe shows a write made after the vmsplice by the "
			"other process: %s\n", v->what);
	else
		sb_addf(&res->diag, "cow: the pipe holds the bytes as they were at vmsplice\n");
out:
	if (v)
		munmap(v, sizeof(*v));
	for (c = 0; c < 2; c++) {
		if (p[(int)c] >= 0)
			close(p[(int)c]);
		if (sync[(int)c] >= 0)
			close(sync[(int)c]);
		if (go[(int)c] >= 0)
			close(go[(int)c]);
	}
	buffer_put(&b);
	return ret;
}

/* CVE-2022-0847 (Dirty Pipe): every pipe slot used and drained (so each
 * could merge), a page-cache page of a file opened read-only spliced in,
 * then bytes written to the pipe: the file must not change. Self-test
 * file-written: the file is written for real and the check must fail. */
static int dirty_pipe(struct bed *bed, const struct tcase *tc, struct result *res, char *err)
{
	int self = !strcmp(tc->e->variants[tc->vi], "file-written");
	char path[PATH_MAX + 16], buf[4096], *page = NULL, what[256];
	int fd = -1, p[2] = { -1, -1 }, psz, i, ret = -1;
	loff_t off = 1;
	ssize_t n;

	if (pathf(path, sizeof(path), "%s/dirty-pipe", bed->scratch.dir) < 0) {
		errf(err, "path");
		return -1;
	}
	page = malloc(2 * 4096);
	if (!page) {
		errf(err, "malloc");
		return -1;
	}
	pattern_fill(page, 2 * 4096, res->seed ^ OLD_KEY, 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);
	if (fd < 0 || pwrite(fd, page, 2 * 4096, 0) != 2 * 4096 || fsync(fd) < 0) {
		errf(err, "create %s", path);
		goto out;
	}
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		errf(err, "open %s read-only", path);
		goto out;
	}
	psz = fcntl(p[1], F_GETPIPE_SZ);
	memset(buf, 0xee, sizeof(buf));
	for (i = 0; i < psz; i += sizeof(buf))
		if (write(p[1], buf, sizeof(buf)) != sizeof(buf) ||
		    read(p[0], buf, sizeof(buf)) != sizeof(buf)) {
			errf(err, "fill and drain the pipe");
			goto out;
		}
	n = splice(fd, &off, p[1], NULL, 1, 0);
	if (n != 1) {
		errf(err, "splice 1 byte of %s into the pipe", path);
		goto out;
	}
	memset(buf, 0x66, 64);
	if (write(p[1], buf, 64) != 64) {
		errf(err, "write into the pipe after the splice");
		goto out;
	}
	if (self) {
		int wfd = open(path, O_WRONLY | O_CLOEXEC);

		if (wfd < 0 || pwrite(wfd, buf, 64, 2) != 64) {
			errf(err, "write %s (self-test)", path);
			if (wfd >= 0)
				close(wfd);
			goto out;
		}
		close(wfd);
	}
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, page, 2 * 4096, 0) != 2 * 4096) {
		errf(err, "read %s back", path);
		goto out;
	}
	ret = !holds(page, 2 * 4096, res->seed ^ OLD_KEY, "the read-only file", what, sizeof(what));
	if (ret)
		sb_addf(&res->diag, "dirty-pipe: a write into the pipe reached the page cache of a "
			"file opened read-only: %s\n", what);
	else
		sb_addf(&res->diag, "dirty-pipe: the file is unchanged\n");
out:
	if (fd >= 0)
		close(fd);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	unlink(path);
	free(page);
	return ret;
}

/* A file of the test bed's ext4 holding the pattern of seed: its fd, O_DIRECT. */
static int pattern_file(struct bed *bed, const char *name, uint64_t seed, size_t len, char *path,
			char *err)
{
	struct scratchfs *fs = scratchfs_get(&bed->scratch, "ext4", err);
	char *buf;
	int fd;

	if (!fs || pathf(path, PATH_MAX, "%s/%s", fs->mnt, name) < 0) {
		if (fs)
			errf(err, "path");
		return -1;
	}
	buf = malloc(len);
	if (!buf) {
		errf(err, "malloc");
		return -1;
	}
	pattern_fill(buf, len, seed, 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd) < 0) {
		errf(err, "create %s", path);
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	free(buf);
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		errf(err, "open %s O_DIRECT", path);
	return fd;
}

/* io_uring fixed buffers and fork: the buffer is registered (long-term
 * pinned), the process forks, then READ_FIXED fills it: the child's copy
 * must keep what the buffer held at fork. Self-test read-before-fork: the
 * read completes before the fork, the child's copy holds the file data and
 * the check must fail. */
static int uring_fork(struct bed *bed, const struct tcase *tc, struct result *res, char *err)
{
	int self = !strcmp(tc->e->variants[tc->vi], "read-before-fork");
	char path[PATH_MAX];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct iovec iov;
	struct verdict *v = NULL;
	struct buffer b;
	enum setup_state st;
	int fd, go[2] = { -1, -1 }, ret = -1, ringup = 0, r, i;
	pid_t pid = -1;
	char c;

	st = buffer_get(&b, tc->b, SPAN, 0, bed, err);
	if (st != SETUP_READY)
		return st == SETUP_SKIP ? 2 : -1;
	pattern_fill(b.io, SPAN, res->seed ^ OLD_KEY, 0);
	fd = pattern_file(bed, "uring-fork", res->seed, SPAN, path, err);
	if (fd < 0)
		goto out;
	v = verdict_map(err);
	if (!v || pipe2(go, O_CLOEXEC) < 0)
		goto out;
	r = io_uring_queue_init(4, &ring, 0);
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_queue_init");
		goto out;
	}
	ringup = 1;
	iov.iov_base = b.io;
	iov.iov_len = SPAN;
	r = io_uring_register_buffers(&ring, &iov, 1);
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_register_buffers");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (i == (self ? 1 : 0)) {
			fflush(NULL);
			pid = fork();
			if (pid < 0) {
				errf(err, "fork");
				goto out;
			}
			if (pid == 0) {
				if (read(go[0], &c, 1) != 1)
					_exit(2);
				v->bad = !holds(b.io, SPAN, res->seed ^ OLD_KEY, "the child's copy",
						v->what, sizeof(v->what));
				v->done = 1;
				_exit(0);
			}
			close(go[0]);
			go[0] = -1;
			continue;
		}
		io_uring_prep_read_fixed(io_uring_get_sqe(&ring), fd, b.io, SPAN, 0, 0);
		if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) < 0) {
			errf(err, "READ_FIXED");
			goto reap;
		}
		r = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (r != SPAN) {
			errno = r < 0 ? -r : 0;
			errf(err, "READ_FIXED returned %d", r);
			goto reap;
		}
	}
	if (!holds(b.io, SPAN, res->seed, "the parent's registered buffer", v->what,
		   sizeof(v->what))) {
		sb_addf(&res->diag, "uring-fork: %s\n", v->what);
		res->data_ok = 0;
	}
reap:
	if (write(go[1], "g", 1) != 1 && !*err)
		errf(err, "signal the child");
	if (wait_ok(pid, res, "uring-fork") < 0 || !v->done) {
		if (!*err)
			errf(err, "the child failed");
		goto out;
	}
	if (*err)
		goto out;
	ret = v->bad || !res->data_ok;
	if (v->bad)
		sb_addf(&res->diag, "uring-fork: data read into the registered buffer after fork "
			"reached the child: %s\n", v->what);
out:
	if (ringup)
		io_uring_queue_exit(&ring);	/* unregisters the buffer */
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	if (v)
		munmap(v, sizeof(*v));
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	buffer_put(&b);
	return ret;
}

/* O_DIRECT reads vs fork(): reader threads read 512-byte pieces of a file
 * into sub-page slots of one anonymous page each while a thread forks in a
 * loop (each child exits at once); every read must land in the reader's
 * buffer. Self-test lost-read: one reader drops a byte of what it read and
 * the check must fail. */
#define READERS 4
struct dio_reader {
	int fd;
	char *slot;
	uint64_t seed;
	double until;
	int corrupt;
	unsigned long reads, bad;
	char what[256];
};

static void *dio_reader_main(void *arg)
{
	struct dio_reader *r = arg;
	off_t off = 0;

	while (now_sec() < r->until) {
		memset(r->slot, 0, 512);
		if (pread(r->fd, r->slot, 512, off) != 512) {
			snprintf(r->what, sizeof(r->what), "pread 512 at %lld: %s", (long long)off,
				 strerror(errno));
			r->bad++;
			break;
		}
		if (r->corrupt && r->reads == 3)
			r->slot[100] ^= 0xff;
		if (!r->bad) {
			struct mismatch m;

			if (pattern_check(r->slot, 512, r->seed, off, &m)) {
				r->bad++;
				snprintf(r->what, sizeof(r->what), "read %lu at file offset %lld: "
					 "%zu of 512 bytes wrong (expected %02x found %02x)", r->reads,
					 (long long)off, m.bad_bytes, m.expected[0], m.found[0]);
			}
		}
		r->reads++;
		off = (off + 4096) % SPAN;
	}
	return NULL;
}

struct forker {
	double until;
	unsigned long forks;
};

static void *forker_main(void *arg)
{
	struct forker *f = arg;
	int status;
	pid_t pid;

	while (now_sec() < f->until) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, &status, 0);
			f->forks++;
		}
	}
	return NULL;
}

static int dio_fork(struct bed *bed, const struct tcase *tc, struct result *res, char *err)
{
	int self = !strcmp(tc->e->variants[tc->vi], "lost-read");
	struct dio_reader r[READERS];
	pthread_t th[READERS], ft;
	struct forker fa;
	char path[PATH_MAX];
	char *page = NULL;
	unsigned long reads = 0, bad = 0;
	int fd, i, ret = -1;
	double secs = bed->opt->race_seconds;

	fd = pattern_file(bed, "dio-fork", res->seed, SPAN, path, err);
	if (fd < 0)
		return -1;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		errf(err, "mmap");
		page = NULL;
		goto out;
	}
	fflush(NULL);
	fa.until = now_sec() + secs;
	fa.forks = 0;
	for (i = 0; i < READERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].fd = fd;
		r[i].slot = page + 512 + i * 1024;	/* sub-page, unaligned to the page */
		r[i].seed = res->seed;
		r[i].until = fa.until;
		r[i].corrupt = self && i == 0;
		if (pthread_create(&th[i], NULL, dio_reader_main, &r[i])) {
			errf(err, "pthread_create");
			fa.until = 0;
			while (i--)
				pthread_join(th[i], NULL);
			goto out;
		}
	}
	if (pthread_create(&ft, NULL, forker_main, &fa)) {
		errf(err, "pthread_create");
		fa.until = 0;
	} else {
		pthread_join(ft, NULL);
	}
	for (i = 0; i < READERS; i++) {
		pthread_join(th[i], NULL);
		reads += r[i].reads;
		bad += r[i].bad;
		if (r[i].bad)
			sb_addf(&res->diag, "dio-fork: reader %d: %s\n", i, r[i].what);
	}
	if (*err)
		goto out;
	sb_addf(&res->diag, "dio-fork: %lu reads by %d threads, %lu forks in %.1f s\n", reads,
		READERS, fa.forks, secs);
	ret = bad > 0;
	if (!ret && (!fa.forks || !reads)) {
		errno = 0;
		errf(err, "the race did not run: %lu forks, %lu reads", fa.forks, reads);
		ret = -1;
	}
out:
	if (page)
		munmap(page, 4096);
	close(fd);
	unlink(path);
	return ret;
}

/* The kernel's own COW selftest (tools/testing/selftests/mm/cow.c) has
 * always failed the vmsplice cases on hugetlb: hugetlb reuses a page on
 * write by its map count, ignoring the pipe's reference. */
static const char *cow_known(const struct tcase *tc)
{
	if (tc->b->needs_hugetlb && (int)tc->vi < tc->e->selftest_from)
		return "hugetlb breaks COW by map count, not by references: a vmspliced "
		       "hugetlb page leaks writes (mm/cow selftest: hugetlb vmsplice cases)";
	return NULL;
}

static enum flavour iovec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_IOVEC;
}

static enum flavour none_flavour(const struct kver *v)
{
	(void)v;
	return ITER_NONE;
}

static enum flavour ubuf_flavour(const struct kver *v)
{
	return kver_ge(v, 6, 0) ? ITER_UBUF : ITER_IOVEC;
}

static enum flavour bvec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_BVEC;
}

#define ANON_BUFFERS ((1u << BACKING_ANON))
#define REGRESSION .kernel = 1, .min_segs = 1, .max_segs = 1

static const char *const cow_variants[] = { "after-fork", "before-fork", "mprotect",
					    "child-writes", NULL };
static const char *const dirty_variants[] = { "read-only-file", "file-written", NULL };
static const char *const uring_variants[] = { "read-after-fork", "read-before-fork", NULL };
static const char *const dio_variants[] = { "readers", "lost-read", NULL };

const struct engine_ops engine_cow_vmsplice = {
	REGRESSION,
	.name = "cow-vmsplice",
	.desc = "vmsplice and COW: the pipe keeps the bytes of vmsplice time",
	.tag = "CVE-2020-29374",
	.flavour = iovec_flavour,
	.scenario = cow_vmsplice,
	.known_failure = cow_known,
	.variants = cow_variants,
	.selftest_from = 3,
	.backings = ANON_BUFFERS,
};

const struct engine_ops engine_dirty_pipe = {
	REGRESSION,
	.name = "dirty-pipe",
	.desc = "a pipe write never reaches a spliced page-cache page",
	.tag = "CVE-2022-0847",
	.flavour = none_flavour,
	.scenario = dirty_pipe,
	.variants = dirty_variants,
	.selftest_from = 1,
};

const struct engine_ops engine_uring_fork = {
	REGRESSION,
	.name = "uring-fork",
	.desc = "io_uring fixed buffer, fork, READ_FIXED: the child's copy keeps its bytes",
	.tag = "fork copies pinned pages (5.9+, io_uring FOLL_PIN)",
	.flavour = bvec_flavour,
	.scenario = uring_fork,
	.variants = uring_variants,
	.selftest_from = 1,
	.backings = ANON_BUFFERS,
};

const struct engine_ops engine_dio_fork = {
	REGRESSION,
	.name = "dio-fork",
	.desc = "O_DIRECT reads into sub-page buffers while another thread forks",
	.tag = "fork copies pinned pages (5.9+)",
	.flavour = ubuf_flavour,
	.scenario = dio_fork,
	.variants = dio_variants,
	.selftest_from = 1,
};

/* The pseudo-target of the regression cases: nothing to set up. */
static enum setup_state regress_setup(struct target *t, struct bed *bed)
{
	(void)bed;
	snprintf(t->info, sizeof(t->info), "regression cases: their own files and memory");
	return SETUP_READY;
}

const struct target_ops target_regress = {
	.name = "regress",
	.desc = "known-bug regression cases (tags shown by list)",
	.path = PATH_COPY,
	.align = 512,
	.no_file = 1,
	.setup = regress_setup,
};
