/* pressure: the run's process in a cgroup v2 child of its own whose
 * memory.high is pulled below what the run uses, now and then, so the
 * kernel reclaims its page cache and (with the run's swap file) its
 * anonymous buffers while IO is in flight. Needs the memory controller on
 * the cgroup v2 hierarchy; where it is bound to cgroup v1 (this project's
 * host) it is skipped, saying so. The child is removed at the end, and by
 * the next run's reclaim if the run was killed. */
#include "disturb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLOOR (48 * MiB)
#define STATE_FILE "cgroup"

struct pressure_state {
	char root[PATH_MAX];	/* the cgroup2 mount */
	char child[PATH_MAX];
	char home[PATH_MAX];	/* where the process was */
	int enabled;		/* we enabled +memory in the root's subtree */
	long long high0;	/* memory.events high at the start */
	unsigned long long steps;
};

/* The cgroup2 mount point, from /proc/self/mountinfo. */
static int cgroup2_mounted(char *out, size_t len)
{
	char line[4096], mnt[4096], type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		found = dash && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
			sscanf(dash + 3, "%63s", type) == 1 && !strcmp(type, "cgroup2");
	}
	fclose(f);
	if (found)
		snprintf(out, len, "%s", mnt);
	return found ? 0 : -1;
}

/* The cgroup2 hierarchy: where it is mounted, or mounted by us in the
 * scratch directory (the run's mounts are its own; a guest's init mounts
 * none). The cgroups in it are the machine's all the same. */
static int cgroup2_root(const struct env *env, char *out, size_t len)
{
	if (cgroup2_mounted(out, len) == 0)
		return 0;
	if (pathf(out, len, "%s/cgroup2", env->scratch->dir) < 0 || mkdir_p(out, NULL) < 0 ||
	    mount("cgroup2", out, "cgroup2", 0, NULL) < 0)
		return -1;
	return 0;
}

static enum setup_state pressure_probe(const struct dist_env *de, char *why)
{
	char root[PATH_MAX], path[PATH_MAX + 32], ctl[256] = "";

	if (cgroup2_root(de->env, root, sizeof(root)) < 0) {
		errf(why, "no cgroup2 hierarchy: none mounted, and mount -t cgroup2");
		return SETUP_SKIP;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (read_file(path, ctl, sizeof(ctl), NULL) < 0 || !strstr(ctl, "memory")) {
		snprintf(why, ERRLEN, "the memory controller is not on the cgroup v2 hierarchy "
			 "(%.200s lists '%.*s'; it is bound to cgroup v1 here): no memory.high", path,
			 (int)strcspn(ctl, "\n"), ctl);
		return SETUP_SKIP;
	}
	return SETUP_READY;
}

/* A number from a "key N" line of a cgroup file (-1 if absent). */
static long long cg_key(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX + 64], buf[4096], *p;
	size_t n = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf), NULL) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

static int cg_write(const char *dir, const char *file, const char *v, char *err)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file(path, v, err);
}

/* Our own cgroup v2 path ("0::/x" in /proc/self/cgroup) under root. */
static int home_of(struct pressure_state *ps, char *err)
{
	char buf[4096], *p;

	if (read_file("/proc/self/cgroup", buf, sizeof(buf), err) < 0)
		return -1;
	p = strstr(buf, "0::");
	if (!p) {
		snprintf(err, ERRLEN, "no cgroup v2 entry in /proc/self/cgroup");
		return -1;
	}
	p[strcspn(p, "\n")] = 0;
	snprintf(ps->home, sizeof(ps->home), "%s%s", ps->root, strcmp(p + 3, "/") ? p + 3 : "");
	return 0;
}

/* The state file for the reclaim of a killed run, made anew (write_file
 * only writes files that exist: cgroup and sysfs files). */
static int save_state(const char *path, const char *text, char *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		errf(err, "create %s", path);
		return -1;
	}
	close(fd);
	return write_file(path, text, err);
}

static int pressure_start(struct dist_env *de, void **priv, char *err)
{
	struct pressure_state *ps = calloc(1, sizeof(*ps));
	char sub[256] = "", pid[32], state[PATH_MAX + 16];

	if (!ps || cgroup2_root(de->env, ps->root, sizeof(ps->root)) < 0) {
		errf(err, "calloc or cgroup2 root");
		free(ps);
		return -1;
	}
	*priv = ps;
	if (home_of(ps, err) < 0)
		return -1;
	if (pathf(state, sizeof(state), "%s/cgroup.subtree_control", ps->root) < 0 ||
	    pathf(ps->child, sizeof(ps->child), "%s/iovbed-stress.%d", ps->root, (int)getpid()) < 0) {
		errf(err, "cgroup path under %s", ps->root);
		return -1;
	}
	read_file(state, sub, sizeof(sub), NULL);
	if (!strstr(sub, "memory")) {
		if (cg_write(ps->root, "cgroup.subtree_control", "+memory", err) < 0)
			return -1;
		ps->enabled = 1;
	}
	if (mkdir(ps->child, 0755) < 0) {
		errf(err, "mkdir %s", ps->child);
		return -1;
	}
	/* for the reclaim of a killed run: the child, and whether the
	 * controller was ours to enable */
	snprintf(state, sizeof(state), "%s/" STATE_FILE, de->env->scratch->dir);
	snprintf(sub, sizeof(sub), "%.200s\n%d\n", ps->child, ps->enabled);
	if (save_state(state, sub, err) < 0)
		return -1;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (cg_write(ps->child, "cgroup.procs", pid, err) < 0)
		return -1;
	ps->high0 = cg_key(ps->child, "memory.events", "high");
	return 0;
}

