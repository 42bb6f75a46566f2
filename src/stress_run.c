/* iovbed stress: the run. Set up (the bed, the rows and targets, the
 * workers' buffers, the disturbers and the swap file), start the workers
 * and disturbers, a checkpoint every few seconds until time, --ops or a
 * failure ends it (or a signal), a last checkpoint, the summary, tear
 * down. */
#include "stress.h"
#include "pattern.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 100

/* The op kinds' weights out of 100: --mix keeps some, --chaos sets one. */
static int weights(struct stress *s, char *err)
{
	static const unsigned dflt[SOP_COUNT] = { 67, 8, 6, 3, 3, 2, 6, 0, 0 };
	const char *mix = s->opt->stress.mix;
	unsigned k;

	s->weight_sum = 0;
	for (k = 0; k < SOP_COUNT; k++) {
		int in = !mix || list_has(mix, sop_names[k]);

		s->kind_weight[k] = !in ? 0 : k == SOP_CHAOS ? (unsigned)s->opt->stress.chaos : dflt[k];
		s->weight_sum += s->kind_weight[k];
	}
	if (!s->weight_sum) {
		snprintf(err, ERRLEN, "--mix '%s': no op kind to draw (direct, buffered, mmap, "
			 "punch, zero, truncate, fsync, chaos)", mix ? mix : "");
		return -1;
	}
	return 0;
}

/* The pin counters are machine-wide: the run holds the lock every iovbed
 * run takes around its measurements, for as long as it runs. */
static void hold_pin_lock(struct stress *s)
{
	if (flock(s->bed->pinlock, LOCK_EX | LOCK_NB) == 0)
		return;
	fprintf(stderr, "stress: waiting for the pin lock another iovbed run holds "
		"(/run/lock/iovbed-pins.lock)\n");
	pinlock(s->bed->pinlock);
}

static void run_init(struct stress *s, struct bed *bed, const struct options *o)
{
	memset(s, 0, sizeof(*s));
	s->bed = bed;
	s->opt = o;
	s->depth = o->stress.replay ? 1 : o->stress.depth;
	s->nworkers = o->stress.replay ? 1 : o->stress.workers;
	if (!s->nworkers)
		s->nworkers = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
	s->replay = !!o->stress.replay;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->park_lock, NULL);
	pthread_mutex_init(&s->rec_lock, NULL);
	pthread_cond_init(&s->park_cond, NULL);
	pthread_rwlock_init(&s->dist_rw, NULL);
	s->gseed = bed->seed ^ 0x6775617264ULL;	/* "guard" */
	guard_fill(s->guard, GUARD_LEN, s->gseed);
}

/* Wait for the workers' threads; a worker that never ends is stuck. */
static void join_workers(struct stress *s)
{
	int i;

	for (i = 0; i < s->nworkers; i++)
		if (s->w[i].started) {
			pthread_join(s->w[i].th, NULL);
			s->w[i].started = 0;
		}
}

/* A worker stuck in the kernel: cut off the targets that can be (the FUSE
 * daemons' connections are aborted), then wait a while for each worker. If
 * one stays stuck (s->stuck), the run's own memory is not torn down (the
 * thread may still use it; exit frees it), only the bed. */
static void unstick(struct stress *s)
{
	char err[ERRLEN];
	struct timespec ts;
	size_t i;
	int wi;

	for (i = 0; i < s->ntg; i++)
		if (s->tg[i].t->ops->cut && s->tg[i].t->ops->cut(s->tg[i].t, "abort", err) < 0)
			fprintf(stderr, "stress: cutting %s off: %s\n", s->tg[i].t->ops->name, err);
	s->stuck = 0;
	for (wi = 0; wi < s->nworkers; wi++) {
		if (!s->w[wi].started)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		if (pthread_timedjoin_np(s->w[wi].th, NULL, &ts) == 0)
			s->w[wi].started = 0;
		else
			s->stuck = 1;
	}
}

static int start_workers(struct stress *s, char *err)
{
	char name[16];
	int i;

	for (i = 0; i < s->nworkers; i++) {
		if (pthread_create(&s->w[i].th, NULL, worker_main, &s->w[i])) {
			errf(err, "pthread_create");
			atomic_store(&s->stop, 1);
			return -1;
		}
		s->w[i].started = 1;
		snprintf(name, sizeof(name), "worker-%d", i & 0xffff);
		pthread_setname_np(s->w[i].th, name);	/* named in a hang's thread dump */
	}
	return 0;
}

