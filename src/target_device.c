/* dev: a block device the user hands over (--device DEV). Its first
 * 16 MiB are overwritten, so a device that holds a filesystem or
 * partition table signature is refused unless --destroy is given. */
#include "run.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* "ext4", "xfs", "dos" ... if blkid finds a signature; "" if none. */
static int device_signature(const char *dev, char *sig, size_t len, char *err)
{
	char out[1024], *p;
	char *argv[] = { "blkid", "-p", "-o", "export", (char *)dev, NULL };
	int ret = run_cmd(argv, out, sizeof(out), err);

	*sig = 0;
	if (ret < 0) {
		/* blkid -p exits 2 when it finds nothing, and also when it cannot
		 * probe: only a silent exit 2 means a blank device. */
		if (strstr(err, "exited with status 2") && !*out) {
			*err = 0;
			return 0;
		}
		return -1;
	}
	p = strstr(out, "TYPE=");
	if (!p)
		p = strstr(out, "PTTYPE=");
	if (!p) {
		snprintf(sig, len, "unknown signature");
		return 0;
	}
	p = strchr(p, '=') + 1;
	snprintf(sig, len, "%.*s", (int)strcspn(p, "\n"), p);
	return 0;
}

static enum setup_state dev_setup(struct target *t, struct bed *bed)
{
	const char *dev = bed->opt->device;
	unsigned long long size;
	char sig[64];
	struct stat st;
	int fd;

	if (stat(dev, &st) < 0) {
		errf(t->why, "--device %s", dev);
		return SETUP_BROKEN;
	}
	if (!S_ISBLK(st.st_mode)) {
		errno = ENOTBLK;
		errf(t->why, "--device %s", dev);
		return SETUP_BROKEN;
	}
	/* O_EXCL on a block device fails if it is mounted or claimed. */
	fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		errf(t->why, "--device %s is in use (mounted or claimed)", dev);
		return SETUP_BROKEN;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		errf(t->why, "BLKGETSIZE64 %s", dev);
		close(fd);
		return SETUP_BROKEN;
	}
	/* Keep the exclusive claim for the whole run: nobody mounts it meanwhile. */
	t->priv = (void *)(intptr_t)(fd + 1);
	if (size < (unsigned long long)(t->write_base + t->region)) {
		errno = 0;
		errf(t->why, "--device %s has %llu bytes, needs %lld", dev, size,
		     (long long)(t->write_base + t->region));
		return SETUP_BROKEN;
	}
	if (device_signature(dev, sig, sizeof(sig), t->why) < 0)
		return SETUP_BROKEN;
	if (*sig && !bed->opt->destroy) {
		errno = 0;
		errf(t->why, "--device %s holds a %s signature: refusing to overwrite it "
		     "(add --destroy to allow)", dev, sig);
		return SETUP_BROKEN;
	}
	if (path_classify_blockdev(dev, &t->found, t->why) < 0)
		return SETUP_BROKEN;
	snprintf(t->path, sizeof(t->path), "%s", dev);
	snprintf(t->info, sizeof(t->info), "block device %s (user's)", dev);
	t->blockdev = 1;
	return SETUP_READY;
}

static void dev_teardown(struct target *t)
{
	if (t->priv)
		close((int)(intptr_t)t->priv - 1);
	t->priv = NULL;
}

const struct target_ops target_dev = {
	.name = "dev",
	.desc = "block device given with --device",
	.path = PATH_BLOCK,
	.align = 4096,
	.user_given = 1,
	.setup = dev_setup,
	.teardown = dev_teardown,
};
