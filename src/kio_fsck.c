/* fsck, fsck-damaged: after the cases of a filesystem over the test bed's
 * FUSE disk (the in-flight errors, cuts and changes of its file among
 * them), the filesystem must still be consistent: it is unmounted and
 * checked without repair (e2fsck -fn, xfs_repair -n, btrfs check
 * --readonly), mounted again, and its read region read back. They run
 * after every IO and in-flight case of the matrix (kernel IO rows come
 * last). The self-test zeroes the superblocks first: the check must
 * fail. A tool's IO, not the kernel's own: pins are only balanced. */
#include "target_fuse.h"
#include "checks.h"
#include "result.h"
#include "scratchfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>


/* The self-test's damage: the primary superblocks of ext4 (1 KiB in),
 * xfs (sector 0) and btrfs (64 KiB in) zeroed. */
static int zero_superblocks(const char *dev, char *err)
{
	static const char zero[4096];
	int fd = open(dev, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0 || pwrite(fd, zero, sizeof(zero), 0) != sizeof(zero) ||
	    pwrite(fd, zero, sizeof(zero), 65536) != sizeof(zero) || fsync(fd) < 0) {
		errf(err, "zero the superblocks of %s", dev);
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* The read region back from the medium: the run's pattern. */
static void read_back(struct target *t, uint64_t seed, struct kio_out *out)
{
	void *buf = NULL;
	off_t off;
	int fd = open(t->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	char err[ERRLEN];

	if (fd < 0 || posix_memalign(&buf, 4096, MiB)) {
		errf(err, "open %s O_DIRECT", t->path);
		sb_addf(out->diag, "fsck: read-back: %s\n", err);
		out->failed |= CHK_DATA;
	}
	for (off = 0; fd >= 0 && buf && off < t->region; off += MiB) {
		if (pread(fd, buf, MiB, t->read_base + off) != (ssize_t)MiB ||
		    check_data(buf, MiB, PAT(seed, t->read_base + off), "read region after the "
			       "check and a new mount", out->diag)) {
			out->failed |= CHK_DATA;
			break;
		}
	}
	if (!out->failed)
		sb_addf(out->diag, "fsck: the read region reads back whole after a new mount\n");
	if (fd >= 0)
		close(fd);
	free(buf);
}

/* What fsck said: its first lines (where it names a problem) and its
 * last ones, at most FSCK_LINES of each. */
#define FSCK_LINES 15
static void fsck_report(struct kio_out *out, const char *report)
{
	const char *p = report, *nl;
	int lines = 0, i;

	for (nl = report; *nl; nl++)
		lines += *nl == '\n';
	for (i = 0; *p; p = nl + 1, i++) {
		nl = strchr(p, '\n');
		if (i < FSCK_LINES || i >= lines - FSCK_LINES)
			sb_addf(out->diag, "fsck:   %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		else if (i == FSCK_LINES)
			sb_addf(out->diag, "fsck:   [%d lines]\n", lines - 2 * FSCK_LINES);
		if (!nl)
			break;
	}
}

/* An unmounted filesystem may live on until its last file goes: an
 * io_uring ring is torn down asynchronously and keeps its files until
 * then. Its device is free (an O_EXCL open works) once it is really gone. */
#define RELEASE_WAIT_MS 10000
static int wait_device_free(const char *dev, struct kio_out *out, char *err)
{
	unsigned waited;
	int fd = -1;

	for (waited = 0; waited < RELEASE_WAIT_MS; waited += 20) {
		fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd >= 0 || errno != EBUSY)
			break;
		sleep_ms(20);
	}
	if (fd < 0) {
		errf(err, "%s still in use %u ms after its filesystem was unmounted (O_EXCL open)",
		     dev, waited);
		return -1;
	}
	close(fd);
	if (waited)
		sb_addf(out->diag, "fsck: the unmounted filesystem let %s go after %u ms\n", dev,
			waited);
	return 0;
}

int fuse_fs_check(struct target *t, int damage, struct kio_out *out, char *err)
{
	struct fuse_target *ft = t->priv;
	const char *fs = ft->fs;
	char report[8192], cmd[64];
	int r;

	sync();
	if (umount2(ft->fsmnt, 0) < 0) {
		errf(err, "umount %s (to check it)", ft->fsmnt);
		return -1;
	}
	ft->fs_mounted = 0;
	out->reset = damage;	/* a damaged image is no target any more */
	if (wait_device_free(ft->loop.dev, out, err) < 0) {
		out->reset = 1;
		return -1;
	}
	if (damage && zero_superblocks(ft->loop.dev, err) < 0)
		return -1;
	r = scratchfs_check(fs, ft->loop.dev, report, sizeof(report), err);
	if (r < 0)
		return -1;
	sb_addf(out->diag, "fsck: %s of %s (%s) after the target's cases%s: %s\n",
		scratchfs_fsck_name(fs, cmd, sizeof(cmd)), ft->loop.dev, fs, damage ? ", its superblocks zeroed" : "",
		r ? "it found problems" : "clean");
	if (r) {
		fsck_report(out, report);
		out->failed |= CHK_DATA;
	}
	if (damage)
		return 0;
	if (scratchfs_mount(fs, ft->loop.dev, ft->fsmnt, err) < 0) {
		out->reset = 1;
		return -1;
	}
	ft->fs_mounted = 1;
	read_back(t, ft->seed, out);
	return 0;
}

static enum flavour no_iterator(const struct kver *v)
{
	(void)v;
	return ITER_NONE;
}

static int fsck_run(struct target *t, struct kio_out *out, char *err)
{
	return fuse_fs_check(t, 0, out, err);
}

static int fsck_damaged_run(struct target *t, struct kio_out *out, char *err)
{
	return fuse_fs_check(t, 1, out, err);
}

const struct kernel_io kio_fsck = {
	.name = "fsck",
	.buf = "image",
	.desc = "after the target's cases: its filesystem checks clean and reads back",
	.dir = DIR_READ,
	.flavour = no_iterator,
	.tool = 1,
	.run = fsck_run,
};

const struct kernel_io kio_fsck_damaged = {
	.name = "fsck-damaged",
	.buf = "image",
	.desc = "self-test: the filesystem's superblocks zeroed: the check must fail",
	.dir = DIR_READ,
	.selftest = 1,
	.flavour = no_iterator,
	.tool = 1,
	.run = fsck_damaged_run,
};
