/* dir: a file in a directory the user hands over (--dir PATH). Only the
 * test bed's own file in it is created and removed. */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static enum setup_state dir_setup(struct target *t, struct env *env)
{
	struct stat st;

	if (stat(env->user->dir, &st) < 0) {
		errf(t->why, "--dir %s", env->user->dir);
		return SETUP_BROKEN;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		errf(t->why, "--dir %s", env->user->dir);
		return SETUP_BROKEN;
	}
	if (path_classify_dir(env->user->dir, &t->found, t->why) < 0)
		return SETUP_BROKEN;
	snprintf(t->info, sizeof(t->info), "file in %.200s", env->user->dir);
	return target_file_in(t, env->user->dir);
}

static const struct kernel_io *const dir_kernel_io[] = { &kio_finit_module, NULL };

const struct target_ops target_dir = {
	.name = "dir",
	.desc = "file in the directory given with --dir",
	.path = PATH_UNKNOWN,	/* found at set-up from what is under the directory */
	.align = 4096,
	.user = USER_DIR,
	.kernel_io = dir_kernel_io,
	.setup = dir_setup,
	.teardown = target_file_remove,
};
