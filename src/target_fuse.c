/* fuse, fuse-splice: the file "data" of the test bed's own FUSE daemon,
 * opened with FOPEN_DIRECT_IO (fs/fuse direct IO), with and without splice
 * on /dev/fuse. The daemon checks every WRITE payload it receives. */
#include "run.h"
#include "fused.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546

struct fuse_target {
	pid_t pid;
	char mnt[PATH_MAX];
	char ctl[PATH_MAX + 8];
};

static int mounted(const char *mnt)
{
	struct statfs s;

	return statfs(mnt, &s) == 0 && s.f_type == FUSE_SUPER_MAGIC;
}

static enum setup_state fuse_setup(struct target *t, struct bed *bed)
{
	struct fuse_target *ft = calloc(1, sizeof(*ft));
	struct fused_config cfg;
	pid_t parent = getpid();
	int i, status;

	if (!ft) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	t->priv = ft;
	if (pathf(ft->mnt, sizeof(ft->mnt), "%s/%s", bed->scratch.dir, t->ops->name) < 0 ||
	    pathf(t->path, sizeof(t->path), "%s/data", ft->mnt) < 0 ||
	    pathf(ft->ctl, sizeof(ft->ctl), "%s/ctl", ft->mnt) < 0) {
		errf(t->why, "FUSE mount point path");
		return SETUP_BROKEN;
	}
	if (mkdir_p(ft->mnt, t->why) < 0)
		return SETUP_BROKEN;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mountpoint = ft->mnt;
	cfg.size = t->write_base + t->region;
	cfg.seed = bed->seed;
	cfg.splice = t->ops == &target_fuse_splice;
	cfg.under_test_bed = 1;
	fflush(NULL);
	ft->pid = fork();
	if (ft->pid < 0) {
		errf(t->why, "fork of the FUSE daemon");
		return SETUP_BROKEN;
	}
	if (ft->pid == 0) {
		/* The daemon dies with the run, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		_exit(fused_main(&cfg));
	}
	for (i = 0; i < 500 && !mounted(ft->mnt); i++) {
		if (waitpid(ft->pid, &status, WNOHANG) == ft->pid) {
			ft->pid = 0;
			errno = 0;
			errf(t->why, "the FUSE daemon exited before mounting %s (status %#x)",
			     ft->mnt, status);
			return SETUP_BROKEN;
		}
		sleep_ms(10);
	}
	if (!mounted(ft->mnt)) {
		errno = ETIMEDOUT;
		errf(t->why, "the FUSE daemon did not mount %s", ft->mnt);
		return SETUP_BROKEN;
	}
	snprintf(t->info, sizeof(t->info), "FUSE daemon pid %d at %.200s, direct_io%s",
		 (int)ft->pid, ft->mnt, cfg.splice ? ", splice" : "");
	return SETUP_READY;
}

static void fuse_teardown(struct target *t)
{
	struct fuse_target *ft = t->priv;
	int i, status;

	if (!ft)
		return;
	if (ft->pid > 0) {
		if (umount2(ft->mnt, 0) < 0)
			umount2(ft->mnt, MNT_DETACH);
		kill(ft->pid, SIGTERM);
		for (i = 0; i < 300; i++) {
			if (waitpid(ft->pid, &status, WNOHANG) == ft->pid)
				break;
			sleep_ms(10);
		}
		if (i == 300) {
			kill(ft->pid, SIGKILL);
			waitpid(ft->pid, &status, 0);
		}
	}
	rmdir(ft->mnt);
	free(ft);
	t->priv = NULL;
}

static int ctl_command(struct fuse_target *ft, const char *cmd, char *err)
{
	int fd = open(ft->ctl, O_RDWR | O_CLOEXEC);
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

static int ctl_status(struct fuse_target *ft, char *out, size_t len, char *err)
{
	int fd = open(ft->ctl, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		errf(err, "open %s", ft->ctl);
		return -1;
	}
	n = pread(fd, out, len - 1, 0);
	close(fd);
	if (n < 0) {
		errf(err, "read %s", ft->ctl);
		return -1;
	}
	out[n] = 0;
	return 0;
}

static int fuse_io_expect(struct target *t, enum dir dir, off_t off, size_t len, uint64_t seed,
			  char *err)
{
	char cmd[128];

	if (ctl_command(t->priv, "reset", err) < 0)
		return -1;
	if (dir != DIR_WRITE)
		return 0;
	snprintf(cmd, sizeof(cmd), "expect %llu %lld %zu", (unsigned long long)seed,
		 (long long)off, len);
	return ctl_command(t->priv, cmd, err);
}

/* The daemon's view: the IO reached it, and every WRITE carried the right bytes. */
static int fuse_io_verdict(struct target *t, enum dir dir, struct strbuf *why)
{
	unsigned long reads, writes, mismatches;
	char status[1024], err[ERRLEN], *bad;

	if (ctl_status(t->priv, status, sizeof(status), err) < 0) {
		sb_addf(why, "fuse: daemon status: %s\n", err);
		return 1;
	}
	if (sscanf(status, "reads %lu writes %lu mismatches %lu", &reads, &writes,
		   &mismatches) != 3) {
		sb_addf(why, "fuse: daemon status unreadable: %s", status);
		return 1;
	}
	if (dir == DIR_READ && !reads) {
		sb_addf(why, "fuse: the read never reached the daemon (served from a cache?)\n");
		return 1;
	}
	if (dir == DIR_WRITE && !writes) {
		sb_addf(why, "fuse: the write never reached the daemon\n");
		return 1;
	}
	if (!mismatches)
		return 0;
	bad = strstr(status, "first_bad ");
	sb_addf(why, "fuse: the daemon received wrong bytes in %lu WRITE request%s: %s", mismatches,
		mismatches > 1 ? "s" : "", bad ? bad + 10 : status);
	return 1;
}

static int fuse_hold(struct target *t, enum dir dir, off_t off, char *err)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "hold %s %lld", dir == DIR_READ ? "read" : "write",
		 (long long)off);
	return ctl_command(t->priv, cmd, err);
}

static int fuse_held(struct target *t, char *err)
{
	char status[1024];

	if (ctl_status(t->priv, status, sizeof(status), err) < 0)
		return -1;
	return strstr(status, " held none ") ? 0 : 1;
}

static int fuse_release(struct target *t, char *err)
{
	return ctl_command(t->priv, "release", err);
}

const struct target_ops target_fuse = {
	.name = "fuse",
	.desc = "FUSE direct_io file of the test bed's daemon",
	.path = PATH_FUSE,
	.align = 512,
	.setup = fuse_setup,
	.teardown = fuse_teardown,
	.io_expect = fuse_io_expect,
	.io_verdict = fuse_io_verdict,
	.hold = fuse_hold,
	.held = fuse_held,
	.release = fuse_release,
};

const struct target_ops target_fuse_splice = {
	.name = "fuse-splice",
	.desc = "FUSE direct_io file, daemon using splice on /dev/fuse",
	.path = PATH_FUSE,
	.align = 512,
	.setup = fuse_setup,
	.teardown = fuse_teardown,
	.io_expect = fuse_io_expect,
	.io_verdict = fuse_io_verdict,
	.hold = fuse_hold,
	.held = fuse_held,
	.release = fuse_release,
};
