/* Scratch directory, reclaim of killed runs, signals, machine-wide locks. */
#include "scratch.h"
#include "loop.h"
#include "swapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
/* Machine-wide locks: every run takes them, whatever its --scratch. */
#define LOCK_DIR "/run/lock"

volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int private_mount_ns(char *err)
{
	if (unshare(CLONE_NEWNS) < 0) {
		errf(err, "unshare(CLONE_NEWNS)");
		return -1;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		if (errno == EINVAL) {	/* / is not a mount: a chroot */
			errf(err, "mount --make-rprivate /: / is not a mount point here (a chroot?), "
			     "so iovbed cannot keep its mounts private to the run; run it outside "
			     "the chroot, or make the chroot's root a mount first (mount --bind "
			     "DIR DIR, then chroot DIR)");
			return -1;
		}
		errf(err, "mount --make-rprivate /");
		return -1;
	}
	return 0;
}

static int lock_path(const char *path, int nonblock, char *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		errf(err, "open %s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		if (errno != EWOULDBLOCK)
			errf(err, "flock %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

void scratch_state_write(const char *dir, const char *key, long long v)
{
	char path[PATH_MAX + 64], val[32];
	FILE *f;

	if (*dir != '/')	/* never a relative path: only a run directory */
		return;
	snprintf(path, sizeof(path), "%s/state.%s", dir, key);
	snprintf(val, sizeof(val), "%lld\n", v);
	f = fopen(path, "we");
	if (!f)
		return;
	fputs(val, f);
	fclose(f);
}

long long scratch_state_read(const char *dir, const char *key)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/state.%s", dir, key);
	return read_ll(path, NULL);
}

static int hugetlb_adjust(long delta, long *got, char *err)
{
	char path[PATH_MAX + 32], val[32];
	long long before, after;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/iovbed-sysctl.lock", LOCK_DIR);
	fd = lock_path(path, 0, err);
	if (fd < 0)
		return -1;
	before = read_ll(NR_HUGEPAGES, err);
	if (before < 0)
		goto out;
	if (before + delta < 0)
		delta = -before;
	snprintf(val, sizeof(val), "%lld", before + delta);
	if (write_file(NR_HUGEPAGES, val, err) < 0)
		goto out;
	after = read_ll(NR_HUGEPAGES, err);
	if (after < 0)
		goto out;
	*got = after - before;
	ret = 0;
out:
	close(fd);
	return ret;
}

int hugetlb_reserve(struct scratch *s, long pages, char *err)
{
	long got = 0;
	int ret = hugetlb_adjust(pages, &got, err);

	if (ret == 0) {
		s->hugetlb_added += got;
		scratch_state_write(s->dir, "hugetlb_added", s->hugetlb_added);
	}
	return ret;
}

void hugetlb_release(struct scratch *s)
{
	long got;

	if (s->hugetlb_added <= 0)
		return;
	if (hugetlb_adjust(-s->hugetlb_added, &got, NULL) == 0) {
		s->hugetlb_added = 0;
		scratch_state_write(s->dir, "hugetlb_added", 0);
	}
}

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0);
}

/* Unmount everything mounted at or below dir, deepest first. */
static void unmount_below(const char *dir, struct strbuf *log)
{
	for (int pass = 0; pass < 16; pass++) {
		char line[4096], mnt[4096], found[4096] = "";
		FILE *f = fopen("/proc/self/mountinfo", "re");

		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && under(mnt, dir) &&
			    strlen(mnt) >= strlen(found))
				snprintf(found, sizeof(found), "%s", mnt);
		fclose(f);
		if (!*found)
			return;
		if (log)
			sb_addf(log, "reclaim: unmount %s\n", found);
		if (umount2(found, MNT_DETACH) < 0)
			return;
	}
}

static void reclaim_one(const char *dir, reclaim_fn *const *hooks, struct strbuf *log)
{
	long long added = scratch_state_read(dir, "hugetlb_added");
	long got;

	if (added > 1024)	/* no run reserves that many: not a state we wrote */
		added = 0;

	/* first the plugins' own (an NFS export holds the filesystem below) */
	for (; hooks && *hooks; hooks++)
		(*hooks)(dir, log);
	swap_off_below(dir, log);	/* a stress run's swap file */
	unmount_below(dir, log);
	loop_detach_below(dir, log);
	if (added > 0 && hugetlb_adjust(-added, &got, NULL) == 0 && log)
		sb_addf(log, "reclaim: gave back %lld hugetlb pages\n", added);
	if (rm_rf(dir) < 0 && log)
		sb_addf(log, "reclaim: could not remove all of %s\n", dir);
}

