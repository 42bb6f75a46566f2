/* The test bed's own kernel NFS server on 127.0.0.1. */
#include "nfs.h"
#include "run.h"
#include "scratchfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NFSD_FS "/proc/fs/nfsd"

static struct nfs_server srv;
static char run_dir[PATH_MAX];	/* where the state for a reclaim goes */

static int have_fs(const char *type)
{
	char buf[4096], want[64], err[ERRLEN];

	if (read_file("/proc/filesystems", buf, sizeof(buf), err) < 0)
		return 0;
	snprintf(want, sizeof(want), "\t%s\n", type);
	return strstr(buf, want) != NULL;
}

/* The filesystem type, loading its module if the kernel has it as one:
 * 1 it has it; 0 it has not (why says how that was found); -1 the test
 * bed cannot tell (why): modprobe is missing, which is no fact about the
 * kernel. */
static int kernel_has(const char *type, const char *module, char *why)
{
	char *argv[] = { "modprobe", (char *)module, NULL };
	char out[256], err[ERRLEN];

	if (have_fs(type))
		return 1;
	if (access("/proc/modules", F_OK) < 0) {
		snprintf(why, ERRLEN, "%s is not in /proc/filesystems and the kernel has no "
			 "loadable modules", type);
		return 0;
	}
	if (!have_command("modprobe")) {
		snprintf(why, ERRLEN, "%s is not in /proc/filesystems and modprobe is not "
			 "installed to load %s (Debian package kmod: ./install-deps.sh)", type, module);
		return -1;
	}
	if (run_cmd(argv, out, sizeof(out), err) == 0 && have_fs(type))
		return 1;
	snprintf(why, ERRLEN, "%s is not in /proc/filesystems and modprobe %s did not load it: "
		 "%.300s", type, module, *err ? err : "no error, still absent");
	return 0;
}

static enum setup_state need_fs(const char *type, const char *what, char *err)
{
	char why[ERRLEN];
	int has = kernel_has(type, type, why);

	if (has > 0)
		return SETUP_READY;
	snprintf(err, ERRLEN, "%s %s (%.400s)", has < 0 ? "cannot tell whether this kernel has"
		 : "this kernel has no", what, why);
	return has < 0 ? SETUP_BROKEN : SETUP_SKIP;
}

static const char *missing_tool(void)
{
	static const char *const tools[] = {
		"rpc.nfsd", "rpc.mountd", "exportfs", "rpcbind", "rpcinfo", "mount.nfs",
	};
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!have_command(tools[i]))
			return tools[i];
	return NULL;
}

/* A daemon in the foreground, as our child, its output to the log, in a
 * session of its own (a terminal's ^C reaches the run, which stops it in
 * order); its pid is kept for the reclaim of a killed run. */
