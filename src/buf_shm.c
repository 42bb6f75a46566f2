/* shm-ext4, shm-xfs: MAP_SHARED page cache of a file on the test bed's
 * ext4 or xfs; memfd: MAP_SHARED shmem. Reads into them must leave the
 * pages dirty, and for disk files the data must reach the file. */
#include "buffer.h"
#include "scratchfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static enum setup_state map_file(struct buffer *b, char *why)
{
	if (ftruncate(b->fd, b->maplen) < 0) {
		errf(why, "ftruncate %s", *b->path ? b->path : "memfd");
		return SETUP_BROKEN;
	}
	b->map = map_aligned(b->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, why);
	return b->map ? SETUP_READY : SETUP_BROKEN;
}

static enum setup_state shm_file_alloc(struct buffer *b, struct env *env, char *why)
{
	static unsigned serial;	/* a stress run maps many at once */
	struct scratchfs *fs = scratchfs_get(env->scratch, b->ops->fs, why);

	if (!fs)
		return SETUP_BROKEN;
	if (pathf(b->path, sizeof(b->path), "%s/buffer-%d-%u", fs->mnt, (int)getpid(),
		  __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED)) < 0) {
		errf(why, "buffer file path");
		*b->path = 0;
		return SETUP_BROKEN;
	}
	b->fd = open(b->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (b->fd < 0) {
		errf(why, "create %s", b->path);
		*b->path = 0;
		return SETUP_BROKEN;
	}
	return map_file(b, why);
}

static enum setup_state memfd_alloc(struct buffer *b, struct env *env, char *why)
{
	(void)env;
	b->fd = memfd_create("iovbed-buffer", MFD_CLOEXEC);
	if (b->fd < 0) {
		errf(why, "memfd_create");
		return SETUP_BROKEN;
	}
	return map_file(b, why);
}

/* The same pages of the same file again. */
static enum setup_state shm_remap(struct buffer *b, char *why)
{
	return map_again(b, MAP_SHARED, b->fd, why);
}

const struct buffer_ops buf_shm_ext4 = {
	.name = "shm-ext4",
	.desc = "MAP_SHARED pages of a file on ext4",
	.backing = BACKING_FILE,
	.longterm_refused = 1,
	.fs = "ext4",
	.alloc = shm_file_alloc,
	.remap = shm_remap,
};

const struct buffer_ops buf_shm_xfs = {
	.name = "shm-xfs",
	.desc = "MAP_SHARED pages of a file on xfs",
	.backing = BACKING_FILE,
	.longterm_refused = 1,
	.fs = "xfs",
	.alloc = shm_file_alloc,
	.remap = shm_remap,
};

const struct buffer_ops buf_memfd = {
	.name = "memfd",
	.desc = "MAP_SHARED shmem pages of a memfd",
	.backing = BACKING_MEMFD,
	.alloc = memfd_alloc,
	.remap = shm_remap,
};
