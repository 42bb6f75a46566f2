/* The targets served by the test bed's own FUSE daemon, every file opened
 * with FOPEN_DIRECT_IO (fs/fuse direct IO):
 *   fuse, fuse-splice  the file "data", daemon without and with splice on
 *                      /dev/fuse; the daemon checks every WRITE payload
 *   fuse-plain         the same file opened without O_DIRECT: the IO still
 *                      takes the direct path
 *   fuse-odirect       "data-cached", the same content without
 *                      FOPEN_DIRECT_IO, opened O_DIRECT: the page cache
 *                      path's ->direct_IO (fuse_direct_IO, async for AIO)
 *   loop-fuse          a loop device (loop direct IO on) over the file
 *                      "disk": block direct IO, then ITER_BVEC into FUSE
 *   ext4-fuse          a file on ext4 on that loop device
 * fuse and fuse-splice can hold a request, fail it, answer it short, and be
 * cut off (connection abort, daemon killed); they also serve the kernel's
 * own IO (ITER_KVEC): a #! script executed, process accounting records. */
#include "run.h"
#include "fused.h"
#include "loop.h"
#include "scratchfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/acct.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546
#define FUSECTL_DIR "/sys/fs/fuse/connections"
#define DISK_SIZE (64 * MiB)	/* loop-fuse's backing file: room for ext4-fuse */
#define CHILD_COMM "iovbed-acct"
#define ACCT_EXIT 7
#define CHILD_WAIT_MS 10000

struct fuse_target {
	pid_t pid;
	unsigned long conn;	/* the connection's number under FUSECTL_DIR */
	char mnt[PATH_MAX];
	char ctl[PATH_MAX + 8];
	char status[PATH_MAX + 16];	/* the daemon's status line, outside the mount */
	struct loopdev loop;	/* loop-fuse, ext4-fuse */
	char fsmnt[PATH_MAX];	/* ext4-fuse */
	int fs_mounted;
	int exec_status;	/* wait status of the executed script */
};

static int on_loop(const struct target_ops *o)
{
	return o == &target_loop_fuse || o == &target_ext4_fuse;
}

static int mounted(const char *mnt)
{
	struct statfs s;

	return statfs(mnt, &s) == 0 && s.f_type == FUSE_SUPER_MAGIC;
}

static enum setup_state start_daemon(struct target *t, struct bed *bed, struct fuse_target *ft)
{
	struct fused_config cfg;
	pid_t parent = getpid();
	struct stat sb;
	int i, status;

	if (pathf(ft->mnt, sizeof(ft->mnt), "%s/%s", bed->scratch.dir, t->ops->name) < 0 ||
	    pathf(ft->ctl, sizeof(ft->ctl), "%s/ctl", ft->mnt) < 0 ||
	    pathf(ft->status, sizeof(ft->status), "%s/%s.status", bed->scratch.dir,
		  t->ops->name) < 0) {
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
	cfg.disk_size = on_loop(t->ops) ? DISK_SIZE : 0;
	cfg.status_path = ft->status;
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
	if (!mounted(ft->mnt) || stat(ft->mnt, &sb) < 0) {
		errno = ETIMEDOUT;
		errf(t->why, "the FUSE daemon did not mount %s", ft->mnt);
		return SETUP_BROKEN;
	}
	/* fusectl names a connection by the kernel's dev_t of the mount */
	ft->conn = ((unsigned long)major(sb.st_dev) << 20) | minor(sb.st_dev);
	snprintf(t->info, sizeof(t->info), "FUSE daemon pid %d at %.200s, direct_io%s",
		 (int)ft->pid, ft->mnt, cfg.splice ? ", splice" : "");
	return SETUP_READY;
}

static enum setup_state fuse_setup(struct target *t, struct bed *bed)
{
	struct fuse_target *ft = calloc(1, sizeof(*ft));
	enum setup_state st;
	char disk[PATH_MAX + 8];
	int dio;

