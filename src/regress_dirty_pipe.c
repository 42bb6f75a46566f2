/* CVE-2022-0847 (Dirty Pipe): every pipe slot used and drained (so each
 * could merge), a page-cache page of a file opened read-only spliced in,
 * then bytes written to the pipe: the file must not change. Self-test
 * file-written: the file is written for real and the check must fail. */
#include "regress_common.h"
#include "pattern.h"
#include "result.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGES 2

/* The file, written and synced, opened again read-only: its fd. */
static int readonly_file(const char *path, const char *page, char *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);

	if (fd < 0 || pwrite(fd, page, PAGES * 4096, 0) != PAGES * 4096 || fsync(fd) < 0) {
		errf(err, "create %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		errf(err, "open %s read-only", path);
	return fd;
}

/* Every slot of the pipe used once and drained, then one byte of the
 * file spliced in and 64 bytes written after it. */
static int splice_then_write(int fd, int p[2], char *err)
{
	char buf[4096];
	loff_t off = 1;
	int psz, i;

	if (pread(fd, buf, sizeof(buf), 0) < 0 || pipe2(p, O_CLOEXEC) < 0) {
		errf(err, "read the file, make a pipe");
		return -1;
	}
	psz = fcntl(p[1], F_GETPIPE_SZ);
	memset(buf, 0xee, sizeof(buf));
	for (i = 0; i < psz; i += sizeof(buf))
		if (write(p[1], buf, sizeof(buf)) != sizeof(buf) ||
		    read(p[0], buf, sizeof(buf)) != sizeof(buf)) {
			errf(err, "fill and drain the pipe");
			return -1;
		}
	if (splice(fd, &off, p[1], NULL, 1, 0) != 1) {
		errf(err, "splice 1 byte of the file into the pipe");
		return -1;
	}
	memset(buf, 0x66, 64);
	if (write(p[1], buf, 64) != 64) {
		errf(err, "write into the pipe after the splice");
		return -1;
	}
	return 0;
}

/* Self-test: the file written for real, as the bug would have it. */
static int write_file_for_real(const char *path, char *err)
{
	char buf[64];
	int wfd = open(path, O_WRONLY | O_CLOEXEC);

	memset(buf, 0x66, sizeof(buf));
	if (wfd < 0 || pwrite(wfd, buf, sizeof(buf), 2) != sizeof(buf)) {
		errf(err, "write %s (self-test)", path);
		if (wfd >= 0)
			close(wfd);
		return -1;
	}
	close(wfd);
	return 0;
}

/* 0 unchanged, 1 changed (why in diag), -1 (err). */
static int file_unchanged(const char *path, char *page, uint64_t seed, struct strbuf *diag,
			  char *err)
{
	char what[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, page, PAGES * 4096, 0) != PAGES * 4096) {
		errf(err, "read %s back", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (holds(page, PAGES * 4096, seed, "the read-only file", what)) {
		sb_addf(diag, "dirty-pipe: the file is unchanged\n");
		return 0;
	}
	sb_addf(diag, "dirty-pipe: a write into the pipe reached the page cache of a file opened "
		"read-only: %s\n", what);
	return 1;
}

static int dirty_pipe(struct regress_ctx *x, char *err)
{
	char path[PATH_MAX + 16], *page = malloc(PAGES * 4096);
	int fd = -1, p[2] = { -1, -1 }, ret = -1;

	if (!page || pathf(path, sizeof(path), "%s/dirty-pipe", x->env->scratch->dir) < 0) {
		errf(err, "malloc, path");
		free(page);
		return -1;
	}
	pattern_fill(page, PAGES * 4096, x->seed ^ OLD_KEY, 0);
	fd = readonly_file(path, page, err);
	if (fd >= 0 && splice_then_write(fd, p, err) == 0 &&
	    (!x->v->arg || write_file_for_real(path, err) == 0))
		ret = file_unchanged(path, page, x->seed ^ OLD_KEY, x->diag, err);
	if (fd >= 0)
		close(fd);
	pipe_close(p);
	unlink(path);
	free(page);
	return ret;
}

static enum flavour none_flavour(const struct kver *v)
{
	(void)v;
	return ITER_NONE;
}

static const struct regress_variant dirty_variants[] = {
	{ "read-only-file", 0, 0 },
	{ "file-written", 1, 1 },
	{ 0 },
};

const struct regression regress_dirty_pipe = {
	.name = "dirty-pipe",
	.desc = "a pipe write never reaches a spliced page-cache page",
	.cve = "CVE-2022-0847",
	.fix = "9d2231c5d74e lib/iov_iter: initialize \"flags\" in new pipe_buffer (5.17)",
	.variants = dirty_variants,
	.flavour = none_flavour,
	.run = dirty_pipe,
};
