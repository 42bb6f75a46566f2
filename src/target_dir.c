/* dir: a file in a directory the user hands over (--dir PATH). Only the
 * test bed's own file in it is created and removed. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static enum setup_state dir_setup(struct target *t, struct bed *bed)
{
	struct stat st;

	if (stat(bed->opt->dir, &st) < 0) {
		errf(t->why, "--dir %s", bed->opt->dir);
		return SETUP_BROKEN;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		errf(t->why, "--dir %s", bed->opt->dir);
		return SETUP_BROKEN;
	}
	if (path_classify_dir(bed->opt->dir, &t->found, t->why) < 0)
		return SETUP_BROKEN;
	snprintf(t->info, sizeof(t->info), "file in %.200s", bed->opt->dir);
	return target_file_in(t, bed->opt->dir);
}

const struct target_ops target_dir = {
	.name = "dir",
	.desc = "file in the directory given with --dir",
	.path = PATH_UNKNOWN,	/* found at set-up from what is under the directory */
	.align = 4096,
	.user_given = 1,
	.setup = dir_setup,
	.teardown = target_file_remove,
};
