/* splice from an O_DIRECT file into a pipe while another thread truncates
 * the file and writes it back, again and again (--race-seconds): every
 * spliced byte must be the file's (the pattern at its offset) or a zero
 * of a hole; never foreign or stale bytes, never a kernel warning. Before
 * 6.5 this read went through an ITER_PIPE that a truncate could leave
 * half filled; from 6.5 copy_splice_read reads into pages of its own.
 * Self-test foreign-bytes: one splice's bytes are replaced before the
 * check, which must fail. */
#include "regress_common.h"
#include "engine.h"
#include "pattern.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct truncator {
	const char *path;
	uint64_t seed;
	volatile int stop;
	unsigned long rounds;
	int error;
};

/* Truncate the file to nothing and write it back, until told to stop. */
static void *truncator_main(void *arg)
{
	struct truncator *t = arg;
	char *buf = malloc(SPAN);
	int fd = open(t->path, O_WRONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		t->error = errno ? errno : ENOMEM;
		goto out;
	}
	pattern_fill(buf, SPAN, t->seed, 0);
	while (!t->stop) {
		if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, SPAN, 0) != SPAN) {
			t->error = errno;
			break;
		}
		t->rounds++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Each 8-byte word of got[0, n) is the pattern's at its offset or zero:
 * 0, or 1 with the first foreign word described. */
static int pattern_or_hole(const char *got, size_t n, uint64_t seed, char *what)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w, want = pattern_word(seed, i / 8);

		memcpy(&w, got + i, 8);
		if (w == 0 || w == want)
			continue;
		snprintf(what, VERDICT_WHAT, "bytes at file offset %zu are neither the file's "
			 "(%016llx) nor a hole's: %016llx", i, (unsigned long long)want,
			 (unsigned long long)w);
		return 1;
	}
	return 0;
}

/* One splice of the file's start into the pipe, read back: 0 checked,
 * 1 foreign bytes (what), -1 (err). */
static int splice_once(int fd, int p[2], char *got, struct regress_ctx *x, char *what)
{
	loff_t off = 0;
	ssize_t n = splice(fd, &off, p[1], NULL, SPAN, 0);

	if (n < 0) {
		snprintf(what, VERDICT_WHAT, "splice of the file's first %d bytes failed: %s", SPAN,
			 strerror(errno));
		return 1;
	}
	if (n > 0 && read_full(p[0], got, n) != n)
		return -1;
	if (x->v->arg && n >= 8)	/* self-test: bytes from elsewhere */
		memset(got, 0xa5, 8);
	return pattern_or_hole(got, n, x->seed, what);
}

static int race(int fd, struct truncator *tr, struct regress_ctx *x, char *err)
{
	char *got = malloc(SPAN), what[VERDICT_WHAT];
	double until = now_sec() + x->env->race_seconds;
	unsigned long splices = 0;
	int p[2] = { -1, -1 }, r = 0;

	if (!got || pipe2(p, O_CLOEXEC) < 0 || fcntl(p[1], F_SETPIPE_SZ, SPAN) < SPAN) {
		errf(err, "malloc, pipe of %d bytes", SPAN);
		r = -1;
	}
	while (!r && now_sec() < until && ++splices)
		r = splice_once(fd, p, got, x, what);
	if (r < 0 && !*err)
		errf(err, "splice %d bytes of the O_DIRECT file into a pipe, read it back", SPAN);
	if (r > 0)
		sb_addf(x->diag, "splice-truncate: splice %lu: %s\n", splices, what);
	sb_addf(x->diag, "splice-truncate: %lu splices while the file was truncated and written "
		"back %lu times\n", splices, tr->rounds);
	pipe_close(p);
	free(got);
	return r;
}

static int splice_truncate(struct regress_ctx *x, char *err)
{
	struct truncator tr = { .seed = x->seed };
	char path[PATH_MAX];
	pthread_t th;
	int fd = pattern_file(x->env, "splice-truncate", x->seed, path, err), ret;

	if (fd < 0)
		return -1;
	tr.path = path;
	if (pthread_create(&th, NULL, truncator_main, &tr)) {
		errf(err, "pthread_create");
		close(fd);
		unlink(path);
		return -1;
	}
	ret = race(fd, &tr, x, err);
	tr.stop = 1;
	pthread_join(th, NULL);
	if (ret == 0 && (tr.error || !tr.rounds)) {
		errno = tr.error;
		errf(err, "the truncating thread did not run (%lu rounds)", tr.rounds);
		ret = -1;
	}
	close(fd);
	unlink(path);
	return ret;
}

static const struct regress_variant splice_truncate_variants[] = {
	{ "race", 0, 0 },
	{ "foreign-bytes", 1, 1 },
	{ 0 },
};

const struct regression regress_splice_truncate = {
	.name = "splice-truncate",
	.desc = "splice from an O_DIRECT file while it is truncated and written back",
	.fix = "6.5: splice from O_DIRECT files reads through copy_splice_read, ITER_PIPE gone",
	.variants = splice_truncate_variants,
	.flavour = splice_read_flavour,
	.run = splice_truncate,
};
