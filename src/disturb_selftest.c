/* The self-tests of the stress checks: disturbers that put the bug a
 * check exists for into a run, which must then fail. They run only when
 * named in --disturb.
 *   corrupt-reply  the fuse target's daemon flips one byte of every READ
 *                  reply covering one offset of its file (a fault keyed to
 *                  file and offset: a replay hits the same op)
 *   stale-behind   at each checkpoint, stale bytes written with O_DIRECT
 *                  into the file of a MAP_SHARED buffer where a verified
 *                  read put its data, behind the mapping's back: the
 *                  data-in-file check must fail
 *   pin-keep       an io_uring buffer registration taken at the start and
 *                  dropped only at the end: the pin check must fail */
#include "disturb.h"
#include "engine.h"
#include "target_fuse.h"
#include "vmstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#define STALE 0x5a
#define KEEP_LEN (64 * KiB)

static struct target *fuse_target(const struct dist_env *de)
{
	struct target *const *t;

	for (t = de->targets; t && *t; t++)
		if (!strcmp((*t)->ops->name, "fuse"))
			return *t;
	return NULL;
}

static enum setup_state corrupt_probe(const struct dist_env *de, char *why)
{
	if (fuse_target(de))
		return SETUP_READY;
	snprintf(why, ERRLEN, "needs the fuse target among the selected rows (--filter 'fuse/*')");
	return SETUP_SKIP;
}

/* The offset: from the run's seed alone, so the replay corrupts the same. */
static int corrupt_start(struct dist_env *de, void **priv, char *err)
{
	struct target *t = fuse_target(de);
	off_t area = t->write_base + t->region;
	char cmd[64];

	*priv = t;
	snprintf(cmd, sizeof(cmd), "corrupt data %lld",
		 (long long)(mix64(de->env->seed ^ 0x636f7272757074ULL) % (uint64_t)area));
	return fuse_command(t, cmd, err);
}

static int corrupt_effect(void *priv, struct strbuf *out)
{
	struct target *t = priv;
	char status[1024], err[ERRLEN];
	const char *p;
	unsigned long n = 0;

	if (fuse_status(t->priv, status, sizeof(status), err) < 0) {
		sb_addf(out, "daemon status: %s", err);
		return 0;
	}
	p = strstr(status, " corrupted ");
	if (p)
		n = strtoul(p + 11, NULL, 10);
	sb_addf(out, "the daemon corrupted %lu READ replies", n);
	return n > 0;
}

static void corrupt_stop(struct dist_env *de, void *priv)
{
	(void)de;
	fuse_command(priv, "reset", NULL);
}

static enum setup_state stale_probe(const struct dist_env *de, char *why)
{
	if (de->count(de->run, DIST_FILE))
		return SETUP_READY;
	snprintf(why, ERRLEN, "no MAP_SHARED file buffer (shm-ext4, shm-xfs) among the selected rows");
	return SETUP_SKIP;
}

static int stale_start(struct dist_env *de, void **priv, char *err)
{
	(void)de;
	*priv = calloc(1, sizeof(unsigned long long));
	if (!*priv)
		errf(err, "calloc");
	return *priv ? 0 : -1;
}

/* Stale bytes over the verified read's range of one buffer's file. */
static void stale_write(struct dist_buf *db, unsigned long long *done)
{
	void *junk = NULL;
	int fd = open(db->b->path, O_WRONLY | O_DIRECT | O_CLOEXEC);

	if (fd >= 0 && !posix_memalign(&junk, 4096, db->read_len)) {
		memset(junk, STALE, db->read_len);
		*done += pwrite(fd, junk, db->read_len, db->read_at) == (ssize_t)db->read_len;
	}
	free(junk);
	if (fd >= 0)
		close(fd);
}

static int stale_quiesced(struct dist_env *de, void *priv, char *err)
{
	size_t k, n = de->count(de->run, DIST_FILE);
	struct dist_buf db;

	(void)err;
	for (k = 0; k < n; k++) {
		if (de->borrow(de->run, DIST_FILE, k, &db) < 0)
			continue;
		if (db.read_len)
			stale_write(&db, priv);
		de->give_back(de->run, &db, 0);
	}
	return 0;
}

static int stale_effect(void *priv, struct strbuf *out)
{
	unsigned long long n = *(unsigned long long *)priv;

	sb_addf(out, "stale bytes written behind %llu MAP_SHARED reads", n);
	return n > 0;
}

#ifdef HAVE_LIBURING
struct keep_state {
	struct io_uring ring;
	void *buf;
	long long pins;		/* nr_foll_pin_acquired's rise at the registration */
};

static int keep_start(struct dist_env *de, void **priv, char *err)
{
	struct keep_state *ks = calloc(1, sizeof(*ks));
	struct pin_snap before, after;
	struct iovec iov;
	int r;

	(void)de;
	if (ks)
		ks->buf = mmap(NULL, KEEP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
	if (!ks || ks->buf == MAP_FAILED || io_uring_queue_init(2, &ks->ring, 0) < 0) {
		errf(err, "pin-keep set-up");
		if (ks && ks->buf != MAP_FAILED)
			munmap(ks->buf, KEEP_LEN);
		free(ks);
		return -1;
	}
	*priv = ks;
	memset(ks->buf, 1, KEEP_LEN);	/* the zero page is never pinned */
	iov = (struct iovec){ ks->buf, KEEP_LEN };
	if (pin_read(&vmstat_default, &before, err) < 0)
		return -1;
	r = io_uring_register_buffers(&ks->ring, &iov, 1);
	if (pin_read(&vmstat_default, &after, err) < 0)
		return -1;
	ks->pins = after.acquired - before.acquired;
	if (r < 0) {
		errno = -r;
		errf(err, "io_uring_register_buffers");
		return -1;
	}
	return 0;
}

static int keep_effect(void *priv, struct strbuf *out)
{
	struct keep_state *ks = priv;

	sb_addf(out, "a %lu KiB buffer registration held from start to end: nr_foll_pin_acquired "
		"%+lld at the registration", KEEP_LEN / KiB, ks->pins);
	return ks->pins > 0;
}

static void keep_stop(struct dist_env *de, void *priv)
{
	struct keep_state *ks = priv;

	(void)de;
	io_uring_queue_exit(&ks->ring);
	munmap(ks->buf, KEEP_LEN);
	free(ks);
}
#endif

static enum setup_state keep_probe(const struct dist_env *de, char *why)
{
	(void)de;
#ifdef HAVE_LIBURING
	return uring_probe(why);
#else
	return built_without("liburing", "liburing", why);
#endif
}

const struct disturber disturb_corrupt_reply = {
	.name = "corrupt-reply",
	.desc = "self-test: the FUSE daemon corrupts one byte of its replies at one offset",
	.selftest = 1,
	.replayable = 1,
	.probe = corrupt_probe,
	.start = corrupt_start,
	.effect = corrupt_effect,
	.stop = corrupt_stop,
};

const struct disturber disturb_stale_behind = {
	.name = "stale-behind",
	.desc = "self-test: stale bytes written into a MAP_SHARED buffer's file behind its mapping",
	.selftest = 1,
	.probe = stale_probe,
	.start = stale_start,
	.quiesced = stale_quiesced,
	.effect = stale_effect,
	.stop = counted_stop,
};

const struct disturber disturb_pin_keep = {
	.name = "pin-keep",
	.desc = "self-test: an io_uring buffer registration kept past the checkpoints",
	.selftest = 1,
	.probe = keep_probe,
#ifdef HAVE_LIBURING
	.start = keep_start,
	.effect = keep_effect,
	.stop = keep_stop,
#endif
};