	if (!ft) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	ft->loop.fd = -1;
	t->priv = ft;
	st = start_daemon(t, bed, ft);
	if (st != SETUP_READY)
		return st;
	if (!on_loop(t->ops)) {
		if (pathf(t->path, sizeof(t->path), "%s/%s", ft->mnt,
			  t->ops == &target_fuse_odirect ? "data-cached" : "data") < 0) {
			errf(t->why, "FUSE data path");
			return SETUP_BROKEN;
		}
		if (t->ops->no_odirect)
			strncat(t->info, ", opened without O_DIRECT", sizeof(t->info) - strlen(t->info) - 1);
		if (t->ops == &target_fuse_odirect)
			snprintf(t->info, sizeof(t->info), "FUSE daemon pid %d, %.150s without "
				 "FOPEN_DIRECT_IO, opened O_DIRECT", (int)ft->pid, t->path);
		return SETUP_READY;
	}
	if (pathf(disk, sizeof(disk), "%s/disk", ft->mnt) < 0) {
		errf(t->why, "FUSE disk path");
		return SETUP_BROKEN;
	}
	if (loop_attach(&ft->loop, disk, 1, t->why) < 0)
		return SETUP_BROKEN;
	dio = loop_dio(&ft->loop);
	if (dio != 1) {
		snprintf(t->why, sizeof(t->why), "%s over the FUSE file %.200s: loop direct IO "
			 "requested but /sys/block/loop%d/loop/dio = %d", ft->loop.dev, disk,
			 ft->loop.nr, dio);
		return dio == 0 ? SETUP_SKIP : SETUP_BROKEN;
	}
	if (t->ops == &target_loop_fuse) {
		snprintf(t->path, sizeof(t->path), "%s", ft->loop.dev);
		t->blockdev = 1;
		snprintf(t->info, sizeof(t->info), "%s, loop dio on, over FUSE direct_io file %.180s",
			 ft->loop.dev, disk);
		return SETUP_READY;
	}
	if (pathf(ft->fsmnt, sizeof(ft->fsmnt), "%s/%s.fs", bed->scratch.dir, t->ops->name) < 0) {
		errf(t->why, "ext4-fuse mount path");
		return SETUP_BROKEN;
	}
	if (scratchfs_make_on("ext4", ft->loop.dev, ft->fsmnt, t->why) < 0)
		return SETUP_BROKEN;
	ft->fs_mounted = 1;
	snprintf(t->info, sizeof(t->info), "ext4 on %s (loop dio on) over FUSE direct_io file %.160s",
		 ft->loop.dev, disk);
	return target_file_in(t, ft->fsmnt);
}

static void fuse_teardown(struct target *t)
{
	struct fuse_target *ft = t->priv;

	if (!ft)
		return;
	if (ft->fs_mounted) {
		target_file_remove(t);
		unmount(ft->fsmnt);
	}
	if (*ft->fsmnt)
		rmdir(ft->fsmnt);
	if (ft->loop.fd >= 0)
		loop_detach(&ft->loop);
	if (*ft->mnt)
		unmount(ft->mnt);
	/* a daemon that ignores SIGTERM never runs its own cleanup: say so */
	if (ft->pid > 0 && stop_child(ft->pid))
		fprintf(stderr, "iovbed: test bed defect: the FUSE daemon of %s (pid %d) did not "
			"end on SIGTERM within 3 s and was killed\n", t->ops->name, (int)ft->pid);
	if (*ft->mnt)
		rmdir(ft->mnt);
	if (*ft->status)
		unlink(ft->status);
	free(ft);
	t->priv = NULL;
}

/* Commands go to the ctl file through the page cache (not pinned). */
static int ctl_command(struct fuse_target *ft, const char *cmd, char *err)
{
	int fd = open(ft->ctl, O_WRONLY | O_CLOEXEC);
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

/* The status line the daemon keeps outside the mount: reading it costs no
 * FUSE request and no pin, and works while the daemon is stuck. */
static int ctl_status(struct fuse_target *ft, char *out, size_t len, char *err)
{
	return read_file(ft->status, out, len, err) < 0 ? -1 : 0;
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

static int fuse_release(struct target *t, const char *how, char *err)
{
	return ctl_command(t->priv, how ? how : "release", err);
}

/* Cut the daemon off with a request in flight: abort the connection
 * through fusectl (mounted in our own mount namespace if it is not), or
 * SIGKILL the daemon (the kernel aborts the connection when /dev/fuse
 * closes). */
static int fuse_cut(struct target *t, enum action how, char *err)
{
	struct fuse_target *ft = t->priv;
	char path[128];
	int fd, status;

	if (how == ACT_KILL) {
		if (kill(ft->pid, SIGKILL) < 0) {
			errf(err, "kill -9 the FUSE daemon %d", (int)ft->pid);
			return -1;
		}
		waitpid(ft->pid, &status, 0);
		ft->pid = 0;
		return 0;
	}
	snprintf(path, sizeof(path), FUSECTL_DIR "/%lu/abort", ft->conn);
	if (access(path, W_OK) < 0 && mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL) < 0) {
		errf(err, "mount fusectl on " FUSECTL_DIR " (to abort connection %lu)", ft->conn);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, "open %s", path);
		return -1;
	}
	if (write(fd, "1", 1) != 1) {
		errf(err, "write 1 to %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* For a stuck case: the daemon's own status (from outside the mount: the
 * daemon may be the one stuck) and where its process sleeps. */
static void fuse_describe(struct target *t, struct strbuf *out)
{
	struct fuse_target *ft = t->priv;
	char path[64];

	if (!ft)
		return;
	sb_add_file(out, "daemon status", ft->status);
	if (ft->pid <= 0) {
		sb_addf(out, "daemon: not running\n");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)ft->pid);
	sb_add_file(out, "daemon wchan", path);
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)ft->pid);
	sb_add_file(out, "daemon stack", path);
}

