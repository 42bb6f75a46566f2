/* What the regression cases share: a verdict page for children, pattern
 * files, waiting for a child. */
#include "regress_common.h"
#include "pattern.h"
#include "scratchfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct verdict *verdict_map(char *err)
{
	struct verdict *v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (v == MAP_FAILED) {
		errf(err, "mmap of the verdict page");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	return v;
}

void verdict_unmap(struct verdict *v)
{
	if (v)
		munmap(v, sizeof(*v));
}

int holds(const void *buf, size_t len, uint64_t seed, const char *what, char *out)
{
	struct mismatch m;

	if (!pattern_check(buf, len, seed, 0, &m))
		return 1;
	snprintf(out, VERDICT_WHAT, "%s: %zu of %zu bytes differ from the first at +%zu (expected %02x "
		 "found %02x)", what, m.bad_bytes, len, (size_t)m.file_off, m.expected[0],
		 m.found[0]);
	return 0;
}

int wait_ok(pid_t pid, struct strbuf *diag, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		sb_addf(diag, "%s: the child ended with wait status %#x (exit %d: the step that "
			"failed)\n", who, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

int pattern_file(struct env *env, const char *name, uint64_t seed, char *path, char *err)
{
	size_t len = SPAN;
	struct scratchfs *fs = scratchfs_get(env->scratch, "ext4", err);
	char *buf;
	int fd;

	if (!fs || pathf(path, PATH_MAX, "%s/%s", fs->mnt, name) < 0) {
		if (fs)
			errf(err, "path");
		return -1;
	}
	buf = malloc(len);
	if (!buf) {
		errf(err, "malloc");
		return -1;
	}
	pattern_fill(buf, len, seed, 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd) < 0) {
		errf(err, "create %s", path);
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	free(buf);
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		errf(err, "open %s O_DIRECT", path);
	return fd;
}

void pipe_close(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}
