/* Kernel profiles: pin expectations by kernel version. */
#include "profile.h"

#include <stdio.h>
#include <string.h>

static const struct {
	enum path_class path;
	const char *name;
	int major, minor;	/* first version that pins; 0.0: never */
} path_table[] = {
	/* block/fops.c: bio_iov_iter_get_pages() went FOLL_PIN in 6.5 */
	{ PATH_BLOCK, "block", 6, 5 },
	/* iomap direct IO uses the same bio helpers: 6.5 */
	{ PATH_IOMAP, "iomap", 6, 5 },
	/* fuse_get_user_pages() became iov_iter_extract_pages() in 6.9 */
	{ PATH_FUSE, "fuse", 6, 9 },
	/* fs/nfs/direct.c still uses iov_iter_get_pages_alloc2() (FOLL_GET) */
	{ PATH_NFS, "nfs", 0, 0 },
	/* shmem copies through the page cache */
	{ PATH_COPY, "copy", 0, 0 },
};

const char *flavour_name(enum flavour f)
{
	static const char *const names[] = {
		"ITER_UBUF", "ITER_IOVEC", "ITER_BVEC", "ITER_KVEC", "ITER_PIPE",
		"ITER_XARRAY", "ITER_FOLIOQ", "ITER_DISCARD", "none",
	};
	return f <= ITER_NONE ? names[f] : "?";
}

int profile_init(struct profile *p, const char *forced_version)
{
	memset(p, 0, sizeof(*p));
	if (forced_version) {
		if (kver_parse(forced_version, &p->v) < 0)
			return -1;
		p->forced = 1;
	} else if (kver_running(&p->v) < 0) {
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%d.%d", p->v.major, p->v.minor);
	return 0;
}

int profile_path_pins(const struct profile *p, enum path_class path)
{
	size_t i;

	for (i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++) {
		if (path_table[i].path != path)
			continue;
		if (!path_table[i].major)
			return 0;
		return kver_ge(&p->v, path_table[i].major, path_table[i].minor);
	}
	return 0;
}

const char *profile_path_since(enum path_class path)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++) {
		if (path_table[i].path != path)
			continue;
		if (!path_table[i].major)
			return "never";
		snprintf(buf, sizeof(buf), "%d.%d", path_table[i].major, path_table[i].minor);
		return buf;
	}
	return "?";
}

const char *path_class_name(enum path_class path)
{
	size_t i;

	for (i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++)
		if (path_table[i].path == path)
			return path_table[i].name;
	return "?";
}