/* Run a child to its end (or kill it after CHILD_WAIT_MS); its wait status. */
static int wait_child(pid_t pid, int *status, char *err)
{
	unsigned waited = 0;

	while (waitpid(pid, status, WNOHANG) == 0) {
		if (waited >= CHILD_WAIT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			errno = ETIMEDOUT;
			errf(err, "child %d did not finish in %u ms", (int)pid, CHILD_WAIT_MS);
			return -1;
		}
		sleep_ms(5);
		waited += 5;
	}
	return 0;
}

/* exec: the kernel reads the #! line of "script" itself (kernel_read into
 * the exec buffer: an ITER_KVEC direct read through FUSE). The line runs
 * env -S sh -c 'exit 42': no user space reads the file, so the exit status
 * proves the kernel got the right bytes, and the daemon's log shows the
 * request came. */
static int kio_exec(struct fuse_target *ft, int verify, struct strbuf *diag, char *err)
{
	char script[PATH_MAX + 8], log[FUSED_LOG_MAX + 1];

	pid_t pid;

	if (pathf(script, sizeof(script), "%s/script", ft->mnt) < 0) {
		errf(err, "script path");
		return -1;
	}
	if (!verify) {
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			errf(err, "fork");
			return -1;
		}
		if (pid == 0) {
			char *argv[] = { script, NULL }, *envp[] = { "PATH=/usr/bin:/bin", NULL };

			execve(script, argv, envp);
			_exit(127);
		}
		return wait_child(pid, &ft->exec_status, err);
	}
	if (!WIFEXITED(ft->exec_status) || WEXITSTATUS(ft->exec_status) != FUSED_SCRIPT_STATUS) {
		sb_addf(diag, "kvec: executing %s gave wait status %#x, expected exit %d "
			"(the #! line the kernel read was wrong, or the exec failed)\n", script,
			ft->exec_status, FUSED_SCRIPT_STATUS);
		return 1;
	}
	if (pathf(log, sizeof(log), "%s/log", ft->mnt) < 0 ||
	    read_file(log, log, sizeof(log), err) < 0)
		return -1;
	if (!strstr(log, "READ script off 0 ")) {
		sb_addf(diag, "kvec: the daemon saw no READ of script at offset 0 (the kernel's "
			"read of the #! line did not come through FUSE); its log: %s\n",
			*log ? log : "(empty)");
		return 1;
	}
	sb_addf(diag, "kvec: exit %d; daemon log: %s", FUSED_SCRIPT_STATUS, log);
	return 0;
}

/* acct: process accounting on to the file "acct"; a child named CHILD_COMM
 * exits with ACCT_EXIT; the kernel appends its record (__kernel_write: an
 * ITER_KVEC direct write through FUSE). */
