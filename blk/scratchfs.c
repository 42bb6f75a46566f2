/* ext4, xfs and btrfs on loop devices over sparse files. */
#include "scratchfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const struct fs_recipe {
	const char *name;
	const char *type;
	unsigned long long size;
	const char *mkfs[8];
	const char *options;
	const char *fsck[6];	/* checks without repairing: 0 clean */
} recipes[] = {
	{ "ext4", "ext4", 512ULL << 20, { "mkfs.ext4", "-q", "-F", "-E", "nodiscard", NULL }, "",
	  { "e2fsck", "-f", "-n", NULL } },
	{ "xfs", "xfs", 512ULL << 20, { "mkfs.xfs", "-q", "-f", "-K", NULL }, "",
	  { "xfs_repair", "-n", NULL } },
	/* nodatasum: btrfs sends direct writes to checksummed files through the
	 * page cache; without checksums they stay direct. */
	{ "btrfs", "btrfs", 512ULL << 20, { "mkfs.btrfs", "-q", "-f", "-K", NULL }, "nodatasum",
	  { "btrfs", "check", "--readonly", NULL } },
	/* data=journal: a MAP_SHARED buffer's pages journalled (4 KiB blocks
	 * and a 64 MiB journal: mke2fs's 1 KiB blocks and 8 MiB journal on a
	 * small image wedged 6.18, see buf_shm.c) */
	{ "ext4-journal", "ext4", 512ULL << 20,
	  { "mkfs.ext4", "-q", "-F", "-b", "4096", "-J", "size=64", NULL }, "data=journal",
	  { "e2fsck", "-f", "-n", NULL } },
	/* ... and with them, as a user's btrfs is */
	{ "btrfs-datasum", "btrfs", 512ULL << 20, { "mkfs.btrfs", "-q", "-f", "-K", NULL }, "",
	  { "btrfs", "check", "--readonly", "--check-data-csum", NULL } },
};

#define NFS_MAX (sizeof(recipes) / sizeof(recipes[0]))
static struct scratchfs instances[NFS_MAX];

static const struct fs_recipe *recipe(const char *name)
{
	size_t i;

	for (i = 0; i < NFS_MAX; i++)
		if (!strcmp(recipes[i].name, name))
			return &recipes[i];
	return NULL;
}

int scratchfs_make_on(const char *name, const char *dev, const char *mnt, char *err)
{
	const struct fs_recipe *r = recipe(name);
	char *argv[10], out[2048];
	int i;

	if (!r) {
		errno = 0;
		errf(err, "no recipe for a %s scratch filesystem", name);
		return -1;
	}
	for (i = 0; r->mkfs[i]; i++)
		argv[i] = (char *)r->mkfs[i];
	argv[i++] = (char *)dev;
	argv[i] = NULL;
	if (run_cmd(argv, out, sizeof(out), err) < 0)
		return -1;
	return scratchfs_mount(name, dev, mnt, err);
}

int scratchfs_mount(const char *name, const char *dev, const char *mnt, char *err)
{
	const struct fs_recipe *r = recipe(name);

	if (!r) {
		errno = 0;
		errf(err, "no recipe for a %s scratch filesystem", name);
		return -1;
	}
	if (mkdir_p(mnt, err) < 0)
		return -1;
	if (mount(dev, mnt, r->type, 0, r->options) < 0) {
		errf(err, "mount -t %s -o '%s' %s %s", r->type, r->options, dev, mnt);
		return -1;
	}
	return 0;
}

int scratchfs_check(const char *name, const char *dev, char *out, size_t len, char *err)
{
	const struct fs_recipe *r = recipe(name);
	char *argv[8];
	int i, st;

	if (!r) {
		errno = 0;
		errf(err, "no recipe for a %s scratch filesystem", name);
		return -1;
	}
	for (i = 0; r->fsck[i]; i++)
		argv[i] = (char *)r->fsck[i];
	argv[i++] = (char *)dev;
	argv[i] = NULL;
	st = run_cmd_status(argv, out, len, err);
	return st < 0 ? -1 : st != 0;
}

const char *scratchfs_fsck_name(const char *name, char *buf, size_t len)
{
	const struct fs_recipe *r = recipe(name);
	size_t n = 0;
	int i;

	*buf = 0;
	for (i = 0; r && r->fsck[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? " " : "", r->fsck[i]);
	return buf;
}

static int make_fs(struct scratch *s, const struct fs_recipe *r, struct scratchfs *fs)
{
	int fd;

	snprintf(fs->type, sizeof(fs->type), "%s", r->name);
	if (pathf(fs->image, sizeof(fs->image), "%s/%s.img", s->dir, r->name) < 0 ||
	    pathf(fs->mnt, sizeof(fs->mnt), "%s/%s", s->dir, r->name) < 0) {
		errf(fs->err, "scratch filesystem path");
		return -1;
	}
	fd = open(fs->image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errf(fs->err, "create %s", fs->image);
		return -1;
	}
	if (ftruncate(fd, r->size) < 0) {
		errf(fs->err, "ftruncate %s", fs->image);
		close(fd);
		return -1;
	}
	close(fd);
	if (loop_attach(&fs->loop, fs->image, 1, fs->err) < 0)
		return -1;
	if (scratchfs_make_on(r->name, fs->loop.dev, fs->mnt, fs->err) < 0)
		goto out_loop;
	return 0;
out_loop:
	loop_detach(&fs->loop);
	return -1;
}

struct scratchfs *scratchfs_get(struct scratch *s, const char *type, char *err)
{
	size_t i;

	for (i = 0; i < NFS_MAX; i++) {
		struct scratchfs *fs = &instances[i];

		if (strcmp(recipes[i].name, type))
			continue;
		if (fs->state == 0)
			fs->state = make_fs(s, &recipes[i], fs) == 0 ? 1 : -1;
		if (fs->state == 1)
			return fs;
		snprintf(err, ERRLEN, "%s", fs->err);
		return NULL;
	}
	errno = 0;
	errf(err, "no recipe for a %s scratch filesystem", type);
	return NULL;
}

void scratchfs_put_all(void)
{
	size_t i;

	for (i = 0; i < NFS_MAX; i++) {
		struct scratchfs *fs = &instances[i];

		if (fs->state == 1) {
			unmount(fs->mnt);
			loop_detach(&fs->loop);
			unlink(fs->image);
		}
		memset(fs, 0, sizeof(*fs));
	}
}
