/* tmpfs: the control. It accepts O_DIRECT (6.6+) but copies: no pins. */
#include "target.h"

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

static enum setup_state tmpfs_setup(struct target *t, struct env *env)
{
	char mnt[PATH_MAX];

	if (pathf(mnt, sizeof(mnt), "%s/tmpfs", env->scratch->dir) < 0) {
		errf(t->why, "tmpfs mount point");
		return SETUP_BROKEN;
	}
	if (mkdir_p(mnt, t->why) < 0)
		return SETUP_BROKEN;
	if (mount("iovbed", mnt, "tmpfs", 0, "size=64m,mode=0700") < 0) {
		errf(t->why, "mount -t tmpfs %s", mnt);
		return SETUP_BROKEN;
	}
	snprintf(t->info, sizeof(t->info), "tmpfs at %.200s", mnt);
	t->priv = (void *)1;
	return target_file_in(t, mnt);
}

static void tmpfs_teardown(struct target *t)
{
	char mnt[PATH_MAX];
	char *slash;

	target_file_remove(t);
	if (!t->priv)
		return;
	snprintf(mnt, sizeof(mnt), "%s", t->path);
	slash = strrchr(mnt, '/');
	if (slash)
		*slash = 0;
	umount2(mnt, MNT_DETACH);
	t->priv = NULL;
}

const struct target_ops target_tmpfs = {
	.name = "tmpfs",
	.desc = "file on tmpfs (copies, never pins: the control)",
	.path = PATH_COPY,
	.align = 512,
	.setup = tmpfs_setup,
	.teardown = tmpfs_teardown,
};