static int kio_acct(struct fuse_target *ft, int verify, struct strbuf *diag, char *err)
{
	char path[PATH_MAX + 8], log[FUSED_LOG_MAX + 1];
	static char recs[64 * 1024];
	int status, n, i, found = 0;
	unsigned code = 0;
	pid_t pid;

	if (pathf(path, sizeof(path), "%s/acct", ft->mnt) < 0) {
		errf(err, "acct path");
		return -1;
	}
	if (!verify) {
		if (acct(path) < 0) {
			errf(err, "acct(%s)", path);
			return -1;
		}
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_NAME, CHILD_COMM);
			_exit(ACCT_EXIT);
		}
		n = pid < 0 ? -1 : wait_child(pid, &status, err);
		if (pid < 0)
			errf(err, "fork");
		if (acct(NULL) < 0 && n == 0) {
			errf(err, "acct(NULL)");
			n = -1;
		}
		return n;
	}
	n = read_file(path, recs, sizeof(recs), err);
	if (n < 0)
		return -1;
	for (i = 0; i + (int)sizeof(struct acct_v3) <= n; i += (int)sizeof(struct acct_v3)) {
		struct acct_v3 *a = (struct acct_v3 *)(recs + i);

		if (a->ac_version != 3) {
			sb_addf(diag, "kvec: acct record at %d has version %d, expected 3 (the "
				"kernel wrote wrong bytes)\n", i, a->ac_version);
			return 1;
		}
		if (!strncmp(a->ac_comm, CHILD_COMM, sizeof(a->ac_comm))) {
			/* the kernel records the exit code as a wait status */
			found = a->ac_exitcode == ACCT_EXIT << 8 ? 2 : 1;
			code = a->ac_exitcode;
		}
	}
	if (found != 2) {
		sb_addf(diag, "kvec: no acct record of %s with exit code %d in %d bytes (%s %u)\n",
			CHILD_COMM, ACCT_EXIT, n, found ? "a record with exit code" :
			"no record of the child", code);
		return 1;
	}
	if (pathf(log, sizeof(log), "%s/log", ft->mnt) < 0 ||
	    read_file(log, log, sizeof(log), err) < 0)
		return -1;
	if (!strstr(log, "WRITE acct ")) {
		sb_addf(diag, "kvec: the daemon saw no WRITE to acct; its log: %s\n",
			*log ? log : "(empty)");
		return 1;
	}
	sb_addf(diag, "kvec: %d bytes of acct records, %s's found; daemon log: %s", n, CHILD_COMM,
		log);
	return 0;
}

static int fuse_kernel_io(struct target *t, const char *engine, int verify, struct strbuf *diag,
			  char *err)
{
	struct fuse_target *ft = t->priv;

	if (!verify && ctl_command(ft, "reset", err) < 0)
		return -1;
	if (!strcmp(engine, "exec"))
		return kio_exec(ft, verify, diag, err);
	if (!strcmp(engine, "acct"))
		return kio_acct(ft, verify, diag, err);
	errno = 0;
	errf(err, "the FUSE target has no kernel IO named %s", engine);
	return -1;
}

/* What every target of the daemon shares; those serving "data" add the
 * daemon's verdict; fuse and fuse-splice can also hold and cut. */
#define FUSE_DAEMON						\
	.align = 512,						\
	.setup = fuse_setup,					\
	.teardown = fuse_teardown,				\
	.describe = fuse_describe
#define FUSE_DATA						\
	FUSE_DAEMON,						\
	.path = PATH_FUSE,					\
	.io_expect = fuse_io_expect,				\
	.io_verdict = fuse_io_verdict
#define FUSE_HOLDING						\
	FUSE_DATA,						\
	.hold = fuse_hold,					\
	.held = fuse_held,					\
	.release = fuse_release,				\
	.cut = fuse_cut,					\
	.kernel_io = fuse_kernel_io

const struct target_ops target_fuse = {
	.name = "fuse",
	.desc = "FUSE direct_io file of the test bed's daemon",
	FUSE_HOLDING,
};

const struct target_ops target_fuse_splice = {
	.name = "fuse-splice",
	.desc = "FUSE direct_io file, daemon using splice on /dev/fuse",
	FUSE_HOLDING,
};

const struct target_ops target_fuse_plain = {
	.name = "fuse-plain",
	.desc = "FUSE direct_io file opened without O_DIRECT",
	FUSE_DATA,
	.no_odirect = 1,
};

const struct target_ops target_fuse_odirect = {
	.name = "fuse-odirect",
	.desc = "FUSE file without FOPEN_DIRECT_IO, opened O_DIRECT (fuse_direct_IO)",
	FUSE_DATA,
};

const struct target_ops target_loop_fuse = {
	.name = "loop-fuse",
	.desc = "loop device (loop dio on) over a FUSE direct_io file",
	.path = PATH_BLOCK,
	FUSE_DAEMON,
};

const struct target_ops target_ext4_fuse = {
	.name = "ext4-fuse",
	.desc = "file on ext4 on a loop device over a FUSE direct_io file",
	.path = PATH_IOMAP,
	FUSE_DAEMON,
};
