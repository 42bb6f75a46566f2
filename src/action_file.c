/* truncate, punch, overwrite, mmap-write: another thread changes the
 * target's file while a direct IO on it is held.
 *   truncate   ftruncate below the IO's offset (a block boundary at or
 *              before it): it must wait for the IO (inode_dio_wait), and
 *              end once the IO is answered; a read has the data of before,
 *              a written range is past the end of the file after
 *   punch      fallocate(PUNCH_HOLE) of the IO's range: the same; a written
 *              range reads zeros after
 *   overwrite  a buffered pwrite of a held read's range with new data
 *   mmap-write a store through a MAP_SHARED mapping of that range (msync)
 *              each 512-byte sector of the read holds one version, the old
 *              or the new, and the file keeps the new; whether the write
 *              waited is noted, not required
 * The details say whether the change waited, and where (its wait
 * channel). The runner sets the file back after the case. The self-test
 * truncate-other truncates another file of the same filesystem, which no
 * IO holds: the waited check must fail. */
#include "action.h"
#include "pattern.h"
#include "result.h"
#include "taskstate.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define WAIT_MS 300		/* still in its call by then, asleep: it waits for the IO */
#define END_MS 10000		/* once the IO is answered it must end by then */
#define NEW_KEY 0x6f7665727772ULL	/* "overwr": the new version's pattern */

enum change_kind { CH_TRUNCATE, CH_PUNCH, CH_OVERWRITE, CH_MMAP, CH_TRUNCATE_OTHER };

struct change {
	enum change_kind kind;
	const char *path;
	char other[PATH_MAX + 8];	/* truncate-other's file */
	off_t off;		/* truncate: the new size; else the IO's range */
	size_t len;
	uint64_t seed;		/* overwrite, mmap-write: the new data's */
	volatile pid_t tid;
	volatile int done;
	int ret, error;
	double t0, secs;
	pthread_t th;
};

static int store_through_mapping(struct change *ch)
{
	off_t lo = ch->off & ~4095L;
	size_t span = ((ch->off + ch->len + 4095) & ~4095UL) - lo;
	int fd = open(ch->path, O_RDWR | O_CLOEXEC), ret = -1;
	char *m;

	if (fd < 0)
		return -1;
	m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, lo);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	pattern_fill(m + (ch->off - lo), ch->len, ch->seed, ch->off);
	ret = msync(m, span, MS_SYNC);
	munmap(m, span);
	return ret;
}

