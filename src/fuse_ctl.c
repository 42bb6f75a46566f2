/* Steering the test bed's FUSE daemon: its control file, its status and
 * request log (shared by the FUSE targets and their kernel-IO cases). */
#include "target_fuse.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Commands go to the ctl file through the page cache (not pinned). */
int fuse_ctl(struct fuse_target *ft, const char *cmd, char *err)
{
	int fd = open(ft->ctl, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		errf(err, "open %s", ft->ctl);
		return -1;
	}
	n = pwrite(fd, cmd, strlen(cmd), 0);
	if (n != (ssize_t)strlen(cmd)) {
		errf(err, "write '%s' to %s", cmd, ft->ctl);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The status line the daemon keeps outside the mount: reading it costs no
 * FUSE request and no pin, and works while the daemon is stuck. */
int fuse_status(struct fuse_target *ft, char *out, size_t len, char *err)
{
	return read_file(ft->status, out, len, err) < 0 ? -1 : 0;
}

const char *fuse_mount(const struct target *t)
{
	const struct fuse_target *ft = t->priv;

	return ft->mnt;
}

int fuse_command(struct target *t, const char *cmd, char *err)
{
	return fuse_ctl(t->priv, cmd, err);
}

int fuse_request_log(const struct target *t, char *out, size_t len, char *err)
{
	const struct fuse_target *ft = t->priv;
	char path[PATH_MAX + 8];

	if (pathf(path, sizeof(path), "%s/log", ft->mnt) < 0) {
		errf(err, "log path");
		return -1;
	}
	return read_file(path, out, len, err) < 0 ? -1 : 0;
}