/* A worker in one op longer than --timeout is stuck: say where. */
static void watchdog(struct stress *s)
{
	double now = now_sec(), t0;
	struct strbuf d = { 0 };
	char path[64];
	int i;

	for (i = 0; i < s->nworkers; i++) {
		t0 = atomic_load(&s->w[i].op_start);
		if (!t0 || now - t0 < s->opt->timeout)
			continue;
		sb_addf(&d, "timeout: worker %d's op has not ended within %u s (--timeout)\n", i,
			s->opt->timeout);
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", (int)s->w[i].tid);
		sb_add_file(&d, "stuck task wchan", path);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)s->w[i].tid);
		sb_add_file(&d, "stuck task stack", path);
		threads_dump(&d);
		stress_failed(s, &s->w[i], &s->w[i].cur, &d);
		sb_free(&d);
		s->stuck = 1;
		return;
	}
}

/* Wait for the workers to end their last ops, the watchdog still on: an
 * op stuck in the kernel past --timeout is reported, not waited for (a
 * sendfile to a socket nobody read hung a run in CI this way). */
static void join_watched(struct stress *s)
{
	struct timespec ts;
	int i;

	for (i = 0; i < s->nworkers && !s->stuck; i++)
		while (s->w[i].started && !s->stuck) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += TICK_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(s->w[i].th, NULL, &ts) == 0)
				s->w[i].started = 0;
			else
				watchdog(s);
		}
}

/* Until time, --ops, a failure or a signal: progress, checkpoints. */
static void main_loop(struct stress *s)
{
	double dur = s->opt->stress.duration, next_cp = s->t0 + s->opt->stress.checkpoint;
	double next_progress = s->t0 + 1;

	while (!atomic_load(&s->stop) && !stop_signal) {
		sleep_ms(TICK_MS);
		if (dur && now_sec() - s->t0 >= dur)
			break;
		if (now_sec() >= next_progress) {
			report_progress(s, 0);
			next_progress += 1;
		}
		watchdog(s);
		if (now_sec() >= next_cp && !atomic_load(&s->stop)) {
			checkpoint(s, 0);
			next_cp = now_sec() + s->opt->stress.checkpoint;
		}
	}
	atomic_store(&s->stop, 1);
	pthread_mutex_lock(&s->park_lock);
	pthread_cond_broadcast(&s->park_cond);
	pthread_mutex_unlock(&s->park_lock);
}

/* The workers and disturbers run, then stop; the last checkpoint. */
static int run_workers(struct stress *s, char *err)
{
	s->t0 = now_sec();
	checkpoint_rss(s, 0);
	if (dist_start(s, err) < 0 || start_workers(s, err) < 0) {
		join_workers(s);
		dist_stop(s);
		return -1;
	}
	main_loop(s);
	if (!s->stuck)
		join_watched(s);
	if (s->stuck) {	/* no last checkpoint */
		dist_stop(s);
		unstick(s);
		s->secs = now_sec() - s->t0;
		return 0;
	}
	join_workers(s);
	if (!s->failed && !s->broken)
		checkpoint(s, 1);
	dist_stop(s);
	s->secs = now_sec() - s->t0;
	checkpoint_rss(s, 2);
	return 0;
}

static int targets_list(struct stress *s, char *err)
{
	size_t i;

	s->targets_list = calloc(s->ntg + 1, sizeof(*s->targets_list));
	if (!s->targets_list) {
		errf(err, "calloc");
		return -1;
	}
	for (i = 0; i < s->ntg; i++)
		s->targets_list[i] = s->tg[i].t;
	return 0;
}

