/* Classifying a path the user hands over by the filesystem really under it. */
#include "pathclass.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#define OVERLAYFS_MAGIC 0x794c7630UL

static const struct fs_class {
	unsigned long magic;
	const char *fstype;	/* the mount's type, NULL: any with this magic */
	enum path_class path;
	pins_rule_fn *pins_rule;
} fs_classes[] = {
	{ 0xEF53UL, "ext4", PATH_IOMAP, NULL },
	{ 0x58465342UL, NULL, PATH_IOMAP, NULL },		/* xfs */
	{ 0x9123683EUL, NULL, PATH_IOMAP, btrfs_pins_rule },	/* btrfs */
	{ 0x01021994UL, NULL, PATH_COPY, NULL },		/* tmpfs */
	{ 0x858458f6UL, NULL, PATH_COPY, NULL },		/* ramfs */
	{ 0x65735546UL, NULL, PATH_FUSE, NULL },		/* fuse, fuseblk */
	{ 0x6969UL, NULL, PATH_NFS, NULL },			/* nfs */
	{ 0x01021997UL, NULL, PATH_9P, NULL },			/* v9fs */
};

void path_classify_type(unsigned long f_type, const char *fstype, struct path_found *pf)
{
	size_t i;

	pf->path = PATH_UNKNOWN;
	pf->pins_rule = NULL;
	snprintf(pf->fs, sizeof(pf->fs), "%s", fstype && *fstype ? fstype : "?");
	for (i = 0; i < sizeof(fs_classes) / sizeof(fs_classes[0]); i++) {
		const struct fs_class *c = &fs_classes[i];

		if (c->magic != f_type || (c->fstype && (!fstype || strcmp(c->fstype, fstype))))
			continue;
		pf->path = c->path;
		pf->pins_rule = c->pins_rule;
		return;
	}
}

/* The mount holding dev in /proc/self/mountinfo: its type and super
 * options (overlay's upperdir is there). 0, or -1 if not found. */
static int mount_of(dev_t dev, char *type, size_t tlen, char *opts, size_t olen)
{
	char line[8192], want[32], *sep;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%u:%u", major(dev), minor(dev));
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char id[32], t[64], o[4096];

		if (sscanf(line, "%*s %*s %31s", id) != 1 || strcmp(id, want))
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %*s %4095s", t, o) != 2)
			continue;
		snprintf(type, tlen, "%s", t);
		snprintf(opts, olen, "%s", o);
		found = 0;
	}
	fclose(f);
	return found;
}

/* overlayfs hands direct IO to the real file: a new file lives in the
 * upper directory, so the upper filesystem decides. */
static void classify_overlay(const char *opts, struct path_found *pf, int depth)
{
	char upper[4096];
	const char *p = strstr(opts, "upperdir=");
	struct path_found up;

	pf->path = PATH_UNKNOWN;
	pf->pins_rule = NULL;
	snprintf(pf->fs, sizeof(pf->fs), "overlay");
	if (!p || depth > 2) {
		snprintf(pf->how, sizeof(pf->how), "overlayfs without a readable upperdir: its "
			 "files' direct IO goes to a filesystem iovbed cannot see");
		return;
	}
	p += strlen("upperdir=");
	snprintf(upper, sizeof(upper), "%.*s", (int)strcspn(p, ","), p);
	if (path_classify_dir(upper, &up, NULL) < 0) {
		snprintf(pf->how, sizeof(pf->how), "overlayfs, upperdir %.120s not readable", upper);
		return;
	}
	pf->path = up.path;
	pf->pins_rule = up.pins_rule;
	snprintf(pf->fs, sizeof(pf->fs), "overlay over %.40s", up.fs);
	snprintf(pf->how, sizeof(pf->how), "overlayfs: upperdir %.80s: %.85s", upper, up.how);
}

int path_classify_dir(const char *dir, struct path_found *pf, char *err)
{
	char type[64] = "", opts[4096] = "";
	struct statfs sfs;
	struct stat st;

	if (statfs(dir, &sfs) < 0 || stat(dir, &st) < 0) {
		errf(err, "statfs %s", dir);
		return -1;
	}
	mount_of(st.st_dev, type, sizeof(type), opts, sizeof(opts));
	if ((unsigned long)sfs.f_type == OVERLAYFS_MAGIC) {
		classify_overlay(opts, pf, 0);
		return 0;
	}
	path_classify_type((unsigned long)sfs.f_type, type, pf);
	snprintf(pf->how, sizeof(pf->how), "statfs f_type %#lx, mount type %s",
		 (unsigned long)sfs.f_type, *type ? type : "not in mountinfo");
	return 0;
}

int path_classify_blockdev(const char *dev, struct path_found *pf, char *err)
{
	struct stat st;

	if (stat(dev, &st) < 0) {
		errf(err, "stat %s", dev);
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		errno = ENOTBLK;
		errf(err, "%s", dev);
		return -1;
	}
	pf->path = PATH_BLOCK;
	pf->pins_rule = NULL;
	snprintf(pf->fs, sizeof(pf->fs), "block device");
	snprintf(pf->how, sizeof(pf->how), "a block device (%u:%u): O_DIRECT on it is "
		 "block/fops.c whatever its driver", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}
