/* loop-dio, loop-nodio: O_DIRECT on a raw loop block device (block/fops.c).
 * With loop direct IO on, the loop driver reaches its backing file with an
 * ITER_BVEC direct IO; off, through the page cache. */
#include "target.h"
#include "loop.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct loop_target {
	struct loopdev loop;
	char image[PATH_MAX];
};

/* The row's own setting: loop direct IO on or off. */
struct loop_cfg {
	int dio;
};

static enum setup_state loop_setup(struct target *t, struct env *env)
{
	const struct loop_cfg *cfg = t->ops->cfg;
	int want_dio = cfg->dio, dio, fd;
	struct loop_target *lt = calloc(1, sizeof(*lt));

	if (!lt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = lt;
	if (pathf(lt->image, sizeof(lt->image), "%s/%s.img", env->scratch->dir, t->ops->name) < 0) {
		errf(t->why, "loop image path");
		return SETUP_BROKEN;
	}
	fd = open(lt->image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, t->write_base + t->region) < 0) {
		errf(t->why, "create %s", lt->image);
		if (fd >= 0)
			close(fd);
		return SETUP_BROKEN;
	}
	close(fd);
	if (loop_attach(&lt->loop, lt->image, want_dio, t->why) < 0)
		return SETUP_BROKEN;
	dio = loop_dio(&lt->loop);
	snprintf(t->path, sizeof(t->path), "%s", lt->loop.dev);
	snprintf(t->info, sizeof(t->info), "%s over %.200s, dio=%d", lt->loop.dev, lt->image, dio);
	t->blockdev = 1;
	if (dio < 0) {
		snprintf(t->why, sizeof(t->why), "%s: cannot read /sys/block/loop%d/loop/dio",
			 lt->loop.dev, lt->loop.nr);
		return SETUP_BROKEN;
	}
	if (want_dio && dio != 1) {
		snprintf(t->why, sizeof(t->why), "%s: loop direct IO requested but "
			 "/sys/block/loop%d/loop/dio = %d (backing filesystem refused it)",
			 lt->loop.dev, lt->loop.nr, dio);
		return SETUP_SKIP;
	}
	if (!want_dio && dio != 0) {
		snprintf(t->why, sizeof(t->why), "%s: loop direct IO not requested but "
			 "/sys/block/loop%d/loop/dio = %d", lt->loop.dev, lt->loop.nr, dio);
		return SETUP_BROKEN;
	}
	return SETUP_READY;
}

static void loop_teardown(struct target *t)
{
	struct loop_target *lt = t->priv;

	if (!lt)
		return;
	loop_detach(&lt->loop);
	unlink(lt->image);
	free(lt);
	t->priv = NULL;
}

const struct target_ops target_loop_dio = {
	.name = "loop-dio",
	.desc = "raw loop block device, loop direct IO on",
	.path = PATH_BLOCK,
	.align = 512,
	.no_peer = NO_PEER_BLOCK,
	.cfg = &(const struct loop_cfg){ .dio = 1 },
	.setup = loop_setup,
	.teardown = loop_teardown,
};

const struct target_ops target_loop_nodio = {
	.name = "loop-nodio",
	.desc = "raw loop block device, loop direct IO off",
	.path = PATH_BLOCK,
	.align = 512,
	.no_peer = NO_PEER_BLOCK,
	.cfg = &(const struct loop_cfg){ .dio = 0 },
	.setup = loop_setup,
	.teardown = loop_teardown,
};
