/* The target table and what every target shares. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pattern.h"

const struct target_ops *const target_table[] = {
	&target_ext4, &target_xfs, &target_btrfs,
	&target_loop_dio, &target_loop_nodio, &target_tmpfs,
	&target_fuse, &target_fuse_splice, &target_fuse_plain, &target_fuse_odirect,
	&target_loop_fuse, &target_ext4_fuse,
	&target_nfs3, &target_nfs4,
	&target_9p, &target_9p_cached, &target_9p_buffered,
	&target_regress,
	&target_dir, &target_dev, &target_nfs_user,
};
const size_t target_count = sizeof(target_table) / sizeof(target_table[0]);
_Static_assert(sizeof(target_table) / sizeof(target_table[0]) <= TARGET_MAX,
	       "target_table has more rows than TARGET_MAX");

/* Write the run's pattern into the read region, through the page cache,
 * then push it to the medium and drop it from the cache. */
static int fill_read_region(struct target *t, uint64_t seed)
{
	size_t chunk = MiB;
	char *buf = malloc(chunk);
	off_t off;
	int fd, ret = -1;

	if (!buf) {
		errf(t->why, "malloc");
		return -1;
	}
	fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errf(t->why, "open %s", t->path);
		goto out_free;
	}
	for (off = 0; off < t->region; off += chunk) {
		pattern_fill(buf, chunk, seed, t->read_base + off);
		if (pwrite(fd, buf, chunk, t->read_base + off) != (ssize_t)chunk) {
			errf(t->why, "pwrite %s at %lld", t->path, (long long)(t->read_base + off));
			goto out_close;
		}
	}
	if (fsync(fd) < 0) {
		errf(t->why, "fsync %s", t->path);
		goto out_close;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	ret = 0;
out_close:
	close(fd);
out_free:
	free(buf);
	return ret;
}

static enum setup_state target_setup(struct target *t, struct bed *bed);

/* Set-up time is the run's, not the case's that happens to come first. */
enum setup_state target_ensure(struct target *t, struct bed *bed)
{
	double t0;

	if (t->state != SETUP_NONE)
		return t->state;
	t0 = now_sec();
	target_setup(t, bed);
	bed->secs_setup += now_sec() - t0;
	return t->state;
}

static enum setup_state target_setup(struct target *t, struct bed *bed)
{
	int fd;

	t->region = TARGET_REGION;
	t->read_base = 0;
	t->write_base = TARGET_REGION;
	t->found.path = t->ops->path;
	t->found.pins_rule = t->ops->pins_expected;
	snprintf(t->found.fs, sizeof(t->found.fs), "%s", t->ops->name);
	snprintf(t->found.how, sizeof(t->found.how), "made by iovbed");
	t->state = t->ops->setup(t, bed);
	if (t->state != SETUP_READY || t->ops->no_file)
		return t->state;
	fd = open(t->path, O_RDWR | (t->ops->no_odirect ? 0 : O_DIRECT) | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EINVAL && (t->found.path == PATH_COPY || t->ops->user_given)) {
			snprintf(t->why, sizeof(t->why), "%s does not accept O_DIRECT (EINVAL)",
				 t->ops->name);
			t->state = SETUP_SKIP;
		} else {
			errf(t->why, "open %s O_DIRECT (a %s target must accept it)", t->path,
			     t->ops->name);
			t->state = SETUP_BROKEN;
		}
		return t->state;
	}
	close(fd);
	if (fill_read_region(t, bed->seed) < 0)
		t->state = SETUP_BROKEN;
	return t->state;
}

void target_teardown(struct target *t)
{
	if (t->ops && t->state != SETUP_NONE && t->ops->teardown)
		t->ops->teardown(t);
	t->state = SETUP_NONE;
}

enum setup_state target_file_in(struct target *t, const char *dir)
{
	int fd;

	snprintf(t->path, sizeof(t->path), "%s/iovbed-%d.data", dir, (int)getpid());
	fd = open(t->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		errf(t->why, "create %s", t->path);
		*t->path = 0;	/* not ours: teardown must not remove it */
		return SETUP_BROKEN;
	}
	if (ftruncate(fd, t->write_base + t->region) < 0) {
		errf(t->why, "ftruncate %s", t->path);
		close(fd);
		unlink(t->path);
		*t->path = 0;
		return SETUP_BROKEN;
	}
	close(fd);
	return SETUP_READY;
}

void target_file_remove(struct target *t)
{
	if (*t->path)
		unlink(t->path);
}