static pid_t spawn(char *const argv[], const char *log, char *err)
{
	pid_t pid = fork();

	if (pid < 0) {
		errf(err, "fork for %s", argv[0]);
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t *pid)
{
	if (*pid > 0)
		stop_child(*pid);
	*pid = 0;
}

static int cmd(char *err, const char *what, char *const argv[])
{
	char out[1024];
	int rc = run_cmd(argv, out, sizeof(out), err);

	if (rc == 0)
		return 0;
	if (rc > 0) {
		char *nl = strrchr(out, '\n');

		if (nl && !nl[1])
			*nl = 0;
		snprintf(err, ERRLEN, "%s: exit %d: %.300s", what, rc, out);
	}
	return -1;
}

static int portmapper_answers(void)
{
	char *argv[] = { "rpcinfo", "-p", "127.0.0.1", NULL };
	char out[2048], err[ERRLEN];

	return run_cmd(argv, out, sizeof(out), err) == 0;
}

/* The NFSv4 grace period (90 s by default) would stall the first OPENs:
 * it and the lease go to their minimum, 10 s, while the server is ours. */
static void lower_to_10(const char *file, char *saved, size_t len, const char *key)
{
	char err[ERRLEN];

	if (read_file(file, saved, len, err) < 0) {
		*saved = 0;
		return;
	}
	/* what to put back if the run is killed */
	scratch_state_write(run_dir, key, atoll(saved));
	write_file(file, "10", err);
}

static void set_v4_times(void)
{
	lower_to_10(NFSD_FS "/nfsv4gracetime", srv.grace, sizeof(srv.grace), "nfs_grace");
	lower_to_10(NFSD_FS "/nfsv4leasetime", srv.lease, sizeof(srv.lease), "nfs_lease");
}

static void server_stop(void)
{
	char err[ERRLEN], spec[PATH_MAX + 16];

	if (srv.nfsd_up) {
		char *argv[] = { "rpc.nfsd", "0", NULL };

		cmd(err, "rpc.nfsd 0", argv);
		srv.nfsd_up = 0;
		scratch_state_write(run_dir, "nfs_nfsd", 0);
	}
	if (srv.exported) {
		char *argv[] = { "exportfs", "-u", spec, NULL };

		snprintf(spec, sizeof(spec), "127.0.0.1:%s", srv.export);
		cmd(err, "exportfs -u", argv);
		srv.exported = 0;
	}
	reap(&srv.mountd);
	reap(&srv.rpcbind);
	scratch_state_write(run_dir, "nfs_mountd", 0);
	scratch_state_write(run_dir, "nfs_rpcbind", 0);
	if (*srv.grace)
		write_file(NFSD_FS "/nfsv4gracetime", srv.grace, err);
	if (*srv.lease)
		write_file(NFSD_FS "/nfsv4leasetime", srv.lease, err);
	*srv.grace = *srv.lease = 0;
	scratch_state_write(run_dir, "nfs_grace", -1);
	scratch_state_write(run_dir, "nfs_lease", -1);
	if (srv.mounted_nfsdfs && umount2(NFSD_FS, 0) == 0)
		srv.mounted_nfsdfs = 0;
}

static enum setup_state server_start(struct bed *bed)
{
	char *err = srv.why, threads[32], spec[PATH_MAX + 16], e2[ERRLEN];
	const char *tool;
	struct scratchfs *fs;
	int i;

	enum setup_state st;

	snprintf(run_dir, sizeof(run_dir), "%s", bed->scratch.dir);
	st = need_fs("nfsd", "NFS server", err);
	if (st == SETUP_READY)
		st = need_fs("nfs", "NFS client", err);
	if (st != SETUP_READY)
		return st;
	tool = missing_tool();
	if (tool) {	/* the kernel has NFS: a missing tool is our set-up's fault */
		snprintf(err, ERRLEN, "%s is not installed (nfs-kernel-server, nfs-common, "
			 "rpcbind: ./install-deps.sh --vm)", tool);
		return SETUP_BROKEN;
	}
	if (read_file(NFSD_FS "/threads", threads, sizeof(threads), e2) < 0) {
		if (mount("nfsd", NFSD_FS, "nfsd", 0, NULL) < 0) {
			errf(err, "mount -t nfsd nfsd %s", NFSD_FS);
			return SETUP_BROKEN;
		}
		srv.mounted_nfsdfs = 1;
		if (read_file(NFSD_FS "/threads", threads, sizeof(threads), err) < 0)
			return SETUP_BROKEN;
	}
	if (atoi(threads) > 0) {
		snprintf(err, ERRLEN, "an NFS server already runs here (%d nfsd threads); "
			 "iovbed does not reconfigure it: give --nfs PATH --nfs-url URL",
			 atoi(threads));
		return SETUP_SKIP;
	}
	fs = scratchfs_get(&bed->scratch, "ext4", err);
	if (!fs)
		return SETUP_BROKEN;
	if (pathf(srv.export, sizeof(srv.export), "%s/nfs-export", fs->mnt) < 0 ||
	    pathf(srv.log, sizeof(srv.log), "%s/nfs-daemons.log", bed->scratch.dir) < 0) {
		errf(err, "nfs export path below %s", fs->mnt);
		return SETUP_BROKEN;
	}
	if (mkdir(srv.export, 0755) < 0 && errno != EEXIST) {
		errf(err, "mkdir %s", srv.export);
		return SETUP_BROKEN;
	}
	if (!portmapper_answers()) {
		char *argv[] = { "rpcbind", "-f", NULL };

		srv.rpcbind = spawn(argv, srv.log, err);
		if (srv.rpcbind < 0)
			return SETUP_BROKEN;
		scratch_state_write(run_dir, "nfs_rpcbind", srv.rpcbind);
		for (i = 0; i < 100 && !portmapper_answers(); i++)
			sleep_ms(50);
		if (i == 100) {
			snprintf(err, ERRLEN, "rpcbind did not answer on 127.0.0.1 within 5 s "
				 "(log %.300s)", srv.log);
			return SETUP_BROKEN;
		}
	}
	set_v4_times();
	snprintf(spec, sizeof(spec), "127.0.0.1:%s", srv.export);
	{
		char *argv[] = { "exportfs", "-i", "-o",
				 "rw,sync,no_root_squash,insecure,no_subtree_check,fsid=0",
				 spec, NULL };

		if (cmd(err, "exportfs", argv) < 0)
			return SETUP_BROKEN;
		srv.exported = 1;
	}
	{
		char *argv[] = { "rpc.mountd", "-F", NULL };

		srv.mountd = spawn(argv, srv.log, err);
		if (srv.mountd < 0)
			return SETUP_BROKEN;
		scratch_state_write(run_dir, "nfs_mountd", srv.mountd);
	}
	{
		char *argv[] = { "rpc.nfsd", "-H", "127.0.0.1", "4", NULL };

		scratch_state_write(run_dir, "nfs_nfsd", 1);
		if (cmd(err, "rpc.nfsd -H 127.0.0.1 4", argv) < 0)
			return SETUP_BROKEN;
		srv.nfsd_up = 1;
	}
	return SETUP_READY;
}

enum setup_state nfs_server_get(struct bed *bed, char *why)
{
	if (srv.state == SETUP_NONE) {
		srv.state = server_start(bed);
		if (srv.state != SETUP_READY)
			server_stop();
	}
	if (srv.state != SETUP_READY) {
		snprintf(why, ERRLEN, "%s", srv.why);
		return srv.state;
	}
	srv.users++;
	return SETUP_READY;
}

void nfs_server_put(void)
{
	if (srv.users > 0 && --srv.users == 0) {
		server_stop();
		srv.state = SETUP_NONE;
	}
}

const char *nfs_server_export(void)
{
	return srv.export;
}

/* A daemon the killed run started, if that pid is still one of ours. */
static pid_t dead_runs_daemon(const char *dir, const char *key, const char *comm)
{
	long long pid = scratch_state_read(dir, key);
	char p[64], c[64], err[ERRLEN];

	if (pid <= 1)
		return 0;
	snprintf(p, sizeof(p), "/proc/%lld/comm", pid);
	if (read_file(p, c, sizeof(c), err) < 0 || strncmp(c, comm, strlen(comm)))
		return 0;
	return (pid_t)pid;
}

/* The killed run's mounts live in its mount namespace, which its daemons
 * keep: a discard case may have left its ext4 frozen; thaw it there. */
static void thaw_in(pid_t pid, const char *dir, struct strbuf *log)
{
	char p[PATH_MAX + 64];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/root%s/ext4", (int)pid, dir);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (ioctl(fd, FITHAW, 0) == 0 && log)
		sb_addf(log, "reclaim: thawed %s/ext4 (frozen by a discard case)\n", dir);
	close(fd);
}

static void kill_wait(pid_t pid, const char *what, struct strbuf *log)
{
	char p[64];
	int i;

	if (!pid)
		return;
	if (log)
		sb_addf(log, "reclaim: stop %s (pid %d)\n", what, (int)pid);
	kill(pid, SIGTERM);
	snprintf(p, sizeof(p), "/proc/%d", (int)pid);
	for (i = 0; i < 100 && access(p, F_OK) == 0; i++)
		sleep_ms(100);
	if (i == 100)
		kill(pid, SIGKILL);
}

void nfs_reclaim(const char *dir, struct strbuf *log)
{
	pid_t rpcbind = dead_runs_daemon(dir, "nfs_rpcbind", "rpcbind");
	pid_t mountd = dead_runs_daemon(dir, "nfs_mountd", "rpc.mountd");

	char line[PATH_MAX + 256], path[PATH_MAX], spec[PATH_MAX + 16], err[ERRLEN];
	long long nfsd = scratch_state_read(dir, "nfs_nfsd");
	long long grace = scratch_state_read(dir, "nfs_grace");
	long long lease = scratch_state_read(dir, "nfs_lease");
	size_t dl = strlen(dir);
	FILE *f;

	/* first the namespace: its NFS mounts go while the server still
	 * answers, then the server */
	if (rpcbind || mountd)
		thaw_in(rpcbind ? rpcbind : mountd, dir, log);
	kill_wait(mountd, "rpc.mountd", log);
	kill_wait(rpcbind, "rpcbind", log);
	f = fopen("/var/lib/nfs/etab", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s", path) != 1 || strncmp(path, dir, dl) || path[dl] != '/')
			continue;
		{
			char *argv[] = { "exportfs", "-u", spec, NULL };

			snprintf(spec, sizeof(spec), "127.0.0.1:%s", path);
			if (log)
				sb_addf(log, "reclaim: exportfs -u %s\n", spec);
			cmd(err, "exportfs -u", argv);
		}
	}
	if (f)
		fclose(f);
	if (nfsd == 1) {
		char *argv[] = { "rpc.nfsd", "0", NULL };

		if (log)
			sb_addf(log, "reclaim: rpc.nfsd 0 (the killed run started the NFS server)\n");
		cmd(err, "rpc.nfsd 0", argv);
	}
	if (grace > 0 || lease > 0) {
		char v[32];
		int mounted = 0;

		if (access(NFSD_FS "/nfsv4gracetime", F_OK) < 0)
			mounted = mount("nfsd", NFSD_FS, "nfsd", 0, NULL) == 0;

		snprintf(v, sizeof(v), "%lld", grace);
		if (grace > 0)
			write_file(NFSD_FS "/nfsv4gracetime", v, err);
		snprintf(v, sizeof(v), "%lld", lease);
		if (lease > 0)
			write_file(NFSD_FS "/nfsv4leasetime", v, err);
		if (log)
			sb_addf(log, "reclaim: nfsv4 grace %lld s, lease %lld s put back\n", grace, lease);
		if (mounted)
			umount2(NFSD_FS, 0);
	}
}
