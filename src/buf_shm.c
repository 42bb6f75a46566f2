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

/* data=journal: measured on 6.18 (iovbed's stop 21), an fsync of such a
 * file after a 4 MiB O_DIRECT read into its MAP_SHARED pages never
 * returned on an image with 1 KiB blocks and an 8 MiB journal (jbd2 in
 * folio_wait_writeback, the flusher waiting on the journal's commit), and
 * compaction waited on that folio for good: a wedged kernel, no test bed
 * can recover it. With 4 KiB blocks and a larger journal, and reads of at
 * most 1 MiB, it did not. Until that is understood its cases stay out of
 * the default matrix, where one would wedge make check. */
const struct buffer_ops buf_shm_ext4_journal = {
	.name = "shm-ext4-journal",
	.desc = "MAP_SHARED pages of a file on ext4 mounted data=journal",
	.backing = BACKING_FILE,
	.longterm_refused = 1,
	.fs = "ext4-journal",
	.max_size = 1 * MiB,
	.max_why = "data=journal: reads of 4 MiB into these pages wedged 6.18 (jbd2 waiting on "
		   "the buffer's folio writeback, the flusher on the journal)",
	.reads_only = "data=journal: what is journalled is pages dirtied by a read; a write's "
		      "source is only read (shm-ext4 covers it)",
	.pinned_stay_dirty = "ext4 keeps a pinned journalled folio dirty for the next writeback "
			     "(ext4_journalled_dirty_folio, 3f5d30636d2a, 6.4)",
	.outside_default = "data=journal can wedge the kernel (6.18, see buf_shm.c): --full or "
			   "a filter naming the case runs it",
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
