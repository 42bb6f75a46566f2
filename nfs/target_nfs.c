/*
 * NFS direct IO targets. nfs3 and nfs4 mount the test bed's own server
 * (nfs/server.c) with the kernel client, NFSv3 and NFSv4.2; nfs is a mount
 * the user hands over (--nfs PATH --nfs-url URL). Every write is read back
 * from the server with libnfs, past the kernel client and its cache.
 */
#include "nfs.h"
#include "run.h"

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

struct nfs_target {
	char mnt[PATH_MAX];	/* our client mount, or "" */
	int server;		/* holds the test bed's server */
	struct nfs_oob *oob;
	enum dir dir;
	off_t off;
	size_t len;
	uint64_t seed;
	uint64_t region_seed;	/* the read region's pattern */
	long long bad0;		/* discard: the transport's bad XIDs before */
	char wchan[64];		/* where the killed task waited */
};

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

static enum setup_state nfs_self_setup(struct target *t, struct bed *bed, const char *vers)
{
	struct nfs_target *nt = calloc(1, sizeof(*nt));
	char opts[64], src[PATH_MAX + 16], url[PATH_MAX + 32], dir[PATH_MAX];
	enum setup_state st;

	if (!nt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = nt;
	nt->region_seed = bed->seed;
	st = nfs_server_get(bed, t->why);
	if (st != SETUP_READY)
		return st;
	nt->server = 1;
	if (pathf(nt->mnt, sizeof(nt->mnt), "%s/%s", bed->scratch.dir, t->ops->name) < 0 ||
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

static enum setup_state nfs3_setup(struct target *t, struct bed *bed)
{
	return nfs_self_setup(t, bed, "3");
}

static enum setup_state nfs4_setup(struct target *t, struct bed *bed)
{
	return nfs_self_setup(t, bed, "4.2");
}

static enum setup_state nfs_user_setup(struct target *t, struct bed *bed)
{
	struct nfs_target *nt = calloc(1, sizeof(*nt));
	enum setup_state st;

	if (!nt) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = nt;
	if (path_classify_dir(bed->opt->nfs, &t->found, t->why) < 0)
		return SETUP_BROKEN;
	if (t->found.path != PATH_NFS) {
		snprintf(t->why, sizeof(t->why), "--nfs %s is not on an NFS mount (%.150s)",
			 bed->opt->nfs, t->found.how);
		return SETUP_BROKEN;
	}
	snprintf(t->info, sizeof(t->info), "file in %.150s (%.90s)", bed->opt->nfs,
		 bed->opt->nfs_url);
	st = target_file_in(t, bed->opt->nfs);
	if (st != SETUP_READY)
		return st;
	return open_oob(t, nt, bed->opt->nfs_url);
}

static int nfs_io_expect(struct target *t, enum dir dir, off_t off, size_t len, uint64_t seed,
			 char *err)
{
	struct nfs_target *nt = t->priv;

	(void)err;
	nt->dir = dir;
	nt->off = off;
	nt->len = len;
	nt->seed = seed;
	return 0;
}

/* A write is judged by what the server holds: libnfs reads it back. */
static int nfs_io_verdict(struct target *t, enum dir dir, struct strbuf *why)
{
	struct nfs_target *nt = t->priv;
	char err[ERRLEN];
	ssize_t got;
	void *buf;
	int bad;

	if (dir != DIR_WRITE || nt->dir != DIR_WRITE)
		return 0;
	buf = malloc(nt->len);
	if (!buf) {
		sb_addf(why, "nfs: malloc %zu for the libnfs read-back\n", nt->len);
		return 1;
	}
	got = nfs_oob_pread(nt->oob, buf, nt->len, nt->off, err);
	if (got != (ssize_t)nt->len) {
		sb_addf(why, "nfs: libnfs read-back of %zu bytes at %lld from the server: %s\n",
			nt->len, (long long)nt->off, got < 0 ? err : "short read");
		free(buf);
		return 1;
	}
	bad = check_data(buf, nt->len, nt->seed, nt->off,
			 "server's file after the write (read with libnfs)", why);
	free(buf);
	return bad;
}

/* The "bad_xids" count of the RPC transport of the mount at mnt, from
 * /proc/self/mountstats ("xprt: tcp port bind connect ctime idle sends
 * recvs bad_xids ..."): replies that matched no waiting request. */
static long long bad_xids(const char *mnt, char *err)
{
	char line[1024], want[PATH_MAX + 32];
	FILE *f = fopen("/proc/self/mountstats", "re");
	int in = 0;
	long long v = -1;

	if (!f) {
		errf(err, "open /proc/self/mountstats");
		return -1;
	}
	snprintf(want, sizeof(want), " mounted on %s with fstype nfs", mnt);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "device ", 7))
			in = strstr(line, want) != NULL;
		else if (in && sscanf(line, " xprt: tcp %*s %*s %*s %*s %*s %*s %*s %lld", &v) == 1)
			break;
	}
	fclose(f);
	if (v < 0)
		snprintf(err, ERRLEN, "no tcp xprt line for %.200s in /proc/self/mountstats", mnt);
	return v;
}

static int freeze(const char *dir, unsigned long how, char *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0) {
		errf(err, "open %s", dir);
		return -1;
	}
	ret = ioctl(fd, how, 0);
	if (ret < 0)
		errf(err, "%s %s", how == FIFREEZE ? "FIFREEZE" : "FITHAW", dir);
	close(fd);
	return ret;
}

