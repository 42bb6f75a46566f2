/* Kernel profiles: pin expectations by kernel version. */
#include "profile.h"
#include "util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

static const struct {
	enum path_class path;
	const char *name;
	int major, minor;	/* first version that pins; 0.0: never; -1: unknown */
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
	/* 6.1: p9_client_read/write hand the user's iterator to virtio's
	 * zero-copy, which takes FOLL_GET pages (p9_get_mapped_pages); from
	 * 6.8 9p goes through netfs, whose netfs_extract_user_iter pins.
	 * From the source; 6.8+ not measured here (no 9p on the host). */
	{ PATH_9P, "9p", 6, 8 },
	/* a handed-over filesystem iovbed does not know: no expectation */
	{ PATH_UNKNOWN, "unknown", -1, 0 },
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
	if (kver_running(&p->running) < 0)
		p->running = p->v;
	return 0;
}

int profile_pins_at(const struct kver *v, enum path_class path)
{
	size_t i;

	for (i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++) {
		if (path_table[i].path != path)
			continue;
		if (path_table[i].major <= 0)
			return 0;
		return kver_ge(v, path_table[i].major, path_table[i].minor);
	}
	return 0;
}

int profile_path_pins(const struct profile *p, enum path_class path)
{
	return profile_pins_at(&p->v, path);
}

const char *profile_path_since(enum path_class path)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof(path_table) / sizeof(path_table[0]); i++) {
		if (path_table[i].path != path)
			continue;
		if (path_table[i].major < 0)
			return "no expectation";
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

/* Failures of kernels where a path still takes FOLL_GET references,
 * measured on Debian's 6.1 (iovbed vm) and gone on 6.18. A case is let off
 * only when it fails with the sign below; any other failure stays one. */
static const struct {
	const char *ids;	/* glob of case ids */
	enum path_class path;	/* the path whose FOLL_PIN conversion fixed it */
	const char *sign;	/* in the failure's diagnostics */
	const char *reason;
} known_bugs[] = {
	{ "fuse*/*/read/*/fork", PATH_FUSE, "went (partly) to the child's page",
	  "FUSE direct IO held FOLL_GET references: the parent's write after fork "
	  "COW-copies the buffer and the read lands in the child's page" },
	{ "regress/dio-fork/readers", PATH_IOMAP, "bytes wrong",
	  "iomap direct IO held FOLL_GET references: a fork during a read lets the "
	  "parent's COW fault move it off the page the read fills" },
	{ "*/finit-module/kvec/read", PATH_IOMAP, "failed with Bad address",
	  "iov_iter_get_pages() has no KVEC case: a kernel-buffer read with O_DIRECT "
	  "fails with EFAULT (iov_iter_extract_pages, used since the conversion, has one)" },
};

const char *profile_known_bug(const struct profile *p, const char *id, const char *diag)
{
	static char reason[ERRLEN];
	size_t i;

	for (i = 0; i < sizeof(known_bugs) / sizeof(known_bugs[0]); i++) {
		if (fnmatch(known_bugs[i].ids, id, 0) || profile_path_pins(p, known_bugs[i].path) ||
		    !diag || !strstr(diag, known_bugs[i].sign))
			continue;
		snprintf(reason, sizeof(reason), "%s before %s: %s",
			 path_class_name(known_bugs[i].path),
			 profile_path_since(known_bugs[i].path), known_bugs[i].reason);
		return reason;
	}
	return NULL;
}
