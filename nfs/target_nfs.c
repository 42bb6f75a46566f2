/*
 * NFS direct IO targets. nfs3 and nfs4 mount the test bed's own server
 * (nfs/server.c) with the kernel client, NFSv3 and NFSv4.2; nfs is a mount
 * the user hands over (--nfs PATH --nfs-url URL). Every write is read back
 * from the server with libnfs, past the kernel client and its cache.
 */
#include "nfs.h"
#include "result.h"
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "checks.h"


static void nfs_teardown(struct target *t)
{
	struct nfs_target *nt = t->priv;

	target_file_remove(t);
	if (!nt)
		return;
	if (*nt->mnt && nt->server) {
		char dir[PATH_MAX];

		if (pathf(dir, sizeof(dir), "%s/%s", nt->mnt, t->ops->name) == 0)
			rmdir(dir);
	}
	if (nt->oob)
		nfs_oob_close(nt->oob);
	if (*nt->mnt) {
		unmount(nt->mnt);
		rmdir(nt->mnt);
	}
	if (nt->server)
		nfs_server_put();
	free(nt);
	t->priv = NULL;
}

/* The file iovbed made through the mount must be the one libnfs sees. */
static enum setup_state open_oob(struct target *t, struct nfs_target *nt, const char *url)
{
	const char *name = strrchr(t->path, '/') + 1;
	char probe[16] = "", err[ERRLEN];
	FILE *f = fopen(t->path, "r+");

	if (!f || fprintf(f, "iovbed-probe") < 0 || fclose(f) != 0) {
		errf(t->why, "write a probe into %s", t->path);
		return SETUP_BROKEN;
	}
	if (url != nt->url)
		snprintf(nt->url, sizeof(nt->url), "%s", url);
	nt->oob = nfs_oob_open(url, name, err);
	if (!nt->oob) {
		snprintf(t->why, sizeof(t->why), "libnfs %.150s, file %.60s: %.250s", url, name, err);
		return SETUP_BROKEN;
	}
	if (nfs_oob_pread(nt->oob, probe, 12, 0, err) != 12 || memcmp(probe, "iovbed-probe", 12)) {
		snprintf(t->why, sizeof(t->why), "libnfs reads %.120s/%.40s but does not see what "
			 "iovbed wrote into %.150s (%.80s): the URL is not this mount's export", url,
			 name, t->path, *err ? err : "other bytes");
		return SETUP_BROKEN;
	}
	return SETUP_READY;
}

/* A new file of the same name: libnfs opens it anew (the old handle is
 * stale). */
static int nfs_renewed(struct target *t)
{
	struct nfs_target *nt = t->priv;

	if (nt->oob)
		nfs_oob_close(nt->oob);
	nt->oob = NULL;
	return open_oob(t, nt, nt->url) == SETUP_READY ? 0 : -1;
}

static enum setup_state nfs_self_setup(struct target *t, struct env *env)
{
	const char *vers = t->ops->cfg;

#ifndef HAVE_LIBNFS
	(void)vers;
	(void)env;
	return built_without("libnfs", "libnfs", t->why);
#endif
	struct nfs_target *nt = calloc(1, sizeof(*nt));
	char opts[64], src[PATH_MAX + 16], url[PATH_MAX + 32], dir[PATH_MAX];
	enum setup_state st;

	if (!nt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = nt;
	nt->region_seed = env->seed;
	st = nfs_server_get(env, t->why);
	if (st != SETUP_READY)
		return st;
	nt->server = 1;
	if (pathf(nt->mnt, sizeof(nt->mnt), "%s/%s", env->scratch->dir, t->ops->name) < 0 ||
	    mkdir(nt->mnt, 0755) < 0) {
		errf(t->why, "mkdir %s", nt->mnt);
		*nt->mnt = 0;
		return SETUP_BROKEN;
	}
	/* v4 mounts the pseudo root (fsid=0), v3 the exported path */
	if (!strcmp(vers, "3"))
		snprintf(src, sizeof(src), "127.0.0.1:%s", nfs_server_export());
	else
		snprintf(src, sizeof(src), "127.0.0.1:/");
	snprintf(opts, sizeof(opts), "vers=%s,proto=tcp,nolock,hard", vers);
	{
		char *argv[] = { "mount", "-t", "nfs", "-o", opts, src, nt->mnt, NULL };
		char out[1024];
		int rc = run_cmd(argv, out, sizeof(out), t->why);

		if (rc != 0) {
			if (rc > 0)
				snprintf(t->why, sizeof(t->why), "mount -t nfs -o %s %.100s: exit %d: %.300s",
					 opts, src, rc, out);
			rmdir(nt->mnt);
			*nt->mnt = 0;
			return SETUP_BROKEN;
		}
	}
	snprintf(t->info, sizeof(t->info), "NFSv%s mount of %.200s", vers, src);
	/* nfs3 and nfs4 see the same export: each keeps its file in its own
	 * directory there */
	if (pathf(dir, sizeof(dir), "%s/%s", nt->mnt, t->ops->name) < 0 ||
	    (mkdir(dir, 0755) < 0 && errno != EEXIST)) {
		errf(t->why, "mkdir %s", dir);
		return SETUP_BROKEN;
	}
	st = target_file_in(t, dir);
	if (st != SETUP_READY)
		return st;
	snprintf(url, sizeof(url), "nfs://127.0.0.1%s/%s", nfs_server_export(), t->ops->name);
	return open_oob(t, nt, url);
}


static enum setup_state nfs_user_setup(struct target *t, struct env *env)
{
#ifndef HAVE_LIBNFS
	(void)env;
	return built_without("libnfs", "libnfs", t->why);
#endif
	struct nfs_target *nt = calloc(1, sizeof(*nt));
	enum setup_state st;

