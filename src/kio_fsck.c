/* fsck, fsck-damaged: after the cases of a filesystem over the test bed's
 * FUSE disk (the in-flight errors, cuts and changes of its file among
 * them), the filesystem must still be consistent: it is unmounted and
 * checked without repair (e2fsck -fn, xfs_repair -n, btrfs check
 * --readonly), mounted again, and its read region read back. They run
 * after every IO and in-flight case of the matrix (kernel IO rows come
 * last). The self-test zeroes the superblocks first: the check must
 * fail. A tool's IO, not the kernel's own: pins are only balanced. */
#include "target_fuse.h"

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