static int overwrite(struct change *ch)
{
	char *buf = malloc(ch->len);
	int fd = open(ch->path, O_WRONLY | O_CLOEXEC), ret = -1;

	if (buf && fd >= 0) {
		pattern_fill(buf, ch->len, ch->seed, ch->off);
		ret = pwrite(fd, buf, ch->len, ch->off) == (ssize_t)ch->len ? 0 : -1;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

static int punch(struct change *ch)
{
	int fd = open(ch->path, O_WRONLY | O_CLOEXEC), ret = -1;

	if (fd >= 0)
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ch->off, ch->len);
	if (fd >= 0)
		close(fd);
	return ret;
}

static void *change_main(void *arg)
{
	struct change *ch = arg;

	ch->tid = gettid();
	switch (ch->kind) {
	case CH_TRUNCATE:
	case CH_TRUNCATE_OTHER:
		ch->ret = truncate(ch->path, ch->off);
		break;
	case CH_PUNCH:
		ch->ret = punch(ch);
		break;
	case CH_OVERWRITE:
		ch->ret = overwrite(ch);
		break;
	case CH_MMAP:
		ch->ret = store_through_mapping(ch);
		break;
	}
	ch->error = ch->ret < 0 ? errno : 0;
	ch->secs = now_sec() - ch->t0;
	__atomic_store_n(&ch->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int done(const struct change *ch)
{
	return __atomic_load_n(&ch->done, __ATOMIC_ACQUIRE);
}

/* What the change is doing WAIT_MS after it began: ended, or asleep in its
 * call (it waits for the held IO). 1 waits, 0 not, -1 err. */
static int waits(struct inflight *in, struct change *ch, char *err)
{
	struct task_state ts;
	char why[128];
	unsigned waited = 0;

	for (; waited < WAIT_MS && !done(ch); waited += 5)
		sleep_ms(5);
	if (done(ch)) {
		sb_addf(in->diag, "inflight: the change did not wait for the held IO: it ended in "
			"%.0f ms (%s)\n", ch->secs * 1000,
			ch->ret < 0 ? strerror(ch->error) : "no error");
		return 0;
	}
	while (!ch->tid)
		sleep_ms(1);
	if (task_state_read(ch->tid, &ts, err) < 0)
		return -1;
	if (!task_asleep_in_call(&ts, why, sizeof(why)) && !done(ch)) {
		sb_addf(in->diag, "inflight: the change is still running after %d ms, not waiting "
			"(%s)\n", WAIT_MS, why);
		return 0;
	}
	sb_addf(in->diag, "inflight: the change waited for the held IO: %s\n", why);
	return 1;
}

/* truncate-other's file: beside the target's, as large. */
static int other_file(struct inflight *in, struct change *ch, char *err)
{
	int fd;

	snprintf(ch->other, sizeof(ch->other), "%s.other", in->t->path);
	fd = open(ch->other, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, in->file_off + in->b->len) < 0) {
		errf(err, "create %s", ch->other);
		if (fd >= 0)
			close(fd);
		unlink(ch->other);
		return -1;
	}
	close(fd);
	ch->path = ch->other;
	return 0;
}

static int change_start(struct inflight *in, enum change_kind kind, char *err)
{
	struct change *ch = calloc(1, sizeof(*ch));
	int w;

	if (!ch) {
		errf(err, "calloc");
		return -1;
	}
	*ch = (struct change){ .kind = kind, .path = in->t->path, .off = in->file_off,
			       .len = in->b->len, .seed = in->region_seed ^ NEW_KEY,
			       .t0 = now_sec() };
	if (kind == CH_TRUNCATE || kind == CH_TRUNCATE_OTHER)
		ch->off = in->file_off & ~4095L;
	if (kind == CH_TRUNCATE_OTHER && other_file(in, ch, err) < 0) {
		free(ch);
		return -1;
	}
	in->file_changed = kind != CH_TRUNCATE_OTHER;
	if (pthread_create(&ch->th, NULL, change_main, ch)) {
		errf(err, "pthread_create");
		free(ch);
		return -1;
	}
	in->priv = ch;
	w = waits(in, ch, err);
	if (w == 0 && kind != CH_OVERWRITE && kind != CH_MMAP) {
		sb_addf(in->diag, "waited: a truncate or hole punch of the range of a direct IO in "
			"flight must wait for it (inode_dio_wait) or fail\n");
		in->failed |= CHK_WAITED;
	}
	return w < 0 ? -1 : 0;
}

/* After the IO: the change must end, and says what the file holds now. */
static void change_finish(struct inflight *in)
{
	struct change *ch = in->priv;
	unsigned waited = 0;

	if (!ch)
		return;
	for (; waited < END_MS && !done(ch); waited += 5)
		sleep_ms(5);
	if (!done(ch)) {
		sb_addf(in->diag, "inflight: the change never ended, %u ms after the IO did (a "
			"deadlock?)\n", END_MS);
		in->failed |= CHK_WAITED;
		in->priv = NULL;	/* the thread keeps it: it is still in the kernel */
		return;
	}
	pthread_join(ch->th, NULL);
	if (*ch->other)
		unlink(ch->other);
	sb_addf(in->diag, "inflight: the change ended %.0f ms after it began: %s\n", ch->secs * 1000,
		ch->ret < 0 ? strerror(ch->error) : "no error");
	if (ch->ret == 0 && in->dir == DIR_WRITE && (ch->kind == CH_TRUNCATE || ch->kind == CH_PUNCH))
		in->file_gone = ch->off;
	if (ch->ret == 0 && (ch->kind == CH_OVERWRITE || ch->kind == CH_MMAP))
		in->either_seed = ch->seed;
	if (ch->ret < 0 && (ch->kind == CH_OVERWRITE || ch->kind == CH_MMAP))
		in->failed |= CHK_DATA;
	free(ch);
	in->priv = NULL;
}

static int truncate_step(struct inflight *in, char *err)
{
	return change_start(in, CH_TRUNCATE, err);
}

static int truncate_other_step(struct inflight *in, char *err)
{
	return change_start(in, CH_TRUNCATE_OTHER, err);
}

static int punch_step(struct inflight *in, char *err)
{
	return change_start(in, CH_PUNCH, err);
}

static int overwrite_step(struct inflight *in, char *err)
{
	return change_start(in, CH_OVERWRITE, err);
}

static int mmap_write_step(struct inflight *in, char *err)
{
	return change_start(in, CH_MMAP, err);
}

/* A read the kernel copies through the page cache checks the file's size
 * once its folios are read: one a truncate cut ends there. */
static const struct io_ending truncated_copy = {
	.end = END_PREFIX, .why = "the kernel reads this through the page cache (the path's fallback), which "
	"stops at the end of the file a truncate left: any prefix, the data of before"
};

/* ... and a hole punched beside it zeroes the part of a folio it covers
 * (truncate_inode_partial_folio), which the read may copy after. */
static const struct io_ending punched_copy = {
	.end = END_FULL, .zeros_ok = 1,
	.why = "the kernel reads this through the page cache (the path's fallback): a hole punched "
	"beside it zeroes the folio it copies from: each sector the data of before or zeros",
};

#define RW ((1u << DIR_READ) | (1u << DIR_WRITE))
#define ALLB ((1u << BACKING_ANON) | (1u << BACKING_MEMFD) | (1u << BACKING_FILE))

/* Measured on 6.12 and 6.18 (6.1 waited, in wait_extent_bit): from 6.12 a
 * btrfs direct read gives its extent lock up at submission (ac325fc2aad5
 * "do not hold the extent lock for entire read"), and btrfs_punch_hole
 * never calls inode_dio_wait: a punch does not wait for an async read
 * (a synchronous one holds the inode lock the punch takes). */
static const struct known_bug punch_known[] = {
	{ "btrfs-fuse*/uring*/*/read/*/punch", PATH_COUNT, CHK_WAITED, 0, 0,
	  "btrfs's hole punch does not wait for an async direct read of the range in flight "
	  "(no inode_dio_wait; the read's extent lock is given up at submission from 6.12, "
	  "ac325fc2aad5)", NULL },
	{ "btrfs-fuse*/aio*/*/read/*/punch", PATH_COUNT, CHK_WAITED, 0, 0,
	  "btrfs's hole punch does not wait for an async direct read of the range in flight "
	  "(no inode_dio_wait; the read's extent lock is given up at submission from 6.12, "
	  "ac325fc2aad5)", NULL },
	{ 0 },
};

const struct action_ops action_truncate = {
	.name = "truncate",
	.desc = "truncate the file below the held IO: it waits for the IO, then ends",
	.dirs = RW,
	.backings = ALLB,
	.flags = ACT_FILE | ACT_UFFD,
	.copied = &truncated_copy,
	.step = truncate_step,
	.finish = change_finish,
};

const struct action_ops action_truncate_other = {
	.name = "truncate-other",
	.desc = "self-test: truncate another file, which no IO holds: the waited check must fail",
	.dirs = RW,
	.backings = 1u << BACKING_ANON,
	.flags = ACT_FILE | ACT_SELFTEST,
	.step = truncate_other_step,
	.finish = change_finish,
};

const struct action_ops action_punch = {
	.name = "punch",
	.desc = "punch a hole over the held IO's range: it waits for the IO, then ends",
	.dirs = RW,
	.backings = ALLB,
	.flags = ACT_FILE,
	.copied = &punched_copy,
	.step = punch_step,
	.finish = change_finish,
	.known = punch_known,
};

const struct action_ops action_overwrite = {
	.name = "overwrite",
	.desc = "a buffered write of the held read's range: each sector one version, the file "
		"the new",
	.dirs = 1u << DIR_READ,
	.backings = ALLB,
	.flags = ACT_FILE,
	.step = overwrite_step,
	.finish = change_finish,
};

const struct action_ops action_mmap_write = {
	.name = "mmap-write",
	.desc = "a store through a MAP_SHARED mapping of the held read's range: each sector one "
		"version, the file the new",
	.dirs = 1u << DIR_READ,
	.backings = ALLB,
	.flags = ACT_FILE,
	.step = mmap_write_step,
	.finish = change_finish,
};