/*
 * discard: the server's filesystem is frozen, a child's chmod (a SETATTR,
 * a synchronous RPC) waits for the reply, SIGKILL ends the wait, the
 * filesystem thaws and the server answers a request that is gone: the
 * client must drop that reply with xs_read_discard (an ITER_DISCARD
 * receive) and go on serving the mount.
 */
static int nfs_discard(struct target *t, struct nfs_target *nt, int kill_it, int verify,
		       struct strbuf *diag, char *err)
{
	char fsdir[PATH_MAX], p[64], *slash;
	long long bad1 = -1;
	int status, i, fd;
	pid_t pid;

	if (verify) {
		char *buf = malloc(4096);
		int bad;

		for (i = 0; i < (kill_it ? 100 : 20); i++) {
			bad1 = bad_xids(nt->mnt, err);
			if (bad1 < 0) {
				free(buf);
				return -1;
			}
			if (bad1 > nt->bad0)
				break;
			sleep_ms(100);
		}
		sb_addf(diag, "discard: the chmod waited in %s, %s; bad XIDs %lld -> %lld\n",
			nt->wchan, kill_it ? "was killed" : "was let finish", nt->bad0, bad1);
		if (bad1 <= nt->bad0) {
			sb_addf(diag, "discard: the late SETATTR reply was not dropped as a bad XID "
				"after the thaw: xs_read_discard was not reached\n");
			free(buf);
			return 1;
		}
		/* the stream is still in step: a read after it gets the file's data */
		fd = open(t->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (!buf || fd < 0 || pread(fd, buf, 4096, t->read_base) != 4096) {
			sb_addf(diag, "discard: O_DIRECT read of %s after the dropped reply failed: "
				"%s\n", t->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(buf);
			return 1;
		}
		close(fd);
		bad = check_data(buf, 4096, nt->region_seed, t->read_base,
				 "read after the dropped reply", diag);
		free(buf);
		return bad;
	}
	if (!nt->server) {
		snprintf(err, ERRLEN, "needs the test bed's own server (to freeze its filesystem)");
		return 2;
	}
	snprintf(fsdir, sizeof(fsdir), "%s", nfs_server_export());
	slash = strrchr(fsdir, '/');
	if (slash)
		*slash = 0;
	nt->bad0 = bad_xids(nt->mnt, err);
	if (nt->bad0 < 0)
		return -1;
	if (freeze(fsdir, FIFREEZE, err) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		errf(err, "fork");
		freeze(fsdir, FITHAW, err);
		return -1;
	}
	if (pid == 0)
		_exit(chmod(t->path, 0640) < 0 ? 1 : 0);
	for (i = 0; i < 20 && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(50);
	if (i < 20) {
		freeze(fsdir, FITHAW, err);
		snprintf(err, ERRLEN, "the chmod on %.200s did not wait for the frozen server "
			 "(it ended first)", t->path);
		return -1;
	}
	snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
	if (read_file(p, nt->wchan, sizeof(nt->wchan), err) < 0)
		snprintf(nt->wchan, sizeof(nt->wchan), "?");
	if (kill_it)
		kill(pid, SIGKILL);
	else
		sleep_ms(200);
	if (kill_it)
		waitpid(pid, &status, 0);
	if (freeze(fsdir, FITHAW, err) < 0) {
		if (!kill_it)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (!kill_it)
		waitpid(pid, &status, 0);
	chmod(t->path, 0600);
	if (kill_it && !WIFSIGNALED(status)) {
		snprintf(err, ERRLEN, "the chmod was not killed while it waited (status %#x)", status);
		return -1;
	}
	return 0;
}

static int nfs_kernel_io(struct target *t, const char *engine, int verify, struct strbuf *diag,
			 char *err)
{
	int answered = !strcmp(engine, "discard-answered");

	if (strcmp(engine, "discard") && !answered) {
		snprintf(err, ERRLEN, "nfs targets do not serve kernel engine %s", engine);
		return -1;
	}
	return nfs_discard(t, t->priv, !answered, verify, diag, err);
}

static const char *const nfs_kernel_engines[] = { "discard", "discard-answered", NULL };

#define NFS_TARGET						\
	.path = PATH_NFS,					\
	.align = 512,						\
	.teardown = nfs_teardown,				\
	.io_expect = nfs_io_expect,				\
	.io_verdict = nfs_io_verdict

const struct target_ops target_nfs3 = {
	.name = "nfs3",
	.desc = "file on NFSv3 (fs/nfs/direct.c) from the test bed's own server on 127.0.0.1",
	.setup = nfs3_setup,
	.kernel_io = nfs_kernel_io,
	.kernel_engines = nfs_kernel_engines,
	NFS_TARGET,
};

const struct target_ops target_nfs4 = {
	.name = "nfs4",
	.desc = "file on NFSv4.2 (fs/nfs/direct.c) from the test bed's own server on 127.0.0.1",
	.setup = nfs4_setup,
	.kernel_io = nfs_kernel_io,
	.kernel_engines = nfs_kernel_engines,
	NFS_TARGET,
};

const struct target_ops target_nfs_user = {
	.name = "nfs",
	.desc = "file in the NFS mount given with --nfs, read back through --nfs-url",
	.user_given = 1,
	.setup = nfs_user_setup,
	NFS_TARGET,
};