/* What reclaim can take from the child: its page cache, and its
 * anonymous memory when there is swap (the run's swap file). */
static long long reclaimable(const struct pressure_state *ps)
{
	long long file = cg_key(ps->child, "memory.stat", "file");
	long long anon = cg_key(ps->child, "memory.stat", "anon");

	return (file > 0 ? file : 0) + (anon > 0 ? anon : 0);
}

/* A pulse: memory.high a quarter of what reclaim can take (PULSE_MAX at
 * most) below what the run uses, for PULSE_MS, then back to max. Held
 * longer, or set below what cannot be reclaimed (pinned buffers,
 * registered rings), it throttles every thread of the run on its way
 * back to user space (up to 2 s at each), and the write of memory.high
 * reclaims in the writer until the use is below it: in a small guest
 * under TCG that starved the workers for minutes, an op past its
 * timeout. */
#define PULSE_MS 200
#define PULSE_MAX (32 * MiB)
static int pressure_step(struct dist_env *de, void *priv, uint64_t rnd, char *err)
{
	struct pressure_state *ps = priv;
	char path[PATH_MAX + 32], cur[64], v[64];
	long long use, high;

	(void)de;
	(void)rnd;
	snprintf(path, sizeof(path), "%s/memory.current", ps->child);
	if (read_file(path, cur, sizeof(cur), err) < 0)
		return -1;
	use = atoll(cur);
	high = reclaimable(ps) / 4;
	high = use - (high < (long long)PULSE_MAX ? high : (long long)PULSE_MAX);
	if (high < (long long)FLOOR)
		high = FLOOR;
	ps->steps++;
	if (high >= use)
		return 0;	/* nothing to take: not now */
	snprintf(v, sizeof(v), "%lld", high);
	if (cg_write(ps->child, "memory.high", v, err) < 0)
		return -1;
	sleep_ms(PULSE_MS);
	return cg_write(ps->child, "memory.high", "max", err);
}

static int pressure_effect(void *priv, struct strbuf *out)
{
	struct pressure_state *ps = priv;
	long long high = cg_key(ps->child, "memory.events", "high") - ps->high0;

	sb_addf(out, "memory.events high %+lld, memory.stat pgsteal %lld, pgscan %lld", high,
		cg_key(ps->child, "memory.stat", "pgsteal"),
		cg_key(ps->child, "memory.stat", "pgscan"));
	return high > 0;
}

static void pressure_stop(struct dist_env *de, void *priv)
{
	struct pressure_state *ps = priv;
	char pid[32], state[PATH_MAX + 16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (*ps->child) {
		cg_write(ps->child, "memory.high", "max", NULL);
		cg_write(ps->home, "cgroup.procs", pid, NULL);
		rmdir(ps->child);
	}
	if (ps->enabled)
		cg_write(ps->root, "cgroup.subtree_control", "-memory", NULL);
	snprintf(state, sizeof(state), "%s/" STATE_FILE, de->env->scratch->dir);
	unlink(state);
	free(ps);
}

/* A killed run's child cgroup (empty: its processes are gone). */
static void pressure_reclaim(const char *dir, struct strbuf *log)
{
	char state[PATH_MAX + 16], child[PATH_MAX] = "", *nl, *slash;
	int enabled;

	snprintf(state, sizeof(state), "%s/" STATE_FILE, dir);
	if (read_file(state, child, sizeof(child), NULL) <= 0 || !strstr(child, "/iovbed-stress."))
		return;
	nl = strchr(child, '\n');
	enabled = nl && atoi(nl + 1) == 1;
	if (nl)
		*nl = 0;
	if (rmdir(child) == 0 && log)
		sb_addf(log, "reclaim: removed the cgroup %s\n", child);
	slash = strrchr(child, '/');
	if (enabled && slash) {
		*slash = 0;
		cg_write(child, "cgroup.subtree_control", "-memory", NULL);
	}
}

const struct disturber disturb_pressure = {
	.name = "pressure",
	.desc = "memory.high of the run's own cgroup v2 child below its use: reclaim",
	.needs_swap = 1,
	.period_ms = 1000,
	.probe = pressure_probe,
	.start = pressure_start,
	.step = pressure_step,
	.effect = pressure_effect,
	.stop = pressure_stop,
	.reclaim = pressure_reclaim,
};
