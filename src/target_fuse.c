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
 *   ext4-fuse, xfs-fuse, btrfs-fuse, btrfs-fuse-nodatasum
 *                      a file on that filesystem on such a loop device:
 *                      iomap direct IO, then the loop's BVEC into FUSE
 * fuse and fuse-splice can hold a request, fail it, answer it short, and be
 * cut off (connection abort, daemon killed); they also serve the kernel's
 * own IO (ITER_KVEC): a #! script executed, process accounting records.
 * The loop rows can be held, failed, shortened and cut off the same way
 * below the block layer: the daemon holds every request on "disk" that
 * carries the case's data (found by its pattern words, whatever the
 * filesystem's layout), while the block layer or iomap holds the user's
 * pages. */
#include "target_fuse.h"
#include "fused.h"
#include "loop.h"
#include "scratchfs.h"
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546
#define FUSECTL_DIR "/sys/fs/fuse/connections"
#define DISK_SIZE (64 * MiB)	/* loop-fuse's backing file: room for ext4-fuse */


/* The row's own settings. */
struct fuse_cfg {
	int splice;		/* the daemon uses splice on /dev/fuse */
	const char *file;	/* the file of the daemon the target opens */
	int loop;		/* a loop device (dio on) over the file "disk" */
	const char *fs;		/* ... with this scratch filesystem recipe on it: a file there */
	int probe_csum;		/* ... btrfs with checksums: are its writes direct? */
	size_t disk_size;	/* the disk's size, if not DISK_SIZE (mkfs minimums) */
};

static const struct fuse_cfg *cfg_of(const struct target *t)
{
	return t->ops->cfg;
}

static int mounted(const char *mnt)
{
	struct statfs s;

	return statfs(mnt, &s) == 0 && s.f_type == FUSE_SUPER_MAGIC;
}

static enum setup_state start_daemon(struct target *t, struct env *env, struct fuse_target *ft)
{
	struct fused_config cfg;
	pid_t parent = getpid();
	struct stat sb;
	int i, status;

	if (pathf(ft->mnt, sizeof(ft->mnt), "%s/%s", env->scratch->dir, t->ops->name) < 0 ||
	    pathf(ft->ctl, sizeof(ft->ctl), "%s/ctl", ft->mnt) < 0 ||
	    pathf(ft->status, sizeof(ft->status), "%s/%s.status", env->scratch->dir,
		  t->ops->name) < 0) {
		errf(t->why, "FUSE mount point path");
		return SETUP_BROKEN;
	}
	if (mkdir_p(ft->mnt, t->why) < 0)
		return SETUP_BROKEN;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mountpoint = ft->mnt;
	cfg.size = t->write_base + t->region;
	cfg.seed = env->seed;
	cfg.splice = cfg_of(t)->splice;
	cfg.under_test_bed = 1;
	cfg.disk_size = !cfg_of(t)->loop ? 0 : cfg_of(t)->disk_size ? cfg_of(t)->disk_size : DISK_SIZE;
	cfg.status_path = ft->status;
	cfg.detach_below = env->scratch->dir;
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

/* fuse, fuse-splice, fuse-plain, fuse-odirect: a file of the daemon. */
static enum setup_state fuse_file(struct target *t, struct fuse_target *ft)
{
	if (pathf(t->path, sizeof(t->path), "%s/%s", ft->mnt, cfg_of(t)->file) < 0) {
		errf(t->why, "FUSE data path");
		return SETUP_BROKEN;
	}
	if (t->ops->no_odirect)
		strncat(t->info, ", opened without O_DIRECT", sizeof(t->info) - strlen(t->info) - 1);
	if (strcmp(cfg_of(t)->file, "data"))
		snprintf(t->info, sizeof(t->info), "FUSE daemon pid %d, %.150s without "
			 "FOPEN_DIRECT_IO, opened O_DIRECT", (int)ft->pid, t->path);
	return SETUP_READY;
}

/* btrfs with data checksums: does this kernel write such files direct or
 * through the page cache? Measured where its iomap direct IO pins (else
 * pins cannot tell); the target's rule follows, and its line says it. */
static int probe_csum(struct target *t, struct env *env, struct fuse_target *ft)
{
	int copied;

	if (!profile_pins_at(&env->running, PATH_IOMAP)) {
		snprintf(t->measured, sizeof(t->measured), "checksummed writes not probed: iomap "
			 "direct IO takes no pins on %d.%d, so pins cannot tell", env->running.major,
			 env->running.minor);
		return 0;
	}
	copied = btrfs_probe_csum_writes(ft->fsmnt, t->measured, sizeof(t->measured), t->why);
	if (copied < 0)
		return -1;
	if (copied)
		t->found.pins_rule = btrfs_copied_writes_rule;
	return 0;
}

/* loop-fuse: the loop device over the daemon's "disk"; ext4-fuse and the
 * others: a file on their filesystem on that loop device. */
static enum setup_state fuse_loop(struct target *t, struct fuse_target *ft, struct env *env)
{
	char disk[PATH_MAX + 8];
	int dio;

