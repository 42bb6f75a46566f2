/*
 * discard (nfs3, nfs4): the server's filesystem is frozen, a child's chmod
 * (a SETATTR, a synchronous RPC) waits for the reply, SIGKILL ends the
 * wait, the filesystem thaws and the server answers a request that is
 * gone: the client must drop that reply with xs_read_discard (an
 * ITER_DISCARD receive), counted as a bad XID in /proc/self/mountstats,
 * and go on serving the mount. Its self-test, discard-answered, lets the
 * reply reach its waiting task: nothing is dropped, and it must fail.
 */
#include "nfs.h"
#include "checks.h"
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_TRIES 20		/* 50 ms each: the chmod must wait for the frozen server */

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

/* A child's chmod that waits for the frozen server; its pid, where it
 * waits noted in out. -1 (err): it did not wait. */
static pid_t waiting_chmod(struct target *t, const char *fsdir, struct kio_out *out, char *err)
{
	char p[64], wchan[64];
	int status, i;
	pid_t pid = fork();

	if (pid < 0) {
		errf(err, "fork");
		return -1;
	}
	if (pid == 0)
		_exit(chmod(t->path, 0640) < 0 ? 1 : 0);
	for (i = 0; i < WAIT_TRIES && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(50);
	if (i < WAIT_TRIES) {
		freeze(fsdir, FITHAW, err);
		snprintf(err, ERRLEN, "the chmod on %.200s did not wait for the frozen server "
			 "(it ended first)", t->path);
		return -1;
	}
	snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
	if (read_file(p, wchan, sizeof(wchan), NULL) < 0)
		snprintf(wchan, sizeof(wchan), "?");
	sb_addf(out->diag, "discard: the chmod waited in %s\n", wchan);
	return pid;
}

/* The late reply: kill_it lets it find no task (the case), else the task
 * takes it (the self-test). */
static int late_reply(struct target *t, int kill_it, struct kio_out *out, char *err)
{
	char fsdir[PATH_MAX], *slash;
	int status;
	pid_t pid;

	if (!((struct nfs_target *)t->priv)->server) {
		snprintf(err, ERRLEN, "needs the test bed's own server (to freeze its filesystem)");
		return 2;
	}
	snprintf(fsdir, sizeof(fsdir), "%s", nfs_server_export());
	slash = strrchr(fsdir, '/');
	if (slash)
		*slash = 0;
	out->note = bad_xids(((struct nfs_target *)t->priv)->mnt, err);
	if (out->note < 0 || freeze(fsdir, FIFREEZE, err) < 0)
		return -1;
	pid = waiting_chmod(t, fsdir, out, err);
	if (pid < 0)
		return -1;
	if (kill_it)
		kill(pid, SIGKILL);
	else
		sleep_ms(200);
	if (kill_it)
		waitpid(pid, &status, 0);
	if (freeze(fsdir, FITHAW, err) < 0) {
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

/* The stream is still in step: an O_DIRECT read gets the file's data. */
static int read_after(struct target *t, struct kio_out *out)
{
	char *buf = malloc(4096);
	int fd = open(t->path, O_RDONLY | O_DIRECT | O_CLOEXEC), bad = 1;

	if (!buf || fd < 0 || pread(fd, buf, 4096, t->read_base) != 4096)
		sb_addf(out->diag, "discard: O_DIRECT read of %s after the dropped reply failed: "
			"%s\n", t->path, strerror(errno));
	else
		bad = check_data(buf, 4096, PAT(((struct nfs_target *)t->priv)->region_seed, t->read_base),
				 "read after the dropped reply", out->diag);
	if (fd >= 0)
		close(fd);
	free(buf);
	return bad;
}

static int verify_dropped(struct target *t, int tries, struct kio_out *out, char *err)
{
	long long bad1 = -1;
	int i;

	for (i = 0; i < tries; i++) {
		bad1 = bad_xids(((struct nfs_target *)t->priv)->mnt, err);
		if (bad1 < 0)
			return -1;
		if (bad1 > out->note)
			break;
		sleep_ms(100);
	}
	sb_addf(out->diag, "discard: bad XIDs %lld -> %lld\n", out->note, bad1);
	if (bad1 <= out->note) {
		sb_addf(out->diag, "discard: the late SETATTR reply was not dropped as a bad XID "
			"after the thaw: xs_read_discard was not reached\n");
		out->failed = CHK_REACHED;
		return 1;
	}
	if (read_after(t, out)) {
		out->failed = CHK_DATA;
		return 1;
	}
	return 0;
}

static int discard_run(struct target *t, struct kio_out *out, char *err)
{
	return late_reply(t, 1, out, err);
}

static int discard_verify(struct target *t, struct kio_out *out, char *err)
{
	return verify_dropped(t, 100, out, err);
}

static int answered_run(struct target *t, struct kio_out *out, char *err)
{
	return late_reply(t, 0, out, err);
}

static int answered_verify(struct target *t, struct kio_out *out, char *err)
{
	return verify_dropped(t, 20, out, err);
}

static enum flavour discard_flavour(const struct kver *v)
{
	(void)v;
	return ITER_DISCARD;
}

const struct kernel_io kio_discard = {
	.name = "discard",
	.buf = "discard",
	.desc = "a killed task's late NFS reply, dropped by the RPC client",
	.dir = DIR_READ,
	.flavour = discard_flavour,
	.at = AT_RECEIVE,
	.run = discard_run,
	.verify = discard_verify,
};

const struct kernel_io kio_discard_answered = {
	.name = "discard-answered",
	.buf = "discard",
	.desc = "self-test: the NFS reply reaches its waiting task; must fail",
	.dir = DIR_READ,
	.selftest = 1,
	.flavour = discard_flavour,
	.at = AT_RECEIVE,
	.run = answered_run,
	.verify = answered_verify,
};
