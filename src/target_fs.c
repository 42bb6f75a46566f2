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

/* btrfs_direct_read() runs the read with page faults off (iter->nofault):
 * the FOLL_PIN of a clean MAP_SHARED page of a disk file (write-protected
 * since writeback) fails with EFAULT before any bio is submitted, and
 * btrfs_dio_iomap_end() returns -ENOTBLK for the unsubmitted range.
 * Up to 6.14 iomap_iter() gave the iteration's own error priority ("ret <
 * 0 && !iter->processed"): btrfs sees EFAULT, faults the pages in, retries,
 * and the retry pins (measured on 6.12: 1 pin per page). From 6.15, commit
 * bc264fea0f6f ("iomap: support incremental iomap_iter advances") returns
 * ->iomap_end()'s error when nothing advanced: -ENOTBLK, which
 * __iomap_dio_rw() turns into 0, so btrfs finishes the read buffered and
 * takes no pin (measured on 6.18). Dirty shared pages and shmem pin on both. */
int btrfs_pins_rule(const struct kver *v, enum dir dir, const struct buffer_ops *b,
		    const char **why)
{
	if (dir != DIR_READ || b->backing != BACKING_FILE || !kver_ge(v, 6, 15))
		return -1;
	*why = "btrfs falls back to buffered reads into clean MAP_SHARED file pages from 6.15: "
	       "iomap_iter() returns btrfs_dio_iomap_end()'s -ENOTBLK, not the pin's EFAULT";
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
