/* The target table and what every target shares. */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pattern.h"

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

enum setup_state target_ensure(struct target *t, struct env *env)
{
	int fd;

	t->region = TARGET_REGION;
	t->read_base = 0;
	t->write_base = TARGET_REGION;
	t->dev[0] = 0;
	t->measured[0] = 0;
	t->found.path = t->ops->path;
	t->found.pins_rule = t->ops->pins_expected;
	snprintf(t->found.fs, sizeof(t->found.fs), "%s", t->ops->name);
	snprintf(t->found.how, sizeof(t->found.how), "made by iovbed");
	t->state = t->ops->setup(t, env);
	if (t->state != SETUP_READY)
		return t->state;
	fd = open(t->path, O_RDWR | (t->ops->no_odirect ? 0 : O_DIRECT) | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EINVAL && (t->found.path == PATH_COPY || t->ops->user)) {
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
	if (fill_read_region(t, env->seed) < 0)
		t->state = SETUP_BROKEN;
	return t->state;
}

/* The file as set-up left it: its size, its write region a hole (where
 * the filesystem punches), its read region the pattern. */
int target_refill(struct target *t, uint64_t seed)
{
	int fd;

	if (truncate(t->path, t->write_base + t->region) < 0) {
		errf(t->why, "truncate %s back to %lld", t->path, (long long)(t->write_base + t->region));
		return -1;
	}
	fd = open(t->path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, t->write_base, t->region);
		close(fd);
	}
	return fill_read_region(t, seed);
}

int target_renew(struct target *t, uint64_t seed)
{
	char dir[sizeof(t->path)], *slash;

	if (t->state != SETUP_READY || !t->own_file)
		return 1;
	snprintf(dir, sizeof(dir), "%s", t->path);
	if (!(slash = strrchr(dir, '/')))
		return 1;
	*slash = 0;
	if (unlink(t->path) < 0) {
		errf(t->why, "unlink %s to make it anew", t->path);
		return -1;
	}
	if (target_file_in(t, dir) != SETUP_READY)
		return -1;
	if (t->ops->renewed && t->ops->renewed(t) < 0)
		return -1;
	return fill_read_region(t, seed);
}

void target_teardown(struct target *t)
{
	if (t->ops && t->state != SETUP_NONE && t->ops->teardown)
		t->ops->teardown(t);
	t->state = SETUP_NONE;
	t->own_file = 0;
}

enum setup_state target_file_in(struct target *t, const char *dir)
{
	int fd;

	snprintf(t->path, sizeof(t->path), "%s/iovbed-%d.data", dir, (int)getpid());
	fd = open(t->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		errf(t->why, "create %s", t->path);
		*t->path = 0;	/* not ours: teardown must not remove it */
		t->own_file = 0;
		return SETUP_BROKEN;
	}
	if (ftruncate(fd, t->write_base + t->region) < 0) {
		errf(t->why, "ftruncate %s", t->path);
		close(fd);
		unlink(t->path);
		*t->path = 0;
		t->own_file = 0;
		return SETUP_BROKEN;
	}
	close(fd);
	t->own_file = 1;
	return SETUP_READY;
}

void target_file_remove(struct target *t)
{
	if (*t->path)
		unlink(t->path);
}

enum flavour kvec_flavour(const struct kver *v)
{
	(void)v;
	return ITER_KVEC;
}
