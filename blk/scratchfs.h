#ifndef IOVBED_SCRATCHFS_H
#define IOVBED_SCRATCHFS_H

#include <limits.h>
#include "loop.h"
#include "scratch.h"

/*
 * A filesystem the test bed makes for itself: a sparse file in the
 * scratch directory, a loop device over it, mkfs, mount. Targets and
 * buffer kinds that need the same filesystem type share one instance.
 */
struct scratchfs {
	char type[16];
	char mnt[PATH_MAX];
	char image[PATH_MAX];
	struct loopdev loop;
	int state;		/* 0 none, 1 mounted, -1 broken */
	char err[ERRLEN];
};

/* The mounted filesystem of this type, made on first use. NULL with err. */
struct scratchfs *scratchfs_get(struct scratch *s, const char *type, char *err);
void scratchfs_put_all(void);
/* mkfs the filesystem of recipe name ("ext4", "btrfs-datasum") on dev,
 * mount it at mnt with the recipe's options. */
int scratchfs_make_on(const char *name, const char *dev, const char *mnt, char *err);
/* Mount it again (the recipe's type and options). 0, or -1 with err. */
int scratchfs_mount(const char *name, const char *dev, const char *mnt, char *err);
/* Check the unmounted filesystem on dev without repairing it (e2fsck -fn,
 * xfs_repair -n, btrfs check --readonly): 0 clean, 1 it found problems
 * (its output in out), -1 it could not run (err). */
int scratchfs_check(const char *name, const char *dev, char *out, size_t len, char *err);
/* The check's command line ("e2fsck -f -n"), in buf. */
const char *scratchfs_fsck_name(const char *name, char *buf, size_t len);

#endif
