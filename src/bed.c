/* The test bed of a run: scratch area, locks, kernel log, targets. */
#include "bed.h"
#include "disturb.h"
#include "engine.h"
#include "observe.h"
#include "regress.h"
#include "registry.h"
#include "scratchfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t random_seed(void)
{
	uint64_t s = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &s, sizeof(s)) != sizeof(s))
			s = 0;
		close(fd);
	}
	return s ? s : (uint64_t)now_sec() * 1000003;
}

/* This binary's path, read before the run's own mount namespace exists:
 * after it, /proc/self/exe can name the file from outside a chroot. */
static void self_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	snprintf(out + (n > 0 ? n : 0), len - (n > 0 ? n : 0), "%s", n > 0 ? "" : "iovbed");
}

static int bed_tables(struct bed *bed, char *err)
{
	size_t i;

	bed->targets = calloc(target_count, sizeof(*bed->targets));
	bed->probe = calloc(engine_count, sizeof(*bed->probe));
	bed->probe_why = calloc(engine_count, sizeof(*bed->probe_why));
	bed->rprobe = calloc(regression_count, sizeof(*bed->rprobe));
	bed->rprobe_why = calloc(regression_count, sizeof(*bed->rprobe_why));
	if (!bed->targets || !bed->probe || !bed->probe_why || !bed->rprobe || !bed->rprobe_why) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < target_count; i++)
		bed->targets[i].ops = target_table[i];
	return 0;
}

static size_t add_hook(reclaim_fn **hooks, size_t n, size_t max, reclaim_fn *h)
{
	size_t j;

	for (j = 0; h && j < n && hooks[j] != h; j++)
		;
	if (h && j == n && n + 1 < max)
		hooks[n++] = h;
	return n;
}

/* The targets' and disturbers' reclaim hooks, each once, NULL-ended
 * (static: for the life of the run). */
static reclaim_fn *const *reclaim_hooks(void)
{
	static reclaim_fn *hooks[64];
	size_t i, n = 0, max = sizeof(hooks) / sizeof(hooks[0]);

	for (i = 0; i < target_count; i++)
		n = add_hook(hooks, n, max, target_table[i]->reclaim);
	for (i = 0; i < disturber_count; i++)
		n = add_hook(hooks, n, max, disturber_table[i]->reclaim);
	hooks[n] = NULL;
	return hooks;
}

/* The observer, as --observe says: -1 (err) only when it must open. */
static int bed_observer(struct bed *bed, char *err)
{
	char why[ERRLEN];

	if (bed->opt->observe == OBSERVE_OFF) {
		snprintf(bed->obs_why, sizeof(bed->obs_why), "declared, not observed: --observe off");
		return 0;
	}
	if (observer_open(&bed->obs, why) == 0)
		return 0;
	if (bed->opt->observe == OBSERVE_ON) {
		snprintf(err, ERRLEN, "--observe on: %.*s", ERRLEN - 32, why);
		return -1;
	}
	snprintf(bed->obs_why, sizeof(bed->obs_why), "declared, not observed: %.*s", ERRLEN - 32,
		 why);
	return 0;
}

static void bed_env(struct bed *bed)
{
	bed->env.scratch = &bed->scratch;
	bed->env.seed = bed->seed;
	bed->env.kernel = bed->prof.v;
	bed->env.running = bed->prof.running;
	bed->env.user = &bed->opt->user;
	bed->env.race_seconds = bed->opt->race_seconds;
}

int bed_open(struct bed *bed, const struct options *opt, struct strbuf *log, char *err)
{
	struct pin_snap snap;

	memset(bed, 0, sizeof(*bed));
	bed->t_start = now_sec();
	bed->opt = opt;
	self_path(bed->self, sizeof(bed->self));
	bed->kmsg.fd = -1;
	bed->pinlock = -1;
	bed->scratch.lockfd = -1;
	bed->vs = &vmstat_default;
	if (profile_init(&bed->prof, opt->profile) < 0) {
		snprintf(err, ERRLEN, "cannot tell the kernel version%s%s",
			 opt->profile ? " from --profile " : "", opt->profile ? opt->profile : "");
		return -1;
	}
	bed->seed = opt->seed_given ? opt->seed : random_seed();
	bed_env(bed);
	if (bed_tables(bed, err) < 0 || pin_read(bed->vs, &snap, err) < 0 ||
	    kmsg_open(&bed->kmsg, "/dev/kmsg", err) < 0)
		return -1;
	if (scratch_open(&bed->scratch, opt->scratch ? opt->scratch : SCRATCH_BASE_DEFAULT,
			 reclaim_hooks(), log, err) < 0)
		return -1;
	bed->pinlock = pinlock_open(err);
	/* From here on our mounts are private: they die with this process. */
	if (bed->pinlock < 0 || private_mount_ns(err) < 0 || bed_observer(bed, err) < 0)
		return -1;
	bed->secs_setup = now_sec() - bed->t_start;
	return 0;
}

void bed_close(struct bed *bed)
{
	double t0 = now_sec();
	size_t i;

	for (i = 0; bed->targets && i < target_count; i++)
		target_teardown(&bed->targets[i]);
	scratchfs_put_all();
	scratch_close(&bed->scratch);
	if (bed->pinlock >= 0)
		close(bed->pinlock);
	bed->pinlock = -1;
	kmsg_close(&bed->kmsg);
	observer_close(bed->obs);
	bed->obs = NULL;
	free(bed->probe);
	free(bed->probe_why);
	free(bed->rprobe);
	free(bed->rprobe_why);
	bed->probe = bed->rprobe = NULL;
	bed->probe_why = bed->rprobe_why = NULL;
	bed->secs_teardown += now_sec() - t0;
}

enum setup_state bed_target(struct bed *bed, int ti, struct target **t)
{
	double t0 = now_sec();
	enum setup_state st;

	*t = &bed->targets[ti];
	if ((*t)->state != SETUP_NONE)
		return (*t)->state;
	st = target_ensure(*t, &bed->env);
	if (bed->obs && observer_stale(bed->obs)) {	/* the set-up loaded modules */
		char why[ERRLEN];

		observer_close(bed->obs);
		if (observer_open(&bed->obs, why) < 0)
			snprintf(bed->obs_why, sizeof(bed->obs_why), "declared, not observed: "
				 "opened anew after %s's set-up loaded modules: %.*s", (*t)->ops->name,
				 ERRLEN - 96, why);
	}
	bed->secs_setup += now_sec() - t0;
	(*t)->setups++;
	(*t)->setup_secs += now_sec() - t0;
	return st;
}

enum setup_state bed_engine(struct bed *bed, int ei, const char **why)
{
	enum setup_state *st = &bed->probe[ei];

	if (*st == SETUP_NONE)
		*st = engine_table[ei]->probe ? engine_table[ei]->probe(bed->probe_why[ei]) :
			SETUP_READY;
	*why = bed->probe_why[ei];
	return *st;
}

enum setup_state bed_regression(struct bed *bed, int ri, const char **why)
{
	enum setup_state *st = &bed->rprobe[ri];

	if (*st == SETUP_NONE)
		*st = regression_table[ri]->probe ? regression_table[ri]->probe(bed->rprobe_why[ri]) :
			SETUP_READY;
	*why = bed->rprobe_why[ri];
	return *st;
}

void bed_free(struct bed *bed)
{
	free(bed->targets);
	bed->targets = NULL;
}