/* Set up everything, run, report: the exit status. */
static int stress_go(struct stress *s, const struct matrix *m)
{
	char err[ERRLEN] = "";
	int ret;

	hold_pin_lock(s);
	if (weights(s, err) < 0 || stress_setup(s, m, err) < 0 || stop_signal)
		goto broke;
	if (!s->nrows) {
		fprintf(stderr, "stress: nothing can run: no selected row's target and engine "
			"could be set up on this machine\n");
		return 77;
	}
	kmsg_mark(&s->bed->kmsg);
	if (targets_list(s, err) < 0 || pin_read(s->bed->vs, &s->pins0, err) < 0 ||
	    dist_setup(s, err) < 0 ||
	    record_open(s, err) < 0)
		goto broke;
	report_start(s);
	ret = s->replay ? replay_run(s, err) : run_workers(s, err);
	if (ret < 0)
		goto broke;
	return 0;
broke:
	if (!s->broken && *err)
		stress_broke(s, err);
	return 0;
}

/* Every word of --mix is an op kind a worker draws. */
static int mix_ok(const char *mix, char *err)
{
	char copy[256], *save = NULL, *tok;
	int k;

	snprintf(copy, sizeof(copy), "%s", mix ? mix : "");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < SOP_FIX && strcmp(tok, sop_names[k]); k++)
			;
		if (k == SOP_FIX) {
			snprintf(err, ERRLEN, "--mix: no op kind '%s' (direct, buffered, mmap, punch, "
				 "zero, truncate, fsync, chaos)", tok);
			return -1;
		}
	}
	return 0;
}

/* What the options leave open, settled; a bad --disturb, --mix or
 * --replay: -1. */
static int stress_options(struct options *o, char *err)
{
	struct stress_opts *so = &o->stress;
	unsigned long long seed;

	if (!so->duration && !so->ops)
		so->duration = so->replay ? 0 : STRESS_DURATION_DEFAULT;
	if (dist_names_ok(so->disturb, err) < 0 || mix_ok(so->mix, err) < 0)
		return -1;
	if (!so->replay)
		return 0;
	if (replay_seed(so->replay, &seed, err) < 0)
		return -1;
	if (o->seed_given && o->seed != seed) {
		snprintf(err, ERRLEN, "--seed %llu: the record was made with seed %llu",
			 (unsigned long long)o->seed, seed);
		return -1;
	}
	o->seed = seed;
	o->seed_given = 1;
	return 0;
}

/* The summary, --json, the record kept on a failure: the exit status. */
static int stress_end(struct stress *s)
{
	int interrupted = stop_signal != 0 && !s->failed, ret;
	char err[ERRLEN];

	report_progress(s, 1);
	record_close(s, s->failed && s->fail.worker >= 0);
	if (s->failed)
		report_failure(s);
	if (s->replay)
		fprintf(stderr, "replay: %llu ops run from %s%s\n", s->replayed,
			s->opt->stress.replay, s->failed ? "; the failure reproduced" : "");
	report_summary(s, interrupted);
	ret = stress_exit_code(s, interrupted);
	if (s->opt->json && report_json_stress(s, ret, err) < 0) {
		fprintf(stderr, "iovbed: %s\n", err);
		ret = ret ? ret : 99;
	}
	return ret;
}

int stress_main(const struct options *o, const struct matrix *m)
{
	struct options oo = *o;
	char err[ERRLEN] = "";
	struct strbuf log = { 0 };
	struct stress s;
	struct bed bed;
	int ret;

	if (geteuid() != 0) {
		fprintf(stderr, "iovbed: stress needs root (it mounts filesystems, attaches loop "
			"devices, makes a swap file, reads /dev/kmsg): nothing run\n");
		return 77;
	}
	if (stress_options(&oo, err) < 0) {
		fprintf(stderr, "iovbed: %s\n", err);
		return 2;
	}
	signals_install();
	if (bed_open(&bed, &oo, &log, err) < 0) {
		fprintf(stderr, "%siovbed: test bed set-up failed: %s\n", sb_str(&log), err);
		bed_close(&bed);
		bed_free(&bed);
		sb_free(&log);
		return 99;
	}
	fputs(sb_str(&log), stderr);
	sb_free(&log);
	run_init(&s, &bed, &oo);
	ret = stress_go(&s, m);
	ret = ret ? ret : stress_end(&s);
	if (!s.stuck)	/* a worker stuck in the kernel may still use it all: exit frees it */
		stress_teardown(&s);
	dist_release(&s);
	free(s.targets_list);
	sb_free(&s.fail.diag);
	sb_free(&s.cp_head);
	bed_close(&bed);
	bed_free(&bed);
	return ret;
}