	if (!nt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = nt;
	if (path_classify_dir(env->user->nfs, &t->found, t->why) < 0)
		return SETUP_BROKEN;
	if (t->found.path != PATH_NFS) {
		snprintf(t->why, sizeof(t->why), "--nfs %s is not on an NFS mount (%.150s)",
			 env->user->nfs, t->found.how);
		return SETUP_BROKEN;
	}
	snprintf(t->info, sizeof(t->info), "file in %.150s (%.90s)", env->user->nfs,
		 env->user->nfs_url);
	st = target_file_in(t, env->user->nfs);
	if (st != SETUP_READY)
		return st;
	return open_oob(t, nt, env->user->nfs_url);
}

static int nfs_io_expect(struct target *t, const struct io_plan *p, char *err)
{
	struct nfs_target *nt = t->priv;

	(void)err;
	nt->dir = p->dir;
	nt->off = p->off;
	nt->len = p->len;
	nt->seed = p->seed;
	return 0;
}

/* A write is judged by what the server holds: libnfs reads it back. */
static int nfs_io_verdict(struct target *t, enum dir dir, size_t n, struct strbuf *why)
{
	struct nfs_target *nt = t->priv;
	char err[ERRLEN];
	ssize_t got;
	void *buf;
	int bad;

	if (dir != DIR_WRITE || nt->dir != DIR_WRITE)
		return 0;
	n = n < nt->len ? n : nt->len;	/* a short write: what it wrote */
	buf = malloc(n);
	if (!buf) {
		sb_addf(why, "nfs: malloc %zu for the libnfs read-back\n", n);
		return 1;
	}
	got = nfs_oob_pread(nt->oob, buf, n, nt->off, err);
	if (got != (ssize_t)n) {
		sb_addf(why, "nfs: libnfs read-back of %zu bytes at %lld from the server: %s\n",
			n, (long long)nt->off, got < 0 ? err : "short read");
		free(buf);
		return 1;
	}
	bad = check_data(buf, n, PAT(nt->seed, nt->off),
			 "server's file after the write (read with libnfs)", why);
	free(buf);
	return bad;
}

static const struct kernel_io *const nfs_kernel_io[] = {
	&kio_discard, &kio_discard_answered, NULL,
};

#define NFS_TARGET						\
	.path = PATH_NFS,					\
	.align = 512,						\
	.teardown = nfs_teardown,				\
	.renewed = nfs_renewed,					\
	.io_expect = nfs_io_expect,				\
	.io_verdict = nfs_io_verdict

const struct target_ops target_nfs3 = {
	.name = "nfs3",
	.desc = "file on NFSv3 (fs/nfs/direct.c) from the test bed's own server on 127.0.0.1",
	.setup = nfs_self_setup,
	.cfg = "3",
	.kernel_io = nfs_kernel_io,
	.reclaim = nfs_reclaim,
	NFS_TARGET,
};

const struct target_ops target_nfs4 = {
	.name = "nfs4",
	.desc = "file on NFSv4.2 (fs/nfs/direct.c) from the test bed's own server on 127.0.0.1",
	.setup = nfs_self_setup,
	.cfg = "4.2",
	.kernel_io = nfs_kernel_io,
	NFS_TARGET,
};

const struct target_ops target_nfs_user = {
	.name = "nfs",
	.desc = "file in the NFS mount given with --nfs, read back through --nfs-url",
	.user = USER_NFS,
	.setup = nfs_user_setup,
	NFS_TARGET,
};