int scratch_reclaim(const char *base, reclaim_fn *const *hooks, struct strbuf *log)
{
	struct dirent *de;
	DIR *d = opendir(base);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char dir[PATH_MAX], lock[PATH_MAX + 8];
		int fd;

		if (strncmp(de->d_name, "run.", 4))
			continue;
		/* A run creates its directory a moment before it locks it. Our own
		 * pid's directory can only be a dead run's (pid reuse). */
		if (atoi(de->d_name + 4) != getpid() &&
		    (kill(atoi(de->d_name + 4), 0) == 0 || errno != ESRCH))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		snprintf(lock, sizeof(lock), "%s/lock", dir);
		fd = lock_path(lock, 1, NULL);
		if (fd < 0)
			continue;	/* a live run holds it */
		if (log)
			sb_addf(log, "reclaim: %s was left by a killed run\n", dir);
		reclaim_one(dir, hooks, log);
		close(fd);
		n++;
	}
	closedir(d);
	return n;
}

/* The base must be a real directory that only root can write: everything
 * below it is created, truncated, mounted and removed by root. */
static int base_trusted(const char *base, char *err)
{
	struct stat st;

	if (lstat(base, &st) < 0) {
		errf(err, "scratch base %s", base);
		return -1;
	}
	errno = 0;
	if (!S_ISDIR(st.st_mode)) {
		errf(err, "scratch base %s is not a directory (a symlink?): refusing it", base);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		errf(err, "scratch base %s is not owned by root or is writable by others "
		     "(uid %u, mode %o): refusing it", base, st.st_uid, st.st_mode & 07777);
		return -1;
	}
	return 0;
}

int scratch_open(struct scratch *s, const char *base, reclaim_fn *const *hooks,
		 struct strbuf *log, char *err)
{
	char lock[PATH_MAX + 8], real[PATH_MAX];

	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	if (mkdir_p(base, err) < 0)
		return -1;
	/* Reclaim compares paths with mountinfo and loop backing files. */
	if (!realpath(base, real)) {
		errf(err, "realpath %s", base);
		return -1;
	}
	if (pathf(s->base, sizeof(s->base), "%s", real) < 0) {
		errf(err, "scratch base %s", real);
		return -1;
	}
	if (base_trusted(s->base, err) < 0)
		return -1;
	scratch_reclaim(s->base, hooks, log);
	if (pathf(s->dir, sizeof(s->dir), "%s/run.%d", s->base, (int)getpid()) < 0) {
		errf(err, "scratch directory %s", s->base);
		*s->dir = 0;
		return -1;
	}
	/* Ours alone: made here, so nobody can have planted anything in it. */
	if (mkdir(s->dir, 0700) < 0) {
		errf(err, "mkdir %s", s->dir);
		*s->dir = 0;	/* not ours: scratch_close must not remove it */
		return -1;
	}
	snprintf(lock, sizeof(lock), "%s/lock", s->dir);
	s->lockfd = lock_path(lock, 1, err);
	if (s->lockfd < 0) {
		if (!*err)
			snprintf(err, ERRLEN, "%.400s is locked by another run", s->dir);
		*s->dir = 0;
		return -1;
	}
	return 0;
}

void scratch_close(struct scratch *s)
{
	if (!*s->dir)
		return;
	hugetlb_release(s);
	swap_off_below(s->dir, NULL);
	unmount_below(s->dir, NULL);
	rm_rf(s->dir);
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
	*s->dir = 0;
}

int pinlock_open(char *err)
{
	char path[PATH_MAX + 16];
	int fd;

	if (mkdir_p(LOCK_DIR, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/iovbed-pins.lock", LOCK_DIR);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		errf(err, "open %s", path);
	return fd;
}

void pinlock(int fd)
{
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

void pinunlock(int fd)
{
	flock(fd, LOCK_UN);
}
