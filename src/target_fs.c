/* ext4, xfs, btrfs: a file on the test bed's own filesystem on a loop device. */
#include "run.h"
#include "buffer.h"
#include "scratchfs.h"

#include <stdio.h>

static enum setup_state fs_setup(struct target *t, struct bed *bed)
{
	struct scratchfs *fs = scratchfs_get(&bed->scratch, t->ops->name, t->why);

	if (!fs)
		return SETUP_BROKEN;
	snprintf(t->info, sizeof(t->info), "%s on %s (%.200s)", t->ops->name, fs->loop.dev, fs->mnt);
	return target_file_in(t, fs->mnt);
}

static void fs_teardown(struct target *t)
{
	/* The filesystem itself goes with scratchfs_put_all(). */
	target_file_remove(t);
}

const struct target_ops target_ext4 = {
	.name = "ext4",
	.desc = "file on ext4 (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 512,
	.setup = fs_setup,
	.teardown = fs_teardown,
};

const struct target_ops target_xfs = {
	.name = "xfs",
	.desc = "file on xfs (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 512,
	.setup = fs_setup,
	.teardown = fs_teardown,
};

/* Measured on 6.18: btrfs runs direct reads with page faults disabled and,
 * when the destination pages are clean MAP_SHARED pages of a disk file
 * (write-protected after writeback), makes no progress, then finishes the
 * read buffered: no pins. Dirty shared pages and shmem are pinned. */
int btrfs_pins_rule(enum dir dir, const struct buffer_ops *b, const char **why)
{
	if (dir != DIR_READ || b->backing != BACKING_FILE)
		return -1;
	*why = "btrfs falls back to buffered reads into clean MAP_SHARED file pages";
	return 0;
}

/* btrfs refuses direct IO not aligned to its sector size (4096) and does it
 * buffered instead: only aligned cases are meaningful. Mounted nodatasum so
 * direct writes are not turned into buffered ones. */
const struct target_ops target_btrfs = {
	.name = "btrfs",
	.desc = "file on btrfs, nodatasum (iomap direct IO) on a loop device",
	.path = PATH_IOMAP,
	.align = 4096,
	.setup = fs_setup,
	.pins_expected = btrfs_pins_rule,
	.teardown = fs_teardown,
};
