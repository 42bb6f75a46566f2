#ifndef IOVBED_TARGET_FUSE_H
#define IOVBED_TARGET_FUSE_H

#include "loop.h"
#include "target.h"

/* A FUSE target's state: the daemon, its mount, what is stacked on it. */
struct fuse_target {
	pid_t pid;
	unsigned long conn;	/* the connection's number under FUSECTL_DIR */
	char mnt[PATH_MAX];
	char ctl[PATH_MAX + 8];
	char status[PATH_MAX + 16];	/* the daemon's status line, outside the mount */
	struct loopdev loop;	/* loop-fuse, ext4-fuse */
	char fsmnt[PATH_MAX];	/* ext4-fuse and the other filesystems on it */
	const char *fs;		/* ... their scratch filesystem recipe */
	int fs_mounted;
	unsigned long words_due;	/* a disk hold: words of the IO's data */
	uint64_t seed;		/* the run's: the read region's pattern */
};

/* Commands to the daemon's control file, through the page cache (not
 * pinned): 0, or -1 with err. */
int fuse_ctl(struct fuse_target *ft, const char *cmd, char *err);
/* The daemon's status line, from a file outside the mount. */
int fuse_status(struct fuse_target *ft, char *out, size_t len, char *err);

/* What the kernel's own IO into the FUSE targets' files (kio_exec.c,
 * kio_acct.c) uses of the test bed's daemon. */
const char *fuse_mount(const struct target *t);
/* A command to the daemon's control file ("reset"). */
int fuse_command(struct target *t, const char *cmd, char *err);
/* The daemon's log of requests on its script and acct files. */
int fuse_request_log(const struct target *t, char *out, size_t len, char *err);

extern const struct kernel_io kio_exec, kio_acct, kio_fsck, kio_fsck_damaged;

/* A filesystem over the daemon's disk, after its cases (kio_fsck.c):
 * unmounted, checked by its fsck (damage: its superblocks zeroed first,
 * the self-test; the target is then unusable, out->reset), mounted again
 * and its read region read back. 0 (the verdict in out), -1 err. */
int fuse_fs_check(struct target *t, int damage, struct kio_out *out, char *err);

#endif