	if (pathf(disk, sizeof(disk), "%s/disk", ft->mnt) < 0) {
		errf(t->why, "FUSE disk path");
		return SETUP_BROKEN;
	}
	if (loop_attach(&ft->loop, disk, 1, t->why) < 0)
		return SETUP_BROKEN;
	snprintf(t->dev, sizeof(t->dev), "%s", ft->loop.dev);
	dio = loop_dio(&ft->loop);
	if (dio != 1) {
		snprintf(t->why, sizeof(t->why), "%s over the FUSE file %.200s: loop direct IO "
			 "requested but /sys/block/loop%d/loop/dio = %d", ft->loop.dev, disk,
			 ft->loop.nr, dio);
		return dio == 0 ? SETUP_SKIP : SETUP_BROKEN;
	}
	if (!cfg_of(t)->fs) {
		snprintf(t->path, sizeof(t->path), "%s", ft->loop.dev);
		t->blockdev = 1;
		snprintf(t->info, sizeof(t->info), "%s, loop dio on, over FUSE direct_io file %.180s",
			 ft->loop.dev, disk);
		return SETUP_READY;
	}
	if (pathf(ft->fsmnt, sizeof(ft->fsmnt), "%s/%s.fs", env->scratch->dir, t->ops->name) < 0) {
		errf(t->why, "%s mount path", t->ops->name);
		return SETUP_BROKEN;
	}
	if (scratchfs_make_on(cfg_of(t)->fs, ft->loop.dev, ft->fsmnt, t->why) < 0)
		return SETUP_BROKEN;
	ft->fs_mounted = 1;
	ft->fs = cfg_of(t)->fs;
	snprintf(t->info, sizeof(t->info), "%s on %s (loop dio on) over FUSE direct_io file %.160s",
		 cfg_of(t)->fs, ft->loop.dev, disk);
	if (cfg_of(t)->probe_csum && probe_csum(t, env, ft) < 0)
		return SETUP_BROKEN;
	return target_file_in(t, ft->fsmnt);
}

static enum setup_state fuse_setup(struct target *t, struct env *env)
{
	struct fuse_target *ft;
	enum setup_state st;

#ifndef HAVE_FUSE3
	return built_without("libfuse3", "fuse3", t->why);
#endif
	ft = calloc(1, sizeof(*ft));
	if (!ft) {
		errf(t->why, "calloc");
		return SETUP_BROKEN;
	}
	ft->loop.fd = -1;
	ft->seed = env->seed;
	t->priv = ft;
	st = start_daemon(t, env, ft);
	if (st != SETUP_READY)
		return st;
	return cfg_of(t)->loop ? fuse_loop(t, ft, env) : fuse_file(t, ft);
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

static int fuse_io_expect(struct target *t, const struct io_plan *p, char *err)
{
	char cmd[128];

	if (fuse_ctl(t->priv, "reset", err) < 0)
		return -1;
	if (p->dir != DIR_WRITE)
		return 0;
	snprintf(cmd, sizeof(cmd), "expect %llu %lld %zu", (unsigned long long)p->seed,
		 (long long)p->off, p->len);
	return fuse_ctl(t->priv, cmd, err);
}

/* The daemon's view: the IO reached it, and every WRITE carried the right bytes. */
static int fuse_io_verdict(struct target *t, enum dir dir, size_t n, struct strbuf *why)
{
	unsigned long reads, writes, mismatches;
	char status[1024], err[ERRLEN], *bad;

	(void)n;	/* the daemon checks what each WRITE brought */
	if (fuse_status(t->priv, status, sizeof(status), err) < 0) {
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

/* "data" holds the request at the IO's offset; the loop rows every
 * request on "disk" carrying a word of the IO's data. */
static int fuse_hold(struct target *t, const struct io_plan *p, char *err)
{
	struct fuse_target *ft = t->priv;
	const char *op = p->dir == DIR_READ ? "read" : "write";
	char cmd[128];

	if (cfg_of(t)->loop) {
		ft->words_due = p->len / 8;
		snprintf(cmd, sizeof(cmd), "hold-disk %s %llu %lld %zu", op,
			 (unsigned long long)p->seed, (long long)p->off, p->len);
	} else {
		snprintf(cmd, sizeof(cmd), "hold %s %lld", op, (long long)p->off);
	}
	return fuse_ctl(ft, cmd, err);
}

/* Held: the data's request, or on disk every word of the IO's data. */
static int fuse_held(struct target *t, struct strbuf *what, char *err)
{
	struct fuse_target *ft = t->priv;
	unsigned long words = 0;
	unsigned nheld = 0;
	char status[1024], op[8] = "";
	const char *d;
	long long off = 0;

	if (fuse_status(ft, status, sizeof(status), err) < 0)
		return -1;
	d = strstr(status, " disk-held ");
	if (!d || sscanf(d, " disk-held %u words %lu", &nheld, &words) != 2 ||
	    !strstr(status, " held ") || sscanf(strstr(status, " held "), " held %7s %lld", op, &off) != 2) {
		errno = 0;
		errf(err, "the FUSE daemon's status line is unreadable: %.200s", status);
		return -1;
	}
	if (cfg_of(t)->loop) {
		if (words < ft->words_due)
			return 0;
		sb_addf(what, "the daemon holds %u request%s on its disk file, carrying all %lu "
			"words of the IO's data", nheld, nheld == 1 ? "" : "s", words);
		return 1;
	}
	if (!strcmp(op, "none"))
		return 0;
	sb_addf(what, "the daemon holds the %s of its data file at %lld", op, off);
	return 1;
}

static int fuse_release(struct target *t, const char *how, char *err)
{
	return fuse_ctl(t->priv, how ? how : "release", err);
}

/* Cut the daemon off with a request in flight: abort the connection
 * through fusectl (mounted in our own mount namespace if it is not), or
 * SIGKILL the daemon (the kernel aborts the connection when /dev/fuse
 * closes). */
static int fuse_cut(struct target *t, const char *how, char *err)
{
	struct fuse_target *ft = t->priv;
	char path[128];
	int fd, status;

	if (!strcmp(how, "kill")) {
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

static const struct kernel_io *const fuse_kernel_io[] = {
	&kio_exec, &kio_acct, &kio_finit_module, NULL,
};
static const struct kernel_io *const fuse_file_kernel_io[] = { &kio_finit_module, NULL };
static const struct kernel_io *const fuse_disk_fs_kernel_io[] = {
	&kio_finit_module, &kio_fsck, &kio_fsck_damaged, NULL,
};

#define NO_PEER_FUSE "copy_file_range needs a peer file beside the target's: the FUSE " \
	"daemon serves fixed files"

/* What every target of the daemon shares; those serving "data" add the
 * daemon's verdict; fuse and fuse-splice can also hold and cut. */
#define FUSE_DAEMON						\
	.setup = fuse_setup,					\
	.teardown = fuse_teardown,				\
	.describe = fuse_describe
#define FUSE_DATA						\
	FUSE_DAEMON,						\
	.align = 512,						\
	.path = PATH_FUSE,					\
	.no_peer = NO_PEER_FUSE,				\
	.io_expect = fuse_io_expect,				\
	.io_verdict = fuse_io_verdict
#define LOOP_RETRIES "the loop device re-issues the rest of a read its backing file " \
	"answered short (lo_complete_rq): the caller gets it all"
#define LOOP_SHORT_WRITE "the loop device's backing IO is async: FUSE turns a short answer to " \
	"an async direct write into EIO (fuse_get_res_by_io) and loop fails the request"
#define FUSE_SHORT_WRITE "an async direct write (io_uring, libaio) answered short is EIO to " \
	"FUSE (fuse_get_res_by_io); a synchronous one returns the short count"
#define FUSE_HOLDS						\
	.hold = fuse_hold,					\
	.held = fuse_held,					\
	.release = fuse_release,				\
	.cut = fuse_cut
#define FUSE_HOLDING						\
	FUSE_DATA,						\
	FUSE_HOLDS,						\
	.short_write_async_eio = FUSE_SHORT_WRITE,		\
	.kernel_io = fuse_kernel_io
/* A filesystem on a loop device over the daemon's disk. */
#define FUSE_DISK_FS						\
	.path = PATH_IOMAP,					\
	.short_read_retried = LOOP_RETRIES,			\
	.short_write_eio = LOOP_SHORT_WRITE,			\
	.file_changes = 1,					\
	FUSE_DAEMON,						\
	FUSE_HOLDS,						\
	.kernel_io = fuse_disk_fs_kernel_io

const struct target_ops target_fuse = {
	.name = "fuse",
	.desc = "FUSE direct_io file of the test bed's daemon",
	FUSE_HOLDING,
	.cfg = &(const struct fuse_cfg){ .file = "data" },
};

const struct target_ops target_fuse_splice = {
	.name = "fuse-splice",
	.desc = "FUSE direct_io file, daemon using splice on /dev/fuse",
	FUSE_HOLDING,
	.cfg = &(const struct fuse_cfg){ .splice = 1, .file = "data" },
};

const struct target_ops target_fuse_plain = {
	.name = "fuse-plain",
	.desc = "FUSE direct_io file opened without O_DIRECT",
	FUSE_DATA,
	.no_odirect = 1,
	.kernel_io = fuse_file_kernel_io,
	.cfg = &(const struct fuse_cfg){ .file = "data" },
};

const struct target_ops target_fuse_odirect = {
	.name = "fuse-odirect",
	.desc = "FUSE file without FOPEN_DIRECT_IO, opened O_DIRECT (fuse_direct_IO)",
	FUSE_DATA,
	.kernel_io = fuse_file_kernel_io,
	.cfg = &(const struct fuse_cfg){ .file = "data-cached" },
};

const struct target_ops target_loop_fuse = {
	.name = "loop-fuse",
	.desc = "loop device (loop dio on) over a FUSE direct_io file",
	.path = PATH_BLOCK,
	.align = 512,
	.no_peer = NO_PEER_BLOCK,
	.short_read_retried = LOOP_RETRIES,
	.short_write_eio = LOOP_SHORT_WRITE,
	FUSE_DAEMON,
	FUSE_HOLDS,
	.cfg = &(const struct fuse_cfg){ .loop = 1 },
};

const struct target_ops target_ext4_fuse = {
	.name = "ext4-fuse",
	.desc = "file on ext4 on a loop device over a FUSE direct_io file",
	FUSE_DISK_FS,
	.align = 512,
	.cfg = &(const struct fuse_cfg){ .loop = 1, .fs = "ext4" },
};

/* Their plain IO is the xfs and btrfs rows' path: by default they run it
 * held (ext4-fuse, older, runs both). */
#define HELD_BY_DEFAULT "by default only its held IO runs: its plain IO is the path of the " \
	"filesystem's own row"

const struct target_ops target_xfs_fuse = {
	.name = "xfs-fuse",
	.desc = "file on xfs on a loop device over a FUSE direct_io file",
	FUSE_DISK_FS,
	.held_by_default = HELD_BY_DEFAULT,
	.align = 512,
	.cfg = &(const struct fuse_cfg){ .loop = 1, .fs = "xfs", .disk_size = 320 * MiB },
};

/* btrfs as on target_fs.c's btrfs row, with and without data checksums. */
const struct target_ops target_btrfs_fuse = {
	.name = "btrfs-fuse",
	.desc = "file on btrfs (data checksums) on a loop device over a FUSE direct_io file",
	FUSE_DISK_FS,
	.held_by_default = HELD_BY_DEFAULT,
	.align = 4096,
	.align_why = BTRFS_ALIGN_WHY,
	.fault_drops_pins = BTRFS_NOFAULT,
	.pins_expected = btrfs_pins_rule,
	.cfg = &(const struct fuse_cfg){ .loop = 1, .fs = "btrfs-datasum", .disk_size = 256 * MiB,
					 .probe_csum = 1 },
};

const struct target_ops target_btrfs_fuse_nodatasum = {
	.name = "btrfs-fuse-nodatasum",
	.desc = "file on btrfs, nodatasum, on a loop device over a FUSE direct_io file",
	FUSE_DISK_FS,
	.held_by_default = HELD_BY_DEFAULT,
	.align = 4096,
	.align_why = BTRFS_ALIGN_WHY,
	.fault_drops_pins = BTRFS_NOFAULT,
	.pins_expected = btrfs_pins_rule,
	.cfg = &(const struct fuse_cfg){ .loop = 1, .fs = "btrfs", .disk_size = 256 * MiB },
};
