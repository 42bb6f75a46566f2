/*
 * 9p targets: a file on a virtio-9p share (iovbed vm gives the guest three,
 * tagged iovbed9p, iovbed9pc and iovbed9pb: a channel mounts only once).
 *   9p           cache=none: reads and writes go to the server as they come
 *   9p-cached    cache=loose, the file opened O_DIRECT
 *   9p-buffered  cache=loose, opened without O_DIRECT: page-cache IO, which
 *                netfs hands to 9p as ITER_XARRAY (6.1) or ITER_FOLIOQ
 */
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define VIRTIO_DRV "/sys/bus/virtio/drivers/9pnet_virtio"

struct p9_target {
	char mnt[PATH_MAX];
};

/* The row's own settings: the share's tag and the cache mode. */
struct p9_cfg {
	const char *tag;
	const char *cache;
};

/* Is there a virtio-9p channel with this tag? */
static int have_tag(const char *tag)
{
	DIR *d = opendir(VIRTIO_DRV);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char p[PATH_MAX], val[128], err[ERRLEN];

		if (strncmp(de->d_name, "virtio", 6))
			continue;
		if (pathf(p, sizeof(p), VIRTIO_DRV "/%s/mount_tag", de->d_name) < 0 ||
		    read_file(p, val, sizeof(val), err) < 0)
			continue;
		val[strcspn(val, "\n")] = 0;
		found = !strcmp(val, tag);
	}
	closedir(d);
	return found;
}

static enum setup_state p9_setup(struct target *t, struct env *env)
{
	const struct p9_cfg *cfg = t->ops->cfg;
	const char *tag = cfg->tag, *cache = cfg->cache;
	struct p9_target *pt;
	char opts[128];

	if (!have_tag(tag)) {
		snprintf(t->why, sizeof(t->why), "no virtio-9p share tagged %s (no %s, or no such "
			 "channel; `iovbed vm` gives its guest one)", tag, VIRTIO_DRV);
		return SETUP_SKIP;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = pt;
	if (pathf(pt->mnt, sizeof(pt->mnt), "%s/%s", env->scratch->dir, t->ops->name) < 0 ||
	    mkdir(pt->mnt, 0755) < 0) {
		errf(t->why, "mkdir %s", pt->mnt);
		*pt->mnt = 0;
		return SETUP_BROKEN;
	}
	snprintf(opts, sizeof(opts), "trans=virtio,version=9p2000.L,cache=%s", cache);
	if (mount(tag, pt->mnt, "9p", 0, opts) < 0) {
		errf(t->why, "mount -t 9p -o %s %s %s", opts, tag, pt->mnt);
		rmdir(pt->mnt);
		*pt->mnt = 0;
		return SETUP_BROKEN;
	}
	snprintf(t->info, sizeof(t->info), "9p share %s, cache=%s, at %.200s", tag, cache, pt->mnt);
	return target_file_in(t, pt->mnt);
}

static void p9_teardown(struct target *t)
{
	struct p9_target *pt = t->priv;

	target_file_remove(t);
	if (!pt)
		return;
	if (*pt->mnt) {
		unmount(pt->mnt);
		rmdir(pt->mnt);
	}
	free(pt);
	t->priv = NULL;
}

/* Direct 9p IO: before 6.8 p9_client_read/write hand the caller's own
 * iterator to the transport (no line in the report); from 6.8 netfs
 * extracts the user's pages into a bio_vec array first. */
static enum flavour p9_direct_transport(const struct kver *v)
{
	return kver_ge(v, 6, 8) ? ITER_BVEC : ITER_NONE;
}

/* Page-cache IO copies: the user's pages are never handed to the
 * transport, whatever the kernel. */
static int p9_buffered_pins(const struct kver *v, const struct rule_case *rc, const char **why)
{
	(void)v;
	(void)rc;
	*why = "buffered 9p IO copies through the page cache";
	return 0;
}

#define P9_TARGET			\
	.path = PATH_9P,		\
	.align = 512,			\
	.teardown = p9_teardown
#define P9_DIRECT					\
	P9_TARGET,					\
	.transport = p9_direct_transport,		\
	.transport_how = "netfs_extract_user_iter, pinned, from 6.8"

const struct target_ops target_9p = {
	.name = "9p",
	.desc = "file on a virtio-9p share, cache=none (p9_client_read/write, virtio zero-copy)",
	.setup = p9_setup,
	.cfg = &(const struct p9_cfg){ "iovbed9p", "none" },
	P9_DIRECT,
};

const struct target_ops target_9p_cached = {
	.name = "9p-cached",
	.desc = "file on a virtio-9p share, cache=loose, opened O_DIRECT",
	.setup = p9_setup,
	.cfg = &(const struct p9_cfg){ "iovbed9pc", "loose" },
	P9_DIRECT,
};

/* netfs gives 9p an iterator over the page cache: an xarray one until
 * folio queues replaced it in 6.12 */
static enum flavour p9_buffered_transport(const struct kver *v)
{
	return kver_ge(v, 6, 12) ? ITER_FOLIOQ : ITER_XARRAY;
}

const struct target_ops target_9p_buffered = {
	.name = "9p-buffered",
	.desc = "file on a virtio-9p share, cache=loose, no O_DIRECT: netfs page-cache IO "
		"(ITER_XARRAY to the transport on 6.1)",
	.no_odirect = 1,
	.setup = p9_setup,
	.cfg = &(const struct p9_cfg){ "iovbed9pb", "loose" },
	.pins_expected = p9_buffered_pins,
	.transport = p9_buffered_transport,
	.transport_how = "netfs reads and writes the page cache through 9p",
	P9_TARGET,
};
