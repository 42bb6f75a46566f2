/* Loop devices: attach over a file in the scratch area, detach after. */
#include "loop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int loop_attach(struct loopdev *l, const char *backing, int direct_io, char *err)
{
	struct loop_config cfg;
	int ctl, bfd, tries;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->backing, sizeof(l->backing), "%s", backing);
	bfd = open(backing, O_RDWR | O_CLOEXEC);
	if (bfd < 0) {
		errf(err, "open %s", backing);
		return -1;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		errf(err, "open /dev/loop-control");
		goto out_bfd;
	}
	for (tries = 0; tries < 32; tries++) {
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (nr < 0) {
			errf(err, "LOOP_CTL_GET_FREE");
			goto out_ctl;
		}
		snprintf(l->dev, sizeof(l->dev), "/dev/loop%d", nr);
		l->fd = open(l->dev, O_RDWR | O_CLOEXEC);
		if (l->fd < 0) {
			errf(err, "open %s", l->dev);
			goto out_ctl;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = bfd;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (direct_io ? LO_FLAGS_DIRECT_IO : 0);
		snprintf((char *)cfg.info.lo_file_name, LO_NAME_SIZE, "%s", backing);
		if (ioctl(l->fd, LOOP_CONFIGURE, &cfg) == 0) {
			l->nr = nr;
			close(ctl);
			close(bfd);
			return 0;
		}
		if (errno != EBUSY) {
			errf(err, "LOOP_CONFIGURE %s over %s", l->dev, backing);
			close(l->fd);
			l->fd = -1;
			goto out_ctl;
		}
		/* Another process took it between GET_FREE and CONFIGURE. */
		close(l->fd);
		l->fd = -1;
	}
	errno = EBUSY;
	errf(err, "no free loop device after %d tries", tries);
out_ctl:
	close(ctl);
out_bfd:
	close(bfd);
	return -1;
}

int loop_dio(const struct loopdev *l)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/block/loop%d/loop/dio", l->nr);
	return (int)read_ll(path, NULL);
}

void loop_detach(struct loopdev *l)
{
	if (l->fd < 0)
		return;
	/* If the device is still busy the kernel detaches it at last close. */
	ioctl(l->fd, LOOP_CLR_FD, 0);
	close(l->fd);
	l->fd = -1;
}

void loop_detach_below(const char *dir, struct strbuf *log)
{
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	size_t n = strlen(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], file[PATH_MAX];
		int fd;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", de->d_name);
		if (read_file(path, file, sizeof(file), NULL) <= 0)
			continue;
		file[strcspn(file, "\n")] = 0;
		if (strncmp(file, dir, n) || file[n] != '/')
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (ioctl(fd, LOOP_CLR_FD, 0) == 0 && log)
			sb_addf(log, "reclaim: detached %s (%s)\n", path, file);
		close(fd);
	}
	closedir(d);
}
